"""The analysis layer: pure functions over a network (DESIGN.md, "Analysis").

Each function takes a :class:`~fentanet.network.Network` and parameters, returns a pandas
object or a small result dataclass, and never mutates the network. The graph the
algorithms run on (which links count, direction, weights as distance or strength) is
built by :func:`fentanet.analysis._graph.graph` and cached on the network.
"""

from fentanet.analysis.brokerage import ROLES, brokerage
from fentanet.analysis.centrality import MEASURES, centralities, centrality
from fentanet.analysis.communities import Communities, communities
from fentanet.analysis.flow import MaxFlow, max_flow
from fentanet.analysis.interdiction import (
    Interdiction,
    interdict,
    interdiction_curve,
    interdiction_steps,
)
from fentanet.analysis.keyplayers import KeyPlayerResult, key_players, kpp_score
from fentanet.analysis.resilience import resilience
from fentanet.analysis.structure import components, network_measures
from fentanet.analysis.temporal import PhaseMeasures, RankDynamics, phase_measures, rank_dynamics

__all__ = [
    "MEASURES",
    "ROLES",
    "Communities",
    "Interdiction",
    "KeyPlayerResult",
    "MaxFlow",
    "PhaseMeasures",
    "RankDynamics",
    "brokerage",
    "centralities",
    "centrality",
    "communities",
    "components",
    "interdict",
    "interdiction_curve",
    "interdiction_steps",
    "key_players",
    "kpp_score",
    "max_flow",
    "network_measures",
    "phase_measures",
    "rank_dynamics",
    "resilience",
]
