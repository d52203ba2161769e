"""Calibration: targets and observation models, the fentanyl transition, the full model
through ensembles (runs kept in the store) and the population surrogate, recovery of known
parameters with interval coverage, identifiability, backtests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import fentanet
from fentanet.calibrate import (
    Calibration,
    Evaluator,
    FentanylTransition,
    Parameter,
    PopulationModel,
    ScenarioModel,
    Target,
    annual,
    calibrate,
    read_target,
)
from fentanet.errors import InputError
from fentanet.store import RunStore

RATE = "params.population.overdose_rate"
MID = "fentanyl.midpoint"
WIDTH = "fentanyl.width"


def small_model(population=(20_000.0, 10_000.0), **kw) -> PopulationModel:
    mk = pd.DataFrame({"uid": np.arange(len(population)) + 1, "population": population})
    kw.setdefault("transition", FentanylTransition())
    return PopulationModel(mk, start_year=2013, years=11, dt=1 / 12, **kw)


def _observed(model, truth, seed, column="synthetic_fatal"):
    return annual(model.run(truth, seed), column, start_year=model.start_year, dt=model.dt)


# --- targets and the observation model ------------------------------------------------


def test_public_targets_read_with_their_observation_models(shared_data):
    deaths = read_target(shared_data / "public" / "us_synthetic_opioid_deaths.csv")
    assert deaths.series == "synthetic_fatal" and deaths.scale == "fixed"
    assert list(deaths.observed.index) == list(range(2013, 2024))  # 2024 is provisional
    assert deaths.observed[2013] == 3105 and deaths.observed[2021] == 70601
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
    for rows, words in (
            ("2019,10\n2019,11\n", r"x\.csv:3: field 'year': expected each year once"),
            ("2019,10\n2020,inf\n", r"x\.csv:3: field 'deaths': expected a finite number"),
            ("2019,1e400\n", r"x\.csv:2: field 'deaths': expected a finite number"),
            ("2019,10\n2020,-5\n", r"x\.csv:3: field 'deaths': expected a count >= 0"),
            ("", r"x\.csv: no observations to fit")):
        f.write_text("year,deaths\n" + rows)
        with pytest.raises(InputError, match=words):
            read_target(f, series="fatal")
    # the lines count the rows left out (provisional ones) too
    f.write_text("year,deaths,status\n2019,10,final\n2020,-1,provisional\n2021,-2,final\n")
    with pytest.raises(InputError, match=r"x\.csv:4: field 'deaths': expected a count >= 0"):
        read_target(f, series="fatal")
    # not a CSV of observations: the line, no pandas text (review s15, F6.7)
    f.write_text("year,deaths\n2019,10\na, b, c\n")
    with pytest.raises(InputError, match=r"x\.csv:3: expected 2 comma-separated fields as in "
                       r"the header, saw 3") as info:
        read_target(f, series="fatal")
    assert "\\n" not in str(info.value) and "C error" not in str(info.value)
    with pytest.raises(InputError, match="finite and >= 0"):
        Target("t", pd.Series([np.inf], index=[2020]), "fatal")
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
    # without a calendar: years of the run from 0, the step read from the series
    assert annual(s, "x", start_year=None).to_dict() == {0: 66.0, 1: 210.0, 2: 354.0}
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
    # at() fixes values: the same run as passing them
    at = m.at({RATE: 0.3, MID: 2016.0})
    pd.testing.assert_frame_equal(at.run({}, 3), m.run({RATE: 0.3, MID: 2016.0}, 3))
    assert at.value(RATE) == 0.3 and m.value(RATE) != 0.3


# --- the full model: runs through fentanet.ensemble, kept in the store ------------------


def test_scenario_model_runs_the_simulation_with_overrides_and_the_transition():
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
    with pytest.raises(InputError, match="no start_year"):
        ScenarioModel("toy", transition=tr)


def test_full_model_ensembles_keep_the_fitted_values_and_equal_the_runs_in_process(tmp_path):
    m = ScenarioModel("toy", start_year=2019, years=0.5, transition=FentanylTransition())
    points = [{RATE: 0.3, MID: 2019.5}, {MID: 2016.0}]
    ens = m.ensemble(points, 2, seed=5, scheduler="serial", store=tmp_path / "s",
                     progress=False)
    runs = RunStore(tmp_path / "s").runs(ensemble=ens.id)
    kept = sorted(sorted(p.items()) for p in runs.params)
    assert kept == sorted(sorted(p.items()) for p in points * 2)  # the values themselves
    assert sorted(set(runs.seed)) == [5, 6] and set(runs.status) == {"done"}
    series = ens.store.series(ensemble=ens.id)
    summary = ens.summary().set_index("run_id")
    for r in runs.itertuples():
        mine = series[series.run_id == r.run_id]
        direct = m.run(r.params, r.seed)  # what a worker runs, in this process
        np.testing.assert_allclose(mine["synthetic_fatal"], direct["synthetic_fatal"])
        assert summary.loc[r.run_id, "synthetic_fatal_total"] == pytest.approx(
            direct["synthetic_fatal"].sum())
    with pytest.raises(InputError, match="need the fentanyl transition"):
        ScenarioModel("toy", years=0.5).run({MID: 2016.0}, 1)


def test_a_full_fit_runs_as_ensembles_kept_in_the_store(tmp_path):
    # toy, years 0 and 1 of its run (no calendar): the deaths of seed 50 as the target
    sc = fentanet.scenarios.load("toy")
    ref = fentanet.simulate(sc, seed=50).series
    target = Target("deaths", annual(ref, "deaths", start_year=None, dt=sc.dt), "deaths")
    seen = []
    fit = calibrate("toy", target, {"params.market.elasticity": (0.3, 0.9)}, runs=1, seed=7,
                    transition=False, max_evaluations=2, scheduler="serial",
                    store=tmp_path / "s", progress=lambda n, cost: seen.append(n))
    s = fit.summary
    assert s["seeds"] == [7] and s["store"] == str(tmp_path / "s") and seen
    runs = RunStore(tmp_path / "s").runs()
    assert len(runs) == s["runs"] and set(runs.ensemble_id) == set(s["ensembles"])
    assert len(fit.history) == s["runs"]  # one point per run: one seed
    # the reported fit is the run at the estimate, as simulate makes it
    est = fit.values["params.market.elasticity"]
    direct = fentanet.simulate(sc.override({"params.market.elasticity": est}), seed=7)
    want = annual(direct.series, "deaths", start_year=None, dt=sc.dt)
    f = fit.fit.set_index("year")
    assert list(f.index) == [0, 1]
    np.testing.assert_allclose(f["simulated"], want.to_numpy())
    np.testing.assert_allclose(f["error"], want.to_numpy() - target.observed.to_numpy())


@pytest.mark.slow
def test_full_fit_recovers_a_known_rate_from_other_draws(tmp_path):
    sc = fentanet.scenarios.load("toy").override({"years": 3.0, "dt": "month"})
    truth = 0.3
    runs = [fentanet.simulate(sc.override({RATE: truth}), seed=s).series for s in (101, 102)]
    obs = pd.concat([annual(r, "fatal", start_year=None) for r in runs], axis=1).mean(axis=1)
    fit = calibrate(sc, Target("fatal", obs, "fatal"), {RATE: (0.1, 0.6)}, runs=2,
                    transition=False, scheduler="serial", store=tmp_path / "s")
    row = fit.parameters.iloc[0]
    assert row.estimate == pytest.approx(truth, rel=0.1)
    assert row.low90 <= truth <= row.high90 and row.identified
    assert fit.summary["rmse_log_fit"] < 0.1  # Poisson noise of ~110 deaths a year


@pytest.mark.slow
def test_evaluations_on_a_two_worker_cluster_equal_the_serial_ones(tmp_path):
    m = ScenarioModel("toy", years=0.5)
    points = [{RATE: 0.2}, {RATE: 0.3}]

    def total(s):
        return float(s["fatal"].sum())

    serial = Evaluator(m, total, runs=2, scheduler="serial", store=tmp_path / "a")(points)
    cluster = Evaluator(m, total, runs=2, workers=2, store=tmp_path / "b")(points)
    assert cluster == serial


# --- calibration on the surrogate -------------------------------------------------------


def test_calibration_recovers_known_parameters_and_reports_the_fit():
    m = small_model(population=(300_000.0,))
    truth = {RATE: 0.3, MID: 2016.5, WIDTH: 1.2}
    target = Target("deaths", _observed(m, truth, 99), "synthetic_fatal")
    params = [Parameter(RATE, 0.1, 0.6), Parameter(MID, 2013, 2021), Parameter(WIDTH, 0.3, 4)]
    fit = calibrate(m, [target], params, runs=1)
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
    assert fit.summary["ensembles"] == [] and fit.summary["store"] is None  # in process
    assert set(fit.fit["year"]) == set(range(2013, 2024)) and fit.fit["used"].all()
    assert "| `params.population.overdose_rate` |" in fit.markdown()
    assert fit.overrides()[RATE] == pytest.approx(est.loc[RATE, "estimate"])
    assert fit.history["cost"].min() == pytest.approx(
        float((fit.fit["log_error"] ** 2).sum()) / 2, rel=0.05)


@pytest.mark.slow
def test_90_percent_intervals_cover_the_truth_in_at_least_16_of_20_recoveries():
    m = small_model(population=(30_000.0,))
    truth = {RATE: 0.25, MID: 2016.0}
    params = [Parameter(RATE, 0.1, 0.6), Parameter(MID, 2013, 2021)]
    covered = np.zeros(2, dtype=int)
    for rep in range(20):
        target = Target("deaths", _observed(m, truth, 1000 + rep), "synthetic_fatal")
        fit = calibrate(m, [target], params, runs=2).parameters.set_index("name")
        for i, (name, value) in enumerate(truth.items()):
            covered[i] += fit.loc[name, "low90"] <= value <= fit.loc[name, "high90"]
    assert (covered >= 16).all(), covered


def test_free_scale_is_profiled_and_backtest_holds_out_later_years():
    m = small_model(population=(300_000.0,))
    truth = {RATE: 0.3}
    obs = 3.7 * _observed(m, truth, 5, column="fatal")
    target = Target("shape", obs, "fatal", scale="free")
    fit = calibrate(m, [target], [Parameter(RATE, 0.1, 0.6)], runs=1, backtest=2019)
    # the scale absorbs the level; the shape alone says little about the overdose rate,
    # but the scale is found
    assert fit.scales["shape"] == pytest.approx(3.7 * truth[RATE] / fit.values[RATE], rel=0.1)
    f = fit.fit.set_index("year")
    assert f.loc[2019, "used"] and not f.loc[2020, "used"]
    # calibration.md (--out) says 'held out' as the CLI's table does (it said 'test')
    assert "| 2020 |" in fit.markdown() and "| held out |" in fit.markdown()
    assert "| test |" not in fit.markdown()
    assert np.isfinite(fit.summary["rmse_log_test"])
    # a backtest after the last observed year holds nothing out: refused, not a plain fit
    last = int(obs.index.max())
    with pytest.raises(InputError, match=f"backtest fitting up to {last} holds out no "
                       f"observed year: the targets' last is {last}"):
        calibrate(m, [target], [Parameter(RATE, 0.1, 0.6)], runs=1, backtest=last)


def test_backtest_reports_the_error_of_a_regime_the_fit_cannot_see():
    m = small_model(population=(300_000.0,), transition=None)
    obs = _observed(m, {RATE: 0.25}, 11, column="fatal")
    obs.loc[2020:] *= 3  # the later years follow another regime
    fit = calibrate(m, Target("deaths", obs, "fatal"), {RATE: (0.1, 0.6)}, runs=1,
                    backtest=2019)
    f = fit.fit
    assert list(f.year[~f.used]) == [2020, 2021, 2022, 2023]
    assert fit.values[RATE] == pytest.approx(0.25, rel=0.03)
    s = fit.summary
    assert s["rmse_log_fit"] < 0.05 < 0.8 < s["rmse_log_test"]  # log 3 = 1.1 held out
    with pytest.raises(InputError, match="need more years than parameters"):
        calibrate(m, Target("deaths", obs, "fatal"), {RATE: (0.1, 0.6),
                  "params.population.p0": (0.05, 0.3)}, backtest=2014)


def test_identical_acting_parameters_are_flagged_not_identified():
    # the overdose rate and p0 both scale fatal overdoses: only their product is known
    m = small_model(population=(300_000.0,))
    target = Target("deaths", _observed(m, {}, 7), "synthetic_fatal")
    fit = calibrate(
        m,
        [target],
        [Parameter(RATE, 0.1, 0.6), Parameter("params.population.p0", 0.05, 0.3)],
        runs=1,
    )
    assert not fit.parameters["identified"].any()
    assert abs(fit.correlation.iloc[0, 1]) > 0.95
    # only the product is known: the pair's direction has no effect, each keeps its bounds
    assert fit.correlation.iloc[0, 1] == pytest.approx(-1)
    p = fit.parameters
    assert list(p["low90"]) == [0.1, 0.05] and list(p["high90"]) == [0.6, 0.3]
    assert np.isinf(p["sd_transformed"]).all()
    # the pair is one direction the targets inform: 11 years less one
    assert (fit.summary["degrees_of_freedom"], fit.summary["effective_parameters"]) == (10, 1)


class IgnoringModel(PopulationModel):
    """The population surrogate with a parameter ``ignored`` it never reads."""

    def value(self, name):
        return 1.0 if name == "ignored" else super().value(name)

    def run(self, values, seed):
        return super().run({k: v for k, v in values.items() if k != "ignored"}, seed)


def test_a_parameter_without_effect_keeps_its_search_range_as_its_interval():
    mk = pd.DataFrame({"uid": [1], "population": [300_000.0]})
    m = IgnoringModel(mk, start_year=2013, years=11, dt=1 / 12, transition=FentanylTransition())
    target = Target("deaths", _observed(m, {RATE: 0.3}, 99), "synthetic_fatal")
    fit = calibrate(m, [target], [Parameter(RATE, 0.1, 0.6), Parameter("ignored", 0.5, 3)],
                    runs=1)
    p = fit.parameters.set_index("name")
    # the pseudo-inverse gave 1.2247 - 1.2247 (sd 0): an exact estimate of nothing
    assert (p.loc["ignored", "low90"], p.loc["ignored", "high90"]) == (0.5, 3.0)
    assert np.isinf(p.loc["ignored", "sd_transformed"]) and not p.loc["ignored", "identified"]
    assert p.loc[RATE, "identified"] and p.loc[RATE, "low90"] < 0.3 < p.loc[RATE, "high90"]
    one = calibrate(m, [target], [Parameter(RATE, 0.1, 0.6)], runs=1)
    assert p.loc[RATE, "estimate"] == pytest.approx(one.parameters["estimate"].iloc[0],
                                                    rel=1e-6)
    assert fit.correlation.loc[RATE, "ignored"] == 0 and fit.correlation.loc["ignored",
                                                                            "ignored"] == 1
    assert fit.summary["condition_number"] == np.inf
    assert "| `ignored` | 1.22474 | 0.5 - 3 | 0.5 - 3 | no |" in fit.markdown()
    # the ignored parameter takes no degree of freedom: 11 years less one informed
    # direction (it took one, so the rate's interval was that of 9 and wider)
    assert (fit.summary["degrees_of_freedom"], fit.summary["effective_parameters"]) == (10, 1)
    assert (one.summary["degrees_of_freedom"], one.summary["effective_parameters"]) == (10, 1)
    assert fit.summary["residual_sd_log"] == pytest.approx(one.summary["residual_sd_log"],
                                                           rel=1e-9)
    np.testing.assert_allclose(p.loc[RATE, ["low90", "high90"]].to_numpy(dtype=float),
                               one.parameters[["low90", "high90"]].to_numpy()[0], rtol=1e-6)


def test_identified_intervals_are_those_of_the_pseudo_inverse():
    # values of this fit at 91ae0f9, before the SVD (s^2 pinv(J'J)): equal to rounding
    m = small_model(population=(300_000.0,))
    target = Target("deaths", _observed(m, {RATE: 0.3}, 99), "synthetic_fatal")
    fit = calibrate(m, [target], [Parameter(RATE, 0.1, 0.6), Parameter(MID, 2013, 2021)],
                    runs=1)
    got = fit.parameters[["low90", "high90", "sd_transformed"]].to_numpy()
    np.testing.assert_allclose(got, [[0.29287530424308966, 0.3079666655187759, 0.0137047237361],
                                     [2016.9415739972499, 2017.0858852742592, 0.0393623530876]],
                               rtol=1e-9)
    assert fit.parameters["identified"].all()


def test_the_covariance_of_a_full_rank_jacobian_is_the_inverse():
    from fentanet.calibrate.fit import _covariance

    rng = np.random.default_rng(3)
    J, span = rng.normal(size=(12, 3)), np.array([0.5, 8.0, 2.0])
    cov, corr, sv = _covariance(J, span, 0.04)
    np.testing.assert_allclose(cov, 0.04 * np.linalg.inv(J.T @ J), rtol=1e-10)
    sd = np.sqrt(np.diag(cov))
    np.testing.assert_allclose(corr, cov / np.outer(sd, sd), rtol=1e-10)
    np.testing.assert_allclose(sv, np.linalg.svd(J * span, compute_uv=False))
    J[:, 1] = 0.0  # a parameter without effect: infinite variance, the others as without it
    cov, corr, _ = _covariance(J, span, 0.04)
    assert np.isinf(cov[1, 1]) and np.isnan(cov[0, 1])
    keep = [0, 2]
    np.testing.assert_allclose(cov[np.ix_(keep, keep)],
                               0.04 * np.linalg.inv(J[:, keep].T @ J[:, keep]), rtol=1e-10)
    assert corr[1, 1] == 1 and corr[0, 1] == corr[1, 2] == 0
    from fentanet.calibrate.fit import effective_parameters

    assert effective_parameters(J, span) == 2  # the zero column is not counted
    J[:, 2] = -3 * J[:, 0]  # two acting through one direction: one
    assert effective_parameters(J, span) == 1
    assert effective_parameters(np.zeros((5, 2)), span[:2]) == 0


def test_calibration_input_errors():
    m = small_model()
    t = Target("deaths", pd.Series([1.0, 2.0, 3.0], index=[2030, 2031, 2032]),
               "synthetic_fatal")
    with pytest.raises(InputError, match=r"does not cover the year\(s\) \[2030, 2031, 2032\]"
                       r".*--start-year 2030 --years 3"):
        calibrate(m, [t], [Parameter(RATE, 0.1, 0.6)], runs=1)
    five = [
        Parameter(f"params.population.{n}", 0.1, 0.2)
        for n in ("p0", "overdose_rate", "relapse_rate", "remission_rate", "p_success")
    ]
    with pytest.raises(InputError, match="1 to 4 parameters"):
        calibrate(m, [t], five)
    with pytest.raises(InputError, match=r"no parameter 'params\.population\.nothing'"):
        calibrate(m, [t], {"params.population.nothing": (0, 1)})
    with pytest.raises(InputError, match="low < high"):
        Parameter(RATE, 0.5, 0.1)
    with pytest.raises(InputError, match="NAME=LOW:HIGH"):
        Parameter.parse("overdose_rate:0.1")
    assert Parameter.parse("a.b=0.1:0.5:0.2") == Parameter("a.b", 0.1, 0.5, 0.2)
    with pytest.raises(InputError, match="not to a model object"):
        calibrate(m, [t], {RATE: (0.1, 0.6)}, years=3)


def test_target_years_outside_the_horizon_are_refused_before_any_run(tmp_path):
    """The years the run covers are known before it: nothing runs, nothing is stored, and
    the message names the target's file."""
    f = tmp_path / "early.csv"
    f.write_text("year,deaths\n1990,5\n1991,6\n1992,7\n")
    with pytest.raises(InputError, match=r"early\.csv: field 'years': the model's run does "
                       r"not cover the year\(s\) \[1990, 1991, 1992\].*it covers \[2013\]\)"):
        calibrate("toy", read_target(f, series="deaths"), {"params.market.elasticity":
                                                           (0.3, 0.9)},
                  start_year=2013, years=1, runs=1, transition=False, scheduler="serial",
                  store=tmp_path / "s")
    assert not (tmp_path / "s").exists() or RunStore(tmp_path / "s").runs().empty
    # fiscal years: October to September, complete ones only (2014 starts in October 2013)
    from fentanet.calibrate.fit import check_covered

    m = small_model()
    t = Target("t", pd.Series([1.0, 2.0], index=[m.start_year, m.start_year + 1]), "fatal",
               period="fiscal")
    with pytest.raises(InputError, match=rf"year\(s\) \[{m.start_year}\]"):
        check_covered(m, [t])


def test_the_start_year_is_not_a_parameter_to_fit():
    with pytest.raises(InputError, match="start year cannot be fitted") as err:
        calibrate(small_model(), Target("d", pd.Series([1.0, 2.0, 3.0], index=[2013, 2014,
                                                                              2015]),
                                        "synthetic_fatal"), {"start_year": (2010, 2015)})
    assert err.value.field == "start_year"


def test_calendar_years_are_fitted_on_their_own_scale():
    assert not Parameter("fentanyl.midpoint", 2012, 2022).on_log
    assert Parameter("fentanyl.width", 0.3, 5).on_log
    assert Parameter("fentanyl.midpoint", 2012, 2022, log=True).on_log


def test_the_estimates_table_prints_the_decimals_that_tell_them_apart():
    from fentanet.cli.calibrate import _to_interval

    assert _to_interval(2017.936, 2017.839, 2018.033) == ["2017.936", "2017.839", "2018.033"]
    assert _to_interval(0.2397, 0.1937, 0.2967) == ["0.240", "0.194", "0.297"]
    assert _to_interval(1234.0, 1000.0, 1500.0) == ["1234", "1000", "1500"]
    assert _to_interval(0.5, np.nan, np.nan) == ["0.5", "nan", "nan"]


def test_default_parameters_are_the_level_and_the_transition():
    m = small_model(population=(300_000.0,))
    truth = {RATE: 0.28, MID: 2017.5, WIDTH: 1.5}
    fit = calibrate(m, Target("deaths", _observed(m, truth, 3), "synthetic_fatal"), runs=1)
    assert list(fit.parameters["name"]) == [RATE, MID, WIDTH]
    assert fit.values[MID] == pytest.approx(2017.5, abs=0.3)


def test_seizures_enter_through_a_free_scale_on_fiscal_years(shared_data, tmp_path):
    m = ScenarioModel("toy", start_year=2019, years=2.0)
    seizures = read_target(shared_data / "public" / "cbp_fentanyl_seizures.csv").window(2020, 2020)
    empty = Calibration(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), {}, {}, {})
    table = empty.check(m, [seizures], scheduler="serial", store=tmp_path / "s")
    # one fiscal year (October 2019 to September 2020): kappa makes it match exactly
    assert list(table["year"]) == [2020]
    assert table["simulated"].iloc[0] == pytest.approx(4776.0)
    s = m.run({}, 1)
    fy2020 = s.loc[(s["time"] >= 0.75 - 1e-9) & (s["time"] < 1.75 - 1e-9), "seized_routes_kg"]
    assert fy2020.sum() == pytest.approx(
        annual(s, "seized_routes_kg", start_year=2019, dt=m.dt, period="fiscal")[2020]
    )


def test_population_surrogate_of_a_scenario_measures_its_status_quo():
    from fentanet.calibrate import status_quo_inputs

    x = status_quo_inputs("toy", years=0.5)
    assert 0 < x["availability"] <= 1 and x["price_index"] > 0
    assert x["potency_volatility"] >= 0 and x["released_per_person_year"] >= 0
    m = PopulationModel.from_scenario("toy", start_year=2020, years=1.0, inputs=x)
    assert len(m.markets) == 3 and m.markets["population"].sum() > 0
    s = m.run({RATE: 0.3}, 1)
    assert len(s) == 52 and (s["fatal"] >= 0).all()
