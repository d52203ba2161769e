"""The :class:`Network`: one model of the trade for mapping, analysis and simulation.

A network is two tables, ``actors`` (id, kind, attributes) and ``links`` (source, target,
kind, attributes), plus metadata. Actor ids are mapped once to dense indices (the row
position in ``actors``); every actor also carries a stable ``uid``. Adjacency in CSR form
is built on demand and cached; the tables are treated as immutable after construction
(methods return new networks, never mutate).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from fentanet.errors import InputError, InputWarning, flag, whole_number
from fentanet.network.kinds import (
    ACTOR_KINDS,
    FLOW_LINK_KINDS,
    LINK_KINDS,
    ROUTE_MODES,
    SUPPORT_LINK_KINDS,
    allowed_pair,
    expected_pairs,
)

ACTOR_NUMERIC = ("capacity", "cost")
"""Actor attributes that must be finite and non-negative where given (missing = unset)."""
LINK_NUMERIC = ("weight", "capacity", "cost")
"""Link attributes that must be finite and non-negative where given (missing = unset)."""
MEMBERSHIP = "organization"
"""The actor column naming the organization an actor belongs to: an actor id, or missing
(or blank) for an independent actor."""

Combine = Literal["max", "sum", "min", "first", "last"]


@dataclass
class Origin:
    """Where a network's rows came from, so that errors can name a file and line."""

    file: str | None = None
    actor_lines: Any = None
    link_lines: Any = None
    actor_file: str | None = None
    """The actor table's file when it is not ``file`` (actor and link lists)."""

    def actor_error(self, row: int, message: str, field: str | None = None) -> InputError:
        return self._error("actors", self.actor_lines, row, message, field,
                           self.actor_file or self.file)

    def link_error(self, row: int, message: str, field: str | None = None) -> InputError:
        return self._error("links", self.link_lines, row, message, field, self.file)

    def _error(self, table, lines, row, message, field, file) -> InputError:
        if lines is not None and row < len(lines):
            return InputError(message, file=file, line=int(lines[row]), field=field)
        where = f"{table} row {row + 1}: "
        return InputError(where + message, file=file, field=field)


@dataclass
class _Cache:
    index: pd.Index | None = None
    src: np.ndarray | None = None
    dst: np.ndarray | None = None
    adjacency: dict = field(default_factory=dict)


class Network:
    """A network of actors and links.

    Parameters
    ----------
    actors
        Table with an ``id`` column and optionally ``kind`` (default ``actor``), ``uid``
        (default: row number) and any attributes. Attributes with a meaning: ``capacity``
        and ``cost`` (finite, non-negative; missing = unset), ``mode`` on routes,
        ``legitimate`` on suppliers, ``organization`` (id of the organization an actor
        belongs to; missing for an independent actor), ``region``. A network with actors
        of kind organization warns (:class:`~fentanet.errors.InputWarning`) when an
        ``organization`` names none of its actors: analyses read it as a group label, the
        simulation refuses it. If ``None``, actors are the link endpoints in order of
        first appearance, untyped. A sequence of ids is accepted too.
    links
        Table with ``source`` and ``target`` columns (actor ids) and optionally ``kind``
        (default ``tie``), ``weight`` (default 1), ``capacity``, ``cost``, ``phase``,
        ``start`` and ``end``.
    directed
        Whether links are directed. Undirected networks store each link once.
    name, source
        Metadata: a display name and the file the network was read from.
    meta
        Any further metadata (kept by writers that can).

    Examples
    --------
    >>> import pandas as pd
    >>> net = Network(links=pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"]}))
    >>> net.n_actors, net.n_links
    (3, 2)
    """

    def __init__(
        self,
        actors: pd.DataFrame | Sequence[str] | None = None,
        links: pd.DataFrame | None = None,
        *,
        directed: bool = True,
        name: str = "",
        source: str | None = None,
        meta: dict[str, Any] | None = None,
        origin: Origin | None = None,
        validate: bool = True,
    ) -> None:
        origin = origin or Origin(file=source)
        links = _normalise_links(links, origin)
        derived = None
        if actors is None:
            derived = _endpoints(links)
            actors = pd.DataFrame({"id": derived[0].to_numpy(dtype=object)})
        actors = _normalise_actors(actors, links, origin)
        self.actors: pd.DataFrame = actors
        self.links: pd.DataFrame = links
        self.directed = flag(directed, "directed")  # "no" was a directed network
        self.name = name
        self.source = source
        self.meta: dict[str, Any] = dict(meta or {})
        self._cache = _Cache()
        if derived is not None:
            self._cache.index, self._cache.src, self._cache.dst = derived
        if validate:
            self._validate(origin)

    # ------------------------------------------------------------------ construction
    @classmethod
    def _from_parts(
        cls,
        actors: pd.DataFrame,
        links: pd.DataFrame,
        *,
        directed: bool,
        name: str = "",
        source: str | None = None,
        meta: dict[str, Any] | None = None,
        src: np.ndarray | None = None,
        dst: np.ndarray | None = None,
        index: pd.Index | None = None,
    ) -> Network:
        """Build from tables already known to be valid (no checks, no copies)."""
        net = cls.__new__(cls)
        net.actors = actors
        net.links = links
        net.directed = directed
        net.name = name
        net.source = source
        net.meta = dict(meta or {})
        net._cache = _Cache(index=index, src=src, dst=dst)
        return net

    @classmethod
    def from_indices(
        cls,
        ids: Sequence[str] | np.ndarray | Any,
        src: np.ndarray,
        dst: np.ndarray,
        *,
        weight: np.ndarray | None = None,
        actors: pd.DataFrame | None = None,
        links: pd.DataFrame | None = None,
        directed: bool = True,
        name: str = "",
        source: str | None = None,
        meta: dict[str, Any] | None = None,
        origin: Origin | None = None,
    ) -> Network:
        """A network from actor ids and the dense indices of each link's two ends.

        The fast constructor for readers and generators: ``ids[i]`` is actor ``i`` and
        link ``j`` joins ``ids[src[j]]`` to ``ids[dst[j]]``, so no id is looked up.
        ``actors`` and ``links`` hold further columns (kind, attributes) aligned with
        ``ids`` and with the links; ``weight`` is the links' weight (default 1).
        Validated as the main constructor validates (unique non-empty ids, kinds,
        numeric attributes, flow pairs).

        >>> net = Network.from_indices(["a", "b", "c"], [0, 1], [1, 2])
        >>> net.links["target"].tolist()
        ['b', 'c']
        """
        origin = origin or Origin(file=source)
        id_arr = ids if isinstance(ids, pa.Array) else pa.array(
            [str(i) for i in ids], type=pa.string())
        n = len(id_arr)
        src = np.ascontiguousarray(src, dtype=np.int32)
        dst = np.ascontiguousarray(dst, dtype=np.int32)
        if src.shape != dst.shape or src.ndim != 1:
            raise InputError("link sources and targets must be two arrays of one length",
                             field="links")
        for what, idx in (("source", src), ("target", dst)):
            bad = np.flatnonzero((idx < 0) | (idx >= n))
            if bad.size:
                raise origin.link_error(int(bad[0]), f"link {what} index {idx[bad[0]]} "
                                        f"outside 0..{n - 1}", what)
        frame = pd.DataFrame() if actors is None else actors.reset_index(drop=True).copy()
        if len(frame.columns) and len(frame) != n:
            raise InputError(f"{len(frame)} actor rows for {n} ids", field="actors")
        frame.insert(0, "id", pd.Series(id_arr.to_pandas(), dtype="str"))
        actor_table = _normalise_actors(frame, None, origin)
        m = src.size
        table = pd.DataFrame() if links is None else links.reset_index(drop=True).copy()
        if len(table.columns) and len(table) != m:
            raise InputError(f"{len(table)} link rows for {m} links", field="links")
        table.columns = [str(c) for c in table.columns]
        clean = pa.array(actor_table["id"].to_numpy(dtype=object), type=pa.string())
        table.insert(0, "source", pd.Series(clean.take(pa.array(src)).to_pandas(),
                                            dtype="str"))
        table.insert(1, "target", pd.Series(clean.take(pa.array(dst)).to_pandas(),
                                            dtype="str"))
        if weight is not None:
            table["weight"] = np.asarray(weight, dtype=np.float64)
        link_table = _normalise_link_columns(table, origin)
        net = cls._from_parts(actor_table, link_table, directed=flag(directed, "directed"),
                              name=name, source=source, meta=meta, src=src, dst=dst)
        net._validate(origin)
        return net

    def _replace(self, actors=None, links=None, *, directed=None, name=None, **cache) -> Network:
        return Network._from_parts(
            self.actors if actors is None else actors,
            self.links if links is None else links,
            directed=self.directed if directed is None else directed,
            name=self.name if name is None else name,
            source=self.source,
            meta=self.meta,
            **cache,
        )

    def _validate(self, origin: Origin) -> None:
        actors, links = self.actors, self.links
        ids = actors["id"]
        dup = ids.duplicated(keep=False)
        if dup.any():
            rows = np.flatnonzero(dup.to_numpy())
            first = ids.iloc[rows[0]]
            same = rows[ids.iloc[rows].to_numpy() == first]
            raise origin.actor_error(
                int(same[1]),
                f"duplicate actor id '{first}' (also at actors row {same[0] + 1}); "
                "actor ids must be unique",
                "id",
            )
        src = self.source_index
        dst = self.target_index
        for name, idx in (("source", src), ("target", dst)):
            bad = np.flatnonzero(idx < 0)
            if bad.size:
                row = int(bad[0])
                raise origin.link_error(
                    row,
                    f"unknown actor '{links[name].iloc[row]}' as link {name}; "
                    "every link must join actors of the actor table",
                    name,
                )
        typed = links["kind"].isin(FLOW_LINK_KINDS | SUPPORT_LINK_KINDS).to_numpy()
        if typed.any():
            # Check each distinct (link kind, source kind, target kind) once, on integer codes.
            rows = np.flatnonzero(typed)
            lcode, lkinds = pd.factorize(links["kind"])
            lcode = lcode[rows]
            acode, akinds = pd.factorize(actors["kind"])
            na = max(len(akinds), 1)
            key = (lcode.astype(np.int64) * na + acode[src[rows]]) * na + acode[dst[rows]]
            triples, first = np.unique(key, return_index=True)
            flip = []
            for code, at in zip(triples.tolist(), first.tolist(), strict=True):
                lk, sk, tk = lkinds[code // (na * na)], akinds[code // na % na], akinds[code % na]
                if not allowed_pair(lk, sk, tk):
                    if not self.directed and allowed_pair(lk, tk, sk):
                        flip.append(code)  # undirected: stored the allowed way round
                        continue
                    row = int(rows[at])
                    raise origin.link_error(
                        row,
                        f"a '{lk}' link cannot join {_a(sk)} to {_a(tk)} "
                        f"('{links['source'].iloc[row]}' -> '{links['target'].iloc[row]}'); "
                        f"expected one of: {expected_pairs(lk)}",
                        "kind",
                    )
            if flip:
                self._flip(rows[np.isin(key, flip)])
        if MEMBERSHIP in actors and (actors["kind"] == "organization").any():
            # Organizations are actors here, so a name that is none of them is a typo or an
            # organization left out. Only a warning: analyses read the names as group labels.
            org = membership_positions(actors)
            problem = unknown_memberships(actors, org)
            if problem is not None:
                row = int(np.flatnonzero(org == UNKNOWN_ORG)[0])
                err = origin.actor_error(row, problem + "; analyses read the names as group "
                                         "labels, a simulation refuses them", MEMBERSHIP)
                warnings.warn(str(err), InputWarning, stacklevel=4)

    def _flip(self, rows: np.ndarray) -> None:
        """Swap the two ends of the given links (in the table and the cached indices)."""
        src, dst = self.source_index.copy(), self.target_index.copy()
        src[rows], dst[rows] = dst[rows], src[rows]
        links = self.links.copy()
        s = links["source"].to_numpy(dtype=object, copy=True)
        t = links["target"].to_numpy(dtype=object, copy=True)
        s[rows], t[rows] = t[rows], s[rows]
        links["source"] = pd.Series(s, index=links.index, dtype=links["source"].dtype)
        links["target"] = pd.Series(t, index=links.index, dtype=links["target"].dtype)
        self.links = links
        self._cache.src, self._cache.dst = src, dst

    # ------------------------------------------------------------------ basic properties
    @property
    def n_actors(self) -> int:
        """Number of actors."""
        return len(self.actors)

    @property
    def n_links(self) -> int:
        """Number of links."""
        return len(self.links)

    @property
    def ids(self) -> np.ndarray:
        """Actor ids in index order (an object array of str)."""
        return self.actors["id"].to_numpy(dtype=object)

    @property
    def id_index(self) -> pd.Index:
        """Map from actor id to dense index (``index.get_indexer(ids)``)."""
        if self._cache.index is None:
            self._cache.index = pd.Index(self.actors["id"].to_numpy(dtype=object))
        return self._cache.index

    def index_of(self, ids: Iterable[Any], *, field: str = "actor") -> np.ndarray:
        """Dense indices (int32) of the given actor ids; unknown ids raise :class:`InputError`."""
        ids = [str(i) for i in _as_list(ids)]
        idx = self.id_index.get_indexer(ids)
        if (idx < 0).any():
            missing = [i for i, k in zip(ids, idx, strict=True) if k < 0][:5]
            raise InputError(f"unknown actor id(s) {missing} in network '{self.name}'",
                             field=field)
        return idx.astype(np.int32)

    @property
    def source_index(self) -> np.ndarray:
        """Dense index (int32) of each link's source; -1 where unknown (only before validation)."""
        if self._cache.src is None:
            self._cache.src = positions(self.actors["id"], self.links["source"])
        return self._cache.src

    @property
    def target_index(self) -> np.ndarray:
        """Dense index (int32) of each link's target."""
        if self._cache.dst is None:
            self._cache.dst = positions(self.actors["id"], self.links["target"])
        return self._cache.dst

    @property
    def actor_kinds(self) -> pd.Series:
        """Number of actors of each kind."""
        return self.actors["kind"].value_counts().rename("actors")

    @property
    def link_kinds(self) -> pd.Series:
        """Number of links of each kind."""
        return self.links["kind"].value_counts().rename("links")

    @property
    def is_typed(self) -> bool:
        """Whether any actor has a kind other than the untyped ``actor``."""
        return bool((self.actors["kind"] != "actor").any())

    @property
    def has_flow(self) -> bool:
        """Whether the network has links that carry material."""
        return bool(self.links["kind"].isin(FLOW_LINK_KINDS - {"diverts_to"}).any())

    @property
    def phases(self) -> list:
        """Sorted distinct phases of the links (empty when the network has none)."""
        if "phase" not in self.links:
            return []
        return sorted(self.links["phase"].dropna().unique().tolist())

    def __repr__(self) -> str:
        kind = "directed" if self.directed else "undirected"
        label = f" '{self.name}'" if self.name else ""
        return f"<Network{label}: {self.n_actors} actors, {self.n_links} links, {kind}>"

    # ------------------------------------------------------------------ adjacency
    def adjacency(
        self,
        *,
        link_kinds: Iterable[str] | None = None,
        weight: str | None = None,
        symmetric: bool | None = None,
    ) -> sp.csr_array:
        """Adjacency matrix in CSR form, ``A[i, j]`` = summed weight of links i→j.

        Parameters
        ----------
        link_kinds
            Keep only links of these kinds (default: all).
        weight
            Link column to use as value (default: 1 per link, so parallel links count).
            Missing values count as 1.
        symmetric
            Add the transpose (default: when the network is undirected).

        The result is cached per arguments; do not modify it.
        """
        kinds = None if link_kinds is None else tuple(sorted(set(link_kinds)))
        sym = (not self.directed) if symmetric is None else bool(symmetric)
        key = (kinds, weight, sym)
        cached = self._cache.adjacency.get(key)
        if cached is not None:
            return cached
        mask = self._link_mask(kinds)
        src = self.source_index[mask]
        dst = self.target_index[mask]
        if weight is None:
            data = np.ones(src.size, dtype=np.float64)
        else:
            if weight not in self.links:
                raise InputError(f"no link attribute '{weight}' (links have: "
                                 f"{', '.join(self.links.columns)})", field="weight")
            data = pd.to_numeric(self.links[weight], errors="coerce").to_numpy(
                dtype=np.float64, na_value=1.0)[mask]
        n = self.n_actors
        if sym:
            loops = src == dst
            src, dst, data = (
                np.concatenate([src, dst[~loops]]),
                np.concatenate([dst, src[~loops]]),
                np.concatenate([data, data[~loops]]),
            )
        mat = sp.csr_array((data, (src, dst)), shape=(n, n))
        mat.sum_duplicates()
        self._cache.adjacency[key] = mat
        return mat

    def _link_mask(self, kinds: Iterable[str] | None) -> np.ndarray:
        if kinds is None:
            return np.ones(self.n_links, dtype=bool)
        return self.links["kind"].isin(list(kinds)).to_numpy()

    def degree(self, *, link_kinds: Iterable[str] | None = None,
               direction: Literal["all", "in", "out"] = "all") -> pd.Series:
        """Number of link ends at each actor (self-loops count twice for ``all``)."""
        if direction not in ("all", "in", "out"):
            raise InputError(f"unknown direction {direction!r}; expected all, in or out",
                             field="direction")
        mask = self._link_mask(None if link_kinds is None else tuple(link_kinds))
        n = self.n_actors
        out = np.bincount(self.source_index[mask], minlength=n)
        inn = np.bincount(self.target_index[mask], minlength=n)
        if direction == "out":
            deg = out
        elif direction == "in":
            deg = inn
        else:
            deg = out + inn
        return pd.Series(deg, index=self.actors["id"].to_numpy(dtype=object), name="degree")

    def component_labels(self, *, link_kinds: Iterable[str] | None = None) -> np.ndarray:
        """Weakly connected component of each actor (0 = the largest, then by size)."""
        adj = self.adjacency(link_kinds=link_kinds)
        _, labels = sp.csgraph.connected_components(adj, directed=True, connection="weak")
        sizes = np.bincount(labels)
        order = np.argsort(-sizes, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        return rank[labels]

    # ------------------------------------------------------------------ views
    def select(
        self,
        *,
        actor_kinds: Iterable[str] | None = None,
        link_kinds: Iterable[str] | None = None,
    ) -> Network:
        """The network restricted to actors and links of the given kinds.

        Links whose endpoints are dropped are dropped too; the actors' rows are kept as
        they are, ``organization`` too (a view, :meth:`subgraph`). Filtering only links
        shares the actor table with this network (no copy).
        """
        actor_kinds = None if actor_kinds is None else _as_list(actor_kinds)
        link_kinds = None if link_kinds is None else _as_list(link_kinds)
        for kinds, allowed, what in ((actor_kinds, ACTOR_KINDS, "actor_kinds"),
                                     (link_kinds, LINK_KINDS, "link_kinds")):
            if kinds is not None:
                unknown = sorted(set(kinds) - set(allowed))
                if unknown:
                    raise InputError(f"unknown kind(s) {unknown}; expected any of "
                                     f"{', '.join(allowed)}", field=what)
        net = self
        if link_kinds is not None:
            mask = self._link_mask(tuple(link_kinds))
            net = self._take_links(mask)
        if actor_kinds is not None:
            keep = net.actors["kind"].isin(list(actor_kinds)).to_numpy()
            net = net.subgraph(np.flatnonzero(keep), by_index=True)
        return net

    def _take_links(self, mask: np.ndarray) -> Network:
        links = self.links.loc[mask].reset_index(drop=True)
        return self._replace(
            links=links, index=self._cache.index,
            src=self.source_index[mask], dst=self.target_index[mask],
        )

    def subgraph(self, actors: Iterable[Any], *, by_index: bool = False) -> Network:
        """The network induced by a set of actors (ids, or dense indices with ``by_index``).

        One id (a string) is one actor, not a sequence of one-letter ids. A view: the
        actors' rows are kept as they are, so an ``organization`` left out stays in its
        members' rows as a group label (the people without the organization nodes keep
        their groups for resilience's replacement and brokerage); a simulation refuses such
        a view, naming the organization. :meth:`select`, :meth:`ego`, :meth:`component` and
        :meth:`at_phase` are subgraphs too; :meth:`without` is the removal that clears.
        """
        idx = np.asarray(actors if isinstance(actors, np.ndarray) else _as_list(actors))
        if not by_index:
            idx = self.index_of(idx)
        keep = np.zeros(self.n_actors, dtype=bool)
        keep[idx.astype(np.int64)] = True
        new_pos = np.cumsum(keep) - 1
        lmask = keep[self.source_index] & keep[self.target_index]
        actors_t = self.actors.loc[keep].reset_index(drop=True)
        links_t = self.links.loc[lmask].reset_index(drop=True)
        return self._replace(
            actors=actors_t, links=links_t,
            src=new_pos[self.source_index[lmask]].astype(np.int32),
            dst=new_pos[self.target_index[lmask]].astype(np.int32),
        )

    def without(self, actors: Iterable[Any]) -> Network:
        """The network with the given actors (ids) and their links removed.

        The removal of an organization is its dismantling: its members stay as
        independent actors, their ``organization`` cleared (missing) as their ``member_of``
        links go; the rest of their rows (``role`` too) is kept, and a name that is no
        actor's id (a group label of case data) is kept. (A view, :meth:`subgraph` or
        :meth:`select`, keeps the memberships.)
        """
        drop = np.zeros(self.n_actors, dtype=bool)
        drop[self.index_of(actors)] = True
        sub = self.subgraph(np.flatnonzero(~drop), by_index=True)
        if MEMBERSHIP in sub.actors and drop.any():
            sub.actors = _clear_memberships(self.actors, ~drop, sub.actors)
        return sub

    def ego(self, actor: Any, radius: int = 1, *,
            link_kinds: Iterable[str] | None = None) -> Network:
        """The ego network: ``actor`` and everyone within ``radius`` links (either
        direction; ``radius`` a whole number >= 0, 0 giving the actor alone)."""
        radius = whole_number(radius, "radius", 0)  # 1.5 ran radius 1, -1 radius 0
        start = int(self.index_of([actor])[0])
        adj = self.adjacency(link_kinds=link_kinds, symmetric=True)
        seen = np.zeros(self.n_actors, dtype=bool)
        seen[start] = True
        frontier = np.array([start])
        for _ in range(radius):
            if frontier.size == 0:
                break
            nbrs = np.unique(adj[frontier].indices)
            frontier = nbrs[~seen[nbrs]]
            seen[frontier] = True
        return self.subgraph(np.flatnonzero(seen), by_index=True)

    def component(self, actor: Any = None) -> Network:
        """The weakly connected component holding ``actor`` (default: the largest)."""
        labels = self.component_labels()
        which = 0 if actor is None else labels[self.index_of([actor])[0]]
        return self.subgraph(np.flatnonzero(labels == which), by_index=True)

    def at_phase(self, phase: Any) -> Network:
        """The network as of one phase: links of that phase and the actors they join. A
        link without a phase (an empty ``phase`` cell) is in no phase: it counts in the
        whole network only."""
        if "phase" not in self.links:
            raise InputError(f"network '{self.name}' has no phases (no link column 'phase')",
                             field="phase")
        if phase not in self.phases:
            raise InputError(f"no phase {phase!r}; the phases are {self.phases}",
                             field="phase")
        # a link without a phase (an empty cell: <NA> in an integer column) is in none
        mask = (self.links["phase"] == phase).fillna(False).to_numpy(dtype=bool)
        net = self._take_links(mask)
        used = np.zeros(self.n_actors, dtype=bool)
        used[net.source_index] = True
        used[net.target_index] = True
        sub = net.subgraph(np.flatnonzero(used), by_index=True)
        sub.name = f"{self.name} phase {phase}".strip()
        return sub

    def as_of(self, time: Any) -> Network:
        """The network at a time: links with ``start <= time < end`` (missing bounds = open)."""
        if "start" not in self.links and "end" not in self.links:
            raise InputError("the network has no link times (columns 'start'/'end')",
                             field="start")
        mask = np.ones(self.n_links, dtype=bool)
        if "start" in self.links:
            s = self.links["start"]
            mask &= (s.isna() | (s <= time)).to_numpy()
        if "end" in self.links:
            e = self.links["end"]
            mask &= (e.isna() | (e > time)).to_numpy()
        return self._take_links(mask)

    def to_undirected(self, combine: Combine = "max") -> Network:
        """One undirected link per unordered pair and kind.

        A typed link (a flow or support kind) keeps the orientation its kind allows
        (supplier to lab, dealer to market, member to organization: source upstream), so
        the network stays valid and flow analysis follows that orientation; other links
        run from the actor listed first to the one listed later.

        Numeric attributes of the links merged into one are combined by ``combine``
        (``max`` as in the UCINET covert-networks collection, ``sum``, ``min``, ``first``,
        ``last``); other attributes keep the first value. Phases stay apart: a pair
        linked in two phases keeps one link per phase. Self-loops are kept.
        """
        if combine not in ("max", "sum", "min", "first", "last"):
            raise InputError(f"unknown combine rule '{combine}'; expected max, sum, min, "
                             "first or last", field="combine")
        src, dst = self.source_index, self.target_index
        lo, hi = np.minimum(src, dst), np.maximum(src, dst)
        wrong = ~links_allowed(self.links["kind"], self.actors["kind"], lo, hi)
        lo[wrong], hi[wrong] = hi[wrong], lo[wrong]  # typed links stay source-upstream
        links = self.links.copy()
        links["source"] = self.actors["id"].to_numpy(dtype=object)[lo]
        links["target"] = self.actors["id"].to_numpy(dtype=object)[hi]
        keys = ["source", "target", "kind"] + (["phase"] if "phase" in links else [])
        numeric = [c for c in links.columns if c not in keys
                   and pd.api.types.is_numeric_dtype(links[c])
                   and not pd.api.types.is_bool_dtype(links[c])]
        agg = {c: (combine if c in numeric else "first") for c in links.columns
               if c not in keys}
        merged = links.groupby(keys, sort=False, dropna=False).agg(agg).reset_index()
        merged = merged[list(links.columns)]
        return Network._from_parts(self.actors, merged, directed=False, name=self.name,
                                   source=self.source, meta=self.meta,
                                   index=self._cache.index)

    def copy(self) -> Network:
        """A deep copy."""
        return self._replace(actors=self.actors.copy(), links=self.links.copy(),
                             index=self._cache.index, src=self._cache.src,
                             dst=self._cache.dst)

    # ------------------------------------------------------------------ comparison
    def equals(self, other: Network, *, atol: float = 1e-12) -> bool:
        """Same actors and links (as sets, any order), attributes and directedness."""
        return not self.differences(other, atol=atol)

    def differences(self, other: Network, *, atol: float = 1e-12) -> list[str]:
        """What differs between two networks (empty when they are the same)."""
        out: list[str] = []
        if self.directed != other.directed:
            out.append(f"directed {self.directed} != {other.directed}")
        a = _canonical(self.actors.drop(columns=["uid"], errors="ignore"), ["id"])
        b = _canonical(other.actors.drop(columns=["uid"], errors="ignore"), ["id"])
        out += [f"actors: {d}" for d in _frame_differences(a, b, atol)]
        keys = ["source", "target", "kind"]
        la, lb = self.links, other.links
        if not self.directed:
            la, lb = _orient(self, la), _orient(other, lb)
        extra = sorted(set(la.columns) | set(lb.columns))
        keys += [c for c in extra if c not in keys]
        out += [f"links: {d}" for d in _frame_differences(
            _canonical(la, keys), _canonical(lb, keys), atol)]
        return out

    # ------------------------------------------------------------------ interop
    def to_networkx(self, **kw: Any):
        """This network as a networkx graph; see :func:`fentanet.network.convert.to_networkx`."""
        from fentanet.network.convert import to_networkx

        return to_networkx(self, **kw)

    def to_igraph(self, **kw: Any):
        """This network as an igraph Graph; see :func:`fentanet.network.convert.to_igraph`."""
        from fentanet.network.convert import to_igraph

        return to_igraph(self, **kw)

    def summary(self) -> dict[str, Any]:
        """Counts by kind, components, density and degree summary (what ``info`` prints).

        ``links`` counts every link (parallel links of several phases or kinds too);
        ``distinct_pairs`` the linked pairs of distinct actors (ordered when directed), as
        :func:`fentanet.analysis.structure.network_measures` counts them. ``density`` is
        distinct pairs over n(n-1) (directed) or n(n-1)/2, and ``degree`` the number of
        distinct neighbours (direction ignored, self-loops left out), so neither can
        exceed its bound however many parallel links there are.
        """
        n, m = self.n_actors, self.n_links
        labels = self.component_labels()
        sizes = np.bincount(labels)
        src, dst = self.source_index.astype(np.int64), self.target_index.astype(np.int64)
        simple = src != dst
        lo, hi = np.minimum(src, dst)[simple], np.maximum(src, dst)[simple]
        undirected = np.unique(lo * max(n, 1) + hi)
        if self.directed:
            distinct = int(np.unique(src[simple] * max(n, 1) + dst[simple]).size)
        else:
            distinct = int(undirected.size)
        deg = (np.bincount(undirected // max(n, 1), minlength=n)
               + np.bincount(undirected % max(n, 1), minlength=n))
        pairs = n * (n - 1) if self.directed else n * (n - 1) / 2
        return {
            "name": self.name,
            "source": self.source,
            "directed": self.directed,
            "actors": n,
            "links": m,
            "distinct_pairs": distinct,
            "self_loops": int((~simple).sum()),
            "actor_kinds": {str(k): int(v) for k, v in self.actor_kinds.items()},
            "link_kinds": {str(k): int(v) for k, v in self.link_kinds.items()},
            "phases": [_plain(p) for p in self.phases],
            "components": int(sizes.size) if n else 0,
            "largest_component": int(sizes.max()) if n else 0,
            "isolates": int((deg == 0).sum()),
            "density": float(distinct / pairs) if pairs else 0.0,
            "degree": {
                "mean": float(deg.mean()) if n else 0.0,
                "median": float(np.median(deg)) if n else 0.0,
                "max": int(deg.max()) if n else 0,
                "min": int(deg.min()) if n else 0,
            },
        }


def links_allowed(link_kinds: pd.Series, actor_kinds: pd.Series, src: np.ndarray,
             dst: np.ndarray) -> np.ndarray:
    """Per link, whether its kind may join ``src`` to ``dst`` (each distinct triple of
    kinds checked once)."""
    lcode, lkinds = pd.factorize(link_kinds)
    acode, akinds = pd.factorize(actor_kinds)
    if not len(lcode):
        return np.ones(0, dtype=bool)
    na = max(len(akinds), 1)
    key = (lcode.astype(np.int64) * na + acode[src]) * na + acode[dst]
    triples, inverse = np.unique(key, return_inverse=True)
    ok = np.array([allowed_pair(lkinds[c // (na * na)], akinds[c // na % na],
                                akinds[c % na]) for c in triples.tolist()], dtype=bool)
    return ok[inverse.ravel()]


def _clear_memberships(actors: pd.DataFrame, keep: np.ndarray,
                       kept: pd.DataFrame) -> pd.DataFrame:
    """``kept`` (the rows of ``actors`` where ``keep``) with the membership of each actor
    whose organization is left out cleared (missing): it stays as an independent actor,
    as its ``member_of`` link goes with the organization. Names of no actor of
    ``actors`` (group labels of case data) are kept."""
    org = membership_positions(actors)
    clear = ((org >= 0) & ~keep[np.maximum(org, 0)])[keep]
    if not clear.any():
        return kept
    col = kept[MEMBERSHIP]
    if col.dtype.kind in ("i", "u"):
        col = col.astype("Int64")  # integer ids stay integers (NaN would make them 3.0)
    return kept.assign(**{MEMBERSHIP: col.mask(clear)})


# ---------------------------------------------------------------------- normalisation
def _as_list(values: Any) -> list:
    """A list of the given values; one string (or any scalar) is one value."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        return [values]
    return list(values)


def _plain(x: Any) -> Any:
    return x.item() if isinstance(x, np.generic) else x


def _as_id_column(values: pd.Series, what: str, origin: Origin, table: str) -> pd.Series:
    missing = values.isna().to_numpy()
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        err = origin.actor_error if table == "actors" else origin.link_error
        raise err(row, f"missing {what}; every {table[:-1]} needs one", what)
    out = _id_text(values)
    empty = (out == "").to_numpy()
    if empty.any():
        row = int(np.flatnonzero(empty)[0])
        err = origin.actor_error if table == "actors" else origin.link_error
        raise err(row, f"empty {what}; ids must be non-empty", what)
    return out


def _id_text(values: pd.Series) -> pd.Series:
    """Ids as text, as actor ids are read: blanks stripped, a whole number written as a
    float (``3.0``, a column pandas read with gaps) as ``3``. No missing values."""
    if pd.api.types.is_string_dtype(values) and values.dtype != object:
        return values.str.strip()
    if values.dtype == object:
        return values.astype(str).str.strip()
    if pd.api.types.is_float_dtype(values):
        arr = values.to_numpy()
        return pd.Series(np.where(arr == np.round(arr), arr.astype(np.int64).astype(str),
                                  arr.astype(str)), index=values.index)
    return values.astype(str)


UNKNOWN_ORG = -2
""":func:`membership_positions` of an actor whose organization is no actor of the table."""


def membership_positions(actors: pd.DataFrame) -> np.ndarray:
    """Row (int32) of each actor's organization in ``actors``: -1 for an independent actor
    (no :data:`MEMBERSHIP` column, or a missing or blank value), :data:`UNKNOWN_ORG` where
    the name is no actor's id. Names are matched as ids are read (:func:`_id_text`),
    hashed through Arrow as link ends are."""
    out = np.full(len(actors), -1, dtype=np.int32)
    if MEMBERSHIP not in actors:
        return out
    col = actors[MEMBERSHIP]
    has = col.notna().to_numpy()
    if not has.any():
        return out
    names = _id_text(col[has])
    given = (names != "").to_numpy()
    pos = positions(actors["id"], names[given])
    out[np.flatnonzero(has)[given]] = np.where(pos < 0, UNKNOWN_ORG, pos)
    return out


def unknown_memberships(actors: pd.DataFrame, org: np.ndarray) -> str | None:
    """What is wrong with the memberships :func:`membership_positions` found naming no
    actor (``org``, its result): how many actors, which organizations (the first three, in
    table order), two of each one's members and what was expected; ``None`` when every
    membership names an actor."""
    bad = np.flatnonzero(org == UNKNOWN_ORG)
    if not bad.size:
        return None
    names = _id_text(actors[MEMBERSHIP].iloc[bad]).to_numpy(dtype=object)
    ids = actors["id"].to_numpy(dtype=object)[bad]
    codes, orgs = pd.factorize(names)

    def members(k: int) -> str:
        who = ids[codes == k]
        return ", ".join(map(str, who[:2])) + (", ..." if who.size > 2 else "")

    n = bad.size
    actors_text = f"{n} actor{'s' if n > 1 else ''}"
    if len(orgs) == 1:
        text = (f"{actors_text} ({members(0)}) name{'s' if n == 1 else ''} organization "
                f"'{orgs[0]}', which is not an actor of the network")
    else:
        listed = [f"'{orgs[k]}' ({int((codes == k).sum())}: {members(k)})"
                  for k in range(min(len(orgs), 3))]
        more = f" and {len(orgs) - 3} more" if len(orgs) > 3 else ""
        text = (f"{actors_text} name {len(orgs)} organizations that are not actors of the "
                f"network: {', '.join(listed)}{more}")
    return (text + "; expected the id of an actor of the network (an organization), or "
            "none for an independent actor")


def _normalise_kinds(values: pd.Series | None, n: int, default: str,
                     allowed: tuple[str, ...], err):
    """Kinds in lower case, missing or blank ones the default; unknown kinds raise.

    Works on the distinct values only (a link table has few kinds and many rows) and
    returns a pandas string array (no Python object per row).
    """
    if values is None:
        return _string_column(np.zeros(n, dtype=np.int32), [default]).array
    # Normalise the distinct values only (a million links have a handful of kinds).
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    names = pd.Series(np.asarray(uniques, dtype=object), dtype=object).astype(str)
    names = names.str.strip().str.lower().replace("", default).to_numpy(dtype=object)
    bad = ~np.isin(names, allowed)
    if bad.any():
        row = int(np.flatnonzero(codes == np.flatnonzero(bad)[0])[0])
        raise err(row, f"unknown kind '{names[codes[row]]}'; expected one of "
                       f"{', '.join(allowed)}", "kind")
    table = pd.array(np.append(names, default).astype(object), dtype="str")
    return table.take(np.where(codes < 0, len(names), codes))


def _string_column(codes: np.ndarray, words: list[str]) -> pd.Series:
    """A pandas string column ``words[codes]``, decoded by Arrow (no object per row)."""
    arr = pa.DictionaryArray.from_arrays(pa.array(codes, type=pa.int32()),
                                         pa.array(words, type=pa.string()))
    return pd.Series(arr.dictionary_decode().to_pandas(), dtype="str")


def _check_numeric(frame: pd.DataFrame, columns: Iterable[str], err) -> None:
    for col in columns:
        if col not in frame:
            continue
        raw = frame[col]
        if pd.api.types.is_bool_dtype(raw):
            raise err(0, f"'{col}' must be a number, not true/false", col)
        values = pd.to_numeric(raw, errors="coerce")
        if pd.api.types.is_numeric_dtype(raw):
            nonnum = np.zeros(len(raw), dtype=bool)
        else:
            nonnum = (values.isna() & raw.notna()
                      & (raw.astype(str).str.strip() != "")).to_numpy()
        if nonnum.any():
            row = int(np.flatnonzero(nonnum)[0])
            raise err(row, f"'{col}' must be a number, got '{raw.iloc[row]}'", col)
        arr = values.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.isinf(arr) | (arr < 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise err(row, f"'{col}' must be finite and non-negative, got {arr[row]}", col)
        frame[col] = arr


def _normalise_links(links: pd.DataFrame | None, origin: Origin) -> pd.DataFrame:
    if links is None:
        return pd.DataFrame({"source": pd.Series([], dtype=object),
                             "target": pd.Series([], dtype=object),
                             "kind": pd.Series([], dtype=object),
                             "weight": pd.Series([], dtype=np.float64)})
    if not isinstance(links, pd.DataFrame):
        raise InputError("links must be a pandas DataFrame with columns source and target",
                         field="links")
    for col in ("source", "target"):
        if col not in links.columns:
            raise InputError(f"links table has no '{col}' column (columns: "
                             f"{', '.join(map(str, links.columns)) or 'none'})",
                             file=origin.file, field=col)
    links = links.reset_index(drop=True).copy()
    links.columns = [str(c) for c in links.columns]
    links["source"] = _as_id_column(links["source"], "source", origin, "links")
    links["target"] = _as_id_column(links["target"], "target", origin, "links")
    return _normalise_link_columns(links, origin)


def _normalise_link_columns(links: pd.DataFrame, origin: Origin) -> pd.DataFrame:
    """Kinds (default ``tie``), weight (default 1) and the numeric attributes of links."""
    links["kind"] = _normalise_kinds(links.get("kind"), len(links), "tie", LINK_KINDS,
                                     origin.link_error)
    if "weight" not in links:
        links["weight"] = np.ones(len(links), dtype=np.float64)
    _check_numeric(links, LINK_NUMERIC, origin.link_error)
    front = ["source", "target", "kind", "weight"]
    return links[front + [c for c in links.columns if c not in front]]


def positions(ids: pd.Series, values: pd.Series) -> np.ndarray:
    """Position (int32) of each of ``values`` among ``ids``, -1 where absent.

    Hashes through Arrow (``pyarrow.compute.index_in``), several times faster than
    ``pd.Index.get_indexer`` on a million string ids; the first of duplicate ids wins.
    """
    found = pc.index_in(_arrow_strings(values), value_set=_arrow_strings(ids))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)


def _arrow_strings(values: pd.Series) -> pa.Array:
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        return pa.array(values.array)
    return pa.array(values.astype(str).to_numpy(dtype=object), type=pa.large_string())


def _endpoints(links: pd.DataFrame) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """Actor ids in order of first appearance (source before target, link by link) and
    the dense source and target indices of the links."""
    m = len(links)
    ends = np.empty(2 * m, dtype=object)
    ends[0::2] = links["source"].to_numpy(dtype=object)
    ends[1::2] = links["target"].to_numpy(dtype=object)
    codes, uniques = pd.factorize(ends)
    codes = codes.astype(np.int32)
    return pd.Index(uniques, dtype=object), codes[0::2].copy(), codes[1::2].copy()


def _a(kind: str) -> str:
    """The kind with its indefinite article: 'a dealer', 'an official'."""
    return ("an " if kind and kind[0] in "aeiou" else "a ") + kind


def _uid_problem(actors: pd.DataFrame, uid: pd.Series, row: int, missing: np.ndarray,
                 whole: np.ndarray) -> tuple[int, str]:
    """The row of the first bad uid and what is wrong with it, for the error."""
    actor, given = actors["id"].iloc[row], actors["uid"].iloc[row]
    if missing[row] and (given is None or pd.isna(given) or str(given).strip() == ""):
        problem = f"actor '{actor}' has no uid"
    elif missing[row] or not whole[row]:
        problem = (f"uid '{given}' of actor '{actor}': expected a whole number from "
                   "-2**63 to 2**63-1")
    else:
        first = actors["id"].iloc[int(np.flatnonzero((uid == uid.iloc[row]).to_numpy())[0])]
        problem = f"uid {given} of actor '{actor}' is also the uid of actor '{first}'"
    return row, problem + "; actor 'uid' must be unique integers"


def _normalise_actors(actors, links: pd.DataFrame, origin: Origin) -> pd.DataFrame:
    if not isinstance(actors, pd.DataFrame):
        actors = pd.DataFrame({"id": list(actors)})
    else:
        actors = actors.reset_index(drop=True).copy()
        actors.columns = [str(c) for c in actors.columns]
    if "id" not in actors.columns:
        raise InputError("actors table has no 'id' column (columns: "
                         f"{', '.join(actors.columns) or 'none'})",
                         file=origin.actor_file or origin.file, field="id")
    actors["id"] = _as_id_column(actors["id"], "id", origin, "actors")
    actors["kind"] = _normalise_kinds(actors.get("kind"), len(actors), "actor", ACTOR_KINDS,
                                      origin.actor_error)
    if "uid" in actors:
        uid = pd.to_numeric(actors["uid"], errors="coerce")
        whole = np.ones(len(uid), dtype=bool)
        if not uid.isna().any() and not pd.api.types.is_integer_dtype(uid.dtype):
            v = uid.to_numpy(dtype=np.float64)  # 1.5 must not be truncated to 1
            whole = np.isfinite(v) & (v == np.trunc(v)) & (np.abs(v) < 2.0**63)
        elif not uid.isna().any() and uid.dtype.kind == "u":  # 2**63 would wrap to < 0
            whole = uid.to_numpy() < np.uint64(2**63)
        missing = uid.isna().to_numpy()
        repeated = uid.duplicated().to_numpy() & ~missing
        bad = missing | ~whole | repeated
        if bad.any():
            raise origin.actor_error(*_uid_problem(actors, uid, int(np.flatnonzero(bad)[0]),
                                                   missing, whole), "uid")
        actors["uid"] = uid.to_numpy(dtype=np.int64)
    else:
        actors["uid"] = np.arange(len(actors), dtype=np.int64)
    _check_numeric(actors, ACTOR_NUMERIC, origin.actor_error)
    if "mode" in actors:
        mode = actors["mode"]
        given = mode.notna().to_numpy() & (mode.astype(str).str.strip() != "").to_numpy()
        bad = given & ~mode.astype(str).str.strip().str.lower().isin(ROUTE_MODES).to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise origin.actor_error(row, f"unknown route mode '{mode.iloc[row]}'; expected "
                                          f"one of {', '.join(ROUTE_MODES)}", "mode")
    if "legitimate" in actors:
        actors["legitimate"] = _as_bool(actors["legitimate"], origin)
    front = ["id", "kind", "uid"]
    return actors[front + [c for c in actors.columns if c not in front]]


_TRUE = {"true", "1", "yes", "t", "y", "1.0"}
_FALSE = {"false", "0", "no", "f", "n", "0.0"}


def _as_bool(values: pd.Series, origin: Origin) -> pd.Series:
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean")
    text = values.astype(object).where(values.notna(), None)
    out = []
    for row, v in enumerate(text):
        if v is None or (isinstance(v, str) and v.strip() == ""):
            out.append(pd.NA)
            continue
        s = str(v).strip().lower()
        if s in _TRUE:
            out.append(True)
        elif s in _FALSE:
            out.append(False)
        else:
            raise origin.actor_error(row, f"'legitimate' must be true or false, got '{v}'",
                                     "legitimate")
    return pd.Series(out, index=values.index, dtype="boolean")


# ---------------------------------------------------------------------- comparison helpers
def _orient(net: Network, links: pd.DataFrame) -> pd.DataFrame:
    s = links["source"].to_numpy(dtype=object)
    t = links["target"].to_numpy(dtype=object)
    swap = s > t
    links = links.copy()
    links["source"] = np.where(swap, t, s)
    links["target"] = np.where(swap, s, t)
    return links


def _canonical(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    for c in frame.columns:
        if frame[c].isna().all():
            frame = frame.drop(columns=c)
    keys = [k for k in keys if k in frame.columns]
    cols = keys + sorted(c for c in frame.columns if c not in keys)
    frame = frame[cols]
    if keys:
        text = pd.DataFrame({k: [_norm_key(v) for v in frame[k].tolist()] for k in keys})
        order = text.sort_values(keys, kind="stable").index.to_numpy()
        frame = frame.iloc[order]
    return frame.reset_index(drop=True)


def _norm_key(v: Any) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return ""
    return str(_norm_value(v))


def _frame_differences(a: pd.DataFrame, b: pd.DataFrame, atol: float) -> list[str]:
    out = []
    if set(a.columns) != set(b.columns):
        out.append(f"columns {sorted(a.columns)} != {sorted(b.columns)}")
        return out
    if len(a) != len(b):
        out.append(f"{len(a)} rows != {len(b)} rows")
        return out
    b = b[a.columns]
    for c in a.columns:
        x, y = a[c], b[c]
        if pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y) and not (
                pd.api.types.is_bool_dtype(x) or pd.api.types.is_bool_dtype(y)):
            xa = x.to_numpy(dtype=np.float64, na_value=np.nan)
            ya = y.to_numpy(dtype=np.float64, na_value=np.nan)
            same = np.isclose(xa, ya, atol=atol, rtol=0) | (np.isnan(xa) & np.isnan(ya))
        else:
            xs = x.astype(object).where(x.notna(), None).map(_norm_value)
            ys = y.astype(object).where(y.notna(), None).map(_norm_value)
            same = (xs.to_numpy() == ys.to_numpy())
        if not np.all(same):
            row = int(np.flatnonzero(~np.asarray(same))[0])
            out.append(f"column '{c}' differs at row {row}: {x.iloc[row]!r} != {y.iloc[row]!r}")
    return out


def _norm_value(v: Any) -> Any:
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v)
    return str(v)
