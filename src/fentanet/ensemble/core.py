"""``fentanet.ensemble``: Monte Carlo ensembles and parameter sweeps, on Dask, kept in the store."""

from __future__ import annotations

import contextlib
import importlib
import inspect
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from fentanet.ensemble.plan import (
    BASELINE,
    Variant,
    drawn_values,
    plan,
    sweep_points,
    uncertain_ranges,
    variants_from,
)
from fentanet.ensemble.results import Ensemble
from fentanet.ensemble.runner import Collector, connect, resolve_scheduler, run_tasks
from fentanet.errors import InputError, one_role, warn_run, whole_number
from fentanet.store.files import RunRecord, StoreError, new_id
from fentanet.store.store import RunStore


class EnsembleInterrupted(KeyboardInterrupt):
    """Ctrl-C during an ensemble; the runs finished before it are kept in the store.

    ``ensemble`` is the partial :class:`Ensemble` (``interrupted`` set).
    """

    def __init__(self, ensemble: Ensemble, finished: int, total: int) -> None:
        super().__init__(f"interrupted: {finished} of {total} runs finished and kept in "
                         f"{ensemble.store.root} (ensemble {ensemble.id})")
        self.ensemble = ensemble


def load_scenario(scenario: Any) -> Any:
    """A scenario object: names and paths go through ``fentanet.scenarios.load``."""
    if isinstance(scenario, str | os.PathLike):
        try:
            from fentanet.scenarios import load
        except ImportError:  # pragma: no cover - engine not installed
            raise InputError("fentanet.scenarios is not available in this installation; "
                             "pass a scenario object", field="scenario") from None
        return load(scenario)
    return scenario


def ensemble(scenario: Any, runs: int = 10, *, variants: Any = None,
             sweep: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]] | None = None,
             seed: int | None = None, scheduler: Any = None, workers: int | None = None,
             store: RunStore | str | os.PathLike[str] | None = None,
             progress: bool | Callable[[RunRecord], None] = True,
             model: Callable[..., Any] | None = None,
             write_on_workers: bool | None = None, baseline: bool = True,
             overrides: Mapping[str, Any] | None = None,
             uncertain: Mapping[str, Sequence[float]] | None = None,
             years: float | None = None) -> Ensemble:
    """Run a Monte Carlo ensemble, a comparison of variants, or a parameter sweep.

    Parameters
    ----------
    scenario
        A built-in scenario name, a YAML path, or a ``Scenario``.
    runs
        Runs (seeds) per variant and sweep point.
    variants
        ``None`` (the scenario as it is), a list of names the scenario defines, or a mapping
        name -> list of interventions (or -> mapping of dotted-path overrides). A
        ``baseline`` variant is added when missing. A variant's overrides may not set the
        horizon, step, seed, spin-up, calendar or network
        (:data:`~fentanet.simulate.scenario.WORLD_FIELDS`; :class:`InputError`): sweep
        them, or set them in ``overrides``.
    sweep
        ``{"dotted.path": [v1, v2, ...], ...}`` (every combination) or a list of points.
        Never the run seed (``seed``, ``runs`` give the seeds) nor a label
        (:data:`~fentanet.simulate.scenario.NOT_SWEPT`; :class:`InputError`).
    seed
        First seed (default: the scenario's seed, else 1). Run ``i`` of every variant and
        sweep point uses seed ``seed + i`` (common random numbers).
    scheduler
        ``None``: ``$FENTANET_SCHEDULER`` if set, else a new local Dask cluster with one
        worker process per core (``workers`` to choose), or this process when there is one
        run in all, one worker, or, ``workers`` not given, runs of ``fentanet.simulate``
        estimated to take less in all than the cluster's start (:func:`in_this_process`;
        a cluster would only add its start, seconds, to the runs; the results are the
        same); ``"local"``: a new local cluster in any case; a scheduler address
        (``"tcp://host:8786"``) or a ``dask.distributed.Client`` to use an existing
        cluster; ``"serial"`` to run in this process.
    store
        Where to keep the runs (a :class:`RunStore` or its path; default
        ``$FENTANET_STORE`` or ``./fentanet-runs``).
    progress
        Show a progress bar; or a function called with the record of each run as it
        finishes (the web app's progress).
    model
        The function making one run, with the signature of ``fentanet.simulate`` (default).
        It must be importable by the workers.
    write_on_workers
        Whether workers write the series files themselves (they must see the store's
        folder). Default: yes on the local cluster, no on a given scheduler.
    baseline
        Add a baseline to the variants given (default); false runs only those variants.
    overrides
        Dotted-path overrides applied to the scenario for every run (``{"years": 2}``);
        unlike changes made to a scenario object beforehand, they are recorded in each
        run's ``setup`` so that :func:`rerun` can reproduce it from the name alone. A sweep
        point's value of the same path replaces the override in that point's runs (the
        override is the base the sweep moves from, as calibration's designs use it; the
        CLI refuses ``--param`` and ``--set`` of one path), and so does a variant's own.
    uncertain
        Parameter uncertainty: ``{"dotted.path": (low, high), ...}``. Each seed draws one
        value of each from its range (uniform, or log-uniform for a positive range over a
        factor of 10; whole numbers for a whole-number field such as
        ``network.generate.actors``; :func:`~fentanet.ensemble.plan.draw_uncertain`), the
        same for every variant and sweep point at that seed, so the spread over seeds
        (quantiles, and those of the comparison) carries the parameters' uncertainty as
        well as the draws'; the interval of a mean is that of the mean over the ranges.
        The values are in each run's ``params`` (``summary()`` has a column of each);
        they are not sweep points. A parameter cannot be uncertain and swept, set in
        ``overrides`` or set by a variant at once (:class:`InputError`), nor a variant set
        a swept parameter; the run seed, the horizon, step and calendar year and the labels
        are never uncertain (:data:`~fentanet.simulate.scenario.NOT_UNCERTAIN`).
    years
        The horizon of every run: a shorthand for ``overrides={"years": years}`` (as
        ``years=`` of ``simulate`` and ``compare``, ``--years`` of the CLI), recorded as
        that override; given with an override of ``years`` too, :class:`InputError`.

    Returns
    -------
    Ensemble
        Quantiles, paired differences and the runs, read from the store.

    Raises
    ------
    EnsembleInterrupted
        On Ctrl-C, after keeping the finished runs.

    Example
    -------
    Naloxone against the baseline of the toy scenario on seeds 1 to 3, a year each, in
    this process and in a store of its own:

    >>> import tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> ens = ensemble("toy", runs=3, variants={"naloxone": [{"kind": "naloxone",
    ...                "intensity": 0.5}]}, years=1, store=folder.name, scheduler="serial",
    ...                progress=False)
    >>> table = ens.compare()
    >>> averted = table[table.outcome == "deaths averted"]
    >>> averted[["variant", "mean", "ci_low", "ci_high", "q05", "q95", "seeds"]].round(2)
        variant   mean  ci_low  ci_high   q05   q95  seeds
    0  naloxone  19.33   14.16     24.5  17.3  20.9      3
    >>> folder.cleanup()
    """
    if years is not None:
        if overrides is not None and "years" in overrides:
            raise InputError("the horizon is given twice: by years= and by overrides=; give "
                             "one", field="years")
        overrides = {**(overrides or {}), "years": years}
    runs = whole_number(runs, "runs", 1)
    check_size(runs, variants, sweep, baseline)
    seed = None if seed is None else whole_number(seed, "seed", 0)
    workers = None if workers is None else whole_number(workers, "workers", 1)
    sc, variant_list, points, ranges, seconds = _checked(
        scenario, variants, sweep, overrides, uncertain, baseline, networks=model is None)
    base: dict[str, Any] = {"scenario": scenario_source(scenario),
                            "overrides": dict(overrides or {})}
    if model is not None:
        base["model"] = reference(model)
    if ranges:
        base["uncertain"] = {k: list(v) for k, v in ranges.items()}
    base_seed = int(seed if seed is not None else getattr(sc, "seed", 1))
    last_seed = base_seed + max(int(runs), 1) - 1
    if not 0 <= base_seed <= last_seed < 2**63:
        raise InputError(f"the seeds {base_seed}..{last_seed} must lie in [0, 2**63)",
                         field="seed")
    from_env = scheduler is None  # $FENTANET_SCHEDULER, if set (connect says so)
    scheduler = resolve_scheduler(scheduler)
    from_env = from_env and scheduler is not None
    if not isinstance(store, RunStore):
        store = RunStore(store)
    store.check_writable()  # before any run, not after the first has been made
    eid = new_id()
    integer_field = getattr(sc, "integer_field", None)  # whole-number fields draw integers
    whole = [k for k in ranges if integer_field is not None and integer_field(k)]
    tasks = plan(runs, variant_list, points, base_seed, eid, base, ranges, whole)
    keys = list(dict.fromkeys(k for p in points for k in p))  # not variants' overrides
    result = Ensemble(eid, store, str(getattr(sc, "name", sc)), [v.name for v in variant_list],
                      [base_seed + i for i in range(int(runs))], keys, BASELINE,
                      uncertain=list(ranges))
    # the plan is kept before any run, so that an interrupted ensemble can be resumed
    store.save_plan(eid, plan_record(result, sc, base, variant_list, points, base_seed,
                                     int(runs), ranges, whole, tasks, seconds))
    if scheduler is None and in_this_process(len(tasks), workers, seconds):
        scheduler = "serial"
    _run(result, tasks, [], sc, model, None if from_env else scheduler, workers,
         progress, write_on_workers)
    return result


def _run(result: Ensemble, tasks: list[Any], all_ids: list[str], sc: Any,
         model: Callable[..., Any] | None, scheduler: Any, workers: int | None,
         progress: bool | Callable[[RunRecord], None], write_on_workers: bool | None) -> None:
    """Make ``tasks`` of the ensemble ``result`` and keep them in its store (what
    :func:`ensemble` and :func:`resume` share); ``all_ids``: the ensemble's runs made
    before (counted in an interruption's message). :class:`EnsembleInterrupted` on
    Ctrl-C, after keeping the finished runs."""
    store = result.store
    with _progress(progress, len(tasks), result.scenario) as on_run:
        collector = Collector(store, on_run=on_run)
        try:
            with connect(scheduler, workers) as client:
                result.notes = run_tasks(tasks, sc, model, client, collector,
                                         write_on_workers=write_on_workers)
        except KeyboardInterrupt:
            # the cluster is closed now: keep too the runs its workers wrote but whose
            # results had not come back, so that the catalog matches the files
            collector.adopt([t.run_id for t in tasks])
            result.interrupted = True
            raise EnsembleInterrupted(result, len(all_ids) + collector.done + collector.failed,
                                      len(all_ids) + len(tasks)) from None
        except StoreError:  # the store cannot keep runs (a full disk): those written stay
            with contextlib.suppress(StoreError, OSError):  # the catalog may refuse them too
                collector.adopt([t.run_id for t in tasks])
            raise


PLAN_FORMAT = 1
"""Version of the layout of a kept plan (:func:`plan_record`); newer ones are refused."""


def _plain(value: Any) -> Any:
    """``value`` as JSON keeps it: NumPy numbers as Python's, tuples as lists, an
    intervention as its fields that differ from the defaults (as a run's setup records it)."""
    import numpy as np

    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_defaults=True)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def plan_record(result: Ensemble, sc: Any, base: Mapping[str, Any], variants: list[Variant],
                points: list[dict[str, Any]], base_seed: int, runs: int,
                ranges: Mapping[str, tuple[float, float]], whole: Sequence[str],
                tasks: list[Any], seconds: Sequence[float]) -> dict[str, Any]:
    """What an ensemble keeps in its store before any run (``plans/<id>.json``), so that
    :func:`resume` makes its missing runs as it would have made them: the design (the
    variants, sweep points, first seed and number of seeds, the values each seed drew for
    the uncertain parameters), every run's id in the plan's order, the scenario the runs
    take (a fentanet scenario in full, with the overrides applied; else its name and
    digest), the model and the versions that started it."""
    from fentanet.build import recorded_version
    from fentanet.simulate.nploops import numpy_version
    from fentanet.simulate.scenario import Scenario

    scenario: dict[str, Any] = {"name": result.scenario,
                                "digest": sc.digest() if hasattr(sc, "digest") else ""}
    if isinstance(sc, Scenario):
        scenario["spec"] = sc.model_dump(mode="json")
        scenario["base_dir"] = sc.base_dir
    return {
        "format": PLAN_FORMAT, "ensemble": result.id, "created_at": _now(),
        "fentanet_version": recorded_version(), "numpy_version": numpy_version(),
        "scenario": scenario, "base": _plain(dict(base)),
        "variants": [{"name": v.name, "interventions": None if v.interventions is None
                      else _plain(list(v.interventions)), "overrides": _plain(dict(v.overrides))}
                     for v in variants],
        "points": _plain(points), "sweep": list(result.sweep), "first_seed": int(base_seed),
        "runs": int(runs), "uncertain": {k: list(v) for k, v in ranges.items()},
        "whole": list(whole),
        "drawn": _plain(drawn_values(tasks, runs, ranges)),
        "run_seconds": float(sum(seconds) / len(seconds)) if seconds else None,
        "run_ids": [t.run_id for t in tasks]}


LOST = "(outside the model:"
"""What the error of a run whose task failed outside the model holds (a worker or the
cluster lost: :func:`fentanet.ensemble.runner._lost`); :func:`resume` makes such runs
again, as they say nothing of the model."""


def resume(ensemble_id: str, store: RunStore | str | os.PathLike[str] | None = None, *,
           scheduler: Any = None, workers: int | None = None,
           progress: bool | Callable[[RunRecord], None] = True,
           model: Callable[..., Any] | None = None, scenario: Any = None,
           write_on_workers: bool | None = None) -> Ensemble:
    """Make the runs of an interrupted ensemble that are not in the store, from the plan it
    kept when it started (``plans/<id>.json``): the same runs (ids, seeds, variants, sweep
    points, uncertain values), into the same ensemble, so that its tables (``summary()``,
    ``quantiles()``, ``compare()``, ``save()``) are those of the ensemble made without the
    interruption, bit for bit. Returns the :class:`Ensemble`; its :attr:`~Ensemble.resumed`
    says how many runs this call made (0: it was complete, and nothing was done).

    Runs whose files a worker wrote but that were not registered (the coordinator killed)
    are registered first; a run that failed outside the model (a worker or the cluster
    lost) is made again; one the model failed stays failed, as it would fail again.

    The runs take the scenario kept with the plan (a fentanet scenario is kept in full):
    a scenario file changed since is not read (a :class:`~fentanet.errors.RunWarning` says
    it changed). Another kind of scenario is loaded by name as :func:`rerun` loads it, or
    given as ``scenario`` (with ``model``, a model outside fentanet), and refused when its
    digest is not the one kept. An ensemble started by another fentanet build or NumPy is
    refused: its remaining runs would not be those it planned (a run is determined by
    scenario, seed and version). ``scheduler``, ``workers``, ``progress`` and
    ``write_on_workers`` are :func:`ensemble`'s; the runs may go to another cluster.

    :class:`InputError` naming the ensemble when it is unknown, has no plan (made before
    plans were kept) or cannot be resumed; :class:`EnsembleInterrupted` on Ctrl-C, as
    :func:`ensemble`.
    """
    from fentanet.build import recorded_version
    from fentanet.simulate.nploops import numpy_version

    workers = None if workers is None else whole_number(workers, "workers", 1)
    if not isinstance(store, RunStore):
        store = RunStore(store, create=False)
    try:
        eid = store.resolve_ensemble(str(ensemble_id), plans=True)
    except StoreError as exc:
        raise InputError(str(exc), field="ensemble") from None
    doc = store.plan(eid)
    if doc is None:
        raise InputError(f"ensemble {eid} kept no plan (it was made by a fentanet before "
                         f"plans were kept, session 22), so its missing runs are not known: "
                         f"make the ensemble again", field="ensemble")
    fmt = doc.get("format")
    if not isinstance(fmt, int) or fmt > PLAN_FORMAT:
        raise InputError(f"the plan of ensemble {eid} has format {fmt!r}, newer than this "
                         f"fentanet reads ({PLAN_FORMAT}); upgrade fentanet", field="ensemble")
    made_by = (doc.get("fentanet_version"), doc.get("numpy_version"))
    this = (recorded_version(), numpy_version())
    if made_by != this:
        raise InputError(
            f"ensemble {eid} was started by fentanet {made_by[0]} with NumPy {made_by[1]}; "
            f"this is fentanet {this[0]} with NumPy {this[1]}: its remaining runs would not "
            f"be those it planned (a run is determined by scenario, seed and version); resume "
            f"it with the fentanet that started it, or make the ensemble again",
            field="ensemble")
    try:
        base = dict(doc["base"])
        variants = [Variant(v["name"], None if v["interventions"] is None
                            else tuple(v["interventions"]), dict(v["overrides"]))
                    for v in doc["variants"]]
        points = [dict(p) for p in doc["points"]]
        runs, first = int(doc["runs"]), int(doc["first_seed"])
        ranges = {k: (float(a), float(b)) for k, (a, b) in doc["uncertain"].items()}
        drawn = doc["drawn"] if ranges else None
        run_ids = [str(r) for r in doc["run_ids"]]
        kept = doc["scenario"]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"the plan of ensemble {eid} ({store.root}/plans/{eid}.json) is "
                         f"damaged ({type(exc).__name__}: {exc}); it cannot be resumed",
                         field="ensemble") from None
    if model is None and base.get("model"):
        model = resolve(base["model"])
    sc = _plan_scenario(eid, kept, base, model, scenario)
    tasks = plan(runs, variants, points, first, eid, base, ranges, doc.get("whole") or (),
                 run_ids=run_ids, drawn=drawn)
    if len(tasks) != len(run_ids):
        raise InputError(f"the plan of ensemble {eid} is damaged: {len(run_ids)} run ids for "
                         f"{len(tasks)} runs", field="ensemble")
    from_env = scheduler is None
    scheduler = resolve_scheduler(scheduler)
    from_env = from_env and scheduler is not None
    store.check_writable()
    # runs a worker wrote but that were never registered (the coordinator killed) first
    Collector(store).adopt(run_ids)
    stored = store.runs(ensemble=eid)
    lost = stored[(stored.status == "failed")
                  & stored.error.fillna("").str.contains(LOST, regex=False)].run_id.tolist()
    have = set(stored.run_id) - set(lost)
    todo = [t for t in tasks if t.run_id not in have]
    result = Ensemble(eid, store, str(kept.get("name", getattr(sc, "name", sc))),
                      [v.name for v in variants], [first + i for i in range(runs)],
                      list(doc.get("sweep") or []), BASELINE, uncertain=list(ranges))
    if not todo:
        return result
    if lost:  # made again under their ids
        store.delete(lost, plans=False)  # its plan kept: it may be stopped again
    seconds = [doc["run_seconds"]] if doc.get("run_seconds") else []
    if scheduler is None and in_this_process(len(todo), workers, seconds):
        scheduler = "serial"
    done = [t.run_id for t in tasks if t.run_id in have]
    result.resumed = len(todo)
    _run(result, todo, done, sc, model, None if from_env else scheduler, workers, progress,
         write_on_workers)
    return result


def _plan_scenario(eid: str, kept: Mapping[str, Any], base: Mapping[str, Any],
                   model: Callable[..., Any] | None, given: Any) -> Any:
    """The scenario the runs of a kept plan take: the one kept in full (a fentanet
    scenario), else the one named (or ``given``) with the ensemble's overrides, refused
    when its digest is not the one kept."""
    digest = kept.get("digest") or ""
    source = base.get("scenario")
    overrides = dict(base.get("overrides") or {})
    if kept.get("spec") is not None and given is None:
        from fentanet.simulate.scenario import from_dict

        sc = from_dict(dict(kept["spec"]), base_dir=kept.get("base_dir"))
        if digest and sc.digest() != digest:
            raise InputError(f"the scenario kept with ensemble {eid} reads back with another "
                             f"digest ({sc.digest()[:12]}, kept {digest[:12]}); it cannot be "
                             f"resumed", field="ensemble")
        try:  # what the name stands for now: said when it changed, never used
            now = load_scenario(source)
            now = now.override(overrides) if overrides else now
            changed = now.digest() != digest
        except Exception:  # moved, removed or invalid now: not used anyway
            changed = True
        if changed:
            warn_run(f"the scenario {source!r} has changed since ensemble {eid} started (or "
                     f"cannot be read); its runs are made from the scenario kept with its "
                     f"plan (digest {digest[:12]})")
        return sc
    loader = getattr(model, "load_scenario", load_scenario)
    sc = loader(source) if given is None else load_scenario(given)
    sc = sc.override(overrides) if overrides else sc
    now = sc.digest() if hasattr(sc, "digest") else ""
    if digest and now != digest:
        raise InputError(f"the scenario {source!r} has changed since ensemble {eid} started "
                         f"(digest {now[:12]}, kept {digest[:12]}): its remaining runs would "
                         f"differ; resume it with the scenario it started with (scenario=), "
                         f"or make the ensemble again", field="scenario")
    return sc


def _now() -> str:
    from fentanet.store.files import utcnow

    return utcnow().isoformat()


MAX_RUNS = 1_000_000
"""The most runs one ensemble takes (runs x variants x sweep points): its plan keeps about
1.3 KB a run in memory (1.3 GB at the cap, 12 s to make) and the catalog registers runs at
about 0.5 ms each (8 minutes at the cap). ``--runs 100000000`` took 9 GB of memory before
its first run, saying nothing, until the twentieth session. A bigger design is split into
several ensembles (every run is kept in the store)."""


def check_size(runs: int, variants: Any, sweep: Any, baseline: bool = True) -> None:
    """Refuse an ensemble of more than :data:`MAX_RUNS` runs, counted from the number of
    runs, variants and sweep points without making them (:class:`InputError`)."""
    n_variants = len(variants_from(variants, add_baseline=baseline))
    if sweep is None:
        n_points = 1
    elif isinstance(sweep, Mapping):
        n_points = 1
        for vals in sweep.values():
            n_points *= 1 if isinstance(vals, str | bytes) or not hasattr(vals, "__len__") \
                else max(len(vals), 1)
    else:
        n_points = max(len(sweep), 1) if hasattr(sweep, "__len__") else 1
    total = runs * n_variants * n_points
    if total > MAX_RUNS:
        raise InputError(f"{total:,} runs ({runs:,} runs x {n_variants} variant"
                         f"{'s' * (n_variants != 1)} x {n_points:,} sweep point"
                         f"{'s' * (n_points != 1)}) in one ensemble; it takes at most "
                         f"{MAX_RUNS:,}: split the design into several ensembles",
                         field="runs")


def check_inputs(scenario: Any, *, variants: Any = None,
                 sweep: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]] | None = None,
                 overrides: Mapping[str, Any] | None = None,
                 uncertain: Mapping[str, Sequence[float]] | None = None,
                 baseline: bool = True, networks: bool = True) -> None:
    """Check the inputs of an :func:`ensemble` as it does before any run, without running:
    the variants, sweep points, overrides and uncertain ranges (each range's ends applied
    to the scenario; no parameter given two roles) and, with ``networks``, each distinct
    network the runs would use (built once). :class:`InputError` naming the field. The web
    app checks a request with it before queueing the job."""
    _checked(scenario, variants, sweep, overrides, uncertain, baseline, networks=networks)


LOCAL_START_SECONDS = 5.0
"""What starting a local Dask cluster costs before its first run: seconds (2 worker
processes that import fentanet and load its compiled kernels, measured 5-6 s on 2 cores;
more on a loaded machine)."""


def in_this_process(n_tasks: int, workers: int | None,
                    seconds: Sequence[float] | Callable[[], Sequence[float]]) -> bool:
    """Whether an ensemble given no scheduler runs in this process rather than on a new
    local cluster: one run in all, one worker (``workers``, else the cores), or, when no
    number of workers was asked for, runs estimated to take ``seconds`` each (none: not
    known; a function giving them is called only when they decide) that take less in all
    than a cluster's start (:func:`short`). A cluster would only add its start to such
    runs, with the same results."""
    if n_tasks == 1 or (workers or os.cpu_count() or 1) == 1:
        return True
    if workers is not None:
        return False
    seconds = seconds() if callable(seconds) else seconds
    return bool(seconds) and short(seconds, n_tasks)


def short(seconds: Sequence[float], n_tasks: int) -> bool:
    """Whether ``n_tasks`` runs, each estimated to take the mean of ``seconds`` in this
    process (:func:`fentanet.simulate.run.run_seconds`), take less time one after another
    than a local cluster takes to start (:data:`LOCAL_START_SECONDS`): then a cluster
    cannot win (20 toy runs: 5.5 s in this process against 10.2 s on a local cluster of 2)."""
    return sum(seconds) / len(seconds) * n_tasks < LOCAL_START_SECONDS


def _checked(scenario: Any, variants: Any, sweep: Any, overrides: Mapping[str, Any] | None,
             uncertain: Mapping[str, Sequence[float]] | None, baseline: bool, *,
             networks: bool) -> tuple[Any, list[Variant], list[dict[str, Any]],
                                      dict[str, tuple[float, float]], list[float]]:
    """The scenario (with ``overrides``), variants, sweep points and uncertain ranges of an
    ensemble, checked before any run (:func:`check_inputs`), and with ``networks`` the
    estimated seconds of one run of each checked combination (:func:`check_networks`)."""
    sc = load_scenario(scenario)
    if overrides:
        sc = sc.override(dict(overrides))
    variant_list = variants_from(variants, add_baseline=baseline)
    points = sweep_points(sweep)
    ranges = uncertain_ranges(uncertain)
    swept = {k for p in points for k in p}
    from fentanet.simulate.scenario import check_drawn_and_swept, check_variant_overrides

    if hasattr(sc, "override"):  # a fentanet scenario: never the run seed, nor the horizon,
        check_drawn_and_swept(ranges, sorted(swept))  # step or calendar drawn
    for v in variant_list:  # never the horizon, step, seed or world (common random numbers)
        check_variant_overrides(v.name, v.overrides)
    # a parameter drawn per seed, or swept, must not be replaced by another value without a
    # word; a sweep point does replace an override of its own path (calibration's designs
    # move a parameter from the model's fixed value this way), and a variant's override one
    # set for every run (the variant differs from the baseline there)
    one_role({"swept": swept, "uncertain": ranges}, field="uncertain")
    one_role({"set for every run": overrides or {}, "uncertain": ranges}, field="uncertain")
    for v in variant_list:
        if v.overrides:
            one_role({f"set by variant {v.name!r}": v.overrides, "uncertain": ranges},
                     field="uncertain")
            one_role({f"set by variant {v.name!r}": v.overrides, "swept": swept},
                     field="variants")
    if hasattr(sc, "override"):  # each range's ends, alone: a message naming the range
        for k, (low, high) in ranges.items():
            for end in (low, high):
                try:
                    sc.override({k: end})
                except InputError as exc:
                    raise InputError(f"uncertain {k}={low:g}:{high:g}: {exc.detail}",
                                     field=exc.field) from None
    # each range's ends stand for the values drawn between them
    ends = [{**p, **{k: v[i] for k, v in ranges.items()}} for p in points for i in (0, 1)] \
        if ranges else points
    check_variants(sc, variant_list)
    check_overrides(sc, variant_list, ends)
    seconds = check_networks(sc, variant_list, ends) if networks else []
    return sc, variant_list, points, ranges, seconds


def scenario_source(scenario: Any) -> str:
    """How a run's setup names its scenario: the built-in name or the YAML file's absolute
    path as given; for an object, its ``source`` (the name or path it was loaded from) when
    it has one, else its name."""
    source = getattr(scenario, "source", None)
    if isinstance(source, str) and source:
        return source
    if isinstance(scenario, str | os.PathLike):
        path = Path(scenario)
        return str(path.resolve()) if path.suffix in (".yaml", ".yml") or path.exists() \
            else str(scenario)
    return str(getattr(scenario, "name", scenario))


def reference(function: Any) -> str:
    """``"module:qualname"``, the name a run's setup records a model function by (for
    :func:`rerun`); :func:`resolve` imports it back."""
    return f"{getattr(function, '__module__', '?')}:{getattr(function, '__qualname__', '?')}"


_RUN_MODELS: set[str] = set()
"""The references of the functions marked by :func:`run_model`."""


def run_model(function: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a module-level function of fentanet as a model a stored run may name: what
    :func:`resolve` (and so :func:`rerun`) imports from a run's setup (``fentanet.simulate``,
    the default, always is one)."""
    _RUN_MODELS.add(reference(function))
    return function


def resolve(ref: str) -> Any:
    """The object named ``"module:qualname"`` (:func:`reference`) in fentanet's own modules;
    :class:`InputError` when it is elsewhere (a store is data: what it names is never
    imported from outside fentanet; pass such a model to :func:`rerun` as ``model=``) or
    cannot be imported (a function defined inside another)."""
    module, _, qualname = str(ref).partition(":")
    parts = module.split(".")
    if parts[0] != "fentanet" or not all(p.isidentifier() and p != "__main__" for p in parts):
        # never a module outside fentanet, nor one that runs a program when imported
        raise InputError(f"the run was made by the model {ref!r}, outside fentanet: pass that "
                         f"function as model= to fentanet.ensemble.rerun to make it again",
                         field="model")
    try:
        obj: Any = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError, ValueError) as exc:
        raise InputError(f"cannot import {ref!r} ({type(exc).__name__}: {exc}); a model must "
                         f"be a module-level function to make its runs again",
                         field="model") from None
    # what fentanet defines under that very name: not an object reached through it (a module
    # it imports, such as os, or a name it imported from elsewhere)
    if not callable(obj) or isinstance(obj, type) or reference(obj) != f"{module}:{qualname}":
        raise InputError(f"the run was made by the model {ref!r}, which is not a function "
                         f"fentanet defines under that name: pass the model as model= to "
                         f"fentanet.ensemble.rerun to make it again", field="model")
    from fentanet.ensemble.runner import _default_model

    if ref not in _RUN_MODELS and ref != reference(_default_model()):
        raise InputError(f"the run names {ref!r}, which is not a run model (fentanet.simulate "
                         f"or a function marked with fentanet.ensemble.run_model): pass the "
                         f"model as model= to fentanet.ensemble.rerun to make it again",
                         field="model")
    return obj


def rerun(run_id: str, store: RunStore | str | os.PathLike[str] | None = None, *,
          model: Callable[..., Any] | None = None) -> Any:
    """Make a stored run again from its record alone: the scenario as named in its
    ``setup``, with the overrides and the full list of interventions recorded there, at
    its seed, by the model recorded there (``fentanet.simulate`` unless the ensemble was
    given ``model=``; ``model`` here replaces it). Returns the model's result (a
    ``fentanet.simulate`` ``Result``), whose series equal the stored ones for the same
    fentanet build and NumPy. A model function may bring its own ``load_scenario`` attribute, the
    function that turns the recorded scenario name into the object the overrides apply to
    (calibration's ``run_observed`` does: its overrides include the fentanyl transition).

    :class:`InputError` if the run was stored without a setup (by an older fentanet), or
    if the scenario has changed since (its digest differs from the recorded one). A run
    made by another build of fentanet (:func:`fentanet.build.build`, recorded in its
    ``fentanet_version``), before builds were recorded, or with another NumPy is made again
    with a :class:`~fentanet.errors.RunWarning` saying so: its results may differ.
    """
    from fentanet.ensemble.runner import _default_model

    st = store if isinstance(store, RunStore) else RunStore(store, create=False)
    row = st.runs([run_id]).iloc[0]
    setup = row["setup"]
    if not setup or "interventions" not in setup:
        why = ("it failed before its interventions were known" if setup
               else "it was stored without its setup (by an older fentanet)")
        raise InputError(f"run {row.run_id} cannot be made again: {why}", field="run_id")
    for key, kind in (("scenario", str), ("interventions", list), ("overrides", dict)):
        value = setup.get(key, {} if key == "overrides" else None)
        if not isinstance(value, kind):
            raise InputError(f"run {row.run_id} cannot be made again: its setup's {key!r} "
                             f"is {value!r}, expected a {kind.__name__}", field=f"setup.{key}")
    if model is None:
        model = resolve(setup["model"]) if setup.get("model") else _default_model()
    label = None if row.variant == BASELINE else row.variant
    try:
        inspect.signature(model).bind(None, seed=0, variant=label, interventions=[])
    except (TypeError, ValueError) as exc:
        raise InputError(f"run {row.run_id} cannot be made again: the model {reference(model)} "
                         f"does not take (scenario, seed=, variant=, interventions=) ({exc})",
                         field="model") from None
    sc = getattr(model, "load_scenario", load_scenario)(setup["scenario"])
    sc = sc.override({**setup.get("overrides", {}), "interventions": setup["interventions"]})
    if row.digest and hasattr(sc, "digest") and sc.digest() != row.digest:
        raise InputError(f"run {row.run_id}: the scenario {setup['scenario']!r} has changed "
                         f"since the run (digest {sc.digest()[:12]}, recorded "
                         f"{row.digest[:12]})", field="scenario")
    other = other_build(row.get("fentanet_version"), row.get("numpy_version"))
    if other:
        warn_run(f"run {row.run_id} was made by {other}: results may differ")
    return model(sc, seed=int(row.seed), variant=label, interventions=[])


def other_build(fentanet_version: str | None, numpy_version: str | None) -> str | None:
    """How the engine that made a run differs from this one, from its recorded versions
    (``None`` when it is this build with this NumPy): another fentanet build
    (:func:`fentanet.build.build`), a build not recorded (runs stored before builds were)
    or unknown on either side, or another NumPy (whose generators the draws come from) or the
    same with the other math loops (:func:`fentanet.simulate.nploops.numpy_version`)."""
    from fentanet.build import UNKNOWN, build, build_of
    from fentanet.simulate.nploops import numpy_version as this_numpy

    made = build_of(fentanet_version)
    said = []
    if made is None:
        said.append(f"fentanet {fentanet_version or '(version not recorded)'}, before builds "
                    f"were recorded (this is build {build()})")
    elif UNKNOWN in (made, build()):
        said.append(f"fentanet build {made} (this is build {build()}; a build is unknown when "
                    "a file of its package could not be read, and cannot be compared)")
    elif made != build():
        said.append(f"another fentanet build ({made}; this is {build()})")
    if numpy_version and numpy_version != this_numpy():  # or NumPy's loops against our own
        said.append(f"NumPy {numpy_version} (this is {this_numpy()})")
    return " and ".join(said) or None


def check_variants(scenario: Any, variants: Sequence[Any]) -> None:
    """Each variant given by name only is one of the scenario's strategies (a misspelt name
    would run as a copy of the baseline and compare as 'no effect'), and each variant's own
    interventions are valid, before any run (not an ensemble of failed runs)."""
    strategies = getattr(scenario, "strategies", None)
    if strategies is not None:
        unknown = [v.name for v in variants if v.interventions is None and
                   v.name != BASELINE and v.name not in strategies]
        if unknown:
            from fentanet.simulate.scenario import no_strategy

            raise no_strategy(scenario, unknown)
    if hasattr(scenario, "with_interventions"):
        from fentanet.simulate.scenario import variant_interventions

        for v in variants:
            if v.interventions:
                variant_interventions(v.name, v.interventions)


def check_overrides(scenario: Any, variants: Sequence[Any], points: Sequence[Mapping[str, Any]]
                    ) -> None:
    """Apply every sweep point and variant override to ``scenario`` once, before any run, so
    that a misspelt parameter or a value of the wrong type is an :class:`InputError` (naming
    the field) rather than an ensemble of failed runs."""
    if not hasattr(scenario, "override"):
        return  # a custom model's scenario: its runs report their own errors
    seen: set[str] = set()
    for point in points:
        for v in variants:
            overrides = {**point, **v.overrides}
            key = repr(sorted(overrides.items(), key=lambda kv: kv[0]))
            if not overrides or key in seen:
                continue
            seen.add(key)
            try:
                scenario.override(overrides)
            except InputError as exc:
                where = f"variant {v.name!r}" if v.overrides else "sweep point"
                raise InputError(f"{where} {overrides}: {exc.detail}",
                                 field=exc.field) from None


def check_networks(scenario: Any, variants: Sequence[Any],
                   points: Sequence[Mapping[str, Any]]) -> list[float]:
    """Build each distinct network the runs of ``fentanet.simulate`` will use, once, before
    any run (:func:`fentanet.simulate.run.check_network`), so that a missing or broken
    network file, a bad generator spec or an untyped network is an :class:`InputError`
    rather than an ensemble of failed runs. Returns the estimated seconds of one run of
    each point and variant (:func:`fentanet.simulate.run.run_seconds`; none for another
    kind of scenario)."""
    from fentanet.simulate.run import check_network, run_seconds
    from fentanet.simulate.scenario import Scenario

    if not isinstance(scenario, Scenario):
        return []
    actors: dict[str, int] = {}
    seconds = []
    for point in points:
        for v in variants:
            overrides = {**point, **v.overrides}
            sc = scenario.override(overrides) if overrides else scenario
            net = sc.network
            seed = sc.seed if net.generate is not None and net.seed is None else None
            key = repr((net.model_dump(mode="json"), seed, sc.base_dir))
            if key not in actors:
                actors[key] = check_network(sc)
            seconds.append(run_seconds(sc, actors[key]))
    return seconds


@contextlib.contextmanager
def _progress(show: bool | Callable[[RunRecord], None], total: int, name: str
              ) -> Iterator[Callable[[RunRecord], None] | None]:
    if callable(show):
        yield show
        return
    if not show:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("[red]{task.fields[failed]}"), TimeElapsedColumn(),
                   TimeRemainingColumn(), console=Console(stderr=True))
    task = bar.add_task(f"{name} runs", total=total, failed="")
    failed = 0

    def on_run(record: RunRecord) -> None:
        nonlocal failed
        if record.status == "failed":
            failed += 1
        bar.update(task, advance=1, failed=f"{failed} failed" if failed else "")

    with bar:
        yield on_run
