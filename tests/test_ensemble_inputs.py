"""Bad input to ``fentanet.ensemble`` and ``Ensemble.load`` is refused by name before any
run: counts and seeds, strategies the scenario does not have, invalid interventions."""

from __future__ import annotations

import pytest

import fentanet
from fentanet.ensemble import Ensemble
from fentanet.errors import InputError
from fentanet.store import RunStore, StoreError


def _counting_model():
    calls: list[int] = []

    def model(scenario, seed=1, variant=None, interventions=None):  # pragma: no cover
        calls.append(seed)
        raise AssertionError("no run should be made")

    return model, calls


@pytest.mark.parametrize(("kw", "field", "shown"), [
    ({"runs": 2.5}, "runs", "2.5"),          # was 2 runs, silently
    ({"runs": None}, "runs", "None"),        # was a TypeError
    ({"runs": 0}, "runs", "0"),
    ({"seed": 1.5}, "seed", "1.5"),          # was seed 1, silently
    ({"seed": "abc"}, "seed", "'abc'"),      # was a ValueError
    ({"seed": -2}, "seed", "-2"),
    ({"workers": 0}, "workers", "0"),        # was one worker per core, silently
    ({"workers": 1.5}, "workers", "1.5"),
    ({"runs": True}, "runs", "True"),
])
def test_counts_and_seeds_must_be_whole_numbers(tmp_path, kw, field, shown):
    model, calls = _counting_model()
    args = {"runs": 2, "scheduler": "serial", "store": tmp_path / "s", "progress": False,
            "model": model, **kw}
    with pytest.raises(InputError, match=f"field '{field}': expected a whole number") as exc:
        fentanet.ensemble("toy", **args)
    assert exc.value.detail.endswith(f"got {shown}")
    assert calls == []


def test_whole_numbers_given_as_text_or_numpy_are_taken(tmp_path):
    import numpy as np

    ens = fentanet.ensemble("toy", runs="2", seed=np.int64(4), scheduler="serial",
                            store=tmp_path / "s", progress=False, overrides={"years": 0.05})
    assert ens.seeds == [4, 5]
    assert sorted(ens.summary().seed) == [4, 5]


def test_a_misspelt_strategy_is_refused_not_run_as_the_baseline(tmp_path):
    """'lab_raids' for the toy's 'lab-raids' ran a copy of the baseline labelled lab_raids,
    whose comparison said the strategy averts nothing (fentanet.compare refused it)."""
    model, calls = _counting_model()
    with pytest.raises(InputError, match=r"field 'variants': scenario 'toy' has no strategy "
                                         r"'lab_raids'; it has lab-raids, "):
        fentanet.ensemble("toy", runs=1, variants=["naloxone", "lab_raids"],
                          scheduler="serial", store=tmp_path / "s", progress=False,
                          model=model)
    assert calls == []


def test_an_invalid_intervention_of_a_variant_is_refused_before_any_run(tmp_path):
    """Was one failed run per seed, each with the same validation error."""
    model, calls = _counting_model()
    with pytest.raises(InputError, match=r"variant 'x', interventions\[0\]\.kind: .*'lab_raids'"
                       ) as exc:
        fentanet.ensemble("toy", runs=2, variants={"x": [{"kind": "nalox"}]},
                          scheduler="serial", store=tmp_path / "s", progress=False,
                          model=model)
    assert exc.value.field == "variants"
    assert calls == []


def test_load_takes_the_store_path_and_never_creates_a_store(tmp_path, monkeypatch):
    ens = fentanet.ensemble("toy", runs=1, scheduler="serial", store=tmp_path / "s",
                            progress=False, overrides={"years": 0.05})
    again = Ensemble.load(tmp_path / "s", ens.id)  # was AttributeError: 'str' ... 'runs'
    assert again.id == ens.id and again.seeds == ens.seeds
    assert again.summary().deaths_total.tolist() == ens.summary().deaths_total.tolist()
    assert Ensemble.load(str(tmp_path / "s"), ens.id).variants == ["baseline"]
    assert Ensemble.load(RunStore(tmp_path / "s"), ens.id).id == ens.id
    # a unique prefix, as the command line takes one; none or several: field 'ensemble'
    assert Ensemble.load(tmp_path / "s", ens.id[:6]).id == ens.id
    from fentanet.ensemble import core

    monkeypatch.setattr(core, "new_id", lambda: ens.id[:4] + "0" * 12)  # a shared prefix
    fentanet.ensemble("toy", runs=1, scheduler="serial", store=tmp_path / "s",
                      progress=False, overrides={"years": 0.05, "seed": 2})
    with pytest.raises(InputError, match="is ambiguous: it matches") as exc:
        Ensemble.load(tmp_path / "s", ens.id[:4])
    assert exc.value.field == "ensemble"
    with pytest.raises(InputError, match="no ensemble 'zz' in the store") as exc:
        Ensemble.load(tmp_path / "s", "zz")
    assert exc.value.field == "ensemble"
    (tmp_path / "afile").write_text("")  # a file where the store would be (review s15)
    with pytest.raises(StoreError, match="afile is a file, not a folder"):
        RunStore(tmp_path / "afile")
    with pytest.raises(StoreError, match="no run store at"):
        Ensemble.load(tmp_path / "typo", ens.id)
    assert not (tmp_path / "typo").exists()


@pytest.mark.parametrize(("runs", "workers", "variants"), [
    (1, None, None),        # one run in all
    (3, 1, ["baseline", "lab-raids"]),  # one worker
    (4, None, ["baseline", "lab-raids"]),  # 8 toy runs of 0.05 years: under a second
])
def test_one_run_or_one_worker_runs_in_this_process(tmp_path, monkeypatch, runs, workers,
                                                    variants):
    """No local cluster is started for one run in all, one worker, or runs shorter in all
    than its start: it would only add its start (seconds; 5-18 s on a loaded machine) to
    the runs, with the same results."""
    from fentanet.ensemble import runner

    monkeypatch.delenv(runner.SCHEDULER_ENV, raising=False)

    def no_cluster(n):  # pragma: no cover
        raise AssertionError("a local cluster was started")

    monkeypatch.setattr(runner, "_start_local", no_cluster)
    ens = fentanet.ensemble("toy", runs=runs, workers=workers, variants=variants,
                            store=tmp_path / "s", progress=False, overrides={"years": 0.05},
                            baseline=variants is None)
    assert len(ens.runs()) == runs * len(variants or ["baseline"])
    assert (ens.runs()["status"] == "done").all()
    # the same series as a direct run of the same seed
    direct = fentanet.simulate("toy", seed=ens.seeds[0], years=0.05).series
    got = ens.series(variant="baseline")
    got = got[got["seed"] == ens.seeds[0]]
    assert got["overdose_deaths"].tolist() == direct["overdose_deaths"].tolist()


class _Started(Exception):
    """Raised in place of starting a local cluster."""


@pytest.mark.parametrize(("runs", "years", "scheduler"), [
    (4, 50.0, None),      # 4 runs of 2,652 steps: about 6 s one after another
    (4, 0.05, None),      # short runs, but 2 workers asked for
    (1, 0.05, "local"),   # asked for: even one short run
])
def test_long_runs_workers_or_local_start_a_local_cluster(tmp_path, monkeypatch, runs, years,
                                                          scheduler):
    from fentanet.ensemble import runner

    monkeypatch.delenv(runner.SCHEDULER_ENV, raising=False)
    started: list[int] = []

    def start(n):
        started.append(n)
        raise _Started

    monkeypatch.setattr(runner, "_start_local", start)
    with pytest.raises(_Started):
        fentanet.ensemble("toy", runs=runs, workers=2, scheduler=scheduler,
                          store=tmp_path / "s", progress=False, overrides={"years": years})
    assert started == [2]


def test_run_seconds_short_and_where_by_hand(monkeypatch):
    from fentanet.ensemble.core import in_this_process, short
    from fentanet.scenarios import load
    from fentanet.simulate.run import run_seconds

    toy = load("toy")  # 2 years and 1 of spin-up, weekly: 156 steps
    assert run_seconds(toy, 300) == pytest.approx(0.1 + 300 * 5e-6 + 156 * (5e-4 + 300 * 1e-7))
    assert short([0.5, 1.5], 4)          # 4 runs of 1 s: 4 s
    assert not short([0.5, 1.5], 5)      # 5 s: the cluster's start (5 s)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert in_this_process(1, None, [])             # one run
    assert in_this_process(8, 1, [])                # one worker
    assert in_this_process(4, None, [1.0])          # 4 s
    assert not in_this_process(5, None, [1.0])      # 5 s
    assert not in_this_process(4, None, [])         # not known
    assert not in_this_process(4, 2, [1.0])         # workers asked for
    called = []
    assert not in_this_process(4, 2, lambda: called.append(1) or [1.0])
    assert called == []                             # the estimate only where it decides
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert in_this_process(40, None, [100.0])       # one core


def test_years_is_the_horizon_override_as_in_simulate_and_compare(tmp_path):
    # docs/runs.md told ensemble users to pass years=, which raised a TypeError
    ens = fentanet.ensemble("toy", runs=1, years=0.5, store=tmp_path / "s",
                            scheduler="serial", progress=False)
    assert ens.runs().setup.iloc[0]["overrides"] == {"years": 0.5}
    ref = fentanet.simulate("toy", ens.seeds[0], years=0.5).series
    got = ens.series().drop(columns=["run_id", "variant", "seed"])
    assert len(got) == len(ref) == 26
    assert got["deaths"].tolist() == ref["deaths"].tolist()
    model, calls = _counting_model()
    with pytest.raises(InputError) as exc:
        fentanet.ensemble("toy", runs=1, years=1, overrides={"years": 2}, model=model,
                          store=tmp_path / "s", scheduler="serial", progress=False)
    assert str(exc.value) == ("field 'years': the horizon is given twice: by years= and by "
                              "overrides=; give one")
    assert calls == []
