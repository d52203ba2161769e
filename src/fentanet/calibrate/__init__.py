"""Fitting the model to published figures, and its sensitivity to its parameters.

``fentanet.calibrate(scenario, targets, parameters, ...)`` fits (this module is callable:
it is :func:`~fentanet.calibrate.fit.calibrate`); :func:`tornado`,
:func:`global_sensitivity` and :func:`sobol` measure how much an outcome moves with each
parameter. All run the full simulation as ensembles (``fentanet.ensemble``: Dask, every
run kept in the run store) or the population surrogate in this process.

>>> import fentanet
>>> fit = fentanet.calibrate("us-baseline",
...                          "../shared/data/public/us_synthetic_opioid_deaths.csv",
...                          {"params.population.overdose_rate": (0.1, 0.8)},
...                          model="population", start_year=2013, years=11)  # doctest: +SKIP
>>> fit.parameters, fit.fit                                                # doctest: +SKIP
>>> fentanet.tornado("toy", {"params.market.elasticity": (0.3, 0.9)})     # doctest: +SKIP

See :mod:`fentanet.calibrate.targets` (observed series and observation models),
:mod:`fentanet.calibrate.models` (the full simulation, the population surrogate, the
fentanyl transition), :mod:`fentanet.calibrate.fit` (the method),
:mod:`fentanet.calibrate.sensitivity` and docs/calibration.md.
"""

import sys
import types

from fentanet.calibrate.evaluate import Evaluator
from fentanet.calibrate.fit import DEFAULT_PARAMETERS, MAX_PARAMETERS, Calibration, calibrate
from fentanet.calibrate.models import (
    MODELS,
    FentanylTransition,
    ObservedScenario,
    PopulationModel,
    ScenarioModel,
    build_model,
    run_observed,
    status_quo_inputs,
)
from fentanet.calibrate.parameters import Parameter, parameters_from
from fentanet.calibrate.sensitivity import (
    global_sensitivity,
    latin_hypercube,
    prcc,
    sobol,
    sobol_design,
    sobol_indices,
    tornado,
    tornado_table,
)
from fentanet.calibrate.targets import KNOWN, Target, annual, read_target, targets_from

__all__ = [
    "DEFAULT_PARAMETERS",
    "KNOWN",
    "MAX_PARAMETERS",
    "MODELS",
    "Calibration",
    "Evaluator",
    "FentanylTransition",
    "ObservedScenario",
    "Parameter",
    "PopulationModel",
    "ScenarioModel",
    "Target",
    "annual",
    "build_model",
    "calibrate",
    "global_sensitivity",
    "latin_hypercube",
    "parameters_from",
    "prcc",
    "read_target",
    "run_observed",
    "sobol",
    "sobol_design",
    "sobol_indices",
    "status_quo_inputs",
    "targets_from",
    "tornado",
    "tornado_table",
]


class _CallableModule(types.ModuleType):
    """Lets ``fentanet.calibrate(...)`` call :func:`calibrate` while staying a module."""

    def __call__(self, *args, **kwargs):
        return calibrate(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
