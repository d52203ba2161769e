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
