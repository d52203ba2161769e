"""Output paths the CLI cannot write are refused before the work starts, in one line with
exit status 2; operating-system errors on user paths never print a traceback."""

from __future__ import annotations

import pytest

from fentanet import generate, write
from fentanet.cli import main


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def net_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("net") / "supply.csv"
    write(generate({"actors": 40}, seed=1), path)
    return path


@pytest.fixture()
def never_analyse(monkeypatch):
    """Fail loudly if the analysis starts: the path check must come first."""
    import fentanet.cli.analysis as cli_analysis

    def boom(*args, **kwargs):
        raise AssertionError("the analysis ran before the output path was checked")

    monkeypatch.setattr(cli_analysis, "analyze_network", boom)
    monkeypatch.setattr(cli_analysis, "resilience_curve", boom)


@pytest.mark.parametrize(("command", "option", "target", "expected"), [
    ("resilience", "--out", "{missing}/x.csv", "does not exist (for --out)"),
    ("resilience", "--out", "{file}/x.csv", "is a file, not a folder"),
    ("resilience", "--out", "{folder}", "is a folder; expected a file name for --out"),
    ("analyze", "--out", "{file}/sub", "is a file, not a folder"),
    ("analyze", "--out", "{file}", "exists and is not a folder"),
    ("analyze", "--png", "{file}/sub", "is a file, not a folder"),
    # a missing folder is made only where its parent exists (a typo made folders anywhere)
    ("analyze", "--png", "{missing}/sub", "does not exist (for --png)"),
    ("analyze", "--out", "{missing}/sub", "does not exist (for"),
    ("analyze", "--report", "{file}/r.html", "is a file, not a folder"),
    ("analyze", "--report", "{missing}/r.html", "does not exist (for --report)"),
    ("analyze", "--report", "{folder}", "is a folder; expected a file name for --report"),
])
def test_unwritable_outputs_are_refused_before_the_work(capsys, tmp_path, net_file,
                                                        never_analyse, command, option,
                                                        target, expected):
    afile = tmp_path / "afile"
    afile.write_text("")
    path = target.format(missing=tmp_path / "nonexist", file=afile, folder=tmp_path)
    code, out, err = run(capsys, command, net_file, option, path)
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert expected in err
    assert "Traceback" not in err and out == ""
    assert afile.read_text() == ""  # nothing written in its place


def test_an_os_error_on_a_user_path_is_one_line(capsys, monkeypatch, net_file):
    import fentanet.cli.network as cli_network

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", "/data/case.csv")

    monkeypatch.setattr(cli_network, "load_network", denied)
    code, _, err = run(capsys, "info", net_file)
    assert code == 2
    assert err == "error: /data/case.csv: Permission denied\n"


def test_other_exceptions_still_propagate(monkeypatch, net_file):
    import fentanet.cli.network as cli_network

    def bug(*args, **kwargs):
        raise RuntimeError("a real bug")

    monkeypatch.setattr(cli_network, "load_network", bug)
    with pytest.raises(RuntimeError, match="a real bug"):
        main(["info", str(net_file)])


def test_a_writable_out_still_writes(capsys, tmp_path, net_file):
    out = tmp_path / "new"  # made, as its parent exists (new/deeper is refused above)
    code, _, err = run(capsys, "analyze", net_file, "--k", 2, "--steps", 2, "--out", out)
    assert code == 0, err
    assert (out / "report.json").exists()


def test_paths_that_look_like_rich_markup_are_printed_as_they_are(capsys, net_file, tmp_path):
    """A folder named like a closing markup tag ('[/x]') crashed the CLI after writing."""
    folder = tmp_path / "o[/x]"
    folder.mkdir(parents=True)
    code, out, err = run(capsys, "analyze", net_file, "--k", "1", "--out", folder / "res")
    assert code == 0, err
    assert "Traceback" not in err
    assert "o[/x]" in out.replace("\n", "")
    code, out, err = run(capsys, "resilience", net_file, "--steps", "2", "--out",
                         folder / "curve.csv")
    assert code == 0, err
    assert f"wrote {folder / 'curve.csv'}" in out.replace("\n", "")


def test_a_new_store_with_a_missing_parent_is_refused_before_any_run(capsys, tmp_path):
    # --store made every missing parent, where --out and --to make only the last folder
    code, _, err = run(capsys, "simulate", "toy", "--years", "0.1", "--scheduler", "serial",
                       "--store", tmp_path / "typo" / "runs")
    assert code == 2 and "Traceback" not in err
    assert " ".join(err.split()) == (
        f"error: cannot create the run store {tmp_path / 'typo' / 'runs'}: the folder "
        f"{tmp_path / 'typo'} does not exist; only the last folder of the path is made, "
        "never missing parents (a typo would make folders wherever it points): make them "
        "first")
    assert not (tmp_path / "typo").exists()
