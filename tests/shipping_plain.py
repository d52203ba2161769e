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


@numba.njit(cache=True)
def plain_route_rooms(li, src, dst, s_loc, rt_receivers, n_snd, link_alive, alive, kind,
                      capacity, product, dt, cover, route_kind):
    """:func:`fentanet.simulate.phases.shipping._route_rooms` as it was: each route's own
    room written once per link."""
    rroom = np.empty(rt_receivers.size)
    for j in range(rt_receivers.size):
        d = rt_receivers[j]
        r = capacity[d] * dt - product[d] if kind[d] == route_kind else (
            cover * capacity[d] - product[d])
        rroom[j] = max(r, 0.0) if alive[d] else 0.0
    own = np.zeros(n_snd)
    on = np.empty(li.size, dtype=np.bool_)
    for k in range(li.size):
        s = src[k]
        on[k] = link_alive[li[k]] and alive[s] and alive[dst[k]]
        own[s_loc[k]] = max(capacity[s] * dt - product[s], 0.0) if alive[s] else 0.0
    return rroom, own, on


@numba.njit(cache=True)
def plain_through_room(room, receivers, src, s_loc, d_loc, s_map, risk, rroom, own, on,
                       kind, capacity, route_kind):
    """:func:`fentanet.simulate.phases.shipping._through_room` as it was: each route's
    weight written once per link, the water-fill :func:`plain_water_fill`."""
    n_snd = risk.size
    w = np.zeros(n_snd)  # each route's weight, capacity times risk
    for k in range(src.size):
        w[s_loc[k]] = capacity[src[k]] * risk[s_loc[k]]
    x = plain_water_fill(s_loc, d_loc, on, w, own, rroom)
    down = np.zeros(n_snd)
    for k in range(src.size):
        down[s_loc[k]] += x[k]
    for i in range(n_snd):
        down[i] = min(own[i], down[i])
    for j in range(receivers.size):
        d = receivers[j]
        if kind[d] == route_kind:
            i = s_map[d] if d < s_map.size else -1
            room[j] = min(room[j], down[i] if i >= 0 else 0.0)
    return down


@numba.njit(cache=True)
def plain_capacity_share(src, s_loc, d_loc, rroom, own, on, capacity):
    """:func:`fentanet.simulate.phases.shipping._capacity_share` as it was: each link's
    capacity read from the actors' column."""
    csum = np.zeros(rroom.size)
    for k in range(src.size):
        c = capacity[src[k]]
        if on[k] and own[s_loc[k]] > 0.0 and c > 0.0:
            csum[d_loc[k]] += c
    share = np.zeros(own.size)
    for k in range(src.size):
        c = capacity[src[k]]
        d = d_loc[k]
        if on[k] and own[s_loc[k]] > 0.0 and c > 0.0 and rroom[d] > 0.0:
            share[s_loc[k]] += rroom[d] * (c / csum[d])
    for i in range(own.size):
        share[i] = min(own[i], share[i])
    return share


@numba.njit(cache=True)
def plain_route_pref(li, d_loc, receivers, kind, room, share, rt_s_map, risk_in,
                     route_kind):
    """:func:`fentanet.simulate.phases.shipping._route_pref` as it was: computed per link."""
    pref = np.empty(li.size)
    for k in range(li.size):
        j = d_loc[k]
        d = receivers[j]
        if kind[d] != route_kind:
            pref[k] = 1.0
            continue
        i = rt_s_map[d] if d < rt_s_map.size else -1
        u = share[i] if i >= 0 else 0.0
        pref[k] = risk_in[j] * (u / room[j]) if room[j] > 0.0 else risk_in[j]
    return pref
