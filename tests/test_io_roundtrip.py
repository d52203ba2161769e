"""Write then read gives the same network, for every writable format.

Property tests over random typed networks: random actor kinds, link kinds drawn among
those the flow chain allows between the two ends, attributes of every type with missing
values, and awkward ids (commas, quotes, spaces, unicode, line breaks) wherever the
format can hold them. Lossless formats must give back an equal network with the same
column types; lossy formats give back exactly their stated projection of it (see each
format's docstring and docs/formats.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import fentanet
from fentanet import Network
from fentanet.network.io._text import column_kind
from fentanet.network.kinds import ACTOR_KINDS, LINK_KINDS, allowed_pair

SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

AWKWARD = ',"\' ;|\\#%=:!<>&*-0é中🙂\t\n\r\x0b\x1c\u2028'
XML_BAD = "".join(map(chr, [*range(1, 9), 11, 12, *range(14, 32), 0xFFFE, 0xFFFF]))
"""Characters XML 1.0 cannot hold."""
VISIBLE = "abcXYZ019_.é中🙂-+(),'\"&<>#%!"


def ident(forbidden: str = "", edge_ok: str = VISIBLE):
    """Ids with visible first and last characters (the model strips ids) and anything
    but the forbidden characters inside."""
    inner = st.text(alphabet=st.one_of(
        st.sampled_from([c for c in AWKWARD if c not in forbidden]),
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00" + forbidden,
                      max_codepoint=0x1F9FF)), max_size=5)
    end = st.sampled_from([c for c in edge_ok if c not in forbidden])
    return st.builds(lambda a, m, b: a + m + b, end, inner, end)


def text_value(forbidden: str = ""):
    return st.text(alphabet=st.characters(blacklist_categories=("Cs",),
                                          blacklist_characters="\x00" + forbidden,
                                          max_codepoint=0x1F9FF), max_size=6)


def floats(positive: bool = False):
    return st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False,
                     exclude_min=positive)


@st.composite
def networks(draw, *, forbidden: str = "", attributes: bool = True,
             positive: bool = False, phases: str = "some", min_links: int = 0,
             text_forbidden: str = "") -> Network:
    """A random valid network. ``phases``: "some" (missing allowed), "all" or "none"."""
    ids = draw(st.lists(ident(forbidden), min_size=1, max_size=7, unique=True))
    n = len(ids)
    kinds = draw(st.lists(st.sampled_from(ACTOR_KINDS), min_size=n, max_size=n))
    m = draw(st.integers(min_value=min_links, max_value=10))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                          min_size=m, max_size=m))
    link_kinds = []
    for s, t in pairs:
        ok = [k for k in LINK_KINDS if allowed_pair(k, kinds[s], kinds[t])]
        link_kinds.append(draw(st.sampled_from(ok)))
    actors = pd.DataFrame({"id": ids, "kind": kinds})
    links = pd.DataFrame({"source": [ids[s] for s, _ in pairs],
                          "target": [ids[t] for _, t in pairs],
                          "kind": link_kinds,
                          "weight": draw(st.lists(floats(positive), min_size=m, max_size=m))})
    if attributes:
        opt = st.none
        actors["capacity"] = [np.nan if v is None else v for v in draw(
            st.lists(st.one_of(opt(), floats()), min_size=n, max_size=n))]
        actors["note, \"x\""] = pd.Series(draw(st.lists(st.one_of(
            opt(), text_value(text_forbidden)), min_size=n, max_size=n)), dtype="str")
        actors["flag"] = pd.array(draw(st.lists(st.one_of(opt(), st.booleans()),
                                                min_size=n, max_size=n)), dtype="boolean")
        actors["count"] = pd.array(draw(st.lists(st.one_of(
            opt(), st.integers(-2**53, 2**53)), min_size=n, max_size=n)), dtype="Int64")
        links["cost"] = [np.nan if v is None else v for v in draw(
            st.lists(st.one_of(opt(), floats()), min_size=m, max_size=m))]
        links["label"] = pd.Series(draw(st.lists(st.one_of(opt(), text_value(
            text_forbidden)), min_size=m, max_size=m)), dtype="str")
    if phases != "none" and m and draw(st.booleans()):
        ph = st.integers(1, 3) if phases == "all" else st.one_of(st.none(), st.integers(1, 3))
        links["phase"] = pd.array(draw(st.lists(ph, min_size=m, max_size=m)), dtype="Int64")
    return Network(actors, links, directed=draw(st.booleans()), name=draw(st.sampled_from(
        ["", "case 7", "réseau, \"x\""])))


def same_types(a: Network, b: Network) -> None:
    """Every attribute column holding values has the same type (bool/int/float/str)."""
    for table in ("actors", "links"):
        x, y = getattr(a, table), getattr(b, table)
        for col in x.columns:
            if col in y and x[col].notna().any():
                assert column_kind(x[col]) == column_kind(y[col]), (table, col)


def round_trip(net: Network, path, fmt: str | None = None, **read_options) -> Network:
    fentanet.write(net, path, format=fmt)
    return fentanet.read(path, format=fmt, **read_options)


# ---------------------------------------------------------------------- lossless formats
@pytest.mark.parametrize(("ext", "forbidden", "keeps_meta"), [
    (".csv", "", True),
    (".tsv", "", True),
    (".graphml", XML_BAD, True),
    (".gexf", XML_BAD, False),
    (".json", "", True),
])
def test_lossless_round_trip(tmp_path_factory, ext, forbidden, keeps_meta):
    @SETTINGS
    @given(net=networks(forbidden=forbidden, text_forbidden=forbidden))
    def check(net):
        folder = tmp_path_factory.mktemp("rt")
        net.meta = {"case": "7", "n": 3}
        back = round_trip(net, folder / f"net{ext}")
        assert back.differences(net) == []
        assert back.directed == net.directed
        same_types(net, back)
        assert back.name == (net.name or "net")
        if keeps_meta:
            assert back.meta == net.meta

    check()


def test_link_list_keeps_uids(tmp_path):
    net = Network(pd.DataFrame({"id": ["a", "b"], "uid": [7, 3]}))
    back = round_trip(net, tmp_path / "u.csv")
    assert back.actors["uid"].tolist() == [7, 3]


# ---------------------------------------------------------------------- lossy formats
def _plain(net: Network, links: pd.DataFrame, ids=None) -> Network:
    return Network(None if ids is None else list(ids), links, directed=net.directed)


def edgelist_projection(net: Network) -> Network:
    """Linked actor ids, one link per link, weights; untyped."""
    links = net.links[["source", "target", "weight"]]
    return _plain(net, links)


def pajek_projection(net: Network) -> Network:
    """Every actor id, one link per link, weights; untyped."""
    return _plain(net, net.links[["source", "target", "weight"]], net.ids)


def sif_projection(net: Network) -> Network:
    """Every actor id, one link per link with its kind, weight 1."""
    return _plain(net, net.links[["source", "target", "kind"]], net.ids)


def summed(net: Network, by_phase: bool) -> Network:
    """Every actor id; per ordered pair (unordered when undirected) and phase, the sum of
    the weights; untyped."""
    links = net.links.copy()
    if not net.directed:
        swap = links["source"] > links["target"]
        links.loc[swap, ["source", "target"]] = links.loc[swap, ["target", "source"]].values
    keys = ["source", "target"] + (["phase"] if by_phase else [])
    agg = links.groupby(keys, sort=False)["weight"].sum().reset_index()
    return _plain(net, agg, net.ids)


@pytest.mark.parametrize(("fmt", "ext", "forbidden", "project", "options", "extra"), [
    ("edgelist", ".edges", "\t\n\r#%", edgelist_projection, {"duplicates": "keep"},
     {"min_links": 1}),
    ("pajek", ".net", '"\n\r', pajek_projection, {}, {}),
    ("sif", ".sif", "\t\n\r", sif_projection, {}, {"min_links": 1}),
    ("matrix", ".csv", "", lambda n: summed(n, False), {}, {"positive": True}),
    ("dl", ".dl", '"\n\r', lambda n: summed(n, "phase" in n.links),
     {}, {"positive": True, "phases": "all"}),
])
def test_lossy_round_trip(tmp_path_factory, fmt, ext, forbidden, project, options, extra):
    @SETTINGS
    @given(net=networks(forbidden=forbidden, attributes=False, **extra))
    def check(net):
        folder = tmp_path_factory.mktemp("rt")
        if fmt == "dl" and "phase" in net.links:
            assume(net.links["phase"].notna().all())
        path = folder / f"net{ext}"
        fentanet.write(net, path, format=fmt)
        back = fentanet.read(path, format=fmt, directed=net.directed, **options)
        expected = project(net)
        assert back.differences(expected, atol=1e-6 * (1 + expected.links["weight"].max()
                                                       if expected.n_links else 1)) == []

    check()


def test_writers_refuse_what_the_format_cannot_hold(tmp_path):
    quote = Network(['say "hi"', "b"])
    tab = Network(["a\tb"])
    control = Network(["a\x0bb"])
    for net, fmt, ext, message in [
        (quote, "pajek", ".net", "double quote"),
        (quote, "dl", ".dl", "double quote"),
        (tab, "sif", ".sif", "tab"),
        (tab, "edgelist", ".edges", "delimiter, a tab"),
        (control, "graphml", ".graphml", "control character"),
        (control, "gexf", ".gexf", "control character"),
    ]:
        with pytest.raises(fentanet.InputError, match=message):
            fentanet.write(net, tmp_path / f"x{ext}", format=fmt)
        assert not (tmp_path / f"x{ext}").exists()


def test_dl_refuses_links_partly_without_phase(tmp_path):
    links = pd.DataFrame({"source": ["a", "b"], "target": ["b", "a"], "phase": [1, None]})
    with pytest.raises(fentanet.InputError, match="some links have a phase"):
        fentanet.write(Network(links=links), tmp_path / "p.dl")


def test_converted_files_read_by_networkx_and_igraph(tmp_path):
    """Interop: what we write, the peers read as the same graph."""
    import json

    import igraph as ig
    import networkx as nx

    links = pd.DataFrame({"source": ["a", "b", "c"], "target": ["b", "c", "a"],
                          "weight": [1.5, 2.0, 3.0], "kind": ["tie"] * 3})
    net = Network(["a", "b", "c", "d"], links, directed=True)
    fentanet.write(net, tmp_path / "g.graphml")
    fentanet.write(net, tmp_path / "g.gexf")
    fentanet.write(net, tmp_path / "g.json")
    fentanet.write(net, tmp_path / "g.net")
    expected = {("a", "b", 1.5), ("b", "c", 2.0), ("c", "a", 3.0)}
    for g in (nx.read_graphml(tmp_path / "g.graphml"), nx.read_gexf(tmp_path / "g.gexf"),
              nx.node_link_graph(json.loads((tmp_path / "g.json").read_text()),
                                 edges="edges")):
        assert g.is_directed() and g.number_of_nodes() == 4
        assert {(u, v, d["weight"]) for u, v, d in g.edges(data=True)} == expected
    h = ig.Graph.Read_Pajek(str(tmp_path / "g.net"))
    assert h.is_directed() and h.vcount() == 4
    got = {(h.vs[e.source]["name"], h.vs[e.target]["name"], e["weight"]) for e in h.es}
    assert got == expected
