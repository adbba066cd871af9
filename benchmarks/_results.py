"""The results files (``results/<mode>.json``): locked read-modify-write, load, atomic dump, and
the rows of one benchmark in a results document."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["LOAD_FAILED", "locked", "load", "dump", "rows_of"]

#: A skip reason or error meaning the load failed (the server ran out of memory), not a skip.
LOAD_FAILED = re.compile(r"OutOfMemory|MemoryPool")


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock around read-modify-write of ``path`` (the lock file is in the temp folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    with open(Path(tempfile.gettempdir()) / f"chainmap-bench-{digest}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def load(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def dump(path: Path, doc: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)


def rows_of(doc: dict[str, Any] | None, bench: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(row, entry) of every row of benchmark ``bench`` (``storage`` includes ``storage:*``)."""
    if not doc:
        return []
    out = []
    for name, entry in doc.get("benchmarks", {}).items():
        if name == bench or name.startswith(bench + ":"):
            out.extend((row, entry) for row in entry.get("rows", []))
    return out
