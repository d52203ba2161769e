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
    if scheduler is None and in_this_process(len(tasks), workers, seconds):
        scheduler = "serial"
    keys = list(dict.fromkeys(k for p in points for k in p))  # not variants' overrides
    result = Ensemble(eid, store, str(getattr(sc, "name", sc)), [v.name for v in variant_list],
                      [base_seed + i for i in range(int(runs))], keys, BASELINE,
                      uncertain=list(ranges))
    with _progress(progress, len(tasks), result.scenario) as on_run:
        collector = Collector(store, on_run=on_run)
        try:
            with connect(None if from_env else scheduler, workers) as client:
                result.notes = run_tasks(tasks, sc, model, client, collector,
                                         write_on_workers=write_on_workers)
        except KeyboardInterrupt:
            # the cluster is closed now: keep too the runs its workers wrote but whose
            # results had not come back, so that the catalog matches the files
            collector.adopt([t.run_id for t in tasks])
            result.interrupted = True
            raise EnsembleInterrupted(result, collector.done + collector.failed,
                                      len(tasks)) from None
        except StoreError:  # the store cannot keep runs (a full disk): those written stay
            with contextlib.suppress(StoreError, OSError):  # the catalog may refuse them too
                collector.adopt([t.run_id for t in tasks])
            raise
    return result


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
