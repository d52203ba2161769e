"""The simulation: a ten-year weekly run of us-baseline, time per phase; the toy step
against the same step written with Mesa 3; actor-updates per second against memory
bandwidth.

- ``us-baseline``: ``fentanet.simulate("us-baseline")`` (10^5 actors, 520 weekly steps
  after a 52-step spin-up) on one core; the network is generated once beforehand (its
  time is reported apart). Goal: a few seconds (5 s; ``--quick`` runs one year, against
  5 s scaled by the weeks simulated, spin-up included: 5 x 2/11 s).
- Mesa: :mod:`benchmarks.mesa_toy` is fentanet's whole step (the eleven phases, with the
  same rules and the scenario's parameters; validated against fentanet in distribution,
  ``python -m benchmarks.mesa_toy``) written as a Mesa 3 model, one agent per actor, on
  the same generated network (the toy scenario's, at 300, 10^4 and, without ``--quick``,
  10^5 actors; at 10^5 both spin up for 0.1 year instead of the toy's year, which changes
  the state the steps start from, not their work). "one step" compares our whole step
  with Mesa's whole step. Goal: at least 100x. "supply phases" keeps the comparison this
  benchmark made before the Mesa model covered the whole step: our interventions,
  procurement, production, shipping, distribution, enforcement and adaptation phases
  (their wall time from ``Sim.timings``) against the Mesa model run with only those
  phases (``phases=SUPPLY_PHASES``). Until 2026-11-28 the peer was a smaller Mesa model
  with simplified supply rules (one offer pass, no cash, no displacement, no money,
  market or population).
- Bandwidth: a NumPy copy of a 256 MiB array (bytes read + written per second), against
  the actor-updates per second of the us-baseline run.

Compilation is not timed: numba compiles a kernel on its first call after its source
changed (seconds each; cached on disk after that), so :func:`warm_up` first runs the toy for
two years with every intervention on at intensity 1 (every phase's kernels, targeting,
migration of listings and replacement included) and each timed model is stepped before its
clock starts. A first benchmark after a change to ``adaptation.py`` measured 16.8 s instead
of 7.7 s for the ten-year run without it, all of it in the phase that compiled.

Every time is also taken as CPU time of the process (``time.process_time``): on a shared
machine the wall time of a one-core run counts the time other processes held the core, the
CPU time does not, so the CPU ratios are the ones to compare between loaded runs.
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.common import Result, timeit
from fentanet.simulate.loop import Sim
from fentanet.simulate.run import build_network, prepare


def bandwidth(mib: int = 256) -> float:
    """Bytes moved per second by a large NumPy copy (read + write)."""
    a = np.ones(mib * 1024 * 1024 // 8)
    b = np.empty_like(a)
    t = timeit(lambda: np.copyto(b, a), repeat=5, warmup=1)
    return 2 * a.nbytes / t


def warm_up() -> None:
    """Compile (or load from numba's cache) every kernel the timed runs may call."""
    import fentanet
    from fentanet.simulate.params import INTERVENTION_KINDS

    ivs = [{"kind": k, "start": 0.1, "intensity": 1.0} for k in INTERVENTION_KINDS]
    fentanet.simulate("toy", seed=1, years=2.0, interventions=ivs)


def _sim_step_time(sc, net, steps: int) -> tuple[float, float, dict]:
    """Wall and CPU seconds per step, and wall seconds per step by phase."""
    sim = Sim(sc, net, 1)
    for _ in range(3):
        sim.run_step()
    for k in sim.timings:
        sim.timings[k] = 0.0
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        sim.run_step()
    return ((time.perf_counter() - t0) / steps, (time.process_time() - c0) / steps,
            {k: v / steps for k, v in sim.timings.items()})


SUPPLY = ("interventions", "procurement", "production", "shipping", "distribution",
          "enforcement", "adaptation")
"""Our phases that the Mesa model's ``SUPPLY_PHASES`` cover."""


def _mesa_step_time(sc, net, steps: int, phases=None) -> tuple[float, float]:
    """Wall and CPU seconds per step of the Mesa model (all phases, or ``phases``)."""
    from benchmarks.mesa_toy import PHASES, TradeModel

    model = TradeModel(sc, net, seed=1, phases=phases or PHASES)
    model.step()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        model.step()
    return (time.perf_counter() - t0) / steps, (time.process_time() - c0) / steps


def run(quick: bool, tiny: bool = False) -> list[Result]:
    results = []
    if not tiny:  # --tiny checks that the benchmark runs: its times mean nothing
        warm_up()
    years = 0.25 if tiny else 1.0 if quick else 10.0
    scenario = "toy" if tiny else "us-baseline"
    sc = prepare(scenario, years=years)
    t0 = time.perf_counter()
    net = build_network(sc)
    gen_s = time.perf_counter() - t0
    # its spin-up once untimed: it calls kernels the toy's two years may not (an
    # organization failing: adaptation._members_of, compiled in the timed spin-up of a
    # clean checkout, whose CPU time it doubled)
    Sim(sc, net, 1)
    t0, c0 = time.perf_counter(), time.process_time()
    sim = Sim(sc, net, 1)
    init_s, init_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    sim.run()
    run_s, run_cpu = time.perf_counter() - t0, time.process_time() - c0
    per_phase = {k: round(1000 * v / sim.n_steps, 2) for k, v in sim.timings.items()}
    updates = net.n_actors * sim.n_steps / run_s
    bw = bandwidth(8 if tiny else 256)
    # the goal, a few seconds (5 s) for ten years after a year's spin-up, scaled by the
    # weeks simulated (spin-up included: it is as many steps whatever the horizon)
    goal = 5.0 * (years + sc.warmup_years) / (10.0 + sc.warmup_years)
    results.append(Result(
        name=f"{scenario} {years:g} years weekly ({net.n_actors:.0e} actors)",
        ours_s=run_s + init_s,
        note=(f"steps {run_s:.1f} s + spin-up {init_s:.1f} s (CPU {run_cpu:.1f} s + "
              f"{init_cpu:.1f} s); network {gen_s:.1f} s; "
              f"ms/step by phase {per_phase}; goal a few seconds (<= {goal:g} s): "
              f"{'met' if run_s + init_s <= goal else 'NOT met'}"),
        extra={"per_phase_ms": per_phase, "steps": sim.n_steps, "init_s": init_s,
               "network_s": gen_s, "run_cpu_s": run_cpu, "init_cpu_s": init_cpu}))
    results.append(Result(
        name="actor-updates per second vs memory bandwidth", ours_s=run_s,
        note=(f"{updates / 1e6:.2f} M actor-updates/s; bandwidth {bw / 1e9:.1f} GB/s = "
              f"{bw / updates:.0f} bytes moved per actor-update at that rate"),
        extra={"actor_updates_per_s": updates, "bandwidth_bytes_per_s": bw}))
    toy = prepare("toy")
    sizes = [("toy (300 actors)", toy, 2 if tiny else 52)]
    if not tiny:
        sizes.append(("10^4 actors", toy.override({"network.generate.actors": 10_000}), 10))
    if not quick:  # at scale: the toy model on a network as large as us-baseline's
        sizes.append(("10^5 actors", toy.override({"network.generate.actors": 100_000,
                                                   "warmup_years": 0.1}), 5))
    from benchmarks.mesa_toy import SUPPLY_PHASES

    for label, spec, steps in sizes:
        tnet = build_network(spec)
        ours, ours_cpu, phases = _sim_step_time(spec, tnet, steps)
        peer, peer_cpu = _mesa_step_time(spec, tnet, steps)
        results.append(Result(
            name=f"one step, {label}", ours_s=ours,
            peer="Mesa 3, whole step (benchmarks/mesa_toy)", peer_s=peer, goal=">= 100x",
            min_ratio=100.0,
            note=f"CPU {1000 * ours_cpu:.2f} vs {1000 * peer_cpu:.2f} ms/step: ratio "
                 f"{peer_cpu / ours_cpu:.1f}x",
            extra={"per_phase_ms": {k: round(1000 * v, 3) for k, v in phases.items()},
                   "ours_cpu_s": ours_cpu, "peer_cpu_s": peer_cpu}))
        supply = sum(phases[k] for k in SUPPLY)
        peer_s, peer_s_cpu = _mesa_step_time(spec, tnet, steps, SUPPLY_PHASES)
        share = supply / sum(phases.values())  # of our step's wall time
        results.append(Result(
            name=f"supply phases, {label}", ours_s=supply,
            peer="Mesa 3, supply phases only", peer_s=peer_s, goal=">= 100x",
            min_ratio=100.0,
            note=f"our {', '.join(SUPPLY)} ({1000 * supply:.2f} ms/step wall, "
                 f"{100 * share:.0f}% of our step); Mesa CPU {1000 * peer_s_cpu:.2f} ms/step; "
                 f"CPU ratio against that share of our step's CPU time "
                 f"{peer_s_cpu / (share * ours_cpu):.1f}x",
            extra={"ours_cpu_share_s": share * ours_cpu, "peer_cpu_s": peer_s_cpu}))
    return results
