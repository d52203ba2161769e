"""``fentanet.simulate`` and ``fentanet.compare``: run scenarios, compare strategies.

One run of the toy scenario for a year, in weekly steps: one row per step and 87 columns
(docs/series.md), flows per step, the summary's totals over the run:

>>> r = simulate("toy", seed=1, years=1)
>>> r.series.shape
(52, 87)
>>> r.series[["step", "time", "deaths"]].tail(2)
    step      time  deaths
50    50  0.961538     0.0
51    51  0.980769     8.0
>>> r.summary["deaths_total"], r.summary["overdose_deaths_total"]
(193.0, 123.0)
>>> r  # doctest: +ELLIPSIS
<Result: toy, seed 1, 52 steps of 0.01923 years; deaths_total 193, ..., supply_kg_total 17.5336>

A comparison runs the baseline and each variant on the same seed; ``table`` has one row per
variant (costs are the scenario's ``params.costs``, here 29,000 USD per year of lab raids at
intensity 1):

>>> cmp = compare("toy", {"raids": [{"kind": "lab_raids", "intensity": 2}]}, seed=1, years=1)
>>> cmp.table[["deaths_averted", "supply_reduction", "extra_cost_usd"]].round(4)
          deaths_averted  supply_reduction  extra_cost_usd
variant
baseline             0.0            0.0000             0.0
raids                0.0            0.0199         58000.0
>>> cmp
<Comparison: toy, seed 1; baseline; raids averts 0 deaths>
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fentanet.errors import InputError, warn_run, whole_number
from fentanet.network.convert import as_network
from fentanet.network.model import Network
from fentanet.simulate.scenario import (
    BASELINE,
    Intervention,
    Scenario,
    check_variant_overrides,
    no_strategy,
    variant_interventions,
)

MAIN_SERIES = ("supply_kg", "price_index", "potency_index", "seized_kg", "arrests",
               "labs_active", "organizations_active", "people_using", "overdose_deaths")


HORIZON_SLACK = 0.005
"""The share of the horizon by which the run's whole steps (``steps * dt``) may miss it
unsaid: a year of daily steps (365 of 1/365.25 year, 0.07% short) says nothing; 0.1 years
of weekly steps (5, 3.8% short) and 1 year of steps of 0.4 (0.8 years) are said."""


def version() -> str:
    """The version string of a run: fentanet with its build (:func:`fentanet.build.build`, a
    digest of the package's source files: another engine, another build) and NumPy (draws
    depend on both): ``fentanet 0.1.0 (build 3fa2c1d9ab12); numpy 2.2.6``, the NumPy
    version followed by ``(fentanet's own math loops)`` where the kernels do not run
    NumPy's (:func:`fentanet.simulate.nploops.numpy_version`)."""
    from fentanet.build import recorded_version
    from fentanet.simulate.nploops import numpy_version

    return f"fentanet {recorded_version()}; numpy {numpy_version()}"


ADHOC = "ad-hoc"
"""The variant label of a run given interventions without a name
(``simulate("toy", interventions=[...])``): not the baseline, which it was labelled in its
files until the twentieth session."""

REPR_TOTALS = ("deaths_total", "overdose_deaths_total", "supply_kg_total")
"""The summary totals a :class:`Result`'s repr shows."""


@dataclass
class Result:
    """One run: per-step series, a one-row summary, and what produced them (the module
    docstring has an example).

    Attributes
    ----------
    series
        One row per step: ``step``, ``time`` (years since the start; ``year`` too when the
        scenario has a ``start_year``) and every series column of docs/series.md.
    summary
        Totals over the run (``<column>_total``) and end values (``<column>_end``) by
        column, as docs/series.md lists them.
    scenario
        The scenario as run (horizon, step and the variant's interventions applied).
    seed, variant
        The run's seed, and its variant's name (``None`` for the scenario as it is,
        :data:`ADHOC` for interventions given without a name).
    version, timings
        The fentanet and NumPy versions that made it; seconds spent per phase.
    """

    series: pd.DataFrame
    summary: dict[str, float]
    scenario: Scenario
    seed: int
    variant: str | None = None
    version: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    def __repr__(self) -> str:
        """What ran and its headline totals, not the series (the dataclass's own repr
        printed the series, the summary and the whole scenario: about 8,000 characters)."""
        s = self.summary
        totals = ", ".join(f"{k} {s[k]:,.6g}" for k in REPR_TOTALS if k in s)
        n = len(self.scenario.interventions)
        what = f" {self.variant!r}" if self.variant else ""
        what += f" with {n} intervention{'' if n == 1 else 's'}" if n else ""
        return (f"<Result: {self.scenario.name}{what}, seed {self.seed}, {len(self.series)} "
                f"steps of {self.scenario.dt:.4g} years; {totals}>")

    def annual(self) -> pd.DataFrame:
        """Flows summed per year of the run (index ``year``: 0, 1, ... since time 0); levels
        are not in it (the summary keeps their end values).

        A step covers ``[time, time + dt)`` and its flows go to the years it covers, pro
        rata by time: a step across a year's end (``dt`` 0.3, or days: 365.25 a year) is
        split between the two years. With steps that divide a year (week, month, quarter)
        no step is split and each year sums its own steps. The last year holds what the
        run covers of it (``steps * dt`` past its start), a part of a year when the horizon
        is not a whole number of years."""
        s = self.series
        flows = s[[c for c in s.columns if is_flow(c)]]
        time = s["time"].to_numpy()
        year = np.floor(time + 1e-9).astype(int)
        dt = self.scenario.dt
        # share of each step's time past the end of its start's year (0 within rounding)
        after = np.clip((time + dt - (year + 1)) / dt, 0.0, 1.0)
        split = np.flatnonzero(after > 1e-9)
        if split.size == 0:
            out = flows.groupby(year).sum()
        else:
            rest = flows.iloc[split].mul(after[split], axis=0)
            flows = flows.mul(np.where(after > 1e-9, 1.0 - after, 1.0), axis=0)
            # in time order: the part of a split step opens the next year
            both = pd.concat([flows, rest], ignore_index=True)
            order = np.lexsort((np.r_[time, time[split]],
                                np.r_[year, year[split] + 1]))
            out = both.iloc[order].groupby(np.r_[year, year[split] + 1][order]).sum()
        out.index.name = "year"
        return out

    def plot(self, columns: Sequence[str] = MAIN_SERIES):
        """A plotly figure of the main series, one panel each."""
        from plotly.subplots import make_subplots

        cols = [c for c in columns if c in self.series]
        rows = (len(cols) + 2) // 3
        fig = make_subplots(rows=rows, cols=3, subplot_titles=cols)
        x = self.series["year"] if "year" in self.series else self.series["time"]
        for i, c in enumerate(cols):
            fig.add_scatter(x=x, y=self.series[c], name=c, row=i // 3 + 1, col=i % 3 + 1,
                            showlegend=False)
        label = self.variant or BASELINE
        fig.update_layout(title=f"{self.scenario.name} ({label}, seed {self.seed})",
                          height=260 * rows)
        return fig

    def tidy_series(self) -> pd.DataFrame:
        """The series with ``variant`` and ``seed`` columns first (as an ensemble's are), so
        the files of several runs concatenate."""
        return self.series.assign(variant=self.variant or BASELINE, seed=self.seed)[
            ["variant", "seed", *self.series.columns]]

    def summary_row(self) -> pd.DataFrame:
        """The one-row summary as a DataFrame: scenario, variant, seed, then the metrics."""
        return pd.DataFrame([{"scenario": self.scenario.name,
                              "variant": self.variant or BASELINE, "seed": self.seed,
                              **self.summary}])

    def to_parquet(self, path: str | Path) -> Path:
        """Write the per-step series (:meth:`tidy_series`) as one Parquet file, atomically."""
        from fentanet.simulate.output import parquet_writer, write_file

        return write_file(path, parquet_writer(self.tidy_series()))

    def to_csv(self, path: str | Path) -> Path:
        """Write the per-step series (:meth:`tidy_series`) as one CSV file, atomically."""
        from fentanet.simulate.output import csv_writer, write_file

        return write_file(path, csv_writer(self.tidy_series()))

    def save(self, folder: str | Path, *, csv: bool = False) -> list[Path]:
        """Write the run into ``folder``, all files or none: ``series.parquet`` (with
        ``series.csv`` if ``csv``), ``summary.csv`` (one row) and ``summary.json`` (the
        summary with the scenario's name and digest, seed, variant and version). An earlier
        result's files that this one does not write
        (:data:`~fentanet.simulate.output.RESULT_FILES`) are removed; files of those names in a
        folder whose ``summary.json`` is not a fentanet result's are refused, never
        replaced or removed."""
        from fentanet.simulate.output import (
            RESULT_FILES,
            RESULT_MARKER,
            json_writer,
            table_writers,
            write_files,
        )

        doc = {"scenario": self.scenario.name, "digest": self.scenario.digest(),
               "variant": self.variant or BASELINE, "seed": self.seed,
               "version": self.version, "steps": len(self.series), "summary": self.summary}
        return write_files(folder, {**table_writers("series", self.tidy_series(), csv=csv),
                                    **table_writers("summary", self.summary_row(),
                                                    parquet=False, csv=True),
                                    "summary.json": json_writer(doc)}, replaces=RESULT_FILES,
                           marker=RESULT_MARKER)


FLOW_COLUMNS = {
    "supply_kg", "demand_kg", "produced_kg", "precursor_bought_kg", "precursor_resold_kg",
    "precursor_refused_kg", "seized_kg", "seized_routes_kg", "seized_stock_kg",
    "seized_precursor_kg", "lost_kg", "lost_precursor_kg", "arrests", "recruits",
    "entrants", "exits", "reroutes", "reroutes_room", "reroutes_traffickers", "reroutes_supply",
    "initiations", "overdoses", "fatal", "reversed", "treatment_entries", "treatment_exits",
    "remissions", "relapses", "deaths", "overdose_deaths", "money_seized_usd",
    "intervention_cost_usd", "revenue_usd", "organizations_failed", "suspensions",
    "listings_moved", "released_people", "laundered_usd", "sellers_replaced",
    "independents_replaced",
}
"""Columns that are flows over a step (summed over time); the others are levels."""

FLOW_PREFIXES = ("arrests_", "seized_", "shipped_", "cost_")
"""Families of flow columns: arrests by kind, seized and shipped by mode, cost by kind."""


LEVEL_COLUMNS = {
    "availability", "balance_error", "cash_usd", "people_in_remission", "people_in_treatment",
    "people_using", "potency_index", "potency_volatility", "precursor_stock_kg",
    "price_index", "share_of_demand_met", "stock_kg", "organizations_suspended",
}
"""Columns that are levels at a step's end (kept as end values), besides ``<kind>s_active``
and ``organizations_active``; every series column is a flow or a level (tested)."""


def is_level(column: str) -> bool:
    """Whether a series column is a level at a step's end (not summed over time)."""
    return column in LEVEL_COLUMNS or column.endswith("_active")


def is_flow(column: str) -> bool:
    """Whether a series column is a flow over a step (summed over time), not a level."""
    return column in FLOW_COLUMNS or column.startswith(FLOW_PREFIXES)


def summarize(series: pd.DataFrame, dt: float | None = None,
              start: Mapping[str, float] | None = None) -> dict[str, float]:
    """Totals of flows and end values of levels; ``years`` is the horizon run (the steps
    times ``dt``, by default the series' last step). ``start``: levels at time 0, before
    the first step, which no row of the series holds (the stocks after the spin-up), kept
    as ``<column>_start``: with them the material balance closes over the run from the
    summary alone (``stock_kg_end = stock_kg_start + produced_kg_total - supply_kg_total -
    seized_routes_kg_total - seized_stock_kg_total - lost_kg_total``, docs/model.md 7.10)."""
    if dt is None:
        dt = float(series["time"].diff().iloc[-1]) if len(series) > 1 else 0.0
    out: dict[str, float] = {"steps": float(len(series)),
                             "years": float(series["time"].iloc[-1] - series["time"].iloc[0]
                                            + dt)}
    for c in series.columns:
        if c in ("step", "time", "year"):
            continue
        if is_flow(c):
            out[f"{c}_total"] = float(series[c].sum())
        else:
            out[f"{c}_end"] = float(series[c].iloc[-1])
    out["balance_error_max"] = float(series["balance_error"].max())
    for c, x in (start or {}).items():
        out[f"{c}_start"] = float(x)
    return out


@functools.lru_cache(maxsize=4)
def _generated(spec_json: str, seed: int) -> Network:
    import json

    import fentanet

    spec = json.loads(spec_json)
    try:
        gen = fentanet.generate
    except AttributeError:
        raise InputError("network.generate needs fentanet.generate (the network generator)",
                         field="network.generate") from None
    return gen(spec, seed=seed)


def build_network(scenario: Scenario) -> Network:
    """The scenario's network: generated from its spec or read from its file. A generated
    network is kept (the last four specs and seeds) and each call returns a copy of it, so
    editing the tables of one (``net.actors.loc[...] = ...``) changes no later run of the
    same scenario."""
    spec = scenario.network
    if spec.generate is not None:
        import json

        seed = spec.seed if spec.seed is not None else scenario.seed
        try:  # a copy: a caller that edits its tables leaves the cached network as built
            return _generated(json.dumps(spec.generate, sort_keys=True), int(seed)).copy()
        except InputError as exc:  # the spec's field, as the scenario names it
            where = "network.generate" + (f".{exc.field}" if exc.field else "")
            raise InputError(exc.detail, file=exc.file, line=exc.line, field=where) from None
    from fentanet.network.io import read

    path = Path(spec.file)
    if not path.is_absolute() and scenario.base_dir:
        path = Path(scenario.base_dir) / path
    return read(path, format=spec.format) if spec.format else read(path)


def check_network(scenario: Scenario) -> int:
    """Build the scenario's network and the simulation's tables on it once, so that a missing
    or broken network file, a bad generator spec or a network the simulation cannot run on
    (no labs, no markets: untyped case data) is an :class:`InputError` before any run.
    Returns the network's number of actors."""
    from fentanet.simulate.state import build_state

    net = build_network(scenario)
    try:
        build_state(net)
    except InputError as exc:
        if scenario.network.file is None:
            raise
        raise InputError(exc.detail, file=scenario.network.file, field=exc.field) from None
    return net.n_actors


RUN_SECONDS = (0.1, 5e-6, 5e-4, 1e-7)
"""Seconds of one run in one process: per run (scenario, tables, writing the series), per
actor (the network), per step, and per actor and step; measured (docs/model.md section
10): a toy run (300 actors, 156 steps with the spin-up) about 0.17 s; us-baseline's
network of 10^5 actors 0.5 s, then 10.55 M actor-updates a second with about 0.4 ms a step
of fixed cost."""


def run_seconds(scenario: Scenario, actors: int) -> float:
    """Estimated seconds of one run of ``scenario`` on a network of ``actors`` actors in
    one process, spin-up included (:data:`RUN_SECONDS`; a rough guide to choose where runs
    execute, not a promise)."""
    steps = scenario.steps + round(scenario.warmup_years / scenario.dt)
    per_run, per_actor, per_step, per_actor_step = RUN_SECONDS
    return per_run + actors * per_actor + steps * (per_step + actors * per_actor_step)


def _as_scenario(scenario: str | Path | Scenario) -> Scenario:
    from fentanet.scenarios import load

    return load(scenario)


def _years(x: float, spec: str = "g") -> str:
    """``x`` years as a warning says it: ``0.8 years``, ``1 year``."""
    text = format(x, spec)
    return f"{text} year{'s' * (text != '1')}"


def prepare(scenario: str | Path | Scenario, *, years: float | None = None,
            dt: float | str | None = None, variant: str | None = None,
            interventions: Sequence[Intervention | Mapping] | None = None) -> Scenario:
    """The scenario to run: loaded, with horizon, step, variant strategy and extra
    interventions applied.

    ``variant`` names one of the scenario's strategies only when no ``interventions`` are
    given: with ``interventions`` (even an empty list) the variant is those interventions
    and its name is a label, so an ad-hoc variant named after a strategy does not run the
    strategy's interventions as well as its own. Without ``interventions``, a ``variant``
    the scenario has no strategy of (but ``"baseline"``, the scenario as it is) is an
    :class:`InputError` naming the strategies, as ``compare`` and ``ensemble`` refuse it: a
    misspelt name ran the baseline under that label, which read as "averts nothing".
    """
    sc = _as_scenario(scenario)
    upd: dict[str, Any] = {}
    if years is not None:
        upd["years"] = years
    if dt is not None:
        upd["dt"] = dt
    if upd:
        sc = sc.override(upd)
    extra: list[Any] = []
    if variant is not None and interventions is None and variant != BASELINE:
        if variant not in sc.strategies:
            raise no_strategy(sc, [variant], field="variant")
        extra.extend(sc.strategies[variant])
    if interventions:
        extra.extend(interventions)
    if extra:
        sc = sc.with_interventions(list(extra))
    run = sc.steps * sc.dt
    if abs(run - sc.years) > HORIZON_SLACK * sc.years:
        warn_run(f"the step of {_years(sc.dt, '.4g')} does not divide the horizon of "
                 f"{_years(sc.years)}: the run covers {sc.steps} step{'s' * (sc.steps != 1)}, "
                 f"{_years(run, '.4g')}", stacklevel=2)
    late = sorted({iv.kind for iv in sc.interventions if iv.start >= sc.years - 1e-9})
    if late:
        warn_run(f"{', '.join(late)} start(s) at or after the horizon of "
                 f"{_years(sc.years)}: no effect in this run", stacklevel=2)
    times = np.arange(sc.steps) * sc.dt  # the steps' times, as the run's loop has them
    for iv in sc.interventions:
        if iv.start < sc.years - 1e-9 and not in_force(iv, times).any():
            window = f"[{iv.start:g}, {'horizon' if iv.end is None else f'{iv.end:g}'})"
            warn_run(f"{iv.kind} acts at no step of this run: no step (one every "
                     f"{sc.dt:.4g} years, the last at {times[-1]:.4g}) starts in its window "
                     f"{window}: no effect in this run", stacklevel=2)
    return sc


def in_force(iv: Intervention, times: np.ndarray) -> np.ndarray:
    """Whether the intervention's window ``[start, end)`` holds each step's time, to the
    tolerance the interventions phase uses (a one-time operation without an ``end``
    strikes at the first of these)."""
    eps = 1e-9
    held = times + eps >= iv.start
    return held if iv.end is None else held & (times + eps < iv.end)


def simulate(scenario: str | Path | Scenario, seed: int | None = None, *,
             years: float | None = None, dt: float | str | None = None,
             variant: str | None = None,
             interventions: Sequence[Intervention | Mapping] | None = None,
             progress: bool | Callable[[int, int], None] = False,
             network: Network | None = None) -> Result:
    """Run a scenario once.

    Parameters
    ----------
    scenario
        A built-in name (``"toy"``, ``"us-baseline"``), a YAML path or a Scenario.
    seed
        Run seed, a whole number in ``[0, 2**63)`` (default: the scenario's); anything else,
        ``1.5`` or ``-1``, is an :class:`InputError` (``1.5`` ran seed 1). The same seed
        gives the same draws in every variant (common random numbers).
    years, dt
        Override the horizon and the step (years, or ``"week"``, ``"month"``, ...).
    variant
        A label; without ``interventions`` it names one of the scenario's ``strategies``,
        whose interventions are added (a name the scenario has no strategy of is an
        :class:`InputError`; ``"baseline"`` runs the scenario as it is).
    interventions
        Extra interventions (objects or mappings such as ``{"kind": "naloxone",
        "intensity": 0.5}``); given, they make the variant (``variant`` is then only its
        name; without one the run's variant is :data:`ADHOC`, ``"ad-hoc"``, in its repr,
        plot and files, never ``"baseline"``).
    progress
        ``True`` for a progress bar (rich) or a callback ``f(step, n_steps)``; ``False``
        or ``None`` for none.
    network
        Run on this network instead of the scenario's (Python API only).
    """
    from fentanet.simulate.loop import Sim

    if seed is not None:  # before any work: 1.5 ran seed 1, -1 raised a bare ValueError
        seed = whole_number(seed, "seed", 0)
        if seed >= 2**63:
            raise InputError(f"expected a whole number below 2**63, got {seed}", field="seed")
    if network is not None:  # a networkx or igraph graph too; else an AttributeError deep in
        network = as_network(network, "network")
    if progress is None:  # the usual 'off'
        progress = False
    if not (isinstance(progress, bool) or callable(progress)):
        raise InputError(f"expected True, False or a function f(step, n_steps), got "
                         f"{progress!r}", field="progress")
    sc = prepare(scenario, years=years, dt=dt, variant=variant, interventions=interventions)
    if variant is None and interventions:  # its files said "baseline"
        variant = ADHOC
    seed = sc.seed if seed is None else seed
    net = build_network(sc) if network is None else network
    sim = Sim(sc, net, seed)
    if progress is True:
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task(f"{sc.name} {variant or ''}".strip(), total=sim.n_steps)
            sim.run(lambda i, n: bar.update(task, completed=i))
    else:
        sim.run(progress or None)
    series = pd.DataFrame(sim.rows)
    series = series.fillna(0.0)
    if sc.start_year is not None:
        series.insert(2, "year", sc.start_year + series["time"])
    return Result(series=series, summary=summarize(series, sc.dt, sim.start_levels),
                  scenario=sc, seed=seed, variant=variant, version=version(),
                  timings=dict(sim.timings))


@dataclass
class Comparison:
    """Variants run with the same seed against a baseline (see :func:`compare`; the
    module docstring has an example).

    Attributes
    ----------
    results
        The :class:`Result` of every variant, ``"baseline"`` first, by name.
    table
        One row per variant (index ``variant``, the baseline included): ``deaths``,
        ``deaths_averted`` (all causes), ``overdose_deaths``, ``overdose_deaths_averted``,
        ``supply_kg``, ``supply_reduction`` (a share), ``seized_kg``, ``arrests``,
        ``cost_usd``, ``extra_cost_usd`` (beyond the baseline's) and
        ``cost_per_death_averted`` (NaN when none is averted); see
        :func:`comparison_table`.
    """

    results: dict[str, Result]
    table: pd.DataFrame

    def __repr__(self) -> str:
        """The variants and the deaths each averts, not every run (``.table`` has the
        comparison, ``.results[name]`` each run)."""
        first = next(iter(self.results.values()), None)
        what = f"{first.scenario.name}, seed {first.seed}" if first else "empty"
        averted = self.table["deaths_averted"] if "deaths_averted" in self.table else {}
        rows = "; ".join(f"{name} averts {averted[name]:,.6g} deaths" if name in averted
                         and name != BASELINE else name for name in self.results)
        return f"<Comparison: {what}; {rows}>"

    def plot(self, column: str = "deaths"):
        """One series of every variant on one plotly figure."""
        import plotly.graph_objects as go

        fig = go.Figure()
        for name, r in self.results.items():
            x = r.series["year"] if "year" in r.series else r.series["time"]
            fig.add_scatter(x=x, y=r.series[column], name=name)
        fig.update_layout(title=column, xaxis_title="year")
        return fig

    def save(self, folder: str | Path, *, csv: bool = False) -> list[Path]:
        """Write the comparison into ``folder``, all files or none: every variant's series
        in ``series.parquet`` (a ``variant`` and a ``seed`` column; ``series.csv`` too if
        ``csv``), ``summary.csv`` (one row per variant), ``compare.csv`` (:attr:`table`:
        deaths averted, supply reduction, cost per death averted) and ``summary.json``. An
        earlier result's files that this one does not write
        (:data:`~fentanet.simulate.output.RESULT_FILES`) are removed; files of those names in a
        folder whose ``summary.json`` is not a fentanet result's are refused, never
        replaced or removed."""
        from fentanet.simulate.output import (
            RESULT_FILES,
            RESULT_MARKER,
            json_writer,
            table_writers,
            write_files,
            zero_costs,
        )

        first = next(iter(self.results.values()))
        series = zero_costs(pd.concat([r.tidy_series() for r in self.results.values()],
                                      ignore_index=True))
        summary = zero_costs(pd.concat([r.summary_row() for r in self.results.values()],
                                       ignore_index=True))
        doc = {"scenario": first.scenario.name, "seed": first.seed, "version": first.version,
               "variants": {name: {"digest": r.scenario.digest(), "summary": r.summary}
                            for name, r in self.results.items()},
               "compare": self.table.reset_index().to_dict("records")}
        return write_files(folder, {
            **table_writers("series", series, csv=csv),
            **table_writers("summary", summary, parquet=False, csv=True),
            **table_writers("compare", self.table.reset_index(), parquet=False, csv=True),
                "summary.json": json_writer(doc)}, replaces=RESULT_FILES, marker=RESULT_MARKER)


def comparison_table(results: Mapping[str, Result], baseline: str = BASELINE) -> pd.DataFrame:
    """Deaths averted, supply reduction and cost per death averted against the baseline
    (same seed: common random numbers). Deaths are of every cause among the people who use
    (``deaths_total``, as the command line's and the ensembles' comparison counts them:
    treatment also lowers deaths other than overdoses); ``overdose_deaths_averted`` counts
    overdose deaths alone. ``cost_usd`` is what a variant's interventions cost in all,
    ``extra_cost_usd`` what it costs beyond the baseline (whose scenario may pay for
    interventions of its own); the cost per death averted is the extra cost over the deaths
    averted (NaN when none are)."""
    base = results[baseline].summary
    base_cost = base.get("intervention_cost_usd_total", 0.0)
    rows = []
    for name, r in results.items():
        s = r.summary
        deaths = s.get("deaths_total", 0.0)
        overdose = s.get("overdose_deaths_total", 0.0)
        supply = s.get("supply_kg_total", 0.0)
        cost = s.get("intervention_cost_usd_total", 0.0)
        extra = cost - base_cost
        averted = base.get("deaths_total", 0.0) - deaths
        reduction = 1.0 - supply / base["supply_kg_total"] if base.get("supply_kg_total") else 0.0
        rows.append({"variant": name, "deaths": deaths, "deaths_averted": averted,
                     "overdose_deaths": overdose,
                     "overdose_deaths_averted": base.get("overdose_deaths_total", 0.0)
                     - overdose,
                     "supply_kg": supply, "supply_reduction": reduction,
                     "seized_kg": s.get("seized_kg_total", 0.0),
                     "arrests": s.get("arrests_total", 0.0), "cost_usd": cost,
                     "extra_cost_usd": extra,
                     "cost_per_death_averted": extra / averted if averted > 0 else np.nan})
    return pd.DataFrame(rows).set_index("variant")


def compare(scenario: str | Path | Scenario,
            variants: Mapping[str, Sequence[Intervention | Mapping] | Mapping[str, Any]]
            | Sequence[str],
            seed: int | None = None, *, years: float | None = None,
            dt: float | str | None = None, progress: bool = False,
            network: Network | None = None) -> Comparison:
    """Run a baseline and each variant with the same seed (common random numbers).

    ``variants`` maps a name to a list of interventions, or to a mapping of dotted
    scenario overrides (``{"params.adaptation.entry": False}``); or it lists strategies of
    the scenario by name (``["naloxone", "lab-raids"]``). A variant's overrides may not set
    the horizon, step, seed, spin-up, calendar or network
    (:data:`~fentanet.simulate.scenario.WORLD_FIELDS`): :class:`InputError`.
    """
    sc = _as_scenario(scenario)
    if not isinstance(variants, Mapping):
        names = [variants] if isinstance(variants, str) else list(variants)
        unknown = [name for name in names if name not in sc.strategies]
        if unknown:
            raise no_strategy(sc, unknown)
        variants = {name: sc.strategies[name] for name in names}
    results: dict[str, Result] = {}
    runs: list[tuple[str, Scenario, list]] = [(BASELINE, sc, [])]
    for name, v in variants.items():
        if name == BASELINE:
            raise InputError("'baseline' is added automatically; name variants otherwise",
                             field="variants")
        if isinstance(v, str) or not isinstance(v, Mapping | Sequence):
            raise InputError(f"variant {name!r}: expected a list of interventions or a mapping "
                             f"of scenario overrides, got {v!r}", field="variants")
        if isinstance(v, Mapping) and "kind" not in v:
            check_variant_overrides(name, v)  # never the horizon, step, seed or world
            runs.append((name, sc.override(dict(v)), []))
        else:  # an invalid intervention names the variant and its field, before any run
            items = [v] if isinstance(v, Mapping) else list(v)
            runs.append((name, sc, list(variant_interventions(name, items))))
    for name, s, items in runs:
        results[name] = simulate(s, seed, years=years, dt=dt, interventions=items,
                                 variant=None if name == BASELINE else name,
                                 progress=progress, network=network)
    return Comparison(results=results, table=comparison_table(results))
