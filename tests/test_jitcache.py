"""numba's cache of fentanet's kernels is keyed on every kernel module's content
(:mod:`fentanet._jitcache`): a kernel compiled into another is never run stale."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import fentanet
from fentanet import _jitcache

SRC = str(Path(fentanet.__file__).resolve().parents[1])

PROGRAM = """
import json, sys
import fentanet._jitcache as jc
if sys.argv[1] != "-":
    jc.package_stamp = lambda: sys.argv[1]  # as if a kernel module had been edited
import numpy as np
from fentanet.simulate import kernels
kernels.keyed_uniform(np.arange(3, dtype=np.uint64), np.uint64(7))
s = kernels.keyed_uniform.stats
print(json.dumps({"hits": sum(s.cache_hits.values()), "misses": sum(s.cache_misses.values()),
                  "locator": type(kernels.keyed_uniform._cache._impl._locator).__name__}))
"""


def _run(cache: Path, stamp: str) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache),
           "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", PROGRAM, stamp], env=env, check=True,
                         capture_output=True, text=True, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_kernel_is_compiled_again_when_any_kernel_module_changes(tmp_path):
    first = _run(tmp_path, "-")
    assert first == {"hits": 0, "misses": 1, "locator": "PackageLocator"}
    assert _run(tmp_path, "-")["hits"] == 1  # the same modules: loaded from the cache
    assert _run(tmp_path, "edited")["misses"] == 1  # another stamp: compiled again
    assert _run(tmp_path, "edited")["hits"] == 1


def test_the_stamp_covers_every_module_with_compiled_code(tmp_path):
    """Every module that defines a compiled function (numba's decorators, or
    ``analysis._jit.jit``) is stamped, and the stamp changes with its content."""
    root = Path(_jitcache.__file__).parent
    compiled = re.compile(rb"@(numba\.)?n?jit\b|numba\.njit\(")
    defining = {p for p in root.rglob("*.py") if compiled.search(p.read_bytes())}
    assert len(defining) >= 15  # the simulation's phases and kernels, analysis
    assert root / "analysis" / "centrality.py" in defining  # compiled through _jit
    assert defining <= set(_jitcache.stamped_modules())
    # a copy of the package with one of them edited gets another stamp
    copy = tmp_path / "fentanet"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("__pycache__"))
    prog = "import fentanet._jitcache as j; print(j.package_stamp())"

    def stamp() -> str:
        return subprocess.run([sys.executable, "-c", prog], env={**os.environ,
                              "PYTHONPATH": str(tmp_path)}, check=True, capture_output=True,
                              text=True).stdout.strip()

    before = stamp()
    assert before == _jitcache.package_stamp()
    with open(copy / "analysis" / "centrality.py", "a") as f:
        f.write("\n_EDITED = 1\n")
    assert stamp() != before


def test_only_fentanet_functions_are_keyed_on_the_package(tmp_path):
    inside = str(Path(_jitcache.__file__).parent / "simulate" / "kernels.py")
    outside = tmp_path / "mine.py"
    outside.write_text("def f():\n    return 1\n")

    def f():  # pragma: no cover
        return 1

    assert _jitcache.PackageLocator.from_function(f, str(outside)) is None
    got = _jitcache.PackageLocator.from_function(f, inside)
    assert got is not None and got.get_source_stamp()[0] == _jitcache.package_stamp()
