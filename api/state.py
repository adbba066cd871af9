"""Per-app state: the store (opened lazily, re-opened after an outage).

The app's result cache is a :class:`chainmap.cache.ResultCache` (``app.state.cache``),
filled by the service functions (:mod:`chainmap.service`) per store graph revision.
"""

from __future__ import annotations

import threading

from api.settings import Settings
from chainmap.exceptions import StorageUnavailable
from chainmap.seed import load_into_store, load_seed
from chainmap.storage.base import Store

__all__ = ["StoreHolder"]


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
