"""The precursor balance of docs/model.md 7.10 from the published series: precursor is
counted once, as it enters the trade from suppliers (``precursor_bought_kg``; marketplaces'
sales of it are ``precursor_resold_kg``), and what arrests seize and exits lose of it has
columns of its own (audit s11/audit-sim finding 2: resales were counted twice and the
precursor seized or lost was in no column)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import fentanet
from fentanet.simulate.loop import Sim
from fentanet.simulate.phases import interventions, procurement
from fentanet.simulate.run import build_network, is_flow, prepare
from fentanet.simulate.scenario import Scenario
from fentanet.simulate.state import KIND
from simkit import supply_network

PRECURSOR_FLOWS = ("precursor_bought_kg", "precursor_resold_kg", "seized_precursor_kg",
                   "lost_precursor_kg")


def _run(scenario: str, seed: int, years: float, network=None, interventions=()):
    """A run through ``Sim`` (its series as ``simulate`` fills it) and the precursor held
    at the spin-up's end."""
    sc = prepare(scenario, years=years, interventions=list(interventions))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sim = Sim(sc, network if network is not None else build_network(sc), seed)
    stock0 = float(sim.s.actors.precursor.sum())
    sim.run()
    return sim, stock0, pd.DataFrame(sim.rows).fillna(0.0)


def _assert_rebuilt(s: pd.DataFrame, stock0: float) -> None:
    """Every step: precursor held = held before + bought - used (one kg per kg produced)
    - seized - lost, to 1e-9 of the amounts involved."""
    before = np.concatenate([[stock0], s["precursor_stock_kg"].to_numpy()[:-1]])
    flows = (s["precursor_bought_kg"] - s["produced_kg"] - s["seized_precursor_kg"]
             - s["lost_precursor_kg"]).to_numpy()
    scale = np.maximum.reduce([before, s["precursor_bought_kg"].to_numpy(),
                               s["produced_kg"].to_numpy(), np.ones(len(s))])
    gap = np.abs(s["precursor_stock_kg"].to_numpy() - (before + flows)) / scale
    assert gap.max() < 1e-9


def test_toy_precursor_balance_from_the_series_with_seizures_and_losses():
    # seed 3 under lab raids: precursor seized (arrests) and lost (a lab's or supplier's
    # exit at 0.6 years, the price under exit_threshold). Seed 2 at intensity 5 lost some
    # (0.018991 kg, 0.673996 seized; 0.017753 and 0.659909 once procurement stopped
    # re-ordering refused volume, audit s12/audit-docs-a finding 1) until displacement
    # counted its factor once (twelfth session, docs/model.md 7.4): its run took another
    # path, with nothing lost. Seed 3 seized 0.818912 kg until the second pass re-ordered
    # refused volume from the sellers that did not refuse it (review s12 finding 1: lab 1,
    # the toy's one lab with a legitimate and an illicit supplier, buys there what the
    # legitimate one refused, so its stock differs when raids take it); the loss is the same.
    # 0.804425 kg until traffickers cut off from their routes re-routed (thirteenth
    # session, docs/model.md 7.9: the run's one route arrest cuts off traffickers, five of
    # whom link from other routes; the labs' production, and so their precursor stocks
    # when raided, differ); the loss is the same. 0.810404 seized and 0.018115 lost (one
    # exit) until the spin-up ran routine enforcement (sixteenth session): its arrests (16
    # dealers, 5 traffickers, no lab) leave a thinner trade at time 0, whose retail offer
    # is the status quo's S0 (a quarter lower per market: 4.88, 4.01, 7.18 kg a year
    # against 6.63, 4.71, 9.62), and the run takes another path: the price index dips to
    # 0.59 (0.86 before), four labs and suppliers exit below exit_threshold, not one, and
    # lose 0.109823 kg; the raids seized 1.241633 kg until arrested independents of every
    # kind were replaced (seventeenth session, independent_replacement: one such newcomer
    # in the run, and the spin-up's, and the run takes another path: the price index dips
    # to 0.65, three labs and suppliers exit and lose 0.057812 kg; the raids seize
    # 0.825970 kg); 0.825969 and 0.058480 since diversion's status quo is the
    # prescribers' places, alive or vacant (the same session: a little less initiation and
    # demand while a place waits for its newcomer)
    sim, stock0, s = _run("toy", 3, 2.0,
                          interventions=[{"kind": "lab_raids", "intensity": 2.0}])
    t = sim.s.totals
    assert s["seized_precursor_kg"].sum() == pytest.approx(0.825969, abs=1e-6)
    assert s["lost_precursor_kg"].sum() == pytest.approx(0.058480, abs=1e-6)
    # no lab arrest or exit in this spin-up (its routine arrests take dealers, traffickers
    # and prescribers, whose stocks hold no precursor): the columns hold all the engine
    # counted
    assert s["seized_precursor_kg"].sum() == pytest.approx(t["seized_stock_precursor"],
                                                           rel=1e-12)
    assert s["lost_precursor_kg"].sum() == pytest.approx(t["lost_precursor"], rel=1e-12)
    assert (s["precursor_resold_kg"] == 0).all()  # the toy's labs buy from suppliers only
    _assert_rebuilt(s, stock0)
    # the run's whole balance: initial stock and spin-up purchases, then the series
    used_before = t["produced"] - t["produced_initial"] - s["produced_kg"].sum()
    assert t["precursor_in"] - s["precursor_bought_kg"].sum() == pytest.approx(
        stock0 + used_before, rel=1e-12)


def test_generated_network_with_marketplace_resales_balances_from_the_series():
    # marketplaces broker precursor here: 26.69 kg of the 173.31 kg the column once reported
    # as bought over the year are their resales, counted a second time (26.87 of 173.96
    # when measured; the flows moved when procurement stopped re-ordering refused volume,
    # audit s12/audit-docs-a finding 1, and when displacement counted its factor once,
    # docs/model.md 7.4); 26.40 of 171.95 since the second pass asks only the sellers that
    # did not refuse the buyer (review s12 finding 1): every marketplace screens, so a
    # lab's shortfall elsewhere no longer goes to its marketplace (146.62 bought, 26.69
    # resold before); 26.41 of 171.97 since traffickers cut off from their routes re-route
    # (thirteenth session, docs/model.md 7.9: route arrests cut traffickers off, nine of
    # whom link from other routes, and the labs that feed them produce and buy more; 145.55
    # bought, 26.40
    # resold, 1.2484 kg seized before); 25.91 of 170.44 since the spin-up runs routine
    # enforcement (sixteenth session: its arrests thin the trade before time 0 and the run
    # takes another path; 145.57 bought, 26.41 resold, 1.2477 seized, 0.0798 lost before;
    # diversion's status quo read at the spin-up's end too, the same session: a little
    # more initiation, demand and precursor bought, 144.525552 before, 170.439039 summed);
    # 24.81 of 168.29 since arrested independents of every kind are replaced (seventeenth
    # session: six newcomers in the year, the run another path; 144.53 bought, 25.91
    # resold, 1.1489 seized, 0.0098 lost before; 143.475141 bought, 168.288554 summed
    # before diversion's status quo was the prescribers' places)
    net = fentanet.generate({"actors": 3000}, seed=3)
    _, stock0, s = _run("toy", 1, 1.0, network=net)
    total = {c: s[c].sum() for c in PRECURSOR_FLOWS}
    assert total["precursor_bought_kg"] == pytest.approx(143.475129, abs=1e-5)
    assert total["precursor_resold_kg"] == pytest.approx(24.813412, abs=1e-5)
    assert total["seized_precursor_kg"] == pytest.approx(1.835374, abs=1e-5)
    assert total["lost_precursor_kg"] == pytest.approx(0.004669, abs=1e-5)
    assert total["precursor_bought_kg"] + total["precursor_resold_kg"] == pytest.approx(
        168.288541, abs=1e-5)  # what the column would say counting resales again
    _assert_rebuilt(s, stock0)
    assert s["balance_error"].max() < 1e-9


def test_bought_is_from_suppliers_and_resold_is_what_marketplaces_sold():
    """One procurement step on the hand network, whose marketplace (stocked by the spin-up)
    sells to both organizations' first labs: bought is the rise of the precursor held by
    everyone (a resale moves precursor within the trade), resold what the marketplace
    sold (its throughput, which interventions.run cleared), bought also what the
    suppliers sold."""
    sc = Scenario.model_validate({"name": "hand", "network": {"file": "unused.csv"},
                                  "years": 0.2, "warmup_years": 0.1})
    sim = Sim(sc, supply_network(), 1)
    a = sim.s.actors
    mkp = int(np.flatnonzero(a.kind == KIND["marketplace"])[0])
    assert a.precursor[mkp] > 0
    interventions.run(sim)
    held = float(a.precursor.sum())
    procurement.run(sim)
    sold = float(a.throughput[mkp])
    assert sold > 0
    assert sim.now["precursor_resold_kg"] == pytest.approx(sold, rel=1e-12)
    assert sim.now["precursor_bought_kg"] == pytest.approx(a.precursor.sum() - held,
                                                           rel=1e-12)
    # and what the suppliers sold (the marketplace's purchase included)
    sup = a.kind == KIND["supplier"]
    assert sim.now["precursor_bought_kg"] == pytest.approx(a.throughput[sup].sum(), rel=1e-12)


def test_the_precursor_columns_are_flows_recorded_every_step():
    s = fentanet.simulate("toy", seed=1, years=0.1).series
    for c in PRECURSOR_FLOWS:
        assert c in s.columns and is_flow(c)
        assert np.isfinite(s[c]).all() and (s[c] >= 0).all()


def _closes(after: float, before: float, flows: float, scale: float) -> float:
    """The relative gap of ``after = before + flows``."""
    return abs(after - (before + flows)) / max(scale, 1.0)


def test_the_material_balance_closes_from_the_saved_outputs_alone(tmp_path):
    # the summary's stocks at time 0 (stock_kg_start, precursor_stock_kg_start) close both
    # identities over the run from summary.csv, and the first step's from series.parquet:
    # the stocks after the spin-up were in no output (audit-docs-b finding 4). Prevention
    # and treatment lower demand, so the price falls and a lab or supplier exits (at 0.13
    # years), losing its stocks: since displacement counts its factor once (twelfth
    # session) the three enforcement operations alone made no exit in this run. Seed 4:
    # seed 2's run lost no product once the spin-up ran routine enforcement (sixteenth
    # session: its run takes another path, with no product lost); of seeds 1-8 only seed
    # 4's run has every term. Seed 15 since arrested independents of every kind are
    # replaced (seventeenth session: seed 4's run takes another path, with no product
    # lost; of seeds 1-14 none has every term)
    r = fentanet.simulate("toy", seed=15, years=1, interventions=[
        {"kind": "lab_raids", "start": 0.1, "intensity": 3.0},
        {"kind": "organization_takedown", "start": 0.2, "intensity": 3.0},
        {"kind": "border_security", "start": 0.1, "intensity": 2.0},
        {"kind": "prevention_treatment", "start": 0.0, "intensity": 0.9}])
    r.save(tmp_path / "run")
    m = pd.read_csv(tmp_path / "run" / "summary.csv").iloc[0]
    s = pd.read_parquet(tmp_path / "run" / "series.parquet")
    for c in ("seized_routes_kg", "seized_stock_kg", "lost_kg", "seized_precursor_kg",
              "lost_precursor_kg"):  # every term of both identities happens
        assert m[f"{c}_total"] > 0, c
    product = (m.produced_kg_total - m.supply_kg_total - m.seized_routes_kg_total
               - m.seized_stock_kg_total - m.lost_kg_total)
    assert _closes(m.stock_kg_end, m.stock_kg_start, product, m.produced_kg_total) < 1e-12
    precursor = (m.precursor_bought_kg_total - m.produced_kg_total
                 - m.seized_precursor_kg_total - m.lost_precursor_kg_total)
    assert _closes(m.precursor_stock_kg_end, m.precursor_stock_kg_start, precursor,
                   m.precursor_bought_kg_total) < 1e-12
    first = s.iloc[0]
    product = (first.produced_kg - first.supply_kg - first.seized_routes_kg
               - first.seized_stock_kg - first.lost_kg)
    assert _closes(first.stock_kg, m.stock_kg_start, product, m.stock_kg_start) < 1e-12
    # the start is the state at time 0: without a spin-up, the stocks at their targets
    # (model.md section 5), by hand from the network's capacities
    sc = prepare("toy", years=0.25).override({"warmup_years": 0.0})
    cap = build_network(sc).actors.set_index("kind")["capacity"]
    sup = sc.params.supply
    r0 = fentanet.simulate(sc, seed=2)
    holders = cap.loc[["lab", "marketplace", "trafficker", "dealer"]].sum()
    assert r0.summary["stock_kg_start"] == pytest.approx(sup.stock_cover_years * holders,
                                                         rel=1e-12)
    assert r0.summary["precursor_stock_kg_start"] == pytest.approx(
        sup.precursor_cover_years * cap.loc["lab"].sum(), rel=1e-12)
