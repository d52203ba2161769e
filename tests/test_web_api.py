"""The web app's API, endpoint by endpoint, and its security rules: the token, the host
and origin checks, paths that try to leave the working folder, oversize and malformed
uploads, and errors that reach the page as a clean message (never a traceback)."""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import statistics
import zipfile

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

import fentanet
from ensemble_standin import StandInScenario, simulate
from fentanet import scenarios
from fentanet.analysis.summary import analyze
from fentanet.ensemble.plan import draw_uncertain
from fentanet.network import Network
from fentanet.network.io import read
from fentanet.store import RunStore
from fentanet.web import create_app
from fentanet.web.app import CompareRequest, comparison_scheduler, comparison_variants

BRIDGE = "source,target\na,b\nb,c\nc,a\nc,d\nd,e\ne,f\nf,d\n"


def upload(client, name: str, data: bytes | str, **kw):
    if isinstance(data, str):
        data = data.encode()
    return client.post("/api/networks/upload", files={"file": (name, data, "text/csv")}, **kw)


def wait(client, job_id: str, timeout: float = 120) -> dict:
    client.app_.api.state.jobs.wait(job_id, timeout=timeout)
    r = client.get(f"/api/jobs/{job_id}")
    assert r.status_code == 200
    return r.json()


def bridge_net() -> Network:
    return Network(links=pd.read_csv(io.StringIO(BRIDGE)), directed=True)


# ------------------------------------------------------------------------ pages
def test_index_and_assets_are_served_by_the_app(client):
    r = client.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert 'src="static/plotly.min.js"' in r.text and "http" not in r.text.split("<body>")[0]
    for name, kind in (("app.js", "javascript"), ("app.css", "css")):
        r = client.get(f"/static/{name}")
        assert r.status_code == 200 and kind in r.headers["content-type"]
    r = client.get("/static/plotly.min.js")
    assert r.status_code == 200 and len(r.content) > 1_000_000
    assert b"plotly.js" in r.content[:2000]
    assert client.get("/static/nope.js").status_code == 404
    for raw in ("/static/..%2F__init__.py", "/static/..%2F..%2Ferrors.py"):
        r = client.get(raw)
        assert r.status_code in (400, 404) and "error" in r.json()
        assert "import" not in r.text


def test_info_and_scenarios(client):
    info = client.get("/api/info").json()
    assert info["version"] and info["workdir"] == "work"
    assert {d["name"] for d in info["datasets"]} >= {"caviar", "kpp_figure8"}
    toy = next(s for s in info["scenarios"] if s["name"] == "toy")
    assert "naloxone" in toy["strategies"] and info["limits"]["upload_bytes"] == 50_000_000
    assert "naloxone" in info["interventions"] and info["token_required"] is False
    full = {s["name"]: s for s in client.get("/api/scenarios").json()}
    assert full["toy"]["strategies"]["naloxone"][0]["kind"] == "naloxone"


# ------------------------------------------------------------------------ networks
def test_generate_list_get_close(client):
    r = client.post("/api/networks/generate", json={"actors": 60, "seed": 2})
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["actors"] == 60 and s["typed"] and s["has_flow"]
    nid = s["id"]
    assert [n["id"] for n in client.get("/api/networks").json()] == [nid]
    assert client.get(f"/api/networks/{nid}").json()["links"] == s["links"]
    r = client.post("/api/networks/generate", json={"actors": 5})
    assert r.status_code == 422 and r.json()["error"].startswith("invalid request: actors")
    assert client.delete(f"/api/networks/{nid}").json() == {"closed": nid}
    r = client.get(f"/api/networks/{nid}")
    assert r.status_code == 404 and "no open network" in r.json()["error"]


def test_open_a_shared_dataset(client, shared_data):
    r = client.post("/api/networks/open", json={"dataset": "caviar"})
    assert r.status_code == 200
    assert (r.json()["actors"], r.json()["links"]) == (110, 295)
    r = client.post("/api/networks/open", json={"dataset": "nope"})
    assert r.status_code == 404 and "caviar" in r.json()["error"]
    r = client.post("/api/networks/open", json={"dataset": "caviar", "file": "x"})
    assert r.status_code == 400 and "either" in r.json()["error"]


def test_an_upload_without_a_file_is_refused(client):
    r = client.post("/api/networks/upload", data={"format": "csv"})
    assert r.status_code == 422 and r.json()["error"].startswith("invalid request: file")


def test_upload_then_open_the_file_again(client):
    r = upload(client, "bridge.csv", BRIDGE)
    assert r.status_code == 200, r.text
    s = r.json()
    assert (s["actors"], s["links"], s["file"]) == (6, 7, "uploads/bridge.csv")
    assert (client.work / "uploads" / "bridge.csv").read_text() == BRIDGE
    r = upload(client, "bridge.csv", BRIDGE)  # the same name again: kept beside it
    assert r.json()["file"] == "uploads/bridge-2.csv"
    r = client.post("/api/networks/open", json={"file": "uploads/bridge.csv"})
    assert r.status_code == 200 and r.json()["actors"] == 6


@pytest.mark.parametrize("name", ["../../evil.csv", "/etc/passwd", "..\\..\\x.csv",
                                  "a/b/../c.csv", ".hidden.csv", "spaces and ünï.csv",
                                  "...", "%2e%2e%2fx.csv", "x" * 300 + ".csv"])
def test_upload_names_stay_plain_and_inside(client, name):
    r = upload(client, name, BRIDGE)
    assert r.status_code == 200, r.text
    rel = r.json()["file"]
    assert rel.startswith("uploads/") and "/" not in rel[len("uploads/"):]
    saved = (client.work / rel).resolve()
    assert saved.parent == client.work / "uploads" and saved.read_text() == BRIDGE
    assert not saved.name.startswith(".") and len(saved.name) <= 100
    outside = [p for p in client.work.parent.rglob("*") if p.is_file()
               and client.work not in p.parents]
    assert outside == []


@pytest.mark.parametrize(("data", "words"), [
    (b"", "empty file"),
    (b"\x00\x01\x02\xff\xfe binary", "binary"),
    (b"   \n\n  ", "blank"),
    (b"source,target\na\n", "uploads/bad.csv"),
])
def test_malformed_uploads_are_refused_and_not_kept(client, data, words):
    r = upload(client, "bad.csv", data)
    assert r.status_code == 400, r.text
    msg = r.json()["error"]
    assert words in msg
    assert str(client.work) not in msg  # no server folder in the message
    assert list((client.work / "uploads").iterdir()) == []


def test_oversize_uploads_get_413(tmp_path):
    app = create_app(tmp_path / "w", max_upload=2000)
    with TestClient(app) as c:
        big = "source,target\n" + "".join(f"a{i},b{i}\n" for i in range(1000))
        r = c.post("/api/networks/upload", files={"file": ("big.csv", big.encode())})
        assert r.status_code == 413 and "limit" in r.json()["error"]

        def chunks():  # no Content-Length: the body is counted as it streams in
            yield (b'--zz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"'
                   b"\r\nContent-Type: text/csv\r\n\r\n")
            for _ in range(100):
                yield b"x" * 1000
        r = c.post("/api/networks/upload", content=chunks(),
                   headers={"content-type": "multipart/form-data; boundary=zz"})
        assert r.status_code == 413
        r = c.post("/api/networks/upload", content=b"x", headers={"content-length": "abc"})
        assert r.status_code == 400
    assert list((tmp_path / "w" / "uploads").iterdir()) == []
    app.api.state.jobs.shutdown()


# ------------------------------------------------------------------------ exploring
@pytest.fixture
def generated(client):
    r = client.post("/api/networks/generate", json={"actors": 120, "seed": 4})
    return r.json()["id"]


def test_figure_views(client, generated):
    r = client.get(f"/api/networks/{generated}/figure")
    assert r.status_code == 200
    fig = r.json()
    ids = {i for t in fig["data"] if t.get("mode") == "markers" for i in t["customdata"]}
    assert len(ids) == 120 and fig["layout"]["meta"]["layout"] == "layered"
    r = client.get(f"/api/networks/{generated}/figure?kinds=lab,route&color_by=kind")
    kinds = {t["name"].split(" (")[0] for t in r.json()["data"] if t.get("mode") == "markers"}
    assert kinds == {"lab", "route"}
    r = client.get(f"/api/networks/{generated}/figure?color_by=community")
    assert any(t["name"].startswith("community 0") for t in r.json()["data"])
    assert client.get(f"/api/networks/{generated}/figure?color_by=x").status_code == 400
    assert client.get(f"/api/networks/{generated}/figure?radius=9&ego=x").status_code == 400
    assert client.get(f"/api/networks/{generated}/figure?ego=nobody").status_code == 404
    assert client.get(f"/api/networks/{generated}/figure?kinds=wizard").status_code == 400


def test_ego_view_and_actor_details_match_the_links(client):
    nid = upload(client, "bridge.csv", BRIDGE).json()["id"]
    fig = client.get(f"/api/networks/{nid}/figure?ego=c&radius=1&selected=c").json()
    shown = {i for t in fig["data"] if t.get("mode") == "markers" for i in t["customdata"]}
    assert shown == {"a", "b", "c", "d"}  # c and its neighbours
    assert next(t for t in fig["data"] if t["name"] == "selected")["customdata"] == ["c"]
    a = client.get(f"/api/networks/{nid}/actor", params={"id": "c"}).json()
    assert {n["id"] for n in a["neighbours"]} == {"a", "b", "d"}
    assert (a["degree"], a["neighbour_count"]) == (3, 3)
    assert (a["in_degree"], a["out_degree"]) == (1, 2)  # b->c; c->a, c->d
    r = client.get(f"/api/networks/{nid}/actor", params={"id": "zz"})
    assert r.status_code == 404


def test_search(client, generated):
    hits = client.get(f"/api/networks/{generated}/search", params={"q": "LAB", "limit": 3})
    hits = hits.json()
    assert len(hits) == 3 and all("lab" in h["id"] for h in hits)
    assert [h["degree"] for h in hits] == sorted((h["degree"] for h in hits), reverse=True)
    assert client.get(f"/api/networks/{generated}/search", params={"q": "zzz"}).json() == []


# ------------------------------------------------------------------------ analysis
def test_analysis_job_matches_the_pipeline(client):
    nid = upload(client, "bridge.csv", BRIDGE).json()["id"]
    assert client.get(f"/api/networks/{nid}/analysis").json()["status"] == "none"
    r = client.post(f"/api/networks/{nid}/analyze", json={"k": 2, "steps": 3})
    assert r.status_code == 200 and r.json()["status"] in ("queued", "running", "done")
    job = wait(client, r.json()["id"])
    assert job["status"] == "done", job["error"]
    res = job["result"]
    direct = analyze(read(client.work / "uploads" / "bridge.csv"), k=2, steps=3)
    kp = {k["objective"]: k["actors"] for k in res["key_players"]}
    assert kp["fragmentation"] == direct.key_players["fragmentation"].actors
    assert res["top"]["betweenness"][0]["value"] == pytest.approx(
        float(direct.top["betweenness"].iloc[0]))
    marked = [t for t in res["figures"]["network"]["data"]
              if t["name"] == "key players (remove 2)"]
    assert marked[0]["customdata"] == kp["fragmentation"]
    assert client.get(f"/api/networks/{nid}/analysis").json()["id"] == job["id"]
    report = client.get(f"/files/{res['report']}", params={"inline": 1})
    assert report.status_code == 200 and "connect-src 'none'" in \
        report.headers["content-security-policy"]
    assert "Key players" in report.text
    z = zipfile.ZipFile(io.BytesIO(client.get(f"/files/{res['download']}").content))
    assert {"centrality.csv", "key_players.csv", "report.json"} <= set(z.namelist())
    a = client.get(f"/api/networks/{nid}/actor", params={"id": "c"}).json()
    # now with its centralities: c lies on 7 of the 20 ordered pairs' paths not its own
    # (a to d, e, f; b to a, d, e, f)
    assert a["centrality"]["betweenness"] == pytest.approx(0.35)
    r = client.post(f"/api/networks/{nid}/analyze", json={"k": 5})
    assert r.status_code == 400 and "k must be 1 to 4" in r.json()["error"]


# ------------------------------------------------------------------------ comparisons
def test_comparison_job_with_progress_report_and_download(client):
    r = client.post("/api/compare", json={"scenario": "toy", "strategies": ["naloxone"],
                                          "runs": 2, "years": 0.25, "seed": 5})
    assert r.status_code == 200, r.text
    job = wait(client, r.json()["id"], timeout=300)
    assert job["status"] == "done", job["error"]
    assert job["progress"] == 1.0 and job["params"]["runs"] == 2
    res = job["result"]
    assert res["variants"] == ["baseline", "naloxone"] and res["seeds"] == [5, 6]
    rows = {(x["variant"], x["outcome"]): x for x in res["comparison"]}
    summary = pd.read_csv(io.BytesIO(zipfile.ZipFile(io.BytesIO(
        client.get(f"/files/{res['download']}").content)).read("summary.csv")))
    per_seed = summary.pivot(index="seed", columns="variant", values="deaths_total")
    want = (per_seed["baseline"] - per_seed["naloxone"]).mean()
    assert rows[("naloxone", "deaths averted")]["mean"] == pytest.approx(want)
    assert "series-overdose-deaths" in res["figures"]
    assert client.get(f"/files/{res['report']}").status_code == 200
    assert {j["id"] for j in client.get("/api/jobs").json()} >= {job["id"]}
    # (the toy's naloxone starts at 0.5 years: each run of it says so, shown once)
    assert res["warnings"] == ["naloxone, seeds 5, 6: naloxone start(s) at or after the "
                               "horizon of 0.25 years: no effect in this run"]


def test_infinite_cells_are_kept_as_such_and_missing_ones_are_null():
    from fentanet.simulate.output import json_records as _records

    frame = pd.DataFrame({"v": ["a", "b"], "lo": [1.5, -np.inf], "hi": [np.inf, np.nan]})
    assert _records(frame) == [{"v": "a", "lo": 1.5, "hi": "inf"},
                               {"v": "b", "lo": "-inf", "hi": None}]


def test_a_comparison_shows_the_runs_warnings(client):
    """The toy has two marketplaces: a takedown of five by key players says so, for each
    run, in the result (the page lists them, each text once with the runs that said it),
    not only in the server's log."""
    r = client.post("/api/compare", json={
        "scenario": "toy", "runs": 2, "years": 0.25, "seed": 5, "variants": [{
            "name": "mkp", "interventions": [{"kind": "marketplace_takedown",
                                              "rule": "key_players", "count": 5}]}]})
    assert r.status_code == 200, r.text
    job = wait(client, r.json()["id"], timeout=300)
    assert job["status"] == "done", job["error"]
    said = job["result"]["warnings"]
    assert [w.split(": ")[0] for w in said] == ["mkp, seeds 5, 6"]
    assert all("marketplace_takedown by key_players" in w and "2 target(s) of the 5 asked"
               in w for w in said), said


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"scenario": "nope", "strategies": ["x"]}, 404, "no scenario"),
    ({"scenario": "toy", "strategies": ["wizardry"]}, 400, "no strategy wizardry"),
    ({"scenario": "toy", "strategies": []}, 400, "at least one strategy"),
    ({"scenario": "toy", "strategies": ["naloxone"], "runs": 0}, 422, "runs"),
    ({"scenario": "toy", "strategies": ["naloxone"], "years": -1}, 422, "years"),
])
def test_bad_comparisons(client, body, status, words):
    r = client.post("/api/compare", json=body)
    assert r.status_code == status and words in r.json()["error"]


def test_failed_jobs_report_clean_messages(client, monkeypatch, caplog):
    import fentanet.web.app as web

    def boom(*a, **k):
        raise RuntimeError("secret internals /etc/shadow")
    monkeypatch.setattr(web, "_compare_job", boom)
    job = client.post("/api/compare", json={"scenario": "toy", "strategies": ["naloxone"]})
    with caplog.at_level(logging.ERROR, logger="fentanet.web"):
        done = wait(client, job.json()["id"])
    assert done["status"] == "failed" and "internal error" in done["error"]
    assert "secret" not in json.dumps(done) and "Traceback" not in json.dumps(done)
    assert "secret internals" in caplog.text  # the details are in the server log
    assert client.get("/api/jobs/nope").status_code == 404


# ------------------------------------------------------------------------ files and paths
def test_files_list_and_download(client):
    upload(client, "bridge.csv", BRIDGE)
    files = client.get("/api/files").json()
    assert [f["path"] for f in files] == ["uploads/bridge.csv"]
    r = client.get("/files/uploads/bridge.csv")
    assert r.status_code == 200 and r.text == BRIDGE
    assert "attachment" in r.headers["content-disposition"]


@pytest.fixture
def outside(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    return secret


@pytest.mark.parametrize("raw", [
    "/files/..%2Fsecret.txt", "/files/uploads/..%2F..%2Fsecret.txt",
    "/files/%2E%2E/secret.txt", "/files/%2Fetc%2Fpasswd", "/files//etc/passwd",
    "/files/uploads/%00x", "/files/..%5Csecret.txt", "/files/~/secret.txt",
])
def test_download_traversal_is_refused(client, outside, raw):
    r = client.get(raw)
    assert r.status_code in (400, 403, 404)
    assert "top secret" not in r.text and "root:" not in r.text
    assert "error" in r.json()


def test_double_encoded_and_internal_folders(client, outside):
    r = client.get("/files/uploads/%252e%252e%252fsecret.txt")  # encoded twice
    assert r.status_code in (400, 404) and "top secret" not in r.text
    (client.work / "runs" / "x.txt").write_text("internal")
    r = client.get("/files/runs/x.txt")
    assert r.status_code == 403 and "only reports, results and uploads" in r.json()["error"]
    assert client.get("/files/uploads").status_code == 400  # a folder


def test_symlinks_out_of_the_working_folder_are_refused(client, outside):
    link = client.work / "uploads" / "link.csv"
    os.symlink(outside, link)
    os.symlink(outside.parent, client.work / "reports" / "dir")
    for path in ("/files/uploads/link.csv", "/files/reports/dir/secret.txt"):
        r = client.get(path)
        assert r.status_code == 400 and "outside the working folder" in r.json()["error"]
    r = client.post("/api/networks/open", json={"file": "uploads/link.csv"})
    assert r.status_code == 400 and "outside" in r.json()["error"]
    listed = [f["path"] for f in client.get("/api/files").json()]
    assert "uploads/link.csv" not in listed  # not even listed


@pytest.mark.parametrize(("path", "words"), [
    ("../secret.txt", "'..'"), ("/etc/passwd", "absolute"), ("C:\\x.csv", "absolute"),
    ("uploads/../../secret.txt", "'..'"), ("uploads/none.csv", "no file"),
    ("uploads/a\x00b", "control"), ("", "no path"),
])
def test_open_refuses_paths_outside(client, outside, path, words):
    r = client.post("/api/networks/open", json={"file": path})
    assert r.status_code in (400, 404) and words in r.json()["error"]


# ------------------------------------------------------------------------ access rules
def test_token_rules(tmp_path):
    app = create_app(tmp_path / "w", token="s3cret-token")
    with TestClient(app, follow_redirects=False) as c:
        r = c.get("/api/info")
        assert r.status_code == 401 and "access token" in r.json()["error"]
        r = c.get("/api/info", headers={"x-fentanet-token": "wrong"})
        assert r.status_code == 403 and r.json()["error"] == "wrong access token"
        assert c.get("/api/info?token=wrong").status_code == 403
        assert c.get("/static/app.js").status_code == 401  # everything, not only the API
        r = c.get("/api/info", headers={"x-fentanet-token": "s3cret-token"})
        assert r.status_code == 200 and r.json()["token_required"] is True
        r = c.get("/?token=s3cret-token&x=1")
        assert r.status_code == 303 and r.headers["location"] == "/?x=1"
        assert "fentanet_token=s3cret-token" in r.headers["set-cookie"]
        assert "HttpOnly" in r.headers["set-cookie"] and "SameSite=Strict" in \
            r.headers["set-cookie"]
        assert c.get("/api/info").status_code == 200  # the cookie now
        c.cookies.set("fentanet_token", "forged")
        assert c.get("/api/info").status_code == 403
    app.api.state.jobs.shutdown()


def test_host_and_origin_rules(tmp_path):
    app = create_app(tmp_path / "w", allowed_hosts=["127.0.0.1", "localhost"])
    with TestClient(app) as c:
        assert c.get("/api/info").status_code == 421  # Host: testserver
    with TestClient(app, base_url="http://localhost:8000") as c:
        assert c.get("/api/info").status_code == 200
        r = c.post("/api/networks/generate", json={"actors": 30},
                   headers={"origin": "http://evil.example"})
        assert r.status_code == 403 and "other sites" in r.json()["error"]
        r = c.post("/api/networks/generate", json={"actors": 30},
                   headers={"origin": "http://localhost:8000"})
        assert r.status_code == 200
    app.api.state.jobs.shutdown()


# ------------------------------------------------------------------------ errors
def test_server_errors_are_clean_json(tmp_path, monkeypatch, caplog):
    import fentanet.web.app as web

    def boom():
        raise RuntimeError("disk exploded at /srv/private/path")
    monkeypatch.setattr(web, "_datasets", boom)
    app = create_app(tmp_path / "w")
    with TestClient(app, raise_server_exceptions=False) as c, \
            caplog.at_level(logging.ERROR, logger="fentanet.web"):
        r = c.get("/api/info")
        assert r.status_code == 500
        body = r.json()
        assert set(body) == {"error"} and body["error"].startswith("internal error (ref ")
        assert "Traceback" not in r.text and "exploded" not in r.text and "/srv" not in r.text
        assert "disk exploded" in caplog.text and "Traceback" in caplog.text
        r = c.get("/no/such/page")
        assert r.status_code == 404 and r.json() == {"error": "Not Found"}
        r = c.post("/api/networks/generate", content=b"{not json",
                   headers={"content-type": "application/json"})
        assert r.status_code == 422 and r.json()["error"].startswith("invalid request")
    app.api.state.jobs.shutdown()


def test_many_networks_close_the_oldest(client):
    from fentanet.web.app import MAX_NETWORKS

    ids = [client.post("/api/networks/generate", json={"actors": 20, "seed": i}).json()["id"]
           for i in range(MAX_NETWORKS + 1)]
    have = [n["id"] for n in client.get("/api/networks").json()]
    assert have == ids[1:]
    assert np.all([client.get(f"/api/networks/{i}").status_code == 200 for i in ids[1:]])


# ------------------------------------------------------------------------ configured variants
def test_variants_resolve_to_full_intervention_lists():
    toy = scenarios.load("toy")
    [nal] = toy.strategies["naloxone"]
    body = CompareRequest(scenario="toy", strategies=["lab-raids"], variants=[
        {"name": "naloxone-early", "strategy": "naloxone", "intensity": 0.8, "start": 0.0},
        {"name": "mix", "strategy": "naloxone",
         "interventions": [{"kind": "lab_raids", "intensity": 2, "start": 0.2,
                            "rule": "degree", "count": 3}]}])
    got = comparison_variants(toy, body)
    assert list(got) == ["lab-raids", "naloxone-early", "mix"]
    assert got["lab-raids"] is None  # the scenario's strategy as it is
    assert got["naloxone-early"] == [{"kind": "naloxone", "intensity": 0.8, "start": 0.0}]
    assert got["mix"] == [{"kind": "naloxone", "intensity": nal.intensity,
                           "start": nal.start},
                          {"kind": "lab_raids", "intensity": 2, "start": 0.2,
                           "target": {"rule": "degree", "count": 3}}]


def test_where_a_comparison_runs(monkeypatch):
    monkeypatch.delenv("FENTANET_SCHEDULER", raising=False)
    assert comparison_scheduler(CompareRequest(runs=1), 5) == "serial"  # one seed
    assert comparison_scheduler(CompareRequest(runs=3), 0) == "serial"  # 3 runs
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert comparison_scheduler(CompareRequest(runs=2), 1) == "local"  # 4 runs of unknown
    assert comparison_scheduler(CompareRequest(runs=2), 1, lambda: 1.2) == "serial"  # 4.8 s
    assert comparison_scheduler(CompareRequest(runs=2), 1, lambda: 1.3) == "local"  # 5.2 s:
    # longer than a local cluster's start
    monkeypatch.setattr("os.cpu_count", lambda: 1)  # one core: no cluster, and no estimate
    assert comparison_scheduler(CompareRequest(runs=2), 1, lambda: 1 / 0) == "serial"
    monkeypatch.setenv("FENTANET_SCHEDULER", "tcp://10.0.0.1:8786")
    assert comparison_scheduler(CompareRequest(runs=1), 1) == "tcp://10.0.0.1:8786"


def test_comparison_of_configured_variants(client):
    body = {"scenario": "toy", "runs": 1, "years": 0.2, "seed": 3, "variants": [
        {"name": "naloxone-late", "strategy": "naloxone", "intensity": 0.9, "start": 0.1},
        {"name": "adhoc", "interventions": [{"kind": "prevention_treatment",
                                             "intensity": 0.3}]}]}
    r = client.post("/api/compare", json=body)
    assert r.status_code == 200, r.text
    job = wait(client, r.json()["id"], timeout=300)
    assert job["status"] == "done", job["error"]
    res = job["result"]
    assert res["variants"] == ["baseline", "naloxone-late", "adhoc"]
    setup = RunStore(client.work / "runs").runs().set_index("variant").setup
    assert setup["naloxone-late"]["interventions"] == [
        {"kind": "naloxone", "intensity": 0.9, "start": 0.1}]
    assert setup["adhoc"]["interventions"] == [{"kind": "prevention_treatment",
                                                "intensity": 0.3}]
    assert setup["adhoc"]["overrides"] == {"years": 0.2}
    assert {r["variant"] for r in res["comparison"]} == {"naloxone-late", "adhoc"}
    # what each strategy runs, as the report's Overview lists it (review s18, web M4: the
    # page named the strategies only)
    runs = {r["strategy"]: r for r in res["definitions"]}
    assert {k: runs["naloxone-late"][k] for k in ("intervention", "intensity",
                                                  "start (years)")} == {
        "intervention": "naloxone", "intensity": "0.9", "start (years)": "0.1"}
    assert (runs["adhoc"]["intervention"], runs["adhoc"]["intensity"]) == (
        "prevention_treatment", "0.3")


@pytest.mark.parametrize(("variants", "words"), [
    ([{"name": "x", "strategy": "wizardry"}], "no strategy 'wizardry'"),
    ([{"name": "x", "interventions": [{"kind": "teleport"}]}], "variant 'x'"),
    ([{"name": "x", "interventions": [{"kind": "naloxone", "intensity": 3}]}],
     "coverage in [0, 1]"),
    ([{"name": "x"}], "has no intervention"),
    ([{"name": "x", "intensity": 0.5, "interventions": [{"kind": "naloxone"}]}],
     "change a strategy's"),
    ([{"name": "baseline", "strategy": "naloxone"}], "'baseline'"),
    ([{"name": "x", "strategy": "naloxone"}, {"name": "x", "strategy": "naloxone"}],
     "variant names must differ"),
])
def test_bad_variants_are_refused_before_any_run(client, variants, words):
    r = client.post("/api/compare", json={"scenario": "toy", "variants": variants})
    assert r.status_code == 400 and words in r.json()["error"], r.text
    assert client.get("/api/jobs").json() == []


def test_a_network_too_small_to_analyse(client):
    r = client.post("/api/networks/upload",
                    files={"file": ("pair.csv", b"source,target\na,b\n", "text/csv")})
    assert r.status_code == 200, r.text
    nid = r.json()["id"]
    r = client.post(f"/api/networks/{nid}/analyze", json={"k": 1})
    err = r.json()["error"]
    assert r.status_code == 400 and "has 2 actors" in err and "at least 3 actors" in err
    assert "-" not in err.split("needs")[1]


# ------------------------------------------------------------------------ review fixes
EVIL = "source,target\n<script>parent.document.title='pwned'</script>,b\nb,c\nc,a\n"


def test_an_uploaded_html_file_is_never_served_inline(client):
    r = upload(client, "evil.html", EVIL)
    assert r.status_code == 200, r.text  # it parses as a network, so it is kept
    rel = "uploads/evil.html"
    assert (client.work / rel).is_file()
    for params in ({"inline": 1}, {}):
        r = client.get(f"/files/{rel}", params=params)
        assert r.status_code == 200
        assert "text/html" not in r.headers["content-type"]
        assert r.headers["content-disposition"].startswith("attachment")
        assert r.headers["x-content-type-options"] == "nosniff"
    # results too: only the app's reports open in the browser
    (client.work / "results" / "x.html").write_text("<script>1</script>")
    r = client.get("/files/results/x.html", params={"inline": 1})
    assert r.headers["content-disposition"].startswith("attachment")


def test_a_report_opens_inline_in_a_sandbox(client):
    (client.work / "reports" / "r.html").write_text("<p>report</p>")
    r = client.get("/files/reports/r.html", params={"inline": 1})
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert "content-disposition" not in r.headers
    csp = r.headers["content-security-policy"]
    assert "sandbox allow-scripts" in csp and "allow-same-origin" not in csp
    r = client.get("/files/reports/r.html")  # without inline: a download
    assert r.headers["content-disposition"].startswith("attachment")


def test_the_files_tab_offers_view_only_for_reports(client):
    js = client.get("/static/app.js").text
    assert 'row.folder === "reports" && row.name.endsWith(".html")' in js


def test_file_list_skips_temporaries_and_files_that_vanish(client, monkeypatch):
    from pathlib import Path

    # a temporary of the app's (dot-prefixed) is hidden; a file named *.part is not
    for name in ("a.csv", ".b.csv.1a2b3c4d.part", "c.csv.part", "gone.csv"):
        (client.work / "results" / name).write_text("x")
    real = Path.lstat

    def lstat(self):
        if self.name == "gone.csv":  # removed between the listing and the lstat
            raise FileNotFoundError(self)
        return real(self)

    monkeypatch.setattr(Path, "lstat", lstat)
    r = client.get("/api/files")
    assert r.status_code == 200
    names = {f["name"] for f in r.json() if f["folder"] == "results"}
    assert names == {"a.csv", "c.csv.part"}


def test_websockets_are_refused(client):
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect) as exc, client.websocket_connect("/"):
        pass
    assert exc.value.code == 1008
    assert client.get("/api/info").status_code == 200  # lifespan and http unaffected


def test_websockets_are_refused_before_any_check():
    from fentanet.web.app import Guard

    async def app(scope, receive, send):  # pragma: no cover - must not be reached
        raise AssertionError("passed through")

    sent = []

    async def send(msg):
        sent.append(msg)

    async def receive():
        return {"type": "websocket.connect"}

    import asyncio

    guard = Guard(app, token="t", allowed_hosts=["localhost"], max_body=10, max_upload=10)
    asyncio.run(guard({"type": "websocket", "headers": [(b"host", b"evil.example")],
                       "path": "/"}, receive, send))
    assert sent == [{"type": "websocket.close", "code": 1008}]
    seen = []

    async def lifespan_app(scope, receive, send):
        seen.append(scope["type"])

    asyncio.run(Guard(lifespan_app, token="t", allowed_hosts=None, max_body=10,
                      max_upload=10)({"type": "lifespan"}, receive, send))
    assert seen == ["lifespan"]


def test_a_later_start_keeps_the_intervention_duration():
    from fentanet.simulate.scenario import Intervention

    toy = scenarios.load("toy")
    toy.strategies["window"] = [Intervention(kind="naloxone", intensity=0.5, start=1.0,
                                             end=3.0)]
    for start, end in ((5.0, 7.0), (2.0, 4.0), (0.0, 2.0)):
        body = CompareRequest(scenario="toy", variants=[
            {"name": "moved", "strategy": "window", "start": start}])
        [iv] = comparison_variants(toy, body)["moved"]
        assert (iv["start"], iv["end"]) == (start, end)


def test_shutdown_drops_queued_jobs():
    import threading

    from fentanet.web.jobs import JobRunner

    runner = JobRunner()
    gate, started = threading.Event(), threading.Event()

    def slow(job):
        started.set()
        gate.wait(10)
        return "ok"

    first = runner.submit("t", "first", slow)
    assert started.wait(10)
    queued = [runner.submit("t", f"q{i}", lambda job: "ran") for i in range(3)]
    runner.shutdown()
    gate.set()
    runner._thread.join(10)
    assert not runner._thread.is_alive()
    assert runner.get(first.id).status == "done"  # the one in progress finishes
    for j in queued:
        assert j.status == "cancelled" and j.result is None and j.finished
        assert runner.wait(j.id, timeout=1) is j


# ------------------------------------------------------------------------ parameter uncertainty
# A comparison started from the page draws its uncertain parameters per seed; the
# Strategies tab shows their ranges, the values drawn for each seed and the report's
# figures of deaths averted against them, for a comparison just run and for any ensemble of
# the working folder's run store; bad ranges are refused with a 4xx naming the field,
# before any job is queued.
RATE = "params.population.overdose_rate"


def values(v) -> list:
    """An array of plotly JSON: a list, or base64 of a typed array (``bdata``)."""
    if isinstance(v, dict):
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]).tolist()
    return list(v)


def trace(figure: dict) -> tuple[str, list, list]:
    """The first trace of a figure as the page gets it: name, x and y."""
    t = figure["data"][0]
    return t["name"], values(t["x"]), values(t["y"])


def expected_ranges(name: str, low: float, high: float, drawn: list[float]) -> list[dict]:
    return [{"parameter": name, "low": low, "high": high, "drawn min": min(drawn),
             "drawn median": statistics.median(drawn), "drawn max": max(drawn)}]


def test_a_comparison_with_uncertain_parameters(client, monkeypatch):
    monkeypatch.setenv("FENTANET_SCHEDULER", "serial")  # four short runs: in this process
    r = client.post("/api/compare", json={
        "scenario": "toy", "strategies": ["naloxone"], "runs": 2, "years": 0.75, "seed": 5,
        "uncertain": [{"name": RATE, "low": 0.15, "high": 0.35}]})
    assert r.status_code == 200, r.text
    job = wait(client, r.json()["id"], timeout=300)
    assert job["status"] == "done", job["error"]
    res = job["result"]
    drawn = {s: draw_uncertain({RATE: (0.15, 0.35)}, s)[RATE] for s in (5, 6)}
    assert res["uncertain"]["ranges"] == expected_ranges(RATE, 0.15, 0.35,
                                                         list(drawn.values()))
    assert res["uncertain"]["drawn"] == [{"seed": s, RATE: v} for s, v in drawn.items()]
    # every run ran its seed's value, the same for the baseline and the strategy
    runs = RunStore(client.work / "runs").runs(ensemble=res["ensemble"])
    assert len(runs) == 4
    for row in runs.itertuples():
        assert row.params == {RATE: drawn[row.seed]}
        assert row.setup["uncertain"] == {RATE: [0.15, 0.35]}
    # the report's figure: deaths averted per seed against the value drawn for it
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/files/{res['download']}").content))
    summary = pd.read_csv(io.BytesIO(archive.read("summary.csv")))
    deaths = summary.pivot(index="seed", columns="variant", values="deaths_total")
    name, xs, ys = trace(res["figures"]["uncertain-params-population-overdose-rate"])
    assert name == "naloxone"
    got = sorted(zip(xs, ys, strict=True))
    want = sorted((drawn[s], deaths.loc[s, "baseline"] - deaths.loc[s, "naloxone"])
                  for s in (5, 6))
    assert [x for x, _ in got] == pytest.approx([x for x, _ in want])
    assert [y for _, y in got] == pytest.approx([y for _, y in want])
    assert all(y > 0 for _, y in got)  # naloxone (from half a year) averts deaths
    assert pd.read_csv(io.BytesIO(archive.read("drawn.csv"))).to_dict("records") == \
        res["uncertain"]["drawn"]
    assert "Parameter uncertainty" in client.get(f"/files/{res['report']}").text
    # the same ensemble, reopened from the store
    listed = client.get("/api/ensembles").json()
    assert [(e["ensemble"], e["uncertain"], e["runs"], e["seeds"]) for e in listed] == [
        (res["ensemble"], [RATE], 4, 2)]
    again = client.get(f"/api/ensembles/{res['ensemble']}").json()
    assert again["uncertain"] == res["uncertain"]
    assert again["comparison"] == res["comparison"]
    assert again["figures"].keys() == res["figures"].keys()


def test_a_stored_ensemble_shows_its_ranges_and_draws(client):
    """An ensemble run elsewhere into the working folder's store (the CLI's --store, or
    Python) is listed and shown with its ranges and the values drawn per seed."""
    ens = fentanet.ensemble(StandInScenario(), runs=3, variants={"one": [
        {"kind": "naloxone", "intensity": 1.0}]}, uncertain={"params.rate": (2.0, 8.0)},
        seed=1, scheduler="serial", store=client.work / "runs", progress=False,
        model=simulate)
    plain = fentanet.ensemble(StandInScenario(), runs=2, seed=1, scheduler="serial",
                              store=client.work / "runs", progress=False, model=simulate)
    listed = {e["ensemble"]: e for e in client.get("/api/ensembles").json()}
    assert listed[ens.id]["uncertain"] == ["params.rate"] and listed[plain.id]["uncertain"] == []
    assert listed[ens.id]["variants"] == ["baseline", "one"] and listed[ens.id]["finished"] == 6
    view = client.get(f"/api/ensembles/{ens.id}").json()
    drawn = [draw_uncertain({"params.rate": (2.0, 8.0)}, s)["params.rate"] for s in (1, 2, 3)]
    assert view["uncertain"]["ranges"] == expected_ranges("params.rate", 2.0, 8.0, drawn)
    assert view["uncertain"]["drawn"] == [{"seed": s, "params.rate": v}
                                          for s, v in zip((1, 2, 3), drawn, strict=True)]
    _, xs, ys = trace(view["figures"]["uncertain-params-rate"])
    assert sorted(xs) == pytest.approx(sorted(drawn))
    for x, y in zip(xs, ys, strict=True):
        seed = 1 + drawn.index(x)
        sc = StandInScenario().override({"params.rate": x})
        assert y == simulate(sc, seed).summary["deaths_total"] - simulate(
            sc, seed, interventions=[{"kind": "naloxone", "intensity": 1.0}]).summary[
            "deaths_total"]
    assert client.get(f"/api/ensembles/{plain.id}").json()["uncertain"] is None
    for eid in ("nope", "a;b", "x" * 80):
        r = client.get(f"/api/ensembles/{eid}")
        assert r.status_code == 404 and "no ensemble" in r.json()["error"]


def test_a_sqlite_file_as_the_run_catalog_is_named_not_downloaded_for(client):
    """The audit's finding 4, through the app: GET /api/ensembles answered with DuckDB's
    failure to download the sqlite_scanner extension."""
    import sqlite3

    (client.work / "runs").mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(client.work / "runs" / "runs.duckdb")
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    r = client.get("/api/ensembles")
    assert r.status_code == 400
    assert r.json()["error"].endswith("runs.duckdb: not a DuckDB run catalog (a SQLite "
                                      "database); point --store at a fentanet store folder")


def test_a_stored_ensembles_view_is_made_again_only_when_its_runs_change(client,
                                                                          monkeypatch):
    from fentanet.web import app as web

    made: list[str] = []
    view = web.ensemble_view

    def counted(ens, *args, **kwargs):
        made.append(ens.id)
        return view(ens, *args, **kwargs)

    monkeypatch.setattr(web, "ensemble_view", counted)
    ens = fentanet.ensemble(StandInScenario(), runs=3, seed=1, scheduler="serial",
                            store=client.work / "runs", progress=False, model=simulate)
    first = client.get(f"/api/ensembles/{ens.id}").json()
    assert client.get(f"/api/ensembles/{ens.id}").json() == first
    assert made == [ens.id] and first["seeds"] == [1, 2, 3]
    store = RunStore(client.work / "runs")
    assert store.delete(store.runs(ensemble=ens.id).run_id[:1].tolist()) == 1
    after = client.get(f"/api/ensembles/{ens.id}").json()
    assert made == [ens.id, ens.id] and after["seeds"] == [2, 3]


@pytest.mark.parametrize(("uncertain", "extra", "status", "words"), [
    ([{"name": RATE, "low": 0.3, "high": 0.2}], {}, 422,
     ["uncertain.0", "low (0.3) must be below high (0.2)"]),
    ([{"name": RATE, "low": "abc", "high": 0.2}], {}, 422, ["uncertain.0.low"]),
    ([{"name": "params.x;rm", "low": 0.1, "high": 0.2}], {}, 422, ["uncertain.0.name"]),
    ([{"name": RATE, "low": 0.1, "high": 0.2, "step": 1}], {}, 422, ["uncertain.0.step"]),
    ([{"name": RATE, "low": 0.1, "high": 0.2}, {"name": RATE, "low": 0.2, "high": 0.3}], {},
     422, ["uncertain", f"{RATE} given twice"]),
    ([{"name": "params.nope.x", "low": 0.1, "high": 0.2}], {}, 400,
     ["field 'params.nope.x'", "uncertain params.nope.x=0.1:0.2", "no such scenario field"]),
    ([{"name": "years", "low": 0.2, "high": 0.4}], {"years": 0.3}, 400,
     ["field 'years'", "the horizon cannot be uncertain"]),
    # the run seed: drawn, it was recorded and not used (two 'seed' columns lost one)
    ([{"name": "seed", "low": 1, "high": 5}], {}, 400,
     ["field 'seed'", "the run seed cannot be uncertain", "--seed", "--runs"]),
    ([{"name": RATE, "low": -1.0, "high": 0.2}], {}, 400,
     [f"uncertain {RATE}=-1:0.2", "overdose_rate: expected a value >= 0"]),
])
def test_bad_uncertain_ranges_are_refused_before_any_job(client, uncertain, extra, status,
                                                         words):
    r = client.post("/api/compare", json={"scenario": "toy", "strategies": ["naloxone"],
                                          "uncertain": uncertain, **extra})
    assert r.status_code == status, r.text
    assert all(w in r.json()["error"] for w in words), r.json()
    assert client.get("/api/jobs").json() == []
    assert client.get("/api/ensembles").json() == []


def test_the_stored_ensembles_are_listed_newest_first_a_page_at_a_time(client):
    """``GET /api/ensembles`` pages through the store (``offset``, ``limit``, the total in
    ``X-Total-Count``), newest first even within one second; bad pages are refused."""
    made = [fentanet.ensemble(StandInScenario(), runs=1, seed=s, scheduler="serial",
                              store=client.work / "runs", progress=False, model=simulate).id
            for s in (1, 2, 3)]
    newest = made[::-1]
    whole = client.get("/api/ensembles")
    assert [e["ensemble"] for e in whole.json()] == newest
    assert whole.headers["x-total-count"] == "3"
    for offset, limit in ((0, 2), (2, 2), (1, 1), (3, 5)):
        r = client.get(f"/api/ensembles?offset={offset}&limit={limit}")
        assert r.status_code == 200 and r.headers["x-total-count"] == "3"
        assert [e["ensemble"] for e in r.json()] == newest[offset:offset + limit]
    for query, words in (("limit=0", "limit must be 1 to 1000"),
                         ("limit=1001", "limit must be 1 to 1000"),
                         ("offset=-1", "offset must be 0 or more"),
                         ("limit=two", "limit")):
        r = client.get(f"/api/ensembles?{query}")
        assert r.status_code in (400, 422) and words in r.json()["error"], (query, r.text)


# ------------------------------------------------------------------------ review s18
def test_the_default_horizon_covers_each_scenarios_strategies(client):
    """The Strategies tab proposes the latest start of the scenario's strategies plus a
    year, at most its horizon: us-baseline's all start at 1 year, and its default of 1 year
    compared nothing but zeros (review s18, M1)."""
    from fentanet.web.app import default_years

    full = {s["name"]: s for s in client.get("/api/scenarios").json()}
    assert full["us-baseline"]["default_years"] == 2.0  # 1.0 + 1 of its 10 years
    assert full["toy"]["default_years"] == 1.5  # 0.5 + 1 of its 2 years
    for s in full.values():
        starts = [iv["start"] for ivs in s["strategies"].values() for iv in ivs]
        assert starts and max(starts) < s["default_years"] <= s["years"], s["name"]
    late = scenarios.load("toy")  # a strategy starting near the end: the horizon caps it
    late.strategies["late"] = [late.strategies["naloxone"][0].model_copy(
        update={"start": 1.8})]
    assert default_years(late) == 2.0
    assert default_years(late.model_copy(update={"strategies": {}})) == 1.0


EMPTY_NETWORKS = [("header_only.csv", "source,target\n"),
                  ("empty.json", '{"nodes": [], "edges": []}'),
                  ("empty.net", "*Vertices 0\n*Arcs\n")]


@pytest.mark.parametrize(("name", "data"), EMPTY_NETWORKS)
def test_a_network_without_actors_is_refused(client, name, data):
    """A file the readers read as a network of 0 actors (a header alone) is refused, on
    upload (and not kept) and when opened, saying what was expected; it was opened, and
    its drawing then failed with "field 'net'" (review s18, M2)."""
    r = upload(client, name, data)
    assert r.status_code == 400, r.text
    assert r.json()["error"] == (f"uploads/{name}: no actors and no links found in it "
                                 "(only a header?); expected a network of at least one "
                                 "link or one actor")
    assert list((client.work / "uploads").iterdir()) == []
    (client.work / "uploads" / name).write_text(data)
    r = client.post("/api/networks/open", json={"file": f"uploads/{name}"})
    assert r.status_code == 400 and r.json()["error"].startswith(
        f"uploads/{name}: no actors and no links found")
    assert client.get("/api/networks").json() == []


def test_a_network_without_actors_is_not_drawn_with_an_internal_field(client):
    empty = Network(links=pd.DataFrame({"source": [], "target": []}, dtype=str))
    item = client.app_.api.state.workspace.add(empty, "nothing", "test")
    r = client.get(f"/api/networks/{item.id}/figure")
    assert r.status_code == 400
    assert r.json()["error"] == "field 'network': nothing has no actors: there is nothing to draw"


def test_a_networks_summary_is_made_once(client, monkeypatch):
    """``GET /api/networks`` gave each open network's summary made anew, seconds for a
    large one (review s18, L1): it is made once per network opened."""
    made = []
    summary = Network.summary

    def counted(self):
        made.append(self.name)
        return summary(self)

    monkeypatch.setattr(Network, "summary", counted)
    nid = client.post("/api/networks/generate", json={"actors": 40, "seed": 1}).json()["id"]
    nid2 = upload(client, "bridge.csv", BRIDGE).json()["id"]
    assert len(made) == 2
    first = client.get("/api/networks").json()
    for _ in range(3):
        assert client.get("/api/networks").json() == first
    assert client.get(f"/api/networks/{nid}").json() == first[0]
    assert client.get(f"/api/networks/{nid2}").json()["actors"] == 6
    assert len(made) == 2


@pytest.mark.parametrize(("body", "field", "why"), [
    ({"strategies": ["naloxone", "naloxone"]}, "strategies", "'naloxone' is given twice"),
    ({"strategies": ["naloxone"], "variants": [{"name": "naloxone", "strategy": "naloxone",
                                                "intensity": 0.5}]}, "variants",
     "'naloxone' is given twice"),
    ({"variants": [{"name": "x", "strategy": "naloxone"}, {"name": "x",
                                                         "strategy": "lab-raids"}]},
     "variants", "'x' is given twice"),
    ({"variants": [{"name": "baseline", "strategy": "naloxone"}]}, "variants",
     "'baseline' is the scenario as it is"),
])
def test_variant_names_must_differ_as_on_the_command_line(client, body, field, why):
    """Two strategies of one name ran once, silently; ``fentanet compare`` refuses them
    (review s18, L2): its message here, before any job, naming the request's field (a
    request has no field 'variant') and the name."""
    r = client.post("/api/compare", json={"scenario": "toy", "runs": 1, "years": 0.5, **body})
    assert r.status_code == 400, r.text
    assert r.json()["error"] == (f"field '{field}': variant names must differ from each "
                                 f"other and from 'baseline': {why}")
    assert client.get("/api/jobs").json() == []


def test_uploads_named_part_are_listed_and_odd_names_keep_their_extension(client):
    """An upload named like a temporary (``*.part``) was kept and opened but never listed;
    ``-.csv`` was saved as ``csv`` (review s18, L3). Only dot-prefixed files, the names of
    the app's own temporaries, are hidden."""
    assert upload(client, "second.csv.part", BRIDGE).json()["file"] == \
        "uploads/second.csv.part"
    assert upload(client, "-.csv", BRIDGE).json()["file"] == "uploads/upload.csv"
    assert upload(client, "_.csv", BRIDGE).json()["file"] == "uploads/upload-2.csv"
    (client.work / "uploads" / ".upload.csv.1234abcd.part").write_text("partial")
    (client.work / "reports" / ".r.html.x1y2.tmp").write_text("partial")
    listed = {f["path"] for f in client.get("/api/files").json()}
    assert listed == {"uploads/second.csv.part", "uploads/upload.csv",
                      "uploads/upload-2.csv"}
    r = client.get("/files/uploads/second.csv.part")
    assert r.status_code == 200 and r.text == BRIDGE


def test_a_missing_static_file_is_missing_from_the_apps_files(client):
    r = client.get("/static/missing.css")
    assert r.status_code == 404
    assert r.json()["error"] == "field 'path': no file 'missing.css' in the app's static files"


def test_a_format_with_a_dataset_is_refused(client):
    """``format`` was dropped without a word when opening a dataset (review s18, L10)."""
    r = client.post("/api/networks/open", json={"dataset": "caviar", "format": "dl"})
    assert r.status_code == 400
    assert r.json()["error"] == ("field 'format': a dataset is read in its own format; "
                                 "'format' ('dl') is for a 'file' only: leave it out")
    assert client.get("/api/networks").json() == []


def test_open_ended_intervals_read_the_same_as_the_command_lines_json():
    """An open end is the string "inf" or "-inf", a missing value null, on the page and in
    ``fentanet compare --json`` (review s18, L5: the command line said null for both): one
    function makes both, and writes no -0.0."""
    from fentanet.cli import runs
    from fentanet.simulate.output import json_records
    from fentanet.web import app

    assert runs.json_records is app.json_records is json_records
    frame = pd.DataFrame({"variant": ["zz", "aa"], "outcome": ["cost per death averted"] * 2,
                          "mean": [np.nan, 247.5], "ci_low": [-np.inf, -0.0],
                          "ci_high": [np.inf, 320.0], "seeds": [3, 3]})
    got = json_records(frame)
    assert got == [{"variant": "zz", "outcome": "cost per death averted", "mean": None,
                    "ci_low": "-inf", "ci_high": "inf", "seeds": 3},
                   {"variant": "aa", "outcome": "cost per death averted", "mean": 247.5,
                    "ci_low": 0.0, "ci_high": 320.0, "seeds": 3}]
    assert '"ci_low": 0.0' in json.dumps(got) and type(got[0]["seeds"]) is int


# cancelling jobs (review s18, M3): DELETE /api/jobs/{id}
def blocker(client):
    """A job that holds the app's one job thread until its gate opens (returned with the
    job): jobs submitted after it stay queued until then."""
    import threading

    gate, started = threading.Event(), threading.Event()

    def hold(job):
        started.set()
        gate.wait(60)
        return "held"

    job = client.app_.api.state.jobs.submit("test", "blocker", hold)
    assert started.wait(60)
    return job, gate


def test_a_queued_job_names_the_jobs_it_waits_for(client):
    nid = upload(client, "bridge.csv", BRIDGE).json()["id"]
    held, gate = blocker(client)
    try:
        held.update(0.4)
        first = client.post(f"/api/networks/{nid}/analyze", json={"k": 2}).json()
        assert first["message"] == "waiting for 'blocker' (running, 40%)"
        second = client.post(f"/api/networks/{nid}/analyze", json={"k": 3}).json()
        assert second["message"] == ("waiting for 'blocker' (running, 40%), "
                                     "'Analysis of bridge.csv' (queued)")
        client.delete(f"/api/jobs/{first['id']}")  # a cancelled job is waited for no more
        assert client.get(f"/api/jobs/{second['id']}").json()["message"] == \
            "waiting for 'blocker' (running, 40%)"
        listed = {j["id"]: j["message"] for j in client.get("/api/jobs").json()}
        assert listed[second["id"]] == "waiting for 'blocker' (running, 40%)"
        runner = client.app_.api.state.jobs
        more = [runner.submit("test", f"job {i}", lambda job: None) for i in range(4)]
        assert runner.get(more[-1].id).message == (
            "waiting for 'blocker' (running, 40%), 'Analysis of bridge.csv' (queued), "
            "'job 0' (queued), 2 more")
    finally:
        gate.set()
    assert wait(client, second["id"])["status"] == "done"


def test_a_queued_job_is_cancelled_at_once_and_never_runs(client):
    nid = upload(client, "bridge.csv", BRIDGE).json()["id"]
    held, gate = blocker(client)
    try:
        queued = client.post(f"/api/networks/{nid}/analyze", json={"k": 2}).json()
        assert queued["status"] == "queued"
        # the rules for a request that changes something hold for DELETE too
        r = client.delete(f"/api/jobs/{queued['id']}", headers={"origin": "http://evil.example"})
        assert r.status_code == 403 and "other sites" in r.json()["error"]
        assert client.get(f"/api/jobs/{queued['id']}").json()["status"] == "queued"
        r = client.delete(f"/api/jobs/{queued['id']}")
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["message"]) == ("cancelled",
                                                             "cancelled before it started")
        assert client.delete(f"/api/jobs/{queued['id']}").status_code == 200  # again: as is
    finally:
        gate.set()
    assert wait(client, held.id)["status"] == "done"
    after = client.post(f"/api/networks/{nid}/analyze", json={"k": 2, "steps": 3}).json()
    assert wait(client, after["id"])["status"] == "done"  # the next job runs as ever
    job = client.get(f"/api/jobs/{queued['id']}").json()
    assert (job["status"], job["result"], job["seconds"]) == ("cancelled", None, 0.0)
    # it made no report and no tables: the only ones are the later analysis's
    files = [f["name"] for f in client.get("/api/files").json() if f["folder"] != "uploads"]
    assert sorted(files) == [f"analysis-bridge.csv-{after['id']}.html",
                             f"analysis-bridge.csv-{after['id']}.zip"]
    # a later analysis cancelled while queued: the network keeps the one it has
    held, gate = blocker(client)
    try:
        again = client.post(f"/api/networks/{nid}/analyze", json={"k": 3}).json()
        assert client.delete(f"/api/jobs/{again['id']}").json()["status"] == "cancelled"
    finally:
        gate.set()
    assert client.get(f"/api/networks/{nid}/analysis").json()["id"] == after["id"]
    assert client.get(f"/api/networks/{nid}").json()["analysed"] is True
    r = client.delete(f"/api/jobs/{after['id']}")
    assert r.status_code == 409
    assert r.json()["error"] == (f"job '{after['id']}' has already finished (done): there is "
                                 "nothing to cancel")
    r = client.delete("/api/jobs/nope")
    assert r.status_code == 404 and r.json()["error"].startswith("no job 'nope' (")


def test_a_running_comparison_stops_at_its_next_progress_report(client, monkeypatch):
    """Cancelled once its first run is stored (a DELETE while the job reports that run):
    it stops there; the stored run stays complete and listed, the run in progress is not
    written, and no report or results are made."""
    import threading

    from fentanet.web import jobs as web_jobs

    monkeypatch.setenv("FENTANET_SCHEDULER", "serial")  # in this process, step by step
    first_run, go = threading.Event(), threading.Event()
    update = web_jobs.Job.update

    def held_update(self, progress=None, message=None):
        if message == "1 of 4 runs finished":  # the collector has stored run 1
            first_run.set()
            go.wait(60)
        return update(self, progress, message)

    monkeypatch.setattr(web_jobs.Job, "update", held_update)
    r = client.post("/api/compare", json={"scenario": "toy", "strategies": ["naloxone"],
                                          "runs": 2, "years": 0.25, "seed": 5})
    assert r.status_code == 200, r.text
    jid = r.json()["id"]
    try:
        assert first_run.wait(300)
        r = client.delete(f"/api/jobs/{jid}")
        assert r.status_code == 202, r.text
        assert (r.json()["status"], r.json()["cancelling"]) == ("running", True)
        assert r.json()["message"] == "cancelling: it stops at its next progress report"
    finally:
        go.set()
    job = wait(client, jid, timeout=300)
    runs = RunStore(client.work / "runs").runs()
    assert len(runs) == 1 and runs.status.tolist() == ["done"]
    [eid] = runs.ensemble_id.unique()
    assert job["status"] == "cancelled" and job["error"] is None
    assert job["message"] == (f"cancelled: 1 of 4 runs finished and kept in the run store "
                              f"(ensemble {eid})")
    # the run kept is whole: its series as long as a direct run's, its summary the same
    row = runs.iloc[0]
    store = RunStore(client.work / "runs")
    assert (row.variant, row.seed) == ("baseline", 5)  # the first run made
    direct = fentanet.simulate("toy", seed=5, years=0.25)
    assert len(store.series([row.run_id])) == len(direct.series)
    assert store.summary([row.run_id])["deaths_total"].tolist() == pytest.approx(
        [direct.summary["deaths_total"]])
    assert store.check().ok
    listed = client.get("/api/ensembles").json()
    assert [(e["ensemble"], e["runs"], e["finished"]) for e in listed] == [(eid, 1, 1)]
    assert client.get("/api/files").json() == []  # no report, no results
    assert not list((client.work / "runs").rglob("*.tmp"))
