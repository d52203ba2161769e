"""Maximum flow and minimum cut on the stage-expanded graph.

Oracles: networkx's ``maximum_flow_value`` on the same expanded graph, on an expansion
written independently here, and on random capacitated digraphs; hand-computed supply
chains; flow conservation and capacities checked on every actor and link (hypothesis).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fentanet
from fentanet import InputError, Network, max_flow
from fentanet.analysis.flow import ARC_LINK, expand

INSTANCES = [f"ht/Network{i}.csv" for i in range(1, 11)] + [
    f"layered_type1/Net{i}.csv" for i in range(1, 11)]


# ---------------------------------------------------------------------- helpers
def flow_net(edges, n=None, *, source="0", sink=None, directed=True) -> Network:
    """An untyped flow network from (tail, head, capacity) triples (capacity None =
    unbounded); the source and sink go in the metadata, as the instance reader does."""
    frame = pd.DataFrame(edges, columns=["source", "target", "capacity"])
    frame["source"] = frame["source"].astype(str)
    frame["target"] = frame["target"].astype(str)
    frame["capacity"] = pd.to_numeric(frame["capacity"])
    frame["kind"] = "flow"
    ids = [str(i) for i in range(n)] if n is not None else None
    sink = sink if sink is not None else str(n - 1)
    return Network(ids, frame, directed=directed, meta={"source": source, "sink": sink})


def nx_value(edges, source, sink, *, directed=True) -> float:
    g = nx.DiGraph() if directed else nx.Graph()
    g.add_nodes_from([source, sink])
    for a, b, c in edges:
        if a == b:
            continue
        if g.has_edge(a, b):
            if "capacity" in g[a][b] and c is not None:
                g[a][b]["capacity"] += c
            else:
                g[a][b].pop("capacity", None)
        elif c is None:
            g.add_edge(a, b)
        else:
            g.add_edge(a, b, capacity=c)
    try:
        return float(nx.maximum_flow_value(g, source, sink))
    except nx.NetworkXUnbounded:
        return float("inf")


def expanded_nx_value(net: Network, **kw) -> float:
    """networkx on the very graph fentanet builds (parallel arcs merged)."""
    g = expand(net, **kw)
    edges = [(int(a), int(b), None if np.isinf(c) else float(c))
             for a, b, c in zip(g.tail, g.head, g.capacity, strict=True)]
    return nx_value(edges, g.source, g.sink)


def supply_actors(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["id", "kind", "capacity", "demand"])


def supply_links(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["source", "target", "kind", "capacity"])


# ---------------------------------------------------------------------- hand-built chains
def chain() -> Network:
    """supplier -> lab -> route -> trafficker -> dealer -> market, plus a marketplace that
    sells precursor and product, a prescriber diverting, and support links."""
    actors = supply_actors([
        ("sup", "supplier", 20, None),
        ("mkp", "marketplace", 15, None),
        ("lab", "lab", 12, None),
        ("rt", "route", None, None),
        ("tr", "trafficker", 9, None),
        ("dl", "dealer", None, None),
        ("mk", "market", None, 30),
        ("rx", "prescriber", None, None),
        ("org", "organization", None, None),
    ])
    links = supply_links([
        ("sup", "lab", "supplies", 5),
        ("sup", "mkp", "supplies", None),
        ("mkp", "lab", "supplies", 4),
        ("lab", "rt", "ships", None),
        ("rt", "tr", "ships", None),
        ("tr", "dl", "distributes", None),
        ("dl", "mk", "sells_to", None),
        ("lab", "mkp", "ships", 2),   # product back onto the marketplace
        ("mkp", "mk", "sells_to", None),
        ("rx", "mk", "diverts_to", 100),
        ("tr", "org", "member_of", None),
    ])
    return Network(actors, links, name="chain")


def test_chain_by_hand():
    res = max_flow(chain())
    # precursor reaching the lab: 5 direct + min(4, 15) via the marketplace = 9 (< lab 12);
    # product: 9 leave the lab, 2 via the marketplace to the market, 7 via the route (tr 9)
    assert res.value == pytest.approx(9.0)
    assert res.sources == ["sup"] and res.sinks == ["mk"]
    assert res.delivered["mk"] == pytest.approx(9.0)
    assert res.throughput["lab"] == pytest.approx(9.0)
    # the marketplace handles both commodities: 4 precursor + up to 2 product
    assert res.throughput["mkp"] == pytest.approx(4.0 + res.flow[7])
    # prescription diversion and support links are never flow
    assert res.flow[9] == 0 and res.flow[10] == 0
    assert res.throughput["rx"] == 0
    # the cut closest to the sources: the two precursor links into the lab
    assert sorted(res.cut_links) == [0, 2]
    assert res.cut_actors == [] and res.cut_demand == []
    assert res.source_side[["sup", "mkp"]].all() and not res.source_side["lab"]
    assert res.cut["capacity"].sum() == pytest.approx(res.value)


def test_path_skipping_the_lab_carries_nothing():
    """Precursor sold on a marketplace cannot be sold to a market as product: without a
    lab on the way the only path from supplier to market carries no flow."""
    actors = supply_actors([
        ("sup", "supplier", None, None), ("mkp", "marketplace", None, None),
        ("dl", "dealer", None, None), ("mk", "market", None, 50),
    ])
    links = supply_links([
        ("sup", "mkp", "supplies", 10), ("mkp", "mk", "sells_to", 10),
        ("sup", "dl", "flow", 10), ("dl", "mk", "sells_to", 10),
    ])
    net = Network(actors, links)
    res = max_flow(net)
    assert res.value == 0.0
    assert (res.flow == 0).all()
    # the same links with a lab in between carry flow
    actors2 = pd.concat([actors, supply_actors([("lab", "lab", 7, None)])])
    links2 = pd.concat([links, supply_links([("sup", "lab", "supplies", 10),
                                              ("lab", "mkp", "ships", 10)])])
    res2 = max_flow(Network(actors2, links2))
    assert res2.value == pytest.approx(7.0)
    assert res2.cut_actors == ["lab"]
    assert res2.flow[1] == pytest.approx(7.0)  # marketplace -> market, product
    assert res2.flow[0] == 0.0                   # precursor onto the marketplace unused


def test_small_demand_caps_flow_and_shows_in_the_cut():
    actors = supply_actors([
        ("sup", "supplier", None, None), ("lab", "lab", 100, None),
        ("dl", "dealer", None, None), ("mk1", "market", None, 3),
        ("mk2", "market", None, 4.5),
    ])
    links = supply_links([
        ("sup", "lab", "supplies", None), ("lab", "dl", "ships", None),
        ("dl", "mk1", "sells_to", None), ("dl", "mk2", "sells_to", 2),
    ])
    res = max_flow(Network(actors, links))
    assert res.value == pytest.approx(5.0)
    assert res.delivered.to_dict() == pytest.approx({"mk1": 3.0, "mk2": 2.0})
    assert res.cut_demand == ["mk1"]
    assert res.cut_links == [3]
    # cutting the lab's capacity far below what the markets take does matter; cutting it
    # to more than they take does not look effective
    actors.loc[1, "capacity"] = 5.0
    assert max_flow(Network(actors, links)).value == pytest.approx(5.0)
    actors.loc[1, "capacity"] = 4.0
    assert max_flow(Network(actors, links)).value == pytest.approx(4.0)


def test_prescribers_are_not_sources_and_diversion_is_not_flow():
    actors = supply_actors([("rx", "prescriber", None, None), ("mk", "market", None, 10),
                            ("sup", "supplier", None, None), ("lab", "lab", 1, None)])
    links = supply_links([("rx", "mk", "diverts_to", 5), ("sup", "lab", "supplies", 3),
                          ("lab", "mk", "flow", 3)])
    net = Network(actors, links)
    assert max_flow(net).value == pytest.approx(1.0)
    assert max_flow(net).sources == ["sup"]
    assert max_flow(net, sources=["rx", "sup"]).value == pytest.approx(1.0)


def test_actor_capacities_and_unbounded_flow():
    net = flow_net([(0, 1, None), (1, 2, None)], 3)
    assert max_flow(net).value == np.inf
    assert max_flow(net).cut_links == []
    actors = pd.DataFrame({"id": ["0", "1", "2"], "capacity": [np.nan, 2.5, np.nan]})
    net = Network(actors, net.links, meta=net.meta)
    res = max_flow(net)
    assert res.value == 2.5 and res.cut_actors == ["1"]
    assert max_flow(net, capacity=None).value == np.inf


def test_undirected_links_carry_flow_both_ways():
    edges = [(0, 1, 3), (2, 1, 2), (1, 3, 4), (2, 3, 1), (0, 2, 5)]
    net = flow_net(edges, 4, directed=False)
    res = max_flow(net)
    expect = nx_value([(str(a), str(b), c) for a, b, c in edges], "0", "3", directed=False)
    assert res.value == pytest.approx(expect) == pytest.approx(5.0)
    # a link stored as 1-0 carries flow from 0 to 1: negative flow
    res = max_flow(flow_net([(1, 0, 3), (1, 2, 2)], 3, directed=False))
    assert res.value == pytest.approx(2.0)
    assert res.flow.tolist() == pytest.approx([-2.0, 2.0])


def test_sources_and_sinks_from_arguments():
    net = flow_net([(0, 1, 4), (1, 2, 3), (0, 2, 1), (2, 3, 10)], 4)
    assert max_flow(net).value == pytest.approx(4.0)
    assert max_flow(net, sinks="2").value == pytest.approx(4.0)
    assert max_flow(net, sources=["1"], sinks=["2"]).value == pytest.approx(3.0)
    assert max_flow(net, sources=[0, 1], sinks=[3]).value == pytest.approx(4.0 + 0)


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize(("kwargs", "message", "field"), [
    ({"sources": ["nobody"]}, "unknown actor id", "sources"),
    ({"sinks": ["ghost"]}, "unknown actor id", "sinks"),
    ({"sources": ["0"], "sinks": ["0"]}, "both source and sink", "sinks"),
    ({"sources": []}, "no sources given", "sources"),
    ({"capacity": "width"}, "no column 'width'", "capacity"),
])
def test_bad_arguments(kwargs, message, field):
    net = flow_net([(0, 1, 4), (1, 2, 3)], 3)
    with pytest.raises(InputError, match=message) as err:
        max_flow(net, **kwargs)
    assert err.value.field == field


def test_no_flow_links_is_an_error():
    net = Network(links=pd.DataFrame({"source": ["a"], "target": ["b"]}))
    with pytest.raises(InputError, match="no flow links") as err:
        max_flow(net, sources="a", sinks="b")
    assert err.value.field == "links"


def test_no_default_sources_is_an_error():
    net = Network(links=pd.DataFrame({"source": ["a"], "target": ["b"], "kind": "flow"}))
    with pytest.raises(InputError, match="no supplier actors"):
        max_flow(net)


def test_bad_demand_or_capacity_values():
    actors = supply_actors([("s", "supplier", None, None), ("m", "market", None, -1)])
    links = supply_links([("s", "m", "flow", 1)])
    with pytest.raises(InputError, match="'demand' must be non-negative"):
        max_flow(Network(actors, links))
    actors["demand"] = ["x", 2]
    with pytest.raises(InputError, match="'demand' must be a number"):
        max_flow(Network(actors, links))
    links["width"] = [-3.0]
    actors["demand"] = [None, 2]
    with pytest.raises(InputError, match="'width' must be non-negative"):
        max_flow(Network(actors, links), capacity="width")


# ---------------------------------------------------------------------- oracles
@pytest.mark.parametrize("name", INSTANCES)
def test_instances_against_networkx(shared_data, name):
    net = fentanet.read(shared_data / "interdiction" / name)
    res = max_flow(net)
    edges = list(zip(net.links["source"], net.links["target"],
                     net.links["capacity"].astype(float), strict=True))
    expect = nx_value(edges, net.meta["source"], net.meta["sink"])
    assert res.value == pytest.approx(expect, abs=1e-9)
    assert res.value == pytest.approx(expanded_nx_value(net))
    assert res.cut["capacity"].sum() == pytest.approx(res.value)
    caps = net.links["capacity"].to_numpy()
    assert (res.flow.to_numpy() <= caps + 1e-9).all() and (res.flow >= -1e-9).all()


def random_supply(seed: int, n_per_stage: int = 3) -> Network:
    """A small random typed supply network with marketplaces, random capacities (some
    missing), demands and a few stage-skipping links."""
    rng = np.random.default_rng(seed)
    stages = ["supplier", "marketplace", "lab", "route", "trafficker", "dealer", "market"]
    rows = []
    for kind in stages:
        for i in range(rng.integers(1, n_per_stage + 1)):
            cap = float(rng.integers(1, 20)) if rng.random() < 0.6 else None
            demand = float(rng.integers(1, 30)) if kind == "market" and rng.random() < 0.8 \
                else None
            rows.append((f"{kind}-{i}", kind, cap, demand))
    actors = supply_actors(rows)
    by = {k: actors.loc[actors["kind"] == k, "id"].tolist() for k in stages}
    options = [("supplier", "lab", "supplies"), ("supplier", "marketplace", "supplies"),
               ("marketplace", "lab", "supplies"), ("lab", "route", "ships"),
               ("lab", "marketplace", "ships"), ("marketplace", "route", "ships"),
               ("marketplace", "market", "sells_to"), ("route", "route", "ships"),
               ("route", "trafficker", "ships"), ("trafficker", "dealer", "distributes"),
               ("trafficker", "trafficker", "distributes"), ("dealer", "market", "sells_to"),
               ("supplier", "dealer", "flow"), ("marketplace", "dealer", "ships"),
               ("lab", "trafficker", "ships"), ("supplier", "supplier", "supplies")]
    links = []
    for a, b, kind in options:
        for s in by[a]:
            for t in by[b]:
                if s != t and rng.random() < 0.6:
                    cap = float(rng.integers(1, 15)) if rng.random() < 0.7 else None
                    links.append((s, t, kind, cap))
    return Network(actors, supply_links(links), name=f"supply-{seed}")


def independent_expansion(net: Network) -> nx.DiGraph:
    """The stage expansion written again from DESIGN.md, one actor at a time."""
    g = nx.DiGraph()
    kind = dict(zip(net.actors["id"], net.actors["kind"], strict=True))
    cap = dict(zip(net.actors["id"], net.actors["capacity"], strict=True))
    demand = dict(zip(net.actors["id"], net.actors["demand"], strict=True))

    def node(actor, commodity, side):
        return (actor, "lab" if kind[actor] == "lab" else commodity, side)

    def add(a, b, c):
        if c is None or np.isnan(c):
            if g.has_edge(a, b):
                g[a][b].pop("capacity", None)
            else:
                g.add_edge(a, b)
        elif g.has_edge(a, b):
            if "capacity" in g[a][b]:
                g[a][b]["capacity"] += c
        else:
            g.add_edge(a, b, capacity=c)

    units = set()
    for row in net.links.itertuples():
        if row.kind in ("diverts_to", "member_of") or row.source == row.target:
            continue
        precursor = row.kind == "supplies" or (
            row.kind == "flow" and (kind[row.source] == "supplier" or kind[row.target] == "lab"))
        commodity = "precursor" if precursor else "product"
        if kind[row.target] == "supplier" or kind[row.source] == "market":
            continue  # into a source, out of a sink
        add(node(row.source, commodity, "out"), node(row.target, commodity, "in"),
            row.capacity)
        units.add(node(row.source, commodity, "out")[:2])
        units.add(node(row.target, commodity, "in")[:2])
    for actor, commodity in units:
        add((actor, commodity, "in"), (actor, commodity, "out"), cap[actor])
        if kind[actor] == "supplier":
            add("S", (actor, commodity, "in"), None)
        if kind[actor] == "market":
            add((actor, commodity, "out"), "T", demand[actor])
    g.add_nodes_from(["S", "T"])
    return g


def conservation_errors(net: Network, res) -> list[str]:
    """Every actor balances per commodity (labs: precursor in = product out) and no link,
    actor or market exceeds its capacity."""
    errors = []
    flow = res.flow.to_numpy()
    links = net.links
    kinds = dict(zip(net.actors["id"], net.actors["kind"], strict=True))
    carrying = ~links["kind"].isin(["diverts_to", "member_of", "tie"]).to_numpy()
    inflow = pd.Series(0.0, index=net.ids)
    outflow = pd.Series(0.0, index=net.ids)
    np.add.at(inflow.values, net.target_index[carrying], flow[carrying])
    np.add.at(outflow.values, net.source_index[carrying], flow[carrying])
    for actor in net.ids:
        through = res.throughput[actor]
        if kinds[actor] not in ("supplier",) and actor not in res.sources:
            if not np.isclose(inflow[actor], through, atol=1e-7):
                errors.append(f"{actor}: in {inflow[actor]} != through {through}")
        if actor in res.sinks:
            if not np.isclose(res.delivered[actor], through, atol=1e-7):
                errors.append(f"{actor}: delivered {res.delivered[actor]} != {through}")
        elif not np.isclose(outflow[actor], through, atol=1e-7):
            errors.append(f"{actor}: out {outflow[actor]} != through {through}")
    caps = net.links["capacity"].to_numpy(dtype=float, na_value=np.nan) \
        if "capacity" in net.links else np.full(net.n_links, np.nan)
    over = np.flatnonzero(np.abs(flow) > np.where(np.isnan(caps), np.inf, caps) + 1e-7)
    errors += [f"link {i} over capacity" for i in over]
    if (flow[~carrying] != 0).any():
        errors.append("flow on a link that carries nothing")
    # per commodity: non-lab actors balance precursor and product apart, and an actor
    # handling both (a marketplace) has its capacity on each
    src_kind = net.actors["kind"].to_numpy()[net.source_index]
    dst_kind = net.actors["kind"].to_numpy()[net.target_index]
    precursor = (links["kind"].eq("supplies").to_numpy()
                 | (links["kind"].eq("flow").to_numpy()
                    & ((src_kind == "supplier") | (dst_kind == "lab"))))
    acap = (net.actors["capacity"].to_numpy(dtype=float, na_value=np.inf)
            if "capacity" in net.actors else np.full(net.n_actors, np.inf))
    acap = np.where(np.isnan(acap), np.inf, acap)
    for commodity in (precursor, ~precursor):
        sel = carrying & commodity
        cin = np.zeros(net.n_actors)
        cout = np.zeros(net.n_actors)
        np.add.at(cin, net.target_index[sel], flow[sel])
        np.add.at(cout, net.source_index[sel], flow[sel])
        for i, actor in enumerate(net.ids):
            if kinds[actor] == "lab" or actor in res.sources or actor in res.sinks:
                continue
            if not np.isclose(cin[i], cout[i], atol=1e-7):
                errors.append(f"{actor}: commodity in {cin[i]} != out {cout[i]}")
            if cin[i] > acap[i] + 1e-7:
                errors.append(f"{actor} over capacity")
    for i, actor in enumerate(net.ids):
        if kinds[actor] != "marketplace" and res.throughput[actor] > acap[i] + 1e-7:
            errors.append(f"{actor} over capacity")
    if "demand" in net.actors:
        d = net.actors.set_index("id")["demand"].astype(float)
        for m, v in res.delivered.items():
            if not np.isnan(d[m]) and v > d[m] + 1e-7:
                errors.append(f"market {m} over demand")
    if not np.isclose(res.delivered.sum(), res.value, atol=1e-7):
        errors.append("delivered != value")
    if not np.isclose(res.cut["capacity"].sum(), res.value, atol=1e-7):
        errors.append("cut capacity != value")
    return errors


@pytest.mark.parametrize("seed", range(12))
def test_random_supply_networks_against_independent_expansion(seed):
    net = random_supply(seed)
    res = max_flow(net)
    try:
        expect = nx.maximum_flow_value(independent_expansion(net), "S", "T")
    except nx.NetworkXUnbounded:
        expect = np.inf
    assert res.value == pytest.approx(expect)
    assert res.value == pytest.approx(expanded_nx_value(net))
    if np.isinf(expect):
        return
    assert conservation_errors(net, res) == []
    # the flow on each link respects the commodity rule: no precursor reaches a market
    precursor = net.links["kind"].eq("supplies").to_numpy()
    assert not np.isin(net.target_index[precursor & (res.flow.to_numpy() > 0)],
                       np.flatnonzero(net.actors["kind"].eq("market"))).any()


capacity_values = st.one_of(st.none(), st.integers(0, 20).map(float),
                            st.floats(0.01, 50, allow_nan=False))


@st.composite
def digraphs(draw):
    n = draw(st.integers(2, 8))
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1),
                                    capacity_values), min_size=1, max_size=25))
    return n, edges


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(digraphs(), st.booleans())
def test_random_digraphs_against_networkx(graph, directed):
    n, edges = graph
    net = flow_net(edges, n, directed=directed)
    res = max_flow(net)
    expect = nx_value([(str(a), str(b), c) for a, b, c in edges], "0", str(n - 1),
                      directed=directed)
    if np.isinf(expect):
        assert res.value == np.inf
        return
    assert res.value == pytest.approx(expect, rel=1e-9, abs=1e-9)
    # conservation at every inner actor, capacity on every link, min cut = max flow
    flow = res.flow.to_numpy()
    net_in = np.zeros(n)
    np.add.at(net_in, net.target_index, flow)
    np.add.at(net_in, net.source_index, -flow)
    inner = [i for i in range(n) if net.ids[i] not in ("0", str(n - 1))]
    assert np.allclose(net_in[inner], 0, atol=1e-7)
    assert net_in[net.index_of([str(n - 1)])[0]] == pytest.approx(res.value, abs=1e-7)
    caps = net.links["capacity"].to_numpy(dtype=float, na_value=np.inf)
    assert (np.abs(flow) <= caps + 1e-7).all()
    if directed:
        assert (flow >= -1e-12).all()
    assert res.cut["capacity"].sum() == pytest.approx(res.value, rel=1e-9, abs=1e-7)
    # every cut link is saturated, and runs from the source side to the sink side
    side = res.source_side
    for i in res.cut_links:
        s, t = net.links.loc[i, ["source", "target"]]
        assert abs(flow[i]) == pytest.approx(caps[i], abs=1e-7)
        assert side[s] != side[t]


@st.composite
def digraphs_on_a_grid(draw):
    """Parallel and antiparallel arcs, capacities in quarters (Dinic takes them exactly)."""
    n = draw(st.integers(2, 7))
    caps = st.one_of(st.none(), st.integers(0, 60).map(lambda x: x / 4))
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), caps),
                          min_size=1, max_size=30))
    return n, edges


@settings(max_examples=150, deadline=None)
@given(digraphs_on_a_grid(), st.booleans())
def test_both_solvers_agree_with_networkx(graph, directed):
    """scipy's Dinic (integer path) and igraph's push-relabel give a valid maximum flow
    on every arc of the expanded graph, with the value networkx finds."""
    n, edges = graph
    g = expand(flow_net(edges, n, directed=directed))
    expect = nx_value([(str(a), str(b), c) for a, b, c in edges], "0", str(n - 1),
                      directed=directed)
    assert g.solver.integer_scale(g.solver.tighten(g.capacity)) is not None
    for method in ("dinic", "push_relabel"):
        value, flow = g.solver.solve(g.capacity, method)
        assert value == pytest.approx(expect, abs=1e-9)
        if np.isinf(value):
            continue
        assert (flow >= -1e-12).all() and (flow <= g.capacity + 1e-9).all()
        balance = np.bincount(g.head, weights=flow, minlength=g.n_nodes) - np.bincount(
            g.tail, weights=flow, minlength=g.n_nodes)
        inner = np.ones(g.n_nodes, dtype=bool)
        inner[[g.source, g.sink]] = False
        assert np.allclose(balance[inner], 0, atol=1e-9)
        assert balance[g.sink] == pytest.approx(value, abs=1e-9)
        cut = g.cut_arcs(flow)
        assert g.capacity[cut].sum() == pytest.approx(value, abs=1e-9)


def test_dinic_falls_back_on_arbitrary_floats():
    g = expand(flow_net([(0, 1, 1 / 3), (1, 2, np.pi)], 3))
    assert g.solver.integer_scale(g.capacity) is None
    value, _ = g.solver.solve(g.capacity, "dinic")
    assert value == pytest.approx(1 / 3)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000))
def test_random_supply_conservation(seed):
    net = random_supply(seed, n_per_stage=2)
    res = max_flow(net)
    if np.isinf(res.value):
        assert res.cut_links == [] and res.cut_actors == []
        return
    assert conservation_errors(net, res) == []


def test_expanded_graph_shape():
    g = expand(chain())
    # units: sup(P), mkp(P, Q), lab, rt, tr, dl, mk -> 8 units, 16 nodes + S, T
    assert g.n_nodes == 18
    assert (g.role == ARC_LINK).sum() == 9  # 11 links less diversion and membership
    assert g.role.tolist().count(1) == 8     # one capacity arc per unit
    assert g.n_arcs == 9 + 8 + 1 + 1         # and one supply and one demand arc
    assert g.sources.tolist() == [0] and g.sinks.tolist() == [6]

