"""docs/series.md, the dictionary of the series and the summary, against a run: every
column the toy's series has is in its table, in the series' order, and every row of the
table is a column; each column's kind is the one the summary and ``annual()`` use; every
summary metric follows a documented rule; the column counts quoted in series.md and
outputs.md are the toy's (audit-docs-b finding 3: outputs.md gave a count and no
dictionary)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

import fentanet
from fentanet.simulate.run import Result, is_flow, is_level, prepare

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _table(text: str, heading: str) -> list[list[str]]:
    """The cells of the rows of the first table under ``heading`` (names unquoted)."""
    part = text.split(f"\n{heading}\n", 1)[1]
    rows = []
    for line in part.splitlines():
        if line.startswith("## "):
            break
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            cells[0] = cells[0].strip("`")
            rows.append(cells)
    return rows


@pytest.fixture(scope="module")
def doc() -> str:
    return (DOCS / "series.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def run() -> Result:
    sc = prepare("toy", years=0.1).override({"start_year": 2024})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fentanet.simulate(sc, seed=1, interventions=[
            {"kind": "naloxone", "intensity": 0.5}, {"kind": "lab_raids", "intensity": 1.0}])


def test_every_column_is_in_the_table_in_order_and_every_row_is_a_column(doc, run):
    rows = _table(doc, "## Series columns")
    names = []
    for name, *_ in rows:
        if name == "cost_<kind>_usd":  # one column per kind the run has, in its order
            names += ["cost_naloxone_usd", "cost_lab_raids_usd"]
        else:
            names.append(name)
    assert names == list(run.series.columns)
    assert len(rows) == len(set(r[0] for r in rows))


def test_each_columns_kind_is_the_one_the_summary_uses(doc, run):
    for name, kind, unit, phase, what in _table(doc, "## Series columns"):
        assert unit and what, name
        if kind == "key":
            assert name in ("step", "time", "year")
            continue
        column = name.replace("<kind>", "naloxone")
        assert kind == ("flow" if is_flow(column) else "level"), name
        assert is_flow(column) != is_level(column), name
        assert ("per step" in unit) == (kind == "flow"), name  # a flow is per step
        assert re.fullmatch(r"\d+(, \d+)?", phase), name


def test_every_summary_metric_follows_a_documented_rule(doc, run):
    rules = [r[0] for r in _table(doc, "## Summary metrics")]
    explicit = [r for r in rules if "<" not in r]
    assert set(explicit) <= set(run.summary)
    assert {"<flow>_total", "<level>_end"} <= set(rules)
    columns = set(run.series.columns) - {"step", "time", "year"}
    for key in run.summary:
        if key in explicit:
            continue
        stem, _, end = key.rpartition("_")
        assert stem in columns, key
        assert end == ("total" if is_flow(stem) else "end"), key


def test_the_column_counts_quoted_are_the_toys(doc):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n = len(fentanet.simulate("toy", seed=1, years=0.05).series.columns)
    outputs = (DOCS / "outputs.md").read_text(encoding="utf-8")
    for text in (doc, outputs):
        got = re.search(r"(\d+)\s+columns[^\d]*?(\d+) with a calendar year", text)
        assert got and (int(got[1]), int(got[2])) == (n, n + 1)


@pytest.mark.parametrize("case", ["strike at step 0", "no precursor bought"])
def test_every_run_has_every_column_in_the_tables_order(run, case):
    """The columns do not depend on what happened in the first step (fuzzing, session 21):
    a one-time strike at time 0 seized stock before the arrest columns were written, which
    put ``seized_stock_kg`` and ``seized_precursor_kg`` before them; a run in which no lab
    bought precursor (30 actors, one step of 0.3 years: the labs' stock covers the step) had
    no ``precursor_bought_kg``, ``precursor_resold_kg`` or ``precursor_refused_kg``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if case == "strike at step 0":
            r = fentanet.simulate("toy", seed=1, years=0.1, interventions=[
                {"kind": "lab_raids", "once": True, "target": {"rule": "degree", "count": 3}}])
            assert r.series["arrests"].iloc[0] == 3
        else:
            sc = prepare("toy").override({"network.generate": {"actors": 30}})
            r = fentanet.simulate(sc, seed=1, years=0.3, dt=0.3)
            assert r.series["precursor_bought_kg"].tolist() == [0.0]
    want = [c for c in run.series.columns if not c.startswith("cost_") and c != "year"]
    got = [c for c in r.series.columns if not c.startswith("cost_")]
    assert got == want
