"""The examples in fentanet's docstrings run and give what they show.

Every module of the package whose docstrings hold an example that is not marked SKIP is
run, found by walking the package, so a new example is tested without being listed here.
Only the readers and writers of ``fentanet.network.io`` (they need files),
``fentanet.datasets`` (the shared data) and ``fentanet.web`` (a server) mark some SKIP; an
example too slow for a doctest is made cheaper (a shorter horizon, fewer seeds, the
population surrogate, a temporary store), not skipped. No example writes into the working
folder.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import fentanet


def _walk() -> list[str]:
    """Every module of fentanet (the packages too, not ``__main__``), in a fixed order."""
    names = ["fentanet"] + [m.name for m in pkgutil.walk_packages(fentanet.__path__,
                                                                  "fentanet.")]
    return sorted(n for n in names if not n.endswith("__main__"))


def _examples(name: str) -> list[doctest.Example]:
    module = importlib.import_module(name)
    return [e for t in doctest.DocTestFinder().find(module) for e in t.examples]


ALL = _walk()
MODULES = [n for n in ALL if any(not e.options.get(doctest.SKIP) for e in _examples(n))]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example that writes by default writes here
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
    assert list(tmp_path.iterdir()) == []  # and none wrote into the working folder


def test_the_modules_with_examples_are_found():
    assert {f"fentanet.analysis.{m}" for m in (
        "_graph", "centrality", "communities", "brokerage", "structure", "temporal",
        "keyplayers", "resilience", "summary", "flow", "interdiction")} | {
        f"fentanet.network.{m}" for m in ("model", "generator", "convert")} | {
        "fentanet.simulate.run", "fentanet.simulate.population_checks",
        "fentanet.ensemble.core", "fentanet.store.store", "fentanet.calibrate",
        "fentanet.calibrate.fit", "fentanet.calibrate.sensitivity", "fentanet.report",
        "fentanet.report.analysis", "fentanet.report.simulation", "fentanet.report.html",
        "fentanet.scenarios", "fentanet.simulate.scenario"} <= set(MODULES)


def test_only_examples_that_need_files_data_or_a_server_are_skipped():
    skipping = {n for n in ALL if any(e.options.get(doctest.SKIP) for e in _examples(n))}
    allowed = {"fentanet.datasets", "fentanet.web"}
    assert skipping and all(n.startswith("fentanet.network.io") or n in allowed
                            for n in skipping), skipping
