"""Errors fentanet raises for bad input.

Every error a user can cause is a :class:`FentanetError`; the CLI prints its message on one
line and exits with status 2. Input errors name where the problem is (file, line, field)
and what was expected.
"""

from __future__ import annotations

import contextlib
import numbers
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from pathlib import Path


class FentanetError(Exception):
    """Base class of errors caused by the user's input or request, not by a bug."""


class InputError(FentanetError, ValueError):
    """Bad input: a file, a table, a parameter. The message names where and what was expected.

    Parameters
    ----------
    message
        What is wrong and what was expected.
    file, line, field
        Where: the file (path), the 1-based line in it, and the field (column, key or
        parameter name). Each is optional; those given are prefixed to the message as
        ``file:line: field 'name':``.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file = None if file is None else str(file)
        self.line = line
        self.field = field
        self.detail = message
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = ""
        if self.file is not None:
            where = self.file if self.line is None else f"{self.file}:{self.line}"
        elif self.line is not None:
            where = f"line {self.line}"
        parts = []
        if where:
            parts.append(where)
        if self.field is not None:
            parts.append(f"field '{self.field}'")
        prefix = ": ".join(parts)
        text = f"{prefix}: {self.detail}" if prefix else self.detail
        # one line, whatever the offending value holds (ids may contain line breaks)
        return text.replace("\r", "\\r").replace("\n", "\\n")

    def located(self, *, file: str | Path | None = None, line: int | None = None) -> InputError:
        """Return a copy of this error with the file (and line) filled in where missing."""
        return InputError(
            self.detail,
            file=self.file if self.file is not None else file,
            line=self.line if self.line is not None else line,
            field=self.field,
        )


def one_role(roles: Mapping[str, Iterable[str]], *, field: str | None = None) -> None:
    """Refuse a parameter given two roles at once (swept and set for every run, uncertain
    and set by a variant...): whichever is applied last would replace the other without a
    word. ``roles`` maps each role's description, such as ``"swept (--param)"``, to the
    dotted paths given it; the first clash, in the order given, is an :class:`InputError`
    naming the parameters and both roles.

    >>> one_role({"swept (--param)": ["a"], "set for every run (--set)": ["b"]})
    >>> one_role({"swept": ["a", "b"], "uncertain": ["b"]})
    Traceback (most recent call last):
    ...
    fentanet.errors.InputError: b: swept and uncertain at once; give each parameter one role
    """
    items = [(role, set(keys)) for role, keys in roles.items()]
    for i, (first, a) in enumerate(items):
        for second, b in items[i + 1:]:
            both = sorted(a & b)
            if both:
                raise InputError(f"{', '.join(both)}: {first} and {second} at once; give each "
                                 f"parameter one role", field=field)


def given_once(names: Iterable[str], option: str) -> None:
    """Refuse a name given twice to one option (``--set a=1 --set a=2``): the last would win
    without a word. :class:`InputError` naming the repeated names, with ``option`` as the
    field.

    >>> given_once(["a", "b", "a"], "--set")
    Traceback (most recent call last):
    ...
    fentanet.errors.InputError: field '--set': a given twice; give each parameter once
    """
    names = list(names)
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InputError(f"{', '.join(dup)} given twice; give each parameter once",
                         field=option)


def whole_number(value: object, name: str, minimum: int) -> int:
    """``value`` as an int of at least ``minimum``; :class:`InputError` naming ``name`` for
    anything else (``2.5`` runs, ``"abc"`` as a seed, 0 workers), not a silent truncation.
    Text holding a whole number and NumPy integers are taken.

    >>> whole_number("3", "runs", 1)
    3
    >>> whole_number(1.5, "seed", 0)
    Traceback (most recent call last):
    ...
    fentanet.errors.InputError: field 'seed': expected a whole number of at least 0, got 1.5
    """
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputError(f"expected a whole number of at least {minimum}, got {value!r}",
                         field=name)
    if value < minimum:
        raise InputError(f"expected a whole number of at least {minimum}, got {value}",
                         field=name)
    return int(value)


def flag(value: object, name: str) -> bool:
    """``value`` as a bool: ``True`` or ``False`` (NumPy's too); :class:`InputError` naming
    ``name`` for anything else, where Python's truth would read the text ``"no"`` as true.

    >>> flag(False, "directed")
    False
    >>> flag("no", "directed")
    Traceback (most recent call last):
    ...
    fentanet.errors.InputError: field 'directed': expected True or False, got 'no'
    """
    if isinstance(value, bool) or (type(value).__module__ == "numpy"
                                   and type(value).__name__ in ("bool", "bool_")):
        return bool(value)
    raise InputError(f"expected True or False, got {value!r}", field=name)


class Interrupted(KeyboardInterrupt):
    """A Ctrl-C whose message is the line the command line prints (``interrupted: ...``,
    saying what it stopped and what it kept), as an ensemble's
    :class:`~fentanet.ensemble.EnsembleInterrupted` says its own."""


class InputWarning(UserWarning):
    """Input that is accepted but that some uses refuse, named as an :class:`InputError`
    names it (file, line, field): a network file whose actors name an organization that
    is not in the file reads, and its analyses run, but a simulation refuses it."""


class RunWarning(UserWarning):
    """A run did less than was asked of it, and says so: an operation short of targets, an
    intervention that starts after the horizon. Filter it as any warning category."""


_RUN_NOTES: ContextVar[list[str] | None] = ContextVar("fentanet_run_notes", default=None)


def warn_run(message: str, stacklevel: int = 2) -> None:
    """Say ``message`` about the run being made: kept for :func:`run_notes` when a caller
    collects them (an ensemble's task, in any thread), else a :class:`RunWarning`."""
    notes = _RUN_NOTES.get()
    if notes is not None:
        notes.append(message)
        return
    warnings.warn(message, RunWarning, stacklevel=stacklevel + 1)


@contextlib.contextmanager
def run_notes() -> Iterator[list[str]]:
    """Collect what :func:`warn_run` says in this block, in this thread or task only (a
    context variable: the warnings machinery's state is global to the process, so catching
    warnings in one thread caught, or lost, another's)."""
    notes: list[str] = []
    token = _RUN_NOTES.set(notes)
    try:
        yield notes
    finally:
        _RUN_NOTES.reset(token)
