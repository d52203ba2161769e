"""Compiled kernels for removal analyses: components after removing each actor, reach
from a set, and sums of inverse distances. Shared by key players and resilience.

Every kernel works on an undirected graph in CSR form (``indptr``, ``indices``; each edge
stored in both directions) and a boolean ``removed`` mask of actors taken out. Distances
are numbers of links; an unreachable actor has distance ``UNREACHED``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from fentanet import _jitcache  # noqa: F401  (numba's cache, stale after any kernel's edit)

UNREACHED = np.int64(1) << 40
"""Distance of an actor no path reaches (larger than any real distance)."""


@njit(cache=True)
def pair_sum_after_each(indptr, indices, removed):
    """Connected pairs after removing each actor in turn.

    Returns ``(base, after)``: ``base`` = sum over components of ``s(s-1)`` in
    ``G - removed``; ``after[v]`` = the same sum in ``G - removed - v`` for every actor
    not removed (``-1`` for removed ones). One depth-first search finds all of them:
    removing ``v`` splits off each DFS child subtree ``c`` with ``low[c] >= disc[v]``
    (Hopcroft & Tarjan 1973), and leaves the rest of its component together.
    """
    n = indptr.size - 1
    disc = np.full(n, -1, np.int64)
    low = np.zeros(n, np.int64)
    size = np.ones(n, np.int64)
    cut_sum = np.zeros(n, np.int64)
    cut_cnt = np.zeros(n, np.int64)
    parent = np.full(n, -1, np.int64)
    it = np.zeros(n, np.int64)
    stack = np.empty(n, np.int64)
    order = np.empty(n, np.int64)
    delta = np.zeros(n, np.int64)
    after = np.full(n, -1, np.int64)
    base = np.int64(0)
    timer = 0
    norder = 0
    for r in range(n):
        if removed[r] or disc[r] >= 0:
            continue
        start = norder
        disc[r] = timer
        low[r] = timer
        timer += 1
        order[norder] = r
        norder += 1
        it[r] = indptr[r]
        sp = 0
        stack[0] = r
        while sp >= 0:
            v = stack[sp]
            if it[v] < indptr[v + 1]:
                w = indices[it[v]]
                it[v] += 1
                if removed[w] or w == v:
                    continue
                if disc[w] < 0:
                    parent[w] = v
                    disc[w] = timer
                    low[w] = timer
                    timer += 1
                    order[norder] = w
                    norder += 1
                    it[w] = indptr[w]
                    sp += 1
                    stack[sp] = w
                elif disc[w] < low[v]:
                    low[v] = disc[w]
            else:
                sp -= 1
                p = parent[v]
                if p >= 0:
                    if low[v] < low[p]:
                        low[p] = low[v]
                    size[p] += size[v]
                    if low[v] >= disc[p]:
                        cut_sum[p] += size[v] * (size[v] - 1)
                        cut_cnt[p] += size[v]
        c = norder - start
        base += c * (c - 1)
        for i in range(start, norder):
            v = order[i]
            rest = c - 1 - cut_cnt[v]
            delta[v] = cut_sum[v] + rest * (rest - 1) - c * (c - 1)
    for v in range(n):
        if not removed[v]:
            after[v] = base + delta[v]
    return base, after


@njit(cache=True)
def component_sizes(indptr, indices, removed):
    """Sizes of the connected components of ``G - removed`` (in order of first actor)."""
    n = indptr.size - 1
    seen = np.zeros(n, np.bool_)
    queue = np.empty(n, np.int64)
    sizes = np.empty(n, np.int64)
    nc = 0
    for r in range(n):
        if removed[r] or seen[r]:
            continue
        seen[r] = True
        queue[0] = r
        head = 0
        tail = 1
        while head < tail:
            v = queue[head]
            head += 1
            for e in range(indptr[v], indptr[v + 1]):
                w = indices[e]
                if not removed[w] and not seen[w]:
                    seen[w] = True
                    queue[tail] = w
                    tail += 1
        sizes[nc] = tail
        nc += 1
    return sizes[:nc]


@njit(cache=True)
def distances_from_set(indptr, indices, removed, sources):
    """Distance from the nearest of ``sources`` to every actor of ``G - removed``.

    Sources have distance 0; removed and unreachable actors ``UNREACHED``.
    """
    n = indptr.size - 1
    dist = np.full(n, UNREACHED, np.int64)
    queue = np.empty(n, np.int64)
    tail = 0
    for s in sources:
        if dist[s] != 0:
            dist[s] = 0
            queue[tail] = s
            tail += 1
    head = 0
    while head < tail:
        v = queue[head]
        head += 1
        nd = dist[v] + 1
        for e in range(indptr[v], indptr[v + 1]):
            w = indices[e]
            if not removed[w] and dist[w] == UNREACHED:
                dist[w] = nd
                queue[tail] = w
                tail += 1
    return dist


@njit(cache=True)
def _gain_from(indptr, indices, removed, dist_set, v, depth_limit, weighted, seen, queue,
               depth):
    """What adding ``v`` to a set at distances ``dist_set`` adds: a BFS from ``v`` that
    enters only actors ``v`` is strictly nearer to than the set is (exact: a shortest
    path from ``v`` to any such actor passes only through such actors).

    ``weighted=False``: the number of actors newly within ``depth_limit`` (``v`` itself
    included when the set does not reach it). ``weighted=True``: the sum over actors
    other than ``v`` of ``1/d_new - 1/d_old`` (``1/UNREACHED`` taken as 0).
    Resets its scratch arrays ``seen`` before returning.
    """
    total = 0.0
    if not weighted and dist_set[v] > depth_limit:
        total += 1.0
    seen[v] = True
    queue[0] = v
    depth[0] = 0
    head = 0
    tail = 1
    while head < tail:
        x = queue[head]
        nd = depth[head] + 1
        head += 1
        if nd > depth_limit:
            continue
        for e in range(indptr[x], indptr[x + 1]):
            w = indices[e]
            if removed[w] or seen[w] or nd >= dist_set[w]:
                continue
            seen[w] = True
            queue[tail] = w
            depth[tail] = nd
            tail += 1
            if weighted:
                old = dist_set[w]
                total += 1.0 / nd - (0.0 if old >= UNREACHED else 1.0 / old)
            elif dist_set[w] > depth_limit:
                total += 1.0
    for i in range(tail):
        seen[queue[i]] = False
    return total


@njit(cache=True)
def reach_gain_each(indptr, indices, removed, dist_set, candidates, depth_limit, weighted):
    """:func:`_gain_from` for every candidate."""
    n = indptr.size - 1
    out = np.zeros(candidates.size, np.float64)
    seen = np.zeros(n, np.bool_)
    queue = np.empty(n, np.int64)
    depth = np.empty(n, np.int64)
    for i in range(candidates.size):
        out[i] = _gain_from(indptr, indices, removed, dist_set, candidates[i], depth_limit,
                            weighted, seen, queue, depth)
    return out


@njit(cache=True)
def _harmonic_from(indptr, indices, removed, s, dist, queue):
    """Sum of 1/d(s, t) over actors t != s reachable in ``G - removed``; resets ``dist``."""
    dist[s] = 0
    queue[0] = s
    head = 0
    tail = 1
    total = 0.0
    while head < tail:
        v = queue[head]
        head += 1
        nd = dist[v] + 1
        for e in range(indptr[v], indptr[v + 1]):
            w = indices[e]
            if not removed[w] and dist[w] < 0:
                dist[w] = nd
                queue[tail] = w
                tail += 1
                total += 1.0 / nd
    for i in range(tail):
        dist[queue[i]] = -1
    return total


@njit(cache=True)
def harmonic_from_each(indptr, indices, removed):
    """``h[s]`` = sum over actors t != s of ``1/d(s, t)`` in ``G - removed`` (0 for removed s)."""
    n = indptr.size - 1
    h = np.zeros(n, np.float64)
    dist = np.full(n, -1, np.int64)
    queue = np.empty(n, np.int64)
    for s in range(n):
        if not removed[s]:
            h[s] = _harmonic_from(indptr, indices, removed, s, dist, queue)
    return h


@njit(cache=True)
def harmonic_sum(indptr, indices, removed):
    """Sum over ordered pairs (s, t), s != t, of ``1/d(s, t)`` in ``G - removed``
    (unreachable pairs add 0): the numerator of global efficiency."""
    return harmonic_from_each(indptr, indices, removed).sum()


@njit(cache=True)
def _keeps_distances(indptr, indices, removed, v, mark, max_degree):
    """Whether removing ``v`` leaves every distance between other actors unchanged: true
    when any two non-adjacent neighbours of ``v`` have another common neighbour (so no
    shortest path needs ``v``). Checked only up to ``max_degree`` neighbours."""
    nb = np.empty(max_degree, np.int64)
    deg = 0
    for e in range(indptr[v], indptr[v + 1]):
        w = indices[e]
        if removed[w] or w == v:
            continue
        if deg == max_degree:
            return False
        nb[deg] = w
        deg += 1
    for i in range(deg):
        a = nb[i]
        for e in range(indptr[a], indptr[a + 1]):
            w = indices[e]
            if not removed[w] and w != v:
                mark[w] = a + 1
        ok = True
        for j in range(i + 1, deg):
            b = nb[j]
            if b == a or mark[b] == a + 1:
                continue
            found = False
            for e in range(indptr[b], indptr[b + 1]):
                w = indices[e]
                if w != v and w != a and not removed[w] and mark[w] == a + 1:
                    found = True
                    break
            if not found:
                ok = False
                break
        for e in range(indptr[a], indptr[a + 1]):
            mark[indices[e]] = 0
        if not ok:
            return False
    return True


@njit(cache=True)
def harmonic_sum_after_each(indptr, indices, removed, candidates):
    """:func:`harmonic_sum` of ``G - removed - v`` for each candidate ``v``.

    Only ``v``'s component is searched again (other pairs keep their distances), and not
    even that when no shortest path between two other actors needs ``v``: then the sum
    just loses ``v``'s own pairs, ``2 h[v]``.
    """
    n = indptr.size - 1
    h = harmonic_from_each(indptr, indices, removed)
    total = h.sum()
    label = np.full(n, -1, np.int64)
    queue = np.empty(n, np.int64)
    ncomp = 0
    for r in range(n):
        if removed[r] or label[r] >= 0:
            continue
        label[r] = ncomp
        queue[0] = r
        head = 0
        tail = 1
        while head < tail:
            x = queue[head]
            head += 1
            for e in range(indptr[x], indptr[x + 1]):
                w = indices[e]
                if not removed[w] and label[w] < 0:
                    label[w] = ncomp
                    queue[tail] = w
                    tail += 1
        ncomp += 1
    comp_h = np.zeros(max(ncomp, 1), np.float64)
    for s in range(n):
        if not removed[s]:
            comp_h[label[s]] += h[s]
    out = np.zeros(candidates.size, np.float64)
    mask = removed.copy()
    mark = np.zeros(n, np.int64)
    dist = np.full(n, -1, np.int64)
    for i in range(candidates.size):
        v = candidates[i]
        if _keeps_distances(indptr, indices, removed, v, mark, 48):
            out[i] = total - 2.0 * h[v]
            continue
        mask[v] = True
        acc = total - comp_h[label[v]]
        for s in range(n):
            if not mask[s] and label[s] == label[v]:
                acc += _harmonic_from(indptr, indices, mask, s, dist, queue)
        mask[v] = False
        out[i] = acc
    return out
