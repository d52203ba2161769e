"""Phase 11, record: this step's row of the series, and the material balance.

The levels read here are the state at the step's end, after every phase: the alive actors
per kind, the product and precursor held (``stock_kg``, ``precursor_stock_kg``) and
``cash_usd``, the usable cash of the alive actors (the payers: organizations and
independent actors). Cash seized at arrests and the cash of failed organizations are out of
it in the step they go; the cash an arrested independent leaves in its niche counts
again once a newcomer takes the place; hoarded (unlaundered, unusable) revenue is not in it.

Material balance (checked every step): everything produced (initial stocks included)
equals stocks + consumption + route seizures + stock seizures + losses; precursor bought
from suppliers (initial stocks included) equals precursor stocks + precursor used +
seized + lost. ``balance_error`` is the larger relative gap of the two (it stays at
rounding level, below 1e-9). The series make the precursor balance of each step: the
change of ``precursor_stock_kg`` is ``precursor_bought_kg - produced_kg -
seized_precursor_kg - lost_precursor_kg`` (one kg of precursor per kg produced).
"""

from __future__ import annotations

from itertools import repeat

import numba
import numpy as np

from fentanet import _jitcache  # noqa: F401  (numba's cache, stale after any kernel's edit)
from fentanet.simulate.params import MODES
from fentanet.simulate.phases.enforcement import ARREST_COLUMNS
from fentanet.simulate.state import KIND

ACTIVE = ("lab", "supplier", "marketplace", "route", "trafficker", "dealer", "launderer",
          "official", "prescriber", "business")


def active_column(kind: str) -> str:
    """The series column counting the alive actors of ``kind`` (``labs_active``,
    ``businesses_active``)."""
    return f"{kind}{'es' if kind.endswith('s') else 's'}_active"


_ACTIVE_COLUMNS = tuple((active_column(kind), KIND[kind]) for kind in ACTIVE)
COLUMNS = (
    "intervention_cost_usd", "precursor_bought_kg", "precursor_resold_kg",
    "precursor_refused_kg", "produced_kg", "seized_routes_kg",
    *(f"seized_{m}_kg" for m in MODES), *(f"shipped_{m}_kg" for m in MODES), "supply_kg",
    "demand_kg", "revenue_usd", "price_index", "potency_index", "potency_volatility",
    "availability", "share_of_demand_met", "initiations", "overdoses", "fatal", "reversed",
    "treatment_entries", "treatment_exits", "remissions", "relapses", "deaths",
    "overdose_deaths", "people_using", "people_in_treatment", "people_in_remission",
    "released_people", "money_seized_usd", "laundered_usd", *ARREST_COLUMNS, "suspensions",
    "organizations_failed", "recruits", "sellers_replaced", "independents_replaced",
    "entrants", "exits", "reroutes", "reroutes_room", "reroutes_traffickers",
    "reroutes_supply", "organizations_active", "organizations_suspended",
    *(col for col, _ in _ACTIVE_COLUMNS), "listings_moved", "lost_kg", "seized_stock_kg",
    "lost_precursor_kg", "seized_precursor_kg", "arrests", "seized_kg", "stock_kg",
    "precursor_stock_kg", "cash_usd", "balance_error")
"""The series' columns after ``step`` and ``time``, in their order (docs/series.md), the
``cost_<kind>_usd`` columns of the run's interventions following ``intervention_cost_usd``.
Every row has every one: a column no phase set in a step is 0 there (a run in which no lab
bought precursor had no ``precursor_bought_kg`` column), and the order is this one whatever
happened in the first step (an arrest with stock seized at step 0 put ``seized_stock_kg``
before the arrest columns)."""


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
def _tally(kind, alive, product, precursor, cash, n_kinds):
    """Alive actors per kind code; product and precursor held; usable cash of the alive
    actors (each summed in slot order).

    The counts go to four integer tallies in turn (slot ``i`` to tally ``i % 4``), added at
    the end: consecutive actors are mostly of one kind, and one tally would wait on its own
    last store at every slot (the loop took twice as long). The sums keep their order. Each
    slot's cash is read whether alive or not, then selected: read only when alive, the
    compiler branches, and the branch mispredicts at the dead slots."""
    n = kind.size
    c4 = np.zeros((4, n_kinds), dtype=np.int64)
    stock = 0.0
    prec = 0.0
    held = 0.0
    n4 = n - n % 4
    for i in range(0, n4, 4):
        c4[0, kind[i]] += alive[i]
        c4[1, kind[i + 1]] += alive[i + 1]
        c4[2, kind[i + 2]] += alive[i + 2]
        c4[3, kind[i + 3]] += alive[i + 3]
        stock += product[i]
        stock += product[i + 1]
        stock += product[i + 2]
        stock += product[i + 3]
        prec += precursor[i]
        prec += precursor[i + 1]
        prec += precursor[i + 2]
        prec += precursor[i + 3]
        h0, h1, h2, h3 = cash[i], cash[i + 1], cash[i + 2], cash[i + 3]
        held += h0 if alive[i] else 0.0
        held += h1 if alive[i + 1] else 0.0
        held += h2 if alive[i + 2] else 0.0
        held += h3 if alive[i + 3] else 0.0
    for i in range(n4, n):
        c4[0, kind[i]] += alive[i]
        stock += product[i]
        prec += precursor[i]
        h = cash[i]
        held += h if alive[i] else 0.0
    counts = np.zeros(n_kinds)
    for c in range(n_kinds):
        counts[c] = c4[0, c] + c4[1, c] + c4[2, c] + c4[3, c]
    return counts, stock, prec, held


def run(sim) -> None:
    s = sim.s
    a = s.actors
    now = sim.now
    counts, stock, prec, held = _tally(a.kind, a.alive, a.product, a.precursor, a.cash,
                                       len(KIND))
    counts = counts.tolist()  # Python floats, the same values
    for col, code in _ACTIVE_COLUMNS:
        now[col] = counts[code]
    now["arrests"] = float(sum([now.get(col, 0.0) for col in ARREST_COLUMNS]))
    now["seized_kg"] = now.get("seized_routes_kg", 0.0) + now.get("seized_stock_kg", 0.0)
    now["stock_kg"] = stock
    now["precursor_stock_kg"] = prec
    now["cash_usd"] = held
    gap_p, gap_q = balance(sim, stock, prec)
    now["balance_error"] = max(gap_p, gap_q)
    sim.rows.append(_row({"step": sim.step, "time": sim.t}, now, sim.cost_columns))


def _row(row: dict, now: dict, cost_columns: tuple[str, ...]) -> dict:
    """``row`` (``step`` and ``time``) with the step's columns from ``now`` (0.0 for a
    column no phase set; a column of ``now`` missing from :data:`COLUMNS` kept, last):
    ``now.get`` mapped over :func:`_row_columns`, without a Python loop."""
    cols = _row_columns(cost_columns)
    row.update(zip(cols, map(now.get, cols, repeat(0.0)), strict=True))
    if not now.keys() <= row.keys():
        row.update(now)
    return row


_ROW_COLUMNS: dict[tuple[str, ...], tuple[str, ...]] = {}


def _row_columns(cost_columns: tuple[str, ...]) -> tuple[str, ...]:
    """A row's columns after ``step`` and ``time``: ``intervention_cost_usd``, the
    interventions' kinds' ``cost_columns`` after their total, then :data:`COLUMNS`' others
    (made once per tuple of cost columns; the row's dictionary filled in this order from
    ``now.get`` mapped over them, without a Python loop)."""
    got = _ROW_COLUMNS.get(cost_columns)
    if got is None:
        got = _ROW_COLUMNS[cost_columns] = ("intervention_cost_usd", *cost_columns,
                                            *COLUMNS[1:])
    return got
