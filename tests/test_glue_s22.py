"""The twenty-second session's speed-ups of the Python between kernels, each piece against
the code it replaced (the 32 reference runs check the whole step bit for bit)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from fentanet.simulate.phases import record
from fentanet.simulate.phases.record import COLUMNS


def _row_as_it_was(cost_columns: tuple, now: dict, row: dict) -> dict:
    """record.run's row after ``step`` and ``time``, as the loop over the columns made it
    before the session."""
    row["intervention_cost_usd"] = now.get("intervention_cost_usd", 0.0)
    for col in cost_columns:  # the interventions' kinds, after their total
        row[col] = now.get(col, 0.0)
    for col in COLUMNS[1:]:
        row[col] = now.get(col, 0.0)
    if len(now.keys() - row.keys()):  # a column missing from COLUMNS: kept, last
        row.update(now)
    return row


@pytest.mark.parametrize("seed", range(40))
def test_the_record_row_is_the_one_the_loop_over_the_columns_made(seed):
    """The row's dictionary (``now.get`` mapped over the columns kept per tuple of cost
    columns) against the loop it replaced: the same keys in the same order, the same
    values, ``now`` (a defaultdict, as the step's) left as it was; some columns not set,
    cost columns or none, a column outside ``COLUMNS``."""
    rng = np.random.default_rng(seed)
    cols = list(COLUMNS)
    kinds = ["cost_lab_raids_usd", "cost_naloxone_usd", "cost_border_usd"]
    cost = tuple(rng.permutation(kinds)[: int(rng.integers(0, 4))].tolist())
    picked = rng.permutation(cols + list(cost))[: int(rng.integers(0, len(cols)))]
    now = defaultdict(float, {c: float(rng.random()) for c in picked.tolist()})
    if seed % 5 == 4:
        now["a_column_no_one_listed"] = 1.5
    before = dict(now)
    want = _row_as_it_was(cost, now, {"step": seed, "time": seed / 52})
    got = record._row({"step": seed, "time": seed / 52}, now, cost)
    assert list(got.items()) == list(want.items())
    assert dict(now) == before
