"""The simulation: a ten-year weekly run of us-baseline, time per phase; the toy step
against the same step written with Mesa 3; actor-updates per second against memory
bandwidth.

- ``us-baseline``: ``fentanet.simulate("us-baseline")`` (10^5 actors, 520 weekly steps
  after a 52-step spin-up) on one core; the network is generated once beforehand (its
  time is reported apart). Goal: a few seconds. ``--quick`` runs one year.
- Mesa: :mod:`benchmarks.mesa_toy` implements the supply step (procurement, production,
  shipping with seizures, distribution, retail, detection and replacement) with one
  Python object per actor, on the same generated network. Ours is the whole step (the
  eleven phases, population and money included). Goal: at least 100x.
- Bandwidth: a NumPy copy of a 256 MiB array (bytes read + written per second), against
  the actor-updates per second of the us-baseline run.
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.common import Result, timeit
from fentanet.simulate.loop import Sim
from fentanet.simulate.run import build_network, prepare


def bandwidth() -> float:
    """Bytes moved per second by a large NumPy copy (read + write)."""
    a = np.ones(32 * 1024 * 1024)  # 256 MiB
    b = np.empty_like(a)
    t = timeit(lambda: np.copyto(b, a), repeat=5, warmup=1)
    return 2 * a.nbytes / t


def _sim_step_time(sc, net, steps: int) -> tuple[float, dict]:
    sim = Sim(sc, net, 1)
    for _ in range(3):
        sim.run_step()
    for k in sim.timings:
        sim.timings[k] = 0.0
    t0 = time.perf_counter()
    for _ in range(steps):
        sim.run_step()
    return (time.perf_counter() - t0) / steps, {k: v / steps for k, v in sim.timings.items()}


def _mesa_step_time(net, steps: int) -> float:
    from benchmarks.mesa_toy import SupplyModel

    model = SupplyModel(net, seed=1)
    model.step()
    t0 = time.perf_counter()
    for _ in range(steps):
        model.step()
    return (time.perf_counter() - t0) / steps


def run(quick: bool) -> list[Result]:
    results = []
    years = 1.0 if quick else 10.0
    sc = prepare("us-baseline", years=years)
    t0 = time.perf_counter()
    net = build_network(sc)
    gen_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    sim = Sim(sc, net, 1)
    init_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    sim.run()
    run_s = time.perf_counter() - t0
    per_phase = {k: round(1000 * v / sim.n_steps, 2) for k, v in sim.timings.items()}
    updates = net.n_actors * sim.n_steps / run_s
    bw = bandwidth()
    goal = 5.0 * years / 10.0
    results.append(Result(
        name=f"us-baseline {years:g} years weekly ({net.n_actors:.0e} actors)",
        ours_s=run_s + init_s,
        note=(f"steps {run_s:.1f} s + spin-up {init_s:.1f} s; network {gen_s:.1f} s; "
              f"ms/step by phase {per_phase}; goal a few seconds (<= {goal:g} s): "
              f"{'met' if run_s + init_s <= goal else 'NOT met'}"),
        extra={"per_phase_ms": per_phase, "steps": sim.n_steps, "init_s": init_s,
               "network_s": gen_s}))
    results.append(Result(
        name="actor-updates per second vs memory bandwidth", ours_s=run_s,
        note=(f"{updates / 1e6:.2f} M actor-updates/s; bandwidth {bw / 1e9:.1f} GB/s = "
              f"{bw / updates:.0f} bytes moved per actor-update at that rate"),
        extra={"actor_updates_per_s": updates, "bandwidth_bytes_per_s": bw}))
    toy = prepare("toy")
    for label, spec in (("toy (300 actors)", toy),
                        ("10^4 actors", toy.override({"network.generate.actors": 10_000}))):
        tnet = build_network(spec)
        steps = 52 if "toy" in label else 10
        ours, phases = _sim_step_time(spec, tnet, steps)
        peer = _mesa_step_time(tnet, steps)
        supply = sum(v for k, v in phases.items() if k not in ("population", "money",
                                                               "record", "market"))
        results.append(Result(
            name=f"one step, {label}", ours_s=ours, peer="Mesa 3 (benchmarks/mesa_toy)",
            peer_s=peer, goal=">= 100x", min_ratio=100.0,
            note=f"our supply phases alone {1000 * supply:.2f} ms/step "
                 f"(ratio {peer / supply:.1f}x)",
            extra={"per_phase_ms": {k: round(1000 * v, 3) for k, v in phases.items()}}))
    return results
