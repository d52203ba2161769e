"""``fentanet simulate``, ``compare``, ``scenarios`` and ``scenario show``.

``simulate`` and ``compare`` make one run or an ensemble: with ``--runs N`` the runs go to
Dask (a local cluster, or ``--scheduler``); a single run is made in this process. Every
run is kept in the run store (``--store``: per-run series as Parquet and a DuckDB
catalog). ``compare`` takes the scenario's strategies by name and ad-hoc variants
``--variant NAME=kind[:intensity[:rule[:count]]][@key=value...],...``. ``--out DIR``
writes the series, summaries, bands and comparison as files (docs/outputs.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from fentanet.cli import app
from fentanet.cli.common import (
    console,
    print_json,
    table,
)
from fentanet.cli.reporting import PngOpt, ReportOpt, check_report_paths, save_report
from fentanet.cli.runs import (
    CsvOpt,
    JsonOpt,
    OutOpt,
    SchedulerOpt,
    SeedOpt,
    SetOpt,
    StoreOpt,
    UncertainOpt,
    WorkersOpt,
    check_out,
    parse_sets,
    parse_uncertain,
    print_ensemble,
    run_ensemble,
    save_outputs,
)
from fentanet.errors import InputError
from fentanet.simulate.output import json_records
from fentanet.simulate.params import INTERVENTION_KINDS
from fentanet.simulate.scenario import variant_interventions

YearsOpt = Annotated[float | None, typer.Option("--years", help="Horizon in years (default: "
                                                                "the scenario's).")]
SensitivityOpt = Annotated[str | None, typer.Option(
    "--sensitivity", help="Add the tornado of this stored sensitivity ensemble (its id, from "
                          "`fentanet sensitivity`) to the --report.")]


def _tornado(store: str | None, sensitivity: str | None, metric: str | None) -> Any:
    """The tornado table of a stored sensitivity ensemble (read before the runs start, so a
    wrong id fails at once)."""
    if sensitivity is None:
        return None
    from fentanet.calibrate import tornado_table
    from fentanet.ensemble import Ensemble
    from fentanet.store import RunStore

    return tornado_table(Ensemble.load(RunStore(store), sensitivity),
                         **({"metric": metric} if metric else {}))


def _report(ens: Any, report: Any, png: Any, tornado: Any, json_out: bool) -> None:
    """Write the simulation report of an ensemble (with a tornado)."""
    from fentanet.report import simulation_report

    save_report(simulation_report(ens, sensitivity=tornado), report, png, json_out=json_out)


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
    set_: SetOpt = None,
    uncertain: UncertainOpt = None,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
    out: OutOpt = None,
    csv: CsvOpt = False,
    report: ReportOpt = None,
    png: PngOpt = None,
    sensitivity: SensitivityOpt = None,
    sensitivity_metric: Annotated[str | None, typer.Option(
        help="Metric of the --sensitivity tornado (default deaths_total).")] = None,
) -> None:
    """Run a scenario once, or N times on Dask, and keep the runs in the store."""
    from fentanet.ensemble import Variant

    check_report_paths(report, png)
    check_out(out)
    tornado = _tornado(store, sensitivity, sensitivity_metric)
    variants = None if variant is None else [Variant(variant, None)]
    if variants is not None:
        _check_strategies(scenario, [variant])
    ens = run_ensemble(scenario, runs=runs, variants=variants, seed=seed, years=years,
                       sets=parse_sets(set_), uncertain=parse_uncertain(uncertain),
                       scheduler=_scheduler(runs, scheduler),
                       workers=workers, store=store,
                       json_out=json_out, baseline=variant is None)
    save_outputs(ens, out, csv, json_out)
    if report or png:
        _report(ens, report, png, tornado, json_out)


@app.command()
def compare(
    scenario: Annotated[str, typer.Argument(help="Built-in scenario name or YAML file.")],
    variants: Annotated[list[str] | None, typer.Argument(
        help="Strategies of the scenario to compare with the baseline (default: all).")]
    = None,
    variant: Annotated[list[str] | None, typer.Option(
        "--variant", help="An ad-hoc variant NAME=kind[:intensity[:rule[:count]]]\\[@opt...],"
                          "... (repeatable); kind is one of " + ", ".join(INTERVENTION_KINDS)
                          + "; each @ adds an option: start=Y, end=Y, once, modes=air/sea, "
                          "view=known|true, cost_per_unit=USD.")]
    = None,
    start: Annotated[float | None, typer.Option(
        min=0, help="Start (years) of every compared intervention: those of --variant "
                    "(unless @start=; default 0) and those of the scenario's strategies "
                    "(default their own; each window moves to start here, keeping its "
                    "length).")] = None,
    runs: Annotated[int, typer.Option("--runs", "-n", min=1, help="Seeds per variant "
                                                                  "(common to all).")] = 1,
    seed: SeedOpt = None,
    years: YearsOpt = None,
    set_: SetOpt = None,
    uncertain: UncertainOpt = None,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
    out: OutOpt = None,
    csv: CsvOpt = False,
    report: ReportOpt = None,
    png: PngOpt = None,
    sensitivity: SensitivityOpt = None,
    sensitivity_metric: Annotated[str | None, typer.Option(
        help="Metric of the --sensitivity tornado (default deaths_total).")] = None,
) -> None:
    """Compare strategies with the baseline on the same seeds: deaths averted, supply
    reduction and cost per death averted, per seed and with intervals."""
    from fentanet.ensemble import Variant
    from fentanet.ensemble.plan import distinct_names

    check_report_paths(report, png)
    check_out(out)
    tornado = _tornado(store, sensitivity, sensitivity_metric)
    adhoc = [parse_variant(v, 0.0 if start is None else start) for v in variant or []]
    names: list[Any] = (_check_strategies(scenario, variants or None)
                        if variants or not adhoc else [])
    if start is not None:  # the strategies start there too (it was silently ignored)
        names = [Variant(n, tuple(strategy_from(scenario, n, start))) for n in names]
    for name, items in adhoc:  # an invalid intervention is refused now, not as N failed runs
        variant_interventions(name, items, field="variant", indexed=False)
    names += [Variant(name, tuple(items)) for name, items in adhoc]
    distinct_names([getattr(n, "name", n) for n in names], "variant")
    ens = run_ensemble(scenario, runs=runs, variants=names, seed=seed, years=years,
                       sets=parse_sets(set_), uncertain=parse_uncertain(uncertain),
                       scheduler=_scheduler(runs, scheduler),
                       workers=workers, store=store,
                       json_out=json_out)
    save_outputs(ens, out, csv, json_out)
    if report or png:
        _report(ens, report, png, tornado, json_out)


def _check_strategies(scenario: str, names: list[str] | None) -> list[str]:
    """The strategies to run: ``names`` checked against the scenario's, or all of them."""
    from fentanet.ensemble import load_scenario
    from fentanet.simulate.scenario import no_strategy

    sc = load_scenario(scenario)
    have = list(getattr(sc, "strategies", {}) or {})
    if names is None:
        if not have:
            raise InputError(f"scenario {scenario!r} defines no strategies to compare; name "
                             f"them in its 'strategies' section", field="variants")
        return have
    unknown = [n for n in names if n not in have]
    if unknown:
        raise no_strategy(sc, unknown)
    return names


def strategy_from(scenario: str, name: str, start: float) -> list[dict[str, Any]]:
    """The interventions of the scenario's strategy ``name`` with each window moved to
    start at ``start`` years, its length kept (an ``end`` moves with it), as the web app
    moves a strategy given a start: ``compare toy naloxone --start 0``. Validated, so a
    bad one names the strategy (an intervention at 0.5 ending at 1 moved to 2 ends at
    2.5)."""
    from fentanet.ensemble import load_scenario

    out = []
    for iv in load_scenario(scenario).strategies[name]:
        d = iv.model_dump(mode="json", exclude_defaults=True)
        d["start"] = float(start)
        if iv.end is not None:
            d["end"] = iv.end + (float(start) - iv.start)
        out.append(d)
    variant_interventions(name, out, field="--start")
    return out


_OPTIONS = {"start": float, "end": float, "cost_per_unit": float, "once": bool,
            "modes": tuple, "view": str}
"""What ``@key=value`` may set on an intervention of ``--variant``."""


def parse_variant(text: str, start: float = 0.0) -> tuple[str, list[dict[str, Any]]]:
    """``NAME=kind[:intensity[:rule[:count]]][@key=value...],...`` as a name and a list of
    interventions; each ``@`` adds an option: ``start``, ``end``, ``cost_per_unit``
    (numbers), ``once`` (alone, or ``once=true``), ``modes`` (route modes joined by ``/``,
    such as ``modes=air/sea``) and ``view`` (of the targeting rule: ``known`` or ``true``);
    the scenario's validation checks the values. No character a shell treats specially."""
    if "=" not in text:
        raise InputError(f"'{text}' is not NAME=intervention,... (give the scenario's "
                         "strategies as arguments)", field="variant")
    name, _, spec = text.partition("=")
    name = name.strip()
    if not name:
        raise InputError(f"'{text}' has an empty name; expected NAME=intervention,...",
                         field="variant")
    if name == "baseline":
        raise InputError("a variant needs a name other than 'baseline'", field="variant")
    items = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        part, *opts = part.split("@")
        fields = part.split(":")
        if len(fields) > 4:  # a start or anything else there was dropped without a word
            raise InputError(f"'{part}' has {len(fields)} ':' fields, expected at most 4: "
                             "kind[:intensity[:rule[:count]]]; give a start, an end and the "
                             "other options after @ (kind:intensity@start=0.5@end=2)",
                             field="variant")
        kind = fields[0]
        if kind not in INTERVENTION_KINDS:
            raise InputError(f"unknown intervention '{kind}'; expected one of "
                             f"{', '.join(INTERVENTION_KINDS)}", field="variant")
        iv: dict[str, Any] = {"kind": kind, "start": start}
        if len(fields) > 1 and fields[1]:
            try:
                iv["intensity"] = float(fields[1])
            except ValueError:
                raise InputError(f"the intensity of '{part}' must be a number, got "
                                 f"'{fields[1]}'", field="variant") from None
        if len(fields) > 2:
            iv["target"] = {"rule": fields[2]}
            if len(fields) > 3:
                try:
                    iv["target"]["count"] = int(fields[3])
                except ValueError:
                    raise InputError(f"the count of '{part}' must be a whole number, got "
                                     f"'{fields[3]}'", field="variant") from None
        _options(iv, opts)
        if iv in items:
            raise InputError(f"variant '{name}' gives '{part}' twice with the same options; "
                             "give it once (with the intensity wanted)", field="variant")
        items.append(iv)
    if not items:
        raise InputError(f"variant '{name}' has no intervention", field="variant")
    return name, items


def _options(iv: dict[str, Any], options: list[str]) -> None:
    """The ``key=value`` options of one intervention of ``--variant``, into ``iv``."""
    for item in filter(None, (o.strip() for o in options)):
        key, eq, value = (x.strip() for x in item.partition("="))
        kind = _OPTIONS.get(key)
        if kind is None:
            raise InputError(f"unknown option '{key}' of {iv['kind']}; expected one of "
                             f"{', '.join(_OPTIONS)}", field="variant")
        if kind is bool:
            if eq and value.lower() not in ("true", "false"):
                raise InputError(f"{key} is true or false, got '{value}'", field="variant")
            iv[key] = not eq or value.lower() == "true"
        elif not value:
            raise InputError(f"option '{key}' of {iv['kind']} needs a value ({key}=...)",
                             field="variant")
        elif kind is float:
            try:
                iv[key] = float(value)
            except ValueError:
                raise InputError(f"{key} of {iv['kind']} must be a number, got '{value}'",
                                 field="variant") from None
        elif key == "modes":
            iv[key] = [m.strip() for m in value.split("/") if m.strip()]
        elif "target" not in iv:  # view: of the targeting rule
            raise InputError(f"view applies to a targeting rule; give {iv['kind']}:"
                             "intensity:rule first", field="variant")
        else:
            iv["target"]["view"] = value


scenario_app = typer.Typer(help="Show a scenario.", no_args_is_help=True)
app.add_typer(scenario_app, name="scenario")


@app.command("scenarios")
def scenarios_command(
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the built-in scenarios."""
    from fentanet import scenarios

    rows = []
    for name in scenarios.names():
        s = scenarios.load(name)
        actors = (s.network.generate or {}).get("actors", "")
        rows.append({"name": name, "years": s.years, "steps": s.steps, "actors": actors,
                     "strategies": list(s.strategies), "description": s.description})
    if json_out:
        print_json(rows)
        return
    console.print(table("Built-in scenarios", ["name", "years", "steps", "actors",
                                               "strategies"],
                        [[r["name"], r["years"], r["steps"], r["actors"],
                          ", ".join(r["strategies"])] for r in rows]))


@scenario_app.command("show")
def scenario_show(
    name: Annotated[str, typer.Argument(help="Built-in scenario name or YAML file.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print a scenario with every parameter (defaults filled in)."""
    from fentanet import scenarios

    s = scenarios.load(name)
    data = _with_defaults(s.model_dump(mode="json"))
    if json_out:
        print_json(data)
        return
    console.print(f"# {s.name} (sha256 {s.digest()[:12]})", soft_wrap=True, markup=False)
    console.print(_sources_note(name, s), soft_wrap=True, markup=False)
    console.print(yaml.safe_dump(data, sort_keys=False), soft_wrap=True, markup=False,
                  end="")


def _sources_note(name: str, s: Any) -> str:
    """YAML comments printed above a scenario (so the output stays a scenario file): the
    values it sets (the rest are defaults), where the sources of its own values and of every
    default are, and its file's opening comments, where a scenario documents its values
    (us-baseline's sources)."""
    from fentanet import scenarios
    from fentanet.simulate.scenario import values_set

    path = scenarios.path(name) if name in scenarios.names() else Path(name)
    given = values_set(s)
    lines = [f"# {path}",
             f"# sets: {', '.join(given) or 'nothing'}; every other value is the default",
             "# sources: of the values it sets, the file's comments (below); of every default, "
             "with its source or 'assumption': docs/model.md section 8 (params, and the "
             "scenario's fields), docs/model-population.md (params.population), "
             "docs/network.md (network.generate)"]
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    for line in text.splitlines():  # its opening comments, up to its first field
        if line.strip() and not line.lstrip().startswith("#"):
            break
        lines.append(line.rstrip() or "#")
    return "\n".join(lines)


def _with_defaults(data: dict[str, Any]) -> dict[str, Any]:
    """A scenario's data with the defaults it keeps implicit filled in: every parameter of
    the population model and every field of the generator spec (a scenario stores only the
    values it sets there)."""
    import dataclasses

    from fentanet.network.generator import SupplySpec
    from fentanet.simulate.population import PopulationParams

    params = data.get("params") or {}
    params["population"] = dataclasses.asdict(
        PopulationParams.from_mapping(params.get("population")))
    network = data.get("network") or {}
    if network.get("generate") is not None:
        network["generate"] = SupplySpec.model_validate(network["generate"]).model_dump(
            mode="json")
    return data


# ------------------------------------------------------------------------------ demo
DEMO_YEARS = 1.0
DEMO_START = 0.25
"""When the demo's strategies start, in years: a quarter into its one-year run. The
scenario's own start at 1 year, the end of that run, where they would do nothing."""

DEMO_STRATEGIES = {"supply-side-early": "supply-side", "public-health-early": "public-health"}
"""The demo's short comparison on us-baseline: each of its strategies, named, is the
scenario's strategy of the name it maps to, moved to start at :data:`DEMO_START`
(:func:`strategy_from`); its own name says so, since the scenario's strategy of that name
starts at 1 year (review s18: the two were shown under one name)."""


def demo_strategies() -> dict[str, list[dict[str, Any]]]:
    """The demo's strategies as interventions (:data:`DEMO_STRATEGIES`)."""
    return {name: strategy_from("us-baseline", of, DEMO_START)
            for name, of in DEMO_STRATEGIES.items()}


DEMO_SEEDS = 3
"""Seeds per strategy in the demo's comparison: enough for bands and intervals."""


def _demo_section() -> None:
    from fentanet.cli.demo import Demo, section

    @section("Strategies on the US baseline", order=50)
    def strategies(demo: Demo) -> None:
        """A short comparison on ``us-baseline`` (10^5 actors): a small ensemble, every
        strategy on the same seeds (common random numbers), run on the local Dask cluster
        (or ``$FENTANET_SCHEDULER``) and kept in a run store in the demo's folder, so the
        report shows bands over seeds and intervals of the differences. Quick demos
        (``--actors`` below 10,000, as in tests) scale the scenario down: its people using,
        demand and intervention costs in proportion to the actors."""
        import time

        from fentanet import scenarios
        from fentanet.ensemble import ensemble

        start = time.perf_counter()
        gen = scenarios.load("us-baseline").network.generate
        overrides: dict[str, Any] = {"years": DEMO_YEARS}
        if demo.actors < 10_000:
            k = demo.actors / gen["actors"]
            overrides.update({"network.generate.actors": demo.actors,
                              "network.generate.population": gen["population"] * k,
                              "network.generate.demand_kg_per_year":
                                  gen["demand_kg_per_year"] * k,
                              "params.costs.scale": k})
        actors = overrides.get("network.generate.actors", gen["actors"])
        moved = ", ".join(f"{name} (its {of} from {DEMO_START:g} years)"
                          for name, of in DEMO_STRATEGIES.items())
        console.print(f"us-baseline ({actors:,} actors), {DEMO_YEARS} years, strategies "
                      f"{moved}, seeds {demo.seed}..{demo.seed + DEMO_SEEDS - 1}",
                      soft_wrap=True, markup=False)
        strategies = demo_strategies()
        ens = ensemble("us-baseline", DEMO_SEEDS, variants=strategies,
                       seed=demo.seed, overrides=overrides, store=demo.out / "runs")
        print_ensemble(ens)
        seconds = time.perf_counter() - start
        finished = len(ens.summary())
        console.print(f"{finished} runs in {seconds:.0f} s (run store {ens.store.root}, "
                      f"ensemble {ens.id})", soft_wrap=True, markup=False)
        if not finished:
            raise InputError("every run of the demo's comparison failed; see the errors above",
                             field="strategies")
        files = ens.save(demo.out / "simulation")
        compare = ens.compare()
        demo.results["strategies"] = ens
        demo.report["strategies"] = {
            "scenario": "us-baseline", "years": DEMO_YEARS, "actors": actors,
            "strategies": {name: {"of": DEMO_STRATEGIES[name], "start": DEMO_START,
                                  "interventions": items}
                           for name, items in strategies.items()},
            "seeds": ens.seeds, "ensemble": ens.id, "store": str(ens.store.root),
            "seconds": round(seconds, 1), "files": [str(f) for f in files],
            "summary": ens.summary_quantiles(
                [m for m in DEMO_METRICS if m in ens.summary().columns]).to_dict("records"),
            "compare": json_records(compare)}  # open ends "inf", as compare --json


DEMO_METRICS = ("deaths_total", "overdose_deaths_total", "supply_kg_total", "seized_kg_total",
                "intervention_cost_usd_total")
"""Summary metrics the demo's report file keeps per strategy."""


_demo_section()
