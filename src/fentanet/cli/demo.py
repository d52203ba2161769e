"""``fentanet demo``: the showcase, a fixed sequence of sections on real and generated data.

Each section is a function of the :class:`Demo` state, registered with :func:`section` and
an ``order``; it prints what it shows and records it in ``demo.report[key]``, which ends
up in the report folder. Later parts of fentanet (analysis, simulation, reports) add their
sections the same way, in this module or in their own CLI module::

    @section("Key players", order=30)
    def key_players(demo: Demo) -> None:
        ...

Sections read the networks earlier sections loaded from ``demo.networks``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from fentanet import __version__, datasets
from fentanet.cli import app
from fentanet.cli.common import _default, check_output_folder, console, table
from fentanet.cli.network import print_summary
from fentanet.errors import FentanetError
from fentanet.network import Network, generate
from fentanet.network.io import atomic_path


@dataclass
class Demo:
    """What the sections share: settings, the networks loaded so far, the report."""

    out: Path
    actors: int = 10_000
    seed: int = 1
    networks: dict[str, Network] = field(default_factory=dict)
    """Networks by name: the research networks, then ``generated``."""
    report: dict[str, Any] = field(default_factory=dict)
    """Section results for the report file, by section key (JSON-serialisable)."""
    results: dict[str, Any] = field(default_factory=dict)
    """Objects later sections reuse (analyses, runs), by section key; not written out."""


@dataclass(frozen=True)
class Section:
    title: str
    order: int
    run: Callable[[Demo], None]


SECTIONS: list[Section] = []
"""The demo's sections; run in ``order``."""


def section(title: str, *, order: int) -> Callable[[Callable[[Demo], None]], Callable]:
    """Register a demo section (a function of :class:`Demo`) under a title."""
    def register(fn: Callable[[Demo], None]) -> Callable[[Demo], None]:
        SECTIONS.append(Section(title, order, fn))
        return fn
    return register


# ------------------------------------------------------------------------------ sections
@section("Research networks", order=10)
def research_networks(demo: Demo) -> None:
    """The published criminal networks of the shared data folder, one line each."""
    root = datasets.data_dir()
    if root is None:
        console.print("the shared data folder (../shared/data) is not on this machine; set "
                      "FENTANET_DATA to use it. Continuing with generated networks only.",
                      soft_wrap=True)
        demo.report["research_networks"] = {"available": False}
        return
    rows, loaded, failed = [], {}, {}
    for name in datasets.DATASETS:
        try:
            net = datasets.load(name)
        except FentanetError as exc:
            failed[name] = str(exc)
            continue
        demo.networks[name] = net
        s = net.summary()
        loaded[name] = s
        rows.append([name, s["actors"], s["links"], "yes" if s["directed"] else "no",
                     s["components"], f"{s['density']:.3f}", f"{s['degree']['mean']:.1f}",
                     len(s["phases"]) or ""])
    console.print(table(f"Research networks in {root}",
                        ["network", "actors", "links", "dir.", "comp.", "density", "degree",
                         "phases"], rows))
    for name, why in failed.items():
        console.print(f"[yellow]not loaded[/yellow] {escape(name)}: {escape(str(why))}",
                      soft_wrap=True)
    if "caviar_phases" in demo.networks:
        console.print()
        print_summary(loaded["caviar_phases"])
    demo.report["research_networks"] = {"available": True, "folder": str(root),
                                        "summaries": loaded, "not_loaded": failed}


@section("A generated supply network", order=20)
def generated_network(demo: Demo) -> None:
    """A synthetic supply network of ``demo.actors`` actors, with its summary."""
    start = time.perf_counter()
    net = generate({"actors": demo.actors}, seed=demo.seed)
    seconds = time.perf_counter() - start
    demo.networks["generated"] = net
    summary = net.summary()
    console.print(f"generated {net.n_actors:,} actors and {net.n_links:,} links "
                  f"(seed {demo.seed}) in {seconds:.2f} s", markup=False)
    print_summary(summary)
    a = net.actors
    markets = a[a["kind"] == "market"]
    chain = a[a["capacity"].notna()].groupby("kind")["capacity"].sum()
    console.print(table(
        "Capacity by stage", ["stage", "kg/year"],
        [[k, float(chain[k])] for k in ("supplier", "lab", "route", "trafficker", "dealer",
                                        "marketplace") if k in chain]
        + [["market demand", float(markets["demand"].sum())]]))
    console.print(f"{len(net.meta['regions'])} destination regions, "
                  f"{int(markets['population'].sum()):,} people who use illicit opioids in "
                  f"{len(markets)} markets", markup=False)
    demo.report["generated_network"] = {
        "spec": net.meta["spec"], "seed": demo.seed, "seconds": round(seconds, 3),
        "summary": summary,
        "capacity_by_kind": {k: float(v) for k, v in chain.items()},
        "demand_kg_per_year": float(markets["demand"].sum()),
        "population": float(markets["population"].sum()),
    }


# ------------------------------------------------------------------------------ running
def run_demo(demo: Demo) -> Path:
    """Run every section in order and write the report; returns the report file."""
    for sec in sorted(SECTIONS, key=lambda s: s.order):
        console.rule(f"[bold]{sec.title}")
        sec.run(demo)
    return write_report(demo)


def write_report(demo: Demo) -> Path:
    """Write ``summary.json`` (all section results) and ``summary.md`` (their headline
    results as Markdown tables) into the report folder, each atomically; returns the JSON
    file."""
    demo.out.mkdir(parents=True, exist_ok=True)
    payload = {"fentanet": __version__, "sections": [s.title for s in sorted(
        SECTIONS, key=lambda s: s.order)], **demo.report}
    path = demo.out / "summary.json"
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, default=_default, indent=2) + "\n")
    with atomic_path(demo.out / "summary.md") as tmp:
        tmp.write_text(_digest(demo))
    return path


def _digest(demo: Demo) -> str:
    lines = ["# fentanet demo", "", f"fentanet {__version__}.", ""]
    research = demo.report.get("research_networks", {})
    if research.get("available"):
        lines += ["## Research networks", "", "| network | actors | links | directed |",
                  "|---|---:|---:|---|"]
        for name, s in research["summaries"].items():
            lines.append(f"| {name} | {s['actors']:,} | {s['links']:,} | "
                         f"{'yes' if s['directed'] else 'no'} |")
        for name, why in research.get("not_loaded", {}).items():
            lines.append(f"\nNot loaded: {name}: {why}")
        lines.append("")
    else:
        lines += ["The shared research data was not available: generated networks only.", ""]
    gen = demo.report.get("generated_network")
    if gen:
        s = gen["summary"]
        lines += ["## Generated supply network", "",
                  f"{s['actors']:,} actors, {s['links']:,} links (seed {gen['seed']}), built "
                  f"in {gen['seconds']} s. Market demand {gen['demand_kg_per_year']:,.1f} kg "
                  f"fentanyl-equivalent per year; {gen['population']:,.0f} people who use "
                  "illicit opioids.", "", "| kind | actors |", "|---|---:|"]
        lines += [f"| {k} | {v:,} |" for k, v in s["actor_kinds"].items()]
        lines.append("")
    for key, title in (("analysis_caviar", "Analysis of CAVIAR"),
                       ("analysis_supply", "Analysis of the generated supply network")):
        found = demo.report.get(key)
        if found and found.get("available", True):
            lines += _analysis_md(title, found)
    if demo.report.get("strategies"):
        lines += _strategies_md(demo.report["strategies"])
    reports = demo.report.get("reports")
    if reports:
        lines += ["## HTML reports", "", "Each opens offline in a browser.", ""]
        lines += [f"- {name.replace('_', ' ')}: `{path}`" for name, path in reports.items()]
        lines.append("")
    return "\n".join(lines) + "\n"


def _cell(v: Any) -> str:
    """A value for a Markdown table cell: numbers as :func:`fmt_number` writes them,
    missing as ``-``, pipes escaped."""
    from fentanet.report.html import fmt_number  # the report layer loads plotly: not at start

    text = "-" if v is None else fmt_number(v) if isinstance(v, int | float) else str(v)
    return (text or "-").replace("|", "\\|")


def _md_table(header: list[str], rows: list[list[Any]]) -> list[str]:
    """A Markdown table (and a blank line): columns of numbers right-aligned (a ``-`` or
    ``never`` among them too), others left-aligned."""
    def numeric(i: int) -> bool:
        cells = [r[i] for r in rows if r[i] not in (None, "-", "never")]
        return bool(cells) and all(isinstance(v, int | float) and not isinstance(v, bool)
                                   for v in cells)
    align = ["---:" if numeric(i) else "---" for i in range(len(header))]
    return ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|",
            *("| " + " | ".join(_cell(v) for v in row) + " |" for row in rows), ""]


def _interval(mean: Any, low: Any, high: Any) -> str:
    """``mean (low to high)``; the mean alone where there is no interval (one seed) or
    where it is a single value; an open end (``"inf"``/``"-inf"`` in summary.json, as
    ``compare --json`` writes it) as ``∞``/``-∞``."""
    if mean is None:
        return "n/a"
    if low is None or high is None or low == high:
        return _cell(mean)
    return f"{_cell(mean)} ({_end(low)} to {_end(high)})"


def _end(v: Any) -> str:
    return {"inf": "∞", "-inf": "-∞"}.get(v, _cell(v)) if isinstance(v, str) else _cell(v)


def _analysis_md(title: str, d: dict[str, Any]) -> list[str]:
    """An analysis section of the digest (``analysis_caviar`` or ``analysis_supply`` of
    summary.json): key players, top actors, communities, the supply bottleneck and
    interdiction, resilience, and the arrests with and without replacement."""
    from fentanet.report.analysis import MEASURE_NAMES
    from fentanet.report.html import fmt_number

    lines = [f"## {title}", "", f"Network {d['network']}; its tables are in "
             f"`{d['tables']}`.", "", "### Key players", ""]
    rows = []
    for objective, r in d["key_players"].items():
        what = (f"remove {r['k']}: most fragmentation" if objective == "fragmentation" else
                f"watch {r['k']}: reach most others in {r['m'] or 1} step(s)")
        score = (f"F = {r['score']:.3f}" if objective == "fragmentation"
                 else f"{r['score']:.1%} of the others")
        rows.append([what, ", ".join(map(str, r["actors"])), score,
                     "yes" if r["exact"] else "no (search)"])
    lines += _md_table(["set", "actors", "score", "proven optimal"], rows)
    lines += ["Key players (Borgatti 2006): the set whose removal leaves the network most "
              "fragmented (F: share of pairs of actors no longer connected), and the set "
              "that reaches most other actors.", ""]
    top = d["top"]
    if top:
        depth = max(len(v) for v in top.values())
        rows = [[i + 1, *(f"{v[i]['actor']} ({fmt_number(v[i]['value'])})" if i < len(v)
                          else "" for v in top.values())] for i in range(depth)]
        lines += ["### Top actors", "", "By each centrality, with its value (normalised as "
                  "in docs/analysis-people.md).", ""]
        lines += _md_table(["rank", *(MEASURE_NAMES.get(m, m.replace("_", " "))
                                      for m in top)], rows)
    comm = d.get("communities")
    if comm:
        lines += [f"{comm['n_communities']} communities by {comm['method']} (quality "
                  f"{comm['quality']:.3f}).", ""]
    flow = d.get("flow")
    if flow:
        lines += ["### Supply bottleneck and interdiction", "",
                  f"Maximum flow from the sources to the markets: {fmt_number(flow['value'])} "
                  "kg fentanyl-equivalent per year (the capacities' unit). Minimum cut: "
                  f"actors {', '.join(flow['cut_actors']) or 'none'}; markets whose demand "
                  f"limits it {', '.join(flow['cut_demand']) or 'none'}.", ""]
        inter = d.get("interdiction")
        if inter:
            before, after = inter["flow_before"], inter["flow_after"]
            proof = ("yes" if inter["optimal"] else
                     f"no: best found, within {inter['gap']:.1%} of optimal")
            lines += _md_table(
                ["budget", "target", "removed", "flow before", "flow after", "reduction",
                 "proven optimal", "method"],
                [[inter["budget"], inter["target"], ", ".join(inter["removed"]) or "nothing",
                  before, after, f"{1 - after / before:.1%}" if before else "-", proof,
                  inter["method"]]])
    if d.get("resilience_summary"):
        names = {"lcc": "largest component after", "flow": "flow after",
                 "removals_to_half": "removals to halve it", "robustness": "robustness R"}
        cols = list(d["resilience_summary"][0])
        lines += ["### Resilience", "", "After the last removal of each attack; robustness R "
                  "is the mean largest component over the removals (Schneider et al. 2011).",
                  ""]
        lines += _md_table([names.get(c, c) for c in cols],
                           [["never" if c == "removals_to_half" and r[c] is None else r[c]
                             for c in cols] for r in d["resilience_summary"]])
    if d.get("replacement"):
        lines += ["Hub arrests (degree, sequential), with and without replacement within "
                  "the organization (Duijn et al. 2014):", ""]
        lines += _md_table(["", "largest component", "efficiency", "flow"],
                           d["replacement"])
    if d.get("notes"):
        lines += [f"- {n}" for n in d["notes"]] + [""]
    return lines


COMPARE_OUTCOMES = ("deaths averted", "overdose deaths averted", "supply reduction",
                    "supply reduction %", "extra cost", "cost per death averted")
"""The demo digest's columns of the comparison with the baseline, in order (headers with
their units: :data:`fentanet.cli.runs.OUTCOME_UNITS`)."""


def _strategies_md(d: dict[str, Any]) -> list[str]:
    """The strategies section of the digest (``strategies`` of summary.json): totals per
    strategy and the paired comparison with the baseline (a cost per death averted where
    none are, on average, said as the command line says it)."""
    from fentanet.cli.runs import DEATHS_ADDED, HEADLINE, NO_DEATHS_AVERTED, OUTCOME_UNITS
    from fentanet.cli.simulate import DEMO_METRICS
    from fentanet.report.html import fmt_number

    seeds = d["seeds"]
    lines = ["## Strategies on the US baseline", "",
             f"{d['scenario']} ({fmt_number(d['actors'])} actors), {fmt_number(d['years'])} "
             f"year(s), {len(seeds)} seed(s) ({seeds[0]}-{seeds[-1]}), every strategy on the "
             f"same seeds; ensemble {d['ensemble']} in the run store `{d['store']}`.", ""]
    defined = d.get("strategies") or {}
    if defined:
        lines += ["Each strategy is one of the scenario's moved to start earlier (the "
                  "scenario's own start at 1 year, the end of this run), every intervention "
                  "at its own intensity:", ""]
        lines += _md_table(
            ["demo strategy", "the scenario's", "from (years)", "interventions (intensity)"],
            [[name, f["of"], f"{f['start']:g}", ", ".join(_intervention_md(iv)
                                                          for iv in f["interventions"])]
             for name, f in defined.items()])
    totals: dict[str, dict[str, str]] = {}
    for r in d["summary"]:
        cell = _cell(r["q50"]) if r["runs"] == 1 else _interval(r["q50"], r["q05"], r["q95"])
        totals.setdefault(r["variant"], {})[r["metric"]] = cell
    if totals:
        metrics = [m for m in DEMO_METRICS if any(m in t for t in totals.values())]
        lines += ["Totals over the run, median over seeds (5% to 95% of the seeds):", ""]
        lines += _md_table(["strategy", *(HEADLINE[m] for m in metrics)],
                           [[v, *(t.get(m, "-") for m in metrics)] for v, t in totals.items()])
    compare: dict[str, dict[str, dict]] = {}
    for r in d["compare"]:
        compare.setdefault(r["variant"], {})[r["outcome"]] = r
    if compare:
        outcomes = [o for o in COMPARE_OUTCOMES if any(o in c for c in compare.values())]
        rows = []
        for variant, c in compare.items():
            averted = c.get("deaths averted", {}).get("mean")
            cells = []
            for o in outcomes:
                r = c.get(o)
                if r is None:
                    cells.append("-")
                elif o == "cost per death averted" and not (averted or 0) > 0:
                    cells.append(DEATHS_ADDED if (averted or 0) < 0 else NO_DEATHS_AVERTED)
                else:
                    cells.append(_interval(r["mean"], r["ci_low"], r["ci_high"]))
            rows.append([variant, *cells])
        lines += ["Against the baseline: mean over seeds of the paired difference, with its "
                  "95% interval" + (" (one seed: no interval)" if len(seeds) == 1 else "") +
                  ":", ""]
        lines += _md_table(["strategy", *(OUTCOME_UNITS.get(o, o) for o in outcomes)], rows)
        lines += _volatility_notes(compare)
    return lines


def _intervention_md(iv: dict[str, Any]) -> str:
    """One intervention of a strategy as the digest says it: ``trafficker_enforcement 2 (top
    500 by degree)``."""
    text = f"{iv['kind']} {iv.get('intensity', 1.0):g}"
    target = iv.get("target")
    if target:
        text += f" (top {target.get('count', 10):,} by {target.get('rule', 'random')})"
    return text


def _volatility_notes(compare: dict[str, dict[str, dict]]) -> list[str]:
    """A line per strategy that cuts the supply reaching markets yet adds overdose deaths
    (means over seeds; the added deaths' 95% interval below 0 where there is one), with
    the model's two ways a supply-side operation adds them: its disruptions raise potency
    volatility, which multiplies the overdose hazard (``volatility_effect``, Ray et al.,
    AJPH 2023), and people released after arrest are at higher risk for some weeks
    (``release_overdose_multiplier``; docs/model-population.md)."""
    lines = []
    for variant, c in compare.items():
        cut = c.get("supply reduction", {}).get("mean")
        averted = c.get("overdose deaths averted", {})
        mean, high = averted.get("mean"), averted.get("ci_high")
        high = float(high) if isinstance(high, str) else high  # an open end, "inf"
        if (cut is not None and mean is not None and cut > 0 and mean < 0
                and (high is None or high < 0)):
            lines.append(f"- {variant} cuts the supply reaching markets yet adds overdose "
                         "deaths: in the model its disruptions raise potency volatility, "
                         "which raises the overdose hazard "
                         "(`params.population.volatility_effect`; fatal overdoses doubled "
                         "near opioid seizures in Ray et al., AJPH 2023), and people "
                         "released after arrest are at higher risk for some weeks "
                         "(`release_overdose_multiplier`); docs/model-population.md.")
    return [*lines, ""] if lines else []


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the report.")] = Path("fentanet-report"),
    actors: Annotated[int, typer.Option(help="Actors in the generated network (at least "
                                             "20).")] = 10_000,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the generated network and of the "
                                                  "random parts (a non-negative integer).")
                    ] = 1,
) -> None:
    """The showcase: research networks and a generated supply network, with a report."""
    from fentanet.network.generator import as_spec

    # refused before the first section prints: a folder that cannot be made or written
    # (a missing parent is never made, as for every --out), or an impossible network
    check_output_folder(out, "--out")
    as_spec({"actors": actors})
    state = Demo(out=out, actors=actors, seed=seed)
    path = run_demo(state)
    console.rule()
    console.print(f"report: {path} (and {path.with_suffix('.md').name} beside it)",
                  soft_wrap=True, markup=False)
    for name, html in state.report.get("reports", {}).items():
        console.print(f"HTML report, {name.replace('_', ' ')}: {html}", soft_wrap=True,
                      markup=False)
