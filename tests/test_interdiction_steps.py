"""The budget-flow staircase (interdiction_steps): the least flow at every budget, checked
against brute force on small networks and against the MILP at each budget on a research
instance and a generated supply network."""

from __future__ import annotations

import doctest
import itertools

import numpy as np
import pandas as pd
import pytest

import fentanet
from fentanet import InputError, generate, interdict, interdiction_steps
from fentanet.analysis import interdiction as interdiction_module
from fentanet.analysis.interdiction import Problem
from test_interdiction import brute_force, nx_flow_without, random_flow_net


def flow_at(steps: pd.DataFrame, budget: float) -> float:
    """The staircase's flow at a budget: the last step that starts at or below it."""
    starts = steps["budget"].to_numpy()
    i = int(np.searchsorted(starts, budget + 1e-9, side="right")) - 1
    assert i >= 0, f"budget {budget} lies below the first step"
    return float(steps["flow_after"].iloc[i])


def check_shape(steps: pd.DataFrame, up_to: float) -> None:
    """Steps start at 0, are ordered, end at up_to, and the flow falls with the budget."""
    assert steps.attrs["complete"] and steps["budget"].iloc[0] == 0.0
    assert (np.diff(steps["budget"]) > 0).all()
    assert (steps["budget"] <= steps["budget_to"]).all()
    assert steps["budget_to"].iloc[-1] == up_to
    assert (np.diff(steps["flow_after"]) < 0).all(), "each step lowers the flow"
    assert (steps["cost_used"] <= steps["budget"] + 1e-9).all()


@pytest.mark.parametrize(("seed", "target"), [(0, "links"), (1, "actors"), (2, "both"),
                                              (3, "links"), (4, "actors")])
def test_every_whole_budget_matches_brute_force(seed, target):
    net = random_flow_net(seed)
    steps = interdiction_steps(net, 6, target=target)
    check_shape(steps, 6.0)
    assert steps.attrs["grid"] == 1.0
    assert steps["optimal"].all()
    for b in range(7):
        assert flow_at(steps, b) == pytest.approx(brute_force(net, b, target), abs=1e-7)
    # and in between: whole-number costs cannot buy more at 2.5 than at 2
    assert flow_at(steps, 2.5) == pytest.approx(brute_force(net, 2.5, target), abs=1e-7)


@pytest.mark.parametrize("seed", range(4))
def test_candidates_restrict_the_staircase_as_brute_force_over_their_sets(seed):
    """With ``candidates``, every step of the staircase (and of the sampled curve) is the
    least flow over sets of candidates within the budget."""
    net = random_flow_net(seed, n=7, m=14)
    inner = [a for a in net.ids if a not in (net.meta["source"], net.meta["sink"])]
    cand = inner[seed % 2::2]
    cost = net.actors.set_index("id")["cost"]
    steps = interdiction_steps(net, 4, target="actors", candidates=cand)
    curve = fentanet.analysis.interdiction_curve(net, range(5), target="actors",
                                                 candidates=cand)
    check_shape(steps, 4.0)
    for b in range(5):
        best = min(nx_flow_without(net, set(), set(combo))
                   for r in range(len(cand) + 1)
                   for combo in itertools.combinations(cand, r)
                   if cost.loc[list(combo)].sum() <= b)
        assert flow_at(steps, b) == pytest.approx(best, abs=1e-7)
        assert curve["flow_after"].iloc[b] == pytest.approx(best, abs=1e-7)
    assert {a for row in steps["removed"] for a in row} <= set(cand)


def test_half_unit_costs_step_at_halves():
    net = random_flow_net(7)
    links = net.links.assign(cost=net.links["cost"] / 2 + 0.5 * (net.links["cost"] > 1))
    net = fentanet.Network(net.actors, links, meta=net.meta)
    steps = interdiction_steps(net, 3.5)
    assert steps.attrs["grid"] == 0.5
    check_shape(steps, 3.5)
    for b in np.arange(0, 3.75, 0.25):
        assert flow_at(steps, b) == pytest.approx(brute_force(net, b, "links"), abs=1e-7)


def test_costs_without_a_grid_are_located_to_the_resolution():
    net = random_flow_net(3)
    rng = np.random.default_rng(11)
    links = net.links.assign(cost=rng.uniform(0.3, 2.0, net.n_links).round(9) + 1e-7)
    net = fentanet.Network(net.actors, links, meta=net.meta)
    assert Problem(net).cost_grid() is None
    steps = interdiction_steps(net, 4.0)
    check_shape(steps, 4.0)
    assert steps.attrs["grid"] is None
    # every step starts where its set's cost is, so brute force agrees just above it, and
    # at budgets away from the steps' starts
    for b in [*steps["budget"], *rng.uniform(0, 4.0, 12)]:
        assert flow_at(steps, b) == pytest.approx(brute_force(net, b, "links"), abs=1e-7)


def test_the_cap_leaves_the_low_budgets_unsolved_and_says_so():
    net = random_flow_net(0)
    full = interdiction_steps(net, 6)
    assert full.attrs["solves"] >= 3
    capped = interdiction_steps(net, 6, max_solves=2)
    assert capped.attrs["solves"] == 2 and not capped.attrs["complete"]
    assert capped["budget"].iloc[0] > 0
    # what was solved is the top of the full staircase
    for b in np.arange(capped["budget"].iloc[0], 6.5, 0.5):
        assert flow_at(capped, b) == flow_at(full, b)


def test_a_set_found_at_a_lower_budget_replaces_a_worse_one_above(monkeypatch):
    """Without proof (exact=False), a cheaper set found lower that leaves less flow is
    carried up, so the flow never rises with the budget."""
    net = random_flow_net(2)  # least flows 7, 6, 5, 2 at budgets 0-1, 2, 3, 4
    real = Problem.solve
    calls = []

    def worse_at_top(self, budget, **kw):
        calls.append(budget)
        res = real(self, budget, **kw)
        if len(calls) == 1:  # the top budget: pretend the search found nothing better
            return type(res)(**{**res.__dict__, "removed": ["x"], "flow_after":
                                res.flow_before, "cost_used": budget, "optimal": False,
                                "bound": 0.0})
        return res

    monkeypatch.setattr(Problem, "solve", worse_at_top)
    steps = interdiction_steps(net, 4)
    assert calls[:2] == [4, 3]  # the fake set's cost, less one
    assert (np.diff(steps["flow_after"]) <= 1e-9).all()
    top, below = steps.iloc[-1], steps.iloc[-2]
    assert top["budget"] == 4 and not top["optimal"] and top["gap"] > 0
    assert top["removed"] == below["removed"] and top["flow_after"] == below["flow_after"]
    assert top["flow_after"] == 5.0 and below["budget_to"] == 3


def test_bad_arguments():
    net = random_flow_net(0)
    with pytest.raises(InputError, match="at least 0"):
        interdiction_steps(net, -1)
    with pytest.raises(InputError, match="max_solves"):
        interdiction_steps(net, 3, max_solves=0)


def test_a_generated_supply_network_against_the_milp_at_every_budget():
    net = generate({"actors": 100}, seed=3)
    steps = interdiction_steps(net, 8, target="actors")
    assert len(steps) == 8  # a step at most budgets: sampled budgets would miss some
    check_shape(steps, 8.0)
    assert steps["optimal"].all()
    for b in range(9):
        res = interdict(net, b, target="actors")
        assert res.optimal
        assert flow_at(steps, b) == pytest.approx(res.flow_after, rel=1e-9, abs=1e-9)


def test_a_research_instance_against_the_milp_at_every_budget(shared_data):
    net = fentanet.read(shared_data / "interdiction" / "ht" / "Network1.csv")
    steps = interdiction_steps(net, 60)
    check_shape(steps, 60.0)
    assert steps.attrs["grid"] == 2.0  # its costs are 2, 4, 8 and 100
    assert steps["optimal"].all()
    assert steps["flow_before"].eq(fentanet.max_flow(net).value).all()
    problem = Problem(net)
    for b in range(61):
        _, info = problem.exact(b, None)  # the MILP alone, at this budget
        assert info["optimal"]
        assert flow_at(steps, b) == pytest.approx(info["objective"], abs=1e-6), b


def test_doctest():
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner()
    for t in finder.find(interdiction_module.interdiction_steps, "interdiction_steps",
                         globs=vars(interdiction_module)):
        runner.run(t)
    assert runner.failures == 0 and runner.tries > 0
