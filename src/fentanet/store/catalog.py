"""The DuckDB catalog of a run store: schema, its version, inserts and queries.

DuckDB lets one process at a time open a database file for writing, so every connection
here is short (opened, used, closed) and made while holding the store's file lock
(:class:`~fentanet.store.files.FileLock`): many processes can share a store, one at a time
in the catalog, while the heavy work (running, writing Parquet) goes on in parallel.

Schema (version :data:`SCHEMA_VERSION`):

- ``schema_version(version, written_at, fentanet_version)``: one row;
- ``runs``: one row per run (see :class:`~fentanet.store.files.RunRecord`), ``params`` and
  ``setup`` as JSON;
- ``summaries(run_id, metric, value)``: the runs' summaries, long, so that SQL can filter
  and aggregate any metric (``RunStore.summary`` pivots them wide).

The manifests hold everything the catalog holds, so a catalog of an older schema is
migrated by rebuilding it from the manifests (the old file is kept beside it).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import pandas as pd

from fentanet.store.files import RunRecord, StoreError

SCHEMA_VERSION = 2
"""Version of the catalog schema this fentanet writes (2: ``runs.setup``)."""

RUN_COLUMNS: list[tuple[str, str]] = [
    ("run_id", "VARCHAR PRIMARY KEY"),
    ("ensemble_id", "VARCHAR"),
    ("scenario", "VARCHAR NOT NULL"),
    ("digest", "VARCHAR"),
    ("seed", "BIGINT NOT NULL"),
    ("variant", "VARCHAR"),
    ("params", "JSON"),
    ("setup", "JSON"),
    ("status", "VARCHAR NOT NULL"),
    ("error", "VARCHAR"),
    ("fentanet_version", "VARCHAR"),
    ("numpy_version", "VARCHAR"),
    ("host", "VARCHAR"),
    ("started_at", "TIMESTAMP"),
    ("finished_at", "TIMESTAMP"),
    ("elapsed_s", "DOUBLE"),
    ("series_path", "VARCHAR"),
    ("series_rows", "BIGINT"),
    ("series_sha256", "VARCHAR"),
    ("registered_at", "TIMESTAMP"),
]
RUN_FIELDS = [name for name, _ in RUN_COLUMNS]


NO_EXTENSIONS = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
"""DuckDB options of every connection the store makes (DuckDB 1.x and 2.x names): a
catalog never makes DuckDB fetch an extension from the internet or load one (by default a
SQLite file opened as a database makes DuckDB download and load its ``sqlite_scanner``);
Parquet and JSON, which the store uses, are built into DuckDB's Python package."""


def connect(path: str | Path = ":memory:", *, read_only: bool = False
            ) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to ``path`` (default an in-memory database) with
    :data:`NO_EXTENSIONS`."""
    return duckdb.connect(str(path), read_only=read_only, config=dict(NO_EXTENSIONS))


FOREIGN_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"SQLite format 3\x00", "a SQLite database"),
    (b"PAR1", "a Parquet file"),
    (b"PK\x03\x04", "a zip archive"),
    (b"\x1f\x8b", "a gzip file"),
)
"""Leading bytes of files sometimes put where a catalog belongs, and what they are (SQLite:
sqlite.org/fileformat.html, section 1.3; Parquet: its format specification). A DuckDB file
has ``DUCK`` at byte 8 (:data:`DUCKDB_MAGIC`), after a checksum that differs per file."""

DUCKDB_MAGIC = (8, b"DUCK")
"""Where a DuckDB file says what it is: its first 8 bytes are a checksum (any value, so
about one healthy catalog in 65,536 starts as gzip's ``1f 8b``), then ``DUCK``."""


def foreign_kind(path: Path) -> str | None:
    """What ``path`` is when its first bytes say it is a known kind of file that is not a
    DuckDB database (:data:`FOREIGN_SIGNATURES`); ``None`` otherwise (a DuckDB file, a
    damaged one, or content of no known kind)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return None
    at, magic = DUCKDB_MAGIC
    if head[at:at + len(magic)] == magic:
        return None
    return next((kind for magic, kind in FOREIGN_SIGNATURES if head.startswith(magic)), None)


def create_schema(con: duckdb.DuckDBPyConnection, fentanet_version: str) -> None:
    cols = ",\n  ".join(f"{n} {t}" for n, t in RUN_COLUMNS)
    con.execute(f"CREATE TABLE runs (\n  {cols}\n)")
    con.execute("CREATE TABLE summaries (run_id VARCHAR NOT NULL, metric VARCHAR NOT NULL, "
                "value DOUBLE)")
    con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL, "
                "written_at TIMESTAMP NOT NULL, fentanet_version VARCHAR)")
    con.execute("INSERT INTO schema_version VALUES (?, now()::TIMESTAMP, ?)",
                [SCHEMA_VERSION, fentanet_version])


def schema_version(con: duckdb.DuckDBPyConnection, path: Path) -> int | None:
    """The catalog's schema version; ``None`` for an empty database file."""
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    ).fetchall()}
    if not tables:
        return None
    if "schema_version" not in tables:
        raise StoreError(
            f"{path}: this DuckDB file is not a fentanet run catalog (no schema_version "
            f"table; it has {sorted(tables)}); point --store at a fentanet store folder")
    row = con.execute("SELECT max(version) FROM schema_version").fetchone()
    if row is None or row[0] is None:
        raise StoreError(f"{path}: the catalog's schema_version table is empty; rebuild the "
                         f"catalog from the manifests with `fentanet runs rebuild`")
    return int(row[0])


def insert(con: duckdb.DuckDBPyConnection, records: Sequence[RunRecord]) -> int:
    """Insert records not yet in the catalog (by run id); returns how many were new."""
    if not records:
        return 0
    ids = [r.run_id for r in records]
    have = {row[0] for row in con.execute(
        "SELECT run_id FROM runs WHERE run_id IN (SELECT unnest(?))", [ids]).fetchall()}
    new = [r for r in records if r.run_id not in have]
    seen: set[str] = set()
    new = [r for r in new if not (r.run_id in seen or seen.add(r.run_id))]
    if not new:
        return 0
    runs = pd.DataFrame({
        "run_id": [r.run_id for r in new],
        "ensemble_id": [r.ensemble_id for r in new],
        "scenario": [r.scenario for r in new],
        "digest": [r.digest for r in new],
        "seed": pd.array([r.seed for r in new], dtype="int64"),
        "variant": [r.variant for r in new],
        "params": [json.dumps(r.params, sort_keys=True, default=str) for r in new],
        "setup": [json.dumps(r.setup, sort_keys=True, default=str) for r in new],
        "status": [r.status for r in new],
        "error": [r.error for r in new],
        "fentanet_version": [r.fentanet_version for r in new],
        "numpy_version": [r.numpy_version for r in new],
        "host": [r.host for r in new],
        "started_at": pd.to_datetime([r.started_at for r in new]),
        "finished_at": pd.to_datetime([r.finished_at for r in new]),
        "elapsed_s": pd.array([r.elapsed_s for r in new], dtype="Float64"),
        "series_path": [r.series_path for r in new],
        "series_rows": pd.array([r.series_rows for r in new], dtype="Int64"),
        "series_sha256": [r.series_sha256 for r in new],
    })
    metric_rows = [(r.run_id, k, v) for r in new for k, v in r.summary.items()]
    summaries = pd.DataFrame(metric_rows, columns=["run_id", "metric", "value"])
    summaries["value"] = summaries["value"].astype("float64")
    con.register("_new_runs", runs)
    con.register("_new_summaries", summaries)
    try:
        with transaction(con):
            cols = ", ".join(RUN_FIELDS[:-1])
            con.execute(f"INSERT INTO runs ({cols}, registered_at) "
                        f"SELECT {cols}, now()::TIMESTAMP FROM _new_runs")
            con.execute("INSERT INTO summaries SELECT run_id, metric, value FROM _new_summaries")
    finally:
        con.unregister("_new_runs")
        con.unregister("_new_summaries")
    return len(new)


def delete(con: duckdb.DuckDBPyConnection, run_ids: Sequence[str]) -> None:
    with transaction(con):
        con.execute("DELETE FROM summaries WHERE run_id IN (SELECT unnest(?))", [list(run_ids)])
        con.execute("DELETE FROM runs WHERE run_id IN (SELECT unnest(?))", [list(run_ids)])


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """The statements of the block in one transaction: committed at its end, rolled back on
    any error; a Ctrl-C that DuckDB turned into its own error while a statement ran comes
    out as KeyboardInterrupt (callers, an ensemble's interrupt handling, expect it)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException as exc:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass  # the failed statement already ended the transaction
        if interrupted(exc):
            raise KeyboardInterrupt from None
        raise


DAMAGE = ("corrupt database file", "checksum", "not a valid duckdb database",
          "replaying wal", "wal playback", "could not read enough bytes")
"""Words of DuckDB's errors on a damaged database file (lower case); the last is a file cut
short (a copy or a disk that filled up)."""


def damaged(exc: BaseException) -> bool:
    """Whether a DuckDB error says the database file is damaged (not locked or missing)."""
    text = str(exc).lower()
    return isinstance(exc, duckdb.Error) and any(word in text for word in DAMAGE)


def held(exc: BaseException) -> bool:
    """Whether a DuckDB error says another process holds the database file's lock."""
    text = str(exc).lower()
    return isinstance(exc, duckdb.Error) and ("could not set lock" in text
                                              or "conflicting lock" in text)


def interrupted(exc: BaseException) -> bool:
    """Whether DuckDB stopped a statement because of an interrupt (SIGINT): its interrupt
    error, 'Query interrupted', or the KeyboardInterrupt raised in Python code DuckDB
    called (reading a registered data frame), which it wraps in its own error."""
    return isinstance(exc, duckdb.InterruptException) or (
        isinstance(exc, RuntimeError) and "interrupted" in str(exc).lower()) or (
        isinstance(exc, duckdb.Error) and "KeyboardInterrupt" in str(exc))
