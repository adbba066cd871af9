"""SQLite-specific behaviour: refusing foreign files untouched, migrations, threads."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from chainmap.exceptions import StorageUnavailable
from chainmap.models import Chain
from chainmap.storage import sqlite as sqlite_mod
from chainmap.storage.base import SCHEMA_VERSION
from chainmap.storage.sqlite import SQLiteStore


def snapshot(path: Path) -> tuple[bytes, int, list[str]]:
    """Bytes, mtime and sibling files: all must be unchanged by a refused open."""
    return path.read_bytes(), path.stat().st_mtime_ns, sorted(p.name for p in path.parent.iterdir())


def assert_refused_untouched(path: Path, match: str) -> None:
    before = snapshot(path)
    with pytest.raises(StorageUnavailable, match=match) as err:
        SQLiteStore(path)
    assert str(path) in str(err.value)
    assert snapshot(path) == before


def test_text_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("这不是数据库 — just some text\n" * 50, encoding="utf-8")
    assert_refused_untouched(path, "not a SQLite database")


def test_truncated_sqlite_file_is_refused_untouched(tmp_path: Path) -> None:
    good = tmp_path / "good.db"
    SQLiteStore(good).close()
    path = tmp_path / "broken.db"
    path.write_bytes(good.read_bytes()[:100] + b"\x00garbage" * 100)
    assert_refused_untouched(path, "broken.db")


def test_foreign_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users VALUES (1, 'a');")
    conn.close()
    assert_refused_untouched(path, "another application")


def test_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "chainmap.db"
    store = SQLiteStore(path)
    store.upsert_chain(Chain(id="mg", name_zh="镁", name_en="Mg", letter="材"))
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    assert_refused_untouched(path, "schema version 99")


def test_missing_directory_and_directory_path(tmp_path: Path) -> None:
    with pytest.raises(StorageUnavailable, match="does not exist"):
        SQLiteStore(tmp_path / "no" / "such" / "x.db")
    with pytest.raises(StorageUnavailable, match="is a directory"):
        SQLiteStore(tmp_path)


def test_new_file_gets_wal_foreign_keys_and_version(tmp_path: Path) -> None:
    path = tmp_path / "chainmap.db"
    SQLiteStore(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(sqlite_mod.MIGRATIONS)
    assert conn.execute("SELECT value FROM meta WHERE key = 'app'").fetchone()[0] == "chainmap"
    conn.close()
    store = SQLiteStore(path)
    assert store._connection().execute("PRAGMA foreign_keys").fetchone()[0] == 1
    store.close()


def test_forward_migration_applied_on_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "chainmap.db"
    store = SQLiteStore(path)
    store.upsert_chain(Chain(id="mg", name_zh="镁", name_en="Mg", letter="材"))
    store.close()
    v2 = "CREATE TABLE note (id TEXT PRIMARY KEY, text TEXT NOT NULL); INSERT INTO note VALUES ('n1', 'hi')"
    monkeypatch.setattr(sqlite_mod, "MIGRATIONS", [*sqlite_mod.MIGRATIONS, v2])
    store = SQLiteStore(path)
    conn = store._connection()
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    assert conn.execute("SELECT text FROM note").fetchone()[0] == "hi"
    assert store.get_chain("mg").name_en == "Mg"  # data kept
    store.close()
    SQLiteStore(path).close()  # reopening does not re-run the migration


def test_failed_migration_leaves_the_file_at_its_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "chainmap.db"
    SQLiteStore(path).close()
    monkeypatch.setattr(sqlite_mod, "MIGRATIONS", [*sqlite_mod.MIGRATIONS, "CREATE TABLE x (a); SELECT nope FROM y"])
    with pytest.raises(StorageUnavailable, match="cannot be prepared"):
        SQLiteStore(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'x'").fetchone()[0] == 0
    conn.close()


def test_closed_store_raises_storage_unavailable(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "c.db")
    store.close()
    with pytest.raises(StorageUnavailable, match="closed"):
        store.list_chains()
    assert store.ping()["reachable"] is False


def test_default_path_ignores_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The store reads no setting: CHAINMAP_SQLITE_PATH reaches it only through the factory."""
    from chainmap.storage.factory import open_store

    monkeypatch.setenv("CHAINMAP_SQLITE_PATH", str(tmp_path / "env.db"))
    monkeypatch.chdir(tmp_path)
    SQLiteStore().close()
    assert (tmp_path / "chainmap.db").exists() and not (tmp_path / "env.db").exists()
    open_store(backend="sqlite").close()
    assert (tmp_path / "env.db").exists()


def test_two_stores_on_one_file_see_each_other(tmp_path: Path) -> None:
    a, b = SQLiteStore(tmp_path / "s.db"), SQLiteStore(tmp_path / "s.db")
    a.upsert_chain(Chain(id="mg", name_zh="镁", name_en="Mg", letter="材"))
    assert b.get_chain("mg").id == "mg"
    assert b.revision() == a.revision() == 1
    a.close()
    b.close()


def test_transaction_blocks_other_threads_writes_until_commit(sqlite_store: SQLiteStore) -> None:
    """Another thread's write waits for the open transaction; its reads do not wait and see
    only what was committed (WAL: each thread reads on its own connection)."""
    seen: list[int] = []
    with sqlite_store.transaction() as tx:
        tx.put_record("meta", "x", {"n": 1})
        reader = threading.Thread(target=lambda: seen.append(len(sqlite_store.list_records("meta"))))
        reader.start()
        reader.join(timeout=5)
        assert not reader.is_alive() and seen == [0]  # did not wait, saw nothing uncommitted
        writer = threading.Thread(target=lambda: sqlite_store.put_record("meta", "y", {}))
        writer.start()
        writer.join(timeout=0.2)
        assert writer.is_alive()  # waits for the lock
        assert len(tx.list_records("meta")) == 1  # the transaction reads its own writes
    writer.join()
    assert [r["id"] for r in sqlite_store.list_records("meta")] == ["x", "y"]


def test_nested_transaction_failure_undoes_only_the_inner_block(sqlite_store: SQLiteStore) -> None:
    with sqlite_store.transaction() as tx:
        tx.put_record("meta", "outer", {})
        with pytest.raises(RuntimeError), tx.transaction():
            tx.put_record("meta", "inner", {})
            raise RuntimeError
    assert [r["id"] for r in sqlite_store.list_records("meta")] == ["outer"]


# ---- revision counters: schema 2 -------------------------------------------------------


def _version_1_file(path: Path, revision: int) -> None:
    """A file as chainmap of schema version 1 left it: one chain, the revision at ``revision``."""
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in sqlite_mod._split_sql(sqlite_mod.MIGRATIONS[0]):
        conn.execute(statement)
    conn.execute("INSERT INTO chain(id, parent, data) VALUES (?, NULL, ?)",
                 ("mg", Chain(id="mg", name_zh="镁", name_en="Mg", letter="材").model_dump_json()))
    conn.execute("UPDATE meta SET value = ? WHERE key = 'revision'", (str(revision),))
    conn.execute("PRAGMA user_version = 1")
    conn.close()


def test_version_1_file_migrates_and_counters_start_at_its_revision(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    _version_1_file(path, revision=7)
    store = SQLiteStore(path)
    try:
        assert store._connection().execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
        assert (store.revision(), store.graph_revision(), store.record_revision()) == (7, 7, 7)
        assert store.record_revision("candidate") == 0  # no candidate write counted yet
        assert store.get_chain("mg").name_en == "Mg"
        store.put_record("candidate", "c1", {"name": "x"})
        assert (store.revision(), store.graph_revision(), store.record_revision()) == (8, 7, 8)
        assert store.record_revision("candidate") == 8
    finally:
        store.close()


def test_counters_survive_reopen_and_are_shared_by_two_stores(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    a = SQLiteStore(path)
    a.upsert_chain(Chain(id="mg", name_zh="镁", name_en="Mg", letter="材"))
    a.put_record("project", "p1", {"n": 1})
    a.put_record("api_key", "k1", {"n": 1})
    b = SQLiteStore(path)  # another connection (as another process would have)
    b.put_record("project", "p2", {"n": 2})
    assert (a.revision(), a.graph_revision(), a.record_revision()) == (4, 1, 3)
    assert (a.record_revision("project"), a.record_revision("api_key"), a.record_revision("candidate")) == (3, 2, 0)
    a.close()
    b.close()
    again = SQLiteStore(path)
    assert (again.revision(), again.graph_revision(), again.record_revision()) == (4, 1, 3)
    assert again.record_revision("project") == 3
    again.close()


def test_keeping_a_derived_result_does_not_wait_for_another_writer(tmp_path: Path) -> None:
    """While another process holds the write lock, put_derived refuses at once (it would have
    succeeded by waiting: the lock is released after 3 s, well within the store's 30 s
    timeout); the store's own wait is restored for its real writes."""
    path = tmp_path / "busy.db"
    store = SQLiteStore(path, timeout=30.0)
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(3.0, other.execute, ("COMMIT",))
    release.start()
    try:
        with pytest.raises(StorageUnavailable, match="busy"):
            store.put_derived("k", 1, "v")
        assert store._connection().execute("PRAGMA busy_timeout").fetchone()[0] == 30000
        store.upsert_chain(Chain(id="mg", name_zh="镁", name_en="Mg", letter="材"))  # waits for the lock
        assert store.get_chain("mg").name_en == "Mg"
        assert store.get_derived("k", 1) is None  # nothing was kept
    finally:
        release.join()
        other.close()
        store.close()
