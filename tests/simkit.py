"""Helpers for the simulation tests: small hand-built supply networks, paired intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

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


def stepped_sim(net: Network, seed: int = 1):
    """A :class:`~fentanet.simulate.loop.Sim` on ``net`` (a 0.1-year scenario without
    spin-up) after its first step."""
    from fentanet.simulate.loop import Sim
    from fentanet.simulate.scenario import Scenario

    sc = Scenario.model_validate({"name": "t", "network": {"file": "x"}, "years": 0.1,
                                  "warmup_years": 0.0})
    s = Sim(sc, net, seed)
    s.run_step()
    return s


def same(x, y) -> None:
    """Assert ``x`` and ``y`` are the same array bit for bit: dtype, shape and bytes (so NaN
    equals NaN and -0.0 is not 0.0)."""
    x, y = np.asarray(x), np.asarray(y)
    assert x.dtype == y.dtype and x.shape == y.shape
    np.testing.assert_array_equal(x.view(np.uint8), y.view(np.uint8))


def every_intervention(start: float = 0.1) -> list[dict]:
    """Every intervention kind at intensity 1 from ``start`` (years)."""
    from fentanet.simulate.params import INTERVENTION_KINDS

    return [{"kind": k, "start": start, "intensity": 1.0} for k in INTERVENTION_KINDS]


def new_sim(name: str, years: float, seed: int, *, every: bool = False):
    """A run of the built-in scenario ``name`` over ``years``, spun up and not stepped;
    with every intervention from 0.1 years when ``every``."""
    from fentanet.simulate.loop import Sim
    from fentanet.simulate.run import build_network, prepare

    sc = prepare(name, years=years, interventions=every_intervention() if every else None)
    return Sim(sc, build_network(sc), seed)


def states_at(sim, phase_name: str, steps: int):
    """Step ``sim`` ``steps`` times as :meth:`Sim.run_step` does, yielding it where each
    step's phase ``phase_name`` starts (to compare a phase's kernels on real states)."""
    from collections import defaultdict

    from fentanet.simulate.loop import PHASES

    for _ in range(steps):
        sim.t = sim.step * sim.dt
        sim.now = defaultdict(float)
        sim.topo.sync(sim.s)
        for name, phase in PHASES:
            if name == phase_name:
                yield sim
            phase(sim)
        sim.step += 1


def off_never_on(scenario, off: dict, never: dict, *, seed: int, years: float,
                 interventions: list | None = None) -> tuple[pd.DataFrame, ...]:
    """The series of an adaptive rule's off-switch test: the scenario with the rule off
    (the overrides ``off``), at a threshold it never reaches (``never``) and on (as given),
    each run with ``seed`` over ``years``."""
    import fentanet

    return tuple(fentanet.simulate(sc, seed=seed, years=years, interventions=interventions)
                 .series for sc in (scenario.override(off), scenario.override(never),
                                    scenario))


def seller_sums_now(sums, link_alive, link_src, alive) -> tuple:
    """``(ok, wsum, share)`` of the retail sellers' kept sums (``SellerSums``) brought up
    to date with the alive flags, as the distribution phase's compiled call does:
    ``ready``, then ``_refresh`` when due."""
    from fentanet.simulate.phases.distribution import _refresh

    if sums.ready(link_alive, alive):
        st = sums.stage
        _refresh(alive, sums.a_copy, sums.a_runs, link_alive, sums.l_copy, sums.l_runs,
                 link_src, sums.ok, sums.wsum, sums.share, sums.ptr, sums.idx, st.li, st.src,
                 st.dst, st.s_loc, st.w, st.s_map, st.d_map)
    return sums.ok, sums.wsum, sums.share


def interval(x) -> tuple[float, float]:
    """95% t-interval of the mean of paired differences."""
    x = np.asarray(x, dtype=float)
    half = stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
    return x.mean() - half, x.mean() + half
