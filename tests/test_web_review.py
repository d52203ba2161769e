"""The web app as the twentieth session's review found it: what a run made by the app
records, request fields the app does not know, actor ids holding markup, the jobs list
after a cancellation, stored ensembles' horizons, and the messages of bad requests."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

import fentanet
from fentanet.store import RunStore
from fentanet.web import create_app


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


def compare(client, **body) -> dict:
    r = client.post("/api/compare", json={"scenario": "toy", "strategies": ["naloxone"],
                                          "runs": 1, "years": 0.25, "seed": 5, **body})
    assert r.status_code == 200, r.text
    job = wait(client, r.json()["id"])
    assert job["status"] == "done", job["error"]
    return job


# ------------------------------------------------------------------ runs made by the app
def test_a_run_made_in_the_apps_process_can_be_made_again_from_its_record(client):
    """The app reports each step of a run it makes in its own process; its record named
    the model 'functools:?' (the partial that carried the progress callback), so
    `fentanet runs rerun` refused every such run as made 'outside fentanet'."""
    compare(client)
    store = RunStore(client.work / "runs")
    runs = store.runs()
    assert len(runs) == 2 and set(runs.status) == {"done"}
    for row in runs.itertuples():
        assert row.setup.get("model") in (None, "fentanet.simulate.run:simulate")
        again = fentanet.ensemble.rerun(row.run_id, store)
        assert again.summary["deaths_total"] == pytest.approx(
            store.summary([row.run_id])["deaths_total"].iloc[0])
