"""Shipping's fused kernels (one compiled call per stage part) against the phase as it
was written before, kernel by kernel (the plain oracle below), bit for bit: every actor
column the phase writes and every number it records, on toy states perturbed at random
(actors and links gone, more officials and fronting businesses, displacement on and
off, another anti-corruption effort and screening)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from fentanet.simulate import kernels
from fentanet.simulate.loop import Sim
from fentanet.simulate.params import MODES
from fentanet.simulate.phases import adaptation, shipping
from fentanet.simulate.phases.shipping import (
    PASSES,
    ROUTE,
    _exposure,
    _loss_gain,
    _route_counts,
    _screen,
    _seize,
    _shipments,
)
from fentanet.simulate.run import build_network, prepare
from shipping_plain import plain_route_rooms, plain_through_room
from simkit import same


def _offer_room(sim, st):
    a = sim.s.actors
    return kernels.offer_room(st.senders, st.receivers, a.alive, a.kind, a.capacity,
                              a.product, sim.dt, sim.p.supply.stock_cover_years, ROUTE)


def _plain_push(sim, st, pref=None, offer_room=None):
    if not st.size:
        return
    a = sim.s.actors
    offer, room = _offer_room(sim, st) if offer_room is None else offer_room
    kernels.transfer(st.li, st.src, st.dst, st.s_loc, st.d_loc, st.ext, st.d_pay, st.s_kind,
                     st.payers, sim.s.links.alive, np.zeros(0) if pref is None else pref,
                     offer, room, PASSES, sim.wholesale, a.payer, a.product, a.cash, a.dirty,
                     a.throughput)


def _capacity_share(sim, rt):
    """Per route of the route stage: the lesser of its own room and its capacity share of
    its receivers' room (among the routes with room feeding each), in NumPy."""
    a, dt = sim.s.actors, sim.dt
    cap, product = a.capacity, a.product
    d = rt.receivers
    rroom = np.where(a.kind[d] == ROUTE, cap[d] * dt - product[d],
                     sim.p.supply.stock_cover_years * cap[d] - product[d])
    rroom = np.where(a.alive[d], np.maximum(rroom, 0.0), 0.0)
    v = rt.senders
    own = np.where(a.alive[v], np.maximum(cap[v] * dt - product[v], 0.0), 0.0)
    c = cap[rt.src]
    ok = (sim.s.links.alive[rt.li] & a.alive[rt.src] & a.alive[rt.dst] & (own[rt.s_loc] > 0)
          & (c > 0))
    csum = np.bincount(rt.d_loc, weights=np.where(ok, c, 0.0), minlength=d.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        part = np.where(ok & (rroom[rt.d_loc] > 0), rroom[rt.d_loc] * (c / csum[rt.d_loc]), 0.0)
    return np.minimum(own, np.bincount(rt.s_loc, weights=part, minlength=v.size))


def plain_run(sim):
    """The shipping phase kernel by kernel, as written before the fused kernels."""
    s, p = sim.s, sim.p
    a = s.actors
    st, rt = sim.topo.stages["lab"], sim.topo.stages["route"]
    if st.size:
        offer, room = _offer_room(sim, st)
        beta = p.routes.displacement_beta
        ones = np.ones(rt.senders.size)
        risk_rt = np.exp(-beta * a.loss[rt.senders]) if p.routes.displacement else ones
        rroom, own, on = plain_route_rooms(rt.li, rt.src, rt.dst, rt.s_loc, rt.receivers,
                                           rt.senders.size, s.links.alive, a.alive, a.kind,
                                           a.capacity, a.product, sim.dt,
                                           p.supply.stock_cover_years, ROUTE)
        through = plain_through_room(room, st.receivers, rt.src, rt.s_loc, rt.d_loc,
                                     rt.s_map, risk_rt, rroom, own, on, a.kind, a.capacity,
                                     ROUTE)
        pref = None
        if p.routes.displacement:  # room * pref: the room shared by capacity alone, times
            # exp(-beta * loss), for a route (its room as pass-through caps what it takes)
            risk_in = np.exp(-beta * a.loss[st.receivers])
            share = _capacity_share(sim, rt)
            i = np.where(st.receivers < rt.s_map.size,
                         rt.s_map[np.minimum(st.receivers, rt.s_map.size - 1)], -1)
            u = np.where(i >= 0, share[np.maximum(i, 0)], 0.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                for_route = np.where(room > 0, risk_in * (u / room), risk_in)
            pref = np.where(a.kind[st.receivers] == ROUTE, for_route, 1.0)[st.d_loc]
        offered = offer.copy()
        _plain_push(sim, st, pref=pref, offer_room=(offer, room))  # debits offer and room
        on = offered > 0  # the labs' held-back share (unless nothing moved), spare room
        labs = st.senders[on]
        if (offered - offer).sum() > 0:
            a.held[labs] += (offer[on] / offered[on] - a.held[labs]) * _loss_gain(sim)
        a.spare[rt.senders] = through
        is_route = a.kind[st.receivers] == ROUTE
        a.spare[st.receivers[is_route]] = room[is_route]
    st = rt
    offer, room = _offer_room(sim, st)
    moved, qty, sent = kernels.plan_afford(st.li, st.s_loc, st.d_loc, s.links.alive, offer,
                                           room, PASSES, st.ext, st.d_pay, st.s_kind,
                                           sim.wholesale, st.payers, a.cash)
    idx, shipments, base = _shipments(sent, st.senders, a.mode, sim.shipment_kg,
                                      sim.inspection, _screen(sim))
    routes = st.senders[idx]
    lost = np.zeros(st.senders.size)
    seized = np.zeros(0)
    if idx.size:
        (p_pow, n_o), (c_pow, n_b) = _route_counts(sim, routes)
        prob = 1.0 - np.exp(_exposure(base, p_pow, n_o, c_pow, n_b))
        k = sim.streams.binomial("shipping.seizure", sim.step, a.uid[routes], shipments, prob)
        seized = _seize(k, shipments, idx, sent, routes, lost, a.loss, _loss_gain(sim))
    kernels.apply(moved, qty, st.src, st.dst, st.s_loc, st.ext, st.s_kind, sim.wholesale,
                  lost, a.payer, a.product, a.cash, a.dirty, a.throughput)
    total = float(seized.sum())
    s.totals["seized_routes"] = s.totals.get("seized_routes", 0.0) + total
    sim.now["seized_routes_kg"] += total
    by_mode = np.bincount(a.mode[routes], weights=seized, minlength=len(MODES))
    for mode, x in zip(MODES, by_mode.tolist(), strict=True):
        sim.now[f"seized_{mode}_kg"] = x
    every = sim.topo.slots("route")
    shipped = np.bincount(a.mode[every], weights=a.throughput[every], minlength=len(MODES))
    for mode, x in zip(MODES, shipped.tolist(), strict=True):
        sim.now[f"shipped_{mode}_kg"] = x
    for name in ("marketplace", "trafficker", "dealer"):  # distribution's wholesale stages
        _plain_push(sim, sim.topo.stages[name])


def _push(sim, st):
    """A wholesale stage as the distribution phase runs it (kernels.push)."""
    if not st.size:
        return
    a = sim.s.actors
    kernels.push(st.senders, st.receivers.size, st.li, st.src, st.dst, st.s_loc, st.d_loc,
                 st.ext, st.d_pay, st.s_kind, st.payers, sim.s.links.alive, np.zeros(0),
                 a.alive, a.kind, a.capacity, sim.dt, sim.p.supply.stock_cover_years, ROUTE,
                 PASSES, sim.wholesale, a.payer, a.product, a.cash, a.dirty, a.throughput)


def fused_run(sim):
    shipping.run(sim)
    for name in ("marketplace", "trafficker", "dealer"):
        _push(sim, sim.topo.stages[name])


@pytest.fixture(scope="module")
def toy():
    sc = prepare("toy", years=1)
    return sc, build_network(sc)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("displacement", [True, False])
def test_fused_shipping_is_the_plain_phase_bit_for_bit(toy, seed, displacement):
    sc, net = toy
    if not displacement:
        sc = sc.override({"params.routes.displacement": False})
    sim = Sim(sc, net, seed)
    rng = np.random.default_rng(seed)
    a = sim.s.actors
    routes = sim.topo.slots("route")
    seizures = 0.0
    for step in range(8):
        sim.run_step()
        k = int(rng.integers(0, 30))
        for kind in ("protects", "fronts_for"):
            adaptation.add_links(sim, rng.integers(0, a.n, k), rng.choice(routes, k), kind)
        if step % 2:  # new shipping links: the stages grow
            labs, traffickers = sim.topo.slots("lab"), sim.topo.slots("trafficker")
            adaptation.add_links(sim, rng.choice(labs, 3), rng.choice(routes, 3), "ships")
            adaptation.add_links(sim, rng.choice(routes, 3), rng.choice(traffickers, 3), "ships")
        sim.topo.sync(sim.s)
        sim.s.links.alive[rng.random(sim.s.links.n) < 0.03] = False
        a.alive[rng.random(a.n) < 0.02] = False
        a.loss[routes] = rng.random(routes.size) * (step % 3)
        a.product[:] *= rng.random(a.n) * 2  # stocks off their steady state
        sim.efforts.anti_corruption = float(rng.choice([0.0, rng.random() * 3]))
        for mode in MODES:
            sim.efforts.screen[mode] = float(rng.choice([1.0, 1.0 + 2000 * rng.random()]))
        # one mode screened hard every step, so that the draws seize something (on seed 0
        # without displacement they seized 8.5e-19 kg in all before routes' room was
        # water-filled, and nothing after)
        hard = MODES[step % len(MODES)]
        sim.efforts.screen[hard] = max(sim.efforts.screen[hard], 500.0)
        sim.now.clear()
        plain, fused = copy.deepcopy(sim), copy.deepcopy(sim)
        plain_run(plain)
        fused_run(fused)
        fused_run(sim)  # the run's own kept arrays, made in earlier steps
        same(sim.s.actors.product, fused.s.actors.product)
        for col in a.columns:
            if a._cols[col].dtype != object:
                same(getattr(plain.s.actors, col), getattr(fused.s.actors, col))
        assert plain.s.totals == fused.s.totals
        assert list(plain.now.items()) == list(fused.now.items())
        seizures += plain.now["seized_routes_kg"]
    assert seizures > 0  # the draws were exercised
