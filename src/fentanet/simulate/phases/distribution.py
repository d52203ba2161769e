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
    by link weight), bought, and the revenue to the sellers' payers. Returns (offered and
    consumed per market, revenue).

    Buying is one pass of :func:`~fentanet.simulate.kernels.plan` without pull (each alive
    seller splits its offer by weight over its alive links to markets with demand; a market
    takes at most its demand, every offer to it scaled alike), fused here with the
    offered totals, with the same operations in the same order, so the same numbers."""
    n_snd = senders.size
    offer = np.empty(n_snd)  # what each seller offers
    sell = np.zeros(n_snd)  # what the sellers still alive can sell
    for i in range(n_snd):
        x = senders[i]
        o = min(product[x], capacity[x] * dt)
        if keep != 1.0 and (kind[x] == marketplace_kind or online[x]):
            o = o * keep
        offer[i] = o
        if alive[x]:
            sell[i] = o
    room = np.zeros(receivers.size)
    mk_loc = np.empty(receivers.size, dtype=np.int64)  # market number of each receiver
    for j in range(receivers.size):
        mk = market_of[receivers[j]]
        mk_loc[j] = mk
        if mk >= 0 and alive[receivers[j]]:
            room[j] = demand[mk]
    m = li.size
    # 1: weight sums per seller over alive links (the price's view: what was offered), and
    # the links that sell (alive seller with something to sell, market with room),
    # compacted without branches (which links sell is hard to predict)
    wsum = np.zeros(n_snd)
    act = np.empty(m, dtype=np.int32)
    ok = np.empty(m, dtype=np.bool_)  # alive link between alive ends
    na = 0
    for k in range(m):
        i = s_loc[k]
        la = link_alive[li[k]]
        ok[k] = la & alive[src[k]] & alive[dst[k]]
        if ok[k]:
            wsum[i] += w[k]
        act[na] = k
        na += la & (sell[i] > 0.0) & (room[d_loc[k]] > 0.0)
    offered = np.zeros(n_markets)
    for k in range(m):
        mk = mk_loc[d_loc[k]]
        if mk >= 0 and ok[k]:
            offered[mk] += offer[s_loc[k]] * (w[k] / wsum[s_loc[k]])
    # 2: the selling links: offers split by weight, a market takes at most its demand
    wsell = np.zeros(n_snd)
    for j in range(na):
        k = act[j]
        wsell[s_loc[k]] += w[k]
    asked = np.zeros(receivers.size)
    o_a = np.empty(na)
    for j in range(na):
        k = act[j]
        i = s_loc[k]
        o = sell[i] * w[k] / wsell[i]
        asked[d_loc[k]] += o
        o_a[j] = o
    sold_by = np.zeros(n_snd)
    consumed = np.zeros(n_markets)
    earned = np.zeros(s_payers.size)
    revenue = 0.0
    for j in range(na):
        o = o_a[j]
        if o > 0.0:
            k = act[j]
            d = d_loc[k]
            q = o * min(room[d] / asked[d], 1.0)
            if q > 0.0:
                mk = mk_loc[d]
                sold_by[s_loc[k]] += q
                consumed[mk] += q
                r = q * price[mk] * retail_usd
                earned[s_pay[k]] += r
                revenue += r
    for i in range(n_snd):
        x = senders[i]
        product[x] = max(product[x] - sold_by[i], 0.0)
        throughput[x] += sold_by[i]
    for b in range(s_payers.size):
        dirty[s_payers[b]] += earned[b]
    return offered, consumed, revenue
