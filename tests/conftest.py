"""Shared fixtures: the shared research data (skipped with a reason when absent)."""

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
