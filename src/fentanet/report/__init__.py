"""Reports: self-contained HTML files (scripts and data inlined, open offline) and PNG
figures, drawn from the analysis and simulation layers' results.

- :func:`analysis_report` (a network and its :func:`fentanet.analysis.summary.analyze`),
- :func:`simulation_report` (an ensemble, a comparison of strategies or one run),
- :class:`HtmlReport`, the builder both use, and :mod:`fentanet.report.figures`.

>>> rep = analysis_report(fentanet.datasets.load("caviar"))   # doctest: +SKIP
>>> rep.save("caviar.html"); rep.save_png("caviar-figures")   # doctest: +SKIP
"""

from fentanet.report.analysis import analysis_report
from fentanet.report.html import HtmlReport
from fentanet.report.simulation import sensitivity_report, simulation_report

__all__ = ["HtmlReport", "analysis_report", "sensitivity_report", "simulation_report"]
