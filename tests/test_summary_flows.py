"""Flows over a step are summed in a run's summary and per year, levels are taken at the end:
shipments by mode, laundered revenue and the cost of each intervention are flows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import fentanet
from fentanet.calibrate.models import summarise
from fentanet.report.simulation import monthly
from fentanet.simulate.params import MODES
from fentanet.simulate.run import is_flow
from simkit import every_intervention


@pytest.fixture(scope="module")
def run():
    return fentanet.simulate("toy", seed=2, years=0.25,
                             interventions=[{"kind": "naloxone", "intensity": 0.5}])


def test_shipments_laundering_and_costs_are_flows(run):
    s, summary = run.series, run.summary
    flows = [*(f"shipped_{m}_kg" for m in MODES), "laundered_usd", "cost_naloxone_usd",
             "sellers_replaced", "recruits", "entrants"]
    for c in flows:
        assert is_flow(c)
        assert summary[f"{c}_total"] == pytest.approx(s[c].sum(), rel=1e-12)
        assert f"{c}_end" not in summary
    # what the routes shipped in a step is what they passed on and what was seized on them
    assert s[[f"shipped_{m}_kg" for m in MODES]].sum(axis=1).sum() > 0
    annual = run.annual()
    for c in flows:
        assert annual[c].sum() == pytest.approx(s[c].sum(), rel=1e-12)
    for c in ("people_using", "cash_usd", "price_index", "labs_active"):
        assert not is_flow(c) and f"{c}_end" in summary


def test_calibration_and_report_classify_as_the_run_does(run):
    ours = {k: v for k, v in run.summary.items()  # what the series holds (not time 0)
            if k not in ("steps", "years", "balance_error_max", "stock_kg_start",
                         "precursor_stock_kg_start")}
    theirs = summarise(run.series)
    assert set(theirs) >= set(ours)
    assert all(theirs[k] == pytest.approx(v, rel=1e-12) for k, v in ours.items())
    # the report's months: a flow's monthly rate, (mean per step) x (steps per month)
    m = monthly(run.series.assign(variant="x", seed=1))
    first = run.series[np.floor(run.series["time"] * 12 + 1e-6) == 0]
    dt = 1 / 52
    for c in ("shipped_land_kg", "laundered_usd"):
        assert m[c].iloc[0] == pytest.approx(first[c].mean() / 12 / dt, rel=1e-12)
    assert m["cash_usd"].iloc[0] == pytest.approx(first["cash_usd"].mean(), rel=1e-12)
    assert isinstance(m, pd.DataFrame)


def test_summary_years_is_the_horizon_run():
    # one step: the summary said 0 years
    r = fentanet.simulate("toy", seed=1, years=0.25, dt="quarter")
    assert r.summary["steps"] == 1 and r.summary["years"] == pytest.approx(0.25)
    r = fentanet.simulate("toy", seed=1, years=0.1)
    assert r.summary["steps"] == 5 and r.summary["years"] == pytest.approx(5 / 52)


def test_every_series_column_is_a_flow_or_a_level():
    """A new column must be classified: a flow (summed in the summary and per year) or a
    level (kept as the end value); `sellers_replaced` was once left out of the flows."""
    from fentanet.simulate.run import is_flow, is_level

    ivs = every_intervention()
    s = fentanet.simulate("toy", seed=1, years=0.5, interventions=ivs).series
    columns = [c for c in s.columns if c not in ("step", "time", "year")]
    assert not [c for c in columns if is_flow(c) == is_level(c)]
