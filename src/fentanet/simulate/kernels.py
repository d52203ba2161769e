"""Compiled kernels of the simulation (numba, ``cache=True``).

Random numbers are never drawn from a sequential stream inside these loops: a kernel gets
keyed uniforms, or the 64-bit prefix of (seed, stream, step) from
:meth:`fentanet.simulate.rng.Streams.prefix` and derives each key's uniform itself,
bit-identical to :meth:`~fentanet.simulate.rng.Streams.uniform`; so a kernel is a pure
function of its inputs and common random numbers hold.

The flow of one stage (:class:`fentanet.simulate.topology.Stage`) is :func:`transfer`:
:func:`plan` (offers split by the receivers' room, several passes), :func:`afford` (cash
limits of the receivers' payers) and :func:`apply` (material moves, payment), each a loop
over the stage's links in link order on arrays numbered locally by the stage; the route
stage, whose seizures are drawn between the plan and the moves, uses :func:`plan_afford`
then :func:`apply`; a stage with its actors' own offers and rooms is :func:`push`. Local
numbers and slots are read as unsigned (:func:`_u`) in the loops over links: they are never
negative, and numba then skips the test for an index counted from the end.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from fentanet import _jitcache  # noqa: F401  (numba's cache, stale after any kernel's edit)
from fentanet.simulate.binomial import keyed_uniform as _uniform_of


@numba.njit(cache=True, inline="always")
def _pairwise_block(a, lo, n):
    """NumPy's pairwise sum of ``a[lo:lo + n]`` for ``n`` up to 128
    (``pairwise_sum_DOUBLE``, numpy/_core/src/umath/loops_utils.h.src): under 8 values one
    by one from 0.0; else eight running sums from the first eight values, combined as
    ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)), then the rest one by one."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = lo + 8
    end = lo + n - n % 8
    while i < end:
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < lo + n:
        res += a[i]
        i += 1
    return res


@numba.njit(cache=True)
def np_sum(a):
    """``a.sum()`` of a 1-D float64 array as NumPy computes it, bit for bit: its identity
    0.0 plus the pairwise sum of every value, a run of more than 128 values the sum of its
    two halves' (the first half's length a multiple of 8), a shorter one
    :func:`_pairwise_block`'s; the halves kept on a stack (numba's cache and a recursive
    function do not mix), their order of evaluation free (a sum of two is the same either
    way). So a compiled phase can return the sums the series record without a NumPy call
    after it."""
    n = a.size
    if n <= 128:
        return 0.0 + _pairwise_block(a, 0, n)
    los = np.empty(128, dtype=np.int64)  # runs to sum: 2 per level, at most 64 levels
    ns = np.empty(128, dtype=np.int64)
    split = np.zeros(128, dtype=np.bool_)  # its halves' sums are on the value stack
    vals = np.empty(128)
    los[0], ns[0] = 0, n
    top, nv = 1, 0
    while top:
        lo, m = los[top - 1], ns[top - 1]
        if m <= 128:
            vals[nv] = _pairwise_block(a, lo, m)
            nv += 1
            top -= 1
        elif split[top - 1]:
            vals[nv - 2] = vals[nv - 2] + vals[nv - 1]
            nv -= 1
            split[top - 1] = False
            top -= 1
        else:
            split[top - 1] = True
            half = m // 2
            half -= half % 8
            los[top], ns[top], split[top] = lo, half, False
            los[top + 1], ns[top + 1], split[top + 1] = lo + half, m - half, False
            top += 2
    return 0.0 + vals[0]


@numba.njit(cache=True, inline="always")
def _u(i):
    """An index known to be non-negative, as unsigned: numba then indexes without the
    test for a negative index counting from the end."""
    return np.uint64(i)


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
    offer = _offers(senders, alive, capacity, product, dt)
    room = np.empty(receivers.size)
    for j in range(receivers.size):
        room[j] = _room(receivers[j], alive, kind, capacity, product, dt, cover, route_kind)
    return offer, room


@numba.njit(cache=True)
def _offers(senders, alive, capacity, product, dt):
    """The offers of :func:`offer_room`."""
    offer = np.zeros(senders.size)
    for i in range(senders.size):
        s = senders[i]
        if alive[s]:
            offer[i] = min(product[s], capacity[s] * dt)
    return offer


@numba.njit(cache=True)
def _room(d, alive, kind, capacity, product, dt, cover, route_kind):
    """The room of :func:`offer_room` of the receiver in slot ``d``."""
    if kind[d] == route_kind:
        r = capacity[d] * dt - product[d]
    else:
        r = cover * capacity[d] - product[d]
    return max(r, 0.0) if alive[d] else 0.0


@numba.njit(cache=True, error_model="numpy")
def settle(li, s_loc, d_loc, link_alive, weight, pref, left, space, passes, pull, first, q):
    """The passes of :func:`plan`, in place: ``left`` (the senders' offers) and ``space``
    (the receivers' room) are debited; ``first`` (at least as long as ``li``) gets the
    positions of the links in play at the start (ascending) and ``q`` their quantities (0
    for those that carried nothing). Returns how many links were in play.

    Three loops per pass over the links still in play, in link order: A (weights, the
    senders' weight sums, links that can no longer carry drop out; the first pass's A is
    fused with the compaction), B (offers, the receivers' offered sums), C (takings, each
    receiver's ratio set at its first link of the pass, where the offered sum is reset).
    A sum over one sender's or receiver's links adds the same operands in the same order
    as the plain rule (adding an exact 0.0 changes no sum), so the result is that rule's,
    bit for bit; ``error_model="numpy"`` lets the loops compute a quotient they then
    discard (no branch to guard the division). B computes a link's weight again from the
    room A read (nothing is debited between A and B) rather than storing it, and local
    numbers are read as unsigned (they are never negative): less memory traffic and no
    test for negative indices in the loops that dominate a step's flows. The passes after
    the first A are :func:`_passes`."""
    m = li.size
    has_pref = pref.size > 0
    a_s = np.empty(m, dtype=np.int32)
    a_d = np.empty(m, dtype=np.int32)
    a_p = np.empty(m if has_pref else 0)
    wsum = np.zeros(left.size)
    # A of the first pass with the compaction, without branches (which links are on is
    # hard to predict); the weights by room (times preference), or by `weight` without pull
    # (settle_room has a copy of this loop with the room computed in it: change both)
    na = 0
    for k in range(m):
        s = _u(s_loc[k])
        d = _u(d_loc[k])
        on = link_alive[_u(li[k])] & (left[s] > 0.0) & (space[d] > 0.0)
        if pull:
            wk = space[d] * pref[k] if has_pref else space[d]
        else:
            wk = weight[k] if weight.size else 1.0
        wk = wk if on else 0.0
        wsum[s] += wk
        first[na] = k
        a_s[na] = s
        a_d[na] = d
        if has_pref:
            a_p[na] = pref[k]
        na += on
    return _passes(na, a_s, a_d, a_p, wsum, weight, left, space, passes, pull, first, q)


@numba.njit(cache=True, error_model="numpy")
def settle_room(li, s_loc, d_loc, dst, link_alive, pref, left, space, passes, first, q, alive,
                kind, capacity, product, dt, cover, route_kind):
    """:func:`settle` with pull whose first A also fills ``space`` (one element per
    receiver; its values are not read): each link sets its receiver's room as
    :func:`offer_room` does (:func:`_room` of its receiver's slot ``dst``) before reading
    it. Nothing changes a stock before the passes, so a receiver with several links gets
    the same room at each, and every receiver has a link: the numbers of
    :func:`offer_room` then :func:`settle`, without a loop over the receivers (the room
    is computed where the plan reads it)."""
    m = li.size
    has_pref = pref.size > 0
    a_s = np.empty(m, dtype=np.int32)
    a_d = np.empty(m, dtype=np.int32)
    a_p = np.empty(m if has_pref else 0)
    wsum = np.zeros(left.size)
    na = 0
    for k in range(m):  # settle's first A with pull, the room computed here: change both
        s = _u(s_loc[k])
        d = _u(d_loc[k])
        sp = _room(_u(dst[k]), alive, kind, capacity, product, dt, cover, route_kind)
        space[d] = sp
        on = link_alive[_u(li[k])] & (left[s] > 0.0) & (sp > 0.0)
        wk = sp * pref[k] if has_pref else sp
        wk = wk if on else 0.0
        wsum[s] += wk
        first[na] = k
        a_s[na] = s
        a_d[na] = d
        if has_pref:
            a_p[na] = pref[k]
        na += on
    return _passes(na, a_s, a_d, a_p, wsum, left[:0], left, space, passes, True, first, q)


@numba.njit(cache=True, error_model="numpy")
def _passes(na, a_s, a_d, a_p, wsum, weight, left, space, passes, pull, first, q):
    """The passes of :func:`settle` after its first A: ``na`` links in play (senders
    ``a_s``, receivers ``a_d``, preferences ``a_p``, positions ``first``), ``wsum`` their
    senders' weight sums. In C a receiver's ratio at its first link of the pass is chosen
    without a branch (a later link reads the one stored): the quotient is computed at
    every link and discarded where the offered sum was already reset. Returns ``na``."""
    n0 = na
    has_pref = a_p.size > 0
    if passes < 1:
        q[:n0] = 0.0
    a_i = np.empty(na, dtype=np.int32)  # position in `first` (from the second pass)
    a_o = np.empty(na)
    offered = np.zeros(space.size)  # zeroed again by C
    ratio = np.zeros(space.size)
    for it in range(passes):
        if it > 0:  # A: weights by the room left; links that cannot carry drop out
            wsum[:] = 0.0
            keep = 0
            for j in range(na):
                s = _u(a_s[j])
                d = _u(a_d[j])
                on = (left[s] > 0.0) & (space[d] > 0.0)
                wk = space[d] * a_p[j] if has_pref else space[d]
                wk = wk if on else 0.0
                wsum[s] += wk
                a_i[keep] = j if it == 1 else a_i[j]  # the first pass's j is its position
                a_s[keep] = s
                a_d[keep] = d
                if has_pref:
                    a_p[keep] = a_p[j]
                keep += on
            na = keep
        if na == 0:
            break
        for j in range(na):  # B: offers
            s = _u(a_s[j])
            d = _u(a_d[j])
            if pull or it > 0:  # the weight A computed, computed again
                w = space[d] * a_p[j] if has_pref else space[d]
            else:
                w = weight[_u(first[j])] if weight.size else 1.0
            o = left[s] * w / wsum[s]
            o = o if w > 0.0 else 0.0
            offered[d] += o
            a_o[j] = o
        carried = False
        for j in range(na):  # C: receivers take at most their room as it was before this
            s = _u(a_s[j])  # pass's takings (ratio set where offered is still unreset);
            d = _u(a_d[j])  # senders and receivers are debited
            od = offered[d]
            kept = ratio[d]  # read before the choice: a select, not a branch
            r = min(space[d] / od, 1.0)
            r = r if od > 0.0 else kept
            ratio[d] = r
            offered[d] = 0.0
            o = a_o[j] * r
            if it == 0:  # the first pass sets q (as 0.0 + o would)
                q[j] = o
            else:
                q[_u(a_i[j])] += o
            carried |= o > 0.0
            left[s] = max(left[s] - o, 0.0)
            space[d] = max(space[d] - o, 0.0)
        if not carried:
            break
    return n0

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
    quantities (the passes are :func:`settle`).
    """
    first = np.empty(li.size, dtype=np.int32)
    q = np.empty(li.size)
    n0 = settle(li, s_loc, d_loc, link_alive, weight, pref, offer.copy(), room.copy(),
                passes, pull, first, q)
    nt = 0
    for j in range(n0):
        first[nt] = first[j]
        q[nt] = q[j]
        nt += q[j] > 0.0
    return first[:nt], q[:nt]


@numba.njit(cache=True)
def plan_afford(li, s_loc, d_loc, link_alive, offer, room, passes, ext, d_pay, s_kind,
                price_of_kind, payers, cash):
    """:func:`plan` (pull, no preference), :func:`afford` and :func:`sent_by_sender` in one
    call, for a stage whose material moves later (:func:`apply`, once the seizures are
    drawn): the passes (:func:`settle`) work on ``offer`` and ``room`` in place (fresh
    arrays, debited). Returns the links in play (ascending), their quantities after the
    cash limits (0.0 for those that carry nothing: :func:`apply` skips them, and the sums
    add an exact 0.0) and the quantity per sender; the same numbers as the three kernels."""
    first = np.empty(li.size, dtype=np.int32)
    q = np.empty(li.size)
    n0 = settle(li, s_loc, d_loc, link_alive, offer[:0], offer[:0], offer, room, passes,
                True, first, q)
    due = np.zeros(payers.size)
    for j in range(n0):  # bills, as transfer
        x = q[j]
        k = _u(first[j])
        v = x * price_of_kind[_u(s_kind[k])]
        due[_u(d_pay[k])] += v if ext[k] and x > 0.0 else 0.0
    scale = np.ones(payers.size)
    for b in range(payers.size):
        c = cash[_u(payers[b])]
        if due[b] > c:
            scale[b] = c / due[b] if due[b] > 0.0 else 0.0
    sent = np.zeros(offer.size)
    for j in range(n0):  # cash limits and the senders' totals over the links that carry
        x = q[j]
        if x > 0.0:
            k = _u(first[j])
            if ext[k]:
                x = x * scale[_u(d_pay[k])]
                q[j] = x
            sent[_u(s_loc[k])] += x
    return first[:n0], q[:n0], sent


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
        if not x > 0.0:  # NaN moves nothing, as plan drops it
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
    """One stage without losses in transit: :func:`plan`, :func:`afford`, :func:`apply`,
    fused: the passes (:func:`settle`) work on ``offer`` and ``room`` in place (the caller's
    fresh arrays, debited), then the bills, cash limits and moves (:func:`_pay_move`). The
    same operations in the same order: the same numbers."""
    first = np.empty(li.size, dtype=np.int32)
    q = np.empty(li.size)
    n0 = settle(li, s_loc, d_loc, link_alive, pref[:0], pref, offer, room, passes, True,
                first, q)
    _pay_move(first[:n0], q, src, dst, ext, d_pay, s_kind, payers, price_of_kind, payer,
              product, cash, dirty, throughput, np.empty(payers.size))


@numba.njit(cache=True)
def push(senders, n_receivers, li, src, dst, s_loc, d_loc, ext, d_pay, s_kind, payers,
         link_alive, pref, alive, kind, capacity, dt, cover, route_kind, passes, price_of_kind,
         payer, product, cash, dirty, throughput):
    """One stage with its actors' own offers and rooms: :func:`offer_room` then
    :func:`transfer`, the receivers' room computed in the passes' first loop over the links
    (:func:`settle_room`) instead of a loop over the receivers: the same numbers."""
    offer = _offers(senders, alive, capacity, product, dt)
    space = np.empty(n_receivers)
    first = np.empty(li.size, dtype=np.int32)
    q = np.empty(li.size)
    n0 = settle_room(li, s_loc, d_loc, dst, link_alive, pref, offer, space, passes, first, q,
                     alive, kind, capacity, product, dt, cover, route_kind)
    _pay_move(first[:n0], q, src, dst, ext, d_pay, s_kind, payers, price_of_kind, payer,
              product, cash, dirty, throughput, np.empty(payers.size))


@numba.njit(cache=True)
def _pay_move(first, q, src, dst, ext, d_pay, s_kind, payers, price_of_kind, payer, product,
              cash, dirty, throughput, due):
    """The quantities ``q`` planned on the stage's links ``first`` bought and moved: one
    loop sums each payer's bill over the links that carry some, in link order, and one
    more scales (each payer's share its cash covers, from the cash before any payment, as
    :func:`afford`; the scale kept in the bill's place) and moves the material (as
    :func:`apply`). ``due``: scratch of at least ``payers.size`` floats (its values are not
    read)."""
    n0 = first.size
    npy = payers.size
    for b in range(npy):
        due[b] = 0.0
    for j in range(n0):  # bills (adding an exact 0.0 for links within one payer)
        x = q[j]
        k = _u(first[j])
        v = x * price_of_kind[_u(s_kind[k])]
        due[_u(d_pay[k])] += v if ext[k] and x > 0.0 else 0.0
    for b in range(npy):  # each payer's scale, in its bill's place (x * 1.0 is x)
        c = cash[_u(payers[b])]
        sc = 1.0
        if due[b] > c:
            sc = c / due[b] if due[b] > 0.0 else 0.0
        due[b] = sc
    for j in range(n0):
        k = _u(first[j])
        e = ext[k]
        x = q[j] * (due[_u(d_pay[k])] if e else 1.0)
        if not x > 0.0:  # NaN moves nothing, as plan drops it
            continue
        s = _u(src[k])
        d = _u(dst[k])
        p = product[s] - x
        product[s] = p if not p < 0.0 else 0.0  # max(p, 0.0), NaN kept
        product[d] += x
        throughput[s] += x
        if e:
            pay = x * price_of_kind[_u(s_kind[k])]
            b = _u(payer[d])
            c = cash[b]
            pay = pay if not pay > c else c
            cash[b] = c - pay
            dirty[_u(payer[s])] += pay


def push_scratch_sizes(n_links: int, n_senders: int, n_receivers: int,
                       n_payers: int) -> tuple[int, int]:
    """The float64 and int32 scratch :func:`push_into` needs for a stage of these sizes."""
    return 2 * n_links + 3 * n_receivers + 2 * n_senders + n_payers, 4 * n_links


@numba.njit(cache=True, error_model="numpy")
def push_into(senders, n_receivers, li, src, dst, s_loc, d_loc, ext, d_pay, s_kind, payers,
              link_alive, alive, kind, capacity, dt, cover, route_kind, passes,
              price_of_kind, payer, product, cash, dirty, throughput, f_scr, i_scr):
    """:func:`push` without preferences, on scratch the caller keeps between calls
    (``f_scr`` float64 and ``i_scr`` int32, at least :func:`push_scratch_sizes` long, else
    ValueError; their values are not read) instead of a dozen arrays allocated per call,
    with the senders' offers, the first pass's weight sums and the ratios made in one loop
    over the senders, and the loops of :func:`settle_room`, :func:`_passes` and
    :func:`_pay_move` written for pull without preferences (no test of either left in the
    loops): the same operations on the same values in the same order, so the same numbers
    (tested against :func:`push` on random stages and real states)."""
    m, ns, nr, npy = li.size, senders.size, n_receivers, payers.size
    if f_scr.size < 2 * m + 3 * nr + 2 * ns + npy or i_scr.size < 4 * m:
        raise ValueError("push_into: scratch shorter than push_scratch_sizes")
    first, a_s, a_d, a_i = i_scr[:m], i_scr[m:2 * m], i_scr[2 * m:3 * m], i_scr[3 * m:4 * m]
    q, a_o = f_scr[:m], f_scr[m:2 * m]
    o = 2 * m
    space, ratio, offered = f_scr[o:o + nr], f_scr[o + nr:o + 2 * nr], f_scr[o + 2 * nr:o + 3 * nr]
    o += 3 * nr
    left, wsum, due = f_scr[o:o + ns], f_scr[o + ns:o + 2 * ns], f_scr[o + 2 * ns:o + 2 * ns + npy]
    for i in range(ns):  # the offers (as _offers), the weight sums zeroed
        x = senders[i]
        left[i] = min(product[x], capacity[x] * dt) if alive[x] else 0.0
        wsum[i] = 0.0
    for j in range(nr):  # as np.zeros: the ratios, and the offered sums (reset by C)
        ratio[j] = 0.0
        offered[j] = 0.0
    na = 0
    for k in range(m):  # settle_room's first A, pull without preference
        s = _u(s_loc[k])
        d = _u(d_loc[k])
        sp = _room(_u(dst[k]), alive, kind, capacity, product, dt, cover, route_kind)
        space[d] = sp
        on = link_alive[_u(li[k])] & (left[s] > 0.0) & (sp > 0.0)
        wsum[s] += sp if on else 0.0
        first[na] = k
        a_s[na] = s
        a_d[na] = d
        na += on
    n0 = na
    if passes < 1:
        q[:n0] = 0.0
    for it in range(passes):  # _passes, pull without preference
        if it > 0:  # A
            for i in range(ns):
                wsum[i] = 0.0
            keep = 0
            for j in range(na):
                s = _u(a_s[j])
                d = _u(a_d[j])
                on = (left[s] > 0.0) & (space[d] > 0.0)
                wsum[s] += space[d] if on else 0.0
                a_i[keep] = j if it == 1 else a_i[j]
                a_s[keep] = s
                a_d[keep] = d
                keep += on
            na = keep
        if na == 0:
            break
        for j in range(na):  # B
            s = _u(a_s[j])
            d = _u(a_d[j])
            w = space[d]
            x = left[s] * w / wsum[s]
            x = x if w > 0.0 else 0.0
            offered[d] += x
            a_o[j] = x
        carried = False
        for j in range(na):  # C
            s = _u(a_s[j])
            d = _u(a_d[j])
            od = offered[d]
            kept = ratio[d]
            r = min(space[d] / od, 1.0)
            r = r if od > 0.0 else kept
            ratio[d] = r
            offered[d] = 0.0
            x = a_o[j] * r
            if it == 0:
                q[j] = x
            else:
                q[_u(a_i[j])] += x
            carried |= x > 0.0
            left[s] = max(left[s] - x, 0.0)
            space[d] = max(space[d] - x, 0.0)
        if not carried:
            break
    _pay_move(first[:n0], q, src, dst, ext, d_pay, s_kind, payers, price_of_kind, payer,
              product, cash, dirty, throughput, due)


@numba.njit(cache=True)
def sent_by_sender(moved, q, s_loc, n_senders):
    """Total quantity ``q`` per (local) sender over the links ``moved``."""
    out = np.zeros(n_senders)
    for j in range(moved.size):
        out[s_loc[moved[j]]] += q[j]
    return out


@numba.njit(cache=True)
def water_fill(s_loc, d_loc, on, weight, cap, room):
    """Water-filling of receivers' room by the senders feeding them: the quantity of each
    link ``k`` (sender ``s_loc[k]``, receiver ``d_loc[k]``, in play where ``on[k]``).

    Each receiver offers its room to the senders feeding it in proportion to their
    ``weight``; a sender takes what it is offered up to its own ``cap`` (over all its
    links), and a sender offered more than that takes the same share of each offer and is
    full. Room a sender did not take is offered again, by the same weights, to the
    senders of that receiver that are not full, until nothing is left to offer again or
    every sender feeding a receiver with room is full. So no sender gets more than its
    ``cap`` and no receiver gives more than its ``room`` (up to rounding), and room is
    lost only where every sender that could take it is full. At a receiver whose senders
    feed no other, this is the water level: sender ``r`` gets ``min(cap[r], level *
    weight[r])``. Links of weight 0, or whose sender's cap or receiver's room is 0, get 0.
    Every link's local numbers must be valid, those of links not ``on`` too: the first
    round reads them without a test (no placeholder such as -1).

    Exact and deterministic: each round but the last makes at least one sender full, so
    there are at most senders + 1 rounds, each four loops over the links still in play (a
    handful of rounds in practice): the links that stay in play, kept without a branch,
    with their receivers' weight sums (adding an exact 0.0 for those that drop out); the
    offers; each sender's answer, once (over the senders when they are fewer than the
    links); the takings, with what was not taken summed into a second array of the
    receivers' room (zeroed in the first loop: only the room of receivers still in play
    is read again), which the next round reads, and the links of senders not full kept
    (the next round's first loop drops those whose receiver has no room left). The sums
    add the same operands in the same order as the rule round by round
    (tests/shipping_plain.py), so the same numbers.
    """
    m = s_loc.size
    nr, nd = cap.size, room.size
    x = np.zeros(m)
    rem = np.empty(nr)  # what each sender can still take
    full = np.empty(nr, dtype=np.bool_)
    for i in range(nr):
        rem[i] = max(cap[i], 0.0)
        full[i] = not (rem[i] > 0.0 and weight[i] > 0.0)
    left = np.empty(nd)  # each receiver's room still on offer
    for j in range(nd):
        left[j] = max(room[j], 0.0)
    after = np.empty(nd)  # what is left of it after this round
    live = np.empty(m, dtype=np.int64)
    wsum = np.zeros(nd)
    asked = np.zeros(nr)
    share = np.ones(nr)
    offer = np.empty(m)
    n = m
    first = True
    while True:
        keep = 0  # the links still in play: all of them in play at first, then those left
        for e in range(n):
            k = e if first else live[e]
            s, d = _u(s_loc[k]), _u(d_loc[k])
            ok = (on[k] | (not first)) & (not full[s]) & (left[d] > 0.0)
            live[keep] = k
            keep += ok
            wsum[d] += weight[s] if ok else 0.0
            after[d] = 0.0
        n = keep
        first = False
        if n == 0:
            break
        for e in range(n):
            k = live[e]
            s, d = _u(s_loc[k]), _u(d_loc[k])
            o = left[d] * weight[s] / wsum[d]
            offer[e] = o
            asked[s] += o
        few = n < nr
        for e in range(n if few else nr):  # each sender's answer, once
            s = _u(s_loc[live[e]]) if few else _u(e)
            q = asked[s]
            if q > 0.0:
                if q > rem[s]:
                    share[s] = rem[s] / q
                    rem[s] = 0.0
                    full[s] = True
                else:
                    share[s] = 1.0
                    rem[s] -= q
                    full[s] = not rem[s] > 0.0
                asked[s] = 0.0
        keep = 0
        for e in range(n):  # what was not taken stays on offer; the senders not full kept
            k = live[e]
            s, d = _u(s_loc[k]), _u(d_loc[k])
            o = offer[e]
            take = o * share[s]
            x[k] += take
            after[d] += o - take if share[s] < 1.0 else 0.0
            wsum[d] = 0.0
            live[keep] = k
            keep += not full[s]
        n = keep
        left, after = after, left
    return x
