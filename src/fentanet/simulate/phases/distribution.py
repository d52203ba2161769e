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

from fentanet.simulate import flow
from fentanet.simulate.phases.shipping import _base_weight, push, stage_links
from fentanet.simulate.state import KIND, LKIND


def run(sim) -> None:
    s, p = sim.s, sim.p
    a = s.actors
    n = a.n
    for senders in ((KIND["marketplace"],), (KIND["trafficker"],), (KIND["dealer"],)):
        li, src, dst = stage_links(sim, senders)
        if li.size:
            push(sim, li, src, dst, _base_weight(sim, li, dst))
    # retail
    li, src, dst = stage_links(sim, (KIND["dealer"], KIND["marketplace"]),
                               link_kinds=(LKIND["sells_to"],), receiver_not=())
    mk = s.market_of[dst]
    ok = mk >= 0
    li, src, dst, mk = li[ok], src[ok], dst[ok], mk[ok]
    m = s.n_markets
    users = sim.users_ratio
    base = s.demand0 * users * sim.dt
    demand = base * s.price ** (-p.market.elasticity)
    offer_actor = np.minimum(a.product, a.capacity * sim.dt)
    share = flow.link_shares(src, _base_weight(sim, li, dst), n)
    offer = offer_actor[src] * share
    online = (a.kind[src] == KIND["marketplace"]) | a.online[src]
    scam = sim.efforts.coverage["scam_awareness"]
    if scam > 0:
        offer = np.where(online, offer * (1.0 - p.public_health.scam_avoidance * scam), offer)
    offered = np.bincount(mk, weights=offer, minlength=m)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(offered > 0, np.minimum(1.0, demand / offered), 0.0)
    sold = offer * ratio[mk]
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
