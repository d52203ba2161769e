"""CSV/TSV actor and link lists with a header row: the lossless text format.

A network is up to three files side by side, named after the link list:

- ``x.csv`` — the **link list**: a header row naming ``source`` and ``target`` (also
  accepted: from/to, src/dst, sender/receiver, tail/head, node1/node2, ego/alter), then
  ``kind``, ``weight`` and any attribute columns, one link per row;
- ``x.actors.csv`` — the **actor list**: ``id`` (or actor/name/node/label/vertex), then
  ``kind`` and any attribute columns, one actor per row;
- ``x.meta.json`` — a small **sidecar**: directedness, name, metadata and the type of
  every column.

``read("x.csv")`` (or ``read("x.links.csv")``) picks up ``x.actors.csv`` and
``x.meta.json`` when they are there (``actors=`` names another actor list, or ``False``
ignores it); ``read("x.actors.csv")`` reads the pair from the actor side, or the actors
alone. ``write(net, "x.csv")`` writes all three (tab-separated for ``.tsv``/``.txt``),
replacing them together only once all are complete.

The delimiter is sniffed from the header (comma, tab, semicolon or ``|``); a file with
none of these on its header whose lines all split into the same number of fields at runs
of spaces and tabs is whitespace-delimited (``delimiter=" "`` says so), as is one whose
header aligns its columns with runs of tabs and spaces. Cells follow CSV quoting: a quoted
cell may hold delimiters, quotes (doubled) and line breaks. An empty unquoted cell is a
missing value; a quoted empty cell ``""`` is an empty string (whitespace-delimited files
have no empty unquoted cells: write ``""`` there).

Types: with the sidecar every column gets its recorded type (bool, int, float, str), so
``"007"`` stays text. Without it types are inferred per column: integers, then decimal
numbers, then ``true``/``false``, else text; ids, ``organization`` (it names an actor),
``kind`` and ``mode`` are always text. Directedness comes from the sidecar, else
``directed=`` (default ``True``). Every row is a link unless ``duplicates=`` (see
:mod:`fentanet.network.io.edgelist`) merges rows with the same pair, kind and phase.

What round-trips through write and read: everything :meth:`Network.equals` compares
(ids, kinds, every attribute with its type and missing values, parallel links,
directedness), plus the name and JSON-able metadata; uids when they are not the default.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from fentanet.errors import InputError
from fentanet.network.io import atomic_paths, register
from fentanet.network.io._text import (
    TEXT_COLUMNS,
    WHITESPACE,
    Table,
    column_kind,
    convert_column,
    head_lines,
    header_fields,
    infer_kind,
    load,
    normalise_whitespace,
    read_table,
    sniff_list_delimiter,
    split_header,
    to_arrow,
    whitespace_fields,
)
from fentanet.network.io.edgelist import (
    DUPLICATE_RULES,
    combine_duplicates,
    delimiter_option,
    factorize_ends,
)
from fentanet.network.model import Network, Origin

SOURCE_NAMES = ("source", "from", "src", "sender", "tail", "node1", "ego", "source_id")
TARGET_NAMES = ("target", "to", "dst", "receiver", "head", "node2", "alter", "target_id")
ID_NAMES = ("id", "actor", "name", "node", "label", "vertex", "actor_id")
PAIRS = list(zip(SOURCE_NAMES, TARGET_NAMES, strict=True))
EXTENSIONS = (".csv", ".tsv", ".txt")
SIDECAR_VERSION = 1

_NUMBER_COLUMNS = {"weight", "capacity", "cost"}


# ---------------------------------------------------------------------- file names
def sibling_paths(path: str | Path) -> tuple[Path, Path, Path]:
    """(link list, actor list, sidecar) paths of the network whose file is ``path``.

    ``x.csv`` and ``x.links.csv`` pair with ``x.actors.csv`` and ``x.meta.json``.
    """
    path = Path(path)
    name = path.name
    ext = next((e for e in EXTENSIONS if name.lower().endswith(e)), path.suffix)
    base = name[: len(name) - len(ext)] if ext else name
    low = base.lower()
    if low.endswith(".actors"):
        base = base[: -len(".actors")]
        links = path.with_name(base + ext)
        if not links.exists() and path.with_name(base + ".links" + ext).exists():
            links = path.with_name(base + ".links" + ext)
    elif low.endswith(".links"):
        base = base[: -len(".links")]
        links = path
    else:
        links = path
    return links, path.with_name(base + ".actors" + ext), path.with_name(base + ".meta.json")


def _is_actor_path(path: Path) -> bool:
    name = path.name.lower()
    return any(name.endswith(".actors" + e) for e in EXTENSIONS)


# ---------------------------------------------------------------------- reading
def _parse(path: Path, delimiter: str | None) -> tuple[Table, str]:
    raw = load(path)
    if delimiter is None:
        sample = head_lines(raw[:65536].decode("utf-8", errors="ignore"), 20)
        delimiter = sniff_list_delimiter(sample) or (
            WHITESPACE if sample and whitespace_fields(sample[0]) >= 2 else ",")
    if delimiter == WHITESPACE:  # runs of spaces and tabs: one tab between fields
        raw = normalise_whitespace(raw)
        delimiter = "\t"
    head, body, head_line = split_header(raw)
    names = header_fields(head, delimiter, quoting=True)
    for i, name in enumerate(names):
        if not name:
            raise InputError(f"column {i + 1} of the header has no name", file=path,
                             line=head_line)
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InputError(f"column '{name}' appears twice in the header", file=path,
                             line=head_line, field=name)
        seen.add(name)
    table = read_table(body, path=path, delimiter=delimiter, names=names,
                       first_line=head_line + head.count(b"\n") + 1, quoting=True)
    table.header_line = head_line
    return table, delimiter


def _find(names: list[str], wanted: tuple[str, ...]) -> str | None:
    low = {n.lower(): n for n in names}
    for w in wanted:
        if w in low:
            return low[w]
    return None


def _endpoint_columns(table: Table) -> tuple[str, str] | None:
    low = {n.lower(): n for n in table.names}
    for s, t in PAIRS:
        if s in low and t in low:
            return low[s], low[t]
    return None


def _read_sidecar(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"unreadable metadata sidecar ({exc})", file=path) from None
    if not isinstance(data, dict):
        raise InputError("the metadata sidecar must hold a JSON object", file=path)
    for key, (kind, what) in _SIDECAR_FIELDS.items():  # a hand edit may write "false"
        if key not in data:
            continue
        value = data[key]
        if not isinstance(value, kind):
            raise InputError(f"expected {what}, got {json.dumps(value)[:40]}", file=path,
                             field=key)
        if key in ("links", "actors") and not isinstance(value.get("columns", {}), dict):
            raise InputError("expected an object of column types, got "
                             f"{json.dumps(value['columns'])[:40]}", file=path,
                             field=f"{key}.columns")
    return data


_SIDECAR_FIELDS = {"directed": (bool, "true or false"),
                   "name": ((str, type(None)), "a string"),
                   "meta": ((dict, type(None)), "an object"),
                   "links": (dict, "an object"), "actors": (dict, "an object")}
"""The sidecar's fields and their JSON types (each optional)."""


_SPECIAL = ("kind", "weight", "capacity", "cost")


def _columns(table: Table, *, path: Path, types: dict[str, str], skip: set[str]
             ) -> pd.DataFrame:
    """Typed attribute columns of a table (all but ``skip``).

    Types come from ``types`` (the sidecar), else :data:`TEXT_COLUMNS` are text,
    weight/capacity/cost numbers, and other columns are inferred. ``Kind``, ``Weight``,
    ``Capacity`` and ``Cost`` in any case are the model's columns.
    """
    out = {}
    for name in table.names:
        if name in skip:
            continue
        values = table.columns[name]
        low = name.lower()
        kind = types.get(name)
        if kind not in ("bool", "int", "float", "str", "empty"):
            if low in TEXT_COLUMNS:
                kind = "str"
            elif low in _NUMBER_COLUMNS:
                kind = "empty" if values.null_count == len(values) else "float"
            else:
                kind = infer_kind(values)
        key = low if low in _SPECIAL and low not in table.names else name
        out[key] = convert_column(values, kind, lines=table.lines, file=path, name=name)
    return pd.DataFrame(out, index=pd.RangeIndex(table.n_rows))


def read_links(
    path: Path,
    *,
    actors: str | Path | bool | None = None,
    directed: bool | None = None,
    duplicates: str = "keep",
    delimiter: str | None = None,
) -> Network:
    """Read a link list (and its actor list and sidecar); see the module docstring."""
    path = Path(path)
    if duplicates not in DUPLICATE_RULES:
        raise InputError(f"unknown rule for repeated pairs {duplicates!r}; expected one of "
                         f"{', '.join(DUPLICATE_RULES)}", field="duplicates")
    if delimiter is not None:
        delimiter = delimiter_option(delimiter)
    links_path, actors_path, meta_path = sibling_paths(path)
    if _is_actor_path(path) and not links_path.exists():
        links_path = None
    side = _read_sidecar(meta_path) if meta_path.exists() else {}
    if actors is False:
        actors_path = None
    elif actors not in (None, True):
        actors_path = Path(actors)
        if not actors_path.exists():
            raise InputError("no such actor list", file=actors_path, field="actors")
    elif not actors_path.exists():
        actors_path = None
    if directed is None:
        directed = side.get("directed", True)
    types_l = dict(side.get("links", {}).get("columns", {}))
    types_a = dict(side.get("actors", {}).get("columns", {}))

    lt = None
    if links_path is not None and links_path != actors_path:
        lt, _ = _parse(links_path, delimiter)
        if _endpoint_columns(lt) is None and _find(lt.names, ID_NAMES) is not None:
            # a header with an id column and no source/target: an actor list alone
            actors_path, links_path, at = links_path, None, lt

    actor_frame, actor_lines, ids = None, None, None
    if actors_path is not None:
        if links_path is not None or lt is None:
            at, _ = _parse(actors_path, delimiter)
        id_col = _find(at.names, ID_NAMES)
        if id_col is None:
            raise InputError("the actor list has no 'id' column (columns: "
                             f"{', '.join(at.names)}); expected id, kind, attributes",
                             file=actors_path, line=at.header_line, field="id")
        ids_raw = at.columns[id_col]
        if ids_raw.null_count:
            row = int(np.flatnonzero(pc.is_null(ids_raw).to_numpy(zero_copy_only=False))[0])
            raise InputError("missing actor id", file=actors_path, line=at.line(row),
                             field="id")
        ids = pc.utf8_trim_whitespace(ids_raw).combine_chunks()
        actor_frame = _columns(at, path=actors_path, types=types_a, skip={id_col})
        actor_lines = at.lines
        if links_path is None or links_path == actors_path:
            origin = Origin(file=str(actors_path), actor_lines=actor_lines)
            return Network.from_indices(ids, np.zeros(0, np.int32), np.zeros(0, np.int32),
                                        actors=actor_frame, directed=directed,
                                        name=side.get("name", ""), source=str(path),
                                        meta=side.get("meta"), origin=origin)

    if lt is None:
        lt, _ = _parse(links_path, delimiter)
    ends = _endpoint_columns(lt)
    if ends is None:
        missing = "source" if _find(lt.names, SOURCE_NAMES) is None else "target"
        raise InputError(f"the link list has no '{missing}' column (columns: "
                         f"{', '.join(lt.names)}); expected a header with source and "
                         "target", file=links_path, line=lt.header_line, field=missing)
    s_col, t_col = ends
    for name, col in ((s_col, lt.columns[s_col]), (t_col, lt.columns[t_col])):
        if col.null_count:
            row = int(np.flatnonzero(pc.is_null(col).to_numpy(zero_copy_only=False))[0])
            raise InputError(f"missing {name} id", file=links_path, line=lt.line(row),
                             field=name)
    link_frame = _columns(lt, path=links_path, types=types_l, skip={s_col, t_col})
    origin = Origin(file=str(links_path), link_lines=lt.lines, actor_lines=actor_lines,
                    actor_file=None if actors_path is None else str(actors_path))
    if ids is None:
        ids, src, dst = factorize_ends(lt.columns[s_col], lt.columns[t_col], table=lt,
                                       path=links_path)
    else:
        src = _lookup(ids, lt.columns[s_col], "source", lt, origin)
        dst = _lookup(ids, lt.columns[t_col], "target", lt, origin)
    if duplicates != "keep" and len(src) > 1:
        groups = _group_codes(link_frame)
        weight = link_frame["weight"].to_numpy(dtype=np.float64, na_value=1.0) \
            if "weight" in link_frame else None
        keep, merged = combine_duplicates(src, dst, weight, n_actors=len(ids),
                                          directed=directed, rule=duplicates,
                                          groups=groups)
        if keep is not None:
            src, dst = src[keep], dst[keep]
            link_frame = link_frame.iloc[keep].reset_index(drop=True)
            if merged is not None:
                link_frame["weight"] = merged
            from fentanet.network.io.edgelist import _Subset

            origin.link_lines = _Subset(lt.lines, keep)
    return Network.from_indices(ids, src, dst, actors=actor_frame, links=link_frame,
                                directed=directed, name=side.get("name", ""),
                                source=str(path), meta=side.get("meta"), origin=origin)


def _lookup(ids: pa.Array, col: pa.ChunkedArray, end: str, table: Table,
            origin: Origin) -> np.ndarray:
    values = pc.utf8_trim_whitespace(col)
    idx = pc.index_in(values, value_set=ids)
    if idx.null_count:
        row = int(np.flatnonzero(pc.is_null(idx).to_numpy(zero_copy_only=False))[0])
        raise origin.link_error(row, f"unknown actor '{values[row].as_py()}' as link {end}; "
                                     "every link must join actors of the actor list", end)
    return idx.to_numpy(zero_copy_only=False).astype(np.int32)


def _group_codes(frame: pd.DataFrame) -> np.ndarray | None:
    cols = [c for c in ("kind", "phase") if c in frame]
    if not cols:
        return None
    codes, _ = pd.factorize(pd.MultiIndex.from_frame(frame[cols].astype(object)))
    return codes.astype(np.int64)


# ---------------------------------------------------------------------- writing
def _table(frame: pd.DataFrame, *, path: Path) -> tuple[pa.Table, dict[str, str]]:
    arrays, names, types = [], [], {}
    for name in frame.columns:
        if re.search(r"[\r\n]", str(name)):
            raise InputError(f"column name {name!r} holds a line break; a CSV header "
                             "cannot hold it", file=path, field=str(name))
        kind = column_kind(frame[name])
        types[str(name)] = kind
        arrays.append(to_arrow(frame[name], kind))
        names.append(str(name))
    return pa.table(arrays, names=names), types


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (set, tuple)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    return str(value)


def write_links(net: Network, path: Path, *, delimiter: str | None = None,
                sidecar: bool = True) -> None:
    """Write the link list, the actor list and the sidecar (see the module docstring)."""
    path = Path(path)
    if _is_actor_path(path):
        raise InputError("name the link list (x.csv), not the actor list; the actor list "
                         "x.actors.csv is written beside it", file=path)
    links_path, actors_path, meta_path = sibling_paths(path)
    if delimiter is None:
        delimiter = "\t" if path.suffix.lower() in (".tsv", ".txt") else ","
    if delimiter not in (",", "\t", ";", "|"):
        raise InputError(f"unknown delimiter {delimiter!r}; expected ',', tab, ';' or '|'",
                         field="delimiter")
    actors = net.actors
    if "uid" in actors and np.array_equal(actors["uid"].to_numpy(),
                                          np.arange(len(actors))):
        actors = actors.drop(columns="uid")
    link_table, link_types = _table(net.links, path=links_path)
    actor_table, actor_types = _table(actors, path=actors_path)
    side = {
        "fentanet": "network",
        "version": SIDECAR_VERSION,
        "name": net.name,
        "directed": bool(net.directed),
        "meta": net.meta,
        "links": {"file": links_path.name, "columns": link_types},
        "actors": {"file": actors_path.name, "columns": actor_types},
    }
    text = json.dumps(side, indent=2, ensure_ascii=False, default=_plain)
    options = pacsv.WriteOptions(delimiter=delimiter, include_header=True)
    targets = [links_path, actors_path] + ([meta_path] if sidecar else [])
    with atomic_paths(*targets) as tmps:
        pacsv.write_csv(link_table, str(tmps[0]), write_options=options)
        pacsv.write_csv(actor_table, str(tmps[1]), write_options=options)
        if sidecar:
            tmps[2].write_text(text + "\n", encoding="utf-8")


# ---------------------------------------------------------------------- sniffing
_KNOWN = {*SOURCE_NAMES, *TARGET_NAMES, *ID_NAMES, "kind", "weight", "capacity", "cost",
          "phase", "start", "end"}


def _sniff(head: str, path: Path) -> bool:
    """A header row of names (a delimiter, no numbers) with a column fentanet knows."""
    lines = head_lines(head, 20)
    if not lines:
        return False
    delim = sniff_list_delimiter(lines)
    if delim is None:
        return False
    first = lines[0].encode("utf-8")
    if delim == WHITESPACE:
        first, delim = normalise_whitespace(first), "\t"
    names = [n.lower() for n in header_fields(first, delim, True)]
    if len(names) < 2 or any(not n or _number(n) for n in names):
        return False
    if any(s in names and t in names for s, t in PAIRS):
        return True
    if _actor_header(names) or (_is_actor_path(path) and any(n in names for n in ID_NAMES)):
        return True
    return any(n in SOURCE_NAMES or n in TARGET_NAMES for n in names) and \
        any(n in _KNOWN for n in names[1:])


def _actor_header(names: list[str]) -> bool:
    """The header of an actor list: ``id`` (or ``actor``, ``name``, ... with ``kind``)
    and no source or target column (lower-case names)."""
    if any(n in SOURCE_NAMES or n in TARGET_NAMES for n in names):
        return False
    return "id" in names or ("kind" in names and any(n in ID_NAMES for n in names))


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


register(
    "links",
    extensions=EXTENSIONS,
    description="actor and link lists with a header row (x.csv, x.actors.csv, "
                "x.meta.json)",
    reader=read_links,
    writer=write_links,
    sniff=_sniff,
    priority=15,
    write_priority=10,
    keeps="everything: ids, kinds, typed attributes with missing values, parallel links, "
          "direction, name and metadata",
)

__all__ = ["read_links", "sibling_paths", "write_links"]
