"""``fentanet calibrate`` and ``fentanet sensitivity``: fits to published series (observation
models, the exogenous fentanyl transition) and sensitivity analyses, on the full
simulation (ensembles on Dask, every run kept in the store) or the population surrogate."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer

from fentanet.cli import app
from fentanet.cli.common import (
    check_output_folder,
    console,
    counted,
    err_console,
    print_json,
    table,
)
from fentanet.cli.reporting import PngOpt, ReportOpt, check_report_paths, save_report
from fentanet.cli.runs import (
    JsonOpt,
    SchedulerOpt,
    SeedOpt,
    SetOpt,
    StoreOpt,
    WorkersOpt,
    parse_sets,
)
from fentanet.errors import InputError, one_role
from fentanet.simulate.output import (
    Marker,
    Writer,
    check_folder,
    csv_writer,
    earlier_result,
    json_writer,
    jsonable,
    write_files,
)

ScenarioArg = Annotated[str, typer.Argument(help="Built-in scenario name or YAML file.")]
ModelOpt = Annotated[str, typer.Option(
    "--model", help="full: the whole simulation, as ensembles on Dask kept in the store; "
                    "population: the population model alone on the scenario's markets, driven "
                    "by the status quo of a one-year full run (a fast surrogate, in this "
                    "process, not stored).")]
StartOpt = Annotated[int | None, typer.Option(
    "--start-year", help="Calendar year of time 0 (overrides the scenario's).")]
YearsOpt = Annotated[float | None, typer.Option(
    "--years", help="Horizon in years (overrides the scenario's).")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Folder to write the results to.")]


def _text_writer(text: str) -> Writer:
    """A writer of ``text`` as UTF-8."""
    return lambda p: p.write_text(text, encoding="utf-8")


CALIBRATION_FILES: dict[str, Callable[[Any, pd.DataFrame | None, dict[str, Any]],
                                       Writer | None]] = {
    "parameters.csv": lambda fit, checked, data: csv_writer(fit.parameters),
    "fit.csv": lambda fit, checked, data: csv_writer(fit.fit),
    "history.csv": lambda fit, checked, data: csv_writer(fit.history),
    "calibration.md": lambda fit, checked, data: _text_writer(fit.markdown() + "\n"),
    "check_full.csv": lambda fit, checked, data: None if checked is None else csv_writer(checked),
    "calibration.json": lambda fit, checked, data: json_writer(data),
}
"""The files ``calibrate --out`` writes, each with what makes its writer from the fit (a
:class:`~fentanet.calibrate.Calibration`), the full simulation's check (``--check``; without
it, no ``check_full.csv``) and the JSON document: the one list the folder is checked
against before the fit, written from, and cleared of an earlier fit's files by."""


CALIBRATION_MARKER: Marker = ("calibration.json",
                              (frozenset({"parameters", "fit", "summary"}),))
"""An earlier fit's ``calibration.json``: its files may be replaced, and only then."""


def _model(kind: str, scenario: str, *, start_year: int | None, years: float | None,
           transition: bool, overrides: dict[str, Any], seed: int | None) -> Any:
    from fentanet.calibrate import MODELS, build_model

    if kind not in MODELS:
        raise InputError(f"expected one of {', '.join(MODELS)}, got {kind!r}",
                         field="--model")
    args = dict(start_year=start_year, years=years, transition=transition,
                overrides=overrides or None, seed=1 if seed is None else seed)
    if kind == "population":
        with err_console.status("measuring the status quo of the full simulation (one year)"):
            return build_model(scenario, "population", **args)
    return build_model(scenario, "full", **args)


def _check_roles(role: str, names: list[str], sets: dict[str, Any], *,
                 start_year: int | None, years: float | None, seed: int | None,
                 transition: bool) -> None:
    """Refuse, before anything runs, a parameter two options give values at once: fitted or
    varied (``--param``) and set (``--set``), ``--years``, ``--start-year`` or ``--seed``
    and a ``--set`` of the same field, the potency trend set while ``--transition`` drives
    it."""
    one_role({role: names, "set for every run (--set)": sets,
              "the horizon (--years)": [] if years is None else ["years"],
              "the start year (--start-year)": [] if start_year is None else ["start_year"],
              "the first seed (--seed)": [] if seed is None else ["seed"],
              "driven by the fentanyl transition (--transition)":
                  ["params.market.potency_trend"] if transition else []})


def _fit_years(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        a, b = (int(x) for x in text.split(":"))
    except ValueError:
        raise InputError(f"expected FIRST:LAST years, got {text!r}", field="--fit-years") from None
    return a, b


def _fit_rows(fit: pd.DataFrame, used: bool = True) -> list[list[Any]]:
    return [[r.target, r.year, f"{r.observed:,.0f}", f"{r.simulated:,.0f}",
             f"{100 * r.relative_error:+.1f}%", *(["fit" if r.used else "held out"] if used
                                                  else [])]
            for r in fit.itertuples()]


@app.command()
def calibrate(
    scenario: ScenarioArg,
    target: Annotated[list[Path], typer.Option(
        "--target", "-t", help="CSV of an observed annual series (repeat), e.g. "
                               "../shared/data/public/us_synthetic_opioid_deaths.csv.")],
    param: Annotated[list[str] | None, typer.Option(
        "--param", "-p", help="Fitted parameter NAME=LOW:HIGH[:START] (repeat, at most four). "
                              "NAME is a dotted scenario path (params.population.overdose_rate)"
                              " or fentanyl.midpoint/width/heroin_risk. Default: the overdose "
                              "rate and, with the transition, its midpoint and width.")] = None,
    model: ModelOpt = "full",
    backtest: Annotated[int | None, typer.Option(
        "--backtest", help="Fit the years up to this one; report the error on the later "
                           "years.")] = None,
    fit_years: Annotated[str | None, typer.Option(
        "--fit-years", help="FIRST:LAST years to fit (default: every observed year).")] = None,
    runs: Annotated[int, typer.Option("--runs", "-n", min=1, help="Seeds per evaluation (the "
                                                                  "same each time).")] = 2,
    seed: SeedOpt = None,
    start_year: StartOpt = None,
    years: YearsOpt = None,
    transition: Annotated[bool, typer.Option(
        "--transition/--no-transition", help="Drive potency with the exogenous fentanyl "
                                             "transition (fentanyl.* parameters); synthetic-"
                                             "opioid deaths are observed through it.")] = True,
    check: Annotated[bool, typer.Option(
        "--check", help="After a --model population fit, run the full simulation at the "
                        "estimates (an ensemble, kept) and report its fit.")] = False,
    provisional: Annotated[bool, typer.Option(
        "--provisional", help="Keep provisional observations (left out by default).")] = False,
    scale: Annotated[str | None, typer.Option(
        "--scale", help="Observation model of every target: fixed (observed = simulated) or "
                        "free (observed = kappa x simulated); default: per file.")] = None,
    series: Annotated[str | None, typer.Option(
        "--series", help="Model series the targets are compared with (default: per known "
                         "file, e.g. synthetic_fatal for the CDC deaths).")] = None,
    column: Annotated[str | None, typer.Option(
        "--column", help="Column of the target files to fit (default: per known file, or "
                         "the only value column).")] = None,
    max_evaluations: Annotated[int, typer.Option(
        "--max-evaluations", min=1, help="Solver iterations at most.")] = 60,
    set_: SetOpt = None,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
    store: StoreOpt = None,
    out: OutOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Fit up to four parameters to observed annual series (least squares on log counts):
    estimates with 90% intervals and identifiability, the error per year, a backtest."""
    from fentanet.calibrate import calibrate as fit_model
    from fentanet.calibrate import parameters_from, read_target
    from fentanet.ensemble.core import MAX_RUNS

    if runs > MAX_RUNS:  # each evaluation runs them (the surrogate in this process)
        raise InputError(f"{runs:,} seeds per evaluation; at most {MAX_RUNS:,}",
                         field="--runs")
    if check and model != "population":
        raise InputError("--check runs the full simulation after a --model population fit",
                         field="--check")
    check_output_folder(out, "--out")
    if out is not None:  # a folder named like a file it will hold, files fentanet did not
        check_folder(out, "--out", tuple(CALIBRATION_FILES))  # write: refused before the fit
        earlier_result(out, tuple(CALIBRATION_FILES), CALIBRATION_MARKER)
    targets = [read_target(t, value=column, series=series, scale=scale,
                           provisional=provisional) for t in target]
    from fentanet.calibrate.fit import default_parameters

    params = parameters_from(param) if param else None
    fixed = parse_sets(set_)
    _check_roles("fitted (--param)" if params else "fitted (by default)",
                 [p.name for p in params or default_parameters(transition)], fixed,
                 start_year=start_year, years=years, seed=seed, transition=transition)
    m = _model(model, scenario, start_year=start_year, years=years, transition=transition,
               overrides=fixed, seed=seed)
    where = dict(scheduler=scheduler, workers=workers, store=store)
    with err_console.status("fitting") as status:

        def progress(n: int, cost: float) -> None:
            status.update(f"fitting: {n} runs, cost {cost:.4g}")

        result = fit_model(m, targets, params, runs=runs, seed=seed,
                           fit_years=_fit_years(fit_years), backtest=backtest,
                           max_evaluations=max_evaluations, progress=progress, **where)
    checked = None
    if check:
        full = _model("full", scenario, start_year=start_year, years=years,
                      transition=transition, overrides=fixed, seed=seed)
        with err_console.status("checking with the full simulation"):
            checked = result.check(full, targets, runs=1, seed=seed, **where)
    data = result.to_dict()
    if checked is not None:
        data["check_full"] = checked.to_dict(orient="records")
        data["check_ensembles"] = checked.attrs.get("ensembles", [])
    if out is not None:  # all files or none; an earlier fit's check_full.csv goes
        writers = {name: w for name, make in CALIBRATION_FILES.items()
                   if (w := make(result, checked, data)) is not None}
        write_files(out, writers, replaces=tuple(CALIBRATION_FILES), marker=CALIBRATION_MARKER)
    if json_out:
        print_json(jsonable(data))
        return
    p = result.parameters
    console.print(table("Estimates (90% interval)",
                        ["parameter", "estimate", "low", "high", "identified"],
                        [[r.name, *_to_interval(r.estimate, r.low90, r.high90),
                          "yes" if r.identified else "NO"] for r in p.itertuples()]))
    console.print(table("Fit", ["target", "year", "observed", "simulated", "error", "used"],
                        _fit_rows(result.fit)))
    s = result.summary
    kept = (f"; {len(s['ensembles'])} ensembles in {s['store']}" if s["ensembles"] else "")
    held = (f"held out {s['rmse_log_test']:.3f}" if np.isfinite(s["rmse_log_test"])
            else "no years held out")
    console.print(f"log RMSE fit {s['rmse_log_fit']:.3f}, {held}; "
                  f"condition number {s['condition_number']:.3g}; {s['runs']} runs{kept}; "
                  f"{s['message']}", soft_wrap=True, markup=False)
    if checked is not None:
        console.print(table("Full simulation at the estimates",
                            ["target", "year", "observed", "simulated", "error"],
                            _fit_rows(checked, used=False)))
    if not p["identified"].all():
        err_console.print("warning: some parameters are not identified by these targets "
                          "(no effect on them: the search bounds as interval; a wide interval; or "
                          "correlation above 0.95)")


@app.command()
def sensitivity(
    scenario: ScenarioArg,
    param: Annotated[list[str], typer.Option(
        "--param", "-p", help="Parameter range NAME=LOW:HIGH[:BASE] (repeat); BASE (tornado) "
                              "is where the others are held (default: the scenario's "
                              "value).")],
    method: Annotated[str, typer.Option(
        "--method", help="tornado: one at a time, per-seed changes with intervals; lhs: "
                         "Latin hypercube with partial rank correlation; sobol: first-order "
                         "and total Sobol' indices with bootstrap intervals.")] = "tornado",
    samples: Annotated[int | None, typer.Option(
        "--samples", min=2, help="Points of the Latin hypercube (default 50), or base samples "
                                 "N of the Sobol' design (a power of 2, default 64: N x "
                                 "(parameters + 2) points).")] = None,
    runs: Annotated[int | None, typer.Option(
        "--runs", "-n", min=1, help="Seeds per point, common to all points (default 5 for "
                                    "tornado, 1 for lhs and sobol).")] = None,
    metric: Annotated[str, typer.Option(
        "--metric", help="Summary metric analysed: deaths_total, fatal_total, "
                         "synthetic_fatal_total, supply_kg_total, people_using_end...")]
    = "deaths_total",
    model: ModelOpt = "full",
    seed: SeedOpt = None,
    start_year: StartOpt = None,
    years: YearsOpt = None,
    transition: Annotated[bool, typer.Option(
        "--transition/--no-transition", help="Drive potency with the fentanyl transition "
                                             "(fentanyl.* parameters).")] = False,
    set_: SetOpt = None,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
    store: StoreOpt = None,
    out: OutOpt = None,
    json_out: JsonOpt = False,
    report: ReportOpt = None,
    png: PngOpt = None,
) -> None:
    """How much an outcome moves with each parameter: one at a time (tornado) or globally
    (Latin hypercube, PRCC; Sobol' indices). On the full model the runs are one ensemble,
    kept."""
    from fentanet.calibrate import global_sensitivity, parameters_from, sobol, sobol_design, tornado

    if method not in ("tornado", "lhs", "sobol"):
        raise InputError(f"method must be tornado, lhs or sobol, got {method!r}",
                         field="--method")
    if (report or png) and method != "tornado":
        raise InputError("--report draws the tornado: use it with --method tornado",
                         field="--report")
    check_report_paths(report, png)
    check_output_folder(out, "--out")
    if out is not None:
        check_folder(out, "--out", sensitivity_files(method))
    params = parameters_from(param, third="base")
    _check_design_size(method, len(params), samples, runs)
    if method == "sobol":  # samples not a power of 2: refused before the model is built
        sobol_design(params, 64 if samples is None else samples)
    sets = parse_sets(set_)
    _check_roles("varied (--param)", [p.name for p in params], sets, start_year=start_year,
                 years=years, seed=seed, transition=transition)
    m = _model(model, scenario, start_year=start_year, years=years, transition=transition,
               overrides=sets, seed=seed)
    kw = dict(metric=metric, seed=seed, scheduler=scheduler, workers=workers, store=store,
              progress=sys.stderr.isatty() and not json_out)
    design = None
    if method == "tornado":
        result = tornado(m, params, runs=runs or 5, **kw)
        cols = ["parameter", "low", "high", "base", "change_low", "change_high", "swing",
                "elasticity"]
    elif method == "lhs":
        result, design = global_sensitivity(m, params, samples=samples or 50, runs=runs or 1,
                                            **kw)
        cols = ["parameter", "prcc", "p_value", "samples"]
    else:
        result, design = sobol(m, params, samples=samples or 64, runs=runs or 1, **kw)
        cols = ["parameter", "first_order", "first_low", "first_high", "total_order",
                "total_low", "total_high", "samples"]
    eid = result.attrs.get("ensemble")
    if out is not None:  # all files or none
        tables = [result] if design is None else [result, design]
        write_files(out, dict(zip(sensitivity_files(method), map(csv_writer, tables),
                                  strict=True)))
    if json_out:
        print_json(jsonable({"method": method, "metric": metric, "ensemble": eid,
                           "table": result, "design": design}))
    else:
        where = f"ensemble {eid}" if eid else "population surrogate, not stored"
        rows = result[cols].to_numpy().tolist()
        if method == "tornado":  # each change with its interval over seeds
            cols = ["parameter", "low", "high", "base", "change at low (95%)",
                    "change at high (95%)", "swing", "elasticity"]
            rows = [[r.parameter, r.low, r.high, r.base,
                     *(_change(getattr(r, f"change_{e}"), getattr(r, f"change_{e}_ci_low"),
                               getattr(r, f"change_{e}_ci_high")) for e in ("low", "high")),
                     r.swing, r.elasticity] for r in result.itertuples()]
        if method == "sobol":  # index and interval side by side, for a narrow terminal
            cols = ["parameter", "first order", "95% interval", "total", "95% interval",
                    "samples"]
            rows = [[r.parameter, f"{r.first_order:.3f}",
                     f"{r.first_low:.3f} .. {r.first_high:.3f}", f"{r.total_order:.3f}",
                     f"{r.total_low:.3f} .. {r.total_high:.3f}", r.samples]
                    for r in result.itertuples()]
        console.print(table(f"{method}: {metric} ({where})", cols, rows))
    if report or png:
        from fentanet.report import sensitivity_report

        save_report(sensitivity_report(result, scenario=str(getattr(m, "name", scenario)),
                                       metric=metric), report, png, json_out=json_out)


def _check_design_size(method: str, n_params: int, samples: int | None,
                       runs: int | None) -> None:
    """Refuse a design of more runs (points x seeds) than one ensemble takes
    (:data:`fentanet.ensemble.core.MAX_RUNS`), on either model, before anything is made:
    ``--samples 1000000000`` made its design for minutes, or filled the memory."""
    from fentanet.ensemble.core import MAX_RUNS

    if method == "tornado":
        points, what = 2 * n_params + 1, f"{2 * n_params + 1} points"
    elif method == "lhs":
        points = 50 if samples is None else samples
        what = f"{points:,} samples"
    else:
        n = 64 if samples is None else samples
        points = n * (n_params + 2)
        what = f"{n:,} x ({counted(n_params, 'parameter')} + 2) points"
    seeds = runs or (5 if method == "tornado" else 1)
    if points * seeds > MAX_RUNS:
        raise InputError(f"{points * seeds:,} runs ({what} x {counted(seeds, 'seed')}); a design "
                         f"takes at most {MAX_RUNS:,}", field="--samples" if points >
                         MAX_RUNS else "--runs")


def sensitivity_files(method: str) -> tuple[str, ...]:
    """The files ``sensitivity --out`` writes: the method's table, then the design's points
    with their outcomes (a Latin hypercube's or Sobol' design; a tornado has none), each
    named by the method, so that an ``lhs`` and a ``sobol`` analysis written to the same
    folder each keep their own design (both once wrote ``design.csv``)."""
    return (f"sensitivity_{method}.csv",
            *(() if method == "tornado" else (f"design_{method}.csv",)))


def _to_interval(*values: float) -> list[str]:
    """An estimate and its interval's bounds with the decimals that tell them apart (three
    significant digits of the interval's width: 2017.936 (2017.839 - 2018.033), where four
    significant digits printed 2018 (2018 - 2018))."""
    width = values[2] - values[1]
    if not (np.isfinite(width) and width > 0):
        return [f"{v:.4g}" for v in values]
    decimals = max(0, 2 - math.floor(math.log10(width)))
    return [f"{v:.{decimals}f}" for v in values]


def _change(value: float, low: float, high: float) -> str:
    """A change and its interval over seeds: ``-812 (-901 .. -723)``; without an interval
    (one seed), the change alone."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return f"{value:.4g}"
    return f"{value:.4g} ({low:.4g} .. {high:.4g})"
