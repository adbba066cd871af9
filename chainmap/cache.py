"""A small thread-safe LRU cache for computed results, keyed by revisions.

Every front door (API app, CLI process, demo) holds one :class:`ResultCache`
and passes it to the service functions (:mod:`chainmap.service`,
``matching.service``), which build the keys: a key always starts with a kind
(``"gaps"``, ``"data"`` ...) and carries the store revisions the result was
computed from, so a stale entry is never served.  ``computed`` counts the
computations per kind (benchmarks and tests read it to prove that, say, a
project write causes 0 re-analyses).

>>> c = ResultCache(maxsize=2)
>>> c.get_or_compute(("x", 1), lambda: 41 + 1)
42
>>> c.get_or_compute(("x", 1), lambda: 0)
42
>>> c.computed["x"], c.hits
(1, 1)
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

__all__ = ["ResultCache"]

T = TypeVar("T")


class ResultCache:
    """LRU of computed values keyed by ``(kind, *parts)`` tuples.

    Two threads asking for the same missing key may both compute it (the work
    is pure, the result identical); the per-key lock avoids that for expensive
    kinds without serialising different keys."""

    def __init__(self, maxsize: int = 512) -> None:
        self._data: OrderedDict[tuple[Hashable, ...], Any] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[tuple[Hashable, ...], threading.Lock] = {}
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        #: computations per key kind (the key's first element)
        self.computed: Counter[str] = Counter()

    def get_or_compute(self, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key]  # type: ignore[no-any-return]
            klock = self._key_locks.setdefault(key, threading.Lock())
        with klock:
            with self._lock:
                if key in self._data:
                    self.hits += 1
                    return self._data[key]  # type: ignore[no-any-return]
            value = compute()
            with self._lock:
                self.misses += 1
                self.computed[str(key[0])] += 1
                self._data[key] = value
                self._key_locks.pop(key, None)
                while len(self._data) > self.maxsize:
                    self._data.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {"hits": self.hits, "misses": self.misses, "size": len(self._data), "computed": dict(self.computed)}
