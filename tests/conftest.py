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
    problem = os.environ.get("CHAINMAP_WORKER_NEO4J_PROBLEM")
    if problem:
        reason = f"{reason} ({problem})"
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


@pytest.fixture(scope="session")
def _fault_server() -> Iterator[Any]:
    from tests.neo4j_infra import FaultServer

    server = FaultServer()
    yield server
    server.close()


@pytest.fixture
def fault_server(_fault_server: Any, neo4j_missing: Callable[[str], None]) -> Any:
    """The session's throw-away Neo4j (:class:`tests.neo4j_infra.FaultServer`) for tests that
    stop and restart a server; a skip (or a failure when required) without Java or the jars."""
    from tests.neo4j_infra import require_infra

    require_infra(neo4j_missing)
    return _fault_server


@pytest.fixture
def neo4j_store(_neo4j_session_store: Store | str) -> Store:
    return _cleared(_neo4j_session_store)


@pytest.fixture
def neo4j_chunked_store(_neo4j_chunked_session_store: Store | str) -> Store:
    """The Neo4j store with tiny bulk transactions (the journalled multi-transaction path)."""
    return _cleared(_neo4j_chunked_session_store)


# --- pytest-xdist: one Neo4j database per worker ------------------------------------------
# Every Neo4j test empties the database it uses first, so two workers must never share one.
# Worker gw0 keeps NEO4J_URI (the server CI or scripts/test.sh started); every other worker
# starts a private server on a free port (infra/neo4j/neo4j.sh, the same jars) while it
# collects, waits for it before the first test, points NEO4J_URI at it for itself and its
# subprocesses, and stops it at the end.
# Without Java or the jars (or if the server does not start) it points NEO4J_URI at a closed
# port: its Neo4j tests then skip, or fail under CHAINMAP_REQUIRE_NEO4J=1, naming the reason.

_WORKER_NEO4J: dict[str, Any] = {}


def pytest_configure(config: pytest.Config) -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker or worker == "gw0" or "NEO4J_URI" not in os.environ:
        return
    from tests.neo4j_infra import SCRIPT, free_port, neo4j_start_in_background

    port = free_port()
    _WORKER_NEO4J["worker"] = worker
    if (SCRIPT.parent / "lib" / ".fetch-complete").exists():
        _WORKER_NEO4J["starting"] = neo4j_start_in_background(port)
        _WORKER_NEO4J["port"] = port
        os.environ["NEO4J_URI"] = f"bolt://127.0.0.1:{port}"
    else:
        _worker_without_neo4j("the Neo4j jars are absent")


def _worker_without_neo4j(why: str) -> None:
    os.environ["CHAINMAP_WORKER_NEO4J_PROBLEM"] = (
        f"worker {_WORKER_NEO4J.get('worker')} could not start its own Neo4j: {why}")
    os.environ["NEO4J_URI"] = "bolt://127.0.0.1:1"  # nothing listens: this worker's Neo4j tests skip (or fail)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """The worker's own Neo4j started while the worker collected: wait for it here."""
    starting = _WORKER_NEO4J.pop("starting", None)
    if starting is None:
        return
    import subprocess

    try:
        out, err = starting.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        starting.kill()
        out, err = starting.communicate()
    if starting.returncode != 0:
        _worker_without_neo4j((err or "").strip()[-300:] or f"neo4j.sh start exited with {starting.returncode}")


def pytest_unconfigure(config: pytest.Config) -> None:
    starting = _WORKER_NEO4J.pop("starting", None)
    if starting is not None:  # never waited for (collection failed): let it finish, then stop it
        starting.communicate()
    port = _WORKER_NEO4J.pop("port", None)
    if port is not None:
        from tests.neo4j_infra import neo4j_sh, remove_run_files

        neo4j_sh("stop", port=port)
        remove_run_files(port)
