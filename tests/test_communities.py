"""Communities: quality against networkx and leidenalg, planted partitions, real data."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from fentanet import InputError, Network
from fentanet.analysis import communities
from fentanet.analysis._graph import graph
from fentanet.analysis.communities import quality


def planted(blocks: int, size: int, p_in: float, p_out: float, seed: int) -> Network:
    g = nx.stochastic_block_model([size] * blocks,
                                  [[p_in if i == j else p_out for j in range(blocks)]
                                   for i in range(blocks)], seed=seed)
    links = pd.DataFrame([(f"p{u}", f"p{v}") for u, v in g.edges()],
                         columns=["source", "target"])
    actors = pd.DataFrame({"id": [f"p{i}" for i in range(blocks * size)],
                           "block": np.repeat(np.arange(blocks), size)})
    return Network(actors, links, directed=False)


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two labelings group the items identically (labels may differ)."""
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def to_nx(net: Network, weight: str | None = None):
    g = nx.Graph()
    g.add_nodes_from(net.ids)
    for s, t, w in zip(net.links["source"], net.links["target"],
                       net.links[weight] if weight else np.ones(net.n_links), strict=True):
        if g.has_edge(s, t):
            g[s][t]["w"] += float(w) if weight else 0.0
        else:
            g.add_edge(s, t, w=float(w))
    return g


def nx_modularity(net, membership: pd.Series, resolution=1.0, weight=None):
    g = to_nx(net, weight)
    groups = [set(membership.index[membership == c]) for c in sorted(set(membership))]
    return nx.community.modularity(g, groups, weight="w", resolution=resolution)


@pytest.mark.parametrize("method", ["leiden", "louvain", "label_propagation"])
def test_planted_partitions_are_recovered(method):
    net = planted(4, 40, 0.3, 0.005, seed=3)
    found = communities(net, method=method, seed=7)
    assert found.n_communities == 4
    assert same_partition(found.membership.to_numpy(), net.actors["block"].to_numpy())
    assert found.quality == pytest.approx(nx_modularity(net, found.membership), abs=1e-12)
    assert found.sizes.tolist() == [40, 40, 40, 40]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("resolution", [0.5, 1.0, 2.0])
def test_modularity_equals_networkx_on_random_weighted_graphs(seed, resolution):
    rng = np.random.default_rng(seed)
    n, m = 60, 150
    src = rng.integers(0, n, m)
    dst = rng.integers(0, n, m)
    links = pd.DataFrame({"source": [f"v{i}" for i in src], "target": [f"v{i}" for i in dst],
                          "calls": rng.integers(1, 9, m).astype(float)})
    ids = [f"v{i}" for i in range(n + 3)]  # with isolates, loops and parallel links
    net = Network(pd.DataFrame({"id": ids}), links, directed=bool(seed % 2))
    for method in ("leiden", "louvain"):
        found = communities(net, method=method, resolution=resolution, seed=seed,
                            weight="calls")
        assert found.quality == pytest.approx(
            nx_modularity(net, found.membership, resolution, "calls"), abs=1e-12)
    # and of an arbitrary partition, weighted and not
    g = graph(net, directed=False)
    labels = rng.integers(0, 5, g.n)
    want = nx_modularity(net, pd.Series(labels, index=ids), resolution)
    assert quality(g, labels, "modularity", resolution) == pytest.approx(want, abs=1e-12)


def test_cpm_quality_equals_leidenalg():
    leidenalg = pytest.importorskip("leidenalg")
    net = planted(3, 30, 0.4, 0.02, seed=1)
    g = graph(net, directed=False)
    found = communities(net, objective="cpm", resolution=0.1, seed=2)
    part = leidenalg.CPMVertexPartition(g.igraph, initial_membership=found.membership.tolist(),
                                        resolution_parameter=0.1)
    # leidenalg documents Σ_c [m_c - γ C(n_c, 2)], and its quality() sums over ordered
    # pairs on undirected graphs, which doubles it
    assert found.quality == pytest.approx(part.quality() / 2, abs=1e-9)
    assert same_partition(found.membership.to_numpy(), net.actors["block"].to_numpy())
    # CPM at resolution 1 on an unweighted network: only cliques are worth keeping
    tight = communities(net, objective="cpm", resolution=1.0, seed=2)
    table = tight.table()
    assert (table["density"][table["size"] > 1] == 1.0).all()


def test_leiden_is_as_good_as_leidenalg():
    leidenalg = pytest.importorskip("leidenalg")
    net = planted(6, 30, 0.15, 0.03, seed=5)
    ours = communities(net, seed=1)
    theirs = leidenalg.find_partition(graph(net, directed=False).igraph,
                                      leidenalg.ModularityVertexPartition, seed=1)
    assert ours.quality >= theirs.modularity - 0.01


def test_same_seed_same_communities_numbered_by_size():
    net = planted(5, 25, 0.12, 0.04, seed=9)  # noisy: runs differ between seeds
    runs = {s: communities(net, seed=s).membership for s in range(6)}
    again = communities(net, seed=3).membership
    assert runs[3].equals(again)
    assert len({tuple(r.tolist()) for r in runs.values()}) > 1
    for m in runs.values():
        sizes = np.bincount(m.to_numpy())
        assert (np.diff(sizes) <= 0).all()
    lp = communities(net, method="label_propagation", seed=4).membership
    assert lp.equals(communities(net, method="label_propagation", seed=4).membership)
    lv = communities(net, method="louvain", seed=4).membership
    assert lv.equals(communities(net, method="louvain", seed=4).membership)


def two_triangles() -> Network:
    return Network(links=pd.DataFrame({"source": ["a", "a", "b", "d", "d", "e", "c"],
                                       "target": ["b", "c", "c", "e", "f", "f", "d"]}),
                   directed=False)


def test_table_by_hand():
    found = communities(two_triangles(), seed=1)
    # m = 7, each triangle: 3 internal links and a degree sum of 7
    assert found.quality == pytest.approx(2 * (3 / 7 - (7 / 14) ** 2))
    table = found.table(top=2)
    assert table["size"].tolist() == [3, 3]
    assert table["links"].tolist() == [3, 3]
    assert table["density"].tolist() == [1.0, 1.0]
    assert table["external"].tolist() == [1, 1]
    assert table["top"].tolist() == [["a", "b"], ["d", "e"]]
    assert found.members(1) == ["d", "e", "f"]
    assert "2 by leiden" in repr(found)


def test_no_links_gives_singletons():
    found = communities(Network(["a", "b", "c"]))
    assert found.membership.tolist() == [0, 1, 2]
    assert np.isnan(found.quality)
    cpm = communities(Network(["a", "b"]), objective="cpm")
    assert cpm.quality == 0.0


def test_caviar_separates_the_hashish_and_cocaine_coordinators(shared_data):
    from fentanet.datasets import load

    net = load("caviar")
    for seed in range(3):
        found = communities(net, seed=seed)
        m = found.membership
        assert m["1"] != m["12"]  # the hashish and the cocaine coordinators apart
        assert found.quality == pytest.approx(nx_modularity(net, m), abs=1e-12)
        assert 0.4 < found.quality < 0.55


def test_bad_requests():
    net = two_triangles()
    with pytest.raises(InputError, match="unknown method 'girvan'; expected one of leiden"):
        communities(net, method="girvan")
    with pytest.raises(InputError, match="unknown objective"):
        communities(net, objective="surprise")
    with pytest.raises(InputError, match="non-negative"):
        communities(net, resolution=-1)
    with pytest.raises(InputError, match="louvain optimises modularity only"):
        communities(net, method="louvain", objective="cpm")
    with pytest.raises(InputError, match="empty"):
        communities(Network())
    with pytest.raises(InputError, match="no community 5"):
        communities(net).members(5)
    with pytest.raises(InputError, match="no link column"):
        communities(net, weight="calls")
