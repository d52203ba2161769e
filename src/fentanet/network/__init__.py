"""The network layer: schema (actor and link kinds), the Network tables, readers and
writers, and conversion to and from networkx, igraph and pandas."""

from fentanet.network.convert import (
    as_network,
    from_igraph,
    from_networkx,
    from_pandas,
    to_igraph,
    to_networkx,
    to_pandas,
)
from fentanet.network.generator import SupplySpec, generate
from fentanet.network.io import FORMATS, detect_format, read, write
from fentanet.network.kinds import ActorKind, Commodity, LinkKind, RouteMode
from fentanet.network.model import Network

__all__ = [
    "FORMATS",
    "ActorKind",
    "Commodity",
    "LinkKind",
    "Network",
    "RouteMode",
    "SupplySpec",
    "as_network",
    "detect_format",
    "from_igraph",
    "from_networkx",
    "from_pandas",
    "generate",
    "read",
    "to_igraph",
    "to_networkx",
    "to_pandas",
    "write",
]
