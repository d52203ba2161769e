"""Compiled kernels of the simulation (numba, ``cache=True``).

Random numbers are never drawn inside these loops: callers pass keyed uniforms from
:class:`fentanet.simulate.rng.Streams` (or the prefix that determines them), so a kernel is
a pure function of its inputs and common random numbers hold.
"""

from __future__ import annotations

import math

import numba
import numpy as np

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_INV53 = 1.0 / float(1 << 53)


@numba.njit(cache=True, inline="always")
def _splitmix(x):
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@numba.njit(cache=True)
def keyed_uniform(keys: np.ndarray, prefix: np.uint64) -> np.ndarray:
    """Uniforms in (0, 1): ``(mix(key ^ prefix) >> 11 + 0.5) / 2**53`` per key.

    Bit-identical to the NumPy reference in :meth:`Streams.uniform`, in one pass.
    """
    out = np.empty(keys.size, dtype=np.float64)
    for i in range(keys.size):
        b = _splitmix(np.uint64(keys[i]) ^ prefix) >> np.uint64(11)
        out[i] = (float(b) + 0.5) * 1.1102230246251565e-16
    return out


@numba.njit(cache=True)
def binomial_inverse(u: np.ndarray, n: np.ndarray, p: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Binomial(n, p) by inversion of ``u``: the smallest k with CDF(k) >= u.

    Walks the probability mass function up from k = 0; where its first term would
    underflow (n * -log(1-p) > 600) the entry is left at -1 for the caller to finish with
    the exact incomplete-beta bisection (:func:`fentanet.simulate.rng.binomial_ppf`).
    """
    for i in range(u.size):
        ni = n[i]
        pi = p[i]
        if ni <= 0 or pi <= 0.0:
            out[i] = 0
            continue
        if pi >= 1.0:
            out[i] = ni
            continue
        logq = math.log1p(-pi)
        if ni * -logq > 600.0:
            out[i] = -1
            continue
        pmf = math.exp(ni * logq)
        cdf = pmf
        ratio = pi / (1.0 - pi)
        k = 0
        ui = u[i]
        while cdf < ui and k < ni:
            pmf *= (ni - k) / (k + 1.0) * ratio
            k += 1
            cdf += pmf
        out[i] = k
    return out
