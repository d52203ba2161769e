"""Sequential betweenness attack on 10^3 actors: fentanet against the same loop in networkx.

The loop: rank the actors by betweenness, remove the top one, record the size of the
largest component, and rank again. Ours: ``resilience(net, "betweenness",
mode="sequential", steps=K)`` (igraph's betweenness, computed again only on the component
that changed). Peer: the same loop written with networkx (``betweenness_centrality``,
``remove_node``, ``connected_components``). Both run the same K removals on the same
graph and remove the same actors (checked); the goal is a ratio of at least 20.

Networks: a Barabási-Albert graph of 1000 vertices (m = 3) and the person links of a
generated supply network of 1000 actors.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from benchmarks.common import Result, timeit
from fentanet import from_networkx, generate
from fentanet.analysis._graph import graph
from fentanet.analysis.resilience import resilience

GOAL = 20.0


def _nx_loop(g: nx.Graph, steps: int) -> list:
    g = g.copy()
    comps = nx.weakly_connected_components if g.is_directed() else nx.connected_components
    lcc0 = max(len(c) for c in comps(g))
    position = {v: i for i, v in enumerate(g)}
    removed, lcc = [], []
    for _ in range(steps):
        bc = nx.betweenness_centrality(g, normalized=False)
        top = max(bc.values())
        v = min((u for u in bc if bc[u] >= top * (1 - 1e-9)), key=position.get)
        g.remove_node(v)
        removed.append(v)
        lcc.append(max(len(c) for c in comps(g)) / lcc0)
    return removed


def _person_graph(net) -> nx.Graph:
    """The person links of a network as networkx sees them (simple, actors with links)."""
    g = graph(net)
    h = nx.DiGraph() if g.directed else nx.Graph()
    used = np.union1d(g.src, g.dst)
    h.add_nodes_from(g.ids[used].tolist())
    h.add_edges_from(zip(g.ids[g.src].tolist(), g.ids[g.dst].tolist(), strict=True))
    return h


def run(quick: bool, tiny: bool = False) -> list[Result]:
    steps = 2 if tiny else 5 if quick else 20
    n = 100 if tiny else 1000
    ba = nx.barabasi_albert_graph(n, 3, seed=1)
    ba = nx.relabel_nodes(ba, {v: f"v{v:04d}" for v in ba})
    supply = generate({"actors": max(n, 200)}, seed=1)
    cases = {
        f"Barabási-Albert n={n} m=3": (from_networkx(ba), ba),
        f"supply network, {supply.n_actors} actors": (supply, _person_graph(supply)),
    }
    results = []
    for label, (net, g) in cases.items():
        resilience(net, "betweenness", steps=2)   # warm up: compile, import
        ours_df = resilience(net, "betweenness", steps=steps)
        theirs = _nx_loop(g, steps)
        same = ours_df["actor"].tolist()[1:] == theirs
        ours = timeit(lambda net=net: resilience(net, "betweenness", steps=steps),
                      repeat=1 if quick else 3, warmup=0)
        peer = timeit(lambda g=g: _nx_loop(g, steps), repeat=1, warmup=0)
        results.append(Result(
            name=f"sequential betweenness, {steps} removals, {label}",
            ours_s=ours, peer="networkx loop", peer_s=peer, goal=f">= {GOAL:.0f}x",
            min_ratio=GOAL,
            note=f"{g.number_of_nodes()} actors, {g.number_of_edges()} links; same "
                 f"removals: {same}; LCC after {steps}: {ours_df['lcc'].iloc[-1]:.3f}",
        ))
    net = cases[f"Barabási-Albert n={n} m=3"][0]
    whole = timeit(lambda: resilience(net, "betweenness"), repeat=1, warmup=0)
    results.append(Result(name="sequential betweenness, every actor removed, "
                               f"Barabási-Albert n={n}", ours_s=whole,
                          note=f"{n} removals; the peer would take about {n} betweenness "
                               "computations"))
    return results
