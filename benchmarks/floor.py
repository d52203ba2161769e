"""The floor of a step: its compiled work alone, warm, against the Mesa peer's step
(docs/model.md section 10).

Records every call the step makes from Python into a compiled kernel (every numba
dispatcher in the namespaces of :mod:`fentanet.simulate` and its phases) over a few steps,
with copies of its arguments, then replays each call warm: on fresh copies of its
arguments, many times, taking the median. The sum per step is what an engine that ran
this step's kernels with no Python, no NumPy between them and no argument passing would
still spend (each call's time in the step is taken in a second run of the same steps,
without the copies, which would slow the calls they precede), less the unboxing of the
arguments (measured on a compiled function that does nothing, per array argument). Warm
means the kernel's code and data are in cache, which a real step does not give it, and
any kernel called other than through a module's namespace is missed, so the floor is
optimistic: a ratio above ``Mesa step / floor`` is out of reach of any engine that does
this step's work.

    PYTHONPATH=src python -m benchmarks.floor [--size toy|10^4] [--steps 5] [--mesa]
"""

from __future__ import annotations

import argparse
import copy
import importlib
import pkgutil
import statistics
import time
import warnings

import numba
import numpy as np

REPLAYS = 200
"""Replays of each recorded call (the median is taken)."""


def _dispatchers() -> list[tuple[object, str, object]]:
    """``(module, name, dispatcher)`` for every numba dispatcher in the namespaces of
    ``fentanet.simulate`` and ``fentanet.simulate.phases``."""
    from numba.core.registry import CPUDispatcher

    found = []
    for package in ("fentanet.simulate", "fentanet.simulate.phases"):
        pkg = importlib.import_module(package)
        for info in pkgutil.iter_modules(pkg.__path__):
            mod = importlib.import_module(f"{package}.{info.name}")
            found += [(mod, name, f) for name, f in vars(mod).items()
                      if isinstance(f, CPUDispatcher)]
    return found


def _record(sim, start: int, steps: int, copies: bool = True) -> tuple[list, float]:
    """Run ``sim`` to step ``start``, then ``steps`` steps recording every compiled call
    made from Python: ``([(name, dispatcher, args, kwargs, seconds in the step)], CPU
    seconds of those steps)``; without ``copies`` the calls' arguments are not kept
    (``None``), so the seconds are the call's alone (a deep copy of every argument made
    just before the call evicts the caches it would find and hands it fresh arrays: at
    10^4 actors the distribution's call took 550 us after its copy, 290-370 without)."""
    while sim.step < start:
        sim.run_step()
    calls: list = []
    patched = _dispatchers()

    def wrapper(f, label):
        def call(*args, **kw):
            saved = copy.deepcopy((args, kw)) if copies else (None, None)
            t0 = time.perf_counter()
            out = f(*args, **kw)
            calls.append((label, f, *saved, time.perf_counter() - t0))
            return out
        return call

    for mod, name, f in patched:
        setattr(mod, name, wrapper(f, f"{mod.__name__.rsplit('.', 1)[-1]}.{name}"))
    try:
        c0 = time.process_time()
        for _ in range(steps):
            sim.run_step()
        cpu = time.process_time() - c0
    finally:
        for mod, name, f in patched:
            setattr(mod, name, f)
    return calls, cpu


def _warm(f, args, kw) -> float:
    """Median seconds of ``f`` on fresh copies of its arguments."""
    times = []
    for _ in range(REPLAYS):
        a, k = copy.deepcopy((args, kw))
        t0 = time.perf_counter()
        f(*a, **k)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _unboxing() -> float:
    """Seconds per array argument of a call to a compiled function doing nothing."""
    @numba.njit
    def nothing(*args):
        return 0

    arrays = tuple(np.zeros(3) for _ in range(40))
    nothing(*arrays)
    times = []
    for _ in range(2000):
        t0 = time.perf_counter()
        nothing(*arrays)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) / len(arrays)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", choices=("toy", "10^4"), default="toy")
    ap.add_argument("--steps", type=int, default=5, help="steps recorded")
    ap.add_argument("--start", type=int, default=100, help="step the recording starts at")
    ap.add_argument("--mesa", action="store_true", help="time the Mesa peer's step too")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    from benchmarks.bench_simulate import _mesa_step_time, warm_up
    from fentanet.simulate.loop import Sim
    from fentanet.simulate.run import build_network, prepare

    sc = prepare("toy", years=max(10.0, (args.start + args.steps + 1) / 52))
    if args.size == "10^4":
        sc = sc.override({"network.generate.actors": 10_000})
    net = build_network(sc)
    warm_up()
    Sim(sc, net, 1).run_step()
    plain = Sim(sc, net, 1)
    while plain.step < args.start:
        plain.run_step()
    c0 = time.process_time()
    for _ in range(args.steps):
        plain.run_step()
    step = (time.process_time() - c0) / args.steps
    calls, _ = _record(Sim(sc, net, 1), args.start, args.steps)
    # the seconds in the step from a run of the same steps without the copies
    timed, _ = _record(Sim(sc, net, 1), args.start, args.steps, copies=False)
    if [c[0] for c in timed] == [c[0] for c in calls]:
        calls = [(*c[:4], t[4]) for c, t in zip(calls, timed, strict=True)]
    per_arg = _unboxing()
    rows: dict[str, list[float]] = {}
    n_arrays = 0
    for label, f, a, kw, seconds in calls:
        row = rows.setdefault(label, [0, 0.0, 0.0])
        row[0] += 1
        row[1] += seconds
        row[2] += _warm(f, a, kw)
        n_arrays += sum(isinstance(x, np.ndarray) for x in (*a, *kw.values()))
    n = args.steps
    in_step = sum(r[1] for r in rows.values()) / n
    warm = sum(r[2] for r in rows.values()) / n
    unboxing = n_arrays * per_arg / n
    print(f"{args.size}, steps {args.start}-{args.start + n - 1}: step {1e6 * step:.0f} us CPU; "
          f"{len(calls) / n:.0f} compiled calls from Python per step: {1e6 * in_step:.0f} us "
          f"in the step, {1e6 * warm:.0f} us warm, of which unboxing about "
          f"{1e6 * unboxing:.0f} us ({n_arrays / n:.0f} arrays at {1e9 * per_arg:.0f} ns): "
          f"compiled work {1e6 * (warm - unboxing):.0f} us")
    for label, (k, s, w) in sorted(rows.items(), key=lambda kv: -kv[1][2])[:12]:
        print(f"  {label:36s} {k / n:4.1f} calls  in step {1e6 * s / n:7.2f} us  "
              f"warm {1e6 * w / n:7.2f} us")
    if args.mesa:
        _, mesa = _mesa_step_time(sc, net, 20 if args.size == "toy" else 3)
        print(f"Mesa's step {1e3 * mesa:.2f} ms CPU: ratio now {mesa / step:.1f}x; ceiling "
              f"with no overhead at all {mesa / (warm - unboxing):.0f}x (100x needs the step "
              f"at {1e6 * mesa / 100:.0f} us)")


if __name__ == "__main__":
    main()
