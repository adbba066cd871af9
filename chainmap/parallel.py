"""Chunked work shared between the calling process and worker processes, results in order.

An import of a million rows spends most of its time in per-row Python (validation, name keys, the
segment mapping of :mod:`chainmap.classify`): one core's work.  :func:`map_chunks` cuts the rows into
chunks and applies a pure function to each, in the calling process and, once the input proves large
(``start_after`` chunks read), in ``workers - 1`` worker processes too, yielding the results in the
order of the chunks.  The caller keeps working while the workers do: it takes a chunk itself whenever
every worker already has three waiting, so the input is read, the results merged and the remaining
chunks processed without a core left idle.

The function must be pure and deterministic (same chunk, same result, wherever it runs): the result
then does not depend on how many workers ran or which chunk ran where.  It is called as
``work(context, chunk)``; ``context`` (e.g. a fitted classifier) is handed to each worker once, at its
start: inherited by ``fork`` when the caller has no other thread, else pickled to a ``forkserver`` (or
``spawn``) child, so a server's threads are never forked.

>>> list(map_chunks(_demo_sum, 10, range(7), workers=1, chunk_size=3))
[13, 22, 16]
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import Any, TypeVar

__all__ = ["map_chunks", "usable_cpus"]

C = TypeVar("C")
T = TypeVar("T")
R = TypeVar("R")

#: Chunks waiting per worker process before the calling process takes the next one itself.
_QUEUED_PER_WORKER = 3

_CONTEXT: Any = None  # a worker process's context, set once by _init_worker


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _init_worker(context: Any) -> None:
    global _CONTEXT
    _CONTEXT = context
    gc.disable()  # the work allocates many small containers and creates no cycles (see chainmap.classify)


def _call(work: Callable[[Any, list[Any]], Any], chunk: list[Any]) -> Any:
    return work(_CONTEXT, chunk)


def _start_method() -> str:
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def map_chunks(
    work: Callable[[C, list[T]], R],
    context: C,
    items: Iterable[T],
    *,
    workers: int = 1,
    chunk_size: int = 10_000,
    start_after: int = 2,
) -> Iterator[R]:
    """``work(context, chunk)`` for consecutive chunks of ``items``, in order.

    Parameters
    ----------
    work : callable(context, list) -> result
        A module-level (picklable) pure function.
    context : object
        Its first argument: passed once to each worker process (picklable unless forked).
    items : iterable
        Read lazily, ``chunk_size`` at a time, by the calling process only.
    workers : int, default 1
        Processes in all, the caller included; 1 runs everything here, no process started.
    chunk_size : int, default 10,000
    start_after : int, default 2
        Chunks read before the worker processes start: an input smaller than that never pays for them.

    Yields
    ------
    The results, chunk by chunk in input order.  An exception raised by ``work`` in a worker is
    raised here; the pool is shut down (queued chunks cancelled) when the generator is closed.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    it = iter(items)
    pool: ProcessPoolExecutor | None = None
    parts: deque[Future[R] | tuple[R]] = deque()
    read = 0
    try:
        while True:
            chunk = list(islice(it, chunk_size))
            if not chunk:
                break
            read += 1
            if pool is None and workers > 1 and read > start_after:
                pool = ProcessPoolExecutor(
                    max_workers=workers - 1,
                    mp_context=multiprocessing.get_context(_start_method()),
                    initializer=_init_worker,
                    initargs=(context,),
                )
            if pool is not None and _waiting(parts) < _QUEUED_PER_WORKER * (workers - 1):
                parts.append(pool.submit(_call, work, chunk))
            else:
                parts.append((work(context, chunk),))
            while parts and (type(parts[0]) is tuple or parts[0].done()):  # type: ignore[union-attr]
                yield _result(parts.popleft())
        while parts:
            yield _result(parts.popleft())
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _waiting(parts: deque[Any]) -> int:
    return sum(1 for p in parts if type(p) is not tuple and not p.done())


def _result(part: Future[R] | tuple[R]) -> R:
    if type(part) is tuple:
        return part[0]
    return part.result()  # type: ignore[union-attr]


def _demo_sum(offset: int, chunk: list[int]) -> int:
    return offset + sum(chunk)
