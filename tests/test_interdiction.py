"""Max-flow interdiction: the exact MILP and the heuristic against brute force.

Brute force enumerates every set of targets within the budget (networkx max flow on
small random graphs; the expanded graph's own max flow, itself checked against networkx
in test_flow.py, on the real instances). Every MILP answer is re-checked by computing
the max flow of the network with the removed targets dropped.
"""

from __future__ import annotations

import doctest
import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import fentanet
from fentanet import (
    InputError,
    Network,
    interdict,
    interdiction_curve,
    interdiction_steps,
    max_flow,
)
from fentanet.analysis import interdiction as interdiction_module
from fentanet.analysis.interdiction import Problem

INSTANCES = [f"ht/Network{i}.csv" for i in range(1, 11)] + [
    f"layered_type1/Net{i}.csv" for i in range(1, 11)]


# ---------------------------------------------------------------------- helpers
def random_flow_net(seed: int, n: int = 6, m: int = 11, *, zero_costs: bool = False):
    """A small untyped flow network: unique arcs, integer capacities and costs, actor
    capacities and costs on some inner actors; source 0, sink n-1."""
    rng = np.random.default_rng(seed)
    pairs = [(a, b) for a in range(n) for b in range(n)
             if a != b and a != n - 1 and b != 0]
    pick = rng.choice(len(pairs), size=min(m, len(pairs)), replace=False)
    low = 0 if zero_costs else 1
    links = pd.DataFrame({
        "source": [str(pairs[i][0]) for i in pick],
        "target": [str(pairs[i][1]) for i in pick],
        "kind": "flow",
        "capacity": rng.integers(1, 10, pick.size).astype(float),
        "cost": rng.integers(low, 4, pick.size).astype(float),
    })
    actors = pd.DataFrame({
        "id": [str(i) for i in range(n)],
        "capacity": [np.nan if rng.random() < 0.5 else float(rng.integers(2, 12))
                     for _ in range(n)],
        "cost": rng.integers(low, 4, n).astype(float),
    })
    return Network(actors, links, meta={"source": "0", "sink": str(n - 1)})


def nx_flow_without(net: Network, links: set[int], actors: set[str]) -> float:
    """networkx max flow with the given links and actors removed (actors split in two)."""
    g = nx.DiGraph()
    cap = dict(zip(net.actors["id"], net.actors["capacity"], strict=True))
    for a in net.ids:
        if a in actors:
            continue
        if np.isnan(cap[a]):
            g.add_edge((a, 0), (a, 1))
        else:
            g.add_edge((a, 0), (a, 1), capacity=cap[a])
    for i, row in enumerate(net.links.itertuples()):
        if i in links or row.source in actors or row.target in actors:
            continue
        g.add_edge((row.source, 1), (row.target, 0), capacity=row.capacity)
    s, t = (net.meta["source"], 0), (net.meta["sink"], 1)
    if s not in g or t not in g:
        return 0.0
    return float(nx.maximum_flow_value(g, s, t))


def brute_force(net: Network, budget: float, target: str) -> float:
    """Least max flow over every set of targets whose cost fits the budget."""
    elems = []
    if target in ("links", "both"):
        elems += [("link", i, c) for i, c in enumerate(net.links["cost"])]
    if target in ("actors", "both"):
        terminals = {net.meta["source"], net.meta["sink"]}
        elems += [("actor", a, c) for a, c in zip(net.actors["id"], net.actors["cost"],
                                                  strict=True) if a not in terminals]
    best = np.inf
    for r in range(len(elems) + 1):
        found = False
        for combo in itertools.combinations(elems, r):
            if sum(c for _, _, c in combo) > budget + 1e-9:
                continue
            found = True
            links = {i for k, i, _ in combo if k == "link"}
            actors = {a for k, a, _ in combo if k == "actor"}
            best = min(best, nx_flow_without(net, links, actors))
        if not found:
            break
    return best


def recheck(net: Network, res) -> float:
    """Max flow of the network with the removed links and actors dropped."""
    keep = np.ones(net.n_links, dtype=bool)
    keep[res.removed_links] = False
    links = net.links.loc[keep].reset_index(drop=True)
    actors = net.actors
    if res.removed_actors:
        gone = set(res.removed_actors)
        actors = actors.loc[~actors["id"].isin(gone)]
        links = links.loc[~links["source"].isin(gone) & ~links["target"].isin(gone)]
    reduced = Network(actors.reset_index(drop=True), links.reset_index(drop=True),
                      directed=net.directed, meta=net.meta)
    if not reduced.has_flow:
        return 0.0
    return max_flow(reduced).value


def check(net, res, budget, expect=None):
    assert res.cost_used <= budget + 1e-9
    assert res.cost_used == pytest.approx(res.removed_table["cost"].sum())
    assert res.flow_after == pytest.approx(recheck(net, res), abs=1e-7)
    assert res.bound <= res.flow_after + 1e-7
    if expect is not None:
        assert res.flow_after >= expect - 1e-7
        assert res.bound <= expect + 1e-7
        if res.optimal:
            assert res.flow_after == pytest.approx(expect, abs=1e-7)


# ---------------------------------------------------------------------- brute force
@pytest.mark.parametrize("target", ["links", "actors", "both"])
@pytest.mark.parametrize("seed", range(6))
def test_exact_matches_brute_force(seed, target):
    net = random_flow_net(seed, zero_costs=seed % 3 == 0)
    for budget in (0, 1, 2, 3.5):
        expect = brute_force(net, budget, target)
        res = interdict(net, budget, target=target)
        assert res.optimal and res.method in ("milp", "heuristic", "trivial")
        assert res.flow_after == pytest.approx(expect, abs=1e-7)
        assert res.objective == pytest.approx(res.flow_after, abs=1e-6)
        assert res.gap == 0.0
        check(net, res, budget, expect)
        # the MILP alone (interdict skips it when the heuristic proves optimality)
        problem = Problem(net, target=target)
        chosen, info = problem.exact(budget, None)
        assert info["optimal"] and info["objective"] == pytest.approx(expect, abs=1e-6)
        assert problem.flow_without(chosen)[0] == pytest.approx(expect, abs=1e-7)
        assert problem.elem_cost[chosen].sum() <= budget + 1e-9


@pytest.mark.parametrize("target", ["links", "actors", "both"])
@pytest.mark.parametrize("seed", range(6))
def test_heuristic_is_feasible_and_bounded(seed, target):
    net = random_flow_net(seed + 100, n=7, m=14)
    for budget in (1, 2, 4):
        expect = interdict(net, budget, target=target).flow_after
        res = interdict(net, budget, target=target, exact=False)
        assert res.method == "heuristic"
        check(net, res, budget, expect)
        if res.flow_after > 1e-9 and not res.optimal:
            assert res.gap == pytest.approx((res.flow_after - res.bound) / res.flow_after)


@pytest.mark.parametrize("seed", range(4))
def test_undirected_links_against_brute_force(seed):
    """An undirected link is one target with an arc each way; brute force over every set
    of links by the expanded graph's max flow (itself checked against networkx)."""
    net = random_flow_net(seed + 50, n=6, m=10)
    net = Network(net.actors, net.links, directed=False, meta=net.meta)
    problem = Problem(net)
    for budget in (1, 2, 3):
        expect = brute_force_instance(problem, budget)
        res = interdict(net, budget)
        assert res.optimal and res.flow_after == pytest.approx(expect)
        assert res.flow_after == pytest.approx(recheck(net, res))
        h = interdict(net, budget, exact=False)
        check(net, h, budget, expect)


def test_removed_set_is_minimal():
    # budget 10 but two cuts of cost 1 each suffice: nothing more is removed
    links = pd.DataFrame({"source": ["s", "s", "a", "b"], "target": ["a", "b", "t", "t"],
                          "kind": "flow", "capacity": [3.0, 2.0, 5.0, 5.0]})
    net = Network(links=links, meta={"source": "s", "sink": "t"})
    res = interdict(net, 10)
    assert res.flow_after == 0 and res.cost_used == 2 and len(res.removed) == 2


def test_unbounded_links_are_removable_exactly():
    """A link of unknown capacity can be removed; no big-M stands in for it."""
    links = pd.DataFrame({"source": ["s", "a", "s", "b"], "target": ["a", "t", "b", "t"],
                          "kind": "flow", "capacity": [np.nan, np.nan, 5.0, np.nan],
                          "cost": [3.0, 1.0, 1.0, 2.0]})
    net = Network(links=links, meta={"source": "s", "sink": "t"})
    assert max_flow(net).value == np.inf
    for exact in (True, False):
        res = interdict(net, 0, exact=exact)
        assert res.flow_before == np.inf and res.flow_after == np.inf
        res = interdict(net, 1, exact=exact)
        assert res.flow_after == pytest.approx(5.0) and res.removed == ["a->t"]
        assert res.optimal
        res = interdict(net, 2, exact=exact)
        assert res.flow_after == 0.0 and res.cost_used == 2.0


@pytest.mark.parametrize("seed", range(8))
def test_candidates_restrict_the_removable_actors_against_brute_force(seed):
    """With ``candidates`` only those actors may be removed (the others carry flow but are
    never removed): the MILP's flow left is brute force's over sets of candidates."""
    net = random_flow_net(seed, n=7, m=14)
    inner = [a for a in net.ids if a not in (net.meta["source"], net.meta["sink"])]
    cand = inner[seed % 2::2]
    for budget in (1, 2, 3):
        res = interdict(net, budget, target="actors", candidates=cand)
        assert set(res.removed_actors) <= set(cand)
        best = min(nx_flow_without(net, set(), set(combo))
                   for r in range(len(cand) + 1)
                   for combo in itertools.combinations(cand, r)
                   if net.actors.set_index("id").loc[list(combo), "cost"].sum() <= budget)
        assert res.optimal and res.flow_after == pytest.approx(best, abs=1e-7)
        assert res.flow_after == pytest.approx(recheck(net, res), abs=1e-7)


def test_candidates_on_a_supply_network_and_their_bad_input():
    net = supply_net()
    # the dealer alone would cut everything; restricted to the labs, both labs go
    res = interdict(net, 4, target="actors", candidates=["lab1", "lab2"])
    assert sorted(res.removed_actors) == ["lab1", "lab2"] and res.flow_after == 0
    res = interdict(net, 2, target="actors", candidates=["lab1", "lab2"])
    assert res.removed_actors == ["lab2"] and res.flow_after == pytest.approx(4.0)
    with pytest.raises(InputError, match="need target='actors'") as err:
        interdict(net, 1, target="links", candidates=["lab1"])
    assert err.value.field == "candidates"
    with pytest.raises(InputError, match="unknown actor id") as err:
        interdict(net, 1, target="actors", candidates=["lab9"])
    assert err.value.field == "candidates"


def supply_net() -> Network:
    actors = pd.DataFrame({
        "id": ["sup1", "sup2", "lab1", "lab2", "rt", "dl", "mk"],
        "kind": ["supplier", "supplier", "lab", "lab", "route", "dealer", "market"],
        "capacity": [6, 5, 4, 8, np.nan, np.nan, np.nan],
        "demand": [np.nan] * 6 + [20.0],
        "cost": [1, 1, 2, 2, 3, 1, 1],
    })
    links = pd.DataFrame({
        "source": ["sup1", "sup2", "sup2", "lab1", "lab2", "rt", "dl"],
        "target": ["lab1", "lab1", "lab2", "rt", "rt", "dl", "mk"],
        "kind": ["supplies", "supplies", "supplies", "ships", "ships", "ships",
                 "sells_to"],
        "capacity": [np.nan] * 7,
        "cost": [1.0] * 7,
    })
    return Network(actors, links)


def test_supply_network_targets():
    net = supply_net()
    assert max_flow(net).value == pytest.approx(4 + 5)
    # actors: the dealer (cost 1) carries everything; the market is never a target
    res = interdict(net, 1, target="actors")
    assert res.flow_after == 0 and res.removed_actors == ["dl"]
    # suppliers are targets (precursor controls): without the dealer and route...
    keep = net.actors["cost"].to_numpy().copy()
    keep[5] = keep[4] = 100
    net2 = Network(net.actors.assign(cost=keep), net.links)
    res = interdict(net2, 1, target="actors")
    # removing sup2 (cost 1) leaves sup1 -> lab1 = 4; removing sup1 leaves 5
    assert res.removed_actors == ["sup2"] and res.flow_after == pytest.approx(4.0)
    # links: one link of cost 1 on the single product path
    res = interdict(net, 1, target="links")
    assert res.flow_after == 0 and len(res.removed_links) == 1
    assert res.removed_links[0] in (5, 6)


def test_markets_and_untyped_terminals_are_not_targets():
    net = random_flow_net(3)
    res = interdict(net, 100, target="actors")
    assert not {"0", str(net.n_actors - 1)} & set(res.removed_actors)
    actors = supply_net().actors
    actors.loc[actors["id"] == "mk", "cost"] = 0.0
    net = Network(actors, supply_net().links)
    assert "mk" not in interdict(net, 0, target="actors").removed_actors


def test_costs_from_a_named_column_and_unit_costs():
    net = supply_net()
    links = net.links.assign(price=[5.0, 5, 5, 5, 5, 5, 5])
    net = Network(net.actors, links)
    assert interdict(net, 4, cost="price").flow_after == pytest.approx(9.0)
    assert interdict(net, 1, cost=None).flow_after == 0.0


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize(("kwargs", "message", "field"), [
    ({"budget": -1}, "at least 0", "budget"),
    ({"budget": float("nan")}, "finite", "budget"),
    ({"budget": "ten"}, "must be a number", "budget"),
    ({"budget": 1, "target": "nodes"}, "unknown target 'nodes'", "target"),
    ({"budget": 1, "cost": "price"}, "no links column 'price'", "cost"),
    ({"budget": 1, "target": "actors", "cost": "price"}, "no actors column 'price'",
     "cost"),
    ({"budget": 1, "sources": ["zz"]}, "unknown actor id", "sources"),
    ({"budget": 1, "sinks": ["zz"]}, "unknown actor id", "sinks"),
])
def test_bad_arguments(kwargs, message, field):
    net = random_flow_net(0)
    with pytest.raises(InputError, match=message) as err:
        interdict(net, **kwargs)
    assert err.value.field == field


def test_negative_cost_and_no_flow_links():
    net = random_flow_net(0)
    links = net.links.assign(price=-1.0)
    with pytest.raises(InputError, match="'price' must be non-negative"):
        interdict(Network(net.actors, links, meta=net.meta), 1, cost="price")
    ties = Network(links=pd.DataFrame({"source": ["a"], "target": ["b"]}))
    with pytest.raises(InputError, match="no flow links"):
        interdict(ties, 1, sources="a", sinks="b")
    with pytest.raises(InputError, match="at least 0"):
        interdiction_curve(net, [1, -2])


# ---------------------------------------------------------------------- real instances
def brute_force_instance(problem: Problem, budget: float) -> float:
    """Every set of targets within the budget, by the expanded graph's max flow."""
    cost = problem.elem_cost
    useful = np.flatnonzero(cost <= budget + 1e-9)
    best = problem.flow_before
    for r in range(1, int(budget // max(cost[useful].min(), 1e-9)) + 1 if useful.size else 1):
        for combo in itertools.combinations(useful, r):
            if cost[list(combo)].sum() > budget + 1e-9:
                continue
            chosen = np.zeros(problem.n_elems, dtype=bool)
            chosen[list(combo)] = True
            best = min(best, problem.flow_without(chosen)[0])
    return best


@pytest.mark.parametrize("name", INSTANCES)
def test_instances(shared_data, name):
    net = fentanet.read(shared_data / "interdiction" / name)
    budgets = [0, 1, 2, 3, 4, 6, 8, 12, 16, 20, 24]
    curve = interdiction_curve(net, budgets)
    assert curve["optimal"].all()
    assert curve["flow_before"].eq(max_flow(net).value).all()
    flows = curve["flow_after"].to_numpy()
    assert (np.diff(flows) <= 1e-9).all(), "flow must not rise with the budget"
    assert (curve["cost_used"] <= curve["budget"] + 1e-9).all()
    # brute force at the small budgets (every set of links whose cost fits)
    problem = Problem(net)
    small = 2 if net.meta["variant"] == "layered" else 4
    for b in range(small + 1):
        assert flows[budgets.index(b)] == pytest.approx(brute_force_instance(problem, b))
    # the MILP alone, its answer re-checked by max flow on the network without the links
    for b in (3, 8, 24):
        chosen, info = problem.exact(b, None)
        assert info["optimal"] and info["objective"] == pytest.approx(flows[budgets.index(b)])
        links = net.links.loc[~np.isin(np.arange(net.n_links),
                                       problem.elem_ref[chosen])].reset_index(drop=True)
        assert max_flow(Network(net.actors, links, meta=net.meta)).value == pytest.approx(
            info["objective"])
        res = interdict(net, b)
        assert res.flow_after == pytest.approx(recheck(net, res))
        assert res.objective == pytest.approx(res.flow_after, abs=1e-6)
    # the heuristic stays within the proven bound and never beats the optimum
    for b in (4, 12):
        h = interdict(net, b, exact=False)
        check(net, h, b, flows[budgets.index(b)])


def test_instance_known_values(shared_data):
    """Values computed by hand from the file: HT Network9's source arcs carry 14 + 14 +
    37 + 34 + 4 = 103 at cost 8 each; the layered Net1's middle layer is its cut."""
    net = fentanet.read(shared_data / "interdiction" / "ht" / "Network9.csv")
    res = interdict(net, 8)
    assert res.flow_before == 103.0
    # the best single source arc to cut at cost 8 is 0->11 (37) unless deeper cuts win
    assert res.flow_after <= 103.0 - 37.0
    net = fentanet.read(shared_data / "interdiction" / "layered_type1" / "Net1.csv")
    assert max_flow(net).value == 286.0
    assert interdict(net, 20).flow_after == 0.0


def test_time_limit_reports_a_gap_or_proves():
    net = random_flow_net(5, n=12, m=50)
    res = interdict(net, 6, target="both", time_limit=5.0)
    assert res.bound <= res.flow_after + 1e-7
    assert res.optimal or res.gap > 0


def test_node_limit_reaches_the_solver_and_keeps_the_answer_machine_independent(monkeypatch):
    seen = []
    real = interdiction_module.milp

    def spy(*args, options, **kw):
        seen.append(dict(options))
        return real(*args, options=options, **kw)

    monkeypatch.setattr(interdiction_module, "milp", spy)
    net = random_flow_net(5, n=12, m=50)
    runs = [interdict(net, 6, target="both", node_limit=1) for _ in range(2)]
    assert seen and all(o["node_limit"] == 1 and "time_limit" not in o for o in seen)
    assert runs[0].removed == runs[1].removed and runs[0].gap == runs[1].gap
    assert runs[0].bound <= runs[0].flow_after + 1e-7


def test_curve_columns():
    net = random_flow_net(2)
    curve = interdiction_curve(net, [0, 2, 1])
    assert list(curve.columns) == ["budget", "flow_before", "flow_after", "reduction",
                                   "removed", "cost_used", "optimal", "gap", "method"]
    assert curve["budget"].tolist() == [0, 2, 1]
    assert curve.loc[0, "removed"] == [] and curve.loc[0, "reduction"] == 0.0
    assert curve.loc[1, "flow_after"] <= curve.loc[2, "flow_after"]


def test_doctests():
    assert doctest.testmod(interdiction_module).failed == 0


def test_a_set_over_the_budget_by_the_solvers_tolerance_is_not_taken_as_optimal():
    """HiGHS's feasibility tolerance lets a set costing 14.0000001 through at budget 14: it
    is refused, the MILP is solved again within the budget, and the answer (the brute
    force's least flow) is not claimed proven by the looser problem's optimality."""
    caps = [12.0, 26.0, 4.0, 200.0, 21.0, 25.0, 16.0]
    costs = [4.0, 3.0, 4.0, 14.0000001, 7.0, 9.0, 1.0]
    n = len(caps)
    links = pd.DataFrame({"source": ["s"] * n + [f"x{i}" for i in range(n)],
                          "target": [f"x{i}" for i in range(n)] + ["t"] * n, "kind": "flow",
                          "capacity": caps + [1e3] * n, "cost": costs + [1e3] * n})
    net = Network(links=links, meta={"source": "s", "sink": "t"})
    best = min(sum(caps) - sum(caps[i] for i in c) for r in range(n + 1)
               for c in itertools.combinations(range(n), r) if sum(costs[i] for i in c) <= 14)
    res = fentanet.interdict(net, 14.0)
    assert best == 237.0 and res.flow_after == best and res.cost_used <= 14.0
    assert res.bound <= best
    assert not res.optimal or res.bound == best


def _two_paths() -> Network:
    links = pd.DataFrame({"source": ["s", "s", "a", "b"], "target": ["a", "b", "t", "t"],
                          "kind": "flow", "capacity": [3.0, 2.0, 3.0, 2.0], "cost": 1.0})
    return Network(links=links, meta={"source": "s", "sink": "t"})


def test_interdiction_curve_refuses_one_number_for_its_list_of_budgets():
    # interdiction_curve(net, 20) ended in "TypeError: 'int' object is not iterable"
    # (review s20, api)
    with pytest.raises(InputError, match=r"field 'budgets': budgets must be a list of numbers, "
                                         r"got 20; for one budget, \[budget\] or interdict"):
        interdiction_curve(_two_paths(), 20)


def test_a_bad_budget_is_named_by_the_argument_it_came_from():
    # both were reported as field 'budget', an argument neither function has
    with pytest.raises(InputError, match=r"field 'budgets': budget must be finite and at least "
                                         r"0, got -1\.0"):
        interdiction_curve(_two_paths(), [2, -1])
    with pytest.raises(InputError, match=r"field 'up_to': budget must be finite and at least "
                                         r"0, got -1\.0"):
        interdiction_steps(_two_paths(), up_to=-1)


def test_interdiction_curve_takes_a_node_limit_as_interdict_does():
    table = interdiction_curve(_two_paths(), [0, 1, 2], node_limit=1000)
    assert table["flow_after"].tolist() == [5.0, 2.0, 0.0]
    assert table["removed"].tolist() == [[], ["s->a"], ["s->a", "s->b"]]
