"""The local web app: open or upload a network, explore it, analyse it, compare strategies
on a scenario, read the reports and download the results.

:func:`create_app` builds the FastAPI application around one working folder, where
uploads (``uploads/``), reports (``reports/``), downloadable results (``results/``) and
the run store (``runs/``) live. Nothing is read or written outside it except the shared
research datasets, which are opened by name only. Long work (analyses, comparisons) runs
as background jobs whose progress the page polls.

Every error reaches the page as ``{"error": "..."}`` with a status code, never as a
traceback: input errors (4xx) say what was wrong, anything else (500) says where the
details are (the server log).
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import logging
import math
import os
import stat
import threading
import time
import uuid
import zipfile
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import Depends, FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from fentanet.errors import FentanetError, InputError
from fentanet.network.model import Network
from fentanet.simulate.output import json_records, jsonable
from fentanet.web import security as sec
from fentanet.web.jobs import Job, JobCancelled, JobRunner

log = logging.getLogger("fentanet.web")

STATIC = Path(__file__).parent / "static"
MAX_UPLOAD = 50_000_000
"""Default limit of an uploaded file (bytes)."""
MAX_NETWORKS = 12
"""Networks kept open at once (the least recently used is closed first)."""
MAX_GENERATED = 50_000
FOLDERS = ("uploads", "reports", "results", "runs")
DOTTED = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$"
"""A scenario field's dotted path."""
ENSEMBLE_ID = r"^[A-Za-z0-9_-]{1,64}$"

APP_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
           "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; "
           "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
"""The app's own pages load only what the app serves."""
REPORT_CSP = ("default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
              "style-src 'unsafe-inline'; img-src data: blob:; font-src data:; "
              "connect-src 'none'; base-uri 'none'; form-action 'none'; "
              "frame-ancestors 'self'; sandbox allow-scripts")
"""A report is self-contained: it may run its inlined scripts and nothing else, in a
sandbox (an opaque origin) so that even a script in it cannot reach the app's pages or
its API."""


# ---------------------------------------------------------------------------- state
@dataclass
class Opened:
    """A network open in the app, with what was found about it."""

    id: str
    net: Network
    label: str
    origin: str
    opened: float = field(default_factory=time.time)
    communities: Any = None
    analysis: Any = None
    analysis_job: str | None = None  # the latest analysis job
    analysis_done: str | None = None  # the job that made ``analysis``
    _net_summary: dict[str, Any] | None = field(default=None, repr=False)

    def net_summary(self) -> dict[str, Any]:
        """``Network.summary()``, made once: a network does not change once open, and the
        summary of a large one takes seconds (components, distinct pairs)."""
        if self._net_summary is None:
            self._net_summary = self.net.summary()
        return self._net_summary

    def summary(self) -> dict[str, Any]:
        s = self.net_summary()
        return {"id": self.id, "label": self.label, "origin": self.origin,
                "name": s["name"], "actors": s["actors"], "links": s["links"],
                "directed": s["directed"], "typed": self.net.is_typed,
                "has_flow": self.net.has_flow, "actor_kinds": s["actor_kinds"],
                "link_kinds": s["link_kinds"], "components": s["components"],
                "largest_component": s["largest_component"], "density": s["density"],
                "degree": s["degree"], "phases": s["phases"],
                "analysed": self.analysis is not None}


class Workspace:
    """The working folder and what the app holds open."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        for sub in FOLDERS:
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.networks: OrderedDict[str, Opened] = OrderedDict()
        self.gone: OrderedDict[str, str] = OrderedDict()  # id -> why it was closed
        self.lock = threading.RLock()

    def path(self, relative: str, *, must_exist: bool = True, field: str = "path") -> Path:
        return sec.safe_path(self.root, relative, must_exist=must_exist, field=field)

    def rel(self, path: Path) -> str:
        return Path(path).resolve().relative_to(self.root).as_posix()

    def add(self, net: Network, label: str, origin: str) -> Opened:
        item = Opened(uuid.uuid4().hex[:10], net, label, origin)
        with self.lock:
            self.networks[item.id] = item
            while len(self.networks) > MAX_NETWORKS:
                old = self.networks.popitem(last=False)[1]
                self.close(old, f"closed as more than {MAX_NETWORKS} networks were open "
                                "(the one used least recently is closed first)")
        return item

    def close(self, item: Opened, why: str) -> None:
        """Forget an open network, remembering why (the last 200), for the requests that
        still name it."""
        with self.lock:
            self.networks.pop(item.id, None)
            self.gone[item.id] = f"{item.label} was {why}"
            while len(self.gone) > 200:
                self.gone.popitem(last=False)

    def get(self, nid: str) -> Opened:
        with self.lock:
            item = self.networks.get(nid)
            if item is None:
                # a network closed from the page read as one lost to the limit or a restart
                why = (f": {self.gone[nid]}" if nid in self.gone else
                       f" (networks close when more than {MAX_NETWORKS} are open, or when "
                       "the app restarts)")
                raise NotFound(f"no open network '{nid}'{why}; open it again from its "
                               "dataset or file")
            self.networks.move_to_end(nid)
            return item

    def clean(self, message: str) -> str:
        """An error message fit for the page: server folders replaced by what the user
        knows them as."""
        from fentanet import datasets

        out = message.replace(str(self.root) + os.sep, "").replace(str(self.root),
                                                                  "the working folder")
        data = datasets.data_dir()
        if data is not None:
            out = out.replace(str(data) + os.sep, "shared data: ")
        return out


class NotFound(InputError):
    """Something a request names does not exist (404)."""


class Rejected(InputError):
    """A request the rules refuse (status given)."""

    def __init__(self, message: str, status: int = 400, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.status = status


# ---------------------------------------------------------------------------- bodies
class Body(BaseModel):
    """A request body. A field it does not know is refused (422, naming the known field
    nearest to it, :func:`validation_message`), as the command line refuses an unknown
    key: until the twentieth session a misspelt one (``{"sed": 3}``, ``{"yeras": 1}``) was
    ignored and its default used without a word."""

    model_config = ConfigDict(extra="forbid")


class OpenRequest(Body):
    dataset: str | None = Field(None, description="a shared research dataset by name")
    file: str | None = Field(None, description="a file in the working folder")
    format: str | None = Field(None, description="the file's format (default: detected)")


class GenerateRequest(Body):
    actors: int = Field(1000, ge=20, le=MAX_GENERATED)
    seed: int = Field(1, ge=0, le=2**31 - 1)


class AnalyzeRequest(Body):
    k: int = Field(5, ge=1, le=50)
    top: int = Field(10, ge=1, le=50)
    steps: int | None = Field(None, ge=1, le=500)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    time_limit: float = Field(10.0, gt=0, le=120)


class InterventionRequest(Body):
    """One ad-hoc intervention of a variant (as ``--variant NAME=kind:intensity:rule:count``
    of the CLI)."""

    kind: str
    intensity: float = Field(1.0, ge=0, le=1000)
    start: float = Field(0.0, ge=0, le=30)
    end: float | None = Field(None, ge=0, le=30)
    rule: str | None = Field(None, max_length=40, description="target rule (operations)")
    count: int | None = Field(None, ge=1, le=100_000, description="actors targeted")

    @model_validator(mode="after")
    def _count_needs_rule(self) -> InterventionRequest:
        # a count alone was dropped without a word (the CLI takes one only after a rule)
        if self.count is not None and self.rule is None:
            raise ValueError("count (actors targeted) needs a rule to choose them by "
                             "(random, degree, betweenness, ...): give rule too")
        return self


class VariantRequest(Body):
    """A variant to compare: one of the scenario's strategies (its intensity and start
    changed if given), ad-hoc interventions, or both."""

    name: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.+-]*$")
    strategy: str | None = Field(None, description="start from this strategy of the scenario")
    intensity: float | None = Field(None, ge=0, le=1000, description="intensity of each of "
                                    "the strategy's interventions (default: its own)")
    start: float | None = Field(None, ge=0, le=30, description="start (years) of each of the "
                                "strategy's interventions (default: its own); an "
                                "intervention's end moves with it, keeping its duration")
    interventions: list[InterventionRequest] = Field(default_factory=list, max_length=10)


class UncertainRequest(Body):
    """A parameter drawn anew for each seed from ``[low, high]`` (as ``--uncertain
    NAME=LOW:HIGH`` of the CLI; ``fentanet.ensemble(uncertain=)``)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    name: str = Field(min_length=1, max_length=120, pattern=DOTTED,
                      description="the scenario field, a dotted path such as "
                                  "params.population.overdose_rate")
    low: float
    high: float

    @model_validator(mode="after")
    def _range(self) -> UncertainRequest:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
        return self


class CompareRequest(Body):
    scenario: str = "toy"
    strategies: list[str] = Field(default_factory=list, max_length=20)
    variants: list[VariantRequest] = Field(default_factory=list, max_length=20)
    runs: int = Field(3, ge=1, le=100)
    years: float | None = Field(None, gt=0, le=30)
    seed: int = Field(1, ge=0, le=2**31 - 1)
    uncertain: list[UncertainRequest] = Field(default_factory=list, max_length=10)

    @field_validator("uncertain")
    @classmethod
    def _once(cls, items: list[UncertainRequest]) -> list[UncertainRequest]:
        names = [u.name for u in items]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"{', '.join(dup)} given twice; give each parameter once")
        return items

    def ranges(self) -> dict[str, tuple[float, float]] | None:
        """The uncertain ranges as ``fentanet.ensemble(uncertain=)`` takes them."""
        return {u.name: (u.low, u.high) for u in self.uncertain} or None

    def overrides(self) -> dict[str, Any] | None:
        """What the request sets for every run (the horizon)."""
        return None if self.years is None else {"years": self.years}


SERIAL_MAX_RUNS = 3
"""A comparison of at most this many runs, or of one seed, runs in the app's process:
starting a local cluster (worker processes that each load fentanet and compile the
model's kernels) takes longer than such runs. Larger ones run on ``$FENTANET_SCHEDULER``
or a new local Dask cluster, one worker per core."""


def comparison_variants(scenario: Any, body: CompareRequest) -> dict[str, Any]:
    """The variants of a comparison request as ``fentanet.ensemble`` takes them: a
    strategy named alone runs as the scenario defines it (``None``), a configured one as
    its full list of interventions. Every intervention is validated here, so that a bad
    one is an :class:`InputError` naming the variant before anything runs."""
    from fentanet.ensemble.plan import distinct_names
    from fentanet.simulate.scenario import variant_interventions

    distinct_names(body.strategies, "strategies")  # as `fentanet compare` refuses them
    distinct_names([*body.strategies, *(v.name for v in body.variants)], "variants")
    out: dict[str, Any] = {name: None for name in body.strategies}
    for v in body.variants:
        items: list[dict[str, Any]] = []
        if v.strategy is not None:
            if v.strategy not in scenario.strategies:
                raise InputError(f"variant {v.name!r}: scenario {scenario.name!r} has no "
                                 f"strategy {v.strategy!r}; it has "
                                 f"{', '.join(scenario.strategies)}", field="variants")
            for iv in scenario.strategies[v.strategy]:
                d = iv.model_dump(mode="json", exclude_defaults=True)
                if v.intensity is not None:
                    d["intensity"] = v.intensity
                if v.start is not None:
                    # the whole window moves: an intervention that ran for two years
                    # still runs for two years (never silently on to the horizon)
                    d["start"] = v.start
                    if iv.end is not None:
                        d["end"] = iv.end + (v.start - iv.start)
                items.append(d)
        elif v.intensity is not None or v.start is not None:
            raise InputError(f"variant {v.name!r}: intensity and start change a strategy's "
                             "interventions; give them per intervention otherwise",
                             field="variants")
        for iv in v.interventions:
            d = {"kind": iv.kind, "intensity": iv.intensity, "start": iv.start}
            if iv.end is not None:
                d["end"] = iv.end
            if iv.rule is not None:
                d["target"] = {"rule": iv.rule, **({"count": iv.count} if iv.count else {})}
            items.append(d)
        if not items:
            raise InputError(f"variant {v.name!r} has no intervention: choose a strategy or "
                             "add interventions", field="variants")
        variant_interventions(v.name, items)
        out[v.name] = items
    if not out:
        raise InputError("choose at least one strategy or variant to compare with the "
                         "baseline", field="strategies")
    return out


def comparison_scheduler(body: CompareRequest, n_variants: int,
                         estimate: Callable[[], float] | None = None) -> str:
    """Where a comparison runs: ``$FENTANET_SCHEDULER`` if set; in this process for a
    tiny one (:data:`SERIAL_MAX_RUNS`) or where an ensemble would run it there
    (:func:`fentanet.ensemble.core.in_this_process`: one core, or runs of ``estimate()``
    seconds each, called only then, that take less in all than a local cluster's start);
    else on a new local cluster."""
    from fentanet.ensemble import SCHEDULER_ENV
    from fentanet.ensemble.core import in_this_process
    from fentanet.ensemble.runner import LOCAL

    if os.environ.get(SCHEDULER_ENV):
        return os.environ[SCHEDULER_ENV]
    total = body.runs * (n_variants + 1)
    if body.runs == 1 or total <= SERIAL_MAX_RUNS:
        return "serial"
    seconds = (lambda: [estimate()]) if estimate is not None else []
    return "serial" if in_this_process(total, None, seconds) else LOCAL


# ---------------------------------------------------------------------------- helpers
def _has_actors(net: Network, name: str) -> None:
    """Refuse a network without actors (a file holding only a header, an empty list of
    nodes): there is nothing in it to draw, explore or analyse."""
    if net.n_actors == 0:
        raise InputError("no actors and no links found in it (only a header?); expected a "
                         "network of at least one link or one actor", file=name)


def _figure(fig: Any) -> dict[str, Any]:
    return json.loads(fig.to_json())


def _slug(text: str) -> str:
    return sec.safe_name(str(text).replace(" ", "-"), default="network", max_length=40)


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    """Write a zip of ``files`` (name -> bytes) atomically to ``path``."""
    from fentanet.network.io import atomic_path

    with atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for name, data in files.items():
                z.writestr(name, data)
    return path


def _csv(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return buf.getvalue().encode()


def _datasets() -> list[dict[str, Any]]:
    from fentanet import datasets

    root = datasets.data_dir()
    return [{"name": name, "available": root is not None and (root / rel).exists()}
            for name, rel in datasets.DATASETS.items()]


DEFAULT_YEARS_AFTER = 1.0
"""The Strategies tab's default horizon runs this many years past the latest start of the
scenario's strategies (capped by the scenario's own horizon): a shorter one would have
strategies that start at or after it, and a comparison of nothing but zeros."""


def default_years(scenario: Any) -> float:
    """The horizon the Strategies tab proposes for ``scenario``: the latest start of its
    strategies' interventions plus :data:`DEFAULT_YEARS_AFTER`, at most the scenario's
    horizon (us-baseline: its strategies start at 1 year, so 2 of its 10 years)."""
    starts = [iv.start for ivs in (scenario.strategies or {}).values() for iv in ivs]
    return float(min(scenario.years, max(starts, default=0.0) + DEFAULT_YEARS_AFTER))


@functools.lru_cache(maxsize=1)
def _scenarios() -> list[dict[str, Any]]:
    from fentanet import scenarios

    out = []
    for name in scenarios.names():
        s = scenarios.load(name)
        gen = s.network.generate or {}
        out.append({"name": name, "years": s.years, "default_years": default_years(s),
                    "description": s.description, "actors": gen.get("actors"),
                    "strategies": {k: [iv.model_dump(mode="json") for iv in v]
                                   for k, v in (s.strategies or {}).items()}})
    return out


# ---------------------------------------------------------------------------- the guard
class Guard:
    """The ASGI layer that applies :mod:`fentanet.web.security` to every request."""

    def __init__(self, app: Any, *, token: str | None, allowed_hosts: list[str] | None,
                 max_body: int, max_upload: int) -> None:
        self.app = app
        self.token = token
        self.allowed_hosts = allowed_hosts
        self.max_body = max_body  # the upload limit plus room for the form's own fields
        self.max_upload = max_upload

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            # the app has no websocket routes: refuse them all, before any check could be
            # missed (closing before accepting answers the handshake with 403)
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":  # lifespan
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        host = headers.get("host")
        if not sec.host_allowed(host, self.allowed_hosts):
            await _reply(send, 421, {"error": "this app answers only on the address it was "
                                              "started with (localhost)"})
            return
        set_cookie = None
        if self.token is not None:
            from http.cookies import SimpleCookie

            query = scope.get("query_string", b"").decode("latin-1")
            from urllib.parse import parse_qs

            given_query = parse_qs(query).get("token", [None])[0]
            cookie = SimpleCookie()
            try:
                cookie.load(headers.get("cookie", ""))
            except Exception:  # a malformed cookie header: as if none
                cookie = SimpleCookie()
            given_cookie = cookie[sec.TOKEN_COOKIE].value if sec.TOKEN_COOKIE in cookie \
                else None
            ok_header = sec.token_matches(headers.get(sec.TOKEN_HEADER), self.token)
            ok_query = sec.token_matches(given_query, self.token)
            ok_cookie = sec.token_matches(given_cookie, self.token)
            if not (ok_header or ok_query or ok_cookie):
                status = 401 if not (headers.get(sec.TOKEN_HEADER) or given_query
                                     or given_cookie) else 403
                await _reply(send, status, {"error": "this app needs the access token "
                             "printed when it started: open the address it printed "
                             "(with ?token=...) or send the X-Fentanet-Token header"
                             if status == 401 else "wrong access token"})
                return
            if ok_query:
                set_cookie = (f"{sec.TOKEN_COOKIE}={self.token}; Path=/; HttpOnly; "
                              "SameSite=Strict")
                if scope["method"] == "GET":  # drop the token from the address bar
                    location = sec.strip_token(scope.get("path", "/"), query)
                    await _reply(send, 303, None, extra=[
                        (b"location", location.encode("latin-1")),
                        (b"set-cookie", set_cookie.encode("latin-1"))])
                    return
        if scope["method"] not in ("GET", "HEAD", "OPTIONS") and not sec.same_origin(
                headers.get("origin"), host):
            await _reply(send, 403, {"error": "requests from other sites are refused"})
            return
        length = headers.get("content-length")
        if length is not None:
            try:
                too_big = int(length) > self.max_body
            except ValueError:
                await _reply(send, 400, {"error": "bad Content-Length header"})
                return
            if too_big:
                await _reply(send, 413, {"error": _too_large(self.max_upload)})
                return

        flag = {"too_large": False}
        replaced = False

        async def guarded_send(message: dict) -> None:
            nonlocal replaced
            if flag["too_large"]:  # the body went over the limit: answer 413, whatever
                if not replaced:   # the framework made of the interrupted read
                    replaced = True
                    await _reply(send, 413, {"error": _too_large(self.max_upload)})
                return
            if set_cookie and message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = [*message.get("headers", []),
                                      (b"set-cookie", set_cookie.encode("latin-1"))]
            await send(message)

        await self.app(scope, sec.limit_receive(receive, self.max_body, flag), guarded_send)


def validation_message(errors: list[dict[str, Any]], body: Any = None) -> str:
    """One message for the page from a request's validation errors (at most five): each
    names its field (dotted, such as ``variants.0.intensity``) and what was wrong; an
    unknown field first, with the known one nearest to it and the list of them when the
    route's body model ``body`` is known; a body that is not JSON says where it breaks."""
    import difflib

    from fentanet.simulate.scenario import _model_at

    parts = []
    for e in sorted(errors, key=lambda e: e.get("type") != "extra_forbidden")[:5]:
        loc = tuple(p for p in e.get("loc", ()) if p not in ("body", "query"))
        where = ".".join(str(p) for p in loc)
        msg = str(e.get("msg", "invalid"))
        if e.get("type") == "json_invalid":
            at = loc[0] if loc and isinstance(loc[0], int) else None
            why = (e.get("ctx") or {}).get("error") or msg
            parts.append("the body is not valid JSON" + (f" at character {at}" if at is not None
                                                         else "") + f": {why}")
            continue
        if e.get("type") == "extra_forbidden" and loc:
            model = None
            if isinstance(body, type) and issubclass(body, BaseModel):
                model = _model_at(body, loc[:-1])
            key = str(loc[-1])
            msg = f"unknown field {key!r}"
            if model is not None:
                known = list(model.model_fields)
                near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
                msg += (f" (did you mean {near[0]!r}?)" if near else "") + \
                    f"; expected one of: {', '.join(known)}"
        elif e.get("type") == "value_error":  # our own checks' messages, without the prefix
            msg = msg.removeprefix("Value error, ")
        parts.append(f"{where or 'request'}: {msg}")
    return "invalid request: " + "; ".join(parts)


def route_body(request: Request) -> Any:
    """The body model of the route a request reached (``None`` without one): FastAPI's own
    for a JSON body, the one it makes of a multipart form's fields."""
    route = request.scope.get("route")
    return getattr(getattr(getattr(route, "body_field", None), "field_info", None),
                   "annotation", None)


async def known_form_fields(request: Request) -> None:
    """Refuse a multipart form holding a field its route does not take, or one of its
    fields twice (422, as :class:`Body` refuses a JSON body's, the known field nearest to
    it named by :func:`validation_message`): until the twenty-second session an upload's
    misspelt ``fromat`` was ignored and the format detected, and a misspelt ``fiel`` read
    "file: Field required" without a word of the field given. A dependency of the route:
    FastAPI has read the form by then, and ``request.form()`` gives it again."""
    model = route_body(request)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return
    form = await request.form()
    known = model.model_fields
    errors: list[dict[str, Any]] = [
        {"type": "extra_forbidden", "loc": ("body", key), "msg": "Extra inputs are not "
         "permitted"} for key in dict.fromkeys(form.keys()) if key not in known]
    errors += [{"type": "value_error", "loc": ("body", key),
                "msg": f"given {len(form.getlist(key))} times; give it once"}
               for key in known if len(form.getlist(key)) > 1]
    if errors:  # with the required fields missing, as FastAPI would have said them
        errors += [{"type": "missing", "loc": ("body", key), "msg": "Field required"}
                   for key, f in known.items() if f.is_required() and key not in form]
        raise RequestValidationError(errors)


async def known_query(request: Request) -> None:
    """Refuse a query parameter the route does not take (422, the nearest one named), as
    :func:`known_form_fields` refuses a form's: until the twenty-second session a misspelt
    ``?colour_by=kind`` or ``?limt=5`` was ignored and the default used without a word.
    ``token`` (the access token, :class:`Guard`'s) is taken everywhere; the pages and
    files (outside ``/api/``) take any, as a browser may add some."""
    import difflib

    dependant = getattr(request.scope.get("route"), "dependant", None)
    if dependant is None or not request.url.path.startswith("/api/"):
        return
    known: list[str] = []
    todo = [dependant]
    while todo:  # the route's own parameters and its dependencies'
        d = todo.pop()
        known += [p.alias for p in d.query_params if p.alias not in known]
        todo += d.dependencies
    errors = []
    for key in dict.fromkeys(request.query_params.keys()):
        if key in known or key == "token":
            continue
        near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        errors.append({"type": "value_error", "loc": ("query", key), "msg": (
            f"unknown parameter {key!r}" + (f" (did you mean {near[0]!r}?)" if near else "")
            + (f"; expected one of: {', '.join(known)}" if known else
               "; this address takes none"))})
    if errors:
        raise RequestValidationError(errors)


def _no_job(jid: str) -> str:
    return (f"no job '{jid}' (the app keeps its jobs while it runs: a restart forgets them, "
            "and the reports, results and runs they made stay in the working folder)")


def _too_large(limit: int) -> str:
    return f"the request is larger than the limit of {limit / 1e6:.3g} MB"


async def _reply(send: Any, status: int, body: Any, extra: list | None = None) -> None:
    data = b"" if body is None else json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(data)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


# ---------------------------------------------------------------------------- the app
def create_app(workdir: str | os.PathLike[str], *, token: str | None = None,
               allowed_hosts: list[str] | None = None, max_upload: int = MAX_UPLOAD) -> Any:
    """The web app (an ASGI application) working in ``workdir`` (created if missing).

    Parameters
    ----------
    workdir
        The working folder: uploads, reports, results and runs live in it, and no request
        reaches outside it.
    token
        When given, every request must carry it (``X-Fentanet-Token`` header, ``?token=``
        once, then a cookie). ``fentanet serve`` sets one when bound beyond the loopback.
    allowed_hosts
        Host names the app answers to (``None``: any); ``fentanet serve`` gives the
        loopback names when bound to the loopback.
    max_upload
        Largest request body accepted, in bytes (uploads above it get 413).
    """
    ws = Workspace(Path(workdir))
    jobs = JobRunner(clean=ws.clean)
    api = FastAPI(title="fentanet", docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(known_query)])
    api.state.workspace = ws
    api.state.jobs = jobs

    # ------------------------------------------------------------------ errors
    @api.exception_handler(sec.BodyTooLarge)
    async def _large(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": _too_large(max_upload)}, status_code=413)

    @api.exception_handler(FentanetError)
    async def _input(request: Request, exc: FentanetError) -> JSONResponse:
        status = 404 if isinstance(exc, NotFound) else getattr(exc, "status", 400)
        if isinstance(exc, sec.PathError) and "no file" in str(exc):
            status = 404
        return JSONResponse({"error": ws.clean(str(exc))}, status_code=status)

    @api.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "request refused"
        return JSONResponse({"error": detail}, status_code=exc.status_code)

    @api.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": validation_message(exc.errors(), route_body(request))},
                            status_code=422)

    @api.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        ref = uuid.uuid4().hex[:8]
        log.error("request %s %s failed (ref %s)", request.method, request.url.path, ref,
                  exc_info=exc)
        return JSONResponse({"error": f"internal error (ref {ref}); the details are in the "
                                      "server log"}, status_code=500)

    # ------------------------------------------------------------------ pages
    def _page(name: str) -> Response:
        return HTMLResponse((STATIC / name).read_text(encoding="utf-8"),
                            headers={"content-security-policy": APP_CSP,
                                     "x-content-type-options": "nosniff",
                                     "cache-control": "no-store"})

    @api.get("/", include_in_schema=False)
    def index() -> Response:
        return _page("index.html")

    @api.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name == "plotly.min.js":  # the plotly Python package's own copy: no CDN
            import plotly

            path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
        else:
            path = sec.safe_path(STATIC, name, where="the app's static files")
        types = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml",
                 ".html": "text/html", ".png": "image/png"}
        return FileResponse(path, media_type=types.get(path.suffix, "application/octet-stream"),
                            headers={"x-content-type-options": "nosniff",
                                     "cache-control": "max-age=3600"})

    # ------------------------------------------------------------------ about
    @api.get("/api/info")
    def info() -> dict:
        from fentanet import __version__
        from fentanet.simulate.params import INTERVENTION_KINDS

        return {"version": __version__, "workdir": ws.root.name,
                "datasets": _datasets(), "scenarios": [
                    {k: v for k, v in s.items() if k != "strategies"}
                    | {"strategies": list(s["strategies"])} for s in _scenarios()],
                "interventions": list(INTERVENTION_KINDS),
                "limits": {"upload_bytes": max_upload, "generated_actors": MAX_GENERATED},
                "token_required": token is not None}

    @api.get("/api/scenarios")
    def scenarios_() -> list:
        return _scenarios()

    # ------------------------------------------------------------------ networks
    @api.get("/api/networks")
    def networks() -> list:
        with ws.lock:
            return [n.summary() for n in ws.networks.values()]

    @api.post("/api/networks/open")
    def open_network(body: OpenRequest) -> dict:
        from fentanet import datasets
        from fentanet.network.io import read

        if (body.dataset is None) == (body.file is None):
            raise InputError("give either 'dataset' (a shared dataset's name) or 'file' (a "
                             "file in the working folder)", field="dataset")
        if body.dataset is not None:
            if body.dataset not in datasets.DATASETS:
                raise NotFound(f"no dataset '{body.dataset}'; the shared datasets are "
                               f"{', '.join(datasets.DATASETS)}", field="dataset")
            if body.format:
                raise InputError(f"a dataset is read in its own format; 'format' "
                                 f"({body.format!r}) is for a 'file' only: leave it out",
                                 field="format")
            net = datasets.load(body.dataset)
            return ws.add(net, body.dataset, f"dataset {body.dataset}").summary()
        path = ws.path(body.file, field="file")
        if path.is_dir():
            raise InputError(f"'{body.file}' is a folder; expected a network file",
                             field="file")
        net = read(path, format=body.format) if body.format else read(path)
        _has_actors(net, ws.rel(path))
        return ws.add(net, path.name, f"file {ws.rel(path)}").summary()

    @api.post("/api/networks/upload", dependencies=[Depends(known_form_fields)])
    def upload(file: Annotated[UploadFile, File()],
               format: Annotated[str | None, Form()] = None) -> dict:
        from fentanet.network.io import read

        name = sec.safe_name(file.filename)
        folder = ws.root / "uploads"
        with ws.lock:
            path = sec.unique_path(folder, name)
            tmp = folder / f".{path.name}.{uuid.uuid4().hex[:8]}.part"
            try:
                with open(tmp, "xb") as out:
                    size = 0
                    while chunk := file.file.read(1 << 20):
                        size += len(chunk)
                        if size > max_upload:
                            raise Rejected(_too_large(max_upload), status=413)
                        out.write(chunk)
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
        try:
            net = read(path, format=format or None)
            _has_actors(net, ws.rel(path))
        except BaseException:
            path.unlink(missing_ok=True)  # only valid networks are kept
            raise
        item = ws.add(net, path.name, f"upload {ws.rel(path)}")
        return {**item.summary(), "file": ws.rel(path)}

    @api.post("/api/networks/generate")
    def generate_network(body: GenerateRequest) -> dict:
        from fentanet.network import generate

        net = generate({"actors": body.actors}, seed=body.seed)
        return ws.add(net, f"generated {body.actors:,} (seed {body.seed})",
                      f"generated {body.actors} actors, seed {body.seed}").summary()

    @api.get("/api/networks/{nid}")
    def network(nid: str) -> dict:
        return ws.get(nid).summary()

    @api.delete("/api/networks/{nid}")
    def close_network(nid: str) -> dict:
        with ws.lock:
            ws.close(ws.get(nid), "closed (DELETE /api/networks/ID)")
        return {"closed": nid}

    def _communities(item: Opened) -> Any:
        if item.communities is None:
            if item.analysis is not None and item.analysis.communities is not None:
                item.communities = item.analysis.communities
            else:
                from fentanet.analysis import communities

                item.communities = communities(item.net, seed=0)
        return item.communities

    @api.get("/api/networks/{nid}/figure")
    def figure(nid: str, color_by: str = "auto", kinds: str | None = None,
               ego: str | None = None, radius: int = 1, highlight: bool = True,
               selected: str | None = None, max_actors: int = 1500) -> Response:
        from fentanet.report.analysis import highlight_sets
        from fentanet.report.figures import network_figure

        item = ws.get(nid)
        net = item.net
        if net.n_actors == 0:
            raise InputError(f"{item.label} has no actors: there is nothing to draw",
                             field="network")
        if color_by == "auto":
            color_by = "kind" if net.is_typed else "community"
        if color_by not in ("kind", "community"):
            raise InputError("color_by must be kind or community", field="color_by")
        if not 0 <= radius <= 3:
            raise InputError("radius must be 0 to 3", field="radius")
        if not 10 <= max_actors <= 5000:
            raise InputError("max_actors must be 10 to 5000", field="max_actors")
        groups: Any = _communities(item) if color_by == "community" else "kind"
        view, title = net, item.label
        if kinds is not None:
            from fentanet.network.kinds import ACTOR_KINDS

            wanted = [k.strip() for k in kinds.split(",") if k.strip()]
            unknown = [k for k in wanted if k not in ACTOR_KINDS]
            if unknown:
                raise InputError(f"unknown kind(s) {unknown}; expected any of "
                                 f"{', '.join(ACTOR_KINDS)}", field="kinds")
            view = view.select(actor_kinds=wanted)
            if view.n_actors == 0:  # it drew an empty plot without a word
                have = ", ".join(item.net_summary()["actor_kinds"])
                raise InputError(f"no actor of kind {', '.join(wanted) or '(none given)'} in "
                                 f"{item.label}; it has {have}", field="kinds")
            title += f" · {', '.join(wanted)}"
        if ego:
            if ego not in set(view.ids.tolist()):
                raise NotFound(f"no actor '{ego}' in this view", field="ego")
            view = view.ego(ego, radius=radius)
            title += f" · ego network of {ego} (radius {radius})"
        marks = highlight_sets(item.analysis) if (highlight and item.analysis) else {}
        if selected and selected in set(view.ids.tolist()):
            marks = {**marks, "selected": [selected]}
        fig = network_figure(view, color_by=groups, highlight=marks, max_actors=max_actors,
                             title=title, height=640,
                             size_by=(item.analysis.centrality["betweenness"]
                                      if item.analysis is not None and "betweenness" in
                                      item.analysis.centrality else None))
        fig.update_layout(title={"font": {"size": 14}}, margin={"t": 60})
        return Response(fig.to_json(), media_type="application/json")

    @api.get("/api/networks/{nid}/search")
    def search(nid: str, q: str = "", limit: int = 20) -> list:
        item = ws.get(nid)
        if not 1 <= limit <= 200:  # it was clamped without a word
            raise InputError("limit must be 1 to 200", field="limit")
        ids = item.net.ids.astype(str)
        kinds = item.net.actors["kind"].to_numpy(dtype=object)
        deg = item.net.degree().to_numpy()
        needle = q.strip().lower()
        low = np.char.lower(ids.astype(str))
        hit = np.flatnonzero(np.char.find(low, needle) >= 0) if needle else np.arange(len(ids))
        starts = np.char.startswith(low[hit], needle) if needle else np.ones(hit.size, bool)
        order = hit[np.lexsort((np.arange(hit.size), -deg[hit], ~starts))][:limit]
        return [{"id": ids[i], "kind": kinds[i], "degree": int(deg[i])} for i in order]

    @api.get("/api/networks/{nid}/actor")
    def actor(nid: str, id: str) -> dict:
        item = ws.get(nid)
        net = item.net
        known = pd.Index(net.ids.astype(str))
        pos = known.get_indexer([id])[0]
        if pos < 0:
            raise NotFound(f"no actor '{id}' in {item.label}", field="id")
        row = net.actors.iloc[pos]
        attrs = {k: jsonable(v) for k, v in row.items()
                 if k not in ("id",) and not (v is None or (isinstance(v, float)
                                                            and math.isnan(v)))}
        adj = net.adjacency(symmetric=True)
        nbrs = np.unique(adj[[pos]].indices)
        kinds = net.actors["kind"].to_numpy(dtype=object)
        out: dict[str, Any] = {
            "id": id, "kind": str(row["kind"]), "attributes": attrs,
            "degree": int(net.degree().iloc[pos]), "neighbour_count": int(nbrs.size),
            "neighbours": [
                {"id": str(net.ids[j]), "kind": str(kinds[j])} for j in nbrs[:100]],
            "more_neighbours": max(int(nbrs.size) - 100, 0)}
        if net.directed:
            out["in_degree"] = int(np.isin(net.target_index, [pos]).sum())
            out["out_degree"] = int(np.isin(net.source_index, [pos]).sum())
        comm = item.communities or (item.analysis.communities if item.analysis else None)
        if comm is not None:
            out["community"] = int(comm.membership.iloc[pos])
        if item.analysis is not None:
            from fentanet.report.analysis import highlight_sets

            c = item.analysis.centrality
            out["centrality"] = {k: jsonable(c.iloc[pos][k]) for k in c.columns if k != "kind"}
            out["marked"] = [name for name, ids in highlight_sets(item.analysis).items()
                             if id in ids]
        return out

    # ------------------------------------------------------------------ analysis
    @api.post("/api/networks/{nid}/analyze")
    def analyze_network(nid: str, body: AnalyzeRequest) -> dict:
        item = ws.get(nid)
        if item.net.n_actors < 3:
            n = item.net.n_actors
            raise InputError(f"{item.label} has {n} actor{'' if n == 1 else 's'}: the analysis "
                             "needs a network of at least 3 actors", field="network")
        if not 1 <= body.k <= item.net.n_actors - 2:
            most = item.net.n_actors - 2
            raise InputError(f"k must be {'1' if most == 1 else f'1 to {most}'} for "
                             f"{item.label} (its {item.net.n_actors} actors less 2)",
                             field="k")
        job = jobs.submit("analysis", f"Analysis of {item.label}",
                          functools.partial(_analysis_job, ws, item, body),
                          params={"network": item.id, **body.model_dump()})
        item.analysis_job = job.id
        return job.public()

    @api.get("/api/networks/{nid}/analysis")
    def analysis(nid: str) -> dict:
        item = ws.get(nid)
        job = jobs.get(item.analysis_job) if item.analysis_job else None
        if job is not None and job.status == "cancelled" and item.analysis_done:
            job = jobs.get(item.analysis_done) or job  # the analysis the network has
        if job is None:
            return {"status": "none", "message": f"{item.label} has not been analysed yet"}
        return job.public()

    # ------------------------------------------------------------------ comparison
    @api.post("/api/compare")
    def compare(body: CompareRequest) -> dict:
        known = {s["name"]: s for s in _scenarios()}
        if body.scenario not in known:
            raise NotFound(f"no scenario '{body.scenario}'; the built-in scenarios are "
                           f"{', '.join(known)}", field="scenario")
        have = list(known[body.scenario]["strategies"])
        unknown = [s for s in body.strategies if s not in have]
        if unknown:
            raise InputError(f"scenario {body.scenario!r} has no strategy "
                             f"{', '.join(unknown)}; it has {', '.join(have)}",
                             field="strategies")
        from fentanet import scenarios
        from fentanet.ensemble import check_inputs

        variants = comparison_variants(scenarios.load(body.scenario), body)
        # uncertain ranges checked against the scenario (each end, no parameter given two
        # roles) now, not as a failed job
        check_inputs(body.scenario, variants=variants, overrides=body.overrides(),
                     uncertain=body.ranges(), networks=False)
        names = list(variants)
        job = jobs.submit("comparison", f"{body.scenario}: {', '.join(names)}",
                          functools.partial(_compare_job, ws, body),
                          params=body.model_dump())
        return job.public()

    # ------------------------------------------------------------------ stored ensembles
    def _store() -> Any:
        from fentanet.store import RunStore

        return RunStore(ws.root / "runs")

    @api.get("/api/ensembles")
    def ensembles(response: Response, offset: int = 0, limit: int = ENSEMBLES_SHOWN) -> list:
        if offset < 0:
            raise InputError("offset must be 0 or more", field="offset")
        if not 1 <= limit <= ENSEMBLES_MAX:
            raise InputError(f"limit must be 1 to {ENSEMBLES_MAX}", field="limit")
        table, total = ensemble_list(_store(), offset, limit)
        response.headers["X-Total-Count"] = str(total)
        return json_records(table)

    views: OrderedDict[str, tuple[Any, dict]] = OrderedDict()  # id -> (runs' state, view)
    views_lock = threading.Lock()

    @api.get("/api/ensembles/{eid}")
    def stored_ensemble(eid: str) -> dict:
        import re

        from fentanet.ensemble import Ensemble

        st = _store()
        runs = st.runs(ensemble=eid) if re.fullmatch(ENSEMBLE_ID, eid) else None
        if runs is None or runs.empty:
            raise NotFound(f"no ensemble '{eid}' in the working folder's run store",
                           field="ensemble")
        # the view is made again only when a run of the ensemble was added, changed or
        # deleted; the views of the ensembles shown last are kept
        state = tuple(map(tuple, runs[["run_id", "status", "finished_at"]].astype(str)
                          .to_numpy()))
        with views_lock:
            kept = views.get(eid)
            if kept is not None and kept[0] == state:
                views.move_to_end(eid)
                return kept[1]
        view = ensemble_view(Ensemble.load(st, eid))  # seconds: not under the lock
        with views_lock:
            views[eid] = (state, view)
            views.move_to_end(eid)
            while len(views) > VIEWS_KEPT:
                views.popitem(last=False)
        return view

    # ------------------------------------------------------------------ jobs
    @api.get("/api/jobs")
    def job_list() -> list:
        return [j.public(result=False) for j in reversed(jobs.list())]

    @api.get("/api/jobs/{jid}")
    def job(jid: str) -> dict:
        j = jobs.get(jid)
        if j is None:
            raise NotFound(_no_job(jid))
        return j.public()

    @api.delete("/api/jobs/{jid}")
    def cancel_job(jid: str) -> JSONResponse:
        j = jobs.cancel(jid)
        if j is None:
            raise NotFound(_no_job(jid))
        if j.status in ("done", "failed"):
            raise Rejected(f"job '{jid}' has already finished ({j.status}): there is nothing "
                           "to cancel", status=409)
        # cancelled (it was queued, or already cancelled), or running until its next
        # progress report: accepted
        return JSONResponse(j.public(result=False),
                            status_code=200 if j.status == "cancelled" else 202)

    # ------------------------------------------------------------------ files
    @api.get("/api/files")
    def files() -> list:
        out = []
        for sub in ("reports", "results", "uploads"):
            rows = []
            for p in (ws.root / sub).iterdir():
                # plain files only (a symbolic link may point outside the working folder),
                # not hidden ones: the temporaries of the files the app writes are named
                # .NAME.*.part or .NAME.*.tmp (an upload's own name never starts with a dot)
                if p.name.startswith("."):
                    continue
                try:
                    st = p.lstat()  # a file may vanish meanwhile (a job renaming its .part)
                except FileNotFoundError:
                    continue
                if stat.S_ISREG(st.st_mode):
                    rows.append({"path": ws.rel(p), "folder": sub, "name": p.name,
                                 "bytes": st.st_size, "modified": st.st_mtime})
            out.extend(sorted(rows, key=lambda r: -r["modified"]))
        return out

    @api.get("/files/{relative:path}", include_in_schema=False)
    def download(relative: str, inline: bool = False) -> Response:
        path = ws.path(relative)
        if path.is_dir():
            raise InputError(f"'{relative}' is a folder", field="path")
        top = ws.rel(path).split("/", 1)[0]
        if top not in ("reports", "results", "uploads"):
            raise Rejected("only reports, results and uploads can be downloaded", status=403)
        # only the app's own reports open in the browser (sandboxed); anything else, an
        # upload above all, is a download whatever its name or content
        if inline and top == "reports" and path.suffix == ".html":
            return FileResponse(path, media_type="text/html", headers={
                "content-security-policy": REPORT_CSP, "x-content-type-options": "nosniff"})
        # a markup file not made by the app goes out as plain bytes, never as a page
        active = top != "reports" and path.suffix.lower() in (
            ".html", ".htm", ".xhtml", ".svg", ".xml")
        return FileResponse(path, filename=path.name, content_disposition_type="attachment",
                            media_type="application/octet-stream" if active else None,
                            headers={"x-content-type-options": "nosniff"})

    @api.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    app = Guard(api, token=token, allowed_hosts=allowed_hosts, max_body=max_upload + 65536,
                max_upload=max_upload)
    app.api = api  # for tests and for uvicorn's lifespan
    return app


# ---------------------------------------------------------------------------- jobs
def _analysis_job(ws: Workspace, item: Opened, body: AnalyzeRequest, job: Job) -> dict:
    from fentanet.analysis.summary import analyze
    from fentanet.report import analysis_report
    from fentanet.report.analysis import broker_table, community_table, highlight_sets
    from fentanet.report.figures import network_figure, resilience_figure

    # the pipeline says the share it has done, part by part and, in resilience (most of the
    # time on a large network), removal by removal: until the twenty-second session the
    # bar sat at 5% until it had finished (four minutes on 10^4 actors), and a
    # cancellation waited for all of it
    a = analyze(item.net, k=body.k, top=body.top, steps=body.steps, seed=body.seed,
                time_limit=body.time_limit,
                share=lambda done, what: job.update(min(0.02 + 0.68 * done, 0.7), what))
    job.update(0.7, "drawing the network and making the report")
    marks = highlight_sets(a)
    size = a.centrality["betweenness"] if "betweenness" in a.centrality else None
    fig = network_figure(item.net, color_by="kind" if item.net.is_typed else a.communities,
                         highlight=marks, size_by=size, title=f"{item.label}: key players")
    stem = f"analysis-{_slug(item.label)}-{job.id}"
    rep = analysis_report(item.net, a, curve_time_limit=min(body.time_limit, 5.0))
    tables = {f"{k}.csv": _csv(v) for k, v in a.tables().items()}
    tables["report.json"] = json.dumps(jsonable(a.to_dict()), indent=1).encode()
    # the last point where a cancellation stops it: a job cancelled until here leaves no
    # file and the network as it was; past it, it writes its files and ends
    job.update(0.95, "writing the report and the tables")
    report = rep.save(ws.root / "reports" / f"{stem}.html")
    archive = _zip(ws.root / "results" / f"{stem}.zip", tables)
    item.analysis, item.communities, item.analysis_done = a, a.communities, job.id
    kp = [{"objective": name, "k": r.k, "actors": [str(x) for x in r.actors],
           "score": jsonable(r.score), "exact": r.exact} for name, r in a.key_players.items()]
    flow = None
    if a.flow is not None:
        flow = {"value": jsonable(a.flow.value), "sources": len(a.flow.sources),
                "sinks": len(a.flow.sinks), "cut_actors": a.flow.cut_actors,
                "cut": json_records(a.flow.cut.head(20))}
    inter = None
    if a.interdiction is not None:
        i = a.interdiction
        inter = {"budget": i.budget, "cost_used": jsonable(i.cost_used), "target": i.target,
                 "removed": i.removed,
                 "flow_before": jsonable(i.flow_before), "flow_after": jsonable(i.flow_after),
                 "optimal": i.optimal, "gap": jsonable(i.gap)}
    return {
        "network": item.summary(),
        "key_players": kp,
        "marked": marks,
        "top": {m: [{"actor": str(k), "value": jsonable(v)} for k, v in s.items()]
                for m, s in a.top.items()},
        "communities": None if a.communities is None else {
            "n": a.communities.n_communities, "quality": jsonable(a.communities.quality),
            "method": a.communities.method, "table": json_records(community_table(a))},
        "brokers": json_records(broker_table(a)),
        "flow": flow, "interdiction": inter,
        "resilience_summary": json_records(a.resilience_summary),
        "notes": [ws.clean(n) for n in a.notes],
        "seconds": a.seconds,
        "figures": {"network": _figure(fig), "resilience": _figure(
            resilience_figure(a.resilience))},
        "report": ws.rel(report), "download": ws.rel(archive),
    }


def stepping_model(on_step: Callable[[int, int], None]) -> Callable[..., Any]:
    """``fentanet.simulate`` reporting each step of a run to ``on_step(step, n_steps)``,
    under the name of ``fentanet.simulate`` itself: the progress callback does not change
    the run, and a run's record names its model by that name, which
    :func:`fentanet.ensemble.rerun` (``fentanet runs rerun``) makes it again with (a bare
    ``functools.partial`` was recorded as ``'functools:?'`` and refused as a model outside
    fentanet)."""
    import fentanet

    model = functools.partial(fentanet.simulate, progress=on_step)
    return functools.update_wrapper(model, fentanet.simulate)


def _compare_job(ws: Workspace, body: CompareRequest, job: Job) -> dict:
    from fentanet.ensemble import EnsembleInterrupted, ensemble, load_scenario
    from fentanet.ensemble.runner import LOCAL
    from fentanet.report import simulation_report
    from fentanet.report.simulation import (
        comparison,
        drawn_values,
        run_tables,
        side_by_side,
        uncertainty_table,
    )
    from fentanet.simulate.run import check_network, run_seconds

    sc = load_scenario(body.scenario)
    variants = comparison_variants(sc, body)
    timed = sc.override(body.overrides()) if body.overrides() else sc
    scheduler = comparison_scheduler(body, len(variants),
                                     lambda: run_seconds(timed, check_network(timed)))
    total = body.runs * (len(variants) + 1)
    done = 0

    def on_run(record: Any) -> None:
        nonlocal done
        done += 1
        job.update(done / total * 0.9, f"{done} of {total} runs finished")

    def on_step(i: int, n: int) -> None:
        job.update((done + i / max(n, 1)) / total * 0.9,
                   f"run {done + 1} of {total}: step {i} of {n}")

    where = {"serial": "here", LOCAL: "a local Dask cluster"}.get(scheduler, scheduler)
    # a run reports its steps after the spin-up, and the first after an install or an update
    # compiles the model before that: say so, rather than sit at 0% without a word
    job.update(0.0, f"run 1 of {total} (here): the spin-up to the status quo; the first run "
               "after fentanet is installed or updated compiles the model first (a minute or "
               "more)" if scheduler == "serial" else f"{total} runs to make ({where})")
    # in this process, progress step by step; on a cluster, run by run
    model = stepping_model(on_step) if scheduler == "serial" else None
    # on a cluster, progress comes only as runs end: a server stopping interrupts the
    # ensemble where it waits (JobRunner.stop), as a Ctrl-C of `fentanet compare` does
    interrupt = job.interruptions() if scheduler != "serial" else contextlib.nullcontext()
    try:
        with interrupt:
            ens = ensemble(body.scenario, body.runs, variants=variants, seed=body.seed,
                           scheduler=scheduler, store=ws.root / "runs", progress=on_run,
                           model=model, overrides=body.overrides(), uncertain=body.ranges())
    except EnsembleInterrupted as exc:
        # cancelled at a run's step or end (JobCancelled, which the ensemble takes as a
        # Ctrl-C): the runs finished before it are complete in the run store, the one in
        # progress was not written
        kept = len(exc.ensemble.runs())
        raise JobCancelled("cancelled before any run finished" if not kept else
                           f"cancelled: {kept} of {total} runs finished and kept in the "
                           f"run store (ensemble {exc.ensemble.id})") from None
    try:
        job.update(0.92, "writing the report")  # the last point where a cancellation stops it
    except JobCancelled:
        raise JobCancelled(f"cancelled: its {total} runs finished and are kept in the run "
                           f"store (ensemble {ens.id}); no report was written") from None
    tables = run_tables(ens)
    if tables.summary.empty:
        raise InputError("every run failed: " + "; ".join(
            ens.failed["error"].astype(str).str.split("\n").str[0].head(3)))
    rep = simulation_report(tables)
    stem = f"compare-{_slug(body.scenario)}-{job.id}"
    report = rep.save(ws.root / "reports" / f"{stem}.html")
    files = {"comparison.csv": _csv(comparison(tables)),
             "side_by_side.csv": _csv(side_by_side(tables)),
             "summary.csv": _csv(tables.summary), "series.csv": _csv(tables.series)}
    if tables.meta.get("uncertain"):
        files["uncertain.csv"] = _csv(uncertainty_table(tables))
        files["drawn.csv"] = _csv(drawn_values(tables))
    archive = _zip(ws.root / "results" / f"{stem}.zip", files)
    return {**ensemble_view(ens, tables, rep), "report": ws.rel(report),
            "download": ws.rel(archive),
            # what the runs said of themselves (an operation short of targets, ...): on the
            # page, not only in the server's log
            "warnings": [ws.clean(t) for t in ens.notes]}


ENSEMBLES_SHOWN = 200
"""Ensembles ``GET /api/ensembles`` lists by default, newest first (``limit``); the header
``X-Total-Count`` gives how many the store holds, and ``offset`` pages through them."""
ENSEMBLES_MAX = 1000
"""The largest ``limit`` of ``GET /api/ensembles``."""

VIEWS_KEPT = 8
"""Views of stored ensembles the app keeps, those shown last (the tables and figures of one
take about a second to make for a hundred runs)."""

FIGURES = ["series-overdose-deaths", "series-supply-kg", "deaths-averted",
           "deaths-averted-over-time", "cost-per-death-averted", "supply-reduction-pct"]
"""The report's figures the Strategies tab shows (with every ``uncertain-*`` one)."""


def ensemble_view(ens: Any, tables: Any = None, rep: Any = None) -> dict[str, Any]:
    """What the Strategies tab shows of an ensemble (a comparison just run, or one reopened
    from the run store): the strategies side by side, the paired comparison, the report's
    main figures and, with uncertain parameters, their ranges, the values drawn per seed
    and the report's figures of deaths averted against them. Built from the report's own
    tables and figures (:mod:`fentanet.report.simulation`)."""
    from fentanet.report import simulation_report
    from fentanet.report.simulation import (
        comparison,
        drawn_values,
        run_tables,
        side_by_side,
        strategy_definitions,
        uncertainty_table,
    )

    tables = run_tables(ens) if tables is None else tables
    if tables.summary.empty:
        raise InputError(f"ensemble {ens.id} has no finished run to show", field="ensemble")
    figs = (simulation_report(tables) if rep is None else rep).figures()
    keep = [*FIGURES, *(k for k in figs if k.startswith("uncertain-"))]
    sweep = list(tables.meta.get("sweep") or [])  # the swept parameters' columns
    uncertain = None
    if tables.meta.get("uncertain"):
        uncertain = {"ranges": json_records(uncertainty_table(tables)),
                     "drawn": json_records(drawn_values(tables))}
    return {"scenario": ens.scenario, "ensemble": ens.id, "variants": ens.variants,
            "seeds": ens.seeds, "years": horizons(tables.summary), "sweep": sweep,
            "failed": len(ens.failed),
            "definitions": json_records(strategy_definitions(tables)),
            # a sweep's points each a row of their own, as the report has them (pooled,
            # 2 seeds at 2 points read "seeds 4", their median and band over both)
            "side_by_side": json_records(side_by_side(tables,
                                                      group="point" if sweep else "variant")),
            "comparison": json_records(comparison(tables)), "uncertain": uncertain,
            "figures": {k: _figure(figs[k]) for k in keep if k in figs},
            "report": None, "download": None}


def horizons(summary: pd.DataFrame) -> list[float]:
    """The distinct horizons (years) of finished runs' summaries, smallest first (several
    for a sweep of ``years``)."""
    if "years" not in summary or summary.empty:
        return []
    return sorted({round(float(y), 9) for y in summary["years"].dropna()})


def _when(t: Any) -> str | None:
    return None if t is None or pd.isna(t) else pd.Timestamp(t).isoformat(timespec="seconds")


def ensemble_list(store: Any, offset: int = 0, limit: int | None = None
                  ) -> tuple[pd.DataFrame, int]:
    """A page of the ensembles of a run store, newest first (by their first run's start),
    and how many the store holds: id, scenario, variants, seeds, the horizons of its
    finished runs (years), the parameters a sweep varies, runs, finished and failed runs,
    the uncertain parameters, and when it started.

    Only the catalog's rows of the page's ensembles are read (their runs' ids, scenario,
    variant, seed, status, start, ``params`` and ``setup``'s uncertain names, and each
    finished run's ``years`` summary): until the twenty-second session the whole catalog
    was read, every run's row and every summary pivoted wide, to list 200 ensembles."""
    cols = ["ensemble", "scenario", "variants", "seeds", "years", "sweep", "runs",
            "finished", "failed", "uncertain", "started"]
    total = int(store.query("SELECT count(DISTINCT ensemble_id) AS n FROM runs")["n"].iloc[0])
    page = ("SELECT ensemble_id, min(started_at) AS began FROM runs "
            "WHERE ensemble_id IS NOT NULL GROUP BY ensemble_id "
            "ORDER BY began DESC NULLS LAST, ensemble_id "
            f"{'' if limit is None else f'LIMIT {int(limit)}'} OFFSET {int(offset)}")
    runs = store.query(
        f"WITH page AS ({page}) "
        "SELECT r.ensemble_id, r.run_id, r.scenario, r.variant, r.seed, r.status, "
        "r.params, r.setup->'uncertain' AS uncertain, s.value AS years, p.began "
        "FROM runs r JOIN page p USING (ensemble_id) "
        "LEFT JOIN summaries s ON s.run_id = r.run_id AND s.metric = 'years' "
        "AND r.status = 'done' "
        "ORDER BY p.began DESC NULLS LAST, r.ensemble_id, r.started_at, r.variant, r.seed, "
        "r.run_id")
    if runs.empty:
        return pd.DataFrame(columns=cols), total
    rows: dict[str, dict[str, Any]] = {}  # plain Python per run: pandas per group took a
    for r in runs.itertuples(index=False):  # second for a page of 200
        e = rows.get(r.ensemble_id)
        if e is None:
            e = rows[r.ensemble_id] = {
                "ensemble": r.ensemble_id, "scenario": str(r.scenario), "variants": set(),
                "seeds": set(), "years": [], "sweep": {}, "runs": 0, "finished": 0,
                "failed": 0, "uncertain": {}, "started": _when(r.began)}
        e["variants"].add(r.variant)
        e["seeds"].add(r.seed)
        e["runs"] += 1
        e["finished"] += r.status == "done"
        e["failed"] += r.status == "failed"
        if r.years is not None and not pd.isna(r.years):
            e["years"].append(r.years)
        drawn = json.loads(r.uncertain) if isinstance(r.uncertain, str) else None
        e["uncertain"].update(dict.fromkeys(drawn if isinstance(drawn, dict) else ()))
        params = json.loads(r.params) if isinstance(r.params, str) else None
        e["sweep"].update(dict.fromkeys(params if isinstance(params, dict) else ()))
    for e in rows.values():
        e["variants"] = sorted(e["variants"], key=lambda v: (v != "baseline", v))
        e["seeds"] = len(e["seeds"])
        e["years"] = horizons(pd.DataFrame({"years": e["years"]}))
        # a sweep's parameters are those its runs set beyond the draws
        e["sweep"] = [k for k in e["sweep"] if k not in e["uncertain"]]
        e["uncertain"] = list(e["uncertain"])
    return pd.DataFrame(list(rows.values()), columns=cols), total
