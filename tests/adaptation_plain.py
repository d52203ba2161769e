"""Adaptation's and enforcement's kernels as they were at commit 8844166 (re-routing's at
64de91f), before their speed-ups: the oracles the replacements are tested against bit for
bit."""

from __future__ import annotations

import numba
import numpy as np

from fentanet.simulate.binomial import keyed_uniform
from fentanet.simulate.phases import adaptation, enforcement
from fentanet.simulate.state import KIND


@numba.njit(cache=True)
def plain_tie_neighbours(v, ptr, idx, n0, tkey, tlink, src, dst, kind, tie, alive, exclude,
                         buf):
    """Distinct alive tie neighbours of ``v`` other than ``exclude``, ascending, found by
    looking at every link of ``v`` in the incidence (rows and tail); written to the front of
    ``buf`` (or of a larger buffer). Returns (buffer, count)."""
    rows = ptr[v + 1] - ptr[v] if v < n0 else 0
    lo, hi = enforcement._tail(v, tkey)
    if rows + hi - lo > buf.size:
        buf = np.empty(2 * (rows + hi - lo), dtype=np.int64)
    k = 0
    for j in range(rows + hi - lo):
        li = idx[ptr[v] + j] if j < rows else tlink[lo + j - rows]
        if kind[li] != tie:
            continue
        w = dst[li] if src[li] == v else src[li]
        if w != exclude and w != v and alive[w]:
            buf[k] = w
            k += 1
    buf[:k].sort()
    n = 0
    for j in range(k):  # distinct
        if n == 0 or buf[j] != buf[n - 1]:
            buf[n] = buf[j]
            n += 1
    return buf, n


@numba.njit(cache=True)
def plain_closure(slots, k, ptr, idx, n0, tkey, tlink, src, dst, kind, tie, alive, uid,
                  prefix):
    """The closure ties of :func:`adaptation._closure` with each slot's tie neighbours found
    on the incidence (``ptr`` to ``tlink``: :meth:`Incidence.parts`)."""
    new_src = np.empty(slots.size * k, dtype=np.int64)
    new_dst = np.empty(slots.size * k, dtype=np.int64)
    nb = np.empty(64, dtype=np.int64)
    fof = np.empty(64, dtype=np.int64)
    c = 0
    for slot in slots:
        nb, n_nb = plain_tie_neighbours(slot, ptr, idx, n0, tkey, tlink, src, dst, kind, tie,
                                        alive, slot, nb)
        if not n_nb:
            continue
        u = adaptation._draw(uid[slot], prefix, 0)
        sponsor = nb[min(int(u * n_nb), n_nb - 1)]
        fof, n_fof = plain_tie_neighbours(sponsor, ptr, idx, n0, tkey, tlink, src, dst, kind,
                                          tie, alive, slot, fof)
        n = 0
        i = 0
        for j in range(n_fof):
            w = fof[j]
            while i < n_nb and nb[i] < w:
                i += 1
            if i < n_nb and nb[i] == w:
                continue
            fof[n] = w
            n += 1
        for j in range(min(k, n)):
            u = adaptation._draw(uid[slot], prefix, j + 1)
            r = j + min(int(u * (n - j)), n - j - 1)
            fof[j], fof[r] = fof[r], fof[j]
            new_src[c] = slot
            new_dst[c] = fof[j]
            c += 1
    return new_src[:c], new_dst[:c]


@numba.njit(cache=True)
def plain_chosen(ready, take, org, vacant_since, member_org):
    """The vacancies refilled (:func:`adaptation._chosen`) by three stable sorts of the ready
    vacancies of organizations that take some: slot, vacancy time, organization."""
    keep = np.empty(ready.size, dtype=np.int64)
    m = 0
    for v in ready:
        if take[member_org[v]] > 0:
            keep[m] = v
            m += 1
    slots = keep[:m]
    slots = slots[np.argsort(slots, kind="mergesort")]
    slots = slots[np.argsort(vacant_since[slots], kind="mergesort")]
    slots = slots[np.argsort(org[slots], kind="mergesort")]
    out = np.empty(m, dtype=np.int64)
    k = 0
    rank = 0
    for j in range(m):
        rank = rank + 1 if j > 0 and org[slots[j]] == org[slots[j - 1]] else 0
        if rank < take[member_org[slots[j]]]:
            out[k] = slots[j]
            k += 1
    return out[:k]


def plain_recruits(sim, ready, vac, members):
    """The vacancies refilled as :func:`adaptation._replacement` drew them before its
    compiled call: NumPy's steps and :meth:`Streams.binomial`, then the choice."""
    s, ad, a, topo = sim.s, sim.p.adaptation, sim.s.actors, sim.topo
    loc = np.flatnonzero(vac > 0)
    orgs = topo.org_ids[loc]
    init = np.maximum(s.org_initial[orgs], 1.0)
    prob = -np.expm1(-ad.recruit_rate * sim.dt * members[loc] / init)
    k = sim.streams.binomial("adaptation.recruit", sim.step, a.uid[orgs], vac[loc], prob)
    take = np.zeros(topo.org_ids.size, dtype=np.int64)
    take[loc] = k
    return plain_chosen(ready, take, a.org, a.vacant_since, topo.member_org)


def plain_moves(rows, go, v, marketplaces, ptr, idx, n0, tkey, tlink, src, dst, kind,
                link_alive):
    """:func:`adaptation._moves` as NumPy's steps in :func:`adaptation._migration` did it:
    the destinations, the links retired, the moved ones grouped by a stable argsort."""
    moved = rows[go]
    if moved.size:
        dest = adaptation._destinations(moved, v, marketplaces, ptr, idx, n0, tkey, tlink,
                                        src, dst, kind, link_alive)
        link_alive[moved[:, 4]] = False
        ok = dest >= 0
        moved, dest = moved[ok], dest[ok]
    new_src = new_dst = np.zeros(0, dtype=np.int64)
    kinds = np.zeros(0, dtype=np.int8)
    if moved.size:
        order = np.argsort(moved[:, 1], kind="stable")
        moved, dest = moved[order], dest[order]
        as_src = moved[:, 2] == 1
        new_src = np.where(as_src, moved[:, 0], dest)
        new_dst = np.where(as_src, dest, moved[:, 0])
        kinds = moved[:, 1].astype(np.int8)
    return rows[~go], new_src, new_dst, kinds


@numba.njit(cache=True)
def plain_reroutes(li, dst, s_loc, senders, link_alive, alive, kind, org, mode, loss,
                    capacity, throughput, uid, routes, route_kind, dt, threshold, rate,
                    prefix, by_loss, by_room, held, through, room_threshold, room_rate,
                    room_prefix, mover_kind, by_supply, supply_rate, supply_prefix):
    """:func:`fentanet.simulate.phases.adaptation._reroutes` as at commit 64de91f (one
    pass over the links marking those in play, every lab's flags read, a second and third
    pass for the movers' routes, the routes' test as branches)."""
    n = senders.size
    wsum = np.zeros(n)
    lsum = np.zeros(n)
    modes = np.zeros(n, dtype=np.int64)  # bit per mode of the lab's routes
    on = np.empty(li.size, dtype=np.bool_)
    for k in range(li.size):
        r = dst[k]
        on[k] = link_alive[li[k]] and kind[r] == route_kind and alive[r]
        if on[k]:
            i = s_loc[k]
            wsum[i] += capacity[r]
            lsum[i] += capacity[r] * loss[r]
            modes[i] |= np.int64(1) << mode[r]
    # the labs that move this step (over a threshold, and its keyed uniform below the
    # hazard's probability), in slot order: in most steps none, and then nothing else
    movers = np.empty(n, dtype=np.int64)
    shares = np.empty(n)  # losses: the lab's loss share; lost supply: 1 (unused); room: -1
    nm = 0
    for i in range(n):
        lab = senders[i]
        if not alive[lab] or kind[lab] != mover_kind:
            continue
        if by_loss and wsum[i] > 0:
            share = lsum[i] / wsum[i]
            if share > threshold:
                p = -np.expm1(-rate * (share - threshold) * dt)
                if keyed_uniform(np.uint64(uid[lab]), prefix) < p:
                    movers[nm] = i
                    shares[i] = share
                    nm += 1
                    continue
        if by_supply and wsum[i] == 0:  # fed by routes (a sender of the stage), none left
            if keyed_uniform(np.uint64(uid[lab]), supply_prefix) < -np.expm1(
                    -supply_rate * dt):
                movers[nm] = i
                shares[i] = 1.0
                nm += 1
                continue
        if by_room and held[lab] > room_threshold:
            p = -np.expm1(-room_rate * (held[lab] - room_threshold) * dt)
            if keyed_uniform(np.uint64(uid[lab]), room_prefix) < p:
                movers[nm] = i
                shares[i] = -1.0
                nm += 1
    if nm == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), 0, 0
    movers = movers[:nm][np.argsort(senders[movers[:nm]], kind="mergesort")]
    # the routes each mover is linked to, grouped by mover (a counting pass over the links:
    # movers are few, and a sort of every link each step cost more than the rest)
    at = np.full(n, -1, dtype=np.int64)
    for p in range(nm):
        at[movers[p]] = p
    start = np.zeros(nm + 1, dtype=np.int64)
    for k in range(li.size):
        if on[k] and at[s_loc[k]] >= 0:
            start[at[s_loc[k]] + 1] += 1
    for p in range(nm):
        start[p + 1] += start[p]
    mine = np.empty(start[nm], dtype=np.int64)
    fill = start[:nm].copy()
    for k in range(li.size):
        if on[k] and at[s_loc[k]] >= 0:
            p = at[s_loc[k]]
            mine[fill[p]] = dst[k]
            fill[p] += 1
    alive_routes = adaptation._alive_of(routes, alive)
    m = alive_routes.size
    spare = np.empty(m)  # own room (losses) and room as pass-through (room)
    room = np.empty(m)
    for j in range(m):
        r = alive_routes[j]
        spare[j] = capacity[r] * dt - throughput[r]
        room[j] = through[r]
    out_lab = np.empty(nm, dtype=np.int64)
    out_route = np.empty(nm, dtype=np.int64)
    c = 0
    n_room = n_supply = 0
    for p in range(nm):
        i = movers[p]
        lab = senders[i]
        share = shares[i]
        for_room = share < 0.0
        safe = for_room or wsum[i] == 0  # room or lost supply: a route losses would not flee
        free = room if for_room else spare
        best = -1
        best_tier = -1
        for j in range(m):
            r = alive_routes[j]
            if free[j] <= 0 or not (loss[r] <= threshold if safe else loss[r] < share):
                continue
            linked = False
            for q in range(start[p], start[p + 1]):
                if mine[q] == r:
                    linked = True
                    break
            if linked:
                continue
            tier = 2 * (org[lab] >= 0 and org[r] == org[lab])
            if not for_room:
                tier += (modes[i] >> mode[r]) & 1 == 0
            if tier > best_tier or (tier == best_tier and free[j] > free[best]):
                best, best_tier = j, tier
        if best < 0:
            continue
        spare[best] -= capacity[lab] * dt
        room[best] -= capacity[lab] * dt
        held[lab] = 0.0
        out_lab[c] = lab
        out_route[c] = alive_routes[best]
        c += 1
        n_room += for_room
        n_supply += safe and not for_room
    return out_lab[:c], out_route[:c], n_room, n_supply


def plain_reroute(sim, held: np.ndarray) -> tuple:
    """Re-routing of one step as :func:`adaptation._reroute` did at commit 64de91f (outside
    the spin-up), on ``held`` (a copy of the held-back shares, changed in place) and with
    :func:`plain_reroutes`. Returns (new links' sources, targets, and the counts of
    ``reroutes``, ``reroutes_room``, ``reroutes_traffickers``, ``reroutes_supply``)."""
    ad, a, topo = sim.p.adaptation, sim.s.actors, sim.topo
    link_alive, routes_all = sim.s.links.alive, topo.slots("route")
    st = topo.stages["lab"]
    labs = routes = np.zeros(0, dtype=np.int64)
    n_room = 0
    if st.size and (ad.reroute or ad.reroute_room):
        labs, routes, n_room, _ = plain_reroutes(
            st.li, st.dst, st.s_loc, st.senders, link_alive, a.alive, a.kind, a.org, a.mode,
            a.loss, a.capacity, a.throughput, a.uid, routes_all, KIND["route"], sim.dt,
            ad.reroute_threshold, ad.reroute_rate,
            sim.streams.prefix("adaptation.reroute", sim.step), ad.reroute, ad.reroute_room,
            held, a.spare, ad.reroute_room_threshold, ad.reroute_room_rate,
            sim.streams.prefix("adaptation.reroute_room", sim.step), KIND["lab"], False,
            0.0, np.uint64(0))
    takers = sources = np.zeros(0, dtype=np.int64)
    n_supply = 0
    st = topo.stages["route"]
    if (ad.reroute_traffickers or ad.reroute_supply) and st.size:
        throughput = a.throughput.copy()
        np.add.at(throughput, routes, a.capacity[labs] * sim.dt)
        takers, sources, _, n_supply = plain_reroutes(
            st.li, st.src, st.d_loc, st.receivers, link_alive, a.alive, a.kind, a.org,
            a.mode, a.loss, a.capacity, throughput, a.uid, routes_all, KIND["route"], sim.dt,
            ad.reroute_threshold, ad.reroute_rate,
            sim.streams.prefix("adaptation.reroute_traffickers", sim.step),
            ad.reroute_traffickers, False, held, a.spare, 1.0, 0.0, np.uint64(0),
            KIND["trafficker"], ad.reroute_supply, ad.reroute_supply_rate,
            sim.streams.prefix("adaptation.reroute_supply", sim.step))
    return (np.concatenate((labs, sources)), np.concatenate((routes, takers)),
            labs.size - n_room, n_room, takers.size - n_supply, n_supply)


def plain_newcomers(sim, ready: np.ndarray) -> tuple[np.ndarray, float | None, float | None]:
    """The places of independents taken this step as ``adaptation._newcomers`` took them
    in session 18 (NumPy's split of ``ready`` into sellers' and others',
    each drawn by ``Streams.uniform``). Returns (places, sellers' column, others' column;
    None where that replacement is off)."""
    a, ad = sim.s.actors, sim.p.adaptation
    seller = adaptation._SELLER[a.kind[ready]]
    p = adaptation._taking(sim)
    out, cols = [], []
    for on, places, stream in ((ad.seller_replacement, ready[seller], "adaptation.sellers"),
                               (ad.independent_replacement, ready[~seller],
                                "adaptation.independents")):
        if not on:
            cols.append(None)
            continue
        u = sim.streams.uniform(stream, sim.step, a.uid[places])
        chosen = places[u < p[a.kind[places]]]
        cols.append(float(chosen.size))
        out.append(chosen)
    return (np.concatenate(out) if out else np.zeros(0, dtype=np.int64)), cols[0], cols[1]
