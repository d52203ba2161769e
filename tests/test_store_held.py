"""A run catalog another program holds open with DuckDB itself (a notebook querying it,
DuckDB's command line): commands that only read still work, those that write say what
holds it, and a rebuild does not replace the file under it."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from fentanet.store import RunRecord, RunStore, StoreError

HOLD = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("SELECT count(*) FROM runs").fetchall()
print("holding", flush=True)
sys.stdin.read()
"""


def test_a_catalog_held_by_another_program(tmp_path):
    store = RunStore(tmp_path / "s")
    store.add(RunRecord(run_id="r1", scenario="toy", seed=1),
              pd.DataFrame({"step": [0, 1], "deaths": [1.0, 2.0]}))
    before = store.catalog.read_bytes()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(store.catalog)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        again = RunStore(store.root)  # reading: as a `runs list` in another terminal
        assert again.runs().run_id.tolist() == ["r1"]
        with pytest.raises(StoreError, match=r"another program has the run catalog open .*"
                                             r"Conflicting lock.*close that connection"):
            again.check_writable()  # what an ensemble does before its first run
        with pytest.raises(StoreError, match="another program has the run catalog open"):
            again.rebuild()
    finally:
        holder.communicate("")
    assert store.catalog.read_bytes() == before
    assert not list(store.root.glob("runs.duckdb.*"))  # no backup: nothing replaced
