"""Targeting: which actors an operation aims at, from the network the police know.

Rules: ``random``; the top ``count`` actors by a centrality (``degree`` computed here;
``betweenness``, ``closeness``, ``eigenvector``, ``pagerank``, ``harmonic``, ``katz``,
``collective_influence`` through :func:`fentanet.centrality`); and three set rules, each
choosing among the candidates only (the alive actors of the intervention's kinds; the other
actors stay in the network but cannot be chosen): ``key_players`` (the KPP-Neg
fragmentation set of :func:`fentanet.key_players` with ``candidates=``; enumerated when
there are at most :data:`KP_EXACT_SETS` sets); ``min_cut`` (the minimum vertex cut between
suppliers and markets with only candidates cuttable, see :func:`_vertex_cut`);
``interdiction`` (the optimal set of :func:`fentanet.interdict` with ``candidates=`` and a
budget of ``count`` unit-cost actors, filled to ``count`` by flow carried; exact up to
:data:`EXACT_ACTORS` actors within :data:`MILP_NODES`, else its heuristic). An operation
given fewer targets than ``count`` (organizations for a takedown) warns once a run.

Rankings use the *known* network (alive actors, alive links the police have observed)
unless ``view="true"``; centralities of people use person-to-person links (flow links and
ties), not ``member_of``; eigenvector centrality is taken with the links' direction dropped
(on the directed flow links of a supply chain, which are acyclic, it is not defined).
Targets are recomputed every ``retarget_every`` years, not every
step. Only alive actors of the kinds the intervention acts on are targeted; for an
organization takedown the targets are the organizations of the top-ranked members, and
the targeted slots are their members.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from fentanet.errors import InputError, warn_run
from fentanet.network.model import Network
from fentanet.simulate.params import INTERVENTION_KINDS
from fentanet.simulate.state import KIND, LINK_KINDS, LKIND

EXACT_ACTORS = 2000
"""Largest known network (actors) whose interdiction set is solved exactly (MILP); larger
ones get :func:`fentanet.interdict`'s heuristic, so that retargeting never stalls a step."""

MILP_NODES = 2000
"""Branch-and-bound nodes the MILP may take at one retargeting; past that the heuristic's
set is used. A node limit, not a time limit: the targets, and so the run, must not depend
on the machine's speed or load."""

KP_EXACT_SETS = 5_000
"""Key players among at most this many candidate sets are found by enumerating them (a
proven optimum); more get :func:`fentanet.key_players`' greedy-and-swap search."""

SET_RULES = ("key_players", "min_cut", "interdiction")
FLOW_LINKS = ("supplies", "ships", "distributes", "sells_to")

PERSON_LINKS = ("supplies", "ships", "distributes", "sells_to", "diverts_to", "tie", "flow")


def current(sim, j: int, iv) -> np.ndarray:
    """Target slots of intervention ``j`` at this step (recomputed when due): those chosen
    at the last recomputation still held by the actor chosen (same uid) and alive. A
    newcomer in an arrested target's place (a recruit or a replaced seller: fresh uid, links
    unknown to the police) is not a target until a recomputation picks it; a takedown's
    targets are the members of the targeted organizations, newcomers in their places
    included."""
    every = max(1, round(sim.scenario.retarget_every / sim.dt))
    last = sim.targets_at.get(j)
    a = sim.s.actors
    if last is None or sim.step - last >= every:
        surveil(sim)
        slots, note = _select(sim, iv)
        if note and j not in sim.target_warned:
            _warn_few(sim, iv, slots, note)
            sim.target_warned.add(j)
        sim.targets[j] = slots
        sim.target_uids[j] = a.uid[slots].copy()
        sim.targets_at[j] = sim.step
    slots = sim.targets[j]
    held = a.alive[slots]
    if iv.kind != "organization_takedown":
        held &= a.uid[slots] == sim.target_uids[j]
    return slots[held]


def _warn_few(sim, iv, slots: np.ndarray, note: str) -> None:
    """Say, once a run for each operation, that it has fewer targets than it asked for
    (none at all: it raises no hazard, and its cost is still charged)."""
    a = sim.s.actors
    takedown = iv.kind == "organization_takedown"
    got = np.unique(a.org[slots]).size if takedown else slots.size
    what = "organization(s)" if takedown else "target(s)"
    warn_run(f"{iv.kind} by {iv.target.rule} ({iv.target.view} view) at {sim.t:.3g} years: "
             f"{got} {what} of the {iv.target.count} asked ({note}); its cost is charged in "
             "full", stacklevel=2)


def surveil(sim) -> None:
    """What surveillance has revealed by now: an unknown alive link is known once the
    surveillance clock (``sim.surveillance``: the integral of ``reveal_rate * intel`` over
    the run's time, intel the multiplier of intelligence sharing; advanced each step by
    :func:`fentanet.simulate.phases.interventions.run`) has run ``-log(u)`` past the
    clock at its birth (``links.born``), ``u`` uniform keyed by the link's endpoints and
    kind alone: a link is known within ``H`` of clock with probability ``1 - exp(-H)``.

    The draw is the link's, not the look's, so what is known at a time does not depend on
    when, or how often, anyone looked: two targeted operations that retarget on other
    steps, or one at intensity 0 beside another, see the same network (until the
    nineteenth session each look drew afresh for the time since the last one, so an
    operation's retargeting steps changed another's targets, docs/model.md section 11)."""
    from fentanet.simulate.phases.enforcement import link_keys

    s = sim.s
    a, ln = s.actors, s.links
    li = np.flatnonzero(~ln.known & ln.alive & a.alive[ln.src] & a.alive[ln.dst])
    if not li.size:
        return
    u = sim.streams.uniform("knowledge.surveillance", 0, link_keys(sim, li))
    ln.known[li[u < -np.expm1(ln.born[li] - sim.surveillance)]] = True


def _visible_links(sim, view: str) -> np.ndarray:
    s = sim.s
    a, ln = s.actors, s.links
    ok = ln.alive & a.alive[ln.src] & a.alive[ln.dst]
    if view == "known":
        ok &= ln.known
    return ok


def known_network(sim, view: str = "known", person_links: bool = True) -> Network:
    """The network as the police see it now (alive actors; known alive links), with
    actor ids the slots' labels and a ``slot`` column."""
    s = sim.s
    a, ln = s.actors, s.links
    ok = _visible_links(sim, view)
    if person_links:
        ok &= np.isin(ln.kind, [LKIND[k] for k in PERSON_LINKS])
    slots = np.flatnonzero(a.alive)
    kinds = np.array(list(KIND))[a.kind[slots]]
    demand = np.full(a.n, np.nan)
    demand[s.markets] = s.demand0
    capacity = np.where(a.capacity > 0, a.capacity, np.nan)
    actors = pd.DataFrame({"id": a.label[slots], "kind": kinds, "uid": a.uid[slots],
                           "slot": slots, "capacity": capacity[slots],
                           "demand": demand[slots]})
    actors["cost"] = np.where(np.isin(a.kind[slots], [KIND["market"]]), np.nan, 1.0)
    li = np.flatnonzero(ok)
    names = np.array(LINK_KINDS, dtype=object)
    links = pd.DataFrame({"source": a.label[ln.src[li]], "target": a.label[ln.dst[li]],
                          "kind": names[ln.kind[li]],
                          "capacity": ln.capacity[li]})
    pos = np.full(a.n, -1, dtype=np.int32)
    pos[slots] = np.arange(slots.size, dtype=np.int32)
    return Network._from_parts(actors, links, directed=True, name="known",
                               src=pos[ln.src[li]], dst=pos[ln.dst[li]],
                               index=pd.Index(actors["id"].to_numpy(dtype=object)))


def _candidates(sim, iv) -> np.ndarray:
    a = sim.s.actors
    kinds = [KIND[k] for k in INTERVENTION_KINDS[iv.kind]["acts_on"]]
    ok = a.alive & np.isin(a.kind, kinds) & ~(a.legit & (a.kind == KIND["supplier"]))
    if iv.target.view == "known":
        ln = sim.s.links
        vis = _visible_links(sim, "known")
        seen = np.zeros(a.n, dtype=bool)
        seen[ln.src[vis]] = True
        seen[ln.dst[vis]] = True
        ok &= seen
    return np.flatnonzero(ok)


def _scores(sim, iv, cand: np.ndarray) -> np.ndarray:
    """Higher = targeted first, one score per candidate slot (random and the
    centralities)."""
    rule = iv.target.rule
    a = sim.s.actors
    if rule == "random":
        return sim.streams.uniform("targeting.random", sim.step, a.uid[cand])
    if rule == "degree":
        s = sim.s
        ln = s.links
        ok = _visible_links(sim, iv.target.view) & np.isin(
            ln.kind, [LKIND[k] for k in PERSON_LINKS])
        deg = np.bincount(ln.src[ok], minlength=a.n) + np.bincount(ln.dst[ok], minlength=a.n)
        return deg[cand].astype(np.float64)
    net = known_network(sim, iv.target.view)
    score = pd.Series(0.0, index=net.actors["id"].to_numpy(dtype=object))
    fentanet = _analysis(rule)
    kw = {"seed": sim.seed}
    if rule == "betweenness" and iv.target.sample and net.n_actors > 2000:
        kw["sample"] = iv.target.sample
    if rule == "eigenvector":  # not defined on the acyclic directed flow links
        kw["directed"] = False
    score = fentanet.centrality(net, rule, **kw).reindex(score.index).fillna(0.0)
    by_slot = np.zeros(a.n)
    by_slot[net.actors["slot"].to_numpy()] = score.to_numpy(dtype=np.float64)
    return by_slot[cand]


def _analysis(rule: str):
    """The package's analysis functions (imported here: simulate sits above analysis)."""
    import fentanet

    if not all(hasattr(fentanet, f) for f in ("centrality", "key_players", "max_flow",
                                                "interdict")):
        raise InputError(f"targeting rule '{rule}' needs the analysis layer",
                         field="target.rule")
    return fentanet


def _set_rule(fentanet, net: Network, iv, sim, candidates: list[str]) -> tuple[list, str]:
    """The targets of a set rule among ``candidates`` (ids of ``net``), best first, and
    why there are fewer than ``count`` of them when there are ('' otherwise)."""
    rule, k = iv.target.rule, iv.target.count
    if rule == "key_players":
        size = min(k, len(candidates), net.n_actors - 2)
        if size < 1:
            return [], f"{len(candidates)} candidate(s) in a network of {net.n_actors}"
        exact = math.comb(len(candidates), size) <= KP_EXACT_SETS
        res = fentanet.key_players(net, size, "fragmentation", seed=sim.seed,
                                   candidates=candidates, exact=exact)
        note = "" if size == k else f"only {len(candidates)} candidate(s)"
        return list(res.actors), note
    flow_net = net.select(link_kinds=list(FLOW_LINKS))
    if not (flow_net.actors["kind"] == "supplier").any():
        # no precursor source (none in the network, or none alive): no flow to cut
        return [], "no supplier in the network: no supply flow"
    if not flow_net.n_links:
        return [], "no supply link in the network"
    if rule == "min_cut":
        return _vertex_cut(fentanet, flow_net, candidates, k)
    budget = float(k)
    exact = net.n_actors <= EXACT_ACTORS
    kw = {"target": "actors", "cost": "cost", "candidates": candidates}
    res = fentanet.interdict(flow_net, budget, exact=exact,
                             node_limit=MILP_NODES if exact else None, **kw)
    if res.method == "milp" and not res.optimal:
        # the solver reached its node limit: the heuristic's set is used, as on larger
        # networks (either way a function of the network alone)
        res = fentanet.interdict(flow_net, budget, exact=False, **kw)
    chosen = list(res.removed)
    if len(chosen) < k:
        # the optimal set is minimal (each member lowers the flow); any larger set within
        # the budget is optimal too: fill it with the candidates carrying the most flow
        # left, then the most flow before, among those carrying any
        before = fentanet.max_flow(flow_net).throughput
        after = res.after.throughput
        rest = [c for c in candidates if c in before.index and c not in set(chosen)
                and (before[c] > 0 or after.get(c, 0.0) > 0)]
        rest.sort(key=lambda c: (-after.get(c, 0.0), -before[c]))
        chosen += rest[: k - len(chosen)]
    note = "" if len(chosen) >= k else f"only {len(chosen)} candidate(s) carry supply"
    return chosen, note


def _vertex_cut(fentanet, flow_net: Network, candidates: list[str], k: int
                ) -> tuple[list, str]:
    """The minimum vertex cut among ``candidates`` between the suppliers and the markets:
    the fewest candidates whose removal leaves no supply path of positive capacity
    (each candidate weighs 1; every other actor, link and market demand is uncuttable).
    Best first by the flow each carries in the maximum flow of the network's own
    capacities. A cut larger than ``k`` gives its ``k`` members carrying the most flow;
    when no cut exists among the candidates (a supply path avoids them all), the ``k``
    candidates carrying the most flow are taken instead."""
    flow = fentanet.max_flow(flow_net)
    carried = flow.throughput
    if not flow.value > 0:
        return [], "no supply path of positive capacity from the suppliers to the markets"
    actors, links = flow_net.actors.copy(), flow_net.links.copy()
    cap = pd.to_numeric(actors["capacity"], errors="coerce")
    is_cand = actors["id"].isin(candidates).to_numpy()
    open_ = (cap.isna() | (cap > 0)).to_numpy()
    actors["capacity"] = np.where(open_, np.where(is_cand, 1.0, np.nan), 0.0)
    demand = pd.to_numeric(actors["demand"], errors="coerce")
    actors["demand"] = np.where((demand > 0).to_numpy() | demand.isna().to_numpy(),
                                np.nan, 0.0)
    lcap = pd.to_numeric(links["capacity"], errors="coerce")
    links["capacity"] = np.where((lcap.isna() | (lcap > 0)).to_numpy(), np.nan, 0.0)
    weighted = flow_net._replace(actors=actors, links=links, src=flow_net.source_index,
                                 dst=flow_net.target_index)
    cut = fentanet.max_flow(weighted)
    in_flow = [c for c in candidates if c in carried.index]
    if np.isfinite(cut.value):
        pool, note = list(cut.cut_actors), ""
        if len(pool) < k:
            note = f"a cut of {len(pool)} separates the suppliers from the markets"
    else:
        pool = [c for c in in_flow if carried[c] > 0]
        note = "" if len(pool) >= k else (
            f"no cut among the candidates; {len(pool)} of them carry supply")
    pool.sort(key=lambda c: -carried.get(c, 0.0))  # stable: the cut's order on ties
    return pool[:k], note


def select(sim, iv) -> np.ndarray:
    """The slots targeted by intervention ``iv`` now."""
    return _select(sim, iv)[0]


def _select(sim, iv) -> tuple[np.ndarray, str]:
    """The slots targeted now, and why there are fewer than ``count`` targets (or
    organizations, for a takedown) when there are."""
    a = sim.s.actors
    cand = _candidates(sim, iv)
    if iv.kind == "organization_takedown":
        cand = cand[a.org[cand] >= 0]
    if not cand.size:
        known = " known to the police" if iv.target.view == "known" else ""
        return np.zeros(0, dtype=np.int64), f"no alive actor of its kinds{known}"
    rule = iv.target.rule
    note = ""
    if rule in SET_RULES:
        net = known_network(sim, iv.target.view)
        labels = a.label[cand].tolist()
        chosen, note = _set_rule(_analysis(rule), net, iv, sim, labels)
        rank = {x: len(chosen) - i for i, x in enumerate(chosen)}
        score = np.array([rank.get(x, 0) for x in labels], dtype=np.float64)
    else:
        score = _scores(sim, iv, cand)
    # highest score first; ties broken by uid (stable, reproducible)
    order = np.lexsort((a.uid[cand], -score))
    ranked = cand[order]
    if rule in SET_RULES:
        ranked = ranked[score[order] > 0]
    if iv.kind == "organization_takedown":
        count = iv.target.count
        orgs = list(pd.unique(a.org[ranked])[:count])
        if rule in SET_RULES and len(orgs) < count:
            # the set's members share organizations: the others by their members' degree
            by_degree = iv.model_copy(update={"target": iv.target.model_copy(
                update={"rule": "degree"})})
            deg = _scores(sim, by_degree, cand)
            for org in pd.unique(a.org[cand[np.lexsort((a.uid[cand], -deg))]]):
                if len(orgs) == count:
                    break
                if org not in orgs:
                    orgs.append(org)
        hit = np.isin(a.org, orgs) & a.alive
        # fewer than asked: every candidates' organization is hit (filled by degree)
        note = "" if len(orgs) == count else (
            f"the candidates belong to {pd.unique(a.org[cand]).size} organization(s)")
        return np.flatnonzero(hit), note
    out = ranked[: iv.target.count]
    if out.size < iv.target.count and not note:
        known = " known to the police" if iv.target.view == "known" else ""
        note = f"only {cand.size} alive actor(s) of its kinds{known}"
    return out, note
