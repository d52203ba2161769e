"""``fentanet.read`` takes the shared dataset names the command line takes, by one rule
(``fentanet.network.datasets.resolve``): an existing path wins, then a dataset name, else
a missing file named in the error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import fentanet
from fentanet.errors import InputError
from fentanet.network import datasets as named


def _same_network(a, b) -> None:
    assert a.actors["id"].tolist() == b.actors["id"].tolist()
    np.testing.assert_array_equal(a.source_index, b.source_index)
    np.testing.assert_array_equal(a.target_index, b.target_index)
    assert a.links.columns.tolist() == b.links.columns.tolist()
    for c in a.links.columns:
        assert a.links[c].tolist() == b.links[c].tolist(), c


def test_read_takes_a_dataset_name_as_its_file(shared_data):
    by_name = fentanet.read("caviar")
    by_path = fentanet.read(shared_data / "networks/caviar/morselli_caviar.csv")
    _same_network(by_name, by_path)
    assert (by_name.n_actors, by_name.n_links) == (110, 295)  # SOURCE.md
    assert by_name.name == "caviar" and by_path.name == "morselli_caviar"
    # a folder dataset too, and the same network as fentanet.datasets.load
    phases = fentanet.read("caviar_phases")
    assert phases.name == "caviar_phases" and phases.phases == list(range(1, 12))
    _same_network(phases, fentanet.datasets.load("caviar_phases"))


def test_an_existing_path_wins_over_a_dataset_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "caviar").write_text("source,target\na,b\nb,c\n")
    net = fentanet.read("caviar")
    assert net.n_actors == 3 and net.n_links == 2 and net.name == "caviar"
    assert named.resolve("caviar") == (Path("caviar"), None)


def test_an_unknown_name_is_a_missing_file_named_in_the_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as info:
        fentanet.read("cavair")
    assert info.value.file is not None and str(info.value.file) == "cavair"
    assert "no such file (nor a dataset name: caviar," in str(info.value)
    # a path-like name gets no list of dataset names
    with pytest.raises(InputError, match=r"no such file$") as info:
        fentanet.read(tmp_path / "links.csv")
    assert str(info.value.file) == str(tmp_path / "links.csv")


def test_a_dataset_name_without_the_data_folder_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(named, "data_dir", lambda: None)
    with pytest.raises(InputError) as info:
        fentanet.read("caviar")
    assert info.value.field == "dataset"
    assert "dataset 'caviar': the shared data folder is missing" in str(info.value)
    # the command line says the same (exit 2, no traceback)
    from fentanet.cli import main

    assert main(["info", "caviar"]) == 2


def test_a_path_the_system_cannot_take_is_an_input_error():
    with pytest.raises(InputError, match="cannot use this path"):
        fentanet.read("x" * 5000)
