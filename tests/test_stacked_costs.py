"""The costs by kind in tables stacking runs: one order whatever order the runs were made
or registered in, and 0 (not empty) for a run without that kind, by every way out of the
store (review s18, L2 and L3).

``--out`` of a comparison put ``cost_naloxone_usd, cost_trafficker_enforcement_usd`` last
in ``series.parquet`` when run serially and the other way round on 2 workers (the files of
"the same ensemble" differed); ``runs export`` and ``RunStore.summary``/``series`` left a
baseline's cost cells empty where ``--out`` wrote 0 (docs/series.md says 0)."""

from __future__ import annotations

import pandas as pd
import pytest

import fentanet
from fentanet.cli import main
from fentanet.simulate.output import cost_columns_in_order
from fentanet.store import RunStore

YEARS = 0.75  # the strategies start at 0.5
COSTS = ["intervention_cost_usd", "cost_trafficker_enforcement_usd", "cost_naloxone_usd"]


@pytest.fixture(scope="module")
def two_orders(tmp_path_factory):
    """The same comparison registered in two orders (as serial and 2 workers do)."""
    root = tmp_path_factory.mktemp("costs")
    store = RunStore(root / "s")
    ens = [fentanet.ensemble("toy", 1, variants=v, years=YEARS, scheduler="serial",
                             store=store, progress=False)
           for v in (["naloxone", "top-traffickers"], ["top-traffickers", "naloxone"])]
    return root, store, ens


def test_the_kinds_follow_intervention_cost_in_one_order(two_orders):
    _, store, (first, second) = two_orders
    for ens in (first, second):
        s = store.series(ensemble=ens.id)
        cols = list(s.columns)
        i = cols.index("intervention_cost_usd")
        assert cols[i:i + 3] == COSTS
        summary = list(store.summary(ensemble=ens.id).columns)
        j = summary.index("intervention_cost_usd_total")
        assert summary[j:j + 3] == [f"{c}_total" for c in COSTS]
    assert list(store.series(ensemble=first.id).columns) == \
        list(store.series(ensemble=second.id).columns)
    # a single run has them where docs/series.md does (in its interventions' order)
    r = fentanet.simulate("toy", seed=1, years=YEARS, variant="naloxone")
    cols = list(r.series.columns)
    assert cols[cols.index("intervention_cost_usd") + 1] == "cost_naloxone_usd"


def test_out_writes_the_same_columns_either_order(two_orders):
    root, _, (first, second) = two_orders
    a = pd.read_parquet(first.save(root / "a")[0])
    b = pd.read_parquet(second.save(root / "b")[0])
    assert list(a.columns) == list(b.columns)
    key = ["variant", "seed", "step"]
    pd.testing.assert_frame_equal(
        a.drop(columns="run_id").sort_values(key).reset_index(drop=True),
        b.drop(columns="run_id").sort_values(key).reset_index(drop=True))
    assert list(pd.read_csv(root / "a" / "summary.csv").columns) == \
        list(pd.read_csv(root / "b" / "summary.csv").columns)


def test_export_and_the_store_write_0_for_a_kind_a_run_has_not(two_orders, capsys):
    root, store, (first, _) = two_orders
    series = store.series(ensemble=first.id)
    base = series[series.variant == "baseline"]
    assert (base[COSTS].to_numpy() == 0).all()  # was NaN in RunStore.series
    nal = series[series.variant == "naloxone"]
    assert (nal["cost_trafficker_enforcement_usd"] == 0).all()
    assert nal["cost_naloxone_usd"].sum() > 0
    summary = store.summary(ensemble=first.id).set_index("variant")
    assert summary.loc["baseline", "cost_naloxone_usd_total"] == 0
    assert summary.loc["naloxone", "cost_trafficker_enforcement_usd_total"] == 0
    assert main(["runs", "export", "--ensemble", first.id, "--to", str(root / "exp"),
                 "--format", "csv", "--store", str(store.root)]) == 0
    capsys.readouterr()
    exported = pd.read_csv(root / "exp" / "series.csv")
    out = pd.read_parquet(first.save(root / "out")[0])
    cost = [c for c in exported.columns if c.startswith("cost_")]
    assert cost == COSTS[1:] and exported[cost].notna().all().all()
    key = ["variant", "step"]
    pd.testing.assert_frame_equal(
        exported.sort_values(key)[cost].reset_index(drop=True),
        out.sort_values(key)[cost].reset_index(drop=True))
    runs = pd.read_csv(root / "exp" / "runs.csv").set_index("variant")
    assert runs.loc["baseline", "cost_naloxone_usd_total"] == 0
    assert runs.loc["top-traffickers", "cost_naloxone_usd_total"] == 0


def test_a_failed_run_keeps_no_costs_in_the_store(tmp_path):
    """Only runs with a summary pay 0 for a kind they lack: a failed run has no metric."""
    from ensemble_standin import StandInScenario, simulate

    ens = fentanet.ensemble(StandInScenario(), 1, variants={"broken": []}, seed=1,
                            scheduler="serial", store=tmp_path / "s", progress=False,
                            model=simulate)
    s = RunStore(tmp_path / "s").summary(status=None).set_index("variant")
    assert pd.isna(s.loc["broken", "deaths_total"]) and len(ens.failed) == 1


@pytest.mark.parametrize("cols, want", [
    (["a", "intervention_cost_usd", "cost_naloxone_usd", "b", "cost_lab_raids_usd"],
     ["a", "intervention_cost_usd", "cost_lab_raids_usd", "cost_naloxone_usd", "b"]),
    (["intervention_cost_usd_total", "x_total", "cost_zeta_usd_total",
      "cost_naloxone_usd_total"],
     ["intervention_cost_usd_total", "cost_naloxone_usd_total", "cost_zeta_usd_total",
      "x_total"]),
    (["a", "cost_naloxone_usd", "cost_border_security_usd"],  # no anchor: at the end
     ["a", "cost_border_security_usd", "cost_naloxone_usd"]),
    (["a", "b"], ["a", "b"]),
])
def test_cost_columns_in_order(cols, want):
    assert cost_columns_in_order(cols) == want
