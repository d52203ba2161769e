"""The result objects' reprs say what they hold in one line, not every table they carry
(review s20, api: MaxFlow's printed every per-link flow, some 30,000 characters at 10^4
actors; a Result's about 8,000, a Comparison's twice that)."""

from __future__ import annotations

import pandas as pd

from fentanet import Intervention, Network, max_flow
from fentanet.analysis import phase_measures, rank_dynamics
from fentanet.calibrate import Calibration
from fentanet.scenarios import load
from fentanet.simulate.run import Comparison, Result, comparison_table


def test_max_flow_repr_gives_the_value_and_the_cut():
    actors = pd.DataFrame({"id": ["s", "l", "d", "m"],
                           "kind": ["supplier", "lab", "dealer", "market"],
                           "capacity": [None, 4.0, None, None], "demand": [None] * 3 + [9.0]})
    links = pd.DataFrame({"source": ["s", "l", "d"], "target": ["l", "d", "m"],
                          "kind": ["supplies", "ships", "sells_to"]})
    assert repr(max_flow(Network(actors, links))) == (
        "<MaxFlow: value 4 from 1 source to 1 sink; cut: 1 actor ('l'), 0 links, 0 demands>")


def test_max_flow_repr_names_a_few_cut_actors_and_counts_the_rest():
    links = pd.DataFrame({"source": ["s"] * 5 + list("abcde"), "target": list("abcde") + ["t"] * 5,
                          "kind": "flow", "capacity": [1.0] * 5 + [9.0] * 5})
    net = Network(links=links, meta={"source": "s", "sink": "t"})
    assert repr(max_flow(net)) == "<MaxFlow: value 5 from 1 source to 1 sink; cut: 0 actors, " \
                                  "5 links, 0 demands>"
    capped = Network(pd.DataFrame({"id": list("stabcde"), "capacity": [None] * 2 + [1.0] * 5}),
                     links.assign(capacity=9.0), meta={"source": "s", "sink": "t"})
    assert repr(max_flow(capped)) == ("<MaxFlow: value 5 from 1 source to 1 sink; cut: 5 actors "
                                      "('a', 'b', 'c', ... 2 more), 0 links, 0 demands>")


def _phases() -> Network:
    return Network(links=pd.DataFrame({"source": ["a", "a", "b", "a"],
                                       "target": ["b", "c", "c", "b"],
                                       "phase": [1, 1, 2, 2]}), directed=False)


def test_phase_measures_and_rank_dynamics_reprs_say_what_they_hold():
    assert repr(phase_measures(_phases())) == (
        "<PhaseMeasures: 2 phases, 3 actors; measures degree, betweenness>")
    dyn = rank_dynamics(_phases(), "degree", top=2)
    assert repr(dyn) == (f"<RankDynamics: degree over 2 phases, 3 actors followed; mean tau "
                         f"{dyn.tau['tau'].mean():.3f} over 1 pairs of phases>")


def _result(deaths: float, variant: str | None = None) -> Result:
    series = pd.DataFrame({"step": [0, 1, 2], "time": [0.0, 0.25, 0.5]})
    summary = {"deaths_total": deaths, "overdose_deaths_total": deaths / 2,
               "supply_kg_total": 12.5, "intervention_cost_usd_total": 0.0}
    return Result(series=series, summary=summary, scenario=load("toy").override({"dt": 0.25}),
                  seed=3, variant=variant)


def test_result_and_comparison_reprs_give_the_run_and_its_totals():
    assert repr(_result(1234.0)) == (
        "<Result: toy, seed 3, 3 steps of 0.25 years; deaths_total 1,234, "
        "overdose_deaths_total 617, supply_kg_total 12.5>")
    nal = _result(10.0, "nal")
    nal.scenario = nal.scenario.model_copy(update={"interventions": (
        Intervention(kind="naloxone"),)})
    assert repr(nal) == ("<Result: toy 'nal' with 1 intervention, seed 3, 3 steps of 0.25 "
                         "years; deaths_total 10, overdose_deaths_total 5, supply_kg_total 12.5>")
    results = {"baseline": _result(100.0), "nal": _result(90.5, "nal")}
    cmp = Comparison(results=results, table=comparison_table(results))
    assert repr(cmp) == "<Comparison: toy, seed 3; baseline; nal averts 9.5 deaths>"


def test_calibration_repr_gives_the_estimates_and_the_error():
    fit = Calibration(parameters=pd.DataFrame(), fit=pd.DataFrame(),
                      correlation=pd.DataFrame(), scales={},
                      summary={"rmse_log_fit": 0.05123},
                      values={"params.population.overdose_rate": 0.21734})
    assert repr(fit) == ("<Calibration: params.population.overdose_rate = 0.2173; "
                         "log RMSE 0.0512 on the years fitted>")
