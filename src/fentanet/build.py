"""Which build of fentanet made a run: a digest of the package's own source files.

The package version (``fentanet.__version__``, from the installed metadata) stays the same
between releases, and an editable install or a source tree keeps it while the code moves,
so it cannot tell two engines apart. :func:`build` is the SHA-256 of the path and content
of every ``.py`` and ``.yaml`` file of the imported fentanet package (the code and the
built-in scenarios; not the web page's static files, which make no run), cut to
:data:`BUILD_DIGITS` hex digits: any edit of the code gives another build. It reads only
the package's folder, so it works without git, from a wheel, and on a Dask worker (which
computes it from the fentanet it imports); it is computed once per process (about 100
files: milliseconds).

A run's recorded version (:func:`recorded_version`, the store's ``fentanet_version``)
is ``0.1.0 (build 3fa2c1d9ab12)``; runs stored before builds were recorded hold the bare
version, whose build :func:`build_of` gives as ``None``. Hidden files (an editor's
``.#run.py`` lock link) and anything that is not a file are left out, line ends count as
``\n`` (a Windows checkout of the same commit has the same build), and a package file that
cannot be read makes the build :data:`UNKNOWN` rather than failing the run.
"""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent
"""The fentanet package's folder."""

SOURCES = ("*.py", "*.yaml")
"""The files the build covers: the code and the built-in scenarios."""

BUILD_DIGITS = 12
"""Hex digits of a build id (48 bits: two builds share one by chance once in 10^14)."""

UNKNOWN = "unknown"
"""The build of a fentanet whose package files could not all be read (an ``OSError``): it is
not compared equal to any build, its own included."""

_BUILD = re.compile(r"\(build ([0-9a-f]+|unknown)\)\s*$")


def source_files(root: Path = ROOT) -> list[Path]:
    """The files a build covers under a package folder, in path order: ``__pycache__``,
    hidden names (Emacs keeps ``.#run.py`` as a dangling link while a file is edited) and
    anything that is not a file left out."""
    files = {p for pattern in SOURCES for p in root.rglob(pattern)
             if not any(part == "__pycache__" or part.startswith(".")
                        for part in p.relative_to(root).parts) and p.is_file()}
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def source_digest(root: Path = ROOT) -> str:
    """SHA-256 (hex, first :data:`BUILD_DIGITS` digits) of the relative path and content of
    every file of :func:`source_files` under ``root``, its CRLF line ends read as LF (so
    that a checkout with ``core.autocrlf`` has the build of the same commit elsewhere).
    Raises ``OSError`` for a file that cannot be read."""
    digest = hashlib.sha256()
    for path in source_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes().replace(b"\r\n", b"\n")).digest())
    return digest.hexdigest()[:BUILD_DIGITS]


@functools.cache
def build() -> str:
    """The build id of this fentanet: :func:`source_digest` of the imported package's
    folder, or :data:`UNKNOWN` when a file of it cannot be read (a run never fails for
    it). Computed once per process."""
    try:
        return source_digest(ROOT)
    except OSError:
        return UNKNOWN


def recorded_version() -> str:
    """The fentanet version a run records: ``0.1.0 (build 3fa2c1d9ab12)``."""
    import fentanet

    return f"{fentanet.__version__} (build {build()})"


def build_of(version: str | None) -> str | None:
    """The build id in a recorded version (:func:`recorded_version`, or the text of
    ``fentanet.simulate.run.version()``); ``None`` for a version recorded without one (a run
    stored before builds were recorded); :data:`UNKNOWN` for a run made by a fentanet whose
    build could not be read."""
    match = _BUILD.search(str(version or "").split(";")[0])
    return match.group(1) if match else None
