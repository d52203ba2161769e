"""The graph analyses run on: link selection, direction, merging, weights, caching."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fentanet import InputError, Network
from fentanet.analysis._graph import graph, link_kind_set
from fentanet.network.kinds import FLOW_LINK_KINDS, PERSON_LINK_KINDS


def typed() -> Network:
    actors = pd.DataFrame({"id": ["org", "t1", "t2", "d1"],
                           "kind": ["organization", "trafficker", "trafficker", "dealer"]})
    links = pd.DataFrame({
        "source": ["t1", "t2", "t1", "t2", "t1", "t2"],
        "target": ["org", "org", "t2", "t1", "t2", "d1"],
        "kind": ["member_of", "member_of", "distributes", "tie", "tie", "distributes"],
        "weight": [1.0, 1.0, 4.0, 1.0, 2.0, 3.0],
    })
    return Network(actors, links)


def edges(g) -> list[tuple[str, str]]:
    ids = g.ids
    return sorted(zip(ids[g.src].tolist(), ids[g.dst].tolist(), strict=True))


def test_person_links_by_default_and_named_sets():
    net = typed()
    assert edges(graph(net)) == [("t1", "t2"), ("t2", "d1"), ("t2", "t1")]
    assert ("t1", "org") in edges(graph(net, link_kinds="all"))
    assert edges(graph(net, link_kinds="member_of")) == [("t1", "org"), ("t2", "org")]
    assert link_kind_set(None) == PERSON_LINK_KINDS
    assert link_kind_set("flow") == FLOW_LINK_KINDS
    assert edges(graph(net, link_kinds=["distributes"])) == [("t1", "t2"), ("t2", "d1")]


def test_merging_strengths_add_and_distances_keep_the_shortest():
    net = typed()
    s = graph(net, weight="weight", weight_as="strength")
    d = graph(net, weight="weight", weight_as="distance")
    by = dict(zip(edges(s), s.weight[np.lexsort((s.ids[s.dst], s.ids[s.src]))], strict=True))
    assert by[("t1", "t2")] == 6.0  # distributes 4 + tie 2
    byd = dict(zip(edges(d), d.weight[np.lexsort((d.ids[d.dst], d.ids[d.src]))],
                   strict=True))
    assert byd[("t1", "t2")] == 2.0
    # dropping direction merges t1->t2 (4, 2) with t2->t1 (1)
    u = graph(net, directed=False, weight="weight", weight_as="strength")
    assert not u.directed and u.m == 2
    i, j = net.index_of(["t1", "t2"])
    k = np.flatnonzero((u.src == min(i, j)) & (u.dst == max(i, j)))[0]
    assert u.weight[k] == 7.0
    assert graph(net, directed=False, weight="weight").weight[k] == 1.0
    assert np.allclose(s.lengths, 1.0 / s.weight)
    assert np.allclose(d.strengths, 1.0 / d.weight)


def test_adjacency_and_degree_forms():
    net = Network(links=pd.DataFrame({"source": ["a", "b", "c"], "target": ["b", "c", "c"],
                                      "calls": [2.0, 5.0, 1.0]}), directed=False)
    g = graph(net, weight="calls", weight_as="strength")
    a = g.adjacency().toarray()
    assert a.tolist() == [[0, 2, 0], [2, 0, 5], [0, 5, 1]]
    assert g.adjacency("distance").toarray()[1, 2] == pytest.approx(0.2)
    assert g.adjacency("binary").toarray().sum() == 5
    # a self-loop counts twice in the degree, as networkx counts it
    assert g.degree().tolist() == [1, 2, 3]
    assert g.degree(weighted=True).tolist() == [2, 7, 7]
    assert g.igraph.vcount() == 3 and g.igraph.ecount() == 3
    directed = graph(net, directed=True)
    assert directed.directed and directed.m == 5  # a<->b, b<->c, c->c


def test_without_keeps_indices_and_graph_is_cached():
    net = typed()
    g = graph(net)
    h = g.without([net.index_of(["t2"])[0]])
    assert h.n == g.n and h.m == 0
    assert graph(net) is g
    assert g.undirected() is g.undirected()
    assert g.series(np.arange(4), "x").index.name == "actor"


def test_bad_link_kinds_and_weights():
    net = typed()
    with pytest.raises(InputError, match="unknown link kind"):
        graph(net, link_kinds="phonecall")
    with pytest.raises(InputError, match="weight_as"):
        graph(net, weight="weight", weight_as="length")
    with pytest.raises(InputError, match="no link column 'calls'"):
        graph(net, weight="calls")


def test_derived_values_are_built_once_per_graph():
    g = graph(typed())
    calls = []
    first = g.cached("thing", lambda: calls.append(1) or [1, 2])
    assert g.cached("thing", lambda: calls.append(1) or [3]) is first
    assert calls == [1]
    assert graph(typed()).cached("thing", lambda: "fresh") == "fresh"  # another network
