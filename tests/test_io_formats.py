"""Each format on small files whose networks are computed by hand."""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fentanet
from fentanet import InputError, Network
from fentanet.cli import main
from fentanet.network.io import FORMATS, detect_format, formats


def put(tmp_path, name: str, text: str | bytes):
    p = tmp_path / name
    if isinstance(text, str):
        text = text.encode("utf-8")
    p.write_bytes(text)
    return p


def edges(net) -> list[tuple[str, str, float]]:
    """Sorted (source, target, weight); an undirected link as (smaller id, larger id)."""
    out = zip(net.links.source, net.links.target, net.links.weight, strict=True)
    if not net.directed:
        out = ((min(s, t), max(s, t), w) for s, t, w in out)
    return sorted(out)


# ---------------------------------------------------------------------- edge lists
@pytest.mark.parametrize("text", [
    "a\tb\t2\nb\tc\t1.5\n",
    "a,b,2\nb,c,1.5\n",
    "a b 2\nb   c 1.5\n",
    "  a  b\t 2 \r\nb c 1.5\r\n",
    "# comment\na b 2\n% another\n\nb c 1.5\n",
    "source target weight\na b 2\nb c 1.5\n",
    "from,to,w\na,b,2\nb,c,1.5\n",
])
def test_edgelist_delimiters_comments_header(tmp_path, text):
    net = fentanet.read(put(tmp_path, "e.txt", text), format="edgelist")
    assert edges(net) == [("a", "b", 2.0), ("b", "c", 1.5)]
    assert net.ids.tolist() == ["a", "b", "c"]
    assert not net.directed


def test_edgelist_sniffed_by_content(tmp_path):
    p = put(tmp_path, "calls.csv", "1\t2\t3\n2\t3\t1\n")
    assert detect_format(p) == "edgelist"
    p2 = put(tmp_path, "calls.txt", "x y\ny z\n")
    assert detect_format(p2) == "edgelist"
    net = fentanet.read(p2)
    assert edges(net) == [("x", "y", 1.0), ("y", "z", 1.0)]


def test_edgelist_header_option_overrides(tmp_path):
    p = put(tmp_path, "e.txt", "a b\nc d\n")
    assert fentanet.read(p).n_links == 2
    assert fentanet.read(p, header=True).n_links == 1


@pytest.mark.parametrize(("rule", "directed", "expected"), [
    ("last", False, [("a", "b", 4.0), ("b", "c", 1.0)]),
    ("first", False, [("a", "b", 2.0), ("b", "c", 1.0)]),
    ("sum", False, [("a", "b", 9.0), ("b", "c", 1.0)]),
    ("max", False, [("a", "b", 4.0), ("b", "c", 1.0)]),
    ("min", False, [("a", "b", 2.0), ("b", "c", 1.0)]),
    ("keep", False, [("a", "b", 2.0), ("a", "b", 3.0), ("a", "b", 4.0), ("b", "c", 1.0)]),
    ("last", True, [("a", "b", 3.0), ("b", "a", 4.0), ("b", "c", 1.0)]),
    ("sum", True, [("a", "b", 5.0), ("b", "a", 4.0), ("b", "c", 1.0)]),
])
def test_edgelist_duplicate_rules(tmp_path, rule, directed, expected):
    p = put(tmp_path, "e.tsv", "a\tb\t2\nb\tc\t1\na\tb\t3\nb\ta\t4\n")
    net = fentanet.read(p, format="edgelist", duplicates=rule, directed=directed)
    assert edges(net) == expected
    assert net.directed == directed


def test_edgelist_integer_ids_keep_their_text(tmp_path):
    """Ids that are numbers stay text: '007' and '7' are two actors."""
    net = fentanet.read(put(tmp_path, "e.txt", "007 7\n7 10\n"), format="edgelist")
    assert net.ids.tolist() == ["007", "7", "10"]
    net = fentanet.read(put(tmp_path, "f.txt", "3 1\n1 2\n"), format="edgelist")
    assert net.ids.tolist() == ["3", "1", "2"]  # order of first appearance


def test_a_semicolon_edge_list_with_decimal_commas_is_refused(tmp_path, capsys):
    """Spreadsheets in many locales write 'a;b;1,5': it read as a comma file of links
    'a;b;1' -> '5' and 'b;c;2' -> '0'."""
    p = put(tmp_path, "e.csv", "# calls\na;b;1,5\nb;c;2,0\n")
    message = (f"{p}:2: both ',' and ';' split every line into 2 or 3 fields ('a;b;1,5'), "
               "as in a semicolon-separated file with decimal commas; say which delimiter "
               "with --delimiter (delimiter= in Python); weights take a decimal point (1.5, "
               "not 1,5)")
    with pytest.raises(InputError) as info:
        fentanet.read(p)
    assert str(info.value) == message
    assert main(["info", str(p)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"error: {message}\n"
    with pytest.raises(InputError, match=r"e\.csv:2: field 'weight': weight must be a "
                                         r"number, got '1,5'"):
        fentanet.read(p, delimiter="semicolon")
    assert edges(fentanet.read(p, delimiter=",")) == [("0", "b;c;2", 1.0),
                                                     ("5", "a;b;1", 1.0)]
    q = put(tmp_path, "f.csv", "a;b;1.5\nb;c;2\n")
    assert edges(fentanet.read(q)) == [("a", "b", 1.5), ("b", "c", 2.0)]
    r = put(tmp_path, "g.csv", "a;b;1,5\nb;c;2\n")  # commas not on every line: ';'
    with pytest.raises(InputError, match=r"g\.csv:1: field 'weight': weight must be a "
                                         r"number, got '1,5'"):
        fentanet.read(r)


NAMES = st.text(alphabet="abxyz019_-. é", min_size=1, max_size=4).map(lambda t: "n" + t)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(NAMES, NAMES, st.floats(0, 1e6), st.booleans()), min_size=1,
                     max_size=8),
       semicolons=st.booleans())
def test_edge_lists_with_commas_are_never_misread(tmp_path, rows, semicolons):
    """A comma file whose ids hold no semicolon reads as written; a semicolon file reads
    as written when its weights have decimal points, and is refused as soon as one has a
    decimal comma: never read as a comma file, nor its first line taken for a header."""
    path = tmp_path / "e.txt"
    if semicolons:
        weights = [f"{w:.2f}".replace(".", ",") if comma else str(int(w))
                   for _, _, w, comma in rows]
        path.write_text("".join(f"{s};{t};{w}\n" for (s, t, _, _), w in zip(rows, weights,
                                                                              strict=True)))
        if any(comma for *_, comma in rows):
            with pytest.raises(InputError, match=r"both ',' and ';' split|weight must be a "
                                                 r"number, got '[0-9]+,[0-9]+'"):
                fentanet.read(path, format="edgelist")
            return
        expected = [(s.strip(), t.strip(), float(int(w))) for s, t, w, _ in rows]
    else:
        path.write_text("".join(f"{s},{t},{w!r}\n" for s, t, w, _ in rows))
        expected = [(s.strip(), t.strip(), w) for s, t, w, _ in rows]
    net = fentanet.read(path, format="edgelist", duplicates="keep")
    assert list(zip(net.links.source, net.links.target, net.links.weight,
                    strict=True)) == expected


def test_edgelist_writer(tmp_path):
    net = Network(links=pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"],
                                      "weight": [2.0, 0.1]}))
    p = tmp_path / "out.edges"
    fentanet.write(net, p)
    assert p.read_text() == "a\tb\t2\nb\tc\t0.1\n"
    with pytest.raises(InputError, match="holds the delimiter, a tab"):
        fentanet.write(Network(["x\ty"]), tmp_path / "bad.edges")


# ---------------------------------------------------------------------- link lists
def test_link_list_with_actor_list_and_types(tmp_path):
    put(tmp_path, "net.csv", 'source,target,kind,capacity,phase\n'
        's1,l1,supplies,10,1\nl1,"r 1",ships,,2\n')
    put(tmp_path, "net.actors.csv", "id,kind,legitimate,mode,code\n"
        's1,supplier,true,,007\nl1,lab,,,"x"\n"r 1",route,,air,\niso,dealer,,,\n')
    net = fentanet.read(tmp_path / "net.csv")
    assert net.directed
    assert net.ids.tolist() == ["s1", "l1", "r 1", "iso"]
    assert net.actors["kind"].tolist() == ["supplier", "lab", "route", "dealer"]
    assert net.links["kind"].tolist() == ["supplies", "ships"]
    assert net.links["capacity"].tolist()[0] == 10.0 and np.isnan(net.links["capacity"][1])
    assert net.links["phase"].tolist() == [1, 2]
    assert net.actors["legitimate"].isna().tolist() == [False, True, True, True]
    assert bool(net.actors["legitimate"][0]) is True
    assert net.actors["code"].tolist()[0] == "007"  # mixed column: text
    assert detect_format(tmp_path / "net.csv") == "links"
    same = fentanet.read(tmp_path / "net.actors.csv")
    assert same.equals(net)


def test_link_list_without_actor_list_and_aliases(tmp_path):
    p = put(tmp_path, "calls.tsv", "From\tTo\tWeight\tnote\nA\tB\t2\thi\nB\tC\t1\t\n")
    net = fentanet.read(p)
    assert edges(net) == [("A", "B", 2.0), ("B", "C", 1.0)]
    assert net.links["note"].isna().tolist() == [False, True]


def test_link_list_round_trip_files_and_sidecar(tmp_path):
    actors = pd.DataFrame({"id": ["a", "b", "c"], "kind": ["dealer", "market", "actor"],
                           "region": ["1", "02", None]})
    links = pd.DataFrame({"source": ["a"], "target": ["b"], "kind": ["sells_to"]})
    net = Network(actors, links, directed=False, name="demo", meta={"case": 7})
    fentanet.write(net, tmp_path / "demo.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == \
        ["demo.actors.csv", "demo.csv", "demo.meta.json"]
    side = json.loads((tmp_path / "demo.meta.json").read_text())
    assert side["directed"] is False and side["actors"]["columns"]["region"] == "str"
    back = fentanet.read(tmp_path / "demo.csv")
    assert back.differences(net) == []
    assert back.name == "demo" and back.meta == {"case": 7} and not back.directed
    assert back.actors["region"].tolist()[:2] == ["1", "02"]
    assert fentanet.read(tmp_path / "demo.csv", actors=False).n_actors == 2


@pytest.mark.parametrize(("key", "value", "message"), [
    ("directed", "false", 'field \'directed\': expected true or false, got "false"'),
    ("directed", 0, "field 'directed': expected true or false, got 0"),
    ("name", 5, "field 'name': expected a string, got 5"),
    ("links", [], "field 'links': expected an object, got []"),
    ("actors", {"columns": ["str"]},
     'field \'actors.columns\': expected an object of column types, got ["str"]'),
])
def test_a_hand_edited_sidecar_keeps_its_json_types(tmp_path, capsys, key, value, message):
    """'"directed": "false"' read as directed (any non-empty string is true); a list for
    'links' or a number for 'name' raised a traceback."""
    net = Network(links=pd.DataFrame({"source": ["a"], "target": ["b"]}), directed=False)
    fentanet.write(net, tmp_path / "c.csv")
    side = tmp_path / "c.meta.json"
    data = json.loads(side.read_text())
    data[key] = value
    side.write_text(json.dumps(data))
    with pytest.raises(InputError) as info:
        fentanet.read(tmp_path / "c.csv")
    assert str(info.value) == f"{side}: {message}"
    assert main(["info", str(tmp_path / "c.csv")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"error: {side}: {message}\n"


def test_organization_holds_actor_ids_as_text(tmp_path, capsys):
    """'organization' names actors, so it is text like 'id': '007' stays '007' (it read
    as the integer 7, info warned of an organization '7' that is not an actor, and
    convert wrote 7, losing the membership)."""
    put(tmp_path, "o.actors.csv", "id,kind,organization\n007,organization,\n"
        "1,trafficker,007\n2,trafficker,007\n3,dealer,007\n")
    put(tmp_path, "o.csv", "source,target,kind\n1,2,tie\n2,3,distributes\n"
        "1,007,member_of\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning of an unknown organization
        net = fentanet.read(tmp_path / "o.csv")
    assert net.actors["organization"].tolist()[1:] == ["007", "007", "007"]
    assert net.actors["organization"].isna().tolist() == [True, False, False, False]
    assert main(["convert", str(tmp_path / "o.csv"), str(tmp_path / "o2.csv")]) == 0
    out, err = capsys.readouterr()
    assert "read back: nothing lost" in out and err == ""
    assert (tmp_path / "o2.actors.csv").read_text().splitlines()[1:] == [
        '"007","organization",', '"1","trafficker","007"', '"2","trafficker","007"',
        '"3","dealer","007"']
    assert fentanet.read(tmp_path / "o2.csv").equals(net)
    dot = fentanet.read(put(tmp_path, "o.dot", 'digraph { "007" [kind=organization]; '
                            'a [kind=trafficker, organization=007]; '
                            'a -> "007" [kind=member_of]; }'))
    assert dot.actors.set_index("id")["organization"]["a"] == "007"


@pytest.mark.parametrize("fmt", ["links", "edgelist"])
def test_a_bad_delimiter_names_the_option_and_its_values(tmp_path, capsys, fmt):
    """A link list passed Python's csv message on ('"delimiter" must be a 1-character
    string'), which names neither --delimiter nor what it takes."""
    p = put(tmp_path, "c.csv", "source,target\na,b\n")
    message = (f"{p}: field 'delimiter': unknown delimiter 'xx'; expected tab, comma, "
               "semicolon, space or '|'")
    with pytest.raises(InputError) as info:
        fentanet.read(p, format=fmt, delimiter="xx")
    assert str(info.value) == message
    assert main(["info", str(p), "--from", fmt, "--delimiter", "xx"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"error: {message}\n"
    assert fentanet.read(p, format=fmt, delimiter="comma").n_links == 1
    q = put(tmp_path, "p.csv", "source|target\na|b\n")
    assert fentanet.read(q, format=fmt, delimiter="pipe").n_links == 1


def test_link_list_sum_rule_respects_kind(tmp_path):
    p = put(tmp_path, "l.csv", "source,target,kind,weight\na,b,tie,1\na,b,tie,2\n"
                               "a,b,supplies,5\n")
    net = fentanet.read(p, duplicates="sum")
    got = sorted(zip(net.links.kind, net.links.weight, strict=True))
    assert got == [("supplies", 5.0), ("tie", 3.0)]


# ---------------------------------------------------------------------- matrices
MATRIX = [[0, 2, 0], [1, 0, 0], [0, 0, 0]]


@pytest.mark.parametrize("text", [
    '"",a,b,c\na,0,2,0\nb,1,0,0\nc,0,0,0\n',
    '\ufeff"","a","b","c"\r\n"a",0,2,0\r\n"b",1,0,0\r\n"c",0,0,0\r\n',
    "x\ta\tb\tc\na\t0\t2\t0\nb\t1\t0\t\nc\t0\t0\t0\n",
    ";a;b;c\na;0;2;0\nb;1;0;0\nc;0;0;0\n",
    "a,b,c\na,0,2,0\nb,1,0,0\nc,0,0,0\n",  # no corner cell
    ",a,b,c,\na,0,2,0,\nb,1,0,0,\nc,0,0,0,\n",  # trailing delimiter
    "   a b c\na 0 2 0\nb   1 0 0\nc 0 0 0\n",  # spaces
    ",c,a,b\na,0,0,2\nb,0,1,0\nc,0,0,0\n",  # columns in another order
])
def test_matrix_variants(tmp_path, text):
    p = put(tmp_path, "m.csv", text)
    assert detect_format(p) == "matrix"
    net = fentanet.read(p)
    assert net.directed
    assert net.ids.tolist() == ["a", "b", "c"]
    assert edges(net) == [("a", "b", 2.0), ("b", "a", 1.0)]


def test_matrix_symmetric_is_undirected_and_diagonal_loops(tmp_path):
    p = put(tmp_path, "m.csv", ",a,b\na,3,1\nb,1,0\n")
    net = fentanet.read(p)
    assert not net.directed
    assert edges(net) == [("a", "a", 3.0), ("a", "b", 1.0)]
    forced = fentanet.read(put(tmp_path, "n.csv", ",a,b\na,0,1\nb,4,0\n"), directed=False)
    assert edges(forced) == [("a", "b", 4.0)]


def test_matrix_large_is_columnar(tmp_path):
    rng = np.random.default_rng(3)
    n = 1500
    dense = (rng.random((n, n)) < 0.002) * rng.integers(1, 9, (n, n))
    labels = [f"n{i}" for i in range(n)]
    frame = pd.DataFrame(dense, index=labels, columns=labels)
    p = tmp_path / "big.csv"
    frame.to_csv(p)
    net = fentanet.read(p)
    assert net.n_actors == n
    assert net.n_links == int((dense != 0).sum())
    assert net.adjacency(weight="weight").toarray().tolist() == dense.tolist()


def test_matrix_writer_quotes_labels(tmp_path):
    net = Network(links=pd.DataFrame({"source": ['a,"1"'], "target": ["b c"],
                                      "weight": [0.5]}))
    p = tmp_path / "m.csv"
    fentanet.write(net, p, format="matrix")
    assert p.read_text() == '"","a,""1""","b c"\n"a,""1""",0,0.5\n"b c",0,0\n'
    assert fentanet.read(p).differences(net) == []


# ---------------------------------------------------------------------- UCINET DL
def test_dl_fullmatrix_labels_listed(tmp_path):
    p = put(tmp_path, "g.dl", "dl n=3\nformat = fullmatrix\nlabels:\nann,bob,\"cy d\"\n"
                              "data:\n0 1 0\n1 0 2\n0 2 0\n")
    net = fentanet.read(p)
    assert not net.directed
    assert edges(net) == [("ann", "bob", 1.0), ("bob", "cy d", 2.0)]


def test_dl_fullmatrix_embedded_and_unlabelled(tmp_path):
    p = put(tmp_path, "g.dl", "DL N = 3\nLABELS EMBEDDED\nDATA:\nx y z\nx 0 1 0\n"
                              "y 0 0 1\nz 0 0 0\n")
    assert edges(fentanet.read(p)) == [("x", "y", 1.0), ("y", "z", 1.0)]
    q = put(tmp_path, "h.dl", "dl n=2 data: 0 5 0 0")
    net = fentanet.read(q)
    assert net.directed and edges(net) == [("1", "2", 5.0)]


def test_dl_edgelist_and_nodelist(tmp_path):
    p = put(tmp_path, "e.dl", "dl n=4 format=edgelist1\nlabels embedded:\ndata:\n"
                              "a b\na c 2.5\nd a\n")
    net = fentanet.read(p)
    assert net.directed
    assert net.ids.tolist() == ["a", "b", "c", "d"]
    assert edges(net) == [("a", "b", 1.0), ("a", "c", 2.5), ("d", "a", 1.0)]
    q = put(tmp_path, "n.dl", "dl n=4 format=nodelist1\nlabels:\nw x y z\ndata:\n1 2 3\n"
                              "4 1\n")
    assert edges(fentanet.read(q)) == [("w", "x", 1.0), ("w", "y", 1.0), ("z", "w", 1.0)]


def test_dl_half_matrices(tmp_path):
    low = put(tmp_path, "l.dl", "dl n=3 format=lowerhalf diagonal=absent\ndata:\n1\n0 2\n")
    assert edges(fentanet.read(low)) == [("1", "2", 1.0), ("2", "3", 2.0)]
    up = put(tmp_path, "u.dl", "dl n=3 format=upperhalf\ndata:\n0 1 0\n0 2\n0\n")
    assert edges(fentanet.read(up)) == [("1", "2", 1.0), ("2", "3", 2.0)]


def test_dl_several_matrices_become_phases(tmp_path):
    p = put(tmp_path, "p.dl", "dl n=2 nm=2\nmatrix labels: early, late\ndata:\n"
                              "0 1\n0 0\n0 0\n3 0\n")
    net = fentanet.read(p)
    assert net.directed
    assert net.phases == ["early", "late"]
    assert edges(net.at_phase("late")) == [("2", "1", 3.0)]
    q = put(tmp_path, "q.dl", "dl n=3 nm=3 format=edgelist1\ndata:\n1 2\n!\n2 3 4\n!\n"
                              "3 1\n")
    net = fentanet.read(q)
    assert net.phases == [1, 2, 3]
    assert net.links["phase"].tolist() == [1, 2, 3]


def test_dl_writer_keeps_isolates_and_phases(tmp_path):
    links = pd.DataFrame({"source": ["a", "a", "b"], "target": ["b", "b", "c"],
                          "weight": [1.0, 2.0, 4.0], "phase": [1, 1, 2]})
    net = Network(["a", "b", "c", "iso"], links)
    p = tmp_path / "w.dl"
    fentanet.write(net, p)
    back = fentanet.read(p)
    assert back.ids.tolist() == ["a", "b", "c", "iso"]
    assert back.phases == [1, 2]
    got = sorted(zip(back.links.source, back.links.target, back.links.weight,
                     back.links.phase, strict=True))
    assert got == [("a", "b", 3.0, 1), ("b", "c", 4.0, 2)]


# ---------------------------------------------------------------------- SIF and DOT
def test_sif(tmp_path):
    p = put(tmp_path, "g.sif", "a pp b c\nb pd c\nlonely\n")
    net = fentanet.read(p)
    assert net.ids.tolist() == ["a", "b", "c", "lonely"]
    assert sorted(zip(net.links.source, net.links.interaction, net.links.target,
                      strict=True)) == [("a", "pp", "b"), ("a", "pp", "c"), ("b", "pd", "c")]
    assert set(net.links["kind"]) == {"tie"}
    q = put(tmp_path, "k.sif", "Node1\tInteraction\tNode2\nm a\tmember_of\torg\n")
    typed = fentanet.read(q)
    assert typed.links["kind"].tolist() == ["member_of"]
    assert typed.ids.tolist() == ["m a", "org"]


@pytest.mark.parametrize("text", ["a pp\n", "a\tpp\n", "a b\nc d\n"])
def test_a_sif_file_the_sif_reader_refuses_gets_its_error(tmp_path, text):
    """The audit's finding 5: a ``.sif`` file of 2-field lines fell through to the edge
    list, which read ``a pp`` as a link a-pp (exit 0, the interaction an actor)."""
    p = put(tmp_path, "bad.sif", text)
    first = text.splitlines()[0].replace("\t", " ").split()
    with pytest.raises(InputError) as exc:
        fentanet.read(p)
    assert str(exc.value) == (f"{p}:1: a SIF line holds 'source interaction target...' or a "
                              f"lone name, got 2 fields {tuple(first)!r}")
    assert detect_format(p) == "sif"
    # content with a signature is still recognised whatever the extension, and the same
    # lines in a file of a shared extension are still an edge list
    assert detect_format(put(tmp_path, "g.sif", "graph { a -- b }\n")) == "dot"
    assert detect_format(put(tmp_path, "e.txt", text)) == "edgelist"


def test_dot_subset(tmp_path):
    text = """/* a comment */
    strict digraph "case 1" {
      // defaults
      node [kind=dealer];
      edge [weight=2];
      rankdir = LR
      a -> b -> c [label="x y", weight=3];
      a:port -> { d e };
      "f \\"q\\"" [kind=market, size=1.5];
      subgraph cluster_0 { node [kind=trafficker]; t1; }
      a -> b [note=later];
    }
    """
    net = fentanet.read(put(tmp_path, "g.gv", text))
    assert net.directed and net.name == "case 1"
    assert net.ids.tolist() == ["a", "b", "c", "d", "e", 'f "q"', "t1"]
    kinds = dict(zip(net.actors.id, net.actors.kind, strict=True))
    assert kinds['f "q"'] == "market" and kinds["t1"] == "trafficker" and kinds["a"] == "dealer"
    got = {(s, t): w for s, t, w in edges(net)}
    assert got == {("a", "b"): 3.0, ("b", "c"): 3.0, ("a", "d"): 2.0, ("a", "e"): 2.0}
    ab = net.links[(net.links.source == "a") & (net.links.target == "b")]
    assert ab["note"].tolist() == ["later"]  # strict: attributes merged
    assert net.meta["graph"] == {"rankdir": "LR"}
    sizes = net.actors.set_index("id")["size"]
    assert sizes['f "q"'] == 1.5


def test_dot_ids_from_name_attribute(tmp_path):
    text = 'graph { 0 [name=HS]; 1 [name=BR]; 0 -- 1; }'
    net = fentanet.read(put(tmp_path, "g.dot", text))
    assert net.ids.tolist() == ["HS", "BR"]
    raw = fentanet.read(tmp_path / "g.dot", ids="node")
    assert raw.ids.tolist() == ["0", "1"]
    assert raw.actors["name"].tolist() == ["HS", "BR"]


# ---------------------------------------------------------------------- registry
def test_formats_listing_and_extensions():
    names = {f.name for f in formats()}
    assert {"links", "matrix", "edgelist", "dl", "pajek", "graphml", "gexf", "json", "sif",
            "dot", "interdiction"} <= names
    writable = {f.name for f in formats() if f.writer}
    assert writable == names - {"dot"}
    assert FORMATS["links"].write_priority < FORMATS["matrix"].write_priority


def test_write_picks_link_list_for_csv(tmp_path):
    net = Network(links=pd.DataFrame({"source": ["a"], "target": ["b"]}))
    fentanet.write(net, tmp_path / "x.csv")
    assert (tmp_path / "x.actors.csv").exists()
    assert detect_format(tmp_path / "x.csv") == "links"


def test_unknown_option_is_a_clear_error(tmp_path):
    p = put(tmp_path, "e.txt", "a b\n")
    with pytest.raises(InputError, match="format 'edgelist' has no option 'colour'"):
        fentanet.read(p, format="edgelist", colour="red")


# ---------------------------------------------------------------------- interdiction
def test_interdiction_layered_round_trip(tmp_path):
    p = put(tmp_path, "Net0.csv", "0,3,1\n0,1,1000,1000,0,0\n1,2,5,3,1,1\n2,3,1000,1000,0,4\n"
                                  "3,0,368,10000,0,5\n")
    assert detect_format(p) == "interdiction"
    net = fentanet.read(p)
    assert net.meta == {"source": "0", "sink": "3", "format": "interdiction",
                        "variant": "layered", "level": 1}
    assert net.n_links == 3  # the sink -> source arc is dropped
    assert net.links["capacity"].tolist() == [1000.0, 5.0, 1000.0]
    assert net.links["special"].tolist() == [0, 1, 0]
    out = tmp_path / "copy.csv"
    fentanet.write(net, out, format="interdiction")
    assert out.read_text().splitlines()[0] == "0, 3, 1"
    back = fentanet.read(out)
    assert back.differences(net) == [] and back.meta == net.meta


def test_interdiction_ids_must_be_integers(tmp_path):
    p = put(tmp_path, "Net0.csv", "0,3\n0,1.5,1,1,0,0,0,0\n")
    with pytest.raises(InputError, match=r"Net0.csv:2: field 'target': 'target' must be an "
                                         r"integer, got '1.5'"):
        fentanet.read(p)


def test_signature_formats_win_over_the_extension(tmp_path):
    """A DL edge list saved as .txt with many 2-field lines is DL, not an edge list."""
    lines = "\n".join(f"{i} {i + 1}" for i in range(1, 99))
    p = put(tmp_path, "g.txt", f"dl n=99 format=edgelist1\ndata:\n{lines}\n")
    assert detect_format(p) == "dl"
    assert fentanet.read(p).n_links == 98
    q = put(tmp_path, "h.txt", "% made by hand\n*Vertices 2\n1 a\n2 b\n*Edges\n1 2\n")
    assert detect_format(q) == "pajek"
    r = put(tmp_path, "dl.tsv", "dl\tx\t1\nx\ty\t2\n")  # an actor named dl
    assert detect_format(r) == "edgelist"


@pytest.mark.parametrize(("ext", "fmt"), [
    (".json", "json"), (".dl", "dl"), (".net", "pajek"), (".paj", "pajek"),
    (".graphml", "graphml"), (".xml", "graphml"), (".gexf", "gexf"), (".dot", "dot"),
    (".gv", "dot")])
def test_the_extension_of_a_format_with_a_signature_is_never_an_edge_list(tmp_path, ext,
                                                                           fmt):
    """Text without the signature goes to the extension's reader, which says what is
    wrong: the edge-list sniffer, which takes any two comma-separated tokens, read
    '{"a": 1}' in a .json file as a link between actors '{"a":' and '1}'."""
    p = put(tmp_path, f"x{ext}", "a,b\nb,c\n")
    assert detect_format(p) == fmt
    with pytest.raises(InputError, match=rf"^{re.escape(str(p))}:1: "):
        fentanet.read(p)
    for text in ('{"a": 1}', '[{"source":"a","target":"b"}]'):
        q = put(tmp_path, "obj.json", text)
        with pytest.raises(InputError, match=r"obj\.json:1: expected a JSON object with "
                                             r"'nodes' and 'edges' \(node-link layout\)"):
            fentanet.read(q)
    # a signature still wins over any extension, and plain-text extensions still fall
    # back to every format (an interdiction instance saved as .txt)
    assert detect_format(put(tmp_path, "d.json", "dl n=2\ndata:\n0 1\n1 0\n")) == "dl"
    inst = put(tmp_path, "inst.txt", "0, 3\n0, 1, 5, 2, 0, 1, 0, 0\n1, 3, 4, 2, 1, 0, 0, 1\n")
    assert detect_format(inst) == "interdiction"


def test_xml_signature_only_at_the_root(tmp_path):
    p = put(tmp_path, "n.tsv", "source\ttarget\tnote\na\tb\t<graphml> or <gexf>\n")
    assert detect_format(p) == "links"
    q = put(tmp_path, "g.xml", '<?xml version="1.0"?>\n<!-- x -->\n<graphml><graph>'
                               '<node id="a"/></graph></graphml>\n')
    assert detect_format(q) == "graphml"


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
@pytest.mark.parametrize("encoding", ["no-such-encoding", "UTF-16", "ISO-8859-1"])
def test_xml_declared_encoding_does_not_override_the_checked_text(tmp_path, fmt, encoding):
    """The bytes are checked as UTF-8 (or converted from UTF-16) before parsing, so the
    declaration's encoding name cannot crash expat (an unknown name raised LookupError)
    nor refuse a UTF-16 file that the reader had already converted."""
    body = ('<graphml><graph edgedefault="undirected"><node id="é"/><node id="b"/>'
            '<edge source="é" target="b"/></graph></graphml>' if fmt == "graphml" else
            '<gexf><graph defaultedgetype="undirected"><nodes><node id="é"/><node id="b"/>'
            '</nodes><edges><edge source="é" target="b"/></edges></graph></gexf>')
    text = f'<?xml version="1.0" encoding="{encoding}"?>\n{body}\n'
    data = text.encode("utf-16") if encoding == "UTF-16" else text.encode("utf-8")
    net = fentanet.read(put(tmp_path, f"g.{fmt}", data))
    assert sorted(net.ids) == ["b", "é"] and net.n_links == 1 and not net.directed
