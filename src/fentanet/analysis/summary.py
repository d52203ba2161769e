"""The analysis of a network in one call: what ``fentanet analyze`` prints, the HTML report
shows and the web app serves.

:func:`analyze` runs the analysis layer's questions in a fixed order and collects the
answers in an :class:`AnalysisReport`: who matters (centralities; flow betweenness too
when the network carries flow; markets left out of the top actors), measures per phase
and rank movement between phases (networks observed in phases), the key-player sets,
the groups (communities) and who brokers between them, the supply bottleneck and the best
targets for a budget when the network carries flow, and how the network holds up under
attack. Every part is one of the public functions, with the settings recorded; a part
that cannot run on this network (no flow links, an acyclic network for eigenvector
centrality) is skipped with a note saying why.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fentanet.analysis.brokerage import brokerage
from fentanet.analysis.centrality import centrality, flow_pairs
from fentanet.analysis.communities import Communities, communities
from fentanet.analysis.flow import MaxFlow, fixed_terminals, max_flow
from fentanet.analysis.interdiction import Interdiction, interdict
from fentanet.analysis.keyplayers import KeyPlayerResult, key_players
from fentanet.analysis.resilience import resilience
from fentanet.analysis.temporal import (
    PhaseMeasures,
    links_without_phase,
    phase_measures,
    rank_dynamics,
)
from fentanet.errors import FentanetError, InputError
from fentanet.network.convert import as_network
from fentanet.network.model import Network

CENTRALITIES: tuple[str, ...] = ("degree", "betweenness", "closeness", "eigenvector",
                                 "pagerank")
"""Measures in the report's centrality table."""
SAMPLE_ABOVE = 3_000
"""Networks with more actors get betweenness sampled from :data:`SAMPLE_SOURCES`
sources (in the centrality table and the resilience rankings' block mode)."""
SAMPLE_SOURCES = 512
FLOW_EXACT_PAIRS = 20_000
"""Flow betweenness (one maximum flow per connected pair and carrier) is exact on networks
with at most this many connected pairs (:func:`~fentanet.analysis.centrality.flow_pairs`;
a generated network of 1,000 actors has about 19,000: 2-3 s) and estimated from
:data:`FLOW_SAMPLE_PAIRS` pairs drawn among them above it."""
FLOW_SAMPLE_PAIRS = 2_000
"""Pairs flow betweenness is estimated from above :data:`FLOW_EXACT_PAIRS`: on the
generated network of 1,000 actors, the top five within about 5% of their exact values
(median over draws), the first always first; about 1 s at 10^4 actors, 3 s at 10^5."""
PHASE_MEASURES: tuple[str, ...] = ("degree", "betweenness")
"""Measures computed per phase (networks with a ``phase`` link column); betweenness only
up to :data:`SAMPLE_ABOVE` actors."""
SEQUENTIAL_UP_TO = 2_000
"""Networks up to this many actors get sequential resilience attacks; larger ones are
ranked again every tenth of the removals (block mode)."""
STRATEGIES: tuple[str, ...] = ("random", "degree", "betweenness", "key_players")
"""Attacks in the resilience summary."""
DEFAULT_K = 5
"""Size of the key-player sets when none is given (the actors less two in a network of
fewer than seven)."""
TABLES: tuple[str, ...] = ("centrality", "key_players", "communities", "community_table",
                           "brokerage", "flow_cut", "flow_throughput", "interdiction",
                           "resilience", "resilience_summary", "phase_network",
                           "phase_centrality", "rank_movement")
"""Every table :meth:`AnalysisReport.tables` can give, by file stem (a network gives those
its parts ran for)."""


@dataclass
class AnalysisReport:
    """Everything :func:`analyze` found. Tables are pandas objects indexed by actor id
    where they are per actor; ``None`` marks a part that did not run (see ``notes``)."""

    network: dict[str, Any]
    centrality: pd.DataFrame
    """Per actor: ``kind`` and one column per measure of :data:`CENTRALITIES` that ran."""
    top: dict[str, pd.Series]
    """The top actors by each measure (value per actor id, best first); markets are left
    out (populations of people who use drugs, not people to target), and so are the
    source and sink of an untyped flow network (modelling devices), as from the
    key-player sets, the resilience attacks and interdiction."""
    key_players: dict[str, KeyPlayerResult]
    """Key-player sets: ``fragmentation`` (whom to remove) and ``reach`` (m = 2: whom to
    watch to reach most others); markets and a flow network's source and sink are never
    chosen."""
    communities: Communities | None
    community_table: pd.DataFrame | None
    brokerage: pd.DataFrame | None
    """Gould-Fernandez roles per actor, grouped by ``brokerage_groups``."""
    brokerage_groups: str
    flow: MaxFlow | None
    interdiction: Interdiction | None
    resilience: pd.DataFrame
    """Long table: ``strategy``, ``removed``, ``actor`` and the measures."""
    resilience_summary: pd.DataFrame
    """Per strategy: the measures after the last removal, removals until the largest
    component is half its size, and the mean largest component over the removals
    (robustness R, Schneider et al. 2011, PNAS 108:3838, over these removals)."""
    settings: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    phases: PhaseMeasures | None = None
    """Measures per phase (networks observed in phases), else ``None``."""
    rank_movement: pd.DataFrame | None = None
    """Kendall's tau-b between consecutive phases, per measure: ``measure``,
    ``phase_from``, ``phase_to``, ``tau``, ``p_value``, ``actors``."""

    def tables(self) -> dict[str, pd.DataFrame]:
        """The full tables by file stem, as ``fentanet analyze --out`` writes them."""
        out: dict[str, pd.DataFrame] = {"centrality": self.centrality.reset_index()}
        rows = [{"objective": name, "rank": i + 1, "actor": a, "score": r.score}
                for name, r in self.key_players.items() for i, a in enumerate(r.actors)]
        out["key_players"] = pd.DataFrame(rows, columns=["objective", "rank", "actor",
                                                         "score"])
        if self.communities is not None:
            out["communities"] = self.communities.membership.rename("community").reset_index()
            table = self.community_table.copy()
            table["top"] = table["top"].map(" ".join)
            out["community_table"] = table.reset_index()
        if self.brokerage is not None:
            out["brokerage"] = self.brokerage.reset_index()
        if self.flow is not None:
            out["flow_cut"] = self.flow.cut
            out["flow_throughput"] = self.flow.throughput.reset_index()
        if self.interdiction is not None:
            out["interdiction"] = self.interdiction.removed_table
        out["resilience"] = self.resilience
        out["resilience_summary"] = self.resilience_summary
        if self.phases is not None:
            out["phase_network"] = self.phases.network.reset_index()
            out["phase_centrality"] = self.phases.actors
        if self.rank_movement is not None:
            out["rank_movement"] = self.rank_movement
        return out

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain JSON-ready values."""
        def records(frame: pd.DataFrame | None) -> list | None:
            if frame is None:
                return None
            return frame.astype(object).where(frame.notna(), None).to_dict("records")

        flow = None
        if self.flow is not None:
            f = self.flow
            flow = {"value": f.value, "sources": f.sources, "sinks": f.sinks,
                    "cut_actors": f.cut_actors, "cut_links": f.cut_links,
                    "cut_demand": f.cut_demand, "cut": records(f.cut)}
        inter = None
        if self.interdiction is not None:
            i = self.interdiction
            inter = {"budget": i.budget, "target": i.target, "removed": i.removed,
                     "flow_before": i.flow_before, "flow_after": i.flow_after,
                     "optimal": i.optimal, "gap": i.gap, "cost_used": i.cost_used,
                     "method": i.method}
        comm = None
        if self.communities is not None:
            c = self.communities
            comm = {"method": c.method, "objective": c.objective, "quality": c.quality,
                    "n_communities": c.n_communities,
                    "membership": {str(k): int(v) for k, v in c.membership.items()},
                    "table": records(self.community_table.reset_index())}
        return {
            "network": self.network,
            "settings": self.settings,
            "top": {m: [{"actor": str(a), "value": float(v)} for a, v in s.items()]
                    for m, s in self.top.items()},
            "centrality": records(self.centrality.reset_index()),
            "key_players": {k: v.to_dict() for k, v in self.key_players.items()},
            "communities": comm,
            "brokerage_groups": self.brokerage_groups,
            "brokerage": records(None if self.brokerage is None
                                 else self.brokerage.reset_index()),
            "flow": flow,
            "interdiction": inter,
            "resilience": records(self.resilience),
            "resilience_summary": records(self.resilience_summary),
            "seconds": self.seconds,
            "notes": self.notes,
            "phases": None if self.phases is None else records(
                self.phases.network.reset_index()),
            "rank_movement": records(self.rank_movement),
        }


PART_WEIGHTS = {"centralities": 3, "flow betweenness": 3, "phases": 2, "key players": 8,
                "communities and brokers": 2, "maximum flow": 1, "interdiction": 3,
                "resilience": 78}
"""Rough shares of an analysis's time by part, for :func:`analyze`'s ``share``: on a
generated supply network of 10^4 actors resilience took 88% (217 s), key players 8%,
flow betweenness 2%, interdiction 1% (session 22, two loaded cores)."""


def analyze(
    net: Network,
    *,
    top: int = 10,
    k: int | None = None,
    budget: float | None = None,
    steps: int | None = None,
    seed: int = 0,
    strategies: tuple[str, ...] = STRATEGIES,
    repeats: int = 10,
    time_limit: float = 10.0,
    progress: Callable[[str], None] | None = None,
    share: Callable[[float, str], None] | None = None,
) -> AnalysisReport:
    """Analyse a network: centralities, key players, communities, brokers, the supply
    bottleneck and the optimal interdiction set (with flow links), and resilience.

    Parameters
    ----------
    net
        The network (person links for the social measures, as every analysis function).
    top
        How many actors :attr:`AnalysisReport.top` keeps per measure.
    k
        Size of the key-player sets (at most the actors less two). Default: 5, or the
        actors less two in a network of fewer than 7.
    budget
        Interdiction budget in the network's cost units (actor ``cost``; 1 per actor
        where missing). Default: the cost of removing ``k`` actors at the median cost.
    steps
        Removals in each resilience attack (default: 10% of the actors, at least 10, at
        most 50).
    seed
        Seeds the random parts (communities, key-player restarts, random attacks).
    strategies
        Resilience attacks (see :func:`fentanet.resilience`).
    repeats
        Runs averaged for the random attack.
    time_limit
        Seconds allowed to the interdiction MILP; past it the best set found is reported
        with its optimality gap.
    progress
        Called with the name of each part as it starts (``"centralities"``, ``"key
        players"``, ...), for a progress line: on 10^4 actors the analysis takes a minute.
    share
        Called with the share of the analysis done (0 to 1, rising) and what it is doing,
        as each part starts and after each removal of the resilience attacks (the longest
        part), for a progress bar; the parts weigh as :data:`PART_WEIGHTS`.

    >>> import pandas as pd
    >>> ring = Network(links=pd.DataFrame({"source": list("abcdef"),
    ...                                    "target": list("bcdefa")}), directed=False)
    >>> report = analyze(ring, k=2, steps=2)
    >>> report.key_players["fragmentation"].actors   # opposite actors: two pairs left
    ['a', 'd']
    >>> # two arrests: by degree a then c leave d-e-f; by betweenness a then d leave pairs
    >>> report.resilience_summary.set_index("strategy")["lcc"].round(3).to_dict()
    {'random': 0.533, 'degree': 0.5, 'betweenness': 0.333, 'key_players': 0.333}
    """
    net = as_network(net)  # a networkx or igraph graph too, as centrality takes
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise InputError(f"top must be a whole number >= 1, got {top!r}", field="top")
    n = net.n_actors
    if n < 3:
        raise InputError(f"network '{net.name}' has {n} actors; the analysis needs at "
                         "least 3", field="net")
    if k is None:
        k = min(DEFAULT_K, n - 2)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= n - 2:
        raise InputError(f"k (the key-player set size) must be a whole number from 1 to "
                         f"{n - 2} for this network of {n} actors, got {k!r}", field="k")
    if budget is not None:
        if isinstance(budget, bool) or not isinstance(budget, int | float) or not (
                np.isfinite(budget) and budget >= 0):
            raise InputError(f"budget must be a number >= 0, got {budget!r}", field="budget")
        if not net.has_flow:
            raise InputError(f"a budget was given but network '{net.name}' has no flow "
                             "links to interdict", field="budget")
    notes: list[str] = []
    seconds: dict[str, float] = {}
    clock = time.perf_counter

    plan = ["centralities", *(["flow betweenness"] if net.has_flow else []),
            *(["phases"] if len(net.phases) >= 2 else []), "key players",
            "communities and brokers", *(["maximum flow", "interdiction"] if net.has_flow
                                          else []), "resilience"]
    weight = {p: PART_WEIGHTS[p] / sum(PART_WEIGHTS[q] for q in plan) for p in plan}
    begins = dict(zip(plan, np.cumsum([0.0, *(weight[p] for p in plan[:-1])]), strict=True))

    def part(name: str) -> None:
        if progress is not None:
            progress(name)
        if share is not None:
            share(float(begins[name]), name)

    def removed(strategy: int, name: str, done: int, total: int) -> None:
        if share is not None:  # each attack an equal part of resilience's share
            share(float(begins["resilience"] + weight["resilience"] * (
                strategy + done / max(total, 1)) / len(strategies)),
                f"resilience: {name}, {done} of {total} removals")

    # who matters
    part("centralities")
    t0 = clock()
    sample = SAMPLE_SOURCES if n > SAMPLE_ABOVE else None
    cols: dict[str, pd.Series] = {}
    for measure in CENTRALITIES:
        try:
            cols[measure] = centrality(net, measure,
                                       **({"sample": sample, "seed": seed}
                                          if measure == "betweenness" and sample else {}))
        except FentanetError as exc:
            notes.append(f"{measure} centrality skipped: {exc}")
    if sample:
        notes.append(f"betweenness sampled from {sample} sources ({n} actors)")
    flow_sample = None
    if net.has_flow:
        try:
            part("flow betweenness")
            pairs = flow_pairs(net)
            flow_sample = FLOW_SAMPLE_PAIRS if pairs > FLOW_EXACT_PAIRS else None
            cols["flow_betweenness"] = centrality(net, "flow_betweenness",
                                                  sample=flow_sample, seed=seed)
        except FentanetError as exc:
            notes.append(f"flow betweenness skipped: {exc}")
        else:
            if flow_sample:
                notes.append(f"flow betweenness estimated from {flow_sample:,} of the "
                             f"{pairs:,} connected pairs, drawn at random (exact up to "
                             f"{FLOW_EXACT_PAIRS:,})")
    table = pd.DataFrame({"kind": net.actors["kind"].to_numpy()}, index=net.id_index)
    table.index.name = "actor"
    for name, values in cols.items():
        table[name] = values.to_numpy()
    people = (net.actors["kind"] != "market").to_numpy(dtype=bool, copy=True)
    if net.is_typed and not people.all():
        notes.append(f"{int((~people).sum())} markets left out of the top actors: they "
                     "are populations of people who use drugs, not people to target (their "
                     "values are in the centrality table)")
    else:
        people = np.ones(n, dtype=bool)
    fixed = fixed_terminals(net)   # an untyped flow network's source and sink (meta)
    if fixed.any():
        people &= ~fixed
        notes.append(f"the flow network's source and sink ({', '.join(net.ids[fixed])}) "
                     "left out of the top actors, the key players and the resilience "
                     "attacks, as out of interdiction: modelling devices, not actors to "
                     "target (their values are in the centrality table)")
    ranked = {name: _top(values[people], top) for name, values in cols.items()}
    seconds["centrality"] = clock() - t0

    # phases: measures per phase and how ranks move between them
    phases = movement = None
    if len(net.phases) >= 2:
        part("phases")
        t0 = clock()
        phases, movement = _phases(net, n, top)
        seconds["phases"] = clock() - t0
        if unphased := links_without_phase(net):
            notes.append(f"{unphased} link{'s' * (unphased > 1)} without a phase: counted in "
                         "the whole network, in no phase")

    # key players
    part("key players")
    t0 = clock()
    targets = None     # markets are communities of people who use drugs, not targets
    if not people.all():
        targets = net.ids[people].tolist()
    kp = {"fragmentation": key_players(net, k, "fragmentation", seed=seed,
                                       candidates=targets),
          "reach": key_players(net, k, "reach", m=2, seed=seed, candidates=targets)}
    seconds["key_players"] = clock() - t0

    # groups and brokers
    part("communities and brokers")
    t0 = clock()
    comm = communities(net, seed=seed)
    groups = "kind" if net.is_typed else "community"
    broker = brokerage(net, "kind" if net.is_typed else comm)
    seconds["communities"] = clock() - t0

    # supply: bottleneck and interdiction
    flow = inter = None
    if net.has_flow:
        part("maximum flow")
        t0 = clock()
        try:
            flow = max_flow(net)
        except FentanetError as exc:
            notes.append(f"max flow skipped: {exc}")
        seconds["flow"] = clock() - t0
        if flow is not None and np.isfinite(flow.value) and flow.value > 0:
            part("interdiction")
            t0 = clock()
            target = "actors" if net.is_typed else "links"
            spend = _default_budget(net, k, target) if budget is None else budget
            inter = interdict(net, spend, target=target, time_limit=time_limit)
            if not inter.optimal:
                notes.append(f"interdiction not proven optimal within {time_limit:g} s "
                             f"(gap {inter.gap:.1%})")
            seconds["interdiction"] = clock() - t0
        elif flow is not None:
            notes.append(f"interdiction skipped: the maximum flow is {flow.value}")
    else:
        notes.append("no flow links: no bottleneck or interdiction")

    # resilience
    part("resilience")
    t0 = clock()
    curves, summary, mode = _resilience(net, strategies, steps, seed, repeats, flow, notes,
                                        removed if share is not None else None)
    seconds["resilience"] = clock() - t0

    return AnalysisReport(
        network=net.summary(), centrality=table, top=ranked, key_players=kp,
        communities=comm, community_table=comm.table(top=3), brokerage=broker,
        brokerage_groups=groups, flow=flow, interdiction=inter, resilience=curves,
        resilience_summary=summary,
        settings={"top": top, "k": k, "budget": None if inter is None else inter.budget,
                  "steps": int(curves["removed"].max()) if len(curves) else 0,
                  "seed": seed, "strategies": list(strategies), "repeats": repeats,
                  "resilience_mode": mode,
                  "betweenness_sample": sample, "flow_betweenness_sample": flow_sample},
        seconds={key: round(v, 3) for key, v in seconds.items()}, notes=notes,
        phases=phases, rank_movement=movement)


def _phases(net: Network, n: int, top: int) -> tuple[PhaseMeasures, pd.DataFrame]:
    """Measures per phase and Kendall's tau between consecutive phases, per measure."""
    measures = PHASE_MEASURES if n <= SAMPLE_ABOVE else PHASE_MEASURES[:1]
    per_phase = phase_measures(net, measures)
    frames = []
    for measure in measures:
        tau = rank_dynamics(net, measure, top=top).tau
        tau.insert(0, "measure", measure)
        frames.append(tau)
    return per_phase, pd.concat(frames, ignore_index=True)


def _top(values: pd.Series, top: int) -> pd.Series:
    """The ``top`` largest values, ties in network order."""
    order = np.lexsort((np.arange(len(values)), -values.to_numpy()))
    return values.iloc[order[:top]]


def _default_budget(net: Network, k: int, target: str) -> float:
    """The cost of removing ``k`` targets at the median cost (1 where no costs)."""
    table = net.actors if target == "actors" else net.links
    if "cost" not in table.columns:
        return float(k)
    costs = pd.to_numeric(table["cost"], errors="coerce").dropna()
    costs = costs[costs > 0]
    return float(k * costs.median()) if len(costs) else float(k)


def _resilience(net: Network, strategies: tuple[str, ...], steps: int | None, seed: int,
                repeats: int, flow: MaxFlow | None, notes: list[str],
                removed: Callable[[int, str, int, int], None] | None = None
                ) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    n = net.n_actors
    if steps is None:
        steps = int(min(50, max(10, round(0.1 * n))))
    measures = ["lcc", "components"]
    if flow is not None and np.isfinite(flow.value) and flow.value > 0:
        measures.append("flow")
    mode, block = ("sequential", 1) if n <= SEQUENTIAL_UP_TO else ("block",
                                                                    max(1, steps // 10))
    if mode == "block":
        notes.append(f"resilience rankings recomputed every {block} removals "
                     f"({n} actors)")
    frames, rows = [], []
    for i, strategy in enumerate(strategies):
        df = resilience(net, strategy, mode=mode, block=block, steps=steps, measure=measures,
                        repeats=repeats if strategy == "random" else 1, seed=seed,
                        progress=None if removed is None else functools.partial(
                            removed, i, strategy))
        if "actor" not in df:
            df.insert(1, "actor", None)
        df = df[["removed", "actor", *measures]]
        df.insert(0, "strategy", strategy)
        frames.append(df)
        lcc = df["lcc"].to_numpy()
        half = np.flatnonzero(lcc <= 0.5)
        row = {"strategy": strategy, "removed": int(df["removed"].iloc[-1]),
               "lcc": float(lcc[-1]), "components": float(df["components"].iloc[-1]),
               "removals_to_half": int(df["removed"].iloc[half[0]]) if half.size else None,
               "robustness": float(lcc[1:].mean()) if lcc.size > 1 else 1.0}
        if "flow" in measures:
            row["flow"] = float(df["flow"].iloc[-1])
        rows.append(row)
    return pd.concat(frames, ignore_index=True), pd.DataFrame(rows), mode
