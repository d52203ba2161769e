"""Outputs of runs and ensembles (``--out``, ``Result.save``), and variants named after
strategies (the strategy is not added to an ad-hoc variant's own interventions)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import fentanet
from fentanet.cli import main
from fentanet.errors import InputError
from fentanet.scenarios import load
from fentanet.simulate.output import json_writer, jsonable, write_files
from fentanet.simulate.run import prepare
from fentanet.store import RunStore

YEARS = "0.25"


def _cli(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    assert code == 0, err
    return out, err


# ------------------------------------------------------------------ --out


def test_simulate_out_writes_the_run_bit_identical_to_the_python_api(tmp_path, capsys):
    out = tmp_path / "out"
    _cli(["simulate", "toy", "--years", YEARS, "--seed", "3", "--scheduler", "serial",
          "--store", str(tmp_path / "s"), "--out", str(out)], capsys)
    assert sorted(p.name for p in out.iterdir()) == ["series.parquet", "summary.csv",
                                                     "summary.json"]
    ref = fentanet.simulate("toy", seed=3, years=0.25)
    series = pd.read_parquet(out / "series.parquet")
    assert set(series.variant) == {"baseline"} and set(series.seed) == {3}
    pd.testing.assert_frame_equal(series[list(ref.series.columns)], ref.series,
                                  check_dtype=False)
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 1
    assert summary.loc[0, "deaths_total"] == pytest.approx(ref.summary["deaths_total"])
    doc = json.loads((out / "summary.json").read_text())
    assert doc["seeds"] == [3] and doc["finished"] == 1 and doc["failed"] == []
    assert doc["runs"][0]["supply_kg_total"] == pytest.approx(ref.summary["supply_kg_total"])


def test_compare_out_with_runs_writes_series_bands_and_comparison(tmp_path, capsys):
    out = tmp_path / "cmp"
    _cli(["compare", "toy", "--variant", "nal=naloxone:0.9", "--runs", "3", "--years", YEARS,
          "--scheduler", "serial", "--store", str(tmp_path / "s"), "--out", str(out),
          "--csv", "--json"], capsys)
    names = {p.name for p in out.iterdir()}
    assert names == {"series.parquet", "series.csv", "summary.csv", "summary.json",
                     "bands.parquet", "bands.csv", "summary_bands.csv", "compare.csv"}
    series = pd.read_parquet(out / "series.parquet")
    steps = series.step.nunique()
    assert len(series) == 2 * 3 * steps
    assert sorted(series.groupby(["variant", "seed"]).size().index.tolist()) == [
        (v, s) for v in ("baseline", "nal") for s in (1, 2, 3)]
    pd.testing.assert_frame_equal(pd.read_csv(out / "series.csv"), series,
                                  check_dtype=False, check_exact=False)
    # bands: the median over seeds of one series at one step, by hand
    bands = pd.read_parquet(out / "bands.parquet")
    last = series.step.max()
    deaths = series[(series.variant == "nal") & (series.step == last)].deaths
    row = bands[(bands.variant == "nal") & (bands.step == last) & (bands.metric == "deaths")]
    assert row.q50.item() == pytest.approx(np.median(deaths))
    assert row["mean"].item() == pytest.approx(deaths.mean()) and row.runs.item() == 3
    # the comparison: deaths averted per seed, mean over seeds, by hand
    summary = pd.read_csv(out / "summary.csv").set_index(["variant", "seed"])
    averted = (summary.loc["baseline", "deaths_total"]
               - summary.loc["nal", "deaths_total"]).mean()
    cmp = pd.read_csv(out / "compare.csv")
    got = cmp[(cmp.variant == "nal") & (cmp.outcome == "deaths averted")]["mean"].item()
    assert got == pytest.approx(averted)
    sb = pd.read_csv(out / "summary_bands.csv")
    q = sb[(sb.variant == "baseline") & (sb.metric == "deaths_total")].q50.item()
    assert q == pytest.approx(summary.loc["baseline", "deaths_total"].median())
    doc = json.loads((out / "summary.json").read_text())
    assert doc["variants"] == ["baseline", "nal"] and doc["seeds"] == [1, 2, 3]
    assert len(doc["runs"]) == 6 and "compare.csv" in doc["files"]
    # the baseline paid nothing for naloxone: 0, not missing, in every file (the bands
    # gave it NaN over 0 runs while the series and the summary held 0)
    assert (series[series.variant == "baseline"].cost_naloxone_usd == 0).all()
    assert (summary.loc["baseline", "cost_naloxone_usd_total"] == 0).all()
    assert (summary.loc["nal", "cost_naloxone_usd_total"] > 0).all()
    cost = bands[(bands.variant == "baseline") & (bands.metric == "cost_naloxone_usd")]
    assert len(cost) == steps and (cost.runs == 3).all()
    assert (cost[["mean", "q05", "q50", "q95"]] == 0).all().all()
    cost = sb[(sb.variant == "baseline") & (sb.metric == "cost_naloxone_usd_total")]
    assert cost.runs.item() == 3 and (cost[["mean", "q05", "q50", "q95"]] == 0).all().all()
    nal = summary.loc["nal", "cost_naloxone_usd_total"]
    cost = sb[(sb.variant == "nal") & (sb.metric == "cost_naloxone_usd_total")]
    assert cost.q50.item() == pytest.approx(nal.median()) and cost.runs.item() == 3
    assert not pd.read_csv(out / "bands.csv").isna().any().any()
    # a run saved into the same folder replaces the whole result: no stale bands, CSV or
    # comparison of the earlier one beside it (review s15, F3); a user's own file stays
    (out / "notes.txt").write_text("mine")
    _cli(["simulate", "toy", "--years", YEARS, "--seed", "9", "--scheduler", "serial",
          "--store", str(tmp_path / "s"), "--out", str(out)], capsys)
    assert {p.name for p in out.iterdir()} == {"series.parquet", "summary.csv",
                                               "summary.json", "notes.txt"}
    assert set(pd.read_parquet(out / "series.parquet").seed) == {9}
    assert (out / "notes.txt").read_text() == "mine"


def test_out_that_is_a_file_is_refused_before_running(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("keep me")
    assert main(["simulate", "toy", "--out", str(target), "--store",
                 str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "not a folder" in err
    assert target.read_text() == "keep me"
    assert not (tmp_path / "s").exists()  # refused before any run


@pytest.mark.parametrize("argv, name", [
    (["simulate", "toy"], "series.parquet"),
    (["simulate", "toy"], "series.csv"),  # written by --csv only: still a result's name
    (["compare", "toy", "naloxone", "--runs", "2"], "compare.csv"),
    (["calibrate", "toy", "--target", "{target}", "--model", "population"], "fit.csv"),
    (["sensitivity", "toy", "--param", "params.market.elasticity=0.3:0.8"],
     "sensitivity_tornado.csv"),
    (["sweep", "toy", "--param", "params.market.elasticity=0.3,0.8"], "bands.parquet"),
])
def test_an_out_holding_a_folder_named_like_an_output_is_refused_before_running(
        tmp_path, capsys, argv, name):
    # the runs were made and stored, then the save failed on the folder
    (tmp_path / "od" / name).mkdir(parents=True)
    target = tmp_path / "t.csv"
    target.write_text("year,deaths\n2019,1\n2020,2\n")
    argv = [a.format(target=target) for a in argv]
    assert main([*argv, "--out", str(tmp_path / "od"), "--store", str(tmp_path / "s")]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert err == (f"error: {tmp_path / 'od' / name}: cannot write: is a folder, not a file; "
                   "--out writes a file of this name: move or rename the folder")
    assert not (tmp_path / "s").exists()  # refused before any run


def test_sweep_out_writes_the_sweep_parameters_as_columns(tmp_path, capsys):
    # sweep had no --out: the sweep columns outputs.md describes were reached only through
    # runs export or Python
    out = tmp_path / "sw"
    assert main(["sweep", "toy", "--param", "params.market.elasticity=0.3,0.8", "--runs", "2",
                 "--years", "0.25", "--scheduler", "serial", "--store", str(tmp_path / "s"),
                 "--out", str(out), "--csv"]) == 0
    assert "wrote series.parquet, series.csv" in capsys.readouterr().out
    assert {p.name for p in out.iterdir()} == {
        "series.parquet", "series.csv", "summary.csv", "summary.json", "bands.parquet",
        "bands.csv", "summary_bands.csv"}
    series = pd.read_parquet(out / "series.parquet")
    key = "params.market.elasticity"
    assert sorted(set(zip(series[key], series.seed, strict=True))) == [
        (0.3, 1), (0.3, 2), (0.8, 1), (0.8, 2)]
    assert len(series) == 4 * 13 and series.equals(
        pd.read_csv(out / "series.csv")[series.columns].astype(series.dtypes))
    summary = pd.read_csv(out / "summary.csv")
    assert sorted(summary[key]) == [0.3, 0.3, 0.8, 0.8]
    stored = RunStore(tmp_path / "s").summary()
    assert sorted(summary.run_id) == sorted(stored.run_id)
    assert json.loads((out / "summary.json").read_text())["seeds"] == [1, 2]


def test_an_export_to_a_folder_holding_its_file_name_as_a_folder_is_refused(tmp_path, capsys):
    (tmp_path / "exp" / "runs.csv").mkdir(parents=True)
    assert main(["runs", "export", "--to", str(tmp_path / "exp"), "--format", "csv",
                 "--store", str(tmp_path / "none")]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert err == (f"error: {tmp_path / 'exp' / 'runs.csv'}: cannot write: is a folder, not "
                   "a file; --out writes a file of this name: move or rename the folder")


def test_an_invalid_ad_hoc_variant_is_refused_before_running(tmp_path, capsys):
    assert main(["compare", "toy", "--variant", "nal=naloxone:2", "--store",
                 str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "'nal'" in err and "[0, 1]" in err
    assert not (tmp_path / "s").exists()


def test_write_files_is_all_or_none(tmp_path):
    folder = tmp_path / "o"
    folder.mkdir()
    (folder / "summary.csv").write_text("old")

    def broken(path):
        raise OSError(28, "No space left on device")

    with pytest.raises(InputError, match="No space left") as exc:
        write_files(folder, {"summary.csv": lambda p: p.write_text("new"),
                             "series.parquet": broken})
    assert exc.value.file == str(folder / "series.parquet")
    assert sorted(p.name for p in folder.iterdir()) == ["summary.csv"]  # no temporaries
    assert (folder / "summary.csv").read_text() == "old"
    # a folder made for the outputs is removed again when they fail
    fresh = tmp_path / "fresh"
    with pytest.raises(InputError):
        write_files(fresh, {"a.parquet": broken})
    assert not fresh.exists()
    # an output name taken by a folder is refused before any file is replaced
    (folder / "series.parquet").mkdir()
    with pytest.raises(InputError) as exc:
        write_files(folder, {"summary.csv": lambda p: p.write_text("new"),
                             "series.parquet": lambda p: p.write_text("new")})
    assert str(exc.value) == (f"{folder / 'series.parquet'}: cannot write: is a folder, not "
                              "a file; --out writes a file of this name: move or rename the "
                              "folder")
    assert sorted(p.name for p in folder.iterdir()) == ["series.parquet", "summary.csv"]
    assert (folder / "summary.csv").read_text() == "old"
    # strict JSON: NaN and infinities become null
    write_files(fresh, {"d.json": json_writer({"a": np.nan, "b": np.float64(2.5),
                                               "c": [np.inf, 1]})})
    assert json.loads((fresh / "d.json").read_text()) == {"a": None, "b": 2.5,
                                                           "c": [None, 1]}


def test_result_and_comparison_save(tmp_path):
    r = fentanet.simulate("toy", seed=2, years=0.25)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "compare.csv").write_text("an earlier comparison\n")
    (tmp_path / "run" / "summary.json").write_text('{"scenario": "toy", "compare": []}')
    (tmp_path / "run" / "bands.csv").mkdir()  # not a file: left alone
    written = r.save(tmp_path / "run", csv=True)
    assert not (tmp_path / "run" / "compare.csv").exists()  # the earlier result's
    assert (tmp_path / "run" / "bands.csv").is_dir()
    assert [p.name for p in written] == ["series.parquet", "series.csv", "summary.csv",
                                         "summary.json"]
    back = pd.read_parquet(tmp_path / "run" / "series.parquet")
    pd.testing.assert_frame_equal(back.drop(columns=["variant", "seed"]), r.series)
    doc = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert doc["digest"] == r.scenario.digest() and doc["seed"] == 2
    assert doc["summary"]["deaths_total"] == pytest.approx(r.summary["deaths_total"])
    assert r.to_parquet(tmp_path / "s.parquet").stat().st_size > 0
    assert pd.read_csv(r.to_csv(tmp_path / "s.csv")).shape == back.shape

    cmp = fentanet.compare("toy", {"nal": [{"kind": "naloxone", "intensity": 0.9}]},
                           seed=2, years=0.25)
    cmp.save(tmp_path / "cmp")
    series = pd.read_parquet(tmp_path / "cmp" / "series.parquet")
    costs = [c for c in series.columns if c.startswith("cost_")]
    assert costs and not series[costs].isna().any().any()  # a variant without one pays 0
    assert (series[series.variant == "baseline"].cost_naloxone_usd == 0).all()
    assert not pd.read_csv(tmp_path / "cmp" / "summary.csv").filter(like="cost_").isna().any(
        ).any()
    assert series.groupby("variant").size().to_dict() == {"baseline": len(r.series),
                                                          "nal": len(r.series)}
    table = pd.read_csv(tmp_path / "cmp" / "compare.csv").set_index("variant")
    assert table.loc["nal", "deaths_averted"] == pytest.approx(
        cmp.results["baseline"].summary["deaths_total"]
        - cmp.results["nal"].summary["deaths_total"])
    assert table.loc["nal", "overdose_deaths_averted"] == pytest.approx(
        cmp.results["baseline"].summary["overdose_deaths_total"]
        - cmp.results["nal"].summary["overdose_deaths_total"])


# ------------------------------------------------------------------ variant names


def _kinds(sc):
    return [iv.kind for iv in sc.interventions]


def test_a_variant_named_after_a_strategy_runs_only_its_own_interventions():
    # the strategy by its name alone
    assert _kinds(prepare("toy", variant="lab-raids")) == ["lab_raids"]
    # an ad-hoc variant of that name: its interventions, not the strategy's as well
    own = prepare("toy", variant="lab-raids", interventions=[{"kind": "naloxone"}])
    assert _kinds(own) == ["naloxone"]
    twice = prepare("toy", variant="lab-raids", interventions=[{"kind": "lab_raids"}])
    assert _kinds(twice) == ["lab_raids"]
    # an empty list is a label only
    assert _kinds(prepare("toy", variant="lab-raids", interventions=[])) == []


def test_compare_cli_variant_named_after_a_strategy(tmp_path, capsys):
    store = tmp_path / "s"
    _cli(["compare", "toy", "--variant", "lab-raids=naloxone:1", "--years", YEARS,
          "--scheduler", "serial", "--store", str(store), "--json"], capsys)
    from fentanet.store import RunStore

    runs = RunStore(store).runs().set_index("variant")
    expect = prepare(load("toy").override({"years": 0.25}),
                     interventions=[{"kind": "naloxone", "start": 0.0, "intensity": 1.0}])
    assert runs.loc["lab-raids", "digest"] == expect.digest()


def test_python_compare_variant_named_after_a_strategy():
    cmp = fentanet.compare("toy", {"naloxone": [{"kind": "lab_raids", "start": 0.0}],
                                   "border": {"params.adaptation.entry": False}},
                           seed=1, years=0.1)
    assert _kinds(cmp.results["naloxone"].scenario) == ["lab_raids"]
    assert _kinds(cmp.results["border"].scenario) == []


def test_demo_strategies_are_not_added_to_the_scenarios_of_the_same_name(tmp_path):
    # the demo runs its strategies as an ensemble's variants given by interventions
    from fentanet.ensemble import ensemble

    assert "lab-raids" in load("toy").strategies
    ens = ensemble("toy", 1, variants={"lab-raids": [{"kind": "naloxone", "start": 0.0}]},
                   overrides={"years": 0.1}, scheduler="serial", store=tmp_path / "s",
                   progress=False)
    setup = ens.runs().set_index("variant").setup
    assert [i["kind"] for i in setup["lab-raids"]["interventions"]] == ["naloxone"]
    assert setup["baseline"]["interventions"] == []


def test_jsonable_gives_strict_json_values():
    frame = pd.DataFrame({"a": [1.0, float("nan")], "b": ["x", "y"]})
    value = {1: np.float64(2.5), "arr": np.array([1, 2]), "inf": -math.inf, "na": pd.NA,
             "t": pd.Timestamp("2020-01-02"), "frame": frame, "flag": np.bool_(True),
             "nested": (np.int64(3), [np.nan])}
    got = jsonable(value)
    assert got == {"1": 2.5, "arr": [1, 2], "inf": None, "na": None, "t": "2020-01-02T00:00:00",
                   "frame": [{"a": 1.0, "b": "x"}, {"a": None, "b": "y"}], "flag": True,
                   "nested": [3, [None]]}
    assert type(got["arr"][0]) is int and type(got["flag"]) is bool
    json.dumps(got, allow_nan=False)


def test_an_intervention_after_the_horizon_is_warned_about():
    with pytest.warns(UserWarning, match="naloxone start.* after the horizon of 0.5 years"):
        r = fentanet.simulate("toy", seed=1, years=0.5,
                              interventions=[{"kind": "naloxone", "start": 0.75}])
    assert r.summary["intervention_cost_usd_total"] == 0


def test_both_compare_csv_layouts_are_the_ones_outputs_md_documents(tmp_path):
    # two writers, one name: the wide one-seed table and the long one with intervals
    import re
    from pathlib import Path

    doc = (Path(__file__).parents[1] / "docs" / "outputs.md").read_text(encoding="utf-8")
    section = doc[doc.index("- *Long, with intervals"):doc.index("The name stays")]
    long_doc, wide_doc = section.split("- *Wide, one seed*")

    def columns(text: str) -> list[str]:
        return list(dict.fromkeys(re.findall(r"`([a-z_0-9]+)`", text)))

    fentanet.compare("toy", ["naloxone"], years=0.25).save(tmp_path / "wide")
    wide = pd.read_csv(tmp_path / "wide" / "compare.csv")
    assert list(wide.variant) == ["baseline", "naloxone"]
    assert [c for c in columns(wide_doc) if c in wide.columns] == list(wide.columns)
    ens = fentanet.ensemble("toy", runs=2, years=0.25, variants=["naloxone"],
                            store=tmp_path / "s", scheduler="serial", progress=False)
    ens.save(tmp_path / "long")
    long = pd.read_csv(tmp_path / "long" / "compare.csv")
    assert set(long.variant) == {"naloxone"} and "deaths averted" in set(long.outcome)
    assert [c for c in columns(long_doc) if c in long.columns] == list(long.columns)
    assert set(long.columns) <= set(columns(long_doc))
    assert set(wide.columns) <= set(columns(wide_doc))


def test_a_run_given_interventions_without_a_name_is_not_labelled_baseline(tmp_path):
    # its series and summary files said variant "baseline", the label of the run without
    # them (review s20, api)
    nal = fentanet.simulate("toy", seed=3, years=0.1,
                            interventions=[{"kind": "naloxone", "intensity": 0.5}])
    assert nal.variant == "ad-hoc"
    nal.save(tmp_path / "nal")
    assert set(pd.read_parquet(tmp_path / "nal" / "series.parquet").variant) == {"ad-hoc"}
    assert pd.read_csv(tmp_path / "nal" / "summary.csv").variant.tolist() == ["ad-hoc"]
    assert fentanet.simulate("toy", seed=3, years=0.1, interventions=[]).variant is None
