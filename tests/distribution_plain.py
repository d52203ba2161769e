"""The distribution phase's kernels as they were before the thirteenth session's exact
speed-ups (commit 6a5b431 of :mod:`fentanet.simulate.kernels` and
:mod:`fentanet.simulate.phases.distribution`): the oracles the new kernels
(:func:`fentanet.simulate.kernels.push`, the passes' branchless ratio, retail's alive-flag
comparison) are tested against, bit for bit."""

from __future__ import annotations

import numba
import numpy as np

from fentanet.simulate.kernels import _u


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
    test for negative indices in the loops that dominate a step's flows."""
    m = li.size
    n_snd = left.size
    has_pref = pref.size > 0
    a_i = np.empty(m, dtype=np.int32)  # position in `first` (from the second pass)
    a_s = np.empty(m, dtype=np.int32)
    a_d = np.empty(m, dtype=np.int32)
    a_p = np.empty(m if has_pref else 0)
    wsum = np.zeros(n_snd)
    # A of the first pass with the compaction, without branches (which links are on is
    # hard to predict); the weights by room (times preference), or by `weight` without pull
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
    n0 = na
    if passes < 1:
        q[:n0] = 0.0
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
            r = min(space[d] / od, 1.0)
            r = r if od > 0.0 else ratio[d]
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
def transfer(li, src, dst, s_loc, d_loc, ext, d_pay, s_kind, payers, link_alive, pref, offer,
             room, passes, price_of_kind, payer, product, cash, dirty, throughput):
    """One stage without losses in transit: :func:`plan`, :func:`afford`, :func:`apply`,
    fused: the passes (:func:`settle`) work on ``offer`` and ``room`` in place (the caller's
    fresh arrays, debited), then one loop sums each payer's bill over the links that carry
    some, in link order, and one more scales (each payer's share its cash covers, from
    the cash before any payment, as :func:`afford`) and moves the material (as
    :func:`apply`). The same operations in the same order: the same numbers."""
    first = np.empty(li.size, dtype=np.int32)
    q = np.empty(li.size)
    n0 = settle(li, s_loc, d_loc, link_alive, pref[:0], pref, offer, room, passes, True,
                first, q)
    due = np.zeros(payers.size)
    for j in range(n0):  # bills (adding an exact 0.0 for links within one payer)
        x = q[j]
        k = _u(first[j])
        v = x * price_of_kind[_u(s_kind[k])]
        due[_u(d_pay[k])] += v if ext[k] and x > 0.0 else 0.0
    scale = np.ones(payers.size)  # x * 1.0 is x
    for b in range(payers.size):
        c = cash[_u(payers[b])]
        if due[b] > c:
            scale[b] = c / due[b] if due[b] > 0.0 else 0.0
    for j in range(n0):
        k = _u(first[j])
        e = ext[k]
        x = q[j] * (scale[_u(d_pay[k])] if e else 1.0)
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


@numba.njit(cache=True)
def diff(cur, old, cw, ow, runs):
    """:func:`_changed` on the bytes ``cur``, ``old``, compared first by the words ``cw``,
    ``ow`` (views of their whole words; the last word may be partial), 32 at a time."""
    out = np.empty(64, dtype=np.int64)
    k = 0
    nw = cw.size
    for r in range(runs.shape[0]):
        top = runs[r, 1]
        for j0 in range(runs[r, 0], top, 32):
            j1 = min(j0 + 32, top)
            jw = min(j1, nw)
            acc = np.uint64(0)
            for j in range(j0, jw):
                acc |= cw[j] ^ ow[j]
            if acc == 0 and jw == j1:
                continue
            for j in range(j0, j1):
                if j < nw and cw[j] == ow[j]:
                    continue
                for b in range(8 * j, min(8 * j + 8, old.size)):
                    if cur[b] != old[b]:
                        old[b] = cur[b]
                        if k == out.size:
                            out = np.concatenate((out, np.empty(k, dtype=np.int64)))
                        out[k] = b
                        k += 1
    return out[:k]
