"""Phase 6, market: price and potency respond to supply against demand.

Price index target per market: ``((D / D0) / (S / S0)) ** (1 / elasticity)``, bounded to
``[price_min, price_max]``, where D/D0 is demand at the base price relative to the start
and S/S0 the retail offer relative to the offer at the spin-up's last step (the status
quo's trade under routine enforcement, :meth:`fentanet.simulate.loop.Sim.warmup`); the index
moves toward its target with time constant ``price_memory_years``. Potency volatility is
the shortfall ``max(0, log(S_ref / S))`` of the supply reaching the market against its
recent level ``S_ref`` (an exponentially weighted mean with time constant
``volatility_memory_years``): 0 while supply is stable, about 0.7 right after a disruption
that halves it, fading as the market adjusts (the local disruptions of Ray et al., AJPH
2023), at most ``log(100)`` (:data:`VOLATILITY_MAX`: a shortfall of 99% or more, up to
supply vanishing); potency is the exogenous trend times a log-normal factor whose
spread grows with volatility, drawn per market keyed by its uid.

The national price index (the series' ``price_index``, which entry reads as the margin) is
what buyers paid: the mean over markets of the price each paid this step (its index before
this step's update, the one retail sold at), weighted by the quantity it bought, that is
revenue / (quantity sold x ``retail_usd_per_kg``). This is the usual construction: drug
price series are built from purchases (the DEA's STRIDE records of purchases; Caulkins &
Reuter, Journal of Drug Issues 28(3) 1998), and an index over markets weights each
market's price by the quantity sold there (National Research Council, Informing America's
Policy on Illegal Drugs, Manski, Pepper & Petrie eds., 2001, ch. 3; with current
quantities, so the weight of a market follows its sales). A market where nothing is bought,
say one no seller reaches, whose own price sits at ``price_max`` for its demand response,
adds no observation. When nothing is bought anywhere the index
keeps its last value (1 before the first step). Potency, volatility, availability and the
share of demand met are means weighted by base demand (measures of what the people in each
market face, 0 availability included).
"""

from __future__ import annotations

import numba
import numpy as np

from fentanet import _jitcache  # noqa: F401  (numba's cache, stale after any kernel's edit)
from fentanet.simulate import nploops
from fentanet.simulate.binomial import keyed_uniform, step_prefix
from fentanet.simulate.kernels import np_sum

VOLATILITY_MAX = float(np.log(100.0))
"""Volatility of a market whose supply fell to 1% of its recent level or below. Without a
bound the log shortfall of a market receiving nothing is ``log(S_ref / 1e-12)``, about 27,
and its potency draw ``exp(sigma z - sigma^2 / 2)`` falls to 1e-40."""


def trend(points, t: float) -> float:
    """The exogenous potency index at time t (linear interpolation, 1 when empty)."""
    if not points:
        return 1.0
    if len(points) == 1:
        return float(points[0][1])
    xs, ys = zip(*sorted(points), strict=True)
    return float(np.interp(t, xs, ys))


@numba.njit(cache=True, error_model="numpy")
def _pressure(demand_base, demand0, offered, offer0, dt, inv_elasticity, power_loop):
    """The price index's target ``((D / D0) / (S / S0)) ** inv_elasticity`` per market (inf
    or NaN where S or D0 is 0), the power NumPy's (``power_loop``,
    :func:`fentanet.simulate.nploops.power`)."""
    out = np.empty(demand_base.size)
    for i in range(out.size):
        out[i] = (demand_base[i] / (demand0[i] * dt)) / (offered[i] / (offer0[i] * dt))
    nploops.power(power_loop, out, inv_elasticity, out)
    return out


@numba.njit(cache=True, error_model="numpy")
def _update(target, demand0, price_min, price_max, g, price, supply_prev, consumed, g_v,
            demand, avail0, log_loop):
    """In place: the price index toward its target (``price_max`` where the target is not
    finite, 1 without demand, bounded). Returns the volatility's ``log((S_ref + eps) / (S +
    eps))`` (NumPy's ``log``: ``log_loop``, :mod:`fentanet.simulate.nploops`), the next
    ``S_ref``, the share of demand met and availability (both clipped to
    [0, 1], NaN kept as ``np.clip`` does), and what was bought in all (``consumed``'s sum,
    NumPy's: :func:`~fentanet.simulate.kernels.np_sum`)."""
    n = target.size
    ratio = np.empty(n)
    prev = np.empty(n)
    share_met = np.empty(n)
    availability = np.empty(n)
    eps = 1e-12
    for i in range(n):
        t = target[i]
        if not np.isfinite(t):
            t = price_max
        if not demand0[i] > 0:
            t = 1.0
        t = min(max(t, price_min), price_max)  # price_min <= 1 <= price_max (params)
        price[i] += (t - price[i]) * g
        c = consumed[i]
        ref = supply_prev[i] if supply_prev[i] > 0 else c
        ratio[i] = (ref + eps) / (c + eps)
        prev[i] = ref + (c - ref) * g_v
        a = c / demand[i] if demand[i] > 0 else 1.0
        x = a
        if x < 0.0:
            x = 0.0
        elif x > 1.0:
            x = 1.0
        share_met[i] = x
        x = a / avail0[i]
        if x < 0.0:
            x = 0.0
        elif x > 1.0:
            x = 1.0
        availability[i] = x
    nploops.apply(log_loop, ratio, ratio)
    return ratio, prev, share_met, availability, np_sum(consumed)


@numba.njit(cache=True)
def _volatility(v, top, noise):
    """In place: ``v`` clipped to ``[0, top]`` as ``np.clip`` does (a bound taken only where
    ``v`` is beyond it: NaN and -0.0 kept); returns
    ``noise * v`` (the potency spread) and whether any spread is above 0."""
    sigma = np.empty(v.size)
    spread = False
    for i in range(v.size):
        x = v[i]
        x = 0.0 if x < 0.0 else x  # NaN and -0.0 kept, as np.clip keeps them
        x = top if x > top else x
        v[i] = x
        sigma[i] = noise * x
        spread |= sigma[i] > 0.0
    return sigma, spread


@numba.njit(cache=True)
def _spread_and_draws(v, top, noise, uid, markets, key, step):
    """:func:`_volatility`, and with a spread above 0 the markets' potency uniforms of the
    step: ``Streams.uniform("market.potency", step, uid[markets])`` from the stream's
    ``key`` (:func:`step_prefix`, :func:`keyed_uniform`: bit-identical), none without.
    Returns (spread per market, whether any is above 0, uniforms)."""
    sigma, spread = _volatility(v, top, noise)
    if not spread:
        return sigma, spread, np.empty(0)
    prefix = step_prefix(key, step)
    u = np.empty(markets.size)
    for i in range(markets.size):
        u[i] = keyed_uniform(np.uint64(uid[markets[i]]), prefix)
    return sigma, spread, u


@numba.njit(cache=True)
def _potency(v, top, noise, uid, markets, key, step, base, ndtri_loop, exp_loop):
    """Each market's potency: with a spread above 0 (:func:`_spread_and_draws`) ``base *
    exp(sigma z - sigma^2 / 2)``, ``z`` the normal quantile of the market's uniform, else
    ``base``. SciPy's ``ndtri`` and NumPy's ``exp`` (``ndtri_loop``, ``exp_loop``:
    :mod:`fentanet.simulate.nploops`) and the same products as NumPy's on the arrays
    (:func:`_log_normal_exponent`, then ``*= base``): the numbers of the calls the phase
    made one by one."""
    sigma, spread, u = _spread_and_draws(v, top, noise, uid, markets, key, step)
    if not spread:
        return np.full(sigma.size, base)
    z = np.empty(u.size)
    nploops.apply(ndtri_loop, u, z)
    x = _log_normal_exponent(sigma, z)
    nploops.apply(exp_loop, x, x)
    for i in range(x.size):
        x[i] *= base
    return x


@numba.njit(cache=True)
def _log_normal_exponent(sigma, z):
    """``sigma * z - 0.5 * sigma**2``, NumPy's operations on each element in its order
    (``sigma**2`` is NumPy's square, ``sigma * sigma``), in one pass."""
    out = np.empty(sigma.size)
    for i in range(sigma.size):
        out[i] = sigma[i] * z[i] - 0.5 * (sigma[i] * sigma[i])
    return out


@numba.njit(cache=True)
def _market(demand_base, demand0, offered, offer0, dt, inv_elasticity, power_loop, price_min,
            price_max, g, price, supply_prev, consumed, g_v, demand, avail0, log_loop, top,
            noise, uid, markets, key, step, base, ndtri_loop, exp_loop):
    """The phase's three compiled calls in one, in their order: the price index's target
    (:func:`_pressure`; not finite where S or D0 is 0: :func:`_update` clips it), the
    update of prices, supply reference, shares and availability (:func:`_update`), and
    the potency (:func:`_potency`, of :func:`_update`'s volatility). Returns
    :func:`_update`'s five values, then the potency."""
    target = _pressure(demand_base, demand0, offered, offer0, dt, inv_elasticity,
                       power_loop)
    ratio, prev, share_met, availability, sold = _update(
        target, demand0, price_min, price_max, g, price, supply_prev, consumed, g_v, demand,
        avail0, log_loop)
    potency = _potency(ratio, top, noise, uid, markets, key, step, base, ndtri_loop,
                       exp_loop)
    return ratio, prev, share_met, availability, sold, potency


def _rates(sim) -> tuple:
    """The run's constants: the price and supply-reference smoothing per step, the markets'
    demand weights, ``1 / elasticity`` and the potency trend's points as arrays (cached on
    the run, made again when the base demand or the market parameters are replaced)."""
    got = sim.__dict__.get("_market_rates")
    s, p = sim.s, sim.p.market
    if got is None or got[0] is not s.demand0 or got[1] is not p:
        g = 1.0 - np.exp(-sim.dt / p.price_memory_years)
        g_v = 1.0 - np.exp(-sim.dt / p.volatility_memory_years)
        w = s.demand0 / max(s.demand0.sum(), 1e-300)
        points = sorted(p.potency_trend)
        xs = np.array([x for x, _ in points], dtype=np.float64)
        ys = np.array([y for _, y in points], dtype=np.float64)
        got = sim._market_rates = (s.demand0, p, g, g_v, w, 1.0 / p.elasticity, xs, ys)
    return got[2:]


def _trend(xs: np.ndarray, ys: np.ndarray, t: float) -> float:
    """:func:`trend` of the sorted points ``xs``, ``ys``."""
    if not xs.size:
        return 1.0
    if xs.size == 1:
        return float(ys[0])
    return float(np.interp(t, xs, ys))


def run(sim) -> None:
    s, p = sim.s, sim.p.market
    f = sim.flows
    g, g_v, w, inv_elasticity, xs, ys = _rates(sim)
    consumed = f["consumed"]
    paid = float(np.dot(consumed, s.price))  # at the prices retail sold at (before the update)
    # volatility: shortfall of supply against its recent level (a disruption)
    ratio, s.supply_prev, share_met, availability, sold, s.potency = _market(
        f["demand_base"], s.demand0, f["offered"], s.offer0, sim.dt, inv_elasticity,
        nploops.POWER, p.price_min, p.price_max, g, s.price, s.supply_prev, consumed, g_v,
        f["demand"], s.avail0, nploops.LOG, VOLATILITY_MAX, p.potency_noise, s.actors.uid,
        s.markets, sim.streams.key("market.potency"), sim.step, _trend(xs, ys, sim.t),
        nploops.NDTRI, nploops.EXP)
    s.volatility = ratio
    f["share_met"] = share_met
    # relative to the status quo (the spin-up's steady state), as the population model's
    # parameters describe the status quo at availability 1
    f["availability"] = availability
    now = sim.now
    now["price_index"] = paid / sold if sold > 0 else (sim.rows[-1]["price_index"]
                                                       if sim.rows else 1.0)
    now["potency_index"] = float(np.dot(w, s.potency))
    now["potency_volatility"] = float(np.dot(w, s.volatility))
    now["availability"] = float(np.dot(w, availability))
    now["share_of_demand_met"] = float(np.dot(w, share_met))
