"""Values on the ensemble commands' command line: ``a:b`` is not a base-60 number, and an
output folder that cannot be written is refused before any run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fentanet.cli import common as cli_common
from fentanet.cli import main
from fentanet.cli.runs import parse_param, parse_sets, read_value
from fentanet.errors import InputError
from fentanet.store import RunStore


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_values_read_as_yaml_but_never_as_base_60():
    # PyYAML reads YAML 1.1: '1:2' is 62 and '1:30' is 90
    assert read_value("1:2") == "1:2"
    assert read_value("1:30") == "1:30"
    assert read_value("-2:05.5") == "-2:05.5"
    assert read_value("0.3") == 0.3 and read_value("12") == 12 and read_value("1_000") == 1000
    assert read_value("true") is True
    assert read_value("[[0, 1.0], [5, 1.2]]") == [[0, 1.0], [5, 1.2]]
    assert read_value("'a:b'") == "a:b"
    assert parse_sets(["years=1:30"]) == {"years": "1:30"}


def test_a_sweep_of_a_b_is_refused_not_run_as_a_base_60_number(capsys, tmp_path):
    """`--param years=1:2` (start:stop without a count) swept years = 62."""
    with pytest.raises(InputError, match=r"'1:2' is neither a value nor a range; expected "
                                         r"years=v1,v2,\.\.\. or years=start:stop:count"):
        parse_param("years=1:2")
    assert parse_param("years=1:2:3") == ("years", [1.0, 1.5, 2.0])
    store = tmp_path / "s"
    code, _, err = cli(capsys, "sweep", "toy", "--param", "years=1:2", "--runs", "1",
                       "--scheduler", "serial", "--store", str(store))
    assert code == 2 and "Traceback" not in err
    assert "neither a value nor a range" in err
    assert not store.exists() or len(RunStore(store)) == 0


def test_set_a_b_is_refused_by_the_scenario(capsys, tmp_path):
    code, _, err = cli(capsys, "simulate", "toy", "--set", "years=1:30",
                       "--store", str(tmp_path / "s"))
    assert code == 2
    assert "field 'years'" in err and "got '1:30'" in err


@pytest.mark.parametrize("command", [["simulate", "toy"], ["compare", "toy", "naloxone"]])
def test_an_out_folder_that_cannot_be_written_is_refused_before_any_run(
        capsys, tmp_path, monkeypatch, command):
    """Was found only after every run, when the outputs were written."""
    locked = tmp_path / "locked"
    locked.mkdir()
    real = os.access
    monkeypatch.setattr(cli_common.os, "access",
                        lambda p, mode, *a, **k: False if Path(p) == locked and mode & os.W_OK
                        else real(p, mode, *a, **k))
    store = tmp_path / "s"
    code, _, err = cli(capsys, *command, "--years", "0.05", "--store", str(store),
                       "--out", str(locked / "out"))
    assert code == 2 and "Traceback" not in err
    assert f"cannot write in the folder {locked}" in err and "--out" in err
    assert not store.exists() or len(RunStore(store)) == 0
