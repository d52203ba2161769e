"""Money's kernel as it was at commit 24e7ccf, before the thirteenth session's speed-up:
the oracle the replacement is tested against bit for bit."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def plain_settle(li, src, dst, link_alive, alive, kind, payer, dirty, cash, hoard,
                 upkeep_table, dt, aml, fee, unlaundered_usable, self_launder):
    """:func:`fentanet.simulate.phases.money._settle` with the dead slots passed over by a
    branch and each slot's upkeep ``upkeep_table[kind] * dt`` computed in the loop."""
    n = alive.size
    laundered_for = np.zeros(n, dtype=np.bool_)
    for k in range(li.size):
        if link_alive[li[k]] and alive[src[k]]:
            laundered_for[payer[dst[k]]] = True
    due = np.zeros(n)
    earned = np.empty(n, dtype=np.int64)
    m = 0
    for i in range(n):
        if alive[i]:
            due[payer[i]] += upkeep_table[kind[i]] * dt
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
    out = earned
    k = 0
    for i in range(n):
        if due[i] > cash[i] + 1e-9 and alive[i] and due[i] > 0:
            out[k] = i
            k += 1
        cash[i] = max(cash[i] - due[i], 0.0)
    return out[:k], seized, laundered
