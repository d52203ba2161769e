"""Every benchmark (benchmarks/bench_*.py) runs at its smallest size (``--tiny``) and
reports its peer and the ratio, so that the benchmarks do not rot between the runs that
measure. Structure only: no time is asserted (the times of a tiny run mean nothing)."""

from __future__ import annotations

import importlib
import json
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # benchmarks/ is a package at the project root
    sys.path.insert(0, str(ROOT))

from benchmarks.__main__ import discover, main  # noqa: E402
from benchmarks.common import Result  # noqa: E402

pytestmark = pytest.mark.slow


def test_every_benchmark_module_is_found():
    assert set(discover()) >= {"centrality", "ensemble", "flow", "generate", "io",
                               "keyplayers", "population", "resilience", "simulate"}


@pytest.mark.parametrize("name", discover())
def test_runs_tiny_and_reports_its_peer(name):
    results = importlib.import_module(f"benchmarks.bench_{name}").run(quick=True, tiny=True)
    assert results and all(isinstance(r, Result) for r in results)
    for r in results:
        assert r.name and math.isfinite(r.ours_s) and r.ours_s >= 0, r
        if r.peer:  # a peer named is a peer timed, and the ratio is peer / ours
            assert r.peer_s is not None and math.isfinite(r.peer_s), r
            assert r.ratio == pytest.approx(r.peer_s / r.ours_s), r
        if r.min_ratio is not None:  # a goal stated as a ratio is reported met or not
            assert r.goal and r.met in (True, False), r
    # the project's rule: speed is measured side by side with a peer
    assert any(r.peer and r.ratio is not None for r in results), [r.name for r in results]
    json.dumps([r.as_dict() for r in results])  # --json can write every result


def test_command_line_tiny_writes_json(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["--tiny", "--json", str(out), "generate"]) == 0
    printed = capsys.readouterr().out
    assert "== generate" in printed and "ratio" in printed and " vs " in printed
    rows = json.loads(out.read_text())
    assert rows and all({"name", "ours_s", "peer", "peer_s", "ratio"} <= row.keys()
                        for row in rows)
    with pytest.raises(SystemExit):  # one size at a time
        main(["--tiny", "--quick", "generate"])
