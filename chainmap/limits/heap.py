"""Keep a bulk import's CPU proportional to the import, not to the process heap.

CPython's cyclic collector runs a *full* collection, a scan of every tracked object of the
process, each time the objects promoted since the last one exceed a quarter of those it
found then.  A 200,000-row import creates and drops millions of short-lived tuples, lists
and views, enough to trigger a dozen full scans; in an API server that holds its app, its
read model and its caches (~250,000 objects), these scans cost ~2-3 s of CPU of a full-limit
upload and, through the caches they evict, slow the import itself (measured: 22.8 -> 17.0 s
of server CPU for the full-limit enterprise file).

:func:`frozen_heap` moves the objects that exist when a bulk import starts into the
collector's permanent generation (``gc.freeze()``) and back when it ends (``gc.unfreeze()``):
the import's own objects are still collected as usual, the old heap is simply not rescanned.
Nothing is lost: a frozen object that becomes cyclic garbage meanwhile is collected after the
import (objects freed by reference counting are freed at once, frozen or not).  Nested and
concurrent imports share one freeze (the outermost one ends it).

>>> import gc
>>> with frozen_heap():
...     gc.get_freeze_count() > 0
True
>>> gc.get_freeze_count()
0
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["frozen_heap"]

_lock = threading.Lock()
_depth = 0


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Within the block, the objects that existed before it are left out of full collections."""
    global _depth
    with _lock:
        _depth += 1
        if _depth == 1:
            gc.freeze()
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.unfreeze()
