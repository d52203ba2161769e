"""Gould & Fernandez brokerage against brute force, by hand, and on real data."""

from __future__ import annotations

import importlib
import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fentanet import InputError, Network
from fentanet.analysis import ROLES, brokerage, communities
from fentanet.analysis._graph import Graph


def brute_force(n: int, arcs: set[tuple[int, int]], group: list) -> np.ndarray:
    """Every ordered triple (a, b, c) of distinct actors, by definition."""
    out = np.zeros((n, 6), dtype=np.int64)
    for a, b, c in itertools.permutations(range(n), 3):
        if (a, b) in arcs and (b, c) in arcs and (a, c) not in arcs:
            ga, gb, gc = group[a], group[b], group[c]
            if ga == gb == gc:
                role = 0
            elif ga == gc:
                role = 1
            elif ga == gb:
                role = 2
            elif gb == gc:
                role = 3
            else:
                role = 4
            out[b, role] += 1
            out[b, 5] += 1
    return out


def make(n, pairs, group, directed=True):
    ids = [f"x{i}" for i in range(n)]
    actors = pd.DataFrame({"id": ids, "team": [f"t{g}" for g in group]})
    links = pd.DataFrame({"source": [ids[a] for a, _ in pairs],
                          "target": [ids[b] for _, b in pairs]})
    return Network(actors, links, directed=directed)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 12), density=st.floats(0, 0.7), groups=st.integers(1, 4),
       directed=st.booleans(), seed=st.integers(0, 10_000))
def test_counts_equal_brute_force_over_all_triples(n, density, groups, directed, seed):
    rng = np.random.default_rng(seed)
    pairs = [(a, b) for a in range(n) for b in range(n) if rng.random() < density]
    group = rng.integers(0, groups, n).tolist()
    net = make(n, pairs, group, directed)
    arcs = {(a, b) for a, b in pairs if a != b}
    if not directed:
        arcs |= {(b, a) for a, b in arcs}
    want = brute_force(n, arcs, group)
    got = brokerage(net, "team")
    assert list(got.columns) == [*ROLES, "total"]
    np.testing.assert_array_equal(got.to_numpy(), want)


def test_hand_computed_example():
    # groups: L = {l1, l2}, B = {b}, R = {r1, r2}
    #   l1 -> l2, l1 -> b, l2 -> b, b -> r1, b -> r2, r1 -> r2, l2 -> l1
    actors = pd.DataFrame({"id": ["l1", "l2", "b", "r1", "r2"],
                           "side": ["L", "L", "B", "R", "R"]})
    links = pd.DataFrame({"source": ["l1", "l1", "l2", "b", "b", "r1", "l2"],
                          "target": ["l2", "b", "b", "r1", "r2", "r2", "l1"]})
    table = brokerage(Network(actors, links), "side")
    # b: l1 -> b -> r1, l1 -> b -> r2, l2 -> b -> r1, l2 -> b -> r2: four liaisons
    assert table.loc["b"].tolist() == [0, 0, 0, 0, 4, 4]
    # l1: l2 -> l1 -> b with no l2 -> b? there is one, so closed; nothing brokered
    # l2: l1 -> l2 -> b is closed by l1 -> b; l1 -> l2 -> l1 returns: nothing
    assert table.loc[["l1", "l2"]].to_numpy().sum() == 0
    # r1: b -> r1 -> r2 is closed by b -> r2
    assert table["total"].sum() == 4
    # drop l1 -> b: l1 -> l2 -> b is open: l2 is a representative of L (L, L, B)
    table = brokerage(Network(actors, links.drop(index=1)), "side")
    assert table.loc["l2"].tolist() == [0, 0, 1, 0, 0, 1]
    # and b now brokers only l2's two paths
    assert table.loc["b"].tolist() == [0, 0, 0, 0, 2, 2]


def test_undirected_path_counts_both_ways():
    actors = pd.DataFrame({"id": ["a", "b", "c"], "g": ["x", "x", "y"]})
    path = Network(actors, pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"]}),
                   directed=False)
    # a -> b -> c: representative (x, x, y); c -> b -> a: gatekeeper (y, x, x)
    assert brokerage(path, "g").loc["b"].tolist() == [0, 0, 1, 1, 0, 2]
    same = brokerage(path, {"a": 1, "b": 1, "c": 1})
    assert same.loc["b"].tolist() == [2, 0, 0, 0, 0, 2]


def test_groups_from_series_dict_column_and_communities():
    net = make(6, [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 0), (0, 3)],
               [0, 0, 1, 1, 2, 2])
    by_column = brokerage(net, "team")
    as_dict = dict(zip(net.ids, net.actors["team"], strict=True))
    pd.testing.assert_frame_equal(brokerage(net, as_dict), by_column)
    pd.testing.assert_frame_equal(brokerage(net, pd.Series(as_dict)), by_column)
    found = communities(net, seed=1)
    pd.testing.assert_frame_equal(brokerage(net, found), brokerage(net, found.membership))


def test_null_moments_match_a_monte_carlo_of_random_digraphs():
    mod = importlib.import_module("fentanet.analysis.brokerage")
    rng = np.random.default_rng(4)
    sizes = np.array([6.0, 4.0, 3.0, 1.0])
    codes = np.repeat(np.arange(4), sizes.astype(int))
    n = codes.size
    arcs = 52
    d = arcs / (n * (n - 1))
    index = pd.Index([f"x{i}" for i in range(n)])
    off = ~np.eye(n, dtype=bool)
    runs = []
    for _ in range(2000):
        src, dst = np.nonzero(off & (rng.random((n, n)) < d))
        g = Graph(index, src.astype(np.int32), dst.astype(np.int32), None, "distance", True)
        runs.append(mod.role_counts(g, codes))
    runs = np.array(runs, dtype=float)
    src, dst = np.nonzero(off)
    exact = Graph(index, src[:arcs].astype(np.int32), dst[:arcs].astype(np.int32), None,
                  "distance", True)  # any graph with the same density
    expect, var = mod._null_moments(exact, codes, sizes)
    mean, std = runs.mean(axis=0), runs.std(axis=0)
    for actor in (0, 6, 10, 13):   # one per group
        for role in range(6):
            se = std[actor, role] / np.sqrt(len(runs))
            assert abs(mean[actor, role] - expect[actor, role]) < 4 * se + 1e-12
            assert np.sqrt(var[actor, role]) == pytest.approx(std[actor, role], rel=0.1,
                                                              abs=1e-12)
    # the lone member of the last group can be no coordinator, representative, gatekeeper
    assert (expect[13, [0, 2, 3]] == 0).all()
    net = make(n, list(zip(src[:arcs], dst[:arcs], strict=True)), codes.tolist())
    ratio = brokerage(net, "team", normalized="ratio")
    assert np.isnan(ratio.iloc[13, [0, 2, 3]].to_numpy(dtype=float)).all()
    counts = brokerage(net, "team").to_numpy()
    np.testing.assert_allclose(ratio.to_numpy()[:13], counts[:13] / expect[:13])
    z = brokerage(net, "team", normalized="z").to_numpy()
    np.testing.assert_allclose(z[:13], (counts[:13] - expect[:13]) / np.sqrt(var[:13]))


def test_caviar_traffickers_and_others(shared_data):
    from fentanet.datasets import load

    net = load("caviar")
    # Morselli's coding: ids 1-82 are traffickers, 83-110 non-traffickers
    side = {i: ("trafficker" if int(i) <= 82 else "other") for i in net.ids}
    table = brokerage(net, side)
    assert table.loc["1", "total"] == table["total"].max()  # N1 brokers the most
    # N1 passes traffickers' business to the legitimate side and back
    assert table.loc["1", "representative"] > 0 and table.loc["1", "gatekeeper"] > 0
    assert (table[list(ROLES)].sum(axis=1) == table["total"]).all()
    z = brokerage(net, side, normalized="z")
    assert z.loc["1", "total"] > 5


def test_bad_groupings():
    net = make(3, [(0, 1), (1, 2)], [0, 0, 1])
    with pytest.raises(InputError, match="no actor column 'team2'"):
        brokerage(net, "team2")
    with pytest.raises(InputError, match="leave out 1 actor"):
        brokerage(net, {"x0": 1, "x1": 2})
    with pytest.raises(InputError, match="not in the network"):
        brokerage(net, {"x0": 1, "x1": 2, "x2": 3, "ghost": 4})
    with pytest.raises(InputError, match="normalized"):
        brokerage(net, "team", normalized="percent")
    with pytest.raises(InputError, match="groups must be"):
        brokerage(net, 7)
    with pytest.raises(InputError, match="empty"):
        brokerage(Network(), {})
    holes = Network(pd.DataFrame({"id": ["a", "b"], "org": ["o1", None]}))
    with pytest.raises(InputError, match=r"actor 'b'.*has no 'org'"):
        brokerage(holes, "org")
