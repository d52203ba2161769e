"""The names the README and docs call as ``fentanet.X.Y`` after a bare ``import fentanet``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def test_subpackages_the_docs_use_load_on_first_use():
    # a fresh interpreter: in this one, other tests have imported them already
    code = (
        "import sys, fentanet\n"
        "assert 'fentanet.report' not in sys.modules\n"
        "print(sorted(fentanet.datasets.DATASETS)[0])\n"
        "print(fentanet.report.analysis_report.__name__)\n"
        "print(fentanet.report.simulation_report.__name__)\n"
        "print(fentanet.web.create_app.__name__)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get(
        "PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["caviar", "analysis_report", "simulation_report",
                                  "create_app"]


def test_the_names_imported_on_first_use_are_offered_by_dir():
    # a notebook's completion (dir) did not offer fentanet.ensemble, fentanet.RunStore, ...
    # before their first use (review s20, api)
    code = ("import fentanet\n"
            "print(' '.join(n for n in ('ensemble', 'RunStore', 'datasets', 'calibrate', "
            "'tornado', 'global_sensitivity', 'sobol', 'report', 'web', 'simulate') "
            "if n in dir(fentanet)))\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get(
        "PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["ensemble", "RunStore", "datasets", "calibrate", "tornado",
                                  "global_sensitivity", "sobol", "report", "web", "simulate"]
