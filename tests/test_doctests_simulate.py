"""The examples in the docstrings of the simulation, ensemble, calibration, store, report
and scenario modules run and give what they show.

Every module of those packages whose source holds an example is run, so a new example is
tested without being listed here; none is skipped (an example too slow for a doctest is
made cheaper: a shorter horizon, fewer seeds, the population surrogate, a temporary store).
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
from pathlib import Path

import pytest

import fentanet

PACKAGES = ["simulate", "ensemble", "calibrate", "store", "report", "scenarios"]


def _modules() -> list[str]:
    root = Path(fentanet.__file__).parent
    names = []
    for package in PACKAGES:
        names.append(f"fentanet.{package}")
        for info in pkgutil.walk_packages([str(root / package)], f"fentanet.{package}."):
            names.append(info.name)
    return sorted(name for name in names if ">>>" in _source(name))


def _source(name: str) -> str:
    spec = importlib.util.find_spec(name)
    return Path(spec.origin).read_text(encoding="utf-8")


MODULES = _modules()


def test_the_modules_with_examples_are_found():
    # the ones written in the nineteenth session, and the older ones
    assert {"fentanet.simulate.run", "fentanet.simulate.population_checks",
            "fentanet.ensemble.core", "fentanet.store.store", "fentanet.calibrate",
            "fentanet.calibrate.fit", "fentanet.calibrate.sensitivity", "fentanet.report",
            "fentanet.report.analysis", "fentanet.report.simulation", "fentanet.report.html",
            "fentanet.scenarios", "fentanet.simulate.scenario"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example that writes by default writes here
    assert "doctest: +SKIP" not in _source(name)
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
    assert list(tmp_path.iterdir()) == []  # and none wrote into the working folder
