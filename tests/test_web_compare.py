"""The web app's comparisons with configured variants (a strategy's intensity and start,
ad-hoc interventions), where they run, and the analysis of a network too small for it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from fentanet import scenarios
from fentanet.store import RunStore
from fentanet.web import create_app
from fentanet.web.app import CompareRequest, comparison_scheduler, comparison_variants


@pytest.fixture
def client(tmp_path):
    app = create_app(tmp_path / "work")
    with TestClient(app) as c:
        c.app_ = app
        c.work = (tmp_path / "work").resolve()
        yield c
    app.api.state.jobs.shutdown()


def wait(client, job_id: str, timeout: float = 300) -> dict:
    client.app_.api.state.jobs.wait(job_id, timeout=timeout)
    return client.get(f"/api/jobs/{job_id}").json()


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
    assert comparison_scheduler(CompareRequest(runs=2), 1) is None  # 4 runs: local cluster
    monkeypatch.setenv("FENTANET_SCHEDULER", "tcp://10.0.0.1:8786")
    assert comparison_scheduler(CompareRequest(runs=1), 1) == "tcp://10.0.0.1:8786"


def test_comparison_of_configured_variants(client):
    body = {"scenario": "toy", "runs": 1, "years": 0.2, "seed": 3, "variants": [
        {"name": "naloxone-late", "strategy": "naloxone", "intensity": 0.9, "start": 0.1},
        {"name": "adhoc", "interventions": [{"kind": "prevention_treatment",
                                             "intensity": 0.3}]}]}
    r = client.post("/api/compare", json=body)
    assert r.status_code == 200, r.text
    job = wait(client, r.json()["id"])
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
     "used twice"),
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
