"""Shipping's kernels after the thirteenth session's speed-ups against the kernels they
replace (kept in tests/shipping_plain.py), bit for bit: on random instances and on the
states real runs reach where the shipping phase starts (us-baseline; the toy with every
intervention)."""

from __future__ import annotations

import numpy as np
import pytest

from fentanet.simulate import kernels
from fentanet.simulate.phases.shipping import (
    ROUTE,
    _capacity_share,
    _route_pref,
    _route_rooms,
    _through_room,
)
from shipping_plain import (
    plain_capacity_share,
    plain_route_pref,
    plain_route_rooms,
    plain_through_room,
    plain_water_fill,
)
from simkit import new_sim, same, states_at


def random_instance(rng, nr, nd, m):
    """Links, weights, caps and rooms with zeros, ties and scales far apart."""
    s_loc = rng.integers(0, nr, m).astype(np.int32)
    d_loc = rng.integers(0, nd, m).astype(np.int32)
    on = rng.random(m) < 0.9
    weight = rng.random(nr) * np.exp(-10 * rng.random(nr)) * (rng.random(nr) < 0.95)
    cap = rng.random(nr) * rng.choice([1e-3, 1.0, 10.0], nr) * (rng.random(nr) < 0.9)
    room = rng.random(nd) * (rng.random(nd) < 0.9)
    weight[rng.random(nr) < 0.1] = 1.0  # equal weights
    return s_loc, d_loc, on, weight, cap, room


@pytest.mark.parametrize("seed", range(40))
def test_water_fill_is_the_plain_one_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    nr, nd = int(rng.integers(1, 60)), int(rng.integers(1, 80))
    # links fewer and more than senders: the answers go over links, then over senders
    m = int(rng.integers(0, 4 * (nr + nd)))
    args = random_instance(rng, nr, nd, m)
    same(kernels.water_fill(*args), plain_water_fill(*args))
    wide = (args[0].astype(np.int64), args[1].astype(np.int64), *args[2:])
    same(kernels.water_fill(*wide), plain_water_fill(*wide))


def test_water_fill_over_many_rounds_is_the_plain_one():
    """A chain of receivers each fed by two senders, every sender full after taking a
    little: the room goes round after round to the senders left."""
    n = 50
    s_loc = np.concatenate([np.arange(n), np.arange(1, n + 1)]).astype(np.int32)
    d_loc = np.concatenate([np.arange(n), np.arange(n)]).astype(np.int32)
    on = np.ones(2 * n, dtype=np.bool_)
    weight = 1.0 + np.arange(n + 1) % 3
    cap = 0.1 * (1 + np.arange(n + 1) % 7)
    room = np.full(n, 0.5)
    x = kernels.water_fill(s_loc, d_loc, on, weight, cap, room)
    same(x, plain_water_fill(s_loc, d_loc, on, weight, cap, room))
    assert np.all(np.bincount(s_loc, weights=x) <= cap * (1 + 1e-12))


def check_route_rooms(sim) -> int:
    """The lab stage's route part (the routes' rooms, the water-fill of their receivers'
    room, the capacity share, the labs' preference) on ``sim``'s state against the plain
    kernels, with the displacement factor and without. Returns how many route links the
    water-fill gave some room."""
    a, p = sim.s.actors, sim.p
    st, rt = sim.topo.stages["lab"], sim.topo.stages["route"]
    args = (a.alive, a.kind, a.capacity, a.product, sim.dt, p.supply.stock_cover_years,
            ROUTE)
    links = sim.s.links.alive
    rroom, own, on = plain_route_rooms(rt.li, rt.src, rt.dst, rt.s_loc, rt.receivers,
                                       rt.senders.size, links, *args)
    got = _route_rooms(rt.li, rt.src, rt.dst, rt.senders, rt.receivers, links, *args)
    for x, y in zip(got, (rroom, own, a.capacity[rt.senders], on), strict=True):
        same(x, y)
    cap = got[2]
    share = _capacity_share(rt.s_loc, rt.d_loc, rroom, own, cap, on)
    same(share, plain_capacity_share(rt.src, rt.s_loc, rt.d_loc, rroom, own, on, a.capacity))
    room = kernels.offer_room(st.senders, st.receivers, *args)[1]
    beta = p.routes.displacement_beta
    risk = np.exp(-beta * a.loss[rt.senders])
    risk_in = np.exp(-beta * a.loss[st.receivers])
    for r in (risk, np.ones(rt.senders.size)):
        plain_room, new_room = room.copy(), room.copy()
        same(_through_room(new_room, st.receivers, rt.s_loc, rt.d_loc, rt.s_map, r, rroom,
                           own, on, cap, a.kind, ROUTE),
             plain_through_room(plain_room, st.receivers, rt.src, rt.s_loc, rt.d_loc,
                                rt.s_map, r, rroom, own, on, a.kind, a.capacity, ROUTE))
        same(new_room, plain_room)
        same(_route_pref(st.li, st.d_loc, st.receivers, a.kind, new_room, share, rt.s_map,
                         risk_in),
             plain_route_pref(st.li, st.d_loc, st.receivers, a.kind, plain_room, share,
                              rt.s_map, risk_in, ROUTE))
    weight = a.capacity[rt.senders] * risk
    x = kernels.water_fill(rt.s_loc, rt.d_loc, on, weight, own, rroom)
    same(x, plain_water_fill(rt.s_loc, rt.d_loc, on, weight, own, rroom))
    return int((x > 0).sum())


@pytest.fixture(scope="module")
def us_baseline():
    return new_sim("us-baseline", 0.2, 1)


@pytest.fixture(scope="module")
def toy_every_intervention():
    return new_sim("toy", 2.0, 2, every=True)


def test_route_rooms_on_us_baseline_states_are_the_plain_ones(us_baseline):
    carried = sum(check_route_rooms(sim) for sim in states_at(us_baseline, "shipping", 6))
    assert carried > 10_000  # the routes carry


def test_route_rooms_on_toy_states_with_every_intervention_are_the_plain_ones(
        toy_every_intervention):
    carried = sum(check_route_rooms(sim)
                  for sim in states_at(toy_every_intervention, "shipping", 80))
    assert carried > 0
