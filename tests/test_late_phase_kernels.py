"""The thirteenth session's exact speed-ups of the late phases (enforcement, money,
population, record) against the code they replaced, kept as oracles in
``tests/enforcement_plain.py``: equal bit for bit on inputs recorded inside us-baseline
steps and on hand-made cases."""

from __future__ import annotations

import numpy as np
import pytest

from enforcement_plain import plain_links_of_slots
from fentanet.simulate.loop import Sim
from fentanet.simulate.phases import enforcement
from fentanet.simulate.run import build_network, prepare

_RECORDED = ("_reveal_links",)


@pytest.fixture(scope="module")
def recorded():
    """The arguments of the kernels in ``_RECORDED`` at every call over six us-baseline
    steps after four (copied before the call), by kernel name."""
    sc = prepare("us-baseline", years=1.0)
    sim = Sim(sc, build_network(sc), 1)
    for _ in range(4):
        sim.run_step()
    got = {name: [] for name in _RECORDED}
    mp = pytest.MonkeyPatch()
    for name in _RECORDED:
        kernel = getattr(enforcement, name)

        def record(*args, _kernel=kernel, _name=name):
            got[_name].append(tuple(a.copy() if isinstance(a, np.ndarray) else a
                                    for a in args))
            return _kernel(*args)

        mp.setattr(enforcement, name, record)
    try:
        for _ in range(6):
            sim.run_step()
    finally:
        mp.undo()
    return got


def test_links_of_slots_with_tail_bounds_found_once_are_the_two_searches(recorded):
    """The arrested slots' links (ascending slots, reversed, and slots with tail entries
    repeated) as the counting pass and the copy searching each bound found them."""
    calls = recorded["_reveal_links"]
    assert len(calls) == 6
    links = 0
    for args in calls:
        slots, parts = args[0], args[1:6]
        tkey = parts[3]
        assert tkey.size > 1000  # appended links in the tail
        with_tail = np.unique(tkey)[::7]
        for s in (slots, slots[::-1].copy(), np.concatenate([with_tail, slots, with_tail]),
                  np.zeros(0, dtype=np.int64)):
            got = enforcement.links_of_slots(s, *parts)
            np.testing.assert_array_equal(got, plain_links_of_slots(s, *parts))
            links += got.size
    assert links > 5000
