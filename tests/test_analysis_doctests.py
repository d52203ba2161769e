"""The examples in the docstrings of the network and analysis modules run and give what
they show: every module of fentanet.network and fentanet.analysis, found by walking the
packages, so a module that gains examples is covered without being listed here."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

PACKAGES = ("fentanet.network", "fentanet.analysis")


def modules() -> list[str]:
    """Every module of the packages (the packages themselves too), in a fixed order."""
    names = []
    for package in PACKAGES:
        names.append(package)
        path = importlib.import_module(package).__path__
        names += sorted(m.name for m in pkgutil.walk_packages(path, package + "."))
    return names


def runs_examples(name: str) -> bool:
    """Whether the module has a docstring example not marked SKIP."""
    module = importlib.import_module(name)
    return any(not e.options.get(doctest.SKIP)
               for t in doctest.DocTestFinder().find(module) for e in t.examples)


@pytest.mark.parametrize("name", modules())
def test_docstring_examples(name):
    if not runs_examples(name):
        pytest.skip(f"{name} has no docstring examples that run (none, or all marked SKIP)")
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_the_modules_with_examples_are_found():
    # the modules whose examples ran before the packages were walked (a list of nine), and
    # those the walk added: network.model, network.generator, network.convert,
    # analysis.flow and analysis.interdiction (network.io's examples need files: SKIP)
    with_examples = {name for name in modules() if runs_examples(name)}
    assert with_examples >= {f"fentanet.analysis.{m}" for m in (
        "_graph", "centrality", "communities", "brokerage", "structure", "temporal",
        "keyplayers", "resilience", "summary", "flow", "interdiction")} | {
        f"fentanet.network.{m}" for m in ("model", "generator", "convert")}
