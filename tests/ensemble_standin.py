"""A small stand-in for ``fentanet.simulate`` with the same signature (tests only).

Deterministic in the seed: deaths per step are Poisson draws whose rate falls with the
intervention effort; supply is uniform draws scaled the same way; cost is the effort. A
variant named ``broken`` raises, a ``fail_seed`` parameter makes that seed raise, and
seeds below ``warn_below`` warn (as a run whose operation is short of targets does), and
``warn_all`` makes every run say the same (as a horizon the step does not divide).
Importable by Dask workers (tests/ is on their path).
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fentanet.errors import InputError, warn_run


@dataclass(frozen=True)
class StandInScenario:
    name: str = "standin"
    seed: int = 1
    steps: int = 8
    params: dict[str, float] = field(default_factory=lambda: {
        "rate": 5.0, "effect": 0.0, "fail_seed": -1.0, "sleep": 0.0, "interrupt_seed": -1.0,
        "warn_below": 0.0, "warn_all": 0.0})
    padding: bytes = b""  # makes the scenario as large as wanted (not in its digest)

    def digest(self) -> str:
        blob = json.dumps({"name": self.name, "steps": self.steps, "params": self.params},
                          sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()

    def override(self, values: dict[str, Any]) -> StandInScenario:
        params = dict(self.params)
        for key, value in values.items():
            name = key.removeprefix("params.")
            if name not in params:
                raise InputError(f"no such scenario field '{key}'", field=key)
            params[name] = float(value)
        return StandInScenario(self.name, self.seed, self.steps, params)


@dataclass
class StandInResult:
    series: pd.DataFrame
    summary: dict[str, float]
    scenario: StandInScenario
    seed: int
    variant: str | None


def simulate(scenario: StandInScenario, seed: int = 1, *, years: float | None = None,
             dt: float | None = None, variant: str | None = None,
             interventions: list[dict] | None = None, progress: bool = False) -> StandInResult:
    p = scenario.params
    if variant == "broken":
        raise ValueError(f"broken variant at seed {seed}")
    if seed == p["fail_seed"]:
        raise RuntimeError(f"no convergence at seed {seed}")
    if seed == p["interrupt_seed"]:
        raise KeyboardInterrupt
    if p["sleep"]:
        time.sleep(p["sleep"])
    if seed < p.get("warn_below", 0.0):
        warn_run(f"short of targets at seed {seed}")
        warn_run(f"short of targets at seed {seed}")  # said once
        warnings.warn("a library's deprecation", DeprecationWarning, stacklevel=2)  # not ours
    if p.get("warn_all", 0.0):
        warn_run("said by every run")
    effort = p["effect"] + sum(float(i["intensity"]) for i in interventions or [])
    rng = np.random.default_rng(seed)
    steps = scenario.steps
    deaths = rng.poisson(p["rate"] * np.exp(-effort), steps).astype(float)
    supply = 100 * rng.random(steps) * np.exp(-effort / 2)
    cost = np.full(steps, 1000.0 * effort)
    series = pd.DataFrame({"step": np.arange(steps), "time": np.arange(steps) / 52,
                           "deaths": deaths, "supply": supply, "cost": cost})
    summary = {"deaths_total": deaths.sum(), "supply_kg_total": supply.sum(),
               "intervention_cost_usd_total": cost.sum()}
    return StandInResult(series, summary, scenario, seed, variant)

