"""Checks of the population model's output against published figures.

The model takes one effect size per lever as input (Sordo et al. 2017 for treatment
mortality, Lim et al. 2022 for bystander naloxone, Ray et al. 2023 for disruption,
Binswanger et al. 2007 for release from custody); every other published figure in
``data/public/effect_sizes.csv`` is a check on what the model produces. Each row of
:func:`effect_size_checks` runs the model (several seeds, paired where two variants are
compared, so common random numbers cancel most of the noise), measures the quantity the
study measured, and says whether the model's value falls in the published interval.

Roles: ``input`` (the figure is a parameter; the row shows the model reproduces it),
``target`` (a parameter was set so the status quo matches it), ``check`` (independent of
the parameters: a real test of the model).

Three seeds of one market of 500,000 people for a year (the defaults but the seeds, 10;
far smaller markets or fewer years leave the noisier rows outside their intervals, as
``seeds=2, population=50_000, years=0.5`` leaves two):

>>> table = effect_size_checks(seeds=3)
>>> len(table), bool(table["consistent"].all())
(10, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fentanet.simulate.population import (
    PopulationInputs,
    PopulationParams,
    PopulationRun,
    run_population,
)


@dataclass(frozen=True)
class Published:
    """A published figure with the interval the model's value is checked against."""

    check: str
    role: str
    value: float
    low: float
    high: float
    source: str


PUBLISHED: dict[str, Published] = {
    "sordo": Published(
        "all-cause mortality rate ratio, out of / in treatment",
        "input",
        2.20,
        1.34,
        3.61,
        "Sordo et al. BMJ 2017;357:j1550, buprenorphine (95% CI); methadone 3.20 (2.65-3.86)",
    ),
    "larochelle": Published(
        "opioid-related death hazard ratio, in / out of treatment",
        "check",
        0.62,
        0.41,
        0.92,
        "Larochelle et al. Ann Intern Med 2018;169:137, buprenorphine after a nonfatal "
        "overdose (95% CI); methadone 0.41 (0.24-0.70)",
    ),
    "walley_low": Published(
        "overdose death rate ratio, naloxone at the status quo vs none",
        "check",
        0.73,
        0.57,
        0.91,
        "Walley et al. BMJ 2013;346:f174, 1-100 enrolments per 100,000 (95% CI)",
    ),
    "walley_high": Published(
        "overdose death rate ratio, naloxone at full effort vs none",
        "check",
        0.54,
        0.39,
        0.76,
        "Walley et al. BMJ 2013;346:f174, over 100 enrolments per 100,000 (95% CI)",
    ),
    "irvine": Published(
        "deaths averted per naloxone administration",
        "check",
        0.10,
        0.05,
        0.15,
        "Irvine et al. Lancet Public Health 2018 (take-home naloxone, British Columbia); "
        "interval: +-50%, none given in effect_sizes.csv",
    ),
    "mortality_using": Published(
        "all-cause deaths per 1000 person-years, people using out of treatment",
        "check",
        36.1,
        9.5,
        47.0,
        "Sordo et al. 2017: 36.1 out of methadone and 9.5 out of buprenorphine treatment "
        "(pre-fentanyl cohorts); Larochelle et al. 2018: 47 after a nonfatal overdose",
    ),
    "treated_share": Published(
        "share of people with opioid use disorder in treatment",
        "target",
        0.223,
        0.20,
        0.28,
        "Jones et al. JAMA Netw Open 2023 (NSDUH 2021: 22.3% received medication in the "
        "past year); 25.1% in 2022 (MMWR 2024), 27.8% in 2019 (Mauro et al. 2022)",
    ),
    "deaths_us": Published(
        "fatal overdoses a year, 3.0 million people using",
        "target",
        72_405,
        70_601,
        73_838,
        "CDC WONDER T40.4 synthetic-opioid deaths 2021-2023 (us_synthetic_opioid_deaths.csv; "
        "mean and range)",
    ),
    "ray": Published(
        "fatal overdose ratio after a disruption (volatility 1 vs 0)",
        "input",
        2.0,
        1.9,
        2.1,
        "Ray et al. AJPH 2023: fatal overdoses doubled within 7 days and 500 m of seizures "
        "(interval: +-5% around the figure used)",
    ),
    "release": Published(
        "overdose death rate ratio, weeks after release vs others using",
        "input",
        8.0,
        7.6,
        8.4,
        "Binswanger et al. NEJM 2007; Merrall et al. Addiction 2010 (3-8 in weeks 1-2 "
        "vs 3-12; interval: +-5% around the figure used)",
    ),
}
"""The published figures and the intervals used, by key."""


def _runs(
    params: PopulationParams, population: float, years: float, seeds: int, **inputs: float
) -> list[PopulationRun]:
    markets = pd.DataFrame({"uid": [1], "population": [population]})
    x = PopulationInputs.baseline(1, **inputs)
    return [run_population(params, markets, years=years, seed=s, inputs=x) for s in range(seeds)]


def _fatal_out(run: PopulationRun) -> float:
    t = run.totals
    return float((t["fatal"] - t["fatal_in_treatment"])[0])


def effect_size_checks(
    params: PopulationParams | None = None,
    *,
    seeds: int = 10,
    population: float = 500_000.0,
    years: float = 1.0,
) -> pd.DataFrame:
    """The model against each published figure in :data:`PUBLISHED`.

    Columns: ``key``, ``check``, ``role``, ``published``, ``low``, ``high``, ``source``,
    ``model`` (mean over seeds), ``model_low``/``model_high`` (95% interval of the mean
    over seeds), ``consistent`` (the model's mean lies in [low, high]). Runs one market of
    ``population`` people using for ``years`` per seed and variant; scale-dependent rows
    (deaths a year) are rescaled to 3.0 million people using.
    """
    p = params or PopulationParams()
    base = _runs(p, population, years, seeds)
    values: dict[str, list[float]] = {k: [] for k in PUBLISHED}
    none = _runs(p.replace(p_kit=0.0, p_kit_max=0.0), population, years, seeds)
    full = _runs(p, population, years, seeds, naloxone=1.0)
    vol = _runs(p, population, years, seeds, potency_volatility=1.0)
    # everyone using stays in the post-release window: their rate against the others'
    rel_p = p.replace(release_window_weeks=1e12)
    rel = _runs(rel_p, population, years, seeds, released=1e15)
    rel_base = _runs(rel_p, population, years, seeds)
    for b, n, f, v, r, rb in zip(base, none, full, vol, rel, rel_base, strict=True):
        t, py = b.totals, b.person_years
        deaths_out = (t["deaths"] - t["deaths_in_treatment"] - t["deaths_in_remission"])[0]
        rate_out = deaths_out / py["ordinary"][0]
        rate_in = t["deaths_in_treatment"][0] / py["treatment"][0]
        values["sordo"].append(rate_out / rate_in)
        fatal_in = t["fatal_in_treatment"][0] / py["treatment"][0]
        values["larochelle"].append(fatal_in / (_fatal_out(b) / py["ordinary"][0]))
        fatal_none = n.totals["fatal"][0]
        values["walley_low"].append(t["fatal"][0] / fatal_none)
        values["walley_high"].append(f.totals["fatal"][0] / fatal_none)
        values["irvine"].append((fatal_none - t["fatal"][0]) / t["naloxone_given"][0])
        values["mortality_using"].append(1000 * rate_out)
        share = py["treatment"][0] / (py["treatment"][0] + py["using"][0])
        values["treated_share"].append(share)
        values["deaths_us"].append(t["fatal"][0] / years * 3.0e6 / population)
        values["ray"].append(v.totals["fatal"][0] / t["fatal"][0])
        values["release"].append(
            (_fatal_out(r) / r.person_years["using"][0])
            / (_fatal_out(rb) / rb.person_years["using"][0])
        )
    rows = []
    for key, pub in PUBLISHED.items():
        v = np.asarray(values[key], dtype=float)
        half = 1.96 * v.std(ddof=1) / np.sqrt(v.size) if v.size > 1 else np.nan
        mean = float(v.mean())
        rows.append(
            {
                "key": key,
                "check": pub.check,
                "role": pub.role,
                "published": pub.value,
                "low": pub.low,
                "high": pub.high,
                "source": pub.source,
                "model": mean,
                "model_low": mean - half,
                "model_high": mean + half,
                "consistent": bool(pub.low <= mean <= pub.high),
            }
        )
    return pd.DataFrame(rows)


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"


def checks_markdown(table: pd.DataFrame) -> str:
    """The checks table as Markdown (for docs/model-population.md)."""
    lines = [
        "| check | role | published (interval) | model (95% over seeds) | consistent | source |",
        "|---|---|---|---|---|---|",
    ]
    for r in table.itertuples():
        lines.append(
            f"| {r.check} | {r.role} | {_num(r.published)} ({_num(r.low)}-{_num(r.high)}) "
            f"| {_num(r.model)} ({_num(r.model_low)}-{_num(r.model_high)}) | "
            f"{'yes' if r.consistent else 'NO'} | {r.source} |"
        )
    return "\n".join(lines)
