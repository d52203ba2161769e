"""Key players: the set of k actors whose removal most fragments the network (KPP-Neg) or
who reach most of the others (KPP-Pos).

Borgatti, S. P. (2006). Identifying sets of key players in a social network.
*Computational and Mathematical Organization Theory* 12, 21-34.

The measures, on the network seen as undirected (a link in either direction joins two
actors) and unweighted, with ``n`` actors, a set ``K`` of ``k`` actors, and ``d`` the
number of links on a shortest path (1/d = 0 when no path exists):

``fragmentation`` (KPP-Neg, Borgatti's F)
    ``F = 1 - sum_c s_c (s_c - 1) / (N (N - 1))`` over the components ``c`` (sizes
    ``s_c``) of the network left after removing ``K``, with ``N = n - k`` the number of
    actors left: the share of pairs of remaining actors that can no longer reach each
    other. 0 for a connected network, 1 when no two remaining actors are linked.
``distance_fragmentation`` (KPP-Neg, Borgatti's D_F)
    ``DF = 1 - sum_{i != j} (1/d_ij) / (N (N - 1))`` over ordered pairs of the remaining
    ``N = n - k`` actors: 1 minus the global efficiency of what is left.
``reach`` (KPP-Pos, Borgatti's m-reach)
    the share of the ``n - k`` outsiders within ``m`` links of some member of ``K``.
``distance_reach`` (KPP-Pos, Borgatti's D_R)
    ``DR = sum_{j not in K} (1/d_Kj) / n``, ``d_Kj`` the distance from the nearest
    member of ``K`` to ``j``.

Normalisations follow Borgatti's definitions as the published implementations compute
them: fragmentation is measured on the network that remains (``N = n - k``), and
distance-weighted reach divides by the original ``n``. With these, fentanet reproduces
the values pyntacle (Lucchetta et al. 2019, BMC Bioinformatics 20:453) publishes for its
key-player test network "figure 8": for example F({HS, HA, GM}) = 0.44335,
DF = 0.74676, DR = 0.50417 and 18 actors within m = 2 links.

The search is Borgatti's: a start set improved by swaps (one member out, one outsider
in) while a swap raises the score. fentanet starts from the greedy set (members added
one at a time, each the best addition), then from ``restarts`` random sets, takes the
best swap of a whole pass (steepest ascent) and keeps the best set found. Each pass
scores every possible swap exactly but cheaply: for fragmentation one depth-first search
gives the components after removing each candidate (articulation points), and for the
reach objectives a breadth-first search from each candidate explores only actors it is
nearer to than the rest of the set. ``exact=True`` enumerates every set instead.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from itertools import combinations

import numpy as np

from fentanet.analysis._graph import graph
from fentanet.analysis.flow import fixed_terminals
from fentanet.errors import InputError, whole_number
from fentanet.network.convert import as_network
from fentanet.network.model import Network

OBJECTIVES: tuple[str, ...] = ("fragmentation", "distance_fragmentation", "reach",
                               "distance_reach")
"""Key-player objectives; the first two are KPP-Neg, the last two KPP-Pos."""

NEGATIVE = frozenset({"fragmentation", "distance_fragmentation"})

EXACT_MAX_SETS = 1_000_000
"""The most sets ``exact=True`` scores (for ``distance_fragmentation``, whose sets each
cost a breadth-first search from every actor, this limit is divided by the number of
actors)."""

DEFAULT_RESTARTS: dict[str, int] = {
    "fragmentation": 8,
    "reach": 8,
    "distance_reach": 2,
    "distance_fragmentation": 1,
}
"""Random start sets tried after the greedy start, by objective. A swap pass scores
``k (n - k)`` sets: for fragmentation and reach that costs ``k`` linear-time searches, for
distance-weighted reach up to ``k n`` breadth-first searches, and for distance-weighted
fragmentation ``k n`` all-pairs searches (``O(k n^2 m)``, practical up to about a
thousand actors); the expensive objectives get fewer restarts."""

_EPS = 1e-12


@dataclass(frozen=True)
class KeyPlayerResult:
    """A key-player set and its score.

    ``actors`` are ids, in the order the search holds them; ``score`` is the objective's
    value for the set (higher is better for every objective); ``evaluations`` counts the
    sets scored; ``exact`` says whether every set was enumerated (so the set is a proven
    optimum).
    """

    actors: list[str]
    score: float
    objective: str
    k: int
    m: int | None = None
    evaluations: int = 0
    exact: bool = False
    starts: int = 1
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def _kernels():
    """The compiled kernels (imported on first use, so importing fentanet does not import
    numba)."""
    from fentanet.analysis import _kernels

    return _kernels


# ---------------------------------------------------------------------- the graph
@dataclass
class _Graph:
    """An undirected CSR graph (no self-loops) with the network's actor ids."""

    indptr: np.ndarray
    indices: np.ndarray
    ids: np.ndarray

    @property
    def n(self) -> int:
        return self.indptr.size - 1


def _graph(net: Network, link_kinds: str | Iterable[str] | None) -> _Graph:
    """The undirected simple graph of ``net`` (see :func:`fentanet.analysis._graph.graph`)
    in CSR form, both directions stored, self-loops dropped; cached with the graph."""
    g = graph(net, link_kinds=link_kinds, directed=False)
    return g.cached("kpp_csr", lambda: undirected_csr(g.src, g.dst, g.n, g.ids))


def undirected_csr(src: np.ndarray, dst: np.ndarray, n: int, ids: np.ndarray) -> _Graph:
    """CSR of the undirected edges ``src[i] -- dst[i]`` (each stored both ways, no
    self-loops, no repeated pairs)."""
    keep = src != dst
    s, d = src[keep].astype(np.int64), dst[keep].astype(np.int64)
    rows, cols = np.concatenate([s, d]), np.concatenate([d, s])
    key = np.unique(rows * n + cols)
    rows, cols = key // n, key % n
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return _Graph(indptr, cols, ids)


# ---------------------------------------------------------------------- validation
def _check_objective(objective: str) -> str:
    if objective not in OBJECTIVES:
        raise InputError(f"unknown key-player objective '{objective}'; expected one of "
                         f"{', '.join(OBJECTIVES)}", field="objective")
    return objective


def _check_k(k: int, n: int, objective: str, *, least: int = 1) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise InputError(f"k must be a whole number of actors, got {k!r}", field="k")
    k = int(k)
    if k < least:
        raise InputError(f"k must be at least {least}, got {k}", field="k")
    if k > n:
        raise InputError(f"k = {k} is larger than the network ({n} actors)", field="k")
    most = n - 2 if objective in NEGATIVE else n - 1
    if k > most:
        left = "two actors" if objective in NEGATIVE else "one outsider"
        needs = (f"needs k <= {most}" if most >= least else
                 f"needs a network of at least {least + n - most} actors")
        raise InputError(f"k = {k} leaves fewer than {left} in a network of {n} actor"
                         f"{'s' * (n != 1)}; '{objective}' {needs}", field="k")
    return k


def _check_m(m: int) -> int:
    if isinstance(m, bool) or not isinstance(m, int | np.integer) or m < 1:
        raise InputError(f"m (the reach distance) must be a whole number >= 1, got {m!r}",
                         field="m")
    return int(m)


# ---------------------------------------------------------------------- scoring
class _Scorer:
    """Scores sets and, for a set ``R``, every set ``R + {v}`` at once."""

    def __init__(self, g: _Graph, objective: str, m: int, allowed: np.ndarray):
        self.g = g
        self.objective = objective
        self.m = m
        self.allowed = allowed
        self.evaluations = 0

    def _mask(self, members: np.ndarray) -> np.ndarray:
        mask = np.zeros(self.g.n, dtype=np.bool_)
        mask[members] = True
        return mask

    def score(self, members: np.ndarray) -> float:
        """The objective for one set (dense indices)."""
        g, n, k = self.g, self.g.n, members.size
        self.evaluations += 1
        mask = self._mask(members)
        if self.objective == "fragmentation":
            sizes = _kernels().component_sizes(g.indptr, g.indices, mask)
            left = n - k
            return 1.0 - float((sizes * (sizes - 1)).sum()) / (left * (left - 1))
        if self.objective == "distance_fragmentation":
            left = n - k
            return 1.0 - _kernels().harmonic_sum(g.indptr, g.indices, mask) / (left * (left - 1))
        dist = _kernels().distances_from_set(g.indptr, g.indices, np.zeros(n, np.bool_),
                                       members.astype(np.int64))
        out = dist[~mask]
        if self.objective == "reach":
            return float((out <= self.m).sum()) / (n - k)
        reached = out[out < _kernels().UNREACHED]
        return float((1.0 / reached).sum()) / n

    def additions(self, rest: np.ndarray) -> np.ndarray:
        """Score of ``rest + {v}`` for every actor ``v`` (``-inf`` where ``v`` is in
        ``rest`` or not allowed)."""
        g, n = self.g, self.g.n
        k = rest.size + 1
        mask = self._mask(rest)
        cand = np.flatnonzero(self.allowed & ~mask)
        out = np.full(n, -np.inf)
        self.evaluations += cand.size
        if cand.size == 0:
            return out
        if self.objective == "fragmentation":
            _, after = _kernels().pair_sum_after_each(g.indptr, g.indices, mask)
            left = n - k
            out[cand] = 1.0 - after[cand] / (left * (left - 1))
            return out
        if self.objective == "distance_fragmentation":
            left = n - k
            h = _kernels().harmonic_sum_after_each(g.indptr, g.indices, mask, cand.astype(np.int64))
            out[cand] = 1.0 - h / (left * (left - 1))
            return out
        none = np.zeros(n, np.bool_)
        dist = _kernels().distances_from_set(g.indptr, g.indices, none, rest.astype(np.int64))
        outsiders = ~mask
        if self.objective == "reach":
            base = float((dist[outsiders] <= self.m).sum())
            gain = _kernels().reach_gain_each(g.indptr, g.indices, none, dist,
                                        cand.astype(np.int64), self.m, False)
            out[cand] = (base + gain - 1.0) / (n - k)
            return out
        inv = np.where(dist < _kernels().UNREACHED, 1.0 / np.maximum(dist, 1), 0.0)
        base = float(inv[outsiders].sum())
        gain = _kernels().reach_gain_each(g.indptr, g.indices, none, dist, cand.astype(np.int64),
                                    _kernels().UNREACHED, True)
        out[cand] = (base - inv[cand] + gain) / n
        return out


def _argmax(values: np.ndarray) -> int:
    """Index of the largest value; ties go to the lowest index."""
    return int(np.argmax(values))


# ---------------------------------------------------------------------- search
def _greedy(scorer: _Scorer, k: int) -> tuple[np.ndarray, float]:
    members = np.empty(0, dtype=np.int64)
    score = -np.inf
    for _ in range(k):
        gains = scorer.additions(members)
        v = _argmax(gains)
        score = float(gains[v])
        members = np.append(members, v)
    return members, score


def _swap_ascent(scorer: _Scorer, members: np.ndarray, score: float
                 ) -> tuple[np.ndarray, float]:
    """Borgatti's swap improvement, steepest ascent: each pass scores every swap of a
    member for an outsider and makes the best one, until no swap improves the score."""
    members = members.copy()
    while True:
        best = (score, -1, -1)
        for pos in range(members.size):
            rest = np.delete(members, pos)
            scores = scorer.additions(rest)
            scores[members[pos]] = -np.inf
            v = _argmax(scores)
            if scores[v] > best[0] + _EPS:
                best = (float(scores[v]), pos, v)
        if best[1] < 0:
            return members, score
        score, pos, v = best
        members[pos] = v


def _exact(scorer: _Scorer, k: int, candidates: np.ndarray) -> tuple[np.ndarray, float]:
    """Every k-set: each (k-1)-set of candidates with each later candidate added.
    Ties go to the first set in order of actor index."""
    best_score, best = -np.inf, None
    for rest in combinations(candidates.tolist(), k - 1):
        rest_arr = np.asarray(rest, dtype=np.int64)
        scores = scorer.additions(rest_arr)
        if rest:
            scores[: rest[-1] + 1] = -np.inf
        v = _argmax(scores)
        if scores[v] > best_score + _EPS:
            best_score, best = float(scores[v]), np.append(rest_arr, v)
    return best, best_score


def check_seed(seed: object) -> int | None:
    """``seed`` as an int (a whole number of at least 0, as NumPy's generators take), or
    ``None``; :class:`InputError` naming ``seed`` for anything else (``"a"`` and ``-1``
    ended in NumPy's bare TypeError and ValueError)."""
    return None if seed is None else whole_number(seed, "seed", 0)


def search(scorer: _Scorer, k: int, *, seed: int | None, restarts: int
           ) -> tuple[np.ndarray, float]:
    """Greedy start and swap ascent, then ``restarts`` random starts; the best set found
    (the earlier one on ties)."""
    members, score = _swap_ascent(scorer, *_greedy(scorer, k))
    rng = np.random.default_rng(0 if seed is None else seed)
    pool = np.flatnonzero(scorer.allowed)
    for _ in range(restarts):
        start = np.sort(rng.choice(pool, size=k, replace=False)).astype(np.int64)
        cand, cand_score = _swap_ascent(scorer, start, scorer.score(start))
        if cand_score > score + _EPS:
            members, score = cand, cand_score
    return members, score


def key_players(
    net: Network,
    k: int,
    objective: str = "fragmentation",
    *,
    m: int = 1,
    seed: int | None = None,
    restarts: int | None = None,
    exact: bool = False,
    link_kinds: str | Iterable[str] | None = None,
    candidates: Iterable[str] | None = None,
) -> KeyPlayerResult:
    """The set of ``k`` actors that best meets a key-player objective (Borgatti 2006).

    Parameters
    ----------
    net
        The network; links are taken as undirected and unweighted.
    k
        Size of the set, ``1 <= k <= n - 2`` for KPP-Neg objectives (at least two actors
        must remain) and ``k <= n - 1`` for KPP-Pos (at least one outsider).
    objective
        ``fragmentation``, ``distance_fragmentation`` (KPP-Neg: whose removal breaks the
        network most), ``reach`` or ``distance_reach`` (KPP-Pos: who reach most others).
        See the module docstring for the formulas and their normalisation.
    m
        Reach distance for ``reach``: an outsider counts when within ``m`` links.
    seed
        Seeds the random start sets (a whole number >= 0); ``None`` means 0, so results
        repeat by default.
    restarts
        Random start sets tried after the greedy one (default: by objective, see
        :data:`DEFAULT_RESTARTS`).
    exact
        Enumerate every set (a proven optimum); refused with an :class:`InputError` when
        there are more than :data:`EXACT_MAX_SETS` sets.
    link_kinds
        Links that join actors: ``"person"`` (default: flow links and ``tie``),
        ``"flow"``, ``"all"``, a kind or a list of kinds (see
        :func:`fentanet.analysis._graph.graph`).
    candidates
        Only these actors (ids; one id as text is one actor) may be chosen (default:
        all). The source and sink of an untyped flow network (``net.meta``, the
        interdiction instances) never are, as in :func:`fentanet.interdict`
        (:func:`fentanet.analysis.flow.fixed_terminals`).

    Ties between equally good sets go to the one found first: the greedy set before
    random starts, and lower actor indices (order in ``net.actors``) first.

    Examples
    --------
    >>> import pandas as pd
    >>> from fentanet import Network
    >>> bowtie = Network(links=pd.DataFrame({"source": list("aabdd"),
    ...                                      "target": list("bccce")}), directed=False)
    >>> key_players(bowtie, 1, "fragmentation").actors
    ['c']
    """
    net = as_network(net)  # a networkx or igraph graph too, as centrality takes
    objective = _check_objective(objective)
    seed = check_seed(seed)
    n = net.n_actors
    k = _check_k(k, n, objective)
    m = _check_m(m) if objective == "reach" else m
    if restarts is None:
        restarts = DEFAULT_RESTARTS[objective]
    if isinstance(restarts, bool) or not isinstance(restarts, int) or restarts < 0:
        raise InputError(f"restarts must be a whole number >= 0, got {restarts!r}",
                         field="restarts")
    g = _graph(net, link_kinds)
    allowed = np.ones(n, dtype=np.bool_)
    if candidates is not None:
        allowed[:] = False
        allowed[net.index_of(candidates, field="candidates")] = True  # one id: one actor
    fixed = fixed_terminals(net)
    allowed &= ~fixed
    if allowed.sum() < k:
        why = (f" (the flow network's source and sink, {', '.join(net.ids[fixed])}, are "
               "never chosen)" if fixed.any() else "")
        raise InputError(f"only {int(allowed.sum())} candidate actors for a set of "
                         f"k = {k}{why}", field="candidates")
    scorer = _Scorer(g, objective, m if objective == "reach" else 0, allowed)
    if exact:
        pool = np.flatnonzero(allowed)
        sets = math.comb(pool.size, k)
        limit = EXACT_MAX_SETS // (n if objective == "distance_fragmentation" else 1)
        if sets > limit:
            raise InputError(f"exact search over all {sets:,} sets of {k} among "
                             f"{pool.size} actors is beyond the limit of {limit:,} sets; "
                             "use exact=False (greedy and swap search)", field="exact")
        members, score = _exact(scorer, k, pool)
        starts = 1
    else:
        members, score = search(scorer, k, seed=seed, restarts=restarts)
        starts = 1 + restarts
    return KeyPlayerResult(
        actors=[str(x) for x in g.ids[members]],
        score=float(score),
        objective=objective,
        k=k,
        m=m if objective == "reach" else None,
        evaluations=scorer.evaluations,
        exact=bool(exact),
        starts=starts,
    )


def kpp_score(
    net: Network,
    actors: Iterable[str],
    objective: str = "fragmentation",
    m: int = 1,
    *,
    link_kinds: str | Iterable[str] | None = None,
) -> float:
    """The key-player score of a given set of actors (ids); see :func:`key_players`.

    An empty set scores the intact network: its fragmentation (0 when connected) and
    distance-weighted fragmentation (1 minus its global efficiency); reach 0.

    >>> import pandas as pd
    >>> from fentanet import Network
    >>> path = Network(links=pd.DataFrame({"source": list("abc"), "target": list("bcd")}))
    >>> kpp_score(path, ["b"], "fragmentation")   # leaves {a} and {c, d}: 1 - 2/6
    0.6666666666666667
    """
    net = as_network(net)  # a networkx or igraph graph too, as centrality takes
    objective = _check_objective(objective)
    ids = [actors] if isinstance(actors, str) else list(actors)
    if len(set(map(str, ids))) != len(ids):
        raise InputError(f"the set {ids} names an actor twice", field="actors")
    n = net.n_actors
    _check_k(len(ids), n, objective, least=0)
    if objective == "reach":
        m = _check_m(m)
    members = net.index_of(ids, field="actors").astype(np.int64)
    g = _graph(net, link_kinds)
    return _Scorer(g, objective, m, np.ones(n, np.bool_)).score(members)
