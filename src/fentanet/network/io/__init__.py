"""Reading and writing networks: :func:`read`, :func:`write` and the format registry.

Each format lives in its own module and registers a reader and/or a writer with
:func:`register`. The format is taken from ``format=``, else from the file's extension,
else from its content (:func:`detect_format`). Writes are atomic: the file is written
under a temporary name next to the target and renamed into place, so a failed write never
leaves a half-written file or destroys the one already there.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from fentanet.errors import FentanetError, InputError
from fentanet.network.model import Network

Reader = Callable[..., Network]
Writer = Callable[..., None]
Sniffer = Callable[[str, Path], bool]


@dataclass(frozen=True)
class Format:
    """A file format: its name, extensions, reader, writer and content sniffer."""

    name: str
    extensions: tuple[str, ...]
    description: str
    reader: Reader | None = None
    writer: Writer | None = None
    sniff: Sniffer | None = None
    priority: int = 50
    """Order in which sniffers are tried (lower first)."""


FORMATS: dict[str, Format] = {}


def register(
    name: str,
    *,
    extensions: tuple[str, ...] = (),
    description: str = "",
    reader: Reader | None = None,
    writer: Writer | None = None,
    sniff: Sniffer | None = None,
    priority: int = 50,
) -> Format:
    """Register (or extend) a format. Called by the format modules at import."""
    old = FORMATS.get(name)
    fmt = Format(
        name=name,
        extensions=extensions or (old.extensions if old else ()),
        description=description or (old.description if old else ""),
        reader=reader or (old.reader if old else None),
        writer=writer or (old.writer if old else None),
        sniff=sniff or (old.sniff if old else None),
        priority=priority,
    )
    FORMATS[name] = fmt
    return fmt


HEAD_BYTES = 64 * 1024


def read_head(path: Path, size: int = HEAD_BYTES) -> str:
    """The first ``size`` bytes of a file as text (BOM removed); binary content raises."""
    with open(path, "rb") as fh:
        raw = fh.read(size)
    if b"\x00" in raw:
        raise InputError("binary content (NUL bytes); expected a text network file",
                         file=path)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(raw) - 4:  # a multi-byte character cut by the head limit
            return raw[: exc.start].decode("utf-8")
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); expected a text "
                         "network file", file=path, line=line) from None


def _extension(path: Path) -> str:
    name = path.name.lower()
    for fmt in sorted(FORMATS.values(), key=lambda f: -max((len(e) for e in f.extensions),
                                                           default=0)):
        for ext in fmt.extensions:
            if name.endswith(ext):
                return ext
    return path.suffix.lower()


def detect_format(path: str | Path) -> str:
    """The name of the format of a file: by content among the formats sharing its
    extension (or all of them when the extension is unknown)."""
    _load_formats()
    path = Path(path)
    if not path.exists():
        raise InputError("no such file", file=path)
    if path.is_dir():
        raise InputError("is a directory; expected a network file", file=path)
    if path.stat().st_size == 0:
        raise InputError("empty file; expected a network", file=path)
    ext = _extension(path)
    candidates = [f for f in FORMATS.values() if f.reader and ext in f.extensions]
    if len(candidates) == 1 and candidates[0].sniff is None:
        return candidates[0].name
    head = read_head(path)
    if not head.strip():
        raise InputError("file holds only blank space; expected a network", file=path)
    pool = candidates or [f for f in FORMATS.values() if f.reader]
    for fmt in sorted(pool, key=lambda f: f.priority):
        if fmt.sniff is not None and fmt.sniff(head, path):
            return fmt.name
    if len(candidates) == 1:
        return candidates[0].name
    names = ", ".join(sorted(f.name for f in FORMATS.values() if f.reader))
    raise InputError(f"cannot tell the format from the extension '{ext}' or the content; "
                     f"pass format= one of: {names}", file=path)


def _format(name: str, *, need: str) -> Format:
    _load_formats()
    fmt = FORMATS.get(name)
    if fmt is None or getattr(fmt, need) is None:
        able = sorted(f.name for f in FORMATS.values() if getattr(f, need) is not None)
        verb = "read" if need == "reader" else "write"
        raise InputError(f"cannot {verb} format '{name}'; expected one of: {', '.join(able)}",
                         field="format")
    return fmt


_PARSE_ERRORS = (ValueError, csv.Error, UnicodeDecodeError, pd.errors.ParserError,
                 pd.errors.EmptyDataError, ET.ParseError, json.JSONDecodeError, KeyError,
                 IndexError, TypeError, OverflowError)


def read(path: str | Path, format: str | None = None, **options: Any) -> Network:
    """Read a network from a file.

    Parameters
    ----------
    path
        The file.
    format
        A registered format name (see :data:`FORMATS`, or ``fentanet formats``); by default
        taken from the extension and the content.
    **options
        Passed to the format's reader (each reader documents its own).

    Raises
    ------
    InputError
        The file is missing, empty, binary, or its content does not fit the format; the
        message names the file, the line where known, and what was expected.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("no such file", file=path)
    name = format or detect_format(path)
    fmt = _format(name, need="reader")
    try:
        net = fmt.reader(path, **options)
    except InputError as exc:
        raise exc.located(file=path) from None
    except FentanetError:
        raise
    except MemoryError:
        raise InputError(f"too large to read as {fmt.name}", file=path) from None
    except _PARSE_ERRORS as exc:
        raise InputError(f"not a valid {fmt.name} file ({type(exc).__name__}: {exc})",
                         file=path) from None
    if net.source is None:
        net.source = str(path)
    if not net.name:
        net.name = path.stem
    return net


def write(net: Network, path: str | Path, format: str | None = None, **options: Any) -> Path:
    """Write a network to a file, atomically; returns the path written.

    The format is ``format`` or the one whose extension the path has. Formats that need
    several files (actor and link lists) write them side by side, each atomically.
    """
    path = Path(path)
    if format is None:
        _load_formats()
        ext = _extension(path)
        writers = [f for f in FORMATS.values() if f.writer and ext in f.extensions]
        if not writers:
            able = sorted({e for f in FORMATS.values() if f.writer for e in f.extensions})
            raise InputError(f"cannot tell the output format from '{path.name}'; use an "
                             f"extension among {', '.join(able)} or pass format=",
                             file=path)
        fmt = min(writers, key=lambda f: f.priority)
    else:
        fmt = _format(format, need="writer")
    if path.parent and not path.parent.exists():
        raise InputError("the folder does not exist", file=path.parent)
    fmt.writer(net, path, **options)
    return path


def atomic_path(path: Path):
    """Context manager giving a temporary path that replaces ``path`` on success."""
    return _Atomic(Path(path))


class _Atomic:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> Path:
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp",
                                   dir=self.path.parent or ".")
        os.close(fd)
        self.tmp = Path(tmp)
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)


_LOADED = False


def _load_formats() -> None:
    """Import the format modules (they register themselves)."""
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    from fentanet.network.io import interdiction, matrix  # noqa: F401

    for mod in _OPTIONAL_MODULES:
        __import__(f"fentanet.network.io.{mod}")


_OPTIONAL_MODULES: list[str] = []
"""Further format modules, imported on first use (each registers itself)."""
