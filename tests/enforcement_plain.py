"""Enforcement's kernels as they were at commit 24e7ccf, before the thirteenth session's
speed-ups: the oracles the replacements are tested against bit for bit."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def plain_tail(v, tkey):
    """Bounds of the tail entries of ``v``: two binary searches."""
    return np.searchsorted(tkey, v, "left"), np.searchsorted(tkey, v, "right")


@numba.njit(cache=True)
def plain_links_of_slots(slots, ptr, idx, n0, tkey, tlink):
    """Links incident to any of ``slots``, per slot in link order (rows, then tail), each
    slot's tail bounds searched in a counting pass and again in the copy."""
    size = 0
    for v in slots:
        if v < n0:
            size += ptr[v + 1] - ptr[v]
        lo, hi = plain_tail(v, tkey)
        size += hi - lo
    out = np.empty(max(size, 1), dtype=np.int64)
    k = 0
    for v in slots:
        if v < n0:
            for j in range(ptr[v], ptr[v + 1]):
                out[k] = idx[j]
                k += 1
        lo, hi = plain_tail(v, tkey)
        for j in range(lo, hi):
            out[k] = tlink[j]
            k += 1
    return out[:k]
