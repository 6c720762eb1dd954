"""Shared fixtures: fresh databases and paths to the shared real-world datasets."""

from __future__ import annotations

from pathlib import Path

import pytest

from spm import store

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"
if not SHARED.exists():
    SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


@pytest.fixture
def con(tmp_path):
    """Return a connection to a fresh, migrated database file."""
    c = store.connect(tmp_path / "test.duckdb")
    yield c
    c.close()


def shared_file(*parts: str) -> Path:
    """Return a path under ../shared/datasets, skipping the test when it is not checked out."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not present (the shared datasets sit beside the repository)")
    return path
