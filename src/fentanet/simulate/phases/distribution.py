"""Phase 5, distribution: marketplaces and traffickers to dealers, and retail sales.

Wholesale stages move product marketplace -> dealer, trafficker -> trafficker/dealer and
dealer -> dealer (each room- and cash-limited, see :mod:`fentanet.simulate.flow`). Retail:
dealers and marketplaces offer ``min(stock, capacity * dt)`` to their markets over
``sells_to`` links; a market buys ``min(demand, offered)`` where demand is
``D0 * (people using / people using at start) * price^-elasticity * dt``. Online sellers
lose a share of demand to scam and counterfeit awareness. Consumption leaves the system.
"""

from __future__ import annotations

import numpy as np

from fentanet.simulate import flow, kernels
from fentanet.simulate.phases.shipping import push, stage
from fentanet.simulate.state import KIND, LKIND


def run(sim) -> None:
    s, p = sim.s, sim.p
    a = s.actors
    n = a.n
    for senders in ((KIND["marketplace"],), (KIND["trafficker"],), (KIND["dealer"],)):
        push(sim, stage(sim, senders))
    # retail: markets take what they demand
    st = stage(sim, (KIND["dealer"], KIND["marketplace"]), link_kinds=(LKIND["sells_to"],),
               receiver_not=())
    li, src, dst, w = st
    m = s.n_markets
    base = s.demand0 * sim.users_ratio * sim.dt
    demand = base * s.price ** (-p.market.elasticity)
    offer = np.minimum(a.product, a.capacity * sim.dt)
    scam = sim.efforts.coverage["scam_awareness"]
    if scam > 0:
        online = (a.kind == KIND["marketplace"]) | a.online
        offer = np.where(online, offer * (1.0 - p.public_health.scam_avoidance * scam), offer)
    rooms = np.zeros(n)
    rooms[s.markets] = demand
    offered_actor = offer.copy()
    sold = kernels.plan_transfers(li, src, dst, s.links.alive, a.alive, w, np.ones(li.size),
                                  offer, rooms, 1, False)
    mk = s.market_of[dst]
    # what was offered to each market (for the price): the sellers' offers split by weight
    ok = s.links.alive[li] & a.alive[src] & a.alive[dst]
    share = flow.link_shares(src[ok], w[ok], n)
    offered = np.bincount(mk[ok], weights=offered_actor[src[ok]] * share, minlength=m)
    a.product[:] = np.maximum(a.product - np.bincount(src, weights=sold, minlength=n), 0.0)
    a.throughput[:] += np.bincount(src, weights=sold, minlength=n)
    consumed = np.bincount(mk, weights=sold, minlength=m)
    revenue = sold * s.price[mk] * p.market.retail_usd_per_kg
    a.dirty[:] += np.bincount(a.payer[src], weights=revenue, minlength=n)
    s.totals["consumed"] = s.totals.get("consumed", 0.0) + float(consumed.sum())
    sim.flows["demand"] = demand
    sim.flows["demand_base"] = base
    sim.flows["offered"] = offered
    sim.flows["consumed"] = consumed
    sim.now["supply_kg"] = float(consumed.sum())
    sim.now["demand_kg"] = float(demand.sum())
    sim.now["revenue_usd"] = float(revenue.sum())
