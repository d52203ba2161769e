"""The twenty-first session's folding of the Python between kernels into them, each piece
against the code it replaced (the 32 reference runs check the whole step bit for bit)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from fentanet.simulate.loop import Sim
from fentanet.simulate.phases import adaptation
from fentanet.simulate.run import build_network, prepare
from fentanet.simulate.state import LKIND


@pytest.fixture(scope="module")
def toy_sim():
    sc = prepare("toy", years=1.0)
    sim = Sim(sc, build_network(sc), 3)
    for _ in range(6):
        sim.run_step()
    return sim


def _columns(table):
    return {name: getattr(table, name).copy() for name in table.columns}


@pytest.mark.parametrize("kind", ["tie", "ships"])
def test_links_of_one_kind_written_in_one_call_are_those_table_append_writes(toy_sim, kind):
    """:func:`adaptation._fill_links` after :meth:`Table.grow` against :meth:`Table.append`,
    also across the storage's growth (appends until it doubles)."""
    fast, plain = copy.deepcopy(toy_sim), copy.deepcopy(toy_sim)
    rng = np.random.default_rng(5)
    n = fast.s.actors.n
    fast.surveillance = plain.surveillance = 0.375
    cap = len(fast.s.links._cols["src"])
    while fast.s.links.n <= cap:
        k = int(rng.integers(0, 300))
        src, dst = rng.integers(0, n, k), rng.integers(0, n, k)
        adaptation.add_links(fast, src, dst, kind)
        plain.s.links.append(src=src.astype(np.int32), dst=dst.astype(np.int32),
                             kind=np.int8(LKIND[kind]), capacity=np.nan, weight=1.0,
                             alive=True, known=False, born=plain.surveillance)
        a, b = _columns(fast.s.links), _columns(plain.s.links)
        assert a.keys() == b.keys()
        for name in a:
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)
            assert a[name].dtype == b[name].dtype
        assert fast.s.links.version == plain.s.links.version
