"""Phase 2, procurement: labs (and marketplaces) buy precursor.

A buyer wants to refill its precursor stock to ``precursor_cover_years * capacity`` and
splits the order over its alive ``supplies`` links by weight. Legitimate companies refuse
a share of the volume as suspicious (``legit_compliance``, raised by precursor controls:
``1 - (1 - base) * exp(-gain * intensity)``), marketplaces a smaller share; refused volume
is reported and raises the buyer's detection hazard (enforcement). A supplier sells at
most ``capacity * dt``; a marketplace at most its stock. Cash limits what a payer buys;
a purchase within one payer (from a seller of the buyer's own organization) is free.
Organizations suspended after heavy losses do not buy. A second pass re-orders what the
first did not get, the refused volume included, from the buyer's sellers that still have
some and did not refuse it in the first pass: a seller refuses a buyer at most once a
step, and the buyer turns to its other sellers (illicit suppliers, marketplaces that do not
screen) for what a screening seller refused, within the step, as far as their stock goes.
Every link is asked in the first pass (weights are at least 1e-12), so the second asks
only sellers that do not screen and refuses nothing: each refused kg is refused and
counted once, and a buyer's refused share of its order lies in [0, 1]. (Until the twelfth
session the second pass re-ordered the refused volume from the same screening seller,
which refused again: short by r^2, refused r + r^2; then, briefly, it did not re-order
refused volume from anyone, so a lab could not switch to its unregulated supplier.)
One compiled pass over the ``supplies`` links.
The series count precursor once, as it enters the trade: ``precursor_bought_kg`` is what
suppliers sold; what marketplaces sell on of it is ``precursor_resold_kg``.
"""

from __future__ import annotations

import numba
import numpy as np

from fentanet import _jitcache  # noqa: F401  (numba's cache, stale after any kernel's edit)
from fentanet.simulate.state import KIND

LAB, MARKETPLACE, SUPPLIER = KIND["lab"], KIND["marketplace"], KIND["supplier"]


def run(sim) -> None:
    s, p = sim.s, sim.p.supply
    a = s.actors
    st = sim.topo.stages["supplies"]
    if not st.size:
        return
    refuse_legit, refuse_mkp = _refusals(sim, sim.efforts.precursor_control)
    out = _procure(st.li, st.src, st.dst, st.s_loc, st.d_loc, st.d_pay, st.s_pay, st.ext, st.w,
                   st.senders, st.receivers, st.payers, st.s_payers, s.links.alive, a.alive,
                   a.kind, a.legit, a.capacity, a.precursor, a.payer, a.suspended_until,
                   a.cash, a.dirty, a.throughput, a.refused, sim.t, sim.dt,
                   p.precursor_cover_years, refuse_legit, refuse_mkp, p.precursor_usd_per_kg)
    if out[0] < 0:  # nobody buys this step
        return
    entered, resold, refused = out
    s.totals["precursor_in"] = s.totals.get("precursor_in", 0.0) + entered
    sim.now["precursor_bought_kg"] += entered  # from suppliers: what enters the trade
    sim.now["precursor_resold_kg"] += resold  # marketplaces' sales, bought before
    sim.now["precursor_refused_kg"] += refused


def _refusals(sim, pc: float) -> tuple[float, float]:
    """The shares of the volume legitimate suppliers and marketplaces refuse under
    precursor controls ``pc`` (kept on the run for the last ``pc`` and parameters)."""
    p = sim.p.supply
    got = sim.__dict__.get("_refusals")
    if got is None or got[0] != pc or got[1] is not p:
        legit = 1.0 - (1.0 - p.legit_compliance) * np.exp(-p.screening_gain * pc)
        mkp = 1.0 - (1.0 - p.marketplace_screening) * np.exp(-p.screening_gain * pc)
        got = sim._refusals = (pc, p, float(legit), float(mkp))
    return got[2], got[3]


@numba.njit(cache=True)
def _procure(li, src, dst, s_loc, d_loc, d_pay, s_pay, ext, w0, senders, receivers, payers,
             s_payers, link_alive, alive, kind, legit, capacity, precursor, payer,
             suspended_until, cash, dirty, throughput, refused_share, t, dt, cover,
             refuse_legit, refuse_mkp, price):
    """Two ordering passes over the ``supplies`` links in link order (a link within one
    payer, ``ext`` false, is free). The links that order are listed once, with the
    columns the passes read copied next to each other; the passes then run over that
    list in link order (the same sums in the same order as over every link). The second
    pass orders ``want - got`` (what was refused included) over the links that did not
    refuse in the first, weighted by the seller's stock left; it runs over the links that
    order something, of buyers still short and with a weight above 0 (about a quarter at
    us-baseline): any other link's request is an exact 0, which adds nothing to any sum
    (every term is at least +0.0 and finite: quantities are at most
    ``state.MAX_QUANTITY``, so no product overflows). A seller's kind, screening and
    whether it is alive are read once per seller; a buyer wants only while alive, a lab
    or marketplace. Returns (kg bought from suppliers, entering the trade; kg resold by
    marketplaces, bought from suppliers before; kg refused), or (-1, 0, 0) when no buyer
    orders."""
    m = li.size
    n_snd, n_rcv, n_pay = senders.size, receivers.size, payers.size
    want = np.zeros(n_rcv)
    for j in range(n_rcv):
        d = receivers[j]
        if (kind[d] == LAB or kind[d] == MARKETPLACE) and alive[d] and not (
                suspended_until[payer[d]] > t):
            want[j] = max(0.0, cover * capacity[d] - precursor[d])
    # per seller: alive, stock to sell, the share it refuses, whether a marketplace
    s_alive = np.empty(n_snd, dtype=np.bool_)
    avail = np.empty(n_snd)
    s_refuse = np.zeros(n_snd)
    s_mkp = np.empty(n_snd, dtype=np.bool_)
    for i in range(n_snd):
        x = senders[i]
        ks = kind[x]
        s_alive[i] = alive[x]
        avail[i] = capacity[x] * dt if ks == SUPPLIER else precursor[x]
        s_mkp[i] = ks == MARKETPLACE
        if legit[x] and ks == SUPPLIER:
            s_refuse[i] = refuse_legit
        elif ks == MARKETPLACE:
            s_refuse[i] = refuse_mkp
    # the links that order, in link order, with what the passes read of them (a buyer
    # that wants is alive, a lab or a marketplace)
    on = np.empty(m, dtype=np.int64)
    n = 0
    for k in range(m):
        on[n] = k
        n += link_alive[li[k]] & s_alive[s_loc[k]] & (want[d_loc[k]] > 0.0)
    if n == 0:
        return -1.0, 0.0, 0.0
    snd = np.empty(n, dtype=np.int64)
    rcv = np.empty(n, dtype=np.int64)
    dp = np.empty(n, dtype=np.int64)
    sp = np.empty(n, dtype=np.int64)
    paying = np.empty(n, dtype=np.bool_)
    from_mkp = np.empty(n, dtype=np.bool_)
    refuse = np.empty(n)
    w = np.empty(n)
    for c in range(n):
        k = on[c]
        i = s_loc[k]
        snd[c], rcv[c], dp[c], sp[c] = i, d_loc[k], d_pay[k], s_pay[k]
        paying[c] = ext[k]
        w[c] = w0[k]
        from_mkp[c] = s_mkp[i]
        refuse[c] = s_refuse[i]
    got = np.zeros(n_rcv)
    refused_kg = np.zeros(n_rcv)
    request = np.zeros(n)
    refused_link = np.zeros(n, dtype=np.bool_)  # the seller refused this buyer in pass 1
    act = np.arange(n)  # the links in play: every one in the first pass
    n_act = n
    tot = np.empty(n_rcv)
    refused_now = np.empty(n_rcv)
    offered = np.empty(n_snd)
    fill = np.empty(n_snd)  # per seller, the share of its orders it fills
    due = np.empty(n_pay)
    scale = np.empty(n_pay)
    paid_by = np.empty(n_pay)
    earned = np.empty(s_payers.size)
    sold = np.empty(n_snd)
    received = np.empty(n_rcv)
    entered = 0.0
    resold = 0.0
    for attempt in range(2):
        # first by link weight; then what is missing, refused or not, from the sellers
        # that still have some and did not refuse this buyer in the first pass
        if attempt == 1:
            n_act = 0
            for c in range(n):
                j = rcv[c]
                w[c] = 0.0 if refused_link[c] else (1.0 - refuse[c]) * avail[snd[c]]
                act[n_act] = c
                n_act += (w[c] > 0.0) & (want[j] - got[j] > 0.0)
        tot[:] = 0.0
        for t_ in range(n_act):
            c = act[t_]
            tot[rcv[c]] += w[c]
        refused_now[:] = 0.0
        offered[:] = 0.0
        for t_ in range(n_act):
            c = act[t_]
            j = rcv[c]
            rem = max(want[j] - got[j], 0.0)
            r = rem * w[c] / tot[j] if tot[j] > 0 else 0.0
            no = r * refuse[c]
            refused_link[c] = refused_link[c] or no > 0.0
            refused_now[j] += no
            request[c] = r - no
            offered[snd[c]] += request[c]
        for j in range(n_rcv):
            refused_kg[j] += refused_now[j]
        # sellers fill what they can; payers pay what their cash allows
        for i in range(n_snd):
            fill[i] = max(min(1.0, avail[i] / offered[i]) if offered[i] > 0 else 1.0, 0.0)
        due[:] = 0.0
        for t_ in range(n_act):
            c = act[t_]
            request[c] = request[c] * fill[snd[c]]
            if paying[c]:
                due[dp[c]] += request[c] * price
        scale[:] = 1.0
        for b in range(n_pay):
            x = cash[payers[b]]
            if due[b] > x:
                y = x / due[b]
                scale[b] = min(max(y, 0.0), 1.0) if np.isfinite(y) else 0.0
        paid_by[:] = 0.0
        earned[:] = 0.0
        sold[:] = 0.0
        received[:] = 0.0
        for t_ in range(n_act):
            c = act[t_]
            f = scale[dp[c]] if paying[c] else 1.0
            cost = request[c] * price if paying[c] else 0.0
            q = request[c] * f
            paid = cost * f
            paid_by[dp[c]] += paid
            if from_mkp[c]:
                earned[sp[c]] += paid
                resold += q
            else:  # suppliers are outside the system: precursor enters here
                entered += q
            sold[snd[c]] += q
            received[rcv[c]] += q
        for b in range(n_pay):
            x = payers[b]
            cash[x] = max(cash[x] - paid_by[b], 0.0)
        for b in range(s_payers.size):
            dirty[s_payers[b]] += earned[b]
        for i in range(n_snd):
            x = senders[i]
            avail[i] = max(avail[i] - sold[i], 0.0)
            if kind[x] == MARKETPLACE:  # marketplaces sell from stock
                precursor[x] = max(precursor[x] - sold[i], 0.0)
            throughput[x] += sold[i]
        for j in range(n_rcv):
            d = receivers[j]
            precursor[d] += received[j]
            got[j] += received[j]
    refused = 0.0
    for j in range(n_rcv):
        d = receivers[j]
        refused_share[d] = refused_kg[j] / want[j] if want[j] > 0 else 0.0
        refused += refused_kg[j]
    return entered, resold, refused
