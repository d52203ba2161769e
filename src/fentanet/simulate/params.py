"""The simulation's parameters, each with its default, unit and source.

Every field carries a ``source`` (a citation, or ``"assumption"``) in its schema, so that
``docs/model.md`` lists every parameter and counts sourced against assumed ones
(:func:`parameter_table`). Rates are annual (per year); a per-step probability is always
``1 - exp(-rate * dt)``. Quantities of material are kilograms of fentanyl-equivalent,
money is US dollars.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from fentanet.errors import InputError
from fentanet.network.kinds import ACTOR_KINDS
from fentanet.numbers import NoBoolNumbers

ASSUMPTION = "assumption"

KINDS_ENFORCED = ("supplier", "marketplace", "lab", "route", "trafficker", "dealer", "official",
                  "prescriber", "business", "launderer")
SELLER_KINDS = ("dealer", "marketplace")
"""Enforced kinds whose independents' places ``seller_replacement`` refills."""
INDEPENDENT_KINDS = tuple(k for k in KINDS_ENFORCED if k not in SELLER_KINDS)
"""The other enforced kinds, whose independents' places ``independent_replacement`` refills."""
MODES = ("land", "air", "sea", "postal", "online")

DEA_2016 = ("DEA, Counterfeit prescription pills containing fentanyls: a global threat "
            "(2016): a kilogram bought for $3,000-5,000 can generate over $1.5 million")
NARCOLOGIC = ("Magliocca et al., PNAS 2019 (NarcoLogic): traffickers shift toward nodes with "
              "lower recent interdiction losses")
MADTOR = ("Manzi & Calderoni, JASSS 27(3) 2024 (MADTOR): organizations replace arrested "
          "members and suspend activity after heavy losses")
MORSELLI = ("Morselli, Giguere & Petit, Social Networks 29(1) 2007: criminal networks trade "
            "efficiency for security under enforcement pressure; Manzi & Calderoni, JASSS "
            "27(3) 2024 (MADTOR)")
REPLACEMENT = ("Kleiman, The problem of replacement and the logic of drug law enforcement, "
               "FAS Drug Policy Analysis Bulletin 3 (1997): an arrested retail seller's "
               "market is taken over by another; Decary-Hetu & Giommoni, Crime, Law and "
               "Social Change 67(1) 2017: cryptomarket trade recovered within months after "
               "Operation Onymous's takedowns")
SOSKA = ("Soska & Christin, USENIX Security 2015: the online anonymous marketplace economy "
         "recovered from takedowns and from large-scale frauds (exit scams) alike, vendors "
         "moving to or already listed on other marketplaces; Norbutas, Ruiter & Corten, "
         "International Journal of Drug Policy 76 (2020): sellers migrate between markets "
         "when one closes or is shut down")
CHRISTIN = ("Christin, Traveling the Silk Road, WWW 2013: an online anonymous marketplace is "
            "paid in Bitcoin through its own escrow, whose wallet mixes incoming and outgoing "
            "coins; the operators earn commissions on the sales")
GALLET = ("Gallet, Health Economics 23(1) 2014, meta-analysis of illicit drug price "
          "elasticities (most estimates between -0.3 and -1)")


def P(default: Any, source: str, description: str, **kw: Any) -> Any:
    """A documented parameter: default, source (citation or "assumption"), description."""
    return Field(default, description=description, json_schema_extra={"source": source}, **kw)


class NumbersModel(NoBoolNumbers):
    """A scenario's model whose number fields refuse ``true``/``false`` (``years: true``
    was read as one year), with the message of any other wrong type."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


_Group = NumbersModel  # every parameter group


def _by_key(cls: type[BaseModel], info: ValidationInfo, value: dict[str, float],
           allowed: Sequence[str], what: str, *, positive: bool = False,
           share: bool = False) -> dict[str, float]:
    """A per-kind or per-mode mapping of a scenario: its keys among ``allowed``, its values
    >= 0 (> 0 if ``positive``, <= 1 if ``share``), merged over the field's default, so a
    mapping changes only the keys it names (as the dotted path ``params.x.y.key`` does)."""
    for key, x in value.items():
        if key not in allowed:
            raise ValueError(f"unknown {what} {key!r}; expected one of {', '.join(allowed)}")
        if positive and not x > 0:
            raise ValueError(f"{what} {key!r}: expected a value > 0, got {x}")
        if x < 0 or (share and x > 1):
            raise ValueError(f"{what} {key!r}: expected a value >= 0{' and <= 1' * share}, "
                             f"got {x}")
    return {**cls.model_fields[info.field_name].default, **value}


COVER_YEARS_MAX = 100.0
"""The largest stock cover, in years of a holder's capacity (:class:`SupplyParams`): the
spin-up starts the holders' stocks at their targets, and a cover of 1e6 years put so much
product in stock that the material balance's check, at rounding level of it, read 4e-9 of
the precursor (1e9 years: 4e-6); at 1e300 the stocks overflowed (fuzzing, session 21)."""


USD_PER_KG_MAX = 1e12
"""The largest price of a kg (``precursor_usd_per_kg``, ``retail_usd_per_kg``) and upkeep
of a member a year (``upkeep_usd_per_year``), in USD: with ``initial_cash_years`` at most
100 and the price index at most :data:`PRICE_INDEX_MAX`, cash and revenue stay finite
(``initial_cash_years`` 1e300 with ``retail_usd_per_kg`` 1.5e8 made the cash inf: fuzzing,
session 21). A million times the defaults."""
PRICE_INDEX_MAX = 1e6
"""The largest ``price_max``: a price index above it times ``retail_usd_per_kg`` overflowed
revenue (``price_max`` 1e300, a market cut off, a small elasticity)."""


class SupplyParams(_Group):
    """Procurement and production: suppliers, marketplaces and labs."""

    precursor_cover_years: float = P(
        0.08, ASSUMPTION, "precursor stock a lab aims to hold, in years of its capacity "
        "(about four weeks); the stock is why precursor controls act with a lag; at most "
        "100", ge=0, le=COVER_YEARS_MAX)
    stock_cover_years: float = P(
        0.04, ASSUMPTION, "product stock a holder (lab, marketplace, trafficker, dealer) aims "
        "to hold, in years of its capacity (about two weeks); at most 100", ge=0,
        le=COVER_YEARS_MAX)
    legit_compliance: float = P(
        0.2, ASSUMPTION, "share of the precursor volume ordered from legitimate companies "
        "that they refuse as suspicious (screening), before any precursor control", ge=0, le=1)
    marketplace_screening: float = P(
        0.05, ASSUMPTION, "share of precursor volume refused by online marketplaces", ge=0, le=1)
    screening_gain: float = P(
        1.0, ASSUMPTION, "precursor controls: refused share = 1 - (1 - base) * "
        "exp(-gain * intensity)", ge=0)
    tip_rate: float = P(
        0.3, ASSUMPTION, "detection hazard (per year) a lab gets from refused orders reported "
        "by screening companies, per unit share of its order refused in the step (at most 1)",
        ge=0)
    precursor_usd_per_kg: float = P(4000.0, DEA_2016, "price a lab pays per kg-equivalent of "
                                    "precursor (the DEA's $3,000-5,000 is for a kilogram of "
                                    "fentanyl bought wholesale abroad, taken as the price of "
                                    "the chain's abstract input); at most 1e12", ge=0,
                                    le=USD_PER_KG_MAX)


class RouteParams(_Group):
    """Smuggling routes: shipments, inspection and seizures."""

    shipment_kg: dict[str, float] = P(
        {"land": 10.0, "air": 2.0, "sea": 50.0, "postal": 0.5, "online": 0.25}, ASSUMPTION,
        "typical shipment size by mode (kg); a route's flow in a step is split into "
        "ceil(q / size) shipments")
    inspection: dict[str, float] = P(
        {"land": 0.06, "air": 0.06, "sea": 0.04, "postal": 0.03, "online": 0.02}, ASSUMPTION,
        "base seizure hazard per shipment by mode: p = 1 - exp(-h * S * (1 - protection) * "
        "(1 - cover)); the seized share of fentanyl flow is unknown (see data/public README)")
    screening_gain: float = P(
        1.0, ASSUMPTION, "border and postal screening: S = 1 + gain * intensity", ge=0)
    protection_per_official: float = P(
        0.3, ASSUMPTION, "share of a route's inspection each protecting official removes: "
        "protection = 1 - (1 - x)^officials (seizures only; the detection hazard has its own, "
        "enforcement.protection_per_official)", ge=0, le=1)
    cover_per_business: float = P(
        0.2, ASSUMPTION, "share of inspection each fronting business removes", ge=0, le=1)
    displacement: bool = P(True, NARCOLOGIC, "shipments shift toward routes with lower "
                           "recent losses (off: routes are weighted by capacity alone, in a "
                           "lab's split and in their receivers' room)")
    displacement_beta: float = P(
        10.0, ASSUMPTION, "a lab's shipments over routes feeding the same receivers split in "
        "proportion to capacity * exp(-beta * recent loss share), the factor counted once "
        "whether the receivers' room or the routes' own binds; the receivers' room is "
        "shared among the routes by the same weights (section 7.4)", ge=0)
    loss_memory_years: float = P(0.25, ASSUMPTION, "time constant of the exponentially "
                                 "weighted recent loss share of a route", gt=0)

    @field_validator("shipment_kg", "inspection")
    @classmethod
    def _by_mode(cls, value: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        return _by_key(cls, info, value, MODES, "mode",
                      positive=info.field_name == "shipment_kg")


DEMAND_FACTOR_MAX = 1e12
"""The most ``price_min ** -elasticity`` may be: the factor by which demand at the lowest
price index exceeds the base demand (:class:`MarketParams`). At the defaults it is 1.41;
Gallet's elasticities (at most 1) reach it only below a price index of 1e-12."""


def _power(x: float, y: float) -> str:
    """``x ** y`` written, ``inf`` where it overflows."""
    try:
        return f"{x ** y:.3g}"
    except OverflowError:
        return "inf"


class MarketParams(_Group):
    """Retail markets: demand, price and potency."""

    elasticity: float = P(0.5, GALLET, "absolute price elasticity of demand: D = D0 * "
                          "P^-elasticity; price target P = ((D / D0) / (S / S0))^(1 / "
                          "elasticity), S0 the status quo's retail offer", gt=0)
    price_min: float = P(0.5, ASSUMPTION, "lower bound of the price index (at most 1)",
                         gt=0)
    price_max: float = P(4.0, ASSUMPTION, "upper bound of the price index (at least 1, at "
                         "most 1e6)", gt=0, le=PRICE_INDEX_MAX)
    price_memory_years: float = P(0.04, ASSUMPTION, "time constant with which the price index "
                                  "moves toward its target", gt=0)
    retail_usd_per_kg: float = P(1.5e6, DEA_2016, "retail value of one kg-equivalent at price "
                                 "index 1; at most 1e12", ge=0, le=USD_PER_KG_MAX)
    wholesale_share: dict[str, float] = P(
        {"lab": 0.01, "route": 0.03, "marketplace": 0.05, "trafficker": 0.10, "dealer": 0.3},
        ASSUMPTION, "price per kg paid to a seller of each kind by a buyer of another "
        "organization, as a share of the retail value (mark-ups along the chain, after "
        "Caulkins & Reuter, Crime and Justice 1998)")
    potency_trend: list[tuple[float, float]] = P(
        [], ASSUMPTION, "exogenous potency index of the product mix as (years since start, "
        "value) points, linearly interpolated; empty = constant 1 (the rise of fentanyl is an "
        "input series, docs/calibration.md)")
    volatility_memory_years: float = P(0.25, ASSUMPTION, "time constant of the recent "
                                       "supply level against which a shortfall counts as "
                                       "volatility", gt=0)
    potency_noise: float = P(0.5, ASSUMPTION, "log-normal spread of a market's potency per unit "
                             "of volatility", ge=0)

    @field_validator("wholesale_share")
    @classmethod
    def _by_kind(cls, value: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        return _by_key(cls, info, value, ACTOR_KINDS, "kind", share=True)

    @field_validator("potency_trend")
    @classmethod
    def _potency(cls, value: list[tuple[float, float]]) -> list[tuple[float, float]]:
        for t, x in value:
            if x < 0:
                raise ValueError(f"potency {x} at {t} years: expected a value >= 0")
        return value

    @field_validator("price_min", "price_max")
    @classmethod
    def _around_one(cls, x: float, info: ValidationInfo) -> float:
        """The bounds hold 1: the status quo's price index is 1 by construction (the spin-up
        sets it, docs/model.md 7.5), so a bound beyond it would start every run outside."""
        low = info.field_name == "price_min"
        if (x > 1) if low else (x < 1):
            raise ValueError(f"expected a value {'<=' if low else '>='} 1: the price index is 1 "
                             "in the status quo (docs/model.md 7.5), so the bounds must hold 1")
        return x

    @model_validator(mode="after")
    def _demand_bounded(self) -> MarketParams:
        """Demand at the lowest price, ``price_min ** -elasticity`` times the base, at most
        :data:`DEMAND_FACTOR_MAX`: elasticity 1e9 made a price index of 0.89 ask for
        infinitely many kg (a NaN demand in the series), and price_min 1e-300 did at
        elasticity 1.5 (fuzzing, session 21)."""
        if self.elasticity * -math.log(self.price_min) > math.log(DEMAND_FACTOR_MAX):
            most = math.log(DEMAND_FACTOR_MAX) / -math.log(self.price_min)
            raise ValueError(
                f"at elasticity {self.elasticity:g} the lowest price index, price_min "
                f"{self.price_min:g}, would multiply demand by price_min ** -elasticity = "
                f"{_power(self.price_min, -self.elasticity)}; expected at most "
                f"{DEMAND_FACTOR_MAX:g}: set elasticity at most {most:.4g} or raise "
                "price_min (docs/model.md 7.5)")
        return self


class MoneyParams(_Group):
    """Revenue, laundering, upkeep and cash."""

    launder_fee: float = P(0.1, ASSUMPTION, "share of laundered revenue kept by launderers",
                           ge=0, le=1)
    unlaundered_usable: float = P(0.3, ASSUMPTION, "share of revenue an organization without "
                                  "a launderer can use; the rest is hoarded (unusable, "
                                  "seizable)", ge=0, le=1)
    marketplaces_launder: bool = P(
        True, CHRISTIN, "an online marketplace that pays for itself converts its own revenue "
        "as a launderer does (minus launder_fee, anti-money-laundering seizing its share); off: "
        "it keeps unlaundered_usable of it, as a payer without a launderer")
    aml_share: float = P(0.1, ASSUMPTION, "share of laundered revenue seized per unit of "
                         "anti-money-laundering intensity: 1 - exp(-x * intensity)", ge=0)
    upkeep_usd_per_year: dict[str, float] = P(
        {"lab": 20000.0, "route": 30000.0, "trafficker": 15000.0, "dealer": 5000.0,
         "launderer": 10000.0, "marketplace": 10000.0},
        ASSUMPTION, "running cost per member per year, paid from usable cash; an "
        "organization that cannot pay fails")
    initial_cash_years: float = P(0.5, ASSUMPTION, "initial usable cash: years of the payer's "
                                  "purchases and upkeep at capacity; at most 100", ge=0,
                                  le=COVER_YEARS_MAX)

    @field_validator("upkeep_usd_per_year")
    @classmethod
    def _by_kind(cls, value: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        value = _by_key(cls, info, value, ACTOR_KINDS, "kind")
        for kind, x in value.items():
            if x > USD_PER_KG_MAX:
                raise ValueError(f"kind {kind!r}: expected at most {USD_PER_KG_MAX:g} USD a "
                                 "year, so that cash stays finite (docs/model.md 7.6)")
        return value


class EnforcementParams(_Group):
    """Detection, arrests and what the police know."""

    detection_rate: dict[str, float] = P(
        {"dealer": 0.15, "trafficker": 0.08, "lab": 0.10, "route": 0.08, "supplier": 0.05,
         "marketplace": 0.10, "launderer": 0.05, "official": 0.03, "business": 0.02,
         "prescriber": 0.03},
        ASSUMPTION, "base detection hazard per year by kind at activity 1 (order of the "
        "annual arrest risk of retail sellers in Reuter & Kleiman, Crime and Justice 1986); "
        "legitimate suppliers are never detected")
    effort_gain: float = P(1.0, ASSUMPTION, "an enforcement intervention without a target "
                           "multiplies the hazard of the kinds it acts on by 1 + gain * "
                           "intensity", ge=0)
    target_gain: float = P(4.0, ASSUMPTION, "a targeted operation multiplies its targets' "
                           "hazard by 1 + gain * intensity, in place of the kind-wide 1 + "
                           "effort_gain * intensity: the other actors of its kinds keep their "
                           "hazard", ge=0)
    activity_exponent: float = P(0.5, ASSUMPTION, "theta: hazard grows with activity^theta, "
                                 "activity = throughput / capacity", ge=0)
    min_activity: float = P(0.1, ASSUMPTION, "floor of activity (idle actors stay visible)",
                            gt=0, le=1)
    protection_per_official: float = P(0.3, ASSUMPTION, "share of detection hazard removed "
                                       "per protecting official (a route's inspection has "
                                       "its own, routes.protection_per_official)", ge=0, le=1)
    asset_share: float = P(0.5, ASSUMPTION, "share of an organization's cash and hoard seized "
                           "when its leader or a lieutenant is arrested", ge=0, le=1)
    known_share: float = P(0.3, ASSUMPTION, "share of links the police know at the start",
                           ge=0, le=1)
    reveal_rate: float = P(0.5, ASSUMPTION, "rate per year at which surveillance reveals an "
                           "unknown link (times intelligence sharing's factor 1 + effort_gain * "
                           "intensity)", ge=0)
    arrest_reveal: float = P(0.5, ASSUMPTION, "share of an arrested actor's links revealed",
                             ge=0, le=1)
    jail_years: float = P(0.25, ASSUMPTION, "time an arrested retail seller is held before "
                          "release", ge=0)
    users_per_dealer_arrest: float = P(
        1.0, ASSUMPTION, "people who use drugs released per dealer arrest (one simulated "
        "dealer is a retail cell; Binswanger et al., NEJM 2007, for the risk after release)",
        ge=0)

    @field_validator("detection_rate")
    @classmethod
    def _by_kind(cls, value: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        return _by_key(cls, info, value, KINDS_ENFORCED, "kind")


class AdaptationParams(_Group):
    """How the trade adapts; each behaviour can be turned off."""

    replacement: bool = P(True, MADTOR, "organizations replace lost members after a delay")
    recruit_rate: float = P(6.0, ASSUMPTION, "r: recruits per vacancy ~ Binomial(vacancies, "
                            "1 - exp(-r * dt * alive / initial)), so recovery slows as losses "
                            "mount", ge=0)
    replacement_delay_years: float = P(0.04, ASSUMPTION, "time before a vacancy can be filled",
                                       ge=0)
    seller_replacement: bool = P(
        True, REPLACEMENT, "an arrested independent dealer or a taken-down marketplace is "
        "replaced: after the delay a newcomer takes its place (slot and links, a fresh uid, "
        "the cash left in the niche, no stock)")
    seller_replacement_rate: float = P(
        4.0, ASSUMPTION, "rate per year at which a vacant independent dealer's or "
        "marketplace's place is taken, after replacement_delay_years (about three months "
        "on average)", ge=0)
    independent_replacement: bool = P(
        True, ASSUMPTION, "the place of an arrested independent actor of another enforced "
        "kind (an illicit supplier, official, fronting business or prescriber, or a lab, "
        "route, trafficker or launderer without an organization) is taken by a newcomer "
        "after the delay, as a seller's is (the logic of replacement, shown for retail "
        "sellers, carried to the other niches: the niche and its links outlast the actor); "
        "without it routine arrests wear the status quo down (us-baseline over ten years: "
        "illicit suppliers -28%, prescribers and officials -22% to -26%, the price index "
        "1.00 to 1.19-1.22)")
    independent_replacement_rate: dict[str, float] = P(
        {kind: 1.0 for kind in INDEPENDENT_KINDS}, ASSUMPTION, "rate per year by kind at "
        "which such a vacant place is taken, after replacement_delay_years (about a year on "
        "average: slower than a street seller's, as a newcomer needs a licence, a post, a "
        "business or a chemical trade); 0 leaves the kind's places empty, as without "
        "replacement")
    closure_ties: int = P(1, ASSUMPTION, "extra ties a recruit forms to friends of friends "
                          "(triadic closure)", ge=0)
    suspension: bool = P(True, MADTOR, "an organization that loses a large share of members "
                         "at once suspends procurement and production for a while (its labs "
                         "and marketplaces buy no precursor, its labs make nothing)")
    suspension_share: float = P(0.3, ASSUMPTION, "share of members lost within the loss "
                                "window that triggers suspension", gt=0, le=1)
    suspension_on_leadership: bool = P(
        True, MORSELLI, "an organization whose leader or a lieutenant is arrested suspends "
        "too (its leadership knows it is under investigation), whatever the share lost")
    suspension_years: float = P(0.25, ASSUMPTION, "length of a suspension", ge=0)
    loss_window_years: float = P(0.08, ASSUMPTION, "window over which losses are summed for "
                                 "suspension", gt=0)
    succession: bool = P(True, MADTOR, "a lieutenant replaces an arrested leader; with no "
                         "lieutenant left the organization fails (a required role is empty)")
    entry: bool = P(True, ASSUMPTION, "new labs and illicit suppliers enter while the price "
                    "(margin) is high")
    entry_rate: float = P(30.0, ASSUMPTION, "entrants per year per unit of price index above "
                          "the threshold, for each of labs and suppliers, per 100 labs", ge=0)
    entry_threshold: float = P(1.2, ASSUMPTION, "price index above which entry starts", gt=0)
    exit: bool = P(True, ASSUMPTION, "labs and illicit suppliers leave while the price "
                   "(margin) is low, the latest entrants first, then the smallest (young and "
                   "small plants fail most often: Dunne, Roberts & Samuelson, QJE 104(4) "
                   "1989); an organization keeps its last lab, the trade its last illicit "
                   "supplier (off: capacity that entered stays)")
    exit_rate: float = P(2.0, ASSUMPTION, "hazard per year with which each lab or illicit "
                         "supplier that can leave does, per unit of price index below the "
                         "threshold", ge=0)
    exit_threshold: float = P(0.9, ASSUMPTION, "price index below which exit starts (under "
                              "the status quo's 1, and at most entry_threshold)", gt=0)
    reroute: bool = P(True, NARCOLOGIC, "a lab whose routes lose a high share of recent "
                      "shipments links to another alive route with lower recent losses and "
                      "spare room (its organization's first, another mode first)")
    reroute_rate: float = P(10.0, ASSUMPTION, "hazard per year with which a lab links to a new "
                            "route, per unit of its routes' recent loss share above "
                            "reroute_threshold", ge=0)
    reroute_threshold: float = P(0.2, ASSUMPTION, "recent loss share of a lab's routes "
                                 "(capacity-weighted) above which it looks for a new route",
                                 ge=0, le=1)
    reroute_traffickers: bool = P(
        True, NARCOLOGIC, "a trafficker (a receiver of routes) whose routes lose a high share "
        "of recent shipments links from another alive route with lower recent losses and "
        "spare room, by the labs' rule (reroute_threshold, reroute_rate; its "
        "organization's first, another mode first)")
    reroute_supply: bool = P(
        True, NARCOLOGIC, "a trafficker fed by routes that has no alive route with capacity "
        "left (arrested, failed or gone) links from an alive route with spare room and a "
        "recent loss share at most reroute_threshold (its organization's first, then the "
        "most room), in the run and in the spin-up (off: it stays cut off, as its routes' "
        "loss share is undefined)")
    reroute_supply_rate: float = P(
        8.0, ASSUMPTION, "hazard per year with which such a trafficker links from a new "
        "route: reroute_rate * (1 - reroute_threshold), a trafficker whose routes lose "
        "everything", ge=0)
    reroute_room: bool = P(
        True, ASSUMPTION, "a lab that cannot ship what it could (its offer held back for "
        "lack of room on its routes) links to another alive route with spare room and a "
        "recent loss share at most reroute_threshold (its organization's first), in the run "
        "and in the spin-up (off: re-routing answers losses only)")
    reroute_room_rate: float = P(
        10.0, ASSUMPTION, "hazard per year with which a lab links to a new route for room, "
        "per unit of its recent held-back share above reroute_room_threshold (as "
        "reroute_rate for losses)", ge=0)
    reroute_room_threshold: float = P(
        0.2, ASSUMPTION, "recent share of a lab's offer, min(product, capacity * dt), its "
        "routes' room did not take (exponentially weighted with routes.loss_memory_years) "
        "above which it looks for a route with room", ge=0, le=1)
    migration: bool = P(True, SOSKA, "listings move from a marketplace that leaves (taken "
                        "down or insolvent) to a surviving one")
    migration_rate: float = P(12.0, ASSUMPTION, "rate per year at which an orphaned listing "
                              "moves", ge=0)

    @field_validator("independent_replacement_rate")
    @classmethod
    def _by_kind(cls, value: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        return _by_key(cls, info, value, INDEPENDENT_KINDS, "kind")

    @model_validator(mode="after")
    def _thresholds(self) -> AdaptationParams:
        if self.entry and self.exit and self.exit_threshold > self.entry_threshold:
            raise ValueError(f"exit_threshold ({self.exit_threshold}) is above "
                             f"entry_threshold ({self.entry_threshold}): at a price between "
                             "them labs would enter and leave at once; set exit_threshold at "
                             f"most {self.entry_threshold} (or turn entry or exit off)")
        return self


class PublicHealthParams(_Group):
    """How the public-health levers and enforcement reach the population model."""

    takeback_effect: float = P(0.3, ASSUMPTION, "share of prescription diversion removed by "
                               "drug take-back at intensity 1", ge=0, le=1)
    oversight_effect: float = P(0.3, ASSUMPTION, "rate of the exponential fall of prescription "
                                "diversion per unit of prescriber oversight intensity, besides "
                                "arrests: diversion x exp(-oversight_effect * I), 1 - exp(-0.3) "
                                "= 25.9% removed at intensity 1", ge=0, le=1)
    scam_avoidance: float = P(0.2, ASSUMPTION, "share of online sellers' retail offer withheld "
                              "per unit of scam and counterfeit awareness (buyers avoid them; "
                              "the markets' demand is unchanged, so the offer counted in the "
                              "price falls)", ge=0, le=1)


INTERVENTION_KINDS: dict[str, dict[str, Any]] = {
    "lab_raids": {"acts_on": ("lab",), "cost": 2.0e7,
                  "seed": "dismantle clandestine labs, disrupt production"},
    "organization_takedown": {"acts_on": ("lab", "route", "trafficker", "dealer", "launderer"),
                              "cost": 5.0e7,
                              "seed": "disrupt operations, seize assets, dismantle networks"},
    "precursor_controls": {"acts_on": ("supplier", "marketplace"), "cost": 1.0e7,
                           "seed": "strengthen regulations, monitoring, collaborate with "
                                   "legitimate chemical companies"},
    "border_security": {"acts_on": (), "cost": 1.0e8,
                        "seed": "strengthen border security (land, air and sea cargo)"},
    "postal_screening": {"acts_on": (), "cost": 3.0e7,
                         "seed": "small shipments through postal and courier services"},
    "intelligence_sharing": {"acts_on": KINDS_ENFORCED, "cost": 2.0e7,
                             "seed": "raises detection across jurisdictions"},
    "trafficker_enforcement": {"acts_on": ("trafficker", "dealer"), "cost": 1.0e8,
                               "seed": "prosecute traffickers and dealers"},
    "marketplace_takedown": {"acts_on": ("marketplace",), "cost": 1.0e7,
                             "seed": "collaborate with tech companies and payment processors"},
    "anti_money_laundering": {"acts_on": ("launderer",), "cost": 2.0e7,
                              "seed": "money laundering through shell companies and "
                                      "transactions"},
    "anti_corruption": {"acts_on": ("official",), "cost": 1.0e7, "seed": "corrupt officials"},
    "prescriber_oversight": {"acts_on": ("prescriber",), "cost": 1.0e7,
                             "seed": "medical professionals diverting opioids"},
    "education": {"acts_on": (), "cost": 5.0e7, "seed": "tip 1: education and awareness"},
    "take_back": {"acts_on": (), "cost": 1.0e7, "seed": "tip 2: drug take-back"},
    "prevention_treatment": {"acts_on": (), "cost": 1.0e9,
                             "seed": "tip 3: prevention and treatment"},
    "scam_awareness": {"acts_on": (), "cost": 1.0e7,
                       "seed": "tip 4: online scam and counterfeit awareness"},
    "naloxone": {"acts_on": (), "cost": 5.0e7,
                 "seed": "overdose reversal (not in the seed; every user expects it)"},
}
"""The interventions of DESIGN.md: the actor kinds whose detection they raise, the default
cost in USD per unit of intensity per year at national scale (assumption; the default of
``params.costs.usd_per_unit``), and the seed's wording."""


COST_PER_UNIT_MAX = 1e12
"""Largest cost of an intervention in USD per unit of intensity per year, its own
``cost_per_unit`` or ``params.costs.usd_per_unit`` of its kind times ``params.costs.scale``:
a thousand times the largest national default (prevention and treatment, 1e9). With
intensity at most 1e6 (``scenario.INTENSITY_MAX``) and a horizon at most 200 years, one
intervention costs at most 2e20 USD in a run, so costs stay finite over any horizon at any
intensity (``params.costs.scale=1e300`` made them inf)."""


class CostParams(_Group):
    """What the interventions cost. The defaults are national: a programme at intensity 1
    across a country of about 3 million people using (us-baseline); a smaller scenario
    scales them with ``scale`` (the toy's is its people using over us-baseline's)."""

    usd_per_unit: dict[str, float] = P(
        {kind: spec["cost"] for kind, spec in INTERVENTION_KINDS.items()}, ASSUMPTION,
        "USD per unit of intensity per year of each intervention at national scale (orders "
        "of magnitude of US federal programme budgets), at most 1e12; an intervention's own "
        "cost_per_unit replaces it")
    scale: float = P(1.0, ASSUMPTION, "multiplies every usd_per_unit (not an intervention's "
                     "own cost_per_unit): 1 at national scale; times the largest "
                     "usd_per_unit at most 1e12", gt=0)

    @field_validator("usd_per_unit")
    @classmethod
    def _by_kind(cls, value: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        value = _by_key(cls, info, value, tuple(INTERVENTION_KINDS), "intervention")
        for kind, x in value.items():
            if x > COST_PER_UNIT_MAX:
                raise ValueError(f"intervention {kind!r}: expected at most "
                                 f"{COST_PER_UNIT_MAX:g} USD per unit of intensity per year, "
                                 "so that costs stay finite (docs/model.md 7.1)")
        return value

    @field_validator("scale")
    @classmethod
    def _scale(cls, x: float, info: ValidationInfo) -> float:
        usd = info.data.get("usd_per_unit")  # absent when usd_per_unit was refused
        if usd:
            kind = max(usd, key=usd.__getitem__)
            if x * usd[kind] > COST_PER_UNIT_MAX:
                raise ValueError(
                    f"expected at most {COST_PER_UNIT_MAX / usd[kind]:g}: the "
                    f"largest usd_per_unit ({kind}, {usd[kind]:g}) times scale must be at "
                    f"most {COST_PER_UNIT_MAX:g} USD per unit of intensity per year, so that "
                    "costs stay finite (docs/model.md 7.1)")
        return x


class Params(_Group):
    """All parameter groups of a scenario; ``population`` goes to the population model."""

    supply: SupplyParams = SupplyParams()
    routes: RouteParams = RouteParams()
    market: MarketParams = MarketParams()
    money: MoneyParams = MoneyParams()
    enforcement: EnforcementParams = EnforcementParams()
    adaptation: AdaptationParams = AdaptationParams()
    public_health: PublicHealthParams = PublicHealthParams()
    costs: CostParams = CostParams()
    population: dict[str, Any] = Field(
        default_factory=dict, description="overrides of the population model's parameters "
        "(fentanet.simulate.population.PopulationParams)")

    @field_validator("population")
    @classmethod
    def _population(cls, value: dict[str, Any]) -> dict[str, Any]:
        from fentanet.simulate.population import PopulationParams

        try:
            checked = PopulationParams.from_mapping(value, where="population")
        except InputError as exc:
            raise ValueError(f"{exc.field}: {exc.detail}") from None
        return {name: getattr(checked, name) for name in value}  # "1e-3" as 0.001



PUBLIC_HEALTH_KINDS = ("education", "take_back", "prevention_treatment", "scam_awareness",
                       "naloxone")
"""Interventions whose intensity is a coverage in [0, 1] reaching the population model."""

TargetRule = Literal["random", "degree", "betweenness", "closeness", "eigenvector", "pagerank",
                     "harmonic", "katz", "collective_influence", "key_players", "min_cut",
                     "interdiction"]


def parameter_table(model: type[BaseModel] = Params, prefix: str = "") -> pd.DataFrame:
    """Every parameter with its dotted name, default, source and description."""
    rows = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        dotted = f"{prefix}{name}"
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            rows.append(parameter_table(ann, dotted + "."))
            continue
        extra = field.json_schema_extra or {}
        if "source" not in extra:
            continue
        default = field.default if field.default_factory is None else field.default_factory()
        rows.append(pd.DataFrame([{"parameter": dotted, "default": default,
                                   "source": extra["source"],
                                   "description": field.description}]))
    if not rows:
        return pd.DataFrame(columns=["parameter", "default", "source", "description"])
    return pd.concat(rows, ignore_index=True)


def _markdown_value(value: Any) -> str:
    """A default as section 8 of docs/model.md writes it: on/off, ``key value`` pairs,
    numbers in the shortest form with the exponent unpadded (2e7, 1.5e6)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_markdown_value(x)}" for k, x in value.items())
    if isinstance(value, float | int):
        return f"{value:g}".replace("e+0", "e").replace("e+", "e")
    return str(value)


def parameter_markdown() -> str:
    """The parameter table of docs/model.md section 8, from :func:`parameter_table`
    (generated: a test keeps the doc's table and its count in step with the code)."""
    lines = ["| parameter | default | source | meaning |", "|---|---|---|---|"]
    for r in parameter_table().itertuples():
        lines.append(f"| `{r.parameter}` | {_markdown_value(r.default)} | {r.source} | "
                     f"{r.description} |")
    return "\n".join(lines)
