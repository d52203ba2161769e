"""Shipping's route protection and exposure (counts of both support stages in one compiled
pass, powers from a table of NumPy powers) against the plain NumPy formulas bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from fentanet.simulate.loop import Sim
from fentanet.simulate.phases import adaptation, shipping
from fentanet.simulate.run import build_network, prepare


@pytest.fixture(scope="module")
def toy():
    sc = prepare("toy", years=1)
    return sc, build_network(sc)


def plain_exposure(sim, routes, base):
    """The formulas as NumPy wrote them before: counts per stage, powers over the routes."""
    p = sim.p
    prot_x = p.routes.protection_per_official * np.exp(-sim.efforts.anti_corruption)
    officials = shipping.count_of(sim, "protects", routes)
    businesses = shipping.count_of(sim, "fronts_for", routes)
    protection = 1.0 - (1.0 - prot_x) ** officials
    cover = 1.0 - (1.0 - p.routes.cover_per_business) ** businesses
    return protection, cover, base * (1.0 - protection) * (1.0 - cover)


@pytest.mark.parametrize("seed", range(4))
def test_route_exposure_is_the_plain_formula_bit_for_bit(toy, seed):
    sim = Sim(*toy, seed)
    rng = np.random.default_rng(seed)
    a = sim.s.actors
    routes_all = sim.topo.slots("route")
    for step in range(5):
        # more officials and businesses on random routes (up to dozens per route), some
        # links and actors gone, another anti-corruption effort
        k = int(rng.integers(0, 60))
        for kind in ("protects", "fronts_for"):
            adaptation.add_links(sim, rng.integers(0, a.n, k), rng.choice(routes_all, k), kind)
        sim.topo.sync(sim.s)
        sim.s.links.alive[rng.random(sim.s.links.n) < 0.1] = False
        a.alive[rng.random(a.n) < 0.05] = False
        sim.efforts.anti_corruption = float(rng.choice([0.0, rng.random() * 3]))
        # any slots: routes with and without support links, repeated, and non-routes
        routes = np.concatenate([rng.permutation(routes_all), rng.integers(0, a.n, 7)])
        base = -rng.random(routes.size) * 4
        protection, cover, want = plain_exposure(sim, routes, base)
        got_p, got_c = shipping.route_protection(sim, routes)
        (p_pow, n_o), (c_pow, n_b) = shipping._route_counts(sim, routes)
        got = shipping._exposure(base, p_pow, n_o, c_pow, n_b)
        for g, w in ((got_p, protection), (got_c, cover), (got, want)):
            np.testing.assert_array_equal(g.view(np.uint64), w.view(np.uint64))
        assert n_o.max() > 1 or step == 0
