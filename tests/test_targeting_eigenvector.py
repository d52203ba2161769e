"""Eigenvector targeting ranks people on the undirected person network: on the directed flow
links of a supply chain (acyclic) eigenvector centrality is not defined, and every run with
this rule failed at its first retargeting."""

from __future__ import annotations

import networkx as nx
import pytest

import fentanet
from fentanet.simulate import targeting
from fentanet.simulate.loop import Sim
from fentanet.simulate.scenario import Intervention, Scenario
from simkit import supply_network

NET = supply_network()


@pytest.fixture(scope="module")
def sim():
    sc = Scenario.model_validate({"name": "t", "network": {"file": "x"}, "years": 0.1,
                                  "warmup_years": 0.0})
    s = Sim(sc, NET, 1)
    s.run_step()
    return s


def test_eigenvector_targets_are_the_top_of_networkx_on_the_undirected_network(sim):
    net = targeting.known_network(sim, "true")
    g = nx.Graph()
    g.add_nodes_from(net.actors["id"])
    g.add_edges_from(zip(net.links["source"], net.links["target"], strict=True))
    ev = nx.eigenvector_centrality(g, max_iter=10_000, tol=1e-12)
    iv = Intervention(kind="trafficker_enforcement",
                      target={"rule": "eigenvector", "count": 3, "view": "true"})
    chosen = sim.s.actors.label[targeting.select(sim, iv)]
    people = [n for n, k in zip(net.actors["id"], net.actors["kind"], strict=True)
              if k in ("trafficker", "dealer")]
    best = sorted((ev[n] for n in people), reverse=True)[:3]
    assert sorted((ev[n] for n in chosen), reverse=True) == pytest.approx(best, rel=1e-6)


def test_a_run_targeted_by_eigenvector_centrality_runs():
    r = fentanet.simulate("toy", seed=1, years=0.3, interventions=[
        {"kind": "lab_raids", "start": 0.05, "target": {"rule": "eigenvector", "count": 3}}])
    assert r.summary["balance_error_max"] < 1e-9
