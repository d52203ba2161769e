"""Format detection on the shapes that used to load silently as something else: a matrix
whose labels disagree, and an actor list not named ``*.actors.csv``."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fentanet
from fentanet.cli import main
from fentanet.network.io import detect_format


@pytest.mark.parametrize("text", [
    ",a,b\na,0,1\nc,1,0\n",            # empty corner
    " ,a,b\na,0,1\nc,1,0\n",           # blank corner
    '"",a,b\na,0,1\nc,1,0\n',          # quoted empty corner
    "\ta\tb\na\t0\t1\nc\t1\t0\n",      # tab-separated
])
def test_a_matrix_with_wrong_row_labels_is_a_matrix(tmp_path, text):
    path = tmp_path / "m.csv"
    path.write_text(text)
    assert detect_format(path) == "matrix"
    with pytest.raises(fentanet.InputError, match=r"m.csv:3: row label 'c' is not a "
                                                  r"column label"):
        fentanet.read(path)


@pytest.mark.parametrize("text", [",a,a\na,0,1\na,1,0\n",
                                  ",a,b,a\na,0,1,0\nb,1,0,1\na,0,1,0\n"])
def test_a_matrix_with_a_repeated_label_is_a_matrix(tmp_path, capsys, text):
    """Its reader names the label (the first read as an edge list of actors a, 0 and 1
    with a link of weight 0; the second as 'cannot tell the format')."""
    path = tmp_path / "m.csv"
    path.write_text(text)
    assert detect_format(path) == "matrix"
    message = "m.csv:1: column label 'a' appears twice in the header"
    with pytest.raises(fentanet.InputError, match=message):
        fentanet.read(path)
    assert main(["info", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"error: {tmp_path}/{message}\n"


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(labels=st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), min_size=2, max_size=5),
       cells=st.lists(st.integers(0, 3), min_size=25, max_size=25),
       delimiter=st.sampled_from([",", ";", "\t"]))
def test_an_empty_corner_then_labels_and_numeric_rows_is_a_matrix(tmp_path, labels, cells,
                                                                  delimiter):
    """Whatever its labels (repeated or not), so that reading it says what is wrong."""
    n = len(labels)
    rows = [delimiter.join(["", *labels])] + [
        delimiter.join([lab, *(str(c) for c in cells[i * n:(i + 1) * n])])
        for i, lab in enumerate(labels)]
    path = tmp_path / "m.csv"
    path.write_text("\n".join(rows) + "\n")
    assert detect_format(path) == "matrix"
    if len(set(labels)) < n:
        with pytest.raises(fentanet.InputError, match=r"m\.csv:1: column label '.' appears "
                                                      r"twice in the header"):
            fentanet.read(path)
    else:
        assert sorted(fentanet.read(path).ids) == sorted(labels)


def test_well_formed_matrices_still_read(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("a,b\na,0,1\nb,1,0\n")  # no corner cell
    net = fentanet.read(path)
    assert sorted(net.ids) == ["a", "b"] and net.n_links == 1 and not net.directed
    path.write_text(",a,b,c\na,0,2,0\nb,2,0,1\nc,0,1,0\n")
    net = fentanet.read(path)
    assert net.n_actors == 3 and sorted(net.links["weight"]) == [1.0, 2.0]


def test_an_edge_list_with_numbers_is_still_an_edge_list(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("a,b,1\nb,c,2\nc,a,3\n")
    assert detect_format(path) == "edgelist"
    assert fentanet.read(path).n_links == 3


@pytest.mark.parametrize("text", ["1 2\n2 3\n", "1,2\n2,3\n", "007 7\n7 8\n"])
def test_a_two_line_edge_list_of_numbers_is_not_a_one_actor_matrix(tmp_path, text):
    # the first line read as a corner and one column label made a 1x1 matrix: one actor
    # with a self-loop instead of two links between three (or two) actors
    path = tmp_path / "e.txt"
    path.write_text(text)
    assert detect_format(path) == "edgelist"
    net = fentanet.read(path)
    first, second = (line.replace(",", " ").split() for line in text.splitlines())
    assert list(net.ids) == list(dict.fromkeys(first + second))
    assert net.n_links == 2 and net.links["source"].tolist() == [first[0], second[0]]


def test_an_actor_list_of_any_name_reads_as_actors_without_links(tmp_path, capsys):
    path = tmp_path / "acts.csv"
    path.write_text("id,kind,capacity\na,lab,5\nb,market,3\n")
    assert detect_format(path) == "links"
    net = fentanet.read(path)
    assert list(net.ids) == ["a", "b"]
    assert list(net.actors["kind"]) == ["lab", "market"]
    assert list(net.actors["capacity"]) == [5, 3]
    assert net.n_links == 0
    assert main(["info", str(path), "--json"]) == 0
    import json

    summary = json.loads(capsys.readouterr().out)
    assert summary["actors"] == 2 and summary["links"] == 0
    assert summary["actor_kinds"] == {"lab": 1, "market": 1}


@pytest.mark.parametrize("header", ["name,kind", "actor,kind,region", "ID,Kind"])
def test_other_actor_headers(tmp_path, header):
    path = tmp_path / "people.txt"
    path.write_text(f"{header.replace(',', chr(9))}\np1\tdealer\tx\np2\tmarket\ty\n"
                    if header.count(",") == 2 else
                    f"{header}\np1,dealer\np2,market\n")
    net = fentanet.read(path)
    assert list(net.ids) == ["p1", "p2"] and net.n_links == 0


def test_edge_list_sniffer_refuses_list_headers():
    from fentanet.network.io.edgelist import _sniff

    assert not _sniff("id,kind,capacity\na,lab,5\nb,market,3\n", None)
    assert _sniff("a,b,5\nb,c,3\n", None)


@pytest.mark.parametrize(("text", "message"), [
    ("a,b\nb,c\nd\ne,f\n", "r.csv:3: line has 1 field, expected 2 (source, target)"),
    ("a,b\nb,c\nd,e,f,g\ne,f\n", "r.csv:3: line has 4 fields, expected 2 (source, target)"),
])
def test_a_short_edge_list_with_one_ragged_line_names_it(tmp_path, capsys, text, message):
    """A headerless edge list of a few lines, one of them ragged, is an edge list whose
    reader names the line (it was 'cannot tell the format': 3 of 4 lines at the usual
    width are fewer than the 80% a longer file needs)."""
    path = tmp_path / "r.csv"
    path.write_text(text)
    assert detect_format(path) == "edgelist"
    assert main(["info", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"error: {tmp_path}/{message}\n"


def test_two_lines_of_different_widths_are_not_an_edge_list(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("a,b\nc\n")
    with pytest.raises(fentanet.InputError, match="cannot tell the format"):
        detect_format(path)
