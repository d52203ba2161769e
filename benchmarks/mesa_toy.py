"""fentanet's whole simulation step written the way a Mesa 3 user would write it: the peer
of the speed benchmark (:mod:`benchmarks.bench_simulate`).

One ``mesa.Agent`` per actor (:class:`Actor`) and per market (:class:`Market`), each with
a method per phase; the model (:class:`TradeModel`) runs the eleven phases of
:data:`fentanet.simulate.loop.PHASES` in the same order, with the same rules and the
parameter values of the same :class:`~fentanet.simulate.scenario.Scenario` (nothing that
lives in ``scenario.params`` is written here again), on the same network:

1. interventions: throughput and refused shares reset; the efforts of the interventions in
   force (hazard multipliers by kind, an organization takedown's on members of
   organizations only, intelligence sharing, screening by mode, precursor
   controls, anti-money-laundering, anti-corruption, take-back, oversight, public-health
   coverages, costs). Targeted operations (``target`` or ``once``) rank actors with the
   analysis layer and are not ported: the model refuses them. The toy scenario's baseline
   has no intervention, so its step computes the baseline efforts.
2. procurement: labs and marketplaces refill their precursor stock from their suppliers,
   split by link weight, two ordering passes; legitimate companies and marketplaces refuse
   a share (raised by precursor controls), once: the second pass re-orders what the first
   did not get, refused volume included, from the sellers that did not refuse the buyer;
   suppliers sell at most ``capacity * dt``, marketplaces their stock; the payer's cash
   limits what is bought.
3. production: ``min(capacity * dt, precursor, room)`` per alive, unsuspended lab.
4. shipping: labs ship onto routes (and marketplaces), split by the receivers' room times
   ``exp(-beta * recent loss)`` (displacement), a route's room for that split its share of
   its receivers' room by capacity, a route taking at most what its receivers can take
   (their room shared by capacity times that factor); routes carry on,
   ``Binomial(ceil(q / size), p)`` shipments seized with ``p = 1 - exp(-h * S * (1 -
   protection) * (1 - cover))``; three offer passes per
   stage, payment at the wholesale price between payers, limited by cash.
5. distribution: marketplace, trafficker and dealer stages as above; retail: sellers'
   offers split by link weight to markets, each taking at most its demand
   ``D0 * users / users0 * price^-elasticity * dt``; revenue to the sellers' payers.
6. market: price index toward ``((D / D0) / (S / S0))^(1 / elasticity)``, bounded;
   volatility (shortfall against recent supply); potency log-normal with that spread.
7. population: per market, initiation, overdose (fatal, reversed by naloxone), treatment
   entry (capped by places) and exit, remission, relapse, other deaths, the post-release
   window: one binomial or multinomial draw (NumPy) per compartment and step.
8. money: revenue laundered (fee, anti-money-laundering; a marketplace launders its own)
   or partly hoarded; upkeep; the insolvent payers.
9. enforcement: each alive actor of an enforced kind detected with ``1 - exp(-h * dt)``,
   ``h = b[kind] * E * intel * activity^theta * (1 - protection) + tip_rate * refused``;
   arrest: stocks seized, a leader's or lieutenant's organization loses a share of its
   cash and hoard, a share of its links revealed to the police, its users released later
   (dealers), losses counted for suspension; a marketplace's listings orphaned (also when
   it quits insolvent).
10. adaptation: suspension (loss share, leadership arrest), succession, failure (no
    leader, no member, insolvent), replacement after a delay with
    ``Binomial(vacancies, 1 - exp(-r * dt * alive / initial))`` and a tie to a friend of
    a friend, replacement of arrested independent dealers and marketplaces, entry of labs
    and suppliers while the price is high, their exit while it is low, re-routing of labs
    whose routes lose much or that are held back by their routes' room, migration of
    listings.
11. record: one dict row per step of the series (the Mesa user's ``DataCollector`` rows
    without its per-reporter calls).

Before step 0 the model spins up as fentanet does (:meth:`TradeModel._warmup`):
``warmup_years`` of the phases of fentanet's spin-up in their order (:data:`SPINUP_PHASES`:
the supply phases and money, enforcement at the baseline's efforts, the adaptation that
answers it without insolvency, entry and exit), the price fixed at 1 and the population
unchanged; the retail offer and share of demand met at its last step are each market's
reference supply S0 and status quo of availability, and the police's knowledge is drawn at
its end.

Random numbers come from the model's ``random.Random`` (Bernoulli draws, choices) and its
NumPy ``Generator`` (binomial, multinomial, Poisson, normal draws), as Mesa 3 seeds both, so
the draws differ from fentanet's keyed streams: the two models agree in distribution, not
draw for draw. ``python -m benchmarks.mesa_toy`` runs both on the toy network over many
seeds and prints the means and standard errors of the main series side by side (the table
is in docs/model.md, section 10).

``TradeModel(..., phases=SUPPLY_PHASES)`` runs only the phases of the older, smaller Mesa
model of this benchmark (no market, population, money or record), for the comparison with
fentanet's supply phases alone.
"""

from __future__ import annotations

import math
import sys
import time
from collections import Counter, defaultdict

import mesa
import numpy as np
import pandas as pd

from fentanet.network.model import Network
from fentanet.simulate.loop import STATUS_QUO_STEPS, step_params
from fentanet.simulate.params import INTERVENTION_KINDS, KINDS_ENFORCED, MODES
from fentanet.simulate.phases.market import trend
from fentanet.simulate.phases.record import active_column
from fentanet.simulate.population import WEEKS_PER_YEAR, PopulationParams, steady_state
from fentanet.simulate.scenario import Scenario
from fentanet.simulate.state import DEFAULT_CAPACITY

PHASES = ("interventions", "procurement", "production", "shipping", "distribution", "market",
          "population", "money", "enforcement", "adaptation", "record")
"""The phases of one step, in fentanet's order."""
SPINUP_PHASES = ("procurement", "production", "shipping", "distribution", "money",
                 "enforcement", "adaptation")
"""The phases of a spin-up step, in fentanet's order
(:data:`fentanet.simulate.loop.SPINUP_PHASES`, named by their modules): enforcement at the
baseline's efforts, adaptation as :meth:`TradeModel.spinup_adaptation`."""
SUPPLY_PHASES = ("interventions", "procurement", "production", "shipping", "distribution",
                 "enforcement", "adaptation")
"""fentanet's "supply phases" (all but market, population, money and record): the part of the
step the earlier, smaller Mesa model of this benchmark stood against."""

HOLDERS = ("lab", "marketplace", "trafficker", "dealer")  # hold a product stock at start
STAGES = ("marketplace", "trafficker", "dealer")  # wholesale stages of distribution
PRODUCT = ("ships", "distributes", "flow")  # link kinds carrying product between holders
ORPHANED = ("supplies", "ships", "sells_to")  # listings of a marketplace that leaves
SELLERS = ("dealer", "marketplace")  # independent ones are replaced when arrested, as
# are independents of the other enforced kinds (independent_replacement)
ACTIVE = ("lab", "supplier", "marketplace", "route", "trafficker", "dealer", "launderer",
          "official", "prescriber", "business")


class Link:
    """One link of the network (flow links also sit in their endpoints' stage lists);
    ``pref``, ``q``, ``w`` and ``o`` are a flow link's preference, quantity moved, weight
    and offer in the current stage."""

    __slots__ = ("dst", "kind", "known", "o", "pref", "q", "src", "w", "weight")

    def __init__(self, src: Actor, dst, kind: str, weight: float) -> None:
        self.src, self.dst, self.kind, self.weight = src, dst, kind, weight
        self.known = False
        self.pref = self.q = self.w = self.o = 0.0


class Actor(mesa.Agent):
    """One actor of the trade: a supplier, lab, route, trafficker, dealer, organization,
    official, ... (``kind``)."""

    # attributes in slots, not in a per-agent dict: 45 attributes exceed CPython's shared
    # key dicts, and each agent's own dict (1.6 kB) slowed every step by a third at 10^4
    # actors (what a Mesa user who profiles does; the results are the same)
    __slots__ = ("alive", "asked", "avail", "capacity", "cash", "dirty", "diverts", "due",
                 "failed", "fronts", "got", "held", "hoard", "initial", "kind", "launderers",
                 "left", "legit", "links", "loss", "lost_recent", "members", "mode", "offered_now",
                 "online", "org", "out", "payer", "precursor", "product", "protectors",
                 "ratio", "refused", "refused_kg", "role", "sellers", "sells", "sells_w",
                 "space", "spare", "suspended_until", "throughput", "ties", "tot", "uid", "vacant",
                 "vacant_since", "want", "wsum")

    def __init__(self, model: TradeModel, kind: str, capacity: float, mode: str | None = None,
                 legit: bool = False, online: bool = False, role: str = "member") -> None:
        super().__init__(model)
        self.kind = kind
        self.uid = model.fresh_uid()
        self.capacity = capacity
        self.mode = mode
        self.legit = legit
        self.online = online
        self.role = role
        self.org: Actor | None = None
        self.payer: Actor = self
        self.alive = True
        self.precursor = self.product = self.cash = self.dirty = self.hoard = 0.0
        self.throughput = self.refused = self.loss = self.lost_recent = 0.0
        self.held = self.spare = 0.0  # labs: recent held-back share; routes: spare room
        self.vacant = False
        self.vacant_since = 0.0
        self.due = 0.0
        self.suspended_until = -math.inf
        self.failed = False
        self.out: list[Link] = []  # product links to non-market receivers
        self.sells: list[Link] = []  # sells_to links (retail)
        self.sells_w = 0.0  # their total weight
        self.sellers: list[Link] = []  # supplies links into this buyer
        self.diverts: list[Link] = []  # diverts_to links (prescribers)
        self.protectors: list[Actor] = []  # officials protecting this actor
        self.fronts: list[Actor] = []  # businesses fronting for this actor
        self.launderers: list[Actor] = []  # launderers of this organization
        self.ties: list[Link] = []  # tie links, either direction
        self.links: list[Link] = []  # every incident link (police knowledge)
        self.members: list[Actor] = []  # organizations: their members
        self.initial = 0  # organizations: members at the start

    # --- shared rules --------------------------------------------------------------------
    def suspended(self) -> bool:
        return self.payer.suspended_until > self.model.t

    def offer(self) -> float:
        return min(self.product, self.capacity * self.model.dt) if self.alive else 0.0

    def room(self) -> float:
        if not self.alive:
            return 0.0
        if self.kind == "route":
            return max(self.capacity * self.model.dt - self.product, 0.0)
        return max(self.model.stock_cover * self.capacity - self.product, 0.0)

    def protection(self, per_official: float) -> float:
        n = sum(1 for o in self.protectors if o.alive)
        return 1.0 - (1.0 - per_official) ** n if n else 0.0

    # --- 3 production ----------------------------------------------------------------------
    def produce(self) -> None:
        if not self.alive or self.suspended():
            return
        m = self.model
        made = min(self.capacity * m.dt, self.precursor,
                   max(0.0, m.stock_cover * self.capacity - self.product))
        self.precursor = max(self.precursor - made, 0.0)
        self.product += made  # its throughput is what it ships on (counted when moved)
        m.now["produced_kg"] += made

    # --- 8 money -----------------------------------------------------------------------------
    def settle_revenue(self) -> None:
        if self.alive:  # upkeep owed by the payer
            self.payer.due += self.model.upkeep.get(self.kind, 0.0) * self.model.dt
        x = self.dirty
        if x == 0.0:
            return
        m, p = self.model, self.model.p.money
        if any(x.alive for x in self.launderers) or (
                self.kind == "marketplace" and self.alive and p.marketplaces_launder):
            z = x * m.aml
            self.cash += (x - z) * (1.0 - p.launder_fee)
            m.now["money_seized_usd"] += z
            m.now["laundered_usd"] += x
        else:
            usable = x * p.unlaundered_usable
            self.cash += usable
            self.hoard += x - usable
        self.dirty = 0.0

    def pay_upkeep(self) -> None:
        if self.due > self.cash + 1e-9 and self.alive and self.due > 0:
            self.model.insolvent.append(self)
        self.cash = max(self.cash - self.due, 0.0)
        self.due = 0.0

    # --- 9 enforcement -----------------------------------------------------------------------
    def detect(self) -> None:
        if not self.alive or (self.legit and self.kind == "supplier"):
            return
        m = self.model
        if self.capacity > 0:
            util = self.throughput / max(self.capacity * m.dt, 1e-300)
            act = max(min(util, 1.0), m.min_activity) ** m.theta
        else:
            act = 1.0
        h = m.hazard[self.kind] * act
        if self.org is not None:
            h *= m.efforts.member_hazard[self.kind]
        if self.protectors:
            h *= 1.0 - self.protection(m.prot_x)
        if self.kind == "lab":
            h += m.tip_rate * self.refused
        if h > 0 and self.random.random() < -math.expm1(-h * m.dt):
            m.detected.append(self)

    # --- 10 adaptation -----------------------------------------------------------------------
    def tie_neighbours(self, exclude: Actor) -> list[Actor]:
        """Distinct alive tie neighbours other than ``exclude``, in creation order."""
        seen = {}
        for ln in self.ties:
            w = ln.dst if ln.src is self else ln.src
            if w is not exclude and w is not self and w.alive:
                seen[w] = None
        return list(seen)


class Market(mesa.Agent):
    """A market: demand, price and potency, and its population of people who use drugs."""

    __slots__ = ("alive", "asked", "at_risk", "avail0", "availability", "capacity0",
                 "consumed", "demand", "demand0", "demand_base", "diversion0", "kind", "links",
                 "offer0", "offered", "potency", "price", "released", "remission",
                 "retail_cap0", "room_left", "share_met", "supply_prev", "treatment", "uid",
                 "users0", "users_ratio", "using", "volatility")

    def __init__(self, model: TradeModel, population: float, demand: float) -> None:
        super().__init__(model)
        self.kind = "market"
        self.uid = model.fresh_uid()
        self.alive = True
        self.demand0 = demand
        self.price, self.potency, self.volatility, self.supply_prev = 1.0, 1.0, 0.0, 0.0
        self.offer0 = self.avail0 = 1.0
        self.diversion0 = 0.0
        self.retail_cap0 = 0.0
        self.links: list[Link] = []
        pp = model.pop
        self.using = round(population)
        self.at_risk = round(pp.at_risk_per_user * population)
        t, r = steady_state(np.array([float(self.using)]), pp)
        self.treatment, self.remission = int(np.rint(t[0])), int(np.rint(r[0]))
        self.released = 0
        self.availability = self.share_met = 1.0
        self.capacity0 = pp.treatment_capacity * self.using
        self.users0 = max(float(self.using), 1.0)
        self.users_ratio = 1.0
        self.reset_flows()

    def reset_flows(self) -> None:
        self.demand = self.demand_base = self.offered = self.consumed = 0.0
        self.room_left = self.asked = 0.0

    # --- 6 market ----------------------------------------------------------------------------
    def update_price(self) -> None:
        m, pm = self.model, self.model.p.market
        dt = m.dt
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            target = (np.float64(self.demand_base) / (self.demand0 * dt)) / (
                np.float64(self.offered) / (self.offer0 * dt))
            target = float(target ** (1.0 / pm.elasticity))
        if not math.isfinite(target):
            target = pm.price_max
        if not self.demand0 > 0:
            target = 1.0
        target = min(max(target, pm.price_min), pm.price_max)
        self.price += (target - self.price) * m.g_price
        c = self.consumed
        ref = self.supply_prev if self.supply_prev > 0 else c
        self.volatility = min(max(0.0, math.log((ref + 1e-12) / (c + 1e-12))),
                              math.log(100.0))  # at most a 99% shortfall, as fentanet
        self.supply_prev = ref + (c - ref) * m.g_volatility
        a = c / self.demand if self.demand > 0 else 1.0
        self.share_met = min(max(a, 0.0), 1.0)
        self.availability = min(max(a / self.avail0, 0.0), 1.0)
        sigma = pm.potency_noise * self.volatility
        base = m.potency_base
        if sigma > 0:
            self.potency = base * math.exp(sigma * m.rng.standard_normal() - 0.5 * sigma ** 2)
        else:
            self.potency = base
        w = self.demand0 / m.demand0_total
        now = m.now
        now["potency_index"] += w * self.potency
        now["potency_volatility"] += w * self.volatility
        now["availability"] += w * self.availability
        now["share_of_demand_met"] += w * self.share_met

    # --- 7 population ------------------------------------------------------------------------
    def step_population(self) -> None:
        m = self.model
        pp, e, dt, rng = m.pop, m.efforts, m.dt, m.rng
        released_in = round(m.releases.get(m.step_no, {}).get(self, 0.0))
        rel_in = min(self.using - self.released, released_in)
        self.released += rel_in
        # this step's rates (annual hazards)
        avail, cov = self.availability, e.coverage
        diversion = self.diversion()
        h_init = (pp.initiation_rate * avail ** pp.initiation_availability_exponent
                  * max(self.price, 1e-12) ** -pp.initiation_price_elasticity
                  * ((1.0 - pp.diversion_share) + pp.diversion_share * diversion)
                  * (1.0 - pp.education_effect * cov["education"])
                  * (1.0 - pp.prevention_effect * cov["prevention"])
                  * (1.0 - pp.counterfeit_share * pp.scam_awareness_effect
                     * cov["scam_awareness"]))
        r_od = (pp.overdose_rate * self.potency ** pp.potency_exponent
                * avail ** pp.overdose_availability_exponent
                * (1.0 + pp.volatility_effect * self.volatility))
        kit = pp.p_kit + (pp.p_kit_max - pp.p_kit) * cov["naloxone"]
        f = pp.p0 * (1.0 - pp.p_witnessed * kit * pp.p_success)
        gain = 1.0 + pp.treatment_effort_gain * cov["treatment"]
        capacity = self.capacity0 * gain
        free = min(max(1.0 - self.treatment / capacity, 0.0), 1.0) if capacity > 0 else 0.0
        h_entry = pp.treatment_entry_rate * gain * free
        h_fatal = r_od * f
        rr, mu_u, rel_mult = pp.treatment_mortality_ratio, pp.other_mortality_using, \
            pp.release_overdose_multiplier
        h_end = WEEKS_PER_YEAR / pp.release_window_weeks
        init = rng.binomial(self.at_risk, -math.expm1(-h_init * dt))
        ordinary = self.using - self.released
        cu = _competing(rng, ordinary, (h_fatal, mu_u, h_entry, pp.remission_rate), dt)
        cr = _competing(rng, self.released, (h_fatal * rel_mult, mu_u, h_entry,
                                             pp.remission_rate, h_end), dt)
        ct = _competing(rng, self.treatment, (h_fatal / rr, mu_u / rr,
                                              pp.treatment_dropout_rate,
                                              pp.treatment_completion_rate), dt)
        cm = _competing(rng, self.remission, (pp.relapse_rate, pp.other_mortality_remission),
                        dt)
        free_places = max(math.floor(capacity) - self.treatment, 0)
        entries = cu[2] + cr[2]
        if entries > free_places:  # treatment entries capped by the free places
            cr[2] = (cr[2] * free_places) // entries
            cu[2] = free_places - cr[2]
            entries = free_places
        nf = 1.0 - f
        nonfatal = (rng.binomial(ordinary - cu[0] - cu[1], -math.expm1(-r_od * nf * dt))
                    + rng.binomial(self.released - cr[0] - cr[1],
                                   -math.expm1(-r_od * rel_mult * nf * dt))
                    + rng.binomial(self.treatment - ct[0] - ct[1],
                                   -math.expm1(-r_od / rr * nf * dt)))
        rev = pp.p0 * pp.p_witnessed * kit * pp.p_success
        reversed_ = rng.binomial(nonfatal, rev / nf) if nf > 0 else 0
        fatal = cu[0] + cr[0] + ct[0]
        left_r = cr[0] + cr[1] + cr[2] + cr[3]
        self.at_risk -= init
        self.using += init + ct[2] + cm[0] - (cu[0] + cu[1] + cu[2] + cu[3]) - left_r
        self.released -= left_r + cr[4]
        self.treatment += entries - (ct[0] + ct[1] + ct[2] + ct[3])
        self.remission += cu[3] + cr[3] + ct[3] - (cm[0] + cm[1])
        other = cu[1] + cr[1] + ct[1] + cm[1]
        self.users_ratio = self.using / self.users0
        now = m.now
        now["initiations"] += init
        now["overdoses"] += fatal + nonfatal
        now["fatal"] += fatal
        now["reversed"] += reversed_
        now["treatment_entries"] += entries
        now["deaths"] += fatal + other
        now["people_using"] += self.using
        now["people_in_treatment"] += self.treatment
        now["released_people"] += released_in

    def diversion(self) -> float:
        """Prescription diversion reaching this market relative to its status quo, the
        weight of its prescribers' places at the spin-up's end, alive or vacant (1 where
        none reached it then)."""
        if self.diversion0 <= 0:
            return 1.0
        m = self.model
        e, ph = m.efforts, m.p.public_health
        factor = max((1.0 - ph.takeback_effect * e.takeback)
                     * math.exp(-ph.oversight_effect * e.oversight), 0.0)
        w = sum(ln.weight for ln in m.diverting[self] if ln.src.alive)
        return w / self.diversion0 * factor


def _competing(rng, n: int, hz: tuple[float, ...], dt: float) -> list[int]:
    """Competing exits of ``n`` people with annual hazards ``hz``: one multinomial draw."""
    total = sum(hz)
    if n <= 0 or total <= 0:
        return [0] * len(hz)
    p_exit = -math.expm1(-total * dt)
    probs = [p_exit * h / total for h in hz]
    probs.append(max(1.0 - sum(probs), 0.0))
    return rng.multinomial(n, probs)[:-1].tolist()


class Efforts:
    """What the interventions in force set for one step."""

    def __init__(self) -> None:
        self.hazard: dict[str, float] = defaultdict(lambda: 1.0)
        self.member_hazard: dict[str, float] = defaultdict(lambda: 1.0)  # of organizations
        self.screen = dict.fromkeys(MODES, 1.0)
        self.intel = 1.0
        self.precursor_control = self.aml = self.anti_corruption = 0.0
        self.takeback = self.oversight = 0.0
        self.coverage = {"education": 0.0, "prevention": 0.0, "treatment": 0.0,
                         "naloxone": 0.0, "scam_awareness": 0.0}


class TradeModel(mesa.Model):
    """The toy step of fentanet as a Mesa model.

    Parameters
    ----------
    scenario
        The scenario whose parameters, step and interventions the model uses (the same
        object fentanet's :class:`~fentanet.simulate.loop.Sim` takes).
    network
        The network (``fentanet.simulate.run.build_network(scenario)``).
    seed
        Seed of the model's random generators.
    phases
        The phases run by :meth:`step` (default all eleven; :data:`SUPPLY_PHASES` for the
        earlier, smaller model).
    """

    def __init__(self, scenario: Scenario, network: Network, seed: int = 1,
                 phases: tuple[str, ...] = PHASES) -> None:
        super().__init__(seed=seed)
        for iv in scenario.interventions:
            if iv.target is not None or iv.once:
                raise NotImplementedError(
                    f"{iv.kind}: targeted operations rank actors with fentanet's analysis "
                    "layer; the Mesa model ports the untargeted interventions only")
        self.scenario = scenario
        self.dt = float(scenario.dt)
        self.p = p = step_params(scenario.params, self.dt)  # the parameters Sim runs with
        self.phases = tuple(getattr(self, name) for name in phases)
        self.pop = PopulationParams.from_mapping(p.population)
        self.stock_cover = p.supply.stock_cover_years
        self.detection = defaultdict(float, p.enforcement.detection_rate)
        for kind in list(self.detection):
            if kind not in KINDS_ENFORCED:
                del self.detection[kind]
        self.upkeep = dict(p.money.upkeep_usd_per_year)
        mk = p.market
        self.wholesale = {k: s * mk.retail_usd_per_kg for k, s in mk.wholesale_share.items()}
        self.g_price = -math.expm1(-self.dt / mk.price_memory_years)
        self.g_volatility = -math.expm1(-self.dt / mk.volatility_memory_years)
        self.g_loss = -math.expm1(-self.dt / p.routes.loss_memory_years)
        self.step_no = 0
        self.t = 0.0
        self.now: dict[str, float] = defaultdict(float)
        self.rows: list[dict[str, float]] = []
        self.releases: dict[int, dict[Market, float]] = {}
        self.detected: list[Actor] = []
        self.insolvent: list[Actor] = []
        self.leadership_hit: set[Actor] = set()
        # partner, kind, as_src, origin, link
        self.orphans: list[tuple[Actor, str, bool, Actor, Link]] = []
        self.open_places: list[Actor] = []  # vacant places of independents
        self.efforts = Efforts()
        self.aml = 0.0
        self.potency_base = 1.0
        self._uid = 0
        self._stages_at = self._feeders_at = -1
        self.flow_links = 0  # product links filed or retired so far (the stages' lists
        # follow them)
        self._build(network)
        self._warmup()

    def fresh_uid(self) -> int:
        self._uid += 1
        return self._uid

    # --- the network as agents -------------------------------------------------------------
    def _build(self, net: Network) -> None:
        a = net.actors
        p = self.p
        n = len(a)
        kinds = a["kind"].astype(str).to_numpy()
        col = {c: a[c].to_numpy(dtype=object) for c in a.columns}
        cap = (a["capacity"].to_numpy(dtype=float, copy=True) if "capacity" in a
               else np.full(n, np.nan))
        for kind, default in DEFAULT_CAPACITY.items():
            missing = (kinds == kind) & ~np.isfinite(cap)
            if missing.any():
                known = cap[(kinds == kind) & np.isfinite(cap)]
                cap[missing] = np.median(known) if known.size else default
        cap = np.where(np.isfinite(cap), cap, 0.0)
        nodes: list[Actor | Market] = []
        for i, kind in enumerate(kinds):
            if kind == "market":
                pop = _number(col.get("population", [None] * n)[i])
                nodes.append(Market(self, pop if pop > 0 else 1000.0,
                                    _number(col.get("demand", [None] * n)[i])))
                continue
            mode = col["mode"][i] if "mode" in col else None
            mode = mode if mode in MODES else ("land" if kind == "route" else None)
            legit = bool(col["legitimate"][i]) if "legitimate" in col and \
                _present(col["legitimate"][i]) else False
            role = col["role"][i] if "role" in col and col["role"][i] in (
                "leader", "lieutenant") else "member"
            nodes.append(Actor(self, kind, float(cap[i]), mode, legit,
                               "channel" in col and col["channel"][i] == "online", role))
        index = dict(zip(a["id"].astype(str), nodes, strict=True))
        if "organization" in col:
            for x, o in zip(nodes, col["organization"], strict=True):
                if _present(o):
                    x.org = index[str(o)]
        src, dst = net.source_index, net.target_index
        lkinds = net.links["kind"].astype(str).to_numpy()
        lcap = (net.links["capacity"].astype(float).to_numpy() if "capacity" in net.links
                else np.full(len(lkinds), np.nan))
        weight = (net.links["weight"].astype(float).fillna(1.0).to_numpy()
                  if "weight" in net.links else np.ones(len(lkinds)))
        self.links: list[Link] = []
        self.diverting: dict[Market, list[Link]] = defaultdict(list)
        for s, d, k, c, w in zip(src.tolist(), dst.tolist(), lkinds, lcap.tolist(),
                                 weight.tolist(), strict=True):
            if k == "member_of" and nodes[s].org is None:
                nodes[s].org = nodes[d]
            self.add_link(nodes[s], nodes[d], k, c, w)
        self.actors = [x for x in nodes if isinstance(x, Actor)]
        self.markets = self.agents.select(lambda x: isinstance(x, Market))
        self.by_kind = {k: self.agents.select(lambda x, k=k: x.kind == k)
                        for k in ("supplier", "lab", "route", "marketplace", "trafficker",
                                  "dealer", "organization", "official", "prescriber",
                                  "launderer", "business")}
        self.enforced = self.agents.select(lambda x: x.kind in self.detection)
        for x in self.actors:
            if x.org is not None:
                x.payer = x.org
                x.org.members.append(x)
        for x in self.actors:  # revenue is laundered for the payer
            if x.payer is not x:
                x.payer.launderers.extend(x.launderers)
        self.orgs = list(dict.fromkeys(x.org for x in self.actors if x.org is not None))
        for o in {x.org for x in self.actors if x.org is not None}:
            o.initial = len(o.members)
            if not any(m.role == "leader" for m in o.members):  # first member leads
                o.members[0].role = "leader"
                for m in o.members[1:3]:
                    m.role = "lieutenant" if m.role == "member" else m.role
        # markets: demand, retail capacity and diversion at the start
        markets = list(self.markets)
        if not any(m.demand0 > 0 for m in markets):
            total = sum(x.capacity for x in self.by_kind["lab"]) / 1.5
            pops = sum(m.using for m in markets)
            for m in markets:
                m.demand0 = total * m.using / pops
        self.demand0_total = max(sum(m.demand0 for m in markets), 1e-300)
        for x in self.actors:
            for ln in x.sells:
                if isinstance(ln.dst, Market):
                    ln.dst.retail_cap0 += x.capacity
        for m, lns in self.diverting.items():
            m.diversion0 = sum(ln.weight for ln in lns)
        self.n_labs0 = len(self.by_kind["lab"])
        self.entrants: list[Actor] = []  # in the order they entered
        # stocks at their targets; initial cash (the police's knowledge is drawn at the
        # spin-up's end, know)
        sup = p.supply
        for x in self.actors:
            if x.kind == "lab":
                x.precursor = sup.precursor_cover_years * x.capacity
            if x.kind in HOLDERS:
                x.product = self.stock_cover * x.capacity
        upstream = {"lab": None, "route": "lab", "trafficker": "route", "dealer": "trafficker",
                    "marketplace": "lab"}
        for x in self.actors:
            spend = self.upkeep.get(x.kind, 0.0)
            if x.kind in upstream:
                up = upstream[x.kind]
                spend += x.capacity * (sup.precursor_usd_per_kg if up is None
                                       else self.wholesale.get(up, 0.0))
            x.payer.cash += spend * p.money.initial_cash_years
        self.median = {k: float(np.median([x.capacity for x in self.by_kind[k]]))
                       if len(self.by_kind[k]) else 100.0 for k in ("lab", "supplier")}

    def retire_link(self, ln: Link) -> None:
        """Take a listing's link out of every list :meth:`add_link` filed it in (the
        listing moved away from its marketplace)."""
        s, d = ln.src, ln.dst
        self.links.remove(ln)
        s.links.remove(ln)
        d.links.remove(ln)
        if ln in s.out:
            s.out.remove(ln)
            self.flow_links += 1
        if ln in s.sells:
            s.sells.remove(ln)
            s.sells_w -= ln.weight
        if ln.kind == "supplies" and ln in d.sellers:
            d.sellers.remove(ln)

    def add_link(self, s: Actor | Market, d: Actor | Market, kind: str, capacity: float,
                 weight: float) -> Link:
        """A link, filed in the lists of its endpoints that the phases walk."""
        ln = Link(s, d, kind, weight)
        self.links.append(ln)
        s.links.append(ln)
        d.links.append(ln)
        finite = math.isfinite(capacity)
        if kind in PRODUCT and s.kind in ("lab", "route", "marketplace", "trafficker",
                                          "dealer") and d.kind != "market":
            s.out.append(ln)
            self.flow_links += 1
        elif kind == "sells_to" and s.kind in ("dealer", "marketplace") and \
                isinstance(d, Market):
            ln.weight = max(capacity if finite else 0.0, 1e-12)  # a market has no capacity
            s.sells.append(ln)
            s.sells_w += ln.weight
        elif kind == "supplies":
            ln.weight = max(capacity if finite else s.capacity, 1e-12)
            d.sellers.append(ln)
        elif kind == "diverts_to" and isinstance(d, Market):
            self.diverting[d].append(ln)
        elif kind == "protects":
            d.protectors.append(s)
        elif kind == "fronts_for":
            d.fronts.append(s)
        elif kind == "launders_for" and isinstance(d, Actor):
            d.launderers.append(s)
        elif kind == "tie":
            s.ties.append(ln)
            d.ties.append(ln)
        return ln

    # --- the step ----------------------------------------------------------------------------
    def _warmup(self) -> None:
        """fentanet's spin-up (:meth:`fentanet.simulate.loop.Sim.warmup`): ``warmup_years``
        of the status quo's trade before time 0, the price fixed at 1 and the population
        unchanged. Each step (negative step numbers) resets throughput and refused shares
        and takes the baseline's efforts, as the interventions phase does with no
        intervention in force, then runs :data:`SPINUP_PHASES` in order: procurement to
        distribution, money, enforcement (routine detection and arrests) and the
        adaptation that answers it (:meth:`spinup_adaptation`: all but insolvency, entry
        and exit; every re-routing motive). The retail offer and the share of demand met at
        its last step (fentanet's ``STATUS_QUO_STEPS``) are each market's reference supply
        S0 and status quo of availability (a market offered nothing takes its sellers'
        initial capacity, a share met of 0 is taken as 1). People released after its dealer
        arrests join the run when due at step 0 or later (those due earlier are dropped);
        the police's knowledge is drawn at its end over the links then (:meth:`know`)."""
        steps = round(self.scenario.warmup_years / self.dt)
        window = max(1, STATUS_QUO_STEPS)
        markets = list(self.markets)
        offered: dict[Market, list[float]] = {m: [] for m in markets}
        avail: dict[Market, list[float]] = {m: [] for m in markets}
        spinup = {"adaptation": self.spinup_adaptation}
        phases = [spinup.get(name) or getattr(self, name) for name in SPINUP_PHASES]
        for k in range(steps):
            self.step_no = k - steps
            self.t = self.step_no * self.dt
            self.now = defaultdict(float)
            for x in self.actors:  # as the interventions phase resets them
                x.throughput = x.refused = 0.0
            self.efforts, self.aml = Efforts(), 0.0  # no intervention before time 0
            for phase in phases:
                phase()
            for m in markets:
                offered[m].append(m.offered)
                avail[m].append(m.consumed / max(m.demand, 1e-300))
        for m in markets:
            o = float(np.mean(offered[m][-window:])) / self.dt if steps else m.retail_cap0
            m.offer0 = o if o > 0 else m.retail_cap0
            a0 = float(np.mean(avail[m][-window:])) if steps else 1.0
            m.avail0 = a0 if a0 > 0 else 1.0
            m.supply_prev = 0.0
        self.releases = {k: v for k, v in self.releases.items() if k >= 0}
        self.know()
        for m, lns in self.diverting.items():  # diversion's status quo, as the engine's:
            # its prescribers' places, alive or vacant awaiting a newcomer
            m.diversion0 = sum(ln.weight for ln in lns if ln.src.alive or ln.src.vacant)
        self.step_no, self.t = 0, 0.0
        self.now = defaultdict(float)
        self.insolvent = []
        for x in self.actors:
            x.due = 0.0

    def spinup_adaptation(self) -> None:
        """The adaptation of the spin-up (fentanet's ``adaptation.warmup``): the phase's
        (:meth:`adaptation`) but insolvency, which the spin-up does not apply (its
        insolvent payers keep running), and entry and exit, which answer a price the
        spin-up holds at 1."""
        self.adaptation(spinup=True)

    def know(self) -> None:
        """The police's knowledge at time 0 (fentanet's ``enforcement.know``): each link
        known with probability ``known_share``, drawn at the spin-up's end over the links
        then (its recruits' and re-routings' too; what its arrests revealed is drawn
        again)."""
        share = self.p.enforcement.known_share
        for ln in self.links:
            ln.known = self.random.random() < share

    def step(self) -> None:
        """One step: the phases in order."""
        self.t = self.step_no * self.dt
        self.now = defaultdict(float)
        for phase in self.phases:
            phase()
        self.step_no += 1

    # 1
    def interventions(self) -> None:
        for x in self.actors:
            x.throughput = 0.0
            x.refused = 0.0
        e = Efforts()
        p = self.p
        cost = 0.0
        for iv in self.scenario.interventions:
            if self.t + 1e-9 < iv.start or (iv.end is not None and self.t + 1e-9 >= iv.end):
                continue
            x = iv.intensity
            cost += iv.unit_cost(p.costs) * x * self.dt
            k = iv.kind
            if k == "intelligence_sharing":
                e.intel *= 1.0 + p.enforcement.effort_gain * x
            elif k == "organization_takedown":  # members of organizations only
                for kind in INTERVENTION_KINDS[k]["acts_on"]:
                    e.member_hazard[kind] *= 1.0 + p.enforcement.effort_gain * x
            else:
                for kind in INTERVENTION_KINDS[k]["acts_on"]:
                    e.hazard[kind] *= 1.0 + p.enforcement.effort_gain * x
            if k in ("border_security", "postal_screening"):
                for mode in iv.screened_modes:
                    e.screen[mode] += p.routes.screening_gain * x
            elif k == "precursor_controls":
                e.precursor_control += x
            elif k == "anti_money_laundering":
                e.aml += x
            elif k == "anti_corruption":
                e.anti_corruption += x
            elif k == "take_back":
                e.takeback = min(1.0, e.takeback + x)
            elif k == "prescriber_oversight":
                e.oversight += x
            elif k == "prevention_treatment":
                for lever in ("prevention", "treatment"):
                    e.coverage[lever] = min(1.0, e.coverage[lever] + x)
            elif k in ("education", "naloxone", "scam_awareness"):
                e.coverage[k] = min(1.0, e.coverage[k] + x)
        self.efforts = e
        self.aml = -math.expm1(-p.money.aml_share * e.aml)
        self.potency_base = trend(p.market.potency_trend, self.t)  # an input series
        self.now["intervention_cost_usd"] = cost

    # 2
    def procurement(self) -> None:
        sup = self.p.supply
        pc = self.efforts.precursor_control
        refuse_legit = 1.0 - (1.0 - sup.legit_compliance) * math.exp(-sup.screening_gain * pc)
        refuse_mkp = 1.0 - (1.0 - sup.marketplace_screening) * math.exp(-sup.screening_gain
                                                                         * pc)
        price = sup.precursor_usd_per_kg
        dt = self.dt
        orders = []  # [link, refuse, weight, request, refused in the first pass]
        buyers = []
        for b in self.buyers():
            b.want = max(0.0, sup.precursor_cover_years * b.capacity - b.precursor)
            b.got = b.refused_kg = 0.0
            if b.want <= 0:
                continue
            buyers.append(b)
            for ln in b.sellers:
                s = ln.src
                if s.alive:
                    s.avail = s.capacity * dt if s.kind == "supplier" else s.precursor
                    refuse = (refuse_legit if s.legit and s.kind == "supplier" else
                              refuse_mkp if s.kind == "marketplace" else 0.0)
                    orders.append([ln, refuse, ln.weight, 0.0, False])
        if not orders:
            return
        now = self.now
        # by link weight; then what is missing, refused or not, from the sellers that still
        # have some and did not refuse this buyer in the first pass
        for attempt in range(2):
            for b in buyers:
                b.tot = 0.0
            for o in orders:
                ln = o[0]
                if attempt == 1:
                    o[2] = 0.0 if o[4] else (1.0 - o[1]) * ln.src.avail
                ln.dst.tot += o[2]
            for o in orders:
                ln, s = o[0], o[0].src
                s.asked = 0.0
            for o in orders:
                ln, b = o[0], o[0].dst
                r = max(b.want - b.got, 0.0) * o[2] / b.tot if b.tot > 0 else 0.0
                no = r * o[1]
                o[4] = o[4] or no > 0.0
                b.refused_kg += no
                o[3] = r - no
                ln.src.asked += o[3]
            due: dict[Actor, float] = defaultdict(float)
            for o in orders:
                s = o[0].src
                fill = min(1.0, s.avail / s.asked) if s.asked > 0 else 1.0
                o[3] *= max(fill, 0.0)
                if s.payer is not o[0].dst.payer:  # within one payer: free
                    due[o[0].dst.payer] += o[3] * price
            scale = {pay: (min(max(pay.cash / d, 0.0), 1.0) if d > pay.cash else 1.0)
                     for pay, d in due.items()}
            for o in orders:
                ln, s, b = o[0], o[0].src, o[0].dst
                f = scale.get(b.payer, 1.0) if s.payer is not b.payer else 1.0
                q = o[3] * f
                paid = o[3] * price * f if s.payer is not b.payer else 0.0
                b.payer.cash = max(b.payer.cash - paid, 0.0)
                if s.kind == "marketplace":  # a resale: the precursor is in the trade
                    s.payer.dirty += paid
                    s.precursor = max(s.precursor - q, 0.0)
                    now["precursor_resold_kg"] += q
                else:  # from a supplier: it enters the trade
                    now["precursor_bought_kg"] += q
                s.avail = max(s.avail - q, 0.0)
                s.throughput += q
                b.precursor += q
                b.got += q
        for b in buyers:
            b.refused = b.refused_kg / b.want
            now["precursor_refused_kg"] += b.refused_kg

    def buyers(self):
        """Alive labs and marketplaces with suppliers, not suspended."""
        for kind in ("lab", "marketplace"):
            for b in self.by_kind[kind]:
                if b.sellers and b.alive and not b.suspended():
                    yield b

    # 3
    def production(self) -> None:
        self.by_kind["lab"].do("produce")

    # 4
    def shipping(self) -> None:
        rt = self.p.routes
        beta = rt.displacement_beta if rt.displacement else 0.0
        # labs to routes (and marketplaces): a route takes what its receivers can take
        legs = self.legs("lab", beta)
        share = {}  # a lab's weight for a route: its room shared by capacity alone
        for r in {g.dst for g in legs if g.dst.kind == "route" and g.dst.space > 0}:
            if beta:
                share[r] = min(r.space, self.downstream_room(r, 0.0))
            r.space = min(r.space, self.downstream_room(r, beta))
        for g in legs:  # room * pref = share * exp(-beta * loss): the factor counted once
            if g.dst in share and g.dst.space > 0:
                g.pref *= share[g.dst] / g.dst.space
        offers = {g.src: g.src.left for g in legs}
        self.move(self.plan(legs))
        if sum(o - lab.left for lab, o in offers.items()) > 0:  # unless the chain stood still
            for lab, o in offers.items():  # the share of its offer no room took
                if o > 0:
                    lab.held += (lab.left / o - lab.held) * self.g_loss
        for route in self.by_kind["route"]:  # room as pass-through the offers left
            route.spare = min(route.room(), self.downstream_room(route, beta))
        for g in legs:
            if g.dst.kind == "route":
                g.dst.spare = g.dst.space
        # routes carry on; shipments seized
        legs = self.plan(self.legs("route", 0.0))
        self.afford(legs)
        sent: dict[Actor, float] = defaultdict(float)
        for leg in legs:
            sent[leg.src] += leg.q
        lost: dict[Actor, float] = {}
        now = self.now
        shipment, inspection = rt.shipment_kg, rt.inspection
        prot_x = rt.protection_per_official * math.exp(-self.efforts.anti_corruption)
        for route, q in sent.items():
            if q <= 0:
                continue
            n = max(math.ceil(q / shipment[route.mode] - 1e-12), 1)
            cover = sum(1 for b in route.fronts if b.alive)
            cover = 1.0 - (1.0 - rt.cover_per_business) ** cover
            p = -math.expm1(-inspection[route.mode] * self.efforts.screen[route.mode]
                            * (1.0 - route.protection(prot_x)) * (1.0 - cover))
            k = int(self.rng.binomial(n, p))
            frac = k / n
            lost[route] = frac
            route.loss += (frac - route.loss) * self.g_loss
            now["seized_routes_kg"] += q * frac
            now[f"seized_{route.mode}_kg"] += q * frac
        self.move(legs, lost, scaled=True)
        for route in self.by_kind["route"]:
            now[f"shipped_{route.mode}_kg"] += route.throughput

    def downstream_room(self, route: Actor, beta: float) -> float:
        """What a route's receivers can take from it: each receiver's room shared among the
        routes feeding it by capacity times ``exp(-beta * recent loss)``."""
        down = 0.0
        for ln in route.out:
            r = ln.dst
            if not r.alive:
                continue
            feed = sum(f.capacity * math.exp(-beta * f.loss) for f in self.feeders[r]
                       if f.alive)
            down += r.room() * route.capacity * math.exp(-beta * route.loss) / max(feed,
                                                                                   1e-300)
        return down

    @property
    def feeders(self) -> dict[Actor, list[Actor]]:
        """Routes feeding each receiver (rebuilt when product links are added)."""
        if self._feeders_at != self.flow_links:
            feeders = defaultdict(list)
            for route in self.by_kind["route"]:
                for ln in route.out:
                    feeders[ln.dst].append(route)
            self._feeders, self._feeders_at = feeders, self.flow_links
        return self._feeders

    def stage(self, kind: str) -> list[Link]:
        """The product links out of the senders of ``kind`` (built once, rebuilt after
        product links are added)."""
        if self._stages_at != self.flow_links:
            self._stages = {k: [ln for s in self.by_kind[k] for ln in s.out]
                            for k in ("lab", "route", *STAGES)}
            self._stages_at = self.flow_links
        return self._stages[kind]

    def legs(self, kind: str, beta: float) -> list[Link]:
        """The links of one stage with the senders' offers and the receivers' rooms taken
        before anything moves (and each link's preference: displacement by ``beta``)."""
        links = self.stage(kind)
        for ln in links:
            ln.src.left = ln.src.offer()
            r = ln.dst
            r.space = r.room()
            ln.q = 0.0
            ln.pref = math.exp(-beta * r.loss) if beta and r.kind == "route" else 1.0
        return links

    def plan(self, legs: list[Link], passes: int = 3) -> list[Link]:
        """Offers split by the receivers' room times preference; a receiver takes at most
        its room (offers to it scaled alike); later passes re-offer what was not taken.
        Returns the links that carry some."""
        live = [g for g in legs if g.src.left > 0 and g.dst.space > 0]
        for _ in range(passes):
            for g in live:
                g.src.wsum = 0.0
                g.dst.offered_now = 0.0
            keep = []
            for g in live:
                if g.src.left > 0 and g.dst.space > 0:
                    g.w = g.dst.space * g.pref
                    g.src.wsum += g.w
                    keep.append(g)
            live = keep
            if not live:
                break
            for g in live:
                g.o = g.src.left * g.w / g.src.wsum
                g.dst.offered_now += g.o
            for g in live:
                r = g.dst
                r.ratio = min(r.space / r.offered_now, 1.0) if r.offered_now > 0 else 0.0
            carried = False
            for g in live:
                x = g.o * g.dst.ratio
                g.q += x
                carried |= x > 0
                g.src.left = max(g.src.left - x, 0.0)
                g.dst.space = max(g.dst.space - x, 0.0)
            if not carried:
                break
        return [g for g in legs if g.q > 0]

    def afford(self, legs: list[Link]) -> None:
        """Purchases scaled to what each receiver's payer can pay at the sellers' price."""
        due: dict[Actor, float] = defaultdict(float)
        for g in legs:
            if g.src.payer is not g.dst.payer:
                due[g.dst.payer] += g.q * self.wholesale.get(g.src.kind, 0.0)
        for g in legs:
            pay = g.dst.payer
            if g.src.payer is not pay and due[pay] > pay.cash:
                g.q *= pay.cash / due[pay] if due[pay] > 0 else 0.0

    def move(self, legs: list[Link], lost: dict[Actor, float] | None = None,
             scaled: bool = False) -> None:
        """Move the product (``lost``: share seized in transit per sender) and pay for what
        arrives (cash of the receiver's payer to the sender's payer's revenue)."""
        if not scaled:
            self.afford(legs)
        for g in legs:
            x = g.q
            if not x > 0:
                continue
            s, r = g.src, g.dst
            got = x * (1.0 - lost.get(s, 0.0)) if lost else x
            s.product = max(s.product - x, 0.0)
            r.product += got
            s.throughput += x
            if s.payer is not r.payer:
                pay = min(got * self.wholesale.get(s.kind, 0.0), r.payer.cash)
                r.payer.cash -= pay
                s.payer.dirty += pay

    # 5
    def distribution(self) -> None:
        for kind in STAGES:
            self.move(self.plan(self.legs(kind, 0.0)))
        p = self.p
        dt = self.dt
        scam = self.efforts.coverage["scam_awareness"]
        keep = 1.0 - p.public_health.scam_avoidance * scam if scam > 0 else 1.0
        for m in self.markets:
            m.demand_base = m.demand0 * m.users_ratio * dt
            m.demand = m.demand_base * m.price ** -p.market.elasticity
            m.offered = m.consumed = m.asked = 0.0
            m.room_left = m.demand if m.alive else 0.0
        full = any(m.room_left <= 0 for m in self.markets)  # markets without demand
        asks = []
        for kind in ("dealer", "marketplace"):
            for s in self.by_kind[kind]:
                if not s.sells or not s.alive:
                    continue
                o = min(s.product, s.capacity * dt)
                if keep != 1.0 and (s.kind == "marketplace" or s.online):
                    o *= keep
                for ln in s.sells:  # what each market was offered (the price's view)
                    ln.dst.offered += o * ln.weight / s.sells_w
                if not o > 0:
                    continue
                selling = [ln for ln in s.sells if ln.dst.room_left > 0] if full else s.sells
                wsum = sum(ln.weight for ln in selling) if full else s.sells_w
                for ln in selling:
                    x = o * ln.weight / wsum
                    ln.dst.asked += x
                    asks.append((s, ln.dst, x))
        retail = p.market.retail_usd_per_kg
        revenue = 0.0
        for s, m, x in asks:
            q = x * min(m.room_left / m.asked, 1.0)
            if q > 0:
                m.consumed += q
                s.product = max(s.product - q, 0.0)
                s.throughput += q
                r = q * m.price * retail
                s.payer.dirty += r
                revenue += r
        now = self.now
        now["supply_kg"] = sum(m.consumed for m in self.markets)
        now["demand_kg"] = sum(m.demand for m in self.markets)
        now["revenue_usd"] = revenue

    # 6
    def market(self) -> None:
        # the price index is what buyers paid: each market's price before its update (what
        # retail sold at), weighted by the quantity it bought; the last value if none bought
        sold = sum(m.consumed for m in self.markets)
        paid = sum(m.consumed * m.price for m in self.markets)
        self.now["price_index"] = paid / sold if sold > 0 else (
            self.rows[-1]["price_index"] if self.rows else 1.0)
        self.markets.do("update_price")

    # 7
    def population(self) -> None:
        self.markets.do("step_population")
        self.releases.pop(self.step_no, None)
        self.now["overdose_deaths"] = self.now["fatal"]

    # 8
    def money(self) -> None:
        self.insolvent = []
        actors = self.agents_by_type[Actor]
        actors.do("settle_revenue")
        actors.do("pay_upkeep")

    # 9
    def enforcement(self) -> None:
        pe, e = self.p.enforcement, self.efforts
        self.hazard = {k: b * e.hazard[k] * e.intel for k, b in self.detection.items()}
        self.min_activity, self.theta = pe.min_activity, pe.activity_exponent
        self.prot_x = pe.protection_per_official * math.exp(-e.anti_corruption)
        self.tip_rate = self.p.supply.tip_rate
        self.detected = []
        self.enforced.do("detect")
        self.remove(self.detected, arrest=True)

    def remove(self, actors: list[Actor], arrest: bool) -> None:
        """Take actors out: arrest (stocks seized, links revealed, vacancies, releases) or
        exit (stocks lost)."""
        now = self.now
        pe = self.p.enforcement
        led: set[Actor] = set()  # organizations whose leader or a lieutenant is arrested
        ad = self.p.adaptation
        for x in actors:
            if not x.alive:
                continue
            now["seized_stock_kg" if arrest else "lost_kg"] += x.product
            now["seized_precursor_kg" if arrest else "lost_precursor_kg"] += x.precursor
            x.product = x.precursor = 0.0
            x.alive = False
            if x.org is not None or (arrest and (
                    ad.seller_replacement and ad.seller_replacement_rate > 0
                    if x.kind in SELLERS else ad.independent_replacement
                    and ad.independent_replacement_rate.get(x.kind, 0.0) > 0)):
                x.vacant = True  # a place to be taken again (adaptation)
                x.vacant_since = self.t
                if x.org is None:
                    self.open_places.append(x)
            if x.kind == "marketplace":  # taken down or left: its listings migrate
                for ln in x.links:
                    if ln.kind in ORPHANED:
                        as_src = ln.dst is x
                        self.orphans.append((ln.src if as_src else ln.dst, ln.kind, as_src,
                                             x, ln))
            if not arrest:
                continue
            now[f"arrests_{x.kind if x.kind in KINDS_ENFORCED else 'other'}"] += 1
            now["arrests"] += 1
            org = x.org
            if org is not None:
                org.lost_recent += 1
                if x.role in ("leader", "lieutenant"):
                    led.add(org)
            for ln in x.links:  # a share of the arrested actor's links revealed
                if not ln.known and self.random.random() < pe.arrest_reveal:
                    ln.known = True
            if x.kind == "dealer" and pe.users_per_dealer_arrest > 0:
                mk = next((ln.dst for ln in x.sells if isinstance(ln.dst, Market)), None)
                if mk is not None:
                    when = self.step_no + max(1, round(pe.jail_years / self.dt))
                    due = self.releases.setdefault(when, defaultdict(float))
                    due[mk] += pe.users_per_dealer_arrest
        for org in led:  # a share of its cash and hoard seized, once per organization
            now["money_seized_usd"] += (org.cash + org.hoard) * pe.asset_share
            org.cash *= 1.0 - pe.asset_share
            org.hoard *= 1.0 - pe.asset_share
        self.leadership_hit |= led

    # 10
    def adaptation(self, spinup: bool = False) -> None:
        """The phase; in the spin-up (``spinup``, :meth:`spinup_adaptation`) without
        insolvency, entry and exit."""
        ad = self.p.adaptation
        self.suspension()
        self.succession_and_failure(spinup)
        recruits = self.replacement() if ad.replacement else []
        if ad.seller_replacement or ad.independent_replacement:
            recruits += self.newcomers()
        self.recruit(recruits)  # together: ties formed now are seen from the next step
        if ad.entry and not spinup:
            self.entry()
        if ad.exit and not spinup:
            self.exit()
        if ad.reroute or ad.reroute_room or ad.reroute_traffickers or ad.reroute_supply:
            self.reroute()
        if ad.migration and self.orphans:
            self.migration()
        orgs = [o for o in self.by_kind["organization"] if o.alive]
        self.now["organizations_active"] = len(orgs)
        self.now["organizations_suspended"] = sum(1 for o in orgs if o.suspended_until > self.t)

    def suspension(self) -> None:
        ad, t = self.p.adaptation, self.t
        led = 0
        if self.leadership_hit and ad.suspension and ad.suspension_on_leadership:
            for o in self.leadership_hit:
                if o.alive and o.suspended_until <= t:
                    o.suspended_until = t + ad.suspension_years
                    o.lost_recent = 0.0
                    led += 1
        self.leadership_hit = set()
        decay = math.exp(-self.dt / ad.loss_window_years)
        fresh = alive = 0
        for o in self.by_kind["organization"]:
            if o.alive:
                alive += 1
                if ad.suspension and o.lost_recent / max(o.initial, 1) > \
                        ad.suspension_share and o.suspended_until <= t:
                    o.suspended_until = t + ad.suspension_years
                    o.lost_recent = 0.0
                    fresh += 1
            o.lost_recent *= decay
        if ad.suspension and alive:
            self.now["suspensions"] = fresh + led

    def succession_and_failure(self, spinup: bool = False) -> None:
        """Leaders' succession, and the organizations that fail (no alive member, an empty
        required role, or insolvent: not in the spin-up) and the insolvent that quit."""
        ad = self.p.adaptation
        insolvent = [] if spinup else self.insolvent
        failing = set()
        for o in self.by_kind["organization"]:
            if not o.alive:
                continue
            if not any(m.alive for m in o.members):
                failing.add(o)
            for leader in [m for m in o.members if m.role == "leader" and not m.alive]:
                heirs = [m for m in o.members if m.alive and m.role == "lieutenant"]
                if ad.succession and heirs:
                    min(heirs, key=lambda m: m.uid).role = "leader"
                    leader.role = "member"
                else:
                    failing.add(o)  # a required role is empty
        failing.update(x for x in insolvent if x.kind == "organization" and x.alive)
        for o in failing:
            self.remove([m for m in o.members if m.alive], arrest=False)
            for m in o.members:
                m.vacant = False
            o.alive = False
            o.failed = True
            o.cash = 0.0
        self.now["organizations_failed"] = len(failing)
        self.remove([x for x in insolvent if x.kind != "organization" and x.org is None],
                     arrest=False)

    def replacement(self) -> None:
        ad, t, dt = self.p.adaptation, self.t, self.dt
        recruits = []
        for o in self.orgs:
            if not o.alive:
                continue
            ready = [m for m in o.members
                     if m.vacant and t - m.vacant_since >= ad.replacement_delay_years - 1e-12]
            if not ready:
                continue
            alive = sum(1 for m in o.members if m.alive)
            p = -math.expm1(-ad.recruit_rate * dt * alive / max(o.initial, 1))
            k = int(self.rng.binomial(len(ready), p))
            ready.sort(key=lambda m: m.vacant_since)  # the longest vacant first
            recruits.extend(ready[:k])
        self.now["recruits"] = len(recruits)
        return recruits

    def newcomers(self) -> list[Actor]:
        """An independent's place, vacant for the delay, is taken by a newcomer with
        probability ``1 - exp(-rate * dt)``: an arrested independent dealer's or a
        taken-down marketplace's at ``seller_replacement_rate``, any other's at its kind's
        ``independent_replacement_rate``."""
        ad, t = self.p.adaptation, self.t
        sellers, others, waiting = [], [], []
        for x in self.open_places:
            if not x.vacant:
                continue
            seller = x.kind in SELLERS
            rate = (ad.seller_replacement_rate if seller
                    else ad.independent_replacement_rate[x.kind])
            if t - x.vacant_since >= ad.replacement_delay_years - 1e-12 and (
                    self.random.random() < -math.expm1(-rate * self.dt)):
                (sellers if seller else others).append(x)
            else:
                waiting.append(x)
        self.open_places = waiting
        if ad.seller_replacement:
            self.now["sellers_replaced"] = len(sellers)
        if ad.independent_replacement:
            self.now["independents_replaced"] = len(others)
        return sellers + others

    def recruit(self, recruits: list[Actor]) -> None:
        """Newcomers take vacant places (fresh uid, links unknown to the police) and tie to
        a friend of a friend."""
        ad = self.p.adaptation
        for x in recruits:
            x.uid = self.fresh_uid()
            x.alive = True
            x.vacant = False
            x.loss = x.held = 0.0
            for ln in x.links:  # the police do not know a recruit's links
                ln.known = False
        ties = []
        for x in recruits:  # a tie to a friend of a friend (through a sponsor)
            nb = x.tie_neighbours(x)
            if not nb:
                continue
            sponsor = self.random.choice(nb)
            near = set(nb)
            fof = [w for w in sponsor.tie_neighbours(x) if w not in near]
            ties.extend((x, w) for w in self.random.sample(fof, min(ad.closure_ties,
                                                                    len(fof))))
        for x, w in ties:
            self.add_link(x, w, "tie", math.nan, 1.0)

    def entry(self) -> None:
        ad = self.p.adaptation
        excess = self.now.get("price_index", 1.0) - ad.entry_threshold
        if excess <= 0:
            return
        rate = ad.entry_rate * excess * max(self.n_labs0, 1) / 100.0
        n_labs, n_sups = self.rng.poisson(rate * self.dt, size=2).tolist()
        sups = [s for s in self.by_kind["supplier"] if s.alive]
        illicit = [s for s in sups if not s.legit] or sups
        orgs = [o for o in self.by_kind["organization"] if o.alive]
        routes = [r for r in self.by_kind["route"] if r.alive]
        labs = [x for x in self.by_kind["lab"] if x.alive]
        new = 0
        for _ in range(n_labs):
            if not illicit or not orgs:
                break
            o = self.random.choice(orgs)
            mine = [r for r in routes if r.org is o] or routes
            if not mine:
                break
            lab = Actor(self, "lab", self.median["lab"])
            lab.org = lab.payer = o
            o.members.append(lab)
            for s in self.random.sample(illicit, min(2, len(illicit))):
                self.add_link(s, lab, "supplies", math.nan, 1.0)
            for r in self.random.sample(mine, min(2, len(mine))):
                self.add_link(lab, r, "ships", math.nan, 1.0)
            self.add_link(lab, o, "member_of", math.nan, 1.0)
            self.join(lab)
            labs.append(lab)
            new += 1
        for _ in range(n_sups):
            if not labs:
                break
            s = Actor(self, "supplier", self.median["supplier"])
            for lab in self.random.sample(labs, min(2, len(labs))):
                self.add_link(s, lab, "supplies", math.nan, 1.0)
            self.join(s)
            new += 1
        self.now["entrants"] = new

    def exit(self) -> None:
        """Labs and illicit suppliers leave while the price is below the exit threshold:
        ``Binomial(N, 1 - exp(-rate * gap * dt))`` per kind, the latest entrants first,
        then the smallest; an organization keeps its last lab, the trade its last illicit
        supplier; their places are not refilled."""
        ad = self.p.adaptation
        gap = ad.exit_threshold - self.now.get("price_index", 1.0)
        self.now["exits"] = 0
        if gap <= 0 or ad.exit_rate <= 0:
            return
        p = -math.expm1(-ad.exit_rate * gap * self.dt)
        gone: list[Actor] = []
        for kind in ("lab", "supplier"):
            can = [x for x in self.by_kind[kind] if x.alive and not x.legit
                   and x.role not in ("leader", "lieutenant")]
            both = set(can)
            new = [x for x in reversed(self.entrants) if x in both]
            fresh = set(new)
            order = new + sorted((x for x in can if x not in fresh), key=lambda x: x.capacity)
            if kind == "supplier":
                order = order[:-1]
            else:
                left = Counter(x.org for x in order if x.org is not None)
                keep = []
                for x in order:
                    if x.org is None or left[x.org] > 1:
                        keep.append(x)
                        if x.org is not None:
                            left[x.org] -= 1
                order = keep
            if order:
                gone += order[: int(self.rng.binomial(len(order), p))]
        self.remove(gone, arrest=False)
        for x in gone:
            x.vacant = False  # the place is gone, not open to a recruit
        self.now["exits"] = len(gone)

    def reroute(self) -> None:
        """Labs (by uid) whose routes' capacity-weighted recent loss share exceeds the
        threshold link, with probability ``1 - exp(-rate * excess * dt)``, to an alive route
        not yet theirs with a lower loss share and spare room: their organization's first,
        of a mode they lack first, then the most room; each takes its capacity * dt off it.
        Else labs whose recent held-back share exceeds its threshold link, with
        ``1 - exp(-room_rate * excess * dt)``, to one with spare room as pass-through and a
        loss share at most the threshold: their organization's first, then the most room.
        Then traffickers (by uid; not other receivers of routes) whose routes' share exceeds the
        threshold link from a route by the labs' loss rule, after the labs took their room;
        a trafficker fed by routes with none alive (with capacity) left links, with ``1 -
        exp(-supply_rate * dt)``, from a route with spare room whose loss share is at most
        the threshold (a route the loss rule would not leave), its organization's first,
        then the most room. Every motive runs in the spin-up too, as in fentanet."""
        ad, dt = self.p.adaptation, self.dt
        by_loss, by_room = ad.reroute, ad.reroute_room
        routes = [r for r in self.by_kind["route"] if r.alive]
        spare = {r: r.capacity * dt - r.throughput for r in routes}
        room = {r: r.spare for r in routes}
        new = new_room = 0
        for lab in sorted((x for x in self.by_kind["lab"] if x.alive), key=lambda x: x.uid):
            mine = [ln.dst for ln in lab.out if ln.dst.kind == "route" and ln.dst.alive]
            w = sum(r.capacity for r in mine)
            share = sum(r.capacity * r.loss for r in mine) / w if w > 0 else 0.0
            why = None
            if by_loss and share > ad.reroute_threshold and self.rng.random() < -math.expm1(
                    -ad.reroute_rate * (share - ad.reroute_threshold) * dt):
                why = "loss"
            elif by_room and lab.held > ad.reroute_room_threshold and (
                    self.rng.random() < -math.expm1(-ad.reroute_room_rate * (
                        lab.held - ad.reroute_room_threshold) * dt)):
                why = "room"
            if why is None:
                continue
            if why == "loss":
                modes = {r.mode for r in mine}
                best = max((r for r in routes if spare[r] > 0 and r.loss < share
                            and r not in mine),
                           key=lambda r: (lab.org is not None and r.org is lab.org,
                                          r.mode not in modes, spare[r], -r.uid), default=None)
            else:
                best = max((r for r in routes if room[r] > 0
                            and r.loss <= ad.reroute_threshold and r not in mine),
                           key=lambda r: (lab.org is not None and r.org is lab.org, room[r],
                                          -r.uid), default=None)
            if best is not None:
                spare[best] -= lab.capacity * dt
                room[best] -= lab.capacity * dt
                lab.held = 0.0
                self.add_link(lab, best, "ships", math.nan, 1.0)
                new += why == "loss"
                new_room += why == "room"
        self.now["reroutes"] = new
        self.now["reroutes_room"] = new_room
        moved = self.reroute_traffickers(routes, spare) if (
            ad.reroute_traffickers or ad.reroute_supply) else (0, 0)
        self.now["reroutes_traffickers"], self.now["reroutes_supply"] = moved

    def reroute_traffickers(self, routes: list, spare: dict) -> tuple[int, int]:
        """Traffickers' re-routing (see :meth:`reroute`): the new links from routes, for
        losses and for lost supply (a trafficker some route, alive or not, ships to, with
        none alive left)."""
        ad, dt = self.p.adaptation, self.dt
        fed: dict[Actor, list] = defaultdict(list)
        for r in self.by_kind["route"]:
            for ln in r.out:
                fed[ln.dst] += [r] if r.alive else []
        new = new_supply = 0
        for t in sorted((x for x in fed if x.alive and x.kind == "trafficker"),
                        key=lambda x: x.uid):
            mine = fed[t]
            w = sum(r.capacity for r in mine)
            if w > 0:
                share = sum(r.capacity * r.loss for r in mine) / w
                if not (ad.reroute_traffickers and share > ad.reroute_threshold
                        and self.rng.random() < -math.expm1(
                            -ad.reroute_rate * (share - ad.reroute_threshold) * dt)):
                    continue
            elif ad.reroute_supply and self.rng.random() < -math.expm1(
                    -ad.reroute_supply_rate * dt):
                share = None  # nothing comes from its routes: a route the loss rule keeps
            else:
                continue
            modes = {r.mode for r in mine}
            best = max((r for r in routes if spare[r] > 0 and r not in mine and (
                           r.loss < share if share is not None
                           else r.loss <= ad.reroute_threshold)),
                       key=lambda r: (t.org is not None and r.org is t.org, r.mode not in modes,
                                      spare[r], -r.uid), default=None)
            if best is not None:
                spare[best] -= t.capacity * dt
                self.add_link(best, t, "ships", math.nan, 1.0)
                new += w > 0
                new_supply += w == 0
        return new, new_supply

    def join(self, x: Actor) -> None:
        """An entrant joins the model's lists."""
        self.actors.append(x)
        self.entrants.append(x)
        self.by_kind[x.kind].add(x)
        self.enforced.add(x)

    def migration(self) -> None:
        """Listings of marketplaces that left move to surviving ones where the partner is
        not listed yet (a replaced marketplace keeps those not yet moved); the link a
        listing leaves is retired, so a newcomer in the marketplace's place lacks it."""
        ad = self.p.adaptation
        mkps = [m for m in self.by_kind["marketplace"] if m.alive]
        rows = [r for r in self.orphans if not r[3].alive and (r[0].alive or (
            r[0].vacant and (ad.replacement if r[0].org is not None
                             else ad.seller_replacement or ad.independent_replacement)))]
        if not mkps or not any(r[0].alive for r in rows):
            self.orphans = rows
            return
        p = -math.expm1(-ad.migration_rate * self.dt)
        left, moved = [], 0
        for row in rows:
            partner, kind, as_src, _, link = row
            if not partner.alive or self.random.random() >= p:
                left.append(row)
                continue
            self.retire_link(link)
            listed = {(ln.dst if as_src else ln.src) for ln in partner.links
                      if ln.kind == kind and (ln.src is partner) == as_src}
            free = [m for m in mkps if m not in listed]
            if free:
                dest = self.random.choice(free)
                s, d = (partner, dest) if as_src else (dest, partner)
                self.add_link(s, d, kind, math.nan, 1.0)
                moved += 1
        self.orphans = left
        self.now["listings_moved"] = moved

    # 11
    def record(self) -> None:
        now = self.now
        for kind in ACTIVE:
            now[active_column(kind)] = sum(1 for x in self.by_kind[kind] if x.alive)
        now["seized_kg"] = now["seized_routes_kg"] + now["seized_stock_kg"]
        now["stock_kg"] = sum(x.product for x in self.actors)
        now["precursor_stock_kg"] = sum(x.precursor for x in self.actors)
        now["cash_usd"] = sum(x.cash for x in self.actors if x.alive)
        self.rows.append({"step": self.step_no, "time": self.t, **now})

    def run(self, steps: int):
        """``steps`` steps; the series as a DataFrame."""
        for _ in range(steps):
            self.step()
        return pd.DataFrame(self.rows).fillna(0.0)


def _present(v) -> bool:
    return not pd.isna(v)


def _number(v) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return 0.0
    return x if math.isfinite(x) and x > 0 else 0.0



FLOWS = ("supply_kg", "seized_kg", "seized_routes_kg", "seized_stock_kg", "arrests",
         "arrests_dealer", "arrests_trafficker", "produced_kg", "recruits", "sellers_replaced",
         "independents_replaced", "overdoses", "overdose_deaths", "deaths", "initiations",
         "treatment_entries", "revenue_usd", "precursor_bought_kg", "precursor_refused_kg",
         "reroutes_supply")
"""Series compared as totals over the run."""
LEVELS = ("labs_active", "organizations_active", "dealers_active", "traffickers_active",
          "people_using", "people_in_treatment", "price_index", "stock_kg")
"""Series compared as their mean over the run's steps."""


def measures(series: pd.DataFrame) -> dict[str, float]:
    """One run's totals of :data:`FLOWS` and means of :data:`LEVELS`."""
    out = {f"{c} (total)": float(series[c].sum()) if c in series else 0.0 for c in FLOWS}
    out.update({f"{c} (mean)": float(series[c].mean()) if c in series else 0.0
                for c in LEVELS})
    return out


def validate(scenario: str | Scenario = "toy", seeds=range(1, 21), steps: int = 52,
             phases: tuple[str, ...] = PHASES) -> pd.DataFrame:
    """fentanet and the Mesa model run ``steps`` steps on the same network with the same
    parameters over ``seeds``: mean and standard error of each measure per model, and the
    difference in units of its standard error (Welch's z)."""
    from fentanet.simulate.loop import Sim
    from fentanet.simulate.run import build_network, prepare

    sc = prepare(scenario)
    net = build_network(sc)
    runs: dict[str, list[dict[str, float]]] = {"fentanet": [], "mesa": []}
    for seed in seeds:
        sim = Sim(sc, net, seed)
        for _ in range(steps):
            sim.run_step()
        runs["fentanet"].append(measures(pd.DataFrame(sim.rows).fillna(0.0)))
        runs["mesa"].append(measures(TradeModel(sc, net, seed, phases).run(steps)))
    out = {}
    for name, rows in runs.items():
        df = pd.DataFrame(rows)
        out[(name, "mean")] = df.mean()
        out[(name, "se")] = df.std(ddof=1) / math.sqrt(len(df))
    table = pd.DataFrame(out)
    se = np.hypot(table[("fentanet", "se")], table[("mesa", "se")])
    diff = table[("mesa", "mean")] - table[("fentanet", "mean")]
    with np.errstate(divide="ignore", invalid="ignore"):
        table[("z", "")] = np.where(se > 0, diff / se, np.where(diff == 0, 0.0, np.inf))
    return table


USAGE = ("usage: python -m benchmarks.mesa_toy [SEEDS]\n"
         "  runs fentanet and the Mesa model on the toy network for 52 weekly steps over\n"
         "  seeds 1..SEEDS (default 20) and prints the two models' series side by side")


def main(argv: list[str]) -> None:
    if argv and (argv[0] in ("-h", "--help") or not argv[0].isdigit() or int(argv[0]) < 1):
        print(USAGE, file=sys.stderr if argv[0] not in ("-h", "--help") else sys.stdout)
        raise SystemExit(0 if argv[0] in ("-h", "--help") else 2)
    seeds = int(argv[0]) if argv else 20
    t0 = time.perf_counter()
    table = validate(seeds=range(1, seeds + 1))
    pd.set_option("display.width", 140)
    print(f"toy scenario, 52 weekly steps, seeds 1..{seeds}: fentanet vs the Mesa model "
          f"({time.perf_counter() - t0:.0f} s)")
    print(table.to_string(float_format=lambda x: f"{x:.4g}"))


if __name__ == "__main__":
    main(sys.argv[1:])
