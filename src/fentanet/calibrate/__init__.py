"""Fitting the model to published figures, and its sensitivity to its parameters.

``fentanet.calibrate(scenario, targets, parameters, ...)`` fits (this module is callable:
it is :func:`~fentanet.calibrate.fit.calibrate`); :func:`tornado`,
:func:`global_sensitivity` and :func:`sobol` measure how much an outcome moves with each
parameter. All run the full simulation as ensembles (``fentanet.ensemble``: Dask, every
run kept in the run store) or the population surrogate in this process.

The overdose rate of the toy scenario's population surrogate fitted to three years of
deaths (a :class:`Target` made here; a CSV path such as
``../shared/data/public/us_synthetic_opioid_deaths.csv`` is read with its observation
model; docs/calibration.md fits ``us-baseline`` to it), then its tornado with the bystanders'
presence, over one year:

>>> import pandas as pd
>>> import fentanet
>>> deaths = Target("deaths", pd.Series({2021: 110, 2022: 105, 2023: 100}), series="fatal")
>>> fit = fentanet.calibrate("toy", deaths, {"params.population.overdose_rate": (0.1, 0.8)},
...                          model="population", start_year=2021, years=3, transition=False)
>>> fit.parameters[["name", "estimate", "low90", "high90", "identified"]].round(3)
                              name  estimate  low90  high90  identified
0  params.population.overdose_rate     0.217  0.187   0.252        True
>>> fit.fit[["year", "observed", "simulated"]].round(1)
   year  observed  simulated
0  2021     110.0      107.5
1  2022     105.0      110.5
2  2023     100.0       91.0
>>> table = fentanet.tornado("toy", {"params.population.overdose_rate": (0.2, 0.3),
...                                  "params.population.p_witnessed": (0.4, 0.8)},
...                          model="population", runs=2, years=1, metric="fatal_total")
>>> table[["parameter", "base", "at_low", "at_high", "swing"]]
                         parameter   base  at_low  at_high  swing
0  params.population.overdose_rate  117.0    98.5    144.5   46.0
1    params.population.p_witnessed  117.0   124.5    108.0  -16.5

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
