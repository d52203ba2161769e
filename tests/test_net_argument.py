"""Every analysis function takes its network as centrality does: a fentanet Network, a
networkx graph or an igraph Graph (converted), and anything else is an InputError naming
``net`` (review s20, api: brokerage, key_players, kpp_score, resilience, phase_measures,
rank_dynamics and analyze ended in an AttributeError on a graph or a table; max_flow and
interdict refused graphs; simulate's ``network`` and ``progress`` ended deep in the run)."""

from __future__ import annotations

import networkx as nx
import pandas as pd
import pytest

import fentanet
from fentanet import InputError
from fentanet.analysis.summary import analyze


def _phased() -> nx.MultiGraph:
    g = nx.MultiGraph()
    for u, v, phase in [("a", "b", 1), ("b", "c", 1), ("a", "b", 2), ("c", "d", 2),
                        ("d", "e", 2), ("a", "c", 2)]:
        g.add_edge(u, v, phase=phase)
    return g


CALLS = {
    "brokerage": lambda net: fentanet.brokerage(net, {x: "g" for x in "abcde"}),
    "key_players": lambda net: fentanet.key_players(net, 1),
    "kpp_score": lambda net: fentanet.kpp_score(net, ["c"]),
    "resilience": lambda net: fentanet.resilience(net, "degree", steps=1),
    "phase_measures": lambda net: fentanet.phase_measures(net, ["degree"]),
    "rank_dynamics": lambda net: fentanet.rank_dynamics(net, "degree", top=2),
    "analyze": lambda net: analyze(net, k=1, steps=1, strategies=("degree",)),
}


@pytest.mark.parametrize("name", CALLS)
def test_a_networkx_graph_gives_what_its_network_gives(name):
    g = _phased()
    ours, theirs = CALLS[name](fentanet.from_networkx(g)), CALLS[name](g)
    if isinstance(ours, pd.DataFrame):
        pd.testing.assert_frame_equal(ours, theirs)
    elif name == "analyze":
        assert ours.key_players["fragmentation"] == theirs.key_players["fragmentation"]
    else:
        assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name", [*CALLS, "max_flow", "interdict"])
def test_a_table_where_a_network_is_expected_is_an_input_error_naming_net(name):
    call = {**CALLS, "max_flow": fentanet.max_flow,
            "interdict": lambda net: fentanet.interdict(net, 1)}[name]
    with pytest.raises(InputError, match=r"field 'net': expected a fentanet Network, a networkx "
                                         r"graph or an igraph Graph, got DataFrame \(a file: "
                                         r"fentanet.read\(path\); tables: "
                                         r"fentanet.from_pandas\(links, actors\)\)"):
        call(pd.DataFrame({"source": ["a"], "target": ["b"]}))


def test_max_flow_and_interdict_take_a_networkx_graph_with_its_source_and_sink():
    g = nx.DiGraph(source="s", sink="t")
    g.add_edge("s", "a", kind="flow", capacity=2.0, cost=1.0)
    g.add_edge("a", "t", kind="flow", capacity=3.0, cost=1.0)
    assert fentanet.max_flow(g).value == 2.0
    assert fentanet.interdict(g, 1).flow_after == 0.0


def test_simulate_refuses_a_network_or_a_progress_it_cannot_use():
    with pytest.raises(InputError, match="field 'network': expected a fentanet Network, a "
                                         "networkx graph or an igraph Graph, got str"):
        fentanet.simulate("toy", years=0.02, network="case.csv")
    with pytest.raises(InputError, match=r"field 'progress': expected True, False or a "
                                         r"function f\(step, n_steps\), got 'bar'"):
        fentanet.simulate("toy", years=0.02, progress="bar")


def test_analysis_report_takes_a_networkx_graph_as_analyze_does():
    from fentanet.report import analysis_report

    rep = analysis_report(_phased(), k=1, steps=1, strategies=("degree",), curve=False)
    assert "Key players" in rep.sections()


def test_simulate_and_compare_take_progress_none_as_off():
    # None, the usual 'off', was refused once progress was checked (review s20, final)
    r = fentanet.simulate("toy", years=0.02, progress=None)
    assert r.series["step"].tolist() == fentanet.simulate("toy", years=0.02).series[
        "step"].tolist()
    c = fentanet.compare("toy", ["naloxone"], years=0.02, progress=None)
    assert list(c.results) == ["baseline", "naloxone"]
