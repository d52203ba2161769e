"""Phase 9, enforcement: detection by kind and effort; arrests, dismantling, seizures.

Each alive actor of an enforced kind is detected in a step with probability
``1 - exp(-h * dt)``, ``h = b[kind] * E[kind] * intel * max(activity, a_min)^theta *
(1 - protection) * T + tip_rate * refused`` (DESIGN.md's form): E the efforts in force,
T the multiplier of targeted operations, protection by alive officials (lowered by
anti-corruption), refused the share of the actor's precursor orders refused and reported.
Draws are keyed by uid (common random numbers). One-time operations add their strikes.
Detection means arrest (or dismantling, takedown): the actor's stocks are seized, a leader's
or lieutenant's arrest seizes a share of the organization's cash and hoard, a share of the
actor's links becomes known to the police, an arrested dealer's people who use are released
later into the market, and a member's position becomes a vacancy to be refilled.
"""

from __future__ import annotations

import numpy as np

from fentanet.simulate.params import KINDS_ENFORCED
from fentanet.simulate.state import KIND, LKIND, ROLE, links_of


def init(sim) -> None:
    """The police's initial knowledge: each link known with probability known_share."""
    s, p = sim.s, sim.p.enforcement
    ln = s.links
    u = sim.streams.uniform("knowledge.initial", 0, link_keys(sim, np.arange(ln.n)))
    ln.known[:] = u < p.known_share


def link_keys(sim, li: np.ndarray) -> np.ndarray:
    """A stable key per link from its endpoints' uids (survives removals)."""
    a, ln = sim.s.actors, sim.s.links
    su = a.uid[ln.src[li]].astype(np.uint64)
    du = a.uid[ln.dst[li]].astype(np.uint64)
    return (su << np.uint64(32)) ^ du ^ (ln.kind[li].astype(np.uint64) << np.uint64(58))


def hazard(sim) -> np.ndarray:
    """Detection hazard per actor slot (per year)."""
    s, p = sim.s, sim.p.enforcement
    a, e = s.actors, sim.efforts
    b = np.zeros(len(KIND))
    for kind, rate in p.detection_rate.items():
        if kind in KIND:
            b[KIND[kind]] = rate
    base = b[a.kind] * e.hazard[a.kind] * e.intel
    util = a.throughput / np.maximum(a.capacity * sim.dt, 1e-300)
    util = np.where(a.capacity > 0, util, 1.0)
    activity = np.maximum(np.minimum(util, 1.0), p.min_activity) ** p.activity_exponent
    ln = s.links
    li = links_of(sim, LKIND["protects"])
    li = li[ln.alive[li] & a.alive[ln.src[li]]]
    officials = np.bincount(ln.dst[li], minlength=a.n)
    x = p.protection_per_official * np.exp(-e.anti_corruption)
    protection = 1.0 - (1.0 - x) ** officials
    h = base * activity * (1.0 - protection) * e.target
    h = h + sim.p.supply.tip_rate * a.refused * (a.kind == KIND["lab"])
    enforced = np.isin(a.kind, [KIND[k] for k in KINDS_ENFORCED])
    legit = a.legit & (a.kind == KIND["supplier"])
    return np.where(a.alive & enforced & ~legit, h, 0.0)


def run(sim) -> None:
    a = sim.s.actors
    h = hazard(sim)
    prob = -np.expm1(-h * sim.dt)
    cand = np.flatnonzero(prob > 0)
    hit = cand[sim.streams.uniform("enforcement.detect", sim.step, a.uid[cand]) < prob[cand]]
    strike = sim.efforts.strike
    if strike is not None and strike.any():
        hit = np.union1d(hit, np.flatnonzero(strike & a.alive))
    remove(sim, hit, cause="arrest")


def remove(sim, slots: np.ndarray, cause: str) -> None:
    """Take actors out: ``arrest`` (stocks seized, links revealed, vacancies) or ``exit``
    (stocks lost: failure, insolvency)."""
    s = sim.s
    a = s.actors
    slots = slots[a.alive[slots]]
    if not slots.size:
        for k in KINDS_ENFORCED:
            sim.now.setdefault(f"arrests_{k}", 0.0)
        return
    prod, prec = a.product[slots].sum(), a.precursor[slots].sum()
    key = "seized_stock" if cause == "arrest" else "lost"
    s.totals[key] = s.totals.get(key, 0.0) + float(prod)
    s.totals[f"{key}_precursor"] = s.totals.get(f"{key}_precursor", 0.0) + float(prec)
    a.product[slots] = 0.0
    a.precursor[slots] = 0.0
    a.alive[slots] = False
    member = a.org[slots] >= 0
    a.vacant[slots[member]] = True
    a.vacant_since[slots[member]] = sim.t
    kinds = a.kind[slots]
    if cause == "arrest":
        sim.now["seized_stock_kg"] += float(prod)
        counts = np.bincount(kinds, minlength=len(KIND))
        for k in KINDS_ENFORCED:
            sim.now[f"arrests_{k}"] += float(counts[KIND[k]])
        _assets(sim, slots)
        _reveal(sim, slots)
        _release(sim, slots)
        _losses(sim, slots[member])
        mk = slots[kinds == KIND["marketplace"]]
        if mk.size:
            _orphan(sim, mk)
    else:
        sim.now["lost_kg"] += float(prod)
        for k in KINDS_ENFORCED:
            sim.now.setdefault(f"arrests_{k}", 0.0)


def _assets(sim, slots):
    a = sim.s.actors
    lead = slots[(a.role[slots] >= ROLE["lieutenant"]) & (a.org[slots] >= 0)]
    if not lead.size:
        return
    orgs = np.unique(a.org[lead])
    x = sim.p.enforcement.asset_share
    seized = (a.cash[orgs] + a.hoard[orgs]) * x
    a.cash[orgs] *= 1.0 - x
    a.hoard[orgs] *= 1.0 - x
    sim.now["money_seized_usd"] += float(seized.sum())


def _reveal(sim, slots):
    s = sim.s
    ln = s.links
    hit = np.zeros(s.actors.n, dtype=bool)
    hit[slots] = True
    li = np.flatnonzero((hit[ln.src] | hit[ln.dst]) & ~ln.known)
    if li.size:
        u = sim.streams.uniform("knowledge.arrest", sim.step, link_keys(sim, li))
        ln.known[li[u < sim.p.enforcement.arrest_reveal]] = True


def _release(sim, slots):
    s, p = sim.s, sim.p.enforcement
    a, ln = s.actors, s.links
    dealers = slots[a.kind[slots] == KIND["dealer"]]
    if not dealers.size or p.users_per_dealer_arrest <= 0:
        return
    is_d = np.zeros(a.n, dtype=bool)
    is_d[dealers] = True
    sel = links_of(sim, LKIND["sells_to"])
    sel = sel[is_d[ln.src[sel]]]
    mk = s.market_of[ln.dst[sel]]
    _, first = np.unique(ln.src[sel], return_index=True)
    mk = mk[first]
    mk = mk[mk >= 0]
    when = sim.step + max(1, round(p.jail_years / sim.dt))
    add = np.bincount(mk, minlength=s.n_markets) * p.users_per_dealer_arrest
    sim.releases[when] = sim.releases.get(when, np.zeros(s.n_markets)) + add


def _losses(sim, members):
    """Recent losses per organization, for suspension (MADTOR)."""
    a = sim.s.actors
    if members.size:
        a.lost_recent[:] += np.bincount(a.org[members], minlength=a.n)


def _orphan(sim, marketplaces):
    """Listings of taken-down marketplaces: partners to be moved to a surviving one."""
    ln = sim.s.links
    down = np.zeros(sim.s.actors.n, dtype=bool)
    down[marketplaces] = True
    flowk = np.isin(ln.kind, [LKIND["supplies"], LKIND["ships"], LKIND["sells_to"]])
    out = np.flatnonzero(flowk & down[ln.src])
    inn = np.flatnonzero(flowk & down[ln.dst])
    rows = np.concatenate([
        np.stack([ln.dst[out], ln.kind[out], np.zeros(out.size, dtype=np.int64)], axis=1),
        np.stack([ln.src[inn], ln.kind[inn], np.ones(inn.size, dtype=np.int64)], axis=1),
    ]).astype(np.int64)
    sim.orphans = np.concatenate([sim.orphans, rows])
