"""The embedded default store: one SQLite file (stdlib :mod:`sqlite3`).

Layout
------
Every object is kept as the JSON of its pydantic model (column ``data``) next
to the indexed columns that queries need; enterprises also have the side
tables ``enterprise_segment`` and ``enterprise_tag`` for search.  Records live
in ``record(kind, id, data)``.  The table ``meta`` marks the file as a
chainmap store (``app = chainmap``) and holds the counters ``revision``,
``graph_revision``, ``record_revision`` and ``record_revision:<kind>`` (see
:class:`~chainmap.storage.base.Store`), bumped in the transaction of the write;
``PRAGMA user_version`` holds the schema version, and the forward migrations
in :data:`MIGRATIONS` bring an older file up to date when it is opened.

Safety
------
A file that is not SQLite, a SQLite database of another application, or a
chainmap file of a newer schema is refused with
:class:`~chainmap.exceptions.StorageUnavailable` naming the path, and is left
byte-for-byte untouched.

Concurrency
-----------
Writes go through one connection (``check_same_thread=False``) guarded by a
re-entrant lock: each write, and each :meth:`SQLiteStore.transaction` block
(reads inside it included), holds the lock, so writers of several threads are
serialised and no update is lost.  Reads outside a transaction use a
connection of their own thread, in a read transaction of their own: in WAL
mode they see the last committed state and go on while a write transaction
(a ``bulk_upsert`` of a million enterprises, say) is open -- they never see
part of it, the bulk stays all or nothing.  A ``:memory:`` store has one
connection for everything.  Other processes are coordinated by SQLite itself
(WAL mode, busy timeout).

Read-only files
---------------
A database file this process may not write (permissions, a read-only mount)
is opened read only: reads work, ``ping()["writable"]`` is False and every
write raises :class:`~chainmap.exceptions.StorageUnavailable` saying the file
is read-only.  A directory this process may not write is refused at open (SQLite
must create the database, or its ``-wal`` and ``-shm`` files, next to it),
the message naming the directory as read-only.  A ``file:...?mode=ro`` URI
opens read only on purpose.

>>> store = SQLiteStore(":memory:")
>>> store.revision()
0
>>> from chainmap.models import Chain
>>> store.upsert_chain(Chain(id="mg", name_zh="镁", name_en="Magnesium", letter="材"))
>>> store.get_chain("mg").name_en, store.revision(), store.graph_revision(), store.record_revision()
('Magnesium', 1, 1, 0)
>>> store.put_record("project", "p1", {"name": "镁合金"})
>>> store.revision(), store.graph_revision(), store.record_revision(), store.record_revision("project")
(2, 1, 1, 1)
>>> store.close()
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chainmap.exceptions import Conflict, InvalidInput, NotFound, StorageUnavailable
from chainmap.storage import _common as common
from chainmap.storage.base import RECORD_KINDS, SCHEMA_VERSION, Store
from chainmap.storage.factory import DEFAULT_SQLITE_PATH

if TYPE_CHECKING:  # the models and pydantic load on the first read or write of one, so a
    # process that opens the store only for its counters and derived results never loads them
    from chainmap.models import Chain, Enterprise, Link, LinkKind, Region, Segment, Tag

__all__ = ["SQLiteStore", "MIGRATIONS", "DEFAULT_PATH"]

#: Used when no ``path`` is given (the setting CHAINMAP_SQLITE_PATH is read by the factory).
DEFAULT_PATH = DEFAULT_SQLITE_PATH

_SQLITE_MAGIC = b"SQLite format 3\x00"
_APP = "chainmap"
_CHUNK = 500  # ids per ``IN (...)`` lookup

_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO meta(key, value) VALUES ('app', 'chainmap'), ('revision', '0');
CREATE TABLE chain (
    id TEXT PRIMARY KEY,
    parent TEXT REFERENCES chain(id) DEFERRABLE INITIALLY DEFERRED,
    data TEXT NOT NULL
);
CREATE INDEX chain_parent ON chain(parent);
CREATE TABLE region (
    id TEXT PRIMARY KEY,
    parent TEXT REFERENCES region(id) DEFERRABLE INITIALLY DEFERRED,
    county TEXT REFERENCES region(id) DEFERRABLE INITIALLY DEFERRED,
    data TEXT NOT NULL
);
CREATE INDEX region_parent ON region(parent);
CREATE INDEX region_county ON region(county);
CREATE TABLE segment (
    id TEXT PRIMARY KEY,
    chain TEXT NOT NULL REFERENCES chain(id) DEFERRABLE INITIALLY DEFERRED,
    parent TEXT REFERENCES segment(id) DEFERRABLE INITIALLY DEFERRED,
    data TEXT NOT NULL
);
CREATE INDEX segment_chain ON segment(chain);
CREATE INDEX segment_parent ON segment(parent);
CREATE TABLE link (
    source TEXT NOT NULL REFERENCES segment(id) DEFERRABLE INITIALLY DEFERRED,
    target TEXT NOT NULL REFERENCES segment(id) DEFERRABLE INITIALLY DEFERRED,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (source, target, kind)
) WITHOUT ROWID;
CREATE INDEX link_target ON link(target);
CREATE TABLE enterprise (
    id TEXT PRIMARY KEY,
    name_key TEXT NOT NULL,
    credit_code TEXT UNIQUE,
    county TEXT REFERENCES region(id) DEFERRABLE INITIALLY DEFERRED,
    zone TEXT REFERENCES region(id) DEFERRABLE INITIALLY DEFERRED,
    data TEXT NOT NULL
);
CREATE INDEX enterprise_county ON enterprise(county, id);
CREATE INDEX enterprise_zone ON enterprise(zone, id);
CREATE TABLE enterprise_segment (
    enterprise TEXT NOT NULL REFERENCES enterprise(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    segment TEXT NOT NULL REFERENCES segment(id) DEFERRABLE INITIALLY DEFERRED,
    role TEXT NOT NULL,
    PRIMARY KEY (enterprise, position)
) WITHOUT ROWID;
CREATE INDEX enterprise_segment_segment ON enterprise_segment(segment, enterprise);
CREATE TABLE enterprise_tag (
    enterprise TEXT NOT NULL REFERENCES enterprise(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (enterprise, tag)
) WITHOUT ROWID;
CREATE INDEX enterprise_tag_tag ON enterprise_tag(tag, enterprise);
CREATE TABLE record (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;
"""

# Graph and record revisions; a file of version 1 starts them at its revision (they never
# go back, and they never read lower than what ``revision()`` stood in for before).
_V2 = """
INSERT INTO meta(key, value) SELECT 'graph_revision', value FROM meta WHERE key = 'revision';
INSERT INTO meta(key, value) SELECT 'record_revision', value FROM meta WHERE key = 'revision';
"""

# Derived results (Store.get_derived): a cache, not data.
_V3 = """
CREATE TABLE derived (key TEXT PRIMARY KEY, revision INTEGER NOT NULL, value TEXT NOT NULL);
"""

#: Forward migrations: entry ``i`` brings a file from version ``i`` to ``i + 1``.
#: Append a script (never edit a released one) and bump ``base.SCHEMA_VERSION``.
MIGRATIONS: list[str] = [_V1, _V2, _V3]

if len(MIGRATIONS) != SCHEMA_VERSION:  # pragma: no cover - guards a forgotten bump
    raise RuntimeError("chainmap.storage.sqlite.MIGRATIONS does not match base.SCHEMA_VERSION")

_UPSERT = {
    "chain": "INSERT INTO chain(id, parent, data) VALUES (?, ?, ?) "
    "ON CONFLICT(id) DO UPDATE SET parent = excluded.parent, data = excluded.data",
    "region": "INSERT INTO region(id, parent, county, data) VALUES (?, ?, ?, ?) "
    "ON CONFLICT(id) DO UPDATE SET parent = excluded.parent, county = excluded.county, data = excluded.data",
    "segment": "INSERT INTO segment(id, chain, parent, data) VALUES (?, ?, ?, ?) "
    "ON CONFLICT(id) DO UPDATE SET chain = excluded.chain, parent = excluded.parent, data = excluded.data",
    "link": "INSERT INTO link(source, target, kind, data) VALUES (?, ?, ?, ?) "
    "ON CONFLICT(source, target, kind) DO UPDATE SET data = excluded.data",
    "enterprise": "INSERT INTO enterprise(id, name_key, credit_code, county, zone, data) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name_key = excluded.name_key, "
    "credit_code = excluded.credit_code, county = excluded.county, zone = excluded.zone, data = excluded.data",
}


def _by_id(e: common.StoredEnterprise) -> str:
    return e.id


_LOOKUP = {"chain": "SELECT id FROM chain", "region": "SELECT id FROM region", "segment": "SELECT id FROM segment"}


def _unavailable(path: str, message: str, hint: str | None = None) -> StorageUnavailable:
    return StorageUnavailable(f"SQLite store {path}: {message}", hint=hint)


def _is_read_only(err: sqlite3.Error) -> bool:
    """SQLITE_READONLY (a read-only file, mount or connection)."""
    return "readonly" in str(err) or getattr(err, "sqlite_errorname", "").startswith("SQLITE_READONLY")


_BUMP = "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = ?"
# A kind's counter: the record revision of its last write (bumped just before).
_STAMP = (
    "INSERT INTO meta(key, value) SELECT ?1, value FROM meta WHERE key = 'record_revision' "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
)
_UPSERT_RECORD = (
    "INSERT INTO record(kind, id, data) VALUES (?, ?, ?) ON CONFLICT(kind, id) DO UPDATE SET data = excluded.data"
)


class SQLiteStore(Store):
    """:class:`~chainmap.storage.base.Store` on one SQLite file.

    Parameters
    ----------
    path : str or Path, optional
        The database file (created if missing; its directory must exist).
        ``":memory:"`` gives a private in-memory store.  Default: ``chainmap.db``
        in the working directory (:func:`~chainmap.storage.factory.open_store`
        reads the setting CHAINMAP_SQLITE_PATH).
    timeout : float
        Seconds to wait for another process's write lock.
    """

    backend = "sqlite"

    def __init__(self, path: str | os.PathLike[str] = DEFAULT_PATH, *, timeout: float = 10.0) -> None:
        self.path = os.fspath(path)
        self._target = self.path  # what sqlite3.connect opens (a mode=ro URI for a read-only file)
        self._lock = threading.RLock()
        self._depth = 0  # nesting of open transactions (guarded by _lock)
        self._dirty = False  # the open top-level transaction wrote something
        self._graph = False  # ... to the chain graph
        self._kinds: set[str] = set()  # ... records of these kinds
        self._conn: sqlite3.Connection | None = None
        self._owner: int | None = None  # thread holding the open write transaction
        self._timeout = timeout
        self._local = threading.local()  # per thread: its read connection and read nesting
        self._readers: list[sqlite3.Connection] = []  # every thread's read connection (closed by close())
        self._readers_lock = threading.Lock()
        self._read_only = self._check_file()
        if self._read_only and not self.path.startswith("file:"):
            self._target = "file:" + urllib.parse.quote(os.path.abspath(self.path)) + "?mode=ro"
        conn = self._connect(timeout)
        try:
            self._prepare(conn)
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    # ---- opening -------------------------------------------------------------
    def _memory(self) -> bool:
        return self.path == ":memory:" or self.path.startswith("file::memory:")

    def _file_path(self) -> Path:
        """The file behind ``path`` (the path part of a ``file:`` URI)."""
        if self.path.startswith("file:"):
            return Path(urllib.parse.unquote(urllib.parse.urlsplit(self.path).path))
        return Path(self.path)

    def _check_file(self) -> bool:
        """Refuse a path that is not (or cannot become) a SQLite file, before opening it.

        Returns True if the store is to be opened read only (a ``mode=ro`` URI, or
        a file this process may not write)."""
        if self._memory():
            return False
        if self.path.startswith("file:"):
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            return query.get("mode") == ["ro"]
        p = self._file_path()
        if p.is_dir():
            raise _unavailable(self.path, "is a directory", hint="set CHAINMAP_SQLITE_PATH to a file path")
        if not p.parent.is_dir():
            raise _unavailable(
                self.path, f"directory {p.parent} does not exist", hint="create it or change CHAINMAP_SQLITE_PATH"
            )
        if p.exists() and p.stat().st_size > 0:
            try:
                with p.open("rb") as fh:
                    head = fh.read(len(_SQLITE_MAGIC))
            except OSError as err:
                raise _unavailable(self.path, f"cannot be read ({err.strerror})") from None
            if head != _SQLITE_MAGIC:
                raise _unavailable(
                    self.path,
                    "is not a SQLite database (corrupt, or another kind of file); refusing to touch it",
                    hint="point CHAINMAP_SQLITE_PATH at a chainmap database or a new file",
                )
        parent = p.parent
        if not os.access(parent, os.W_OK | os.X_OK):
            what = ("SQLite must create its -wal and -shm files next to the database" if p.exists()
                    else "the database file cannot be created there")
            raise _unavailable(
                self.path,
                f"directory {parent} is read-only ({what}) / 目录只读",
                hint="make the directory writable, or copy the database into a writable directory",
            )
        return p.exists() and not os.access(p, os.W_OK)

    def _connect(self, timeout: float) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self._target, timeout=timeout, isolation_level=None, check_same_thread=False,
                uri=self._target.startswith("file:"),
            )
        except sqlite3.Error as err:
            raise _unavailable(self.path, f"cannot be opened ({err})") from None
        return conn

    def _prepare(self, conn: sqlite3.Connection) -> None:
        """Inspect (read only), then configure and migrate a file that is ours or empty."""
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            ours = "meta" in tables and conn.execute(
                "SELECT value FROM meta WHERE key = 'app'"
            ).fetchone() == (_APP,)
        except sqlite3.Error as err:
            if _is_read_only(err):
                raise self._read_only_error(err) from None
            raise _unavailable(
                self.path, f"is not a usable SQLite database ({err}); refusing to touch it",
                hint="point CHAINMAP_SQLITE_PATH at a chainmap database or a new file",
            ) from None
        if tables and not ours:
            raise _unavailable(
                self.path,
                f"is a SQLite database of another application (tables: {', '.join(sorted(tables)[:8])}); "
                "refusing to touch it",
                hint="point CHAINMAP_SQLITE_PATH at a chainmap database or a new file",
            )
        if version > len(MIGRATIONS):
            raise _unavailable(
                self.path,
                f"has schema version {version}, newer than this chainmap knows ({len(MIGRATIONS)}); "
                "refusing to touch it",
                hint="upgrade chainmap, or export with the newer version and import here",
            )
        if not tables:
            version = 0
        try:
            if not self._memory() and not self._read_only:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA journal_size_limit = 67108864")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA cache_size = -65536")
            conn.execute("PRAGMA temp_store = MEMORY")
            self._migrate(conn, version)
        except sqlite3.Error as err:
            if _is_read_only(err) or self._read_only:
                raise self._read_only_error(err, "it needs a schema upgrade first") from None
            raise _unavailable(self.path, f"cannot be prepared ({err})") from None

    def _read_only_error(self, err: sqlite3.Error | None = None, why: str = "nothing was written") -> StorageUnavailable:
        """The store cannot write: the file (or its directory) is read-only."""
        self._read_only = True
        detail = f" ({err})" if err is not None else ""
        return _unavailable(
            self.path,
            f"is read-only{detail}; {why} / 数据库文件只读，未写入",
            hint="make the database file and its directory writable by this process",
        )

    def _migrate(self, conn: sqlite3.Connection, version: int) -> None:
        """Apply forward migrations ``version -> len(MIGRATIONS)`` in one transaction."""
        if version >= len(MIGRATIONS):
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            for step in range(version, len(MIGRATIONS)):
                for statement in _split_sql(MIGRATIONS[step]):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {len(MIGRATIONS):d}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    # ---- transactions ------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise _unavailable(self.path, "the store is closed")
        return self._conn

    def _reader(self) -> sqlite3.Connection:
        """This thread's read connection (opened on first use)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if self._conn is None:
            raise _unavailable(self.path, "the store is closed")
        if conn is None:
            conn = self._connect(self._timeout)
            try:
                conn.execute("PRAGMA query_only = ON")
                conn.execute("PRAGMA cache_size = -16384")
            except sqlite3.Error as err:
                conn.close()
                raise self._translate(err) from None
            with self._readers_lock:
                self._readers.append(conn)
            self._local.conn = conn
        return conn

    @contextlib.contextmanager
    def _read_tx(self) -> Iterator[sqlite3.Connection]:
        """A read transaction on this thread's own connection (no lock: WAL readers
        proceed while another thread's write transaction is open)."""
        conn = self._reader()
        depth: int = getattr(self._local, "depth", 0)
        try:
            if depth == 0:
                conn.execute("BEGIN")
        except sqlite3.Error as err:
            raise self._translate(err) from None
        self._local.depth = depth + 1
        try:
            yield conn
        except sqlite3.Error as err:
            raise self._translate(err) from None
        finally:
            self._local.depth = depth
            if depth == 0:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")  # read only: nothing to commit

    @contextlib.contextmanager
    def _tx(self, *, write: bool, counted: bool = True) -> Iterator[sqlite3.Connection]:
        """Hold the lock; open a transaction (or a savepoint when nested); translate errors.

        A read outside this thread's write transaction takes no lock (see :meth:`_read_tx`).
        A write that is not ``counted`` (a derived result) bumps no counter of its own."""
        if not write and self._owner != threading.get_ident() and not self._memory():
            with self._read_tx() as rconn:
                yield rconn
            return
        with self._lock:
            conn = self._connection()
            depth = self._depth
            if write and self._read_only:
                raise self._read_only_error()
            try:
                conn.execute(("BEGIN IMMEDIATE" if write else "BEGIN") if depth == 0 else f"SAVEPOINT sp{depth}")
            except sqlite3.Error as err:
                raise self._translate(err) from None
            self._depth += 1
            self._owner = threading.get_ident()
            try:
                yield conn
                if write and counted:
                    self._dirty = True
                if depth == 0:
                    if self._dirty:
                        self._bump(conn)
                    conn.execute("COMMIT")
                else:
                    conn.execute(f"RELEASE sp{depth}")
            except BaseException as exc:
                self._rollback(conn, depth)
                if isinstance(exc, sqlite3.Error):
                    raise self._translate(exc) from None
                raise
            finally:
                self._depth = depth
                if depth == 0:
                    self._owner = None
                    self._dirty = self._graph = False
                    self._kinds = set()

    def _touch(self, *, graph: bool = False, kinds: Iterable[str] = ()) -> None:
        """Note what the open transaction writes (its counters are bumped on commit)."""
        self._graph = self._graph or graph
        self._kinds.update(kinds)

    def _bump(self, conn: sqlite3.Connection) -> None:
        """Bump the counters of what the committing transaction wrote (see the module doc)."""
        conn.execute(_BUMP, ("revision",))
        if self._graph:
            conn.execute(_BUMP, ("graph_revision",))
        if self._kinds:
            conn.execute(_BUMP, ("record_revision",))
            conn.executemany(_STAMP, [(f"record_revision:{k}",) for k in sorted(self._kinds)])

    @staticmethod
    def _rollback(conn: sqlite3.Connection, depth: int) -> None:
        with contextlib.suppress(sqlite3.Error):
            if depth == 0:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            else:
                conn.execute(f"ROLLBACK TO sp{depth}")
                conn.execute(f"RELEASE sp{depth}")

    def _translate(self, err: sqlite3.Error) -> Exception:
        text = str(err)
        if _is_read_only(err):
            return self._read_only_error(err)
        if isinstance(err, sqlite3.IntegrityError):
            if "credit_code" in text:
                return Conflict(f"credit code already belongs to another enterprise ({text})", field="credit_code")
            return InvalidInput(f"the write breaks a reference or uniqueness rule ({text})")
        if "locked" in text or "busy" in text:
            return _unavailable(self.path, f"is busy ({text})", hint="another process holds a long write; retry")
        return _unavailable(self.path, f"database error: {text}")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Store]:
        with self._tx(write=True):
            yield self

    # ---- lifecycle ---------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.close()
                self._conn = None
            with self._readers_lock:
                readers, self._readers = self._readers, []
            for conn in readers:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()

    def clear(self) -> None:
        with self._tx(write=True) as conn:
            for table in ("link", "enterprise_segment", "enterprise_tag", "enterprise", "segment", "region",
                          "chain", "record", "derived"):
                conn.execute(f"DELETE FROM {table}")  # fixed table names
            self._touch(graph=True, kinds=RECORD_KINDS)

    def ping(self) -> dict[str, Any]:
        info: dict[str, Any] = {"backend": self.backend, "version": sqlite3.sqlite_version, "detail": self.path}
        try:
            with self._tx(write=False) as conn:
                info["schema_version"] = conn.execute("PRAGMA user_version").fetchone()[0]
            info["reachable"] = True
            info["writable"] = not self._read_only
            if self._read_only:
                info["detail"] = f"{self.path} (read-only)"
        except Exception as err:  # ping never raises
            info.update(reachable=False, schema_version=None, detail=f"{self.path}: {err}")
        return info

    def _counter(self, key: str) -> int:
        with self._tx(write=False) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row is not None else 0

    def revision(self) -> int:
        return self._counter("revision")

    def graph_revision(self) -> int:
        return self._counter("graph_revision")

    def record_revision(self, kind: str | None = None) -> int:
        if kind is None:
            return self._counter("record_revision")
        common.check_record_key(kind, "-")
        return self._counter(f"record_revision:{kind}")

    # ---- derived results -----------------------------------------------------------
    def get_derived(self, key: str, revision: int) -> str | None:
        with self._tx(write=False) as conn:
            row = conn.execute("SELECT value FROM derived WHERE key = ? AND revision = ?", (key, revision)).fetchone()
        return str(row[0]) if row is not None else None

    def put_derived(self, key: str, revision: int, value: str) -> None:
        sql = ("INSERT INTO derived(key, revision, value) VALUES (?, ?, ?) "
               "ON CONFLICT(key) DO UPDATE SET revision = excluded.revision, value = excluded.value")
        with self._lock:
            conn = self._connection()
            # a cache never waits for another process's write lock (inside this thread's own
            # transaction there is none to wait for: the write joins it)
            no_wait = self._owner != threading.get_ident()
            try:
                if no_wait:
                    conn.execute("PRAGMA busy_timeout = 0")
                try:
                    with self._tx(write=True, counted=False) as tx:
                        tx.execute(sql, (key, revision, value))
                finally:
                    if no_wait:
                        conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000):d}")
            except sqlite3.Error as err:
                raise self._translate(err) from None

    # ---- helpers -------------------------------------------------------------------
    def _one(self, sql: str, params: Sequence[Any], what: str, key: str) -> str:
        with self._tx(write=False) as conn:
            row = conn.execute(sql, params).fetchone()
        if row is None:
            raise NotFound(f"{what} {key!r} not found")
        return str(row[0])

    def _datas(self, sql: str, params: Sequence[Any] = ()) -> list[str]:
        with self._tx(write=False) as conn:
            return [r[0] for r in conn.execute(sql, params)]

    def _lookup(self, conn: sqlite3.Connection, kind: str, ids: set[str]) -> set[str]:
        found: set[str] = set()
        for chunk in common.batched(sorted(ids), _CHUNK):
            marks = ",".join("?" * len(chunk))
            found.update(r[0] for r in conn.execute(f"{_LOOKUP[kind]} WHERE id IN ({marks})", chunk))
        return found

    def _owners(self, conn: sqlite3.Connection, codes: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for chunk in common.batched(codes, _CHUNK):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT credit_code, id FROM enterprise WHERE credit_code IN ({marks})"
            out.update(conn.execute(sql, chunk).fetchall())
        return out

    def _chain_ids(self, conn: sqlite3.Connection, chain: str) -> list[str]:
        """``chain`` and its sub-chains (NotFound if ``chain`` does not exist)."""
        rows = conn.execute(
            "WITH RECURSIVE sub(id) AS (SELECT id FROM chain WHERE id = ? "
            "UNION SELECT c.id FROM chain c JOIN sub ON c.parent = sub.id) SELECT id FROM sub",
            (chain,),
        ).fetchall()
        if not rows:
            raise NotFound(f"chain {chain!r} not found")
        return [r[0] for r in rows]

    # ---- chains --------------------------------------------------------------------
    def get_chain(self, chain_id: str) -> Chain:
        from chainmap.models import Chain

        return Chain.model_validate_json(self._one("SELECT data FROM chain WHERE id = ?", (chain_id,), "chain", chain_id))

    def list_chains(self) -> list[Chain]:
        from chainmap.models import Chain

        return [Chain.model_validate_json(d) for d in self._datas("SELECT data FROM chain ORDER BY id")]

    def upsert_chain(self, chain: Chain) -> None:
        self.bulk_upsert(chains=[chain])

    def delete_chain(self, chain_id: str) -> None:
        with self._tx(write=True) as conn:
            self._require(conn, "SELECT 1 FROM chain WHERE id = ?", chain_id, "chain")
            _refuse_if(conn, "SELECT id FROM segment WHERE chain = ? ORDER BY id", chain_id, f"chain {chain_id!r}", "segments")
            _refuse_if(conn, "SELECT id FROM chain WHERE parent = ? ORDER BY id", chain_id, f"chain {chain_id!r}", "sub-chains")
            conn.execute("DELETE FROM chain WHERE id = ?", (chain_id,))
            self._touch(graph=True)

    @staticmethod
    def _require(conn: sqlite3.Connection, sql: str, key: str, what: str) -> None:
        if conn.execute(sql, (key,)).fetchone() is None:
            raise NotFound(f"{what} {key!r} not found")

    # ---- segments ------------------------------------------------------------------
    def get_segment(self, segment_id: str) -> Segment:
        from chainmap.models import Segment

        data = self._one("SELECT data FROM segment WHERE id = ?", (segment_id,), "segment", segment_id)
        return Segment.model_validate_json(data)

    def list_segments(self, chain: str | None = None) -> list[Segment]:
        from chainmap.models import Segment

        with self._tx(write=False) as conn:
            if chain is None:
                rows = conn.execute("SELECT data FROM segment ORDER BY id").fetchall()
            else:
                ids = self._chain_ids(conn, chain)
                marks = ",".join("?" * len(ids))
                rows = conn.execute(f"SELECT data FROM segment WHERE chain IN ({marks}) ORDER BY id", ids).fetchall()
        return [Segment.model_validate_json(r[0]) for r in rows]

    def upsert_segment(self, segment: Segment) -> None:
        self.bulk_upsert(segments=[segment])

    def delete_segment(self, segment_id: str, *, cascade: bool = False) -> None:
        what = f"segment {segment_id!r}"
        with self._tx(write=True) as conn:
            self._require(conn, "SELECT 1 FROM segment WHERE id = ?", segment_id, "segment")
            _refuse_if(conn, "SELECT id FROM segment WHERE parent = ? ORDER BY id", segment_id, what, "child segments")
            if not cascade:
                _refuse_if(
                    conn,
                    "SELECT source || '-[' || kind || ']->' || target FROM link WHERE source = ?1 OR target = ?1 "
                    "ORDER BY 1",
                    segment_id, what, "links", hint="delete them first or pass cascade=True",
                )
                _refuse_if(
                    conn,
                    "SELECT DISTINCT enterprise FROM enterprise_segment WHERE segment = ? ORDER BY 1",
                    segment_id, what, "enterprises", hint="delete them first or pass cascade=True",
                )
            conn.execute("DELETE FROM link WHERE source = ?1 OR target = ?1", (segment_id,))
            self._drop_presences(conn, segment_id)
            conn.execute("DELETE FROM segment WHERE id = ?", (segment_id,))
            self._touch(graph=True)

    def _drop_presences(self, conn: sqlite3.Connection, segment_id: str) -> None:
        """Remove ``segment_id`` from every enterprise that operates in it (JSON and side table)."""
        from chainmap.models import Enterprise

        rows = conn.execute(
            "SELECT e.data FROM enterprise e WHERE e.id IN "
            "(SELECT enterprise FROM enterprise_segment WHERE segment = ?)",
            (segment_id,),
        ).fetchall()
        updated = []
        for (data,) in rows:
            e = Enterprise.model_validate_json(data)
            e.segments = [p for p in e.segments if p.segment != segment_id]
            updated.append(e)
        self._put_enterprises(conn, [common.StoredEnterprise.of(e) for e in updated])

    # ---- links ---------------------------------------------------------------------
    def list_links(self, chain: str | None = None) -> list[Link]:
        from chainmap.models import Link

        with self._tx(write=False) as conn:
            if chain is None:
                rows = conn.execute("SELECT data FROM link ORDER BY source, target, kind").fetchall()
            else:
                ids = self._chain_ids(conn, chain)
                marks = ",".join("?" * len(ids))
                rows = conn.execute(
                    "SELECT l.data FROM link l JOIN segment s ON s.id = l.source JOIN segment t ON t.id = l.target "
                    f"WHERE s.chain IN ({marks}) OR t.chain IN ({marks}) ORDER BY l.source, l.target, l.kind",
                    ids + ids,
                ).fetchall()
        return [Link.model_validate_json(r[0]) for r in rows]

    def upsert_link(self, link: Link) -> None:
        self.bulk_upsert(links=[link])

    def delete_link(self, source: str, target: str, kind: LinkKind | str) -> None:
        k = common.parse_link_kind(kind)
        with self._tx(write=True) as conn:
            cur = conn.execute("DELETE FROM link WHERE source = ? AND target = ? AND kind = ?", (source, target, k.value))
            if cur.rowcount == 0:
                raise NotFound(f"link {source}-[{k.value}]->{target} not found")
            self._touch(graph=True)

    # ---- regions -------------------------------------------------------------------
    def get_region(self, region_id: str) -> Region:
        from chainmap.models import Region

        return Region.model_validate_json(self._one("SELECT data FROM region WHERE id = ?", (region_id,), "region", region_id))

    def list_regions(self) -> list[Region]:
        from chainmap.models import Region

        return [Region.model_validate_json(d) for d in self._datas("SELECT data FROM region ORDER BY id")]

    def upsert_region(self, region: Region) -> None:
        self.bulk_upsert(regions=[region])

    def delete_region(self, region_id: str) -> None:
        what = f"region {region_id!r}"
        with self._tx(write=True) as conn:
            self._require(conn, "SELECT 1 FROM region WHERE id = ?", region_id, "region")
            _refuse_if(conn, "SELECT id FROM region WHERE parent = ?1 OR county = ?1 ORDER BY id", region_id, what, "regions")
            _refuse_if(conn, "SELECT id FROM enterprise WHERE county = ?1 UNION SELECT id FROM enterprise WHERE zone = ?1 "
                       "ORDER BY 1", region_id, what, "enterprises")
            conn.execute("DELETE FROM region WHERE id = ?", (region_id,))
            self._touch(graph=True)

    # ---- enterprises ---------------------------------------------------------------
    def get_enterprise(self, enterprise_id: str) -> Enterprise:
        from chainmap.models import Enterprise

        data = self._one("SELECT data FROM enterprise WHERE id = ?", (enterprise_id,), "enterprise", enterprise_id)
        return Enterprise.model_validate_json(data)

    def find_enterprise_by_credit_code(self, credit_code: str) -> Enterprise | None:
        from chainmap.models import Enterprise

        code = (credit_code or "").strip().upper()
        rows = self._datas("SELECT data FROM enterprise WHERE credit_code = ?", (code,))
        return Enterprise.model_validate_json(rows[0]) if rows else None

    def list_enterprises(self) -> list[Enterprise]:
        return list(self.iter_enterprises())

    def iter_enterprises(self, *, batch_size: int = 5000) -> Iterator[Enterprise]:
        from chainmap.models import Enterprise

        common.check_batch_size(batch_size)
        after = ""
        while True:
            rows = self._datas("SELECT data FROM enterprise WHERE id > ? ORDER BY id LIMIT ?", (after, batch_size))
            page = [Enterprise.model_validate_json(d) for d in rows]
            yield from page
            if len(page) < batch_size:
                return
            after = str(page[-1].id)

    def upsert_enterprise(self, enterprise: Enterprise) -> None:
        self.bulk_upsert(enterprises=[enterprise])

    def delete_enterprise(self, enterprise_id: str) -> None:
        with self._tx(write=True) as conn:
            if conn.execute("DELETE FROM enterprise WHERE id = ?", (enterprise_id,)).rowcount == 0:
                raise NotFound(f"enterprise {enterprise_id!r} not found")
            self._touch(graph=True)

    def search_enterprises(
        self,
        *,
        segment: str | None = None,
        tag: Tag | str | None = None,
        county: str | None = None,
        zone: str | None = None,
        name: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Enterprise], int]:
        from chainmap.models import Enterprise

        limit, offset = common.check_page(limit, offset)
        where, params = ["1 = 1"], []
        if segment is not None:
            where.append("e.id IN (SELECT enterprise FROM enterprise_segment WHERE segment = ?)")
            params.append(segment)
        if tag is not None:
            where.append("e.id IN (SELECT enterprise FROM enterprise_tag WHERE tag = ?)")
            params.append(common.parse_tag(tag).value)
        if county is not None:
            where.append("e.county = ?")
            params.append(county)
        if zone is not None:
            where.append("e.zone = ?")
            params.append(zone)
        if name:
            where.append("instr(e.name_key, ?) > 0")
            params.append(common.name_key(name.strip()))
        cond = " AND ".join(where)  # fixed fragments only; values are bound parameters
        with self._tx(write=False) as conn:
            total = conn.execute(f"SELECT count(*) FROM enterprise e WHERE {cond}", params).fetchone()[0]
            rows = conn.execute(
                f"SELECT e.data FROM enterprise e WHERE {cond} ORDER BY e.id LIMIT ? OFFSET ?", [*params, limit, offset]
            ).fetchall()
        return [Enterprise.model_validate_json(r[0]) for r in rows], int(total)

    # ---- bulk ----------------------------------------------------------------------
    def bulk_upsert(
        self,
        *,
        chains: Iterable[Chain] = (),
        regions: Iterable[Region] = (),
        segments: Iterable[Segment] = (),
        links: Iterable[Link] = (),
        enterprises: Iterable[Enterprise] = (),
        records: Iterable[tuple[str, str, Mapping[str, Any]]] = (),
        batch_size: int = 5000,
    ) -> dict[str, int]:
        from chainmap.limits.heap import frozen_heap  # here: chainmap.limits is not needed to open a store

        common.check_batch_size(batch_size)
        recs = common.record_payloads(records)
        counts = dict.fromkeys(("chains", "regions", "segments", "links", "enterprises", "records"), 0)
        with self._tx(write=True) as conn, frozen_heap():  # full GCs scan this write's objects only
            # A store without enterprises has no stored credit codes and nothing to replace:
            # skip those look-ups (the validator still catches duplicates within the call).
            fresh = conn.execute("SELECT 1 FROM enterprise LIMIT 1").fetchone() is None
            v = common.BulkValidator(
                lambda kind, ids: self._lookup(conn, kind, ids),
                (lambda codes: {}) if fresh else (lambda codes: self._owners(conn, codes)),
            )
            cs, rs, ss, ls = v.chains(chains), v.regions(regions), v.segments(segments), v.links(links)
            conn.executemany(_UPSERT["chain"], [(c.id, c.parent, c.model_dump_json()) for c in cs])
            conn.executemany(_UPSERT["region"], [(r.id, r.parent, r.county, r.model_dump_json()) for r in rs])
            conn.executemany(_UPSERT["segment"], [(s.id, s.chain, s.parent, s.model_dump_json()) for s in ss])
            conn.executemany(_UPSERT["link"], [(x.source, x.target, x.kind.value, x.model_dump_json()) for x in ls])
            counts.update(chains=len(cs), regions=len(rs), segments=len(ss), links=len(ls))
            row = 1
            # Prepared enterprises (validated, kept as JSON) are written from their JSON: no
            # model is rebuilt nor dumped again (common.PreparedEnterprises).
            prepared = common.stored_enterprises(enterprises)
            if prepared is not None:
                for views in common.batched(prepared, batch_size):
                    self._put_enterprises(conn, v.stored_enterprises(views, first_row=row), replace=not fresh)
                    row += len(views)
            else:
                for batch in common.batched(enterprises, batch_size):
                    valid = v.enterprises(batch, first_row=row)
                    self._put_enterprises(conn, [common.StoredEnterprise.of(e) for e in valid], replace=not fresh)
                    row += len(batch)
            counts["enterprises"] = row - 1
            conn.executemany(_UPSERT_RECORD, recs)
            counts["records"] = len(recs)
            self._touch(graph=any(counts[k] for k in ("chains", "regions", "segments", "links", "enterprises")),
                        kinds={kind for kind, _, _ in recs})
        return counts

    def _put_enterprises(self, conn: sqlite3.Connection, batch: list[common.StoredEnterprise], *, replace: bool = True) -> None:
        """Write validated enterprises: main row, then fresh side-table rows.

        Rows go in id order: the inserts then walk each B-tree (the id, county and zone indexes,
        the side tables keyed by enterprise) in order instead of jumping across it, which about
        halves SQLite's share of a large import.  ``replace=False`` promises that none of them
        is stored yet (no old side rows to delete).
        """
        if not batch:
            return
        batch = sorted(batch, key=_by_id)
        main, segs, tags = [], [], []
        for e in batch:
            eid = e.id
            main.append((eid, common.name_key(e.name), e.credit_code, e.county, e.zone, e.json))
            segs += [(eid, i, p.segment, p.role) for i, p in enumerate(e.segments)]  # StrEnum binds as str
            tags += [(eid, t) for t in dict.fromkeys(e.tags)]
        if replace:
            stored = [(i,) for i in sorted(self._lookup_enterprises(conn, [str(m[0]) for m in main]))]
            conn.executemany("DELETE FROM enterprise_segment WHERE enterprise = ?", stored)
            conn.executemany("DELETE FROM enterprise_tag WHERE enterprise = ?", stored)
        conn.executemany(_UPSERT["enterprise"], main)
        conn.executemany("INSERT INTO enterprise_segment(enterprise, position, segment, role) VALUES (?, ?, ?, ?)", segs)
        conn.executemany("INSERT INTO enterprise_tag(enterprise, tag) VALUES (?, ?)", tags)

    @staticmethod
    def _lookup_enterprises(conn: sqlite3.Connection, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for chunk in common.batched(ids, _CHUNK):
            marks = ",".join("?" * len(chunk))
            found.update(r[0] for r in conn.execute(f"SELECT id FROM enterprise WHERE id IN ({marks})", chunk))
        return found

    # ---- records -------------------------------------------------------------------
    def put_record(self, kind: str, record_id: str, data: Mapping[str, Any]) -> None:
        _, text = common.record_payload(kind, record_id, data)
        with self._tx(write=True) as conn:
            conn.execute(_UPSERT_RECORD, (kind, record_id, text))
            self._touch(kinds=(kind,))

    def get_record(self, kind: str, record_id: str) -> dict[str, Any]:
        from pydantic_core import from_json

        common.check_record_key(kind, record_id)
        data = self._one("SELECT data FROM record WHERE kind = ? AND id = ?", (kind, record_id), kind, record_id)
        return dict(from_json(data, cache_strings=False))

    def list_records(self, kind: str, **where: Any) -> list[dict[str, Any]]:
        from pydantic_core import from_json

        common.check_record_key(kind, "-")
        rows = self._datas("SELECT data FROM record WHERE kind = ? ORDER BY id", (kind,))
        records = (from_json(d, cache_strings=False) for d in rows)  # (the JSON of json.dumps)
        return [r for r in records if common.matches(r, where)]

    def delete_record(self, kind: str, record_id: str) -> None:
        common.check_record_key(kind, record_id)
        with self._tx(write=True) as conn:
            if conn.execute("DELETE FROM record WHERE kind = ? AND id = ?", (kind, record_id)).rowcount == 0:
                raise NotFound(f"{kind} {record_id!r} not found")
            self._touch(kinds=(kind,))


def _refuse_if(
    conn: sqlite3.Connection, sql: str, key: str, what: str, referrers: str, hint: str | None = None
) -> None:
    """Conflict naming (up to five of) the ``referrers`` that ``sql`` finds for ``key``."""
    rows = [r[0] for r in conn.execute(sql, (key,)).fetchmany(6)]
    if rows:
        shown = ", ".join(rows[:5]) + (" ..." if len(rows) > 5 else "")
        raise Conflict(f"{what} is still referred to by {referrers}: {shown}", hint=hint)


def _split_sql(script: str) -> list[str]:
    """Statements of a migration script (no semicolons inside our literals)."""
    return [s.strip() for s in script.split(";") if s.strip()]
