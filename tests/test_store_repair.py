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


@pytest.mark.parametrize("finish", ["rebuild", "delete"])
def test_a_run_added_again_under_a_deleted_id_survives_the_stopped_delete(store, monkeypatch,
                                                                         finish):
    """A delete stopped part-way, then a run added again under the same id (the Python API
    takes ids chosen by hand): the journal noted the deleted run's manifest, so the next
    delete or rebuild finishes the delete of that run only, and keeps the new one (the
    journal held bare ids until the twenty-second session, and deleted it too)."""
    def killed(con, run_ids):
        raise KeyboardInterrupt  # after the manifests went, before the catalog's rows

    real = catalog_mod.delete
    monkeypatch.setattr(catalog_mod, "delete", killed)
    with pytest.raises(KeyboardInterrupt):
        store.delete(["r1", "r2"])
    monkeypatch.setattr(catalog_mod, "delete", real)
    new = pd.DataFrame({"step": [0, 1], "deaths": [7.0, 8.0]})
    store.add(RunRecord(run_id="r1", scenario="toy", seed=9, variant="again",
                        summary={"deaths_total": 99.0}), new)
    if finish == "rebuild":
        report = store.rebuild()
        assert report.runs == 2 and report.restored == [] and report.dropped == []
    else:
        assert store.delete(["r0"]) == 1
    runs = store.runs()
    assert sorted(runs.run_id) == (["r1"] if finish == "delete" else ["r0", "r1"])
    row = runs.set_index("run_id").loc["r1"]
    assert (row.variant, row.seed) == ("again", 9)  # the new run, its catalog row too
    assert store.summary(["r1"]).deaths_total.tolist() == [99.0]
    assert store.series(["r1"]).deaths.tolist() == [7.0, 8.0]
    assert not (store.root / "series" / "r2.parquet").exists()  # r2's delete finished
    assert not (store.root / "runs.deleting").exists() and store.check().ok


def test_a_journal_of_bare_ids_is_finished_as_before(store):
    """A delete journal written by a fentanet before the twenty-second session (bare ids)
    is finished as it was then."""
    (store.root / "runs.deleting").write_text(json.dumps(["r1"]))
    (store.root / "manifests" / "r1.json").unlink()
    assert store.rebuild().runs == 2
    assert store.runs().run_id.tolist() == ["r0", "r2"] and store.check().ok


def test_rebuild_keeps_the_two_newest_old_catalogs(store):
    """Each `runs rebuild` kept one more copy of the old catalog, never removed: it keeps
    the newest as runs.duckdb.bak and the one before as runs.duckdb.bak.1 (older .bak.N
    of earlier fentanets go too)."""
    root = store.root
    (root / "runs.duckdb.bak.7").write_bytes(b"from an older fentanet")
    (root / "runs.duckdb.bak.7.wal").write_bytes(b"its log")
    sizes = []
    for k in range(4):
        store.add(RunRecord(run_id=f"n{k}", scenario="toy", seed=10 + k), SERIES)
        before = store.runs().run_id.tolist()
        report = store.rebuild()
        assert report.backup == str(root / "runs.duckdb.bak")
        sizes.append(before)
    baks = sorted(p.name for p in root.iterdir() if ".bak" in p.name)
    assert baks == ["runs.duckdb.bak", "runs.duckdb.bak.1"]
    # the newest backup is the catalog before the last rebuild, the other the one before
    from fentanet.store.store import _catalog_records

    assert sorted(_catalog_records(root / "runs.duckdb.bak")) == sorted(sizes[-1])
    assert sorted(_catalog_records(root / "runs.duckdb.bak.1")) == sorted(sizes[-2])


def test_the_first_rebuild_after_older_fentanets_keeps_their_newest_backup(store):
    """Older fentanets numbered their backups the other way: runs.duckdb.bak the oldest,
    the highest .bak.N the newest (the first free name). The first rebuild by this one
    keeps that newest as .bak.1 ("the one before"), not the oldest (final review s22: it
    removed .bak.1 and .bak.2 and kept the oldest as .bak.1)."""
    import os

    from fentanet.store.store import _catalog_records

    root = store.root
    aside = root.parent / "aside"
    aside.mkdir()
    kept = []
    for k in range(3):  # an older fentanet's rebuilds: .bak, .bak.1, .bak.2, oldest first
        store.add(RunRecord(run_id=f"o{k}", scenario="toy", seed=20 + k), SERIES)
        kept.append(sorted(store.runs().run_id))
        store.rebuild()
        os.replace(root / "runs.duckdb.bak", aside / str(k))
    for k in range(3):
        name = root / ("runs.duckdb.bak" + (f".{k}" if k else ""))
        os.replace(aside / str(k), name)
        os.utime(name, ns=(10**18 + k * 10**9, 10**18 + k * 10**9))  # oldest first
    before = sorted(store.runs().run_id)
    store.rebuild()
    baks = sorted(p.name for p in root.iterdir() if ".bak" in p.name)
    assert baks == ["runs.duckdb.bak", "runs.duckdb.bak.1"]
    assert sorted(_catalog_records(root / "runs.duckdb.bak")) == before
    assert sorted(_catalog_records(root / "runs.duckdb.bak.1")) == kept[-1]
