"""The topology's appends written plainly with NumPy (the engine's code before the appends
were compiled), the oracle the compiled ones are tested against bit for bit."""

from __future__ import annotations

import numpy as np

from fentanet.simulate.state import room
from fentanet.simulate.topology import Stage


def _number(slots, mapping, start):
    """Local numbers of ``slots``: existing ones from ``mapping``, new slots numbered from
    ``start`` in order of first appearance (``mapping`` is updated)."""
    loc = np.empty(slots.size, dtype=np.int64)
    top = start
    for i, v in enumerate(slots.tolist()):
        if mapping[v] < 0:
            mapping[v] = top
            top += 1
        loc[i] = mapping[v]
    return loc


def _grow(table, slots, loc):
    top = int(loc.max()) + 1 if loc.size else 0
    if top <= table.size:
        return table
    out = np.empty(top, dtype=np.int64)
    out[: table.size] = table
    out[loc] = slots
    return out


class PlainStage(Stage):
    """A :class:`Stage` whose :meth:`extend` is the plain NumPy one."""

    def extend(self, s, new_pairs=None) -> None:
        a, ln = s.actors, s.links
        n = a.n
        if self.s_map.size < n:
            for name in ("s_map", "d_map", "p_map", "q_map"):
                old = getattr(self, name)
                new = np.full(room(n), -1, dtype=np.int64)
                new[: old.size] = old
                setattr(self, name, new)
        start = self.upto
        if start == ln.n:
            return
        if new_pairs is not None and not new_pairs & self._pair_bits:
            self.upto = ln.n
            return
        akind = a.kind
        kind, lsrc, ldst = ln.kind[start:], ln.src[start:], ln.dst[start:]
        m = (np.isin(kind, self.link_kinds) & np.isin(akind[lsrc], self.sender_kinds)
             & ~np.isin(akind[ldst], self.receiver_not))
        li = start + np.flatnonzero(m)
        self.upto = ln.n
        if not li.size:
            return
        src, dst = ln.src[li].astype(np.int64), ln.dst[li].astype(np.int64)
        spay, dpay = a.payer[src].astype(np.int64), a.payer[dst].astype(np.int64)
        s_loc = _number(src, self.s_map, self.senders.size)
        d_loc = _number(dst, self.d_map, self.receivers.size)
        d_pay = _number(dpay, self.p_map, self.payers.size)
        s_pay = _number(spay, self.q_map, self.s_payers.size)
        self.senders = _grow(self.senders, src, s_loc)
        self.receivers = _grow(self.receivers, dst, d_loc)
        self.payers = _grow(self.payers, dpay, d_pay)
        self.s_payers = _grow(self.s_payers, spay, s_pay)
        cap = ln.capacity[li]
        other = a.capacity[src] if self.weight_by == "sender" else a.capacity[dst]
        w = np.maximum(np.where(np.isfinite(cap), cap, other), 1e-12)
        for name, new in (("li", li), ("src", src), ("dst", dst), ("s_loc", s_loc),
                          ("d_loc", d_loc), ("d_pay", d_pay), ("s_pay", s_pay),
                          ("s_kind", akind[src]), ("ext", spay != dpay), ("w", w)):
            old = getattr(self, name)
            setattr(self, name, np.concatenate([old, new.astype(old.dtype)]))


def plain_tail(pairs, src, dst, start):
    """The incidence's tail merge as NumPy sorts: ``(pairs, tkey, tlink)``."""
    src, dst = src[start:].astype(np.int64), dst[start:].astype(np.int64)
    li = np.arange(start, start + src.size, dtype=np.int64)
    other = dst != src
    new = np.concatenate([(src << 32) | li, (dst[other] << 32) | li[other]])
    new.sort()
    out = np.concatenate([pairs, new])
    out.sort(kind="stable")
    return out, out >> 32, out & 0xFFFFFFFF
