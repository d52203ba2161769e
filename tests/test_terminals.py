"""The source and sink of an untyped flow network are never targets (review s18, M4).

The interdiction instances name an artificial source and sink in ``net.meta``. Interdiction
never removes them (docs/flow.md); key players, resilience attacks and the analysis'
top-actor tables left them in, so every targeted attack took a terminal first and the flow
fell to 0 after one removal.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import fentanet
from fentanet import InputError, Network
from fentanet.analysis.flow import fixed_terminals
from fentanet.analysis.summary import analyze
from fentanet.cli import main


def instance(meta: bool = True) -> Network:
    """s feeds t over m (capacity 3) and n (1); s also reaches a (and a's x), b and c.

    Undirected, removing s leaves {a, x}, {b}, {c}, {m, n, t}: F = 1 - (2 + 6)/42 = 34/42;
    removing a leaves {x} and six: F = 1 - 30/42 = 12/42; m, n, t or a leaf: F = 0."""
    links = pd.DataFrame({
        "source": ["s", "m", "s", "n", "s", "a", "s", "s"],
        "target": ["m", "t", "n", "t", "a", "x", "b", "c"],
        "kind": "flow",
        "capacity": [3, 3, 1, 1, None, None, None, None],
    })
    return Network(links=links, meta={"source": "s", "sink": "t"} if meta else {})


def test_the_terminals_are_those_meta_names():
    net = instance()
    assert net.ids[fixed_terminals(net)].tolist() == ["s", "t"]
    assert not fixed_terminals(instance(meta=False)).any()
    assert net.ids[fixed_terminals(net, sinks=["x"])].tolist() == ["s", "x"]
    # a view that left the source out: its id names no actor and is passed over
    assert net.without(["s"]).ids[fixed_terminals(net.without(["s"]))].tolist() == ["t"]


def test_key_players_never_choose_the_source_or_sink():
    res = fentanet.key_players(instance(meta=False), 1, "fragmentation")
    assert res.actors == ["s"] and res.score == pytest.approx(34 / 42)
    res = fentanet.key_players(instance(), 1, "fragmentation")
    assert res.actors == ["a"] and res.score == pytest.approx(12 / 42)
    assert fentanet.key_players(instance(), 1, exact=True).actors == ["a"]
    assert fentanet.key_players(instance(), 1, candidates=["s", "a"]).actors == ["a"]
    with pytest.raises(InputError, match=r"only 0 candidate actors for a set of k = 1 "
                                         r"\(the flow network's source and sink, s, t, are "
                                         r"never chosen\)"):
        fentanet.key_players(instance(), 1, candidates=["s", "t"])


def test_resilience_never_removes_the_source_or_sink():
    net = instance()
    # degree: s (5 neighbours) first without the rule; with it m, then n (2 each, in order)
    before = fentanet.resilience(instance(meta=False), "degree", steps=1)
    assert before["actor"].tolist() == [None, "s"] and before["lcc"].tolist() == [1, 3 / 8]
    # sources and sinks given for the flow measure are fixed as meta's are
    given = fentanet.resilience(instance(meta=False), "degree", steps=1, measure="flow",
                                sources="s", sinks="t")
    assert given["actor"].tolist() == [None, "m"] and given["flow"].tolist() == [1.0, 0.25]
    curve = fentanet.resilience(net, "degree", steps=2, measure="flow")
    assert curve["actor"].tolist() == [None, "m", "n"]
    assert curve["flow"].tolist() == pytest.approx([1.0, 0.25, 0.0])
    for strategy in ("betweenness", "key_players", "random", "kind:actor"):
        removed = fentanet.resilience(net, strategy, measure="lcc")["actor"].tolist()[1:]
        assert sorted(removed) == ["a", "b", "c", "m", "n", "x"], strategy
    removed = fentanet.resilience(net, "degree", kinds=["actor"])["actor"].tolist()[1:]
    assert "s" not in removed and "t" not in removed and len(removed) == 6
    with pytest.raises(InputError, match=r"the list names s, the source or sink of flow "
                                         r"network"):
        fentanet.resilience(net, ["a", "s"])


def test_analyze_leaves_the_terminals_out():
    report = analyze(instance(), k=1, steps=2, strategies=("degree", "betweenness",
                                                             "key_players"))
    assert report.key_players["fragmentation"].actors == ["a"]
    assert "s" not in report.key_players["reach"].actors
    for values in report.top.values():
        assert not {"s", "t"} & set(values.index)
    assert {"s", "t"} <= set(report.centrality.index)     # the table keeps every actor
    first = report.resilience.query("removed == 1").set_index("strategy")["actor"]
    assert not {"s", "t"} & set(first)
    assert any(n.startswith("the flow network's source and sink (s, t) left out")
               for n in report.notes)


def test_the_interdiction_instances(shared_data):
    folder = shared_data / "interdiction"
    files = sorted(folder.glob("*/*.csv"))
    if not files:
        pytest.skip(f"no interdiction instances under {folder}")
    for path in files:
        net = fentanet.read(path)
        ends = {str(net.meta["source"]), str(net.meta["sink"])}
        assert not ends & set(fentanet.key_players(net, 5).actors), path
        for strategy in ("degree", "betweenness", "key_players"):
            curve = fentanet.resilience(net, strategy, steps=1, measure="flow")
            # one removal no longer stops every flow (it did: the sink or the source went)
            assert curve["actor"].iloc[1] not in ends and curve["flow"].iloc[1] > 0, path


def test_cli_refuses_listing_a_terminal(capsys, shared_data):
    path = shared_data / "interdiction" / "ht" / "Network1.csv"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    code = main(["resilience", str(path), "--strategy", "list", "--actors", "3,42"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.startswith("error: field 'strategy': the list names 42, the source or sink "
                          "of flow network 'Network1'")
    code = main(["resilience", str(path), "--strategy", "degree", "--steps", "1",
                 "--measure", "flow", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    curve = json.loads(out)["curve"]
    assert curve[1]["actor"] == "1" and curve[1]["flow"] == pytest.approx(0.682, abs=1e-3)
