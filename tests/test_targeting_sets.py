"""Set rules (key players, minimum cut, interdiction) choose among the actors the operation
can act on: brute force over those candidates on a small hand-made network, and every
operation on the toy gets targets of its kinds that change the run."""

from __future__ import annotations

import warnings
from itertools import combinations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import fentanet
from fentanet.simulate import targeting
from fentanet.simulate.loop import Sim
from fentanet.simulate.run import build_network, prepare
from fentanet.simulate.scenario import Intervention
from fentanet.simulate.state import KIND
from simkit import stepped_sim, supply_network

NET = supply_network()
OPERATIONS = {"lab_raids": ("lab",), "trafficker_enforcement": ("trafficker", "dealer"),
              "marketplace_takedown": ("marketplace",)}


@pytest.fixture(scope="module")
def sim():
    return stepped_sim(NET)


def iv(kind, rule, count, view="true"):
    return Intervention(kind=kind, target={"rule": rule, "count": count, "view": view})


def chosen_and_candidates(sim, op):
    slots = targeting.select(sim, op)
    a = sim.s.actors
    return a.label[slots].tolist(), a.label[targeting._candidates(sim, op)].tolist()


def flow_network(sim):
    net = targeting.known_network(sim, "true")
    return net, net.select(link_kinds=list(targeting.FLOW_LINKS))


def supply_paths(flow_net, removed) -> bool:
    """Whether some supplier still reaches some market over the flow links (networkx)."""
    g = nx.DiGraph()
    g.add_edges_from(zip(flow_net.links["source"], flow_net.links["target"], strict=True))
    g.remove_nodes_from(removed)
    kinds = dict(zip(flow_net.actors["id"], flow_net.actors["kind"], strict=True))
    g.add_edges_from(("S", n) for n in list(g) if kinds.get(n) == "supplier")
    g.add_edges_from((n, "T") for n in list(g) if kinds.get(n) == "market")
    return "S" in g and "T" in g and nx.has_path(g, "S", "T")


@pytest.mark.parametrize(("kind", "count"), [("lab_raids", 2), ("lab_raids", 3),
                                             ("trafficker_enforcement", 2)])
def test_key_players_are_the_best_set_among_the_candidates(sim, kind, count):
    net, _ = flow_network(sim)
    got, cand = chosen_and_candidates(sim, iv(kind, "key_players", count))
    assert len(got) == count and set(got) <= set(cand)
    best = max(fentanet.kpp_score(net, list(s), "fragmentation")
               for s in combinations(cand, count))
    assert fentanet.kpp_score(net, got, "fragmentation") == pytest.approx(best)
    # the whole network's best pair is not a pair of labs: the restriction matters
    if kind == "lab_raids":
        free = fentanet.key_players(net, count, "fragmentation", exact=True)
        assert not set(free.actors) <= set(cand)


@pytest.mark.parametrize("kind", ["lab_raids", "trafficker_enforcement"])
def test_min_cut_is_the_smallest_cut_among_the_candidates(sim, kind):
    _, flow_net = flow_network(sim)
    got, cand = chosen_and_candidates(sim, iv(kind, "min_cut", 10))
    assert set(got) <= set(cand) and not supply_paths(flow_net, got)
    smallest = next(r for r in range(len(cand) + 1)
                    if any(not supply_paths(flow_net, s) for s in combinations(cand, r)))
    assert len(got) == smallest == 4  # the four labs; the four traffickers


def test_a_cut_larger_than_count_gives_its_members_carrying_most_flow(sim):
    _, flow_net = flow_network(sim)
    got, _ = chosen_and_candidates(sim, iv("lab_raids", "min_cut", 2))
    carried = fentanet.max_flow(flow_net).throughput
    labs = carried[[x for x in carried.index if x.startswith("lab-")]]
    assert len(got) == 2
    assert sorted(carried[got], reverse=True) == sorted(labs, reverse=True)[:2]


def test_no_cut_among_the_candidates_gives_those_carrying_most_flow(sim):
    """The marketplace alone cannot cut the suppliers from the labs: the rule falls back
    to the candidates carrying flow (it carries some)."""
    _, flow_net = flow_network(sim)
    assert supply_paths(flow_net, ["mkp-0"])
    got, _ = chosen_and_candidates(sim, iv("marketplace_takedown", "min_cut", 3))
    assert got == ["mkp-0"] and fentanet.max_flow(flow_net).throughput["mkp-0"] > 0


@pytest.mark.parametrize(("kind", "count"), [("lab_raids", 1), ("lab_raids", 2),
                                             ("trafficker_enforcement", 2)])
def test_interdiction_is_the_optimal_set_among_the_candidates(sim, kind, count):
    """The set leaves the least flow of every set of at most ``count`` candidates; one
    lab alone lowers nothing (the other three carry the markets' demand), so the optimal
    set is empty and is filled with the lab carrying the most flow."""
    _, flow_net = flow_network(sim)
    got, cand = chosen_and_candidates(sim, iv(kind, "interdiction", count))
    assert len(got) == count and set(got) <= set(cand)

    def left(s):
        return fentanet.max_flow(flow_net.without(list(s))).value

    best = min(left(s) for r in range(count + 1) for s in combinations(cand, r))
    assert left(got) == pytest.approx(best, abs=1e-9)
    if count == 1:
        carried = fentanet.max_flow(flow_net).throughput[cand]
        assert best == left(()) and carried[got[0]] == carried.max()
    else:
        assert best < left(())


# ---------------------------------------------------------------------- on the toy
TOY_COUNTS = {"lab_raids": 2, "trafficker_enforcement": 3, "marketplace_takedown": 1}


@pytest.fixture(scope="module")
def toy_baseline():
    sc = prepare("toy", years=0.75)
    s = Sim(sc, build_network(sc), 1)
    s.run()
    return pd.DataFrame(s.rows)


@pytest.mark.parametrize("rule", ["key_players", "min_cut", "interdiction"])
@pytest.mark.parametrize("kind", list(OPERATIONS))
def test_every_operation_on_the_toy_gets_targets_of_its_kinds(toy_baseline, kind, rule):
    """Before, a lab raid or a marketplace takedown by any set rule had no target (the set
    was computed over every kind, then filtered) and its run equalled the baseline. A
    one-time strike (each target arrested) makes the effect certain, not a chance. On the
    true network: on what the police know by then, a cut may be smaller than the count."""
    count = TOY_COUNTS[kind]
    sc = prepare("toy", years=0.75, interventions=[
        {"kind": kind, "start": 0.25, "intensity": 1.0, "once": True,
         "target": {"rule": rule, "count": count, "view": "true"}}])
    s = Sim(sc, build_network(sc), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # enough targets: no warning
        while 0 not in s.targets:
            s.run_step()
    first = s.targets[0]
    kinds = set(np.array(list(KIND))[s.s.actors.kind[first]])
    assert first.size == count and kinds <= set(OPERATIONS[kind])
    s.run()
    series = pd.DataFrame(s.rows)
    cols = [c for c in series.columns if "cost" not in c]
    before = series["time"] < 0.25 - 1e-9
    assert series.loc[before, cols].equals(toy_baseline.loc[before, cols])
    assert not series.loc[~before, cols].equals(toy_baseline.loc[~before, cols])


def test_too_few_targets_are_warned_about_once_a_run():
    """The toy has two marketplaces: a takedown of five says so, once, though it is
    retargeted every quarter, and names what it got."""
    sc = prepare("toy", years=1.0, interventions=[
        {"kind": "marketplace_takedown", "start": 0.25, "intensity": 1.0,
         "target": {"rule": "key_players", "count": 5}}])
    s = Sim(sc, build_network(sc), 1)
    with pytest.warns(UserWarning) as record:
        s.run()
    mine = [str(w.message) for w in record if "marketplace_takedown" in str(w.message)]
    assert len(mine) == 1 and s.targets_at[0] > round(0.5 / s.dt)
    assert "by key_players (known view) at 0.25 years: 2 target(s) of the 5 asked" in mine[0]
    assert "cost is charged in full" in mine[0]


def test_compare_on_the_command_line_prints_the_warning(tmp_path, capsys):
    from fentanet.cli import main

    code = main(["compare", "toy", "--variant", "mkp=marketplace_takedown:1:min_cut:5",
                 "--years", "0.3", "--scheduler", "serial", "--store", str(tmp_path / "s"),
                 "--json"])
    err = capsys.readouterr().err
    assert code == 0, err
    # (the ensemble's runs' warnings, shown once they end, name the variant and seed)
    lines = [x for x in err.splitlines()
             if x.startswith("warning: mkp, seed 1: marketplace_takedown")]
    assert len(lines) == 1 and "by min_cut (known view) at 0 years:" in lines[0]
    assert "target(s) of the 5 asked" in lines[0]


@pytest.mark.parametrize("view", ["known", "true"])
@pytest.mark.parametrize("rule", ["key_players", "min_cut", "interdiction"])
def test_an_organization_takedown_by_a_set_rule_hits_as_many_organizations_as_asked(
        rule, view):
    """The set's members can share organizations (on the toy, key players in the known
    view were two of organization 17's): the others follow by their members' degree, so
    a takedown of 3 hits the toy's 3 organizations, the set's own first, without a
    warning; one of 5 says the candidates belong to 3."""
    def first_targets(count):
        sc = prepare("toy", years=0.5, interventions=[
            {"kind": "organization_takedown", "start": 0.25, "intensity": 1.0,
             "target": {"rule": rule, "count": count, "view": view}}])
        s = Sim(sc, build_network(sc), 1)
        while 0 not in s.targets:
            s.run_step()
        return s, s.targets[0]

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s, hit = first_targets(3)
    a = s.s.actors
    iv = s.interventions[0]
    cand = targeting._candidates(s, iv)
    cand = cand[a.org[cand] >= 0]
    chosen, _ = targeting._set_rule(fentanet, targeting.known_network(s, view), iv, s,
                                    a.label[cand].tolist())
    orgs = set(np.unique(a.org[hit]).tolist())
    assert orgs == set(np.unique(a.org[cand]).tolist()) and len(orgs) == 3
    set_orgs = {int(a.org[np.flatnonzero(a.label == c)[0]]) for c in chosen}
    assert set_orgs <= orgs
    assert np.isin(a.org[hit], list(orgs)).all()  # members of those organizations only
    with pytest.warns(UserWarning, match="the candidates belong to 3 organization"):
        first_targets(5)
