"""A step that does not divide the horizon changes the horizon run, and the run says so;
``Result.annual()`` puts each step's flows in the years the step covers, pro rata by time
(audit s11/audit-sim finding 4: with ``dt`` 0.3, "year 0" held 4 steps, 1.2 years of
flows, and "year 1" 3: a 49% fall that did not exist)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import fentanet
from fentanet.errors import RunWarning
from fentanet.scenarios import load
from fentanet.simulate.run import Result, is_flow, prepare


def said(**kw) -> list[str]:
    """What preparing the toy with ``kw`` says as run warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        prepare("toy", **kw)
    return [str(w.message) for w in caught if issubclass(w.category, RunWarning)]


@pytest.mark.parametrize(("years", "dt", "covered"), [
    (1.0, 0.3, "3 steps, 0.9 years"), (1.0, 0.4, "2 steps, 0.8 years"),
    (2.0, 0.75, "3 steps, 2.25 years"), (1.4, 1.0, "1 step, 1 year"),
    (0.1, "week", "5 steps, 0.09615 years"),  # round(5.2): weekly tests' horizon
    (10.0, 0.3, "33 steps, 9.9 years"),  # 1% short
])
def test_a_step_that_does_not_divide_the_horizon_is_said(years, dt, covered):
    step = {"week": 1 / 52, "day": 1 / 365.25}.get(dt, dt)
    step_text = "1 year" if step == 1 else f"{step:.4g} years"  # never "1 years"
    horizon = "1 year" if years == 1 else f"{years:g} years"
    assert said(years=years, dt=dt) == [
        f"the step of {step_text} does not divide the horizon of {horizon}: the run covers "
        f"{covered}"]


@pytest.mark.parametrize("dt", ["week", "month", "quarter", 0.5, 1.0])
@pytest.mark.parametrize("years", [1.0, 2.0, 5.0, 30.0, 200.0])
def test_steps_that_divide_the_horizon_say_nothing(years, dt):
    assert said(years=years, dt=dt) == []


@pytest.mark.parametrize(("years", "dt"), [(1.0, "day"), (3.0, "day"), (1.0, 1 / 365)])
def test_a_horizon_missed_by_less_than_the_slack_says_nothing(years, dt):
    """A year of daily steps is 365 of 1/365.25 year: 0.07% short, below HORIZON_SLACK."""
    assert said(years=years, dt=dt) == []


def test_the_run_covers_what_the_warning_says():
    with pytest.warns(RunWarning, match="covers 2 steps, 0.8 years"):
        r = fentanet.simulate("toy", seed=1, years=1.0, dt=0.4)
    assert len(r.series) == 2 and r.summary["years"] == pytest.approx(0.8)


def _result(dt: float, values: list[float]) -> Result:
    n = len(values)
    series = pd.DataFrame({"step": np.arange(n), "time": np.arange(n) * dt,
                           "supply_kg": values, "deaths": np.ones(n),
                           "price_index": np.full(n, 1.5)})
    sc = load("toy").override({"years": n * dt, "dt": dt})
    return Result(series=series, summary={}, scenario=sc, seed=1)


def test_a_step_across_a_years_end_is_split_pro_rata():
    # dt 0.3, 7 steps from 0 to 2.1 years: [0.9, 1.2) is a third in year 0, [1.8, 2.1) two
    # thirds in year 1 and a third in year 2
    an = _result(0.3, [1, 2, 4, 8, 16, 32, 64]).annual()
    assert list(an.index) == [0, 1, 2] and an.index.name == "year"
    assert list(an.columns) == ["supply_kg", "deaths"]  # flows; the price index is a level
    assert an["supply_kg"].tolist() == pytest.approx([1 + 2 + 4 + 8 / 3,
                                                      8 * 2 / 3 + 16 + 32 + 64 * 2 / 3,
                                                      64 / 3], rel=1e-12)
    assert an["deaths"].tolist() == pytest.approx([10 / 3, 10 / 3, 1 / 3], rel=1e-12)
    # days: 365 whole steps, then one from 365/365.25 to 366/365.25, a quarter in year 0
    an = _result(1 / 365.25, [1.0] * 400).annual()
    assert an["supply_kg"].tolist() == pytest.approx([365.25, 34.75], rel=1e-12)


def test_a_run_with_steps_of_0_3_years_by_hand():
    r = fentanet.simulate("toy", seed=1, years=2.0, dt=0.3)
    s, an = r.series, r.annual()
    assert len(s) == 7
    for c in ("supply_kg", "deaths", "arrests", "intervention_cost_usd"):
        x = s[c].to_numpy()
        want = [x[:3].sum() + x[3] / 3, x[3] * 2 / 3 + x[4] + x[5] + x[6] * 2 / 3, x[6] / 3]
        assert an[c].tolist() == pytest.approx(want, rel=1e-12, abs=1e-12)
    for c in an.columns:  # nothing lost or counted twice
        assert an[c].sum() == pytest.approx(r.summary[f"{c}_total"], rel=1e-12, abs=1e-9)


@pytest.mark.parametrize("dt", ["week", "month"])
def test_steps_that_divide_a_year_give_the_sums_as_before_bit_for_bit(dt):
    r = fentanet.simulate("toy", seed=3, years=2.0, dt=dt)
    s = r.series
    before = s[[c for c in s.columns if is_flow(c)]].groupby(
        np.floor(s["time"].to_numpy() + 1e-9).astype(int)).sum()
    before.index.name = "year"
    assert r.annual().equals(before)
    assert len(before) == 2
