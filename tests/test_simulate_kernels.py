"""The compiled structure of a step: stages and incidence against brute force, the stage
transfer against a plain reference of the same rule, recruits' closure ties."""

from __future__ import annotations

import numpy as np
import pytest

from fentanet.simulate import kernels
from fentanet.simulate.loop import Sim
from fentanet.simulate.phases import adaptation, enforcement
from fentanet.simulate.scenario import Scenario
from fentanet.simulate.state import KIND, LKIND
from fentanet.simulate.topology import TAIL_MAX, Stage, Topology
from simkit import supply_network

NET = supply_network()


@pytest.fixture
def sim():
    sc = Scenario.model_validate({"name": "k", "network": {"file": "x"}, "years": 0.2,
                                  "warmup_years": 0.0})
    return Sim(sc, NET, 1)


def reference_plan(src, dst, ok, weight, pref, offer, room, passes, pull):
    """The stage rule written plainly over slots (the engine's rule before it was
    compiled per stage): offers split by room * pref (or weight in a first push pass),
    receivers scaled to their room, leftovers re-offered."""
    qty = np.zeros(src.size)
    left, space = offer.astype(float).copy(), room.astype(float).copy()
    for it in range(passes):
        w = np.zeros(src.size)
        for k in range(src.size):
            if ok[k] and left[src[k]] > 0 and space[dst[k]] > 0:
                w[k] = space[dst[k]] * pref[k] if pull or it > 0 else weight[k]
        if not (w > 0).any():
            break
        wsum = np.zeros(offer.size)
        for k in range(src.size):
            wsum[src[k]] += w[k]
        o = np.zeros(src.size)
        offered = np.zeros(room.size)
        for k in range(src.size):
            if w[k] > 0:
                o[k] = left[src[k]] * w[k] / wsum[src[k]]
                offered[dst[k]] += o[k]
        for k in range(src.size):
            if o[k] > 0 and space[dst[k]] / offered[dst[k]] < 1:
                o[k] *= space[dst[k]] / offered[dst[k]]
        qty += o
        for k in range(src.size):
            if o[k] > 0:
                left[src[k]] = max(left[src[k]] - o[k], 0.0)
                space[dst[k]] = max(space[dst[k]] - o[k], 0.0)
        if o.sum() <= 0:
            break
    return qty


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("pull", [True, False])
def test_plan_is_the_plain_rule_bit_for_bit(seed, pull):
    rng = np.random.default_rng(seed)
    ns, nr, m = 7, 9, 40
    src, dst = rng.integers(0, ns, m), rng.integers(0, nr, m)
    ok = rng.random(m) < 0.85
    offer = np.where(rng.random(ns) < 0.8, rng.random(ns) * 5, 0.0)
    room = np.where(rng.random(nr) < 0.8, rng.random(nr) * 3, 0.0)
    weight, pref = rng.random(m) + 0.1, rng.random(m) + 0.1
    want = reference_plan(src, dst, ok, weight, pref, offer, room, 3, pull)
    moved, q = kernels.plan(np.arange(m), src, dst, ok, weight, pref, offer, room, 3, pull)
    np.testing.assert_array_equal(moved, np.flatnonzero(want > 0))
    qty = np.zeros(m)
    qty[moved] = q
    np.testing.assert_array_equal(qty, want)
    # nothing sent beyond offers, nothing received beyond room
    assert (np.bincount(src, qty, ns) <= offer + 1e-12).all()
    assert (np.bincount(dst, qty, nr) <= room + 1e-12).all()


def _random_stage(rng):
    """A random stage of 60 links between 8 senders and 12 receivers among 30 actors (some
    actors both send and receive) with 5 payers: sizes, ends, local numbers, payers, kinds,
    prices, link indices and which links are alive."""
    n, ns, nr, m, npay = 30, 8, 12, 60, 5
    senders = rng.choice(n, ns, replace=False)
    receivers = rng.choice(n, nr, replace=False)
    s_loc = rng.integers(0, ns, m).astype(np.int32)
    d_loc = rng.integers(0, nr, m).astype(np.int32)
    src, dst = senders[s_loc].astype(np.int32), receivers[d_loc].astype(np.int32)
    payer = rng.integers(0, npay, n).astype(np.int32)
    payers = np.unique(payer[dst])
    d_pay = np.searchsorted(payers, payer[dst]).astype(np.int32)
    ext = payer[src] != payer[dst]
    s_kind = rng.integers(0, 3, m).astype(np.int8)
    price = np.array([1.0, 2.5, 0.7])
    li = np.arange(m, dtype=np.int32)
    ok = rng.random(m) < 0.9
    return (n, ns, nr, m, src, dst, s_loc, d_loc, payer, payers, d_pay, ext, s_kind, price,
            li, ok)


@pytest.mark.parametrize("seed", range(6))
def test_transfer_is_plan_afford_apply_bit_for_bit(seed):
    """The fused stage (passes, bills, cash limits, moves) gives what the three kernels
    give one after the other, to the last bit: stocks, cash, revenue and throughput."""
    rng = np.random.default_rng(seed)
    n, ns, nr, m, src, dst, s_loc, d_loc, payer, payers, d_pay, ext, s_kind, price, li, ok = (
        _random_stage(rng))
    pref = rng.random(m) + 0.1 if seed % 2 else np.zeros(0)
    offer = np.where(rng.random(ns) < 0.8, rng.random(ns) * 5, 0.0)
    room = np.where(rng.random(nr) < 0.8, rng.random(nr) * 3, 0.0)
    product = rng.random(n) * 4
    cash = rng.random(n) * (3.0 if seed < 3 else 30.0)  # cash binds, or not
    dirty, thr = rng.random(n), np.zeros(n)
    want = [x.copy() for x in (product, cash, dirty, thr)]
    moved, q = kernels.plan(li, s_loc, d_loc, ok, pref[:0], pref, offer, room, 3, True)
    kernels.afford(moved, q, ext, d_pay, s_kind, price, payers, want[1])
    kernels.apply(moved, q, src, dst, s_loc, ext, s_kind, price, np.zeros(0), payer, *want)
    got = [x.copy() for x in (product, cash, dirty, thr)]
    kernels.transfer(li, src, dst, s_loc, d_loc, ext, d_pay, s_kind, payers, ok, pref,
                     offer.copy(), room.copy(), 3, price, payer, *got)
    assert q.size > 0
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("seed", range(6))
def test_plan_afford_is_plan_afford_and_sent_bit_for_bit(seed):
    """The route stage's fused kernel (passes, bills, cash limits, totals per sender) gives
    what plan, afford and sent_by_sender give one after the other, to the last bit; its
    links that carry nothing (quantity 0.0) move nothing in apply."""
    rng = np.random.default_rng(seed)
    n, ns, nr, m, src, dst, s_loc, d_loc, payer, payers, d_pay, ext, s_kind, price, li, ok = (
        _random_stage(rng))
    offer = np.where(rng.random(ns) < 0.8, rng.random(ns) * 5, 0.0)
    room = np.where(rng.random(nr) < 0.6, rng.random(nr) * 3, 0.0)
    cash = rng.random(n) * (3.0 if seed < 3 else 30.0)  # cash binds, or not
    moved, q = kernels.plan(li, s_loc, d_loc, ok, offer[:0], offer[:0], offer, room, 3, True)
    cash[payers[d_pay[moved[ext[moved]][:2]]]] = 0.0  # payers without cash buy nothing
    kernels.afford(moved, q, ext, d_pay, s_kind, price, payers, cash)
    sent = kernels.sent_by_sender(moved, q, s_loc, ns)
    first, q2, sent2 = kernels.plan_afford(li, s_loc, d_loc, ok, offer.copy(), room.copy(), 3,
                                           ext, d_pay, s_kind, price, payers, cash)
    assert q.size > 0 and (q2 == 0.0).any()  # some links in play carry nothing
    np.testing.assert_array_equal(sent2, sent)
    want_q, got_q = np.zeros(m), np.zeros(m)
    want_q[moved], got_q[first] = q, q2
    np.testing.assert_array_equal(got_q, want_q)
    lost = np.where(rng.random(ns) < 0.5, rng.random(ns) * 0.3, 0.0)
    state = [rng.random(n) * 4, cash.copy(), rng.random(n), np.zeros(n)]
    want, got = [x.copy() for x in state], [x.copy() for x in state]
    a = kernels.apply(moved, q, src, dst, s_loc, ext, s_kind, price, lost, payer, *want)
    b = kernels.apply(first, q2, src, dst, s_loc, ext, s_kind, price, lost, payer, *got)
    assert a == b
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("pref, room", [
    ([np.nan, 1.0], [1.0, 1.0]), ([np.inf, 1.0], [1.0, 1.0]), ([1.0, 1.0], [np.inf, 1.0])])
def test_transfer_moves_no_nan(pref, room):
    """A NaN quantity (from a non-finite preference or room) moves nothing, as plan drops
    it: no NaN reaches stocks, cash, revenue or throughput, and the result is the three
    kernels' one after the other."""
    li = np.arange(2, dtype=np.int32)
    s_loc = np.zeros(2, dtype=np.int32)
    d_loc = np.arange(2, dtype=np.int32)
    src, dst = np.zeros(2, dtype=np.int32), np.array([1, 2], dtype=np.int32)
    ext, d_pay = np.ones(2, dtype=bool), np.zeros(2, dtype=np.int32)
    s_kind, price = np.zeros(2, dtype=np.int8), np.array([2.0])
    payer, payers = np.array([0, 1, 1], dtype=np.int32), np.array([1])
    ok, pref, room = np.ones(2, dtype=bool), np.array(pref), np.array(room)
    state = [np.array([5.0, 0.0, 0.0]), np.array([0.0, 10.0, 0.0]), np.zeros(3), np.zeros(3)]
    want = [x.copy() for x in state]
    moved, q = kernels.plan(li, s_loc, d_loc, ok, pref[:0], pref, np.array([1.0]), room, 3,
                            True)
    kernels.afford(moved, q, ext, d_pay, s_kind, price, payers, want[1])
    kernels.apply(moved, q, src, dst, s_loc, ext, s_kind, price, np.zeros(0), payer, *want)
    got = [x.copy() for x in state]
    kernels.transfer(li, src, dst, s_loc, d_loc, ext, d_pay, s_kind, payers, ok, pref,
                     np.array([1.0]), room.copy(), 3, price, payer, *got)
    for g, w in zip(got, want, strict=True):
        assert np.isfinite(g).all()
        np.testing.assert_array_equal(g, w)


def test_afford_scales_each_payer_to_its_cash():
    qty = np.array([2.0, 2.0, 1.0, 4.0])
    ext = np.array([True, True, True, False])
    d_pay = np.array([0, 0, 1, 1])
    s_kind = np.zeros(4, dtype=np.int8)
    cash = np.array([3.0, 10.0])
    kernels.afford(np.arange(4), qty, ext, d_pay, s_kind, np.array([1.0]), np.array([0, 1]),
                   cash)
    # payer 0 owes 4 with cash 3: buys 3/4 of each order; payer 1 owes 1: buys all;
    # the last link is within one payer: free
    np.testing.assert_allclose(qty, [1.5, 1.5, 1.0, 4.0])


def brute_stage(sim, sender_kinds, link_kinds, receiver_not):
    a, ln = sim.s.actors, sim.s.links
    m = (np.isin(ln.kind, link_kinds) & np.isin(a.kind[ln.src], sender_kinds)
         & ~np.isin(a.kind[ln.dst], receiver_not))
    return np.flatnonzero(m)


def test_stages_extend_as_links_and_actors_are_appended(sim):
    topo = sim.topo
    st = topo.stages["lab"]
    before = st.size
    a = sim.s.actors
    lab = int(np.flatnonzero(a.kind == KIND["lab"])[0])
    routes = np.flatnonzero(a.kind == KIND["route"])[:2]
    slot = int(a.append(kind=np.array([KIND["lab"]], dtype=np.int8), uid=np.array([999]),
                        alive=np.array([True]), org=np.array([-1]), payer=np.array([a.n]),
                        capacity=np.array([5.0]))[0])
    sim.s.market_of = np.append(sim.s.market_of, -1)
    adaptation.add_links(sim, [slot, slot, lab], [routes[0], routes[1], routes[0]], "ships")
    topo.sync(sim.s)
    want = brute_stage(sim, (KIND["lab"],), (LKIND["ships"], LKIND["distributes"],
                                             LKIND["flow"]), (KIND["market"],))
    assert st.size == before + 3
    np.testing.assert_array_equal(st.li, want)
    ln = sim.s.links
    np.testing.assert_array_equal(st.senders[st.s_loc], ln.src[want])
    np.testing.assert_array_equal(st.receivers[st.d_loc], ln.dst[want])
    np.testing.assert_array_equal(st.payers[st.d_pay], a.payer[ln.dst[want]])
    np.testing.assert_array_equal(st.ext, a.payer[ln.src[want]] != a.payer[ln.dst[want]])
    # a stage built from scratch now numbers the same links alike
    fresh = Stage((KIND["lab"],), (LKIND["ships"], LKIND["distributes"], LKIND["flow"]))
    fresh.extend(sim.s)
    np.testing.assert_array_equal(fresh.senders[fresh.s_loc], st.senders[st.s_loc])
    # the slots of each kind take in the entrant, ascending
    for name, code in KIND.items():
        np.testing.assert_array_equal(topo.slots(name), np.flatnonzero(a.kind == code))
    # organizations' local numbers extended in their buffers are those built from scratch
    whole = Topology(sim.s)
    for name in ("org_ids", "org_loc", "member_org"):
        np.testing.assert_array_equal(getattr(topo, name), getattr(whole, name), err_msg=name)
    assert topo.member_org.size == topo.org_loc.size == a.n
    # ties alone leave every flow stage as it was (they are skipped by kind)
    sizes = {k: v.size for k, v in topo.stages.items()}
    adaptation.add_links(sim, [lab], [slot], "tie")
    topo.sync(sim.s)
    assert {k: v.size for k, v in topo.stages.items()} == sizes
    assert all(v.upto == sim.s.links.n for v in topo.stages.values())


def test_organization_numbers_grow_past_their_buffers(sim):
    """Organizations with members appended beyond the buffers' room: the local numbers
    are those a topology built from scratch gives."""
    topo, a = sim.topo, sim.s.actors
    for _ in range(3):
        k = 700
        first = a.n
        a.append(kind=np.full(k, KIND["organization"], dtype=np.int8),
                 uid=np.arange(k) + 10**6 + first, alive=np.ones(k, dtype=bool),
                 org=np.full(k, -1), payer=first + np.arange(k))
        a.append(kind=np.full(k, KIND["dealer"], dtype=np.int8), uid=np.arange(k) + 10**7 + first,
                 alive=np.ones(k, dtype=bool), org=first + np.arange(k),
                 payer=first + np.arange(k))
        # and one organization no member names (yet): numbered as from scratch
        a.append(kind=np.array([KIND["organization"]], dtype=np.int8),
                 uid=np.array([10**8 + first]), alive=np.array([True]), org=np.array([-1]),
                 payer=np.array([a.n]))
        sim.s.market_of = np.append(sim.s.market_of, np.full(2 * k + 1, -1))
        topo.sync(sim.s)
        assert topo.org_loc[a.n - 1] >= 0
        whole = Topology(sim.s)
        for name in ("org_ids", "org_loc", "member_org"):
            np.testing.assert_array_equal(getattr(topo, name), getattr(whole, name),
                                          err_msg=name)
        for name, code in KIND.items():
            np.testing.assert_array_equal(topo.slots(name), np.flatnonzero(a.kind == code))
    assert topo.member_org.size == a.n > 4000 and (topo.member_org >= 0).sum() > 2000


def test_links_of_slots_finds_rows_and_the_tail(sim):
    ln = sim.s.links
    rng = np.random.default_rng(3)
    n = sim.s.actors.n
    adaptation.add_links(sim, rng.integers(0, n, 50), rng.integers(0, n, 50), "tie")
    inc = sim.topo.incidence
    assert inc.m0 < ln.n <= inc.m0 + TAIL_MAX  # the new links sit in the tail
    slots = np.array([0, 5, 17, n - 1])
    got = enforcement.links_of_slots(slots, *inc.parts(sim.s))
    want = np.flatnonzero(np.isin(ln.src, slots) | np.isin(ln.dst, slots))
    np.testing.assert_array_equal(np.unique(got), want)
    # per slot: its links in link order, a loop once in the tail
    adaptation.add_links(sim, [5, 17], [5, 0], "tie")
    for v in slots:
        got = enforcement.links_of_slots(np.array([v]), *inc.parts(sim.s))
        mine = (ln.src == v) | (ln.dst == v)
        head = np.flatnonzero(mine[: inc.m0])
        head = np.sort(np.concatenate([head, head[ln.src[head] == ln.dst[head]]]))
        np.testing.assert_array_equal(got, np.concatenate([head,
                                                           inc.m0 + np.flatnonzero(mine[inc.m0:])]))


def test_recruits_tie_to_friends_of_friends_with_keyed_draws(sim):
    a, ln = sim.s.actors, sim.s.links
    ties = ln.kind == LKIND["tie"]
    person = np.flatnonzero(np.bincount(ln.src[ties], minlength=a.n) > 0)
    slots = person[:6]
    args = (*adaptation.tie_neighbours(sim).parts(sim.s), a.alive, a.uid,
            sim.streams.prefix("adaptation.rewire", 4))
    src, dst = adaptation._closure(slots, 2, *args)
    assert src.size > 0
    nb = {v: set(ln.dst[ties & (ln.src == v)]) | set(ln.src[ties & (ln.dst == v)])
          for v in range(a.n)}
    for v, w in zip(src, dst, strict=True):
        assert w != v and w not in nb[v]
        assert any(w in nb[x] for x in nb[v])  # a neighbour of a neighbour
    # the same recruits and step give the same ties; another step others
    again = adaptation._closure(slots, 2, *args)
    np.testing.assert_array_equal(again[1], dst)
    other = adaptation._closure(slots, 2, *args[:-1], sim.streams.prefix("adaptation.rewire", 5))
    assert not np.array_equal(other[1], dst)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("in_runs", [True, False])
def test_retail_is_one_pass_of_the_plan_rule_bit_for_bit(seed, in_runs):
    """The fused retail loop sells what one pass of :func:`kernels.plan` (no pull, split by
    weight) sells, and prices see each alive seller's offer split over its alive links;
    with each seller's links consecutive (one loop per seller) or not (a loop over every
    link first)."""
    from fentanet.simulate.phases.distribution import _retail

    rng = np.random.default_rng(seed)
    n_snd, n_mk, m = 30, 4, 70
    n = n_snd + n_mk  # slots: sellers, then markets
    s_loc = rng.integers(0, n_snd, m).astype(np.int32)
    if in_runs:
        s_loc.sort()
    d_loc = rng.integers(0, n_mk, m).astype(np.int32)
    src, dst = s_loc.copy(), (n_snd + d_loc).astype(np.int32)
    li = np.arange(m, dtype=np.int32)
    link_alive = rng.random(m) < 0.9
    alive = rng.random(n) < 0.9
    kind = np.zeros(n, dtype=np.int8)
    online = np.zeros(n, dtype=bool)
    capacity = rng.random(n) * 5
    product = np.where(rng.random(n) < 0.6, rng.random(n) * 3, 0.0)
    market_of = np.full(n, -1, dtype=np.int32)
    market_of[n_snd:] = np.arange(n_mk)
    demand = rng.random(n_mk) * 20
    price = 1 + rng.random(n_mk)
    w = rng.random(m) + 0.1
    s_pay = (s_loc % 5).astype(np.int32)
    senders, receivers = np.arange(n_snd), np.arange(n_snd, n)
    s_payers = np.arange(n, n + 5)
    thr, dirty = np.zeros(n + 5), np.zeros(n + 5)
    prod = product.copy()
    offered, consumed, revenue = _retail(
        li, src, dst, s_loc, d_loc, s_pay, w, senders, receivers, s_payers, link_alive,
        alive, kind, online, capacity, prod, thr, dirty, market_of, demand, price, 1.0, 1.0,
        2.0, 9, n_mk)
    offer = np.minimum(product[:n_snd], capacity[:n_snd])
    sell = np.where(alive[:n_snd], offer, 0.0)
    room = np.where(alive[n_snd:], demand, 0.0)
    moved, q = kernels.plan(li, s_loc, d_loc, link_alive, w, w[:0], sell, room, 1, False)
    want = np.zeros(n_mk)
    for k, x in zip(moved, q, strict=True):
        want[d_loc[k]] += x
    np.testing.assert_array_equal(consumed, want)
    assert revenue == pytest.approx(float((q * price[d_loc[moved]] * 2.0).sum()), rel=1e-12)
    np.testing.assert_allclose(prod[:n_snd] + thr[:n_snd], product[:n_snd], rtol=1e-12)
    assert (consumed <= room + 1e-12).all()
    ok = link_alive & alive[src] & alive[dst]
    share = np.zeros(m)
    for k in np.flatnonzero(ok):
        share[k] = w[k] / w[ok & (s_loc == s_loc[k])].sum()
    want_offered = np.bincount(d_loc, offer[s_loc] * share, n_mk)
    np.testing.assert_allclose(offered, want_offered, rtol=1e-12)


def test_default_roles_first_member_leads_and_the_next_two_are_lieutenants():
    from fentanet.simulate.state import _default_roles

    org = np.array([0, 0, 0, 0, 1, 1, -1, 2, 2], dtype=np.int32)
    role = np.array([0, 1, 0, 0, 2, 0, 0, 0, 0], dtype=np.int8)
    _default_roles(org, role)
    # organization 0 gets a leader (its first member) and lieutenants (the next two; one
    # already was); organization 1 has its leader; 2 is led by its first member
    np.testing.assert_array_equal(role, [2, 1, 1, 0, 2, 0, 0, 2, 1])


@pytest.mark.parametrize("seed", range(3))
def test_retail_with_kept_seller_sums_matches_the_plain_loop_as_things_change(seed):
    """:class:`SellerSums` (kept between calls, recomputed for what changed) with
    :func:`_retail_summed` give bit for bit what :func:`_retail` computes from scratch,
    call after call, while sellers, markets and links die and come back, links outside
    the stage change, a market has no demand, and actors and links are appended (to the
    stage or not)."""
    from types import SimpleNamespace

    from fentanet.simulate.phases.distribution import SellerSums, _retail, _retail_summed
    from simkit import seller_sums_now

    rng = np.random.default_rng(seed)
    n_snd, n_mk, n_other = 40, 5, 11
    n = n_snd + n_mk + n_other  # slots: sellers, markets, actors outside the stage
    m_all = 400  # links; the first 150 in the stage, then others, room to append
    s_loc = rng.integers(0, n_snd, m_all).astype(np.int32)
    d_loc = rng.integers(0, n_mk, m_all).astype(np.int32)
    src = s_loc.copy()
    dst = (n_snd + d_loc).astype(np.int32)
    outside = np.arange(150, 260)  # links of the sellers to actors outside the stage
    dst[outside] = n_snd + n_mk + rng.integers(0, n_other, outside.size)
    w = np.where(rng.random(m_all) < 0.1, 1e-12, rng.random(m_all) + 0.1)
    s_pay = (s_loc % 5).astype(np.int32)
    cap = 2 * n  # room for appended actors
    kind = np.zeros(cap, dtype=np.int8)
    kind[rng.random(cap) < 0.2] = 9  # marketplaces
    online = rng.random(cap) < 0.2
    capacity = rng.random(cap) * 5
    product = np.where(rng.random(cap) < 0.6, rng.random(cap) * 3, 0.0)
    market_of = np.full(cap, -1, dtype=np.int32)
    market_of[n_snd:n_snd + n_mk] = np.arange(n_mk)
    price = 1 + rng.random(n_mk)
    link_alive = np.ones(m_all, dtype=bool)
    alive = np.ones(cap, dtype=bool)
    senders, receivers = np.arange(n_snd), np.arange(n_snd, n_snd + n_mk)
    s_payers = np.arange(n, n + 5)
    s_map = np.full(cap, -1, dtype=np.int64)
    s_map[:n_snd] = np.arange(n_snd)
    d_map = np.full(cap, -1, dtype=np.int64)
    d_map[n_snd:n_snd + n_mk] = np.arange(n_mk)
    thr, dirty = np.zeros(cap), np.zeros(cap)
    stage = [k for k in range(150)]
    n_links, n_act = 260, n
    st = SimpleNamespace()
    sums = SellerSums(st)
    checked_dry = 0
    for call in range(12):
        li = np.array(stage, dtype=np.int32)
        st.size, st.li, st.src, st.dst, st.s_loc = li.size, li, src[li], dst[li], s_loc[li]
        st.w, st.s_map, st.d_map = w[li], s_map, d_map
        st.senders, st.receivers = senders, receivers
        demand = rng.random(n_mk) * 20
        if call % 4 == 3:
            demand[rng.integers(n_mk)] = 0.0  # an alive market without demand
            checked_dry += 1
        la, al = link_alive[:n_links], alive[:n_act]
        args = (st.s_loc, d_loc[li], s_pay[li], st.w, senders, receivers, s_payers)
        tail = (kind, online, capacity)
        want_p, want_t, want_d = product.copy(), thr.copy(), dirty.copy()
        want = _retail(li, st.src, st.dst, *args, la, al, *tail, want_p, want_t, want_d,
                       market_of, demand, price, 0.5, 0.8, 2.0, 9, n_mk)
        got_p, got_t, got_d = product.copy(), thr.copy(), dirty.copy()
        kept = seller_sums_now(sums, la, src[:n_links], al)
        got = _retail_summed(*kept, st.src, *args, al, *tail, got_p, got_t, got_d, market_of,
                             demand, price, 0.5, 0.8, 2.0, 9, n_mk)
        for x, y in zip((*want[:2], want_p, want_t, want_d), (*got[:2], got_p, got_t, got_d),
                        strict=True):
            np.testing.assert_array_equal(y, x)
        assert got[2] == want[2]
        assert want[1].sum() > 0  # something was sold
        product += rng.random(cap) * 0.5
        # between calls: deaths and returns of sellers, links (in the stage or not), now
        # and then a market, and appended actors and links
        alive[rng.integers(0, n_act, 3)] = False
        alive[rng.integers(0, n_snd, 2)] = True
        link_alive[rng.integers(0, n_links, 6)] = False
        link_alive[rng.integers(0, n_links, 3)] = True
        if call == 5:
            alive[n_snd + 1] = False
        if call == 8:
            alive[n_snd + 1] = True
        if call in (2, 6):  # an actor and links appended, two of them to the stage
            n_act += 1
            s_map[n_act - 1] = -1
            stage += [n_links, n_links + 2]
            n_links += 3
        if call == 9:  # links appended outside the stage only
            n_links += 4
    assert checked_dry == 3


def test_np_sum_is_numpys_sum_bit_for_bit():
    """``kernels.np_sum`` against ``ndarray.sum`` (NumPy's pairwise sum from 0.0), bit for
    bit: every length up to 300 (each branch of the pairwise sum and its bounds, 8 and 128)
    and longer ones, values over many magnitudes with signed zeros, infinities and NaN."""
    rng = np.random.default_rng(19)
    lengths = [*range(301), 1000, 1023, 1024, 1025, 4096 + 7, 8192, 8193, 70_001]
    for n in lengths:
        a = rng.normal(0, 1, n) * 10.0 ** rng.integers(-8, 9, n)
        if n % 3 == 0:
            a[rng.random(n) < 0.3] = -0.0
        for x in (a, -np.abs(a)):
            assert np.float64(kernels.np_sum(x)).tobytes() == x.sum().tobytes(), n
    for special in (np.inf, -np.inf, np.nan):
        a = rng.normal(0, 1, 50)
        a[17] = special
        assert np.float64(kernels.np_sum(a)).tobytes() == a.sum().tobytes()
    assert np.float64(kernels.np_sum(np.array([-0.0]))).tobytes() == np.float64(0.0).tobytes()


def test_distribution_returns_numpys_demand_and_sums():
    """The distribution phase's demand (made in its compiled call) and the sums it records
    against NumPy's products and sums of the same arrays, as the phase computed them in
    Python before: the demand at the base price ``demand0 * users_ratio * dt``, the demand
    that times ``price ** -elasticity``, ``supply_kg`` and ``demand_kg``; over steps whose
    prices and people using moved."""
    from fentanet.simulate.phases import distribution
    from fentanet.simulate.run import build_network, prepare

    sc = prepare("toy", years=0.3)
    sim = Sim(sc, build_network(sc), 2)
    for _ in range(8):
        sim.run_step()
        s, f = sim.s, sim.flows
        # the phase again, on the prices and people using the step left
        price, ratio = s.price.copy(), sim.users_ratio.copy()
        sim.now.clear()
        distribution.run(sim)
        base = s.demand0 * ratio * sim.dt
        demand = base * price ** (-sim.p.market.elasticity)
        assert f["demand_base"].tobytes() == base.tobytes()
        assert f["demand"].tobytes() == demand.tobytes()
        assert np.float64(sim.now["demand_kg"]).tobytes() == demand.sum().tobytes()
        assert np.float64(sim.now["supply_kg"]).tobytes() == f["consumed"].sum().tobytes()
    assert (price != 1.0).any() and (ratio != 1.0).any()
