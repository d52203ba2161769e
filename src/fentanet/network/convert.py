"""In-memory conversion: networkx, igraph and pandas to and from :class:`Network`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fentanet.errors import InputError
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


def to_networkx(net: Network, *, multigraph: bool | None = None):
    """A networkx graph with actor ids as nodes and all attributes.

    A ``MultiDiGraph``/``MultiGraph`` when the network has parallel links (same pair, or
    several kinds between a pair), else a ``DiGraph``/``Graph``; force either with
    ``multigraph``. Missing attribute values are left out.
    """
    import networkx as nx

    src, dst = net.source_index, net.target_index
    if multigraph is None:
        a, b = (src, dst) if net.directed else (np.minimum(src, dst), np.maximum(src, dst))
        key = a.astype(np.int64) * max(net.n_actors, 1) + b
        multigraph = bool(np.unique(key).size < key.size)
    if multigraph:
        g = nx.MultiDiGraph() if net.directed else nx.MultiGraph()
    else:
        g = nx.DiGraph() if net.directed else nx.Graph()
    g.graph["name"] = net.name
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
    edge attributes named ``source``/``target`` are kept as ``attr_id`` and so on.
    """
    from fentanet.network.io._text import records_frame

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
                                else str(graph.graph.get("name", "") or ""))


def to_igraph(net: Network, *, attributes: bool = True):
    """An igraph Graph with vertex ``name`` = actor id, in dense index order.

    Vertex i is actor i; edge j is link j. With ``attributes`` every actor and link column
    is copied (missing values become ``None``).
    """
    import igraph as ig

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

    Attribute columns are typed from their values, as :func:`from_networkx` does.
    """
    from fentanet.network.io._text import values_series

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
                                name=name if name is not None else str(gname or ""))


def as_network(obj: Any) -> Network:
    """Coerce a Network, networkx graph or igraph Graph to a :class:`Network`."""
    if isinstance(obj, Network):
        return obj
    mod = type(obj).__module__
    if mod.startswith("networkx"):
        return from_networkx(obj)
    if mod.startswith("igraph"):
        return from_igraph(obj)
    raise InputError(f"expected a fentanet Network, a networkx graph or an igraph Graph, "
                     f"got {type(obj).__name__}")
