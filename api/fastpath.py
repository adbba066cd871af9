"""A response cache in front of the routes for the read-only GETs that are a function of the store.

A cached GET (``/gaps``, ``/chains/{id}/graph``, ``/leads`` ...) answered by the service
cache still costs the server its per-request Python: route matching, a dozen query
parameters validated by pydantic, the dependencies, a thread-pool hop for the sync route.
:class:`ResponseCacheMiddleware` (pure ASGI) keeps, in a :class:`ResponseCache`, the bytes of each 200 answer of an
allow-listed path, keyed by ``(path, query string, SHA-256 of the X-API-Key header)`` and
stamped with the store's *global* revision (``store.revision()``: every write, graph or
record, bumps it) read *before* the route ran.  A request is answered from it only while
that revision is unchanged -- one counter read instead of the routing -- so:

* nothing stale is served: any write (by this process, another worker or the CLI on the
  same store) changes the revision, and the next request goes to the route (whose service
  cache still holds the analysis when only records changed: no re-analysis);
* auth is unchanged: the entry belongs to one key, which was valid (and allowed) when it
  was stored; creating or revoking any key is a write, so a revoked key reaches the route
  (and its 401) on the next request;
* ETag / 304 are unchanged: a request whose ``If-None-Match`` names the entry's ETag gets
  the same 304 the route sends (ETag and Cache-Control, no body).

Each worker process has its own cache; correctness across workers comes from the shared
store revision.  Errors, redirects, 304s and large bodies are never stored.

On SQLite the counter read runs inline on the event loop (a local file: tens of
microseconds, far less than a thread-pool hop); while another thread holds the store for a
long write (a bulk import) it waits for that write, as every store read does.  On Neo4j the
read is a network round trip and runs in the thread pool.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool

from api.state import StoreHolder

__all__ = ["ResponseCache", "ResponseCacheMiddleware", "CACHEABLE_PATHS"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: GET paths whose 200 answer depends only on the store, the query string and the key
#: (never on the clock or the request's other headers)
CACHEABLE_PATHS = re.compile(
    r"/api/v1/(?:version|labels|gaps|leads|chains|chains/[^/]+(?:/gaps|/graph|/segments)?)"
)


@dataclass(frozen=True, slots=True)
class _Entry:
    store_id: int
    revision: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes | None


class ResponseCache:
    """The stored answers: bodies of allow-listed 200 GETs, each stamped with the store and
    revision it was computed at.  ``max_bytes`` bounds the memory of all bodies (least
    recently used go first), ``max_body`` the size of one stored body."""

    def __init__(self, *, max_bytes: int = 64 * 2**20, max_body: int = 4 * 2**20) -> None:
        self.max_bytes = max_bytes
        self.max_body = max_body
        self._entries: OrderedDict[tuple[str, bytes, bytes], _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[str, bytes, bytes], store_id: int, revision: int) -> _Entry | None:
        """The entry under ``key`` if it was stored at this store's ``revision`` (else None, a miss)."""
        entry = self._entries.get(key)
        if entry is None or entry.revision != revision or entry.store_id != store_id:
            self.misses += 1
            return None
        self.hits += 1
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
        return entry

    def put(self, key: tuple[str, bytes, bytes], entry: _Entry) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._entries[key] = entry
            self._bytes += len(entry.body)
            while self._bytes > self.max_bytes and self._entries:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.body)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def stats(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses, "size": len(self._entries), "bytes": self._bytes}


class ResponseCacheMiddleware:
    """ASGI middleware: answer allow-listed GETs from ``cache`` while the store revision holds."""

    def __init__(
        self, app: ASGIApp, *, holder: StoreHolder, cache: ResponseCache, paths: re.Pattern[str] = CACHEABLE_PATHS
    ) -> None:
        self.app = app
        self.holder = holder
        self.cache = cache
        self.paths = paths
        # a local SQLite file answers a counter read in microseconds: inline on the event loop
        self._inline = holder.settings.chainmap_store == "sqlite"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not self.paths.fullmatch(scope["path"]):
            await self.app(scope, receive, send)
            return
        store = self.holder.peek()
        if store is None:  # not opened yet (or down): the route opens it and answers
            await self.app(scope, receive, send)
            return
        try:
            revision = store.revision() if self._inline else await run_in_threadpool(store.revision)
        except Exception:  # noqa: BLE001 - the route reports the store's error properly
            await self.app(scope, receive, send)
            return
        api_key = if_none_match = None
        for name, value in scope["headers"]:
            if name == b"x-api-key":
                api_key = value
            elif name == b"if-none-match":
                if_none_match = value
        key = (scope["path"], scope["query_string"], hashlib.sha256(api_key).digest() if api_key else b"")
        entry = self.cache.get(key, id(store), revision)
        if entry is None:
            await self._miss(scope, receive, send, key, id(store), revision)
            return
        if if_none_match is not None and if_none_match == entry.etag:  # what api.http.conditional sends
            headers = [(k, v) for k, v in entry.headers if k in (b"etag", b"cache-control")]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": entry.headers})
        await send({"type": "http.response.body", "body": entry.body})

    async def _miss(
        self, scope: Scope, receive: Receive, send: Send, key: tuple[str, bytes, bytes], store_id: int, revision: int
    ) -> None:
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        storable = True
        max_body = self.cache.max_body

        async def capture(message: Message) -> None:
            nonlocal start, size, storable
            if message["type"] == "http.response.start":
                start = message
                storable = message["status"] == 200
            elif message["type"] == "http.response.body" and storable:
                body = message.get("body", b"")
                size += len(body)
                chunks.append(body)
                storable = size <= max_body
            await send(message)

        await self.app(scope, receive, capture)
        if not storable or start is None:
            return
        headers = [(bytes(k), bytes(v)) for k, v in start.get("headers", [])]
        etag = next((v for k, v in headers if k == b"etag"), None)
        body = b"".join(chunks)
        self.cache.put(key, _Entry(store_id=store_id, revision=revision, headers=headers, body=body, etag=etag))
