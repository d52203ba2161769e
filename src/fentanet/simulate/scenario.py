"""Scenarios: the network, parameters, interventions, horizon and seed of a simulation.

A scenario is a YAML file validated by :class:`Scenario` (pydantic). Invalid files raise
:class:`~fentanet.errors.InputError` naming the file, the field (dotted path) and what is
allowed. :meth:`Scenario.digest` is a stable SHA-256 of the content and
:meth:`Scenario.override` returns a copy with dotted-path overrides (used by sweeps,
sensitivity analysis and calibration).

>>> s = Scenario(name="t", network={"generate": {"actors": 100}})
>>> s.override({"params.market.elasticity": 0.7}).params.market.elasticity
0.7
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from fentanet.errors import InputError
from fentanet.network import yamltext
from fentanet.network.generator import SupplySpec, checked_spec
from fentanet.network.textfile import read_text
from fentanet.simulate.params import (
    COST_PER_UNIT_MAX,
    INTERVENTION_KINDS,
    MODES,
    PUBLIC_HEALTH_KINDS,
    CostParams,
    NumbersModel,
    Params,
    TargetRule,
)

DT_NAMES = {"day": 1 / 365.25, "week": 1 / 52, "month": 1 / 12, "quarter": 0.25}
DT_MIN = 1 / 366
"""The shortest step: a day (of a leap year). The model's rates, delays and covers are set
for steps of a day to a year; a step of an hour made a spin-up of 8,760 steps, and at 1e-4
years the fuzzing of the twenty-first session saw supply half the weekly run's, unexplained."""

INTENSITY_MAX = 1e6
"""Largest intensity of an intervention. Effects saturate far below it (every enforcement
lever's arrests, seizures and supply stop changing from about 1e3; the audit of session 11
ran 11 kinds up to 1e300); above it only the cost grows, and at 1e308 it overflowed to inf
(and the comparison's intervals to NaN)."""

OPERATIONS = tuple(kind for kind, spec in INTERVENTION_KINDS.items()
                   if spec["acts_on"] and kind != "intelligence_sharing")
"""Interventions that are operations against actors: those that take a ``target`` and
``once`` (intelligence sharing raises every hazard and chooses no one)."""

BASELINE = "baseline"
"""The variant that is the scenario as it is (no strategy may take its name)."""

WORLD_FIELDS = {
    "seed": "the run seed, which also seeds a generated network by default",
    "years": "the horizon",
    "dt": "the step",
    "warmup_years": "the spin-up, which sets the status quo",
    "start_year": "the calendar year of time 0",
    "network": "the network",
}
"""Scenario fields a comparison's variant may not set (``fentanet.compare``,
``fentanet.ensemble``): the baseline and every variant run the same world (network,
spin-up, calendar), horizon, step and seed, so that a difference comes from the variant's
interventions or model parameters, not from a different or longer run or other draws
(common random numbers). A field under one of these (``network.seed``) counts as it. The
rest stay open to variants: ``params.*`` (model parameters), ``interventions``,
``strategies``, ``retarget_every`` (how operations retarget: part of a strategy), ``name``
and ``description``. Sweeps, uncertain ranges and ``overrides=`` set these fields for the
baseline and the variants alike, and stay free to, except where :data:`NOT_SWEPT` and
:data:`NOT_UNCERTAIN` refuse them (the run seed; the horizon, step and calendar drawn per
seed)."""


def check_variant_overrides(name: str, overrides: Any) -> None:
    """Refuse a variant whose dotted-path ``overrides`` set a field of :data:`WORLD_FIELDS`:
    an :class:`InputError` naming the variant and the field, and why."""
    for dotted in overrides:
        top = str(dotted).split(".", 1)[0]
        if top in WORLD_FIELDS:
            raise InputError(
                f"variant {name!r} sets {dotted}, {WORLD_FIELDS[top]}: a variant may change "
                "only interventions and model parameters, since a comparison needs the same "
                "world, horizon, step and seed as its baseline (common random numbers); set "
                f"{dotted} for every run instead", field="variants")


def no_strategy(scenario: Any, names: Iterable[str], *, field: str = "variants"
                ) -> InputError:
    """The error for variant ``names`` given alone that ``scenario`` has no strategy of, one
    text wherever they are given (``fentanet.simulate``, ``compare``, ``ensemble``, the
    command line): the scenario's strategies, and how to give another variant. A misspelt
    name must not run as a copy of the baseline (it compared as "averts nothing")."""
    have = list(getattr(scenario, "strategies", None) or {})
    return InputError(f"scenario {getattr(scenario, 'name', '')!r} has no strategy "
                      f"{', '.join(map(repr, names))}; it has {', '.join(have) or 'none'} "
                      "(give other variants as interventions or overrides)", field=field)


def variant_interventions(name: str, interventions: Iterable[Intervention | Mapping[str, Any]],
                          *, field: str = "variants", indexed: bool = True
                          ) -> tuple[Intervention, ...]:
    """The interventions of variant ``name``, validated: an invalid one is an
    :class:`InputError` whose text names the variant, the intervention's place and its
    field (``variant 'v', interventions[0].intensity: expected at most 1e+06 ...``; the
    place alone for a check of the whole intervention, such as an ``end`` equal to its
    ``start``; no place with ``indexed=False``, for the command line's variants of one
    intervention each), and whose field is ``field`` (the argument or option the variants
    came in)."""
    out = []
    for i, item in enumerate(interventions):
        if isinstance(item, Intervention):
            out.append(item)
            continue
        try:
            out.append(_validated(Intervention, item))
        except InputError as exc:
            where = [f"variant {name!r}", f"interventions[{i}]" if indexed else None]
            inner = ".".join(w for w in (where[1], exc.field) if w)
            text = ", ".join(w for w in (where[0], inner) if w)
            raise InputError(f"{text}: {exc.detail}", field=field) from None
    return tuple(out)


class Target(NumbersModel):
    """Which actors an operation aims at, recomputed every ``retarget_every`` years."""

    rule: TargetRule = Field("random", description="random, top by a centrality, key "
                             "players, the minimum cut, or the optimal interdiction set")
    count: int = Field(10, ge=1, description="number of actors (organizations for a "
                       "takedown) targeted at a time")
    view: Literal["known", "true"] = Field("known", description="rank the network the police "
                                           "know (default) or the true one (oracle)")
    sample: int | None = Field(256, ge=1, description="sources for sampled betweenness on "
                               "networks above 2,000 actors, known or true (null: exact)")

    @field_validator("view", mode="before")
    @classmethod
    def _view(cls, value: Any) -> Any:
        """``view: true`` is the oracle: YAML reads the word as a boolean (it was refused as
        "not 'known' or 'true'"); ``false`` names no view."""
        if value is True:
            return "true"
        if value is False:
            raise ValueError("expected known (the network the police know) or true (the "
                             "oracle)")
        return value


class Intervention(NumbersModel):
    """One countermeasure of DESIGN.md's table, active on [start, end)."""

    kind: Literal[tuple(INTERVENTION_KINDS)] = Field(  # type: ignore[valid-type]
        description="the countermeasure (section 7.1's table)")
    start: float = Field(0.0, ge=0, description="years since the start of the run")
    end: float | None = Field(None, description="years since the start of the run, after "
                              "start (not given: to the horizon)")
    intensity: float = Field(1.0, ge=0, description="effort, at most 1e6 (effects saturate "
                             "far below); for public-health levers the coverage in [0, 1]")
    cost_per_unit: float | None = Field(None, ge=0, description="USD per unit of intensity "
                                        "per year, at most 1e12 (not given: "
                                        "params.costs.usd_per_unit of its kind times "
                                        "params.costs.scale)")
    target: Target | None = Field(None, description="targeting rule of an operation against "
                                  "actors (not given: raise effort on every actor of its "
                                  "kinds)")
    once: bool = Field(False, description="a one-time operation at `start` (with a "
                       "target): each targeted actor (or member of a targeted "
                       "organization) is arrested with probability min(1, intensity); "
                       "without an `end` the operation is over after that step, with one "
                       "its targets stay under raised pressure until `end`")
    modes: tuple[Literal[MODES], ...] | None = Field(  # type: ignore[valid-type]
        None, description="route modes screened (border security default land, air, sea; "
        "postal screening default postal, online)")

    @field_validator("intensity")
    @classmethod
    def _intensity(cls, x: float) -> float:
        if x > INTENSITY_MAX:
            raise ValueError(f"expected at most {INTENSITY_MAX:g}: effects saturate far below "
                             "it and only the cost would grow (docs/model.md 7.1)")
        return x

    @field_validator("cost_per_unit")
    @classmethod
    def _cost(cls, x: float | None) -> float | None:
        if x is not None and x > COST_PER_UNIT_MAX:
            raise ValueError(f"expected at most {COST_PER_UNIT_MAX:g} USD per unit of "
                             "intensity per year, so that costs stay finite (docs/model.md "
                             "7.1)")
        return x

    @model_validator(mode="after")
    def _check(self) -> Intervention:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        if self.end is not None and self.end == self.start:
            fix = ("leave end out for a one-time strike at start" if self.once
                   else "give an end after start, or none to run to the horizon")
            raise ValueError(f"end equals start ({self.start}): the window [start, end) is "
                             f"empty and the intervention would never act; {fix}")
        if self.kind in PUBLIC_HEALTH_KINDS and self.intensity > 1:
            raise ValueError(f"intensity of {self.kind} is a coverage in [0, 1], "
                             f"got {self.intensity}")
        if (self.target is not None or self.once) and self.kind not in OPERATIONS:
            raise ValueError(f"{self.kind} is not an operation against actors: no target or "
                             f"once (they apply to {', '.join(OPERATIONS)})")
        if self.once and self.target is None:
            raise ValueError("a one-time operation needs a target")
        if self.modes is not None and self.kind not in ("border_security", "postal_screening"):
            raise ValueError(f"{self.kind} screens no route modes; modes apply to "
                             "border_security, postal_screening")
        return self

    def unit_cost(self, costs: CostParams | None = None) -> float:
        """USD per unit of intensity per year: the intervention's own ``cost_per_unit``,
        else the scenario's default for its kind times its scale (``params.costs``; the
        national defaults without it)."""
        if self.cost_per_unit is not None:
            return self.cost_per_unit
        costs = CostParams() if costs is None else costs
        return float(costs.usd_per_unit[self.kind] * costs.scale)

    @property
    def screened_modes(self) -> tuple[str, ...]:
        if self.modes is not None:
            return tuple(self.modes)
        if self.kind == "border_security":
            return ("land", "air", "sea")
        if self.kind == "postal_screening":
            return ("postal", "online")
        return ()


class _SpecError(ValueError):
    """The generator's error on a scenario's ``network.generate`` (field inside the spec)."""

    def __init__(self, exc: InputError) -> None:
        super().__init__(exc.detail)
        self.field, self.detail = exc.field, exc.detail
        self.problems = getattr(exc, "problems", None) or [(exc.field, exc.detail)]


class NetworkSpec(NumbersModel):
    """Where the network comes from: a generator spec or a file."""

    generate: dict[str, Any] | None = Field(None, description="spec for fentanet.generate "
                                            "(docs/network.md: its fields, defaults and "
                                            "which are assumptions)")
    file: str | None = Field(None, description="path of a network file (relative to the "
                             "scenario file)")
    format: str | None = Field(None, description="format of the file (default: detected)")
    seed: int | None = Field(None, ge=0, description="generator seed (default: the "
                             "scenario's seed, not the run seed: a scenario's runs share one "
                             "network)")

    @field_validator("format")
    @classmethod
    def _format(cls, name: str | None) -> str | None:
        """A format a reader has, checked with the scenario (it was said at the run, as
        field 'format' without the scenario's file)."""
        if name is not None:
            from fentanet.network.io import formats

            able = [f.name for f in formats() if f.reader is not None]
            if name not in able:
                raise ValueError(f"no reader for this format; expected one of: "
                                 f"{', '.join(able)}")
        return name

    @field_validator("generate")
    @classmethod
    def _spec(cls, spec: dict[str, Any] | None) -> dict[str, Any] | None:
        """A generator spec is checked here, as the generator would, so that a misspelt spec
        field or counts no network can meet (in the file or set by an override) are refused
        with the scenario, naming its file."""
        if spec is not None:
            try:
                checked_spec(spec)  # its counts' rules too (said at the run before)
            except InputError as exc:
                raise _SpecError(exc) from None
        return spec

    @model_validator(mode="after")
    def _one(self) -> NetworkSpec:
        if (self.generate is None) == (self.file is None):
            raise ValueError("give exactly one of 'generate' (a generator spec) or 'file'")
        return self


class Scenario(NumbersModel):
    """A simulation scenario (see the module docstring and docs/model.md)."""

    name: str = Field("scenario", description="name of the scenario")
    description: str = Field("", description="what the scenario stands for (free text)")
    seed: int = Field(1, ge=0, lt=2**63, description="default run seed")
    years: float = Field(5.0, gt=0, le=200, description="horizon in years")
    dt: float = Field(1 / 52, gt=0, le=1, description="the step: years, or its name")
    start_year: int | None = Field(None, description="calendar year of time 0 (optional; "
                                   "adds the series' year column)")
    warmup_years: float = Field(1.0, ge=0, le=10, description="spin-up of the supply chain "
                                "before time 0 (stocks, cash and the trade under routine "
                                "enforcement settle; sets the reference supply of the price "
                                "index; half a year leaves a large network's offer still "
                                "falling, docs/model.md section 3)")
    retarget_every: float = Field(0.25, gt=0, description="years between recomputations of "
                                  "operation targets")
    network: NetworkSpec = Field(description="where the network comes from: "
                                 "network.generate or network.file")
    params: Params = Field(Params(), description="the model's parameters (the tables above "
                           "and docs/model-population.md); a scenario gives only those it "
                           "changes")
    interventions: tuple[Intervention, ...] = Field((), description="interventions in force "
                                                    "in every run of the scenario, its "
                                                    "baseline's too")
    strategies: dict[str, tuple[Intervention, ...]] = Field(
        default_factory=dict, description="named lists of interventions for comparisons")
    base_dir: str | None = Field(None, exclude=True, description="folder the scenario was "
                                 "read from (for relative network files)")

    @field_validator("dt", mode="before")
    @classmethod
    def _dt(cls, v: Any) -> Any:
        if isinstance(v, str):
            if v not in DT_NAMES:
                raise ValueError(f"dt must be a number of years or one of {sorted(DT_NAMES)}")
            return DT_NAMES[v]
        return v

    @field_validator("dt")
    @classmethod
    def _dt_at_least_a_day(cls, v: float) -> float:
        if v < DT_MIN:
            raise ValueError(f"a step of {v:.4g} years is shorter than a day: dt takes "
                             f"{DT_MIN:.6g} (a day) to 1 year, or one of {sorted(DT_NAMES)}")
        return v

    @field_validator("strategies")
    @classmethod
    def _strategy_names(cls, value: dict[str, Any]) -> dict[str, Any]:
        """A strategy's name labels its runs and picks it as a variant: not empty, and not
        ``baseline`` (a strategy of that name was read, then every comparison failed)."""
        for name in value:
            if not name.strip():
                raise ValueError(f"strategy {name!r}: a strategy needs a name")
            if name == BASELINE:
                raise ValueError(f"strategy {name!r}: the name of the scenario as it is, with "
                                 "which every strategy is compared; give the strategy another "
                                 "name")
        return value

    @model_validator(mode="after")
    def _one_step(self) -> Scenario:
        if round(self.years / self.dt) < 1:
            raise ValueError(f"years ({self.years}) is less than half a step (dt {self.dt:.4g} "
                             "years): the horizon must hold at least one step")
        return self

    @property
    def steps(self) -> int:
        """Number of steps of the horizon (the horizon rounded to whole steps)."""
        return round(self.years / self.dt)

    def digest(self) -> str:
        """Stable SHA-256 (hex) of the scenario's content."""
        data = self.model_dump(mode="json")
        blob = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def override(self, values: dict[str, Any]) -> Scenario:
        """A new scenario with dotted-path overrides, e.g. ``{"params.market.elasticity": 0.7,
        "years": 3}``; the result is validated again."""
        data = self.model_dump(mode="python")
        for dotted, value in values.items():
            keys = dotted.split(".")
            node = data
            for i, key in enumerate(keys[:-1]):
                if not isinstance(node, dict) or key not in node:
                    raise InputError(f"no such scenario field '{'.'.join(keys[:i + 1])}'",
                                     field=dotted)
                if node[key] is None:
                    node[key] = {}
                node = node[key]
            if not isinstance(node, dict):
                raise InputError("cannot override inside a non-mapping value", field=dotted)
            if keys[-1] not in node and not _open_mapping(self, keys[:-1]):
                allowed = ", ".join(sorted(node)) or "none"
                raise InputError(f"no such scenario field '{dotted}' (allowed here: "
                                 f"{allowed})", field=dotted)
            node[keys[-1]] = copy.deepcopy(value)
        return from_dict(data, base_dir=self.base_dir)

    def integer_field(self, dotted: str) -> bool:
        """Whether the field at the dotted path takes whole numbers only (an ``int`` field of
        the scenario, its parameters or its generator spec, such as
        ``network.generate.actors``); False for any other path, known or not."""
        annotation: Any = type(self)
        keys = dotted.split(".")
        for i, key in enumerate(keys):
            if keys[:i] == ["network", "generate"]:
                annotation = SupplySpec  # an open mapping here, checked as the generator's spec
            annotation = _plain(annotation)
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                field = annotation.model_fields.get(key)
                annotation = None if field is None else field.annotation
            elif typing.get_origin(annotation) is dict:
                annotation = typing.get_args(annotation)[1]
            else:
                return False
        return _plain(annotation) is int

    def with_interventions(self, interventions: list[Intervention | dict]) -> Scenario:
        """A copy with these interventions added to the scenario's own."""
        extra = tuple(i if isinstance(i, Intervention) else _validated(Intervention, i)
                      for i in interventions)
        return self.model_copy(update={"interventions": self.interventions + extra})


def _open_mapping(s: Scenario, keys: list[str]) -> bool:
    """Whether the mapping at ``keys`` takes arbitrary keys (dict-typed fields)."""
    model: Any = type(s)
    for key in keys:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return False
        field = model.model_fields.get(key)
        if field is None:
            return False
        model = _plain(field.annotation)
    return typing.get_origin(model) is dict


def _plain(annotation: Any) -> Any:
    """The type an annotation holds, without ``Annotated[...]`` or ``| None``."""
    while True:
        origin = typing.get_origin(annotation)
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType) and len(args) == 1:
            annotation = args[0]
        else:
            return annotation


def _validated(model: type[BaseModel], data: Any, file: str | None = None) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _input_error(exc, file, model) from None


def _model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class at ``loc`` (field names, list positions, mapping keys) under
    ``root``."""
    model: type[BaseModel] | None = root
    for key in loc:
        field = model.model_fields.get(key) if model is not None else None
        if field is not None:  # else a list position or a mapping's key: the same model
            model = _inner_model(field.annotation)
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    """The model class an annotation holds (itself, or inside a tuple, dict or union)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        model = _inner_model(arg)
        if model is not None:
            return model
    return None


def _input_error(exc: ValidationError, file: str | None,
                 root: type[BaseModel] = Scenario) -> InputError:
    """One :class:`InputError` for every problem pydantic found, in the file ``file``: an
    unknown field first (with the known field nearest to it: ``unknown field 'netwrk'
    (did you mean 'network'?)``), since a misspelt key is often why another is missing,
    then the others, each naming its field. Until the eighteenth session only the first
    was said, with "(and 1 more problem(s))" hiding a misspelt key behind the field it
    left missing."""
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    (loc, text), *rest = (_problem(e, root) for e in errors)
    also = "".join(f"; and field '{where}': {what}" if where else f"; and {what}"
                   for where, what in rest)
    return InputError(f"{text}{also}", file=file, field=loc or None)


def _problem(err: Any, root: type[BaseModel]) -> tuple[str, str]:
    """The field (dotted) and the text of one of pydantic's errors."""
    loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-"))
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        model = _model_at(root, tuple(err["loc"][:-1]))
        if model is not None:
            allowed = [f for f, info in model.model_fields.items() if not info.exclude]
            key = str(err["loc"][-1])
            near = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            msg = f"unknown field {key!r}{hint}; expected one of: {', '.join(allowed)}"
    elif err["type"] == "missing":
        msg = "required, and not given"
    elif err["type"] == "tuple_type":  # a YAML sequence
        msg = "Input should be a list"
    elif err["type"] == "model_type":  # pydantic named its class ("or instance of Target")
        model = _model_at(root, tuple(err["loc"]))
        fields = [] if model is None else [f for f, info in model.model_fields.items()
                                           if not info.exclude]
        msg = f"expected a mapping of fields ({', '.join(fields)})"
    elif err["type"] == "dict_type":
        msg = "expected a mapping" + (" of strategy names to lists of interventions"
                                      if err["loc"] == ("strategies",) else "")
    elif err["type"] == "value_error":  # our own checks' messages, without pydantic's prefix
        msg = msg.removeprefix("Value error, ")
    # the value, unless it is the whole scenario or a group of parameters (a check across
    # their fields, whose message names them)
    across = err["type"] not in ("model_type", "dict_type") and (
        not loc or _model_at(root, tuple(err["loc"])) is not None)
    got = "" if across else f"; got {err.get('input')!r}"
    spec_error = err.get("ctx", {}).get("error")
    if isinstance(spec_error, _SpecError):  # the fields inside the generator spec, named
        (first, msg), *rest = spec_error.problems  # as the scenario's: network.generate.x
        msg += "".join(f"; and field '{loc}.{where}': {what}" for where, what in rest)
        loc, got = f"{loc}.{first}", ""
    return loc, f"{msg}{got}"


def from_dict(data: dict[str, Any], *, file: str | None = None,
              base_dir: str | None = None) -> Scenario:
    """Validate a mapping as a scenario (errors name the field and what is allowed)."""
    if not isinstance(data, dict):
        raise InputError("a scenario must be a mapping of fields", file=file)
    data = dict(data)
    if base_dir is not None:
        data["base_dir"] = base_dir
    return _validated(Scenario, data, file)


def read(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file."""
    path = Path(path)
    text = read_text(path, expected="a YAML scenario")  # the bad byte's line, not a traceback
    try:
        data = yamltext.load(text)  # safe, and a key given twice is refused
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = None if mark is None else mark.line + 1
        raise InputError(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=str(path),
                         line=line) from None
    return from_dict(data, file=str(path), base_dir=str(path.parent.resolve()))


NOT_SWEPT = ("seed", "name", "description")
"""Fields a sweep point (``sweep=``, ``--param``) may not set (:func:`check_drawn_and_swept`):
the run seed (run ``i`` of an ensemble runs at the first seed + ``i`` whatever the scenario's
``seed`` says) and the labels, which change no run."""

NOT_UNCERTAIN = ("seed", "years", "dt", "start_year", "name", "description")
"""Fields an uncertain range (``uncertain=``, ``--uncertain``) may not draw
(:func:`check_drawn_and_swept`): those of :data:`NOT_SWEPT`, and the horizon, step and
calendar of :data:`WORLD_FIELDS`, which drawn per seed would give runs of other lengths,
steps or years side by side in the bands over seeds. The spin-up and the network
(``network.generate.actors``, ``network.seed``) may be drawn: the runs keep one time axis."""


def check_drawn_and_swept(uncertain: Any = (), swept: Any = ()) -> None:
    """Refuse a field of :data:`NOT_UNCERTAIN` among the uncertain ranges' names, or one of
    :data:`NOT_SWEPT` among the swept paths: an :class:`InputError` naming the field, why,
    and what to use instead (before any run)."""
    for name in uncertain:
        if name in NOT_UNCERTAIN:
            raise InputError(_not_a_parameter(name, "uncertain (--uncertain)"), field=name)
    for name in swept:
        if name in NOT_SWEPT:
            raise InputError(_not_a_parameter(name, "swept (--param)"), field=name)


def _not_a_parameter(name: str, role: str) -> str:
    if name == "seed":
        return (f"the run seed cannot be {role}: run i of an ensemble runs at the first seed "
                "+ i whatever the scenario's seed says, so the values would be recorded and "
                "not used; give the first seed with --seed and the number of seeds with --runs "
                "(seed=, runs= in Python)")
    if name in ("name", "description"):
        return f"the scenario's {name} labels it and changes no run: it cannot be {role}"
    what = WORLD_FIELDS[name]
    mixed = {"years": "runs of other lengths", "dt": "runs of other steps",
             "start_year": "runs of other calendar years"}[name]
    return (f"{what} cannot be {role}: drawn per seed, it would put {mixed} side by side in "
            f"the bands and comparisons over seeds; sweep it (--param {name}=A,B: each value "
            f"its own sweep point) or set it for every run (--set {name}=VALUE"
            + (", --years" if name == "years" else "") + ")")



WORLD_SET = ("seed", "years", "dt", "start_year", "warmup_years", "retarget_every")
"""Top-level fields :func:`values_set` names when a scenario gives them."""


def values_set(scenario: Scenario) -> list[str]:
    """The dotted paths of the values a scenario gives (the rest are defaults): the top-level
    settings of :data:`WORLD_SET`, every field of ``network`` and of ``params`` it sets, down
    to a generator spec's and the population model's keys (``params.population.p0``); a
    per-kind mapping counts as one value. Its interventions and strategies are its own."""
    out = [name for name in WORLD_SET if name in scenario.model_fields_set]
    out += [f"network.generate.{key}" for key in scenario.network.generate or {}]
    out += [f"network.{name}" for name in ("file", "format", "seed")
            if name in scenario.network.model_fields_set]
    params = scenario.params
    for group in params.model_fields:
        if group not in params.model_fields_set:
            continue
        value = getattr(params, group)
        if isinstance(value, BaseModel):
            out += [f"params.{group}.{name}" for name in value.model_fields
                    if name in value.model_fields_set]
        else:  # the population model's overrides
            out += [f"params.{group}.{key}" for key in value]
    return out


FIELD_TABLES = (("", Scenario), ("network.", NetworkSpec), ("interventions[i].", Intervention),
                ("interventions[i].target.", Target))
"""The models of a scenario file and the prefix of their fields in
:func:`field_markdown` (a strategy's interventions are those of ``interventions``)."""


def field_markdown() -> str:
    """The table of a scenario file's fields in docs/model.md section 8: each field with its
    default, what it takes and its meaning, from the models (generated: a test keeps the
    doc's table in step with the code)."""
    lines = ["| field | default | takes | meaning |", "|---|---|---|---|"]
    for prefix, model in FIELD_TABLES:
        for name, info in model.model_fields.items():
            if info.exclude:
                continue
            lines.append(f"| `{prefix}{name}` | {_field_default(name, info)} | "
                         f"{_field_takes(name, info)} | {info.description} |")
    return "\n".join(lines)


def _field_default(name: str, info: Any) -> str:
    if info.is_required():
        return "required"
    value = info.get_default(call_default_factory=True)
    if name == "dt":
        return "week (1/52)"
    if isinstance(value, BaseModel):
        return "the defaults"
    if value is None or value in ((), {}):
        return "not given"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value) if value != "" else "empty"


def _field_takes(name: str, info: Any) -> str:
    """What a field takes, from its type and bounds (``> 0, <= 200``)."""
    if name == "dt":
        return "years from a day (1/366) to 1, or day, week, month, quarter"
    if name == "kind":
        return "an intervention of section 7.1's table"
    annotation = _plain(info.annotation)
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is Literal:
        return ", ".join(map(str, args))
    if typing.get_origin(annotation) is tuple:
        inner = args[0] if args else None
        if typing.get_origin(inner) is Literal:
            return "a list of " + ", ".join(map(str, typing.get_args(inner)))
        return "a list of interventions" if inner is Intervention else "a list"
    if typing.get_origin(annotation) is dict:
        return ("a mapping of names to lists of interventions" if name == "strategies"
                else "a mapping")
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "a mapping"
    what = {bool: "true, false", str: "text", int: "a whole number",
            float: "a number"}.get(annotation, str(annotation))
    bounds = []
    for bound in info.metadata:
        for attr, sign in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
            x = getattr(bound, attr, None)
            if x is not None:
                bounds.append(f"{sign} {'2**63' if x == 2**63 else f'{x:g}'}")
    return f"{what} {', '.join(bounds)}" if bounds else what
