"""CPU time of one us-baseline run, per phase of the step (docs/model.md section 10).

Builds the network once, runs a tenth of a year first so numba's cached kernels are
loaded before anything is timed, then times ``reps`` runs: the spin-up (``Sim(...)``,
which builds the state and runs the warm-up steps) and the steps, with each phase's CPU
milliseconds per step from ``Sim.timings``. ``--parts`` also times the adaptation phase's
parts. To compare two engines, run this from each checkout in turn, alternately, in the
same minutes: the machine's load moves single runs by several percent.

    PYTHONPATH=src python -m benchmarks.phases [--reps 2] [--years 10] [--seed 1] [--parts]
"""

from __future__ import annotations

import argparse
import time
import warnings

ADAPTATION_PARTS = ("_suspension", "_succession_and_failure", "_replacement",
                    "_seller_replacement", "_recruit", "_entry", "_exit", "_reroute",
                    "_migration")


def _timed_parts(module, names: tuple[str, ...]) -> dict[str, float]:
    """Wrap ``module``'s functions ``names`` to add their CPU seconds to the dict returned
    (the wrappers stay for the process's life)."""
    spent = dict.fromkeys(names, 0.0)
    for name in names:
        f = getattr(module, name)

        def timed(*args, _f=f, _name=name, **kw):
            c0 = time.process_time()
            try:
                return _f(*args, **kw)
            finally:
                spent[_name] += time.process_time() - c0
        setattr(module, name, timed)
    return spent


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--years", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--parts", action="store_true", help="time adaptation's parts too")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    from fentanet.simulate.loop import Sim
    from fentanet.simulate.phases import adaptation
    from fentanet.simulate.run import build_network, prepare

    sc = prepare("us-baseline", years=args.years)
    net = build_network(sc)
    Sim(prepare("us-baseline", years=0.1), net, args.seed).run()  # kernels loaded
    parts = _timed_parts(adaptation, ADAPTATION_PARTS) if args.parts else {}
    for _ in range(args.reps):
        c0 = time.process_time()
        sim = Sim(sc, net, args.seed)
        c1 = time.process_time()
        for k in parts:  # the steps' only (the spin-up re-routes for room)
            parts[k] = 0.0
        sim.run()
        c2 = time.process_time()
        n = sim.n_steps
        print(f"total {c2 - c0:.2f} s CPU (spin-up {c1 - c0:.2f}, {n} steps {c2 - c1:.2f}); "
              "ms/step: " + " ".join(f"{k} {1e3 * v / n:.2f}" for k, v in sim.timings.items()))
        if parts:
            print("  adaptation's parts, ms/step: " + " ".join(
                f"{k.strip('_')} {1e3 * v / n:.3f}" for k, v in parts.items()))


if __name__ == "__main__":
    main()
