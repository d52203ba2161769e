"""What calibration and sensitivity run: the full simulation, or the population model alone.

A *model* here is an object with ``run(values, seed) -> DataFrame`` (one row per step:
``step``, ``time`` in years since the start, the flows), ``value(name)`` (a parameter's
value when not overridden), ``at(values)`` (the same model with values fixed) and the
attributes ``start_year``, ``dt`` and ``years``; ``values`` maps parameter names to numbers.
Names are the scenario's dotted paths (``params.population.overdose_rate``,
``params.market.elasticity``) or the fields of the exogenous :class:`FentanylTransition`
(``fentanyl.midpoint``, ``fentanyl.width``, ``fentanyl.heroin_risk``).

- :class:`ScenarioModel` is the full simulation. Its runs go through
  :func:`fentanet.ensemble` (Dask, the run store) as :class:`ObservedScenario` sweeps, so
  every run of a fit or a sensitivity analysis is kept; ``run`` makes one run in this
  process, exactly as a worker does. About a minute per run of ``us-baseline`` over ten
  years.
- :class:`PopulationModel` runs the population model alone on the scenario's markets, in
  this process, driven by the status-quo inputs the full simulation produces
  (:func:`status_quo_inputs`: availability, price, potency volatility, releases, measured
  in a short full run) and by the exogenous potency: a surrogate, thousands of times
  faster, for parameters of the population model and of the transition. A calibration
  made with it is checked with full runs (:meth:`fentanet.calibrate.Calibration.check`).

Both add the column ``synthetic_fatal``: fatal overdoses involving synthetic opioids,
``fatal * transition.synthetic_fraction(year)`` (all of ``fatal`` without a transition),
the counterpart of the CDC's T40.4 deaths (and ``synthetic_fatal_total`` to the summary).
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fentanet.ensemble.core import run_model
from fentanet.errors import InputError, one_role

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


MODELS = ("full", "population")
"""The models :func:`build_model` makes from a scenario."""


def _split(values: Mapping[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    own = {k: v for k, v in values.items() if k.startswith(TRANSITION_PREFIX)}
    rest = {k: v for k, v in values.items() if not k.startswith(TRANSITION_PREFIX)}
    return own, rest


def with_synthetic(
    series: pd.DataFrame,
    transition: FentanylTransition | None,
    start_year: float | None,
    dt: float | None,
) -> pd.DataFrame:
    """``series`` with the column ``synthetic_fatal`` (when it has ``fatal``): the fatal
    overdoses of each step times the transition's synthetic fraction at the step's midpoint
    (all of them without a transition)."""
    if "fatal" not in series.columns:
        return series
    s = series.copy()
    if transition is None:
        s["synthetic_fatal"] = s["fatal"].astype(float)
    else:
        mid = float(start_year) + s["time"].to_numpy(dtype=float) + float(dt) / 2
        s["synthetic_fatal"] = s["fatal"].to_numpy(dtype=float) * transition.synthetic_fraction(mid)
    return s


def summarise(series: pd.DataFrame) -> dict[str, float]:
    """The summary of a run's series as ``fentanet.simulate`` makes it: ``<flow>_total`` for
    flows (summed over the run), ``<level>_end`` for levels (the last step's value)."""
    from fentanet.simulate.population import FLOWS
    from fentanet.simulate.run import is_flow

    flows = {*FLOWS, "synthetic_fatal"}
    out: dict[str, float] = {}
    for c in series.columns:
        if c in ("step", "time", "year") or not pd.api.types.is_numeric_dtype(series[c]):
            continue
        if c in flows or is_flow(c):
            out[f"{c}_total"] = float(series[c].sum())
        else:
            out[f"{c}_end"] = float(series[c].iloc[-1])
    return out


def _lookup(scenario: Any, name: str) -> float:
    """The number at the dotted path ``name`` of a scenario (population parameters the
    scenario does not set take their defaults)."""
    node: Any = scenario.model_dump(mode="python") if hasattr(scenario, "model_dump") else scenario
    keys = name.split(".")
    for i, key in enumerate(keys):
        if isinstance(node, Mapping) and key in node:
            node = node[key]
        elif not isinstance(node, Mapping) and not isinstance(node, str) and hasattr(node, key):
            node = getattr(node, key)
        elif name.startswith(POPULATION_PREFIX) and i == len(keys) - 1:
            from fentanet.simulate.population import PopulationParams

            if not hasattr(PopulationParams(), key):
                raise InputError(f"no such population parameter '{name}'", field=name)
            return float(getattr(PopulationParams(), key))
        else:
            raise InputError(f"no such scenario field '{name}'", field=name)
    if not isinstance(node, int | float) or isinstance(node, bool):
        raise InputError(f"'{name}' is not a number ({node!r})", field=name)
    return float(node)


@dataclass(frozen=True)
class ObservedScenario:
    """A scenario, the exogenous fentanyl transition that drives its potency, and the
    function that simulates it: what the full model's ensembles run.

    :meth:`override` takes the scenario's dotted paths and ``fentanyl.*``, so the runs kept
    in the store carry the fitted or varied values themselves as their parameters;
    :func:`run_observed` (the ensembles' ``model``) simulates it and adds
    ``synthetic_fatal``.
    """

    scenario: Any
    transition: FentanylTransition | None = None
    simulate: Callable[..., Any] | None = None  # default fentanet.simulate
    source: str | None = None  # the scenario's name or path, as runs' setups record it

    @classmethod
    def load(cls, source: Any) -> ObservedScenario:
        """The scenario named ``source`` (built-in name or YAML path), no transition: what
        :func:`fentanet.ensemble.rerun` starts from before applying a run's overrides."""
        from fentanet.ensemble import load_scenario, scenario_source

        return cls(load_scenario(source), source=scenario_source(source))

    @property
    def name(self) -> str:
        return str(getattr(self.scenario, "name", self.scenario))

    @property
    def seed(self) -> int:
        return int(getattr(self.scenario, "seed", 1))

    @property
    def start_year(self) -> int | None:
        y = getattr(self.scenario, "start_year", None)
        return None if y is None else int(y)

    def integer_field(self, dotted: str) -> bool:
        """Whether the scenario's field at ``dotted`` takes whole numbers only (never a
        ``fentanyl.*`` transition parameter)."""
        check = getattr(self.scenario, "integer_field", None)
        return bool(check(dotted)) if check is not None else False

    def digest(self) -> str:
        """The digest of the scenario the run simulates (the transition's potency in it)."""
        sc = self.resolved()
        return sc.digest() if hasattr(sc, "digest") else ""

    def override(self, values: Mapping[str, Any]) -> ObservedScenario:
        """The scenario's dotted paths and ``fentanyl.*``; and, as runs' setups record
        them, ``fentanyl`` (the whole transition: a mapping of its fields, or ``None``) and
        ``simulate`` (the simulating function as ``"module:qualname"``, or ``None``)."""
        values = dict(values)
        new = self
        if "fentanyl" in values:
            spec = values.pop("fentanyl")
            if spec is not None and not isinstance(spec, Mapping):
                raise InputError(f"expected a mapping of transition fields or null, got "
                                 f"{spec!r}", field="fentanyl")
            tr = None if spec is None else FentanylTransition().with_values(
                {TRANSITION_PREFIX + str(k): v for k, v in spec.items()})
            new = dataclasses.replace(new, transition=tr)
        if "simulate" in values:
            ref = values.pop("simulate")
            if ref is None:
                fn = None
            elif new.simulate is not None and _reference(new.simulate) == ref:
                fn = new.simulate
            else:
                from fentanet.ensemble import resolve

                fn = resolve(ref)
            new = dataclasses.replace(new, simulate=fn)
        return new._override(values)

    def _override(self, values: Mapping[str, Any]) -> ObservedScenario:
        own, rest = _split(values)
        if own and self.transition is None:
            raise InputError(
                "the fentanyl.* parameters need the fentanyl transition (transition=True, "
                "--transition)",
                field=next(iter(own)),
            )
        sc = self.scenario.override(rest) if rest else self.scenario
        tr = self.transition.with_values(own) if own else self.transition
        return dataclasses.replace(self, scenario=sc, transition=tr)

    def resolved(self) -> Any:
        """The scenario to simulate: potency following the transition, when there is one."""
        if self.transition is None:
            return self.scenario
        years = float(self.scenario.years)
        trend = self.transition.potency_trend(self.start_year, years)
        return self.scenario.override({"params.market.potency_trend": trend})


@run_model
def run_observed(scenario: Any, seed: int | None = None, **kwargs: Any) -> Any:
    """Simulate an :class:`ObservedScenario` (or a plain scenario) and add the observation
    ``synthetic_fatal`` to its series and summary. The signature of ``fentanet.simulate``:
    this is the ``model`` of the full model's ensembles (workers import it)."""
    if isinstance(scenario, ObservedScenario):
        observed = scenario
    else:
        observed = ObservedScenario(scenario)
    if observed.simulate is None:
        from fentanet.simulate.run import simulate
    else:
        simulate = observed.simulate
    result = simulate(observed.resolved(), seed, **kwargs)
    series = getattr(result, "series", None)
    if series is None or "fatal" not in series.columns:
        return result
    dt = getattr(observed.scenario, "dt", None)
    series = with_synthetic(series, observed.transition, observed.start_year, dt)
    summary = {**dict(result.summary),
               "synthetic_fatal_total": float(series["synthetic_fatal"].sum())}
    return dataclasses.replace(result, series=series, summary=summary)


# how fentanet.ensemble.rerun loads the scenario of a run made by run_observed
run_observed.load_scenario = ObservedScenario.load  # type: ignore[attr-defined]


def _reference(function: Any) -> str:
    from fentanet.ensemble import reference

    return reference(function)


class ScenarioModel:
    """The full simulation of a scenario (``fentanet.simulate``), values as overrides.

    ``start_year`` and ``years`` override the scenario's (a calibration to 2013-2023 runs
    from 2013), as do ``overrides``; ``transition`` drives ``params.market.potency_trend``;
    ``simulate`` replaces ``fentanet.simulate`` (a function of the same signature that the
    workers can import). Many runs go through :meth:`ensemble`: Dask and the run store.

    The model is the scenario as named plus :attr:`fixed`, every value it sets (horizon,
    overrides, the transition as ``fentanyl``, values fixed by :meth:`at`): its ensembles
    pass these as ``overrides=`` to the scenario as named, so that each run's setup
    describes it and :func:`fentanet.ensemble.rerun` makes it again.
    """

    def __init__(
        self,
        scenario: Any,
        *,
        start_year: int | None = None,
        years: float | None = None,
        transition: FentanylTransition | None = None,
        simulate: Callable[..., Any] | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> None:
        from fentanet.ensemble import load_scenario, scenario_source

        self.root = ObservedScenario(load_scenario(scenario), simulate=simulate,
                                     source=scenario_source(scenario))
        fixed: dict[str, Any] = dict(overrides or {})
        if start_year is not None:
            fixed["start_year"] = int(start_year)
        if years is not None:
            fixed["years"] = float(years)
        if transition is not None:
            fixed["fentanyl"] = dataclasses.asdict(transition)
        if simulate is not None:
            fixed["simulate"] = _reference(simulate)
        self.fixed = fixed
        self.observed = self.root.override(fixed)
        if transition is not None and self.start_year is None:
            raise InputError(
                "the scenario has no start_year; the fentanyl transition needs calendar years "
                "(pass start_year=, --start-year, or leave the transition out)",
                field="start_year",
            )

    @property
    def scenario(self) -> Any:
        return self.observed.scenario

    @property
    def transition(self) -> FentanylTransition | None:
        return self.observed.transition

    @property
    def start_year(self) -> int | None:
        return self.observed.start_year

    @property
    def years(self) -> float:
        return float(getattr(self.scenario, "years", math.nan))

    @property
    def dt(self) -> float | None:
        dt = getattr(self.scenario, "dt", None)
        return None if dt is None else float(dt)

    @property
    def name(self) -> str:
        return self.observed.name

    def at(self, values: Mapping[str, float]) -> ScenarioModel:
        """The same model with ``values`` fixed (a new base)."""
        new = object.__new__(ScenarioModel)
        new.root = self.root
        new.fixed = {**self.fixed, **values}
        new.observed = self.observed.override(values) if values else self.observed
        return new

    def scenario_for(self, values: Mapping[str, float]) -> Any:
        """The scenario simulated at ``values`` (the transition as a potency trend)."""
        return (self.observed.override(values) if values else self.observed).resolved()

    def run(self, values: Mapping[str, float], seed: int) -> pd.DataFrame:
        """One run at ``values`` in this process, as a worker makes it."""
        sc = self.observed.override(values) if values else self.observed
        return run_observed(sc, int(seed)).series

    def ensemble(self, points: Sequence[Mapping[str, float]], runs: int, **kw: Any) -> Any:
        """Run every point on ``runs`` common seeds as one ensemble (``fentanet.ensemble``'s
        sweep; a point given twice runs once): on Dask, every run kept in the store. ``kw``
        go to it (``seed``, ``scheduler``, ``store``, ``progress``...)."""
        from fentanet.calibrate.evaluate import point_key
        from fentanet.ensemble import ensemble

        # each point once: a design can hold a point twice (whole-number parameters), which
        # the ensemble refuses; the outcomes are read back by point
        unique = {point_key(p): dict(p) for p in points}
        return ensemble(self.root, runs, sweep=list(unique.values()),
                        overrides=self.fixed, model=run_observed, **kw)

    def value(self, name: str) -> float:
        """The value a parameter has in this model when not overridden."""
        return observed_value(self.observed, name)

    def integer_field(self, name: str) -> bool:
        """Whether the parameter takes whole numbers only (``network.generate.actors``)."""
        return self.observed.integer_field(name)


def observed_value(observed: ObservedScenario, name: str) -> float:
    """The value of a parameter (a dotted path or ``fentanyl.*``) in an observed scenario."""
    if name.startswith(TRANSITION_PREFIX):
        if observed.transition is None:
            raise InputError("no fentanyl transition in this model", field=name)
        return float(getattr(observed.transition, name[len(TRANSITION_PREFIX) :]))
    return _lookup(observed.scenario, name)


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

    def _split_values(
        self, values: Mapping[str, float]
    ) -> tuple[Any, FentanylTransition | None]:
        """The population parameters and the transition at ``values``."""
        own, rest = _split(values)
        pop = {}
        for k, v in rest.items():
            if not k.startswith(POPULATION_PREFIX):
                raise InputError(
                    f"the population surrogate takes only {POPULATION_PREFIX}* "
                    f"and {TRANSITION_PREFIX}* parameters",
                    field=k,
                )
            name = k[len(POPULATION_PREFIX) :]
            if not hasattr(self.base, name):
                raise InputError(f"no such population parameter '{k}'", field=k)
            pop[name] = v
        params = self.base.replace(**pop) if pop else self.base
        if own and self.transition is None:
            raise InputError("no fentanyl transition in this model", field=next(iter(own)))
        tr = self.transition.with_values(own) if self.transition else None
        return params, tr

    def at(self, values: Mapping[str, float]) -> PopulationModel:
        """The same model with ``values`` fixed (a new base)."""
        new = copy.copy(self)
        new.base, new.transition = self._split_values(values)
        return new

    def run(self, values: Mapping[str, float], seed: int) -> pd.DataFrame:
        """One run of the population model at ``values`` (in this process)."""
        from fentanet.simulate.population import PopulationInputs, run_population

        params, tr = self._split_values(values)
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
        return with_synthetic(series, tr, self.start_year, self.dt)

    def value(self, name: str) -> float:
        if name.startswith(TRANSITION_PREFIX):
            if self.transition is None:
                raise InputError("no fentanyl transition in this model", field=name)
            return float(getattr(self.transition, name[len(TRANSITION_PREFIX) :]))
        field = name[len(POPULATION_PREFIX) :]
        if name.startswith(POPULATION_PREFIX) and hasattr(self.base, field):
            return float(getattr(self.base, field))
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


def is_model(obj: Any) -> bool:
    """Whether ``obj`` is a model (``run(values, seed)`` and ``value(name)``), not a scenario."""
    return callable(getattr(obj, "run", None)) and callable(getattr(obj, "value", None))


def check_fixed(overrides: Mapping[str, Any] | None = None, *, start_year: int | None = None,
                years: float | None = None, transition: Any = None,
                varied: tuple[str, Sequence[str]] | None = None) -> None:
    """Refuse a parameter given a value twice in one model (:func:`fentanet.errors.one_role`):
    in ``overrides`` and by ``years`` or ``start_year``, or the potency trend in
    ``overrides`` while the fentanyl ``transition`` drives it, or a parameter ``varied``
    (``("fitted", names)``: fitted or varied by a design) that the model also fixes. Each
    pair would otherwise leave one value replaced by the other without a word."""
    roles: dict[str, Any] = {}
    if varied is not None:
        roles[varied[0]] = varied[1]
    roles.update({"fixed in overrides": overrides or {},
                  "the horizon (years=)": [] if years is None else ["years"],
                  "the start year (start_year=)": [] if start_year is None else ["start_year"],
                  "driven by the fentanyl transition (transition=)":
                      ["params.market.potency_trend"] if transition else []})
    one_role(roles, field="parameters" if varied is not None else "overrides")


def build_model(
    scenario: Any,
    model: str | Callable[..., Any] = "full",
    *,
    start_year: int | None = None,
    years: float | None = None,
    transition: FentanylTransition | bool | None = None,
    overrides: Mapping[str, Any] | None = None,
    seed: int = 1,
) -> Any:
    """The model of a scenario (name, YAML path or ``Scenario``): ``"full"`` (the simulation
    through ``fentanet.ensemble``), ``"population"`` (the surrogate, its status quo measured
    in a one-year full run with ``seed``), or a function with ``fentanet.simulate``'s
    signature run through ``fentanet.ensemble`` in its place. ``transition``: a
    :class:`FentanylTransition`, ``True`` for the default one, or none; ``overrides``:
    fixed dotted-path values. A model object given as ``scenario`` is returned as it is."""
    check_fixed(overrides, start_year=start_year, years=years, transition=transition)
    if years is not None and not years > 0:  # the surrogate's run then covered no year
        raise InputError(f"expected a horizon above 0 years, got {years:g}", field="years")
    if is_model(scenario):
        if any(v is not None for v in (start_year, years, overrides)) or transition:
            raise InputError(
                "start_year, years, transition and overrides apply to a scenario, not to a "
                "model object",
                field="model",
            )
        return scenario
    tr = FentanylTransition() if transition is True else (transition or None)
    from fentanet.ensemble import load_scenario

    if model == "population":
        sc = load_scenario(scenario)
        if overrides:
            sc = sc.override(dict(overrides))
        return PopulationModel.from_scenario(
            sc, start_year=start_year, years=years, transition=tr, seed=seed
        )
    if model == "full" or callable(model):
        # the scenario as named and the overrides apart: what the runs' setups record
        return ScenarioModel(scenario, start_year=start_year, years=years, transition=tr,
                             simulate=None if model == "full" else model,
                             overrides=overrides)
    raise InputError(f"expected one of {', '.join(MODELS)} or a function, got {model!r}",
                     field="model")
