"""Phase 11, record: this step's row of the series, and the material balance.

Material balance (checked every step): everything produced (initial stocks included)
equals stocks + consumption + route seizures + stock seizures + losses; precursor bought
equals precursor stocks + precursor used + seized + lost. ``balance_error`` is the larger
relative gap of the two (it stays at rounding level, below 1e-9).
"""

from __future__ import annotations

import numba
import numpy as np

from fentanet.simulate.params import MODES
from fentanet.simulate.phases.enforcement import ARREST_COLUMNS
from fentanet.simulate.state import KIND

ACTIVE = ("lab", "supplier", "marketplace", "route", "trafficker", "dealer", "launderer",
          "official", "prescriber")


_ACTIVE_COLUMNS = tuple((f"{kind}s_active", KIND[kind]) for kind in ACTIVE)
_DEFAULT_ZERO = (*ARREST_COLUMNS, *(f"seized_{m}_kg" for m in MODES), "entrants", "recruits",
                 "sellers_replaced", "suspensions", "organizations_failed", "listings_moved",
                 "lost_kg", "seized_stock_kg", "money_seized_usd")
"""Columns recorded as 0 when no phase set them this step (in the series' column order)."""


def balance(sim, stock: float | None = None,
            precursor: float | None = None) -> tuple[float, float]:
    """Relative material-balance gaps (product, precursor); ``stock`` and ``precursor`` are
    the totals held by actors (summed here when not given)."""
    s = sim.s
    a, t = s.actors, s.totals
    stock = float(a.product.sum()) if stock is None else stock
    precursor = float(a.precursor.sum()) if precursor is None else precursor
    produced = t.get("produced", 0.0)
    out = (stock + t.get("consumed", 0.0) + t.get("seized_routes", 0.0)
           + t.get("seized_stock", 0.0) + t.get("lost", 0.0))
    prec_in = t.get("precursor_in", 0.0)
    prec_out = (precursor + (produced - t.get("produced_initial", 0.0))
                + t.get("seized_stock_precursor", 0.0) + t.get("lost_precursor", 0.0))
    gap_p = abs(produced - out) / max(1.0, produced)
    gap_q = abs(prec_in - prec_out) / max(1.0, prec_in)
    return gap_p, gap_q


@numba.njit(cache=True)
def _tally(kind, alive, product, precursor, n_kinds):
    """Alive actors per kind code; product and precursor held."""
    counts = np.zeros(n_kinds)
    stock = 0.0
    prec = 0.0
    for i in range(kind.size):
        if alive[i]:
            counts[kind[i]] += 1.0
        stock += product[i]
        prec += precursor[i]
    return counts, stock, prec


def run(sim) -> None:
    s = sim.s
    a = s.actors
    row = {"step": sim.step, "time": sim.t}
    now = sim.now
    counts, stock, prec = _tally(a.kind, a.alive, a.product, a.precursor, len(KIND))
    for col, code in _ACTIVE_COLUMNS:
        now[col] = float(counts[code])
    missing = [col for col in _DEFAULT_ZERO if col not in now]
    if missing:
        now.update(dict.fromkeys(missing, 0.0))  # in the order of _DEFAULT_ZERO
    now["arrests"] = float(sum([now[col] for col in ARREST_COLUMNS]))
    now["seized_kg"] = now.get("seized_routes_kg", 0.0) + now.get("seized_stock_kg", 0.0)
    now["stock_kg"] = stock
    now["precursor_stock_kg"] = prec
    gap_p, gap_q = balance(sim, stock, prec)
    now["balance_error"] = max(gap_p, gap_q)
    row.update(now)
    sim.rows.append(row)
