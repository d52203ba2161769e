"""An ensemble's results do not depend on the order its runs finished in: on a cluster the
store holds them in another order each time (by start), and a mean over seeds then summed
the same values in another order (its last bits differed between serial runs and 2
workers) and ``summary.csv`` listed the runs in another order."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ensemble_standin import StandInScenario, simulate
from fentanet.calibrate.sensitivity import _per_point
from fentanet.ensemble import Ensemble, ensemble
from fentanet.ensemble.results import point_order


def _finished_in(store, order: list[str]) -> None:
    """Make the catalog say the runs started in ``order`` (as a cluster may)."""
    with store._connect(write=True) as con:
        for k, run_id in enumerate(order):
            con.execute("UPDATE runs SET started_at = TIMESTAMP '2026-01-01' + "
                        "to_seconds(?) WHERE run_id = ?", [k, run_id])


def test_results_are_those_of_the_design_order_whatever_the_completion_order(tmp_path):
    ens = ensemble(StandInScenario(), runs=7, variants={"n": [{"kind": "x", "intensity": 0.3}]},
                   sweep={"params.rate": [8.0, 2.0]}, model=simulate, scheduler="serial",
                   store=tmp_path / "s", progress=False)
    before = {name: getattr(ens, name)() for name in ("summary", "quantiles",
                                                      "summary_quantiles", "compare")}
    runs = ens.runs().run_id.tolist()
    for shuffle in range(3):
        _finished_in(ens.store, list(np.random.default_rng(shuffle).permutation(runs)))
        again = Ensemble.load(ens.store, ens.id)
        for name, table in before.items():  # every value, bit for bit, in the same rows
            pd.testing.assert_frame_equal(getattr(again, name)(), table, check_exact=True)
    s = before["summary"]
    # baseline first, then by seed, then the points by value (2.0 before 8.0)
    assert s.variant.tolist() == ["baseline"] * 14 + ["n"] * 14
    assert s.seed.tolist()[:4] == [1, 1, 2, 2]
    assert s["params.rate"].tolist()[:4] == [2.0, 8.0, 2.0, 8.0]
    series = ens.series()
    first = series[series.run_id == series.run_id.iloc[0]]
    assert first.step.tolist() == list(range(8))  # a run's steps in order


def test_a_design_reads_its_runs_by_seed():
    class Design:  # what _per_point reads of an ensemble
        def runs(self):
            return pd.DataFrame({"run_id": ["c", "a", "b"], "seed": [3, 1, 2],
                                 "status": "done", "params": [{"x": 1.0}] * 3})

        def summary(self):
            return pd.DataFrame({"run_id": ["a", "b", "c"], "deaths_total": [1.0, 2.0, 3.0]})

    df = _per_point(Design(), "deaths_total")
    assert df.seed.tolist() == [1, 2, 3] and df.deaths_total.tolist() == [1.0, 2.0, 3.0]


def test_point_order_by_value():
    points = pd.DataFrame({"a": [10.0, 2.0, np.nan, 2.0], "b": ["x", "y", "x", "x"]})
    assert point_order(points).tolist() == [3, 2, 0, 1]
