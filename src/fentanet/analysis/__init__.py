"""The analysis layer: pure functions over a network (DESIGN.md, "Analysis")."""

from fentanet.analysis.flow import MaxFlow, max_flow

__all__ = ["MaxFlow", "max_flow"]
