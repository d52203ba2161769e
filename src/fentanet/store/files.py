"""The run store's files: per-run Parquet series and JSON manifests, written atomically.

Nothing here touches the DuckDB catalog, so any process (a Dask worker included) may write
a run's files; only the coordinator registers them in the catalog (:mod:`.catalog`).

Layout of a store (a directory)::

    runs.duckdb               the catalog (one writing process at a time, under runs.lock)
    runs.lock                 the lock file that serialises catalog access between processes
    series/<run_id>.parquet   one run's per-step series
    manifests/<run_id>.json   one run's record: what the catalog holds about it
    plans/<ensemble_id>.json  an ensemble's plan (its runs to make), for resuming it

A run's files are written in this order, each to a temporary name in the final folder,
flushed to disk, then renamed into place (a rename within one folder is atomic on POSIX
file systems): the series first, the manifest last. A manifest therefore exists only for
a run whose series are complete, and the catalog can be rebuilt from the manifests alone.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import math
import os
import re
import socket
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from fentanet.errors import FentanetError

MANIFEST_FORMAT = 1
"""Version of the manifest layout; readers refuse manifests newer than they know."""

SERIES_DIR = "series"
MANIFEST_DIR = "manifests"
PLAN_DIR = "plans"
LOCK_FILE = "runs.lock"
TMP_MARK = ".tmp-"

STATUSES = ("done", "failed")
"""A stored run either finished (``done``, with series) or raised (``failed``, with error)."""


class StoreError(FentanetError):
    """A problem with a run store: its files, its catalog, or a request to it."""


def new_id() -> str:
    """A fresh run or ensemble id: 16 random hex digits (64 bits; unique in practice)."""
    return uuid.uuid4().hex[:16]


def utcnow() -> datetime:
    """The current time in UTC, without time zone (as the catalog stores it)."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class RunRecord:
    """What the store keeps about one run (a catalog row and its manifest).

    ``params`` are the overrides applied to the scenario (sweep point, variant overrides),
    ``setup`` what reproduces the run (:func:`fentanet.ensemble.rerun`): the scenario as
    named (``scenario``), every dotted-path override applied to it (``overrides``: the
    ensemble's, such as the horizon, the sweep point's and the variant's) and the full list
    of interventions the run had (``interventions``: the scenario's own and the
    variant's), ``summary`` the run's one-row summary. Times are UTC. ``series_path`` is relative to
    the store's root and ``None`` for a failed run.
    """

    run_id: str
    scenario: str
    seed: int
    status: str = "done"
    variant: str = "baseline"
    digest: str = ""
    ensemble_id: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    setup: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    fentanet_version: str = ""
    numpy_version: str = ""
    host: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    series_path: str | None = None
    series_rows: int | None = None
    series_sha256: str | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise StoreError(f"run {self.run_id}: status must be one of {STATUSES}, "
                             f"got {self.status!r}")
        self.seed = int(self.seed)
        self.summary = float_summary(self.run_id, self.summary)
        if not valid_run_id(self.run_id):
            raise StoreError(f"run id {self.run_id!r}: expected letters, digits, '_' and '-' "
                             f"(a run id names the run's files in the store)")
        if self.series_path is not None and self.series_path != series_rel(self.run_id):
            raise StoreError(f"run {self.run_id}: series file {self.series_path!r} is outside "
                             f"the store's series folder (expected {series_rel(self.run_id)!r})")

    @property
    def elapsed_s(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("started_at", "finished_at"):
            d[key] = None if d[key] is None else d[key].isoformat()
        d["summary"] = {k: (None if math.isnan(v) else v) for k, v in d["summary"].items()}
        return d

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, source: str = "") -> RunRecord:
        names = {f.name for f in fields(cls)}
        missing = {"run_id", "scenario", "seed"} - set(data)
        if missing:
            raise StoreError(f"{source}: manifest lacks {sorted(missing)}")
        kwargs = {k: v for k, v in data.items() if k in names}
        for key in ("started_at", "finished_at"):
            if kwargs.get(key) is not None:
                kwargs[key] = datetime.fromisoformat(kwargs[key])
        kwargs["summary"] = {k: (math.nan if v is None else v)
                             for k, v in (kwargs.get("summary") or {}).items()}
        return cls(**kwargs)


def float_summary(run_id: str, summary: Mapping[str, Any]) -> dict[str, float]:
    """A run's summary as ``{name: float}``; :class:`StoreError` for a value that is no number."""
    out = {}
    for key, value in summary.items():
        try:
            out[str(key)] = float(value)
        except (TypeError, ValueError):
            raise StoreError(f"run {run_id}: summary value {key!r} must be a number, "
                             f"got {value!r}") from None
    return out


def host_name() -> str:
    return socket.gethostname()


# ---------------------------------------------------------------- atomic writes


def _tmp_name(final: Path) -> Path:
    """A temporary name beside ``final`` that names the writing host and process."""
    return final.with_name(f"{final.name}{TMP_MARK}{host_name()}-{os.getpid()}-{new_id()[:6]}")


@contextlib.contextmanager
def atomic_path(final: Path, *, sync_dir: bool = True) -> Iterator[Path]:
    """Yield a temporary path to write; on success flush it to disk and rename to ``final``.

    On any error the temporary file is removed and ``final`` is untouched. ``sync_dir``
    also flushes the folder, making the rename itself survive a power loss.
    """
    tmp = _tmp_name(final)
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    if sync_dir:
        _fsync_dir(final.parent)


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def valid_run_id(run_id: Any) -> bool:
    """Whether ``run_id`` can name a run's files: letters, digits, ``_`` and ``-`` (no path:
    a store is data, what it records never points at files elsewhere)."""
    return isinstance(run_id, str) and _RUN_ID.fullmatch(run_id) is not None


def series_rel(run_id: str) -> str:
    """A run's series file relative to the store (as manifests record it)."""
    return f"{SERIES_DIR}/{run_id}.parquet"


def own_series(root: Path, run_id: str, rel_path: str) -> Path:
    """The series file ``rel_path`` a record names for ``run_id``, checked to be the store's
    own (:class:`StoreError` for a path outside the store's series folder)."""
    if not valid_run_id(run_id) or rel_path != series_rel(run_id):
        raise StoreError(f"run {run_id}: series file {rel_path!r} is outside the store's "
                         f"series folder; rebuild the catalog (fentanet runs rebuild)")
    return root / rel_path


def series_file(root: Path, run_id: str) -> Path:
    return root / SERIES_DIR / f"{run_id}.parquet"


def manifest_file(root: Path, run_id: str) -> Path:
    return root / MANIFEST_DIR / f"{run_id}.json"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_run(root: str | Path, record: RunRecord, series: pd.DataFrame | None) -> RunRecord:
    """Write one run's files into the store at ``root``: the series, then the manifest.

    Fills ``record.series_path``, ``series_rows`` and ``series_sha256`` and returns it. Safe
    to call from any process, concurrently with others: it never touches the catalog. A
    failed run (``series`` is ``None``) gets a manifest only.
    """
    root = Path(root)
    if series is not None:
        if record.status != "done":
            raise StoreError(f"run {record.run_id}: a {record.status} run has no series")
        final = series_file(root, record.run_id)
        table = series_table(series)
        with cannot_keep(root, record.run_id, final):
            final.parent.mkdir(parents=True, exist_ok=True)
            # the manifest's rename is flushed to disk; if a power loss lost this one, the
            # manifest names a missing file, which check() reports and rebuild() skips
            with atomic_path(final, sync_dir=False) as tmp:
                pq.write_table(table, tmp, compression="snappy", use_dictionary=False,
                               write_statistics=False, write_page_checksum=True)
            record.series_path = final.relative_to(root).as_posix()
            record.series_rows = table.num_rows
            record.series_sha256 = sha256_file(final)
    elif record.status == "done":
        raise StoreError(f"run {record.run_id}: a finished run needs its series")
    with cannot_keep(root, record.run_id, manifest_file(root, record.run_id)):
        write_manifest(root, record)
    return record


class CannotKeep(StoreError, OSError):
    """A run's files could not be written into the store (a full disk, a folder made
    read-only meanwhile): the store cannot keep runs, so an ensemble stops here rather
    than make every run still to come and lose it too. An :class:`OSError` as well, as
    the error it stands for was."""


@contextlib.contextmanager
def cannot_keep(root: Path, run_id: str, path: Path) -> Iterator[None]:
    """:class:`CannotKeep` naming the run, the file and the reason for an operating-system
    error while ``path`` is written (pyarrow's said "Error writing bytes to file. Detail:
    [errno 28] No space left on device", naming neither); nothing stored before is
    touched (the file is written to a temporary name, removed on failure)."""
    try:
        yield
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise CannotKeep(f"cannot keep run {run_id} in the run store {root}: writing {path} "
                         f"failed ({reason}); the runs kept before are unharmed") from None


def series_table(series: pd.DataFrame) -> pa.Table:
    """A run's series as an Arrow table. Numeric columns (every series of
    ``fentanet.simulate``) go over as NumPy arrays: ``pa.Table.from_pandas`` spends about
    seven times as long on a run's 50-100 columns (half the cost of keeping a run), for
    the same values and types; anything else goes through ``from_pandas``."""
    names = [str(c) for c in series.columns]
    columns = [series.iloc[:, i] for i in range(series.shape[1])]
    if len(set(names)) == len(names) and all(
            isinstance(c.dtype, np.dtype) and c.dtype.kind in "biuf" for c in columns):
        return pa.Table.from_arrays([pa.array(c.to_numpy()) for c in columns], names=names)
    return pa.Table.from_pandas(series, preserve_index=False)


def write_manifest(root: Path, record: RunRecord) -> Path:
    final = manifest_file(root, record.run_id)
    final.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"format": MANIFEST_FORMAT, "run": record.to_json()}, indent=1)
    with atomic_path(final) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return final


def plan_file(root: Path, ensemble_id: str) -> Path:
    """Where an ensemble's plan is kept (``plans/<ensemble_id>.json``)."""
    return root / PLAN_DIR / f"{ensemble_id}.json"


def write_plan(root: Path, ensemble_id: str, plan: Mapping[str, Any]) -> Path:
    """Write an ensemble's plan (a JSON document) atomically, flushed to disk, before any of
    its runs is made; :class:`StoreError` naming the file when it cannot be written or the
    plan is not JSON."""
    if not valid_run_id(ensemble_id):
        raise StoreError(f"ensemble id {ensemble_id!r}: expected letters, digits, '_' and '-'")
    final = plan_file(root, ensemble_id)
    try:
        text = json.dumps(plan)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"the plan of ensemble {ensemble_id} cannot be kept as JSON "
                         f"({exc})") from None
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(final) as tmp:
            tmp.write_text(text, encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise StoreError(f"cannot keep the plan of ensemble {ensemble_id} in the run store "
                         f"{root}: writing {final} failed ({reason})") from None
    return final


def read_plan(root: Path, ensemble_id: str) -> dict[str, Any] | None:
    """An ensemble's plan, or ``None`` when none is kept; :class:`StoreError` naming the file
    when it cannot be read."""
    if not valid_run_id(ensemble_id):
        return None
    path = plan_file(root, ensemble_id)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"{path}: unreadable ensemble plan ({exc})") from None
    if not isinstance(data, dict):
        raise StoreError(f"{path}: not an ensemble plan (expected a JSON object)")
    return data


def read_manifest(path: Path) -> RunRecord:
    """Read one manifest; :class:`StoreError` naming the file when it cannot be used."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"{path}: unreadable manifest ({exc})") from None
    if not isinstance(data, dict) or "run" not in data:
        raise StoreError(f"{path}: not a run manifest (expected keys 'format' and 'run')")
    fmt = data.get("format")
    if not isinstance(fmt, int) or fmt > MANIFEST_FORMAT:
        raise StoreError(f"{path}: manifest format {fmt!r} is newer than this fentanet reads "
                         f"({MANIFEST_FORMAT}); upgrade fentanet")
    try:
        return RunRecord.from_json(data["run"], source=str(path))
    except (TypeError, ValueError) as exc:
        raise StoreError(f"{path}: bad manifest ({exc})") from None


def verify_series(root: Path, run_id: str, rel_path: str, sha256: str | None) -> bytes:
    """The bytes of a run's series file, checked against the manifest's checksum.

    :class:`StoreError` naming the run and the file when it is missing or changed; the
    checksum catches any damage, including what Parquet's own checks let through (as in
    its metadata).
    """
    path = own_series(root, run_id, rel_path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise StoreError(f"run {run_id}: series file {path} is missing; "
                         f"delete the run or restore the file") from None
    except OSError as exc:
        raise StoreError(f"run {run_id}: series file {path} cannot be read ({exc})") from None
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise StoreError(f"run {run_id}: series file {path} is damaged (its checksum does "
                         f"not match the one recorded when it was written); delete the run "
                         f"or restore the file")
    return data


def read_series(root: Path, run_id: str, rel_path: str, sha256: str | None = None) -> pa.Table:
    """Read one run's series; :class:`StoreError` naming the run and file when damaged."""
    data = verify_series(root, run_id, rel_path, sha256)
    try:
        return pq.read_table(pa.BufferReader(data), page_checksum_verification=True)
    except (OSError, pa.ArrowException) as exc:
        raise StoreError(f"run {run_id}: series file {root / rel_path} is damaged and cannot "
                         f"be read ({exc}); delete the run or restore the file") from None


def temp_files(root: Path) -> list[Path]:
    """Leftover temporary files (from writers that were killed, or still writing)."""
    out: list[Path] = []
    for sub in (SERIES_DIR, MANIFEST_DIR, PLAN_DIR):
        folder = root / sub
        if folder.is_dir():
            out.extend(p for p in folder.iterdir() if TMP_MARK in p.name)
    return sorted(out)


def stale_temp_files(root: Path) -> list[Path]:
    """Temporary files whose writer was a process of this host that no longer runs."""
    me = host_name()
    out = []
    for p in temp_files(root):
        tail = p.name.split(TMP_MARK, 1)[1]
        host, _, rest = tail.rpartition("-")[0].rpartition("-")
        try:
            pid = int(rest)
        except ValueError:
            continue
        if host == me and not _alive(pid):
            out.append(p)
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's process
        return True
    return True


# ---------------------------------------------------------------- lock


class FileLock:
    """An exclusive lock between processes on a lock file (``flock``; ``msvcrt`` on Windows).

    Re-entrant within one object, so a method holding the lock may call another.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self._depth = 0

    def __enter__(self) -> FileLock:
        if self._depth == 0:
            fd = _open_lock_file(self.path)
            if fd is not None:
                try:
                    _lock(fd)
                except BaseException:
                    os.close(fd)
                    raise
            self._fd = fd
        self._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            try:
                _unlock(self._fd)
            finally:
                os.close(self._fd)
                self._fd = None


def _open_lock_file(path: Path) -> int | None:
    """A descriptor of the lock file to lock. In a folder this process may not write (a
    read-only file system, a store another user owns), the existing lock file is opened
    for reading, which locks as well; with no lock file there, ``None``: nobody can write
    that catalog from this file system, so readers need no lock."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        if exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise
    try:
        return os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None


try:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

except ImportError:  # pragma: no cover - Windows
    import msvcrt

    def _lock(fd: int) -> None:
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                return
            except OSError:
                continue

    def _unlock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
