"""``fentanet calibration fit|sensitivity``: fits to published figures with observation
models (calendar and fiscal years, a free scale for seizures), the exogenous fentanyl
transition and the population surrogate, and sensitivity on either model.

(``fentanet calibrate`` and ``fentanet sensitivity``, of :mod:`fentanet.cli.runs`, fit and
screen through stored ensembles of the full simulation.)"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from fentanet.cli import app
from fentanet.cli.common import console, err_console, print_json, table
from fentanet.errors import InputError

MODELS = ("full", "population")

calibration_app = typer.Typer(
    help="Fit the model to published series (observation models, fentanyl transition, "
    "population surrogate) and measure its sensitivity.",
    no_args_is_help=True,
)
app.add_typer(calibration_app, name="calibration")

ScenarioArg = Annotated[str, typer.Argument(help="Built-in scenario name or YAML path.")]
ParamOpt = Annotated[
    list[str],
    typer.Option(
        "--param",
        help="Parameter and range: NAME=LOW:HIGH[:START] (repeat). NAME is a dotted "
        "scenario path (params.population.overdose_rate) or fentanyl.midpoint/width/heroin_risk.",
    ),
]
ModelOpt = Annotated[
    str,
    typer.Option(
        help="full: the whole simulation; population: the population model alone on the "
        "scenario's markets, driven by the status quo of a one-year full run (fast surrogate)."
    ),
]
SeedsOpt = Annotated[
    int, typer.Option(help="Runs per evaluation (seeds 1..N, common to every evaluation).")
]
StartOpt = Annotated[
    int | None, typer.Option(help="Calendar year of time 0 (overrides the scenario's).")
]
YearsOpt = Annotated[
    float | None, typer.Option(help="Horizon in years (overrides the scenario's).")
]
TransitionOpt = Annotated[
    bool,
    typer.Option(
        help="Drive potency with the exogenous fentanyl transition (fentanyl.* parameters) and "
        "compare synthetic-opioid deaths through it."
    ),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        help="Run on a local Dask cluster with this many workers (default: in this process)."
    ),
]
SchedulerOpt = Annotated[str | None, typer.Option(help="Address of a Dask scheduler to run on.")]
OutOpt = Annotated[Path | None, typer.Option(help="Folder to write the results to.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Fixed scenario override DOTTED.PATH=VALUE (repeat; VALUE read as YAML), "
        "e.g. network.generate.population=3000000.",
    ),
]


def _overrides(items: list[str] | None) -> dict[str, Any]:
    import yaml

    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"expected DOTTED.PATH=VALUE, got {item!r}", field="set")
        try:
            out[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise InputError(f"cannot read the value of {key!r}: {exc}", field="set") from None
    return out


def _model(
    kind: str,
    scenario: str,
    start_year: int | None,
    years: float | None,
    transition: bool,
    seed: int = 1,
    overrides: dict[str, Any] | None = None,
) -> Any:
    from fentanet.calibrate import FentanylTransition, PopulationModel, ScenarioModel
    from fentanet.scenarios import load

    if kind not in MODELS:
        raise InputError(f"expected one of {MODELS}, got {kind!r}", field="model")
    tr = FentanylTransition() if transition else None
    sc = load(scenario)
    if overrides:
        sc = sc.override(overrides)
    if kind == "full":
        return ScenarioModel(sc, start_year=start_year, years=years, transition=tr)
    with console.status("measuring the status quo of the full simulation (one year)"):
        return PopulationModel.from_scenario(
            sc, start_year=start_year, years=years, transition=tr, seed=seed
        )


@contextlib.contextmanager
def _client(workers: int | None, scheduler: str | None) -> Iterator[Any]:
    if workers is None and scheduler is None:
        yield None
        return
    from fentanet.ensemble import connect

    with connect(scheduler, workers) as client:
        yield client


def _years(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        a, b = (int(x) for x in text.split(":"))
    except ValueError:
        raise InputError(f"expected FIRST:LAST years, got {text!r}", field="fit-years") from None
    return a, b


@calibration_app.command("fit")
def calibrate(
    scenario: ScenarioArg,
    target: Annotated[
        list[Path],
        typer.Option(
            help="CSV of an observed annual series (repeat)"
            ", e.g. ../shared/data/public/"
            "us_synthetic_opioid_deaths.csv."
        ),
    ],
    param: ParamOpt,
    model: ModelOpt = "full",
    seeds: SeedsOpt = 2,
    start_year: StartOpt = None,
    years: YearsOpt = None,
    fit_years: Annotated[str | None, typer.Option(help="FIRST:LAST years to fit.")] = None,
    backtest: Annotated[
        int | None,
        typer.Option(help="Fit the years up to this one; report the error on the later years."),
    ] = None,
    transition: TransitionOpt = True,
    check: Annotated[
        bool,
        typer.Option(
            help="After a population-surrogate fit, run the full "
            "simulation at the estimates and report its fit."
        ),
    ] = False,
    provisional: Annotated[bool, typer.Option(help="Keep provisional observations.")] = False,
    scale: Annotated[
        str | None,
        typer.Option(
            help="Observation model of every target: fixed "
            "(observed = simulated) or free (observed = "
            "kappa x simulated); default: per file."
        ),
    ] = None,
    max_evaluations: Annotated[int, typer.Option(help="Solver iterations at most.")] = 60,
    set_: SetOpt = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    out: OutOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Fit up to four parameters to observed annual series (least squares on log counts),
    with 90% intervals, identifiability and an optional backtest."""
    from fentanet.calibrate import Parameter, read_target
    from fentanet.calibrate import calibrate as fit_model

    targets = [read_target(t, provisional=provisional, scale=scale) for t in target]
    params = [Parameter.parse(p) for p in param]
    fixed = _overrides(set_)
    m = _model(model, scenario, start_year, years, transition, overrides=fixed)
    seed_list = list(range(1, int(seeds) + 1))
    with _client(workers, scheduler) as client:
        with console.status("fitting") as status:

            def progress(runs: int, cost: float) -> None:
                status.update(f"fitting: {runs} runs, cost {cost:.4g}")

            result = fit_model(
                m,
                targets,
                params,
                seeds=seed_list,
                fit_years=_years(fit_years),
                backtest=backtest,
                client=client,
                max_evaluations=max_evaluations,
                progress=progress,
            )
        checked = None
        if check:
            full = _model("full", scenario, start_year, years, transition, overrides=fixed)
            with console.status("checking with the full simulation"):
                checked = result.check(full, targets, seeds=seed_list[:1], client=client)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        result.parameters.to_csv(out / "parameters.csv", index=False)
        result.fit.to_csv(out / "fit.csv", index=False)
        (out / "calibration.md").write_text(result.markdown() + "\n", encoding="utf-8")
        data = result.to_dict()
        if checked is not None:
            checked.to_csv(out / "check_full.csv", index=False)
            data["check_full"] = checked.to_dict(orient="records")
        (out / "calibration.json").write_text(
            json.dumps(data, indent=2, default=str), encoding="utf-8"
        )
    if json_out:
        data = result.to_dict()
        if checked is not None:
            data["check_full"] = checked.to_dict(orient="records")
        print_json(data)
        return
    p = result.parameters
    console.print(
        table(
            "Estimates (90% interval)",
            ["parameter", "estimate", "low", "high", "identified"],
            [[r.name, r.estimate, r.low90, r.high90, r.identified] for r in p.itertuples()],
        )
    )
    fit = result.fit
    console.print(
        table(
            "Fit",
            ["target", "year", "observed", "simulated", "error", "used"],
            [
                [
                    r.target,
                    r.year,
                    f"{r.observed:,.0f}",
                    f"{r.simulated:,.0f}",
                    f"{100 * r.relative_error:+.1f}%",
                    "fit" if r.used else "test",
                ]
                for r in fit.itertuples()
            ],
        )
    )
    s = result.summary
    console.print(
        f"log RMSE fit {s['rmse_log_fit']:.3f}, test {s['rmse_log_test']:.3f}; "
        f"condition number {s['condition_number']:.3g}; {s['runs']} runs; "
        f"{s['message']}"
    )
    if checked is not None:
        console.print(
            table(
                "Full simulation at the estimates",
                ["target", "year", "observed", "simulated", "error"],
                [
                    [
                        r.target,
                        r.year,
                        f"{r.observed:,.0f}",
                        f"{r.simulated:,.0f}",
                        f"{100 * r.relative_error:+.1f}%",
                    ]
                    for r in checked.itertuples()
                ],
            )
        )
    if not p["identified"].all():
        err_console.print(
            "warning: some parameters are not identified by these targets "
            "(wide interval or correlation above 0.95)"
        )


@calibration_app.command("sensitivity")
def sensitivity(
    scenario: ScenarioArg,
    param: ParamOpt,
    metric: Annotated[
        str, typer.Option(help="Model series, summed per year of the run.")
    ] = "fatal",
    method: Annotated[
        str,
        typer.Option(
            help="oat: one at a time (tornado); lhs: Latin hypercube with partial rank correlation."
        ),
    ] = "oat",
    samples: Annotated[int, typer.Option(help="Latin hypercube points.")] = 50,
    model: ModelOpt = "full",
    seeds: SeedsOpt = 1,
    start_year: StartOpt = None,
    years: YearsOpt = None,
    transition: Annotated[
        bool, typer.Option(help="Drive potency with the fentanyl transition.")
    ] = False,
    set_: SetOpt = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    out: OutOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """How much a model output moves with each parameter: one at a time, or globally."""
    from fentanet.calibrate import Parameter, latin_hypercube, one_at_a_time, tornado_figure

    if method not in ("oat", "lhs"):
        raise InputError(f"expected oat or lhs, got {method!r}", field="method")
    params = [Parameter.parse(p) for p in param]
    m = _model(model, scenario, start_year, years, transition, overrides=_overrides(set_))
    seed_list = list(range(1, int(seeds) + 1))
    with _client(workers, scheduler) as client, console.status("running"):
        if method == "oat":
            result = one_at_a_time(m, params, metric, seeds=seed_list, client=client)
            design = None
        else:
            design, result = latin_hypercube(
                m, params, metric, samples=samples, seeds=seed_list, client=client
            )
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        result.to_csv(out / f"sensitivity_{method}.csv", index=False)
        if design is not None:
            design.to_csv(out / "design.csv", index=False)
        else:
            tornado_figure(result).write_html(out / "tornado.html", include_plotlyjs=True)
    if json_out:
        print_json(
            {"method": method, "table": result, "design": design if design is not None else None}
        )
        return
    if method == "oat":
        console.print(
            table(
                f"One at a time: {metric} per year",
                ["parameter", "low", "high", "at low", "base", "at high", "swing", "elasticity"],
                [
                    [
                        r.parameter,
                        r.low,
                        r.high,
                        r.metric_low,
                        r.metric_base,
                        r.metric_high,
                        r.swing,
                        r.elasticity,
                    ]
                    for r in result.itertuples()
                ],
            )
        )
    else:
        console.print(
            table(
                f"Partial rank correlation with {metric} ({samples} points)",
                ["parameter", "PRCC", "p-value"],
                [[r.parameter, r.prcc, r.p_value] for r in result.itertuples()],
            )
        )
