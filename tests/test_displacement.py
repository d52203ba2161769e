"""Displacement (NarcoLogic, Magliocca et al., PNAS 2019): a lab's shipments over routes
that feed the same receivers are split in proportion to capacity * exp(-beta * recent loss
share) (docs/model.md 7.4 and section 8, ``routes.displacement_beta``), the factor counted
once whichever room binds: the receivers' (traffickers'), the routes' own, or the
receivers' room in aggregate (the lab offers more than it can take). Off: by capacity.

One lab offers its ``capacity * dt`` (it holds 1,000 kg) a week over two land routes r1
and r2 that feed one trafficker (empty: room ``0.04 * capacity``); r1 lost 10% of its
shipments recently (beta 10: factor e^-1), r2 nothing. Before the twelfth session the
routes' room was already water-filled by ``capacity * exp(-beta * loss)`` and the lab split
by that room times ``exp(-beta * loss)`` again: ``capacity * exp(-2 beta loss)`` while the
lab's offer was below its routes' room (r1 got 0.119 and 0.575 of the first two cases,
audit-docs-a finding 2)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from fentanet.network.model import Network
from fentanet.simulate.loop import Sim
from fentanet.simulate.phases import interventions, shipping
from fentanet.simulate.scenario import Scenario

R1, R2, TRF = 2, 3, 4  # slots of the routes and the trafficker
E1 = math.exp(-1.0)  # r1's factor, exp(-10 * 0.1)


def _split(route_kg_a_year: tuple[float, float], lab_kg_a_year: float,
           trafficker_kg_a_year: float, displacement: bool = True,
           second_trafficker: float | None = None) -> tuple[float, float]:
    """What r1 and r2 take from the lab in one week (each route starts empty). With
    ``second_trafficker`` (its capacity), r2 feeds that trafficker (slot 7) instead."""
    actors = [
        {"id": "sup", "kind": "supplier", "capacity": 1e4},
        {"id": "lab", "kind": "lab", "capacity": lab_kg_a_year},
        {"id": "r1", "kind": "route", "capacity": route_kg_a_year[0], "mode": "land"},
        {"id": "r2", "kind": "route", "capacity": route_kg_a_year[1], "mode": "land"},
        {"id": "trf", "kind": "trafficker", "capacity": trafficker_kg_a_year},
        {"id": "dlr", "kind": "dealer", "capacity": 100.0},
        {"id": "mkt", "kind": "market", "demand": 52.0, "population": 1000.0}]
    links = [("sup", "lab", "supplies"), ("lab", "r1", "ships"), ("lab", "r2", "ships"),
             ("r1", "trf", "ships"), ("trf", "dlr", "distributes"), ("dlr", "mkt", "sells_to")]
    if second_trafficker is None:
        links.append(("r2", "trf", "ships"))
    else:
        actors.append({"id": "trf2", "kind": "trafficker", "capacity": second_trafficker})
        links += [("r2", "trf2", "ships"), ("trf2", "dlr", "distributes")]
    actors = pd.DataFrame(actors)
    actors["uid"] = np.arange(len(actors))
    links = pd.DataFrame([{"source": s, "target": t, "kind": k} for s, t, k in links])
    sc = Scenario.model_validate({"name": "t", "network": {"file": "x"}, "years": 0.2,
                                  "dt": 1 / 52, "warmup_years": 0.0,
                                  "params": {"routes": {"displacement": displacement}}})
    sim = Sim(sc, Network(actors, links), 1)
    a = sim.s.actors
    assert a.label[[R1, R2, TRF]].tolist() == ["r1", "r2", "trf"]
    a.cash[:] = 1e12
    a.product[1] = 1e3  # the lab offers its capacity * dt
    a.product[[R1, R2, TRF]] = 0.0
    a.product[7:] = 0.0  # the second trafficker
    a.loss[R1], a.loss[R2] = 0.1, 0.0
    sim.topo.sync(sim.s)
    interventions.run(sim)
    shipping._labs_to_routes(sim)
    return float(a.product[R1]), float(a.product[R2])


def _doc(c1: float, c2: float, f1: float = E1) -> float:
    """r1's share by the documented rule: capacity * exp(-beta * loss)."""
    return c1 * f1 / (c1 * f1 + c2)


def test_the_traffickers_room_binds_split_by_capacity_times_the_factor_once():
    """The lab offers 1 kg; the trafficker's room is 2.08 kg, less than the routes' own
    (100 and 100, or 100 and 10 kg a week), so it is what each route's room as
    pass-through is made of, and it takes the whole offer. Equal capacities: r1 gets
    e^-1 / (1 + e^-1) = 0.269 of it; r2 a tenth of r1's capacity: 10 e^-1 / (10 e^-1 + 1)
    = 0.786. (The double factor gave 0.119 and 0.575.)"""
    q1, q2 = _split((5200.0, 5200.0), 52.0, 52.0)
    assert q1 + q2 == pytest.approx(1.0, rel=1e-12)
    assert q1 == pytest.approx(_doc(1.0, 1.0), rel=1e-9)
    assert round(q1, 3) == 0.269
    q1, q2 = _split((5200.0, 520.0), 52.0, 52.0)
    assert q1 + q2 == pytest.approx(1.0, rel=1e-12)
    assert q1 == pytest.approx(_doc(10.0, 1.0), rel=1e-9)
    assert round(q1, 3) == 0.786


def test_the_routes_own_room_binds_split_by_capacity_times_the_factor():
    """Routes of 1 and 0.5 kg a week, a trafficker with room for 208 kg: the routes' own
    room is their room as pass-through. The lab offers 0.5 kg: r1 gets 0.5 * e^-1 / (e^-1
    + 0.5) = 0.212 (share 0.424), r2 the rest."""
    q1, q2 = _split((52.0, 26.0), 26.0, 5200.0)
    assert q1 + q2 == pytest.approx(0.5, rel=1e-12)
    assert q1 / (q1 + q2) == pytest.approx(_doc(2.0, 1.0), rel=1e-9)
    assert round(q1, 3) == 0.212


def test_the_traffickers_room_binds_in_aggregate_the_routes_carry_it_by_the_same_rule():
    """The lab offers 10 kg, more than the trafficker's room (2.08 kg): the routes carry
    all of that room, shared between them by capacity * exp(-beta * loss) (water-filled):
    0.269 and 0.786 of it, as in the first case. Water-filled by capacity alone, they
    would carry half each (and 10:1), displacement gone whenever the traffickers' room
    binds in aggregate."""
    for caps, c1 in (((5200.0, 5200.0), 1.0), ((5200.0, 520.0), 10.0)):
        q1, q2 = _split(caps, 520.0, 52.0)
        assert q1 + q2 == pytest.approx(2.08, rel=1e-12)
        assert q1 / (q1 + q2) == pytest.approx(_doc(c1, 1.0), rel=1e-9)


def test_without_displacement_the_split_is_by_capacity():
    """Off: half each at equal capacities, 10/11 = 0.909 to r1 at 10:1, whatever r1 lost,
    with the traffickers' room or the routes' own binding, or the lab's offer above the
    traffickers' room."""
    for caps, lab, trf, total in (((5200.0, 5200.0), 52.0, 52.0, 1.0),
                                  ((5200.0, 520.0), 52.0, 52.0, 1.0),
                                  ((52.0, 26.0), 26.0, 5200.0, 0.5),
                                  ((5200.0, 520.0), 520.0, 52.0, 2.08)):
        q1, q2 = _split(caps, lab, trf, displacement=False)
        assert q1 + q2 == pytest.approx(total, rel=1e-12)
        assert q1 / (q1 + q2) == pytest.approx(_doc(*caps, f1=1.0), rel=1e-9)


def test_routes_to_different_traffickers_split_by_each_ones_room_times_the_factor():
    """r1 is the only route to the trafficker (room 2.08 kg), r2 the only route to a second
    one (room 2.08 kg, or 4.16 kg): each route's room is its trafficker's, and the lab's
    1 kg goes by that room times the factor (the pull): e^-1 / (e^-1 + 1) = 0.269, and
    e^-1 / (e^-1 + 2) = 0.155. (Weighting a lab's split by the room as pass-through alone,
    water-filled by capacity times the factor, would split it by the rooms: the factor of
    a route that alone feeds its receiver would be lost.)"""
    for room2 in (2.08, 4.16):
        q1, q2 = _split((5200.0, 5200.0), 52.0, 52.0, second_trafficker=room2 / 0.04)
        assert q1 + q2 == pytest.approx(1.0, rel=1e-12)
        assert q1 == pytest.approx(2.08 * E1 / (2.08 * E1 + room2), rel=1e-9)
    assert round(q1, 3) == 0.155
