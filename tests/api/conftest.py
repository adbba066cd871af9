"""Fixtures of the HTTP API tests: an app on every store, auth on or off, keys per role.

* ``app_client`` (function scope, parametrised over ``sqlite`` and ``neo4j``): a fresh app
  on a freshly seeded store, auth on, one key per role in ``client.keys``; for write tests.
* ``read_client`` (module scope per backend): the same, shared by tests that do not write.
* ``sqlite_client`` (function) / ``sqlite_shared`` (module): SQLite only, auth on, keys.
* ``open_client``: SQLite, auth off (the ``chainmap serve --no-auth`` demo mode).
* ``make_client(backend, auth=..., **settings)``: build your own (e.g. a tiny upload limit).

SQLite apps start from a copy of one seeded database file (the seed is loaded once per
session); Neo4j apps wipe the server at NEO4J_URI (through the storage agent's
``_neo4j_session_store`` fixture) and let the app load the seed, exactly as in production.
Neo4j unreachable -> skip, or fail under CHAINMAP_REQUIRE_NEO4J=1 (``neo4j_missing``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.keys import ROLES, create_key
from api.main import create_app
from api.settings import Settings
from chainmap.cache import ResultCache
from chainmap.seed import load_into_store, load_seed
from chainmap.storage.base import Store
from chainmap.storage.sqlite import SQLiteStore

API = "/api/v1"
BACKENDS = ["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)]

#: bumped whenever a test wipes the Neo4j database, so shared (module-scoped) Neo4j apps
#: know their data and keys are gone and rebuild them before the next test.
_NEO4J_GENERATION = {"n": 0}


def neo4j_test_uri() -> str:
    return os.environ.get("NEO4J_URI") or "bolt://127.0.0.1:7687"


def api_paths(app: Any) -> set[str]:
    """Paths of the app's OpenAPI schema (optional routers such as /leads may be absent)."""
    return set(app.openapi()["paths"])


class ApiClient(TestClient):
    """A TestClient that knows its backend and holds one plaintext key per role."""

    backend: str
    keys: dict[str, str]

    def h(self, role: str) -> dict[str, str]:
        """Headers authenticating as ``role``."""
        return {"X-API-Key": self.keys[role]}

    @property
    def store(self) -> Store:
        return self.app.state.holder.get()  # type: ignore[attr-defined]

    def add_keys(self) -> None:
        self.keys = {role: create_key(self.store, role=role, label=f"test {role}")[0] for role in ROLES}

    def has(self, path: str) -> bool:
        return path in api_paths(self.app)


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file with the shipped seed, copied by every SQLite app."""
    path = tmp_path_factory.mktemp("seeded") / "seeded.db"
    store = SQLiteStore(path)
    try:
        load_into_store(store, load_seed())
    finally:
        store.close()
    return path


def _settings(backend: str, db_path: Path, auth: bool, **extra: Any) -> Settings:
    return Settings(
        chainmap_store=backend,
        chainmap_sqlite_path=str(db_path),
        neo4j_uri=neo4j_test_uri(),
        chainmap_auth=auth,
        chainmap_init_seed=True,
        **extra,
    )


class _Factory:
    """Builds apps + entered TestClients; closes them all at teardown."""

    def __init__(self, request: pytest.FixtureRequest, workdir: Path, seeded: Path) -> None:
        self.request = request
        self.workdir = workdir
        self.seeded = seeded
        self.stack = ExitStack()
        self.n = 0

    def _wipe_neo4j(self) -> None:
        store = self.request.getfixturevalue("_neo4j_session_store")
        if isinstance(store, str):
            self.request.getfixturevalue("neo4j_missing")(store)
        store.clear()
        _NEO4J_GENERATION["n"] += 1

    def __call__(self, backend: str = "sqlite", *, auth: bool = True, keys: bool = True, **extra: Any) -> ApiClient:
        self.n += 1
        db = self.workdir / f"app{self.n}.db"
        if backend == "sqlite":
            shutil.copyfile(self.seeded, db)
        elif backend == "neo4j":
            self._wipe_neo4j()
        else:  # pragma: no cover - a typo in a test
            raise ValueError(backend)
        app = create_app(_settings(backend, db, auth, **extra))
        client = ApiClient(app)
        self.stack.enter_context(client)  # runs the lifespan: opens (and for Neo4j seeds) the store
        client.backend = backend
        client.keys = {}
        client.generation = _NEO4J_GENERATION["n"]  # type: ignore[attr-defined]
        if keys:
            client.add_keys()
        return client

    def close(self) -> None:
        self.stack.close()


@pytest.fixture
def make_client(request: pytest.FixtureRequest, tmp_path: Path, seeded_sqlite: Path) -> Iterator[Callable[..., ApiClient]]:
    factory = _Factory(request, tmp_path, seeded_sqlite)
    yield factory
    factory.close()


@pytest.fixture(params=BACKENDS)
def app_client(request: pytest.FixtureRequest, make_client: Callable[..., ApiClient]) -> ApiClient:
    """A fresh app with the seed, auth on, keys for every role; one per test (write tests)."""
    return make_client(request.param)


@pytest.fixture
def sqlite_client(make_client: Callable[..., ApiClient]) -> ApiClient:
    """Like ``app_client`` on SQLite only: for write tests whose subject is the API, not the store
    (Neo4j apps cost a wipe and a seed load each, so only the store-sensitive writes run on both)."""
    return make_client("sqlite")


@pytest.fixture(scope="module", params=BACKENDS)
def _shared_client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, seeded_sqlite: Path
) -> Iterator[ApiClient]:
    factory = _Factory(request, tmp_path_factory.mktemp("shared"), seeded_sqlite)
    try:
        yield factory(request.param)
    finally:
        factory.close()


@pytest.fixture
def read_client(_shared_client: ApiClient) -> ApiClient:
    """A module-wide app per backend for tests that only read (auth on, keys per role).

    If a write test wiped Neo4j in between, the shared app re-opens its store (which
    reloads the seed) and gets new keys, so it always serves the seed.
    """
    c = _shared_client
    if c.backend == "neo4j" and c.generation != _NEO4J_GENERATION["n"]:  # type: ignore[attr-defined]
        holder = c.app.state.holder  # type: ignore[attr-defined]
        holder.get().clear()  # whatever the write test left: start from the seed again
        holder.close()
        holder.get()  # an empty store: the app loads the seed
        c.app.state.cache = ResultCache()  # type: ignore[attr-defined]
        c.add_keys()
        _NEO4J_GENERATION["n"] += 1
        c.generation = _NEO4J_GENERATION["n"]  # type: ignore[attr-defined]
    return c


@pytest.fixture(scope="module")
def sqlite_shared(tmp_path_factory: pytest.TempPathFactory, seeded_sqlite: Path) -> Iterator[ApiClient]:
    """SQLite, auth on, keys per role, module-wide; for tests that write nothing that matters."""
    factory = _Factory(_NoRequest(), tmp_path_factory.mktemp("shared_sqlite"), seeded_sqlite)  # type: ignore[arg-type]
    try:
        yield factory("sqlite")
    finally:
        factory.close()


class _NoRequest:
    """Stands in for the fixture request of SQLite-only factories (only Neo4j needs it)."""


@pytest.fixture(scope="module")
def open_client(tmp_path_factory: pytest.TempPathFactory, seeded_sqlite: Path) -> Iterator[ApiClient]:
    """SQLite, auth off, module-wide; for tests that only read."""
    factory = _Factory(_NoRequest(), tmp_path_factory.mktemp("open"), seeded_sqlite)  # type: ignore[arg-type]
    try:
        yield factory("sqlite", auth=False, keys=False)
    finally:
        factory.close()


def error_of(response: Any, status: int, error: str | None = None) -> dict[str, Any]:
    """Assert ``response`` is an error body of ``status`` (and ``error`` name); return the body."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    body = response.json()
    assert set(body) >= {"error", "detail", "hint"}, body
    assert isinstance(body["detail"], str) and body["detail"], body
    if error is not None:
        assert body["error"] == error, body
    assert "Traceback" not in response.text
    return body
