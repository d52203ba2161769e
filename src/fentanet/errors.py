"""Errors fentanet raises for bad input.

Every error a user can cause is a :class:`FentanetError`; the CLI prints its message on one
line and exits with status 2. Input errors name where the problem is (file, line, field)
and what was expected.
"""

from __future__ import annotations

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
