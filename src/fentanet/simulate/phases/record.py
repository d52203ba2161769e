"""Phase 11, record: this step's row of the series, and the material balance.

Material balance (checked every step): everything produced (initial stocks included)
equals stocks + consumption + route seizures + stock seizures + losses; precursor bought
equals precursor stocks + precursor used + seized + lost. ``balance_error`` is the larger
relative gap of the two (it stays at rounding level, below 1e-9).
"""

from __future__ import annotations

import numpy as np

from fentanet.simulate.params import KINDS_ENFORCED, MODES
from fentanet.simulate.state import KIND

ACTIVE = ("lab", "supplier", "marketplace", "route", "trafficker", "dealer", "launderer",
          "official", "prescriber")


def balance(sim) -> tuple[float, float]:
    """Relative material-balance gaps (product, precursor)."""
    s = sim.s
    a, t = s.actors, s.totals
    produced = t.get("produced", 0.0)
    out = (float(a.product.sum()) + t.get("consumed", 0.0) + t.get("seized_routes", 0.0)
           + t.get("seized_stock", 0.0) + t.get("lost", 0.0))
    prec_in = t.get("precursor_in", 0.0)
    prec_out = (float(a.precursor.sum()) + (produced - t.get("produced_initial", 0.0))
                + t.get("seized_stock_precursor", 0.0) + t.get("lost_precursor", 0.0))
    gap_p = abs(produced - out) / max(1.0, produced)
    gap_q = abs(prec_in - prec_out) / max(1.0, prec_in)
    return gap_p, gap_q


def run(sim) -> None:
    s = sim.s
    a = s.actors
    row = {"step": sim.step, "time": sim.t}
    now = sim.now
    alive = a.alive
    counts = np.bincount(a.kind[alive], minlength=len(KIND))
    for kind in ACTIVE:
        now[f"{kind}s_active"] = float(counts[KIND[kind]])
    for k in KINDS_ENFORCED:
        now.setdefault(f"arrests_{k}", 0.0)
    for m in MODES:
        now.setdefault(f"seized_{m}_kg", 0.0)
    for col in ("entrants", "recruits", "suspensions", "organizations_failed",
                "listings_moved", "lost_kg", "seized_stock_kg", "money_seized_usd"):
        now.setdefault(col, 0.0)
    now["arrests"] = float(sum(now[f"arrests_{k}"] for k in KINDS_ENFORCED))
    now["seized_kg"] = now.get("seized_routes_kg", 0.0) + now.get("seized_stock_kg", 0.0)
    now["stock_kg"] = float(a.product.sum())
    now["precursor_stock_kg"] = float(a.precursor.sum())
    gap_p, gap_q = balance(sim)
    now["balance_error"] = max(gap_p, gap_q)
    row.update(now)
    sim.rows.append(row)
