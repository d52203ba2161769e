"""Calibration: known parameters recovered from series simulated with them; backtests;
targets read from the published series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ensemble_standin import StandInScenario, simulate
from fentanet.ensemble.calibration import annual, calibrate, read_target, rmse_log
from fentanet.errors import InputError

YEARS = StandInScenario(steps=5 * 52)  # five years of weekly steps: years 0..4


def observed(over: dict, seeds=(101, 102, 103, 104)) -> pd.Series:
    """The truth's series on other draws than the fit's (seeds 1, 2, ...)."""
    sc = YEARS.override(over)
    return pd.concat([annual(simulate(sc, s).series, "deaths") for s in seeds],
                     axis=1).mean(axis=1)


def test_annual_totals():
    s = pd.DataFrame({"time": np.arange(6) / 2, "deaths": [1.0, 2, 3, 4, 5, 6]})
    assert annual(s, "deaths").to_dict() == {0: 3.0, 1: 7.0, 2: 11.0}
    assert annual(s, "deaths", start_year=2013).index.tolist() == [2013, 2014, 2015]
    s["year"] = 2013 + s.time
    assert annual(s, "deaths").index.tolist() == [2013, 2014, 2015]


def test_calibration_recovers_a_known_rate(tmp_path):
    truth = 6.0
    target = observed({"params.rate": truth})
    cal = calibrate(YEARS, target, {"params.rate": (1.0, 12.0)}, metric="deaths", runs=3,
                    seed=1, scheduler="serial", store=tmp_path / "s", model=simulate)
    row = cal.params.iloc[0]
    assert abs(row.value - truth) < 0.05 * truth
    assert row.ci_low <= truth <= row.ci_high
    assert rmse_log(cal.fit) < 0.06  # Poisson noise of about 300 deaths a year: ~3%
    assert list(cal.fit.year) == [0, 1, 2, 3, 4] and not cal.fit.held_out.any()
    assert cal.evaluations <= 60 + 2


def test_backtest_holds_out_the_years_after_the_cutoff(tmp_path):
    target = observed({"params.rate": 4.0})
    target.loc[3:] *= 3  # the later years follow another regime: the fit cannot see it
    cal = calibrate(YEARS, target, {"params.rate": (1.0, 12.0)}, runs=2, cutoff=2,
                    max_evaluations=30, seed=1, scheduler="serial", store=tmp_path / "s",
                    model=simulate)
    assert list(cal.fit.held_out) == [False, False, False, True, True]
    assert abs(cal.best["params.rate"] - 4.0) < 0.4
    assert rmse_log(cal.fit, held_out=False) < 0.08 < 0.8 < rmse_log(cal.fit, held_out=True)
    with pytest.raises(InputError, match="need more years than parameters"):
        calibrate(YEARS, target, {"params.rate": (1, 2), "params.effect": (0, 1)}, cutoff=1,
                  scheduler="serial", store=tmp_path / "s", model=simulate)


def test_read_target_from_the_published_death_series(shared_data):
    deaths = read_target(shared_data / "public" / "us_synthetic_opioid_deaths.csv")
    assert deaths.name == "deaths" and deaths.loc[2013] == 3105
    assert deaths.index.is_monotonic_increasing and deaths.index.min() == 2013


def test_read_target_errors(tmp_path):
    bad = tmp_path / "t.csv"
    bad.write_text("year,deaths\n2013,10\n2014,many\n")
    with pytest.raises(InputError, match=r"t.csv:3: field 'deaths': expected a number"):
        read_target(bad)
    bad.write_text("when,deaths\n2013,10\n")
    with pytest.raises(InputError, match="needs a 'year' column"):
        read_target(bad)
