"""NumPy's own inner loops called from compiled kernels (fentanet.simulate.nploops): the
same bits as the ufuncs, and the kernels that call them the same numbers as the NumPy
calls they replaced."""

from __future__ import annotations

import copy
import gc
from pathlib import Path

import numpy as np
import pytest
from scipy import special

from fentanet.simulate import nploops
from fentanet.simulate.phases import distribution, market

LOOPS = ((nploops.EXP, np.exp), (nploops.EXPM1, np.expm1), (nploops.LOG, np.log),
         (nploops.NDTRI, special.ndtri))


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 31, 1000, 4099])
def test_loops_give_the_ufuncs_numbers(n):
    rng = np.random.default_rng(n)
    x = np.concatenate([rng.normal(0.0, 30.0, n), rng.exponential(5.0, n), rng.random(n)])
    for loop, ufunc in LOOPS:
        for lo in (0, 1, 3):  # starts off a vector's alignment
            xs = x[lo:].copy()
            out = np.full_like(xs, 7.0)
            with np.errstate(all="ignore"):
                nploops.apply(loop, xs, out)
                want = ufunc(xs)
            assert out.tobytes() == want.tobytes()
            with np.errstate(all="ignore"):
                nploops.apply(loop, xs, xs)  # in place
            assert xs.tobytes() == want.tobytes()


def test_loops_by_hand():
    out = np.empty(3)
    nploops.apply(nploops.EXP, np.array([0.0, 1.0, -np.inf]), out)
    assert out.tolist() == [1.0, np.e, 0.0]
    nploops.apply(nploops.LOG, np.array([1.0, np.e ** 2, 0.5]), out)
    assert out[0] == 0.0 and out[1] == pytest.approx(2.0) and out[2] == np.log(0.5)


def test_market_update_logs_the_ratio_as_numpy():
    """The volatility's ratio logged in the kernel: what ``np.log`` gave the ratio the
    kernel returned before (``(S_ref + eps) / (S + eps)``)."""
    rng = np.random.default_rng(3)
    m = 257
    demand0 = rng.uniform(0.0, 5.0, m)
    demand0[::17] = 0.0
    target = rng.uniform(0.2, 3.0, m)
    target[::13] = np.inf
    supply_prev = rng.uniform(0.0, 2.0, m)
    supply_prev[::5] = 0.0
    consumed = rng.uniform(0.0, 2.0, m)
    consumed[::7] = 0.0
    demand = rng.uniform(0.0, 3.0, m)
    price = rng.uniform(0.5, 2.0, m)
    ratio, prev = market._update(target, demand0, 0.5, 5.0, 0.1, price.copy(),
                                 supply_prev, consumed, 0.2, demand, np.ones(m),
                                 nploops.LOG)[:2]
    ref = np.where(supply_prev > 0, supply_prev, consumed)
    want = np.log((ref + 1e-12) / (consumed + 1e-12))
    assert ratio.tobytes() == want.tobytes()
    assert prev.tobytes() == (ref + (consumed - ref) * 0.2).tobytes()


@pytest.mark.parametrize("noise", [0.0, 0.3])
def test_market_potency_is_the_numpy_composition(noise):
    """The potency in one call (:func:`market._potency`): what ``_spread_and_draws``,
    SciPy's ``ndtri``, ``_log_normal_exponent``, NumPy's ``exp`` and ``*= base`` gave."""
    rng = np.random.default_rng(5)
    m = 300
    v = rng.normal(0.0, 2.0, m)
    v[::11] = 0.0
    uid = rng.permutation(10 * m)
    markets = np.sort(rng.choice(10 * m, m, replace=False))
    key, step, base = np.uint64(0x1234_5678_9ABC_DEF0), 17, 1.37
    got_v = v.copy()
    got = market._potency(got_v, market.VOLATILITY_MAX, noise, uid, markets, key, step,
                          base, nploops.NDTRI, nploops.EXP)
    want_v = v.copy()
    sigma, spread, u = market._spread_and_draws(want_v, market.VOLATILITY_MAX, noise, uid,
                                                markets, key, step)
    if spread:
        want = np.exp(market._log_normal_exponent(sigma, special.ndtri(u)))
        want *= base
    else:
        want = np.full(m, base)
    assert spread == (noise > 0)
    assert got.tobytes() == want.tobytes()
    assert got_v.tobytes() == want_v.tobytes()  # the volatility clipped in place alike


@pytest.mark.parametrize("e", [2.0, 0.5, -1.0, -0.4, 1.0 / 0.7, -2.5])
def test_power_is_numpy_s(e):
    x = np.random.default_rng(1).uniform(0.0, 4.0, 1001)
    x[::50] = 0.0
    out = np.empty_like(x)
    with np.errstate(all="ignore"):
        nploops.power(nploops.POWER, x, e, out)
        want = x ** e
    assert out.tobytes() == want.tobytes()


def test_market_pressure_takes_numpy_s_power():
    """The price index's target in one call: what ``_pressure`` then ``**=`` gave."""
    rng = np.random.default_rng(2)
    m = 200
    demand_base, demand0, offered, offer0 = (rng.uniform(0.0, 3.0, m) for _ in range(4))
    offered[::9] = 0.0
    demand0[::23] = 0.0
    for inv_elasticity in (2.0, 1.0 / 0.3, 1.0 / 1.7):
        got = market._pressure(demand_base, demand0, offered, offer0, 0.02, inv_elasticity,
                               nploops.POWER)
        with np.errstate(all="ignore"):
            want = (demand_base / (demand0 * 0.02)) / (offered / (offer0 * 0.02))
            want **= inv_elasticity
        assert got.tobytes() == want.tobytes()


def test_distribution_demand_takes_numpy_s_power():
    """The markets' demand made in the phase's call: ``demand0 * users_ratio * dt`` times
    NumPy's ``price ** -elasticity``, as the phase computed it before the call."""
    from simkit import new_sim, states_at

    sim = new_sim("toy", 1.0, 4)
    for at in states_at(sim, "distribution", 6):
        s = copy.deepcopy(at)
        s.s.price[:] = np.random.default_rng(s.step).uniform(0.3, 3.0, s.s.n_markets)
        want = (s.s.demand0 * s.users_ratio * s.dt) * s.s.price ** (-s.p.market.elasticity)
        distribution.run(s)
        assert s.flows["demand"].tobytes() == want.tobytes()


def test_numpy_s_loops_are_in_use_here():
    """On this machine the kernels run NumPy's own loops (the reference series were made
    with them); the fallback is for a NumPy or Python whose ufunc objects it cannot read."""
    assert nploops.NUMPY_LOOPS and nploops.FALLBACK == ""


def test_own_loops_give_the_c_library_s_numbers():
    """The fallback's loops (:func:`nploops.own_loops`): NumPy's numbers within a rounding
    (NumPy's SIMD ``exp``, ``log`` and ``power`` differ from the C library's in the last
    bit of some values), the special values exactly, SciPy's ``ndtri`` exactly."""
    own = nploops.own_loops()
    gc.collect()  # the loops hold only addresses: their code must outlive this
    x = np.concatenate([np.linspace(-40.0, 40.0, 1001),
                        [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, 1e-300, -1.0, 709.7]])
    with np.errstate(all="ignore"):
        for name, ufunc in (("exp", np.exp), ("expm1", np.expm1), ("log", np.log)):
            out = np.empty_like(x)
            nploops.apply(own[name], x, out)
            np.testing.assert_allclose(out, ufunc(x), rtol=1e-15, atol=0)
        for e in (2.0, -1.0, -2.5, 1.0 / 0.7):
            out = np.empty_like(x)
            nploops.power(own["power"], x, e, out)
            np.testing.assert_allclose(out, x ** e, rtol=1e-15, atol=0)
    u = np.linspace(0.0, 1.0, 1001)
    out = np.empty_like(u)
    nploops.apply(own["ndtri"], u, out)
    assert out.tobytes() == special.ndtri(u).tobytes()


@pytest.mark.slow
def test_a_run_on_the_own_loops(tmp_path):
    """With ``FENTANET_OWN_LOOPS=1`` (what a NumPy the module cannot read gets) the toy runs
    on the module's own loops: every series finite, material and people accounted for as
    on NumPy's loops (the totals near, not equal: the last bits differ, then the draws)."""
    import json
    import os
    import subprocess
    import sys

    code = ("import json, numpy as np, fentanet\n"
            "from fentanet.simulate import nploops\n"
            "r = fentanet.simulate('toy', seed=3, years=1.0)\n"
            "num = r.series.select_dtypes('number')\n"
            "print(json.dumps({'numpy': nploops.NUMPY_LOOPS, 'why': nploops.FALLBACK,\n"
            "  'version': r.version,\n"
            "  'finite': bool(np.isfinite(num.to_numpy()).all()), 'rows': len(r.series),\n"
            "  'supply': r.summary['supply_kg_total'], 'deaths': r.summary['deaths_total']}))\n")
    import fentanet

    src = str(Path(fentanet.__file__).parents[1])  # this checkout's, from any folder
    env = {**os.environ, "FENTANET_OWN_LOOPS": "1",
           "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["numpy"] is False and "FENTANET_OWN_LOOPS" in got["why"]
    assert got["version"].endswith(f"numpy {np.__version__} (fentanet's own math loops)")
    assert got["finite"]

    ref = fentanet.simulate("toy", seed=3, years=1.0)
    assert got["rows"] == len(ref.series)
    assert got["supply"] == pytest.approx(float(ref.summary["supply_kg_total"]), rel=0.02)
    assert got["deaths"] == pytest.approx(float(ref.summary["deaths_total"]), rel=0.2)


@pytest.mark.parametrize("x", [np.arange(8.0)[::2], np.arange(4, dtype=np.float32),
                               np.arange(4), np.arange(8.0).reshape(2, 4)[:, :2]],
                         ids=["strided", "float32", "int64", "2d-view"])
def test_apply_and_power_refuse_what_the_loops_cannot_step_over(x):
    # the loops step 8 bytes from the first element: a strided view gave exp of the
    # wrong elements and a float32 or int array garbage, without a word (review s20)
    from numba.core.errors import TypingError

    with pytest.raises(TypingError, match="C-contiguous float64"):
        nploops.apply(nploops.EXP, x, np.empty(x.size))
    with pytest.raises(TypingError, match="C-contiguous float64"):
        nploops.power(nploops.POWER, np.ones(x.size), 2.0, x)


def test_apply_and_power_refuse_lengths_and_overlaps():
    x = np.arange(6.0)
    with pytest.raises(ValueError, match="differ in size"):
        nploops.apply(nploops.EXP, x, np.empty(3))  # wrote 6 values into 3
    with pytest.raises(ValueError, match="differ in size"):
        nploops.power(nploops.POWER, x, 2.0, np.empty(8))
    buf = np.arange(8.0)
    with pytest.raises(ValueError, match="overlaps"):
        nploops.apply(nploops.EXP, buf[:6], buf[1:7])
    nploops.apply(nploops.EXP, buf[:4], buf[4:])  # adjacent, not overlapping
    assert buf[4:].tolist() == np.exp(np.arange(4.0)).tolist()
    empty = np.empty(0)
    nploops.apply(nploops.EXP, empty, empty)
    nploops.power(nploops.POWER, empty, 2.0, np.empty(0))


def test_a_run_on_the_own_loops_is_recorded_as_another_engine(monkeypatch):
    # the own loops' numbers differ from NumPy's in the last bit, but a run recorded the
    # same NumPy version: a rerun on the other loops said nothing (review s20, final)
    from fentanet.ensemble.core import other_build
    from fentanet.simulate.run import version

    assert nploops.numpy_version() == np.__version__
    assert version().endswith(f"; numpy {np.__version__}")
    mine = nploops.numpy_version()
    monkeypatch.setattr(nploops, "NUMPY_LOOPS", False)
    own = nploops.numpy_version()
    assert own == f"{np.__version__} (fentanet's own math loops)"
    assert version().endswith(f"; numpy {own}")
    from fentanet.build import recorded_version

    assert other_build(recorded_version(), own) is None
    assert other_build(recorded_version(), mine) == f"NumPy {mine} (this is {own})"
