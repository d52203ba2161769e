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


@numba.njit(cache=True)
def plan_transfers(li, src, dst, link_alive, alive, weight, pref, offer, room, passes,
                   pull=True):
    """Quantities moved on each link of one stage (before cash limits).

    Each sender splits its ``offer`` over its alive links in proportion to ``room * pref``
    of the receivers (``pull``: stock flows toward where it is lacking, as in an
    order-up-to inventory policy; ``pref`` is the sender's preference for the link, such as
    displacement away from risky routes), or by ``weight`` in the first pass when ``pull``
    is off. A receiver takes at most its ``room`` (all offers to it scaled alike). Later
    passes re-offer what was not taken to links whose receivers still have room. Returns
    quantities per link (0 on dead links).
    """
    n = offer.size
    m = src.size
    qty = np.zeros(m)
    ok = np.zeros(m, dtype=np.bool_)
    for k in range(m):
        ok[k] = link_alive[li[k]] and alive[src[k]] and alive[dst[k]]
    left = offer.copy()
    space = room.copy()
    w = np.zeros(m)
    o = np.zeros(m)
    wsum = np.zeros(n)
    offered = np.zeros(n)
    for it in range(passes):
        for k in range(m):
            wsum[src[k]] = 0.0
            offered[dst[k]] = 0.0
        any_w = False
        for k in range(m):
            s = src[k]
            d = dst[k]
            if not ok[k] or left[s] <= 0.0 or space[d] <= 0.0:
                w[k] = 0.0
                continue
            if pull or it > 0:
                w[k] = space[d] * pref[k]
            else:
                w[k] = weight[k]
            wsum[s] += w[k]
            any_w = True
        if not any_w:
            break
        for k in range(m):
            o[k] = 0.0
            if w[k] > 0.0:
                s = src[k]
                o[k] = left[s] * w[k] / wsum[s]
                offered[dst[k]] += o[k]
        moved = 0.0
        for k in range(m):
            if o[k] > 0.0:
                d = dst[k]
                ratio = space[d] / offered[d]
                if ratio < 1.0:
                    o[k] *= ratio
                qty[k] += o[k]
                moved += o[k]
        for k in range(m):
            if o[k] > 0.0:
                s = src[k]
                d = dst[k]
                left[s] = max(left[s] - o[k], 0.0)
                space[d] = max(space[d] - o[k], 0.0)
        if moved <= 0.0:
            break
    return qty


@numba.njit(cache=True)
def afford(src, dst, qty, price, payer, cash):
    """Scale purchases across payers to what each buyer's payer can pay.

    Returns the scaled quantities and the payment per link (0 within one payer)."""
    n = cash.size
    m = src.size
    due = np.zeros(n)
    for k in range(m):
        if qty[k] > 0.0 and payer[src[k]] != payer[dst[k]]:
            due[payer[dst[k]]] += qty[k] * price[k]
    out = qty.copy()
    paid = np.zeros(m)
    for k in range(m):
        if qty[k] > 0.0 and payer[src[k]] != payer[dst[k]]:
            b = payer[dst[k]]
            f = 1.0
            if due[b] > cash[b]:
                f = cash[b] / due[b] if due[b] > 0.0 else 0.0
            out[k] = qty[k] * f
            paid[k] = out[k] * price[k]
    return out, paid


@numba.njit(cache=True)
def apply_transfers(src, dst, qty, lost_share, price, payer, stock, cash, dirty, throughput):
    """Move the material (receivers get ``qty * (1 - lost_share[sender])``), pay for what
    is delivered (buyer's payer's cash to seller's payer's revenue) and count throughput.
    Returns the quantity lost (seized) in transit."""
    lost = 0.0
    for k in range(src.size):
        q = qty[k]
        if q <= 0.0:
            continue
        s = src[k]
        d = dst[k]
        got = q * (1.0 - lost_share[s])
        lost += q - got
        stock[s] -= q
        if stock[s] < 0.0:
            stock[s] = 0.0
        stock[d] += got
        throughput[s] += q
        if payer[s] != payer[d]:
            pay = got * price[k]
            b = payer[d]
            if pay > cash[b]:
                pay = cash[b]
            cash[b] -= pay
            dirty[payer[s]] += pay
    return lost
