"""Behaviours the literature reports, each shown with paired seeds (common random numbers):
the difference's 95% interval over seeds must exclude zero."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import fentanet
from fentanet.scenarios import load
from fentanet.simulate.loop import Sim
from fentanet.simulate.run import build_network, prepare
from fentanet.simulate.scenario import Scenario
from fentanet.simulate.state import KIND
from simkit import interval, supply_network

pytestmark = pytest.mark.slow
SEEDS = range(1, 7)


def window(s, a, b):
    return (s["time"] >= a - 1e-9) & (s["time"] < b - 1e-9)


@pytest.fixture(scope="module")
def toy():
    sc = load("toy")
    return sc, build_network(sc)


def test_displacement_shifts_shipments_and_halves_the_loss():
    """NarcoLogic (Magliocca et al., PNAS 2019): raising inspection on one mode shifts
    shipments to the other modes; supply reaching markets falls much less than in
    proportion; supply lost to seizures with displacement on is at most half of it off."""
    net = supply_network()
    iv = [{"kind": "border_security", "modes": ["air"], "start": 0.5, "intensity": 20.0}]
    lost, share_air, retail = {True: [], False: []}, [], []
    for on in (True, False):
        sc = Scenario.model_validate({"name": "d", "network": {"file": "x"}, "years": 1.5,
                                      "warmup_years": 0.5,
                                      "params": {"routes": {"displacement": on}}})
        for seed in SEEDS:
            b = fentanet.simulate(sc, seed=seed, network=net).series
            v = fentanet.simulate(sc, seed=seed, network=net, interventions=iv).series
            w = window(b, 0.75, 1.5)
            lost[on].append(v["seized_routes_kg"][w].sum() - b["seized_routes_kg"][w].sum())
            if on:
                shipped = sum(v[f"shipped_{m}_kg"][w].sum() for m in ("land", "air", "postal"))
                share_air.append(v["shipped_air_kg"][w].sum() / shipped)
                retail.append(1 - v["supply_kg"][w].sum() / b["supply_kg"][w].sum())
    # shipments moved off air (a third of the flow without displacement)
    assert np.mean(share_air) < 0.1
    # inspection raised to p = 1 - exp(-0.06 * 21) = 0.72 on a third of the flow would cut
    # 24% in proportion; displacement keeps the cut at retail far below that
    assert np.mean(retail) < 0.02
    assert np.mean(lost[True]) <= 0.5 * np.mean(lost[False])
    lo, _ = interval(np.array(lost[False]) - np.array(lost[True]))
    assert lo > 0


@pytest.mark.slow
def test_displacement_and_rerouting_on_the_toy_shift_shipments_and_spare_supply():
    """The same measurement on the toy scenario (border security on air at intensity 20
    from 0.5 years, window 0.75-1.5 years, paired seeds 1-24), four ways: displacement and
    both re-routings on (the default), the labs alone re-routing, displacement alone,
    neither. On the toy most labs that ship by air have no other route with room, so
    displacement alone (re-weighting a lab's own routes) moves little: supply falls about
    as without it (12.7% and 12.9%), less than in proportion (air's share of shipments
    times the share of air shipments seized, 18%). With re-routing, labs held back by their
    routes' room find routes with room in the status quo already (34 moves in the run,
    besides the spin-up's), air's share falls from 25% to 12% without any screening, and
    under the screening the supply reaching markets falls by far less than in proportion
    (2.2% on average, median 1.3%; it falls in 19 of 24 seeds; in seed 18 by 22%, about its
    proportion, 20%). Before re-routing for room it *rose* by 13% on average: the screening
    pushed labs onto room they had no reason to seek before (docs/model.md, section 9).

    With the labs alone re-routing, air's share under the screening is the status quo's on
    average (12.6% against 12.2%), but not in each seed: from 0.2 to 1.9 times the same
    seed's own baseline, above it in 14 of 24. Where the air routes are the only routes to
    some traffickers, they carry more for what is seized on them; where the labs find room
    elsewhere they move off them. When the traffickers re-route as well (both of their
    motives, losses and lost supply) they link from safer routes: air's share under the
    screening falls below the labs-alone share in 19 of 24 seeds (10.6%, 0.87 of the
    status quo's) and the seizures on routes fall by 14% (1.30 to 1.12 kg), paired.

    Measured in the sixteenth session, once the status quo was read after a spin-up under
    routine enforcement (docs/model.md section 11). Before, the test took seeds 1-6 and
    claimed that with the labs alone re-routing air's share rose to 1.2 times the status
    quo's (1.25 then, and the seizures fell by a fifth with the traffickers re-routing).
    With the spin-up's arrests, two of those seeds (1 and 3) lose a trafficker before time
    0 and their air share falls under the screening (0.6-0.75 of their baseline), and the
    six seeds' intervals do not exclude zero. The engine before the change gives over
    seeds 1-24 a labs-alone share 1.17 times the status quo's, seizures 21% lower with the
    traffickers re-routing, and the supply 1.2% lower (in 20 of 24 seeds): the claims
    below hold for both engines."""
    seeds = range(1, 25)
    iv = [{"kind": "border_security", "modes": ["air"], "start": 0.5, "intensity": 20.0}]
    modes = ("land", "air", "sea", "postal", "online")
    ways = {"both": (True, True), "labs": (True, True), "displacement": (True, False),
            "neither": (False, False)}
    retail = {k: [] for k in ways}
    seized = {k: [] for k in ways}
    air = {k: [] for k in ways}
    proportion, air_before, air_base, room_moves = [], [], [], []
    for way, (disp, reroute) in ways.items():
        sc = load("toy").override({"params.routes.displacement": disp,
                                   "params.adaptation.reroute": reroute,
                                   "params.adaptation.reroute_room": reroute,
                                   "params.adaptation.reroute_traffickers": way == "both",
                                   "params.adaptation.reroute_supply": way == "both",
                                   "params.adaptation.entry": False,
                                   "years": 1.5})
        for seed in seeds:
            b = fentanet.simulate(sc, seed=seed).series
            v = fentanet.simulate(sc, seed=seed, interventions=iv).series
            w = window(b, 0.75, 1.5)
            retail[way].append(1 - v["supply_kg"][w].sum() / b["supply_kg"][w].sum())
            seized[way].append(v["seized_routes_kg"][w].sum())
            air[way].append(v["shipped_air_kg"][w].sum() / sum(
                v[f"shipped_{m}_kg"][w].sum() for m in modes))
            share = b["shipped_air_kg"][w].sum() / sum(
                b[f"shipped_{m}_kg"][w].sum() for m in modes)
            if way == "both":
                assert b["reroutes"].sum() == 0  # no lab loses a fifth without screening
                room_moves.append(b["reroutes_room"].sum())
                air_base.append(share)
            if way == "displacement":
                air_before.append(share)
                proportion.append(share * v["seized_air_kg"][w].sum()
                                  / v["shipped_air_kg"][w].sum())
    both, disp, neither = (np.array(retail[k]) for k in ("both", "displacement", "neither"))
    assert 0.15 < np.mean(proportion) < 0.2  # air is a quarter of the flow, 72% seized
    # displacement alone: less than in proportion, no more than without it
    assert np.mean(disp) < 0.8 * np.mean(proportion)
    assert (disp > 0).all()
    assert np.mean(disp) <= np.mean(neither) + 0.005
    # re-routing for room in the status quo (besides the spin-up's): labs find room, and
    # air's share falls from 25% to 12% without any screening
    assert sum(room_moves) >= 10
    assert np.mean(air_base) < 0.6 * np.mean(air_before)
    # screened, air's share stays under three quarters of the status quo's without
    # re-routing (0.25 -> 0.11), and under the share with neither behaviour
    assert np.mean(air["both"]) < 0.75 * np.mean(air_before)
    assert np.mean(air["both"]) < np.mean(air["neither"])
    # with the traffickers re-routing too, air's share under the screening is below the
    # labs alone's (paired) and no more than the status quo's (0.87 of it), and the
    # seizures fall against the labs alone (paired, by 14%)
    lo, _ = interval(np.array(air["labs"]) - np.array(air["both"]))
    assert lo > 0
    assert np.mean(air["both"]) < np.mean(air_base)
    lo, _ = interval(np.array(seized["labs"]) - np.array(seized["both"]))
    assert lo > 0 and np.mean(seized["both"]) < 0.9 * np.mean(seized["labs"])
    # seizures fall against displacement off, paired
    lo, _ = interval(np.array(seized["neither"]) - np.array(seized["both"]))
    assert lo > 0
    # the supply reaching markets falls (2.2% on average, paired; in 19 of 24 seeds), by
    # much less than in proportion and than with neither behaviour
    lo, _ = interval(both)
    assert lo > 0 and 0.01 < np.mean(both) < 0.03
    assert (both > 0).sum() >= 16
    assert np.mean(both) < 0.5 * np.mean(proportion)
    assert np.mean(both) < 0.5 * np.mean(neither)
    _, hi = interval(both - neither)
    assert hi < 0


def _after_strike(base, net, share, seed):
    """Run ``base`` with a one-time arrest of ``share`` of the members of the organization
    of the highest-degree member at 0.25 years; from that step on, yield (sim, actors,
    organization slot) after each step."""
    run = prepare(base, interventions=[{
        "kind": "organization_takedown", "start": 0.25, "intensity": share, "once": True,
        "target": {"rule": "degree", "count": 1, "view": "true"}}])
    sim = Sim(run, net, seed)
    a = sim.s.actors
    org = None
    while sim.step < sim.n_steps:
        sim.run_step()
        if org is None and sim.targets:
            org = int(np.unique(a.org[sim.targets[0]])[0])
        if org is not None:
            yield sim, a, org


def test_organizations_recover_from_arrests_slower_and_less_often_the_more_are_taken(toy):
    """MADTOR (Manzi & Calderoni, JASSS 2024): after a one-time arrest of a share of an
    organization's members it recovers by recruitment; recovery is slower and survival
    lower the larger the share."""
    sc, net = toy
    base = sc.override({"years": 2.0})
    result = {}
    for share in (0.2, 0.5, 0.8):
        at_26w, at_1y, alive_end = [], [], []
        for seed in SEEDS:
            traj, alive = [], False
            for sim, a, org in _after_strike(base, net, share, seed):
                traj.append(((a.org == org) & a.alive).sum() / sim.s.org_initial[org])
                alive = bool(a.alive[org])
            at_26w.append(traj[26])
            at_1y.append(traj[52])
            alive_end.append(alive)
        result[share] = (np.mean(at_26w), np.mean(at_1y), np.mean(alive_end), at_26w)
    assert result[0.2][1] > 0.9  # a small blow: back above 90% of its members in a year
    assert result[0.2][0] > result[0.5][0] > result[0.8][0]  # slower with larger share
    assert result[0.2][2] >= result[0.5][2] >= result[0.8][2]
    assert result[0.2][2] > result[0.8][2]  # survival lower
    lo, _ = interval(np.array(result[0.2][3]) - np.array(result[0.5][3]))
    assert lo > 0


def test_disruption_of_trafficking_has_diminishing_returns_in_the_share_arrested(toy):
    """MADTOR (Manzi & Calderoni, JASSS 2024): arresting even a few members is disruptive,
    and the disruptive impact grows with the share arrested with diminishing returns.
    Measured as the product the organization's labs ship in the quarter after a one-time
    arrest, lost against the same seed without it: an organization lies low when its
    leadership is hit (each member is arrested with probability share, so the chance that
    the leader or one of the lieutenants is among them is concave in the share) or when it
    loses a large share of its members at once. Until the tenth session the measure was
    what the organization's routes carried, which was its labs' product only while labs
    never looked for room: with re-routing for room, other organizations' labs held back by
    their routes find room on the struck organization's idle routes, so its routes' loss
    at 80% fell from 0.84 to 0.69 and the second interval's lower bound to -0.16, while
    its labs' loss stayed as it was (0.40, 0.84, 0.89 on; 0.40, 0.85, 0.89 off)."""
    sc, net = toy
    base = sc.override({"years": 0.5})
    seeds = range(1, 21)
    shipped = {}
    for share in (0.0, 0.1, 0.5, 0.8):
        for seed in seeds:
            shipped[share, seed] = sum(
                a.throughput[(a.org == org) & (a.kind == KIND["lab"])].sum()
                for _, a, org in _after_strike(base, net, share, seed))
    lost = {share: np.array([1 - shipped[share, s] / shipped[0.0, s] for s in seeds])
            for share in (0.1, 0.5, 0.8)}
    assert lost[0.1].mean() > 0.15  # a tenth of the members: already disruptive
    assert lost[0.1].mean() < lost[0.5].mean() < lost[0.8].mean()
    # per share point, the first 10 points cost the organization more than the next 40,
    # and those more than the last 30 (paired by seed)
    lo, _ = interval(lost[0.1] / 0.1 - (lost[0.5] - lost[0.1]) / 0.4)
    assert lo > 0
    lo, _ = interval((lost[0.5] - lost[0.1]) / 0.4 - (lost[0.8] - lost[0.5]) / 0.3)
    assert lo > 0


@pytest.mark.parametrize("lever", [
    {"kind": "naloxone", "intensity": 1.0},
    {"kind": "prevention_treatment", "intensity": 1.0},
])
def test_naloxone_and_treatment_lower_deaths(toy, lever):
    sc, net = toy
    base = sc.override({"years": 1.5})
    averted = []
    for seed in SEEDS:
        b = fentanet.simulate(base, seed=seed, network=net).series
        v = fentanet.simulate(base, seed=seed, network=net,
                              interventions=[{**lever, "start": 0.25}]).series
        averted.append(b["overdose_deaths"].sum() - v["overdose_deaths"].sum())
    lo, _ = interval(averted)
    assert lo > 0


def test_precursor_controls_cut_production_with_a_lag_partly_offset_by_entrants():
    sc = load("toy").override({"network.generate.actors": 1000})
    net = build_network(sc)
    iv = [{"kind": "precursor_controls", "start": 0.5, "intensity": 3.0}]
    cut = {True: [], False: []}
    first = []
    for entry in (True, False):
        run = sc.override({"years": 2.0, "params.adaptation.entry": entry})
        for seed in SEEDS:
            b = fentanet.simulate(run, seed=seed, network=net).series
            v = fentanet.simulate(run, seed=seed, network=net, interventions=iv).series

            def drop(a, c, b=b, v=v):
                w = window(b, 0.5 + a, 0.5 + c)
                return 1 - v["produced_kg"][w].sum() / b["produced_kg"][w].sum()

            if entry:
                first.append((drop(0, 0.04), drop(0.1, 0.5)))
            cut[entry].append(drop(0.25, 1.5))
    first = np.array(first)
    # labs run on their precursor stocks first: little cut in the first two weeks, a clear
    # cut after a few months
    assert first[:, 1].mean() > 0.1
    assert first[:, 0].mean() < first[:, 1].mean() / 3
    # entrants (new labs with illicit suppliers) offset part of the cut later on
    assert 0 < np.mean(cut[True]) < np.mean(cut[False])
    lo, _ = interval(np.array(cut[False]) - np.array(cut[True]))
    assert lo > 0


def test_central_targeting_advantage_shrinks_with_replacement(toy):
    """Duijn, Kashirin & Sloot (Sci. Rep. 2014): removing the most central actors beats
    random removal at first, but with replacement the advantage shrinks over time."""
    sc, net = toy

    def iv(rule):
        return [{"kind": "trafficker_enforcement", "start": 0.25, "end": 0.5,
                 "intensity": 20.0, "target": {"rule": rule, "count": 6, "view": "true"}}]

    adv = {True: [], False: []}
    for replacement in (True, False):
        run = sc.override({"years": 2.0, "params.adaptation.replacement": replacement})
        for seed in SEEDS:
            b = fentanet.simulate(run, seed=seed, network=net).series
            d = fentanet.simulate(run, seed=seed, network=net, interventions=iv("degree"))
            r = fentanet.simulate(run, seed=seed, network=net, interventions=iv("random"))

            def lost(v, a, c, b=b):
                w = window(b, a, c)
                return 1 - v.series["supply_kg"][w].sum() / b["supply_kg"][w].sum()

            adv[replacement].append((lost(d, 0.25, 0.75) - lost(r, 0.25, 0.75),
                                     lost(d, 1.25, 2.0) - lost(r, 1.25, 2.0)))
    on = np.array(adv[True])
    off = np.array(adv[False])
    assert interval(on[:, 0])[0] > 0  # central targeting wins at first
    lo, _ = interval(on[:, 0] - on[:, 1])  # and the advantage shrinks
    assert lo > 0
    assert on[:, 1].mean() < 0.5 * off[:, 1].mean()  # unlike without replacement


def test_arrested_street_sellers_are_replaced(toy):
    """The replacement effect (Kleiman 1997): street-level enforcement against dealers
    leaves far fewer dealers missing two years on when independent sellers are replaced
    (`seller_replacement`) than when they are not.

    The ratio of the two ten-seed means (dealers missing at the end, with replacement over
    without) was 0.35 when the test was written (9.4 against 26.6), 0.55 on main on
    2026-11-29 (10.0 against 18.2, the sessions' changes since), and 0.60 once displacement
    counted its factor once (10.8 against 18.0; docs/model.md 7.4): with replacement, seeds
    2 and 5 end with 2 and 5 more dealers missing, arrested in the last months, whose
    places are still inside the replacement delay at the end (the baselines are the same).
    Over seeds 1-30 the ratio is 0.53 before that change and 0.56 after: ten seeds put it
    within about 0.05 of that, so the bound of 0.6 sat at the ratio's usual value. With
    re-routing for lost supply (thirteenth session: a trafficker cut off by its routes'
    arrest links from another route) it is 0.62 (11.1 against 17.8; seeds 1, 3 and 9
    moved by 1-3 dealers, the paths of traffickers cut off, and so of their dealers' cash,
    differing). With routine enforcement in the spin-up (sixteenth session) ten seeds give
    0.645 (10.9 against 16.9: every run takes another path, and without replacement the
    runs start with the spin-up's unreplaced sellers missing, 206.7 dealers against 209.7),
    and seeds 1-30 give 0.62 (11.5 against 18.6, fewer in 29 of 30): ten seeds put the
    ratio within about 0.05 of its usual value, the bound's distance from it, so the ratio
    is now taken over thirty seeds. The test asks that replacement
    leaves fewer than 0.65 of the dealers missing without it over seeds 1-30, fewer in
    every one of seeds 1-10 but one at most, and the paired signed-rank test."""
    sc, net = toy
    iv = [{"kind": "trafficker_enforcement", "start": 0.25, "intensity": 2.0}]
    gap = {True: [], False: []}
    for on in (True, False):
        run = sc.override({"years": 2.0, "params.adaptation.seller_replacement": on})
        for seed in range(1, 31):
            b = fentanet.simulate(run, seed=seed, network=net).series
            v = fentanet.simulate(run, seed=seed, network=net, interventions=iv).series
            gap[on].append(b["dealers_active"].iloc[-1] - v["dealers_active"].iloc[-1])
    assert np.mean(gap[False]) > 10  # of the toy's 216 dealers, without replacement
    assert np.mean(gap[True]) < 0.65 * np.mean(gap[False])  # 0.62 (11.5 of 18.6)
    assert (np.array(gap[True][:10]) < np.array(gap[False][:10])).sum() >= 9  # 9 of 10
    # paired by seed, a signed-rank test: an organization that fails (its leader arrested
    # with no lieutenant left) takes a hundred dealers at once in one run or the other,
    # which a t-interval over the seeds does not survive
    diff = np.array(gap[False]) - np.array(gap[True])
    assert stats.wilcoxon(diff, alternative="greater").pvalue < 0.01
