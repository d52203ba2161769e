"""Resilience: how a network holds up as its actors are removed, one strategy at a time.

:func:`resilience` removes actors in the order a strategy gives and records a measure of
what is left after every removal, starting from the intact network. It answers the
question behind every disruption plan: which targets break the network fastest, and how
much of that survives when the organization replaces the people it loses?

Strategies rank the actors still in the network and remove the top one:

``degree``, ``betweenness``, ``katz``, ``collective_influence``
    by that centrality on the current network, computed as
    :func:`fentanet.centrality` computes it (unnormalised; person links by default).
``key_players``
    by Borgatti's fragmentation (:func:`fentanet.key_players`): sequentially the actor
    whose removal most fragments what is left; in blocks the best set of ``block``
    actors; static the best set of ``steps`` actors of the intact network.
``random``
    a random order (seeded; the mode does not matter).
``kind:<kind>[,<kind>...]``
    only actors of those kinds, by degree; ``kinds=`` restricts any other strategy the
    same way.
a list of actor ids
    that order; ``kinds=`` refuses a list naming an actor of another kind.

Markets (communities of people who use drugs, not targets) are never removed unless
named in ``kinds``, a ``kind:`` strategy or a list. The source and sink of an untyped flow
network (``net.meta``, or ``sources``/``sinks``; the interdiction instances) are never
removed, as in interdiction: they are modelling devices, and removing one stops every flow
at once (:func:`fentanet.analysis.flow.fixed_terminals`); a list naming one is refused.

Modes say when the ranking is computed again: ``sequential`` after every removal (the
"recalculated" attacks of Holme et al. 2002, which hurt most), ``block`` after every
``block`` removals, ``static`` never (the intact network's ranking).

Ties: scores equal within 1e-9 of the largest score are tied, and ties go to the actor
first in ``net.actors`` (``ties="index"``) or in a seeded random order drawn once per
repeat (``ties="random"``).

Measures, on the network of person links (by default; ``link_kinds``) among the actors
that have at least one such link in the intact network (organization nodes, joined only
by ``member_of``, are not people in this sense and are never counted):

``lcc``
    size of the largest (weakly) connected component, relative to the intact network's.
``components``
    number of components (isolated actors count one each).
``efficiency``
    global efficiency, ``E = sum_{i != j} (1/d_ij) / (N (N - 1))`` over the ``N`` actors
    left, links undirected (Latora & Marchiori 2001, Phys. Rev. Lett. 87:198701; as
    ``networkx.global_efficiency``).
``flow``
    the maximum flow from sources to markets (:func:`fentanet.max_flow`), relative to
    the intact network's; needs flow links.

Replacement, ``replacement="organization"``: when an actor that belongs to an
organization is removed, another member of the same organization takes over its role and
its links (Duijn, Kashirin & Sloot 2014, "The relative ineffectiveness of criminal
network disruption", Sci. Rep. 4:4238, where a removed actor is replaced by one of the
same value-chain role who inherits its contacts). fentanet's rule: the replacement is a
remaining member of the removed actor's organization (the ``organization`` attribute, or
the target of its ``member_of`` link) of the same kind (the same role: a lab for a lab, a
dealer for a dealer; in untyped data any member); among those the one nearest to the
removed actor over person links, then the one with most links, then by the tie rule. It
takes every link of the removed actor except its membership (links to itself are
dropped). An actor with no organization, or whose organization has no one of its kind
left, is not replaced.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from fentanet.analysis._graph import Graph, _merge, link_kind_set
from fentanet.analysis.centrality import _betweenness, _collective_influence, _katz
from fentanet.analysis.flow import fixed_terminals
from fentanet.analysis.keyplayers import (
    DEFAULT_RESTARTS,
    _kernels,
    _Scorer,
    check_seed,
    search,
    undirected_csr,
)
from fentanet.errors import InputError
from fentanet.network.convert import as_network
from fentanet.network.kinds import ACTOR_KINDS
from fentanet.network.model import Network

STRATEGIES: tuple[str, ...] = ("random", "degree", "betweenness", "katz",
                               "collective_influence", "key_players")
"""Named strategies (also ``kind:<kind>`` and a list of actor ids)."""
MODES: tuple[str, ...] = ("sequential", "block", "static")
MEASURES: tuple[str, ...] = ("lcc", "components", "efficiency", "flow")
REPLACEMENTS: tuple[str, ...] = ("organization",)
TIES: tuple[str, ...] = ("index", "random")
TIE_TOLERANCE = 1e-9
"""Scores within this share of the largest score count as tied."""


# ---------------------------------------------------------------------- validation
def _whole(value: Any, name: str, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
        raise InputError(f"{name} must be a whole number >= {least}, got {value!r}",
                         field=name)
    return int(value)


def _measures(measure: str | Sequence[str]) -> list[str]:
    names = [measure] if isinstance(measure, str) else list(measure)
    if not names:
        raise InputError("no measure given; expected any of " + ", ".join(MEASURES),
                         field="measure")
    for m in names:
        if m not in MEASURES:
            raise InputError(f"unknown resilience measure '{m}'; expected any of "
                             f"{', '.join(MEASURES)}", field="measure")
    return list(dict.fromkeys(names))


def _kind_mask(net: Network, kinds: Iterable[str], field: str) -> np.ndarray:
    kinds = [k.strip() for k in kinds if k.strip()]
    unknown = sorted(set(kinds) - set(ACTOR_KINDS))
    if unknown or not kinds:
        raise InputError(f"unknown actor kind(s) {unknown or kinds}; expected any of "
                         f"{', '.join(ACTOR_KINDS)}", field=field)
    mask = net.actors["kind"].isin(kinds).to_numpy()
    if not mask.any():
        present = net.actors["kind"].value_counts(sort=False)
        have = ", ".join(f"{k} ({v})" for k, v in present.items() if v) or "none"
        raise InputError(f"no actor of kind {', '.join(kinds)} in network "
                         f"'{net.name or 'network'}' to remove; its actor kinds: {have}",
                         field=field)
    return mask


def _organizations(net: Network) -> np.ndarray:
    """Organization code of each actor (-1: none), from the ``organization`` attribute or
    else the ``member_of`` links."""
    org = pd.Series(pd.NA, index=range(net.n_actors), dtype=object)
    found = False
    column = "organization" in net.actors.columns
    if column:
        col = net.actors["organization"]
        given = col.notna() & (col.astype(str).str.strip() != "")
        org[given.to_numpy()] = col[given].astype(str).to_numpy()
        found = bool(given.any())
    member = (net.links["kind"] == "member_of").to_numpy()
    if member.any():
        src = net.source_index[member]
        tgt = net.ids[net.target_index[member]]
        unset = org.iloc[src].isna().to_numpy()
        org.iloc[src[unset]] = tgt[unset]
        found = True
    if not found:
        why = ("its 'organization' actor attribute is empty (no actor names one: for "
               "example Network.without removed the organizations, which makes their "
               "members independents)" if column
               else "it has no 'organization' actor attribute")
        raise InputError(f"replacement='organization' needs to know who belongs to which "
                         f"organization: in network '{net.name}' {why}, and it has no "
                         "member_of links", field="replacement")
    codes, _ = pd.factorize(org, use_na_sentinel=True)
    return codes.astype(np.int64)


# ---------------------------------------------------------------------- the changing network
class _State:
    """The network as removals change it: who is alive, which links remain, and where
    replacement has moved link ends."""

    def __init__(self, net: Network, person: np.ndarray, org: np.ndarray | None):
        self.net = net
        self.n = net.n_actors
        self.src = net.source_index.astype(np.int64).copy()
        self.dst = net.target_index.astype(np.int64).copy()
        self.link_kind = net.links["kind"].to_numpy(dtype=object)
        self.person = person
        self.link_alive = np.ones(net.n_links, dtype=bool)
        self.alive = np.ones(self.n, dtype=bool)
        self.kind = net.actors["kind"].to_numpy(dtype=object)
        self.org = org
        self.moved = False
        self.dirty = np.ones(self.n, dtype=bool)
        """Actors whose component changed since the last ranking (betweenness is computed
        again only there: shortest paths never leave a component)."""
        self.scores: np.ndarray | None = None
        self._graph: Graph | None = None
        self._csr = None

    def graph(self) -> Graph:
        """The current simple graph of person links (central's :class:`Graph`)."""
        if self._graph is None:
            keep = self.person & self.link_alive
            s, d = self.src[keep], self.dst[keep]
            if not self.net.directed:
                s, d = np.minimum(s, d), np.maximum(s, d)
            s, d, _ = _merge(s, d, None, "distance", self.n)
            self._graph = Graph(self.net.id_index, s, d, None, "distance", self.net.directed,
                                self.net.name)
        return self._graph

    def csr(self):
        """The current person links as an undirected CSR graph."""
        if self._csr is None:
            g = self.graph()
            self._csr = undirected_csr(g.src, g.dst, self.n, g.ids)
        return self._csr

    def remove(self, v: int, rank: np.ndarray) -> int:
        """Remove actor ``v``; return its replacement (or -1)."""
        touching = self.link_alive & ((self.src == v) | (self.dst == v))
        heir = self._heir(v, rank) if self.org is not None else -1
        g = self.csr()
        ends = np.array([v] if heir < 0 else [v, heir], dtype=np.int64)
        reach = _kernels().distances_from_set(g.indptr, g.indices, ~self.alive, ends)
        self.dirty |= reach < _kernels().UNREACHED
        self.alive[v] = False
        if heir >= 0:
            rows = np.flatnonzero(touching & (self.link_kind != "member_of"))
            s = np.where(self.src[rows] == v, heir, self.src[rows])
            d = np.where(self.dst[rows] == v, heir, self.dst[rows])
            ok = s != d     # the heir has the removed actor's kind: every link stays valid
            self.src[rows[ok]] = s[ok]
            self.dst[rows[ok]] = d[ok]
            touching[rows[ok]] = False
            self.moved = self.moved or bool(ok.any())
        self.link_alive[touching] = False
        self._graph = None
        self._csr = None
        return heir

    def _heir(self, v: int, rank: np.ndarray) -> int:
        o = self.org[v]
        if o < 0:
            return -1
        members = np.flatnonzero(self.alive & (self.org == o))
        members = members[members != v]
        if members.size == 0:
            return -1
        pool = members[self.kind[members] == self.kind[v]]
        if pool.size == 0:
            return -1
        g = self.csr()
        dist = _kernels().distances_from_set(g.indptr, g.indices, np.zeros(self.n, np.bool_),
                                       np.array([v], dtype=np.int64))
        degree = np.diff(g.indptr)
        order = np.lexsort((rank[pool], -degree[pool], dist[pool]))
        return int(pool[order[0]])


# ---------------------------------------------------------------------- measures
class _Meter:
    """Computes the measures of a state, relative to the intact network where stated."""

    def __init__(self, net: Network, measures: list[str], population: np.ndarray,
                 flow_kw: dict):
        self.net = net
        self.measures = measures
        self.population = population
        self.flow_kw = flow_kw
        self.lcc0 = 1.0
        self.flow0 = 1.0
        self._flow_graph = None
        if "flow" in measures:
            from fentanet.analysis.flow import CARRYING_KINDS, expand

            if not net.links["kind"].isin(list(CARRYING_KINDS)).any():
                raise InputError(f"measure 'flow' needs flow links (of kinds "
                                 f"{', '.join(sorted(CARRYING_KINDS))}); network "
                                 f"'{net.name}' has none", field="measure")
            self._carrying = net.links["kind"].isin(list(CARRYING_KINDS)).to_numpy()
            self._flow_graph = expand(net, **flow_kw)
            value = self._flow_graph.solve()[0]
            if not np.isfinite(value) or value <= 0:
                what = "is unbounded (no finite cut: give actors or links a capacity, or " \
                       "markets a demand)" if value > 0 else "is 0 in the intact network"
                raise InputError(f"measure 'flow': the maximum flow of '{net.name}' {what}",
                                 field="measure")
            self.flow0 = value

    def __call__(self, state: _State) -> dict[str, float]:
        out: dict[str, float] = {}
        left = state.alive & self.population
        g = None
        if {"lcc", "components", "efficiency"} & set(self.measures):
            g = state.csr()
        if "lcc" in self.measures or "components" in self.measures:
            sizes = _kernels().component_sizes(g.indptr, g.indices, ~left)
            if "lcc" in self.measures:
                out["lcc"] = (float(sizes.max()) if sizes.size else 0.0) / self.lcc0
            if "components" in self.measures:
                out["components"] = float(sizes.size)
        if "efficiency" in self.measures:
            n = int(left.sum())
            total = _kernels().harmonic_sum(g.indptr, g.indices, ~left)
            out["efficiency"] = total / (n * (n - 1)) if n > 1 else 0.0
        if "flow" in self.measures:
            out["flow"] = self._flow(state) / self.flow0
        return out

    def _flow(self, state: _State) -> float:
        """Maximum flow with the removed actors' capacity set to 0; after replacement has
        moved links, on the expanded graph of the moved network."""
        from fentanet.analysis.flow import ARC_ACTOR, expand

        fg = self._flow_graph
        if state.moved:
            keep = state.link_alive
            if not (keep & self._carrying).any():
                return 0.0
            net, ids = self.net, self.net.ids
            links = net.links.loc[keep].reset_index(drop=True)
            links["source"] = ids[state.src[keep]]
            links["target"] = ids[state.dst[keep]]
            moved = Network._from_parts(
                net.actors, links, directed=net.directed, name=net.name, source=net.source,
                meta=net.meta, index=net.id_index,
                src=state.src[keep].astype(np.int32), dst=state.dst[keep].astype(np.int32))
            fg = expand(moved, **self.flow_kw)
        cap = fg.capacity.copy()
        arcs = np.flatnonzero(fg.role == ARC_ACTOR)
        cap[arcs[~state.alive[fg.ref[arcs]]]] = 0.0
        return float(fg.solve(cap)[0])


# ---------------------------------------------------------------------- rankings
def _top(scores: np.ndarray, allowed: np.ndarray, b: int, rank: np.ndarray) -> list[int]:
    """The ``b`` allowed actors with the highest scores; ties (within
    :data:`TIE_TOLERANCE` of the largest score) by ``rank``."""
    idx = np.flatnonzero(allowed)
    if idx.size == 0:
        return []
    s = np.asarray(scores, dtype=np.float64)[idx]
    scale = float(np.abs(s).max()) or 1.0
    q = np.round(s / (scale * TIE_TOLERANCE))
    order = np.lexsort((rank[idx], -q))
    return idx[order[:b]].tolist()


def _centrality(strategy: str, state: _State) -> np.ndarray:
    if strategy == "betweenness":
        return _betweenness_scores(state)
    g = state.graph()
    if strategy == "degree":
        return g.degree()
    if strategy == "katz":
        return _katz(g, True, 0.1, 1.0)
    return _collective_influence(g, 2)


def _betweenness_scores(state: _State) -> np.ndarray:
    """Unnormalised betweenness of the current graph, computed again only on the
    components that changed since the last call (exact: it adds up over components)."""
    g = state.graph()
    if state.scores is None:
        scores = _betweenness(g, False, None, None)
    else:
        scores = state.scores
        scores[~state.alive] = 0.0
        verts = np.flatnonzero(state.dirty & state.alive)
        if verts.size:
            inside = state.dirty[g.src] & state.dirty[g.dst]
            sub = Graph(pd.Index(verts), np.searchsorted(verts, g.src[inside]).astype(np.int32),
                        np.searchsorted(verts, g.dst[inside]).astype(np.int32), None,
                        "distance", g.directed, g.name)
            scores[verts] = _betweenness(sub, False, None, None)
    state.dirty[:] = False
    state.scores = scores
    return scores


def _key_players(state: _State, allowed: np.ndarray, b: int, rank: np.ndarray,
                 seed: int | None) -> list[int]:
    """The best fragmenting set of ``b`` allowed actors, best single remover first.

    Fragmentation counts pairs of the actors left, so it is defined while two are left: a
    set of more than ``n - 2`` of the ``n`` actors is the best set of ``n - 2`` and after it
    the other allowed actors (each part by single-removal score, then ``rank``), which
    leave no pair to fragment."""
    b = min(b, int(allowed.sum()))
    if b == 0:
        return []
    g = state.csr()
    if g.n < 3:  # no pair is left after any removal: the order is the rank's
        return _top(np.zeros(state.n), allowed, b, rank)
    scorer = _Scorer(g, "fragmentation", 0, allowed)
    single = scorer.additions(np.empty(0, dtype=np.int64))
    if b == 1:
        return _top(single, allowed, 1, rank)
    searched = min(b, g.n - 2)
    if searched == 1:
        return _top(single, allowed, b, rank)
    members, _ = search(scorer, searched, seed=seed, restarts=DEFAULT_RESTARTS["fragmentation"])
    chosen = np.zeros(state.n, dtype=bool)
    chosen[members] = True
    return _top(single, chosen, searched, rank) + _top(single, allowed & ~chosen, b - searched,
                                                        rank)


# ---------------------------------------------------------------------- the loop
def resilience(
    net: Network,
    strategy: str | Sequence[str],
    *,
    mode: str = "sequential",
    block: int = 5,
    steps: int | None = None,
    measure: str | Sequence[str] = "lcc",
    replacement: str | None = None,
    repeats: int = 1,
    seed: int | None = None,
    kinds: Iterable[str] | None = None,
    ties: str = "index",
    link_kinds: str | Iterable[str] | None = None,
    average: bool = True,
    sources: Any = None,
    sinks: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """The network's measure after each removal of an actor, by a strategy.

    Parameters
    ----------
    net
        The network (never modified).
    strategy
        ``random``, ``degree``, ``betweenness``, ``katz``, ``collective_influence``,
        ``key_players``, ``kind:<kind>[,<kind>]``, or a list of actor ids (see the module
        docstring).
    mode
        ``sequential`` (rank again after every removal), ``block`` (after every
        ``block`` removals) or ``static`` (rank the intact network once).
    block
        Removals between rankings in ``block`` mode.
    steps
        Number of removals (default: every candidate actor, or the whole list).
    measure
        ``lcc``, ``components``, ``efficiency``, ``flow``, or a list of them: one column
        each.
    replacement
        ``None`` or ``"organization"`` (module docstring).
    repeats, seed
        Runs with different random draws (random strategy, ``ties="random"``); seed a
        whole number >= 0, ``None`` meaning 0. With ``average`` the runs are averaged per
        step (columns ``<measure>`` and ``<measure>_sd``); else one row per run and step,
        with a ``repeat`` column.
    kinds
        Only actors of these kinds (one kind or a list) are removed (a list naming
        another is refused).
    ties
        ``index`` (first in ``net.actors``) or ``random``.
    link_kinds
        Links that join actors for rankings and measures (default: person links).
    sources, sinks
        For the ``flow`` measure (as :func:`fentanet.max_flow`); never removed, unless a
        source is a supplier (as in :func:`fentanet.interdict`).
    progress
        Called after each removal with the removals made so far and those to make in
        all, over the repeats (an attack on 10^4 actors takes minutes).

    Returns
    -------
    pandas.DataFrame
        One row per removal, the first for the intact network: ``removed`` (how many so
        far), ``actor`` (removed at that step; empty in row 0), ``replaced_by`` (with
        replacement) and one column per measure. ``df.attrs`` records the settings, and
        ``actors`` (those the measures count: with a person link in the intact network),
        ``removable`` (those the strategy may remove, or the list's length) and
        ``network_actors`` (every actor).

    Examples
    --------
    >>> star = Network(links=pd.DataFrame({"source": ["hub"] * 3, "target": list("abc")}),
    ...                directed=False)
    >>> resilience(star, "degree", steps=1)[["removed", "actor", "lcc"]].values.tolist()
    [[0, None, 1.0], [1, 'hub', 0.25]]
    """
    net = as_network(net)  # a networkx or igraph graph too, as centrality takes
    n = net.n_actors
    if n == 0:
        raise InputError(f"network '{net.name}' has no actors", field="net")
    if mode not in MODES:
        raise InputError(f"unknown mode '{mode}'; expected one of {', '.join(MODES)}",
                         field="mode")
    block = _whole(block, "block", 1)
    repeats = _whole(repeats, "repeats", 1)
    seed = check_seed(seed)
    if ties not in TIES:
        raise InputError(f"unknown tie rule '{ties}'; expected one of {', '.join(TIES)}",
                         field="ties")
    if replacement is not None and replacement not in REPLACEMENTS:
        raise InputError(f"unknown replacement '{replacement}'; expected "
                         f"{' or '.join(REPLACEMENTS)}, or none (no replacement: the "
                         "default)", field="replacement")
    measures = _measures(measure)
    person = net.links["kind"].isin(list(link_kind_set(link_kinds))).to_numpy()
    population = np.zeros(n, dtype=bool)
    population[net.source_index[person]] = True
    population[net.target_index[person]] = True

    given: list[int] | None = None
    fixed = fixed_terminals(net, sources, sinks)   # a flow network's source and sink
    allowed = population & (net.actors["kind"] != "market").to_numpy() & ~fixed
    if isinstance(strategy, str):
        name = strategy.strip()
        if name.startswith("kind:"):
            allowed = population & _kind_mask(net, name[5:].split(","), "strategy") & ~fixed
            if not allowed.any():
                raise InputError(f"the actors of kind {name[5:]} have none of the links the "
                                 "attack counts (link_kinds), so none can be removed",
                                 field="strategy")
            name = "degree"
        elif name not in STRATEGIES:
            raise InputError(f"unknown resilience strategy '{strategy}'; expected one of "
                             f"{', '.join(STRATEGIES)}, kind:<kind>, or a list of actor ids",
                             field="strategy")
    else:
        ids = [str(a) for a in strategy]
        if not ids:
            raise InputError("the list of actors to remove is empty", field="strategy")
        twice = sorted({a for a in ids if ids.count(a) > 1})
        if twice:
            raise InputError(f"the list of actors to remove names an actor twice: "
                             f"{', '.join(twice)}", field="strategy")
        given = net.index_of(ids, field="strategy").astype(np.int64).tolist()
        named = [a for a, v in zip(ids, given, strict=True) if fixed[v]]
        if named:
            raise InputError(f"the list names {', '.join(named)}, the source or sink of "
                             f"flow network '{net.name}' (its meta): a modelling device, not "
                             "an actor, never removed (as in interdiction); leave it out of "
                             "the list", field="strategy")
        name = "list"
        allowed = np.ones(n, dtype=bool)
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds  # one kind, not its letters
        kinds = [k.strip() for k in kinds if k.strip()]
        of_kind = _kind_mask(net, kinds, "kinds")
        if given is None:
            allowed = population & of_kind & ~fixed
        else:
            kind = net.actors["kind"].to_numpy(dtype=object)
            outside = [f"{a} ({kind[v]})" for a, v in zip(ids, given, strict=True)
                       if not of_kind[v]]
            if outside:
                raise InputError(f"the list names actor(s) not of the kinds given "
                                 f"({', '.join(kinds)}): {', '.join(outside)}; kinds "
                                 "restricts every strategy, a list too: leave them out of "
                                 "the list, or add their kinds", field="kinds")
    pool = len(given) if given is not None else int(allowed.sum())
    steps = pool if steps is None else min(_whole(steps, "steps", 0), pool)
    org = _organizations(net) if replacement else None
    meter = _Meter(net, measures, population,
                   {"sources": sources, "sinks": sinks} if "flow" in measures else {})
    intact = _State(net, person, org)
    base = meter(intact)
    if "lcc" in measures:
        meter.lcc0 = base["lcc"] or 1.0

    runs = []
    made = 0
    for r in range(repeats):
        rng = np.random.default_rng([0 if seed is None else int(seed), r])
        rank = np.arange(n) if ties == "index" else rng.permutation(n)
        state = _State(net, person, org)
        rows = [{"removed": 0, "actor": None, "replaced_by": None, **meter(state)}]
        if given is not None:
            queue = given[:steps]
        elif name == "random":
            queue = rng.permutation(np.flatnonzero(allowed))[:steps].tolist()
        elif mode == "static":
            queue = _rank(name, state, allowed, steps, rank, seed)
        else:
            queue = []
        done = 0
        while done < steps:
            if not queue:
                left = allowed & state.alive
                b = min(1 if mode == "sequential" else block, steps - done)
                queue = _rank(name, state, left, b, rank, seed)
                if not queue:
                    break
            v = queue.pop(0)
            heir = state.remove(v, rank)
            done += 1
            made += 1
            rows.append({"removed": done, "actor": str(net.ids[v]),
                         "replaced_by": str(net.ids[heir]) if heir >= 0 else None,
                         **meter(state)})
            if progress is not None:
                progress(made, repeats * steps)
        frame = pd.DataFrame(rows)
        for col in ("actor", "replaced_by"):    # ids, with None (not NaN) where empty
            frame[col] = pd.Series([row[col] for row in rows], dtype=object)
        frame.insert(0, "repeat", r)
        runs.append(frame)
    out = pd.concat(runs, ignore_index=True)
    if not replacement:
        out = out.drop(columns="replaced_by")
    if repeats == 1:
        out = out.drop(columns="repeat")
    elif average:
        grouped = out.groupby("removed", sort=True)[measures]
        mean, sd = grouped.mean(), grouped.std(ddof=1)
        out = mean.reset_index()
        for m in measures:
            out[f"{m}_sd"] = sd[m].to_numpy()
    out.attrs.update({
        "strategy": name if given is None else "list", "mode": mode, "block": block,
        "steps": steps, "measures": measures, "replacement": replacement,
        "repeats": repeats, "seed": seed, "ties": ties, "network": net.name,
        "actors": int(population.sum()), "removable": pool, "network_actors": n,
    })
    return out


def _rank(name: str, state: _State, allowed: np.ndarray, b: int, rank: np.ndarray,
          seed: int | None) -> list[int]:
    if b <= 0 or not allowed.any():
        return []
    if name == "key_players":
        return _key_players(state, allowed, b, rank, seed)
    return _top(_centrality(name, state), allowed, b, rank)
