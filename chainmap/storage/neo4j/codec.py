"""Models <-> Neo4j properties and bulk rows (no driver import).

>>> from chainmap.models import Chain
>>> props(Chain(id="mg", name_zh="镁", name_en="Magnesium", letter="材"))["name_en"]
'Magnesium'
>>> public({"id": "e1", "_name_key": "x"})
{'id': 'e1'}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import Enum
from typing import Any

from chainmap.models import Enterprise
from chainmap.storage import _common as common
from chainmap.storage.neo4j import cypher as cy

__all__ = ["props", "public", "enterprise", "enterprise_row"]


def props(model: Any, exclude: set[str] | None = None) -> dict[str, Any]:
    """Model fields as Neo4j properties (JSON types; ``None`` left out)."""
    return {k: v for k, v in model.model_dump(mode="json", exclude=exclude).items() if v is not None}


_SIMPLE = (str, int, float, bool)
assert cy.NODE_FIELDS[0] == "id" and "note" in cy.NODE_FIELDS and "tags" in cy.NODE_FIELDS


class _NotSimple(Exception):
    """A field value that needs pydantic's JSON serialisation."""


def _simple(value: Any) -> Any:
    """A str/int/float/bool/enum value (or a list of them) as its JSON form, else _NotSimple."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, _SIMPLE):
        return value
    if isinstance(value, list):
        return [_simple(v) for v in value]
    raise _NotSimple


def _values(model: Any, fields: tuple[str, ...]) -> list[Any]:
    """JSON values of ``fields`` (None for None), without pydantic's serialiser for plain
    values (a million enterprises); falls back to ``model_dump`` for anything else."""
    values = model.__dict__
    try:
        return [None if (v := values.get(k)) is None else _simple(v) for k in fields]
    except _NotSimple:
        dumped = model.model_dump(mode="json", include=set(fields))
        return [dumped.get(k) for k in fields]


def enterprise_row(e: Enterprise, seg_index: dict[str, int], reg_index: dict[str, int]) -> list[Any]:
    """The bulk-write row of one (validated) enterprise (see ``cy.ENTERPRISE_CREATE``);
    ``seg_index`` / ``reg_index`` map segment / region ids to their position in the
    batch's ``$segs`` / ``$regs`` (new ids are appended).

    Empty ``note``, ``tags`` and ``attributes`` (the model's defaults) are not stored."""
    row = _values(e, cy.ENTERPRISE_FIELDS)
    row.append(common.name_key(e.name))
    row.append(json.dumps(e.attributes, ensure_ascii=False, sort_keys=True) if e.attributes else None)
    for i in _EMPTY_AT:
        if not row[i]:
            row[i] = None
    for region in (e.county, e.zone):
        row.append(None if not region else reg_index.setdefault(region, len(reg_index)))
    row.append([[seg_index.setdefault(p.segment, len(seg_index)), *_values(p, cy.PRESENCE_FIELDS)] for p in e.segments])
    return row


_EMPTY_AT = (cy.NODE_FIELDS.index("note"), cy.NODE_FIELDS.index("tags"))


def public(properties: Mapping[str, Any]) -> dict[str, Any]:
    """A node's properties without the internal ones (names starting with ``_``)."""
    return {k: v for k, v in properties.items() if not k.startswith("_")}


def enterprise(properties: Mapping[str, Any], segs: list[Mapping[str, Any]]) -> Enterprise:
    """The Enterprise of a node's properties and its OPERATES_IN relationships (``r{.*, segment}``)."""
    data = public(properties)
    data["attributes"] = json.loads(properties.get("_attributes") or "{}")
    data["segments"] = [{k: v for k, v in p.items() if k != "position"} for p in segs]
    return Enterprise.model_validate(data)
