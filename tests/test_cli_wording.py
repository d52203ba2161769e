"""Review s20 (cli): messages and help that read as Python (``expected None or``, a tuple's
repr), counts in the plural for one, help without its default, and an empty run id that
matched every run."""

from __future__ import annotations

import re

import pytest

from ensemble_standin import StandInScenario, simulate
from fentanet import write
from fentanet.cli import main
from fentanet.ensemble import ensemble
from fentanet.network import Network


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def one_run(tmp_path):
    ensemble(StandInScenario(), 1, scheduler="serial", store=tmp_path / "runs",
             progress=False, model=simulate)
    return tmp_path / "runs"


@pytest.mark.parametrize("command", [["show"], ["rerun"], ["export"], ["delete", "--yes"]])
def test_an_empty_run_id_is_refused_not_taken_as_a_prefix_of_every_run(capsys, one_run,
                                                                       command):
    # `fentanet runs delete "$ID" --yes` with ID unset deleted a store's only run
    code, out, err = run(capsys, "runs", command[0], "", *command[1:], "--store", one_run)
    assert (code, out) == (2, "")
    assert err == "error: an empty run id; expected a run id or a unique prefix of one\n"
    code, out, err = run(capsys, "runs", "list", "--store", one_run)
    assert code == 0 and out.split()[:3] == ["1", "run", "in"]   # kept; "1 runs" before
    # (a long store path may fold the title onto the next line of a piped table)


def test_counts_of_one_are_singular(capsys, tmp_path, one_run):
    import pandas as pd

    path = tmp_path / "pair.csv"
    write(Network(links=pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"]}),
                  directed=False), path)
    code, out, err = run(capsys, "info", path)
    assert code == 0, err
    assert out.splitlines()[0] == "pair  3 actors, 2 links, undirected"
    code, out, _ = run(capsys, "runs", "check", "--store", one_run, "--no-verify")
    assert out == f"1 run in {one_run}: ok\n"   # one line, however long the path


def test_analyze_names_one_component_in_the_singular(capsys, shared_data):
    path = shared_data / "networks" / "cielnet" / "morselli_cielnet.csv"
    code, out, err = run(capsys, "analyze", path, "--steps", 2, "--k", 2)
    assert code == 0, err
    assert out.splitlines()[0] == ("morselli_cielnet  25 actors, 45 links, directed, "
                                   "1 component, largest 25")


@pytest.mark.parametrize(("args", "expected"), [
    (["resilience", "{net}", "--replacement", "guild"],
     "error: field 'replacement': unknown replacement 'guild'; expected organization, or "
     "none (no replacement: the default)\n"),
    (["runs", "list", "--status", "finished", "--store", "{store}"],
     "error: field 'status': expected done or failed, got 'finished'\n"),
    (["calibrate", "toy", "--target", "{target}", "--model", "mean"],
     "error: field '--model': expected one of full, population, got 'mean'\n"),
])
def test_choices_are_named_as_the_user_types_them(capsys, tmp_path, one_run, shared_data,
                                                 args, expected):
    import pandas as pd

    net = tmp_path / "pair.csv"
    write(Network(links=pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"]}),
                  directed=False), net)
    target = shared_data / "public" / "us_synthetic_opioid_deaths.csv"
    args = [a.format(net=net, store=one_run, target=target) for a in args]
    code, out, err = run(capsys, *args)
    assert (code, out, err) == (2, "", expected)


@pytest.mark.parametrize(("command", "option", "default"), [
    (["info"], "--duplicates", "default: last in plain edge lists, keep in the others"),
    (["convert"], "--to", "default: from the output file's extension"),
    (["generate"], "--to", "default: from the output file's extension"),
    (["sweep"], "--years", "default: the scenario's"),
    (["resilience"], "--replacement", "default: none, the links go with the actor"),
    (["resilience"], "--kinds", "default: every kind"),
])
def test_help_states_the_default(capsys, monkeypatch, command, option, default):
    monkeypatch.setenv("COLUMNS", "400")
    assert main([*command, "--help"]) == 0
    text = re.sub(r"\s+", " ", capsys.readouterr().out.replace("│", " "))
    line = text[text.index(f" {option} "):]
    assert default in line[:400]
