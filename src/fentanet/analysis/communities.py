"""Communities: groups of actors more tied among themselves than to the rest.

Leiden (Traag, Waltman & van Eck, Sci. Rep. 9:5233, 2019) by igraph's
``community_leiden``, optimising modularity (Newman & Girvan, Phys. Rev. E 69:026113,
2004) or the Constant Potts Model (Traag, Van Dooren & Nesterov, Phys. Rev. E 84:016114,
2011); Louvain (Blondel et al., J. Stat. Mech. P10008, 2008) by networkit's PLM; label
propagation (Raghavan, Albert & Kumara, Phys. Rev. E 76:036106, 2007) by igraph. All run
on the undirected graph (direction dropped, parallel links merged, weights as strengths).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fentanet.analysis._graph import Graph, WeightAs, graph
from fentanet.analysis.structure import relabel_by_size
from fentanet.errors import InputError
from fentanet.network.model import Network

METHODS: tuple[str, ...] = ("leiden", "louvain", "label_propagation")
OBJECTIVES: tuple[str, ...] = ("modularity", "cpm")


@dataclass(frozen=True, eq=False)
class Communities:
    """A partition of the actors into communities.

    Attributes
    ----------
    membership
        Community of each actor (Series indexed by actor id): 0 is the largest community,
        then by decreasing size (ties: the community holding the earlier actor first).
    quality
        The objective's value for this partition: modularity
        Q = 1/(2m) Σ_ij [A_ij - γ k_i k_j / (2m)] δ(c_i, c_j) (NaN without links), or
        CPM quality Σ_c [m_c - γ n_c (n_c - 1) / 2] (m_c: internal link weight, n_c: size).
    objective, resolution, method, seed
        How it was found.
    """

    membership: pd.Series
    quality: float
    objective: str
    resolution: float
    method: str
    seed: int | None
    graph: Graph = field(repr=False)

    @property
    def n_communities(self) -> int:
        """Number of communities (isolated actors are communities of one)."""
        return int(self.membership.max()) + 1 if len(self.membership) else 0

    @property
    def sizes(self) -> pd.Series:
        """Number of actors in each community, largest first."""
        counts = np.bincount(self.membership.to_numpy(), minlength=self.n_communities)
        return pd.Series(counts, index=pd.RangeIndex(self.n_communities, name="community"),
                         name="size")

    def members(self, community: int) -> list[str]:
        """Actor ids of one community, in network order."""
        if not 0 <= int(community) < self.n_communities:
            raise InputError(f"no community {community}; they are numbered 0 to "
                             f"{self.n_communities - 1}", field="community")
        return self.membership.index[self.membership.to_numpy() == community].tolist()

    def table(self, top: int = 3) -> pd.DataFrame:
        """One row per community: ``size``, internal ``links`` and their ``weight``,
        ``density`` (internal links over size(size-1)/2; 0 for one actor), ``external``
        links (to other communities), and the ``top`` members by number of neighbours
        inside the community (ties: network order)."""
        g = self.graph
        comm = self.membership.to_numpy()
        k = self.n_communities
        off = g.src != g.dst
        src, dst = g.src[off], g.dst[off]
        strengths = np.ones(src.size) if g.strengths is None else g.strengths[off]
        inside = comm[src] == comm[dst]
        links = np.bincount(comm[src[inside]], minlength=k)
        weight = np.bincount(comm[src[inside]], weights=strengths[inside], minlength=k)
        external = (np.bincount(comm[src[~inside]], minlength=k)
                    + np.bincount(comm[dst[~inside]], minlength=k))
        size = np.bincount(comm, minlength=k)
        pairs = size * (size - 1) / 2
        density = np.divide(links, pairs, out=np.zeros(k), where=pairs > 0)
        inner_degree = (np.bincount(src[inside], minlength=g.n)
                        + np.bincount(dst[inside], minlength=g.n))
        order = np.lexsort((np.arange(g.n), -inner_degree, comm))
        ranked = comm[order]
        starts = np.searchsorted(ranked, np.arange(k))
        ids = g.ids
        tops = [ids[order[s:s + top]][ranked[s:s + top] == c].tolist()
                for c, s in enumerate(starts)]
        return pd.DataFrame(
            {"size": size, "links": links, "weight": weight, "density": density,
             "external": external, "top": tops},
            index=pd.RangeIndex(k, name="community"),
        )

    def __repr__(self) -> str:
        return (f"<Communities: {self.n_communities} by {self.method} ({self.objective}, "
                f"resolution {self.resolution:g}), quality {self.quality:.4f}>")


def communities(
    net: Network,
    method: str = "leiden",
    objective: str = "modularity",
    resolution: float = 1.0,
    seed: int | None = None,
    *,
    weight: str | None = None,
    weight_as: WeightAs = "strength",
    link_kinds: str | Iterable[str] | None = None,
    n_iterations: int = 2,
) -> Communities:
    """Find communities: the partition of actors that optimises an objective.

    Parameters
    ----------
    net
        The network; its person-to-person links by default (``link_kinds``), direction
        dropped, parallel links merged.
    method
        ``"leiden"`` (default; igraph), ``"louvain"`` (networkit's PLM with refinement,
        one thread so that a seed fixes the result; modularity only) or
        ``"label_propagation"`` (igraph; it optimises nothing, ``objective`` only chooses
        the quality reported).
    objective
        ``"modularity"`` (default) or ``"cpm"`` (Constant Potts Model: communities denser
        than ``resolution``; on unweighted networks a resolution near the density is a
        sensible start, while 1 gives cliques).
    resolution
        γ in the objective (1 is classical modularity).
    seed
        Fixes the result: the same seed gives the same communities. ``None``: a fresh
        random run.
    weight, weight_as
        A numeric link column as tie strengths (``weight_as="distance"`` takes 1/w).
    n_iterations
        Leiden iterations (igraph's and leidenalg's default 2; a negative number iterates
        until the partition is stable, which can be many times slower).

    Returns
    -------
    Communities
        ``membership`` (actor → community, numbered by size), ``quality``,
        ``n_communities`` and :meth:`Communities.table`.

    Examples
    --------
    >>> two = Network(links=pd.DataFrame({"source": ["a", "a", "b", "d", "d", "e", "c"],
    ...                                   "target": ["b", "c", "c", "e", "f", "f", "d"]}),
    ...               directed=False)
    >>> parts = communities(two, seed=1)
    >>> parts.membership.tolist(), round(parts.quality, 4)
    ([0, 0, 0, 1, 1, 1], 0.3571)
    """
    method = _choice(method, METHODS, "method")
    objective = _choice(objective, OBJECTIVES, "objective")
    try:
        resolution = float(resolution)
    except (TypeError, ValueError):
        raise InputError(f"resolution must be a number, got {resolution!r}",
                         field="resolution") from None
    if not np.isfinite(resolution) or resolution < 0:
        raise InputError(f"resolution must be finite and non-negative, got {resolution}",
                         field="resolution")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise InputError(f"seed must be a whole number or None, got {seed!r}", field="seed")
    g = graph(net, link_kinds=link_kinds, directed=False, weight=weight, weight_as=weight_as)
    g.require_actors("communities")
    if g.m == 0:
        raw = np.arange(g.n)
    elif method == "leiden":
        raw = _leiden(g, objective, resolution, seed, n_iterations)
    elif method == "louvain":
        if objective != "modularity":
            raise InputError("louvain optimises modularity only; use method='leiden' for "
                             "cpm", field="objective")
        raw = _louvain(g, resolution, seed)
    else:
        with _igraph_seed(seed):
            raw = np.asarray(g.igraph.community_label_propagation(
                weights=_weights(g)).membership)
    membership = relabel_by_size(raw)
    return Communities(
        membership=g.series(membership, "community"),
        quality=quality(g, membership, objective, resolution),
        objective=objective,
        resolution=resolution,
        method=method,
        seed=None if seed is None else int(seed),
        graph=g,
    )


def quality(g: Graph, membership: np.ndarray, objective: str = "modularity",
            resolution: float = 1.0) -> float:
    """Modularity or CPM quality of a partition of an undirected graph (see
    :class:`Communities`)."""
    membership = np.asarray(membership, dtype=np.int64)
    w = np.ones(g.m) if g.strengths is None else g.strengths
    if objective == "modularity":
        total = w.sum()
        if total == 0:
            return float("nan")
        k = membership.max() + 1
        inside = membership[g.src] == membership[g.dst]
        internal = np.bincount(membership[g.src[inside]], weights=w[inside], minlength=k)
        strength = (np.bincount(g.src, weights=w, minlength=g.n)
                    + np.bincount(g.dst, weights=w, minlength=g.n))
        degree_sum = np.bincount(membership, weights=strength, minlength=k)
        return float((internal / total - resolution * (degree_sum / (2 * total)) ** 2).sum())
    inside = membership[g.src] == membership[g.dst]
    sizes = np.bincount(membership).astype(np.float64)
    return float(w[inside].sum() - resolution * (sizes * (sizes - 1) / 2).sum())


def _choice(value: str, allowed: tuple[str, ...], what: str) -> str:
    name = str(value).strip().lower().replace("-", "_").replace(" ", "_")
    if name not in allowed:
        raise InputError(f"unknown {what} '{value}'; expected one of {', '.join(allowed)}",
                         field=what)
    return name


def _weights(g: Graph) -> list[float] | None:
    return None if g.strengths is None else g.strengths.tolist()


@contextmanager
def _igraph_seed(seed: int | None) -> Iterator[None]:
    """Run igraph's randomised algorithms on a private ``random.Random(seed)``."""
    import igraph

    igraph.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        igraph.set_random_number_generator(random)


def _leiden(g: Graph, objective: str, resolution: float, seed: int | None,
            n_iterations: int) -> np.ndarray:
    with _igraph_seed(seed):
        part = g.igraph.community_leiden(
            objective_function="modularity" if objective == "modularity" else "CPM",
            weights=_weights(g), resolution=resolution, n_iterations=int(n_iterations))
    return np.asarray(part.membership)


def _louvain(g: Graph, resolution: float, seed: int | None) -> np.ndarray:
    try:
        import networkit as nk
    except ImportError:  # pragma: no cover - networkit is a dependency
        raise InputError("method 'louvain' needs networkit (pip install networkit)",
                         field="method") from None
    weighted = g.strengths is not None
    data = g.strengths if weighted else np.ones(g.m)
    ng = nk.GraphFromCoo((data, (g.src.astype(np.uint64), g.dst.astype(np.uint64))),
                         n=g.n, directed=False, weighted=weighted)
    threads = nk.engineering.getMaxNumberOfThreads()
    nk.engineering.setNumberOfThreads(1)
    try:
        nk.engineering.setSeed(int(seed) if seed is not None
                               else random.getrandbits(32), False)
        algo = nk.community.PLM(ng, refine=True, gamma=resolution)
        algo.run()
        return np.asarray(algo.getPartition().getVector(), dtype=np.int64)
    finally:
        nk.engineering.setNumberOfThreads(threads)

