"""Re-routing (adaptation, NarcoLogic): a lab whose routes lose a high share of recent
shipments links to a route with lower losses. The rule on a hand-made case, the hazard, the
off-switch, invariants and common random numbers on the toy with strong screening."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

import fentanet
from fentanet.scenarios import load
from fentanet.simulate.binomial import keyed_uniform
from fentanet.simulate.phases import adaptation
from fentanet.simulate.run import build_network, prepare
from fentanet.simulate.state import KIND, LKIND
from test_simulate import run_checked

LAB, ROUTE, ORG = KIND["lab"], KIND["route"], KIND["organization"]
LAND, AIR, SEA, POSTAL = 0, 1, 2, 3
PREFIX = np.uint64(0x1234_5678_9ABC_DEF0)


def _case():
    """Labs 0 (organization 10), 1 (organization 11), 2 (no organization); routes 3-8;
    organizations 10-12 (slots 9 unused). Links: 0->3, 1->6, 1->5, 2->7."""
    n = 13
    kind = np.full(n, ORG, dtype=np.int8)
    kind[[0, 1, 2]] = LAB
    kind[3:9] = ROUTE
    kind[9] = KIND["trafficker"]
    org = np.full(n, -1, dtype=np.int64)
    mode = np.full(n, -1, dtype=np.int8)
    loss = np.zeros(n)
    capacity = np.zeros(n)
    throughput = np.zeros(n)
    #          route: org, mode, loss, capacity, carried this step
    for r, (o, m, x, c, t) in {3: (10, AIR, 0.6, 1.0, 0.0), 4: (10, LAND, 0.1, 10.0, 0.05),
                               5: (11, SEA, 0.0, 1.0, 0.0), 6: (11, AIR, 0.5, 1.0, 0.0),
                               7: (12, POSTAL, 0.05, 5.0, 0.0),
                               8: (12, SEA, 0.0, 50.0, 0.0)}.items():
        org[r], mode[r], loss[r], capacity[r], throughput[r] = o, m, x, c, t
    org[[0, 1]] = 10, 11
    capacity[[0, 1, 2]] = 5.0, 1.0, 1.0
    src = np.array([0, 1, 1, 2], dtype=np.int64)
    dst = np.array([3, 6, 5, 7], dtype=np.int64)
    return dict(li=np.arange(4, dtype=np.int64), src=src, dst=dst,
                s_loc=np.array([0, 1, 1, 2], dtype=np.int64),
                senders=np.array([0, 1, 2], dtype=np.int64),
                link_alive=np.ones(4, dtype=bool), alive=np.ones(n, dtype=bool), kind=kind,
                org=org, mode=mode, loss=loss, capacity=capacity, throughput=throughput,
                uid=np.arange(100, 100 + n, dtype=np.int64),
                routes=np.arange(3, 9, dtype=np.int64), route_kind=ROUTE, dt=0.02,
                threshold=0.2, rate=1e12, prefix=PREFIX)


def _run(**change):
    c = _case()
    c.update(change)
    labs, routes = adaptation._reroutes(*c.values())
    return labs.tolist(), routes.tolist()


def test_the_rule_by_hand():
    """Lab 0 loses 0.6 (its one air route): its organization's land route 4 (lower loss,
    another mode, spare 10 * 0.02 - 0.05 = 0.15). Lab 1 loses (0.5 + 0) / 2 = 0.25: its
    organization has no route left, so any: not 3 (0.6 >= 0.25), not 8 (sea, a mode it
    has, though the most room); of land 4 and postal 7 the more spare room: 4 had 0.15
    against 0.1, but lab 0 took 5 * 0.02 = 0.1 of it, so 7. Lab 2 loses 0.05: none."""
    assert _run() == ([0, 1], [4, 7])
    # without lab 0's claim lab 1 takes route 4
    alive = np.ones(13, dtype=bool)
    alive[0] = False
    assert _run(alive=alive) == ([1], [4])
    # land and postal routes gone: lab 0's organization has none left, so any route of
    # another mode, the most room: sea 8 (not 5); lab 1 has sea, yet 8 is all it has left
    alive = np.ones(13, dtype=bool)
    alive[[4, 7]] = False
    assert _run(alive=alive) == ([0, 1], [8, 8])
    # a dead link does not count: lab 1's link to 5 retired, its share is 0.5 (air alone)
    # and its own organization's sea route 5 comes first
    link_alive = np.ones(4, dtype=bool)
    link_alive[2] = False
    assert _run(link_alive=link_alive) == ([0, 1], [4, 5])
    # a full route is no candidate: route 4 carried its room, so lab 0 takes any route of
    # another mode with the most room (sea 8), lab 1 postal 7 (8 is sea, a mode it has)
    tp = _case()["throughput"].copy()
    tp[4] = 0.2
    assert _run(throughput=tp) == ([0, 1], [8, 7])
    # below the threshold nobody moves
    assert _run(threshold=0.6) == ([], [])


def test_the_hazard_is_rate_times_the_excess_per_year():
    """Lab 0 (share 0.6, threshold 0.2) re-routes iff its keyed uniform is below
    ``1 - exp(-rate * 0.4 * dt)``."""
    u = keyed_uniform(np.uint64(100), PREFIX)
    at = -math.log1p(-u) / (0.4 * 0.02)  # the rate at which p equals u
    for rate, moves in ((at * 0.99, False), (at * 1.01, True)):
        labs, _ = _run(rate=rate, senders=np.array([0], dtype=np.int64),
                       li=np.arange(1, dtype=np.int64), src=np.array([0]), dst=np.array([3]),
                       s_loc=np.array([0]), link_alive=np.ones(1, dtype=bool))
        assert (labs == [0]) is moves
    assert _run(rate=0.0) == ([], [])


SCREEN = [{"kind": "border_security", "modes": ["air"], "start": 0.25, "intensity": 20.0}]


def test_invariants_and_new_links_on_the_toy_with_strong_screening():
    sc = prepare("toy", years=1.0, interventions=SCREEN)
    sim = run_checked(sc, build_network(sc), 1)  # material, stocks, people
    s = pd.DataFrame(sim.rows)
    n = int(s["reroutes"].sum())
    assert n >= 2 and (s["reroutes"][s["time"] < 0.25] == 0).all()
    ln, a = sim.s.links, sim.s.actors
    new = np.arange(ln.n)[(ln.kind == LKIND["ships"])
                          & (a.kind[ln.src] == LAB) & (a.kind[ln.dst] == ROUTE)]
    pairs = set(zip(ln.src[new].tolist(), ln.dst[new].tolist(), strict=True))
    assert len(pairs) == new.size  # no lab links twice to one route
    # the new routes are not air (every air route is screened hard)
    tail = new[-n:]
    assert (a.mode[ln.dst[tail]] != 1).all()


def test_off_is_no_reroute_at_all():
    """Off, the run is the one where no lab's losses reach the threshold (every other
    column bit for bit); on, under strong screening, labs re-route and the run differs."""
    sc = load("toy")
    off = fentanet.simulate(sc.override({"params.adaptation.reroute": False}), seed=1,
                            years=1.0, interventions=SCREEN).series
    never = fentanet.simulate(sc.override({"params.adaptation.reroute_threshold": 1.0}),
                              seed=1, years=1.0, interventions=SCREEN).series
    on = fentanet.simulate(sc, seed=1, years=1.0, interventions=SCREEN).series
    assert (off["reroutes"] == 0).all() and on["reroutes"].sum() > 0
    pd.testing.assert_frame_equal(off[never.columns], never)
    assert not off.equals(on)
    # without an intervention no toy lab loses a fifth of its shipments: on is off
    base_on = fentanet.simulate(sc, seed=1, years=1.0).series
    base_off = fentanet.simulate(sc.override({"params.adaptation.reroute": False}), seed=1,
                                 years=1.0).series
    pd.testing.assert_frame_equal(base_off[base_on.columns], base_on)


def test_common_random_numbers_hold_with_reroutes():
    sc = prepare("toy", years=1.0)
    net = build_network(sc)
    base = fentanet.simulate(sc, seed=1, network=net, interventions=SCREEN).series
    start = 0.75
    ivs = [*SCREEN, {"kind": "lab_raids", "start": start, "intensity": 3.0}]
    var = fentanet.simulate(sc, seed=1, network=net, interventions=ivs).series
    before = base["time"] < start - 1e-9
    assert base["reroutes"][before].sum() > 0
    pd.testing.assert_frame_equal(base[before], var[base.columns][before])
    assert not base[~before].equals(var[base.columns][~before])
