"""The thirteenth session's exact speed-ups of the late phases (enforcement, money, record)
against the code they replaced, kept as oracles in ``tests/late_phases_plain.py``: equal
bit for bit on inputs recorded inside us-baseline steps and toy steps with every
intervention."""

from __future__ import annotations

import numpy as np
import pytest

from fentanet.simulate.loop import Sim
from fentanet.simulate.phases import enforcement, money, record
from late_phases_plain import plain_link_keys, plain_links_of_slots, plain_settle, plain_tally
from simkit import new_sim

_RECORDED = ((enforcement, "_arrests"), (money, "_settle"), (record, "_tally"))
"""The kernels whose arguments the fixtures record, by module and name (an arrest's call,
:func:`enforcement._arrests`, makes ``_reveal_links``' with the incidence's parts)."""


def _bits(x) -> bytes:
    """The bytes of ``x`` as float64 (bit for bit: -0.0 is not 0.0, as == would have it)."""
    return np.asarray(x, dtype=np.float64).tobytes()


def _record(sim: Sim, warm: int, steps: int) -> dict[str, list[tuple]]:
    """The arguments of the kernels in ``_RECORDED`` at every call over ``steps`` steps of
    ``sim`` after ``warm`` (copied before the call), by kernel name."""
    for _ in range(warm):
        sim.run_step()
    got: dict[str, list[tuple]] = {name: [] for _, name in _RECORDED}
    mp = pytest.MonkeyPatch()
    for module, name in _RECORDED:
        kernel = getattr(module, name)

        def record(*args, _kernel=kernel, _name=name):
            got[_name].append(tuple(a.copy() if isinstance(a, np.ndarray) else a
                                    for a in args))
            return _kernel(*args)

        mp.setattr(module, name, record)
    try:
        for _ in range(steps):
            sim.run_step()
    finally:
        mp.undo()
    return got


@pytest.fixture(scope="module")
def us_baseline():
    """Six us-baseline steps after four."""
    return _record(new_sim("us-baseline", 1.0, 1), 4, 6)


@pytest.fixture(scope="module")
def toy_every_intervention():
    """Forty toy steps with every intervention from step 5."""
    return _record(new_sim("toy", 1.0, 2, every=True), 0, 40)


def _copies(args: tuple) -> list:
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


def test_links_of_slots_with_tail_bounds_found_once_are_the_two_searches(us_baseline):
    """The arrested slots' links (ascending slots, reversed, and slots with tail entries
    repeated) as the counting pass and the copy searching each bound found them."""
    calls = us_baseline["_arrests"]
    assert len(calls) == 6
    links = 0
    for args in calls:
        slots, parts = args[0], args[17:22]  # the detected slots, the incidence's parts
        tkey = parts[3]
        assert tkey.size > 1000  # appended links in the tail
        with_tail = np.unique(tkey)[::7]
        for s in (slots, slots[::-1].copy(), np.concatenate([with_tail, slots, with_tail]),
                  np.zeros(0, dtype=np.int64)):
            got = enforcement.links_of_slots(s, *parts)
            np.testing.assert_array_equal(got, plain_links_of_slots(s, *parts))
            links += got.size
    assert links > 5000


def _check_settle(calls: list[tuple]) -> tuple[int, int]:
    """Each recorded call of money's kernel against the plain one on copies: the insolvent
    payers, the sums, and the revenue, cash and hoard after. Returns (insolvent payers,
    slots not alive) over the calls."""
    insolvent = dead = 0
    for args in calls:
        mine, plain = _copies(args), _copies(args)
        got, want = money._settle(*mine), plain_settle(*plain)
        np.testing.assert_array_equal(got[0], want[0])
        assert _bits(got[1:]) == _bits(want[1:])
        for j in (7, 8, 9):  # dirty, cash, hoard
            assert _bits(mine[j]) == _bits(plain[j])
        insolvent += got[0].size
        dead += int((~args[4]).sum())
    return insolvent, dead


def test_settle_with_dead_slots_adding_zero_is_the_branch(us_baseline, toy_every_intervention):
    """Money's kernel, dead slots adding 0 to their payer's upkeep and each kind's upkeep
    computed once, against the plain one on us-baseline and toy states (dead slots, anti
    money laundering; insolvency is in the hand case)."""
    assert _check_settle(us_baseline["_settle"])[1] > 1000
    assert _check_settle(toy_every_intervention["_settle"])[1] > 100


def test_settle_by_hand():
    """Two organizations (slots 0, 1) with members alive and dead, an independent dealer:
    upkeep summed per payer over the alive members; the second organization cannot pay."""
    kind = np.array([0, 0, 1, 1, 1, 2], dtype=np.int8)
    alive = np.array([True, True, True, False, True, True])
    payer = np.array([0, 1, 0, 0, 1, 5], dtype=np.int32)
    cash = np.array([100.0, 1.0, 0.0, 0.0, 0.0, 50.0])
    dirty = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 10.0])
    hoard = np.zeros(6)
    table = np.array([0.0, 52.0, 104.0])
    none = np.zeros(0, dtype=np.int64)
    args = (none, none, none, np.zeros(0, dtype=bool), alive, kind, payer, dirty, cash,
            hoard, table, 1 / 52, 0.0, 0.0, 0.5, -1)
    out, seized, laundered = money._settle(*_copies(args))
    # upkeep per step: members 52 / 52 = 1 (slot 3 dead: nothing), the dealer 2; the second
    # organization owes 1 with 1 in cash: not insolvent (within 1e-9)
    assert out.tolist() == [] and seized == 0.0 and laundered == 0.0
    mine = _copies(args)
    mine[8][1] = 0.5
    out, _, _ = money._settle(*mine)
    assert out.tolist() == [1]
    np.testing.assert_array_equal(mine[8], [99.0, 0.0, 0.0, 0.0, 0.0, 53.0])  # 50 + 5 - 2
    assert mine[9][5] == 5.0 and mine[7][5] == 0.0


def test_tally_reading_every_slot_s_cash_is_the_branch(us_baseline, toy_every_intervention):
    """The record's tally, each slot's cash read and then selected, against the plain one
    (cash read only when alive) on us-baseline and toy states with dead slots holding cash
    (an arrested independent seller's, kept for its newcomer)."""
    dead_cash = 0
    for calls in (us_baseline["_tally"], toy_every_intervention["_tally"]):
        for args in calls:
            got, want = record._tally(*args), plain_tally(*args)
            np.testing.assert_array_equal(got[0], want[0])
            assert _bits(got[1:]) == _bits(want[1:])
            dead_cash += int(((~args[1]) & (args[4] != 0)).sum())
    assert dead_cash > 0


def test_link_keys_compiled_are_numpy_s():
    """The links' keys (the initial knowledge's and surveillance's draws) in one compiled
    pass, against NumPy's on the toy after two years with every intervention (entrants'
    uids above their slots, links appended): every link, a subset in any order, none; and
    a hand case."""
    sim = new_sim("toy", 2.0, 3, every=True)
    sim.run()
    a, ln = sim.s.actors, sim.s.links
    assert ln.n > sim.topo.incidence.m0 or a.n > sim.n_actors0  # something appended
    args = (a.uid, ln.src, ln.dst, ln.kind)
    rng = np.random.default_rng(0)
    for li in (np.arange(ln.n), rng.permutation(ln.n)[: ln.n // 3], np.zeros(0, np.int64)):
        got = enforcement.link_keys(sim, li)
        assert got.dtype == np.uint64
        np.testing.assert_array_equal(got, plain_link_keys(*args, li))
    uid = np.array([7, 2**31 + 5, 3], dtype=np.int64)
    src, dst = np.array([1, 2], dtype=np.int32), np.array([0, 1], dtype=np.int32)
    kind = np.array([3, 10], dtype=np.int8)
    got = enforcement._link_keys(uid, src, dst, kind, np.array([1, 0]))
    assert got.tolist() == [(3 << 32) ^ (2**31 + 5) ^ (10 << 58),
                            ((2**31 + 5) << 32) ^ 7 ^ (3 << 58)]
