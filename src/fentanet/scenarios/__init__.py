"""Built-in scenarios shipped with fentanet (YAML files in this package).

>>> "toy" in names()
True
>>> load("toy").name
'toy'
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fentanet.errors import InputError
from fentanet.simulate.scenario import Intervention, Scenario, Target, from_dict, read

__all__ = ["Intervention", "Scenario", "Target", "from_dict", "load", "names", "path"]


def names() -> list[str]:
    """Names of the built-in scenarios."""
    root = resources.files(__name__)
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


def path(name: str) -> Path:
    """Path of a built-in scenario's YAML file."""
    if name not in names():
        raise InputError(f"no built-in scenario '{name}'; built-in: {', '.join(names())}",
                         field="scenario")
    return Path(str(resources.files(__name__).joinpath(f"{name}.yaml")))


def load(name_or_path: str | Path | Scenario) -> Scenario:
    """A scenario: a built-in name (``"toy"``, ``"us-baseline"``), a YAML path, or a
    :class:`Scenario` (returned as is)."""
    if isinstance(name_or_path, Scenario):
        return name_or_path
    text = str(name_or_path)
    if text in names():
        return read(path(text))
    p = Path(text)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.exists():
            raise InputError("no such scenario file", file=text)
        return read(p)
    raise InputError(f"'{text}' is neither a built-in scenario ({', '.join(names())}) nor a "
                     "YAML file", field="scenario")
