"""Fit a few parameters of a model to observed annual series.

Method: nonlinear least squares on log residuals, ``log(simulated + 0.5) - log(observed +
0.5)`` per target and year (weighted; deaths range over two orders of magnitude, so every
year counts alike), with SciPy's trust-region reflective solver under bounds
(``scipy.optimize.least_squares``). Each evaluation runs the model at the same seeds
(common random numbers: the objective is a deterministic function of the parameters) and
averages the annual series over them. Positive parameters are fitted on the log scale. A
target with a free scale (``observed = kappa x simulated``) has kappa profiled out at
every evaluation: the simulated series is brought to the observed one's mean, then the
remaining log offset takes its least-squares value.

Uncertainty: the Gauss-Newton covariance ``s^2 (J'J)^-1`` of the fitted (transformed)
parameters, ``J`` the Jacobian of the residuals by forward differences at the optimum and
``s^2`` the residual variance (residual sum of squares over its degrees of freedom); 90%
intervals from Student's t, back-transformed. Identifiability: the parameters'
correlation matrix, the condition number of ``J`` scaled to the parameters' ranges, and a
flag for any parameter whose interval spans more than half its range or that correlates
above 0.95 with another (at most four parameters at once, DESIGN.md).

Backtest: fit on the years up to a cut-off, report the error on the years after it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from fentanet.calibrate.targets import Target, annual
from fentanet.errors import InputError

MAX_PARAMETERS = 4
OFFSET = 0.5
"""Added to counts before taking logs (a year with no deaths stays finite)."""


@dataclass(frozen=True)
class Parameter:
    """A parameter to fit (or vary): its name, bounds, and optionally a start value.

    ``log`` (default: when ``low > 0``) fits it on the log scale.
    """

    name: str
    low: float
    high: float
    start: float | None = None
    log: bool | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise InputError(
                f"expected finite bounds low < high, got {self.low}, {self.high}", field=self.name
            )
        if self.start is not None and not self.low <= self.start <= self.high:
            raise InputError(
                f"start {self.start} is outside [{self.low}, {self.high}]", field=self.name
            )
        if self.log and self.low <= 0:
            raise InputError("a log-scale parameter needs low > 0", field=self.name)

    @property
    def on_log(self) -> bool:
        return self.low > 0 if self.log is None else bool(self.log)

    def to_u(self, x: float | np.ndarray) -> Any:
        return np.log(x) if self.on_log else np.asarray(x, dtype=float)

    def from_u(self, u: float | np.ndarray) -> Any:
        return np.exp(u) if self.on_log else np.asarray(u, dtype=float)

    @property
    def u_bounds(self) -> tuple[float, float]:
        return float(self.to_u(self.low)), float(self.to_u(self.high))

    def u_start(self) -> float:
        if self.start is not None:
            return float(self.to_u(self.start))
        lo, hi = self.u_bounds
        return (lo + hi) / 2

    @classmethod
    def parse(cls, text: str) -> Parameter:
        """``name=low:high`` or ``name=low:high:start`` (the command line's form)."""
        try:
            name, rng = text.split("=", 1)
            parts = [float(p) for p in rng.split(":")]
        except ValueError:
            raise InputError(
                f"expected name=low:high[:start], got {text!r}", field="param"
            ) from None
        if len(parts) not in (2, 3):
            raise InputError(f"expected name=low:high[:start], got {text!r}", field="param")
        return cls(name.strip(), parts[0], parts[1], parts[2] if len(parts) == 3 else None)


def _annuals(
    model: Any, values: dict[str, float], seed: int, specs: tuple[tuple[str, str, str], ...]
) -> dict[str, pd.Series]:
    """One run, reduced to the annual series the targets need (runs on a worker)."""
    series = model.run(values, seed)
    return {
        name: annual(series, col, start_year=model.start_year, dt=model.dt, period=per)
        for name, col, per in specs
    }


class Evaluator:
    """Runs a model at parameter points and seeds, in parallel on Dask when given a client,
    and averages each target's annual series over the seeds. Points are cached."""

    def __init__(
        self, model: Any, targets: Sequence[Target], seeds: Sequence[int], client: Any = None
    ) -> None:
        self.model = model
        self.seeds = [int(s) for s in seeds]
        if not self.seeds:
            raise InputError("at least one seed is needed", field="seeds")
        self.specs = tuple(dict.fromkeys((t.name, t.series, t.period) for t in targets))
        self.client = client
        self.cache: dict[tuple, dict[str, pd.Series]] = {}
        self.runs = 0
        self._model_f = None

    def __call__(self, points: list[dict[str, float]]) -> list[dict[str, pd.Series]]:
        keys = [tuple(sorted(p.items())) for p in points]
        todo = [k for k in dict.fromkeys(keys) if k not in self.cache]
        jobs = [(dict(k), s) for k in todo for s in self.seeds]
        if self.client is None:
            results = [_annuals(self.model, v, s, self.specs) for v, s in jobs]
        else:
            if self._model_f is None:
                [self._model_f] = self.client.scatter([self.model], broadcast=True, hash=False)
            futures = [
                self.client.submit(_annuals, self._model_f, v, s, self.specs, pure=False)
                for v, s in jobs
            ]
            results = self.client.gather(futures)
        self.runs += len(jobs)
        n = len(self.seeds)
        for i, k in enumerate(todo):
            runs = results[i * n : (i + 1) * n]
            self.cache[k] = {
                name: pd.concat([r[name] for r in runs], axis=1).mean(axis=1)
                for name, _, _ in self.specs
            }
        return [self.cache[k] for k in keys]


def _residuals(
    sim: dict[str, pd.Series], targets: Sequence[Target]
) -> tuple[np.ndarray, dict[str, float]]:
    parts, scales = [], {}
    for t in targets:
        s = sim[t.name]
        missing = sorted(set(t.observed.index) - set(s.index))
        if missing:
            raise InputError(
                f"the model's run does not cover the year(s) {missing} of target "
                f"'{t.name}' (it covers {list(s.index)})",
                field="years",
            )
        sim_v = s.loc[t.observed.index].to_numpy(dtype=float)
        obs_v = t.observed.to_numpy(dtype=float)
        if t.scale == "free":
            # compare on the observed scale: simulated x r (r the ratio of the means), then
            # profile the remaining log offset
            ms = float(sim_v.mean())
            r = float(obs_v.mean()) / ms if ms > 0 else 1.0
            d = np.log(r * sim_v + OFFSET) - np.log(obs_v + OFFSET)
            c = -float(d.mean())
            d = d + c
            scales[t.name] = r * math.exp(c)
        else:
            d = np.log(sim_v + OFFSET) - np.log(obs_v + OFFSET)
        parts.append(math.sqrt(t.weight) * d)
    return np.concatenate(parts), scales


@dataclass
class Calibration:
    """The result of :func:`calibrate`.

    ``parameters``: one row per parameter (estimate, 90% interval, bounds, start,
    ``at_bound``, ``identified``); ``fit``: one row per target and year (observed,
    simulated, relative error, ``used`` in the fit or held out); ``correlation`` of the
    estimates; ``scales``: fitted kappa of free-scale targets; ``summary``: errors, the
    condition number, evaluations and the solver's message.
    """

    parameters: pd.DataFrame
    fit: pd.DataFrame
    correlation: pd.DataFrame
    scales: dict[str, float]
    summary: dict[str, Any]
    values: dict[str, float] = field(default_factory=dict)

    def overrides(self) -> dict[str, float]:
        """The estimates as ``{name: value}`` (dotted scenario paths and ``fentanyl.*``)."""
        return dict(self.values)

    def to_dict(self) -> dict[str, Any]:
        return {
            "parameters": self.parameters.to_dict(orient="records"),
            "fit": self.fit.to_dict(orient="records"),
            "correlation": self.correlation.to_dict(),
            "scales": self.scales,
            "summary": self.summary,
            "values": self.values,
        }

    def markdown(self) -> str:
        """Parameters and the fit per year as Markdown tables (for documentation)."""
        p = self.parameters
        lines = [
            "| parameter | estimate | 90% interval | bounds | identified |",
            "|---|---|---|---|---|",
        ]
        for r in p.itertuples():
            lines.append(
                f"| `{r.name}` | {r.estimate:.6g} | {r.low90:.6g} - {r.high90:.6g} | "
                f"{r.low:.4g} - {r.high:.4g} | {'yes' if r.identified else 'no'} |"
            )
        lines += [
            "",
            "| target | year | observed | simulated | error | used |",
            "|---|---|---|---|---|---|",
        ]
        for r in self.fit.itertuples():
            lines.append(
                f"| {r.target} | {r.year} | {r.observed:,.0f} | {r.simulated:,.0f} | "
                f"{100 * r.relative_error:+.1f}% | {'fit' if r.used else 'test'} |"
            )
        return "\n".join(lines)

    def check(
        self, model: Any, targets: Sequence[Target], seeds: Sequence[int] = (1,), client: Any = None
    ) -> pd.DataFrame:
        """The fit of another model (say, the full simulation after a surrogate's fit) at the
        estimates: one row per target and year, as :attr:`fit`."""
        ev = Evaluator(model, targets, seeds, client)
        sim = ev([self.values])[0]
        return _fit_table(sim, targets, set(), _residuals(sim, targets)[1])


def _fit_table(
    sim: dict[str, pd.Series],
    targets: Sequence[Target],
    used: set[tuple[str, int]],
    scales: dict[str, float],
) -> pd.DataFrame:
    rows = []
    for t in targets:
        k = scales.get(t.name, 1.0)
        s = sim[t.name]
        for year, obs in t.observed.items():
            val = float(s.get(year, np.nan)) * k
            rows.append(
                {
                    "target": t.name,
                    "year": int(year),
                    "observed": float(obs),
                    "simulated": val,
                    "relative_error": val / obs - 1 if obs else np.nan,
                    "log_error": math.log(val + 1) - math.log(obs + 1),
                    "used": (t.name, int(year)) in used,
                }
            )
    return pd.DataFrame(rows)


def calibrate(
    model: Any,
    targets: Sequence[Target],
    parameters: Sequence[Parameter],
    *,
    seeds: Sequence[int] = (1, 2),
    fit_years: tuple[int, int] | None = None,
    backtest: int | None = None,
    client: Any = None,
    max_evaluations: int = 60,
    diff_step: float = 0.02,
    progress: Callable[[int, float], None] | None = None,
) -> Calibration:
    """Fit ``parameters`` of ``model`` to ``targets`` (see the module docstring).

    ``fit_years``: (first, last) years used (default: every observed year the run
    covers); ``backtest``: the last year of the fit, later years are held out and
    reported as the test error. ``max_evaluations`` bounds the solver's iterations
    (each needs ``1 + len(parameters)`` points, times ``len(seeds)`` runs);
    ``diff_step`` is the forward-difference step as a share of each parameter's range.
    ``progress(evaluations, cost)`` is called after each point.
    """
    params = list(parameters)
    if not 1 <= len(params) <= MAX_PARAMETERS:
        raise InputError(
            f"fit 1 to {MAX_PARAMETERS} parameters at once (identifiability), got {len(params)}",
            field="parameters",
        )
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise InputError("a parameter is given twice", field="parameters")
    if not targets:
        raise InputError("give at least one target", field="targets")
    first, last = fit_years if fit_years is not None else (None, None)
    if backtest is not None:
        last = int(backtest) if last is None else min(last, int(backtest))
    fit_targets = [t.window(first, last) for t in targets]
    for t in fit_targets:
        if len(t.observed) == 0:
            raise InputError(
                f"no observed years left to fit in target '{t.name}'", field="fit_years"
            )
    all_targets = [t.window(first, None) for t in targets]
    ev = Evaluator(model, all_targets, seeds, client)
    lo = np.array([p.u_bounds[0] for p in params])
    hi = np.array([p.u_bounds[1] for p in params])
    u0 = np.array([p.u_start() for p in params])
    span = hi - lo

    def values(u: np.ndarray) -> dict[str, float]:
        return {p.name: float(p.from_u(x)) for p, x in zip(params, u, strict=True)}

    def fun(u: np.ndarray) -> np.ndarray:
        r, _ = _residuals(ev([values(u)])[0], fit_targets)
        if progress is not None:
            progress(ev.runs, float(r @ r) / 2)
        return r

    def jac(u: np.ndarray) -> np.ndarray:
        steps = diff_step * span
        pts = []
        for i in range(len(u)):
            v = u.copy()
            v[i] = v[i] + steps[i] if v[i] + steps[i] <= hi[i] else v[i] - steps[i]
            pts.append(v)
        sims = ev([values(u)] + [values(v) for v in pts])
        r0, _ = _residuals(sims[0], fit_targets)
        cols = [
            (_residuals(s, fit_targets)[0] - r0) / (v[i] - u[i])
            for i, (s, v) in enumerate(zip(sims[1:], pts, strict=True))
        ]
        return np.column_stack(cols)

    res = optimize.least_squares(
        fun, u0, jac=jac, bounds=(lo, hi), method="trf", x_scale=span, max_nfev=max_evaluations
    )
    u = res.x
    est = values(u)
    r, _ = _residuals(ev([est])[0], fit_targets)
    J = jac(u)
    n = r.size
    n_scales = sum(t.scale == "free" for t in fit_targets)
    dof = n - len(params) - n_scales
    ssr = float(r @ r)
    s2 = ssr / dof if dof > 0 else np.nan
    cov = s2 * np.linalg.pinv(J.T @ J)
    sd = np.sqrt(np.clip(np.diag(cov), 0, None))
    tq = float(stats.t.ppf(0.95, dof)) if dof > 0 else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sd, sd)
    sv = np.linalg.svd(J * span, compute_uv=False)
    cond = float(sv[0] / sv[-1]) if sv[-1] > 0 else np.inf
    rows = []
    for i, p in enumerate(params):
        lo_u, hi_u = u[i] - tq * sd[i], u[i] + tq * sd[i]
        others = [abs(corr[i, j]) for j in range(len(params)) if j != i]
        identified = bool(
            np.isfinite(sd[i])
            and 2 * tq * sd[i] <= 0.5 * span[i]
            and all(c <= 0.95 for c in others if np.isfinite(c))
        )
        rows.append(
            {
                "name": p.name,
                "estimate": est[p.name],
                "low90": float(p.from_u(lo_u)),
                "high90": float(p.from_u(hi_u)),
                "sd_transformed": float(sd[i]),
                "scale": "log" if p.on_log else "linear",
                "low": p.low,
                "high": p.high,
                "start": float(p.from_u(u0[i])),
                "at_bound": bool(np.isclose(u[i], lo[i]) or np.isclose(u[i], hi[i])),
                "identified": identified,
            }
        )
    table = pd.DataFrame(rows)
    sim = ev([est])[0]
    _, scales = _residuals(sim, fit_targets)
    used = {(t.name, int(y)) for t in fit_targets for y in t.observed.index}
    fit = _fit_table(sim, all_targets, used, scales)
    f_used, f_test = fit[fit["used"]], fit[~fit["used"]]

    def rmse(x: pd.Series) -> float:
        return float(np.sqrt(np.mean(np.square(x)))) if len(x) else np.nan

    summary = {
        "rmse_log_fit": rmse(f_used["log_error"]),
        "mean_abs_relative_error_fit": float(f_used["relative_error"].abs().mean()),
        "rmse_log_test": rmse(f_test["log_error"]),
        "mean_abs_relative_error_test": (
            float(f_test["relative_error"].abs().mean()) if len(f_test) else np.nan
        ),
        "residual_sd_log": math.sqrt(s2) if np.isfinite(s2) else np.nan,
        "degrees_of_freedom": int(dof),
        "condition_number": cond,
        "runs": int(ev.runs),
        "solver_evaluations": int(res.nfev),
        "success": bool(res.success),
        "message": str(res.message),
        "seeds": [int(s) for s in seeds],
        "backtest": backtest,
        "model": str(getattr(model, "name", type(model).__name__)),
        "model_inputs": dict(getattr(model, "inputs", {}) or {}),
    }
    return Calibration(
        table, fit, pd.DataFrame(corr, index=names, columns=names), scales, summary, est
    )
