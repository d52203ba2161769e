"""Kernels of the interventions, procurement, money, market and record phases against the
plain loops they replace (kept here as oracles): the same numbers, bit for bit."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fentanet.simulate.phases import record
from late_phases_plain import plain_settle


@numba.njit
def _tally_plain(kind, alive, product, precursor, cash, n_kinds):
    counts = np.zeros(n_kinds)
    stock = 0.0
    prec = 0.0
    held = 0.0
    for i in range(kind.size):
        if alive[i]:
            counts[kind[i]] += 1.0
            held += cash[i]
        stock += product[i]
        prec += precursor[i]
    return counts, stock, prec, held


def _assert_same(got, want):
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("n", [0, 1, 3, 4, 5, 7, 1001, 100_003])
def test_tally_counts_and_sums_as_the_plain_loop(n):
    rng = np.random.default_rng(n)
    kind = np.sort(rng.integers(0, 13, n)).astype(np.int8)  # in blocks, as the actors are
    alive = rng.random(n) < 0.97
    product = np.where(rng.random(n) < 0.4, rng.lognormal(0, 3, n), 0.0)
    precursor = np.where(rng.random(n) < 0.03, rng.lognormal(0, 3, n), 0.0)
    cash = np.where(rng.random(n) < 0.5, rng.lognormal(10, 3, n), 0.0)
    _assert_same(record._tally(kind, alive, product, precursor, cash, 13),
                 _tally_plain(kind, alive, product, precursor, cash, 13))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.booleans(), st.floats(0, 1e12),
                          st.floats(0, 1e12), st.floats(0, 1e12)), max_size=30))
def test_tally_hypothesis(rows):
    kind, alive, product, precursor, cash = (
        (np.array(c) for c in zip(*rows, strict=True)) if rows
        else (np.zeros(0, np.int8), np.zeros(0, bool), np.zeros(0), np.zeros(0), np.zeros(0)))
    kind = kind.astype(np.int8)
    _assert_same(record._tally(kind, alive, product, precursor, cash, 13),
                 _tally_plain(kind, alive, product, precursor, cash, 13))


def test_clear_sets_every_entry_to_plus_zero():
    from fentanet.simulate.phases.interventions import _clear

    rng = np.random.default_rng(1)
    a = np.where(rng.random(1000) < 0.5, rng.random(1000), 0.0)
    b = np.where(rng.random(1000) < 0.05, rng.random(1000), 0.0)
    a[:4] = [-0.0, np.nan, np.inf, 5e-324]
    b[-3:] = [-0.0, -np.inf, np.nan]
    _clear(a.view(np.int64), b.view(np.int64))
    for x in (a, b):
        assert (x.view(np.int64) == 0).all()  # +0.0, not -0.0


@pytest.mark.parametrize("seed", range(6))
def test_settle_as_the_plain_loops(seed):
    from fentanet.simulate.phases.money import _settle

    rng = np.random.default_rng(seed)
    n, m = 3000, 400
    kind = rng.integers(0, 13, n).astype(np.int8)
    alive = rng.random(n) < 0.9
    payer = np.where(rng.random(n) < 0.6, rng.integers(0, n, n), np.arange(n)).astype(np.int32)
    src, dst = rng.integers(0, n, m).astype(np.int32), rng.integers(0, n, m).astype(np.int32)
    li = rng.permutation(2 * m)[:m]
    link_alive = rng.random(2 * m) < 0.8
    dirty = np.where(rng.random(n) < 0.2, rng.lognormal(8, 2, n), 0.0)
    dirty[rng.integers(0, n, 20)] = -0.0  # no revenue (left as it is)
    if seed % 2:
        dirty[rng.integers(0, n, 5)] = np.nan  # revenue (processed)
    cash = np.where(rng.random(n) < 0.3, rng.lognormal(9, 2, n), 0.0)
    hoard = np.zeros(n)
    table = rng.uniform(0, 3e4, 13)
    self_launder = int(rng.choice([-1, 1, 4]))
    args = [li, src, dst, link_alive, alive, kind, payer, dirty, cash, hoard, table, 1 / 52,
            0.1, 0.15, 0.3, self_launder]
    copies = [[a.copy() if isinstance(a, np.ndarray) else a for a in args] for _ in range(2)]
    got, want = _settle(*copies[0]), plain_settle(*copies[1])
    _assert_same(got, want)
    for x, y in zip(got[1:], want[1:], strict=True):  # bit for bit
        assert np.float64(x).tobytes() == np.float64(y).tobytes()
    for a, b in zip(copies[0], copies[1], strict=True):
        if isinstance(a, np.ndarray):
            assert a.tobytes() == b.tobytes()
