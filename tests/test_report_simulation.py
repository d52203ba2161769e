"""The simulation report: its tables checked against direct runs and hand computation,
its sections, sweeps, one-seed comparisons on the real engine, and the sensitivity
tornado read back from the store."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

import fentanet
from ensemble_standin import StandInScenario, simulate
from fentanet.calibrate import tornado, tornado_table
from fentanet.ensemble import Ensemble, mean_interval
from fentanet.errors import InputError
from fentanet.report.html import fmt_number
from fentanet.report.simulation import (
    comparison,
    cumulative_averted,
    monthly,
    run_tables,
    side_by_side,
    simulation_report,
    with_dates,
)
from fentanet.store import RunStore

SEEDS = [10, 11, 12, 13, 14]
VARIANTS = {"half": [{"kind": "naloxone", "intensity": 0.5}],
            "one": [{"kind": "naloxone", "intensity": 1.0}]}


@pytest.fixture(scope="module")
def ens(tmp_path_factory):
    store = tmp_path_factory.mktemp("store")
    return fentanet.ensemble(StandInScenario(), runs=len(SEEDS), variants=VARIANTS,
                             seed=SEEDS[0], scheduler="serial", store=store,
                             progress=False, model=simulate)


def direct(variant: str, seed: int):
    items = VARIANTS.get(variant, [])
    return simulate(StandInScenario(), seed, interventions=items, variant=variant)


def test_side_by_side_is_the_median_and_range_over_seeds(ens):
    table = side_by_side(run_tables(ens)).set_index("strategy")
    assert list(table.index) == ["baseline", "half", "one"]
    for v in table.index:
        deaths = np.array([direct(v, s).summary["deaths_total"] for s in SEEDS])
        q05, q50, q95 = np.quantile(deaths, [0.05, 0.5, 0.95])
        want = f"{fmt_number(q50)} ({fmt_number(q05)}–{fmt_number(q95)})"
        assert table.loc[v, "deaths"] == want
        assert table.loc[v, "seeds"] == len(SEEDS)
    assert table.loc["baseline", "cost (USD)"] == "0"


def test_comparison_pairs_seeds_against_the_baseline(ens):
    cmp = comparison(run_tables(ens)).set_index(["variant", "outcome"])
    for v in ("half", "one"):
        diffs = np.array([direct("baseline", s).summary["deaths_total"]
                          - direct(v, s).summary["deaths_total"] for s in SEEDS])
        mean, lo, hi = mean_interval(diffs)
        row = cmp.loc[(v, "deaths averted")]
        assert (row["mean"], row["ci_low"], row["ci_high"]) == pytest.approx((mean, lo, hi))
        cost = sum(direct(v, s).summary["intervention_cost_usd_total"] for s in SEEDS)
        assert cmp.loc[(v, "cost per death averted"), "mean"] == pytest.approx(
            cost / diffs.sum())


def test_cumulative_deaths_averted_ends_at_the_total(ens):
    cum = cumulative_averted(run_tables(ens))
    last = cum[cum["step"] == cum["step"].max()].set_index("variant")
    for v in ("half", "one"):
        diffs = [direct("baseline", s).summary["deaths_total"]
                 - direct(v, s).summary["deaths_total"] for s in SEEDS]
        assert last.loc[v, "q50"] == pytest.approx(np.median(diffs))
        assert last.loc[v, "runs"] == len(SEEDS)


def test_the_report_has_every_part(ens, tmp_path):
    rep = simulation_report(ens, series=["deaths", "supply"])
    assert rep.sections() == ["Overview", "Main series", "Strategies side by side",
                              "Against the baseline", "About these runs"]
    figs = rep.figures()
    assert {"series-deaths", "series-supply", "deaths-averted", "supply-reduction-pct",
            "cost-per-death-averted", "deaths-averted-over-time"} <= set(figs)
    # the bands hold the 5% and 95% quantiles over seeds of each step
    band = figs["series-deaths"]
    high = next(t for t in band.data if t.name == "baseline high")
    per_step = np.array([direct("baseline", s).series["deaths"] for s in SEEDS])
    assert np.asarray(high.y) == pytest.approx(np.quantile(per_step, 0.95, axis=0))
    text = rep.render()
    assert ens.id in text and "standin" in text
    # the versions that made the runs, from the catalog (review s15, simulation F12)
    from fentanet.build import recorded_version

    assert f"fentanet {recorded_version()}; numpy {np.__version__}" in text
    assert "measured at the end of a spin-up under routine enforcement" in text  # model.md 3
    path = rep.save(tmp_path / "sim.html")
    assert path.stat().st_size > 1_000_000  # plotly.js is inlined


def test_a_sweep_reports_each_point_paired_within_it(tmp_path):
    e = fentanet.ensemble(StandInScenario(), runs=3, variants={"one": VARIANTS["one"]},
                          sweep={"params.rate": [2.0, 8.0]}, seed=1, scheduler="serial",
                          store=tmp_path / "s", progress=False, model=simulate)
    t = run_tables(e)
    rows = side_by_side(t, group="point")["strategy"].tolist()
    assert rows == ["baseline · params.rate=2.0", "baseline · params.rate=8.0",
                    "one · params.rate=2.0", "one · params.rate=8.0"]
    cmp = comparison(t)
    averted = cmp[cmp["outcome"] == "deaths averted"].set_index("params.rate")["mean"]
    for rate in (2.0, 8.0):
        sc = StandInScenario().override({"params.rate": rate})
        want = np.mean([simulate(sc, s).summary["deaths_total"]
                        - simulate(sc, s, interventions=VARIANTS["one"]).summary[
                            "deaths_total"] for s in (1, 2, 3)])
        assert averted[rate] == pytest.approx(want)
    rep = simulation_report(e, series=["deaths"])
    assert "one · params.rate=8.0" in rep.render()


def test_uncertain_parameters_get_their_section(tmp_path):
    """An ensemble with parameters drawn per seed reports their ranges and drawn values,
    and each strategy's deaths averted per seed against the value drawn for that seed."""
    from fentanet.ensemble.plan import draw_uncertain

    e = fentanet.ensemble(StandInScenario(), runs=4, variants={"one": VARIANTS["one"]},
                          uncertain={"params.rate": (2.0, 8.0)}, seed=1, scheduler="serial",
                          store=tmp_path / "s", progress=False, model=simulate)
    rep = simulation_report(e, series=["deaths"])
    assert rep.sections() == ["Overview", "Main series", "Strategies side by side",
                              "Against the baseline", "Parameter uncertainty",
                              "About these runs"]
    drawn = [draw_uncertain({"params.rate": (2.0, 8.0)}, s)["params.rate"] for s in range(1, 5)]
    dots = rep.figures()["uncertain-params-rate"].data[0]
    assert dots.name == "one" and sorted(dots.x) == pytest.approx(sorted(drawn))
    for x, y in zip(dots.x, dots.y, strict=True):
        seed = 1 + drawn.index(x)
        sc = StandInScenario().override({"params.rate": x})
        assert y == simulate(sc, seed).summary["deaths_total"] - simulate(
            sc, seed, interventions=VARIANTS["one"]).summary["deaths_total"]
    assert fmt_number(min(drawn)) in rep.render()  # the drawn range in the table
    # without uncertain parameters there is no such section
    assert "Parameter uncertainty" not in simulation_report(
        fentanet.ensemble(StandInScenario(), runs=2, variants={"one": VARIANTS["one"]},
                          seed=1, scheduler="serial", store=tmp_path / "t", progress=False,
                          model=simulate), series=["deaths"]).sections()


def test_monthly_rates_and_means():
    weeks = 52
    s = pd.DataFrame({"step": np.arange(weeks), "time": np.arange(weeks) / 52,
                      "deaths": np.ones(weeks), "people_using": np.arange(weeks, dtype=float),
                      "variant": "baseline", "seed": 1})
    m = monthly(s)
    assert len(m) == 12
    assert m["deaths"].to_numpy() == pytest.approx(np.full(12, 52 / 12))  # a rate per month
    # month 0 holds weeks 0..4 (t < 1/12), month 1 weeks 5..8
    assert m["people_using"].iloc[0] == pytest.approx(2.0)
    assert m["people_using"].iloc[1] == pytest.approx(6.5)
    assert m["time"].tolist()[:2] == pytest.approx([0.0, 1 / 12])


def test_fractional_years_become_dates():
    got = with_dates(pd.DataFrame({"year": [2023.0, 2023.25, 2024.5, 2023 + 1 / 12]}))
    # 2023.25: 91.25 of 365 days after 1 January; 2024.5: 183 of the leap year's 366
    assert [str(d.date()) for d in got["date"]] == ["2023-01-01", "2023-04-02",
                                                    "2024-07-02", "2023-01-31"]
    assert "date" not in with_dates(pd.DataFrame({"time": [0.0]})).columns


def test_tornado_from_the_store_matches_the_run_and_is_drawn(ens, tmp_path):
    store = tmp_path / "t"
    ranges = {"params.rate": (2.0, 8.0), "params.effect": (0.0, 1.0)}
    t = tornado(StandInScenario(), ranges, runs=3, seed=1, metric="deaths_total",
                scheduler="serial", store=store, progress=False, model=simulate)
    again = tornado_table(Ensemble.load(RunStore(store), t.attrs["ensemble"]),
                          metric="deaths_total", base={"params.rate": 5.0, "params.effect": 0.0})
    pd.testing.assert_frame_equal(again, t)
    assert again.attrs == {"ensemble": t.attrs["ensemble"], "metric": "deaths_total"}
    with pytest.raises(InputError, match="not a one-at-a-time design"):
        e = fentanet.ensemble(StandInScenario(), runs=1, seed=1, scheduler="serial",
                              sweep=[{"params.rate": 1.0, "params.effect": 1.0}, {}],
                              store=store, progress=False, model=simulate)
        tornado_table(e, metric="deaths_total")
    rep = simulation_report(ens, sensitivity=t, series=["deaths"])
    assert "Sensitivity" in rep.sections()
    fig = rep.figures()["tornado"]
    labels = list(fig.data[0].y)
    assert labels[-1].startswith("params.rate")  # the widest swing on top
    assert t.attrs["ensemble"] in rep.render()


def test_bad_input():
    with pytest.raises(InputError, match="cannot report on"):
        simulation_report(42)
    with pytest.raises(InputError, match="not a Result"):
        simulation_report({"baseline": "nope"})


@pytest.mark.slow
def test_one_seed_comparison_on_the_engine(tmp_path):
    cmp = fentanet.compare("toy", {"naloxone": [{"kind": "naloxone", "start": 0.1,
                                                 "intensity": 0.5}]}, seed=3, years=0.6)
    rep = simulation_report(cmp)
    table = side_by_side(run_tables(cmp)).set_index("strategy")
    base = cmp.results["baseline"].summary
    assert table.loc["baseline", "deaths"] == f"{base['deaths_total']:,.0f}"
    c = comparison(run_tables(cmp)).set_index(["variant", "outcome"])
    nal = cmp.results["naloxone"].summary
    assert c.loc[("naloxone", "deaths averted"), "mean"] == pytest.approx(
        base["deaths_total"] - nal["deaths_total"])
    assert c.loc[("naloxone", "overdose deaths averted"), "mean"] == pytest.approx(
        base["overdose_deaths_total"] - nal["overdose_deaths_total"])
    assert np.isnan(c.loc[("naloxone", "deaths averted"), "ci_low"])  # one seed
    text = rep.render()
    assert "One seed per strategy" in text
    assert "Weekly steps are shown by month" in text
    figs = {k: json.loads(v) for k, v in re.findall(
        r'data-figure="fig-([^"]+)">(.*?)</script>', text, flags=re.S)}
    assert {"series-supply-kg", "series-overdose-deaths", "deaths-averted"} <= set(figs)


def failing_at_one_point(scenario, seed=1, *, variant=None, **kw):
    """The stand-in, failing for the variant 'one' at seed 2 and rate 8 only."""
    if variant == "one" and seed == 2 and scenario.params["rate"] == 8.0:
        raise RuntimeError("no convergence")
    return simulate(scenario, seed, variant=variant, **kw)


def test_uncertain_parameters_in_a_sweep_pair_within_each_point(tmp_path):
    """With a sweep, each dot pairs a variant's run with the baseline's at the same seed and
    sweep point; a variant's failed run leaves its dot out (before, the pairing by seed
    alone raised 'cannot reindex on an axis with duplicate labels')."""
    from fentanet.ensemble.plan import draw_uncertain

    e = fentanet.ensemble(StandInScenario(), runs=3, variants={"one": VARIANTS["one"]},
                          sweep={"params.rate": [2.0, 8.0]},
                          uncertain={"params.effect": (0.0, 0.5)}, seed=1,
                          scheduler="serial", store=tmp_path / "s", progress=False,
                          model=failing_at_one_point)
    assert len(e.failed) == 1
    rep = simulation_report(e, series=["deaths"])
    dots = rep.figures()["uncertain-params-effect"].data[0]
    want = {}
    for rate in (2.0, 8.0):
        for seed in (1, 2, 3):
            if (rate, seed) == (8.0, 2):
                continue
            effect = draw_uncertain({"params.effect": (0.0, 0.5)}, seed)["params.effect"]
            sc = StandInScenario().override({"params.rate": rate, "params.effect": effect})
            want[(rate, seed)] = (effect, float(
                simulate(sc, seed).summary["deaths_total"]
                - simulate(sc, seed, interventions=VARIANTS["one"]).summary["deaths_total"]))
    got = sorted((float(x), float(y)) for x, y in zip(dots.x, dots.y, strict=True))
    assert len(got) == 5 and got == sorted(want.values())


def test_a_report_from_tables_made_once_is_the_report_of_the_ensemble(tmp_path):
    """The web app reads an ensemble's tables once (every metric) and reports from them:
    the report keeps its own columns, so its figures are the ensemble's, bit for bit (with
    every column, the quantile bands differed in the last bit)."""
    import json

    toy = fentanet.ensemble("toy", runs=2, variants=["naloxone"], scheduler="serial",
                            store=tmp_path, progress=False, overrides={"years": 1.0})
    tables = run_tables(toy)
    assert len(tables.series.columns) > len(run_tables(toy, metrics=["deaths"]).series.columns)
    want = simulation_report(toy).figures()
    got = simulation_report(tables).figures()
    assert list(got) == list(want)
    for name, fig in want.items():
        assert json.dumps(got[name].to_plotly_json(), default=str, sort_keys=True) == \
            json.dumps(fig.to_plotly_json(), default=str, sort_keys=True), name


# ------------------------------------------------------------ what each strategy runs


def test_the_report_lists_what_each_strategy_runs(tmp_path):
    """The report named the strategies but never what they contain (review s18, web M4):
    each strategy's interventions beyond the baseline's (kind, intensity, start, end,
    targeting) and its parameters are listed, as the runs recorded them."""
    from fentanet.report.simulation import DEFINITION_COLUMNS, strategy_definitions

    e = fentanet.ensemble(
        "toy", 1, years=10 / 52, scheduler="serial", store=tmp_path / "s", progress=False,
        variants={"top": [{"kind": "trafficker_enforcement", "intensity": 2, "start": 0.1,
                           "end": 0.15, "target": {"rule": "degree", "count": 5}}],
                  "air": [{"kind": "border_security", "intensity": 5, "modes": ["air"],
                           "cost_per_unit": 1000}],
                  "nal": [{"kind": "naloxone", "intensity": 0.5}],
                  "el": {"params.market.elasticity": 0.7}})
    table = strategy_definitions(run_tables(e))
    assert list(table.columns) == DEFINITION_COLUMNS
    assert table.values.tolist() == [
        ["baseline", "none", "", "", "", "", ""],
        ["top", "trafficker_enforcement", "2", "0.1", "0.15", "top 5 by degree", ""],
        ["air", "border_security", "5", "0", "horizon", "",
         "modes air; 1000 USD per unit of intensity a year"],
        ["nal", "naloxone", "0.5", "0", "horizon", "", ""],
        ["el", "parameter", "", "", "", "", "params.market.elasticity = 0.7"]]
    text = simulation_report(e).render()
    assert "What each strategy runs" in text
    assert "(what each runs: the Overview&#x27;s table)" in text


def test_a_strategy_lists_only_what_it_adds_to_the_baseline(tmp_path):
    """A scenario with interventions of its own: the baseline lists them, each strategy
    what it runs beyond them; a Comparison of one seed reads them from its Results."""
    from fentanet.report.simulation import strategy_definitions

    sc = fentanet.scenarios.load("toy").override({
        "interventions": [{"kind": "education", "intensity": 0.2}], "years": 10 / 52})
    cmp = fentanet.compare(sc, {"raids": [{"kind": "lab_raids", "once": True, "start": 0.1,
                                           "target": {"rule": "random", "count": 2}}],
                                "same": []}, seed=1)
    assert strategy_definitions(run_tables(cmp)).values.tolist() == [
        ["baseline", "education", "0.2", "0", "horizon", "", ""],
        ["raids", "lab_raids", "1", "0.1", "horizon", "2 at random", "once, at its start"],
        ["same", "none beyond the baseline's", "", "", "", "", ""]]
