"""Centrality against networkx (the oracle), hand-computed cases, real data, bad input."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fentanet import InputError, Network
from fentanet.analysis import MEASURES, centralities, centrality
from fentanet.analysis._graph import graph
from fentanet.errors import FentanetError

ATOL = 1e-8


# ---------------------------------------------------------------------- random graphs
def random_case(n: int, m: int, *, directed: bool, weights: str | None, seed: int,
                isolates: int = 2):
    """A simple random graph (no parallel links, no self-loops) as a Network and as the
    networkx graph the oracle runs on: the same nodes in the same order."""
    rng = np.random.default_rng(seed)
    pairs = set()
    tries = 0
    while len(pairs) < m and tries < 50 * m + 10 and n > 1:
        tries += 1
        a, b = (int(x) for x in rng.integers(0, n, 2))
        if a == b:
            continue
        if not directed:
            a, b = min(a, b), max(a, b)
        pairs.add((a, b))
    pairs = sorted(pairs)
    if weights == "int":
        w = rng.integers(1, 5, len(pairs)).astype(float)
    elif weights == "pow2":
        w = 2.0 ** rng.integers(0, 3, len(pairs))
    elif weights == "float":
        w = rng.uniform(0.5, 3.0, len(pairs))
    else:
        w = np.ones(len(pairs))
    ids = [f"v{i}" for i in range(n + isolates)]
    links = pd.DataFrame({"source": [ids[a] for a, _ in pairs],
                          "target": [ids[b] for _, b in pairs], "w": w})
    net = Network(pd.DataFrame({"id": ids}), links, directed=directed)
    g = nx.DiGraph() if directed else nx.Graph()
    g.add_nodes_from(ids)
    for (a, b), x in zip(pairs, w, strict=True):
        g.add_edge(ids[a], ids[b], w=float(x), inv=1.0 / float(x))
    return net, g


def as_array(d: dict, ids) -> np.ndarray:
    return np.array([d[i] for i in ids], dtype=float)


def spectral_alpha(g) -> float:
    a = nx.to_numpy_array(g, weight="w")
    lam = float(np.abs(np.linalg.eigvals(a)).max()) if len(a) else 0.0
    return 0.1 if lam == 0 else 0.8 / lam


def check_all(net, g, *, weighted: str | None):
    """Every measure on one graph against networkx. ``weighted``: None, "distance"
    (the w column as lengths) or "strength" (the w column as strengths)."""
    ids = list(g.nodes)
    n = len(ids)
    wkw = {} if weighted is None else {"weight": "w", "weight_as": weighted}
    length = None if weighted is None else ("w" if weighted == "distance" else "inv")
    strength = None if weighted is None else ("inv" if weighted == "distance" else "w")

    def ours(measure, **kw):
        s = centrality(net, measure, **({} if measure in ("degree", "in_degree", "out_degree",
                                                          "collective_influence") else wkw),
                       **kw)
        assert list(s.index) == ids and s.name == measure
        return s.to_numpy()

    np.testing.assert_allclose(ours("degree"), as_array(nx.degree_centrality(g), ids),
                               atol=ATOL)
    np.testing.assert_allclose(ours("degree", normalized=False),
                               as_array(dict(g.degree()), ids), atol=ATOL)
    if g.is_directed():
        np.testing.assert_allclose(ours("in_degree"), as_array(nx.in_degree_centrality(g),
                                                               ids), atol=ATOL)
        np.testing.assert_allclose(ours("out_degree"),
                                   as_array(nx.out_degree_centrality(g), ids), atol=ATOL)
    sdeg = as_array(dict(g.degree(weight=strength)), ids)
    np.testing.assert_allclose(ours("strength", normalized=False), sdeg, atol=ATOL)
    for norm in (True, False):
        np.testing.assert_allclose(
            ours("betweenness", normalized=norm),
            as_array(nx.betweenness_centrality(g, normalized=norm, weight=length), ids),
            atol=ATOL)
    np.testing.assert_allclose(ours("closeness"),
                               as_array(nx.closeness_centrality(g, distance=length), ids),
                               atol=ATOL)
    raw = as_array(nx.closeness_centrality(g, distance=length, wf_improved=False), ids)
    reach = np.array([len(nx.ancestors(g, v) if g.is_directed()
                          else nx.node_connected_component(g, v) - {v}) for v in ids])
    np.testing.assert_allclose(ours("closeness", normalized=False),
                               np.divide(raw, reach, out=np.zeros(n), where=reach > 0),
                               atol=ATOL)
    harm = as_array(nx.harmonic_centrality(g, distance=length), ids)
    np.testing.assert_allclose(ours("harmonic", normalized=False), harm, atol=ATOL)
    np.testing.assert_allclose(ours("harmonic"), harm / max(n - 1, 1), atol=ATOL)
    np.testing.assert_allclose(
        ours("pagerank"),
        as_array(nx.pagerank(g, weight=strength, tol=1e-13, max_iter=100_000), ids),
        atol=1e-9)
    alpha = spectral_alpha(g) if strength == "w" or strength is None else 0.05
    for norm in (True, False):
        np.testing.assert_allclose(
            ours("katz", alpha=alpha, normalized=norm),
            as_array(nx.katz_centrality(g, alpha=alpha, weight=strength, normalized=norm,
                                        tol=1e-13, max_iter=100_000), ids), atol=1e-7)
    try:
        eig = as_array(nx.eigenvector_centrality(g, weight=strength, tol=1e-13,
                                                 max_iter=5_000), ids)
    except nx.PowerIterationFailedConvergence:
        eig = None
    if eig is not None:
        np.testing.assert_allclose(ours("eigenvector"), eig, atol=1e-6)
    gu = g.to_undirected() if g.is_directed() else g
    for radius in (1, 2, 3):
        np.testing.assert_allclose(ours("collective_influence", radius=radius),
                                   brute_ci(gu, ids, radius))


def brute_ci(g, ids, radius):
    """Collective influence by definition: (k_i - 1) Σ_{d(i,j) = ℓ} (k_j - 1)."""
    deg = dict(g.degree())
    out = []
    for v in ids:
        dist = nx.single_source_shortest_path_length(g, v, cutoff=radius)
        out.append((deg[v] - 1) * sum(deg[u] - 1 for u, d in dist.items() if d == radius)
                   if deg[v] > 0 else 0)
    return np.array(out, dtype=float)


@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("weights", [None, "int", "float"])
@pytest.mark.parametrize(("n", "m", "seed"), [(6, 5, 1), (30, 45, 2), (60, 70, 3),
                                               (80, 240, 4)])
def test_every_measure_matches_networkx(directed, weights, n, m, seed):
    net, g = random_case(n, m, directed=directed, weights=weights, seed=seed)
    check_all(net, g, weighted=None if weights is None else "distance")


@pytest.mark.parametrize("directed", [False, True])
def test_weights_as_strength_match_networkx_on_reciprocal_lengths(directed):
    # powers of two: the reciprocal lengths add up exactly, so ties are the same in both
    net, g = random_case(40, 90, directed=directed, weights="pow2", seed=11)
    check_all(net, g, weighted="strength")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 25), density=st.floats(0, 0.4), directed=st.booleans(),
       weights=st.sampled_from([None, "int"]), isolates=st.integers(0, 3),
       seed=st.integers(0, 10_000))
def test_property_every_measure_matches_networkx(n, density, directed, weights, isolates,
                                                  seed):
    m = int(density * n * (n - 1) / (1 if directed else 2))
    net, g = random_case(n, m, directed=directed, weights=weights, seed=seed,
                         isolates=isolates)
    check_all(net, g, weighted=None if weights is None else "distance")


@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("normalized", [True, False])
def test_sampled_betweenness_equals_networkx_for_the_same_seed(directed, normalized):
    net, g = random_case(70, 160, directed=directed, weights="int", seed=5)
    for k, seed in ((2, 0), (10, 3), (50, 7)):
        ours = centrality(net, "betweenness", sample=k, seed=seed, normalized=normalized,
                          weight="w")
        want = nx.betweenness_centrality(g, k=k, seed=seed, normalized=normalized,
                                         weight="w")
        np.testing.assert_allclose(ours.to_numpy(), as_array(want, list(g)), atol=ATOL)
    # reproducible, different for another seed, exact when the sample covers everyone
    a = centrality(net, "betweenness", sample=10, seed=1)
    assert a.equals(centrality(net, "betweenness", sample=10, seed=1))
    assert not a.equals(centrality(net, "betweenness", sample=10, seed=2))
    assert centrality(net, "betweenness", sample=net.n_actors).equals(
        centrality(net, "betweenness"))


def test_sampled_betweenness_is_unbiased_on_average():
    net, _ = random_case(60, 150, directed=False, weights=None, seed=9)
    exact = centrality(net, "betweenness")
    mean = np.mean([centrality(net, "betweenness", sample=15, seed=s).to_numpy()
                    for s in range(200)], axis=0)
    assert np.abs(mean - exact.to_numpy()).max() < 0.02
    assert np.corrcoef(mean, exact.to_numpy())[0, 1] > 0.995


# ---------------------------------------------------------------------- hand computed
def star_and_tail() -> Network:
    """hub - a, hub - b, hub - c, c - d (undirected)."""
    links = pd.DataFrame({"source": ["hub", "hub", "hub", "c"],
                          "target": ["a", "b", "c", "d"]})
    return Network(links=links, directed=False)


def test_hand_computed_star_with_tail():
    net = star_and_tail()
    n = 5
    deg = centrality(net, "degree")
    assert deg.to_dict() == {"hub": 3 / 4, "a": 1 / 4, "b": 1 / 4, "c": 2 / 4, "d": 1 / 4}
    # hub lies on a-b, a-c, a-d, b-c, b-d; c lies on hub-d, a-d, b-d
    btw = centrality(net, "betweenness", normalized=False)
    assert btw.to_dict() == {"hub": 5.0, "a": 0.0, "b": 0.0, "c": 3.0, "d": 0.0}
    assert centrality(net, "betweenness")["hub"] == pytest.approx(5 / 6)
    # hub: distances 1, 1, 1, 2 -> 4/5
    assert centrality(net, "closeness")["hub"] == pytest.approx(4 / 5)
    assert centrality(net, "harmonic", normalized=False)["hub"] == pytest.approx(3.5)
    assert centrality(net, "harmonic")["hub"] == pytest.approx(3.5 / (n - 1))
    # CI_1(hub) = (3-1) * ((1-1) + (1-1) + (2-1)) = 2; CI_1(c) = (2-1) * ((3-1) + 0) = 2
    ci = centrality(net, "collective_influence", radius=1)
    assert ci.to_dict() == {"hub": 2.0, "a": 0.0, "b": 0.0, "c": 2.0, "d": 0.0}
    # CI_2(hub): nothing at distance 2 from hub but d (degree 1) -> 0; CI_2(c) = 1 * (0 + 0)
    ci2 = centrality(net, "collective_influence", radius=2)
    assert ci2["hub"] == 0.0
    assert centrality(net, "pagerank").sum() == pytest.approx(1.0)


def test_directed_path_uses_incoming_distances():
    net = Network(links=pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"]}))
    assert centrality(net, "betweenness").to_dict() == {"a": 0.0, "b": 0.5, "c": 0.0}
    # c is reached by b (1) and a (2): (2/3) * (2/2)
    assert centrality(net, "closeness").to_dict() == pytest.approx(
        {"a": 0.0, "b": 0.5, "c": 2 / 3})
    assert centrality(net, "in_degree").to_dict() == {"a": 0.0, "b": 0.5, "c": 0.5}
    assert centrality(net, "out_degree", normalized=False).to_dict() == {
        "a": 1.0, "b": 1.0, "c": 0.0}
    # katz: x_a = 1, x_b = 1 + 0.1, x_c = 1 + 0.1 * 1.1
    k = centrality(net, "katz", normalized=False)
    assert k.to_dict() == pytest.approx({"a": 1.0, "b": 1.1, "c": 1.11})


@pytest.mark.parametrize("directed", [True, False])
def test_undeclared_weights_read_as_networkx_reads_them(directed):
    # without weight_as a path measure reads w as a length and a strength-type measure as
    # a strength: networkx's weight="w" for each
    net, g = random_case(40, 90, directed=directed, weights="int", seed=13)
    ids = list(g)
    alpha = spectral_alpha(g)
    cases = {
        "betweenness": nx.betweenness_centrality(g, weight="w"),
        "closeness": nx.closeness_centrality(g, distance="w"),
        "pagerank": nx.pagerank(g, weight="w", tol=1e-13, max_iter=100_000),
        "katz": nx.katz_centrality(g, alpha=alpha, weight="w", tol=1e-13,
                                   max_iter=100_000),
    }
    if not directed:  # networkx's eigenvector iteration does not settle on these digraphs
        cases["eigenvector"] = nx.eigenvector_centrality(g, weight="w", tol=1e-13,
                                                         max_iter=100_000)
    for measure, want in cases.items():
        kw = {"alpha": alpha} if measure == "katz" else {}
        np.testing.assert_allclose(centrality(net, measure, weight="w", **kw).to_numpy(),
                                   as_array(want, ids), atol=1e-7, err_msg=measure)
    strength = dict(g.degree(weight="w"))
    np.testing.assert_allclose(centrality(net, "strength", weight="w",
                                          normalized=False).to_numpy(),
                               as_array(strength, ids))
    # declared, both types read one sense: PageRank of distances takes 1/w
    np.testing.assert_allclose(
        centrality(net, "pagerank", weight="w", weight_as="distance").to_numpy(),
        as_array(nx.pagerank(g, weight="inv", tol=1e-13, max_iter=100_000), ids),
        atol=1e-9)


def test_parallel_links_merge_in_the_declared_sense():
    links = pd.DataFrame({"source": ["a", "a", "b", "a"], "target": ["b", "b", "c", "c"],
                          "kind": ["tie", "distributes", "tie", "tie"],
                          "w": [1.0, 1.0, 1.0, 3.0]})
    net = Network(pd.DataFrame({"id": ["a", "b", "c"], "kind": ["trafficker"] * 3}), links)
    # degree counts distinct partners
    assert centrality(net, "degree", normalized=False)["a"] == 2
    # strengths add: a->b is 2
    assert centrality(net, "strength", weight="w", weight_as="strength",
                      normalized=False).to_dict() == {"a": 5.0, "b": 3.0, "c": 4.0}
    # as distances a->b is 1 (the shorter), and a->c (3) is longer than a->b->c (2)
    assert centrality(net, "betweenness", weight="w", normalized=False)["b"] == 1.0
    assert centrality(net, "betweenness", normalized=False)["b"] == 0.0
    g = graph(net, weight="w", weight_as="distance")
    assert g.m == 3 and sorted(g.weight.tolist()) == [1.0, 1.0, 3.0]


def test_member_of_links_do_not_make_organizations_hubs():
    actors = pd.DataFrame({"id": ["org", "t1", "t2", "t3", "d1"],
                           "kind": ["organization", "trafficker", "trafficker",
                                    "trafficker", "dealer"]})
    links = pd.DataFrame({"source": ["t1", "t2", "t3", "t1", "t2", "t3"],
                          "target": ["org", "org", "org", "t2", "t3", "d1"],
                          "kind": ["member_of"] * 3 + ["distributes"] * 3})
    net = Network(actors, links)
    assert centrality(net, "degree")["org"] == 0.0
    assert centrality(net, "degree", link_kinds="all")["org"] == 3 / 4
    assert centrality(net, "betweenness", link_kinds=["member_of"]).max() == 0.0


def test_direction_can_be_dropped():
    net, g = random_case(30, 60, directed=True, weights=None, seed=21)
    ours = centrality(net, "betweenness", directed=False)
    want = nx.betweenness_centrality(g.to_undirected())
    np.testing.assert_allclose(ours.to_numpy(), as_array(want, list(g)), atol=ATOL)
    with pytest.raises(InputError, match="directed"):
        centrality(net, "in_degree", directed=False)


def test_centralities_table_has_one_column_per_measure():
    net, _ = random_case(20, 30, directed=True, weights="int", seed=2)
    # flow betweenness has its own tests (test_flow_betweenness.py): it needs flow links
    measures = [m for m in MEASURES if m != "flow_betweenness"]
    table = centralities(net, measures, weight="w", sample=5, seed=1)
    assert list(table.columns) == measures
    assert table.index.tolist() == net.ids.tolist()
    assert table["degree"].equals(centrality(net, "degree"))
    assert table["betweenness"].equals(centrality(net, "betweenness", weight="w", sample=5,
                                                  seed=1))


def test_graph_is_cached_on_the_network_and_not_mutated():
    net, _ = random_case(20, 30, directed=False, weights="int", seed=2)
    before = net.links.copy()
    assert graph(net) is graph(net)
    assert graph(net, weight="w") is not graph(net)
    centralities(net, [m for m in MEASURES if "_degree" not in m], weight="w",
                 link_kinds="all")
    pd.testing.assert_frame_equal(net.links, before)


# ---------------------------------------------------------------------- real data
REAL = ["caviar", "cielnet", "french_connection", "kpp_figure8", "montagna_subset",
        "natarajan_cocaine", "natarajan_heroin", "oversize"]


def nx_of(net: Network, *, weight: str | None = None):
    g = nx.DiGraph() if net.directed else nx.Graph()
    g.add_nodes_from(net.ids)
    for s, t, w in zip(net.links["source"], net.links["target"], net.links["weight"],
                       strict=True):
        g.add_edge(s, t, weight=float(w))
    return g


@pytest.mark.parametrize("name", REAL)
def test_real_networks_match_networkx(shared_data, name):
    from fentanet.datasets import load

    net = load(name)
    g = nx_of(net)
    ids = net.ids.tolist()
    for measure, want in (
        ("degree", nx.degree_centrality(g)),
        ("betweenness", nx.betweenness_centrality(g)),
        ("closeness", nx.closeness_centrality(g)),
        ("pagerank", nx.pagerank(g, weight=None, tol=1e-13, max_iter=10_000)),
    ):
        np.testing.assert_allclose(centrality(net, measure).to_numpy(), as_array(want, ids),
                                   atol=1e-9, err_msg=f"{name} {measure}")
    # communication counts as strengths, their reciprocals as lengths
    np.testing.assert_allclose(
        centrality(net, "betweenness", weight="weight", weight_as="strength").to_numpy(),
        as_array(nx.betweenness_centrality(
            g, weight=lambda u, v, d: 1.0 / d["weight"]), ids), atol=1e-9)


def test_caviar_pagerank_reads_call_counts_as_strengths(shared_data):
    # no weight_as: PageRank reads CAVIAR's call counts as strengths, as networkx does;
    # parallel links (several phases of one pair) add up
    from fentanet.datasets import load

    net = load("caviar")
    g = nx.DiGraph() if net.directed else nx.Graph()
    g.add_nodes_from(net.ids)
    for s, t, w in zip(net.links["source"], net.links["target"], net.links["weight"],
                       strict=True):
        old = g.get_edge_data(s, t, {"weight": 0.0})["weight"]
        g.add_edge(s, t, weight=old + float(w))
    want = as_array(nx.pagerank(g, weight="weight", tol=1e-13, max_iter=10_000),
                    net.ids.tolist())
    ours = centrality(net, "pagerank", weight="weight")
    np.testing.assert_allclose(ours.to_numpy(), want, atol=1e-9)
    assert ours.equals(centrality(net, "pagerank", weight="weight", weight_as="strength"))
    assert not np.allclose(want, centrality(net, "pagerank").to_numpy(), atol=1e-4)


def test_caviar_top_brokers_match_networkx(shared_data):
    from fentanet.datasets import load

    net = load("caviar")
    ours = centrality(net, "betweenness").sort_values(ascending=False, kind="stable")
    want = pd.Series(nx.betweenness_centrality(nx_of(net))).sort_values(ascending=False,
                                                                        kind="stable")
    assert ours.index[:10].tolist() == want.index[:10].tolist()
    # Morselli (2009): N1, the hashish coordinator, is by far the most central broker,
    # then N12 (cocaine coordinator) and N3 (N1's lieutenant)
    assert ours.index[0] == "1"
    assert set(ours.index[:3]) == {"1", "12", "3"}


# ---------------------------------------------------------------------- bad input
def test_unknown_measure_lists_the_measures():
    net = star_and_tail()
    with pytest.raises(InputError, match="unknown centrality measure 'fame'") as err:
        centrality(net, "fame")
    for m in MEASURES:
        assert m in str(err.value)


def test_bad_weights_are_clear_errors():
    net = Network(links=pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"],
                                      "dist": [1.0, -2.0], "label": ["x", "y"],
                                      "zero": [0.0, 1.0]}))
    with pytest.raises(InputError, match=r"no link column 'calls'.*source, target"):
        centrality(net, "betweenness", weight="calls")
    with pytest.raises(InputError, match="non-negative; links row 2 has dist=-2"):
        centrality(net, "betweenness", weight="dist")
    with pytest.raises(InputError, match="must be numeric; links row 1 has 'x'"):
        centrality(net, "closeness", weight="label")
    with pytest.raises(InputError, match="distance of 0"):
        centrality(net, "closeness", weight="zero")
    with pytest.raises(InputError, match="weight_as"):
        centrality(net, "closeness", weight="zero", weight_as="length")
    # a zero strength is no link
    s = centrality(net, "strength", weight="zero", weight_as="strength", normalized=False)
    assert s.to_dict() == {"a": 0.0, "b": 1.0, "c": 1.0}
    with pytest.raises(InputError, match="takes no weight"):
        centrality(net, "degree", weight="zero")


def test_empty_network_and_other_bad_requests():
    with pytest.raises(InputError, match="empty"):
        centrality(Network(), "betweenness")
    net = star_and_tail()
    with pytest.raises(InputError, match="needs a directed network"):
        centrality(net, "in_degree")
    with pytest.raises(InputError, match="sample applies to betweenness and flow_betweenness only"):
        centrality(net, "closeness", sample=3)
    with pytest.raises(InputError, match="at least 2"):
        centrality(net, "betweenness", sample=1)
    with pytest.raises(InputError, match="radius"):
        centrality(net, "collective_influence", radius=0)
    with pytest.raises(InputError, match="unknown link kind"):
        centrality(net, "degree", link_kinds=["phone"])
    with pytest.raises(InputError, match=r"alpha must be below 1/λ_max = 0\.5412"):
        centrality(net, "katz", alpha=0.9)  # λ_max of this star with a tail is 1.848
    with pytest.raises(InputError, match="damping"):
        centrality(net, "pagerank", damping=1.0)


def test_eigenvector_on_an_acyclic_network_is_a_clear_error():
    chain = Network(links=pd.DataFrame({"source": ["a", "b", "c"], "target": ["b", "c", "d"]}))
    with pytest.raises(FentanetError, match="acyclic"):
        centrality(chain, "eigenvector")
    # no links at all: every actor alike, as networkx gives
    lone = Network(["a", "b"])
    assert centrality(lone, "eigenvector").to_numpy() == pytest.approx([2 ** -0.5] * 2)
    assert centrality(Network(["a"]), "degree").tolist() == [1.0]


def test_eigenvector_is_zero_outside_the_part_holding_the_leading_eigenvalue():
    """Actors whose exact eigenvector centrality is 0 get 0, not the remnant of the power
    iteration's uniform start (a pair beside a triangle printed 1e-11; review s15):
    values at or below EIGENVECTOR_ZERO of the largest are 0."""
    from fentanet.analysis.centrality import EIGENVECTOR_ZERO

    # a triangle (λ = 2) and a pair apart (λ = 1): the leading eigenvector is the
    # triangle's, (1, 1, 1, 0, 0) / √3
    links = pd.DataFrame({"source": ["a", "b", "c", "x"], "target": ["b", "c", "a", "y"]})
    net = Network(links=links, directed=False)
    assert centrality(net, "eigenvector").tolist() == pytest.approx([3 ** -0.5] * 3 + [0, 0],
                                                                    abs=1e-9)
    assert centrality(net, "eigenvector").tolist()[3:] == [0.0, 0.0]
    assert centrality(net, "eigenvector", normalized=False).tolist()[3:] == [0.0, 0.0]
    g = nx.Graph(list(zip(links.source, links.target, strict=True)))
    want = nx.eigenvector_centrality(g, tol=1e-13, max_iter=5_000)
    np.testing.assert_allclose(centrality(net, "eigenvector").to_numpy(),
                               [want[v] for v in net.actors["id"]], atol=1e-6)
    # directed: an actor no in-link path reaches from the loop (s, and t after it) has 0
    loop = Network(links=pd.DataFrame({"source": ["a", "b", "c", "s", "t"],
                                       "target": ["b", "c", "a", "t", "a"]}))
    got = centrality(loop, "eigenvector")
    assert got[["s", "t"]].tolist() == [0.0, 0.0]
    assert got[["a", "b", "c"]].tolist() == pytest.approx([3 ** -0.5] * 3, abs=1e-9)
    # a value above the tolerance, however small, stays: down a chain from a 4-clique each
    # link divides the value by about λ = 3 (against NumPy's dense eigenvector)
    chain = [("k0", "k1"), ("k0", "k2"), ("k0", "k3"), ("k1", "k2"), ("k1", "k3"),
             ("k2", "k3")] + [(f"p{i}", f"p{i + 1}") for i in range(16)] + [("k0", "p0")]
    net = Network(links=pd.DataFrame(chain, columns=["source", "target"]), directed=False)
    x = centrality(net, "eigenvector", normalized=False).to_numpy()
    _, v = np.linalg.eigh(graph(net).adjacency("strength").toarray())
    exact = np.abs(v[:, -1]) / np.abs(v[:, -1]).max()
    kept = exact > EIGENVECTOR_ZERO
    assert exact[~kept].size and exact[kept].min() < 1e-5  # both sides of the tolerance
    np.testing.assert_allclose(x[kept], exact[kept], rtol=1e-6, atol=1e-10)
    assert (x[~kept] == 0).all()


def test_generated_supply_network_defaults_work():
    import fentanet

    net = fentanet.generate({"actors": 300}, seed=3)
    table = centralities(net)
    assert list(table.columns) == ["degree", "betweenness", "closeness", "pagerank"]
    assert table.notna().all().all() and len(table) == net.n_actors
    # organizations are reached only by member_of: not counted by default
    orgs = net.actors["id"][net.actors["kind"] == "organization"]
    assert (table.loc[orgs, "degree"] == 0).all()
    # the flow links alone form a chain without loops: eigenvector says so, PageRank works
    with pytest.raises(InputError, match="acyclic"):
        centrality(net, "eigenvector", link_kinds="flow")
    assert centrality(net, "pagerank", link_kinds="flow").sum() == pytest.approx(1.0)


@pytest.mark.parametrize("option", ["normalized", "directed"])
def test_normalized_and_directed_take_true_or_false_only(option):
    # normalized="no" normalised and directed="no" kept the direction (review s20, api)
    net = Network(links=pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"]}))
    with pytest.raises(InputError, match=rf"field '{option}': expected True or False, "
                                         "got 'no'"):
        centrality(net, "degree", **{option: "no"})
    assert centrality(net, "degree", normalized=False, directed=False).tolist() == [1, 2, 1]
