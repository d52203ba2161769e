"""GEXF (``.gexf``): Gephi's XML graph format, versions 1.1 to 1.3.

Read: ``<graph defaultedgetype=...>`` (directed unless ``undirected``), the declared
``<attributes class="node|edge">`` (types integer, long, float, double, boolean, string
and the like; other types are read as text), ``<nodes>`` and ``<edges>`` with their
``<attvalues>``, the edge ``weight`` (default 1) and per-edge ``type``. A node's
``label`` becomes the actor column ``label`` when it differs from its id. An edge's
``kind`` XML attribute becomes the link kind when it is a fentanet link kind, else the
column ``gexf_kind``. Static ``start``/``end`` values of edges are kept as columns;
spells and viz data are ignored. ``ids="label"`` takes actor ids from the labels.

The writer writes GEXF 1.3 with one attribute per actor and link column (bool →
boolean, int → long, float → double, text → string), each id as its label, weights as
the edge weight, and the network's name as the description. What round-trips:
everything :meth:`Network.equals` compares (ids, kinds, typed attributes with missing
values, parallel links, directedness) and the name; not other metadata. Text holding
control characters other than tab and line breaks cannot be written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fentanet.errors import InputError
from fentanet.network.io import atomic_path, register
from fentanet.network.io._text import load, typed_series
from fentanet.network.io._xml import Element, escape, parse, root_tag
from fentanet.network.io.graphml import _columns, convert_value, format_value
from fentanet.network.kinds import LINK_KINDS
from fentanet.network.model import Network, Origin

NS = "http://gexf.net/1.3"
_TYPES = {"integer": "int", "long": "int", "short": "int", "byte": "int", "float": "float",
          "double": "float", "boolean": "bool", "string": "str"}
_WRITE_TYPES = {"bool": "boolean", "int": "long", "float": "double", "str": "string"}


class _Attr:
    def __init__(self, el: Element, file) -> None:
        self.id = el.attrs.get("id")
        self.title = el.attrs.get("title", self.id)
        if self.id is None:
            raise InputError("an <attribute> has no id", file=file, line=el.line)
        self.kind = _TYPES.get(el.attrs.get("type", "string").lower(), "str")
        d = el.find("default")
        self.default = None if d is None else convert_value(
            d.text, self.kind, line=d.line, file=file, name=self.title)


def _attvalues(el: Element, attrs: dict[str, _Attr], file) -> dict[str, Any]:
    out: dict[str, Any] = {}
    box = el.find("attvalues")
    if box is None:
        return out
    for av in box.findall("attvalue"):
        key = av.attrs.get("for", av.attrs.get("id"))
        attr = attrs.get(key)
        if attr is None:
            raise InputError(f"<attvalue> for the undeclared attribute '{key}'", file=file,
                             line=av.line)
        if "value" not in av.attrs:
            raise InputError("an <attvalue> has no value", file=file, line=av.line)
        out[attr.id] = convert_value(av.attrs["value"], attr.kind, line=av.line, file=file,
                                     name=attr.title)
    return out


def _declared(graph: Element, cls: str, file) -> dict[str, _Attr]:
    out: dict[str, _Attr] = {}
    for box in graph.findall("attributes"):
        if box.attrs.get("class", "node") == cls:
            for el in box.findall("attribute"):
                a = _Attr(el, file)
                out[a.id] = a
    return out


def _frame(records: list[dict[str, Any]], attrs: dict[str, _Attr], reserved: tuple[str, ...]
           ) -> pd.DataFrame:
    cols: dict[str, pd.Series] = {}
    titles = [a.title for a in attrs.values()]
    for a in attrs.values():
        name = a.title
        low = name.lower()
        if low in ("kind", "weight", "capacity", "cost") and low not in titles:
            name = low
        if name in reserved:
            name = f"gexf_{name}"
        if name in cols:
            raise InputError(f"two attributes are titled '{a.title}'")
        cols[name] = typed_series(a.kind, [r.get(a.id, a.default) for r in records])
    return pd.DataFrame(cols, index=pd.RangeIndex(len(records)))


def read_gexf(path: Path, *, ids: str = "id") -> Network:
    """Read a GEXF file; see the module docstring."""
    if ids not in ("id", "label"):
        raise InputError(f"ids must be 'id' or 'label', not {ids!r}", field="ids")
    root = parse(load(path), path)
    if root.tag != "gexf":
        raise InputError(f"not GEXF: the root element is <{root.tag}>", file=path,
                         line=root.line)
    graph = root.find("graph")
    if graph is None:
        raise InputError("no <graph> element", file=path, line=root.line)
    default_directed = graph.attrs.get("defaultedgetype", "directed").lower() != "undirected"
    node_attrs = _declared(graph, "node", path)
    edge_attrs = _declared(graph, "edge", path)
    nodes, labels, node_lines, node_data = [], [], [], []
    for box in graph.findall("nodes"):
        for el in box.findall("node"):
            nid = el.attrs.get("id")
            if nid is None:
                raise InputError("a <node> has no id", file=path, line=el.line)
            nodes.append(nid)
            labels.append(el.attrs.get("label"))
            node_lines.append(el.line)
            node_data.append(_attvalues(el, node_attrs, path))
    index: dict[str, int] = {}
    for k, nid in enumerate(nodes):
        if nid in index:
            raise InputError(f"node id '{nid}' appears twice", file=path, line=node_lines[k])
        index[nid] = k
    src, dst, weights, dirs, lines, edge_data, extra = [], [], [], [], [], [], []
    for box in graph.findall("edges"):
        for el in box.findall("edge"):
            s, t = el.attrs.get("source"), el.attrs.get("target")
            for end, name in ((s, "source"), (t, "target")):
                if end is None:
                    raise InputError(f"an <edge> has no {name}", file=path, line=el.line)
                if end not in index:
                    raise InputError(f"unknown actor '{end}' as link {name}; every edge "
                                     "must join declared nodes", file=path, line=el.line,
                                     field=name)
            src.append(index[s])
            dst.append(index[t])
            w = el.attrs.get("weight")
            weights.append(1.0 if w is None else convert_value(
                w, "float", line=el.line, file=path, name="weight"))
            typ = el.attrs.get("type")
            dirs.append(default_directed if typ is None else typ.lower() == "directed")
            lines.append(el.line)
            edge_data.append(_attvalues(el, edge_attrs, path))
            extra.append({k: el.attrs[k] for k in ("kind", "start", "end", "label")
                          if k in el.attrs})
    actors = _frame(node_data, node_attrs, ("id",))
    if any(lb is not None and lb != nid for lb, nid in zip(labels, nodes, strict=True)):
        if ids == "label":
            if any(lb is None for lb in labels):
                raise InputError("a node has no label to take as its id", file=path,
                                 field="ids")
            nodes = labels
        elif "label" not in actors:
            actors["label"] = typed_series("str", labels)
    links = _frame(edge_data, edge_attrs, ("source", "target"))
    for key in ("kind", "start", "end", "label"):
        values = [e.get(key) for e in extra]
        if all(v is None for v in values):
            continue
        name = key
        if key == "kind" and not all(v is None or v.lower() in LINK_KINDS for v in values):
            name = "gexf_kind"
        if name in links:
            name = f"gexf_{key}"
        links[name] = typed_series("str", values)
    src_a, dst_a = np.asarray(src, dtype=np.int32), np.asarray(dst, dtype=np.int32)
    w_a = np.asarray([np.nan if w is None else w for w in weights], dtype=np.float64)
    d = np.asarray(dirs, dtype=bool)
    directed = default_directed if not d.size else (bool(d.all()) if d.all() or not d.any()
                                                     else True)
    line_a = np.asarray(lines)
    if directed and d.size and not d.all():
        back = np.flatnonzero(~d & (src_a != dst_a))
        src_a, dst_a = (np.concatenate([src_a, dst_a[back]]),
                        np.concatenate([dst_a, src_a[back]]))
        w_a, line_a = np.concatenate([w_a, w_a[back]]), np.concatenate([line_a,
                                                                         line_a[back]])
        links = pd.concat([links, links.iloc[back]], ignore_index=True)
    meta = root.find("meta")
    desc = meta.find("description") if meta is not None else None
    name = desc.text if desc is not None else ""
    return Network.from_indices(nodes, src_a, dst_a, weight=w_a, actors=actors, links=links,
                                directed=directed, name=name, source=str(path),
                                origin=Origin(file=str(path), actor_lines=node_lines,
                                              link_lines=line_a))


def write_gexf(net: Network, path: Path) -> None:
    """Write GEXF 1.3; see the module docstring."""
    skip_uid = ("uid",) if np.array_equal(net.actors["uid"].to_numpy(),
                                          np.arange(net.n_actors)) else ()
    node_cols = _columns(net.actors, ("id", *skip_uid))
    edge_cols = _columns(net.links, ("source", "target", "weight"))
    ids = [escape(str(x), what="actor id", field="id") for x in net.ids]
    kind = "directed" if net.directed else "undirected"
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<gexf xmlns="{NS}" version="1.3">',
           "  <meta><creator>fentanet</creator>"
           f"<description>{escape(net.name, what='name')}</description></meta>",
           f'  <graph mode="static" defaultedgetype="{kind}">']
    for cls, cols in (("node", node_cols), ("edge", edge_cols)):
        if cols:
            out.append(f'    <attributes class="{cls}">')
            for k, (name, typ, _) in enumerate(cols):
                out.append(f'      <attribute id="{k}" title="{escape(name, what="column")}"'
                           f' type="{_WRITE_TYPES[typ]}"/>')
            out.append("    </attributes>")
    out.append("    <nodes>")
    for i, nid in enumerate(ids):
        vals = _attvalues_xml(node_cols, i)
        out.append(f'      <node id="{nid}" label="{nid}"' +
                   (f"><attvalues>{vals}</attvalues></node>" if vals else "/>"))
    out.append("    </nodes>")
    out.append("    <edges>")
    w = net.links["weight"].to_numpy(dtype=np.float64, na_value=1.0)
    src, dst = net.source_index, net.target_index
    for j in range(net.n_links):
        vals = _attvalues_xml(edge_cols, j)
        out.append(f'      <edge id="{j}" source="{ids[src[j]]}" target="{ids[dst[j]]}" '
                   f'weight="{format_value(w[j], "float")}"' +
                   (f"><attvalues>{vals}</attvalues></edge>" if vals else "/>"))
    out.append("    </edges>")
    out.append("  </graph>")
    out.append("</gexf>")
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("\n".join(out) + "\n")


def _attvalues_xml(cols, row: int) -> str:
    parts = []
    for k, (name, kind, values) in enumerate(cols):
        v = values[row]
        if v is not None:
            text = escape(format_value(v, kind), what=f"value of '{name}'", field=name)
            parts.append(f'<attvalue for="{k}" value="{text}"/>')
    return "".join(parts)


def _sniff(head: str, path: Path) -> bool:
    return root_tag(head) == "gexf"


register(
    "gexf",
    extensions=(".gexf",),
    description="GEXF (Gephi XML): typed node and edge attributes",
    reader=read_gexf,
    writer=write_gexf,
    sniff=_sniff,
    priority=8,
    keeps="ids, kinds, typed attributes with missing values, parallel links, direction "
          "and name; not other metadata",
)

__all__ = ["read_gexf", "write_gexf"]
