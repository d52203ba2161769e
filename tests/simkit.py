"""Small hand-built supply networks for the simulation tests, and a TEMPORARY stand-in
for the population model (``fentanet.simulate.population``, built on branch ``pop``) used
only while that module is absent. Delete the stand-in once the real module is on main."""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fentanet.network.model import Network


def supply_network(orgs: int = 2, dealers_per_org: int = 8, independents: int = 4,
                   markets: int = 2, demand: float = 90.0, lab_capacity: float = 60.0,
                   route_capacity: float = 150.0, modes=("land", "air", "postal"),
                   population: float = 20000.0) -> Network:
    """A typed supply network with the columns of the generated schema."""
    actors, links = [], []

    def add(id_, kind, **kw):
        actors.append({"id": id_, "kind": kind, **kw})
        return id_

    def link(s, t, kind, **kw):
        links.append({"source": s, "target": t, "kind": kind, **kw})

    mk = [add(f"mkt-{m}", "market", population=population, demand=demand,
              region=f"region-{m}") for m in range(markets)]
    sups = [add(f"sup-{i}", "supplier", capacity=400.0, legitimate=i < 2) for i in range(4)]
    mkp = add("mkp-0", "marketplace", capacity=100.0)
    link(sups[2], mkp, "supplies")
    for m in mk:
        add(f"prs-{m}", "prescriber")
        link(f"prs-{m}", m, "diverts_to")
    d = 0
    for o in range(orgs):
        org = add(f"org-{o}", "organization")
        labs = [add(f"lab-{o}{i}", "lab", organization=org, capacity=lab_capacity,
                    role="leader" if i == 0 else "lieutenant") for i in range(2)]
        for i, lab in enumerate(labs):
            link(sups[i], lab, "supplies")
            link(sups[2 + i], lab, "supplies")
        link(mkp, labs[0], "supplies")
        routes = [add(f"rte-{o}{j}", "route", organization=org, mode=mode,
                      capacity=route_capacity) for j, mode in enumerate(modes)]
        for lab in labs:
            for r in routes:
                link(lab, r, "ships")
        trfs = [add(f"trf-{o}{k}", "trafficker", organization=org, capacity=80.0,
                    role="lieutenant" if k == 0 else "member") for k in range(2)]
        for r in routes:
            for t in trfs:
                link(r, t, "ships")
        lnd = add(f"lnd-{o}", "launderer", organization=org)
        link(lnd, org, "launders_for")
        off = add(f"off-{o}", "official")
        link(off, routes[0], "protects")
        members = labs + routes + trfs + [lnd]
        for k in range(dealers_per_org):
            dl = add(f"dlr-{d:03d}", "dealer", organization=org, capacity=12.0,
                     channel="online" if k == 0 else "street")
            d += 1
            link(trfs[k % 2], dl, "distributes")
            link(dl, mk[k % markets], "sells_to")
            members.append(dl)
        for m_ in members:
            link(m_, org, "member_of")
        people = labs + trfs + [lnd] + members[len(labs) + len(routes) + len(trfs) + 1:]
        for i, p in enumerate(people):
            link(p, people[(i + 1) % len(people)], "tie")
            link(p, people[(i + 3) % len(people)], "tie")
    biz = add("biz-0", "business")
    link(biz, "rte-00", "fronts_for")
    for k in range(independents):
        dl = add(f"dlr-{d:03d}", "dealer", capacity=12.0, channel="street")
        d += 1
        link(f"trf-{k % orgs}1", dl, "distributes")
        link(dl, mk[k % markets], "sells_to")
    a = pd.DataFrame(actors)
    a["uid"] = np.arange(len(a))
    return Network(a, pd.DataFrame(links), name="hand")


# ---------------------------------------------------------------- temporary stand-in
@dataclass(frozen=True)
class PopulationParams:
    initiation: float = 0.004
    overdose: float = 0.12
    fatal: float = 0.12
    treatment_entry: float = 0.15
    treatment_exit: float = 0.6
    remission: float = 0.05
    relapse: float = 0.2
    other_death: float = 0.005
    witnessed_kit_success: float = 0.3


@dataclass
class PopulationState:
    at_risk: np.ndarray
    using: np.ndarray
    treatment: np.ndarray
    remission: np.ndarray
    deaths: np.ndarray


@dataclass
class PopulationInputs:
    availability: np.ndarray
    price_index: np.ndarray
    potency: np.ndarray
    potency_volatility: np.ndarray
    diversion: np.ndarray
    released: np.ndarray
    education: np.ndarray
    prevention: np.ndarray
    treatment: np.ndarray
    naloxone: np.ndarray
    scam_awareness: np.ndarray


def init_population(markets: pd.DataFrame, params: PopulationParams) -> PopulationState:
    using = markets["population"].to_numpy(dtype=np.int64)
    z = np.zeros_like(using)
    return PopulationState(at_risk=using * 10, using=using.copy(), treatment=z.copy(),
                           remission=z.copy(), deaths=z.copy())


def _exits(rng, n, rates, dt):
    """Competing exits from one compartment: one multinomial via conditional binomials."""
    total = np.sum(rates, axis=0)
    p_any = -np.expm1(-total * dt)
    k_any = rng.binomial(n, p_any)
    out, left, rest = [], k_any, total.copy()
    for r in rates[:-1]:
        with np.errstate(invalid="ignore", divide="ignore"):
            q = np.where(rest > 0, r / rest, 0.0)
        k = rng.binomial(left, np.clip(q, 0, 1))
        out.append(k)
        left = left - k
        rest = rest - r
    out.append(left)
    return out


def step_population(state, params, inputs, streams, step, dt):
    rng = streams.generator("population", step)
    p = params
    init_rate = (p.initiation * inputs.availability * (1 - 0.3 * inputs.education)
                 * (1 - 0.3 * inputs.prevention) * (1 + 0.2 * inputs.diversion))
    (initiations,) = _exits(rng, state.at_risk, np.array([init_rate]), dt)
    od_rate = p.overdose * inputs.potency * (1 + inputs.potency_volatility)
    fatal_share = p.fatal * (1 - p.witnessed_kit_success * inputs.naloxone)
    treat_rate = p.treatment_entry * (1 + 3 * inputs.treatment)
    fatal_od, entries, remit, other = _exits(
        rng, state.using, np.array([od_rate * fatal_share, treat_rate,
                                    np.full_like(od_rate, p.remission),
                                    np.full_like(od_rate, p.other_death)]), dt)
    reversed_ = rng.binomial(state.using - fatal_od - entries - remit - other,
                             -np.expm1(-od_rate * (1 - fatal_share) * dt))
    exits, t_death = _exits(rng, state.treatment,
                            np.array([np.full_like(od_rate, p.treatment_exit),
                                      np.full_like(od_rate, p.other_death)]), dt)
    (relapses,) = _exits(rng, state.remission, np.array([np.full_like(od_rate, p.relapse)]), dt)
    deaths = fatal_od + other + t_death
    state.at_risk += -initiations
    state.using += initiations - fatal_od - entries - remit - other + exits + relapses
    state.treatment += entries - exits - t_death
    state.remission += remit - relapses
    state.deaths += deaths
    return {"initiations": initiations, "overdoses": fatal_od + reversed_, "fatal": fatal_od,
            "reversed": reversed_, "treatment_entries": entries, "treatment_exits": exits,
            "remissions": remit, "relapses": relapses, "deaths": deaths}


def install_population_stand_in() -> bool:
    """Register the stand-in as ``fentanet.simulate.population`` if the real one is absent."""
    try:
        import fentanet.simulate.population  # noqa: F401
        return False
    except ImportError:
        pass
    mod = types.ModuleType("fentanet.simulate.population")
    for name in ("PopulationParams", "PopulationState", "PopulationInputs", "init_population",
                 "step_population"):
        setattr(mod, name, globals()[name])
    sys.modules["fentanet.simulate.population"] = mod
    return True
