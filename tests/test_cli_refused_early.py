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


@pytest.mark.parametrize(("args", "expected"), [
    (["simulate", "toy", "--runs", "100000000"],
     "error: field 'runs': 100,000,000 runs (100,000,000 runs x 1 variant x 1 sweep point) "
     "in one ensemble; it takes at most 1,000,000: split the design into several "
     "ensembles\n"),
    (["compare", "toy", "naloxone", "lab-raids", "--runs", "400000"],
     "error: field 'runs': 1,200,000 runs (400,000 runs x 3 variants x 1 sweep point) in "
     "one ensemble; it takes at most 1,000,000: split the design into several ensembles\n"),
    (["sweep", "toy", "--param", "params.market.elasticity=0.3:0.9:1000000", "--runs", "2"],
     "error: field 'runs': 2,000,000 runs (2 runs x 1 variant x 1,000,000 sweep points) in "
     "one ensemble; it takes at most 1,000,000: split the design into several ensembles\n"),
    (["sweep", "toy", "--param", "params.market.elasticity=0.3:0.9:10000000000"],
     "error: field '--param': params.market.elasticity: count 10,000,000,000 is more than "
     "the 1,000,000 runs one ensemble takes\n"),
    (["sensitivity", "toy", "-p", "params.population.overdose_rate=0.2:0.6", "--method",
      "lhs", "--samples", "1000000000", "--model", "population"],
     "error: field '--samples': 1,000,000,000 runs (1,000,000,000 samples x 1 seed); a "
     "design takes at most 1,000,000\n"),
    (["sensitivity", "toy", "-p", "params.population.overdose_rate=0.2:0.6", "--runs",
      "1000000000", "--model", "population"],
     "error: field '--runs': 3,000,000,000 runs (3 points x 1,000,000,000 seeds); a design "
     "takes at most 1,000,000\n"),
])
def test_a_design_too_big_for_one_ensemble_is_refused_at_once(capsys, tmp_path, args,
                                                              expected):
    """--runs 100000000 took 9 GB of memory without a word before its first run; a sweep's
    start:stop:count of 10^10 ended in NumPy's MemoryError traceback; sensitivity's
    --samples 10^9 made its design for minutes."""
    code, out, err = run(capsys, *args, "--years", "0.25", "--store", tmp_path / "s")
    assert (code, out, err) == (2, "", expected)
    assert not (tmp_path / "s").exists()


def test_calibrate_refuses_more_seeds_than_an_ensemble_takes(capsys, shared_data):
    target = shared_data / "public" / "us_synthetic_opioid_deaths.csv"
    code, out, err = run(capsys, "calibrate", "toy", "--target", target, "--runs", 10**7,
                         "--model", "population")
    assert (code, out, err) == (2, "", "error: field '--runs': 10,000,000 seeds per "
                                       "evaluation; at most 1,000,000\n")


def test_repeated_sweep_values_are_found_by_value_in_long_sweeps():
    from fentanet.ensemble.plan import sweep_points
    from fentanet.errors import InputError

    assert len(sweep_points({"x": [*range(200_000)]})) == 200_000
    with pytest.raises(InputError, match=r"the value 5\.0 is given twice"):
        sweep_points({"x": [*range(200_000), 5.0]})
    assert len(sweep_points({"x": [True, 1, 0.5, float("nan"), float("nan"), [1], (2,)]})) == 7
    with pytest.raises(InputError, match=r"the value \[1\] is given twice"):
        sweep_points({"x": [[1], 0.5, [1]]})


def test_serve_never_makes_a_missing_parent_of_its_working_folder(capsys, tmp_path):
    """`serve --workdir a/b/c` made a, b and c (and its four folders), even when it then
    could not listen; every --out refuses a missing parent (a typo would make folders
    wherever it points)."""
    import socket

    with socket.socket() as busy:   # were the folder accepted, no server would start
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        code, out, err = run(capsys, "serve", "--port", busy.getsockname()[1], "--workdir",
                             tmp_path / "a" / "b")
    assert (code, out) == (2, "")
    assert err == f"error: {tmp_path / 'a'}: the folder does not exist (for --workdir)\n"
    assert not (tmp_path / "a").exists()
