"""Shipping's kernels as they were at commit 6a5b431, before the thirteenth session's
speed-ups: the oracles the replacements are tested against bit for bit
(tests/test_shipping_kernels.py)."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def plain_water_fill(s_loc, d_loc, on, weight, cap, room):
    """:func:`fentanet.simulate.kernels.water_fill` as it was: six loops a round (weight
    sums, offers, answers, the receivers' room reset, takings, the links kept)."""
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
    live = np.empty(m, dtype=np.int64)
    n = 0
    for k in range(m):
        if on[k] and not full[s_loc[k]] and left[d_loc[k]] > 0.0:
            live[n] = k
            n += 1
    wsum = np.zeros(nd)
    asked = np.zeros(nr)
    share = np.ones(nr)
    offer = np.empty(m)
    while n > 0:
        for e in range(n):
            k = live[e]
            wsum[d_loc[k]] += weight[s_loc[k]]
        for e in range(n):
            k = live[e]
            s, d = s_loc[k], d_loc[k]
            offer[e] = left[d] * weight[s] / wsum[d]
            asked[s] += offer[e]
        for e in range(n):  # each sender's answer, once
            s = s_loc[live[e]]
            if asked[s] > 0.0:
                if asked[s] > rem[s]:
                    share[s] = rem[s] / asked[s]
                    rem[s] = 0.0
                    full[s] = True
                else:
                    share[s] = 1.0
                    rem[s] -= asked[s]
                    full[s] = not rem[s] > 0.0
                asked[s] = 0.0
        for e in range(n):
            d = d_loc[live[e]]
            wsum[d] = 0.0
            left[d] = 0.0
        for e in range(n):  # what was not taken stays on offer
            k = live[e]
            s, d = s_loc[k], d_loc[k]
            take = offer[e] * share[s]
            x[k] += take
            left[d] += offer[e] - take if share[s] < 1.0 else 0.0
        keep = 0
        for e in range(n):
            k = live[e]
            if not full[s_loc[k]] and left[d_loc[k]] > 0.0:
                live[keep] = k
                keep += 1
        n = keep
    return x
