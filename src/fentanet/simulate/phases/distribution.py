"""Phase 5, distribution: marketplaces and traffickers to dealers, and retail sales.

Wholesale stages move product marketplace -> dealer, trafficker -> trafficker/dealer and
dealer -> dealer (each room- and cash-limited, see :func:`fentanet.simulate.kernels.plan`).
Retail: dealers and marketplaces offer ``min(stock, capacity * dt)`` to their markets over
``sells_to`` links, split by link weight; a market buys ``min(demand, offered)`` where
demand is ``D0 * (people using / people using at start) * price^-elasticity * dt``. Online
sellers lose a share of demand to scam and counterfeit awareness. Consumption leaves the
system; revenue goes to the sellers' payers.
"""

from __future__ import annotations

import numba
import numpy as np

from fentanet.simulate import kernels
from fentanet.simulate.phases.shipping import push
from fentanet.simulate.state import KIND


def run(sim) -> None:
    s, p = sim.s, sim.p
    a = s.actors
    for name in ("marketplace", "trafficker", "dealer"):
        push(sim, sim.topo.stages[name])
    # retail: markets take what they demand
    st = sim.topo.stages["retail"]
    m = s.n_markets
    base = s.demand0 * sim.users_ratio * sim.dt
    demand = base * s.price ** (-p.market.elasticity)
    scam = sim.efforts.coverage["scam_awareness"]
    keep = 1.0 - p.public_health.scam_avoidance * scam if scam > 0 else 1.0
    offered, consumed, revenue = _retail(
        st.li, st.src, st.dst, st.s_loc, st.d_loc, st.s_pay, st.w, st.senders, st.receivers,
        st.s_payers, s.links.alive, a.alive, a.kind, a.online, a.capacity, a.product,
        a.throughput, a.dirty, s.market_of, demand, s.price, sim.dt, keep,
        p.market.retail_usd_per_kg, KIND["marketplace"], m)
    s.totals["consumed"] = s.totals.get("consumed", 0.0) + float(consumed.sum())
    sim.flows["demand"] = demand
    sim.flows["demand_base"] = base
    sim.flows["offered"] = offered
    sim.flows["consumed"] = consumed
    sim.now["supply_kg"] = float(consumed.sum())
    sim.now["demand_kg"] = float(demand.sum())
    sim.now["revenue_usd"] = revenue


@numba.njit(cache=True)
def _retail(li, src, dst, s_loc, d_loc, s_pay, w, senders, receivers, s_payers, link_alive,
            alive, kind, online, capacity, product, throughput, dirty, market_of, demand,
            price, dt, keep, retail_usd, marketplace_kind, n_markets):
    """Retail sales of one step: what each market was offered (the sellers' offers split
    by link weight), bought (one pass of :func:`~fentanet.simulate.kernels.plan` with the
    market's demand as room), and the revenue to the sellers' payers. Returns (offered
    and consumed per market, revenue)."""
    n_snd = senders.size
    offer = np.empty(n_snd)
    for i in range(n_snd):
        x = senders[i]
        o = min(product[x], capacity[x] * dt)
        if keep != 1.0 and (kind[x] == marketplace_kind or online[x]):
            o = o * keep
        offer[i] = o
    sell = offer.copy()  # what the sellers still alive can sell
    for i in range(n_snd):
        if not alive[senders[i]]:
            sell[i] = 0.0
    room = np.zeros(receivers.size)
    for j in range(receivers.size):
        mk = market_of[receivers[j]]
        if mk >= 0 and alive[receivers[j]]:
            room[j] = demand[mk]
    moved, sold = kernels.plan(li, s_loc, d_loc, link_alive, w, w[:0], sell, room, 1, False)
    # the price sees what was offered: each seller's offer split by its alive links' weights
    wsum = np.zeros(n_snd)
    for k in range(li.size):
        if link_alive[li[k]] and alive[src[k]] and alive[dst[k]]:
            wsum[s_loc[k]] += w[k]
    offered = np.zeros(n_markets)
    for k in range(li.size):
        mk = market_of[dst[k]]
        if mk >= 0 and link_alive[li[k]] and alive[src[k]] and alive[dst[k]]:
            offered[mk] += offer[s_loc[k]] * (w[k] / wsum[s_loc[k]])
    sold_by = np.zeros(n_snd)
    consumed = np.zeros(n_markets)
    earned = np.zeros(s_payers.size)
    revenue = 0.0
    for j in range(moved.size):
        k = moved[j]
        mk = market_of[dst[k]]
        sold_by[s_loc[k]] += sold[j]
        consumed[mk] += sold[j]
        r = sold[j] * price[mk] * retail_usd
        earned[s_pay[k]] += r
        revenue += r
    for i in range(n_snd):
        x = senders[i]
        product[x] = max(product[x] - sold_by[i], 0.0)
        throughput[x] += sold_by[i]
    for b in range(s_payers.size):
        dirty[s_payers[b]] += earned[b]
    return offered, consumed, revenue
