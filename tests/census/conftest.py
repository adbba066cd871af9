"""Fixtures of the census tests: a seeded store on each backend (a real SQLite file, the real
Neo4j server at NEO4J_URI), the synthetic register files, and the API clients of tests/api."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainmap.seed import load_into_store, load_seed
from chainmap.storage.base import Store
from tests.api.conftest import (  # noqa: F401  (fixtures re-used by the API tests here)
    app_client,
    make_client,
    seeded_sqlite,
    sqlite_client,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "census"
REGISTER = FIXTURES / "SYNTHETIC_规上工业企业名录_运城_2026.csv"
QCC_XLSX = FIXTURES / "SYNTHETIC_企查查导出_运城.xlsx"
QCC_GBK = FIXTURES / "SYNTHETIC_企查查导出_运城_GBK.csv"
PARK = FIXTURES / "SYNTHETIC_园区名单_闻喜经开区.csv"
SEED = load_seed()

BACKENDS = ["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest) -> Store:
    """A store holding the shipped seed: a SQLite file in tmp_path, or the Neo4j server (emptied)."""
    s: Store = request.getfixturevalue("sqlite_store" if request.param == "sqlite" else "neo4j_store")
    load_into_store(s, SEED)
    return s


@pytest.fixture
def sqlite_seeded(sqlite_store: Store) -> Store:
    load_into_store(sqlite_store, SEED)
    return sqlite_store
