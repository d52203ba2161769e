"""Reports: self-contained HTML files (scripts and data inlined, open offline) and PNG
figures, drawn from the analysis and simulation layers' results.

- :func:`analysis_report` (a network and its :func:`fentanet.analysis.summary.analyze`),
- :func:`simulation_report` (an ensemble, a comparison of strategies or one run),
- :class:`HtmlReport`, the builder both use, and :mod:`fentanet.report.figures`.

The analysis of a small network (two triangles joined through ``c`` and ``d``; a case
file or ``fentanet.datasets.load("caviar")`` the same way), saved as one HTML file
(``rep.save_png(folder)`` writes its figures as PNG, through kaleido and chromium):

>>> import tempfile
>>> from pathlib import Path
>>> import pandas as pd
>>> import fentanet
>>> net = fentanet.Network(links=pd.DataFrame({"source": ["a", "a", "b", "c", "d", "d", "e"],
...                                            "target": ["b", "c", "c", "d", "e", "f", "f"]}),
...                        directed=False, name="bridge")
>>> rep = analysis_report(net, k=1)
>>> rep.sections()
['Overview', 'The network', 'Who matters', 'Key players', 'Groups and brokers',
 'Resilience', 'About this analysis']
>>> folder = tempfile.TemporaryDirectory()
>>> rep.save(Path(folder.name) / "bridge.html").name
'bridge.html'
>>> folder.cleanup()
"""

from fentanet.report.analysis import analysis_report
from fentanet.report.html import HtmlReport
from fentanet.report.simulation import sensitivity_report, simulation_report

__all__ = ["HtmlReport", "analysis_report", "sensitivity_report", "simulation_report"]
