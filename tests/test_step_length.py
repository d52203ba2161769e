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
                          for s in range(1, 13)]))


def test_monthly_steps_carry_the_supply_of_weekly_steps():
    """With two weeks of stock cover and a month's step, every holder could pass on at most
    half of its capacity a step: the supply reaching markets fell by 62%. Over 12 seeds
    (3 until the tenth session): months carry 7% less than weeks, with re-routing for room
    as without it (12.96 against 13.90 kg off, 14.84 against 16.05 on). Three seeds were
    too few once labs find room: in seeds 1 and 3 the monthly runs draw early chance events
    the weekly runs do not (seed 1: a supplier arrested in the second month, the precursor
    then binds), which cost 19% of the three seeds' mean monthly supply with the rule on
    (9% off: in the room-starved status quo room capped the weekly runs near what the
    monthly ones carried, hiding the events). Since a seller that refused an order is not
    asked for it again within the step (audit s12/audit-docs-a finding 1; the refused
    volume goes to the lab's illicit suppliers, review s12 finding 1), 9.2% less (14.56
    against 16.04 kg on): with a month's cover, a lab buying only from legitimate suppliers
    refills at most (1 - 0.2) of a month's use (docs/model.md 7.2 and 11)."""
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
