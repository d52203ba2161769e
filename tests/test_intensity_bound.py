"""An intervention's intensity is at most 1e6 and its cost per unit at most 1e12 (its own,
or the scenario's ``params.costs`` default times scale), at the scenario's boundary (Python,
scenario files, command line and web alike): effects saturate far below, and
``lab_raids:1e308`` or ``params.costs.scale=1e300`` made the cost inf and the comparison's
interval "nan .. nan" (audit s11/audit-sim finding 8, review s11 finding 2)."""

from __future__ import annotations

import math
import re

import pytest

import fentanet
from fentanet.cli import main
from fentanet.errors import InputError
from fentanet.scenarios import load
from fentanet.simulate.scenario import COST_PER_UNIT_MAX, INTENSITY_MAX, from_dict

NET = {"generate": {"actors": 300}}


@pytest.mark.parametrize(("iv", "field", "words"), [
    ({"kind": "lab_raids", "intensity": 1e308}, "intensity", "expected at most 1e+06"),
    ({"kind": "border_security", "intensity": 1.000001e6}, "intensity",
     "expected at most 1e+06"),
    ({"kind": "lab_raids", "cost_per_unit": 1e13}, "cost_per_unit",
     "expected at most 1e+12 USD per unit of intensity per year"),
])
def test_intensity_and_cost_beyond_their_bounds_are_refused(iv, field, words):
    with pytest.raises(InputError) as exc:
        from_dict({"network": NET, "interventions": [iv]})
    assert exc.value.field == f"interventions.0.{field}"
    assert exc.value.detail.startswith(words) and "docs/model.md 7.1" in exc.value.detail
    with pytest.raises(InputError, match=re.escape(words)):
        fentanet.simulate("toy", years=0.1, interventions=[iv])


def test_the_bounds_themselves_are_taken():
    assert (INTENSITY_MAX, COST_PER_UNIT_MAX) == (1e6, 1e12)
    sc = from_dict({"network": NET, "interventions": [
        {"kind": "lab_raids", "intensity": 1e6, "cost_per_unit": 1e12}]})
    assert sc.interventions[0].intensity == 1e6


def test_the_command_line_refuses_a_huge_intensity_in_one_line(capsys, tmp_path):
    code = main(["compare", "toy", "--years", "0.1", "--scheduler", "serial",
                 "--store", str(tmp_path / "s"), "--variant", "x=lab_raids:1e308"])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and "Traceback" not in err and len(lines) == 1, err
    assert lines[0].startswith("error: field 'variant': variant 'x', intensity: expected at "
                               "most 1e+06: effects saturate far below it"), lines
    assert not (tmp_path / "s").exists()


def test_at_the_largest_intensity_the_cost_is_finite():
    cmp = fentanet.compare("toy", {"x": [{"kind": "lab_raids", "intensity": 1e6}]},
                           years=0.25)
    sc = cmp.results["x"].scenario
    unit = sc.interventions[0].unit_cost(sc.params.costs)
    extra = cmp.table.loc["x", "extra_cost_usd"]
    assert math.isfinite(extra) and extra == pytest.approx(unit * 1e6 * 13 / 52, rel=1e-12)
    assert cmp.table.loc["x", "deaths_averted"] == cmp.table.loc["x", "deaths_averted"]  # no NaN


@pytest.mark.parametrize(("params", "field", "words"), [
    ({"scale": 1e300}, "params.costs.scale",
     "expected at most 1000: the largest usd_per_unit (prevention_treatment, 1e+09) times "
     "scale must be at most 1e+12 USD"),
    ({"scale": 2.0, "usd_per_unit": {"naloxone": 1e12}}, "params.costs.scale",
     "expected at most 1: the largest usd_per_unit (naloxone, 1e+12)"),
    ({"usd_per_unit": {"naloxone": 1e300}}, "params.costs.usd_per_unit",
     "intervention 'naloxone': expected at most 1e+12 USD per unit of intensity per year"),
])
def test_the_scenario_costs_beyond_the_bound_are_refused(params, field, words):
    with pytest.raises(InputError) as exc:
        from_dict({"network": NET, "params": {"costs": params}})
    assert exc.value.field == field
    assert exc.value.detail.startswith(words) and "docs/model.md 7.1" in exc.value.detail


def test_at_the_largest_scale_the_cost_is_finite():
    sc = from_dict({"network": NET, "params": {"costs": {"scale": 1000}}})
    assert sc.params.costs.scale == 1000
    toy = load("toy").override({"params.costs.scale": 1000})
    cmp = fentanet.compare(toy, {"x": [{"kind": "prevention_treatment", "intensity": 1}]},
                           years=0.25)
    extra = cmp.table.loc["x", "extra_cost_usd"]
    assert math.isfinite(extra) and extra == pytest.approx(1e12 * 13 / 52, rel=1e-12)


def test_the_command_line_refuses_a_huge_cost_scale(capsys, tmp_path):
    code = main(["compare", "toy", "--years", "0.25", "--scheduler", "serial",
                 "--store", str(tmp_path / "s"), "--variant", "x=lab_raids:1000000",
                 "--set", "params.costs.scale=1e300"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert err.startswith("error: field 'params.costs.scale': expected at most 1000"), err
    assert not (tmp_path / "s").exists()
