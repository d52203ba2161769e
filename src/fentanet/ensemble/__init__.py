"""Many runs: Monte Carlo ensembles, comparisons and parameter sweeps on Dask.

``fentanet.ensemble(scenario, runs=N, variants=..., sweep=...)`` runs the ensemble (this
module is callable: it is :func:`~fentanet.ensemble.core.ensemble`) and returns an
:class:`Ensemble` whose quantiles and paired comparisons are read from the run store.
"""

import sys
import types

from fentanet.ensemble.core import (
    EnsembleInterrupted,
    check_inputs,
    ensemble,
    load_scenario,
    reference,
    rerun,
    resolve,
    resume,
    run_model,
    scenario_source,
)
from fentanet.ensemble.plan import BASELINE, RunTask, Variant, sweep_points, variants_from
from fentanet.ensemble.results import (
    Ensemble,
    compare_table,
    mean_interval,
    paired,
    ratio_interval,
    series_quantiles,
)
from fentanet.ensemble.runner import SCHEDULER_ENV, connect, execute

__all__ = [
    "BASELINE",
    "SCHEDULER_ENV",
    "Ensemble",
    "EnsembleInterrupted",
    "RunTask",
    "Variant",
    "check_inputs",
    "compare_table",
    "connect",
    "ensemble",
    "execute",
    "load_scenario",
    "mean_interval",
    "paired",
    "ratio_interval",
    "reference",
    "rerun",
    "resolve",
    "resume",
    "run_model",
    "scenario_source",
    "series_quantiles",
    "sweep_points",
    "variants_from",
]


class _CallableModule(types.ModuleType):
    """Lets ``fentanet.ensemble(...)`` call :func:`ensemble` while staying a module."""

    def __call__(self, *args, **kwargs):
        return ensemble(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
