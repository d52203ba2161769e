"""Fast binomial draws by inversion of a given uniform, for keyed common random numbers.

:meth:`fentanet.simulate.rng.Streams.binomial` inverts the exact binomial distribution
function by bisection over ``scipy.special.bdtr``: exact, but about 20 incomplete-beta
evaluations per draw. The population model needs a couple of dozen binomials per market
and step, so this module inverts the same way (one keyed uniform in, one count out,
monotone in the uniform and in ``p``) at a few tens of nanoseconds per draw, compiled with
numba:

- when ``n * p * (1 - p) < EXACT_BELOW`` (every small count): exact inversion by walking
  the distribution function from 0 with the recurrence
  ``P(k + 1) = P(k) * (n - k) / (k + 1) * p / (1 - p)`` (on the smaller tail, so the walk
  takes about ``n * min(p, 1 - p)`` steps);
- above it: the Cornish-Fisher expansion of the quantile to the fourth cumulant (skewness
  and kurtosis terms; Johnson, Kemp & Kotz, *Univariate Discrete Distributions*, 3rd ed.,
  2005, section 3.6) with a continuity correction, clipped to ``[0, n]``. Its quantiles
  differ from the exact ones by at most one for every ``u`` in [1e-6, 1 - 1e-6] (tested
  against ``scipy.stats.binom.ppf``), a relative error below ``1 / sqrt(EXACT_BELOW)``
  standard deviations.

:func:`binom_inv` is the rule; :func:`binom_inv_many` gives the same counts for a batch of
independent draws, faster (the population model's kernel draws in such batches; tested
equal to :func:`binom_inv` on every branch).

The normal quantile comes from Abramowitz & Stegun 26.2.23 (error below 4.5e-4) refined by
two Halley steps on ``erfc``, accurate to about 1e-15.

>>> import numpy as np
>>> binomial_inv(np.array([0.5, 0.999]), np.array([10, 10**6]), np.array([0.5, 0.3]))
array([     5, 301417])
"""

from __future__ import annotations

import math

import numba
import numpy as np

from fentanet import _jitcache  # noqa: F401  (numba's cache, stale after any kernel's edit)

EXACT_BELOW = 100.0
"""Variance ``n p (1 - p)`` below which the inversion is exact."""

_SQRT2 = math.sqrt(2.0)
_SQRT2PI = math.sqrt(2.0 * math.pi)
_INV53 = 1.0 / float(1 << 53)


@numba.njit(cache=True, inline="always")
def keyed_uniform(key, prefix) -> float:
    """The uniform :meth:`fentanet.simulate.rng.Streams.uniform` gives ``key`` (uint64)
    under ``prefix`` (:meth:`~fentanet.simulate.rng.Streams.prefix`), bit-identical:
    ``((splitmix64(key ^ prefix) >> 11) + 0.5) / 2**53``."""
    z = (key ^ prefix) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return (float(z >> np.uint64(11)) + 0.5) * _INV53


@numba.njit(cache=True, inline="always")
def step_prefix(key, step) -> np.uint64:
    """:meth:`fentanet.simulate.rng.Streams.prefix` of a step from the stream's ``key``
    (:meth:`~fentanet.simulate.rng.Streams.key`), bit-identical: ``splitmix64(key ^
    step)``, a negative step (the spin-up's) taken modulo 2**64 as the stream's is."""
    z = (key ^ np.uint64(step)) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@numba.njit(cache=True)
def _keyed_uniforms(keys, prefix, out):
    for i in range(keys.shape[0]):
        out[i] = keyed_uniform(keys[i], prefix)


def keyed_uniforms(keys: np.ndarray, prefix: np.uint64) -> np.ndarray:
    """:func:`keyed_uniform` over an array of keys (for tests and callers outside numba)."""
    k = np.ascontiguousarray(np.asarray(keys).astype(np.uint64)).ravel()
    out = np.empty(k.size, dtype=np.float64)
    _keyed_uniforms(k, np.uint64(prefix), out)
    return out.reshape(np.shape(keys))


@numba.njit(cache=True)
def norm_ppf(u: float) -> float:
    """Standard normal quantile of ``u`` in (0, 1)."""
    lower = u < 0.5
    q = u if lower else 1.0 - u  # exact for u in [0.5, 1) (Sterbenz)
    t = math.sqrt(-2.0 * math.log(q))
    x = t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (
        1.0 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t
    )
    z = -x  # quantile of q <= 0.5
    for _ in range(2):  # Halley steps on Phi(z) = q
        e = 0.5 * math.erfc(-z / _SQRT2) - q
        d = e * _SQRT2PI * math.exp(0.5 * z * z)
        z = z - d / (1.0 + 0.5 * z * d)
    return z if lower else -z


@numba.njit(cache=True)
def _small_tail(u: float, n: int, p: float) -> int:
    """Exact quantile for p <= 0.5 and a small variance: walk the CDF from 0."""
    r = p / (1.0 - p)
    pmf = math.exp(n * math.log1p(-p))
    cdf = pmf
    k = 0
    mode = n * p
    while cdf < u and k < n:
        pmf *= r * (n - k) / (k + 1)
        k += 1
        cdf += pmf
        if pmf == 0.0 and k > mode:  # cdf is 1 to rounding: u sits in the last ulp
            break
    return k


@numba.njit(cache=True)
def _cornish_fisher(u: float, n: int, p: float) -> int:
    q = 1.0 - p
    var = n * p * q
    sd = math.sqrt(var)
    g1 = (q - p) / sd
    g2 = (1.0 - 6.0 * p * q) / var
    z = norm_ppf(u)
    z2 = z * z
    w = (
        z
        + g1 * (z2 - 1.0) / 6.0
        + g2 * z * (z2 - 3.0) / 24.0
        - g1 * g1 * z * (2.0 * z2 - 5.0) / 36.0
    )
    k = math.ceil(n * p + sd * w - 0.5)
    if k < 0:
        return 0
    if k > n:
        return n
    return int(k)


@numba.njit(cache=True)
def binom_inv(u: float, n: int, p: float) -> int:
    """The ``u``-quantile of Binomial(n, p): a draw when ``u`` is uniform on (0, 1).

    Non-decreasing in ``u`` and in ``p``; ``n <= 0`` or ``p <= 0`` give 0, ``p >= 1``
    gives ``n``.
    """
    if n <= 0 or not p > 0.0:
        return 0
    if p >= 1.0:
        return n
    if p > 0.5:  # X = n - Y with Y ~ Bin(n, 1 - p); keeps the walk on the short tail
        return n - binom_inv(1.0 - u, n, 1.0 - p)
    if n * p * (1.0 - p) < EXACT_BELOW:
        return _small_tail(u, n, p)
    return _cornish_fisher(u, n, p)


ZERO_MARGIN = 1e-12
"""Margin of the shortcut that settles a count of 0 without the walk (see
:func:`binom_inv_many`)."""


@numba.njit(cache=True)
def _walk(u: float, n: int, p: float, pmf: float, r: float) -> int:
    """The walk of :func:`_small_tail` from ``k = 0`` with its first ``pmf`` and ``r`` given:
    the same terms, added in the same order, so the same ``k``.

    Four steps at a time: the four ratios ``r (n - k) / (k + 1)`` (integers exact in
    floating point, as in the plain walk), the four terms and partial sums, then one test;
    the partial sums never decrease, so the answer in a block that reaches ``u`` is ``k + 1``
    plus the number of its first three sums below ``u``. A block that would pass ``n`` or
    whose last term underflows to 0 is walked step by step, as the plain walk does."""
    cdf = pmf
    k = 0
    fn = float(n)
    while k + 4 <= n:
        fk = float(k)
        p1 = pmf * (r * (fn - fk) / (fk + 1.0))
        p2 = p1 * (r * (fn - (fk + 1.0)) / (fk + 2.0))
        p3 = p2 * (r * (fn - (fk + 2.0)) / (fk + 3.0))
        p4 = p3 * (r * (fn - (fk + 3.0)) / (fk + 4.0))
        c1 = cdf + p1
        c2 = c1 + p2
        c3 = c2 + p3
        c4 = c3 + p4
        if p4 == 0.0:
            break
        if c4 < u:
            pmf, cdf, k = p4, c4, k + 4
            continue
        return k + 1 + (c1 < u) + (c2 < u) + (c3 < u)
    mode = n * p
    while cdf < u and k < n:
        pmf *= r * (n - k) / (k + 1)
        k += 1
        cdf += pmf
        if pmf == 0.0 and k > mode:
            break
    return k


@numba.njit(cache=True)
def binom_inv_many(u, n, p, count, k, work, iwork) -> None:
    """``k[i] = binom_inv(u[i], n[i], p[i])`` for ``i < count``: the same counts, faster.

    ``work`` (float, shape ``(4, >= count)``) and ``iwork`` (int64, shape ``(2, >= count)``)
    are scratch space. Two passes: the first settles every draw that needs no walk (``n <=
    0``, ``p <= 0``, ``p >= 1``, the Cornish-Fisher branch, a first term already ``>= u``)
    and computes the first term ``(1 - p) ** n = exp(n log1p(-p))`` and the ratio ``p / (1 -
    p)`` of the others; the second walks. The logarithms and exponentials of the first pass
    are independent of one another, so the processor overlaps them instead of waiting for
    each after the mispredicted end of the previous walk (about a third less time on the
    population model's draws).

    One shortcut skips the first term: for ``p <= 1/2`` and ``u < 1 - n p - ZERO_MARGIN``
    the count is 0. Proof: ``(1 - p) ** n >= 1 - n p`` (Bernoulli's inequality), and the
    first term as computed (``log1p``, a product, ``exp``: a few ulps of an argument of size
    at most ``-n log(1 - p) <= 2 log 2`` where ``n p <= 1``) is within 1e-14 of ``(1 - p)
    ** n``, as ``1 - n p`` computed is of ``1 - n p``; so the first term is ``>= u`` and the
    walk of :func:`_small_tail` stops at 0 too.
    """
    walks = 0
    for i in range(count):
        ni, pi, ui = n[i], p[i], u[i]
        if ni <= 0 or not pi > 0.0:
            k[i] = 0
            continue
        if pi >= 1.0:
            k[i] = ni
            continue
        flip = pi > 0.5  # binom_inv's X = n - Y with Y ~ Bin(n, 1 - p)
        if flip:
            ui = 1.0 - ui
            pi = 1.0 - pi
        if ni * pi * (1.0 - pi) < EXACT_BELOW:
            j = 0
            if not ui < 1.0 - ni * pi - ZERO_MARGIN:
                pmf = math.exp(ni * math.log1p(-pi))
                if pmf < ui:  # walk in the second pass
                    work[0, walks] = ui
                    work[1, walks] = pi
                    work[2, walks] = pmf
                    work[3, walks] = pi / (1.0 - pi)
                    iwork[0, walks] = i
                    iwork[1, walks] = flip
                    walks += 1
                    continue
        else:
            j = _cornish_fisher(ui, ni, pi)
        k[i] = ni - j if flip else j
    for w in range(walks):
        i = iwork[0, w]
        j = _walk(work[0, w], n[i], work[1, w], work[2, w], work[3, w])
        k[i] = n[i] - j if iwork[1, w] else j


@numba.njit(cache=True)
def _binomial_inv_array(u, n, p, out):
    for i in range(u.shape[0]):
        out[i] = binom_inv(u[i], n[i], p[i])


def binomial_inv(u: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Vectorised :func:`binom_inv` over equal-length 1-d arrays (broadcast first)."""
    u, n, p = np.broadcast_arrays(
        np.asarray(u, dtype=np.float64), np.asarray(n, dtype=np.int64), np.asarray(p, float)
    )
    shape = u.shape
    out = np.empty(u.size, dtype=np.int64)
    _binomial_inv_array(
        np.ascontiguousarray(u).ravel(),
        np.ascontiguousarray(n).ravel(),
        np.ascontiguousarray(p, dtype=np.float64).ravel(),
        out,
    )
    return out.reshape(shape)
