"""Observed series to fit, and how the model's output is made comparable with them.

A :class:`Target` pairs an observed annual series (from a CSV such as
``../shared/data/public/us_synthetic_opioid_deaths.csv``) with a column of the model's
per-step series, summed over calendar years or over federal fiscal years (October to
September), and an observation model: ``fixed`` (the observed count is the simulated one)
or ``free`` (observed = kappa x simulated, kappa fitted; DESIGN.md: seizures are not flow,
only their shape and order of magnitude inform the model).

Rows with status ``provisional`` are left out unless asked for (the README of the data
folder: provisional counts run a few per cent higher than final ones; do not mix them in
one fit without saying so).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fentanet.errors import InputError
from fentanet.network.textfile import read_text

PERIODS = ("calendar", "fiscal")
SCALES = ("fixed", "free")

KNOWN: dict[str, dict[str, str]] = {
    "us_synthetic_opioid_deaths": {
        "value": "deaths",
        "series": "synthetic_fatal",
        "period": "calendar",
        "scale": "fixed",
    },
    "us_overdose_deaths_all": {
        "value": "deaths",
        "series": "fatal",
        "period": "calendar",
        "scale": "free",
    },
    "cbp_fentanyl_seizures": {
        "value": "pounds",
        "series": "seized_routes_kg",
        "period": "fiscal",
        "scale": "free",
    },
}
"""Defaults for the public series by file stem: value column, model series, period, scale.
All drug overdose deaths include non-opioid deaths, so only their shape (scale free) is
compared with the model's fatal overdoses."""


@dataclass(frozen=True)
class Target:
    """An observed annual series and the model series it is compared with."""

    name: str
    observed: pd.Series  # index: year (calendar or fiscal), values: the observed counts
    series: str
    period: str = "calendar"
    scale: str = "fixed"
    weight: float = 1.0
    source: str = ""

    def __post_init__(self) -> None:
        if self.period not in PERIODS:
            raise InputError(
                f"expected one of {', '.join(PERIODS)}, got {self.period!r}",
                field=f"target {self.name}: period",
            )
        if self.scale not in SCALES:
            raise InputError(
                f"expected one of {', '.join(SCALES)}, got {self.scale!r}",
                field=f"target {self.name}: scale",
            )
        if not self.weight > 0:
            raise InputError(
                f"expected a weight > 0, got {self.weight}", field=f"target {self.name}: weight"
            )
        if len(self.observed) == 0:
            raise InputError("no observations to fit", field=f"target {self.name}")
        values = np.asarray(self.observed, dtype=float)
        if not (np.isfinite(values) & (values >= 0)).all():
            raise InputError("observed values must be finite and >= 0",
                             field=f"target {self.name}")

    def window(self, first: int | None = None, last: int | None = None) -> Target:
        """The same target restricted to the years ``first..last`` (inclusive)."""
        idx = self.observed.index
        keep = np.ones(len(idx), dtype=bool)
        if first is not None:
            keep &= idx >= first
        if last is not None:
            keep &= idx <= last
        return Target(
            self.name,
            self.observed[keep],
            self.series,
            self.period,
            self.scale,
            self.weight,
            self.source,
        )


def _csv_problem(exc: Exception) -> tuple[str, int | None]:
    """pandas' parse error as ``(what, line)``: a row with too many fields by its line."""
    text = " ".join(str(exc).split())
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if m:
        return (f"expected {m[1]} comma-separated fields as in the header, saw {m[3]} "
                "(a CSV of observations: year and value columns)"), int(m[2])
    return f"not a readable CSV ({text})", None


def read_target(
    path: str | Path,
    *,
    value: str | None = None,
    series: str | None = None,
    period: str | None = None,
    scale: str | None = None,
    weight: float = 1.0,
    provisional: bool = False,
    name: str | None = None,
) -> Target:
    """Read an observed series from a CSV with a ``year`` or ``fiscal_year`` column.

    Defaults for the files of the public data folder come from :data:`KNOWN`; for another
    file give ``value`` (the column) and ``series`` (the model column). Bad files raise
    :class:`InputError` naming the file, line and column.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", file=path)
    text = read_text(path, expected="a CSV of observations")  # a bad byte's line, not pandas'
    try:
        df = pd.read_csv(io.StringIO(text))
    except (ValueError, pd.errors.ParserError) as exc:
        problem, line = _csv_problem(exc)
        raise InputError(problem, file=path, line=line) from None
    known = KNOWN.get(path.stem, {})
    time_col = "fiscal_year" if "fiscal_year" in df.columns else "year"
    if time_col not in df.columns:
        raise InputError(
            f"expected a 'year' or 'fiscal_year' column; columns: {list(df.columns)}", file=path
        )
    value = value or known.get("value")
    if value is None:
        candidates = [c for c in df.columns if c not in (time_col, "status", "source")]
        if len(candidates) != 1:
            raise InputError(f"say which column to fit (value=); columns: {candidates}", file=path)
        value = candidates[0]
    if value not in df.columns:
        raise InputError(
            f"no column '{value}'; columns: {list(df.columns)}", file=path, field=value
        )
    series = series or known.get("series")
    if series is None:
        raise InputError(
            "say which model series this is compared with (series=, --series), e.g. "
            "synthetic_fatal or deaths",
            file=path,
            field="series",
        )
    if "status" in df.columns and not provisional:
        df = df[~df["status"].astype(str).str.startswith("provisional")]
    if df.empty:
        raise InputError("no observations to fit (only a header, or only provisional rows: "
                         "provisional=True, --provisional, to use them)", file=path)
    years = pd.to_numeric(df[time_col], errors="coerce")
    vals = pd.to_numeric(df[value], errors="coerce")
    # (df.index: the row of the file, header and any rows left out counted)
    for bad, what in (
        (years.isna() | vals.isna() | (years != np.round(years)), "a whole year and a number"),
        (~np.isfinite(vals), "a finite number"),
        (vals < 0, "a count >= 0"),
        (years.duplicated(), "each year once"),
    ):
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"expected {what}, got {df.iloc[row].to_dict()}",
                file=path,
                line=int(df.index[row]) + 2,
                field=time_col if what == "each year once" else value,
            )
    observed = pd.Series(
        vals.to_numpy(dtype=float), index=years.to_numpy(dtype=int), name=value
    ).sort_index()
    return Target(
        name or path.stem,
        observed,
        series,
        period or known.get("period", "fiscal" if time_col == "fiscal_year" else "calendar"),
        scale or known.get("scale", "fixed"),
        weight,
        str(path),
    )


def targets_from(targets: Any, **read: Any) -> list[Target]:
    """Targets given as a :class:`Target`, a CSV path, or a sequence of them (paths are read
    with :func:`read_target` and the options ``read``)."""
    if isinstance(targets, Target | str | Path):
        targets = [targets]
    out = [t if isinstance(t, Target) else read_target(t, **read) for t in targets]
    if not out:
        raise InputError("give at least one target", field="targets")
    names = [t.name for t in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InputError(f"two targets are named {dup[0]!r}; name them apart", field="targets")
    return out


def annual(
    series: pd.DataFrame,
    column: str,
    *,
    start_year: float | None,
    dt: float | None = None,
    period: str = "calendar",
) -> pd.Series:
    """The model column summed per calendar or federal fiscal year, complete years only.

    A step counts in the year holding its midpoint ``start_year + time + dt / 2``; fiscal
    year Y runs from October of Y - 1 to September of Y. Without a ``start_year`` the years
    are counted from 0 (the run's first year); without ``dt`` it is the series' step.
    """
    if column not in series.columns:
        raise InputError(
            f"the model has no series '{column}'; it has: "
            f"{sorted(c for c in series.columns if c not in ('step', 'time'))}",
            field=column,
        )
    time = series["time"].to_numpy(dtype=float)
    if dt is None:
        dt = float(np.median(np.diff(time))) if len(time) > 1 else 1.0
    mid = (start_year or 0) + time + dt / 2
    if period == "fiscal":
        mid = mid + 0.25
    year = np.floor(mid + 1e-9).astype(int)
    values = series[column].to_numpy(dtype=float)
    sums = pd.Series(values).groupby(year).sum()
    counts = pd.Series(np.ones(len(year))).groupby(year).sum()
    full = counts >= round(1 / dt) - 1e-9
    return sums[full.to_numpy()]
