"""The population step's kernel as it was before its draws were batched (session 7), kept
as the oracle of :func:`fentanet.simulate.population._advance`: market by market, draw by
draw, every binomial by ``binom_inv``."""

from __future__ import annotations

import math

import numba
import numpy as np

from fentanet.simulate.binomial import binom_inv, keyed_uniform
from fentanet.simulate.population import (
    _MU_R,
    _MU_U,
    _N_UNIFORMS,
    _P0,
    _PS,
    _PW,
    _REL_MULT,
    _REL_WEEKS,
    _RELAPSE,
    _REM,
    _TX_COMP,
    _TX_DROP,
    _TX_RR,
    _X_REL,
    WEEKS_PER_YEAR,
    _rates,
)


@numba.njit
def _competing(u, j0, n, hz, cnt, dt):
    """Split ``n`` people over competing exits with annual hazards ``hz`` in one step.

    One binomial for leaving at all (probability ``1 - exp(-sum(hz) dt)``, uniform
    ``u[j0]``), then conditional binomials for each cause in turn (uniforms
    ``u[j0 + 1 + c]``), the last cause with positive hazard taking the rest: a
    multinomial draw that never removes more than ``n``.
    """
    m = hz.shape[0]
    total = 0.0
    last = -1
    for c in range(m):
        cnt[c] = 0
        if hz[c] > 0:
            total += hz[c]
            last = c
    if n <= 0 or last < 0:
        return
    left = binom_inv(u[j0], n, -math.expm1(-total * dt))
    rest = total
    for c in range(last):
        if left == 0:
            return
        if hz[c] <= 0:
            continue
        k = binom_inv(u[j0 + 1 + c], left, hz[c] / rest)
        cnt[c] = k
        left -= k
        rest -= hz[c]
    cnt[last] = left


@numba.njit
def advance_plain(
    prefix,
    uid,
    at_risk,
    using,
    released,
    treatment,
    remission,
    od_deaths,
    other_deaths,
    capacity0,
    x,
    pv,
    dt,
    out,
):
    mu_u, h_rem, rel_mult, rr = pv[_MU_U], pv[_REM], pv[_REL_MULT], pv[_TX_RR]
    h_end = WEEKS_PER_YEAR / pv[_REL_WEEKS]
    h_drop, h_comp, h_relapse, mu_r = pv[_TX_DROP], pv[_TX_COMP], pv[_RELAPSE], pv[_MU_R]
    p0, p_w, p_s = pv[_P0], pv[_PW], pv[_PS]
    hz4 = np.zeros(4)
    hz5 = np.zeros(5)
    hz2 = np.zeros(2)
    cu = np.zeros(4, dtype=np.int64)
    cr = np.zeros(5, dtype=np.int64)
    ct = np.zeros(4, dtype=np.int64)
    cm = np.zeros(2, dtype=np.int64)
    ui = np.empty(_N_UNIFORMS)
    for i in range(uid.shape[0]):
        # releases after arrest join the post-release window (at most those using not in it)
        rel_in = using[i] - released[i]
        if x[i, _X_REL] + 0.5 < rel_in:
            rel_in = math.floor(x[i, _X_REL] + 0.5)
        released[i] += rel_in
        h_init, r_od, f, kit, h_entry, capacity = _rates(pv, x, i, capacity0[i], treatment[i])
        base = np.uint64(uid[i]) << np.uint64(5)
        for j in range(_N_UNIFORMS):
            ui[j] = keyed_uniform(base | np.uint64(j), prefix)
        h_fatal = r_od * f
        # draw 0: initiation from the people at risk
        init = binom_inv(ui[0], at_risk[i], -math.expm1(-h_init * dt))
        # draws 1-4: using (not recently released) -> fatal overdose, other death,
        # treatment, remission
        ordinary = using[i] - released[i]
        hz4[0] = h_fatal
        hz4[1] = mu_u
        hz4[2] = h_entry
        hz4[3] = h_rem
        _competing(ui, 1, ordinary, hz4, cu, dt)
        # draws 5-9: recently released -> the same, with the release multiplier, or the
        # end of the high-risk window (still using)
        hz5[0] = h_fatal * rel_mult
        hz5[1] = mu_u
        hz5[2] = h_entry
        hz5[3] = h_rem
        hz5[4] = h_end
        _competing(ui, 5, released[i], hz5, cr, dt)
        # draws 10-13: treatment -> fatal overdose, other death (both / rr), dropout,
        # completion into remission
        hz4[0] = h_fatal / rr
        hz4[1] = mu_u / rr
        hz4[2] = h_drop
        hz4[3] = h_comp
        _competing(ui, 10, treatment[i], hz4, ct, dt)
        # draws 14-15: remission -> relapse, death
        hz2[0] = h_relapse
        hz2[1] = mu_r
        _competing(ui, 14, remission[i], hz2, cm, dt)
        # treatment entries are capped by the free places
        free = math.floor(capacity) - treatment[i]
        if free < 0:
            free = 0
        entries = cu[2] + cr[2]
        if entries > free:
            keep_r = (cr[2] * free) // entries
            cr[2] = keep_r
            cu[2] = free - keep_r
            entries = free
        # draws 16-18: non-fatal overdoses of the survivors (counts; no one moves)
        nf = 1.0 - f
        nonfatal = binom_inv(ui[16], ordinary - cu[0] - cu[1], -math.expm1(-r_od * nf * dt))
        nonfatal += binom_inv(
            ui[17], released[i] - cr[0] - cr[1], -math.expm1(-r_od * rel_mult * nf * dt)
        )
        nonfatal += binom_inv(
            ui[18], treatment[i] - ct[0] - ct[1], -math.expm1(-r_od / rr * nf * dt)
        )
        # draws 19-21: outcome of each overdose. Given an overdose: fatal p0 (1 - w k s),
        # reversed p0 w k s, survived with naloxone (1 - p0) w k, survived without
        # (1 - p0)(1 - w k).
        wk = p_w * kit
        rev = p0 * wk * p_s
        reversed_ = binom_inv(ui[19], nonfatal, rev / nf if nf > 0 else 0.0)
        rest_nf = nf - rev
        given_nf = binom_inv(
            ui[20], nonfatal - reversed_, (1.0 - p0) * wk / rest_nf if rest_nf > 0 else 0.0
        )
        fatal = cu[0] + cr[0] + ct[0]
        q = wk * p_s
        given_fatal = binom_inv(ui[21], fatal, wk * (1.0 - p_s) / (1.0 - q) if q < 1 else 0.0)
        # apply
        at_risk[i] -= init
        left_r = cr[0] + cr[1] + cr[2] + cr[3]  # left using: died, treatment, remission
        using[i] += init + ct[2] + cm[0] - (cu[0] + cu[1] + cu[2] + cu[3]) - left_r
        released[i] -= left_r + cr[4]
        treatment[i] += entries - (ct[0] + ct[1] + ct[2] + ct[3])
        remission[i] += cu[3] + cr[3] + ct[3] - (cm[0] + cm[1])
        od_deaths[i] += fatal
        other = cu[1] + cr[1] + ct[1] + cm[1]
        other_deaths[i] += other
        out[i, 0] = init
        out[i, 1] = fatal + nonfatal
        out[i, 2] = fatal
        out[i, 3] = reversed_
        out[i, 4] = reversed_ + given_nf + given_fatal
        out[i, 5] = entries
        out[i, 6] = ct[2] + ct[3]
        out[i, 7] = ct[3]
        out[i, 8] = cu[3] + cr[3] + ct[3]
        out[i, 9] = cm[0]
        out[i, 10] = fatal + other
        out[i, 11] = other
        out[i, 12] = ct[0] + ct[1]
        out[i, 13] = ct[0]
        out[i, 14] = cm[1]
        out[i, 15] = rel_in
