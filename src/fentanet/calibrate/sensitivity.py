"""Sensitivity of a run's outcome to its parameters: one at a time (tornado) and global
(Latin hypercube sample with partial rank correlation coefficients; Sobol' variance-based
first-order and total indices).

Both run every point of their design on the same seeds (common random numbers), so the
differences between points come from the parameters, not from the draws. On the full
model the design is one ensemble (``fentanet.ensemble``: Dask tasks, every run kept in the
run store; its id is the table's ``attrs["ensemble"]``, and :func:`tornado_table` reads a
stored one back); on the population surrogate it runs in this process.

The outcome (``metric``) is a summary metric of a run as ``fentanet.simulate`` reports it:
``<flow>_total`` summed over the horizon (``deaths_total``, ``fatal_total``,
``synthetic_fatal_total``), ``<level>_end`` at its last step (``people_using_end``).

References: Marino, Hogue, Ray & Kirschner, "A methodology for performing global
uncertainty and sensitivity analysis in systems biology", J. Theor. Biol. 254 (2008)
178-196 (LHS and PRCC); McKay, Beckman & Conover, Technometrics 21 (1979) 239-245 (LHS);
Saltelli et al., "Variance based sensitivity analysis of model output. Design and estimator
for the total sensitivity index", Comput. Phys. Commun. 181 (2010) 259-270 (the design
and the first-order estimator); Jansen, Comput. Phys. Commun. 117 (1999) 35-43 (the total
index).
"""

from __future__ import annotations

import copy
import difflib
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from fentanet.calibrate.evaluate import Key, kept, point_key, seeds_for
from fentanet.calibrate.models import FentanylTransition, build_model, check_fixed, summarise
from fentanet.calibrate.parameters import Parameter, parameters_from
from fentanet.ensemble.results import DEATHS, Ensemble, mean_interval
from fentanet.errors import InputError

ID_COLUMNS = ("run_id", "ensemble_id", "scenario", "variant", "seed")


def _per_point(ens: Ensemble, metric: str) -> pd.DataFrame:
    """One row per finished run of a stored design: ``point`` (its key), ``seed``, metric."""
    runs = ens.runs()
    runs = runs[runs.status == "done"]
    summary = ens.summary()
    if metric not in summary.columns:
        have = sorted(c for c in summary.columns if c not in ID_COLUMNS
                      and not c.startswith("param:"))
        raise InputError(f"no summary metric {metric!r}; have {have}", field="metric")
    df = runs[["run_id", "seed", "params"]].merge(summary[["run_id", metric]], on="run_id")
    df["point"] = [point_key(p) for p in df.params]
    # each point's runs by seed, not in the order they finished (on a cluster another order
    # each time): a mean over them sums the same values in the same order
    return df.sort_values("seed", kind="stable")[["point", "seed", metric]].reset_index(drop=True)


def _in_process(model: Any, points: Sequence[Mapping[str, float]], metric: str, runs: int,
                seed: int | None) -> pd.DataFrame:
    """The same table as :func:`_per_point`, from runs of ``model`` in this process."""
    rows = []
    for p in points:
        for s in seeds_for(model, runs, seed):
            summary = summarise(model.run(dict(p), s))
            if metric not in summary:
                raise InputError(f"no summary metric {metric!r}; have {sorted(summary)}",
                                 field="metric")
            rows.append({"point": point_key(p), "seed": s, metric: summary[metric]})
    return pd.DataFrame(rows, columns=["point", "seed", metric])


def _model(scenario: Any, model: Any, start_year: int | None, years: float | None,
           transition: Any, overrides: Any, seed: int | None) -> Any:
    return build_model(scenario, model, start_year=start_year, years=years,
                       transition=transition, overrides=overrides,
                       seed=1 if seed is None else int(seed))


def _model_and_parameters(scenario: Any, parameters: Any, model: Any,
                          start_year: int | None, years: float | None, transition: Any,
                          overrides: Any, seed: int | None, metric: str
                          ) -> tuple[Any, list[Parameter]]:
    """The model and the parameters of a design (tornado, hypercube, Sobol'): a parameter
    the model also fixes, an unknown name, or a ``metric`` its runs do not report
    (:func:`check_metric`), fails here, before any run."""
    params = parameters_from(parameters)
    check_fixed(overrides, start_year=start_year, years=years, transition=transition,
                varied=("varied", [p.name for p in params]))
    m = _model(scenario, model, start_year, years, transition, overrides, seed)
    for p in params:
        m.value(p.name)
    check_metric(m, metric, seed)
    return m, params


def run_metrics(m: Any, seed: int | None = None) -> list[str] | None:
    """The summary metrics a run of the model ``m`` reports, read from one step of it in
    this process without a spin-up (a fraction of a second once its network is built,
    which an ensemble's own checks build anyway): the full model's (the summary of
    ``fentanet.simulate`` with ``synthetic_fatal_total``) or the population surrogate's.
    ``None`` for a model whose runs a function or object of the caller's makes (``model=``):
    they are not made here."""
    from fentanet.calibrate.models import PopulationModel, ScenarioModel, run_observed

    first = seeds_for(m, 1, seed)[0]
    with warnings.catch_warnings():  # the probe's own notes (a step that does not divide
        warnings.simplefilter("ignore")  # its horizon, a late start) are not the runs'
        if isinstance(m, ScenarioModel) and m.observed.simulate is None:
            probe = m.observed.override({"years": m.dt or 1 / 52, "warmup_years": 0})
            return list(run_observed(probe, first).summary)
        if isinstance(m, PopulationModel):
            probe = copy.copy(m)
            probe.years = probe.dt
            return list(summarise(probe.run({}, first)))
    return None


def check_metric(m: Any, metric: str, seed: int | None = None) -> None:
    """Refuse, before any run, a ``metric`` the runs of ``m`` do not report
    (:func:`run_metrics`): an :class:`InputError` naming it, the nearest metrics and the
    list. Until the eighteenth session it was refused after every run of the design had
    been made and stored."""
    have = run_metrics(m, seed)
    if have is None or metric in have:
        return
    near = difflib.get_close_matches(metric, have, n=3, cutoff=0.6)
    hint = f" (did you mean {' or '.join(map(repr, near))}?)" if near else ""
    raise InputError(f"no summary metric {metric!r}{hint}; a run reports: "
                     f"{', '.join(sorted(have))}", field="metric")


def _at(df: pd.DataFrame, key: Key) -> pd.Series:
    return pd.Series([p == key for p in df.point], index=df.index, dtype=bool)


def _oat_table(df: pd.DataFrame, params: list[Parameter], base_values: Mapping[str, float],
               metric: str, level: float, ensemble_id: str | None) -> pd.DataFrame:
    if not _at(df, ()).any():
        raise InputError(f"{'ensemble ' + ensemble_id if ensemble_id else 'the design'} has "
                         f"no finished run at the base point", field="ensemble")
    base = df[_at(df, ())].set_index("seed")[metric]
    base_mean = float(base.mean())
    rows = []
    for p in params:
        row: dict[str, Any] = {"parameter": p.name, "low": p.low, "high": p.high,
                               "base": base_mean}
        for label, v in (("low", p.low), ("high", p.high)):
            at = df[_at(df, ((p.name, float(v)),))].set_index("seed")[metric]
            common = at.index.intersection(base.index)
            m, a, b = mean_interval((at.loc[common] - base.loc[common]).to_numpy(), level)
            row[f"at_{label}"] = float(at.mean()) if len(at) else math.nan
            row[f"change_{label}"] = m
            row[f"change_{label}_ci_low"] = a
            row[f"change_{label}_ci_high"] = b
        row["swing"] = row["change_high"] - row["change_low"]
        row["seeds"] = len(base)
        bv = float(base_values.get(p.name, math.nan))
        row["base_value"] = bv
        rel_param = (p.high - p.low) / bv if bv and math.isfinite(bv) else math.nan
        rel_out = (row["at_high"] - row["at_low"]) / base_mean if base_mean else math.nan
        row["elasticity"] = rel_out / rel_param if rel_param else math.nan
        rows.append(row)
    out = pd.DataFrame(rows)
    out = out.reindex(out.swing.abs().sort_values(ascending=False).index).reset_index(drop=True)
    out.attrs["ensemble"] = ensemble_id
    out.attrs["metric"] = metric
    return out


def tornado_table(ens: Ensemble, *, metric: str = DEATHS, level: float = 0.95,
                  ranges: Any = None, base: Mapping[str, float] | None = None
                  ) -> pd.DataFrame:
    """The table of :func:`tornado` from its ensemble (just run, or reopened from the
    store with ``Ensemble.load``): the base point has no parameter set, every other
    point one. Without ``ranges`` each parameter's low and high are the smallest and
    largest value it was run at; ``base`` gives the parameters' base values (for the
    elasticity). Without it they are read as :func:`fentanet.ensemble.rerun` reads a run:
    the scenario named in a base run's setup, with its overrides; NaN where that cannot be
    done (a scenario not stored by name, or changed since the runs)."""
    if ranges is None:  # from every run's point, finished or not (as tornado() reports)
        found: dict[str, list[float]] = {}
        for point in {point_key(p) for p in ens.runs().params}:
            if len(point) > 1:
                raise InputError(f"ensemble {ens.id} is not a one-at-a-time design (point "
                                 f"{dict(point)} sets several parameters)", field="ensemble")
            for name, v in point:
                found.setdefault(name, []).append(v)
        if not found:
            raise InputError(f"ensemble {ens.id} varies no parameter", field="ensemble")
        params = [Parameter(n, min(vs), max(vs)) for n, vs in found.items()]
    else:
        params = parameters_from(ranges)
    if base is None:
        base = _stored_base_values(ens, [p.name for p in params])
    return _oat_table(_per_point(ens, metric), params, dict(base), metric, level, ens.id)


def _stored_base_values(ens: Ensemble, names: list[str]) -> dict[str, float]:
    """The parameters' values at the base point of a stored design of the full model: the
    scenario its first base run names, with that run's overrides (the model's fixed values
    and the designated bases), checked against the run's digest; empty when it cannot be
    rebuilt."""
    from fentanet.calibrate.models import ObservedScenario, observed_value, run_observed
    from fentanet.ensemble import reference

    runs = ens.runs()
    for params, setup, digest in zip(runs.params, runs.setup, runs.digest, strict=True):
        if params or not isinstance(setup, Mapping) or not isinstance(setup.get("scenario"),
                                                                        str):
            continue
        if setup.get("model") != reference(run_observed):
            return {}  # a model of the caller's own: its parameters are its business
        try:
            sc = ObservedScenario.load(setup["scenario"]).override(
                {**(setup.get("overrides") or {}),
                 "interventions": setup.get("interventions") or []})
        except (InputError, OSError, ValueError, TypeError):
            return {}
        if digest and sc.digest() != digest:
            return {}
        values = {}
        for name in names:
            try:
                values[name] = observed_value(sc, name)
            except (InputError, TypeError, ValueError):
                pass
        return values
    return {}


def tornado(scenario: Any, parameters: Any, *, metric: str = DEATHS, runs: int = 5,
            seed: int | None = None, level: float = 0.95,
            model: str | Callable[..., Any] = "full", start_year: int | None = None,
            years: float | None = None, transition: FentanylTransition | bool | None = None,
            overrides: Mapping[str, Any] | None = None, scheduler: Any = None,
            workers: int | None = None, store: Any = None, progress: bool = False,
            write_on_workers: bool | None = None) -> pd.DataFrame:
    """One-at-a-time sensitivity: each parameter at its low and its high value, the others
    at their base values, on the same ``runs`` seeds as the base.

    ``parameters``: a mapping ``name -> (low, high[, base])``, :class:`Parameter` objects
    or ``"name=low:high[:base]"`` strings; a parameter's base is its ``start`` if given
    (the model is run there), else the model's own value. ``scenario``, ``model``,
    ``start_year``, ``years``, ``transition`` (default none) and ``overrides`` make the
    model as for :func:`~fentanet.calibrate.calibrate`; ``scheduler``, ``workers``,
    ``store``, ``progress`` and ``write_on_workers`` go to ``fentanet.ensemble`` (full model).

    Returns one row per parameter, largest swing first: ``low``, ``high``, the mean
    ``metric`` at the ``base`` and ``at_low``/``at_high``, the mean per-seed change from
    the base at low and at high with their ``level`` t-intervals (``change_low``,
    ``change_low_ci_low``...), ``swing`` (high minus low), ``seeds``, ``base_value`` and
    ``elasticity`` (relative change of the outcome over relative change of the parameter,
    low to high). ``attrs``: ``ensemble`` (its id in the store; None in process) and
    ``metric``.

    On the population surrogate of the toy scenario (in this process, nothing stored;
    the full model, ``model="full"``, runs one ensemble kept in the store):

    >>> table = tornado("toy", {"params.population.overdose_rate": (0.2, 0.3),
    ...                         "params.population.p_witnessed": (0.4, 0.8)},
    ...                 model="population", runs=2, years=1, metric="fatal_total")
    >>> table[["parameter", "at_low", "at_high", "swing", "elasticity"]].round(3)
                             parameter  at_low  at_high  swing  elasticity
    0  params.population.overdose_rate    98.5    144.5   46.0       0.924
    1    params.population.p_witnessed   124.5    108.0  -16.5      -0.212
    >>> table.attrs
    {'ensemble': None, 'metric': 'fatal_total'}
    """
    m, params = _model_and_parameters(scenario, parameters, model, start_year, years,
                                      transition, overrides, seed, metric)
    starts = {p.name: float(p.start) for p in params if p.start is not None}
    if starts:
        m = m.at(starts)
    base_values = {p.name: starts.get(p.name, m.value(p.name)) for p in params}
    points = [{}] + [{p.name: v} for p in params for v in (p.low, p.high)]
    if kept(m):
        ens = m.ensemble(points, runs, seed=seeds_for(m, runs, seed)[0], scheduler=scheduler,
                         workers=workers, store=store, progress=progress,
                         write_on_workers=write_on_workers)
        return tornado_table(ens, metric=metric, level=level, ranges=params, base=base_values)
    return _oat_table(_in_process(m, points, metric, runs, seed), params, base_values, metric,
                      level, None)


def latin_hypercube(parameters: Any, samples: int, *, seed: int = 0,
                    whole: Sequence[str] = ()) -> pd.DataFrame:
    """A Latin hypercube sample of the parameters' ranges (``scipy.stats.qmc``), one row per
    point: each range is cut into ``samples`` equal strata, each hit once (on the log scale
    for a positive range spanning a factor of 10 or more: log-uniform). The parameters
    named in ``whole`` take whole numbers (see :func:`_scaled`)."""
    params = parameters_from(parameters)
    if int(samples) < 2:
        raise InputError(f"samples must be at least 2, got {samples}", field="samples")
    unit = qmc.LatinHypercube(d=len(params), seed=seed).random(int(samples))
    return _scaled(unit, params, whole)


def _scaled(unit: np.ndarray, params: list[Parameter], whole: Sequence[str] = ()
            ) -> pd.DataFrame:
    """Points of the unit cube mapped onto the parameters' ranges (uniform, or log-uniform
    for a positive range spanning a factor of 10 or more), one column per parameter. A
    parameter named in ``whole`` (a whole-number field such as ``network.generate.actors``)
    is mapped onto ``[low, high + 1)`` and rounded down, so each of ``low .. high`` is as
    likely, as :func:`fentanet.ensemble.plan.draw_uncertain` draws it."""
    cols = {}
    for j, p in enumerate(params):
        top = p.high + 1 if p.name in whole else p.high
        if p.low > 0 and p.high / p.low >= 10:
            x = np.exp(np.log(p.low) + unit[:, j] * np.log(top / p.low))
        else:
            x = p.low + unit[:, j] * (top - p.low)
        cols[p.name] = (np.minimum(np.floor(x), np.floor(p.high)).astype(np.int64)
                        if p.name in whole else x)
    return pd.DataFrame(cols)


def _points(design: pd.DataFrame) -> list[dict[str, Any]]:
    """The design's rows as parameter points: Python floats, or ints for whole numbers."""
    return [{k: v.item() if isinstance(v, np.generic) else v for k, v in r.items()}
            for r in design.to_dict("records")]


def _whole(m: Any, params: list[Parameter]) -> list[str]:
    """The parameters of ``params`` that are whole-number fields of ``m``'s scenario."""
    check = getattr(m, "integer_field", None)
    return [p.name for p in params if check is not None and check(p.name)]


def sobol_design(parameters: Any, samples: int, *, seed: int = 0,
                 whole: Sequence[str] = ()) -> pd.DataFrame:
    """Saltelli's design for Sobol' indices: matrices A and B of ``samples`` points each
    (the two halves of the columns of a scrambled Sobol' sequence in twice the parameters'
    dimension, ``scipy.stats.qmc``, mapped onto the ranges as :func:`latin_hypercube`
    does), then for each parameter the matrix A with that parameter's column taken from B.
    One row per point, ``samples * (parameters + 2)`` in all, with ``block`` (``"A"``,
    ``"B"`` or the parameter's name) and ``row`` (0 .. samples - 1) first.

    ``samples`` is a power of 2 (the sequence's balance properties hold for those); the
    parameters named in ``whole`` take whole numbers (see :func:`_scaled`)."""
    params = parameters_from(parameters)
    n = int(samples)
    if n < 4 or n & (n - 1):
        raise InputError(f"Sobol' samples must be a power of 2, at least 4 (such as 64), got "
                         f"{samples}", field="samples")
    d = len(params)
    unit = qmc.Sobol(d=2 * d, scramble=True, seed=seed).random(n)
    a, b = _scaled(unit[:, :d], params, whole), _scaled(unit[:, d:], params, whole)
    blocks = [a.assign(block="A"), b.assign(block="B")]
    for p in params:
        ab = a.copy()
        ab[p.name] = b[p.name]
        blocks.append(ab.assign(block=p.name))
    design = pd.concat([blk.assign(row=np.arange(n)) for blk in blocks], ignore_index=True)
    return design[["block", "row", *(p.name for p in params)]]


def sobol_indices(design: pd.DataFrame, outcome: Sequence[float] | np.ndarray, *,
                  level: float = 0.95, resamples: int = 999, seed: int = 0) -> pd.DataFrame:
    """First-order and total Sobol' indices from the outcomes of :func:`sobol_design`'s
    points (in any row order), with bootstrap intervals over its ``samples`` rows.

    With the outcomes centred on the mean of those of A and B and ``V`` their variance,
    the first-order index is ``S_i = mean(f(B) (f(AB_i) - f(A))) / V`` (Saltelli et al.
    2010) and the total index ``ST_i = mean((f(A) - f(AB_i))^2) / 2V`` (Jansen 1999): the
    estimators of ``scipy.stats.sobol_indices``. Intervals: bias-corrected and accelerated
    bootstrap (``scipy.stats.bootstrap``, ``resamples`` resamples of the rows drawn with
    ``seed``, so they are reproducible); an index whose resamples all agree (a parameter
    with no effect: exactly 0) gets that value as both ends. Estimates can stray slightly
    outside [0, 1] with few samples. A row with no outcome at one of its points (a
    failed run: NaN) is left out of every block, as the estimators are means over rows.
    Returns one row per parameter: ``first_order``, ``first_low``, ``first_high``,
    ``total_order``, ``total_low``, ``total_high``, ``samples`` (the rows used); NaN where
    the outcome does not vary over A and B, or fewer than 2 rows are complete."""
    y = np.asarray(outcome, dtype=float)
    if len(y) != len(design):
        raise InputError(f"{len(design)} design points but {len(y)} outcomes", field="outcome")
    names = [c for c in design.columns if c not in ("block", "row")]
    n = int((design.block == "A").sum())

    def block(name: str) -> np.ndarray:
        rows = (design.block == name).to_numpy()
        return y[rows][np.argsort(design.row.to_numpy()[rows], kind="stable")]

    f_a, f_b = block("A"), block("B")
    f_ab = np.stack([block(name) for name in names])
    complete = np.isfinite(f_a) & np.isfinite(f_b) & np.isfinite(f_ab).all(axis=0)
    f_a, f_b, f_ab = f_a[complete], f_b[complete], f_ab[:, complete]
    n = int(complete.sum())
    cols = ["first_order", "first_low", "first_high", "total_order", "total_low", "total_high"]
    out = pd.DataFrame({"parameter": names, **{c: np.nan for c in cols}, "samples": n})
    if n < 2 or not np.ptp(np.concatenate([f_a, f_b])) > 0:
        return out
    centre = np.mean(np.concatenate([f_a, f_b]))
    f_a, f_b, f_ab = f_a - centre, f_b - centre, f_ab - centre

    def indices(rows: np.ndarray) -> np.ndarray:
        a, b, ab = f_a[rows], f_b[rows], f_ab[:, rows]
        v = np.var(np.concatenate([a, b]))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.concatenate([np.mean(b * (ab - a), axis=1) / v,
                                   0.5 * np.mean((a - ab) ** 2, axis=1) / v])

    est = indices(np.arange(n))
    with warnings.catch_warnings():  # a degenerate index (all resamples equal) is handled
        warnings.simplefilter("ignore")
        boot = stats.bootstrap([np.arange(n)], indices, vectorized=False, method="BCa",
                               n_resamples=int(resamples), confidence_level=level,
                               rng=np.random.default_rng(seed))
    low, high = boot.confidence_interval.low, boot.confidence_interval.high
    dist = boot.bootstrap_distribution
    flat = np.ptp(dist, axis=-1) == 0
    low, high = np.where(flat, est, low), np.where(flat, est, high)
    d = len(names)
    out["first_order"], out["total_order"] = est[:d], est[d:]
    out["first_low"], out["first_high"] = low[:d], high[:d]
    out["total_low"], out["total_high"] = low[d:], high[d:]
    return out


def sobol(scenario: Any, parameters: Any, *, samples: int = 64, runs: int = 1,
          metric: str = DEATHS, design_seed: int = 0, seed: int | None = None,
          model: str | Callable[..., Any] = "full", start_year: int | None = None,
          years: float | None = None, transition: FentanylTransition | bool | None = None,
          overrides: Mapping[str, Any] | None = None, level: float = 0.95,
          scheduler: Any = None, workers: int | None = None, store: Any = None,
          progress: bool = False, write_on_workers: bool | None = None
          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Variance-based sensitivity: Saltelli's design (:func:`sobol_design`, ``samples`` a
    power of 2, drawn with ``design_seed``: ``samples * (parameters + 2)`` points), ``runs``
    common seeds per point, and the first-order and total Sobol' indices of the mean
    ``metric`` over seeds (:func:`sobol_indices`, ``level`` bootstrap intervals). The
    first-order index is the share of the outcome's variance over the ranges that a
    parameter explains alone; the total index adds its interactions with the others.
    Model and execution options as for :func:`tornado`.

    Returns ``(table, design)``: one row per parameter, largest total index first, with
    ``attrs`` ``ensemble`` and ``metric``; and the design's points with the outcome of each.

    >>> table, design = sobol("toy", {"params.population.overdose_rate": (0.2, 0.3),
    ...                               "params.population.p0": (0.08, 0.14)},
    ...                       samples=16, model="population", years=1, metric="fatal_total")
    >>> table[["parameter", "first_order", "total_order", "samples"]].round(2)
                             parameter  first_order  total_order  samples
    0             params.population.p0         0.39         0.47       16
    1  params.population.overdose_rate         0.32         0.34       16
    >>> design.shape   # 16 x (2 parameters + 2) points
    (64, 5)
    """
    m, params = _model_and_parameters(scenario, parameters, model, start_year, years,
                                      transition, overrides, seed, metric)
    design = sobol_design(params, samples, seed=design_seed, whole=_whole(m, params))
    names = [p.name for p in params]
    points = _points(design[names])
    y, ens = _outcomes(m, points, runs, metric, seed, dict(
        scheduler=scheduler, workers=workers, store=store, progress=progress,
        write_on_workers=write_on_workers))
    design[metric] = y
    table = sobol_indices(design[["block", "row", *names]], y, level=level, seed=design_seed)
    table = table.sort_values("total_order", ascending=False, kind="stable",
                              na_position="last").reset_index(drop=True)
    table.attrs["ensemble"] = None if ens is None else ens.id
    table.attrs["metric"] = metric
    return table, design


def _outcomes(m: Any, points: list[dict[str, float]], runs: int, metric: str,
              seed: int | None, run_options: dict[str, Any]) -> tuple[np.ndarray, Any]:
    """The mean ``metric`` over ``runs`` common seeds at each point (NaN where no run
    finished), and the ensemble that ran them (``None`` in this process)."""
    ens = None
    if kept(m):
        ens = m.ensemble(points, runs, seed=seeds_for(m, runs, seed)[0], **run_options)
        df = _per_point(ens, metric)
    else:
        df = _in_process(m, points, metric, runs, seed)
    outcome: dict[Key, list[float]] = {}
    for key, v in zip(df.point, df[metric], strict=True):
        outcome.setdefault(key, []).append(float(v))
    return np.array([float(np.mean(outcome[k])) if (k := point_key(p)) in outcome else np.nan
                     for p in points]), ens


def prcc(X: pd.DataFrame | np.ndarray, y: Sequence[float] | np.ndarray) -> pd.DataFrame:
    """Partial rank correlation of ``y`` with each column of ``X``, the others held fixed.

    Ranks are taken of every column and of ``y``; for each parameter the ranks of it and
    of ``y`` are regressed (least squares with intercept) on the ranks of the other
    parameters, and the PRCC is the Pearson correlation of the two residuals. The
    p-value tests PRCC = 0 with ``t = r sqrt((n - 2 - p) / (1 - r^2))`` on ``n - 2 - p``
    degrees of freedom, ``p`` the number of parameters held fixed (Marino et al. 2008).
    Returns ``parameter``, ``prcc``, ``p_value`` and ``samples``, in the columns' order.
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
    dof = n - 2 - (k - 1)
    rows = []
    for i, name in enumerate(X.columns):
        Z = np.column_stack([np.ones(n), np.delete(R, i, axis=1)])
        res_x = R[:, i] - Z @ np.linalg.lstsq(Z, R[:, i], rcond=None)[0]
        res_y = ry - Z @ np.linalg.lstsq(Z, ry, rcond=None)[0]
        denom = np.sqrt((res_x @ res_x) * (res_y @ res_y))
        r = float(res_x @ res_y / denom) if denom > 0 else math.nan
        if math.isnan(r):
            p = math.nan
        elif abs(r) >= 1:
            p = 0.0
        else:
            p = float(2 * stats.t.sf(abs(r * math.sqrt(dof / (1 - r * r))), dof))
        rows.append({"parameter": name, "prcc": r, "p_value": p, "samples": n})
    return pd.DataFrame(rows)


def global_sensitivity(scenario: Any, parameters: Any, *, samples: int = 50, runs: int = 1,
                       metric: str = DEATHS, design_seed: int = 0, seed: int | None = None,
                       model: str | Callable[..., Any] = "full",
                       start_year: int | None = None, years: float | None = None,
                       transition: FentanylTransition | bool | None = None,
                       overrides: Mapping[str, Any] | None = None, scheduler: Any = None,
                       workers: int | None = None, store: Any = None,
                       progress: bool = False, write_on_workers: bool | None = None
                       ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Latin hypercube sample of the parameters' ranges (``samples`` points drawn with
    ``design_seed``), ``runs`` common seeds per point, and the PRCC of the mean ``metric``
    over seeds with each parameter. Model and execution options as for :func:`tornado`.

    Returns ``(table, design)``: one row per parameter (``prcc``, ``p_value``,
    ``samples``), largest ``|prcc|`` first, ``attrs`` ``ensemble`` and ``metric``; and the
    sampled points with the outcome of each.

    >>> table, design = global_sensitivity("toy", {"params.population.overdose_rate": (0.2, 0.3),
    ...                                            "params.population.p0": (0.08, 0.14)},
    ...                                    samples=20, model="population", years=1,
    ...                                    metric="fatal_total")
    >>> table.round(2)
                             parameter  prcc  p_value  samples
    0             params.population.p0  0.98      0.0       20
    1  params.population.overdose_rate  0.96      0.0       20
    >>> list(design.columns)
    ['params.population.overdose_rate', 'params.population.p0', 'fatal_total']
    """
    m, params = _model_and_parameters(scenario, parameters, model, start_year, years,
                                      transition, overrides, seed, metric)
    design = latin_hypercube(params, samples, seed=design_seed, whole=_whole(m, params))
    points = _points(design)
    design[metric], ens = _outcomes(m, points, runs, metric, seed, dict(
        scheduler=scheduler, workers=workers, store=store, progress=progress,
        write_on_workers=write_on_workers))
    done = design.dropna(subset=[metric])
    table = prcc(done[[p.name for p in params]], done[metric])
    table = table.reindex(table.prcc.abs().sort_values(ascending=False).index)
    table = table.reset_index(drop=True)
    table.attrs["ensemble"] = None if ens is None else ens.id
    table.attrs["metric"] = metric
    return table, design
