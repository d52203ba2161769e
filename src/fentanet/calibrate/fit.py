"""Fit a few parameters of a model to observed annual series.

Method: nonlinear least squares on log residuals, ``log(simulated + 0.5) - log(observed +
0.5)`` per target and year (weighted; deaths range over two orders of magnitude, so every
year counts alike), with SciPy's trust-region reflective solver under bounds
(``scipy.optimize.least_squares``). Each evaluation runs the model at the same seeds
(common random numbers: the objective is a deterministic function of the parameters) and
averages the annual series over them; the full model's runs go through
``fentanet.ensemble`` (Dask, the run store: every run of a fit is kept), the population
surrogate's in this process (:mod:`fentanet.calibrate.evaluate`). Positive parameters
are fitted on the log scale. A target with a free scale (``observed = kappa x
simulated``) has kappa profiled out at every evaluation: the simulated series is brought
to the observed one's mean, then the remaining log offset takes its least-squares value.

Uncertainty: the Gauss-Newton covariance ``s^2 (J'J)^-1`` of the fitted (transformed)
parameters, ``J`` the Jacobian of the residuals by forward differences at the optimum and
``s^2`` the residual variance (residual sum of squares over its degrees of freedom: the
years fitted less the free scales and the parameter directions the targets inform); 90%
intervals from Student's t, back-transformed (Bates & Watts, *Nonlinear Regression
Analysis and Its Applications*, 1988). Identifiability: the parameters' correlation
matrix, the condition number of ``J`` scaled to the parameters' ranges, and a flag for
any parameter whose interval spans more than half its range or that correlates above
0.95 with another (at most four parameters at once, DESIGN.md).

Backtest: fit on the years up to a cut-off, report the error on the years after it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from fentanet.calibrate.evaluate import Evaluator
from fentanet.calibrate.models import (
    TRANSITION_PREFIX,
    FentanylTransition,
    build_model,
    check_fixed,
    is_model,
)
from fentanet.calibrate.parameters import Parameter, parameters_from
from fentanet.calibrate.targets import Target, annual, targets_from
from fentanet.errors import InputError

MAX_PARAMETERS = 4
OFFSET = 0.5
"""Added to counts before taking logs (a year with no deaths stays finite)."""


DEFAULT_PARAMETERS = (
    Parameter("params.population.overdose_rate", 0.1, 0.8),
    Parameter("fentanyl.midpoint", 2012, 2022),
    Parameter("fentanyl.width", 0.3, 5),
)
"""Fitted when none are given: the level of deaths (the overdose rate) and, with the
fentanyl transition, its timing and steepness (the fit of ``us-baseline``)."""


def default_parameters(transition: bool) -> list[Parameter]:
    """The parameters fitted when none are given (:data:`DEFAULT_PARAMETERS`): the fentanyl
    transition's only with the transition."""
    return [p for p in DEFAULT_PARAMETERS
            if transition or not p.name.startswith(TRANSITION_PREFIX)]


def _annuals(model: Any, targets: Sequence[Target]) -> Callable[[pd.DataFrame], dict]:
    """Reduce one run's series to the annual series the targets compare with."""
    specs = tuple(dict.fromkeys((t.name, t.series, t.period) for t in targets))
    start, dt = getattr(model, "start_year", None), getattr(model, "dt", None)

    def reduce(series: pd.DataFrame) -> dict[str, pd.Series]:
        return {
            name: annual(series, col, start_year=start, dt=dt, period=per)
            for name, col, per in specs
        }

    return reduce


def _mean(per_seed: list[dict[str, pd.Series]]) -> dict[str, pd.Series]:
    return {
        name: pd.concat([r[name] for r in per_seed], axis=1).mean(axis=1) for name in per_seed[0]
    }


def _uncovered(t: Target, covered: pd.Index) -> None:
    """Refuse a target with years the model's run does not cover (complete years
    ``covered``), naming its file and the horizon that would."""
    missing = sorted(set(t.observed.index) - set(covered))
    if missing:
        first, last = int(t.observed.index.min()), int(t.observed.index.max())
        raise InputError(
            f"the model's run does not cover the year(s) {missing} of target "
            f"'{t.name}' (it covers {[int(y) for y in covered]}); run it over the target's "
            f"years (start_year={first}, years={last - first + 1}: --start-year {first} "
            f"--years {last - first + 1})",
            file=t.source or None,
            field="years",
        )


def check_covered(model: Any, targets: Sequence[Target]) -> None:
    """:func:`_uncovered` for every target before any run, from the model's ``years``,
    ``dt`` and ``start_year`` (the years :func:`annual` will give a run's series); a model
    without them is checked on its first run's series."""
    years, dt = getattr(model, "years", None), getattr(model, "dt", None)
    if years is None or dt is None or not (np.isfinite(years) and dt > 0):
        return
    steps = pd.DataFrame({"time": np.arange(round(years / dt)) * dt, "x": 0.0})
    for t in targets:
        _uncovered(t, annual(steps, "x", start_year=getattr(model, "start_year", None),
                             dt=dt, period=t.period).index)


def _residuals(
    sim: dict[str, pd.Series], targets: Sequence[Target]
) -> tuple[np.ndarray, dict[str, float]]:
    parts, scales = [], {}
    for t in targets:
        s = sim[t.name]
        _uncovered(t, s.index)
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
    simulated, error, relative error, ``used`` in the fit or held out); ``correlation`` of
    the estimates; ``scales``: fitted kappa of free-scale targets; ``summary``: errors, the
    residual standard deviation with its ``degrees_of_freedom`` (observed years less the
    ``effective_parameters``, the directions the targets inform, and the free scales), the
    condition number, runs, the ensembles in the run store (full model) and the solver's
    message; ``history``: every point evaluated, with its cost.
    """

    parameters: pd.DataFrame
    fit: pd.DataFrame
    correlation: pd.DataFrame
    scales: dict[str, float]
    summary: dict[str, Any]
    values: dict[str, float] = field(default_factory=dict)
    history: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __repr__(self) -> str:
        """The estimates and the fit's log RMSE, not the tables."""
        est = ", ".join(f"{k} = {v:.4g}" for k, v in self.values.items()) or "none"
        rmse = self.summary.get("rmse_log_fit", float("nan"))
        return f"<Calibration: {est}; log RMSE {rmse:.3g} on the years fitted>"

    def overrides(self) -> dict[str, float]:
        """The estimates as ``{name: value}`` (dotted scenario paths and ``fentanyl.*``)."""
        return dict(self.values)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready but for NaN) of everything but the history."""
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
                f"{100 * r.relative_error:+.1f}% | {'fit' if r.used else 'held out'} |"
            )
        return "\n".join(lines)

    def check(
        self,
        model: Any,
        targets: Any,
        *,
        runs: int = 1,
        seed: int | None = None,
        **ensemble: Any,
    ) -> pd.DataFrame:
        """The fit of another model (say, the full simulation after a surrogate's fit) at the
        estimates: one row per target and year, as :attr:`fit`, its scales refitted.
        ``ensemble`` go to ``fentanet.ensemble`` (``scheduler``, ``store``...)."""
        targets = targets_from(targets)
        ev = Evaluator(model, _annuals(model, targets), runs=runs, seed=seed, **ensemble)
        sim = _mean(ev([self.values])[0])
        table = _fit_table(sim, targets, set(), _residuals(sim, targets)[1])
        table.attrs["ensembles"] = list(ev.ensembles)
        return table


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
                    "error": val - float(obs),
                    "relative_error": val / obs - 1 if obs else np.nan,
                    "log_error": math.log(val + OFFSET) - math.log(obs + OFFSET),
                    "used": (t.name, int(year)) in used,
                }
            )
    return pd.DataFrame(rows)


NULL_RTOL = 1e-10
"""Singular values of the range-scaled Jacobian at or below ``NULL_RTOL`` times the largest
are directions the targets do not inform. The Jacobian is taken by forward differences of
runs on common seeds: a parameter the model ignores gives a column of exact zeros, and two
that act only through their product (the overdose rate and ``p0``) columns proportional up
to rounding (their smallest singular value is 4e-17 of the largest on the population
surrogate). The threshold sits well above rounding; a real but tiny effect above it keeps
a finite interval, many times the search range, which the width rule flags."""

NULL_LOADING = 1e-8
"""A parameter loads on an uninformed direction when its share of the direction's unit
vector exceeds this (about the square root of the machine epsilon: rounding of the SVD
leaves the other parameters' shares near 1e-16)."""


def _informed(sv: np.ndarray) -> np.ndarray:
    """Which singular values (largest first) are above :data:`NULL_RTOL` of the largest:
    the directions the targets inform."""
    return sv > NULL_RTOL * sv[0] if sv.size and sv[0] > 0 else np.zeros(sv.size, bool)


def effective_parameters(J: np.ndarray, span: np.ndarray) -> int:
    """The number of parameter directions the targets inform: the rank of the Jacobian
    scaled to the parameters' ranges, its singular values above :data:`NULL_RTOL` of the
    largest. A parameter the model ignores adds none, two that act only through their
    product add one."""
    return int(_informed(np.linalg.svd(J * span, compute_uv=False)).sum())


def _covariance(
    J: np.ndarray, span: np.ndarray, s2: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Gauss-Newton covariance ``s2 (J'J)^-1`` of the transformed parameters, their
    correlation and the singular values of the Jacobian scaled to the parameters' ranges
    (``J * span``), from its SVD.

    Along a direction with a singular value at or below :data:`NULL_RTOL` times the largest
    the variance is infinite (the pseudo-inverse would give 0: an exact estimate). Every
    parameter loading on such a direction (:data:`NULL_LOADING`) gets an infinite variance;
    the others' covariance is that of the informed directions. Correlations are their limit
    as the uninformed singular values go to 0: among the uninformed parameters, those of the
    uninformed directions' vectors (-1 for two that act only through their product, 1 on
    the diagonal), 0 between an uninformed and an informed one."""
    _, sv, vt = np.linalg.svd(J * span, full_matrices=False)
    informed = _informed(sv)
    v = vt[informed].T / sv[informed]
    cov = s2 * (v @ v.T) * np.outer(span, span)
    null = (np.abs(vt[~informed]) > NULL_LOADING).any(axis=0)
    sd = np.sqrt(np.clip(np.diag(cov), 0, None))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sd, sd)
    n = vt[~informed][:, null]
    g = n.T @ n
    corr[null, :] = 0.0
    corr[:, null] = 0.0
    corr[np.ix_(null, null)] = g / np.sqrt(np.outer(np.diag(g), np.diag(g)))
    cov[null, :] = np.nan
    cov[:, null] = np.nan
    cov[null, null] = np.inf
    return cov, corr, sv


def calibrate(
    scenario: Any,
    targets: Any,
    parameters: Any = None,
    *,
    model: str | Callable[..., Any] = "full",
    start_year: int | None = None,
    years: float | None = None,
    transition: FentanylTransition | bool | None = None,
    overrides: Mapping[str, Any] | None = None,
    runs: int = 2,
    seed: int | None = None,
    fit_years: tuple[int, int] | None = None,
    backtest: int | None = None,
    max_evaluations: int = 60,
    diff_step: float = 0.02,
    scheduler: Any = None,
    workers: int | None = None,
    store: Any = None,
    progress: Callable[[int, float], None] | None = None,
) -> Calibration:
    """Fit at most four ``parameters`` of a scenario's model to observed ``targets``.

    Parameters
    ----------
    scenario
        A built-in scenario name, a YAML path, a ``Scenario``, or a model object
        (:class:`~fentanet.calibrate.ScenarioModel`, :class:`~fentanet.calibrate.PopulationModel`).
    targets
        :class:`~fentanet.calibrate.Target` objects or CSV paths (read by
        :func:`~fentanet.calibrate.read_target`: the public series come with their
        observation models), one or a list.
    parameters
        A mapping ``name -> (low, high[, start])``, :class:`~fentanet.calibrate.Parameter`
        objects or ``"name=low:high[:start]"`` strings; default
        :data:`DEFAULT_PARAMETERS` (the fentanyl ones only with the transition).
    model
        ``"full"``: the simulation, each batch of points an ensemble on Dask with every run
        kept in the store; ``"population"``: the population surrogate in this process; or a
        function with ``fentanet.simulate``'s signature, run through the ensembles instead.
    start_year, years, overrides
        Change the scenario: the calendar year of time 0, the horizon, fixed dotted-path
        values (a fit to 2013-2023 runs with ``start_year=2013, years=11``).
    transition
        The exogenous fentanyl transition driving potency (default: ``True``, the default
        :class:`~fentanet.calibrate.FentanylTransition`, for a scenario; ``False``: none).
    runs, seed
        Seeds per evaluation (``seed``, ``seed + 1``, ...; default the scenario's seed),
        the same at every evaluation.
    fit_years, backtest
        ``(first, last)`` years used; ``backtest``: the last year fitted, later years held
        out and reported as the test error.
    max_evaluations, diff_step
        The solver's budget of iterations (each needs ``1 + len(parameters)`` points, times
        ``runs`` runs) and the forward-difference step as a share of each range.
    scheduler, workers, store
        Where the full model's runs execute and are kept, as for ``fentanet.ensemble``
        (one Dask connection for the whole fit).
    progress
        Called as ``progress(runs, cost)`` after each point.

    Example
    -------
    The overdose rate of the toy scenario's population surrogate, fitted to three years of
    deaths (``"../shared/data/public/us_synthetic_opioid_deaths.csv"`` in place of the
    :class:`~fentanet.calibrate.Target` reads the CDC series; docs/calibration.md):

    >>> import pandas as pd
    >>> from fentanet.calibrate import Target
    >>> deaths = Target("deaths", pd.Series({2021: 110, 2022: 105, 2023: 100}), series="fatal")
    >>> fit = calibrate("toy", deaths, {"params.population.overdose_rate": (0.1, 0.8)},
    ...                 model="population", start_year=2021, years=3, transition=False)
    >>> fit.parameters[["name", "estimate", "low90", "high90"]].round(3)
                                  name  estimate  low90  high90
    0  params.population.overdose_rate     0.217  0.187   0.252
    >>> fit.summary["runs"], round(fit.summary["rmse_log_fit"], 3)   # runs made, log RMSE
    (34, 0.063)
    """
    tr = True if transition is None and not is_model(scenario) else transition
    if parameters is None and not is_model(scenario):
        parameters = default_parameters(bool(tr))
    if parameters is not None:  # a fitted parameter the model fixes: refused before any run
        check_fixed(overrides, start_year=start_year, years=years, transition=tr,
                    varied=("fitted", [p.name for p in parameters_from(parameters)]))
    m = build_model(
        scenario, model, start_year=start_year, years=years, transition=tr,
        overrides=overrides, seed=1 if seed is None else int(seed),
    )
    if parameters is None:
        parameters = default_parameters(getattr(m, "transition", None) is not None)
    params = parameters_from(parameters)
    if len(params) > MAX_PARAMETERS:
        raise InputError(
            f"fit 1 to {MAX_PARAMETERS} parameters at once (identifiability), got {len(params)}",
            field="parameters",
        )
    names = [p.name for p in params]
    if "start_year" in names:
        raise InputError("the start year cannot be fitted: the targets' years are counted "
                         "from it; give it (start_year=, --start-year) and fit the "
                         "transition's midpoint for the timing", field="start_year")
    for p in params:
        m.value(p.name)  # an unknown name fails here, before any run
    targets = targets_from(targets)
    first, last = fit_years if fit_years is not None else (None, None)
    if backtest is not None:
        last = int(backtest) if last is None else min(last, int(backtest))
    fit_targets = [t.window(first, last) for t in targets]
    if backtest is not None:
        latest = max(int(t.observed.index.max()) for t in targets)
        if latest <= int(backtest):
            raise InputError(f"a backtest fitting up to {int(backtest)} holds out no observed "
                             f"year: the targets' last is {latest}; give a year before it",
                             field="backtest")
    for t in fit_targets:
        if len(t.observed) == 0:
            raise InputError(
                f"no observed years left to fit in target '{t.name}'", field="fit_years"
            )
    n_obs = sum(len(t.observed) for t in fit_targets)
    n_scales = sum(t.scale == "free" for t in fit_targets)
    if n_obs - len(params) - n_scales < 1:
        raise InputError(
            f"{n_obs} observed years to fit {len(params)} parameter(s) and {n_scales} "
            f"scale(s): need more years than parameters",
            field="fit_years" if backtest is None else "backtest",
        )
    all_targets = [t.window(first, None) for t in targets]
    check_covered(m, all_targets)
    ev = Evaluator(
        m, _annuals(m, all_targets), runs=runs, seed=seed, scheduler=scheduler,
        workers=workers, store=store,
    )
    lo = np.array([p.u_bounds[0] for p in params])
    hi = np.array([p.u_bounds[1] for p in params])
    u0 = np.array([p.u_start() for p in params])
    span = hi - lo
    history: list[dict[str, float]] = []
    costs: dict[tuple, float] = {}

    def values(u: np.ndarray) -> dict[str, float]:
        return {p.name: float(p.from_u(x)) for p, x in zip(params, u, strict=True)}

    def residuals(points: list[dict[str, float]]) -> list[np.ndarray]:
        out = []
        for point, per_seed in zip(points, ev(points), strict=True):
            r, _ = _residuals(_mean(per_seed), fit_targets)
            key = tuple(sorted(point.items()))
            if key not in costs:
                costs[key] = float(r @ r) / 2
                history.append({**point, "cost": costs[key]})
                if progress is not None:
                    progress(ev.runs, costs[key])
            out.append(r)
        return out

    def fun(u: np.ndarray) -> np.ndarray:
        return residuals([values(u)])[0]

    def jac(u: np.ndarray) -> np.ndarray:
        steps = diff_step * span
        pts = []
        for i in range(len(u)):
            v = u.copy()
            v[i] = v[i] + steps[i] if v[i] + steps[i] <= hi[i] else v[i] - steps[i]
            pts.append(v)
        r0, *rs = residuals([values(u)] + [values(v) for v in pts])
        cols = [(r - r0) / (v[i] - u[i]) for i, (r, v) in enumerate(zip(rs, pts, strict=True))]
        return np.column_stack(cols)

    with ev.session():
        res = optimize.least_squares(
            fun, u0, jac=jac, bounds=(lo, hi), method="trf", x_scale=span,
            max_nfev=max_evaluations,
        )
        u = res.x
        est = values(u)
        r = fun(u)
        J = jac(u)
        sim = _mean(ev([est])[0])
    n = r.size
    # the residuals' degrees of freedom count the informed directions only (a rank-
    # deficient least-squares fit has n minus its rank: R's lm, df.residual), not a
    # parameter without effect on the targets
    effective = effective_parameters(J, span)
    dof = n - effective - n_scales
    ssr = float(r @ r)
    s2 = ssr / dof
    cov, corr, sv = _covariance(J, span, s2)
    sd = np.sqrt(np.clip(np.diag(cov), 0, None))
    tq = float(stats.t.ppf(0.95, dof))
    cond = float(sv[0] / sv[-1]) if sv[-1] > 0 else np.inf
    rows = []
    for i, p in enumerate(params):
        lo_u, hi_u = u[i] - tq * sd[i], u[i] + tq * sd[i]
        # a parameter the targets do not inform keeps its whole search range
        low90, high90 = ((float(p.from_u(lo_u)), float(p.from_u(hi_u))) if np.isfinite(sd[i])
                         else (p.low, p.high))
        others = [abs(corr[i, j]) for j in range(len(params)) if j != i]
        identified = bool(
            np.isfinite(sd[i])
            and sd[i] > 0
            and 2 * tq * sd[i] <= 0.5 * span[i]
            and all(c <= 0.95 for c in others if np.isfinite(c))
        )
        rows.append(
            {
                "name": p.name,
                "estimate": est[p.name],
                "low90": low90,
                "high90": high90,
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
        "residual_sd_log": math.sqrt(s2),
        "degrees_of_freedom": int(dof),
        "effective_parameters": effective,
        "condition_number": cond,
        "runs": int(ev.runs),
        "solver_evaluations": int(res.nfev),
        "success": bool(res.success),
        "message": str(res.message),
        "seeds": list(ev.seeds),
        "backtest": backtest,
        "model": str(getattr(m, "name", type(m).__name__)),
        "model_inputs": dict(getattr(m, "inputs", {}) or {}),
        "ensembles": list(ev.ensembles),
        "store": str(ev.store.root) if ev.kept and hasattr(ev.store, "root") else None,
    }
    return Calibration(
        table, fit, pd.DataFrame(corr, index=names, columns=names), scales, summary, est,
        pd.DataFrame(history),
    )
