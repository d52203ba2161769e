"""CPU time of one run of a scenario (us-baseline unless told), per phase of the step
(docs/model.md section 10).

Builds the network once, runs the benchmark's warm-up and a tenth of a year of the
scenario first so numba's cached kernels are loaded before anything is timed, then times
``reps`` runs: the spin-up (``Sim(...)``, which builds the state and runs the warm-up
steps) and the steps, with each phase's CPU time per step (``time.process_time`` around
each phase; ``Sim.timings``, which results report, is wall time, which counts the time
other processes held the core). ``--parts`` also times the adaptation phase's parts. To
compare two engines, run this from each checkout in turn, alternately, in the same
minutes: the machine's load moves single runs by several percent. The toy's step, mostly
fixed cost, is best timed over a long run: ``--scenario toy --years 40``.

    PYTHONPATH=src python -m benchmarks.phases [--scenario us-baseline] [--reps 2]
        [--years 10] [--seed 1] [--parts]
"""

from __future__ import annotations

import argparse
import time
import warnings

ADAPTATION_PARTS = ("_suspension", "_succession_and_failure", "_replacement",
                    "_newcomers", "_recruit", "_entry", "_exit", "_reroute",
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


def _timed_phases(loop) -> dict[str, float]:
    """Wrap each phase of ``loop.PHASES`` to add its CPU seconds to the dict returned (the
    loop reads ``PHASES`` at each step; the wrappers stay for the process's life)."""
    spent = dict.fromkeys((name for name, _ in loop.PHASES), 0.0)

    def timed(f, name):
        def run(sim):
            c0 = time.process_time()
            f(sim)
            spent[name] += time.process_time() - c0
        return run
    loop.PHASES = tuple((name, timed(f, name)) for name, f in loop.PHASES)
    return spent


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default="us-baseline")
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--years", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--parts", action="store_true", help="time adaptation's parts too")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    from benchmarks.bench_simulate import warm_up
    from fentanet.simulate import loop
    from fentanet.simulate.loop import Sim
    from fentanet.simulate.phases import adaptation
    from fentanet.simulate.run import build_network, prepare

    sc = prepare(args.scenario, years=args.years)
    net = build_network(sc)
    warm_up()  # every kernel loaded (the toy with every intervention), then the scenario's
    Sim(prepare(args.scenario, years=0.1), net, args.seed).run()
    spent = _timed_phases(loop)
    parts = _timed_parts(adaptation, ADAPTATION_PARTS) if args.parts else {}
    for _ in range(args.reps):
        c0 = time.process_time()
        sim = Sim(sc, net, args.seed)
        c1 = time.process_time()
        for d in (parts, spent):  # the steps' only (the spin-up runs phases too)
            for k in d:
                d[k] = 0.0
        sim.run()
        c2 = time.process_time()
        n = sim.n_steps
        print(f"total {c2 - c0:.2f} s CPU (spin-up {c1 - c0:.2f}, {n} steps {c2 - c1:.2f}); "
              "ms/step: " + " ".join(f"{k} {1e3 * v / n:.3f}" for k, v in spent.items()))
        if parts:
            print("  adaptation's parts, ms/step: " + " ".join(
                f"{k.strip('_')} {1e3 * v / n:.3f}" for k, v in parts.items()))


if __name__ == "__main__":
    main()
