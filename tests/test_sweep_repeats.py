"""A sweep value given twice is refused before any run; an ensemble stored with one (before
the eighteenth session) still reads, each repeated run counted once.

``sweep --param x=0.5,0.5 --variant naloxone`` made and stored every run, then died with a
traceback (``operands could not be broadcast``) where the comparison paired each seed's
two baseline runs with its two variant runs; ``runs show`` of the stored ensemble failed
the same way; without a variant each seed counted twice in the bands and quantiles."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import fentanet.ensemble.plan as plan
from ensemble_standin import StandInScenario, simulate
from fentanet.cli import main
from fentanet.ensemble import Ensemble, ensemble
from fentanet.ensemble.results import compare_table
from fentanet.errors import InputError
from fentanet.store import RunStore

VARIANTS = {"one": [{"kind": "x", "intensity": 0.5}]}


def run(store, **kw):
    return ensemble(StandInScenario(), 3, seed=1, scheduler="serial", store=store,
                    progress=False, model=simulate, **kw)


@pytest.mark.parametrize("sweep, field, said", [
    ({"params.rate": [2.0, 2.0]}, "params.rate", "the value 2.0 is given twice"),
    ({"params.rate": [2, 3, 2.0]}, "params.rate", "the value 2.0 is given twice"),  # 2 == 2.0
    ({"params.effect": [0.1], "params.rate": [4.0, 5.0, 4.0]}, "params.rate",
     "the value 4.0 is given twice"),
    ([{"params.rate": 2.0}, {"params.rate": 3.0}, {"params.rate": 2.0}], "sweep",
     "the point {'params.rate': 2.0} is given twice"),
])
def test_a_value_given_twice_is_refused_before_any_run(tmp_path, sweep, field, said):
    with pytest.raises(InputError) as exc:
        run(tmp_path / "s", sweep=sweep, variants=VARIANTS)
    assert exc.value.field == field and exc.value.detail.startswith(said)
    assert not (tmp_path / "s").exists()  # nothing stored


def test_true_and_1_are_not_the_same_sweep_value():
    assert plan.sweep_points({"a": [True, 1]}) == [{"a": True}, {"a": 1}]
    assert plan.sweep_points({"a": [[1, 2], [1, 2, 3]]}) == [{"a": [1, 2]}, {"a": [1, 2, 3]}]


@pytest.mark.parametrize("values", ["0.5,0.5", "0.5:0.5:2"])
def test_the_cli_refuses_it_with_exit_2_and_stores_nothing(capsys, tmp_path, values):
    store = tmp_path / "s"
    code = main(["sweep", "toy", "--param", f"params.market.elasticity={values}",
                 "--variant", "naloxone", "--runs", "3", "--years", "0.1",
                 "--scheduler", "serial", "--store", str(store)])
    _, err = capsys.readouterr()
    assert code == 2 and "Traceback" not in err
    assert err.strip() == ("error: field 'params.market.elasticity': the value 0.5 is given "
                           "twice (values [0.5, 0.5]); each value is one sweep point: give "
                           "it once")
    assert not store.exists()


@pytest.fixture
def stored_with_repeats(tmp_path, monkeypatch):
    """An ensemble stored with the value 2.0 swept twice (as sweeps stored it before they
    refused repeats), and one of the same runs with the value once."""
    store = RunStore(tmp_path / "s")
    once = run(store, sweep={"params.rate": [2.0, 8.0]}, variants=VARIANTS)
    monkeypatch.setattr(plan, "_repeated", lambda values: None)  # the old sweep
    twice = run(store, sweep={"params.rate": [2.0, 8.0, 2.0]}, variants=VARIANTS)
    monkeypatch.undo()
    assert len(twice.runs()) == 18 and len(once.runs()) == 12
    return store, once.id, twice.id


def test_an_ensemble_stored_with_repeats_reads_each_run_once(stored_with_repeats):
    store, once_id, twice_id = stored_with_repeats
    with pytest.warns(UserWarning, match=f"ensemble {twice_id} holds 6 run\\(s\\) that "
                                         "repeat another of the same variant, sweep point "
                                         "and seed"):
        twice = Ensemble.load(store, twice_id)
    once = Ensemble.load(store, once_id)
    ids = ["run_id", "ensemble_id"]
    s2, s1 = twice.summary().drop(columns=ids), once.summary().drop(columns=ids)
    assert len(s2) == 12  # 2 variants x 2 points x 3 seeds, the repeats left out
    key = ["variant", "params.rate", "seed"]
    pd.testing.assert_frame_equal(s2.sort_values(key).reset_index(drop=True),
                                  s1.sort_values(key).reset_index(drop=True))
    c2, c1 = twice.compare(), once.compare()  # raised "could not be broadcast"
    pd.testing.assert_frame_equal(c2, c1)
    assert set(c2.seeds) == {3}  # each seed once, not twice
    rows = c2[(c2.outcome == "deaths averted") & (c2["params.rate"] == 2.0)]
    want = [simulate(StandInScenario().override({"params.rate": 2.0}), s).summary["deaths_total"]
            - simulate(StandInScenario().override({"params.rate": 2.0}), s,
                       interventions=VARIANTS["one"]).summary["deaths_total"]
            for s in (1, 2, 3)]
    assert rows["mean"].item() == pytest.approx(np.mean(want))
    q2 = twice.quantiles(["deaths"])
    assert set(q2.runs) == {3}
    pd.testing.assert_frame_equal(q2, once.quantiles(["deaths"]))
    assert len(twice.series()) == 12 * StandInScenario().steps


def test_runs_show_prints_the_stored_ensemble_with_repeats(capsys, stored_with_repeats):
    store, _, twice_id = stored_with_repeats
    code = main(["runs", "show", twice_id, "--store", str(store.root), "--json"])
    out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in err
    assert "warning: ensemble " in err and "each is counted once" in err
    shown = json.loads(out)
    assert shown["runs"] == 18 and shown["finished"] == 12  # stored, and counted
    assert {r["seeds"] for r in shown["compare"]} == {3}


def test_compare_table_pairs_each_seed_once():
    s = pd.DataFrame({"variant": ["baseline", "baseline", "v", "v"], "seed": [1, 1, 1, 1],
                      "deaths_total": [10.0, 10.0, 7.0, 7.0],
                      "supply_kg_total": [5.0, 5.0, 4.0, 4.0],
                      "intervention_cost_usd_total": [0.0, 0.0, 30.0, 30.0]})
    c = compare_table(s).set_index("outcome")
    assert c.loc["deaths averted", "mean"] == 3 and c.loc["deaths averted", "seeds"] == 1
    assert c.loc["supply reduction %", "mean"] == pytest.approx(20.0)
    assert c.loc["cost per death averted", "mean"] == pytest.approx(10.0)
