"""Compiled kernels of the simulation (numba, ``cache=True``).

Random numbers are never drawn from a sequential stream inside these loops: a kernel gets
keyed uniforms, or the 64-bit prefix of (seed, stream, step) from
:meth:`fentanet.simulate.rng.Streams.prefix` and derives each key's uniform itself,
bit-identical to :meth:`~fentanet.simulate.rng.Streams.uniform`; so a kernel is a pure
function of its inputs and common random numbers hold.

The flow of one stage (:class:`fentanet.simulate.topology.Stage`) is :func:`transfer`:
:func:`plan` (offers split by the receivers' room, several passes), :func:`afford` (cash
limits of the receivers' payers) and :func:`apply` (material moves, payment), each a loop
over the stage's links in link order on arrays numbered locally by the stage.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from fentanet.simulate.binomial import keyed_uniform as _uniform_of


@numba.njit(cache=True)
def keyed_uniform(keys: np.ndarray, prefix: np.uint64) -> np.ndarray:
    """Uniforms in (0, 1): ``(mix(key ^ prefix) >> 11 + 0.5) / 2**53`` per key.

    Bit-identical to the NumPy reference in :meth:`Streams.bits`, in one pass.
    """
    out = np.empty(keys.size, dtype=np.float64)
    for i in range(keys.size):
        out[i] = _uniform_of(np.uint64(keys[i]), prefix)
    return out


@numba.njit(cache=True, inline="always")
def walk_binomial(u, n, p):
    """Binomial(n, p) by inversion of ``u``: the smallest k with CDF(k) >= u, walking the
    probability mass function up from 0; -1 where its first term would underflow
    (``n * -log(1-p) > 600``), for the caller to finish with the exact incomplete-beta
    bisection (:func:`fentanet.simulate.rng.binomial_ppf`)."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    logq = math.log1p(-p)
    if n * -logq > 600.0:
        return -1
    pmf = math.exp(n * logq)
    cdf = pmf
    ratio = p / (1.0 - p)
    k = 0
    while cdf < u and k < n:
        pmf *= (n - k) / (k + 1.0) * ratio
        k += 1
        cdf += pmf
    return k


@numba.njit(cache=True)
def binomial_inverse(u: np.ndarray, n: np.ndarray, p: np.ndarray, out: np.ndarray) -> np.ndarray:
    """:func:`walk_binomial` over arrays (-1 left where the walk would underflow)."""
    for i in range(u.size):
        out[i] = walk_binomial(u[i], n[i], p[i])
    return out


@numba.njit(cache=True)
def offer_room(senders, receivers, kind, capacity, product, dt, cover, route_kind):
    """Offers of a stage's senders, ``min(product, capacity * dt)``, and room of its
    receivers: target stock minus stock (routes: ``capacity * dt`` minus load), at least 0.
    """
    offer = np.empty(senders.size)
    for i in range(senders.size):
        s = senders[i]
        offer[i] = min(product[s], capacity[s] * dt)
    room = np.empty(receivers.size)
    for j in range(receivers.size):
        d = receivers[j]
        if kind[d] == route_kind:
            r = capacity[d] * dt - product[d]
        else:
            r = cover * capacity[d] - product[d]
        room[j] = max(r, 0.0)
    return offer, room


@numba.njit(cache=True)
def plan(li, src, dst, s_loc, d_loc, link_alive, alive, weight, pref, offer, room, passes,
         pull):
    """Quantities moved on each link of one stage (before cash limits).

    Each sender splits its ``offer`` (local to the stage's senders) over its alive links in
    proportion to ``room * pref`` of the receivers (``pull``: stock flows toward where it
    is lacking, as in an order-up-to inventory policy; ``pref`` is the sender's preference
    for the link, such as displacement away from risky routes), or by ``weight`` in the
    first pass when ``pull`` is off. A receiver takes at most its ``room`` (all offers to
    it scaled alike). Later passes re-offer what was not taken to links whose receivers
    still have room; a link whose sender has nothing left or whose receiver is full drops
    out for good (both only fall). Returns the quantity per link (0 on dead links) and the
    links that carry some, ascending.
    """
    m = li.size
    qty = np.zeros(m)
    left = offer.copy()
    space = room.copy()
    act = np.empty(m, dtype=np.int64)
    na = 0
    for k in range(m):  # branch-free compaction: which links are on is hard to predict
        on = (link_alive[li[k]] & alive[src[k]] & alive[dst[k]] & (left[s_loc[k]] > 0.0)
              & (space[d_loc[k]] > 0.0))
        act[na] = k
        na += on
    first = act[:na].copy()
    w = np.zeros(m)
    o = np.zeros(m)
    wsum = np.zeros(offer.size)  # zeroed again as each pass ends
    offered = np.zeros(room.size)
    ratio = np.zeros(room.size)
    seen = np.full(room.size, -1, dtype=np.int64)  # pass in which ratio[d] was set
    for it in range(passes):
        keep = 0  # A: weights; links with nothing left to send or no room drop out
        for j in range(na):
            k = act[j]
            s = s_loc[k]
            d = d_loc[k]
            on = (left[s] > 0.0) & (space[d] > 0.0)
            wk = space[d] * pref[k] if pull or it > 0 else weight[k]
            wk = wk if on else 0.0
            w[k] = wk
            wsum[s] += wk
            act[keep] = k
            keep += on
        na = keep
        if na == 0:
            break
        for j in range(na):  # B: offers
            k = act[j]
            o[k] = 0.0
            if w[k] > 0.0:
                o[k] = left[s_loc[k]] * w[k] / wsum[s_loc[k]]
                offered[d_loc[k]] += o[k]
        moved = 0.0
        for j in range(na):  # C: receivers take at most their room (as it was before
            k = act[j]  # this pass's takings); senders and receivers are debited
            s = s_loc[k]
            d = d_loc[k]
            if seen[d] != it:
                seen[d] = it
                ratio[d] = min(space[d] / offered[d], 1.0) if offered[d] > 0.0 else 1.0
            if o[k] > 0.0:
                o[k] *= ratio[d]
                qty[k] += o[k]
                moved += o[k]
                left[s] = max(left[s] - o[k], 0.0)
                space[d] = max(space[d] - o[k], 0.0)
            wsum[s] = 0.0
            offered[d] = 0.0
        if moved <= 0.0:
            break
    nt = 0
    for j in range(first.size):
        k = first[j]
        first[nt] = k
        nt += qty[k] > 0.0
    return qty, first[:nt]


@numba.njit(cache=True)
def afford(qty, moved, ext, d_pay, s_kind, price_of_kind, payers, cash):
    """Scale purchases to what each receiver's payer can pay (in place, over the links
    ``moved`` that carry some): a payer whose bill at the sellers' prices exceeds its cash
    buys the share its cash covers. Links within one payer are free."""
    due = np.zeros(payers.size)
    for k in moved:
        if ext[k]:
            due[d_pay[k]] += qty[k] * price_of_kind[s_kind[k]]
    for k in moved:
        if ext[k]:
            b = d_pay[k]
            c = cash[payers[b]]
            if due[b] > c:
                qty[k] = qty[k] * (c / due[b] if due[b] > 0.0 else 0.0)


@numba.njit(cache=True)
def apply(qty, moved, src, dst, s_loc, ext, s_kind, price_of_kind, lost_share, payer,
          product, cash, dirty, throughput):
    """Move the material on the links ``moved`` (receivers get ``qty * (1 -
    lost_share[sender])``), pay for what is delivered (receiver's payer's cash to sender's
    payer's unlaundered revenue) and count the senders' throughput. Returns the quantity
    lost (seized) in transit."""
    lost = 0.0
    for k in moved:
        q = qty[k]
        if q <= 0.0:
            continue
        s = src[k]
        d = dst[k]
        got = q * (1.0 - lost_share[s_loc[k]])
        lost += q - got
        product[s] -= q
        if product[s] < 0.0:
            product[s] = 0.0
        product[d] += got
        throughput[s] += q
        if ext[k]:
            pay = got * price_of_kind[s_kind[k]]
            b = payer[d]
            if pay > cash[b]:
                pay = cash[b]
            cash[b] -= pay
            dirty[payer[s]] += pay
    return lost


@numba.njit(cache=True)
def transfer(li, src, dst, s_loc, d_loc, ext, d_pay, s_kind, payers, link_alive, alive, pref,
             offer, room, passes, price_of_kind, payer, product, cash, dirty, throughput):
    """One stage without losses in transit: :func:`plan`, :func:`afford`, :func:`apply`.
    Returns the quantity per link."""
    qty, moved = plan(li, src, dst, s_loc, d_loc, link_alive, alive, pref, pref, offer, room,
                      passes, True)
    afford(qty, moved, ext, d_pay, s_kind, price_of_kind, payers, cash)
    apply(qty, moved, src, dst, s_loc, ext, s_kind, price_of_kind, np.zeros(offer.size), payer,
          product, cash, dirty, throughput)
    return qty


@numba.njit(cache=True)
def sent_by_sender(qty, moved, s_loc, n_senders):
    """Total quantity per (local) sender over the links ``moved``."""
    out = np.zeros(n_senders)
    for k in moved:
        out[s_loc[k]] += qty[k]
    return out
