"""Export and import a whole store as JSON Lines (backend-neutral, lossless).

Format::

    {"format": "chainmap-export", "version": 1, "schema_version": 2, "backend": "sqlite", "exported_at": "..."}
    {"kind": "chain", "data": {...}}
    {"kind": "region", "data": {...}}
    {"kind": "segment", "data": {...}}
    {"kind": "link", "data": {...}}
    {"kind": "enterprise", "data": {...}}
    {"kind": "record:project", "data": {"id": "p1", ...}}

Objects come in dependency order (chains, regions, segments, links,
enterprises, records) and each kind sorted by id, so two exports of equal
stores differ only in their header.  :func:`import_jsonl` validates every line
before writing (errors name the line number and field), then writes all of it
with one ``bulk_upsert``: all or nothing.

>>> import io
>>> from chainmap.storage.sqlite import SQLiteStore
>>> src, dst = SQLiteStore(":memory:"), SQLiteStore(":memory:")
>>> src.put_record("project", "p1", {"stage": "signed"})
>>> buf = io.StringIO()
>>> export_jsonl(src, buf)["records"]
1
>>> _ = buf.seek(0)
>>> import_jsonl(dst, buf)["records"]
1
>>> dst.get_record("project", "p1")
{'id': 'p1', 'stage': 'signed'}
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
from collections.abc import Iterator
from typing import IO, Any

from pydantic import BaseModel, ValidationError

from chainmap.exceptions import InvalidInput
from chainmap.models import Chain, Enterprise, Link, Region, Segment
from chainmap.storage.base import RECORD_KINDS, SCHEMA_VERSION, Store

__all__ = ["export_jsonl", "import_jsonl", "FORMAT", "VERSION"]

FORMAT = "chainmap-export"
VERSION = 1

_MODELS: dict[str, type[BaseModel]] = {
    "chain": Chain, "region": Region, "segment": Segment, "link": Link, "enterprise": Enterprise
}
_ORDER = ["chain", "region", "segment", "link", "enterprise", "record"]
_COUNT_KEYS = {"chain": "chains", "region": "regions", "segment": "segments", "link": "links",
               "enterprise": "enterprises"}

PathOrFile = str | os.PathLike[str] | IO[str]


@contextlib.contextmanager
def _opened(target: PathOrFile, mode: str) -> Iterator[tuple[IO[str], str]]:
    """A text file for ``target`` (opened and closed here if it is a path) and its display name."""
    if isinstance(target, (str, os.PathLike)):
        name = os.fspath(target)
        try:
            fh = open(name, mode, encoding="utf-8", newline="\n")  # noqa: SIM115 - closed below
        except OSError as err:
            raise InvalidInput(f"cannot open {name}: {err.strerror}", file=name) from None
        with fh:
            yield fh, name
    else:
        yield target, getattr(target, "name", "<stream>")


def export_jsonl(store: Store, path_or_file: PathOrFile) -> dict[str, int]:
    """Write every object of ``store`` as JSON Lines; returns counts per kind.

    Parameters
    ----------
    store : Store
        Any backend.
    path_or_file : path or text file
        Destination (a path is created or overwritten).

    Returns
    -------
    dict
        ``{"chains", "regions", "segments", "links", "enterprises", "records"}``.
    """
    counts = dict.fromkeys([*_COUNT_KEYS.values(), "records"], 0)
    header = {
        "format": FORMAT,
        "version": VERSION,
        "schema_version": SCHEMA_VERSION,
        "backend": store.backend,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    with _opened(path_or_file, "w") as (fh, _):
        fh.write(json.dumps(header, ensure_ascii=False) + "\n")
        for kind, obj in store.iter_all():
            data = obj.model_dump(mode="json") if isinstance(obj, BaseModel) else obj
            fh.write(json.dumps({"kind": kind, "data": data}, ensure_ascii=False, sort_keys=True) + "\n")
            counts[_COUNT_KEYS.get(kind, "records")] += 1
    return counts


def _error(err: ValidationError, name: str, line: int, kind: str) -> InvalidInput:
    first = err.errors()[0]
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]).lstrip(".") or kind
    return InvalidInput(f"{kind}: {first['msg']}", file=name, line=line, field=field)


def _parse(text: str, name: str, line: int) -> tuple[str, Any]:
    """(kind, model or record dict) of one object line; InvalidInput naming the line and field."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as err:
        raise InvalidInput(f"not valid JSON ({err.msg})", file=name, line=line) from None
    if not isinstance(obj, dict) or set(obj) != {"kind", "data"}:
        raise InvalidInput('expected an object {"kind": ..., "data": ...}', file=name, line=line)
    kind, data = obj["kind"], obj["data"]
    if not isinstance(data, dict):
        raise InvalidInput("data must be an object", file=name, line=line, field="data")
    if isinstance(kind, str) and kind.startswith("record:"):
        rkind = kind.removeprefix("record:")
        if rkind not in RECORD_KINDS:
            raise InvalidInput(f"unknown record kind {rkind!r}", file=name, line=line, field="kind")
        if not isinstance(data.get("id"), str) or not data["id"]:
            raise InvalidInput("a record needs a string id", file=name, line=line, field="id")
        return kind, data
    if kind not in _MODELS:
        raise InvalidInput(f"unknown kind {kind!r}", file=name, line=line, field="kind")
    try:
        return kind, _MODELS[kind].model_validate(data)
    except ValidationError as err:
        raise _error(err, name, line, kind) from None


def _check_header(text: str, name: str) -> None:
    try:
        header = json.loads(text)
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise InvalidInput(f'first line must be the header {{"format": "{FORMAT}", ...}}', file=name, line=1)
    version = header.get("version")
    if not isinstance(version, int) or version < 1 or version > VERSION:
        raise InvalidInput(
            f"unsupported export version {version!r} (this chainmap reads up to {VERSION})",
            file=name, line=1, field="version",
        )


def _references(kind: str, obj: Any) -> list[tuple[str, str, str]]:
    """(field, kind, id) references of one object, checked before writing."""
    if kind == "chain":
        return [("parent", "chain", obj.parent)] if obj.parent else []
    if kind == "region":
        return [(f, "region", getattr(obj, f)) for f in ("parent", "county") if getattr(obj, f)]
    if kind == "segment":
        return [("chain", "chain", obj.chain)] + ([("parent", "segment", obj.parent)] if obj.parent else [])
    if kind == "link":
        return [("source", "segment", obj.source), ("target", "segment", obj.target)]
    if kind == "enterprise":
        refs = [(f"segments[{i}].segment", "segment", p.segment) for i, p in enumerate(obj.segments)]
        return refs + [(f, "region", getattr(obj, f)) for f in ("county", "zone") if getattr(obj, f)]
    return []


def _lines(fh: IO[str]) -> Iterator[tuple[int, str]]:
    for number, text in enumerate(fh, start=1):
        if text.strip():
            yield number, text


def _validate(store: Store, fh: IO[str], name: str) -> dict[str, int]:
    """First pass: every line parses, ids are unique per kind, references resolve."""
    lines = _lines(fh)
    first = next(lines, None)
    if first is None:
        raise InvalidInput("empty file: expected the chainmap-export header", file=name, line=1)
    _check_header(first[1], name)
    known = {
        "chain": {c.id for c in store.list_chains()},
        "region": {r.id for r in store.list_regions()},
        "segment": {s.id for s in store.list_segments()},
    }
    seen: dict[tuple[str, Any], int] = {}
    pending: list[tuple[int, str, str, str]] = []  # (line, field, kind, id) resolved after the pass
    counts = dict.fromkeys([*_COUNT_KEYS.values(), "records"], 0)
    for number, text in lines:
        kind, obj = _parse(text, name, number)
        key = (kind, obj.key if kind == "link" else (obj["id"] if isinstance(obj, dict) else obj.id))
        if key in seen:
            raise InvalidInput(f"duplicate {kind} {key[1]!r} (also line {seen[key]})", file=name, line=number,
                               field="id")
        seen[key] = number
        if kind in known:
            known[kind].add(obj.id)
        pending += [(number, field, rk, rid) for field, rk, rid in _references(kind, obj)]
        counts[_COUNT_KEYS.get(kind, "records")] += 1
    for number, field, rk, rid in pending:
        if rid not in known[rk]:
            raise InvalidInput(f"refers to unknown {rk} {rid!r}", file=name, line=number, field=field)
    return counts


def _objects(fh: IO[str], name: str, kind: str) -> Iterator[Any]:
    """Second pass: the objects of one kind (lines already validated)."""
    lines = _lines(fh)
    next(lines, None)  # header
    for number, text in lines:
        if json.loads(text)["kind"].split(":")[0] == kind.split(":")[0]:
            yield _parse(text, name, number)


def import_jsonl(store: Store, path_or_file: PathOrFile) -> dict[str, int]:
    """Validate a chainmap export, then write all of it with one ``bulk_upsert`` (all or nothing).

    Objects are upserted (existing objects with the same ids are replaced;
    others are kept).  Nothing is written if any line is invalid.

    Returns
    -------
    dict
        Counts per kind, as :func:`export_jsonl`.

    Raises
    ------
    InvalidInput
        naming the file, line number and field of the first bad line.
    """
    with _opened(path_or_file, "r") as (fh, name):
        if not fh.seekable():
            fh = io.StringIO(fh.read())
        start = fh.tell()
        counts = _validate(store, fh, name)

        def objects(kind: str) -> Iterator[Any]:
            fh.seek(start)
            return (obj for _, obj in _objects(fh, name, kind))

        small = {k: list(objects(k)) for k in ("chain", "region", "segment", "link")}
        fh.seek(start)
        records = [(kind.removeprefix("record:"), rec["id"], rec) for kind, rec in _objects(fh, name, "record")]
        store.bulk_upsert(  # one call: all or nothing (Neo4j: in several transactions if big)
            chains=small["chain"], regions=small["region"], segments=small["segment"], links=small["link"],
            enterprises=objects("enterprise"), records=records,
        )
    return counts
