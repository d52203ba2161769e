"""Calibration and sensitivity: targets, observation models, recovery, backtest, PRCC."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fentanet.calibrate import (
    FentanylTransition,
    Parameter,
    PopulationModel,
    Target,
    annual,
    calibrate,
    latin_hypercube,
    one_at_a_time,
    prcc,
    read_target,
    tornado_figure,
)
from fentanet.errors import InputError

RATE = "params.population.overdose_rate"
MID = "fentanyl.midpoint"
WIDTH = "fentanyl.width"


def small_model(population=(20_000.0, 10_000.0), **kw) -> PopulationModel:
    mk = pd.DataFrame({"uid": np.arange(len(population)) + 1, "population": population})
    kw.setdefault("transition", FentanylTransition())
    return PopulationModel(mk, start_year=2013, years=11, dt=1 / 12, **kw)


# --- targets and the observation model ------------------------------------------------


def test_public_targets_read_with_their_defaults(shared_data):
    deaths = read_target(shared_data / "public" / "us_synthetic_opioid_deaths.csv")
    assert deaths.series == "synthetic_fatal" and deaths.scale == "fixed"
    assert list(deaths.observed.index) == list(range(2013, 2024))  # 2024 is provisional
    assert deaths.observed[2021] == 70601
    with_prov = read_target(
        shared_data / "public" / "us_synthetic_opioid_deaths.csv", provisional=True
    )
    assert with_prov.observed[2024] == 48422
    seizures = read_target(shared_data / "public" / "cbp_fentanyl_seizures.csv")
    assert seizures.period == "fiscal" and seizures.scale == "free"
    assert seizures.observed[2023] == 27022


def test_bad_target_files_name_file_line_and_column(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("year,deaths\n2019,10\n2020,lots\n")
    with pytest.raises(InputError, match=r"x\.csv:3: field 'deaths'"):
        read_target(f, series="fatal")
    f.write_text("when,deaths\n2019,10\n")
    with pytest.raises(InputError, match="'year' or 'fiscal_year'"):
        read_target(f, series="fatal")
    f.write_text("year,deaths\n2019,10\n")
    with pytest.raises(InputError, match="series="):
        read_target(f)
    f.write_text("year,deaths\n2019,10\n2019,11\n")
    with pytest.raises(InputError, match="2019 appears twice"):
        read_target(f, series="fatal")
    with pytest.raises(InputError, match="no such file"):
        read_target(tmp_path / "missing.csv", series="fatal")
    with pytest.raises(InputError, match="period"):
        Target("t", pd.Series([1.0], index=[2020]), "fatal", period="monthly")


def test_annual_sums_calendar_and_fiscal_years_by_hand():
    # monthly steps from January 2019 for 3 years: step k has value k
    s = pd.DataFrame(
        {"step": np.arange(36), "time": np.arange(36) / 12, "x": np.arange(36, dtype=float)}
    )
    cal = annual(s, "x", start_year=2019, dt=1 / 12)
    assert cal.to_dict() == {
        2019: sum(range(12)),
        2020: sum(range(12, 24)),
        2021: sum(range(24, 36)),
    }
    # fiscal year 2020 = October 2019 (k = 9) to September 2020 (k = 20); FY2019 and
    # FY2022 are incomplete
    fy = annual(s, "x", start_year=2019, dt=1 / 12, period="fiscal")
    assert fy.to_dict() == {2020: sum(range(9, 21)), 2021: sum(range(21, 33))}
    with pytest.raises(InputError, match="no series 'y'"):
        annual(s, "y", start_year=2019, dt=1 / 12)


def test_fentanyl_transition_by_hand():
    tr = FentanylTransition(midpoint=2017.0, width=2.0, heroin_risk=0.2)
    assert tr.share(2017.0) == pytest.approx(0.5)
    assert tr.share(2019.0) == pytest.approx(1 / (1 + np.exp(-1)))
    assert tr.potency(2017.0) == pytest.approx(0.2 + 0.8 * 0.5)
    # a fatal overdose involves fentanyl in proportion to its share of the hazard
    assert tr.synthetic_fraction(2017.0) == pytest.approx(0.5 / (0.2 * 0.5 + 0.5))
    pts = tr.potency_trend(2013, 2.0, step=0.5)
    assert [t for t, _ in pts] == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert pts[2][1] == pytest.approx(float(tr.potency(2014.0)))
    with pytest.raises(InputError, match=r"fentanyl\.width"):
        FentanylTransition(width=0.0)
    with pytest.raises(InputError, match=r"fentanyl\.speed"):
        tr.with_values({"fentanyl.speed": 1.0})


def test_population_model_synthetic_deaths_follow_the_transition():
    m = small_model()
    s = m.run({}, 3)
    assert (s["synthetic_fatal"] <= s["fatal"] + 1e-9).all()
    y = annual(s, "synthetic_fatal", start_year=2013, dt=1 / 12)
    assert list(y.index) == list(range(2013, 2024))
    assert y[2023] > 5 * y[2013]  # the rise of fentanyl
    with pytest.raises(InputError, match="population surrogate"):
        m.run({"params.market.elasticity": 0.5}, 1)


# --- calibration ----------------------------------------------------------------------


def _observed(model, truth, seed, column="synthetic_fatal"):
    return annual(model.run(truth, seed), column, start_year=model.start_year, dt=model.dt)


def test_calibration_recovers_known_parameters_and_reports_the_fit():
    m = small_model(population=(300_000.0,))
    truth = {RATE: 0.3, MID: 2016.5, WIDTH: 1.2}
    target = Target("deaths", _observed(m, truth, 99), "synthetic_fatal")
    params = [Parameter(RATE, 0.1, 0.6), Parameter(MID, 2013, 2021), Parameter(WIDTH, 0.3, 4)]
    fit = calibrate(m, [target], params, seeds=(1,))
    est = fit.parameters.set_index("name")
    # close to the truth (interval coverage is the next test's business)
    assert est.loc[RATE, "estimate"] == pytest.approx(0.3, rel=0.03)
    assert est.loc[MID, "estimate"] == pytest.approx(2016.5, abs=0.2)
    assert est.loc[WIDTH, "estimate"] == pytest.approx(1.2, rel=0.08)
    for name in truth:
        assert est.loc[name, "low90"] < est.loc[name, "estimate"] < est.loc[name, "high90"]
        assert est.loc[name, "identified"]
    assert fit.summary["rmse_log_fit"] < 0.05
    assert fit.summary["condition_number"] < 100
    assert set(fit.fit["year"]) == set(range(2013, 2024)) and fit.fit["used"].all()
    assert "| `params.population.overdose_rate` |" in fit.markdown()
    assert fit.overrides()[RATE] == pytest.approx(est.loc[RATE, "estimate"])


@pytest.mark.slow
def test_90_percent_intervals_cover_the_truth_in_at_least_16_of_20_recoveries():
    m = small_model(population=(30_000.0,))
    truth = {RATE: 0.25, MID: 2016.0}
    params = [Parameter(RATE, 0.1, 0.6), Parameter(MID, 2013, 2021)]
    covered = np.zeros(2, dtype=int)
    for rep in range(20):
        target = Target("deaths", _observed(m, truth, 1000 + rep), "synthetic_fatal")
        fit = calibrate(m, [target], params, seeds=(1, 2)).parameters.set_index("name")
        for i, (name, value) in enumerate(truth.items()):
            covered[i] += fit.loc[name, "low90"] <= value <= fit.loc[name, "high90"]
    assert (covered >= 16).all(), covered


def test_free_scale_is_profiled_and_backtest_holds_out_later_years():
    m = small_model(population=(300_000.0,))
    truth = {RATE: 0.3}
    obs = 3.7 * _observed(m, truth, 5, column="fatal")
    target = Target("shape", obs, "fatal", scale="free")
    fit = calibrate(m, [target], [Parameter(RATE, 0.1, 0.6)], seeds=(1,), backtest=2019)
    # the scale absorbs the level; the shape alone says little about the overdose rate,
    # but the scale is found
    assert fit.scales["shape"] == pytest.approx(3.7 * truth[RATE] / fit.values[RATE], rel=0.1)
    f = fit.fit.set_index("year")
    assert f.loc[2019, "used"] and not f.loc[2020, "used"]
    assert np.isfinite(fit.summary["rmse_log_test"])


def test_identical_acting_parameters_are_flagged_not_identified():
    # the overdose rate and p0 both scale fatal overdoses: only their product is known
    m = small_model(population=(300_000.0,))
    target = Target("deaths", _observed(m, {}, 7), "synthetic_fatal")
    fit = calibrate(
        m,
        [target],
        [Parameter(RATE, 0.1, 0.6), Parameter("params.population.p0", 0.05, 0.3)],
        seeds=(1,),
    )
    assert not fit.parameters["identified"].any()
    assert abs(fit.correlation.iloc[0, 1]) > 0.95


def test_calibration_input_errors():
    m = small_model()
    t = Target("deaths", pd.Series([1.0], index=[2030]), "synthetic_fatal")
    with pytest.raises(InputError, match=r"does not cover the year\(s\) \[2030\]"):
        calibrate(m, [t], [Parameter(RATE, 0.1, 0.6)], seeds=(1,))
    five = [
        Parameter(f"params.population.{n}", 0.1, 0.2)
        for n in ("p0", "overdose_rate", "relapse_rate", "remission_rate", "p_success")
    ]
    with pytest.raises(InputError, match="1 to 4 parameters"):
        calibrate(m, [t], five)
    with pytest.raises(InputError, match="low < high"):
        Parameter(RATE, 0.5, 0.1)
    with pytest.raises(InputError, match="name=low:high"):
        Parameter.parse("overdose_rate:0.1")
    assert Parameter.parse("a.b=0.1:0.5:0.2") == Parameter("a.b", 0.1, 0.5, 0.2)


# --- sensitivity ----------------------------------------------------------------------


def test_one_at_a_time_ranks_the_overdose_rate_first_with_elasticity_near_one():
    m = small_model(population=(300_000.0,))
    table = one_at_a_time(
        m,
        [
            Parameter(RATE, 0.2, 0.3),
            Parameter("params.population.relapse_rate", 0.2, 0.3),
            Parameter(WIDTH, 1.0, 2.0),
        ],
        "fatal",
        seeds=(1,),
    )
    assert table["parameter"].iloc[0] == RATE
    row = table.iloc[0]
    assert row["metric_low"] < row["metric_base"] < row["metric_high"]
    # deaths are nearly proportional to the overdose rate (a few per cent less: more
    # deaths, fewer people using)
    assert 0.85 < row["elasticity"] < 1.02
    fig = tornado_figure(table)
    assert len(fig.data) == 2


def test_prcc_of_a_known_monotone_function():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(200, 3))
    y = np.exp(3 * x[:, 0]) - 2 * x[:, 1] ** 3 + 0.05 * rng.normal(size=200)
    coef, p = prcc(x, y)
    assert coef[0] > 0.95 and coef[1] < -0.6 and abs(coef[2]) < 0.2
    assert p[0] < 1e-10 and p[1] < 1e-10 and p[2] > 0.01
    # oracle: partial correlations of the ranks from the inverse of their correlation matrix
    ranks = np.column_stack([stats.rankdata(c) for c in (*x.T, y)])
    prec = np.linalg.inv(np.corrcoef(ranks, rowvar=False))
    want = [-prec[j, 3] / np.sqrt(prec[j, j] * prec[3, 3]) for j in range(3)]
    np.testing.assert_allclose(coef, want, atol=1e-10)
    with pytest.raises(InputError, match="more than"):
        prcc(x[:4], y[:4])


def test_latin_hypercube_finds_what_matters_in_the_model():
    m = small_model(population=(100_000.0,))
    params = [
        Parameter(RATE, 0.15, 0.35),
        Parameter("params.population.p_witnessed", 0.4, 0.8),
        Parameter("params.population.relapse_rate", 0.2, 0.3),
    ]
    design, table = latin_hypercube(m, params, "fatal", samples=24, seeds=(1,), seed=3)
    assert len(design) == 24 and "fatal" in design
    # strata: each parameter's samples fall one in each of 24 equal bins
    for p in params:
        bins = np.floor((design[p.name] - p.low) / (p.high - p.low) * 24).astype(int)
        assert sorted(bins) == list(range(24))
    t = table.set_index("parameter")
    assert t.loc[RATE, "prcc"] > 0.9 and t.loc[RATE, "p_value"] < 1e-6
    assert t.loc["params.population.p_witnessed", "prcc"] < -0.5  # more witnesses, fewer deaths


# --- the full simulation as a model, and the command line ---------------------------------


def test_scenario_model_runs_the_simulation_with_overrides_and_the_transition():
    import fentanet
    from fentanet.calibrate import ScenarioModel

    tr = FentanylTransition(midpoint=2020.0, width=0.5)
    m = ScenarioModel("toy", start_year=2019, years=1.0, transition=tr)
    assert m.start_year == 2019 and m.years == 1.0 and m.dt == pytest.approx(1 / 52)
    assert m.value(RATE) == pytest.approx(0.235)  # population default, not in the YAML
    assert m.value("params.market.elasticity") > 0
    assert m.value(MID) == 2020.0
    values = {RATE: 0.3, MID: 2019.5}
    s = m.run(values, 2)
    sc = m.scenario_for(values)
    assert sc.params.population["overdose_rate"] == 0.3
    trend = sc.params.market.potency_trend
    assert trend[0][1] == pytest.approx(float(tr.with_values(values).potency(2019.0)))
    # identical to simulating that scenario directly
    direct = fentanet.simulate(sc, seed=2).series
    np.testing.assert_array_equal(s["fatal"].to_numpy(), direct["fatal"].to_numpy())
    frac = tr.with_values(values).synthetic_fraction(2019 + s["time"] + m.dt / 2)
    np.testing.assert_allclose(s["synthetic_fatal"], s["fatal"] * frac)
    with pytest.raises(InputError, match="no such scenario field"):
        m.value("params.market.nothing")


def test_population_surrogate_of_a_scenario_measures_its_status_quo():
    from fentanet.calibrate import status_quo_inputs

    x = status_quo_inputs("toy", years=0.5)
    assert 0 < x["availability"] <= 1 and x["price_index"] > 0
    assert x["potency_volatility"] >= 0 and x["released_per_person_year"] >= 0
    m = PopulationModel.from_scenario("toy", start_year=2020, years=1.0, inputs=x)
    assert len(m.markets) == 3 and m.markets["population"].sum() > 0
    s = m.run({RATE: 0.3}, 1)
    assert len(s) == 52 and (s["fatal"] >= 0).all()


def test_cli_calibrate_and_sensitivity(tmp_path, shared_data):
    from fentanet.cli import main

    deaths = shared_data / "public" / "us_synthetic_opioid_deaths.csv"
    out = tmp_path / "fit"
    # the toy scenario is small (4,500 people using): fit the transition to the shape of
    # the death series (free scale)
    rc = main(
        [
            "calibration",
            "fit",
            "toy",
            "--target",
            str(deaths),
            "--scale",
            "free",
            "--param",
            "fentanyl.midpoint=2012:2022",
            "--param",
            "fentanyl.width=0.3:5",
            "--model",
            "population",
            "--start-year",
            "2013",
            "--years",
            "11",
            "--seeds",
            "1",
            "--backtest",
            "2020",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    params = pd.read_csv(out / "parameters.csv")
    assert list(params["name"]) == ["fentanyl.midpoint", "fentanyl.width"]
    assert params["identified"].all()
    assert 2014 < params["estimate"].iloc[0] < 2020
    fit = pd.read_csv(out / "fit.csv")
    assert set(fit.loc[~fit["used"], "year"]) == {2021, 2022, 2023}
    assert fit.loc[fit["used"], "relative_error"].abs().max() < 0.5
    assert "| fit |" in (out / "calibration.md").read_text()
    rc = main(
        [
            "calibration",
            "sensitivity",
            "toy",
            "--param",
            "params.population.overdose_rate=0.2:0.3",
            "--param",
            "params.population.p_witnessed=0.4:0.8",
            "--model",
            "population",
            "--years",
            "1",
            "--start-year",
            "2023",
            "--set",
            "network.generate.capacity_slack=1.4",
            "--out",
            str(tmp_path / "s"),
        ]
    )
    assert rc == 0
    oat = pd.read_csv(tmp_path / "s" / "sensitivity_oat.csv")
    assert oat["parameter"].iloc[0] == "params.population.overdose_rate"
    assert (tmp_path / "s" / "tornado.html").exists()
    assert main(["calibration", "fit", "toy", "--target", str(deaths), "--param", "x=1"]) == 2
    bad_set = [
        "calibration",
        "sensitivity",
        "toy",
        "--param",
        "params.population.p0=0.1:0.2",
        "--set",
        "network.generate.nothing=1",
    ]
    assert main(bad_set) == 2


def test_seizures_enter_through_a_free_scale_on_fiscal_years(shared_data):
    from fentanet.calibrate import Calibration, ScenarioModel

    m = ScenarioModel("toy", start_year=2019, years=2.0)
    seizures = read_target(shared_data / "public" / "cbp_fentanyl_seizures.csv").window(2020, 2020)
    empty = Calibration(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), {}, {}, {})
    table = empty.check(m, [seizures], seeds=(1,))
    # one fiscal year (October 2019 to September 2020): kappa makes it match exactly
    assert list(table["year"]) == [2020]
    assert table["simulated"].iloc[0] == pytest.approx(4776.0)
    s = m.run({}, 1)
    fy2020 = s.loc[(s["time"] >= 0.75 - 1e-9) & (s["time"] < 1.75 - 1e-9), "seized_routes_kg"]
    assert fy2020.sum() == pytest.approx(
        annual(s, "seized_routes_kg", start_year=2019, dt=m.dt, period="fiscal")[2020]
    )
