"""fentanet: map, analyse and simulate the illicit fentanyl supply network.

For crime and intelligence analysts, public-health and policy researchers, and the
operations researchers who advise them. See README.md and docs/.
"""

from importlib.metadata import PackageNotFoundError, version

from fentanet.analysis import (
    Communities,
    Interdiction,
    MaxFlow,
    brokerage,
    centralities,
    centrality,
    communities,
    components,
    interdict,
    interdiction_curve,
    interdiction_steps,
    key_players,
    kpp_score,
    max_flow,
    network_measures,
    phase_measures,
    rank_dynamics,
    resilience,
)
from fentanet.errors import FentanetError, InputError
from fentanet.network import (
    ActorKind,
    LinkKind,
    Network,
    RouteMode,
    SupplySpec,
    from_igraph,
    from_networkx,
    from_pandas,
    generate,
    read,
    to_igraph,
    to_networkx,
    write,
)

try:
    __version__ = version("fentanet")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"



__all__ = [
    "ActorKind",
    "Communities",
    "FentanetError",
    "InputError",
    "Interdiction",
    "LinkKind",
    "MaxFlow",
    "Network",
    "RouteMode",
    "SupplySpec",
    "__version__",
    "brokerage",
    "centralities",
    "centrality",
    "communities",
    "components",
    "from_igraph",
    "from_networkx",
    "from_pandas",
    "generate",
    "interdict",
    "interdiction_curve",
    "interdiction_steps",
    "key_players",
    "kpp_score",
    "max_flow",
    "network_measures",
    "phase_measures",
    "rank_dynamics",
    "read",
    "resilience",
    "to_igraph",
    "to_networkx",
    "write",
]

# The simulation's verbs, bound last so that ``fentanet.simulate`` is the function (its
# subpackage stays importable as ``fentanet.simulate.<module>``).
from fentanet import scenarios
from fentanet.simulate.run import Comparison, Result, compare, simulate
from fentanet.simulate.scenario import Intervention, Scenario

__all__ += ["Comparison", "Intervention", "Result", "Scenario", "compare", "scenarios",
            "simulate"]


LAZY = ("RunStore", "calibrate", "datasets", "ensemble", "global_sensitivity", "report",
        "sobol", "tornado", "web")
"""The names :func:`__getattr__` imports on first use (the heavier layers)."""


def __dir__() -> list[str]:
    """The module's names and the :data:`LAZY` ones, so that a notebook's completion offers
    ``fentanet.ensemble``, ``fentanet.RunStore``, ... before their first use (it listed
    only what was imported)."""
    return sorted({*globals(), *LAZY})


def __getattr__(name: str):
    """Import the heavier layers on first use: ``fentanet.ensemble``, ``fentanet.RunStore``,
    ``fentanet.calibrate`` (callable), ``fentanet.tornado``, ``fentanet.global_sensitivity``,
    ``fentanet.sobol``, and the modules ``fentanet.datasets``, ``fentanet.report`` and
    ``fentanet.web``."""
    if name in ("datasets", "report", "web"):
        import importlib

        return importlib.import_module(f"fentanet.{name}")
    if name == "ensemble":
        import fentanet.ensemble

        return fentanet.ensemble
    if name == "calibrate":
        import fentanet.calibrate

        return fentanet.calibrate
    if name in ("tornado", "global_sensitivity", "sobol"):
        import fentanet.calibrate

        return getattr(fentanet.calibrate, name)
    if name == "RunStore":
        from fentanet.store import RunStore

        return RunStore
    raise AttributeError(f"module 'fentanet' has no attribute {name!r}")
