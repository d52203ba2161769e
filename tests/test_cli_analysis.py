"""``fentanet analyze`` and ``fentanet resilience``: in-process through fentanet.cli.main."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from fentanet import generate, resilience, write
from fentanet.analysis.summary import analyze
from fentanet.cli import main


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def supply_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("net") / "supply.graphml"
    write(generate({"actors": 250}, seed=5), path)
    return path


def test_analyze_prints_every_part_and_writes_tables(capsys, tmp_path, supply_file):
    out = tmp_path / "tables"
    code, stdout, err = run(capsys, "analyze", supply_file, "--top", 3, "--k", 3,
                            "--steps", 5, "--budget", 4, "--time-limit", 2, "--out", out)
    assert code == 0, err
    for heading in ("Top actors", "Key players", "Communities", "Brokers", "Supply",
                    "Bottleneck", "interdiction", "Resilience"):
        assert heading in stdout
    # "Optimal" only when proven; within a 2 s limit it may be the best found (a bound)
    assert ("Optimal interdiction" in stdout) == ("proven optimal" in stdout
                                                  and "not proven optimal" not in stdout)
    names = {p.name for p in out.iterdir()}
    assert {"centrality.csv", "key_players.csv", "resilience.csv", "flow_cut.csv",
            "interdiction.csv", "report.json"} <= names
    cent = pd.read_csv(out / "centrality.csv")
    assert len(cent) == 250 and {"actor", "kind", "degree", "betweenness"} <= set(cent)
    report = json.loads((out / "report.json").read_text())
    assert report["interdiction"]["budget"] == 4.0
    kp = pd.read_csv(out / "key_players.csv")
    assert kp[kp["objective"] == "fragmentation"]["actor"].tolist() == \
        report["key_players"]["fragmentation"]["actors"]


def test_analyze_json_on_caviar(capsys, shared_data):
    path = shared_data / "networks" / "caviar" / "morselli_caviar.csv"
    code, stdout, err = run(capsys, "analyze", path, "--k", 3, "--steps", 5, "--json")
    assert code == 0, err
    data = json.loads(stdout)
    assert data["network"]["actors"] == 110
    assert data["top"]["betweenness"][0]["actor"] == "1"
    assert data["flow"] is None and data["interdiction"] is None
    assert [r["strategy"] for r in data["resilience_summary"]] == [
        "random", "degree", "betweenness", "key_players"]


def test_resilience_command_matches_the_function(capsys, tmp_path, supply_file):
    from fentanet import read

    csv = tmp_path / "curve.csv"
    code, stdout, err = run(capsys, "resilience", supply_file, "--strategy", "degree",
                            "--mode", "block", "--block", 2, "--steps", 6, "--measure", "lcc",
                            "--measure", "flow", "--replacement", "organization", "--out",
                            csv)
    assert code == 0, err
    assert "replacement by organization" in stdout and "after 6 of" in stdout
    want = resilience(read(supply_file), "degree", mode="block", block=2, steps=6,
                      measure=["lcc", "flow"], replacement="organization")
    got = pd.read_csv(csv)
    assert got["actor"].tolist()[1:] == want["actor"].tolist()[1:]
    assert got["flow"].to_numpy() == pytest.approx(want["flow"].to_numpy())
    code, stdout, _ = run(capsys, "resilience", supply_file, "--strategy", "list",
                          "--actors", "lab-0001,lab-0002", "--json")
    assert code == 0
    data = json.loads(stdout)
    assert [r["actor"] for r in data["curve"]] == [None, "lab-0001", "lab-0002"]
    assert data["settings"]["strategy"] == "list"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["resilience", "{f}", "--strategy", "closeness"], "unknown resilience strategy"),
        (["resilience", "{f}", "--mode", "later"], "unknown mode 'later'"),
        (["resilience", "{f}", "--measure", "density"], "unknown resilience measure"),
        (["resilience", "{f}", "--strategy", "list"], "--strategy list takes"),
        (["resilience", "{f}", "--kinds", "wizard"], "unknown actor kind"),
        (["analyze", "{f}", "--k", "400"], "k (the key-player set size)"),
        (["analyze", "{missing}"], "error:"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, tmp_path, supply_file, args, message):
    args = [a.format(f=supply_file, missing=tmp_path / "nope.csv") for a in args]
    code, _, err = run(capsys, *args)
    assert code == 2
    assert message in err and "Traceback" not in err


def test_flow_measure_on_a_network_without_flow(capsys, shared_data):
    path = shared_data / "networks" / "caviar" / "morselli_caviar.csv"
    code, _, err = run(capsys, "resilience", path, "--measure", "flow")
    assert code == 2 and "needs flow links" in err


def test_actors_given_twice_adds_the_ids_in_order(capsys, supply_file):
    """`--actors a --actors b` removed only b: the last value won without a word."""
    code, stdout, err = run(capsys, "resilience", supply_file, "--strategy", "list",
                            "--actors", "lab-0002", "--actors", "lab-0001,lab-0003",
                            "--json")
    assert code == 0, err
    curve = json.loads(stdout)["curve"]
    assert [r["actor"] for r in curve] == [None, "lab-0002", "lab-0001", "lab-0003"]
    code, same, _ = run(capsys, "resilience", supply_file, "--strategy", "list",
                        "--actors", "lab-0002,lab-0001,lab-0003", "--json")
    assert code == 0 and json.loads(same)["curve"] == curve


@pytest.mark.parametrize("given", [["lab-0001,lab-0002", "lab-0001"],
                                   ["lab-0001, lab-0001"]])
def test_an_actor_given_twice_is_refused_by_name(capsys, supply_file, given):
    args = [x for ids in given for x in ("--actors", ids)]
    code, stdout, err = run(capsys, "resilience", supply_file, "--strategy", "list", *args)
    assert code == 2 and stdout == "" and "Traceback" not in err
    assert err.strip() == ("error: field '--actors': actor 'lab-0001' given twice; "
                           "give each actor once")


def test_analyze_a_five_actor_network_with_the_defaults(capsys, tmp_path):
    # the default key-player sets fit (3 of 5 actors) and the top table has a row per actor,
    # not ten with five empty (review s15, F6.2)
    f = tmp_path / "t.csv"
    f.write_text("source,target\na,b\nb,c\nc,a\nd,e\n")
    code, stdout, err = run(capsys, "analyze", f)
    assert code == 0, err
    assert "remove 3: fragmentation" in stdout
    top = stdout[stdout.index("Top actors"):stdout.index("Key players")]
    numbered = [ln for ln in top.splitlines() if ln.strip()[:1].isdigit()]
    assert [ln.split()[0] for ln in numbered] == ["1", "2", "3", "4", "5"]


def test_analyze_and_info_with_a_link_without_a_phase(capsys, tmp_path):
    # an integer phase column with an empty cell: analyze crashed with a traceback (exit 1)
    f = tmp_path / "ph.csv"
    f.write_text("source,target,phase\na,b,1\nb,c,2\nc,d,\nd,a,2\n")
    code, stdout, err = run(capsys, "analyze", f, "--json")
    assert code == 0 and "Traceback" not in err, err
    data = json.loads(stdout)
    assert data["network"]["links"] == 4 and data["network"]["phases"] == [1, 2]
    assert [(r["phase"], r["actors"], r["links"]) for r in data["phases"]] == [
        (1, 2, 1), (2, 4, 2)]
    assert "1 link without a phase: counted in the whole network, in no phase" in \
        data["notes"]
    code, stdout, err = run(capsys, "info", f, "--json")
    assert code == 0, err
    info = json.loads(stdout)
    assert (info["phases"], info["links_without_phase"], info["links"]) == ([1, 2], 1, 4)
    code, stdout, err = run(capsys, "info", f)
    assert code == 0 and "2: [1, 2] (1 link in none)" in stdout


def flow_in_phases(path) -> None:
    """An untyped flow network in two phases (every analysis table, the phases' too)."""
    path.write_text("source,target,kind,capacity,phase\ns,m,flow,3,1\nm,t,flow,3,1\n"
                    "s,n,flow,1,2\nn,t,flow,1,2\ns,a,flow,,2\na,x,flow,,1\n")
    path.with_name(path.stem + ".meta.json").write_text(
        json.dumps({"name": "fp", "directed": True, "meta": {"source": "s", "sink": "t"}}))


def test_analyze_out_replaces_an_earlier_analysis_and_names_what_it_removed(capsys,
                                                                             tmp_path):
    # review s18 M3: a second analysis into the folder left the first's phase tables
    from fentanet.cli.analysis import ANALYSIS_FILES

    first, second = tmp_path / "fp.csv", tmp_path / "ring.csv"
    flow_in_phases(first)
    second.write_text("source,target\na,b\nb,c\nc,d\nd,a\n")
    out = tmp_path / "tables"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n")
    code, stdout, err = run(capsys, "analyze", first, "--k", 1, "--steps", 1, "--out", out)
    assert code == 0, err
    assert {p.name for p in out.iterdir()} == {*ANALYSIS_FILES, "notes.txt"}
    assert stdout.splitlines()[-1] == f"wrote {len(ANALYSIS_FILES)} files to {out}"
    code, stdout, err = run(capsys, "analyze", second, "--k", 1, "--steps", 1, "--out", out)
    assert code == 0, err
    gone = ["flow_cut.csv", "flow_throughput.csv", "interdiction.csv", "phase_network.csv",
            "phase_centrality.csv", "rank_movement.csv"]
    assert stdout.splitlines()[-1] == (
        f"wrote 8 files to {out}; removed 6 files of the earlier analysis there that this "
        f"one does not write: {', '.join(gone)}")
    assert {p.name for p in out.iterdir()} == {*ANALYSIS_FILES, "notes.txt"} - set(gone)
    assert (out / "notes.txt").read_text() == "mine\n"
    assert json.loads((out / "report.json").read_text())["network"]["name"] == "ring"
    # with --json the note goes to stderr, stdout stays the report
    code, stdout, err = run(capsys, "analyze", first, "--k", 1, "--steps", 1, "--out", out)
    code, stdout, err = run(capsys, "analyze", second, "--k", 1, "--steps", 1, "--json",
                            "--out", out)
    assert code == 0 and json.loads(stdout)["network"]["name"] == "ring"
    assert err == (f"wrote 8 files to {out}\nnote: removed 6 files of the earlier analysis "
                   f"there that this one does not write: {', '.join(gone)}\n")


@pytest.mark.parametrize("report", [None, '{"runs": []}\n'], ids=["none", "foreign"])
def test_analyze_out_refuses_tables_fentanet_may_not_have_written(capsys, tmp_path, report):
    net = tmp_path / "ring.csv"
    net.write_text("source,target\na,b\nb,c\nc,d\nd,a\n")
    out = tmp_path / "mine"
    out.mkdir()
    (out / "centrality.csv").write_text("my own\n")
    if report is not None:
        (out / "report.json").write_text(report)
    code, stdout, err = run(capsys, "analyze", net, "--out", out)
    assert code == 2 and stdout == "" and "Traceback" not in err
    held, why = (("centrality.csv", "no report.json") if report is None else
                 ("centrality.csv, report.json",
                  "its report.json is not a fentanet analysis's"))
    assert err == (f"error: {out}: holds {held}, names analyze --out writes, but {why}, so "
                   "they may not be fentanet's: --out would replace them or leave them beside "
                   "this analysis's tables; choose an empty or new folder, or move them\n")
    assert (out / "centrality.csv").read_text() == "my own\n"
    assert {p.name for p in out.iterdir()} == {"centrality.csv"} | (
        set() if report is None else {"report.json"})


def test_resilience_says_when_the_printed_curve_leaves_rows_out(capsys, tmp_path):
    # a chain of 40 actors, betweenness removes 30: 31 rows, of which the table prints 25
    # evenly spaced (rows 3, 7, 13, 17, 23 and 27 were left out without a word, where
    # --help and the docs promise one row per removal)
    path = tmp_path / "chain.csv"
    path.write_text("source,target\n" + "".join(f"a{i},a{i + 1}\n" for i in range(39)))
    code, stdout, err = run(capsys, "resilience", path, "--steps", 30)
    assert code == 0, err
    assert ("25 of the 31 rows shown (evenly spaced, and the last); --out or --json "
            "gives every row") in stdout
    code, stdout, err = run(capsys, "resilience", path, "--steps", 24)
    assert code == 0, err
    assert "rows shown" not in stdout


def test_analyze_help_gives_the_default_k(capsys):
    # '[default: 5, ...]' in the help was read as rich markup and printed as nothing
    code, stdout, _ = run(capsys, "analyze", "--help")
    assert code == 0
    text = " ".join(stdout.replace("│", " ").split())
    assert "Size of the key-player sets (default: 5, at most the actors less two)." in text


def test_analyze_and_resilience_show_progress_on_a_terminal(capsys, monkeypatch, shared_data):
    """Review s20 (cli): analyze printed nothing until its tables (a minute at 10^4 actors,
    on a terminal as in a pipe), nor did resilience; each now shows a status line on
    stderr, naming the part of the analysis under way."""
    import io

    from rich.console import Console

    import fentanet.cli.analysis as cli_analysis

    screen = io.StringIO()
    monkeypatch.setattr(cli_analysis, "err_console",
                        Console(file=screen, force_terminal=True, width=200))
    parts = []
    real = cli_analysis.analyze_network

    def spy(*args, progress, **kwargs):
        return real(*args, progress=lambda part: (parts.append(part), progress(part)),
                    **kwargs)

    monkeypatch.setattr(cli_analysis, "analyze_network", spy)
    path = shared_data / "networks" / "caviar" / "morselli_caviar.csv"
    code, stdout, err = run(capsys, "analyze", path, "--steps", 3, "--json")
    assert code == 0, err
    assert parts == ["centralities", "key players", "communities and brokers", "resilience"]
    # the last part is drawn when the status stops (earlier ones as the screen refreshes)
    assert "analysing morselli_caviar (110 actors): resilience" in screen.getvalue()
    json.loads(stdout)   # stdout stays one JSON document
    code, stdout, err = run(capsys, "resilience", path, "--steps", 3, "--strategy", "degree")
    assert code == 0, err
    assert "removing actors from morselli_caviar (110 actors): degree, sequential" in \
        screen.getvalue()


def test_analyze_reports_its_parts_in_order_on_a_supply_network():
    net = generate({"actors": 120}, seed=3)
    parts: list[str] = []
    analyze(net, k=2, steps=2, time_limit=1, progress=parts.append)
    assert parts == ["centralities", "flow betweenness", "key players",
                     "communities and brokers", "maximum flow", "interdiction", "resilience"]


def test_json_with_out_says_on_stderr_where_the_files_went(capsys, tmp_path, shared_data):
    """Review s20 (cli): with --json, analyze --out and resilience --out wrote their files
    without a word (simulate, compare and sweep say where, on stderr)."""
    path = shared_data / "networks" / "cielnet" / "morselli_cielnet.csv"
    code, stdout, err = run(capsys, "analyze", path, "--k", 2, "--steps", 2, "--json",
                            "--out", tmp_path / "t")
    assert code == 0 and json.loads(stdout)["network"]["actors"] == 25
    assert err == f"wrote 8 files to {tmp_path / 't'}\n"
    code, stdout, err = run(capsys, "resilience", path, "--steps", 2, "--json", "--out",
                            tmp_path / "c.csv")
    assert code == 0 and len(json.loads(stdout)["curve"]) == 3
    assert err == f"wrote {tmp_path / 'c.csv'}\n"
