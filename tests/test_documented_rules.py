"""Rules that docs/model.md states and its audit (session 12) found stated otherwise: each
pinned by a hand-computed case on the hand-built network, so that the doc and the code
cannot part again unnoticed. Sections: 3 (status quo), 7.1 (targeted operations), 7.3
(suspension), 7.4 (scam awareness), 7.5 (availability), 8 (the two protections)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fentanet.simulate import loop
from fentanet.simulate.loop import Sim
from fentanet.simulate.phases import enforcement, interventions, production
from fentanet.simulate.scenario import Scenario
from fentanet.simulate.state import KIND
from simkit import supply_network

NET = supply_network()
WEEK = 1.0 / 52


def scenario(warmup: float = 0.0, **kw) -> Scenario:
    base = {"name": "hand", "network": {"file": "unused.csv"}, "years": 1.0, "dt": WEEK,
            "warmup_years": warmup}
    base.update(kw)
    return Scenario.model_validate(base)


def hazard_at_full_activity(sim: Sim) -> np.ndarray:
    """Every actor's detection hazard with activity 1 (throughput = capacity * dt), after
    this step's interventions."""
    interventions.run(sim)
    a = sim.s.actors
    a.throughput[:] = a.capacity * sim.dt
    return enforcement.hazard(sim)


def test_a_targeted_operation_raises_only_its_targets_hazard():
    """7.1 and section 8 (target_gain): a targeted operation multiplies its targets' hazard
    by 1 + target_gain * I in place of the kind-wide 1 + effort_gain * I, and leaves the
    other actors of its kinds as they are. lab_raids at I = 1 (gains 4 and 1): 5 on the
    target, 1 on the other three labs; without a target, 2 on all four (the doc said the
    targets' hazard was further multiplied, 10)."""
    labs = np.flatnonzero(NET.actors["kind"].to_numpy() == "lab")
    base = hazard_at_full_activity(Sim(scenario(), NET, 1))
    broad = hazard_at_full_activity(Sim(scenario(interventions=[
        {"kind": "lab_raids", "intensity": 1.0}]), NET, 1))
    sim = Sim(scenario(interventions=[{"kind": "lab_raids", "intensity": 1.0, "target": {
        "rule": "degree", "count": 1, "view": "true"}}]), NET, 1)
    focused = hazard_at_full_activity(sim)
    target = sim.targets[0]
    assert target.size == 1 and np.isin(target, labs).all()
    others = np.setdiff1d(labs, target)
    assert others.size == 3
    assert broad[labs] / base[labs] == pytest.approx(np.full(4, 2.0), rel=1e-12)
    assert focused[target] / base[target] == pytest.approx([5.0], rel=1e-12)
    assert (focused[others] == base[others]).all()


def test_a_targeted_precursor_control_still_screens_every_supplier():
    """7.1: a targeted operation's other effects are those of the operation without a
    target: precursor controls at I = 2 with a target still raise every screening (the
    effort 2 reaches procurement), while the hazard rises on the targets only."""
    sim = Sim(scenario(interventions=[{"kind": "precursor_controls", "intensity": 2.0,
                                       "target": {"rule": "degree", "count": 1,
                                                  "view": "true"}}]), NET, 1)
    interventions.run(sim)
    assert sim.efforts.precursor_control == 2.0
    assert (sim.efforts.hazard == 1.0).all()
    assert np.count_nonzero(sim.efforts.target != 1.0) == 1


def test_the_routes_protection_is_not_the_detections():
    """Section 8: routes.protection_per_official lowers a route's inspection only; the
    detection hazard of a protected actor reads enforcement.protection_per_official (the doc
    said the routes' parameter acted on detection too). rte-00 has one official: its hazard
    is (1 - 0.3) of the unprotected one whatever the routes' parameter."""
    route = int(np.flatnonzero(NET.actors["id"].to_numpy() == "rte-00")[0])
    h = {}
    for name, over in (("default", {}),
                       ("routes 0", {"routes": {"protection_per_official": 0.0}}),
                       ("enforcement 0", {"enforcement": {"protection_per_official": 0.0}})):
        h[name] = hazard_at_full_activity(Sim(scenario(params=over), NET, 1))[route]
    assert h["routes 0"] == h["default"]
    assert h["default"] == pytest.approx(0.7 * h["enforcement 0"], rel=1e-12)


def test_a_suspended_organizations_labs_make_nothing():
    """7.3 and section 8 (suspension): a suspension stops production as well as
    procurement. With empty product stocks every lab could make min(capacity * dt,
    precursor, room) = min(60 / 52, 4.8, 2.4) = 60 / 52 kg; those of the suspended org-0
    make nothing, org-1's make their 60 / 52."""
    sim = Sim(scenario(), NET, 1)
    a = sim.s.actors
    ids = NET.actors["id"].to_numpy()
    org0 = int(np.flatnonzero(ids == "org-0")[0])
    labs = np.flatnonzero(a.kind == KIND["lab"])
    a.product[labs] = 0.0
    precursor = a.precursor[labs].copy()
    a.suspended_until[org0] = sim.t + 0.25
    production.run(sim)
    made = precursor - a.precursor[labs]
    suspended = a.org[labs] == org0
    assert suspended.sum() == 2
    assert (made[suspended] == 0.0).all() and (a.product[labs][suspended] == 0.0).all()
    assert made[~suspended] == pytest.approx(np.full(2, 60.0 * WEEK), rel=1e-12)
    assert sim.now["produced_kg"] == pytest.approx(2 * 60.0 * WEEK, rel=1e-12)


def test_scam_awareness_withholds_online_offer_and_leaves_demand():
    """7.4 and section 8 (scam_avoidance): scam awareness at coverage 1 scales online
    sellers' retail offer by 1 - 0.2 and leaves the markets' demand as it is (the doc said
    it cut demand). Market 0 has the two online dealers (12 kg a year each, stocked above a
    week's sales): its offer falls by 0.2 * 2 * 12 / 52 kg in the first step; market 1,
    with street dealers only, and both demands are unchanged."""
    flows = {}
    for on in (False, True):
        ivs = [{"kind": "scam_awareness", "intensity": 1.0}] if on else []
        sim = Sim(scenario(interventions=ivs), NET, 1)
        sim.run_step()
        flows[on] = sim.flows
    assert (flows[True]["demand"] == flows[False]["demand"]).all()
    drop = flows[False]["offered"] - flows[True]["offered"]
    assert drop == pytest.approx([0.2 * 2 * 12.0 * WEEK, 0.0], rel=1e-12, abs=1e-15)


def test_the_status_quo_is_the_spin_ups_last_step(monkeypatch):
    """Section 3: a market's reference offer S0 is its retail offer at the spin-up's last
    step, per year (since the sixteenth session; before, the mean over its last quarter).
    Labs of 5 kg a year cannot keep the dealers' stocks, so the offer falls step by step."""
    offered = []
    run = loop.distribution.run

    def recording(sim):
        run(sim)
        offered.append(sim.flows["offered"].copy())

    monkeypatch.setattr(loop, "SPINUP_PHASES", tuple(
        recording if f is run else f for f in loop.SPINUP_PHASES))
    sim = Sim(scenario(warmup=8 * WEEK), supply_network(lab_capacity=5.0), 1)
    assert len(offered) == 8
    assert (offered[7] < 0.99 * offered[6]).all()
    assert (sim.s.offer0 == offered[7] / WEEK).all()


def test_availability_is_clipped_at_the_status_quo():
    """7.5: availability is the share of demand met relative to the status quo's, clipped
    to [0, 1]. With the status quo's share set to 0.5, a market meeting more than half its
    demand sees 1, not share / 0.5."""
    sim = Sim(scenario(), NET, 1)
    sim.s.avail0 = np.full(sim.s.n_markets, 0.5)
    sim.run_step()
    share = sim.flows["share_met"]
    assert (share > 0.5).all()
    assert (sim.flows["availability"] == 1.0).all()


SWITCHES = {  # section 4: each adaptive behaviour's off-switch and the count it leaves at 0
    "routes.displacement": None,
    "adaptation.replacement": "recruits",
    "adaptation.seller_replacement": "sellers_replaced",
    "adaptation.independent_replacement": "independents_replaced",
    "adaptation.suspension": "suspensions",
    "adaptation.succession": None,
    "adaptation.entry": "entrants",
    "adaptation.exit": "exits",
    "adaptation.reroute": "reroutes",
    "adaptation.reroute_room": "reroutes_room",
    "adaptation.reroute_traffickers": "reroutes_traffickers",
    "adaptation.reroute_supply": "reroutes_supply",
    "adaptation.migration": "listings_moved",
}
HEAVY = [  # toy seeds 3 and 4 under it: every behaviour but exit acts (each count above 0)
    {"kind": "border_security", "intensity": 20, "modes": ["air", "land"]},
    {"kind": "marketplace_takedown", "intensity": 5},
    {"kind": "organization_takedown", "start": 0.3, "once": True,
     "target": {"rule": "degree", "count": 2}},
    {"kind": "organization_takedown", "intensity": 3},
    {"kind": "lab_raids", "intensity": 3},
    {"kind": "trafficker_enforcement", "intensity": 3},
    {"kind": "anti_corruption", "intensity": 3},
    {"kind": "prescriber_oversight", "intensity": 3},
]


def test_every_off_switch_of_section_4_leaves_its_count_at_0():
    """Section 4's list of off-switches is the parameters', and each one off leaves its
    behaviour's count in the series at 0 where it is above 0 on (exit: under a low price,
    prevention and treatment at 1 with exit_threshold 1.2)."""
    import fentanet
    from fentanet.scenarios import load
    from fentanet.simulate.params import Params

    doc = (Path(__file__).resolve().parents[1] / "docs" / "model.md").read_text()
    design = doc[doc.index("## 4. Design concepts"):doc.index("## 5.")]
    flags = {f"{g}.{n}" for g, m in Params.model_fields.items() if g != "population"
             for n, f in m.annotation.model_fields.items() if f.annotation is bool}
    assert flags - {"money.marketplaces_launder"} == set(SWITCHES) | {
        "adaptation.suspension_on_leadership"}
    for switch in SWITCHES:
        name = switch.split(".")[1]
        assert f"`.{name}`" in design or f"`params.{switch}`" in design, switch
    counts = [c for c in SWITCHES.values() if c and c != "exits"]
    toy = load("toy")
    for on in (True, False):
        sc = toy.override({f"params.{s}": on for s in SWITCHES})
        got = sum(fentanet.simulate(sc, seed=seed, years=2, interventions=HEAVY)
                  .series[counts].sum() for seed in (3, 4))
        assert (got > 0).all() if on else (got == 0).all(), (on, got.to_dict())
    low = [{"kind": "prevention_treatment", "intensity": 1}]
    exits = [fentanet.simulate(toy.override({"params.adaptation.exit_threshold": 1.2,
                                             "params.adaptation.exit": on}),
                               seed=1, years=2, interventions=low).series["exits"].sum()
             for on in (True, False)]
    assert exits[0] > 0 and exits[1] == 0
