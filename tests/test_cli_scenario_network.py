"""A scenario whose network cannot be built or simulated is refused before any run: exit 2
with one line naming the file or field, no runs in the store, nothing in --out."""

from __future__ import annotations

import pytest

import fentanet
from fentanet.cli import main
from fentanet.errors import InputError


def _scenario(tmp_path, network: str) -> str:
    path = tmp_path / "sc.yaml"
    path.write_text(f"name: t\nyears: 0.1\nnetwork: {network}\n", encoding="utf-8")
    return str(path)


CASES = [
    ("{file: nothere.csv}", "nothere.csv"),                              # missing file
    ("{file: broken.csv}", "broken.csv:3"),                              # a row too short
    ("{file: untyped.csv}", "no lab"),                                   # case data, no kinds
    ("{generate: {actorz: 300}}", "network.generate.actorz"),           # misspelt spec field
    ("{generate: {actors: 5}}", "network.generate.actors"),             # out of range
]


@pytest.mark.parametrize("network, named", CASES)
@pytest.mark.parametrize("command", ["simulate", "compare"])
def test_a_bad_network_exits_2_before_any_run(tmp_path, capsys, network, named, command):
    (tmp_path / "broken.csv").write_text("source,target\na,b\nb\n", encoding="utf-8")
    (tmp_path / "untyped.csv").write_text("source,target\na,b\nb,c\n", encoding="utf-8")
    store, out = tmp_path / "store", tmp_path / "out"
    args = [command, _scenario(tmp_path, network), "--store", str(store), "--out", str(out),
            "--scheduler", "serial"]
    if command == "compare":
        args += ["--variant", "nal=naloxone:0.5"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and named in err and "Traceback" not in err
    assert not out.exists()
    assert not list(store.glob("**/*.parquet")) and not list(store.glob("**/*.json"))


def test_ensemble_refuses_a_bad_network_before_any_run(tmp_path):
    with pytest.raises(InputError, match=r"nothere\.csv"):
        fentanet.ensemble(_scenario(tmp_path, "{file: nothere.csv}"), runs=2,
                          scheduler="serial", store=tmp_path / "store", progress=False)
    assert not list((tmp_path / "store").glob("**/*.parquet"))
    # a sweep point that breaks the generator spec is refused too, naming the field
    with pytest.raises(InputError, match=r"network\.generate\.actors"):
        fentanet.ensemble("toy", runs=1, sweep={"network.generate.actors": [300, 5]},
                          scheduler="serial", store=tmp_path / "store", progress=False)


def test_simulate_names_the_generator_field(tmp_path):
    with pytest.raises(InputError, match=r"field 'network\.generate\.actorz'"):
        fentanet.simulate(_scenario(tmp_path, "{generate: {actorz: 300}}"))


def test_a_missing_capacity_takes_the_median_of_its_kind(tmp_path, capsys):
    # the actor table's capacity column came back read-only from pandas: filling a missing
    # lab capacity raised "assignment destination is read-only" (a traceback)
    import numpy as np

    from fentanet.simulate.state import KIND, build_state

    net = fentanet.generate({"actors": 300}, seed=7)
    labs = np.flatnonzero(net.actors["kind"].to_numpy() == "lab")
    actors = net.actors.copy()
    actors.loc[actors.index[labs[0]], "capacity"] = np.nan
    path = tmp_path / "net.csv"
    fentanet.write(fentanet.Network(actors, net.links, directed=True), path)
    read = fentanet.read(path)
    state = build_state(read)
    others = net.actors["capacity"].to_numpy()[labs[1:]]
    assert state.actors.kind[labs[0]] == KIND["lab"]
    assert state.actors.capacity[labs[0]] == np.median(others)
    sc = tmp_path / "sc.yaml"
    sc.write_text("name: t\nyears: 0.05\nnetwork: {file: net.csv}\n", encoding="utf-8")
    assert main(["simulate", str(sc), "--store", str(tmp_path / "s"),
                 "--scheduler", "serial"]) == 0, capsys.readouterr().err


def test_a_seed_beyond_the_generators_range_is_refused_before_any_run(tmp_path, capsys):
    # the runs failed, then the catalog could not store the seed: a traceback
    from fentanet.simulate.scenario import from_dict

    store = tmp_path / "s"
    assert main(["simulate", "toy", "--years", "0.1", "--seed", str(2**64), "--store",
                 str(store), "--scheduler", "serial"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "seed" in err and "Traceback" not in err
    assert not store.exists()
    with pytest.raises(InputError, match="seed"):
        fentanet.ensemble("toy", runs=2, seed=2**63 - 1, scheduler="serial",
                          store=tmp_path / "s2", progress=False)
    with pytest.raises(InputError, match="seed"):
        from_dict({"network": {"generate": {"actors": 300}}, "seed": 2**63})
