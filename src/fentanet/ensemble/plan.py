"""The plan of an ensemble: which runs, with which variant, parameters and seed.

Every variant and every sweep point runs the same seeds (common random numbers): run ``i``
of each uses seed ``base + i``, so a difference between variants at one seed comes from
the variant, not from the draws. Uncertain parameters are drawn once per seed
(:func:`draw_uncertain`), so every variant and sweep point at that seed runs the same
values too: a comparison then pairs runs alike in their draws and their parameters.
"""

from __future__ import annotations

import itertools
import math
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fentanet.errors import InputError
from fentanet.store.files import new_id

BASELINE = "baseline"


@dataclass(frozen=True)
class Variant:
    """A variant of the scenario: extra interventions and/or parameter overrides.

    ``interventions=None`` passes nothing to the model (for a variant the scenario names
    itself, e.g. one of its strategies); a tuple (even empty) is the variant's whole set of
    extra interventions, and the name is then only a label (``fentanet.simulate`` does not
    add a strategy of that name as well).
    """

    name: str
    interventions: tuple[Any, ...] | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunTask:
    """One run to make: sent to a worker."""

    run_id: str
    ensemble_id: str
    seed: int
    variant: Variant
    point: Mapping[str, Any]  # the sweep point (dotted-path overrides)
    base: Mapping[str, Any] = field(default_factory=dict)  # the scenario as named, and the
    # ensemble's own overrides: recorded in each run's setup

    @property
    def params(self) -> dict[str, Any]:
        """Every override applied to the scenario: the sweep point and the variant's."""
        return {**self.point, **self.variant.overrides}


def variants_from(variants: Any, *, add_baseline: bool = True) -> list[Variant]:
    """Normalise ``variants`` to a list starting with the baseline.

    Accepts ``None`` (baseline only); a sequence of names (variants the scenario defines)
    or of :class:`Variant`; or a mapping name -> list of interventions (or one intervention,
    a mapping with ``kind``), or name -> mapping of dotted-path overrides, as
    ``fentanet.compare`` takes them. A baseline is added unless one is given (or
    ``add_baseline`` is false and ``variants`` are given).
    """
    if variants is None:
        return [Variant(BASELINE, ())]
    out: list[Variant] = []
    if isinstance(variants, Mapping):
        for name, spec in variants.items():
            name = str(name)
            if isinstance(spec, Variant):
                out.append(spec)
            elif isinstance(spec, Mapping) and "kind" in spec:  # one intervention
                out.append(Variant(name, (dict(spec),)))
            elif isinstance(spec, Mapping):
                # overrides only: the name is a label, never also a strategy's interventions
                out.append(Variant(name, (), dict(spec)))
            elif spec is None:
                out.append(Variant(name, None))
            elif isinstance(spec, Iterable) and not isinstance(spec, str | bytes):
                out.append(Variant(name, tuple(spec)))
            else:
                raise InputError(f"variant {name!r}: expected a list of interventions or a "
                                 f"mapping of overrides, got {type(spec).__name__}",
                                 field="variants")
    elif isinstance(variants, str | bytes):
        raise InputError("variants: expected a list of names or a mapping, got a string",
                         field="variants")
    else:
        for v in variants:
            out.append(v if isinstance(v, Variant)
                       else Variant(str(v), () if str(v) == BASELINE else None))
    names = [v.name for v in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InputError(f"variant names must be unique; repeated: {dup}", field="variants")
    if BASELINE not in names:
        if add_baseline:
            out.insert(0, Variant(BASELINE, ()))
    else:
        out.sort(key=lambda v: v.name != BASELINE)
    return out


def distinct_names(names: Sequence[str], field: str) -> None:
    """Refuse variant names given at once (a command line's or a request's) that repeat
    one another or name the baseline: a mapping of them would keep one silently. The
    error names ``field`` and the name."""
    for i, name in enumerate(names):
        if name == BASELINE or name in names[:i]:
            why = (f"{BASELINE!r} is the scenario as it is" if name == BASELINE else
                   f"{name!r} is given twice")
            raise InputError("variant names must differ from each other and from "
                             f"{BASELINE!r}: {why}", field=field)


def sweep_points(sweep: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]] | None
                 ) -> list[dict[str, Any]]:
    """The points of a sweep: the Cartesian product of ``{"dotted.path": [v1, v2], ...}``,
    or an explicit list of points ``[{"a": 1, "b": 2}, ...]``. ``None``: one empty point.

    A value given twice to one parameter (``[0.5, 0.5]``), or a point given twice, is an
    :class:`InputError` naming the parameter and the value: the two points would run the
    same runs twice, and their seeds would count twice in every comparison."""
    if sweep is None:
        return [{}]
    if isinstance(sweep, Mapping):
        names = list(sweep)
        values = []
        for name in names:
            vals = sweep[name]
            if isinstance(vals, str | bytes) or not isinstance(vals, Iterable):
                vals = [vals]
            vals = list(vals)
            if not vals:
                raise InputError("a swept parameter needs at least one value", field=name)
            twice = _repeated(vals)
            if twice is not None:
                raise InputError(f"the value {twice!r} is given twice (values {vals}); each "
                                 "value is one sweep point: give it once", field=name)
            values.append(vals)
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]
    points = [dict(p) for p in sweep]
    if not points:
        raise InputError("a sweep needs at least one point", field="sweep")
    twice = _repeated(points)
    if twice is not None:
        raise InputError(f"the point {twice!r} is given twice; each point runs once: give it "
                         "once", field="sweep")
    return points


def _repeated(values: Sequence[Any]) -> Any:
    """The first value of ``values`` equal to an earlier one (``==``: 0.5 and 0.50 are one
    value, as the scenario takes them), or ``None``. Values need not be hashable."""
    seen: set[Any] = set()   # hashable values by (is a bool, value): one look-up each, where
    for i, v in enumerate(values):  # comparing each with every earlier one took hours for
        try:                         # a sweep of 10^6 values
            key = (isinstance(v, bool), v)
            hash(key)
        except TypeError:  # not hashable: compared with every earlier value
            if any(_same(v, w) for w in values[:i]):
                return v
            continue
        if _same(v, v) and key in seen:   # NaN is not a value given twice
            return v
        seen.add(key)
    return None


def _same(a: Any, b: Any) -> bool:
    """Whether two sweep values are the same value (``True`` and ``1`` are not)."""
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays and the like: not comparable as one value
        return False


def uncertain_ranges(spec: Mapping[str, Any] | None) -> dict[str, tuple[float, float]]:
    """Validate ``{"dotted.path": (low, high), ...}``: finite bounds, ``low < high``."""
    out: dict[str, tuple[float, float]] = {}
    if spec is None:
        return out
    if not isinstance(spec, Mapping):
        raise InputError(f"expected a mapping of name -> (low, high), got "
                         f"{type(spec).__name__}", field="uncertain")
    for name, bounds in spec.items():
        try:
            low, high = (float(b) for b in bounds)
        except (TypeError, ValueError):
            raise InputError(f"expected (low, high), got {bounds!r}", field=str(name)) from None
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise InputError(f"expected finite bounds low < high, got {low}, {high}",
                             field=str(name))
        out[str(name)] = (low, high)
    return out


def draw_uncertain(ranges: Mapping[str, tuple[float, float]], seed: int,
                   whole: Iterable[str] = ()) -> dict[str, float | int]:
    """The uncertain parameters' values for run seed ``seed``: each uniform on its range, or
    log-uniform for a positive range spanning a factor of 10 or more (as the sensitivity
    designs draw them), from its own stream keyed by the seed and the parameter's name
    (NumPy's ``SeedSequence([seed, crc32(name)])``). So a seed gets the same values in every
    variant and sweep point, and a parameter's values do not change when others are added.

    The parameters named in ``whole`` take whole numbers (``network.generate.actors``): the
    draw is made on ``[low, high + 1)`` and rounded down, so each of ``low .. high`` is as
    likely (log-uniform: ``k`` in proportion to ``log((k + 1) / k)``)."""
    whole = set(whole)
    out: dict[str, float | int] = {}
    for name, (low, high) in ranges.items():
        u = np.random.default_rng([int(seed), zlib.crc32(name.encode())]).random()
        top = high + 1 if name in whole else high
        if low > 0 and high / low >= 10:
            x = math.exp(math.log(low) + u * math.log(top / low))
        else:
            x = low + u * (top - low)
        out[name] = min(math.floor(x), int(high)) if name in whole else float(x)
    return out


def plan(runs: int, variants: list[Variant], points: list[dict[str, Any]], base_seed: int,
         ensemble_id: str, base: Mapping[str, Any] | None = None,
         uncertain: Mapping[str, tuple[float, float]] | None = None,
         whole: Iterable[str] = (), *, run_ids: Sequence[str] | None = None,
         drawn: Sequence[Mapping[str, Any]] | None = None) -> list[RunTask]:
    """All runs, seed-major (seed 0 of every variant and point first), so that a partial
    ensemble (interrupted) still holds complete pairs for comparison. ``base``
    (``{"scenario": name or path, "overrides": {...}}``) goes with every task; the values
    of the ``uncertain`` parameters drawn for a seed (:func:`draw_uncertain`) join each
    point of that seed's runs (whole numbers for those named in ``whole``).

    ``run_ids`` (in this order) and ``drawn`` (the values drawn for each seed, in order)
    make the tasks of a stored plan again (:func:`fentanet.ensemble.resume`): the same runs
    with the same ids and values, without drawing."""
    if int(runs) < 1:
        raise InputError(f"runs must be at least 1, got {runs}", field="runs")
    if int(base_seed) < 0:
        raise InputError(f"seed must be non-negative, got {base_seed}", field="seed")
    base = dict(base or {})
    ids = iter(run_ids) if run_ids is not None else None
    tasks = []
    for i in range(int(runs)):
        seed = int(base_seed) + i
        values = dict(drawn[i]) if drawn is not None else draw_uncertain(uncertain or {},
                                                                         seed, whole)
        tasks += [RunTask(new_id() if ids is None else next(ids), ensemble_id, seed, v,
                          {**p, **values}, base)
                  for p in points for v in variants]
    return tasks


def drawn_values(tasks: Sequence[RunTask], runs: int, uncertain: Iterable[str]
                 ) -> list[dict[str, Any]]:
    """The values of the ``uncertain`` parameters each seed drew, in seed order, as the
    tasks of :func:`plan` hold them (what a stored plan keeps)."""
    names = list(uncertain)
    if not names:
        return []
    per = len(tasks) // int(runs)
    return [{k: tasks[i * per].point[k] for k in names} for i in range(int(runs))]
