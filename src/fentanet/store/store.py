"""The run store: every run kept, queryable as DataFrames.

Four runs of the toy scenario (a baseline and a variant on seeds 1 and 2, a quarter of a
year each), kept in a store of their own (by default ``./fentanet-runs``):

>>> import tempfile
>>> import fentanet
>>> folder = tempfile.TemporaryDirectory()
>>> ens = fentanet.ensemble("toy", runs=2, variants={"nal": [{"kind": "naloxone"}]},
...                         years=0.25, store=folder.name, scheduler="serial", progress=False)
>>> store = RunStore(folder.name)
>>> store.runs(scenario="toy", status="done")[["variant", "seed", "status", "series_rows"]]
    variant  seed status  series_rows
0  baseline     1   done           13
1       nal     1   done           13
2  baseline     2   done           13
3       nal     2   done           13
>>> store.series(store.runs(variant="nal").run_id).shape   # 2 runs x 13 steps, run_id first
(26, 91)
>>> store.summary(ensemble=ens.id)[["variant", "seed", "deaths_total"]]
    variant  seed  deaths_total
0  baseline     1          41.0
1       nal     1          32.0
2  baseline     2          40.0
3       nal     2          34.0
>>> folder.cleanup()
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from fentanet.errors import whole_number
from fentanet.simulate.output import check_folder, cost_columns_in_order, zero_costs
from fentanet.store import catalog
from fentanet.store.files import (
    LOCK_FILE,
    MANIFEST_DIR,
    PLAN_DIR,
    SERIES_DIR,
    STATUSES,
    FileLock,
    RunRecord,
    StoreError,
    atomic_path,
    manifest_file,
    own_series,
    plan_file,
    read_manifest,
    read_plan,
    read_series,
    series_file,
    series_rel,
    sha256_file,
    stale_temp_files,
    temp_files,
    valid_run_id,
    verify_series,
    write_manifest,
    write_plan,
    write_run,
)

DEFAULT_STORE = "fentanet-runs"
"""Default store folder, relative to the working directory."""
CATALOG_NAME = "runs.duckdb"
STORE_ENV = "FENTANET_STORE"
"""Environment variable naming the store (a folder, or its ``.duckdb`` catalog file)."""

ID_COLUMNS = ["run_id", "variant", "seed"]


def resolve_store_path(path: str | os.PathLike[str] | None = None) -> tuple[Path, Path]:
    """The store's (root folder, catalog file) for ``path``, ``$FENTANET_STORE`` or the default.

    ``path`` names the store folder, or its catalog file (``*.duckdb``; the folder is then
    the file's parent).
    """
    if path is None or str(path) == "":
        path = os.environ.get(STORE_ENV) or DEFAULT_STORE
    p = Path(path).expanduser()
    if p.suffix == ".duckdb":
        return p.parent, p
    return p, p / CATALOG_NAME


@dataclass
class RebuildReport:
    """What :meth:`RunStore.rebuild` did."""

    runs: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    removed_temp_files: list[str] = field(default_factory=list)
    backup: str | None = None
    restored: list[str] = field(default_factory=list)  # manifests written from the catalog
    removed_orphan_series: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # runs of the old catalog not kept


@dataclass
class CheckReport:
    """Problems :meth:`RunStore.check` found; empty lists mean a healthy store."""

    runs: int = 0
    damaged: list[tuple[str, str]] = field(default_factory=list)
    unregistered: list[str] = field(default_factory=list)
    missing_manifest: list[str] = field(default_factory=list)
    damaged_manifest: list[tuple[str, str]] = field(default_factory=list)
    orphan_series: list[str] = field(default_factory=list)
    temp_files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.damaged or self.unregistered or self.missing_manifest
                    or self.damaged_manifest)


def _unused(path: Path) -> Path:
    """``path``, or ``path.1``, ``path.2``, ... the first that does not exist (an earlier
    backup is never overwritten)."""
    k = 0
    out = path
    while out.exists() or _wal(out).exists():
        k += 1
        out = path.with_name(f"{path.name}.{k}")
    return out


BACKUPS = 2
"""Old catalogs a rebuild keeps (``runs.duckdb.bak``, the newest, and ``runs.duckdb.bak.1``):
each rebuild kept one more, never removed, until the twenty-second session (a store rebuilt
every night held a copy of its catalog for every night)."""


def _rotate(backup: Path) -> None:
    """Make room for a new ``backup`` (``runs.duckdb.bak``): the newest of the backups
    there are moves to ``.bak.1`` (up to :data:`BACKUPS` - 1 of them, newest first, to
    ``.bak.1``, ``.bak.2``, ...), the others are removed, with their write-ahead logs.
    Newest by the time their file was last written, not by name: older fentanets numbered
    them the other way (``.bak`` the oldest, the highest ``.bak.N`` the newest, the first
    free name), and ordering by name kept their oldest and removed the newest (final
    review, session 22)."""
    def nth(k: int) -> Path:
        return backup if k == 0 else backup.with_name(f"{backup.name}.{k}")

    found = [p for p in backup.parent.glob(backup.name + ".*")
             if p.name[len(backup.name) + 1:].isdigit()]
    found += [backup] if backup.exists() else []
    found.sort(key=lambda p: p.stat().st_mtime_ns, reverse=True)  # newest first
    keep = found[:BACKUPS - 1]
    for p in found[BACKUPS - 1:]:
        p.unlink(missing_ok=True)
        _wal(p).unlink(missing_ok=True)
    staged = []  # through names of their own, so that no kept one is overwritten
    for i, p in enumerate(keep):
        tmp = p.with_name(f"{backup.name}.rotating-{i}")
        os.replace(p, tmp)
        if _wal(p).exists():
            os.replace(_wal(p), _wal(tmp))
        else:
            _wal(tmp).unlink(missing_ok=True)
        staged.append(tmp)
    for k, tmp in enumerate(staged, start=1):
        os.replace(tmp, nth(k))
        if _wal(tmp).exists():
            os.replace(_wal(tmp), _wal(nth(k)))
        else:
            _wal(nth(k)).unlink(missing_ok=True)
    _wal(backup).unlink(missing_ok=True)


def _refuse_foreign(store: RunStore) -> None:
    """:class:`StoreError` before DuckDB opens a catalog file whose first bytes say it is
    another kind of file (a SQLite database, ...): not damage to rebuild over, and never
    handed to DuckDB, which would look for an extension to read it. The file is left as
    it is; the rebuild is advised when the folder has manifests to rebuild from."""
    kind = catalog.foreign_kind(store.catalog)
    if kind is None:
        return
    hint = "point --store at a fentanet store folder"
    if any((store.root / MANIFEST_DIR).glob("*.json")):
        hint += (f", or make a new catalog from this store's manifests with `fentanet runs "
                 f"rebuild --store {store.root}` (the file is kept as "
                 f"{store.catalog.name}.bak)")
    raise StoreError(f"{store.catalog}: not a DuckDB run catalog ({kind}); {hint}")


def _cannot_open(store: RunStore, exc: BaseException) -> StoreError:
    if catalog.held(exc):
        return _held(store, exc)
    return StoreError(
        f"{store.catalog}: cannot open the run catalog ({exc}); if the file is damaged, "
        f"rebuild it from the manifests with `fentanet runs rebuild --store {store.root}`")


def _held(store: RunStore, exc: BaseException) -> StoreError:
    """The error for a catalog another program holds open with DuckDB itself (a notebook's
    ``duckdb.connect``, DuckDB's command line, a database browser): its lock keeps every
    fentanet command out, even one that only reads, until it lets go (fentanet's own
    commands share a store, each holding the catalog a moment). The advice was to rebuild
    the catalog, which replaced the file under that program, until the twenty-first
    session."""
    return StoreError(
        f"{store.catalog}: another program has the run catalog open ({exc}); DuckDB lets no "
        f"other process open it meanwhile: close that connection (query a store with "
        f"fentanet.RunStore(...).query(sql), which holds it only while the query runs, or "
        f"with duckdb.connect(..., read_only=True) closed after use) and try again")


class RunStore:
    """A folder of runs: a DuckDB catalog, one Parquet file of series and one manifest per run.

    Parameters
    ----------
    path
        The store folder or its catalog file; default ``$FENTANET_STORE`` or
        ``./fentanet-runs``.
    create
        Create the store if it does not exist (otherwise :class:`StoreError`). A store
        named by ``path`` is made only as its last folder, never with missing parents, as
        every output path the user gives (``--out``, ``--to``): a typo in the path would
        make folders wherever it points. A store named by ``$FENTANET_STORE`` (set once,
        say in a shell profile, to a folder under the home that a fresh account lacks) is
        made with its parents; the default ``./fentanet-runs`` has the current folder.

    Opening a store whose catalog has an older schema migrates it by rebuilding the catalog
    from the manifests (the old catalog is kept as ``runs.duckdb.v<N>.bak``); a catalog
    missing while manifests exist is rebuilt the same way.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, create: bool = True):
        self.root, self.catalog = resolve_store_path(path)
        if not self.root.is_dir():
            if self.root.exists():
                raise StoreError(f"the run store {self.root} is a file, not a folder; give a "
                                 "folder (or its runs.duckdb)")
            if not create:
                raise StoreError(f"no run store at {self.root}")
            named = path is not None and str(path) != ""
            parent = self.root.absolute().parent
            if named and not parent.is_dir():
                raise StoreError(
                    f"cannot create the run store {self.root}: the folder {parent} does not "
                    "exist; only the last folder of the path is made, never missing parents "
                    "(a typo would make folders wherever it points): make them first")
            try:
                self.root.mkdir(parents=not named, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the run store {self.root}: {exc}") from None
        self._lock = FileLock(self.root / LOCK_FILE)
        self.writable = _writable(self.root, self.catalog)
        with self._lock:
            self._open()

    def __repr__(self) -> str:
        return f"RunStore({str(self.root)!r})"

    def __len__(self) -> int:
        with self._connect() as con:
            return con.execute("SELECT count(*) FROM runs").fetchone()[0]

    # ------------------------------------------------------------ opening, connections

    def _open(self) -> None:
        if not self.writable:
            self._open_read_only()
            return
        fresh = not self.catalog.exists()
        _refuse_foreign(self)
        if not fresh and self._current():
            return
        try:
            con = catalog.connect(self.catalog)
            try:
                version = catalog.schema_version(con, self.catalog)
                if version is None:
                    catalog.create_schema(con, _fentanet_version())
            finally:
                con.close()
        except duckdb.Error as exc:
            if fresh or not catalog.damaged(exc) or not (self.root / MANIFEST_DIR).is_dir():
                raise _cannot_open(self, exc) from None
            # the catalog is an index of the manifests: a file DuckDB finds damaged (a
            # writer killed while DuckDB wrote a checkpoint) is rebuilt from them
            report = self.rebuild(backup_suffix=".damaged")
            warnings.warn(
                f"{self.catalog}: the run catalog was damaged ({exc}); rebuilt it from "
                f"{report.runs} manifests; the damaged file is kept as {report.backup}",
                stacklevel=3)
            return
        if version is None:
            if fresh and any((self.root / MANIFEST_DIR).glob("*.json")):
                self.rebuild()
            return
        if version > catalog.SCHEMA_VERSION:
            raise StoreError(
                f"{self.catalog}: the catalog has schema version {version}, written by a newer "
                f"fentanet; this fentanet ({_fentanet_version()}) reads up to version "
                f"{catalog.SCHEMA_VERSION}: upgrade fentanet to use this store")
        if version < catalog.SCHEMA_VERSION:
            report = self.rebuild(backup_suffix=f".v{version}.bak")
            warnings.warn(
                f"{self.catalog}: migrated the catalog from schema version {version} to "
                f"{catalog.SCHEMA_VERSION} by rebuilding it from {report.runs} manifests; "
                f"the old catalog is kept as {report.backup}", stacklevel=3)

    def _current(self) -> bool:
        """Whether the catalog opens for reading and has this fentanet's schema: then
        opening the store writes nothing, and a program holding the catalog open for
        reading (a notebook's ``duckdb.connect(..., read_only=True)``) does not keep
        commands that only read out. Anything else (damage, another schema, a lock) is
        left to the opening for writing, which repairs or says what it is."""
        try:
            con = catalog.connect(self.catalog, read_only=True)
            try:
                return catalog.schema_version(con, self.catalog) == catalog.SCHEMA_VERSION
            finally:
                con.close()
        except (duckdb.Error, StoreError) as exc:
            if catalog.interrupted(exc):
                raise KeyboardInterrupt from None
            return False

    def _open_read_only(self) -> None:
        """Open a store this process may not write (a read-only file system, a store
        another user owns, an archive): everything reads, nothing writes, and a catalog
        that would need a rebuild or a migration is an error saying so."""
        if not self.catalog.exists():
            raise StoreError(f"{self.catalog}: no run catalog, and {self._read_only_why()}; "
                             f"it cannot be rebuilt here: copy the store to a writable folder "
                             f"and run `fentanet runs rebuild --store COPY`")
        _refuse_foreign(self)
        try:
            con = catalog.connect(self.catalog, read_only=True)
            try:
                version = catalog.schema_version(con, self.catalog)
            finally:
                con.close()
        except duckdb.Error as exc:
            raise _cannot_open(self, exc) from None
        if version != catalog.SCHEMA_VERSION:
            raise StoreError(
                f"{self.catalog}: the catalog has schema version {version}, this fentanet "
                f"reads version {catalog.SCHEMA_VERSION}, and {self._read_only_why()} (it "
                f"cannot be migrated here): copy the store to a writable folder and open it "
                f"there")

    def _read_only_why(self) -> str:
        return f"the run store {self.root} is read-only for this process"

    def check_writable(self) -> None:
        """:class:`StoreError` if this process cannot write the store (a read-only file
        system, no permission) or its catalog's tables cannot be read (damage that opening
        the catalog did not see, such as a file cut short inside the runs table), before
        any run is made for it. The tables are read once per :class:`RunStore`."""
        if not self.writable:
            raise StoreError(f"{self._read_only_why()}: it can be read (runs list, show, "
                             f"export) but not written; choose a writable store with --store "
                             f"or ${STORE_ENV}")
        if getattr(self, "_tables_read", False):
            return
        with self._lock:  # another program holding the catalog open (_held) keeps writers
            self._not_held()  # out: said now, not once the runs are made
        with self._connect() as con:  # a damaged block is a StoreError naming the rebuild
            for table in ("runs", "summaries"):  # every column of every row group
                con.execute(f"SELECT max(hash(COLUMNS(*))) FROM {table}").fetchall()
        self._tables_read = True

    def _duckdb(self, *, write: bool) -> duckdb.DuckDBPyConnection:
        if write:
            self.check_writable()
        try:
            return catalog.connect(self.catalog, read_only=not write)
        except Exception as exc:
            if catalog.interrupted(exc):  # a Ctrl-C while DuckDB opened the file
                raise KeyboardInterrupt from None
            if not isinstance(exc, duckdb.Error):
                raise
            raise _cannot_open(self, exc) from None

    @contextlib.contextmanager
    def _connect(self, *, write: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short catalog connection made under the store's lock. A Ctrl-C that DuckDB
        turned into its own error while a statement ran ('Query interrupted') comes out as
        the KeyboardInterrupt it was, whichever statement it stopped; damage DuckDB finds
        in a part of the catalog that opening it did not read is a :class:`StoreError`
        naming the file and the rebuild that repairs it."""
        with self._lock:
            con = self._duckdb(write=write)
            try:
                yield con
            except Exception as exc:
                if catalog.interrupted(exc):
                    raise KeyboardInterrupt from None
                if catalog.damaged(exc):
                    raise StoreError(
                        f"{self.catalog}: the run catalog is damaged ({exc}); it is an index of "
                        f"the runs' manifests: rebuild it from them with "
                        f"`fentanet runs rebuild --store {self.root}`") from None
                if write and isinstance(exc, duckdb.Error):  # a full disk: DuckDB's commit
                    raise StoreError(  # failed ("Could not write file ... .wal"), a traceback
                        f"{self.catalog}: cannot write the run catalog ({exc}); the runs' "
                        f"files are kept: once the cause is removed (a full disk: free space), "
                        f"`fentanet runs rebuild --store {self.root}` registers those missing "
                        f"from it") from None
                raise
            finally:
                con.close()

    # ------------------------------------------------------------ writing

    def add(self, record: RunRecord, series: pd.DataFrame | None = None) -> RunRecord:
        """Write one run's files and register it; returns the completed record."""
        self.check_writable()
        write_run(self.root, record, series)
        self.register([record])
        return record

    def register(self, records: Sequence[RunRecord]) -> int:
        """Add runs whose files are written (by :func:`write_run`) to the catalog.

        Checks that each run's manifest (and series, for a finished run) exists, so the
        catalog never names a run whose files are not complete. Runs already in the catalog
        are skipped; returns how many were added.
        """
        for r in records:
            if not manifest_file(self.root, r.run_id).is_file():
                raise StoreError(f"run {r.run_id}: its manifest is not written; write the "
                                 f"run's files with write_run before registering it")
            if r.status == "done" and (r.series_path is None
                                       or not (self.root / r.series_path).is_file()):
                raise StoreError(f"run {r.run_id}: its series file is not written")
        with self._connect(write=True) as con:
            return catalog.insert(con, records)

    # ------------------------------------------------------------ queries

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run a read-only SQL query on the catalog (tables ``runs`` and ``summaries``)."""
        with self._connect() as con:
            try:
                return con.execute(sql, params or []).df()
            except duckdb.Error as exc:
                raise StoreError(f"query failed: {exc}") from None

    def _where(self, run_ids: Iterable[str] | None, filters: dict[str, Any]) -> tuple[str, list]:
        allowed = {"scenario", "variant", "status", "ensemble", "digest", "seed"}
        unknown = set(filters) - allowed
        if unknown:
            raise StoreError(f"unknown run filter(s) {sorted(unknown)}; use {sorted(allowed)}")
        clauses, args = [], []
        if run_ids is not None:
            clauses.append("run_id IN (SELECT unnest(?))")
            args.append(self.resolve(run_ids))
        for key, value in filters.items():
            if value is None:
                continue
            column = "ensemble_id" if key == "ensemble" else key
            if key == "status" and value not in STATUSES:
                raise StoreError(f"field 'status': expected {' or '.join(STATUSES)}, got "
                                 f"{value!r}")
            values = [value] if isinstance(value, str | int | np.integer) else list(value)
            # the columns' own types: scenario=3 ended in DuckDB's BinderException
            values = ([whole_number(v, "seed", 0) for v in values] if key == "seed"
                      else [str(v) for v in values])
            clauses.append(f"{column} IN (SELECT unnest(?))")
            args.append(values)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        return where, args

    def resolve(self, run_ids: Iterable[str]) -> list[str]:
        """Full run ids for ids or unique prefixes of them (as git resolves commits)."""
        wanted = [str(r) for r in (run_ids if not isinstance(run_ids, str) else [run_ids])]
        if not wanted:
            return []
        if any(not w.strip() for w in wanted):  # an empty shell variable: every run id
            # starts with it, so a store of one run deleted that run for `runs delete ""`
            raise StoreError("an empty run id; expected a run id or a unique prefix of one")
        with self._connect() as con:
            exact = {r[0] for r in con.execute(
                "SELECT run_id FROM runs WHERE run_id IN (SELECT unnest(?))", [wanted]
            ).fetchall()}
            prefixes = [w for w in wanted if w not in exact]
            rows = con.execute(
                "SELECT w.p, r.run_id FROM (SELECT unnest(?) AS p) w "
                "JOIN runs r ON starts_with(r.run_id, w.p)", [prefixes]).fetchall() \
                if prefixes else []
        matches: dict[str, list[str]] = {w: [w] if w in exact else [] for w in wanted}
        for prefix, run_id in rows:
            matches[prefix].append(run_id)
        out = []
        for w in wanted:
            found = sorted(set(matches[w]))
            if not found:
                raise StoreError(f"no run {w!r} in the store {self.root}")
            if len(found) > 1 and w not in found:
                raise StoreError(f"run id prefix {w!r} is ambiguous: it matches "
                                 f"{', '.join(found[:5])}{' ...' if len(found) > 5 else ''}")
            out.append(w if w in found else found[0])
        return list(dict.fromkeys(out))

    def resolve_ensemble(self, ensemble_id: str, *, plans: bool = False) -> str:
        """The full ensemble id for an ensemble id or a unique prefix of one, as
        :meth:`resolve` does for runs: :class:`StoreError` when no ensemble matches or
        several do (naming them). With ``plans``, the ensembles whose plan is kept count
        too, with or without runs in the catalog (one interrupted before its first run)."""
        wanted = str(ensemble_id)
        with self._connect() as con:
            found = sorted(r[0] for r in con.execute(
                "SELECT DISTINCT ensemble_id FROM runs WHERE starts_with(ensemble_id, ?)",
                [wanted]).fetchall()) if wanted else []
        if plans and wanted:
            found = sorted(set(found) | {e for e in self.plan_ids() if e.startswith(wanted)})
        if wanted in found:
            return wanted
        if not found:
            raise StoreError(f"no ensemble {wanted!r} in the store {self.root}")
        if len(found) > 1:
            raise StoreError(f"ensemble id prefix {wanted!r} is ambiguous: it matches "
                             f"{', '.join(found[:5])}{' ...' if len(found) > 5 else ''}")
        return found[0]

    # ------------------------------------------------------------ ensemble plans

    def save_plan(self, ensemble_id: str, plan: dict[str, Any]) -> Path:
        """Keep an ensemble's plan (``plans/<ensemble_id>.json``, written atomically):
        what :func:`fentanet.ensemble.resume` makes its missing runs from."""
        self.check_writable()
        return write_plan(self.root, ensemble_id, plan)

    def plan(self, ensemble_id: str) -> dict[str, Any] | None:
        """An ensemble's kept plan, or ``None`` (an ensemble made before plans were kept)."""
        return read_plan(self.root, ensemble_id)

    def plan_ids(self) -> list[str]:
        """The ids of the ensembles whose plan is kept."""
        folder = self.root / PLAN_DIR
        return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []

    def runs(self, run_ids: Iterable[str] | None = None, *, scenario: str | None = None,
             variant: str | Sequence[str] | None = None, status: str | None = None,
             ensemble: str | None = None, digest: str | None = None,
             limit: int | None = None) -> pd.DataFrame:
        """The catalog rows (one per run), filtered; ``params`` and ``setup`` decoded to
        dicts."""
        where, args = self._where(run_ids, dict(scenario=scenario, variant=variant,
                                               status=status, ensemble=ensemble, digest=digest))
        sql = f"SELECT * FROM runs{where} ORDER BY started_at, variant, seed, run_id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._connect() as con:
            df = con.execute(sql, args).df()
        for col in ("params", "setup"):
            df[col] = [json.loads(p) if isinstance(p, str) else {} for p in df[col]]
        return df

    def summary(self, run_ids: Iterable[str] | None = None, *, params: bool = True,
                **filters: Any) -> pd.DataFrame:
        """One row per run: id, scenario, variant, seed, the sweep parameters, the metrics.

        A parameter column is named by its dotted path, or ``param:<path>`` where that
        name is also a metric's (sweeping ``years``, say).

        Metric columns keep the order the runs reported them in, but the costs by kind
        (``cost_<kind>_usd_total``), which follow ``intervention_cost_usd_total`` in the
        kinds' order whatever order the runs were registered in
        (:func:`~fentanet.simulate.output.cost_columns_in_order`), 0 for a run without that
        kind (docs/series.md). Only finished runs have a summary; failed ones are left out
        unless ``status="failed"`` is asked for.
        """
        filters.setdefault("status", "done")
        where, args = self._where(run_ids, filters)
        with self._connect() as con:
            meta = con.execute(
                f"SELECT run_id, ensemble_id, scenario, variant, seed, params FROM runs{where} "
                f"ORDER BY started_at, variant, seed, run_id", args).df()
            chosen = f"WHERE run_id IN (SELECT run_id FROM runs{where})"
            picked = f"SELECT * FROM summaries {chosen}"
            order = [r[0] for r in con.execute(  # metrics in the order runs reported them
                f"SELECT metric FROM summaries {chosen} GROUP BY metric ORDER BY min(rowid)",
                args).fetchall()]
            if order:  # pivoted by DuckDB: twice as fast as fetching the long table
                names = ", ".join("'" + m.replace("'", "''") + "'" for m in order)
                wide = con.execute(f"PIVOT ({picked}) ON metric IN ({names}) "
                                   f"USING first(value) GROUP BY run_id", args).df()
                wide = wide.set_index("run_id")[order]
        if not order:
            wide = pd.DataFrame(index=pd.Index([], name="run_id"))
        else:  # the cost columns where docs/series.md has them, whatever the runs' order
            wide = wide[cost_columns_in_order(order)]
            # a run without an intervention of a kind another has paid 0 for it (not NaN),
            # as --out and Ensemble.summary write it (docs/series.md)
            wide = zero_costs(wide)
        out = meta.drop(columns="params")
        if params:
            decoded = [json.loads(p) if isinstance(p, str) else {} for p in meta["params"]]
            keys = list(dict.fromkeys(k for d in decoded for k in d))
            for k in keys:
                # a parameter named as a metric or an id column (``years``) gets a prefix
                col = f"param:{k}" if k in wide.columns or k in out.columns else k
                out[col] = [d.get(k) for d in decoded]
        out = out.merge(wide, left_on="run_id", right_index=True, how="left")
        out.columns.name = None
        return out.reset_index(drop=True)

    def series(self, run_ids: Iterable[str] | None = None, *, long: bool = False,
               on_error: str = "raise", **filters: Any) -> pd.DataFrame:
        """The per-step series of the runs, concatenated, with ``run_id``, ``variant``, ``seed``:
        the columns in each run's order, with the costs by kind (``cost_<kind>_usd``) after
        ``intervention_cost_usd`` in the kinds' order whatever order the runs were made in,
        0 for a run without that kind (docs/series.md).

        ``long=True`` melts the metrics into ``metric`` and ``value`` columns. A damaged or
        missing series file raises :class:`StoreError` naming the run and the file; with
        ``on_error="skip"`` such runs are left out with a warning naming them.
        """
        if on_error not in ("raise", "skip"):
            raise StoreError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
        filters.setdefault("status", "done")
        where, args = self._where(run_ids, filters)
        with self._connect() as con:
            meta = con.execute(
                f"SELECT run_id, variant, seed, series_path, series_sha256 FROM runs{where} "
                f"ORDER BY started_at, variant, seed, run_id", args).fetchall()
        runs, bad = [], []
        for run_id, variant, seed, rel, sha in meta:
            if rel is None:
                continue
            try:
                verify_series(self.root, run_id, rel, sha)
            except StoreError as exc:
                if on_error == "raise":
                    raise
                bad.append(str(exc))
                continue
            runs.append((run_id, variant, seed, rel))
        try:
            df = self._read_series(runs)
        except duckdb.Error:  # a file Parquet cannot read: find it, name it
            df = self._read_series_one_by_one(runs, on_error, bad)
        if bad:
            warnings.warn(f"left out {len(bad)} run(s) whose series cannot be read: "
                          + "; ".join(bad), stacklevel=2)
        # the cost columns in docs/series.md's place and order (union_by_name puts them in
        # the order the runs came in, which differs between serial and 2 workers), and 0
        # for a run without that kind (not NaN), as --out writes them
        df = zero_costs(df[cost_columns_in_order(list(df.columns))])
        if long:
            ids = [c for c in ("run_id", "variant", "seed", "step", "time", "year")
                   if c in df.columns]
            df = df.melt(id_vars=ids, var_name="metric", value_name="value")
        return df

    def _read_series(self, runs: list[tuple[str, str, int, str]]) -> pd.DataFrame:
        """Read many series files at once (DuckDB reads small Parquet files an order of
        magnitude faster than one pyarrow call each), in the runs' order."""
        if not runs:
            return pd.DataFrame(columns=ID_COLUMNS)
        meta = pd.DataFrame({"filename": [str(self.root / r[3]) for r in runs],
                             "run_id": [r[0] for r in runs], "variant": [r[1] for r in runs],
                             "seed": pd.array([r[2] for r in runs], dtype="int64"),
                             "ord": np.arange(len(runs))})
        con = catalog.connect()
        try:
            con.register("meta", meta)
            return con.execute(
                "SELECT m.run_id, m.variant, m.seed, "
                "p.* EXCLUDE (filename, file_row_number) "
                "FROM read_parquet(?, union_by_name = true, filename = true, "
                "file_row_number = true) p JOIN meta m ON p.filename = m.filename "
                "ORDER BY m.ord, p.file_row_number", [meta.filename.tolist()]).df()
        finally:
            con.close()

    def _read_series_one_by_one(self, runs: list[tuple[str, str, int, str]], on_error: str,
                                bad: list[str]) -> pd.DataFrame:
        tables = []
        for run_id, variant, seed, rel in runs:
            try:
                t = read_series(self.root, run_id, rel)
            except StoreError as exc:
                if on_error == "raise":
                    raise
                bad.append(str(exc))
                continue
            n = t.num_rows
            t = t.add_column(0, "seed", pa.array([seed] * n, pa.int64()))
            t = t.add_column(0, "variant", pa.array([variant] * n, pa.string()))
            t = t.add_column(0, "run_id", pa.array([run_id] * n, pa.string()))
            tables.append(t)
        if not tables:
            return pd.DataFrame(columns=ID_COLUMNS)
        return pa.concat_tables(tables, promote_options="default").to_pandas()

    # ------------------------------------------------------------ deleting, exporting

    def delete(self, run_ids: Iterable[str] | None = None, *, plans: bool = True,
               **filters: Any) -> int:
        """Delete runs (catalog rows and files); returns how many. No filter: refused. The
        plan of an ensemble left without runs goes too, unless ``plans`` is false (a resume
        making its runs lost outside the model again: the plan is what it makes them from)."""
        if run_ids is None and not any(v is not None for v in filters.values()):
            raise StoreError("delete needs run ids or a filter (to delete everything, "
                             "remove the store folder)")
        where, args = self._where(run_ids, filters)
        with self._connect(write=True) as con:
            self._finish_deleting(con)
            rows = con.execute(f"SELECT run_id, series_path, ensemble_id FROM runs{where}",
                               args).fetchall()
            ids = [r[0] for r in rows]
            # the runs being deleted are noted first (a delete stopped part-way is finished
            # by the next delete or rebuild, never undone), then their manifests go (a
            # rebuild cannot bring them back), then their catalog rows
            _write_journal(self.root, ids)
            self._unlink_manifests(ids)
            catalog.delete(con, ids)
            (self.root / DELETING).unlink(missing_ok=True)
            # an ensemble whose every run is deleted is deleted: its plan goes too (kept,
            # `runs resume` would make every run again)
            touched = sorted({r[2] for r in rows if r[2]})
            left = {r[0] for r in con.execute(
                "SELECT DISTINCT ensemble_id FROM runs WHERE ensemble_id IN "
                "(SELECT unnest(?))", [touched]).fetchall()} if touched else set()
            for eid in touched:
                if plans and eid not in left and valid_run_id(eid):
                    plan_file(self.root, eid).unlink(missing_ok=True)
        for run_id, rel, _ in rows:
            if rel is not None and valid_run_id(run_id) and rel == series_rel(run_id):
                with contextlib.suppress(FileNotFoundError):
                    (self.root / rel).unlink()
        return len(rows)

    def _unlink_manifests(self, run_ids: Iterable[str]) -> None:
        for run_id in run_ids:
            if valid_run_id(run_id):  # a tampered catalog row names no file elsewhere
                with contextlib.suppress(FileNotFoundError):
                    manifest_file(self.root, run_id).unlink()

    def _finish_deleting(self, con: duckdb.DuckDBPyConnection | None) -> list[str]:
        """Finish a delete that was stopped part-way (:data:`DELETING`): its runs'
        manifests, catalog rows (``con``) and series go. Returns their ids. A run written
        again under one of those ids since (its manifest is not the one the journal noted)
        is kept: its files stay, and its catalog row is made from its manifest (the row
        left by the stopped delete was the old run's)."""
        entries = _read_journal(self.root)
        if not entries:
            return []
        ids, again = [], []
        for run_id, sha in entries:
            if not valid_run_id(run_id):
                ids.append(run_id)  # names no file: its row alone goes
                continue
            now = _manifest_sha(self.root, run_id)
            if sha == _ANY or now is None or now == sha:
                ids.append(run_id)
            else:
                again.append(run_id)
        self._unlink_manifests(ids)
        if con is not None:
            catalog.delete(con, [*ids, *again])
            records = []
            for run_id in again:
                try:
                    records.append(read_manifest(manifest_file(self.root, run_id)))
                except StoreError:
                    continue  # unreadable: `runs check` names it, `runs rebuild` decides
            if records:
                catalog.insert(con, records)
        for run_id in ids:
            if valid_run_id(run_id):
                series_file(self.root, run_id).unlink(missing_ok=True)
        (self.root / DELETING).unlink(missing_ok=True)
        return ids

    def export(self, dest: str | os.PathLike[str], run_ids: Iterable[str] | None = None, *,
               format: str = "parquet", on_error: str = "skip",
               **filters: Any) -> dict[str, Path]:
        """Write the runs' catalog rows with summaries (``runs.<ext>``) and their series
        (``series.<ext>``) into the folder ``dest``; ``format`` is ``parquet`` or ``csv``.

        A run whose series file is damaged is kept in ``runs.<ext>`` (its summary is in
        the catalog) but its series are left out with a warning naming it
        (``on_error="raise"`` to stop instead).

        All or none, as ``--out`` of ``fentanet simulate`` (:func:`write_files`): both
        files are written to temporary names and renamed into place only once both are
        written, so a failure leaves ``dest`` as it was (a folder made for the export is
        removed again); ``dest`` naming an existing file is an :class:`InputError`."""
        from fentanet.simulate.output import csv_writer, parquet_writer, write_files

        if format not in ("parquet", "csv"):
            raise StoreError(f"export format must be 'parquet' or 'csv', got {format!r}")
        dest = check_folder(dest, "dest", (f"runs.{format}", f"series.{format}"))
        runs = self.runs(run_ids, **filters)
        summary = self.summary(runs.run_id.tolist(), params=False, status=None)
        metrics = summary.drop(columns=["ensemble_id", "scenario", "variant", "seed"])
        table = runs.merge(metrics, on="run_id", how="left")
        for col in ("params", "setup"):
            table[col] = [json.dumps(p, sort_keys=True, default=str) for p in table[col]]
        writer = csv_writer if format == "csv" else parquet_writer
        series = self._series_writer(runs.run_id.tolist(), format, on_error)
        paths = write_files(dest, {f"runs.{format}": writer(table),
                                   f"series.{format}": series}, option="dest")
        return dict(zip(("runs", "series"), paths, strict=True))

    EXPORT_RUNS = 256
    """Runs whose series :meth:`export` reads at a time."""

    def _series_writer(self, run_ids: list[str], format: str, on_error: str
                       ) -> Callable[[Path], None]:
        """A writer of the runs' series as one table, :attr:`EXPORT_RUNS` runs at a time:
        the same table as ``series(run_ids, status=None)`` (its columns the union of the
        runs', in its order, a cost column a run lacks 0, another NaN), in memory of one
        batch, not of the whole store (4,000 runs of a year took 1.4 GB, the table held
        whole, until the twenty-first session)."""
        import pyarrow.parquet as pq

        def write(path: Path) -> None:
            columns, dtypes = self._series_columns(run_ids)
            skipped: list[str] = []
            left_out = 0
            parquet = None
            first = True
            try:
                starts = range(0, max(len(run_ids), 1), self.EXPORT_RUNS)
                for at in starts:
                    last = at == starts[-1]
                    with warnings.catch_warnings(record=True) as said:
                        warnings.simplefilter("always")
                        chunk = self.series(run_ids[at:at + self.EXPORT_RUNS], status=None,
                                            on_error=on_error)
                    for w in said:  # one warning of every batch's left-out runs, at the end
                        text = str(w.message)
                        if text.startswith("left out "):
                            skipped.append(text.split(": ", 1)[-1])
                            left_out += int(text.split()[2])
                        else:
                            warnings.warn_explicit(w.message, w.category, w.filename,
                                                   w.lineno)
                    chunk = zero_costs(chunk.reindex(columns=columns))
                    chunk = chunk.astype({c: d for c, d in dtypes.items() if c in chunk})
                    if format == "csv":
                        chunk.to_csv(path, index=False, header=first, mode="w" if first
                                     else "a")
                    else:
                        table = pa.Table.from_pandas(chunk, preserve_index=False)
                        if parquet is None and (table.num_rows or last):
                            schema = table.schema  # of values read, not of an empty batch
                            parquet = pq.ParquetWriter(path, schema)
                        if parquet is not None:
                            parquet.write_table(table.cast(schema))
                    first = False
            finally:
                if parquet is not None:
                    parquet.close()
            if skipped:
                warnings.warn(f"left out {left_out} run(s) whose series cannot be read: "
                              + "; ".join(skipped), stacklevel=4)

        return write

    def _series_columns(self, run_ids: list[str]) -> tuple[list[str], dict[str, Any]]:
        """The columns of ``series(run_ids)`` in its order, read from the files' footers,
        and the type each takes in it, as DuckDB reads them: an integer column some runs
        lack holds missing values there (pandas' nullable integers), one some files hold as
        integers and others as floats is floats."""
        import pyarrow.parquet as pq

        with self._connect() as con:
            rels = dict(con.execute("SELECT run_id, series_path FROM runs WHERE run_id IN "
                                    "(SELECT unnest(?)) AND series_path IS NOT NULL",
                                    [run_ids]).fetchall())
        names: dict[str, pa.DataType] = {}
        counts: dict[str, int] = {}
        floats: set[str] = set()  # numeric columns some files hold as floats
        files = 0
        for run_id in self._in_catalog_order(run_ids):
            rel = rels.get(run_id)
            if rel is None:
                continue
            try:
                schema = pq.read_schema(own_series(self.root, run_id, rel))
            except (OSError, pa.ArrowException, StoreError):
                continue  # damaged: left out of the series (series() says so)
            files += 1
            for f in schema:
                names.setdefault(f.name, f.type)
                counts[f.name] = counts.get(f.name, 0) + 1
                if pa.types.is_floating(f.type):
                    floats.add(f.name)
        columns = cost_columns_in_order(["run_id", "variant", "seed", *names])
        dtypes: dict[str, Any] = {"seed": "int64"}
        for name, typ in names.items():  # as DuckDB gives a column with missing values
            if name in floats and (pa.types.is_integer(typ) or pa.types.is_floating(typ)):
                dtypes[name] = "float64"  # integers in some files, floats in others
            elif counts[name] < files and pa.types.is_integer(typ):
                dtypes[name] = "Int64"
            elif counts[name] < files and pa.types.is_boolean(typ):
                dtypes[name] = "boolean"
        return columns, dtypes

    def _in_catalog_order(self, run_ids: list[str]) -> list[str]:
        """``run_ids`` in the order :meth:`series` reads runs."""
        with self._connect() as con:
            return [r[0] for r in con.execute(
                "SELECT run_id FROM runs WHERE run_id IN (SELECT unnest(?)) "
                "ORDER BY started_at, variant, seed, run_id", [run_ids]).fetchall()]

    # ------------------------------------------------------------ integrity

    def rebuild(self, *, backup_suffix: str = ".bak") -> RebuildReport:
        """Rebuild the catalog from the manifests; keep the old catalog as a backup.

        Recovers every run whose files were complete (those a killed writer wrote but had
        not registered), drops catalog rows whose manifest is gone, and removes temporary
        files left by writer processes of this host that no longer run.
        """
        if not _writable(self.root, self.catalog):
            raise StoreError(f"{self.root}: the store is read-only for this process, so its "
                             f"catalog cannot be rebuilt here; copy the store to a writable "
                             f"folder and rebuild the copy")
        report = RebuildReport()
        records = []
        with self._lock:
            self._not_held()
            deleted = set(self._finish_deleting(None))  # their rows are not carried over
            read = _catalog_records(self.catalog)  # None: no catalog read
            old = read or {}
            folder = self.root / MANIFEST_DIR
            for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
                try:
                    rec = read_manifest(path)
                except StoreError as exc:
                    if path.stem not in old:
                        report.skipped.append((str(path), str(exc)))
                        continue
                    rec = old[path.stem]  # a damaged manifest of a run the catalog holds
                    report.restored.append(rec.run_id)
                if rec.status == "done" and (rec.series_path is None
                                             or not (self.root / rec.series_path).is_file()):
                    report.skipped.append((str(path), f"run {rec.run_id}: series file missing"))
                    continue
                records.append(rec)
            found = {r.run_id for r in records} | {Path(p).stem for p, _ in report.skipped}
            for run_id, rec in old.items():  # in the catalog, its manifest lost: written again
                if run_id in found or run_id in deleted:
                    continue
                if rec.status == "done" and not series_file(self.root, run_id).is_file():
                    report.skipped.append((run_id, f"run {run_id}: in the catalog without its "
                                                   f"manifest and series file"))
                    continue
                records.append(rec)
                report.restored.append(run_id)
            for run_id in report.restored:
                write_manifest(self.root, old[run_id])
            kept = {r.run_id for r in records}
            report.dropped = sorted(set(old) - kept - deleted)
            tmp = self.catalog.with_name(self.catalog.name + ".rebuilding")
            for p in (tmp, _wal(tmp)):
                p.unlink(missing_ok=True)
            try:
                con = catalog.connect(tmp)
                try:
                    catalog.create_schema(con, _fentanet_version())
                    report.runs = catalog.insert(con, records)
                finally:
                    con.close()
            except (OSError, duckdb.Error) as exc:  # a full disk: the old catalog stays
                for p in (tmp, _wal(tmp)):
                    p.unlink(missing_ok=True)
                if catalog.interrupted(exc):
                    raise KeyboardInterrupt from None
                raise StoreError(f"{self.catalog}: cannot rebuild the run catalog: writing "
                                 f"{tmp} failed ({exc}); the catalog and the runs' files are "
                                 f"as they were") from None
            if self.catalog.exists():
                backup = self.catalog.with_name(self.catalog.name + backup_suffix)
                if backup_suffix == ".bak":  # the routine rebuild's: the last BACKUPS kept
                    _rotate(backup)
                else:  # a damaged or migrated catalog's: never overwritten
                    backup = _unused(backup)
                os.replace(self.catalog, backup)
                if _wal(self.catalog).exists():
                    os.replace(_wal(self.catalog), _wal(backup))
                report.backup = str(backup)
            os.replace(tmp, self.catalog)
            for p in stale_temp_files(self.root):
                p.unlink(missing_ok=True)
                report.removed_temp_files.append(str(p))
            kept = {r.run_id for r in records}
            # a series file without a manifest is of no run only if a catalog, read, does
            # not hold it either: without one (damaged, missing, of an older schema) it may
            # be all that is left of a run whose manifest was lost too, and it stays
            for p in _orphan_series(self.root, kept) if read is not None else []:
                p.unlink(missing_ok=True)
                report.removed_orphan_series.append(str(p))
        return report

    def _not_held(self) -> None:
        """:class:`StoreError` when another program holds the catalog open with DuckDB
        (:func:`_held`): a rebuild would replace the file under it. A catalog DuckDB
        cannot open for another reason (damage) is what a rebuild is for."""
        if not self.catalog.exists() or catalog.foreign_kind(self.catalog) is not None:
            return
        try:
            catalog.connect(self.catalog).close()
        except duckdb.Error as exc:
            if catalog.held(exc):
                raise _held(self, exc) from None
            if catalog.interrupted(exc):
                raise KeyboardInterrupt from None

    def check(self, *, verify: bool = True) -> CheckReport:
        """Look for problems: damaged or missing series files (``verify`` compares their
        SHA-256 with the manifest's), runs written but not registered (recovered by
        :meth:`rebuild`), series without a manifest and temporary files (left by killed
        writers; never visible as runs)."""
        report = CheckReport()
        with self._connect() as con:
            rows = con.execute("SELECT run_id, status, series_path, series_sha256 FROM runs"
                               ).fetchall()
        report.runs = len(rows)
        known = set()
        for run_id, status, rel, sha in rows:
            known.add(run_id)
            manifest = manifest_file(self.root, run_id)
            if not manifest.is_file():
                report.missing_manifest.append(run_id)
            else:
                try:
                    read_manifest(manifest)
                except StoreError as exc:
                    report.damaged_manifest.append((run_id, str(exc)))
            if status != "done":
                continue
            try:
                path = own_series(self.root, run_id, rel)
            except StoreError as exc:
                report.damaged.append((run_id, str(exc)))
                continue
            if not path.is_file():
                report.damaged.append((run_id, f"series file {path} is missing"))
            elif verify and sha and sha256_file(path) != sha:
                report.damaged.append((run_id, f"series file {path} does not match its "
                                               f"checksum (damaged or replaced)"))
        folder = self.root / MANIFEST_DIR
        if folder.is_dir():
            for path in sorted(folder.glob("*.json")):
                if path.stem in known:
                    continue
                try:  # a rebuild recovers it only when its files are complete
                    rec = read_manifest(path)
                except StoreError as exc:
                    report.damaged_manifest.append((path.stem, str(exc)))
                    continue
                series = series_file(self.root, rec.run_id)
                if rec.status == "done" and not series.is_file():
                    report.damaged.append((rec.run_id, f"written, not in the catalog, and its "
                                                       f"series file {series} is missing: no "
                                                       f"rebuild recovers it; remove {path}"))
                    continue
                report.unregistered.append(path.stem)
        manifests = {p.stem for p in folder.glob("*.json")} if folder.is_dir() else set()
        sfolder = self.root / SERIES_DIR
        if sfolder.is_dir():
            # series whose writer stopped before writing the manifest: never visible
            report.orphan_series = sorted(str(p) for p in sfolder.glob("*.parquet")
                                          if p.stem not in manifests)
        report.temp_files = [str(p) for p in temp_files(self.root)]
        return report

    def series_path(self, run_id: str) -> Path:
        """Where a run's series file is (whether or not it exists)."""
        return series_file(self.root, run_id)


def _writable(root: Path, catalog_file: Path) -> bool:
    """Whether this process may write the store: its folder, its catalog and the folders of
    its files (``os.access``: a read-only file system or missing permission says no)."""
    paths = [root, *(p for p in (root / SERIES_DIR, root / MANIFEST_DIR) if p.exists())]
    return all(os.access(p, os.W_OK | os.X_OK) for p in paths) and (
        not catalog_file.exists() or os.access(catalog_file, os.W_OK))


DELETING = "runs.deleting"
"""The journal of a delete under way: the runs it removes, each by its id and the SHA-256 of
its manifest then (``null`` for a run whose manifest was missing), written before their
manifests go. A delete stopped part-way (killed) leaves it, and the next delete or rebuild
finishes that delete: without it, a rebuild could not tell those runs from runs whose
manifests were lost, which it writes again from the catalog. A run written again under one
of those ids meanwhile (the Python API takes ids chosen by hand) has another manifest, and
is kept: until the twenty-second session the journal held bare ids, and the next delete or
rebuild deleted that run too."""


def _manifest_sha(root: Path, run_id: str) -> str | None:
    """The SHA-256 of a run's manifest as it is now, ``None`` when it has none."""
    try:
        return sha256_file(manifest_file(root, run_id))
    except FileNotFoundError:
        return None


def _write_journal(root: Path, run_ids: Sequence[str]) -> None:
    entries = [[run_id, _manifest_sha(root, run_id) if valid_run_id(run_id) else None]
               for run_id in run_ids]
    with atomic_path(root / DELETING) as tmp:
        tmp.write_text(json.dumps({"format": 2, "runs": entries}), encoding="utf-8")


_ANY = "*"
"""A journal entry's manifest stamp that matches any manifest: the bare ids of a journal
written before the twenty-second session."""


def _read_journal(root: Path) -> list[tuple[str, str | None]]:
    """The journal's runs as (id, manifest SHA-256 or ``None``); a journal of bare ids
    (before the twenty-second session) matches any manifest, as it did then."""
    try:
        data = json.loads((root / DELETING).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError):  # cut short: the delete never began (written atomically)
        return []
    if isinstance(data, list):  # bare ids
        return [(str(i), _ANY) for i in data]
    if not isinstance(data, dict) or not isinstance(data.get("runs"), list):
        return []
    out = []
    for entry in data["runs"]:
        if isinstance(entry, list) and len(entry) == 2:
            out.append((str(entry[0]), None if entry[1] is None else str(entry[1])))
    return out


def _catalog_records(path: Path) -> dict[str, RunRecord] | None:
    """The runs of the catalog at ``path`` as records (what their manifests hold), by id;
    ``None`` when it cannot be read (missing, damaged, of another kind or schema): a
    rebuild then has the manifests alone, and cannot tell a series file of no run from
    one of a run whose manifest was lost. What restores a manifest lost or damaged while
    the catalog kept its run."""
    if not path.is_file() or catalog.foreign_kind(path) is not None:
        return None
    try:
        con = catalog.connect(path, read_only=True)
    except duckdb.Error:
        return None
    try:
        if catalog.schema_version(con, path) != catalog.SCHEMA_VERSION:
            return None
        cur = con.execute("SELECT * FROM runs")
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        summaries: dict[str, dict[str, float]] = {}
        for run_id, metric, value in con.execute(
                "SELECT run_id, metric, value FROM summaries ORDER BY rowid").fetchall():
            summaries.setdefault(run_id, {})[metric] = value
    except (duckdb.Error, StoreError):
        return None
    finally:
        con.close()
    fields = set(RunRecord.__dataclass_fields__)
    out = {}
    for row in rows:
        data = {k: v for k, v in row.items() if k in fields}
        for key in ("params", "setup"):
            try:
                data[key] = json.loads(data[key]) if isinstance(data[key], str) else {}
            except ValueError:
                data[key] = {}
        data["summary"] = {k: (float("nan") if v is None else v)
                           for k, v in summaries.get(row["run_id"], {}).items()}
        try:
            out[row["run_id"]] = RunRecord(**data)
        except (StoreError, TypeError, ValueError):
            continue  # a row no manifest could hold: left to the manifests
    return out


ORPHAN_SECONDS = 3600.0
"""Age after which a series file without a manifest is a stopped writer's, never one whose
manifest is about to be written (a writer writes the manifest milliseconds after it)."""


def _orphan_series(root: Path, kept: set[str]) -> list[Path]:
    """Series files of no run (no manifest, not in the catalog) last written more than
    :data:`ORPHAN_SECONDS` ago: left by writers stopped between a run's series and its
    manifest, never visible as runs, and removed by nothing until the twenty-first
    session (``check`` counted them)."""
    folder = root / SERIES_DIR
    if not folder.is_dir():
        return []
    now = time.time()
    out = []
    for p in sorted(folder.glob("*.parquet")):
        if p.stem in kept or manifest_file(root, p.stem).exists():
            continue
        with contextlib.suppress(OSError):
            if now - p.stat().st_mtime > ORPHAN_SECONDS:
                out.append(p)
    return out


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _fentanet_version() -> str:
    import fentanet

    return fentanet.__version__


def rebuild_catalog(path: str | os.PathLike[str] | None = None) -> RebuildReport:
    """Rebuild a store's catalog from its manifests without opening the old catalog (which
    may be damaged, foreign or of an unknown schema): see :meth:`RunStore.rebuild`."""
    store = object.__new__(RunStore)
    store.root, store.catalog = resolve_store_path(path)
    if not store.root.is_dir():
        raise StoreError(f"no run store at {store.root}")
    store._lock = FileLock(store.root / LOCK_FILE)
    return store.rebuild()
