"""Running the tasks of an ensemble on Dask (or serially) and keeping each finished run.

One task per run. A worker runs the model, and (when it shares the store's file system:
the local cluster) writes the run's series and manifest itself, atomically; otherwise it
sends series and summary back and the coordinator writes them. Only the coordinator, this
process, registers runs in the catalog, in batches. A run that raises becomes a ``failed``
run with its seed and error; the others go on. On Ctrl-C the finished runs are registered
before the interruption goes on up. What a run says of itself (:func:`fentanet.errors.
warn_run`: an operation short of targets, an intervention after the horizon) comes back
with it from any worker and is shown once the tasks end (:class:`Warned`), as a
:class:`~fentanet.errors.RunWarning` naming the runs that said it by variant, point
and seed, each text once.
"""

from __future__ import annotations

import _weakrefset
import contextlib
import gc
import logging
import os
import signal
import socket
import threading
import time
import traceback
import warnings
import weakref
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fentanet.build import recorded_version
from fentanet.ensemble.plan import BASELINE, RunTask
from fentanet.errors import InputError, RunWarning, run_notes
from fentanet.store.files import (
    CannotKeep,
    RunRecord,
    StoreError,
    float_summary,
    host_name,
    manifest_file,
    new_id,
    read_manifest,
    utcnow,
    write_run,
)
from fentanet.store.store import RunStore

SCHEDULER_ENV = "FENTANET_SCHEDULER"
"""Environment variable with the address of a Dask scheduler to run on."""

SERIAL = ("serial", "synchronous", "sync")
LOCAL = "local"
"""The ``scheduler`` that asks for a new local cluster whatever the ensemble's size."""


def _default_model() -> Callable[..., Any]:
    try:
        from fentanet import simulate
    except ImportError:  # pragma: no cover - engine not installed
        raise InputError("fentanet.simulate is not available in this installation; pass "
                         "model= to run another function") from None
    return simulate


def execute(task: RunTask, scenario: Any, model: Callable[..., Any] | None,
            store_root: str | None) -> tuple[RunRecord, Any, tuple[str, ...]]:
    """Make one run (on a worker). Returns the record, the series (``None`` when they were
    written here, ``store_root`` given, or the run failed) and what the run said of itself
    (:func:`~fentanet.errors.run_notes`, distinct, in order: on a worker it would print
    there, unseen; the caller shows it). Other warnings are left to the process's filters."""
    from fentanet.simulate.nploops import numpy_version

    model = model or _default_model()
    record = RunRecord(run_id=task.run_id, ensemble_id=task.ensemble_id,
                       scenario=str(getattr(scenario, "name", scenario)), seed=task.seed,
                       variant=task.variant.name, params=task.params,
                       setup=run_setup(task, scenario),
                       fentanet_version=recorded_version(), numpy_version=numpy_version(),
                       host=host_name(), started_at=utcnow())
    series = None
    with run_notes() as notes:
        try:
            run_scenario = scenario.override(task.params) if task.params else scenario
            # the baseline runs unlabelled, as fentanet.compare runs it (bit-identical runs)
            label = None if task.variant.name == BASELINE else task.variant.name
            kwargs: dict[str, Any] = {"seed": task.seed, "variant": label}
            if task.variant.interventions is not None:
                kwargs["interventions"] = list(task.variant.interventions)
            result = model(run_scenario, **kwargs)
            ran = getattr(result, "scenario", None) or run_scenario
            record.digest = ran.digest() if hasattr(ran, "digest") else ""
            record.setup = run_setup(task, scenario, ran)
            record.summary = float_summary(task.run_id, dict(result.summary))
            series = result.series
        except Exception as exc:
            if _interrupted(exc):  # Ctrl-C inside compiled code comes back wrapped
                raise KeyboardInterrupt from exc
            record.status = "failed"
            record.error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-8)}"
            series = None
    said = tuple(dict.fromkeys(notes))
    record.finished_at = utcnow()
    if store_root is not None:
        write_run(Path(store_root), record, series)
        return record, None, said
    return record, series, said


def _interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` was caused by a Ctrl-C: a ``KeyboardInterrupt`` raised while numba's
    dispatcher was running comes back as the ``SystemError`` it caused ("returned a result
    with an exception set"), which is not a failure of the run."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def run_setup(task: RunTask, scenario: Any, ran: Any = None) -> dict[str, Any]:
    """What reproduces a run (``RunRecord.setup``): the scenario as named, every dotted-path
    override applied to it, the model function (when not ``fentanet.simulate``) and the
    interventions the run had, in full (those of the
    scenario ``ran``; before the run, the variant's own as given)."""
    setup: dict[str, Any] = {
        "scenario": task.base.get("scenario", str(getattr(scenario, "name", scenario))),
        "overrides": {**task.base.get("overrides", {}), **task.params}}
    if task.base.get("model"):
        setup["model"] = task.base["model"]
    if task.base.get("uncertain"):  # the ranges the values in "overrides" were drawn from
        setup["uncertain"] = task.base["uncertain"]
    items = getattr(ran, "interventions", None)
    if items is not None:
        setup["interventions"] = [_jsonable(i) for i in items]
    elif task.variant.interventions is not None:
        setup["variant_interventions"] = [_jsonable(i) for i in task.variant.interventions]
    else:
        setup["strategy"] = task.variant.name
    return setup


def _jsonable(item: Any) -> Any:
    if hasattr(item, "model_dump"):  # an Intervention: its fields that differ from defaults
        return item.model_dump(mode="json", exclude_defaults=True)
    return item


def _lost(task: RunTask, scenario: Any, exc: BaseException) -> RunRecord:
    """The record of a run whose task itself failed (worker died, result lost)."""
    return RunRecord(run_id=task.run_id, ensemble_id=task.ensemble_id,
                     scenario=str(getattr(scenario, "name", scenario)), seed=task.seed,
                     variant=task.variant.name, params=task.params,
                     setup=run_setup(task, scenario), status="failed",
                     error=f"{type(exc).__name__}: {exc} (outside the model: the worker "
                           f"died, or keeping the run's files failed)",
                     finished_at=utcnow())


ADDRESS_FORM = "tcp://HOST:PORT (e.g. tcp://127.0.0.1:8786), 'local' or 'serial'"


def check_address(scheduler: Any) -> str:
    """A scheduler address as Dask takes it; :class:`InputError` for a malformed one (no
    port, unknown protocol), before any connection is tried."""
    from distributed.comm.addressing import parse_address, parse_host_port

    address = str(scheduler).strip()
    try:
        protocol, location = parse_address(address)
        if protocol in ("tcp", "tls", "ws", "wss", "ucx"):
            parse_host_port(location)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{address!r} is not a Dask scheduler address ({exc}); expected "
                         f"{ADDRESS_FORM}", field="scheduler") from None
    if protocol not in ("tcp", "tls", "ws", "wss", "ucx", "inproc"):
        raise InputError(f"{address!r}: unknown protocol {protocol!r}; expected "
                         f"{ADDRESS_FORM}", field="scheduler")
    return address


PROBE_TIMEOUT = 5.0
"""Seconds to wait for a TCP connection to a scheduler's port before Dask's own handshake."""


def _probe(address: str, source: str = "") -> None:
    """Fail at once where nothing listens at a scheduler's host and port: Dask's client
    would retry for its whole timeout (20 s) before saying so. A host that does not
    answer within :data:`PROBE_TIMEOUT` seconds is refused too; anything that accepts the
    connection is left to Dask's handshake. ``source``: where the address came from, for
    the message."""
    from distributed.comm.addressing import parse_address, parse_host_port

    protocol, location = parse_address(address)
    if protocol not in ("tcp", "tls", "ws", "wss"):
        return
    host, port = parse_host_port(location)
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT):
            pass
    except ConnectionRefusedError:
        reason = "connection refused (no scheduler listens on that port)"
    except TimeoutError:
        reason = f"no answer in {PROBE_TIMEOUT:g} s"
    except OSError as exc:  # unknown host, unreachable network
        reason = exc.strerror or str(exc)
    else:
        return
    raise InputError(f"cannot reach the Dask scheduler at {address}{source}: {reason}; start "
                     f"one with `dask scheduler` or give another address ({ADDRESS_FORM})",
                     field="scheduler")


def resolve_scheduler(scheduler: Any = None) -> Any:
    """``scheduler``, or ``$FENTANET_SCHEDULER`` when it is ``None``; an address is checked
    (:func:`check_address`) so that a malformed one fails before anything starts."""
    if scheduler is None:
        scheduler = os.environ.get(SCHEDULER_ENV) or None
    if isinstance(scheduler, str) and scheduler.lower() not in (*SERIAL, LOCAL):
        check_address(scheduler)
    return scheduler


@contextlib.contextmanager
def connect(scheduler: Any = None, workers: int | None = None) -> Iterator[Any]:
    """A Dask client: on ``scheduler`` (an address, a ``Client``, or ``$FENTANET_SCHEDULER``),
    or on a new ``LocalCluster`` (``None`` without that variable, or ``"local"``) with one
    single-threaded worker process per core (or ``workers``), closed on exit. Yields
    ``None`` for the serial mode."""
    source = f" (from ${SCHEDULER_ENV})" if scheduler is None else ""
    scheduler = resolve_scheduler(scheduler)
    if isinstance(scheduler, str) and scheduler.lower() in SERIAL:
        yield None
        return
    if isinstance(scheduler, str) and scheduler.lower() == LOCAL:
        scheduler = None
    from dask.distributed import Client

    if isinstance(scheduler, Client):
        yield scheduler
        return
    if scheduler is not None:
        address = check_address(scheduler)
        _probe(address, source)
        try:
            client = Client(address, timeout="20s")
        except OSError as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {exc}",
                             field="scheduler") from None
        except (ValueError, TypeError) as exc:  # what the address parser let through
            raise InputError(f"{scheduler!r} is not a Dask scheduler address ({exc}); "
                             f"expected {ADDRESS_FORM}", field="scheduler") from None
        try:
            yield client
        finally:
            client.close()
        return
    n = int(workers or os.cpu_count() or 1)
    if n < 1:
        raise InputError(f"workers must be at least 1, got {workers}", field="workers")
    cluster, client = _start_local(n)
    client.fentanet_local = True  # workers share this machine's file system
    try:
        yield client
    finally:
        client.close()
        cluster.close()


QUIET = logging.CRITICAL
"""Log level of the local cluster's scheduler and workers. What goes wrong in a run reaches
the user through the client (a failed run with its error, a lost worker); what the workers
log themselves at ERROR is, on this machine's own cluster, the race of its closing (a worker
whose heartbeat finds the scheduler gone after a Ctrl-C prints "Failed to communicate with
scheduler during heartbeat" with a traceback: 1 in 30 interrupted ensembles)."""

START_TIMEOUT = 600.0
"""Seconds a local cluster's workers may take to start (a loaded machine takes tens)."""


def _start_local(n: int) -> tuple[Any, Any]:
    """A local cluster of ``n`` single-threaded worker processes and its client.

    The cluster is made with Ctrl-C (SIGINT) blocked in this thread (:func:`_sigint_blocked`):
    its threads (the event loop, and those that start the worker processes) inherit the
    mask, and so do the worker processes, so a Ctrl-C in the terminal, sent to the whole
    process group, stops only this process, which keeps the finished runs and closes the
    cluster, instead of every worker printing a traceback. While the workers start up
    (seconds, more on a loaded machine) a Ctrl-C is noted, the cluster closed and
    KeyboardInterrupt raised; one pressed while the cluster was made is delivered when the
    block ends. (SIGINT was ignored, SIG_IGN, while the workers were forked: a Ctrl-C then
    was discarded by the system, and the ensemble ran to its end.)"""
    from multiprocessing import resource_tracker

    from dask.distributed import Client, LocalCluster

    # started here, not by the first worker's start: starting it unblocks SIGINT in the
    # thread that starts it (Python's multiprocessing), that thread would then pass
    # SIGINT unblocked to the worker it forks next
    resource_tracker.ensure_running()
    pressed = _SigintNoted()
    with pressed:
        cluster = client = None
        try:
            with _sigint_blocked():
                cluster = LocalCluster(n_workers=0, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", silence_logs=QUIET)
                if not pressed.noted:
                    cluster.scale(n)
            if pressed.noted:
                raise KeyboardInterrupt
            client = Client(cluster)
            end = time.monotonic() + START_TIMEOUT
            while len(client.nthreads()) < n and not pressed.noted:
                if time.monotonic() > end:
                    if client.nthreads():
                        break  # run on those that started
                    raise RuntimeError(f"the local Dask cluster started none of its {n} "
                                       f"workers in {START_TIMEOUT:g} s")
                time.sleep(0.05)
        except BaseException:
            pressed.noted = True
            raise
        finally:
            if pressed.noted:
                if client is not None:
                    client.close()
                if cluster is not None:
                    cluster.close()
    if pressed.noted:
        raise KeyboardInterrupt
    return cluster, client


class _SigintNoted:
    """In the main thread, a Ctrl-C (SIGINT) in the block sets :attr:`noted` instead of
    raising KeyboardInterrupt where Dask waits (which leaves its loop unable to close)."""

    def __init__(self) -> None:
        self.noted = False
        self._previous: Any = None

    def __enter__(self) -> _SigintNoted:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._note)
        return self

    def _note(self, signum: int, frame: Any) -> None:
        self.noted = True

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """Block SIGINT in this thread for the block (POSIX): the threads started in it inherit
    the mask and keep it, and the processes they start inherit it through fork and exec (a
    Python started so never sees a Ctrl-C). A Ctrl-C sent meanwhile is not lost: the
    process's other threads take it (Python runs its handler in the main thread), or it
    stays pending until the block ends and is delivered then. (Ignoring SIGINT instead,
    SIG_IGN, would make the children ignore it too, but a Ctrl-C in that window is
    discarded by the system: it is never delivered, even after the handler is restored.)"""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)  # a pending Ctrl-C comes now


class Collector:
    """Keeps finished runs: writes their files when the worker did not, and registers
    them in the catalog in batches (at most every ``every`` seconds or ``batch`` runs)."""

    def __init__(self, store: RunStore, *, batch: int = 256, every: float = 1.0,
                 on_run: Callable[[RunRecord], None] | None = None) -> None:
        self.store = store
        self.batch = batch
        self.every = every
        self.on_run = on_run
        self.pending: list[RunRecord] = []
        self.kept: set[str] = set()
        self.done = 0
        self.failed = 0
        self._last = time.monotonic()

    def add(self, record: RunRecord, series: Any, *, written: bool) -> None:
        if not written:
            write_run(self.store.root, record, series)
        self._keep(record)
        if self.on_run is not None:
            self.on_run(record)
        if len(self.pending) >= self.batch or time.monotonic() - self._last >= self.every:
            self.flush()

    def adopt(self, run_ids: list[str]) -> int:
        """Register the runs among ``run_ids`` whose files a worker wrote but whose result
        never came back (the ensemble was interrupted, or the worker lost its connection),
        so that the catalog matches the files. Returns how many were added."""
        found = []
        for run_id in run_ids:
            path = manifest_file(self.store.root, run_id)
            if run_id in self.kept or not path.is_file():
                continue
            try:
                record = read_manifest(path)
            except StoreError:
                continue  # unreadable: `fentanet runs check` reports it
            if record.status == "done" and (record.series_path is None or not (
                    self.store.root / record.series_path).is_file()):
                continue
            found.append(record)
        for record in found:
            self._keep(record)
        self.flush()
        return len(found)

    def _keep(self, record: RunRecord) -> None:
        self.pending.append(record)
        self.kept.add(record.run_id)
        if record.status == "done":
            self.done += 1
        else:
            self.failed += 1

    def flush(self) -> None:
        if self.pending:
            self.store.register(self.pending)
            self.pending = []
        self._last = time.monotonic()


def run_tasks(tasks: list[RunTask], scenario: Any, model: Callable[..., Any] | None,
              client: Any, collector: Collector, *, write_on_workers: bool | None = None
              ) -> list[str]:
    """Run ``tasks`` (on ``client``, or serially when it is ``None``), keeping each run as
    it finishes. On any interruption the runs finished so far are registered first; a
    Ctrl-C is kept (:class:`_SigintKept`), so that code that swallowed its
    KeyboardInterrupt does not make the ensemble run on to its end. Returns what the runs
    said of themselves, as shown (:class:`Warned`)."""
    warned = Warned(tasks)
    with _SigintKept() as pressed:
        try:
            if client is None:
                for task in tasks:
                    record, series, said = execute(task, scenario, model, None)
                    collector.add(record, series, written=False)
                    warned.add(task, said)
                    pressed.check()
            else:
                _run_dask(tasks, scenario, model, client, collector, write_on_workers,
                          pressed, warned)
            pressed.check()
        finally:
            collector.flush()
            shown = warned.show()
    return shown


class Warned:
    """What an ensemble's runs said of themselves, shown when its tasks end: each text
    once, as a :class:`~fentanet.errors.RunWarning` naming the runs that said it by variant,
    point and seed (``naloxone, seed 3: ...``; ``baseline, seeds 1-20; naloxone, seeds
    1-20: ...`` for a text every run says, such as a horizon the step does not divide), so
    one text said by every run does not crowd out the others; at most :attr:`SHOWN` texts,
    then a count of the rest.

    In an ensemble of several points (a sweep, a sensitivity design, a fit's evaluations)
    a run is named by its point too, with the parameters that differ between the points
    (:func:`point_labels`): ``baseline at elasticity=0.512, years=1.09, seed 1: ...``. A
    text said at every point of a variant on the same seeds names no point (``baseline at
    all 6 points, seed 1``); one said at some of them names the first :attr:`POINTS` and
    counts the others (``baseline at 4 more points``)."""

    SHOWN = 10
    POINTS = 3

    def __init__(self, tasks: Sequence[RunTask] = ()) -> None:
        self.labels = point_labels(tasks)
        self.points: dict[str, set[str]] = {}  # variant -> the labels of its points
        for task in tasks:
            self.points.setdefault(task.variant.name, set()).add(self.labels[task.run_id])
        # text -> variant -> point's label -> seeds
        self.said: dict[str, dict[str, dict[str, list[int]]]] = {}
        self.runs: set[str] = set()

    def add(self, task: RunTask, said: tuple[str, ...]) -> None:
        if said:
            self.runs.add(task.run_id)
        label = self.labels.get(task.run_id, "")
        for text in said:
            (self.said.setdefault(text, {}).setdefault(task.variant.name, {})
             .setdefault(label, []).append(task.seed))

    def show(self) -> list[str]:
        """Warn each text, once; returns them."""
        texts = list(self.said.items())
        shown = [f"{self._who(by_variant)}: {text}" for text, by_variant in texts[:self.SHOWN]]
        if len(texts) > self.SHOWN:
            shown.append(f"{len(texts) - self.SHOWN} more warning(s) not shown "
                         f"({len(self.runs)} run(s) warned)")
        for text in shown:
            warnings.warn(text, RunWarning, stacklevel=2)
        self.said, self.runs = {}, set()
        return shown

    def _who(self, by_variant: dict[str, dict[str, list[int]]]) -> str:
        """The runs that said a text: ``naloxone, seed 3``, ``naloxone at rate=2, seeds
        1-4, 7``, variants joined by ``; ``."""
        parts = []
        for variant, by_point in by_variant.items():
            seeds = {tuple(sorted(set(s))) for s in by_point.values()}
            every = len(self.points.get(variant, ()))
            if every > 1 and len(by_point) == every and len(seeds) == 1:
                where = "both points" if every == 2 else f"all {every} points"
                parts.append(f"{variant} at {where}, {_seeds(next(iter(seeds)))}")
                continue
            for label, s in list(by_point.items())[:self.POINTS]:
                parts.append(f"{variant}{label}, {_seeds(s)}")
            if len(by_point) > self.POINTS:
                more = len(by_point) - self.POINTS
                parts.append(f"{variant} at {more} more point{'s' * (more > 1)}")
        return "; ".join(parts)


def point_labels(tasks: Sequence[RunTask]) -> dict[str, str]:
    """Each task's point as a warning names it (run id -> label): `` at name=value, ...``
    with the parameters whose values differ between the tasks' points, each by the
    shortest end of its dotted path that tells it from the others (``elasticity`` for
    ``params.market.elasticity``) and its value to four significant digits; `` at the base
    point`` for a point that sets none of them (a tornado's base). Empty for every task
    when the points do not differ (one point, however many variants and seeds). The values
    of uncertain parameters are left out: drawn once per seed, the seed names them."""
    drawn = {name for t in tasks for name in t.base.get("uncertain") or ()}
    points = {t.run_id: {k: v for k, v in t.point.items() if k not in drawn} for t in tasks}
    names = list(dict.fromkeys(k for p in points.values() for k in p))
    varied = [n for n in names if len({repr(p.get(n, _UNSET)) for p in points.values()}) > 1]
    short = _short_names(varied)
    labels = {}
    for run_id, p in points.items():
        parts = [f"{short[n]}={_value(p[n])}" for n in varied if n in p]
        labels[run_id] = ("" if not varied else f" at {', '.join(parts)}" if parts
                          else " at the base point")
    return labels


_UNSET = object()


def _short_names(names: Sequence[str]) -> dict[str, str]:
    """Each dotted path by its shortest end that no other path of ``names`` ends with
    (``elasticity``; ``market.rate`` beside ``population.rate``)."""
    out = {}
    for name in names:
        parts = name.split(".")
        for k in range(1, len(parts) + 1):
            end = ".".join(parts[-k:])
            if not any(o != name and (o == end or o.endswith("." + end)) for o in names):
                break
        out[name] = end
    return out


def _value(v: Any) -> str:
    """A parameter's value in a label: a float to four significant digits."""
    if isinstance(v, float | np.floating):
        return f"{float(v):.4g}"
    return str(v)


def _seeds(seeds: Sequence[int]) -> str:
    """``seed 3``, ``seeds 1-4, 7``: runs of consecutive seeds as ranges."""
    seeds = sorted(set(seeds))
    spans: list[str] = []
    lo = prev = seeds[0]
    for x in [*seeds[1:], None]:
        if x is not None and x == prev + 1:
            prev = x
            continue
        spans.append(f"{lo}" if lo == prev else f"{lo}, {prev}" if prev == lo + 1
                     else f"{lo}-{prev}")
        if x is not None:
            lo = prev = x
    return f"seed{'s' * (len(seeds) > 1)} {', '.join(spans)}"


class _SigintKept:
    """In the main thread, a Ctrl-C (SIGINT) in the block raises KeyboardInterrupt as
    Python's own handler does, and is also kept: :meth:`check` raises it again. Code that
    runs when the signal comes may swallow the exception (a broad ``except``, a finaliser
    such as a ``__del__``, whose exceptions Python only prints, DuckDB reading a data
    frame); the loop that checks between runs then still stops. One that comes inside a
    garbage collector's callback, a finaliser or a weak reference's callback, where Python
    would print the exception and drop it, is said again 10 ms later, unless it was
    raised meanwhile (the way out then registers the finished runs undisturbed). Another
    handler set by the program is called as before; an ignored SIGINT stays ignored."""

    def __init__(self) -> None:
        self.pressed = False
        self.raised = False
        self._previous: Any = None
        self._again: threading.Timer | None = None
        self._lock = threading.Lock()
        self._closed = False  # the block is ending: nothing is said again
        self._sent = False  # a Ctrl-C said again is on its way to the handler

    def __enter__(self) -> _SigintKept:
        if threading.current_thread() is threading.main_thread():
            current = signal.getsignal(signal.SIGINT)
            if callable(current):
                self._previous = signal.signal(signal.SIGINT, self._press)
        return self

    def _press(self, signum: int, frame: Any) -> None:
        self.pressed = True
        again, self._sent = self._sent, False
        if self._previous is not signal.default_int_handler:
            self._previous(signum, frame)
        elif again and self.raised:
            return  # said again after it was raised: the way out registers the runs
        elif _in_gc_callback(frame):
            # raised here, Python would print it with a traceback ("Exception ignored in")
            # and drop it: the signal comes again once the callback has returned
            self._again = threading.Timer(0.01, self._say_again)
            self._again.start()
        else:
            self._raise()

    def _say_again(self) -> None:
        """Send the kept Ctrl-C to the main thread again, unless it was raised meanwhile
        or the block is ending (in the timer's thread)."""
        with self._lock:
            if self.raised or self._closed:
                return
            self._sent = True
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    def _raise(self) -> None:
        self.raised = True
        raise KeyboardInterrupt

    def check(self) -> None:
        """Raise KeyboardInterrupt if a Ctrl-C came in the block."""
        if self.pressed:
            self._raise()

    def __exit__(self, *exc: object) -> None:
        if self._again is not None:
            with self._lock:
                self._closed = True
            self._again.cancel()
            self._again.join()
            end = time.monotonic() + 1.0
            while self._sent and time.monotonic() < end:  # a Ctrl-C said again comes to
                time.sleep(0.001)  # this handler, not to the one restored below
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def _in_gc_callback(frame: Any) -> bool:
    """Whether ``frame`` runs inside a garbage collector's callback (``gc.callbacks``; Dask
    registers some), a finaliser (``__del__``) or the standard library's weak-reference
    code (the callbacks of ``WeakSet``, ``WeakValueDictionary``, ``weakref.finalize``: run
    as their referents are collected, which Dask's and asyncio's objects use), where
    Python prints an exception with its traceback and drops it instead of raising it. A
    Ctrl-C that comes while the program itself runs that code is said again a little
    later, which is harmless."""
    codes = {getattr(getattr(cb, "__func__", cb), "__code__", None) for cb in gc.callbacks}
    while frame is not None:
        code = frame.f_code
        if code in codes or code.co_name == "__del__" or code.co_filename in _WEAKREF_FILES:
            return True
        frame = frame.f_back
    return False


_WEAKREF_FILES = frozenset((weakref.__file__, _weakrefset.__file__))


SCATTER_BYTES = 1 << 20
"""A scenario that pickles to more bytes than this is sent to the cluster once, as the
argument of a task that gives it back (:func:`_task_scenario`), instead of with every task
(Dask warns of task arguments above 1 MB)."""


def _scenario(scenario: Any) -> Any:
    """The task that gives a large scenario to the runs (on a worker)."""
    return scenario


def _task_scenario(client: Any, scenario: Any) -> Any:
    """The scenario as the tasks take it: itself, sent with each task, when it is small (a
    fentanet scenario is a spec of a few KB: its network is built on the worker), else a
    future of a task that returns it, its argument sent to the scheduler once. The
    scheduler keeps that task, so when the worker holding its result dies (killed, out of
    memory), it makes it again on a worker alive and the runs go on; the other workers
    fetch it from the one holding it, once each. Data scattered (``Client.scatter``) lives
    on the worker it was sent to and cannot be made again: when that worker died, every
    run still to be made failed, 'lost dependencies' (33 of 40 runs of an ensemble whose
    worker was killed once: small scenarios until the twenty-first session, a scenario
    over 1 MB until the twenty-second). A broadcast (``scatter(broadcast=True)``) would
    copy it to the workers there are, not to one started later, and a Ctrl-C while the
    scheduler replicated it closed the cluster under it ("Task exception was never
    retrieved")."""
    import pickle

    try:
        size = len(pickle.dumps(scenario, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # what pickle cannot take, Dask's cloudpickle may
        size = SCATTER_BYTES + 1
    if size <= SCATTER_BYTES:
        return scenario
    with warnings.catch_warnings():  # "Sending large graph of size ...": once, meant so
        warnings.simplefilter("ignore", UserWarning)
        return client.submit(_scenario, scenario, pure=False,
                             key=f"fentanet-scenario-{new_id()}")


def _run_dask(tasks: list[RunTask], scenario: Any, model: Callable[..., Any] | None,
              client: Any, collector: Collector, write_on_workers: bool | None,
              pressed: _SigintKept, warned: Warned) -> None:
    from dask.distributed import as_completed

    if write_on_workers is None:
        write_on_workers = bool(getattr(client, "fentanet_local", False))
    root = str(collector.store.root.resolve()) if write_on_workers else None
    threads = sum(client.nthreads().values()) or 1
    window = max(4, 2 * threads)  # enough queued to keep every worker busy
    scenario_f = _task_scenario(client, scenario)
    queue = deque(tasks)
    running: dict[Any, RunTask] = {}
    completed = as_completed()

    def submit() -> None:
        task = queue.popleft()
        fut = client.submit(execute, task, scenario_f, model, root, pure=False,
                            key=f"fentanet-run-{task.run_id}")
        running[fut] = task
        completed.add(fut)

    try:
        for _ in range(min(window, len(queue))):
            submit()
        for fut in completed:
            task = running.pop(fut)
            said: tuple[str, ...] = ()
            try:
                record, series, said = fut.result()
                written = root is not None
            except CannotKeep:  # the worker could not write the run's files (a full disk):
                raise  # every run to come would be made and lost the same way
            except Exception as exc:  # the task itself failed: worker lost, result lost
                record, series, written = _lost(task, scenario, exc), None, False
            fut.release()
            if queue:
                submit()
            collector.add(record, series, written=written)
            warned.add(task, said)
            pressed.check()
    finally:
        if running:
            client.cancel(list(running), force=True)
