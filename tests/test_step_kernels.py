"""Kernels of the interventions, procurement, money, market and record phases against the
plain loops they replace (kept here as oracles): the same numbers, bit for bit."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fentanet.simulate.phases import record


@numba.njit
def _tally_plain(kind, alive, product, precursor, n_kinds):
    counts = np.zeros(n_kinds)
    stock = 0.0
    prec = 0.0
    for i in range(kind.size):
        if alive[i]:
            counts[kind[i]] += 1.0
        stock += product[i]
        prec += precursor[i]
    return counts, stock, prec


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
    _assert_same(record._tally(kind, alive, product, precursor, 13),
                 _tally_plain(kind, alive, product, precursor, 13))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.booleans(), st.floats(0, 1e12),
                          st.floats(0, 1e12)), max_size=30))
def test_tally_hypothesis(rows):
    kind, alive, product, precursor = (np.array(c) for c in zip(*rows, strict=True)) if rows \
        else (np.zeros(0, np.int8), np.zeros(0, bool), np.zeros(0), np.zeros(0))
    kind = kind.astype(np.int8)
    _assert_same(record._tally(kind, alive, product, precursor, 13),
                 _tally_plain(kind, alive, product, precursor, 13))


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
