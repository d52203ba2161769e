"""Centrality: who matters in a network, by twelve standard measures.

Every measure is computed on the simple graph of :func:`fentanet.analysis._graph.graph`
(by default the person-to-person links, parallel links merged) with igraph or scipy
underneath. The defaults reproduce networkx's values and normalisations, so results can
be compared with published work that used networkx; where networkx has no normalisation
the docstring of :func:`centrality` says which one ``normalized=True`` applies.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from fentanet.analysis._graph import Graph, WeightAs, graph
from fentanet.analysis._jit import jit
from fentanet.errors import FentanetError, InputError, flag
from fentanet.network.model import Network

MEASURES: tuple[str, ...] = (
    "degree",
    "in_degree",
    "out_degree",
    "strength",
    "betweenness",
    "closeness",
    "harmonic",
    "eigenvector",
    "pagerank",
    "katz",
    "collective_influence",
    "flow_betweenness",
)
"""The measures :func:`centrality` computes."""

UNWEIGHTED: frozenset[str] = frozenset(
    {"degree", "in_degree", "out_degree", "collective_influence"})
"""Measures that count links and take no weight."""

PATH_MEASURES: frozenset[str] = frozenset({"betweenness", "closeness", "harmonic"})
"""Measures that read a weight as a length (the others that take one read a strength)."""

SAMPLED: frozenset[str] = frozenset({"betweenness", "flow_betweenness"})
"""Measures that can be estimated from a sample: of source actors (betweenness), of
connected (source, target) pairs (flow betweenness)."""

DEFAULT_MEASURES: tuple[str, ...] = ("degree", "betweenness", "closeness", "pagerank")
"""The measures :func:`centralities` computes by default: defined on every network
(eigenvector centrality is not on acyclic ones, Katz's needs α below 1/λ_max)."""


def centrality(
    net: Network,
    measure: str,
    *,
    normalized: bool = True,
    weight: str | None = None,
    weight_as: WeightAs | None = None,
    sample: int | None = None,
    seed: int | None = None,
    link_kinds: str | Iterable[str] | None = None,
    directed: bool | None = None,
    damping: float = 0.85,
    alpha: float = 0.1,
    beta: float = 1.0,
    radius: int = 2,
) -> pd.Series:
    """The centrality of every actor by one measure, as networkx computes it.

    Parameters
    ----------
    net
        The network. Links counted: ``link_kinds`` (default the person-to-person links,
        flow and ``tie``; ``"all"`` for every link; for ``flow_betweenness`` the flow
        links). Parallel links merge into one.
    measure
        One of :data:`MEASURES` (below).
    normalized
        Apply the normalisation stated for the measure (the networkx default).
    weight
        A numeric link column, or ``None`` (every link counts 1).
    weight_as
        What the weight values mean: ``"distance"`` (a length: path measures use it as
        is; strength-type measures use 1/w) or ``"strength"`` (a tie strength such as a
        call count: strength-type measures use it as is; path measures use 1/w as the
        length). Path measures (:data:`PATH_MEASURES`): betweenness, closeness, harmonic.
        Strength-type: strength, eigenvector, pagerank, katz. ``None`` (default): the
        measure's own reading, as networkx and igraph read ``weight``: a length for path
        measures, a strength for the others. Declare it when one column feeds measures of
        both types, so that they read it the same way. Parallel links merge first in the
        sense read (strengths add, distances keep the minimum).
    sample
        Betweenness and flow betweenness only (at least 2; ``None``: exact). Betweenness:
        estimate from this many source actors drawn at random (a number at least the
        actor count gives the exact value). Flow betweenness: from this many (source,
        target) pairs drawn at random among the connected ones (:func:`flow_pairs`; at
        least their number gives the exact value).
    seed
        Betweenness and flow betweenness only: the seed of the draw. Sources are
        drawn as networkx draws them (``random.Random(seed).sample``), so for the same
        seed and actor order the betweenness estimate equals
        ``networkx.betweenness_centrality(G, k=sample, seed=seed)``.
    directed
        ``None``: the network's own direction; ``False``: direction dropped.
    damping
        PageRank's damping factor (networkx's ``alpha``), default 0.85.
    alpha, beta
        Katz's attenuation factor and constant (networkx's defaults 0.1 and 1.0);
        ``alpha`` must be below 1/λ_max of the adjacency matrix.
    radius
        Collective influence's ball radius ℓ (default 2).

    Measures and normalisations (n actors; "in" = along links towards the actor):

    - ``degree``: number of distinct neighbours (in + out on directed graphs; a self-loop
      counts 2), divided by n-1 (networkx ``degree_centrality``; 1 for a lone actor).
    - ``in_degree``, ``out_degree``: directed graphs only, divided by n-1.
    - ``strength``: summed strength of the actor's links (in + out), divided by n-1; with
      no weight it equals ``degree``.
    - ``betweenness``: Freeman's shortest-path betweenness (Brandes' algorithm, igraph),
      endpoints excluded, divided by (n-1)(n-2)/2 on undirected and (n-1)(n-2) on directed
      graphs; unnormalised it counts unordered pairs on undirected graphs (networkx
      ``betweenness_centrality``). Sampled: networkx's rescaling for ``k`` sources
      (sources and other actors scaled apart).
    - ``closeness``: (r-1)/Σd over the r-1 actors that reach the actor, times (r-1)/(n-1)
      (Wasserman & Faust's correction: networkx ``closeness_centrality`` with
      ``wf_improved=True``); distances are incoming on directed graphs; 0 when no one
      reaches the actor. Unnormalised: 1/Σd.
    - ``harmonic``: Σ 1/d(v, u) over the others (incoming on directed graphs). networkx
      returns this raw sum (``harmonic_centrality``): use ``normalized=False`` for it;
      ``normalized=True`` divides by n-1 (igraph's normalisation).
    - ``eigenvector``: the leading eigenvector of Aᵀ (in-links on directed graphs) by
      networkx's power iteration on Aᵀ + I from a uniform start, unit Euclidean norm
      (networkx ``eigenvector_centrality``); unnormalised: scaled to a maximum of 1.
      Values at or below :data:`EIGENVECTOR_ZERO` (1e-6) of the largest are 0: the
      actors outside the part of the network that holds the leading eigenvalue, whose
      exact value is 0 and which the iteration leaves at about 1e-12.
    - ``pagerank``: networkx ``pagerank`` (dangling actors spread uniformly; undirected
      links count both ways); sums to 1 whatever ``normalized`` is.
    - ``katz``: x = α Aᵀ x + β (networkx ``katz_centrality``), unit Euclidean norm;
      unnormalised: the raw solution.
    - ``collective_influence``: (k_i - 1) Σ_{j at distance exactly ℓ} (k_j - 1) on the
      undirected graph without self-loops (Morone & Makse, Nature 524:65, 2015); a raw
      count, ``normalized`` has no effect.
    - ``flow_betweenness``: maximum-flow betweenness (Freeman, Borgatti & White, Social
      Networks 13:141, 1991), by default on the flow links: for every pair (s, t) of
      other actors, the part of the maximum s-t flow that needs the actor,
      ``maxflow(s, t) - maxflow(s, t without the actor)``, summed over ordered pairs on
      directed and unordered pairs on undirected graphs (R sna's ``flowbet``,
      ``cmode="rawflow"``). ``weight`` is a link capacity (parallel links add;
      ``weight_as`` is ignored); without one every link carries 1, and the measure counts
      link-disjoint paths. Normalised (Freeman et al.'s C'_F, sna's ``"normflow"``): divided
      by the summed maximum flow of the pairs not involving the actor, so 1 means every
      unit of flow between others passes through it. Sampled: ``sample`` pairs drawn
      uniformly among the :func:`flow_pairs` connected ones, the raw sums scaled by
      (connected pairs) / ``sample``. Cost: one maximum flow per connected pair, plus one
      per actor carrying that pair's flow (igraph's push-relabel, on the subgraph the
      pair's source reaches).

    Returns
    -------
    pandas.Series
        Indexed by actor id (every actor, in network order), named after the measure.

    Examples
    --------
    >>> star = Network(links=pd.DataFrame({"source": ["hub"] * 3, "target": ["a", "b", "c"]}),
    ...                directed=False)
    >>> centrality(star, "betweenness").to_dict()
    {'hub': 1.0, 'a': 0.0, 'b': 0.0, 'c': 0.0}
    """
    measure = _measure_name(measure)
    normalized = flag(normalized, "normalized")  # "no" normalised
    if weight is not None and measure in UNWEIGHTED:
        raise InputError(f"{measure} counts links and takes no weight; use 'strength' for "
                         "the weighted degree", field="weight")
    if sample is not None and measure not in SAMPLED:
        raise InputError(f"sample applies to betweenness and flow_betweenness only, not "
                         f"{measure}", field="sample")
    if measure == "flow_betweenness":
        g = graph(net, link_kinds="flow" if link_kinds is None else link_kinds,
                  directed=directed, weight=weight, weight_as="strength")
    else:
        if weight_as is None:  # the measure's own reading (networkx's)
            weight_as = "distance" if measure in PATH_MEASURES else "strength"
        g = graph(net, link_kinds=link_kinds, directed=directed, weight=weight,
                  weight_as=weight_as)
    g.require_actors(f"centrality '{measure}'")
    if measure == "betweenness":
        values = _betweenness(g, normalized, sample, seed)
    elif measure == "pagerank":
        values = _pagerank(g, damping)
    elif measure == "katz":
        values = _katz(g, normalized, alpha, beta)
    elif measure == "collective_influence":
        values = _collective_influence(g, radius)
    elif measure == "flow_betweenness":
        if g.m == 0 and link_kinds is None:
            raise InputError("the network has no flow links for flow betweenness; pass "
                             "link_kinds='person' or 'all' to use its other links",
                             field="link_kinds")
        values = _flow_betweenness(g, normalized, sample, seed)
    else:
        values = _SIMPLE[measure](g, normalized)
    return g.series(values, measure)


def centralities(
    net: Network,
    measures: Sequence[str] = DEFAULT_MEASURES,
    **options,
) -> pd.DataFrame:
    """Several centralities side by side: one column per measure, one row per actor.

    ``options`` are those of :func:`centrality`. ``weight`` goes to the measures that take
    one (all but degree, in_degree, out_degree and collective_influence); ``sample`` and
    ``seed`` go to betweenness and flow betweenness only. Without ``weight_as`` each
    measure reads ``weight`` its own way (a length for path measures, a strength for the
    others): declare it so that every column reads the weights in one sense.

    >>> net = Network(links=pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"]}))
    >>> centralities(net, ["degree", "betweenness"]).loc["b"].tolist()
    [1.0, 0.5]
    """
    if isinstance(measures, str):
        measures = [measures]
    names = [_measure_name(m) for m in measures]
    if not names:
        raise InputError("no measures given", field="measures")
    cols = {}
    for name in names:
        opts = dict(options)
        if name in UNWEIGHTED:
            opts.pop("weight", None)
            opts.pop("weight_as", None)
        if name not in SAMPLED:
            opts.pop("sample", None)
            opts.pop("seed", None)
        cols[name] = centrality(net, name, **opts)
    return pd.DataFrame(cols)


def _measure_name(measure: str) -> str:
    name = str(measure).strip().lower().replace("-", "_").replace(" ", "_")
    if name not in MEASURES:
        raise InputError(f"unknown centrality measure '{measure}'; expected one of "
                         f"{', '.join(MEASURES)}", field="measure")
    return name


# ---------------------------------------------------------------------- degree family
def _per_pair(g: Graph, values: np.ndarray, normalized: bool) -> np.ndarray:
    if not normalized:
        return values
    return values / (g.n - 1) if g.n > 1 else np.ones(g.n)


def _degree(g: Graph, normalized: bool) -> np.ndarray:
    return _per_pair(g, g.degree("all"), normalized)


def _directed_only(g: Graph, measure: str) -> None:
    if not g.directed:
        raise InputError(f"{measure} needs a directed network; this one is undirected "
                         "(use 'degree')", field="measure")


def _in_degree(g: Graph, normalized: bool) -> np.ndarray:
    _directed_only(g, "in_degree")
    return _per_pair(g, g.degree("in"), normalized)


def _out_degree(g: Graph, normalized: bool) -> np.ndarray:
    _directed_only(g, "out_degree")
    return _per_pair(g, g.degree("out"), normalized)


def _strength(g: Graph, normalized: bool) -> np.ndarray:
    s = g.degree("all", weighted=True)
    return s / (g.n - 1) if normalized and g.n > 1 else s


# ---------------------------------------------------------------------- path measures
def _lengths(g: Graph) -> list[float] | None:
    return None if g.lengths is None else g.lengths.tolist()


def _betweenness(g: Graph, normalized: bool, sample: int | None,
                 seed: int | None) -> np.ndarray:
    n = g.n
    sources = _sources(n, sample, seed)
    if n <= 2:
        return np.zeros(n)
    gi = g.igraph
    pair = 1.0 if g.directed else 2.0   # igraph counts unordered pairs on undirected graphs
    big_n = n - 1                        # networkx's N: the targets a path can end at
    if sources is None:
        raw = np.asarray(gi.betweenness(directed=g.directed, weights=_lengths(g)))
        scale = pair / (big_n * (big_n - 1)) if normalized else 1.0
        return raw * scale
    raw = np.asarray(gi.betweenness(directed=g.directed, weights=_lengths(g),
                                    sources=sources)) * pair
    k = len(sources)
    if normalized:
        s_source, s_other = 1.0 / ((k - 1) * (big_n - 1)), 1.0 / (k * (big_n - 1))
    else:
        s_source, s_other = big_n / ((k - 1) * pair), big_n / (k * pair)
    scale = np.full(n, s_other)
    scale[sources] = s_source
    return raw * scale


def _sources(n: int, sample: int | None, seed: int | None) -> list[int] | None:
    """Betweenness's source actors, drawn as networkx draws them (``None``: all of them)."""
    if sample is None:
        return None
    _check_sample(sample, "source actors")
    if sample >= n:
        return None
    _check_seed(seed)
    return random.Random(None if seed is None else int(seed)).sample(range(n), int(sample))


def _check_sample(sample: object, what: str) -> None:
    if isinstance(sample, bool) or not isinstance(sample, (int, np.integer)) or sample < 2:
        raise InputError(f"sample must be a whole number of {what}, at least 2; "
                         f"got {sample!r}", field="sample")


def _check_seed(seed: object) -> None:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise InputError(f"seed must be a whole number or None, got {seed!r}", field="seed")


def _flow_betweenness(g: Graph, normalized: bool, sample: int | None,
                      seed: int | None) -> np.ndarray:
    """Freeman, Borgatti & White's (1991) maximum-flow betweenness (see :func:`centrality`).

    Two shortcuts keep the number of maximum flows down, neither changing the value: an
    actor that carries nothing in one maximum s-t flow is not needed by the pair (that
    flow stays feasible without it), and an actor that dominates t from s (every s-t path
    passes it: igraph's dominator tree) is needed for the whole flow.

    Sampled (``sample`` below the number of connected pairs): the pairs are drawn
    uniformly without replacement from the ordered pairs (s, t) with t reachable from s,
    and each sum over pairs is scaled by (connected pairs) / ``sample`` (Horvitz-Thompson;
    the normalised value is the ratio of two such sums). Pairs without a path contribute
    nothing, so they are not drawn, and every pair drawn costs about the same (one
    maximum flow, plus one per actor carrying its flow): an estimate costs its sample.
    Drawing sources instead, as betweenness does, fails on supply networks: the few
    suppliers and labs reach most of the pairs, and 64 sources of 1,000 ranked the
    actors of a generated network almost at random (0.27 for the first actor exactly;
    shown fifth by one draw, at 0.48 by another).

    Each maximum flow runs on the subgraph of the actors its source reaches (every s-t
    path stays among them): on a supply network, a few dozen actors instead of all.
    """
    import igraph as ig

    n = g.n
    gi, cap = _flow_graph(g)
    maxflow = ig.GraphBase.maxflow  # no Flow object: the value and the arc flows
    raw, total = np.zeros(n), np.zeros(n)
    drawn = _flow_pairs(gi, n, sample, seed)
    tol = 1e-9 * max(1.0, float(cap.sum()))
    for s in range(n) if drawn is None else sorted(drawn):
        reach = sorted(gi.subcomponent(s, mode="out"))  # s among them
        if len(reach) < 2:
            continue
        # every s-t path stays among the actors s reaches: the flows on their subgraph
        sub = gi.induced_subgraph(reach, implementation="create_from_scratch")
        at = np.asarray(reach)
        c = np.asarray(sub.es["cap"])
        capacity = c.tolist()
        head = np.asarray(sub.get_edgelist(), dtype=np.int64).reshape(-1, 2)[:, 1]
        s0 = reach.index(s)
        others = [j for j in range(len(reach)) if j != s0]
        targets = others if drawn is None else [others[r] for r in drawn[s]]
        idom = sub.dominator(s0, mode="out")
        for t in targets:
            value, flow = maxflow(sub, s0, t, capacity)[:2]
            if value <= tol:
                continue
            total += value
            total[s] -= value
            total[at[t]] -= value
            through = np.bincount(head, weights=flow, minlength=at.size)
            through[[s0, t]] = 0.0
            v = idom[t]
            while v != s0:  # t's dominators: needed for all of the flow
                raw[at[v]] += value
                through[v] = 0.0
                v = idom[v]
            for v in np.flatnonzero(through > tol):
                cut = c.copy()
                cut[sub.incident(int(v), mode="all")] = 0.0
                raw[at[v]] += max(0.0, value - sub.maxflow_value(s0, t, cut.tolist()))
    if normalized:
        return np.where(total > tol, raw / np.where(total > tol, total, 1.0), 0.0)
    scale = 1.0 if drawn is None else _connected_pairs(gi, n) / sample
    return raw * scale / (1.0 if g.directed else 2.0)


def _flow_graph(g: Graph):
    """The directed igraph graph flow betweenness runs on (an undirected link carries its
    capacity either way; self-loops dropped: they carry no flow between two others), with
    the capacity of each link as the edge attribute ``cap``, and the capacities."""
    import igraph as ig

    # weights are finite and positive here (the graph builder checks them and drops 0s)
    cap = np.ones(g.m) if g.strengths is None else np.asarray(g.strengths, dtype=float)
    src, dst = g.src, g.dst
    if not g.directed:
        src, dst, cap = (np.concatenate([src, dst]), np.concatenate([dst, src]),
                         np.concatenate([cap, cap]))
    keep = src != dst
    src, dst, cap = src[keep], dst[keep], cap[keep]
    gi = ig.Graph(n=g.n, edges=np.column_stack([src, dst]).tolist(), directed=True)
    gi.es["cap"] = cap.tolist()
    return gi, cap


def flow_pairs(net: Network, *, link_kinds: str | Iterable[str] | None = None,
               directed: bool | None = None, weight: str | None = None) -> int:
    """The number of ordered pairs (s, t) of actors with a path from s to t on the links
    flow betweenness uses (the arguments as :func:`centrality`'s): what its exact value
    sums over, and what a ``sample`` of pairs is drawn from (both directions of a pair on
    an undirected network).

    >>> chain = Network(links=pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"],
    ...                                     "kind": "ships"}))
    >>> flow_pairs(chain)
    3
    """
    g = graph(net, link_kinds="flow" if link_kinds is None else link_kinds,
              directed=directed, weight=weight, weight_as="strength")
    return _connected_pairs(_flow_graph(g)[0], g.n)


def _connected_pairs(gi, n: int) -> int:
    """Ordered pairs (s, t), s != t, with t reachable from s in the igraph graph ``gi``."""
    return int(np.sum(gi.neighborhood_size(order=max(n, 1), mode="out"))) - n


def _flow_pairs(gi, n: int, sample: int | None,
                seed: int | None) -> dict[int, list[int]] | None:
    """The connected pairs drawn for flow betweenness, ``{source: [rank of the target
    among the source's reachable actors in ascending order]}`` (``None``: every pair).
    Pair ``i`` of the ``sum(reach)`` connected pairs, numbered by source then target, is
    drawn by ``random.Random(seed).sample``."""
    if sample is None:
        return None
    _check_sample(sample, "(source, target) pairs")
    _check_seed(seed)
    reach = np.asarray(gi.neighborhood_size(order=max(n, 1), mode="out"), dtype=np.int64) - 1
    pairs = int(reach.sum())
    if sample >= pairs:
        return None
    first = np.concatenate([[0], np.cumsum(reach)])
    drawn: dict[int, list[int]] = {}
    for i in sorted(random.Random(None if seed is None else int(seed)).sample(
            range(pairs), int(sample))):
        s = int(np.searchsorted(first, i, side="right")) - 1
        drawn.setdefault(s, []).append(i - int(first[s]))
    return drawn


def _closeness(g: Graph, normalized: bool) -> np.ndarray:
    n = g.n
    gi = g.igraph
    mode = "in" if g.directed else "all"
    raw = np.asarray(gi.closeness(mode=mode, weights=_lengths(g), normalized=False),
                     dtype=np.float64)
    raw = np.nan_to_num(raw, nan=0.0)
    if not normalized or n <= 1:
        return raw if n > 1 else np.zeros(n)
    if g.directed:
        per = np.asarray(gi.closeness(mode=mode, weights=_lengths(g), normalized=True),
                         dtype=np.float64)
        per = np.nan_to_num(per, nan=0.0)
        reach = np.divide(per, raw, out=np.zeros(n), where=raw > 0)    # r - 1
    else:
        labels = np.asarray(gi.connected_components().membership)
        reach = np.bincount(labels)[labels] - 1.0
    return raw * reach * reach / (n - 1)


def _harmonic(g: Graph, normalized: bool) -> np.ndarray:
    n = g.n
    mode = "in" if g.directed else "all"
    raw = np.asarray(g.igraph.harmonic_centrality(mode=mode, weights=_lengths(g),
                                                  normalized=False), dtype=np.float64)
    if normalized:
        return raw / (n - 1) if n > 1 else np.zeros(n)
    return raw


# ---------------------------------------------------------------------- walk measures
_MAX_ITER = 10_000
_TOL = 1e-12
EIGENVECTOR_ZERO = 1e-6
"""Eigenvector centralities at or below this fraction of the largest are 0.

Actors outside the part of the network that holds the leading eigenvalue (another
component; on a directed network, an actor no in-link path reaches from it) have exactly 0
(Newman, *Networks*, 2nd ed., 2018, section 7.1.2). The power iteration leaves them a
remnant of its uniform start that shrinks only by (1 + λ_c) / (1 + λ_1) a step, λ_c the
eigenvalue of their own part, and it printed as 1e-12. On 6,000 random networks of two to
five parts (up to 300 actors, undirected and directed, against NumPy's dense
eigenvectors) the remnants reached 1.3e-8 of the largest value, and they grow with the
network (the stopping rule sums over actors). 1e-6 is two orders of magnitude above that,
the resolution of networkx's default tolerance (``tol=1e-6`` in the same stopping rule),
and below every nonzero value of the case networks shipped (the least, 1.1e-5 of the
largest, in ``kpp_figure8``). A tolerance relative to the largest value, as for a
numerical rank (NumPy's ``matrix_rank``; Golub & Van Loan, *Matrix Computations*)."""


def _in_matrix(g: Graph) -> sp.csr_array:
    """Aᵀ with strengths: row v holds the links into v."""
    return g.cached("in_strength", lambda: g.adjacency("strength").T.tocsr())


def _eigenvector(g: Graph, normalized: bool) -> np.ndarray:
    n = g.n
    if g.directed and g.m and g.igraph.is_dag():
        raise InputError("eigenvector centrality is not defined on an acyclic network (the "
                         "largest eigenvalue of its adjacency matrix is 0); use katz or "
                         "pagerank", field="measure")
    at = _in_matrix(g)
    x = np.full(n, 1.0 / n)
    for _ in range(_MAX_ITER):
        last = x
        x = last + at @ last
        norm = np.linalg.norm(x)
        x = x / (norm if norm > 0 else 1.0)
        if np.abs(x - last).sum() < n * _TOL:
            break
    else:
        raise FentanetError(f"eigenvector centrality did not converge in {_MAX_ITER} "
                            "power iterations (two parts of the network compete for the "
                            "leading eigenvector); analyse the components apart")
    top = x.max() if n else 0.0
    x[x <= EIGENVECTOR_ZERO * top] = 0.0
    if not normalized:
        return x / top if top > 0 else x
    norm = np.linalg.norm(x)
    return x / norm if norm > 0 else x


def _pagerank(g: Graph, damping: float) -> np.ndarray:
    if not 0 <= damping < 1:
        raise InputError(f"damping must be in [0, 1), got {damping}", field="damping")
    n = g.n
    a = g.adjacency("strength")
    out = np.asarray(a.sum(axis=1)).ravel()
    dangling = out == 0
    inv = np.zeros(n)
    inv[~dangling] = 1.0 / out[~dangling]
    pt = g.cached("pagerank_transition", lambda: (sp.diags_array(inv) @ a).T.tocsr())
    x = np.full(n, 1.0 / n)
    base = (1.0 - damping) / n
    for _ in range(_MAX_ITER):
        last = x
        x = damping * (pt @ last + last[dangling].sum() / n) + base
        if np.abs(x - last).sum() < n * _TOL:
            return x
    raise FentanetError(f"pagerank did not converge in {_MAX_ITER} iterations")


def _katz(g: Graph, normalized: bool, alpha: float, beta: float) -> np.ndarray:
    if not alpha > 0:
        raise InputError(f"katz alpha must be positive, got {alpha}", field="alpha")
    n = g.n
    at = _in_matrix(g)
    x = np.zeros(n)
    for _ in range(_MAX_ITER):
        last = x
        x = alpha * (at @ last) + beta
        if not np.isfinite(x).all() or np.abs(x).max() > 1e150:
            break
        if np.abs(x - last).sum() < n * _TOL:
            if normalized:
                norm = np.linalg.norm(x)
                return x / norm if norm > 0 else x
            return x
    lam = _spectral_radius(at)
    raise InputError(f"katz centrality diverges for alpha={alpha}: alpha must be below "
                     f"1/λ_max = {1 / lam:.4g} for this network (λ_max ≈ {lam:.4g})",
                     field="alpha")


def _spectral_radius(mat: sp.csr_array) -> float:
    """Largest eigenvalue modulus (power iteration on |A|: Perron–Frobenius)."""
    x = np.ones(mat.shape[0])
    lam = 0.0
    for _ in range(2000):
        y = mat @ x
        norm = np.linalg.norm(y)
        if norm == 0:
            return 0.0
        new = norm / np.linalg.norm(x)
        x = y / norm
        if abs(new - lam) < 1e-9 * max(new, 1.0):
            return new
        lam = new
    return lam


# ---------------------------------------------------------------------- collective influence
def _collective_influence(g: Graph, radius: int) -> np.ndarray:
    if isinstance(radius, bool) or not isinstance(radius, (int, np.integer)) or radius < 1:
        raise InputError(f"radius (the ball radius ℓ) must be a whole number, at least 1; "
                         f"got {radius!r}", field="radius")
    u = g.undirected()
    keep = u.src != u.dst
    simple = _symmetric_csr(u.src[keep], u.dst[keep], u.n)
    deg = np.diff(simple.indptr).astype(np.int64)
    return _ci_kernel(simple.indptr.astype(np.int64), simple.indices.astype(np.int64), deg,
                      int(radius)).astype(np.float64)


def _symmetric_csr(src: np.ndarray, dst: np.ndarray, n: int) -> sp.csr_array:
    s = np.concatenate([src, dst])
    d = np.concatenate([dst, src])
    mat = sp.csr_array((np.ones(s.size, dtype=np.int8), (s, d)), shape=(n, n))
    mat.sort_indices()
    return mat


@jit
def _ci_kernel(indptr, indices, deg, radius):  # pragma: no cover - compiled
    """Σ over the frontier at distance exactly ``radius`` (BFS per actor), times k - 1."""
    n = deg.size
    out = np.zeros(n, dtype=np.int64)
    dist = np.full(n, -1, dtype=np.int64)
    queue = np.empty(n, dtype=np.int64)
    for s in range(n):
        if deg[s] <= 1:
            continue
        head = 0
        tail = 1
        queue[0] = s
        dist[s] = 0
        total = 0
        while head < tail:
            u = queue[head]
            head += 1
            d = dist[u]
            if d == radius:
                total += deg[u] - 1
                continue
            for p in range(indptr[u], indptr[u + 1]):
                v = indices[p]
                if dist[v] < 0:
                    dist[v] = d + 1
                    queue[tail] = v
                    tail += 1
        for i in range(tail):
            dist[queue[i]] = -1
        out[s] = (deg[s] - 1) * total
    return out


_SIMPLE = {
    "degree": _degree,
    "in_degree": _in_degree,
    "out_degree": _out_degree,
    "strength": _strength,
    "closeness": _closeness,
    "harmonic": _harmonic,
    "eigenvector": _eigenvector,
}
