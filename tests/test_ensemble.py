"""Ensembles: plans with common random numbers, serial and Dask runs giving the same
results, failures and interruptions keeping the finished runs, paired comparisons."""

from __future__ import annotations

import json
import signal
import warnings
import zlib

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import fentanet
from ensemble_standin import StandInScenario, simulate
from fentanet.build import build, recorded_version
from fentanet.ensemble import (
    Ensemble,
    EnsembleInterrupted,
    Variant,
    compare_table,
    ensemble,
    mean_interval,
    paired,
    ratio_interval,
    series_quantiles,
    sweep_points,
    variants_from,
)
from fentanet.ensemble import runner as runner_mod
from fentanet.ensemble.plan import draw_uncertain, plan, uncertain_ranges
from fentanet.errors import InputError, RunWarning
from fentanet.store import RunStore

NALOXONE = {"naloxone": [{"kind": "naloxone", "intensity": 0.5}]}


@pytest.fixture(scope="module")
def client():
    """One real local Dask cluster with 2 worker processes for this module."""
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=":0")
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


def run(store, **kw):
    kw.setdefault("scheduler", "serial")
    return ensemble(StandInScenario(), store=store, progress=False, model=simulate, **kw)


def by_variant_seed(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=["run_id", "ensemble_id"], errors="ignore").sort_values(
        ["variant", "seed"]).reset_index(drop=True)


# ------------------------------------------------------------------ plans


def test_variants_and_sweep_points():
    vs = variants_from({"raids": [{"kind": "lab_raids"}], "cheap": {"params.rate": 2}})
    assert [v.name for v in vs] == ["baseline", "raids", "cheap"]
    assert vs[0].interventions == () and vs[1].interventions == ({"kind": "lab_raids"},)
    # overrides only: no extra interventions, so a strategy of that name is not added
    assert vs[2].overrides == {"params.rate": 2} and vs[2].interventions == ()
    assert [v.name for v in variants_from(["strict", "baseline"])] == ["baseline", "strict"]
    assert variants_from(["strict"])[1] == Variant("strict", None)
    with pytest.raises(InputError, match="unique"):
        variants_from([Variant("a"), Variant("a")])
    assert sweep_points({"a": [1, 2], "b": [10, 20, 30]}) == [
        {"a": a, "b": b} for a in (1, 2) for b in (10, 20, 30)]
    assert sweep_points({"a": 5}) == [{"a": 5}]
    assert sweep_points(None) == [{}]
    with pytest.raises(InputError, match="at least one value"):
        sweep_points({"a": []})


def test_plan_uses_common_seeds_seed_major():
    tasks = plan(3, variants_from(NALOXONE), sweep_points({"rate": [1, 2]}), 40, "e1")
    assert len(tasks) == 3 * 2 * 2
    assert [t.seed for t in tasks[:4]] == [40] * 4  # every variant and point of seed 40 first
    for v in ("baseline", "naloxone"):
        for rate in (1, 2):
            seeds = [t.seed for t in tasks if t.variant.name == v and t.point["rate"] == rate]
            assert seeds == [40, 41, 42]
    assert len({t.run_id for t in tasks}) == len(tasks)
    with pytest.raises(InputError, match="runs must be at least 1"):
        plan(0, variants_from(None), [{}], 1, "e")


# ------------------------------------------------------------------ serial runs


def test_serial_ensemble_matches_direct_runs(tmp_path):
    ens = run(tmp_path / "s", runs=4, variants=NALOXONE, seed=10)
    assert ens.variants == ["baseline", "naloxone"] and ens.seeds == [10, 11, 12, 13]
    summary = by_variant_seed(ens.summary())
    assert len(summary) == 8 and set(summary.scenario) == {"standin"}
    for row in summary.itertuples():
        iv = NALOXONE["naloxone"] if row.variant == "naloxone" else []
        direct = simulate(StandInScenario(), row.seed, variant=row.variant, interventions=iv)
        assert row.deaths_total == direct.summary["deaths_total"]
        assert row.supply_kg_total == direct.summary["supply_kg_total"]
    series = ens.series("naloxone")
    one = series[series.seed == 12].drop(columns=["run_id", "variant", "seed"])
    pd.testing.assert_frame_equal(one.reset_index(drop=True),
                                  simulate(StandInScenario(), 12,
                                           interventions=NALOXONE["naloxone"]).series)
    runs = ens.runs()
    assert set(runs.digest) == {StandInScenario().digest()}
    assert set(runs.fentanet_version) == {f"{fentanet.__version__} (build {build()})"}
    assert set(runs.numpy_version) == {np.__version__}


def test_sweep_records_parameters_and_pairs_within_points(tmp_path):
    ens = run(tmp_path / "s", runs=3, sweep={"params.rate": [2.0, 8.0]}, variants=NALOXONE)
    assert ens.sweep == ["params.rate"]
    s = ens.summary()
    assert sorted(s["params.rate"].unique()) == [2.0, 8.0]
    assert len(s) == 3 * 2 * 2
    for row in s.itertuples():
        iv = NALOXONE["naloxone"] if row.variant == "naloxone" else []
        sc = StandInScenario().override({"params.rate": row._6})
        assert row.deaths_total == simulate(sc, row.seed,
                                            interventions=iv).summary["deaths_total"]
    table = ens.compare()
    assert sorted(table["params.rate"].unique()) == [2.0, 8.0]
    assert set(table.seeds) == {3}
    q = ens.quantiles(["deaths"])
    assert set(q["params.rate"]) == {2.0, 8.0} and set(q.runs) == {3}


def test_variants_by_overrides_pair_with_the_baseline(tmp_path):
    ens = run(tmp_path / "s", runs=3, variants={"cheap": {"params.rate": 2.0}},
              sweep={"params.effect": [0.0, 0.5]})
    assert ens.sweep == ["params.effect"]
    table = ens.compare().set_index(["params.effect", "outcome"])
    assert set(table.seeds) == {3}
    for effect in (0.0, 0.5):
        want = []
        for seed in (1, 2, 3):
            base = StandInScenario().override({"params.effect": effect})
            cheap = base.override({"params.rate": 2.0})
            want.append(simulate(base, seed).summary["deaths_total"]
                        - simulate(cheap, seed).summary["deaths_total"])
        assert table.loc[(effect, "deaths averted"), "mean"] == pytest.approx(np.mean(want))
    again = Ensemble.load(ens.store, ens.id)
    assert again.sweep == ["params.effect"]
    pd.testing.assert_frame_equal(again.compare(), ens.compare())


def test_uncertain_draws_are_keyed_by_seed_and_name():
    """Each seed draws each uncertain parameter from its own stream: reproducible, the same
    whatever other parameters are drawn, uniform on its range (log-uniform over a factor
    of 10 or more)."""
    ranges = {"a": (0.2, 0.3), "b": (0.01, 1.0)}
    one = draw_uncertain(ranges, 7)
    assert one == draw_uncertain(ranges, 7) and one != draw_uncertain(ranges, 8)
    assert draw_uncertain({"a": (0.2, 0.3)}, 7)["a"] == one["a"]
    draws = pd.DataFrame([draw_uncertain(ranges, s) for s in range(2000)])
    assert draws.a.between(0.2, 0.3).all() and draws.b.between(0.01, 1.0).all()
    assert stats.kstest((draws.a - 0.2) / 0.1, "uniform").pvalue > 1e-3
    assert stats.kstest(np.log(draws.b / 0.01) / np.log(100), "uniform").pvalue > 1e-3
    for bad, says in (({"a": (0.3, 0.2)}, "low < high"), ({"a": 0.3}, "(low, high)"),
                      ({"a": (0, float("nan"))}, "finite")):
        with pytest.raises(InputError, match=says):
            uncertain_ranges(bad)


def test_whole_number_parameters_are_drawn_as_whole_numbers():
    """A whole-number parameter draws each of low .. high equally often (log-uniform over a
    factor of 10: k in proportion to log((k + 1) / k)), as an int, from the same stream."""
    draws = pd.DataFrame([draw_uncertain({"n": (3, 6), "m": (1, 10)}, s, whole=["n", "m"])
                          for s in range(4000)])
    assert {type(v) for v in draws.n} == {int} and set(draws.n) == {3, 4, 5, 6}
    counts = draws.n.value_counts().sort_index().to_numpy()
    assert stats.chisquare(counts).pvalue > 1e-3  # 3, 4, 5, 6 equally likely
    want = np.log(np.arange(2, 12) / np.arange(1, 11)) / np.log(11)
    counts = draws.m.value_counts().reindex(range(1, 11), fill_value=0).to_numpy()
    assert stats.chisquare(counts, 4000 * want).pvalue > 1e-3
    u = [np.random.default_rng([s, zlib.crc32(b"n")]).random() for s in range(5)]
    assert list(draws.n[:5]) == [3 + int(4 * x) for x in u]


def test_uncertain_parameters_are_drawn_per_seed_alike_in_every_variant(tmp_path):
    """With parameter uncertainty every variant and sweep point at a seed runs the same
    drawn values, so the comparison still pairs like with like, and the spread over seeds
    carries the parameters' uncertainty; the values are in each run's params, not sweep
    points, and the reopened ensemble knows them."""
    ens = run(tmp_path / "s", runs=4, variants=NALOXONE, sweep={"params.effect": [0.0, 0.5]},
              uncertain={"params.rate": (1.0, 10.0)})
    assert ens.uncertain == ["params.rate"] and ens.sweep == ["params.effect"]
    s = ens.summary()
    assert len(s) == 4 * 2 * 2
    for row in s.to_dict("records"):
        rate = draw_uncertain({"params.rate": (1.0, 10.0)}, row["seed"])["params.rate"]
        assert row["params.rate"] == rate  # drawn per seed: alike in every variant and point
        iv = NALOXONE["naloxone"] if row["variant"] == "naloxone" else []
        sc = StandInScenario().override({"params.rate": rate,
                                         "params.effect": row["params.effect"]})
        assert row["deaths_total"] == simulate(sc, row["seed"], interventions=iv).summary[
            "deaths_total"]
    assert s["params.rate"].nunique() == 4
    table = ens.compare()
    assert set(table.seeds) == {4} and sorted(table["params.effect"].unique()) == [0.0, 0.5]
    q = ens.summary_quantiles(["deaths_total"])
    assert set(q.runs) == {4} and len(q) == 2 * 2  # variant x sweep point, over seeds
    again = Ensemble.load(ens.store, ens.id)
    assert again.uncertain == ["params.rate"] and again.sweep == ["params.effect"]
    pd.testing.assert_frame_equal(again.compare(), table)
    ens.save(tmp_path / "out")  # the saved folder says which columns were drawn, and how
    doc = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert doc["uncertain"] == {"params.rate": [1.0, 10.0]}
    assert doc["sweep"] == ["params.effect"]
    with pytest.raises(InputError, match="swept and uncertain"):
        run(tmp_path / "t", runs=2, sweep={"params.rate": [1.0]},
            uncertain={"params.rate": (1.0, 2.0)})
    with pytest.raises(InputError, match="set for every run and uncertain"):
        run(tmp_path / "t", runs=2, overrides={"params.rate": 1.5},
            uncertain={"params.rate": (1.0, 2.0)})
    with pytest.raises(InputError, match=r"params\.nothing"):
        run(tmp_path / "t", runs=2, uncertain={"params.nothing": (1.0, 2.0)})
    assert not (tmp_path / "t").exists() or RunStore(tmp_path / "t").runs().empty


def test_failed_runs_are_reported_with_seed_and_error(tmp_path):
    ens = run(tmp_path / "s", runs=4, seed=1, variants={"broken": [], "ok": []},
              sweep={"params.fail_seed": [3]})
    failed = ens.failed
    assert sorted(zip(failed.variant, failed.seed, strict=True)) == sorted(
        [("broken", s) for s in (1, 2, 3, 4)] + [("baseline", 3), ("ok", 3)])
    err = failed.set_index(["variant", "seed"]).error
    assert err.loc[("baseline", 3)].startswith("RuntimeError: no convergence at seed 3")
    assert err.loc[("broken", 2)].startswith("ValueError: broken variant at seed 2")
    assert len(ens.summary()) == 6  # the 6 good runs are all kept
    assert set(ens.compare().variant) == {"ok"}


def swallows_a_ctrl_c(scenario, seed=1, **kwargs):
    """The stand-in model, in whose run 3 a Ctrl-C comes and code swallows the
    KeyboardInterrupt (a broad except, a finaliser whose exception Python only prints)."""
    if seed == 3:
        try:
            signal.raise_signal(signal.SIGINT)
        except KeyboardInterrupt:
            pass
    return simulate(scenario, seed, **kwargs)


@pytest.mark.skipif(not hasattr(signal, "SIGINT"), reason="POSIX signals")
def test_a_ctrl_c_that_code_swallowed_still_stops_the_ensemble(tmp_path):
    """The Ctrl-C is kept: the ensemble stops after the run it came in (it ran on to its
    end), with the finished runs kept, and the handler is Python's own again after."""
    store = RunStore(tmp_path / "s")
    with pytest.raises(EnsembleInterrupted, match="3 of 6 runs"):
        ensemble(StandInScenario(), 6, seed=1, store=store, progress=False,
                 model=swallows_a_ctrl_c, scheduler="serial")
    assert sorted(store.runs().seed) == [1, 2, 3] and store.check().ok
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_interrupt_in_a_serial_run_keeps_finished_runs(tmp_path):
    store = RunStore(tmp_path / "s")
    with pytest.raises(EnsembleInterrupted) as info:
        run(store, runs=6, seed=1, sweep={"params.interrupt_seed": [4]})
    ens = info.value.ensemble
    assert ens.interrupted and isinstance(info.value, KeyboardInterrupt)
    assert sorted(store.runs(ensemble=ens.id).seed) == [1, 2, 3]
    assert store.check().ok


def ctrl_c_in_compiled_code(scenario, seed=1, **kwargs):
    """The stand-in model, whose run 4 sees a Ctrl-C inside a compiled kernel: numba hands
    it back as the SystemError it caused."""
    if seed == 4:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise SystemError("CPUDispatcher(<function _route_plan>) returned a result "
                              "with an exception set") from exc
    return simulate(scenario, seed, **kwargs)


def test_a_ctrl_c_wrapped_by_compiled_code_is_an_interrupt_not_a_failure(tmp_path):
    # review s15, F1: the run in flight was stored as failed, blaming the model
    store = RunStore(tmp_path / "s")
    with pytest.raises(EnsembleInterrupted, match="3 of 6 runs"):
        ensemble(StandInScenario(), 6, seed=1, store=store, progress=False,
                 model=ctrl_c_in_compiled_code, scheduler="serial")
    runs = store.runs()
    assert sorted(runs.seed) == [1, 2, 3] and set(runs.status) == {"done"}
    assert store.check().ok


# ------------------------------------------------------------------ statistics


def test_compare_table_against_hand_computation():
    # three seeds; deaths averted 2, 4, 9; extra cost 10, 10, 40; supply falls 50 (50%),
    # 50 (25%), 0 (0%)
    summary = pd.DataFrame({
        "variant": ["baseline"] * 3 + ["x"] * 3,
        "seed": [1, 2, 3] * 2,
        "d": [10.0, 20.0, 30.0, 8.0, 16.0, 21.0],
        "s": [100.0, 200.0, 400.0, 50.0, 150.0, 400.0],
        "c": [0.0, 0.0, 0.0, 10.0, 10.0, 40.0],
    })
    names = {"deaths": "d", "supply": "s", "cost": "c"}
    t = compare_table(summary, **names).set_index("outcome")
    averted = np.array([2.0, 4.0, 9.0])
    half = stats.t.ppf(0.975, 2) * averted.std(ddof=1) / np.sqrt(3)
    row = t.loc["deaths averted"]
    assert row["mean"] == pytest.approx(5.0)
    assert (row.ci_low, row.ci_high) == pytest.approx((5 - half, 5 + half))
    assert (row.q05, row.q50, row.q95) == pytest.approx(np.quantile(averted, [0.05, 0.5, 0.95]))
    assert row.share_positive == 1.0 and row.seeds == 3
    assert t.loc["supply reduction", "mean"] == pytest.approx(100 / 3)
    assert t.loc["supply reduction %", "mean"] == pytest.approx(25.0)
    assert t.loc["extra cost", "mean"] == pytest.approx(20.0)
    cpda = t.loc["cost per death averted"]
    assert cpda["mean"] == pytest.approx(60 / 15)  # ratio of sums, not mean of ratios (4.55)
    assert cpda.ci_low <= cpda["mean"] <= cpda.ci_high
    # Fieller's interval of the paired values; deaths averted's own interval reaches below
    # 0 (5 - 8.9), so it is open above
    assert row.ci_low < 0
    assert (cpda.ci_low, cpda.ci_high) == ratio_interval(np.array([10.0, 10.0, 40.0]),
                                                         averted)[1:]
    assert (cpda.ci_low, cpda.ci_high) == (-np.inf, np.inf)  # t(2 df) = 4.3: nothing bounds
    # the runs' order (Dask finishes them in any order) does not change the table
    shuffled = compare_table(summary.sample(frac=1, random_state=3), **names).set_index("outcome")
    pd.testing.assert_frame_equal(shuffled, t)
    # overdose deaths averted beside deaths of every cause, where the runs report them
    # (review s15, simulation F2), and no -0.0 written where nothing changed
    od = summary.assign(overdose_deaths_total=[5.0, 6.0, 7.0, 4.0, 6.0, 7.0])
    t2 = compare_table(od, **names).set_index("outcome")
    assert list(t2.index[:2]) == ["deaths averted", "overdose deaths averted"]
    row = t2.loc["overdose deaths averted"]
    assert (row["mean"], row.q50, row.share_positive) == pytest.approx((1 / 3, 0.0, 1 / 3))
    assert not np.signbit(t2.select_dtypes("float").to_numpy()[
        t2.select_dtypes("float").to_numpy() == 0]).any()
    pd.testing.assert_frame_equal(t2.drop("overdose deaths averted"), t)


def test_pairs_only_common_seeds_and_needs_a_baseline():
    summary = pd.DataFrame({"variant": ["baseline", "baseline", "x"], "seed": [1, 2, 2],
                            "deaths": [5.0, 7.0, 4.0]})
    d = paired(summary)
    assert d.to_dict("records") == [{"variant": "x", "seed": 2, "deaths": -3.0}]
    with pytest.raises(InputError, match="baseline"):
        paired(summary[summary.variant == "x"])


def test_intervals():
    assert mean_interval(np.array([3.0])) == (3.0, pytest.approx(np.nan, nan_ok=True),
                                              pytest.approx(np.nan, nan_ok=True))
    m, lo, hi = mean_interval(np.array([1.0, 2.0, 3.0, 4.0]), 0.9)
    assert m == 2.5 and m - lo == pytest.approx(hi - m)
    assert hi - m == pytest.approx(stats.t.ppf(0.95, 3) * np.std([1, 2, 3, 4], ddof=1) / 2)
    p, _lo, hi = ratio_interval(np.array([1.0, 1.0]), np.array([-1.0, -1.0]))
    assert np.isnan(p) and hi == np.inf  # nothing averted: no finite cost per death
    assert ratio_interval(np.array([2.0, 4.0]), np.array([1.0, 2.0]))[:1] == (2.0,)


def fieller_textbook(x, y, level):
    """Fieller's interval in its textbook form (e.g. Willan & O'Brien 1996, eq. 4): with
    ``g = t^2 v_yy / ybar^2``, ``(R - g v_xy / v_yy +- t / ybar * sqrt(v_xx - 2 R v_xy +
    R^2 v_yy - g (v_xx - v_xy^2 / v_yy))) / (1 - g)`` (v: (co)variances of the means)."""
    n = len(x)
    t = stats.t.ppf(0.5 + level / 2, n - 1)
    vxx, vyy = np.var(x, ddof=1) / n, np.var(y, ddof=1) / n
    vxy = np.cov(x, y, ddof=1)[0, 1] / n
    r = x.mean() / y.mean()
    g = t * t * vyy / y.mean() ** 2
    half = t / y.mean() * np.sqrt(vxx - 2 * r * vxy + r * r * vyy - g * (vxx - vxy**2 / vyy))
    return (r - g * vxy / vyy - half) / (1 - g), (r - g * vxy / vyy + half) / (1 - g)


@pytest.mark.parametrize("level", [0.9, 0.95])
def test_the_cost_ratio_interval_is_fiellers(level):
    """Against the textbook formula, and by its definition: at each bound the paired t
    statistic of ``cost - R * deaths averted`` is the critical t."""
    cost = np.array([1900.0, 2150.0, 2080.0, 1760.0, 2300.0])
    averted = np.array([9.0, 12.0, 7.5, 10.0, 13.0])
    point, lo, hi = ratio_interval(cost, averted, level)
    assert point == pytest.approx(cost.mean() / averted.mean())
    assert (lo, hi) == pytest.approx(fieller_textbook(cost, averted, level), rel=1e-12)
    t = stats.t.ppf(0.5 + level / 2, 4)
    for r, sign in ((lo, 1), (hi, -1)):
        d = cost - r * averted
        assert d.mean() / (d.std(ddof=1) / np.sqrt(5)) == pytest.approx(sign * t, rel=1e-9)
    assert lo < point < hi


def test_the_cost_ratio_is_open_ended_when_deaths_averted_may_be_zero():
    """The audit's case (toy, naloxone, 3 seeds): deaths averted 8.67 with an interval
    reaching below 0. The bootstrap gave a finite, narrow interval (1295 to 6042); the
    ratio cannot be bounded above, and its lower end is where the test stops accepting."""
    averted = np.array([14.0, 2.0, 10.0])
    cost = np.array([18100.0, 18150.0, 18120.0])
    _, dlo, _ = mean_interval(averted)
    assert dlo < 0
    point, lo, hi = ratio_interval(cost, averted)
    assert hi == np.inf and 0 < lo < point
    d = cost - lo * averted  # the lower end: the t statistic is critical there too
    assert d.mean() / (d.std(ddof=1) / np.sqrt(3)) == pytest.approx(stats.t.ppf(0.975, 2))
    # fewer deaths on average, not significantly: no point, and the whole line
    p, lo, hi = ratio_interval(np.array([1.0, 1.0, 1.0]), np.array([1.0, -2.0, 0.5]))
    assert np.isnan(p) and (lo, hi) == (-np.inf, np.inf)
    # neither mean significant and the pairs uncorrelated enough: no half-line either
    p, lo, hi = ratio_interval(np.array([1.0, -1.0, 0.4]), np.array([1.0, 1.2, -2.0]))
    assert p > 0 and (lo, hi) == (-np.inf, np.inf)
    # deaths significantly increased at a cost, or none ever averted at one: infinitely
    # expensive; nothing spent and nothing averted: no bound
    p, lo, hi = ratio_interval(np.array([1.0, 1.2, 0.9]), np.array([-3.0, -3.1, -2.9]))
    assert np.isnan(p) and lo == hi == np.inf
    p, lo, hi = ratio_interval(np.array([1.0, 1.2, 0.9]), np.zeros(3))
    assert np.isnan(p) and lo == hi == np.inf
    assert ratio_interval(np.zeros(3), np.zeros(3))[1:] == (-np.inf, np.inf)
    # a pair with a NaN is left out, as mean_interval leaves out a NaN
    x, y = np.array([1900.0, 2150.0, 2080.0, 1760.0]), np.array([9.0, 12.0, 7.5, 10.0])
    assert ratio_interval(np.r_[x, 5.0], np.r_[y, np.nan]) == ratio_interval(x, y)
    assert ratio_interval(np.r_[x, np.nan], np.r_[y, 3.0]) == ratio_interval(x, y)


@pytest.mark.parametrize("n", [3, 10])
def test_the_cost_ratio_interval_covers_as_claimed(n):
    """On normal pairs (correlated, the denominator often near 0 with 3 seeds) the 95%
    interval covers the true ratio of means in 95% of samples (Fieller's is exact there;
    the bootstrap covered 77% of the audit's toy subsets of 3 seeds): 4,000 samples, the
    Monte Carlo error about 0.35 points."""
    rng = np.random.default_rng(11)
    mean, cov = np.array([2000.0, 8.0]), np.array([[300.0**2, 0.5 * 300 * 9], [0.5 * 300 * 9,
                                                                                81.0]])
    true = mean[0] / mean[1]
    hits = 0
    for _ in range(4000):
        x, y = rng.multivariate_normal(mean, cov, size=n).T
        _, lo, hi = ratio_interval(x, y)
        hits += lo <= true <= hi
    assert 0.935 <= hits / 4000 <= 0.965


def test_series_quantiles_match_numpy():
    rng = np.random.default_rng(0)
    series = pd.DataFrame({"variant": np.repeat(["a", "b"], 50), "seed": np.tile(range(50), 2),
                           "step": 0, "deaths": rng.random(100)})
    q = series_quantiles(series, q=(0.1, 0.5)).set_index("variant")
    for v in ("a", "b"):
        x = series[series.variant == v].deaths
        assert q.loc[v, "q10"] == pytest.approx(np.quantile(x, 0.1))
        assert q.loc[v, "q50"] == pytest.approx(np.median(x))
        assert q.loc[v, "mean"] == pytest.approx(x.mean()) and q.loc[v, "runs"] == 50


def test_ensemble_quantiles_differences_and_reload(tmp_path):
    ens = run(tmp_path / "s", runs=5, variants=NALOXONE)
    q = ens.quantiles(["deaths"], difference=True)
    assert set(q.variant) == {"naloxone"} and set(q.runs) == {5}
    series = ens.series()
    wide = series.pivot_table(index=["seed", "step"], columns="variant", values="deaths")
    diff = (wide.naloxone - wide.baseline).groupby("step").median()
    np.testing.assert_allclose(q.sort_values("step").q50, diff.sort_index())
    again = Ensemble.load(RunStore(tmp_path / "s"), ens.id)
    assert again.variants == ens.variants and again.seeds == ens.seeds
    pd.testing.assert_frame_equal(again.compare(), ens.compare())
    sq = ens.summary_quantiles(["deaths_total"]).set_index("variant")
    base = ens.summary().query("variant == 'baseline'").deaths_total
    assert sq.loc["baseline", "q50"] == pytest.approx(base.median())


# ------------------------------------------------------------------ on a Dask cluster


def test_toy_ensemble_on_a_dask_cluster_equals_the_same_seeds_run_serially(tmp_path, client):
    toy = fentanet.scenarios.load("toy").override({"years": 1.0})  # naloxone from 0.5
    ens = ensemble(toy, runs=3, variants=["naloxone"], seed=5, scheduler=client,
                   store=tmp_path / "s", progress=False, write_on_workers=True)
    assert ens.failed.empty
    summary = ens.summary().set_index(["variant", "seed"])
    for seed in (5, 6, 7):
        # the oracle's variant is named otherwise: fentanet.compare adds a strategy's
        # interventions again when a variant is named after it
        ref = fentanet.compare(toy, {"oracle": list(toy.strategies["naloxone"])}, seed)
        assert ref.table.loc["oracle", "deaths_averted"] != 0
        for oracle, result in ref.results.items():
            variant = "naloxone" if oracle == "oracle" else oracle
            got = summary.loc[(variant, seed)]
            for key, value in result.summary.items():
                assert got[key] == value, (variant, seed, key)
            one = ens.store.series([got.run_id])  # (variants differ in cost columns)
            pd.testing.assert_frame_equal(one.drop(columns=["run_id", "variant", "seed"]),
                                          result.series)
        # the per-seed difference is the single-run comparison of fentanet.compare
        diff = ens.differences().set_index(["variant", "seed"]).loc[("naloxone", seed)]
        assert -diff.deaths_total == ref.table.loc["oracle", "deaths_averted"]
    digests = ens.runs().set_index("variant").digest
    assert digests.loc["baseline"].nunique() == 1 and digests.loc["naloxone"].nunique() == 1
    assert digests.loc["baseline"].iloc[0] == toy.digest() != digests.loc["naloxone"].iloc[0]
    # the workers record the build of the fentanet they import: this one
    assert set(ens.runs().fentanet_version) == {recorded_version()}
    assert ens.store.check().ok


def test_scheduler_from_the_environment_and_results_sent_back(tmp_path, client, monkeypatch):
    serial = run(tmp_path / "serial", runs=4, variants=NALOXONE, seed=3)
    monkeypatch.setenv("FENTANET_SCHEDULER", client.scheduler.address)
    via_env = run(tmp_path / "dask", runs=4, variants=NALOXONE, seed=3, scheduler=None)
    assert via_env.store.check().ok
    pd.testing.assert_frame_equal(by_variant_seed(via_env.summary()),
                                  by_variant_seed(serial.summary()))
    pd.testing.assert_frame_equal(via_env.compare(), serial.compare())


def test_a_text_every_run_says_is_shown_once_naming_its_runs(tmp_path):
    """A text several runs say (a horizon the step does not divide: every run) is shown
    once, naming the variants and their seeds (consecutive seeds as ranges), so it does not
    fill the ten shown texts and hide the runs' own."""
    with pytest.warns(RunWarning) as said:
        ens = run(tmp_path / "a", runs=5, variants=NALOXONE,
                  sweep={"params.warn_all": [1], "params.warn_below": [3]})
    texts = [str(w.message) for w in said if w.category is RunWarning]
    assert texts == ens.notes == [  # in the order first said (seed 1 says both)
        "baseline, seed 1; naloxone, seed 1: short of targets at seed 1",
        "baseline, seeds 1-5; naloxone, seeds 1-5: said by every run",
        "baseline, seed 2; naloxone, seed 2: short of targets at seed 2"]


def test_a_text_names_the_points_of_a_sweep_that_said_it(tmp_path):
    """In an ensemble of several points a run is named by its point as well (the
    parameters that differ between the points, by the end of their dotted path); a text
    every point says on the same seeds names none, and past three points the others are
    counted. (Review s15, F6.8: a sensitivity design's nine different points were each
    'baseline, seed 1'.)"""
    with pytest.warns(RunWarning) as said:
        ens = run(tmp_path / "a", runs=3, variants=NALOXONE,
                  sweep={"params.warn_all": [1], "params.warn_below": [2, 2.5]})
    assert [str(w.message) for w in said if w.category is RunWarning] == ens.notes == [
        "baseline at both points, seed 1; naloxone at both points, seed 1: "
        "short of targets at seed 1",
        "baseline at both points, seeds 1-3; naloxone at both points, seeds 1-3: "
        "said by every run",
        "baseline at warn_below=2.5, seed 2; naloxone at warn_below=2.5, seed 2: "
        "short of targets at seed 2"]
    with pytest.warns(RunWarning) as said:
        ens = run(tmp_path / "b", runs=1, sweep=[{}, *({"params.warn_below": w, "params.rate": 5}
                                                      for w in (1, 2, 3, 4, 5))])
    assert ens.notes == [
        "baseline at warn_below=2, rate=5, seed 1; baseline at warn_below=3, rate=5, seed 1; "
        "baseline at warn_below=4, rate=5, seed 1; baseline at 1 more point: "
        "short of targets at seed 1"]
    # a tornado's base point sets none of the parameters; names alike keep what tells
    # them apart; a parameter drawn per seed (uncertain) is named by the seed already
    from fentanet.ensemble.runner import point_labels

    tasks = plan(2, [Variant("baseline")], [{}, {"params.a.rate": 0.123456},
                                             {"params.b.rate": 12345678.0, "years": 2}],
                 1, "e", base={"uncertain": {"params.c": (0, 1)}},
                 uncertain={"params.c": (0.0, 1.0)})
    assert [point_labels(tasks)[t.run_id] for t in tasks[:3]] == [
        " at the base point", " at a.rate=0.1235", " at b.rate=1.235e+07, years=2"]
    with pytest.warns(RunWarning):
        ens = run(tmp_path / "c", runs=2, uncertain={"params.rate": (1, 5)},
                  sweep={"params.warn_below": [3]})
    assert ens.notes == [f"baseline, seed {s}: short of targets at seed {s}" for s in (1, 2)]


def test_runs_warnings_come_back_from_the_workers_once_each(tmp_path, client):
    """What a run says of itself (warn_run; on a worker it would print there, unseen) is
    shown by the coordinator once the tasks end, once per run, naming variant and seed, as
    a RunWarning; other warnings are left to the process's filters."""
    with pytest.warns(RunWarning) as said:
        ens = run(tmp_path / "d", runs=3, scheduler=client, sweep={"params.warn_below": [3]})
    mine = [str(w.message) for w in said if w.category is RunWarning]
    want = [f"baseline, seed {s}: short of targets at seed {s}" for s in (1, 2)]
    assert sorted(mine) == want and sorted(ens.notes) == want
    # serially the same; past ten, a count of the rest
    with pytest.warns(RunWarning) as said:
        ens = run(tmp_path / "s", runs=14, sweep={"params.warn_below": [13]})
    texts = [str(w.message) for w in said if w.category is RunWarning]
    assert texts == ens.notes == [f"baseline, seed {s}: short of targets at seed {s}"
                                  for s in range(1, 11)] + [
        "2 more warning(s) not shown (12 run(s) warned)"]
    # the library's deprecation warning is not caught, nor turned into ours
    assert not any("deprecation" in str(w.message) for w in said if w.category is RunWarning)
    # a user's filter holds
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", RunWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        assert len(run(tmp_path / "f", runs=2, sweep={"params.warn_below": [3]}).notes) == 2


def test_run_notes_are_collected_per_thread():
    """Two threads collecting at once each get their own run's notes (the warnings
    machinery is global to the process; a context variable is not)."""
    import threading

    from fentanet.errors import run_notes, warn_run

    got: dict[int, list[str]] = {}
    both = threading.Barrier(2)

    def work(i: int) -> None:
        with run_notes() as notes:
            both.wait()
            for k in range(50):
                warn_run(f"thread {i} note {k}")
            both.wait()
        got[i] = notes

    threads = [threading.Thread(target=work, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == {i: [f"thread {i} note {k}" for k in range(50)] for i in (0, 1)}
    with pytest.warns(RunWarning, match="outside any collection"):
        warn_run("outside any collection")


def test_dask_failures_and_interrupt_keep_finished_runs(tmp_path, client, monkeypatch):
    ens = run(tmp_path / "f", runs=3, variants={"broken": []}, scheduler=client)
    assert sorted(ens.failed.seed) == [1, 2, 3] and len(ens.summary()) == 3

    store = RunStore(tmp_path / "i")
    original = runner_mod.Collector.add
    seen = []

    def interrupted_add(self, record, series, *, written):
        original(self, record, series, written=written)
        seen.append(record.run_id)
        if len(seen) == 3:
            raise KeyboardInterrupt  # Ctrl-C while the coordinator keeps the third run

    monkeypatch.setattr(runner_mod.Collector, "add", interrupted_add)
    with pytest.raises(EnsembleInterrupted) as info:
        run(store, runs=20, scheduler=client, sweep={"params.sleep": [0.05]})
    kept = set(store.runs().run_id)
    # the runs collected, and those whose files the workers had written meanwhile
    assert set(seen) <= kept and f"{len(kept)} of 20 runs finished" in str(info.value)
    report = store.check()
    # (on a cluster fentanet did not start, a run still in flight may write its files
    # after the interrupt: `runs rebuild` registers it)
    assert not report.damaged and not report.missing_manifest
    monkeypatch.undo()
    # the cluster is free again: no run of the interrupted ensemble is left on it
    assert run(tmp_path / "after", runs=2, scheduler=client).summary().shape[0] == 2


def test_a_saved_ensemble_records_the_versions_that_made_its_runs(tmp_path, monkeypatch):
    """Review s11 finding 6: summary.json claimed the saving process's build made the runs.
    It records the runs' own versions from the catalog (one value, or the list when they
    differ) and this process's under ``saved_by``."""
    old = "0.1.0 (build 0123456789ab)"
    monkeypatch.setattr(runner_mod, "recorded_version", lambda: old)
    ens = run(tmp_path / "s", runs=2, seed=1)
    monkeypatch.undo()
    again = Ensemble.load(ens.store, ens.id)
    again.save(tmp_path / "out")
    doc = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert (doc["fentanet_version"], doc["numpy_version"]) == (old, np.__version__)
    assert doc["saved_by"] == {"fentanet_version": recorded_version(),
                               "numpy_version": np.__version__}
    # runs of two builds in one ensemble: the list, sorted
    with ens.store._connect(write=True) as con:
        con.execute("UPDATE runs SET fentanet_version = ? WHERE seed = 2",
                    [recorded_version()])
    again.save(tmp_path / "out2")
    doc = json.loads((tmp_path / "out2" / "summary.json").read_text())
    assert doc["fentanet_version"] == sorted([old, recorded_version()])
    assert doc["numpy_version"] == np.__version__


def test_the_long_series_has_zero_costs_for_a_run_without_the_intervention(tmp_path):
    """The baseline paid nothing for naloxone: 0 in the wide series and in the long one
    (its cost rows were NaN there)."""
    from fentanet.ensemble import ensemble

    e = ensemble("toy", runs=2, variants={"nal": [{"kind": "naloxone", "intensity": 0.5}]},
                 scheduler="serial", store=tmp_path, progress=False,
                 overrides={"years": 0.25})
    wide, long = e.series(), e.series(long=True)
    base = wide[wide["variant"] == "baseline"]
    assert (base["cost_naloxone_usd"] == 0).all() and len(base) == 2 * 13
    rows = long[(long["variant"] == "baseline") & (long["metric"] == "cost_naloxone_usd")]
    assert len(rows) == 2 * 13 and (rows["value"] == 0).all()
    nal = long[(long["variant"] == "nal") & (long["metric"] == "cost_naloxone_usd")]
    assert (nal["value"] > 0).all()


def test_series_quantiles_refuses_a_metric_the_series_lack_naming_it():
    # Ensemble.quantiles(["deathz"]) ended in pandas' KeyError from melt (review s20, api)
    series = pd.DataFrame({"run_id": ["a", "b"], "variant": ["baseline"] * 2, "seed": [1, 2],
                           "step": [0, 0], "time": [0.0, 0.0], "deaths": [1.0, 3.0]})
    with pytest.raises(InputError, match=r"field 'metrics': no series column 'deathz' \(did "
                                         r"you mean 'deaths'\?\); docs/series.md lists them"):
        series_quantiles(series, metrics=["deathz"])
    assert series_quantiles(series, metrics="deaths")["mean"].tolist() == [2.0]


def test_a_store_that_cannot_keep_runs_stops_the_ensemble_on_a_cluster(tmp_path, client):
    """A worker that cannot write a run's files (a full disk, here a file where the series
    folder belongs) stops the ensemble with an error naming the file: every run was made,
    recorded as 'failed' and lost, until the twenty-first session."""
    from fentanet.store.files import CannotKeep

    store = RunStore(tmp_path / "s")
    (store.root / "series").write_text("in the way")
    with pytest.raises(CannotKeep, match=r"cannot keep run \w+ in the run store .*series"):
        run(store, runs=12, scheduler=client, write_on_workers=True)
    assert store.runs().empty  # nothing recorded as a failed run
