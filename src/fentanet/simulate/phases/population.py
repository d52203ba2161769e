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
from fentanet.simulate import population as popmod
from fentanet.simulate.binomial import step_prefix

FLOWS = ("initiations", "overdoses", "fatal", "reversed", "treatment_entries",
         "treatment_exits", "remissions", "relapses", "deaths")


def init(sim) -> None:
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
    s = sim.s
    st = sim.topo.stages["diverts_to"]
    market, weight = _diverts(sim, st)
    return _diverted_at(st.li, st.src, market, weight, s.links.alive, s.actors.alive,
                        s.n_markets, s.diversion0, _diversion_factor(sim))


def status_quo_diversion(sim) -> np.ndarray:
    """Each market's status quo of diversion (``diversion0``, read at the spin-up's end by
    :meth:`fentanet.simulate.loop.Sim.warmup`): the weight of its prescribers' places, the
    ``diverts_to`` links of prescribers alive or in a vacant place, which a newcomer takes
    (``independent_replacement``; a member's, its organization's recruit). So diversion is
    the share of a market's places filled: 1 when every place is, and below 1 while one
    waits for its newcomer, whatever the spin-up's routine arrests left empty at time 0
    (us-baseline: 0.977 over all markets then, 0.968 in the third year). Without
    replacement of independent prescribers no independent's place stays vacant: the alive
    weight at the spin-up's end, and diversion is 1 in every market at time 0 (a member's
    place is vacant until its organization refills it, or for good without ``replacement``:
    its share of diversion lost)."""
    s = sim.s
    a = s.actors
    st = sim.topo.stages["diverts_to"]
    market, weight = _diverts(sim, st)
    return _diverted_at(st.li, st.src, market, weight, s.links.alive, a.alive | a.vacant,
                        s.n_markets, np.ones(s.n_markets), 1.0)


def _diverts(sim, st) -> tuple[np.ndarray, np.ndarray]:
    """The market of each ``diverts_to`` link's end (-1 where it is no market) and the
    link's weight, in the stage's order: kept on the run while the stage keeps its links
    (a link's weight and a market's number never change), so a step reads only whether each
    link and its prescriber are alive."""
    got = sim.__dict__.get("_diverts")
    if got is None or got[0] is not st.li:
        s = sim.s
        got = sim._diverts = (st.li, s.market_of[st.dst], s.links.weight[st.li])
    return got[1], got[2]


def _diversion_factor(sim) -> float:
    """:func:`diversion`'s factor, kept on the run for the last take-back and oversight
    efforts and public-health parameters."""
    e, ph = sim.efforts, sim.p.public_health
    got = sim.__dict__.get("_diversion_factor")
    if got is None or got[0] != e.takeback or got[1] != e.oversight or got[2] is not ph:
        factor = ((1.0 - ph.takeback_effect * e.takeback)
                  * np.exp(-ph.oversight_effect * e.oversight))
        got = sim._diversion_factor = (e.takeback, e.oversight, ph, max(factor, 0.0))
    return got[3]


@numba.njit(cache=True)
def _diverted(li, src, dst, link_alive, alive, weight, market_of, n_markets, start, factor):
    """Diversion per market relative to its status quo: the weight of the alive prescribers'
    ``diverts_to`` links over ``start`` (that weight at the spin-up's end,
    :func:`status_quo_diversion`), times ``factor``.

    The links' set and weights never change, and a prescriber can only leave or come back
    into a place counted at the status quo (its own, taken by a newcomer), so the share
    lies in [0, 1] and the diversion in [0, factor]. A market with no weight at the status
    quo (no prescriber, links of weight 0, or its prescribers all taken out in the spin-up
    with no newcomer to come) stays at 1: its diversion is not in the network, so no
    arrest, take-back or oversight can lower it."""
    return _diverted_at(li, src, market_of[dst], weight[li], link_alive, alive, n_markets,
                        start, factor)


@numba.njit(cache=True)
def _diverted_at(li, src, market, weight, link_alive, alive, n_markets, start, factor):
    """:func:`_diverted` with each link's market and weight gathered (:func:`_diverts`)."""
    out = np.zeros(n_markets)
    for k in range(li.size):
        if link_alive[li[k]] and alive[src[k]] and market[k] >= 0:
            out[market[k]] += weight[k]
    for i in range(n_markets):
        out[i] = out[i] / start[i] * factor if start[i] > 0 else 1.0
    return out


def run(sim) -> None:
    s, f, cov = sim.s, sim.flows, sim.efforts.coverage
    waiting = sim.releases.pop(sim.step, None)  # rounded in the call (np.rint's)
    released = _no_releases(sim) if waiting is None else np.empty(s.n_markets)
    efforts = (float(cov["education"]), float(cov["prevention"]), float(cov["treatment"]),
               float(cov["naloxone"]), float(cov["scam_awareness"]))
    state, params = sim.pop_state, sim.pop_params
    names, cols = _columns(popmod.FLOWS)
    m = s.n_markets
    sim.users_ratio = np.empty(m)
    popmod._check_dt(sim.dt)
    st = sim.topo.stages["diverts_to"]
    market, weight = _diverts(sim, st)
    key = sim.__dict__.get("_population_key")
    if key is None:
        key = sim._population_key = sim.streams.key("population")
    flows, *levels = _step(
        st.li, st.src, market, weight, s.links.alive, s.actors.alive, s.diversion0,
        _diversion_factor(sim), f["availability"], s.price, s.potency, s.volatility,
        _NO_RELEASES if waiting is None else waiting, released, *efforts, popmod._UPPER, key,
        sim.step, state.uid, state.at_risk, state.using, state.released, state.treatment,
        state.remission, state.overdose_deaths, state.other_deaths, state.capacity,
        params.vector, float(sim.dt), len(popmod.FLOWS), cols, sim.users0, sim.users_ratio)
    if flows is None:  # an input the kernel refuses: step_totals' way, and its error
        if waiting is not None:
            released = np.rint(waiting)
        totals = np.zeros(len(popmod.FLOWS), dtype=np.int64)
        per_market = (f["availability"], s.price, s.potency, s.volatility, diversion(sim),
                      released)
        popmod.step_totals(state, params, per_market, efforts, sim.streams, sim.step, sim.dt,
                           totals)
        flows = totals[cols].astype(np.float64)
        levels = _levels(state.using, sim.users0, state.treatment, state.remission, released,
                         sim.users_ratio)
    now = sim.now
    now.update(zip(names, flows.tolist(), strict=True))
    now["overdose_deaths"] = now["fatal"]
    (now["people_using"], now["people_in_treatment"], now["people_in_remission"],
     now["released_people"]) = levels


_NO_RELEASES = np.zeros(0)
"""No people released this step (:func:`_step`'s ``waiting``)."""


@numba.njit(cache=True)
def _step(li, src, market, weight, link_alive, alive, start, factor, availability,
          price_index, potency, potency_volatility, waiting, released, education, prevention,
          treatment, naloxone, scam_awareness, upper, key, step, uid, at_risk, using,
          released_state, in_treatment, remission, od_deaths, other_deaths, capacity0, pv, dt,
          n_flows, cols, users0, users_ratio):
    """The phase's three compiled calls in one: the diversion (:func:`_diverted_at`), the
    population model's step on this step's inputs (:func:`popmod._fill_and_advance`, its
    prefix made from the stream's ``key``, as :meth:`Streams.prefix`), and the levels
    (:func:`_levels`). The people released this step are ``waiting`` rounded (NumPy's
    ``rint``: half to even), written to ``released``, or ``released`` as it is when
    ``waiting`` is empty. Returns (the flows summed over the markets at ``cols``, as floats,
    then :func:`_levels`' four sums), or (None, 0, 0, 0, 0) with the state untouched when
    an input is refused (the caller then takes :func:`popmod.step_totals`' way, which
    raises its error)."""
    if waiting.size:
        if waiting.size != released.size:
            return None, 0.0, 0.0, 0.0, 0.0
        for i in range(waiting.size):
            released[i] = np.rint(waiting[i])
    diversion = _diverted_at(li, src, market, weight, link_alive, alive, start.size, start,
                             factor)
    n = start.size
    xt = np.empty((len(popmod.INPUT_NAMES), n))
    out = np.empty((n, n_flows), dtype=np.int64)
    totals = np.zeros(n_flows, dtype=np.int64)
    if not popmod._fill_and_advance(xt, availability, price_index, potency,
                                    potency_volatility, diversion, released, education,
                                    prevention, treatment, naloxone, scam_awareness, upper,
                                    step_prefix(key, step), uid, at_risk, using,
                                    released_state, in_treatment, remission, od_deaths,
                                    other_deaths, capacity0, pv, dt, out, totals):
        return None, 0.0, 0.0, 0.0, 0.0
    flows = np.empty(cols.size)
    for j in range(cols.size):
        flows[j] = float(totals[cols[j]])
    a, b, c, d = _levels(using, users0, in_treatment, remission, released, users_ratio)
    return flows, a, b, c, d


def _no_releases(sim) -> np.ndarray:
    """No one released this step: zeros per market (kept on the run; only read)."""
    got = sim.__dict__.get("_no_releases")
    if got is None or got.size != sim.s.n_markets:
        got = sim._no_releases = np.zeros(sim.s.n_markets)
    return got


@numba.njit(cache=True)
def _levels(using, users0, treatment, remission, released, users_ratio):
    """People using, in treatment and in remission, and released this step, summed over
    the markets; ``users_ratio`` gets each market's people using over ``users0``.

    Counts of people are integers far below 2**53, so every partial sum is exact and the
    float totals are NumPy's pairwise sums of the same values, in any order."""
    n_using = 0
    n_treatment = 0
    n_remission = 0
    n_released = 0.0
    for i in range(using.size):
        users_ratio[i] = float(using[i]) / users0[i]
        n_using += using[i]
        n_treatment += treatment[i]
        n_remission += remission[i]
        n_released += released[i]
    return float(n_using), float(n_treatment), float(n_remission), n_released


_COLUMNS: dict[tuple[str, ...], tuple[tuple[str, ...], np.ndarray]] = {}


def _columns(names: tuple[str, ...]) -> tuple[tuple[str, ...], np.ndarray]:
    """The recorded flows and their columns in the population model's flows array."""
    got = _COLUMNS.get(names)
    if got is None:
        kept = tuple(n for n in FLOWS if n in names)
        got = _COLUMNS[names] = (kept, np.array([names.index(n) for n in kept]))
    return got
