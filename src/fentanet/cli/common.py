"""Helpers shared by the CLI command modules: output, JSON, tables."""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def _default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, pd.DataFrame):
        return json.loads(obj.to_json(orient="records"))
    if isinstance(obj, pd.Series):
        return json.loads(obj.to_json())
    if hasattr(obj, "__fspath__"):
        return str(obj)
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def print_json(data: Any) -> None:
    """Write ``data`` as JSON to stdout (numpy and pandas values converted)."""
    sys.stdout.write(json.dumps(data, default=_default, indent=2) + "\n")


def table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    """A rich table with the given columns and rows.

    The title, the column names and the cells are plain text, never rich markup: they hold
    user data (ids, names, paths, phases), and ``[/x]`` in them must print as written.
    """
    t = Table(title=Text(title), title_justify="left", show_edge=False,
              header_style="bold")
    for col in columns:
        t.add_column(Text(col), justify="right" if col not in (columns[0],) else "left")
    for row in rows:
        t.add_row(*(_cell(v) for v in row))
    return t


def _cell(v: Any) -> Text:
    if isinstance(v, float | np.floating):
        return Text(f"{v:.4g}")
    return Text(str(v))
