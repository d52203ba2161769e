"""Phase 3, production: labs turn precursor into product up to capacity.

One kg-equivalent of precursor gives one kg-equivalent of product (both are abstract
quantities in fentanyl-equivalent units). A lab produces ``min(capacity * dt, precursor,
room)``, room being what it lacks of its target product stock; suspended organizations
do not produce.
"""

from __future__ import annotations

import numpy as np

from fentanet.simulate.state import KIND


def run(sim) -> None:
    s, p = sim.s, sim.p.supply
    a = s.actors
    lab = (a.kind == KIND["lab"]) & a.alive & ~(a.suspended_until[a.payer] > sim.t)
    room = np.maximum(0.0, p.stock_cover_years * a.capacity - a.product)
    made = np.where(lab, np.minimum(np.minimum(a.capacity * sim.dt, a.precursor), room), 0.0)
    a.precursor[:] = np.maximum(a.precursor - made, 0.0)
    a.product[:] += made
    a.throughput[:] += made
    total = float(made.sum())
    s.totals["produced"] = s.totals.get("produced", 0.0) + total
    sim.now["produced_kg"] = total
