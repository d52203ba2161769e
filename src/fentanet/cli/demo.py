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
from fentanet.cli.common import _default, console, table
from fentanet.cli.network import print_summary
from fentanet.errors import FentanetError, InputError
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
    """Write ``summary.json`` (all section results) and ``summary.md`` (a short digest)
    into the report folder, each atomically; returns the JSON file."""
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
            lines.append(f"| {name} | {s['actors']} | {s['links']} | "
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
                  f"{s['actors']} actors, {s['links']} links (seed {gen['seed']}), built in "
                  f"{gen['seconds']} s. Market demand {gen['demand_kg_per_year']:.1f} kg "
                  f"fentanyl-equivalent per year; {gen['population']:.0f} people who use "
                  "illicit opioids.", "", "| kind | actors |", "|---|---:|"]
        lines += [f"| {k} | {v} |" for k, v in s["actor_kinds"].items()]
        lines.append("")
    reports = demo.report.get("reports")
    if reports:
        lines += ["## HTML reports", "", "Each opens offline in a browser.", ""]
        lines += [f"- {name.replace('_', ' ')}: `{path}`" for name, path in reports.items()]
        lines.append("")
    return "\n".join(lines) + "\n"


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the report.")] = Path("fentanet-report"),
    actors: Annotated[int, typer.Option(help="Actors in the generated network.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Seed of the generated network.")] = 1,
) -> None:
    """The showcase: research networks and a generated supply network, with a report."""
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a folder; expected a folder for the report",
                         file=out)
    state = Demo(out=out, actors=actors, seed=seed)
    path = run_demo(state)
    console.rule()
    console.print(f"report: {path} (and {path.with_suffix('.md').name} beside it)",
                  soft_wrap=True, markup=False)
    for name, html in state.report.get("reports", {}).items():
        console.print(f"HTML report, {name.replace('_', ' ')}: {html}", soft_wrap=True,
                      markup=False)
