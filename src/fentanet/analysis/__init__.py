"""The analysis layer: pure functions over a network (DESIGN.md, "Analysis").

Each function takes a :class:`~fentanet.network.Network` and parameters, returns a pandas
object or a small result dataclass, and never mutates the network. The graph the
algorithms run on (which links count, direction, weights as distance or strength) is
built by :func:`fentanet.analysis._graph.graph` and cached on the network.
"""

from fentanet.analysis.centrality import MEASURES, centralities, centrality
from fentanet.analysis.flow import MaxFlow, max_flow

__all__ = [
    "MEASURES",
    "MaxFlow",
    "centralities",
    "centrality",
    "max_flow",
]
