"""An intervention that can never act is refused or said, not run as the baseline without
a word (audit s11/audit-sim finding 5): an empty window ``end == start`` (a one-time
operation's strike too) is refused like ``end < start``; a window that holds no step's
time, such as a start after the last step but before the horizon, is said as a start at
or after the horizon is."""

from __future__ import annotations

import warnings

import pytest

import fentanet
from fentanet.cli import main
from fentanet.errors import InputError, RunWarning
from fentanet.simulate.run import prepare
from fentanet.simulate.scenario import from_dict

NET = {"generate": {"actors": 300}}
STRIKE = {"kind": "lab_raids", "once": True, "target": {"rule": "degree", "count": 5}}


def said(**kw) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        prepare("toy", **kw)
    return [str(w.message) for w in caught if issubclass(w.category, RunWarning)]


@pytest.mark.parametrize(("iv", "fix"), [
    ({"kind": "lab_raids", "start": 0.5, "end": 0.5},
     "give an end after start, or none to run to the horizon"),
    ({"kind": "naloxone", "end": 0.0, "intensity": 0.5},
     "give an end after start, or none to run to the horizon"),
    ({**STRIKE, "start": 0.5, "end": 0.5}, "leave end out for a one-time strike at start"),
])
def test_an_empty_window_is_refused(iv, fix):
    start = iv.get("start", 0.0)
    why = (f"end equals start ({start}): the window [start, end) is empty and the "
           f"intervention would never act; {fix}")
    with pytest.raises(InputError) as exc:
        from_dict({"network": NET, "interventions": [iv]})
    assert str(exc.value) == f"field 'interventions.0': {why}"
    with pytest.raises(InputError) as exc:
        from_dict({"network": NET, "strategies": {"s": [{"kind": "naloxone"}, iv]}})
    assert exc.value.field == "strategies.s.1" and exc.value.detail == why
    with pytest.raises(InputError, match="end equals start"):
        fentanet.simulate("toy", years=0.1, interventions=[iv])


def test_the_command_line_refuses_an_empty_window_in_one_line(capsys):
    code = main(["compare", "toy", "--years", "0.25", "--scheduler", "serial",
                 "--variant", "x=lab_raids:2@start=0.1@end=0.1"])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and "Traceback" not in err and len(lines) == 1, err
    assert "variant 'x': end equals start (0.1)" in lines[0]


@pytest.mark.parametrize("variants", [
    {"v": [{"kind": "naloxone", "intensity": 0.5}, {"kind": "lab_raids", "start": 0.1,
                                                     "end": 0.1}]},
    {"v": {"kind": "naloxone", "intensity": 0.5, "start": 0.1, "end": 0.1}},
])
def test_python_comparisons_name_the_variant_and_the_intervention(tmp_path, variants):
    """Review s11 finding 8: fentanet.compare() and ensemble() said only 'end equals start'
    (no field) for a variant's empty window; they now name the variant and the
    intervention's place, as the command line does, before any run."""
    place = "interventions[1]" if isinstance(variants["v"], list) else "interventions[0]"
    why = (f"field 'variants': variant 'v', {place}: end equals start (0.1): the window "
           "[start, end) is empty")
    with pytest.raises(InputError) as exc:
        fentanet.compare("toy", variants, years=0.25)
    assert str(exc.value).startswith(why) and exc.value.field == "variants"
    with pytest.raises(InputError) as exc:
        fentanet.ensemble("toy", runs=1, variants=variants, scheduler="serial",
                          store=tmp_path / "s", progress=False)
    assert str(exc.value).startswith(why)
    assert not (tmp_path / "s").exists()
    with pytest.raises(InputError) as exc:
        fentanet.compare("toy", {"w": [{"kind": "lab_raids", "intensity": 2e6}]}, years=0.25)
    assert str(exc.value).startswith("field 'variants': variant 'w', interventions[0]."
                                     "intensity: expected at most 1e+06")


def test_a_strike_with_an_end_after_its_start_is_kept():
    sc = from_dict({"network": NET, "interventions": [{**STRIKE, "start": 0.5, "end": 0.75}]})
    assert sc.interventions[0].end == 0.75


WEEKLY = "no step (one every 0.01923 years, the last at 0.9808) starts in its window"


@pytest.mark.parametrize(("iv", "window"), [
    ({"kind": "lab_raids", "intensity": 5, "start": 0.99}, "[0.99, horizon)"),
    ({**STRIKE, "start": 0.99}, "[0.99, horizon)"),
    ({"kind": "naloxone", "start": 0.501, "end": 0.51}, "[0.501, 0.51)"),  # between steps
])
def test_a_window_that_holds_no_step_is_said(iv, window):
    assert said(years=1.0, interventions=[iv]) == [
        f"{iv['kind']} acts at no step of this run: {WEEKLY} {window}: no effect in this run"]


def test_a_start_in_the_horizon_lost_to_rounding_is_said():
    # dt 0.4 runs 2 steps, 0.8 years, of the 1 asked: a start at 0.9 never comes
    assert said(years=1.0, dt=0.4, interventions=[{"kind": "naloxone", "start": 0.9}]) == [
        "the step of 0.4 years does not divide the horizon of 1 year: the run covers 2 "
        "steps, 0.8 years",
        "naloxone acts at no step of this run: no step (one every 0.4 years, the last at "
        "0.4) starts in its window [0.9, horizon): no effect in this run"]


@pytest.mark.parametrize("iv", [
    {"kind": "lab_raids", "start": 0.98},                 # the last step starts at 0.9808
    {"kind": "naloxone", "start": 0.0, "end": 0.01},     # the first step
    {"kind": "naloxone", "start": 0.5, "end": 0.51},     # step 26 starts at 0.5
    {**STRIKE, "start": 0.97},
])
def test_a_window_holding_a_step_says_nothing(iv):
    assert said(years=1.0, interventions=[iv]) == []


def test_at_or_after_the_horizon_is_said_as_before():
    assert said(years=1.0, interventions=[{"kind": "naloxone", "start": 1.0}]) == [
        "naloxone start(s) at or after the horizon of 1 year: no effect in this run"]


def test_what_is_said_is_what_the_run_does():
    # weekly, 1 year: raids from 0.98 act in the last step only, and cost one week of it;
    # from 0.99 in none (the warning), and cost nothing
    dt, unit = 1 / 52, 2.0e7 * 4500 / 3.1e6  # lab_raids' national cost times the toy's scale
    acted = fentanet.simulate("toy", seed=1, years=1.0,
                              interventions=[{"kind": "lab_raids", "intensity": 5,
                                              "start": 0.98}])
    cost = acted.series["intervention_cost_usd"]
    assert (cost.iloc[:-1] == 0).all()
    assert cost.iloc[-1] == pytest.approx(acted.scenario.interventions[0].unit_cost(
        acted.scenario.params.costs) * 5 * dt, rel=1e-12)
    assert cost.iloc[-1] == pytest.approx(unit * 5 * dt, rel=0.01)
    with pytest.warns(RunWarning, match="lab_raids acts at no step of this run"):
        idle = fentanet.simulate("toy", seed=1, years=1.0,
                                 interventions=[{"kind": "lab_raids", "intensity": 5,
                                                 "start": 0.99}])
    assert idle.series["intervention_cost_usd"].sum() == 0.0
