"""The spin-up's code as it was before the thirteenth session's spin-up speed-ups (the
stages' appends calling a compiled helper per local number), the oracle a run's whole
state after ``Sim.__init__`` is compared with array by array; and that comparison."""

from __future__ import annotations

import contextlib
import dataclasses
import math

import numba
import numpy as np

from fentanet.simulate import state, topology
from fentanet.simulate.loop import Sim
from fentanet.simulate.state import KIND, ROLE, room


@numba.njit(cache=True)
def _local(slot, mapping, table, top):
    """The local number of ``slot`` (a new slot gets ``top``, recorded in ``mapping`` and
    ``table``); returns it and the new count."""
    v = mapping[slot]
    if v < 0:
        v = top
        mapping[slot] = v
        table[top] = slot
        top += 1
    return v, top


@numba.njit(cache=True)
def plain_append(lkind, lsrc, ldst, lcap, akind, apayer, acap, link_in, sender_in,
                 receiver_out, start, by_sender, old, s_map, d_map, p_map, q_map, n_s, n_d,
                 n_p, n_q, li, src, dst, s_loc, d_loc, d_pay, s_pay, s_kind, ext, w,
                 senders, receivers, payers, s_payers):
    """``topology._append`` with a call of :func:`_local` per local number."""
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
        s_loc[top], n_s = _local(s, s_map, senders, n_s)
        d_loc[top], n_d = _local(d, d_map, receivers, n_d)
        d_pay[top], n_p = _local(dp, p_map, payers, n_p)
        s_pay[top], n_q = _local(sp, q_map, s_payers, n_q)
        s_kind[top] = sk
        ext[top] = sp != dp
        c = lcap[k]
        if not np.isfinite(c):
            c = acap[s] if by_sender else acap[d]
        w[top] = c if (c >= 1e-12 or c != c) else 1e-12
        top += 1
    return top, n_s, n_d, n_p, n_q


def plain_default_roles(org: np.ndarray, role: np.ndarray) -> None:
    """``state._default_roles`` sorting every member before leaving out the organizations
    that have a leader."""
    members = np.flatnonzero(org >= 0)
    if not members.size:
        return
    orgs = org[members]
    has_leader = np.zeros(org.size, dtype=bool)
    has_leader[orgs[role[members] == ROLE["leader"]]] = True
    order = members[np.argsort(orgs, kind="stable")]  # by organization, then slot
    order = order[~has_leader[org[order]]]
    if not order.size:
        return
    o = org[order]
    starts = np.flatnonzero(np.r_[True, o[1:] != o[:-1]])
    rank = np.arange(o.size) - np.repeat(starts, np.diff(np.r_[starts, o.size]))
    role[order[rank == 0]] = ROLE["leader"]
    next_two = order[(rank >= 1) & (rank <= 2)]
    role[next_two[role[next_two] == 0]] = ROLE["lieutenant"]


def plain_organizations(self, s) -> None:
    """``Topology._organizations`` with the organizations' slots from ``np.unique`` and
    ``np.union1d``."""
    a = s.actors
    start = max(self._kinds_at, 0)
    org = a.org[start:].astype(np.int64)
    if start == 0:
        named = np.unique(org[org >= 0])
        self.org_ids = np.union1d(np.flatnonzero(a.kind == KIND["organization"]), named)
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
        fresh = np.union1d(start + np.flatnonzero(a.kind[start:] == KIND["organization"]),
                           org[org >= 0])
        fresh = fresh[self.org_loc[fresh] < 0]
        if fresh.size:
            self.org_loc[fresh] = np.arange(self.org_ids.size, self.org_ids.size + fresh.size)
            self.org_ids = np.concatenate([self.org_ids, fresh])
    self._member_org[start: a.n] = np.where(org >= 0, self.org_loc[np.maximum(org, 0)], -1)
    self.member_org = self._member_org[: a.n]


PLAIN = ((topology, "_append", plain_append), (state, "_default_roles", plain_default_roles),
         (topology.Topology, "_organizations", plain_organizations))
"""What :func:`plain_spinup` puts back: (owner, name, the plain code)."""


@contextlib.contextmanager
def plain_spinup():
    """The spin-up's code of before its speed-ups, for the duration of the block."""
    saved = [getattr(owner, name) for owner, name, _ in PLAIN]
    for owner, name, plain in PLAIN:
        setattr(owner, name, plain)
    try:
        yield
    finally:
        for (owner, name, _), old in zip(PLAIN, saved, strict=True):
            setattr(owner, name, old)


def plain_sim(scenario, network, seed) -> Sim:
    """``Sim(scenario, network, seed)`` built by the plain spin-up."""
    with plain_spinup():
        return Sim(scenario, network, seed)


SHARED = frozenset({"scenario", "network", "p"})
"""Attributes both runs share (the same objects): not compared."""

SCRATCH = frozenset({"_buf", "_draws", "_push_scratch"})
"""Storage behind views compared on their own, partly uninitialised (``np.empty``),
enforcement's scratch of uniforms (``np.empty``, filled afresh each step) and the
wholesale stages' (``distribution._scratch``, ``np.empty``, written before it is read)."""

FILLED = {"nxt": "top", "tnbr": "top"}
"""Arrays grown with ``np.empty`` and filled only up to a count kept beside them: the tie
neighbours' chains (``adaptation.TieNeighbours``, built since the spin-up runs recruitment),
compared up to their ``top``."""


def assert_same_state(got, want, path: str = "sim", seen: set | None = None) -> None:
    """``got`` and ``want`` equal bit for bit: arrays by dtype, shape and bytes (object
    arrays by their items), floats by their bits, containers and the project's objects
    attribute by attribute."""
    seen = set() if seen is None else seen
    assert type(got) is type(want), path
    if isinstance(got, (dict, list)) or hasattr(got, "__dict__"):  # each compared once
        if id(got) in seen:
            return
        seen.add(id(got))
    if isinstance(got, np.ndarray):
        assert got.dtype == want.dtype and got.shape == want.shape, path
        if got.dtype == object:
            assert got.tolist() == want.tolist(), path
        else:
            assert got.tobytes() == want.tobytes(), path
    elif isinstance(got, float):
        assert got == want or (math.isnan(got) and math.isnan(want)), path
        assert math.copysign(1.0, got) == math.copysign(1.0, want), path
    elif isinstance(got, dict):
        assert list(got) == list(want), path
        for k in got:
            assert_same_state(got[k], want[k], f"{path}[{k!r}]", seen)
    elif isinstance(got, (list, tuple)):
        assert len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_same_state(g, w, f"{path}[{i}]", seen)
    elif dataclasses.is_dataclass(got) or type(got).__module__.startswith("fentanet"):
        g, w = vars(got), vars(want)
        assert sorted(g) == sorted(w), path
        for k in g:
            if k in SHARED or k in SCRATCH:
                continue
            if k in FILLED and FILLED[k] in g:
                assert_same_state(g[k][: g[FILLED[k]]], w[k][: w[FILLED[k]]],
                                  f"{path}.{k}", seen)
                continue
            assert_same_state(g[k], w[k], f"{path}.{k}", seen)
    else:
        assert got == want, path
