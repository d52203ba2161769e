"""Writing a run's or an ensemble's outputs into a folder: all files or none.

The tables go as Parquet (typed, compact: what pandas, R's arrow, DuckDB and Polars read);
small tables a person opens in a spreadsheet (summaries, comparisons) also as CSV, and
every table as CSV on request (``csv=True``). Documents (the summary with what produced
it) go as JSON, with NaN and infinities as ``null``.

Every file is written to a temporary name in the folder and renamed into place only when
all of them were written, so an error (a full disk, a table that cannot be written) leaves
the folder as it was: no file half-written, no mix of old and new outputs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fentanet.errors import InputError

Writer = Callable[[Path], None]


def check_folder(folder: str | Path, option: str = "--out",
                 names: tuple[str, ...] = ()) -> Path:
    """Refuse an output folder that cannot be one (an existing file, a missing parent, a
    folder in it named like one of the files ``names`` it is to hold), before a long run
    starts. Only the folder itself is made, never missing parents, as for every output
    path the user gives (``cli.common.check_output_folder``): a typo in the path would
    make folders wherever it points."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"exists and is not a folder; expected a folder for {option}",
                         file=folder)
    parent = folder.absolute().parent
    if not folder.exists() and not parent.is_dir():
        raise InputError(f"the folder does not exist (for {option}); only the last folder "
                         "of the path is made, never missing parents (a typo would make "
                         "folders wherever it points): make them first", file=parent)
    for name in names:
        if (folder / name).is_dir():
            raise InputError(f"cannot write: is a folder, not a file; {option} writes a file "
                             "of this name: move or rename the folder", file=folder / name)
    return folder


def jsonable(value: Any) -> Any:
    """``value`` as strict JSON values: NumPy scalars and arrays as Python numbers and
    lists, a DataFrame as its records, timestamps in ISO format, NaN, infinities and
    ``pd.NA`` as ``None``."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, pd.DataFrame):
        return jsonable(value.to_dict(orient="records"))
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if value is pd.NA:
        return None
    return value


def json_records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    """A table's rows as strict JSON, as ``compare --json``, the demo's summary.json and
    the web app give them: a missing value ``null``, an infinite one the string ``"inf"``
    or ``"-inf"`` (the open end of an interval, such as cost per death averted's when the
    deaths averted's interval reaches 0: not a missing value), no ``-0.0``.

    >>> json_records(pd.DataFrame({"lo": [1.5, -np.inf], "hi": [np.inf, np.nan]}))
    [{'lo': 1.5, 'hi': 'inf'}, {'lo': '-inf', 'hi': None}]
    """
    if frame is None or len(frame) == 0:
        return []
    floats = frame.select_dtypes("float").columns
    frame = frame.assign(**{c: frame[c] + 0.0 for c in floats})  # + 0.0: no -0.0
    cells = frame.astype(object).where(frame.notna(), None)
    return jsonable([{k: _open_end(v) for k, v in row.items()}
                     for row in cells.to_dict("records")])


def _open_end(v: Any) -> Any:
    if isinstance(v, float | np.floating) and math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def parquet_writer(df: pd.DataFrame) -> Writer:
    """A writer of ``df`` as Parquet (no index)."""
    return lambda p: df.to_parquet(p, index=False)


def csv_writer(df: pd.DataFrame) -> Writer:
    """A writer of ``df`` as CSV (no index)."""
    return lambda p: df.to_csv(p, index=False)


def zero_costs(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the per-intervention cost columns (``cost_<kind>_usd`` and their
    totals) 0 where missing: runs stacked together carry the columns of every variant's
    interventions, and a variant without an intervention paid nothing for it (not NaN).
    In the long format (``metric`` and ``value`` columns) the values of those metrics."""
    if {"metric", "value"} <= set(df.columns):
        cost = df["metric"].astype(str).str.startswith("cost_") & df["value"].isna()
        if cost.any():
            df = df.copy()
            df.loc[cost, "value"] = 0.0
        return df
    cols = [c for c in df.columns if str(c).startswith("cost_")]
    if cols:
        df = df.copy()
        df[cols] = df[cols].fillna(0.0)
    return df


def cost_columns_in_order(columns: list[str]) -> list[str]:
    """``columns`` with the per-intervention cost columns (``cost_<kind>_usd``, or their
    totals ``cost_<kind>_usd_total``) right after ``intervention_cost_usd`` (or its total),
    in the order of the kinds in :data:`~fentanet.simulate.params.INTERVENTION_KINDS`
    (unknown kinds after them, by name): the order of docs/series.md, whatever order the
    runs stacked in a table were made or registered in (serial and 2 workers put the cost
    columns of a comparison in different orders). Other columns keep their order."""
    from fentanet.simulate.params import INTERVENTION_KINDS

    rank = {kind: i for i, kind in enumerate(INTERVENTION_KINDS)}

    def kind_of(col: str) -> str | None:
        for tail in ("_usd", "_usd_total"):
            if col.startswith("cost_") and col.endswith(tail):
                return col[len("cost_"):-len(tail)]
        return None

    costs = [c for c in columns if kind_of(str(c)) is not None]
    if not costs:
        return list(columns)
    costs.sort(key=lambda c: (str(c).endswith("_total"), rank.get(kind_of(c), len(rank)),
                              kind_of(c)))
    rest = [c for c in columns if c not in costs]
    out = []
    for c in rest:
        out.append(c)
        if c in ("intervention_cost_usd", "intervention_cost_usd_total"):
            out += [k for k in costs if str(k).endswith("_total") == c.endswith("_total")]
    placed = set(out)
    return out + [c for c in costs if c not in placed]  # no anchor: at the end


def table_writers(name: str, df: pd.DataFrame, *, parquet: bool = True,
                  csv: bool = False) -> dict[str, Writer]:
    """Writers of ``df`` as ``<name>.parquet`` and/or ``<name>.csv``."""
    out: dict[str, Writer] = {}
    if parquet:
        out[f"{name}.parquet"] = parquet_writer(df)
    if csv:
        out[f"{name}.csv"] = csv_writer(df)
    return out


def write_file(path: str | Path, writer: Writer) -> Path:
    """Write one file atomically (see :func:`write_files`)."""
    path = Path(path)
    [out] = write_files(path.parent, {path.name: writer})
    return out


def json_writer(document: Any) -> Writer:
    """A writer of ``document`` as indented strict JSON."""
    text = json.dumps(jsonable(document), indent=2, allow_nan=False, default=str) + "\n"
    return lambda p: p.write_text(text, encoding="utf-8")


RESULT_FILES = ("series.parquet", "series.csv", "summary.csv", "summary.json",
                "bands.parquet", "bands.csv", "summary_bands.csv", "compare.csv")
"""The files of a result folder (a run's, a comparison's or an ensemble's ``save``): a
save removes those of them it does not write, so a folder never mixes two results."""

Marker = tuple[str, tuple[frozenset[str], ...]]
"""How an earlier fentanet result is told in a folder: its JSON document's file name, and
sets of keys, one of which the document (a JSON object) must hold."""

RESULT_MARKER: Marker = ("summary.json", (frozenset({"scenario", "summary"}),
                                          frozenset({"scenario", "compare"})))
"""A run's ``summary.json`` holds its scenario and summary; a comparison's or an
ensemble's, its scenario and comparison."""


def earlier_result(folder: str | Path, names: tuple[str, ...], marker: Marker, *,
                   option: str = "--out") -> list[str]:
    """The files of ``names`` already in ``folder``, checked to be an earlier fentanet
    result's: the folder's ``marker`` document must be one. Otherwise they are refused
    (:class:`InputError` naming the folder and the files): replacing them, or removing
    those a new result does not write, would lose files fentanet did not write. Other
    files are never looked at."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    present = [name for name in names if (folder / name).is_file()]
    document, keys = marker
    if not present or _is_document(folder / document, keys):
        return present
    why = (f"its {document} is not a fentanet result's" if (folder / document).is_file()
           else f"no {document}")
    raise InputError(f"holds {', '.join(present)}, names {option} writes, but {why}, so "
                     f"they may not be fentanet's: {option} would replace or remove them; "
                     "choose an empty or new folder, or move them", file=folder)


def _is_document(path: Path, keys: tuple[frozenset[str], ...]) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and any(k <= data.keys() for k in keys)


def write_files(folder: str | Path, writers: Mapping[str, Writer], *,
                option: str = "--out", replaces: tuple[str, ...] = (),
                marker: Marker | None = None) -> list[Path]:
    """Write every file of ``writers`` (file name -> function writing to a given path)
    into ``folder``, all or none; returns the paths written, in order.

    The folder is created if needed (and removed again if the writing fails and it was
    created here). An error while writing raises :class:`InputError` naming the file;
    ``option`` names the folder's option in the error for a folder that cannot be one.
    The files of ``replaces`` that ``writers`` does not write (an earlier result's, say
    its ``bands.parquet``) are removed once the new files are in place, and only then.
    With a ``marker``, files of those names already there are replaced or removed only
    when the folder holds an earlier fentanet result (:func:`earlier_result`); else
    nothing is written.
    """
    from fentanet.network.io import atomic_paths

    folder = check_folder(folder, option, tuple(writers))
    if marker is not None:
        earlier_result(folder, tuple(dict.fromkeys([*writers, *replaces])), marker,
                       option=option)
    created = not folder.exists()
    targets = [folder / name for name in writers]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_paths(*targets) as temps:
            for (name, write), tmp in zip(writers.items(), temps, strict=True):
                try:
                    write(tmp)
                except OSError as exc:
                    raise InputError(f"cannot write: {exc.strerror or exc}",
                                     file=folder / name) from None
        for name in replaces:
            stale = folder / name
            if name not in writers and stale.is_file():
                stale.unlink()
    except OSError as exc:  # making the folder, a target that is a folder, a rename
        _remove_made(folder, created)
        raise InputError(f"cannot write: {exc.strerror or exc}",
                         file=exc.filename or folder) from None
    except BaseException:
        _remove_made(folder, created)
        raise
    return targets


def _remove_made(folder: Path, created: bool) -> None:
    """Remove the output folder after a failed write if it was made for it (and is empty)."""
    if created:
        try:
            folder.rmdir()
        except OSError:
            pass
