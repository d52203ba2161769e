"""Fitting a few scenario parameters to an observed annual series (deaths per year, say).

Each evaluation of the fit runs an ensemble of ``runs`` seeds, the same seeds every time
(common random numbers keep the objective from jumping with the draws), and compares the
ensemble mean of the simulated annual totals with the observations on a log scale:

    loss(theta) = sum over fitted years of (log(1 + sim_y(theta)) - log(1 + obs_y))^2

The optimiser is scipy's bounded Nelder-Mead on the parameters scaled to [0, 1].
Uncertainty comes from the Gauss-Newton approximation at the optimum: with the residual
vector r and its Jacobian J (forward differences, one ensemble per parameter),
``cov = s^2 (J^T J)^-1`` with ``s^2 = sum(r^2) / (n - p)``; intervals are +-1.96 standard
errors (Bates & Watts, *Nonlinear Regression Analysis and Its Applications*, 1988).
A backtest fits the years up to a cut-off and reports the error on the years after it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from fentanet.ensemble.core import ensemble, load_scenario
from fentanet.errors import InputError


def read_target(path: str | Path, *, column: str | None = None) -> pd.Series:
    """An observed annual series from a CSV with a ``year`` column and a value column
    (``column``, default the first other column), indexed by year."""
    path = Path(path)
    try:
        df = pd.read_csv(path)
    except (OSError, pd.errors.ParserError) as exc:
        raise InputError(f"cannot read the target: {exc}", file=path) from None
    if "year" not in df.columns:
        raise InputError(f"a target needs a 'year' column; it has {list(df.columns)}",
                         file=path, field="year")
    if column is None:
        others = [c for c in df.columns if c != "year"]
        if not others:
            raise InputError("a target needs a value column after 'year'", file=path)
        column = others[0]
    if column not in df.columns:
        raise InputError(f"no column {column!r}; have {list(df.columns)}", file=path,
                         field=column)
    values = pd.to_numeric(df[column], errors="coerce")
    bad = values.isna() | pd.to_numeric(df["year"], errors="coerce").isna()
    if bad.any():
        line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise InputError("expected a number", file=path, line=line, field=column)
    return pd.Series(values.to_numpy(float), index=df["year"].astype(int).to_numpy(),
                     name=column)


def annual(series: pd.DataFrame, metric: str, start_year: int | None = None) -> pd.Series:
    """Annual totals of a per-step ``metric``: by the ``year`` column's integer part, or by
    whole years of ``time`` counted from ``start_year`` (0 when unknown)."""
    if metric not in series.columns:
        raise InputError(f"the runs have no series {metric!r}", field="metric")
    if "year" in series.columns:
        year = np.floor(series["year"].to_numpy(float) + 1e-9).astype(int)
    else:
        year = np.floor(series["time"].to_numpy(float) + 1e-9).astype(int) + (start_year or 0)
    return series[metric].groupby(year).sum()


@dataclass
class Calibration:
    """The fit: parameters with standard errors and intervals, the error per year."""

    params: pd.DataFrame
    fit: pd.DataFrame
    loss: float
    evaluations: int
    cutoff: int | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def best(self) -> dict[str, float]:
        return dict(zip(self.params.parameter, self.params.value, strict=True))


def calibrate(scenario: Any, target: pd.Series, ranges: Mapping[str, Sequence[float]], *,
              metric: str = "deaths", runs: int = 4, cutoff: int | None = None,
              start: Mapping[str, float] | None = None, max_evaluations: int = 60,
              seed: int | None = None, **kw: Any) -> Calibration:
    """Fit the parameters in ``ranges`` (dotted paths -> (low, high)) so that the ensemble
    mean of the annual totals of the series ``metric`` matches ``target`` (a series indexed
    by year); with ``cutoff``, fit only the years up to it (a backtest: the table ``fit``
    then marks the years after it as ``held out``). ``kw`` go to
    :func:`~fentanet.ensemble.ensemble` (``scheduler``, ``store``, ``model``...)."""
    from fentanet.ensemble.sensitivity import _ranges

    sc = load_scenario(scenario)
    rng = _ranges(ranges)
    names = list(rng)
    lo = np.array([rng[n][0] for n in names])
    hi = np.array([rng[n][1] for n in names])
    target = pd.Series(target, dtype=float).sort_index()
    fit_years = target.index if cutoff is None else target.index[target.index <= cutoff]
    if len(fit_years) <= len(names):
        raise InputError(f"{len(fit_years)} years to fit {len(names)} parameters: need more "
                         f"years than parameters", field="cutoff")
    start_year = getattr(sc, "start_year", None)
    kw.setdefault("progress", False)
    history: list[dict[str, Any]] = []
    cache: dict[tuple[float, ...], pd.Series] = {}

    def simulate_at(theta: np.ndarray) -> pd.Series:
        key = tuple(np.round(theta, 12))
        if key not in cache:
            point = {n: float(v) for n, v in zip(names, theta, strict=True)}
            ens = ensemble(sc.override(point), runs, seed=seed, **kw)
            if not ens.failed.empty:
                raise InputError(f"runs failed at {point}: "
                                 f"{ens.failed.error.iloc[0].splitlines()[0]}")
            per_run = [annual(g.drop(columns=["run_id", "variant", "seed"]), metric,
                              start_year) for _, g in ens.series().groupby("run_id")]
            cache[key] = pd.concat(per_run, axis=1).mean(axis=1)
        return cache[key]

    def residuals(theta: np.ndarray, years: Sequence[int]) -> np.ndarray:
        sim = simulate_at(theta).reindex(years)
        if sim.isna().any():
            missing = list(sim.index[sim.isna()])
            raise InputError(f"the runs do not cover the target years {missing}; set the "
                             f"scenario's start_year and years to span them", field="target")
        return np.log1p(sim.to_numpy()) - np.log1p(target.reindex(years).to_numpy())

    def loss(u: np.ndarray) -> float:
        theta = lo + np.clip(u, 0, 1) * (hi - lo)
        value = float(np.sum(residuals(theta, fit_years) ** 2))
        history.append({**dict(zip(names, theta, strict=True)), "loss": value})
        return value

    if start is None:
        u0 = np.full(len(names), 0.5)
    else:
        u0 = np.array([(float(start[n]) - rng[n][0]) / (rng[n][1] - rng[n][0])
                       for n in names])
    res = optimize.minimize(loss, u0, method="Nelder-Mead", bounds=[(0, 1)] * len(names),
                            options={"maxfev": int(max_evaluations), "xatol": 1e-3,
                                     "fatol": 1e-6, "initial_simplex": _simplex(u0)})
    best = lo + np.clip(res.x, 0, 1) * (hi - lo)
    r = residuals(best, fit_years)
    # Gauss-Newton covariance with forward differences of 1% of each range
    h = 0.01 * (hi - lo)
    J = np.empty((len(r), len(names)))
    for j in range(len(names)):
        step = np.zeros(len(names))
        step[j] = h[j] if best[j] + h[j] <= hi[j] else -h[j]
        J[:, j] = (residuals(best + step, fit_years) - r) / step[j]
    dof = max(len(r) - len(names), 1)
    s2 = float(r @ r) / dof
    try:
        cov = s2 * np.linalg.inv(J.T @ J)
        se = np.sqrt(np.clip(np.diag(cov), 0, None))
    except np.linalg.LinAlgError:
        se = np.full(len(names), np.nan)  # not identifiable from these years
    params = pd.DataFrame({"parameter": names, "value": best, "std_error": se,
                           "ci_low": best - 1.96 * se, "ci_high": best + 1.96 * se,
                           "low": lo, "high": hi})
    sim = simulate_at(best).reindex(target.index)
    fit = pd.DataFrame({"year": target.index, "observed": target.to_numpy(),
                        "simulated": sim.to_numpy()})
    fit["error"] = fit.simulated - fit.observed
    fit["relative_error"] = fit.error / fit.observed.where(fit.observed != 0)
    fit["held_out"] = [cutoff is not None and y > cutoff for y in fit.year]
    return Calibration(params=params, fit=fit, loss=float(res.fun),
                       evaluations=len(history), cutoff=cutoff, history=history)


def _simplex(u0: np.ndarray) -> np.ndarray:
    """A starting simplex of a quarter of each range around ``u0`` (inside [0, 1])."""
    pts = [u0]
    for j in range(len(u0)):
        p = u0.copy()
        p[j] = u0[j] + 0.25 if u0[j] + 0.25 <= 1 else u0[j] - 0.25
        pts.append(p)
    return np.array(pts)


def rmse_log(fit: pd.DataFrame, *, held_out: bool | None = None) -> float:
    """Root mean squared log error of a fit table (all years, or only those held out or
    fitted)."""
    f = fit if held_out is None else fit[fit.held_out == held_out]
    if f.empty:
        return math.nan
    d = np.log1p(f.simulated.to_numpy()) - np.log1p(f.observed.to_numpy())
    return float(np.sqrt(np.mean(d * d)))
