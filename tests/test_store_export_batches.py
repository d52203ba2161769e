"""`runs export` reads the runs' series a batch of runs at a time (the whole table in
memory took 1.4 GB for 4,000 runs of a year) and writes the same table as
``RunStore.series`` returns: the union of the runs' columns in its order, a cost column a
run lacks 0, an integer column some runs lack as floats, damaged runs left out."""

from __future__ import annotations

import warnings
from datetime import datetime

import pandas as pd
import pytest

from fentanet.store import RunRecord, RunStore


def _run(store, run_id, minute, series, status="done"):
    rec = RunRecord(run_id=run_id, scenario="toy", seed=minute, variant=run_id[:1],
                    status=status, error=None if status == "done" else "boom",
                    started_at=datetime(2026, 1, 1, 0, minute), summary={"deaths_total": 1})
    store.add(rec, series)


@pytest.fixture
def store(tmp_path):
    st = RunStore(tmp_path / "s")
    _run(st, "a1", 1, pd.DataFrame({"step": [0, 1], "deaths": [1.5, 2.0],
                                    "intervention_cost_usd": [5.0, 5.0],
                                    "cost_naloxone_usd": [5.0, 5.0], "arrests": [1, 2]}))
    _run(st, "b1", 2, pd.DataFrame({"step": [0, 1], "deaths": [0.1, 1e-17],
                                    "intervention_cost_usd": [0.0, 0.0]}))
    _run(st, "f1", 0, None, status="failed")  # first: an empty batch
    _run(st, "c1", 4, pd.DataFrame({"step": [0, 1, 2], "deaths": [3.0, 4.0, 5.0],
                                    "intervention_cost_usd": [7.0, 7.0, 7.0],
                                    "cost_lab_raids_usd": [7.0, 7.0, 7.0], "arrests": [0, 0, 1]}))
    _run(st, "d1", 5, pd.DataFrame({"step": [0], "deaths": [9.0],
                                    "intervention_cost_usd": [0.0]}))
    (st.root / "series" / "d1.parquet").write_bytes(b"PAR1 damaged")
    return st


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_export_in_batches_writes_the_series_table(store, tmp_path, monkeypatch, fmt):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ids = store.runs().run_id.tolist()
        reference = store.series(ids, status=None, on_error="skip")
    assert reference.columns.tolist() == [
        "run_id", "variant", "seed", "step", "deaths", "intervention_cost_usd",
        "cost_lab_raids_usd", "cost_naloxone_usd", "arrests"]
    monkeypatch.setattr(RunStore, "EXPORT_RUNS", 1)
    with pytest.warns(UserWarning, match=r"left out 1 run\(s\) whose series cannot be read: "
                                         r"run d1: series file .* is damaged"):
        paths = store.export(tmp_path / "out", format=fmt)
    if fmt == "csv":
        assert paths["series"].read_text() == reference.to_csv(index=False)
    else:
        pd.testing.assert_frame_equal(pd.read_parquet(paths["series"]), reference)
    runs = (pd.read_csv if fmt == "csv" else pd.read_parquet)(paths["runs"])
    assert sorted(runs.run_id) == ["a1", "b1", "c1", "d1", "f1"]  # the damaged one too


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_column_integer_in_one_run_and_float_in_another_exports_as_floats(
        tmp_path, monkeypatch, fmt):
    """The runs' files may type a column differently (written by a model of one's own, or
    another fentanet): the table is DuckDB's union, floats; the batches' writer took the
    first batch's type and a later batch's 1.5 ended in pyarrow's 'Float value 1.500000
    was truncated converting to int64', the export lost."""
    st = RunStore(tmp_path / "s")
    _run(st, "a1", 1, pd.DataFrame({"step": [0, 1], "x": [1, 2]}))
    _run(st, "b1", 2, pd.DataFrame({"step": [0, 1], "x": [1.5, 2.5]}))
    reference = st.series(status=None)
    assert reference.x.tolist() == [1.0, 2.0, 1.5, 2.5]
    monkeypatch.setattr(RunStore, "EXPORT_RUNS", 1)
    paths = st.export(tmp_path / "out", format=fmt)
    if fmt == "csv":
        assert paths["series"].read_text() == reference.to_csv(index=False)
    else:
        pd.testing.assert_frame_equal(pd.read_parquet(paths["series"]), reference)
