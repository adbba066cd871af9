"""Neo4j-specific behaviour: an outage becomes StorageUnavailable, and the store recovers.

The fault tests run a server of their own on a free loopback port (the session's
throw-away server, ``fault_server`` in tests/conftest.py, started and stopped with
``infra/neo4j/neo4j.sh``) so they never disturb the shared server, nor a second
checkout running the same test at the same time.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chainmap.exceptions import InvalidInput, StorageUnavailable
from chainmap.models import Chain

pytestmark = pytest.mark.neo4j


@pytest.fixture
def private_server(fault_server: Any, neo4j_missing: Callable[[str], None]) -> str:
    """The session's throw-away Neo4j, running and empty; its bolt URI."""
    return str(fault_server.running_empty(neo4j_missing))


@pytest.mark.slow
def test_outage_is_storage_unavailable_and_store_recovers(private_server: str, fault_server: Any) -> None:
    from chainmap.storage.neo4j import Neo4jStore

    store = Neo4jStore(private_server, timeout=2.0)
    try:
        store.upsert_chain(Chain(id="mg", name_zh="镁", name_en="Mg", letter="材"))
        assert fault_server.stop().returncode == 0
        with pytest.raises(StorageUnavailable) as err:
            store.list_chains()
        assert private_server in str(err.value)
        assert "neo4j.sh start" in (err.value.hint or "")
        with pytest.raises(StorageUnavailable):
            store.upsert_chain(Chain(id="auto", name_zh="汽车", name_en="Auto", letter="汽"))
        assert store.ping()["reachable"] is False
        restarted = fault_server.start(keep_data=True)
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


# ---- bulks in several transactions (tx_rows) ------------------------------------------

_CRASHING_WRITER = """
import os, sys
from chainmap.models import Enterprise, SegmentPresence
from chainmap.storage.neo4j import Neo4jStore

store = Neo4jStore(sys.argv[1], tx_rows=2)

def rows():
    for i in range(9):
        if i == 7:
            os._exit(3)  # the writer dies: no exception, no undo
        yield Enterprise(id=f"new{i}", name=f"new {i}", segments=[SegmentPresence(segment="s1")])

store.bulk_upsert(enterprises=rows(), batch_size=2)
"""


def _journal_nodes(store) -> int:
    with store._session() as session:
        return session.run("MATCH (n) WHERE n:BulkJournal OR n:BulkUndo RETURN count(n) AS n").single()["n"]


def _seed_small(store) -> None:
    from chainmap.models import Enterprise, Segment, SegmentPresence

    store.bulk_upsert(
        chains=[Chain(id="c", name_zh="链", name_en="c", letter="材")],
        segments=[Segment(id="s1", chain="c", name_zh="一", name_en="one", stage="upstream")],
        enterprises=[Enterprise(id="old", name="old", segments=[SegmentPresence(segment="s1")])],
    )


def test_big_bulk_commits_in_chunks_and_leaves_no_journal(neo4j_store, neo4j_uri: str) -> None:
    from chainmap.models import Enterprise, SegmentPresence
    from chainmap.storage.neo4j import Neo4jStore

    _seed_small(neo4j_store)
    store = Neo4jStore(neo4j_uri, tx_rows=3)
    try:
        r0 = store.revision()
        rows = [Enterprise(id=f"n{i}", name=f"n{i}", segments=[SegmentPresence(segment="s1")]) for i in range(10)]
        assert store.bulk_upsert(enterprises=rows, batch_size=1)["enterprises"] == 10
        assert store.revision() - r0 == 4  # ceil(10 / 3) transactions
        assert store.search_enterprises(segment="s1")[1] == 11
        assert _journal_nodes(store) == 0
    finally:
        store.close()


def test_crashed_writer_is_undone_by_recovery(neo4j_store, neo4j_uri: str, tmp_path: Path) -> None:
    """A writer process that dies part-way leaves its committed transactions and its
    journal; a live-looking journal is left alone, a stale one is undone."""
    import sys

    _seed_small(neo4j_store)
    before = [e.model_dump() for e in neo4j_store.list_enterprises()]
    writer = tmp_path / "writer.py"
    writer.write_text(_CRASHING_WRITER)
    proc = subprocess.run([sys.executable, str(writer), neo4j_uri], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stderr
    left = {e.id for e in neo4j_store.list_enterprises()}
    assert {"new0", "new1", "new2", "new3"} <= left  # committed before the crash
    assert _journal_nodes(neo4j_store) >= 2
    assert neo4j_store.recover_bulks() == 0  # heartbeat seconds ago: maybe still running
    assert {"new0", "new1"} <= {e.id for e in neo4j_store.list_enterprises()}
    assert neo4j_store.recover_bulks(stale_after=0) == 1
    assert [e.model_dump() for e in neo4j_store.list_enterprises()] == before
    assert _journal_nodes(neo4j_store) == 0


@pytest.mark.parametrize("value", ["abc", "0", "-5", "1.5"])
def test_bad_tx_rows_setting_names_it(value: str) -> None:
    """The factory reads CHAINMAP_NEO4J_TX_ROWS (the store reads no environment)."""
    from chainmap.storage.factory import open_store

    with pytest.raises(InvalidInput) as err:
        open_store(env={"CHAINMAP_STORE": "neo4j", "NEO4J_URI": "bolt://127.0.0.1:1", "CHAINMAP_NEO4J_TX_ROWS": value})
    assert err.value.context["field"] == "CHAINMAP_NEO4J_TX_ROWS"
    assert repr(value) in str(err.value)


def test_store_ignores_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings in the environment reach a store only through the factory."""
    from chainmap.storage.factory import DEFAULT_NEO4J_URI
    from chainmap.storage.neo4j import Neo4jStore

    monkeypatch.setenv("CHAINMAP_NEO4J_TX_ROWS", "abc")  # would be refused if the store read it
    monkeypatch.setenv("NEO4J_URI", "bolt://127.0.0.1:1")
    monkeypatch.setenv("NEO4J_DATABASE", "elsewhere")
    with pytest.raises(InvalidInput) as err:
        Neo4jStore(tx_rows=0)  # refused before any connection
    assert err.value.context["field"] == "tx_rows"
    import inspect

    assert inspect.signature(Neo4jStore).parameters["uri"].default == DEFAULT_NEO4J_URI


def test_tx_rows_argument_checked() -> None:
    from chainmap.storage.neo4j import Neo4jStore

    with pytest.raises(InvalidInput) as err:
        Neo4jStore("bolt://127.0.0.1:1", tx_rows=0)
    assert err.value.context["field"] == "tx_rows"


@pytest.mark.slow
def test_server_lost_mid_bulk_is_undone_when_it_is_back(private_server: str, fault_server: Any) -> None:
    """Neo4j goes away after some transactions of a big bulk were committed: the call
    fails with StorageUnavailable saying the undo is pending, and the same store undoes
    the committed part once the server is back."""
    from chainmap.models import Enterprise, SegmentPresence
    from chainmap.storage.neo4j import Neo4jStore

    store = Neo4jStore(private_server, timeout=2.0, tx_rows=2)
    try:
        _seed_small(store)
        before = [e.model_dump() for e in store.list_enterprises()]

        def rows():
            for i in range(8):
                if i == 5:
                    assert fault_server.stop().returncode == 0
                yield Enterprise(id=f"n{i}", name=f"n{i}", segments=[SegmentPresence(segment="s1")])

        with pytest.raises(StorageUnavailable) as err:
            store.bulk_upsert(enterprises=rows(), batch_size=1)
        assert "undoing them failed too" in str(err.value)
        assert "recover_bulks" in (err.value.hint or "")
        restarted = fault_server.start(keep_data=True)
        assert restarted.returncode == 0, restarted.stderr
        assert {"n0", "n1", "n2", "n3"} <= {e.id for e in store.list_enterprises()}  # committed part
        assert store.recover_bulks() == 1  # this store knows its bulk failed: no waiting
        assert [e.model_dump() for e in store.list_enterprises()] == before
        assert _journal_nodes(store) == 0
    finally:
        store.close()


# ---- revision counters: schema 2 -------------------------------------------------------


def test_counters_survive_reopen(neo4j_store, neo4j_uri: str) -> None:
    from chainmap.storage.neo4j import Neo4jStore

    neo4j_store.upsert_chain(Chain(id="mg", name_zh="镁", name_en="Mg", letter="材"))
    neo4j_store.put_record("project", "p1", {})
    seen = (neo4j_store.revision(), neo4j_store.graph_revision(), neo4j_store.record_revision(),
            neo4j_store.record_revision("project"))
    again = Neo4jStore(neo4j_uri)
    try:
        assert (again.revision(), again.graph_revision(), again.record_revision(),
                again.record_revision("project")) == seen
    finally:
        again.close()


def test_schema_1_database_migrates_with_counters_at_its_revision(neo4j_store, neo4j_uri: str) -> None:
    """A database left by chainmap of schema 1 (one meta node, no counters) opens, and its
    graph and record revisions start at its revision (never lower than before)."""
    from chainmap.storage.base import SCHEMA_VERSION
    from chainmap.storage.neo4j import Neo4jStore

    with neo4j_store._session() as session:
        session.run("MATCH (c:ChainmapMeta {id: 'revisions'}) DELETE c").consume()
        session.run("MATCH (m:ChainmapMeta {id: 'store'}) SET m.schema_version = 1, m.revision = 4321").consume()
    store = Neo4jStore(neo4j_uri)
    try:
        assert store.ping()["schema_version"] == SCHEMA_VERSION == 3
        assert (store.revision(), store.graph_revision(), store.record_revision()) == (4321, 4321, 4321)
        assert store.record_revision("candidate") == 0
        store.put_record("candidate", "c1", {})
        assert (store.revision(), store.graph_revision(), store.record_revision()) == (4322, 4321, 4322)
        assert store.record_revision("candidate") == 4322
    finally:
        store.close()


def test_newer_schema_is_refused(neo4j_store, neo4j_uri: str) -> None:
    from chainmap.storage.base import SCHEMA_VERSION
    from chainmap.storage.neo4j import Neo4jStore

    with neo4j_store._session() as session:
        session.run("MATCH (m:ChainmapMeta {id: 'store'}) SET m.schema_version = $v", v=SCHEMA_VERSION + 1).consume()
    try:
        with pytest.raises(StorageUnavailable, match="newer"):
            Neo4jStore(neo4j_uri)
    finally:
        with neo4j_store._session() as session:
            session.run("MATCH (m:ChainmapMeta {id: 'store'}) SET m.schema_version = $v", v=SCHEMA_VERSION).consume()
