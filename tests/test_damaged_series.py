"""One damaged series file does not hide the other runs of an ensemble: export, quantiles
and the report leave it out with a warning naming it."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from ensemble_standin import StandInScenario, simulate
from fentanet.cli import main
from fentanet.ensemble import Ensemble, ensemble
from fentanet.store import RunStore, StoreError


@pytest.fixture
def damaged(tmp_path):
    """2 variants x 3 seeds of the stand-in, one naloxone run's series file damaged."""
    ens = ensemble(StandInScenario(), 3, variants={"naloxone": [{"kind": "naloxone",
                                                                 "intensity": 0.5}]},
                   scheduler="serial", store=tmp_path / "s", progress=False, model=simulate)
    runs = ens.runs()
    bad = runs[(runs.variant == "naloxone") & (runs.seed == 2)].run_id.item()
    path = ens.store.series_path(bad)
    path.write_bytes(path.read_bytes()[:40])  # a truncated Parquet file
    return ens, bad


def test_ensemble_quantiles_leave_out_the_damaged_run(damaged):
    ens, bad = damaged
    ens = Ensemble.load(RunStore(ens.store.root), ens.id)
    with pytest.warns(UserWarning, match=f"left out 1 run.*{bad}"):
        q = ens.quantiles(["deaths"])
    runs = q.groupby("variant").runs.max()
    assert runs["baseline"] == 3 and runs["naloxone"] == 2  # the other five runs are there
    # the median of the two intact naloxone seeds, by hand from their own files
    ok = ens.runs().query("variant == 'naloxone' and run_id != @bad").run_id
    series = pd.concat([ens.store.series([r]) for r in ok])
    step0 = series[series.step == 0].deaths
    got = q.query("variant == 'naloxone' and step == 0").q50.item()
    assert got == pytest.approx(step0.median())
    with pytest.raises(StoreError, match=bad):  # asked to, it stops
        ens.series(on_error="raise")


def test_export_keeps_the_other_runs_and_names_the_damaged_one(damaged, capsys, tmp_path):
    ens, bad = damaged
    code = main(["runs", "export", "--ensemble", ens.id, "--to", str(tmp_path / "out"),
                 "--format", "csv", "--store", str(ens.store.root)])
    out, err = capsys.readouterr()
    assert code == 0 and "exported 6 runs" in out
    assert err.startswith("warning: left out 1 run(s)") and bad in err
    assert "Traceback" not in err and "warnings.warn" not in err
    series = pd.read_csv(tmp_path / "out" / "series.csv")
    assert len(set(series.run_id)) == 5 and bad not in set(series.run_id)
    assert bad in set(pd.read_csv(tmp_path / "out" / "runs.csv").run_id)


def test_the_report_is_written_despite_the_damaged_run(damaged, tmp_path):
    from fentanet.report import simulation_report

    ens, bad = damaged
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        html = simulation_report(ens).render()
    assert any(bad in str(w.message) for w in caught)
    assert "naloxone" in html and "deaths averted" in html.lower()
