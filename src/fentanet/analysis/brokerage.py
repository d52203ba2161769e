"""Brokerage roles of Gould & Fernandez: who brokers between which groups.

Gould, R. V. & Fernandez, R. M. (1989). Structures of mediation: a formal approach to
brokerage in transaction networks. *Sociological Methodology* 19:89-126.

An actor b *brokers* every directed two-path a → b → c whose ends are not directly linked
(no a → c) and are distinct actors (a ≠ c). The groups of a, b and c give the role:

=================  =========================  ==========================================
role               groups                     in words
=================  =========================  ==========================================
coordinator        g(a) = g(b) = g(c)         mediates inside its own group
itinerant          g(a) = g(c) ≠ g(b)         an outsider mediating inside another group
                                              (also called consultant)
representative     g(a) = g(b) ≠ g(c)         passes its group's business out
gatekeeper         g(a) ≠ g(b) = g(c)         lets outside business into its group
liaison            g(a), g(b), g(c) distinct  mediates between two other groups
=================  =========================  ==========================================

Reciprocal and undirected ties: every link is an arc (an undirected link is two arcs, one
each way), and two-paths are counted over arcs. An undirected path a - b - c with a and c
not linked is therefore two two-paths, a → b → c and c → b → a: twice a coordinator,
itinerant or liaison, or once a representative and once a gatekeeper. A reciprocal pair
a ⇄ b never makes a → b → a a two-path (its ends are the same actor). Self-loops and
parallel links do not count. This is the convention of the sna package for R (Butts).

Counting is vectorised: the open two-paths through each broker come from per-group
in- and out-neighbour counts (sparse products), minus the reciprocal returns and minus
the closed triads a → b → c with a → c, which are enumerated edge by edge with sparse
row products. Nothing loops in Python over two-paths.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from fentanet.analysis._graph import Graph, graph
from fentanet.analysis.communities import Communities
from fentanet.errors import InputError
from fentanet.network.convert import as_network
from fentanet.network.model import Network

ROLES: tuple[str, ...] = ("coordinator", "itinerant", "representative", "gatekeeper",
                          "liaison")
"""The five brokerage roles, in Gould & Fernandez's order."""

_CHUNK = 1 << 18


def brokerage(
    net: Network,
    groups: str | Mapping[Any, Any] | pd.Series | Communities,
    *,
    normalized: Literal["ratio", "z"] | None = None,
    link_kinds: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """Gould & Fernandez brokerage roles of every actor for a grouping of the actors.

    Parameters
    ----------
    net
        The network; its person-to-person links by default (``link_kinds``). Links are
        read as arcs: see the module docstring for reciprocal and undirected ties.
    groups
        The group of every actor: an actor column name (``"kind"``, ``"organization"``),
        a Series or dict from actor id to group, or a :class:`Communities` result.
    normalized
        ``None``: raw counts of brokered two-paths. ``"ratio"``: counts over their
        expectation, ``"z"``: (count - expectation) / standard deviation. Expectations and
        variances are Gould & Fernandez's, for a random digraph of the same density d
        (arcs over n(n-1)) and the same group sizes: a two-path with its ends unlinked has
        probability d²(1-d), so a coordinator in a group of size n_g expects
        d²(1-d)(n_g-1)(n_g-2), and so on. Where the expectation or variance is 0 the
        ratio or score is NaN.

    Returns
    -------
    pandas.DataFrame
        One row per actor (index ``actor``), one column per role of :data:`ROLES` and
        ``total`` (all brokered two-paths).

    Examples
    --------
    >>> net = Network(pd.DataFrame({"id": ["a", "b", "c"], "side": ["x", "y", "y"]}),
    ...               pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"]}))
    >>> brokerage(net, "side").loc["b"].tolist()
    [0, 0, 0, 1, 0, 1]
    """
    net = as_network(net)  # a networkx or igraph graph too, as centrality takes
    if normalized not in (None, "ratio", "z"):
        raise InputError(f"unknown normalized '{normalized}'; expected None, 'ratio' or 'z'",
                         field="normalized")
    g = graph(net, link_kinds=link_kinds, directed=True)
    g.require_actors("brokerage")
    codes, sizes = _group_codes(net, g, groups)
    counts = role_counts(g, codes)
    if normalized is not None:
        expect, var = _null_moments(g, codes, sizes)
        with np.errstate(divide="ignore", invalid="ignore"):
            if normalized == "ratio":
                values = np.where(expect > 0, counts / expect, np.nan)
            else:
                sd = np.sqrt(var)
                values = np.where(sd > 0, (counts - expect) / sd, np.nan)
    else:
        values = counts
    frame = pd.DataFrame(values, index=g.index.copy(), columns=[*ROLES, "total"])
    frame.index.name = "actor"
    return frame


def role_counts(g: Graph, codes: np.ndarray) -> np.ndarray:
    """Brokered two-paths per actor and role (n × 6 int64: the roles, then the total).

    Undirected edges count as an arc each way; self-loops are left out. ``codes`` is each
    vertex's group (0..k-1).
    """
    n = g.n
    codes = np.asarray(codes, dtype=np.int64)
    k = int(codes.max()) + 1 if n else 0
    keep = g.src != g.dst
    src = g.src[keep].astype(np.int64)
    dst = g.dst[keep].astype(np.int64)
    if not g.directed:  # an undirected edge is an arc each way
        src, dst = np.concatenate([src, dst]), np.concatenate([dst, src])
    gs, gd = codes[src], codes[dst]
    same = gs == gd
    indeg = np.bincount(dst, minlength=n)
    outdeg = np.bincount(src, minlength=n)
    in_own = np.bincount(dst[same], minlength=n)
    out_own = np.bincount(src[same], minlength=n)
    # reciprocal arcs a -> b whose return b -> a exists: a -> b -> a is no two-path
    key = src * n + dst
    back = np.isin(dst * n + src, key)
    rec_all = np.bincount(dst[back], minlength=n)
    rec_own = np.bincount(dst[back & same], minlength=n)
    # Σ_g in_g(b) out_g(b): two-paths whose ends share a group
    ones = np.ones(src.size)
    in_by = sp.csr_array((ones, (dst, gs)), shape=(n, max(k, 1)))
    out_by = sp.csr_array((ones, (src, gd)), shape=(n, max(k, 1)))
    ends_alike = np.rint(np.asarray(in_by.multiply(out_by).sum(axis=1)).ravel()).astype(
        np.int64)
    open_ = np.empty((n, 5), dtype=np.int64)
    open_[:, 0] = in_own * out_own - rec_own
    open_[:, 1] = (ends_alike - in_own * out_own) - (rec_all - rec_own)
    open_[:, 2] = in_own * (outdeg - out_own)
    open_[:, 3] = (indeg - in_own) * out_own
    open_[:, 4] = (indeg - in_own) * (outdeg - out_own) - (ends_alike - in_own * out_own)
    open_ -= _closed_triads(src, dst, codes, n)
    out = np.empty((n, 6), dtype=np.int64)
    out[:, :5] = open_
    out[:, 5] = open_.sum(axis=1)
    return out


def _closed_triads(src: np.ndarray, dst: np.ndarray, codes: np.ndarray,
                   n: int) -> np.ndarray:
    """Two-paths a -> b -> c closed by a -> c, counted per broker b and role."""
    closed = np.zeros(n * 5, dtype=np.int64)
    if src.size == 0:
        return closed.reshape(n, 5)
    adj = sp.csr_array((np.ones(src.size, dtype=np.int8), (src, dst)), shape=(n, n))
    adj.sum_duplicates()
    adj.data[:] = 1
    for start in range(0, src.size, _CHUNK):
        a = src[start:start + _CHUNK]
        b = dst[start:start + _CHUNK]
        common = (adj[a].multiply(adj[b])).tocoo()   # row e: the c with a -> c and b -> c
        if common.nnz == 0:
            continue
        ea, eb, c = a[common.row], b[common.row], common.col
        ga, gb, gc = codes[ea], codes[eb], codes[c]
        role = np.full(c.size, 4, dtype=np.int64)              # liaison
        role[(ga == gb) & (gb == gc)] = 0                      # coordinator
        role[(ga == gc) & (ga != gb)] = 1                      # itinerant
        role[(ga == gb) & (gb != gc)] = 2                      # representative
        role[(ga != gb) & (gb == gc)] = 3                      # gatekeeper
        closed += np.bincount(eb * 5 + role, minlength=n * 5)
    return closed.reshape(n, 5)


def _group_codes(net: Network, g: Graph,
                 groups: str | Mapping[Any, Any] | pd.Series | Communities,
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Group code (0..k-1) of every vertex and the group sizes."""
    if isinstance(groups, Communities):
        groups = groups.membership
    if isinstance(groups, str):
        if groups not in net.actors.columns:
            raise InputError(f"no actor column '{groups}' to group by (actors have: "
                             f"{', '.join(map(str, net.actors.columns))})", field="groups")
        labels = net.actors[groups]
        missing = labels.isna().to_numpy()
        if missing.any():
            row = int(np.flatnonzero(missing)[0])
            raise InputError(f"actor '{net.ids[row]}' (actors row {row + 1}) has no "
                             f"'{groups}'; every actor needs a group", field="groups")
        values = labels.to_numpy(dtype=object)
    elif isinstance(groups, (Mapping, pd.Series)):
        series = pd.Series(groups) if isinstance(groups, Mapping) else groups
        series = series.dropna()
        keys = pd.Index([str(i) for i in series.index])
        unknown = keys[g.index.get_indexer(keys) < 0]
        if len(unknown):
            raise InputError(f"groups name actors not in the network: "
                             f"{list(unknown[:5])}", field="groups")
        pos = keys.get_indexer(g.index)
        if (pos < 0).any():
            absent = g.ids[pos < 0][:5].tolist()
            raise InputError(f"groups leave out {int((pos < 0).sum())} actor(s), such as "
                             f"{absent}; every actor needs a group", field="groups")
        values = series.to_numpy(dtype=object)[pos]
    else:
        raise InputError("groups must be an actor column name, a Series or dict from actor "
                         f"id to group, or a communities result; got {type(groups).__name__}",
                         field="groups")
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), sort=False)
    codes = codes.astype(np.int64)
    return codes, np.bincount(codes, minlength=len(uniques)).astype(np.float64)


def _null_moments(g: Graph, codes: np.ndarray,
                  sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Expectation and variance of each actor's role counts under Gould & Fernandez's
    null: arcs independent with probability d, groups of the observed sizes."""
    n = float(g.n)
    keep = g.src != g.dst
    arcs = int(keep.sum()) * (1 if g.directed else 2)
    d = arcs / (n * (n - 1)) if n > 1 else 0.0
    p = d * d * (1 - d)                       # a two-path with its ends unlinked
    q = d ** 3 * (1 - d) ** 3                 # two such two-paths sharing an arc
    ni = sizes[codes]                         # size of the broker's own group
    rest = sizes.sum() - ni                   # actors outside it
    sq_all = (sizes * (sizes - 1)).sum()
    cube_all = (sizes * (sizes - 1) * (sizes - 2)).sum()
    sq_other = sq_all - ni * (ni - 1)
    cube_other = cube_all - ni * (ni - 1) * (ni - 2)
    pairs_other = rest * rest - ((sizes ** 2).sum() - ni ** 2)   # ordered, distinct groups

    def choose2(x):
        return x * (x - 1) / 2

    expect = np.empty((g.n, 6))
    expect[:, 0] = p * (ni - 1) * (ni - 2)
    expect[:, 1] = p * sq_other
    expect[:, 2] = p * rest * (ni - 1)
    expect[:, 3] = expect[:, 2]
    expect[:, 4] = p * pairs_other
    expect[:, 5] = p * (n - 1) * (n - 2)
    var = expect * (1 - p)
    var[:, 0] += 2 * (ni - 1) * (ni - 2) * (ni - 3) * q
    var[:, 1] += 2 * cube_other * q
    var[:, 2] += 2 * ((ni - 1) * choose2(rest) + rest * choose2(ni - 1)) * q
    var[:, 3] = var[:, 2]
    # liaison: Σ over the other groups h of n_h C(M - n_h, 2) with M = n - n_i, expanded
    # in powers of n_h so that it costs O(groups): [(M² - M) S1 - (2M - 1) S2 + S3] / 2
    s1, s2, s3 = sizes.sum(), (sizes ** 2).sum(), (sizes ** 3).sum()
    big_m = n - ni
    liaison = ((big_m ** 2 - big_m) * s1 - (2 * big_m - 1) * s2 + s3) / 2 \
        - ni * choose2(big_m - ni)
    var[:, 4] += 4 * liaison * q
    var[:, 5] += 2 * (n - 1) * (n - 2) * (n - 3) * q
    return expect, var
