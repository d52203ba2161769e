"""Resilience curves: against the same removal loop written with networkx, on the real
data (CAVIAR), with replacement (Duijn et al. 2014), and bad input."""

from __future__ import annotations

from itertools import combinations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from fentanet import InputError, Network, from_networkx, max_flow
from fentanet.analysis.resilience import TIE_TOLERANCE, resilience


# ---------------------------------------------------------------------- the networkx loop
def nx_scores(g: nx.Graph, strategy: str) -> dict:
    if strategy == "degree":
        return dict(g.degree())
    if strategy == "betweenness":
        return nx.betweenness_centrality(g, normalized=False)
    if strategy == "katz":
        return nx.katz_centrality(g, alpha=0.1, beta=1.0, max_iter=10_000, tol=1e-12)
    if strategy == "collective_influence":
        u = nx.Graph(g.to_undirected())
        u.remove_edges_from(nx.selfloop_edges(u))
        out = {}
        for v in u:
            ring = [j for j, d in nx.single_source_shortest_path_length(u, v, cutoff=2).items()
                    if d == 2]
            out[v] = (u.degree(v) - 1) * sum(u.degree(j) - 1 for j in ring) \
                if u.degree(v) > 1 else 0
        return out
    if strategy == "key_players":   # the actor whose removal leaves fewest connected pairs
        out = {}
        for v in g:
            h = g.copy()
            h.remove_node(v)
            comps = nx.weakly_connected_components(h) if h.is_directed() \
                else nx.connected_components(h)
            out[v] = -sum(len(c) * (len(c) - 1) for c in comps)
        return out
    raise AssertionError(strategy)


def nx_pick(g: nx.Graph, strategy: str, b: int, position: dict) -> list:
    """The top b actors, ties within the tolerance by actor order (fentanet's rule)."""
    s = nx_scores(g, strategy)
    scale = max(abs(x) for x in s.values()) or 1.0
    key = {v: np.round(s[v] / (scale * TIE_TOLERANCE)) for v in s}
    return sorted(s, key=lambda v: (-key[v], position[v]))[:b]


def nx_measures(g: nx.Graph, lcc0: float) -> dict:
    comps = list(nx.weakly_connected_components(g) if g.is_directed()
                 else nx.connected_components(g))
    return {"lcc": max((len(c) for c in comps), default=0) / lcc0,
            "components": float(len(comps)),
            "efficiency": nx.global_efficiency(nx.Graph(g.to_undirected()))}


def nx_resilience(g: nx.Graph, strategy: str, mode: str, steps: int, block: int = 5):
    g = g.copy()
    position = {v: i for i, v in enumerate(g)}
    comps = nx.weakly_connected_components(g) if g.is_directed() \
        else nx.connected_components(g)
    lcc0 = max(len(c) for c in comps)
    rows = [{"removed": 0, "actor": None, **nx_measures(g, lcc0)}]
    queue = nx_pick(g, strategy, steps, position) if mode == "static" else []
    for done in range(1, steps + 1):
        if not queue:
            queue = nx_pick(g, strategy, 1 if mode == "sequential" else block, position)
        v = queue.pop(0)
        g.remove_node(v)
        rows.append({"removed": done, "actor": v, **nx_measures(g, lcc0)})
    return pd.DataFrame(rows)


def graphs():
    return {
        "undirected": nx.gnm_random_graph(26, 40, seed=4),
        "directed": nx.gnm_random_graph(24, 44, seed=7, directed=True),
        "small world": nx.connected_watts_strogatz_graph(28, 4, 0.25, seed=2),
        "scale free": nx.barabasi_albert_graph(30, 2, seed=9),
    }


def as_net(g: nx.Graph) -> Network:
    """A network of the graph's edges (every node has a link), ids a00, a01, ..."""
    g = nx.relabel_nodes(g, {v: f"a{v:02d}" for v in g})
    h = g.subgraph([v for v in g if g.degree(v) > 0]).copy()
    net = from_networkx(h)
    return net, h


MEASURES = ["lcc", "components", "efficiency"]


@pytest.mark.parametrize("strategy", ["degree", "betweenness", "katz", "collective_influence",
                                      "key_players"])
@pytest.mark.parametrize("mode", ["sequential", "block", "static"])
def test_same_curve_as_the_networkx_loop(strategy, mode):
    for name, g in graphs().items():
        if strategy == "key_players" and mode != "sequential":
            continue   # sets of several actors: checked against brute force below
        net, h = as_net(g)
        ours = resilience(net, strategy, mode=mode, block=3, steps=14, measure=MEASURES)
        want = nx_resilience(h, strategy, mode, 14, block=3)
        assert ours["actor"].tolist()[1:] == want["actor"].tolist()[1:], (name, strategy, mode)
        for m in MEASURES:
            np.testing.assert_allclose(ours[m].to_numpy(), want[m].to_numpy(), atol=1e-12,
                                       err_msg=f"{name} {strategy} {mode} {m}")


def test_key_player_blocks_are_brute_force_optimal():
    g = nx.connected_watts_strogatz_graph(16, 4, 0.3, seed=1)
    net, h = as_net(g)
    ours = resilience(net, "key_players", mode="block", block=3, steps=3)
    removed = ours["actor"].tolist()[1:]

    def pairs(gone):
        k = h.copy()
        k.remove_nodes_from(gone)
        return sum(len(c) * (len(c) - 1) for c in nx.connected_components(k))

    best = min(pairs(c) for c in combinations(list(h), 3))
    assert pairs(removed) == best
    static = resilience(net, "key_players", mode="static", steps=3)
    assert pairs(static["actor"].tolist()[1:]) == best


@pytest.mark.parametrize("mode", ["static", "block"])
def test_key_players_down_to_the_last_actor(mode):
    # every actor removed (steps defaults to all of them): fragmentation counts pairs, so
    # the set is searched up to n - 2 actors and the last two follow; the curve ends empty
    g = nx.connected_watts_strogatz_graph(16, 4, 0.3, seed=1)
    net, h = as_net(g)
    df = resilience(net, "key_players", mode=mode, block=16)
    removed = df["actor"].tolist()[1:]
    assert sorted(removed) == sorted(h) and len(removed) == 16
    assert df["lcc"].iloc[-1] == 0.0 and df["lcc"].iloc[0] == 1.0
    assert (np.diff(df["lcc"].to_numpy()) <= 1e-12).all()

    def pairs(gone):
        k = h.copy()
        k.remove_nodes_from(gone)
        return sum(len(c) * (len(c) - 1) for c in nx.connected_components(k))

    assert pairs(removed[:14]) == 0  # the best set of 14 leaves two actors apart
    # two actors, one link: nothing to fragment after the first removal
    tiny = Network(links=pd.DataFrame({"source": ["x"], "target": ["y"]}), directed=False)
    df = resilience(tiny, "key_players", mode=mode)
    assert df["actor"].tolist() == [None, "x", "y"]
    assert df["lcc"].tolist() == [1.0, 0.5, 0.0]


def test_hand_computed_star_and_path():
    # hub with leaves a, b, c and a tail c - d: removing the hub leaves {c, d}, a, b
    net = Network(links=pd.DataFrame({"source": ["h", "h", "h", "c"],
                                      "target": ["a", "b", "c", "d"]}), directed=False)
    df = resilience(net, "degree", steps=2, measure=["lcc", "components"])
    assert df["actor"].tolist() == [None, "h", "c"]
    assert df["lcc"].tolist() == [1.0, 2 / 5, 1 / 5]
    assert df["components"].tolist() == [1.0, 3.0, 3.0]


def test_list_random_kinds_and_repeats():
    g = nx.connected_watts_strogatz_graph(30, 4, 0.2, seed=3)
    net, h = as_net(g)
    order = ["a05", "a00", "a17"]
    df = resilience(net, order, measure="components")
    assert df["actor"].tolist() == [None, *order] and df.attrs["strategy"] == "list"
    k = h.copy()
    k.remove_nodes_from(order)
    assert df["components"].iloc[-1] == nx.number_connected_components(k)
    a = resilience(net, "random", steps=10, seed=5)
    b = resilience(net, "random", steps=10, seed=5)
    c = resilience(net, "random", steps=10, seed=6)
    assert a.equals(b) and a["actor"].tolist() != c["actor"].tolist()
    assert len(set(a["actor"].tolist()[1:])) == 10
    avg = resilience(net, "random", steps=10, repeats=4, seed=5)
    runs = resilience(net, "random", steps=10, repeats=4, seed=5, average=False)
    assert list(avg.columns) == ["removed", "lcc", "lcc_sd"]
    assert runs.groupby("removed")["lcc"].mean().to_numpy() == pytest.approx(
        avg["lcc"].to_numpy())
    assert runs["repeat"].nunique() == 4
    # a random tie rule changes the order among tied actors only
    ring = Network(links=pd.DataFrame({"source": [f"r{i}" for i in range(8)],
                                       "target": [f"r{(i + 1) % 8}" for i in range(8)]}),
                   directed=False)
    first = resilience(ring, "degree", steps=1)["actor"].iloc[1]
    shuffled = {resilience(ring, "degree", steps=1, ties="random", seed=s)["actor"].iloc[1]
                for s in range(6)}
    assert first == "r0" and len(shuffled) > 1


def supply_chain() -> Network:
    """Two organizations' chains from one supplier to one market (capacities 4 and 3)."""
    actors = pd.DataFrame({
        "id": ["sup", "lab1", "lab2", "lab3", "dl1", "dl2", "mkt"],
        "kind": ["supplier", "lab", "lab", "lab", "dealer", "dealer", "market"],
        "capacity": [np.nan, 4.0, 3.0, 4.0, np.nan, np.nan, np.nan],
        "organization": [None, "orgA", "orgB", "orgA", "orgA", "orgB", None],
    })
    links = pd.DataFrame({
        "source": ["sup", "sup", "lab1", "lab2", "dl1", "dl2"],
        "target": ["lab1", "lab2", "dl1", "dl2", "mkt", "mkt"],
        "kind": ["supplies", "supplies", "ships", "ships", "sells_to", "sells_to"],
    })
    return Network(actors, links)


def test_flow_measure_and_replacement_by_organization():
    net = supply_chain()
    plain = resilience(net, ["lab1", "lab2"], measure="flow")
    assert plain["flow"].tolist() == pytest.approx([1.0, 3 / 7, 0.0])
    # with replacement lab3 (orgA, no links of its own) takes over lab1's links; orgB
    # has no other lab to take over lab2's
    rep = resilience(net, ["lab1", "lab2"], measure="flow", replacement="organization")
    assert rep["replaced_by"].tolist() == [None, "lab3", None]
    assert rep["flow"].tolist() == pytest.approx([1.0, 1.0, 4 / 7])


def test_flow_measure_matches_max_flow_after_removal():
    from fentanet import generate

    net = generate({"actors": 150}, seed=2)
    df = resilience(net, "betweenness", steps=12, measure="flow")
    base = max_flow(net).value
    for i in range(1, 13):
        gone = df["actor"].tolist()[1:i + 1]
        assert df["flow"].iloc[i] == pytest.approx(max_flow(net.without(gone)).value / base)


# ---------------------------------------------------------------------- the real data
def test_caviar_sequential_betweenness_fragments_faster_than_random(shared_data):
    from fentanet import datasets

    net = datasets.load("caviar")
    bet = resilience(net, "betweenness", steps=10)
    rnd = resilience(net, "random", steps=10, repeats=30, seed=1)
    # five targeted arrests leave a largest group of 43 of the 110 (0.39); five random
    # ones leave about 94%
    assert bet["actor"].tolist()[1:6] == ["1", "3", "12", "76", "87"]
    assert bet["lcc"].iloc[5] == pytest.approx(43 / 110)
    assert rnd["lcc"].iloc[5] > 0.9
    assert (bet["lcc"].iloc[1:].to_numpy() < rnd["lcc"].iloc[1:].to_numpy()).all()
    assert bet["lcc"].iloc[10] < 0.1


@pytest.mark.parametrize("seed", [3, 5])
def test_duijn_replacement_makes_hub_removal_ineffective(seed):
    """Duijn et al. (2014): when removed members are replaced, removing the hubs leaves the
    network more efficient than it was, where without replacement it loses efficiency."""
    from fentanet import generate

    net = generate({"actors": 400}, seed=seed)
    cols = ["lcc", "components", "efficiency", "flow"]
    off = resilience(net, "degree", steps=20, measure=cols)
    on = resilience(net, "degree", steps=20, measure=cols, replacement="organization")
    assert on["replaced_by"].notna().sum() >= 19
    start = on["efficiency"].iloc[0]
    assert on["efficiency"].iloc[-1] > start > off["efficiency"].iloc[-1]
    assert on["components"].iloc[-1] < off["components"].iloc[-1]
    assert on["lcc"].iloc[-1] > off["lcc"].iloc[-1]
    assert on["flow"].iloc[-1] > off["flow"].iloc[-1]
    # every replacement is a member of the removed actor's organization, of its kind
    actors = net.actors.set_index("id")
    for gone, heir in on[["actor", "replaced_by"]].dropna().itertuples(index=False):
        assert actors.loc[heir, "organization"] == actors.loc[gone, "organization"]
        assert actors.loc[heir, "kind"] == actors.loc[gone, "kind"]


def test_markets_are_not_targets_unless_named():
    from fentanet import generate

    net = generate({"actors": 200}, seed=1)
    kinds = net.actors.set_index("id")["kind"]
    df = resilience(net, "degree", steps=30)
    assert "market" not in set(kinds[df["actor"].dropna()])
    df = resilience(net, "kind:market", steps=2)
    assert set(kinds[df["actor"].dropna()]) == {"market"}


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"strategy": "closeness"}, "unknown resilience strategy 'closeness'"),
        ({"strategy": "kind:wizard"}, "unknown actor kind"),
        ({"strategy": ["a", "zz"]}, "unknown actor id"),
        ({"strategy": ["a", "b", "a"]}, "names an actor twice: a$"),
        ({"strategy": []}, "is empty"),
        ({"strategy": "degree", "mode": "eventually"}, "unknown mode 'eventually'"),
        ({"strategy": "degree", "measure": "density"}, "unknown resilience measure"),
        ({"strategy": "degree", "measure": "flow"}, "measure 'flow' needs flow links"),
        ({"strategy": "degree", "steps": -1}, "steps must be a whole number"),
        ({"strategy": "degree", "block": 0}, "block must be"),
        ({"strategy": "degree", "repeats": 0}, "repeats must be"),
        ({"strategy": "degree", "ties": "alphabetical"}, "unknown tie rule"),
        ({"strategy": "degree", "replacement": "family"}, "unknown replacement"),
        ({"strategy": "degree", "replacement": "organization"}, "who belongs to which"),
        ({"strategy": "degree", "kinds": ["lab", "wizard"]}, "unknown actor kind"),
        ({"strategy": "kind:lab"}, r"no actor of kind lab in network 'network' to remove; "
                                   r"its actor kinds: actor \(5\)"),
        ({"strategy": "degree", "kinds": ["lab"]}, "no actor of kind lab"),
    ],
)
def test_bad_input_is_a_clear_error(kwargs, message):
    net = Network(links=pd.DataFrame({"source": list("abcd"), "target": list("bcde")}))
    with pytest.raises(InputError, match=message):
        resilience(net, **kwargs)


def test_flow_without_finite_cut_or_flow_is_refused():
    actors = pd.DataFrame({"id": ["s", "l", "d", "m"],
                           "kind": ["supplier", "lab", "dealer", "market"]})
    links = pd.DataFrame({"source": ["s", "l", "d"], "target": ["l", "d", "m"],
                          "kind": ["supplies", "ships", "sells_to"]})
    with pytest.raises(InputError, match="unbounded"):
        resilience(Network(actors, links), "degree", measure="flow")
    actors["demand"] = [np.nan, np.nan, np.nan, 0.0]
    with pytest.raises(InputError, match="is 0 in the intact network"):
        resilience(Network(actors, links), "degree", measure="flow")


def test_kind_without_the_counted_links_is_refused():
    actors = pd.DataFrame({"id": ["a", "b", "org"], "kind": ["dealer", "dealer",
                                                             "organization"]})
    links = pd.DataFrame({"source": ["a", "a", "b"], "target": ["b", "org", "org"],
                          "kind": ["tie", "member_of", "member_of"]})
    with pytest.raises(InputError, match="the actors of kind organization have none of the "
                                         "links the attack counts"):
        resilience(Network(actors, links), "kind:organization")


def test_cli_refuses_a_kind_the_network_lacks(tmp_path, capsys):
    from fentanet.cli import main

    path = tmp_path / "ties.csv"
    path.write_text("source,target\na,b\nb,c\n")
    assert main(["resilience", str(path), "--strategy", "kind:lab"]) == 2
    err = capsys.readouterr().err
    assert err == ("error: field 'strategy': no actor of kind lab in network 'ties' to "
                   "remove; its actor kinds: actor (3)\n")


def test_kinds_restrict_a_list_too():
    # review s18 L3: kinds=["dealer"] with a list naming a lab removed the lab without a word
    net = supply_chain()
    with pytest.raises(InputError, match=r"^field 'kinds': the list names actor\(s\) not of "
                                         r"the kinds given \(dealer\): lab1 \(lab\), sup "
                                         r"\(supplier\); kinds restricts every strategy, a list "
                                         r"too: leave them out of the list, or add their kinds$"):
        resilience(net, ["dl1", "lab1", "sup"], kinds=["dealer"])
    # the ring sup-lab1-dl1-mkt-dl2-lab2: a path without dl1, two pieces without lab2 too
    df = resilience(net, ["dl1", "lab2"], kinds=["dealer", "lab"], measure="components")
    assert df["actor"].tolist() == [None, "dl1", "lab2"]
    assert df["components"].tolist() == [1.0, 1.0, 2.0]


def test_cli_refuses_a_listed_actor_outside_the_kinds(tmp_path, capsys):
    from fentanet import write
    from fentanet.cli import main

    path = tmp_path / "chain.csv"
    write(supply_chain(), path)
    out_csv = tmp_path / "curve.csv"
    code = main(["resilience", str(path), "--strategy", "list", "--actors", "lab1",
                 "--kinds", "dealer", "--out", str(out_csv)])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and not out_csv.exists()
    assert err == ("error: field 'kinds': the list names actor(s) not of the kinds given "
                   "(dealer): lab1 (lab); kinds restricts every strategy, a list too: leave "
                   "them out of the list, or add their kinds\n")


def test_cli_footer_counts_whole_numbers_and_names_its_denominators(tmp_path, capsys):
    # review s18 L4: "after 5 of 285 actors removed: components 25.000" on 300 actors
    from fentanet import write
    from fentanet.cli import main

    path = tmp_path / "chain.csv"
    write(supply_chain(), path)   # 7 actors: lab3 has no link, mkt is a market
    code = main(["resilience", str(path), "--strategy", "degree", "--steps", "2",
                 "--measure", "components", "--measure", "lcc"])
    out, err = capsys.readouterr()
    assert code == 0, err
    # the ring loses sup (a path is left), then dl1: {lab1} and {mkt, dl2, lab2}
    assert out.splitlines()[-1] == ("after 2 of the 5 removable actors removed; the measures "
                                    "count the 6 of 7 actors with a person link: "
                                    "components 2, lcc 0.500")
    code = main(["resilience", str(path), "--strategy", "list", "--actors", "dl2",
                 "--measure", "components"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.splitlines()[-1] == ("after 1 of the 1 listed actors removed; the measures "
                                    "count the 6 of 7 actors with a person link: "
                                    "components 1")
    curve = resilience(supply_chain(), "degree", steps=1)
    assert (curve.attrs["actors"], curve.attrs["removable"],
            curve.attrs["network_actors"]) == (6, 5, 7)


@pytest.mark.parametrize("seed, shown", [("a", "'a'"), (-1, "-1")])
def test_a_bad_seed_is_an_input_error_naming_it(seed, shown):
    # "a" raised a bare ValueError from int(), -1 NumPy's (review s20, api)
    star = Network(links=pd.DataFrame({"source": ["hub"] * 3, "target": list("abc")}),
                   directed=False)
    with pytest.raises(InputError, match=rf"field 'seed': expected a whole number of at least "
                                         rf"0, got {shown}"):
        resilience(star, "random", seed=seed, steps=1)


def test_one_kind_given_as_text_is_one_kind():
    # kinds="dealer" was read as the kinds 'd', 'e', 'a', ... and refused (review s20, api)
    actors = pd.DataFrame({"id": ["t", "d1", "d2"], "kind": ["trafficker", "dealer", "dealer"]})
    links = pd.DataFrame({"source": ["t", "t"], "target": ["d1", "d2"], "kind": ["tie", "tie"]})
    curve = resilience(Network(actors, links, directed=False), "degree", kinds="dealer")
    assert sorted(curve["actor"].dropna()) == ["d1", "d2"]
