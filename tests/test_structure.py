"""Components and whole-network measures against networkx, by hand, and on CAVIAR."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from fentanet import InputError, Network
from fentanet.analysis import components, network_measures


def random_net(n, m, directed, seed):
    rng = np.random.default_rng(seed)
    ids = [f"v{i}" for i in range(n)]
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    links = pd.DataFrame({"source": [ids[i] for i in src], "target": [ids[i] for i in dst]})
    net = Network(pd.DataFrame({"id": ids}), links, directed=directed)
    g = nx.DiGraph() if directed else nx.Graph()
    g.add_nodes_from(ids)
    g.add_edges_from(zip(links["source"], links["target"], strict=True))
    return net, g


@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_components_equal_networkx_numbered_by_size(directed, seed):
    net, g = random_net(200, 150, directed, seed)
    for connection, oracle in (("weak", nx.weakly_connected_components if directed
                                else nx.connected_components),
                               ("strong", nx.strongly_connected_components if directed
                                else nx.connected_components)):
        labels = components(net, connection=connection)
        pos = {a: i for i, a in enumerate(net.ids)}
        want = sorted((sorted(c) for c in oracle(g)),
                      key=lambda c: (-len(c), min(pos[a] for a in c)))
        got = [sorted(labels.index[labels == k]) for k in range(labels.max() + 1)]
        assert got == want
        sizes = np.bincount(labels.to_numpy())
        assert (np.diff(sizes) <= 0).all()


def test_star_and_cycle_centralization_by_hand():
    star = Network(links=pd.DataFrame({"source": ["h"] * 5, "target": list("abcde")}),
                   directed=False)
    m = network_measures(star)
    assert m["actors"] == 6 and m["links"] == 5
    assert m["density"] == pytest.approx(5 / 15)
    assert m["degree_centralization"] == pytest.approx(1.0)
    assert m["betweenness_centralization"] == pytest.approx(1.0)
    assert m["transitivity"] == 0.0 and m["components"] == 1 and m["isolates"] == 0
    ring = Network(links=pd.DataFrame({"source": list("abcde"), "target": list("bcdea")}),
                   directed=False)
    m = network_measures(ring)
    assert m["degree_centralization"] == 0.0 and m["betweenness_centralization"] == 0.0
    # a path a-b-c: degree Σ(2-1)*2/((3-1)(3-2)) = 1; b's betweenness 1, others 0 -> 1
    path = Network(["a", "b", "c", "z"], pd.DataFrame({"source": ["a", "b"],
                                                       "target": ["b", "c"]}))
    m = network_measures(path)
    assert m["links"] == 2 and m["density"] == pytest.approx(2 / 12)
    assert m["components"] == 2 and m["largest_component"] == 3 and m["isolates"] == 1
    # undirected: degrees 1, 2, 1, 0 -> Σ(2 - d) = 1 + 0 + 1 + 2 over (n-1)(n-2) = 6
    assert m["degree_centralization"] == pytest.approx(4 / 6)


def test_transitivity_equals_networkx():
    net, g = random_net(60, 200, False, 5)
    g.remove_edges_from(nx.selfloop_edges(g))
    assert network_measures(net)["transitivity"] == pytest.approx(nx.transitivity(g))


def test_caviar_phases_match_the_published_counts(shared_data):
    from fentanet.datasets import load

    net = load("caviar_phases")
    # ../shared/data/networks/caviar_phases/SOURCE.md: nodes, arcs, undirected edges,
    # components and the largest component of every phase
    table = {1: (15, 26, 18, 1, 15), 2: (24, 35, 28, 1, 24), 3: (33, 68, 56, 1, 33),
             4: (33, 65, 48, 1, 33), 5: (32, 50, 39, 1, 32), 6: (27, 68, 47, 1, 27),
             7: (36, 63, 49, 2, 30), 8: (42, 75, 58, 1, 42), 9: (34, 60, 44, 1, 34),
             10: (42, 68, 50, 3, 31), 11: (41, 72, 50, 2, 39)}
    for phase, (nodes, arcs, edges, comps, lcc) in table.items():
        sub = net.at_phase(phase)
        directed = network_measures(sub)
        undirected = network_measures(sub, directed=False)
        assert (directed["actors"], directed["links"]) == (nodes, arcs)
        assert undirected["links"] == edges
        assert (undirected["components"], undirected["largest_component"]) == (comps, lcc)
        assert directed["density"] == pytest.approx(arcs / (nodes * (nodes - 1)))


def test_bad_connection():
    with pytest.raises(InputError, match="connection"):
        components(Network(["a"]), connection="medium")
