"""Phase 7, population: the people of each market, through the population model.

Calls :func:`fentanet.simulate.population.step_population` (the per-market model of
initiation, use, overdose, naloxone, treatment, remission and relapse) with this step's
inputs: availability (share of demand met), price, potency and its volatility,
prescription diversion (after prescriber arrests, oversight and take-back), people
released after arrest (Binswanger et al., NEJM 2007) and the public-health coverages.
The number of people using feeds demand in the next step.
"""

from __future__ import annotations

import dataclasses

import numba
import numpy as np

from fentanet import _jitcache  # noqa: F401  (numba's cache, stale after any kernel's edit)
from fentanet.errors import InputError

FLOWS = ("initiations", "overdoses", "fatal", "reversed", "treatment_entries",
         "treatment_exits", "remissions", "relapses", "deaths")


def _module():
    from fentanet.simulate import population as popmod

    return popmod


def init(sim) -> None:
    popmod = _module()
    s = sim.s
    try:
        if hasattr(popmod.PopulationParams, "from_mapping"):
            sim.pop_params = popmod.PopulationParams.from_mapping(sim.p.population)
        else:
            sim.pop_params = popmod.PopulationParams(**sim.p.population)
    except TypeError as exc:
        fields = sorted(f.name for f in dataclasses.fields(popmod.PopulationParams))
        raise InputError(f"{exc}; population parameters are: {', '.join(fields)}",
                         field="params.population") from None
    markets = sim.network.actors.iloc[s.markets].reset_index(drop=True).copy()
    markets["uid"] = s.actors.uid[s.markets]
    markets["population"] = s.population0
    markets["demand"] = s.demand0
    sim.pop_state = popmod.init_population(markets, sim.pop_params)
    sim.users0 = np.maximum(using(sim.pop_state).astype(np.float64), 1.0)
    sim.users_ratio = np.ones(s.n_markets)


def using(state) -> np.ndarray:
    """People using illicit opioids per market."""
    return np.asarray(state.using)


def diversion(sim) -> np.ndarray:
    """Prescription diversion reaching each market relative to its status quo (1): see
    :func:`_diverted`; take-back and oversight give the factor
    ``(1 - takeback_effect * take_back) * exp(-oversight_effect * oversight)``, at least 0."""
    s, e = sim.s, sim.efforts
    st = sim.topo.stages["diverts_to"]
    ph = sim.p.public_health
    factor = (1.0 - ph.takeback_effect * e.takeback) * np.exp(-ph.oversight_effect * e.oversight)
    return _diverted(st.li, st.src, st.dst, s.links.alive, s.actors.alive, s.links.weight,
                     s.market_of, s.n_markets, s.diversion0, max(factor, 0.0))


@numba.njit(cache=True)
def _diverted(li, src, dst, link_alive, alive, weight, market_of, n_markets, start, factor):
    """Diversion per market relative to its status quo: the weight of the alive prescribers'
    ``diverts_to`` links over ``start`` (their weight at the start), times ``factor``.

    The links' set and weights never change and a prescriber can only leave or come back, so
    the share lies in [0, 1] and the diversion in [0, factor]. A market with no weight at the
    start (no prescriber, or links of weight 0) stays at its status quo, 1: its diversion
    is not in the network, so no arrest, take-back or oversight can lower it."""
    out = np.zeros(n_markets)
    for k in range(li.size):
        if link_alive[li[k]] and alive[src[k]] and market_of[dst[k]] >= 0:
            out[market_of[dst[k]]] += weight[li[k]]
    for i in range(n_markets):
        out[i] = out[i] / start[i] * factor if start[i] > 0 else 1.0
    return out


def run(sim) -> None:
    popmod = _module()
    s, f, e = sim.s, sim.flows, sim.efforts
    released = np.rint(sim.releases.pop(sim.step, np.zeros(s.n_markets)))
    cov = e.coverage  # scalars: the inputs broadcast them over the markets
    inputs = popmod.PopulationInputs(
        availability=f["availability"], price_index=s.price,
        potency=np.asarray(s.potency, dtype=np.float64), potency_volatility=s.volatility,
        diversion=diversion(sim), released=released, education=float(cov["education"]),
        prevention=float(cov["prevention"]), treatment=float(cov["treatment"]),
        naloxone=float(cov["naloxone"]), scam_awareness=float(cov["scam_awareness"]))
    # step_population's flows summed over the markets (by the kernel)
    totals = np.zeros(len(popmod.FLOWS), dtype=np.int64)
    popmod._step_array(sim.pop_state, sim.pop_params, inputs, sim.streams, sim.step, sim.dt,
                       totals)
    now = sim.now
    for name, col in _columns(popmod.FLOWS):
        now[name] = float(totals[col])
    now["overdose_deaths"] = now.get("fatal", 0.0)
    state = sim.pop_state
    users = using(state).astype(np.float64)
    sim.users_ratio = users / sim.users0
    now["people_using"] = float(users.sum())
    for name, attr in (("people_in_treatment", "treatment"), ("people_in_remission",
                                                               "remission")):
        if hasattr(state, attr):
            now[name] = float(getattr(state, attr).sum())
    now["released_people"] = float(released.sum())


_COLUMNS: dict[tuple[str, ...], tuple[tuple[str, int], ...]] = {}


def _columns(names: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """(flow, column of the population model's flows array) of each recorded flow."""
    got = _COLUMNS.get(names)
    if got is None:
        got = _COLUMNS[names] = tuple((n, names.index(n)) for n in FLOWS if n in names)
    return got
