"""Phase 8, money: revenue becomes usable cash through launderers; upkeep is paid.

Revenue (unlaundered) of an organization with an alive launderer is converted in full,
minus the launderers' fee and minus what anti-money-laundering seizes (``1 - exp(-aml_share
* intensity)`` of it). Without a launderer only ``unlaundered_usable`` of it is usable;
the rest is hoarded (unusable, seizable). Each alive member costs upkeep; a payer that
cannot pay is insolvent: an organization fails (adaptation), an independent actor quits.
Cash never goes negative.
"""

from __future__ import annotations

import numpy as np

from fentanet.simulate.state import KIND, LKIND, links_of


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
    spend += upkeep(sim) / sim.dt
    a.cash[:] = np.bincount(a.payer, weights=spend, minlength=n) * p.money.initial_cash_years


def upkeep(sim) -> np.ndarray:
    """Upkeep due this step per actor (USD)."""
    a = sim.s.actors
    table = np.zeros(len(KIND))
    for kind, c in sim.p.money.upkeep_usd_per_year.items():
        if kind in KIND:
            table[KIND[kind]] = c
    return np.where(a.alive, table[a.kind], 0.0) * sim.dt


def run(sim) -> None:
    s, p = sim.s, sim.p.money
    a, ln = s.actors, s.links
    n = a.n
    sel = links_of(sim, LKIND["launders_for"])
    sel = sel[ln.alive[sel] & a.alive[ln.src[sel]]]
    laundered_for = np.zeros(n, dtype=bool)
    laundered_for[a.payer[ln.dst[sel]]] = True
    dirty = a.dirty.copy()
    aml = 1.0 - np.exp(-p.aml_share * sim.efforts.aml)
    seized = np.where(laundered_for, dirty * aml, 0.0)
    usable = np.where(laundered_for, (dirty - seized) * (1.0 - p.launder_fee),
                      dirty * p.unlaundered_usable)
    hoard = np.where(laundered_for, 0.0, dirty - usable)
    a.cash[:] += usable
    a.hoard[:] += hoard
    a.dirty[:] = 0.0
    due = np.bincount(a.payer, weights=upkeep(sim), minlength=n)
    short = due > a.cash + 1e-9
    a.cash[:] = np.maximum(a.cash - due, 0.0)
    payer_alive = a.alive
    sim.insolvent = np.flatnonzero(short & payer_alive & (due > 0))
    sim.now["money_seized_usd"] += float(seized.sum())
    sim.now["laundered_usd"] = float(dirty[laundered_for].sum())
    sim.now["cash_usd"] = float(a.cash.sum())
