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

from fentanet.simulate.kernels import _u
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
    offered totals: three loops over the links (both weight sums per seller; the offered
    totals and the selling links' offers; the sales), each in link order, so every sum over
    one seller's or market's links adds the same operands in the same order as the plain
    rule (an added exact 0.0 changes no sum), and a market's share of what it was asked for
    is computed once (the same quotient for each of its links): the same numbers."""
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
    # 1: per seller, the weight sums over its alive links to alive markets (the price's
    # view: what was offered) and over the links that sell (alive seller with something
    # to sell, market with room); the links of each kind marked, without branches
    wsum = np.zeros(n_snd)
    wsell = np.zeros(n_snd)
    mark = np.empty(m, dtype=np.uint8)  # 1: alive link between alive ends; 2: it sells
    for k in range(m):
        i = _u(s_loc[k])
        la = link_alive[_u(li[k])]
        ok = la & alive[_u(src[k])] & alive[_u(dst[k])]
        sells = la & (sell[i] > 0.0) & (room[_u(d_loc[k])] > 0.0)
        wk = w[k]
        wsum[i] += wk if ok else 0.0
        wsell[i] += wk if sells else 0.0
        mark[k] = ok | (sells << 1)
    # 2: what each market was offered, and the selling links' offers split by weight (a
    # market takes at most its demand), the selling links compacted
    offered = np.zeros(n_markets)
    asked = np.zeros(receivers.size)
    act = np.empty(m, dtype=np.int32)
    o_a = np.empty(m)
    na = 0
    for k in range(m):
        f = mark[k]
        if f == 0:
            continue
        i = _u(s_loc[k])
        d = _u(d_loc[k])
        mk = mk_loc[d]
        if mk >= 0 and f & 1:
            offered[mk] += offer[i] * (w[k] / wsum[i])
        if f & 2:
            o = sell[i] * w[k] / wsell[i]
            asked[d] += o
            act[na] = k
            o_a[na] = o
            na += 1
    # 3: sales; each market's share of what it was asked for (where it was asked)
    take = np.zeros(receivers.size)
    for j in range(receivers.size):
        if asked[j] > 0.0:
            take[j] = min(room[j] / asked[j], 1.0)
    sold_by = np.zeros(n_snd)
    consumed = np.zeros(n_markets)
    earned = np.zeros(s_payers.size)
    revenue = 0.0
    for j in range(na):
        o = o_a[j]
        if o > 0.0:
            k = _u(act[j])
            d = _u(d_loc[k])
            q = o * take[d]
            if q > 0.0:
                mk = mk_loc[d]
                sold_by[_u(s_loc[k])] += q
                consumed[mk] += q
                r = q * price[mk] * retail_usd
                earned[_u(s_pay[k])] += r
                revenue += r
    for i in range(n_snd):
        x = senders[i]
        product[x] = max(product[x] - sold_by[i], 0.0)
        throughput[x] += sold_by[i]
    for b in range(s_payers.size):
        dirty[s_payers[b]] += earned[b]
    return offered, consumed, revenue
