"""Phase 4, shipping: product from labs onto routes (and to marketplaces and traffickers),
then over the routes, where shipments are seized.

A lab offers ``min(product, capacity * dt)`` over its ``ships`` links; its split over
routes is proportional to ``capacity * exp(-beta * recent loss share)`` when displacement
is on (NarcoLogic), to capacity otherwise. A route forwards ``min(load, capacity * dt)``;
its flow ``q`` is split into ``n = ceil(q / shipment size)`` equal shipments and
``Binomial(n, p)`` of them are seized, ``p = 1 - exp(-h[mode] * S[mode] * (1 - protection)
* (1 - cover))`` with S the screening effort, protection by officials (lowered by
anti-corruption) and cover by fronting businesses. Draws are keyed by the route's uid.

Each stage is one compiled pass over its links (:func:`fentanet.simulate.kernels.transfer`;
the route stage plans, draws its seizures, then moves the material).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from fentanet.simulate import kernels
from fentanet.simulate.params import MODES
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


def push(sim, st, pref: np.ndarray | None = None,
         offer_room: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """One stage without losses in transit: each sender's offer ``min(product, capacity *
    dt)`` split by the receivers' room (times ``pref``, per link), room- and cash-limited,
    moved. ``offer_room`` (per sender and receiver of the stage, fresh arrays: the transfer
    debits them) replaces the actors' own offers and rooms."""
    if not st.size:
        return
    a = sim.s.actors
    if offer_room is None:
        offer_room = _offer_room(sim, st)
    offer, room = offer_room
    kernels.transfer(st.li, st.src, st.dst, st.s_loc, st.d_loc, st.ext, st.d_pay, st.s_kind,
                     st.payers, sim.s.links.alive, _NONE if pref is None else pref, offer,
                     room, PASSES, sim.wholesale, a.payer, a.product, a.cash, a.dirty,
                     a.throughput)


_NONE = np.zeros(0)


def _offer_room(sim, st) -> tuple[np.ndarray, np.ndarray]:
    a = sim.s.actors
    return kernels.offer_room(st.senders, st.receivers, a.alive, a.kind, a.capacity,
                              a.product, sim.dt, sim.p.supply.stock_cover_years, ROUTE)


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
    return ((_powers(sim, "protects", 1.0 - prot_x, n_o), n_o),
            (_powers(sim, "fronts_for", 1.0 - p.routes.cover_per_business, n_b), n_b))


def _powers(sim, name: str, base, counts: np.ndarray) -> np.ndarray:
    """``base ** arange(k)`` (NumPy's power, the same bits as ``base ** counts``: each
    element is the power of one value) with ``k`` past the largest of ``counts``; kept on
    the run while ``base`` stays."""
    cache = sim.__dict__.setdefault("_route_powers", {})
    top = int(counts.max()) + 1 if counts.size else 1
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
def _through_room(room, receivers, li, src, dst, s_loc, d_loc, s_map, rt_receivers, risk,
                  link_alive, alive, kind, capacity, product, dt, cover, route_kind):
    """Routes as pass-through (in place on ``room``, the room of the lab stage's receivers):
    a route takes at most its own room and what its receivers can take, each receiver's
    room shared among the routes feeding it by capacity times ``risk``."""
    n_snd = risk.size
    rroom = np.empty(rt_receivers.size)
    for j in range(rt_receivers.size):
        d = rt_receivers[j]
        r = capacity[d] * dt - product[d] if kind[d] == route_kind else (
            cover * capacity[d] - product[d])
        rroom[j] = max(r, 0.0)
    feed = np.zeros(rt_receivers.size)
    c = np.empty(li.size)  # capacity times risk of each link's route
    on = np.empty(li.size, dtype=np.bool_)  # alive link between alive ends
    for k in range(li.size):
        on[k] = link_alive[li[k]] and alive[src[k]] and alive[dst[k]]
        if on[k]:
            c[k] = capacity[src[k]] * risk[s_loc[k]]
            feed[d_loc[k]] += c[k]
    down = np.zeros(n_snd)
    for k in range(li.size):
        if on[k]:
            down[s_loc[k]] += rroom[d_loc[k]] * c[k] / max(feed[d_loc[k]], 1e-300)
    for j in range(receivers.size):
        d = receivers[j]
        if kind[d] == route_kind:
            i = s_map[d] if d < s_map.size else -1
            room[j] = min(room[j], down[i] if i >= 0 else 0.0)


def _labs_to_routes(sim) -> None:
    """Labs ship onto routes, marketplaces, traffickers, dealers (displacement: routes
    preferred by ``exp(-beta * recent loss)``)."""
    s, p = sim.s, sim.p
    a = s.actors
    st, rt = sim.topo.stages["lab"], sim.topo.stages["route"]
    if not st.size:
        return
    offer, room = _offer_room(sim, st)
    if p.routes.displacement:
        beta = p.routes.displacement_beta
        risk_rt = np.exp(-beta * a.loss[rt.senders])
        risk_in = np.exp(-beta * a.loss[st.receivers])
        # per receiver, then per link (routes by their risk, other receivers 1)
        pref = np.where(a.kind[st.receivers] == ROUTE, risk_in, 1.0)[st.d_loc]
    else:
        risk_rt = np.ones(rt.senders.size)
        pref = None
    _through_room(room, st.receivers, rt.li, rt.src, rt.dst, rt.s_loc, rt.d_loc, rt.s_map,
                  rt.receivers, risk_rt, s.links.alive, a.alive, a.kind, a.capacity,
                  a.product, sim.dt, p.supply.stock_cover_years, ROUTE)
    push(sim, st, pref=pref, offer_room=(offer, room))


def _over_routes(sim) -> np.ndarray:
    """Routes carry product on; shipments seized. Returns (routes that carried, seized)."""
    s = sim.s
    a = s.actors
    st = sim.topo.stages["route"]
    if not st.size:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    offer, room = _offer_room(sim, st)
    moved, qty, sent = kernels.plan_afford(st.li, st.s_loc, st.d_loc, s.links.alive, offer,
                                           room, PASSES, st.ext, st.d_pay, st.s_kind,
                                           sim.wholesale, st.payers, a.cash)
    idx, shipments, base = _shipments(sent, st.senders, a.mode, sim.shipment_kg,
                                      sim.inspection, _screen(sim))
    routes = st.senders[idx]
    lost = np.zeros(st.senders.size)
    seized = np.zeros(0)
    if idx.size:
        (p_pow, n_o), (c_pow, n_b) = _route_counts(sim, routes)
        prob = 1.0 - np.exp(_exposure(base, p_pow, n_o, c_pow, n_b))
        k = sim.streams.binomial("shipping.seizure", sim.step, a.uid[routes], shipments, prob)
        # recent loss share (EWMA, time constant loss_memory_years)
        g = _loss_gain(sim)
        seized = _seize(k, shipments, idx, sent, routes, lost, a.loss, g)
    kernels.apply(moved, qty, st.src, st.dst, st.s_loc, st.ext, st.s_kind, sim.wholesale,
                  lost, a.payer, a.product, a.cash, a.dirty, a.throughput)
    return routes, seized


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
    a = s.actors
    _labs_to_routes(sim)
    routes, seized = _over_routes(sim)
    total = float(seized.sum())
    s.totals["seized_routes"] = s.totals.get("seized_routes", 0.0) + total
    sim.now["seized_routes_kg"] += total
    now = sim.now
    by_mode = np.bincount(a.mode[routes], weights=seized, minlength=len(MODES))
    for col, x in zip(_SEIZED, by_mode.tolist(), strict=False):
        now[col] = x
    every = sim.topo.slots("route")
    shipped = np.bincount(a.mode[every], weights=a.throughput[every], minlength=len(MODES))
    for col, x in zip(_SHIPPED, shipped.tolist(), strict=False):
        now[col] = x


_SEIZED = tuple(f"seized_{mode}_kg" for mode in MODES)
_SHIPPED = tuple(f"shipped_{mode}_kg" for mode in MODES)
