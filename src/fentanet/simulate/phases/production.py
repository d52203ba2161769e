"""Phase 3, production: labs turn precursor into product up to capacity.

One kg-equivalent of precursor gives one kg-equivalent of product (both are abstract
quantities in fentanyl-equivalent units). A lab produces ``min(capacity * dt, precursor,
room)``, room being what it lacks of its target product stock; suspended organizations
do not produce. A lab's throughput (the activity enforcement sees) is what it ships on,
counted in the shipping phase as every holder's outflow is, not what it makes besides.
"""

from __future__ import annotations

import numba

from fentanet import _jitcache  # noqa: F401  (numba's cache, stale after any kernel's edit)


def run(sim) -> None:
    s, p = sim.s, sim.p.supply
    a = s.actors
    total = _produce(sim.topo.slots("lab"), a.alive, a.payer, a.suspended_until, a.capacity,
                     a.precursor, a.product, sim.t, sim.dt, p.stock_cover_years)
    s.totals["produced"] = s.totals.get("produced", 0.0) + total
    sim.now["produced_kg"] = total


@numba.njit(cache=True)
def _produce(labs, alive, payer, suspended_until, capacity, precursor, product, t, dt, cover):
    total = 0.0
    for i in labs:
        if not alive[i] or suspended_until[payer[i]] > t:
            continue
        room = max(0.0, cover * capacity[i] - product[i])
        made = min(min(capacity[i] * dt, precursor[i]), room)
        precursor[i] = max(precursor[i] - made, 0.0)
        product[i] += made
        total += made
    return total
