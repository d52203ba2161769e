"""The one-call analysis (fentanet.analysis.summary.analyze): each part equals the public
function it comes from, interdiction is re-checked by max flow, and bad input is refused."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from fentanet import (
    InputError,
    Network,
    centrality,
    generate,
    key_players,
    max_flow,
    resilience,
)
from fentanet.analysis.summary import analyze


@pytest.fixture(scope="module")
def caviar_report(shared_data):
    from fentanet import datasets

    net = datasets.load("caviar")
    return net, analyze(net, top=5, k=4, steps=10, seed=3)


def test_caviar_report_matches_the_functions(caviar_report):
    net, rep = caviar_report
    bet = centrality(net, "betweenness")
    assert rep.top["betweenness"].index.tolist() == bet.sort_values(
        ascending=False, kind="stable").index[:5].tolist()
    assert rep.centrality.loc["1", "betweenness"] == pytest.approx(bet["1"])
    assert rep.key_players["fragmentation"] == key_players(net, 4, "fragmentation", seed=3)
    curve = resilience(net, "betweenness", steps=10, measure=["lcc", "components"])
    got = rep.resilience[rep.resilience["strategy"] == "betweenness"]
    assert got["actor"].tolist()[1:] == curve["actor"].tolist()[1:]
    assert got["lcc"].to_numpy() == pytest.approx(curve["lcc"].to_numpy())
    summary = rep.resilience_summary.set_index("strategy")
    assert summary.loc["betweenness", "lcc"] == pytest.approx(curve["lcc"].iloc[-1])
    half = int(np.flatnonzero(curve["lcc"].to_numpy() <= 0.5)[0])
    assert summary.loc["betweenness", "removals_to_half"] == half
    assert summary.loc["betweenness", "robustness"] == pytest.approx(
        curve["lcc"].iloc[1:].mean())
    # targeted attacks beat random ones on CAVIAR
    assert summary.loc["random", "robustness"] > 0.85 > 0.45 > summary.loc[
        "betweenness", "robustness"]
    assert rep.flow is None and rep.interdiction is None
    assert any("no flow links" in n for n in rep.notes)
    assert rep.brokerage_groups == "community"
    assert rep.communities.n_communities == len(rep.community_table)


def test_report_serialises_and_lists_its_tables(caviar_report):
    _, rep = caviar_report
    text = json.dumps(rep.to_dict())
    back = json.loads(text)
    assert back["network"]["actors"] == 110
    assert back["key_players"]["fragmentation"]["actors"] == rep.key_players[
        "fragmentation"].actors
    tables = rep.tables()
    assert {"centrality", "key_players", "communities", "community_table", "brokerage",
            "resilience", "resilience_summary"} <= set(tables)
    assert len(tables["centrality"]) == 110
    assert len(tables["key_players"]) == 8


def test_supply_network_gets_bottleneck_and_interdiction():
    net = generate({"actors": 300}, seed=4)
    rep = analyze(net, k=3, steps=8, seed=1, time_limit=2.0)
    flow = max_flow(net)
    assert rep.flow.value == pytest.approx(flow.value)
    inter = rep.interdiction
    assert inter.target == "actors"
    costs = pd.to_numeric(net.actors["cost"]).dropna()
    assert inter.budget == pytest.approx(3 * costs[costs > 0].median())
    assert inter.cost_used <= inter.budget + 1e-9
    assert inter.optimal or any("not proven optimal" in n for n in rep.notes)
    after = max_flow(net.without(inter.removed_actors)).value if inter.removed_actors \
        else flow.value
    assert inter.flow_after == pytest.approx(after)
    assert "flow" in rep.resilience_summary.columns
    kinds = net.actors.set_index("id")["kind"]
    for res in rep.key_players.values():
        assert "market" not in set(kinds[res.actors])
    assert rep.brokerage_groups == "kind"
    explicit = analyze(net, k=3, steps=4, budget=0.0, seed=1)
    assert explicit.interdiction.removed == []
    assert explicit.interdiction.flow_after == pytest.approx(flow.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 0}, "k \\(the key-player set size\\)"),
        ({"k": 6}, "from 1 to 5"),
        ({"top": 0}, "top must be"),
        ({"budget": 2.0}, "no flow links to interdict"),
        ({"budget": -1.0}, "budget must be a number >= 0"),
    ],
)
def test_bad_input(kwargs, message):
    ring = Network(links=pd.DataFrame({"source": list("abcdefg"),
                                       "target": list("bcdefga")}), directed=False)
    with pytest.raises(InputError, match=message):
        analyze(ring, **kwargs)


def test_default_k_fits_a_small_network():
    # 5 by default, at most the actors less two: a 5-actor network gets sets of 3 instead
    # of an error about an option the user did not give (review s15, F6.2)
    net = Network(links=pd.DataFrame({"source": list("abcd"), "target": list("bcae")}),
                  directed=False)
    rep = analyze(net, steps=2, seed=1)
    assert rep.key_players["fragmentation"].k == 3
    ring = Network(links=pd.DataFrame({"source": list("abcdefgh"),
                                       "target": list("bcdefgha")}), directed=False)
    assert analyze(ring, steps=2, seed=1).key_players["fragmentation"].k == 5
