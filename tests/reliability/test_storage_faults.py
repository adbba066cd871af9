"""Storage under faults (issue 17, point 8): Neo4j unreachable fails fast, read-only SQLite
files and directories are named as such, a big SQLite bulk does not stall readers."""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chainmap.exceptions import StorageUnavailable
from chainmap.models import Chain, Enterprise, Region, Segment, SegmentPresence
from chainmap.storage.sqlite import SQLiteStore
from tests.neo4j_infra import free_port

MG = Chain(id="mg", name_zh="镁", name_en="Mg", letter="材")


# ------------------------------------------------------------------ (a) Neo4j unreachable
def timed(fn: Callable[[], Any]) -> tuple[float, BaseException | None]:
    start = time.monotonic()
    try:
        fn()
    except BaseException as err:  # noqa: BLE001 - returned to the test
        return time.monotonic() - start, err
    return time.monotonic() - start, None


def test_neo4j_on_a_closed_port_fails_within_2s() -> None:
    from chainmap.storage.neo4j import Neo4jStore

    uri = f"bolt://127.0.0.1:{free_port()}"
    seconds, err = timed(lambda: Neo4jStore(uri))
    print(f"open against a closed port: {seconds:.2f} s")
    assert isinstance(err, StorageUnavailable) and uri in str(err)
    assert seconds < 2.0


@pytest.fixture
def stopped_server(fault_server: Any, neo4j_missing: Callable[[str], None]) -> Iterator[tuple[Any, int]]:
    """A store opened on the session's throw-away Neo4j, whose server is then stopped; (store, port)."""
    from chainmap.storage.neo4j import Neo4jStore

    store = Neo4jStore(fault_server.running_empty(neo4j_missing))
    try:
        store.upsert_chain(MG)
        assert fault_server.stop().returncode == 0
        yield store, fault_server.port
    finally:
        store.close()


@pytest.mark.neo4j
@pytest.mark.slow
def test_neo4j_stopped_fails_every_call_within_2s(stopped_server: tuple[Any, int]) -> None:
    """Before: ≈ 7 s per failed call (the driver's retries with back-off)."""
    store, port = stopped_server
    calls: dict[str, Callable[[], Any]] = {
        "read": store.list_chains,
        "write": lambda: store.put_record("meta", "x", {}),
        "transaction": lambda: store.transaction().__enter__(),
        "bulk": lambda: store.bulk_upsert(chains=[MG]),
    }
    for name, call in calls.items():
        seconds, err = timed(call)
        print(f"{name} with Neo4j stopped: {seconds:.2f} s")
        assert isinstance(err, StorageUnavailable), (name, err)
        assert str(port) in str(err)
        assert seconds < 2.0, name
    seconds, _ = timed(store.ping)
    assert store.ping()["reachable"] is False and seconds < 2.0


# ------------------------------------------------------------------ (b) read-only SQLite
@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory an unprivileged user can enter (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="chainmap-ro-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        for p in [path, *path.rglob("*")]:
            with contextlib.suppress(OSError):
                p.chmod(0o777)
        shutil.rmtree(path, ignore_errors=True)


def as_unprivileged(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` as a user who is refused what file permissions forbid (root is not:
    as root, fork and drop to ``nobody``).  Returns ``fn``'s result (or its exception)."""
    if os.geteuid() != 0:
        try:
            return fn()
        except Exception as err:  # noqa: BLE001 - returned to the test
            return err
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            os.close(read)
            os.setgid(65534)
            os.setuid(65534)
            try:
                out: Any = fn()
            except Exception as err:  # noqa: BLE001
                out = err
            with os.fdopen(write, "wb") as fh:
                pickle.dump(out, fh)
        except BaseException:
            code = 1
        os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as fh:
        data = fh.read()
    _, status = os.waitpid(pid, 0)
    assert status == 0 and data, "the unprivileged child failed"
    return pickle.loads(data)  # noqa: S301 - our own child


def _seed_file(path: Path) -> None:
    store = SQLiteStore(path)
    store.upsert_chain(MG)
    store.close()


def test_read_only_file_opens_read_only_and_a_write_says_read_only(shared_dir: Path) -> None:
    db = shared_dir / "ro.db"
    _seed_file(db)
    db.chmod(0o444)
    (shared_dir).chmod(0o777)  # the directory is writable: only the file is read-only

    def attempt() -> tuple[list[str], bool, str]:
        store = SQLiteStore(db)
        chains = [c.id for c in store.list_chains()]
        writable = store.ping()["writable"]
        try:
            store.upsert_chain(Chain(id="auto", name_zh="汽车", name_en="Auto", letter="汽"))
        except StorageUnavailable as err:
            return chains, writable, str(err)
        finally:
            store.close()
        return chains, writable, "written"

    result = as_unprivileged(attempt)
    assert not isinstance(result, Exception), result
    chains, writable, message = result
    assert chains == ["mg"] and writable is False
    assert "read-only" in message and str(db) in message


@pytest.mark.parametrize("exists", [True, False], ids=["existing writable file", "new file"])
def test_read_only_directory_is_named_at_open(shared_dir: Path, exists: bool) -> None:
    """Before: a writable file in a read-only directory was "not a usable SQLite database"."""
    db = shared_dir / "in-ro-dir.db"
    if exists:
        _seed_file(db)
        db.chmod(0o666)
    shared_dir.chmod(0o755)

    result = as_unprivileged(lambda: SQLiteStore(db))
    assert isinstance(result, StorageUnavailable), result
    assert "read-only" in str(result) and str(shared_dir) in str(result)
    assert "not a usable" not in str(result)


def test_a_read_only_connection_names_read_only_at_write(tmp_path: Path) -> None:
    """The write-time path (SQLITE_READONLY from the engine), also as root: a mode=ro URI."""
    db = tmp_path / "uri.db"
    _seed_file(db)
    store = SQLiteStore(f"file:{db}?mode=ro")
    try:
        assert [c.id for c in store.list_chains()] == ["mg"]
        with pytest.raises(StorageUnavailable, match="read-only") as err:
            store.put_record("meta", "x", {})
        assert str(db) in str(err.value)
        assert store.ping()["writable"] is False
    finally:
        store.close()
    rw = SQLiteStore(db)
    assert rw.ping()["writable"] is True
    rw.close()


# ------------------------------------------------------------------ (c) a big bulk does not stall readers
N_BULK = 200_000


def _enterprises(n: int) -> Iterator[Enterprise]:
    for i in range(n):
        yield Enterprise(id=f"e{i:07d}", name=f"企业{i}", county="wenxi",
                         segments=[SegmentPresence(segment="mg.ore")])


@pytest.mark.slow
def test_sqlite_readers_are_not_stalled_by_a_big_bulk(tmp_path: Path) -> None:
    """A reader every 50 ms while another thread bulk-upserts 200k enterprises (before: the
    store's one lock stalled every read for the whole bulk, ≈ 24 s for a 19 MB upload)."""
    store = SQLiteStore(tmp_path / "big.db")
    store.bulk_upsert(chains=[MG], regions=[Region(id="wenxi", kind="county", name_zh="闻喜县", name_en="Wenxi")],
                      segments=[Segment(id="mg.ore", chain="mg", name_zh="白云石", name_en="Dolomite",
                                        stage="upstream")])
    done = threading.Event()
    stalls: list[float] = []
    seen: list[int] = []
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            while not done.is_set():
                start = time.monotonic()
                store.list_segments()
                store.get_segment("mg.ore")
                seen.append(store.search_enterprises(limit=1)[1])
                stalls.append(time.monotonic() - start)
                time.sleep(0.05)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    thread = threading.Thread(target=reader)
    thread.start()
    start = time.monotonic()
    try:
        counts = store.bulk_upsert(enterprises=_enterprises(N_BULK))
    finally:
        bulk_seconds = time.monotonic() - start
        done.set()
        thread.join()
    worst = max(stalls)
    print(f"bulk of {N_BULK:,} enterprises: {bulk_seconds:.1f} s; {len(stalls)} reads, "
          f"max reader stall {worst * 1000:.0f} ms")
    assert not errors, errors
    assert counts["enterprises"] == N_BULK
    assert len(stalls) > 10 and worst < 1.0
    assert set(seen) <= {0, N_BULK}  # all or nothing: never a part of the bulk
    assert store.search_enterprises(limit=1)[1] == N_BULK
    store.close()


def test_sqlite_bulk_failure_leaves_readers_the_old_state(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "fail.db")
    store.bulk_upsert(chains=[MG], regions=[Region(id="wenxi", kind="county", name_zh="闻喜县", name_en="Wenxi")],
                      segments=[Segment(id="mg.ore", chain="mg", name_zh="白云石", name_en="Dolomite",
                                        stage="upstream")])

    def failing() -> Iterator[Enterprise]:
        yield from _enterprises(3000)
        raise RuntimeError("source broke")

    with pytest.raises(RuntimeError):
        store.bulk_upsert(enterprises=failing(), batch_size=1000)
    assert store.search_enterprises(limit=1)[1] == 0
    other = subprocess.run(
        ["python", "-c", f"from chainmap.storage.sqlite import SQLiteStore; "
         f"print(SQLiteStore({str(tmp_path / 'fail.db')!r}).search_enterprises(limit=1)[1])"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        check=True,
    )
    assert other.stdout.strip() == "0"
    store.close()
