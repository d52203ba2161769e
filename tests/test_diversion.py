"""Prescription diversion reaching each market, relative to its own status quo (docs/model.md
section 7.7, model-population.md's `diversion` input, status quo 1): by hand, on a stepped
simulation and over whole runs of networks with markets that no prescriber diverts to."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fentanet
from fentanet.errors import RunWarning, run_notes
from fentanet.simulate.loop import Sim
from fentanet.simulate.phases import population as phase
from fentanet.simulate.run import build_network, prepare
from fentanet.simulate.scenario import Scenario
from simkit import supply_network

# no prescriber is ever arrested, so diversion stays at the status quo where it exists
NO_PRESCRIBER_ARRESTS = {"params": {"enforcement": {"detection_rate": {"prescriber": 0.0}}}}


def _scenario(**kw) -> Scenario:
    return Scenario.model_validate({"name": "t", "network": {"file": "x"}, "years": 2.0,
                                    **kw})


def _differing(a, b) -> list[str]:
    return [c for c in a.columns
            if not np.array_equal(a[c].to_numpy(), b[c].to_numpy(), equal_nan=True)]


def test_diversion_by_hand_is_relative_to_each_market_s_start():
    """Market 0: prescribers of weight 1 (gone) and 3 (alive), 3/4 of its start times the
    factor 0.5; market 1: no prescriber, 1; market 2: a link of weight 0, 1 (no diversion
    to remove there); a link into a non-market (market_of -1) counts nowhere."""
    li = np.arange(4)
    src = np.array([0, 1, 2, 1])
    dst = np.array([5, 5, 7, 9])
    link_alive = np.ones(4, dtype=bool)
    alive = np.array([False, True, True])
    weight = np.array([1.0, 3.0, 0.0, 8.0])
    market_of = np.full(10, -1)
    market_of[[5, 6, 7]] = [0, 1, 2]
    start = np.array([4.0, 0.0, 0.0])
    got = phase._diverted(li, src, dst, link_alive, alive, weight, market_of, 3, start, 0.5)
    np.testing.assert_array_equal(got, [0.375, 1.0, 1.0])
    # every prescriber gone and take-back at its most: 0 where there was diversion, else 1
    gone = np.zeros(3, dtype=bool)
    got = phase._diverted(li, src, dst, link_alive, gone, weight, market_of, 3, start, 0.0)
    np.testing.assert_array_equal(got, [0.0, 1.0, 1.0])


def test_take_back_oversight_and_arrests_act_only_where_prescribers_divert():
    """Two markets, market 1's prescriber removed from the network; take-back and oversight
    at intensity 1: market 0 gets (1 - 0.3) * exp(-0.3) = 0.5186, market 1 stays at 1. With
    market 0's prescriber gone, 0 there and still 1 in market 1 (0 on main before the fix)."""
    net = supply_network(markets=2).without(["prs-mkt-1"])
    sc = _scenario(years=0.1, warmup_years=0.0, interventions=[
        {"kind": "take_back", "intensity": 1.0},
        {"kind": "prescriber_oversight", "intensity": 1.0}], **NO_PRESCRIBER_ARRESTS)
    sim = Sim(sc, net, 1)
    sim.run_step()
    assert (sim.efforts.takeback, sim.efforts.oversight) == (1.0, 1.0)
    np.testing.assert_allclose(phase.diversion(sim), [0.7 * math.exp(-0.3), 1.0], rtol=1e-15)
    a = sim.s.actors
    a.alive[list(a.label).index("prs-mkt-0")] = False
    np.testing.assert_array_equal(phase.diversion(sim), [0.0, 1.0])


def test_a_market_without_prescribers_initiates_as_at_its_status_quo():
    """The hand-made network less market 1's prescriber runs exactly as the whole network
    whose prescribers are never arrested (diversion 1 in both markets): every column but
    the prescribers' count is the same, 2,893 initiations in two years (2,473 before the
    fix, with market 1 at 70% of the calibrated initiation rate; 2,901 until the spin-up
    ran routine enforcement, sixteenth session: this network's half-year spin-up arrests
    four dealers and a lab and suspends an organization, market 1's status-quo offer is
    96 kg a year against 120, and the run's path differs, its price index 1.14 and 1.44
    over the first two half-years and 0.82-0.84 in the second year; 2,975 until the
    default spin-up became a year, the same session: its price index 0.95, 1.62, 0.89 and
    0.96 by half-year, this two-organization network's suspensions setting the path)."""
    net = supply_network(markets=2)
    sc = _scenario(**NO_PRESCRIBER_ARRESTS)
    whole = fentanet.simulate(sc, seed=1, network=net).series
    half = fentanet.simulate(sc, seed=1, network=net.without(["prs-mkt-1"])).series
    assert _differing(whole, half) == ["prescribers_active"]
    assert half["initiations"].sum() == 2893


def test_the_toy_without_its_prescribers_initiates_as_the_toy():
    """The toy less its 9 prescribers (seed 1, 2 years) is the toy whose prescribers are
    never arrested, 312 initiations (the audit's repro: 214 before the fix, every market at
    diversion 0; 309 until traffickers cut off from their routes re-routed, thirteenth
    session, docs/model.md 7.9: the run's one route arrest cuts off traffickers, who now
    link from other routes, so a little more supply reaches the markets; 312 until the
    spin-up ran routine enforcement, sixteenth session: seed 1's spin-up arrests three
    labs, three traffickers and a route and suspends an organization, and its run takes
    another path, the price index 0.94, 0.88, 0.86, 0.80 over the first four quarters
    against 0.95-1.00, and initiation answers the price)."""
    sc = prepare("toy")
    net = build_network(sc)
    prescribers = net.actors.loc[net.actors["kind"] == "prescriber", "id"].tolist()
    assert len(prescribers) == 9
    bare = fentanet.simulate(sc, seed=1, network=net.without(prescribers)).series
    calm = fentanet.simulate(sc.override(NO_PRESCRIBER_ARRESTS), seed=1).series
    assert _differing(bare, calm) == ["prescribers_active"]
    assert bare["initiations"].sum() == 337


def test_take_back_and_oversight_leave_a_network_without_diversion_alone():
    """Without any prescriber there is no diversion to take back or oversee: the population
    runs as in the baseline (only the interventions' costs differ), and the run says so."""
    net = supply_network(markets=2).without(["prs-mkt-0", "prs-mkt-1"])
    base = fentanet.simulate(_scenario(), seed=2, network=net).series
    with pytest.warns(RunWarning, match="take_back and prescriber_oversight: no prescriber "
                      "diverts to a market at the status quo"):
        acted = fentanet.simulate(_scenario(interventions=[
            {"kind": "take_back", "intensity": 1.0},
            {"kind": "prescriber_oversight", "intensity": 1.0}]), seed=2, network=net).series
    assert _differing(base, acted[base.columns]) == ["intervention_cost_usd"]
    assert acted["initiations"].sum() == base["initiations"].sum() > 0


def test_diversion_s_status_quo_is_the_spin_up_s_end():
    """Diversion's status quo is read at the spin-up's end: each market's prescribers'
    places, alive or vacant awaiting a newcomer. Toy seed 3, by hand: with replacement (the
    default) one of market 2's six places (weight 1 each) is vacant at time 0, so the
    status quo is every place's weight (2, 2, 6) and diversion the share filled (1, 1,
    5 / 6), back to 1 when a newcomer takes the place. Without replacement
    (`independent_replacement` off, the arrests' toll whole) no place stays vacant: the
    status quo is the alive weight (the spin-up takes a third of market 2's, 6 to 4), and
    diversion is 1 in every market at time 0."""
    from fentanet.simulate.phases import adaptation
    from fentanet.simulate.state import LKIND

    sc = prepare("toy", years=0.25)
    for replaced in (True, False):
        run = sc.override({"params.adaptation.independent_replacement": replaced})
        sim = Sim(run, build_network(run), 3)
        s, a = sim.s, sim.s.actors
        ln = s.links
        div = np.flatnonzero(ln.kind[: ln.n] == LKIND["diverts_to"])
        market, weight = s.market_of[ln.dst[div]], ln.weight[div]
        start = np.bincount(market, weights=weight, minlength=s.n_markets)
        now = np.bincount(market, weights=weight * a.alive[ln.src[div]],
                          minlength=s.n_markets)
        assert (start == [2.0, 2.0, 6.0]).all()
        d = phase.diversion(sim)
        if replaced:
            assert (now == [2.0, 2.0, 5.0]).all() and (s.diversion0 == start).all()
            np.testing.assert_array_equal(d, [1.0, 1.0, 5 / 6])
            vacant = ln.src[div][a.vacant[ln.src[div]]]
            assert vacant.size == 1
            sim.t = a.vacant_since[vacant[0]] + 1.0  # past the delay, taken at any rate
            sim.p = sim.p.model_copy(update={"adaptation": sim.p.adaptation.model_copy(
                update={"independent_replacement_rate": {"prescriber": 1e6}})})
            sim.__dict__.pop("_taking", None)
            adaptation._recruit(sim, adaptation._newcomers(sim))
            assert (phase.diversion(sim) == 1.0).all()
        else:
            assert now[2] == 4.0 and (s.diversion0 == now).all() and (d == 1.0).all()


def test_a_market_whose_prescribers_all_wait_for_newcomers_gets_its_diversion_back():
    """A market whose every prescriber is arrested at the spin-up's end reads 0 at time 0
    (its places are the status quo's, none filled) and 1 once newcomers take them: its
    diversion is in the network, for take-back and oversight to act on."""
    from fentanet.simulate.phases import adaptation, enforcement
    from fentanet.simulate.state import KIND, LKIND

    sc = prepare("toy", years=0.25).override(
        {"params.adaptation.independent_replacement_rate": {"prescriber": 1e6}})
    sim = Sim(sc, build_network(sc), 3)
    s, a, ln = sim.s, sim.s.actors, sim.s.links
    div = np.flatnonzero(ln.kind[: ln.n] == LKIND["diverts_to"])
    mine = ln.src[div][s.market_of[ln.dst[div]] == 0]
    assert mine.size == 2 and (a.kind[mine] == KIND["prescriber"]).all()
    enforcement.remove(sim, mine, cause="arrest")
    s.diversion0 = phase.status_quo_diversion(sim)  # as if read now
    assert s.diversion0[0] == 2.0
    assert phase.diversion(sim)[0] == 0.0
    sim.t += 1.0
    adaptation._recruit(sim, adaptation._newcomers(sim))
    assert a.alive[mine].all() and phase.diversion(sim)[0] == 1.0


def test_take_back_with_every_prescriber_gone_in_the_spin_up_says_so():
    """Prescribers detected at a rate of 200 a year are all arrested in the spin-up. Not
    replaced (`independent_replacement` off), no diversion is left at the status quo for
    take-back to cut, and the run says so (it once checked the network before the spin-up,
    and kept quiet). Replaced (the default), their places are the status quo's, newcomers
    keep taking them, and take-back has their diversion to cut: no warning."""
    sc = prepare("toy", years=0.25, interventions=[{"kind": "take_back", "intensity": 1.0}])
    sc = sc.override({"params": {"enforcement": {"detection_rate": {"prescriber": 200.0}}}})
    gone = sc.override({"params.adaptation.independent_replacement": False})
    with run_notes() as notes:
        sim = Sim(gone, build_network(gone), 1)
    assert (sim.s.diversion0 == 0).all()
    assert [n for n in notes if "take_back:" in n] == [
        "take_back: no prescriber diverts to a market at the status quo (no diverts_to link "
        "with a weight from a prescriber alive, or awaiting a newcomer, at the spin-up's "
        "end): no effect in this run but its cost"]
    for run in (sc, prepare("toy", years=0.25, interventions=[
            {"kind": "take_back", "intensity": 1.0}])):
        with run_notes() as notes:
            sim = Sim(run, build_network(run), 1)
        assert not [n for n in notes if "take_back:" in n]
        assert (sim.s.diversion0 == [2.0, 2.0, 6.0]).all()  # every place (weight 1 each)


def test_kept_markets_and_weights_give_the_diversion_of_the_links_read_afresh():
    """diversion() reads each link's market and weight from arrays kept while the stage
    keeps its links: equal to _diverted reading them afresh, after prescribers leave and
    when the stage's links are replaced (here: their order reversed, a list of its own)."""
    sc = prepare("toy", years=1)
    sim = Sim(sc, build_network(sc), 2)
    sim.run_step()
    s, st = sim.s, sim.topo.stages["diverts_to"]
    assert st.li.size > 1

    def afresh():
        return phase._diverted(st.li, st.src, st.dst, s.links.alive, s.actors.alive,
                               s.links.weight, s.market_of, s.n_markets, s.diversion0,
                               phase._diversion_factor(sim))

    np.testing.assert_array_equal(phase.diversion(sim), afresh())
    a = s.actors
    gone = np.unique(st.src)[::2]
    a.alive[gone] = False
    np.testing.assert_array_equal(phase.diversion(sim), afresh())
    assert (phase.diversion(sim) < 1).any()
    old = st.li, st.src, st.dst
    try:
        st.li, st.src, st.dst = st.li[::-1].copy(), st.src[::-1].copy(), st.dst[::-1].copy()
        np.testing.assert_array_equal(phase._diverts(sim, st)[1], s.links.weight[st.li])
        np.testing.assert_array_equal(phase.diversion(sim), afresh())
    finally:
        st.li, st.src, st.dst = old
        a.alive[gone] = True
