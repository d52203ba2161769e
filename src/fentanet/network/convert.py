"""In-memory conversion: networkx, igraph and pandas to and from :class:`Network`."""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
import pandas as pd

from fentanet.errors import InputError, InputWarning
from fentanet.network.io.graphml import META_KEY
from fentanet.network.model import Network

_ACTOR_RESERVED = ("id", "kind", "uid")
_LINK_RESERVED = ("source", "target")


def from_pandas(
    links: pd.DataFrame | None = None,
    actors: pd.DataFrame | None = None,
    *,
    directed: bool = True,
    name: str = "",
    source: str | None = None,
    target: str | None = None,
    id: str | None = None,
) -> Network:
    """A network from a link table (and optionally an actor table).

    ``source``, ``target`` and ``id`` name the columns to use when they are not called
    ``source``, ``target`` and ``id``. A column named that the table lacks, or named
    besides a column of the name it stands for (``source="from"`` in a table that has
    ``source`` too), is an :class:`InputError` naming both.

    >>> links = pd.DataFrame({"from": ["a"], "to": ["b"], "weight": [2.0]})
    >>> from_pandas(links, source="from", target="to").n_links
    1
    """
    if links is not None:
        links = _renamed(links, "links", {"source": source, "target": target})
    if actors is not None:
        actors = _renamed(actors, "actors", {"id": id})
    return Network(actors, links, directed=directed, name=name)


def _renamed(table: pd.DataFrame, what: str, given: dict[str, Any]) -> pd.DataFrame:
    """``table`` with the columns ``given`` (model name -> column label, of any type: a
    table read without a header has 0, 1, ...) under the model's names."""
    rename: dict[Any, str] = {}
    columns = list(table.columns)
    shown = ", ".join(map(str, columns)) or "none"
    moved = {column for field, column in given.items()
             if column is not None and column != field}
    for field, column in given.items():
        if column is None or column == field:
            continue
        if column not in columns:
            raise InputError(f"{what} table has no column {column!r} (given as "
                             f"{field}={column!r}); its columns: {shown}", field=field)
        if column in rename:
            raise InputError(f"{what} table's column {column!r} is given as both "
                             f"{rename[column]}= and {field}=; expected a column for each",
                             field=field)
        if field in columns and field not in moved:  # source="target", target="source"
            raise InputError(f"{what} table has both {column!r} (given as {field}={column!r}) "
                             f"and a column '{field}'; expected one of them: drop or rename "
                             f"'{field}'", field=field)
        rename[column] = field
    return table.rename(columns=rename) if rename else table


def to_pandas(net: Network) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The (actors, links) tables, as copies."""
    return net.actors.copy(), net.links.copy()


def _clean(value: Any) -> Any:
    """A value fit for graph attributes: no NaN/NA, plain Python scalars."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _checked(net: Any, what: str) -> Network:
    if not isinstance(net, Network):
        raise InputError(f"{what} takes a fentanet Network, got {type(net).__name__}",
                         field="net")
    return net


def _graph_of(graph: Any, module: str, what: str) -> None:
    """Refuse anything but a graph of ``module`` (networkx or igraph), by name: a
    DataFrame or a path ended in an AttributeError from inside the conversion."""
    if not type(graph).__module__.startswith(module):
        kind = "a networkx graph" if module == "networkx" else "an igraph Graph"
        hint = (" (a file: fentanet.read(path); tables: fentanet.from_pandas(links, "
                "actors))" if isinstance(graph, (str, pd.DataFrame)) else "")
        raise InputError(f"{what} takes {kind}, got {type(graph).__name__}{hint}",
                         field="graph")


# META_KEY: the graph attribute holding a network's ``meta`` as JSON text, as fentanet's
# GraphML writer stores it: text, so that networkx's GraphML and GML writers take the graph
# (a generated network's ``spec`` is a mapping, which they refuse).


def _meta_attributes(net: Network) -> dict[str, str]:
    return {META_KEY: json.dumps(net.meta, ensure_ascii=False, default=str)} if net.meta else {}


def _network_meta(attributes: dict[str, Any]) -> dict[str, Any]:
    """The ``meta`` of a graph's attributes: the JSON of ``fentanet_meta`` when there is
    one (a graph made by :func:`to_networkx` or :func:`to_igraph`), else every attribute
    but its name (a graph made elsewhere: ``graph.graph["source"] = "s"``)."""
    if META_KEY in attributes:
        try:
            meta = json.loads(attributes[META_KEY])
        except (TypeError, ValueError):
            raise InputError(f"graph attribute {META_KEY!r} is not the JSON of a mapping",
                             field=META_KEY) from None
        return meta if isinstance(meta, dict) else {"meta": meta}
    return {str(k): v for k, v in attributes.items() if k != "name"}


def to_networkx(net: Network, *, multigraph: bool | None = None):
    """A networkx graph with actor ids as nodes and all attributes.

    A ``MultiDiGraph``/``MultiGraph`` when the network has parallel links (same pair, or
    several kinds between a pair), else a ``DiGraph``/``Graph``; force either with
    ``multigraph``. ``multigraph=False`` on a network with parallel links keeps one edge
    per pair, with the attributes of the last of its links (networkx's ``add_edge``), and
    warns (:class:`~fentanet.errors.InputWarning`) how many links it merged. Missing
    attribute values are left out. The graph's attributes (``g.graph``) are the network's
    ``name`` and its ``meta`` (an interdiction instance's ``source`` and ``sink``, a
    generated network's ``spec`` ...) as JSON text under ``fentanet_meta``, as fentanet's
    GraphML writer keeps it; :func:`from_networkx` reads it back.

    >>> import pandas as pd
    >>> net = Network(links=pd.DataFrame({"source": ["s", "a"], "target": ["a", "t"],
    ...                                   "capacity": [2.0, 1.0]}),
    ...               meta={"source": "s", "sink": "t"}, name="chain")
    >>> g = to_networkx(net)
    >>> g.graph
    {'name': 'chain', 'fentanet_meta': '{"source": "s", "sink": "t"}'}
    >>> g.edges["s", "a"]
    {'kind': 'tie', 'weight': 1.0, 'capacity': 2.0}
    >>> from_networkx(g).meta
    {'source': 's', 'sink': 't'}
    """
    import networkx as nx

    net = _checked(net, "to_networkx")
    src, dst = net.source_index, net.target_index
    a, b = (src, dst) if net.directed else (np.minimum(src, dst), np.maximum(src, dst))
    key = a.astype(np.int64) * max(net.n_actors, 1) + b
    distinct = int(np.unique(key).size)
    if multigraph is None:
        multigraph = distinct < key.size
    elif not multigraph and distinct < key.size:
        warnings.warn(f"multigraph=False merges {key.size - distinct} parallel link(s) of "
                      f"network '{net.name}' into the edge of their pair, which keeps the "
                      "attributes of the pair's last link; multigraph=None or True keeps "
                      "every link", InputWarning, stacklevel=2)
    if multigraph:
        g = nx.MultiDiGraph() if net.directed else nx.MultiGraph()
    else:
        g = nx.DiGraph() if net.directed else nx.Graph()
    g.graph["name"] = net.name
    g.graph.update(_meta_attributes(net))
    acols = [c for c in net.actors.columns if c != "id"]
    for row in net.actors.itertuples(index=False, name=None):
        attrs = {c: _clean(v) for c, v in zip(acols, row[1:], strict=True)}
        g.add_node(row[0], **{k: v for k, v in attrs.items() if v is not None})
    lcols = [c for c in net.links.columns if c not in _LINK_RESERVED]
    for row in net.links[["source", "target", *lcols]].itertuples(index=False, name=None):
        attrs = {c: _clean(v) for c, v in zip(lcols, row[2:], strict=True)}
        g.add_edge(row[0], row[1], **{k: v for k, v in attrs.items() if v is not None})
    return g


def from_networkx(graph, *, name: str | None = None) -> Network:
    """A network from any networkx graph; node attributes become actor columns.

    Nodes without a ``kind`` are untyped actors; edges without a ``kind`` are ties.
    Attribute columns are typed from their values (bool, int, float, text; a column
    mixing types is text; missing values stay missing). Node attributes named ``id`` and
    edge attributes named ``source``/``target`` are kept as ``attr_id`` and so on. The
    network's ``meta`` is the JSON of the graph attribute ``fentanet_meta`` (a graph of
    :func:`to_networkx`), else the graph's attributes other than ``name``.
    Links come in networkx's order (grouped by their source's node), so a round trip keeps
    every link and attribute but may number the links (``net.links`` rows) differently.
    """
    from fentanet.network.io._text import records_frame

    _graph_of(graph, "networkx", "from_networkx")
    nodes = list(graph.nodes(data=True))
    ids = [str(n) for n, _ in nodes]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise InputError(f"two nodes share the id text '{dup}' (e.g. 1 and '1')", field="id")
    actors = records_frame([attrs for _, attrs in nodes], ("id",))
    actors.insert(0, "id", pd.Series(ids, dtype="str"))
    index = {n: i for i, (n, _) in enumerate(nodes)}
    edges = list(graph.edges(keys=False, data=True) if graph.is_multigraph()
                 else graph.edges(data=True))
    src = np.array([index[u] for u, _, _ in edges], dtype=np.int32)
    dst = np.array([index[v] for _, v, _ in edges], dtype=np.int32)
    links = records_frame([attrs for _, _, attrs in edges], ("source", "target"))
    if not graph.is_directed() and "kind" in links and "kind" in actors:
        src, dst = _orient_by_kind(src, dst, actors["kind"], links["kind"])
    return Network.from_indices(ids, src, dst, actors=actors.drop(columns="id"),
                                links=links, directed=graph.is_directed(),
                                name=name if name is not None
                                else str(graph.graph.get("name", "") or ""),
                                meta=_network_meta(graph.graph))


def to_igraph(net: Network, *, attributes: bool = True):
    """An igraph Graph with vertex ``name`` = actor id, in dense index order.

    Vertex i is actor i; edge j is link j. With ``attributes`` every actor and link column
    is copied (missing values become ``None``). The graph's attributes are the network's
    ``name`` and its ``meta`` (JSON text under ``fentanet_meta``), which :func:`from_igraph`
    reads back.
    """
    import igraph as ig

    net = _checked(net, "to_igraph")
    edges = np.column_stack([net.source_index, net.target_index])
    g = ig.Graph(n=net.n_actors, edges=edges, directed=net.directed)
    g.vs["name"] = net.ids.tolist()
    if attributes:
        for col in net.actors.columns:
            if col != "id":
                g.vs[col] = [_clean(v) for v in net.actors[col].tolist()]
        for col in net.links.columns:
            if col not in _LINK_RESERVED:
                g.es[col] = [_clean(v) for v in net.links[col].tolist()]
    g["name"] = net.name
    for key, value in _meta_attributes(net).items():
        g[key] = value
    return g


def _orient_by_kind(src: np.ndarray, dst: np.ndarray, actor_kinds: pd.Series,
                    link_kinds: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Ends of undirected links swapped where only the reverse orientation is one the
    flow chain allows (networkx and igraph do not keep the orientation of undirected
    edges; igraph stores the smaller vertex first)."""
    from fentanet.network.kinds import allowed_pair

    def norm(v) -> str:
        return "" if v is None or v != v else str(v).strip().lower()

    ak = np.array([norm(v) or "actor" for v in actor_kinds.tolist()], dtype=object)
    lk = np.array([norm(v) or "tie" for v in link_kinds.tolist()], dtype=object)
    swap = np.zeros(src.size, dtype=bool)
    cache: dict[tuple[str, str, str], bool] = {}
    for j, (k, a, b) in enumerate(zip(lk, ak[src], ak[dst], strict=True)):
        key = (k, a, b)
        if key not in cache:
            cache[key] = not allowed_pair(k, a, b) and allowed_pair(k, b, a)
        swap[j] = cache[key]
    return np.where(swap, dst, src), np.where(swap, src, dst)


def from_igraph(graph, *, name: str | None = None) -> Network:
    """A network from an igraph Graph; vertex ``name`` (or the vertex index) is the id.

    Attribute columns are typed from their values, as :func:`from_networkx` does; the
    network's ``meta`` is read from the graph's attributes as :func:`from_networkx` reads
    it.
    """
    from fentanet.network.io._text import values_series

    _graph_of(graph, "igraph", "from_igraph")
    names = graph.vs["name"] if "name" in graph.vs.attributes() else list(range(graph.vcount()))
    ids = [str(x) for x in names]
    actors = pd.DataFrame(index=pd.RangeIndex(graph.vcount()))
    for attr in graph.vs.attributes():
        if attr != "name":
            actors["attr_id" if attr == "id" else attr] = values_series(graph.vs[attr])
    el = np.asarray(graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    links = pd.DataFrame(index=pd.RangeIndex(graph.ecount()))
    for attr in graph.es.attributes():
        col = f"attr_{attr}" if attr in _LINK_RESERVED else attr
        links[col] = values_series(graph.es[attr])
    gname = graph["name"] if "name" in graph.attributes() else ""
    src, dst = el[:, 0], el[:, 1]
    if not graph.is_directed() and "kind" in links and "kind" in actors:
        src, dst = _orient_by_kind(src, dst, actors["kind"], links["kind"])
    return Network.from_indices(ids, src, dst, actors=actors, links=links,
                                directed=graph.is_directed(),
                                name=name if name is not None else str(gname or ""),
                                meta=_network_meta({a: graph[a] for a in graph.attributes()}))


def as_network(obj: Any, field: str = "net") -> Network:
    """Coerce a Network, networkx graph or igraph Graph to a :class:`Network`; anything
    else is an :class:`InputError` naming ``field`` (the argument it came as). Every
    analysis function takes its network through it."""
    if isinstance(obj, Network):
        return obj
    mod = type(obj).__module__
    if mod.startswith("networkx"):
        return from_networkx(obj)
    if mod.startswith("igraph"):
        return from_igraph(obj)
    hint = (" (a file: fentanet.read(path); tables: fentanet.from_pandas(links, actors))"
            if isinstance(obj, (str, pd.DataFrame)) else "")
    raise InputError(f"expected a fentanet Network, a networkx graph or an igraph Graph, "
                     f"got {type(obj).__name__}{hint}", field=field)
