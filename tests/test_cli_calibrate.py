"""``fentanet calibrate`` and ``fentanet sensitivity``: the full model's runs kept in the
store, the population surrogate, --json and --out, and errors (exit 2)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import fentanet
from fentanet.calibrate import annual
from fentanet.cli import main
from fentanet.store import RunStore


def cli_json(capsys, *argv: str):
    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_calibrate_the_toy_through_ensembles_kept_in_the_store(capsys, tmp_path):
    ref = fentanet.simulate("toy", seed=50)
    target = tmp_path / "target.csv"
    yearly = annual(ref.series, "deaths", start_year=None)
    target.write_text("year,deaths\n" + "".join(f"{y},{v}\n" for y, v in yearly.items()))
    res = cli_json(capsys, "calibrate", "toy", "--target", str(target), "--series", "deaths",
                   "--param", "params.market.elasticity=0.3:0.9", "--no-transition",
                   "--runs", "1", "--max-evaluations", "2", "--scheduler", "serial",
                   "--store", str(tmp_path / "s"))
    [p] = res["parameters"]
    assert p["name"] == "params.market.elasticity" and 0.3 <= p["estimate"] <= 0.9
    assert [r["year"] for r in res["fit"]] == [0, 1]
    assert [r["observed"] for r in res["fit"]] == yearly.tolist()
    s = res["summary"]
    assert s["rmse_log_test"] is None and s["runs"] >= 2  # no backtest: nothing held out
    runs = RunStore(tmp_path / "s").runs()
    assert len(runs) == s["runs"] and set(runs.ensemble_id) == set(s["ensembles"])
    assert {tuple(r) for r in runs.params.map(dict.keys)} == {("params.market.elasticity",)}


def test_calibrate_the_surrogate_to_the_shape_of_the_deaths_with_a_backtest(
        tmp_path, shared_data, capsys, monkeypatch):
    deaths = shared_data / "public" / "us_synthetic_opioid_deaths.csv"
    out = tmp_path / "fit"
    # the toy scenario is small (4,500 people using): fit the transition to the shape of
    # the death series (free scale)
    rc = main(["calibrate", "toy", "--target", str(deaths), "--scale", "free",
               "--param", "fentanyl.midpoint=2012:2022", "--param", "fentanyl.width=0.3:5",
               "--model", "population", "--start-year", "2013", "--years", "11", "--runs", "1",
               "--backtest", "2020", "--out", str(out), "--store", str(tmp_path / "s")])
    assert rc == 0, capsys.readouterr().err
    assert "Estimates (90% interval)" in capsys.readouterr().out
    params = pd.read_csv(out / "parameters.csv")
    assert list(params["name"]) == ["fentanyl.midpoint", "fentanyl.width"]
    assert params["identified"].all()
    assert 2014 < params["estimate"].iloc[0] < 2020
    fit = pd.read_csv(out / "fit.csv")
    assert set(fit.loc[~fit["used"], "year"]) == {2021, 2022, 2023}
    assert fit.loc[fit["used"], "relative_error"].abs().max() < 0.5
    assert "| fit |" in (out / "calibration.md").read_text()
    data = json.loads((out / "calibration.json").read_text())
    assert data["summary"]["ensembles"] == [] and len(pd.read_csv(out / "history.csv")) > 3
    assert not (tmp_path / "s").exists()  # the surrogate runs in process, nothing stored
    # --out is written all or none: a write that fails leaves the earlier files as they
    # were and no new one beside them
    import fentanet.cli.calibrate as cli_calibrate

    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (out / "fit.csv").write_text("the earlier fit\n")
    before["fit.csv"] = b"the earlier fit\n"

    def broken(document):
        def write(path):
            raise OSError(28, "No space left on device")
        return write

    monkeypatch.setattr(cli_calibrate, "json_writer", broken)
    rc = main(["calibrate", "toy", "--target", str(deaths), "--scale", "free",
               "--param", "fentanyl.midpoint=2012:2022", "--model", "population",
               "--start-year", "2013", "--years", "11", "--runs", "1", "--out", str(out)])
    assert rc == 2 and "No space left on device" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_sensitivity_tornado_of_the_toy(capsys, tmp_path):
    res = cli_json(capsys, "sensitivity", "toy", "--param", "params.market.elasticity=0.3:0.9",
                   "--runs", "2", "--years", "0.25", "--scheduler", "serial",
                   "--store", str(tmp_path / "s"))
    [row] = res["table"]
    assert row["parameter"] == "params.market.elasticity" and row["seeds"] == 2
    runs = RunStore(tmp_path / "s").runs(ensemble=res["ensemble"])
    assert len(runs) == 3 * 2  # base, low, high x 2 seeds
    assert row["swing"] == pytest.approx(row["change_high"] - row["change_low"])


def test_sensitivity_on_the_surrogate_with_fixed_overrides(tmp_path, capsys):
    out = tmp_path / "s"
    rc = main(["sensitivity", "toy", "--param", "params.population.overdose_rate=0.2:0.3",
               "--param", "params.population.p_witnessed=0.4:0.8", "--model", "population",
               "--years", "1", "--start-year", "2023", "--runs", "2", "--metric",
               "fatal_total", "--set", "network.generate.capacity_slack=1.4", "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert "population surrogate, not stored" in printed
    oat = pd.read_csv(out / "sensitivity_tornado.csv")
    assert oat["parameter"].iloc[0] == "params.population.overdose_rate"
    # the terminal shows each change with its interval over the seeds, as the CSV has it
    from fentanet.cli.calibrate import _change

    assert "change at" in printed  # (the header folds on a narrow terminal)
    r = oat.iloc[0]
    assert _change(r.change_high, r.change_high_ci_low, r.change_high_ci_high) == (
        f"{r.change_high:.4g} ({r.change_high_ci_low:.4g} .. {r.change_high_ci_high:.4g})")
    assert _change(2.0, float("nan"), float("nan")) == "2"
    res = cli_json(capsys, "sensitivity", "toy", "-p", "params.population.p0=0.08:0.14",
                   "-p", "params.population.overdose_rate=0.2:0.3", "--model", "population",
                   "--method", "lhs", "--samples", "6", "--years", "1")
    assert res["method"] == "lhs" and res["ensemble"] is None and len(res["design"]) == 6
    assert {r["parameter"] for r in res["table"]} == {"params.population.p0",
                                                      "params.population.overdose_rate"}


def test_sobol_indices_on_the_surrogate(tmp_path, capsys):
    """--method sobol: N x (parameters + 2) points, the indices and their intervals, the design
    with its blocks written to --out (beside an lhs analysis's own design); the overdose
    rate explains most of the variance of fatal overdoses, the relapse rate next to none of
    it within a year: its total-order index was exactly 0 (no design point's deaths moved
    with it) until the toy's status-quo inputs moved with re-routing for lost supply
    (thirteenth session, docs/model.md 7.9: price index 0.996 -> 0.973, potency volatility
    0.018 -> 0.010 in its first year, seed 1); now one of the 16 points differs by one death
    of 101, an index of 4e-5."""
    out = tmp_path / "sob"
    cli_json(capsys, "sensitivity", "toy", "-p", "params.population.p0=0.08:0.14",
             "-p", "params.population.overdose_rate=0.2:0.3", "--model", "population",
             "--method", "lhs", "--samples", "6", "--years", "1", "--out", str(out))
    res = cli_json(capsys, "sensitivity", "toy", "--model", "population", "--method", "sobol",
                   "--samples", "16", "-p", "params.population.overdose_rate=0.15:0.35",
                   "-p", "params.population.p_witnessed=0.4:0.8",
                   "-p", "params.population.relapse_rate=0.2:0.3", "--years", "1",
                   "--start-year", "2023", "--metric", "fatal_total", "--out", str(out))
    assert res["method"] == "sobol" and len(res["design"]) == 16 * 5
    t = {r["parameter"]: r for r in res["table"]}
    rate = t["params.population.overdose_rate"]
    assert rate["total_order"] > 0.5 and rate["first_low"] < rate["first_order"]
    assert 0.0 <= t["params.population.relapse_rate"]["total_order"] < 1e-3
    assert pd.read_csv(out / "sensitivity_sobol.csv").shape[0] == 3
    design = pd.read_csv(out / "design_sobol.csv")
    # the Latin hypercube written to the same folder before keeps its own design
    assert pd.read_csv(out / "design_lhs.csv").shape[0] == 6
    assert pd.read_csv(out / "sensitivity_lhs.csv").shape[0] == 2
    assert not (out / "design.csv").exists()
    assert design.block.value_counts().to_dict() == {
        "A": 16, "B": 16, "params.population.overdose_rate": 16,
        "params.population.p_witnessed": 16, "params.population.relapse_rate": 16}


def test_errors_exit_2_with_a_message(tmp_path, capsys, shared_data):
    deaths = str(shared_data / "public" / "us_synthetic_opioid_deaths.csv")
    store = str(tmp_path / "s")
    bad = tmp_path / "bad.csv"
    bad.write_text("year,deaths\n2019,10\n2020,lots\n")
    good = tmp_path / "good.csv"
    good.write_text("year,deaths\n0,10\n1,12\n")
    cases = [
        (["calibrate", "toy", "--target", str(good), "--series", "deaths", "--out",
          str(bad), "--store", store], "exists and is not a folder"),
        (["sensitivity", "toy", "-p", "years=0.2:0.4", "--out", str(bad), "--store", store],
         "exists and is not a folder"),
        (["calibrate", "toy", "--target", str(bad), "--series", "deaths", "--store", store],
         "bad.csv:3: field 'deaths'"),
        (["calibrate", "toy", "--target", str(tmp_path / "none.csv"), "--series", "deaths"],
         "no such file"),
        (["calibrate", "toy", "--target", str(good), "--series", "deaths", "--no-transition",
          "-p", "params.market.nothing=0:1", "--store", store], "no such scenario field"),
        (["calibrate", "toy", "--target", deaths, "-p", "params.population.nothing=0:1",
          "--model", "population", "--start-year", "2013", "--years", "11"],
         "no parameter 'params.population.nothing'"),
        (["calibrate", "toy", "--target", deaths, "--param", "x=1"], "NAME=LOW:HIGH[:START]"),
        (["sensitivity", "toy", "--param", "x=1"], "NAME=LOW:HIGH[:BASE]"),  # as its help
        (["calibrate", "toy", "--target", deaths, "--model", "population", "--years", "-3"],
         "field 'years': expected a horizon above 0 years, got -3"),
        (["calibrate", "toy", "--target", deaths, "--store", store],
         "needs calendar years"),
        (["calibrate", "toy", "--target", deaths, "--check", "--store", store],
         "--check runs the full simulation after a --model population fit"),
        (["calibrate", "toy", "--target", deaths, "--model", "agents"], "expected one of"),
        (["sensitivity", "toy", "-p", "params.population.p0=0.1:0.2", "--set",
          "network.generate.nothing=1"], "nothing"),
        (["sensitivity", "toy", "-p", "params.market.nothing=0:1", "--store", store],
         "no such scenario field"),
        (["sensitivity", "toy", "-p", "params.population.p0=0.1:0.2", "--method", "morris"],
         "tornado, lhs or sobol"),
        (["sensitivity", "toy", "-p", "params.population.p0=0.1:0.2", "--method", "sobol",
          "--samples", "50", "--store", store], "power of 2"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        assert message in capsys.readouterr().err, argv
    assert not (tmp_path / "s").exists()  # nothing ran


def test_a_parameter_without_effect_prints_its_search_range(capsys, tmp_path):
    # screening's gain does nothing without a screening in force: not identified, and its
    # interval is the search range in the table and every --out file (was 1.22 - 1.22)
    ref = fentanet.simulate("toy", seed=50)
    target = tmp_path / "target.csv"
    yearly = annual(ref.series, "deaths", start_year=None)
    target.write_text("year,deaths\n" + "".join(f"{y},{v}\n" for y, v in yearly.items()))
    out = tmp_path / "fit"
    rc = main(["calibrate", "toy", "--target", str(target), "--series", "deaths",
               "--param", "params.routes.screening_gain=0.5:3", "--no-transition",
               "--runs", "1", "--max-evaluations", "2", "--scheduler", "serial",
               "--store", str(tmp_path / "s"), "--out", str(out)])
    res = capsys.readouterr()
    assert rc == 0, res.err
    row = next(line for line in res.out.splitlines() if "screening_gain" in line)
    assert [c.strip() for c in row.split("│")[1:]] == ["1.22", "0.50", "3.00", "NO"]
    assert "no effect on them: the search bounds as interval" in " ".join(res.err.split())
    p = pd.read_csv(out / "parameters.csv").iloc[0]
    assert (p["low90"], p["high90"], p["sd_transformed"]) == (0.5, 3.0, float("inf"))
    assert not p["identified"]
    [q] = json.loads((out / "calibration.json").read_text())["parameters"]
    assert (q["low90"], q["high90"], q["sd_transformed"]) == (0.5, 3.0, None)
    assert "| 0.5 - 3 | 0.5 - 3 | no |" in (out / "calibration.md").read_text()


def test_calibrate_out_writes_checks_and_replaces_the_files_of_one_list(tmp_path, capsys):
    """calibrate --out's files come from one list (CALIBRATION_FILES): written with
    --check, every one; refused before the fit when a folder has one's name; a fit without
    --check removes the earlier check_full.csv (it stayed beside the new fit) and leaves
    the user's own files."""
    from fentanet.cli.calibrate import CALIBRATION_FILES

    deaths = tmp_path / "deaths.csv"
    deaths.write_text("year,deaths\n2021,100\n2022,110\n")
    out, store = tmp_path / "fit", tmp_path / "s"
    argv = ["calibrate", "toy", "--target", str(deaths), "--series", "fatal",
            "-p", "params.population.overdose_rate="
            "0.1:0.8", "--no-transition", "--model", "population", "--start-year", "2021",
            "--years", "2", "--runs", "1", "--max-evaluations", "2", "--scheduler", "serial",
            "--store", str(store), "--out", str(out)]
    assert main([*argv, "--check"]) == 0, capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == sorted(CALIBRATION_FILES) == [
        "calibration.json", "calibration.md", "check_full.csv", "fit.csv", "history.csv",
        "parameters.csv"]
    assert list(pd.read_csv(out / "check_full.csv").year) == [2021, 2022]
    (out / "notes.txt").write_text("mine\n")
    assert main(argv) == 0, capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == [
        "calibration.json", "calibration.md", "fit.csv", "history.csv", "notes.txt",
        "parameters.csv"]
    (out / "check_full.csv").mkdir()
    runs = len(RunStore(store).runs())
    assert main([*argv, "--check"]) == 2
    assert "check_full.csv: cannot write: is a folder" in capsys.readouterr().err
    assert len(RunStore(store).runs()) == runs  # refused before the fit and its check
