"""Steps longer than the holders' stock cover: a month's step carries the supply a week's
does (the order-up-to targets are at least one step of capacity)."""

from __future__ import annotations

import numpy as np
import pytest

import fentanet
from fentanet.scenarios import load
from fentanet.simulate.loop import step_params


def _mean(dt: str, metric: str) -> float:
    return float(np.mean([fentanet.simulate("toy", seed=s, dt=dt, years=1).summary[metric]
                          for s in (1, 2, 3)]))


def test_monthly_steps_carry_the_supply_of_weekly_steps():
    # with two weeks of stock cover and a month's step, every holder could pass on at most
    # half of its capacity a step: the supply reaching markets fell by 62%
    week, month = _mean("week", "supply_kg_total"), _mean("month", "supply_kg_total")
    assert month == pytest.approx(week, rel=0.15)


def test_stock_targets_are_at_least_one_step():
    p = load("toy").params
    assert step_params(p, 1 / 52) is p  # weekly (and shorter): the parameters as given
    monthly = step_params(p, 1 / 12).supply
    assert monthly.stock_cover_years == 1 / 12 and monthly.precursor_cover_years == 1 / 12
    quarterly = step_params(p, 0.25).supply
    assert quarterly.stock_cover_years == 0.25 and quarterly.precursor_cover_years == 0.25
    assert p.supply.stock_cover_years == 0.04  # the scenario's own are unchanged
