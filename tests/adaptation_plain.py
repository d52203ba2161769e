"""Adaptation's and enforcement's kernels as they were at commit 8844166, before their
speed-ups: the oracles the replacements are tested against bit for bit."""

from __future__ import annotations

import numba
import numpy as np

from fentanet.simulate.phases import adaptation, enforcement


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
