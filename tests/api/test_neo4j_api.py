"""The API on Neo4j: same answers as on SQLite; Neo4j down -> 503 with a hint; recovery by itself.

The recovery test runs the session's throw-away server (``fault_server`` in tests/conftest.py,
``infra/neo4j/neo4j.sh``) on a free port, so it never disturbs the shared server at NEO4J_URI
(same approach as tests/storage).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from tests.api.conftest import API, ApiClient, error_of
from tests.neo4j_infra import free_port
from tests.neo4j_infra import neo4j_sh as _script


def neo4j_app(uri: str, *, auth: bool = False) -> TestClient:
    return TestClient(create_app(Settings(chainmap_store="neo4j", neo4j_uri=uri, chainmap_auth=auth)))


def assert_unavailable(client: TestClient, uri: str, headers: dict[str, str] | None = None) -> None:
    r = client.get(f"{API}/chains", headers=headers or {})
    body = error_of(r, 503, "StorageUnavailable")
    assert uri not in r.text and "bolt" not in r.text  # the URI and driver message are only logged (issue 17)
    assert body["hint"]
    health = client.get(f"{API}/health")
    assert health.status_code == 503
    assert health.json()["status"] == "degraded"
    if headers is None:  # auth off: the details are shown
        assert health.json()["store"]["backend"] == "neo4j" and health.json()["store"]["reachable"] is False
    else:  # anonymous (the key cannot be verified with the store down): the status only
        assert health.json() == {"status": "degraded"}


def test_neo4j_down_is_503_with_a_hint() -> None:
    uri = f"bolt://127.0.0.1:{free_port()}"  # nothing listens there
    t0 = time.monotonic()
    with neo4j_app(uri) as client:  # the server starts anyway
        assert_unavailable(client, uri)
        error_of(client.get(f"{API}/gaps", params={"chain": "qi"}), 503, "StorageUnavailable")
        error_of(client.post(f"{API}/segments", json={}), 503, "StorageUnavailable")
    with neo4j_app(uri, auth=True) as client:  # a well-formed key needs the store: 503 (no key: 401)
        error_of(client.get(f"{API}/chains"), 401, "Unauthorized")
        assert_unavailable(client, uri, headers={"X-API-Key": "cm_abc_def"})
    assert time.monotonic() - t0 < 30, "an unreachable Neo4j must fail fast"


@pytest.mark.neo4j
def test_same_answers_on_both_stores(make_client: Callable[..., ApiClient]) -> None:
    """The seed loaded by the app into an empty Neo4j gives exactly the SQLite answers."""
    lite, neo = make_client("sqlite", auth=False, keys=False), make_client("neo4j", auth=False, keys=False)
    for path, params in [
        ("/chains", {}), ("/regions", {}), ("/chains/qi/segments", {}),
        ("/enterprises", {"page_size": 500}), ("/gaps", {"chain": "qi"}), ("/gaps", {"chain": "sheng", "region": "yongji"}),
    ]:
        a, b = lite.get(API + path, params=params), neo.get(API + path, params=params)
        assert a.status_code == b.status_code == 200, (path, a.status_code, b.status_code)
        assert a.json() == b.json(), path
    key = lambda x: (x["source"], x["target"], x["kind"])  # noqa: E731
    assert sorted(lite.get(f"{API}/links").json(), key=key) == sorted(neo.get(f"{API}/links").json(), key=key)
    assert neo.get(f"{API}/health").json()["store"]["backend"] == "neo4j"


@pytest.fixture
def private_port(fault_server: Any) -> int:
    """The port of the session's throw-away Neo4j, stopped (the test starts it on a fresh data folder)."""
    fault_server.stopped()
    return int(fault_server.port)


@pytest.mark.neo4j
@pytest.mark.slow
def test_api_recovers_when_neo4j_comes_back(private_port: int, neo4j_missing: Callable[[str], None]) -> None:
    uri = f"bolt://127.0.0.1:{private_port}"
    with neo4j_app(uri) as client:
        assert_unavailable(client, uri)  # down when the app starts

        started = _script("start", port=private_port)
        if started.returncode != 0:
            neo4j_missing(f"could not start Neo4j on port {private_port}: {started.stderr.strip()[-500:]}")
        # back: the same app, no restart -- the next request opens the store and loads the seed
        assert client.get(f"{API}/health").status_code == 200
        chains = client.get(f"{API}/chains")
        assert chains.status_code == 200 and "qi" in {c["id"] for c in chains.json()}
        assert client.get(f"{API}/gaps", params={"chain": "qi"}).json()["total"] == 42

        assert _script("stop", port=private_port).returncode == 0  # down while running
        assert_unavailable(client, uri)

        restarted = _script("start", "--keep-data", port=private_port)
        assert restarted.returncode == 0, restarted.stderr[-500:]
        assert client.get(f"{API}/health").status_code == 200  # the driver reconnects by itself
        assert client.get(f"{API}/chains/qi").json()["segments"] == 42
