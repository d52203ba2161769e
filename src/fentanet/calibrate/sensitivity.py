"""Sensitivity of a model output to its parameters: one at a time, and global.

- :func:`one_at_a_time`: each parameter at its low and its high value, the others at their
  base values, the same seeds throughout (common random numbers); the swing of the output
  ranks the parameters (a tornado diagram, :func:`tornado_figure`).
- :func:`latin_hypercube`: ``samples`` points of a Latin hypercube over the parameters'
  ranges (``scipy.stats.qmc``; log-uniform for positive ranges spanning a factor of 10 or
  more), one run per point and seed, and the partial rank correlation coefficient (PRCC)
  of each parameter with the output (Marino, Hogue, Ray & Kirschner, J Theor Biol 2008):
  the correlation of the ranks of the parameter and of the output once the ranks of the
  other parameters are regressed out, with its p-value from Student's t on
  ``samples - 2 - (k - 1)`` degrees of freedom.

The output (``metric``) is a column of the model's per-step series summed over the run and
divided by its years (a mean per year: fatal overdoses a year, say), averaged over seeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from fentanet.calibrate.fit import Parameter
from fentanet.errors import InputError


def _metric_of(model: Any, values: dict[str, float], seed: int, metric: str) -> float:
    s = model.run(values, seed)
    if metric not in s.columns:
        raise InputError(f"the model has no series '{metric}'", field="metric")
    return float(s[metric].sum()) / model.years


def _evaluate(
    model: Any,
    points: list[dict[str, float]],
    seeds: Sequence[int],
    metric: str,
    client: Any = None,
) -> np.ndarray:
    """The metric at each point, averaged over seeds (one run per point and seed)."""
    jobs = [(p, int(s)) for p in points for s in seeds]
    if client is None:
        vals = [_metric_of(model, p, s, metric) for p, s in jobs]
    else:
        [mf] = client.scatter([model], broadcast=True, hash=False)
        vals = client.gather(
            [client.submit(_metric_of, mf, p, s, metric, pure=False) for p, s in jobs]
        )
    return np.asarray(vals, dtype=float).reshape(len(points), len(seeds)).mean(axis=1)


def one_at_a_time(
    model: Any,
    parameters: Sequence[Parameter],
    metric: str = "fatal",
    *,
    seeds: Sequence[int] = (1, 2),
    base: dict[str, float] | None = None,
    client: Any = None,
) -> pd.DataFrame:
    """Each parameter at its ``low`` and ``high``, the others at ``base`` (default: their
    ``start`` if given, else the model's own value).

    Returns one row per parameter, sorted by swing: ``parameter``, ``low``, ``high``,
    ``base_value``, ``metric_low``, ``metric_base``, ``metric_high``, ``swing`` (high minus
    low output, absolute) and ``elasticity`` (relative change of the output per relative
    change of the parameter, from low to high, where both are non-zero).
    """
    params = list(parameters)
    if not params:
        raise InputError("give at least one parameter", field="parameters")
    base = dict(base or {})
    for p in params:
        base.setdefault(p.name, p.start if p.start is not None else model.value(p.name))
    points = [dict(base)]
    for p in params:
        points += [{**base, p.name: p.low}, {**base, p.name: p.high}]
    vals = _evaluate(model, points, seeds, metric, client)
    rows = []
    for i, p in enumerate(params):
        lo, hi = vals[1 + 2 * i], vals[2 + 2 * i]
        b = base[p.name]
        with np.errstate(divide="ignore", invalid="ignore"):
            el = ((hi - lo) / vals[0]) / ((p.high - p.low) / b) if b and vals[0] else np.nan
        rows.append(
            {
                "parameter": p.name,
                "low": p.low,
                "high": p.high,
                "base_value": b,
                "metric_low": lo,
                "metric_base": vals[0],
                "metric_high": hi,
                "swing": abs(hi - lo),
                "elasticity": float(el),
            }
        )
    return (
        pd.DataFrame(rows)
        .sort_values("swing", ascending=False)
        .reset_index(drop=True)
        .assign(metric=metric)
    )


def tornado_figure(table: pd.DataFrame, title: str | None = None) -> Any:
    """A plotly tornado diagram of :func:`one_at_a_time`'s table."""
    import plotly.graph_objects as go

    t = table.iloc[::-1]
    base = float(t["metric_base"].iloc[0])
    fig = go.Figure()
    fig.add_bar(
        y=t["parameter"],
        x=t["metric_low"] - base,
        base=base,
        orientation="h",
        name="parameter low",
        marker_color="#4c78a8",
    )
    fig.add_bar(
        y=t["parameter"],
        x=t["metric_high"] - base,
        base=base,
        orientation="h",
        name="parameter high",
        marker_color="#e45756",
    )
    fig.update_layout(
        barmode="overlay",
        title=title or f"Sensitivity of {t['metric'].iloc[0]}",
        xaxis_title=f"{t['metric'].iloc[0]} per year",
        yaxis_title="",
    )
    return fig


def prcc(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Partial rank correlation of each column of ``x`` (n x k) with ``y``, and p-values."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n, k = x.shape
    if n <= k + 2:
        raise InputError(f"PRCC needs more than {k + 2} samples, got {n}", field="samples")
    rx = np.column_stack([stats.rankdata(x[:, j]) for j in range(k)])
    ry = stats.rankdata(y)
    coef = np.empty(k)
    for j in range(k):
        others = np.column_stack([np.ones(n), np.delete(rx, j, axis=1)])
        res_x = rx[:, j] - others @ np.linalg.lstsq(others, rx[:, j], rcond=None)[0]
        res_y = ry - others @ np.linalg.lstsq(others, ry, rcond=None)[0]
        den = np.sqrt((res_x @ res_x) * (res_y @ res_y))
        coef[j] = (res_x @ res_y) / den if den > 0 else 0.0
    dof = n - 2 - (k - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = coef * np.sqrt(dof / np.clip(1 - coef**2, 1e-300, None))
    p = 2 * stats.t.sf(np.abs(t), dof)
    return coef, p


def latin_hypercube(
    model: Any,
    parameters: Sequence[Parameter],
    metric: str = "fatal",
    *,
    samples: int = 50,
    seeds: Sequence[int] = (1,),
    seed: int = 0,
    client: Any = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Latin hypercube over the parameters and PRCC of each with the metric.

    Returns ``(design, table)``: the sampled points with the metric, and one row per
    parameter with ``prcc`` and ``p_value``, sorted by ``|prcc|``.
    """
    params = list(parameters)
    if not params:
        raise InputError("give at least one parameter", field="parameters")
    k = len(params)
    unit = qmc.LatinHypercube(d=k, seed=seed).random(int(samples))
    cols = {}
    for j, p in enumerate(params):
        if p.low > 0 and p.high / p.low >= 10:
            cols[p.name] = np.exp(np.log(p.low) + unit[:, j] * np.log(p.high / p.low))
        else:
            cols[p.name] = p.low + unit[:, j] * (p.high - p.low)
    design = pd.DataFrame(cols)
    points = [dict(r) for r in design.to_dict(orient="records")]
    design[metric] = _evaluate(model, points, seeds, metric, client)
    coef, pval = prcc(design[[p.name for p in params]].to_numpy(), design[metric].to_numpy())
    table = pd.DataFrame(
        {"parameter": [p.name for p in params], "prcc": coef, "p_value": pval, "metric": metric}
    )
    table = table.reindex(table["prcc"].abs().sort_values(ascending=False).index)
    return design, table.reset_index(drop=True)
