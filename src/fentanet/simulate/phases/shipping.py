"""Phase 4, shipping: product from labs onto routes (and to marketplaces and traffickers),
then over the routes, where shipments are seized.

A lab offers ``min(product, capacity * dt)`` over its ``ships`` links; its split over
routes is proportional to ``capacity * exp(-beta * recent loss share)`` when displacement
is on (NarcoLogic), to capacity otherwise. A route forwards ``min(load, capacity * dt)``;
its flow ``q`` is split into ``n = ceil(q / shipment size)`` equal shipments and
``Binomial(n, p)`` of them are seized, ``p = 1 - exp(-h[mode] * S[mode] * (1 - protection)
* (1 - cover))`` with S the screening effort, protection by officials (lowered by
anti-corruption) and cover by fronting businesses. Draws are keyed by the route's uid.
"""

from __future__ import annotations

import numpy as np

from fentanet.simulate import kernels
from fentanet.simulate.params import MODES
from fentanet.simulate.state import KIND, LKIND, links_of

PRODUCT_LINKS = (LKIND["ships"], LKIND["distributes"], LKIND["flow"])


PASSES = 3
"""Offer passes per stage (later passes re-offer what was not taken to receivers with
room)."""


def stage(sim, sender_kinds: tuple[int, ...], link_kinds=PRODUCT_LINKS,
          receiver_not=(KIND["market"],)):
    """Product links out of senders of the given kinds (receivers not markets): link
    indices, senders, receivers and base weights (link capacity, else the receiver's).

    Cached; links appended since the last call are scanned and added (links are never
    deleted, only marked dead)."""
    s = sim.s
    a, ln = s.actors, s.links
    key = (sender_kinds, link_kinds, receiver_not)
    cache = sim.__dict__.setdefault("_stage_cache", {})
    got = cache.get(key)
    start = 0 if got is None else got[4]
    if got is not None and start == ln.n:
        return got[:4]
    kind, lsrc, ldst = ln.kind[start:], ln.src[start:], ln.dst[start:]
    m = np.isin(kind, link_kinds) & np.isin(a.kind[lsrc], sender_kinds)
    m &= ~np.isin(a.kind[ldst], receiver_not)
    li = np.flatnonzero(m) + start
    src, dst = ln.src[li].astype(np.int64), ln.dst[li].astype(np.int64)
    cap = ln.capacity[li]
    w = np.maximum(np.where(np.isfinite(cap), cap, a.capacity[dst]), 1e-12)
    if got is not None:
        li, src, dst, w = (np.concatenate([got[0], li]), np.concatenate([got[1], src]),
                           np.concatenate([got[2], dst]), np.concatenate([got[3], w]))
    cache[key] = (li, src, dst, w, ln.n)
    return li, src, dst, w


def room(sim) -> np.ndarray:
    """What each actor can still take in: target stock minus stock (routes: capacity * dt
    minus load in transit)."""
    a = sim.s.actors
    cover = sim.p.supply.stock_cover_years
    r = np.where(a.kind == KIND["route"], a.capacity * sim.dt, cover * a.capacity) - a.product
    return np.maximum(r, 0.0)


def price_table(sim) -> np.ndarray:
    """Wholesale price per kg paid to sellers of each kind code (USD)."""
    m = sim.p.market
    table = np.zeros(len(KIND))
    for kind, share in m.wholesale_share.items():
        if kind in KIND:
            table[KIND[kind]] = share * m.retail_usd_per_kg
    return table


def push(sim, st, pref=None, loss_of_sender=None, offer=None, rooms=None) -> np.ndarray:
    """One stage: offers split by weight (then by room), room- and cash-limited, moved.

    ``loss_of_sender(sent_by_sender)`` gives the share of each sender's flow seized
    (routes). Returns the quantity per link of the stage."""
    a = sim.s.actors
    li, src, dst, w = st
    if not li.size:
        return np.zeros(0)
    if offer is None:
        offer = np.minimum(a.product, a.capacity * sim.dt)
    if rooms is None:
        rooms = room(sim)
    pref = np.ones(li.size) if pref is None else pref
    qty = kernels.plan_transfers(li, src, dst, sim.s.links.alive, a.alive,
                                 w if pref is None else w * pref, pref, offer, rooms, PASSES)
    price = price_table(sim)[a.kind[src]]
    qty, _ = kernels.afford(src, dst, qty, price, a.payer, a.cash)
    lost = np.zeros(a.n)
    if loss_of_sender is not None:
        lost = loss_of_sender(np.bincount(src, weights=qty, minlength=a.n))
    kernels.apply_transfers(src, dst, qty, lost, price, a.payer, a.product, a.cash, a.dirty,
                            a.throughput)
    return qty


def _through_room(sim, st_routes, risk) -> np.ndarray:
    """Room of every actor, routes as pass-through: a route takes at most its capacity
    (minus load in transit) and what its receivers can take, each receiver's room shared
    among the routes feeding it by capacity times the traffickers' preference ``risk``
    (``exp(-beta * recent loss)`` with displacement on), so product does not pile up on
    routes and risky routes yield their share to safer ones."""
    a = sim.s.actors
    rooms = room(sim)
    li, src, dst, _ = st_routes
    if not li.size:
        return rooms
    ok = sim.s.links.alive[li] & a.alive[src] & a.alive[dst]
    src, dst = src[ok], dst[ok]
    cap = a.capacity[src] * risk[src]
    feed = np.bincount(dst, weights=cap, minlength=a.n)
    down = np.bincount(src, weights=rooms[dst] * cap / np.maximum(feed[dst], 1e-300),
                       minlength=a.n)
    route = a.kind == KIND["route"]
    rooms[route] = np.minimum(rooms[route], down[route])
    return rooms


def route_protection(sim) -> tuple[np.ndarray, np.ndarray]:
    """Protection by alive officials (per actor) and cover by alive fronting businesses."""
    s, p = sim.s, sim.p
    a, ln = s.actors, s.links
    n = a.n
    prot_x = p.routes.protection_per_official * np.exp(-sim.efforts.anti_corruption)

    def count(kind):
        li = links_of(sim, LKIND[kind])
        li = li[ln.alive[li] & a.alive[ln.src[li]]]
        return np.bincount(ln.dst[li], minlength=n)

    officials = count("protects")
    businesses = count("fronts_for")
    protection = 1.0 - (1.0 - prot_x) ** officials
    cover = 1.0 - (1.0 - p.routes.cover_per_business) ** businesses
    return protection, cover


def run(sim) -> None:
    s, p = sim.s, sim.p
    a = s.actors
    n = a.n
    # 1. labs ship onto routes, marketplaces, traffickers, dealers
    st = stage(sim, (KIND["lab"],))
    dst = st[2]
    pref = None
    risk = np.ones(n)
    if p.routes.displacement:
        risk = np.exp(-p.routes.displacement_beta * a.loss)
        pref = np.where(a.kind[dst] == KIND["route"], risk[dst], 1.0)
    st_routes = stage(sim, (KIND["route"],))
    push(sim, st, pref=pref, rooms=_through_room(sim, st_routes, risk))
    # 2. routes carry it on, with seizures
    st = st_routes
    protection, cover = route_protection(sim)
    seized_by_route = np.zeros(n)

    def loss(sent: np.ndarray) -> np.ndarray:
        routes = np.flatnonzero((a.kind == KIND["route"]) & (sent > 0))
        frac = np.zeros(n)
        if not routes.size:
            return frac
        modes = a.mode[routes]
        size = np.array([p.routes.shipment_kg[m] for m in MODES])[modes]
        h = np.array([p.routes.inspection[m] for m in MODES])[modes]
        screen = np.array([sim.efforts.screen[m] for m in MODES])[modes]
        q = sent[routes]
        shipments = np.ceil(q / size - 1e-12).astype(np.int64)
        shipments = np.maximum(shipments, 1)
        prob = 1.0 - np.exp(-h * screen * (1.0 - protection[routes]) * (1.0 - cover[routes]))
        k = sim.streams.binomial("shipping.seizure", sim.step, a.uid[routes], shipments, prob)
        frac[routes] = k / shipments
        seized_by_route[routes] = q * frac[routes]
        # recent loss share (EWMA, time constant loss_memory_years)
        g = 1.0 - np.exp(-sim.dt / p.routes.loss_memory_years)
        a.loss[routes] += (frac[routes] - a.loss[routes]) * g
        return frac

    push(sim, st, loss_of_sender=loss)
    total = float(seized_by_route.sum())
    s.totals["seized_routes"] = s.totals.get("seized_routes", 0.0) + total
    sim.now["seized_routes_kg"] += total
    for code, mode in enumerate(MODES):
        sim.now[f"seized_{mode}_kg"] = float(seized_by_route[a.mode == code].sum())
    sent_routes = a.throughput * (a.kind == KIND["route"])
    for code, mode in enumerate(MODES):
        sim.now[f"shipped_{mode}_kg"] = float(sent_routes[a.mode == code].sum())
