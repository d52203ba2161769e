"""The integration loop: one step runs the phases of DESIGN.md in this order.

Like Starsim's ``Loop``, the order is explicit and in one place (:data:`PHASES`); each phase
is a module of :mod:`fentanet.simulate.phases` with one job and a ``run(sim)`` function.
"""

from __future__ import annotations

import time
from collections import defaultdict

import numpy as np

from fentanet.errors import warn_run
from fentanet.network.model import Network
from fentanet.simulate.params import Params
from fentanet.simulate.phases import (
    adaptation,
    distribution,
    enforcement,
    interventions,
    market,
    money,
    population,
    procurement,
    production,
    record,
    shipping,
)
from fentanet.simulate.phases.interventions import Efforts
from fentanet.simulate.rng import Streams
from fentanet.simulate.scenario import Intervention, Scenario
from fentanet.simulate.state import KIND, State, build_state
from fentanet.simulate.topology import Topology

PHASES = (
    ("interventions", interventions.run),  # efforts of this step, targeted operations
    ("procurement", procurement.run),      # labs buy precursor; screening; cash limits
    ("production", production.run),        # labs turn precursor into product
    ("shipping", shipping.run),            # labs to routes to traffickers; seizures
    ("distribution", distribution.run),    # traffickers to dealers to markets
    ("market", market.run),                # price and potency respond to supply vs demand
    ("population", population.run),        # people: initiation, overdose, treatment, deaths
    ("money", money.run),                  # revenue laundered into usable cash; upkeep
    ("enforcement", enforcement.run),      # detection, arrests, dismantling, seizures
    ("adaptation", adaptation.run),        # replacement, failure, entry, migration
    ("record", record.run),                # the step's row of the series
)
"""The phases of one step, in order."""

NATIONAL_USING = 3.1e6
"""People using illicit opioids at the national scale ``params.costs``' defaults price
(us-baseline's, about 3.1 million)."""
SMALL_SHARE = 0.1
"""Below this share of :data:`NATIONAL_USING`, a run whose interventions are priced at
national scale is warned (:meth:`Sim._warn_national_costs`)."""

SPINUP_PHASES = (
    procurement.run,
    production.run,
    shipping.run,
    distribution.run,
    money.run,
    enforcement.run,     # at the baseline's efforts
    adaptation.warmup,   # all but insolvency, entry and exit
)
"""The phases of a spin-up step, in the run's order (:meth:`Sim.warmup`): the market (the
price stays at 1), the population and the record do not run; interventions give the
baseline's efforts."""

STATUS_QUO_STEPS = 1
"""The steps at the spin-up's end over which the status quo (S0, avail0) is measured
(:meth:`Sim.warmup`): its last, the state the run starts from. No window escapes an
organization's suspension on a small network: its dip (some ten weeks) and recovery (ten
more) set S0 low when they cover the window and high when the dip comes after it. Over toy
seeds 1-48 (two years) the last step did best of 1, 13, 26 and 52 steps: first quarter's
mean |log price index| 0.12 against 0.20, 0.23 and 0.18, five seeds with a year-1 price
under 0.8 against 9, 13 and 2 (the year's mean price 1.03 against 0.99, 0.98 and 1.08);
us-baseline's first quarter 1.01 against 1.05 with a quarter (docs/model.md section 11)."""

SUSPENDED_SHARE = 0.25
"""The share of the labs' capacity in organizations suspended at time 0 above which the run
warns that its status quo was read around a suspension (:meth:`Sim._warn_suspended`): the
toy's one suspended organization of three holds 0.38-0.45; us-baseline's 0.07-0.09."""

NOT_VIABLE_SHARE = 0.01
"""The share of the payers owing upkeep that, insolvent at the spin-up's end, makes the run
warn that its trade is not viable (as any insolvent organization does)."""


def step_params(params: Params, dt: float) -> Params:
    """The parameters a run of step ``dt`` uses: the stock covers of ``params.supply`` raised
    to at least one step. A holder refills its stock up to ``cover * capacity`` once a step,
    so a cover shorter than the step would cap its throughput at ``cover / dt`` of its
    capacity (monthly steps with two weeks' cover halved the supply); with steps shorter than
    the covers (the default week) the parameters are returned as they are."""
    sup = params.supply
    stock, precursor = max(sup.stock_cover_years, dt), max(sup.precursor_cover_years, dt)
    if stock == sup.stock_cover_years and precursor == sup.precursor_cover_years:
        return params
    return params.model_copy(update={"supply": sup.model_copy(update={
        "stock_cover_years": stock, "precursor_cover_years": precursor})})


class Sim:
    """One run: the state, the parameters, the random streams and the records.

    Parameters
    ----------
    scenario
        The validated scenario (with any extra interventions already added).
    network
        The network to run on (built from ``scenario.network`` by :func:`simulate`).
    seed
        The run seed (common random numbers: the same seed gives the same draws).
    """

    def __init__(self, scenario: Scenario, network: Network, seed: int) -> None:
        self.scenario = scenario
        self.network = network
        self.p = step_params(scenario.params, float(scenario.dt))
        self.seed = int(seed)
        self.streams = Streams(self.seed)
        self.dt = float(scenario.dt)
        self.n_steps = scenario.steps
        self.interventions: tuple[Intervention, ...] = scenario.interventions
        self.s: State = build_state(network)
        self.topo = Topology(self.s)
        self.step = 0
        self.t = 0.0
        self.now: dict[str, float] = defaultdict(float)
        self.flows: dict[str, np.ndarray] = {}
        self.timings: dict[str, float] = dict.fromkeys(name for name, _ in PHASES)
        for name in self.timings:
            self.timings[name] = 0.0
        self.rows: list[dict[str, float]] = []
        self.efforts: Efforts | None = None
        self.targets: dict[int, np.ndarray] = {}
        self.targets_at: dict[int, int] = {}
        self.target_uids: dict[int, np.ndarray] = {}  # uids of the targets when chosen
        self.target_warned: set[int] = set()  # operations warned of too few targets
        # listings of marketplaces that left: (partner slot, link kind, as_src, marketplace,
        # link)
        self.orphans = np.zeros((0, 5), dtype=np.int64)
        self.releases: dict[int, np.ndarray] = {}
        self.n_labs0 = int((self.s.actors.kind == KIND["lab"]).sum())
        self.n_actors0 = self.s.actors.n  # slots from here on are entrants
        self.surveillance = 0.0  # its clock: targeting.surveil
        interventions.init(self)
        shipping.init(self)
        money.init(self)
        enforcement.init(self)
        population.init(self)
        self._warn_national_costs()
        self.warmup()

    def warmup(self) -> None:
        """Spin-up before time 0: ``warmup_years`` of the status quo's trade with the
        price fixed at 1 and no population change, so that stocks, cash, routes and the
        trade's answer to routine enforcement settle. Each step runs the supply phases
        (procurement to distribution, money), enforcement at the baseline's efforts
        (:data:`SPINUP_PHASES`; no intervention is in force before time 0) and the
        adaptation that answers it (:func:`fentanet.simulate.phases.adaptation.warmup`:
        suspension, succession and failure, replacement of members and independents,
        re-routing, migration): all but insolvency, entry and exit. The retail
        offer at the spin-up's last step (:data:`STATUS_QUO_STEPS`) is each market's
        reference supply S0 of the price index, and the share of demand met there the
        status quo of its availability, which is clipped to [0, 1]: both measured on a
        trade that has faced routine arrests for the whole spin-up, not on one that
        meets them first at step 0 (before the sixteenth session the spin-up had no
        enforcement, and us-baseline's price index rose from 1.05 to 1.16 over its first
        half-year, docs/model.md section 11). Draws use
        negative steps, the same in every variant (interventions start at time 0 or
        later), so common random numbers hold. People released after the spin-up's dealer
        arrests join the run's population when their time comes at step 0 or later (those
        due before time 0 are dropped: the population does not run here). No insolvency
        is applied here: a trade that cannot pay its upkeep is warned of
        (:meth:`_warn_not_viable`). The stocks at its end, time 0, are kept in
        ``start_levels`` (the summary's ``stock_kg_start`` and
        ``precursor_stock_kg_start``, summed as the record phase sums them)."""
        steps = round(self.scenario.warmup_years / self.dt)
        s = self.s
        a = s.actors
        offered, avail = [], []
        for k in range(steps):
            self.step = k - steps
            self.t = self.step * self.dt
            self.now = defaultdict(float)
            self.efforts = interventions._baseline(self)
            self.topo.sync(self.s)
            # this step's throughput and refusals, as interventions.run clears them
            interventions._clear(a.throughput.view(np.int64), a.refused.view(np.int64))
            for phase in SPINUP_PHASES:
                phase(self)
            offered.append(self.flows["offered"].copy())
            avail.append(self.flows["consumed"] / np.maximum(self.flows["demand"], 1e-300))
        self.releases = {k: v for k, v in self.releases.items() if k >= 0}
        window = max(1, STATUS_QUO_STEPS)
        tail = offered[-window:] if offered else []
        # reference retail offer per market, kg/year
        s.offer0 = np.mean(tail, axis=0) / self.dt if tail else s.retail_cap0.copy()
        s.offer0 = np.where(s.offer0 > 0, s.offer0, s.retail_cap0)
        # share of demand met at that steady state: the status quo of the population model
        a0 = np.mean(avail[-window:], axis=0) if avail else np.ones(s.n_markets)
        s.avail0 = np.where(a0 > 0, a0, 1.0)
        s.supply_prev = np.zeros(s.n_markets)
        self._warn_not_viable()
        self._warn_suspended()
        _, stock, precursor, _ = record._tally(s.actors.kind, s.actors.alive, s.actors.product,
                                               s.actors.precursor, s.actors.cash, len(KIND))
        self.start_levels = {"stock_kg": stock, "precursor_stock_kg": precursor}
        enforcement.know(self)  # of the status quo's links (recruits' and new routes' too)
        s.diversion0 = population.status_quo_diversion(self)  # its prescribers' places
        interventions.warn_idle(self)  # take-back and oversight with no diversion to act on
        self.step = 0
        self.t = 0.0
        self.now = defaultdict(float)
        self.insolvent = np.zeros(0, dtype=np.int64)

    def _warn_national_costs(self) -> None:
        """Warn when interventions are priced at national scale on a much smaller network:
        ``params.costs.usd_per_unit`` is national (docs/model.md 7.1), so a scenario of a
        region or a city that leaves ``params.costs.scale`` unset, on a network with under
        :data:`SMALL_SHARE` of :data:`NATIONAL_USING` people using, would charge its
        interventions, and its cost per death averted, at the national budget."""
        priced = sorted({iv.kind for iv in self.interventions
                         if iv.cost_per_unit is None and iv.intensity > 0})
        using = float(self.users0.sum())
        if (not priced or "scale" in self.p.costs.model_fields_set
                or using >= SMALL_SHARE * NATIONAL_USING):
            return
        warn_run(f"{', '.join(priced)} cost{'s' * (len(priced) == 1)} national budgets "
                 f"(params.costs.usd_per_unit, for about {NATIONAL_USING / 1e6:.1f} million "
                 f"people using) on a network of {using:,.0f}: set params.costs.scale (about "
                 f"{using / NATIONAL_USING:.2g} here) or the interventions' cost_per_unit",
                 stacklevel=4)

    def _warn_not_viable(self) -> None:
        """Warn when the spin-up's trade cannot pay its upkeep: the spin-up applies no
        insolvency (its adaptation leaves it out), so payers whose cash ran out and
        whose revenue is below their upkeep are still alive at its end and fail or quit at
        step 0, and the status quo was measured on a trade running down (docs/model.md
        section 11). Said when an organization, or at least :data:`NOT_VIABLE_SHARE` of the
        payers owing upkeep, could not pay in the spin-up's last step; the slots are kept in
        ``spinup_insolvent``."""
        a = self.s.actors
        ins = getattr(self, "insolvent", np.zeros(0, dtype=np.int64))
        ins = self.spinup_insolvent = ins[a.alive[ins]]
        if not ins.size:
            return
        kinds = a.kind[ins]
        n_orgs = int((kinds == KIND["organization"]).sum())
        owing = np.bincount(a.payer, weights=money.upkeep(self), minlength=a.n) > 0
        n_payers = int((owing & a.alive).sum())
        if not n_orgs and ins.size < NOT_VIABLE_SHARE * n_payers:
            return
        order = ["organization", *(k for k in KIND if k != "organization")]
        counts = {k: int((kinds == KIND[k]).sum()) for k in order}
        by_kind = ", ".join(f"{n} {k}{'s' if n > 1 else ''}" for k, n in counts.items() if n)
        warn_run(f"the trade cannot pay its upkeep: at the spin-up's end {ins.size} of "
                 f"{n_payers} payers ({by_kind}) have no cash left and upkeep above their "
                 "revenue; they fail or quit at step 0, and the status quo (reference supply, "
                 "share of demand met) was measured on a trade running down (lower "
                 "params.money.upkeep_usd_per_year or give the network more demand)",
                 stacklevel=5)

    def _warn_suspended(self) -> None:
        """Warn when organizations holding more than :data:`SUSPENDED_SHARE` of the alive
        labs' capacity are suspended at time 0 (lying low after the spin-up's arrests): the
        status quo was read at the spin-up's last step, in or before the dip of their
        offer, so the baseline's price index may sit off 1 either way while they are away
        and after (docs/model.md section 11). Reads the state at the spin-up's end."""
        a = self.s.actors
        lab = np.flatnonzero((a.kind == KIND["lab"]) & a.alive)
        org = a.org[lab]
        away = np.zeros(lab.size, dtype=bool)
        away[org >= 0] = a.suspended_until[org[org >= 0]] > 0.0
        total = a.capacity[lab].sum()
        share = a.capacity[lab[away]].sum() / total if total > 0 else 0.0
        if share <= SUSPENDED_SHARE:
            return
        n = int(np.unique(org[away]).size)
        warn_run(f"{n} organization{'s' * (n > 1)} holding {share:.0%} of the labs' capacity "
                 f"{'are' if n > 1 else 'is'} lying low at time 0 (suspended after the "
                 "spin-up's arrests): the status quo (reference supply, share of demand met) "
                 "was read around that suspension, so the baseline's price index may sit off "
                 "1 either way for a while; with so few organizations compare runs over "
                 "several seeds", stacklevel=5)

    def run_step(self) -> None:
        """Advance one step: every phase in order."""
        self.t = self.step * self.dt
        self.now = defaultdict(float)
        self.topo.sync(self.s)  # links and actors appended by the last adaptation
        for name, phase in PHASES:
            t0 = time.perf_counter()
            phase(self)
            self.timings[name] += time.perf_counter() - t0
        self.step += 1

    def run(self, progress=None) -> None:
        """Run to the horizon; ``progress(step, n_steps)`` is called after each step."""
        while self.step < self.n_steps:
            self.run_step()
            if progress is not None:
                progress(self.step, self.n_steps)
