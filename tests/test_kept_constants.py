"""Numbers the phases keep on the run between steps (made again when what they are made
from changes) against the formulas computed afresh: a stale number would be a wrong
result, so each is checked after its inputs change."""

from __future__ import annotations

import numpy as np
import pytest

from fentanet.simulate.loop import Sim
from fentanet.simulate.phases import (
    enforcement,
    market,
    money,
    population,
    procurement,
    shipping,
)
from fentanet.simulate.run import build_network, prepare


@pytest.fixture(scope="module")
def sim():
    sc = prepare("toy", years=1)
    return Sim(sc, build_network(sc), 3)


def test_refused_shares_follow_the_precursor_control_effort(sim):
    p = sim.p.supply
    for pc in (0.0, 0.0, 1.5, 1.5, 0.25, 0.0, 3.0):
        want = (1.0 - (1.0 - p.legit_compliance) * np.exp(-p.screening_gain * pc),
                1.0 - (1.0 - p.marketplace_screening) * np.exp(-p.screening_gain * pc))
        assert procurement._refusals(sim, pc) == (float(want[0]), float(want[1]))
    # other supply parameters: made again
    old = sim.p
    sim.p = old.model_copy(update={"supply": p.model_copy(update={"legit_compliance": 0.5})})
    try:
        got = procurement._refusals(sim, 3.0)
        assert got[0] == float(1.0 - 0.5 * np.exp(-p.screening_gain * 3.0))
    finally:
        sim.p = old


def test_aml_share_follows_the_effort_and_parameters(sim):
    p = sim.p.money
    for x in (0.0, 0.0, 0.5, 0.5, 2.0, 0.0):
        sim.efforts.aml = x
        assert money._aml_seized(sim) == float(1.0 - np.exp(-p.aml_share * x))
    old = sim.p
    sim.p = old.model_copy(update={"money": p.model_copy(update={"aml_share": 0.25})})
    try:
        assert money._aml_seized(sim) == float(1.0 - np.exp(-0.25 * 0.0))
        sim.efforts.aml = 2.0
        assert money._aml_seized(sim) == float(1.0 - np.exp(-0.25 * 2.0))
    finally:
        sim.p = old
        sim.efforts.aml = 0.0


def test_diversion_factor_follows_take_back_oversight_and_parameters(sim):
    e, ph = sim.efforts, sim.p.public_health
    old = (e.takeback, e.oversight)
    try:
        for tb, ov in ((0.0, 0.0), (0.0, 0.0), (0.5, 0.0), (0.5, 2.0), (1.0, 2.0), (0.0, 0.0)):
            e.takeback, e.oversight = tb, ov
            want = (1.0 - ph.takeback_effect * tb) * np.exp(-ph.oversight_effect * ov)
            assert population._diversion_factor(sim) == max(want, 0.0)
        # other public-health parameters: made again
        p = sim.p
        sim.p = p.model_copy(update={"public_health": ph.model_copy(update={
            "takeback_effect": 0.9, "oversight_effect": 0.1})})
        e.takeback, e.oversight = 0.5, 2.0
        assert population._diversion_factor(sim) == (1.0 - 0.45) * np.exp(-0.2)
    finally:
        sim.p = p
        e.takeback, e.oversight = old


def test_market_constants_follow_demand_and_parameters(sim):
    s, p = sim.s, sim.p.market
    g, g_v, w, inv, xs, ys = market._rates(sim)
    assert g == 1.0 - np.exp(-sim.dt / p.price_memory_years)
    assert g_v == 1.0 - np.exp(-sim.dt / p.volatility_memory_years)
    assert inv == 1.0 / p.elasticity
    np.testing.assert_array_equal(w, s.demand0 / max(s.demand0.sum(), 1e-300))
    for t in (-1.0, 0.0, 0.7, 3.3, 50.0):
        assert market._trend(xs, ys, t) == market.trend(p.potency_trend, t)
    # new base demand: new weights
    old_demand, old_p = s.demand0, sim.p
    s.demand0 = old_demand * np.linspace(1.0, 3.0, old_demand.size)
    try:
        w2 = market._rates(sim)[2]
        np.testing.assert_array_equal(w2, s.demand0 / s.demand0.sum())
        # new market parameters: new elasticity and trend
        trend = [(0.0, 1.0), (2.0, 4.0), (1.0, 0.5)]
        sim.p = old_p.model_copy(update={"market": p.model_copy(update={
            "elasticity": 0.25, "potency_trend": trend})})
        _, _, _, inv2, xs2, ys2 = market._rates(sim)
        assert inv2 == 4.0
        for t in (-1.0, 0.5, 1.5, 9.0):
            assert market._trend(xs2, ys2, t) == market.trend(trend, t)
    finally:
        s.demand0, sim.p = old_demand, old_p
        market._rates(sim)


def test_support_powers_follow_the_anti_corruption_effort_and_stages(sim):
    p = sim.p.routes
    for e, n_p, n_f in ((0.0, 3, 2), (0.0, 3, 2), (1.2, 3, 2), (1.2, 40, 2), (0.0, 40, 70)):
        sim.efforts.anti_corruption = e
        p_pow, c_pow = shipping._support_powers(sim, n_p, n_f)
        base = 1.0 - p.protection_per_official * np.exp(-e)
        assert p_pow.size > n_p and c_pow.size > n_f
        np.testing.assert_array_equal(p_pow[: n_p + 1], base ** np.arange(n_p + 1))
        np.testing.assert_array_equal(c_pow[: n_f + 1],
                                      (1.0 - p.cover_per_business) ** np.arange(n_f + 1))
    sim.efforts.anti_corruption = 0.0


def test_officials_powers_follow_the_anti_corruption_effort_parameters_and_stage(sim):
    """Enforcement's kept table of (1 - x) ** officials: made again for a new effort, new
    enforcement parameters or a larger stage; the protection read from it is NumPy's."""
    old = sim.p
    try:
        for e, n, x_per in ((0.0, 3, None), (0.0, 3, None), (1.2, 3, None), (1.2, 40, None),
                            (1.2, 40, 0.05), (0.0, 70, 0.05)):
            if x_per is not None and sim.p.enforcement.protection_per_official != x_per:
                sim.p = old.model_copy(update={"enforcement": old.enforcement.model_copy(
                    update={"protection_per_official": x_per})})
            sim.efforts.anti_corruption = e
            powers = enforcement._officials_powers(sim, n)
            x = sim.p.enforcement.protection_per_official * np.exp(-e)
            assert powers.size > n
            counts = np.arange(n + 1)
            np.testing.assert_array_equal(powers[: n + 1], (1.0 - x) ** counts)
            link_alive = np.ones(n, dtype=bool)
            got = enforcement._protection(np.arange(n), np.zeros(n, dtype=np.int64),
                                          np.zeros(n, dtype=np.int64), 1, link_alive,
                                          np.ones(1, dtype=bool), powers)
            assert got.tobytes() == (1.0 - (1.0 - x) ** np.array([n])).tobytes()
    finally:
        sim.p = old
        sim.efforts.anti_corruption = 0.0


def test_volatility_clip_and_spread_are_numpys():
    """The compiled clip of the log shortfall and the potency spread against NumPy's clip,
    product and test, bit for bit (NaN, infinities, zeros of both signs, the bounds)."""
    rng = np.random.default_rng(5)
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, market.VOLATILITY_MAX,
                        np.nextafter(market.VOLATILITY_MAX, 10), 5e-324, -5e-324, 1.0])
    for _ in range(200):
        v = np.concatenate([rng.normal(0, 3, int(rng.integers(0, 20))),
                            rng.choice(special, int(rng.integers(0, 6)))])
        rng.shuffle(v)
        noise = float(rng.choice([0.0, 0.5, 1e-300, 2.0]))
        want = np.clip(v, 0.0, market.VOLATILITY_MAX)
        got = v.copy()
        sigma, spread = market._volatility(got, market.VOLATILITY_MAX, noise)
        np.testing.assert_array_equal(got.view(np.uint64), want.view(np.uint64))
        np.testing.assert_array_equal(sigma.view(np.uint64), (noise * want).view(np.uint64))
        assert spread == bool((noise * want > 0).any())


def test_potency_draws_are_the_streams_uniforms(sim):
    """The markets' potency uniforms drawn in the clip's call (``_spread_and_draws``, from
    the stream's key) are ``Streams.uniform("market.potency", step,
    uid[markets])``, bit for bit, at steps of either sign; none without a spread, and the
    clip and spread those of ``_volatility``."""
    s = sim.s
    rng = np.random.default_rng(11)
    for step in (0, 1, 7, 519, -3, 2**40):
        v = rng.normal(0, 2, s.n_markets)
        v[0] = 1.5  # a shortfall: a spread with noise
        for noise in (0.0, 0.4):
            got_v, want_v = v.copy(), v.copy()
            sigma, spread, u = market._spread_and_draws(
                got_v, market.VOLATILITY_MAX, noise, s.actors.uid, s.markets,
                sim.streams.key("market.potency"), step)
            want_sigma, want_spread = market._volatility(want_v, market.VOLATILITY_MAX, noise)
            assert spread == want_spread and spread == (noise > 0)
            np.testing.assert_array_equal(got_v.view(np.uint64), want_v.view(np.uint64))
            np.testing.assert_array_equal(sigma.view(np.uint64), want_sigma.view(np.uint64))
            if not spread:
                assert u.size == 0
                continue
            want = sim.streams.uniform("market.potency", step, s.actors.uid[s.markets])
            np.testing.assert_array_equal(u.view(np.uint64), want.view(np.uint64))


def test_log_normal_exponent_is_numpys():
    """The compiled ``sigma * z - 0.5 * sigma**2`` against NumPy's, bit for bit (NaN,
    infinities, zeros of both signs, subnormals)."""
    rng = np.random.default_rng(8)
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 5e-324, -5e-324, 1e300, -1e-160])
    for _ in range(200):
        n = int(rng.integers(0, 30))
        sigma, z = (np.where(rng.random(n) < 0.2, rng.choice(special, n), rng.normal(0, 2, n))
                    for _ in range(2))
        with np.errstate(all="ignore"):  # inf times 0
            want = sigma * z - 0.5 * sigma**2
        got = market._log_normal_exponent(sigma, z)
        np.testing.assert_array_equal(got.view(np.uint64), want.view(np.uint64))
