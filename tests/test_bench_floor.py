"""The floor benchmark (benchmarks/floor.py) records the step's compiled calls without
changing the run, covers the phases' kernels, and puts every kernel back afterwards."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from numba.core.registry import CPUDispatcher

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # benchmarks/ is a package at the project root
    sys.path.insert(0, str(ROOT))

from benchmarks import floor  # noqa: E402

from fentanet.simulate.loop import Sim  # noqa: E402
from fentanet.simulate.phases import distribution, shipping  # noqa: E402
from fentanet.simulate.run import build_network, prepare  # noqa: E402


def test_recording_leaves_the_run_as_it_is_and_restores_the_kernels():
    sc = prepare("toy", years=0.25)
    net = build_network(sc)
    plain = Sim(sc, net, 3)
    for _ in range(4):
        plain.run_step()
    recorded = Sim(sc, net, 3)
    calls, _ = floor._record(recorded, start=2, steps=2)
    assert recorded.step == 4
    assert recorded.rows == plain.rows
    for name in recorded.flows:
        np.testing.assert_array_equal(recorded.flows[name], plain.flows[name])
    labels = {label for label, *_ in calls}
    assert {"distribution._distribute", "shipping._route_stage", "shipping._lab_stage",
            "population._step", "record._tally", "enforcement._detect"} <= labels
    assert sum(c[0] == "distribution._distribute" for c in calls) == 2  # once a step
    assert isinstance(distribution._distribute, CPUDispatcher)
    assert isinstance(shipping._route_plan, CPUDispatcher)
    # a replay runs the recorded call on copies: the recorded arguments are not touched
    # (distribution moves product and cash in place)
    _, f, args, kw, _ = next(c for c in calls if c[0] == "distribution._distribute")
    before = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    floor._warm(f, args, kw)
    for a, b in zip(args, before, strict=True):
        np.testing.assert_array_equal(a, b)



def test_recording_without_copies_times_the_same_calls_and_keeps_no_arguments():
    """The run that times the calls in the step (no copies) makes the same calls, in the
    same order, as the run that keeps their arguments, and leaves the run as it is."""
    sc = prepare("toy", years=0.25)
    net = build_network(sc)
    kept, _ = floor._record(Sim(sc, net, 3), start=2, steps=2)
    bare_sim = Sim(sc, net, 3)
    bare, _ = floor._record(bare_sim, start=2, steps=2, copies=False)
    assert [c[0] for c in bare] == [c[0] for c in kept]
    assert all(c[2] is None and c[3] is None and c[4] >= 0.0 for c in bare)
    plain = Sim(sc, net, 3)
    for _ in range(4):
        plain.run_step()
    assert bare_sim.rows == plain.rows
