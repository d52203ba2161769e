"""Dose-response of every intervention on the toy scenario: 3 intensities x 30 seeds.

Each run is paired with the baseline of the same seed (common random numbers). Prints a
Markdown table (recorded in docs/model.md) of the mean and 95% interval over seeds of
overdose deaths averted and of the supply reduction (share of the supply reaching
markets), over the horizon after the intervention starts.

    PYTHONPATH=src python -m benchmarks.dose_response [--seeds 30] [--workers 2]
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from scipy import stats

from fentanet.simulate.params import INTERVENTION_KINDS, PUBLIC_HEALTH_KINDS

YEARS = 1.5
START = 0.25
ENFORCEMENT_DOSES = (0.5, 1.0, 2.0)
COVERAGE_DOSES = (0.25, 0.5, 1.0)


def _one(args):
    kind, dose, seed = args
    import fentanet

    ivs = [] if kind is None else [{"kind": kind, "start": START, "intensity": dose}]
    s = fentanet.simulate("toy", seed=seed, years=YEARS, interventions=ivs).series
    after = s["time"] >= START - 1e-9
    return (kind, dose, seed, float(s["overdose_deaths"][after].sum()),
            float(s["supply_kg"][after].sum()), float(s["intervention_cost_usd"].sum()))


def interval(x):
    x = np.asarray(x, dtype=float)
    half = stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
    return x.mean(), x.mean() - half, x.mean() + half


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=30)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    seeds = range(1, args.seeds + 1)
    jobs = [(None, 0.0, s) for s in seeds]
    for kind in INTERVENTION_KINDS:
        doses = COVERAGE_DOSES if kind in PUBLIC_HEALTH_KINDS else ENFORCEMENT_DOSES
        jobs += [(kind, d, s) for d in doses for s in seeds]
    with ProcessPoolExecutor(args.workers) as pool:
        out = list(pool.map(_one, jobs, chunksize=8))
    base = {seed: (deaths, supply) for kind, _, seed, deaths, supply, _ in out if kind is None}
    print(f"toy scenario, {YEARS} years, interventions from {START} years, "
          f"{args.seeds} seeds; mean [95% interval] over seeds of the paired difference.\n")
    print("| intervention | intensity | overdose deaths averted | supply reduction (%) | "
          "cost (USD k) |")
    print("|---|---:|---|---|---:|")
    for kind in INTERVENTION_KINDS:
        doses = COVERAGE_DOSES if kind in PUBLIC_HEALTH_KINDS else ENFORCEMENT_DOSES
        for d in doses:
            rows = [r for r in out if r[0] == kind and r[1] == d]
            averted = [base[r[2]][0] - r[3] for r in rows]
            cut = [100 * (1 - r[4] / base[r[2]][1]) for r in rows]
            a, b = interval(averted), interval(cut)
            cost = np.mean([r[5] for r in rows]) / 1e3
            print(f"| {kind} | {d:g} | {a[0]:.1f} [{a[1]:.1f}, {a[2]:.1f}] | "
                  f"{b[0]:.2f} [{b[1]:.2f}, {b[2]:.2f}] | {cost:.1f} |")


if __name__ == "__main__":
    main()
