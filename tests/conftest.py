"""Shared fixtures: one factory per storage backend, and Neo4j availability.

* ``sqlite_store``: a fresh :class:`SQLiteStore` on a real file in ``tmp_path``.
* ``neo4j_store``: the Neo4j server at NEO4J_URI (default bolt://127.0.0.1:7687),
  emptied before each test.  Unreachable -> the test is skipped with the reason,
  or fails when CHAINMAP_REQUIRE_NEO4J=1.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from chainmap.exceptions import StorageUnavailable
from chainmap.storage.base import Store
from chainmap.storage.sqlite import SQLiteStore

DEFAULT_NEO4J_URI = "bolt://127.0.0.1:7687"


def _neo4j_uri() -> str:
    return os.environ.get("NEO4J_URI") or DEFAULT_NEO4J_URI


def _neo4j_missing(reason: str) -> None:
    if os.environ.get("CHAINMAP_REQUIRE_NEO4J", "") == "1":
        pytest.fail(f"Neo4j required (CHAINMAP_REQUIRE_NEO4J=1) but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def neo4j_uri() -> str:
    """The Bolt URI the Neo4j tests use (NEO4J_URI, default bolt://127.0.0.1:7687)."""
    return _neo4j_uri()


@pytest.fixture(scope="session")
def neo4j_missing() -> Callable[[str], None]:
    """``neo4j_missing(reason)``: skip the test, or fail it under CHAINMAP_REQUIRE_NEO4J=1."""
    return _neo4j_missing


@pytest.fixture
def sqlite_store(tmp_path) -> Iterator[Store]:
    store = SQLiteStore(tmp_path / "chainmap.db")
    yield store
    store.close()


@pytest.fixture(scope="session")
def _neo4j_session_store() -> Iterator[Store | str]:
    """One Neo4j store (one driver) for the whole session, or the reason it is unavailable."""
    try:
        from chainmap.storage.neo4j import Neo4jStore

        store = Neo4jStore(_neo4j_uri(), timeout=3.0)
    except StorageUnavailable as err:
        yield f"Neo4j not reachable at {_neo4j_uri()}: {err} (start it: bash infra/neo4j/neo4j.sh start)"
        return
    yield store
    store.close()


@pytest.fixture
def neo4j_store(_neo4j_session_store: Store | str) -> Store:
    if isinstance(_neo4j_session_store, str):
        _neo4j_missing(_neo4j_session_store)
    assert isinstance(_neo4j_session_store, Store)
    _neo4j_session_store.clear()
    return _neo4j_session_store


#: Enterprises per transaction of ``neo4j_chunked_store``: any bulk of more rows is
#: written in several transactions with an undo journal (Neo4jStore.bulk_upsert).
CHUNKED_TX_ROWS = 2


@pytest.fixture(scope="session")
def _neo4j_chunked_session_store(_neo4j_session_store: Store | str) -> Iterator[Store | str]:
    if isinstance(_neo4j_session_store, str):
        yield _neo4j_session_store
        return
    from chainmap.storage.neo4j import Neo4jStore

    store = Neo4jStore(_neo4j_uri(), timeout=3.0, tx_rows=CHUNKED_TX_ROWS)
    yield store
    store.close()


@pytest.fixture
def neo4j_chunked_store(_neo4j_chunked_session_store: Store | str) -> Store:
    """The Neo4j store with tiny bulk transactions (the journalled multi-transaction path)."""
    if isinstance(_neo4j_chunked_session_store, str):
        _neo4j_missing(_neo4j_chunked_session_store)
    assert isinstance(_neo4j_chunked_session_store, Store)
    _neo4j_chunked_session_store.clear()
    return _neo4j_chunked_session_store
