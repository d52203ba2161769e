"""The graph an analysis runs on, built once per network and cached on it.

Every analysis function turns a :class:`~fentanet.network.Network` into a :class:`Graph`
through :func:`graph`, which fixes four choices in one place:

**Which links count.** By default the person-to-person links: flow links and ``tie``
(:data:`~fentanet.network.kinds.PERSON_LINK_KINDS`). Support links such as ``member_of``
are left out, since they would make organization nodes hubs. ``link_kinds`` takes
``"person"`` (the default), ``"flow"``, ``"all"``, one kind, or a list of kinds.

**Direction.** ``directed=None`` keeps the network's own direction. ``directed=False``
projects a directed network onto an undirected one (i→j and j→i become one link);
``directed=True`` on an undirected network gives every link both directions.

**Parallel links merge.** The graph is simple: links joining the same (ordered, or for
undirected graphs unordered) pair of actors, of several kinds or several phases, become
one link. Their weights combine in the sense they are declared: strengths add up, and
distances keep the shortest. Self-loops are kept.

**Weights, distance or strength.** ``weight`` names a numeric link column (``None``:
unweighted). ``weight_as="distance"`` declares the values lengths (a longer link is a
weaker tie: path measures use them as they are); ``weight_as="strength"`` declares them
strengths (counts of calls, volumes: strength-type measures use them as they are). A
measure of the other type uses the reciprocal, 1/w. Missing values count as 1, as in
:meth:`Network.adjacency`; negative, infinite or non-numeric values are an
:class:`InputError`; so is a zero distance (it would merge two actors into one). A link of
strength 0 is no link and is dropped.

The igraph form of a graph and its sparse adjacency matrices are built on first use and
kept, so repeated analyses of one network pay for the conversion once. Vertex ``i`` of a
graph is always actor ``i`` of the network (its dense index).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from fentanet.errors import InputError, flag
from fentanet.network.convert import as_network
from fentanet.network.kinds import FLOW_LINK_KINDS, LINK_KINDS, PERSON_LINK_KINDS
from fentanet.network.model import Network

WeightAs = Literal["distance", "strength"]
WEIGHT_AS: tuple[str, ...] = ("distance", "strength")
LINK_SETS: dict[str, frozenset[str]] = {
    "person": PERSON_LINK_KINDS,
    "flow": FLOW_LINK_KINDS,
    "all": frozenset(LINK_KINDS),
}
"""Named sets of link kinds accepted by ``link_kinds``."""

_MISSING = object()
_CACHE: weakref.WeakKeyDictionary[Network, dict[tuple, Graph]] = weakref.WeakKeyDictionary()


@dataclass(frozen=True, eq=False)
class Graph:
    """A simple graph over a network's actors: vertex ``i`` is actor ``i``.

    Attributes
    ----------
    index
        The actor ids, in vertex order (a pandas Index, for labelling results).
    src, dst
        Endpoints of each edge (int32). For undirected graphs ``src <= dst``.
    weight
        The weight of each edge in the declared sense (``weight_as``), or ``None``.
    weight_as
        ``"distance"`` or ``"strength"``: what ``weight`` means.
    directed
        Whether edges are directed.
    name
        The network's name, for messages.
    """

    index: pd.Index
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray | None
    weight_as: str
    directed: bool
    name: str = ""
    _matrices: dict = field(default_factory=dict, repr=False, compare=False)

    def __repr__(self) -> str:
        kind = "directed" if self.directed else "undirected"
        w = f", weights as {self.weight_as}" if self.weight is not None else ""
        label = f" '{self.name}'" if self.name else ""
        return f"<Graph{label}: {self.n} vertices, {self.m} edges, {kind}{w}>"

    # ------------------------------------------------------------------ sizes
    @property
    def n(self) -> int:
        """Number of vertices (actors)."""
        return len(self.index)

    @property
    def m(self) -> int:
        """Number of edges (after merging parallel links)."""
        return int(self.src.size)

    @property
    def weighted(self) -> bool:
        return self.weight is not None

    @property
    def ids(self) -> np.ndarray:
        """Actor ids in vertex order (object array)."""
        return self.index.to_numpy(dtype=object)

    # ------------------------------------------------------------------ weights
    @cached_property
    def lengths(self) -> np.ndarray | None:
        """Edge lengths for path measures (the weights, or 1/weight for strengths)."""
        if self.weight is None:
            return None
        return self.weight if self.weight_as == "distance" else 1.0 / self.weight

    @cached_property
    def strengths(self) -> np.ndarray | None:
        """Edge strengths for walk and degree measures (the weights, or 1/weight)."""
        if self.weight is None:
            return None
        return self.weight if self.weight_as == "strength" else 1.0 / self.weight

    # ------------------------------------------------------------------ forms
    @cached_property
    def igraph(self):
        """The igraph form (no attributes; edge ``j`` is ``(src[j], dst[j])``)."""
        import igraph as ig

        edges = np.column_stack([self.src, self.dst]) if self.m else []
        return ig.Graph(n=self.n, edges=edges, directed=self.directed)

    def cached(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """A value derived from this graph (a matrix, a CSR form, a kernel's input), built
        once by ``build()`` and kept with the graph, so with the network."""
        value = self._matrices.get(key, _MISSING)
        if value is _MISSING:
            value = build()
            self._matrices[key] = value
        return value

    def adjacency(self, values: Literal["strength", "distance", "binary"] = "strength",
                  ) -> sp.csr_array:
        """Adjacency in CSR form, ``A[i, j]`` = the edge i→j's strength, length or 1.

        Undirected graphs give a symmetric matrix (a self-loop appears once, on the
        diagonal). Unweighted graphs give 1 per edge whatever ``values`` is. Cached; do
        not modify the result.
        """
        if values not in ("strength", "distance", "binary"):
            raise InputError(f"unknown adjacency values '{values}'; expected strength, "
                             "distance or binary", field="values")
        key = "binary" if self.weight is None else values
        mat = self._matrices.get(key)
        if mat is not None:
            return mat
        if key == "binary":
            data = np.ones(self.m)
        else:
            data = self.strengths if key == "strength" else self.lengths
        src, dst = self.src, self.dst
        if not self.directed:
            off = src != dst
            src, dst = np.concatenate([src, dst[off]]), np.concatenate([dst, src[off]])
            data = np.concatenate([data, data[off]])
        mat = sp.csr_array((data, (src, dst)), shape=(self.n, self.n))
        mat.sort_indices()
        self._matrices[key] = mat
        return mat

    def degree(self, mode: Literal["all", "in", "out"] = "all", *,
               weighted: bool = False) -> np.ndarray:
        """Degree (or strength with ``weighted``) of each vertex, as networkx counts it.

        ``all`` on a directed graph is in + out; a self-loop adds 2 to ``all`` (and 1 to
        each of ``in`` and ``out``). On undirected graphs every mode is the degree.
        """
        w = self.strengths if (weighted and self.weight is not None) else None
        n = self.n
        out = np.bincount(self.src, weights=w, minlength=n).astype(np.float64)
        inn = np.bincount(self.dst, weights=w, minlength=n).astype(np.float64)
        if self.directed and mode == "out":
            return out
        if self.directed and mode == "in":
            return inn
        return out + inn

    # ------------------------------------------------------------------ derived graphs
    def undirected(self) -> Graph:
        """This graph with direction dropped (i→j and j→i merge as parallel links do)."""
        if not self.directed:
            return self

        def build() -> Graph:
            lo, hi = np.minimum(self.src, self.dst), np.maximum(self.src, self.dst)
            src, dst, weight = _merge(lo, hi, self.weight, self.weight_as, self.n)
            return Graph(self.index, src, dst, weight, self.weight_as, False, self.name)

        return self.cached("undirected", build)

    def without(self, vertices: Iterable[int] | np.ndarray) -> Graph:
        """The graph with every edge at the given vertices removed (vertices stay, isolated,
        so indices keep their meaning)."""
        drop = np.zeros(self.n, dtype=bool)
        drop[np.asarray(list(vertices) if not isinstance(vertices, np.ndarray)
                        else vertices, dtype=np.int64)] = True
        keep = ~(drop[self.src] | drop[self.dst])
        return Graph(self.index, self.src[keep], self.dst[keep],
                     None if self.weight is None else self.weight[keep],
                     self.weight_as, self.directed, self.name)

    def series(self, values: np.ndarray, name: str) -> pd.Series:
        """Values per vertex as a Series indexed by actor id (index name ``actor``)."""
        s = pd.Series(np.asarray(values), index=self.index.copy(), name=name)
        s.index.name = "actor"
        return s

    def require_actors(self, what: str) -> None:
        """Raise :class:`InputError` when the graph has no vertices."""
        if self.n == 0:
            label = f" '{self.name}'" if self.name else ""
            raise InputError(f"{what} needs at least one actor; the network{label} is empty",
                             field="net")


# ---------------------------------------------------------------------- construction
def link_kind_set(link_kinds: str | Iterable[str] | None) -> frozenset[str]:
    """The set of link kinds named by ``link_kinds`` (see :func:`graph`)."""
    if link_kinds is None:
        return PERSON_LINK_KINDS
    if isinstance(link_kinds, str):
        if link_kinds in LINK_SETS:
            return LINK_SETS[link_kinds]
        link_kinds = [link_kinds]
    kinds = frozenset(str(k) for k in link_kinds)
    unknown = sorted(kinds - set(LINK_KINDS))
    if unknown:
        raise InputError(f"unknown link kind(s) {unknown}; expected {', '.join(LINK_SETS)}, "
                         f"or any of {', '.join(LINK_KINDS)}", field="link_kinds")
    return kinds


def graph(
    net: Network,
    *,
    link_kinds: str | Iterable[str] | None = None,
    directed: bool | None = None,
    weight: str | None = None,
    weight_as: WeightAs = "distance",
) -> Graph:
    """The simple graph an analysis of ``net`` runs on (cached on the network).

    Parameters
    ----------
    net
        A :class:`Network` (a networkx or igraph graph is converted first, uncached).
    link_kinds
        Which links count: ``"person"`` (default: flow links and ``tie``), ``"flow"``,
        ``"all"``, one link kind, or a list of link kinds.
    directed
        ``None``: the network's own direction; ``False``: direction dropped; ``True``: an
        undirected network's links in both directions.
    weight
        A numeric link column, or ``None`` for an unweighted graph.
    weight_as
        ``"distance"`` or ``"strength"``: what the weight values mean (see the module
        docstring).

    Examples
    --------
    >>> net = Network(links=pd.DataFrame({"source": ["a", "a", "b"],
    ...                                   "target": ["b", "b", "c"],
    ...                                   "calls": [2.0, 3.0, 1.0]}))
    >>> g = graph(net, weight="calls", weight_as="strength")
    >>> g.m, g.weight.tolist()
    (2, [5.0, 1.0])
    """
    net = as_network(net)
    if weight_as not in WEIGHT_AS:
        raise InputError(f"unknown weight_as '{weight_as}'; expected 'distance' (a longer "
                         "link is a weaker tie) or 'strength' (a larger value is a "
                         "stronger tie)", field="weight_as")
    kinds = link_kind_set(link_kinds)
    want_directed = net.directed if directed is None else flag(directed, "directed")
    key = (kinds, want_directed, weight, weight_as if weight is not None else None)
    per_net = _CACHE.get(net)
    if per_net is None:
        per_net = {}
        _CACHE[net] = per_net
    cached = per_net.get(key)
    if cached is not None:
        return cached
    g = _build(net, kinds, want_directed, weight, weight_as)
    per_net[key] = g
    return g


def _build(net: Network, kinds: frozenset[str], directed: bool, weight: str | None,
           weight_as: str) -> Graph:
    mask = net.links["kind"].isin(list(kinds)).to_numpy()
    src = net.source_index[mask].astype(np.int64)
    dst = net.target_index[mask].astype(np.int64)
    w = None
    if weight is not None:
        w = _weights(net, weight, weight_as)[mask]
        if weight_as == "strength":
            live = w > 0
            src, dst, w = src[live], dst[live], w[live]
    if not net.directed and directed:
        off = src != dst
        src, dst = np.concatenate([src, dst[off]]), np.concatenate([dst, src[off]])
        if w is not None:
            w = np.concatenate([w, w[off]])
    elif not directed:
        src, dst = np.minimum(src, dst), np.maximum(src, dst)
    src, dst, w = _merge(src, dst, w, weight_as, net.n_actors)
    return Graph(net.id_index, src, dst, w, weight_as, directed, net.name)


def _weights(net: Network, column: str, weight_as: str) -> np.ndarray:
    if column not in net.links.columns:
        raise InputError(f"no link column '{column}' to use as weight (links have: "
                         f"{', '.join(map(str, net.links.columns))})", field="weight")
    raw = net.links[column]
    if pd.api.types.is_bool_dtype(raw):
        raise InputError(f"weight column '{column}' must be numeric, not true/false",
                         field="weight")
    values = pd.to_numeric(raw, errors="coerce")
    bad = (values.isna() & raw.notna()).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(f"weight column '{column}' must be numeric; links row {row + 1} "
                         f"has '{raw.iloc[row]}'", field="weight")
    w = values.to_numpy(dtype=np.float64, na_value=1.0)
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(f"weights must be finite and non-negative; links row {row + 1} "
                         f"has {column}={w[row]}", field="weight")
    if weight_as == "distance" and (w == 0).any():
        row = int(np.flatnonzero(w == 0)[0])
        raise InputError(f"a distance of 0 (links row {row + 1}, {column}=0) would make "
                         "two actors one; distances must be positive (declare the "
                         "weights weight_as='strength' if larger means a stronger tie)",
                         field="weight")
    return w


def _merge(src: np.ndarray, dst: np.ndarray, w: np.ndarray | None, weight_as: str,
           n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """One edge per (src, dst): strengths add up, distances keep the minimum."""
    if src.size == 0:
        empty = np.zeros(0, dtype=np.int32)
        return empty, empty.copy(), None if w is None else np.zeros(0)
    key = src * np.int64(n) + dst
    order = np.argsort(key, kind="stable")
    key = key[order]
    first = np.ones(key.size, dtype=bool)
    first[1:] = key[1:] != key[:-1]
    starts = np.flatnonzero(first)
    usrc = (key[starts] // n).astype(np.int32)
    udst = (key[starts] % n).astype(np.int32)
    if w is None:
        return usrc, udst, None
    ws = w[order]
    if weight_as == "strength":
        merged = np.add.reduceat(ws, starts)
    else:
        merged = np.minimum.reduceat(ws, starts)
    return usrc, udst, merged.astype(np.float64)
