"""Procurement's compiled ordering passes against the plain passes they replaced, bit for
bit, on random supplies links, stocks, cash and suspensions."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from fentanet.simulate.phases.procurement import _procure
from fentanet.simulate.state import KIND, LKIND, Table
from fentanet.simulate.topology import Stage
from procurement_plain import jit_procure, plain_procure
from simkit import every_intervention


@pytest.mark.parametrize("seed", range(40))
def test_procure_is_the_plain_passes_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(2, 60)), int(rng.integers(0, 150))
    codes = np.array([KIND[k] for k in ("supplier", "marketplace", "lab", "trafficker")],
                     dtype=np.int8)
    kind = rng.choice(codes, n)
    payer = np.where(rng.random(n) < 0.5, rng.integers(0, n, n), np.arange(n)).astype(np.int32)
    a = Table(kind=kind, payer=payer, capacity=rng.choice([0.0, 1.0, 5.0, 40.0], n))
    ln = Table(src=rng.integers(0, n, m).astype(np.int32),
               dst=rng.integers(0, n, m).astype(np.int32),
               kind=np.full(m, LKIND["supplies"], dtype=np.int8),
               capacity=rng.choice([np.nan, 0.5, 2.0], m))
    st = Stage(tuple(KIND.values()), (LKIND["supplies"],), (), weight_by="sender")
    st.extend(SimpleNamespace(actors=a, links=ln))
    cols = dict(
        link_alive=rng.random(m) < 0.9, alive=rng.random(n) < 0.9, kind=kind,
        legit=rng.random(n) < 0.5, capacity=a.capacity.copy(),
        precursor=rng.choice([0.0, 0.3, 2.0, 9.0], n) * rng.random(n), payer=payer,
        suspended_until=np.where(rng.random(n) < 0.1, 1.0, -1.0),
        cash=rng.choice([0.0, 1e3, 1e5, np.inf], n) * rng.random(n), dirty=rng.random(n),
        throughput=rng.random(n), refused_share=rng.random(n))
    scalars = (0.5, float(rng.choice([0.02, 1 / 52])), float(rng.choice([0.1, 0.5])),
               float(rng.random()), float(rng.random()), float(rng.choice([50.0, 2e3])))
    links = (st.li, st.src, st.dst, st.s_loc, st.d_loc, st.d_pay, st.s_pay, st.ext, st.w,
             st.senders, st.receivers, st.payers, st.s_payers)
    mine = {k: v.copy() for k, v in cols.items()}
    got = _procure(*links, *mine.values(), *scalars)
    assert seed >= 16 or got[0] + got[1] > 0  # these cases buy (35 of the 40 do)
    for oracle in (plain_procure, jit_procure):
        plain = {k: v.copy() for k, v in cols.items()}
        want = oracle(*links, *plain.values(), *scalars)
        assert np.array(got).tobytes() == np.array(want).tobytes()
        for k in cols:
            np.testing.assert_array_equal(mine[k].view(np.uint8), plain[k].view(np.uint8),
                                          err_msg=k)



def test_procure_is_the_plain_passes_bit_for_bit_in_real_steps():
    """Every procurement of 30 us-baseline steps and of a year of the toy with every
    intervention (precursor controls raise the refused shares) against the plain passes
    (compiled), on copies of the same inputs."""
    import warnings

    from fentanet.simulate.loop import Sim
    from fentanet.simulate.phases import procurement
    from fentanet.simulate.run import build_network, prepare

    every = every_intervention()
    calls = []

    def checked(*args):
        copies = [x.copy() if isinstance(x, np.ndarray) else x for x in args]
        got = _procure(*args)
        want = jit_procure(*copies)
        assert np.array(got).tobytes() == np.array(want).tobytes()
        for g, w in zip(args, copies, strict=True):
            if isinstance(g, np.ndarray):
                assert g.tobytes() == w.tobytes()
        calls.append(got[0])
        return got

    procurement._procure = checked
    try:
        for name, years, ivs, steps in (("us-baseline", 0.6, [], 30),
                                        ("toy", 1.0, every, 52)):
            sc = prepare(name, years=years, interventions=ivs)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sim = Sim(sc, build_network(sc), 1)
                for _ in range(steps):
                    sim.run_step()
    finally:
        procurement._procure = _procure
    assert len(calls) == 52 + 30 + 52 + 52  # the spin-ups' steps and the run's
    assert sum(c > 0 for c in calls) > 150  # most buy
