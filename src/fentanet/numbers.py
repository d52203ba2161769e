"""Pydantic models whose number fields refuse ``true`` and ``false``.

Pydantic's lax mode reads a bool as 1 or 0, so ``years: true`` in a scenario file or
``regions: true`` in a generator spec would be taken as a number. Used by the network
generator's spec and the simulation's scenarios and parameters.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationInfo, field_validator


def bool_for_number(annotation: Any, value: Any) -> bool:
    """Whether ``value`` holds ``true`` or ``false`` where ``annotation`` takes a number (an
    ``int`` or ``float`` field, optional or not, or the values of a mapping or sequence of
    them). Pydantic's lax mode reads a bool as 1 or 0."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return bool_for_number(args[0], value)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        return bool(options) and all(bool_for_number(a, value) for a in options)
    if isinstance(value, bool):
        return annotation in (int, float)
    if origin is dict and isinstance(value, Mapping):
        return any(bool_for_number(args[1], v) for v in value.values())
    if origin in (tuple, list) and isinstance(value, list | tuple):
        if origin is list or (len(args) == 2 and args[1] is Ellipsis):
            return any(bool_for_number(args[0], v) for v in value)
        return any(bool_for_number(a, v) for a, v in zip(args, value, strict=False))
    return False


class NoBoolNumbers(BaseModel):
    """A model whose number fields refuse ``true``/``false`` with the message of any other
    wrong type (the model's own configuration is its subclass's)."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_bools(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        if field is not None and bool_for_number(field.annotation, value):
            raise ValueError("Input should be a valid number, not true or false")
        return value
