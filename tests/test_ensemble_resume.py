"""An interrupted ensemble is resumed from the plan it kept when it started
(``plans/<id>.json``): the runs not in the store are made with the same ids, seeds,
variants, sweep points and uncertain values, into the same ensemble, and its tables are
those of the same ensemble made without the interruption, bit for bit (session 22)."""

from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest

import fentanet.build
from ensemble_standin import StandInScenario, simulate
from fentanet.cli import main
from fentanet.ensemble import EnsembleInterrupted, ensemble, resume
from fentanet.ensemble import runner as runner_mod
from fentanet.ensemble.plan import Variant, plan
from fentanet.errors import InputError, RunWarning
from fentanet.store import RunRecord, RunStore

TOY = dict(runs=3, variants={"nal": [{"kind": "naloxone", "intensity": 0.5}]}, years=0.25,
           sweep={"params.market.elasticity": [0.4, 0.6]},
           uncertain={"params.population.overdose_rate": (0.19, 0.29)})


def stop_after(k: int):
    """A progress callback that presses Ctrl-C once ``k`` runs are kept."""
    seen = []

    def on_run(record) -> None:
        seen.append(record.run_id)
        if len(seen) == k:
            raise KeyboardInterrupt

    return on_run


def interrupted(k: int, scenario="toy", **kw):
    with pytest.raises(EnsembleInterrupted) as info:
        ensemble(scenario, progress=stop_after(k), **kw)
    return info.value.ensemble


IDS = ["run_id", "ensemble_id"]


def assert_same(a, b) -> None:
    """Every table of two ensembles equal, bit for bit (their ids aside)."""
    exact = dict(check_exact=True)
    pd.testing.assert_frame_equal(a.summary().drop(columns=IDS), b.summary().drop(columns=IDS),
                                  **exact)
    pd.testing.assert_frame_equal(a.series().drop(columns="run_id"),
                                  b.series().drop(columns="run_id"), **exact)
    pd.testing.assert_frame_equal(a.quantiles(), b.quantiles(), **exact)
    pd.testing.assert_frame_equal(a.summary_quantiles(), b.summary_quantiles(), **exact)
    if len(a.variants) > 1:
        pd.testing.assert_frame_equal(a.compare(), b.compare(), **exact)
    assert (a.scenario, a.variants, a.seeds, a.sweep, a.uncertain) == \
        (b.scenario, b.variants, b.seeds, b.sweep, b.uncertain)


def test_a_resumed_ensemble_equals_the_uninterrupted_one(tmp_path):
    full = ensemble("toy", store=tmp_path / "a", scheduler="serial", progress=False, **TOY)
    part = interrupted(5, store=tmp_path / "b", scheduler="serial", **TOY)
    assert len(part.runs()) == 5
    plan_doc = json.loads((tmp_path / "b" / "plans" / f"{part.id}.json").read_text())
    assert len(plan_doc["run_ids"]) == 12 and plan_doc["runs"] == 3
    assert [d["params.population.overdose_rate"] for d in plan_doc["drawn"]] == \
        [full.summary().query("seed == @s")["params.population.overdose_rate"].iloc[0]
         for s in (1, 2, 3)]
    ens = resume(part.id[:6], tmp_path / "b", progress=False)
    assert (ens.id, ens.resumed, len(ens.runs())) == (part.id, 7, 12)
    assert sorted(ens.runs().run_id) == sorted(plan_doc["run_ids"])  # the planned ids
    assert_same(full, ens)
    # the files --out writes: the same tables
    full.save(tmp_path / "out_a")
    ens.save(tmp_path / "out_b")
    for name in ("summary.csv", "compare.csv", "summary_bands.csv"):
        a = pd.read_csv(tmp_path / "out_a" / name)
        b = pd.read_csv(tmp_path / "out_b" / name)
        pd.testing.assert_frame_equal(a.drop(columns=[c for c in IDS if c in a]),
                                      b.drop(columns=[c for c in IDS if c in b]),
                                      check_exact=True)
    # complete: nothing is made
    again = resume(part.id, tmp_path / "b", progress=False)
    assert (again.resumed, len(again.runs())) == (0, 12)
    assert RunStore(tmp_path / "b").check().ok


def test_resume_registers_written_runs_and_remakes_runs_lost_outside_the_model(tmp_path):
    """The coordinator killed: a run whose files a worker wrote is registered, not made
    again; a run recorded as failed outside the model (a worker lost) is made again under
    its id; a run the model failed stays failed."""
    kw = dict(runs=4, variants={"n": [{"kind": "x", "intensity": 0.5}]}, seed=1,
              model=simulate, scheduler="serial", sweep={"params.fail_seed": [4]})
    full = ensemble(StandInScenario(), store=tmp_path / "a", progress=False, **kw)
    part = interrupted(2, StandInScenario(), store=tmp_path / "b", **kw)
    store = RunStore(tmp_path / "b")
    doc = store.plan(part.id)
    tasks = plan(4, [Variant("baseline", ()), Variant("n", ({"kind": "x", "intensity": 0.5},))],
                 [{"params.fail_seed": 4}], 1, part.id, doc["base"], run_ids=doc["run_ids"])
    sc = StandInScenario()
    written = tasks[2]  # made by a worker, never registered
    runner_mod.execute(written, sc, simulate, str(store.root))
    lost = tasks[3]
    store.add(RunRecord(run_id=lost.run_id, ensemble_id=part.id, scenario="standin",
                        seed=lost.seed, variant=lost.variant.name, params=lost.params,
                        status="failed", error="KilledWorker: gone (outside the model: the "
                                               "worker died, or keeping the run's files failed)"))
    ens = resume(part.id, store, model=simulate, scenario=sc, progress=False)
    assert ens.resumed == 5  # 8 planned: 2 kept, 1 registered, 1 lost made again
    runs = ens.runs()
    assert len(runs) == 8 and sorted(runs.run_id) == sorted(doc["run_ids"])
    assert sorted(zip(ens.failed.variant, ens.failed.seed, strict=True)) == \
        [("baseline", 4), ("n", 4)]  # the model's own failures, as in the full ensemble
    assert_same(full, ens)


def test_an_ensemble_interrupted_before_its_first_run_resumes_from_its_plan(tmp_path,
                                                                           monkeypatch):
    def no_run(tasks, *a, **k):
        plans = list((tmp_path / "s" / "plans").glob("*.json"))
        assert len(plans) == 1  # kept before any run
        raise KeyboardInterrupt

    monkeypatch.setattr("fentanet.ensemble.core.run_tasks", no_run)
    with pytest.raises(EnsembleInterrupted, match="0 of 4 runs"):
        ensemble(StandInScenario(), 2, variants={"n": []}, model=simulate,
                 store=tmp_path / "s", scheduler="serial", progress=False)
    monkeypatch.undo()
    [eid] = RunStore(tmp_path / "s").plan_ids()
    ens = resume(eid, tmp_path / "s", model=simulate, scenario=StandInScenario(),
                 progress=False)
    full = ensemble(StandInScenario(), 2, variants={"n": []}, model=simulate,
                    store=tmp_path / "a", scheduler="serial", progress=False)
    assert ens.resumed == 4
    assert_same(full, ens)


def test_resume_refuses_another_build_a_changed_scenario_and_an_unknown_id(tmp_path,
                                                                           monkeypatch):
    part = interrupted(1, StandInScenario(), runs=3, model=simulate, store=tmp_path / "s",
                       scheduler="serial")
    with pytest.raises(InputError, match="field 'ensemble': no ensemble 'zzz' in the store"):
        resume("zzz", tmp_path / "s")
    with pytest.raises(InputError, match="outside fentanet: pass that function as model="):
        resume(part.id, tmp_path / "s")  # a model outside fentanet is never imported
    other = StandInScenario(params={**StandInScenario().params, "rate": 6.0})
    with pytest.raises(InputError, match=r"field 'scenario': the scenario 'standin' has "
                                         r"changed since ensemble"):
        resume(part.id, tmp_path / "s", model=simulate, scenario=other)
    real = fentanet.build.recorded_version()
    monkeypatch.setattr(fentanet.build, "recorded_version", lambda: "0.1.0 (build 0123456789ab)")
    with pytest.raises(InputError, match=f"ensemble {part.id} was started by fentanet "
                                         rf"{real.replace('(', '[(]').replace(')', '[)]')}"):
        resume(part.id, tmp_path / "s", model=simulate, scenario=StandInScenario())
    monkeypatch.undo()
    assert len(RunStore(tmp_path / "s").runs()) == 1  # nothing made by the refusals


def test_a_changed_scenario_file_is_not_read_the_kept_scenario_is(tmp_path):
    from fentanet import scenarios

    path = tmp_path / "mine.yaml"
    path.write_text(scenarios.path("toy").read_text())
    kw = dict(runs=2, variants={"nal": [{"kind": "naloxone", "intensity": 0.5}]}, years=0.25,
              scheduler="serial")
    full = ensemble(str(path), store=tmp_path / "a", progress=False, **kw)
    part = interrupted(1, str(path), store=tmp_path / "b", **kw)
    path.write_text(path.read_text().replace("name: toy", "name: toy2"))
    with pytest.warns(RunWarning, match="has changed since ensemble .* made from the "
                                        "scenario kept with its plan"):
        ens = resume(part.id, tmp_path / "b", progress=False)
    assert ens.resumed == 3
    assert_same(full, ens)


def test_deleting_an_ensemble_removes_its_plan(tmp_path):
    part = interrupted(2, StandInScenario(), runs=3, model=simulate, store=tmp_path / "s",
                       scheduler="serial")
    store = RunStore(tmp_path / "s")
    store.delete(status="done", ensemble=part.id, run_ids=store.runs().run_id[:1])
    assert store.plan_ids() == [part.id]  # a run left: the plan stays
    store.delete(ensemble=part.id)
    assert store.plan_ids() == []
    with pytest.raises(InputError, match=f"no ensemble '{part.id}'"):
        resume(part.id, store)


def test_cli_resume(tmp_path, monkeypatch, capsys):
    store = tmp_path / "s"
    args = ["compare", "toy", "naloxone", "--runs", "3", "--years", "0.25", "--scheduler",
            "serial", "--json"]
    assert main([*args, "--store", str(tmp_path / "a")]) == 0
    full = json.loads(capsys.readouterr().out)
    original = runner_mod.Collector.add
    kept = []

    def interrupted_add(self, record, series, *, written):
        original(self, record, series, written=written)
        kept.append(record.run_id)
        if len(kept) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(runner_mod.Collector, "add", interrupted_add)
    assert main([*args, "--store", str(store)]) == 130
    monkeypatch.undo()
    err = capsys.readouterr().err
    [eid] = RunStore(store).plan_ids()
    assert f"interrupted: 2 of 6 runs finished and kept in {store} (ensemble {eid})" in err
    assert f"make the rest with: fentanet runs resume {eid} --store {store}" in err
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RunWarning)
        assert main(["runs", "resume", eid[:5], "--store", str(store), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert (got["ensemble"], got["runs"], got["finished"]) == (eid, 6, 6)
    assert (got["summary"], got["compare"]) == (full["summary"], full["compare"])
    assert main(["runs", "resume", eid, "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"ensemble {eid} is complete (6 runs in {store}): nothing to make")
    assert main(["runs", "resume", "zzz", "--store", str(store)]) == 2
    assert capsys.readouterr().err == (f"error: field 'ensemble': no ensemble 'zzz' in the "
                                       f"store {store}\n")


@pytest.mark.slow
def test_resume_on_a_local_cluster_of_two_workers(tmp_path):
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=":0")
    client = Client(cluster)
    kw = dict(runs=6, variants={"n": [{"kind": "x", "intensity": 0.5}]}, seed=1,
              model=simulate, sweep={"params.effect": [0.0, 0.5]},
              uncertain={"params.rate": (2.0, 8.0)}, scheduler=client)
    try:
        full = ensemble(StandInScenario(), store=tmp_path / "a", progress=False, **kw)
        part = interrupted(5, StandInScenario(), store=tmp_path / "b", **kw)
        before = len(part.runs())
        ens = resume(part.id, tmp_path / "b", model=simulate, scenario=StandInScenario(),
                     scheduler=client, progress=False)
    finally:
        client.close()
        cluster.close()
    assert len(ens.runs()) == 24 and ens.failed.empty
    assert 5 <= before < 24 and ens.resumed == 24 - before
    assert_same(full, ens)
    assert RunStore(tmp_path / "b").check().ok


def test_a_resume_of_runs_all_lost_outside_the_model_keeps_the_plan(tmp_path, monkeypatch):
    """Every run of the catalog lost outside the model (the cluster lost at the start): the
    resume deletes them to make them again, and the plan stays, so a resume stopped in
    turn can be resumed (final review s22: the delete took the plan with the ensemble's
    last rows, and the next resume said 'kept no plan')."""
    def no_run(tasks, *a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr("fentanet.ensemble.core.run_tasks", no_run)
    with pytest.raises(EnsembleInterrupted):
        ensemble(StandInScenario(), 2, model=simulate, store=tmp_path / "s",
                 scheduler="serial", progress=False)
    monkeypatch.undo()
    store = RunStore(tmp_path / "s")
    [eid] = store.plan_ids()
    doc = store.plan(eid)
    for run_id, seed in zip(doc["run_ids"], (1, 2), strict=True):
        store.add(RunRecord(run_id=run_id, ensemble_id=eid, scenario="standin", seed=seed,
                            status="failed", error="KilledWorker: gone (outside the model: "
                                                   "the worker died)"))
    with pytest.raises(EnsembleInterrupted, match="1 of 2 runs"):
        resume(eid, store, model=simulate, scenario=StandInScenario(), scheduler="serial",
               progress=stop_after(1))
    assert store.plan(eid) == doc
    ens = resume(eid, store, model=simulate, scenario=StandInScenario(), progress=False)
    assert ens.resumed == 1
    assert sorted(ens.runs().run_id) == sorted(doc["run_ids"])
    assert (ens.runs().status == "done").all()
