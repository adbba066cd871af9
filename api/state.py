"""Per-app state: the store (opened lazily, re-opened after an outage) and the report cache."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from api.settings import Settings
from chainmap.data import ChainData, chain_data_from_store
from chainmap.exceptions import StorageUnavailable
from chainmap.seed import load_into_store, load_seed
from chainmap.storage.base import Store

__all__ = ["StoreHolder", "RevisionCache"]


class StoreHolder:
    """Opens the configured store on first use; if opening fails (Neo4j down) the
    next request tries again, so the API recovers by itself."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: Store | None = None
        self._lock = threading.Lock()

    def _open(self) -> Store:
        from chainmap.storage.factory import open_store

        s = self.settings
        store = open_store(
            backend=s.chainmap_store,
            sqlite_path=s.chainmap_sqlite_path,
            neo4j_uri=s.neo4j_uri,
            neo4j_user=s.neo4j_user,
            neo4j_password=s.neo4j_password,
            neo4j_database=s.neo4j_database,
        )
        if s.chainmap_init_seed and not store.list_chains():
            load_into_store(store, load_seed())
        return store

    def peek(self) -> Store | None:
        """The open store, or None if not opened yet (never blocks, never raises)."""
        return self._store

    def get(self) -> Store:
        if self._store is not None:
            return self._store
        with self._lock:
            if self._store is None:
                self._store = self._open()
            return self._store

    def try_open(self) -> None:
        try:
            self.get()
        except StorageUnavailable:
            pass

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


class RevisionCache:
    """LRU cache of computed results keyed by (store revision, key); a write bumps the
    store revision, so stale entries are never served."""

    def __init__(self, maxsize: int = 256) -> None:
        self._data: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lock = threading.Lock()
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key]
        value = compute()
        with self._lock:
            self.misses += 1
            self._data[key] = value
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)
        return value

    def chain_data(self, store: Store) -> ChainData:
        """The store's data, cached per revision."""
        rev = store.revision()
        return self.get_or_compute(("data", rev), lambda: chain_data_from_store(store))
