"""``fentanet simulate`` and ``fentanet compare``: one run or an ensemble, kept in the store.

With ``--runs N`` the runs go to Dask (a local cluster, or ``--scheduler``); a single run
is made in this process. Every run is kept in the run store (``--store``).
"""

from __future__ import annotations

from typing import Annotated

import typer

from fentanet.cli import app
from fentanet.cli.runs import (
    JsonOpt,
    SchedulerOpt,
    SeedOpt,
    StoreOpt,
    WorkersOpt,
    run_ensemble,
)
from fentanet.errors import InputError

YearsOpt = Annotated[float | None, typer.Option("--years", help="Horizon in years (default: "
                                                                "the scenario's).")]


def _scheduler(runs: int, scheduler: str | None) -> str | None:
    # one run is not worth starting a cluster for
    return "serial" if runs == 1 and scheduler is None else scheduler


@app.command()
def simulate(
    scenario: Annotated[str, typer.Argument(help="Built-in scenario name (toy, us-baseline) "
                                                 "or YAML file.")],
    runs: Annotated[int, typer.Option("--runs", "-n", min=1, help="Runs (seeds seed, "
                                                                  "seed+1, ...).")] = 1,
    variant: Annotated[str | None, typer.Option(help="Run this strategy of the scenario "
                                                     "(alone, not compared).")] = None,
    seed: SeedOpt = None,
    years: YearsOpt = None,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Run a scenario once, or N times on Dask, and keep the runs in the store."""
    from fentanet.ensemble import Variant

    variants = None if variant is None else [Variant(variant, None)]
    if variants is not None:
        _check_strategies(scenario, [variant])
    run_ensemble(scenario, runs=runs, variants=variants, seed=seed, years=years,
                 scheduler=_scheduler(runs, scheduler), workers=workers, store=store,
                 json_out=json_out, baseline=variant is None)


@app.command()
def compare(
    scenario: Annotated[str, typer.Argument(help="Built-in scenario name or YAML file.")],
    variants: Annotated[list[str] | None, typer.Argument(
        help="Strategies of the scenario to compare with the baseline (default: all).")]
    = None,
    runs: Annotated[int, typer.Option("--runs", "-n", min=1, help="Seeds per variant "
                                                                  "(common to all).")] = 1,
    seed: SeedOpt = None,
    years: YearsOpt = None,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Compare strategies with the baseline on the same seeds: deaths averted, supply
    reduction and cost per death averted, per seed and with intervals."""
    names = _check_strategies(scenario, variants or None)
    run_ensemble(scenario, runs=runs, variants=names, seed=seed, years=years,
                 scheduler=_scheduler(runs, scheduler), workers=workers, store=store,
                 json_out=json_out)


def _check_strategies(scenario: str, names: list[str] | None) -> list[str]:
    """The strategies to run: ``names`` checked against the scenario's, or all of them."""
    from fentanet.ensemble import load_scenario

    have = list(getattr(load_scenario(scenario), "strategies", {}) or {})
    if names is None:
        if not have:
            raise InputError(f"scenario {scenario!r} defines no strategies to compare; name "
                             f"them in its 'strategies' section", field="variants")
        return have
    unknown = [n for n in names if n not in have]
    if unknown:
        raise InputError(f"scenario {scenario!r} has no strategy {', '.join(unknown)}; it has "
                         f"{', '.join(have) or 'none'}", field="variants")
    return names
