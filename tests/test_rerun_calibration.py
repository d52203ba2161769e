"""Runs of ``fentanet sensitivity`` and ``fentanet calibrate`` are made again from their
stored setup alone (``fentanet.ensemble.rerun``, ``fentanet runs rerun``): the scenario as
named plus every value as an override, the fentanyl transition among them."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import fentanet
from fentanet.calibrate import annual
from fentanet.cli import main
from fentanet.ensemble import rerun
from fentanet.errors import InputError
from fentanet.store import RunStore

ELASTICITY = "params.market.elasticity"


def _cli_json(capsys, *argv: str):
    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def _same_as_stored(st: RunStore, run_id: str) -> None:
    again = rerun(run_id, st).series
    stored = st.series([run_id]).drop(columns=["run_id", "variant", "seed"])
    assert list(stored.columns) == list(again.columns)
    pd.testing.assert_frame_equal(stored.reset_index(drop=True), again.reset_index(drop=True),
                                  check_dtype=False, check_exact=True)


def test_a_sensitivity_run_is_made_again_from_its_setup(capsys, tmp_path):
    store = str(tmp_path / "s")
    res = _cli_json(capsys, "sensitivity", "toy", "--param", f"{ELASTICITY}=0.3:0.9:0.6",
                    "--runs", "1", "--years", "0.15", "--seed", "3", "--scheduler", "serial",
                    "--store", store)
    st = RunStore(store)
    runs = st.runs(ensemble=res["ensemble"])
    assert len(runs) == 3  # base, low, high
    by_value = {r.params.get(ELASTICITY): r for r in runs.itertuples()}
    low = by_value[0.3]
    # the scenario as named; the horizon, the held base and the point as overrides
    assert low.setup["scenario"] == "toy"
    assert low.setup["overrides"] == {"years": 0.15, ELASTICITY: 0.3}
    assert by_value[None].setup["overrides"] == {"years": 0.15, ELASTICITY: 0.6}
    assert low.setup["model"] == "fentanet.calibrate.models:run_observed"
    _same_as_stored(st, low.run_id)
    # the same from the command line
    out = _cli_json(capsys, "runs", "rerun", low.run_id, "--store", store)
    assert out == {"run_id": low.run_id, "steps": 8, "equal": True, "differing": []}


def test_a_calibration_run_with_the_transition_is_made_again(tmp_path):
    from fentanet.calibrate import Target, calibrate

    # two calendar years in monthly steps: a short run, more years than parameters
    fixed = {"dt": "month", ELASTICITY: 0.7}
    sc = fentanet.scenarios.load("toy").override({"start_year": 2019, "years": 2.0, **fixed})
    observed = annual(fentanet.simulate(sc, seed=50).series, "fatal", start_year=2019,
                      dt=sc.dt)
    assert list(observed.index) == [2019, 2020]
    fit = calibrate("toy", Target("deaths", observed, "synthetic_fatal"),
                    {"fentanyl.midpoint": (2016.0, 2020.0)}, start_year=2019, years=2.0,
                    runs=1, seed=4, max_evaluations=2, scheduler="serial",
                    store=tmp_path / "s", overrides=fixed)
    st = RunStore(tmp_path / "s")
    runs = st.runs(ensemble=fit.summary["ensembles"][0])
    row = runs.iloc[0]
    over = row.setup["overrides"]
    # the transition in full (default fields), the fixed values, the fitted point
    assert over["fentanyl"] == {"midpoint": 2017.0, "width": 1.5, "heroin_risk": 0.15}
    assert over["start_year"] == 2019 and over["years"] == 2.0 and over[ELASTICITY] == 0.7
    assert over["dt"] == "month"
    assert over["fentanyl.midpoint"] == row.params["fentanyl.midpoint"]
    assert row.setup["scenario"] == "toy"
    stored = st.series([row.run_id])
    assert "synthetic_fatal" in stored.columns
    for rid in runs.run_id:
        _same_as_stored(st, rid)


def test_a_run_of_an_unimportable_model_is_refused_by_name(tmp_path):
    def local(scenario, seed=None, **kw):
        return fentanet.simulate(scenario, seed, **kw)

    ens = fentanet.ensemble("toy", runs=1, seed=1, scheduler="serial", overrides={"years": 0.05},
                            store=tmp_path / "s", progress=False, model=local)
    [row] = ens.runs().itertuples()
    assert row.setup["model"].endswith("<locals>.local")
    with pytest.raises(InputError, match="outside fentanet: pass that function as model="):
        rerun(row.run_id, ens.store)
    again = rerun(row.run_id, ens.store, model=local).series  # given back: the same run
    stored = ens.store.series([row.run_id]).drop(columns=["run_id", "variant", "seed"])
    pd.testing.assert_frame_equal(stored.reset_index(drop=True), again.reset_index(drop=True),
                                  check_dtype=False, check_exact=True)


def test_a_store_never_imports_what_it_names_outside_fentanet(monkeypatch):
    from fentanet.ensemble import resolve

    imported = []
    monkeypatch.setattr("importlib.import_module", lambda name: imported.append(name))
    for ref in ("os:system", "antigravity:x", "fentanetx.evil:f"):
        with pytest.raises(InputError, match="outside fentanet"):
            resolve(ref)
    assert imported == []
    with pytest.raises(InputError, match="cannot import"):
        resolve("fentanet.calibrate.models:no_such_function")


def test_runs_rerun_reports_a_difference_and_exits_1(capsys, monkeypatch, tmp_path):
    import dataclasses

    import fentanet.ensemble.runner as runner

    store = str(tmp_path / "s")
    _cli_json(capsys, "simulate", "toy", "--runs", "1", "--years", "0.1",
              "--scheduler", "serial", "--store", store)
    [rid] = RunStore(store).runs().run_id

    def changed(scenario, seed=None, **kw):  # a model that no longer makes the same run
        r = fentanet.simulate(scenario, seed, **kw)
        s = r.series.copy()
        s.loc[2, "fatal"] += 1
        return dataclasses.replace(r, series=s)

    monkeypatch.setattr(runner, "_default_model", lambda: changed)
    code = main(["runs", "rerun", rid[:8], "--store", store])
    out = capsys.readouterr().out
    assert code == 1 and "series differ in fatal" in out


def test_a_store_never_reaches_past_fentanet_through_its_modules(monkeypatch):
    """A record naming an attribute chain that leaves fentanet (a module fentanet imports,
    such as ``os``) or a module that runs on import (``fentanet.__main__``: the command
    line, which exits) is refused; the object named must be a function fentanet defines
    under that very name."""
    import sys

    from fentanet.ensemble import resolve

    monkeypatch.setattr(sys, "argv", ["fentanet", "--version"])
    for ref in ("fentanet.ensemble.core:os.system", "fentanet.ensemble.core:importlib."
                "import_module", "fentanet.__main__:main", "fentanet.cli.__main__:x",
                "fentanet.ensemble.core:Path", "fentanet.calibrate.models:run_observed."
                "load_scenario", "fentanet.ensemble:core"):
        with pytest.raises(InputError, match="model"):
            resolve(ref)
    assert "fentanet.__main__" not in sys.modules
    from fentanet.calibrate.models import run_observed

    assert resolve("fentanet.calibrate.models:run_observed") is run_observed


def _with_setup(ens, change):
    """The run of a one-run ensemble, its recorded setup changed by ``change`` in place."""
    import duckdb

    [row] = ens.runs().itertuples()
    setup = dict(row.setup)
    change(setup)
    con = duckdb.connect(str(ens.store.catalog))
    con.execute("UPDATE runs SET setup = ? WHERE run_id = ?", [json.dumps(setup), row.run_id])
    con.close()
    return row.run_id


@pytest.mark.parametrize("change, message", [
    (lambda s: s.pop("scenario"), "setup's 'scenario' is None, expected a str"),
    (lambda s: s.update(interventions="naloxone"), "'interventions' is 'naloxone'"),
    (lambda s: s.update(model="fentanet.ensemble.core:check_overrides"),
     "'fentanet.ensemble.core:check_overrides', which is not a run model"),
])
def test_a_setup_that_cannot_make_the_run_is_a_clear_error(tmp_path, capsys, change, message):
    ens = fentanet.ensemble("toy", runs=1, seed=1, scheduler="serial",
                            overrides={"years": 0.05}, store=tmp_path / "s", progress=False)
    rid = _with_setup(ens, change)
    with pytest.raises(InputError, match=message):
        rerun(rid, ens.store)
    assert main(["runs", "rerun", rid, "--store", str(tmp_path / "s")]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_a_model_given_back_must_take_a_runs_arguments(tmp_path):
    ens = fentanet.ensemble("toy", runs=1, seed=1, scheduler="serial",
                            overrides={"years": 0.05}, store=tmp_path / "s", progress=False)
    [row] = ens.runs().itertuples()
    with pytest.raises(InputError, match="does not take \\(scenario, seed=, variant="):
        rerun(row.run_id, ens.store, model=lambda scenario: scenario)
