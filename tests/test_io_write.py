"""Writes are atomic: a failed write leaves neither a half-written file nor a damaged one."""

from __future__ import annotations

import os
import stat

import pandas as pd
import pyarrow.csv as pacsv
import pytest

import fentanet
from fentanet import InputError, Network
from fentanet.network.io import atomic_path, atomic_paths, formats


def small() -> Network:
    links = pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"], "weight": [1.0, 2.0]})
    return Network(["a", "b", "c"], links)


def snapshot(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


EXT = {"links": ".csv", "matrix": ".csv", "edgelist": ".edges", "dl": ".dl", "pajek": ".net",
       "graphml": ".graphml", "gexf": ".gexf", "json": ".json", "sif": ".sif",
       "interdiction": ".csv"}


@pytest.mark.parametrize("fmt", sorted(f.name for f in formats() if f.writer))
def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch, fmt):
    """The writer dies half way (the disk fills): the old file is intact, no litter."""
    target = tmp_path / f"net{EXT[fmt]}"
    target.write_text("precious old content\n")
    (tmp_path / "net.actors.csv").write_text("old actors\n")
    before = snapshot(tmp_path)
    import builtins

    real_open = builtins.open

    class Full:
        def __init__(self, fh):
            self.fh = fh

        def write(self, text):  # half of it reaches the disk, then the disk is full
            self.fh.write(text[: len(text) // 2])
            self.fh.flush()
            raise OSError(28, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

    def failing_open(file, mode="r", *args, **kwargs):
        fh = real_open(file, mode, *args, **kwargs)
        return Full(fh) if "w" in mode and ".tmp" in str(file) else fh

    def failing_csv(table, where, **kwargs):
        with real_open(where, "w") as fh:
            fh.write("half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(builtins, "open", failing_open)
    monkeypatch.setattr(pacsv, "write_csv", failing_csv)
    net = small()
    if fmt == "interdiction":
        net = Network(["0", "1", "2"], pd.DataFrame({
            "source": ["0", "1"], "target": ["1", "2"], "kind": ["flow", "flow"],
            "capacity": [1, 2], "cost": [1, 1], "special": [0, 1], "trafficker": [0, 0],
            "bottom": [0, 0], "victim": [0, 1]}), meta={"source": "0", "sink": "2"})
    with pytest.raises(InputError, match="No space left on device"):
        fentanet.write(net, target, format=fmt)
    assert snapshot(tmp_path) == before


def test_refused_write_touches_nothing(tmp_path):
    target = tmp_path / "net.net"
    target.write_text("old\n")
    with pytest.raises(InputError, match="double quote"):
        fentanet.write(Network(['a"b']), target)
    assert snapshot(tmp_path) == {"net.net": b"old\n"}


def test_link_list_files_are_replaced_together(tmp_path, monkeypatch):
    """The actor list fails: the link list and the sidecar keep their old content."""
    fentanet.write(small(), tmp_path / "n.csv")
    before = snapshot(tmp_path)
    calls = []
    real = pacsv.write_csv

    def second_fails(table, where, **kw):
        calls.append(where)
        if len(calls) == 2:
            raise OSError(5, "Input/output error")
        return real(table, where, **kw)

    monkeypatch.setattr(pacsv, "write_csv", second_fails)
    bigger = Network(["a", "b", "c", "d"], small().links)
    with pytest.raises(InputError, match="Input/output error"):
        fentanet.write(bigger, tmp_path / "n.csv")
    assert snapshot(tmp_path) == before


def test_interrupted_write_cleans_up(tmp_path):
    target = tmp_path / "x.txt"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("new but unfinished")
        raise KeyboardInterrupt
    assert snapshot(tmp_path) == {"x.txt": b"old"}
    with atomic_paths(tmp_path / "a", tmp_path / "b") as (ta, tb):
        ta.write_text("A")
        tb.write_text("B")
    assert snapshot(tmp_path) == {"a": b"A", "b": b"B", "x.txt": b"old"}


def test_new_files_get_normal_permissions_and_old_ones_keep_theirs(tmp_path):
    fentanet.write(small(), tmp_path / "g.graphml")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE((tmp_path / "g.graphml").stat().st_mode) == 0o666 & ~mask
    os.chmod(tmp_path / "g.graphml", 0o640)
    fentanet.write(small(), tmp_path / "g.graphml")
    assert stat.S_IMODE((tmp_path / "g.graphml").stat().st_mode) == 0o640


def test_write_errors_name_the_problem(tmp_path):
    with pytest.raises(InputError, match="the folder does not exist"):
        fentanet.write(small(), tmp_path / "nope" / "x.csv")
    with pytest.raises(InputError, match=r"cannot tell the output format from 'x\.abc'.*"
                       r"\(--to on the command line, format= in Python\)"):
        fentanet.write(small(), tmp_path / "x.abc")
    with pytest.raises(InputError, match="cannot write format 'dot'"):
        fentanet.write(small(), tmp_path / "x.dot")
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(InputError, match="is a folder"):
        fentanet.write(small(), tmp_path / "d.csv")
    with pytest.raises(InputError, match="name the link list"):
        fentanet.write(small(), tmp_path / "y.actors.csv")


def test_atomic_paths_refuse_a_folder_target_before_replacing_any(tmp_path):
    """The audit's finding 1: the second target was a folder, so the first file was
    replaced and the second rename failed, leaving a mix of new and old files and the
    second temporary file behind."""
    (tmp_path / "a").write_text("old a")
    (tmp_path / "b").mkdir()
    with pytest.raises(IsADirectoryError, match="is a folder, not a file") as exc, \
            atomic_paths(tmp_path / "a", tmp_path / "b"):
        pytest.fail("refused before anything is written")
    assert exc.value.filename == str(tmp_path / "b")
    assert (tmp_path / "a").read_text() == "old a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]  # no temporaries
    # a folder made while the files were written (after the first check) is found too
    with pytest.raises(IsADirectoryError), atomic_paths(tmp_path / "a", tmp_path / "c") \
            as (ta, tc):
        ta.write_text("new a")
        tc.write_text("c")
        (tmp_path / "c").mkdir()
    assert (tmp_path / "a").read_text() == "old a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "c"]
