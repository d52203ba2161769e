"""The ratchet of a one-time disruption on the toy scenario, with exit on and off.

Half the top-degree organization arrested once at 0.25 years (``organization_takedown``,
``once``, intensity 0.5, degree target); the supply reaching markets in year 3 against the
same seed's baseline (common random numbers), with ``params.adaptation.exit`` off and on.
Two cases, both recorded in docs/model.md section 9 ("No ratchet"):

- ``default``: the toy as shipped (its labs can make 1.5 times the demand, so supply meets
  demand and the disruption's entrants add little);
- ``binding``: the case of ``tests/test_exit.py``, where production binds supply (the
  labs at 0.6 of their capacity) and ``suspension_on_leadership`` is off.

Prints per case the mean change and the change per seed.

    PYTHONPATH=src python -m benchmarks.ratchet [--seeds 6] [--set PATH=VALUE ...]
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.common import overrides as set_overrides

TAKEDOWN = [{"kind": "organization_takedown", "start": 0.25, "intensity": 0.5, "once": True,
             "target": {"rule": "degree", "count": 1}}]


def year3(case: str, seeds: list[int], overrides: dict) -> dict[bool, dict[str, np.ndarray]]:
    """Per exit switch (False, True), per seed: ``change``, the year-3 supply of the
    takedown's run against the same seed's baseline, minus 1; ``base_price``, the
    baseline's mean price index in year 3 (above 1 where the baseline itself is short)."""
    import fentanet
    from fentanet.scenarios import load
    from fentanet.simulate.run import build_network

    base = {"years": 3.0, **overrides}
    if case == "binding":
        base["params.adaptation.suspension_on_leadership"] = False
    sc = load("toy").override(base)
    net = build_network(sc)
    if case == "binding":
        lab = net.actors["kind"] == "lab"
        net.actors.loc[lab, "capacity"] = 0.6 * net.actors.loc[lab, "capacity"]
    out = {}
    for exit_on in (False, True):
        run = sc.override({"params.adaptation.exit": exit_on})
        change, price = [], []
        for seed in seeds:
            b = fentanet.simulate(run, seed=seed, network=net).series
            v = fentanet.simulate(run, seed=seed, network=net, interventions=TAKEDOWN).series
            y3 = b["time"] >= 2
            change.append(v["supply_kg"][y3].sum() / b["supply_kg"][y3].sum() - 1)
            price.append(b["price_index"][y3].mean())
        out[exit_on] = {"change": np.array(change), "base_price": np.array(price)}
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                    help="a scenario override, value as JSON (repeatable)")
    args = ap.parse_args(argv)
    overrides = set_overrides(args.set)
    seeds = list(range(1, args.seeds + 1))
    print(f"toy scenario, half the top-degree organization arrested once at 0.25 years; "
          f"year-3 supply against the baseline, seeds {seeds[0]}-{seeds[-1]}; overrides "
          f"{overrides or 'none'}")
    for case in ("default", "binding"):
        for exit_on, got in year3(case, seeds, overrides).items():
            ch = got["change"]
            per_seed = ", ".join(f"{x:+.1%}" for x in ch)
            print(f"  {case:8s} exit {'on ' if exit_on else 'off'}: {ch.mean():+.1%} "
                  f"(sd {ch.std(ddof=1):.1%}; per seed {per_seed})")


if __name__ == "__main__":
    main()
