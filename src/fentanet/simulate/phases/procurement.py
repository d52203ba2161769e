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
from fentanet.simulate.state import KIND, LKIND


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
    li = np.flatnonzero(ln.kind == LKIND["supplies"])
    src, dst = ln.src[li], ln.dst[li]
    ok = ln.alive[li] & a.alive[src] & a.alive[dst] & buyer[dst] & (want[dst] > 0)
    li, src, dst = li[ok], src[ok], dst[ok]
    if not li.size:
        return
    w = np.where(np.isfinite(ln.capacity[li]), ln.capacity[li], a.capacity[src])
    w = np.maximum(w, 1e-12)
    # shares over the buyer's in-links
    tot = np.bincount(dst, weights=w, minlength=n)
    request = want[dst] * w / tot[dst]
    pc = sim.efforts.precursor_control
    legit = a.legit[src] & (kind[src] == KIND["supplier"])
    is_mkp = kind[src] == KIND["marketplace"]
    refuse = np.zeros(li.size)
    refuse[legit] = 1.0 - (1.0 - p.legit_compliance) * np.exp(-p.screening_gain * pc)
    refuse[is_mkp] = 1.0 - (1.0 - p.marketplace_screening) * np.exp(-p.screening_gain * pc)
    refused = request * refuse
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.bincount(dst, weights=refused, minlength=n) / np.maximum(want, 1e-300)
    a.refused[:] = np.where(want > 0, share, 0.0)
    request = request - refused
    # what the seller can deliver: suppliers capacity * dt, marketplaces their stock
    avail = np.where(kind == KIND["supplier"], a.capacity * dt, a.precursor)
    fill = flow.accept_ratio(src, request, avail, n)  # grouped by seller
    qty = request * fill[src]
    price = np.full(li.size, p.precursor_usd_per_kg)
    qty, _ = _afford_external(a, src, dst, qty, price, is_mkp)
    # suppliers are outside the system: precursor enters here; marketplaces sell stock
    from_supplier = ~is_mkp
    s.totals["precursor_in"] = s.totals.get("precursor_in", 0.0) + float(qty[from_supplier].sum())
    sent_by_mkp = np.bincount(src[is_mkp], weights=qty[is_mkp], minlength=n)
    a.precursor[:] = np.maximum(a.precursor - sent_by_mkp, 0.0)
    a.precursor[:] += np.bincount(dst, weights=qty, minlength=n)
    a.throughput[:] += np.bincount(src, weights=qty, minlength=n)
    sim.now["precursor_bought_kg"] += float(qty.sum())
    sim.now["precursor_refused_kg"] += float(refused.sum())


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
