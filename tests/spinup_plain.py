"""The spin-up's code as it was before the thirteenth session's spin-up speed-ups (the
stages' appends calling a compiled helper per local number), the oracle a run's whole
state after ``Sim.__init__`` is compared with array by array; and that comparison."""

from __future__ import annotations

import contextlib
import dataclasses
import math

import numba
import numpy as np

from fentanet.simulate import topology
from fentanet.simulate.loop import Sim


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


@contextlib.contextmanager
def plain_spinup():
    """The spin-up's code of before its speed-ups, for the duration of the block."""
    saved = topology._append
    topology._append = plain_append
    try:
        yield
    finally:
        topology._append = saved


def plain_sim(scenario, network, seed) -> Sim:
    """``Sim(scenario, network, seed)`` built by the plain spin-up."""
    with plain_spinup():
        return Sim(scenario, network, seed)


SHARED = frozenset({"scenario", "network", "p"})
"""Attributes both runs share (the same objects): not compared."""

SCRATCH = frozenset({"_buf"})
"""Storage behind views compared on their own, partly uninitialised (``np.empty``)."""


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
            assert_same_state(g[k], w[k], f"{path}.{k}", seen)
    else:
        assert got == want, path
