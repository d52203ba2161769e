"""Phase 6, market: price and potency respond to supply against demand.

Price index target per market: ``((D / D0) / (S / S0)) ** (1 / elasticity)``, bounded to
``[price_min, price_max]``, where D/D0 is demand at the base price relative to the start
and S/S0 the retail offer relative to its level at the end of the spin-up (the steady state
without enforcement, :meth:`fentanet.simulate.loop.Sim.warmup`); the index moves
toward its target with time constant ``price_memory_years``. Potency volatility is an
the shortfall ``max(0, log(S_ref / S))`` of the supply reaching the market against its
recent level ``S_ref`` (an exponentially weighted mean with time constant
``volatility_memory_years``): 0 while supply is stable, about 0.7 right after a disruption
that halves it, fading as the market adjusts (the local disruptions of Ray et al., AJPH
2023); potency is the exogenous trend times a log-normal factor whose
spread grows with volatility, drawn per market keyed by its uid.
"""

from __future__ import annotations

import numpy as np
from scipy import special


def trend(points, t: float) -> float:
    """The exogenous potency index at time t (linear interpolation, 1 when empty)."""
    if not points:
        return 1.0
    if len(points) == 1:
        return float(points[0][1])
    xs, ys = zip(*sorted(points), strict=True)
    return float(np.interp(t, xs, ys))


def run(sim) -> None:
    s, p = sim.s, sim.p.market
    f = sim.flows
    with np.errstate(invalid="ignore", divide="ignore"):
        dem = f["demand_base"] / (s.demand0 * sim.dt)
        sup = f["offered"] / (s.offer0 * sim.dt)
        target = (dem / sup) ** (1.0 / p.elasticity)
    target = np.where(np.isfinite(target), target, p.price_max)
    target = np.where(s.demand0 > 0, target, 1.0)
    target = np.clip(target, p.price_min, p.price_max)
    g = 1.0 - np.exp(-sim.dt / p.price_memory_years)
    s.price += (target - s.price) * g
    # volatility: shortfall of supply against its recent level (a disruption)
    consumed = f["consumed"]
    g_v = 1.0 - np.exp(-sim.dt / p.volatility_memory_years)
    ref = np.where(s.supply_prev > 0, s.supply_prev, consumed)
    eps = 1e-12
    s.volatility = np.maximum(0.0, np.log((ref + eps) / (consumed + eps)))
    s.supply_prev = ref + (consumed - ref) * g_v
    base = trend(p.potency_trend, sim.t)
    sigma = p.potency_noise * s.volatility
    if np.any(sigma > 0):
        u = sim.streams.uniform("market.potency", sim.step, s.actors.uid[s.markets])
        z = special.ndtri(u)
        s.potency = base * np.exp(sigma * z - 0.5 * sigma**2)
    else:
        s.potency = np.full(s.n_markets, base)
    with np.errstate(invalid="ignore", divide="ignore"):
        avail = np.where(f["demand"] > 0, consumed / f["demand"], 1.0)
    f["share_met"] = np.clip(avail, 0.0, 1.0)
    # relative to the status quo (the spin-up's steady state), as the population model's
    # parameters describe the status quo at availability 1
    f["availability"] = np.clip(avail / s.avail0, 0.0, 1.0)
    w = s.demand0 / max(s.demand0.sum(), 1e-300)
    sim.now["price_index"] = float(np.dot(w, s.price))
    sim.now["potency_index"] = float(np.dot(w, s.potency))
    sim.now["potency_volatility"] = float(np.dot(w, s.volatility))
    sim.now["availability"] = float(np.dot(w, f["availability"]))
    sim.now["share_of_demand_met"] = float(np.dot(w, f["share_met"]))
