"""The simulation's command line beyond ensembles: ad-hoc variants, scenarios, scenario show."""

from __future__ import annotations

import json

import pytest

from fentanet.cli import main
from fentanet.cli.simulate import parse_variant
from fentanet.errors import InputError


def test_scenarios_lists_the_builtins(capsys):
    assert main(["scenarios", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in rows} >= {"toy", "us-baseline"}


def test_scenario_show_prints_every_parameter(capsys):
    assert main(["scenario", "show", "toy"]) == 0
    out = capsys.readouterr().out
    assert "name: toy" in out and "elasticity: 0.5" in out and "displacement: true" in out


def test_compare_with_an_ad_hoc_variant(tmp_path, capsys):
    code = main(["compare", "toy", "--variant", "nal=naloxone:1", "--years", "0.5",
                 "--scheduler", "serial", "--store", str(tmp_path / "s"), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    res = json.loads(out)
    assert res["variants"] == ["baseline", "nal"] and res["finished"] == 2


def test_bad_variants_exit_2_with_a_clear_line(tmp_path, capsys):
    assert main(["compare", "toy", "--variant", "x=lab_raid", "--store",
                 str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "lab_raids" in err


def test_parse_variant_fields():
    name, items = parse_variant("hit=lab_raids:2:degree:5,naloxone", 1.0)
    assert name == "hit"
    assert items[0] == {"kind": "lab_raids", "start": 1.0, "intensity": 2.0,
                        "target": {"rule": "degree", "count": 5}}
    assert items[1] == {"kind": "naloxone", "start": 1.0}
    with pytest.raises(InputError, match="numbers"):
        parse_variant("x=lab_raids:high", 0.0)
    with pytest.raises(InputError, match="baseline"):
        parse_variant("baseline=naloxone", 0.0)
