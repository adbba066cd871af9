"""The contract suite's ``store`` fixture: every backend, same tests."""

from __future__ import annotations

import pytest

from chainmap.storage.base import Store


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("neo4j", marks=pytest.mark.neo4j),
        # The same server with bulk writes split into transactions of two enterprises.
        pytest.param("neo4j_chunked", marks=pytest.mark.neo4j),
    ]
)
def store(request: pytest.FixtureRequest) -> Store:
    """Each backend supplies only its factory fixture (``<backend>_store`` in tests/conftest.py)."""
    return request.getfixturevalue(f"{request.param}_store")
