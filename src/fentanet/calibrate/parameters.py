"""The parameters a calibration fits or a sensitivity analysis varies: a name and a range.

Names are the scenario's dotted paths (``params.population.overdose_rate``,
``params.market.elasticity``, ``years``) or the fields of the exogenous fentanyl
transition (``fentanyl.midpoint``, ``fentanyl.width``, ``fentanyl.heroin_risk``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from fentanet.errors import InputError

YEARS = frozenset({"fentanyl.midpoint"})
"""Parameters that are calendar years: searched on their own scale whatever their bounds."""


@dataclass(frozen=True)
class Parameter:
    """A parameter to fit (or vary): its name, bounds, and optionally a start value.

    ``start`` is where a fit starts and the base value of a tornado (default: the middle of
    the range for a fit, the model's own value for a tornado). ``log`` (default: when
    ``low > 0``, except for a calendar year, :data:`YEARS`) fits it on the log scale.
    """

    name: str
    low: float
    high: float
    start: float | None = None
    log: bool | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise InputError("a parameter needs a name", field="param")
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise InputError(
                f"expected finite bounds low < high, got {self.low}, {self.high}", field=self.name
            )
        if self.start is not None and not self.low <= self.start <= self.high:
            raise InputError(
                f"start {self.start} is outside [{self.low}, {self.high}]", field=self.name
            )
        if self.log and self.low <= 0:
            raise InputError("a log-scale parameter needs low > 0", field=self.name)

    @property
    def on_log(self) -> bool:
        """Whether the fit searches on the log scale: ``log`` when given, else for positive
        bounds, except a calendar year (:data:`YEARS`: a date has no natural zero)."""
        if self.log is not None:
            return bool(self.log)
        return self.low > 0 and self.name not in YEARS

    def to_u(self, x: float | np.ndarray) -> Any:
        return np.log(x) if self.on_log else np.asarray(x, dtype=float)

    def from_u(self, u: float | np.ndarray) -> Any:
        return np.exp(u) if self.on_log else np.asarray(u, dtype=float)

    @property
    def u_bounds(self) -> tuple[float, float]:
        return float(self.to_u(self.low)), float(self.to_u(self.high))

    def u_start(self) -> float:
        if self.start is not None:
            return float(self.to_u(self.start))
        lo, hi = self.u_bounds
        return (lo + hi) / 2

    @classmethod
    def parse(cls, text: str, third: str = "start") -> Parameter:
        """``name=low:high`` or ``name=low:high:start`` (the command line's form; ``third``
        is what the command calls the third value in its messages: a sensitivity's tornado
        holds the others at it, its ``base``)."""
        form = f"NAME=LOW:HIGH[:{third.upper()}]"
        name, sep, rng = text.partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            parts = [float(p) for p in rng.split(":")]
        except ValueError:
            raise InputError(f"expected {form}, got {text!r}", field="--param") from None
        if len(parts) not in (2, 3):
            raise InputError(f"expected {form}, got {text!r}", field="--param")
        return cls(name.strip(), parts[0], parts[1], parts[2] if len(parts) == 3 else None)


def parameters_from(spec: Any, third: str = "start") -> list[Parameter]:
    """Normalise parameters given as a mapping ``name -> (low, high[, start])``, a sequence
    of :class:`Parameter`, or strings ``"name=low:high[:start]"`` (``third``: what the
    messages call the third value, as :meth:`Parameter.parse`)."""
    if spec is None:
        raise InputError("give at least one parameter", field="parameters")
    items: Iterable[Any]
    if isinstance(spec, Mapping):
        items = []
        for name, r in spec.items():
            if isinstance(r, Parameter):
                items.append(r)
                continue
            try:
                values = [float(v) for v in r]
            except (TypeError, ValueError):
                raise InputError(
                    f"expected (low, high[, {third}]), got {r!r}", field=str(name)
                ) from None
            if len(values) not in (2, 3):
                raise InputError(f"expected (low, high[, {third}]), got {r!r}",
                                 field=str(name))
            items.append(Parameter(str(name), *values))
    elif isinstance(spec, Parameter | str):
        items = [spec]
    else:
        items = spec
    out = [p if isinstance(p, Parameter) else Parameter.parse(str(p), third) for p in items]
    if not out:
        raise InputError("give at least one parameter", field="parameters")
    names = [p.name for p in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InputError(f"a parameter is given twice: {dup}", field="parameters")
    return out
