"""A parameter given a value by two options (or twice by one) is refused before anything
runs or is stored, with a message naming the parameter and both options: before, the one
applied last replaced the other without a word."""

from __future__ import annotations

import pandas as pd
import pytest

from ensemble_standin import StandInScenario, simulate
from fentanet.cli import main
from fentanet.ensemble import ensemble
from fentanet.errors import InputError, given_once, one_role


def refused(capsys, *argv: str) -> str:
    """Run the CLI, expect exit 2 and one error line without a traceback; return it."""
    code = main(list(argv))
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, (argv, err)
    return lines[0]


RATE = "params.population.overdose_rate"
ELASTICITY = "params.market.elasticity"


def test_the_helpers_name_the_clash():
    one_role({"a": ["x"], "b": ["y"], "c": []})  # no clash: nothing raised
    with pytest.raises(InputError, match=r"^x, z: a and c at once; give each parameter one "
                                         r"role$"):
        one_role({"a": ["x", "z"], "b": ["y"], "c": ["z", "x"]})
    given_once(["a", "b"], "--set")
    with pytest.raises(InputError, match=r"^field '--set': b given twice") as info:
        given_once(["b", "a", "b"], "--set")
    assert info.value.field == "--set"


# ------------------------------------------------------------------ the command line


def test_sweep_param_and_set_of_one_key_are_refused(capsys, tmp_path):
    store = tmp_path / "s"
    line = refused(capsys, "sweep", "toy", "--param", f"{ELASTICITY}=0.3,0.6",
                   "--set", f"{ELASTICITY}=0.9", "--runs", "1", "--scheduler", "serial",
                   "--store", str(store))
    assert f"{ELASTICITY}: swept (--param) and set for every run (--set) at once" in line
    line = refused(capsys, "sweep", "toy", "--param", "years=0.1,0.2", "--years", "0.3",
                   "--scheduler", "serial", "--store", str(store))
    assert "years: swept (--param) and the horizon (--years) at once" in line
    assert not store.exists()  # nothing ran, nothing stored


def test_years_or_seed_and_set_of_the_same_field_are_refused(capsys, tmp_path):
    store = tmp_path / "s"
    for command in (["simulate", "toy"], ["compare", "toy", "naloxone"]):
        line = refused(capsys, *command, "--years", "0.1", "--set", "years=0.2",
                       "--store", str(store))
        assert "years: set for every run (--set) and the horizon (--years) at once" in line
    line = refused(capsys, "simulate", "toy", "--seed", "3", "--set", "seed=4",
                   "--store", str(store))
    assert "seed: set for every run (--set) and the first seed (--seed) at once" in line
    line = refused(capsys, "simulate", "toy", "--set", f"{RATE}=0.2", "--uncertain",
                   f"{RATE}=0.1:0.3", "--store", str(store))
    assert f"{RATE}: set for every run (--set) and uncertain (--uncertain) at once" in line
    assert not store.exists()


@pytest.mark.parametrize("argv, option, name", [
    (["simulate", "toy", "--uncertain", f"{RATE}=0.1:0.2", "--uncertain", f"{RATE}=0.3:0.4"],
     "--uncertain", RATE),
    (["compare", "toy", "naloxone", "--set", f"{ELASTICITY}=0.3", "--set",
      f"{ELASTICITY}=0.6"], "--set", ELASTICITY),
    (["sweep", "toy", "--param", f"{ELASTICITY}=0.3", "--param", f"{ELASTICITY}=0.6"],
     "--param", ELASTICITY),
    (["sensitivity", "toy", "-p", f"{RATE}=0.1:0.3", "--set", "years=0.2", "--set",
      "years=0.3"], "--set", "years"),
])
def test_a_name_given_twice_to_one_option_is_refused(capsys, tmp_path, argv, option, name):
    store = tmp_path / "s"
    line = refused(capsys, *argv, "--scheduler", "serial", "--store", str(store))
    assert f"field '{option}': {name} given twice; give each parameter once" in line
    assert not store.exists()


def test_calibrate_set_twice_is_refused(capsys, tmp_path):
    target = tmp_path / "t.csv"
    target.write_text("year,deaths\n0,10\n1,12\n")
    store = tmp_path / "s"
    line = refused(capsys, "calibrate", "toy", "--target", str(target), "--series", "deaths",
                   "--no-transition", "--set", "years=2", "--set", "years=3",
                   "--store", str(store))
    assert "field '--set': years given twice" in line
    assert not store.exists()


def test_calibrate_and_sensitivity_refuse_a_varied_parameter_also_set(capsys, tmp_path):
    target = tmp_path / "t.csv"
    target.write_text("year,deaths\n0,10\n1,12\n")
    store = tmp_path / "s"
    base = ["calibrate", "toy", "--target", str(target), "--series", "deaths",
            "--store", str(store)]
    line = refused(capsys, *base, "--no-transition", "-p", f"{RATE}=0.1:0.5",
                   "--set", f"{RATE}=0.3")
    assert f"{RATE}: fitted (--param) and set for every run (--set) at once" in line
    # the overdose rate is fitted by default
    line = refused(capsys, *base, "--no-transition", "--set", f"{RATE}=0.3")
    assert f"{RATE}: fitted (by default) and set for every run (--set) at once" in line
    # the transition (on by default) drives the potency trend
    line = refused(capsys, *base, "--start-year", "2013", "--set",
                   "params.market.potency_trend=[[0, 1.0], [1, 1.5]]")
    assert ("params.market.potency_trend: set for every run (--set) and driven by the "
            "fentanyl transition (--transition) at once") in line
    line = refused(capsys, *base, "--no-transition", "--start-year", "2013", "--set",
                   "start_year=2015")
    assert "start_year: set for every run (--set) and the start year (--start-year)" in line
    line = refused(capsys, "sensitivity", "toy", "-p", "years=0.2:0.4", "--years", "0.3",
                   "--store", str(store))
    assert "years: varied (--param) and the horizon (--years) at once" in line
    line = refused(capsys, "sensitivity", "toy", "-p", f"{RATE}=0.1:0.3", "--seed", "2",
                   "--set", "seed=3", "--store", str(store))
    assert "seed: set for every run (--set) and the first seed (--seed) at once" in line
    line = refused(capsys, "sensitivity", "toy", "-p", f"{RATE}=0.1:0.3", "--set",
                   f"{RATE}=0.2", "--store", str(store))
    assert f"{RATE}: varied (--param) and set for every run (--set) at once" in line
    assert not store.exists()


# ------------------------------------------------------------------ Python


def run(store, **kw):
    return ensemble(StandInScenario(), 2, store=store, progress=False, model=simulate,
                    scheduler="serial", **kw)


def test_a_variant_may_not_set_an_uncertain_or_swept_parameter(tmp_path):
    store = tmp_path / "s"
    with pytest.raises(InputError, match=r"params.rate: set by variant 'high' and uncertain "
                                         r"at once") as info:
        run(store, variants={"high": {"params.rate": 9.0}},
            uncertain={"params.rate": (1.0, 2.0)})
    assert info.value.field == "uncertain"
    with pytest.raises(InputError, match=r"params.effect: set by variant 'high' and swept "
                                         r"at once") as info:
        run(store, variants={"high": {"params.effect": 0.5}},
            sweep={"params.effect": [0.0, 0.2]})
    assert info.value.field == "variants"
    assert not store.exists()


def test_a_sweep_still_moves_from_an_override_and_a_variant_from_the_base(tmp_path):
    """What stays allowed, and how it resolves: a sweep point's value replaces an override
    of its path (calibration's designs rely on it), a variant's override one set for every
    run (the variant differs from the baseline there)."""
    ens = run(tmp_path / "s", overrides={"params.rate": 3.0, "params.effect": 0.1},
              sweep=[{}, {"params.rate": 7.0}], variants={"strong": {"params.effect": 0.5}})
    s = ens.summary()
    assert len(s) == 2 * 2 * 2
    for row in s.to_dict("records"):
        rate = 3.0 if pd.isna(row["params.rate"]) else row["params.rate"]
        effect = 0.5 if row["variant"] == "strong" else 0.1
        sc = StandInScenario().override({"params.rate": rate, "params.effect": effect})
        assert row["deaths_total"] == simulate(sc, row["seed"]).summary["deaths_total"]
    assert sorted(s["params.rate"].dropna().unique()) == [7.0]


def test_compare_refuses_years_also_set_by_a_variant():
    import fentanet

    # a variant never sets the horizon (tests/test_variant_world.py), with years= or not
    with pytest.raises(InputError, match=r"variant 'longer' sets years, the horizon: "):
        fentanet.compare("toy", {"longer": {"years": 0.2}}, years=0.1)


def test_calibration_refuses_a_parameter_given_twice(tmp_path):
    from fentanet.calibrate import build_model, calibrate, tornado

    with pytest.raises(InputError, match=r"years: fixed in overrides and the horizon"):
        build_model("toy", years=1, overrides={"years": 2})
    with pytest.raises(InputError, match=rf"{RATE}: fitted and fixed in overrides"):
        calibrate("toy", [], {RATE: (0.1, 0.5)}, transition=False,
                  overrides={RATE: 0.3}, store=tmp_path / "s")
    with pytest.raises(InputError, match=rf"{RATE}: varied and fixed in overrides"):
        tornado("toy", {RATE: (0.1, 0.5)}, overrides={RATE: 0.3}, store=tmp_path / "s")
    assert not (tmp_path / "s").exists()
