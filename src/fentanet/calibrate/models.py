"""What calibration and sensitivity run: the full simulation, or the population model alone.

A *model* here is an object with ``run(values, seed) -> DataFrame`` (one row per step:
``step``, ``time`` in years since the start, the flows) and the attributes ``start_year``,
``dt`` and ``years``; ``values`` maps parameter names to numbers. Names are the scenario's
dotted paths (``params.population.overdose_rate``, ``params.market.elasticity``) or the
fields of the exogenous :class:`FentanylTransition` (``fentanyl.midpoint``,
``fentanyl.width``, ``fentanyl.heroin_risk``).

- :class:`ScenarioModel` runs ``fentanet.simulate`` on the scenario with the values as
  overrides: the real thing, about a minute per run of ``us-baseline`` over ten years.
- :class:`PopulationModel` runs the population model alone on the scenario's markets,
  driven by the status-quo inputs the full simulation produces (:func:`status_quo_inputs`:
  availability, price, potency volatility, releases, measured in a short full run) and by
  the exogenous potency: a surrogate, thousands of times faster, for parameters of the
  population model and of the transition. A calibration made with it is checked with full
  runs (:meth:`fentanet.calibrate.Calibration.check`).

Both add the column ``synthetic_fatal``: fatal overdoses involving synthetic opioids,
``fatal * transition.synthetic_fraction(year)`` (all of ``fatal`` without a transition),
the counterpart of the CDC's T40.4 deaths.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fentanet.errors import InputError

TRANSITION_PREFIX = "fentanyl."
POPULATION_PREFIX = "params.population."


@dataclass(frozen=True)
class FentanylTransition:
    """The rise of illicit fentanyl in the opioid supply: an exogenous input series.

    ``share(year) = 1 / (1 + exp(-(year - midpoint) / width))`` is the share of the illicit
    opioid supply that is fentanyl. The potency index fed to the simulation is
    ``heroin_risk + (1 - heroin_risk) * share``: 1 once the supply is all fentanyl (the
    2021-2023 status quo the population model's defaults describe), ``heroin_risk`` (the
    overdose risk of the heroin-era supply relative to it) before. A fatal overdose
    involves fentanyl with probability ``share / (heroin_risk * (1 - share) + share)``
    (its share of the overdose hazard): the observation model of synthetic-opioid deaths.

    Defaults are assumptions (midpoint 2017: fentanyl in about half of opioid deaths then;
    CDC T40.4 deaths rose about twentyfold 2013-2021); calibration fits them. DESIGN.md:
    the rise is an input series, never produced by tuning entry of labs or suppliers.
    """

    midpoint: float = 2017.0
    width: float = 1.5
    heroin_risk: float = 0.15

    def __post_init__(self) -> None:
        if not self.width > 0 or not math.isfinite(self.width):
            raise InputError(
                f"expected a width > 0 years, got {self.width}", field="fentanyl.width"
            )
        if not 0 <= self.heroin_risk <= 1:
            raise InputError(
                f"expected a value in [0, 1], got {self.heroin_risk}", field="fentanyl.heroin_risk"
            )

    def share(self, year: np.ndarray | float) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(np.asarray(year, dtype=float) - self.midpoint) / self.width))

    def potency(self, year: np.ndarray | float) -> np.ndarray:
        return self.heroin_risk + (1.0 - self.heroin_risk) * self.share(year)

    def synthetic_fraction(self, year: np.ndarray | float) -> np.ndarray:
        s = self.share(year)
        return s / (self.heroin_risk * (1.0 - s) + s)

    def potency_trend(
        self, start_year: float, years: float, step: float = 1 / 12
    ) -> list[tuple[float, float]]:
        """Points (years since the start, potency) for ``params.market.potency_trend``."""
        t = np.arange(0.0, years + step, step)
        return [(float(a), float(b)) for a, b in zip(t, self.potency(start_year + t), strict=True)]

    def with_values(self, values: dict[str, float]) -> FentanylTransition:
        fields = {f.name for f in dataclasses.fields(self)}
        own = {
            k[len(TRANSITION_PREFIX) :]: v
            for k, v in values.items()
            if k.startswith(TRANSITION_PREFIX)
        }
        unknown = sorted(set(own) - fields)
        if unknown:
            raise InputError(
                f"unknown transition parameter(s) {unknown}; allowed: "
                f"{sorted(TRANSITION_PREFIX + f for f in fields)}",
                field=TRANSITION_PREFIX + unknown[0],
            )
        return dataclasses.replace(self, **own) if own else self


def _split(values: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    own = {k: v for k, v in values.items() if k.startswith(TRANSITION_PREFIX)}
    rest = {k: v for k, v in values.items() if not k.startswith(TRANSITION_PREFIX)}
    return own, rest


def _with_synthetic(
    series: pd.DataFrame, transition: FentanylTransition | None, start_year: float, dt: float
) -> pd.DataFrame:
    s = series.copy()
    if transition is None:
        s["synthetic_fatal"] = s["fatal"].astype(float)
    else:
        mid = start_year + s["time"].to_numpy(dtype=float) + dt / 2
        s["synthetic_fatal"] = s["fatal"].to_numpy(dtype=float) * transition.synthetic_fraction(mid)
    return s


class ScenarioModel:
    """The full simulation of a scenario (``fentanet.simulate``), values as overrides.

    ``start_year`` and ``years`` override the scenario's (a calibration to 2013-2023 runs
    from 2013); ``transition`` sets ``params.market.potency_trend``.
    """

    def __init__(
        self,
        scenario: Any,
        *,
        start_year: int | None = None,
        years: float | None = None,
        transition: FentanylTransition | None = None,
    ) -> None:
        from fentanet.scenarios import load

        sc = load(scenario) if not hasattr(scenario, "override") else scenario
        over: dict[str, Any] = {}
        if start_year is not None:
            over["start_year"] = int(start_year)
        if years is not None:
            over["years"] = float(years)
        self.scenario = sc.override(over) if over else sc
        if self.scenario.start_year is None:
            raise InputError(
                "the scenario has no start_year; calibration needs calendar "
                "years (pass start_year=)",
                field="start_year",
            )
        self.start_year = int(self.scenario.start_year)
        self.years = float(self.scenario.years)
        self.dt = float(self.scenario.dt)
        self.transition = transition
        self.name = str(self.scenario.name)

    def scenario_for(self, values: dict[str, float]) -> Any:
        """The scenario with ``values`` applied (the transition as a potency trend)."""
        own, rest = _split(values)
        over: dict[str, Any] = dict(rest)
        if self.transition is not None:
            tr = self.transition.with_values(own)
            over["params.market.potency_trend"] = tr.potency_trend(self.start_year, self.years)
        elif own:
            raise InputError(
                "transition parameters need a FentanylTransition", field=next(iter(own))
            )
        return self.scenario.override(over) if over else self.scenario

    def run(self, values: dict[str, float], seed: int) -> pd.DataFrame:
        import fentanet

        result = fentanet.simulate(self.scenario_for(values), seed=int(seed))
        tr = self.transition.with_values(_split(values)[0]) if self.transition else None
        return _with_synthetic(result.series, tr, self.start_year, self.dt)

    def value(self, name: str) -> float:
        """The value a parameter has in this model when not overridden."""
        if name.startswith(TRANSITION_PREFIX):
            if self.transition is None:
                raise InputError("no fentanyl transition in this model", field=name)
            return float(getattr(self.transition, name[len(TRANSITION_PREFIX) :]))
        node: Any = self.scenario.model_dump(mode="python")
        for key in name.split("."):
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif name.startswith(POPULATION_PREFIX) and key == name.split(".")[-1]:
                from fentanet.simulate.population import PopulationParams

                return float(getattr(PopulationParams(), key))
            else:
                raise InputError(f"no such scenario field '{name}'", field=name)
        if not isinstance(node, int | float) or isinstance(node, bool):
            raise InputError(f"'{name}' is not a number ({node!r})", field=name)
        return float(node)


class PopulationModel:
    """The population model alone on the scenario's markets: a fast surrogate.

    ``markets`` has ``uid`` and ``population`` (as for ``init_population``); ``inputs``
    holds constant status-quo inputs (``availability``, ``price_index``,
    ``potency_volatility``, ``diversion``) and ``released_per_person_year`` (releases after
    arrest per person using and year), for example :func:`status_quo_inputs` of the full
    simulation. Potency follows ``transition`` (1 without one). Parameters:
    ``params.population.<field>`` and ``fentanyl.<field>``; others raise.
    """

    def __init__(
        self,
        markets: pd.DataFrame,
        *,
        start_year: int,
        years: float,
        dt: float = 1 / 52,
        inputs: dict[str, float] | None = None,
        params: dict[str, float] | None = None,
        transition: FentanylTransition | None = None,
        name: str = "population",
    ) -> None:
        from fentanet.simulate.population import PopulationParams

        self.markets = markets[["uid", "population"]].reset_index(drop=True)
        self.start_year = int(start_year)
        self.years = float(years)
        self.dt = float(dt)
        self.inputs = dict(inputs or {})
        allowed = {
            "availability",
            "price_index",
            "potency_volatility",
            "diversion",
            "released_per_person_year",
        }
        unknown = sorted(set(self.inputs) - allowed)
        if unknown:
            raise InputError(
                f"unknown input(s) {unknown}; allowed: {sorted(allowed)}",
                field=f"inputs.{unknown[0]}",
            )
        self.base = PopulationParams.from_mapping(params or {})
        self.transition = transition
        self.name = name

    @classmethod
    def from_scenario(
        cls,
        scenario: Any,
        *,
        start_year: int | None = None,
        years: float | None = None,
        inputs: dict[str, float] | None = None,
        transition: FentanylTransition | None = None,
        seed: int = 1,
    ) -> PopulationModel:
        """The surrogate of a scenario: its markets, its population parameters, and (when
        ``inputs`` is None) the status-quo inputs measured in one year of its full run."""
        from fentanet.scenarios import load
        from fentanet.simulate.run import build_network

        sc = load(scenario) if not hasattr(scenario, "override") else scenario
        net = build_network(sc)
        a = net.actors
        markets = a[a["kind"] == "market"]
        uid = markets["uid"] if "uid" in markets else pd.Series(np.arange(len(markets)))
        table = pd.DataFrame(
            {
                "uid": uid.to_numpy(dtype=np.int64),
                "population": markets["population"].to_numpy(dtype=float),
            }
        )
        if inputs is None:
            inputs = status_quo_inputs(sc, seed=seed)
        return cls(
            table,
            start_year=int(start_year if start_year is not None else sc.start_year or 2023),
            years=float(years if years is not None else sc.years),
            dt=float(sc.dt),
            inputs=inputs,
            params=dict(sc.params.population),
            transition=transition,
            name=f"{sc.name} (population surrogate)",
        )

    def run(self, values: dict[str, float], seed: int) -> pd.DataFrame:
        from fentanet.simulate.population import PopulationInputs, run_population

        own, rest = _split(values)
        pop = {}
        for k, v in rest.items():
            if not k.startswith(POPULATION_PREFIX):
                raise InputError(
                    f"the population surrogate takes only {POPULATION_PREFIX}* "
                    f"and {TRANSITION_PREFIX}* parameters",
                    field=k,
                )
            pop[k[len(POPULATION_PREFIX) :]] = v
        params = self.base.replace(**pop) if pop else self.base
        tr = self.transition.with_values(own) if self.transition else None
        m = len(self.markets)
        x = self.inputs
        released = (
            x.get("released_per_person_year", 0.0)
            * self.dt
            * self.markets["population"].to_numpy(dtype=float)
        )
        fixed = {
            k: x[k]
            for k in ("availability", "price_index", "potency_volatility", "diversion")
            if k in x
        }
        start, dt = self.start_year, self.dt
        x_step = PopulationInputs.baseline(m, released=released, **fixed)

        def inputs(step: int, time: float) -> PopulationInputs:
            x_step.potency[:] = float(tr.potency(start + time + dt / 2)) if tr else 1.0
            return x_step

        res = run_population(
            params, self.markets, years=self.years, dt=self.dt, seed=seed, inputs=inputs
        )
        series = res.series.rename(
            columns={"using": "people_using", "treatment": "people_in_treatment"}
        )
        series["time"] = series["step"] * self.dt  # as the engine: time at the step's start
        return _with_synthetic(series, tr, self.start_year, self.dt)

    def value(self, name: str) -> float:
        if name.startswith(TRANSITION_PREFIX):
            if self.transition is None:
                raise InputError("no fentanyl transition in this model", field=name)
            return float(getattr(self.transition, name[len(TRANSITION_PREFIX) :]))
        if name.startswith(POPULATION_PREFIX):
            return float(getattr(self.base, name[len(POPULATION_PREFIX) :]))
        raise InputError(f"the population surrogate has no parameter '{name}'", field=name)


def status_quo_inputs(scenario: Any, *, seed: int = 1, years: float = 1.0) -> dict[str, float]:
    """Time means of the population model's inputs in a full run of ``scenario`` without
    interventions: ``availability``, ``price_index``, ``potency_volatility`` and
    ``released_per_person_year``. The surrogate's status quo."""
    import fentanet

    sc = scenario.override({"interventions": []}) if hasattr(scenario, "override") else scenario
    r = fentanet.simulate(sc, seed=seed, years=years)
    s = r.series
    using = float(s["people_using"].mean())
    released = float(s["released_people"].sum()) / years if "released_people" in s else 0.0
    return {
        "availability": float(s["availability"].mean()),
        "price_index": float(s["price_index"].mean()),
        "potency_volatility": float(s["potency_volatility"].mean()),
        "released_per_person_year": released / using if using > 0 else 0.0,
    }
