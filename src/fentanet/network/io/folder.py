"""A folder of per-phase files read as one network observed in phases.

``read(folder)`` reads every network file in the folder as one phase, as the CAVIAR data
come (``phase1.csv`` ... ``phase11.csv``, one adjacency matrix per two-month wiretap):

- **which files**: the files whose extension a reader claims (``.csv``, ``.dl``,
  ``.graphml``, ...), except hidden files, link-list sidecars (``x.meta.json``) and actor
  lists (``x.actors.csv``), which the link-list reader picks up beside ``x.csv``. Other
  files (``SOURCE.md``, say) are ignored.
- **one format**: every file must be of the same format (``format=`` or detected); a file
  of another format is an error naming both.
- **order**: natural order of the file names, numbers compared as numbers, so
  ``phase2.csv`` comes before ``phase10.csv``.
- **phase labels**: the last number in each file's stem (``phase7.csv`` is phase 7,
  ``2019.csv`` is phase 2019) when every file has one and they are distinct; else 1, 2,
  ... in that order.

The network's actors are the union over the phases (in order of first appearance, with
the attributes of their first appearance); each link keeps its phase in the ``phase``
column, so ``net.at_phase(p)`` is one phase. Directedness: directed when any phase file
reads as directed (an undirected phase's links then keep their written orientation).
Reader options (``directed=``, ``duplicates=``, ...) apply to every file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from fentanet.errors import InputError
from fentanet.network.model import Network


def natural_key(name: str) -> list:
    """Sort key comparing the runs of digits of a name as numbers (``p2`` < ``p10``)."""
    return [int(part) if part.isdigit() else part.lower()
            for part in re.split(r"(\d+)", name)]


def phase_files(folder: Path) -> list[Path]:
    """The network files of a folder, in natural order (see the module docstring)."""
    from fentanet.network.io import FORMATS, _extension, _load_formats

    _load_formats()
    known = {e for f in FORMATS.values() if f.reader for e in f.extensions}
    files = []
    for path in folder.iterdir():
        name = path.name.lower()
        if name.startswith(".") or not path.is_file() or name.endswith(".meta.json"):
            continue
        ext = _extension(path)
        if ext not in known or name.endswith(".actors" + ext):
            continue
        files.append(path)
    return sorted(files, key=lambda p: natural_key(p.name))


def phase_labels(files: list[Path]) -> list[int]:
    """The last number of each stem when all have one and they are distinct, else 1..n."""
    numbers = []
    for path in files:
        found = re.findall(r"\d+", path.stem)
        numbers.append(int(found[-1]) if found else None)
    if None not in numbers and len(set(numbers)) == len(numbers):
        return numbers
    return list(range(1, len(files) + 1))


def _files(folder: Path) -> list[Path]:
    files = phase_files(folder)
    if not files:
        raise InputError("is a folder with no network files; expected a network file, or "
                         "a folder of files of one format, one per phase (phase1.csv, "
                         "phase2.csv, ...)", file=folder)
    return files


def folder_format(folder: Path) -> str:
    """The one format of a folder's phase files (an error names a file of another)."""
    from fentanet.network.io import detect_format

    files = _files(folder)
    first = detect_format(files[0])
    for path in files[1:]:
        other = detect_format(path)
        if other != first:
            raise InputError(f"is {other} but {files[0].name} is {first}; a folder of "
                             "phases holds files of one format", file=path)
    return first


def read_folder(folder: Path, format: str | None = None, **options: Any) -> Network:
    """Read a folder of per-phase files as one network (see the module docstring)."""
    files = _files(folder)
    format = format or folder_format(folder)
    return read_phases(files, format=format, name=folder.name, source=str(folder),
                       **options)


def read_phases(files: list[Path], *, phases: list | None = None, name: str = "",
                source: str | None = None, format: str | None = None,
                **options: Any) -> Network:
    """One network from several files, each one phase (labels from ``phases``, else as
    :func:`phase_labels` gives them); see the module docstring."""
    from fentanet.network.io import read

    if not files:
        raise InputError("no phase files given", field="files")
    files = [Path(f) for f in files]
    phases = phase_labels(files) if phases is None else list(phases)
    if len(phases) != len(files):
        raise InputError(f"{len(phases)} phase labels for {len(files)} files",
                         field="phases")
    nets = [read(f, format=format, **options) for f in files]
    links = []
    for path, phase, net in zip(files, phases, nets, strict=True):
        if "phase" in net.links and net.links["phase"].notna().any():
            raise InputError("already holds phases; a folder of phases takes one phase "
                             "per file", file=path)
        frame = net.links.drop(columns=["phase"], errors="ignore")
        frame["phase"] = phase
        links.append(frame)
    actors = pd.concat([n.actors.drop(columns=["uid"], errors="ignore") for n in nets],
                       ignore_index=True)
    actors = actors.drop_duplicates("id", keep="first").reset_index(drop=True)
    return Network(actors, pd.concat(links, ignore_index=True),
                   directed=any(n.directed for n in nets), name=name,
                   source=source or str(files[0].parent),
                   meta={"phase_files": [str(f) for f in files]})


__all__ = ["folder_format", "natural_key", "phase_files", "phase_labels", "read_folder",
           "read_phases"]
