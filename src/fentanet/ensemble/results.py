"""What an ensemble answers: quantiles over runs, and paired differences against a baseline.

Variants share seeds (common random numbers), so a comparison pairs run ``i`` of a variant
with run ``i`` of the baseline and summarises the per-seed differences: their mean with a
t-interval (the uncertainty of the mean difference) and their spread over seeds (what one
realisation may look like), not only the difference of the two means.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from fentanet.build import recorded_version
from fentanet.ensemble.plan import BASELINE
from fentanet.errors import InputError
from fentanet.store.files import StoreError
from fentanet.store.store import RunStore

ID_COLS = ("run_id", "ensemble_id", "scenario", "variant", "seed")
STEP_COLS = ("step", "time", "year")

DEATHS = "deaths_total"
"""Summary metric of deaths over the horizon (``fentanet.simulate``'s summary key)."""
OVERDOSE_DEATHS = "overdose_deaths_total"
"""Summary metric of overdose deaths over the horizon (part of :data:`DEATHS`)."""
SUPPLY = "supply_kg_total"
"""Summary metric of product reaching markets over the horizon (kg)."""
COST = "intervention_cost_usd_total"
"""Summary metric of intervention costs over the horizon (USD)."""


def qname(q: float) -> str:
    """Column name of a quantile: 0.05 -> ``q05``, 0.5 -> ``q50``, 0.025 -> ``q2.5``."""
    return f"q{100 * q:02g}"


def mean_interval(x: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``x`` and its two-sided Student-t interval (NaN bounds for fewer than 2)."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return (np.nan, np.nan, np.nan)
    m = float(x.mean())
    if n < 2:
        return (m, np.nan, np.nan)
    half = stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / np.sqrt(n)
    return (m, m - half, m + half)


def ratio_interval(num: np.ndarray, den: np.ndarray,
                   level: float = 0.95) -> tuple[float, float, float]:
    """Ratio of means ``mean(num) / mean(den)`` of paired values and its Fieller interval.

    Fieller's interval (Fieller, J. R. Stat. Soc. B 16, 1954; for a cost-effectiveness
    ratio of paired outcomes, Willan & O'Brien, Health Econ. 5, 1996): the ratios ``R``
    that the t-test of ``mean(num) - R mean(den) = 0`` does not reject at ``level``, with
    the t quantile of :func:`mean_interval` (``n - 1`` degrees of freedom) and the sample
    covariance of the pairs. It is bounded only where the denominator's own ``level``
    t-interval excludes 0; otherwise the upper bound is ``inf`` (a ratio over no deaths
    averted, or fewer, counts as infinitely expensive), and the lower bound is where the
    accepted half-line up to ``inf`` starts when the point lies on it, else ``-inf``. A mean
    denominator that is not positive gives a NaN point; when it is significantly negative,
    or 0 in every pair at a positive cost, both bounds are ``inf``. Pairs with a NaN are
    left out, as :func:`mean_interval` leaves out NaN values. Fewer than two pairs: NaN
    bounds.
    """
    num, den = np.asarray(num, float), np.asarray(den, float)
    keep = ~(np.isnan(num) | np.isnan(den))
    num, den = num[keep], den[keep]
    n = len(num)
    if n == 0:
        return (np.nan, np.nan, np.nan)
    a, b = float(num.mean()), float(den.mean())
    point = a / b if b > 0 else np.nan
    if n < 2:
        return (point, np.nan, np.nan)
    cov = np.cov(num, den, ddof=1) / n  # of the two means
    t2 = stats.t.ppf(0.5 + level / 2, n - 1) ** 2
    qa = b * b - t2 * cov[1, 1]  # (a - R b)^2 <= t2 (v_aa - 2 R v_ab + R^2 v_bb) as
    qb = a * b - t2 * cov[0, 1]  # qa R^2 - 2 qb R + qc <= 0
    qc = a * a - t2 * cov[0, 0]
    disc = qb * qb - qa * qc
    if b == 0 and cov[1, 1] == 0 and a > 0:  # never a death averted, at a cost
        return (point, np.inf, np.inf)
    if qa > 0:  # the denominator's interval excludes 0: a bounded interval around a / b
        if b < 0:
            return (point, np.inf, np.inf)
        root = np.sqrt(max(disc, 0.0))
        return (point, float((qb - root) / qa), float((qb + root) / qa))
    if qa < 0 and disc >= 0 and np.isfinite(point):  # two half-lines: the point's
        top = float((qb - np.sqrt(disc)) / qa)  # the larger root (qa < 0)
        if point >= top:
            return (point, top, np.inf)
    return (point, -np.inf, np.inf)


def distinct_runs(runs: pd.DataFrame, keys: Sequence[str] = ()) -> pd.DataFrame:
    """``runs`` (one row per run, or per run and step with the step columns among ``keys``)
    with one run per variant, sweep point (``keys``) and seed: the first. A second is the
    same run again, as an ensemble stored with a sweep value given twice holds it (before
    sweeps refused one), and counts once, never as two seeds."""
    cols = ["variant", *keys, "seed"]
    if runs.empty or not set(cols) <= set(runs.columns):
        return runs
    repeated = runs.duplicated(cols)
    return runs[~repeated] if repeated.any() else runs


def paired(summary: pd.DataFrame, baseline: str = BASELINE, *,
           keys: Sequence[str] = ()) -> pd.DataFrame:
    """Per-seed differences ``variant - baseline`` of every metric.

    ``summary`` has one row per run with ``variant``, ``seed``, the columns ``keys`` (sweep
    parameters: runs pair within a sweep point) and metric columns. Returns one row per
    (variant, keys..., seed) with each metric's difference, for the seeds both have; a
    second row of one variant, point and seed is left out.
    """
    if baseline not in set(summary["variant"]):
        raise InputError(f"no runs of the baseline variant {baseline!r} to compare against",
                         field="baseline")
    keys = list(keys)
    metrics = [c for c in summary.columns
               if c not in (*ID_COLS, *keys) and pd.api.types.is_numeric_dtype(summary[c])]
    on = [*keys, "seed"]
    summary = distinct_runs(summary, keys)
    base = summary[summary.variant == baseline].set_index(on)[metrics]
    out = []
    for variant, group in summary[summary.variant != baseline].groupby("variant", sort=False):
        g = group.set_index(on)[metrics]
        common = g.index.intersection(base.index).sort_values()  # same order, any run order
        diff = g.loc[common] - base.loc[common]
        diff.insert(0, "variant", variant)
        out.append(diff.reset_index())
    if not out:
        return pd.DataFrame(columns=["variant", *on, *metrics])
    return pd.concat(out, ignore_index=True)


def compare_table(summary: pd.DataFrame, baseline: str = BASELINE, *,
                  keys: Sequence[str] = (), deaths: str = DEATHS, supply: str = SUPPLY,
                  cost: str = COST, metrics: Sequence[str] = (), level: float = 0.95,
                  q: Sequence[float] = (0.05, 0.5, 0.95)) -> pd.DataFrame:
    """The policy comparison: per variant (and sweep point), from per-seed differences,
    the outcomes ``deaths averted`` (every cause among the people who use), ``overdose
    deaths averted`` (where the runs report :data:`OVERDOSE_DEATHS`), ``supply
    reduction`` (kg, and in %), ``extra cost`` (USD) and ``cost per death averted``, plus
    ``change in <m>`` for each of ``metrics``.

    Columns: ``mean`` of the per-seed outcome with its ``level`` t-interval
    (``ci_low``, ``ci_high``), quantiles of the per-seed outcome over seeds, the share of
    seeds where it is positive, and the number of paired seeds. Cost per death averted is
    the ratio of the mean extra cost to the mean deaths averted (a ratio of per-seed values
    is unstable where a seed averts few deaths) with Fieller's interval for paired values
    (:func:`ratio_interval`: open-ended when deaths averted's own interval reaches 0); its
    per-seed quantiles are left empty. Outcomes whose metric the runs do not report are
    left out.
    """
    keys = list(keys)
    summary = distinct_runs(summary, keys)
    diffs = paired(summary, baseline, keys=keys)
    base = summary[summary.variant == baseline].set_index([*keys, "seed"])
    rows = []
    for (variant, *point), g in diffs.groupby(["variant", *keys], sort=False, dropna=False):
        idx = pd.MultiIndex.from_frame(g[[*keys, "seed"]]) if keys else pd.Index(g.seed)
        outcomes: dict[str, np.ndarray] = {}
        if deaths in g:
            outcomes["deaths averted"] = -g[deaths].to_numpy()
        if OVERDOSE_DEATHS in g and deaths != OVERDOSE_DEATHS:
            outcomes["overdose deaths averted"] = -g[OVERDOSE_DEATHS].to_numpy()
        if supply in g:
            outcomes["supply reduction"] = -g[supply].to_numpy()
            b = base.loc[idx, supply].to_numpy()
            with np.errstate(divide="ignore", invalid="ignore"):
                outcomes["supply reduction %"] = np.where(b != 0, -100 * g[supply] / b, np.nan)
        if cost in g:
            outcomes["extra cost"] = g[cost].to_numpy()
        for m in metrics:
            if m not in g:
                raise InputError(f"no summary metric {m!r}; have "
                                 f"{[c for c in g.columns if c not in ('variant', 'seed')]}",
                                 field="metrics")
            outcomes[f"change in {m}"] = g[m].to_numpy()
        head = {"variant": variant, **dict(zip(keys, point, strict=True))}
        for name, x in outcomes.items():
            mean, lo, hi = mean_interval(x, level)
            finite = x[~np.isnan(x)]
            row = {**head, "outcome": name, "mean": mean, "ci_low": lo, "ci_high": hi}
            for qq, v in zip(q, np.quantile(finite, q) if len(finite) else [np.nan] * len(q),
                             strict=True):
                row[qname(qq)] = float(v)
            row["share_positive"] = float((finite > 0).mean()) if len(finite) else np.nan
            row["seeds"] = len(finite)
            rows.append(row)
        if deaths in g and cost in g:
            point_, lo, hi = ratio_interval(g[cost].to_numpy(), -g[deaths].to_numpy(), level)
            row = {**head, "outcome": "cost per death averted", "mean": point_,
                   "ci_low": lo, "ci_high": hi, **{qname(qq): np.nan for qq in q},
                   "share_positive": np.nan, "seeds": len(g)}
            rows.append(row)
    out = pd.DataFrame(rows)
    floats = out.select_dtypes("float").columns
    return out.assign(**{c: out[c] + 0.0 for c in floats})  # + 0.0: no -0.0 written


def series_quantiles(series: pd.DataFrame, *, by: Sequence[str] = ("variant",),
                     metrics: Sequence[str] | None = None,
                     q: Sequence[float] = (0.05, 0.5, 0.95),
                     what: str = "series column") -> pd.DataFrame:
    """Quantiles over runs of each metric at each step, per group ``by``; long format:
    ``by..., step, time[, year], metric, mean, q05, q50, q95, runs``. A metric the table
    lacks is an :class:`InputError` naming it as a ``what``."""
    by = list(by)
    steps = [c for c in STEP_COLS if c in series.columns]
    if metrics is None:
        metrics = [c for c in series.columns
                   if c not in (*ID_COLS, *by, *STEP_COLS)
                   and pd.api.types.is_numeric_dtype(series[c])]
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    if series.empty:
        return pd.DataFrame(columns=[*by, *steps, "metric", "mean", *map(qname, q), "runs"])
    for m in metrics:  # a misspelt one ended in pandas' KeyError from melt
        if m not in series.columns or m in (*by, *steps):
            have = [c for c in series.columns if c not in (*ID_COLS, *by, *STEP_COLS)]
            near = difflib.get_close_matches(str(m), have, n=1, cutoff=0.6)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise InputError(f"no {what} {m!r}{hint}; docs/series.md lists them",
                             field="metrics")
    long = series.melt(id_vars=[*by, *steps], value_vars=metrics, var_name="metric")
    g = long.groupby([*by, *steps, "metric"], sort=False, dropna=False)["value"]
    out = g.mean().rename("mean").to_frame()
    for qq in q:
        out[qname(qq)] = g.quantile(qq)
    out["runs"] = g.count()
    return out.reset_index()


@dataclass
class Ensemble:
    """The runs of one ensemble, kept in a :class:`~fentanet.store.RunStore`.

    Everything is read back from the store, so an ensemble can be reopened later with
    :meth:`load` and analysed the same way.
    """

    id: str
    store: RunStore
    scenario: str
    variants: list[str]
    seeds: list[int]
    sweep: list[str] = field(default_factory=list)
    baseline: str = BASELINE
    interrupted: bool = False
    uncertain: list[str] = field(default_factory=list)  # drawn per seed, not sweep points
    notes: list[str] = field(default_factory=list)  # what the runs said (RunWarning), made here
    resumed: int = 0  # runs made by fentanet.ensemble.resume (0: none were missing)

    @classmethod
    def load(cls, store: RunStore | str | os.PathLike[str] | None, ensemble_id: str
             ) -> Ensemble:
        """Reopen an ensemble from the store (a :class:`RunStore` or its path, as
        :func:`~fentanet.ensemble.ensemble` takes it; never created here) by its id or a
        unique prefix of it, as the command line takes it (:meth:`RunStore.resolve_ensemble`;
        an :class:`InputError` naming field 'ensemble' when none or several match)."""
        if not isinstance(store, RunStore):
            store = RunStore(store, create=False)
        try:
            ensemble_id = store.resolve_ensemble(ensemble_id)
        except StoreError as exc:
            raise InputError(str(exc), field="ensemble") from None
        runs = store.runs(ensemble=ensemble_id)
        if runs.empty:  # pragma: no cover - resolve_ensemble found its runs
            raise InputError(f"no ensemble {ensemble_id!r} in the store {store.root}",
                             field="ensemble")
        # sweep parameters are those of the baseline's runs (a variant's own overrides
        # are in its runs' params too, but they are not sweep points), less the uncertain
        # ones (drawn per seed; their ranges are in every run's setup)
        uncertain = list(dict.fromkeys(k for setup in runs.setup if isinstance(setup, dict)
                                       for k in setup.get("uncertain") or {}))
        base = runs[runs.variant == BASELINE]
        keys = list(dict.fromkeys(k for p in (base if len(base) else runs).params for k in p
                                  if k not in uncertain))
        variants = list(dict.fromkeys(runs.variant))
        variants.sort(key=lambda v: v != BASELINE)
        done = runs[runs.status == "done"]
        same = done.assign(_p=[json.dumps(p, sort_keys=True, default=str) for p in done.params]
                           ).duplicated(["variant", "_p", "seed"])
        if same.any():
            warnings.warn(f"ensemble {ensemble_id} holds {int(same.sum())} run(s) that repeat "
                          "another of the same variant, sweep point and seed (a sweep value "
                          "given twice, which sweeps now refuse before any run): each is "
                          "counted once", stacklevel=2)
        return cls(ensemble_id, store, str(runs.scenario.iloc[0]), variants,
                   sorted(set(runs.seed.astype(int))), keys, uncertain=uncertain)

    def __repr__(self) -> str:
        extra = f", uncertain={self.uncertain}" if self.uncertain else ""
        return (f"Ensemble({self.id!r}, scenario={self.scenario!r}, variants={self.variants}, "
                f"seeds={len(self.seeds)}, sweep={self.sweep}{extra})")

    def uncertain_ranges(self) -> dict[str, list[float]]:
        """The ranges the :attr:`uncertain` parameters were drawn from (``[low, high]``), as
        the runs' setups record them."""
        ranges: dict[str, list[float]] = {}
        for setup in self.runs().setup:
            if isinstance(setup, dict):
                ranges.update(setup.get("uncertain") or {})
        return {k: ranges[k] for k in self.uncertain if k in ranges}

    def runs(self) -> pd.DataFrame:
        """Catalog rows of this ensemble's runs (finished and failed)."""
        return self.store.runs(ensemble=self.id)

    @property
    def failed(self) -> pd.DataFrame:
        """The runs that raised: variant, seed, parameters and error."""
        r = self.store.runs(ensemble=self.id, status="failed")
        return r[["run_id", "variant", "seed", "params", "error"]].reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """One row per finished run: variant, seed, sweep parameters and summary metrics;
        the baseline's runs first, then the variants' in the order given. A run without an
        intervention of a kind another variant has paid 0 for it (``cost_<kind>_usd_total``
        0, not NaN: :func:`~fentanet.simulate.output.zero_costs`). A run that repeats one of
        the same variant, sweep point and seed is left out (:func:`distinct_runs`)."""
        from fentanet.simulate.output import zero_costs

        s = self._in_run_order(self.store.summary(ensemble=self.id))
        return zero_costs(distinct_runs(s, self.key_columns(s)))

    def _in_run_order(self, df: pd.DataFrame) -> pd.DataFrame:
        """Rows by variant (in :attr:`variants` order), then seed, then sweep point (by
        the values of :attr:`sweep`: :func:`point_order`), the rows of one run (its steps)
        in their order: an order of the design, never of the runs' completion. The store
        returns runs in the order they started, which on a cluster differs from one
        ensemble to the next, so a mean over seeds summed the same values in another
        order: the bands' and ``summary_quantiles``' ``mean`` differed in their last bits
        between the same ensemble made serially and on 2 workers (22 of 31,304 band values
        of 8 seeds of the toy), and ``summary.csv`` listed its runs in another order, until
        the twenty-first session."""
        if df.empty or "variant" not in df.columns:
            return df
        rank = {v: i for i, v in enumerate(self.variants)}
        variant = df["variant"].map(rank).fillna(len(rank)).to_numpy()
        seed = df["seed"].to_numpy() if "seed" in df.columns else np.zeros(len(df))
        keys = [k for k in self.key_columns(df) if k in df.columns]
        points = point_order(df[keys]) if keys else np.zeros(len(df))
        order = np.lexsort((points, seed, variant))  # stable: a run's steps stay in order
        return df.iloc[order].reset_index(drop=True)

    def series(self, variant: str | None = None, *, long: bool = False,
               on_error: str = "skip") -> pd.DataFrame:
        """Per-step series of the finished runs (with the sweep parameters as columns).

        A run whose series file is damaged or missing is left out with a warning naming it
        (``on_error="raise"`` to stop instead), so that one bad file does not hide the
        other runs; ``fentanet runs check`` lists such files. A run without an
        intervention of a kind another variant has paid 0 for it at every step
        (``cost_<kind>_usd`` 0, not NaN), so the bands (:meth:`quantiles`) count it. A run
        that repeats one of the same variant, sweep point and seed is left out, as in
        :meth:`summary`.
        """
        from fentanet.simulate.output import zero_costs

        s = self.store.series(ensemble=self.id, variant=variant, long=long, on_error=on_error)
        if self.sweep and not s.empty:
            summary = self.store.summary(ensemble=self.id)
            keys = self.key_columns(summary)
            kept = distinct_runs(summary, keys)  # a repeated run once (distinct_runs)
            if len(kept) < len(summary):
                s = s[s["run_id"].isin(kept["run_id"])].reset_index(drop=True)
            s = s.merge(summary[["run_id", *keys]], on="run_id", how="left")
        return zero_costs(self._in_run_order(s))

    def key_columns(self, summary: pd.DataFrame) -> list[str]:
        """The columns of the sweep parameters in ``summary`` (see ``RunStore.summary``)."""
        return [f"param:{k}" if f"param:{k}" in summary.columns else k for k in self.sweep]

    def quantiles(self, metrics: Sequence[str] | None = None, *,
                  q: Sequence[float] = (0.05, 0.5, 0.95),
                  difference: bool = False) -> pd.DataFrame:
        """Quantiles over seeds of the series at each step, per variant (and sweep point).

        With ``difference=True``, of the per-seed difference ``variant - baseline`` instead
        (the baseline itself is then left out).
        """
        s = self.series()
        keys = self.key_columns(s)
        by = ["variant", *keys]
        if difference and not s.empty:
            steps = [c for c in STEP_COLS if c in s.columns]
            s = paired_series(s, self.baseline, keys=[*keys, *steps])
        return series_quantiles(s, by=by, metrics=metrics, q=q)

    def summary_quantiles(self, metrics: Sequence[str] | None = None, *,
                          q: Sequence[float] = (0.05, 0.5, 0.95)) -> pd.DataFrame:
        """Quantiles over seeds of each summary metric, per variant (and sweep point)."""
        s = self.summary()
        s = s.assign(step=0)
        out = series_quantiles(s, by=["variant", *self.key_columns(s)], metrics=metrics, q=q,
                               what="summary metric")
        return out.drop(columns="step")

    def differences(self) -> pd.DataFrame:
        """Per-seed differences ``variant - baseline`` of every summary metric."""
        s = self.summary()
        return paired(s, self.baseline, keys=self.key_columns(s))

    def compare(self, *, deaths: str = DEATHS, supply: str = SUPPLY, cost: str = COST,
                metrics: Sequence[str] = (), level: float = 0.95,
                q: Sequence[float] = (0.05, 0.5, 0.95)) -> pd.DataFrame:
        """Deaths averted, supply reduction and cost per death averted of each variant
        against the baseline, from per-seed differences (see :func:`compare_table`)."""
        s = self.summary()
        return compare_table(s, self.baseline, keys=self.key_columns(s), deaths=deaths,
                             supply=supply, cost=cost, metrics=metrics, level=level, q=q)

    def table(self, **kw: Any) -> pd.DataFrame:
        """Alias of :meth:`compare`."""
        return self.compare(**kw)

    def save(self, folder: Any, *, csv: bool = False) -> list[Path]:
        """Write the ensemble's outputs into ``folder``, all files or none.

        - ``series.parquet``: every finished run's per-step series, with ``run_id``,
          ``variant``, ``seed`` (and the sweep parameters) as columns;
        - ``summary.csv``: one row per finished run (ids, sweep parameters, metrics);
        - ``summary.json``: the ensemble (id, scenario, variants, seeds, sweep, the ranges
          of the uncertain parameters, the versions that made its runs and, as
          ``saved_by``, those of this process), each run's summary, and the failed runs
          with their errors;
        - with more than one seed, ``bands.parquet`` (:meth:`quantiles`: mean and 5/50/95%
          over seeds of every series at every step, per variant) and
          ``summary_bands.csv`` (:meth:`summary_quantiles`);
        - with a baseline and other variants, ``compare.csv`` (:meth:`compare`).

        ``csv=True`` also writes ``series.csv`` and ``bands.csv``. An earlier result's
        files that this one does not write (:data:`~fentanet.simulate.output.RESULT_FILES`)
        are removed, so the folder never mixes two results; files of those names in a
        folder whose ``summary.json`` is not a fentanet result's are refused, never
        replaced or removed.
        """
        from fentanet.simulate.output import (
            RESULT_FILES,
            RESULT_MARKER,
            json_writer,
            table_writers,
            write_files,
        )

        summary = self.summary()
        writers = {**table_writers("series", self.series(), csv=csv),
                   **table_writers("summary", summary, parquet=False, csv=True)}
        if len(set(summary.seed)) > 1:
            writers.update(table_writers("bands", self.quantiles(), csv=csv))
            writers.update(table_writers("summary_bands", self.summary_quantiles(),
                                         parquet=False, csv=True))
        compare = pd.DataFrame()
        if len(set(summary.variant)) > 1 and self.baseline in set(summary.variant):
            compare = self.compare()
            writers.update(table_writers("compare", compare, parquet=False, csv=True))
        from fentanet.simulate.nploops import numpy_version

        failed = self.failed
        doc = {"ensemble": self.id, "scenario": self.scenario, "variants": self.variants,
               "seeds": self.seeds, "sweep": self.sweep,
               "uncertain": self.uncertain_ranges(), "baseline": self.baseline,
               **recorded_versions(self.runs()),
               "saved_by": {"fentanet_version": recorded_version(),
                            "numpy_version": numpy_version()},
               "finished": len(summary), "failed": failed.to_dict("records"),
               "runs": summary.to_dict("records"), "compare": compare.to_dict("records"),
               "files": sorted([*writers, "summary.json"])}
        writers["summary.json"] = json_writer(doc)
        return write_files(folder, writers, replaces=RESULT_FILES, marker=RESULT_MARKER)


def recorded_versions(runs: pd.DataFrame) -> dict[str, Any]:
    """The ``fentanet_version`` and ``numpy_version`` that made ``runs`` (catalog rows),
    as recorded with them: one value, the sorted list when they differ, ``None`` when none
    was recorded. An ensemble loaded from a store and saved by another build keeps the
    versions of the build that made it."""
    out: dict[str, Any] = {}
    for col in ("fentanet_version", "numpy_version"):
        values = sorted({v for v in runs.get(col, ()) if isinstance(v, str) and v})
        out[col] = values[0] if len(values) == 1 else (values or None)
    return out


def point_order(points: pd.DataFrame) -> np.ndarray:
    """Each row's rank among the distinct sweep points of ``points`` (one column per swept
    parameter), ordered by their values column after column: a parameter a point does not
    set (a tornado's base) first, then numbers by value, then other values by their JSON
    text. Deterministic whatever the rows' order."""
    def key(value: Any) -> tuple[int, float, str]:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return (0, 0.0, "")
        if isinstance(value, int | float | np.integer | np.floating) \
                and not isinstance(value, bool | np.bool_):
            return (1, float(value), "")
        return (2, 0.0, json.dumps(value, sort_keys=True, default=str))

    keys = [tuple(key(v) for v in row) for row in points.itertuples(index=False, name=None)]
    rank = {k: i for i, k in enumerate(sorted(set(keys)))}
    return np.array([rank[k] for k in keys], dtype=np.int64)


def paired_series(series: pd.DataFrame, baseline: str, *, keys: Sequence[str]) -> pd.DataFrame:
    """Per-seed, per-step differences ``variant - baseline`` of the series."""
    keys = list(keys)
    summary_like = series.drop(columns=[c for c in ("run_id", "ensemble_id", "scenario")
                                        if c in series.columns])
    return paired(summary_like, baseline, keys=keys)
