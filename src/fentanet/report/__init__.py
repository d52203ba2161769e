"""Reports: self-contained HTML files (scripts and data inlined, open offline) and PNG
figures, built from the analysis and simulation results."""

from fentanet.report.html import HtmlReport

__all__ = ["HtmlReport"]
