"""Targeting: every rule picks alive actors of the intervention's kinds, on the known or
the true network, with the analysis layer as the oracle."""

from __future__ import annotations

import dataclasses

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import fentanet
from fentanet.scenarios import load
from fentanet.simulate import targeting
from fentanet.simulate.loop import Sim
from fentanet.simulate.scenario import Intervention, Scenario
from fentanet.simulate.state import KIND
from simkit import stepped_sim, supply_network

NET = supply_network()


@pytest.fixture(scope="module")
def sim():
    return stepped_sim(NET)


def iv(kind, rule, count=3, view="true"):
    return Intervention(kind=kind, target={"rule": rule, "count": count, "view": view})


@pytest.mark.parametrize("rule", ["random", "degree", "betweenness", "closeness",
                                  "pagerank", "harmonic", "key_players", "min_cut",
                                  "interdiction"])
def test_every_rule_targets_alive_actors_of_the_right_kinds(sim, rule):
    slots = targeting.select(sim, iv("trafficker_enforcement", rule, count=4))
    a = sim.s.actors
    assert slots.size <= 4 and a.alive[slots].all()
    assert set(a.kind[slots]) <= {KIND["trafficker"], KIND["dealer"]}
    if rule not in ("min_cut", "interdiction", "key_players"):  # set rules: those of
        assert slots.size == 4  # the set that are of the intervention's kinds



def test_degree_targets_match_networkx_on_the_true_person_network(sim):
    net = targeting.known_network(sim, "true")
    g = nx.MultiGraph()
    g.add_nodes_from(net.actors["id"])
    g.add_edges_from(zip(net.links["source"], net.links["target"], strict=True))
    slots = targeting.select(sim, iv("trafficker_enforcement", "degree", count=3))
    chosen = sim.s.actors.label[slots]
    people = [n for n, k in zip(net.actors["id"], net.actors["kind"], strict=True)
              if k in ("trafficker", "dealer")]
    degs = sorted((g.degree(n) for n in people), reverse=True)
    assert sorted((g.degree(n) for n in chosen), reverse=True) == degs[:3]


def test_known_view_only_targets_what_the_police_know(sim):
    a, ln = sim.s.actors, sim.s.links
    slots = targeting.select(sim, iv("trafficker_enforcement", "random", count=50, view="known"))
    known = np.zeros(a.n, dtype=bool)
    vis = ln.known & ln.alive
    known[ln.src[vis]] = True
    known[ln.dst[vis]] = True
    assert known[slots].all()


def test_takedown_targets_whole_organizations(sim):
    slots = targeting.select(sim, iv("organization_takedown", "degree", count=1))
    a = sim.s.actors
    orgs = np.unique(a.org[slots])
    assert orgs.size == 1
    members = np.flatnonzero((a.org == orgs[0]) & a.alive)
    assert set(slots) == set(members)


def test_surveillance_reveals_links_at_the_documented_rate():
    sc = Scenario.model_validate({"name": "t", "network": {"file": "x"}, "years": 0.1,
                                  "warmup_years": 0.0,
                                  "params": {"enforcement": {"known_share": 0.0,
                                                             "reveal_rate": 0.5}}})
    s = Sim(sc, NET, 3)
    s.run_step()
    ln = s.s.links
    assert not ln.known.any()
    assert s.surveillance == pytest.approx(0.5 / 52)  # the clock: a step at reveal_rate
    s.surveillance = 0.5  # a year of surveillance at reveal_rate 0.5
    targeting.surveil(s)
    alive = ln.alive & s.s.actors.alive[ln.src] & s.s.actors.alive[ln.dst] & (ln.born == 0)
    share = ln.known[alive].mean()
    expected = 1 - np.exp(-0.5)
    assert abs(share - expected) < 4 * np.sqrt(expected * (1 - expected) / alive.sum())


def test_what_surveillance_reveals_does_not_depend_on_when_anyone_looked():
    """Looking at clock 0.1, 0.3 and 0.5 reveals the links one look at 0.5 reveals; a link
    born later (at clock 0.3, a recruit's) needs its own time."""
    sc = Scenario.model_validate({"name": "t", "network": {"file": "x"}, "years": 0.1,
                                  "warmup_years": 0.0,
                                  "params": {"enforcement": {"known_share": 0.0}}})
    once, often = Sim(sc, NET, 3), Sim(sc, NET, 3)
    for s in (once, often):
        s.s.links.born[:20] = 0.3
    for clock in (0.1, 0.3, 0.5):
        often.surveillance = clock
        targeting.surveil(often)
    once.surveillance = 0.5
    targeting.surveil(once)
    np.testing.assert_array_equal(once.s.links.known, often.s.links.known)
    assert 0 < once.s.links.known.sum() < once.s.links.n
    later = Sim(sc, NET, 3)
    later.surveillance = 0.2  # what a link born at 0 shows at 0.2 ...
    targeting.surveil(later)
    np.testing.assert_array_equal(once.s.links.known[:20], later.s.links.known[:20])


def test_an_operation_at_intensity_0_leaves_another_operations_targets_alone():
    """Two targeted operations retargeting on other steps (from 0 and from 0.1 years, every
    quarter): the second at intensity 0 leaves the run bit for bit the baseline's (each
    retargeting drew surveillance afresh for the time since the last look, so the second
    operation's looks changed the first's targets: 59 series columns, deaths 254 -> 257)."""
    sc = load("toy").override({"years": 2.0})
    hunt = {"kind": "trafficker_enforcement", "start": 0.0, "intensity": 2.0,
            "target": {"rule": "degree", "count": 5}}
    idle = {"kind": "lab_raids", "start": 0.1, "intensity": 0.0,
            "target": {"rule": "degree", "count": 5}}
    base = fentanet.simulate(sc.override({"interventions": [hunt]}), seed=1).series
    both = fentanet.simulate(sc.override({"interventions": [hunt, idle]}), seed=1).series
    costs = [c for c in both.columns if c.startswith("cost_lab_raids")]
    assert costs and (both[costs] == 0).all().all()
    pd.testing.assert_frame_equal(base, both.drop(columns=costs))


def test_interdiction_is_bounded_and_falls_back_to_the_heuristic_at_the_node_limit(sim):
    """The MILP gets MILP_NODES (never a time limit: the run must not depend on the
    machine's speed); a set it did not prove optimal within them is replaced by the
    heuristic's."""
    calls = []

    class Timed:
        def __init__(self, proved):
            self.proved = proved

        def __getattr__(self, name):
            return getattr(fentanet, name)

        def interdict(self, net, budget, **kw):
            calls.append(kw)
            if kw["exact"]:
                res = fentanet.interdict(net, budget, **kw)
                # the solver as if stopped by its time limit with a set of its own
                return dataclasses.replace(res, method="milp", optimal=self.proved,
                                           removed=["timed-out"])
            return fentanet.interdict(net, budget, **kw)

    net = targeting.known_network(sim, "true")
    flow_net = net.select(link_kinds=["supplies", "ships", "distributes", "sells_to"])
    cand = [x for x in net.ids if x.startswith(("trf-", "dlr-"))]
    heuristic = fentanet.interdict(flow_net, 2.0, target="actors", cost="cost", exact=False,
                                   candidates=cand)
    assert heuristic.removed
    one = iv("trafficker_enforcement", "interdiction", count=2)
    got, _ = targeting._set_rule(Timed(proved=False), net, one, sim, cand)
    assert [c["exact"] for c in calls] == [True, False]
    assert calls[0]["node_limit"] == targeting.MILP_NODES
    assert "time_limit" not in calls[0]
    assert got[: len(heuristic.removed)] == heuristic.removed
    calls.clear()
    assert targeting._set_rule(Timed(proved=True), net, one, sim, cand)[0][0] == "timed-out"
    assert [c["exact"] for c in calls] == [True]


# eigenvector centrality is not defined on the directed flow links of a supply chain
# (acyclic): the rule ranks people on the undirected person network, and every run with it
# failed at its first retargeting before

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


@pytest.mark.parametrize("kind", ["trafficker_enforcement", "organization_takedown"])
def test_a_newcomer_in_an_arrested_targets_place_is_not_a_target(kind):
    """Targets are the actors chosen at the last recomputation: when one is arrested and a
    recruit takes its place (fresh uid, links unknown to the police), the recruit's hazard
    is not multiplied until a recomputation picks it (it was: the slot stayed targeted). A
    takedown targets the members of its organizations, newcomers in their places too."""
    from fentanet.simulate.phases import adaptation, enforcement, interventions

    one = {"kind": kind, "start": 0.0, "intensity": 1.0,
           "target": {"rule": "degree", "count": 1, "view": "true"}}
    sc = Scenario.model_validate({"name": "t", "network": {"file": "x"}, "years": 1.0,
                                  "warmup_years": 0.0, "interventions": [one]})
    s = Sim(sc, NET, 1)
    interventions.run(s)
    a = s.s.actors
    gain = 1.0 + sc.params.enforcement.target_gain * 1.0
    chosen = targeting.current(s, 0, sc.interventions[0])
    trf = chosen[a.kind[chosen] == KIND["trafficker"]][0]
    assert s.efforts.target[trf] == gain
    enforcement.remove(s, np.array([trf]), cause="arrest")
    s.t = s.step * s.dt + 1.0  # vacant long enough; no succession needed (a member)
    adaptation._recruit(s, np.array([trf]))
    s.step += 1  # before the next recomputation (a quarter)
    interventions.run(s)
    assert a.alive[trf] and s.targets_at[0] == 0
    want = gain if kind == "organization_takedown" else 1.0
    assert s.efforts.target[trf] == want
    others = chosen[chosen != trf]
    assert (s.efforts.target[others] == gain).all()


@pytest.mark.parametrize("rule", ["min_cut", "interdiction"])
def test_flow_rules_on_a_network_without_suppliers_target_nobody(rule):
    """The minimum cut and the interdiction set are of the flow from suppliers: on a network
    without them (labs supplied from outside it) there is no flow to cut and nobody is
    targeted (the run failed at its first retargeting: max_flow found no sources)."""
    net = NET.subgraph(NET.actors["id"][NET.actors["kind"] != "supplier"])
    sc = Scenario.model_validate({
        "name": "t", "network": {"file": "x"}, "years": 0.2, "warmup_years": 0.0,
        "interventions": [{"kind": "lab_raids", "start": 0.05, "intensity": 1.0,
                           "target": {"rule": rule, "count": 2, "view": "true"}}]})
    s = Sim(sc, net, 1)
    with pytest.warns(UserWarning, match=r"lab_raids by .*0 target\(s\) of the 2 asked "
                      r"\(no supplier in the network"):
        s.run()
    assert s.targets[0].size == 0 and s.rows[-1]["balance_error"] < 1e-9
