"""Phases: measures per phase, Kendall's τ between phases, and CAVIAR's story."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import fentanet
from fentanet import InputError, Network
from fentanet.analysis import centrality, phase_measures, rank_dynamics
from fentanet.analysis.summary import analyze
from fentanet.analysis.temporal import links_without_phase


def tau_b(x, y) -> float:
    """Kendall's τ-b by enumerating pairs: (C - D) / sqrt((P - Tx)(P - Ty))."""
    c = d = tx = ty = 0
    pairs = 0
    for i, j in itertools.combinations(range(len(x)), 2):
        pairs += 1
        dx, dy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
        if dx == 0:
            tx += 1
        if dy == 0:
            ty += 1
        if dx * dy > 0:
            c += 1
        elif dx * dy < 0:
            d += 1
    return (c - d) / np.sqrt((pairs - tx) * (pairs - ty))


def three_phases() -> Network:
    # phase 1: a is a hub over b, c, d; phase 2: a-b, b-c, b-d: b is the hub;
    # phase 3: e joins, d leaves: c-e, a-c, b-c
    links = pd.DataFrame({
        "source": ["a", "a", "a", "a", "b", "b", "c", "a", "b"],
        "target": ["b", "c", "d", "b", "c", "d", "e", "c", "c"],
        "phase": [1, 1, 1, 2, 2, 2, 3, 3, 3],
    })
    return Network(links=links, directed=False)


def test_measures_per_phase_by_hand():
    pm = phase_measures(three_phases(), ["degree", "betweenness"])
    deg = pm.wide("degree")
    assert list(deg.columns) == [1, 2, 3]
    assert deg.loc["a"].tolist() == [1.0, 1 / 3, 1 / 3]
    assert deg.loc["c", 3] == 1.0
    assert np.isnan(deg.loc["e", 1]) and deg.loc["e", 3] == pytest.approx(1 / 3)
    assert np.isnan(deg.loc["d", 3])
    ranks = pm.wide("betweenness", "rank")
    assert ranks[2].dropna().to_dict() == {"a": 2.0, "b": 1.0, "c": 2.0, "d": 2.0}
    assert set(pm.actors.columns) == {"phase", "actor", "measure", "value", "rank"}
    assert len(pm.actors) == 2 * (4 + 4 + 4)
    assert pm.network.loc[1, "degree_centralization"] == pytest.approx(1.0)
    assert pm.network["actors"].tolist() == [4, 4, 4]
    # the values are those of the phase's own network
    sub = three_phases().at_phase(3)
    np.testing.assert_allclose(pm.wide("degree")[3].dropna().sort_index().to_numpy(),
                               centrality(sub, "degree").sort_index().to_numpy())


def test_kendall_tau_between_phases_by_hand():
    net = three_phases()
    dyn = rank_dynamics(net, "degree", top=1)
    deg = phase_measures(net, ["degree"]).wide("degree")
    for row in dyn.tau.itertuples():
        x, y = deg[row.phase_from], deg[row.phase_to]
        seen = x.notna() | y.notna()
        assert row.actors == seen.sum()
        assert row.tau == pytest.approx(tau_b(x[seen].fillna(0).to_numpy(),
                                              y[seen].fillna(0).to_numpy()))
    # top 1 of some phase: a (phase 1), b (phase 2), c (phase 3)
    assert set(dyn.ranks.index) == {"a", "b", "c"}
    drop = rank_dynamics(net, "degree", absent="drop")
    assert drop.tau["actors"].tolist() == [4, 3]


def test_caviar_n1_central_throughout_and_n12_rising(shared_data):
    from fentanet.datasets import load

    net = load("caviar_phases")
    pm = phase_measures(net, ["degree", "betweenness"], directed=False)
    deg, btw = pm.wide("degree", "rank"), pm.wide("betweenness", "rank")
    # Morselli & Petit (2007), Morselli (2009): N1, the coordinator of the hashish
    # importations, is the most central participant throughout the investigation ...
    assert (deg.loc["1"] <= 3).all() and (btw.loc["1"] <= 3).all()
    assert (deg.loc["1"] == 1).sum() >= 9
    # ... while N12, the cocaine coordinator, rises: marginal or absent in the first
    # phases, among the top three from phase 5, the most central by degree at the end
    early, late = [1, 2, 3, 4], [8, 9, 10, 11]
    assert deg.loc["12", early].isna().iloc[0] and (deg.loc["12", early[1:]] > 10).all()
    assert (deg.loc["12", [5, 6, 7, 8, 9]] <= 3).all()
    assert deg.loc["12", 11] == 1
    values = pm.wide("degree")
    assert values.loc["12", late].mean() > 4 * values.loc["12", early].fillna(0).mean()
    # the network decentralises as seizures go on: betweenness centralisation falls
    central = pm.network["betweenness_centralization"]
    assert central.loc[[1, 2, 3, 4, 5]].mean() > central.loc[[6, 7, 8, 9, 10, 11]].mean() + 0.2
    # ranks stay related from one phase to the next, more in the first half
    dyn = rank_dynamics(net, "degree", directed=False)
    assert len(dyn.tau) == 10 and (dyn.tau["tau"] > 0).all()
    assert dyn.ranks.index[0] == "1" and "12" in dyn.ranks.index


def test_bad_requests():
    net = three_phases()
    with pytest.raises(InputError, match="has no phases"):
        phase_measures(Network(links=pd.DataFrame({"source": ["a"], "target": ["b"]})))
    with pytest.raises(InputError, match=r"no phase\(s\) \[7\]"):
        phase_measures(net, phases=[1, 7])
    with pytest.raises(InputError, match="unknown centrality measure"):
        phase_measures(net, ["fame"])
    with pytest.raises(InputError, match="top must be"):
        rank_dynamics(net, top=0)
    with pytest.raises(InputError, match="absent"):
        rank_dynamics(net, absent="skip")
    with pytest.raises(InputError, match="was not computed"):
        phase_measures(net, ["degree"]).wide("betweenness")


@pytest.mark.parametrize("phases", [["1", "2", "", "2"], ["early", "late", "", "late"]],
                         ids=["integer", "text"])
def test_a_link_without_a_phase_is_in_no_phase(tmp_path, phases):
    # a-b in the first phase, b-c and d-a in the second, c-d in none: an empty cell of an
    # integer column reads as <NA> (Int64), which crashed at_phase and analyze
    path = tmp_path / "ph.csv"
    path.write_text("source,target,phase\n" + "".join(
        f"{s},{t},{p}\n" for s, t, p in zip("abcd", "bcda", phases, strict=True)))
    net = fentanet.read(path)
    first, second = net.phases
    assert str(first) == phases[0] and str(second) == phases[1]
    assert net.n_links == 4 and links_without_phase(net) == 1
    p2 = net.at_phase(second)
    assert sorted(p2.ids) == ["a", "b", "c", "d"] and p2.n_links == 2
    assert sorted(zip(p2.links["source"], p2.links["target"], strict=True)) == [
        ("b", "c"), ("d", "a")]
    assert net.at_phase(first).n_links == 1
    table = phase_measures(net, ["degree"]).network
    assert table["links"].tolist() == [1, 2] and table["actors"].tolist() == [2, 4]
    report = analyze(net, k=1, steps=1, strategies=("degree",))
    assert report.network["links"] == 4            # the whole network keeps it
    assert report.phases.network["links"].sum() == 3
    assert "1 link without a phase: counted in the whole network, in no phase" in report.notes
