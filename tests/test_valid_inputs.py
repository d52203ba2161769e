"""Runs anywhere in the scenario schema's valid space finish with series that keep the
model's invariants, or are refused up front naming the field (the fuzzing of session 21:
/work/notes/s21/fuzz). Each test here failed before its fix."""

from __future__ import annotations

import warnings

import pytest

import fentanet
from fentanet.scenarios import load


def _run(overrides: dict, *, years: float = 0.1, dt=None, seed: int = 1, interventions=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fentanet.simulate(load("toy").override(overrides), seed=seed, years=years,
                                 dt=dt, interventions=interventions)


@pytest.mark.parametrize("rate", [1e6, 1e300])
def test_entrants_of_a_kind_in_a_step_are_at_most_the_initial_labs(rate):
    """The toy has 9 labs: at most 9 labs and 9 suppliers enter in a step. Entry at 1e6 per
    unit of price drew some 3,400 a week (126,000 in a half-year step, a run that did not
    finish); at 1e300 NumPy's Poisson raised 'lam value too large'."""
    s = _run({"params.adaptation.entry_rate": rate, "params.adaptation.entry_threshold": 1e-6,
              "params.adaptation.exit": False}).series
    assert s["entrants"].tolist() == [18.0] * 5
