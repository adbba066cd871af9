"""The review queue of the local census: what planners accept, reject or correct.

The queue holds

* ``pending`` assignments (:class:`chainmap.models.AssignmentStatus`): automatic ones below
  the auto-accept confidence (reason ``low_confidence``) or in conflict between the
  industry code and the text (reason ``conflict``: an evidence item starting with
  ``conflict`` or containing ``冲突``);
* local firms with no assignment (reason ``unassigned``: ``attributes["census"]["unassigned"]``
  set by the import, or no segment at all once a register was imported for them).

A planner *accepts* an assignment (it becomes ``method: planner, status: confirmed``),
*rejects* it (it is removed; for an unassigned firm: the firm belongs to no chain), or
*sets* the segment (the queued assignment, if any, is replaced by the planner's, confirmed).
Every decision is stored as a ``review_decision`` record::

    {"enterprise": key, "credit_code": ..., "name": ..., "segment": the decided segment
     (accept / reject: the queued one; set: the new one), "from_segment": set: the replaced
     one, "action": "accept" | "reject" | "set", "role": "producer" | "user", "by": who,
     "at": ISO time, "previous": the assignment before (or None), "note": ...}

and survives re-imports: the census merge calls :func:`apply_decisions` on every firm it
re-creates, so what a planner decided is never overwritten.  Accepted and corrected
assignments are the training labels of the learned component (:func:`review_labels`).

>>> from chainmap.models import Enterprise
>>> e = Enterprise(id="ent.a", name="甲公司", county="wenxi", segments=[
...     {"segment": "qi.cell", "method": "text", "status": "pending", "confidence": 0.4},
...     {"segment": "qi.pack", "method": "code", "status": "pending", "confidence": 0.5,
...      "evidence": ["conflict: code 3841 -> qi.pack, text -> qi.cell"]}])
>>> [(x.segment, x.reason) for x in queue_entries(e)]
[('qi.cell', 'low_confidence'), ('qi.pack', 'conflict')]
>>> d = [{"enterprise": "ent.a", "segment": "qi.cell", "action": "accept", "by": "p1", "at": "2026-11-30T09:00:00"},
...      {"enterprise": "ent.a", "segment": "qi.pack", "action": "reject", "by": "p1", "at": "2026-11-30T09:01:00"}]
>>> [(p.segment, p.method.value, p.status.value) for p in apply_decisions(e, d).segments]
[('qi.cell', 'planner', 'confirmed')]
>>> apply_decisions(apply_decisions(e, d), d) == apply_decisions(e, d)  # idempotent
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from chainmap.census.coverage import ABSENCE_KIND, absence_record, absence_record_id
from chainmap.data import ChainData, local_enterprises
from chainmap.exceptions import InvalidInput, NotFound
from chainmap.i18n import norm_lang, pick
from chainmap.labels import REVIEW_REASON
from chainmap.models import AssignmentMethod, AssignmentStatus, Enterprise, Role, SegmentPresence
from chainmap.storage.base import check_tag, object_tag

if TYPE_CHECKING:
    from chainmap.storage.base import Store

__all__ = [
    "DECISION_KIND",
    "REASONS",
    "ACTIONS",
    "Reason",
    "Action",
    "QueueEntry",
    "ReviewPage",
    "Decision",
    "entry_id",
    "is_conflict",
    "queue_entries",
    "review_queue",
    "apply_decisions",
    "decisions_for",
    "decide",
    "confirm_absence",
    "withdraw_absence",
    "review_labels",
    "review_out_of_scope",
    "TEXT_FIELDS",
]

DECISION_KIND = "review_decision"
Reason = Literal["low_confidence", "conflict", "unassigned"]
Action = Literal["accept", "reject", "set"]
REASONS: tuple[str, ...] = tuple(REVIEW_REASON)
ACTIONS: tuple[str, ...] = ("accept", "reject", "set")

#: Enterprise text fields that become the features of a label (:func:`review_labels`): the
#: name, the industry code, then these keys of ``attributes`` or ``attributes["census"]`` when
#: they hold text (the census import keeps 主要产品 in ``products``, 经营范围 in ``scope``).
TEXT_FIELDS: tuple[str, ...] = (
    "products", "main_products", "scope", "business_scope", "industry_code", "industry_name",
)  # fmt: skip


# ---------------------------------------------------------------- the queue


def entry_id(enterprise: str, segment: str | None) -> str:
    """The id of a queue entry: ``<enterprise key>|<segment or ->``.

    >>> entry_id("ent.a", "qi.cell"), entry_id("ent.b", None)
    ('ent.a|qi.cell', 'ent.b|-')
    """
    return f"{enterprise}|{segment or '-'}"


def is_conflict(p: SegmentPresence) -> bool:
    """True when the assignment's evidence marks a conflict between code and text."""
    return any(str(ev).strip().lower().startswith("conflict") or "冲突" in str(ev) for ev in p.evidence)


def _unassigned(e: Enterprise) -> bool:
    info = e.attributes.get("census")
    if isinstance(info, Mapping) and info.get("unassigned"):
        return not e.segments
    return False


def _out_of_scope(e: Enterprise) -> bool:
    info = e.attributes.get("review")
    return isinstance(info, Mapping) and bool(info.get("out_of_scope"))


@dataclass(frozen=True)
class QueueEntry:
    """One item of the review queue."""

    id: str
    enterprise: str
    name: str
    credit_code: str | None
    county: str | None
    zone: str | None
    segment: str | None
    segment_name: str | None
    chain: str | None
    role: str | None
    reason: str
    reason_label: str
    method: str | None
    confidence: float | None
    evidence: tuple[str, ...]
    etag: str

    def as_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


def queue_entries(e: Enterprise, data: ChainData | None = None, lang: str = "zh") -> list[QueueEntry]:
    """The queue entries of one enterprise (its pending assignments, or itself when unassigned)."""
    lg = norm_lang(lang)
    tag = f'"{object_tag(e)}"'  # as an ETag header carries it
    seg_by_id = data.segment_by_id if data is not None else {}
    roots = data.chain_root if data is not None else {}

    def make(p: SegmentPresence | None, reason: str) -> QueueEntry:
        seg = seg_by_id.get(p.segment) if p is not None else None
        return QueueEntry(
            id=entry_id(e.key, p.segment if p else None),
            enterprise=e.key,
            name=e.name,
            credit_code=e.credit_code,
            county=e.county,
            zone=e.zone,
            segment=p.segment if p else None,
            segment_name=(seg.name_en if lg == "en" else seg.name_zh) if seg is not None else None,
            chain=roots.get(seg.chain, seg.chain) if seg is not None else None,
            role=p.role.value if p else None,
            reason=reason,
            reason_label=pick(lg, *REVIEW_REASON[reason]),
            method=p.method.value if p else None,
            confidence=p.confidence if p else None,
            evidence=tuple(p.evidence) if p else (),
            etag=tag,
        )

    if _unassigned(e) and not _out_of_scope(e):
        return [make(None, "unassigned")]
    return [
        make(p, "conflict" if is_conflict(p) else "low_confidence")
        for p in e.segments
        if p.status is AssignmentStatus.pending
    ]


@dataclass(frozen=True)
class ReviewPage:
    """One page of the queue: ``entries``, ``total`` matching, counts per reason of the matching ones."""

    entries: list[QueueEntry]
    total: int
    counts: dict[str, int]
    offset: int = 0
    limit: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": [x.as_dict() for x in self.entries],
            "total": self.total,
            "counts": self.counts,
            "offset": self.offset,
            "limit": self.limit,
        }


def _matches_name(e: Enterprise, needles: Sequence[str]) -> bool:
    return any(n in (e.key, e.id, e.credit_code, e.name) for n in needles)


def review_queue(
    *,
    data: ChainData,
    region: str | None = None,
    chain: str | None = None,
    segment: str | None = None,
    reason: str | None = None,
    names: Sequence[str] = (),
    lang: str = "zh",
    offset: int = 0,
    limit: int | None = None,
) -> ReviewPage:
    """The review queue of ``data`` filtered by region (the locality rule; default: every
    enterprise, placed or not), chain (a top-level chain or a sub-chain of the queued
    segment), segment, reason, and ``names`` (entry ids, enterprise keys, credit codes or
    exact names).  Entries sorted by region fields, enterprise key, segment.

    Raises
    ------
    NotFound
        Unknown region, chain or segment (listing the valid ids).
    InvalidInput
        Unknown reason.
    """
    if reason is not None and reason not in REASONS:
        raise InvalidInput(f"unknown reason {reason!r}; valid: {', '.join(REASONS)}", field="reason")
    from chainmap.service import valid_chain, valid_region, valid_segment  # names, not ids (chainmap.resolve)

    chain = valid_chain(data, chain)
    segment = valid_segment(data, segment)
    region = None if region is None else valid_region(data, region)
    firms: Iterable[Enterprise] = local_enterprises(data, region) if region is not None else data.enterprises
    ids = {n for n in names if "|" in n}
    plain = [n for n in names if "|" not in n]
    out: list[QueueEntry] = []
    for e in sorted(firms, key=lambda x: x.key):
        for x in queue_entries(e, data, lang):
            if names and x.id not in ids and not (plain and _matches_name(e, plain)):
                continue
            if segment is not None and x.segment != segment:
                continue
            if chain is not None:
                seg = data.segment_by_id.get(x.segment) if x.segment else None
                if seg is None or (seg.chain != chain and data.chain_root.get(seg.chain) != chain):
                    continue
            if reason is not None and x.reason != reason:
                continue
            out.append(x)
    counts = dict.fromkeys(REASONS, 0)
    for x in out:
        counts[x.reason] += 1
    page = out[offset : offset + limit] if limit is not None else out[offset:]
    return ReviewPage(page, len(out), counts, offset, limit)


# ---------------------------------------------------------------- decisions


class Decision(BaseModel):
    """A planner's decision on one queue entry (the body items of ``POST /review/decisions``)."""

    enterprise: str = Field(min_length=1, description="企业编号、信用代码或全称 / enterprise key, credit code or exact name")
    segment: str | None = Field(default=None, description="待审核的环节；未归类企业为空 / the queued segment (none: unassigned firm)")
    action: Action
    to_segment: str | None = Field(default=None, description="set: 改为的环节 / the segment to set")
    role: Role = Role.producer
    note: str = Field(default="", max_length=500)
    if_match: str | None = Field(default=None, description="该企业的 ETag（可选）/ the enterprise's ETag (optional)")


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _presence_dump(p: SegmentPresence | None) -> dict[str, Any] | None:
    return p.model_dump(mode="json") if p is not None else None


def decisions_for(e: Enterprise, decisions: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The decisions about ``e`` (matched by key, credit code or name), oldest first."""
    keys = {k for k in (e.key, e.id, e.credit_code) if k}
    mine = [
        d
        for d in decisions
        if d.get("enterprise") in keys
        or (e.credit_code and d.get("credit_code") == e.credit_code)
        or (not d.get("credit_code") and d.get("name") == e.name)
    ]
    return sorted(mine, key=lambda d: (str(d.get("at", "")), str(d.get("id", ""))))


def _planner(p: SegmentPresence, d: Mapping[str, Any]) -> SegmentPresence:
    ev = [x for x in p.evidence if not str(x).startswith("planner:")]
    ev.append(f"planner: {d.get('action')} by {d.get('by', '?')} at {str(d.get('at', ''))[:19]}")
    return p.model_copy(update={"method": AssignmentMethod.planner, "status": AssignmentStatus.confirmed, "evidence": ev})


def apply_decisions(enterprise: Enterprise, decisions: Iterable[Mapping[str, Any]]) -> Enterprise:
    """``enterprise`` with the planners' ``decisions`` about it applied, oldest first (pure; the
    census merge calls it on every re-imported firm, so decisions survive re-imports).

    * ``accept`` segment S: the assignment of S becomes ``planner`` / ``confirmed`` (re-added
      when an import no longer proposes it);
    * ``reject`` S: the assignment of S is removed (``reject`` without a segment: the firm
      belongs to no chain, ``attributes["review"]["out_of_scope"]``);
    * ``set`` S (``from_segment`` F): F's assignment is removed, S is set ``planner`` /
      ``confirmed`` with the decision's role.

    A rejected segment (S of a ``reject``, F of a ``set``) is listed in
    ``attributes["census"]["rejected"]``, which the census merge reads: a re-import does not
    propose it again (:func:`chainmap.census.merge.merge_enterprise`); a later ``accept`` or
    ``set`` of it takes it off the list.

    Decisions about other firms are ignored; applying the same decisions twice changes nothing.
    """
    mine = decisions_for(enterprise, decisions)
    if not mine:
        return enterprise
    segs = [p.model_copy() for p in enterprise.segments]
    attrs = dict(enterprise.attributes)
    census_before = attrs.get("census")
    rejected: list[str] = [
        str(x) for x in (census_before.get("rejected") or [] if isinstance(census_before, Mapping) else [])
    ]
    before = list(rejected)
    for d in mine:
        action, seg = d.get("action"), d.get("segment")
        role = Role(d.get("role") or Role.producer.value)
        if seg and action in ("accept", "set") and seg in rejected:
            rejected.remove(seg)
        if seg and action == "reject" and seg not in rejected:
            rejected.append(seg)
        if action == "set" and d.get("from_segment") and d.get("from_segment") != seg:
            if d["from_segment"] not in rejected:
                rejected.append(str(d["from_segment"]))
        if action == "accept" and seg:
            hit = [i for i, p in enumerate(segs) if p.segment == seg]
            if hit:
                for i in hit:
                    segs[i] = _planner(segs[i], d)
            else:
                prev = d.get("previous") or {"segment": seg, "role": role.value}
                segs.append(_planner(SegmentPresence.model_validate(prev), d))
        elif action == "reject":
            if seg:
                segs = [p for p in segs if p.segment != seg]
            else:
                attrs["review"] = {"out_of_scope": True, "by": d.get("by"), "at": d.get("at")}
        elif action == "set" and seg:
            frm = d.get("from_segment")
            old = next((p for p in segs if p.segment == seg and p.role == role), None)
            segs = [p for p in segs if p.segment != seg and (not frm or p.segment != frm)]
            base = old or SegmentPresence(segment=seg, role=role)
            segs.append(_planner(base.model_copy(update={"role": role, "confidence": None}), d))
    if rejected != before:
        attrs["census"] = {**(census_before if isinstance(census_before, Mapping) else {}), "rejected": rejected}
    census = attrs.get("census")
    if isinstance(census, Mapping) and census.get("unassigned") and segs:
        attrs["census"] = {**census, "unassigned": False}
    return enterprise.model_copy(update={"segments": segs, "attributes": attrs})


def _resolve(data: ChainData, ref: str) -> Enterprise:
    by_key = [e for e in data.enterprises if ref in (e.key, e.id, e.credit_code)]
    if by_key:
        return by_key[0]
    named = [e for e in data.enterprises if e.name == ref]
    if len(named) == 1:
        return named[0]
    if named:
        raise InvalidInput(
            f"enterprise name {ref!r} is ambiguous ({len(named)} firms): give the id or the credit code",
            field="enterprise",
        )
    raise NotFound(f"enterprise {ref!r} not found (give its id, credit code or exact name)", field="enterprise")


def _record_id(key: str, segment: str | None, at: str, n: int) -> str:
    """Time first, then the position in its batch: ids sort in decision order."""
    digest = hashlib.sha256(f"{key}|{segment}|{at}|{n}".encode()).hexdigest()[:12]
    return f"{at.replace(':', '').replace('-', '')[:15]}-{n:05d}-{digest}"


@dataclass
class _Plan:
    enterprise: Enterprise
    records: list[dict[str, Any]] = field(default_factory=list)
    expected: set[str] | None = None


def decide(
    *,
    store: Store,
    data: ChainData,
    decisions: Sequence[Decision | Mapping[str, Any]],
    by: str,
    at: str | None = None,
    if_match: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    """Apply and store ``decisions`` by ``by`` (all or none, in one transaction); returns the
    stored ``review_decision`` records.

    ``if_match``: expected ETags of the enterprise when the list changes a single one (the
    API's ``If-Match`` header); each decision may also carry its own ``if_match``.

    Raises
    ------
    InvalidInput
        An empty list, an unknown action, an accept or reject of an assignment the firm does
        not have, a set without a known ``to_segment``, or ``by`` empty.
    NotFound
        An unknown enterprise or segment.
    PreconditionFailed
        An enterprise changed since its ETag was read.
    """
    if not by or not by.strip():
        raise InvalidInput("a decision needs who made it (by)", field="by")
    if not decisions:
        raise InvalidInput("no decision given: expected a non-empty list", field="decisions")
    at = at or _now()
    parsed = [d if isinstance(d, Decision) else Decision.model_validate(d) for d in decisions]
    plans: dict[str, _Plan] = {}
    for n, d in enumerate(parsed):
        e0 = _resolve(data, d.enterprise)
        plan = plans.setdefault(e0.key, _Plan(e0))
        e = plan.enterprise
        where = f"decision {n + 1} ({e.name})"
        if d.if_match:
            tags = {t.strip().strip('"') for t in d.if_match.split(",") if t.strip()}
            plan.expected = tags if plan.expected is None else plan.expected & tags
        current = next((p for p in e.segments if d.segment and p.segment == d.segment), None)
        if d.action in ("accept", "reject") and d.segment and current is None:
            raise InvalidInput(
                f"{where}: {e.name} has no assignment to {d.segment!r}; its segments: "
                f"{', '.join(p.segment for p in e.segments) or 'none'}",
                field="segment",
            )
        if d.action == "accept" and not d.segment:
            raise InvalidInput(f"{where}: accept needs the segment of the assignment", field="segment")
        target = d.segment
        if d.action == "set":
            if not d.to_segment:
                raise InvalidInput(f"{where}: set needs to_segment, the segment to assign", field="to_segment")
            if d.to_segment not in data.segment_by_id:
                raise NotFound(f"{where}: unknown segment {d.to_segment!r}", field="to_segment")
            target = d.to_segment
        if d.segment and d.segment not in data.segment_by_id and current is None:
            raise NotFound(f"{where}: unknown segment {d.segment!r}", field="segment")
        rec: dict[str, Any] = {
            "enterprise": e.key,
            "credit_code": e.credit_code,
            "name": e.name,
            "segment": target,
            "from_segment": d.segment if d.action == "set" else None,
            "action": d.action,
            "role": (d.role if d.action == "set" else (current.role if current else d.role)).value,
            "by": by.strip(),
            "at": at,
            "previous": _presence_dump(current),
            "note": d.note,
        }
        rec["id"] = _record_id(e.key, target, at, n)
        plan.enterprise = apply_decisions(e, [rec])
        plan.records.append(rec)
    header = frozenset(t for t in if_match) if if_match is not None else None
    if header is not None and len(plans) != 1:
        raise InvalidInput("If-Match applies to one enterprise: the list changes several", field="If-Match")
    out: list[dict[str, Any]] = []
    with store.transaction() as tx:
        for key, plan in plans.items():
            expected = header if header is not None else plan.expected
            fresh = tx.get_enterprise(key)  # the stored version, read in the write's transaction
            check_tag(fresh, expected, what=f"enterprise {key!r}")
            tx.upsert_enterprise(apply_decisions(fresh, plan.records))
            for rec in plan.records:
                tx.put_record(DECISION_KIND, rec["id"], {k: v for k, v in rec.items() if k != "id"})
                out.append(rec)
    return out


# ---------------------------------------------------------------- absences


def confirm_absence(
    *, store: Store, data: ChainData, region: str, segment: str, by: str, note: str = "", source: str = "",
    at: str | None = None,
) -> dict[str, Any]:
    """Store a planner's confirmation that ``segment`` is absent in ``region`` (one record per
    pair; a new confirmation replaces the old).  The gap analysis then treats the absence as
    confirmed (补链 / 延链 / 暂不布局 instead of 待核实).

    Raises NotFound for an unknown region or segment; InvalidInput when ``by`` is empty or a
    local firm counts as a producer of the segment there (a present segment cannot be absent).
    """
    data.region_index.get(region)
    if segment not in data.segment_by_id:
        raise NotFound(f"unknown segment {segment!r}", field="segment", hint="chainmap chain show <chain>")
    if not by or not by.strip():
        raise InvalidInput("a confirmation needs who made it (by)", field="by")
    present = local_enterprises(data, region, segment=segment, role=Role.producer)
    if present:
        names = "、".join(e.name for e in present[:3])
        raise InvalidInput(
            f"{segment} is present in {region} ({len(present)} local producers: {names}); it cannot be confirmed absent",
            field="segment",
        )
    rec = absence_record(region=region, segment=segment, by=by.strip(), at=at or _now(), note=note, source=source)
    rid = absence_record_id(region, segment)
    store.put_record(ABSENCE_KIND, rid, rec)
    return {"id": rid, **rec}


def withdraw_absence(*, store: Store, region: str, segment: str) -> None:
    """Delete the confirmation of ``segment`` absent in ``region`` (NotFound if there is none)."""
    store.delete_record(ABSENCE_KIND, absence_record_id(region, segment))


# ---------------------------------------------------------------- labels


def _texts(e: Enterprise) -> dict[str, str]:
    out = {"name": e.name}
    if e.industry_code:
        out["industry_code"] = str(e.industry_code)
    sources: list[Mapping[str, Any]] = [e.attributes]
    census = e.attributes.get("census")
    if isinstance(census, Mapping):
        sources.append(census)
    for src in sources:
        for k in TEXT_FIELDS:
            v = src.get(k)
            if isinstance(v, str | int) and str(v).strip() and k not in out:
                out[k] = str(v).strip()
    return out


def _enterprise(store: Store, key: str, known: Mapping[str, Enterprise] | None) -> Enterprise | None:
    if known is not None:
        return known.get(key)
    try:
        return store.get_enterprise(key)
    except NotFound:
        return None


def review_labels(
    store: Store, enterprises: Mapping[str, Enterprise] | None = None
) -> list[tuple[dict[str, str], str]]:
    """Training labels for the learned component: ``(text fields, segment)`` for every
    enterprise segment a planner accepted or set (the latest decision per enterprise and
    segment; a later rejection of the same segment withdraws the label).  Text fields: the
    enterprise's ``name``, its industry code and the :data:`TEXT_FIELDS` found in its
    attributes.  Sorted by enterprise key, then segment.

    ``enterprises``: the stored enterprises by key, when the caller holds them up to date
    (then the store is not asked for each one)."""
    latest: dict[tuple[str, str], Mapping[str, Any]] = {}
    for r in sorted(store.list_records(DECISION_KIND), key=lambda r: (str(r.get("at", "")), str(r.get("id", "")))):
        seg = r.get("segment")
        if seg:
            latest[(str(r.get("enterprise")), str(seg))] = r
        if r.get("action") == "set" and r.get("from_segment"):
            latest.pop((str(r.get("enterprise")), str(r.get("from_segment"))), None)
    out: list[tuple[dict[str, str], str]] = []
    cache: dict[str, Enterprise | None] = {}
    for (key, seg), d in sorted(latest.items()):
        if d.get("action") not in ("accept", "set"):
            continue
        if key not in cache:
            cache[key] = _enterprise(store, key, enterprises)
        e = cache[key]
        texts = _texts(e) if e is not None else {"name": str(d.get("name", key))}
        out.append((texts, seg))
    return out


def review_out_of_scope(
    store: Store, enterprises: Mapping[str, Enterprise] | None = None
) -> list[dict[str, str]]:
    """The text fields (as :func:`review_labels`) of every enterprise a planner decided belongs
    to no chain: its latest decision about the firm as a whole (no segment) is ``reject``, and
    no accept or set came after it.  The learned component's out-of-scope examples.  Sorted by
    enterprise key; ``enterprises`` as in :func:`review_labels`."""
    latest: dict[str, Mapping[str, Any]] = {}
    for r in sorted(store.list_records(DECISION_KIND), key=lambda r: (str(r.get("at", "")), str(r.get("id", "")))):
        key = str(r.get("enterprise"))
        if r.get("action") == "reject" and not r.get("segment"):
            latest[key] = r
        elif r.get("action") in ("accept", "set"):
            latest.pop(key, None)
    out: list[dict[str, str]] = []
    for key, d in sorted(latest.items()):
        e = _enterprise(store, key, enterprises)
        out.append(_texts(e) if e is not None else {"name": str(d.get("name", key))})
    return out
