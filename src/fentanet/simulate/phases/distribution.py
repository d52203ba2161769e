"""Phase 5, distribution: marketplaces and traffickers to dealers, and retail sales.

Wholesale stages move product marketplace -> dealer, trafficker -> trafficker/dealer and
dealer -> dealer (each room- and cash-limited, see :func:`fentanet.simulate.kernels.plan`).
Retail: dealers and marketplaces offer ``min(stock, capacity * dt)`` to their markets over
``sells_to`` links, split by link weight; a market buys ``min(demand, offered)`` where
demand is ``D0 * (people using / people using at start) * price^-elasticity * dt``. Under
scam and counterfeit awareness online sellers (marketplaces, online dealers) offer ``1 -
scam_avoidance * coverage`` of that, keeping the rest in stock; demand is unchanged.
Consumption leaves the system; revenue goes to the sellers' payers.
"""

from __future__ import annotations

import numba
import numpy as np

from fentanet import _jitcache  # noqa: F401  (numba's cache, stale after any kernel's edit)
from fentanet.simulate import kernels, nploops
from fentanet.simulate.kernels import _u, np_sum
from fentanet.simulate.phases.shipping import PASSES, ROUTE
from fentanet.simulate.state import KIND


def run(sim) -> None:
    """The wholesale stages in turn (marketplace, trafficker, dealer), then retail: one
    compiled call (:func:`_distribute`, the markets' demand and the price's power
    included)."""
    s, p = sim.s, sim.p
    a, ln = s.actors, s.links
    stages = sim.topo.stages
    mp, tr, dl = stages["marketplace"], stages["trafficker"], stages["dealer"]
    st = stages["retail"]
    m = s.n_markets
    scam = sim.efforts.coverage["scam_awareness"]
    keep = 1.0 - p.public_health.scam_avoidance * scam if scam > 0 else 1.0
    sums = sim.__dict__.get("_retail_sums")
    if sums is None or sums.stage is not st:
        sums = sim._retail_sums = SellerSums(st)
    kept = sums.ready(ln.alive, a.alive)
    f_scr, i_scr = _scratch(sim, (mp, tr, dl))
    offered, consumed, revenue, base, demand, supply, demand_kg = _distribute(
        mp.li, mp.src, mp.dst, mp.s_loc, mp.d_loc, mp.ext, mp.d_pay, mp.s_kind, mp.senders,
        mp.receivers.size, mp.payers,
        tr.li, tr.src, tr.dst, tr.s_loc, tr.d_loc, tr.ext, tr.d_pay, tr.s_kind, tr.senders,
        tr.receivers.size, tr.payers,
        dl.li, dl.src, dl.dst, dl.s_loc, dl.d_loc, dl.ext, dl.d_pay, dl.s_kind, dl.senders,
        dl.receivers.size, dl.payers,
        ln.alive, a.alive, a.kind, a.capacity, sim.dt, p.supply.stock_cover_years,
        sim.wholesale, a.payer, a.product, a.cash, a.dirty, a.throughput,
        kept, sums.a_copy, sums.a_runs, sums.l_copy, sums.l_runs, ln.src, sums.ok, sums.wsum,
        sums.share, sums.ptr, sums.idx, st.li, st.src, st.dst, st.w, st.s_map, st.d_map,
        st.s_loc, st.d_loc, st.s_pay, st.senders, st.receivers, st.s_payers, a.online,
        s.market_of, s.demand0, sim.users_ratio, -p.market.elasticity, nploops.POWER, s.price,
        keep, p.market.retail_usd_per_kg, KIND["marketplace"], m, f_scr, i_scr)
    s.totals["consumed"] = s.totals.get("consumed", 0.0) + supply
    flows = sim.flows
    flows["demand"] = demand
    flows["demand_base"] = base
    flows["offered"] = offered
    flows["consumed"] = consumed
    now = sim.now
    now["supply_kg"] = supply
    now["demand_kg"] = demand_kg
    now["revenue_usd"] = revenue


def _scratch(sim, stages) -> tuple[np.ndarray, np.ndarray]:
    """The wholesale stages' scratch (:func:`fentanet.simulate.kernels.push_into`), kept
    on the run with the stages and their sizes it was made for, and made again, with room
    to grow, when a stage changed and it no longer fits (a stage's senders, receivers and
    payers change only with its links)."""
    sizes = tuple((st, st.size) for st in stages)
    got = sim.__dict__.get("_push_scratch")
    if got is not None and got[0] == sizes:
        return got[1], got[2]
    f_need = i_need = 0
    for st in stages:
        f, i = kernels.push_scratch_sizes(st.size, st.senders.size, st.receivers.size,
                                          st.payers.size)
        f_need, i_need = max(f_need, f), max(i_need, i)
    if got is not None and got[1].size >= f_need and got[2].size >= i_need:
        f_scr, i_scr = got[1], got[2]
    else:
        f_scr = np.empty(f_need + f_need // 4 + 64)
        i_scr = np.empty(i_need + i_need // 4 + 64, dtype=np.int32)
    sim._push_scratch = (sizes, f_scr, i_scr)
    return f_scr, i_scr


@numba.njit(cache=True)
def _distribute(mp_li, mp_src, mp_dst, mp_s_loc, mp_d_loc, mp_ext, mp_d_pay, mp_s_kind,
                mp_senders, mp_n_receivers, mp_payers,
                tr_li, tr_src, tr_dst, tr_s_loc, tr_d_loc, tr_ext, tr_d_pay, tr_s_kind,
                tr_senders, tr_n_receivers, tr_payers,
                dl_li, dl_src, dl_dst, dl_s_loc, dl_d_loc, dl_ext, dl_d_pay, dl_s_kind,
                dl_senders, dl_n_receivers, dl_payers,
                link_alive, alive, kind, capacity, dt, cover, price_of_kind, payer, product,
                cash, dirty, throughput,
                kept, a_copy, a_runs, l_copy, l_runs, link_src, ok, wsum, share, ptr, idx, li,
                src, dst, w, s_map, d_map, s_loc, d_loc, s_pay, senders, receivers, s_payers,
                online, market_of, demand0, users_ratio, minus_elasticity, power_loop, price,
                keep, retail_usd, marketplace_kind, n_markets, f_scr, i_scr):
    """The phase in one call: each wholesale stage (marketplace ``mp_``, trafficker
    ``tr_``, dealer ``dl_``) by :func:`fentanet.simulate.kernels.push_into` (the
    actors' own offers and rooms, no preference; a stage without links skipped; its
    scratch ``f_scr`` and ``i_scr``, :func:`_scratch`), the
    retail sellers' kept sums brought up to date (``kept``: :meth:`SellerSums.ready`
    found them current but for the alive flags; :func:`_refresh`), then retail
    (:func:`_retail_summed`). The calls the phase made one by one, in the same order (the
    wholesale stages change no alive flag, which is all the sums read): the same numbers.
    The markets' demand at the base price is ``demand0 * users_ratio * dt`` and their
    demand that times the price index to the power ``minus_elasticity`` (NumPy's:
    ``power_loop``, :func:`fentanet.simulate.nploops.power`), as NumPy's products gave
    them. Returns (offered and consumed per market, revenue, demand at the base price and
    demand per market, the sums of consumed and of demand as NumPy's (:func:`np_sum`))."""
    base = np.empty(n_markets)
    demand = np.empty(n_markets)
    power = np.empty(n_markets)
    nploops.power(power_loop, price, minus_elasticity, power)
    for i in range(n_markets):
        base[i] = demand0[i] * users_ratio[i] * dt
        demand[i] = base[i] * power[i]
    if mp_li.size:
        kernels.push_into(mp_senders, mp_n_receivers, mp_li, mp_src, mp_dst, mp_s_loc,
                          mp_d_loc, mp_ext, mp_d_pay, mp_s_kind, mp_payers, link_alive, alive,
                          kind, capacity, dt, cover, ROUTE, PASSES, price_of_kind, payer,
                          product, cash, dirty, throughput, f_scr, i_scr)
    if tr_li.size:
        kernels.push_into(tr_senders, tr_n_receivers, tr_li, tr_src, tr_dst, tr_s_loc,
                          tr_d_loc, tr_ext, tr_d_pay, tr_s_kind, tr_payers, link_alive, alive,
                          kind, capacity, dt, cover, ROUTE, PASSES, price_of_kind, payer,
                          product, cash, dirty, throughput, f_scr, i_scr)
    if dl_li.size:
        kernels.push_into(dl_senders, dl_n_receivers, dl_li, dl_src, dl_dst, dl_s_loc,
                          dl_d_loc, dl_ext, dl_d_pay, dl_s_kind, dl_payers, link_alive, alive,
                          kind, capacity, dt, cover, ROUTE, PASSES, price_of_kind, payer,
                          product, cash, dirty, throughput, f_scr, i_scr)
    if kept:
        _refresh(alive, a_copy, a_runs, link_alive, l_copy, l_runs, link_src, ok, wsum, share,
                 ptr, idx, li, src, dst, s_loc, w, s_map, d_map)
    offered, consumed, revenue = _retail_summed(
        ok, wsum, share, src, s_loc, d_loc, s_pay, w, senders, receivers, s_payers, alive, kind,
        online, capacity, product, throughput, dirty, market_of, demand, price, dt, keep,
        retail_usd, marketplace_kind, n_markets)
    return offered, consumed, revenue, base, demand, np_sum(consumed), np_sum(demand)


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
    is computed once (the same quotient for each of its links): the same numbers.

    The plain rule from scratch: the phase runs :func:`_retail_summed` with the first
    loop's numbers kept between steps (:class:`SellerSums`), tested against this."""
    n_snd = senders.size
    offer, sell = _offers(senders, alive, kind, online, capacity, product, dt, keep,
                          marketplace_kind)
    room, mk_loc = _rooms(receivers, market_of, alive, demand)
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
    # 3: sales
    consumed, revenue = _sales(act[:na], o_a[:na], asked, room, s_loc, d_loc, s_pay, mk_loc,
                               senders, s_payers, price, retail_usd, product, throughput,
                               dirty, n_markets)
    return offered, consumed, revenue


@numba.njit(cache=True, inline="always")
def _offers(senders, alive, kind, online, capacity, product, dt, keep, marketplace_kind):
    """What each seller offers, ``min(stock, capacity * dt)`` (online sellers' times
    ``keep``), and what the sellers still alive can sell (0 for the others)."""
    offer = np.empty(senders.size)
    sell = np.zeros(senders.size)
    for i in range(senders.size):
        x = senders[i]
        o = min(product[x], capacity[x] * dt)
        if keep != 1.0 and (kind[x] == marketplace_kind or online[x]):
            o = o * keep
        offer[i] = o
        if alive[x]:
            sell[i] = o
    return offer, sell


@numba.njit(cache=True, inline="always")
def _rooms(receivers, market_of, alive, demand):
    """Each receiver's room (its market's demand; 0 for receivers not alive or no market)
    and its market number (-1: none)."""
    room = np.zeros(receivers.size)
    mk_loc = np.empty(receivers.size, dtype=np.int64)
    for j in range(receivers.size):
        mk = market_of[receivers[j]]
        mk_loc[j] = mk
        if mk >= 0 and alive[receivers[j]]:
            room[j] = demand[mk]
    return room, mk_loc


@numba.njit(cache=True, inline="always")
def _sales(act, o_a, asked, room, s_loc, d_loc, s_pay, mk_loc, senders, s_payers, price,
           retail_usd, product, throughput, dirty, n_markets):
    """The sales on the selling links ``act`` (offers ``o_a``, in link order): each market
    takes the share ``min(room / asked, 1)`` of every offer to it (computed once per
    market); stocks, throughput and the payers' revenue change. Returns (consumed per
    market, revenue)."""
    take = np.zeros(room.size)
    for j in range(room.size):
        if asked[j] > 0.0:
            take[j] = min(room[j] / asked[j], 1.0)
    n_snd = senders.size
    sold_by = np.zeros(n_snd)
    consumed = np.zeros(n_markets)
    earned = np.zeros(s_payers.size)
    revenue = 0.0
    for j in range(act.size):
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
    return consumed, revenue


class SellerSums:
    """What the first loop of :func:`_retail` computes, kept between steps: per link of
    the retail stage whether it is alive between alive ends (``ok``), per seller the sum of
    the weights of those links (``wsum``), and per such link its share ``w / wsum``.

    These change only when a link or actor dies, comes back (a recruit takes a slot) or
    is appended, so :func:`_refresh` compares the alive flags of the stage's actors and
    links with the copies the numbers were made from (word by word, cheap) and recomputes,
    from scratch and in link order, the sums of the sellers of every changed link or
    actor (a changed receiver: every seller's); new links in the stage or another stage:
    everything made afresh (:meth:`ready`). No writer of ``alive`` has to report its
    change, and a seller's sum adds the same operands in the same order as the plain
    loop: the same numbers."""

    def __init__(self, st) -> None:
        self.stage = st
        self.m = -1  # stage links the numbers cover

    def ready(self, link_alive: np.ndarray, alive: np.ndarray) -> bool:
        """Make the numbers afresh unless they cover the stage and the arrays given (then
        only the alive flags can have changed: True, :func:`_refresh` is due)."""
        st = self.stage
        # actors and links appended since the numbers were made are in none of the stage's
        # links (else the stage grew): the copies' lengths cover them all
        if (st.size == self.m and self.l_copy.size <= link_alive.size
                and self.a_copy.size <= alive.size):
            return True
        self.m = st.size
        self.a_copy, self.l_copy = alive.copy(), link_alive.copy()
        self.a_runs = _words(st.senders, st.receivers)
        self.l_runs = _words(st.li)
        self.ok, self.wsum, self.share, self.ptr, self.idx = _sums(
            st.li, st.src, st.dst, st.s_loc, st.w, link_alive, alive, st.senders.size)
        return False


def _words(*ats: np.ndarray) -> np.ndarray:
    """The runs of consecutive 8-byte words holding the bytes of any of ``ats`` (indices at
    least 0, in any order, repeats allowed): ``(r, 2)`` word ranges ``[lo, hi)``,
    ascending. The words are flagged in an array of one flag per word, then listed: the
    distinct words of ``np.unique``, without its hashing and sorting (the retail stage's
    73,000 sellers and markets at us-baseline: 9 ms by ``np.union1d`` and ``np.unique``,
    about 0.2 ms flagged)."""
    ats = tuple(at for at in ats if at.size)
    if not ats:
        return np.zeros((0, 2), dtype=np.int64)
    held = np.zeros(max(int(at.max()) for at in ats) // 8 + 1, dtype=np.bool_)
    for at in ats:
        held[at // 8] = True
    w = np.flatnonzero(held)
    cut = np.flatnonzero(np.diff(w) != 1) + 1
    return np.stack((w[np.r_[0, cut]], w[np.r_[cut - 1, w.size - 1]] + 1), axis=1)


@numba.njit(cache=True)
def _changed(cur, old, runs):
    """Indices (ascending) in the words ``runs`` (see :func:`_words`) of the bool array
    ``old`` where ``cur`` differs from it; ``old`` takes the values of ``cur`` there."""
    n = old.size
    n8 = n - n % 8
    return _diff(cur[:n].view(np.uint8), old.view(np.uint8), cur[:n8].view(np.uint64),
                 old[:n8].view(np.uint64), runs)


@numba.njit(cache=True)
def _diff(cur, old, cw, ow, runs):
    """:func:`_changed` on the bytes ``cur``, ``old``, compared first by the words ``cw``,
    ``ow`` (views of their whole words; the last word may be partial), 32 at a time: in a
    block of 32 where some differ, the words that differ are listed without a branch (a
    step changes a few hundred alive flags, spread over thousands of words), then the
    bytes of the words listed are compared."""
    nw = cw.size
    total = 0
    for r in range(runs.shape[0]):
        total += runs[r, 1] - runs[r, 0]
    at = np.empty(total, dtype=np.int64)
    n = 0
    for r in range(runs.shape[0]):
        top = runs[r, 1]
        for j0 in range(runs[r, 0], top, 32):
            j1 = min(j0 + 32, top)
            jw = min(j1, nw)
            acc = np.uint64(0)
            for j in range(j0, jw):
                acc |= cw[j] ^ ow[j]
            if acc == 0 and jw == j1:
                continue
            for j in range(j0, j1):
                at[n] = j
                n += j >= nw or cw[j] != ow[j]  # the partial last word: its bytes compared
    out = np.empty(8 * n, dtype=np.int64)
    k = 0
    for t in range(n):
        j = at[t]
        for b in range(8 * j, min(8 * j + 8, old.size)):
            if cur[b] != old[b]:
                old[b] = cur[b]
                out[k] = b
                k += 1
    return out[:k]


@numba.njit(cache=True)
def _sums(li, src, dst, s_loc, w, link_alive, alive, n_snd):
    """:class:`SellerSums` from scratch: ``(ok, wsum, share, ptr, idx)``, ``idx[ptr[i]:
    ptr[i + 1]]`` the links of seller ``i`` in link order."""
    m = li.size
    ok = np.empty(m, dtype=np.uint8)
    wsum = np.empty(n_snd)
    share = np.empty(m)
    _sums_into(li, src, dst, s_loc, w, link_alive, alive, ok, wsum, share)
    ptr = np.zeros(n_snd + 1, dtype=np.int64)
    for k in range(m):
        ptr[_u(s_loc[k]) + 1] += 1
    for i in range(n_snd):
        ptr[i + 1] += ptr[i]
    idx = np.empty(m, dtype=np.int64)
    top = ptr[:-1].copy()
    for k in range(m):
        i = _u(s_loc[k])
        idx[top[i]] = k
        top[i] += 1
    return ok, wsum, share, ptr, idx


@numba.njit(cache=True)
def _sums_into(li, src, dst, s_loc, w, link_alive, alive, ok, wsum, share):
    """``ok``, ``wsum`` and ``share`` of :class:`SellerSums` from scratch, in place: each
    seller's sum over its links in link order."""
    wsum[:] = 0.0
    for k in range(li.size):
        i = _u(s_loc[k])
        f = link_alive[_u(li[k])] & alive[_u(src[k])] & alive[_u(dst[k])]
        ok[k] = f
        wsum[i] += w[k] if f else 0.0
    for k in range(li.size):
        share[k] = w[k] / wsum[_u(s_loc[k])] if ok[k] else 0.0


@numba.njit(cache=True)
def _refresh(alive, a_copy, a_runs, link_alive, l_copy, l_runs, link_src, ok, wsum, share,
             ptr, idx, li, src, dst, s_loc, w, s_map, d_map):
    """:class:`SellerSums` brought up to date in place with the alive flags: the actors
    and links whose flags changed since the copies (:func:`_changed`, which updates the
    copies), then the sums of their sellers (:func:`_resum`), or, when a changed actor is
    a receiver, every seller's from scratch (:func:`_sums_into`). Each seller's are made
    as :func:`_sums` makes them (its links in link order), so every seller's numbers are
    what :func:`_sums` makes from scratch; the other numbers :func:`_sums` returns
    (``ptr``, ``idx``) depend on the stage alone."""
    actors = _changed(alive, a_copy, a_runs)
    links = _changed(link_alive, l_copy, l_runs)
    for v in actors:
        if v < d_map.size and d_map[v] >= 0:  # a receiver: every seller's sums
            _sums_into(li, src, dst, s_loc, w, link_alive, alive, ok, wsum, share)
            return
    redo = np.empty(actors.size + links.size, dtype=np.int64)
    n = 0
    for v in actors:
        if v < s_map.size and s_map[v] >= 0:
            redo[n] = s_map[v]
            n += 1
    for e in links:
        v = link_src[e]
        if v < s_map.size and s_map[v] >= 0:  # its sender sells: perhaps a stage link
            redo[n] = s_map[v]
            n += 1
    _resum(redo[:n], ok, wsum, share, ptr, idx, li, src, dst, w, link_alive, alive)


@numba.njit(cache=True)
def _resum(sellers, ok, wsum, share, ptr, idx, li, src, dst, w, link_alive, alive):
    """Recompute in place the :class:`SellerSums` of ``sellers`` (local numbers), each
    seller's links in link order, as :func:`_sums`."""
    for i in sellers:
        t = 0.0
        for j in range(ptr[i], ptr[i + 1]):
            k = idx[j]
            f = link_alive[_u(li[k])] & alive[_u(src[k])] & alive[_u(dst[k])]
            ok[k] = f
            t += w[k] if f else 0.0
        wsum[i] = t
        for j in range(ptr[i], ptr[i + 1]):
            k = idx[j]
            share[k] = w[k] / t if ok[k] else 0.0


@numba.njit(cache=True)
def _retail_summed(ok, wsum, share, src, s_loc, d_loc, s_pay, w, senders, receivers,
                   s_payers, alive, kind, online, capacity, product, throughput, dirty,
                   market_of, demand, price, dt, keep, retail_usd, marketplace_kind,
                   n_markets):
    """:func:`_retail` with its first loop's numbers given (:class:`SellerSums`).

    A link sells when it is ``ok``, its seller has something to sell and its market room
    (a seller with something to sell and a market with room are alive): where every
    alive market has room, a seller's sum over its selling links is its ``wsum`` (the
    same operands in the same order, the others exact 0.0 additions); else it is summed
    here over the links in link order, as :func:`_retail` does. A seller's offer (as
    :func:`_offers`) is computed at each of its ``ok`` links (sender ``src``), where it is
    read, instead of in a loop over the sellers: an ``ok`` link's seller is alive, so what
    it can sell is its offer, and no stock changes before the sales. The same numbers."""
    n_snd = senders.size
    room, mk_loc = _rooms(receivers, market_of, alive, demand)
    dry = False  # an alive receiver without room
    for j in range(receivers.size):
        dry |= alive[receivers[j]] and not room[j] > 0.0
    m = ok.size
    wsell = wsum
    if dry:
        sell = _offers(senders, alive, kind, online, capacity, product, dt, keep,
                       marketplace_kind)[1]
        wsell = np.zeros(n_snd)
        for k in range(m):
            i = _u(s_loc[k])
            sells = ok[k] and sell[i] > 0.0 and room[_u(d_loc[k])] > 0.0
            wsell[i] += w[k] if sells else 0.0
    # what each market was offered, and the selling links' offers split by weight (a
    # market takes at most its demand), the selling links compacted
    offered = np.zeros(n_markets)
    asked = np.zeros(receivers.size)
    act = np.empty(m, dtype=np.int32)
    o_a = np.empty(m)
    na = 0
    for k in range(m):
        if ok[k] == 0:
            continue
        i = _u(s_loc[k])
        d = _u(d_loc[k])
        mk = mk_loc[d]
        x = _u(src[k])  # the seller's offer, as _offers (written out: a call costs)
        f = min(product[x], capacity[x] * dt)
        if keep != 1.0 and (kind[x] == marketplace_kind or online[x]):
            f = f * keep
        if mk >= 0:
            offered[mk] += f * share[k]
        if f > 0.0 and room[d] > 0.0:
            o = f * w[k] / wsell[i]
            asked[d] += o
            act[na] = k
            o_a[na] = o
            na += 1
    consumed, revenue = _sales(act[:na], o_a[:na], asked, room, s_loc, d_loc, s_pay, mk_loc,
                               senders, s_payers, price, retail_usd, product, throughput,
                               dirty, n_markets)
    return offered, consumed, revenue
