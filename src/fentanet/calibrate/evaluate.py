"""Running a model at parameter points, every point on the same seeds.

The full model (:class:`~fentanet.calibrate.models.ScenarioModel`) runs each batch of new
points as one ensemble (``fentanet.ensemble``: Dask tasks, every run kept in the run
store, one Dask connection for all the batches of a fit); any other model (the population
surrogate) runs in this process. Common random numbers: run ``i`` of every point uses seed
``seed + i``, so the objective of a fit is a deterministic function of the parameters.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import pandas as pd

from fentanet.errors import InputError

Key = tuple[tuple[str, float], ...]


def point_key(values: Mapping[str, Any]) -> Key:
    """A hashable, order-free form of a parameter point."""
    return tuple(sorted((str(k), float(v)) for k, v in values.items()))


def seeds_for(model: Any, runs: int, seed: int | None = None) -> list[int]:
    """``runs`` consecutive seeds from ``seed`` (default: the scenario's seed, else 1)."""
    if int(runs) < 1:
        raise InputError(f"runs must be at least 1, got {runs}", field="runs")
    if seed is None:
        seed = getattr(getattr(model, "scenario", None), "seed", None)
    first = int(seed if seed is not None else 1)
    if first < 0:
        raise InputError(f"seed must be non-negative, got {first}", field="seed")
    return [first + i for i in range(int(runs))]


def kept(model: Any) -> bool:
    """Whether ``model``'s runs go through ``fentanet.ensemble`` (and the run store)."""
    return callable(getattr(model, "ensemble", None))


class Evaluator:
    """Runs ``model`` at points on common seeds and keeps ``reduce(series)`` of each run,
    per point in seed order. Points are cached: asking again costs nothing.

    ``scheduler``, ``workers``, ``store`` and ``write_on_workers`` are those of
    ``fentanet.ensemble`` (full model only). :meth:`session` holds one Dask connection
    open over many calls; ``ensembles`` lists the ids of the ensembles run.
    """

    def __init__(
        self,
        model: Any,
        reduce: Callable[[pd.DataFrame], Any],
        *,
        runs: int = 2,
        seed: int | None = None,
        scheduler: Any = None,
        workers: int | None = None,
        store: Any = None,
        write_on_workers: bool | None = None,
    ) -> None:
        self.model = model
        self.reduce = reduce
        self.seeds = seeds_for(model, runs, seed)
        self.kept = kept(model)
        self.scheduler = scheduler
        self.workers = workers
        self.store = store
        self.write_on_workers = write_on_workers
        self.cache: dict[Key, list[Any]] = {}
        self.ensembles: list[str] = []
        self.runs = 0
        self._client: Any = None

    @contextlib.contextmanager
    def session(self) -> Iterator[Evaluator]:
        """Keep one Dask connection (and the store) open for every call inside."""
        if not self.kept or self._client is not None:
            yield self
            return
        from fentanet.ensemble import connect
        from fentanet.store import RunStore

        if not isinstance(self.store, RunStore):
            self.store = RunStore(self.store)
        with connect(self.scheduler, self.workers) as client:
            self._client = "serial" if client is None else client
            try:
                yield self
            finally:
                self._client = None

    def __call__(self, points: Sequence[Mapping[str, float]]) -> list[list[Any]]:
        keys = [point_key(p) for p in points]
        todo = [k for k in dict.fromkeys(keys) if k not in self.cache]
        if todo:
            if not self.kept:
                for k in todo:
                    self.cache[k] = [self.reduce(self.model.run(dict(k), s)) for s in self.seeds]
            else:
                with self.session():
                    self._ensemble(todo)
            self.runs += len(todo) * len(self.seeds)
        return [self.cache[k] for k in keys]

    def _ensemble(self, todo: list[Key]) -> None:
        ens = self.model.ensemble(
            [dict(k) for k in todo],
            len(self.seeds),
            seed=self.seeds[0],
            scheduler=self._client,
            store=self.store,
            progress=False,
            write_on_workers=self.write_on_workers,
        )
        self.ensembles.append(ens.id)
        failed = ens.failed
        if not failed.empty:
            first = failed.iloc[0]
            raise InputError(
                f"{len(failed)} run(s) of ensemble {ens.id} failed, first at {first.params} "
                f"seed {first.seed}: {str(first.error).splitlines()[0]}",
                field="model",
            )
        runs = ens.runs()
        series = ens.store.series(ensemble=ens.id)
        drop = [c for c in ("run_id", "variant", "seed") if c in series.columns]
        by_run = {
            rid: g.drop(columns=drop).reset_index(drop=True)
            for rid, g in series.groupby("run_id", sort=False)
        }
        out: dict[Key, list[Any]] = {k: [None] * len(self.seeds) for k in todo}
        for r in runs.itertuples():
            out[point_key(r.params)][self.seeds.index(int(r.seed))] = self.reduce(by_run[r.run_id])
        self.cache.update(out)
