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
from fentanet.network.model import Network, Origin

HT_FIELDS = ("source", "target", "capacity", "cost", "special", "trafficker", "bottom",
             "victim")
LAYERED_FIELDS = ("source", "target", "capacity", "cost", "special", "level")


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    rows = []
    with open(path, encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, start=1):
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
    try:
        source, sink = (str(int(float(x))) for x in head[:2])
    except ValueError:
        raise InputError("source and sink must be integer node ids", file=path,
                         line=head_line) from None
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
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        fh.write(f"{source}, {sink}" + (", 5" if layered else "") + "\n")
        for row in net.links[list(fields)].itertuples(index=False, name=None):
            fh.write(", ".join(_fmt(v) for v in row) + "\n")


def _fmt(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _sniff(head: str, path: Path) -> bool:
    lines = [ln for ln in head.splitlines() if ln.strip()][:6]
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
)
