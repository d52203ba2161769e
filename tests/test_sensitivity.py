"""Sensitivity: tornado (one at a time) and Latin hypercube with PRCC."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ensemble_standin import StandInScenario, simulate
from fentanet.ensemble.sensitivity import global_sensitivity, latin_hypercube, prcc, tornado
from fentanet.errors import InputError


def test_prcc_equals_the_partial_correlation_of_ranks_from_the_precision_matrix():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.random((80, 3)), columns=["a", "b", "c"])
    y = np.exp(2 * X.a) - X.b ** 3 + 0.3 * rng.standard_normal(80)
    got = prcc(X, y).set_index("parameter").prcc
    ranks = np.column_stack([stats.rankdata(X[c]) for c in X] + [stats.rankdata(y)])
    P = np.linalg.inv(np.corrcoef(ranks, rowvar=False))
    for i, name in enumerate(X.columns):
        assert got[name] == pytest.approx(-P[i, 3] / np.sqrt(P[i, i] * P[3, 3]), abs=1e-12)


def test_prcc_finds_the_monotone_effects():
    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.random((200, 3)), columns=["up", "down", "none"])
    y = 3 * X.up - X.down + 0.1 * rng.standard_normal(200)
    t = prcc(X, y).set_index("parameter")
    assert t.loc["up", "prcc"] > 0.95 and t.loc["down", "prcc"] < -0.8
    assert abs(t.loc["none", "prcc"]) < 0.2 and t.loc["none", "p_value"] > 0.01
    assert t.loc["up", "p_value"] < 1e-10
    with pytest.raises(InputError, match="at least 6 samples"):
        prcc(X.iloc[:5], y[:5])


def test_latin_hypercube_hits_every_stratum_once():
    d = latin_hypercube({"a": (0, 10), "b": (-1, 1)}, 25, seed=3)
    assert d.shape == (25, 2)
    for col, (lo, hi) in {"a": (0, 10), "b": (-1, 1)}.items():
        strata = np.floor((d[col] - lo) / (hi - lo) * 25).astype(int)
        assert sorted(strata) == list(range(25))
    with pytest.raises(InputError, match="low must be below high"):
        latin_hypercube({"a": (1, 1)}, 5)


def test_tornado_against_direct_runs(tmp_path):
    ranges = {"params.rate": (2.0, 8.0), "params.effect": (0.0, 1.0)}
    t = tornado(StandInScenario(), ranges, runs=4, seed=10, metric="deaths_total",
                scheduler="serial", store=tmp_path / "s", progress=False, model=simulate)
    assert list(t.parameter) == ["params.rate", "params.effect"]  # larger swing first

    def deaths(over, seed):
        return simulate(StandInScenario().override(over), seed).summary["deaths_total"]

    seeds = [10, 11, 12, 13]
    base = np.array([deaths({}, s) for s in seeds])
    row = t.set_index("parameter").loc["params.rate"]
    low = np.array([deaths({"params.rate": 2.0}, s) for s in seeds])
    high = np.array([deaths({"params.rate": 8.0}, s) for s in seeds])
    assert row.base == pytest.approx(base.mean())
    assert row.change_low == pytest.approx((low - base).mean())
    assert row.change_high == pytest.approx((high - base).mean())
    assert row.swing == pytest.approx((high - low).mean())
    assert row.change_low_ci_low <= row.change_low <= row.change_low_ci_high
    assert row.seeds == 4


def test_global_sensitivity_of_the_stand_in(tmp_path):
    table, design = global_sensitivity(
        StandInScenario(), {"params.rate": (1.0, 10.0), "params.effect": (0.0, 2.0)},
        samples=16, runs=2, metric="deaths_total", scheduler="serial", store=tmp_path / "s",
        progress=False, model=simulate)
    t = table.set_index("parameter")
    assert t.loc["params.rate", "prcc"] > 0.5 and t.loc["params.effect", "prcc"] < -0.5
    for row in design.head(3).itertuples():
        over = {"params.rate": row[1], "params.effect": row[2]}
        want = np.mean([simulate(StandInScenario().override(over), s).summary["deaths_total"]
                        for s in (1, 2)])
        assert row.deaths_total == pytest.approx(want)
