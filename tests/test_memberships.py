"""Memberships of organizations (the actor column ``organization``) in derived networks, in
the validator and in the simulation: a network without an organization keeps its members
as independent actors (audit s11/audit-sim finding 6); a view that leaves an organization
out keeps its members' memberships as group labels (review s11 finding 1)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import fentanet
from fentanet import InputError, Network
from fentanet.cli import main
from fentanet.errors import InputWarning
from fentanet.network.kinds import ACTOR_KINDS
from fentanet.simulate.state import build_state

ORG_ONE = ["lab1", "rte1", "trf1", "dlr1"]
"""The members of O1 in :func:`two_organizations`."""


def _actors() -> pd.DataFrame:
    return pd.DataFrame({
        "id": ["sup", "lab1", "rte1", "trf1", "trf2", "dlr1", "dlr2", "lnd1", "mkt", "O1",
               "O2"],
        "kind": ["supplier", "lab", "route", "trafficker", "trafficker", "dealer", "dealer",
                 "launderer", "market", "organization", "organization"],
        "organization": [None, "O1", "O1", "O1", "O2", "O1", None, "O2", None, None, None],
        "role": [None, "member", "member", "leader", "leader", "member", None, "member",
                 None, None, None],
        "capacity": [9.0, 8, 8, 5, 4, 3, 2, np.nan, np.nan, np.nan, np.nan],
    })


def _links() -> pd.DataFrame:
    return pd.DataFrame({
        "source": ["sup", "lab1", "rte1", "rte1", "trf1", "trf2", "dlr1", "dlr2",
                   "lab1", "rte1", "trf1", "dlr1", "trf2", "lnd1", "trf1"],
        "target": ["lab1", "rte1", "trf1", "trf2", "dlr1", "dlr2", "mkt", "mkt",
                   "O1", "O1", "O1", "O1", "O2", "O2", "trf2"],
        "kind": ["supplies", "ships", "ships", "ships", "distributes", "distributes",
                 "sells_to", "sells_to", "member_of", "member_of", "member_of", "member_of",
                 "member_of", "launders_for", "tie"],
    })


def two_organizations() -> Network:
    """A chain from one supplier to one market; O1 holds the lab, the route, a trafficker
    and a dealer, O2 the other trafficker and the launderer; dlr2 is independent."""
    return Network(_actors(), _links(), name="two")


def _organizations(net: Network) -> dict[str, object]:
    col = net.actors.set_index("id")["organization"]
    return {k: (None if pd.isna(v) else v) for k, v in col.items()}


def test_without_an_organization_its_members_stay_as_independents():
    net = two_organizations()
    sub = net.without(["O1"])
    expected = _organizations(net)
    del expected["O1"]
    expected.update(dict.fromkeys(ORG_ONE))
    assert _organizations(sub) == expected
    # nothing else changes: the other columns of the actors left, the links not at O1
    keep = (net.actors["id"] != "O1").to_numpy()
    assert sub.actors.drop(columns="organization").equals(
        net.actors.loc[keep].drop(columns="organization").reset_index(drop=True))
    assert sub.actors.loc[sub.actors["id"] == "trf1", "role"].item() == "leader"
    at_o1 = ((net.links["source"] == "O1") | (net.links["target"] == "O1")).to_numpy()
    assert at_o1.sum() == 4
    assert sub.links.equals(net.links.loc[~at_o1].reset_index(drop=True))
    # the network it was taken from is unchanged
    assert _organizations(net)["lab1"] == "O1"
    # without a member, or another organization, O1's members keep it
    assert _organizations(net.without(["dlr1"]))["lab1"] == "O1"
    assert _organizations(net.without(["O2"]))["lab1"] == "O1"
    assert _organizations(net.without(["O2"]))["trf2"] is None


def test_views_keep_the_memberships_of_organizations_they_leave_out():
    net = two_organizations()
    people = [k for k in net.actors["kind"].unique() if k != "organization"]
    sub = net.select(actor_kinds=people)
    assert sub.n_actors == 9 and "member_of" not in set(sub.links["kind"])
    # the people without the organization nodes: every row as it was, groups included
    assert sub.actors.equals(net.actors.loc[:8].reset_index(drop=True))
    assert [_organizations(sub)[i] for i in ORG_ONE] == ["O1"] * 4
    assert _organizations(sub)["trf2"] == "O2"
    # selecting links only shares the actor table
    assert net.select(link_kinds=["tie"]).actors is net.actors
    ego = net.ego("dlr2")  # dlr2, its trafficker and its market; not O2
    assert _organizations(ego) == {"trf2": "O2", "dlr2": None, "mkt": None}
    assert _organizations(net.subgraph(["trf1", "dlr1"])) == {"trf1": "O1", "dlr1": "O1"}
    assert net.component().actors.equals(net.actors)  # one component: nothing left out
    phased = Network(net.actors, net.links.assign(phase=[1] * 8 + [2] * 7))
    assert set(phased.at_phase(1).ids) == set(net.ids) - {"O1", "O2", "lnd1"}
    assert _organizations(phased.at_phase(1)) == {
        i: o for i, o in _organizations(net).items() if i not in ("O1", "O2", "lnd1")}
    # the removal clears where the view keeps: the same actors, the same links
    others = [i for i in net.ids if i not in ("O1", "sup")]
    view, removed = net.subgraph(others), net.without(["O1", "sup"])
    assert view.links.equals(removed.links)
    assert view.actors.drop(columns="organization").equals(
        removed.actors.drop(columns="organization"))
    assert [_organizations(view)[i] for i in ORG_ONE] == ["O1"] * 4
    assert [_organizations(removed)[i] for i in ORG_ONE] == [None] * 4


def test_brokerage_by_organization_on_a_view_without_the_organizations():
    # rte1 brokers lab1 -> rte1 -> trf1 inside O1 and lab1 -> rte1 -> trf2 out of it;
    # trf1 brokers rte1 -> trf1 -> dlr1 (rte1 -> trf1 -> trf2 is closed by rte1 -> trf2)
    view = two_organizations().subgraph(["lab1", "rte1", "trf1", "trf2", "dlr1", "lnd1"])
    roles = fentanet.brokerage(view, "organization")
    assert roles["coordinator"].to_dict() == {"lab1": 0, "rte1": 1, "trf1": 1, "trf2": 0,
                                              "dlr1": 0, "lnd1": 0}
    assert roles["representative"].to_dict() == {"lab1": 0, "rte1": 1, "trf1": 0,
                                                 "trf2": 0, "dlr1": 0, "lnd1": 0}
    assert roles["total"].sum() == 3


def test_names_of_no_actor_are_group_labels_and_stay():
    # case data naming groups that are not actors: analyses read them as labels
    net = Network(pd.DataFrame({"id": ["a", "b", "c"], "organization": ["gang", "c", None]}),
                  pd.DataFrame({"source": ["a"], "target": ["b"]}))
    assert _organizations(net.without(["c"])) == {"a": "gang", "b": None}


def test_whole_number_ids_stay_whole_numbers():
    # ids read as numbers: integer memberships stay integers, with gaps (floats) too
    ints = Network(pd.DataFrame({"id": [1, 2, 3], "organization": [2, 3, 3]}))
    sub = ints.without(["3"])
    assert sub.actors["organization"].tolist() == [2, pd.NA]
    floats = Network(pd.DataFrame({"id": [1, 2, 3], "organization": [3.0, np.nan, 3.0]}))
    assert floats.without(["3"]).actors["organization"].isna().all()
    assert floats.without(["2"]).actors["organization"].tolist() == [3.0, 3.0]


@pytest.mark.parametrize("name", ["net.csv", "net.graphml", "net.json", "net.gexf"])
def test_independents_round_trip_through_files(tmp_path, name):
    sub = two_organizations().without(["O1"])
    fentanet.write(sub, tmp_path / name)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)
        back = fentanet.read(tmp_path / name)
    assert back.equals(sub), back.differences(sub)
    assert [_organizations(back)[i] for i in ORG_ONE] == [None] * 4


def test_a_generated_network_without_an_organization_simulates():
    net = fentanet.generate({"actors": 300}, seed=7)
    members = (net.actors["organization"] == "org-0001").to_numpy()
    assert members.sum() == 117
    sub = net.without(["org-0001"])
    assert not (sub.actors["organization"] == "org-0001").any()
    assert sub.actors["organization"].isna().sum() == net.actors["organization"].isna().sum() + 116
    # the others keep their organization, and the simulation sees the same memberships
    state, whole = build_state(sub), build_state(net)
    kept = np.flatnonzero(~members[net.ids != "org-0001"])
    gone = np.flatnonzero(members[net.ids != "org-0001"])
    assert (state.actors.org[gone] == -1).all()
    named = sub.ids[state.actors.org[kept][state.actors.org[kept] >= 0]]
    old = whole.actors.org[net.ids != "org-0001"][kept]
    assert named.tolist() == net.ids[old[old >= 0]].tolist()
    orgs = int((net.actors["kind"] == "organization").sum())
    run = fentanet.simulate("toy", seed=1, years=0.25, network=sub)
    assert run.series["organizations_active"].iloc[0] == orgs - 1
    assert run.summary["supply_kg_total"] > 0
    # every organization dismantled: the people work on alone
    alone = net.without(net.ids[(net.actors["kind"] == "organization").to_numpy()].tolist())
    assert alone.actors["organization"].isna().all()
    run = fentanet.simulate("toy", seed=1, years=0.25, network=alone)
    assert run.series["organizations_active"].iloc[0] == 0
    assert run.summary["supply_kg_total"] > 0


EXPECTED = ("; expected the id of an actor of the network (an organization), or none for "
            "an independent actor")
ADVICE = ("; a simulation needs each organization as an actor: add it, or clear these "
          "actors' organization to simulate them as independents (Network.without([...]) "
          "of the organizations does; a view that leaves them out, such as select or "
          "subgraph, keeps the memberships as group labels)")


def _dangling(**renamed: str) -> Network:
    """:func:`two_organizations` without O1's actor row and links (as a hand-edited file
    might be), members of O1 moved to other names by ``renamed``."""
    actors, links = _actors(), _links()
    for who, org in renamed.items():
        actors.loc[actors["id"] == who, "organization"] = org
    keep = ~((links["source"] == "O1") | (links["target"] == "O1"))
    return Network(actors[actors["id"] != "O1"], links[keep], name="dangling")


def test_the_simulation_names_the_actors_and_the_missing_organization():
    with pytest.warns(InputWarning):
        net = _dangling()
    with pytest.raises(InputError) as err:
        build_state(net)
    assert str(err.value) == ("field 'organization': 4 actors (lab1, rte1, ...) name "
                              "organization 'O1', which is not an actor of the network"
                              + EXPECTED + ADVICE)
    with pytest.warns(InputWarning):
        net = _dangling(lab1=None, rte1=None, trf1=None)
    with pytest.raises(InputError, match=r"^field 'organization': 1 actor \(dlr1\) names "
                                         r"organization 'O1', which"):
        build_state(net)
    with pytest.warns(InputWarning):
        net = _dangling(trf1="O9", dlr1=" O9 ", lnd1="O7", dlr2="O8", rte1="O2")
    with pytest.raises(InputError) as err:
        build_state(net)
    assert str(err.value) == ("field 'organization': 5 actors name 4 organizations that are "
                              "not actors of the network: 'O1' (1: lab1), 'O9' (2: trf1, "
                              "dlr1), 'O8' (1: dlr2) and 1 more" + EXPECTED + ADVICE)


def test_reading_a_file_warns_naming_the_line_and_the_simulation_refuses(tmp_path, capsys):
    with pytest.warns(InputWarning):
        net = _dangling()
    fentanet.write(net, tmp_path / "net.csv")
    with pytest.warns(InputWarning) as seen:
        fentanet.read(tmp_path / "net.csv")
    first = f"{tmp_path / 'net.actors.csv'}:3: field 'organization': 4 actors (lab1, rte1, ...)"
    assert str(seen[0].message).startswith(first)
    assert str(seen[0].message).endswith(EXPECTED + "; analyses read the names as group "
                                         "labels, a simulation refuses them")
    assert main(["info", str(tmp_path / "net.csv")]) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"warning: {first}")
    scenario = tmp_path / "sc.yaml"
    scenario.write_text("name: t\nyears: 0.1\nnetwork: {file: net.csv}\n", encoding="utf-8")
    assert main(["simulate", str(scenario), "--store", str(tmp_path / "store"),
                 "--scheduler", "serial"]) == 2
    error = capsys.readouterr().err.splitlines()[-1]  # after the reading's warning
    assert error.startswith("error: net.csv: field 'organization': 4 actors (lab1, rte1, ")
    assert error.endswith(ADVICE)


def test_case_data_naming_groups_reads_without_a_warning():
    # no actor is an organization: the column is a group label, not a reference
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)
        Network(pd.DataFrame({"id": ["a", "b"], "kind": ["lab", "market"],
                              "organization": ["gang", "gang"]}))


def with_spare_lab() -> Network:
    """:func:`two_organizations` with lab2 of O1, supplied and with no route of its own:
    the lab that replaces lab1 while O1 stands."""
    extra = pd.DataFrame({"id": ["lab2"], "kind": ["lab"], "organization": ["O1"],
                          "capacity": [8.0]})
    links = pd.concat([_links(), pd.DataFrame({"source": ["sup"], "target": ["lab2"],
                                               "kind": ["supplies"]})])
    return Network(pd.concat([_actors(), extra]), links)


def test_replacement_by_organization_after_the_organization_is_removed():
    from fentanet.analysis import resilience

    net = with_spare_lab()
    # lab2 (O1, no route of its own) takes over lab1's links while O1 stands
    rep = resilience(net, ["lab1"], measure="flow", replacement="organization")
    assert rep["replaced_by"].tolist() == [None, "lab2"]
    assert rep["flow"].tolist() == pytest.approx([1.0, 1.0])
    # without O1 its labs are independents: nobody replaces lab1 and the flow stops
    rep = resilience(net.without(["O1"]), ["lab1"], measure="flow",
                     replacement="organization")
    assert rep["replaced_by"].tolist() == [None, None]
    assert rep["flow"].tolist() == pytest.approx([1.0, 0.0])


def test_a_drawing_coloured_by_organization_keeps_members_of_undrawn_organizations():
    from fentanet.report.figures import network_figure

    fig = network_figure(two_organizations(), color_by="organization",
                         link_kinds=["distributes"], max_actors=4)
    drawn = {t.name for t in fig.data if t.name not in ("links", "labels")}
    assert drawn == {"organization O1 (2)", "organization O2 (1)", "organization none (1)"}


def test_a_view_without_the_organizations_is_refused_by_the_simulation():
    net = two_organizations()
    people = net.select(actor_kinds=[k for k in net.actors["kind"].unique()
                                     if k != "organization"])
    with pytest.raises(InputError) as err:
        fentanet.simulate("toy", seed=1, years=0.25, network=people)
    assert str(err.value) == ("field 'organization': 6 actors name 2 organizations that are "
                              "not actors of the network: 'O1' (4: lab1, rte1, ...), 'O2' "
                              "(2: trf2, lnd1)" + EXPECTED + ADVICE)


def test_replacement_by_organization_on_the_people_without_the_organizations():
    from fentanet.analysis import resilience

    net = with_spare_lab()
    people = net.select(actor_kinds=[k for k in ACTOR_KINDS if k != "organization"])
    # O1 is a group label in the view: lab2 takes over lab1's links, the flow goes on
    rep = resilience(people, ["lab1"], measure="flow", replacement="organization")
    assert rep["replaced_by"].tolist() == [None, "lab2"]
    assert rep["flow"].tolist() == pytest.approx([1.0, 1.0])


def test_replacement_on_a_generated_network_s_people_as_at_ec077ab():
    # the values fentanet gave at ec077ab, before views cleared memberships: each of the
    # 10 traffickers removed by degree is replaced by another of its organization, and the
    # largest component (285 of 297 people) loses one actor a step
    net = fentanet.generate({"actors": 300}, seed=3)
    people = net.select(actor_kinds=[k for k in ACTOR_KINDS if k != "organization"])
    assert people.n_actors == 297 and people.actors["organization"].notna().sum() == 222
    rep = fentanet.resilience(people, strategy="degree", steps=10, replacement="organization")
    removed = ["trf-0026", "trf-0019", "trf-0012", "trf-0029", "trf-0009", "trf-0025",
               "trf-0005", "trf-0017", "trf-0001", "trf-0027"]
    assert rep["actor"].tolist() == [None, *removed]
    assert rep["replaced_by"].tolist() == [None, *removed[1:], "trf-0024"]
    assert rep["lcc"].tolist() == pytest.approx([(285 - k) / 285 for k in range(11)])


def test_replacement_says_the_organization_column_is_empty():
    from fentanet.analysis import resilience

    net = two_organizations()
    alone = net.without(["O1", "O2"])
    with pytest.raises(InputError) as err:
        resilience(alone, ["lab1"], replacement="organization")
    assert str(err.value) == (
        "field 'replacement': replacement='organization' needs to know who belongs to "
        "which organization: in network 'two' its 'organization' actor attribute is empty "
        "(no actor names one: for example Network.without removed the organizations, "
        "which makes their members independents), and it has no member_of links")
    no_column = Network(net.actors.drop(columns="organization"),
                        net.links[net.links["kind"] != "member_of"], name="plain")
    with pytest.raises(InputError, match=r"in network 'plain' it has no 'organization' "
                                         r"actor attribute, and it has no member_of links"):
        resilience(no_column, ["lab1"], replacement="organization")


def test_the_simulation_refuses_a_membership_naming_an_actor_of_another_kind():
    """dlr2 (independent) naming trf1, a trafficker, as its organization: analyses may read
    it as a group label, but a simulation would run trf1 as an organization (its members,
    leader, suspension and failure)."""
    actors = _actors()
    actors.loc[actors["id"] == "dlr2", "organization"] = "trf1"
    net = Network(actors, _links(), name="misnamed")
    with pytest.raises(InputError) as err:
        fentanet.simulate("toy", seed=1, years=0.25, network=net)
    assert err.value.field == "organization"
    assert err.value.detail == (
        "1 actor names as organization an actor that is not one: 'dlr2' names 'trf1', a "
        "trafficker; expected the id of an actor of kind organization, or none for an "
        "independent actor")
