"""Binomial draws by inversion: exact below the threshold, within one above, monotone."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from fentanet.simulate.binomial import EXACT_BELOW, binomial_inv, norm_ppf
from fentanet.simulate.rng import Streams

U = np.concatenate([np.linspace(1e-6, 1 - 1e-6, 4001), [1e-12, 0.5, 1 - 1e-12]])


@pytest.mark.parametrize(
    ("n", "p"),
    [
        (1, 0.3),
        (10, 0.5),
        (57, 0.02),
        (3000, 0.0004),
        (3000, 0.006),
        (300, 0.4),
        (10**6, 1e-5),
        (10**9, 1e-8),
        (40, 0.97),
        (1000, 0.9),
    ],
)
def test_exact_where_the_variance_is_small(n, p):
    assert n * p * (1 - p) < EXACT_BELOW
    want = stats.binom.ppf(U, n, p).astype(np.int64)
    assert np.array_equal(binomial_inv(U, n, p), want)


@pytest.mark.parametrize(
    ("n", "p"),
    [
        (1000, 0.3),
        (10**4, 0.5),
        (3 * 10**6, 0.0001),
        (3 * 10**6, 0.01),
        (10**9, 0.001),
        (10**5, 0.99),
    ],
)
def test_within_one_of_exact_above_the_threshold(n, p):
    assert n * p * (1 - p) >= EXACT_BELOW
    got = binomial_inv(U, n, p)
    want = stats.binom.ppf(U, n, p).astype(np.int64)
    diff = np.abs(got - want)
    assert diff.max() <= 1
    assert (diff > 0).mean() < 0.01


def test_edges_and_monotonicity():
    assert binomial_inv(0.7, 0, 0.5) == 0
    assert binomial_inv(0.7, 10, 0.0) == 0
    assert binomial_inv(0.7, 10, 1.0) == 10
    assert binomial_inv(0.7, 10, 1.5) == 10
    assert binomial_inv(0.7, -3, 0.5) == 0
    u = np.sort(np.random.default_rng(0).random(2000))
    for n, p in ((50, 0.1), (10**6, 0.2)):
        draws = binomial_inv(u, n, p)
        assert np.all(np.diff(draws) >= 0)  # monotone in u
    ps = np.linspace(0, 1, 501)
    for n in (40, 5000, 10**7):
        draws = binomial_inv(np.full(ps.size, 0.37), n, ps)
        assert np.all(np.diff(draws) >= 0)  # monotone in p


def test_moments_of_keyed_draws():
    u = Streams(11).uniform("x", 0, np.arange(200_000))
    for n, p in ((30, 0.2), (10**5, 0.3)):
        d = binomial_inv(u, n, p)
        mean, var = n * p, n * p * (1 - p)
        assert abs(d.mean() - mean) < 4 * np.sqrt(var / u.size)
        assert abs(d.var() / var - 1) < 0.02


def test_normal_quantile_against_scipy():
    from scipy.special import ndtri

    for u in (1e-300, 1e-12, 0.01, 0.3, 0.5, 0.77, 0.999, 1 - 1e-15):
        assert abs(norm_ppf(u) - ndtri(u)) < 1e-12 * max(1.0, abs(ndtri(u)))


def test_compiled_keyed_uniforms_are_bit_identical_to_streams():
    from fentanet.simulate.binomial import keyed_uniforms

    s = Streams(2**40 + 17)
    keys = np.random.default_rng(0).integers(0, 2**62, 50_000).astype(np.uint64)
    for stream, step in (("population", 0), ("enforcement", 10**6)):
        a = s.uniform(stream, step, keys)
        b = keyed_uniforms(keys, s.prefix(stream, step))
        assert np.array_equal(a, b)


def test_integer_prefix_equals_the_numpy_prefix():
    for seed in (0, 1, 2**63 - 1):
        s = Streams(seed)
        for stream in ("population", "shipping", ""):
            for step in (0, 1, 519, 2**40, -1):
                assert s.prefix(stream, step) == s._prefix(stream, step)


def test_a_kernel_s_step_prefix_equals_the_stream_s_prefix():
    from fentanet.simulate.binomial import step_prefix

    for seed in (0, 1, 2**63 - 1):
        s = Streams(seed)
        for stream in ("adaptation.reroute", "shipping", ""):
            for step in (0, 1, 519, 2**40, 2**63 - 1, -1, -52, -2**40):  # spin-up's < 0
                got = step_prefix(s.key(stream), step)
                assert got == s.prefix(stream, step)


def _many(u, n, p):
    from fentanet.simulate.binomial import binom_inv_many

    u, n, p = (np.ascontiguousarray(a) for a in np.broadcast_arrays(
        np.asarray(u, dtype=np.float64), np.asarray(n, dtype=np.int64), np.asarray(p, float)))
    k = np.full(u.size, -7, dtype=np.int64)
    binom_inv_many(u, n, p, u.size, k, np.empty((4, u.size)),
                   np.empty((2, u.size), dtype=np.int64))
    return k


def test_batched_draws_are_binom_inv_draws():
    # the batched kernel against the plain inversion, on every branch and at the shortcut's
    # edge (u next to 1 - n p - margin and next to the first term (1 - p) ** n)
    from fentanet.simulate.binomial import ZERO_MARGIN

    rng = np.random.default_rng(3)
    m = 200_000
    n = np.concatenate([rng.integers(-2, 6, m // 4), rng.integers(0, 200, m // 4),
                        10 ** rng.integers(2, 10, m // 4), rng.integers(0, 5000, m // 4)])
    p = np.concatenate([10.0 ** rng.uniform(-12, 0, m // 2), rng.random(m // 4),
                        rng.choice([0.0, -0.1, 0.5, 1.0, 1.2, np.nan, 1e-300, 0.999999], m // 4)])
    rng.shuffle(p)
    q = np.where(p > 0.5, 1 - p, p)
    edge = 1.0 - n * q - ZERO_MARGIN
    with np.errstate(all="ignore"):
        first = np.exp(n * np.log1p(-np.clip(q, 0, 1)))
    u = rng.random(m)
    for us in (u, edge, np.nextafter(edge, 0), np.nextafter(edge, 1), first,
               np.nextafter(first, 0), np.nextafter(first, 1), 1 - u):
        us = np.clip(np.nan_to_num(us, nan=0.5), 1e-300, 1 - 2**-53)
        np.testing.assert_array_equal(_many(us, n, p), binomial_inv(us, n, p))
    # the last ulp below 1: walks into the tail, past n or to an underflow
    n = np.array([1, 2, 3, 4, 5, 7, 8, 9, 40, 200, 10**9, 10**6, 300])
    p = np.array([0.3, 0.5, 0.2, 0.45, 0.1, 0.33, 0.5, 0.01, 0.4, 0.4, 1e-7, 3e-5, 0.9])
    for us in (1 - 2**-53, 1 - 2**-40, 0.999999, 2**-50, 0.5):
        np.testing.assert_array_equal(_many(np.full(n.size, us), n, p),
                                      binomial_inv(np.full(n.size, us), n, p))
    # a batch reads only its first `count` draws
    k = np.full(4, -7, dtype=np.int64)
    from fentanet.simulate.binomial import binom_inv_many

    binom_inv_many(np.full(4, 0.9), np.full(4, 10), np.full(4, 0.5), 2, k, np.empty((4, 4)),
                   np.empty((2, 4), dtype=np.int64))
    assert k.tolist() == [7, 7, -7, -7]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.floats(1e-300, 1 - 2**-53), st.integers(-3, 10**9),
                          st.one_of(st.floats(-1, 2), st.just(float("nan")))),
                min_size=1, max_size=40))
def test_batched_draws_are_binom_inv_draws_hypothesis(draws):
    u, n, p = (np.array(c) for c in zip(*draws, strict=True))
    np.testing.assert_array_equal(_many(u, n, p), binomial_inv(u, n, p))
