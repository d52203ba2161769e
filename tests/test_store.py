"""The run store: round trips, filters, atomic writes, killed and concurrent writers,
schema versions, damaged files."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fentanet.errors import InputError
from fentanet.store import (
    SCHEMA_VERSION,
    RunRecord,
    RunStore,
    StoreError,
    new_id,
    resolve_store_path,
    write_run,
)
from fentanet.store import files as store_files
from fentanet.store.files import manifest_file, read_manifest, series_file, temp_files

SRC = str(Path(__file__).resolve().parents[1] / "src")


def make_series(seed: int, steps: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "step": np.arange(steps),
        "time": np.arange(steps) / 52,
        "deaths": rng.poisson(5, steps).astype(float),
        "supply": rng.random(steps),
    })


def make_run(store: RunStore, seed: int, *, variant: str = "baseline", scenario: str = "toy",
             params: dict | None = None) -> tuple[RunRecord, pd.DataFrame]:
    series = make_series(seed)
    rec = RunRecord(run_id=new_id(), scenario=scenario, seed=seed, variant=variant,
                    params=params or {},
                    summary={"deaths": series.deaths.sum(), "supply": series.supply.sum()})
    store.add(rec, series)
    return rec, series


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(tmp_path / "runs")


def test_round_trip_catalog_summary_and_series(store: RunStore):
    made = [make_run(store, s, variant=v, params={"lab_raids.intensity": s / 10})
            for v in ("baseline", "raids") for s in range(3)]
    store.add(RunRecord(run_id=new_id(), scenario="toy", seed=7, status="failed",
                        error="ValueError: no markets"))
    runs = store.runs()
    assert len(runs) == len(store) == 7
    assert sorted(runs.status) == ["done"] * 6 + ["failed"]
    assert runs.loc[runs.status == "failed", "error"].item() == "ValueError: no markets"

    summary = store.summary()  # finished runs only
    assert len(summary) == 6
    assert list(summary.columns) == ["run_id", "ensemble_id", "scenario", "variant", "seed",
                                     "lab_raids.intensity", "deaths", "supply"]
    for rec, series in made:
        row = summary.set_index("run_id").loc[rec.run_id]
        assert row.deaths == series.deaths.sum()
        assert row.supply == pytest.approx(series.supply.sum(), rel=0, abs=0)
        assert row["lab_raids.intensity"] == rec.seed / 10

    raids = store.runs(variant="raids")
    assert sorted(raids.seed) == [0, 1, 2] and set(raids.variant) == {"raids"}
    got = store.series(raids.run_id)
    assert list(got.columns[:3]) == ["run_id", "variant", "seed"]
    for rec, series in made[3:]:
        part = got[got.run_id == rec.run_id].drop(columns=["run_id", "variant", "seed"])
        pd.testing.assert_frame_equal(part.reset_index(drop=True), series)
    long = store.series(raids.run_id, long=True)
    assert len(long) == 3 * 6 * 2  # runs x steps x metrics
    assert set(long.metric) == {"deaths", "supply"}
    assert long.value.sum() == pytest.approx(got.deaths.sum() + got.supply.sum())


def test_filters_and_prefix_ids(store: RunStore):
    a, _ = make_run(store, 1, scenario="toy")
    b, _ = make_run(store, 2, scenario="us-baseline")
    assert store.runs(scenario="us-baseline").run_id.tolist() == [b.run_id]
    assert store.runs(status="failed").empty
    assert store.resolve([a.run_id[:8]]) == [a.run_id]
    for rid in ("abc0001", "abc0002"):
        store.add(RunRecord(run_id=rid, scenario="toy", seed=0), make_series(0))
    assert store.resolve(["abc0002"]) == ["abc0002"]
    with pytest.raises(StoreError, match="'abc' is ambiguous: it matches abc0001, abc0002"):
        store.resolve(["abc"])
    with pytest.raises(StoreError, match="no run 'zzzz'"):
        store.resolve(["zzzz"])
    with pytest.raises(StoreError, match="unknown run filter"):
        store.summary(colour="red")
    with pytest.raises(StoreError, match=r"field 'status': expected done or failed, got "
                                         r"'finished'"):
        store.runs(status="finished")


def test_a_filter_value_is_taken_as_its_columns_type(store: RunStore):
    # scenario=3 ended in DuckDB's BinderException: VARCHAR against INTEGER (review s20, api)
    a, _ = make_run(store, 1, scenario="3")
    assert store.runs(scenario=3).run_id.tolist() == [a.run_id]
    assert store.summary(seed="1").run_id.tolist() == [a.run_id]
    with pytest.raises(InputError, match="field 'seed': expected a whole number of at least 0, "
                                         "got 'one'"):
        store.summary(seed="one")


def test_delete_removes_files_and_rebuild_does_not_bring_runs_back(store: RunStore):
    keep, _ = make_run(store, 1)
    gone, _ = make_run(store, 2)
    with pytest.raises(StoreError, match="needs run ids or a filter"):
        store.delete()
    assert store.delete([gone.run_id[:10]]) == 1
    assert not series_file(store.root, gone.run_id).exists()
    assert not manifest_file(store.root, gone.run_id).exists()
    assert store.runs().run_id.tolist() == [keep.run_id]
    store.rebuild()
    assert store.runs().run_id.tolist() == [keep.run_id]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export(store: RunStore, tmp_path: Path, fmt: str):
    made = [make_run(store, s) for s in range(2)]
    out = store.export(tmp_path / "out", format=fmt)
    read = pd.read_csv if fmt == "csv" else pd.read_parquet
    runs, series = read(out["runs"]), read(out["series"])
    assert sorted(runs.run_id) == sorted(r.run_id for r, _ in made)
    for rec, s in made:
        row = runs.set_index("run_id").loc[rec.run_id]
        assert row.deaths == s.deaths.sum()
        part = series[series.run_id == rec.run_id]
        np.testing.assert_allclose(part.supply.to_numpy(), s.supply.to_numpy())


def test_export_is_all_or_none(store: RunStore, tmp_path: Path, monkeypatch):
    """The audit's finding 1: ``runs.<ext>`` was replaced before ``series.<ext>`` failed,
    leaving a new runs table next to old (or no) series, and a folder made for the
    export stayed behind."""
    make_run(store, 1)
    out = tmp_path / "out"
    out.mkdir()
    (out / "runs.parquet").write_text("old runs")
    (out / "series.parquet").write_text("old series")
    real = pd.DataFrame.to_parquet

    def disk_fills_on_the_series(df, path, *args, **kwargs):
        if "step" not in df.columns:  # the runs table goes through
            return real(df, path, *args, **kwargs)
        Path(path).write_bytes(b"PAR1 half written")
        raise OSError(28, "No space left on device")

    real_batch = pq.ParquetWriter.write_table

    def disk_fills_on_a_batch(writer, table, *args, **kwargs):  # the series, by batches
        if "step" not in table.column_names:
            return real_batch(writer, table, *args, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", disk_fills_on_the_series)
    monkeypatch.setattr(pq.ParquetWriter, "write_table", disk_fills_on_a_batch)
    with pytest.raises(InputError) as exc:
        store.export(out)
    assert str(exc.value) == f"{out / 'series.parquet'}: cannot write: No space left on device"
    assert {p.name: p.read_text() for p in out.iterdir()} == {
        "runs.parquet": "old runs", "series.parquet": "old series"}  # no temporaries
    with pytest.raises(InputError):
        store.export(tmp_path / "fresh")
    assert not (tmp_path / "fresh").exists()
    monkeypatch.undo()
    # an existing file is not a folder to export into
    (tmp_path / "afile").write_text("x")
    with pytest.raises(InputError) as exc:
        store.export(tmp_path / "afile")
    assert str(exc.value) == (f"{tmp_path / 'afile'}: exists and is not a folder; expected "
                              f"a folder for dest")
    assert sorted(pd.read_parquet(store.export(out)["runs"]).seed) == [1]


def test_store_location_from_argument_env_and_catalog_path(tmp_path, monkeypatch):
    monkeypatch.setenv("FENTANET_STORE", str(tmp_path / "env-store"))
    assert resolve_store_path() == (tmp_path / "env-store", tmp_path / "env-store/runs.duckdb")
    assert resolve_store_path(tmp_path / "x" / "my.duckdb") == (tmp_path / "x",
                                                                 tmp_path / "x" / "my.duckdb")
    monkeypatch.delenv("FENTANET_STORE")
    assert resolve_store_path() == (Path("fentanet-runs"), Path("fentanet-runs/runs.duckdb"))
    with pytest.raises(StoreError, match="no run store"):
        RunStore(tmp_path / "absent", create=False)


def test_a_new_store_makes_its_last_folder_only_unless_from_the_environment(
        tmp_path, monkeypatch):
    # --store made every missing parent, while --out and --to refuse to
    with pytest.raises(StoreError) as exc:
        RunStore(tmp_path / "typo" / "runs")
    assert str(exc.value) == (
        f"cannot create the run store {tmp_path / 'typo' / 'runs'}: the folder "
        f"{tmp_path / 'typo'} does not exist; only the last folder of the path is made, "
        "never missing parents (a typo would make folders wherever it points): make them "
        "first")
    assert not (tmp_path / "typo").exists()
    with pytest.raises(StoreError, match=r"the folder .*typo does not exist"):
        RunStore(tmp_path / "typo" / "s" / "x.duckdb")
    assert RunStore(tmp_path / "s" / "my.duckdb").root == tmp_path / "s"  # its folder made
    # $FENTANET_STORE is set once (a shell profile): its folders are made with parents
    monkeypatch.setenv("FENTANET_STORE", str(tmp_path / "home" / ".local" / "runs"))
    assert RunStore().root.is_dir()


# ------------------------------------------------------------------ atomic writes


def test_failed_series_write_leaves_nothing(store: RunStore, monkeypatch):
    def broken(table, where, **kw):
        Path(where).write_bytes(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(store_files.pq, "write_table", broken)
    rec = RunRecord(run_id=new_id(), scenario="toy", seed=1)
    with pytest.raises(OSError, match="disk full"):
        store.add(rec, make_series(1))
    assert len(store) == 0
    assert not series_file(store.root, rec.run_id).exists()
    assert temp_files(store.root) == []


def test_killed_before_manifest_leaves_run_invisible(store: RunStore, monkeypatch):
    def killed(root, record):
        raise KeyboardInterrupt

    monkeypatch.setattr(store_files, "write_manifest", killed)
    rec = RunRecord(run_id=new_id(), scenario="toy", seed=1)
    with pytest.raises(KeyboardInterrupt):
        store.add(rec, make_series(1))
    assert series_file(store.root, rec.run_id).exists()  # complete but unannounced
    assert len(store) == 0
    assert store.rebuild().runs == 0
    assert store.check().orphan_series == [str(series_file(store.root, rec.run_id))]


def test_register_refuses_runs_whose_files_are_not_written(store: RunStore):
    rec = RunRecord(run_id=new_id(), scenario="toy", seed=1)
    with pytest.raises(StoreError, match="manifest is not written"):
        store.register([rec])
    assert len(store) == 0


def test_written_but_unregistered_runs_are_recovered_by_rebuild(store: RunStore):
    registered, _ = make_run(store, 1)
    rec = write_run(store.root, RunRecord(run_id=new_id(), scenario="toy", seed=2),
                    make_series(2))
    assert store.runs().run_id.tolist() == [registered.run_id]
    assert store.check().unregistered == [rec.run_id]
    report = store.rebuild()
    assert report.runs == 2 and Path(report.backup).exists()
    assert sorted(store.runs().run_id) == sorted([registered.run_id, rec.run_id])
    assert store.check().ok


def test_missing_catalog_is_rebuilt_on_open(store: RunStore):
    rec, _ = make_run(store, 3)
    store.catalog.unlink()
    again = RunStore(store.root)
    assert again.runs().run_id.tolist() == [rec.run_id]


WRITER = textwrap.dedent("""
    import sys
    import numpy as np, pandas as pd
    from fentanet.store import RunRecord, RunStore, new_id
    root, n, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    store = RunStore(root)
    steps = 2000
    for i in range(n):
        rng = np.random.default_rng(i)
        series = pd.DataFrame({"step": np.arange(steps),
                               **{f"m{j}": rng.random(steps) for j in range(20)}})
        rec = RunRecord(run_id=new_id(), scenario="toy", seed=i, variant=tag,
                        summary={"m0": float(series.m0.sum())})
        store.add(rec, series)
""")


def _writer(root: Path, n: int, tag: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, "-c", WRITER, str(root), str(n), tag], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _assert_consistent(store: RunStore) -> pd.DataFrame:
    """Every run in the catalog is complete: its series read back and match the summary."""
    runs = store.runs()
    report = store.check()
    assert report.damaged == [] and report.missing_manifest == []
    if len(runs):
        series = store.series(runs.run_id)
        sums = series.groupby("run_id").m0.sum()
        summary = store.summary().set_index("run_id").m0
        np.testing.assert_allclose(sums.loc[summary.index], summary, rtol=1e-12)
        assert set(series.groupby("run_id").size()) == {2000}
    return runs


@pytest.mark.slow
def test_store_survives_writers_killed_mid_write(tmp_path: Path):
    root = tmp_path / "runs"
    RunStore(root)
    manifests = root / "manifests"
    for delay in (0.0, 0.11, 0.23):  # kill at a different point of the write cycle
        proc = _writer(root, 10_000, "killed")
        start = len(list(manifests.glob("*.json")))
        deadline = time.monotonic() + 60
        while len(list(manifests.glob("*.json"))) < start + 3 and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.02)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    store = RunStore(root)
    before = _assert_consistent(store)
    written = {p.stem for p in manifests.glob("*.json")}
    assert set(before.run_id) <= written
    assert len(written) >= 9
    store.rebuild()
    after = _assert_consistent(store)
    assert set(after.run_id) == written  # every completed run is recovered
    assert temp_files(root) == []  # the killed writers' leftovers are removed
    assert store.check().ok
    for rid in written:
        rec = read_manifest(manifest_file(root, rid))
        assert pq.read_metadata(root / rec.series_path).num_rows == 2000


def test_a_damaged_catalog_is_rebuilt_from_the_manifests_on_open(tmp_path: Path):
    """A catalog DuckDB finds damaged (a writer killed while DuckDB wrote a checkpoint:
    'computed checksum does not match') is rebuilt from the manifests when the store is
    opened, with a warning; the damaged file is kept beside it."""
    root = tmp_path / "runs"
    store = RunStore(root)
    made = sorted(make_run(store, s)[0].run_id for s in range(3))
    with open(store.catalog, "r+b") as f:  # garble a block of the catalog
        f.seek(12288)
        f.write(bytes(range(64)))
    with pytest.raises(duckdb.Error, match="checksum"):
        duckdb.connect(str(store.catalog)).execute("SELECT * FROM runs").fetchall()
    with pytest.warns(UserWarning, match="damaged .* rebuilt it from 3 manifests"):
        healed = RunStore(root)
    assert sorted(healed.runs().run_id) == made
    assert healed.check().ok
    assert (root / (store.catalog.name + ".damaged")).is_file()
    with open(healed.catalog, "r+b") as f:  # damaged again: the first backup is kept
        f.seek(12288)
        f.write(bytes(range(64)))
    with pytest.warns(UserWarning, match="kept as .*runs.duckdb.damaged.1"):
        assert sorted(RunStore(root).runs().run_id) == made
    assert (root / (store.catalog.name + ".damaged")).is_file()


def test_a_locked_or_foreign_catalog_is_not_rebuilt(tmp_path: Path):
    """Only damage triggers a rebuild: a file that is not a fentanet catalog is an error
    that leaves it as it is."""
    root = tmp_path / "runs"
    root.mkdir()
    con = duckdb.connect(str(root / "runs.duckdb"))
    con.execute("CREATE TABLE other (x INTEGER)")
    con.close()
    with pytest.raises(StoreError, match="not a fentanet run catalog"):
        RunStore(root)
    assert not (root / "runs.duckdb.damaged").exists()


@pytest.mark.slow
def test_two_writer_processes_at_once(tmp_path: Path):
    root = tmp_path / "runs"
    RunStore(root)
    procs = [_writer(root, 15, tag) for tag in ("a", "b")]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
    store = RunStore(root)
    runs = _assert_consistent(store)
    assert runs.groupby("variant").size().to_dict() == {"a": 15, "b": 15}
    assert store.check().ok


# ------------------------------------------------------------------ schema versions


def _old_catalog(store: RunStore, version: int) -> None:
    """Replace the catalog by one of another schema version, as an older fentanet wrote."""
    store.catalog.unlink()
    con = duckdb.connect(str(store.catalog))
    con.execute("CREATE TABLE schema_version (version INTEGER, written_at TIMESTAMP, "
                "fentanet_version VARCHAR)")
    con.execute("INSERT INTO schema_version VALUES (?, now()::TIMESTAMP, '0.0.1')", [version])
    con.execute("CREATE TABLE runs (run_id VARCHAR, scenario VARCHAR, seed BIGINT, "
                "summary JSON, path VARCHAR)")
    con.close()


def test_older_catalog_is_migrated_from_manifests(store: RunStore):
    made = [make_run(store, s)[0].run_id for s in range(3)]
    _old_catalog(store, SCHEMA_VERSION - 1)
    with pytest.warns(UserWarning, match=f"migrated the catalog from schema version "
                                         f"{SCHEMA_VERSION - 1}"):
        again = RunStore(store.root)
    assert sorted(again.runs().run_id) == sorted(made)
    assert again.summary().deaths.notna().all()
    assert again.catalog.with_name(f"runs.duckdb.v{SCHEMA_VERSION - 1}.bak").exists()
    con = duckdb.connect(str(again.catalog), read_only=True)
    assert con.execute("SELECT max(version) FROM schema_version").fetchone()[0] == SCHEMA_VERSION
    con.close()


def test_newer_catalog_is_refused_with_advice(store: RunStore):
    _old_catalog(store, SCHEMA_VERSION + 1)
    with pytest.raises(StoreError, match=r"newer fentanet.*upgrade fentanet"):
        RunStore(store.root)


def test_foreign_duckdb_file_is_refused(tmp_path: Path):
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE trades (x INTEGER)")
    con.close()
    with pytest.raises(StoreError, match="not a fentanet run catalog"):
        RunStore(path)


def test_damaged_catalog_file_is_rebuilt_or_names_the_rebuild_command(store: RunStore):
    rec, _ = make_run(store, 1)
    store.catalog.write_bytes(b"this is not a database" * 100)
    with pytest.warns(UserWarning, match="rebuilt it from 1 manifests"):
        assert RunStore(store.root).runs().run_id.tolist() == [rec.run_id]
    # without manifests it may not be a store at all: an error, the file left alone
    other = store.root.parent / "other"
    other.mkdir()
    (other / "runs.duckdb").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="fentanet runs rebuild"):
        RunStore(other)
    assert (other / "runs.duckdb").read_bytes() == b"this is not a database" * 100


# ------------------------------------------------------------------ damaged series


def test_damaged_parquet_is_named_and_does_not_hide_other_runs(store: RunStore):
    good = [make_run(store, s)[0] for s in range(3)]
    bad, _ = make_run(store, 9)
    path = series_file(store.root, bad.run_id)
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    data[mid - 40: mid + 40] = b"\x00" * 80
    path.write_bytes(bytes(data))

    assert len(store.runs()) == 4 and len(store.summary()) == 4
    with pytest.raises(StoreError) as info:
        store.series()
    assert bad.run_id in str(info.value) and str(path) in str(info.value)
    ok = store.series([r.run_id for r in good])
    assert set(ok.run_id) == {r.run_id for r in good}
    with pytest.warns(UserWarning, match=bad.run_id):
        skipped = store.series(on_error="skip")
    assert set(skipped.run_id) == {r.run_id for r in good}
    report = store.check()
    assert [rid for rid, _ in report.damaged] == [bad.run_id]


def test_missing_parquet_is_named(store: RunStore):
    rec, _ = make_run(store, 1)
    series_file(store.root, rec.run_id).unlink()
    with pytest.raises(StoreError, match=f"run {rec.run_id}: series file .* is missing"):
        store.series([rec.run_id])


# ------------------------------------------------------------------ records


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=12),
                       st.floats(allow_nan=True, allow_infinity=True), max_size=6),
       st.integers(0, 2**62), st.dictionaries(st.text(max_size=8), st.integers(), max_size=3))
def test_manifest_round_trip(summary, seed, params):
    rec = RunRecord(run_id=new_id(), scenario="toy", seed=seed, summary=summary, params=params,
                    status="failed", error="x")
    back = RunRecord.from_json(json.loads(json.dumps(rec.to_json())))
    assert back.seed == seed and back.params == params
    assert set(back.summary) == set(summary)
    for k, v in summary.items():
        assert (math.isnan(v) and math.isnan(back.summary[k])) or back.summary[k] == v


def test_summary_must_be_numeric():
    with pytest.raises(StoreError, match="summary value 'label' must be a number"):
        RunRecord(run_id="r1", scenario="toy", seed=1, summary={"label": "high"})


@pytest.mark.parametrize("error", [duckdb.InterruptException("INTERRUPT Error: Interrupted!"),
                                   RuntimeError("Query interrupted")])
def test_ctrl_c_during_a_catalog_write_is_a_keyboard_interrupt_and_loses_nothing(
        store: RunStore, monkeypatch, error):
    """DuckDB turns SIGINT during a statement into its own error; registering runs then
    raises KeyboardInterrupt (what an ensemble's interrupt handling catches), the catalog
    is unchanged, and the same runs register afterwards."""
    from fentanet.store import catalog

    kept, _ = make_run(store, 1)
    series = make_series(2)
    rec = RunRecord(run_id=new_id(), scenario="toy", seed=2, summary={"deaths": 1.0})
    write_run(store.root, rec, series)
    real = catalog.insert

    def interrupted_commit(con, records):
        class Con:
            def __getattr__(self, name):
                return getattr(con, name)

            def execute(self, sql, *args):
                if sql == "COMMIT":
                    raise error
                return con.execute(sql, *args)

        return real(Con(), records)

    monkeypatch.setattr(catalog, "insert", interrupted_commit)
    with pytest.raises(KeyboardInterrupt):
        store.register([rec])
    assert store.runs().run_id.tolist() == [kept.run_id]
    monkeypatch.setattr(catalog, "insert", real)
    assert store.register([rec]) == 1
    assert sorted(store.runs().run_id) == sorted([kept.run_id, rec.run_id])


def test_a_manifest_never_points_the_store_at_files_outside_it(store: RunStore,
                                                                tmp_path: Path):
    """A store is data: a manifest naming a series file outside the store (absolute, or
    up with ``..``) or a run id that is a path is skipped by rebuild, so deleting runs never
    removes a file elsewhere; a tampered catalog row is not followed either."""
    precious = tmp_path / "precious.parquet"
    make_series(0).to_parquet(precious)
    rec, _ = make_run(store, 1)
    data = json.loads(manifest_file(store.root, rec.run_id).read_text())
    for i, (rid, rel) in enumerate([(rec.run_id[:-1] + "x", str(precious)),
                                    (rec.run_id[:-1] + "y", "../precious.parquet"),
                                    ("../../precious", "series/../../precious.parquet"),
                                    ("a\\b", None)]):
        bad = {**data["run"], "run_id": rid, "series_path": rel}
        (store.root / "manifests" / f"bad{i}.json").write_text(
            json.dumps({**data, "run": bad}))
    report = store.rebuild()
    assert report.runs == 1 and len(report.skipped) == 4
    assert store.runs().run_id.tolist() == [rec.run_id]
    with duckdb.connect(str(store.catalog)) as con:  # a catalog row tampered with
        con.execute("UPDATE runs SET series_path = ?", [str(precious)])
    with pytest.raises(StoreError, match="outside"):
        store.series([rec.run_id], on_error="raise")
    assert store.delete([rec.run_id]) == 1
    assert precious.is_file()


def test_a_ctrl_c_that_duckdb_turned_into_its_error_is_a_keyboard_interrupt(store: RunStore):
    """Ctrl-C while any catalog statement runs (seen in the SELECT before an insert: an
    interrupted ensemble ended in 'RuntimeError: Query interrupted', exit 1) comes out of
    the store as KeyboardInterrupt; other errors are left as they are."""
    make_run(store, 1)
    with pytest.raises(KeyboardInterrupt), store._connect() as con:
        con.execute("SELECT 1")
        raise RuntimeError("Query interrupted")
    with pytest.raises(KeyboardInterrupt), store._connect():
        raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")
    with pytest.raises(RuntimeError, match="something else"), store._connect():
        raise RuntimeError("something else")
    assert len(store.runs()) == 1


def test_a_ctrl_c_while_duckdb_reads_a_frame_or_opens_the_catalog_is_a_keyboard_interrupt(
        store: RunStore, monkeypatch):
    """A Ctrl-C in the Python code DuckDB calls (reading the data frame of runs to insert)
    comes back wrapped in DuckDB's own error (seen 1 in 300 Ctrl-Cs at random moments of
    register: an ensemble then ended in a traceback), and one while it opens the catalog
    as 'Query interrupted'; both are KeyboardInterrupt, other errors stay as they are."""
    make_run(store, 1)
    wrapped = duckdb.Error('Traceback (most recent call last):\n  File "x.py", line 1, in '
                           '__iter__\nKeyboardInterrupt: ')
    with pytest.raises(KeyboardInterrupt), store._connect():
        raise wrapped
    real = duckdb.connect
    for error, expected in [(RuntimeError("Query interrupted"), KeyboardInterrupt),
                            (duckdb.InterruptException("INTERRUPT Error"), KeyboardInterrupt),
                            (RuntimeError("something else"), RuntimeError)]:
        def connect(*args, error=error, **kwargs):
            raise error

        monkeypatch.setattr(duckdb, "connect", connect)
        with pytest.raises(expected):
            store.runs()
    monkeypatch.setattr(duckdb, "connect", real)
    assert len(store.runs()) == 1
