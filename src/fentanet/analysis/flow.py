"""Supply flow: maximum flow from sources to markets and the minimum cut (the bottleneck).

Flow runs on a *stage-expanded* graph built from a :class:`~fentanet.network.Network`
(DESIGN.md, "Two commodities"):

- one *unit* per actor per commodity it handles: precursor (links of kind ``supplies``,
  and ``flow`` links that start at a supplier or end at a lab) or product (``ships``,
  ``distributes``, ``sells_to`` and the other ``flow`` links);
- every unit is split into an in-node and an out-node joined by an arc whose capacity is
  the actor's capacity (unbounded when missing), so actor capacities are honoured;
- a lab has one unit whose in-node takes precursor and whose out-node emits product: labs
  are the only precursor-to-product arcs, so no path reaches a market without passing a
  lab. An actor handling both commodities (a marketplace) has its capacity on each;
- each link is an arc from the out-node of its source's unit to the in-node of its
  target's unit, with the link's capacity (unbounded when missing); an undirected link is
  an arc each way where its kind allows both orientations (``flow``, untyped actors) and
  its flow is the net flow from ``source`` to ``target``; a typed link (``supplies``,
  ``ships``, ...) in an undirected network is stored source-upstream and carries material
  that way only;
- a super-source feeds every source (into its precursor unit when it has one) without
  limit, and every sink drains to a super-sink through an arc whose capacity is the
  sink's ``demand`` (unbounded when missing): a cut in capacity nobody uses does not
  look effective;
- ``diverts_to`` (prescription diversion) is never flow; neither are support links and
  ``tie`` links. Links into a source or out of a sink carry nothing (a source only
  originates material, a sink only absorbs it).

Default sources are the suppliers and default sinks the markets. Prescribers are not
sources: prescription diversion is not fentanyl product (it feeds initiation in the
population model, never the flow), as DESIGN.md decides. Untyped flow networks (kind
``actor``, links of kind ``flow``, such as the interdiction instances read by
:func:`fentanet.read`) take their sources and sinks from ``net.meta["source"]`` and
``net.meta["sink"]`` or from the arguments.

The maximum flow is computed by scipy's Dinic when the capacities are integers after
scaling by a power of ten (exact integer arithmetic; the faster solver on supply
networks) and by igraph's push-relabel ``maxflow`` on any other float capacities (see
:mod:`fentanet.analysis._maxflow`). Unbounded arcs get a bound that exceeds every finite
cut, so a value above it means no finite cut exists and the flow is ``inf``. The
minimum cut is read from the residual graph under the original capacities.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order

from fentanet.analysis._maxflow import ArcSolver
from fentanet.errors import InputError
from fentanet.network.convert import as_network
from fentanet.network.kinds import FLOW_LINK_KINDS
from fentanet.network.model import Network, links_allowed

CARRYING_KINDS: frozenset[str] = FLOW_LINK_KINDS - {"diverts_to"}
"""Link kinds that carry flow: every flow link kind except prescription diversion."""

ARC_LINK, ARC_ACTOR, ARC_SOURCE, ARC_SINK = 0, 1, 2, 3
"""Roles of the arcs of the expanded graph: a link, an actor's capacity (node split), the
super-source's supply of a source, a sink's demand."""

PRECURSOR, PRODUCT = 0, 1


@dataclass
class FlowGraph:
    """The stage-expanded graph of a network (see the module docstring).

    Arc arrays are aligned: ``tail``/``head`` (node ids), ``capacity`` (``inf`` =
    unbounded), ``role`` (``ARC_*``), ``ref`` (link row for link arcs, actor index
    otherwise) and ``sign`` (+1, or -1 for the reverse arc of an undirected link). Unit
    ``u`` has in-node ``2u`` and out-node ``2u + 1``; ``source`` and ``sink`` are the
    super-source and super-sink.
    """

    n_nodes: int
    tail: np.ndarray
    head: np.ndarray
    capacity: np.ndarray
    role: np.ndarray
    ref: np.ndarray
    sign: np.ndarray
    source: int
    sink: int
    unit_actor: np.ndarray
    sources: np.ndarray
    sinks: np.ndarray
    n_actors: int
    n_links: int
    _tol: float = field(default=0.0, repr=False)

    @property
    def n_arcs(self) -> int:
        return int(self.tail.size)

    @cached_property
    def solver(self) -> ArcSolver:
        """The max-flow solver of these arcs, built once and reused for every solve."""
        return ArcSolver(self.n_nodes, self.tail, self.head, self.source, self.sink)

    def capacities(self, removed: np.ndarray | None = None) -> np.ndarray:
        """Arc capacities with the ``removed`` arcs (bool mask or indices) set to 0."""
        if removed is None:
            return self.capacity
        cap = self.capacity.copy()
        cap[removed] = 0.0
        return cap

    def solve(self, capacity: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        """Maximum flow value and the flow on each arc under ``capacity`` (default: the
        arcs' own). The value is ``inf`` when no finite cut exists."""
        return self.solver.solve(self.capacity if capacity is None else capacity)

    def source_side(self, flow: np.ndarray, capacity: np.ndarray | None = None) -> np.ndarray:
        """Nodes reachable from the super-source in the residual graph of ``flow``: the
        source side of the minimum cut closest to the sources."""
        cap = self.capacity if capacity is None else capacity
        tol = self.tolerance
        fwd = (cap - flow) > tol
        bwd = flow > tol
        rows = np.concatenate([self.tail[fwd], self.head[bwd]])
        cols = np.concatenate([self.head[fwd], self.tail[bwd]])
        adj = sp.csr_array((np.ones(rows.size, dtype=np.int8), (rows, cols)),
                           shape=(self.n_nodes, self.n_nodes))
        order = breadth_first_order(adj, self.source, directed=True,
                                    return_predecessors=False)
        side = np.zeros(self.n_nodes, dtype=bool)
        side[order] = True
        return side

    def cut_arcs(self, flow: np.ndarray, capacity: np.ndarray | None = None) -> np.ndarray:
        """Indices of the arcs of positive capacity crossing the minimum cut closest to the
        sources (arcs removed by a zero capacity are left out)."""
        cap = self.capacity if capacity is None else capacity
        side = self.source_side(flow, cap)
        return np.flatnonzero(side[self.tail] & ~side[self.head] & (cap > 0))

    @property
    def tolerance(self) -> float:
        """Absolute tolerance on flows: 1e-9 of the largest finite capacity (at least 1e-9)."""
        if not self._tol:
            cap = self.capacity[np.isfinite(self.capacity)]
            self._tol = 1e-9 * max(1.0, float(cap.max()) if cap.size else 1.0)
        return self._tol


@dataclass(frozen=True)
class MaxFlow:
    """Result of :func:`max_flow`.

    Attributes
    ----------
    value
        The maximum flow reaching the sinks (``inf`` when no finite cut exists; the
        per-link, per-actor and per-sink flows are then one feasible flow in which
        unbounded arcs carry at most twice the finite total plus one; the cut is empty).
    flow
        Flow on each link, aligned with ``net.links`` (0 on links that carry no flow).
    throughput
        Flow through each actor (for a lab: product made), indexed by actor id.
    delivered
        Flow absorbed by each sink, indexed by sink id.
    cut_actors, cut_links, cut_demand
        The minimum cut closest to the sources, mapped back to the network: actors whose
        capacity is a bottleneck, links (row positions in ``net.links``) whose capacity
        is, and sinks whose demand is (supply there exceeds what the market takes).
        Their capacities sum to ``value``. Empty when the value is infinite.
    source_side
        Whether each actor's entry (the in-node of its first unit) lies on the source
        side of that cut, indexed by actor id.
    sources, sinks
        The actor ids used as sources and sinks.
    """

    value: float
    flow: pd.Series
    throughput: pd.Series
    delivered: pd.Series
    cut_actors: list[str]
    cut_links: list[int]
    cut_demand: list[str]
    source_side: pd.Series
    sources: list[str]
    sinks: list[str]
    cut: pd.DataFrame = field(repr=False)
    """The cut as a table: ``element`` (actor, link or demand), ``id`` (actor id, or
    ``source->target`` for a link), ``link`` (row position or -1) and ``capacity``."""

    def __repr__(self) -> str:
        """The value and the cut's size, not every per-link and per-actor flow (the
        dataclass's own repr printed all of them: some 30,000 characters at 10^4 actors)."""
        return (f"<MaxFlow: value {self.value:.6g} from {_count(self.sources, 'source')} "
                f"to {_count(self.sinks, 'sink')}; cut: "
                f"{_count(self.cut_actors, 'actor')}{_first(self.cut_actors)}, "
                f"{_count(self.cut_links, 'link')}, "
                f"{_count(self.cut_demand, 'demand')}>")


def _count(items: list, what: str) -> str:
    return f"{len(items)} {what}{'' if len(items) == 1 else 's'}"


def _first(ids: list[str], shown: int = 3) -> str:
    """The first few ids in parentheses, and how many more: `` ('a', 'b', 'c', ... 5
    more)``; nothing when there are none."""
    if not ids:
        return ""
    more = f", ... {len(ids) - shown} more" if len(ids) > shown else ""
    return f" ({', '.join(map(repr, ids[:shown]))}{more})"


# ---------------------------------------------------------------------- building the graph
def numeric_column(frame: pd.DataFrame, column: str, table: str) -> np.ndarray:
    """A non-negative numeric column as float64 (NaN where missing; ``inf`` allowed)."""
    raw = frame[column]
    if pd.api.types.is_bool_dtype(raw):
        raise InputError(f"{table} column '{column}' must be numbers, not true/false",
                         field=column)
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.isnan(values) & raw.notna().to_numpy()
    if not pd.api.types.is_numeric_dtype(raw):
        bad &= (raw.astype(str).str.strip() != "").to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(f"{table} row {row + 1}: '{column}' must be a number, got "
                         f"'{raw.iloc[row]}'", field=column)
    neg = values < 0
    if neg.any():
        row = int(np.flatnonzero(neg)[0])
        raise InputError(f"{table} row {row + 1}: '{column}' must be non-negative, got "
                         f"{values[row]}", field=column)
    return values


def attribute(net: Network, column: str | None, *, default: str, what: str,
              fill: float) -> tuple[np.ndarray, np.ndarray]:
    """Actor and link values of ``column`` (``fill`` where missing).

    The column may be absent from the tables when it is the ``default`` name (every
    value is then ``fill``) or ``None``; a column named explicitly must exist in at least
    one table.
    """
    actors = np.full(net.n_actors, fill, dtype=np.float64)
    links = np.full(net.n_links, fill, dtype=np.float64)
    if column is None:
        return actors, links
    if not isinstance(column, str):
        raise InputError(f"{what} must be a column name, got {column!r}", field=what)
    found = False
    for frame, out, table in ((net.actors, actors, "actors"), (net.links, links, "links")):
        if column in frame.columns:
            found = True
            values = numeric_column(frame, column, table)
            given = ~np.isnan(values)
            out[given] = values[given]
    if not found and column != default:
        raise InputError(f"no column '{column}' for {what} in the actors or links of network "
                         f"'{net.name}' (links have: {', '.join(net.links.columns)})",
                         field=what)
    return actors, links


def terminals(net: Network, given: Any, meta_key: str, kind: str, what: str) -> np.ndarray:
    """Actor indices of the sources or sinks: ``given``, else ``net.meta[meta_key]``, else
    every actor of ``kind``."""
    if given is None:
        given = net.meta.get(meta_key)
    if given is not None:
        ids = [given] if isinstance(given, (str, int, np.integer)) else list(given)
        if not ids:
            raise InputError(f"no {what} given; expected one or more actor ids", field=what)
        return np.unique(net.index_of(ids, field=what).astype(np.int64))
    idx = np.flatnonzero((net.actors["kind"] == kind).to_numpy())
    if idx.size == 0:
        raise InputError(f"network '{net.name}' has no {kind} actors and no meta "
                         f"'{meta_key}' to use as {what}; pass {what}=[actor ids]",
                         field=what)
    return idx.astype(np.int64)


def fixed_terminals(net: Network, sources: Any = None, sinks: Any = None) -> np.ndarray:
    """Per actor, whether it is a terminal that is never a target: a sink given or named
    by ``net.meta["sink"]``, and a source given or named by ``net.meta["source"]`` unless
    it is a supplier (precursor controls target suppliers). These are the source and sink
    of an untyped flow network (the interdiction instances): modelling devices, not
    actors, whose removal trivially stops every flow. :func:`interdict` never removes
    them, and neither do :func:`fentanet.key_players` and :func:`fentanet.resilience`.
    Ids that name no actor (a view that left the terminal out) are passed over; without
    ``sources``, ``sinks`` and meta terminals nothing is fixed (markets, the default
    sinks, are left out by those functions' own rule).

    >>> links = pd.DataFrame({"source": ["s", "a"], "target": ["a", "t"], "kind": "flow"})
    >>> fixed_terminals(Network(links=links, meta={"source": "s", "sink": "t"})).tolist()
    [True, False, True]
    """
    fixed = np.zeros(net.n_actors, dtype=bool)
    for given, key, spare in ((sources, "source", "supplier"), (sinks, "sink", None)):
        if given is None:
            given = net.meta.get(key)
        if given is None:
            continue
        ids = [given] if isinstance(given, str | int | np.integer) else list(given)
        idx = net.id_index.get_indexer([str(i) for i in ids])
        idx = idx[idx >= 0]
        if spare is not None:
            idx = idx[(net.actors["kind"].to_numpy(dtype=object)[idx] != spare)]
        fixed[idx] = True
    return fixed


def expand(net: Network, sources: Any = None, sinks: Any = None, *,
           capacity: str | None = "capacity") -> FlowGraph:
    """The stage-expanded graph of ``net`` (see the module docstring)."""
    if not isinstance(net, Network):
        raise InputError(f"expected a fentanet Network, got {type(net).__name__}",
                         field="net")
    link_kind = net.links["kind"]
    carrying = link_kind.isin(list(CARRYING_KINDS)).to_numpy()
    if not carrying.any():
        raise InputError(f"network '{net.name}' has no flow links (kinds "
                         f"{', '.join(sorted(CARRYING_KINDS))}); flow analysis needs them",
                         field="links")
    src_t = terminals(net, sources, "source", "supplier", "sources")
    snk_t = terminals(net, sinks, "sink", "market", "sinks")
    both = np.intersect1d(src_t, snk_t)
    if both.size:
        raise InputError(f"actor(s) {net.ids[both[:5]].tolist()} are both source and sink",
                         field="sinks")
    actor_cap, link_cap = attribute(net, capacity, default="capacity", what="capacity",
                                    fill=np.inf)
    demand = np.full(net.n_actors, np.inf)
    if "demand" in net.actors.columns:
        d = numeric_column(net.actors, "demand", "actors")
        demand[~np.isnan(d)] = d[~np.isnan(d)]

    n = net.n_actors
    actor_kind = net.actors["kind"]
    supplier = (actor_kind == "supplier").to_numpy()
    lab = (actor_kind == "lab").to_numpy()
    is_source = np.zeros(n, dtype=bool)
    is_source[src_t] = True
    is_sink = np.zeros(n, dtype=bool)
    is_sink[snk_t] = True

    rows = np.flatnonzero(carrying)
    s = net.source_index[rows].astype(np.int64)
    t = net.target_index[rows].astype(np.int64)
    prec = (link_kind == "supplies").to_numpy()[rows] | (
        (link_kind == "flow").to_numpy()[rows] & (supplier[s] | lab[t]))
    comm = np.where(prec, PRECURSOR, PRODUCT)

    # units: one per actor and commodity it handles; a lab has one unit for both
    need = np.zeros((n, 2), dtype=bool)
    need[s, comm] = True
    need[t, comm] = True
    need[lab, PRECURSOR] = need[lab].any(axis=1)
    need[lab, PRODUCT] = False
    flat = np.flatnonzero(need.ravel())
    unit_of = np.full(2 * n, -1, dtype=np.int64)
    unit_of[flat] = np.arange(flat.size)
    unit_of = unit_of.reshape(n, 2)
    unit_of[lab, PRODUCT] = unit_of[lab, PRECURSOR]
    unit_actor = flat // 2
    n_units = flat.size
    first = np.where(unit_of[:, PRECURSOR] >= 0, unit_of[:, PRECURSOR], unit_of[:, PRODUCT])
    last = np.where(unit_of[:, PRODUCT] >= 0, unit_of[:, PRODUCT], unit_of[:, PRECURSOR])

    # link arcs (undirected links: also the reverse arc where the kind allows that way)
    ends = [(s, t, 1, True)]
    if not net.directed:
        back = links_allowed(link_kind.iloc[rows].reset_index(drop=True),
                             net.actors["kind"], net.target_index[rows],
                             net.source_index[rows])
        ends.append((t, s, -1, back))
    parts: list[tuple[np.ndarray, ...]] = []
    for a, b, sign, allowed in ends:
        keep = (a != b) & ~is_source[b] & ~is_sink[a] & allowed
        ka = np.flatnonzero(keep)
        parts.append((2 * unit_of[a[ka], comm[ka]] + 1, 2 * unit_of[b[ka], comm[ka]],
                      link_cap[rows[ka]], np.full(ka.size, ARC_LINK), rows[ka],
                      np.full(ka.size, sign)))
    # node-split arcs: each unit's in-node to its out-node, at the actor's capacity
    u = np.arange(n_units)
    parts.append((2 * u, 2 * u + 1, actor_cap[unit_actor], np.full(n_units, ARC_ACTOR),
                  unit_actor, np.ones(n_units, dtype=np.int64)))
    S, T = 2 * n_units, 2 * n_units + 1
    src_u = src_t[first[src_t] >= 0]
    parts.append((np.full(src_u.size, S), 2 * first[src_u], np.full(src_u.size, np.inf),
                  np.full(src_u.size, ARC_SOURCE), src_u, np.ones(src_u.size, dtype=np.int64)))
    snk_u = snk_t[last[snk_t] >= 0]
    parts.append((2 * last[snk_u] + 1, np.full(snk_u.size, T), demand[snk_u],
                  np.full(snk_u.size, ARC_SINK), snk_u, np.ones(snk_u.size, dtype=np.int64)))
    cols = [np.concatenate([p[i] for p in parts]) for i in range(6)]
    return FlowGraph(
        n_nodes=2 * n_units + 2,
        tail=cols[0].astype(np.int64), head=cols[1].astype(np.int64),
        capacity=cols[2].astype(np.float64), role=cols[3].astype(np.int8),
        ref=cols[4].astype(np.int64), sign=cols[5].astype(np.int8),
        source=S, sink=T, unit_actor=unit_actor, sources=src_t, sinks=snk_t,
        n_actors=n, n_links=net.n_links,
    )


# ---------------------------------------------------------------------- mapping back
def link_flow(g: FlowGraph, flow: np.ndarray) -> np.ndarray:
    """Net flow on each link (source to target), from the arc flows."""
    out = np.zeros(g.n_links)
    mask = g.role == ARC_LINK
    np.add.at(out, g.ref[mask], g.sign[mask] * flow[mask])
    return out


def actor_flow(g: FlowGraph, flow: np.ndarray) -> np.ndarray:
    """Flow through each actor (summed over its units)."""
    out = np.zeros(g.n_actors)
    mask = g.role == ARC_ACTOR
    np.add.at(out, g.ref[mask], flow[mask])
    return out


def cut_table(net: Network, g: FlowGraph, arcs: np.ndarray) -> pd.DataFrame:
    """The cut arcs as network elements (actor, link or demand) with their capacity; an
    actor cut on both of its units (a marketplace) is one row with the summed capacity."""
    role, ref = g.role[arcs], g.ref[arcs]
    elem, inv = np.unique(np.column_stack([role, ref]), axis=0, return_inverse=True)
    capacity = np.bincount(inv.ravel(), weights=g.capacity[arcs], minlength=len(elem))
    role, ref = elem[:, 0], elem[:, 1]
    is_link = role == ARC_LINK
    label = np.empty(role.size, dtype=object)
    lr = ref[is_link]
    label[is_link] = (net.links["source"].take(lr).to_numpy(dtype=object) + "->"
                      + net.links["target"].take(lr).to_numpy(dtype=object))
    label[~is_link] = net.actors["id"].take(ref[~is_link]).to_numpy(dtype=object)
    element = np.select([is_link, role == ARC_ACTOR, role == ARC_SINK],
                        ["link", "actor", "demand"], "supply")
    return pd.DataFrame({"element": element, "id": label,
                         "link": np.where(is_link, ref, -1), "capacity": capacity})


def max_flow(net: Network, sources: Any = None, sinks: Any = None, *,
             capacity: str | None = "capacity") -> MaxFlow:
    """Maximum flow from sources to sinks over the flow links, and the minimum cut.

    Flow runs on the stage-expanded graph (module docstring): precursor from suppliers
    to labs, product from labs to markets, labs the only conversion, actor capacities
    by node splitting, link capacities on the links, each market's ``demand`` capping
    what it absorbs; ``diverts_to`` is never flow.

    Parameters
    ----------
    net
        A network with flow links (kinds ``supplies``, ``ships``, ``distributes``,
        ``sells_to`` or ``flow``).
    sources, sinks
        Actor ids (one or a list). Defaults: ``net.meta["source"]``/``["sink"]`` when set
        (interdiction instances), else every supplier / every market. Prescribers are
        never default sources: prescription diversion is not fentanyl product.
    capacity
        Column holding actor and link capacities (missing values: unbounded); ``None``
        ignores capacities, so only market demand bounds the flow.

    Returns
    -------
    MaxFlow
        ``value``, ``flow`` per link, ``throughput`` per actor, ``delivered`` per sink,
        and the minimum cut closest to the sources as ``cut_actors``, ``cut_links``,
        ``cut_demand`` and ``source_side``.

    Raises
    ------
    InputError
        No flow links, unknown source or sink ids, an actor both source and sink, a
        capacity or demand that is not a non-negative number, a missing column.

    References
    ----------
    Ford & Fulkerson (1956), maximal flow through a network; Goldberg & Tarjan (1988),
    push-relabel (igraph's ``maxflow``); Dinic (1970), blocking flows (scipy's
    ``maximum_flow``); Ahuja, Magnanti & Orlin (1993), *Network Flows*,
    node splitting (section 2.4).

    Examples
    --------
    >>> import pandas as pd
    >>> from fentanet import Network
    >>> actors = pd.DataFrame({"id": ["s", "l", "d", "m"],
    ...                        "kind": ["supplier", "lab", "dealer", "market"],
    ...                        "capacity": [None, 4.0, None, None], "demand": [None] * 3 + [9.0]})
    >>> links = pd.DataFrame({"source": ["s", "l", "d"], "target": ["l", "d", "m"],
    ...                       "kind": ["supplies", "ships", "sells_to"]})
    >>> res = max_flow(Network(actors, links))
    >>> res.value, res.cut_actors
    (4.0, ['l'])
    """
    net = as_network(net)  # a networkx or igraph graph too, as centrality takes
    g = expand(net, sources, sinks, capacity=capacity)
    value, flow = g.solve()
    return result(net, g, value, flow)


def result(net: Network, g: FlowGraph, value: float, flow: np.ndarray,
           capacity: np.ndarray | None = None) -> MaxFlow:
    """The :class:`MaxFlow` of a solved expanded graph (``capacity``: the arc capacities
    solved with, when some arcs were removed)."""
    ids = net.ids
    if np.isfinite(value):
        cap = g.capacity if capacity is None else capacity
        side = g.source_side(flow, cap)
        arcs = np.flatnonzero(side[g.tail] & ~side[g.head] & (cap > 0))
    else:
        arcs = np.array([], dtype=np.int64)
        side = np.zeros(g.n_nodes, dtype=bool)
    entry = np.zeros(g.n_actors, dtype=bool)
    first_unit = np.full(g.n_actors, -1, dtype=np.int64)
    # units are ordered by actor, so the first unit of an actor is its lowest-numbered
    units = np.arange(g.unit_actor.size)
    first_unit[g.unit_actor[::-1]] = units[::-1]
    has = first_unit >= 0
    entry[has] = side[2 * first_unit[has]]
    role, ref = g.role[arcs], g.ref[arcs]
    sink_mask = g.role == ARC_SINK
    delivered = np.zeros(g.sinks.size)
    pos = np.searchsorted(g.sinks, g.ref[sink_mask])
    np.add.at(delivered, pos, flow[sink_mask])
    return MaxFlow(
        value=value,
        flow=pd.Series(link_flow(g, flow), index=net.links.index, name="flow"),
        throughput=pd.Series(actor_flow(g, flow), index=pd.Index(ids, name="actor"),
                             name="throughput"),
        delivered=pd.Series(delivered, index=pd.Index(ids[g.sinks], name="sink"),
                            name="delivered"),
        cut_actors=ids[np.unique(ref[role == ARC_ACTOR])].tolist(),
        cut_links=np.unique(ref[role == ARC_LINK]).tolist(),
        cut_demand=ids[np.unique(ref[role == ARC_SINK])].tolist(),
        source_side=pd.Series(entry, index=pd.Index(ids, name="actor"), name="source_side"),
        sources=ids[g.sources].tolist(),
        sinks=ids[g.sinks].tolist(),
        cut=cut_table(net, g, arcs),
    )
