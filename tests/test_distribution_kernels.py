"""The distribution phase's kernels after the thirteenth session's speed-ups against the
kernels they replace (the wholesale stages' kept in tests/distribution_plain.py; retail's
against :func:`~fentanet.simulate.phases.distribution._retail`, the rule from scratch),
bit for bit: on random stages and on the states real runs reach where the distribution
phase starts (us-baseline; the toy with every intervention)."""

from __future__ import annotations

import numpy as np
import pytest

import distribution_plain as plain
from fentanet.simulate import kernels
from fentanet.simulate.phases.distribution import (
    SellerSums,
    _diff,
    _retail,
    _retail_summed,
    _words,
)
from fentanet.simulate.phases.shipping import PASSES, ROUTE
from fentanet.simulate.state import KIND
from simkit import new_sim, same, seller_sums_now, states_at


def random_stage(rng):
    """A stage of 80 links between 9 senders and 14 receivers among 30 actors (some both
    send and receive, some routes), with payers, kinds, prices, stocks and cash; some links,
    actors and offers gone, stocks above their target (no room)."""
    n, ns, nr, m, npay = 30, 9, 14, 80, 5
    senders = rng.choice(n, ns, replace=False)
    receivers = rng.choice(n, nr, replace=False)
    s_loc = rng.integers(0, ns, m).astype(np.int32)
    d_loc = np.concatenate([np.arange(nr), rng.integers(0, nr, m - nr)]).astype(np.int32)
    rng.shuffle(d_loc)  # every receiver has a link, as a stage's
    src, dst = senders[s_loc].astype(np.int32), receivers[d_loc].astype(np.int32)
    payer = rng.integers(0, npay, n).astype(np.int32)
    payers = np.unique(payer[dst])
    d_pay = np.searchsorted(payers, payer[dst]).astype(np.int32)
    return {
        "senders": senders.astype(np.int64), "receivers": receivers.astype(np.int64),
        "li": rng.permutation(2 * m)[:m].astype(np.int32), "src": src, "dst": dst,
        "s_loc": s_loc, "d_loc": d_loc, "ext": payer[src] != payer[dst], "d_pay": d_pay,
        "s_kind": rng.integers(0, 3, m).astype(np.int8), "payers": payers.astype(np.int64),
        "link_alive": rng.random(2 * m) < 0.9, "alive": rng.random(n) < 0.9,
        "kind": np.where(rng.random(n) < 0.3, ROUTE, 1).astype(np.int8),
        "capacity": rng.random(n) * 10 * (rng.random(n) < 0.95), "price": np.array([1.0, 2.5, 0.7]),
        "payer": payer, "product": rng.random(n) * 12 * (rng.random(n) < 0.8),
        "cash": rng.random(n) * rng.choice([3.0, 30.0]), "dirty": rng.random(n),
        "throughput": rng.random(n)}


STOCKS = ("product", "cash", "dirty", "throughput")


def check_push(st: dict, pref, dt: float, cover: float) -> int:
    """kernels.push on the stage ``st`` against the plain offer_room then transfer (and the
    new transfer on the plain offers and rooms): every stock, cash and revenue bit for bit.
    Returns how many actors' stocks the stage changed."""
    args = (st["alive"], st["kind"], st["capacity"], st["product"], dt, cover, ROUTE)
    offer, room = plain.offer_room(st["senders"], st["receivers"], *args)
    got_offer, got_room = kernels.offer_room(st["senders"], st["receivers"], *args)
    same(got_offer, offer)
    same(got_room, room)
    stage = tuple(st[k] for k in ("li", "src", "dst", "s_loc", "d_loc", "ext", "d_pay",
                                  "s_kind", "payers"))
    want = [st[k].copy() for k in STOCKS]
    plain.transfer(*stage, st["link_alive"], pref, offer.copy(), room.copy(), PASSES,
                   st["price"], st["payer"], *want)
    got = [st[k].copy() for k in STOCKS]
    kernels.transfer(*stage, st["link_alive"], pref, offer.copy(), room.copy(), PASSES,
                     st["price"], st["payer"], *got)
    for g, w in zip(got, want, strict=True):
        same(g, w)
    got = [st[k].copy() for k in STOCKS]
    kernels.push(st["senders"], st["receivers"].size, *stage, st["link_alive"], pref,
                 st["alive"], st["kind"], st["capacity"], dt, cover, ROUTE, PASSES, st["price"],
                 st["payer"], *got)
    for g, w in zip(got, want, strict=True):
        same(g, w)
    if not pref.size:  # the phase's push_into, on scratch holding garbage
        check_push_into(st, stage, dt, cover, want)
    return int((want[0] != st["product"]).sum())


def check_push_into(st: dict, stage: tuple, dt: float, cover: float, want: list) -> None:
    """kernels.push_into (scratch kept by the caller, written for no preference) gives
    ``want``, push's stocks, cash and revenue, bit for bit, whatever its scratch held
    (NaN, huge values, another stage's numbers) and however much longer it is."""
    f_n, i_n = kernels.push_scratch_sizes(st["li"].size, st["senders"].size,
                                          st["receivers"].size, st["payers"].size)
    rng = np.random.default_rng(f_n)
    for f_scr, i_scr in ((np.full(f_n, np.nan), np.full(i_n, -1, dtype=np.int32)),
                         (rng.random(f_n + 37) * 1e300, rng.integers(-9, 9, i_n + 11)
                          .astype(np.int32))):
        for _ in range(2):  # twice on the same scratch: what the first call left is not read
            got = [st[k].copy() for k in STOCKS]
            kernels.push_into(st["senders"], st["receivers"].size, *stage, st["link_alive"],
                              st["alive"], st["kind"], st["capacity"], dt, cover, ROUTE,
                              PASSES, st["price"], st["payer"], *got, f_scr, i_scr)
            for g, w in zip(got, want, strict=True):
                same(g, w)


@pytest.mark.parametrize("seed", range(30))
def test_push_into_is_push_without_preference_bit_for_bit(seed):
    """The phase's push_into against push (and the plain offer_room then transfer) on
    random stages without preferences: check_push runs both."""
    rng = np.random.default_rng(1000 + seed)
    st = random_stage(rng)
    if seed % 4 == 3:  # cash short everywhere: every payer rationed
        st["cash"] = st["cash"] * 1e-3
    assert check_push(st, np.zeros(0), rng.choice([0.5, 1 / 52, 2.0]), 1.5) >= 0


def test_push_into_refuses_scratch_too_short():
    """Scratch one element short of push_scratch_sizes (either array) is refused, not
    written past its end."""
    st = random_stage(np.random.default_rng(7))
    stage = tuple(st[k] for k in ("li", "src", "dst", "s_loc", "d_loc", "ext", "d_pay",
                                  "s_kind", "payers"))
    f_n, i_n = kernels.push_scratch_sizes(st["li"].size, st["senders"].size,
                                          st["receivers"].size, st["payers"].size)
    for f_len, i_len in ((f_n - 1, i_n), (f_n, i_n - 1)):
        with pytest.raises(ValueError, match="scratch"):
            kernels.push_into(st["senders"], st["receivers"].size, *stage,
                              st["link_alive"], st["alive"], st["kind"], st["capacity"], 0.5,
                              1.5, ROUTE, PASSES, st["price"], st["payer"],
                              *(st[k].copy() for k in STOCKS), np.zeros(f_len),
                              np.zeros(i_len, dtype=np.int32))


@pytest.mark.parametrize("seed", range(30))
def test_push_is_offer_room_then_the_plain_transfer_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    st = random_stage(rng)
    pref = rng.random(st["li"].size) + 0.1 if seed % 3 == 1 else np.zeros(0)
    if seed % 3 == 2:  # preferences that make weights NaN or infinite
        pref = np.where(rng.random(st["li"].size) < 0.1, rng.choice([np.nan, np.inf]), 1.0)
    assert check_push(st, pref, 0.5, 1.5) > 0


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("pull", [True, False])
def test_settle_is_the_plain_passes_bit_for_bit(seed, pull):
    """settle (a receiver's ratio chosen without a branch, the passes after the first
    loop apart) against the plain one, with weights, preferences and any number of
    passes: the debited offers and rooms, the links in play and their quantities."""
    rng = np.random.default_rng(seed)
    st = random_stage(rng)
    m = st["li"].size
    offer = np.where(rng.random(9) < 0.8, rng.random(9) * 5, 0.0)
    room = np.where(rng.random(14) < 0.8, rng.random(14) * 3, 0.0)
    weight, pref = rng.random(m) + 0.1, (rng.random(m) + 0.1) * (seed % 2)
    pref = pref if seed % 2 else pref[:0]
    for passes in range(5):
        out = []
        for f in (plain.settle, kernels.settle):
            left, space = offer.copy(), room.copy()
            first, q = np.zeros(m, dtype=np.int32), np.zeros(m)
            n0 = f(st["li"], st["s_loc"], st["d_loc"], st["link_alive"], weight, pref, left,
                   space, passes, pull, first, q)
            out.append((left, space, first[:n0], q[:n0]))
        for g, w in zip(*out, strict=True):
            same(g, w)


@pytest.mark.parametrize("seed", range(20))
def test_alive_flags_compared_as_the_plain_loop(seed):
    """Retail's comparison of alive flags with their copy (the words that differ listed
    without a branch) finds and copies what the plain one (32 words at a time) does: few
    changes or many, runs of words anywhere, a partial last word."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 3000))
    at = np.unique(rng.integers(0, n, int(rng.integers(1, n + 1))))
    runs = _words(at)
    old = rng.random(n) < 0.9
    cur = old.copy()
    flip = rng.random(n) < rng.choice([0.0, 0.001, 0.05, 0.5])
    cur[flip] = ~cur[flip]
    n8 = n - n % 8
    got, want = old.copy(), old.copy()
    found = _diff(cur.view(np.uint8), got.view(np.uint8), cur[:n8].view(np.uint64),
                  got[:n8].view(np.uint64), runs)
    expect = plain.diff(cur.view(np.uint8), want.view(np.uint8), cur[:n8].view(np.uint64),
                        want[:n8].view(np.uint64), runs)
    same(found, expect)
    same(got, want)
    words = np.zeros(n // 8 + 1, dtype=bool)
    words[at // 8] = True
    same(found, np.flatnonzero((cur != old) & words[np.arange(n) // 8]))


@pytest.mark.parametrize("seed", range(20))
def test_words_are_the_runs_of_the_distinct_words(seed):
    """Retail's runs of words: the distinct words of every index given (in any order,
    repeated, in several arrays, some empty), as runs of consecutive words, as
    ``np.unique`` of the union lists them."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 3000))
    ats = [rng.integers(0, n, int(rng.integers(0, n + 1))) for _ in range(int(rng.integers(1, 4)))]
    w = np.unique(np.concatenate(ats) // 8)
    cut = np.flatnonzero(np.diff(w) != 1) + 1
    want = (np.stack((w[np.r_[0, cut]], w[np.r_[cut - 1, w.size - 1]] + 1), axis=1)
            if w.size else np.zeros((0, 2), dtype=np.int64))
    same(_words(*ats), want)
    same(_words(np.sort(np.concatenate(ats))), want)


def stage_dict(sim, name: str) -> dict:
    st, a = sim.topo.stages[name], sim.s.actors
    d = {k: getattr(st, k) for k in ("senders", "receivers", "li", "src", "dst", "s_loc",
                                     "d_loc", "ext", "d_pay", "s_kind", "payers")}
    d.update(link_alive=sim.s.links.alive, alive=a.alive, kind=a.kind, capacity=a.capacity,
             price=sim.wholesale, payer=a.payer, product=a.product, cash=a.cash,
             dirty=a.dirty, throughput=a.throughput)
    return d


def check_distribution(sim) -> int:
    """The distribution phase's wholesale stages, in turn, on ``sim``'s state: each against
    the plain kernels (then moved by the plain ones, as the phase would), then retail
    (:func:`check_retail`). Returns how many stocks the wholesale stages changed."""
    p = sim.p
    changed = 0
    for name in ("marketplace", "trafficker", "dealer"):
        st = stage_dict(sim, name)
        if not st["li"].size:
            continue
        changed += check_push(st, np.zeros(0), sim.dt, p.supply.stock_cover_years)
        a = sim.s.actors
        offer, room = plain.offer_room(st["senders"], st["receivers"], a.alive, a.kind,
                                       a.capacity, a.product, sim.dt,
                                       p.supply.stock_cover_years, ROUTE)
        plain.transfer(*(st[k] for k in ("li", "src", "dst", "s_loc", "d_loc", "ext",
                                          "d_pay", "s_kind", "payers")),
                       st["link_alive"], np.zeros(0), offer, room, PASSES, sim.wholesale,
                       a.payer, a.product, a.cash, a.dirty, a.throughput)
    check_retail(sim)
    return changed


def check_retail(sim) -> None:
    """Retail on ``sim``'s state with the sums kept on the run since its last call
    (:class:`SellerSums`) against :func:`_retail` from scratch: offered, consumed, revenue,
    every stock, throughput and revenue bit for bit."""
    s, p = sim.s, sim.p
    a, st = s.actors, sim.topo.stages["retail"]
    demand = s.demand0 * sim.users_ratio * sim.dt * s.price ** (-p.market.elasticity)
    scam = sim.efforts.coverage["scam_awareness"]
    keep = 1.0 - p.public_health.scam_avoidance * scam if scam > 0 else 1.0
    sums = sim.__dict__.setdefault("_test_sums", SellerSums(st))
    ok, wsum, share = seller_sums_now(sums, s.links.alive, s.links.src, a.alive)
    rest = (s.market_of, demand, s.price, sim.dt, keep, p.market.retail_usd_per_kg,
            KIND["marketplace"], s.n_markets)
    want = [x.copy() for x in (a.product, a.throughput, a.dirty)]
    out = _retail(st.li, st.src, st.dst, st.s_loc, st.d_loc, st.s_pay, st.w, st.senders,
                  st.receivers, st.s_payers, s.links.alive, a.alive, a.kind, a.online,
                  a.capacity, *want, *rest)
    got = [x.copy() for x in (a.product, a.throughput, a.dirty)]
    out2 = _retail_summed(ok, wsum, share, st.src, st.s_loc, st.d_loc, st.s_pay, st.w,
                          st.senders, st.receivers, st.s_payers, a.alive, a.kind, a.online,
                          a.capacity, *got, *rest)
    assert out[2] == out2[2] and out[1].sum() > 0
    for g, w in zip([*out2[:2], *got], [*out[:2], *want], strict=True):
        same(g, w)


@pytest.fixture(scope="module")
def us_baseline():
    return new_sim("us-baseline", 0.5, 1)


@pytest.fixture(scope="module")
def toy_every_intervention():
    return new_sim("toy", 2.0, 2, every=True)


def test_distribution_on_us_baseline_states_is_the_plain_one(us_baseline):
    changed = sum(check_distribution(sim)
                  for sim in states_at(us_baseline, "distribution", 5))
    assert changed > 100_000  # the stages move product


def test_distribution_on_toy_states_with_every_intervention_is_the_plain_one(
        toy_every_intervention):
    changed = sum(check_distribution(sim)
                  for sim in states_at(toy_every_intervention, "distribution", 30))
    assert changed > 1_000
