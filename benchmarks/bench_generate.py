"""Generating a synthetic supply network: 10^4, 10^5 and 10^6 actors.

Ours: ``fentanet.generate({"actors": N}, seed=1)``, which draws the network and builds a
validated :class:`~fentanet.Network` (actor and link tables with all attributes, flow-chain
checks). Peer: building a ``networkx.DiGraph`` from the same link list (source, target
pairs only, no attributes), the step a networkx user takes once they have the edges. The
ratio is peer time / our time. The goal is 10^6 actors well under a minute.
"""

from __future__ import annotations

import networkx as nx

from benchmarks.common import Result, timeit
from fentanet import generate

GOAL_S = 60.0


def run(quick: bool, tiny: bool = False) -> list[Result]:
    sizes = ([1_000] if tiny else [10_000, 100_000] if quick
             else [10_000, 100_000, 1_000_000])
    results = []
    for n in sizes:
        big = n >= 1_000_000
        repeat, warmup = (1, 0) if big or tiny else (3, 1)
        ours = timeit(lambda n=n: generate({"actors": n}, seed=1), repeat=repeat,
                      warmup=warmup)
        net = generate({"actors": n}, seed=1)
        edges = list(zip(net.links["source"].tolist(), net.links["target"].tolist(),
                         strict=True))
        peer = timeit(lambda edges=edges: nx.DiGraph(edges), repeat=repeat, warmup=warmup)
        met = "met" if ours < GOAL_S else "NOT met"
        note = f"{net.n_links} links"
        if big:
            note += f"; goal 10^6 actors under {GOAL_S:.0f} s: {met}"
        results.append(Result(
            name=f"generate {n:.0e} actors".replace("e+0", "e"),
            ours_s=ours, peer="nx.DiGraph(edge list)", peer_s=peer, note=note,
            extra={"actors": n, "links": net.n_links},
        ))
        del edges, net
    return results
