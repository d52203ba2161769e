"""What `runs check` finds and `runs rebuild` repairs when manifests are lost or damaged
while the catalog holds their runs (a copy or sync that left the manifests out, a damaged
file): the rebuild wrote a catalog without those runs (their rows only in the backup) and
check called a damaged manifest healthy. A delete stopped part-way is finished, not
undone."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from fentanet.store import RunRecord, RunStore
from fentanet.store import catalog as catalog_mod

SERIES = pd.DataFrame({"step": [0, 1], "deaths": [1.0, 2.0]})


@pytest.fixture
def store(tmp_path):
    st = RunStore(tmp_path / "s")
    for k, seed in enumerate((1, 2, 3)):
        st.add(RunRecord(run_id=f"r{k}", scenario="toy", seed=seed, variant="v",
                         params={"x": k}, setup={"scenario": "toy", "overrides": {}},
                         summary={"deaths_total": 10.0 + k}), SERIES)
    return st


def test_a_damaged_manifest_is_found_and_written_again_from_the_catalog(store):
    manifest = store.root / "manifests" / "r1.json"
    good = manifest.read_text()
    manifest.write_text('{"format": 1, "run": {"run_id"')
    report = store.check()
    assert not report.ok and [r for r, _ in report.damaged_manifest] == ["r1"]
    rebuilt = store.rebuild()
    assert rebuilt.runs == 3 and rebuilt.restored == ["r1"] and rebuilt.dropped == []
    assert store.check().ok
    assert store.summary().deaths_total.tolist() == [10.0, 11.0, 12.0]
    assert json.loads(manifest.read_text()) == json.loads(good)  # keys aside, the same


def test_lost_manifests_are_written_again_from_the_catalog(store):
    before = store.runs()
    shutil.rmtree(store.root / "manifests")
    assert store.check().missing_manifest == ["r0", "r1", "r2"]
    rebuilt = store.rebuild()
    assert rebuilt.runs == 3 and sorted(rebuilt.restored) == ["r0", "r1", "r2"]
    pd.testing.assert_frame_equal(store.runs().drop(columns="registered_at"),
                                  before.drop(columns="registered_at"))
    assert store.check().ok


def test_a_delete_stopped_part_way_is_finished_not_undone(store, monkeypatch):
    def killed(con, run_ids):
        raise KeyboardInterrupt  # after the manifests went, before the catalog's rows

    monkeypatch.setattr(catalog_mod, "delete", killed)
    with pytest.raises(KeyboardInterrupt):
        store.delete(["r1"])
    monkeypatch.undo()
    assert store.runs().run_id.tolist() == ["r0", "r1", "r2"]  # the row outlived it
    rebuilt = store.rebuild()
    assert rebuilt.runs == 2 and rebuilt.restored == [] and rebuilt.dropped == []
    assert store.runs().run_id.tolist() == ["r0", "r2"] and store.check().ok
    assert not (store.root / "series" / "r1.parquet").exists()


def test_the_next_delete_finishes_a_delete_stopped_part_way(store, monkeypatch):
    def killed(con, run_ids):
        raise KeyboardInterrupt

    real = catalog_mod.delete
    monkeypatch.setattr(catalog_mod, "delete", killed)
    with pytest.raises(KeyboardInterrupt):
        store.delete(["r1"])
    monkeypatch.setattr(catalog_mod, "delete", real)
    assert store.delete(["r2"]) == 1
    assert store.runs().run_id.tolist() == ["r0"] and store.check().ok
    assert not (store.root / "runs.deleting").exists()


def test_check_tells_a_written_run_without_its_series_from_one_to_recover(store):
    (store.root / "series" / "r2.parquet").unlink()
    store.rebuild()  # r2 left out: its series file is missing
    report = store.check()
    assert report.unregistered == [] and [r for r, _ in report.damaged] == ["r2"]
    assert "no rebuild recovers it" in report.damaged[0][1]


def test_rebuild_removes_series_of_no_run_left_by_stopped_writers(store):
    """A writer stopped between a run's series and its manifest leaves a series file of no
    run: `check` counted them, nothing removed them. A rebuild removes those not written
    in the last hour (a writer in flight writes its manifest milliseconds later)."""
    import os
    import time

    old = store.root / "series" / "stopped.parquet"
    fresh = store.root / "series" / "inflight.parquet"
    for p in (old, fresh):
        shutil.copy(store.root / "series" / "r0.parquet", p)
    hours_ago = time.time() - 2 * 3600
    os.utime(old, (hours_ago, hours_ago))
    assert len(store.check().orphan_series) == 2
    report = store.rebuild()
    assert report.removed_orphan_series == [str(old)] and report.runs == 3
    assert not old.exists() and fresh.exists()
    assert store.check().orphan_series == [str(fresh)]


@pytest.mark.parametrize("catalog_state", ["damaged", "missing"])
def test_a_rebuild_without_a_readable_catalog_keeps_series_without_manifests(
        store, catalog_state):
    """A series file without a manifest is 'of no run' only when the catalog, read, does
    not hold it: with the catalog damaged (rebuilt on opening the store) or missing, a run
    whose manifest was lost too has its series file as all that is left of it, and it is
    kept (both were removed, silently on opening, once an hour old)."""
    import os
    import time

    hours_ago = time.time() - 2 * 3600
    for p in (store.root / "series").glob("*.parquet"):
        os.utime(p, (hours_ago, hours_ago))  # a store copied with its times a while ago
    (store.root / "manifests" / "r1.json").unlink()
    if catalog_state == "damaged":
        store.catalog.write_bytes(b"\0" * 5000)
        with pytest.warns(UserWarning, match="damaged"):
            reopened = RunStore(store.root)
        assert len(reopened) == 2
    else:
        store.catalog.unlink()
        report = store.rebuild()
        assert report.runs == 2 and report.removed_orphan_series == []
    assert (store.root / "series" / "r1.parquet").is_file()
