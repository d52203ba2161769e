"""Timing and reporting for the benchmarks: medians of repeats, ratios against peers.

Each ``benchmarks/bench_*.py`` module defines ``run(quick: bool, tiny: bool = False) ->
list[Result]``. ``python -m benchmarks`` (``make bench``) runs them all and prints one
table; ``python -m benchmarks io flow`` runs the named ones; ``--quick`` uses smaller
sizes (``make bench-quick``); ``--tiny`` (``quick`` and ``tiny`` both true) the smallest,
once, so that ``tests/test_benchmarks.py`` can check in seconds that every benchmark runs
and reports its peer. Nothing here asserts a time: goals are reported as met or not.
"""

from __future__ import annotations

import gc
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Result:
    """One measurement: ours against a peer on the same input.

    ``ratio`` is peer time / our time (above 1: we are faster). ``goal`` states the target
    as text and ``met`` whether the measured ratio reaches it.
    """

    name: str
    ours_s: float
    peer: str = ""
    peer_s: float | None = None
    goal: str = ""
    min_ratio: float | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.peer_s is None or self.ours_s <= 0:
            return None
        return self.peer_s / self.ours_s

    @property
    def met(self) -> bool | None:
        if self.min_ratio is None or self.ratio is None:
            return None
        return self.ratio >= self.min_ratio

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ratio"] = self.ratio
        d["met"] = self.met
        return d


def timeit(fn: Callable[[], Any], *, repeat: int = 3, warmup: int = 1) -> float:
    """Median wall time in seconds of ``fn()`` over ``repeat`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def fmt_seconds(s: float | None) -> str:
    if s is None:
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def overrides(items: list[str]) -> dict[str, Any]:
    """Scenario overrides from ``--set PATH=VALUE`` arguments, each value read as JSON."""
    out = {}
    for item in items:
        key, _, value = item.partition("=")
        out[key] = json.loads(value)
    return out
