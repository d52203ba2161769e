"""The twenty-first session's folding of the Python between kernels into them, each piece
against the code it replaced (the 32 reference runs check the whole step bit for bit)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from fentanet.simulate.loop import Sim
from fentanet.simulate.phases import adaptation
from fentanet.simulate.run import build_network, prepare
from fentanet.simulate.state import LKIND


@pytest.fixture(scope="module")
def toy_sim():
    sc = prepare("toy", years=1.0)
    sim = Sim(sc, build_network(sc), 3)
    for _ in range(6):
        sim.run_step()
    return sim


def _columns(table):
    return {name: getattr(table, name).copy() for name in table.columns}


@pytest.mark.parametrize("kind", ["tie", "ships"])
def test_links_of_one_kind_written_in_one_call_are_those_table_append_writes(toy_sim, kind):
    """:func:`adaptation._fill_links` after :meth:`Table.grow` against :meth:`Table.append`,
    also across the storage's growth (appends until it doubles)."""
    fast, plain = copy.deepcopy(toy_sim), copy.deepcopy(toy_sim)
    rng = np.random.default_rng(5)
    n = fast.s.actors.n
    fast.surveillance = plain.surveillance = 0.375
    cap = len(fast.s.links._cols["src"])
    while fast.s.links.n <= cap:
        k = int(rng.integers(0, 300))
        src, dst = rng.integers(0, n, k), rng.integers(0, n, k)
        adaptation.add_links(fast, src, dst, kind)
        plain.s.links.append(src=src.astype(np.int32), dst=dst.astype(np.int32),
                             kind=np.int8(LKIND[kind]), capacity=np.nan, weight=1.0,
                             alive=True, known=False, born=plain.surveillance)
        a, b = _columns(fast.s.links), _columns(plain.s.links)
        assert a.keys() == b.keys()
        for name in a:
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)
            assert a[name].dtype == b[name].dtype
        assert fast.s.links.version == plain.s.links.version


def _population_by_step_totals(sim):
    """The population phase as it was: :func:`diversion`, :func:`popmod.step_totals` and
    :func:`_levels` in three calls."""
    from fentanet.simulate import population as popmod
    from fentanet.simulate.phases import population as phase

    s, f, cov = sim.s, sim.flows, sim.efforts.coverage
    released = sim.releases.pop(sim.step, None)
    released = phase._no_releases(sim) if released is None else np.rint(released)
    per_market = (f["availability"], s.price, s.potency, s.volatility, phase.diversion(sim),
                  released)
    efforts = tuple(float(cov[k]) for k in ("education", "prevention", "treatment",
                                            "naloxone", "scam_awareness"))
    totals = np.zeros(len(popmod.FLOWS), dtype=np.int64)
    popmod.step_totals(sim.pop_state, sim.pop_params, per_market, efforts, sim.streams,
                       sim.step, sim.dt, totals)
    names, cols = phase._columns(popmod.FLOWS)
    now = dict(zip(names, totals[cols].astype(np.float64).tolist(), strict=True))
    now["overdose_deaths"] = now["fatal"]
    sim.users_ratio = np.empty(s.n_markets)
    st = sim.pop_state
    (now["people_using"], now["people_in_treatment"], now["people_in_remission"],
     now["released_people"]) = phase._levels(st.using, sim.users0, st.treatment,
                                             st.remission, released, sim.users_ratio)
    return now


def test_population_phase_in_one_call_is_its_three_calls(toy_sim):
    """The phase's one compiled call (:func:`phases.population._step`) against the three
    it replaced, over steps with people released, halves among them (the state, flows
    and levels)."""
    from fentanet.simulate.phases import population as phase

    fast, plain = copy.deepcopy(toy_sim), copy.deepcopy(toy_sim)
    for sim in (fast, plain):
        sim.releases[sim.step] = np.arange(sim.s.n_markets) * 2.5  # halves: rint to even
        sim.releases[sim.step + 2] = np.full(sim.s.n_markets, 4.0)
    for _ in range(4):
        fast.now.clear()
        phase.run(fast)
        want = _population_by_step_totals(plain)
        assert dict(fast.now) == want
        np.testing.assert_array_equal(fast.users_ratio, plain.users_ratio)
        for name in ("at_risk", "using", "released", "treatment", "remission",
                     "overdose_deaths", "other_deaths"):
            np.testing.assert_array_equal(getattr(fast.pop_state, name),
                                          getattr(plain.pop_state, name))
        fast.step += 1
        plain.step += 1


def test_population_phase_refuses_what_step_totals_refuses(toy_sim):
    """An input the compiled call refuses (a price that is not a number) takes
    :func:`popmod.step_totals`' way: its error, the state left as it was."""
    from fentanet.errors import InputError
    from fentanet.simulate.phases import population as phase

    sim = copy.deepcopy(toy_sim)
    sim.s.price = sim.s.price.copy()
    sim.s.price[0] = np.nan
    using = sim.pop_state.using.copy()
    with pytest.raises(InputError, match="price"):
        phase.run(sim)
    np.testing.assert_array_equal(sim.pop_state.using, using)


@pytest.mark.parametrize("seed", range(3))
def test_market_in_one_call_is_its_three_calls(seed):
    """:func:`market._market` against :func:`market._pressure`, :func:`market._update` and
    :func:`market._potency` called in turn, on markets with no offer, no demand, no base
    demand and NaN among them (targets not finite, shares clipped)."""
    from fentanet.simulate import nploops
    from fentanet.simulate.phases import market

    rng = np.random.default_rng(seed)
    n = 40
    pick = lambda: rng.choice(np.array([0.0, 0.5, 2.0, 7.0, np.nan]), n) * rng.random(n)  # noqa: E731
    d_base, d0, offered, offer0, consumed, demand = (pick() for _ in range(6))
    avail0 = rng.random(n) + 0.2
    price, prev = rng.random(n) + 0.5, pick()
    uid, markets = rng.permutation(3 * n).astype(np.int64), rng.choice(3 * n, n, replace=False)
    key = np.uint64(rng.integers(0, 2**63))
    loops = (nploops.POWER, nploops.LOG, nploops.NDTRI, nploops.EXP)
    for noise in (0.0, 0.3):
        p1, s1, p2, s2 = price.copy(), prev.copy(), price.copy(), prev.copy()
        with np.errstate(all="ignore"):
            got = market._market(d_base, d0, offered, offer0, 1 / 52, 1 / 0.6, loops[0], 0.2,
                                 5.0, 0.1, p1, s1, consumed, 0.05, demand, avail0, loops[1],
                                 market.VOLATILITY_MAX, noise, uid, markets, key, 7, 0.9,
                                 loops[2], loops[3])
            target = market._pressure(d_base, d0, offered, offer0, 1 / 52, 1 / 0.6, loops[0])
            want = market._update(target, d0, 0.2, 5.0, 0.1, p2, s2, consumed, 0.05, demand,
                                  avail0, loops[1])
            ratio = want[0]
            want = (*want, market._potency(ratio, market.VOLATILITY_MAX, noise, uid, markets,
                                           key, 7, 0.9, loops[2], loops[3]))
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(p1, p2)
        np.testing.assert_array_equal(s1, s2)


def _over_routes_in_two_calls(sim):
    """:func:`shipping._over_routes` as it was: :func:`_route_plan`, the exact bisection
    where the walk cannot draw, :func:`_route_deliver`."""
    from fentanet.simulate import nploops
    from fentanet.simulate.params import MODES
    from fentanet.simulate.phases import shipping

    s, p = sim.s, sim.p
    a = s.actors
    st, pr, fr = (sim.topo.stages[k] for k in ("route", "protects", "fronts_for"))
    p_pow, c_pow = shipping._support_powers(sim, pr.size, fr.size)
    moved, qty, sent, idx, shipments, prob, u, k, rest = shipping._route_plan(
        st.li, st.s_loc, st.d_loc, st.ext, st.d_pay, st.s_kind, st.senders, st.receivers,
        st.payers, pr.li, pr.src, pr.d_loc, pr.d_map, pr.receivers.size, fr.li, fr.src,
        fr.d_loc, fr.d_map, fr.receivers.size, p_pow, c_pow, s.links.alive, a.alive, a.kind,
        a.capacity, a.product, a.mode, a.uid, sim.dt, p.supply.stock_cover_years,
        sim.wholesale, a.cash, sim.shipment_kg, sim.inspection, shipping._screen(sim),
        sim.streams.key("shipping.seizure"), sim.step, nploops.EXP)
    if rest:
        at = k < 0
        k[at] = shipping.binomial_ppf(u[at], shipments[at], np.clip(prob[at], 0.0, 1.0))
    return shipping._route_deliver(k, shipments, idx, sent, st.senders, a.loss,
                                   shipping._loss_gain(sim), moved, qty, st.src, st.dst,
                                   st.s_loc, st.ext, st.s_kind, sim.wholesale, a.payer,
                                   a.product, a.cash, a.dirty, a.throughput, a.mode,
                                   len(MODES), sim.topo.slots("route"))


@pytest.mark.parametrize("tiny", [False, True])
def test_route_stage_in_one_call_is_plan_bisection_and_delivery(toy_sim, tiny):
    """:func:`shipping._over_routes` (one call, or the plan again with the bisection when a
    count needs it: shipments of a microgram, so many that the walk underflows) against
    the two calls with the bisection between them."""
    from fentanet.simulate.phases import shipping

    fast, plain = copy.deepcopy(toy_sim), copy.deepcopy(toy_sim)
    for sim in (fast, plain):
        if tiny:
            sim.shipment_kg = np.full_like(sim.shipment_kg, 1e-9)
            sim.inspection = np.full_like(sim.inspection, 1e-3)
        shipping._labs_to_routes(sim)
    got, want = shipping._over_routes(fast), _over_routes_in_two_calls(plain)
    assert got[0] == want[0] and (not tiny or got[0] > 0)
    for x, y in zip(got[1:], want[1:], strict=True):
        np.testing.assert_array_equal(x, y)
    for name in fast.s.actors.columns:
        np.testing.assert_array_equal(getattr(fast.s.actors, name),
                                      getattr(plain.s.actors, name), err_msg=name)


@pytest.mark.parametrize("replacement", [True, False])
def test_suspension_in_the_succession_s_call_is_the_two_calls(toy_sim, replacement):
    """:func:`adaptation._succession_and_failure` with ``suspend`` (one compiled call,
    :func:`adaptation._turnover`) against :func:`adaptation._suspension` and then
    :func:`adaptation._succession_and_failure`: organizations hit, losses above the share,
    a leader lost (succession) and one without any alive member (failure), with and
    without the vacancies' pass."""
    rng = np.random.default_rng(4)
    base = copy.deepcopy(toy_sim)
    ad = base.p.adaptation.model_copy(update={
        "replacement": replacement, "seller_replacement": replacement,
        "independent_replacement": replacement})
    base.p = base.p.model_copy(update={"adaptation": ad})
    a = base.s.actors
    orgs = base.topo.slots("organization")
    a.lost_recent[orgs] = rng.random(orgs.size) * base.s.org_initial[orgs]
    base.leadership_hit = np.sort(rng.choice(orgs, 1, replace=False))
    leaders = adaptation._leaders(base)
    a.alive[leaders[0]] = False  # a successor is found, or the organization fails
    members = np.flatnonzero(a.org == orgs[-1])
    a.alive[members] = False
    a.vacant[members[:2]] = True
    a.vacant_since[members[:2]] = base.t - 1.0
    fused, plain = copy.deepcopy(base), copy.deepcopy(base)
    adaptation._succession_and_failure(fused, suspend=True)
    adaptation._suspension(plain)
    adaptation._succession_and_failure(plain)
    assert dict(fused.now) == dict(plain.now)
    assert fused.now["suspensions"] > 0 and fused.now["organizations_failed"] > 0
    for name in a.columns:
        np.testing.assert_array_equal(getattr(fused.s.actors, name),
                                      getattr(plain.s.actors, name), err_msg=name)
    for name in ("_ready", "_open", "_leaders", "_lieutenants", "leadership_hit"):
        got, want = fused.__dict__.get(name), plain.__dict__.get(name)
        assert (got is None) == (want is None), name
        if got is not None:
            got, want = (got, want) if isinstance(got, tuple) else ((got,), (want,))
            for x, y in zip(got, want, strict=True):
                np.testing.assert_array_equal(x, y, err_msg=name)
