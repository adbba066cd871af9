"""Fixtures of the pipeline tests: project builders, the golden 2021 fixture, a real SQLite store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pipeline_helpers import golden_project, new_project, read_golden_rows

from chainmap.pipeline import Project
from chainmap.storage.base import Store


@pytest.fixture(scope="session")
def golden_projects() -> list[Project]:
    return [golden_project(r) for r in read_golden_rows()]


@pytest.fixture
def make_project() -> Callable[..., Project]:
    return new_project


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A real SQLite store in a temporary file (the persistence tests use nothing else)."""
    from chainmap.storage.factory import open_store

    s = open_store(backend="sqlite", sqlite_path=tmp_path / "x.db")
    try:
        yield s
    finally:
        s.close()
