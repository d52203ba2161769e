"""Key-player search (Borgatti 2006), k = 5, fragmentation, on 10^4 actors.

Ours: ``key_players(net, 5, "fragmentation")`` (greedy start, swap ascent, 8 random
restarts), on a generated supply network of 10^4 actors (person links) and on a
Barabási-Albert graph of 10^4 vertices. The goal is the whole search in under 30 s; the
result line's ratio is the 30 s budget over our time (above 1: goal met).

No graph library has key-player search, so the peer for the inner step is the obvious
loop: one swap pass must score every set ``R + {v}``; we do it with one depth-first search
(articulation points), the loop removes each candidate and counts components with
igraph. The loop is timed on 200 candidates and scaled to all of them (stated in the
note); the ratio is that scaled time over ours.
"""

from __future__ import annotations

import time

import igraph as ig
import numpy as np

from benchmarks.common import Result, timeit
from fentanet import from_igraph, generate
from fentanet.analysis import key_players
from fentanet.analysis._graph import graph
from fentanet.analysis.keyplayers import _graph, _Scorer

GOAL_S = 30.0


def _igraph_pass(g: ig.Graph, rest: list[int], candidates: np.ndarray) -> np.ndarray:
    """Fragmentation of rest + {v} for each candidate, by deleting vertices in igraph."""
    out = np.empty(candidates.size)
    n = g.vcount()
    left = n - len(rest) - 1
    for i, v in enumerate(candidates.tolist()):
        h = g.copy()
        h.delete_vertices([*rest, v])
        sizes = np.asarray(h.connected_components().sizes(), dtype=np.int64)
        out[i] = 1.0 - (sizes * (sizes - 1)).sum() / (left * (left - 1))
    return out


def run(quick: bool, tiny: bool = False) -> list[Result]:
    n = 300 if tiny else 10_000
    nets = {
        "supply network": generate({"actors": n}, seed=1),
        "Barabási-Albert m=2": from_igraph(ig.Graph.Barabasi(n, 2, directed=False)),
    }
    repeat = 1 if quick else 3
    results = []
    for label, net in nets.items():
        key_players(net, 5, "fragmentation", restarts=0)   # compile, build the graph
        t0 = time.perf_counter()
        res = key_players(net, 5, "fragmentation", seed=1)
        first = time.perf_counter() - t0
        ours = timeit(lambda net=net: key_players(net, 5, "fragmentation", seed=1),
                      repeat=repeat, warmup=0) if not quick else first
        results.append(Result(
            name=f"key players k=5 fragmentation, {label}, {n} actors",
            ours_s=ours, peer=f"{GOAL_S:.0f} s budget", peer_s=GOAL_S,
            goal=f"under {GOAL_S:.0f} s", min_ratio=1.0,
            note=f"F = {res.score:.4f}, {res.evaluations:,} sets scored, "
                 f"{res.starts} starts",
            extra={"actors": n, "score": res.score, "set": res.actors},
        ))

        # one swap step: score R + {v} for every candidate v
        scorer = _Scorer(_graph(net, None), "fragmentation", 0,
                         np.ones(net.n_actors, dtype=bool))
        rest = net.index_of(res.actors[:4]).astype(np.int64)
        ours_pass = timeit(lambda rest=rest, scorer=scorer: scorer.additions(rest),
                           repeat=1 if tiny else 5, warmup=1)
        g = graph(net, directed=False).igraph
        cand = np.setdiff1d(np.arange(net.n_actors), rest)
        sample = cand[:: max(1, cand.size // 200)][:20 if tiny else 200]
        check = scorer.additions(rest)[sample]
        t0 = time.perf_counter()
        loop = _igraph_pass(g, rest.tolist(), sample)
        per = (time.perf_counter() - t0) / sample.size
        assert np.allclose(loop, check)
        results.append(Result(
            name=f"one swap step (all {cand.size} candidates), {label}",
            ours_s=ours_pass, peer="igraph delete + components per candidate",
            peer_s=per * cand.size,
            note=f"peer timed on {sample.size} candidates, scaled to {cand.size}",
        ))
    return results
