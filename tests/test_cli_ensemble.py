"""``fentanet simulate`` and ``fentanet compare`` with ``--runs``: the real toy scenario."""

from __future__ import annotations

import json

import numpy as np
import pytest

import fentanet
from fentanet.cli import main
from fentanet.store import RunStore


def cli_json(capsys, *argv: str):
    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_simulate_one_run_is_kept(capsys, tmp_path):
    res = cli_json(capsys, "simulate", "toy", "--years", "0.25", "--seed", "4",
                   "--store", str(tmp_path / "s"))
    assert res["finished"] == 1 and res["seeds"] == [4] and res["compare"] == []
    ref = fentanet.simulate("toy", seed=4, years=0.25)
    [row] = RunStore(tmp_path / "s").summary().to_dict("records")
    assert row["seed"] == 4 and row["deaths_total"] == ref.summary["deaths_total"]
    deaths = {r["metric"]: r["q50"] for r in res["summary"]}["deaths_total"]
    assert deaths == ref.summary["deaths_total"]


def test_simulate_a_strategy_alone(capsys, tmp_path):
    res = cli_json(capsys, "simulate", "toy", "--variant", "naloxone", "--runs", "2",
                   "--years", "0.25", "--scheduler", "serial", "--store", str(tmp_path / "s"))
    assert res["variants"] == ["naloxone"] and res["finished"] == 2


def test_compare_on_common_seeds_matches_fentanet_compare(capsys, tmp_path):
    res = cli_json(capsys, "compare", "toy", "naloxone", "--runs", "2", "--years", "0.75",
                   "--scheduler", "serial", "--store", str(tmp_path / "s"))
    assert res["variants"] == ["baseline", "naloxone"] and res["finished"] == 4
    toy = fentanet.scenarios.load("toy")
    # (named otherwise: fentanet.compare adds a strategy's interventions again when a
    # variant is named after it)
    averted = [fentanet.compare(toy, {"oracle": list(toy.strategies["naloxone"])}, seed,
                                years=0.75).table.loc["oracle", "deaths_averted"]
               for seed in (1, 2)]
    assert min(averted) > 0  # naloxone acts within the horizon
    row = next(r for r in res["compare"] if r["outcome"] == "deaths averted")
    assert row["mean"] == pytest.approx(np.mean(averted)) and row["seeds"] == 2


def test_compare_names_unknown_strategies(capsys, tmp_path):
    code = main(["compare", "toy", "teleport", "--store", str(tmp_path / "s")])
    err = capsys.readouterr().err
    assert code == 2 and "no strategy teleport" in err and "naloxone" in err


def test_sensitivity_tornado_of_the_toy(capsys, tmp_path):
    res = cli_json(capsys, "sensitivity", "toy", "--param", "params.market.elasticity=0.3:0.9",
                   "--runs", "2", "--years", "0.25", "--scheduler", "serial",
                   "--store", str(tmp_path / "s"))
    [row] = res["table"]
    assert row["parameter"] == "params.market.elasticity" and row["seeds"] == 2
    runs = RunStore(tmp_path / "s").runs(ensemble=res["ensemble"])
    assert len(runs) == 3 * 2  # base, low, high x 2 seeds
    assert row["swing"] == pytest.approx(row["change_high"] - row["change_low"])


def test_calibrate_wiring_on_the_toy(capsys, tmp_path):
    ref = fentanet.simulate("toy", seed=50)
    target = tmp_path / "target.csv"
    yearly = ref.series.groupby((ref.series.time + 1e-9).astype(int)).deaths.sum()
    target.write_text("year,deaths\n" + "".join(f"{y},{v}\n" for y, v in yearly.items()))
    res = cli_json(capsys, "calibrate", "toy", "--target", str(target), "--param",
                   "params.market.elasticity=0.3:0.9", "--runs", "1", "--max-evaluations",
                   "3", "--scheduler", "serial", "--store", str(tmp_path / "s"))
    [p] = res["params"]
    assert p["parameter"] == "params.market.elasticity" and 0.3 <= p["value"] <= 0.9
    assert [r["year"] for r in res["fit"]] == [0, 1]
    assert [r["observed"] for r in res["fit"]] == yearly.tolist()
    assert res["rmse_log_held_out"] is None and res["evaluations"] >= 3
