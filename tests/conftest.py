"""Shared fixtures: one factory per storage backend, and Neo4j availability.

* ``sqlite_store``: a fresh :class:`SQLiteStore` on a real file in ``tmp_path``.
* ``neo4j_store``: the Neo4j server at NEO4J_URI (default bolt://127.0.0.1:7687),
  emptied before each test.  Unreachable -> the test is skipped with the reason,
  or fails when CHAINMAP_REQUIRE_NEO4J=1.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

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


def _open_neo4j(**kw: Any) -> Iterator[Store | str]:
    """One Neo4j store (one driver) for the whole session, or the reason it is unavailable."""
    try:
        from chainmap.storage.neo4j import Neo4jStore

        store = Neo4jStore(_neo4j_uri(), timeout=3.0, **kw)
    except StorageUnavailable as err:
        yield f"Neo4j not reachable at {_neo4j_uri()}: {err} (start it: bash infra/neo4j/neo4j.sh start)"
        return
    yield store
    store.close()


def _cleared(store: Store | str) -> Store:
    """The session store, emptied; a skip (or failure under CHAINMAP_REQUIRE_NEO4J=1) if absent."""
    if isinstance(store, str):
        _neo4j_missing(store)
    assert isinstance(store, Store)
    store.clear()
    return store


#: Enterprises per transaction of ``neo4j_chunked_store``: any bulk of more rows is
#: written in several transactions with an undo journal (Neo4jStore.bulk_upsert).
CHUNKED_TX_ROWS = 2


@pytest.fixture(scope="session")
def _neo4j_session_store() -> Iterator[Store | str]:
    yield from _open_neo4j()


@pytest.fixture(scope="session")
def _neo4j_chunked_session_store() -> Iterator[Store | str]:
    yield from _open_neo4j(tx_rows=CHUNKED_TX_ROWS)


@pytest.fixture
def neo4j_store(_neo4j_session_store: Store | str) -> Store:
    return _cleared(_neo4j_session_store)


@pytest.fixture
def neo4j_chunked_store(_neo4j_chunked_session_store: Store | str) -> Store:
    """The Neo4j store with tiny bulk transactions (the journalled multi-transaction path)."""
    return _cleared(_neo4j_chunked_session_store)


#: fixtures that reach the one shared Neo4j database (emptied by each test that uses it)
_SHARED_NEO4J_FIXTURES = frozenset({"neo4j_store", "neo4j_chunked_store", "_neo4j_session_store", "_neo4j_chunked_session_store", "neo4j_uri"})


def _uses_shared_neo4j(item: pytest.Item) -> bool:
    if item.get_closest_marker("neo4j") is not None:
        return True
    if _SHARED_NEO4J_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    callspec = getattr(item, "callspec", None)
    return callspec is not None and any(isinstance(v, str) and v == "neo4j" for v in callspec.params.values())


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook reads the groups into the node ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``-n 2 --dist loadgroup``, as scripts/test.sh runs the suite) every test
    that touches the shared Neo4j database runs on one worker, one after the other: each such test
    empties the database first, so two at once would see each other's data."""
    for item in items:
        if _uses_shared_neo4j(item):
            item.add_marker(pytest.mark.xdist_group("neo4j"))
