"""Review s20 (cli): values the commands refused only after a traceback, or after work had
started, are refused at once, in one line, with exit status 2."""

from __future__ import annotations

import pytest

from fentanet.cli import main


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", [["analyze"], ["resilience", "--strategy", "random"]])
def test_a_negative_seed_is_refused_without_a_traceback(capsys, shared_data, command):
    path = shared_data / "networks" / "cielnet" / "morselli_cielnet.csv"
    code, out, err = run(capsys, *command, path, "--seed", "-1")
    assert code == 2 and out == ""
    assert err == ("error: Invalid value for '--seed': Input should be greater than or "
                   "equal to 0\n")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(("args", "expected"), [
    (["--seed", "-1"], "Invalid value for '--seed'"),
    (["--actors", "5"], "field 'actors': Input should be greater than or equal to 20, got 5"),
])
def test_demo_refuses_bad_values_before_its_first_section(capsys, tmp_path, args, expected):
    code, out, err = run(capsys, "demo", "--out", tmp_path / "report", *args)
    assert code == 2
    assert out == ""   # nothing printed: the first section's rule and table came first
    assert expected in err
    assert not (tmp_path / "report").exists()


def test_demo_never_makes_a_missing_parent_folder(capsys, tmp_path):
    out = tmp_path / "typo" / "report"
    code, stdout, err = run(capsys, "demo", "--out", out)
    assert code == 2 and stdout == ""
    assert err == f"error: {tmp_path / 'typo'}: the folder does not exist (for --out)\n"
    assert not (tmp_path / "typo").exists()
