"""Phase 8, money: revenue becomes usable cash through launderers; upkeep is paid.

Revenue (unlaundered) of an organization with an alive launderer is converted in full,
minus the launderers' fee and minus what anti-money-laundering seizes (``1 - exp(-aml_share
* intensity)`` of it); so is an online marketplace's that pays for itself
(``marketplaces_launder``: it is paid through its own escrow in cryptocurrency, Christin
2013). Without a launderer only ``unlaundered_usable`` of it is usable; the rest is hoarded
(unusable, seizable). Each alive member costs upkeep; a payer that
cannot pay is insolvent: an organization fails (adaptation), an independent actor quits.
Cash never goes negative.
"""

from __future__ import annotations

import numba
import numpy as np

from fentanet import _jitcache  # noqa: F401  (numba's cache, stale after any kernel's edit)
from fentanet.simulate.state import KIND


def init(sim) -> None:
    """Initial usable cash: ``initial_cash_years`` of each payer's purchases and upkeep at
    capacity; initial stocks at their targets (the pipeline starts full)."""
    s, p = sim.s, sim.p
    a = s.actors
    n = a.n
    sup = p.supply
    a.precursor[:] = np.where(a.kind == KIND["lab"], sup.precursor_cover_years * a.capacity,
                              0.0)
    holder = np.isin(a.kind, [KIND["lab"], KIND["marketplace"], KIND["trafficker"],
                              KIND["dealer"]])
    a.product[:] = np.where(holder, sup.stock_cover_years * a.capacity, 0.0)
    produced0 = float(a.product.sum())
    s.totals["produced"] = produced0  # initial stocks count as produced before the start
    s.totals["produced_initial"] = produced0
    s.totals["precursor_in"] = float(a.precursor.sum())
    m = p.market
    share = np.zeros(len(KIND))
    for kind, x in m.wholesale_share.items():
        if kind in KIND:
            share[KIND[kind]] = x
    # yearly spend: buying at the upstream stage's price, plus upkeep
    upstream = {"lab": None, "route": "lab", "trafficker": "route", "dealer": "trafficker",
                "marketplace": "lab"}
    spend = np.zeros(n)
    for kind, up in upstream.items():
        sel = a.kind == KIND[kind]
        price = sup.precursor_usd_per_kg if up is None else share[KIND[up]] * m.retail_usd_per_kg
        spend[sel] = a.capacity[sel] * price
    sim.upkeep = upkeep_table(sim)
    spend += upkeep(sim) / sim.dt
    a.cash[:] = np.bincount(a.payer, weights=spend, minlength=n) * p.money.initial_cash_years


def upkeep_table(sim) -> np.ndarray:
    """Upkeep per year by kind code (USD)."""
    table = np.zeros(len(KIND))
    for kind, c in sim.p.money.upkeep_usd_per_year.items():
        if kind in KIND:
            table[KIND[kind]] = c
    return table


def upkeep(sim) -> np.ndarray:
    """Upkeep due this step per actor (USD)."""
    a = sim.s.actors
    return np.where(a.alive, upkeep_table(sim)[a.kind], 0.0) * sim.dt


def run(sim) -> None:
    s, p = sim.s, sim.p.money
    a = s.actors
    st = sim.topo.stages["launders_for"]
    insolvent, seized, laundered = _settle(
        st.li, st.src, st.dst, s.links.alive, a.alive, a.kind, a.payer, a.dirty, a.cash,
        a.hoard, sim.upkeep, sim.dt, _aml_seized(sim), p.launder_fee, p.unlaundered_usable,
        KIND["marketplace"] if p.marketplaces_launder else -1)
    sim.insolvent = insolvent
    sim.now["money_seized_usd"] += seized
    sim.now["laundered_usd"] = laundered


def _aml_seized(sim) -> float:
    """The share of laundered revenue anti-money-laundering seizes, ``1 - exp(-aml_share *
    intensity)`` (kept on the run for the last intensity and money parameters)."""
    p, x = sim.p.money, sim.efforts.aml
    got = sim.__dict__.get("_aml_seized")
    if got is None or got[0] != x or got[1] is not p:
        got = sim._aml_seized = (x, p, float(1.0 - np.exp(-p.aml_share * x)))
    return got[2]


@numba.njit(cache=True)
def _settle(li, src, dst, link_alive, alive, kind, payer, dirty, cash, hoard, upkeep_table,
            dt, aml, fee, unlaundered_usable, self_launder):
    """Launder or hoard each payer's revenue, then pay upkeep; payers of kind
    ``self_launder`` (-1: none) launder their own (tested where their revenue is, not in a
    pass of its own over the actors). Returns (insolvent payers, money seized, revenue
    laundered: gross, the part seized and the fee included).

    Three passes over the actors: the upkeep due (summed per payer in slot order) while the
    slots with revenue are listed (without a branch: most slots have none, and which do
    is hard to predict), the revenue of the listed slots in slot order, then the upkeep
    paid. Each slot's revenue and each payer's upkeep are added as in one loop over the
    slots doing all of it: the same operands in the same order. A slot not alive adds 0 to
    its payer's upkeep instead of being passed over by a branch (its kind's upkeep read
    for every slot, then a select: no branch, which mispredicted at the dead slots; read
    only when alive, the compiler branches): ``x + 0.0`` is ``x`` except for ``x = -0``,
    and a sum that starts at +0 is never -0 (a sum is -0 only when both its terms are);
    each kind's upkeep per step ``upkeep_table * dt`` is the same product, computed once."""
    n = alive.size
    laundered_for = np.zeros(n, dtype=np.bool_)
    for k in range(li.size):
        if link_alive[li[k]] and alive[src[k]]:
            laundered_for[payer[dst[k]]] = True
    cost = upkeep_table * dt  # each kind's upkeep this step
    due = np.zeros(n)
    earned = np.empty(n, dtype=np.int64)  # the slots with revenue, ascending
    m = 0
    for i in range(n):
        x = cost[kind[i]]  # read for every slot: the select is then not a branch
        due[payer[i]] += x if alive[i] else 0.0
        earned[m] = i
        m += dirty[i] != 0.0
    seized = 0.0
    laundered = 0.0
    for j in range(m):
        i = earned[j]
        x = dirty[i]
        if laundered_for[i] or (kind[i] == self_launder and alive[i]):
            z = x * aml
            cash[i] += (x - z) * (1.0 - fee)
            seized += z
            laundered += x
        else:
            usable = x * unlaundered_usable
            cash[i] += usable
            hoard[i] += x - usable
        dirty[i] = 0.0
    out = earned  # insolvent payers, over the list (read in full above)
    k = 0
    for i in range(n):
        if due[i] > cash[i] + 1e-9 and alive[i] and due[i] > 0:
            out[k] = i
            k += 1
        cash[i] = max(cash[i] - due[i], 0.0)
    return out[:k], seized, laundered
