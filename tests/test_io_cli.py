"""The command line around reading and writing: formats, convert, info."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import pandas as pd

import fentanet
from fentanet import Network
from fentanet.cli import main


def test_formats_lists_every_format(capsys):
    assert main(["formats", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(rows) == {"links", "matrix", "edgelist", "dl", "pajek", "graphml", "gexf",
                         "json", "sif", "dot", "interdiction"}
    assert rows["dot"]["read"] and not rows["dot"]["write"]
    assert rows["links"]["extensions"] == [".csv", ".tsv", ".txt"]
    # the edge list's delimiters, all of them (semicolon and pipe were left out)
    assert "tab, comma, semicolon, pipe or space separated" in rows["edgelist"]["description"]
    assert all(r["keeps"] for r in rows.values())
    assert main(["formats"]) == 0
    out = capsys.readouterr().out
    assert "edgelist" in out and "[weight]" in out


def test_convert_then_info(tmp_path, capsys):
    links = pd.DataFrame({"source": ["s", "l", "l"], "target": ["l", "r", "o"],
                          "kind": ["supplies", "ships", "member_of"]})
    actors = pd.DataFrame({"id": ["s", "l", "r", "o"],
                           "kind": ["supplier", "lab", "route", "organization"],
                           "mode": [None, None, "sea", None]})
    net = Network(actors, links)
    fentanet.write(net, tmp_path / "chain.csv")
    assert main(["convert", str(tmp_path / "chain.csv"), str(tmp_path / "chain.graphml")]) == 0
    assert "wrote" in capsys.readouterr().out
    assert fentanet.read(tmp_path / "chain.graphml").equals(net)
    assert main(["info", str(tmp_path / "chain.graphml"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["actors"] == 4 and summary["links"] == 3
    assert summary["link_kinds"] == {"supplies": 1, "ships": 1, "member_of": 1}
    assert main(["convert", str(tmp_path / "chain.csv"), str(tmp_path / "x.dot")]) == 2
    assert "cannot write format 'dot'" in capsys.readouterr().err


def test_info_on_a_shared_dataset(shared_data, capsys):
    path = shared_data / "networks" / "montagna" / "Montagna_phonecalls_edgelist.csv"
    assert main(["info", str(path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["actors"], summary["links"], summary["directed"]) == (100, 124, False)
    assert (summary["components"], summary["largest_component"]) == (5, 89)


def test_info_prints_names_with_brackets_literally(tmp_path, capsys):
    net = Network(["a", "b"], pd.DataFrame({"source": ["a"], "target": ["b"]}),
                  name="[/x] case [1]")
    fentanet.write(net, tmp_path / "n.graphml")
    assert main(["info", str(tmp_path / "n.graphml")]) == 0
    assert "[/x] case [1]" in capsys.readouterr().out


def test_shared_data_found_from_a_git_worktree(tmp_path):
    from fentanet.datasets import main_checkout

    main_root = tmp_path / "main"
    (main_root / ".git" / "worktrees" / "io").mkdir(parents=True)
    wt = tmp_path / "wt" / "io"
    wt.mkdir(parents=True)
    (wt / ".git").write_text(f"gitdir: {main_root}/.git/worktrees/io\n")
    assert main_checkout(wt) == main_root
    assert main_checkout(main_root) is None  # a main checkout's .git is a folder
    (wt / ".git").write_text("not a pointer\n")
    assert main_checkout(wt) is None


def test_user_text_is_never_read_as_markup(tmp_path, capsys):
    """Phases, paths and table cells hold user text: '[/x]' must print as written, not
    raise rich's MarkupError (a traceback) nor vanish as a style tag."""
    folder = tmp_path / "[red]case"
    folder.mkdir()
    src = folder / "[bold]calls.csv"
    src.write_text("source,target,phase\na,b,[/x]\nb,c,[red]p\n", encoding="utf-8")
    assert main(["info", str(src)]) == 0
    out = capsys.readouterr().out
    assert "[/x]" in out and "[red]p" in out and "[bold]calls.csv" in out
    dst = folder / "[link=x]out.graphml"
    assert main(["convert", str(src), str(dst)]) == 0
    assert str(dst) in capsys.readouterr().out.replace("\n", "")
    gen = folder / "[bold]supply.csv"
    assert main(["generate", "--actors", "30", str(gen)]) == 0
    assert f"wrote {gen} " in capsys.readouterr().out


def test_command_list_keeps_each_summary_whole(capsys, monkeypatch):
    """The command list shows each command's first help paragraph as running text (rich
    kept the docstring's line breaks, cutting sentences at the source's wrapping)."""
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert ("Convert a network from any readable format to any writable one, and say what "
            "the written file holds") in out
    assert "deaths averted, supply reduction and cost per death averted" in out


def test_tables_never_cut_a_cell(monkeypatch):
    """A cell wider than its column folds onto the next line (ids and dotted parameter names
    were cut with an ellipsis at 80 columns), and output to a pipe is laid out 160 wide
    unless $COLUMNS says otherwise."""
    import io

    from rich.console import Console

    from fentanet.cli import common

    rid = "82bbb23b7646406e"
    t = common.table("runs", ["run_id", "parameter", "value"],
                     [[rid, "params.population.overdose_rate", 0.2413]])
    out = io.StringIO()
    Console(file=out, width=30).print(t)
    body = [line.split("│") for line in out.getvalue().splitlines() if "│" in line]
    columns = ["".join(cells[i].strip() for cells in body) for i in range(3)]
    assert columns[:2] == [rid, "params.population.overdose_rate"]
    assert "…" not in out.getvalue()
    monkeypatch.delenv("COLUMNS", raising=False)
    assert common._width(io.StringIO()) == common.PIPED_WIDTH == 160
    monkeypatch.setenv("COLUMNS", "100")
    assert common._width(io.StringIO()) is None


def test_convert_passes_writer_options(tmp_path, capsys):
    """``--option KEY=VALUE`` reaches the writer, typed by the writer's signature."""
    net = Network(pd.DataFrame({"id": ["a", "b", "c"]}),
                  pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"],
                                "weight": [2.0, 1.0]}))
    fentanet.write(net, tmp_path / "n.csv")
    dl = tmp_path / "n.dl"
    assert main(["convert", str(tmp_path / "n.csv"), str(dl), "-o", "layout=fullmatrix"]) == 0
    text = dl.read_text()
    assert "format=fullmatrix" in text
    assert text.splitlines()[-3:] == ["0 2 0", "0 0 1", "0 0 0"]
    edges = tmp_path / "n.edges"
    assert main(["convert", str(tmp_path / "n.csv"), str(edges),
                 "--option", "delimiter=comma", "--option", "weight=no"]) == 0
    assert edges.read_text().splitlines() == ["a,b", "b,c"]
    js = tmp_path / "n.json"
    assert main(["convert", str(tmp_path / "n.csv"), str(js), "-o", "indent=2"]) == 0
    assert js.read_text().startswith('{\n  "')
    capsys.readouterr()
    assert main(["formats", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["dl"]["write_options"] == {
        "layout": {"type": "str", "default": "edgelist1"},
        "max_actors": {"type": "int", "default": None}}
    assert rows["gexf"]["write_options"] == {} and rows["dot"]["write_options"] == {}


def test_writer_options_of_any_annotation(monkeypatch):
    """A registered writer's option typed float, Literal, Path or not at all is listed (as
    float or text) instead of ending the listing in a bare StopIteration."""

    from fentanet.cli.inputs import writer_option_values
    from fentanet.network.io import FORMATS, Format, writer_options

    def write_x(net, path, *, scale: float = 1.0, mode: Literal["a", "b"] = "a",
                where: Path | None = None, plain=3) -> None:
        """A writer with odd options."""

    monkeypatch.setitem(FORMATS, "x", Format(name="x", extensions=(".x",), writer=write_x,
                                             description="test"))
    assert writer_options("x") == {"scale": (float, 1.0), "mode": (str, "a"),
                                   "where": (str, None), "plain": (str, 3)}
    assert writer_option_values("x", ["scale=2.5", "mode=b"]) == {"scale": 2.5, "mode": "b"}

    def write_y(net, path, *, scale: Unresolved = 1.0) -> None:  # noqa: F821
        """An annotation that names nothing: taken as text."""

    monkeypatch.setitem(FORMATS, "y", Format(name="y", extensions=(".y",), writer=write_y,
                                             description="test"))
    assert writer_options("y") == {"scale": (str, 1.0)}


def test_convert_refuses_bad_writer_options_before_writing(tmp_path, capsys):
    fentanet.write(Network(pd.DataFrame({"id": ["a", "b"]}),
                           pd.DataFrame({"source": ["a"], "target": ["b"]})),
                   tmp_path / "n.csv")
    src = str(tmp_path / "n.csv")
    cases = [
        ("n.dl", "lay=x", "format 'dl' has no option 'lay'; it takes: layout (str, default "
                          "'edgelist1'), max_actors (int, default None)"),
        ("n.gexf", "x=1", "format 'gexf' has no option 'x'; it takes: no options"),
        ("n.edges", "weight=maybe", "weight='maybe': expected true or false"),
        ("n.json", "indent=two", "indent='two': expected a whole number"),
        ("n.json", "indent", "expected KEY=VALUE, got 'indent'"),
        ("n.dl", "layout=nodelist1", "unknown DL layout 'nodelist1'"),
        # a huge indent filled memory (or overflowed: a traceback) before writing
        ("n.json", "indent=20000000", "field 'indent': indent must be a whole number from 0 "
                                      "to 16 (spaces per level), got 20000000"),
        ("n.json", f"indent={10**20}", "got 100000000000000000000"),
        ("n.json", "indent=-1", "from 0 to 16"),
    ]
    for name, option, message in cases:
        assert main(["convert", src, str(tmp_path / name), "-o", option]) == 2, option
        err = capsys.readouterr().err
        assert message in " ".join(err.split()), (option, err)
        assert "Traceback" not in err
        assert not (tmp_path / name).exists(), option
    assert main(["convert", src, str(tmp_path / "n.dl"), "-o", "layout=fullmatrix",
                 "-o", "layout=edgelist1"]) == 2
    assert "option 'layout' given twice" in capsys.readouterr().err
