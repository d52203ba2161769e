"""The run store on a read-only file system, and catalogs damaged where opening them does
not look (a block read only by a query, a file cut short)."""

from __future__ import annotations

import errno
import gzip
import os
import warnings
from pathlib import Path

import duckdb
import pytest

from fentanet.store import RunRecord, RunStore, StoreError, catalog, new_id
from fentanet.store import files as store_files
from fentanet.store import store as store_module
from test_store import make_run, make_series


def _read_only(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    """Make ``root`` behave as a folder on a read-only file system for this process: no
    file can be created or opened for writing in it and ``os.access`` says so (root may
    write anywhere, so chmod cannot show this in a test)."""
    real_open, real_access = os.open, os.access
    inside = str(root.resolve())

    def is_inside(path) -> bool:
        return str(Path(path).resolve()).startswith(inside)

    def fake_open(path, flags, *args, **kwargs):
        if is_inside(path) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, flags, *args, **kwargs)

    def fake_access(path, mode, *args, **kwargs):
        if is_inside(path) and mode & os.W_OK:
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(store_files.os, "open", fake_open)
    monkeypatch.setattr(store_module.os, "access", fake_access)


def test_a_read_only_store_reads_and_refuses_writes_by_name(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch):
    root = tmp_path / "archive"
    store = RunStore(root)
    made = [make_run(store, s) for s in range(2)]
    before = store.catalog.read_bytes()
    _read_only(monkeypatch, root)

    ro = RunStore(root, create=False)  # failed before: the lock file was opened to write
    assert not ro.writable
    assert sorted(ro.runs().run_id) == sorted(r.run_id for r, _ in made)
    series = ro.series([made[0][0].run_id])
    assert series.deaths.tolist() == made[0][1].deaths.tolist()
    assert ro.check().ok
    files = sorted(p.name for p in root.rglob("*"))
    new = RunRecord(run_id=new_id(), scenario="toy", seed=5)
    for write in (lambda: ro.add(new, make_series(5)), lambda: ro.delete(status="done"),
                  ro.rebuild):
        with pytest.raises(StoreError, match="read-only"):
            write()
    assert store.catalog.read_bytes() == before  # nothing written, nothing lost
    assert sorted(p.name for p in root.rglob("*")) == files
    assert len(ro.runs()) == 2


def test_an_ensemble_into_a_read_only_store_fails_before_any_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from fentanet.ensemble import ensemble

    root = tmp_path / "archive"
    RunStore(root)
    _read_only(monkeypatch, root)
    calls = []

    def model(scenario, seed=1, variant=None, interventions=None):  # pragma: no cover
        calls.append(seed)
        raise AssertionError("no run should be made")

    with pytest.raises(StoreError, match=r"archive is read-only .* --store"):
        ensemble("toy", runs=2, store=root, scheduler="serial", progress=False, model=model)
    assert calls == []


def test_damage_in_a_block_only_a_query_reads_is_named_not_a_duckdb_traceback(
        tmp_path: Path):
    """Opening a catalog reads only some of its blocks; damage elsewhere shows in a query.
    It is a StoreError naming the file and the rebuild (before: DuckDB's own error, a
    traceback on the command line); the rebuild then recovers every run."""
    root = tmp_path / "runs"
    store = RunStore(root)
    made = sorted(make_run(store, s)[0].run_id for s in range(3))
    data = bytearray(store.catalog.read_bytes())
    data[-4096:-4032] = bytes(range(64))  # garble the catalog's last block
    store.catalog.write_bytes(bytes(data))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # damage seen on opening: rebuilt, also fine
        reopened = RunStore(root)
    try:
        ids = sorted(reopened.runs().run_id)
        reopened.summary()
    except StoreError as exc:
        assert str(reopened.catalog) in str(exc)
        assert "damaged" in str(exc) and f"fentanet runs rebuild --store {root}" in str(exc)
        assert reopened.rebuild().runs == 3
        ids = sorted(RunStore(root).runs().run_id)
    except duckdb.Error as exc:  # pragma: no cover - the defect
        pytest.fail(f"raw DuckDB error: {exc}")
    assert ids == made


def test_a_catalog_cut_short_is_rebuilt_on_opening(tmp_path: Path):
    """A truncated catalog (a copy cut short, a full disk: DuckDB says 'Could not read
    enough bytes') is damage like a bad checksum: rebuilt from the manifests on opening
    (before: refused, the user left to find `runs rebuild`)."""
    root = tmp_path / "runs"
    store = RunStore(root)
    made = sorted(make_run(store, s)[0].run_id for s in range(3))
    with open(store.catalog, "r+b") as f:
        f.truncate(100_000)
    with pytest.warns(UserWarning, match="damaged .* rebuilt it from 3 manifests"):
        healed = RunStore(root)
    assert sorted(healed.runs().run_id) == made
    assert (root / "runs.duckdb.damaged").stat().st_size == 100_000


def _sqlite_file(path: Path) -> bytes:
    import sqlite3

    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    return path.read_bytes()


def test_a_sqlite_file_as_the_catalog_is_refused_by_name_and_never_fetches_code(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The audit's finding 4: DuckDB opened a SQLite ``runs.duckdb`` by downloading its
    sqlite_scanner extension (an error without network access, code fetched into
    ~/.duckdb with it). Now the file's first bytes refuse it, writable or read-only, and
    the file is left as it is; with manifests beside it the rebuild is advised."""
    bare = tmp_path / "bare"
    bare.mkdir()
    sqlite = _sqlite_file(bare / "runs.duckdb")
    with pytest.raises(StoreError) as exc:
        RunStore(bare)
    assert str(exc.value) == (f"{bare / 'runs.duckdb'}: not a DuckDB run catalog (a SQLite "
                              f"database); point --store at a fentanet store folder")
    assert (bare / "runs.duckdb").read_bytes() == sqlite
    assert sorted(p.name for p in bare.iterdir()) == ["runs.duckdb", "runs.lock"]

    root = tmp_path / "runs"
    made = make_run(RunStore(root), 1)[0].run_id
    (root / "runs.duckdb").unlink()
    _sqlite_file(root / "runs.duckdb")
    hint = (f"{root / 'runs.duckdb'}: not a DuckDB run catalog (a SQLite database); point "
            f"--store at a fentanet store folder, or make a new catalog from this store's "
            f"manifests with `fentanet runs rebuild --store {root}` (the file is kept as "
            f"runs.duckdb.bak)")
    with pytest.raises(StoreError) as exc:
        RunStore(root)
    assert str(exc.value) == hint
    with monkeypatch.context() as m:
        _read_only(m, root)
        with pytest.raises(StoreError) as exc:
            RunStore(root, create=False)
        assert str(exc.value) == hint
    assert store_module.rebuild_catalog(root).runs == 1  # the advice works
    assert RunStore(root).runs().run_id.tolist() == [made]
    assert (root / "runs.duckdb.bak").read_bytes()[:16] == b"SQLite format 3\x00"


def test_a_catalog_whose_checksum_starts_as_gzip_is_not_called_gzip(tmp_path: Path):
    """Review s11 finding 3: a DuckDB file begins with an 8-byte checksum that differs per
    file, so about one healthy catalog in 65,536 starts ``1f 8b`` as gzip does; ``DUCK`` at
    byte 8 says what it is. Patching the bytes breaks the checksum, so DuckDB then reads the
    catalog as damaged and it is rebuilt from its manifests, not refused as a gzip file. A
    gzip file, which has no ``DUCK`` at byte 8, is still named."""
    root = tmp_path / "runs"
    made = make_run(RunStore(root), 1)[0].run_id
    path = root / "runs.duckdb"
    head = bytearray(path.read_bytes())
    assert head[8:12] == b"DUCK"
    head[0:2] = b"\x1f\x8b"
    path.write_bytes(bytes(head))
    assert catalog.foreign_kind(path) is None
    with pytest.warns(UserWarning, match="the run catalog was damaged"):
        store = RunStore(root)
    assert store.runs().run_id.tolist() == [made]

    gz = tmp_path / "gz.duckdb"
    gz.write_bytes(gzip.compress(b"runs" * 10))
    assert catalog.foreign_kind(gz) == "a gzip file"


def test_catalog_connections_never_install_or_load_extensions(tmp_path: Path):
    store = RunStore(tmp_path / "runs")
    make_run(store, 1)
    settings = ("SELECT name, value FROM duckdb_settings() WHERE name IN "
                "('autoinstall_known_extensions', 'autoload_known_extensions') ORDER BY name")
    for write in (False, True):
        with store._connect(write=write) as con:
            assert con.execute(settings).fetchall() == [
                ("autoinstall_known_extensions", "false"),
                ("autoload_known_extensions", "false")]
    assert len(store.series()) == 6  # Parquet is built in, not an extension to load


def test_a_catalog_damaged_where_opening_does_not_look_is_refused_before_any_run(
        tmp_path: Path):
    """The audit's finding 6: a catalog cut inside the runs table opened, the ensemble ran
    every run and wrote its files, then failed to register them. The tables are now read
    before any run, as docs/runs.md promises for a store that cannot be written."""
    from fentanet.ensemble import ensemble

    root = tmp_path / "runs"
    store = RunStore(root)
    for s in range(3):
        make_run(store, s)
    with open(store.catalog, "r+b") as f:  # the last block, where the runs table's data is
        f.truncate(store.catalog.stat().st_size - 4096)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # opening sees no damage: no rebuild
        cut = RunStore(root)
    assert len(cut) == 3  # the row count is in the metadata
    files = sorted(p.name for p in root.rglob("*"))
    calls = []

    def model(scenario, seed=1, variant=None, interventions=None):  # pragma: no cover
        calls.append(seed)
        raise AssertionError("no run should be made")

    with pytest.raises(StoreError) as exc:
        ensemble("toy", runs=2, store=cut, scheduler="serial", progress=False, model=model)
    assert str(exc.value).startswith(f"{store.catalog}: the run catalog is damaged (IO Error: "
                                     f"Could not read enough bytes")
    assert str(exc.value).endswith(f"rebuild it from them with `fentanet runs rebuild "
                                   f"--store {root}`")
    assert calls == []
    assert sorted(p.name for p in root.rglob("*")) == files
