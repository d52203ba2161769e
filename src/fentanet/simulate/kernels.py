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
def binomial_inverse_clipped(u, n, p):
    """:func:`binomial_inverse` with ``p`` clipped to [0, 1] (NaN kept, as ``np.clip``);
    returns (counts, whether any is -1)."""
    out = np.empty(u.size, dtype=np.int64)
    rest = False
    for i in range(u.size):
        q = p[i]
        if q < 0.0:
            q = 0.0
        elif q > 1.0:
            q = 1.0
        out[i] = walk_binomial(u[i], n[i], q)
        rest |= out[i] < 0
    return out, rest


@numba.njit(cache=True)
def offer_room(senders, receivers, alive, kind, capacity, product, dt, cover, route_kind):
    """Offers of a stage's senders, ``min(product, capacity * dt)``, and room of its
    receivers: target stock minus stock (routes: ``capacity * dt`` minus load), at least 0;
    both 0 for actors no longer alive.
    """
    offer = np.zeros(senders.size)
    for i in range(senders.size):
        s = senders[i]
        if alive[s]:
            offer[i] = min(product[s], capacity[s] * dt)
    room = np.zeros(receivers.size)
    for j in range(receivers.size):
        d = receivers[j]
        if not alive[d]:
            continue
        if kind[d] == route_kind:
            r = capacity[d] * dt - product[d]
        else:
            r = cover * capacity[d] - product[d]
        room[j] = max(r, 0.0)
    return offer, room


@numba.njit(cache=True)
def plan(li, s_loc, d_loc, link_alive, weight, pref, offer, room, passes, pull):
    """Quantities moved on the links of one stage (before cash limits).

    Each sender splits its ``offer`` (local to the stage's senders; 0 for senders no longer
    alive) over its alive links in proportion to ``room * pref`` of the receivers
    (``pull``: stock flows toward where it is lacking, as in an order-up-to inventory
    policy; ``pref`` is the sender's preference for the link, such as displacement away
    from risky routes; empty: 1), or by ``weight`` in the first pass when ``pull`` is off.
    A receiver takes at most its ``room`` (0 for receivers no longer alive; all offers to
    it scaled alike). Later passes re-offer what was not taken to links whose receivers
    still have room; a link whose sender has nothing left or whose receiver is full drops
    out for good (both only fall). Returns the links that carry some (ascending) and their
    quantities.
    """
    m = li.size
    left = offer.copy()
    space = room.copy()
    # the links in play, compacted: position in `first`, sender, receiver, preference,
    # first-pass weight
    first = np.empty(m, dtype=np.int32)
    na = 0
    for k in range(m):  # branch-free compaction: which links are on is hard to predict
        on = link_alive[li[k]] & (left[s_loc[k]] > 0.0) & (space[d_loc[k]] > 0.0)
        first[na] = k
        na += on
    first = first[:na]
    q = np.zeros(na)
    a_i = np.empty(na, dtype=np.int32)
    a_s = np.empty(na, dtype=np.int32)
    a_d = np.empty(na, dtype=np.int32)
    # preferences (carried along only when given: room * 1 is room) and first-pass
    # weights (read in the first pass only, so never carried)
    has_pref = pref.size > 0
    a_p = np.empty(na if has_pref else 0)
    a_w0 = np.empty(0 if pull else na)
    for j in range(na):
        k = first[j]
        a_i[j] = j
        a_s[j] = s_loc[k]
        a_d[j] = d_loc[k]
        if has_pref:
            a_p[j] = pref[k]
        if not pull:
            a_w0[j] = weight[k] if weight.size else 1.0
    a_w = np.empty(na)
    a_o = np.empty(na)
    wsum = np.zeros(offer.size)  # zeroed again as each pass ends
    offered = np.zeros(room.size)
    ratio = np.zeros(room.size)
    seen = np.full(room.size, -1, dtype=np.int64)  # pass in which ratio[d] was set
    for it in range(passes):
        keep = 0  # A: weights; links with nothing left to send or no room drop out
        by_room = pull or it > 0
        for j in range(na):
            s = a_s[j]
            d = a_d[j]
            on = (left[s] > 0.0) & (space[d] > 0.0)
            if by_room:
                wk = space[d] * a_p[j] if has_pref else space[d]
            else:
                wk = a_w0[j]
            wk = wk if on else 0.0
            wsum[s] += wk
            a_i[keep] = a_i[j]
            a_s[keep] = s
            a_d[keep] = d
            if has_pref:
                a_p[keep] = a_p[j]
            a_w[keep] = wk
            keep += on
        na = keep
        if na == 0:
            break
        for j in range(na):  # B: offers
            o = 0.0
            if a_w[j] > 0.0:
                s = a_s[j]
                o = left[s] * a_w[j] / wsum[s]
                offered[a_d[j]] += o
            a_o[j] = o
        moved = 0.0
        for j in range(na):  # C: receivers take at most their room (as it was before
            s = a_s[j]  # this pass's takings); senders and receivers are debited
            d = a_d[j]
            if seen[d] != it:
                seen[d] = it
                ratio[d] = min(space[d] / offered[d], 1.0) if offered[d] > 0.0 else 1.0
            o = a_o[j]
            if o > 0.0:
                o *= ratio[d]
                q[a_i[j]] += o
                moved += o
                left[s] = max(left[s] - o, 0.0)
                space[d] = max(space[d] - o, 0.0)
            wsum[s] = 0.0
            offered[d] = 0.0
        if moved <= 0.0:
            break
    nt = 0
    for j in range(first.size):
        first[nt] = first[j]
        q[nt] = q[j]
        nt += q[j] > 0.0
    return first[:nt], q[:nt]


@numba.njit(cache=True)
def afford(moved, q, ext, d_pay, s_kind, price_of_kind, payers, cash):
    """Scale purchases ``q`` on the links ``moved`` to what each receiver's payer can pay
    (in place): a payer whose bill at the sellers' prices exceeds its cash buys the share
    its cash covers. Links within one payer are free."""
    due = np.zeros(payers.size)
    for j in range(moved.size):
        k = moved[j]
        if ext[k]:
            due[d_pay[k]] += q[j] * price_of_kind[s_kind[k]]
    for j in range(moved.size):
        k = moved[j]
        if ext[k]:
            b = d_pay[k]
            c = cash[payers[b]]
            if due[b] > c:
                q[j] = q[j] * (c / due[b] if due[b] > 0.0 else 0.0)


@numba.njit(cache=True)
def apply(moved, q, src, dst, s_loc, ext, s_kind, price_of_kind, lost_share, payer, product,
          cash, dirty, throughput):
    """Move the material ``q`` on the links ``moved`` (receivers get ``q * (1 -
    lost_share[sender])``; ``lost_share`` empty: nothing lost), pay for what is delivered
    (receiver's payer's cash to sender's payer's unlaundered revenue) and count the senders'
    throughput. Returns the quantity lost (seized) in transit."""
    lost = 0.0
    for j in range(moved.size):
        x = q[j]
        if x <= 0.0:
            continue
        k = moved[j]
        s = src[k]
        d = dst[k]
        got = x * (1.0 - lost_share[s_loc[k]]) if lost_share.size else x
        lost += x - got
        product[s] -= x
        if product[s] < 0.0:
            product[s] = 0.0
        product[d] += got
        throughput[s] += x
        if ext[k]:
            pay = got * price_of_kind[s_kind[k]]
            b = payer[d]
            if pay > cash[b]:
                pay = cash[b]
            cash[b] -= pay
            dirty[payer[s]] += pay
    return lost


@numba.njit(cache=True)
def transfer(li, src, dst, s_loc, d_loc, ext, d_pay, s_kind, payers, link_alive, pref, offer,
             room, passes, price_of_kind, payer, product, cash, dirty, throughput):
    """One stage without losses in transit: :func:`plan`, :func:`afford`, :func:`apply`.
    Returns the links that carried some and their quantities."""
    moved, q = plan(li, s_loc, d_loc, link_alive, pref[:0], pref, offer, room, passes, True)
    afford(moved, q, ext, d_pay, s_kind, price_of_kind, payers, cash)
    apply(moved, q, src, dst, s_loc, ext, s_kind, price_of_kind, offer[:0], payer, product,
          cash, dirty, throughput)
    return moved, q


@numba.njit(cache=True)
def sent_by_sender(moved, q, s_loc, n_senders):
    """Total quantity ``q`` per (local) sender over the links ``moved``."""
    out = np.zeros(n_senders)
    for j in range(moved.size):
        out[s_loc[moved[j]]] += q[j]
    return out
