"""Many runs from the command line: ``fentanet sweep`` and ``fentanet runs
list|show|resume|rerun|export|delete|check|rebuild``, and the ensemble options (``--runs``,
``--scheduler``, ``--store``) that ``fentanet simulate``, ``compare``, ``calibrate`` and
``sensitivity`` share (:func:`run_ensemble`; the last two are in
:mod:`fentanet.cli.calibrate`)."""

from __future__ import annotations

import json
import math
import re
import shlex
import sys
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer
import yaml
from rich.markup import escape

from fentanet.cli import app
from fentanet.cli.common import (
    check_output_folder,
    console,
    counted,
    err_console,
    print_json,
    table,
)
from fentanet.errors import InputError, given_once, one_role
from fentanet.simulate.output import (
    RESULT_FILES,
    RESULT_MARKER,
    check_folder,
    earlier_result,
    json_records,
)

runs_app = typer.Typer(name="runs", help="The run store: list, show, export, delete, "
                                         "rerun, check and rebuild runs.",
                       no_args_is_help=True)
app.add_typer(runs_app, name="runs")

StoreOpt = Annotated[str | None, typer.Option(
    "--store", help="Run store folder (or its .duckdb file); default $FENTANET_STORE or "
                    "./fentanet-runs.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
RunsOpt = Annotated[int, typer.Option("--runs", "-n", min=1, help="Runs (seeds) per variant.")]
SchedulerOpt = Annotated[str | None, typer.Option(
    "--scheduler", help="Dask scheduler address (tcp://host:8786), 'serial' (this process), "
                        "'local' (a new local cluster), or default $FENTANET_SCHEDULER, else "
                        "a local cluster unless the runs are short.")]
WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", min=1, help="Worker processes of the local cluster (default: one per core; "
                             "given, a cluster is started even for short runs).")]
SeedOpt = Annotated[int | None, typer.Option("--seed", min=0, help="First seed (default: the "
                                                                   "scenario's).")]
UncertainOpt = Annotated[list[str] | None, typer.Option(
    "--uncertain", help="Parameter uncertainty: DOTTED.PATH=LOW:HIGH (repeat); each seed "
                        "draws a value from the range (log-uniform over a factor of 10 or "
                        "more; whole numbers for a whole-number field), the same for "
                        "every variant, so the spread over seeds (5-95%) carries it.")]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", help="Set a scenario field for every run: DOTTED.PATH=VALUE (repeat; VALUE read "
                  "as YAML), e.g. params.market.elasticity=0.3 or "
                  "network.generate.population=3000000.")]

HEADLINE = {"deaths_total": "deaths (all causes)", "overdose_deaths_total": "overdose deaths",
            "supply_kg_total": "supply (kg)", "seized_kg_total": "seized (kg)",
            "arrests_total": "arrests", "intervention_cost_usd_total": "cost (USD)"}
"""Summary metrics shown in the ensemble table and the demo's digest (where the runs report
them), with headers."""


def _num(x: float) -> str:
    return f"{x + 0.0:.4g}"  # + 0.0: no "-0"


NO_DEATHS_AVERTED = "n/a (no deaths averted)"
DEATHS_ADDED = "n/a (deaths added)"
OUTCOME_UNITS = {"supply reduction": "supply reduction (kg)",
                 "supply reduction %": "supply reduction (%)", "extra cost": "extra cost (USD)",
                 "cost per death averted": "cost per death averted (USD)"}
"""The comparison's outcomes as the comparison tables (the command line's, the demo's
digest) show them, with their units."""
ONE_SEED = "n/a (one seed)"
COST_PER_DEATH = "cost per death averted"


def _in_variant_order(df: pd.DataFrame, variants: list[str]) -> pd.DataFrame:
    """Rows of ``df`` with the baseline first, then the variants as given (stable)."""
    if df.empty or "variant" not in df.columns:
        return df
    rank = {v: i for i, v in enumerate(variants)}
    order = df["variant"].map(lambda v: rank.get(v, len(rank)))
    return df.iloc[np.argsort(order.to_numpy(), kind="stable")].reset_index(drop=True)


def _compare_rows(compare: pd.DataFrame, keys: list[str]) -> list[list[Any]]:
    """The comparison table's rows, outcomes with their units; a cost per death averted
    where a variant averts no deaths (on average) is shown as such, not as nan or an
    infinite interval, and so is the interval of a mean over one seed."""
    averted = {tuple(r[["variant", *keys]]): r["mean"] for _, r in compare.iterrows()
               if r.outcome == "deaths averted"}
    rows = []
    for _, r in compare.iterrows():
        head = [r.variant, *[r[k] for k in keys], OUTCOME_UNITS.get(r.outcome, r.outcome)]
        deaths = averted.get(tuple(r[["variant", *keys]]), 1.0)
        if r.outcome == COST_PER_DEATH and not (deaths > 0 and math.isfinite(r["mean"])):
            rows.append([*head, DEATHS_ADDED if deaths < 0 else NO_DEATHS_AVERTED, "", "", "",
                         int(r.seeds)])
            continue
        ci = (f"{_num(r.ci_low)} .. {_num(r.ci_high)}" if math.isfinite(r.ci_low)
              and math.isfinite(r.ci_high) else ONE_SEED if int(r.seeds) < 2 else "")
        rows.append([*head, _num(r["mean"]), ci,
                     f"{_num(r.q05)} .. {_num(r.q95)}" if not math.isnan(r.q05) else "",
                     "" if math.isnan(r.share_positive) else f"{100 * r.share_positive:.0f}%",
                     int(r.seeds)])
    return rows


# ------------------------------------------------------------------ ensembles


def parse_uncertain(items: list[str] | None) -> dict[str, tuple[float, float]]:
    """``--uncertain DOTTED.PATH=LOW:HIGH`` options as ranges for ``ensemble(uncertain=)``."""
    out: dict[str, tuple[float, float]] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        bounds = value.split(":")
        try:
            if not sep or not key.strip() or len(bounds) != 2:
                raise ValueError
            bounds = (float(bounds[0]), float(bounds[1]))
        except ValueError:
            raise InputError(f"expected DOTTED.PATH=LOW:HIGH, got {item!r}",
                             field="--uncertain") from None
        given_once([*out, key.strip()], "--uncertain")
        out[key.strip()] = bounds
    return out


_BASE60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
"""What YAML 1.1 (PyYAML) reads as a base-60 number: ``1:30`` is 90."""


def read_value(text: str) -> Any:
    """An option's value read as YAML (``0.3``, ``true``, ``[[0, 1.0], [5, 1.2]]``), except
    that ``a:b`` stays text: PyYAML follows YAML 1.1, where ``1:2`` is the base-60 number 62
    (``--param years=1:2`` ran 62 years); as text, the scenario refuses it by name."""
    value = yaml.safe_load(text)
    if isinstance(value, int | float) and not isinstance(value, bool) \
            and _BASE60.fullmatch(text.strip()):
        return text.strip()
    return value


def parse_sets(items: list[str] | None) -> dict[str, Any]:
    """``--set DOTTED.PATH=VALUE`` options as scenario overrides (each VALUE read as YAML:
    ``0.3``, ``true``, ``[[0, 1.0], [5, 1.2]]``); the scenario checks the paths."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"expected DOTTED.PATH=VALUE, got {item!r}", field="--set")
        given_once([*out, key.strip()], "--set")
        try:
            out[key.strip()] = read_value(value)
        except yaml.YAMLError as exc:
            raise InputError(f"cannot read the value of {key!r}: {exc}", field="--set") from None
    return out


def check_roles(*, sweep: Any = None, sets: dict[str, Any] | None = None,
                years: float | None = None, seed: int | None = None,
                uncertain: dict[str, tuple[float, float]] | None = None) -> None:
    """Refuse, before any run, a parameter two options give values at once (``--param``
    and ``--set``, ``--years`` and ``--set years=``, ``--seed`` and ``--set seed=``,
    ``--uncertain`` and any of them): whichever is applied last would replace the other
    without a word."""
    swept = sweep if isinstance(sweep, dict) else {k for p in sweep or [] for k in p}
    one_role({"swept (--param)": swept, "set for every run (--set)": sets or {},
              "the horizon (--years)": [] if years is None else ["years"],
              "the first seed (--seed)": [] if seed is None else ["seed"],
              "uncertain (--uncertain)": uncertain or {}})


OutOpt = Annotated[Path | None, typer.Option(
    "--out", help="Folder to write the outputs into (all or none): series.parquet, "
                  "summary.csv and summary.json; with several seeds bands.parquet and "
                  "summary_bands.csv; with variants compare.csv.")]
CsvOpt = Annotated[bool, typer.Option(
    "--csv", help="With --out, also write the per-step tables as CSV (series.csv, "
                  "bands.csv).")]


def check_out(out: Path | None) -> None:
    """Refuse an ``--out`` that cannot take the outputs (a file, a missing parent, a folder
    named like a result file in it, no permission, files of a result's names that are not
    an earlier fentanet result's) before any run."""
    if out is not None:
        check_folder(out, names=RESULT_FILES)
        check_output_folder(out, "--out")  # writable too: not found after the runs
        earlier_result(out, RESULT_FILES, RESULT_MARKER)  # files fentanet did not write


def save_outputs(ens: Any, out: Path | None, csv: bool, json_out: bool) -> None:
    """Write the ensemble's outputs into ``out`` and say where (on stderr with ``--json``,
    so stdout stays one JSON document)."""
    if out is None:
        return
    written = ens.save(out, csv=csv)
    (err_console if json_out else console).print(
        f"wrote {', '.join(p.name for p in written)} to {out}", soft_wrap=True, markup=False)


KEPT: list[str] = []
"""What this command's finished ensemble left in the store (``N run(s) kept in STORE
(ensemble ID)``), for the line a Ctrl-C after the runs prints (:func:`fentanet.cli.main`);
empty before the runs finish."""


def run_ensemble(scenario: str, *, runs: int, variants: Any = None, sweep: Any = None,
                 seed: int | None = None, scheduler: str | None = None,
                 workers: int | None = None, store: str | None = None,
                 json_out: bool = False, years: float | None = None,
                 sets: dict[str, Any] | None = None,
                 uncertain: dict[str, tuple[float, float]] | None = None,
                 baseline: bool = True) -> Any:
    """Run an ensemble for a CLI command, print its results (table or JSON) and return it.

    ``sets`` (from ``--set``) and ``years`` override the scenario for every run;
    ``uncertain`` (from ``--uncertain``) ranges are drawn per seed. Used by
    ``fentanet sweep`` here and by ``fentanet simulate/compare --runs N``.
    """
    from fentanet.ensemble import EnsembleInterrupted, ensemble

    check_roles(sweep=sweep, sets=sets, years=years, seed=seed, uncertain=uncertain)
    try:
        ens = ensemble(scenario, runs, variants=variants, sweep=sweep, seed=seed,
                       scheduler=scheduler, workers=workers, store=store,
                       progress=sys.stderr.isatty() or not json_out, baseline=baseline,
                       overrides={**(sets or {}), **({} if years is None else {"years": years})}
                       or None, uncertain=uncertain or None)
    except EnsembleInterrupted as exc:
        _say_interrupted(exc)
    return _finished(ens, json_out)


def _say_interrupted(exc: Any) -> None:
    """The lines of an ensemble interrupted (Ctrl-C, SIGTERM): what is kept, and how to
    make the rest; exit 130 (143 for a SIGTERM, :func:`fentanet.cli.main`)."""
    # one line each, never wrapped at the terminal's width: the id and store are copied
    err_console.print(f"[yellow]{escape(str(exc))}[/yellow]", soft_wrap=True)
    err_console.print(escape(resume_hint(exc.ensemble)), soft_wrap=True)
    raise typer.Exit(130) from None


def resume_hint(ens: Any) -> str:
    """The line that says how to make the rest of an interrupted ensemble."""
    return (f"make the rest with: fentanet runs resume {ens.id} --store "
            f"{shlex.quote(str(ens.store.root))}")


def _finished(ens: Any, json_out: bool) -> Any:
    """Print a finished ensemble's results (exit 1 when every run failed)."""
    KEPT[:] = [f"{len(ens.runs())} run(s) kept in {ens.store.root} (ensemble {ens.id})"]
    print_ensemble(ens, json_out=json_out)
    failed = len(ens.failed)
    if failed and failed == len(ens.runs()):
        err_console.print(f"[red]all {failed} runs failed[/red] (errors above; kept in "
                          f"{escape(str(ens.store.root))} as ensemble {ens.id})")
        raise typer.Exit(1)
    return ens


def print_ensemble(ens: Any, *, json_out: bool = False) -> None:
    """The ensemble's summary quantiles per variant and, with variants, the comparison."""
    summary = ens.summary()
    metrics = [m for m in HEADLINE if m in summary.columns]
    quant = ens.summary_quantiles(metrics) if metrics else pd.DataFrame()
    compare = ens.compare() if len(ens.variants) > 1 and not summary.empty else pd.DataFrame()
    quant = _in_variant_order(quant, ens.variants)
    compare = _in_variant_order(compare, ens.variants)
    failed = ens.failed
    if json_out:
        print_json({"ensemble": ens.id, "store": str(ens.store.root), "scenario": ens.scenario,
                    "variants": ens.variants, "seeds": ens.seeds, "sweep": ens.sweep,
                    "uncertain": ens.uncertain,
                    "runs": len(ens.runs()), "finished": len(summary),
                    "failed": json_records(
                        failed.assign(error=failed.error.str.split("\n").str[0])),
                    "summary": json_records(quant), "compare": json_records(compare)})
        return
    keys = ens.key_columns(summary)
    finished = f"{len(summary)} run{'s' * (len(summary) != 1)} finished"
    console.print(f"[bold]{escape(str(ens.scenario))}[/bold]: {finished}, "
                  f"{len(failed)} failed; seeds {ens.seeds[0]}..{ens.seeds[-1]}; "
                  f"ensemble {ens.id} in {escape(str(ens.store.root))}")
    if not quant.empty:
        rows = []
        for (variant, *point), g in quant.groupby(["variant", *keys], sort=False):
            cells = {r.metric: (_num(r.q50) if r.runs == 1
                                else f"{_num(r.q50)} ({_num(r.q05)}-{_num(r.q95)})")
                     for r in g.itertuples()}
            rows.append([variant, *point, *(cells.get(m, "") for m in metrics)])
        title = ("Summary" if len(summary) == len(quant.groupby(["variant", *keys]))
                 else "Summary over seeds: median (5%-95%)")
        if ens.uncertain:
            title += f", with {', '.join(ens.uncertain)} drawn per seed"
        console.print(table(title,
                            ["variant", *keys, *(HEADLINE[m] for m in metrics)], rows))
    if not compare.empty:
        rows = _compare_rows(compare, keys)
        console.print(table("Against the baseline, per seed (mean, 95% interval of the mean, "
                            "spread over seeds)",
                            ["variant", *keys, "outcome", "mean", "95% CI", "5-95% of seeds",
                             "seeds > 0", "seeds"], rows))
    if not failed.empty:
        rows = [[r.variant, r.seed, r.error.split("\n")[0]] for r in failed.itertuples()]
        console.print(table("Failed runs", ["variant", "seed", "error"], rows))


def parse_param(spec: str) -> tuple[str, list[Any]]:
    """``name=v1,v2,...`` (YAML scalars) or ``name=start:stop:count`` (evenly spaced)."""
    name, sep, values = spec.partition("=")
    name = name.strip()
    if not sep or not name or not values.strip():
        raise InputError(f"expected name=v1,v2,... or name=start:stop:count, got {spec!r}",
                         field="--param")
    parts = values.split(":")
    if len(parts) == 3:
        try:
            start, stop, count = float(parts[0]), float(parts[1]), int(parts[2])
        except ValueError:
            pass
        else:
            if count < 1:
                raise InputError(f"{name}: count must be at least 1", field="--param")
            from fentanet.ensemble.core import MAX_RUNS

            if count > MAX_RUNS:  # NumPy was asked for the array first (a traceback)
                raise InputError(f"{name}: count {count:,} is more than the {MAX_RUNS:,} "
                                 "runs one ensemble takes", field="--param")
            return name, [float(v) for v in np.linspace(start, stop, count)]
    out = []
    for v in values.split(","):
        try:
            out.append(read_value(v.strip()))
        except yaml.YAMLError:
            raise InputError(f"{name}: cannot read value {v!r}", field="--param") from None
        if isinstance(out[-1], str) and _BASE60.fullmatch(out[-1]):
            raise InputError(f"{name}: {v.strip()!r} is neither a value nor a range; expected "
                             f"{name}=v1,v2,... or {name}=start:stop:count", field="--param")
    return name, out


@app.command()
def sweep(
    scenario: Annotated[str, typer.Argument(help="Built-in scenario name or YAML file.")],
    param: Annotated[list[str], typer.Option(
        "--param", "-p", help="Swept parameter: dotted.path=v1,v2,... or =start:stop:count; "
                              "repeat for a grid of every combination.")],
    runs: RunsOpt = 10,
    variant: Annotated[list[str] | None, typer.Option(
        "--variant", help="Also run this strategy of the scenario at every point "
                          "(repeatable); compared with the baseline per seed.")] = None,
    seed: SeedOpt = None,
    years: Annotated[float | None, typer.Option(help="Horizon in years (default: the "
                                                     "scenario's).")] = None,
    set_: SetOpt = None,
    uncertain: UncertainOpt = None,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
    out: OutOpt = None,
    csv: CsvOpt = False,
) -> None:
    """Run a parameter sweep: every combination of the swept values, N seeds each."""
    check_out(out)
    pairs = [parse_param(p) for p in param]
    given_once([name for name, _ in pairs], "--param")
    grid = dict(pairs)
    ens = run_ensemble(scenario, runs=runs, variants=variant or None, sweep=grid, seed=seed,
                       scheduler=scheduler, workers=workers, store=store, json_out=json_out,
                       years=years, sets=parse_sets(set_),
                       uncertain=parse_uncertain(uncertain))
    save_outputs(ens, out, csv, json_out)


# ------------------------------------------------------------------ the store


def _store(path: str | None, *, create: bool = False):
    from fentanet.store import RunStore

    return RunStore(path, create=create)


LIST_COLUMNS = ["run_id", "scenario", "variant", "seed", "status", "ensemble_id",
                "finished_at", "elapsed_s"]


@runs_app.command("list")
def list_runs(
    scenario: Annotated[str | None, typer.Option(help="Only this scenario.")] = None,
    variant: Annotated[str | None, typer.Option(help="Only this variant.")] = None,
    status: Annotated[str | None, typer.Option(help="done or failed.")] = None,
    ensemble: Annotated[str | None, typer.Option(help="Only this ensemble id (or a unique "
                                                      "prefix).")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many (newest "
                                                          "last).")] = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """List the stored runs."""
    st = _store(store)
    if ensemble is not None:
        ensemble = st.resolve_ensemble(ensemble)
    runs = st.runs(scenario=scenario, variant=variant, status=status, ensemble=ensemble)
    if limit is not None:
        runs = runs.tail(limit)
    if json_out:
        print_json(json_records(_jsonable(runs)))
        return
    rows = [[r.run_id, r.scenario, r.variant, r.seed, r.status, r.ensemble_id or "",
             "" if pd.isna(r.finished_at) else str(r.finished_at)[:19],
             "" if pd.isna(r.elapsed_s) else f"{r.elapsed_s:.2f}"]
            for r in runs.itertuples()]
    console.print(table(f"{counted(len(runs), 'run')} in {st.root}", LIST_COLUMNS, rows))


def _jsonable(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for c in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[c]):
            df[c] = df[c].map(lambda t: None if pd.isna(t) else t.isoformat())
    return df


@runs_app.command("show")
def show(
    run_id: Annotated[str, typer.Argument(help="Run id, or an ensemble id (each or a unique "
                                               "prefix).")],
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Show one run (its record, parameters and summary) or one ensemble (its results)."""
    from fentanet.build import UNKNOWN, build, build_of
    from fentanet.ensemble import Ensemble
    from fentanet.store import StoreError

    st = _store(store)
    try:
        [rid] = st.resolve([run_id])
    except StoreError as no_run:
        try:
            ensemble = st.resolve_ensemble(run_id)
        except StoreError:
            raise no_run from None
        print_ensemble(Ensemble.load(st, ensemble), json_out=json_out)
        return
    row = _jsonable(st.runs([rid])).iloc[0].to_dict()
    summary = st.summary([rid], status=None, params=False)
    metrics = {k: v for k, v in summary.iloc[0].items()
               if k not in ("run_id", "ensemble_id", "scenario", "variant", "seed")
               and not (isinstance(v, float) and math.isnan(v))}
    made, this = build_of(row.get("fentanet_version")), build()
    if json_out:
        print_json({**json_records(pd.DataFrame([row]))[0], "build": made, "this_build": this,
                    "summary": metrics})
        return
    console.print(f"[bold]run {rid}[/bold]  "
                  + escape(f"{row['scenario']} / {row['variant']} / seed {row['seed']}  "
                           f"[{row['status']}]"))
    fields = [[k, "" if v is None else (json.dumps(v) if isinstance(v, dict) else v)]
              for k, v in row.items() if k not in ("run_id", "error", "setup")]
    # what reproduces the run (fentanet.ensemble.rerun), one line each
    fields += [[f"setup.{k}", json.dumps(v) if not isinstance(v, str) else v]
               for k, v in (row.get("setup") or {}).items()]
    # which engine made it: a rerun by another build may differ (fentanet.build)
    fields.append(["build", "not recorded (stored before builds were)" if made is None else
                   f"{made} (this fentanet is build {this}; unknown: a package file could "
                   "not be read)" if UNKNOWN in (made, this) else
                   f"{made} (this fentanet's)" if made == this else
                   f"{made} (another; this fentanet is build {this})"])
    console.print(table("Record", ["field", "value"], fields))
    if row.get("error"):
        console.print(f"[red]error:[/red] {escape(str(row['error']))}")
    if metrics:
        console.print(table("Summary", ["metric", "value"], [[k, v] for k, v in
                                                             metrics.items()]))


@runs_app.command("resume")
def resume_cmd(
    ensemble_id: Annotated[str, typer.Argument(help="Ensemble id (or a unique prefix), as "
                                                    "an interrupted command printed it.")],
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
    out: OutOpt = None,
    csv: CsvOpt = False,
) -> None:
    """Make the runs of an interrupted ensemble that are not in the store, from the plan it
    kept when it started (the same seeds, variants, sweep points and uncertain values, into
    the same ensemble), then print its results as the command that started it did; --out
    writes its files. A complete ensemble is said to be so, and nothing is made."""
    from fentanet.ensemble import EnsembleInterrupted, resume

    check_out(out)
    st = _store(store)
    try:
        ens = resume(ensemble_id, st, scheduler=scheduler, workers=workers,
                     progress=sys.stderr.isatty() or not json_out)
    except EnsembleInterrupted as exc:
        _say_interrupted(exc)
    if not ens.resumed:
        (err_console if json_out else console).print(
            f"ensemble {ens.id} is complete ({counted(len(ens.runs()), 'run')} in "
            f"{st.root}): nothing to make", markup=False, soft_wrap=True)
    _finished(ens, json_out)
    save_outputs(ens, out, csv, json_out)


@runs_app.command("rerun")
def rerun_cmd(
    run_id: Annotated[str, typer.Argument(help="Run id (or a unique prefix).")],
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Make a stored run again from its setup alone (scenario as named, overrides,
    interventions, model, seed) and compare its series with the stored ones, value for
    value. Exit 1 when they differ; exit 2 when the run cannot be made again (the scenario
    changed since, no setup)."""
    from fentanet.ensemble import rerun

    st = _store(store)
    [rid] = st.resolve([run_id])
    again = rerun(rid, st).series.reset_index(drop=True)
    stored = st.series([rid]).drop(columns=["run_id", "variant", "seed"], errors="ignore")
    stored = stored.reset_index(drop=True)
    differing = sorted(set(stored.columns) ^ set(again.columns))
    if len(stored) != len(again):
        differing.append(f"steps ({len(stored)} stored, {len(again)} made again)")
    else:
        for c in (c for c in stored.columns if c in again.columns):
            a, b = stored[c].to_numpy(), again[c].to_numpy()
            same = (np.array_equal(a, b, equal_nan=True) if a.dtype.kind in "fiub"
                    and b.dtype.kind in "fiub" else a.tolist() == b.tolist())
            if not same:
                differing.append(c)
    if json_out:
        print_json({"run_id": rid, "steps": len(again), "equal": not differing,
                    "differing": differing})
    elif differing:
        console.print(f"run {rid} made again: series differ in {', '.join(differing)}",
                      markup=False)
    else:
        console.print(f"run {rid} made again: the same {len(again)} steps, every series "
                      f"equal", markup=False)
    if differing:
        raise typer.Exit(1)


def _chosen(st: Any, run_ids: list[str] | None, filters: dict[str, Any],
            done: str) -> pd.DataFrame:
    """The runs that ``runs export``/``delete`` name: run ids or prefixes, and the filters
    (an ``--ensemble`` id or unique prefix resolved as run ids are). When none matches,
    :class:`InputError` naming the ids and filters given: "exported 0 runs" (and two empty
    files) read as success to a script."""
    if filters.get("ensemble") is not None:
        filters = {**filters, "ensemble": st.resolve_ensemble(filters["ensemble"])}
    chosen = st.runs(run_ids or None, **filters)
    if chosen.empty:
        given = shlex.join([*(run_ids or []), *(x for k, v in filters.items() if v is not None
                                                for x in (f"--{k}", str(v)))])
        what = f"no run matches {given} in" if given else "no run in"
        raise InputError(f"{what} the store {st.root}; nothing {done}")
    return chosen


@runs_app.command("export")
def export(
    run_ids: Annotated[list[str] | None, typer.Argument(help="Run ids or prefixes (default: "
                                                             "all that match the filters).")]
    = None,
    to: Annotated[Path, typer.Option("--out", "--to", help="Folder to write runs.<ext> and "
                                                           "series.<ext> into, as every "
                                                           "command's --out (--to, its "
                                                           "older name, still works).")
                  ] = Path("export"),
    format: Annotated[str, typer.Option("--format", help="parquet or csv (the files "
                                                         "written).")] = "parquet",
    scenario: Annotated[str | None, typer.Option(help="Only this scenario.")] = None,
    variant: Annotated[str | None, typer.Option(help="Only this variant.")] = None,
    ensemble: Annotated[str | None, typer.Option(help="Only this ensemble id (or a unique "
                                                      "prefix).")] = None,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Export runs (catalog rows with summaries, and their series) as Parquet or CSV. Ids
    and filters that match no run are an error, and nothing is written; the two files are
    written all or none (a failure leaves the folder as it was)."""
    check_folder(to, "--out", (f"runs.{format}", f"series.{format}"))
    st = _store(store)
    chosen = _chosen(st, run_ids, dict(scenario=scenario, variant=variant, ensemble=ensemble),
                     "exported")
    paths = st.export(to, chosen.run_id.tolist(), format=format)
    n = len(chosen)
    if json_out:
        print_json({"runs": n, "files": {k: str(v) for k, v in paths.items()}})
    else:
        console.print(f"exported {n} run{'s' * (n != 1)} to {paths['runs']} and "
                      f"{paths['series']}", markup=False)


def _confirm(question: str) -> None:
    """Ask ``question`` on standard error and read y/N from standard input. No (or Enter)
    ends the command with status 1, nothing done, as does no answer at all (standard input
    at its end: a script, a pipe or /dev/null), which says that a terminal or ``--yes`` is
    needed; Ctrl-C stays an interrupt (130). Until the fifteenth session both ended as
    'aborted', status 130."""
    while True:
        typer.echo(f"{question} [y/N]: ", nl=False, err=True)
        answer = sys.stdin.readline()
        if not answer:
            typer.echo("\nnothing deleted: no answer to the question (standard input is not a "
                       "terminal); run the command in a terminal, or give --yes", err=True)
            raise typer.Exit(1)
        answer = answer.strip().lower()
        if answer in ("y", "yes"):
            return
        if answer in ("", "n", "no"):
            typer.echo("nothing deleted", err=True)
            raise typer.Exit(1)
        typer.echo("answer y or n", err=True)


@runs_app.command("delete")
def delete(
    run_ids: Annotated[list[str] | None, typer.Argument(help="Run ids or prefixes.")] = None,
    scenario: Annotated[str | None, typer.Option(help="All runs of this scenario.")] = None,
    variant: Annotated[str | None, typer.Option(help="All runs of this variant.")] = None,
    status: Annotated[str | None, typer.Option(help="All runs of this status.")] = None,
    ensemble: Annotated[str | None, typer.Option(help="All runs of this ensemble (id or "
                                                      "unique prefix).")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for "
                                                          "confirmation.")] = False,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Delete runs: their catalog rows, series and manifests (asks first, unless --yes).
    Ids and filters that match no run are an error."""
    st = _store(store)
    filters = dict(scenario=scenario, variant=variant, status=status, ensemble=ensemble)
    if not run_ids and all(v is None for v in filters.values()):
        st.delete()  # refused: "delete needs run ids or a filter"
    chosen = _chosen(st, run_ids, filters, "deleted")
    if not yes:
        _confirm(f"Delete {len(chosen)} run(s) ({', '.join(sorted(set(chosen.variant)))}"
                 f"; ensembles {', '.join(sorted(set(chosen.ensemble_id.dropna())))}) "
                 f"from {st.root}? This cannot be undone")
    n = st.delete(chosen.run_id.tolist())
    if json_out:
        print_json({"deleted": n})
    else:
        console.print(f"deleted {n} run{'s' * (n != 1)} from {st.root}", markup=False,
                      soft_wrap=True)


@runs_app.command("check")
def check(
    verify: Annotated[bool, typer.Option(help="Compare each series file with its "
                                              "checksum.")] = True,
    store: StoreOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Check the store: damaged or missing files, runs not in the catalog. Exit 1 on
    problems."""
    st = _store(store)
    report = st.check(verify=verify)
    if json_out:
        from dataclasses import asdict

        print_json({**asdict(report), "ok": report.ok})
    else:
        console.print(f"{counted(report.runs, 'run')} in {st.root}: "
                      f"{'ok' if report.ok else 'problems found'}", markup=False,
                      soft_wrap=True)
        for rid, why in report.damaged:
            console.print(f"  damaged  {rid}: {why}", markup=False, soft_wrap=True)
        for rid in report.missing_manifest:
            console.print(f"  no manifest  {rid}: `fentanet runs rebuild` writes it again "
                          f"from the catalog", markup=False, soft_wrap=True)
        for rid, why in report.damaged_manifest:
            console.print(f"  damaged manifest  {rid}: {why}; `fentanet runs rebuild` writes "
                          f"it again from the catalog (if the catalog holds the run)",
                          markup=False, soft_wrap=True)
        if report.unregistered:
            console.print(f"  {len(report.unregistered)} written runs not in the catalog: "
                          f"`fentanet runs rebuild` recovers them", markup=False)
        if report.temp_files or report.orphan_series:
            console.print(f"  {len(report.temp_files)} temporary and "
                          f"{len(report.orphan_series)} unannounced series files (left by "
                          f"stopped writers; never visible as runs; `fentanet runs rebuild` "
                          f"removes those of writers gone)", markup=False, soft_wrap=True)
    if not report.ok:
        raise typer.Exit(1)


@runs_app.command("rebuild")
def rebuild(store: StoreOpt = None, json_out: JsonOpt = False) -> None:
    """Rebuild the catalog from the runs' manifests (after a crash, or from an old store)."""
    from dataclasses import asdict

    from fentanet.store import rebuild_catalog

    report = rebuild_catalog(store)
    if json_out:
        print_json(asdict(report))
    else:
        console.print(f"rebuilt the catalog: {counted(report.runs, 'run')}"
                      + (f", old catalog kept as {report.backup}" if report.backup else ""),
                      markup=False, soft_wrap=True)
        for path, why in report.skipped:
            console.print(f"  skipped {path}: {why}", markup=False, soft_wrap=True)
        if report.removed_orphan_series:
            console.print(f"  removed {len(report.removed_orphan_series)} series file(s) of "
                          f"no run (left by stopped writers)", markup=False)
        if report.restored:
            console.print(f"  wrote the manifests of {counted(len(report.restored), 'run')} "
                          f"again from the old catalog (lost or damaged): "
                          f"{', '.join(report.restored)}", markup=False, soft_wrap=True)
        if report.dropped:
            console.print(f"  {counted(len(report.dropped), 'run')} of the old catalog left "
                          f"out (series file missing, or nothing readable of it; its row "
                          f"stays in {report.backup}): {', '.join(report.dropped)}",
                          markup=False, soft_wrap=True)
