"""Starting the web app: :func:`serve` (what ``fentanet serve`` runs) and
:class:`ServerThread` (the app in a background thread, for notebooks and tests)."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any

from fentanet.errors import InputError, Interrupted
from fentanet.web import security as sec


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def settings(host: str, token: str | None) -> tuple[str | None, list[str] | None]:
    """The token and allowed host names for a bind address: the loopback needs no token
    but answers only to loopback names; any other address needs a token (a new one unless
    given). An empty token counts as none (``--token ""`` would otherwise lock everyone
    out, as no request can give an empty token)."""
    token = token or None
    if sec.is_loopback(host):
        return token, [*sec.LOOPBACK, host]
    return token or sec.new_token(), None


def url(host: str, port: int, token: str | None = None) -> str:
    """The address to open (``0.0.0.0`` and ``::`` shown as this machine's name)."""
    shown = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def _app(workdir: str | os.PathLike[str], host: str, token: str | None,
         max_upload: int | None) -> tuple[Any, str | None]:
    from fentanet.web.app import MAX_UPLOAD, create_app

    token, hosts = settings(host, token)
    app = create_app(workdir, token=token, allowed_hosts=hosts,
                     max_upload=max_upload or MAX_UPLOAD)
    return app, token


def serve(host: str = "127.0.0.1", port: int = 8000, workdir: str | os.PathLike[str] =
          "fentanet-work", *, token: str | None = None, max_upload: int | None = None,
          log_level: str = "warning", announce: Any = print) -> None:
    """Run the web app until interrupted (Ctrl-C).

    Bound to the loopback (the default) it needs no token; bound to any other address
    it requires one, generated here unless given, and printed with the address.
    """
    import uvicorn

    if not 0 < int(port) < 65536:
        raise InputError(f"port must be 1 to 65535, got {port}", field="port")
    workdir = Path(workdir)
    if workdir.exists() and not workdir.is_dir():
        raise InputError("exists and is not a folder; expected the working folder",
                         file=workdir)
    app, token = _app(workdir, host, token, max_upload)
    sock = listen_socket(host, int(port))  # before the address is announced
    announce(f"fentanet web app: {url(host, port, token)}")
    announce(f"working folder: {workdir.resolve()}")
    if token:
        announce(f"access token: {token} (every request needs it; the address above "
                 "carries it)")
    else:
        announce("only this machine can connect (127.0.0.1); stop with Ctrl-C")
    config = uvicorn.Config(app, host=host, port=int(port), log_level=log_level,
                            access_log=False, server_header=False)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:  # Ctrl-C (or SIGTERM, which the command line makes one)
        raise Interrupted(stop_jobs(app.api.state.jobs)) from None
    finally:
        sock.close()
    stop_jobs(app.api.state.jobs)


STOP_SECONDS = 30.0
"""How long a stopping server waits for its running job to stop (a comparison on a
cluster registers its finished runs and closes the cluster; one in the app's process stops
at its next step)."""


def stop_jobs(jobs: Any, timeout: float = STOP_SECONDS) -> str:
    """Stop the app's jobs as the server stops (:meth:`JobRunner.stop`) and say what the
    running one left, as one line: ``interrupted`` and, with a job running, its title and
    what its cancellation kept (``cancelled: 3 of 12 runs finished and kept in the run
    store (ensemble ID)``). Until the twenty-second session a Ctrl-C left a comparison's
    Dask cluster to Dask's exit handler, whose wait a second Ctrl-C ended in a traceback,
    and the runs its workers had written out of the catalog. A Ctrl-C is ignored from
    here to the process's end: the wait is short (the cluster's runs are registered and
    it is closed in seconds), and ending it early left Dask's exit handler closing the
    cluster under the job (an ``UnboundLocalError`` traceback of Dask's)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    job = jobs.stop(timeout)
    if job is None:
        return "interrupted"
    if job.status == "running":
        return (f"interrupted: job '{job.title}' did not stop within {timeout:g} s; the "
                "runs it finished are in the run store (`fentanet runs rebuild` registers "
                "any left out of its catalog)")
    what = job.message if job.status == "cancelled" else f"it had {job.status}"
    return f"interrupted: job '{job.title}': {what}"


def listen_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (what uvicorn then serves on), so that a port in
    use or an address not of this machine is one clear :class:`InputError` before anything
    is announced."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as exc:
        raise InputError(f"cannot listen on {host!r}: {exc.strerror or exc}",
                         field="host") from None
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        why = exc.strerror or str(exc)
        hint = ("; another program (or fentanet serve) uses it: choose another with --port"
                if exc.errno == errno.EADDRINUSE else "")
        raise InputError(f"cannot listen on {host}:{port}: {why}{hint}", field="port") from None
    sock.set_inheritable(True)
    return sock


class ServerThread:
    """The web app served by uvicorn in a background thread::

        with ServerThread("work") as server:
            print(server.url)

    ``port=None`` picks a free port.
    """

    def __init__(self, workdir: str | os.PathLike[str], *, host: str = "127.0.0.1",
                 port: int | None = None, token: str | None = None,
                 max_upload: int | None = None) -> None:
        import uvicorn

        self.host = host
        self.port = port or free_port(host)
        self.app, self.token = _app(workdir, host, token, max_upload)
        config = uvicorn.Config(self.app, host=host, port=self.port, log_level="warning",
                                access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True,
                                       name="fentanet-web")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def start(self, timeout: float = 20.0) -> ServerThread:
        self.thread.start()
        end = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > end:
                raise RuntimeError(f"the web app did not start on {self.url}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.app.api.state.jobs.shutdown()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
