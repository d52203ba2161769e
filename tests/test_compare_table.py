"""``fentanet.compare``'s table against the baseline, checked by hand: deaths averted, supply
reduction and the cost per death averted of what a variant adds."""

from __future__ import annotations

import pytest

import fentanet
from fentanet.scenarios import load


def test_cost_per_death_averted_counts_only_the_extra_cost():
    # a status quo that already pays for a lever: its cost is in the baseline and in every
    # variant, and is not a cost of what the variant adds
    sc = load("toy").override({"years": 0.5, "interventions": [
        {"kind": "education", "intensity": 0.5}]})
    cmp = fentanet.compare(sc, {"nal": [{"kind": "naloxone", "intensity": 1.0}]}, seed=3)
    t = cmp.table
    steps = 26
    unit = 5e7 * 0.00145  # the national defaults of both, scaled to the toy's 4,500 people
    assert t.loc["baseline", "cost_usd"] == pytest.approx(unit * 0.5 * steps / 52)
    assert t.loc["nal", "cost_usd"] == pytest.approx((unit * 0.5 + unit * 1.0) * steps / 52)
    assert t.loc["baseline", "extra_cost_usd"] == 0
    assert t.loc["nal", "extra_cost_usd"] == pytest.approx(unit * 1.0 * steps / 52)
    base, nal = cmp.results["baseline"].summary, cmp.results["nal"].summary
    averted = base["deaths_total"] - nal["deaths_total"]  # every cause, as the CLI counts
    assert averted > 0 and t.loc["nal", "deaths_averted"] == averted
    assert t.loc["nal", "overdose_deaths_averted"] == (
        base["overdose_deaths_total"] - nal["overdose_deaths_total"])
    assert t.loc["nal", "cost_per_death_averted"] == pytest.approx(unit * steps / 52 / averted)
    assert t.loc["nal", "supply_reduction"] == pytest.approx(
        1 - nal["supply_kg_total"] / base["supply_kg_total"])


def test_compare_takes_the_scenarios_strategies_by_name():
    # as the command line does (fentanet compare toy naloxone): a list of strategy names
    by_name = fentanet.compare("toy", ["naloxone"], seed=2, years=0.2)
    strategy = load("toy").strategies["naloxone"]
    by_list = fentanet.compare("toy", {"naloxone": list(strategy)}, seed=2, years=0.2)
    assert list(by_name.table.index) == ["baseline", "naloxone"]
    assert by_name.results["naloxone"].series.equals(by_list.results["naloxone"].series)
    with pytest.raises(fentanet.InputError, match=r"no strategy 'nalox'.*naloxone"):
        fentanet.compare("toy", ["nalox"], years=0.2)
    with pytest.raises(fentanet.InputError, match=r"variant 'x'.*list of interventions"):
        fentanet.compare("toy", {"x": "naloxone"}, years=0.2)
