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

import math

import numba
import numpy as np

from fentanet import _jitcache  # noqa: F401  (numba's cache, stale after any kernel's edit)
from fentanet.simulate import nploops
from fentanet.simulate.binomial import keyed_uniform, step_prefix
from fentanet.simulate.kernels import np_sum
from fentanet.simulate.params import KINDS_ENFORCED, SELLER_KINDS
from fentanet.simulate.phases.shipping import _count, power_table
from fentanet.simulate.state import KIND, LKIND, ROLE, room

LAB, SUPPLIER = KIND["lab"], KIND["supplier"]
DEALER, MARKETPLACE = KIND["dealer"], KIND["marketplace"]
LIEUTENANT = ROLE["lieutenant"]


def init(sim) -> None:
    """The base detection rate per kind code, and the kinds whose independents' places an
    arrest leaves vacant (:func:`opened_kinds`). The police's knowledge is drawn at the
    spin-up's end (:func:`know`)."""
    p = sim.p.enforcement
    b = np.zeros(len(KIND))
    for kind, rate in p.detection_rate.items():
        if kind in KIND:
            b[KIND[kind]] = rate
    sim.detection_rate = b
    enforced = np.zeros(len(KIND), dtype=bool)
    enforced[[KIND[k] for k in KINDS_ENFORCED]] = True
    sim.enforced = enforced
    sim.leadership_hit = np.zeros(0, dtype=np.int64)  # organizations (slots), this step
    sim.opens = opened_kinds(sim.p.adaptation)


def replacement_rates(ad) -> np.ndarray:
    """Per kind code, the rate per year at which a newcomer takes an arrested independent's
    vacant place: the sellers' (:data:`SELLER_CODES`) ``seller_replacement_rate`` with
    ``seller_replacement``, the other enforced kinds' ``independent_replacement_rate`` with
    ``independent_replacement``; 0 for the rest."""
    rates = np.zeros(len(KIND))
    if ad.seller_replacement:
        rates[list(SELLER_CODES)] = ad.seller_replacement_rate
    if ad.independent_replacement:
        for kind, rate in ad.independent_replacement_rate.items():
            rates[KIND[kind]] = rate
    return rates


def opened_kinds(ad) -> np.ndarray:
    """Per kind code, whether an arrest leaves an independent's place vacant for a newcomer
    (a member's always is): where its :func:`replacement_rates` is above 0 (a place no
    newcomer would take is not left vacant)."""
    return replacement_rates(ad) > 0


def know(sim) -> None:
    """The police's knowledge at the start: each link known with probability
    ``known_share``, keyed by its endpoints (:func:`link_keys`). Drawn at the spin-up's end
    (:meth:`fentanet.simulate.loop.Sim.warmup`) over the status quo's links, so that the
    links its recruits and re-routing made are known as often as the others and a link
    kept from the start keeps its draw (same stream, step and key)."""
    ln = sim.s.links
    u = sim.streams.uniform("knowledge.initial", 0, link_keys(sim, np.arange(ln.n)))
    ln.known[: ln.n] = u < sim.p.enforcement.known_share


def link_keys(sim, li: np.ndarray) -> np.ndarray:
    """A stable key per link ``li`` (link indices) from its endpoints' uids and its kind
    (survives removals): ``src uid << 32 ^ dst uid ^ kind << 58`` as uint64. Made in one
    compiled pass (:func:`_link_keys`): NumPy's gathers, casts and shifts, each a
    temporary, took 4.8 ms for the 396,000 links of us-baseline at the spin-up, 0.5 ms
    compiled; integers, so the same keys."""
    a, ln = sim.s.actors, sim.s.links
    return _link_keys(a.uid, ln.src, ln.dst, ln.kind, li)


@numba.njit(cache=True, inline="always")
def _link_key(uid, src, dst, kind, k):
    return ((np.uint64(uid[src[k]]) << np.uint64(32)) ^ np.uint64(uid[dst[k]])
            ^ (np.uint64(kind[k]) << np.uint64(58)))


@numba.njit(cache=True)
def _link_keys(uid, src, dst, kind, li):
    """:func:`_link_key` of each link ``li``."""
    out = np.empty(li.size, dtype=np.uint64)
    for j in range(li.size):
        out[j] = _link_key(uid, src, dst, kind, li[j])
    return out


def hazard(sim) -> np.ndarray:
    """Detection hazard per actor slot (per year)."""
    return _hazard_at(*_hazard_args(sim))[0]


def _hazard_args(sim) -> tuple:
    """The arguments of :func:`_hazard_at` and :func:`_detect` (without the uids, prefix and
    scratch): the protection's inputs (the ``protects`` stage and the powers of
    :func:`_officials_powers`) and each kind's base rate and effort, from which the kernels
    make the protection per protected slot and ``b[kind] * E[kind]``."""
    s, p = sim.s, sim.p.enforcement
    a, e = s.actors, sim.efforts
    theta = p.activity_exponent
    activity = _NONE  # computed in the hazard's loop for theta 0.5 (a square root) and 1
    if theta not in (0.5, 1.0):
        activity = _activity(a.throughput, a.capacity, sim.dt, p.min_activity, theta)
        activity **= theta
    st = sim.topo.stages["protects"]
    return (a.kind, a.alive, a.legit, a.refused, activity, a.throughput, a.capacity,
            p.min_activity, theta == 0.5, st.li, st.src, st.d_loc, st.d_map, st.receivers.size,
            s.links.alive, _officials_powers(sim, st.size), sim.detection_rate, e.hazard,
            float(e.intel), _NONE if e.target is sim.no_target else e.target, sim.enforced,
            sim.p.supply.tip_rate, sim.dt)


def _officials_powers(sim, n_links: int) -> np.ndarray:
    """``(1 - x) ** arange(k)``, ``x = protection_per_official * exp(-anti_corruption)``,
    with ``k`` past ``n_links`` (the most officials a slot can have: every link of the
    ``protects`` stage), kept on the run for the last effort, parameters and stage size
    (:func:`~fentanet.simulate.phases.shipping.power_table` keeps the table itself): NumPy's
    ``(1 - x) ** officials`` read by count, bit for bit."""
    e, p = sim.efforts.anti_corruption, sim.p.enforcement
    got = sim.__dict__.get("_officials_powers")
    if got is None or got[:2] != (e, n_links) or got[2] is not p:
        x = p.protection_per_official * np.exp(-e)
        got = sim._officials_powers = (e, n_links, p,
                                       power_table(sim, "officials", 1.0 - x, n_links))
    return got[3]


@numba.njit(cache=True)
def _protection(li, src, d_loc, n_receivers, link_alive, alive, powers):
    """Protection per receiver of the ``protects`` stage: ``1 - (1 - x) ** officials``
    (its alive links from alive officials, as
    :func:`~fentanet.simulate.phases.shipping.receiver_counts`; ``powers`` from
    :func:`_officials_powers`), the same operations as on NumPy's arrays."""
    officials = _count(li, src, d_loc, link_alive, alive, n_receivers)
    out = np.empty(n_receivers)
    for j in range(n_receivers):
        out[j] = 1.0 - powers[officials[j]]
    return out


@numba.njit(cache=True)
def _base_rates(rate, effort):
    """``b[kind] * E[kind]`` per kind code (as NumPy's product of the two arrays)."""
    out = np.empty(rate.size)
    for k in range(rate.size):
        out[k] = rate[k] * effort[k]
    return out


@numba.njit(cache=True)
def _hazard_at(kind, alive, legit, refused, activity, throughput, capacity, a_min, root,
               pr_li, pr_src, pr_d_loc, prot_map, n_protected, link_alive, powers, rate,
               effort, intel, target, enforced, tip_rate, dt):
    """:func:`_hazard` from the protection's inputs and each kind's rate and effort
    (:func:`_hazard_args`)."""
    protection = _protection(pr_li, pr_src, pr_d_loc, n_protected, link_alive, alive, powers)
    return _hazard(kind, alive, legit, refused, activity, throughput, capacity, a_min, root,
                   prot_map, protection, _base_rates(rate, effort), intel, target, enforced,
                   tip_rate, dt)


@numba.njit(cache=True)
def _detect(kind, alive, legit, refused, activity, throughput, capacity, a_min, root, pr_li,
            pr_src, pr_d_loc, prot_map, n_protected, link_alive, powers, rate, effort, intel,
            target, enforced, tip_rate, dt, uid, key, step, draws, expm1_loop):
    """:func:`_detect_fused` from the protection's inputs and each kind's rate and effort
    (:func:`_hazard_args`), under the prefix of the stream's ``key`` at ``step``
    (:func:`~fentanet.simulate.binomial.step_prefix`), finished by :func:`_finished`: one
    call for the step's detection. Returns the slots detected (ascending)."""
    protection = _protection(pr_li, pr_src, pr_d_loc, n_protected, link_alive, alive, powers)
    hit, rest, x, u = _detect_fused(kind, alive, legit, refused, activity, throughput,
                                    capacity, a_min, root, prot_map, protection,
                                    _base_rates(rate, effort), intel, target, enforced,
                                    tip_rate, dt, uid, step_prefix(key, step), draws)
    return _finished(hit, rest, x, u, expm1_loop)


@numba.njit(cache=True)
def _finished(hit, rest, x, u, expm1_loop):
    """The detected slots among those :func:`_detect_fused` left undecided (``rest``,
    exponents ``x``, uniforms ``u``): detected where the uniform is below the probability
    ``-expm1(x)`` (NumPy's: ``expm1_loop``, :mod:`fentanet.simulate.nploops`), merged
    with ``hit``. Both lists are ascending and hold different slots, so the merge is
    ``np.union1d``'s: the numbers of NumPy's ``expm1``, the selection and the union the
    phase made after the call."""
    if not rest.size:
        return hit
    p = np.empty(x.size)
    nploops.apply(expm1_loop, x, p)
    out = np.empty(hit.size + rest.size, dtype=np.int64)
    i = k = 0
    for c in range(rest.size):
        if -p[c] > 0.0 and u[c] < -p[c]:
            v = rest[c]
            while i < hit.size and hit[i] < v:
                out[k] = hit[i]
                i += 1
                k += 1
            out[k] = v
            k += 1
    while i < hit.size:
        out[k] = hit[i]
        i += 1
        k += 1
    return out[:k]


_NONE = np.zeros(0)


@numba.njit(cache=True)
def _activity(throughput, capacity, dt, a_min, theta):
    """``max(min(throughput / (capacity * dt), 1), a_min)`` (1 without capacity), raised
    to ``theta`` here when it is 0.5 (a square root, as NumPy's power takes it) or 1."""
    out = np.empty(throughput.size)
    root = theta == 0.5
    for i in range(throughput.size):
        out[i] = _activity_of(throughput[i], capacity[i], dt, a_min, root)
    return out


@numba.njit(cache=True, inline="always")
def _activity_of(throughput, capacity, dt, a_min, root):
    util = throughput / max(capacity * dt, 1e-300) if capacity > 0 else 1.0
    v = max(min(util, 1.0), a_min)
    return math.sqrt(v) if root else v


@numba.njit(cache=True, inline="always")
def _hazard_of(k, base, intel, act, prot, target, tip_rate, refused):
    """The detection hazard of one slot of kind ``k`` (scalars)."""
    x = base * intel * act * (1.0 - prot) * target
    return x + tip_rate * refused * (1.0 if k == LAB else 0.0)


@numba.njit(cache=True)
def _hazard(kind, alive, legit, refused, activity, throughput, capacity, a_min, root,
            prot_map, protection, base, intel, target, enforced, tip_rate, dt):
    """Hazard per slot, and ``-hazard * dt`` (the exponent of the survival probability);
    ``activity`` empty: computed here (:func:`_activity`, ``root``: its square root);
    ``target`` empty: 1 for every slot."""
    n = kind.size
    h = np.zeros(n)
    neg = np.zeros(n)
    for i in range(n):
        k = kind[i]
        if not alive[i] or not enforced[k] or (legit[i] and k == SUPPLIER):
            continue
        j = prot_map[i]
        act = activity[i] if activity.size else _activity_of(throughput[i], capacity[i], dt,
                                                             a_min, root)
        h[i] = _hazard_of(k, base[k], intel, act, protection[j] if j >= 0 else 0.0,
                          target[i] if target.size else 1.0, tip_rate, refused[i])
        neg[i] = -h[i] * dt
    return h, neg


_SURE = 1e-9
"""Relative margin of the bounds :func:`_decide` trusts (NumPy's ``expm1`` is within a few
units in the last place, about 1e-15)."""


@numba.njit(cache=True, inline="always")
def _decide(u, y):
    """Whether a slot with uniform ``u`` and ``y = hazard * dt`` is detected, that is
    ``u < -expm1(-y)``, decided without the exponential where the bounds
    ``y - y**2 / 2 <= 1 - exp(-y) <= y`` settle it: 1 detected, 0 not, -1 undecided
    (``u`` within the bounds, or ``y`` not finite)."""
    if not y > 0.0:
        return 0  # probability 0 (or NaN): never detected
    if u >= y * (1.0 + _SURE):
        return 0
    if u < (y - 0.5 * y * y) * (1.0 - _SURE):
        return 1
    return -1


@numba.njit(cache=True)
def _thresholds(kind_count, activity, a_min, root, protection, base, intel, target,
                tip_rate, dt):
    """Per kind code, a uniform at or above which no slot of that kind is detected: the
    ``y * (1 + _SURE)`` of :func:`_decide` at the kind's largest hazard (largest activity,
    least protection, largest target multiplier). Every factor of the hazard is
    non-negative and rounding is monotone, so each slot's ``y * (1 + _SURE)`` is at most
    its kind's threshold. Infinite (no shortcut) for labs (their refusals add to the
    hazard), for a negative factor and where an input is not a number."""
    thr = np.full(kind_count, np.inf)
    if not dt >= 0.0:
        return thr
    if activity.size:
        top = 0.0
        for v in activity:
            if not v <= top:
                top = v  # NaN taken too: no bound
    else:
        top = max(1.0, a_min) if a_min == a_min else math.nan
        if root:
            top = math.sqrt(top)
    least = 0.0  # the least protection (0 for slots no official protects)
    for p in protection:
        if not p <= 1.0:
            return thr  # a factor 1 - p below 0 (or NaN)
        least = min(least, p)
    most = 1.0  # the largest target multiplier
    if target.size:
        most = 0.0
        for v in target:
            if not v >= 0.0:
                return thr
            most = max(most, v)
    for k in range(kind_count):
        if k != LAB and base[k] * intel >= 0.0:
            y = _hazard_of(k, base[k], intel, top, least, most, tip_rate, 0.0) * dt
            t = y * (1.0 + _SURE)
            if t == t:
                thr[k] = t
    return thr


@numba.njit(cache=True)
def _detect_fused(kind, alive, legit, refused, activity, throughput, capacity, a_min, root,
                  prot_map, protection, base, intel, target, enforced, tip_rate, dt, uid,
                  prefix, draws):
    """Detection: per slot the hazard (:func:`_hazard`) and its keyed uniform, decided by
    :func:`_decide`. Returns the slots detected (ascending), the undecided slots
    (ascending), their exponents ``-hazard * dt`` and their uniforms: the caller finishes
    those with NumPy's ``expm1``, so every slot is detected exactly when its keyed uniform
    is below the probability ``-np.expm1(-hazard * dt)``.

    The uniforms are drawn first, every slot's into ``draws`` (float64 scratch of at least
    ``kind.size``; a loop without branches, which the compiler vectorises). A slot whose
    uniform is at or above its kind's threshold (:func:`_thresholds`) is one
    :func:`_decide` would leave undetected whatever its hazard, so the hazard is computed
    only for the few slots below it (about the kind's largest probability of detection;
    listed over the front of ``draws``, which the list never overtakes, and their uniforms
    drawn again): the same slots, the same draws, a third of the time."""
    n = kind.size
    thr = _thresholds(base.size, activity, a_min, root, protection, base, intel, target,
                      tip_rate, dt)
    for i in range(n):  # without branches: vectorised
        draws[i] = keyed_uniform(np.uint64(uid[i]), prefix)
    below = draws.view(np.int64)  # the slots below their kind's threshold, over the draws
    m = 0
    for i in range(n):
        if draws[i] < thr[kind[i]]:
            below[m] = i  # m <= i: draws[i] was read before its place is written
            m += 1
    hit = np.empty(m, dtype=np.int64)
    nh = 0
    rest = np.empty(m, dtype=np.int64)
    rest_x = np.empty(m)
    rest_u = np.empty(m)
    nr = 0
    for c in range(m):
        i = below[c]
        u = keyed_uniform(np.uint64(uid[i]), prefix)  # its draw, again
        k = kind[i]
        if not alive[i] or not enforced[k] or (legit[i] and k == SUPPLIER):
            continue
        j = prot_map[i]
        act = activity[i] if activity.size else _activity_of(throughput[i], capacity[i], dt,
                                                             a_min, root)
        h = _hazard_of(k, base[k], intel, act, protection[j] if j >= 0 else 0.0,
                       target[i] if target.size else 1.0, tip_rate,
                       refused[i] if k == LAB else 0.0)  # only labs' refusals count
        x = -h * dt
        y = -x
        if not y > 0.0:
            continue
        d = _decide(u, y)
        if d == 1:
            hit[nh] = i
            nh += 1
        elif d < 0:
            rest[nr] = i
            rest_x[nr] = x
            rest_u[nr] = u
            nr += 1
    return hit[:nh], rest[:nr], rest_x[:nr], rest_u[:nr]


def run(sim) -> None:
    a = sim.s.actors
    draws = sim.__dict__.get("_draws")
    if draws is None or draws.size < a.n:  # scratch for the uniforms, kept between steps
        draws = sim._draws = np.empty(room(a.n))
    hit = _detect(*_hazard_args(sim), a.uid, sim.streams.key("enforcement.detect"), sim.step,
                  draws, nploops.EXPM1)
    strike = sim.efforts.strike
    if strike is not None and strike.any():
        hit = np.union1d(hit, np.flatnonzero(strike & a.alive))
    remove(sim, hit, cause="arrest")


def remove(sim, slots: np.ndarray, cause: str) -> None:
    """Take actors out: ``arrest`` (stocks seized, links revealed, vacancies) or ``exit``
    (stocks lost: failure, insolvency). Either way a marketplace's listings are orphaned
    (to migrate, adaptation). The actors' columns change in one compiled pass
    (:func:`_take_out`); sums of stocks and money are NumPy's over the same values in the
    same order (the stocks' summed there, :func:`~fentanet.simulate.kernels.np_sum`)."""
    if not len(slots):  # no one to take out (most steps of a small network)
        _arrest_columns(sim.now)
        return
    s = sim.s
    a = s.actors
    arrest = cause == "arrest"
    slots = np.asarray(slots, dtype=np.int64)
    if arrest:  # taken out, links revealed and dealers' markets found in one call
        p, ln = sim.p.enforcement, s.links
        n_kept, prod, prec, counts, lead, seized, n_dealers, add, mk = _arrests(
            slots, a.alive, a.product, a.precursor, a.org, a.role, a.kind, a.vacant,
            a.vacant_since, sim.t, sim.opens, _ARREST_COLUMN_OF, len(ARREST_COLUMNS),
            a.lost_recent, a.cash, a.hoard, p.asset_share, *sim.topo.incidence.parts(s),
            ln.src, ln.dst, ln.kind, ln.known, a.uid, sim.streams.key("knowledge.arrest"),
            sim.step, p.arrest_reveal, LKIND["sells_to"], s.market_of, s.n_markets,
            p.users_per_dealer_arrest)
    else:
        kept, prod, prec, counts, lead, seized, _, mk = _take_out(
            slots, False, a.alive, a.product, a.precursor, a.org, a.role, a.kind, a.vacant,
            a.vacant_since, sim.t, _NO_KINDS, _ARREST_COLUMN_OF, len(ARREST_COLUMNS),
            a.lost_recent, a.cash, a.hoard, sim.p.enforcement.asset_share)
        n_kept = kept.size
    if not n_kept:
        _arrest_columns(sim.now)
        return
    key = "seized_stock" if arrest else "lost"
    s.totals[key] = s.totals.get(key, 0.0) + float(prod)
    s.totals[f"{key}_precursor"] = s.totals.get(f"{key}_precursor", 0.0) + float(prec)
    now = sim.now
    if arrest:
        now["seized_stock_kg"] += float(prod)
        now["seized_precursor_kg"] += float(prec)
        for col, n in zip(ARREST_COLUMNS, counts.tolist(), strict=True):
            now[col] += float(n)
        if lead.size:  # a leader's or lieutenant's arrest: the organization's assets,
            # and its suspension (MADTOR)
            now["money_seized_usd"] += float(seized.sum())
            hit = sim.leadership_hit
            sim.leadership_hit = np.union1d(hit, lead) if hit.size else lead
        if n_dealers and sim.p.enforcement.users_per_dealer_arrest > 0:  # released later
            when = sim.step + max(1, round(sim.p.enforcement.jail_years / sim.dt))
            sim.releases[when] = sim.releases.get(when, np.zeros(s.n_markets)) + add
    else:
        now["lost_kg"] += float(prod)
        now["lost_precursor_kg"] += float(prec)
        _arrest_columns(now)
    if mk.size:  # taken down or left: listings to migrate
        _orphan(sim, mk)


@numba.njit(cache=True)
def _take_out(slots, arrest, alive, product, precursor, org, role, kind, vacant,
              vacant_since, t, opens, column_of, n_columns, lost_recent, cash, hoard, share):
    """The columns of :func:`remove` in one pass over the alive ones of ``slots`` (in their
    order): stocks to 0 (their values returned, for the caller's sums), not alive, the
    places of members (and of the kinds ``opens``) vacant since ``t``. On an ``arrest``
    also: the arrests per column of :data:`ARREST_COLUMNS`; each organization's recent
    losses grow by its members arrested (one addition of the count); the organizations of
    arrested leaders and lieutenants (ascending, distinct) lose a ``share`` of their cash
    and hoard (the amounts seized returned, in that order). Returns (slots taken out,
    product, precursor, arrests per column, those organizations, amounts seized, dealers
    taken out (ascending, distinct), marketplaces taken out (in order)); the product and
    precursor as their sums (NumPy's: :func:`~fentanet.simulate.kernels.np_sum`)."""
    kept = np.empty(slots.size, dtype=np.int64)
    k = 0
    for v in slots:  # the alive ones, before any is taken out
        if alive[v]:
            kept[k] = v
            k += 1
    kept = kept[:k]
    prod = np.empty(k)
    prec = np.empty(k)
    counts = np.zeros(n_columns, dtype=np.int64)
    members = np.empty(k, dtype=np.int64)  # organizations of the members, then of leaders
    lead = np.empty(k, dtype=np.int64)
    dealers = np.empty(k, dtype=np.int64)
    mk = np.empty(k, dtype=np.int64)
    n_mem = n_lead = n_dlr = n_mk = 0
    for j in range(k):  # every value before any is zeroed (a slot may come twice)
        prod[j] = product[kept[j]]
        prec[j] = precursor[kept[j]]
    for j in range(k):
        v = kept[j]
        product[v] = 0.0
        precursor[v] = 0.0
        alive[v] = False
        kv = kind[v]
        member = org[v] >= 0
        if member or opens[kv]:
            vacant[v] = True
            vacant_since[v] = t
        if kv == MARKETPLACE:
            mk[n_mk] = v
            n_mk += 1
        if not arrest:
            continue
        counts[column_of[kv]] += 1
        if member:
            members[n_mem] = org[v]
            n_mem += 1
            if role[v] >= LIEUTENANT:
                lead[n_lead] = org[v]
                n_lead += 1
        if kv == DEALER:
            dealers[n_dlr] = v
            n_dlr += 1
    members = np.sort(members[:n_mem])
    j = 0
    while j < n_mem:  # losses per organization: its count added once
        o = members[j]
        c = j
        while c < n_mem and members[c] == o:
            c += 1
        lost_recent[o] += float(c - j)
        j = c
    lead = np.unique(lead[:n_lead])
    seized = np.empty(lead.size)
    keep = 1.0 - share
    for j in range(lead.size):
        o = lead[j]
        seized[j] = (cash[o] + hoard[o]) * share
    for o in lead:
        cash[o] *= keep
    for o in lead:
        hoard[o] *= keep
    return (kept, np_sum(prod), np_sum(prec), counts, lead, seized, np.unique(dealers[:n_dlr]),
            mk[:n_mk])


@numba.njit(cache=True)
def _arrests(slots, alive, product, precursor, org, role, kind, vacant, vacant_since, t,
             opens, column_of, n_columns, lost_recent, cash, hoard, share, ptr, idx, n0, tkey,
             tlink, src, dst, link_kind, known, uid, key, step, reveal, sells_to, market_of,
             n_markets, users_per_dealer):
    """:func:`remove` on an arrest, its three compiled calls in one: :func:`_take_out`,
    then :func:`_reveal_links` of the slots taken out (share ``reveal``), then the people
    to release per market (:func:`_release`'s ``np.bincount`` of the dealers' first
    markets, :func:`_first_market`, times ``users_per_dealer``; empty unless dealers were
    taken out and ``users_per_dealer`` is above 0). Returns (how many were taken out,
    product, precursor, arrests per column, organizations of leaders and lieutenants,
    amounts seized, dealers taken out, people to release per market, marketplaces taken
    out)."""
    kept, prod, prec, counts, lead, seized, dealers, mk = _take_out(
        slots, True, alive, product, precursor, org, role, kind, vacant, vacant_since, t,
        opens, column_of, n_columns, lost_recent, cash, hoard, share)
    if kept.size:
        _reveal_links(kept, ptr, idx, n0, tkey, tlink, src, dst, link_kind, known, uid, key,
                      step, reveal)
    add = np.zeros(0)
    if dealers.size and users_per_dealer > 0:
        markets = _first_market(dealers, ptr, idx, n0, tkey, tlink, src, dst, link_kind,
                                sells_to, market_of)
        count = np.zeros(n_markets, dtype=np.int64)
        for m in markets:
            count[m] += 1
        add = np.empty(n_markets)
        for m in range(n_markets):
            add[m] = count[m] * users_per_dealer  # as NumPy's int64 array times a float
    return kept.size, prod, prec, counts, lead, seized, dealers.size, add, mk


SELLER_CODES = tuple(KIND[k] for k in SELLER_KINDS)
"""Kind codes whose independents' places ``seller_replacement`` refills; the other enforced
kinds' are ``independent_replacement``'s."""
_NO_KINDS = np.zeros(len(KIND), dtype=bool)

ARREST_COLUMNS = (*(f"arrests_{k}" for k in KINDS_ENFORCED), "arrests_other")
"""The arrest columns: one per enforced kind, and ``arrests_other`` for members of the other
kinds (an untyped ``actor`` in an organization, say), whom no detection hazard reaches but a
one-time takedown of their organization arrests. Every arrest is in exactly one of them."""

_ARREST_COLUMN_OF = np.full(len(KIND), len(KINDS_ENFORCED), dtype=np.int64)
_ARREST_COLUMN_OF[[KIND[k] for k in KINDS_ENFORCED]] = np.arange(len(KINDS_ENFORCED))
"""Position in :data:`ARREST_COLUMNS` of each kind code's arrests."""


def _arrest_columns(now) -> None:
    """The arrest columns not yet set this step, as 0 (in the order of ARREST_COLUMNS)."""
    missing = [col for col in ARREST_COLUMNS if col not in now]
    if missing:
        now.update(dict.fromkeys(missing, 0.0))


def _reveal(sim, slots):
    """A share ``arrest_reveal`` of the arrested actors' unknown links becomes known
    (keyed by the link's endpoints). :func:`remove` does it in :func:`_arrests`' call."""
    s = sim.s
    ln = s.links
    inc = sim.topo.incidence
    _reveal_links(slots, *inc.parts(s), ln.src, ln.dst, ln.kind, ln.known, s.actors.uid,
                  sim.streams.key("knowledge.arrest"), sim.step, sim.p.enforcement.arrest_reveal)


@numba.njit(cache=True, inline="always")
def _tail(v, tkey):
    """Bounds of the tail entries of ``v``: the first by binary search, the end by a scan
    from it (an endpoint has a few tail entries; a second search's dozen dependent loads
    over the tail cost more)."""
    lo = np.searchsorted(tkey, v, "left")
    hi = lo
    while hi < tkey.size and tkey[hi] == v:
        hi += 1
    return lo, hi


@numba.njit(cache=True)
def links_of_slots(slots, ptr, idx, n0, tkey, tlink):
    """Links incident to any of ``slots`` (a link between two of them appears twice), per
    slot in link order (its rows, then its tail); the arguments after ``slots`` are
    :meth:`Incidence.parts`. Each slot's tail bounds are found once, kept for the copy."""
    bounds = np.empty((slots.size, 2), dtype=np.int64)
    size = 0
    for c in range(slots.size):
        v = slots[c]
        if v < n0:
            size += ptr[v + 1] - ptr[v]
        lo, hi = _tail(v, tkey)
        bounds[c, 0] = lo
        bounds[c, 1] = hi
        size += hi - lo
    out = np.empty(max(size, 1), dtype=np.int64)
    k = 0
    for c in range(slots.size):
        v = slots[c]
        if v < n0:
            for j in range(ptr[v], ptr[v + 1]):
                out[k] = idx[j]
                k += 1
        for j in range(bounds[c, 0], bounds[c, 1]):
            out[k] = tlink[j]
            k += 1
    return out[:k]


@numba.njit(cache=True)
def _reveal_links(slots, ptr, idx, n0, tkey, tlink, src, dst, kind, known, uid, key, step,
                  share):
    """The unknown links of ``slots`` whose keyed uniform (:func:`_link_key`, under the
    prefix of the stream's ``key`` at ``step``) is below ``share`` become known."""
    prefix = step_prefix(key, step)
    lis = links_of_slots(slots, ptr, idx, n0, tkey, tlink)
    for li in lis:
        if not known[li] and keyed_uniform(_link_key(uid, src, dst, kind, li), prefix) < share:
            known[li] = True


def _release(sim, dealers):
    """People who use drugs served by arrested dealers (``dealers``: slots, distinct) are
    released into the dealer's market (its first ``sells_to`` link) after ``jail_years``.
    :func:`remove` finds the markets in :func:`_arrests`' call."""
    s, p = sim.s, sim.p.enforcement
    ln = s.links
    if not dealers.size or p.users_per_dealer_arrest <= 0:
        return
    inc = sim.topo.incidence
    mk = _first_market(dealers, *inc.parts(s), ln.src, ln.dst, ln.kind,
                       LKIND["sells_to"], s.market_of)
    when = sim.step + max(1, round(p.jail_years / sim.dt))
    add = np.bincount(mk, minlength=s.n_markets) * p.users_per_dealer_arrest
    sim.releases[when] = sim.releases.get(when, np.zeros(s.n_markets)) + add


@numba.njit(cache=True)
def _first_market(dealers, ptr, idx, n0, tkey, tlink, src, dst, kind, sells_to, market_of):
    """Market of each dealer's first ``sells_to`` link in link order (dealers without one,
    or whose first one ends outside a market, are left out)."""
    out = np.empty(dealers.size, dtype=np.int64)
    k = 0
    for v in dealers:
        first = -1
        if v < n0:
            for j in range(ptr[v], ptr[v + 1]):
                li = idx[j]
                if kind[li] == sells_to and src[li] == v:
                    first = li
                    break  # rows are in link order
        if first < 0:
            lo, hi = _tail(v, tkey)
            for j in range(lo, hi):  # the tail, in link order
                li = tlink[j]
                if kind[li] == sells_to and src[li] == v:
                    first = li
                    break
        if first >= 0 and market_of[dst[first]] >= 0:
            out[k] = market_of[dst[first]]
            k += 1
    return out[:k]


def _orphan(sim, marketplaces):
    """Listings of marketplaces that left: partners to be moved to a surviving one, one
    row (partner slot, link kind, partner is the sender, marketplace slot, link) per alive
    flow link (a listing that moved away earlier is a retired link), links out of the
    marketplaces first, each part in link order."""
    ln = sim.s.links
    inc = sim.topo.incidence
    li = np.unique(links_of_slots(marketplaces, *inc.parts(sim.s)))
    rows = _orphan_rows(li, ln.src, ln.dst, ln.kind, ln.alive,
                        np.asarray(marketplaces, dtype=np.int64), _FLOW_KINDS)
    sim.orphans = np.concatenate([sim.orphans, rows])


_FLOW_KINDS = np.array([LKIND["supplies"], LKIND["ships"], LKIND["sells_to"]], dtype=np.int64)


@numba.njit(cache=True)
def _orphan_rows(li, src, dst, kind, link_alive, marketplaces, flow_kinds):
    """The rows of :func:`_orphan` for the links ``li`` (ascending): (receiver, kind, 0,
    marketplace, link) for each alive flow link out of a marketplace, then (sender, kind,
    1, marketplace, link) for each into one."""
    mk = np.sort(marketplaces)
    rows = np.empty((2 * li.size, 5), dtype=np.int64)
    c = 0
    for part in range(2):
        for j in range(li.size):
            e = li[j]
            k = kind[e]
            if not link_alive[e] or (
                    k != flow_kinds[0] and k != flow_kinds[1] and k != flow_kinds[2]):
                continue
            end = src[e] if part == 0 else dst[e]
            i = np.searchsorted(mk, end)
            if i < mk.size and mk[i] == end:
                rows[c, 0] = dst[e] if part == 0 else src[e]
                rows[c, 1] = k
                rows[c, 2] = part
                rows[c, 3] = end
                rows[c, 4] = e
                c += 1
    return rows[:c]
