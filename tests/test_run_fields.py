"""Run-level fields that make no sense as uncertain or swept parameters are refused before
any run, naming the field and what to use instead (the audit s11/audit-runs, finding 3):
the run seed (drawn or swept, it was recorded per run and not used), the horizon, step and
calendar year drawn per seed (bands mixing runs of other lengths), and the labels."""

from __future__ import annotations

import importlib

import pandas as pd
import pytest

import fentanet
from fentanet.cli import main
from fentanet.ensemble import check_inputs
from fentanet.errors import InputError
from fentanet.report.simulation import drawn_values, run_tables
from fentanet.simulate.scenario import NOT_SWEPT, NOT_UNCERTAIN, WORLD_FIELDS

scenario_mod = importlib.import_module("fentanet.simulate.scenario")

SEED_HELP = ("give the first seed with --seed and the number of seeds with --runs (seed=, "
             "runs= in Python)")


def test_the_refused_fields_are_run_level_fields():
    # one list of run-level fields (WORLD_FIELDS, as variants use it), besides the labels
    assert set(NOT_UNCERTAIN) - {"name", "description"} <= set(WORLD_FIELDS)
    assert set(NOT_SWEPT) <= set(NOT_UNCERTAIN)


@pytest.mark.parametrize(("argv", "message"), [
    (["compare", "toy", "naloxone", "--runs", "3", "--years", "0.25", "--uncertain",
      "seed=1:1000"],
     "error: field 'seed': the run seed cannot be uncertain (--uncertain): run i of an "
     "ensemble runs at the first seed + i whatever the scenario's seed says, so the values "
     f"would be recorded and not used; {SEED_HELP}"),
    (["sweep", "toy", "--param", "seed=1,5", "--runs", "1"],
     "error: field 'seed': the run seed cannot be swept (--param): run i of an ensemble runs "
     "at the first seed + i whatever the scenario's seed says, so the values would be "
     f"recorded and not used; {SEED_HELP}"),
    (["simulate", "toy", "--uncertain", "years=1:3"],
     "error: field 'years': the horizon cannot be uncertain (--uncertain): drawn per seed, it "
     "would put runs of other lengths side by side in the bands and comparisons over seeds; "
     "sweep it (--param years=A,B: each value its own sweep point) or set it for every run "
     "(--set years=VALUE, --years)"),
    (["simulate", "toy", "--uncertain", "dt=0.01:0.05"],
     "error: field 'dt': the step cannot be uncertain (--uncertain): drawn per seed, it would "
     "put runs of other steps side by side in the bands and comparisons over seeds; sweep it "
     "(--param dt=A,B: each value its own sweep point) or set it for every run (--set "
     "dt=VALUE)"),
    (["compare", "toy", "naloxone", "--uncertain", "start_year=2013:2019"],
     "error: field 'start_year': the calendar year of time 0 cannot be uncertain "
     "(--uncertain): drawn per seed, it would put runs of other calendar years side by side "
     "in the bands and comparisons over seeds; sweep it (--param start_year=A,B: each value "
     "its own sweep point) or set it for every run (--set start_year=VALUE)"),
    (["sweep", "toy", "--param", "name=a,b"],
     "error: field 'name': the scenario's name labels it and changes no run: it cannot be "
     "swept (--param)"),
])
def test_the_cli_refuses_them_before_any_run(tmp_path, capsys, argv, message):
    store = tmp_path / "s"
    assert main([*argv, "--scheduler", "serial", "--store", str(store)]) == 2
    assert capsys.readouterr().err == message + "\n"
    assert not store.exists()  # nothing run, nothing stored


def test_python_and_check_inputs_refuse_them(tmp_path):
    with pytest.raises(InputError, match=r"^field 'seed': the run seed cannot be uncertain"):
        fentanet.ensemble("toy", runs=2, uncertain={"seed": (1, 1000)}, scheduler="serial",
                          store=tmp_path / "s", progress=False)
    with pytest.raises(InputError, match=r"^field 'seed': the run seed cannot be swept"):
        fentanet.ensemble("toy", runs=1, sweep={"seed": [1, 5]}, scheduler="serial",
                          store=tmp_path / "s", progress=False)
    assert not (tmp_path / "s").exists()
    with pytest.raises(InputError, match=r"^field 'years': the horizon cannot be uncertain"):
        check_inputs("toy", uncertain={"years": (1, 2)}, networks=False)
    with pytest.raises(InputError, match=r"^field 'description': .* cannot be swept"):
        check_inputs("toy", sweep=[{"description": "a"}], networks=False)


def test_what_stays_allowed():
    """Swept horizons, steps and seeds of a generated network are sweep points of their
    own; the spin-up and the network may be drawn (one time axis); --set seed moves the
    first seed."""
    check_inputs("toy", sweep={"years": [1, 2], "dt": ["week", "month"],
                               "start_year": [2013, 2015], "network.seed": [1, 2]},
                 networks=False)
    check_inputs("toy", uncertain={"warmup_years": (0.25, 1.0), "network.seed": (1, 9),
                                   "network.generate.actors": (250, 400)}, networks=False)
    check_inputs("toy", overrides={"seed": 5}, networks=False)


def test_an_old_ensemble_with_a_drawn_seed_shows_it_in_a_column_of_its_own(tmp_path,
                                                                          monkeypatch):
    """An ensemble stored before the seed was refused as uncertain: the table of values
    drawn per seed keeps one 'seed' column (the run's) and names the drawn one
    'param:seed' (the web page lost one of two 'seed' columns)."""
    monkeypatch.setattr(scenario_mod, "check_drawn_and_swept", lambda *a, **k: None)
    ens = fentanet.ensemble("toy", runs=2, seed=3, uncertain={"seed": (1, 9)},
                            overrides={"years": 0.25}, scheduler="serial",
                            store=tmp_path / "s", progress=False)
    drawn = drawn_values(run_tables(ens))
    assert list(drawn.columns) == ["seed", "param:seed"]
    assert drawn["seed"].tolist() == [3, 4]
    assert drawn["param:seed"].between(1, 9).all()
    pd.testing.assert_frame_equal(drawn, drawn.loc[:, ~drawn.columns.duplicated()])
