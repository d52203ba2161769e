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

from fentanet.simulate import flow
from fentanet.simulate.params import MODES
from fentanet.simulate.state import KIND, LKIND

PRODUCT_LINKS = (LKIND["ships"], LKIND["distributes"], LKIND["flow"])


def stage_links(sim, sender_kinds: tuple[int, ...], link_kinds=PRODUCT_LINKS,
                receiver_not=(KIND["market"],)):
    """Alive product links out of senders of the given kinds (receivers not markets)."""
    s = sim.s
    a, ln = s.actors, s.links
    key = (sender_kinds, link_kinds, receiver_not, ln.version, a.n)
    cache = sim.__dict__.setdefault("_stage_cache", {})
    li = cache.get(key)
    if li is None:
        m = np.isin(ln.kind, link_kinds) & np.isin(a.kind[ln.src], sender_kinds)
        m &= ~np.isin(a.kind[ln.dst], receiver_not)
        li = np.flatnonzero(m)
        cache[key] = li
    src, dst = ln.src[li], ln.dst[li]
    ok = ln.alive[li] & a.alive[src] & a.alive[dst]
    return li[ok], src[ok], dst[ok]


def room(sim) -> np.ndarray:
    """What each actor can still take in: target stock minus stock (routes: capacity * dt
    minus load in transit)."""
    a = sim.s.actors
    cover = sim.p.supply.stock_cover_years
    r = cover * a.capacity - a.product
    route = a.kind == KIND["route"]
    r = np.where(route, a.capacity * sim.dt - a.product, r)
    return np.maximum(r, 0.0)


def price_of(sim, src: np.ndarray) -> np.ndarray:
    """Wholesale price per kg paid to sellers of each kind (USD)."""
    m = sim.p.market
    table = np.zeros(len(KIND))
    for kind, share in m.wholesale_share.items():
        if kind in KIND:
            table[KIND[kind]] = share * m.retail_usd_per_kg
    return table[sim.s.actors.kind[src]]


def push(sim, li, src, dst, weight, loss_of_sender=None) -> tuple[np.ndarray, np.ndarray]:
    """One stage: offers split by ``weight``, room-limited, cash-limited, then moved.

    Returns (sent per link, seized per link). ``loss_of_sender(sent_by_sender)`` gives the
    share of each sender's flow seized (routes)."""
    a = sim.s.actors
    n = a.n
    offer_actor = np.minimum(a.product, a.capacity * sim.dt)
    share = flow.link_shares(src, weight, n)
    offer = offer_actor[src] * share
    ratio = flow.accept_ratio(dst, offer, room(sim), n)
    qty = offer * ratio[dst]
    qty, _ = flow.afford(a, src, dst, qty, price_of(sim, src))
    seized = np.zeros(qty.size)
    if loss_of_sender is not None:
        sent = np.bincount(src, weights=qty, minlength=n)
        frac = loss_of_sender(sent)
        seized = qty * frac[src]
    delivered = qty - seized
    _, paid = _paid(a, src, dst, delivered, price_of(sim, src))
    flow.pay(a, src, dst, paid)
    flow.move(a.product, src, dst, qty, delivered)
    a.throughput[:] += np.bincount(src, weights=qty, minlength=n)
    return qty, seized


def _paid(a, src, dst, qty, price):
    pays = a.payer[src] != a.payer[dst]
    return qty, np.where(pays, qty * price, 0.0)


def route_protection(sim) -> tuple[np.ndarray, np.ndarray]:
    """Protection by alive officials (per actor) and cover by alive fronting businesses."""
    s, p = sim.s, sim.p
    a, ln = s.actors, s.links
    n = a.n
    alive_src = a.alive[ln.src] & ln.alive
    prot_x = p.routes.protection_per_official * np.exp(-sim.efforts.anti_corruption)
    officials = np.bincount(ln.dst[alive_src & (ln.kind == LKIND["protects"])], minlength=n)
    businesses = np.bincount(ln.dst[alive_src & (ln.kind == LKIND["fronts_for"])], minlength=n)
    protection = 1.0 - (1.0 - prot_x) ** officials
    cover = 1.0 - (1.0 - p.routes.cover_per_business) ** businesses
    return protection, cover


def run(sim) -> None:
    s, p = sim.s, sim.p
    a = s.actors
    n = a.n
    # 1. labs ship onto routes, marketplaces, traffickers, dealers
    li, src, dst = stage_links(sim, (KIND["lab"],))
    w = _base_weight(sim, li, dst)
    if p.routes.displacement:
        w = np.where(a.kind[dst] == KIND["route"], w * np.exp(
            -p.routes.displacement_beta * a.loss[dst]), w)
    push(sim, li, src, dst, w)
    # 2. routes carry it on, with seizures
    li, src, dst = stage_links(sim, (KIND["route"],))
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

    w = _base_weight(sim, li, dst)
    push(sim, li, src, dst, w, loss_of_sender=loss)
    total = float(seized_by_route.sum())
    s.totals["seized_routes"] = s.totals.get("seized_routes", 0.0) + total
    sim.now["seized_routes_kg"] += total
    for code, mode in enumerate(MODES):
        sim.now[f"seized_{mode}_kg"] = float(seized_by_route[a.mode == code].sum())
    sent_routes = a.throughput * (a.kind == KIND["route"])
    for code, mode in enumerate(MODES):
        sim.now[f"shipped_{mode}_kg"] = float(sent_routes[a.mode == code].sum())


def _base_weight(sim, li, dst) -> np.ndarray:
    """Link weight for splitting a sender's offer: the link's capacity, else the
    receiver's capacity."""
    s = sim.s
    cap = s.links.capacity[li]
    w = np.where(np.isfinite(cap), cap, s.actors.capacity[dst])
    return np.maximum(w, 1e-12)
