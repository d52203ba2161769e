"""Counter-based random streams: keyed, reproducible, well distributed."""

from __future__ import annotations

import numpy as np
from scipy import stats

from fentanet.simulate.rng import Streams, binomial_ppf


def test_keyed_draws_do_not_shift_when_keys_are_removed():
    s = Streams(42)
    keys = np.arange(100)
    full = s.uniform("enforcement", 7, keys)
    part = s.uniform("enforcement", 7, np.delete(keys, [3, 50]))
    assert np.array_equal(np.delete(full, [3, 50]), part)


def test_streams_steps_and_seeds_are_independent():
    keys = np.arange(50_000)
    a = Streams(1).uniform("a", 0, keys)
    for other in (Streams(1).uniform("b", 0, keys), Streams(1).uniform("a", 1, keys),
                  Streams(2).uniform("a", 0, keys), Streams(1).uniform("a", 0, keys, draw=1)):
        assert abs(np.corrcoef(a, other)[0, 1]) < 0.02
        assert not np.array_equal(a, other)


def test_uniform_passes_kolmogorov_smirnov():
    u = Streams(3).uniform("x", 11, np.arange(200_000))
    assert 0 < u.min() and u.max() < 1
    assert stats.kstest(u, "uniform").pvalue > 1e-3


def test_binomial_inversion_matches_distribution_and_is_monotone_in_p():
    s = Streams(5)
    keys = np.arange(100_000)
    draws = s.binomial("seizure", 2, keys, 40, 0.25)
    assert abs(draws.mean() - 10.0) < 0.05
    assert abs(draws.var() - 7.5) < 0.15
    higher = s.binomial("seizure", 2, keys, 40, 0.35)
    assert np.all(higher >= draws)


def test_binomial_ppf_edges_against_scipy():
    u = np.array([0.01, 0.5, 0.99, 0.999999])
    for n, p in ((0, 0.5), (10, 0.0), (10, 1.0), (7, 0.3), (5000, 0.001)):
        got = binomial_ppf(u, np.full(4, n), np.full(4, p))
        want = stats.binom.ppf(u, n, p)
        assert np.array_equal(got, want.astype(int)), (n, p, got, want)


def test_generator_is_philox_keyed_by_the_prefix():
    """The generator's state and draws are those of ``Philox(key=prefix)``."""
    s = Streams(2**62 + 3)
    for stream, step in (("entry", -52), ("entry", 0), ("population", 7), ("x", 2**40)):
        want = np.random.Generator(np.random.Philox(key=int(s.prefix(stream, step))))
        got = s.generator(stream, step)
        assert repr(got.bit_generator.state) == repr(want.bit_generator.state)
        np.testing.assert_array_equal(got.random(100), want.random(100))
        np.testing.assert_array_equal(got.binomial(40, 0.3, 50), want.binomial(40, 0.3, 50))


def test_generator_is_reproducible_per_stream_and_step():
    a = Streams(9).generator("population", 4).binomial(1000, 0.1, size=5)
    b = Streams(9).generator("population", 4).binomial(1000, 0.1, size=5)
    c = Streams(9).generator("population", 5).binomial(1000, 0.1, size=5)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_compiled_uniform_is_bit_identical_to_numpy_reference():
    s = Streams(11)
    keys = np.array([0, 1, 7, 2**40 + 3, 2**62], dtype=np.int64)
    bits = s.bits("x", 4, keys, draw=2) >> np.uint64(11)
    reference = (bits.astype(np.float64) + 0.5) / float(1 << 53)
    assert np.array_equal(s.uniform("x", 4, keys, draw=2), reference)


def test_compiled_binomial_walk_matches_exact_bisection():
    rng = np.random.default_rng(0)
    u = rng.random(4000)
    n = rng.integers(0, 3000, 4000)
    p = rng.random(4000) ** 3
    from fentanet.simulate.rng import binomial_from_uniform

    assert np.array_equal(binomial_from_uniform(u, n, p), binomial_ppf(u, n, p))


def test_a_scalar_probability_and_its_array_give_the_same_counts():
    """Exit draws its counts with the probability as an array (the compiled path): the same
    counts as the scalar (the general path), also where the walk underflows (the exact
    bisection) and for probabilities outside [0, 1] or NaN (clipped, NaN kept)."""
    from fentanet.simulate.rng import binomial_from_uniform

    rng = np.random.default_rng(3)
    u = rng.random(300)
    n = rng.integers(0, 200_000, 300)
    for p in (0.0, 1e-9, 0.001, 0.3, 0.97, 1.0, -0.5, 1.5, np.nan):
        assert np.array_equal(binomial_from_uniform(u, n, p),
                              binomial_from_uniform(u, n, np.full(u.size, p)))


def test_a_stream_s_key_is_kept_and_makes_its_prefixes():
    """``Streams.key``, kept per stream after its first call, is the stream's hash as a
    uint64, and ``step_prefix`` of it is ``Streams.prefix`` at every step (of either
    sign): what the kernels that make their own prefixes rely on."""
    from fentanet.simulate.binomial import step_prefix

    streams = Streams(42)
    key = streams.key("enforcement.detect")
    assert type(key) is np.uint64 and key == np.uint64(streams._stream("enforcement.detect"))
    assert streams.key("enforcement.detect") is key
    assert streams.key("knowledge.arrest") != key
    for step in (0, 1, 2, 519, -52, -1, 2**40):
        assert step_prefix(key, step) == streams.prefix("enforcement.detect", step)
