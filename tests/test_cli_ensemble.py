"""``fentanet simulate`` and ``fentanet compare`` with ``--runs``: the real toy scenario."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
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
    have = ", ".join(fentanet.scenarios.load("toy").strategies)
    assert code == 2 and err == (f"error: field 'variants': scenario 'toy' has no strategy "
                                 f"'teleport'; it has {have} (give other variants as "
                                 "interventions or overrides)\n")  # as fentanet.simulate's


def test_a_stored_run_is_made_again_from_its_record(capsys, tmp_path):
    from fentanet.ensemble import rerun

    store = str(tmp_path / "s")
    res = cli_json(capsys, "compare", "toy", "naloxone", "--variant",
                   "adhoc=prevention_treatment:0.4", "--runs", "1", "--years", "0.3", "--seed", "5",
                   "--scheduler", "serial", "--store", store)
    assert res["variants"] == ["baseline", "naloxone", "adhoc"]
    st = RunStore(store)
    runs = st.runs().set_index("variant")
    toy = fentanet.scenarios.load("toy")
    strategy = [i.model_dump(mode="json", exclude_defaults=True)
                for i in toy.strategies["naloxone"]]
    assert runs.loc["naloxone", "setup"] == {"scenario": "toy", "overrides": {"years": 0.3},
                                             "interventions": strategy}
    assert runs.loc["adhoc", "setup"]["interventions"] == [{"kind": "prevention_treatment",
                                                            "intensity": 0.4}]
    assert runs.loc["baseline", "setup"]["interventions"] == []
    for _, row in runs.iterrows():
        again = rerun(row.run_id, st)
        assert again.scenario.digest() == row.digest
        stored = st.series([row.run_id]).drop(columns=["run_id", "variant", "seed"])
        pd.testing.assert_frame_equal(stored, again.series, check_dtype=False)
    shown = cli_json(capsys, "runs", "show", runs.loc["adhoc", "run_id"], "--store", store)
    assert shown["setup"]["overrides"] == {"years": 0.3}


def test_a_sweep_point_is_in_the_setup_and_a_changed_scenario_is_refused(tmp_path):
    from fentanet.ensemble import ensemble, rerun
    from fentanet.errors import InputError

    yaml_file = tmp_path / "mine.yaml"
    yaml_file.write_text(fentanet.scenarios.path("toy").read_text())
    ens = ensemble(str(yaml_file), 1, sweep={"params.market.elasticity": [0.45]},
                   overrides={"years": 0.2}, scheduler="serial", store=tmp_path / "s",
                   progress=False)
    [row] = ens.runs().itertuples()
    assert row.setup["scenario"] == str(yaml_file.resolve())
    assert row.setup["overrides"] == {"years": 0.2, "params.market.elasticity": 0.45}
    pd.testing.assert_frame_equal(
        ens.store.series([row.run_id]).drop(columns=["run_id", "variant", "seed"]),
        rerun(row.run_id, ens.store).series, check_dtype=False)
    yaml_file.write_text(yaml_file.read_text().replace("name: toy", "name: toy2"))
    with pytest.raises(InputError, match="has changed since the run"):
        rerun(row.run_id, ens.store)


@pytest.mark.slow
def test_ctrl_c_on_a_local_cluster_keeps_a_consistent_store(tmp_path):
    """Ctrl-C in a terminal (SIGINT to the whole process group) during an ensemble on the
    local cluster: one message, no worker tracebacks, every written run in the catalog."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    store = tmp_path / "s"
    src = str(Path(fentanet.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "fentanet", "simulate", "toy", "--runs",
                             "60", "--years", "0.3", "--workers", "2", "--scheduler", "local",
                             "--store", str(store)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)
    try:
        end = time.monotonic() + 240
        while time.monotonic() < end and proc.poll() is None:
            if len(list((store / "series").glob("*.parquet"))) >= 3:
                break
            time.sleep(0.1)
        assert proc.poll() is None, proc.communicate()
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130 and "Traceback" not in err, err
    written = len(list((store / "manifests").glob("*.json")))  # runs complete on disk
    assert f"interrupted: {written} of 60 runs finished and kept" in err
    st = RunStore(store)
    assert len(st.runs()) == written and st.check().ok


@pytest.mark.slow
def test_sigterm_stops_an_ensemble_as_ctrl_c_does(tmp_path):
    """SIGTERM (kill, a batch system's time limit) ended the process at once, without a
    word, and the runs finished since the last registration were left out of the catalog
    until `runs rebuild`; now it keeps them as a Ctrl-C does, and exits 143."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    store = tmp_path / "s"
    src = str(Path(fentanet.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "fentanet", "simulate", "toy", "--runs",
                             "200", "--years", "0.25", "--scheduler", "serial",
                             "--store", str(store)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)
    try:
        end = time.monotonic() + 240
        while time.monotonic() < end and proc.poll() is None:
            if len(list((store / "manifests").glob("*.json"))) >= 3:
                break
            time.sleep(0.02)
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 143 and "Traceback" not in err, (proc.returncode, err)
    written = len(list((store / "manifests").glob("*.json")))
    assert f"interrupted: {written} of 200 runs finished and kept" in err
    st = RunStore(store)
    assert len(st.runs()) == written and st.check().ok


def test_sigterm_is_an_interrupt_with_status_143(monkeypatch, capsys):
    """The CLI's SIGTERM handler calls the SIGINT handler in place (an ensemble's), so a
    SIGTERM stops a command where a Ctrl-C would, and the status says which it was."""
    import signal

    import fentanet.cli.network as network_cli

    def info(*a, **k):
        signal.raise_signal(signal.SIGTERM)
        raise AssertionError("not stopped")

    def unhandled(signum, frame):  # what the process did before: stop, no handler
        raise SystemExit("SIGTERM not handled")

    monkeypatch.setattr(network_cli, "load_network", info)
    previous = signal.signal(signal.SIGTERM, unhandled)
    try:
        code = main(["info", "caviar"])
        assert signal.getsignal(signal.SIGTERM) is unhandled  # restored
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert code == 143 and capsys.readouterr().err.strip().endswith("interrupted")


@pytest.mark.parametrize("where", ["print_ensemble", "save_outputs"])
def test_ctrl_c_after_the_runs_says_where_they_are_kept(tmp_path, capsys, monkeypatch, where):
    """A Ctrl-C while the tables print or --out is written exited 130 without a word
    (typer turns it into Exit(130) before main's own handler could say 'interrupted')."""
    import fentanet.cli.runs as runs_cli
    import fentanet.cli.simulate as simulate_cli

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(runs_cli if where == "print_ensemble" else simulate_cli, where,
                        interrupted)
    store = tmp_path / "s"
    code = main(["compare", "toy", "naloxone", "--runs", "2", "--years", "0.25",
                 "--scheduler", "serial", "--store", str(store), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    ens = RunStore(store).runs().ensemble_id.iloc[0]
    assert code == 130 and "Traceback" not in err
    assert err.splitlines()[-1] == (f"interrupted after the runs: 4 run(s) kept in {store} "
                                    f"(ensemble {ens})")


def test_ctrl_c_outside_the_runs_says_interrupted(capsys, monkeypatch):
    import fentanet.cli.simulate as simulate_cli

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(simulate_cli, "_with_defaults", interrupted)
    assert main(["scenario", "show", "toy"]) == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_the_runs_line_counts_one_run_as_one(capsys, tmp_path):
    # it said '1 runs finished' (review s19, docssim)
    assert main(["simulate", "toy", "--years", "0.1", "--store", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    assert "toy: 1 run finished, 0 failed; seeds 1..1; ensemble " in out
    assert main(["simulate", "toy", "--years", "0.1", "--runs", "2", "--scheduler", "serial",
                 "--store", str(tmp_path / "s")]) == 0
    assert "toy: 2 runs finished, 0 failed; seeds 1..2; ensemble " in capsys.readouterr().out
