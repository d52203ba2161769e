"""Reading networks: a one-million-link edge list and a labelled adjacency matrix.

Edge list: a tab-separated ``source target weight`` file of 10^6 links among 2 x 10^5
integer-named actors (with some repeated pairs), written to a temporary folder.

- Ours against pandas + networkx: ``fentanet.read(path, format="edgelist")`` (undirected,
  a repeated pair keeps its last line) against ``pd.read_csv`` + ``nx.from_pandas_edgelist``
  into a ``Graph``, which has the same semantics. Goal: at least 5x faster.
- Ours against igraph's own reader: ``fentanet.read(..., duplicates="keep")`` (every line
  a link) against ``igraph.Graph.Read_Ncol(path, weights=True, directed=False)``, igraph's
  natural call for a named, weighted edge list, which keeps every line too. Goal: within
  2x of igraph (ratio at least 0.5).

Both of ours build a validated :class:`~fentanet.Network` (actor and link tables, dense
indices). Matrix: a 3,000 x 3,000 CSV matrix, ours against ``pd.read_csv(index_col=0)`` +
``nx.from_pandas_adjacency``.

Ratios are peer time / our time (above 1: we are faster). Nothing here asserts a time.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import igraph as ig
import networkx as nx
import numpy as np
import pandas as pd

import fentanet
from benchmarks.common import Result, timeit


def edge_list(path: Path, m: int, n: int, seed: int = 7) -> None:
    """``m`` weighted links among ``n`` actors, about 1% of them repeated pairs."""
    rng = np.random.default_rng(seed)
    src = rng.integers(0, n, m)
    dst = rng.integers(0, n, m)
    rep = rng.random(m) < 0.01
    src[rep], dst[rep] = dst[np.flatnonzero(rep) - 1], src[np.flatnonzero(rep) - 1]
    weight = rng.integers(1, 10, m)
    frame = pd.DataFrame({"s": src, "t": dst, "w": weight})
    frame.to_csv(path, sep="\t", header=False, index=False)


def matrix(path: Path, n: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    dense = (rng.random((n, n)) < 0.003) * rng.integers(1, 20, (n, n))
    labels = [f"n{i}" for i in range(n)]
    pd.DataFrame(dense, index=labels, columns=labels).to_csv(path)


def run(quick: bool, tiny: bool = False) -> list[Result]:
    m = 2_000 if tiny else 100_000 if quick else 1_000_000
    repeat = 1 if tiny else 3
    n = m // 5
    size = f"{m:.0e}".replace("e+0", "e")
    results = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "links.tsv"
        edge_list(path, m, n)
        ours = timeit(lambda: fentanet.read(path, format="edgelist"), repeat=repeat)
        net = fentanet.read(path, format="edgelist")

        def nx_route():
            frame = pd.read_csv(path, sep="\t", header=None, names=["source", "target",
                                                                     "weight"])
            return nx.from_pandas_edgelist(frame, "source", "target", "weight")

        peer = timeit(nx_route, repeat=3 if quick and not tiny else 1,
                      warmup=1 if quick and not tiny else 0)
        g = nx_route()
        assert (g.number_of_nodes(), g.number_of_edges()) == (net.n_actors, net.n_links)
        results.append(Result(
            name=f"read edge list {size} links", ours_s=ours,
            peer="pd.read_csv + nx.from_pandas_edgelist", peer_s=peer,
            goal=">= 5x faster", min_ratio=5.0,
            note=f"{net.n_actors} actors, {net.n_links} links after repeated pairs merge",
            extra={"links_in_file": m, "actors": net.n_actors, "links": net.n_links}))
        del g

        ours_keep = timeit(lambda: fentanet.read(path, format="edgelist", duplicates="keep"),
                           repeat=repeat)
        peer_ig = timeit(lambda: ig.Graph.Read_Ncol(str(path), weights=True,
                                                    directed=False), repeat=repeat)
        h = ig.Graph.Read_Ncol(str(path), weights=True, directed=False)
        kept = fentanet.read(path, format="edgelist", duplicates="keep")
        assert (h.vcount(), h.ecount()) == (kept.n_actors, kept.n_links)
        results.append(Result(
            name=f"read edge list {size} links, every line", ours_s=ours_keep,
            peer="igraph.Graph.Read_Ncol", peer_s=peer_ig,
            goal="within 2x of igraph", min_ratio=0.5,
            note=f"{kept.n_links} links", extra={"links": kept.n_links}))

        k = 50 if tiny else 1000 if quick else 3000
        mpath = Path(folder) / "matrix.csv"
        matrix(mpath, k)
        ours_m = timeit(lambda: fentanet.read(mpath, format="matrix"), repeat=repeat)
        peer_m = timeit(lambda: nx.from_pandas_adjacency(
            pd.read_csv(mpath, index_col=0), create_using=nx.DiGraph), repeat=1, warmup=0)
        mnet = fentanet.read(mpath, format="matrix")
        results.append(Result(
            name=f"read {k}x{k} matrix", ours_s=ours_m,
            peer="pd.read_csv + nx.from_pandas_adjacency", peer_s=peer_m,
            note=f"{mnet.n_links} links", extra={"actors": k, "links": mnet.n_links}))
    return results
