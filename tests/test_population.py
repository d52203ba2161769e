"""The population model: formulas by hand, invariants, dt, effects over seeds, CRN."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fentanet.errors import InputError
from fentanet.simulate.binomial import binomial_inv
from fentanet.simulate.population import (
    FLOWS,
    PopulationInputs,
    PopulationParams,
    PopulationState,
    init_population,
    parameter_table,
    population_rates,
    population_uniforms,
    run_population,
    steady_state,
    step_population,
    step_totals,
)
from fentanet.simulate.rng import Streams

WEEK = 1 / 52


def markets(*population: float, at_risk=None) -> pd.DataFrame:
    df = pd.DataFrame({"uid": np.arange(len(population)) * 7 + 3, "population": population})
    if at_risk is not None:
        df["at_risk"] = at_risk
    return df


def run(params, state, years, dt, seed, inputs=None):
    """Run ``years`` from ``state`` (updated in place); flows summed per market, person-years."""
    res = run_population(params, state, years=years, dt=dt, seed=seed, inputs=inputs)
    for f in dataclasses.fields(state):
        setattr(state, f.name, getattr(res.state, f.name))
    return res.totals, res.person_years


# --- formulas, by hand --------------------------------------------------------------


def test_fatal_share_and_rates_by_hand():
    p = PopulationParams()
    state = init_population(markets(1000.0, 1000.0), p)
    x = PopulationInputs.baseline(
        2,
        naloxone=[0.0, 0.5],
        potency=[1.0, 2.0],
        potency_volatility=[0.0, 1.0],
        availability=[1.0, 0.25],
        price_index=[1.0, 4.0],
        diversion=[1.0, 0.0],
        education=[0.0, 1.0],
        prevention=[0.0, 1.0],
        scam_awareness=[0.0, 1.0],
    )
    r = population_rates(state, p, x)
    # naloxone 0: p0 (1 - w k s) = 0.11 (1 - 0.6 * 0.34 * 0.9) = 0.089804
    assert r["fatal_share"][0] == pytest.approx(0.089804, rel=1e-12)
    # naloxone 0.5: k = 0.34 + 0.5 * (0.8 - 0.34) = 0.57; 0.11 (1 - 0.6 * 0.57 * 0.9)
    assert r["kit"][1] == pytest.approx(0.57)
    assert r["fatal_share"][1] == pytest.approx(0.11 * (1 - 0.6 * 0.57 * 0.9), rel=1e-12)
    # overdose: 0.235 * 2 (potency) * 0.25 ** 0.5 (availability) * (1 + 1) (volatility)
    assert r["overdose"][0] == pytest.approx(0.235)
    assert r["overdose"][1] == pytest.approx(0.235 * 2 * 0.5 * 2)
    # initiation: 0.0124 * 0.25 (availability) * 4 ** -0.5 (price) * 0.7 (no diversion)
    #   * 0.9 (education) * 0.8 (prevention) * (1 - 0.25 * 0.5) (scam awareness)
    assert r["initiation"][0] == pytest.approx(0.0124)
    want = 0.0124 * 0.25 * 0.5 * 0.7 * 0.9 * 0.8 * 0.875
    assert r["initiation"][1] == pytest.approx(want, rel=1e-12)
    # treatment entry: rate * (1 - T / K), K = 0.5 * 1000 places
    t = state.treatment[0]
    assert r["treatment_entry"][0] == pytest.approx(0.8 * (1 - t / 500))


def test_initial_state_is_the_status_quo_steady_state():
    p = PopulationParams()
    state = init_population(markets(3_000_000.0), p)
    assert state.at_risk[0] == 9_000_000
    share = state.treatment[0] / (state.treatment[0] + state.using[0])
    assert 0.20 < share < 0.24  # Jones et al. 2023: 22.3% received MOUD (NSDUH 2021)
    t, r = steady_state(np.array([3e6]), p)
    # hand check of the treatment balance e U (1 - T/K) = x T
    f = 0.11 * (1 - 0.6 * 0.34 * 0.9)
    x = 1.0 + 0.2 + (0.235 * f + 0.01) / 2.2
    assert 0.8 * 3e6 * (1 - t[0] / 1.5e6) == pytest.approx(x * t[0], rel=1e-12)
    assert (0.05 * 3e6 + 0.2 * t[0]) == pytest.approx(r[0] * (0.25 + 0.005), rel=1e-12)
    # at the status quo the number using is stationary within 1% a year; deaths ~70,000
    totals, _ = run(p, state, 1.0, WEEK, seed=2)
    assert abs(state.people_using[0] / 3e6 - 1) < 0.01
    assert 63_000 < totals["fatal"][0] < 77_000


def test_at_risk_column_and_rounding():
    state = init_population(markets(10.4, 0.0, at_risk=[100, 5]), PopulationParams())
    assert state.using.tolist() == [10, 0]
    assert state.at_risk.tolist() == [100, 5]
    assert state.treatment[1] == 0 and state.remission[1] == 0
    assert state.using.dtype == np.int64


# --- invariants ----------------------------------------------------------------------

_RANGES = {f.name: (0.0, 1.0) for f in dataclasses.fields(PopulationParams)}
_RANGES.update(
    {
        "treatment_mortality_ratio": (0.2, 10.0),
        "release_window_weeks": (0.1, 50.0),
        "release_overdose_multiplier": (0.0, 50.0),
        "overdose_rate": (0.0, 20.0),
        "treatment_entry_rate": (0.0, 50.0),
        "treatment_dropout_rate": (0.0, 20.0),
        "initiation_rate": (0.0, 5.0),
        "at_risk_per_user": (0.0, 10.0),
        "treatment_capacity": (0.0, 3.0),
        "relapse_rate": (0.0, 20.0),
    }
)


@st.composite
def params_st(draw):
    values = {n: draw(st.floats(lo, hi)) for n, (lo, hi) in _RANGES.items()}
    values["p_kit_max"] = max(values["p_kit_max"], values["p_kit"])
    return PopulationParams(**values)


@st.composite
def case_st(draw):
    m = draw(st.integers(1, 4))
    counts = st.lists(st.integers(0, 10**7), min_size=m, max_size=m)
    using = np.array(draw(counts), dtype=np.int64)
    share = np.array(draw(st.lists(st.floats(0, 1), min_size=m, max_size=m)))
    state = PopulationState(
        uid=np.array(
            draw(st.lists(st.integers(0, 2**40), min_size=m, max_size=m, unique=True)),
            dtype=np.int64,
        ),
        **{n: np.array(draw(counts), dtype=np.int64) for n in PopulationState.COUNTS},
        released=np.floor(share * using).astype(np.int64),
        capacity=np.array(draw(st.lists(st.floats(0, 2e7), min_size=m, max_size=m))),
    )
    state.using = using
    unit = st.lists(st.floats(0, 1), min_size=m, max_size=m)
    pos = st.lists(st.floats(0, 5), min_size=m, max_size=m)
    inputs = PopulationInputs(
        availability=np.array(draw(unit)),
        price_index=np.array(draw(pos)),
        potency=np.array(draw(pos)),
        potency_volatility=np.array(draw(pos)),
        diversion=np.array(draw(pos)),
        released=np.array(draw(st.lists(st.floats(0, 2e7), min_size=m, max_size=m))),
        **{
            k: np.array(draw(unit))
            for k in ("education", "prevention", "treatment", "naloxone", "scam_awareness")
        },
    )
    dt = draw(st.sampled_from([1 / 365, 1 / 52, 1 / 12, 0.5, 2.0]))
    return state, inputs, dt, draw(st.integers(0, 10**6)), draw(st.integers(0, 2**31))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=params_st(), case=case_st())
def test_people_are_conserved_and_nothing_goes_negative(params, case):
    state, inputs, dt, step, seed = case
    before = state.copy()
    total = state.total()
    flows = step_population(state, params, inputs, Streams(seed), step, dt)
    for name in PopulationState.COUNTS:
        assert (getattr(state, name) >= 0).all(), name
    assert (state.released >= 0).all() and (state.released <= state.using).all()
    for name, f in flows.items():
        assert (f >= 0).all(), name
    np.testing.assert_array_equal(state.total(), total)
    # every change is accounted for by the flows
    np.testing.assert_array_equal(before.at_risk - state.at_risk, flows["initiations"])
    np.testing.assert_array_equal(state.overdose_deaths - before.overdose_deaths, flows["fatal"])
    np.testing.assert_array_equal(state.deaths - before.deaths, flows["deaths"])
    np.testing.assert_array_equal(
        state.treatment - before.treatment,
        flows["treatment_entries"] - flows["treatment_exits"] - flows["deaths_in_treatment"],
    )
    np.testing.assert_array_equal(
        state.remission - before.remission,
        flows["remissions"] - flows["relapses"] - flows["deaths_in_remission"],
    )
    np.testing.assert_array_equal(
        state.people_using - before.people_using,
        flows["initiations"]
        + flows["relapses"]
        + (flows["treatment_exits"] - flows["treatment_completions"])
        - flows["treatment_entries"]
        - (flows["remissions"] - flows["treatment_completions"])
        - (flows["deaths"] - flows["deaths_in_treatment"] - flows["deaths_in_remission"]),
    )
    # the outcome split of overdoses is consistent
    assert (flows["fatal"] <= flows["overdoses"]).all()
    assert (flows["reversed"] + flows["fatal"] <= flows["overdoses"]).all()
    assert (flows["naloxone_given"] <= flows["overdoses"]).all()
    assert (flows["reversed"] <= flows["naloxone_given"]).all()
    assert (flows["fatal_in_treatment"] <= flows["deaths_in_treatment"]).all()
    # exits never exceed the compartment they leave
    assert (flows["treatment_exits"] + flows["deaths_in_treatment"] <= before.treatment).all()
    assert (flows["relapses"] <= before.remission).all()
    assert (flows["released_in"] <= before.using - before.released).all()
    # entries stop at the free places (or at none when over capacity)
    cap = np.floor(
        before.capacity
        * (1 + params.treatment_effort_gain * inputs.arrays(state.n_markets)["treatment"])
    )
    assert (flows["treatment_entries"] <= np.maximum(cap - before.treatment, 0)).all()



def _kernels(state, params, inputs, seed, step, dt):
    """(flows, state after) of the batched kernel and of the plain one it replaced
    (tests/population_plain.py), each on its own copy of ``state``."""
    from fentanet.simulate.population import _advance
    from population_plain import advance_plain

    got = []
    for kernel in (_advance, advance_plain):
        s = state.copy()
        out = np.empty((s.n_markets, len(FLOWS)), dtype=np.int64)
        totals = np.zeros(len(FLOWS), dtype=np.int64)
        args = [Streams(seed).prefix("population", step), s.uid, s.at_risk, s.using, s.released,
                s.treatment, s.remission, s.overdose_deaths, s.other_deaths, s.capacity,
                inputs.matrix(s.n_markets), params.vector, float(dt), out]
        kernel(*args, totals) if kernel is _advance else kernel(*args)
        if kernel is _advance:
            np.testing.assert_array_equal(totals, out.sum(axis=0))
        got.append((out, s))
    return got


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=params_st(), case=case_st())
def test_batched_kernel_draws_what_the_plain_kernel_draws(params, case):
    state, inputs, dt, step, seed = case
    (out, s), (want, s_want) = _kernels(state, params, inputs, seed, step, dt)
    np.testing.assert_array_equal(out, want)
    pd.testing.assert_frame_equal(s.to_frame(), s_want.to_frame())


def test_batched_kernel_follows_the_plain_kernel_over_a_year_of_many_markets():
    # 400 markets from 0 to 10^6 people using, releases, shortages and levers: every step's
    # flows and states equal
    rng = np.random.default_rng(5)
    m = 400
    p = PopulationParams()
    pop = np.round(10 ** rng.uniform(0, 6, m))
    pop[:7] = 0
    state = init_population(pd.DataFrame({"uid": rng.permutation(10**6)[:m], "population": pop}),
                            p)
    states = [state, state.copy()]
    for step in range(52):
        x = PopulationInputs.baseline(
            m, availability=rng.random(m), price_index=rng.uniform(0.5, 3, m),
            potency=rng.uniform(0.5, 3, m), potency_volatility=rng.random(m) * (step % 5 == 0),
            released=np.floor(rng.exponential(20, m) * (rng.random(m) < 0.3)),
            naloxone=step / 52, treatment=0.5 * (step > 20))
        (out, s0), _ = _kernels(states[0], p, x, 2, step, WEEK)
        _, (want, s1) = _kernels(states[1], p, x, 2, step, WEEK)
        np.testing.assert_array_equal(out, want)
        pd.testing.assert_frame_equal(s0.to_frame(), s1.to_frame())
        states = [s0, s1]
    assert states[0].released.sum() > 0 and states[0].overdose_deaths.sum() > 0

def test_extreme_hazards_empty_compartments_but_never_overdraw():
    p = PopulationParams(
        overdose_rate=1e6,
        p0=1.0,
        p_kit=0.0,
        p_kit_max=0.0,
        relapse_rate=1e6,
        treatment_dropout_rate=1e6,
        initiation_rate=1e6,
    )
    state = init_population(markets(500.0, 7.0), p)
    total = state.total()
    flows = step_population(state, p, PopulationInputs.baseline(2), Streams(1), 0, 1.0)
    np.testing.assert_array_equal(state.total(), total)
    assert (state.at_risk == 0).all() and (state.treatment == 0).all()
    assert (state.remission == 0).all()
    assert (flows["fatal"] >= 0).all()


# --- reproducibility and common random numbers ---------------------------------------


def test_deterministic_per_seed_and_different_across_seeds():
    p = PopulationParams()
    outs = []
    for seed in (5, 5, 6):
        state = init_population(markets(20_000.0, 3000.0), p)
        totals, _ = run(p, state, 0.5, WEEK, seed)
        outs.append(np.concatenate([totals[k] for k in FLOWS]))
    assert np.array_equal(outs[0], outs[1])
    assert not np.array_equal(outs[0], outs[2])


def test_changing_one_market_leaves_the_others_draws_alone():
    p = PopulationParams()
    base = PopulationInputs.baseline(3)
    changed = PopulationInputs.baseline(
        3, naloxone=[1.0, 0.0, 0.0], potency=[3.0, 1.0, 1.0], released=[500.0, 0.0, 0.0]
    )
    results = []
    for inputs in (base, changed):
        state = init_population(markets(20_000.0, 20_000.0, 5000.0), p)
        totals, _ = run(p, state, 0.5, WEEK, 9, inputs=inputs)
        results.append((totals, state))
    (t0, s0), (t1, s1) = results
    for k in FLOWS:
        np.testing.assert_array_equal(t0[k][1:], t1[k][1:])
    assert t0["fatal"][0] != t1["fatal"][0]
    np.testing.assert_array_equal(s0.to_frame().iloc[1:], s1.to_frame().iloc[1:])


def test_dropping_a_market_leaves_the_others_draws_alone():
    p = PopulationParams()
    full = init_population(markets(20_000.0, 5000.0, 8000.0), p)
    part = init_population(markets(20_000.0, 5000.0, 8000.0).iloc[[0, 2]], p)
    tf, _ = run(p, full, 0.25, WEEK, 4)
    tp, _ = run(p, part, 0.25, WEEK, 4)
    for k in FLOWS:
        np.testing.assert_array_equal(tf[k][[0, 2]], tp[k])


# --- time step, effects over seeds, effect sizes -------------------------------------


@pytest.mark.slow
def test_halving_the_step_changes_annual_outputs_by_under_5_percent():
    p = PopulationParams()
    rel = PopulationInputs.baseline(1, released=200.0)
    keys = ("fatal", "deaths", "initiations", "treatment_entries", "remissions", "overdoses")
    means = {}
    for dt in (WEEK, WEEK / 2):
        acc = {k: [] for k in keys}
        for seed in range(5):
            state = init_population(markets(200_000.0), p)
            # the same releases per year whatever the step
            inputs = PopulationInputs.baseline(1, released=rel.released * dt / WEEK)
            totals, _ = run(p, state, 2.0, dt, seed, inputs=inputs)
            for k in keys:
                acc[k].append(totals[k].sum() / 2.0)
        means[dt] = {k: np.mean(v) for k, v in acc.items()}
    for k in keys:
        a, b = means[WEEK][k], means[WEEK / 2][k]
        assert abs(b / a - 1) < 0.05, (k, a, b)


def _differences(p, inputs_a, inputs_b, key, seeds=30, population=30_000.0, years=1.0):
    diffs = []
    for seed in range(seeds):
        out = []
        for inputs in (inputs_a, inputs_b):
            state = init_population(markets(population), p)
            totals, _ = run(p, state, years, WEEK, seed, inputs=inputs)
            out.append(totals[key].sum())
        diffs.append(out[0] - out[1])
    d = np.array(diffs, dtype=float)
    half = 1.96 * d.std(ddof=1) / np.sqrt(d.size)
    return d.mean(), d.mean() - half, d.mean() + half


def test_naloxone_lowers_fatal_overdoses_with_an_interval_excluding_zero():
    p = PopulationParams()
    mean, lo, _ = _differences(
        p, PopulationInputs.baseline(1), PopulationInputs.baseline(1, naloxone=1.0), "fatal"
    )
    assert lo > 0
    # expected: 30,000 * 0.235 * (0.089804 - 0.11 (1 - 0.6 * 0.8 * 0.9)) * (U + T/2.2)/U
    assert 100 < mean < 300


def test_treatment_lowers_deaths_with_an_interval_excluding_zero():
    p = PopulationParams()
    _, lo, _ = _differences(
        p,
        PopulationInputs.baseline(1),
        PopulationInputs.baseline(1, treatment=1.0),
        "deaths",
        years=2.0,
    )
    assert lo > 0


def test_release_from_custody_raises_fatal_overdoses_by_the_multiplier():
    # everyone using is moved into the post-release window and (with a very long window)
    # stays there: their fatal overdose rate is the multiplier times the others'
    p = PopulationParams(release_window_weeks=1e9, treatment_entry_rate=0.0, remission_rate=0.0)
    fatal = {}
    for label, released in (("base", 0.0), ("released", 1e9)):
        state = init_population(markets(300_000.0), p)
        totals, time_in = run(
            p, state, 1.0, WEEK, 1, inputs=PopulationInputs.baseline(1, released=released)
        )
        fatal[label] = (totals["fatal"] - totals["fatal_in_treatment"])[0] / time_in["using"][0]
    assert fatal["released"] / fatal["base"] == pytest.approx(8.0, rel=0.05)


@pytest.mark.slow
def test_sordo_rate_ratio_holds_for_death_rates_in_and_out_of_treatment():
    p = PopulationParams()
    state = init_population(markets(2_000_000.0), p)
    totals, time_in = run(p, state, 3.0, WEEK, 3)
    deaths_in = totals["deaths_in_treatment"][0]
    deaths_out = totals["deaths"][0] - deaths_in - totals["deaths_in_remission"][0]
    rate_out = deaths_out / time_in["ordinary"][0]
    rate_in = deaths_in / time_in["treatment"][0]
    assert rate_out / rate_in == pytest.approx(2.20, rel=0.04)
    fatal_out = (totals["fatal"] - totals["fatal_in_treatment"])[0] / time_in["using"][0]
    fatal_in = totals["fatal_in_treatment"][0] / time_in["treatment"][0]
    assert fatal_out / fatal_in == pytest.approx(2.20, rel=0.05)


# --- bad input -----------------------------------------------------------------------


def test_bad_parameters_name_the_field():
    with pytest.raises(InputError, match="p0"):
        PopulationParams(p0=1.5)
    with pytest.raises(InputError, match="overdose_rate"):
        PopulationParams(overdose_rate=-1)
    with pytest.raises(InputError, match="p_kit_max"):
        PopulationParams(p_kit=0.5, p_kit_max=0.4)
    with pytest.raises(InputError, match=r"params\.population\.overdose_rat"):
        PopulationParams.from_mapping({"overdose_rat": 0.2})
    with pytest.raises(InputError, match=r"params\.population\.relapse_rate"):
        PopulationParams.from_mapping({"relapse_rate": "often"})
    assert PopulationParams.from_mapping({"p0": 0.2}).p0 == 0.2


def test_bad_markets_and_inputs_name_the_field():
    p = PopulationParams()
    with pytest.raises(InputError, match="population"):
        init_population(pd.DataFrame({"uid": [1]}), p)
    with pytest.raises(InputError, match=r"'population'.*-5"):
        init_population(pd.DataFrame({"uid": [1], "population": [-5.0]}), p)
    with pytest.raises(InputError, match="uid"):
        init_population(pd.DataFrame({"uid": [1, 1], "population": [5.0, 6.0]}), p)
    state = init_population(markets(100.0, 100.0), p)
    for bad, field in (
        (PopulationInputs(naloxone=np.array([0.5, 1.5])), "naloxone"),
        (PopulationInputs(potency=np.array([1.0, np.nan])), "potency"),
        (PopulationInputs(availability=np.ones(3)), "availability"),
        (PopulationInputs(released=-1.0), "released"),
    ):
        with pytest.raises(InputError, match=f"inputs.{field}"):
            step_population(state, p, bad, Streams(0), 0, WEEK)
    with pytest.raises(InputError, match="dt"):
        step_population(state, p, PopulationInputs(), Streams(0), 0, 0.0)


def test_step_totals_is_step_population_with_the_phase_s_inputs():
    """The phase's entry: six arrays per market and five efforts give the flows, their
    sums and the states step_population gives (bit for bit); bad inputs raise its errors."""
    rng = np.random.default_rng(11)
    m = 50
    p = PopulationParams()
    pop = np.round(10 ** rng.uniform(0, 5, m))
    states = [init_population(markets(*pop), p) for _ in range(2)]
    for step in range(20):
        arrays = (rng.random(m), rng.uniform(0.5, 3, m), rng.uniform(0.5, 3, m),
                  rng.random(m) * (step % 3 == 0), rng.random(m),
                  np.floor(rng.exponential(20, m) * (rng.random(m) < 0.3)))
        efforts = (0.1 * (step % 2), 0.0, step / 20, 0.3, 1.0)
        x = PopulationInputs(**dict(zip(("availability", "price_index", "potency",
                                         "potency_volatility", "diversion", "released",
                                         "education", "prevention", "treatment", "naloxone",
                                         "scam_awareness"), (*arrays, *efforts), strict=True)))
        want = step_population(states[0], p, x, Streams(4), step, WEEK)
        totals = np.full(len(FLOWS), 7, dtype=np.int64)
        out = step_totals(states[1], p, arrays, efforts, Streams(4), step, WEEK, totals)
        for k, name in enumerate(FLOWS):
            np.testing.assert_array_equal(out[:, k], want[name])
        np.testing.assert_array_equal(totals, 7 + out.sum(axis=0))
        pd.testing.assert_frame_equal(states[0].to_frame(), states[1].to_frame())
    ok = (np.ones(m), np.ones(m), np.ones(m), np.zeros(m), np.ones(m), np.zeros(m))
    for i, bad, field in ((2, np.full(m, np.nan), "potency"), (0, np.ones(m + 1), "availability"),
                          (5, np.full(m, -1.0), "released")):
        arrays = (*ok[:i], bad, *ok[i + 1:])
        with pytest.raises(InputError, match=f"inputs.{field}"):
            step_totals(states[0], p, arrays, (0.0,) * 5, Streams(0), 0, WEEK,
                        np.zeros(len(FLOWS), dtype=np.int64))
    # a scalar for a market's value (PopulationInputs broadcasts it): the same flows as
    # the array, and refused naming its field, not a compiler's typing error
    flows = [step_totals(init_population(markets(*pop), p), p, x, (0.0,) * 5, Streams(3), 0,
                         WEEK, np.zeros(len(FLOWS), dtype=np.int64))
             for x in (ok, (*ok[:2], 1.0, *ok[3:]))]
    np.testing.assert_array_equal(flows[1], flows[0])
    with pytest.raises(InputError, match=r"inputs\.potency"):
        step_totals(states[0], p, (*ok[:2], np.nan, *ok[3:]), (0.0,) * 5, Streams(0), 0,
                    WEEK, np.zeros(len(FLOWS), dtype=np.int64))
    with pytest.raises(InputError, match=r"inputs\.naloxone"):
        step_totals(states[0], p, ok, (0.0, 0.0, 0.0, 1.5, 0.0), Streams(0), 0, WEEK,
                    np.zeros(len(FLOWS), dtype=np.int64))
    with pytest.raises(InputError, match="dt"):
        step_totals(states[0], p, ok, (0.0,) * 5, Streams(0), 0, 0.0,
                    np.zeros(len(FLOWS), dtype=np.int64))


def test_every_parameter_is_documented():
    table = parameter_table()
    assert len(table) == len(dataclasses.fields(PopulationParams))
    assert (table["unit"].str.len() > 0).all()
    assert (table["source"].str.len() > 0).all()
    assert (table["meaning"].str.len() > 10).all()


def test_run_population_series_add_up_and_inputs_may_change_over_time():
    p = PopulationParams()
    mk = markets(200_000.0, 50_000.0)

    def inputs(step, time):
        return PopulationInputs.baseline(2, naloxone=1.0 if step >= 26 else 0.0)

    res = run_population(p, mk, years=1.0, dt=WEEK, seed=3, inputs=inputs)
    base = run_population(p, mk, years=1.0, dt=WEEK, seed=3)
    s, b = res.series, base.series
    assert len(s) == 52 and s["time"].iloc[-1] == pytest.approx(1.0)
    assert s["fatal"].sum() == res.totals["fatal"].sum()
    assert s["cumulative_deaths"].iloc[-1] == res.state.deaths.sum()
    assert s["deaths"].cumsum().iloc[-1] == res.state.deaths.sum()
    # identical until the intervention starts (common random numbers), fewer deaths after
    assert s.iloc[:26].equals(b.iloc[:26])
    assert s["fatal"].iloc[26:].sum() < b["fatal"].iloc[26:].sum()


def test_draws_are_the_documented_keyed_uniforms():
    # initiation is draw 0: Binomial(at_risk, 1 - exp(-h dt)) inverted at the keyed uniform
    p = PopulationParams()
    state = init_population(markets(40_000.0, 900.0, 1e6), p)
    x = PopulationInputs.baseline(3, availability=[1.0, 0.5, 0.9])
    r = population_rates(state, p, x)
    u = population_uniforms(state.uid, Streams(8), 17)
    want = binomial_inv(u[:, 0], state.at_risk, -np.expm1(-r["initiation"] * WEEK))
    flows = step_population(state, p, x, Streams(8), 17, WEEK)
    np.testing.assert_array_equal(flows["initiations"], want)
    assert (want > 0).all()
    np.testing.assert_array_equal(
        u,
        Streams(8).uniform(
            "population",
            17,
            (state.uid.astype(np.uint64)[:, None] << np.uint64(5)) | np.arange(22, dtype=np.uint64),
        ),
    )


def test_the_odd_section_lists_every_parameter_as_the_code_does():
    from pathlib import Path

    from fentanet.simulate.population import parameter_markdown

    doc = Path(__file__).resolve().parents[1] / "docs" / "model-population.md"
    assert parameter_markdown() in doc.read_text(encoding="utf-8")
