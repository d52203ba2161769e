"""A scenario much smaller than the nation whose interventions are priced at the national
defaults (``params.costs.scale`` unset) is warned of (review s15, simulation F4): its cost
per death averted would be the national budget's."""

from __future__ import annotations

import warnings

import pytest

import fentanet
from fentanet.errors import RunWarning

SCENARIO = """name: small
years: 0.25
network:
  generate: {actors: 300, regions: 2}
  seed: 3
"""


def _run(tmp_path, extra: str = "", **iv):
    path = tmp_path / "small.yaml"
    path.write_text(SCENARIO + extra)
    return fentanet.simulate(path, seed=1, interventions=[
        {"kind": "postal_screening", "start": 0.0, "intensity": 2.0, **iv}])


def test_national_costs_on_a_small_network_are_warned_of(tmp_path):
    with pytest.warns(RunWarning, match=r"postal_screening costs national budgets "
                      r"\(params\.costs\.usd_per_unit, for about 3\.1 million people using\) "
                      r"on a network of [\d,]+: set params\.costs\.scale \(about [\d.e-]+ "
                      r"here\) or the interventions' cost_per_unit"):
        r = _run(tmp_path)
    assert r.summary["intervention_cost_usd_total"] > 0


@pytest.mark.parametrize(("extra", "iv"), [
    ("params:\n  costs: {scale: 0.003}\n", {}),        # the scenario's own scale
    ("params:\n  costs: {scale: 1.0}\n", {}),          # national, said so
    ("", {"cost_per_unit": 1e5}),                      # the intervention's own price
    ("", {"intensity": 0.0}),                          # nothing charged
])
def test_scaled_or_own_costs_are_not_warned_of(tmp_path, extra, iv):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RunWarning)
        _run(tmp_path, extra, **iv)
