"""Phase 1, interventions: this step's enforcement efforts, targets and one-time operations.

Every intervention in force (``start <= t < end``) adds its effect: enforcement efforts
multiply the detection hazard of the kinds they act on by ``1 + effort_gain * intensity``
(an organization takedown: of the members of organizations of those kinds only);
targeted operations multiply their targets' hazard by ``1 + target_gain * intensity`` in
place of that, the other actors of their kinds keeping theirs (targets recomputed every
``retarget_every`` on the network the police know); a one-time
operation (``once``) strikes in its first step and, without an ``end``, is over after it
(with an ``end`` the raised hazard on its targets lasts until then); screening
raises inspection of route modes; public-health levers set coverages for the population
model. At intensity 0 every multiplier is exactly 1, so the run is bit-identical to the
baseline. Costs accrue as ``cost_per_unit * intensity * dt``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numba
import numpy as np

from fentanet import _jitcache  # noqa: F401  (numba's cache, stale after any kernel's edit)
from fentanet.errors import warn_run
from fentanet.simulate import targeting
from fentanet.simulate.params import INTERVENTION_KINDS, MODES
from fentanet.simulate.state import KIND, room


@dataclass
class Efforts:
    """What the interventions in force set for one step (recomputed every step)."""

    hazard: np.ndarray  # multiplier of the detection hazard per actor kind code
    target: np.ndarray  # multiplier per actor slot (targeted operations)
    screen: dict[str, float] = field(default_factory=dict)  # S per route mode
    intel: float = 1.0
    precursor_control: float = 0.0
    aml: float = 0.0
    anti_corruption: float = 0.0
    takeback: float = 0.0
    oversight: float = 0.0
    coverage: dict[str, float] = field(default_factory=dict)  # public-health levers, 0..1
    cost: float = 0.0
    cost_by_kind: dict[str, float] = field(default_factory=dict)
    strike: np.ndarray | None = None  # one-time arrests this step (bool per slot)


def init(sim) -> None:
    sim.started = set()
    sim.cost_columns = tuple(dict.fromkeys(f"cost_{iv.kind}_usd" for iv in sim.interventions))
    """The series' ``cost_<kind>_usd`` columns, one per kind of the run's interventions, in
    their order (``record.COLUMNS``)."""


def warn_idle(sim) -> None:
    """Warn when take-back or prescriber oversight is asked for and no prescriber diverts
    to a market at the status quo (no ``diverts_to`` link with a weight from a prescriber
    alive, or in a vacant place a newcomer will take, at the spin-up's end, ``diversion0``:
    none in the network, or all taken out by the spin-up's routine arrests for good): they
    cannot act, but their cost is charged."""
    idle = [k for k in dict.fromkeys(iv.kind for iv in sim.interventions)
            if k in ("take_back", "prescriber_oversight")]
    if idle and not (sim.s.diversion0 > 0).any():
        warn_run(f"{' and '.join(idle)}: no prescriber diverts to a market at the status "
                 "quo (no diverts_to link with a weight from a prescriber alive, or awaiting "
                 "a newcomer, at the spin-up's end): no effect in this run but its cost",
                 stacklevel=5)


STRIKE_YEARS = 1 / 52
"""What a one-time operation without an ``end`` costs, in years of its effort: a week's,
whatever the step. Its strike (each target hit with probability min(1, intensity)) does
not depend on the step, so neither does its price; a week is what it cost at the default
step, where it cost one step's effort."""


def _active(sim, j: int, iv) -> bool:
    """In force this step: ``start <= t < end``; a one-time operation without an ``end``
    only in the step it strikes."""
    eps = 1e-9
    if sim.t + eps < iv.start:
        return False
    if iv.once and iv.end is None and j in sim.started:
        return False
    return iv.end is None or sim.t + eps < iv.end


def run(sim) -> None:
    """Set this step's efforts (``sim.efforts``), charge their costs, strike one-time
    operations, and advance the surveillance clock by this step's ``reveal_rate * intel *
    dt`` (:func:`fentanet.simulate.targeting.surveil`)."""
    s, p = sim.s, sim.p
    a = s.actors
    _clear(a.throughput.view(np.int64), a.refused.view(np.int64))
    eff = _baseline(sim)
    for j, iv in enumerate(sim.interventions):
        if not _active(sim, j, iv):
            continue
        x = iv.intensity
        cost = iv.unit_cost(p.costs) * x * (STRIKE_YEARS if iv.once and iv.end is None
                                            else sim.dt)
        eff.cost += cost
        eff.cost_by_kind[iv.kind] = eff.cost_by_kind.get(iv.kind, 0.0) + cost
        acts_on = INTERVENTION_KINDS[iv.kind]["acts_on"]
        k = iv.kind
        if k == "intelligence_sharing":
            eff.intel *= 1.0 + p.enforcement.effort_gain * x
        elif iv.target is not None:
            slots = targeting.current(sim, j, iv)
            if slots.size:
                if eff.target is sim.no_target:
                    eff.target = eff.target.copy()
                eff.target[slots] *= 1.0 + p.enforcement.target_gain * x
            if iv.once and j not in sim.started:
                u = sim.streams.uniform(f"operation.{j}", sim.step, a.uid[slots])
                hit = slots[u < min(1.0, x)]
                if eff.strike is None:
                    eff.strike = np.zeros(a.n, dtype=bool)
                eff.strike[hit] = True
        elif k == "organization_takedown":  # members of organizations, not independents
            if eff.target is sim.no_target:
                eff.target = eff.target.copy()
            eff.target[_members(sim, acts_on)] *= 1.0 + p.enforcement.effort_gain * x
        elif acts_on:
            for kind in acts_on:
                eff.hazard[KIND[kind]] *= 1.0 + p.enforcement.effort_gain * x
        if k in ("border_security", "postal_screening"):
            for mode in iv.screened_modes:
                eff.screen[mode] += p.routes.screening_gain * x
        elif k == "precursor_controls":
            eff.precursor_control += x
        elif k == "anti_money_laundering":
            eff.aml += x
        elif k == "anti_corruption":
            eff.anti_corruption += x
        elif k == "take_back":
            eff.takeback = min(1.0, eff.takeback + x)
        elif k == "prescriber_oversight":
            eff.oversight += x
        elif k == "prevention_treatment":
            for lever in ("prevention", "treatment"):
                eff.coverage[lever] = min(1.0, eff.coverage[lever] + x)
        elif k in ("education", "naloxone", "scam_awareness"):
            eff.coverage[k] = min(1.0, eff.coverage[k] + x)
        sim.started.add(j)
    sim.efforts = eff
    sim.surveillance += p.enforcement.reveal_rate * eff.intel * sim.dt
    sim.now["intervention_cost_usd"] = eff.cost
    for iv in sim.interventions:  # one column per configured kind, 0 while inactive
        sim.now[f"cost_{iv.kind}_usd"] = eff.cost_by_kind.get(iv.kind, 0.0)


@numba.njit(cache=True)
def _clear(throughput_bits, refused_bits):
    """Set both arrays (float64, seen as their int64 bits) to +0.0, writing only the entries
    that are not +0.0 already: most actors refuse nothing, and skipping their writes takes
    a third less time than a full fill of both arrays."""
    for i in range(throughput_bits.size):
        if throughput_bits[i] != 0:
            throughput_bits[i] = 0
        if refused_bits[i] != 0:
            refused_bits[i] = 0


def _members(sim, kinds) -> np.ndarray:
    """Slots of the members of organizations of ``kinds`` (alive or not: the hazard of
    those not alive is never drawn)."""
    a = sim.s.actors
    return np.flatnonzero((a.org >= 0) & np.isin(a.kind, [KIND[k] for k in kinds]))


def _baseline(sim):
    """The efforts with no intervention in force (``target`` is a shared array of ones,
    copied before an operation changes it; ``strike`` is None until one strikes)."""
    n = sim.s.actors.n
    if getattr(sim, "no_target", None) is None or sim.no_target.size != n:
        ones = sim.__dict__.get("_ones")
        if ones is None or ones.size < n:  # with room for the actors appended later
            sim._ones = ones = np.ones(room(n))
        sim.no_target = ones[:n]
    return Efforts(hazard=np.ones(len(KIND)), target=sim.no_target,
                   screen=dict.fromkeys(MODES, 1.0),
                   coverage={"education": 0.0, "prevention": 0.0, "treatment": 0.0,
                             "naloxone": 0.0, "scam_awareness": 0.0})
