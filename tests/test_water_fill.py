"""The routes' water-filling (:func:`fentanet.simulate.kernels.water_fill`) against hand
computation, a plain progressive filling in exact rational arithmetic, and the
characterisation of the weighted max-min fair allocation (each link has a full end at
which its level is the highest), on small random instances; and the shipping phase's
use of it (:func:`fentanet.simulate.phases.shipping._through_room`)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fentanet.simulate.kernels import water_fill
from fentanet.simulate.phases.shipping import ROUTE, _through_room
from fentanet.simulate.state import KIND


def fill(s_loc, d_loc, on, weight, cap, room):
    return water_fill(np.asarray(s_loc, dtype=np.int64), np.asarray(d_loc, dtype=np.int64),
                      np.asarray(on, dtype=np.bool_), np.asarray(weight, dtype=float),
                      np.asarray(cap, dtype=float), np.asarray(room, dtype=float))


def plain_fill(s_loc, d_loc, on, weight, cap, room):
    """Progressive filling written plainly in exact fractions: all links in play grow at
    their sender's weight; at each event the next sender or receiver to run out is full
    and its links stop (every one that runs out at that moment)."""
    w = [Fraction(v) for v in weight]
    rem = {("s", i): Fraction(c) for i, c in enumerate(cap)}
    rem.update({("d", j): Fraction(r) for j, r in enumerate(room)})
    ends = [(("s", s), ("d", d)) for s, d in zip(s_loc, d_loc, strict=True)]
    x = [Fraction(0)] * len(ends)
    live = {k for k, (a, b) in enumerate(ends)
            if on[k] and w[s_loc[k]] > 0 and rem[a] > 0 and rem[b] > 0}
    while live:
        rate = {}
        for k in live:
            for e in ends[k]:
                rate[e] = rate.get(e, Fraction(0)) + w[s_loc[k]]
        step = min(rem[e] / r for e, r in rate.items())
        for k in live:
            x[k] += w[s_loc[k]] * step
        for e, r in rate.items():
            rem[e] -= r * step
        live = {k for k in live if all(rem[e] > 0 for e in ends[k])}
    return x


def check_max_min_fair(x, s_loc, d_loc, on, weight, cap, room, tol=1e-9):
    """No sender over its cap, no receiver over its room; every link that could carry has
    a full end at which its level (quantity / weight) is the highest of that end's links:
    the weighted max-min fair allocation (Bertsekas & Gallager 1992, 6.5.2), unique."""
    x = np.asarray(x, dtype=float)
    s_loc, d_loc = np.asarray(s_loc, dtype=np.int64), np.asarray(d_loc, dtype=np.int64)
    got_s = np.bincount(s_loc, weights=x, minlength=len(cap))
    got_d = np.bincount(d_loc, weights=x, minlength=len(room))
    assert (x >= 0).all()
    assert (got_s <= np.asarray(cap) * (1 + tol) + tol).all()
    assert (got_d <= np.asarray(room) * (1 + tol) + tol).all()
    for k in range(x.size):
        w = weight[s_loc[k]]
        if not (on[k] and w > 0 and cap[s_loc[k]] > 0 and room[d_loc[k]] > 0):
            assert x[k] == 0
            continue
        level = x[k] / w
        ok = False
        for mine, got, limit in ((s_loc, got_s, cap), (d_loc, got_d, room)):
            end = mine[k]
            if got[end] < limit[end] * (1 - tol) - tol:
                continue  # not full: not a bottleneck
            peers = [x[j] / weight[s_loc[j]] for j in range(x.size)
                     if mine[j] == end and on[j] and weight[s_loc[j]] > 0]
            ok |= level >= max(peers) * (1 - tol) - tol
        assert ok, f"link {k} has no full end where it is the highest"


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


def test_a_sender_over_several_receivers_fills_them_alike():
    # sender 0 (weight 1, own room 6) feeds receivers 0 (room 1) and 1 (room 10, shared
    # with sender 1, weight 1, own room 2): sender 0 takes 1 from receiver 0 by time 1,
    # then 5 from receiver 1 (with sender 1 taking 2 by time 2 there: sender 0 has 2 of
    # receiver 1 at time 2 and 5 at time 5, when it is full); receiver 1 keeps 3
    x = fill([0, 0, 1], [0, 1, 1], [1, 1, 1], [1, 1], [6, 2], [1, 10])
    np.testing.assert_allclose(x, [1, 5, 2])
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
def test_water_fill_is_the_exact_progressive_filling(instance):
    links, weight, cap, room = instance
    s_loc = [s for s, _, _ in links]
    d_loc = [d for _, d, _ in links]
    on = [o for _, _, o in links]
    weight = [w / 4 for w in weight]  # exact in binary, so the oracle's input is the same
    x = fill(s_loc, d_loc, on, weight, cap, room)
    np.testing.assert_allclose(x, [float(v) for v in plain_fill(s_loc, d_loc, on, weight,
                                                                cap, room)],
                               rtol=1e-12, atol=1e-12)
    check_max_min_fair(x, s_loc, d_loc, on, weight, cap, room)
    # nothing is left that some link could still carry: each link in play has a full end
    got_s = np.bincount(np.asarray(s_loc, dtype=np.int64), weights=x, minlength=len(cap))
    got_d = np.bincount(np.asarray(d_loc, dtype=np.int64), weights=x, minlength=len(room))
    for k, (s, d) in enumerate(zip(s_loc, d_loc, strict=True)):
        if on[k] and weight[s] > 0:
            assert got_s[s] >= cap[s] - 1e-9 or got_d[d] >= room[d] - 1e-9


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
    check_max_min_fair(x, s_loc, d_loc, on, weight, cap, room)
    np.testing.assert_array_equal(x, fill(s_loc, d_loc, on, weight, cap, room))


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
    _through_room(room, np.array([0, 1]), np.arange(3), np.array([0, 1, 1]),
                  np.array([2, 2, 3]), np.array([0, 1, 1]), np.array([0, 0, 1]),
                  np.array([0, 1]), np.array([2, 3]), risk, np.ones(3, dtype=np.bool_),
                  alive, kind, capacity, product, 1.0, 1.0, ROUTE)
    np.testing.assert_allclose(room, [0.5, 0.75])
    # a dead route takes no room and leaves the shared trafficker to the other
    alive[0] = False
    room = np.array([0.0, 9.0])
    _through_room(room, np.array([0, 1]), np.arange(3), np.array([0, 1, 1]),
                  np.array([2, 2, 3]), np.array([0, 1, 1]), np.array([0, 0, 1]),
                  np.array([0, 1]), np.array([2, 3]), risk, np.ones(3, dtype=np.bool_),
                  alive, kind, capacity, product, 1.0, 1.0, ROUTE)
    assert room[1] == pytest.approx(1.25)
