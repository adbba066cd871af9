"""Neo4j-specific behaviour: an outage becomes StorageUnavailable, and the store recovers.

The fault test runs its own server on a free loopback port (started and stopped
here with ``infra/neo4j/neo4j.sh``) so it never disturbs the shared server, nor a
second checkout running the same test at the same time.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chainmap.exceptions import InvalidInput, StorageUnavailable
from chainmap.models import Chain

pytestmark = pytest.mark.neo4j

SCRIPT = Path(__file__).resolve().parents[2] / "infra" / "neo4j" / "neo4j.sh"

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


FAULT_PORT = _free_port()


def script(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *args, "--port", str(FAULT_PORT)],
        capture_output=True, text=True, timeout=timeout, check=False,
    )


@pytest.fixture
def private_server(neo4j_missing: Callable[[str], None]) -> Iterator[str]:
    """A throw-away Neo4j on FAULT_PORT; its bolt URI."""
    if not SCRIPT.exists():
        neo4j_missing(f"{SCRIPT} is missing")
    if shutil.which("java") is None:
        neo4j_missing("java is not installed (needed for infra/neo4j)")
    if not (SCRIPT.parent / "lib" / ".fetch-complete").exists():
        neo4j_missing("Neo4j jars are absent: run `bash infra/neo4j/neo4j.sh fetch`")
    started = script("start")
    if started.returncode != 0:
        neo4j_missing(f"could not start Neo4j on port {FAULT_PORT}: {started.stderr.strip()[-500:]}")
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        script("stop")


@pytest.mark.slow
def test_outage_is_storage_unavailable_and_store_recovers(private_server: str) -> None:
    from chainmap.storage.neo4j import Neo4jStore

    store = Neo4jStore(private_server, timeout=2.0)
    try:
        store.upsert_chain(Chain(id="mg", name_zh="镁", name_en="Mg", letter="材"))
        assert script("stop").returncode == 0
        with pytest.raises(StorageUnavailable) as err:
            store.list_chains()
        assert private_server in str(err.value)
        assert "neo4j.sh start" in (err.value.hint or "")
        with pytest.raises(StorageUnavailable):
            store.upsert_chain(Chain(id="auto", name_zh="汽车", name_en="Auto", letter="汽"))
        assert store.ping()["reachable"] is False
        restarted = script("start", "--keep-data")
        assert restarted.returncode == 0, restarted.stderr
        # same store object, no re-creation: the driver reconnects
        assert [c.id for c in store.list_chains()] == ["mg"]
        store.upsert_chain(Chain(id="auto", name_zh="汽车", name_en="Auto", letter="汽"))
        with store.transaction() as tx:
            tx.put_record("meta", "after", {"ok": True})
        assert store.get_record("meta", "after")["ok"] is True
    finally:
        store.close()


def test_unreachable_at_open_names_the_uri() -> None:
    from chainmap.storage.neo4j import Neo4jStore

    uri = "bolt://127.0.0.1:1"  # nothing listens on port 1
    with pytest.raises(StorageUnavailable, match="127.0.0.1:1") as err:
        Neo4jStore(uri, timeout=1.0)
    assert "neo4j.sh start" in (err.value.hint or "")


def test_bad_uri_is_invalid_input() -> None:
    from chainmap.storage.neo4j import Neo4jStore

    with pytest.raises(InvalidInput) as err:
        Neo4jStore("http://127.0.0.1:7687", timeout=1.0)
    assert err.value.context["field"] == "NEO4J_URI"


def test_no_driver_type_in_public_results(neo4j_store) -> None:
    neo4j_store.upsert_chain(Chain(id="mg", name_zh="镁", name_en="Mg", letter="材", sources=["a"]))
    info = neo4j_store.ping()
    assert info["reachable"] and info["version"].startswith("Neo4j/")
    assert type(neo4j_store.get_chain("mg").sources) is list
