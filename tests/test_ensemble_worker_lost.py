"""A worker of the cluster killed in the middle of an ensemble (out of memory, a node
lost): the cluster restarts it and makes its runs again elsewhere, and the ensemble ends
with every run made (until the twenty-first session the scenario lived on one worker, and
when that worker died every run still to be made failed with 'lost dependencies')."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from ensemble_standin import StandInScenario, simulate
from fentanet.ensemble import ensemble
from fentanet.store import RunStore

pytestmark = pytest.mark.slow


def test_a_killed_worker_loses_no_run(tmp_path):
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=":0")
    client = Client(cluster)
    store = tmp_path / "s"
    killed: list[int] = []

    def kill_one() -> None:
        end = time.monotonic() + 120
        while time.monotonic() < end:  # a few runs made, most to come
            if len(list((store / "manifests").glob("*.json"))) >= 3:
                break
            time.sleep(0.02)
        holding = [w for w, keys in client.has_what().items() if keys]
        pids = client.run(os.getpid)
        victim = (holding or sorted(pids))[0]  # the worker holding data, if any
        os.kill(pids[victim], signal.SIGKILL)
        killed.append(pids[victim])

    try:
        killer = threading.Thread(target=kill_one)
        killer.start()
        ens = ensemble(StandInScenario(), runs=12, variants={"n": [{"kind": "x",
                                                                    "intensity": 0.5}]},
                       overrides={"params.sleep": 0.25}, model=simulate, scheduler=client,
                       store=store, progress=False, write_on_workers=True)
        killer.join()
    finally:
        client.close()
        cluster.close()
    assert killed
    runs = ens.runs()
    assert len(runs) == 24 and ens.failed.empty, ens.failed.error.str[:120].tolist()
    assert sorted(runs.seed.tolist()) == sorted(list(range(1, 13)) * 2)
    assert RunStore(store).check().ok


def test_a_killed_worker_holding_a_large_scenario_loses_no_run(tmp_path):
    """A scenario over 1 MB goes to the cluster once (runner.SCATTER_BYTES): scattered, it
    lived on one worker, and when that worker was killed every run still to be made failed,
    'lost dependencies'; now it is a task's result, which the cluster makes again."""
    from dask.distributed import Client, LocalCluster

    from fentanet.ensemble import runner

    # (sleep in its own parameters: an override makes a scenario of its own, unpadded)
    big = StandInScenario(params={**StandInScenario().params, "sleep": 0.25},
                          padding=b"x" * (2 * runner.SCATTER_BYTES))
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=":0")
    client = Client(cluster)
    store = tmp_path / "s"
    killed: list[str] = []

    def kill_holder() -> None:
        end = time.monotonic() + 120
        while time.monotonic() < end:  # a few runs made, most to come
            if len(list((store / "manifests").glob("*.json"))) >= 3:
                break
            time.sleep(0.02)
        holding = [w for w, keys in client.has_what().items()
                   if any(not str(k).startswith("fentanet-run-") for k in keys)]
        pids = client.run(os.getpid)
        if holding:
            os.kill(pids[holding[0]], signal.SIGKILL)
            killed.append(holding[0])

    try:
        killer = threading.Thread(target=kill_holder)
        killer.start()
        ens = ensemble(big, runs=12, variants={"n": [{"kind": "x", "intensity": 0.5}]},
                       model=simulate, scheduler=client,
                       store=store, progress=False, write_on_workers=True)
        killer.join()
    finally:
        client.close()
        cluster.close()
    assert killed  # the worker holding the scenario
    runs = ens.runs()
    assert len(runs) == 24 and ens.failed.empty, ens.failed.error.str[:120].tolist()
    assert sorted(runs.seed.tolist()) == sorted(list(range(1, 13)) * 2)
    assert RunStore(store).check().ok
