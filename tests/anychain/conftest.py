"""Fixtures of the any-chain tests: a seeded store on every backend (real SQLite file, real Neo4j)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainmap.seed import load_into_store, load_seed
from chainmap.storage.base import Store

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "fruit"
MINIMAL_SEED = ROOT / "docs" / "examples" / "minimal_seed"
LANDMARK = ("he", "qi", "sheng", "cai")


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def seeded(request: pytest.FixtureRequest) -> Store:
    """The shipped seed in a fresh store of each backend."""
    store: Store = request.getfixturevalue(f"{request.param}_store")
    load_into_store(store, load_seed())
    return store
