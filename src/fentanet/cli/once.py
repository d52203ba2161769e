"""Each scalar option once: a command refuses an option that takes one value when it is
given twice (click would keep the last value without a word: ``--years 1 --years 2`` ran 2
years). Options that take several values (``multiple``, such as ``--set``) and counting
options stay repeatable.

The command line is read before click parses it, with the options' own spellings
(``--years 2``, ``--years=2``, ``-n 2``, ``-n2``, ``--directed``/``--undirected``), so the
message names the option and every value given.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Sequence
from typing import Any

from typer.core import TyperCommand

from fentanet.errors import InputError


def scalar_repeats(params: Iterable[Any], args: Sequence[str]) -> dict[str, list[str]]:
    """The scalar options of ``params`` given more than once in ``args``: the option's
    first name -> each occurrence as written (``--years 1``), in order.

    A value is the token after its option (whatever it looks like, as click reads it);
    ``--`` ends the options.

    >>> from types import SimpleNamespace as Option
    >>> years = Option(param_type_name="option", opts=["--years"], secondary_opts=[],
    ...                is_flag=False, nargs=1, multiple=False)
    >>> scalar_repeats([years], ["--years", "1", "--years=2"])
    {'--years': ['--years 1', '--years 2']}
    """
    spellings: dict[str, Any] = {}
    for p in params:
        if p.param_type_name == "option":
            for name in (*p.opts, *p.secondary_opts):
                spellings[name] = p
    given: dict[str, list[str]] = {}
    i = 0
    while i < len(args):
        token = args[i]
        i += 1
        if token == "--":
            break
        if not token.startswith("-") or token == "-":
            continue
        if token.startswith("--"):
            name, eq, value = token.partition("=")
        else:  # -n 2 or -n2
            name, value = token[:2], token[2:]
            eq = "=" if value else ""
        p = spellings.get(name)
        if p is None:
            continue  # an unknown option or a stray token: click reports it
        words = [name]
        if not p.is_flag:
            if eq:
                words.append(value)
            else:
                words += args[i:i + p.nargs]
                i += p.nargs
        if not (p.multiple or getattr(p, "count", False)):
            given.setdefault(p.opts[0], []).append(shlex.join(words))
    return {name: seen for name, seen in given.items() if len(seen) > 1}


def refuse_repeats(params: Iterable[Any], args: Sequence[str]) -> None:
    """Raise :class:`InputError` naming each scalar option given more than once in ``args``
    and its values (see :func:`scalar_repeats`)."""
    repeats = scalar_repeats(params, args)
    if not repeats:
        return
    parts = []
    for name, seen in repeats.items():
        times = "twice" if len(seen) == 2 else f"{len(seen)} times"
        values = " and ".join([", ".join(seen[:-1]), seen[-1]])
        parts.append(f"field '{name}': given {times} ({values})")
    raise InputError("; ".join(parts) + ("; give it once" if len(parts) == 1 else
                                          "; give each once"))


class OnceCommand(TyperCommand):
    """A typer command that refuses a scalar option given twice (:func:`refuse_repeats`),
    before click parses the command line."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        refuse_repeats(self.get_params(ctx), args)
        return super().parse_args(ctx, args)
