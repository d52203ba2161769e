"""The analysis report: the network drawn with its key players and bottleneck marked, the
tables of top actors, brokers and communities, resilience curves and the interdiction
budget-flow curve.

:func:`analysis_report` draws what :func:`fentanet.analysis.summary.analyze` found (the
same :class:`~fentanet.analysis.summary.AnalysisReport` that ``fentanet analyze`` prints);
the one thing the pipeline does not hold, the budget-flow curve, comes from
:func:`fentanet.interdiction_steps` with the pipeline's target: the least flow at every
budget from 0 to twice the pipeline's, as a staircase of proven optima (a step the
solver did not prove within its time limit is marked so, its flow an upper bound).

A network without flow links (two triangles joined through ``c`` and ``d``) has no
bottleneck section; its figures are the drawing, the top actors and the resilience curves:

>>> import pandas as pd
>>> from fentanet import Network
>>> net = Network(links=pd.DataFrame({"source": ["a", "a", "b", "c", "d", "d", "e"],
...                                   "target": ["b", "c", "c", "d", "e", "f", "f"]}),
...               directed=False, name="bridge")
>>> rep = analysis_report(net, k=1)
>>> rep.title, list(rep.figures())
('Network analysis: bridge', ['network', 'top-betweenness', 'resilience'])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from fentanet.analysis.interdiction import (
    EXACT_LIMIT,
    interdiction_curve,
    interdiction_steps,
)
from fentanet.analysis.summary import AnalysisReport, analyze
from fentanet.errors import InputError
from fentanet.network.convert import as_network
from fentanet.network.model import Network
from fentanet.report import figures as F
from fentanet.report.html import HtmlReport, fmt_number

MEASURE_NAMES = {"degree": "degree", "betweenness": "betweenness", "closeness": "closeness",
                 "eigenvector": "eigenvector", "pagerank": "PageRank"}

FLOW_UNIT = "kg per year"
"""The unit of flows: that of capacities (kg fentanyl-equivalent per year,
docs/network.md)."""

CURVE_SOLVES = 40
"""Most MILP solves the report's budget-flow curve spends (one per step of the staircase,
see :func:`fentanet.interdiction_steps`); past it, the budgets below the lowest step found
are marked unsolved."""


def highlight_sets(analysis: AnalysisReport) -> dict[str, list[str]]:
    """The actor sets the network drawing marks: the fragmentation key players, the
    minimum-cut bottleneck actors and the optimal interdiction's actors."""
    sets: dict[str, list[str]] = {}
    frag = analysis.key_players.get("fragmentation")
    if frag is not None:
        sets[f"key players (remove {frag.k})"] = [str(a) for a in frag.actors]
    if analysis.flow is not None and analysis.flow.cut_actors:
        sets["bottleneck (minimum cut)"] = [str(a) for a in analysis.flow.cut_actors]
    if analysis.interdiction is not None and analysis.interdiction.removed_actors:
        sets["optimal interdiction"] = [str(a) for a in analysis.interdiction.removed_actors]
    return sets


def top_table(analysis: AnalysisReport, top: int | None = None) -> pd.DataFrame:
    """Rank by rank, the top actors of each centrality: ``actor (value)`` cells."""
    top = top or analysis.settings.get("top", 10)
    cols: dict[str, list[str]] = {}
    for m, ranked in analysis.top.items():
        cells = [f"{a} ({fmt_number(float(v))})" for a, v in ranked.head(top).items()]
        cols[MEASURE_NAMES.get(m, m)] = cells + [""] * (top - len(cells))
    return pd.DataFrame({"rank": range(1, top + 1), **cols})


def broker_table(analysis: AnalysisReport, top: int | None = None) -> pd.DataFrame:
    """The actors with the most brokerage roles, with each role's count."""
    if analysis.brokerage is None:
        return pd.DataFrame()
    top = top or analysis.settings.get("top", 10)
    b = analysis.brokerage.sort_values("total", ascending=False, kind="stable")
    b = b[b["total"] > 0].head(top)
    out = b.reset_index()
    kinds = analysis.centrality["kind"].reindex(b.index)
    if (kinds != "actor").any():
        out.insert(1, "kind", kinds.to_numpy())
    return out


def community_table(analysis: AnalysisReport, top: int | None = None) -> pd.DataFrame:
    """One row per community (largest first): size, links, density, external links and
    the most connected members."""
    if analysis.community_table is None:
        return pd.DataFrame()
    t = analysis.community_table.head(top or 15).reset_index()
    t["top"] = t["top"].map(lambda v: ", ".join(map(str, v)))
    if "weight" in t and (t["weight"] == t["links"]).all():
        t = t.drop(columns="weight")
    return t.rename(columns={"top": "most connected", "external": "external links"})


def analysis_report(
    net: Network,
    analysis: AnalysisReport | None = None,
    *,
    color_by: str = "auto",
    curve: pd.DataFrame | bool = True,
    budgets: Sequence[float] | None = None,
    title: str | None = None,
    max_actors: int = 1500,
    curve_time_limit: float = 5.0,
    **analyze_options: Any,
) -> HtmlReport:
    """A report on a network's analysis.

    Parameters
    ----------
    net
        The network analysed.
    analysis
        What :func:`fentanet.analysis.summary.analyze` returned for ``net``; run with
        ``analyze_options`` (``k``, ``top``, ``budget``, ``steps``, ``seed``...) when not
        given.
    color_by
        ``kind``, ``community`` or ``auto`` (kind for typed networks, community for
        untyped case data).
    curve
        The interdiction budget-flow curve: ``True`` to compute it when the network
        carries flow, ``False`` to leave it out, or a table from
        :func:`fentanet.interdiction_steps` (drawn as a staircase) or
        :func:`fentanet.interdiction_curve` (drawn as its solved points).
    budgets
        Without them, the curve is the staircase of the least flow at every budget from
        0 to twice the analysis's budget (:func:`fentanet.interdiction_steps`, at most
        :data:`CURVE_SOLVES` solves); with them, the solved points at those budgets only.
    curve_time_limit
        Seconds allowed to the MILP at each solve of the curve (past it the best set
        found is drawn with a hollow marker).
    max_actors
        Larger networks are drawn through their best-connected actors (and every marked
        one).
    """
    net = as_network(net)  # a networkx or igraph graph too, as the analysis takes
    if analysis is None:
        analysis = analyze(net, **analyze_options)
    elif analyze_options:
        raise InputError("give analysis options or an analysis, not both",
                         field=next(iter(analyze_options)))
    if analysis.network.get("actors") != net.n_actors:
        raise InputError(f"the analysis is of a network of {analysis.network.get('actors')} "
                         f"actors, not of '{net.name}' ({net.n_actors} actors)",
                         field="analysis")
    if color_by == "auto":
        color_by = "kind" if net.is_typed else "community"
    if color_by not in ("kind", "community"):
        raise InputError(f"color_by must be kind, community or auto, got {color_by!r}",
                         field="color_by")
    s = analysis.network
    name = s.get("name") or net.name or "network"
    kind = "directed" if s["directed"] else "undirected"
    rep = HtmlReport(title or f"Network analysis: {name}",
                     f"{s['actors']:,} actors · {s['links']:,} links · {kind}"
                     + (f" · {s['source']}" if s.get("source") else ""))
    comm = analysis.communities
    flow, inter = analysis.flow, analysis.interdiction

    # ------------------------------------------------------------------ overview
    rep.heading("Overview")
    cards: list[tuple] = [("actors", s["actors"]), ("links", s["links"]),
                          ("components", s["components"],
                           f"largest {s['largest_component']:,} actors"),
                          ("density", s["density"]),
                          ("neighbours", s["degree"]["mean"],
                           f"mean per actor; max {s['degree']['max']}")]
    if comm is not None:
        cards.append(("communities", comm.n_communities, f"modularity {comm.quality:.3f}"))
    if flow is not None:
        cards.append(("maximum flow", float(flow.value),
                      f"{FLOW_UNIT}, {len(flow.sources)} sources to {len(flow.sinks)} "
                      "markets"))
    if inter is not None and inter.flow_before:
        drop = 1 - inter.flow_after / inter.flow_before
        cards.append(("interdiction cuts flow by", f"{drop:.0%}",
                      f"budget {fmt_number(inter.budget)}: flow left "
                      f"{fmt_number(inter.flow_after)} {FLOW_UNIT}"))
    rep.metrics(cards)
    kinds = ", ".join(f"{k} {v:,}" for k, v in s["actor_kinds"].items())
    rep.text((f"Actors by kind: {kinds}." if net.is_typed else
              "Case data without actor kinds: every actor is a person or entity of the "
              "case, every link a tie between them.")
             + (f" Observed in {len(s['phases'])} phases." if s.get("phases") else ""))
    for note in analysis.notes:
        rep.callout(note, kind="info")

    # ------------------------------------------------------------------ the network
    rep.heading("The network")
    marks = highlight_sets(analysis)
    size = analysis.centrality["betweenness"] if "betweenness" in analysis.centrality else None
    groups: Any = "kind" if color_by == "kind" else comm
    if groups is None:
        groups = "kind"
    fig = F.network_figure(net, color_by=groups, highlight=marks, size_by=size,
                           max_actors=max_actors, seed=analysis.settings.get("seed", 0),
                           title=f"{name}: actors by {color_by}")
    rep.figure(fig, name="network")
    rep.text("Marker size grows with betweenness. "
             + "; ".join(f"{k}: {', '.join(v)}" for k, v in marks.items()) + ".", note=True)

    # ------------------------------------------------------------------ who matters
    rep.heading("Who matters")
    rep.text("The top actors by each centrality (values normalised as in docs/analysis-"
             "people.md): high degree means many contacts, high betweenness means many "
             "shortest paths pass through the actor.", note=True)
    rep.table(top_table(analysis), name="top-actors")
    if "betweenness" in analysis.top:
        ranked = analysis.top["betweenness"]
        rep.figure(F.bars_figure(ranked.index.astype(str).tolist(), ranked.to_numpy(),
                                 title="Top actors by betweenness", xlabel="betweenness"),
                   name="top-betweenness")

    # ------------------------------------------------------------------ key players
    rep.heading("Key players")
    rows = []
    for objective, r in analysis.key_players.items():
        what = (f"remove {r.k}: most fragmentation" if objective == "fragmentation" else
                f"watch {r.k}: reach most others in {r.m or 1} step(s)")
        score = (f"F = {r.score:.3f}" if objective == "fragmentation"
                 else f"{r.score:.1%} of the others")
        rows.append({"set": what, "actors": ", ".join(map(str, r.actors)), "score": score,
                     "proven optimal": "yes" if r.exact else "no (search)"})
    rep.table(pd.DataFrame(rows), name="key-players")
    rep.text("Key players (Borgatti 2006): the set whose removal leaves the network most "
             "fragmented (F: share of pairs of actors no longer connected), and the set that "
             "reaches most other actors within two steps." + (" Markets are never chosen."
                                                              if net.is_typed else ""),
             note=True)

    # ------------------------------------------------------------------ groups
    rep.heading("Groups and brokers")
    if comm is not None:
        rep.text(f"{comm.n_communities} communities by {comm.method} ({comm.objective}, "
                 f"quality {comm.quality:.3f}).")
        rep.table(community_table(analysis), name="communities",
                  caption="Communities, largest first (density: internal links over "
                          "possible pairs)")
    brokers = broker_table(analysis)
    if len(brokers):
        rep.table(brokers, name="brokers",
                  caption=f"Brokers (Gould & Fernandez 1989, groups: "
                          f"{analysis.brokerage_groups}): counts of each brokerage role")

    # ------------------------------------------------------------------ supply
    if flow is not None:
        rep.heading("Supply bottleneck and interdiction")
        rep.text(f"Maximum flow from {len(flow.sources)} source(s) to {len(flow.sinks)} "
                 f"market(s): {fmt_number(float(flow.value))} {FLOW_UNIT} of product (the "
                 "unit of the capacities, docs/network.md). The minimum cut is the smallest "
                 "total capacity "
                 "whose loss stops it; 'demand' rows are markets that take less than could "
                 "reach them.")
        cut = flow.cut.sort_values("capacity", ascending=False, kind="stable")
        rep.table(cut[["element", "id", "capacity"]], name="bottleneck",
                  caption="Bottleneck (minimum cut)", max_rows=30)
        if inter is not None:
            rep.text(f"{'Optimal' if inter.optimal else 'Best'} interdiction for a budget of "
                     f"{fmt_number(inter.budget)} ({inter.target}): remove "
                     f"{', '.join(inter.removed) or 'nothing'} (cost "
                     f"{fmt_number(inter.cost_used)}); the flow falls from "
                     f"{fmt_number(inter.flow_before)} to {fmt_number(inter.flow_after)} "
                     f"({interdiction_proof(inter)}).")
            table = _curve(net, analysis, curve, budgets, curve_time_limit)
            if table is not None and (len(table) > 1 or "budget_to" in table.columns):
                rep.figure(F.interdiction_figure(table, unit="cost units",
                                                 flow_unit=FLOW_UNIT),
                           name="interdiction-curve")
                shown, caption = _curve_table(table)
                rep.table(shown, caption=caption, name="interdiction-curve",
                          formats={"reduction": "{:.1%}"})

    # ------------------------------------------------------------------ resilience
    rep.heading("Resilience")
    mode = analysis.settings.get("resilience_mode", "sequential")
    rep.text(f"How the network holds up as actors are removed by each strategy ({mode}: "
             "rankings recomputed after each removal"
             + (")" if mode == "sequential" else " block)") + "; random is the mean of "
             f"{analysis.settings.get('repeats', 1)} runs.", note=True)
    rep.figure(F.resilience_figure(analysis.resilience), name="resilience")
    rs = analysis.resilience_summary.copy()
    rs["removals_to_half"] = rs["removals_to_half"].map(
        lambda v: "never" if v is None or (isinstance(v, float) and np.isnan(v)) else int(v))
    rep.table(rs.rename(columns={"lcc": "largest component after",
                                 "flow": "flow after", "removals_to_half":
                                 "removals to halve it", "robustness": "robustness R"}),
              name="resilience", caption="After the last removal; robustness R is the mean "
                                         "largest component over the removals (Schneider "
                                         "et al. 2011)")

    # ------------------------------------------------------------------ about
    rep.heading("About this analysis")
    settings = {k: v for k, v in analysis.settings.items() if v is not None}
    rows = [(k, ", ".join(map(str, v)) if isinstance(v, list) else str(v))
            for k, v in settings.items()]
    rows += [(f"seconds: {k}", f"{v:.2f}") for k, v in analysis.seconds.items()]
    rep.table(pd.DataFrame(rows, columns=["setting", "value"]), name="settings")
    return rep


def _curve(net: Network, analysis: AnalysisReport, curve: pd.DataFrame | bool,
           budgets: Sequence[float] | None, time_limit: float) -> pd.DataFrame | None:
    if isinstance(curve, pd.DataFrame):
        return curve
    if not curve or analysis.interdiction is None:
        return None
    inter = analysis.interdiction
    if budgets is not None:
        return interdiction_curve(net, list(budgets), target=inter.target,
                                  time_limit=time_limit)
    return interdiction_steps(net, 2 * inter.budget, target=inter.target,
                              time_limit=time_limit, max_solves=CURVE_SOLVES)


def interdiction_proof(inter: Any) -> str:
    """What proves an interdiction optimal, or how far from optimal it may be: the MILP
    (Wood 1993, HiGHS), the heuristic's own lower bound (the MILP then not needed), or
    nothing to remove; else the best found and its gap."""
    if inter.optimal:
        return {"milp": "proven optimal by the MILP",
                "heuristic": "proven optimal by the heuristic's bound",
                "trivial": "optimal: nothing to remove"}.get(inter.method, "proven optimal")
    return (f"best found by the {'MILP' if inter.method == 'milp' else inter.method}, "
            f"within {inter.gap:.1%} of optimal")


def _curve_table(table: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The curve as the report lists it, and its caption: one row per step of a
    staircase, or per solved budget. The caption says which rows are proven optimal: a
    row that is not (``optimal`` no) holds the best targets found within the time limit,
    and its flow is an upper bound on the least flow (:func:`fentanet.interdiction_steps`).
    """
    shown = table.assign(removed=table["removed"].map(lambda r: ", ".join(map(str, r)) or "-"))
    shown = shown.rename(columns={"flow_after": "flow left", "cost_used": "cost used"})
    cols = ["flow left", "reduction", "removed", "cost used", "optimal"]
    proven = table["optimal"].astype(bool).to_numpy()
    methods = set(table.loc[~proven, "method"]) if "method" in table else {"milp"}
    found = ("within the time limit" if methods <= {"milp"} else
             f"by the heuristic (more than {EXACT_LIMIT:,} arcs for the MILP)"
             if "milp" not in methods else "within the time limit or by the heuristic")
    unproven = (f"rows marked 'no' hold the best targets found {found}: their flow is an "
                "upper bound on the least flow")
    if "budget_to" not in table.columns:
        caption = ("The best targets at each budget solved (Wood 1993 MILP, HiGHS); budgets "
                   "in between were not solved")
        if not proven.all():
            caption += ("; rows marked 'yes' are proven optimal" if proven.any() else "") \
                + f"; {unproven}"
        return shown[["budget", *cols]], caption
    a = table["budget"].to_numpy(dtype=float)
    b = table["budget_to"].to_numpy(dtype=float)
    shown.insert(0, "budgets", [fmt_number(x) + (f" to {fmt_number(y)}" if y > x else "")
                                for x, y in zip(a, b, strict=True)])
    grid, attrs = table.attrs.get("grid"), table.attrs
    why = (f"costs are multiples of {fmt_number(grid)}, so it can change only at multiples "
           f"of {fmt_number(grid)}" if grid is not None else
           f"steps located to within {fmt_number(attrs.get('resolution'))}")
    which = ("each row's targets are the optimum for every budget in its range"
             if proven.all() else
             f"rows marked 'yes' are the optimum for every budget in their range; {unproven}"
             if proven.any() else unproven)
    caption = (f"The least flow left at every budget from {fmt_number(a[0])} to "
               f"{fmt_number(float(attrs.get('up_to', b[-1])))} ({why}): {which} (Wood 1993 "
               f"MILP, HiGHS; {attrs.get('solves', len(table))} solves)")
    if not attrs.get("complete", a[0] <= 0):
        caption += (f"; budgets below {fmt_number(a[0])} not solved (at most "
                    f"{attrs.get('solves')} solves)")
    return shown[["budgets", *cols]], caption
