"""Binomial draws by inversion: exact below the threshold, within one above, monotone."""

from __future__ import annotations

import numpy as np
import pytest
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
