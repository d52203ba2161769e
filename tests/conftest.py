"""Shared fixtures: the shared research data (skipped with a reason when absent), and the
web app's test client."""

from __future__ import annotations

from pathlib import Path

import pytest

from fentanet.datasets import data_dir


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The ../shared/data folder; tests using it skip when it is not on this machine."""
    root = data_dir()
    if root is None:
        pytest.skip("shared data folder ../shared/data is absent on this machine")
    return root


@pytest.fixture
def client(tmp_path):
    """The web app on a fresh working folder (``c.app_``, ``c.work``), its jobs shut down
    after the test (a test module may define its own ``client``)."""
    from fastapi.testclient import TestClient

    from fentanet.web import create_app

    app = create_app(tmp_path / "work")
    with TestClient(app) as c:
        c.app_ = app
        c.work = (tmp_path / "work").resolve()
        yield c
    app.api.state.jobs.shutdown()
