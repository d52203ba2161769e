"""A folder of per-phase files reads as one network in phases; the CLI reads files,
folders and dataset names with the readers' options."""

from __future__ import annotations

import json

import pytest

import fentanet
from fentanet import InputError
from fentanet.cli import main
from fentanet.network.io import detect_format
from fentanet.network.io.folder import natural_key


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def phase_folder(tmp_path, files: dict[str, str]):
    folder = tmp_path / "phases"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def test_natural_order():
    names = ["phase10.csv", "phase2.csv", "Phase1.csv", "phase11.csv"]
    assert sorted(names, key=natural_key) == ["Phase1.csv", "phase2.csv", "phase10.csv",
                                              "phase11.csv"]


def test_folder_of_edge_lists_reads_as_phases(tmp_path):
    folder = phase_folder(tmp_path, {
        "phase10.tsv": "c\td\t4\n",
        "phase2.tsv": "b\tc\t2\na\tb\t3\n",
        "phase1.tsv": "a\tb\t1\n",
        "SOURCE.md": "# where the data came from\n",
        ".hidden.tsv": "x\ty\t9\n",
    })
    net = fentanet.read(folder)
    assert net.phases == [1, 2, 10]
    assert net.name == "phases" and not net.directed
    assert list(net.ids) == ["a", "b", "c", "d"]  # first appearance, phase by phase
    rows = net.links[["source", "target", "weight", "phase"]].values.tolist()
    assert rows == [["a", "b", 1.0, 1], ["b", "c", 2.0, 2], ["a", "b", 3.0, 2],
                    ["c", "d", 4.0, 10]]
    assert net.at_phase(2).n_links == 2
    assert detect_format(folder) == "edgelist"


def test_reader_options_apply_to_every_phase_file(tmp_path):
    folder = phase_folder(tmp_path, {"p1.tsv": "a\tb\t1\nb\ta\t5\n",
                                     "p2.tsv": "a\tb\t2\na\tb\t7\n"})
    default = fentanet.read(folder)  # undirected, a repeated pair keeps its last weight
    assert default.links["weight"].tolist() == [5.0, 7.0]
    summed = fentanet.read(folder, directed=True, duplicates="sum")
    assert summed.directed
    assert summed.links[["source", "target", "weight", "phase"]].values.tolist() == [
        ["a", "b", 1.0, 1], ["b", "a", 5.0, 1], ["a", "b", 9.0, 2]]


def test_phase_labels_without_numbers_follow_the_order(tmp_path):
    folder = phase_folder(tmp_path, {"early.csv": "source,target\na,b\n",
                                     "late.csv": "source,target\nb,c\n"})
    net = fentanet.read(folder)
    assert net.phases == [1, 2]
    assert net.at_phase(2).links[["source", "target"]].values.tolist() == [["b", "c"]]


def test_link_lists_with_actor_lists_and_sidecars(tmp_path):
    folder = phase_folder(tmp_path, {
        "w1.csv": "source,target,kind\nd1,m1,sells_to\n",
        "w1.actors.csv": "id,kind\nd1,dealer\nm1,market\n",
        "w2.csv": "source,target,kind\nd2,m1,sells_to\n",
        "w2.actors.csv": "id,kind\nd2,dealer\nm1,market\n",
    })
    net = fentanet.read(folder)
    assert net.phases == [1, 2]
    assert dict(zip(net.ids, net.actors["kind"], strict=True)) == {
        "d1": "dealer", "m1": "market", "d2": "dealer"}


def test_folder_errors(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "README.md").write_text("nothing here\n")
    with pytest.raises(InputError, match="is a folder with no network files"):
        fentanet.read(empty)
    mixed = phase_folder(tmp_path, {"a1.csv": ",x,y\nx,0,1\ny,1,0\n",
                                    "a2.csv": "source,target\nx,y\n"})
    with pytest.raises(InputError, match=r"a2.csv: is links but a1.csv is matrix; a folder "
                                         r"of phases holds files of one format"):
        fentanet.read(mixed)


def test_caviar_phases_folder_reads_as_the_dataset(shared_data):
    folder = shared_data / "networks" / "caviar_phases"
    net = fentanet.read(folder)
    assert net.phases == list(range(1, 12))
    assert (net.n_actors, net.n_links) == (107, 650)
    assert net.at_phase(4).n_links == 65  # SOURCE.md: phase 4 has 65 arcs


def test_cli_reads_a_folder_and_dataset_names(shared_data, capsys):
    code, out, err = run(capsys, "info", "caviar_phases", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["name"] == "caviar_phases" and data["phases"] == list(range(1, 12))
    code, out, err = run(capsys, "info", shared_data / "networks" / "caviar_phases",
                         "--json")
    assert code == 0, err
    assert json.loads(out)["actors"] == 107
    code, out, err = run(capsys, "info", "cavair")
    assert code == 2 and "no such file (nor a dataset name: caviar," in err


def test_cli_reader_options(tmp_path, capsys):
    path = tmp_path / "calls.txt"
    path.write_text("a b 1\nb a 2\na b 4\n")
    cases = [([], 1, False), (["--duplicates", "keep"], 3, False),
             (["--directed"], 2, True), (["--directed", "--duplicates", "sum"], 2, True)]
    for extra, links, directed in cases:
        code, out, err = run(capsys, "info", path, "--json", *extra)
        assert code == 0, err
        data = json.loads(out)
        assert (data["links"], data["directed"]) == (links, directed), extra
    semi = tmp_path / "semi.txt"
    semi.write_text("x;y\na;b\n")
    code, out, _ = run(capsys, "info", semi, "--json", "--header", "--delimiter",
                       "semicolon")
    assert code == 0 and json.loads(out)["actors"] == 2
    code, out, _ = run(capsys, "info", semi, "--json", "--no-header", "--delimiter", ";")
    assert code == 0 and json.loads(out)["actors"] == 4


def test_cli_refuses_options_the_format_does_not_take(tmp_path, capsys):
    path = tmp_path / "m.csv"
    path.write_text(",a,b\na,0,1\nb,1,0\n")
    code, _, err = run(capsys, "info", path, "--header")
    assert code == 2
    assert err == ("error: --header/--no-header does not apply to matrix files (the "
                   "matrix reader's options: --directed/--undirected)\n")
    code, out, err = run(capsys, "info", path, "--undirected", "--json")
    assert code == 0 and not json.loads(out)["directed"]
    code, out, err = run(capsys, "convert", path, tmp_path / "m.graphml", "--from",
                         "matrix", "--directed")
    assert code == 0, err
    assert fentanet.read(tmp_path / "m.graphml").directed


def test_format_hint_names_the_cli_flag_on_the_cli(tmp_path, capsys):
    path = tmp_path / "q.xyz"
    path.write_text("hello world\nthis is not a network\n")
    code, _, err = run(capsys, "info", path)
    assert code == 2 and "pass --from one of: dl," in err
    with pytest.raises(InputError, match="pass format= one of"):
        fentanet.read(path)
    code, _, err = run(capsys, "info", path, "--format", "nope")
    assert code == 2 and "field '--from': cannot read format 'nope'" in err
