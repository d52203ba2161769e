"""Parallel links (phases, kinds) in the summary, and typed links in undirected networks."""

from __future__ import annotations

import networkx as nx
import pandas as pd
import pytest

import fentanet
from fentanet import InputError, Network, generate
from fentanet.cli import main
from fentanet.network.kinds import allowed_pair


def links(rows, **cols):
    frame = pd.DataFrame(rows, columns=["source", "target"])
    for k, v in cols.items():
        frame[k] = v
    return frame


# ------------------------------------------------------------------ summary
def test_summary_counts_distinct_pairs_for_density_and_degree():
    # two actors, three parallel links (three phases): density 1, one neighbour each
    net = Network(links=links([("a", "b"), ("a", "b"), ("b", "a")], phase=[1, 2, 3]),
                  directed=False)
    s = net.summary()
    assert (s["links"], s["distinct_pairs"], s["density"]) == (3, 1, 1.0)
    assert s["degree"] == {"mean": 1.0, "median": 1.0, "max": 1, "min": 1}
    directed = Network(links=links([("a", "b"), ("a", "b"), ("b", "a"), ("a", "a")]))
    s = directed.summary()
    assert (s["links"], s["distinct_pairs"], s["self_loops"]) == (4, 2, 1)
    assert s["density"] == 1.0  # a->b and b->a of the 2 ordered pairs


def test_summary_agrees_with_networkx_on_a_multigraph():
    rows = [("a", "b"), ("b", "a"), ("a", "b"), ("b", "c"), ("c", "c"), ("c", "d"),
            ("d", "e"), ("e", "d")]
    net = Network(links=links(rows))
    g = nx.DiGraph([r for r in rows if r[0] != r[1]])
    s = net.summary()
    assert s["distinct_pairs"] == g.number_of_edges()
    assert s["density"] == pytest.approx(nx.density(g))
    und = nx.Graph(g)
    assert s["degree"]["max"] == max(d for _, d in und.degree())
    assert s["degree"]["mean"] == pytest.approx(2 * und.number_of_edges() / 5)


def test_caviar_phases_degree_is_bounded(shared_data):
    net = fentanet.read(shared_data / "networks" / "caviar_phases")
    s = net.summary()
    assert s["links"] == 650 and s["distinct_pairs"] == 303  # SOURCE.md: 303 cells
    assert s["degree"]["max"] <= s["actors"] - 1
    assert s["density"] == pytest.approx(303 / (107 * 106))


def test_info_prints_links_and_distinct_pairs(tmp_path, capsys):
    path = tmp_path / "par.csv"
    path.write_text("source,target\na,b\na,b\nb,a\n")
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "2 actors, 3 links (distinct pairs 2), directed" in out
    path.write_text("source,target\na,b\nb,c\n")
    assert main(["info", str(path)]) == 0
    assert "3 actors, 2 links, directed" in capsys.readouterr().out


# ------------------------------------------------------------------ undirected typed links
def small_chain(directed: bool, reverse_sales: bool = False) -> Network:
    actors = pd.DataFrame({"id": ["s", "l", "d", "m"],
                           "kind": ["supplier", "lab", "dealer", "market"]})
    rows = [("s", "l", "supplies"), ("l", "d", "ships"),
            ("m", "d", "sells_to") if reverse_sales else ("d", "m", "sells_to")]
    frame = pd.DataFrame(rows, columns=["source", "target", "kind"])
    frame["capacity"] = [5.0, 4.0, 3.0]
    return Network(actors, frame, directed=directed)


def test_undirected_typed_link_written_downstream_first_is_stored_source_upstream():
    net = small_chain(directed=False, reverse_sales=True)
    sale = net.links[net.links["kind"] == "sells_to"]
    assert sale[["source", "target"]].values.tolist() == [["d", "m"]]
    assert list(net.source_index) == [0, 1, 2] and list(net.target_index) == [1, 2, 3]
    assert fentanet.max_flow(net).value == 3.0
    with pytest.raises(InputError, match=r"a 'sells_to' link cannot join a market to a "
                                         r"dealer"):
        small_chain(directed=True, reverse_sales=True)


def test_undirected_flow_follows_the_stored_orientation():
    # an undirected network where material could only reach the market backwards along
    # a link: m's sale comes from d2, which has no product; no flow
    actors = pd.DataFrame({"id": ["s", "l", "d1", "d2", "m"],
                           "kind": ["supplier", "lab", "dealer", "dealer", "market"]})
    frame = pd.DataFrame([("s", "l", "supplies"), ("l", "d1", "ships"),
                          ("d1", "m", "sells_to"), ("d2", "m", "sells_to")],
                         columns=["source", "target", "kind"])
    net = Network(actors, frame, directed=False)
    assert fentanet.max_flow(net, sources=["s"], sinks=["m"]).value == float("inf")
    only = Network(actors, frame.iloc[[0, 1, 3]], directed=False)
    assert fentanet.max_flow(only, sources=["s"], sinks=["m"]).value == 0.0


@pytest.mark.parametrize("ext", [".csv", ".graphml", ".json", ".gexf"])
def test_to_undirected_of_a_generated_network_round_trips(tmp_path, ext):
    net = generate({"actors": 200}, seed=3)
    und = net.to_undirected()
    assert not und.directed
    # the same pairs and kinds, each typed link the way round its kind allows
    def pairs(n):
        return {(frozenset((s, t)), k) for s, t, k in
                n.links[["source", "target", "kind"]].values.tolist()}

    assert pairs(und) == pairs(net)
    kind = dict(zip(und.ids, und.actors["kind"], strict=True))
    for s, t, k in und.links[["source", "target", "kind"]].values.tolist():
        assert allowed_pair(k, kind[s], kind[t]), (s, t, k)
    path = tmp_path / f"u{ext}"
    fentanet.write(und, path)
    back = fentanet.read(path)
    assert back.equals(und), back.differences(und)
    # links allowed both ways (trafficker to trafficker) carry flow both ways when
    # undirected: never less than the directed network's
    assert fentanet.max_flow(und).value >= fentanet.max_flow(net).value - 1e-9
