"""Network-interdiction benchmark instances (Lopes da Silva, Sharkey & Song, IJOC 2024).

Comma-separated, no header, spaces around fields and trailing empty fields allowed. The
first row names the source and sink (and, for the layered instances, a level). Every
other row is an arc:

- HT instances (8 fields): ``tail, head, capacity, interdiction_cost, special,
  trafficker, bottom, victim``;
- layered instances (6 fields): ``tail, head, capacity, interdiction_cost, special,
  level``. The arc from the sink back to the source is a modelling device of the paper
  and is dropped (``keep_return_arc=True`` keeps it).

Arcs become directed ``flow`` links with attributes ``capacity`` and ``cost`` and the
role flags; actors are untyped, with ``role`` = source or sink on the two terminals
(``net.meta["source"]``, ``net.meta["sink"]`` name them).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fentanet.errors import InputError
from fentanet.network.io import atomic_path, register
from fentanet.network.io._text import load
from fentanet.network.model import Network, Origin

HT_FIELDS = ("source", "target", "capacity", "cost", "special", "trafficker", "bottom",
             "victim")
LAYERED_FIELDS = ("source", "target", "capacity", "cost", "special", "level")


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    rows = []
    text = load(path).decode("utf-8")
    for lineno, line in enumerate(text.split("\n"), start=1):
        fields = [f.strip() for f in line.split(",")]
        while fields and fields[-1] == "":  # trailing empty fields (HT Network8)
            fields.pop()
        if fields:
            rows.append((lineno, fields))
    return rows


def read_interdiction(path: Path, *, keep_return_arc: bool = False) -> Network:
    """Read an interdiction instance; see the module docstring for the format."""
    rows = _rows(path)
    if not rows:
        raise InputError("empty file; expected an interdiction instance", file=path)
    head_line, head = rows[0]
    if len(head) not in (2, 3):
        raise InputError(f"first row must be 'source, sink' or 'source, sink, level', got "
                         f"{len(head)} fields", file=path, line=head_line)
    arcs = rows[1:]
    if not arcs:
        raise InputError("no arcs after the source/sink row", file=path, line=head_line)
    width = len(arcs[0][1])
    if width not in (6, 8):
        raise InputError(f"an arc row has 6 (layered) or 8 (HT) fields, got {width}",
                         file=path, line=arcs[0][0])
    fields = HT_FIELDS if width == 8 else LAYERED_FIELDS
    values = np.empty((len(arcs), width), dtype=np.float64)
    for i, (lineno, row) in enumerate(arcs):
        if len(row) != width:
            raise InputError(f"expected {width} fields like the first arc row, got "
                             f"{len(row)}", file=path, line=lineno)
        for j, text in enumerate(row):
            try:
                values[i, j] = float(text)
            except ValueError:
                raise InputError(f"'{fields[j]}' must be a number, got '{text}'",
                                 file=path, line=lineno, field=fields[j]) from None
    lines = np.array([ln for ln, _ in arcs])
    integral = [j for j, f in enumerate(fields) if f not in ("capacity", "cost")]
    frac = values[:, integral] != np.round(values[:, integral])
    frac |= ~np.isfinite(values[:, integral]) | (np.abs(values[:, integral]) > 2**53)
    if frac.any():
        i, j = np.argwhere(frac)[0]
        name = fields[integral[j]]
        raise InputError(f"'{name}' must be an integer, got '{arcs[i][1][integral[j]]}'",
                         file=path, line=int(lines[i]), field=name)
    try:
        head_values = [float(x) for x in head]
        if any(v != round(v) or abs(v) > 2**53 for v in head_values):
            raise ValueError
        source, sink = (str(int(v)) for v in head_values[:2])
    except (ValueError, OverflowError):
        raise InputError("source and sink must be integer node ids, got "
                         f"'{', '.join(head)}'", file=path, line=head_line) from None
    links = pd.DataFrame(values, columns=list(fields))
    for col in ("source", "target"):
        links[col] = links[col].astype(np.int64).astype(str)
    for col in fields[4:]:
        links[col] = links[col].astype(np.int64)
    if width == 6 and not keep_return_arc:
        back = ((links["source"] == sink) & (links["target"] == source)).to_numpy()
        links, lines = links.loc[~back].reset_index(drop=True), lines[~back]
    links.insert(2, "kind", "flow")
    ends = pd.unique(np.concatenate([[source, sink], links["source"], links["target"]]))
    order = sorted(ends, key=int)
    actors = pd.DataFrame({"id": order})
    actors["role"] = np.where(actors["id"] == source, "source",
                              np.where(actors["id"] == sink, "sink", None))
    meta = {"source": source, "sink": sink, "format": "interdiction",
            "variant": "ht" if width == 8 else "layered"}
    if len(head) == 3:
        meta["level"] = int(head_values[2])
    return Network(actors, links, directed=True, name=path.stem, source=str(path),
                   meta=meta, origin=Origin(file=str(path), link_lines=lines))


def write_interdiction(net: Network, path: Path) -> None:
    """Write flow links in the HT or layered layout (from ``net.meta['variant']``)."""
    source, sink = net.meta.get("source"), net.meta.get("sink")
    if source is None or sink is None:
        raise InputError("the network has no meta 'source' and 'sink' to write as an "
                         "interdiction instance", file=path)
    layered = net.meta.get("variant") == "layered"
    fields = LAYERED_FIELDS if layered else HT_FIELDS
    missing = [f for f in fields[2:] if f not in net.links]
    if missing:
        raise InputError(f"links lack the columns {missing} of an interdiction instance",
                         file=path)
    ids = pd.Series(net.ids, dtype=object).astype(str)
    if not ids.str.fullmatch(r"-?[0-9]+").all():
        bad = ids[~ids.str.fullmatch(r"-?[0-9]+")].iloc[0]
        raise InputError(f"actor id {bad!r} is not an integer; interdiction instances "
                         "number their nodes", file=path, field="id")
    holes = [f for f in fields[2:] if net.links[f].isna().any()]
    if holes:
        raise InputError(f"links have missing values in {holes}; an interdiction "
                         "instance needs every field", file=path, field=holes[0])
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        level = net.meta.get("level", 1)
        fh.write(f"{source}, {sink}" + (f", {level}" if layered else "") + "\n")
        for row in net.links[list(fields)].itertuples(index=False, name=None):
            fh.write(", ".join(_fmt(v) for v in row) + "\n")


def _fmt(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _sniff(head: str, path: Path) -> bool:
    lines = [ln for ln in head.split("\n") if ln.strip()][:6]
    if len(lines) < 2:
        return False
    first = [f.strip() for f in lines[0].split(",")]
    while first and first[-1] == "":
        first.pop()
    rest = [[f.strip() for f in ln.split(",")] for ln in lines[1:]]
    if len(first) not in (2, 3) or not all(f.lstrip("-").isdigit() for f in first):
        return False
    widths = {len(r) for r in rest[:-1] or rest}
    if widths not in ({6}, {8}):
        return False
    return all(_num(f) for r in rest[:-1] or rest for f in r)


def _num(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


register(
    "interdiction",
    extensions=(".csv",),
    description="network-interdiction instance (first row source, sink; arcs with "
                "capacity and cost)",
    reader=read_interdiction,
    writer=write_interdiction,
    sniff=_sniff,
    priority=10,
    write_priority=90,
    keeps="the instance: integer node ids, arcs with capacity, cost and role flags, source "
          "and sink, HT or layered layout; no other kinds or attributes",
)
