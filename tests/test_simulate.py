"""The simulation engine: invariants, reproducibility, common random numbers, dt."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fentanet
from fentanet.scenarios import load
from fentanet.simulate.loop import PHASES, Sim
from fentanet.simulate.params import INTERVENTION_KINDS, PUBLIC_HEALTH_KINDS
from fentanet.simulate.run import build_network, prepare
from fentanet.simulate.scenario import Scenario
from simkit import supply_network

HAND = supply_network()


def hand_scenario(**kw) -> Scenario:
    base = {"name": "hand", "network": {"file": "unused.csv"}, "years": 1.0,
            "warmup_years": 0.1}
    base.update(kw)
    return Scenario.model_validate(base)


def run_checked(scenario: Scenario, net, seed: int) -> Sim:
    """Run step by step, checking the invariants after every step."""
    sim = Sim(scenario, net, seed)
    pop_before = _people(sim)
    while sim.step < sim.n_steps:
        sim.run_step()
        a = sim.s.actors
        for col in ("product", "precursor", "cash", "dirty", "hoard"):
            assert (getattr(a, col) >= 0).all(), col
        assert sim.rows[-1]["balance_error"] < 1e-9
        assert (sim.s.price > 0).all() and np.isfinite(sim.s.potency).all()
        st_ = sim.pop_state
        for comp in ("at_risk", "using", "treatment", "remission"):
            assert (getattr(st_, comp) >= 0).all()
        assert _people(sim) == pop_before
    return sim


def _people(sim) -> int:
    st_ = sim.pop_state
    deaths = st_.deaths if not callable(getattr(st_, "deaths", None)) else st_.deaths()
    return int(sum(np.sum(getattr(st_, c)) for c in ("at_risk", "using", "treatment",
                                                      "remission")) + np.sum(deaths))


def test_the_step_order_is_the_design_order():
    assert [name for name, _ in PHASES] == [
        "interventions", "procurement", "production", "shipping", "distribution", "market",
        "population", "money", "enforcement", "adaptation", "record"]


def test_fentanet_simulate_is_the_function_after_submodule_imports():
    import fentanet.simulate.kernels

    assert callable(fentanet.simulate) and callable(fentanet.compare)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), elasticity=st.floats(0.3, 1.5),
       detect=st.floats(0.0, 2.0), compliance=st.floats(0.0, 0.9))
def test_invariants_hold_every_step(seed, elasticity, detect, compliance):
    sc = hand_scenario(years=0.5, params={
        "market": {"elasticity": elasticity},
        "supply": {"legit_compliance": compliance},
        "enforcement": {"detection_rate": {"dealer": detect, "lab": detect,
                                           "trafficker": detect, "route": detect}}})
    run_checked(sc, HAND, seed)


def test_material_balance_holds_with_every_intervention_on():
    ivs = [{"kind": k, "start": 0.1, "intensity": 0.5} for k in INTERVENTION_KINDS]
    ivs.append({"kind": "organization_takedown", "start": 0.2, "intensity": 0.5,
                "once": True, "target": {"rule": "random", "count": 1, "view": "true"}})
    sim = run_checked(hand_scenario(years=0.6, interventions=ivs), HAND, 3)
    s = pd.DataFrame(sim.rows)
    assert s["intervention_cost_usd"].iloc[-1] > 0
    assert s["arrests"].sum() > 0


def test_same_seed_same_series_different_seed_differs():
    sc = hand_scenario(years=0.5)
    a = fentanet.simulate(sc, seed=5, network=HAND).series
    b = fentanet.simulate(sc, seed=5, network=HAND).series
    c = fentanet.simulate(sc, seed=6, network=HAND).series
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_common_random_numbers_identical_until_the_intervention_starts():
    sc = hand_scenario(years=1.0)
    base = fentanet.simulate(sc, seed=2, network=HAND).series
    start = 0.5
    ivs = [{"kind": "lab_raids", "start": start, "intensity": 3.0},
           {"kind": "border_security", "start": start, "intensity": 3.0}]
    var = fentanet.simulate(sc, seed=2, network=HAND, interventions=ivs).series
    before = base["time"] < start - 1e-9
    var = var[base.columns]
    pd.testing.assert_frame_equal(base[before], var[before])
    assert not base[~before].equals(var[~before])


@pytest.mark.parametrize("kind", sorted(INTERVENTION_KINDS))
def test_intensity_zero_is_bit_identical_to_the_baseline(kind):
    sc = hand_scenario(years=0.4)
    base = fentanet.simulate(sc, seed=4, network=HAND).series
    iv = {"kind": kind, "start": 0.0, "intensity": 0.0}
    if INTERVENTION_KINDS[kind]["acts_on"] and kind not in ("intelligence_sharing",) \
            and kind not in PUBLIC_HEALTH_KINDS:
        iv["target"] = {"rule": "degree", "count": 3}
    var = fentanet.simulate(sc, seed=4, network=HAND, interventions=[iv]).series
    cost_cols = [c for c in var.columns if c.startswith("cost_")]
    pd.testing.assert_frame_equal(base, var.drop(columns=cost_cols))


def test_series_and_summary_have_the_documented_metrics():
    r = fentanet.simulate(hand_scenario(years=0.3, start_year=2020), seed=1, network=HAND)
    s = r.series
    for col in ("step", "time", "year", "supply_kg", "seized_land_kg", "seized_postal_kg",
                "arrests_dealer", "arrests_lab", "labs_active", "organizations_active",
                "price_index", "potency_index", "people_using", "overdoses", "deaths",
                "money_seized_usd", "intervention_cost_usd", "balance_error"):
        assert col in s, col
    assert s["year"].iloc[0] == 2020 and s["step"].tolist() == list(range(len(s)))
    assert r.summary["supply_kg_total"] == pytest.approx(s["supply_kg"].sum())
    assert r.summary["people_using_end"] == s["people_using"].iloc[-1]
    assert "numpy" in r.version and r.seed == 1
    fig = r.plot()
    assert len(fig.data) >= 6


def test_compare_uses_common_random_numbers_and_tabulates():
    cmp = fentanet.compare(hand_scenario(years=0.5), {
        "nal": [{"kind": "naloxone", "intensity": 1.0}],
        "noentry": {"params.adaptation.entry": False}}, seed=3, network=HAND)
    t = cmp.table
    assert list(t.index) == ["baseline", "nal", "noentry"]
    assert t.loc["baseline", "deaths_averted"] == 0
    base, nal = cmp.results["baseline"], cmp.results["nal"]
    # naloxone acts after this step's sales: the first step's supply is the same draw
    assert base.series["supply_kg"].iloc[0] == nal.series["supply_kg"].iloc[0]
    assert t.loc["nal", "overdose_deaths"] < t.loc["baseline", "overdose_deaths"]
    assert t.loc["nal", "deaths_averted"] > 0 and t.loc["nal", "cost_usd"] > 0
    assert t.loc["nal", "cost_per_death_averted"] == pytest.approx(
        t.loc["nal", "cost_usd"] / t.loc["nal", "deaths_averted"])


def test_toy_scenario_runs_and_is_plausible():
    r = fentanet.simulate("toy", seed=1)
    s = r.series
    assert len(s) == 104
    net = build_network(load("toy"))
    demand = net.actors["demand"].sum() / 52
    assert s["demand_kg"].iloc[0] == pytest.approx(demand, rel=0.2)
    # the trade meets most of demand, at prices near the base
    assert 0.85 < (s["supply_kg"] / s["demand_kg"]).mean() <= 1 + 1e-12
    assert 0.7 < s["price_index"].mean() < 1.6
    assert s["balance_error"].max() < 1e-9


@pytest.mark.slow
def test_halving_the_step_changes_annual_outputs_by_less_than_5_percent():
    sc = load("toy").override({"years": 2.0})
    means = {}
    for dt in (1 / 52, 1 / 104):
        vals = []
        for seed in range(1, 7):
            s = fentanet.simulate(sc, seed=seed, dt=dt).series
            year2 = s["time"] >= 1.0 - 1e-9
            vals.append([s[c][year2].sum() for c in ("supply_kg", "produced_kg",
                                                      "overdose_deaths", "overdoses")]
                        + [s["people_using"].iloc[-1]])
        means[dt] = np.mean(vals, axis=0)
    change = np.abs(means[1 / 104] / means[1 / 52] - 1)
    assert (change < 0.05).all(), change


@pytest.mark.parametrize("end", [None, 0.4])
def test_a_one_time_operation_is_over_after_its_step_unless_it_has_an_end(end):
    iv = {"kind": "organization_takedown", "start": 0.2, "intensity": 0.5, "once": True,
          "cost_per_unit": 1.0e6, "target": {"rule": "random", "count": 1, "view": "true"}}
    if end is not None:
        iv["end"] = end
    sc = hand_scenario(years=0.6, interventions=[iv])
    s = fentanet.simulate(sc, seed=4, network=HAND).series
    paid = s["intervention_cost_usd"].to_numpy()
    dt = float(sc.dt)
    steps = np.flatnonzero(paid > 0)
    # in force from the first step at or after its start: that step alone without an end,
    # every step before the end with one
    first = int(np.ceil(0.2 / dt))
    assert steps[0] == first
    n_steps = 1 if end is None else int(np.ceil(end / dt)) - first
    assert list(steps) == list(range(steps[0], steps[0] + n_steps))
    # a strike costs a week's effort whatever the step; a window its steps' effort
    assert paid[steps] == pytest.approx(1.0e6 * 0.5 * (dt if end else 1 / 52))


@pytest.mark.parametrize("dt", [1 / 52, 1 / 12, 1 / 365])
def test_a_strike_costs_the_same_whatever_the_step(dt):
    """A one-time operation without an end costs a week of its effort (STRIKE_YEARS) at
    any step: monthly steps charged 4.3 times the weekly price for the same strike."""
    iv = {"kind": "organization_takedown", "start": 0.25, "intensity": 0.5, "once": True,
          "cost_per_unit": 1.0e6, "target": {"rule": "random", "count": 1, "view": "true"}}
    sc = hand_scenario(years=0.6, interventions=[iv], dt=dt)
    s = fentanet.simulate(sc, seed=4, network=HAND).series
    paid = s["intervention_cost_usd"].to_numpy()
    assert np.count_nonzero(paid) == 1
    assert paid.sum() == pytest.approx(1.0e6 * 0.5 / 52)


@pytest.mark.parametrize("role", ["lieutenant", "leader"])
@pytest.mark.parametrize("on", [True, False])
def test_an_arrest_in_the_leadership_suspends_the_organization(on, role):
    """The arrest of a lieutenant or the leader suspends its organization for `suspension_years`
    (`suspension_on_leadership`); a plain member's arrest does not (one member is below
    `suspension_share`)."""
    from fentanet.simulate.phases import adaptation, enforcement
    from fentanet.simulate.state import ROLE

    sc = load("toy").override({"params.adaptation.suspension_on_leadership": on})
    sim = Sim(sc, build_network(sc), 1)
    a = sim.s.actors
    org = int(sim.topo.slots("organization")[0])
    mine = np.flatnonzero((a.org == org) & a.alive)
    member = mine[a.role[mine] == ROLE["member"]][0]
    lead = mine[a.role[mine] == ROLE[role]][0]
    enforcement.remove(sim, np.array([member]), cause="arrest")
    adaptation._suspension(sim)
    assert a.suspended_until[org] == -np.inf and sim.now["suspensions"] == 0
    enforcement.remove(sim, np.array([lead]), cause="arrest")
    adaptation._suspension(sim)
    want = sim.t + sc.params.adaptation.suspension_years if on else -np.inf
    assert a.suspended_until[org] == want
    assert sim.now["suspensions"] == (1 if on else 0)
    assert sim.leadership_hit.size == 0  # counted once


def test_suspension_on_leadership_in_the_compiled_call_as_numpy_masks():
    """``_suspend``'s leadership hits, by hand: an organization hit twice is suspended and
    counted twice (as the masks over the hits counted it), a dead one and one suspended
    already are not; the hit ones then do not suspend again for their losses."""
    from fentanet.simulate.phases import adaptation

    orgs = np.array([0, 1, 2, 3])
    hit = np.array([1, 1, 2, 3])
    alive = np.array([True, True, False, True])
    initial = np.full(4, 10.0)
    lost = np.array([5.0, 5.0, 5.0, 5.0])
    until = np.array([-np.inf, -np.inf, -np.inf, 2.0])
    n_alive, fresh, led = adaptation._suspend(orgs, hit, alive, initial, lost, until, True,
                                              True, 0.4, 1.0, 1.5, 0.5)
    assert (n_alive, fresh, led) == (3, 1, 2)
    np.testing.assert_array_equal(until, [1.5, 1.5, -np.inf, 2.0])
    np.testing.assert_array_equal(lost, [0.0, 0.0, 2.5, 2.5])
    lost[:] = 5.0
    until[:] = -np.inf
    assert adaptation._suspend(orgs, hit, alive, initial, lost, until, True, False, 0.4, 1.0,
                               1.5, 0.5) == (3, 3, 0)


@pytest.mark.parametrize(("sellers", "others"), [(True, True), (True, False), (False, True),
                                                 (False, False)])
def test_an_arrested_independent_is_replaced_after_the_delay(sellers, others):
    """`seller_replacement`: the place of an arrested independent dealer or marketplace is
    taken by a newcomer (same slot and links, fresh uid, no stock, links unknown to the
    police) once it has been vacant for `replacement_delay_years`; `independent_replacement`
    does the same for an independent of another enforced kind (here a prescriber, with its
    `diverts_to` link, and an official); an independent that quits insolvent and an
    organization's member are not (members follow the organization's replacement)."""
    from fentanet.simulate.phases import adaptation, enforcement, population
    from fentanet.simulate.state import KIND, LKIND

    sc = load("toy").override({"params.adaptation.seller_replacement": sellers,
                               "params.adaptation.seller_replacement_rate": 1e6,
                               "params.adaptation.independent_replacement": others,
                               "params.adaptation.independent_replacement_rate": {
                                   "prescriber": 1e6, "official": 1e6},
                               "params.adaptation.replacement": False})
    sim = Sim(sc, build_network(sc), 1)
    a, ln = sim.s.actors, sim.s.links
    dealers = np.flatnonzero((a.kind == KIND["dealer"]) & (a.org < 0) & a.alive)
    seller = np.array([dealers[0], np.flatnonzero(a.kind == KIND["marketplace"])[0]])
    other = np.array([np.flatnonzero((a.kind == KIND[k]) & (a.org < 0) & a.alive)[0]
                      for k in ("prescriber", "official")])
    quitter, member = dealers[1], np.flatnonzero((a.kind == KIND["dealer"]) & (a.org >= 0))[0]
    places = np.concatenate([seller, other])
    uid = a.uid[places].copy()
    ln.known[(np.isin(ln.src, places) | np.isin(ln.dst, places))] = True
    prescribed = sim.s.market_of[ln.dst[(ln.src[: ln.n] == other[0])
                                        & (ln.kind[: ln.n] == LKIND["diverts_to"])]]
    before = population.diversion(sim)[prescribed]
    enforcement.remove(sim, np.array([*places, member]), cause="arrest")
    enforcement.remove(sim, np.array([quitter]), cause="exit")
    arrested = population.diversion(sim)[prescribed]
    assert prescribed.size and (arrested < before).all()
    assert not a.alive[[*places, quitter, member]].any()
    assert (a.vacant[seller] == sellers).all() and (a.vacant[other] == others).all()
    delay = sc.params.adaptation.replacement_delay_years
    while sim.t < delay - sim.dt - 1e-12:  # not before the delay
        assert not adaptation._newcomers(sim).size
        assert sim.now["sellers_replaced"] == sim.now["independents_replaced"] == 0
        sim.t += sim.dt
    sim.t = delay
    newcomers = adaptation._newcomers(sim)
    want = np.concatenate([np.sort(seller[:sellers * 2]), np.sort(other[:others * 2])])
    np.testing.assert_array_equal(newcomers, want)  # the sellers' first, each ascending
    adaptation._recruit(sim, newcomers)
    assert (a.alive[seller] == sellers).all() and (a.alive[other] == others).all()
    assert not a.alive[[quitter, member]].any()
    assert sim.now["sellers_replaced"] == (2 if sellers else 0)
    assert sim.now["independents_replaced"] == (2 if others else 0)
    for s in want:
        assert a.uid[s] > uid.max() and a.product[s] == 0 and not a.vacant[s]
        mine = (ln.src == s) | (ln.dst == s)
        assert mine.any() and not ln.known[mine].any()
        assert a.label[s].endswith(f"-r{a.uid[s]}")
    # the newcomer diverts into the prescriber's markets again
    after = population.diversion(sim)[prescribed]
    np.testing.assert_array_equal(after, before if others else arrested)


def test_listings_never_migrate_onto_a_marketplace_that_has_them():
    """Listings of a taken-down marketplace move only to a surviving marketplace where the
    partner has no such link yet, and a replaced marketplace keeps those not yet moved: under
    repeated takedowns, with replacement, no (sender, receiver, kind) of a marketplace's
    flow links is ever doubled (it was, and grew with each takedown), and no partner ever
    has more alive listings of a kind and direction than at the start (the link a listing
    left came back with the newcomer who took the place, so a vendor that moved was listed
    on both: the listings grew by multi-homing)."""
    from fentanet.simulate.run import prepare
    from fentanet.simulate.state import KIND, LKIND

    sc = load("toy").override({"years": 3.0, "params.adaptation.migration_rate": 52.0,
                               "params.adaptation.seller_replacement_rate": 26.0})
    run = prepare(sc, interventions=[{"kind": "marketplace_takedown", "start": 0.1,
                                      "intensity": 5.0}])
    sim = Sim(run, build_network(run), 1)
    flow = [LKIND[k] for k in ("supplies", "ships", "sells_to")]

    def doubled():
        ln, a = sim.s.links, sim.s.actors
        n = ln.n
        mk = a.kind == KIND["marketplace"]
        on = np.isin(ln.kind[:n], flow) & (mk[ln.src[:n]] | mk[ln.dst[:n]])
        keys = np.stack([ln.src[:n][on], ln.dst[:n][on], ln.kind[:n][on]], axis=1)
        return on.sum() - np.unique(keys, axis=0).shape[0]

    n0 = sim.s.actors.n

    def listings():
        """Alive flow links with a marketplace per (partner, kind, partner is the sender),
        for the partners there at the start."""
        ln, a = sim.s.links, sim.s.actors
        n = ln.n
        mk = a.kind == KIND["marketplace"]
        on = np.isin(ln.kind[:n], flow) & ln.alive[:n]
        out = on & mk[ln.src[:n]] & (ln.dst[:n] < n0)
        inn = on & mk[ln.dst[:n]] & (ln.src[:n] < n0)
        keys = np.concatenate([ln.dst[:n][out] * 64 + ln.kind[:n][out] * 2,
                               ln.src[:n][inn] * 64 + ln.kind[:n][inn] * 2 + 1])
        return dict(zip(*np.unique(keys, return_counts=True), strict=True))

    before, start = doubled(), listings()
    moved = replaced = 0
    while sim.step < sim.n_steps:
        sim.run_step()
        moved += sim.rows[-1]["listings_moved"]
        replaced += sim.rows[-1]["sellers_replaced"]
        assert doubled() == before
        now = listings()
        assert all(c <= start.get(k, 0) for k, c in now.items()), sim.t
    assert moved > 5 and replaced > 5, (moved, replaced)


@pytest.mark.parametrize("migration", [True, False])
def test_listings_of_a_marketplace_that_leaves_insolvent_migrate(migration):
    """A marketplace that cannot pay its upkeep quits (money, adaptation) and its listings
    move as a taken-down marketplace's do (they stayed on the dead marketplace, and the
    partners lost that link for good): each flow link of it becomes the same link (kind,
    direction) of the partner with a surviving marketplace where the partner has none yet;
    a partner listed on every survivor keeps none. ``adaptation.migration`` turns it off."""
    from fentanet.simulate.phases import adaptation, money
    from fentanet.simulate.state import KIND, LKIND

    sc = load("toy").override({"network.generate.counts": {"marketplace": 3},
                               "params.adaptation.migration": migration,
                               "params.adaptation.migration_rate": 1e12,
                               "params.adaptation.replacement": False,
                               "params.adaptation.entry": False})
    sim = Sim(sc, build_network(sc), 4)  # a partner listed on both survivors
    a, ln = sim.s.actors, sim.s.links
    mkp = np.flatnonzero(a.kind == KIND["marketplace"])
    assert mkp.size == 3 and (a.org[mkp] < 0).all()
    flow = [LKIND[k] for k in ("supplies", "ships", "sells_to")]
    n0 = ln.n
    src, dst, kind = ln.src[:n0].copy(), ln.dst[:n0].copy(), ln.kind[:n0].copy()
    on = np.isin(kind, flow) & ln.alive[:n0]
    degree = [(on & ((src == m) | (dst == m))).sum() for m in mkp]
    leaver = mkp[int(np.argmax(degree))]
    # its listings: (partner, kind, partner is the sender), in the engine's order (links out
    # of it first), with the partners' marketplaces of that kind and direction before
    rows = [(int(d), int(k), False) for s_, d, k in zip(src[on], dst[on], kind[on],
                                                       strict=True) if s_ == leaver]
    rows += [(int(s_), int(k), True) for s_, d, k in zip(src[on], dst[on], kind[on],
                                                        strict=True) if d == leaver]
    # partners the spin-up's routine arrests took out (seed 4: two dealers): the listing of
    # an independent one waits for the newcomer that seller replacement brings; a member's
    # place is not refilled (replacement is off), and its listing is dropped
    gone = [r for r in rows if not a.alive[r[0]]]
    waits = [r for r in gone if a.org[r[0]] < 0]
    assert len(gone) == 2 and len(waits) == 1 and all(a.vacant[r[0]] for r in gone)
    rows = [r for r in rows if a.alive[r[0]]]
    assert len(rows) >= 3
    survivors = set(mkp[mkp != leaver].tolist())

    def listed(p, k, as_src):
        sel = on & (kind == k) & ((src == p) if as_src else (dst == p))
        return set((dst if as_src else src)[sel].tolist()) & survivors

    a.cash[mkp] = 1e9  # the survivors can pay
    a.cash[leaver] = 0.0  # it cannot pay this step's upkeep: insolvent
    a.dirty[leaver] = 0.0
    money.run(sim)
    assert sim.insolvent.tolist() == [leaver]
    adaptation.run(sim)
    assert not a.alive[leaver] and not a.vacant[leaver]
    new = set(zip(ln.src[n0:ln.n].tolist(), ln.dst[n0:ln.n].tolist(),
                  ln.kind[n0:ln.n].tolist(), strict=True))
    if not migration:
        assert not new and sim.now["listings_moved"] == 0
        return
    want = 0
    for p, k, as_src in rows:  # brute force: each listing's free survivors
        free = survivors - listed(p, k, as_src)
        got = [(p, m, k) if as_src else (m, p, k) for m in survivors]
        hit = [g for g in got if g in new]
        if free:
            assert len(hit) == 1, (p, k, as_src)
            m = hit[0][1] if as_src else hit[0][0]
            assert m in free
            want += 1
        else:
            assert not hit
    assert want >= 2 and len(new) == want == sim.now["listings_moved"]
    assert not any((p, m, k) in new or (m, p, k) in new for p, k, _ in gone for m in survivors)
    assert want < len(rows)  # the rest dropped
    assert sim.orphans[:, :3].tolist() == [[p, k, int(as_src)] for p, k, as_src in waits]


@pytest.mark.parametrize("own", [True, False])
def test_a_marketplace_converts_its_own_revenue_as_a_launderer_does(own):
    """`money.marketplaces_launder`: an independent marketplace's revenue becomes cash minus
    the launderers' fee after anti-money-laundering takes its share (it kept 30% and hoarded
    the rest, so that brokering precursor at cost lost 70% of the price); off: the rule
    of a payer without a launderer. Hand-computed against the upkeep of one step."""
    from fentanet.simulate.phases import money
    from fentanet.simulate.state import KIND

    sc = load("toy").override({"params.money.marketplaces_launder": own})
    sim = Sim(sc, build_network(sc), 1)
    a, p = sim.s.actors, sim.p.money
    m = np.flatnonzero(a.kind == KIND["marketplace"])[0]
    assert a.payer[m] == m
    sim.efforts.aml = 2.0
    a.cash[m], a.dirty[m], a.hoard[m] = 50_000.0, 1e6, 0.0
    money.run(sim)
    upkeep = p.upkeep_usd_per_year["marketplace"] * sim.dt
    kept = 1.0 - np.exp(-p.aml_share * 2.0)
    if own:
        assert a.cash[m] == pytest.approx(50_000 + 1e6 * (1 - kept) * (1 - p.launder_fee)
                                          - upkeep, rel=1e-12)
        assert a.hoard[m] == 0.0
    else:
        assert a.cash[m] == pytest.approx(50_000 + 1e6 * p.unlaundered_usable - upkeep,
                                          rel=1e-12)
        assert a.hoard[m] == pytest.approx(1e6 * (1 - p.unlaundered_usable), rel=1e-12)
    assert a.dirty[m] == 0.0


def test_an_untargeted_takedown_raises_the_hazard_of_organizations_members_only():
    """organization_takedown acts on members of organizations (docs/model.md 7.1): without a
    target it multiplies their hazard by 1 + effort_gain * I and leaves independent dealers'
    as it is (it multiplied every dealer's, lab's, route's, trafficker's and launderer's)."""
    from fentanet.simulate.phases import enforcement, interventions
    from fentanet.simulate.state import KIND

    intensity = 1.5
    sims = {}
    for on in (False, True):
        ivs = [{"kind": "organization_takedown", "start": 0.0, "intensity": intensity}]
        sim = Sim(hand_scenario(years=0.2, interventions=ivs if on else []), HAND, 1)
        sim.run_step()  # throughput, so activity, as in a step
        interventions.run(sim)
        sims[on] = sim
    a = sims[True].s.actors
    base = enforcement.hazard(sims[False])
    ratio = np.divide(enforcement.hazard(sims[True]), base, out=np.zeros(a.n), where=base > 0)
    gain = 1.0 + sims[True].p.enforcement.effort_gain * intensity
    kinds = [KIND[k] for k in ("lab", "route", "trafficker", "dealer", "launderer")]
    acted = np.isin(a.kind, kinds) & (base > 0)
    members, independents = acted & (a.org >= 0), acted & (a.org < 0)
    assert independents.sum() == 4 and members.sum() > 20
    assert ratio[members] == pytest.approx(gain, rel=1e-12)
    assert (ratio[independents] == 1.0).all()
    others = np.isin(a.kind, [KIND[k] for k in ("supplier", "marketplace", "official")])
    others &= base > 0
    assert others.sum() > 0 and (ratio[others] == 1.0).all()


def test_a_labs_activity_counts_each_kg_once():
    """Activity is throughput / (capacity * dt), throughput what an actor passes on: for a
    lab, what it ships in the step (stock before production + made - stock after
    shipping), not what it made besides (it counted both, so a lab at half its capacity
    looked fully active)."""
    from fentanet.simulate.phases import interventions, procurement, production, shipping
    from fentanet.simulate.state import KIND

    sim = Sim(hand_scenario(years=0.2), HAND, 1)
    a = sim.s.actors
    labs = np.flatnonzero(a.kind == KIND["lab"])
    interventions.run(sim)  # throughput reset
    procurement.run(sim)
    precursor, product = a.precursor[labs].copy(), a.product[labs].copy()
    production.run(sim)
    made = precursor - a.precursor[labs]
    shipping.run(sim)
    shipped = product + made - a.product[labs]
    assert (made > 0).all() and (shipped > 0).all()
    assert a.throughput[labs] == pytest.approx(shipped, rel=1e-12, abs=1e-12)


def test_precursor_bought_within_an_organization_is_not_paid_for():
    """Links within one payer are free, as in every product stage: a lab buying precursor
    from a marketplace of its own organization pays nobody (its organization paid itself,
    and the payment became unlaundered revenue, which laundering or hoarding then
    shrank). The organization's cash falls by the precursor price of what its members
    got from outside, and none of it becomes revenue."""
    from fentanet.network.model import Network
    from fentanet.simulate.phases import interventions, procurement

    net = supply_network()
    a = net.actors.copy()
    a.loc[a["id"] == "mkp-0", "organization"] = "org-0"
    ln = net.links
    ln = ln[~((ln["source"] == "mkp-0") & (ln["target"] == "lab-10"))]  # sells to org-0 only
    sim = Sim(hand_scenario(years=0.2), Network(a, ln), 1)  # the spin-up stocks it
    st = sim.s.actors
    org = int(np.flatnonzero(st.label == "org-0")[0])
    mkp = int(np.flatnonzero(st.label == "mkp-0")[0])
    mine = np.flatnonzero(st.org == org)
    assert st.payer[mkp] == org and st.precursor[mkp] > 0
    interventions.run(sim)
    cash, dirty, held = st.cash[org], st.dirty[org], st.precursor[mine].sum()
    procurement.run(sim)
    assert st.throughput[mkp] > 0  # it sold precursor to its organization's lab
    gained = st.precursor[mine].sum() - held  # from suppliers: the marketplace's is internal
    price = sim.p.supply.precursor_usd_per_kg
    assert gained > 0 and cash - st.cash[org] == pytest.approx(price * gained, rel=1e-12)
    assert st.dirty[org] == dirty


def test_an_untargeted_takedown_at_intensity_zero_is_bit_identical_to_the_baseline():
    """Its hazard multiplier goes through the per-slot target array (members only): at
    intensity 0 every factor is exactly 1."""
    sc = hand_scenario(years=0.4)
    base = fentanet.simulate(sc, seed=4, network=HAND).series
    var = fentanet.simulate(sc, seed=4, network=HAND, interventions=[
        {"kind": "organization_takedown", "start": 0.0, "intensity": 0.0}]).series
    cost_cols = [c for c in var.columns if c.startswith("cost_")]
    pd.testing.assert_frame_equal(base, var.drop(columns=cost_cols))


def test_a_market_whose_supply_vanishes_has_bounded_volatility_and_potency():
    """Volatility, the log shortfall of supply against its recent level, is at most
    log(100) (a shortfall of 99% or more): a market receiving nothing had about 27, and a
    potency draw near 1e-40 in the potency index. A halved supply keeps log(2) exactly."""
    from fentanet.simulate.phases import market

    sim = Sim(hand_scenario(years=0.2), HAND, 1)
    for _ in range(3):
        sim.run_step()
    ref = sim.s.supply_prev.copy()
    assert (ref > 0).all()
    consumed = ref.copy()
    consumed[0] = 0.0  # the first market receives nothing this step
    if ref.size > 1:
        consumed[1] = ref[1] / 2  # the second gets half its recent level
    sim.flows["consumed"] = consumed
    market.run(sim)
    assert sim.s.volatility[0] == market.VOLATILITY_MAX == pytest.approx(np.log(100))
    if ref.size > 1:
        assert sim.s.volatility[1] == pytest.approx(np.log(2), rel=1e-9)
    base = market.trend(sim.p.market.potency_trend, sim.t)
    sigma = sim.p.market.potency_noise * market.VOLATILITY_MAX
    z = (np.log(sim.s.potency[0] / base) + sigma**2 / 2) / sigma  # the draw behind it
    assert np.isfinite(sim.s.potency[0]) and abs(z) < 6


def test_every_enforced_kind_has_its_active_and_arrest_columns():
    """``<kind>s_active`` (``businesses_active``) counts the alive actors of every enforced
    kind at the end of each step, next to ``arrests_<kind>``."""
    from fentanet.simulate.loop import Sim
    from fentanet.simulate.params import KINDS_ENFORCED
    from fentanet.simulate.phases.record import active_column
    from fentanet.simulate.run import build_network, prepare
    from fentanet.simulate.state import KIND

    sc = prepare("toy", years=0.2, interventions=[
        {"kind": "anti_money_laundering", "intensity": 50.0},
        {"kind": "intelligence_sharing", "intensity": 50.0}])
    sim = Sim(sc, build_network(sc), 3)
    seen = set()
    while sim.step < sim.n_steps:
        sim.run_step()
        row, a = sim.rows[-1], sim.s.actors
        for kind in KINDS_ENFORCED:
            alive = int((a.kind[: a.n] == KIND[kind])[a.alive[: a.n]].sum())
            assert row[active_column(kind)] == alive, kind
            assert f"arrests_{kind}" in row
        seen.add(row["businesses_active"])
    assert active_column("business") == "businesses_active" and len(seen) > 1  # some arrested


def test_editing_a_built_network_changes_no_later_run_of_the_scenario():
    """build_network hands out a copy of the generated network it keeps: a caller that
    halves the labs' capacity of the network it got (as a what-if in a notebook) leaves
    the next run of the same scenario and seed as it was (it ran on the edited, cached
    network before, and test order changed a test's numbers)."""
    sc = prepare("toy", years=0.5)
    before = fentanet.simulate(sc, seed=2).series
    net = build_network(sc)
    built = net.actors["capacity"].copy()
    lab = net.actors["kind"] == "lab"
    net.actors.loc[lab, "capacity"] = 0.5 * net.actors.loc[lab, "capacity"]
    assert build_network(sc).actors["capacity"].equals(built)
    after = fentanet.simulate(sc, seed=2).series
    assert after.equals(before)
    edited = fentanet.simulate(sc, seed=2, network=net).series
    assert edited["produced_kg"].sum() < before["produced_kg"].sum()


# ------------------------------------------------------------------ inputs of simulate


def test_a_variant_the_scenario_has_no_strategy_of_is_refused(tmp_path):
    """fentanet.simulate("toy", variant="nalxone") ran the baseline under that label (193
    deaths, the real naloxone 182): a typo read as "averts nothing". It is refused with the
    text compare, ensemble and the command line give."""
    with pytest.raises(fentanet.InputError) as exc:
        fentanet.simulate("toy", seed=1, years=3 / 52, variant="nalxone")
    assert exc.value.field == "variant"
    have = ", ".join(load("toy").strategies)
    assert exc.value.detail == (f"scenario 'toy' has no strategy 'nalxone'; it has {have} "
                                "(give other variants as interventions or overrides)")
    with pytest.raises(fentanet.InputError) as by_compare:
        fentanet.compare("toy", ["nalxone"], seed=1, years=3 / 52)
    assert by_compare.value.detail == exc.value.detail
    with pytest.raises(fentanet.InputError) as by_ensemble:
        fentanet.ensemble("toy", 1, variants=["nalxone"], progress=False, years=3 / 52,
                          store=tmp_path / "s")
    assert by_ensemble.value.detail == exc.value.detail


def test_a_variant_with_interventions_or_named_baseline_is_a_label():
    base = fentanet.simulate("toy", seed=1, years=5 / 52)
    same = fentanet.simulate("toy", seed=1, years=5 / 52, variant="baseline")
    mine = fentanet.simulate("toy", seed=1, years=5 / 52, variant="mine", interventions=[])
    pd.testing.assert_frame_equal(same.series, base.series)
    pd.testing.assert_frame_equal(mine.series, base.series)
    assert mine.tidy_series().variant.iloc[0] == "mine"


@pytest.mark.parametrize("seed, shown", [
    (1.5, "expected a whole number of at least 0, got 1.5"),  # ran seed 1
    (-1, "expected a whole number of at least 0, got -1"),    # a bare ValueError
    ("x", "expected a whole number of at least 0, got 'x'"),
    (True, "expected a whole number of at least 0, got True"),
    (2**63, f"expected a whole number below 2**63, got {2**63}"),
])
def test_a_seed_that_is_no_whole_number_is_refused(seed, shown):
    for call in (lambda: fentanet.simulate("toy", seed=seed, years=3 / 52),
                 lambda: fentanet.compare("toy", ["naloxone"], seed=seed, years=3 / 52)):
        with pytest.raises(fentanet.InputError) as exc:
            call()
        assert exc.value.field == "seed" and exc.value.detail == shown


def test_a_seed_given_as_text_or_numpy_is_taken():
    r = fentanet.simulate("toy", seed=np.int64(3), years=3 / 52)
    assert r.seed == 3 and type(r.seed) is int
    assert fentanet.simulate("toy", seed="3", years=3 / 52).series.equals(r.series)
