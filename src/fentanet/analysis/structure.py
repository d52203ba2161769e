"""Whole-network structure: components, density and centralisation.

Computed on the graph of :func:`fentanet.analysis._graph.graph` (by default the
person-to-person links, parallel links merged), with scipy's compressed-sparse graph
routines and igraph underneath.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.sparse import csgraph

from fentanet.analysis._graph import Graph, graph
from fentanet.analysis._jit import jit
from fentanet.analysis.centrality import centrality
from fentanet.errors import InputError
from fentanet.network.model import Network


def component_labels(g: Graph, connection: Literal["weak", "strong"] = "weak") -> np.ndarray:
    """Component of each vertex, numbered by size (0 = the largest; ties: the component
    holding the lowest vertex index first)."""
    if connection not in ("weak", "strong"):
        raise InputError(f"unknown connection '{connection}'; expected 'weak' or 'strong'",
                         field="connection")
    if g.n == 0:
        return np.zeros(0, dtype=np.int64)
    if connection == "strong" and g.directed:
        _, labels = csgraph.connected_components(g.adjacency("binary"), directed=True,
                                                 connection="strong")
    else:
        labels = _union_find(g.n, g.src, g.dst)
    return relabel_by_size(labels)


@jit
def _union_find(n, src, dst):  # pragma: no cover - compiled
    """Weak components by union-find over the edge list (path halving; the root of a
    component is its lowest vertex); labels 0, 1, ... in order of that vertex."""
    parent = np.arange(n)
    for e in range(src.size):
        a = src[e]
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        b = dst[e]
        while parent[b] != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        if a < b:
            parent[b] = a
        elif b < a:
            parent[a] = b
    labels = np.empty(n, dtype=np.int64)
    k = 0
    for v in range(n):
        r = parent[v]
        while parent[r] != r:
            r = parent[r]
        parent[v] = r
        if r == v:
            labels[v] = k
            k += 1
        else:
            labels[v] = labels[r]
    return labels


def relabel_by_size(labels: np.ndarray) -> np.ndarray:
    """Renumber labels 0, 1, ... by decreasing group size; ties by first appearance."""
    labels = np.asarray(labels, dtype=np.int64)
    if labels.size == 0:
        return labels
    _, first, inverse, counts = np.unique(labels, return_index=True, return_inverse=True,
                                          return_counts=True)
    order = np.lexsort((first, -counts))
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank[inverse.ravel()]


def components(
    net: Network,
    *,
    connection: Literal["weak", "strong"] = "weak",
    link_kinds: str | Iterable[str] | None = None,
) -> pd.Series:
    """The connected component of every actor: 0 for the largest, then by size.

    ``connection="weak"`` ignores direction; ``"strong"`` needs a directed path both ways
    (on undirected networks the two agree). Isolated actors are components of one.

    >>> components(Network(links=pd.DataFrame({"source": ["a", "b", "d"],
    ...                                         "target": ["b", "c", "e"]}))).tolist()
    [0, 0, 0, 1, 1]
    """
    g = graph(net, link_kinds=link_kinds)
    return g.series(component_labels(g, connection), "component")


def centralization(values: np.ndarray, maximum: float) -> float:
    """Freeman's centralisation: Σ (max - c_i) over the largest sum any graph of the same
    size can reach (``maximum``, attained by the star); 0 when undefined."""
    if values.size == 0 or maximum <= 0:
        return 0.0
    return float((values.max() - values).sum() / maximum)


def network_measures(
    net: Network,
    *,
    link_kinds: str | Iterable[str] | None = None,
    directed: bool | None = None,
) -> dict[str, Any]:
    """Whole-network measures, as reported for each phase of a network observed over time.

    - ``actors``: the number of actors; ``links``: distinct linked pairs (ordered on
      directed graphs), self-loops left out;
    - ``density``: links / n(n-1) on directed and / n(n-1)/2 on undirected graphs;
    - ``components`` (weak), ``largest_component`` (its size), ``isolates``;
    - ``mean_degree``: mean number of distinct neighbours (direction ignored);
    - ``degree_centralization``: Freeman's Σ(d* - d_i)/((n-1)(n-2)) on the undirected
      graph (1 for a star, 0 when every actor has the same degree);
    - ``betweenness_centralization``: Freeman's Σ(b* - b_i)/(n-1) on the undirected graph
      with networkx-normalised betweenness (1 for a star);
    - ``transitivity``: the share of connected triples that close into triangles
      (undirected; 0 without triples).

    Direction is dropped for the degree-based and centralisation measures, as in
    Freeman (1979), whose maxima are those of the undirected star.

    A bowtie (triangle a-b-c, then c-d-e): c's betweenness is 4/6 and d's 3/6, so
    Σ(b* - b_i)/(n-1) = (3 x 4/6 + 1/6)/4:

    >>> import pandas as pd
    >>> bowtie = Network(links=pd.DataFrame({"source": list("aabdd"),
    ...                                      "target": list("bccce")}), directed=False)
    >>> m = network_measures(bowtie)
    >>> m["density"], round(m["degree_centralization"], 4), round(
    ...     m["betweenness_centralization"], 4), m["transitivity"]
    (0.5, 0.4167, 0.5417, 0.5)
    """
    g = graph(net, link_kinds=link_kinds, directed=directed)
    n = g.n
    loops = g.src == g.dst
    m = int((~loops).sum())
    pairs = n * (n - 1) if g.directed else n * (n - 1) / 2
    u = g.undirected()
    u_simple = u.src != u.dst
    nbrs = (np.bincount(u.src[u_simple], minlength=n)
            + np.bincount(u.dst[u_simple], minlength=n)).astype(np.float64)
    labels = component_labels(g, "weak")
    sizes = np.bincount(labels) if n else np.zeros(0, dtype=np.int64)
    if n:
        btw = centrality(net, "betweenness", link_kinds=link_kinds, directed=False).to_numpy()
        transitivity = u.igraph.transitivity_undirected(mode="zero")
    else:
        btw = np.zeros(0)
        transitivity = 0.0
    return {
        "actors": n,
        "links": m,
        "density": float(m / pairs) if pairs else 0.0,
        "components": int(sizes.size),
        "largest_component": int(sizes.max()) if n else 0,
        "isolates": int((nbrs == 0).sum()),
        "mean_degree": float(nbrs.mean()) if n else 0.0,
        "degree_centralization": centralization(nbrs, (n - 1) * (n - 2)),
        "betweenness_centralization": centralization(btw, n - 1),
        "transitivity": float(transitivity),
    }
