"""``--report`` and ``--png`` on the command line: simulate, compare and sensitivity write
one self-contained HTML file (and PNG figures); bad paths fail before any run."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from fentanet.cli import main

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


def figures(path: Path) -> list[str]:
    return re.findall(r'data-figure="fig-([^"]+)"', path.read_text())


def sections(path: Path) -> list[str]:
    return re.findall(r'<h2 id="[^"]+">([^<]+)</h2>', path.read_text())


def test_compare_writes_a_report(tmp_path, capsys):
    out = tmp_path / "cmp.html"
    code = main(["compare", "toy", "naloxone", "--runs", "2", "--years", "0.5",
                 "--scheduler", "serial", "--store", str(tmp_path / "s"), "--report",
                 str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"report: {out}" in captured.out.replace("\n", "")
    assert sections(out) == ["Overview", "Main series", "Strategies side by side",
                             "Against the baseline", "About these runs"]
    figs = figures(out)
    assert "deaths-averted" in figs and "series-supply-kg" in figs
    assert "naloxone" in out.read_text()


def test_json_stays_one_document_with_a_report(tmp_path, capsys):
    out = tmp_path / "sim.html"
    code = main(["simulate", "toy", "--years", "0.3", "--store", str(tmp_path / "s"),
                 "--report", str(out), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert json.loads(captured.out)["finished"] == 1
    assert "report:" in captured.err and out.exists()
    assert "Against the baseline" not in sections(out)  # nothing to compare with


def test_bad_report_paths_fail_before_running(tmp_path, capsys):
    store = tmp_path / "s"
    assert main(["compare", "toy", "--store", str(store), "--report",
                 str(tmp_path / "no" / "r.html")]) == 2
    assert "folder does not exist" in capsys.readouterr().err
    assert main(["simulate", "toy", "--store", str(store), "--report", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    (tmp_path / "f").write_text("x")
    assert main(["simulate", "toy", "--store", str(store), "--png", str(tmp_path / "f")]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert not store.exists()  # no run was made
    assert main(["simulate", "toy", "--store", str(store), "--sensitivity", "nope",
                 "--report", str(tmp_path / "r.html")]) == 2
    assert "no ensemble 'nope'" in capsys.readouterr().err
    assert main(["sensitivity", "toy", "-p", "years=0.2:0.4", "--method", "lhs",
                 "--report", str(tmp_path / "r.html")]) == 2
    assert "--method tornado" in capsys.readouterr().err


def test_sensitivity_report_and_the_stored_tornado_in_a_comparison(tmp_path, capsys):
    store = str(tmp_path / "s")
    tornado = tmp_path / "tornado.html"
    code = main(["sensitivity", "toy", "-p", "params.market.elasticity=0.3:0.8",
                 "--runs", "2", "--years", "0.4", "--scheduler", "serial", "--store", store,
                 "--json", "--report", str(tornado)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    eid = json.loads(captured.out)["ensemble"]
    assert sections(tornado) == ["Sensitivity", "About these runs"]
    assert figures(tornado) == ["tornado"] and eid in tornado.read_text()
    out = tmp_path / "cmp.html"
    code = main(["compare", "toy", "naloxone", "--years", "0.4", "--scheduler", "serial",
                 "--store", store, "--sensitivity", eid, "--report", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Sensitivity" in sections(out) and "tornado" in figures(out)


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="PNG export needs chromium (apt-get install "
                                              "chromium; .ci/run does)")
def test_png_figures(tmp_path, capsys):
    png = tmp_path / "png"
    code = main(["simulate", "toy", "--years", "0.3", "--store", str(tmp_path / "s"),
                 "--png", str(png)])
    assert code == 0, capsys.readouterr().err
    names = sorted(p.name for p in png.iterdir())
    assert "series-supply-kg.png" in names and len(names) == 8
    assert all((png / n).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for n in names)


def test_analyze_writes_a_report(tmp_path, capsys):
    net = tmp_path / "bridge.csv"
    net.write_text("source,target\na,b\nb,c\nc,a\nc,d\nd,e\ne,f\nf,d\n")
    out = tmp_path / "bridge.html"
    code = main(["analyze", str(net), "--k", "2", "--steps", "3", "--json", "--report",
                 str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    kp = json.loads(captured.out)["key_players"]["fragmentation"]["actors"]
    assert sections(out) == ["Overview", "The network", "Who matters", "Key players",
                             "Groups and brokers", "Resilience", "About this analysis"]
    assert ", ".join(kp) in out.read_text() and "report:" in captured.err
    assert main(["analyze", str(net), "--report", str(tmp_path / "no" / "x.html")]) == 2
    assert "folder does not exist" in capsys.readouterr().err
