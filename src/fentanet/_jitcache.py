"""numba's on-disk cache of fentanet's compiled code, stale after an edit of any of it.

numba keys a cached function on its own source file only (a hash of its content,
``numba.core.caching``), but a compiled function that calls one of another module
compiles the callee into itself: after an edit of ``simulate/kernels.py`` (or a ``git
pull`` that changes it and not its callers) the cached ``distribution._distribute`` would go on
running the old ``transfer``, without a word. Importing this module (every fentanet module
with compiled code does, before its first ``njit``) puts :class:`PackageLocator` first
among numba's cache locators: a fentanet function is cached where numba would cache it,
but keyed on :func:`package_stamp`, the content of every fentanet module that holds
compiled code (and on its own file, as numba keys it), so an edit of any of them compiles
them all again (about 40 s of the next
run's time) instead of mixing old and new code. Functions outside fentanet are not
touched.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

from numba.core import caching

ROOT = Path(__file__).resolve().parent
"""The fentanet package's folder."""


COMPILED = (b"numba", b"_jit import jit")
"""What marks a module that holds compiled code: it uses numba, or compiles through
:func:`fentanet.analysis._jit.jit` (numba imported on the first call)."""


def stamped_modules() -> list[Path]:
    """The modules of the package that hold compiled code (:data:`COMPILED`), in path
    order."""
    return [path for path in sorted(ROOT.rglob("*.py"))
            if any(mark in path.read_bytes() for mark in COMPILED)]


@functools.cache
def package_stamp() -> str:
    """SHA-256 (hex) of the path and content of every module of :func:`stamped_modules`:
    what every cached fentanet function is keyed on, with its own file. Computed once per
    process."""
    digest = hashlib.sha256()
    for path in stamped_modules():
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


class PackageLocator(caching._CacheLocator):
    """The locator numba would pick for a fentanet function (``inner``: in the module's
    ``__pycache__``, or under ``NUMBA_CACHE_DIR``), its source stamp
    :func:`package_stamp` with the stamp numba gives the function's own file."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def ensure_cache_path(self) -> None:
        self._inner.ensure_cache_path()

    def get_cache_path(self) -> str:
        return self._inner.get_cache_path()

    def get_source_stamp(self) -> tuple[str, object]:
        # the function's own file too, as numba keys it, whatever the package stamp covers
        return package_stamp(), self._inner.get_source_stamp()

    def get_disambiguator(self) -> str:
        return self._inner.get_disambiguator()

    @classmethod
    def from_function(cls, py_func: Any, py_file: str) -> PackageLocator | None:
        if ROOT not in Path(py_file).resolve().parents:
            return None
        for other in caching.CacheImpl._locator_classes:
            if other is not cls:
                inner = other.from_function(py_func, py_file)
                if inner is not None:
                    return cls(inner)
        return None


if PackageLocator not in caching.CacheImpl._locator_classes:
    caching.CacheImpl._locator_classes.insert(0, PackageLocator)
