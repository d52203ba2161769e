"""Fitting the model to published figures, and its sensitivity to its parameters.

>>> from fentanet.calibrate import Parameter, ScenarioModel, calibrate, read_target
>>> deaths = read_target("../shared/data/public/us_synthetic_opioid_deaths.csv")  # doctest: +SKIP
>>> fit = calibrate(model, [deaths], [Parameter("params.population.overdose_rate",
...                 0.1, 0.5)])                                           # doctest: +SKIP
>>> fit.parameters                                                        # doctest: +SKIP

See :mod:`fentanet.calibrate.fit` (method), :mod:`fentanet.calibrate.models` (the full
simulation and the population surrogate), :mod:`fentanet.calibrate.sensitivity`
(one-at-a-time and Latin hypercube with PRCC) and docs/calibration.md.
"""

from fentanet.calibrate.fit import MAX_PARAMETERS, Calibration, Evaluator, Parameter, calibrate
from fentanet.calibrate.models import (
    FentanylTransition,
    PopulationModel,
    ScenarioModel,
    status_quo_inputs,
)
from fentanet.calibrate.sensitivity import latin_hypercube, one_at_a_time, prcc, tornado_figure
from fentanet.calibrate.targets import KNOWN, Target, annual, read_target

__all__ = [
    "KNOWN",
    "MAX_PARAMETERS",
    "Calibration",
    "Evaluator",
    "FentanylTransition",
    "Parameter",
    "PopulationModel",
    "ScenarioModel",
    "Target",
    "annual",
    "calibrate",
    "latin_hypercube",
    "one_at_a_time",
    "prcc",
    "read_target",
    "status_quo_inputs",
    "tornado_figure",
]
