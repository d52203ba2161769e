"""Reports: self-contained HTML files (scripts and data inlined, open offline) and PNG
figures, drawn from the analysis and simulation layers' results.

- :func:`simulation_report` (an ensemble, a comparison of strategies or one run),
- :class:`HtmlReport`, the builder both use, and :mod:`fentanet.report.figures`.

>>> rep = simulation_report(fentanet.compare("toy", {"naloxone": [{"kind": "naloxone"}]}))
...                                                              # doctest: +SKIP
>>> rep.save("toy.html"); rep.save_png("toy-figures")         # doctest: +SKIP
"""

from fentanet.report.html import HtmlReport
from fentanet.report.simulation import sensitivity_report, simulation_report

__all__ = ["HtmlReport", "sensitivity_report", "simulation_report"]
