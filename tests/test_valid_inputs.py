"""Runs anywhere in the scenario schema's valid space finish with series that keep the
model's invariants, or are refused up front naming the field (the fuzzing of session 21:
/work/notes/s21/fuzz). Each test here failed before its fix."""

from __future__ import annotations

import warnings

import pytest

import fentanet
from fentanet.scenarios import load


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
    with pytest.raises(fentanet.InputError, match=f"{what} in market 0; expected at most "
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
