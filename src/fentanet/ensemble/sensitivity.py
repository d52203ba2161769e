"""Sensitivity of a run's outcome to its parameters: one at a time (tornado) and global
(Latin hypercube sample with partial rank correlation coefficients).

Both run as ensembles (Dask, the run store) with common random numbers: every point of
the design runs the same seeds, so the differences between points come from the
parameters, not from the draws.

References: Marino, Hogue, Ray & Kirschner, "A methodology for performing global
uncertainty and sensitivity analysis in systems biology", J. Theor. Biol. 254 (2008)
178-196 (LHS and PRCC); McKay, Beckman & Conover, Technometrics 21 (1979) 239-245 (LHS).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from fentanet.ensemble.core import ensemble
from fentanet.ensemble.results import DEATHS, Ensemble, mean_interval
from fentanet.errors import InputError


def _ranges(ranges: Mapping[str, Sequence[float]]) -> dict[str, tuple[float, float]]:
    if not ranges:
        raise InputError("give at least one parameter range", field="ranges")
    out = {}
    for name, r in ranges.items():
        try:
            lo, hi = (float(v) for v in r)
        except (TypeError, ValueError):
            raise InputError(f"expected (low, high), got {r!r}", field=name) from None
        if not lo < hi:
            raise InputError(f"low must be below high, got ({lo}, {hi})", field=name)
        out[str(name)] = (lo, hi)
    return out


def _per_point(ens: Ensemble, metric: str) -> pd.DataFrame:
    """One row per finished run: the point's parameters (a dict), seed and the metric."""
    runs = ens.runs()
    runs = runs[runs.status == "done"]
    summary = ens.summary()
    if metric not in summary.columns:
        have = [c for c in summary.columns if c not in ("run_id", "ensemble_id", "scenario",
                                                         "variant", "seed")]
        raise InputError(f"no summary metric {metric!r}; have {have}", field="metric")
    df = runs[["run_id", "seed", "params"]].merge(summary[["run_id", metric]], on="run_id")
    df["point"] = [tuple(sorted(p.items())) for p in df.params]
    return df


def tornado(scenario: Any, ranges: Mapping[str, Sequence[float]], *, runs: int = 10,
            metric: str = DEATHS, level: float = 0.95, **kw: Any) -> pd.DataFrame:
    """One-at-a-time sensitivity: each parameter at its low and its high value, the others
    at the scenario's values, on the same ``runs`` seeds as the base.

    Returns one row per parameter, largest swing first: ``low``, ``high``, the mean
    ``metric`` at the base, low and high, the mean per-seed change from the base at low
    and at high with their t-intervals, and ``swing`` (high minus low). ``kw`` go to
    :func:`~fentanet.ensemble.ensemble` (``scheduler``, ``store``, ``seed``, ...).
    """
    rng = _ranges(ranges)
    points = [{}] + [{name: v} for name, (lo, hi) in rng.items() for v in (lo, hi)]
    ens = ensemble(scenario, runs, sweep=points, **kw)
    return tornado_table(ens, metric=metric, level=level, ranges=rng)


def tornado_table(ens: Ensemble, *, metric: str = DEATHS, level: float = 0.95,
                  ranges: Mapping[str, Sequence[float]] | None = None) -> pd.DataFrame:
    """The table of :func:`tornado` from its ensemble (just run, or reopened from the
    store with ``Ensemble.load``): the base point has no parameter set, every other
    point one. Without ``ranges`` each parameter's low and high are the smallest and
    largest value it was run at."""
    df = _per_point(ens, metric)
    if ranges is None:  # from every run's point, finished or not (as tornado() reports)
        found: dict[str, list[float]] = {}
        for point in {tuple(sorted(p.items())) for p in ens.runs().params}:
            if len(point) > 1:
                raise InputError(f"ensemble {ens.id} is not a one-at-a-time design (point "
                                 f"{dict(point)} sets several parameters)", field="ensemble")
            for name, v in point:
                found.setdefault(name, []).append(float(v))
        rng = {name: (min(vs), max(vs)) for name, vs in found.items()}
    else:
        rng = _ranges(ranges)
    if not rng:
        raise InputError(f"ensemble {ens.id} varies no parameter", field="ensemble")
    if not (df.point == ()).any():
        raise InputError(f"ensemble {ens.id} has no finished run at the base point",
                         field="ensemble")
    base = df[df.point == ()].set_index("seed")[metric]
    rows = []
    for name, (lo, hi) in rng.items():
        row: dict[str, Any] = {"parameter": name, "low": lo, "high": hi,
                               "base": float(base.mean())}
        for label, v in (("low", lo), ("high", hi)):
            at = df[df.point == ((name, v),)].set_index("seed")[metric]
            common = at.index.intersection(base.index)
            m, a, b = mean_interval((at.loc[common] - base.loc[common]).to_numpy(), level)
            row[f"at_{label}"] = float(at.mean())
            row[f"change_{label}"], row[f"change_{label}_ci_low"], \
                row[f"change_{label}_ci_high"] = m, a, b
        row["swing"] = row["change_high"] - row["change_low"]
        row["seeds"] = len(base)
        rows.append(row)
    out = pd.DataFrame(rows)
    out = out.reindex(out.swing.abs().sort_values(ascending=False).index
                      ).reset_index(drop=True)
    out.attrs["ensemble"] = ens.id
    out.attrs["metric"] = metric
    return out


def latin_hypercube(ranges: Mapping[str, Sequence[float]], samples: int, *,
                    seed: int = 0) -> pd.DataFrame:
    """A Latin hypercube sample of the parameter ranges (``scipy.stats.qmc``), one row per
    point: each parameter's range is cut into ``samples`` equal strata, each hit once."""
    rng = _ranges(ranges)
    if int(samples) < 2:
        raise InputError(f"samples must be at least 2, got {samples}", field="samples")
    from scipy.stats import qmc

    unit = qmc.LatinHypercube(d=len(rng), seed=seed).random(int(samples))
    lo = np.array([r[0] for r in rng.values()])
    hi = np.array([r[1] for r in rng.values()])
    return pd.DataFrame(qmc.scale(unit, lo, hi), columns=list(rng))


def prcc(X: pd.DataFrame, y: Sequence[float] | pd.Series) -> pd.DataFrame:
    """Partial rank correlation of ``y`` with each column of ``X``, the others held fixed.

    Ranks are taken of every column and of ``y``; for each parameter the ranks of it and
    of ``y`` are regressed (least squares with intercept) on the ranks of the other
    parameters, and the PRCC is the Pearson correlation of the two residuals. The
    p-value tests PRCC = 0 with ``t = r sqrt((n - 2 - p) / (1 - r^2))`` on ``n - 2 - p``
    degrees of freedom, ``p`` the number of parameters held fixed (Marino et al. 2008).
    """
    X = pd.DataFrame(X)
    y = np.asarray(y, dtype=float)
    n, k = X.shape
    if len(y) != n:
        raise InputError(f"{n} samples of parameters but {len(y)} outcomes", field="y")
    if n < k + 3:
        raise InputError(f"PRCC of {k} parameters needs at least {k + 3} samples, got {n}",
                         field="samples")
    R = np.column_stack([stats.rankdata(X[c]) for c in X.columns])
    ry = stats.rankdata(y)
    rows = []
    for i, name in enumerate(X.columns):
        Z = np.column_stack([np.ones(n), np.delete(R, i, axis=1)])
        res_x = R[:, i] - Z @ np.linalg.lstsq(Z, R[:, i], rcond=None)[0]
        res_y = ry - Z @ np.linalg.lstsq(Z, ry, rcond=None)[0]
        denom = np.sqrt((res_x @ res_x) * (res_y @ res_y))
        r = float(res_x @ res_y / denom) if denom > 0 else np.nan
        df = n - 2 - (k - 1)
        if np.isnan(r) or abs(r) >= 1:
            p = 0.0 if not np.isnan(r) else np.nan
        else:
            t = r * np.sqrt(df / (1 - r * r))
            p = float(2 * stats.t.sf(abs(t), df))
        rows.append({"parameter": name, "prcc": r, "p_value": p, "samples": n})
    return pd.DataFrame(rows)


def global_sensitivity(scenario: Any, ranges: Mapping[str, Sequence[float]], *,
                       samples: int = 50, runs: int = 1, metric: str = DEATHS,
                       design_seed: int = 0, **kw: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Latin hypercube sample of the ranges, ``runs`` common seeds per point, and the PRCC
    of the mean ``metric`` over seeds with each parameter.

    Returns ``(prcc table sorted by |PRCC|, design with the outcome per point)``.
    """
    design = latin_hypercube(ranges, samples, seed=design_seed)
    points = design.to_dict("records")
    ens = ensemble(scenario, runs, sweep=points, **kw)
    df = _per_point(ens, metric)
    outcome = df.groupby("point")[metric].mean()
    design[metric] = [outcome.get(tuple(sorted(p.items())), np.nan) for p in points]
    done = design.dropna(subset=[metric])
    table = prcc(done[list(design.columns[:-1])], done[metric])
    table.attrs["ensemble"] = ens.id
    table = table.reindex(table.prcc.abs().sort_values(ascending=False).index)
    return table.reset_index(drop=True), design
