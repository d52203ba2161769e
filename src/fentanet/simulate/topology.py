"""The structure a step loops over, built once and kept in step with the network.

Links are never deleted (only actors leave), and they are appended only by adaptation
(a recruit's new ties, an entrant's links, migrated listings), so the structure derived
from them is built once and extended:

- :class:`Stage`: the links of one flow stage (senders of some kinds to receivers over
  some link kinds), in link order, with dense local numbers of their senders, receivers
  and receivers' payers, so that a compiled stage loop works on small arrays instead of
  arrays over every actor. Extended in place when links or actors are appended.
- :class:`Incidence`: every link by endpoint (compressed sparse rows, link indices
  ascending within a row), built by a counting sort; links appended since the build (the
  tail) are kept as sorted (endpoint, link) pairs, merged as they come, and merged into
  the rows once the tail is long.
- :class:`Topology`: the stages of the supply chain, the incidence, and the slots of each
  actor kind; :meth:`Topology.sync` brings them up to date with the state.
"""

from __future__ import annotations

import numba
import numpy as np

from fentanet import _jitcache  # noqa: F401  (numba's cache, stale after any kernel's edit)
from fentanet.simulate.state import KIND, LKIND, State, room

PRODUCT_LINKS = (LKIND["ships"], LKIND["distributes"], LKIND["flow"])
"""Link kinds that carry product between holders (retail is ``sells_to``)."""

_NO_SLOTS = np.zeros(0, dtype=np.int64)

TAIL_MAX = 16384
"""Links appended since the incidence was built after which it is rebuilt (at most)."""

TAIL_SHARE = 32
"""The incidence is rebuilt once the links appended since pass ``1 / TAIL_SHARE`` of those
it was built on (at least :data:`TAIL_MIN`, at most :data:`TAIL_MAX`): each merge costs the
tail's length and a rebuild the links', so the tail is kept near the square root of links
times links appended per step (10^5 actors: ~400k links, ~100 a step, 12k; the toy: 64)."""

TAIL_MIN = 64
"""The tail's length below which the incidence is never rebuilt (see :data:`TAIL_MAX`)."""


class Stage:
    """The links of one flow stage, with local numbers of their endpoints.

    A link belongs to the stage when its kind is one of ``link_kinds``, its sender's kind
    one of ``sender_kinds`` and its receiver's kind not in ``receiver_not``. Per link, in
    link order: ``li`` (link index), ``src``/``dst`` (slots), ``s_loc``/``d_loc`` (local
    numbers of sender and receiver), ``s_kind`` (sender's kind code), ``ext`` (sender and
    receiver have different payers: the receiver's payer pays), ``d_pay``/``s_pay`` (local
    numbers of the receiver's and the sender's payer), ``w`` (base weight: the link's
    capacity, else the capacity of the receiver, or of the sender with
    ``weight_by="sender"``). ``senders``, ``receivers``, ``payers`` and ``s_payers`` map
    local numbers to slots; ``s_map``, ``d_map`` map slots to local numbers (-1: none).
    """

    def __init__(self, sender_kinds: tuple[int, ...], link_kinds: tuple[int, ...],
                 receiver_not: tuple[int, ...] = (KIND["market"],),
                 weight_by: str = "receiver") -> None:
        self.sender_kinds = np.array(sender_kinds, dtype=np.int8)
        self.link_kinds = np.array(link_kinds, dtype=np.int8)
        # (link kind, sender kind) pairs as bits: see appended_pairs
        self._pair_bits = sum(1 << (int(lk) * _SENDER_CODES + int(sk))
                              for lk in set(link_kinds) for sk in set(sender_kinds))
        self.receiver_not = np.array(receiver_not, dtype=np.int8)
        self.weight_by = weight_by
        # membership tables by code (as uint8): the stage's test without np.isin
        self._tables = tuple(_table(codes) for codes in (self.link_kinds, self.sender_kinds,
                                                         self.receiver_not))
        self.upto = 0  # links scanned
        z = np.zeros(0, dtype=np.int64)
        z32 = np.zeros(0, dtype=np.int32)
        self.li, self.src, self.dst, self.s_loc, self.d_loc = z32, z32, z32, z32, z32
        self.d_pay, self.s_pay = z32, z32
        self.s_kind = np.zeros(0, dtype=np.int8)
        self.ext = np.zeros(0, dtype=np.bool_)
        self.w = np.zeros(0)
        self._buf: dict[str, np.ndarray] = {}  # storage behind the per-link arrays
        self.senders, self.receivers, self.payers, self.s_payers = z, z, z, z
        self.s_map = self.d_map = self.p_map = self.q_map = np.full(0, -1, dtype=np.int64)
        self.size = 0  # links in the stage (``li.size``), kept as extend sets ``li``

    def extend(self, s: State, new_pairs: int | None = None) -> None:
        """Add the links appended since the last call (and grow the maps with the actors).
        ``new_pairs`` (optional: :func:`appended_pairs` of the links appended since the
        last call) lets a stage skip a tail without a link of its link and sender kinds."""
        a, ln = s.actors, s.links
        n = a.n
        if self.s_map.size < n:
            for name in ("s_map", "d_map", "p_map", "q_map"):
                old = getattr(self, name)
                new = np.full(room(n), -1, dtype=np.int64)  # room for later entrants
                new[: old.size] = old
                setattr(self, name, new)
        start = self.upto
        if start == ln.n:
            return
        if new_pairs is not None and not new_pairs & self._pair_bits:
            self.upto = ln.n  # none of this stage's kinds (such as a recruit's ties)
            return
        self.upto = ln.n
        old, most = self.size, self.size + ln.n - start  # at most every new link
        buf = self._buf
        if not buf or buf["li"].size < most:  # grown by doubling: appends are amortized
            for name in _PER_LINK:
                grown = np.empty(max(most, 2 * old), dtype=getattr(self, name).dtype)
                grown[:old] = getattr(self, name)
                buf[name] = grown
        for name, count in (("senders", self.senders.size), ("receivers", self.receivers.size),
                            ("payers", self.payers.size), ("s_payers", self.s_payers.size)):
            if buf.get(name, _NO_SLOTS).size < count + ln.n - start:
                grown = np.empty(max(count + ln.n - start, 2 * count), dtype=np.int64)
                grown[:count] = getattr(self, name)
                buf[name] = grown
        counts = _append(
            ln.kind, ln.src, ln.dst, ln.capacity, a.kind, a.payer, a.capacity, *self._tables,
            start, self.weight_by == "sender", old, self.s_map, self.d_map, self.p_map,
            self.q_map, self.senders.size, self.receivers.size, self.payers.size,
            self.s_payers.size, buf["li"], buf["src"], buf["dst"], buf["s_loc"],
            buf["d_loc"], buf["d_pay"], buf["s_pay"], buf["s_kind"], buf["ext"], buf["w"],
            buf["senders"], buf["receivers"], buf["payers"], buf["s_payers"])
        top, n_s, n_d, n_p, n_q = counts
        if top == old:
            return
        for name in _PER_LINK:
            setattr(self, name, buf[name][:top])
        self.size = top
        self.senders, self.receivers = buf["senders"][:n_s], buf["receivers"][:n_d]
        self.payers, self.s_payers = buf["payers"][:n_p], buf["s_payers"][:n_q]


_PER_LINK = ("li", "src", "dst", "s_loc", "d_loc", "d_pay", "s_pay", "s_kind", "ext", "w")
"""The per-link arrays of a :class:`Stage` (views of its buffers)."""


@numba.njit(cache=True)
def _append(lkind, lsrc, ldst, lcap, akind, apayer, acap, link_in, sender_in, receiver_out,
            start, by_sender, old, s_map, d_map, p_map, q_map, n_s, n_d, n_p, n_q,
            li, src, dst, s_loc, d_loc, d_pay, s_pay, s_kind, ext, w,
            senders, receivers, payers, s_payers):
    """Append the stage's links among ``start..`` to the per-link buffers from ``old`` on,
    in link order, numbering new senders, receivers and payers in order of first appearance
    (as one pass per array would: each map is read and grown in link order). The weight is
    the link's capacity where finite, else the receiver's (the sender's ``by_sender``),
    at least 1e-12 (a NaN stays NaN, as ``np.maximum``). Returns the new number of links
    and of senders, receivers, receivers' payers and senders' payers. The four numberings
    are written out, not calls of a helper: a compiled call passing two arrays costs their
    reference counts (about 120 of 135 ns a link, even inlined by numba)."""
    top = old
    for k in range(start, lkind.size):
        sk = akind[lsrc[k]]
        if not (link_in[np.uint8(lkind[k])] and sender_in[np.uint8(sk)]
                and not receiver_out[np.uint8(akind[ldst[k]])]):
            continue
        s = np.int64(lsrc[k])
        d = np.int64(ldst[k])
        sp = np.int64(apayer[s])
        dp = np.int64(apayer[d])
        li[top] = k
        src[top] = s
        dst[top] = d
        v = s_map[s]  # a new slot gets the next local number, in the map and the table
        if v < 0:
            v = s_map[s] = n_s
            senders[n_s] = s
            n_s += 1
        s_loc[top] = v
        v = d_map[d]
        if v < 0:
            v = d_map[d] = n_d
            receivers[n_d] = d
            n_d += 1
        d_loc[top] = v
        v = p_map[dp]
        if v < 0:
            v = p_map[dp] = n_p
            payers[n_p] = dp
            n_p += 1
        d_pay[top] = v
        v = q_map[sp]
        if v < 0:
            v = q_map[sp] = n_q
            s_payers[n_q] = sp
            n_q += 1
        s_pay[top] = v
        s_kind[top] = sk
        ext[top] = sp != dp
        c = lcap[k]
        if not np.isfinite(c):
            c = acap[s] if by_sender else acap[d]
        w[top] = c if (c >= 1e-12 or c != c) else 1e-12
        top += 1
    return top, n_s, n_d, n_p, n_q


_SENDER_CODES = 32
"""Sender kind codes per link kind code in the pair bits (:func:`appended_pairs`)."""
assert max(KIND.values()) < _SENDER_CODES


def appended_pairs(s: State, start: int) -> int:
    """The (link kind, sender kind) pairs of the links ``start..`` as the bits
    ``1 << (link kind * 32 + sender kind)``."""
    ln = s.links
    words = _pair_words(ln.kind, ln.src, s.actors.kind, start)
    return int.from_bytes(words.tobytes(), "little")


@numba.njit(cache=True)
def _pair_words(lkind, lsrc, akind, start):
    """:func:`appended_pairs` as 64-bit words, least significant first."""
    words = np.zeros(256 * _SENDER_CODES // 64, dtype=np.uint64)
    for k in range(start, lkind.size):
        code = np.uint8(lkind[k]) * _SENDER_CODES + np.uint8(akind[lsrc[k]])
        words[code >> 6] |= np.uint64(1) << np.uint64(code & 63)
    return words


@numba.njit(cache=True)
def _stage_mask(lkind, lsrc, akind, start, pair_stages):
    """The stages with a link among ``start..``: the union of ``pair_stages`` (per
    (link kind, sender kind) pair as in :func:`appended_pairs`, the stages holding it as
    bits) over those links, a scalar where :func:`appended_pairs` hands back 256 words
    made into a Python integer."""
    mask = np.uint64(0)
    for k in range(start, lkind.size):
        mask |= pair_stages[np.uint8(lkind[k]) * _SENDER_CODES + np.uint8(akind[lsrc[k]])]
    return mask


def _table(codes: np.ndarray) -> np.ndarray:
    """Whether each int8 code (indexed as uint8) is one of ``codes``."""
    out = np.zeros(256, dtype=np.bool_)
    out[codes.astype(np.int8).view(np.uint8)] = True
    return out


@numba.njit(cache=True)
def _csr_by_endpoint(src, dst, n):
    """Rows of link indices by endpoint (both ends), ascending within each row."""
    m = src.shape[0]
    ptr = np.zeros(n + 1, dtype=np.int64)
    for k in range(m):
        ptr[src[k] + 1] += 1
        ptr[dst[k] + 1] += 1
    for i in range(n):
        ptr[i + 1] += ptr[i]
    fill = ptr[:-1].copy()
    idx = np.empty(2 * m, dtype=np.int64)
    for k in range(m):
        s = src[k]
        idx[fill[s]] = k
        fill[s] += 1
        d = dst[k]
        idx[fill[d]] = k
        fill[d] += 1
    return ptr, idx


@numba.njit(cache=True)
def _new_pairs(src, dst, start):
    """The pairs ``endpoint << 32 | link`` of the links ``start..``, both ends (a loop
    once), sorted: what :func:`_merge_tail` and :func:`_merge_tail_into` merge in."""
    m = src.size - start
    new = np.empty(2 * m, dtype=np.int64)
    k = 0
    for i in range(start, src.size):
        new[k] = (np.int64(src[i]) << 32) | i
        k += 1
    for i in range(start, src.size):
        if dst[i] != src[i]:
            new[k] = (np.int64(dst[i]) << 32) | i
            k += 1
    return np.sort(new[:k])


@numba.njit(cache=True)
def _merge_tail(pairs, src, dst, start):
    """The sorted pairs ``endpoint << 32 | link`` of the tail ``pairs`` with those of the
    links ``start..`` (both ends, a loop once) merged in, and their endpoints and links.
    The pairs are distinct, so the linear merge of the two sorted runs is the same array as
    a sort of their concatenation."""
    new = _new_pairs(src, dst, start)
    k = new.size
    out = np.empty(pairs.size + k, dtype=np.int64)
    i = j = 0
    for o in range(out.size):
        if j == k or (i < pairs.size and pairs[i] < new[j]):
            out[o] = pairs[i]
            i += 1
        else:
            out[o] = new[j]
            j += 1
    key = np.empty(out.size, dtype=np.int64)
    link = np.empty(out.size, dtype=np.int64)
    for o in range(out.size):
        key[o] = out[o] >> 32
        link[o] = out[o] & 0xFFFFFFFF
    return out, key, link


@numba.njit(cache=True)
def _merge_tail_into(pairs, key, link, t, src, dst, start):
    """:func:`_merge_tail` in place: the sorted pairs ``pairs[:t]`` (and their endpoints
    ``key``, links ``link``) with those of the links ``start..`` merged in, from the back,
    so that only the entries after the smallest new pair move and nothing is allocated
    but the new pairs; the buffers hold the new entries. Returns the new length."""
    new = _new_pairs(src, dst, start)
    k = new.size
    i = t - 1
    o = t + k - 1
    for j in range(k - 1, -1, -1):
        x = new[j]
        while i >= 0 and pairs[i] > x:  # the pairs are distinct
            pairs[o] = pairs[i]
            key[o] = key[i]
            link[o] = link[i]
            i -= 1
            o -= 1
        pairs[o] = x
        key[o] = x >> 32
        link[o] = x & 0xFFFFFFFF
        o -= 1
    return t + k


@numba.njit(cache=True)
def _rows_with_tail(ptr, idx, n0, tkey, tlink, src, dst, n):
    """The rows of :func:`_csr_by_endpoint` over every link and ``n`` actors, from the rows
    ``ptr``/``idx`` (over the first links and ``n0`` actors) and the tail ``tkey``/``tlink``
    holding every later link: each row is its old row followed by its tail's links (all
    later, ascending), a loop twice as the rows count it. The old rows are copied in
    blocks between the tail's endpoints, without the counting sort's scatter."""
    t = tkey.size
    new_ptr = np.empty(n + 1, dtype=np.int64)
    new_ptr[0] = 0
    shift = 0  # tail entries of the endpoints before v
    j = 0
    for v in range(n):
        while j < t and tkey[j] < v:
            li = tlink[j]
            shift += 2 if src[li] == dst[li] else 1
            j += 1
        new_ptr[v] = ptr[min(v, n0)] + shift
    while j < t:
        li = tlink[j]
        shift += 2 if src[li] == dst[li] else 1
        j += 1
    new_ptr[n] = ptr[n0] + shift
    out = np.empty(new_ptr[n], dtype=np.int64)
    q = 0  # old entries copied
    o = 0
    j = 0
    while j < t:
        v = tkey[j]
        end = ptr[min(v + 1, n0)]  # the old rows up to v's, in one block
        out[o: o + end - q] = idx[q:end]
        o += end - q
        q = end
        while j < t and tkey[j] == v:
            li = tlink[j]
            out[o] = li
            o += 1
            if src[li] == dst[li]:
                out[o] = li
                o += 1
            j += 1
    out[o:] = idx[q:]
    return new_ptr, out


class Incidence:
    """Every link by endpoint: ``ptr``/``idx`` rows over the first ``m0`` links and ``n0``
    actors; the links ``m0..`` appended since (the tail) as sorted pairs ``tkey`` (endpoint)
    and ``tlink`` (link index, ascending within an endpoint; a loop counted once).
    :meth:`parts` hands both to the compiled users."""

    def __init__(self) -> None:
        self.ptr = np.zeros(1, dtype=np.int64)
        self.idx = np.zeros(0, dtype=np.int64)
        self.m0 = 0
        self.n0 = 0
        self.mt = 0  # links covered by rows and tail
        self.tkey = np.zeros(0, dtype=np.int64)
        self.tlink = np.zeros(0, dtype=np.int64)
        self._pairs = np.zeros(0, dtype=np.int64)  # endpoint << 32 | link, sorted
        self._buf: tuple = ()  # storage of _pairs, tkey and tlink (views of its front)

    def sync(self, s: State, force: bool = False) -> None:
        ln = s.links
        if force or self.n0 == 0 or ln.n - self.m0 > min(TAIL_MAX, max(TAIL_MIN,
                                                                        self.m0 // TAIL_SHARE)):
            if force or self.n0 == 0:
                self.ptr, self.idx = _csr_by_endpoint(ln.src, ln.dst, s.actors.n)
            else:  # the rows and the tail, brought up to date, merged
                if self.mt != ln.n:
                    self._merge(ln)
                self.ptr, self.idx = _rows_with_tail(self.ptr, self.idx, self.n0, self.tkey,
                                                     self.tlink, ln.src, ln.dst, s.actors.n)
            self.m0 = self.mt = ln.n
            self.n0 = s.actors.n
            # an empty tail: every link is in the rows now
            self._pairs = self.tkey = self.tlink = np.zeros(0, dtype=np.int64)
        if self.mt != ln.n:  # merge the links appended since into the sorted tail
            self._merge(ln)
            self.mt = ln.n

    def _merge(self, ln) -> None:
        """Merge the links ``mt..`` into the sorted tail (:func:`_merge_tail_into`, in place
        in storage grown by doubling); ``_pairs``, ``tkey`` and ``tlink`` are made again
        as views of its front."""
        t = self._pairs.size
        need = t + 2 * (ln.n - self.mt)
        if not self._buf or self._buf[0].size < need:
            size = max(need, 2 * t, 256)
            grown = tuple(np.empty(size, dtype=np.int64) for _ in range(3))
            for new, old in zip(grown, (self._pairs, self.tkey, self.tlink), strict=True):
                new[:t] = old
            self._buf = grown
        pairs, key, link = self._buf
        t = _merge_tail_into(pairs, key, link, t, ln.src, ln.dst, self.mt)
        self._pairs, self.tkey, self.tlink = pairs[:t], key[:t], link[:t]

    def parts(self, s: State) -> tuple:
        """``(ptr, idx, n0, tkey, tlink)`` up to date with the links of ``s``."""
        if self.mt != s.links.n:
            self.sync(s)
        return self.ptr, self.idx, self.n0, self.tkey, self.tlink


class Topology:
    """The structure of the supply chain the phases loop over.

    Stages (in the order material moves): ``supplies`` (precursor: suppliers and
    marketplaces to labs and marketplaces), ``lab`` (labs onto routes, marketplaces,
    traffickers, dealers), ``route`` (routes to traffickers), ``marketplace``,
    ``trafficker`` and ``dealer`` (wholesale), ``retail`` (dealers and marketplaces to
    markets). ``slots(kind)`` lists the slots of one actor kind.
    """

    def __init__(self, s: State) -> None:
        every = tuple(KIND.values())
        self.stages = {
            "supplies": Stage(every, (LKIND["supplies"],), (), weight_by="sender"),
            "lab": Stage((KIND["lab"],), PRODUCT_LINKS),
            "route": Stage((KIND["route"],), PRODUCT_LINKS),
            "marketplace": Stage((KIND["marketplace"],), PRODUCT_LINKS),
            "trafficker": Stage((KIND["trafficker"],), PRODUCT_LINKS),
            "dealer": Stage((KIND["dealer"],), PRODUCT_LINKS),
            "retail": Stage((KIND["dealer"], KIND["marketplace"]), (LKIND["sells_to"],), ()),
            "protects": Stage(every, (LKIND["protects"],), ()),
            "fronts_for": Stage(every, (LKIND["fronts_for"],), ()),
            "launders_for": Stage(every, (LKIND["launders_for"],), ()),
            "diverts_to": Stage(every, (LKIND["diverts_to"],), ()),
        }
        self._stage_list = tuple(self.stages.values())
        # per (link kind, sender kind) pair, the stages holding it as bits: _stage_mask
        self._pair_stages = np.zeros(256 * _SENDER_CODES, dtype=np.uint64)
        for i, st in enumerate(self._stage_list):
            for lk in set(st.link_kinds.tolist()):
                for sk in set(st.sender_kinds.tolist()):
                    self._pair_stages[(lk % 256) * _SENDER_CODES + sk % 256] |= np.uint64(1 << i)
        self.incidence = Incidence()
        self._kinds_at = -1
        self._seen = (-1, -1)
        self._slots: dict[int, np.ndarray] = {}
        self.sync(s)

    def sync(self, s: State) -> None:
        """Take in the links and actors appended since the last call."""
        seen = (s.links.n, s.actors.n)
        if seen == self._seen:
            return
        self._seen = seen
        stages = self._stage_list
        uptos = {st.upto for st in stages}
        n, m = s.actors.n, s.links.n
        if len(uptos) == 1:  # every stage has seen the same links: one look at the tail
            mask = int(_stage_mask(s.links.kind, s.links.src, s.actors.kind, uptos.pop(),
                                   self._pair_stages))
            for i, st in enumerate(stages):
                if mask >> i & 1:
                    st.extend(s, st._pair_bits)  # the tail has some of its pairs
                elif st.s_map.size >= n:
                    st.upto = m  # what extend does for a tail without the stage's links
                else:
                    st.extend(s, 0)  # its maps grown with the actors
        else:
            for st in stages:
                st.extend(s)
        self.incidence.sync(s)
        if self._kinds_at != s.actors.n:
            start = max(self._kinds_at, 0)
            self._organizations(s)
            self._kinds_at = s.actors.n
            kind = s.actors.kind[start:]
            order = np.argsort(kind, kind="stable")
            bounds = np.searchsorted(kind[order], np.arange(len(KIND) + 1)).tolist()
            # actors are only appended: each kind's new slots follow its old ones
            slots = self._slots
            for k in range(len(KIND)):
                if bounds[k + 1] > bounds[k] or k not in slots:
                    slots[k] = np.concatenate([slots.get(k, _NO_SLOTS),
                                               start + order[bounds[k]: bounds[k + 1]]])

    def _organizations(self, s: State) -> None:
        """Local numbers of organizations: ``org_ids`` (slots: every actor of kind
        organization and every actor named as some member's organization), ``member_org``
        (per slot, the local number of its organization, -1 if none). ``org_loc`` and
        ``member_org`` are views of buffers with room for appended actors."""
        a = s.actors
        start = max(self._kinds_at, 0)
        org = a.org[start:].astype(np.int64)
        if start == 0:
            listed = a.kind == KIND["organization"]
            listed[org[org >= 0]] = True  # and every slot named (np.union1d's set, sorted)
            self.org_ids = np.flatnonzero(listed)
            self._org_loc = np.full(room(a.n), -1, dtype=np.int64)
            self._member_org = np.full(self._org_loc.size, -1, dtype=np.int64)
            self.org_loc = self._org_loc[: a.n]
            self.org_loc[self.org_ids] = np.arange(self.org_ids.size)
        else:
            if self._org_loc.size < a.n:  # new slots are -1 in the buffers
                for name in ("_org_loc", "_member_org"):
                    grown = np.full(room(a.n), -1, dtype=np.int64)
                    grown[:start] = getattr(self, name)[:start]
                    setattr(self, name, grown)
            self.org_loc = self._org_loc[: a.n]
            # appended organizations, named by a member or not (as from scratch)
            fresh = np.union1d(start + np.flatnonzero(a.kind[start:] == KIND["organization"]),
                               org[org >= 0])
            fresh = fresh[self.org_loc[fresh] < 0]
            if fresh.size:
                self.org_loc[fresh] = np.arange(self.org_ids.size, self.org_ids.size + fresh.size)
                self.org_ids = np.concatenate([self.org_ids, fresh])
        self._member_org[start: a.n] = np.where(org >= 0, self.org_loc[np.maximum(org, 0)], -1)
        self.member_org = self._member_org[: a.n]

    def slots(self, kind: str) -> np.ndarray:
        """Slots of the actors of one kind (alive or not), ascending."""
        return self._slots[KIND[kind]]
