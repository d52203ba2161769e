"""Helpers shared by the CLI command modules: output, JSON, tables, output paths."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

from fentanet.errors import InputError

PIPED_WIDTH = 160
"""Width of tables written to a pipe or file (rich's default there is 80 columns); a
terminal's own width, or ``$COLUMNS``, when set, wins."""


def _width(stream: Any) -> int | None:
    piped = not (hasattr(stream, "isatty") and stream.isatty())
    return PIPED_WIDTH if piped and not os.environ.get("COLUMNS") else None


console = Console(highlight=False, width=_width(sys.stdout))
err_console = Console(stderr=True, highlight=False, width=_width(sys.stderr))


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


def counted(n: int, word: str) -> str:
    """``"1 run"``, ``"2 runs"``, ``"1,234 links"``: a count and its noun, plural but for
    one."""
    return f"{n:,} {word}{'s' * (n != 1)}"


def table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    """A rich table with the given columns and rows.

    The title, the column names and the cells are plain text, never rich markup: they hold
    user data (ids, names, paths, phases), and ``[/x]`` in them must print as written. A
    cell wider than its column folds onto the next line, never cut with an ellipsis (a
    piped output is 80 columns wide: ids and parameter names were cut).
    """
    t = Table(title=Text(title), title_justify="left", show_edge=False,
              header_style="bold")
    for col in columns:
        t.add_column(Text(col), justify="right" if col not in (columns[0],) else "left",
                     overflow="fold")
    for row in rows:
        t.add_row(*(_cell(v) for v in row))
    return t


def _cell(v: Any) -> Text:
    if isinstance(v, float | np.floating):
        return Text(f"{v:.4g}")
    return Text(str(v))


# ------------------------------------------------------------------------------ output paths
def _existing_ancestor(path: Path) -> Path:
    """The nearest ancestor of ``path`` (itself excluded) that exists."""
    parent = path.absolute().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    return parent


def _writable_folder(folder: Path, path: Path, option: str) -> None:
    if not folder.is_dir():
        raise InputError(f"{folder} is a file, not a folder; expected a writable path "
                         f"for {option}", file=path)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"cannot write in the folder {folder} (permission denied; "
                         f"for {option})", file=path)


def check_output_file(path: Path | None, option: str) -> None:
    """Refuse an output file that cannot be written, before any long work starts: a
    folder, a parent folder that does not exist (or is a file), no permission."""
    if path is None:
        return
    if path.is_dir():
        raise InputError(f"is a folder; expected a file name for {option}", file=path)
    parent = path.absolute().parent
    if not parent.exists():
        above = _existing_ancestor(path)
        if not above.is_dir():
            _writable_folder(above, path, option)
        raise InputError(f"the folder does not exist (for {option})", file=path.parent)
    _writable_folder(parent, path, option)
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(f"cannot overwrite it (permission denied; for {option})", file=path)


def check_output_folder(path: Path | None, option: str, *, parents: bool = False) -> None:
    """Refuse an output folder that cannot be made or written, before any long work: a
    file in its place or in its parents, no permission, and, unless ``parents`` (a folder
    the program lays out itself), a parent folder that does not exist: a typo in a path
    the user gave would make folders wherever it points. A missing folder is made later."""
    if path is None:
        return
    if path.exists():
        if not path.is_dir():
            raise InputError(f"exists and is not a folder; expected a folder for {option}",
                             file=path)
        _writable_folder(path, path, option)
        return
    if not parents:
        check_output_file(path, option)  # its parent, as for a file of that name
    _writable_folder(_existing_ancestor(path), path, option)
