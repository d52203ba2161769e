"""The routes' water-filling (:func:`fentanet.simulate.kernels.water_fill`) against hand
computation, the same rule written plainly in exact rational arithmetic, the water level
found by brute force where every sender feeds one receiver, and the conservation of room,
on small random instances; and the shipping phase's use of it
(:func:`fentanet.simulate.phases.shipping._through_room`)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fentanet.simulate.kernels import water_fill
from fentanet.simulate.phases.shipping import ROUTE, _route_rooms, _through_room
from fentanet.simulate.state import KIND


def fill(s_loc, d_loc, on, weight, cap, room):
    return water_fill(np.asarray(s_loc, dtype=np.int64), np.asarray(d_loc, dtype=np.int64),
                      np.asarray(on, dtype=np.bool_), np.asarray(weight, dtype=float),
                      np.asarray(cap, dtype=float), np.asarray(room, dtype=float))


def plain_fill(s_loc, d_loc, on, weight, cap, room):
    """The rule written plainly in exact fractions: each receiver offers what it has left
    to its senders that are not full, by weight; a sender asked for more than it can take
    takes that share of each offer and is full; what was not taken is offered again."""
    w = [Fraction(v) for v in weight]
    rem = [Fraction(c) for c in cap]
    left = [Fraction(r) for r in room]
    full = [not (r > 0 and v > 0) for r, v in zip(rem, w, strict=True)]
    x = [Fraction(0)] * len(s_loc)
    while True:
        live = [k for k in range(len(s_loc))
                if on[k] and not full[s_loc[k]] and left[d_loc[k]] > 0]
        if not live:
            return x
        wsum = {}
        for k in live:
            wsum[d_loc[k]] = wsum.get(d_loc[k], 0) + w[s_loc[k]]
        offer = {k: left[d_loc[k]] * w[s_loc[k]] / wsum[d_loc[k]] for k in live}
        asked = {}
        for k in live:
            asked[s_loc[k]] = asked.get(s_loc[k], 0) + offer[k]
        share = {}
        for s, q in asked.items():
            share[s] = min(Fraction(1), rem[s] / q)
            rem[s] -= q * share[s]
            full[s] = rem[s] <= 0
        for d in wsum:
            left[d] = Fraction(0)
        for k in live:
            x[k] += offer[k] * share[s_loc[k]]
            left[d_loc[k]] += offer[k] * (1 - share[s_loc[k]])


def water_level(weight, cap, room):
    """Senders feeding one receiver: ``min(cap, level * weight)`` with the level where
    the room runs out (or every sender is full), found by bisection on the level."""
    weight, cap = np.asarray(weight, dtype=float), np.asarray(cap, dtype=float)
    take = (weight > 0) & (cap > 0)
    if not take.any() or room <= 0:
        return np.zeros(weight.size)
    if cap[take].sum() <= room:
        return np.where(take, cap, 0.0)
    lo, hi = 0.0, room / weight[take].min()
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if np.minimum(cap, mid * weight)[take].sum() < room else (lo, mid)
    return np.where(take, np.minimum(cap, hi * weight), 0.0)


def check_room(x, s_loc, d_loc, on, weight, cap, room, tol=1e-9):
    """No sender over its cap, no receiver over its room, nothing on a link out of play;
    and no room lost that some sender could take: each link in play has a full sender or
    a receiver with nothing left."""
    x = np.asarray(x, dtype=float)
    s_loc, d_loc = np.asarray(s_loc, dtype=np.int64), np.asarray(d_loc, dtype=np.int64)
    cap, room = np.asarray(cap, dtype=float), np.asarray(room, dtype=float)
    got_s = np.bincount(s_loc, weights=x, minlength=cap.size)
    got_d = np.bincount(d_loc, weights=x, minlength=room.size)
    assert (x >= 0).all()
    assert (got_s <= np.maximum(cap, 0) * (1 + tol) + tol).all()
    assert (got_d <= np.maximum(room, 0) * (1 + tol) + tol).all()
    for k in range(x.size):
        s, d = s_loc[k], d_loc[k]
        if not (on[k] and weight[s] > 0 and cap[s] > 0 and room[d] > 0):
            assert x[k] == 0
        else:
            assert got_s[s] >= cap[s] * (1 - tol) - tol or got_d[d] >= room[d] * (1 - tol) - tol


def test_room_a_full_sender_cannot_use_goes_to_the_others():
    # one receiver of room 10, a safe sender (weight 3, own room 4) and a risky one
    # (weight 1): by weight 7.5 and 2.5, but the safe one is full at 4, so the risky one
    # carries the other 6 (the old rule capped it at its 2.5)
    np.testing.assert_allclose(fill([0, 1], [0, 0], [1, 1], [3, 1], [4, 100], [10]), [4, 6])
    # the receiver's room is enough for neither: by weight
    np.testing.assert_allclose(fill([0, 1], [0, 0], [1, 1], [3, 1], [40, 100], [10]),
                               [7.5, 2.5])
    # both full: each at its own room, the receiver keeps 3
    np.testing.assert_allclose(fill([0, 1], [0, 0], [1, 1], [3, 1], [4, 3], [10]), [4, 3])


def test_a_sender_over_several_receivers_takes_the_same_share_of_each_offer():
    # sender 0 (weight 1, own room 6) feeds receivers 0 (room 1) and 1 (room 10, shared
    # with sender 1, weight 1, own room 2): offered 1 and 5 it takes both and is full;
    # sender 1, offered 5, takes 2; the 3 it leaves has no sender left: receiver 1 keeps it
    x = fill([0, 0, 1], [0, 1, 1], [1, 1, 1], [1, 1], [6, 2], [1, 10])
    np.testing.assert_allclose(x, [1, 5, 2])
    # sender 0 (own room 3) offered 2 by receiver 0 and 2 of receiver 1's 4: it takes 3/4
    # of each; receiver 1 offers the 0.5 it declined to sender 1 (which already took 2);
    # receiver 0 keeps its 0.5 (its only sender is full)
    x = fill([0, 0, 1], [0, 1, 1], [1, 1, 1], [1, 1], [3, 10], [2, 4])
    np.testing.assert_allclose(x, [1.5, 1.5, 2.5])
    # a link out of play, a sender of weight 0 and a receiver without room carry nothing
    x = fill([0, 1, 2, 0], [0, 0, 0, 1], [0, 1, 1, 1], [1, 0, 2], [5, 5, 5], [4, 0])
    np.testing.assert_allclose(x, [0, 0, 4, 0])
    assert fill([], [], [], [1.0], [1.0], [1.0]).size == 0


instances = st.integers(1, 5).flatmap(lambda nr: st.integers(1, 5).flatmap(lambda nd: st.tuples(
    st.lists(st.tuples(st.integers(0, nr - 1), st.integers(0, nd - 1), st.booleans()),
             max_size=12),
    st.lists(st.integers(0, 6), min_size=nr, max_size=nr),
    st.lists(st.integers(0, 12), min_size=nr, max_size=nr),
    st.lists(st.integers(0, 12), min_size=nd, max_size=nd))))


@settings(max_examples=400, deadline=None)
@given(instances)
def test_water_fill_is_the_plain_rule_in_exact_fractions(instance):
    links, weight, cap, room = instance
    s_loc = [s for s, _, _ in links]
    d_loc = [d for _, d, _ in links]
    on = [o for _, _, o in links]
    weight = [w / 4 for w in weight]  # exact in binary, so the oracle's input is the same
    x = fill(s_loc, d_loc, on, weight, cap, room)
    exact = plain_fill(s_loc, d_loc, on, weight, cap, room)
    np.testing.assert_allclose(x, [float(v) for v in exact], rtol=1e-12, atol=1e-12)
    check_room(x, s_loc, d_loc, on, weight, cap, room)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.just(0.0) | st.floats(1e-3, 10), st.just(0.0) | st.floats(1e-3, 10)),
                min_size=1, max_size=8),
       st.floats(0, 40))
def test_senders_of_one_receiver_get_the_water_level(senders, room):
    weight, cap = (list(c) for c in zip(*senders, strict=True))
    n = len(senders)
    x = fill(range(n), [0] * n, [True] * n, weight, cap, [room])
    np.testing.assert_allclose(x, water_level(weight, cap, room), rtol=1e-9, atol=1e-9)
    check_room(x, list(range(n)), [0] * n, [True] * n, weight, cap, [room])


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 30), st.integers(2, 40))
def test_water_fill_on_larger_random_instances(seed, nr, nd):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 3 * (nr + nd)))
    s_loc, d_loc = rng.integers(0, nr, m), rng.integers(0, nd, m)
    on = rng.random(m) < 0.9
    weight = rng.random(nr) * np.exp(-10 * rng.random(nr))  # capacity times risk
    cap, room = rng.random(nr) * (rng.random(nr) < 0.9), rng.random(nd)
    x = fill(s_loc, d_loc, on, weight, cap, room)
    check_room(x, s_loc, d_loc, on, weight, cap, room)
    np.testing.assert_array_equal(x, fill(s_loc, d_loc, on, weight, cap, room))


def _through(room, risk, alive, kind, capacity, product):
    """:func:`_through_room` on the case below: lab-stage receivers 0 and 1 (the routes),
    route-stage links 0->2, 1->2, 1->3 (steps of 1 year, cover 1)."""
    src, dst, s_loc, d_loc = (np.array(x) for x in ([0, 1, 1], [2, 2, 3], [0, 1, 1],
                                                    [0, 0, 1]))
    rroom, own, cap, on = _route_rooms(np.arange(3), src, dst, np.array([0, 1]),
                                       np.array([2, 3]), np.ones(3, dtype=np.bool_), alive,
                                       kind, capacity, product, 1.0, 1.0, ROUTE)
    _through_room(room, np.array([0, 1]), s_loc, d_loc, np.array([0, 1]), risk, rroom, own,
                  on, cap, kind, ROUTE)


def test_through_room_gives_a_risky_route_what_the_safe_one_cannot_carry():
    """Two routes feed one trafficker (room 1): a safe route of capacity 0.5 a step and a
    risky one (recent loss 0.5, beta 10) of capacity 2; a second trafficker only the risky
    route feeds (room 0.25). The risky route may carry its own trafficker's 0.25 and the
    0.5 of the shared one the safe route cannot take; the safe route its own 0.5."""
    route, trf = KIND["route"], KIND["trafficker"]
    kind = np.array([route, route, trf, trf], dtype=np.int8)
    capacity = np.array([0.5, 2.0, 1.0, 0.25])
    product = np.zeros(4)
    alive = np.ones(4, dtype=np.bool_)
    risk = np.array([1.0, np.exp(-5.0)])
    room = np.array([9.0, 9.0])  # the lab stage's room of the two routes, before
    _through(room, risk, alive, kind, capacity, product)
    np.testing.assert_allclose(room, [0.5, 0.75])
    # a dead route takes no room and leaves the shared trafficker to the other
    alive[0] = False
    room = np.array([0.0, 9.0])
    _through(room, risk, alive, kind, capacity, product)
    assert room[1] == pytest.approx(1.25)
