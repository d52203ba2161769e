"""Runs anywhere in the scenario schema's valid space finish with series that keep the
model's invariants, or are refused up front naming the field (the fuzzing of session 21:
/work/notes/s21/fuzz). Each test here failed before its fix."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fentanet
from fentanet.scenarios import load
from fentanet.simulate.params import INTERVENTION_KINDS, PUBLIC_HEALTH_KINDS
from fentanet.simulate.scenario import OPERATIONS


def _run(overrides: dict, *, years: float = 0.1, dt=None, seed: int = 1, interventions=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fentanet.simulate(load("toy").override(overrides), seed=seed, years=years,
                                 dt=dt, interventions=interventions)


@pytest.mark.parametrize("rate", [1e6, 1e300])
def test_entrants_of_a_kind_in_a_step_are_at_most_the_initial_labs(rate):
    """The toy has 9 labs: at most 9 labs and 9 suppliers enter in a step. Entry at 1e6 per
    unit of price drew some 3,400 a week (126,000 in a half-year step, a run that did not
    finish); at 1e300 NumPy's Poisson raised 'lam value too large'."""
    s = _run({"params.adaptation.entry_rate": rate, "params.adaptation.entry_threshold": 1e-6,
              "params.adaptation.exit": False}).series
    assert s["entrants"].tolist() == [18.0] * 5


@pytest.mark.parametrize(("param", "field", "what"), [
    ("at_risk_per_user", "params.population.at_risk_per_user", "people at risk"),
    ("remission_rate", "params.population", "people in remission"),
    ("treatment_capacity", "params.population", "people in treatment"),
])
def test_a_population_parameter_starting_a_market_beyond_1e15_people_is_refused(
        param, field, what):
    """1e300 overflowed the int64 counts: negative people at risk or in remission, a run
    that went on (fuzzing, session 21). Treatment's steady state at capacity 1e300 needs no
    one leaving treatment."""
    over = {f"params.population.{param}": 1e300}
    if param == "treatment_capacity":
        over["params.population"] = {param: 1e300, "treatment_dropout_rate": 0.0,
                                     "treatment_completion_rate": 0.0, "overdose_rate": 0.0,
                                     "other_mortality_using": 0.0}
        del over[f"params.population.{param}"]
    with pytest.raises(fentanet.InputError, match=f"{what} in market mkt-0001; expected at most "
                       "1e\\+15") as err:
        _run(over)
    assert err.value.field == field


def test_a_population_at_1e15_people_per_market_runs():
    s = _run({"params.population.at_risk_per_user": 1e15 / 1500 / 3}).series
    assert (s["initiations"] > 0).all()


@pytest.mark.parametrize(("elasticity", "price_min"), [(1e9, 0.5), (1.5, 1e-300)])
def test_demand_at_the_lowest_price_beyond_1e12_times_the_base_is_refused(elasticity,
                                                                         price_min):
    """Elasticity 1e9 made a price index of 0.89 ask for infinite kg: demand_kg NaN in the
    series once most people using had died (overdose_rate 1e6); price_min 1e-300 overflowed
    at elasticity 1.5 (fuzzing, session 21)."""
    with pytest.raises(fentanet.InputError, match="expected at most 1e\\+12") as err:
        load("toy").override({"params.market.elasticity": elasticity,
                              "params.market.price_min": price_min})
    assert err.value.field == "params.market"
    assert "price_min ** -elasticity = inf" in str(err.value)


def test_demand_stays_finite_at_the_largest_elasticity_allowed():
    s = _run({"params.market.elasticity": 39.8, "params.population.overdose_rate": 1e6},
             years=0.3).series
    assert s["price_index"].min() < 0.9 and s["demand_kg"].max() < 1e12
    assert s.select_dtypes("number").notna().all().all()


@pytest.mark.parametrize("name", ["stock_cover_years", "precursor_cover_years"])
def test_a_stock_cover_beyond_100_years_is_refused_and_100_keeps_the_balance(name):
    """A stock cover of 1e6 years started the holders with so much product that the
    precursor balance, read beside it, broke 1e-9 (4e-9; 1e9 years: 4e-6); 1e300 overflowed
    the stocks (fuzzing, session 21)."""
    with pytest.raises(fentanet.InputError, match="less than or equal to 100") as err:
        load("toy").override({f"params.supply.{name}": 1e6})
    assert err.value.field == f"params.supply.{name}"
    s = _run({f"params.supply.{name}": 100.0}).series
    assert s["balance_error"].max() < 1e-9


def test_a_population_parameter_in_exponent_notation_without_a_dot_is_a_number(tmp_path):
    """YAML 1.1 reads 1e-1 (no dot) as text; every other parameter took it as pydantic
    does, the population model's were refused: "expected a finite number, got '1e-1'" from
    a scenario file or --set params.population.overdose_rate=1e-1 (fuzzing, session 21)."""
    from fentanet.cli import main
    from fentanet.simulate.scenario import read

    path = tmp_path / "s.yaml"
    path.write_text("name: t\nnetwork: {generate: {actors: 100}}\nparams:\n"
                    "  market: {retail_usd_per_kg: 1e6}\n"
                    "  population: {overdose_rate: 1e-1, p0: 2e-1}\n")
    sc = read(path)
    assert sc.params.population == {"overdose_rate": 0.1, "p0": 0.2}
    assert sc.params.market.retail_usd_per_kg == 1e6
    assert load("toy").override({"params.population.p0": "1e-1"}).params.population == {
        "p0": 0.1}
    with pytest.raises(fentanet.InputError, match="expected a finite number, got 'lots'"):
        load("toy").override({"params.population.p0": "lots"})
    assert main(["simulate", "toy", "--years", "0.05", "--set",
                 "params.population.overdose_rate=1e-1", "--store", str(tmp_path / "st"),
                 "--scheduler", "serial"]) == 0


@pytest.mark.parametrize(("path", "value", "field"), [
    ("params.money.initial_cash_years", 1e300, "params.money.initial_cash_years"),
    ("params.market.retail_usd_per_kg", 1e13, "params.market.retail_usd_per_kg"),
    ("params.supply.precursor_usd_per_kg", 1e13, "params.supply.precursor_usd_per_kg"),
    ("params.market.price_max", 1e7, "params.market.price_max"),
    ("params.money.upkeep_usd_per_year.lab", 1e13, "params.money.upkeep_usd_per_year"),
])
def test_money_that_would_overflow_is_refused(path, value, field):
    """initial_cash_years 1e300 with retail_usd_per_kg 1.5e8 made the cash inf (fuzzing,
    session 21); the bounds keep cash and revenue finite."""
    with pytest.raises(fentanet.InputError, match=r"less than or equal to|at most") as err:
        load("toy").override({path: value})
    assert err.value.field == field


def test_money_at_its_bounds_stays_finite():
    s = _run({"params.money.initial_cash_years": 100.0,
              "params.market.retail_usd_per_kg": 1e12, "params.market.price_max": 1e6,
              "params.market.elasticity": 0.05}).series
    assert s.select_dtypes("number").apply(lambda c: c.abs().max()).max() < 1e300


# ------------------------------------------------------------------ the property test
EXTREMES = (
    ("params.market.elasticity", (0.01, 0.5, 39.0)),
    ("params.market.price_min", (1e-3, 1.0)),
    ("params.market.price_max", (1.0, 1e6)),
    ("params.market.price_memory_years", (1e-9, 100.0)),
    ("params.market.potency_noise", (0.0, 1e6)),
    ("params.market.potency_trend", ([[0.0, 0.0]], [[0.0, 1.0], [0.1, 1e6]])),
    ("params.market.wholesale_share", ({"dealer": 1.0}, {"lab": 0.0})),
    ("params.supply.stock_cover_years", (0.0, 100.0)),
    ("params.supply.precursor_cover_years", (0.0, 100.0)),
    ("params.supply.legit_compliance", (0.0, 1.0)),
    ("params.supply.tip_rate", (0.0, 1e300)),
    ("params.routes.inspection", ({"land": 1e6, "postal": 1e300}, {"sea": 0.0})),
    ("params.routes.shipment_kg", ({"land": 1e-300}, {"air": 1e300})),
    ("params.routes.displacement_beta", (0.0, 1e300)),
    ("params.money.initial_cash_years", (0.0, 100.0)),
    ("params.money.upkeep_usd_per_year", ({"lab": 1e12}, {"dealer": 0.0})),
    ("params.money.aml_share", (0.0, 1e300)),
    ("params.enforcement.detection_rate", ({"dealer": 1e300}, {"lab": 0.0})),
    ("params.enforcement.min_activity", (1e-300, 1.0)),
    ("params.enforcement.activity_exponent", (0.0, 1e3)),
    ("params.enforcement.jail_years", (0.0, 1e3)),
    ("params.enforcement.users_per_dealer_arrest", (0.0, 1e6)),
    ("params.adaptation.entry_rate", (0.0, 1e300)),
    ("params.adaptation.recruit_rate", (0.0, 1e300)),
    ("params.adaptation.replacement_delay_years", (0.0, 1e3)),
    ("params.adaptation.migration_rate", (0.0, 1e300)),
    ("params.adaptation.reroute_rate", (0.0, 1e300)),
    ("params.adaptation.closure_ties", (0, 50)),
    ("params.population.overdose_rate", (0.0, 1e300)),
    ("params.population.initiation_rate", (0.0, 1e300)),
    ("params.population.treatment_entry_rate", (0.0, 1e300)),
    ("params.population.potency_exponent", (0.0, 1e3)),
    ("params.population.p0", (0.0, 1.0)),
    ("params.population.release_overdose_multiplier", (0.0, 1e300)),
)
"""Parameters at the edges of their valid ranges (a bound, or 1e300 where none), each drawn
alone or with others by the property test."""

RULES = ("random", "degree", "betweenness", "closeness", "eigenvector", "pagerank",
         "harmonic", "katz", "collective_influence", "key_players", "min_cut", "interdiction")


def assert_invariants(r) -> None:
    """The invariants every run keeps (docs/series.md, docs/model.md 7.10): every column
    finite and non-negative; material balanced each step, the stocks' and the precursor's
    levels following their flows; people conserved (people using, in treatment and in
    remission change by initiations less deaths); the price index within its bounds;
    shares within [0, 1]; seizures at most what was shipped, sales at most demand."""
    s, sc = r.series, r.scenario
    num = s.select_dtypes("number")
    assert np.isfinite(num.to_numpy()).all(), [c for c in num if not np.isfinite(num[c]).all()]
    assert (num.drop(columns=["step", "time"]) >= 0).all().all()
    assert s["balance_error"].max() < 1e-9
    start = r.summary
    stock = np.r_[start["stock_kg_start"], s["stock_kg"]]
    flow = s["produced_kg"] - s["supply_kg"] - s["seized_routes_kg"] - s["seized_stock_kg"] \
        - s["lost_kg"]
    np.testing.assert_allclose(np.diff(stock), flow, rtol=0, atol=1e-7 * max(1, stock.max()))
    prec = np.r_[start["precursor_stock_kg_start"], s["precursor_stock_kg"]]
    flow = s["precursor_bought_kg"] - s["produced_kg"] - s["seized_precursor_kg"] \
        - s["lost_precursor_kg"]
    np.testing.assert_allclose(np.diff(prec), flow, rtol=0, atol=1e-7 * max(1, prec.max()))
    people = s["people_using"] + s["people_in_treatment"] + s["people_in_remission"]
    assert (people.diff().iloc[1:] == (s["initiations"] - s["deaths"]).iloc[1:]).all()
    m = sc.params.market
    assert (s["price_index"] >= m.price_min * (1 - 1e-12)).all()
    assert (s["price_index"] <= m.price_max * (1 + 1e-12)).all()
    for col in ("availability", "share_of_demand_met"):
        assert (s[col] <= 1).all()
    for mode in ("land", "air", "sea", "postal", "online"):
        assert (s[f"seized_{mode}_kg"] <= s[f"shipped_{mode}_kg"] * (1 + 1e-9)).all()
    assert (s["supply_kg"] <= s["demand_kg"] * (1 + 1e-9) + 1e-12).all()
    assert (s["fatal"] + s["reversed"] <= s["overdoses"]).all()


@st.composite
def scenarios(draw):
    dt = draw(st.sampled_from(["week", "month", "quarter", "day", 0.3]))
    over: dict = {"dt": dt, "warmup_years": draw(st.sampled_from([0.0, 0.1, 1.0]))}
    step = {"week": 1 / 52, "month": 1 / 12, "quarter": 0.25, "day": 1 / 365.25}.get(dt, dt)
    years = draw(st.integers(1, 6)) * step
    over["years"] = years
    if draw(st.booleans()):
        over["network.generate"] = {
            "actors": draw(st.sampled_from([20, 40, 90, 300])),
            "capacity_slack": draw(st.sampled_from([0.05, 1.5, 50.0])),
            "organized_dealer_share": draw(st.sampled_from([0.0, 0.8, 1.0]))}
    for path, values in draw(st.lists(st.sampled_from(EXTREMES), max_size=4,
                                      unique_by=lambda e: e[0])):
        over[path] = draw(st.sampled_from(values))
    ivs = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(sorted(INTERVENTION_KINDS)))
        health = kind in PUBLIC_HEALTH_KINDS
        iv = {"kind": kind, "start": draw(st.sampled_from([0.0, years / 2, years])),
              "intensity": draw(st.sampled_from([0.0, 1.0] if health else
                                                [0.0, 1e-6, 1.0, 1e6]))}
        if kind in OPERATIONS and draw(st.booleans()):
            iv["target"] = {"rule": draw(st.sampled_from(RULES)),
                            "count": draw(st.sampled_from([1, 5, 1000])),
                            "view": draw(st.sampled_from(["known", "true"]))}
            iv["once"] = draw(st.booleans())
        ivs.append(iv)
    return over, ivs, draw(st.integers(0, 2**31))


@pytest.mark.slow
@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=scenarios())
def test_every_valid_scenario_runs_keeping_the_invariants_or_is_refused_naming_a_field(case):
    """Scenarios anywhere in the schema's valid space (the toy with parameters at their
    bounds, other steps and horizons of 1 to 6 steps, small or odd networks, any
    intervention at any intensity, start and targeting rule) either run with series that
    keep the invariants or are refused up front with an InputError naming the field."""
    over, ivs, seed = case
    try:
        sc = load("toy").override(over)
    except fentanet.InputError as err:  # combinations the schema refuses, naming them
        assert err.field, str(err)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r = fentanet.simulate(sc, seed=seed, interventions=ivs or None)
        except fentanet.InputError as err:
            assert err.field, str(err)
            return
    assert len(r.series) == sc.steps
    assert_invariants(r)


@pytest.mark.parametrize(("field", "value", "why"), [
    ("population", 1e300, "less than or equal to 1000000000000000"),
    ("population", 1e-300, "greater than or equal to 1"),
    ("demand_kg_per_year", 1e300, "less than or equal to 1000000000000000"),
    ("capacity_slack", 1e300, "gives each stage of the chain"),
])
def test_a_generator_spec_beyond_a_simulations_bounds_is_refused_naming_its_field(
        field, value, why):
    """population 1e300 or 1e-300 ended in NumPy's 'Probabilities contain NaN' traceback;
    capacity_slack 1e300 was refused at the run as the capacity of actor 'sup-0001'
    (fuzzing, session 21)."""
    with pytest.raises(fentanet.InputError, match=why) as err:
        load("toy").override({f"network.generate.{field}": value})
    assert err.value.field == f"network.generate.{field}"


def test_a_spec_at_the_bounds_runs():
    s = _run({"network.generate.population": 1.0}).series
    assert s["people_using"].iloc[-1] <= 1
    s = _run({"network.generate.capacity_slack": 1e15 / (4500 * 0.0036)}).series
    assert s["balance_error"].max() < 1e-9
