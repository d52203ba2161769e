"""The ``fentanet`` command line.

Each command group lives in its own module and adds its commands to :data:`app`. User
errors (:class:`~fentanet.errors.FentanetError`) and operating-system errors on the paths
the user named (:class:`OSError`: no such folder, permission denied, disk full) print one
line, ``error: ...``, with no traceback, and exit with status 2. Any other exception is a
bug and propagates with its traceback.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import typer
from typer.core import TyperCommand

from fentanet.cli.once import OnceCommand
from fentanet.errors import FentanetError

app = typer.Typer(
    name="fentanet",
    help="Map, analyse and simulate illicit fentanyl supply networks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

COMMAND_MODULES = ["network", "analysis", "demo", "simulate", "runs", "calibrate", "serve"]
"""Modules under fentanet.cli that register commands, in help order."""

for _mod in COMMAND_MODULES:
    importlib.import_module(f"fentanet.cli.{_mod}")


class Command(OnceCommand):
    """The class of every command: it refuses a scalar option given twice
    (:class:`~fentanet.cli.once.OnceCommand`), and says where a Ctrl-C left things
    (:func:`_interrupted`) before typer turns the interrupt into exit status 130 without a
    word (it does so inside ``app``, where :func:`main`'s own handler never sees it)."""

    def invoke(self, ctx: typer.Context) -> object:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            print(_interrupted(exc), file=sys.stderr)
            raise


def _prepare(group: typer.Typer) -> None:
    """Give every command of ``group`` (and its subgroups) the first paragraph of its help
    as one line for the command list (rich keeps the docstring's line breaks there, which
    broke sentences mid-line at the source's wrapping), and make it refuse a scalar option
    given twice (:mod:`fentanet.cli.once`)."""
    for info in group.registered_commands:
        if info.short_help is None:
            doc = info.help or inspect.getdoc(info.callback) or ""
            info.short_help = " ".join(doc.split("\n\n")[0].split())
        if info.cls in (None, TyperCommand):
            info.cls = Command
    for sub in group.registered_groups:
        _prepare(sub.typer_instance)


_prepare(app)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    from fentanet.cli.runs import KEPT

    KEPT.clear()
    TERMINATED.clear()
    try:
        # click returns the status of a `raise typer.Exit(n)` instead of raising it here
        with _warnings_as_lines(), _sigterm_as_interrupt():
            status = app(args=argv, standalone_mode=False)
    except FentanetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except typer.Exit as exc:
        return _stopped(exc.exit_code)
    except typer.Abort:
        print("aborted", file=sys.stderr)
        return _stopped(130)
    except KeyboardInterrupt as exc:
        print(_interrupted(exc), file=sys.stderr)
        return _stopped(130)
    except OSError as exc:  # a path the user named that cannot be read or written
        print(f"error: {_os_message(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # usage errors: bad option values, unknown commands
        if not isinstance(exc, _usage_errors()):
            raise
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `fentanet`: the help
            exc.show()
            return exc.exit_code
        print(f"error: {exc.format_message()}", file=sys.stderr)
        return exc.exit_code
    return _stopped(status) if isinstance(status, int) else 0


TERMINATED: list[int] = []
"""Set when this command was asked to stop by SIGTERM (:func:`_sigterm_as_interrupt`)."""


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """In the main thread, a SIGTERM (``kill``, a batch system's time limit, a service
    stopped) stops the command as a Ctrl-C does: the SIGINT handler in place is called (an
    ensemble's keeps the finished runs, registers those its workers wrote and closes its
    cluster), and the command exits with status 143 (128 + SIGTERM) after the Ctrl-C's
    line. Until the twenty-first session SIGTERM ended the process at once, without a
    word: the runs finished in the last second, or written by the local cluster's workers,
    were left out of the catalog until `fentanet runs rebuild`."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: Any) -> None:
        TERMINATED.append(signum)
        handler = signal.getsignal(signal.SIGINT)
        if callable(handler):  # the ensemble's (it keeps the Ctrl-C), or Python's
            handler(signal.SIGINT, frame)
        else:  # SIGINT ignored (a background job): stop all the same
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stopped(status: int) -> int:
    """The exit status of a command stopped by an interrupt: 143 for a SIGTERM."""
    return 128 + signal.SIGTERM if status == 130 and TERMINATED else status


def _interrupted(exc: KeyboardInterrupt) -> str:
    """The line a Ctrl-C prints: an ensemble's own (``interrupted: N of M runs finished and
    kept in STORE (ensemble ID)``), or, after a command's runs had finished (while it
    printed its tables or wrote ``--out``, ``--report`` or ``--png``), where they are
    kept; else ``interrupted``. Until the eighteenth session a Ctrl-C after the runs exited
    130 without a word."""
    from fentanet.cli.runs import KEPT, resume_hint
    from fentanet.ensemble import EnsembleInterrupted
    from fentanet.errors import Interrupted

    if isinstance(exc, EnsembleInterrupted):  # sensitivity's, calibrate's
        return f"{exc}\n{resume_hint(exc.ensemble)}"
    if isinstance(exc, Interrupted) and str(exc):
        return str(exc)
    if KEPT:
        return f"interrupted after the runs: {KEPT[0]}"
    return "interrupted"


def _os_message(exc: OSError) -> str:
    """One line for an operating-system error: the path(s) and the system's reason."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    where = " -> ".join(paths)
    text = f"{where}: {reason}" if where else reason
    return text.replace("\r", "\\r").replace("\n", "\\n")


@contextlib.contextmanager
def _warnings_as_lines() -> Iterator[None]:
    """Warnings (a damaged run left out, a migrated store) print as ``warning: ...`` on
    stderr, without the source line Python shows under them."""
    with warnings.catch_warnings():
        warnings.showwarning = lambda message, *_a, **_k: print(f"warning: {message}",
                                                                file=sys.stderr)
        yield


def _usage_errors() -> tuple[type[Exception], ...]:
    """The usage-error classes of click and of the click that typer bundles."""
    import click

    return (click.ClickException, getattr(typer, "TyperException", click.ClickException))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
