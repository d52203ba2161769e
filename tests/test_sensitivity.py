"""Sensitivity: tornado (one at a time, per-seed changes with intervals) against direct
runs, read back from the store; Latin hypercube strata; PRCC against an independent
formula; both on the full model (ensembles) and on the population surrogate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import fentanet
from ensemble_standin import StandInScenario, simulate
from fentanet.calibrate import (
    FentanylTransition,
    Parameter,
    PopulationModel,
    global_sensitivity,
    latin_hypercube,
    prcc,
    sobol,
    sobol_design,
    sobol_indices,
    tornado,
    tornado_table,
)
from fentanet.ensemble import Ensemble
from fentanet.errors import InputError
from fentanet.store import RunStore

RATE = "params.population.overdose_rate"


def small_model(population=(300_000.0,), **kw) -> PopulationModel:
    mk = pd.DataFrame({"uid": np.arange(len(population)) + 1, "population": population})
    return PopulationModel(mk, start_year=2013, years=11, dt=1 / 12,
                           transition=FentanylTransition(), **kw)


# --- PRCC and the Latin hypercube -------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1])
def test_prcc_equals_the_partial_correlation_of_ranks_from_the_precision_matrix(seed):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.random((200, 3)), columns=["a", "b", "c"])
    y = np.exp(3 * X.a) - 2 * X.b ** 3 + 0.05 * rng.standard_normal(200)
    got = prcc(X, y).set_index("parameter")
    # oracle: partial correlations of the ranks from the inverse of their correlation matrix
    ranks = np.column_stack([stats.rankdata(X[c]) for c in X] + [stats.rankdata(y)])
    P = np.linalg.inv(np.corrcoef(ranks, rowvar=False))
    for i, name in enumerate(X.columns):
        assert got.prcc[name] == pytest.approx(-P[i, 3] / np.sqrt(P[i, i] * P[3, 3]), abs=1e-12)
    # and the monotone effects are found: up, down, none
    assert got.prcc["a"] > 0.95 and got.prcc["b"] < -0.6 and abs(got.prcc["c"]) < 0.2
    assert got.p_value["a"] < 1e-10 and got.p_value["b"] < 1e-10 and got.p_value["c"] > 0.01
    assert (got.samples == 200).all()


def test_prcc_p_value_by_hand_and_too_few_samples():
    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.random((30, 2)), columns=["up", "none"])
    y = X.up + 0.5 * rng.standard_normal(30)
    t = prcc(X, y).set_index("parameter")
    r = t.prcc["up"]
    dof = 30 - 2 - 1
    assert t.p_value["up"] == pytest.approx(2 * stats.t.sf(abs(r) * np.sqrt(dof / (1 - r * r)),
                                                           dof))
    with pytest.raises(InputError, match="at least 5 samples"):
        prcc(X.iloc[:4], y[:4])


def test_latin_hypercube_hits_every_stratum_once():
    ranges = {"a": (0, 10), "b": (-1, 1), "c": (0.01, 1.0)}
    d = latin_hypercube(ranges, 25, seed=3)
    assert d.shape == (25, 3)
    for col in ("a", "b"):
        lo, hi = ranges[col]
        strata = np.floor((d[col] - lo) / (hi - lo) * 25).astype(int)
        assert sorted(strata) == list(range(25))
    # a positive range over a factor of 100: strata of equal width on the log scale
    strata = np.floor(np.log(d["c"] / 0.01) / np.log(100) * 25).astype(int)
    assert sorted(strata) == list(range(25))
    with pytest.raises(InputError, match="low < high"):
        latin_hypercube({"a": (1, 1)}, 5)
    with pytest.raises(InputError, match="at least 2"):
        latin_hypercube({"a": (0, 1)}, 1)


# --- tornado ----------------------------------------------------------------------------


def test_tornado_against_direct_runs_and_read_back_from_the_store(tmp_path):
    # the stand-in engine through fentanet.ensemble (model=): exact, and fast
    ranges = {"params.rate": (2.0, 8.0), "params.effect": (0.0, 1.0)}
    t = tornado(StandInScenario(), ranges, runs=4, seed=10, metric="deaths_total",
                scheduler="serial", store=tmp_path / "s", model=simulate)
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
    half = stats.t.ppf(0.975, 3) * (high - base).std(ddof=1) / 2
    assert row.change_high_ci_high == pytest.approx((high - base).mean() + half)
    assert row.seeds == 4 and row.base_value == 5.0
    assert row.elasticity == pytest.approx((high.mean() - low.mean()) / base.mean() / (6 / 5))
    # the same table from the stored ensemble, with the base values given
    eid = t.attrs["ensemble"]
    again = tornado_table(Ensemble.load(RunStore(tmp_path / "s"), eid), metric="deaths_total",
                          base={"params.rate": 5.0, "params.effect": 0.0})
    pd.testing.assert_frame_equal(again, t)
    assert again.attrs == {"ensemble": eid, "metric": "deaths_total"}
    with pytest.raises(InputError, match="not a one-at-a-time design"):
        e = fentanet.ensemble(StandInScenario(), runs=1, seed=1, scheduler="serial",
                              sweep=[{"params.rate": 1.0, "params.effect": 1.0}, {}],
                              store=tmp_path / "s", progress=False, model=simulate)
        tornado_table(e, metric="deaths_total")
    with pytest.raises(InputError, match="no summary metric 'nothing'"):
        tornado_table(Ensemble.load(RunStore(tmp_path / "s"), eid), metric="nothing")


def test_tornado_of_the_toy_holds_the_others_at_a_given_base(tmp_path):
    # the real engine: base elasticity 0.5 given by the user, the overdose rate varied
    params = [Parameter(RATE, 0.2, 0.3), Parameter("params.market.elasticity", 0.3, 0.9, 0.5)]
    t = tornado("toy", params, runs=2, years=0.25, metric="fatal_total", scheduler="serial",
                store=tmp_path / "s")
    sc = fentanet.scenarios.load("toy").override({"years": 0.25,
                                                   "params.market.elasticity": 0.5})

    def fatal(over, seed):
        return fentanet.simulate(sc.override(over), seed=seed).summary["fatal_total"]

    row = t.set_index("parameter").loc[RATE]
    base = np.array([fatal({}, s) for s in (1, 2)])
    high = np.array([fatal({RATE: 0.3}, s) for s in (1, 2)])
    assert row.base == pytest.approx(base.mean())
    assert row.change_high == pytest.approx((high - base).mean())
    assert row.base_value == pytest.approx(0.235)  # the population default
    assert t.set_index("parameter").loc["params.market.elasticity", "base_value"] == 0.5
    runs = RunStore(tmp_path / "s").runs(ensemble=t.attrs["ensemble"])
    assert len(runs) == 5 * 2  # base, two parameters at low and high, two seeds
    # read back from the store alone, base values and elasticities included: the given
    # base (0.5) and the default (0.235) come from the base runs' recorded setup
    again = tornado_table(Ensemble.load(RunStore(tmp_path / "s"), t.attrs["ensemble"]),
                          metric="fatal_total")
    pd.testing.assert_frame_equal(again, t)
    assert again.set_index("parameter").base_value.to_dict() == {
        RATE: pytest.approx(0.235), "params.market.elasticity": 0.5}


def test_tornado_on_the_surrogate_ranks_the_overdose_rate_first_with_elasticity_near_one():
    m = small_model()
    table = tornado(
        m,
        [
            Parameter(RATE, 0.2, 0.3),
            Parameter("params.population.relapse_rate", 0.2, 0.3),
            Parameter("fentanyl.width", 1.0, 2.0),
        ],
        metric="fatal_total",
        runs=2,
    )
    assert table.attrs == {"ensemble": None, "metric": "fatal_total"}
    assert table["parameter"].iloc[0] == RATE
    row = table.iloc[0]
    assert row["at_low"] < row["base"] < row["at_high"]
    assert row["change_low_ci_high"] < 0 < row["change_high_ci_low"]  # the same seeds
    # deaths are nearly proportional to the overdose rate (a few per cent less: more
    # deaths, fewer people using)
    assert 0.85 < row["elasticity"] < 1.02
    # by hand: the surrogate's fatal overdoses at each point, seeds 1 and 2
    hi = np.mean([m.run({RATE: 0.3}, s)["fatal"].sum() for s in (1, 2)])
    assert row["at_high"] == pytest.approx(hi)


# --- global: Latin hypercube with PRCC ---------------------------------------------------


def test_global_sensitivity_through_the_ensemble_matches_direct_runs(tmp_path):
    table, design = global_sensitivity(
        StandInScenario(), {"params.rate": (1.0, 10.0), "params.effect": (0.0, 2.0)},
        samples=16, runs=2, metric="deaths_total", scheduler="serial", store=tmp_path / "s",
        model=simulate)
    t = table.set_index("parameter")
    assert t.loc["params.rate", "prcc"] > 0.5 and t.loc["params.effect", "prcc"] < -0.5
    assert table.attrs["metric"] == "deaths_total" and table.attrs["ensemble"]
    for row in design.head(3).itertuples():
        over = {"params.rate": row[1], "params.effect": row[2]}
        want = np.mean([simulate(StandInScenario().override(over), s).summary["deaths_total"]
                        for s in (1, 2)])
        assert row.deaths_total == pytest.approx(want)
    assert len(RunStore(tmp_path / "s").runs(ensemble=table.attrs["ensemble"])) == 32


def test_latin_hypercube_finds_what_matters_in_the_surrogate():
    m = small_model(population=(100_000.0,))
    params = [
        Parameter(RATE, 0.15, 0.35),
        Parameter("params.population.p_witnessed", 0.4, 0.8),
        Parameter("params.population.relapse_rate", 0.2, 0.3),
    ]
    table, design = global_sensitivity(m, params, samples=24, runs=1, metric="fatal_total",
                                       design_seed=3)
    assert len(design) == 24 and "fatal_total" in design
    for p in params:
        bins = np.floor((design[p.name] - p.low) / (p.high - p.low) * 24).astype(int)
        assert sorted(bins) == list(range(24))
    t = table.set_index("parameter")
    assert t.loc[RATE, "prcc"] > 0.9 and t.loc[RATE, "p_value"] < 1e-6
    assert t.loc["params.population.p_witnessed", "prcc"] < -0.5  # more witnesses, fewer deaths
    with pytest.raises(InputError, match="no summary metric 'fatal'"):
        global_sensitivity(m, params, samples=5, metric="fatal")


class Linear:
    """A model computable by hand: fatal overdoses per step ``2a - 3b + seed`` over four
    steps, so ``fatal_total = 4 (2a - 3b + seed)``; the seed's term cancels between points
    run on the same seeds."""

    def __init__(self) -> None:
        self.base = {"a": 1.0, "b": 0.5, "unused": 0.0}

    def value(self, name: str) -> float:
        if name not in self.base:
            raise InputError(f"no parameter {name!r}", field=name)
        return self.base[name]

    def run(self, values, seed: int) -> pd.DataFrame:
        v = {**self.base, **values}
        return pd.DataFrame({"step": range(4), "time": np.arange(4) / 4,
                             "fatal": [2 * v["a"] - 3 * v["b"] + seed] * 4})


def test_tornado_and_prcc_of_a_model_computable_by_hand():
    t = tornado(Linear(), {"a": (0.0, 2.0), "b": (0.0, 1.0)}, metric="fatal_total",
                runs=2).set_index("parameter")
    assert list(t.index) == ["a", "b"]  # |swing| 16 before 12
    # base: 4 (2 - 1.5 + seed), mean over seeds 1 and 2 = 2 + 6
    assert t.loc["a", "base"] == 8.0
    assert t.loc["a", ["change_low", "change_high", "swing"]].tolist() == [-8.0, 8.0, 16.0]
    assert t.loc["b", ["change_low", "change_high", "swing"]].tolist() == [6.0, -6.0, -12.0]
    assert t.loc["a", "at_low"] == 0.0 and t.loc["b", "at_high"] == 2.0
    # common seeds: every per-seed change is the same, the interval has no width
    assert t.loc["a", "change_high_ci_low"] == t.loc["a", "change_high_ci_high"] == 8.0
    # elasticity: (16 / 8) / (2 / 1) and (-12 / 8) / (1 / 0.5)
    assert t.loc["a", "elasticity"] == 1.0 and t.loc["b", "elasticity"] == -0.75
    table, design = global_sensitivity(Linear(), {"a": (0.0, 2.0), "b": (0.0, 1.0)},
                                       samples=20, runs=1, metric="fatal_total")
    assert design.fatal_total.to_numpy() == pytest.approx(4 * (2 * design.a - 3 * design.b + 1))
    p = table.set_index("parameter").prcc
    assert p["a"] > 0.9 and p["b"] < -0.9
    with pytest.raises(InputError, match="no parameter 'c'"):
        global_sensitivity(Linear(), {"c": (0.0, 1.0)}, samples=5, metric="fatal_total")


# --- Sobol' indices ----------------------------------------------------------------------


def ishigami(x: np.ndarray) -> np.ndarray:
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_indices_of_the_ishigami_function():
    """The Ishigami function (a = 7, b = 0.1) on [-pi, pi]^3 has known indices: first order
    0.3139, 0.4424, 0 and total 0.5576, 0.4424, 0.2437 (Saltelli et al., Global
    Sensitivity Analysis: The Primer, 2008); the estimates equal scipy's."""
    ranges = {f"x{i}": (-np.pi, np.pi) for i in (1, 2, 3)}
    design = sobol_design(ranges, 4096, seed=1)
    y = ishigami(design[list(ranges)].to_numpy())
    t = sobol_indices(design, y, seed=3).set_index("parameter")
    first, total = [0.3139, 0.4424, 0.0], [0.5576, 0.4424, 0.2437]
    assert t.first_order.to_numpy() == pytest.approx(first, abs=0.02)
    assert t.total_order.to_numpy() == pytest.approx(total, abs=0.02)
    assert (t.first_low.to_numpy() < first).all() and (t.first_high.to_numpy() > first).all()
    assert (t.total_low.to_numpy() < total).all() and (t.total_high.to_numpy() > total).all()
    f = {b: y[(design.block == b).to_numpy()] for b in ("A", "B", *ranges)}
    oracle = stats.sobol_indices(func={"f_A": f["A"][None], "f_B": f["B"][None],
                                       "f_AB": np.stack([f[k] for k in ranges])[:, None]},
                                 n=4096)
    assert t.first_order.to_numpy() == pytest.approx(oracle.first_order, abs=1e-12)
    assert t.total_order.to_numpy() == pytest.approx(oracle.total_order, abs=1e-12)
    # reproducible: the bootstrap is seeded; rows in any order give the same table
    shuffled = design.sample(frac=1.0, random_state=0)
    again = sobol_indices(shuffled, y[shuffled.index.to_numpy()], seed=3)
    pd.testing.assert_frame_equal(again.set_index("parameter"), t)


def test_sobol_indices_leave_out_the_rows_of_failed_runs():
    """A failed run (NaN outcome) leaves its row out of every block: the indices are those
    of the complete rows, the estimators written out on them (before, one NaN made every
    index NaN)."""
    ranges = {f"x{i}": (-np.pi, np.pi) for i in (1, 2, 3)}
    design = sobol_design(ranges, 256, seed=1)
    y = ishigami(design[list(ranges)].to_numpy())
    y[((design.block == "x2") & (design.row == 5)).to_numpy()] = np.nan
    y[((design.block == "B") & (design.row == 9)).to_numpy()] = np.nan
    t = sobol_indices(design, y, seed=3, resamples=199)
    keep = ~design.row.isin([5, 9]).to_numpy()
    f = {b: y[keep & (design.block == b).to_numpy()] for b in ("A", "B", *ranges)}
    centre = np.mean(np.concatenate([f["A"], f["B"]]))  # as scipy.stats.sobol_indices
    f = {b: v - centre for b, v in f.items()}
    var = np.var(np.concatenate([f["A"], f["B"]]))
    first = [np.mean(f["B"] * (f[k] - f["A"])) / var for k in ranges]  # Saltelli 2010
    total = [0.5 * np.mean((f["A"] - f[k]) ** 2) / var for k in ranges]  # Jansen 1999
    assert t.first_order.to_numpy() == pytest.approx(first, abs=1e-12)
    assert t.total_order.to_numpy() == pytest.approx(total, abs=1e-12)
    assert set(t.samples) == {254} and t.first_low.notna().all()
    assert sobol_indices(design, np.full(len(y), np.nan)).first_order.isna().all()


def test_sobol_design_swaps_one_column_per_block():
    ranges = {"a": (0.0, 2.0), "b": (0.01, 1.0)}
    d = sobol_design(ranges, 8, seed=4)
    assert len(d) == 8 * 4 and list(d.columns) == ["block", "row", "a", "b"]
    A, B = (d[d.block == k].set_index("row") for k in ("A", "B"))
    for name, other in (("a", "b"), ("b", "a")):
        ab = d[d.block == name].set_index("row")
        assert ab[name].equals(B[name]) and ab[other].equals(A[other])
    assert d.a.between(0, 2).all() and d.b.between(0.01, 1).all()
    # a positive range over a factor of 100 is drawn log-uniformly: half the points lie
    # below the geometric midpoint 0.1, not the arithmetic one (0.505)
    b = pd.concat([A.b, B.b])
    assert (b < 0.1).sum() == 8 and (b < 0.505).sum() > 12
    for bad in (6, 2, 50):
        with pytest.raises(InputError, match="power of 2"):
            sobol_design(ranges, bad)


def test_sobol_of_a_model_computable_by_hand():
    """fatal_total = 4 (2a - 3b + seed) with a on [0, 2] and b on [0, 1]: the variances of
    8a and 12b are 64/3 and 12, so a explains 0.64 and b 0.36 (no interactions: first
    order = total); a parameter the model ignores has indices exactly 0, intervals too."""
    table, design = sobol(Linear(), {"a": (0.0, 2.0), "b": (0.0, 1.0), "unused": (0.0, 1.0)},
                          samples=256, runs=1, metric="fatal_total")
    assert len(design) == 256 * 5
    assert design.fatal_total.to_numpy() == pytest.approx(4 * (2 * design.a - 3 * design.b + 1))
    t = table.set_index("parameter")
    assert list(t.index) == ["a", "b", "unused"]  # largest total index first
    assert t.first_order["a"] == pytest.approx(0.64, abs=0.05)
    assert t.total_order["a"] == pytest.approx(0.64, abs=0.05)
    assert t.first_order["b"] == pytest.approx(0.36, abs=0.05)
    assert t.total_order["b"] == pytest.approx(0.36, abs=0.05)
    assert t.loc["unused", ["first_order", "first_low", "first_high", "total_order",
                            "total_low", "total_high"]].tolist() == [0.0] * 6
    assert table.attrs == {"ensemble": None, "metric": "fatal_total"}


def test_sobol_through_the_ensemble_matches_direct_runs(tmp_path):
    table, design = sobol(
        StandInScenario(), {"params.rate": (1.0, 10.0), "params.effect": (0.0, 2.0)},
        samples=8, runs=2, metric="deaths_total", scheduler="serial", store=tmp_path / "s",
        model=simulate)
    assert table.attrs["ensemble"] and set(table.parameter) == {"params.rate", "params.effect"}
    for row in design.head(3).itertuples():
        over = {"params.rate": row[3], "params.effect": row[4]}
        want = np.mean([simulate(StandInScenario().override(over), s).summary["deaths_total"]
                        for s in (1, 2)])
        assert row.deaths_total == pytest.approx(want)
    assert len(RunStore(tmp_path / "s").runs(ensemble=table.attrs["ensemble"])) == 8 * 4 * 2


def test_whole_number_fields_take_whole_numbers_in_the_designs(tmp_path):
    """A whole-number field (network.generate.actors) is drawn on [low, high + 1) and rounded
    down in the hypercube and the Sobol' design, each value as likely, as the ensembles'
    uncertain parameters are; before, 312.7 actors made every run of the design fail."""
    whole = ["n"]
    d = latin_hypercube({"n": (1, 4), "x": (0.0, 1.0)}, 400, seed=2, whole=whole)
    assert d.n.dtype.kind == "i" and sorted(d.n.unique()) == [1, 2, 3, 4]
    assert d.n.value_counts().to_dict() == {1: 100, 2: 100, 3: 100, 4: 100}  # strata
    assert d.x.dtype.kind == "f"
    s = sobol_design({"n": (10, 13), "x": (0.0, 1.0)}, 64, seed=1, whole=whole)
    assert s.n.dtype.kind == "i" and set(s.n) <= {10, 11, 12, 13}
    table, design = global_sensitivity(
        "toy", {"network.generate.actors": (250, 400)}, samples=4, runs=1, years=0.1,
        metric="supply_kg_total", scheduler="serial", store=tmp_path / "s")
    assert design["network.generate.actors"].between(250, 400).all()
    assert design["network.generate.actors"].dtype.kind == "i"
    runs = RunStore(tmp_path / "s").runs(ensemble=table.attrs["ensemble"])
    assert set(runs.status) == {"done"} and len(runs) == 4
    assert all(isinstance(p["network.generate.actors"], int) for p in runs.params)


def test_the_warnings_of_a_design_name_its_points(tmp_path):
    """Each point of a design that warns is named by its parameters' values, not only as
    'baseline, seed 1' (review s15, F6.8: nine points drawing the horizon gave nine
    'baseline, seed 1: the step ... does not divide the horizon' of different points)."""
    with pytest.warns(fentanet.errors.RunWarning) as said:
        _, design = global_sensitivity(
            "toy", {"params.market.elasticity": (0.3, 0.9), "years": (0.1, 0.2)}, samples=5,
            runs=1, metric="supply_kg_total", scheduler="serial", store=tmp_path / "s")
    texts = [str(w.message) for w in said if w.category is fentanet.errors.RunWarning]
    want = [(f"baseline at elasticity={e:.4g}, years={y:.4g}, seed 1: ",
             f"does not divide the horizon of {y:g} years")
            for e, y in zip(design["params.market.elasticity"], design.years, strict=True)]
    assert len(texts) == 5 and len({y for _, y in want}) == 5
    for text, (who, horizon) in zip(texts, want, strict=True):
        assert text.startswith(who) and horizon in text, text


def test_a_design_point_drawn_twice_runs_once(tmp_path):
    """A whole-number parameter over a short range draws points twice; each point runs once
    (an ensemble refuses a point given twice since the eighteenth session) and every row of
    the design gets its point's outcome."""
    _, design = global_sensitivity(
        "toy", {"network.generate.actors": (300, 301)}, samples=6, runs=1, years=3 / 52,
        metric="supply_kg_total", scheduler="serial", store=tmp_path / "s")
    points = design["network.generate.actors"]
    assert len(points) == 6 and set(points) == {300, 301}
    runs = RunStore(tmp_path / "s").runs()
    assert sorted(p["network.generate.actors"] for p in runs.params) == [300, 301]
    by_point = {p["network.generate.actors"]: r for p, r in zip(runs.params, runs.run_id,
                                                                strict=True)}
    summary = RunStore(tmp_path / "s").summary().set_index("run_id")["supply_kg_total"]
    assert design.supply_kg_total.tolist() == [summary[by_point[n]] for n in points]


# --- the outcome's name, checked before any run ----------------------------------------


@pytest.mark.parametrize("argv", [
    [], ["--method", "lhs", "--samples", "4"], ["--method", "sobol", "--samples", "4"]])
def test_an_unknown_metric_is_refused_before_any_run(capsys, tmp_path, argv):
    """--metric deaths (for deaths_total) made and stored every run of the design, then
    said 'no summary metric'."""
    from fentanet.cli import main

    store = tmp_path / "s"
    code = main(["sensitivity", "toy", "-p", f"{RATE}=0.2:0.6", *argv, "--metric", "deaths",
                 "--runs", "2", "--years", "0.25", "--scheduler", "serial",
                 "--store", str(store)])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err
    assert lines[0].startswith("error: field 'metric': no summary metric 'deaths' (did you "
                               "mean 'deaths_total'?); a run reports: ")
    assert "synthetic_fatal_total" in lines[0] and "people_using_end" in lines[0]
    assert not store.exists()  # no run made, none stored


def test_the_metrics_checked_are_those_a_run_reports(tmp_path):
    from fentanet.calibrate.models import build_model, summarise
    from fentanet.calibrate.sensitivity import run_metrics

    m = build_model("toy", years=0.25)
    ens = m.ensemble([{}], 1, scheduler="serial", store=tmp_path / "s", progress=False)
    stored = [c for c in ens.summary().columns if c not in
              ("run_id", "ensemble_id", "scenario", "variant", "seed")]
    assert sorted(run_metrics(m)) == sorted(stored)
    pop = small_model()
    assert sorted(run_metrics(pop)) == sorted(summarise(pop.run({}, 1)))
    assert run_metrics(build_model("toy", simulate)) is None  # a model of the caller's
    with pytest.raises(InputError, match="field 'metric': no summary metric 'fatal' \\(did "
                                         "you mean 'fatal_total'"):
        tornado(pop, {RATE: (0.2, 0.3)}, metric="fatal", runs=1)
