"""``fentanet analyze`` and ``fentanet resilience``, and the demo's analysis sections.

The analysis itself is :func:`fentanet.analysis.summary.analyze`; this module only prints
its :class:`~fentanet.analysis.summary.AnalysisReport`, writes its tables as CSV
(``--out``) and dumps it as JSON (``--json``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich.markup import escape

from fentanet.analysis.resilience import MEASURES, MODES
from fentanet.analysis.resilience import resilience as resilience_curve
from fentanet.analysis.summary import TABLES, AnalysisReport
from fentanet.analysis.summary import analyze as analyze_network
from fentanet.cli import app
from fentanet.cli.common import (
    _default,
    check_output_file,
    check_output_folder,
    console,
    counted,
    err_console,
    print_json,
    table,
)
from fentanet.cli.inputs import (
    DelimiterOpt,
    DirectedOpt,
    DuplicatesOpt,
    FromOpt,
    HeaderOpt,
    NetworkArg,
    load_network,
    reader_options,
)
from fentanet.cli.network import links_text
from fentanet.cli.reporting import PngOpt, ReportOpt, check_report_paths, save_report
from fentanet.errors import InputError
from fentanet.network import Network
from fentanet.network.io import atomic_path
from fentanet.simulate.output import check_folder, write_files

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


# ------------------------------------------------------------------------------ output
def _fmt(value: float) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.3g}"


def print_report(report: AnalysisReport, *, top: int | None = None) -> None:
    """Print an analysis report as a terminal summary."""
    s = report.network
    kind = "directed" if s["directed"] else "undirected"
    console.print(f"[bold]{escape(s['name'] or 'network')}[/bold]  "
                  f"{counted(s['actors'], 'actor')}, {links_text(s)}, {kind}, "
                  f"{counted(s['components'], 'component')}, largest "
                  f"{s['largest_component']:,}", soft_wrap=True)
    top = top or report.settings["top"]
    measures = list(report.top)
    rows = []
    for i in range(min(top, max((len(report.top[m]) for m in measures), default=0))):
        row: list = [i + 1]
        for m in measures:
            ranked = report.top[m]
            row.append(f"{ranked.index[i]} ({_fmt(ranked.iloc[i])})" if i < len(ranked)
                       else "")
        rows.append(row)
    markets = (report.centrality["kind"] == "market").sum() if s["link_kinds"].keys() - {
        "tie"} else 0
    console.print(table("Top actors" + (" (markets left out: populations, not targets)"
                                        if markets else ""), ["#", *measures], rows))
    if report.phases is not None:
        print_phases(report)

    frag, reach = report.key_players["fragmentation"], report.key_players["reach"]
    console.print(table("Key players (Borgatti 2006)", ["set", "actors", "score"], [
        [f"remove {frag.k}: fragmentation", ", ".join(frag.actors), f"F = {frag.score:.3f}"],
        [f"watch {reach.k}: 2-step reach", ", ".join(reach.actors),
         f"{reach.score:.1%} of the others"],
    ]))

    comm = report.communities
    if comm is not None:
        ct = report.community_table.head(top)
        console.print(table(
            f"Communities: {comm.n_communities} by {comm.method}, modularity "
            f"{comm.quality:.3f}", ["community", "size", "density", "external links",
                                    "most connected"],
            [[c, r["size"], f"{r['density']:.2f}", r["external"], ", ".join(r["top"])]
             for c, r in ct.iterrows()]))

    if report.brokerage is not None:
        b = report.brokerage.sort_values("total", ascending=False, kind="stable").head(top)
        b = b[b["total"] > 0]
        if len(b):
            roles = [c for c in b.columns if c != "total"]
            console.print(table(f"Brokers (Gould & Fernandez, groups: "
                                f"{report.brokerage_groups})", ["actor", "total", *roles],
                                [[a, _fmt(r["total"]), *(_fmt(r[c]) for c in roles)]
                                 for a, r in b.iterrows()]))

    if report.flow is not None:
        f = report.flow
        cut = f.cut.sort_values("capacity", ascending=False, kind="stable").head(top)
        console.print(f"[bold]Supply[/bold]: maximum flow {_fmt(f.value)} from "
                      f"{len(f.sources)} source(s) to {len(f.sinks)} market(s)",
                      soft_wrap=True)
        console.print(table("Bottleneck (minimum cut)", ["element", "id", "capacity"],
                            [[r["element"], r["id"], _fmt(r["capacity"])]
                             for _, r in cut.iterrows()]))
        if (f.cut["element"] == "demand").any():
            console.print("[dim]'demand' in the cut: those markets take less than could "
                          "reach them[/dim]", soft_wrap=True)
    if report.interdiction is not None:
        i = report.interdiction
        proof = "proven optimal" if i.optimal else f"not proven optimal (gap {i.gap:.1%})"
        drop = 1 - i.flow_after / i.flow_before if i.flow_before else 0.0
        best = "Optimal" if i.optimal else "Best"  # found within the time limit: a bound
        console.print(f"[bold]{best} interdiction[/bold] (budget {_fmt(i.budget)}, "
                      f"{i.target}): remove {escape(', '.join(i.removed)) or 'nothing'} (cost "
                      f"{_fmt(i.cost_used)}); flow {_fmt(i.flow_before)} -> "
                      f"{_fmt(i.flow_after)} ({drop:.0%} less), {proof}", soft_wrap=True)

    rs = report.resilience_summary
    cols = [c for c in ("lcc", "components", "flow") if c in rs.columns]
    mode = report.settings.get("resilience_mode", "sequential")
    console.print(table(
        f"Resilience: {int(rs['removed'].max())} removals per attack ({mode})",
        ["attack", *(f"{c} after" for c in cols), "removals to halve LCC", "robustness"],
        [[r["strategy"], *(_fmt(r[c]) for c in cols),
          _fmt(r["removals_to_half"]) if pd.notna(r["removals_to_half"]) else "never",
          f"{r['robustness']:.3f}"] for _, r in rs.iterrows()]))
    for note in report.notes:
        console.print(f"[dim]note: {escape(note)}[/dim]", soft_wrap=True)


def print_phases(report: AnalysisReport) -> None:
    """Whole-network measures per phase, and Kendall's tau of each measure's ranks
    against the phase before."""
    per = report.phases.network
    tau = report.rank_movement
    measures = [] if tau is None else list(pd.unique(tau["measure"]))
    rows = []
    for phase, r in per.iterrows():
        row = [phase, int(r["actors"]), int(r["links"]), f"{r['density']:.3f}",
               int(r["components"]), int(r["largest_component"])]
        for m in measures:
            hit = tau[(tau["measure"] == m) & (tau["phase_to"] == phase)]
            row.append(_fmt(float(hit["tau"].iloc[0])) if len(hit) else "")
        rows.append(row)
    console.print(table(f"Phases: {len(per)} (rank movement: Kendall's tau-b against the "
                        "phase before)", ["phase", "actors", "links", "density",
                                          "comp.", "largest",
                                          *(f"τ {m}" for m in measures)], rows))


ANALYSIS_FILES: tuple[str, ...] = (*(f"{stem}.csv" for stem in TABLES), "report.json")
"""Every file ``analyze --out`` can write: the names it replaces in a folder of an earlier
analysis."""
_REPORT_KEYS = frozenset({"network", "settings", "centrality", "key_players",
                          "resilience_summary"})


def earlier_analysis(out: Path | None) -> list[str]:
    """The files of :data:`ANALYSIS_FILES` already in ``out``, checked to be an earlier
    fentanet analysis's: its ``report.json`` must be one (a JSON object with the report's
    keys). Otherwise they are refused, before any analysis: replacing them, or leaving
    them beside this analysis's tables, would mix two networks' tables or lose files
    fentanet did not write. A folder in ``out`` named like one of the files is refused
    too. Other files are never looked at."""
    if out is None or not out.is_dir():
        return []
    check_folder(out, "--out", ANALYSIS_FILES)
    present = [name for name in ANALYSIS_FILES if (out / name).is_file()]
    report = out / "report.json"
    if present and not _is_analysis_report(report):
        why = ("its report.json is not a fentanet analysis's" if report.is_file() else
               "no report.json")
        raise InputError(f"holds {', '.join(present)}, names analyze --out writes, but "
                         f"{why}, so they may not be fentanet's: --out would replace them "
                         "or leave them beside this analysis's tables; choose an empty or "
                         "new folder, or move them", file=out)
    return present


def _is_analysis_report(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and _REPORT_KEYS <= data.keys()


def write_tables(report: AnalysisReport, out: Path) -> tuple[list[Path], list[str]]:
    """Write every table of the report as CSV, and ``report.json``, into ``out``, all or
    none (:func:`fentanet.simulate.output.write_files`); return the paths written and the
    names removed: the files of an earlier fentanet analysis there that this one does not
    write (the phase tables of a network in phases, say), removed once the new files are
    in place, so the folder never mixes two networks' tables. Files fentanet may not have
    written are refused, never replaced (:func:`earlier_analysis`)."""
    check_output_folder(out, "the tables (--out)", parents=True)  # (the demo's own folders)
    out.parent.mkdir(parents=True, exist_ok=True)
    earlier = earlier_analysis(out)
    text = json.dumps(report.to_dict(), default=_default, indent=2) + "\n"
    writers = {f"{stem}.csv": (lambda p, f=frame: f.to_csv(p, index=False))
               for stem, frame in report.tables().items()}
    writers["report.json"] = lambda p: p.write_text(text)
    written = write_files(out, writers, option="--out", replaces=ANALYSIS_FILES)
    return written, [name for name in earlier if name not in writers]


# ------------------------------------------------------------------------------ commands
@app.command()
def analyze(
    file: NetworkArg,
    top: Annotated[int, typer.Option(min=1, help="Actors shown per measure.")] = 10,
    k: Annotated[int | None, typer.Option(min=1, help="Size of the key-player sets "
                                                  "(default: 5, at most the actors less "
                                                  "two).")] = None,
    budget: Annotated[float | None, typer.Option(help="Interdiction budget (cost units; "
                                                      "default: k targets at the median "
                                                      "cost).")] = None,
    steps: Annotated[int | None, typer.Option(min=1, help="Removals per resilience attack "
                                                         "(default: 10% of the actors, "
                                                         "10 to 50).")] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the random parts (a "
                                                 "non-negative integer).")] = 0,
    time_limit: Annotated[float, typer.Option(min=0.1, help="Seconds allowed to the "
                                                            "interdiction MILP.")] = 10.0,
    from_format: FromOpt = None,
    directed: DirectedOpt = None,
    duplicates: DuplicatesOpt = None,
    header: HeaderOpt = None,
    delimiter: DelimiterOpt = None,
    json_out: JsonOpt = False,
    out: Annotated[Path | None, typer.Option(help="Folder for the full tables (CSV) and "
                                                  "report.json.")] = None,
    html: ReportOpt = None,
    png: PngOpt = None,
) -> None:
    """Who matters, key players, groups, brokers, the supply bottleneck and optimal
    interdiction (with flow links), and resilience under attack."""
    check_report_paths(html, png)
    check_output_folder(out, "--out")
    earlier_analysis(out)
    net = load_network(file, from_format, **reader_options(
        directed=directed, duplicates=duplicates, header=header, delimiter=delimiter))
    with err_console.status(f"analysing {net.name or file}") as status:
        report = analyze_network(
            net, top=top, k=k, budget=budget, steps=steps, seed=seed, time_limit=time_limit,
            progress=lambda part: status.update(f"analysing {escape(net.name or file)} "
                                                f"({net.n_actors:,} actors): {part}"))
    written, removed = write_tables(report, out) if out is not None else ([], [])
    gone = (f"removed {len(removed)} file{'s' * (len(removed) > 1)} of the earlier "
            f"analysis there that this one does not write: {', '.join(removed)}")
    if json_out:  # stdout stays one JSON document: where the files went, on stderr
        print_json(report.to_dict())
        if written:
            err_console.print(f"wrote {len(written)} files to {out}", soft_wrap=True,
                              markup=False)
        if removed:
            err_console.print(f"note: {gone}", soft_wrap=True, markup=False)
    else:
        print_report(report)
        if written:
            console.print(f"wrote {len(written)} files to {out}" + (
                f"; {gone}" if removed else ""), soft_wrap=True, markup=False)
    if html or png:
        from fentanet.report import analysis_report

        save_report(analysis_report(net, report, curve_time_limit=min(time_limit, 5.0)),
                    html, png, json_out=json_out)


@app.command()
def resilience(
    file: NetworkArg,
    strategy: Annotated[str, typer.Option(
        help="random, degree, betweenness, katz, collective_influence, key_players, "
             "kind:<kind>[,<kind>], or list (with --actors).")] = "betweenness",
    mode: Annotated[str, typer.Option(help="sequential, block or static.")] = "sequential",
    steps: Annotated[int | None, typer.Option(min=0, help="Removals (default: all "
                                                         "candidates).")] = None,
    measure: Annotated[list[str] | None, typer.Option(
        help=f"One of {', '.join(MEASURES)}; repeat for several (default lcc).")] = None,
    block: Annotated[int, typer.Option(min=1, help="Removals between rankings in block "
                                                   "mode.")] = 5,
    replacement: Annotated[str | None, typer.Option(
        help="organization: a removed member's links pass to another member of its "
             "organization (default: none, the links go with the actor).")] = None,
    repeats: Annotated[int, typer.Option(min=1, help="Runs averaged (random strategy, "
                                                     "random ties).")] = 1,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the random parts (a "
                                                 "non-negative integer).")] = 0,
    kinds: Annotated[str | None, typer.Option(help="Only remove actors of these kinds "
                                                   "(comma-separated; default: every "
                                                   "kind).")] = None,
    actors: Annotated[list[str] | None, typer.Option(
        help="With --strategy list: the actor ids to remove, in order, comma-separated; "
             "repeat to add more (--actors 1 --actors 3 is --actors 1,3).")] = None,
    ties: Annotated[str, typer.Option(help="index (actor order) or random.")] = "index",
    from_format: FromOpt = None,
    directed: DirectedOpt = None,
    duplicates: DuplicatesOpt = None,
    header: HeaderOpt = None,
    delimiter: DelimiterOpt = None,
    json_out: JsonOpt = False,
    out: Annotated[Path | None, typer.Option(help="Write the curve as CSV to this "
                                                  "file.")] = None,
) -> None:
    """How the network holds up as actors are removed by a strategy: one row per removal."""
    if mode not in MODES:
        raise InputError(f"unknown mode '{mode}'; expected one of {', '.join(MODES)}",
                         field="mode")
    check_output_file(out, "--out")
    net = load_network(file, from_format, **reader_options(
        directed=directed, duplicates=duplicates, header=header, delimiter=delimiter))
    chosen: str | list[str] = strategy
    if strategy == "list" or actors is not None:
        if strategy not in ("list", "betweenness") or not actors:
            raise InputError("--strategy list takes the actors to remove with --actors "
                             "a,b,c (and --actors goes with --strategy list)",
                             field="actors")
        chosen = actor_list(actors)
    with err_console.status(f"removing actors from {escape(net.name or file)} "
                            f"({net.n_actors:,} actors): {escape(strategy)}, {mode}"):
        curve = resilience_curve(
            net, chosen, mode=mode, block=block, steps=steps, measure=measure or ["lcc"],
            replacement=replacement, repeats=repeats, seed=seed, ties=ties,
            kinds=None if kinds is None else [x.strip() for x in kinds.split(",")])
    if out is not None:
        with atomic_path(out) as tmp:
            curve.to_csv(tmp, index=False)
    if json_out:
        print_json({"settings": {k: v for k, v in curve.attrs.items()},
                    "curve": curve.astype(object).where(curve.notna(), None)
                    .to_dict("records")})
        if out is not None:
            err_console.print(f"wrote {out}", soft_wrap=True, markup=False)
        return
    print_curve(curve)
    if out is not None:
        console.print(f"wrote {out}", soft_wrap=True, markup=False)


def actor_list(values: list[str]) -> list[str]:
    """The actor ids of every ``--actors`` value (each comma-separated), in the order given;
    an id given twice is refused by name (its second removal would mean nothing)."""
    ids = [a.strip() for value in values for a in value.split(",") if a.strip()]
    seen: set[str] = set()
    for a in ids:
        if a in seen:
            raise InputError(f"actor '{a}' given twice; give each actor once",
                             field="--actors")
        seen.add(a)
    return ids


def print_curve(curve: pd.DataFrame, *, rows: int = 25) -> None:
    """Print a resilience curve (at most ``rows`` rows, evenly spaced, and the last, and
    then how many of its rows were shown)."""
    a = curve.attrs
    picks = np.unique(np.linspace(0, len(curve) - 1, min(rows, len(curve))).round()
                      .astype(int))
    shown = curve.iloc[picks]
    cols = [c for c in shown.columns if c != "repeat"]
    title = (f"Resilience of {a.get('network') or 'the network'}: {a.get('strategy')}, "
             f"{a.get('mode')}" + (f", replacement by {a['replacement']}"
                                   if a.get("replacement") else "")
             + (f", mean of {a['repeats']} runs" if a.get("repeats", 1) > 1 else ""))
    console.print(f"[bold]{escape(title)}[/bold]", soft_wrap=True)
    console.print(table("", cols, [[("" if v is None or (isinstance(v, float)
                                                              and np.isnan(v)) else
                                         _fmt(v) if isinstance(v, float) else v)
                                        for v in row] for row in
                                       shown[cols].itertuples(index=False)]))
    if len(shown) < len(curve):
        console.print(f"({len(shown)} of the {len(curve)} rows shown (evenly spaced, and "
                      "the last); --out or --json gives every row)", soft_wrap=True,
                      markup=False)
    last = curve.iloc[-1]
    # components is a count (a mean over runs may have decimals); the others are shares
    parts = [f"{m} {_fmt(last[m]) if m == 'components' else format(last[m], '.3f')}"
             for m in a.get("measures", []) if m in curve]
    pool = "listed" if a.get("strategy") == "list" else "removable"
    counted, total = a.get("actors"), a.get("network_actors")
    measured = (f"all {total} actors" if counted == total else
                f"the {counted} of {total} actors with a person link")
    console.print(f"after {int(last['removed'])} of the {a.get('removable')} {pool} actors "
                  f"removed; the measures count {measured}: " + ", ".join(parts),
                  soft_wrap=True, markup=False)


# ------------------------------------------------------------------------------ demo
def _demo_sections() -> None:
    from fentanet.cli.demo import Demo, section

    @section("Analysis of a research network (CAVIAR)", order=30)
    def caviar(demo: Demo) -> None:
        """The CAVIAR trafficking network (Morselli 2009): the full analysis, and how much
        faster targeted arrests break it than random ones."""
        net = demo.networks.get("caviar")
        if net is None:
            console.print("CAVIAR was not loaded (see above): skipped.")
            demo.report["analysis_caviar"] = {"available": False}
            return
        start = time.perf_counter()
        report = analyze_network(net, k=5, steps=20, seed=demo.seed)
        demo.results["analysis_caviar"] = (net, report)
        print_report(report, top=5)
        folder = demo.out / "analysis" / "caviar"
        write_tables(report, folder)
        rs = report.resilience_summary.set_index("strategy")
        console.print(
            f"Sequential betweenness removal halves CAVIAR's largest group after "
            f"{_fmt(rs.loc['betweenness', 'removals_to_half'])} arrests; 20 random arrests "
            f"leave {rs.loc['random', 'lcc']:.0%} of it. Tables: {folder}", soft_wrap=True)
        demo.report["analysis_caviar"] = _digest(report, time.perf_counter() - start,
                                                 folder)

    @section("Analysis of a generated supply network", order=40)
    def supply(demo: Demo) -> None:
        """A generated supply network: the analysis with its flow bottleneck and optimal
        interdiction, and arrests with and without replacement (Duijn et al. 2014)."""
        from fentanet.network import generate

        net: Network | None = demo.networks.get("generated")
        if net is None or net.n_actors > 2_000:
            size = min(demo.actors, 1_000)
            net = generate({"actors": size}, seed=demo.seed)
            console.print(f"(analysing a network of {size:,} actors, seed {demo.seed}, so "
                          "that sequential attacks stay quick)", soft_wrap=True, markup=False)
        start = time.perf_counter()
        report = analyze_network(net, k=5, steps=20, seed=demo.seed)
        demo.results["analysis_supply"] = (net, report)
        print_report(report, top=5)
        folder = demo.out / "analysis" / "supply"
        write_tables(report, folder)
        rows = []
        for rep in (None, "organization"):
            curve = resilience_curve(net, "degree", steps=20,
                                     measure=["lcc", "efficiency", "flow"],
                                     replacement=rep, seed=demo.seed)
            last = curve.iloc[-1]
            rows.append(["with replacement" if rep else "without replacement",
                         f"{last['lcc']:.3f}", f"{curve['efficiency'].iloc[0]:.3f} -> "
                         f"{last['efficiency']:.3f}", f"{last['flow']:.3f}"])
        console.print("[bold]20 hub arrests (degree, sequential), with and without "
                      "replacement within the organization (Duijn et al. 2014)[/bold]",
                      soft_wrap=True)
        console.print(table("", ["", "lcc", "efficiency", "flow"], rows))
        digest = _digest(report, time.perf_counter() - start, folder)
        digest["replacement"] = rows
        demo.report["analysis_supply"] = digest


def _digest(report: AnalysisReport, seconds: float, folder: Path) -> dict:
    d = report.to_dict()
    return {"network": report.network["name"], "seconds": round(seconds, 2),
            "tables": str(folder), "top": d["top"], "key_players": d["key_players"],
            "communities": None if d["communities"] is None else {
                k: d["communities"][k] for k in ("method", "quality", "n_communities")},
            "flow": None if d["flow"] is None else {
                k: d["flow"][k] for k in ("value", "cut_actors", "cut_demand")},
            "interdiction": d["interdiction"],
            "resilience_summary": d["resilience_summary"], "notes": report.notes}


_demo_sections()
