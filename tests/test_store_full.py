"""A store that cannot be written (a full disk, simulated): a clear error naming the file
or the catalog, nothing stored before lost, and `runs rebuild` registers what was written."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from fentanet.cli import main
from fentanet.store import RunRecord, RunStore, StoreError, write_run
from fentanet.store.files import CannotKeep

SERIES = pd.DataFrame({"step": [0, 1], "deaths": [1.0, 2.0]})


def _full(*args, **kwargs):
    raise OSError("Error writing bytes to file. Detail: [errno 28] No space left on device")


def test_a_series_that_cannot_be_written_names_the_run_and_file(tmp_path, monkeypatch):
    store = RunStore(tmp_path / "s")
    store.add(RunRecord(run_id="kept", scenario="toy", seed=1), SERIES)
    monkeypatch.setattr(pq, "write_table", _full)
    with pytest.raises(CannotKeep) as err:
        write_run(store.root, RunRecord(run_id="lost", scenario="toy", seed=2), SERIES)
    assert str(err.value) == (
        f"cannot keep run lost in the run store {store.root}: writing "
        f"{store.root / 'series' / 'lost.parquet'} failed (Error writing bytes to file. "
        "Detail: [errno 28] No space left on device); the runs kept before are unharmed")
    assert sorted(p.name for p in (store.root / "series").iterdir()) == ["kept.parquet"]
    assert store.runs().run_id.tolist() == ["kept"] and store.check().ok


def test_a_catalog_that_cannot_be_written_is_a_store_error(tmp_path, monkeypatch, capsys):
    """DuckDB's own error (its commit failing on a full disk) ended the command with a
    traceback; the runs' files stay, and a rebuild registers them."""
    from fentanet.store import catalog

    store = RunStore(tmp_path / "s")
    store.add(RunRecord(run_id="kept", scenario="toy", seed=1), SERIES)
    write_run(store.root, RunRecord(run_id="new", scenario="toy", seed=2), SERIES)

    def commit_fails(con, records):
        raise duckdb.TransactionException('TransactionContext Error: Failed to commit: Could '
                                          f'not write file "{store.catalog}.wal": No space '
                                          'left on device')

    monkeypatch.setattr(catalog, "insert", commit_fails)
    with pytest.raises(StoreError, match=r"cannot write the run catalog .*No space left on "
                                         r"device.*runs rebuild --store"):
        manifest = json.loads((store.root / "manifests" / "new.json").read_text())
        store.register([RunRecord.from_json(manifest["run"])])
    monkeypatch.undo()
    assert store.check().unregistered == ["new"]
    assert RunStore(store.root).rebuild().runs == 2


def test_a_rebuild_that_cannot_write_leaves_the_catalog_as_it_was(tmp_path, monkeypatch):
    from fentanet.store import catalog

    store = RunStore(tmp_path / "s")
    store.add(RunRecord(run_id="kept", scenario="toy", seed=1), SERIES)
    before = store.catalog.read_bytes()

    def full(con, version):
        raise duckdb.IOException("Could not write file: No space left on device")

    monkeypatch.setattr(catalog, "create_schema", full)
    with pytest.raises(StoreError, match=r"cannot rebuild the run catalog.*as they were"):
        store.rebuild()
    assert store.catalog.read_bytes() == before
    assert sorted(p.name for p in store.root.iterdir()) == [
        "manifests", "runs.duckdb", "runs.lock", "series"]  # no .rebuilding left


def test_the_command_line_names_the_file_that_could_not_be_written(tmp_path, monkeypatch,
                                                                   capsys):
    monkeypatch.setattr(pq, "write_table", _full)
    store = tmp_path / "s"
    code = main(["simulate", "toy", "--runs", "2", "--years", "0.1", "--scheduler",
                 "serial", "--store", str(store)])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 2 and err.startswith("error: cannot keep run ") and \
        f"writing {store / 'series'}" in err and "No space left on device" in err
