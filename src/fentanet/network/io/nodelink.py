"""JSON node-link (``.json``): networkx's ``node_link_data`` layout, also read by d3.

::

    {"directed": true, "multigraph": false, "graph": {"name": "case"},
     "nodes": [{"id": "a", "kind": "dealer"}, ...],
     "edges": [{"source": "a", "target": "b", "weight": 2.0}, ...]}

Read: ``nodes`` (each with an ``id``) and ``edges`` (or ``links``, the older networkx
key) whose ``source``/``target`` name node ids (or, as d3 allows, node positions when
all are integers and no node has such an id); ``directed`` (default false, as networkx);
``graph`` becomes the name and metadata. Node and edge members other than the ids become
actor and link columns, typed from the JSON values (bool, int, float, text; a column
mixing types is text; lists and objects are kept as JSON text; ``null`` or an absent
member is missing). Edge ``key`` (networkx multigraphs) is dropped.

The writer writes exactly that layout with ``"edges"``, readable by
``networkx.node_link_graph(data, edges="edges")``; missing values are left out. What
round-trips: everything :meth:`Network.equals` compares (ids, kinds, typed attributes
with missing values, parallel links, directedness) plus the name and JSON-able metadata;
infinite attribute values cannot be written (strict JSON has none).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fentanet.errors import InputError
from fentanet.network.io import atomic_path, register
from fentanet.network.io._text import column_kind, load, python_values, records_frame
from fentanet.network.model import Network

_RESERVED_EDGE = ("source", "target", "key")


def _id(v: Any, what: str, path, field: str = "id") -> str:
    if v is None or isinstance(v, (list, dict, bool)):
        raise InputError(f"{what} has no usable id (got {json.dumps(v)[:30]}); expected a "
                         "string or a number", file=path, field=field)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def read_json(path: Path) -> Network:
    """Read a JSON node-link file; see the module docstring."""
    try:
        data = json.loads(load(path))
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg})", file=path, line=exc.lineno) from None
    if not isinstance(data, dict) or "nodes" not in data:
        raise InputError("expected a JSON object with 'nodes' and 'edges' (node-link "
                         "layout)", file=path, line=1)
    nodes = data["nodes"]
    edges = data.get("edges", data.get("links", []))
    if not isinstance(nodes, list) or not isinstance(edges, list):
        raise InputError("'nodes' and 'edges' must be lists", file=path)
    for what, items in (("node", nodes), ("edge", edges)):
        for k, item in enumerate(items):
            if not isinstance(item, dict):
                raise InputError(f"{what} {k + 1} is not an object", file=path, field=what)
    ids = [_id(n.get("id"), f"node {k + 1}", path) for k, n in enumerate(nodes)]
    index: dict[str, int] = {}
    for k, nid in enumerate(ids):
        if nid in index:
            raise InputError(f"node id '{nid}' appears twice (nodes {index[nid] + 1} and "
                             f"{k + 1})", file=path, field="id")
        index[nid] = k
    ends = [(e.get("source"), e.get("target")) for e in edges]
    positional = bool(ends) and all(
        isinstance(x, int) and not isinstance(x, bool) for pair in ends for x in pair) \
        and not any(str(x) in index for pair in ends for x in pair)
    src, dst = [], []
    for k, (s, t) in enumerate(ends):
        pair = []
        for end, name in ((s, "source"), (t, "target")):
            if positional:
                if not 0 <= end < len(ids):
                    raise InputError(f"edge {k + 1}: {name} position {end} outside "
                                     f"0..{len(ids) - 1}", file=path, field=name)
                pair.append(end)
                continue
            if end is None:
                raise InputError(f"edge {k + 1} has no '{name}'; expected the id of a node",
                                 file=path, field=name)
            key = _id(end, f"the {name} of edge {k + 1}", path, name)
            if key not in index:
                raise InputError(f"edge {k + 1}: unknown actor '{end}' as link {name}; "
                                 "every edge must join listed nodes", file=path, field=name)
            pair.append(index[key])
        src.append(pair[0])
        dst.append(pair[1])
    graph = data.get("graph") or {}
    if not isinstance(graph, dict):
        graph = {"graph": graph}
    meta = {k: v for k, v in graph.items() if k != "name"}
    return Network.from_indices(ids, np.asarray(src, dtype=np.int32),
                                np.asarray(dst, dtype=np.int32),
                                actors=records_frame([{k: v for k, v in n.items() if k != "id"}
                                                      for n in nodes], ("id",)),
                                links=records_frame([{k: v for k, v in e.items()
                                                      if k not in _RESERVED_EDGE}
                                                     for e in edges], ("source", "target")),
                                directed=bool(data.get("directed", False)),
                                name=str(graph.get("name", "") or ""), source=str(path),
                                meta=meta)


def _records(frame: pd.DataFrame, first: list[str]) -> list[dict[str, Any]]:
    cols = [c for c in frame.columns if c not in first]
    values = {c: python_values(frame[c], column_kind(frame[c])) for c in cols}
    for c, vals in values.items():
        if any(isinstance(v, float) and math.isinf(v) for v in vals):
            raise InputError(f"column '{c}' holds an infinite value, which JSON cannot "
                             "hold", field=c)
    heads = {c: frame[c].astype(str).tolist() for c in first}
    out = []
    for i in range(len(frame)):
        rec = {c: heads[c][i] for c in first}
        for c in cols:
            v = values[c][i]
            if v is not None:
                rec[str(c)] = v
        out.append(rec)
    return out


MAX_INDENT = 16
"""The largest indent the JSON writer takes (a huge one filled memory before writing)."""


def write_json(net: Network, path: Path, *, indent: int | None = None) -> None:
    """Write JSON node-link data; see the module docstring. ``indent``: spaces per level,
    0 to :data:`MAX_INDENT` (``None``: one line)."""
    if indent is not None and not (isinstance(indent, int) and 0 <= indent <= MAX_INDENT):
        raise InputError(f"indent must be a whole number from 0 to {MAX_INDENT} (spaces per "
                         f"level), got {indent!r}", field="indent")
    actors = net.actors
    if np.array_equal(actors["uid"].to_numpy(), np.arange(net.n_actors)):
        actors = actors.drop(columns="uid")
    src, dst = net.source_index, net.target_index
    parallel = np.unique(src.astype(np.int64) * max(net.n_actors, 1) + dst).size < src.size
    data = {
        "directed": bool(net.directed),
        "multigraph": bool(parallel),
        "graph": {"name": net.name, **{k: v for k, v in net.meta.items() if k != "name"}},
        "nodes": _records(actors, ["id"]),
        "edges": _records(net.links, ["source", "target"]),
    }
    try:
        text = json.dumps(data, ensure_ascii=False, indent=indent, allow_nan=False,
                          default=_plain)
    except ValueError as exc:
        raise InputError(f"cannot write as JSON: {exc}") from None
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text + "\n")


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (set, tuple)):
        return list(v)
    return str(v)


def _sniff(head: str, path: Path) -> bool:
    s = head.lstrip()
    return s.startswith("{") and '"nodes"' in head


register(
    "json",
    extensions=(".json",),
    description="JSON node-link (networkx node_link_data, d3)",
    reader=read_json,
    writer=write_json,
    sniff=_sniff,
    priority=9,
    keeps="everything: ids, kinds, typed attributes with missing values, parallel links, "
          "direction, name and metadata",
)

__all__ = ["read_json", "write_json"]
