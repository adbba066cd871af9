"""Backend-neutral pieces shared by the SQLite and Neo4j stores.

Validation of writes (ids present, references resolvable, credit codes
unique), of records and of search parameters lives here once, so both
backends refuse the same inputs with the same :mod:`chainmap.exceptions`
errors.  Nothing here touches a driver.

>>> check_page(10, 0)
(10, 0)
>>> parse_tag("链主").value
'chain_leader'
>>> same_value(True, 1)
False
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast, runtime_checkable

from chainmap.exceptions import Conflict, InvalidInput
from chainmap.storage.base import RECORD_KINDS

if TYPE_CHECKING:  # loaded where a model is read or written (see chainmap.storage.sqlite)
    from chainmap.models import Chain, Enterprise, Link, LinkKind, Region, Segment, Tag

__all__ = [
    "BulkValidator",
    "PreparedEnterprises",
    "StoredEnterprise",
    "enterprise_json",
    "stored_enterprises",
    "batched",
    "check_page",
    "parse_tag",
    "parse_link_kind",
    "check_record_key",
    "record_payload",
    "same_value",
    "matches",
    "name_key",
    "check_batch_size",
]

T = TypeVar("T")

#: Longest record id accepted (records are keyed by arbitrary strings, e.g. API key hashes).
MAX_RECORD_ID = 200


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Chunks of at most ``size`` items.

    >>> [len(b) for b in batched(range(5), 2)]
    [2, 2, 1]
    """
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def check_batch_size(batch_size: int) -> int:
    """``batch_size`` as a positive int, else InvalidInput."""
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise InvalidInput(f"batch_size must be a positive integer, got {batch_size!r}", field="batch_size")
    return batch_size


def check_page(limit: int, offset: int) -> tuple[int, int]:
    """Validate pagination parameters (both non-negative integers)."""
    for field, value in (("limit", limit), ("offset", offset)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InvalidInput(f"{field} must be a non-negative integer, got {value!r}", field=field)
    return limit, offset


def parse_tag(tag: Tag | str) -> Tag:
    """A :class:`Tag` from its code or Chinese label, else InvalidInput naming ``tag``."""
    from chainmap.models import Tag

    if isinstance(tag, Tag):
        return tag
    try:
        return Tag.parse(str(tag))
    except ValueError:
        allowed = ", ".join(t.value for t in Tag)
        raise InvalidInput(f"unknown tag {tag!r}; allowed: {allowed}", field="tag") from None


def parse_link_kind(kind: LinkKind | str) -> LinkKind:
    """A :class:`LinkKind`, else InvalidInput naming ``kind``."""
    from chainmap.models import LinkKind

    try:
        return LinkKind(kind)
    except ValueError:
        allowed = ", ".join(k.value for k in LinkKind)
        raise InvalidInput(f"unknown link kind {kind!r}; allowed: {allowed}", field="kind") from None


# ---- enterprises as stored ----------------------------------------------------

def enterprise_json(e: Enterprise) -> str:
    """The JSON a store keeps for ``e`` (what ``e.model_dump_json()`` gives, without its overhead)."""
    return e.__pydantic_serializer__.to_json(e).decode()


@runtime_checkable
class PreparedEnterprises(Protocol):
    """Enterprises validated as :class:`~chainmap.models.Enterprise` models and kept as their
    JSON (the model's own serialisation, :func:`enterprise_json`), e.g. the validated rows of
    an import file.

    Iterating gives the models (what every store accepts); :meth:`validated_json` gives the
    JSON of each, in the same order, so that a store can write it as it is instead of
    rebuilding every model and dumping it again (for a 200,000-row upload the rebuild and the
    second dump are a third of the import's CPU time).  An object offering this promises that
    every JSON text is the serialisation of a valid Enterprise with an id.  It may also offer
    ``stored_views()``: the :class:`StoredEnterprise` of each, in the same order, built from
    fields it kept (:meth:`StoredEnterprise.from_fields`), so that no JSON is parsed either."""

    def __iter__(self) -> Iterator[Enterprise]: ...

    def validated_json(self) -> Iterator[bytes]: ...


class _Presence:
    __slots__ = ("segment", "role")

    def __init__(self, segment: str, role: str) -> None:
        self.segment = segment
        self.role = role


class StoredEnterprise:
    """What a store reads off one validated enterprise to write it: its keys, references,
    tags and JSON text, without a model (:func:`stored_enterprises`)."""

    __slots__ = ("id", "name", "credit_code", "county", "zone", "segments", "tags", "json")

    def __init__(self, text: bytes | str) -> None:
        from pydantic_core import from_json

        d = from_json(text, cache_strings=False)
        self.id: str = d["id"]
        self.name: str = d["name"]
        self.credit_code: str | None = d.get("credit_code")
        self.county: str | None = d.get("county")
        self.zone: str | None = d.get("zone")
        self.segments = [_Presence(p["segment"], p.get("role", "producer")) for p in d.get("segments") or ()]
        self.tags: list[str] = list(d.get("tags") or ())
        self.json = text.decode() if isinstance(text, bytes) else text

    @classmethod
    def from_fields(
        cls, id: str, name: str, credit_code: str | None, county: str | None, zone: str | None,
        segments: Iterable[tuple[str, str]], tags: Iterable[str], text: bytes | str,
    ) -> StoredEnterprise:
        """The view from the fields of a validated enterprise and its JSON (``text``), for a
        :class:`PreparedEnterprises` that kept them (``stored_views``): no JSON parsed."""
        view = cls.__new__(cls)
        view.id, view.name, view.credit_code, view.county, view.zone = id, name, credit_code, county, zone
        view.segments = [_Presence(seg, role) for seg, role in segments]
        view.tags = list(tags)
        view.json = text.decode() if isinstance(text, bytes) else text
        return view

    @classmethod
    def of(cls, e: Enterprise) -> StoredEnterprise:
        """The same view of a model (its JSON dumped once)."""
        view = cls.__new__(cls)
        view.id, view.name, view.credit_code = e.id, e.name, e.credit_code  # type: ignore[assignment]
        view.county, view.zone = e.county, e.zone
        view.segments = [_Presence(p.segment, p.role.value) for p in e.segments]
        view.tags = [t.value for t in e.tags]
        view.json = enterprise_json(e)
        return view


def stored_enterprises(items: Iterable[Enterprise]) -> Iterator[StoredEnterprise] | None:
    """The :class:`StoredEnterprise` views of ``items`` when it is :class:`PreparedEnterprises`
    (read from its JSON, no model rebuilt); None otherwise (the caller iterates the models)."""
    if not isinstance(items, PreparedEnterprises):
        return None
    views = getattr(items, "stored_views", None)  # the fields kept beside the JSON: nothing to parse
    if callable(views):
        return cast(Iterator[StoredEnterprise], views())
    return (StoredEnterprise(text) for text in items.validated_json())


def name_key(name: str) -> str:
    """Normalised name used for case-insensitive substring search."""
    return name.casefold()


# ---- records ---------------------------------------------------------------


def check_record_key(kind: str, record_id: str) -> None:
    """InvalidInput unless ``kind`` is a known record kind and ``record_id`` a usable id."""
    if kind not in RECORD_KINDS:
        allowed = ", ".join(sorted(RECORD_KINDS))
        raise InvalidInput(f"unknown record kind {kind!r}; allowed: {allowed}", field="kind")
    if not isinstance(record_id, str) or not record_id.strip() or len(record_id) > MAX_RECORD_ID:
        raise InvalidInput(
            f"record id must be a non-empty string of at most {MAX_RECORD_ID} characters, got {record_id!r}",
            field="id",
        )


def record_payload(kind: str, record_id: str, data: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """The stored form of a record: its data with ``id`` set, and that data as JSON.

    Raises InvalidInput if ``data`` is not a mapping or not JSON-serialisable.
    """
    check_record_key(kind, record_id)
    if not isinstance(data, Mapping):
        raise InvalidInput(f"record data must be a mapping, got {type(data).__name__}", field="data")
    payload = {**data, "id": record_id}
    import json  # here: reading a store (pydantic_core.from_json) needs no json module

    try:
        text = json.dumps(payload, ensure_ascii=False, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise InvalidInput(f"record {kind}/{record_id} is not JSON-serialisable: {err}", field="data") from None
    # Round-trip so callers get exactly what a later get_record returns (tuples -> lists ...).
    return json.loads(text), text


def record_payloads(records: Iterable[tuple[str, str, Mapping[str, Any]]]) -> list[tuple[str, str, str]]:
    """``(kind, id, data)`` triples as ``(kind, id, JSON text)``; InvalidInput names the row.

    A record given twice in one call keeps its last data (as repeated put_record calls)."""
    out: dict[tuple[str, str], str] = {}
    for row, item in enumerate(records, start=1):
        if not (isinstance(item, tuple) and len(item) == 3):
            raise InvalidInput(f"expected a (kind, id, data) triple, got {type(item).__name__}", row=row, field="records")
        kind, record_id, data = item
        try:
            _, text = record_payload(kind, record_id, data)
        except InvalidInput as err:
            raise InvalidInput(str(err), row=row, field=err.context.get("field") or "records") from None
        out[(kind, record_id)] = text
    return [(k, i, text) for (k, i), text in out.items()]


def same_value(a: Any, b: Any) -> bool:
    """Equality for record filters that does not confuse ``True`` with ``1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return bool(a == b)


def matches(record: Mapping[str, Any], where: Mapping[str, Any]) -> bool:
    """True if every ``where`` field equals the record's top-level field."""
    return all(k in record and same_value(record[k], v) for k, v in where.items())


# ---- bulk validation ----------------------------------------------------------

#: ``lookup(kind, ids)`` -> the subset of ``ids`` that exist in the store (kind: chain|region|segment).
Lookup = Callable[[str, set[str]], set[str]]
#: ``owners(codes)`` -> {credit_code: enterprise id} for the codes already stored.
Owners = Callable[[list[str]], dict[str, str]]


class BulkValidator:
    """Validates one bulk write, kind after kind, before anything is sent to the backend.

    References may point to objects stored before or to objects of the same
    bulk call (ids of each kind are declared when validated).  Lookups are
    cached for the duration of the call, so validating a million enterprises
    that use two hundred segments costs two hundred lookups.

    Parameters
    ----------
    lookup : callable
        ``lookup(kind, ids)`` returns which ids of ``kind`` exist in the store.
    owners : callable
        ``owners(codes)`` returns the stored enterprise id holding each credit code.
    """

    def __init__(self, lookup: Lookup, owners: Owners) -> None:
        self._lookup = lookup
        self._owners = owners
        self._known: dict[str, set[str]] = {"chain": set(), "region": set(), "segment": set()}
        self._code_by_id: dict[str, str] = {}  # enterprise id -> credit code ('' if none) in this bulk
        self._codes: dict[str, str] = {}  # credit code -> enterprise id in this bulk

    # -- helpers --
    def _resolve(self, kind: str, ids: Iterable[str]) -> set[str]:
        """Ids of ``kind`` among ``ids`` that are neither declared nor stored."""
        unknown = {i for i in ids if i not in self._known[kind]}
        if unknown:
            found = self._lookup(kind, unknown)
            self._known[kind] |= found
            unknown -= found
        return unknown

    @staticmethod
    def _typed(items: Iterable[Any], model: type, what: str) -> list[Any]:
        out = list(items)
        for row, item in enumerate(out, start=1):
            if not isinstance(item, model):
                raise InvalidInput(
                    f"expected a {model.__name__}, got {type(item).__name__}", row=row, field=what
                )
        return out

    @staticmethod
    def _unique(ids: Iterable[str], what: str) -> None:
        seen: dict[str, int] = {}
        for row, i in enumerate(ids, start=1):
            if i in seen:
                raise InvalidInput(f"duplicate {what} id {i!r} (also row {seen[i]})", row=row, field="id")
            seen[i] = row

    def _require(self, kind: str, rows: list[tuple[int, str, str | None, str]]) -> None:
        """rows: (row, field, referenced id or None, owner id) -> InvalidInput for the first missing."""
        missing = self._resolve(kind, {ref for _, _, ref, _ in rows if ref})
        for row, field, ref, owner in rows:
            if ref and ref in missing:
                raise InvalidInput(f"{owner!r} refers to unknown {kind} {ref!r}", row=row, field=field)

    # -- per kind --
    def chains(self, items: Iterable[Chain]) -> list[Chain]:
        from chainmap.models import Chain

        chains = self._typed(items, Chain, "chain")
        self._unique((c.id for c in chains), "chain")
        self._known["chain"].update(c.id for c in chains)
        for row, c in enumerate(chains, start=1):
            if c.parent == c.id:
                raise InvalidInput(f"chain {c.id!r} cannot be its own parent", row=row, field="parent")
        self._require("chain", [(r, "parent", c.parent, c.id) for r, c in enumerate(chains, start=1)])
        return chains

    def regions(self, items: Iterable[Region]) -> list[Region]:
        from chainmap.models import Region

        regions = self._typed(items, Region, "region")
        self._unique((r.id for r in regions), "region")
        self._known["region"].update(r.id for r in regions)
        for row, r in enumerate(regions, start=1):
            if r.id in (r.parent, r.county):
                raise InvalidInput(f"region {r.id!r} cannot contain itself", row=row, field="parent")
        refs = [(n, "parent", r.parent, r.id) for n, r in enumerate(regions, start=1)]
        refs += [(n, "county", r.county, r.id) for n, r in enumerate(regions, start=1)]
        self._require("region", refs)
        return regions

    def segments(self, items: Iterable[Segment]) -> list[Segment]:
        from chainmap.models import Segment

        segments = self._typed(items, Segment, "segment")
        self._unique((s.id for s in segments), "segment")
        self._known["segment"].update(s.id for s in segments)
        self._require("chain", [(n, "chain", s.chain, s.id) for n, s in enumerate(segments, start=1)])
        self._require("segment", [(n, "parent", s.parent, s.id) for n, s in enumerate(segments, start=1)])
        return segments

    def links(self, items: Iterable[Link]) -> list[Link]:
        from chainmap.models import Link

        links = self._typed(items, Link, "link")
        seen: dict[tuple[str, str, str], int] = {}
        for row, ln in enumerate(links, start=1):
            if ln.key in seen:
                raise InvalidInput(f"duplicate link {ln.key} (also row {seen[ln.key]})", row=row, field="source")
            seen[ln.key] = row
        refs = [(n, "source", ln.source, f"{ln.source}->{ln.target}") for n, ln in enumerate(links, start=1)]
        refs += [(n, "target", ln.target, f"{ln.source}->{ln.target}") for n, ln in enumerate(links, start=1)]
        self._require("segment", refs)
        return links

    def enterprises(self, items: Iterable[Enterprise], *, first_row: int = 1) -> list[Enterprise]:
        """Validate one batch of enterprises; ids and credit codes are tracked across batches."""
        from chainmap.models import Enterprise

        batch = self._typed(items, Enterprise, "enterprise")
        self._enterprises(batch, first_row)
        return batch

    def stored_enterprises(self, items: Iterable[StoredEnterprise], *, first_row: int = 1) -> list[StoredEnterprise]:
        """:meth:`enterprises` for the views of prepared enterprises (:func:`stored_enterprises`)."""
        batch = self._typed(items, StoredEnterprise, "enterprise")
        self._enterprises(batch, first_row)
        return batch

    def _enterprises(self, batch: list[Any], first_row: int) -> None:
        """Ids, credit codes and references of a batch of models or :class:`StoredEnterprise` views."""
        new_codes: list[tuple[int, str, str]] = []
        code_by_id, codes = self._code_by_id, self._codes
        for row, e in enumerate(batch, start=first_row):
            eid = e.id
            if not eid:
                raise InvalidInput(
                    f"enterprise {e.name!r} has no id; callers assign ids before storing",
                    row=row, field="id",
                )
            if eid in code_by_id:
                raise InvalidInput(f"duplicate enterprise id {eid!r} in one bulk write", row=row, field="id")
            code = e.credit_code
            code_by_id[eid] = code or ""
            if code:
                other = codes.get(code)
                if other is not None:
                    raise Conflict(
                        f"credit code {code} of {eid!r} is also given to enterprise {other!r}",
                        row=row, field="credit_code",
                    )
                codes[code] = eid
                new_codes.append((row, eid, code))
        self._check_enterprise_refs(batch, first_row)
        if new_codes:
            owners = self._owners([c for _, _, c in new_codes])
            for row, eid, code in new_codes:
                other = owners.get(code)
                # A stored owner that this bulk already re-coded no longer holds the code.
                if other is not None and other != eid and code_by_id.get(other, code) == code:
                    raise Conflict(
                        f"credit code {code} of {eid!r} already belongs to enterprise {other!r}",
                        row=row, field="credit_code", hint=f"update or delete enterprise {other!r} first",
                    )

    def _check_enterprise_refs(self, batch: list[Any], first_row: int) -> None:
        """Segments and regions referenced by the batch exist (row/field found only on failure)."""
        missing_segments = self._resolve("segment", {p.segment for e in batch for p in e.segments})
        missing_regions = self._resolve("region", {r for e in batch for r in (e.county, e.zone) if r})
        if not (missing_segments or missing_regions):
            return
        for row, e in enumerate(batch, start=first_row):
            refs: list[tuple[str, str, str | None]] = [
                (f"segments[{i}].segment", "segment", p.segment) for i, p in enumerate(e.segments)
            ]
            refs += [("county", "region", e.county), ("zone", "region", e.zone)]
            for field, kind, ref in refs:
                if ref and ref in (missing_segments if kind == "segment" else missing_regions):
                    raise InvalidInput(f"{e.id!r} refers to unknown {kind} {ref!r}", row=row, field=field)
