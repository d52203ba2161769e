"""Phase 10, adaptation: how the trade responds (each behaviour can be turned off).

- Suspension (MADTOR; lying low, Morselli et al. 2007): an organization whose recent
  losses (an exponentially decaying count, window ``loss_window_years``) exceed
  ``suspension_share`` of its initial members, or whose leader or a lieutenant was arrested
  this step (``suspension_on_leadership``), suspends procurement and production for
  ``suspension_years``.
- Succession and failure: a lieutenant replaces an arrested leader; an organization fails
  when its leader cannot be replaced (a required role is empty), when it cannot pay its
  upkeep (cash would fall below zero) or when it has no member left. Its members leave and
  their stocks are lost. Insolvent independents quit.
- Replacement (MADTOR): vacancies older than ``replacement_delay_years`` are refilled,
  ``Binomial(vacancies, 1 - exp(-r * dt * alive / initial))`` per organization (keyed by
  its uid), so recovery slows as losses mount. A recruit takes the vacant position (slot
  and flow links) with a fresh uid; the police do not know its links; it forms
  ``closure_ties`` ties to friends of friends: a sponsor among the alive tie neighbours of
  the position, then distinct alive tie neighbours of the sponsor that are not already
  the position's neighbours (draws keyed by the recruit's uid; ties formed in this step
  are seen from the next step on).
- Displacement is in the shipping phase (route choice by recent losses).
- Entry: while the price index is above ``entry_threshold``, new labs and, separately, new
  illicit suppliers appear, each kind at rate ``entry_rate * (price - threshold)`` per 100
  initial labs, with fresh uids, linked to existing suppliers, labs and routes.
- Exit: while the price index is below ``exit_threshold``, labs and illicit suppliers
  leave with the hazard ``exit_rate * (threshold - price)`` per year each, the latest
  entrants first, then the smallest; an organization keeps its last lab and the trade its
  last illicit supplier; their places are not refilled.
- Re-routing (NarcoLogic: traffickers take up new routes when losses on theirs are high):
  a lab whose routes' recent loss share (capacity-weighted, the share shipping keeps for
  displacement) exceeds ``reroute_threshold`` links to a new route with the hazard
  ``reroute_rate * (share - threshold)`` per year (one uniform keyed by the lab's uid,
  stream ``adaptation.reroute``): an alive route it has no link to, with a lower recent
  loss share and spare room (capacity * dt less what it carried this step), of its own
  organization if it has one such route, else any; of a mode none of its routes has
  first; then the most spare room (ties: the lowest slot). Labs go in slot order, each
  taking its capacity * dt from the route's spare room. The link is seen from the next
  step on. Traffickers re-route by the same rule (``reroute_traffickers``, stream
  ``adaptation.reroute_traffickers``): a trafficker whose routes' recent loss share
  exceeds the threshold links from a new route, chosen as a lab's, after the labs of the
  step took their room. A trafficker fed by routes with no alive route left (lost supply,
  ``reroute_supply``; its loss share is undefined) links from a new route with the hazard
  ``reroute_supply_rate`` per year (stream ``adaptation.reroute_supply``): one whose loss
  share is at most the threshold, with spare room of its own, its organization's first,
  then the most room.
- Replacement of independent sellers (``seller_replacement``): the place of an arrested
  dealer or marketplace without an organization is taken by a newcomer after the delay, at
  ``seller_replacement_rate``; newcomers and recruits join in one call, so the ties formed
  in this step are seen from the next.
- Replacement of other independents (``independent_replacement``): the place of an
  arrested independent of another enforced kind (an illicit supplier, official, fronting
  business, prescriber, ...) is taken by a newcomer after the delay, at
  ``independent_replacement_rate``, so that routine arrests do not wear the status quo
  down.
- Migration: partners of a marketplace that left (taken down, or quit insolvent: to its
  vendors an exit is a closure like a takedown) move their listings to a surviving
  marketplace where they are not listed yet, at ``migration_rate``; a replaced marketplace
  keeps the listings not yet moved.
"""

from __future__ import annotations

import numba
import numpy as np

from fentanet import _jitcache  # noqa: F401  (numba's cache, stale after any kernel's edit)
from fentanet.simulate import kernels, nploops
from fentanet.simulate.binomial import keyed_uniform, step_prefix
from fentanet.simulate.phases import enforcement
from fentanet.simulate.state import KIND, LKIND, PREFIX, ROLE, room

KIND_NAMES = {v: k for k, v in KIND.items()}
MARKETPLACE = KIND["marketplace"]
_FLOW_KINDS = enforcement._FLOW_KINDS  # the kinds of a marketplace's listings
_PREFIX_OF = {v: PREFIX[k] for k, v in KIND.items()}  # label prefix by kind code
LEADER, LIEUTENANT, MEMBER = ROLE["leader"], ROLE["lieutenant"], ROLE["member"]
LAB, ROUTE, TRAFFICKER = KIND["lab"], KIND["route"], KIND["trafficker"]
SUPPLIER, ORGANIZATION = KIND["supplier"], KIND["organization"]


def run(sim, spinup: bool = False) -> None:
    """The phase; in the spin-up (``spinup``, :func:`warmup`) without insolvency, entry
    and exit."""
    ad = sim.p.adaptation
    _succession_and_failure(sim, spinup, suspend=True)  # the suspension first
    recruits = [_replacement(sim)] if ad.replacement else []
    if ad.seller_replacement or ad.independent_replacement:
        recruits.append(_newcomers(sim))
    slots = np.concatenate(recruits) if recruits else _NO_SLOTS
    if slots.size:
        _recruit(sim, slots)  # one call: the ties formed now are seen from the next step
    if ad.entry and not spinup:
        _entry(sim)
    if ad.exit and not spinup:
        _exit(sim)
    if ad.reroute or ad.reroute_room or ad.reroute_traffickers or ad.reroute_supply:
        _reroute(sim)
    if ad.migration and sim.orphans.size:
        _migration(sim)
    a = sim.s.actors
    active, suspended = _org_counts(sim.topo.slots("organization"), a.alive,
                                    a.suspended_until, sim.t)
    sim.now["organizations_active"] = float(active)
    sim.now["organizations_suspended"] = float(suspended)


@numba.njit(cache=True)
def _org_counts(orgs, alive, suspended_until, t):
    """Alive organizations, and those of them suspended at time ``t``."""
    active = 0
    suspended = 0
    for o in orgs:
        if alive[o]:
            active += 1
            suspended += suspended_until[o] > t
    return active, suspended


def _suspension(sim):
    """Suspension (module docstring); the phase makes it in the call of
    :func:`_succession_and_failure`."""
    a, ad = sim.s.actors, sim.p.adaptation
    hit = sim.leadership_hit  # organizations whose leader or a lieutenant was arrested
    decay = _loss_decay(sim)  # losses are counted on organizations
    alive, fresh, led = _suspend(sim.topo.slots("organization"), hit, a.alive,
                                 sim.s.org_initial, a.lost_recent, a.suspended_until,
                                 ad.suspension, ad.suspension and ad.suspension_on_leadership,
                                 ad.suspension_share, sim.t, sim.t + ad.suspension_years,
                                 decay)
    if hit.size:
        sim.leadership_hit = hit[:0]
    if ad.suspension and alive:
        sim.now["suspensions"] = float(fresh + led)


def _loss_decay(sim) -> float:
    """``exp(-dt / loss_window_years)``, the decay of organizations' recent losses per
    step, kept on the run for its adaptation parameters."""
    ad = sim.p.adaptation
    got = sim.__dict__.get("_loss_decay_of")
    if got is None or got[0] is not ad:
        got = sim._loss_decay_of = (ad, np.exp(-sim.dt / ad.loss_window_years))
    return got[1]


@numba.njit(cache=True)
def _suspend(orgs, hit, alive, initial, lost_recent, suspended_until, on, on_leadership, share,
             t, until, decay):
    """In place: with ``on_leadership`` the organizations ``hit`` (their leader or a
    lieutenant arrested this step) that are alive and not suspended at ``t`` suspend until
    ``until`` and start counting afresh (all of them tested, then all suspended: as NumPy's
    masks); then alive organizations whose recent losses exceed ``share`` of their initial
    members (at least 1) and that are not suspended at ``t`` do the same; every
    organization's losses decay. Returns (alive organizations, new suspensions for losses,
    suspensions on leadership)."""
    led = 0
    if on_leadership and hit.size:
        going = np.empty(hit.size, dtype=np.bool_)
        for j in range(hit.size):
            going[j] = alive[hit[j]] and suspended_until[hit[j]] <= t
        for j in range(hit.size):
            if going[j]:
                suspended_until[hit[j]] = until
                lost_recent[hit[j]] = 0.0
                led += 1
    n_alive = 0
    fresh = 0
    for o in orgs:
        if alive[o]:
            n_alive += 1
            if on and lost_recent[o] / max(initial[o], 1.0) > share and (
                    suspended_until[o] <= t):
                suspended_until[o] = until
                lost_recent[o] = 0.0
                fresh += 1
        lost_recent[o] *= decay
    return n_alive, fresh, led


_STREAMS = ("adaptation.recruit", "adaptation.sellers", "adaptation.independents",
            "adaptation.rewire", "adaptation.exit")


def _keys(sim) -> dict[str, np.uint64]:
    """The keys (:meth:`Streams.key`) of the streams whose step prefixes the compiled calls
    make themselves (:func:`step_prefix`, bit-identical to :meth:`Streams.prefix` and a
    few microseconds less a call), kept on the run: a key depends on the seed and the
    stream's name alone."""
    keys = sim.__dict__.get("_adaptation_keys")
    if keys is None:
        keys = sim._adaptation_keys = {name: sim.streams.key(name) for name in _STREAMS}
    return keys


def _leaders(sim) -> np.ndarray:
    """Member slots holding the leader role (ascending): :func:`_with_role`."""
    return _with_role(sim, "_leaders", LEADER)


def _lieutenants(sim) -> np.ndarray:
    """Member slots holding the lieutenant role (ascending): :func:`_with_role`."""
    return _with_role(sim, "_lieutenants", LIEUTENANT)


def _with_role(sim, name: str, role: int) -> np.ndarray:
    """Member slots holding ``role``, ascending, kept in ``sim.<name>`` with the number of
    actors they cover. Only a succession changes roles (:func:`_succession` hands back
    both lists as it leaves them), so actors appended since are looked at alone; a list
    set to None is taken afresh."""
    a = sim.s.actors
    got = sim.__dict__.get(name)
    if got is None:
        got = (np.flatnonzero((a.org >= 0) & (a.role == role)), a.n)
        setattr(sim, name, got)
    elif got[1] != a.n:
        m = got[1]
        new = m + np.flatnonzero((a.org[m:] >= 0) & (a.role[m:] == role))
        got = (np.concatenate([got[0], new]) if new.size else got[0], a.n)
        setattr(sim, name, got)
    return got[0]


@numba.njit(cache=True)
def _succession(leaders, lieutenants, org, alive, role, uid, succession):
    """For each lost leader (not alive, in slot order) of an alive organization: the alive
    lieutenant of that organization with the smallest uid becomes leader, the lost leader's
    slot a member; without one the organization is failing. ``leaders`` and
    ``lieutenants``: the member slots holding those roles (ascending); the lieutenants are
    the only slots that can take the role, and the roles are read as they change, as a
    look over every slot would. Returns (failing organizations, the leaders and the
    lieutenants after the changes (ascending), whether roles changed)."""
    failing = np.empty(leaders.size, dtype=np.int64)
    nf = 0
    leaders = leaders.copy()
    promoted = np.zeros(lieutenants.size, dtype=np.bool_)
    changed = False
    for p in range(leaders.size):
        slot = leaders[p]
        if alive[slot]:
            continue
        o = org[slot]
        if not alive[o]:
            continue
        new = -1
        at = -1
        if succession:
            for q in range(lieutenants.size):
                i = lieutenants[q]
                if org[i] == o and alive[i] and role[i] == LIEUTENANT and (
                        new < 0 or uid[i] < uid[new]):
                    new = i
                    at = q
        if new >= 0:
            role[new] = LEADER
            role[slot] = MEMBER
            leaders[p] = new
            promoted[at] = True
            changed = True
        else:
            failing[nf] = o  # a required role is empty
            nf += 1
    if changed:
        leaders.sort()
        lieutenants = lieutenants[~promoted]
    return failing[:nf], leaders, lieutenants, changed


@numba.njit(cache=True)
def _member_counts(member_org, alive, n_orgs):
    """Alive members per organization (local numbers)."""
    out = np.zeros(n_orgs)
    for i in range(member_org.size):
        if member_org[i] >= 0 and alive[i]:
            out[member_org[i]] += 1.0
    return out


_NO_SLOTS = np.zeros(0, dtype=np.int64)


@numba.njit(cache=True)
def _failures(failing, orgs, alive, kind, count, org_loc, insolvent, org_kind, org):
    """Organizations that fail (ascending): those ``failing`` succession, the alive ones
    without an alive member, the insolvent ones; each alive and of kind organization. And
    the insolvent that quit (in order): those of another kind in no organization."""
    quit_ = np.empty(insolvent.size, dtype=np.int64)
    q = 0
    for o in insolvent:
        if kind[o] != org_kind and org[o] < 0:
            quit_[q] = o
            q += 1
    buf = np.empty(failing.size + orgs.size + insolvent.size, dtype=np.int64)
    n = 0
    for o in failing:
        buf[n] = o
        n += 1
    for o in orgs:
        if alive[o] and count[org_loc[o]] == 0:
            buf[n] = o
            n += 1
    for o in insolvent:
        if kind[o] == org_kind:
            buf[n] = o
            n += 1
    sort_small(buf, n)  # then distinct, as np.unique: the candidates are few
    k = 0
    for j in range(n):
        o = buf[j]
        if (j == 0 or o != buf[j - 1]) and alive[o] and kind[o] == org_kind:
            buf[k] = o
            k += 1
    return buf[:k].copy(), quit_[:q]


def _succession_and_failure(sim, spinup: bool = False, suspend: bool = False):
    """Leaders' succession, and the organizations that fail (no alive member, an empty
    required role, or insolvent: not in the spin-up) and the insolvent that quit; with
    ``suspend`` the suspension (:func:`_suspension`) before them, in the same compiled call
    (:func:`_turnover`)."""
    s, ad = sim.s, sim.p.adaptation
    a, topo = s.actors, sim.topo
    independents = ad.seller_replacement or ad.independent_replacement
    # the vacancies in the same pass, kept for replacement when no organization fails in
    # between (failures change who is alive and vacant among members), and the open places
    # of independents (failures take out members, and insolvent independents without
    # opening their places: those places stay as they are until their replacement)
    vacancies = ad.replacement or independents
    hit = sim.leadership_hit if suspend else _NO_SLOTS
    on = suspend and ad.suspension
    (n_alive, fresh, led, ready, vac, count, places, fail, quit_, leaders, lieutenants,
     changed) = _turnover(
        topo.slots("organization"), hit, a.alive, s.org_initial, a.lost_recent,
        a.suspended_until, on, on and ad.suspension_on_leadership, ad.suspension_share, sim.t,
        sim.t + ad.suspension_years, _loss_decay(sim) if suspend else 1.0, vacancies,
        a.vacant, a.vacant_since, a.org, topo.member_org, ad.replacement_delay_years,
        _member_totals(sim) if vacancies else _NO_SLOTS, topo.org_ids.size, _leaders(sim),
        _lieutenants(sim), a.role, a.uid, ad.succession, a.kind, topo.org_loc,
        _NO_SLOTS if spinup else getattr(sim, "insolvent", _NO_SLOTS))
    if suspend:
        if hit.size:
            sim.leadership_hit = hit[:0]
        if on and n_alive:
            sim.now["suspensions"] = float(fresh + led)
    if vacancies:
        sim._ready = (ready, vac, count, places) if ad.replacement else None
        sim._open = places if independents else None
    if changed:
        sim._leaders, sim._lieutenants = (leaders, a.n), (lieutenants, a.n)
    if fail.size:
        sim._ready = None
        members, alive_members = _members_of(fail, a.org, a.alive)
        enforcement.remove(sim, alive_members, cause="exit")
        a.vacant[members] = False
        a.alive[fail] = False
        a.failed[fail] = True
        a.cash[fail] = 0.0
    sim.now["organizations_failed"] = float(fail.size)
    if quit_.size:
        enforcement.remove(sim, quit_, cause="exit")


@numba.njit(cache=True)
def _succession_failures(leaders, lieutenants, org, alive, role, uid, succession, orgs, kind,
                         count, org_loc, insolvent):
    """:func:`_succession`, then :func:`_failures` with the organizations it leaves failing,
    in one compiled call. Returns (the organizations that fail, the insolvent that quit,
    then :func:`_succession`'s leaders, lieutenants and whether roles changed)."""
    failing, leaders, lieutenants, changed = _succession(leaders, lieutenants, org, alive,
                                                         role, uid, succession)
    fail, quit_ = _failures(failing, orgs, alive, kind, count, org_loc, insolvent,
                            ORGANIZATION, org)
    return fail, quit_, leaders, lieutenants, changed


@numba.njit(cache=True)
def _turnover(orgs, hit, alive, initial, lost_recent, suspended_until, on, on_leadership,
              share, t, until, decay, vacancies, vacant, vacant_since, org, member_org, delay,
              totals, n_orgs, leaders, lieutenants, role, uid, succession, kind, org_loc,
              insolvent):
    """:func:`_succession_and_failure`'s compiled calls in one, in their order: the
    suspension (:func:`_suspend`; with ``on`` and ``on_leadership`` false and ``decay`` 1
    it changes nothing), the vacancies (:func:`_vacancies`, with ``vacancies``; else the
    alive members per organization, :func:`_member_counts`, and no vacancy or place), then
    :func:`_succession_failures` on those counts. Returns (:func:`_suspend`'s three counts,
    :func:`_vacancies`' four values, :func:`_succession_failures`' five)."""
    n_alive, fresh, led = _suspend(orgs, hit, alive, initial, lost_recent, suspended_until,
                                   on, on_leadership, share, t, until, decay)
    if vacancies:
        ready, vac, count, places = _vacancies(vacant, vacant_since, org, member_org, alive,
                                               t, delay, totals)
    else:
        count = _member_counts(member_org, alive, n_orgs)
        ready = places = np.empty(0, dtype=np.int64)
        vac = np.zeros(n_orgs, dtype=np.int64)
    fail, quit_, leaders, lieutenants, changed = _succession_failures(
        leaders, lieutenants, org, alive, role, uid, succession, orgs, kind, count, org_loc,
        insolvent)
    return (n_alive, fresh, led, ready, vac, count, places, fail, quit_, leaders, lieutenants,
            changed)


@numba.njit(cache=True)
def _members_of(orgs, org, alive):
    """The members of the organizations ``orgs`` (slots), ascending, in one pass over the
    actors: all of them, and those alive."""
    gone = np.zeros(alive.size, dtype=np.bool_)
    for o in orgs:
        gone[o] = True
    found = np.empty(org.size, dtype=np.int64)
    k = 0
    n_alive = 0
    for i in range(org.size):
        if org[i] >= 0 and gone[org[i]]:
            found[k] = i
            k += 1
            n_alive += alive[i]
    members = found[:k].copy()
    alive_members = np.empty(n_alive, dtype=np.int64)
    j = 0
    for i in members:
        if alive[i]:
            alive_members[j] = i
            j += 1
    return members, alive_members


@numba.njit(cache=True)
def _vacancies(vacant, vacant_since, org, member_org, alive, t, delay, totals):
    """Vacancies ready to be refilled (slots, ascending), per organization (local numbers)
    the ready vacancies and the alive members, and the places without an organization
    vacant for at least ``delay`` (slots, ascending: :func:`_open_places`).

    ``totals``: the members of each organization, alive or not, by local number + 1
    (:func:`_member_totals`). The alive members are those less the members not alive, and
    the slots not alive and the vacant slots are few: both are found eight slots at a
    time, ``alive`` and ``vacant`` read as 64-bit words (a word of eight alive slots, or of
    eight not vacant, is passed over). Whole counts, as adding 1.0 per member gave."""
    n = vacant.size
    dead = np.zeros(totals.size, dtype=np.int64)
    all_alive = np.uint64(0x0101010101010101)  # eight True bytes
    words = alive[: n - n % 8].view(np.uint64)
    for w in range(words.size):
        if words[w] != all_alive:
            for i in range(8 * w, 8 * w + 8):
                dead[member_org[i] + 1] += not alive[i]
    for i in range(8 * words.size, n):
        dead[member_org[i] + 1] += not alive[i]
    members = (totals - dead)[1:].astype(np.float64)
    nv = 0
    for i in range(n):  # without branches: vectorised
        nv += vacant[i]
    found = np.empty(nv, dtype=np.int64)
    words = vacant[: n - n % 8].view(np.uint64)
    k = 0
    for w in range(words.size):
        if words[w] != 0:
            for i in range(8 * w, 8 * w + 8):
                if vacant[i]:
                    found[k] = i
                    k += 1
    for i in range(8 * words.size, n):
        if vacant[i]:
            found[k] = i
            k += 1
    ready = np.empty(nv, dtype=np.int64)
    k = 0
    places = np.empty(nv, dtype=np.int64)
    m = 0
    vac = np.zeros(totals.size - 1, dtype=np.int64)
    for i in found:
        if not t - vacant_since[i] >= delay - 1e-12:
            continue
        if org[i] < 0:
            places[m] = i
            m += 1
            continue
        o = member_org[i]
        if o >= 0 and alive[org[i]]:
            ready[k] = i
            k += 1
            vac[o] += 1
    return ready[:k], vac, members, places[:m]


@numba.njit(cache=True)
def _count_members(member_org, start, totals):
    """Add the slots from ``start`` on to ``totals`` (members by local number + 1)."""
    for i in range(start, member_org.size):
        totals[member_org[i] + 1] += 1


def _member_totals(sim) -> np.ndarray:
    """Members of each organization, alive or not, by local number + 1 (0: actors in no
    organization), for :func:`_vacancies`. Kept with the actors they cover and extended
    with those appended since: a slot's organization never changes and organizations keep
    their local numbers."""
    topo = sim.topo
    mo = topo.member_org
    got = sim.__dict__.get("_totals")
    if got is None or got[1] > mo.size:
        got = (np.zeros(topo.org_ids.size + 1, dtype=np.int64), 0)
    totals, start = got
    if totals.size < topo.org_ids.size + 1:  # organizations appended
        totals = np.concatenate([totals, np.zeros(topo.org_ids.size + 1 - totals.size,
                                                  dtype=np.int64)])
    if start < mo.size:
        _count_members(mo, start, totals)
    sim._totals = (totals, mo.size)
    return totals


def _replacement(sim):
    s, ad = sim.s, sim.p.adaptation
    a, topo = s.actors, sim.topo
    got = sim.__dict__.pop("_ready", None)
    if got is None:
        got = _vacancies(a.vacant, a.vacant_since, a.org, topo.member_org, a.alive, sim.t,
                         ad.replacement_delay_years, _member_totals(sim))
    ready, vac, members = got[:3]
    if not ready.size:
        sim.now["recruits"] = 0.0
        return _NO_SLOTS
    chosen, walked, loc, prob = _recruits(ready, vac, members, s.org_initial,
                                          -ad.recruit_rate * sim.dt, nploops.EXPM1,
                                          topo.org_ids, a.uid, _keys(sim)["adaptation.recruit"],
                                          sim.step, a.org, a.vacant_since, topo.member_org)
    if not walked:  # a count the walk cannot take: the exact bisection
        orgs = topo.org_ids[loc]
        k = sim.streams.binomial("adaptation.recruit", sim.step, a.uid[orgs], vac[loc], prob)
        take = np.zeros(topo.org_ids.size, dtype=np.int64)
        take[loc] = k
        chosen = _chosen(ready, take, a.org, a.vacant_since, topo.member_org)
    sim.now["recruits"] = float(chosen.size)
    return chosen


@numba.njit(cache=True)
def _recruit_exponents(vac, members, org_ids, initial, c):
    """The organizations with vacancies (local numbers, ascending) and for each
    ``c * members / max(initial, 1)`` (``c = -rate * dt``; :func:`_recruits` takes
    ``-expm1`` of it, NumPy's: the recruit probability). The same operations as NumPy's
    on arrays: a product, then a quotient; the maximum keeps a NaN."""
    m = 0
    for o in range(vac.size):
        m += vac[o] > 0
    loc = np.empty(m, dtype=np.int64)
    x = np.empty(m)
    j = 0
    for o in range(vac.size):
        if vac[o] > 0:
            v = initial[org_ids[o]]
            init = v if (v >= 1.0 or v != v) else 1.0
            loc[j] = o
            x[j] = c * members[o] / init
            j += 1
    return loc, x


@numba.njit(cache=True)
def _recruits(ready, vac, members, initial, c, expm1_loop, org_ids, uid, key, step, org,
              vacant_since, member_org):
    """The vacancies refilled this step: the organizations with vacancies (``loc``) and
    their recruit probabilities ``prob``, ``-expm1`` (NumPy's: ``expm1_loop``,
    :mod:`fentanet.simulate.nploops`) of :func:`_recruit_exponents`; per organization a
    count ``Binomial(vacancies, prob)`` by inversion of the uniform keyed by its uid under
    the prefix of the stream's ``key`` at ``step`` (as :meth:`Streams.binomial`:
    :func:`kernels.binomial_inverse_clipped`), then :func:`_chosen`. Returns (slots, True,
    loc, prob), or (nothing, False, loc, prob) when a count needs the exact bisection (the
    caller then draws them with :meth:`Streams.binomial`)."""
    loc, prob = _recruit_exponents(vac, members, org_ids, initial, c)
    nploops.apply(expm1_loop, prob, prob)
    for j in range(prob.size):
        prob[j] = -prob[j]
    prefix = step_prefix(key, step)
    u = np.empty(loc.size)
    for j in range(loc.size):
        u[j] = keyed_uniform(np.uint64(uid[org_ids[loc[j]]]), prefix)
    k, rest = kernels.binomial_inverse_clipped(u, vac[loc], prob)
    if rest:
        return np.empty(0, dtype=np.int64), False, loc, prob
    take = np.zeros(vac.size, dtype=np.int64)
    for j in range(loc.size):
        take[loc[j]] = k[j]
    return _chosen(ready, take, org, vacant_since, member_org), True, loc, prob


def _newcomers(sim) -> np.ndarray:
    """The vacant places of independents taken this step (slots: the sellers', then the
    others'), each by a newcomer who joins as a recruit does (:func:`_recruit`, by the
    caller). A place vacant for at least the delay is taken with probability
    ``1 - exp(-rate * dt)``, keyed by the place's last uid: an independent seller's
    (arrested dealer or taken-down marketplace, :data:`enforcement.SELLER_CODES`) at
    ``seller_replacement_rate`` (stream ``adaptation.sellers``), any other's at its kind's
    ``independent_replacement_rate`` (stream ``adaptation.independents``)."""
    a, ad = sim.s.actors, sim.p.adaptation
    ready = sim.__dict__.pop("_open", None)  # found with the vacancies this step
    if ready is None:
        ready = _open_places(a.vacant, a.vacant_since, a.org, sim.t,
                             ad.replacement_delay_years)
    keys = _keys(sim)
    chosen, n_sellers = _taken_places(ready, a.uid, a.kind, _SELLER, sim.step,
                                      keys["adaptation.sellers"],
                                      keys["adaptation.independents"], _taking(sim),
                                      ad.seller_replacement, ad.independent_replacement)
    if ad.seller_replacement:
        sim.now["sellers_replaced"] = float(n_sellers)
    if ad.independent_replacement:
        sim.now["independents_replaced"] = float(chosen.size - n_sellers)
    return chosen


_SELLER = np.zeros(len(KIND), dtype=bool)
_SELLER[list(enforcement.SELLER_CODES)] = True


def _taking(sim) -> np.ndarray:
    """The probability by kind code that a vacant independent's place is taken in a step,
    ``1 - exp(-rate * dt)`` at its :func:`enforcement.replacement_rates`, kept on the run."""
    p = sim.__dict__.get("_taking")
    if p is None:
        rates = enforcement.replacement_rates(sim.p.adaptation)
        p = sim._taking = -np.expm1(-rates * sim.dt)
    return p


@numba.njit(cache=True)
def _taken_places(ready, uid, kind, seller, step, key_sellers, key_others, p, sellers,
                  others):
    """The places among ``ready`` (slots) taken this step: with ``sellers`` those of the
    sellers' kinds (``seller`` by kind code) whose uniform keyed by their uid, under the
    prefix of the stream's ``key_sellers`` at ``step``, is below their kind's ``p``; then
    with ``others`` those of the other kinds, under ``key_others``; each in the order of
    ``ready``. Returns (the places taken, sellers' first; how many are sellers')."""
    out = np.empty(ready.size, dtype=np.int64)
    k = 0
    if sellers:
        prefix = step_prefix(key_sellers, step)
        for v in ready:
            if seller[kind[v]] and keyed_uniform(np.uint64(uid[v]), prefix) < p[kind[v]]:
                out[k] = v
                k += 1
    n_sellers = k
    if others:
        prefix = step_prefix(key_others, step)
        for v in ready:
            if not seller[kind[v]] and keyed_uniform(np.uint64(uid[v]), prefix) < p[kind[v]]:
                out[k] = v
                k += 1
    return out[:k], n_sellers


@numba.njit(cache=True)
def _open_places(vacant, vacant_since, org, t, delay):
    """Slots (ascending) vacant without an organization for at least ``delay``."""
    out = np.empty(vacant.size, dtype=np.int64)
    k = 0
    for i in range(vacant.size):
        if vacant[i] and org[i] < 0 and t - vacant_since[i] >= delay - 1e-12:
            out[k] = i
            k += 1
    return out[:k]


@numba.njit(cache=True)
def _chosen(ready, take, org, vacant_since, member_org):
    """The vacancies refilled: per organization the ``take`` (by local number) longest
    vacant of its ready vacancies (``ready``: slots; ties by slot), ordered by
    organization slot, then vacancy time, then slot (the order of ``np.lexsort``, a NaN
    time last as NumPy sorts it). Only the ready vacancies of organizations that take some
    are ordered: grouped by organization (a counting sort), the groups put in the order of
    their organizations' slots and each group sorted by time and slot, by insertion (the
    groups are small, and the organizations' local numbers follow their slots)."""
    n_orgs = take.size
    start = np.zeros(n_orgs + 1, dtype=np.int64)
    rep = np.empty(n_orgs, dtype=np.int64)  # the organization slot of a local number
    for v in ready:
        o = member_org[v]
        if take[o] > 0:
            start[o + 1] += 1
            rep[o] = org[v]
    groups = np.empty(n_orgs, dtype=np.int64)
    g = 0
    for o in range(n_orgs):
        if start[o + 1] > 0:
            groups[g] = o
            g += 1
    for i in range(1, g):  # by organization slot
        x = groups[i]
        j = i - 1
        while j >= 0 and rep[groups[j]] > rep[x]:
            groups[j + 1] = groups[j]
            j -= 1
        groups[j + 1] = x
    size = start[1:].copy()
    m = 0
    for j in range(g):
        o = groups[j]
        start[o] = m
        m += size[o]
    slots = np.empty(m, dtype=np.int64)
    fill = start[:n_orgs].copy()
    for v in ready:
        o = member_org[v]
        if take[o] > 0:
            slots[fill[o]] = v
            fill[o] += 1
    out = np.empty(m, dtype=np.int64)
    k = 0
    for j in range(g):
        o = groups[j]
        lo, hi = start[o], start[o] + size[o]
        for i in range(lo + 1, hi):  # by time, then slot
            x = slots[i]
            q = i - 1
            while q >= lo and _later(vacant_since[slots[q]], slots[q], vacant_since[x], x):
                slots[q + 1] = slots[q]
                q -= 1
            slots[q + 1] = x
        for i in range(lo, min(hi, lo + take[o])):
            out[k] = slots[i]
            k += 1
    return out[:k]


@numba.njit(cache=True, inline="always")
def _later(t_a, a, t_b, b):
    """Whether (time ``t_a``, slot ``a``) sorts after (``t_b``, ``b``): by time, NaN last,
    then by slot."""
    if t_a != t_a or t_b != t_b:  # a NaN: after every number, equal to another NaN
        if t_b == t_b:
            return True
        if t_a == t_a:
            return False
        return a > b
    return t_a > t_b or (t_a == t_b and a > b)


@numba.njit(cache=True)
def _rank_in_group(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each run of equal values of a sorted array."""
    out = np.zeros(groups.size, dtype=np.int64)
    for i in range(1, groups.size):
        if groups[i] == groups[i - 1]:
            out[i] = out[i - 1] + 1
    return out


def _fresh_uids(sim, k: int) -> np.ndarray:
    s = sim.s
    out = np.arange(s.next_uid, s.next_uid + k, dtype=np.int64)
    s.next_uid += k
    return out


def _label(kind_code: int, uid: int, tag: str) -> str:
    return f"{_PREFIX_OF[int(kind_code)]}-{tag}{uid}"


def _recruit(sim, slots):
    s = sim.s
    a, ln = s.actors, s.links
    uids = _fresh_uids(sim, slots.size)
    k = sim.p.adaptation.closure_ties
    ties = tie_neighbours(sim).parts(s) if k > 0 else _NO_TIES
    kinds, new_src, new_dst = _join(slots, uids, a.uid, a.alive, a.vacant, a.loss, a.held,
                                    a.activity, a.kind, *sim.topo.incidence.parts(s),
                                    ln.known, ln.born, sim.surveillance, k, *ties,
                                    _keys(sim)["adaptation.rewire"], sim.step)
    a.set_later("label", slots, _recruit_labels, kinds, uids)  # made when read
    if new_src.size:
        add_links(sim, new_src, new_dst, "tie")


def _recruit_labels(kinds: np.ndarray, uids: np.ndarray) -> list[str]:
    """Recruits' labels: their kind's prefix, ``-r`` and their uid."""
    return [f"{_PREFIX_OF[c]}-r{u}" for c, u in zip(kinds.tolist(), uids.tolist(), strict=True)]


_NO_TIES = (np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int32), 0,
            np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32),
            np.zeros(0, dtype=np.int32))
"""The parts of :class:`TieNeighbours` when no closure ties are formed (not read)."""


@numba.njit(cache=True)
def _join(slots, uids, uid, alive, vacant, loss, held, activity, kind, ptr, idx, n0, tkey,
          tlink, known, born, clock, k, t_ptr, nbr, t_n0, head, nxt, tnbr, key, step):
    """Recruits take their places (:func:`_take_up`), then form ``k`` closure ties each
    (:func:`_closure`, none for ``k`` 0; draws under the prefix of the stream's ``key`` at
    ``step``), seeing one another alive and with their new uids. Returns (their kind
    codes, the ties' sources, targets)."""
    kinds = _take_up(slots, uids, uid, alive, vacant, loss, held, activity, kind, ptr, idx,
                     n0, tkey, tlink, known, born, clock)
    if k <= 0:
        return kinds, np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    new_src, new_dst = _closure(slots, k, t_ptr, nbr, t_n0, head, nxt, tnbr, alive, uid,
                                step_prefix(key, step))
    return kinds, new_src, new_dst


@numba.njit(cache=True)
def _forget(slots, ptr, idx, n0, tkey, tlink, known, born, clock):
    """The police do not know a recruit's links: to surveillance they are new, born at
    the surveillance clock ``clock`` (:func:`fentanet.simulate.targeting.surveil`)."""
    for li in enforcement.links_of_slots(slots, ptr, idx, n0, tkey, tlink):
        known[li] = False
        born[li] = clock


@numba.njit(cache=True)
def _take_up(slots, uids, uid, alive, vacant, loss, held, activity, kind, ptr, idx, n0, tkey,
             tlink, known, born, clock):
    """Recruits take their places (slots ``slots``, fresh uids ``uids``): alive, not
    vacant, no loss, nothing held back, full activity, links unknown to the police
    (:func:`_forget`). Returns their kind codes."""
    kinds = np.empty(slots.size, dtype=np.int64)
    for j in range(slots.size):
        v = slots[j]
        uid[v] = uids[j]
        alive[v] = True
        vacant[v] = False
        loss[v] = 0.0
        held[v] = 0.0
        activity[v] = 1.0
        kinds[j] = kind[v]
    _forget(slots, ptr, idx, n0, tkey, tlink, known, born, clock)
    return kinds


@numba.njit(cache=True)
def _splitmix(x):
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@numba.njit(cache=True)
def _draw(uid, prefix, j):
    """Draw ``j`` of the recruit ``uid``: ``Streams.uniform(stream, step, uid, draw=j)``."""
    p = prefix if j == 0 else _splitmix(prefix ^ np.uint64(j))
    return keyed_uniform(np.uint64(uid), p)


class TieNeighbours:
    """Each slot's tie neighbours: the other end of each ``tie`` link at it (a loop left out),
    for the closure ties (:func:`_closure`), which read nothing else of the links.

    Compressed rows (``ptr``, ``nbr``) over the links and actors there were when built,
    and per slot a chain (``head``, ``nxt``, ``tnbr``; -1 ends it) of the ties appended
    since, each endpoint's entry pushed at its head. Links are only appended, never
    deleted or rewritten (the incidence and the stages of :mod:`fentanet.simulate.topology`
    rest on the same rule), so :meth:`parts` brings the structure up to date by reading the
    links from ``upto`` on; a links table other than the one it was built on (another
    state) is read afresh. Each row is ascending, a chain in no particular order: the
    closure takes a slot's neighbours as a sorted set."""

    def __init__(self) -> None:
        self.links = None  # the links table read
        self.upto = 0  # links read
        self.n0 = 0
        self.ptr = np.zeros(1, dtype=np.int64)
        self.nbr = np.zeros(0, dtype=np.int32)
        self.head = np.zeros(0, dtype=np.int32)
        self.nxt = np.zeros(0, dtype=np.int32)
        self.tnbr = np.zeros(0, dtype=np.int32)
        self.top = 0  # chain entries used

    def parts(self, s) -> tuple:
        """``(ptr, nbr, n0, head, nxt, tnbr)`` up to date with the links of ``s``."""
        ln, n = s.links, s.actors.n
        tie = LKIND["tie"]
        if self.links is not ln or self.upto > ln.n:
            self.links = ln
            self.ptr, self.nbr = _tie_rows(ln.kind, ln.src, ln.dst, n, tie)
            self.upto, self.n0 = ln.n, n
            self.head = np.full(room(n), -1, dtype=np.int32)
            self.top = 0
        if self.head.size < n:
            head = np.full(room(n), -1, dtype=np.int32)
            head[: self.head.size] = self.head
            self.head = head
        if self.upto < ln.n:
            need = self.top + 2 * (ln.n - self.upto)
            if self.nxt.size < need:
                for name in ("nxt", "tnbr"):
                    grown = np.empty(max(need, 2 * self.nxt.size, 1024), dtype=np.int32)
                    grown[: self.top] = getattr(self, name)[: self.top]
                    setattr(self, name, grown)
            self.top = _tie_chain(ln.kind, ln.src, ln.dst, self.upto, tie, self.head,
                                  self.nxt, self.tnbr, self.top)
            self.upto = ln.n
        return self.ptr, self.nbr, self.n0, self.head, self.nxt, self.tnbr


def tie_neighbours(sim) -> TieNeighbours:
    """The run's :class:`TieNeighbours` (made at the first use)."""
    got = sim.__dict__.get("_ties")
    if got is None:
        got = sim._ties = TieNeighbours()
    return got


@numba.njit(cache=True)
def _tie_rows(kind, src, dst, n, tie):
    """Rows of tie neighbours per slot (``n`` slots) over every link: a counting sort, then
    each row sorted ascending (:func:`_tie_neighbours` then sorts only a row with ties
    appended since)."""
    ptr = np.zeros(n + 1, dtype=np.int64)
    for li in range(kind.size):
        if kind[li] == tie and src[li] != dst[li]:
            ptr[src[li] + 1] += 1
            ptr[dst[li] + 1] += 1
    for i in range(n):
        ptr[i + 1] += ptr[i]
    fill = ptr[:-1].copy()
    nbr = np.empty(ptr[n], dtype=np.int32)
    for li in range(kind.size):
        if kind[li] == tie and src[li] != dst[li]:
            s, d = src[li], dst[li]
            nbr[fill[s]] = d
            fill[s] += 1
            nbr[fill[d]] = s
            fill[d] += 1
    for i in range(n):
        sort_small(nbr[ptr[i]:ptr[i + 1]], ptr[i + 1] - ptr[i])
    return ptr, nbr


@numba.njit(cache=True)
def _tie_chain(kind, src, dst, start, tie, head, nxt, tnbr, top):
    """Push the ties among the links ``start..`` (both ends; loops left out) on the chains
    from entry ``top``; returns the new top."""
    for li in range(start, kind.size):
        if kind[li] == tie and src[li] != dst[li]:
            s, d = src[li], dst[li]
            tnbr[top] = d
            nxt[top] = head[s]
            head[s] = top
            top += 1
            tnbr[top] = s
            nxt[top] = head[d]
            head[d] = top
            top += 1
    return top


@numba.njit(cache=True)
def _tie_neighbours(v, ptr, nbr, n0, head, nxt, tnbr, alive, exclude, buf):
    """Distinct alive tie neighbours of ``v`` other than ``exclude``, ascending, written to
    the front of ``buf`` (or of a larger buffer when ``buf`` is too small). Returns
    (buffer, count). The buffer is sized before it is filled (a buffer handed back and
    forth per neighbour costs its reference count each time), and the row's part comes
    ascending (:func:`_tie_rows`), so only one with ties appended since is sorted."""
    lo, hi = (ptr[v], ptr[v + 1]) if v < n0 else (0, 0)
    most = hi - lo
    e = head[v]
    while e >= 0:  # the chain of ties appended since
        most += 1
        e = nxt[e]
    if buf.size < most:
        buf = np.empty(max(most, 2 * buf.size), dtype=buf.dtype)
    k = 0
    for j in range(lo, hi):  # the rows built over the links
        w = nbr[j]
        if w != exclude and alive[w]:
            buf[k] = w
            k += 1
    in_row = k
    e = head[v]
    while e >= 0:
        w = tnbr[e]
        if w != exclude and alive[w]:
            buf[k] = w
            k += 1
        e = nxt[e]
    if k > in_row:
        sort_small(buf, k)
    n = 0
    for j in range(k):  # distinct
        if n == 0 or buf[j] != buf[n - 1]:
            buf[n] = buf[j]
            n += 1
    return buf, n


@numba.njit(cache=True)
def sort_small(buf, k):
    """Sort ``buf[:k]`` in place: by insertion up to 32 values (numba's ``sort`` costs
    about 0.6 us a call however few the values), else by ``sort``."""
    if k > 32:
        buf[:k].sort()
        return
    for i in range(1, k):
        x = buf[i]
        j = i - 1
        while j >= 0 and buf[j] > x:
            buf[j + 1] = buf[j]
            j -= 1
        buf[j + 1] = x


@numba.njit(cache=True)
def _closure(slots, k, ptr, nbr, n0, head, nxt, tnbr, alive, uid, prefix):
    """Each recruit ties to ``k`` friends of friends: via a sponsor (an alive tie
    neighbour of the position, draw 0), to distinct alive neighbours of the sponsor that
    are not the position's neighbours (draws 1..k, a partial Fisher-Yates shuffle).
    The neighbours are :class:`TieNeighbours`' (arguments ``ptr`` to ``tnbr``), as sorted
    sets: the same as looking at every link of the position and of the sponsor.
    Returns the new ties (recruit, friend of friend)."""
    new_src = np.empty(slots.size * k, dtype=np.int64)
    new_dst = np.empty(slots.size * k, dtype=np.int64)
    nb = np.empty(64, dtype=np.int64)  # scratch: the position's neighbours
    fof = np.empty(64, dtype=np.int64)  # the sponsor's
    c = 0
    for slot in slots:
        nb, n_nb = _tie_neighbours(slot, ptr, nbr, n0, head, nxt, tnbr, alive, slot, nb)
        if not n_nb:
            continue
        u = _draw(uid[slot], prefix, 0)
        sponsor = nb[min(int(u * n_nb), n_nb - 1)]
        fof, n_fof = _tie_neighbours(sponsor, ptr, nbr, n0, head, nxt, tnbr, alive, slot,
                                     fof)
        n = 0
        i = 0
        for j in range(n_fof):  # not the position's neighbours (both ascending)
            w = fof[j]
            while i < n_nb and nb[i] < w:
                i += 1
            if i < n_nb and nb[i] == w:
                continue
            fof[n] = w
            n += 1
        for j in range(min(k, n)):
            u = _draw(uid[slot], prefix, j + 1)
            r = j + min(int(u * (n - j)), n - j - 1)
            fof[j], fof[r] = fof[r], fof[j]
            new_src[c] = slot
            new_dst[c] = fof[j]
            c += 1
    return new_src[:c], new_dst[:c]


def add_links(sim, src, dst, kind: str, capacity=None):
    _append_links(sim, src, dst, np.int8(LKIND[kind]), capacity)


def _append_links(sim, src, dst, kind, capacity=None):
    """Append links of the kind codes ``kind`` (an array, or one code for every link;
    alive, unknown to the police, weight 1). Links of one kind without a capacity (a
    recruit's ties, re-routing's links) are written in one compiled call
    (:func:`_fill_links`), the others by :meth:`Table.append`."""
    ln = sim.s.links
    if (capacity is None and type(kind) is np.int8 and type(src) is np.ndarray
            and type(dst) is np.ndarray):
        start = ln.grow(len(src))
        _fill_links(ln.src, ln.dst, ln.kind, ln.capacity, ln.weight, ln.alive, ln.known,
                    ln.born, start, src, dst, kind, sim.surveillance)
        return
    ln.append(src=np.asarray(src, dtype=np.int32), dst=np.asarray(dst, dtype=np.int32),
              kind=kind, capacity=np.nan if capacity is None else capacity, weight=1.0,
              alive=True, known=False,  # a scalar fills its column
              born=sim.surveillance)


@numba.njit(cache=True)
def _fill_links(l_src, l_dst, l_kind, l_cap, l_weight, l_alive, l_known, l_born, start, src,
                dst, kind, born):
    """Write the links ``start..`` (:meth:`Table.grow`'s rows): ends ``src``, ``dst`` (as
    int32, as :func:`_append_links`' ``np.asarray``), kind code ``kind``, no capacity
    (NaN), weight 1, alive, unknown to the police, born at ``born``: the values
    :meth:`Table.append` writes for them, all eight columns in one call."""
    for j in range(src.size):
        i = start + j
        l_src[i] = np.int32(src[j])
        l_dst[i] = np.int32(dst[j])
        l_kind[i] = kind
        l_cap[i] = np.nan
        l_weight[i] = 1.0
        l_alive[i] = True
        l_known[i] = False
        l_born[i] = born


ENTRY_MEAN_MAX = 100.0
"""The largest mean of a step's entrants of a kind drawn, in initial labs: far above the
most that enter (:func:`_entry`), so that the cap alone decides there, and below the
largest mean NumPy's Poisson takes (``entry_rate`` 1e300 raised "lam value too large")."""


def _entry(sim):
    """Entry: while the price index is above ``entry_threshold``, new labs and new illicit
    suppliers arrive, each kind a Poisson count of mean ``entry_rate * (price - threshold)
    * L0 / 100 * dt`` (``L0`` the labs at the start, at least 1), at most ``L0`` of each kind
    in a step: entrants answer a price they could not yet lower within the step, so a long
    step or a rate far above the default drew without bound (half-year steps at
    ``entry_rate`` 1e6 drew 126,000 labs in a step, a run that did not finish; at the
    defaults the mean is under 0.02 ``L0`` a week and the
    cap is never reached). Stream ``adaptation.entry``."""
    ad = sim.p.adaptation
    price = sim.now.get("price_index", 1.0)
    excess = price - ad.entry_threshold
    if excess <= 0:
        sim.now["entrants"] = 0.0
        return
    most = max(sim.n_labs0, 1)
    rate = ad.entry_rate * excess * most / 100.0
    rng = sim.streams.generator("adaptation.entry", sim.step)
    n_labs, n_sups = np.minimum(rng.poisson(min(rate * sim.dt, ENTRY_MEAN_MAX * most),
                                            size=2), most)
    new = 0
    if n_labs + n_sups:
        pool = _Pool(sim)
        for kind, count in (("lab", n_labs), ("supplier", n_sups)):
            for _ in range(int(count)):
                new += _enter(sim, kind, rng, pool)
        pool.append(sim)
        _lengthen(sim, "market_of", -1)
        _lengthen(sim, "org_initial", 0.0)
    sim.now["entrants"] = float(new)


def _exit(sim):
    """Exit: while the price index is below ``exit_threshold``, each lab and illicit
    supplier that can leave has the hazard ``exit_rate * (threshold - price)`` per year;
    per kind the count that leaves is ``Binomial(N, 1 - exp(-hazard * dt))`` (one uniform
    keyed by the kind's code, stream ``adaptation.exit``), and those who go are the first
    ``K`` of :func:`_leavers`: both kinds in one compiled call (:func:`_exits`). They leave
    as an insolvent independent quits (their stocks lost, and counted); their places are
    not refilled."""
    ad = sim.p.adaptation
    gap = ad.exit_threshold - sim.now.get("price_index", 1.0)
    if gap <= 0 or ad.exit_rate <= 0:
        sim.now["exits"] = 0.0
        return
    p = -np.expm1(-ad.exit_rate * gap * sim.dt)
    a, topo = sim.s.actors, sim.topo
    gone, walked = _exits(topo.slots("lab"), topo.slots("supplier"), a.alive, a.legit, a.org,
                          a.role, a.capacity, sim.n_actors0, p,
                          _keys(sim)["adaptation.exit"], sim.step)
    if not walked:  # a count the walk cannot take: the exact bisection
        gone = _exits_bisected(sim, p)
    if gone.size:
        enforcement.remove(sim, gone, cause="exit")
        a.vacant[gone] = False  # the place is gone, not open to a recruit
    sim.now["exits"] = float(gone.size)


@numba.njit(cache=True)
def _exits(labs, suppliers, alive, legit, org, role, capacity, n0, p, key, step):
    """Those who exit this step (:func:`_exit`): per kind with actors that can leave (labs,
    then suppliers: :func:`_leavers`) a count ``Binomial(N, p)`` by inversion of the uniform
    keyed by the kind's code under the prefix of ``key`` at ``step`` (as
    :meth:`Streams.binomial`: :func:`kernels.binomial_inverse_clipped`), and the first that
    many of its order. Returns (slots, True), or (nothing, False) when a count needs the
    exact bisection (the caller then draws with :func:`_exits_bisected`)."""
    lab_order = _leavers(labs, alive, legit, org, role, capacity, n0, True)
    sup_order = _leavers(suppliers, alive, legit, org, role, capacity, n0, False)
    prefix = step_prefix(key, step)
    codes = np.array([LAB, SUPPLIER])
    sizes = np.array([lab_order.size, sup_order.size])
    u = np.empty(2)
    for j in range(2):
        u[j] = keyed_uniform(np.uint64(codes[j]), prefix)
    k, rest = kernels.binomial_inverse_clipped(u, sizes, np.full(2, p))
    if rest:
        return np.empty(0, dtype=np.int64), False
    return np.concatenate((lab_order[: k[0]], sup_order[: k[1]])), True


def _exits_bisected(sim, p) -> np.ndarray:
    """:func:`_exits` by :meth:`Streams.binomial` (its exact bisection where the walk would
    underflow): one uniform per kind that has actors that can leave."""
    a, topo = sim.s.actors, sim.topo
    orders = [(KIND[kind], _leavers(topo.slots(kind), a.alive, a.legit, a.org, a.role,
                                    a.capacity, sim.n_actors0, kind == "lab"))
              for kind in ("lab", "supplier")]
    orders = [(code, order) for code, order in orders if order.size]
    if not orders:
        return _NO_SLOTS
    k = sim.streams.binomial("adaptation.exit", sim.step,
                             np.array([code for code, _ in orders]),
                             np.array([order.size for _, order in orders]),
                             np.full(len(orders), p))
    return np.concatenate([order[:n] for (_, order), n in zip(orders, k.tolist(), strict=True)])


def warmup(sim) -> None:
    """The adaptation of the spin-up (:meth:`fentanet.simulate.loop.Sim.warmup`): the
    phase's (:func:`run`) but insolvency, which the spin-up does not apply (the payers that
    cannot pay their upkeep are warned of at its end, docs/model.md section 11), and entry
    and exit: they answer the price, which the spin-up holds at the status quo's 1 (with
    an ``exit_threshold`` above 1 every lab and supplier that can leave would leave before
    time 0, in answer to a price no one paid)."""
    run(sim, spinup=True)


def _reroute(sim):
    """Re-routing (module docstring), the labs' and the traffickers' in one compiled call
    (:func:`_reroute_all`): the new ``ships`` links, appended as entrants' are (taken into
    the stages by the next step's topology sync). Every motive runs in the spin-up too
    (since the sixteenth session; before, the room motive alone)."""
    ad, topo = sim.p.adaptation, sim.topo
    a, lab, rt = sim.s.actors, topo.stages["lab"], topo.stages["route"]
    keys = sim.__dict__.get("_reroute_keys")
    if keys is None:
        keys = sim._reroute_keys = np.array([sim.streams.key(k) for k in _REROUTE_STREAMS])
    src, dst, counts = _reroute_all(
        lab.li, lab.dst, lab.s_loc, lab.senders, rt.li, rt.src, rt.d_loc, rt.receivers,
        sim.s.links.alive, a.alive, a.kind, a.org, a.mode, a.loss, a.capacity, a.throughput,
        a.uid, a.held, a.spare, topo.slots("route"), sim.dt, ad.reroute, ad.reroute_room,
        ad.reroute_traffickers, ad.reroute_supply, ad.reroute_threshold, ad.reroute_rate,
        ad.reroute_room_threshold, ad.reroute_room_rate, ad.reroute_supply_rate, keys,
        sim.step)
    if src.size:  # one append: the labs' links, then the traffickers'
        add_links(sim, src, dst, "ships")
    now = sim.now
    for col, x in zip(_REROUTE_COLUMNS, counts, strict=True):
        now[col] = float(x)


_REROUTE_STREAMS = ("adaptation.reroute", "adaptation.reroute_room",
                    "adaptation.reroute_traffickers", "adaptation.reroute_supply")
_REROUTE_COLUMNS = ("reroutes", "reroutes_room", "reroutes_traffickers", "reroutes_supply")


@numba.njit(cache=True)
def _reroute_all(l_li, l_dst, l_loc, l_senders, r_li, r_src, r_loc, r_receivers,
                 link_alive, alive, kind, org, mode, loss, capacity, throughput, uid, held,
                 spare, routes, dt, lab_loss, lab_room, by_loss, by_supply, threshold, rate,
                 room_threshold, room_rate, supply_rate, keys, step):
    """Re-routing of a step: the labs' (:func:`_reroutes` over the lab stage ``l_*``, by
    losses and room), then the traffickers' (:func:`_reroute_traffickers` over the route
    stage ``r_*``, by losses and lost supply), each only when on and its stage has links;
    the prefixes of the streams' ``keys`` (reroute, reroute_room, reroute_traffickers,
    reroute_supply) at ``step``. Returns (the new links' sources and targets, the labs'
    then the traffickers', and the counts of moves for losses and room by labs, for
    losses and lost supply by traffickers)."""
    labs = lab_routes = takers = sources = np.zeros(0, dtype=np.int64)
    n_room = n_supply = 0
    if l_li.size and (lab_loss or lab_room):  # a lab without routes is held back: room
        labs, lab_routes, n_room, _ = _reroutes(
            l_li, l_dst, l_loc, l_senders, link_alive, alive, kind, org, mode, loss,
            capacity, throughput, uid, routes, ROUTE, dt, threshold, rate,
            step_prefix(keys[0], step), lab_loss, lab_room, held, spare, room_threshold,
            room_rate, step_prefix(keys[1], step), LAB, False, 0.0, np.uint64(0))
    if r_li.size and (by_loss or by_supply):
        takers, sources, n_supply = _reroute_traffickers(
            r_li, r_src, r_loc, r_receivers, link_alive, alive, kind, org, mode, loss,
            capacity, throughput, uid, held, spare, routes, dt, by_loss, by_supply,
            threshold, rate, supply_rate, step_prefix(keys[2], step),
            step_prefix(keys[3], step), labs, lab_routes)
    return (np.concatenate((labs, sources)), np.concatenate((lab_routes, takers)),
            (labs.size - n_room, n_room, takers.size - n_supply, n_supply))


@numba.njit(cache=True)
def _reroute_traffickers(li, src, d_loc, receivers, link_alive, alive, kind, org, mode, loss,
                         capacity, throughput, uid, held, spare, routes, dt, by_loss,
                         by_supply, threshold, rate, supply_rate, prefix, supply_prefix,
                         labs, lab_routes):
    """Traffickers' re-routing (module docstring): the traffickers that link from a new
    route this step, and those routes, by the lab's loss rule (:func:`_reroutes` over the
    route stage's links ``li``, ``src``, ``d_loc``, ``receivers``, seen from their
    receiving end: other receivers of routes, which a network file may have, such as
    dealers or routes, do not move), and, for lost supply, the traffickers fed by routes
    that have no alive route left (the receivers of the route stage, whose links are kept
    when their routes die: a trafficker fed only by other traffickers is none of them),
    after the labs' new links of the step (``labs`` to ``lab_routes``) took their capacity
    * dt off the routes' spare room: added to the routes' throughput in turn (as
    ``np.add.at``) for the call, and their own values put back after. Returns
    (traffickers, routes, how many moved for lost supply), the traffickers in slot
    order."""
    kept = throughput[lab_routes]
    for j in range(labs.size):
        throughput[lab_routes[j]] += capacity[labs[j]] * dt
    takers, sources, _, n_supply = _reroutes(
        li, src, d_loc, receivers, link_alive, alive, kind, org, mode, loss, capacity,
        throughput, uid, routes, ROUTE, dt, threshold, rate, prefix, by_loss, False,
        held, spare, 1.0, 0.0, np.uint64(0),  # the room motive off: shipping keeps no
        TRAFFICKER, by_supply, supply_rate, supply_prefix)  # held-back share of a trafficker
    throughput[lab_routes] = kept
    return takers, sources, n_supply


@numba.njit(cache=True)
def _reroutes(li, dst, s_loc, senders, link_alive, alive, kind, org, mode, loss,
              capacity, throughput, uid, routes, route_kind, dt, threshold, rate, prefix,
              by_loss, by_room, held, through, room_threshold, room_rate, room_prefix,
              mover_kind, by_supply, supply_rate, supply_prefix):
    """The labs that re-route this step and their new routes (module docstring), from the
    lab stage's links (``dst``: each link's route; ``s_loc``: the local number of its lab
    among ``senders``). Traffickers' re-routing runs it over the route stage's links seen
    from their receiving end (``dst`` the links' routes, ``s_loc`` and ``senders`` the
    receivers), by losses and lost supply. Only ``senders`` of kind ``mover_kind`` move.
    Three hazards, each with its own keyed uniform: losses (``by_loss``; the routes'
    capacity-weighted recent loss share above ``threshold``, stream ``prefix``), lost
    supply (``by_supply``; a sender of the stage with no alive route of some capacity
    left, ``1 - exp(-supply_rate * dt)``, stream ``supply_prefix``) and room
    (``by_room``; the lab's recent held-back share ``held`` above ``room_threshold``,
    stream ``room_prefix``); losses and lost supply exclude each other (alive routes or
    none), and a lab both losses and room move goes for losses. For
    losses the new route has a lower loss share than the lab's routes and a mode the lab
    lacks comes first; for lost supply and for room its loss share is at most
    ``threshold`` (a route the loss motive would not leave) and the mode does not count
    (for lost supply every mode is one the sender lacks); for room its spare room is
    ``through`` (the room as pass-through the labs' offers left, kept by shipping) rather
    than its own. Each lab that links takes its capacity * dt off both spare rooms
    of its new route and starts its held-back share afresh (in place on ``held``). Returns
    (labs, routes, how many of them moved for room, how many for lost supply), the labs in
    slot order."""
    n = senders.size
    wsum = np.zeros(n)
    lsum = np.zeros(n)
    modes = np.zeros(n, dtype=np.int64)  # bit per mode of the lab's routes
    for k in range(li.size):
        r = dst[k]
        if link_alive[li[k]] and kind[r] == route_kind and alive[r]:
            i = s_loc[k]
            wsum[i] += capacity[r]
            lsum[i] += capacity[r] * loss[r]
            modes[i] |= np.int64(1) << mode[r]
    # the labs that move this step (over a threshold, and its keyed uniform below the
    # hazard's probability), in slot order: in most steps none, and then nothing else. A
    # lab's slot, kind and flags are read only where a motive holds (the same draws: each
    # uniform is keyed, and a lab none of the motives moves draws none)
    movers = np.empty(n, dtype=np.int64)
    shares = np.empty(n)  # losses: the lab's loss share; lost supply: 1 (unused); room: -1
    nm = 0
    for i in range(n):
        w = wsum[i]
        if not (by_room or (by_loss and w > 0 and lsum[i] / w > threshold) or (
                by_supply and w == 0)):
            continue
        lab = senders[i]
        if not alive[lab] or kind[lab] != mover_kind:
            continue
        if by_loss and w > 0:
            share = lsum[i] / w
            if share > threshold:
                p = -np.expm1(-rate * (share - threshold) * dt)
                if keyed_uniform(np.uint64(uid[lab]), prefix) < p:
                    movers[nm] = i
                    shares[i] = share
                    nm += 1
                    continue
        if by_supply and w == 0:  # fed by routes (a sender of the stage), none left
            if keyed_uniform(np.uint64(uid[lab]), supply_prefix) < -np.expm1(
                    -supply_rate * dt):
                movers[nm] = i
                shares[i] = 1.0
                nm += 1
                continue
        if by_room and held[lab] > room_threshold:
            p = -np.expm1(-room_rate * (held[lab] - room_threshold) * dt)
            if keyed_uniform(np.uint64(uid[lab]), room_prefix) < p:
                movers[nm] = i
                shares[i] = -1.0
                nm += 1
    if nm == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), 0, 0
    movers = movers[:nm][np.argsort(senders[movers[:nm]], kind="mergesort")]
    alive_routes = _alive_of(routes, alive)
    m = alive_routes.size
    start, mine = _linked(movers, n, li, dst, s_loc, link_alive, kind, route_kind, alive,
                          alive_routes)
    linked = np.zeros(m, dtype=np.bool_)
    spare = np.empty(m)  # own room (losses) and room as pass-through (room)
    room = np.empty(m)
    for j in range(m):
        r = alive_routes[j]
        spare[j] = capacity[r] * dt - throughput[r]
        room[j] = through[r]
    out_lab = np.empty(nm, dtype=np.int64)
    out_route = np.empty(nm, dtype=np.int64)
    c = 0
    n_room = n_supply = 0
    for p in range(nm):
        i = movers[p]
        lab = senders[i]
        share = shares[i]
        for_room = share < 0.0
        safe = for_room or wsum[i] == 0  # room or lost supply: a route losses would not flee
        free = room if for_room else spare
        linked[mine[start[p]:start[p + 1]]] = True
        best = _best_route(alive_routes, free, linked, loss, org, mode, org[lab], modes[i],
                           safe, for_room, threshold, share)
        linked[mine[start[p]:start[p + 1]]] = False
        if best < 0:
            continue
        spare[best] -= capacity[lab] * dt
        room[best] -= capacity[lab] * dt
        held[lab] = 0.0
        out_lab[c] = lab
        out_route[c] = alive_routes[best]
        c += 1
        n_room += for_room
        n_supply += safe and not for_room
    return out_lab[:c], out_route[:c], n_room, n_supply


@numba.njit(cache=True)
def _linked(movers, n, li, dst, s_loc, link_alive, kind, route_kind, alive, alive_routes):
    """The alive routes each mover (``movers``: local numbers) is linked to by an alive
    link, as indices into ``alive_routes`` (ascending), grouped by mover (``start``: each
    group's start): one pass over the links that looks at a link's ends only where its
    sender moves, then a counting sort of those few. Returns (start, indices)."""
    nm = movers.size
    at = np.full(n, -1, dtype=np.int64)
    for p in range(nm):
        at[movers[p]] = p
    who = np.empty(li.size, dtype=np.int64)
    where = np.empty(li.size, dtype=np.int64)
    c = 0
    for k in range(li.size):
        p = at[s_loc[k]]
        if p >= 0:
            r = dst[k]
            if link_alive[li[k]] and kind[r] == route_kind and alive[r]:
                j = np.searchsorted(alive_routes, r)
                if j < alive_routes.size and alive_routes[j] == r:
                    who[c] = p
                    where[c] = j
                    c += 1
    start = np.zeros(nm + 1, dtype=np.int64)
    for q in range(c):
        start[who[q] + 1] += 1
    for p in range(nm):
        start[p + 1] += start[p]
    fill = start[:nm].copy()
    out = np.empty(c, dtype=np.int64)
    for q in range(c):
        out[fill[who[q]]] = where[q]
        fill[who[q]] += 1
    return start, out


@numba.njit(cache=True)
def _best_route(alive_routes, free, linked, loss, org, mode, own_org, own_modes, safe,
                for_room, threshold, share):
    """The index (into ``alive_routes``) of a mover's new route, -1 if none (module
    docstring): not ``linked``, with room (``free``) and a loss share at most ``threshold``
    (``safe``) or below ``share``; the highest tier (its organization's: 2; a mode it lacks,
    unless ``for_room``: 1), then the most room, then the first. A route's test and its
    comparison with the best so far are selects, not branches (half the routes pass the
    loss test, unpredictably)."""
    best = -1
    best_tier = -1
    best_free = 0.0
    for j in range(alive_routes.size):
        r = alive_routes[j]
        f = free[j]
        lr = loss[r]
        ok = (not f <= 0) & (not linked[j]) & ((lr <= threshold) if safe else (lr < share))
        tier = 2 * ((own_org >= 0) & (org[r] == own_org))
        if not for_room:
            tier += (own_modes >> mode[r]) & 1 == 0
        better = ok & ((tier > best_tier) | ((tier == best_tier) & (f > best_free)))
        best = j if better else best
        best_tier = tier if better else best_tier
        best_free = f if better else best_free
    return best


@numba.njit(cache=True)
def _leavers(slots, alive, legit, org, role, capacity, n0, labs):
    """The actors among ``slots`` that can leave, in the order they go: the entrants (slots
    from ``n0`` on) from the latest, then the others from the smallest capacity (ties by
    slot). Only alive, illicit actors that hold no leader's or lieutenant's role; for
    ``labs`` each organization keeps its last one (the latest in that order), and of
    suppliers the trade keeps its last one."""
    cand = np.empty(slots.size, dtype=np.int64)
    m = 0
    for v in slots:
        if alive[v] and not legit[v] and role[v] < LIEUTENANT:
            cand[m] = v
            m += 1
    cand = cand[:m]
    entrant = cand >= n0
    new = cand[entrant][::-1]
    old = cand[~entrant]
    old = old[np.argsort(capacity[old], kind="mergesort")]
    order = np.concatenate((new, old))
    if not labs:
        return order[: max(order.size - 1, 0)]
    top = 0
    for v in order:
        top = max(top, org[v] + 1)
    left = np.zeros(top, dtype=np.int64)  # alive labs per organization slot
    for v in order:
        if org[v] >= 0:
            left[org[v]] += 1
    out = np.empty(order.size, dtype=np.int64)
    k = 0
    for v in order:
        o = org[v]
        if o < 0:
            out[k] = v
            k += 1
        elif left[o] > 1:
            left[o] -= 1
            out[k] = v
            k += 1
    return out[:k]


def _lengthen(sim, name: str, fill) -> None:
    """The per-actor state array ``sim.s.<name>`` extended to every actor with ``fill``: a
    view of a buffer with room for later entrants (its tail holds ``fill``)."""
    s = sim.s
    arr, n = getattr(s, name), s.actors.n
    bufs = sim.__dict__.setdefault("_lengthened", {})
    buf = bufs.get(name)
    if buf is None or arr.base is not buf or buf.size < n:
        buf = np.full(room(n), fill, dtype=arr.dtype)
        buf[: arr.size] = arr
        bufs[name] = buf
    setattr(s, name, buf[:n])


class _Pool:
    """Who entrants can link to, taken once per step and updated as they enter."""

    def __init__(self, sim) -> None:
        a, topo = sim.s.actors, sim.topo
        labs = topo.slots("lab")
        self._slots = {"lab": labs, "supplier": topo.slots("supplier")}
        self._capacity = a.capacity
        self._count = {k: v.size for k, v in self._slots.items()}
        self.median = sim.__dict__.setdefault("_entry_median", {})
        # the alive illicit suppliers (all alive suppliers when none is illicit), the alive
        # labs (then this step's lab entrants), organizations and routes, and the routes'
        # organizations
        self.suppliers, self.labs, self.orgs, self.routes, self._route_org = _pool_slots(
            self._slots["supplier"], labs, topo.slots("organization"), topo.slots("route"),
            a.alive, a.legit, a.org)
        self.new_labs: list[int] = []
        self.n = a.n  # the next entrant's slot
        self.rows: list[tuple] = []  # (kind code, uid, org, payer, capacity) per entrant
        self.links: list[tuple] = []  # (sources, targets, link kind code) in order

    def append(self, sim) -> None:
        """Append this step's entrants and their links, in the order they entered (one
        append per table: the tables end as appending each in turn would leave them)."""
        if not self.rows:
            return
        kind, uid, org, payer, cap = (np.array(c) for c in zip(*self.rows, strict=True))
        k = kind.size
        sim.s.actors.append(
            kind=kind.astype(np.int8), uid=uid.astype(np.int64), alive=np.ones(k, dtype=bool),
            org=org.astype(np.int64), payer=payer.astype(np.int64),
            capacity=cap.astype(np.float64),
            label=np.array([_label(c, u, "e") for c, u in zip(kind, uid, strict=True)],
                           dtype=object),
            mode=np.full(k, -1, dtype=np.int8), activity=np.ones(k),
            suspended_until=np.full(k, -np.inf))
        if self.links:
            src = np.concatenate([np.asarray(x[0], dtype=np.int64) for x in self.links])
            dst = np.concatenate([np.asarray(x[1], dtype=np.int64) for x in self.links])
            lk = np.concatenate([np.full(len(x[0]), x[2], dtype=np.int8) for x in self.links])
            _append_links(sim, src, dst, lk)

    def capacity(self, kind: str) -> float:
        """The median capacity of the actors of ``kind`` (100 if there are none).

        Capacities never change once set and every entrant takes this median, which leaves
        the median as it is (with an odd count the new middle pair, with an even count the
        new middle element, is the median itself), so it is computed once and kept while
        the count of that kind grows by entrants only."""
        count = self._count[kind]
        got = self.median.get(kind)
        if got is None or got[0] != count:
            cap = self._capacity[self._slots[kind]]
            got = (count, float(np.median(cap)) if cap.size else 100.0)
        self._count[kind] = count + 1  # with this entrant
        self.median[kind] = (count + 1, got[1])
        return got[1]

    def routes_of(self, o: int) -> np.ndarray:
        """The alive routes of organization ``o``, ascending."""
        return self.routes[self._route_org == o]


@numba.njit(cache=True)
def _pool_slots(suppliers, labs, orgs, routes, alive, legit, org):
    """For :class:`_Pool`, in one pass over each list of slots (ascending, as given): the
    alive illicit suppliers (the alive suppliers when none is illicit), the alive labs,
    organizations and routes, and the organization of each of those routes."""
    sup = _alive_of(suppliers, alive)
    illicit = np.empty(sup.size, dtype=sup.dtype)
    k = 0
    for v in sup:
        if not legit[v]:
            illicit[k] = v
            k += 1
    rts = _alive_of(routes, alive)
    route_org = np.empty(rts.size, dtype=org.dtype)
    for j in range(rts.size):
        route_org[j] = org[rts[j]]
    return (illicit[:k] if k else sup, _alive_of(labs, alive), _alive_of(orgs, alive), rts,
            route_org)


@numba.njit(cache=True)
def _alive_of(slots, alive):
    out = np.empty(slots.size, dtype=slots.dtype)
    k = 0
    for v in slots:
        if alive[v]:
            out[k] = v
            k += 1
    return out[:k]


def _enter(sim, kind: str, rng, pool: _Pool) -> int:
    """One entrant of ``kind``: capacity the median of its kind; a lab joins a random
    alive organization, buys from two illicit suppliers and ships on two of the
    organization's routes; a supplier sells to two alive labs. Queued on ``pool``
    (:meth:`_Pool.append` adds them to the tables)."""
    o = -1
    if kind == "lab":
        if not pool.suppliers.size or not pool.orgs.size:
            return 0
        o = int(pool.orgs[rng.integers(pool.orgs.size)])
        routes = pool.routes_of(o)
        if not routes.size:
            routes = pool.routes
        if not routes.size:
            return 0
    elif not pool.labs.size + len(pool.new_labs):
        return 0
    cap = pool.capacity(kind)
    uid = int(_fresh_uids(sim, 1)[0])
    slot = pool.n
    pool.n += 1
    pool.rows.append((KIND[kind], uid, o, o if kind == "lab" else slot, cap))
    if kind == "lab":
        sup = rng.choice(pool.suppliers, size=min(2, pool.suppliers.size), replace=False)
        pool.links.append((sup, np.full(sup.size, slot), LKIND["supplies"]))
        rts = rng.choice(routes, size=min(2, routes.size), replace=False)
        pool.links.append((np.full(rts.size, slot), rts, LKIND["ships"]))
        pool.links.append(([slot], [o], LKIND["member_of"]))
        pool.new_labs.append(slot)
    else:
        labs = pool.labs
        if pool.new_labs:
            labs = np.concatenate([labs, np.array(pool.new_labs, dtype=labs.dtype)])
        tgt = rng.choice(labs, size=min(2, labs.size), replace=False)
        pool.links.append((np.full(tgt.size, slot), tgt, LKIND["supplies"]))
    return 1


def _migration(sim):
    """Listings of marketplaces that left (taken down or insolvent) move to surviving ones.
    A listing waits while
    its partner is alive or may come back (a vacant place) and only while its marketplace
    is down (a replaced marketplace keeps the listings not yet moved); each moves at
    ``migration_rate`` (keyed by partner, kind, direction and marketplace) to a surviving
    marketplace where the partner has no such link yet, uniformly among them (none left:
    the partner is listed everywhere it could be, and the listing is dropped). The link it
    leaves is retired (not alive), so a newcomer who takes the marketplace's place later
    does not get it back: a vendor that moved is listed once, not twice."""
    s, ad = sim.s, sim.p.adaptation
    a, ln = s.actors, s.links
    rows, alive_mkp, go, v = _listings(
        sim.orphans, a.org, a.alive, a.vacant, a.uid, ad.replacement,
        ad.seller_replacement or ad.independent_replacement,
        sim.topo.slots("marketplace"), sim.streams.prefix("adaptation.migrate", sim.step),
        -np.expm1(-ad.migration_rate * sim.dt),
        sim.streams.prefix("adaptation.migrate_to", sim.step))
    if not go.size:
        sim.orphans = rows
        return
    waiting, src, dst, kinds = _moves(rows, go, v, alive_mkp, *_listing_incidence(sim),
                                      ln.src, ln.dst, ln.kind, ln.alive)
    if src.size:
        _append_links(sim, src, dst, kinds)
    sim.orphans = waiting
    sim.now["listings_moved"] = float(src.size)


@numba.njit(cache=True)
def _moves(rows, go, v, marketplaces, ptr, idx, n0, tkey, tlink, src, dst, kind,
           link_alive):
    """The listings that move (rows ``go``, uniforms ``v``): their destinations
    (:func:`_destinations`), then their links retired (moved or dropped); the moved ones
    as links to append in one go, grouped by link kind (ascending; a stable counting
    sort), each group in the order of the rows. Returns (the rows left waiting, the new
    links' sources, targets, kind codes)."""
    moved = rows[go]
    waiting = rows[~go]
    if not moved.shape[0]:
        return waiting, np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(
            0, dtype=np.int8)
    dest = _destinations(moved, v, marketplaces, ptr, idx, n0, tkey, tlink, src, dst, kind,
                         link_alive)
    for r in range(moved.shape[0]):
        link_alive[moved[r, 4]] = False  # the listing left its marketplace
    top = 0
    for r in range(moved.shape[0]):
        top = max(top, moved[r, 1] + 1)
    start = np.zeros(top + 1, dtype=np.int64)
    m = 0
    for r in range(moved.shape[0]):
        if dest[r] >= 0:
            start[moved[r, 1] + 1] += 1
            m += 1
    for c in range(top):
        start[c + 1] += start[c]
    new_src = np.empty(m, dtype=np.int64)
    new_dst = np.empty(m, dtype=np.int64)
    kinds = np.empty(m, dtype=np.int8)
    for r in range(moved.shape[0]):
        if dest[r] < 0:
            continue
        c = moved[r, 1]
        j = start[c]
        start[c] += 1
        if moved[r, 2] == 1:
            new_src[j], new_dst[j] = moved[r, 0], dest[r]
        else:
            new_src[j], new_dst[j] = dest[r], moved[r, 0]
        kinds[j] = c
    return waiting, new_src, new_dst, kinds


def _listing_incidence(sim) -> tuple:
    """The incidence's parts for :func:`_destinations`: as the step began when every link
    appended since is no listing at a marketplace (ties, entrants' links: a link that
    cannot count for a destination), which spares merging them into the incidence twice
    in a step (here, and at the next step's start); else brought up to date."""
    s, inc = sim.s, sim.topo.incidence
    ln = s.links
    if inc.mt != ln.n and _listing_appended(ln.kind, ln.src, ln.dst, s.actors.kind, inc.mt,
                                            _FLOW_KINDS, MARKETPLACE):
        return inc.parts(s)
    return inc.ptr, inc.idx, inc.n0, inc.tkey, inc.tlink


@numba.njit(cache=True)
def _listing_appended(kind, src, dst, akind, start, flow_kinds, marketplace):
    """Whether a link from ``start`` on is of a listing's kind with a marketplace at an
    end."""
    for li in range(start, kind.size):
        k = kind[li]
        if (k == flow_kinds[0] or k == flow_kinds[1] or k == flow_kinds[2]) and (
                akind[src[li]] == marketplace or akind[dst[li]] == marketplace):
            return True
    return False


@numba.njit(cache=True)
def _listings(rows, org, alive, vacant, uid, back_member, back_independent, marketplaces,
              prefix, p_move, prefix_to):
    """The listings of :func:`_migration` this step: those that wait (partner alive, or
    vacant with its kind of replacement on: ``back_member`` for an organization's member,
    ``back_independent`` for an independent, whose place an arrest leaves vacant only when
    its kind's replacement is on; marketplace not alive), the alive marketplaces
    (ascending), and which move: an alive partner's listing with its keyed uniform below
    ``p_move`` (key: partner's uid, kind, direction and marketplace's uid), with its second
    uniform (the rank of its destination). Returns (rows, marketplaces, moves (none at
    all when no listing can: no marketplace alive, or no partner), uniforms of those that
    move)."""
    keep = np.empty(rows.shape[0], dtype=np.bool_)
    for r in range(rows.shape[0]):
        p = rows[r, 0]
        back = back_member if org[p] >= 0 else back_independent
        keep[r] = (alive[p] or (vacant[p] and back)) and not alive[rows[r, 3]]
    rows = rows[keep]
    mk = marketplaces[alive[marketplaces]]
    ready = np.empty(rows.shape[0], dtype=np.bool_)
    for r in range(rows.shape[0]):
        ready[r] = alive[rows[r, 0]]
    if not mk.size or not ready.any():
        return rows, mk, np.zeros(0, dtype=np.bool_), np.empty(0)
    go = np.zeros(rows.shape[0], dtype=np.bool_)
    v = np.empty(rows.shape[0])
    n = 0
    for r in range(rows.shape[0]):
        key = (((uid[rows[r, 0]] * 8 + rows[r, 1] * 2 + rows[r, 2]) << 24)
               ^ uid[rows[r, 3]])
        if ready[r] and keyed_uniform(np.uint64(key), prefix) < p_move:
            go[r] = True
            v[n] = keyed_uniform(np.uint64(key), prefix_to)
            n += 1
    return rows, mk, go, v[:n]


@numba.njit(cache=True)
def _destinations(moved, v, marketplaces, ptr, idx, n0, tkey, tlink, src, dst, kind,
                  link_alive):
    """Per moved listing (partner, kind, partner is the sender, origin, link): the
    marketplace among ``marketplaces`` (ascending) at rank ``floor(v * free)`` of those
    where the partner has no alive link of that kind in that direction yet, counting the
    listings placed before it in this call; -1 where there is none."""
    m = marketplaces.size
    out = np.full(moved.shape[0], -1, dtype=np.int64)
    taken = np.zeros(m, dtype=np.bool_)
    for r in range(moved.shape[0]):
        p, k, as_src = moved[r, 0], moved[r, 1], moved[r, 2] == 1
        taken[:] = False
        for li in enforcement.links_of_slots(np.array([p]), ptr, idx, n0, tkey, tlink):
            if kind[li] != k or not link_alive[li]:
                continue
            if as_src and src[li] == p:
                other = dst[li]
            elif not as_src and dst[li] == p:
                other = src[li]
            else:
                continue
            j = np.searchsorted(marketplaces, other)
            if j < m and marketplaces[j] == other:
                taken[j] = True
        for q in range(r):  # placed earlier in this call
            if out[q] >= 0 and moved[q, 0] == p and moved[q, 1] == k and (
                    moved[q, 2] == moved[r, 2]):
                taken[np.searchsorted(marketplaces, out[q])] = True
        free = m - taken.sum()
        if free == 0:
            continue
        c = min(int(v[r] * free), free - 1)
        for j in range(m):
            if not taken[j]:
                if c == 0:
                    out[r] = marketplaces[j]
                    break
                c -= 1
    return out
