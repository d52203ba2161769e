"""The actor and link kinds of the trade's network, from the seed document.

Each kind's docstring quotes or paraphrases ``who-makes-fentanyl.txt``; see DESIGN.md for
its role in the model. Untyped case data (who talked to whom) uses :attr:`ActorKind.ACTOR`
and :attr:`LinkKind.TIE`.
"""

from __future__ import annotations

from enum import StrEnum


class ActorKind(StrEnum):
    """Kinds of actor in the trade."""

    SUPPLIER = "supplier"
    """Chemical Suppliers: legitimate companies (screening orders) and illicit suppliers;
    the source of precursor."""
    MARKETPLACE = "marketplace"
    """Online Marketplaces: platforms where precursor and product are listed and sold; an
    intermediary on supply paths. A takedown cuts every path through it."""
    LAB = "lab"
    """Clandestine Labs: covert facilities that turn precursor into product."""
    ORGANIZATION = "organization"
    """Criminal Organizations: groups that control production and distribution; members
    link to them with ``member_of``."""
    ROUTE = "route"
    """Smuggling Networks: a route carrying product across borders and within countries, by
    one ``mode`` (land, air, sea, postal, online)."""
    TRAFFICKER = "trafficker"
    """Traffickers: wholesale distribution from the routes to the dealers."""
    DEALER = "dealer"
    """Dealers: retail sales into a market, on the street, at fixed places or online."""
    OFFICIAL = "official"
    """Complicit Individuals, corrupt officials: protect routes and actors from detection."""
    PRESCRIBER = "prescriber"
    """Complicit Individuals, medical professionals diverting prescription opioids."""
    BUSINESS = "business"
    """Complicit Individuals, legitimate businesses used as fronts or unwitting cover."""
    LAUNDERER = "launderer"
    """Complicit Individuals, money laundering through shell companies and transactions."""
    MARKET = "market"
    """The communities where fentanyl is used: a population of people who use drugs."""
    ACTOR = "actor"
    """Untyped case data: any person or entity."""


class LinkKind(StrEnum):
    """Kinds of link. Flow links carry material; support links change parameters."""

    SUPPLIES = "supplies"
    """Precursor from a supplier (or a marketplace) to a lab."""
    SHIPS = "ships"
    """Product onto and off a smuggling route."""
    DISTRIBUTES = "distributes"
    """Product from a trafficker to a dealer (or another trafficker)."""
    SELLS_TO = "sells_to"
    """Product from a dealer (or a marketplace) to a market."""
    DIVERTS_TO = "diverts_to"
    """Prescription opioids diverted by a prescriber into a market (not fentanyl product:
    it feeds initiation in the population model, never the flow)."""
    FLOW = "flow"
    """A flow link of an untyped flow network, such as the interdiction benchmarks."""
    MEMBER_OF = "member_of"
    """Membership of an actor in a criminal organization."""
    LAUNDERS_FOR = "launders_for"
    """A launderer converting an organization's revenue into usable cash."""
    PROTECTS = "protects"
    """A corrupt official protecting a route or an actor (lowers detection)."""
    FRONTS_FOR = "fronts_for"
    """A business giving cover to a route or a supplier."""
    TIE = "tie"
    """An untyped relation: communication, co-offending, co-attendance."""


class RouteMode(StrEnum):
    """Modes of the smuggling networks named in the seed document."""

    LAND = "land"
    AIR = "air"
    SEA = "sea"
    POSTAL = "postal"
    ONLINE = "online"


class Commodity(StrEnum):
    """The two commodities of the supply chain, kept apart in flow analysis."""

    PRECURSOR = "precursor"
    PRODUCT = "product"


ACTOR_KINDS: tuple[str, ...] = tuple(k.value for k in ActorKind)
LINK_KINDS: tuple[str, ...] = tuple(k.value for k in LinkKind)
ROUTE_MODES: tuple[str, ...] = tuple(m.value for m in RouteMode)

FLOW_LINK_KINDS: frozenset[str] = frozenset(
    {"supplies", "ships", "distributes", "sells_to", "diverts_to", "flow"}
)
"""Link kinds that carry material (``diverts_to`` carries prescription opioids)."""
SUPPORT_LINK_KINDS: frozenset[str] = frozenset(
    {"member_of", "launders_for", "protects", "fronts_for"}
)
"""Link kinds that change the parameters of what they attach to."""
PERSON_LINK_KINDS: frozenset[str] = frozenset(FLOW_LINK_KINDS | {"tie"})
"""Link kinds used by default for centralities of people: flow and ``tie``. ``member_of``
would make organization nodes hubs."""

_PRECURSOR_HOLDERS = {"supplier", "marketplace"}
_PRODUCT_HOLDERS = {"lab", "marketplace", "route", "trafficker"}

FLOW_RULES: dict[str, frozenset[tuple[str, str]]] = {
    "supplies": frozenset(
        {(a, b) for a in _PRECURSOR_HOLDERS for b in ("lab", "marketplace") if a != b}
        | {("supplier", "supplier")}
    ),
    "ships": frozenset(
        (a, b)
        for a in _PRODUCT_HOLDERS
        for b in ("route", "trafficker", "dealer", "marketplace")
        if not (a == b and a != "route")
    ),
    "distributes": frozenset(
        {("trafficker", "dealer"), ("trafficker", "trafficker"), ("dealer", "dealer")}
    ),
    "sells_to": frozenset({("dealer", "market"), ("marketplace", "market")}),
    "diverts_to": frozenset({("prescriber", "market")}),
}
"""Allowed (source kind, target kind) pairs per flow link kind: the flow chain
supplier → [marketplace] → lab → [marketplace] → route … → trafficker → dealer → market.
The untyped kind ``actor`` may stand at either end of any flow link, and ``flow`` links
join any kinds (they come from untyped flow networks)."""

SUPPORT_RULES: dict[str, frozenset[str] | None] = {
    "member_of": frozenset({"organization"}),
    "launders_for": frozenset({"organization", "actor"}),
    "protects": None,
    "fronts_for": frozenset({"route", "supplier", "lab", "organization", "actor"}),
}
"""Allowed target kinds of support links (``None``: any). Sources are unrestricted except
that ``launders_for`` starts at a launderer, ``protects`` at an official and
``fronts_for`` at a business (or untyped actors)."""

SUPPORT_SOURCES: dict[str, frozenset[str]] = {
    "launders_for": frozenset({"launderer", "actor"}),
    "protects": frozenset({"official", "actor"}),
    "fronts_for": frozenset({"business", "actor"}),
}


def allowed_pair(link_kind: str, source_kind: str, target_kind: str) -> bool:
    """Whether a link of ``link_kind`` may join actors of these kinds."""
    if link_kind in ("tie", "flow"):
        return True
    if link_kind in FLOW_RULES:
        if source_kind == "actor" or target_kind == "actor":
            return True
        return (source_kind, target_kind) in FLOW_RULES[link_kind]
    sources = SUPPORT_SOURCES.get(link_kind)
    if sources is not None and source_kind not in sources:
        return False
    targets = SUPPORT_RULES.get(link_kind)
    return targets is None or target_kind in targets or target_kind == "actor"


def expected_pairs(link_kind: str) -> str:
    """A human description of what a link kind may join, for error messages."""
    if link_kind in FLOW_RULES:
        pairs = sorted(FLOW_RULES[link_kind])
        return ", ".join(f"{a}->{b}" for a, b in pairs)
    sources = SUPPORT_SOURCES.get(link_kind)
    targets = SUPPORT_RULES.get(link_kind)
    src = "any" if sources is None else "|".join(sorted(sources))
    dst = "any" if targets is None else "|".join(sorted(targets))
    return f"{src}->{dst}"
