"""fentanet analyze's report: markets out of the top actors, flow betweenness on flow
networks, and measures per phase with rank movement for networks observed in phases."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from fentanet import Network, centrality, generate, write
from fentanet.analysis import summary
from fentanet.analysis.centrality import flow_pairs
from fentanet.analysis.summary import analyze
from fentanet.analysis.temporal import phase_measures, rank_dynamics
from fentanet.cli import main


@pytest.fixture(scope="module")
def supply():
    return generate({"actors": 120}, seed=4)


@pytest.fixture(scope="module")
def supply_report(supply):
    return analyze(supply, k=2, steps=3, time_limit=2)


def test_markets_are_left_out_of_the_top_actors(supply, supply_report):
    markets = set(supply.ids[(supply.actors["kind"] == "market").to_numpy()])
    assert markets
    for measure, ranked in supply_report.top.items():
        assert not markets & set(ranked.index), measure
    # they are still in the full centrality table, and would have ranked by pagerank
    assert markets <= set(supply_report.centrality.index)
    pagerank = centrality(supply, "pagerank").sort_values(ascending=False, kind="stable")
    assert set(pagerank.index[:10]) & markets
    people = pagerank[[a not in markets for a in pagerank.index]]
    assert list(supply_report.top["pagerank"].index) == list(people.index[:10])
    assert any("markets left out of the top actors" in n for n in supply_report.notes)


def test_flow_betweenness_is_in_the_report_of_a_flow_network(supply, supply_report):
    exact = centrality(supply, "flow_betweenness")
    got = supply_report.centrality["flow_betweenness"]
    assert np.allclose(got.to_numpy(), exact.to_numpy())
    assert supply_report.settings["flow_betweenness_sample"] is None
    assert "flow_betweenness" in supply_report.top


def test_flow_betweenness_is_sampled_above_the_limit(monkeypatch, supply):
    pairs = flow_pairs(supply)
    monkeypatch.setattr(summary, "FLOW_EXACT_PAIRS", pairs - 1)
    monkeypatch.setattr(summary, "FLOW_SAMPLE_PAIRS", 50)
    rep = analyze(supply, k=2, steps=2, time_limit=2, strategies=("degree",))
    sampled = centrality(supply, "flow_betweenness", sample=50, seed=0)
    assert np.allclose(rep.centrality["flow_betweenness"].to_numpy(), sampled.to_numpy())
    assert rep.settings["flow_betweenness_sample"] == 50
    assert (f"flow betweenness estimated from 50 of the {pairs:,} connected pairs, drawn at "
            f"random (exact up to {pairs - 1:,})") in rep.notes


def test_untyped_network_has_no_flow_betweenness_and_keeps_every_actor():
    ring = Network(links=pd.DataFrame({"source": list("abcdef"),
                                       "target": list("bcdefa")}), directed=False)
    rep = analyze(ring, k=2, steps=2)
    assert "flow_betweenness" not in rep.centrality
    assert len(rep.top["degree"]) == 6
    assert rep.phases is None and rep.rank_movement is None


def phased() -> Network:
    # phase 1: a star around a; phase 2: a path b-c-d-e; phase 3: a star around e
    rows = ([("a", x, 1) for x in "bcd"] + [("b", "c", 2), ("c", "d", 2), ("d", "e", 2)]
            + [("e", x, 3) for x in "abc"])
    links = pd.DataFrame(rows, columns=["source", "target", "phase"])
    return Network(links=links, directed=False, name="phased")


def test_measures_per_phase_and_rank_movement():
    net = phased()
    rep = analyze(net, k=1, steps=2)
    expected = phase_measures(net, ("degree", "betweenness"))
    pd.testing.assert_frame_equal(rep.phases.network, expected.network)
    pd.testing.assert_frame_equal(rep.phases.actors, expected.actors)
    tau = rep.rank_movement
    assert list(tau["measure"].unique()) == ["degree", "betweenness"]
    for measure in ("degree", "betweenness"):
        want = rank_dynamics(net, measure).tau
        got = tau[tau["measure"] == measure].drop(columns="measure").reset_index(drop=True)
        pd.testing.assert_frame_equal(got, want)
    assert tau[["phase_from", "phase_to"]].values.tolist()[:2] == [[1, 2], [2, 3]]
    tables = rep.tables()
    assert {"phase_network", "phase_centrality", "rank_movement"} <= set(tables)
    d = rep.to_dict()
    assert [r["phase"] for r in d["phases"]] == [1, 2, 3]
    assert len(d["rank_movement"]) == 4


def test_cli_prints_and_writes_the_phases(tmp_path, capsys):
    path = tmp_path / "phased.csv"
    write(phased(), path)
    out = tmp_path / "tables"
    assert main(["analyze", str(path), "--k", "1", "--steps", "2", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "Phases: 3 (rank movement: Kendall's tau-b against the phase before)" in stdout
    movement = pd.read_csv(out / "rank_movement.csv")
    assert set(movement["measure"]) == {"degree", "betweenness"}
    per = pd.read_csv(out / "phase_network.csv")
    assert per["links"].tolist() == [3, 3, 3]
    assert main(["analyze", str(path), "--k", "1", "--steps", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["actors"] for r in data["phases"]] == [4, 4, 4]
