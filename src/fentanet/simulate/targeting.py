"""Targeting: which actors an operation aims at, from the network the police know.

Rules: ``random``; the top ``count`` actors by a centrality (``degree`` computed here;
``betweenness``, ``closeness``, ``eigenvector``, ``pagerank``, ``harmonic``, ``katz``,
``collective_influence`` through :func:`fentanet.centrality`); ``key_players``
(:func:`fentanet.key_players`, KPP-Neg fragmentation of the whole known network; those of
the set that are of the intervention's kinds are targeted); ``min_cut`` (the actors of the
minimum cut of :func:`fentanet.max_flow`); ``interdiction`` (the optimal interdiction set
of :func:`fentanet.interdict` with a budget of ``count`` times the mean removal cost; exact
up to :data:`EXACT_ACTORS` actors within :data:`MILP_NODES`, else its heuristic).

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

import numpy as np
import pandas as pd

from fentanet.errors import InputError
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
        slots = select(sim, iv)
        sim.targets[j] = slots
        sim.target_uids[j] = a.uid[slots].copy()
        sim.targets_at[j] = sim.step
    slots = sim.targets[j]
    held = a.alive[slots]
    if iv.kind != "organization_takedown":
        held &= a.uid[slots] == sim.target_uids[j]
    return slots[held]


def surveil(sim) -> None:
    """Surveillance since the last look: each unknown alive link becomes known with
    probability ``1 - exp(-reveal_rate * intel * elapsed)`` (intel: the multiplier of
    intelligence sharing), keyed by the link's endpoints."""
    from fentanet.simulate.phases.enforcement import link_keys

    elapsed = sim.t - sim._last_reveal
    if elapsed <= 0:
        return
    sim._last_reveal = sim.t
    s = sim.s
    a, ln = s.actors, s.links
    li = np.flatnonzero(~ln.known & ln.alive & a.alive[ln.src] & a.alive[ln.dst])
    if not li.size:
        return
    rate = sim.p.enforcement.reveal_rate * sim.efforts.intel
    u = sim.streams.uniform("knowledge.surveillance", sim.step, link_keys(sim, li))
    ln.known[li[u < -np.expm1(-rate * elapsed)]] = True


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
    """Higher = targeted first, one score per candidate slot."""
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
    import fentanet

    try:
        if rule in ("key_players", "min_cut", "interdiction"):
            chosen = _set_rule(fentanet, net, iv, sim)
            score.loc[[c for c in chosen if c in score.index]] = 1.0
        else:
            kw = {"seed": sim.seed}
            if rule == "betweenness" and iv.target.sample and net.n_actors > 2000:
                kw["sample"] = iv.target.sample
            if rule == "eigenvector":  # not defined on the acyclic directed flow links
                kw["directed"] = False
            score = fentanet.centrality(net, rule, **kw).reindex(score.index).fillna(0.0)
    except AttributeError as exc:
        raise InputError(f"targeting rule '{rule}' needs the analysis layer ({exc})",
                         field="target.rule") from None
    by_slot = np.zeros(a.n)
    by_slot[net.actors["slot"].to_numpy()] = score.to_numpy(dtype=np.float64)
    return by_slot[cand]


def _set_rule(fentanet, net: Network, iv, sim) -> list:
    rule, k = iv.target.rule, iv.target.count
    if rule == "key_players":
        res = fentanet.key_players(net, k, "fragmentation", seed=sim.seed)
        return list(res.actors)
    flow_net = net.select(link_kinds=["supplies", "ships", "distributes", "sells_to"])
    if not (flow_net.actors["kind"] == "supplier").any():
        return []  # no precursor source (none in the network, or none alive): no flow to cut
    if rule == "min_cut":
        res = fentanet.max_flow(flow_net)
        cut = getattr(res, "cut_actors", None)
        if cut is None:
            cut = getattr(res, "cut", [])
        return list(cut)
    budget = float(k)
    exact = net.n_actors <= EXACT_ACTORS
    res = fentanet.interdict(flow_net, budget, target="actors", cost="cost", exact=exact,
                             node_limit=MILP_NODES if exact else None)
    if res.method == "milp" and not res.optimal:
        # the solver reached its node limit: the heuristic's set is used, as on larger
        # networks (either way a function of the network alone)
        res = fentanet.interdict(flow_net, budget, target="actors", cost="cost", exact=False)
    return list(res.removed)


def select(sim, iv) -> np.ndarray:
    """The slots targeted by intervention ``iv`` now."""
    a = sim.s.actors
    cand = _candidates(sim, iv)
    if iv.kind == "organization_takedown":
        cand = cand[a.org[cand] >= 0]
    if not cand.size:
        return np.zeros(0, dtype=np.int64)
    score = _scores(sim, iv, cand)
    # highest score first; ties broken by uid (stable, reproducible)
    order = np.lexsort((a.uid[cand], -score))
    ranked = cand[order]
    if iv.target.rule in ("key_players", "min_cut", "interdiction"):
        ranked = ranked[score[order] > 0]
    if iv.kind == "organization_takedown":
        orgs = pd.unique(a.org[ranked])[: iv.target.count]
        hit = np.isin(a.org, orgs) & a.alive
        return np.flatnonzero(hit)
    return ranked[: iv.target.count]
