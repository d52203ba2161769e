"""Re-routing (adaptation, NarcoLogic): a lab whose routes lose a high share of recent
shipments links to a route with lower losses. The rule on a hand-made case, the hazard, the
off-switch, invariants and common random numbers on the toy with strong screening."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import fentanet
from fentanet.scenarios import load
from fentanet.simulate.binomial import keyed_uniform
from fentanet.simulate.phases import adaptation
from fentanet.simulate.run import build_network, prepare
from fentanet.simulate.state import KIND, LKIND
from simkit import off_never_on
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
    dst = np.array([3, 6, 5, 7], dtype=np.int64)
    return dict(li=np.arange(4, dtype=np.int64), dst=dst,
                s_loc=np.array([0, 1, 1, 2], dtype=np.int64),
                senders=np.array([0, 1, 2], dtype=np.int64),
                link_alive=np.ones(4, dtype=bool), alive=np.ones(n, dtype=bool), kind=kind,
                org=org, mode=mode, loss=loss, capacity=capacity, throughput=throughput,
                uid=np.arange(100, 100 + n, dtype=np.int64),
                routes=np.arange(3, 9, dtype=np.int64), route_kind=ROUTE, dt=0.02,
                threshold=0.2, rate=1e12, prefix=PREFIX, by_loss=True, by_room=False,
                held=np.zeros(n), through=np.zeros(n), room_threshold=0.2, room_rate=1e12,
                room_prefix=ROOM_PREFIX, mover_kind=LAB, by_supply=False, supply_rate=0.0,
                supply_prefix=SUPPLY_PREFIX)


ROOM_PREFIX = np.uint64(0x0FED_CBA9_8765_4321)
SUPPLY_PREFIX = np.uint64(0x5A5A_0F0F_3C3C_9669)


def _run(**change):
    c = _case()
    c.update(change)
    labs, routes, _, _ = adaptation._reroutes(*c.values())
    return labs.tolist(), routes.tolist()


def _room_case(**change):
    """The case moved by room alone: labs 0 and 2 held back (0.5, 0.6), lab 1 not (0.1);
    routes' spare room as pass-through: 4 (land, organization 10) 0.05, 5 (sea, 11) 0.3,
    7 (postal, 12) 0, 8 (sea, 12) 0.2; air routes 3 and 6 lose more than the threshold
    (0.6, 0.5), and their spare room (1 each) does not count."""
    held = np.zeros(13)
    held[[0, 1, 2]] = 0.5, 0.1, 0.6
    through = np.zeros(13)
    through[[3, 4, 5, 6, 7, 8]] = 1.0, 0.05, 0.3, 1.0, 0.0, 0.2
    c = dict(by_loss=False, by_room=True, held=held, through=through)
    c.update(change)
    got = _case()
    got.update(c)
    labs, routes, n_room, _ = adaptation._reroutes(*got.values())
    return labs.tolist(), routes.tolist(), n_room, got["held"]


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


def test_the_room_rule_by_hand():
    """Lab 0 (held back 0.5) takes its organization's land route 4 (spare 0.05; the mode
    does not count when the motive is room), taking 5 * 0.02 = 0.1 off it. Lab 1 (0.1)
    stays. Lab 2 (0.6, no organization) any route: not 3 or 6 (they lose more than 0.2),
    not 4 (lab 0 took its room), not 7 (full, and already its own); of 5 and 8 the more
    room, 5. Both start their held-back share afresh."""
    labs, routes, n_room, held = _room_case()
    assert (labs, routes, n_room) == ([0, 2], [4, 5], 2)
    assert held.tolist()[:3] == [0.0, 0.1, 0.0]
    # lab 1 held back too: its organization's routes 5 and 6 are its own already, so any:
    # sea 8 (a mode it has: no matter for room) over 4 (taken by lab 0); lab 2 then has 5
    held = np.zeros(13)
    held[[0, 1, 2]] = 0.5, 0.5, 0.6
    assert _room_case(held=held)[:3] == ([0, 1, 2], [4, 8, 5], 3)
    # the room is the pass-through room shipping keeps, not the route's own (capacity * dt
    # less what it carried): route 8's own is 1.0, yet with no room to carry on it is none
    through = _room_case()[3] * 0
    through[[4, 5]] = 0.05, 0.3
    labs, routes, _, _ = _room_case(through=through)
    assert (labs, routes) == ([0, 2], [4, 5])
    through[5] = 0.0
    assert _room_case(through=through)[:2] == ([0], [4])  # lab 2: no route with room
    # a route that loses at most the threshold is a candidate; one above it is not
    loss = _case()["loss"].copy()
    loss[5] = 0.2
    assert _room_case(loss=loss)[:2] == ([0, 2], [4, 5])
    loss[5] = 0.21
    assert _room_case(loss=loss)[:2] == ([0, 2], [4, 8])
    # held back at the threshold: no move
    assert _room_case(held=np.full(13, 0.2))[:3] == ([], [], 0)
    # both motives: losses first. Labs 0 and 1 lose 0.6 and 0.25: the loss rule's choices
    # (4, and postal 7: another mode, the more room of its own), counted as loss moves, not
    # the room rule's 8 for lab 1; lab 2 loses 0.05 and moves for room, to 5
    held[[0, 1, 2]] = 0.5, 0.5, 0.6
    assert _room_case(held=held, by_loss=True)[:3] == ([0, 1, 2], [4, 7, 5], 1)


def test_the_hazard_is_rate_times_the_excess_per_year():
    """Lab 0 (share 0.6, threshold 0.2) re-routes iff its keyed uniform is below
    ``1 - exp(-rate * 0.4 * dt)``."""
    u = keyed_uniform(np.uint64(100), PREFIX)
    at = -math.log1p(-u) / (0.4 * 0.02)  # the rate at which p equals u
    for rate, moves in ((at * 0.99, False), (at * 1.01, True)):
        labs, _ = _run(rate=rate, senders=np.array([0], dtype=np.int64),
                       li=np.arange(1, dtype=np.int64), dst=np.array([3]),
                       s_loc=np.array([0]), link_alive=np.ones(1, dtype=bool))
        assert (labs == [0]) is moves
    assert _run(rate=0.0) == ([], [])


def test_the_room_hazard_is_rate_times_the_excess_per_year():
    """Lab 2 (held back 0.6, threshold 0.2) links for room iff its uniform keyed by its uid
    in the room stream is below ``1 - exp(-rate * 0.4 * dt)``; the loss stream's uniform
    is another."""
    u = keyed_uniform(np.uint64(102), ROOM_PREFIX)
    assert u != keyed_uniform(np.uint64(102), PREFIX)
    at = -math.log1p(-u) / (0.4 * 0.02)
    held = np.zeros(13)
    held[2] = 0.6
    for rate, moves in ((at * 0.99, False), (at * 1.01, True)):
        labs = _room_case(held=held, room_rate=rate)[0]
        assert (labs == [2]) is moves
    assert _room_case(room_rate=0.0)[:3] == ([], [], 0)


SCREEN = [{"kind": "border_security", "modes": ["air"], "start": 0.25, "intensity": 20.0}]


LOSS_ONLY = {"params.adaptation.reroute_room": False,
             "params.adaptation.reroute_traffickers": False,
             "params.adaptation.reroute_supply": False}
"""The labs' loss motive alone: with re-routing for room the toy's labs have other routes
with room before the screening starts, and few move for losses (lost supply off too: its
choice reads reroute_threshold)."""
ROOM = {"params.adaptation.reroute_room": True}
WEEKS = 7
"""The week (counted from 1) in which the hand-made network's held-back labs move."""


def test_invariants_and_new_links_on_the_toy_with_strong_screening():
    for room in (False, True):
        sc = prepare(load("toy").override({"params.adaptation.reroute_room": room}),
                     years=1.0, interventions=SCREEN)
        # seed 3: seed 1's route arrest and the moves it brings fall in the spin-up, which
        # runs routine enforcement (sixteenth session), and the series would not see them
        sim = run_checked(sc, build_network(sc), 3)  # material, stocks, people
        s = pd.DataFrame(sim.rows)
        n = int(s["reroutes"].sum() + s["reroutes_room"].sum())
        ln, a = sim.s.links, sim.s.actors
        new = np.arange(ln.n)[(ln.kind == LKIND["ships"])
                              & (a.kind[ln.src] == LAB) & (a.kind[ln.dst] == ROUTE)]
        pairs = set(zip(ln.src[new].tolist(), ln.dst[new].tolist(), strict=True))
        assert len(pairs) == new.size  # no lab links twice to one route
        # traffickers' new links (the last ones from routes to traffickers, for losses or
        # lost supply): not from air, and no route links twice to one trafficker
        m = int(s["reroutes_traffickers"].sum() + s["reroutes_supply"].sum())
        fed = np.arange(ln.n)[(ln.kind == LKIND["ships"]) & (a.kind[ln.src] == ROUTE)
                              & (a.kind[ln.dst] == KIND["trafficker"])]
        assert m >= 1 and (s["reroutes_traffickers"][s["time"] < 0.25] == 0).all()
        assert (a.mode[ln.src[fed[-m:]]] != 1).all()
        assert len(set(zip(ln.src[fed].tolist(), ln.dst[fed].tolist(), strict=True))) == fed.size
        if room:
            assert n >= 1 and s["reroutes_room"].sum() >= 1
            continue
        assert n >= 2 and (s["reroutes"][s["time"] < 0.25] == 0).all()
        # the new routes are not air (every air route is screened hard)
        tail = new[-n:]
        assert (a.mode[ln.dst[tail]] != 1).all()


def test_off_is_no_reroute_at_all():
    """Off, the run is the one where no lab's losses reach the threshold (every other
    column bit for bit); on, under strong screening, labs re-route and the run differs."""
    sc = load("toy").override(LOSS_ONLY)
    off, never, on = off_never_on(sc, {"params.adaptation.reroute": False},
                                  {"params.adaptation.reroute_threshold": 1.0}, seed=1,
                                  years=1.0, interventions=SCREEN)
    assert (off["reroutes"] == 0).all() and on["reroutes"].sum() > 0
    pd.testing.assert_frame_equal(off[never.columns], never)
    assert not off.equals(on)
    # without an intervention no toy lab loses a fifth of its shipments: on is off (with
    # re-routing for room on as well)
    for base in (sc, load("toy").override(ROOM)):
        base_on = fentanet.simulate(base, seed=1, years=1.0).series
        base_off = fentanet.simulate(base.override({"params.adaptation.reroute": False}),
                                     seed=1, years=1.0).series
        pd.testing.assert_frame_equal(base_off[base_on.columns], base_on)


def test_common_random_numbers_hold_with_reroutes():
    for sc in (load("toy").override(LOSS_ONLY), load("toy").override(ROOM)):
        sc = prepare(sc, years=1.0)
        net = build_network(sc)
        base = fentanet.simulate(sc, seed=1, network=net, interventions=SCREEN).series
        start = 0.75
        ivs = [*SCREEN, {"kind": "lab_raids", "start": start, "intensity": 3.0}]
        var = fentanet.simulate(sc, seed=1, network=net, interventions=ivs).series
        before = base["time"] < start - 1e-9
        assert (base["reroutes"] + base["reroutes_room"])[before].sum() > 0
        pd.testing.assert_frame_equal(base[before], var[base.columns][before])
        assert not base[~before].equals(var[base.columns][~before])


def _sim_of(net, **adaptation):
    """A Sim on ``net`` (0.2 years, no spin-up, the ``adaptation`` parameters given) and
    each actor's slot by id."""
    from fentanet.simulate.loop import Sim
    from fentanet.simulate.scenario import Scenario

    sc = Scenario.model_validate({"name": "t", "network": {"file": "x"}, "years": 0.2,
                                  "warmup_years": 0.0,
                                  "params": {"adaptation": adaptation}})
    sim = Sim(sc, net, 1)
    return sim, {x: i for i, x in enumerate(sim.s.actors.label)}


def _held_network_sim(**adaptation):
    """simkit's hand-made network (no spin-up): organization 0's three routes carry 2.6 kg
    a year each (0.05 a week) for its two labs of 60; organization 1's labs make 10, so its
    routes have room to spare."""
    from simkit import supply_network

    net = supply_network()
    a = net.actors
    a.loc[a["id"].str.startswith("rte-0"), "capacity"] = 2.6
    a.loc[a["id"].str.startswith("lab-1"), "capacity"] = 10.0
    return _sim_of(net, **adaptation)


def test_the_held_back_share_and_the_room_rule_on_a_hand_made_network():
    """Organization 0's labs offer min(product, 60 * dt) a week and its routes take 3 x 0.05,
    half each: each lab holds back 1 - 0.075 / 1.1538 of its offer, and its recent
    held-back share follows ``h += (share - h) * (1 - exp(-dt / 0.25))``, but not in the
    first two weeks: nothing moves (the chain starts full), and a step in which no lab
    placed anything changes no share. With ``reroute_room_threshold`` 0.25 and
    a rate that makes the move certain, both labs move in the week their share passes
    0.25 (the seventh): no route of their own organization is left, so organization 1's
    with the most spare room, lab-00 (the lower slot) first: two of its routes tie at the
    most (rte-10 and rte-11; rte-12's receivers have less that week), the lowest slot
    (rte-10) wins, and lab-00's 60 * dt taken off rte-10 leaves lab-01 rte-11.
    Organization 1's labs ship all they offer and stay."""
    sim, slot = _held_network_sim(reroute_room=True, reroute_room_threshold=0.25,
                                  reroute_room_rate=1e9)
    a, ln = sim.s.actors, sim.s.links
    labs = [slot[x] for x in ("lab-00", "lab-01", "lab-10", "lab-11")]
    g = 1.0 - math.exp(-sim.dt / 0.25)
    h = np.zeros(4)
    n0 = ln.n
    for week in range(WEEKS):
        sim.run_step()
        shipped = a.throughput[labs]
        if week >= 2:
            assert shipped[:2] == pytest.approx([3 * 2.6 * sim.dt / 2] * 2, rel=1e-12)
            assert shipped[2:] == pytest.approx([10.0 * sim.dt] * 2, rel=1e-12)
        if week >= 2:  # a step in which no lab placed anything changes no share
            h = h + (1.0 - shipped / np.minimum(a.product[labs] + shipped, a.capacity[labs]
                                                * sim.dt) - h) * g
        else:
            assert shipped.sum() == 0
        if week < WEEKS - 1:
            assert a.held[labs] == pytest.approx(h, rel=1e-12, abs=1e-15)
            assert ln.n == n0 and sim.rows[-1]["reroutes_room"] == 0
    assert h[0] > 0.25 > h[2] and h[0] == pytest.approx(h[1])
    spare = {x: a.spare[slot[x]] for x in ("rte-10", "rte-11", "rte-12")}
    assert spare["rte-10"] == spare["rte-11"] > spare["rte-12"] > 0
    new = list(zip(a.label[ln.src[n0:]].tolist(), a.label[ln.dst[n0:]].tolist(), strict=True))
    assert new == [("lab-00", "rte-10"), ("lab-01", "rte-11")]
    assert (ln.kind[n0:] == LKIND["ships"]).all()
    assert sim.rows[-1]["reroutes_room"] == 2 and sim.rows[-1]["reroutes"] == 0
    assert a.held[labs[:2]].tolist() == [0.0, 0.0]  # afresh after the move
    sim.run_step()  # the new links carry from the next week on
    assert (a.throughput[labs[:2]] > 3 * 2.6 * sim.dt / 2 * 1.5).all()


def test_the_room_rule_off_and_at_a_threshold_never_reached_are_the_same_run():
    """Off, the run is the one where no lab's held-back share reaches the threshold (every
    column bit for bit), on the toy whose labs are held back; on, labs re-route for room
    (in the spin-up and the run: seed 3, as seed 1's all fall in the spin-up since it runs
    routine enforcement) and the run differs."""
    off, never, on = off_never_on(load("toy").override(ROOM),
                                  {"params.adaptation.reroute_room": False},
                                  {"params.adaptation.reroute_room_threshold": 1.0}, seed=3,
                                  years=1.0)
    pd.testing.assert_frame_equal(off, never)
    assert (off["reroutes_room"] == 0).all() and on["reroutes_room"].sum() > 0
    assert on["supply_kg"].sum() > 1.1 * off["supply_kg"].sum()


def test_the_held_back_share_counts_room_refused_not_cash():
    """Organization 0's labs ship only to organization 1's first route (other payers: the
    route's organization buys the product), whose organization has no cash, and whose own
    labs make nothing (the route alone feeds its traffickers): from the fourth week, once
    the traffickers' full start has drained, the route has room for the labs' offers, the
    plan places them, the cash limit moves nothing, and no share of the offer counts as
    held back: the recent share only decays, ``h *= exp(-dt / 0.25)``, while nothing is
    shipped. The same labs behind a route without room (cash enough) hold back most of
    their offer. A share taken after the cash limits would rise in both."""
    from simkit import supply_network

    def run(route_capacity: float, broke: bool) -> tuple[list, np.ndarray, float]:
        net = supply_network()
        lk = net.links
        own = lk["source"].str.startswith("lab-0") & (lk["kind"] == "ships")
        idle = lk["source"].isin(["rte-11", "rte-12"])  # their share of the traffickers'
        lk = lk[~own & ~idle]  # room would be theirs (water-filled by capacity)
        extra = pd.DataFrame({"source": ["lab-00", "lab-01"], "target": ["rte-10"] * 2,
                              "kind": "ships"})
        net = type(net)(actors=net.actors, links=pd.concat([lk, extra], ignore_index=True),
                        meta=net.meta)
        a = net.actors
        a.loc[a["id"] == "rte-10", "capacity"] = route_capacity
        a.loc[a["id"].str.startswith("lab-1"), "capacity"] = 0.0
        sim, slot = _sim_of(net, reroute_room=False)
        labs = [slot["lab-00"], slot["lab-01"]]
        payer = sim.s.actors.payer[slot["rte-10"]]
        held = []
        for _ in range(WEEKS):
            if broke:
                sim.s.actors.cash[payer] = 0.0
            sim.run_step()
            held.append(sim.s.actors.held[labs].copy())
        return held, sim.s.actors.throughput[labs], math.exp(-sim.dt / 0.25)

    held, shipped, keep = run(150.0, broke=True)  # room, no cash: nothing moves
    assert shipped.tolist() == [0.0, 0.0]
    for week in range(3, WEEKS):
        assert held[week] == pytest.approx(held[week - 1] * keep, rel=1e-12)
    assert (held[-1] < 0.02).all()
    held, shipped, _ = run(2.6, broke=False)  # cash, little room: held back
    assert (shipped > 0).all() and (held[-1] > 0.3).all()


def _traffickers(sim, labs, routes):
    """The traffickers' pass of the step (:func:`adaptation._reroute_traffickers`, by the
    run's parameters) after the labs' new links ``labs`` to ``routes``: (traffickers,
    routes, how many moved for lost supply)."""
    ad, a, st = sim.p.adaptation, sim.s.actors, sim.topo.stages["route"]
    if not st.size:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), 0
    return adaptation._reroute_traffickers(
        st.li, st.src, st.d_loc, st.receivers, sim.s.links.alive, a.alive, a.kind, a.org,
        a.mode, a.loss, a.capacity, a.throughput, a.uid, a.held, a.spare,
        sim.topo.slots("route"), sim.dt, ad.reroute_traffickers, ad.reroute_supply,
        ad.reroute_threshold, ad.reroute_rate, ad.reroute_supply_rate,
        sim.streams.prefix("adaptation.reroute_traffickers", sim.step),
        sim.streams.prefix("adaptation.reroute_supply", sim.step), labs, routes)


def test_traffickers_reroute_by_the_labs_rule_by_hand():
    """trf-00 is fed by organization 0's air route alone, which loses 0.6 of its recent
    shipments: it links from its organization's land or postal route (another mode), the
    one with the more spare room (capacity * dt less what it carried: postal, which
    carried 0.2 of its room, against land's 0.5). trf-01 is fed by
    all three (capacity-weighted share 0.6 / 3 = 0.2): at the threshold, it stays. A lab
    that re-routed to that route in the same step took its room first: then the other."""
    from simkit import supply_network

    net = supply_network()
    lk = net.links
    net = type(net)(actors=net.actors, links=lk[~(lk["source"].isin(["rte-00", "rte-02"])
                                                  & (lk["target"] == "trf-00"))],
                    meta=net.meta)
    sim, slot = _sim_of(net, reroute=False, reroute_room=False, reroute_rate=1e12)
    sim.run_step()
    a, ln = sim.s.actors, sim.s.links
    land, air, postal = slot["rte-00"], slot["rte-01"], slot["rte-02"]
    a.loss[:] = 0.0
    a.loss[air] = 0.6
    room = a.capacity[land] * sim.dt
    a.throughput[[land, postal]] = 0.5 * room, 0.2 * room  # carried this step
    spare = a.capacity * sim.dt - a.throughput
    first, other = postal, land
    none = np.zeros(0, dtype=np.int64)
    takers, sources, _ = _traffickers(sim, none, none)
    assert (takers.tolist(), sources.tolist()) == ([slot["trf-00"]], [first])
    # a lab's claim of this step on that route (its capacity * dt) leaving it less spare
    # room than the other: the other; leaving it more: the same
    lab = slot["lab-10"]
    gap = spare[first] - spare[other]
    carried = a.throughput.copy()
    for claim, chosen in ((1.01 * gap, other), (0.99 * gap, first)):
        a.capacity[lab] = claim / sim.dt
        takers, sources, _ = _traffickers(sim, np.array([lab]), np.array([first]))
        assert (takers.tolist(), sources.tolist()) == ([slot["trf-00"]], [chosen])
        assert a.throughput.tobytes() == carried.tobytes()  # the claim counted, then undone
    # two claims on one route add up (0.51 of the gap each): the other
    a.capacity[lab] = 0.51 * gap / sim.dt
    _, sources, _ = _traffickers(sim, np.array([lab, lab]), np.array([first, first]))
    assert sources.tolist() == [other] and a.throughput.tobytes() == carried.tobytes()
    a.capacity[lab] = 60.0
    # appended as a route's ships link and counted in the step's row; in the next step
    # trf-00's share is (0.6 (1 - g) + the air step's own loss g) / 2 over air and postal,
    # still above 0.2: it links from land as well
    n0 = ln.n
    adaptation._reroute(sim)
    assert (ln.src[n0:].tolist(), ln.dst[n0:].tolist()) == ([first], [slot["trf-00"]])
    assert ln.kind[n0] == LKIND["ships"] and sim.now["reroutes_traffickers"] == 1.0
    sim.run_step()
    assert sim.rows[-1]["reroutes_traffickers"] == 1.0
    assert (ln.src[n0 + 1:].tolist(), ln.dst[n0 + 1:].tolist()) == ([other], [slot["trf-00"]])
    # fed by all three (once the stages see the new link), its share a third of air's:
    # at most the threshold, nobody moves
    sim.topo.sync(sim.s)
    a.loss[:] = 0.0
    a.loss[air] = 0.6
    assert _traffickers(sim, none, none)[0].size == 0


def test_the_traffickers_rule_off_and_at_a_threshold_never_reached_are_the_same_run():
    """Off, the run is the one where no trafficker's routes lose more than the threshold
    (every column bit for bit; the labs' loss motive and the traffickers' lost-supply
    motive off in all three, as they read the threshold); on, under strong screening of
    air, traffickers fed by air link from other routes and the run differs. Without an
    intervention no toy trafficker moves."""
    sc = load("toy").override({"params.adaptation.reroute": False,
                               "params.adaptation.reroute_supply": False})
    off, never, on = off_never_on(sc, {"params.adaptation.reroute_traffickers": False},
                                  {"params.adaptation.reroute_threshold": 1.0}, seed=1,
                                  years=1.0, interventions=SCREEN)
    pd.testing.assert_frame_equal(off, never)
    assert (off["reroutes_traffickers"] == 0).all() and on["reroutes_traffickers"].sum() > 0
    assert not off.equals(on)
    base_on = fentanet.simulate(sc, seed=1, years=1.0).series
    base_off = fentanet.simulate(
        sc.override({"params.adaptation.reroute_traffickers": False}), seed=1,
        years=1.0).series
    pd.testing.assert_frame_equal(base_off, base_on)


def test_only_traffickers_reroute_not_other_receivers_of_routes():
    """A network file may have routes ship to a route (an onward leg) or to a dealer: those
    receivers of the screened air route keep their routes (before, the route could link
    from itself, a self-loop, and both were counted as traffickers); trf-00 and trf-01, fed
    by the air route and two safe ones (share 0.6 / 3 = 0.2), stay too."""
    from simkit import supply_network

    net = supply_network()
    extra = pd.DataFrame({"source": ["rte-01", "rte-01"], "target": ["rte-10", "dlr-000"],
                          "kind": "ships"})
    net = type(net)(actors=net.actors, links=pd.concat([net.links, extra], ignore_index=True),
                    meta=net.meta)
    sim, slot = _sim_of(net, reroute=False, reroute_room=False, reroute_rate=1e12)
    sim.run_step()
    a = sim.s.actors
    a.loss[:] = 0.0
    a.loss[slot["rte-01"]] = 0.6
    a.throughput[:] = 0.0
    kinds = set(a.kind[sim.topo.stages["route"].receivers].tolist())
    assert kinds == {ROUTE, KIND["trafficker"], KIND["dealer"]}
    none = np.zeros(0, dtype=np.int64)
    takers, _, _ = _traffickers(sim, none, none)
    assert takers.size == 0
    a.loss[slot["rte-00"]] = 0.6  # trf-00 and trf-01 now lose 0.4: they move, only they
    takers, sources, _ = _traffickers(sim, none, none)
    assert sorted(takers.tolist()) == [slot["trf-00"], slot["trf-01"]]
    assert (a.kind[sources] == ROUTE).all() and not set(sources) & set(takers)


def _stranded_sim(**adaptation):
    """simkit's hand-made network after one step, with trf-00 fed by rte-00 (land) alone,
    a trafficker trf-x fed by trf-10 alone (no route) and a dealer fed by rte-00 too;
    re-routing for lost supply certain (the rate), every other motive off. Routes lose
    nothing; rte-01 (air) and rte-02 (postal) carried 0.5 and 0.2 of their room."""
    from simkit import supply_network

    net = supply_network()
    lk = net.links
    lk = lk[~(lk["source"].isin(["rte-01", "rte-02"]) & (lk["target"] == "trf-00"))]
    extra_a = pd.DataFrame({"id": ["trf-x"], "kind": ["trafficker"], "capacity": [20.0],
                            "uid": [net.actors["uid"].max() + 1]})
    extra = pd.DataFrame({"source": ["trf-10", "rte-00"], "target": ["trf-x", "dlr-000"],
                          "kind": ["distributes", "ships"]})
    net = type(net)(actors=pd.concat([net.actors, extra_a], ignore_index=True),
                    links=pd.concat([lk, extra], ignore_index=True), meta=net.meta)
    sim, slot = _sim_of(net, **{"reroute": False, "reroute_room": False,
                                "reroute_traffickers": False, "reroute_supply_rate": 1e12,
                                **adaptation})
    sim.run_step()
    a = sim.s.actors
    a.loss[:] = 0.0
    room = a.capacity[slot["rte-01"]] * sim.dt
    a.throughput[:] = 0.0
    a.throughput[[slot["rte-01"], slot["rte-02"]]] = 0.5 * room, 0.2 * room
    return sim, slot


def _set_adaptation(sim, **change):
    """Change adaptation parameters of a running Sim (the parameters are frozen)."""
    ad = sim.p.adaptation.model_copy(update=change)
    sim.p = sim.p.model_copy(update={"adaptation": ad})


def test_a_trafficker_whose_routes_are_gone_links_from_a_route_with_room():
    """trf-00's only route (rte-00) is arrested: it links from its organization's route
    with the most spare room (postal rte-02: 0.8 of its room against air's 0.5; every mode
    is one it lacks, as it has no alive route), counted as a move for lost supply, not for
    losses. trf-01 keeps two alive routes, trf-x is fed by a trafficker and the dealer is
    no trafficker: none moves. A route losing more than reroute_threshold is no candidate.
    Its organization's routes all gone or full: another organization's with the most room
    (rte-10 and rte-11 tie: the lower slot). Before the rule trf-00 stayed cut off."""
    sim, slot = _stranded_sim()
    a = sim.s.actors
    none = np.zeros(0, dtype=np.int64)
    assert _traffickers(sim, none, none)[0].size == 0  # all fed
    a.alive[slot["rte-00"]] = False
    takers, sources, n_supply = _traffickers(sim, none, none)
    assert (takers.tolist(), sources.tolist(), n_supply) == ([slot["trf-00"]],
                                                            [slot["rte-02"]], 1)
    # a lab that re-routed to rte-02 in the step took more than the 0.3 of room it led by
    lab = slot["lab-10"]
    a.capacity[lab] = 0.31 * a.capacity[slot["rte-02"]]
    takers, sources, _ = _traffickers(sim, np.array([lab]), np.array([slot["rte-02"]]))
    assert sources.tolist() == [slot["rte-01"]]
    a.capacity[lab] = 60.0
    # a route that loses more than reroute_threshold (0.2) is no candidate (the loss
    # motive would leave it); at the threshold it is
    a.loss[slot["rte-02"]] = 0.21
    assert _traffickers(sim, none, none)[1].tolist() == [slot["rte-01"]]
    a.loss[slot["rte-02"]] = 0.2
    assert _traffickers(sim, none, none)[1].tolist() == [slot["rte-02"]]
    # its organization's routes gone or full: organization 1's, the most room, lowest slot
    a.alive[slot["rte-02"]] = False
    a.throughput[slot["rte-01"]] = a.capacity[slot["rte-01"]] * sim.dt
    a.throughput[slot["rte-12"]] = 0.1
    assert slot["rte-10"] < slot["rte-11"]
    takers, sources, _ = _traffickers(sim, none, none)
    assert (takers.tolist(), sources.tolist()) == ([slot["trf-00"]], [slot["rte-10"]])
    # trf-01 loses its last organization route too: it moves as well, in slot order
    a.alive[slot["rte-01"]] = False
    takers, sources, n_supply = _traffickers(sim, none, none)
    assert takers.tolist() == sorted([slot["trf-00"], slot["trf-01"]]) and n_supply == 2
    assert set(sources.tolist()) == {slot["rte-10"], slot["rte-11"]}
    # off: nobody moves
    _set_adaptation(sim, reroute_supply=False)
    assert _traffickers(sim, none, none)[0].size == 0


def test_the_new_supply_link_is_appended_counted_and_carries():
    """Through the phase: rte-00 arrested, trf-00's new link from rte-02 is a ships link
    appended in the step, counted in reroutes_supply (reroutes_traffickers 0). It does not
    move again, and from the second step on (in the first its stock is still at its
    target, 0.04 * 80 = 3.2: no room) it receives again (stock now = stock before - what
    it shipped + what came in, the inflow positive); with the rule off nothing comes in and
    its stock drains by what it ships."""
    sim, slot = _stranded_sim()
    a, ln = sim.s.actors, sim.s.links
    t = slot["trf-00"]
    a.alive[slot["rte-00"]] = False
    n0 = ln.n
    adaptation._reroute(sim)
    assert (ln.src[n0:].tolist(), ln.dst[n0:].tolist()) == ([slot["rte-02"]], [t])
    assert ln.kind[n0] == LKIND["ships"]
    assert sim.now["reroutes_supply"] == 1.0 and sim.now["reroutes_traffickers"] == 0.0
    off, slot_off = _stranded_sim(reroute_supply=False)
    off.s.actors.alive[slot_off["rte-00"]] = False
    for week in range(4):
        stocks = a.product[t], off.s.actors.product[t]
        sim.run_step()
        off.run_step()
        assert sim.rows[-1]["reroutes_supply"] == 0.0 and ln.n == n0 + 1
        inflow = a.product[t] - stocks[0] + a.throughput[t]
        assert inflow > 0.1 if week else inflow == pytest.approx(0.0, abs=1e-12)
        drained = off.s.actors.product[t] - stocks[1] + off.s.actors.throughput[t]
        assert drained == pytest.approx(0.0, abs=1e-12)
    assert a.product[t] > off.s.actors.product[t] + 1.0


def test_the_supply_hazard_is_its_rate_per_year_in_its_own_stream():
    """trf-00 (no alive route) links iff its uniform keyed by its uid in the stream
    ``adaptation.reroute_supply`` is below ``1 - exp(-reroute_supply_rate * dt)``."""
    sim, slot = _stranded_sim()
    a = sim.s.actors
    a.alive[slot["rte-00"]] = False
    u = keyed_uniform(np.uint64(a.uid[slot["trf-00"]]),
                      sim.streams.prefix("adaptation.reroute_supply", sim.step))
    at = -math.log1p(-u) / sim.dt
    none = np.zeros(0, dtype=np.int64)
    for rate, moves in ((at * 0.99, False), (at * 1.01, True)):
        _set_adaptation(sim, reroute_supply_rate=rate)
        takers = _traffickers(sim, none, none)[0]
        assert (takers.tolist() == [slot["trf-00"]]) is moves


def test_the_supply_rule_off_and_at_rate_zero_are_the_same_run():
    """Off, the run is the one where no stranded trafficker ever moves (rate 0: every
    column bit for bit); on, the toy's traffickers cut off by its one route arrest (seed 3;
    seed 1's falls in the spin-up, which runs routine enforcement, and its moves with it)
    link from other routes and the run differs."""
    off, never, on = off_never_on(load("toy"), {"params.adaptation.reroute_supply": False},
                                  {"params.adaptation.reroute_supply_rate": 0.0}, seed=3,
                                  years=1.0)
    pd.testing.assert_frame_equal(off, never)
    assert (off["reroutes_supply"] == 0).all() and on["reroutes_supply"].sum() > 0
    assert off["arrests_route"].sum() >= 1
    assert not off.equals(on)


def test_supply_moves_only_fed_traffickers_from_alive_routes_on_the_toy():
    """Invariants over the toy's run under an organization takedown (seed 3, 2 years):
    each step's new route-to-trafficker links (as many as the step's reroutes_traffickers
    and reroutes_supply) come from routes alive at the step's end to traffickers some
    route shipped to before the step (none fed by traffickers alone starts receiving from
    routes), and no route ships twice to one trafficker. Seed 3: seed 1's stranding route
    arrest falls in the spin-up, which runs routine enforcement."""
    from fentanet.simulate.loop import Sim

    sc = prepare("toy", years=2.0, interventions=[{"kind": "organization_takedown",
                                                   "intensity": 3.0}])
    sim = Sim(sc, build_network(sc), 3)
    a, ln = sim.s.actors, sim.s.links
    moves = 0
    while len(sim.rows) < round(2.0 / sim.dt):
        sim.topo.sync(sim.s)
        fed = set(sim.topo.stages["route"].receivers.tolist())
        n0 = ln.n
        sim.run_step()
        new = np.arange(n0, ln.n)
        new = new[(a.kind[ln.src[new]] == ROUTE) & (ln.kind[new] == LKIND["ships"])]
        row = sim.rows[-1]
        assert new.size == row["reroutes_traffickers"] + row["reroutes_supply"]
        assert a.alive[ln.src[new]].all()
        assert (a.kind[ln.dst[new]] == KIND["trafficker"]).all()
        assert set(ln.dst[new].tolist()) <= fed
        moves += int(row["reroutes_supply"])
    assert moves >= 1
    ships = np.flatnonzero((ln.kind[: ln.n] == LKIND["ships"]) & (a.kind[ln.src[: ln.n]]
                                                                   == ROUTE))
    assert len(set(zip(ln.src[ships].tolist(), ln.dst[ships].tolist(), strict=True))) \
        == ships.size
