"""The CLI commands `generate` and `demo`: in-process through `fentanet.cli.main` and once
each in a real process; user errors exit 2 with one `error:` line and no traceback."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fentanet
from fentanet.cli import main
from fentanet.store import RunStore


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("name", ["net.csv", "net.graphml"])
def test_generate_writes_a_network_that_reads_back(tmp_path, capsys, name):
    out = tmp_path / name
    code, stdout, err = run(capsys, "generate", "--actors", 300, "--seed", 4, out)
    assert code == 0, err
    beside = {"net.csv": ", and beside it net.actors.csv and net.meta.json",
              "net.graphml": ""}[name]
    assert stdout == f"wrote {out} (300 actors, 1179 links, seed 4){beside}\n"
    back = fentanet.read(out)
    net = fentanet.generate({"actors": 300}, seed=4)
    assert (back.n_actors, back.n_links) == (300, 1179)
    assert dict(back.actor_kinds) == dict(net.actor_kinds)
    assert back.differences(net) == []


def test_generate_to_a_matrix_keeps_pairs_and_weights(tmp_path, capsys):
    out = tmp_path / "net.csv"
    code, _, err = run(capsys, "generate", "--actors", 200, "--seed", 4, "--to", "matrix", out)
    assert code == 0, err
    back = fentanet.read(out, format="matrix")
    net = fentanet.generate({"actors": 200}, seed=4)
    order = back.index_of(net.ids)
    expected = net.adjacency(weight="weight").toarray()
    got = back.adjacency(weight="weight").toarray()[np.ix_(order, order)]
    assert np.array_equal(got, expected)


def test_generate_is_deterministic_and_reports_json(tmp_path, capsys):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert run(capsys, "generate", "-n", 200, "--seed", 9, a)[0] == 0
    code, stdout, _ = run(capsys, "generate", "-n", 200, "--seed", 9, "--json", b)
    assert code == 0
    assert a.read_bytes() == b.read_bytes()
    assert (tmp_path / "a.actors.csv").read_bytes() == (tmp_path / "b.actors.csv").read_bytes()
    summary = json.loads(stdout)
    assert summary["path"] == str(b) and summary["seed"] == 9
    assert summary["actors"] == 200
    assert summary["actor_kinds"]["dealer"] == 144


def test_generate_from_a_spec_file(tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text("actors: 400\nregions: 2\ncounts:\n  market: 8\n")
    out = tmp_path / "net.csv"
    code, stdout, err = run(capsys, "generate", "--spec", spec, "--json", out)
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["actors"] == 400 and summary["actor_kinds"]["market"] == 8
    # --actors overrides the file's; a JSON spec works too
    js = tmp_path / "spec.json"
    js.write_text(json.dumps({"actors": 999, "counts": {"market": 8}}))
    code, stdout, _ = run(capsys, "generate", "--spec", js, "--actors", 250, "--json", out)
    assert code == 0
    assert json.loads(stdout)["actors"] == 250


@pytest.mark.parametrize(("args", "spec_text", "message"), [
    (["--actors", "-5"], None, "error: field 'actors': Input should be greater than or "
                               "equal to 20, got -5"),
    ([], None, "error: field 'actors': how many actors? pass --actors N"),
    (["--actors", "abc"], None, "error: Invalid value for '--actors'"),
    (["--actors", "100", "--seed", "-1"], None,
     "error: field 'seed': expected a non-negative integer, got -1"),
    (["--actors", "100", "--colour", "red"], None, "error: No such option: --colour"),
    (["--spec", "{spec}"], "actors: 300\nmix: {wizard: 1}\n",
     "error: {spec}: field 'mix.wizard': Input should be 'supplier'"),
    (["--spec", "{spec}"], "actors: 300\nmix: {dealer: [1\n",
     "error: {spec}:3: not valid YAML"),
    (["--spec", "{spec}"], "- 300\n", "error: {spec}: expected a mapping of spec fields"),
    (["--spec", "{spec}"], "actors: 300\nlanes: 2\n",
     "error: {spec}: field 'lanes': unknown spec field"),
    (["--spec", "{missing}"], None, "error: {missing}: no such spec file"),
    # review s18 L4: these three named no file
    (["--spec", "{spec}"], "actors: 100\nroute_modes: {land: 0}\n",
     "error: {spec}: field 'route_modes': shares sum to 0; expected a positive share for one "
     "of land, postal, sea, air, online"),
    (["--spec", "{spec}"], "actors: 100\nchannels: {street: 0}\n",
     "error: {spec}: field 'channels': shares sum to 0"),
    (["--spec", "{spec}", "--actors", "100"], "actors: 20000\nregions: 1000\n",
     "error: {spec}: field 'regions': 1000 regions but only 2 markets"),
])
def test_generate_user_errors(tmp_path, capsys, args, spec_text, message):
    spec = tmp_path / "spec.yaml"
    missing = tmp_path / "nope.yaml"
    if spec_text is not None:
        spec.write_text(spec_text)
    args = [a.format(spec=spec, missing=missing) for a in args]
    code, out, err = run(capsys, "generate", *args, tmp_path / "out.csv")
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert message.format(spec=spec, missing=missing) in err
    assert "Traceback" not in err + out
    assert not (tmp_path / "out.csv").exists()


def test_generate_output_errors(tmp_path, capsys):
    code, _, err = run(capsys, "generate", "-n", 50, tmp_path / "no" / "net.csv")
    assert code == 2 and err == f"error: {tmp_path / 'no'}: the folder does not exist\n"
    code, _, err = run(capsys, "generate", "-n", 50, tmp_path / "net.unknownext")
    assert code == 2 and err.startswith(f"error: {tmp_path / 'net.unknownext'}: cannot tell "
                                        "the output format")


def test_demo_runs_and_writes_its_report(tmp_path, capsys, shared_data):
    out = tmp_path / "report"
    code, stdout, err = run(capsys, "demo", "--out", out, "--actors", 500, "--seed", 2)
    assert code == 0, err
    report = json.loads((out / "summary.json").read_text())
    assert report["sections"][:2] == ["Research networks", "A generated supply network"]
    research = report["research_networks"]
    assert research["available"] is True
    assert research["summaries"]["caviar"]["actors"] == 110
    assert research["summaries"]["caviar"]["links"] == 295
    gen = report["generated_network"]
    assert gen["summary"]["actors"] == 500 and gen["seed"] == 2
    assert gen["capacity_by_kind"]["lab"] == pytest.approx(1.5 * gen["demand_kg_per_year"])
    assert "# fentanet demo" in (out / "summary.md").read_text()
    assert f"report: {out / 'summary.json'}" in stdout
    assert "caviar" in stdout and "supply-500-seed2" in stdout
    reports = report["reports"]  # the HTML reports of the analyses and the comparison
    assert set(reports) == {"analysis_caviar", "analysis_supply", "strategies"}
    for path in reports.values():
        assert Path(path).parent == out / "reports" and Path(path).stat().st_size > 1e6
        assert path in stdout.replace("\n", "")
    assert "## HTML reports" in (out / "summary.md").read_text()
    # the strategies: a small ensemble on common seeds, kept in a store in the folder
    strategies = report["strategies"]
    assert strategies["seeds"] == [2, 3, 4] and strategies["actors"] == 500
    runs = RunStore(out / "runs").runs(ensemble=strategies["ensemble"])
    assert len(runs) == 9 and set(runs.status) == {"done"}
    assert sorted(set(runs.variant)) == ["baseline", "public-health-early",
                                         "supply-side-early"]
    averted = [r for r in strategies["compare"] if r["outcome"] == "deaths averted"]
    assert {r["variant"] for r in averted} == {"public-health-early", "supply-side-early"}
    # the demo's strategies are us-baseline's moved to 0.25 years, and named so (review
    # s18: they ran under the scenario's names, whose strategies start at 1 year)
    from fentanet.scenarios import load

    own = load("us-baseline").strategies
    for name, of in (("supply-side-early", "supply-side"),
                     ("public-health-early", "public-health")):
        ran = runs[runs.variant == name].setup.iloc[0]["interventions"]
        assert ran == [{**iv.model_dump(mode="json", exclude_defaults=True), "start": 0.25}
                       for iv in own[of]]
        assert strategies["strategies"][name]["of"] == of
    assert {iv.start for ivs in own.values() for iv in ivs} == {1.0}
    assert all(r["seeds"] == 3 and r["ci_low"] <= r["mean"] <= r["ci_high"] for r in averted)
    assert (out / "simulation" / "bands.parquet").exists()
    html = Path(reports["strategies"]).read_text()
    assert "3 seeds (2–4)" in html
    # the report says what each strategy runs, outside the figures' data too
    prose = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    for word in ("supply-side-early", "trafficker_enforcement", "top 500 by degree",
                 "prevention_treatment", ">0.25<", "What each strategy runs"):
        assert word in prose, word
    # summary.md carries summary.json's results as tables, not only the networks and paths
    md = (out / "summary.md").read_text()
    caviar = md_tables(md, "## Analysis of CAVIAR")
    frag = report["analysis_caviar"]["key_players"]["fragmentation"]
    assert caviar["set"]["remove 5: most fragmentation"] == {
        "actors": ", ".join(frag["actors"]), "score": f"F = {frag['score']:.3f}",
        "proven optimal": "yes" if frag["exact"] else "no (search)"}
    top = report["analysis_caviar"]["top"]
    assert caviar["rank"]["1"]["betweenness"].startswith(top["betweenness"][0]["actor"] + " (")
    halve = {r["strategy"]: r["removals_to_half"]
             for r in report["analysis_caviar"]["resilience_summary"]}
    assert {k: v["removals to halve it"] for k, v in caviar["strategy"].items()} == {
        k: "never" if v is None else f"{v:g}" for k, v in halve.items()}
    supply = md_tables(md, "## Analysis of the generated supply network")
    inter = report["analysis_supply"]["interdiction"]
    row = supply["budget"][f"{inter['budget']:g}"]
    assert row["removed"] == ", ".join(inter["removed"])
    assert number(row["flow after"]) == pytest.approx(inter["flow_after"], rel=5e-3)
    assert row["proven optimal"].startswith("yes" if inter["optimal"] else "no: ")
    said = re.search(r"to the markets: ([\d,.]+) kg fentanyl-equivalent per year", md)
    assert number(said[1]) == pytest.approx(report["analysis_supply"]["flow"]["value"],
                                            rel=5e-3)
    sims = md_tables(md, "## Strategies on the US baseline")
    deaths = {r["variant"]: r["q50"] for r in strategies["summary"]
              if r["metric"] == "deaths_total"}
    assert {v: intervals(t["deaths (all causes)"])[0] for v, t in sims["strategy"].items()} \
        == pytest.approx(deaths)
    overdoses = {r["variant"]: r["q50"] for r in strategies["summary"]
                 if r["metric"] == "overdose_deaths_total"}
    assert {v: intervals(t["overdose deaths"])[0] for v, t in sims["strategy"].items()} \
        == pytest.approx(overdoses)
    shown = sims["strategy "]  # the second table of strategies: against the baseline
    averted = {r["variant"]: r for r in strategies["compare"]
               if r["outcome"] == "deaths averted"}
    assert set(shown) == set(averted) == {"supply-side-early", "public-health-early"}
    defined = sims["demo strategy"]
    assert defined["supply-side-early"] == {
        "the scenario's": "supply-side", "from (years)": "0.25",
        "interventions (intensity)": "lab_raids 1, border_security 1, "
                                     "trafficker_enforcement 2 (top 500 by degree)"}
    assert defined["public-health-early"]["interventions (intensity)"] == \
        "naloxone 0.5, prevention_treatment 0.5"
    for variant, r in averted.items():
        assert intervals(shown[variant]["deaths averted"]) == pytest.approx(
            (r["mean"], r["ci_low"], r["ci_high"]), rel=5e-3, abs=0.05)
        cost = shown[variant]["cost per death averted (USD)"]
        assert cost == ("n/a (deaths added)" if r["mean"] < 0 else
                        "n/a (no deaths averted)" if r["mean"] == 0 else cost)
        if r["mean"] > 0:
            cpd = next(c for c in strategies["compare"] if c["variant"] == variant
                       and c["outcome"] == "cost per death averted")
            assert intervals(cost) == pytest.approx((cpd["mean"], cpd["ci_low"],
                                                     cpd["ci_high"]), rel=5e-3)
    rows = {(r["variant"], r["outcome"]): r for r in strategies["compare"]}
    for variant in averted:  # said why where a supply cut surely adds overdose deaths
        said = f"- {variant} cuts the supply reaching markets yet adds overdose deaths" in md
        added = rows[variant, "overdose deaths averted"]
        assert said == (rows[variant, "supply reduction"]["mean"] > 0 and added["mean"] < 0
                        and (added["ci_high"] is None or added["ci_high"] < 0))


def number(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


def intervals(cell: str) -> tuple[float, ...]:
    """``mean (low to high)`` or ``mean`` as numbers."""
    mean, _, rest = cell.partition(" (")
    return (number(mean), *(number(x) for x in rest.rstrip(")").split(" to ") if rest))


def md_tables(md: str, heading: str) -> dict[str, dict[str, dict[str, str]]]:
    """The Markdown tables under ``heading`` (to the next ``## ``), each by its first
    header (a space added for each earlier table of that header): its rows by their first
    cell, each row's cells by header."""
    part = md.split(heading + "\n", 1)[1].split("\n## ", 1)[0]
    tables: dict[str, dict[str, dict[str, str]]] = {}
    lines = part.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("|") and i + 1 < len(lines) and lines[i + 1].startswith("|--"):
            header = [c.strip() for c in line.strip("|").split(" | ")]
            rows = {}
            for body in lines[i + 2:]:
                if not body.startswith("|"):
                    break
                cells = [c.strip() for c in body.strip("|").split(" | ")]
                rows[cells[0]] = dict(zip(header[1:], cells[1:], strict=True))
            key = header[0]
            while key in tables:
                key += " "
            tables[key] = rows
    return tables


def test_demo_digest_of_one_seed_and_no_deaths_averted():
    """summary.md's strategies with one seed (no interval), a strategy that adds deaths
    and one that averts none (no cost per death averted), by hand."""
    from fentanet.cli.demo import _strategies_md

    def out(variant, outcome, mean):
        return {"variant": variant, "outcome": outcome, "mean": mean, "ci_low": None,
                "ci_high": None, "seeds": 1}

    def total(variant, deaths):
        return {"variant": variant, "metric": "deaths_total", "q50": deaths, "q05": deaths,
                "q95": deaths, "runs": 1}

    md = "\n".join(["## Strategies on the US baseline", *_strategies_md({
        "scenario": "us-baseline", "actors": 500, "years": 1.0, "seeds": [7],
        "ensemble": "e1", "store": "runs",
        "summary": [total("baseline", 558.0), total("raids", 561.0),
                    total("naloxone", 545.5)],
        "compare": [out("raids", "deaths averted", -3.0),
                    out("raids", "cost per death averted", None),
                    out("naloxone", "deaths averted", 12.5),
                    out("naloxone", "cost per death averted", 2000.0),
                    out("none", "deaths averted", 0.0),
                    out("none", "cost per death averted", None)]})])
    assert "1 seed(s) (7-7)" in md and "(one seed: no interval)" in md
    tables = md_tables(md, "## Strategies on the US baseline")
    assert tables["strategy"] == {"baseline": {"deaths (all causes)": "558"},
                                  "raids": {"deaths (all causes)": "561"},
                                  "naloxone": {"deaths (all causes)": "546"}}
    assert tables["strategy "] == {
        "raids": {"deaths averted": "-3",
                  "cost per death averted (USD)": "n/a (deaths added)"},
        "naloxone": {"deaths averted": "12.5", "cost per death averted (USD)": "2,000"},
        "none": {"deaths averted": "0",
                 "cost per death averted (USD)": "n/a (no deaths averted)"}}


def test_demo_summary_json_gives_open_ends_as_compare_json_does():
    """summary.json's comparison writes an interval's open end as "inf" (it wrote null,
    where compare --json and the web app write "inf"; review s18, web L5), and the digest
    shows it as an open end, not as the mean alone."""
    from fentanet.cli.demo import _interval, _volatility_notes
    from fentanet.simulate.output import json_records

    frame = pd.DataFrame({"variant": ["x"], "outcome": ["cost per death averted"],
                          "mean": [np.nan], "ci_low": [1500.0], "ci_high": [np.inf]})
    assert json_records(frame) == [{"variant": "x", "outcome": "cost per death averted",
                                    "mean": None, "ci_low": 1500.0, "ci_high": "inf"}]
    assert _interval(2000.0, 1500.0, "inf") == "2,000 (1,500 to ∞)"
    assert _interval(-3.0, "-inf", 2.0) == "-3 (-∞ to 2)"
    cut = {"supply reduction": {"mean": 40.0},
           "overdose deaths averted": {"mean": -3.0, "ci_high": "inf"}}
    assert _volatility_notes({"raids": cut}) == []


def test_the_digest_says_why_a_supply_cut_adds_overdose_deaths():
    """One line per strategy whose mean supply reduction is above 0 and whose overdose
    deaths averted are below 0 (their interval's upper end too, where there is one),
    naming it and the model's two ways; none otherwise."""
    from fentanet.cli.demo import _volatility_notes

    def c(cut, averted, high=None):
        return {"supply reduction": {"mean": cut},
                "overdose deaths averted": {"mean": averted, "ci_high": high}}

    notes = _volatility_notes({"raids": c(40.0, -3.0, -1.0), "naloxone": c(0.0, 12.0),
                               "both": c(40.0, 9.0), "flat": c(-1.0, -2.0),
                               "unsure": c(40.0, -3.0, 2.0), "one seed": c(40.0, -3.0),
                               "partial": {"supply reduction": {"mean": 5.0}}})
    assert len(notes) == 3 and notes[-1] == ""
    assert notes[0].startswith("- raids cuts the supply reaching markets yet adds overdose "
                               "deaths: in the model its disruptions raise potency volatility")
    assert notes[1].startswith("- one seed cuts")
    assert "`params.population.volatility_effect`" in notes[0] and "Ray et al." in notes[0]
    assert "`release_overdose_multiplier`" in notes[0]
    assert _volatility_notes({"naloxone": c(0.0, 12.0)}) == []


def test_demo_without_the_shared_data(tmp_path, capsys, monkeypatch):
    from fentanet import datasets

    monkeypatch.setattr(datasets, "data_dir", lambda: None)
    out = tmp_path / "report"
    code, stdout, err = run(capsys, "demo", "--out", out, "--actors", 300)
    assert code == 0, err
    assert "the shared data folder (../shared/data) is not on this machine" in stdout
    assert stdout.count("shared data folder") == 1
    report = json.loads((out / "summary.json").read_text())
    assert report["research_networks"] == {"available": False}
    assert report["generated_network"]["summary"]["actors"] == 300
    assert set(report["reports"]) == {"analysis_supply", "strategies"}  # no CAVIAR here


def test_demo_out_must_be_a_folder(tmp_path, capsys):
    clash = tmp_path / "file"
    clash.write_text("x")
    code, _, err = run(capsys, "demo", "--out", clash, "--actors", 100)
    assert code == 2 and err == f"error: {clash}: exists and is not a folder; expected a " \
                                "folder for --out\n"


def test_console_entry_point_in_a_real_process(tmp_path):
    out = tmp_path / "net.csv"
    done = subprocess.run([sys.executable, "-m", "fentanet", "generate", "--actors", "100",
                           str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert out.exists()
    done = subprocess.run([sys.executable, "-m", "fentanet", "generate", "--actors", "5",
                           str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr == ("error: field 'actors': Input should be greater than or equal "
                           "to 20, got 5\n")
    done = subprocess.run([sys.executable, "-m", "fentanet", "demo", "--out",
                           str(tmp_path / "r"), "--actors", "200"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "r" / "summary.json").exists()


def test_convert_and_generate_name_every_file_they_write(tmp_path, capsys, shared_data):
    """Review s20 (cli): a link list is three files; convert and generate named only the
    first ("wrote k.csv"), and their --json gave one path, while k.actors.csv and
    k.meta.json were written (or replaced) beside it."""
    caviar = shared_data / "networks" / "caviar" / "morselli_caviar.csv"
    out = tmp_path / "k.csv"
    code, stdout, err = run(capsys, "convert", caviar, out)
    assert code == 0, err
    assert stdout.splitlines()[0] == (f"wrote {out} (110 actors, 295 links), and beside it "
                                      "k.actors.csv and k.meta.json")
    code, stdout, err = run(capsys, "convert", caviar, tmp_path / "s.csv", "-o",
                            "sidecar=false", "--json")
    assert code == 0, err
    assert json.loads(stdout)["files"] == [str(tmp_path / "s.csv"),
                                           str(tmp_path / "s.actors.csv")]
    assert sorted(p.name for p in tmp_path.glob("s.*")) == ["s.actors.csv", "s.csv"]
    code, stdout, err = run(capsys, "generate", "--actors", 30, tmp_path / "g.csv", "--json")
    assert code == 0, err
    assert json.loads(stdout)["files"] == [str(tmp_path / f"g{e}") for e in (
        ".csv", ".actors.csv", ".meta.json")]
    code, stdout, err = run(capsys, "convert", caviar, tmp_path / "c.graphml", "--json")
    assert json.loads(stdout)["files"] == [str(tmp_path / "c.graphml")]
