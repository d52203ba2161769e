"""``fentanet runs list|show|export|delete|check|rebuild`` and ``fentanet sweep``."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from ensemble_standin import StandInScenario, simulate
from fentanet.cli import main
from fentanet.cli.runs import parse_param
from fentanet.ensemble import ensemble
from fentanet.errors import InputError
from fentanet.store import RunRecord, RunStore, StoreError


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def cli_json(capsys, *argv: str):
    code, out, err = cli(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def filled(tmp_path):
    """A store with one comparison ensemble of the stand-in model: 2 variants x 3 seeds."""
    ens = ensemble(StandInScenario(), 3, variants={"naloxone": [{"kind": "naloxone",
                                                                 "intensity": 0.5}]},
                   scheduler="serial", store=tmp_path / "runs", progress=False,
                   model=simulate)
    return str(tmp_path / "runs"), ens


def test_runs_list_and_filters(capsys, filled):
    store, ens = filled
    runs = cli_json(capsys, "runs", "list", "--store", store)
    assert len(runs) == 6 and {r["variant"] for r in runs} == {"baseline", "naloxone"}
    assert {r["ensemble_id"] for r in runs} == {ens.id}
    assert json.loads(json.dumps(runs[0]["params"])) == {}
    only = cli_json(capsys, "runs", "list", "--store", store, "--variant", "naloxone")
    assert sorted(r["seed"] for r in only) == [1, 2, 3]
    code, out, _ = cli(capsys, "runs", "list", "--store", store, "--limit", "2")
    assert code == 0 and "runs in" in out


def test_runs_show_a_run_and_an_ensemble(capsys, filled):
    store, ens = filled
    row = ens.summary().iloc[0]
    shown = cli_json(capsys, "runs", "show", row.run_id[:8], "--store", store)
    assert shown["run_id"] == row.run_id and shown["seed"] == row.seed
    assert shown["summary"]["deaths_total"] == row.deaths_total
    assert shown["status"] == "done" and shown["series_rows"] == 8
    whole = cli_json(capsys, "runs", "show", ens.id, "--store", store)
    assert whole["finished"] == 6 and whole["variants"] == ["baseline", "naloxone"]
    averted = next(r for r in whole["compare"] if r["outcome"] == "deaths averted")
    assert averted["mean"] == pytest.approx(ens.compare().set_index("outcome")
                                            .loc["deaths averted", "mean"])
    code, out, _ = cli(capsys, "runs", "show", ens.id, "--store", store)
    assert code == 0 and "averted" in out


def test_runs_export_and_delete(capsys, filled, tmp_path):
    store, ens = filled
    ids = ens.summary().run_id.tolist()
    res = cli_json(capsys, "runs", "export", ids[0], ids[1], "--to", str(tmp_path / "out"),
                   "--format", "csv", "--store", store)
    assert res["runs"] == 2
    runs, series = pd.read_csv(res["files"]["runs"]), pd.read_csv(res["files"]["series"])
    assert sorted(runs.run_id) == sorted(ids[:2])
    assert len(series) == 2 * 8 and set(series.run_id) == set(ids[:2])
    assert cli_json(capsys, "runs", "delete", ids[0], "--yes", "--store", store) == {"deleted": 1}
    assert cli_json(capsys, "runs", "delete", "--variant", "naloxone", "-y", "--store", store) \
        == {"deleted": 3}
    left = cli_json(capsys, "runs", "list", "--store", store)
    assert sorted(r["run_id"] for r in left) == sorted(
        set(ens.runs().query("variant == 'baseline'").run_id) - {ids[0]})
    assert cli_json(capsys, "runs", "check", "--store", store)["ok"] is True
    assert cli_json(capsys, "runs", "rebuild", "--store", store)["runs"] == 2
    # one run is one run
    code, out, _ = cli(capsys, "runs", "export", ids[1], "--to", str(tmp_path / "one"),
                       "--store", store)
    assert code == 0 and out.startswith("exported 1 run to "), out
    code, out, _ = cli(capsys, "runs", "delete", ids[1], "--yes", "--store", store)
    assert code == 0 and out.startswith("deleted 1 run from "), out


def test_runs_export_keeps_the_folder_when_a_file_cannot_be_written(capsys, filled,
                                                                    tmp_path):
    """The audit's finding 1, its repro: series.csv is a folder; runs.csv was replaced
    before the error. Now nothing is replaced, and ``--to`` naming a file says it must be
    a folder (it said 'File exists')."""
    store, _ = filled
    out = tmp_path / "expart"
    (out / "series.csv").mkdir(parents=True)
    (out / "runs.csv").write_text("OLD RUNS\n")
    code, _, err = cli(capsys, "runs", "export", "--out", str(out), "--store", store,
                       "--format", "csv")
    assert (code, err) == (2, f"error: {out / 'series.csv'}: cannot write: is a folder, "
                              f"not a file; --out writes a file of this name: move or rename "
                              f"the folder\n")
    assert (out / "runs.csv").read_text() == "OLD RUNS\n"
    assert sorted(p.name for p in out.iterdir()) == ["runs.csv", "series.csv"]
    (tmp_path / "afile").write_text("x")
    code, _, err = cli(capsys, "runs", "export", "--to", str(tmp_path / "afile"), "--store",
                       store)
    assert (code, err) == (2, f"error: {tmp_path / 'afile'}: exists and is not a folder; "
                              f"expected a folder for --out\n")


def test_runs_export_to_a_folder_whose_parents_are_missing_says_to_make_them(
        capsys, filled, tmp_path):
    """Review s11 finding 5: ``--to a/b/c`` made the missing parents before session 11 and
    is refused since, as ``--out`` is (a typo would make folders wherever it points); the
    error says so and what to do, and nothing is made. The folder itself is made."""
    store, _ = filled
    code, _, err = cli(capsys, "runs", "export", "--to", str(tmp_path / "exp" / "sub" / "dir"),
                       "--store", store, "--format", "csv")
    assert (code, err) == (2, f"error: {tmp_path / 'exp' / 'sub'}: the folder does not exist "
                              "(for --out); only the last folder of the path is made, never "
                              "missing parents (a typo would make folders wherever it "
                              "points): make them first\n")
    assert not (tmp_path / "exp").exists()
    (tmp_path / "exp" / "sub").mkdir(parents=True)
    code, out, _ = cli(capsys, "runs", "export", "--out", str(tmp_path / "exp" / "sub" / "dir"),
                       "--store", store, "--format", "csv")
    assert code == 0 and (tmp_path / "exp" / "sub" / "dir" / "runs.csv").exists(), out


def test_runs_errors_exit_2_with_one_line(capsys, filled, tmp_path):
    store, _ = filled
    code, _, err = cli(capsys, "runs", "show", "zzzz", "--store", store)
    assert code == 2 and err.startswith("error: no run 'zzzz'")
    code, _, err = cli(capsys, "runs", "list", "--store", str(tmp_path / "nowhere"))
    assert code == 2 and "no run store" in err
    code, _, err = cli(capsys, "runs", "delete", "--store", store)
    assert code == 2 and "needs run ids or a filter" in err


def test_delete_without_yes_and_no_answer_or_no_is_a_refusal_with_exit_1(
        capsys, filled, monkeypatch):
    # EOF at the prompt (a script) printed 'aborted' and exited 130, Ctrl-C's status
    import io

    store, ens = filled
    rid = ens.summary().run_id.iloc[0]
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, out, err = cli(capsys, "runs", "delete", rid, "--store", store)
    assert (code, out) == (1, "")
    assert err.endswith("This cannot be undone [y/N]: \nnothing deleted: no answer to the "
                        "question (standard input is not a terminal); run the command in a "
                        "terminal, or give --yes\n")
    monkeypatch.setattr("sys.stdin", io.StringIO("what\nn\n"))
    code, out, err = cli(capsys, "runs", "delete", rid, "--store", store)
    assert (code, out) == (1, "") and "[y/N]: answer y or n\n" in err
    assert err.endswith("[y/N]: nothing deleted\n")
    assert rid in set(RunStore(store).runs().run_id)
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    code, out, _ = cli(capsys, "runs", "delete", rid, "--store", store)
    assert code == 0 and out.startswith("deleted 1 run from ")
    assert rid not in set(RunStore(store).runs().run_id)


def test_runs_check_reports_damage_with_exit_1(capsys, filled):
    store, ens = filled
    rid = ens.summary().run_id.iloc[0]
    path = RunStore(store).series_path(rid)
    path.write_bytes(path.read_bytes()[:-30] + b"\0" * 30)
    code, out, _ = cli(capsys, "runs", "check", "--store", store, "--json")
    report = json.loads(out)
    assert code == 1 and report["ok"] is False and report["damaged"][0][0] == rid


def test_parse_param():
    assert parse_param("params.market.elasticity=0.3,0.5,yes,abc") == (
        "params.market.elasticity", [0.3, 0.5, True, "abc"])
    assert parse_param("x=0:1:3") == ("x", [0.0, 0.5, 1.0])
    for bad in ("x", "=1,2", "x="):
        with pytest.raises(InputError, match="name=v1,v2"):
            parse_param(bad)


def test_sweep_of_the_toy_scenario(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FENTANET_STORE", raising=False)
    res = cli_json(capsys, "sweep", "toy", "--param", "params.market.elasticity=0.3,0.8",
                   "--runs", "2", "--years", "0.25", "--scheduler", "serial")
    assert res["finished"] == 4 and res["sweep"] == ["params.market.elasticity"]
    store = RunStore()  # the default store, ./fentanet-runs
    assert store.root == tmp_path.joinpath("fentanet-runs").relative_to(tmp_path)
    summary = store.summary(ensemble=res["ensemble"])
    assert sorted(summary["params.market.elasticity"]) == [0.3, 0.3, 0.8, 0.8]
    assert sorted(summary.seed) == [1, 1, 2, 2]
    medians = {(r["params.market.elasticity"], r["metric"]): r["q50"] for r in res["summary"]}
    for e in (0.3, 0.8):
        want = summary[summary["params.market.elasticity"] == e].deaths_total.median()
        assert medians[(e, "deaths_total")] == want


def _store_with_ensembles(root, *ensemble_ids: str) -> RunStore:
    """A store holding one failed run (no series) per given ensemble id."""
    st = RunStore(root)
    for i, eid in enumerate(ensemble_ids):
        st.add(RunRecord(run_id=f"run{i:04d}", scenario="toy", seed=i, status="failed",
                         ensemble_id=eid, error="stand-in"))
    return st


@pytest.mark.parametrize("command", [["export", "--to", "{out}"], ["delete", "--yes"],
                                     ["delete"]])
@pytest.mark.parametrize(("filters", "message"), [
    (["--ensemble", "nosuch"], "error: no ensemble 'nosuch' in the store {store}\n"),
    (["--variant", "nosuch"],
     "error: no run matches --variant nosuch in the store {store}; nothing {done}\n"),
    (["--ensemble", "{eid}", "--scenario", "other", "--variant", "naloxone"],
     "error: no run matches --scenario other --variant naloxone --ensemble {eid} in the "
     "store {store}; nothing {done}\n"),
])
def test_export_and_delete_of_nothing_are_refused(capsys, filled, tmp_path, command,
                                                  filters, message):
    """They printed 'exported 0 runs' (writing two empty files) or 'deleted 0 runs', exit 0."""
    store, ens = filled
    out = tmp_path / "out"
    fill = dict(out=out, store=RunStore(store).root, eid=ens.id,
                done="exported" if command[0] == "export" else "deleted")
    argv = [a.format(**fill) for a in ["runs", *command, *filters, "--store", store]]
    code, stdout, err = cli(capsys, *argv)
    assert (code, stdout) == (2, "")
    assert err == message.format(**fill)
    assert not out.exists()
    assert len(RunStore(store)) == 6


def test_an_ensemble_id_prefix_resolves_as_run_id_prefixes_do(capsys, filled, tmp_path):
    store, ens = filled
    out = tmp_path / "out"
    res = cli_json(capsys, "runs", "export", "--ensemble", ens.id[:6], "--variant",
                   "naloxone", "--to", str(out), "--format", "csv", "--store", store)
    assert res["runs"] == 3
    assert set(pd.read_csv(out / "runs.csv").ensemble_id) == {ens.id}
    listed = cli_json(capsys, "runs", "list", "--ensemble", ens.id[:4], "--store", store)
    assert len(listed) == 6
    shown = cli_json(capsys, "runs", "show", ens.id[:5], "--store", store)
    assert shown["ensemble"] == ens.id and shown["finished"] == 6
    assert cli_json(capsys, "runs", "delete", "--ensemble", ens.id[:6], "--variant",
                    "baseline", "-y", "--store", store) == {"deleted": 3}
    assert len(RunStore(store)) == 3


def test_an_ambiguous_ensemble_prefix_lists_the_candidates(capsys, tmp_path):
    st = _store_with_ensembles(tmp_path / "s", "abc1000000000000", "abc2000000000000",
                               "ffff000000000000")
    for command in (["export", "--to", str(tmp_path / "out")], ["delete", "-y"], ["list"]):
        code, stdout, err = cli(capsys, "runs", *command, "--ensemble", "abc",
                                "--store", str(st.root))
        assert (code, stdout) == (2, "")
        assert err == ("error: ensemble id prefix 'abc' is ambiguous: it matches "
                       "abc1000000000000, abc2000000000000\n")
    assert not (tmp_path / "out").exists() and len(st) == 3
    assert st.resolve_ensemble("ff") == "ffff000000000000"
    assert st.resolve_ensemble("abc1000000000000") == "abc1000000000000"
    with pytest.raises(StoreError, match="no ensemble '' in the store"):
        st.resolve_ensemble("")


def test_runs_export_names_its_folder_out_as_every_command(capsys, filled, tmp_path):
    """Review s20 (cli): runs export's folder was --to, the option that names the output
    format in convert and generate; it is --out, as in every other command (--to still
    works), and given both it is refused as any option given twice."""
    store, _ = filled
    code, _, err = cli(capsys, "runs", "export", "--out", str(tmp_path / "a"), "--store",
                       store, "--format", "csv")
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["runs.csv", "series.csv"]
    code, _, err = cli(capsys, "runs", "export", "--out", str(tmp_path / "b"), "--to",
                       str(tmp_path / "c"), "--store", store)
    assert (code, err) == (2, f"error: field '--out': given twice (--out {tmp_path / 'b'} "
                              f"and --to {tmp_path / 'c'}); give it once\n")
