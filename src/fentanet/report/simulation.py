"""The simulation report: main series with ensemble bands, strategies side by side, deaths
averted and cost per death averted with intervals, and the sensitivity tornado.

:func:`simulation_report` takes what the simulation and ensemble layers return, an
:class:`~fentanet.ensemble.Ensemble` (many seeds, read back from the run store), a
:class:`~fentanet.Comparison` or a mapping of :class:`~fentanet.Result` (one seed), and
reads its numbers through the ensemble layer's functions (:func:`series_quantiles`,
:func:`compare_table`): the report draws, it does not recompute outcomes its own way.

A comparison at one seed (a quarter of a year of the toy scenario); ``.save("toy.html")``
writes it:

>>> import fentanet
>>> cmp = fentanet.compare("toy", {"naloxone": [{"kind": "naloxone"}]}, years=0.25)
>>> rep = simulation_report(cmp)
>>> rep.sections()
['Overview', 'Main series', 'Strategies side by side', 'Against the baseline',
 'About these runs']
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fentanet.ensemble.plan import BASELINE
from fentanet.ensemble.results import (
    COST,
    DEATHS,
    SUPPLY,
    Ensemble,
    compare_table,
    paired,
    series_quantiles,
)
from fentanet.errors import InputError
from fentanet.report import figures as F
from fentanet.report.html import HtmlReport, fmt_number

SERIES: dict[str, tuple[str, str]] = {
    "supply_kg": ("Supply reaching markets", "kg per {step}"),
    "overdose_deaths": ("Overdose deaths", "deaths per {step}"),
    "deaths": ("Deaths (all causes in the model)", "deaths per {step}"),
    "people_using": ("People using illicit opioids", "people"),
    "people_in_treatment": ("People in treatment", "people"),
    "price_index": ("Street price", "index (1 = base)"),
    "potency_index": ("Potency", "index (1 = base)"),
    "seized_kg": ("Product seized", "kg per {step}"),
    "arrests": ("Arrests", "arrests per {step}"),
    "labs_active": ("Active labs", "labs"),
    "organizations_active": ("Active organizations", "organizations"),
    "intervention_cost_usd": ("Intervention cost", "USD per {step}"),
}
"""Series drawn by default (where the runs report them): title and unit."""

DEFAULT_SERIES = ("supply_kg", "overdose_deaths", "people_using", "price_index",
                  "seized_kg", "arrests", "labs_active", "people_in_treatment")

HEADLINE: dict[str, str] = {
    DEATHS: "deaths",
    "overdose_deaths_total": "overdose deaths",
    SUPPLY: "supply (kg)",
    "seized_kg_total": "seized (kg)",
    "arrests_total": "arrests",
    "people_using_end": "people using at the end",
    COST: "cost (USD)",
}
"""Summary metrics of the side-by-side table, with their headers."""

_STEP_ADJ = {"week": "Weekly", "day": "Daily"}


@dataclass
class RunTables:
    """The runs behind a report, as tables: one row per run (``summary``) and one row per
    run and step (``series``), with where they came from."""

    summary: pd.DataFrame
    series: pd.DataFrame
    scenario: str
    variants: list[str]
    seeds: list[int]
    meta: dict[str, Any] = field(default_factory=dict)
    failed: pd.DataFrame | None = None


def run_tables(runs: Any, *, metrics: Sequence[str] | None = None) -> RunTables:
    """The summary and series tables of an Ensemble, a Comparison, a mapping name ->
    Result, a sequence of Results or one Result; or tables already made, with the columns
    ``metrics`` selects (a caller that reads the store once for several uses)."""
    if isinstance(runs, RunTables):
        if metrics is None:
            return runs
        return dataclasses.replace(runs, series=_metric_columns(
            runs.series, metrics, runs.meta.get("sweep") or []))
    if isinstance(runs, Ensemble):
        return _ensemble_tables(runs, metrics)
    results: dict[str, Any]
    if hasattr(runs, "results") and isinstance(runs.results, Mapping):  # a Comparison
        results = dict(runs.results)
    elif isinstance(runs, Mapping):
        results = dict(runs)
    elif hasattr(runs, "series") and hasattr(runs, "summary"):  # one Result
        results = {runs.variant or BASELINE: runs}
    elif isinstance(runs, Sequence) and runs and all(hasattr(r, "series") for r in runs):
        results = {}
        for r in runs:
            results.setdefault(r.variant or BASELINE, []).append(r)
    else:
        raise InputError(f"cannot report on {type(runs).__name__}; expected an Ensemble, a "
                         "Comparison, a mapping of Results or Results", field="runs")
    rows, frames, scenario, seeds, versions = [], [], "", set(), set()
    definitions: dict[str, dict[str, Any]] = {}
    for name, items in results.items():
        for r in items if isinstance(items, list) else [items]:
            definitions.setdefault(str(name), _result_definition(r))
            if not hasattr(r, "series"):
                raise InputError(f"variant {name!r} is a {type(r).__name__}, not a Result",
                                 field="runs")
            scenario = scenario or getattr(r.scenario, "name", str(r.scenario))
            seeds.add(int(r.seed))
            versions.add(r.version)
            rows.append({"variant": str(name), "seed": int(r.seed), **r.summary})
            s = r.series
            keep = [c for c in s.columns if metrics is None or c in metrics
                    or c in ("step", "time", "year")]
            frames.append(s[keep].assign(variant=str(name), seed=int(r.seed)))
    summary = pd.DataFrame(rows)
    series = pd.concat(frames, ignore_index=True)
    variants = list(dict.fromkeys(summary["variant"]))
    variants.sort(key=lambda v: v != BASELINE)
    base = (definitions.get(BASELINE) or {}).get("params")
    for d in definitions.values():  # parameters: those that differ from the baseline's
        own = d.pop("params", {})
        d["overrides"] = {} if base is None else {k: v for k, v in own.items()
                                                  if base.get(k) != v}
    return RunTables(summary, series, scenario, variants, sorted(seeds),
                     meta={"version": "; ".join(sorted(v for v in versions if v)),
                           "definitions": definitions})


def _result_definition(r: Any) -> dict[str, Any]:
    """What a Result ran: its interventions in full and its model parameters (flattened
    dotted paths, to tell a variant's overrides from the baseline's values)."""
    sc = getattr(r, "scenario", None)
    items = getattr(sc, "interventions", None)
    out: dict[str, Any] = {"interventions": None if items is None else [
        i.model_dump(mode="json", exclude_defaults=True) if hasattr(i, "model_dump")
        else dict(i) for i in items]}
    params = getattr(sc, "params", None)
    if hasattr(params, "model_dump"):
        out["params"] = _flat(params.model_dump(mode="json"), "params")
    return out


def _flat(data: Any, prefix: str) -> dict[str, Any]:
    """A nested mapping as ``{"a.b.c": value}``."""
    if not isinstance(data, Mapping):
        return {prefix: data}
    out: dict[str, Any] = {}
    for k, v in data.items():
        out.update(_flat(v, f"{prefix}.{k}"))
    return out


def _metric_columns(series: pd.DataFrame, metrics: Sequence[str],
                    keys: Sequence[str]) -> pd.DataFrame:
    """The columns of an ensemble's ``series`` that ``metrics`` name, with those that say
    which run and step a row is (the sweep's ``keys`` too), in the frame's order."""
    return series[[c for c in series.columns if c in metrics or c in (
        "run_id", "variant", "seed", "step", "time", "year", "point", *keys)]]


def _ensemble_tables(ens: Ensemble, metrics: Sequence[str] | None) -> RunTables:
    summary = ens.summary()
    series = ens.series()
    keys = ens.key_columns(summary)
    if keys:  # a sweep: each point is a group of its own
        def label(frame: pd.DataFrame) -> pd.Series:
            parts = [frame[k].astype(str).radd(f"{k.removeprefix('param:')}=") for k in keys]
            return frame["variant"].str.cat(parts, sep=" · ")
        rank = {v: i for i, v in enumerate(ens.variants)}
        order = summary.assign(_r=summary["variant"].map(rank)).sort_values(
            ["_r", *keys], kind="stable").index
        summary = summary.loc[order].reset_index(drop=True)
        summary = summary.assign(point=label(summary))
        series = series.assign(point=label(series))
    if metrics is not None:
        series = _metric_columns(series, metrics, keys)
    runs = ens.runs()
    # as a Result records its version ("fentanet 0.1.0 (build ...); numpy 2.4.6"), from the
    # catalog's columns
    pairs = runs.reindex(columns=["fentanet_version", "numpy_version"]).dropna(how="all")
    versions = sorted({f"fentanet {f}; numpy {n}" for f, n in pairs.itertuples(index=False)})
    return RunTables(summary, series, ens.scenario, list(ens.variants), list(ens.seeds),
                     meta={"ensemble": ens.id, "store": str(ens.store.root),
                           "version": "; ".join(versions), "sweep": keys,
                           "uncertain": ens.uncertain_ranges(),
                           "definitions": _ensemble_definitions(ens, runs)},
                     failed=ens.failed)


def _ensemble_definitions(ens: Ensemble, runs: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """What each variant of an ensemble ran, from the setup its runs record (a finished
    run's first): the interventions in full, and the parameters it sets itself (its runs'
    ``params`` beyond the sweep point and the values drawn per seed)."""
    out: dict[str, dict[str, Any]] = {}
    if runs.empty:
        return out
    shared = {*ens.sweep, *ens.uncertain}
    for variant, g in runs.groupby("variant", sort=False):
        done = g[g["status"] == "done"]
        row = (done if len(done) else g).iloc[0]
        setup = row["setup"] if isinstance(row["setup"], dict) else {}
        items = setup.get("interventions")
        params = row["params"] if isinstance(row["params"], dict) else {}
        out[str(variant)] = {
            "interventions": items if isinstance(items, list) else None,
            "overrides": {k: v for k, v in params.items() if k not in shared}}
    return out


def _step_word(series: pd.DataFrame) -> str:
    t = np.sort(series["time"].unique()) if "time" in series else np.array([])
    if t.size < 2:
        return "step"
    dt = float(np.median(np.diff(t)))
    for word, length in (("week", 1 / 52), ("month", 1 / 12), ("day", 1 / 365),
                         ("quarter", 0.25), ("year", 1.0)):
        if abs(dt - length) < 0.02 * length:
            return word
    return f"step ({dt:.3g} years)"


def monthly(series: pd.DataFrame, group: str = "variant") -> pd.DataFrame:
    """Series of sub-monthly steps as months: flows as the month's rate (mean per step x
    steps per month, so months of 4 and 5 weeks compare), levels as the month's mean.
    Quantiles over seeds are then taken of the monthly values of each run."""
    from fentanet.simulate.run import is_flow

    t = series["time"].to_numpy(dtype=float)
    dt = float(np.median(np.diff(np.unique(t)))) if len(np.unique(t)) > 1 else 1.0
    month = np.floor(t * 12 + 1e-6).astype(int)
    keys = [c for c in (group, "seed", "run_id") if c in series.columns]
    values = [c for c in series.columns if c not in (*keys, "step", "time", "year", "variant",
                                                      "point")
              and pd.api.types.is_numeric_dtype(series[c])]
    g = series.assign(_month=month).groupby([*keys, "_month"], sort=False)
    out = g[values].mean()
    flows = [c for c in values if is_flow(c)]
    out[flows] = out[flows] * (1 / 12) / dt
    out = out.reset_index()
    out["time"] = out["_month"] / 12
    if "year" in series.columns:
        start = float((series["year"] - series["time"]).iloc[0])
        out["year"] = start + out["time"]
    out["step"] = out["_month"]
    return out.drop(columns="_month")


def _years(years: float) -> str:
    return f"{fmt_number(years)} year{'' if years == 1 else 's'}"


def with_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a ``date`` column from its fractional calendar ``year`` (the share
    of that year's days, rounded to the day: 2023.25 is 2 April 2023), so axes show
    months rather than 2,023.2."""
    if "year" not in frame.columns or frame.empty:
        return frame
    y = frame["year"].to_numpy(dtype=float)
    whole = np.floor(y + 1e-9).astype(int)
    start = pd.to_datetime(pd.Series(whole).astype(str) + "-01-01")
    length = pd.to_datetime(pd.Series(whole + 1).astype(str) + "-01-01") - start
    return frame.assign(date=(start + length * (y - whole)).dt.round("D").to_numpy())


def _cell(q05: float, q50: float, q95: float, runs: int) -> str:
    if runs <= 1 or (q05 == q50 == q95):
        return fmt_number(q50)
    return f"{fmt_number(q50)} ({fmt_number(q05)}–{fmt_number(q95)})"


def side_by_side(tables: RunTables, metrics: Mapping[str, str] = HEADLINE,
                 group: str = "variant") -> pd.DataFrame:
    """Per strategy: the median of each headline metric over seeds with its 5-95% range."""
    have = [m for m in metrics if m in tables.summary.columns]
    q = series_quantiles(tables.summary.assign(step=0), by=[group], metrics=have)
    rows = []
    for name, g in q.groupby(group, sort=False):
        row = {"strategy": name, "seeds": int(g["runs"].max())}
        for r in g.itertuples():
            row[metrics[r.metric]] = _cell(r.q05, r.q50, r.q95, r.runs)
        rows.append(row)
    return pd.DataFrame(rows)


def comparison(tables: RunTables, *, level: float = 0.95) -> pd.DataFrame:
    """The paired comparison against the baseline (see
    :func:`fentanet.ensemble.compare_table`, overdose deaths averted included)."""
    keys = tables.meta.get("sweep") or []
    return compare_table(tables.summary.drop(columns=["point"], errors="ignore"), BASELINE,
                         keys=keys, level=level)


def cumulative_averted(tables: RunTables, metric: str = "deaths") -> pd.DataFrame:
    """Quantiles over seeds, per strategy and step, of the cumulative ``metric`` averted
    against the baseline on the same seed (common random numbers)."""
    s = tables.series
    if metric not in s.columns or BASELINE not in set(s["variant"]):
        return pd.DataFrame()
    steps = [c for c in ("step", "time", "year") if c in s.columns]
    s = s.sort_values(["variant", "seed", "step"])
    cum = s[["variant", "seed", *steps]].assign(
        cumulative=s.groupby(["variant", "seed"], sort=False)[metric].cumsum())
    diff = paired(cum, BASELINE, keys=steps)
    if diff.empty:
        return pd.DataFrame()
    diff = diff.assign(averted=-diff["cumulative"]).drop(columns="cumulative")
    return series_quantiles(diff, by=["variant"], metrics=["averted"])


DEFINITION_COLUMNS = ["strategy", "intervention", "intensity", "start (years)",
                      "end (years)", "targeting", "other"]


def strategy_definitions(tables: RunTables) -> pd.DataFrame:
    """What each strategy runs, as ``fentanet scenario show`` lists a strategy: one row per
    intervention (kind, intensity, start and end in years since the start, targeting, and
    one-time strikes, route modes, a cost per unit of its own) and per parameter it sets.
    The baseline's row lists the scenario's own interventions (``none`` without any); a
    strategy's, those it runs beyond the baseline's. Read from what the runs recorded: a
    strategy of the scenario moved by ``--start``, or the demo's, shows where it starts."""
    from fentanet.simulate.scenario import Intervention

    defs = tables.meta.get("definitions") or {}
    if not defs:
        return pd.DataFrame(columns=DEFINITION_COLUMNS)
    names = [v for v in tables.variants if v in defs] or list(defs)
    base = defs.get(BASELINE, {}).get("interventions") or []
    rows = []
    for name in names:
        d = defs[name]
        items = d.get("interventions")
        if items is None:
            rows.append([name, "not recorded", "", "", "", "", ""])
            continue
        own = list(items)
        if name != BASELINE:  # beyond the baseline's own (each once)
            for b in base:
                if b in own:
                    own.remove(b)
        for item in own:
            try:
                iv = Intervention.model_validate(item)
            except Exception:  # a record of another build: shown as it is
                rows.append([name, str(item), "", "", "", "", ""])
                continue
            rows.append([name, iv.kind, f"{iv.intensity:g}", f"{iv.start:g}",
                         "horizon" if iv.end is None else f"{iv.end:g}",
                         _targeting(iv), _other(iv)])
        for k, v in (d.get("overrides") or {}).items():
            rows.append([name, "parameter", "", "", "", "", f"{k} = {v}"])
        if not own and not d.get("overrides"):
            rows.append([name, "none" if name == BASELINE else "none beyond the baseline's",
                         "", "", "", "", ""])
    return pd.DataFrame(rows, columns=DEFINITION_COLUMNS)


def _targeting(iv: Any) -> str:
    """Whom an intervention acts on: its targeting rule, or every actor of the kinds it
    acts on (nothing for a lever on the population)."""
    from fentanet.simulate.params import INTERVENTION_KINDS

    t = iv.target
    if t is None:
        kinds = INTERVENTION_KINDS[iv.kind]["acts_on"]
        return f"raised effort on every {', '.join(kinds)}" if kinds else ""
    view = "" if t.view == "known" else " (true network)"
    who = f"{t.count:,} at random" if t.rule == "random" else f"top {t.count:,} by {t.rule}"
    return who + view


def _other(iv: Any) -> str:
    parts = []
    if iv.once:
        parts.append("once, at its start")
    if iv.modes:
        parts.append("modes " + ", ".join(iv.modes))
    if iv.cost_per_unit is not None:
        parts.append(f"{iv.cost_per_unit:g} USD per unit of intensity a year")
    return "; ".join(parts)


def simulation_report(runs: Any, *, sensitivity: pd.DataFrame | None = None,
                      series: Sequence[str] | None = None, title: str | None = None,
                      level: float = 0.95, sensitivity_metric: str | None = None
                      ) -> HtmlReport:
    """A report on simulation runs: an ensemble, a comparison of strategies or one run.

    Parameters
    ----------
    runs
        An :class:`~fentanet.ensemble.Ensemble` (``fentanet.ensemble(...)``, or
        ``Ensemble.load(store, id)``), a :class:`~fentanet.Comparison`
        (``fentanet.compare``), a mapping strategy -> Result, one Result, or their
        :func:`run_tables`.
    sensitivity
        A one-at-a-time sensitivity table (:func:`fentanet.calibrate.tornado`, or
        :func:`fentanet.calibrate.tornado_table` of a stored one): drawn as a
        tornado.
    series
        Per-step series to draw (default: supply, overdose deaths, people using, price,
        seizures, arrests, active labs, people in treatment, where reported).
    level
        Level of the intervals of the paired comparison.
    """
    wanted = list(series) if series is not None else list(DEFAULT_SERIES)
    tables = run_tables(runs, metrics=[*wanted, "deaths"])
    if tables.summary.empty:
        raise InputError("no finished runs to report on", field="runs")
    group = "point" if tables.meta.get("sweep") else "variant"
    names = list(dict.fromkeys(tables.summary[group]))
    names.sort(key=lambda v: not str(v).startswith(BASELINE))
    colors = F.variant_colors(names)
    n_seeds = len(tables.seeds)
    step = _step_word(tables.series)
    years = float(tables.summary["years"].median()) if "years" in tables.summary else None
    sub = (f"scenario {tables.scenario} · {len(names)} "
           f"{'strategy' if len(names) == 1 else 'strategies'} · {n_seeds} "
           f"seed{'s' if n_seeds != 1 else ''}"
           + (f" ({tables.seeds[0]}–{tables.seeds[-1]})" if n_seeds > 1 else
              f" ({tables.seeds[0]})")
           + (f" · {_years(years)}" if years else ""))
    rep = HtmlReport(title or f"Simulation: {tables.scenario}", sub)
    cmp = comparison(tables, level=level) if len(tables.variants) > 1 else pd.DataFrame()

    # ------------------------------------------------------------------ overview
    rep.heading("Overview")
    cards: list[tuple] = [("strategies", len(names)), ("seeds per strategy", n_seeds),
                          ("runs", len(tables.summary))]
    if years:
        cards.append(("horizon", _years(years), f"steps of a {step}"))
    base = tables.summary[tables.summary["variant"] == BASELINE]
    for metric, label in ((DEATHS, "baseline deaths"), (SUPPLY, "baseline supply (kg)")):
        if metric in base and len(base):
            cards.append((label, float(base[metric].median()),
                          "median over seeds" if len(base) > 1 else ""))
    if not cmp.empty:
        da = cmp[cmp["outcome"] == "deaths averted"].sort_values("mean", ascending=False)
        if len(da):
            best = da.iloc[0]
            detail = (f"{best[group if group in best else 'variant']}"
                      + (f", {level:.0%} CI {fmt_number(best['ci_low'])} to "
                         f"{fmt_number(best['ci_high'])}" if np.isfinite(best["ci_low"])
                         else ""))
            cards.append(("most deaths averted", float(best["mean"]), detail))
    rep.metrics(cards)
    rep.text(_overview_text(tables, n_seeds, level))
    defined = strategy_definitions(tables)
    if len(defined):
        rep.table(defined, caption="What each strategy runs, as the runs recorded it: every "
                                   "intervention it adds to the baseline's (start and end "
                                   "in years since the start of the run; an end of "
                                   "'horizon' runs to the end), and any parameter it sets.",
                  name="strategies")
    if tables.failed is not None and len(tables.failed):
        rep.callout(f"{len(tables.failed)} run(s) failed and are left out; see 'About these "
                    "runs'.")

    # ------------------------------------------------------------------ series
    present = [m for m in wanted if m in tables.series.columns]
    if present:
        rep.heading("Main series")
        shown, unit_step = tables.series, step
        if step in ("week", "day") and tables.series["time"].max() >= 0.5:
            shown, unit_step = monthly(tables.series, group), "month"
        rep.text(("The median over seeds of each strategy, with the band from the 5% to the "
                  "95% quantile: what one realisation of the trade may look like. "
                  if n_seeds > 1 else
                  "One seed per strategy: the lines are single realisations (run more seeds "
                  "for bands). ")
                 + (f"{_STEP_ADJ.get(step, step)} steps are shown by month (flows as "
                    "monthly rates). " if unit_step != step else "")
                 + "The status quo (price index 1) is measured at the end of a spin-up "
                   "under routine enforcement (docs/model.md section 3); on a small "
                   "network one suspension in it can set the baseline's price level off "
                   "(section 11). The differences between strategies are not affected "
                   "(common random numbers).", note=True)
        q = with_dates(series_quantiles(shown, by=[group], metrics=present))
        x = "date" if "date" in q.columns else "time"
        xlabel = "" if x == "date" else "years since start"
        with rep.grid():
            for m in present:
                title_, unit = SERIES.get(m, (m, ""))
                part = q[q["metric"] == m]
                rep.figure(F.band_figure(part, x, by=group, title=title_,
                                         ylabel=unit.format(step=unit_step), xlabel=xlabel,
                                         colors=colors, height=360),
                           name=f"series-{m}")

    # ------------------------------------------------------------------ side by side
    rep.heading("Strategies side by side")
    rep.table(side_by_side(tables, group=group),
              caption="Totals over the horizon (and people using at the end): median over "
                      "seeds (5%–95%)." if n_seeds > 1 else "Totals over the horizon.",
              name="side-by-side")

    # ------------------------------------------------------------------ comparison
    if not cmp.empty:
        rep.heading("Against the baseline")
        rep.text("Each strategy is run on the same seeds as the baseline (common random "
                 "numbers), so each seed gives one paired difference. Bars show the mean "
                 f"difference over seeds with its {level:.0%} interval; cost per death "
                 "averted is the ratio of the mean extra cost to the mean deaths averted, "
                 "with Fieller's interval (open-ended where deaths averted's interval "
                 "reaches 0).", note=True)
        label_col = "point" if group == "point" else "variant"
        if group == "point":
            keys = tables.meta["sweep"]
            cmp = cmp.assign(point=cmp["variant"].str.cat(
                [cmp[k].astype(str).radd(f"{k.removeprefix('param:')}=") for k in keys],
                sep=" · "))
        with rep.grid():
            for outcome, xlabel, unit in (
                    ("deaths averted", "deaths averted", ""),
                    ("overdose deaths averted", "overdose deaths averted", ""),
                    ("supply reduction %", "% of the baseline's supply", "%"),
                    ("cost per death averted", "USD per death averted", "")):
                part = cmp[cmp["outcome"] == outcome]
                if part.empty or part["mean"].isna().all():
                    continue
                rep.figure(F.interval_bar_figure(
                    part, label_col, "mean", "ci_low", "ci_high", colors=colors,
                    title=outcome[0].upper() + outcome[1:], xlabel=xlabel,
                    unit=unit), name=outcome.replace(" ", "-").replace("%", "pct"))
            cum = cumulative_averted(tables)
            if not cum.empty:
                cum = with_dates(cum)
                x = "date" if "date" in cum.columns else "time"
                rep.figure(F.band_figure(cum, x, by="variant", colors=colors,
                                         title="Deaths averted over time (cumulative)",
                                         ylabel="deaths averted",
                                         xlabel="" if x == "date" else "years since start",
                                         height=360), name="deaths-averted-over-time")
        nan_cpd = cmp[(cmp["outcome"] == "cost per death averted") & cmp["mean"].isna()]
        if len(nan_cpd):
            rep.callout("No cost per death averted for "
                        + ", ".join(map(str, nan_cpd[label_col])) + ": these strategies "
                        "avert no deaths on average over the seeds run.", kind="info")
        shown = cmp[[label_col, "outcome", "mean", "ci_low", "ci_high", "q05", "q50", "q95",
                     "share_positive", "seeds"]].rename(columns={
                         label_col: "strategy", "ci_low": f"{level:.0%} CI low",
                         "ci_high": f"{level:.0%} CI high", "q05": "seeds 5%",
                         "q50": "seeds median", "q95": "seeds 95%",
                         "share_positive": "seeds > 0"})
        rep.table(shown, caption="Per-seed differences against the baseline: mean with its "
                                 "interval, and their spread over seeds.",
                  formats={"seeds > 0": "{:.0%}"}, name="comparison")

    # ------------------------------------------------------------------ uncertainty
    if tables.meta.get("uncertain"):
        uncertainty_section(rep, tables, colors)

    # ------------------------------------------------------------------ sensitivity
    if sensitivity is not None and len(sensitivity):
        sensitivity_section(rep, sensitivity, sensitivity_metric)

    # ------------------------------------------------------------------ provenance
    rep.heading("About these runs")
    about = [("scenario", tables.scenario),
             ("strategies", ", ".join(map(str, names))
              + (" (what each runs: the Overview's table)" if len(defined) else "")),
             ("seeds", ", ".join(map(str, tables.seeds[:12]))
              + (" ..." if n_seeds > 12 else ""))]
    for key, label in (("ensemble", "ensemble id"), ("store", "run store"),
                       ("version", "version")):
        if tables.meta.get(key):
            about.append((label, str(tables.meta[key])))
    if sensitivity is not None and sensitivity.attrs.get("ensemble"):
        about.append(("sensitivity ensemble", str(sensitivity.attrs["ensemble"])))
    rep.table(pd.DataFrame(about, columns=["", "value"]), name="about")
    if tables.failed is not None and len(tables.failed):
        f = tables.failed.assign(error=tables.failed["error"].astype(str).str.split("\n")
                                 .str[0])
        rep.table(f[["variant", "seed", "error"]], caption="Failed runs", name="failed")
    rep.text("A run is determined by its scenario, seed and version: the same inputs give "
             "the same numbers.", note=True)
    return rep


def _drawn_columns(tables: RunTables) -> dict[str, str]:
    """The summary column of each uncertain parameter (``param:NAME`` where the name is
    also a metric's, else the name itself)."""
    s = tables.summary
    return {k: f"param:{k}" if f"param:{k}" in s.columns else k
            for k in tables.meta.get("uncertain") or {}}


def uncertainty_table(tables: RunTables) -> pd.DataFrame:
    """The uncertain parameters (``ensemble(uncertain=)``): each one's range and the
    smallest, median and largest value drawn over the finished runs."""
    s = tables.summary
    col = _drawn_columns(tables)
    return pd.DataFrame(
        [{"parameter": k, "low": lo, "high": hi, "drawn min": float(s[col[k]].min()),
          "drawn median": float(s[col[k]].median()), "drawn max": float(s[col[k]].max())}
         for k, (lo, hi) in (tables.meta.get("uncertain") or {}).items()],
        columns=["parameter", "low", "high", "drawn min", "drawn median", "drawn max"])


def drawn_values(tables: RunTables) -> pd.DataFrame:
    """The values drawn for each seed, one row per seed (every variant and sweep point of
    a seed runs the same values). A parameter named as a column of this table (``seed``,
    drawn by ensembles made before the run seed was refused as uncertain) keeps its
    ``param:`` name: two columns of one name lost one on the web page."""
    col = _drawn_columns(tables)
    s = tables.summary
    out = s[["seed", *col.values()]].drop_duplicates("seed").sort_values("seed")
    return out.rename(columns={v: k for k, v in col.items() if k != "seed"}
                      ).reset_index(drop=True)


def uncertainty_averted(tables: RunTables) -> pd.DataFrame:
    """Each strategy's deaths averted on each seed (paired within a sweep point) with the
    values drawn for that seed: columns ``variant``, ``averted`` and one per uncertain
    parameter; empty without deaths or strategies."""
    ranges = tables.meta.get("uncertain") or {}
    s = tables.summary
    col = _drawn_columns(tables)
    if DEATHS not in s.columns or len(tables.variants) < 2:
        return pd.DataFrame(columns=["variant", "averted", *ranges])
    on = [*(tables.meta.get("sweep") or []), "seed"]  # paired within a sweep point
    base = s.loc[s["variant"] == BASELINE, [*on, DEATHS, *col.values()]]
    averted = []
    for name, part in s[s["variant"] != BASELINE].groupby("variant", sort=False):
        pair = part[[*on, DEATHS]].merge(base, on=on, suffixes=("", "_base"))
        averted.append(pd.DataFrame({
            "variant": name, "averted": pair[f"{DEATHS}_base"] - pair[DEATHS],
            **{k: pair[col[k]] for k in ranges}}))
    if not averted:
        return pd.DataFrame(columns=["variant", "averted", *ranges])
    return pd.concat(averted, ignore_index=True)


def uncertainty_figures(tables: RunTables, colors: Mapping[str, str]) -> dict[str, Any]:
    """Deaths averted per seed against each uncertain parameter's drawn value (the first
    six), by name ``uncertain-NAME``."""
    frame = uncertainty_averted(tables)
    if frame.empty:
        return {}
    return {f"uncertain-{k}": F.scatter_figure(frame, k, "averted", by="variant",
                                               colors=colors,
                                               title=f"Deaths averted against {k}", xlabel=k,
                                               ylabel="deaths averted (per seed)")
            for k in list(tables.meta.get("uncertain") or {})[:6]}


def uncertainty_section(rep: HtmlReport, tables: RunTables,
                        colors: Mapping[str, str]) -> None:
    """The parameters drawn per seed (``ensemble(uncertain=)``): their ranges and values,
    and each strategy's deaths averted on each seed against the value drawn for it."""
    rep.heading("Parameter uncertainty")
    rep.text("Each seed ran with its own draw of these parameters (uniform on the range, "
             "log-uniform over a factor of 10 or more), the same for every strategy, so the "
             "spread over seeds above carries their uncertainty as well as the draws', and "
             "each comparison is still paired.", note=True)
    rep.table(uncertainty_table(tables), caption="Ranges and the values drawn over the seeds.",
              name="uncertain")
    figures = uncertainty_figures(tables, colors)
    if figures:
        with rep.grid():
            for name, fig in figures.items():
                rep.figure(fig, name=name)


def sensitivity_section(rep: HtmlReport, table: pd.DataFrame,
                        metric: str | None = None) -> None:
    """A "Sensitivity" section: the tornado of a one-at-a-time table and the table."""
    metric = metric or table.attrs.get("metric", DEATHS)
    rep.heading("Sensitivity")
    rep.text(f"One parameter at a time at its low and its high value, the others at the "
             f"scenario's, on the same seeds: the change in mean {metric} from the base "
             "run, widest swing on top, with per-seed intervals.", note=True)
    rep.figure(F.tornado_figure(table, title=f"Sensitivity of {metric}",
                                xlabel=f"change in {metric}"), name="tornado")
    cols = [c for c in ("parameter", "low", "high", "base", "change_low", "change_high",
                        "swing", "seeds") if c in table.columns]
    rep.table(table[cols], name="sensitivity")


def sensitivity_report(table: pd.DataFrame, *, scenario: str = "", title: str | None = None,
                       metric: str | None = None) -> HtmlReport:
    """A report of a one-at-a-time sensitivity table alone (``fentanet sensitivity
    --report``): the tornado, the table and the ensemble it came from."""
    if table is None or table.empty:
        raise InputError("the sensitivity table is empty", field="sensitivity")
    metric = metric or table.attrs.get("metric", DEATHS)
    seeds = int(table["seeds"].max()) if "seeds" in table else None
    rep = HtmlReport(title or f"Sensitivity{f': {scenario}' if scenario else ''}",
                     f"{len(table)} parameters · {metric}"
                     + (f" · {seeds} seeds per point" if seeds else ""))
    sensitivity_section(rep, table, metric)
    rep.heading("About these runs")
    about = [("scenario", scenario or "-"), ("metric", metric),
             ("ensemble id", str(table.attrs.get("ensemble", "-")))]
    rep.table(pd.DataFrame(about, columns=["", "value"]), name="about")
    return rep


def _overview_text(tables: RunTables, n_seeds: int, level: float) -> str:
    others = [v for v in tables.variants if v != BASELINE]
    if not others:
        return (f"{n_seeds} run{'s' if n_seeds != 1 else ''} of scenario {tables.scenario} "
                "with no strategy against it: the series show the trade and its harms as "
                "they go on.")
    return (f"{len(others)} strateg{'y' if len(others) == 1 else 'ies'} "
            f"({', '.join(others)}) against the baseline on {n_seeds} common "
            f"seed{'s' if n_seeds != 1 else ''}. Deaths count every death of people who "
            "use drugs in the model; overdose deaths are shown apart.")
