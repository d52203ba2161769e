"""Procurement's screening (docs/model.md 7.2 and 7.1, ``precursor_controls``): a screening
seller refuses the share r = 1 - (1 - base) exp(-screening_gain * I) of what a lab orders
from it; the second pass re-orders only what the first did not get for lack of stock,
capacity or cash, never the refused volume; each refused kg is counted once and the
refused share of the order lies in [0, 1] (audit s12/audit-docs-a finding 1: the second
pass re-ordered the refused volume from the same supplier, which refused again, so the lab
went short by r^2, ``precursor_refused_kg`` counted r + r^2 of the order and the share
feeding the tip hazard reached 1.88 at I = 3)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from fentanet.network.model import Network
from fentanet.simulate.loop import Sim
from fentanet.simulate.phases import interventions, procurement
from fentanet.simulate.run import build_network, prepare
from fentanet.simulate.scenario import Scenario
from fentanet.simulate.state import KIND

DT = 1 / 52


def _chain(illicit_cap: float | None = None) -> Network:
    """A legitimate supplier (ample capacity) selling to one independent lab (52 kg a
    year) whose product goes down one route, trafficker and dealer to one market; with
    ``illicit_cap``, an illicit supplier of that capacity sells to the lab too, both
    ``supplies`` links of capacity 1 (the order splits in halves)."""
    actors = [
        {"id": "sup", "kind": "supplier", "capacity": 10000.0, "legitimate": True},
        {"id": "lab", "kind": "lab", "capacity": 52.0},
        {"id": "rte", "kind": "route", "capacity": 1000.0, "mode": "land"},
        {"id": "trf", "kind": "trafficker", "capacity": 1000.0},
        {"id": "dlr", "kind": "dealer", "capacity": 1000.0, "channel": "street"},
        {"id": "mkt", "kind": "market", "demand": 52.0, "population": 1000.0}]
    links = [("sup", "lab", "supplies"), ("lab", "rte", "ships"), ("rte", "trf", "ships"),
             ("trf", "dlr", "distributes"), ("dlr", "mkt", "sells_to")]
    if illicit_cap is not None:
        actors.append({"id": "ill", "kind": "supplier", "capacity": illicit_cap,
                       "legitimate": False})
        links.append(("ill", "lab", "supplies"))
    a = pd.DataFrame(actors)
    a["uid"] = np.arange(len(a))
    ln = pd.DataFrame([{"source": s, "target": t, "kind": k} for s, t, k in links])
    if illicit_cap is not None:
        ln["capacity"] = [1.0 if k == "supplies" else np.nan for _, _, k in links]
    return Network(a, ln, name="chain")


def _buy(net: Network, pc: float = 0.0):
    """One procurement (after the interventions phase) by the lab, its precursor stock
    emptied and its cash ample, without a spin-up: (sim, lab index, kg it wanted)."""
    ivs = [{"kind": "precursor_controls", "intensity": pc}] if pc else []
    sc = Scenario.model_validate({"name": "t", "network": {"file": "x"}, "years": 1.0,
                                  "dt": DT, "warmup_years": 0.0, "interventions": ivs})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sim = Sim(sc, net, 1)
    a = sim.s.actors
    lab = 1
    a.cash[:] = 1e12
    a.precursor[lab] = 0.0
    interventions.run(sim)
    procurement.run(sim)
    return sim, lab, sim.p.supply.precursor_cover_years * 52.0


@pytest.mark.parametrize(("pc", "r"), [(0.0, 0.2), (1.0, 1 - 0.8 * np.exp(-1.0)),
                                       (3.0, 1 - 0.8 * np.exp(-3.0))])
def test_one_legitimate_supplier_refuses_the_documented_share_once(pc, r):
    # I=1: r = 0.7057 (before the fix the lab bought 0.502 of its order, and 1.204 of it
    # was counted refused)
    sim, lab, want = _buy(_chain(), pc)
    assert want == pytest.approx(4.16, rel=1e-12)
    got, refused = sim.now["precursor_bought_kg"], sim.now["precursor_refused_kg"]
    assert 1.0 - got / want == pytest.approx(r, rel=1e-12)  # the share short is r
    assert refused == pytest.approx(r * want, rel=1e-12)  # counted once
    assert got + refused == pytest.approx(want, rel=1e-12)
    assert sim.s.actors.refused[lab] == pytest.approx(r, rel=1e-12)  # the tip hazard's share
    assert sim.s.actors.precursor[lab] == pytest.approx(got, rel=1e-12)


def test_second_pass_reorders_what_a_seller_lacked_not_what_was_refused():
    """The lab's 4.16 kg split in halves: the legitimate supplier refuses 0.2 of its 2.08
    (0.416) and sells 1.664; the illicit supplier (52 kg a year) has 1 kg for the week and
    sells it, 1.08 kg missing. The second pass orders those 1.08 kg from the only seller
    left with stock, the legitimate one, which refuses 0.2 of them (0.216) and sells
    0.864: bought 3.528, refused 0.632 = 0.2 * (2.08 + 1.08), the rest of the order."""
    sim, lab, want = _buy(_chain(illicit_cap=52.0))
    got, refused = sim.now["precursor_bought_kg"], sim.now["precursor_refused_kg"]
    assert got == pytest.approx(1.664 + 1.0 + 0.864, rel=1e-12)
    assert refused == pytest.approx(0.416 + 0.216, rel=1e-12)
    assert got + refused == pytest.approx(want, rel=1e-12)
    assert sim.s.actors.refused[lab] == pytest.approx(0.632 / 4.16, rel=1e-12)


def test_refused_share_stays_a_share_on_the_toy_under_heavy_controls():
    """On the toy under precursor controls at intensity 3 (r = 0.96 for legitimate
    suppliers), every lab's refused share lies in [0, 1] every step (before the fix, r + r^2
    up to 1.88), and what the buyers got and were refused in a step is at most what they
    wanted."""
    sc = prepare("toy", years=0.5, interventions=[
        {"kind": "precursor_controls", "intensity": 3.0}])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sim = Sim(sc, build_network(sc), 1)
    cover = sim.p.supply.precursor_cover_years
    top = 0.0
    while sim.step < sim.n_steps:
        a = sim.s.actors
        buyers = np.isin(a.kind, [KIND["lab"], KIND["marketplace"]]) & a.alive
        want = float(np.maximum(cover * a.capacity - a.precursor, 0.0)[buyers].sum())
        sim.run_step()
        n, a = sim.now, sim.s.actors
        assert ((a.refused >= 0.0) & (a.refused <= 1.0)).all()
        assert n["precursor_bought_kg"] + n["precursor_resold_kg"] + n[
            "precursor_refused_kg"] <= want * (1 + 1e-12)
        top = max(top, float(a.refused.max()))
    assert 0.9 < top <= 1.0
