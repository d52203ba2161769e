"""Networks observed in phases: measures per phase and how ranks move between phases.

A network with a ``phase`` link column (CAVIAR's 11 two-month wiretap phases, say) is
analysed phase by phase, as Morselli & Petit (2007) and Morselli (2009, *Inside Criminal
Networks*) did: the network of a phase holds the links observed in it and the
actors they join (:meth:`Network.at_phase`), so centralities are normalised by the size
of that phase's network.

A link without a phase (an empty ``phase`` cell) counts in the whole network and belongs
to no phase, as :meth:`Network.as_of` treats a missing ``start`` or ``end`` as open
(:func:`links_without_phase` counts them).

Rank stability between consecutive phases is Kendall's τ-b (Kendall 1945, with ties),
computed by :func:`scipy.stats.kendalltau` over the actors seen in either phase (an actor
not seen in a phase scores 0 there) or, with ``absent="drop"``, over those seen in both.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from fentanet.analysis.centrality import _measure_name, centrality
from fentanet.analysis.structure import network_measures
from fentanet.errors import InputError
from fentanet.network.convert import as_network
from fentanet.network.model import Network


@dataclass(frozen=True)
class PhaseMeasures:
    """Measures of a network phase by phase.

    Attributes
    ----------
    actors
        Tidy table, one row per (phase, actor, measure): columns ``phase``, ``actor``,
        ``measure``, ``value`` and ``rank`` (1 = the highest value in that phase; ties
        share the best rank). Only actors seen in a phase have rows for it.
    network
        One row per phase (index ``phase``) with the whole-network measures of
        :func:`fentanet.analysis.structure.network_measures`: actors, links, density,
        components, largest_component, isolates, mean_degree, degree_centralization,
        betweenness_centralization, transitivity.
    """

    actors: pd.DataFrame
    network: pd.DataFrame

    def __repr__(self) -> str:
        """The phases, actors and measures, not the tables (print them: ``.actors``,
        ``.network``, ``.wide(measure)``)."""
        measures = ", ".join(dict.fromkeys(self.actors["measure"]))
        return (f"<PhaseMeasures: {len(self.network)} phases, "
                f"{self.actors['actor'].nunique()} actors; measures {measures or 'none'}>")

    def wide(self, measure: str, column: Literal["value", "rank"] = "value") -> pd.DataFrame:
        """One measure as a table: actors (rows, in order of first appearance) by phases
        (columns); NaN where an actor is not seen in a phase."""
        measure = _measure_name(measure)
        rows = self.actors[self.actors["measure"] == measure]
        if rows.empty:
            have = sorted(self.actors["measure"].unique())
            raise InputError(f"measure '{measure}' was not computed; have {have}",
                             field="measure")
        table = rows.pivot(index="actor", columns="phase", values=column)
        return table.loc[pd.unique(rows["actor"]), pd.unique(rows["phase"])]


@dataclass(frozen=True)
class RankDynamics:
    """How actors' ranks by one measure move from phase to phase.

    Attributes
    ----------
    measure
        The centrality measure ranked.
    tau
        One row per pair of consecutive phases: ``phase_from``, ``phase_to``, ``tau``
        (Kendall's τ-b; NaN when a phase gives every actor the same value), ``p_value``
        and ``actors`` (how many were compared).
    ranks
        Rank trajectories (1 = most central) of the actors that reach the top ``top`` in
        at least one phase: actors as rows (best mean rank first), phases as columns, NaN
        where the actor is not seen.
    values
        The measure's values for the same actors and phases.
    """

    measure: str
    tau: pd.DataFrame
    ranks: pd.DataFrame
    values: pd.DataFrame

    def __repr__(self) -> str:
        """The measure, the phases and the mean of τ, not the tables (print ``.tau``,
        ``.ranks``, ``.values``)."""
        tau = self.tau["tau"].mean() if len(self.tau) else float("nan")
        return (f"<RankDynamics: {self.measure} over {self.ranks.shape[1]} phases, "
                f"{len(self.ranks)} actors followed; mean tau {tau:.3f} over "
                f"{len(self.tau)} pairs of phases>")


def links_without_phase(net: Network) -> int:
    """Links with an empty ``phase`` in a network observed in phases (0 in a network
    without phases): they count in the whole network and in no phase."""
    if not net.phases:
        return 0
    return int(net.links["phase"].isna().sum())


def _phase_list(net: Network, phases: Iterable[Any] | None) -> list:
    if "phase" not in net.links.columns or not net.phases:
        raise InputError(f"network '{net.name}' has no phases (no link column 'phase' with "
                         "values); load one observed over time, such as "
                         "datasets.load('caviar_phases')", field="phase")
    if phases is None:
        return net.phases
    chosen = list(phases)
    unknown = [p for p in chosen if p not in net.phases]
    if unknown:
        raise InputError(f"no phase(s) {unknown}; the phases are {net.phases}", field="phases")
    if not chosen:
        raise InputError("no phases chosen", field="phases")
    return chosen


def phase_measures(
    net: Network,
    measures: Sequence[str] = ("degree", "betweenness"),
    *,
    phases: Iterable[Any] | None = None,
    network_level: bool = True,
    **options,
) -> PhaseMeasures:
    """Centralities of every actor and whole-network measures, phase by phase.

    Parameters
    ----------
    net
        A network whose links carry a ``phase`` column.
    measures
        Centrality measures (see :func:`fentanet.analysis.centrality.centrality`).
    phases
        The phases to analyse, in order (default: all, sorted).
    network_level
        Also compute the whole-network measures per phase (``network`` table).
    options
        Passed to :func:`centrality` (``normalized``, ``weight``, ``weight_as``,
        ``link_kinds``, ``directed``, ...); ``link_kinds`` and ``directed`` also apply to
        the network-level measures.

    Examples
    --------
    >>> links = pd.DataFrame({"source": ["a", "a", "b"], "target": ["b", "c", "c"],
    ...                       "phase": [1, 1, 2]})
    >>> pm = phase_measures(Network(links=links, directed=False), ["degree"])
    >>> pm.wide("degree").to_dict()
    {1: {'a': 1.0, 'b': 0.5, 'c': 0.5}, 2: {'a': nan, 'b': 1.0, 'c': 1.0}}
    """
    net = as_network(net)  # a networkx or igraph graph too, as centrality takes
    chosen = _phase_list(net, phases)
    if isinstance(measures, str):
        measures = [measures]
    names = [_measure_name(m) for m in measures]
    if not names:
        raise InputError("no measures given", field="measures")
    frames = []
    summary = []
    structure_opts = {k: options[k] for k in ("link_kinds", "directed") if k in options}
    for phase in chosen:
        sub = net.at_phase(phase)
        for name in names:
            values = centrality(sub, name, **options)
            frames.append(pd.DataFrame({
                "phase": phase,
                "actor": values.index.to_numpy(dtype=object),
                "measure": name,
                "value": values.to_numpy(dtype=np.float64),
                "rank": values.rank(ascending=False, method="min").to_numpy(dtype=np.int64),
            }))
        if network_level:
            summary.append({"phase": phase, **network_measures(sub, **structure_opts)})
    actors = pd.concat(frames, ignore_index=True)
    network = (pd.DataFrame(summary).set_index("phase") if network_level
               else pd.DataFrame(index=pd.Index(chosen, name="phase")))
    return PhaseMeasures(actors=actors, network=network)


def rank_dynamics(
    net: Network,
    measure: str = "degree",
    *,
    top: int = 5,
    phases: Iterable[Any] | None = None,
    absent: Literal["zero", "drop"] = "zero",
    **options,
) -> RankDynamics:
    """Kendall's τ between consecutive phases and the rank trajectories of the top actors.

    Parameters
    ----------
    net
        A network whose links carry a ``phase`` column.
    measure
        The centrality measure to rank by (default degree).
    top
        Trajectories are kept for the actors ranked in the top ``top`` of some phase.
    phases
        The phases, in order (default: all, sorted).
    absent
        ``"zero"`` (default): τ over the actors seen in either phase, an absent actor
        scoring 0; ``"drop"``: τ over the actors seen in both.
    options
        Passed to :func:`centrality`.
    """
    net = as_network(net)  # a networkx or igraph graph too, as centrality takes
    if absent not in ("zero", "drop"):
        raise InputError(f"unknown absent '{absent}'; expected 'zero' or 'drop'",
                         field="absent")
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise InputError(f"top must be a whole number, at least 1; got {top!r}", field="top")
    name = _measure_name(measure)
    pm = phase_measures(net, [name], phases=phases, network_level=False, **options)
    values = pm.wide(name)
    ranks = pm.wide(name, "rank")
    cols = list(values.columns)
    rows = []
    for before, after in itertools.pairwise(cols):
        x, y = values[before], values[after]
        seen = x.notna() & y.notna() if absent == "drop" else x.notna() | y.notna()
        xs = x[seen].fillna(0.0).to_numpy()
        ys = y[seen].fillna(0.0).to_numpy()
        if xs.size >= 2 and np.ptp(xs) > 0 and np.ptp(ys) > 0:
            res = stats.kendalltau(xs, ys)
            tau, p = float(res.statistic), float(res.pvalue)
        else:
            tau = p = float("nan")
        rows.append({"phase_from": before, "phase_to": after, "tau": tau, "p_value": p,
                     "actors": int(seen.sum())})
    leaders = ranks.index[(ranks <= top).any(axis=1).to_numpy()]
    # best mean rank first, an absence counting as the last rank of that phase
    worst = ranks.max(axis=0) + 1
    mean_rank = ranks.loc[leaders].fillna(worst).mean(axis=1)
    order = mean_rank.sort_values(kind="stable").index
    return RankDynamics(
        measure=name,
        tau=pd.DataFrame(rows, columns=["phase_from", "phase_to", "tau", "p_value", "actors"]),
        ranks=ranks.loc[order],
        values=values.loc[order],
    )
