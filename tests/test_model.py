"""The Network model: construction, validation, views, adjacency."""

from __future__ import annotations

import re

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fentanet
from fentanet import InputError, Network
from fentanet.network import from_igraph, from_networkx


def supply_chain() -> Network:
    actors = pd.DataFrame(
        {
            "id": ["sup-1", "lab-1", "rt-1", "tr-1", "dl-1", "mk-1", "org-1", "off-1"],
            "kind": ["supplier", "lab", "route", "trafficker", "dealer", "market",
                     "organization", "official"],
            "capacity": [10, 8, np.nan, 6, 5, np.nan, np.nan, np.nan],
            "mode": [None, None, "land", None, None, None, None, None],
        }
    )
    links = pd.DataFrame(
        {
            "source": ["sup-1", "lab-1", "rt-1", "tr-1", "dl-1", "lab-1", "tr-1", "off-1"],
            "target": ["lab-1", "rt-1", "tr-1", "dl-1", "mk-1", "org-1", "org-1", "rt-1"],
            "kind": ["supplies", "ships", "ships", "distributes", "sells_to", "member_of",
                     "member_of", "protects"],
            "capacity": [9, 7, 7, 6, 5, np.nan, np.nan, np.nan],
        }
    )
    return Network(actors, links, name="chain")


def test_counts_and_indices():
    net = supply_chain()
    assert (net.n_actors, net.n_links) == (8, 8)
    assert net.source_index.dtype == np.int32
    assert net.ids[net.source_index[0]] == "sup-1"
    assert net.ids[net.target_index[4]] == "mk-1"
    assert list(net.actors["uid"]) == list(range(8))
    assert net.has_flow and net.is_typed
    assert net.links["weight"].tolist() == [1.0] * 8


def test_actors_derived_from_links_in_order_of_first_appearance():
    net = Network(links=pd.DataFrame({"source": [3, 1], "target": [1, 2]}))
    assert net.ids.tolist() == ["3", "1", "2"]
    assert set(net.actors["kind"]) == {"actor"}
    assert set(net.links["kind"]) == {"tie"}


@pytest.mark.parametrize(
    ("actors", "links", "message"),
    [
        (["a", "a"], None, "duplicate actor id 'a'"),
        (["a"], {"source": ["a"], "target": ["b"]}, "unknown actor 'b' as link target"),
        (pd.DataFrame({"id": ["a"], "kind": ["wizard"]}), None, "unknown kind 'wizard'"),
        (None, {"source": ["a"], "target": ["b"], "kind": ["teleports"]}, "unknown kind"),
        (None, {"source": ["a"], "target": ["b"], "weight": [-1]}, "finite and non-negative"),
        (None, {"source": ["a"], "target": ["b"], "capacity": [np.inf]}, "finite"),
        (None, {"source": ["a"], "target": ["b"], "cost": ["cheap"]}, "must be a number"),
        (pd.DataFrame({"id": ["m", "l"], "kind": ["market", "lab"]}),
         {"source": ["m"], "target": ["l"], "kind": ["supplies"]},
         "a 'supplies' link cannot join a market to a lab"),
        (pd.DataFrame({"id": ["o", "d"], "kind": ["official", "dealer"]}),
         {"source": ["d"], "target": ["o"], "kind": ["protects"]},
         "a 'protects' link cannot join a dealer to an official"),  # was 'a official'
        (pd.DataFrame({"id": ["o", "d"], "kind": ["organization", "dealer"]}),
         {"source": ["o"], "target": ["d"], "kind": ["member_of"]},
         "a 'member_of' link cannot join an organization to a dealer"),
        (pd.DataFrame({"id": ["r"], "kind": ["route"], "mode": ["teleport"]}), None,
         "unknown route mode 'teleport'"),
        (None, {"source": ["a"]}, "no 'target' column"),
    ],
)
def test_validation_errors(actors, links, message):
    links = None if links is None else pd.DataFrame(links)
    with pytest.raises(InputError, match=message):
        Network(actors, links)


@pytest.mark.parametrize(("uid", "problem"), [
    ([1.5, 1.7], "row 1: uid '1.5' of actor 'a': expected a whole number"),
    ([1.0, 1.5], "row 2: uid '1.5' of actor 'b': expected a whole number"),
    ([np.inf, 1.0], "row 1: uid 'inf' of actor 'a': expected a whole number"),
    ([2.0**63, 1.0], "row 1: uid '9.223372036854776e+18' of actor 'a': expected a whole "
                     "number"),
    ([1, 1], "row 2: uid 1 of actor 'b' is also the uid of actor 'a'"),
    (["1", "x"], "row 2: uid 'x' of actor 'b': expected a whole number")])
def test_uids_must_be_unique_integers(uid, problem):
    """Never truncated: uids 1.5 and 1.7 became two actors of uid 1."""
    with pytest.raises(InputError) as info:
        Network(pd.DataFrame({"id": ["a", "b"], "uid": uid}))
    message = str(info.value)
    assert message.startswith(f"field 'uid': actors {problem}")
    assert message.endswith("; actor 'uid' must be unique integers")


@settings(max_examples=60, deadline=None)
@given(uid=st.lists(st.one_of(st.integers(-2**50, 2**50), st.floats(-1e6, 1e6)),
                    min_size=1, max_size=6))
def test_uids_are_kept_exactly_or_refused(uid):
    try:
        net = Network(pd.DataFrame({"id": [f"a{i}" for i in range(len(uid))], "uid": uid}))
    except InputError:
        assert len(set(uid)) < len(uid) or any(float(u) != int(u) for u in uid)
        return
    assert net.actors["uid"].dtype == np.int64
    assert [float(u) for u in net.actors["uid"]] == [float(u) for u in uid]
    assert net.actors["uid"].is_unique


def test_uids_from_a_file_must_be_integers(tmp_path, capsys):
    from fentanet.cli import main

    path = tmp_path / "u.actors.csv"
    path.write_text("id,kind,uid\na,lab,1.5\nb,lab,1.7\n")
    # the file's line and the value are named (the message named the file alone)
    message = (f"{path}:2: field 'uid': uid '1.5' of actor 'a': expected a whole number "
               "from -2**63 to 2**63-1; actor 'uid' must be unique integers")
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        fentanet.read(path)
    assert main(["info", str(path)]) == 2
    assert capsys.readouterr().err == f"error: {message}\n"
    path.write_text("id,kind,uid\na,lab,1.0\nb,lab,7\n")
    assert fentanet.read(path).actors["uid"].tolist() == [1, 7]


def test_uid_errors_name_the_row_the_actor_and_the_problem(tmp_path):
    def error(uid) -> str:
        with pytest.raises(InputError) as info:
            Network(pd.DataFrame({"id": ["a", "b", "c"], "uid": uid}))
        return str(info.value)

    tail = "; actor 'uid' must be unique integers"
    assert error([5, 6, 5]) == ("field 'uid': actors row 3: uid 5 of actor 'c' is also the "
                                "uid of actor 'a'" + tail)
    assert error([5, None, 7]) == "field 'uid': actors row 2: actor 'b' has no uid" + tail
    assert error(["5", "6", "x"]) == ("field 'uid': actors row 3: uid 'x' of actor 'c': "
                                      "expected a whole number from -2**63 to 2**63-1" + tail)
    path = tmp_path / "d.actors.csv"
    path.write_text("id,kind,uid\na,lab,1\nb,lab,2\nc,lab,1\n")
    with pytest.raises(InputError) as info:
        fentanet.read(path)
    assert str(info.value) == (f"{path}:4: field 'uid': uid 1 of actor 'c' is also the uid "
                               "of actor 'a'" + tail)


@pytest.mark.parametrize("uid", [[1, 2**63], ["1", "18446744073709551615"],
                                 [1, 2**64 - 1]])
def test_uids_beyond_int64_are_refused_not_wrapped(uid):
    """Whole numbers of 2**63 or more are read as unsigned and wrapped below 0 by the
    int64 column ([1, 2**63] became [1, -2**63]; review s18, final L1)."""
    with pytest.raises(InputError, match="actor 'uid' must be unique integers"):
        Network(pd.DataFrame({"id": ["a", "b"], "uid": uid}))


def test_error_names_row_and_field():
    links = pd.DataFrame({"source": ["a", "b", "c"], "target": ["b", "c", "d"],
                          "weight": [1, 2, "x"]})
    with pytest.raises(InputError) as info:
        Network(None, links)
    assert info.value.field == "weight"
    assert "links row 3" in str(info.value)


def test_adjacency_sums_parallel_links_and_symmetrises_undirected():
    links = pd.DataFrame({"source": ["a", "a", "b"], "target": ["b", "b", "c"],
                          "weight": [1.0, 2.0, 5.0]})
    d = Network(None, links)
    assert d.adjacency(weight="weight").toarray().tolist() == [
        [0, 3, 0], [0, 0, 5], [0, 0, 0]]
    u = Network(None, links, directed=False)
    a = u.adjacency().toarray()
    assert (a == a.T).all() and a[0, 1] == 2 and a[2, 1] == 1


def test_select_by_kind():
    net = supply_chain()
    flow = net.select(link_kinds=["supplies", "ships", "distributes", "sells_to"])
    assert flow.n_links == 5 and flow.actors is net.actors
    people = net.select(actor_kinds=["lab", "trafficker", "organization"])
    assert set(people.ids) == {"lab-1", "tr-1", "org-1"}
    assert set(people.links["kind"]) == {"member_of"}
    with pytest.raises(InputError, match="unknown kind"):
        net.select(link_kinds=["bribes"])


def test_ego_component_subgraph():
    links = pd.DataFrame({"source": ["a", "b", "c", "x"], "target": ["b", "c", "d", "y"]})
    net = Network(None, links)
    assert set(net.ego("b").ids) == {"a", "b", "c"}
    assert set(net.ego("a", radius=2).ids) == {"a", "b", "c"}
    big = net.component()
    assert set(big.ids) == {"a", "b", "c", "d"} and big.n_links == 3
    assert set(net.component("y").ids) == {"x", "y"}
    sub = net.subgraph(["a", "b", "y"])
    assert sub.n_links == 1 and sub.ids[sub.source_index[0]] == "a"
    assert net.without(["b"]).n_links == 2


def test_to_undirected_combines_reciprocal_links():
    links = pd.DataFrame({"source": ["a", "b", "b"], "target": ["b", "a", "c"],
                          "weight": [2.0, 5.0, 1.0]})
    net = Network(None, links)
    assert net.to_undirected("max").links["weight"].tolist() == [5.0, 1.0]
    assert net.to_undirected("sum").links["weight"].tolist() == [7.0, 1.0]
    assert not net.to_undirected().directed


def test_phases_and_times():
    links = pd.DataFrame({"source": ["a", "b", "c"], "target": ["b", "c", "d"],
                          "phase": [1, 2, 2], "start": [0, 5, 10], "end": [5, 20, 30]})
    net = Network(None, links)
    assert net.phases == [1, 2]
    p2 = net.at_phase(2)
    assert set(p2.ids) == {"b", "c", "d"} and p2.n_links == 2
    assert net.as_of(12).n_links == 2 and net.as_of(4).n_links == 1
    with pytest.raises(InputError, match="no phase 7"):
        net.at_phase(7)


def test_networkx_and_igraph_round_trip():
    net = supply_chain()
    back = from_networkx(net.to_networkx())
    assert back.equals(net), back.differences(net)
    back = from_igraph(net.to_igraph())
    assert back.equals(net), back.differences(net)
    g = nx.karate_club_graph()
    k = from_networkx(g)
    assert (k.n_actors, k.n_links, k.directed) == (34, 78, False)


def test_degree_and_summary():
    net = supply_chain()
    deg = net.degree()
    assert deg["tr-1"] == 3 and deg["mk-1"] == 1
    s = net.summary()
    assert s["actors"] == 8 and s["components"] == 1
    assert s["actor_kinds"]["lab"] == 1


def test_one_id_given_as_a_string_is_one_actor():
    """'ab' is the actor ab, not the actors a and b (a string is not a list of ids)."""
    net = Network(["ab", "a", "b"], pd.DataFrame({"source": ["ab", "a"], "target": ["a", "b"]}))
    assert net.subgraph("ab").ids.tolist() == ["ab"]
    assert net.without("ab").ids.tolist() == ["a", "b"] and net.without("ab").n_links == 1
    assert net.index_of("ab").tolist() == [0]
    assert net.select(actor_kinds="actor").n_actors == 3
    assert net.select(link_kinds="tie").n_links == 2
    with pytest.raises(InputError, match=r"unknown actor id\(s\) \['5'\]"):
        net.index_of(5)


def test_empty_network_summary_and_bad_degree_direction():
    s = Network().summary()
    assert (s["actors"], s["links"], s["components"], s["isolates"]) == (0, 0, 0, 0)
    assert s["degree"] == {"mean": 0.0, "median": 0.0, "max": 0, "min": 0}
    isolated = Network(["a", "b", "c"]).summary()
    assert (isolated["isolates"], isolated["components"]) == (3, 3)
    with pytest.raises(InputError, match="unknown direction 'sideways'; expected all, in "
                                         "or out"):
        supply_chain().degree(direction="sideways")


def test_positions_of_ids_by_hand():
    """Each value's position among the ids, -1 where absent, whatever the values' type
    (text or numbers read as text); the first of duplicate ids wins."""
    from fentanet.network.model import positions

    ids = pd.Series(["lab-1", "dlr-2", "7", "dlr-2"])
    got = positions(ids, pd.Series(["dlr-2", "nobody", "lab-1", 7, "lab-1"], dtype=object))
    assert got.dtype == np.int32
    assert got.tolist() == [1, -1, 0, 2, 0]
    assert positions(ids, pd.Series([], dtype=object)).size == 0


def test_directed_takes_true_or_false_only():
    # directed="no" made a directed network: the text is true to Python (review s20, api)
    with pytest.raises(InputError, match="field 'directed': expected True or False, got 'no'"):
        Network(["a"], directed="no")
    assert Network(["a"], directed=np.bool_(False)).directed is False


@pytest.mark.parametrize("radius, shown", [(1.5, "1.5"), (-1, "-1"), ("x", "'x'")])
def test_ego_refuses_a_radius_that_is_not_a_whole_number_at_least_0(radius, shown):
    # 1.5 ran radius 1 and -1 radius 0, without a word (review s20, api)
    path = Network(links=pd.DataFrame({"source": list("abc"), "target": list("bcd")}))
    with pytest.raises(InputError, match=rf"field 'radius': expected a whole number of at "
                                         rf"least 0, got {shown}"):
        path.ego("a", radius=radius)
    assert path.ego("b", radius=0).ids.tolist() == ["b"]
    assert path.ego("b", radius=2).ids.tolist() == ["a", "b", "c", "d"]


@pytest.mark.parametrize("fmt", ["edgelist", "links", "matrix"])
def test_read_and_from_indices_take_directed_true_or_false_only(tmp_path, fmt):
    # read(path, directed="no") and Network.from_indices(directed="no") made directed
    # networks after Network's own directed was checked (review s20, final)
    from fentanet.network.io import read

    path = tmp_path / "k.txt"
    if fmt == "matrix":
        path.write_text("0 1\n1 0\n")
    elif fmt == "links":
        path = tmp_path / "k.csv"
        path.write_text("source,target\na,b\n")
    else:
        path.write_text("a b\n")
    with pytest.raises(InputError, match="field 'directed': expected True or False, got 'no'"):
        read(path, format=fmt, directed="no")
    assert read(path, format=fmt, directed=False).directed is False
    with pytest.raises(InputError, match="field 'directed': expected True or False, got 'no'"):
        Network.from_indices(["a", "b"], [0], [1], directed="no")
    assert Network.from_indices(["a", "b"], [0], [1], directed=np.bool_(False)).directed is False
