"""Review s20 (cli): ``--out`` of simulate, compare, sweep and calibrate, and the saves
behind them, replace or remove files of a result's names only in a folder of an earlier
fentanet result. They replaced a user's ``summary.json`` and removed a ``compare.csv``
the new result did not write, without a word (analyze --out refused them already)."""

from __future__ import annotations

import json

import pytest

import fentanet
from fentanet.cli import main
from fentanet.errors import InputError


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def no_runs(monkeypatch):
    """Fail if a run starts: the folder is checked first."""
    def boom(*args, **kwargs):
        raise AssertionError("the runs started before --out was checked")

    monkeypatch.setattr("fentanet.ensemble.ensemble", boom)


@pytest.mark.parametrize("command", [
    ["simulate", "toy"], ["compare", "toy", "naloxone"],
    ["sweep", "toy", "--param", "params.market.elasticity=0.3,0.5"],
])
def test_a_folder_of_other_files_is_refused_before_the_runs(capsys, tmp_path, no_runs,
                                                            command):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "compare.csv").write_text("my table\n")
    (folder / "summary.json").write_text('{"mine": true}\n')
    code, out, err = run(capsys, *command, "--years", "0.25", "--runs", "1",
                         "--store", tmp_path / "s", "--out", folder)
    assert code == 2 and out == ""
    assert err == (f"error: {folder}: holds summary.json, compare.csv, names --out writes, "
                   "but its summary.json is not a fentanet result's, so they may not be "
                   "fentanet's: --out would replace or remove them; choose an empty or new "
                   "folder, or move them\n")
    assert (folder / "compare.csv").read_text() == "my table\n"
    assert (folder / "summary.json").read_text() == '{"mine": true}\n'


def test_an_earlier_result_is_still_replaced(capsys, tmp_path):
    folder = tmp_path / "out"
    args = ["--years", "0.25", "--runs", "1", "--scheduler", "serial", "--store",
            tmp_path / "s", "--out", folder]
    assert run(capsys, "compare", "toy", "naloxone", *args)[0] == 0
    assert (folder / "compare.csv").is_file()
    code, _, err = run(capsys, "simulate", "toy", *args)
    assert code == 0, err
    assert sorted(p.name for p in folder.iterdir()) == ["series.parquet", "summary.csv",
                                                        "summary.json"]


def test_a_run_save_in_python_refuses_them_too(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "bands.csv").write_text("mine\n")
    result = fentanet.simulate("toy", seed=1, years=0.25)
    with pytest.raises(InputError, match=r"holds bands\.csv, names --out writes, but no "
                                         r"summary\.json"):
        result.save(folder)
    assert [p.name for p in folder.iterdir()] == ["bands.csv"]
    assert (folder / "bands.csv").read_text() == "mine\n"
    written = result.save(tmp_path / "new")
    assert json.loads((tmp_path / "new" / "summary.json").read_text())["scenario"] == "toy"
    result.save(tmp_path / "new")   # its own earlier result: replaced
    assert [p.name for p in written] == ["series.parquet", "summary.csv", "summary.json"]


def test_calibrate_refuses_them_before_the_fit(capsys, tmp_path, shared_data, monkeypatch):
    import fentanet.cli.calibrate as cli_calibrate

    monkeypatch.setattr(cli_calibrate, "_model", lambda *a, **k: (_ for _ in ()).throw(
        AssertionError("the fit started before --out was checked")))
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "fit.csv").write_text("my fit\n")
    target = shared_data / "public" / "us_synthetic_opioid_deaths.csv"
    code, out, err = run(capsys, "calibrate", "us-baseline", "--target", target,
                         "--model", "population", "--out", folder)
    assert code == 2 and out == ""
    assert err == (f"error: {folder}: holds fit.csv, names --out writes, but no "
                   "calibration.json, so they may not be fentanet's: --out would replace or "
                   "remove them; choose an empty or new folder, or move them\n")
    assert (folder / "fit.csv").read_text() == "my fit\n"
