"""Reading and writing networks: :func:`read`, :func:`write` and the format registry.

Each format lives in its own module and registers a reader and/or a writer with
:func:`register`. The format is taken from ``format=``, else from the file's extension,
else from its content (:func:`detect_format`): the sniffers of the formats that claim the
extension are tried first (lowest ``priority`` first), then those of every other format,
so a Pajek file saved as ``.txt`` still reads; the extension of a format with a signature
(``.json``, ``.dl``, ...) is that format's alone, so a ``.json`` file that is not
node-link JSON gets the JSON reader's error. Writes are atomic: every file is written
under a temporary name next to its target and renamed into place only when all of them
are complete, so a failed write never leaves a half-written file or destroys the one
already there.

The formats are listed by ``fentanet formats`` and described in ``docs/formats.md``.
"""

from __future__ import annotations

import csv
import errno
import inspect
import json
import os
import tempfile
import typing
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from fentanet.errors import FentanetError, InputError, flag
from fentanet.network.model import Network

Reader = Callable[..., Network]
Writer = Callable[..., None]
Sniffer = Callable[[str, Path], bool]


@dataclass(frozen=True)
class Format:
    """A file format: its name, extensions, reader, writer and content sniffer.

    ``priority`` orders the sniffers (lower first); ``write_priority`` picks the writer
    among the formats sharing an extension (lower first: the link list is the default
    for ``.csv`` because it loses nothing). ``keeps`` states what survives a round trip.
    """

    name: str
    extensions: tuple[str, ...]
    description: str
    reader: Reader | None = None
    writer: Writer | None = None
    sniff: Sniffer | None = None
    priority: int = 50
    write_priority: int = 50
    keeps: str = ""


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
    write_priority: int = 50,
    keeps: str = "",
) -> Format:
    """Register (or extend) a format. Called by the format modules at import."""
    old = FORMATS.get(name)
    fmt = Format(
        name=name,
        extensions=tuple(e.lower() for e in (extensions or (old.extensions if old else ()))),
        description=description or (old.description if old else ""),
        reader=reader or (old.reader if old else None),
        writer=writer or (old.writer if old else None),
        sniff=sniff or (old.sniff if old else None),
        priority=priority,
        write_priority=write_priority,
        keeps=keeps or (old.keeps if old else ""),
    )
    FORMATS[name] = fmt
    return fmt


def formats() -> list[Format]:
    """Every registered format, by name."""
    _load_formats()
    return [FORMATS[k] for k in sorted(FORMATS)]


HEAD_BYTES = 64 * 1024


def _path_given(path: Any) -> str | os.PathLike[str]:
    """``path`` when it is text or a path; else an :class:`InputError` naming ``path``
    (``read(3)``, ``read(None)``, ``write(net, 5)`` ended in os's TypeError)."""
    if isinstance(path, str | os.PathLike):
        return path
    raise InputError(f"expected a file path (text or pathlib.Path) or a dataset name, got "
                     f"{path!r}", field="path")


def read_head(path: Path, size: int = HEAD_BYTES) -> str:
    """The first ``size`` bytes of a file as text (BOM removed); binary content raises."""
    from fentanet.network.io._text import decode_head

    with open(path, "rb") as fh:
        raw = fh.read(size)
    return decode_head(raw, path)


def _extension(path: Path) -> str:
    """The longest registered extension the file name ends with (else its last suffix)."""
    name = path.name.lower()
    known = sorted({e for f in FORMATS.values() for e in f.extensions}, key=len, reverse=True)
    for ext in known:
        if name.endswith(ext) and len(name) > len(ext):
            return ext
    return path.suffix.lower()


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputError("no such file", file=path)
    if path.is_dir():
        raise InputError("is a folder; expected a network file", file=path)
    if path.stat().st_size == 0:
        raise InputError("empty file; expected a network", file=path)


SIGNATURE = 10
"""Formats with a sniffer priority below this have a signature (``dl`` first, ``<graphml``,
``*Vertices``, ...) and are recognised first, whatever the extension."""


def detect_format(path: str | Path) -> str:
    """The name of the format of a file (or of the phase files of a folder), from its
    extension and its content.

    Formats with a signature (priority below :data:`SIGNATURE`) are recognised first.
    Then, among the formats claiming the extension, the first whose sniffer accepts the
    head of the file wins; a single claimant without a sniffer wins outright. When none
    accepts, the sniffers of all other formats are tried (a Pajek file saved as ``.txt``),
    except for an extension that only formats with a signature claim (``.json``, ``.dl``,
    ``.net``, ``.graphml``, ...): a plain edge list would take any text. Failing those,
    the extension's only format (if it has one) is taken, so that its reader can say what
    is wrong. Sniffers recognise a format's shape, not its validity: a ragged matrix is
    still a matrix, and reading it names the ragged row.
    """
    _load_formats()
    path = Path(path)
    if path.is_dir():
        from fentanet.network.io.folder import folder_format

        return folder_format(path)
    _check_file(path)
    ext = _extension(path)
    readers = [f for f in FORMATS.values() if f.reader]
    candidates = [f for f in readers if ext in f.extensions]
    if len(candidates) == 1 and candidates[0].sniff is None:
        return candidates[0].name
    head = read_head(path)
    if not head.strip():
        raise InputError("file holds only blank space; expected a network", file=path)
    signed = [f for f in readers if f.priority < SIGNATURE]
    # an extension of a format with a signature (.json, .dl, .net, ...) is that format's:
    # content without the signature goes to its reader, never to a plain-text sniffer
    own = bool(candidates) and all(f in signed for f in candidates)
    others = [] if own else [f for f in readers if f not in candidates and f not in signed]
    for pool in (signed, [f for f in candidates if f not in signed], others):
        for fmt in sorted(pool, key=lambda f: (f.priority, f.name)):
            if fmt.sniff is not None and _safe_sniff(fmt, head, path):
                return fmt.name
    if len(candidates) == 1:  # the extension's only format: its reader says what is wrong
        return candidates[0].name
    names = ", ".join(sorted(f.name for f in readers))
    what = f"the extension '{ext}'" if ext else "the file name"
    raise InputError(f"cannot tell the format from {what} or the content; "
                     f"pass format= one of: {names}", file=path)


def _safe_sniff(fmt: Format, head: str, path: Path) -> bool:
    try:
        return bool(fmt.sniff(head, path))
    except (ValueError, csv.Error, IndexError, KeyError):
        return False


def _format(name: str, *, need: str) -> Format:
    _load_formats()
    fmt = FORMATS.get(name)
    if fmt is None or getattr(fmt, need) is None:
        able = sorted(f.name for f in FORMATS.values() if getattr(f, need) is not None)
        verb = "read" if need == "reader" else "write"
        raise InputError(f"cannot {verb} format '{name}'; expected one of: {', '.join(able)}",
                         field="format")
    return fmt


def _check_options(fmt: Format, func: Callable, options: dict[str, Any], skip: int) -> None:
    """Unknown keyword options raise a clear error instead of a TypeError."""
    params = list(inspect.signature(func).parameters.values())[skip:]
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return
    names = [p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]
    unknown = sorted(set(options) - set(names))
    if unknown:
        have = ", ".join(names) or "none"
        raise InputError(f"format '{fmt.name}' has no option {unknown[0]!r}; its options: "
                         f"{have}", field=unknown[0])


_PARSE_ERRORS = (ValueError, csv.Error, UnicodeError, pd.errors.ParserError,
                 pd.errors.EmptyDataError, ET.ParseError, json.JSONDecodeError, KeyError,
                 IndexError, TypeError, OverflowError, RecursionError)


def _arrow_errors() -> tuple[type[BaseException], ...]:
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return ()
    return (pa.ArrowException,)


def read(path: str | Path, format: str | None = None, **options: Any) -> Network:
    """Read a network from a file.

    Parameters
    ----------
    path
        The file, or a folder of files of one format, each one phase of the network
        (``phase1.csv``, ``phase2.csv``, ...; see :mod:`fentanet.network.io.folder`), or,
        when no such path exists, the name of a shared research dataset (``"caviar"``;
        :data:`fentanet.network.datasets.DATASETS`), read from the shared data folder and
        named after the dataset.
    format
        A registered format name (``fentanet formats`` lists them); by default taken from
        the extension and the content.
    **options
        Passed to the format's reader (each reader documents its own; see
        ``docs/formats.md``).

    Raises
    ------
    InputError
        The file is missing, empty, binary, or its content does not fit the format; the
        message names the file, the line where known, and what was expected.

    Examples
    --------
    >>> net = read("links.csv")                                   # doctest: +SKIP
    >>> net = read("caviar")                                      # doctest: +SKIP
    >>> net = read("calls.txt", format="edgelist", directed=True)  # doctest: +SKIP
    """
    from fentanet.network.datasets import resolve

    path, dataset = resolve(_path_given(path))
    if options.get("directed") is not None:  # "no" read a directed network, as Network's
        options["directed"] = flag(options["directed"], "directed")
    if path.is_dir():
        from fentanet.network.io.folder import read_folder

        net = read_folder(path, format, **options)
        if dataset is not None:
            net.name = dataset
        return net
    _check_file(path)
    name = format or detect_format(path)
    fmt = _format(name, need="reader")
    _check_options(fmt, fmt.reader, options, skip=1)
    try:
        net = fmt.reader(path, **options)
    except InputError as exc:
        raise exc.located(file=path) from None
    except FentanetError:
        raise
    except MemoryError:
        raise InputError(f"too large to read as {fmt.name}", file=path) from None
    except _PARSE_ERRORS + _arrow_errors() as exc:
        detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise InputError(f"not a valid {fmt.name} file ({detail})", file=path) from None
    if net.source is None:
        net.source = str(path)
    if dataset is not None:
        net.name = dataset
    elif not net.name:
        net.name = _stem(path)
    return net


def _stem(path: Path) -> str:
    name = path.name
    ext = _extension(path)
    return name[: -len(ext)] if ext and name.lower().endswith(ext) else path.stem


def write(net: Network, path: str | Path, format: str | None = None, **options: Any) -> Path:
    """Write a network to a file, atomically; returns the path written.

    The format is ``format`` or the preferred writer for the path's extension (the link
    list for ``.csv``, ``.tsv`` and ``.txt``). Formats that need several files (the link
    list writes its actor list and a small metadata file beside it) replace all of them
    together, only once all are written.
    """
    from fentanet.network.convert import as_network

    net = as_network(net)
    path = Path(_path_given(path)).expanduser()
    fmt = writer_format(path, format)
    _check_options(fmt, fmt.writer, options, skip=2)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise InputError("the folder does not exist", file=parent)
    if path.is_dir():
        raise InputError("is a folder; expected a file name to write", file=path)
    try:
        fmt.writer(net, path, **options)
    except InputError as exc:
        raise exc.located(file=path) from None
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", file=path) from None
    return path


def writer_format(path: str | Path, format: str | None = None) -> Format:
    """The format :func:`write` writes ``path`` in: ``format``, or the preferred writer for
    the path's extension (the link list for ``.csv``, ``.tsv`` and ``.txt``)."""
    if format is not None:
        return _format(format, need="writer")
    _load_formats()
    path = Path(path)
    ext = _extension(path)
    writers = [f for f in FORMATS.values() if f.writer and ext in f.extensions]
    if not writers:
        able = sorted({e for f in FORMATS.values() if f.writer for e in f.extensions})
        only = [f.name for f in FORMATS.values() if ext and ext in f.extensions]
        if only:
            raise InputError(f"cannot write format '{only[0]}' (read only); use an "
                             f"extension among {', '.join(able)}", file=path)
        raise InputError(f"cannot tell the output format from '{path.name}'; use an "
                         f"extension among {', '.join(able)} or name the format "
                         "(--to on the command line, format= in Python)", file=path)
    return min(writers, key=lambda f: (f.write_priority, f.name))


def writer_options(format: str) -> dict[str, tuple[type, Any]]:
    """The options :func:`write` takes for ``format``: ``{name: (type, default)}``, the
    type being ``bool``, ``int``, ``float`` or ``str`` (any other annotation, or none, is
    taken as text; a default of ``None`` means "not set")."""
    fmt = _format(format, need="writer")
    try:
        signature = inspect.signature(fmt.writer, eval_str=True)
    except (NameError, TypeError, SyntaxError):  # a registered writer's annotation that
        signature = inspect.signature(fmt.writer)  # does not resolve: taken as text
    params = list(signature.parameters.values())[2:]
    options = {}
    for p in params:
        if p.kind not in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD):
            continue
        kinds = typing.get_args(p.annotation) or (p.annotation,)
        options[p.name] = (next((k for k in (bool, int, float) if k in kinds), str),
                           p.default)
    return options


@contextmanager
def atomic_paths(*paths: Path) -> Iterator[list[Path]]:
    """Temporary paths, one per target, that replace the targets together on success.

    On an exception every temporary file is removed and no target is touched. A target
    that is a folder cannot be replaced by a file: it is refused (``IsADirectoryError``
    naming it) before anything is written, and again just before the renames, so that no
    target is replaced when another one could not be.
    """
    temps: list[Path] = []
    try:
        _no_folder(paths)
        for target in paths:
            target = Path(target)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                       dir=target.parent if str(target.parent) else ".")
            os.close(fd)
            temps.append(Path(tmp))
        yield temps
        _no_folder(paths)
        for k, (tmp, target) in enumerate(zip(temps, paths, strict=True)):
            _keep_mode(tmp, Path(target))
            os.replace(tmp, target)
            temps[k] = Path(target)  # in place: no longer a temporary file to remove
    except BaseException:
        for tmp, target in zip(temps, paths, strict=False):
            if tmp != Path(target):
                tmp.unlink(missing_ok=True)
        raise


def _no_folder(paths: tuple[Path, ...]) -> None:
    for target in paths:
        if Path(target).is_dir():
            raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(target))


def _keep_mode(tmp: Path, target: Path) -> None:
    """Give the new file the permissions of the one it replaces (mkstemp makes it 0600)."""
    try:
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask()
        os.chmod(tmp, mode)
    except OSError:  # pragma: no cover - best effort
        pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path that replaces ``path`` on success (see :func:`atomic_paths`)."""
    with atomic_paths(Path(path)) as (tmp,):
        yield tmp


_LOADED = False


def _load_formats() -> None:
    """Import the format modules (they register themselves)."""
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    for mod in _FORMAT_MODULES + _OPTIONAL_MODULES:
        __import__(f"fentanet.network.io.{mod}")


_FORMAT_MODULES: list[str] = ["interdiction", "matrix"]
"""The format modules that ship with fentanet, imported on first use."""

_OPTIONAL_MODULES: list[str] = [
    "lists", "edgelist", "ucinet", "pajek", "graphml", "gexf", "nodelink", "sif", "dot",
]
"""Further format modules, imported on first use (each registers itself)."""

__all__ = ["FORMATS", "Format", "atomic_path", "atomic_paths", "detect_format", "formats",
           "read", "read_head", "register", "write", "writer_format", "writer_options"]
