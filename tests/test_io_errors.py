"""Malformed input: a clear error naming file, line and what was expected, never a crash.

Every case is checked through :func:`fentanet.read` and through ``fentanet info FILE``,
which must print exactly one ``error: ...`` line on stderr and exit with status 2. The
fuzz tests feed arbitrary bytes, arbitrary text and damaged valid files to every reader:
nothing but :class:`InputError` may come out, and nothing may hang.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fentanet
from fentanet import InputError, Network
from fentanet.cli import main
from fentanet.network.io import formats

SIDE = {"ids.actors.csv": "id,kind\na,dealer\nb,market\n"}

# name: (file name, content, expected line or None, message pattern)
CASES = {
    "empty file": ("e.csv", b"", None, r"empty file; expected a network"),
    "blank file": ("b.txt", b"  \n\n\t\n", None, r"only blank space"),
    "truncated matrix": ("m.csv", b',a,b,c\na,0,1,0\nb,1,0,1\n', 3,
                         r"2 rows for 3 column labels; an adjacency matrix must be square "
                         r"\(truncated file\?\)"),
    "truncated graphml": ("g.graphml", b'<?xml version="1.0"?>\n<graphml>\n<graph>\n'
                          b'<node id="a"/>\n<node id="b', 5,
                          r"not well-formed XML \(unclosed token\)"),
    "truncated json": ("j.json", b'{"nodes": [{"id": "a"}, {"id": "b"}], "edges": [{"sou',
                       1, r"not valid JSON \(Unterminated string"),
    "ragged matrix": ("r.csv", b'"",a,b,c\na,0,1,0\nb,1,0\nc,0,1,0\n', 3,
                      r"row has 3 fields, expected 4 \(a label, then one value for each of "
                      r"the 3 column labels\): ragged matrix"),
    "matrix row label not in the header": (
        "ml.csv", b",a,b\na,0,1\nc,1,0\n", 3,
        r"row label 'c' is not a column label; expected the same actors in the rows as in "
        r"the header \(no row for: b\)"),
    "3x3 matrix row label not in the header": (
        "m3.csv", b",a,b,c\na,0,1,0\nb,1,0,1\nd,0,1,0\n", 4,
        r"row label 'd' is not a column label; .* \(no row for: c\)"),
    "matrix without a corner, row label not in the header": (
        "mn.csv", b"a,b\na,0,1\nc,1,0\n", 3, r"row label 'c' is not a column label"),
    "non-numeric weight": ("w.tsv", b"a\tb\t1\nb\tc\theavy\n", 2,
                           r"field 'weight': weight must be a number, got 'heavy'"),
    "non-numeric cell": ("n.csv", b",a,b\na,0,x\nb,1,0\n", 2,
                         r"field 'b': cell for column 'b' must be a number, got 'x'"),
    "unknown kind": ("k.csv", b"source,target,kind\na,b,tie\nb,c,teleports\n", 3,
                     r"field 'kind': unknown kind 'teleports'; expected one of"),
    "missing column": ("c.csv", b"source,weight\na,1\n", 1,
                       r"field 'target': the link list has no 'target' column \(columns: "
                       r"source, weight\); expected a header with source and target"),
    "unknown actor in a link": ("ids.csv", b"source,target\na,b\nb,zed\n", 3,
                                r"field 'target': unknown actor 'zed' as link target; every "
                                r"link must join actors of the actor list"),
    "binary garbage": ("x.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00", 3,
                       r"binary content \(a NUL byte\); expected a text network file"),
    "undecodable bytes": ("u.csv", b"source,target\ncaf\xe9,bar\n", 2,
                          r"not UTF-8 text \(byte 0xe9\); expected a text file saved as "
                          r"UTF-8"),
    "DL header lies about N (too few values)": (
        "s.dl", b"dl n=3\ndata:\n0 1 0\n1 0 1\n", 5,
        r"the data end early: the header says n=3; matrix 1 is incomplete"),
    "DL header lies about N (too many values)": (
        "t.dl", b"dl n=2\ndata:\n0 1\n1 0\n1 1\n", 5,
        r"more data than the header says \(n=2\): '1' is extra"),
    "DL actor beyond N": ("v.dl", b"dl n=3 format=edgelist1\ndata:\n1 2\n2 7\n", 4,
                          r"actor 7 is outside 1..3: the header says n=3"),
    "DL too many embedded labels": (
        "l.dl", b"dl n=2 format=edgelist1\nlabels embedded:\ndata:\na b\nb c\n", 5,
        r"label 'c' would be actor 3, but the header says n=2"),
    "negative weight": ("g.tsv", b"a\tb\t-2\n", 1,
                        r"field 'weight': 'weight' must be finite and non-negative"),
    "edge list with too many fields": ("f.edges", b"a b 1 2\nc d 3 4\n", 1,
                                       r"line has 4 fields; expected 2 or 3"),
    "pajek vertex beyond n": ("p.net", b"*Vertices 2\n1 \"a\"\n2 \"b\"\n*Arcs\n1 3\n", 5,
                              r"vertex 3 is outside 1..2: \*Vertices says n=2"),
    "pajek matrix shorter than *Vertices": (
        "q.net", b"*Vertices 3\n*Matrix\n0 1 1\n", 4,
        r"the data end early: \*Vertices says n=3; the \*Matrix holds 1 of its 3 rows"),
    "pajek matrix cut by the next section": (
        "q.net", b"*Vertices 2\n*Matrix :1\n0 1\n*Matrix :2\n0 1\n1 0\n", 4,
        r"the data end early: \*Vertices says n=2; the \*Matrix holds 1 of its 2 rows"),
    "graphml edge to unknown node": (
        "h.graphml", b'<graphml><graph edgedefault="directed">\n<node id="a"/>\n'
                     b'<edge source="a" target="q"/>\n</graph></graphml>', 3,
        r"field 'target': unknown actor 'q' as link target"),
    "interdiction bad arc": ("Network1.csv", b"0, 3\n0, 1, 5, 2, 0, 1, 0, 0\n1, 3, x, 2, 0, "
                             b"1, 0, 0\n", 3, r"'capacity' must be a number, got 'x'"),
    "JSON that is not node-link": (
        "obj.json", b'{"a": 1}', 1,
        r"expected a JSON object with 'nodes' and 'edges' \(node-link layout\)"),
    "edge list saved as .net": ("e.net", b"a,b\nb,c\n", 1,
                                r"data before a \*Vertices line; a Pajek network starts"),
    "unclosed quote": ("uq.csv", b'source,target\n"a,b\n', 2,
                       r"unclosed quote: a cell opened with '\"' is never closed; expected "
                       r"a closing '\"'"),
    "unclosed quote taking in the rest of the file": (
        "ur.csv", b'source,target\nx,y\nx,"a,b\nc,d\n', 3,
        r"unclosed quote: a cell opened with '\"' is never closed"),
    "node-link edge without a target": (
        "nt.json", b'{"nodes": [{"id": "a"}], "edges": [{"source": "a"}]}', None,
        r"field 'target': edge 1 has no 'target'; expected the id of a node"),
    "unknown format": ("z.xyz", b"hello world\nthis is not a network\n", None,
                       r"cannot tell the format from the extension '.xyz' or the content"),
}


def write_case(tmp_path, name):
    fname, content, _, _ = CASES[name]
    for side, text in SIDE.items():
        if fname.split(".")[0] == side.split(".")[0]:
            (tmp_path / side).write_text(text)
    path = tmp_path / fname
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("name", sorted(CASES))
def test_read_raises_clear_error(tmp_path, name):
    _, _, line, pattern = CASES[name]
    path = write_case(tmp_path, name)
    with pytest.raises(InputError) as info:
        fentanet.read(path)
    err = info.value
    assert err.file == str(path)
    assert err.line == line
    assert re.search(pattern, str(err)), str(err)
    prefix = f"{path}:{line}: " if line is not None else f"{path}: "
    assert str(err).startswith(prefix)


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli_info_prints_one_error_line(tmp_path, capsys, name):
    _, _, line, pattern = CASES[name]
    path = write_case(tmp_path, name)
    assert main(["info", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    where = f"{path}:{line}" if line is not None else f"{path}"
    assert lines[0].startswith(f"error: {where}: ")
    assert re.search(pattern, lines[0])
    assert "Traceback" not in err


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli_convert_refuses_before_writing(tmp_path, capsys, name):
    path = write_case(tmp_path, name)
    before = sorted(tmp_path.iterdir())
    assert main(["convert", str(path), str(tmp_path / "out.graphml")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith(f"error: {path}")
    assert sorted(tmp_path.iterdir()) == before  # nothing written, no temporary file


def test_cli_process_no_traceback(tmp_path):
    path = write_case(tmp_path, "ragged matrix")
    proc = subprocess.run([sys.executable, "-m", "fentanet", "info", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith(f"error: {path}:3: row has 3 fields")
    assert proc.stderr.count("\n") == 1


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        fentanet.read(tmp_path / "nothing.csv")
    with pytest.raises(InputError, match="is a folder with no network files"):
        fentanet.read(tmp_path)
    assert main(["info", str(tmp_path / "nothing.csv")]) == 2


def test_ten_megabyte_single_line(tmp_path):
    """A huge line fails fast with a clear message, in any format and by detection."""
    big = tmp_path / "big.csv"
    big.write_bytes(b"a," * 5_000_000)
    with pytest.raises(InputError, match="cannot tell the format"):
        fentanet.read(big)
    with pytest.raises(InputError, match=r":1: line has 5000001 fields; expected 2 or 3"):
        fentanet.read(big, format="edgelist")
    with pytest.raises(InputError, match=r":1: column 5000001 of the header has no name"):
        fentanet.read(big, format="links")
    with pytest.raises(InputError, match=r":1: column label 'a' appears twice"):
        fentanet.read(big, format="matrix")
    one = tmp_path / "one.txt"
    one.write_bytes(b"x" * 10_000_000)
    with pytest.raises(InputError, match=r":1: line has 1 field; expected 2 or 3"):
        fentanet.read(one, format="edgelist")


def test_ten_megabyte_single_line_through_the_cli(tmp_path, capsys):
    big = tmp_path / "big.csv"
    big.write_bytes(b"a," * 5_000_000)
    assert main(["info", str(big)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"error: {big}: cannot tell the format from the extension '.csv'")


def test_line_breaks_in_values_stay_on_one_line(tmp_path, capsys):
    p = tmp_path / "l.csv"
    p.write_text('source,target,kind\n"a\nb",c,wizardry\n')
    assert main(["info", str(p)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{p}:2: " in err


def test_errors_name_the_actor_file(tmp_path):
    (tmp_path / "n.csv").write_text("source,target\na,b\n")
    (tmp_path / "n.actors.csv").write_text("id,kind\na,dealer\nb,wizard\n")
    with pytest.raises(InputError) as info:
        fentanet.read(tmp_path / "n.csv")
    assert info.value.file == str(tmp_path / "n.actors.csv")
    assert info.value.line == 3
    assert "unknown kind 'wizard'" in str(info.value)


def test_duplicate_actor_in_actor_list(tmp_path):
    (tmp_path / "d.csv").write_text("source,target\na,b\n")
    (tmp_path / "d.actors.csv").write_text("id\na\nb\na\n")
    with pytest.raises(InputError, match=r"d\.actors\.csv:4: field 'id': duplicate actor "
                                         r"id 'a'"):
        fentanet.read(tmp_path / "d.csv")


# ---------------------------------------------------------------------- fuzzing
READERS = sorted(f.name for f in formats() if f.reader)
FUZZ = settings(max_examples=30, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def only_input_errors(path, fmt):
    try:
        fentanet.read(path, format=fmt)
    except InputError:
        pass


@pytest.mark.parametrize("fmt", READERS)
def test_fuzz_bytes(tmp_path, fmt):
    @FUZZ
    @given(data=st.binary(max_size=300))
    def check(data):
        p = tmp_path / "f.bin"
        p.write_bytes(data)
        only_input_errors(p, fmt)

    check()


TOKENS = st.sampled_from(["dl", "n=3", "nm=2", "format=edgelist1", "format=fullmatrix",
                          "labels:", "labels embedded", "data:", "!", "*Vertices 3",
                          "*Arcs", "*Edges", "*Arcslist", "*Matrix", "graph", "digraph",
                          "{", "}", "->", "--", "[", "]", "=", ";", "<graphml>", "<graph>",
                          "<node id=\"a\"/>", "<edge source=\"a\" target=\"b\"/>", "{\"nodes\":",
                          "[", "\"id\"", ":", ",", "source,target", "id,kind", "1", "2",
                          "-1", "0.5", "nan", "inf", "x", "\"q", "\n", "\t", " ", "\r\n",
                          "a", "b", "pp", "#", "%", "1e400", "99999999999999999999"])


@pytest.mark.parametrize("fmt", READERS)
def test_fuzz_token_soup(tmp_path, fmt):
    @FUZZ
    @given(parts=st.lists(TOKENS, max_size=40),
           tail=st.text(st.characters(blacklist_categories=("Cs",)), max_size=20))
    def check(parts, tail):
        p = tmp_path / "f.txt"
        p.write_text(" ".join(parts) + tail, encoding="utf-8")
        only_input_errors(p, fmt)

    check()


def _valid_files(tmp_path) -> dict[str, bytes]:
    links = pd.DataFrame({"source": ["a", "b", "c"], "target": ["b", "c", "a"],
                          "kind": ["tie", "tie", "tie"], "weight": [1.0, 2.5, 3.0],
                          "phase": [1, 1, 2]})
    net = Network(pd.DataFrame({"id": ["a", "b", "c", "d"], "note": ["x", None, "z", ""]}),
                  links)
    out = {}
    for fmt in sorted(f.name for f in formats() if f.writer and f.name != "interdiction"):
        ext = {"links": ".csv", "matrix": ".csv", "edgelist": ".tsv", "dl": ".dl",
               "pajek": ".net", "graphml": ".graphml", "gexf": ".gexf", "json": ".json",
               "sif": ".sif"}[fmt]
        p = tmp_path / f"valid_{fmt}{ext}"
        fentanet.write(net, p, format=fmt)
        out[fmt] = p.read_bytes()
    out["dot"] = b'digraph { a -> b [weight=2]; b -> c; c [kind=dealer]; }\n'
    out["interdiction"] = b"0, 3\n0, 1, 5, 2, 0, 1, 0, 0\n1, 3, 4, 2, 1, 0, 0, 1\n"
    return out


@pytest.mark.parametrize("fmt", READERS)
def test_fuzz_damaged_valid_files(tmp_path, fmt):
    """Cut, flip and splice bytes of a valid file of the format."""
    valid = _valid_files(tmp_path)[fmt]
    assert fentanet.read(_put(tmp_path, valid), format=fmt).n_actors > 0

    @FUZZ
    @given(cut=st.integers(0, len(valid)), pos=st.integers(0, len(valid)),
           junk=st.binary(max_size=6), drop=st.integers(0, 10))
    def check(cut, pos, junk, drop):
        data = valid[:pos] + junk + valid[pos + drop:]
        only_input_errors(_put(tmp_path, data[:cut] if cut % 3 == 0 else data), fmt)

    check()


def _put(tmp_path, data: bytes):
    p = tmp_path / "damaged"
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("call, message", [
    (lambda: fentanet.read(3), r"field 'path': expected a file path \(text or pathlib.Path\) "
                               r"or a dataset name, got 3"),
    (lambda: fentanet.read(None), r"field 'path': expected a file path .* got None"),
    (lambda: fentanet.write(fentanet.Network(["a"]), 5), r"field 'path': expected a file "
                                                          r"path .* got 5"),
    (lambda: fentanet.datasets.load(3), r"field 'dataset': a dataset name is text, such as "
                                        r"'caviar'; got 3; named datasets: caviar, "),
])
def test_a_path_that_is_not_text_or_a_path_is_an_input_error(call, message):
    # each ended in a TypeError from os or pathlib (review s20, api)
    with pytest.raises(InputError, match=message):
        call()
