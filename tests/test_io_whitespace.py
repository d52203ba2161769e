"""Whitespace-delimited actor lists, link lists and edge lists (single spaces, runs of
spaces, runs of tabs and spaces) are sniffed and read as their comma versions are; comma,
semicolon and tab files, and CSV files whose quoted cells hold spaces, read as before."""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fentanet
from fentanet.errors import InputError
from fentanet.network.io import detect_format
from fentanet.network.io._text import (
    WHITESPACE,
    normalise_whitespace,
    sniff_list_delimiter,
    whitespace_fields,
)
from fentanet.network.io.edgelist import HEADER_WORDS, LIST_WORDS

ACTORS = "id,kind,capacity,note\ntr-1,trafficker,5,x\ndealer-2,dealer,2.5,y\nm-3,market,1,\"\"\n"
LINKS = "source,target,kind,weight\ntr-1,dealer-2,distributes,2\ndealer-2,m-3,sells_to,1\n"
EDGES = "a,b,1\nb,c,2\nc,a,3\n"


def _spaced(text: str, style: str) -> str:
    """``text`` with each comma outside quotes replaced by the whitespace of ``style``."""
    seps = {"space": [" "], "spaces": ["  ", " ", "   "], "tabs": ["\t\t", " \t", "\t "]}[style]
    out, i, inside = [], 0, False
    for ch in text:
        if ch == '"':
            inside = not inside
        if ch == "," and not inside:
            out.append(seps[i % len(seps)])
            i += 1
        else:
            out.append(ch)
    return "".join(out)


@pytest.mark.parametrize("style", ["space", "spaces", "tabs"])
def test_whitespace_lists_read_as_their_comma_versions(tmp_path, style):
    comma, spaced = tmp_path / "comma", tmp_path / "spaced"
    comma.mkdir(), spaced.mkdir()
    # an actor list alone
    (comma / "x.actors.txt").write_text(ACTORS)
    (spaced / "x.actors.txt").write_text(_spaced(ACTORS, style))
    assert detect_format(spaced / "x.actors.txt") == "links"
    a, b = fentanet.read(comma / "x.actors.txt"), fentanet.read(spaced / "x.actors.txt")
    assert b.equals(a), b.differences(a)
    assert list(b.actors["kind"]) == ["trafficker", "dealer", "market"]
    assert list(b.actors["capacity"]) == [5.0, 2.5, 1.0]
    assert list(b.actors["note"]) == ["x", "y", ""]
    # a link list with its actor list beside it
    (comma / "y.txt").write_text(LINKS)
    (comma / "y.actors.txt").write_text(ACTORS)
    (spaced / "y.txt").write_text(_spaced(LINKS, style))
    (spaced / "y.actors.txt").write_text(_spaced(ACTORS, style))
    assert detect_format(spaced / "y.txt") == "links"
    a, b = fentanet.read(comma / "y.txt"), fentanet.read(spaced / "y.txt")
    assert b.equals(a), b.differences(a)
    assert (b.n_actors, b.n_links) == (3, 2) and b.directed
    assert list(b.links["kind"]) == ["distributes", "sells_to"]
    # a plain edge list, no header
    (comma / "e.txt").write_text(EDGES)
    (spaced / "e.txt").write_text(_spaced(EDGES, style))
    a, b = fentanet.read(comma / "e.txt"), fentanet.read(spaced / "e.txt")
    assert b.equals(a), b.differences(a)
    assert sorted(b.links["weight"]) == [1.0, 2.0, 3.0]


def test_leading_and_trailing_whitespace_and_an_explicit_space_delimiter(tmp_path):
    p = tmp_path / "z.actors.txt"
    p.write_text("  id   kind  \n lab-1  lab\t\n")
    net = fentanet.read(p)
    assert list(net.ids) == ["lab-1"] and list(net.actors["kind"]) == ["lab"]
    p2 = tmp_path / "w.csv"
    p2.write_text("source target kind\na b ships\n")
    net = fentanet.read(p2, delimiter=" ")
    assert list(net.links["kind"]) == ["ships"]


def test_quoted_cells_with_spaces(tmp_path):
    # a CSV whose quoted names hold spaces stays a CSV (header: the comma wins)
    p = tmp_path / "q.csv"
    p.write_text('source,target,note\n"lab one","dealer two","sold  at night"\n'
                 '"dealer two","m 3",x\n')
    net = fentanet.read(p)
    assert sorted(net.ids) == ["dealer two", "lab one", "m 3"]
    assert list(net.links["note"]) == ["sold  at night", "x"]
    # a CSV actor list whose header names hold spaces
    p = tmp_path / "people.actors.csv"
    p.write_text('id,"full name",kind\na,"Lab One",lab\nb,"Dealer  Two",dealer\n')
    net = fentanet.read(p)
    assert list(net.actors["full name"]) == ["Lab One", "Dealer  Two"]
    # a whitespace-delimited list may quote a cell holding spaces
    p = tmp_path / "s.actors.txt"
    p.write_text('id   kind  note\n"lab 1" lab "two  spaces"\nm-2 market ""\n')
    net = fentanet.read(p)
    assert list(net.ids) == ["lab 1", "m-2"]
    assert list(net.actors["note"]) == ["two  spaces", ""]


def test_sniffing_rules_by_hand():
    assert sniff_list_delimiter(["id kind", "a lab", "b market"]) == WHITESPACE
    assert sniff_list_delimiter(["id,kind", "a,lab"]) == ","
    assert sniff_list_delimiter(["id;kind", "a;lab"]) == ";"
    assert sniff_list_delimiter(["id\tkind", "a\tlab"]) == "\t"
    assert sniff_list_delimiter(["id\t\tkind", "a\t\tlab"]) == WHITESPACE  # aligned tabs
    assert sniff_list_delimiter(['id,"full name"', 'a,"b c"']) == ","
    assert sniff_list_delimiter(["id kind", "a lab extra"]) is None  # not consistent
    assert whitespace_fields('"a b"  c\t d') == 3
    assert normalise_whitespace(b' a  "b  c"\t d \n e\tf\n') == b'a\t"b  c"\td\ne\tf\n'


def test_an_inconsistent_whitespace_list_names_its_line(tmp_path):
    p = tmp_path / "bad.actors.txt"
    p.write_text("id kind capacity\nlab-1 lab 5\nm-2 market 3 9\n")
    with pytest.raises(InputError, match=r"bad.actors.txt:3: row has 4 fields, expected 3"):
        fentanet.read(p, format="links")


# ids that are not the words a header is recognised by (a first line "u v" is a header)
IDS = st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=6).filter(
    lambda x: x.lower() not in HEADER_WORDS | LIST_WORDS)
DELIMITERS = st.sampled_from([",", ";", "\t", " ", "  ", "   "])


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=st.lists(st.tuples(IDS, IDS, st.integers(1, 99)), min_size=1, max_size=12,
                      unique_by=lambda t: (t[0], t[1])),
       delim=DELIMITERS, header=st.booleans(), weighted=st.booleans(),
       pad=st.sampled_from(["", " ", "\t"]))
def test_random_edge_lists_read_back_whatever_the_delimiter(tmp_path, pairs, delim, header,
                                                            weighted, pad):
    rows = [[s, t, str(w)] if weighted else [s, t] for s, t, w in pairs]
    lines = [delim.join(r) for r in rows]
    if header:
        lines.insert(0, delim.join(["source", "target", "weight"][:len(rows[0])]))
    if not delim.strip(" "):  # spaces: leading and trailing blanks are allowed too
        lines = [pad + ln + pad for ln in lines]
    path = tmp_path / "rand.txt"
    path.write_text("\n".join(lines) + "\n")
    net = fentanet.read(path, directed=True, duplicates="keep")
    got = sorted(zip(net.links["source"], net.links["target"], strict=True))
    assert got == sorted((s, t) for s, t, _ in pairs)
    if weighted:
        w = {(s, t): float(x) for s, t, x in pairs}
        assert all(w[(s, t)] == x for s, t, x in zip(net.links["source"], net.links["target"],
                                                      net.links["weight"], strict=True))


def test_a_quote_inside_a_cell_is_a_character_as_in_the_comma_version(tmp_path):
    """A double quote opens a quoted cell only at the start of a cell (as CSV reads it):
    ``O"Neil`` is a name, and the whitespace after it still separates fields."""
    text = 'source,target\nO"Neil,b\nc,d"x\n"e f",g\n'
    assert normalise_whitespace(b'O"Neil b\nc d"x\n"e f"  g') == b'O"Neil\tb\nc\td"x\n"e f"\tg'
    assert whitespace_fields('O"Neil b') == 2
    (tmp_path / "c.links.csv").write_text(text)
    (tmp_path / "w.links.txt").write_text(text.replace(",", " "))
    want = fentanet.read(tmp_path / "c.links.csv", format="links").links
    got = fentanet.read(tmp_path / "w.links.txt", format="links").links
    assert got[["source", "target"]].values.tolist() == [['O"Neil', "b"], ["c", 'd"x'],
                                                         ["e f", "g"]]
    assert got[["source", "target"]].values.tolist() == \
        want[["source", "target"]].values.tolist()
