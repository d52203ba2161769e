"""The late phases' kernels (enforcement's links of slots, the record's tally) as they were
at commit 24e7ccf, before the thirteenth session's speed-ups, and money's settlement as
its plain rule: the oracles the replacements are tested against bit for bit."""

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


@numba.njit(cache=True)
def plain_tally(kind, alive, product, precursor, cash, n_kinds):
    """:func:`fentanet.simulate.phases.record._tally` with each slot's cash read only when
    it is alive."""
    n = kind.size
    c4 = np.zeros((4, n_kinds), dtype=np.int64)
    stock = 0.0
    prec = 0.0
    held = 0.0
    n4 = n - n % 4
    for i in range(0, n4, 4):
        c4[0, kind[i]] += alive[i]
        c4[1, kind[i + 1]] += alive[i + 1]
        c4[2, kind[i + 2]] += alive[i + 2]
        c4[3, kind[i + 3]] += alive[i + 3]
        stock += product[i]
        stock += product[i + 1]
        stock += product[i + 2]
        stock += product[i + 3]
        prec += precursor[i]
        prec += precursor[i + 1]
        prec += precursor[i + 2]
        prec += precursor[i + 3]
        held += cash[i] if alive[i] else 0.0
        held += cash[i + 1] if alive[i + 1] else 0.0
        held += cash[i + 2] if alive[i + 2] else 0.0
        held += cash[i + 3] if alive[i + 3] else 0.0
    for i in range(n4, n):
        c4[0, kind[i]] += alive[i]
        stock += product[i]
        prec += precursor[i]
        held += cash[i] if alive[i] else 0.0
    counts = np.zeros(n_kinds)
    for c in range(n_kinds):
        counts[c] = c4[0, c] + c4[1, c] + c4[2, c] + c4[3, c]
    return counts, stock, prec, held


@numba.njit(cache=True)
def plain_settle(li, src, dst, link_alive, alive, kind, payer, dirty, cash, hoard,
                 upkeep_table, dt, aml, fee, unlaundered_usable, self_launder):
    """:func:`fentanet.simulate.phases.money._settle` as the plain rule, one loop over the
    slots doing all of it (self-laundering payers marked in a pass of their own): the
    oracle of every speed-up of that kernel since the seventh session."""
    n = alive.size
    laundered_for = np.zeros(n, dtype=np.bool_)
    for k in range(li.size):
        if link_alive[li[k]] and alive[src[k]]:
            laundered_for[payer[dst[k]]] = True
    for i in range(n):
        if kind[i] == self_launder and alive[i]:
            laundered_for[i] = True
    seized = laundered = 0.0
    due = np.zeros(n)
    for i in range(n):
        if alive[i]:
            due[payer[i]] += upkeep_table[kind[i]] * dt
        x = dirty[i]
        if x == 0.0:
            continue
        if laundered_for[i]:
            z = x * aml
            cash[i] += (x - z) * (1.0 - fee)
            seized += z
            laundered += x
        else:
            usable = x * unlaundered_usable
            cash[i] += usable
            hoard[i] += x - usable
        dirty[i] = 0.0
    out = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        if due[i] > cash[i] + 1e-9 and alive[i] and due[i] > 0:
            out[k] = i
            k += 1
        cash[i] = max(cash[i] - due[i], 0.0)
    return out[:k], seized, laundered


def plain_link_keys(uid, src, dst, kind, li):
    """``enforcement.link_keys`` before the fourteenth session: NumPy's gathers, casts and
    shifts."""
    su = uid[src[li]].astype(np.uint64)
    du = uid[dst[li]].astype(np.uint64)
    return (su << np.uint64(32)) ^ du ^ (kind[li].astype(np.uint64) << np.uint64(58))
