"""Phase 4, shipping: product from labs onto routes (and to marketplaces and traffickers),
then over the routes, where shipments are seized.

A lab offers ``min(product, capacity * dt)`` over its ``ships`` links; over routes that
feed the same receivers its split is proportional to ``capacity * exp(-beta * recent loss
share)`` when displacement is on (NarcoLogic), to capacity otherwise, the factor counted
once (:func:`_route_pref`). A route takes at most its own room and what its receivers' room
lets it carry on, each receiver's room water-filled among the routes feeding it by the same
weights (:func:`fentanet.simulate.kernels.water_fill`: what the safer routes cannot carry
still goes by the others). A route forwards ``min(load, capacity * dt)``;
its flow ``q`` is split into ``n = ceil(q / shipment size)`` equal shipments and
``Binomial(n, p)`` of them are seized, ``p = 1 - exp(-h[mode] * S[mode] * (1 - protection)
* (1 - cover))`` with S the screening effort, protection by officials (lowered by
anti-corruption) and cover by fronting businesses. Draws are keyed by the route's uid.

Each stage is one compiled pass over its links (:func:`fentanet.simulate.kernels.transfer`;
the route stage plans, draws its seizures, then moves the material). Each part of the phase
is one compiled call (:func:`_lab_stage`, :func:`_route_plan`, :func:`_route_deliver`)
that runs the kernels of :mod:`fentanet.simulate.kernels` in turn: a call
from Python costs ~0.2 us plus ~70 ns per array argument and ~0.4 us per array returned.
These compile the kernels into themselves; numba's cache alone would only see edits of
the file a function is defined in, so fentanet keys it on every kernel module
(:mod:`fentanet._jitcache`): an edit of ``kernels.py`` compiles these again.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from fentanet import _jitcache  # noqa: F401  (numba's cache, stale after any kernel's edit)
from fentanet.simulate import kernels, nploops
from fentanet.simulate.binomial import keyed_uniform, step_prefix
from fentanet.simulate.params import MODES
from fentanet.simulate.rng import binomial_ppf
from fentanet.simulate.state import KIND

PASSES = 3
"""Offer passes per stage (later passes re-offer what was not taken to receivers with
room)."""

ROUTE = KIND["route"]


def init(sim) -> None:
    """Tables of the run's parameters by kind and mode code."""
    p = sim.p
    sim.wholesale = price_table(sim)
    sim.shipment_kg = np.array([p.routes.shipment_kg[m] for m in MODES])
    sim.inspection = np.array([p.routes.inspection[m] for m in MODES])


def price_table(sim) -> np.ndarray:
    """Wholesale price per kg paid to sellers of each kind code (USD)."""
    m = sim.p.market
    table = np.zeros(len(KIND))
    for kind, share in m.wholesale_share.items():
        if kind in KIND:
            table[KIND[kind]] = share * m.retail_usd_per_kg
    return table


def receiver_counts(sim, name: str) -> np.ndarray:
    """Per receiver of the support stage ``name`` (``protects``, ``fronts_for``, ...): its
    alive links from alive senders."""
    st = sim.topo.stages[name]
    return _count(st.li, st.src, st.d_loc, sim.s.links.alive, sim.s.actors.alive,
                  st.receivers.size)


@numba.njit(cache=True)
def _count(li, src, d_loc, link_alive, alive, n_receivers):
    out = np.zeros(n_receivers, dtype=np.int64)
    for k in range(li.size):
        if link_alive[li[k]] and alive[src[k]]:
            out[d_loc[k]] += 1
    return out


def count_of(sim, name: str, slots: np.ndarray, counts: np.ndarray | None = None) -> np.ndarray:
    """:func:`receiver_counts` of ``slots`` (0 for actors no such link reaches)."""
    st = sim.topo.stages[name]
    counts = receiver_counts(sim, name) if counts is None else counts
    loc = st.d_map[slots]
    if not counts.size:
        return np.zeros(slots.size, dtype=np.int64)
    return np.where(loc >= 0, counts[np.maximum(loc, 0)], 0)


def route_protection(sim, routes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Protection by alive officials and cover by alive fronting businesses of ``routes``:
    ``1 - (1 - x) ** officials`` and ``1 - (1 - c) ** businesses``."""
    prot, cover = _route_counts(sim, routes)
    return 1.0 - prot[0][prot[1]], 1.0 - cover[0][cover[1]]


def _route_counts(sim, routes: np.ndarray):
    """Per route, its alive officials and fronting businesses, each with the powers
    ``(1 - x) ** n`` for every count ``n`` up to the largest (``(powers, counts)``)."""
    p = sim.p
    pr, fr = sim.topo.stages["protects"], sim.topo.stages["fronts_for"]
    n_o, n_b = _support_counts(routes, pr.li, pr.src, pr.d_loc, pr.d_map, pr.receivers.size,
                               fr.li, fr.src, fr.d_loc, fr.d_map, fr.receivers.size,
                               sim.s.links.alive, sim.s.actors.alive)
    prot_x = p.routes.protection_per_official * np.exp(-sim.efforts.anti_corruption)
    return ((power_table(sim, "protects", 1.0 - prot_x, _top(n_o)), n_o),
            (power_table(sim, "fronts_for", 1.0 - p.routes.cover_per_business, _top(n_b)), n_b))


def _support_powers(sim, n_protects: int, n_fronts: int) -> tuple[np.ndarray, np.ndarray]:
    """The tables of :func:`_route_counts` past the largest count a route can have (every
    link of its support stage), kept on the run for the last anti-corruption effort and
    stage sizes (:func:`power_table` keeps the tables themselves)."""
    e, routes = sim.efforts.anti_corruption, sim.p.routes
    got = sim.__dict__.get("_support_powers")
    if got is None or got[:3] != (e, n_protects, n_fronts) or got[3] is not routes:
        prot_x = routes.protection_per_official * np.exp(-e)
        got = sim._support_powers = (
            e, n_protects, n_fronts, routes,
            power_table(sim, "protects", 1.0 - prot_x, n_protects),
            power_table(sim, "fronts_for", 1.0 - routes.cover_per_business, n_fronts))
    return got[4], got[5]


def _top(counts: np.ndarray) -> int:
    """The largest of ``counts`` (0 for none)."""
    return int(counts.max()) if counts.size else 0


def power_table(sim, name: str, base, top: int) -> np.ndarray:
    """``base ** arange(k)`` with ``k`` past ``top`` (the largest count): indexed by counts,
    NumPy's ``base ** counts`` bit for bit (each element is NumPy's power of the same two
    values). Kept on the run under ``name`` while ``base`` is the same number and the
    table long enough (a new anti-corruption effort, or a larger count, makes it afresh)."""
    cache = sim.__dict__.setdefault("_power_tables", {})
    top += 1
    got = cache.get(name)
    if got is None or got[0] != base or got[1].size < top:
        got = cache[name] = (base, base ** np.arange(max(top, 16)))
    return got[1]


@numba.njit(cache=True)
def _support_counts(routes, p_li, p_src, p_d_loc, p_d_map, p_n, f_li, f_src, f_d_loc,
                    f_d_map, f_n, link_alive, alive):
    """Per route: its alive ``protects`` and ``fronts_for`` links from alive senders (as
    :func:`count_of` on each stage)."""
    po = _count(p_li, p_src, p_d_loc, link_alive, alive, p_n)
    fo = _count(f_li, f_src, f_d_loc, link_alive, alive, f_n)
    n_o = np.zeros(routes.size, dtype=np.int64)
    n_b = np.zeros(routes.size, dtype=np.int64)
    for j in range(routes.size):
        r = routes[j]
        i = p_d_map[r] if r < p_d_map.size else -1
        if i >= 0:
            n_o[j] = po[i]
        i = f_d_map[r] if r < f_d_map.size else -1
        if i >= 0:
            n_b[j] = fo[i]
    return n_o, n_b


@numba.njit(cache=True)
def _through_room(room, receivers, s_loc, d_loc, s_map, risk, rroom, own, on, cap, kind,
                  route_kind):
    """Routes as pass-through (in place on ``room``, the room of the lab stage's receivers):
    a route takes at most its own room (``own``: ``capacity * dt`` minus its load) and what
    its receivers' room (``rroom``) lets it carry on, each receiver's room filled by the
    routes feeding it by capacity times ``risk`` (:func:`~fentanet.simulate.kernels.water_fill`):
    the safer routes first in proportion, and what they cannot carry (they are full) still
    by the others. ``s_loc``, ``d_loc``, ``on``: the route stage's links (``on``: in play,
    :func:`_route_rooms`); ``cap``: each route's capacity (the route stage's senders, local
    numbers, as ``risk`` and ``own``). Returns that room, the lesser of the two, per route."""
    n_snd = risk.size
    w = np.empty(n_snd)  # each route's weight, capacity times risk
    for i in range(n_snd):
        w[i] = cap[i] * risk[i]
    x = kernels.water_fill(s_loc, d_loc, on, w, own, rroom)
    down = np.zeros(n_snd)
    for k in range(s_loc.size):
        down[s_loc[k]] += x[k]
    for i in range(n_snd):
        down[i] = min(own[i], down[i])
    for j in range(receivers.size):
        d = receivers[j]
        if kind[d] == route_kind:
            i = s_map[d] if d < s_map.size else -1
            room[j] = min(room[j], down[i] if i >= 0 else 0.0)
    return down


@numba.njit(cache=True)
def _route_rooms(li, src, dst, rt_senders, rt_receivers, link_alive, alive, kind, capacity,
                 product, dt, cover, route_kind):
    """The route stage's receivers' room, its senders' own room (``capacity * dt`` minus
    load) and capacity, and which links are in play (alive, between alive ends): what
    :func:`_through_room` and :func:`_capacity_share` read. A route's own room and
    capacity are read once per route (the route stage's senders, local numbers; each has
    a link), not once per link."""
    rroom = np.empty(rt_receivers.size)
    for j in range(rt_receivers.size):
        d = rt_receivers[j]
        r = capacity[d] * dt - product[d] if kind[d] == route_kind else (
            cover * capacity[d] - product[d])
        rroom[j] = max(r, 0.0) if alive[d] else 0.0
    own = np.empty(rt_senders.size)
    cap = np.empty(rt_senders.size)
    for i in range(rt_senders.size):
        s = rt_senders[i]
        own[i] = max(capacity[s] * dt - product[s], 0.0) if alive[s] else 0.0
        cap[i] = capacity[s]
    on = np.empty(li.size, dtype=np.bool_)
    for k in range(li.size):  # without a branch: which links are in play is hard to predict
        on[k] = link_alive[li[k]] & alive[src[k]] & alive[dst[k]]
    return rroom, own, cap, on


@numba.njit(cache=True, error_model="numpy")
def _capacity_share(s_loc, d_loc, rroom, own, cap, on):
    """Per route (the route stage's senders, local numbers): the lesser of its own room and
    its capacity share of its receivers' room, ``sum over receivers d of room[d] *
    capacity / (capacity of the routes with room feeding d)`` (the first round of
    :func:`~fentanet.simulate.kernels.water_fill` by capacity alone): the room a lab's
    split weights a route by (:func:`_route_pref`). Reads :func:`_route_rooms` (``cap``:
    each route's capacity). The sums add an exact 0.0 for the links that do not count
    (no branch; ``error_model="numpy"`` lets a quotient they discard be computed): the
    same numbers as adding only those that do."""
    csum = np.zeros(rroom.size)
    for k in range(s_loc.size):
        s = s_loc[k]
        c = cap[s]
        counts = on[k] & (own[s] > 0.0) & (c > 0.0)
        csum[d_loc[k]] += c if counts else 0.0
    share = np.zeros(own.size)
    for k in range(s_loc.size):
        s = s_loc[k]
        c = cap[s]
        d = d_loc[k]
        counts = on[k] & (own[s] > 0.0) & (c > 0.0) & (rroom[d] > 0.0)
        part = rroom[d] * (c / csum[d])
        share[s] += part if counts else 0.0
    for i in range(own.size):
        share[i] = min(own[i], share[i])
    return share


def _labs_to_routes(sim) -> None:
    """Labs ship onto routes, marketplaces, traffickers, dealers (displacement: routes
    preferred by ``exp(-beta * recent loss)``, once: :func:`_route_pref`). One compiled call
    (:func:`_lab_stage`)."""
    s, p = sim.s, sim.p
    a = s.actors
    st, rt = sim.topo.stages["lab"], sim.topo.stages["route"]
    if not st.size:
        return
    _lab_stage(st.li, st.src, st.dst, st.s_loc, st.d_loc, st.ext, st.d_pay, st.s_kind,
               st.senders, st.receivers, st.payers, rt.li, rt.src, rt.dst, rt.s_loc, rt.d_loc,
               rt.s_map, rt.senders, rt.receivers, bool(p.routes.displacement),
               -p.routes.displacement_beta, nploops.EXP, s.links.alive, a.alive, a.kind,
               a.capacity, sim.dt, p.supply.stock_cover_years, sim.wholesale, a.payer,
               a.product, a.cash, a.dirty, a.throughput, a.held, a.loss, _loss_gain(sim),
               a.spare)


@numba.njit(cache=True)
def _risk(slots, loss, minus_beta, exp_loop):
    """``exp(-beta * loss)`` of the actors in ``slots`` (their recent loss share), as
    NumPy's ``np.exp(-beta * loss[slots])``: the same product, then NumPy's own ``exp``
    (:mod:`fentanet.simulate.nploops`, ``exp_loop``)."""
    x = np.empty(slots.size)
    for j in range(slots.size):
        x[j] = minus_beta * loss[slots[j]]
    nploops.apply(exp_loop, x, x)
    return x


@numba.njit(cache=True)
def _lab_stage(li, src, dst, s_loc, d_loc, ext, d_pay, s_kind, senders, receivers, payers,
               rt_li, rt_src, rt_dst, rt_s_loc, rt_d_loc, rt_s_map, rt_senders,
               rt_receivers, displacement, minus_beta, exp_loop, link_alive, alive, kind,
               capacity, dt, cover, price_of_kind, payer, product, cash, dirty, throughput,
               held, loss, g, spare):
    """The lab stage in one call: offers and rooms
    (:func:`~fentanet.simulate.kernels.offer_room`), the routes' room as pass-through
    (:func:`_through_room`, by ``exp(-beta * loss)`` per route sender (:func:`_risk`), 1
    without displacement), the links' preference (:func:`_route_pref`, by that factor of
    the stage's receivers; none without displacement) and the transfer: the kernels the
    phase called one by one, in the same order, so the same numbers. Then
    each lab's recent held-back share
    (:func:`_held_back`) and each route's spare room (``spare``, per slot: the room as
    pass-through the labs' offers left: what a lab re-routing for room looks for)."""
    offer, room = kernels.offer_room(senders, receivers, alive, kind, capacity, product, dt,
                                     cover, ROUTE)
    if displacement:
        risk_rt = _risk(rt_senders, loss, minus_beta, exp_loop)
        risk_in = _risk(receivers, loss, minus_beta, exp_loop)
    else:
        risk_rt = np.ones(rt_senders.size)
        risk_in = risk_rt[:0]
    rroom, own, cap, on = _route_rooms(rt_li, rt_src, rt_dst, rt_senders, rt_receivers,
                                       link_alive, alive, kind, capacity, product, dt, cover,
                                       ROUTE)
    through = _through_room(room, receivers, rt_s_loc, rt_d_loc, rt_s_map, risk_rt, rroom,
                            own, on, cap, kind, ROUTE)
    pref = np.empty(0)
    if displacement:  # the lab's weight for a route: its room shared by capacity alone
        share = _capacity_share(rt_s_loc, rt_d_loc, rroom, own, cap, on)
        pref = _route_pref(li, d_loc, receivers, kind, room, share, rt_s_map, risk_in)
    left = offer.copy()  # the plan debits it: what the receivers' room did not take
    kernels.transfer(li, src, dst, s_loc, d_loc, ext, d_pay, s_kind, payers, link_alive, pref,
                     left, room, PASSES, price_of_kind, payer, product, cash, dirty,
                     throughput)  # debits room too: what the offers left of it
    _held_back(senders, offer, left, held, g)
    for i in range(rt_senders.size):  # no lab ships to it: all its room is spare
        spare[rt_senders[i]] = through[i]
    for j in range(receivers.size):
        if kind[receivers[j]] == ROUTE:
            spare[receivers[j]] = room[j]


@numba.njit(cache=True)
def _route_pref(li, d_loc, receivers, kind, room, share, rt_s_map, risk_in):
    """Per link of the lab stage, the lab's preference ``pref`` for its receiver such that
    ``room * pref`` (the weight :func:`~fentanet.simulate.kernels.settle` splits a lab's
    offer by) is, for a route, ``share * exp(-beta * loss)`` in the first pass: ``share``
    is the lesser of the route's own room and its capacity share of its receivers' room
    (:func:`_capacity_share`), ``room`` its room as pass-through, water-filled by capacity
    times ``exp(-beta * loss)``, that caps what it takes (:func:`_through_room`), and
    ``risk_in`` is ``exp(-beta * loss)``. The displacement factor counts once: routes
    feeding the same receivers are offered a lab's product in proportion to capacity times
    ``exp(-beta * loss)`` whether their receivers' room binds or their own (empty routes).
    Later passes weight by the room left, ``room_left / room * share * exp(-beta *
    loss)``. Other receivers: 1 (pull by room). Computed once per receiver, then read by
    its links."""
    of_receiver = np.empty(receivers.size)
    for j in range(receivers.size):
        d = receivers[j]
        if kind[d] != ROUTE:
            of_receiver[j] = 1.0
            continue
        i = rt_s_map[d] if d < rt_s_map.size else -1
        u = share[i] if i >= 0 else 0.0
        of_receiver[j] = risk_in[j] * (u / room[j]) if room[j] > 0.0 else risk_in[j]
    pref = np.empty(li.size)
    for k in range(li.size):
        pref[k] = of_receiver[d_loc[k]]
    return pref


@numba.njit(cache=True)
def _held_back(senders, offer, left, held, g):
    """In place: each lab's recent held-back share, ``held += (left / offer - held) * g``
    for the labs that offered some (``offer``: ``min(product, capacity * dt)``; ``left``:
    what the plan's passes placed nowhere, before the cash limits, so product held back
    for lack of room on its routes (and their receivers), not for lack of cash, of
    precursor or of production; ``g``: the routes' recent-loss weight). A lab that offered
    nothing (no product, not alive) keeps its share, as a route that carried nothing keeps
    its loss share. A step in which the labs placed nothing at all (the chain stands
    still) changes no share: it tells nothing about which lab lacks room. The chain starts
    full (:func:`fentanet.simulate.phases.money.init`) and the markets' draw reaches the
    labs two steps later whatever the step's length, so counted, the start would put every
    lab's share at ``1 - exp(-2 dt / loss_memory_years)``: 0.15 with weekly steps, 0.49
    with monthly ones (every lab above the threshold, re-routing for a room it lacked only
    because the step was long)."""
    placed = 0.0
    for i in range(senders.size):
        placed += offer[i] - left[i]
    if not placed > 0.0:
        return
    for i in range(senders.size):
        o = offer[i]
        if o > 0.0:
            v = senders[i]
            held[v] += (left[i] / o - held[v]) * g


def _over_routes(sim) -> tuple[float, np.ndarray, np.ndarray]:
    """Routes carry product on; shipments seized. Returns the quantity seized, and the
    seized and shipped quantities per mode code. One compiled call (:func:`_route_stage`:
    :func:`_route_plan`, the seizure draws included, and :func:`_route_deliver`); when a
    count the compiled walk cannot take is drawn by the exact bisection (as
    :func:`~fentanet.simulate.rng.binomial_from_uniform` does), the two calls with it
    between them."""
    s, p = sim.s, sim.p
    a = s.actors
    st = sim.topo.stages["route"]
    n_modes = len(MODES)
    if not st.size:
        return 0.0, np.zeros(n_modes), _shipped(sim, a)
    pr, fr = sim.topo.stages["protects"], sim.topo.stages["fronts_for"]
    p_pow, c_pow = _support_powers(sim, pr.size, fr.size)
    plan = (st.li, st.s_loc, st.d_loc, st.ext, st.d_pay, st.s_kind, st.senders, st.receivers,
            st.payers, pr.li, pr.src, pr.d_loc, pr.d_map, pr.receivers.size, fr.li, fr.src,
            fr.d_loc, fr.d_map, fr.receivers.size, p_pow, c_pow, s.links.alive, a.alive,
            a.kind, a.capacity, a.product, a.mode, a.uid, sim.dt, p.supply.stock_cover_years,
            sim.wholesale, a.cash, sim.shipment_kg, sim.inspection, _screen(sim),
            sim.streams.key("shipping.seizure"), sim.step, nploops.EXP)
    every = sim.topo.slots("route")
    taken, total, by_mode, shipped = _route_stage(*plan, a.loss, _loss_gain(sim), st.src,
                                                  st.dst, a.payer, a.dirty, a.throughput,
                                                  n_modes, every)
    if taken:
        return total, by_mode, shipped
    # counts the walk cannot take (-1): the plan again (it changes no state), the exact
    # bisection, the delivery
    moved, qty, sent, idx, shipments, prob, u, k, _ = _route_plan(*plan)
    at = k < 0
    k[at] = binomial_ppf(u[at], shipments[at], np.clip(prob[at], 0.0, 1.0))
    return _route_deliver(k, shipments, idx, sent, st.senders, a.loss, _loss_gain(sim),
                          moved, qty, st.src, st.dst, st.s_loc, st.ext, st.s_kind,
                          sim.wholesale, a.payer, a.product, a.cash, a.dirty, a.throughput,
                          a.mode, n_modes, every)


@numba.njit(cache=True)
def _route_stage(li, s_loc, d_loc, ext, d_pay, s_kind, senders, receivers, payers, p_li,
                 p_src, p_d_loc, p_d_map, p_n, f_li, f_src, f_d_loc, f_d_map, f_n, p_pow,
                 c_pow, link_alive, alive, kind, capacity, product, mode, uid, dt, cover,
                 price_of_kind, cash, shipment_kg, inspection, screen, key, step, exp_loop,
                 loss, g, src, dst, payer, dirty, throughput, n_modes, every):
    """The route stage in one call: :func:`_route_plan`, then, when the compiled walk drew
    every count, :func:`_route_deliver` (the plan's nine values stay in the call). Returns
    (True, then :func:`_route_deliver`'s three values), or (False, 0, zeros, zeros) with
    the state untouched when a count needs the exact bisection: the plan changes no
    state, so the caller makes it again, draws those counts and delivers
    (:func:`_over_routes`)."""
    moved, qty, sent, idx, shipments, _, _, k, rest = _route_plan(
        li, s_loc, d_loc, ext, d_pay, s_kind, senders, receivers, payers, p_li, p_src,
        p_d_loc, p_d_map, p_n, f_li, f_src, f_d_loc, f_d_map, f_n, p_pow, c_pow, link_alive,
        alive, kind, capacity, product, mode, uid, dt, cover, price_of_kind, cash,
        shipment_kg, inspection, screen, key, step, exp_loop)
    if rest:
        return False, 0.0, np.zeros(n_modes), np.zeros(n_modes)
    total, by_mode, shipped = _route_deliver(k, shipments, idx, sent, senders, loss, g,
                                             moved, qty, src, dst, s_loc, ext, s_kind,
                                             price_of_kind, payer, product, cash, dirty,
                                             throughput, mode, n_modes, every)
    return True, total, by_mode, shipped


def _shipped(sim, a) -> np.ndarray:
    """What the routes of each mode have carried (their throughput), by mode code."""
    every = sim.topo.slots("route")
    return np.bincount(a.mode[every], weights=a.throughput[every], minlength=len(MODES))


@numba.njit(cache=True)
def _route_plan(li, s_loc, d_loc, ext, d_pay, s_kind, senders, receivers, payers, p_li, p_src,
                p_d_loc, p_d_map, p_n, f_li, f_src, f_d_loc, f_d_map, f_n, p_pow, c_pow,
                link_alive, alive, kind, capacity, product, mode, uid, dt, cover,
                price_of_kind, cash, shipment_kg, inspection, screen, key, step, exp_loop):
    """The route stage up to the seizure draw, in one call: offers and rooms, the plan with
    the cash limits (:func:`~fentanet.simulate.kernels.plan_afford`), the shipments of the
    routes that carried some (:func:`_shipments`), their officials and businesses
    (:func:`_support_counts`), exposure (:func:`_exposure`, ``p_pow``/``c_pow`` longer
    than any count) and keyed uniform (the route's uid under the prefix of the stream's
    ``key`` at ``step``, as :meth:`~fentanet.simulate.rng.Streams.uniform`), the seizure
    probability ``1 - exp(exposure)`` (NumPy's ``exp``: ``exp_loop``,
    :mod:`fentanet.simulate.nploops`) and the count seized by the compiled walk
    (:func:`~fentanet.simulate.kernels.binomial_inverse_clipped`, as
    :func:`~fentanet.simulate.rng.binomial_from_uniform`). The kernels and NumPy calls the
    phase made one by one, in the same order: the same numbers. Returns (links in play,
    their quantities, quantity per sender, routes that carried as local numbers, their
    shipments, seizure probability, uniform, count seized (-1 where the walk would
    underflow), whether there is such a count)."""
    offer, room = kernels.offer_room(senders, receivers, alive, kind, capacity, product, dt,
                                     cover, ROUTE)
    moved, qty, sent = kernels.plan_afford(li, s_loc, d_loc, link_alive, offer, room, PASSES,
                                           ext, d_pay, s_kind, price_of_kind, payers, cash)
    idx, shipments, base = _shipments(sent, senders, mode, shipment_kg, inspection, screen)
    routes = senders[idx]
    n_o, n_b = _support_counts(routes, p_li, p_src, p_d_loc, p_d_map, p_n, f_li, f_src,
                               f_d_loc, f_d_map, f_n, link_alive, alive)
    expo = _exposure(base, p_pow, n_o, c_pow, n_b)
    u = np.empty(routes.size)
    prefix = step_prefix(key, step)
    for j in range(routes.size):
        u[j] = keyed_uniform(np.uint64(uid[routes[j]]), prefix)
    prob = np.empty(routes.size)
    nploops.apply(exp_loop, expo, prob)
    for j in range(routes.size):
        prob[j] = 1.0 - prob[j]
    k, rest = kernels.binomial_inverse_clipped(u, shipments, prob)
    return moved, qty, sent, idx, shipments, prob, u, k, rest


@numba.njit(cache=True)
def _route_deliver(k, shipments, idx, sent, senders, loss, g, moved, qty, src, dst, s_loc,
                   ext, s_kind, price_of_kind, payer, product, cash, dirty, throughput, mode,
                   n_modes, every):
    """The route stage after the seizure draw, in one call: the seized shares and the
    routes' recent loss (:func:`_seize`), the material moved
    (:func:`~fentanet.simulate.kernels.apply`), the seized quantity per mode and the
    quantity shipped per mode over every route slot ``every`` (each summed in order, as
    ``np.bincount``). Returns (the quantity seized, NumPy's sum over the routes that
    carried (:func:`~fentanet.simulate.kernels.np_sum`), seized by mode, shipped by
    mode)."""
    lost = np.zeros(senders.size)
    routes = senders[idx]
    seized = _seize(k, shipments, idx, sent, routes, lost, loss, g)
    kernels.apply(moved, qty, src, dst, s_loc, ext, s_kind, price_of_kind, lost, payer,
                  product, cash, dirty, throughput)
    by_mode = np.zeros(n_modes)
    for j in range(routes.size):
        by_mode[mode[routes[j]]] += seized[j]
    shipped = np.zeros(n_modes)
    for r in every:
        shipped[mode[r]] += throughput[r]
    return kernels.np_sum(seized), by_mode, shipped


def _screen(sim) -> np.ndarray:
    """The screening effort S per mode code."""
    return np.array([sim.efforts.screen[m] for m in MODES])


def _loss_gain(sim) -> float:
    """Weight of this step's loss share in the routes' recent loss (cached on the run)."""
    g = sim.__dict__.get("_route_loss_gain")
    if g is None:
        g = sim._route_loss_gain = 1.0 - np.exp(-sim.dt / sim.p.routes.loss_memory_years)
    return g


@numba.njit(cache=True)
def _shipments(sent, senders, mode, shipment_kg, inspection, screen):
    """Routes that carried some (local numbers), their shipments ``max(ceil(q / size), 1)``
    and ``h[mode] * S[mode]``."""
    idx = np.flatnonzero(sent > 0)
    n = idx.size
    shipments = np.empty(n, dtype=np.int64)
    base = np.empty(n)
    for j in range(n):
        m = mode[senders[idx[j]]]
        shipments[j] = max(np.int64(math.ceil(sent[idx[j]] / shipment_kg[m] - 1e-12)), 1)
        base[j] = -inspection[m] * screen[m]
    return idx, shipments, base


@numba.njit(cache=True)
def _exposure(base, p_pow, n_o, c_pow, n_b):
    """``-h * S * (1 - protection) * (1 - cover)`` (``base`` is ``-h * S``; protection is
    ``1 - p_pow[officials]``, cover ``1 - c_pow[businesses]``, the same operations as on
    arrays)."""
    out = np.empty(base.size)
    for j in range(base.size):
        out[j] = base[j] * (1.0 - (1.0 - p_pow[n_o[j]])) * (1.0 - (1.0 - c_pow[n_b[j]]))
    return out


@numba.njit(cache=True)
def _seize(k, shipments, idx, sent, routes, lost, loss, g):
    """In place: the share seized per route (``lost``, local numbers) and the routes' recent
    loss share. Returns the quantity seized per route."""
    seized = np.empty(idx.size)
    for j in range(idx.size):
        frac = k[j] / shipments[j]
        lost[idx[j]] = frac
        seized[j] = sent[idx[j]] * frac
        r = routes[j]
        loss[r] += (frac - loss[r]) * g
    return seized


def run(sim) -> None:
    s = sim.s
    _labs_to_routes(sim)
    total, by_mode, shipped = _over_routes(sim)
    s.totals["seized_routes"] = s.totals.get("seized_routes", 0.0) + total
    now = sim.now
    now["seized_routes_kg"] += total
    now.update(zip(_SEIZED, by_mode.tolist(), strict=False))
    now.update(zip(_SHIPPED, shipped.tolist(), strict=False))


_SEIZED = tuple(f"seized_{mode}_kg" for mode in MODES)
_SHIPPED = tuple(f"shipped_{mode}_kg" for mode in MODES)
