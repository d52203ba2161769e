"""Ensembles on Dask and the run store.

1. Throughput: an ensemble of the built-in ``toy`` scenario on a network of 4,000 actors
   over 15 years in weekly steps (the real engine, about a second per run here: the goal is
   for runs of a second or more) on a local Dask cluster of 2 worker processes against 1
   worker (the peer). Goal: at least 1.8x on 2 workers. Each cluster is warmed first
   (numba's cached code loaded, the toy network generated), as a long ensemble amortises
   that.
2. Scheduling overhead per run: an ensemble of no-op runs (a model that returns a tiny
   result at once) on 2 workers, all costs included (Dask round trip, manifest and series
   files, catalog registration), against the same no-op runs made in process (peer).
3. The store at 10^4 runs of synthetic results shaped like the toy's (104 steps x 73
   series, 90 summary metrics): writing the files (8 threads, as workers write in
   parallel; every file flushed to disk), registering them in the catalog (batches of
   256), rebuilding the catalog from the manifests, and queries.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.common import Result

# ------------------------------------------------------------------ a no-op model


@dataclass(frozen=True)
class NoopScenario:
    """The least a scenario offers an ensemble: a name, a seed, a digest, overrides."""

    name: str = "noop"
    seed: int = 1
    params: dict = field(default_factory=dict)

    def digest(self) -> str:
        return hashlib.sha256(repr(sorted(self.params.items())).encode()).hexdigest()

    def override(self, values: dict) -> NoopScenario:
        return NoopScenario(self.name, self.seed, {**self.params, **values})


@dataclass
class NoopResult:
    series: pd.DataFrame
    summary: dict
    scenario: NoopScenario


def noop(scenario, seed=1, *, years=None, dt=None, variant=None, interventions=None,
         progress=False):
    """A run that does nothing: 3 steps, one metric."""
    series = pd.DataFrame({"step": [0, 1, 2], "time": [0.0, 1 / 52, 2 / 52],
                           "deaths": [float(seed)] * 3})
    return NoopResult(series, {"deaths_total": 3.0 * seed}, scenario)


# ------------------------------------------------------------------ throughput


def _timed_ensemble(scenario, runs: int, client, store, **kw) -> float:
    return _timed(scenario, runs, client, store, **kw)[0]


def _timed(scenario, runs: int, client, store, **kw):
    from fentanet.ensemble import ensemble

    t0 = time.perf_counter()
    ens = ensemble(scenario, runs, scheduler=client, store=store, progress=False, **kw)
    elapsed = time.perf_counter() - t0
    if not ens.failed.empty:
        raise RuntimeError(f"benchmark runs failed: {ens.failed.error.iloc[0]}")
    return elapsed, ens


@contextmanager
def _cluster(workers: int, tiny: bool):
    """A local Dask cluster of ``workers`` single-threaded worker processes (``connect``'s);
    with ``tiny`` its workers are threads of this process, which start in a fraction of the
    time (``--tiny`` checks that the benchmark runs, not how fast)."""
    from fentanet.ensemble import connect

    if not tiny:
        with connect(None, workers=workers) as client:
            yield client
        return
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


def throughput(quick: bool, tmp: Path, tiny: bool = False) -> list[Result]:
    import fentanet

    actors, years = (300, 0.25) if tiny else (4000, 15.0)
    toy = fentanet.scenarios.load("toy").override({"network.generate.actors": actors,
                                                   "years": years})
    n = 2 if tiny else 8 if quick else 16
    fentanet.simulate(toy, seed=999)  # warm this process (numba cache, network)
    t0 = time.perf_counter()
    fentanet.simulate(toy, seed=998)
    one_run = time.perf_counter() - t0
    times, busy = {}, {}
    for workers in (1, 2):
        with _cluster(workers, tiny) as client:
            if not tiny:
                _timed_ensemble(toy, 2 * workers, client, tmp / f"warm{workers}", seed=500)
            times[workers], ens = _timed(toy, n, client, tmp / f"t{workers}")
            # the share of the workers' time spent in runs: what scheduling leaves idle,
            # whatever else loads the machine
            busy[workers] = ens.runs().elapsed_s.sum() / (workers * times[workers])
    return [Result(
        name=f"toy ensemble ({actors:,} actors, {years:g} years), {n} runs on 2 workers",
        ours_s=times[2], peer="1 worker",
        peer_s=times[1], goal=">= 1.8x on 2 workers", min_ratio=1.8,
        note=f"{n / times[2]:.2f} runs/s on 2 workers, {n / times[1]:.2f} on 1; one toy run "
             f"in process {one_run:.2f} s; workers busy in runs {100 * busy[2]:.0f}% of the "
             f"time on 2, {100 * busy[1]:.0f}% on 1; load average {os.getloadavg()[0]:.1f} "
             f"on {os.cpu_count()} cores",
        extra={"runs": n, "one_run_s": one_run, "busy": busy})]


def overhead(quick: bool, tmp: Path, tiny: bool = False) -> list[Result]:
    m = 10 if tiny else 200 if quick else 1000
    with _cluster(2, tiny) as client:
        _timed_ensemble(NoopScenario(), 20, client, tmp / "warm-noop", model=noop)
        dask_s = _timed_ensemble(NoopScenario(), m, client, tmp / "noop", model=noop)
    # the peer warmed as the cluster was (a first ensemble in the process pays imports
    # and a new catalog's set-up)
    _timed_ensemble(NoopScenario(), 20, "serial", tmp / "warm-noop-serial", model=noop)
    serial_s = _timed_ensemble(NoopScenario(), m, "serial", tmp / "noop-serial", model=noop)
    return [Result(
        name=f"per-run overhead, {m} no-op runs on 2 workers", ours_s=dask_s / m,
        peer="in process (files + catalog only)", peer_s=serial_s / m,
        note="includes the run's manifest and series files and its catalog row",
        extra={"runs": m})]


# ------------------------------------------------------------------ the store at 10^4


def synthetic_runs(n: int, seed: int = 0):
    from fentanet.store import RunRecord, new_id

    rng = np.random.default_rng(seed)
    steps = 104
    base = {f"m{i}": rng.random(steps) for i in range(70)}
    series = pd.DataFrame({"step": np.arange(steps), "time": np.arange(steps) / 52, **base})
    for i in range(n):
        rec = RunRecord(run_id=new_id(), scenario="toy", seed=i // 4, variant=f"v{i % 4}",
                        ensemble_id="bench", params={"params.market.elasticity": 0.5},
                        summary={f"m{j}_total": float(rng.random()) for j in range(90)})
        yield rec, series


def store_bench(quick: bool, tmp: Path, tiny: bool = False) -> list[Result]:
    from fentanet.store import RunStore, write_run

    n = 20 if tiny else 1000 if quick else 10_000
    store = RunStore(tmp / "store")
    runs = list(synthetic_runs(n))
    t0 = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        records = list(pool.map(lambda rs: write_run(store.root, *rs), runs))
    write_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(0, n, 256):
        store.register(records[i:i + 256])
    register_s = time.perf_counter() - t0
    out = [Result(name=f"store: write files of {n} runs (8 threads)", ours_s=write_s,
                  note=f"{1e3 * write_s / n:.2f} ms per run"),
           Result(name=f"store: register {n} runs in the catalog (batches of 256)",
                  ours_s=register_s, note=f"{1e3 * register_s / n:.3f} ms per run")]
    ids = [r.run_id for r in records]
    queries = {
        "list all runs": lambda: store.runs(),
        "runs of one variant": lambda: store.runs(variant="v2"),
        "summary, wide (runs x 90 metrics)": lambda: store.summary(),
        "series of 100 runs": lambda: store.series(ids[:100]),
        "SQL: mean of a metric per variant": lambda: store.query(
            "SELECT r.variant, avg(s.value) FROM summaries s JOIN runs r USING (run_id) "
            "WHERE s.metric = 'm1_total' GROUP BY r.variant"),
    }
    for label, fn in queries.items():
        fn()
        t0 = time.perf_counter()
        fn()
        out.append(Result(name=f"store query at {n} runs: {label}",
                          ours_s=time.perf_counter() - t0))
    t0 = time.perf_counter()
    report = store.rebuild()
    out.append(Result(name=f"store: rebuild the catalog from {n} manifests",
                      ours_s=time.perf_counter() - t0, note=f"{report.runs} runs"))
    return out


def run(quick: bool, tiny: bool = False) -> list[Result]:
    tmp = Path(tempfile.mkdtemp(prefix="fentanet-bench-ensemble-"))
    try:
        return [*throughput(quick, tmp, tiny), *overhead(quick, tmp, tiny),
                *store_bench(quick, tmp, tiny)]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
