"""The population model's step: time per market and step, 10^2 to 10^4 markets.

Markets share a US-scale population (3 million people using, about 9 million at risk)
with weekly steps and a steady trickle of releases after arrest, so every compartment
and draw is exercised. Reported: the median step time, microseconds per market-step, and
its split into a fixed cost per step (Python, input checks) and a cost per market (22
keyed uniforms and binomial draws, compiled; it grows with the people per market, whose
counts make the exact binomial walks longer). Goal: well below the supply side of the
step; the reference is the DESIGN.md measurement of a NumPy + numba supply toy, 45 M
agent-steps a second, i.e. about 2.2 ms a step for 10^5 actors with about 10^3 markets.
That reference is computed, not timed (the engine's whole step runs about 7 M actor-updates
a second, ``python -m benchmarks simulate``); without ``--quick`` the model's step at 1000
markets is also set against the rest of a us-baseline step, timed (the row with the goal).

    python -m benchmarks population [--quick]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.common import Result, timeit
from fentanet.simulate import population as pop
from fentanet.simulate.rng import Streams

PEOPLE_USING = 3.0e6
SUPPLY_STEP_S_PER_ACTOR = 1 / 45e6  # DESIGN.md: NumPy + numba toy, agent-steps per second


def _setup(n_markets: int):
    params = pop.PopulationParams()
    markets = pd.DataFrame(
        {
            "uid": np.arange(n_markets) * 3 + 1,
            "population": np.full(n_markets, PEOPLE_USING / n_markets),
        }
    )
    state = pop.init_population(markets, params)
    # about 1% of people using arrested and released a year
    inputs = pop.PopulationInputs.baseline(
        n_markets, released=0.01 * PEOPLE_USING / n_markets / 52, naloxone=0.2, treatment=0.1
    )
    return params, state, inputs


def _step_time(n_markets: int, repeat: int, batch_steps: int = 20_000) -> float:
    """Median time of one step, each measurement a batch of steps (so that a step of a few
    microseconds is not lost in the timer's own noise)."""
    params, state, inputs = _setup(n_markets)
    streams = Streams(1)
    counter = iter(range(10**9))
    batch = max(1, batch_steps // n_markets)

    def steps() -> None:
        for _ in range(batch):
            pop.step_population(state, params, inputs, streams, next(counter), 1 / 52)

    return timeit(steps, repeat=repeat, warmup=1) / batch


def run(quick: bool, tiny: bool = False) -> list[Result]:
    sizes = (10,) if tiny else (100, 1000) if quick else (100, 1000, 10_000)
    repeat = 1 if tiny else 5 if quick else 15
    batch = 20 if tiny else 20_000
    fixed = _step_time(1, repeat, batch)  # Python and call overhead of one step
    results = []
    for m in sizes:
        per_step = _step_time(m, repeat, batch)
        supply = 100 * m * SUPPLY_STEP_S_PER_ACTOR  # about 100 actors per market
        us = per_step / m * 1e6
        marginal = (per_step - fixed) / (m - 1) * 1e6
        results.append(
            Result(
                name=f"population step, {m} markets",
                ours_s=per_step,
                peer="supply-side toy step, 100 actors per market (computed from "
                     "DESIGN.md's rate, not timed)",
                peer_s=supply,
                note=(
                    f"{us:.2f} µs per market-step; {marginal:.2f} µs per extra market "
                    f"plus {fixed * 1e6:.0f} µs per step"
                ),
                extra={
                    "markets": m,
                    "us_per_market_step": us,
                    "us_per_extra_market": marginal,
                    "us_fixed_per_step": fixed * 1e6,
                },
            )
        )
    if not quick:
        results.append(_against_engine(_step_time(1000, repeat)))
    return results


def _against_engine(population_step_s: float) -> Result:
    """The population model's step (1000 markets) against the rest of a us-baseline step.

    The us-baseline scenario has 1000 markets; its step without the population phase (the
    supply side, enforcement, adaptation, money, record) is the engine's own timing.
    """
    import fentanet

    run = fentanet.simulate("us-baseline", seed=1, years=0.25)
    steps = len(run.series)
    rest = (sum(run.timings.values()) - run.timings["population"]) / steps
    glue = run.timings["population"] / steps - population_step_s
    return Result(
        name="population model vs the rest of a us-baseline step (1000 markets)",
        ours_s=population_step_s,
        peer="us-baseline step without the population phase",
        peer_s=rest,
        goal="population model under 5% of the step",
        min_ratio=20.0,
        note=f"engine's population phase adds {glue * 1e3:.1f} ms a step around the model",
        extra={"steps": steps, "rest_s_per_step": rest, "glue_s_per_step": glue},
    )
