"""The web app as the twenty-second session left it: the stored ensembles listed from the
catalog's rows of one page, unknown multipart fields refused, an analysis's progress, and
``fentanet serve`` stopped by Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

import fentanet
from ensemble_standin import StandInScenario, simulate
from fentanet.store import RunStore
from fentanet.web.server import free_port

SRC = str(Path(__file__).resolve().parents[1] / "src")


# ------------------------------------------------------------------ the stored ensembles
def listed_by_brute_force(store: RunStore) -> list[dict]:
    """The ensembles as the whole catalog says them (every run's row, every summary): the
    listing's oracle."""
    runs = store.runs()
    runs = runs[runs.ensemble_id.notna()]
    done = store.summary(params=False).set_index("run_id")
    done = done["years"] if "years" in done else pd.Series(dtype=float)
    out = []
    for eid, g in runs.groupby("ensemble_id"):
        uncertain = list(dict.fromkeys(k for s in g.setup for k in s.get("uncertain") or {}))
        years = done.reindex(g.run_id[g.status == "done"]).dropna()
        out.append({
            "ensemble": eid, "scenario": g.scenario.iloc[0],
            "variants": ["baseline", *sorted(set(g.variant) - {"baseline"})],
            "seeds": g.seed.nunique(), "years": sorted(set(years.round(9))),
            "sweep": list(dict.fromkeys(k for p in g.params for k in p if k not in uncertain)),
            "runs": len(g), "finished": int((g.status == "done").sum()),
            "failed": int((g.status == "failed").sum()), "uncertain": uncertain,
            "began": g.started_at.min()})
    out.sort(key=lambda e: e["began"], reverse=True)
    for e in out:
        e["started"] = e.pop("began").isoformat(timespec="seconds")
    return out


def test_the_ensembles_list_reads_only_its_pages_rows(client, monkeypatch):
    """``GET /api/ensembles`` read the whole run store to list a page of it: every run's
    row and every run's summaries pivoted wide (seconds and hundreds of MB for thousands
    of runs). Now it reads the catalog's rows of the page's runs and their ``years``: the
    listing is the brute force's, page by page, and no other reading is made."""
    store_dir = client.work / "runs"
    kw = dict(scheduler="serial", store=store_dir, progress=False, model=simulate)
    fentanet.ensemble(StandInScenario(), runs=2, seed=1, variants={"one": [
        {"kind": "naloxone", "intensity": 1.0}]}, **kw)
    fentanet.ensemble(StandInScenario(), runs=3, seed=4, uncertain={"params.rate": (2., 8.)},
                      **kw)
    fentanet.ensemble(StandInScenario(), runs=2, seed=1, sweep={"params.rate": [2.0, 8.0]},
                      variants={"two": [{"kind": "naloxone", "intensity": 0.5}]}, **kw)
    fentanet.ensemble(StandInScenario(), runs=3, seed=1, variants={"broken": [
        {"kind": "naloxone", "intensity": 1.0}]}, **kw)  # 3 runs fail
    fentanet.ensemble(StandInScenario(), runs=1, seed=9, **kw)
    # the engine's runs say their horizon: two of them for a sweep of it
    fentanet.ensemble("toy", runs=1, sweep={"years": [0.05, 0.1]}, scheduler="serial",
                      store=store_dir, progress=False)
    store = RunStore(store_dir)
    want = listed_by_brute_force(store)
    assert len(want) == 6 and [e["failed"] for e in want] == [0, 0, 3, 0, 0, 0]
    assert [e["sweep"] for e in want][:4] == [["years"], [], [], ["params.rate"]]
    assert [e["uncertain"] for e in want][4] == ["params.rate"]
    # whole weeks: 0.05 and 0.1 of a year are 3 and 5 weekly steps
    assert [e["years"] for e in want] == [[round(3 / 52, 9), round(5 / 52, 9)], [], [], [], [],
                                          []]

    from fentanet.store import store as store_module

    def refused(*a, **k):
        raise AssertionError("the listing read the whole store")

    for name in ("runs", "summary", "series"):
        monkeypatch.setattr(store_module.RunStore, name, refused)
    fetched: list[int] = []
    query = store_module.RunStore.query

    def counted(self, sql, params=None):
        frame = query(self, sql, params)
        fetched.append(len(frame))
        return frame

    monkeypatch.setattr(store_module.RunStore, "query", counted)
    whole = client.get("/api/ensembles")
    assert whole.status_code == 200, whole.text
    assert whole.json() == want and whole.headers["x-total-count"] == "6"
    for offset, limit in ((0, 2), (2, 2), (4, 2), (1, 3), (5, 1), (6, 1), (9, 9)):
        fetched.clear()
        r = client.get(f"/api/ensembles?offset={offset}&limit={limit}")
        assert r.json() == want[offset:offset + limit]
        assert r.headers["x-total-count"] == "6"
        # the count, then the page's runs: no row of another ensemble
        assert fetched == [1, sum(e["runs"] for e in want[offset:offset + limit])]


# ------------------------------------------------------------------ multipart fields
CSV = b"source,target\na,b\nb,c\n"


@pytest.mark.parametrize("kw, error", [
    (dict(files={"file": ("a.csv", CSV)}, data={"fromat": "links"}),
     "invalid request: fromat: unknown field 'fromat' (did you mean 'format'?); expected one "
     "of: file, format"),
    (dict(files={"fiel": ("a.csv", CSV)}),
     "invalid request: fiel: unknown field 'fiel' (did you mean 'file'?); expected one of: "
     "file, format; file: Field required"),
    (dict(files={"file": ("a.csv", CSV)}, data={"colour": "kind"}),
     "invalid request: colour: unknown field 'colour'; expected one of: file, format"),
    (dict(files={"file": ("a.csv", CSV)}, data={"format": ["links", "dl"]}),
     "invalid request: format: given 2 times; give it once"),
])
def test_an_upload_with_a_field_it_does_not_take_is_refused_naming_it(client, kw, error):
    """An upload's misspelt form field was ignored: ``fromat=dl`` read the file in the
    format detected, without a word; ``fiel`` said only that ``file`` was missing."""
    r = client.post("/api/networks/upload", **kw)
    assert r.status_code == 422 and r.json() == {"error": error}
    assert list((client.work / "uploads").iterdir()) == []
    assert client.get("/api/networks").json() == []
    ok = client.post("/api/networks/upload", files={"file": ("a.csv", CSV)},
                     data={"format": "links"})
    assert ok.status_code == 200 and ok.json()["actors"] == 3


# ------------------------------------------------------------------ an analysis's progress
def test_an_analysis_reports_its_progress_part_by_part_and_removal_by_removal(client,
                                                                             monkeypatch):
    """A long analysis's bar sat at 5% ("centralities, key players, ...") until the whole
    pipeline had finished (four minutes on 10^4 actors, most of it resilience), and a
    Cancel waited for all of it. Now the job reports each part and each removal of the
    resilience attacks: the progress rises to done, through every part."""
    from fentanet.web import jobs as web_jobs

    seen: list[tuple[float, str]] = []
    update = web_jobs.Job.update

    def recorded(self, progress=None, message=None):
        update(self, progress, message)
        if self.kind == "analysis":
            seen.append((self.progress, self.message))

    monkeypatch.setattr(web_jobs.Job, "update", recorded)
    nid = client.post("/api/networks/generate", json={"actors": 200, "seed": 2}).json()["id"]
    r = client.post(f"/api/networks/{nid}/analyze", json={"k": 2, "steps": 4})
    client.app_.api.state.jobs.wait(r.json()["id"], timeout=300)
    job = client.get(f"/api/jobs/{r.json()['id']}").json()
    assert job["status"] == "done" and job["progress"] == 1.0, job["error"]
    shares = [p for p, _ in seen]
    assert shares == sorted(shares) and shares[0] == pytest.approx(0.02)
    assert shares[-1] == 0.95
    said = [m for _, m in seen]
    assert said[:7] == ["centralities", "flow betweenness", "key players",
                        "communities and brokers", "maximum flow", "interdiction",
                        "resilience"]
    # 4 removals per attack (random: 10 repeats of 4), each attack a quarter of resilience
    attacks = [m for m in said if m.startswith("resilience: ")]
    assert attacks == [f"resilience: {s}, {i} of {n} removals"
                       for s, n in (("random", 40), ("degree", 4), ("betweenness", 4),
                                    ("key_players", 4)) for i in range(1, n + 1)]
    at = dict((m, p) for p, m in seen)
    from fentanet.analysis.summary import PART_WEIGHTS

    total = sum(PART_WEIGHTS.values()) - PART_WEIGHTS["phases"]  # no phases here
    begin = 0.02 + 0.68 * (total - PART_WEIGHTS["resilience"]) / total
    assert at["resilience"] == pytest.approx(begin)
    assert at["resilience: degree, 4 of 4 removals"] == pytest.approx(
        begin + 0.68 * PART_WEIGHTS["resilience"] / total / 2)
    assert at["resilience: key_players, 4 of 4 removals"] == pytest.approx(0.70)
    assert said[-2:] == ["drawing the network and making the report",
                         "writing the report and the tables"]


def test_resilience_says_each_removal():
    from fentanet.analysis.resilience import resilience

    net = fentanet.generate({"actors": 60}, seed=1)
    calls: list[tuple[int, int]] = []
    plain = resilience(net, "random", steps=3, repeats=2, seed=1)
    told = resilience(net, "random", steps=3, repeats=2, seed=1,
                      progress=lambda done, total: calls.append((done, total)))
    assert calls == [(i, 6) for i in range(1, 7)]
    pd.testing.assert_frame_equal(plain, told)  # the callback changes nothing


# ------------------------------------------------------------------ Ctrl-C of fentanet serve
@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_ctrl_c_of_serve_with_a_comparison_on_a_cluster_ends_in_one_line(tmp_path):
    """A Ctrl-C of ``fentanet serve`` while a comparison ran on a local Dask cluster left
    the cluster to Dask's exit handler: a second Ctrl-C printed its traceback
    (``Exception ignored in atexit callback: close_clusters``), and the runs its workers had
    written stayed out of the catalog. Now the job is cancelled as a Ctrl-C of `fentanet
    compare` is (the finished runs registered, the cluster closed), the command prints one
    line saying so and exits 130; a second Ctrl-C changes nothing."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": SRC, "FENTANET_SCHEDULER": "local"}
    work = tmp_path / "work"
    proc = subprocess.Popen([sys.executable, "-m", "fentanet", "serve", "--port", str(port),
                             "--workdir", str(work)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)  # its own group, as a terminal's
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/api/info", timeout=5).read()
                break
            except OSError:
                time.sleep(0.3)
        req = urllib.request.Request(base + "/api/compare", method="POST", data=json.dumps(
            {"scenario": "us-baseline", "strategies": ["supply-side"], "runs": 3,
             "years": 2, "seed": 1}).encode(), headers={"content-type": "application/json",
                                                        "origin": base})
        job = json.loads(urllib.request.urlopen(req, timeout=30).read())
        for _ in range(600):  # until the cluster is asked for
            state = json.loads(urllib.request.urlopen(f"{base}/api/jobs/{job['id']}",
                                                      timeout=30).read())
            if "local Dask cluster" in state["message"]:
                break
            time.sleep(0.2)
        assert state["status"] == "running", state
        time.sleep(3)
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: to the whole group, workers too
        time.sleep(0.3)
        os.killpg(proc.pid, signal.SIGINT)  # and again, at once
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    [line] = err.splitlines()  # one line, no traceback
    kept = re.fullmatch(r"interrupted: job 'us-baseline: supply-side': cancelled(?: before any "
                        r"run finished|: (\d+) of 6 runs finished and kept in the run store "
                        r"\(ensemble (\w+)\))", line)
    assert kept, line
    store = RunStore(work / "runs")
    assert len(store) == int(kept.group(1) or 0)
    assert set(store.runs().status) <= {"done"} and store.check().ok


# ------------------------------------------------------------------ query parameters
def test_a_query_parameter_an_api_address_does_not_take_is_refused(client):
    """``?colour_by=kind`` drew by the default colouring and ``?limt=5`` listed 200, the
    misspelt parameter ignored without a word."""
    nid = client.post("/api/networks/generate", json={"actors": 40}).json()["id"]
    r = client.get(f"/api/networks/{nid}/figure?colour_by=kind")
    assert r.status_code == 422 and r.json()["error"] == (
        "invalid request: colour_by: unknown parameter 'colour_by' (did you mean 'color_by'?); "
        "expected one of: color_by, kinds, ego, radius, highlight, selected, max_actors")
    r = client.get("/api/ensembles?limt=5")
    assert r.status_code == 422 and r.json()["error"] == (
        "invalid request: limt: unknown parameter 'limt' (did you mean 'limit'?); expected "
        "one of: offset, limit")
    r = client.get("/api/info?x=1")
    assert r.json()["error"] == "invalid request: x: unknown parameter 'x'; this address takes none"
    assert client.get("/api/ensembles?limit=5&offset=0").status_code == 200
    assert client.get("/api/jobs?token=t").status_code == 200  # the access token's name
    assert client.get("/?from=bookmark").status_code == 200  # pages take any


# ------------------------------------------------------------------ closed networks
def test_a_closed_network_says_why_it_is_gone(client, monkeypatch):
    """A network closed by DELETE read "networks close when more than 12 are open, or when
    the app restarts", neither of which had happened."""
    from fentanet.web import app as web

    nid = client.post("/api/networks/generate", json={"actors": 40}).json()["id"]
    assert client.delete(f"/api/networks/{nid}").status_code == 200
    r = client.get(f"/api/networks/{nid}")
    assert r.status_code == 404 and r.json()["error"] == (
        f"no open network '{nid}': generated 40 (seed 1) was closed (DELETE "
        "/api/networks/ID); open it again from its dataset or file")
    monkeypatch.setattr(web, "MAX_NETWORKS", 2)
    ids = [client.post("/api/networks/generate", json={"actors": 20 + i}).json()["id"]
           for i in range(3)]
    assert [n["id"] for n in client.get("/api/networks").json()] == ids[1:]
    assert client.get(f"/api/networks/{ids[0]}/analysis").json()["error"] == (
        f"no open network '{ids[0]}': generated 20 (seed 1) was closed as more than 2 networks "
        "were open (the one used least recently is closed first); open it again from its "
        "dataset or file")
    r = client.get("/api/networks/nope")
    assert r.json()["error"] == ("no open network 'nope' (networks close when more than 2 "
                                 "are open, or when the app restarts); open it again from its "
                                 "dataset or file")


# ------------------------------------------------------------------ a job's end
def test_a_job_ends_with_its_status_set_last(monkeypatch):
    """A poll between the lines that end a job saw it "cancelled" with the message
    "cancelling: it stops at its next progress report" (test_web_api's
    test_a_running_comparison_stops_at_its_next_progress_report failed so once): the
    status was set first. Now every field is set before it."""
    from fentanet.web import jobs as web_jobs

    assigned: list[tuple[str, object]] = []

    class Recorded(web_jobs.Job):
        def __setattr__(self, name, value):
            assigned.append((name, value))
            super().__setattr__(name, value)

    monkeypatch.setattr(web_jobs, "Job", Recorded)
    runner = web_jobs.JobRunner()

    def cancelled(job):
        runner.cancel(job.id)
        raise web_jobs.JobCancelled("cancelled: 1 of 2 runs finished and kept")

    for fn, status, message in ((cancelled, "cancelled", "cancelled: 1 of 2 runs finished "
                                 "and kept"), (lambda job: 42, "done", "done")):
        assigned.clear()
        job = runner.submit("test", "t", fn)
        runner.wait(job.id, timeout=60)
        end = assigned[assigned.index(("status", "running")) + 1:]
        assert end[-1] == ("status", status)
        assert {n: v for n, v in end[:-1] if n not in ("started", "finished")} == {
            "result": 42 if status == "done" else None, "error": None, "message": message,
            "cancelling": False, **({"progress": 1.0} if status == "done" else {})}
    runner.shutdown()
