"""Phase 10, adaptation: how the trade responds (each behaviour can be turned off).

- Suspension (MADTOR): an organization whose recent losses (an exponentially decaying
  count, window ``loss_window_years``) exceed ``suspension_share`` of its initial members
  suspends procurement and production for ``suspension_years``.
- Succession and failure: a lieutenant replaces an arrested leader; an organization fails
  when its leader cannot be replaced (a required role is empty), when it cannot pay its
  upkeep (cash would fall below zero) or when it has no member left. Its members leave and
  their stocks are lost. Insolvent independents quit.
- Replacement (MADTOR): vacancies older than ``replacement_delay_years`` are refilled,
  ``Binomial(vacancies, 1 - exp(-r * dt * alive / initial))`` per organization (keyed by
  its uid), so recovery slows as losses mount. A recruit takes the vacant position (slot
  and flow links) with a fresh uid; the police do not know its links; it forms
  ``closure_ties`` ties to friends of friends (a neighbour of a neighbour).
- Displacement is in the shipping phase (route choice by recent losses).
- Entry: while the price index is above ``entry_threshold``, new labs and illicit
  suppliers appear at rate ``entry_rate * (price - threshold)`` per 100 initial labs, with
  fresh uids, linked to existing suppliers, labs and routes.
- Migration: partners of a taken-down marketplace move their listings to a surviving
  marketplace at ``migration_rate``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from fentanet.simulate.phases import enforcement
from fentanet.simulate.state import KIND, LKIND, PREFIX, ROLE

KIND_NAMES = {v: k for k, v in KIND.items()}


def run(sim) -> None:
    ad = sim.p.adaptation
    _suspension(sim)
    _succession_and_failure(sim)
    if ad.replacement:
        _replacement(sim)
    if ad.entry:
        _entry(sim)
    if ad.migration and sim.orphans.size:
        _migration(sim)
    a = sim.s.actors
    alive_orgs = (a.kind == KIND["organization"]) & a.alive
    sim.now["organizations_active"] = float(alive_orgs.sum())
    sim.now["organizations_suspended"] = float((alive_orgs & (a.suspended_until > sim.t)).sum())


def _suspension(sim):
    a, ad = sim.s.actors, sim.p.adaptation
    orgs = np.flatnonzero((a.kind == KIND["organization"]) & a.alive)
    if ad.suspension and orgs.size:
        init = np.maximum(sim.s.org_initial[orgs], 1.0)
        heavy = orgs[a.lost_recent[orgs] / init > ad.suspension_share]
        fresh = heavy[a.suspended_until[heavy] <= sim.t]
        a.suspended_until[fresh] = sim.t + ad.suspension_years
        a.lost_recent[fresh] = 0.0
        sim.now["suspensions"] = float(fresh.size)
    a.lost_recent[:] *= np.exp(-sim.dt / ad.loss_window_years)


def _succession_and_failure(sim):
    s, ad = sim.s, sim.p.adaptation
    a = s.actors
    n = a.n
    org = a.org
    members = org >= 0
    alive_m = members & a.alive
    count = np.bincount(org[alive_m], minlength=n)
    orgs = np.flatnonzero((a.kind == KIND["organization"]) & a.alive)
    failing = np.zeros(n, dtype=bool)
    # leaders lost this step or before: promote a lieutenant
    lead_slots = np.flatnonzero(members & (a.role == ROLE["leader"]))
    lost = lead_slots[~a.alive[lead_slots]]
    for slot in lost:
        o = org[slot]
        if not a.alive[o]:
            continue
        cand = np.flatnonzero((org == o) & a.alive & (a.role == ROLE["lieutenant"]))
        if ad.succession and cand.size:
            new = cand[np.argmin(a.uid[cand])]
            a.role[new] = ROLE["leader"]
            a.role[slot] = ROLE["member"]
        else:
            failing[o] = True  # a required role is empty
    failing[orgs[count[orgs] == 0]] = True
    insolvent = getattr(sim, "insolvent", np.zeros(0, dtype=np.int64))
    for p_ in insolvent:
        if a.kind[p_] == KIND["organization"]:
            failing[p_] = True
    fail = np.flatnonzero(failing & a.alive & (a.kind == KIND["organization"]))
    if fail.size:
        gone = np.zeros(n, dtype=bool)
        gone[fail] = True
        members_out = np.flatnonzero(members & gone[np.maximum(org, 0)] & a.alive)
        enforcement.remove(sim, members_out, cause="exit")
        a.vacant[np.flatnonzero(members & gone[np.maximum(org, 0)])] = False
        a.alive[fail] = False
        a.failed[fail] = True
        a.cash[fail] = 0.0
    sim.now["organizations_failed"] = float(fail.size)
    quit_ = np.array([p_ for p_ in insolvent if a.kind[p_] != KIND["organization"]
                      and a.org[p_] < 0], dtype=np.int64)
    if quit_.size:
        enforcement.remove(sim, quit_, cause="exit")


def _replacement(sim):
    s, ad = sim.s, sim.p.adaptation
    a = s.actors
    n = a.n
    ready = a.vacant & (sim.t - a.vacant_since >= ad.replacement_delay_years - 1e-12)
    ready &= (a.org >= 0)
    ready &= a.alive[np.maximum(a.org, 0)]
    if not ready.any():
        sim.now["recruits"] = 0.0
        return
    org = a.org
    alive_count = np.bincount(org[(org >= 0) & a.alive], minlength=n).astype(np.float64)
    vac = np.bincount(org[ready], minlength=n)
    orgs = np.flatnonzero(vac > 0)
    init = np.maximum(s.org_initial[orgs], 1.0)
    prob = -np.expm1(-ad.recruit_rate * sim.dt * alive_count[orgs] / init)
    k = sim.streams.binomial("adaptation.recruit", sim.step, a.uid[orgs], vac[orgs], prob)
    take = np.zeros(n, dtype=np.int64)
    take[orgs] = k
    slots = np.flatnonzero(ready)
    order = np.lexsort((slots, a.vacant_since[slots], org[slots]))
    slots = slots[order]
    rank = _rank_in_group(org[slots])
    chosen = slots[rank < take[org[slots]]]
    if chosen.size:
        _recruit(sim, chosen)
    sim.now["recruits"] = float(chosen.size)


def _rank_in_group(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each run of equal values of a sorted array."""
    if not groups.size:
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(groups)) + 1]
    lengths = np.diff(np.r_[starts, groups.size])
    return np.arange(groups.size) - np.repeat(starts, lengths)


def _fresh_uids(sim, k: int) -> np.ndarray:
    s = sim.s
    out = np.arange(s.next_uid, s.next_uid + k, dtype=np.int64)
    s.next_uid += k
    return out


def _label(kind_code: int, uid: int, tag: str) -> str:
    return f"{PREFIX[KIND_NAMES[int(kind_code)]]}-{tag}{uid}"


def _recruit(sim, slots):
    s = sim.s
    a, ln = s.actors, s.links
    uids = _fresh_uids(sim, slots.size)
    a.uid[slots] = uids
    a.alive[slots] = True
    a.vacant[slots] = False
    a.loss[slots] = 0.0
    a.activity[slots] = 1.0
    lab = a.label
    kinds = a.kind[slots]
    for i, slot in enumerate(slots):
        lab[slot] = _label(kinds[i], uids[i], "r")
    hit = np.zeros(a.n, dtype=bool)
    hit[slots] = True
    ln.known[hit[ln.src] | hit[ln.dst]] = False
    k = sim.p.adaptation.closure_ties
    if k > 0:
        _closure(sim, slots, k)


def _tie_graph(sim):
    """CSR of tie links among slots (refreshed at most every retarget period)."""
    s = sim.s
    ln = s.links
    stale = sim.step - sim._tie_csr_at >= max(1, round(sim.scenario.retarget_every / sim.dt))
    if sim._tie_csr is None or stale:
        sel = ln.kind == LKIND["tie"]
        src, dst = ln.src[sel], ln.dst[sel]
        n = s.actors.n
        g = sp.csr_array((np.ones(2 * src.size), (np.concatenate([src, dst]),
                                                  np.concatenate([dst, src]))), shape=(n, n))
        sim._tie_csr = g
        sim._tie_csr_at = sim.step
    return sim._tie_csr


def _closure(sim, slots, k):
    """Each recruit ties to ``k`` friends of friends: via a sponsor (an alive tie
    neighbour of the position), to an alive neighbour of the sponsor."""
    s = sim.s
    a = s.actors
    g = _tie_graph(sim)
    rng = sim.streams.generator("adaptation.rewire", sim.step)
    new_src, new_dst = [], []
    indptr, indices = g.indptr, g.indices
    for slot in slots:
        if slot >= g.shape[0]:
            continue
        nb = indices[indptr[slot]:indptr[slot + 1]]
        nb = nb[a.alive[nb] & (nb != slot)]
        if not nb.size:
            continue
        sponsor = nb[rng.integers(nb.size)]
        fof = indices[indptr[sponsor]:indptr[sponsor + 1]]
        fof = fof[a.alive[fof] & (fof != slot)]
        fof = np.setdiff1d(fof, nb)
        if not fof.size:
            continue
        pick = rng.choice(fof, size=min(k, fof.size), replace=False)
        new_src.extend([slot] * pick.size)
        new_dst.extend(pick.tolist())
    if new_src:
        add_links(sim, np.array(new_src), np.array(new_dst), "tie")


def add_links(sim, src, dst, kind: str, capacity=None):
    ln = sim.s.links
    k = len(src)
    ln.append(src=np.asarray(src, dtype=np.int32), dst=np.asarray(dst, dtype=np.int32),
              kind=np.full(k, LKIND[kind], dtype=np.int8),
              capacity=np.full(k, np.nan) if capacity is None else capacity,
              weight=np.ones(k), alive=np.ones(k, dtype=bool), known=np.zeros(k, dtype=bool))


def _entry(sim):
    ad = sim.p.adaptation
    price = sim.now.get("price_index", 1.0)
    excess = price - ad.entry_threshold
    if excess <= 0:
        sim.now["entrants"] = 0.0
        return
    rate = ad.entry_rate * excess * max(sim.n_labs0, 1) / 100.0
    rng = sim.streams.generator("adaptation.entry", sim.step)
    n_labs, n_sups = rng.poisson(rate * sim.dt, size=2)
    new = 0
    for kind, count in (("lab", n_labs), ("supplier", n_sups)):
        for _ in range(int(count)):
            new += _enter(sim, kind, rng)
    sim.now["entrants"] = float(new)


def _enter(sim, kind: str, rng) -> int:
    s = sim.s
    a = s.actors
    same = np.flatnonzero(a.kind == KIND[kind])
    cap = float(np.median(a.capacity[same])) if same.size else 100.0
    suppliers = np.flatnonzero((a.kind == KIND["supplier"]) & a.alive & ~a.legit)
    if not suppliers.size:
        suppliers = np.flatnonzero((a.kind == KIND["supplier"]) & a.alive)
    labs = np.flatnonzero((a.kind == KIND["lab"]) & a.alive)
    orgs = np.flatnonzero((a.kind == KIND["organization"]) & a.alive)
    if kind == "lab":
        if not suppliers.size or not orgs.size:
            return 0
        o = int(orgs[rng.integers(orgs.size)])
        routes = np.flatnonzero((a.kind == KIND["route"]) & a.alive & (a.org == o))
        if not routes.size:
            routes = np.flatnonzero((a.kind == KIND["route"]) & a.alive)
        if not routes.size:
            return 0
    elif not labs.size:
        return 0
    uid = int(_fresh_uids(sim, 1)[0])
    slot = int(a.append(kind=np.array([KIND[kind]], dtype=np.int8), uid=np.array([uid]),
                        alive=np.array([True]), org=np.array([o if kind == "lab" else -1]),
                        payer=np.array([o if kind == "lab" else a.n]),
                        capacity=np.array([cap]),
                        label=np.array([_label(KIND[kind], uid, "e")], dtype=object),
                        mode=np.array([-1], dtype=np.int8), activity=np.array([1.0]),
                        suspended_until=np.array([-np.inf]))[0])
    s.market_of = np.append(s.market_of, -1).astype(np.int32)
    s.org_initial = np.append(s.org_initial, 0.0)
    if kind == "lab":
        sup = rng.choice(suppliers, size=min(2, suppliers.size), replace=False)
        add_links(sim, sup, np.full(sup.size, slot), "supplies")
        rts = rng.choice(routes, size=min(2, routes.size), replace=False)
        add_links(sim, np.full(rts.size, slot), rts, "ships")
        add_links(sim, [slot], [o], "member_of")
        a.precursor[slot] = 0.0
    else:
        tgt = rng.choice(labs, size=min(2, labs.size), replace=False)
        add_links(sim, np.full(tgt.size, slot), tgt, "supplies")
    return 1


def _migration(sim):
    s, ad = sim.s, sim.p.adaptation
    a = s.actors
    alive_mkp = np.flatnonzero((a.kind == KIND["marketplace"]) & a.alive)
    rows = sim.orphans
    partner = rows[:, 0]
    keep = a.alive[partner]
    rows = rows[keep]
    if not alive_mkp.size or not rows.size:
        sim.orphans = rows
        return
    u = sim.streams.uniform("adaptation.migrate", sim.step,
                            a.uid[rows[:, 0]] * 8 + rows[:, 1] * 2 + rows[:, 2])
    go = u < -np.expm1(-ad.migration_rate * sim.dt)
    moved = rows[go]
    if moved.size:
        v = sim.streams.uniform("adaptation.migrate_to", sim.step,
                                a.uid[moved[:, 0]] * 8 + moved[:, 1] * 2 + moved[:, 2])
        dest = alive_mkp[np.minimum((v * alive_mkp.size).astype(np.int64),
                                    alive_mkp.size - 1)]
        for lk in np.unique(moved[:, 1]):
            name = next(k for k, c in LKIND.items() if c == lk)
            m = moved[:, 1] == lk
            as_src = moved[m, 2] == 1
            p_, d_ = moved[m, 0], dest[m]
            src = np.where(as_src, p_, d_)
            dst = np.where(as_src, d_, p_)
            add_links(sim, src, dst, name)
    sim.orphans = rows[~go]
    sim.now["listings_moved"] = float(go.sum())
