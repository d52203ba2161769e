"""The analysis report: what it draws and lists is what the analysis pipeline found, the
budget-flow curve agrees with the pipeline's interdiction, on hand-made, generated and
research networks."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import pytest

from fentanet import datasets, generate
from fentanet.analysis.flow import max_flow
from fentanet.analysis.interdiction import interdict
from fentanet.analysis.summary import analyze
from fentanet.errors import InputError
from fentanet.network import Network
from fentanet.report.analysis import (
    analysis_report,
    broker_table,
    highlight_sets,
    top_table,
)
from fentanet.report.html import fmt_number


def bridge() -> Network:
    """Two triangles a-b-c and d-e-f joined by the link c-d."""
    links = pd.DataFrame({"source": ["a", "b", "c", "c", "d", "e", "f"],
                          "target": ["b", "c", "a", "d", "e", "f", "d"]})
    return Network(links=links, directed=False, name="bridge")


def marked(fig, name: str) -> list[str]:
    [trace] = [t for t in fig.data if t.name == name]
    return list(trace.customdata)


def test_a_bridge_network():
    net = bridge()
    a = analyze(net, k=2, steps=3)
    rep = analysis_report(net, a)
    assert rep.sections() == ["Overview", "The network", "Who matters", "Key players",
                              "Groups and brokers", "Resilience", "About this analysis"]
    # the bridge's ends hold the highest betweenness: 6 of the 10 pairs' paths cross c
    top = top_table(a)
    assert top.loc[0, "betweenness"].split(" ")[0] in ("c", "d")
    assert top.loc[0, "betweenness"].endswith("(0.600)")
    sets = highlight_sets(a)
    assert sets == {"key players (remove 2)": a.key_players["fragmentation"].actors}
    fig = rep.figures()["network"]
    assert marked(fig, "key players (remove 2)") == a.key_players["fragmentation"].actors
    # untyped case data is coloured by community, the two triangles
    groups = [t.name for t in fig.data if t.mode == "markers"]
    assert groups == ["community 0 (3)", "community 1 (3)"]
    brokers = broker_table(a)
    assert "kind" not in brokers.columns  # every actor is untyped
    text = rep.render()
    assert "Case data without actor kinds" in text and "Supply bottleneck" not in text


def test_a_generated_supply_network_with_its_bottleneck_and_curve():
    net = generate({"actors": 150}, seed=3)
    a = analyze(net, k=3, steps=5, seed=1, strategies=("random", "degree"), repeats=2,
                time_limit=2)
    rep = analysis_report(net, a, budgets=[0.0, a.interdiction.budget,
                                           2 * a.interdiction.budget], curve_time_limit=2)
    assert "Supply bottleneck and interdiction" in rep.sections()
    figs = rep.figures()
    assert {"network", "top-betweenness", "interdiction-curve", "resilience"} <= set(figs)
    curve = figs["interdiction-curve"].data[0]
    flows = np.asarray(curve.y, dtype=float)
    assert flows[0] == pytest.approx(max_flow(net).value)  # budget 0 removes nothing
    if a.interdiction.optimal:  # the curve agrees with the pipeline at its budget
        assert flows[1] == pytest.approx(a.interdiction.flow_after, rel=1e-6)
    assert flows[2] <= flows[1] + 1e-9 or curve.marker.symbol[2] == "circle-open"
    network = figs["network"]
    assert network.layout.meta["layout"] == "layered"
    kinds = {t.name.split(" (")[0] for t in network.data if t.mode == "markers"}
    assert {"supplier", "lab", "dealer", "market"} <= kinds  # coloured by kind
    if a.interdiction.removed_actors:
        assert marked(network, "optimal interdiction") == a.interdiction.removed_actors
    with pytest.raises(InputError, match="color_by"):
        analysis_report(net, a, color_by="region")
    text = rep.render()
    # 'Best' when the time limit (2 s, on a loaded machine) left it unproven
    assert f"{'Optimal' if a.interdiction.optimal else 'Best'} interdiction for a budget of" \
        in text


def test_the_report_refuses_an_analysis_of_another_network():
    net = bridge()
    a = analyze(net, k=2, steps=2)
    other = generate({"actors": 60}, seed=1)
    with pytest.raises(InputError, match="not of"):
        analysis_report(other, a)
    with pytest.raises(InputError, match="not both"):
        analysis_report(net, a, k=3)


def test_the_curve_is_the_optimum_at_every_budget_it_draws():
    """The auditor's finding F1: sampled budgets held flat hid the optimum between them.
    The default curve is the staircase of interdiction_steps: at every whole budget from
    0 to twice the analysis's, the figure's step line gives what the MILP gives there."""
    net = generate({"actors": 100}, seed=3)
    a = analyze(net, k=2, steps=3, budget=4, strategies=("degree",))
    rep = analysis_report(net, a)
    [line] = rep.figures()["interdiction-curve"].data
    assert line.line.shape == "hv" and max(line.x) == 8
    x, y = np.asarray(line.x, dtype=float), np.asarray(line.y, dtype=float)
    assert (np.diff(y) <= 1e-12).all()
    for b in range(9):
        drawn = y[np.searchsorted(x, b, side="right") - 1]
        res = interdict(net, b, target="actors")
        assert res.optimal and drawn == pytest.approx(res.flow_after, rel=1e-9), b
    assert all("the optimum at each of these budgets" in c[3] for c in line.customdata)
    text = rep.render()
    assert "The least flow left at every budget from 0 to 8" in text
    assert "costs are multiples of 1" in text


def test_sampled_budgets_are_drawn_as_points_not_steps():
    net = generate({"actors": 100}, seed=3)
    a = analyze(net, k=2, steps=3, budget=4, strategies=("degree",))
    rep = analysis_report(net, a, budgets=[0, 3, 8])
    [line] = rep.figures()["interdiction-curve"].data
    assert line.line.shape == "linear" and line.line.dash == "dot"
    assert list(line.x) == [0, 3, 8]
    assert "budgets in between were not solved" in rep.render()


def test_caviar(shared_data):
    net = datasets.load("caviar")
    a = analyze(net, k=5, steps=10)
    rep = analysis_report(net, a)
    fig = rep.figures()["network"]
    kp = a.key_players["fragmentation"].actors
    assert marked(fig, "key players (remove 5)") == kp
    # n1, the principal trafficker of the case (Morselli 2009), tops every measure
    top = top_table(a)
    assert all(top.loc[0, c].startswith("1 (") for c in ("degree", "betweenness"))
    assert "1" in kp
    text = rep.render()
    assert ", ".join(kp) in text


def test_a_staircase_cut_short_by_the_solve_cap_says_which_budgets_are_unsolved():
    from fentanet.report import figures as F
    from fentanet.report.analysis import _curve_table
    steps = pd.DataFrame({"budget": [2.0, 5.0], "budget_to": [4.0, 9.0],
                          "flow_before": [10.0, 10.0], "flow_after": [6.0, 1.0],
                          "reduction": [.4, .9], "removed": [["a"], ["a", "b"]],
                          "cost_used": [2.0, 5.0], "optimal": [True, False],
                          "gap": [0.0, .5], "method": ["milp"] * 2})
    steps.attrs.update(up_to=10.0, grid=1.0, resolution=1.0, solves=2, complete=False)
    [line] = F.interdiction_figure(steps).data
    assert list(line.x) == [2, 5, 10] and list(line.y) == [6, 1, 1]  # held on to 10
    assert list(line.marker.size) == [9, 9, 0]
    assert list(line.marker.symbol) == ["circle", "circle-open", "circle-open"]
    assert [c[2] for c in line.customdata] == ["budget 2 to 4", "budget 5 to 9",
                                               "budget 5 to 9"]
    assert F.interdiction_figure(steps).layout.annotations[-1].text == \
        "budgets below 2 not solved"
    shown, caption = _curve_table(steps)
    assert shown["budgets"].tolist() == ["2 to 4", "5 to 9"]
    assert "budgets below 2 not solved" in caption and "2 solves" in caption


def steps_table(optimal: list[bool], method: list[str] | None = None) -> pd.DataFrame:
    """A hand-made staircase of two steps from budget 0 to 10 on a grid of 1."""
    steps = pd.DataFrame({"budget": [0.0, 5.0], "budget_to": [4.0, 10.0],
                          "flow_before": [10.0, 10.0], "flow_after": [10.0, 1.0],
                          "reduction": [0.0, .9], "removed": [[], ["a", "b"]],
                          "cost_used": [0.0, 5.0], "optimal": optimal,
                          "gap": [0.0 if o else .1 for o in optimal],
                          "method": method or ["milp"] * 2})
    steps.attrs.update(up_to=10.0, grid=1.0, resolution=1.0, solves=2, complete=True)
    return steps


def test_the_curve_caption_says_which_rows_are_proven_optimal():
    """Review s15, F4: a row marked 'no' (best found within the time limit) was captioned
    as the optimum like the others."""
    from fentanet.report.analysis import _curve_table

    _, caption = _curve_table(steps_table([True, True]))
    assert caption == ("The least flow left at every budget from 0 to 10 (costs are "
                       "multiples of 1, so it can change only at multiples of 1): each row's "
                       "targets are the optimum for every budget in its range (Wood 1993 "
                       "MILP, HiGHS; 2 solves)")
    _, caption = _curve_table(steps_table([False, True]))
    assert "each row's targets are the optimum" not in caption
    assert caption == ("The least flow left at every budget from 0 to 10 (costs are "
                       "multiples of 1, so it can change only at multiples of 1): rows marked "
                       "'yes' are the optimum for every budget in their range; rows marked "
                       "'no' hold the best targets found within the time limit: their flow is "
                       "an upper bound on the least flow (Wood 1993 MILP, HiGHS; 2 solves)")
    _, caption = _curve_table(steps_table([False, False], ["heuristic", "heuristic"]))
    assert "rows marked 'yes'" not in caption
    assert (": rows marked 'no' hold the best targets found by the heuristic (more than "
            "5,000 arcs for the MILP): their flow is an upper bound") in caption
    # budgets solved one by one (budgets=)
    solved = steps_table([True, False]).drop(columns="budget_to")
    _, caption = _curve_table(solved)
    assert caption == ("The best targets at each budget solved (Wood 1993 MILP, HiGHS); "
                       "budgets in between were not solved; rows marked 'yes' are proven "
                       "optimal; rows marked 'no' hold the best targets found within the time "
                       "limit: their flow is an upper bound on the least flow")
    _, caption = _curve_table(steps_table([True, True]).drop(columns="budget_to"))
    assert caption == ("The best targets at each budget solved (Wood 1993 MILP, HiGHS); "
                       "budgets in between were not solved")


def test_what_proved_the_interdiction_optimal():
    """'proven optimal, heuristic' read as a contradiction (review s15, F4): the
    heuristic's own bound proved it."""
    from types import SimpleNamespace

    from fentanet.report.analysis import interdiction_proof

    def proof(optimal, method, gap=0.0):
        return interdiction_proof(SimpleNamespace(optimal=optimal, method=method, gap=gap))

    assert proof(True, "heuristic") == "proven optimal by the heuristic's bound"
    assert proof(True, "milp") == "proven optimal by the MILP"
    assert proof(True, "trivial") == "optimal: nothing to remove"
    assert proof(False, "milp", 0.005) == "best found by the MILP, within 0.5% of optimal"
    assert proof(False, "heuristic", 0.2) == ("best found by the heuristic, within 20.0% of "
                                              "optimal")


def test_a_heuristic_proven_interdiction_and_the_curve_units():
    """On a generated network whose interdiction at budget 5 the heuristic's bound proves
    (no MILP): the report says so, and the curve's axes carry their units."""
    net = generate({"actors": 100}, seed=3)
    a = analyze(net, k=2, steps=3, budget=5, strategies=("degree",))
    assert (a.interdiction.method, a.interdiction.optimal) == ("heuristic", True)
    rep = analysis_report(net, a)
    text = html.unescape(rep.render())
    assert (f"the flow falls from {fmt_number(a.interdiction.flow_before)} to "
            f"{fmt_number(a.interdiction.flow_after)} (proven optimal by the heuristic's "
            "bound).") in text
    assert "Optimal interdiction for a budget of 5 (actors)" in text
    assert f"market(s): {fmt_number(float(a.flow.value))} kg per year of product" in text
    layout = rep.figures()["interdiction-curve"].layout
    assert layout.yaxis.title.text == "maximum flow to markets (kg per year)"
    assert layout.xaxis.title.text == "budget (cost units)"


def test_the_overview_gives_the_flows_unit():
    """The overview's maximum flow and the flow its interdiction leaves are in kg per year,
    the capacities' unit (review s18, L8: the card read "54 / 20 sources to 10 markets")."""
    net = generate({"actors": 100}, seed=3)
    a = analyze(net, k=2, steps=3, budget=5, strategies=("degree",))
    rep = analysis_report(net, a)
    [overview] = [b.content for b in rep.blocks if b.kind == "metrics"]
    cards = {label: (value, detail) for label, value, detail in overview}
    assert cards["maximum flow"] == (
        float(a.flow.value),
        f"kg per year, {len(a.flow.sources)} sources to {len(a.flow.sinks)} markets")
    assert cards["interdiction cuts flow by"][1].endswith(
        f"flow left {fmt_number(a.interdiction.flow_after)} kg per year")
    text = html.unescape(rep.render())
    assert f'<div class="detail">kg per year, {len(a.flow.sources)} sources' in text


def test_the_overview_names_neighbours_as_the_web_app_and_info_do(shared_data):
    """The overview's count per actor is of distinct neighbours (Network.summary), which
    `fentanet info` and the web app call neighbours; "mean degree, max 60" on CAVIAR sat
    beside a degree centrality counting its 91 links (review s18, web L4)."""
    caviar = datasets.load("caviar")
    a = analyze(caviar, k=2, steps=3, strategies=("degree",))
    rep = analysis_report(caviar, a)
    [overview] = [b.content for b in rep.blocks if b.kind == "metrics"]
    cards = {label: (value, detail) for label, value, detail in overview}
    assert "mean degree" not in cards
    s = caviar.summary()
    assert s["degree"]["max"] == 60
    assert cards["neighbours"] == (s["degree"]["mean"], "mean per actor; max 60")
