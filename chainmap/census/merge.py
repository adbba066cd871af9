"""Merge rules of the census import (pure functions).

* **Inactive firms**: a 登记状态 containing 注销, 吊销 or 撤销 (``吊销，未注销`` included) is
  skipped and counted (:func:`inactive_status`).
* **Duplicates in a file** merge by credit code, then by normalised name
  (:func:`chainmap.names.normalize_company_name`); the first non-empty value of a field
  wins, later rows fill blanks (:func:`merge_rows`).
* **Against the store** (:func:`merge_enterprise`), the import never overwrites what a
  planner decided:

  - ``Enterprise.locked_fields`` lists the fields a planner set or edited by hand (the
    API's ``PUT /enterprises/{id}`` adds the fields it changes); they are never touched
    (``"segments"`` among them keeps the whole segment list);
  - segment assignments with ``method`` seed or planner, or ``status`` confirmed, are kept
    as they are, and a segment in ``attributes["census"]["rejected"]`` (a planner's
    rejection, written by the review queue) is never proposed again;
  - an enterprise the census did not create (a seed firm, one typed in by hand: no
    ``attributes["census"]``) only gets its empty fields filled and new assignments for
    segments it does not have (``attributes["census"]["created"]`` false); an enterprise an
    earlier import created takes the register's current values for its other fields;
  - automatic assignments (method code/text/model, not confirmed) are replaced by the
    new ones on every import.

* **Idempotent**: the merged enterprise is compared with the stored one ignoring the
  bookkeeping keys of ``attributes["census"]`` (:data:`VOLATILE`); equal -> unchanged and not
  written, so importing the same file twice writes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chainmap.models import AssignmentMethod, AssignmentStatus, Enterprise, EnterpriseStage, SegmentPresence

__all__ = [
    "INACTIVE_MARKS",
    "STAGE_WORDS",
    "VOLATILE",
    "MANAGED_FIELDS",
    "inactive_status",
    "parse_stage",
    "merge_rows",
    "merge_enterprise",
    "comparable",
    "LOCKABLE_FIELDS",
    "planner_edit",
]

INACTIVE_MARKS: tuple[str, ...] = ("注销", "吊销", "撤销")

#: Stage words of registers and project lists -> :class:`EnterpriseStage`.
STAGE_WORDS: dict[str, EnterpriseStage] = {
    **dict.fromkeys(
        ("投产", "已投产", "在产", "生产", "正常生产", "运营", "在营", "达产", "producing", "production", "operating"),
        EnterpriseStage.producing,
    ),
    **dict.fromkeys(
        ("在建", "建设中", "开工", "已开工", "在建设", "试生产", "construction", "under construction", "building"),
        EnterpriseStage.construction,
    ),
    **dict.fromkeys(("已签约", "签约", "签约落地", "拟建", "signed", "contracted"), EnterpriseStage.signed),
}

#: Keys of ``attributes["census"]`` that change on every import and do not make a change.
VOLATILE = frozenset({"imported_at", "file", "row", "import_id"})

#: Enterprise fields the census writes.
MANAGED_FIELDS: tuple[str, ...] = (
    "name", "credit_code", "county", "zone", "stage", "industry_code", "group", "revenue", "employees",
    "founded", "source",
)  # fmt: skip

_KEPT_METHODS = (AssignmentMethod.seed, AssignmentMethod.planner)
_AUTO_METHODS = (AssignmentMethod.code, AssignmentMethod.text, AssignmentMethod.model)


def inactive_status(status: str | None) -> str | None:
    """The inactive mark in a 登记状态 (``注销``, ``吊销``, ``撤销``), or None for an active firm.

    >>> inactive_status("吊销，未注销"), inactive_status("存续（在营、开业、在册）"), inactive_status("")
    ('吊销', None, None)
    """
    if not status:
        return None
    hits = [(status.find(m), m) for m in INACTIVE_MARKS if m in status]
    return min(hits)[1] if hits else None


def parse_stage(value: str) -> EnterpriseStage | None:
    """A stage word (``投产``, ``在建``, ``已签约`` ... or the English code), None if not one.

    >>> parse_stage("在建"), parse_stage("producing"), parse_stage("筹备")
    (<EnterpriseStage.construction: 'construction'>, <EnterpriseStage.producing: 'producing'>, None)
    """
    v = value.strip().lower()
    if v in STAGE_WORDS:
        return STAGE_WORDS[v]
    try:
        return EnterpriseStage(v)
    except ValueError:
        return None


def merge_rows(first: dict[str, Any], later: Mapping[str, Any]) -> None:
    """Fill ``first``'s empty values from ``later`` (a duplicate row); in place."""
    for k, v in later.items():
        if v not in (None, "", [], {}) and first.get(k) in (None, "", [], {}):
            first[k] = v


def comparable(e: Enterprise) -> dict[str, Any]:
    """The enterprise as compared for "unchanged": its JSON without :data:`VOLATILE` census keys."""
    d = e.model_dump(mode="json")
    census = d.get("attributes", {}).get("census")
    if isinstance(census, dict):
        d["attributes"]["census"] = {k: v for k, v in census.items() if k not in VOLATILE}
    return d


def _kept(p: SegmentPresence) -> bool:
    return p.method in _KEPT_METHODS or p.status is AssignmentStatus.confirmed


def merge_enterprise(old: Enterprise | None, new: Enterprise) -> tuple[Enterprise, list[str]]:
    """``new`` (from the register) merged into ``old`` (stored, or None) by the rules of the
    module notes; returns the enterprise to store and the names of the fields that changed
    (``[]``: unchanged)."""
    if old is None:
        return new, ["*new"]
    out = old.model_copy()  # shallow: nested values are replaced below, never mutated
    locked = set(old.locked_fields)
    old_census = old.attributes.get("census")
    by_census = isinstance(old_census, dict) and bool(old_census.get("created"))
    for f in MANAGED_FIELDS:
        if f in locked or f == "name":
            continue
        v = getattr(new, f)
        if v is None:
            continue
        cur = getattr(old, f)
        if f == "stage" and "stage" not in new.model_fields_set:
            continue
        if cur is None or (by_census and cur != v):
            setattr(out, f, v)
    # attributes: register keys; a non-census enterprise keeps its own values
    attrs = dict(old.attributes)
    for k, v in new.attributes.items():
        if k == "census":
            continue
        if "attributes" in locked or f"attributes.{k}" in locked:
            continue
        if by_census or k not in attrs:
            attrs[k] = v
    census = dict(new.attributes.get("census", {}))
    census["created"] = by_census
    if isinstance(old_census, dict):
        for k, v in old_census.items():
            census.setdefault(k, v)  # e.g. "rejected" from the review queue
        census["first_imported_at"] = old_census.get("first_imported_at", old_census.get("imported_at"))
    # segments
    if "segments" not in locked:
        rejected = set(census.get("rejected", []) or [])
        kept = [p for p in old.segments if _kept(p) or p.method not in _AUTO_METHODS]
        have = {p.segment for p in kept}
        added = [p for p in new.segments if p.segment not in have and p.segment not in rejected]
        out.segments = kept + added
    census["unassigned"] = not out.segments
    attrs["census"] = census
    out.attributes = attrs
    changes = sorted(f for f in type(out).model_fields if not _same(f, getattr(old, f), getattr(out, f)))
    return out, changes


def _same(name: str, a: Any, b: Any) -> bool:
    if a is b:  # a field the merge left alone (the model allows no NaN, which would differ from itself)
        return True
    if name != "attributes":
        return bool(a == b)
    ca, cb = a.get("census"), b.get("census")
    if isinstance(ca, dict) and isinstance(cb, dict):
        strip = {k: v for k, v in ca.items() if k not in VOLATILE}
        if strip != {k: v for k, v in cb.items() if k not in VOLATILE}:
            return False
        return {k: v for k, v in a.items() if k != "census"} == {k: v for k, v in b.items() if k != "census"}
    return bool(a == b)


#: Fields whose hand edits lock them against imports (the rest are bookkeeping).
LOCKABLE_FIELDS: tuple[str, ...] = (
    "name", "name_en", "credit_code", "group", "county", "zone", "stage", "industry_code", "segments", "tags",
    "revenue", "employees", "founded", "source", "confidence", "note",
)  # fmt: skip


def planner_edit(stored: Enterprise, edited: Enterprise) -> Enterprise:
    """``edited`` (a planner's whole-object update of ``stored``) with the fields it changed
    added to ``locked_fields``, so later imports never overwrite them.  ``locked_fields``
    sent with the update replace the stored ones (a planner may unlock a field that way);
    the fields changed now are locked in any case.

    >>> a = Enterprise(id="e", name="甲", employees=10)
    >>> planner_edit(a, a.model_copy(update={"employees": 12})).locked_fields
    ['employees']
    """
    base = edited.locked_fields if "locked_fields" in edited.model_fields_set else stored.locked_fields
    changed = [f for f in LOCKABLE_FIELDS if getattr(stored, f) != getattr(edited, f)]
    out = edited.model_copy()
    out.locked_fields = list(dict.fromkeys([*base, *changed]))
    return out
