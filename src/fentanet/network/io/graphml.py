"""GraphML (``.graphml``): the XML graph format of networkx, igraph, Gephi, yEd, Cytoscape.

Read: the first ``<graph>`` of the file, its ``edgedefault`` (``directed`` unless
``undirected``), ``<node>`` and ``<edge>`` elements and their ``<data>`` for the declared
``<key>``s, typed by ``attr.type`` (boolean, int, long, float, double, string) with the
key's ``<default>`` where a value is absent. Node data become actor columns and edge
data link columns; ``kind`` and ``weight`` are the model's. Keys without ``attr.name``
(yEd's graphics) are skipped. Edges whose own ``directed`` attribute differs from the
graph's make a directed network in which undirected edges count both ways. Nested
graphs and hyperedges are refused. ``ids="<attribute>"`` takes actor ids from a node
attribute (such as igraph's ``name``) instead of the node ids.

The writer declares one key per actor and link column with its type (bool → boolean,
int → long, float → double, text → string) and writes a ``<data>`` element for every
value that is not missing; the network's name and metadata (as JSON) are graph data.
What round-trips: everything :meth:`Network.equals` compares (ids, kinds, typed
attributes with missing values, parallel links, directedness), plus the name and
JSON-able metadata, uids when not the default. Text holding control characters other
than tab and line breaks cannot be written (XML forbids them).
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
from fentanet.network.io._text import column_kind, load, python_values, typed_series
from fentanet.network.io._xml import Element, escape, parse, root_tag
from fentanet.network.model import Network, Origin

NS = "http://graphml.graphdrawing.org/xmlns"
_TYPES = {"boolean": "bool", "int": "int", "long": "int", "float": "float",
          "double": "float", "string": "str"}
_WRITE_TYPES = {"bool": "boolean", "int": "long", "float": "double", "str": "string",
                "empty": "string"}
META_KEY = "fentanet_meta"


def convert_value(text: str, kind: str, *, line: int, file, name: str) -> Any:
    """A typed value from its XML text; a value that does not fit raises."""
    s = text.strip()
    try:
        if kind == "bool":
            low = s.lower()
            if low in ("true", "1"):
                return True
            if low in ("false", "0"):
                return False
            raise ValueError
        if kind == "int":
            return int(s)
        if kind == "float":
            low = s.lower()
            if low in ("inf", "+inf", "infinity"):
                return math.inf
            if low in ("-inf", "-infinity"):
                return -math.inf
            v = float(s)
            return None if math.isnan(v) else v
    except ValueError:
        expected = {"bool": "true or false", "int": "an integer", "float": "a number"}[kind]
        raise InputError(f"expected {expected}, got '{s[:40]}'", file=file, line=line,
                         field=name) from None
    return text


def format_value(v: Any, kind: str) -> str:
    if kind == "bool":
        return "true" if v else "false"
    if kind == "int":
        return str(int(v))
    if kind == "float":
        if math.isinf(v):
            return "INF" if v > 0 else "-INF"
        return repr(float(v))
    return str(v)


class _Key:
    def __init__(self, el: Element, file) -> None:
        self.id = el.attrs.get("id")
        if self.id is None:
            raise InputError("a <key> has no id", file=file, line=el.line)
        self.domain = el.attrs.get("for", "all")
        self.name = el.attrs.get("attr.name")
        typ = el.attrs.get("attr.type", "string").lower()
        self.kind = _TYPES.get(typ)
        if self.name is not None and self.kind is None:
            raise InputError(f"key '{self.name}' has attr.type '{typ}'; expected boolean, "
                             "int, long, float, double or string", file=file, line=el.line)
        default = el.find("default")
        self.default = None
        if default is not None and self.name is not None:
            self.default = convert_value(default.text, self.kind, line=default.line,
                                         file=file, name=self.name)


def _data(el: Element, keys: dict[str, _Key], domain: str, file) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for d in el.findall("data"):
        kid = d.attrs.get("key")
        key = keys.get(kid)
        if key is None:
            raise InputError(f"<data> for the undeclared key '{kid}'", file=file, line=d.line)
        if key.name is None or d.children:
            continue  # graphics and other structured data
        if key.domain not in (domain, "all"):
            raise InputError(f"key '{key.name}' is declared for {key.domain}, used on a "
                             f"{domain}", file=file, line=d.line)
        out[key.id] = convert_value(d.text, key.kind, line=d.line, file=file, name=key.name)
    return out


def _keys_for(keys: dict[str, _Key], domain: str, records: list[dict], file) -> list[_Key]:
    """The named keys of a domain (those declared for all only where used)."""
    out = [k for k in keys.values() if k.name and (
        k.domain == domain or (k.domain == "all" and any(k.id in r for r in records)))]
    names = [k.name for k in out]
    for name in names:
        if names.count(name) > 1:
            raise InputError(f"two {domain} keys are named '{name}'", file=file)
    return out


def _frame(records: list[dict[str, Any]], keys: list[_Key], reserved: tuple[str, ...]
           ) -> pd.DataFrame:
    cols: dict[str, pd.Series] = {}
    for key in keys:
        values = [r.get(key.id, key.default) for r in records]
        name = key.name
        low = name.lower()
        if low in ("kind", "weight", "capacity", "cost") and low not in \
                [k.name for k in keys]:
            name = low
        if name in reserved:
            name = f"graphml_{name}"
        cols[name] = typed_series(key.kind, values)
    return pd.DataFrame(cols, index=pd.RangeIndex(len(records)))


def read_graphml(path: Path, *, ids: str | None = None) -> Network:
    """Read a GraphML file; see the module docstring."""
    root = parse(load(path), path)
    if root.tag != "graphml":
        raise InputError(f"not GraphML: the root element is <{root.tag}>", file=path,
                         line=root.line)
    keys = {k.id: k for k in (_Key(el, path) for el in root.findall("key"))}
    graph = root.find("graph")
    if graph is None:
        raise InputError("no <graph> element", file=path, line=root.line)
    default_directed = graph.attrs.get("edgedefault", "directed").lower() != "undirected"
    nodes, node_lines, node_data = [], [], []
    edge_ends, edge_lines, edge_data, edge_dir = [], [], [], []
    graph_data = _data(graph, keys, "graph", path)
    for el in graph.children:
        if el.tag == "node":
            if el.find("graph") is not None:
                raise InputError("nested graphs are not supported", file=path, line=el.line)
            nid = el.attrs.get("id")
            if nid is None:
                raise InputError("a <node> has no id", file=path, line=el.line)
            nodes.append(nid)
            node_lines.append(el.line)
            node_data.append(_data(el, keys, "node", path))
        elif el.tag == "edge":
            s, t = el.attrs.get("source"), el.attrs.get("target")
            if s is None or t is None:
                raise InputError("an <edge> needs source and target", file=path,
                                 line=el.line)
            edge_ends.append((s, t))
            edge_lines.append(el.line)
            edge_data.append(_data(el, keys, "edge", path))
            d = el.attrs.get("directed")
            edge_dir.append(default_directed if d is None else d.lower() == "true")
        elif el.tag == "hyperedge":
            raise InputError("hyperedges are not supported", file=path, line=el.line)
    node_keys = _keys_for(keys, "node", node_data, path)
    edge_keys = _keys_for(keys, "edge", edge_data, path)
    actors = _frame(node_data, node_keys, ("id",))
    links = _frame(edge_data, edge_keys, ("source", "target"))
    labels = nodes
    if ids is not None:
        if ids not in actors:
            raise InputError(f"no node attribute '{ids}' to take ids from", file=path,
                             field="ids")
        labels = [str(v) for v in actors[ids].astype(object).tolist()]
        actors = actors.drop(columns=ids)
    index: dict[str, int] = {}
    for k, nid in enumerate(nodes):
        if nid in index:
            raise InputError(f"node id '{nid}' appears twice", file=path, line=node_lines[k])
        index[nid] = k
    src, dst = [], []
    for (s, t), line in zip(edge_ends, edge_lines, strict=True):
        for end, name in ((s, "source"), (t, "target")):
            if end not in index:
                raise InputError(f"unknown actor '{end}' as link {name}; every edge must "
                                 "join declared nodes", file=path, line=line, field=name)
        src.append(index[s])
        dst.append(index[t])
    src_a, dst_a = np.asarray(src, dtype=np.int32), np.asarray(dst, dtype=np.int32)
    dirs = np.asarray(edge_dir, dtype=bool)
    directed = bool(dirs.all()) if dirs.size and (dirs.all() or not dirs.any()) \
        else (default_directed if not dirs.size else True)
    lines = np.asarray(edge_lines)
    if directed and dirs.size and not dirs.all():
        back = np.flatnonzero(~dirs & (src_a != dst_a))
        src_a, dst_a = (np.concatenate([src_a, dst_a[back]]),
                        np.concatenate([dst_a, src_a[back]]))
        links = pd.concat([links, links.iloc[back]], ignore_index=True)
        lines = np.concatenate([lines, lines[back]])
    name, meta = "", {}
    for kid, v in graph_data.items():
        key = keys[kid]
        if key.name == "name":
            name = str(v)
        elif key.name == META_KEY:
            try:
                meta = json.loads(v)
            except json.JSONDecodeError:
                raise InputError("graph metadata is not valid JSON", file=path,
                                 field=META_KEY) from None
        else:
            meta[key.name] = v
    origin = Origin(file=str(path), actor_lines=node_lines, link_lines=lines)
    return Network.from_indices(labels, src_a, dst_a, actors=actors, links=links,
                                directed=directed, name=name, source=str(path),
                                meta=meta if isinstance(meta, dict) else {"meta": meta},
                                origin=origin)


def _columns(frame: pd.DataFrame, skip: tuple[str, ...]) -> list[tuple[str, str, list]]:
    out = []
    for col in frame.columns:
        if col in skip:
            continue
        kind = column_kind(frame[col])
        if kind == "empty":
            continue
        out.append((str(col), kind, python_values(frame[col], kind)))
    return out


def write_graphml(net: Network, path: Path) -> None:
    """Write a GraphML file; see the module docstring."""
    skip_uid = ("uid",) if np.array_equal(net.actors["uid"].to_numpy(),
                                          np.arange(net.n_actors)) else ()
    node_cols = _columns(net.actors, ("id", *skip_uid))
    edge_cols = _columns(net.links, ("source", "target"))
    ids = [escape(str(x), what="actor id", field="id") for x in net.ids]
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<graphml xmlns="{NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           f'xsi:schemaLocation="{NS} {NS}/1.0/graphml.xsd">',
           '  <key id="g0" for="graph" attr.name="name" attr.type="string"/>',
           f'  <key id="g1" for="graph" attr.name="{META_KEY}" attr.type="string"/>']
    for prefix, domain, cols in (("n", "node", node_cols), ("e", "edge", edge_cols)):
        for k, (name, kind, _) in enumerate(cols):
            out.append(f'  <key id="{prefix}{k}" for="{domain}" '
                       f'attr.name="{escape(name, what="column name")}" '
                       f'attr.type="{_WRITE_TYPES[kind]}"/>')
    direction = "directed" if net.directed else "undirected"
    out.append(f'  <graph id="G" edgedefault="{direction}">')
    out.append(f'    <data key="g0">{escape(net.name, what="name")}</data>')
    meta = json.dumps(net.meta, ensure_ascii=False, default=str)
    out.append(f'    <data key="g1">{escape(meta, what="metadata")}</data>')
    for i, nid in enumerate(ids):
        data = _data_xml("n", node_cols, i)
        out.append(f'    <node id="{nid}"' + (f">{data}</node>" if data else "/>"))
    src, dst = net.source_index, net.target_index
    for j in range(net.n_links):
        data = _data_xml("e", edge_cols, j)
        out.append(f'    <edge source="{ids[src[j]]}" target="{ids[dst[j]]}"' +
                   (f">{data}</edge>" if data else "/>"))
    out.append("  </graph>")
    out.append("</graphml>")
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("\n".join(out) + "\n")


def _data_xml(prefix: str, cols: list[tuple[str, str, list]], row: int) -> str:
    parts = []
    for k, (name, kind, values) in enumerate(cols):
        v = values[row]
        if v is None:
            continue
        text = escape(format_value(v, kind), what=f"value of '{name}'", field=name)
        parts.append(f'<data key="{prefix}{k}">{text}</data>')
    return "".join(parts)


def _sniff(head: str, path: Path) -> bool:
    return root_tag(head) == "graphml"


register(
    "graphml",
    extensions=(".graphml", ".xml"),
    description="GraphML (XML): typed node and edge attributes",
    reader=read_graphml,
    writer=write_graphml,
    sniff=_sniff,
    priority=7,
    keeps="everything: ids, kinds, typed attributes with missing values, parallel links, "
          "direction, name and metadata",
)

__all__ = ["read_graphml", "write_graphml"]
