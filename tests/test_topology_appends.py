"""The topology's compiled appends (stages, incidence tail) against the plain NumPy code
they replaced, bit for bit, on random actors and links appended in random chunks."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fentanet.simulate.state import KIND, LKIND, Table
from fentanet.simulate.topology import (
    PRODUCT_LINKS,
    Incidence,
    Stage,
    _csr_by_endpoint,
    _merge_tail,
    _rows_with_tail,
    appended_pairs,
)
from topology_plain import PlainStage, plain_tail

EVERY = tuple(KIND.values())
CONFIGS = (
    (EVERY, (LKIND["supplies"],), (), "sender"),
    ((KIND["lab"], KIND["route"]), PRODUCT_LINKS, (KIND["market"],), "receiver"),
    ((KIND["dealer"], KIND["marketplace"]), (LKIND["sells_to"],), (), "receiver"),
)
CAPS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-13, 1e-12, 0.5, 3.0, 7e5])


def _actors(rng, n, payers_below):
    return dict(kind=rng.choice(np.array(EVERY, dtype=np.int8), n),
                payer=rng.integers(0, payers_below, n).astype(np.int32),
                capacity=rng.choice(CAPS, n))


def _links(rng, k, n):
    codes = np.array([LKIND[x] for x in ("supplies", "ships", "distributes", "flow",
                                          "sells_to", "tie")], dtype=np.int8)
    src = rng.integers(0, n, k).astype(np.int32)
    dst = np.where(rng.random(k) < 0.1, src, rng.integers(0, n, k)).astype(np.int32)
    return dict(src=src, dst=dst, kind=rng.choice(codes, k), capacity=rng.choice(CAPS, k))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 60), st.lists(st.tuples(
    st.integers(0, 40), st.integers(0, 12), st.booleans()), min_size=1, max_size=6))
def test_stage_appends_are_the_plain_appends_bit_for_bit(seed, n, chunks):
    rng = np.random.default_rng(seed)
    a = Table(**_actors(rng, n, n))
    ln = Table(**_links(rng, rng.integers(0, 30), n))
    s = SimpleNamespace(actors=a, links=ln)
    pairs = [(Stage(*c[:3], weight_by=c[3]), PlainStage(*c[:3], weight_by=c[3]))
             for c in CONFIGS]
    pairs_tail, start = np.zeros(0, dtype=np.int64), 0
    for k_links, k_actors, hinted in chunks:
        if k_actors:
            a.append(**_actors(rng, k_actors, a.n + k_actors))
        ln.append(**_links(rng, k_links, a.n))
        hint = None
        if hinted and all(new.upto == pairs[0][0].upto for new, _ in pairs):
            hint = appended_pairs(s, pairs[0][0].upto)
        for new, plain in pairs:
            new.extend(s, hint)
            plain.extend(s)  # no hint: the hint only skips tails without the stage's links
            assert new.upto == plain.upto == ln.n
            for name in ("li", "src", "dst", "s_loc", "d_loc", "d_pay", "s_pay", "s_kind",
                         "ext", "w", "senders", "receivers", "payers", "s_payers", "s_map",
                         "d_map", "p_map", "q_map"):
                got, want = getattr(new, name), getattr(plain, name)
                assert got.dtype == want.dtype, name
                np.testing.assert_array_equal(got.view(np.uint8), want.view(np.uint8),
                                              err_msg=name)
        got = _merge_tail(pairs_tail, ln.src, ln.dst, start)
        want = plain_tail(pairs_tail, ln.src, ln.dst, start)
        for g, w in zip(got, want, strict=True):
            assert g.dtype == w.dtype
            np.testing.assert_array_equal(g, w)
        pairs_tail, start = got[0], ln.n


def test_local_numbers_follow_first_appearance():
    # senders 5, 3, 5, 7, 3 (labs) to receivers 0, 1, 0, 2, 2 (routes), in two appends
    kind = np.full(8, KIND["route"], dtype=np.int8)
    kind[[3, 5, 7]] = KIND["lab"]
    a = Table(kind=kind, payer=np.arange(8, dtype=np.int32), capacity=np.ones(8))
    ln = Table(src=np.array([5, 3, 5], dtype=np.int32), dst=np.array([0, 1, 0], dtype=np.int32),
               kind=np.full(3, LKIND["ships"], dtype=np.int8), capacity=np.ones(3))
    s = SimpleNamespace(actors=a, links=ln)
    st = Stage((KIND["lab"],), PRODUCT_LINKS)
    st.extend(s)
    ln.append(src=np.array([7, 3], dtype=np.int32), dst=np.array([2, 2], dtype=np.int32),
              kind=np.full(2, LKIND["ships"], dtype=np.int8), capacity=np.ones(2))
    st.extend(s)
    assert st.s_loc.tolist() == [0, 1, 0, 2, 1] and st.senders.tolist() == [5, 3, 7]
    assert st.d_loc.tolist() == [0, 1, 0, 2, 2] and st.receivers.tolist() == [0, 1, 2]
    assert st.s_pay.tolist() == st.s_loc.tolist() and st.s_payers.tolist() == [5, 3, 7]
    np.testing.assert_array_equal(np.flatnonzero(st.s_map >= 0), [3, 5, 7])
    assert st.s_map[[5, 3, 7]].tolist() == [0, 1, 2]


def test_appended_pairs_are_the_pairs_of_the_tail():
    rng = np.random.default_rng(1)
    for _ in range(100):
        n, m = int(rng.integers(1, 50)), int(rng.integers(0, 60))
        start = int(rng.integers(0, m + 1))
        a = Table(kind=rng.integers(0, len(KIND), n).astype(np.int8))
        ln = Table(kind=rng.integers(0, len(LKIND), m).astype(np.int8),
                   src=rng.integers(0, n, m).astype(np.int32))
        want = 0
        for k in range(start, m):
            want |= 1 << (int(ln.kind[k]) * 32 + int(a.kind[ln.src[k]]))
        assert appended_pairs(SimpleNamespace(actors=a, links=ln), start) == want


def test_incidence_lists_each_link_once_across_rebuilds():
    """Links appended in chunks past the rebuild threshold (rows rebuilt, the tail emptied):
    after every sync each actor's links from the rows and the tail are its incident links,
    ascending, each once, as a brute-force scan finds them (no loops here: the rows list a
    loop at both its ends, the tail once)."""
    from fentanet.simulate.phases.enforcement import links_of_slots

    def links(k, n):
        out = _links(rng, k, n)
        out["dst"] = ((out["src"] + rng.integers(1, n, k)) % n).astype(np.int32)
        return out

    rng = np.random.default_rng(7)
    n = 40
    a = Table(**_actors(rng, n, n))
    ln = Table(**links(200, n))
    s = SimpleNamespace(actors=a, links=ln)
    inc = Incidence()
    inc.sync(s)
    rebuilds = 0
    for chunk in (3, 70, 1, 0, 90, 5, 200, 2):
        m0 = inc.m0
        ln.append(**links(chunk, a.n))
        inc.sync(s)
        rebuilds += inc.m0 != m0
        for v in range(a.n):
            got = links_of_slots(np.array([v]), *inc.parts(s))
            want = np.flatnonzero((ln.src == v) | (ln.dst == v))
            np.testing.assert_array_equal(got, want)
    assert rebuilds >= 2 and inc.m0 < ln.n  # rebuilt, and a tail left at the end


def test_rows_merged_with_the_tail_are_the_counting_sort_over_every_link():
    """A rebuild merges the rows with the tail: the same rows as the counting sort over
    every link, loops (twice in a row) and actors appended since (rows of their tail's
    links alone) included, on random links appended in random chunks."""
    rng = np.random.default_rng(11)
    for _ in range(60):
        n0 = int(rng.integers(1, 30))
        m0 = int(rng.integers(0, 80))
        src = rng.integers(0, n0, m0)
        dst = np.where(rng.random(m0) < 0.1, src, rng.integers(0, n0, m0))
        ptr, idx = _csr_by_endpoint(src, dst, n0)
        n = n0 + int(rng.integers(0, 5))
        pairs, start = np.zeros(0, dtype=np.int64), m0
        for _ in range(int(rng.integers(0, 4))):  # the tail merged in chunks
            k = int(rng.integers(0, 30))
            s_new = rng.integers(0, n, k)
            d_new = np.where(rng.random(k) < 0.1, s_new, rng.integers(0, n, k))
            src, dst = np.concatenate([src, s_new]), np.concatenate([dst, d_new])
            pairs, tkey, tlink = _merge_tail(pairs, src, dst, start)
            start = src.size
        if start == m0:
            tkey = tlink = np.zeros(0, dtype=np.int64)
        got = _rows_with_tail(ptr, idx, n0, tkey, tlink, src, dst, n)
        want = _csr_by_endpoint(src, dst, n)
        for g, w in zip(got, want, strict=True):
            assert g.dtype == w.dtype
            np.testing.assert_array_equal(g, w)


def test_a_copied_table_keeps_what_was_written_through_its_views():
    """A view read before a copy (pickle, deepcopy) is not carried over alone: the copy
    makes its own from its columns, so a write through it survives the copy's appends."""
    import copy
    import pickle

    t = Table(x=np.zeros(3))
    assert t.x.tolist() == [0.0, 0.0, 0.0]  # the view kept in the instance
    for c in (copy.deepcopy(t), pickle.loads(pickle.dumps(t))):
        c.x[0] = 5.0
        c.append(x=np.ones(1))
        assert c.x.tolist() == [5.0, 0.0, 0.0, 1.0]
    assert t.x.tolist() == [0.0, 0.0, 0.0]


def test_stage_mask_marks_the_stages_whose_pairs_the_tail_has():
    """The topology's sync asks :func:`_stage_mask` which stages the tail touches: a stage
    is marked exactly when :func:`appended_pairs` shares a bit with its pairs."""
    from fentanet.simulate.topology import _stage_mask

    stages = [Stage(*c[:3], weight_by=c[3]) for c in CONFIGS]
    stages.append(Stage((KIND["lab"],), (LKIND["ships"], LKIND["tie"])))
    table = np.zeros(256 * 32, dtype=np.uint64)
    for i, stage in enumerate(stages):
        for lk in set(stage.link_kinds.tolist()):
            for sk in set(stage.sender_kinds.tolist()):
                table[lk * 32 + sk] |= np.uint64(1 << i)
    rng = np.random.default_rng(2)
    for _ in range(200):
        n, m = int(rng.integers(1, 50)), int(rng.integers(0, 12))
        start = int(rng.integers(0, m + 1))
        a = Table(kind=rng.integers(0, len(KIND), n).astype(np.int8))
        ln = Table(kind=rng.integers(0, len(LKIND), m).astype(np.int8),
                   src=rng.integers(0, n, m).astype(np.int32))
        pairs = appended_pairs(SimpleNamespace(actors=a, links=ln), start)
        mask = int(_stage_mask(ln.kind, ln.src, a.kind, start, table))
        assert [bool(mask >> i & 1) for i in range(len(stages))] == [
            bool(pairs & stage._pair_bits) for stage in stages]
        assert mask >> len(stages) == 0


def test_tail_merged_in_place_is_the_merged_copy():
    """:func:`_merge_tail_into` (the incidence's merge, in its buffers) against
    :func:`_merge_tail` over links appended in chunks, loops and repeated ends among them."""
    from fentanet.simulate.topology import _merge_tail_into

    rng = np.random.default_rng(3)
    n, m = 40, 0
    src = dst = np.zeros(0, dtype=np.int32)
    pairs = key = link = np.zeros(0, dtype=np.int64)
    buf = tuple(np.full(4000, -7, dtype=np.int64) for _ in range(3))
    t = 0
    for _ in range(60):
        k = int(rng.integers(0, 40))
        src = np.concatenate([src, rng.integers(0, n, k).astype(np.int32)])
        dst = np.concatenate([dst, rng.integers(0, n, k).astype(np.int32)])
        pairs, key, link = _merge_tail(pairs, src, dst, m)
        t = _merge_tail_into(*buf, t, src, dst, m)
        m = src.size
        for got, want in zip(buf, (pairs, key, link), strict=True):
            np.testing.assert_array_equal(got[:t], want)
