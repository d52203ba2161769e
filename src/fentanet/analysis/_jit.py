"""Compile a numba kernel on its first call, so that importing fentanet does not import
numba. Kernels are compiled with ``cache=True`` (workers reuse the compiled code)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


def jit(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``numba.njit(cache=True)(fn)``, compiled when first called."""
    compiled: list[Callable[..., Any]] = []

    @functools.wraps(fn)
    def run(*args: Any) -> Any:
        if not compiled:
            import numba

            from fentanet import _jitcache  # noqa: F401  (numba's cache, stale after any kernel's edit)

            compiled.append(numba.njit(cache=True)(fn))
        return compiled[0](*args)

    run.py_func = fn  # type: ignore[attr-defined]
    return run
