"""MADTOR's experiment on the toy scenario: arrest a share of one organization's members once.

Manzi & Calderoni (JASSS 27(3) 3, 2024) report that arresting even a few members is
disruptive and that the disruptive impact grows with the share arrested with diminishing
returns. This script measures, for shares 10%..90%, the target organization (the one of the
highest-degree member, ``organization_takedown`` with ``once=True`` and ``intensity`` =
share, so each member is arrested with that probability; a one-time operation without an
``end`` is over after its step, so no targeted pressure follows the strike, as in MADTOR;
``--sustained`` keeps its targets under raised pressure to the horizon) against the same
seed at share 0
(intensity 0 is bit-identical to the baseline: common random numbers):

- disrupted: the organization has failed by the horizon (two years after the operation);
- product its routes ship, lost against the baseline, over the first quarter, the first
  year and the two years after the operation (mean [95% interval] over seeds);
- member-years lost per initial member over the two years.

Prints a Markdown table (recorded in docs/model.md, section 9).

    PYTHONPATH=src python -m benchmarks.madtor_shares [--seeds 20] [--workers 2]
        [--set params.adaptation.suspension_share=0.05]
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from scipy import stats

from benchmarks.common import overrides as set_overrides

START = 0.25
AFTER = 2.0
SHARES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def _one(args):
    """One run: per step after the operation, the target organization's members (share of
    its initial members), the product its routes shipped (kg) and whether it is alive."""
    share, seed, overrides, sustained = args
    from fentanet.scenarios import load
    from fentanet.simulate.loop import Sim
    from fentanet.simulate.run import build_network, prepare
    from fentanet.simulate.state import KIND

    sc = load("toy")
    net = build_network(sc)
    iv = {"kind": "organization_takedown", "start": START, "intensity": share, "once": True,
          "target": {"rule": "degree", "count": 1, "view": "true"}}
    if sustained:  # targeted pressure after the strike, to the horizon
        iv["end"] = START + AFTER
    run = prepare(sc.override({"years": START + AFTER, **overrides}), interventions=[iv])
    sim = Sim(run, net, seed)
    org = None
    members, shipped, alive = [], [], []
    while sim.step < sim.n_steps:
        sim.run_step()
        a = sim.s.actors
        if org is None and sim.targets:
            org = int(np.unique(a.org[sim.targets[0]])[0])
        if org is not None:
            mine = a.org == org
            members.append((mine & a.alive).sum() / sim.s.org_initial[org])
            shipped.append(float(a.throughput[mine & (a.kind == KIND["route"])].sum()))
            alive.append(bool(a.alive[org]))
    return share, seed, org, np.array(members), np.array(shipped), np.array(alive)


def interval(x):
    x = np.asarray(x, dtype=float)
    half = stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
    return x.mean(), x.mean() - half, x.mean() + half


def measure(seeds, overrides=None, workers=2,
            sustained=False) -> dict[float, dict[str, np.ndarray]]:
    """Per share, per seed (in seed order): ``failed``, ``lost_q1``, ``lost_1y``,
    ``lost_2y`` (shares of the baseline's shipments lost) and ``member_years``."""
    overrides = overrides or {}
    jobs = [(s, seed, overrides, sustained) for s in (0.0, *SHARES) for seed in seeds]
    with ProcessPoolExecutor(workers) as pool:
        out = {(s, seed): rest for s, seed, *rest in pool.map(_one, jobs)}
    dt = 1.0 / 52
    res = {}
    for share in SHARES:
        rows = []
        for seed in seeds:
            org, m, q, alive = out[(share, seed)]
            org0, m0, q0, _ = out[(0.0, seed)]
            assert org == org0  # the same organization is targeted in the paired runs

            def lost(years, q=q, q0=q0):
                k = round(years / dt)
                return 1.0 - q[:k].sum() / q0[:k].sum()

            rows.append((not alive[-1], lost(0.25), lost(1.0), lost(AFTER),
                         (m0 - m).sum() * dt))
        cols = np.array(rows, dtype=float).T
        res[share] = dict(zip(("failed", "lost_q1", "lost_1y", "lost_2y", "member_years"),
                              cols, strict=True))
    return res


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                    help="a scenario override, value as JSON (repeatable)")
    ap.add_argument("--sustained", action="store_true",
                    help="no end: the members of the organization keep the targeted hazard "
                    "(1 + target_gain * share) after the strike, retargeted every quarter")
    args = ap.parse_args(argv)
    overrides = set_overrides(args.set)
    seeds = list(range(1, args.seeds + 1))
    res = measure(seeds, overrides, args.workers, args.sustained)
    print(f"toy scenario, one organization_takedown (once, degree target) at {START} years, "
          f"{'sustained' if args.sustained else 'one step'}, {args.seeds} seeds, paired with "
          f"share 0; overrides {overrides or 'none'}.\n")
    print("| share arrested | disrupted (failed within 2 y) | shipments lost, 1st quarter | "
          "shipments lost, 1st year | shipments lost, 2 years | member-years lost per "
          "initial member |")
    print("|---|---|---|---|---|---|")
    for share, r in res.items():
        cells = [f"{share:.0%}", f"{r['failed'].mean():.0%}"]
        for key in ("lost_q1", "lost_1y", "lost_2y"):
            m, lo, hi = interval(r[key])
            cells.append(f"{m:.0%} [{lo:.0%}, {hi:.0%}]")
        cells.append(f"{r['member_years'].mean():.2f}")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
