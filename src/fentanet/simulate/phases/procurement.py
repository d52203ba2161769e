"""Phase 2, procurement: labs (and marketplaces) buy precursor.

A buyer wants to refill its precursor stock to ``precursor_cover_years * capacity`` and
splits the order over its alive ``supplies`` links by weight. Legitimate companies refuse
a share of the volume as suspicious (``legit_compliance``, raised by precursor controls:
``1 - (1 - base) * exp(-gain * intensity)``), marketplaces a smaller share; refused volume
is reported and raises the buyer's detection hazard (enforcement). A supplier sells at
most ``capacity * dt``; a marketplace at most its stock. Cash limits what a payer buys.
Organizations suspended after heavy losses do not buy.
"""

from __future__ import annotations

import numpy as np

from fentanet.simulate import flow
from fentanet.simulate.state import KIND, LKIND, links_of


def init(sim) -> None:
    pass


def run(sim) -> None:
    s, p = sim.s, sim.p.supply
    a, ln = s.actors, s.links
    n, dt = a.n, sim.dt
    kind = a.kind
    buyer = (kind == KIND["lab"]) | (kind == KIND["marketplace"])
    want = np.where(buyer & a.alive, np.maximum(
        0.0, p.precursor_cover_years * a.capacity - a.precursor), 0.0)
    suspended = a.suspended_until[a.payer] > sim.t
    want[suspended] = 0.0
    li = links_of(sim, LKIND["supplies"])
    src, dst = ln.src[li], ln.dst[li]
    ok = ln.alive[li] & a.alive[src] & a.alive[dst] & buyer[dst] & (want[dst] > 0)
    li, src, dst = li[ok], src[ok], dst[ok]
    if not li.size:
        return
    w = np.where(np.isfinite(ln.capacity[li]), ln.capacity[li], a.capacity[src])
    w = np.maximum(w, 1e-12)
    pc = sim.efforts.precursor_control
    legit = a.legit[src] & (kind[src] == KIND["supplier"])
    is_mkp = kind[src] == KIND["marketplace"]
    refuse = np.zeros(li.size)
    refuse[legit] = 1.0 - (1.0 - p.legit_compliance) * np.exp(-p.screening_gain * pc)
    refuse[is_mkp] = 1.0 - (1.0 - p.marketplace_screening) * np.exp(-p.screening_gain * pc)
    # what sellers can deliver: suppliers capacity * dt, marketplaces their stock
    avail = np.where(kind == KIND["supplier"], a.capacity * dt, a.precursor)
    got = np.zeros(n)
    refused_kg = np.zeros(n)
    price = np.full(li.size, p.precursor_usd_per_kg)
    bought = 0.0
    for attempt in range(2):
        # first by link weight; then the rest from sellers that still have some and sell
        rem = np.maximum(want - got, 0.0)
        if attempt == 1:
            w = (1.0 - refuse) * avail[src]
        tot = np.bincount(dst, weights=w, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            request = np.where(tot[dst] > 0, rem[dst] * w / tot[dst], 0.0)
        refused = request * refuse
        refused_kg += np.bincount(dst, weights=refused, minlength=n)
        request = request - refused
        fill = flow.accept_ratio(src, request, avail, n)  # grouped by seller
        qty = request * fill[src]
        qty, _ = _afford_external(a, src, dst, qty, price, is_mkp)
        sold = np.bincount(src, weights=qty, minlength=n)
        avail = np.maximum(avail - sold, 0.0)
        # suppliers are outside the system: precursor enters here; marketplaces sell stock
        s.totals["precursor_in"] = s.totals.get("precursor_in", 0.0) + float(
            qty[~is_mkp].sum())
        a.precursor[:] = np.maximum(a.precursor - np.where(kind == KIND["marketplace"], sold,
                                                           0.0), 0.0)
        received = np.bincount(dst, weights=qty, minlength=n)
        a.precursor[:] += received
        got += received
        a.throughput[:] += sold
        bought += float(qty.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        a.refused[:] = np.where(want > 0, refused_kg / np.maximum(want, 1e-300), 0.0)
    sim.now["precursor_bought_kg"] += bought
    sim.now["precursor_refused_kg"] += float(refused_kg.sum())


def _afford_external(a, src, dst, qty, price, internal_seller):
    """Cash limit for precursor: every purchase is paid (suppliers are outside, paid in
    full; marketplaces are paid into their revenue)."""
    n = a.n
    payer = a.payer
    cost = qty * price
    due = np.bincount(payer[dst], weights=cost, minlength=n)
    cash = a.cash
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(due > cash, cash / due, 1.0)
    scale = np.clip(np.where(np.isfinite(scale), scale, 0.0), 0.0, 1.0)
    f = scale[payer[dst]]
    qty = qty * f
    paid = cost * f
    cash -= np.bincount(payer[dst], weights=paid, minlength=n)
    np.maximum(cash, 0.0, out=cash)
    a.dirty[:] += np.bincount(payer[src], weights=np.where(internal_seller, paid, 0.0),
                              minlength=n)
    return qty, paid
