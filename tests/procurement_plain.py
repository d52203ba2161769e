"""Procurement's ordering passes as they were before the links that order were listed
once: the oracle the compiled kernel is tested against bit for bit (run as plain Python);
with the twelfth session's rule that the second pass re-orders what the first did not get
(refused volume included) only from sellers that did not refuse the buyer in the first.
Compiled as :data:`jit_procure` for the checks of real runs."""

from __future__ import annotations

import numba
import numpy as np

from fentanet.simulate.state import KIND

LAB, MARKETPLACE, SUPPLIER = KIND["lab"], KIND["marketplace"], KIND["supplier"]


def plain_procure(li, src, dst, s_loc, d_loc, d_pay, s_pay, ext, w0, senders, receivers, payers,
             s_payers, link_alive, alive, kind, legit, capacity, precursor, payer,
             suspended_until, cash, dirty, throughput, refused_share, t, dt, cover,
             refuse_legit, refuse_mkp, price):
    """Two ordering passes over the ``supplies`` links in link order (a link within one
    payer, ``ext`` false, is free). Returns (kg bought from suppliers, kg resold by
    marketplaces, kg refused), or (-1, 0, 0) when no buyer orders."""
    m = li.size
    n_snd, n_rcv = senders.size, receivers.size
    want = np.zeros(n_rcv)
    for j in range(n_rcv):
        d = receivers[j]
        if (kind[d] == LAB or kind[d] == MARKETPLACE) and alive[d] and not (
                suspended_until[payer[d]] > t):
            want[j] = max(0.0, cover * capacity[d] - precursor[d])
    ok = np.zeros(m, dtype=np.bool_)
    refuse = np.zeros(m)
    w = w0.copy()
    any_ok = False
    for k in range(m):
        d = dst[k]
        if (link_alive[li[k]] and alive[src[k]] and alive[d] and want[d_loc[k]] > 0.0
                and (kind[d] == LAB or kind[d] == MARKETPLACE)):
            ok[k] = True
            any_ok = True
            ks = kind[src[k]]
            if legit[src[k]] and ks == SUPPLIER:
                refuse[k] = refuse_legit
            elif ks == MARKETPLACE:
                refuse[k] = refuse_mkp
    if not any_ok:
        return -1.0, 0.0, 0.0
    avail = np.empty(n_snd)
    for i in range(n_snd):
        x = senders[i]
        avail[i] = capacity[x] * dt if kind[x] == SUPPLIER else precursor[x]
    got = np.zeros(n_rcv)
    refused_kg = np.zeros(n_rcv)
    request = np.zeros(m)
    refused_link = np.zeros(m, dtype=np.bool_)
    entered = 0.0
    resold = 0.0
    for attempt in range(2):
        # first by link weight; then the rest from sellers that still have some and sell
        tot = np.zeros(n_rcv)
        for k in range(m):
            if ok[k]:
                if attempt == 1:
                    w[k] = 0.0 if refused_link[k] else (1.0 - refuse[k]) * avail[s_loc[k]]
                tot[d_loc[k]] += w[k]
        refused_now = np.zeros(n_rcv)
        offered = np.zeros(n_snd)
        for k in range(m):
            if ok[k]:
                j = d_loc[k]
                rem = max(want[j] - got[j], 0.0)
                r = rem * w[k] / tot[j] if tot[j] > 0 else 0.0
                no = r * refuse[k]
                refused_link[k] = refused_link[k] or no > 0.0
                refused_now[j] += no
                request[k] = r - no
                offered[s_loc[k]] += request[k]
        for j in range(n_rcv):
            refused_kg[j] += refused_now[j]
        # sellers fill what they can; payers pay what their cash allows
        due = np.zeros(payers.size)
        for k in range(m):
            if ok[k]:
                i = s_loc[k]
                fill = min(1.0, avail[i] / offered[i]) if offered[i] > 0 else 1.0
                request[k] = request[k] * max(fill, 0.0)
                if ext[k]:
                    due[d_pay[k]] += request[k] * price
        scale = np.ones(payers.size)
        for b in range(payers.size):
            c = cash[payers[b]]
            if due[b] > c:
                x = c / due[b]
                scale[b] = min(max(x, 0.0), 1.0) if np.isfinite(x) else 0.0
        paid_by = np.zeros(payers.size)
        earned = np.zeros(s_payers.size)
        sold = np.zeros(n_snd)
        received = np.zeros(n_rcv)
        for k in range(m):
            if ok[k]:
                f = scale[d_pay[k]] if ext[k] else 1.0
                cost = request[k] * price if ext[k] else 0.0
                q = request[k] * f
                paid = cost * f
                paid_by[d_pay[k]] += paid
                if kind[src[k]] == MARKETPLACE:
                    earned[s_pay[k]] += paid
                    resold += q
                else:  # suppliers are outside the system: precursor enters here
                    entered += q
                sold[s_loc[k]] += q
                received[d_loc[k]] += q
        for b in range(payers.size):
            x = payers[b]
            cash[x] = max(cash[x] - paid_by[b], 0.0)
        for b in range(s_payers.size):
            dirty[s_payers[b]] += earned[b]
        for i in range(n_snd):
            x = senders[i]
            avail[i] = max(avail[i] - sold[i], 0.0)
            if kind[x] == MARKETPLACE:  # marketplaces sell from stock
                precursor[x] = max(precursor[x] - sold[i], 0.0)
            throughput[x] += sold[i]
        for j in range(n_rcv):
            d = receivers[j]
            precursor[d] += received[j]
            got[j] += received[j]
    refused = 0.0
    for j in range(n_rcv):
        d = receivers[j]
        refused_share[d] = refused_kg[j] / want[j] if want[j] > 0 else 0.0
        refused += refused_kg[j]
    return entered, resold, refused


jit_procure = numba.njit(cache=True)(plain_procure)
""":func:`plain_procure` compiled (the same rule, for checking real runs' many calls)."""
