"""Validate a table of local enterprises (CSV / XLSX / JSON) into models.

Columns: ``name`` (required), ``id``, ``credit_code``, ``county``, ``zone``,
``segments`` (``segment_id[:role]`` separated by ``;``, role producer|user),
``tags`` (``;``-separated, Chinese or English), ``revenue`` (亿元),
``employees``, ``founded``, ``source``, ``confidence``, ``note``; other columns
are kept in ``attributes``.  The table comes from :func:`chainmap.tabular.read_table`
(the one reader of every import; rows numbered as Excel shows them, JSON
records from row 2).  All rows are checked against the chain data; any
bad row refuses the whole file with a list of (row, column, value, reason).

Numbers (``revenue``, ``employees``, ``founded``) are read by
:func:`chainmap.text_hygiene.parse_number`: ``1,234.5`` is accepted, ``1,5``,
``1.234,5``, ``inf`` and ``NaN`` are refused as ambiguous or not finite; the
bounds are the model's (:class:`chainmap.models.Enterprise`).  A file with a
header but no data rows is refused (nothing is written).
"""

from __future__ import annotations

import hashlib
import marshal
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import from_json

from chainmap.data import ChainData
from chainmap.exceptions import InvalidInput, RowError
from chainmap.limits import Limits, frozen_heap
from chainmap.models import Enterprise
from chainmap.storage._common import StoredEnterprise
from chainmap.tabular import RowValues, Table, TableRow, iter_table, shown_value, text_rows
from chainmap.text_hygiene import parse_number

__all__ = [
    "ENTERPRISE_COLUMNS",
    "NUMERIC_COLUMNS",
    "LIST_COLUMNS",
    "enterprises_from_table",
    "enterprises_from_upload",
    "enterprise_id",
]

ENTERPRISE_COLUMNS = (
    "id", "name", "name_en", "credit_code", "county", "zone", "segments", "tags",
    "revenue", "employees", "founded", "source", "confidence", "note",
)  # fmt: skip
#: Columns read as numbers (parse_number: no ambiguous separators, no inf/NaN).
NUMERIC_COLUMNS = ("revenue", "employees", "founded")
#: Columns that may hold a JSON array (``;``-separated in CSV/XLSX).
LIST_COLUMNS = ("segments", "tags")


def enterprise_id(name: str, credit_code: str | None) -> str:
    """Stable id: from the credit code when known, else from the name.

    >>> enterprise_id("大运汽车", None).startswith("ent.n")
    True
    >>> enterprise_id("x", "91350100M000100Y43")
    'ent.91350100m000100y43'
    """
    if credit_code:
        return f"ent.{credit_code.lower()}"
    return "ent.n" + hashlib.sha1(name.strip().encode("utf-8")).hexdigest()[:12]


def _segments(value: str) -> list[dict[str, Any]]:
    out = []
    for part in value.replace("；", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        seg, _, role = part.partition(":")
        out.append({"segment": seg.strip(), "role": role.strip() or "producer"})
    return out


class ValidatedEnterprises:
    """The validated enterprises of an upload, held compactly and rebuilt one by one when
    iterated -- pass it to ``store.bulk_upsert(enterprises=...)``, which writes in batches.

    Each is kept as its JSON (UTF-8) with the fields a store indexes (id, name, credit code,
    county, zone, segments, tags: :meth:`stored_views`), ``CHUNK`` to a marshalled and
    zlib-compressed block: 200,000 enterprises of a 20 MB upload take ~10 MB instead of
    ~160 MB as strings (~1.6 GB as models).  Rebuilding goes through
    ``pydantic_core.from_json(cache_strings=False)`` + ``model_validate``: pydantic's
    ``model_validate_json`` keeps ~400 bytes of every call alive (measured with pydantic-core
    2.46: +130 MB after 300,000 calls), which a big import would leave in the server."""

    CHUNK = 2000

    def __init__(self, dumped: Iterable[Enterprise] = ()) -> None:
        self._blocks: list[bytes] = []
        self._pending: list[tuple[Any, ...]] = []
        self._count = 0
        for ent in dumped:
            self.append(ent)

    def append(self, ent: Enterprise, dumped: bytes | None = None) -> None:
        """Add one validated enterprise that has an id (``dumped``: its JSON, if already made)."""
        segs, tags = ent.segments, ent.tags  # marshal keeps plain str: the enums' _value_
        self._pending.append((
            ent.id, ent.name, ent.credit_code, ent.county, ent.zone,
            [(p.segment, p.role._value_) for p in segs] if segs else (), [t._value_ for t in tags] if tags else (),
            _to_json(ent) if dumped is None else dumped,
        ))  # fmt: skip
        self._count += 1
        if len(self._pending) >= self.CHUNK:
            self._seal()

    def _seal(self) -> None:
        if self._pending:
            self._blocks.append(zlib.compress(marshal.dumps(self._pending), 1))
            self._pending = []

    def _rows(self) -> Iterator[tuple[Any, ...]]:
        self._seal()
        for block in self._blocks:
            yield from marshal.loads(zlib.decompress(block))

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Enterprise]:
        for row in self._rows():
            yield _from_python(from_json(row[-1], cache_strings=False))

    def validated_json(self) -> Iterator[bytes]:
        """The JSON of each enterprise, already validated (the store's
        :class:`chainmap.storage._common.PreparedEnterprises` path: no re-dump)."""
        for row in self._rows():
            yield row[-1]

    def stored_views(self) -> Iterator[StoredEnterprise]:
        """What a store writes of each (:class:`chainmap.storage._common.StoredEnterprise`),
        read off the models when they were validated: no JSON parsed again."""
        make = StoredEnterprise.from_fields
        for row in self._rows():
            yield make(*row)


def enterprises_from_upload(
    raw: bytes, *, filename: str, data: ChainData, limits: Limits | None = None
) -> ValidatedEnterprises:
    """Read (streamed, under ``limits``) and validate an enterprise file; nothing of the file
    is kept but the validated enterprises (compressed, see :class:`ValidatedEnterprises`).
    InvalidInput with all row errors if any row is bad."""
    with frozen_heap():  # full collections scan the import's objects only
        table = iter_table(raw, filename=filename, limits=limits)
        return _validate(filename, table.header, text_rows(table, list_columns=LIST_COLUMNS), data)


def enterprises_from_table(table: Table, data: ChainData) -> list[Enterprise]:
    """Validate every row; InvalidInput with all row errors if any row is bad."""
    items: list[TableRow | RowError | None] = [*table.errors, *table.rows]
    with frozen_heap():
        return list(_validate(table.filename, table.columns, items, data))


_to_json = Enterprise.__pydantic_serializer__.to_json
_from_python = Enterprise.model_validate
_validate_python = Enterprise.__pydantic_validator__.validate_python  # model_validate without its wrapper


def _validate(
    filename: str, columns: Sequence[str], items: Iterable[TableRow | RowError | None], data: ChainData
) -> ValidatedEnterprises:
    """The valid enterprises (InvalidInput listing every bad row instead)."""
    if "name" not in columns:
        raise InvalidInput("missing required column 'name'", file=filename, field="name")
    seg_ids = {s.id for s in data.segments}
    regions = data.region_by_id
    errors: list[RowError] = []
    out = ValidatedEnterprises()
    seen: dict[str, int] = {}
    # The columns by position, read straight off each row's cells (RowValues of this header).
    index = {c: j for j, c in enumerate(columns)}
    known = [(k, index[k]) for k in ENTERPRISE_COLUMNS if k in index]
    extra = [(c, j) for j, c in enumerate(columns) if c not in ENTERPRISE_COLUMNS]
    numeric = [k for k in NUMERIC_COLUMNS if k in index]
    # A register repeats a few segment lists and regions: each distinct text is parsed and
    # checked once (the parsed list is only read afterwards, never changed).
    seg_cache: dict[str, tuple[list[dict[str, Any]], list[tuple[str, str]]]] = {}
    same_index: Mapping[str, int] | None = None
    for row in items:
        if row is None:  # a blank row
            continue
        if isinstance(row, RowError):  # refused by the reader (a value beyond the header, a nested value)
            errors.append(row)
            continue
        v = row.values
        if isinstance(v, RowValues) and (v.index is same_index or v.index == index):
            same_index, cells = v.index, v.cells
        else:
            cells = [v.get(c) or "" for c in columns]
        n = len(cells)
        raw: dict[str, Any] = {k: cells[j] for k, j in known if j < n and cells[j]}
        seg_text = raw.get("segments", "")
        cached = seg_cache.get(seg_text)
        if cached is None:
            segs = _segments(seg_text)
            problems = []
            for i, p in enumerate(segs):
                if p["segment"] not in seg_ids:
                    problems.append((p["segment"], "unknown segment id"))
                if p["role"] not in ("producer", "user"):
                    problems.append((p["role"], f"role of segment {i + 1} must be producer or user"))
            cached = seg_cache[seg_text] = (segs, problems)
        raw["segments"] = cached[0]
        if extra:
            attrs = {c: cells[j] for c, j in extra if j < n and cells[j]}
            if attrs:
                raw["attributes"] = attrs
        n_before = len(errors)
        for col in numeric:
            if col in raw:
                try:
                    x = parse_number(raw[col], field=col)
                    # 1e3 employees is 1000; the model then checks the bounds (and names them)
                    raw[col] = int(x) if col != "revenue" and isinstance(x, float) and x.is_integer() else x
                except InvalidInput as bad:
                    errors.append(RowError(row=row.number, column=col, value=shown_value(raw[col]), reason=bad.message))
        for value, reason in cached[1]:
            errors.append(RowError(row=row.number, column="segments", value=value, reason=reason))
        for col in ("county", "zone"):
            if raw.get(col) and raw[col] not in regions:
                errors.append(RowError(row=row.number, column=col, value=raw[col], reason="unknown region id"))
        if len(errors) > n_before:
            continue
        try:
            ent = _validate_python(raw)
        except ValidationError as e:
            for err in e.errors():
                col = str(err["loc"][0]) if err["loc"] else ""
                errors.append(RowError(row=row.number, column=col, value=shown_value(v.get(col, "")), reason=err["msg"].removeprefix("Value error, ")))
            continue
        if not ent.id:
            ent.id = enterprise_id(ent.name, ent.credit_code)
        if ent.id in seen:
            errors.append(RowError(row=row.number, column="id", value=ent.id, reason=f"duplicate of row {seen[ent.id]}"))
            continue
        seen[ent.id] = row.number
        out.append(ent)
    if errors:
        errors.sort(key=lambda e: e.row)
        raise InvalidInput(
            f"{len(errors)} invalid value(s); nothing was imported",
            file=filename,
            errors=errors,
            hint="fix the rows listed in errors and upload again",
        )
    if not out:
        raise InvalidInput(
            "the file has a header but no data rows; nothing was imported",
            file=filename,
            hint="add rows under the header / 请在表头下填写企业数据",
        )
    return out
