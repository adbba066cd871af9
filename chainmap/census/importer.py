"""The census import use case: read -> normalise -> resolve regions -> assign segments ->
merge -> one all-or-nothing write.  Every front door (``chainmap enterprises import``,
``POST /enterprises/import``, the web upload page) calls :func:`import_census`.

:func:`import_census` returns a :class:`CensusResult`; ``result.to_json()`` is the preview
the API returns and the web page shows (the same with ``dry_run`` and after a write):

.. code-block:: text

    {"file", "encoding", "register_kind", "dry_run", "written", "refused", "import_id",
     "columns": {"recognised": {column: field}, "ignored": [column], "duplicates": {column: first},
                 "units": {field: unit}},
     "counts": {"rows", "blank_rows", "new", "updated", "unchanged", "skipped", "errors",
                "duplicates_merged", "outside", "inactive", "unassigned", "auto", "pending",
                "model_added", "model_changed"},
     "review_model": {"active", "labels", "segments", "weight", "added", "changed", "displaced", "reranked"},
     "skipped_by_reason": {"注销": n, "吊销": n, "outside": n, "invalid": n},
     "new": [item], "updated": [item + "changes"], "unchanged": [{"row", "id", "name"}],
     "skipped": [{"row", "name", "reason", "value"}],
     "errors": [{"row", "column", "value", "reason"}],
     "warnings": [text], "coverage": {coverage record}, "truncated": {list: total}}

    item = {"row", "id", "name", "credit_code", "county", "zone", "stage", "group",
            "segments": [{"segment", "role", "status", "confidence", "method", "evidence"}],
            "unassigned": bool}

Rules:

* Row errors (row, column, value, reason) refuse the file (InvalidInput carrying them,
  nothing written) unless ``skip_invalid``; with ``dry_run`` they are returned in the preview
  (``refused``: true when the same call without ``dry_run`` would refuse the file).
* 注销/吊销/撤销 rows and rows outside the city are skipped and counted, with reasons.
* An assignment with confidence >= ``auto_accept`` (default 0.6, ``CHAINMAP_CENSUS_AUTO_ACCEPT``)
  is ``auto``, below it ``pending`` (to review; pending ones never count as presence).
* The review model: the store's review decisions (:func:`chainmap.census.assign.review_training`)
  are read once per import; from 30 labels on (and 2 segments) the engine is blended with a
  model fitted on them (:mod:`chainmap.classify.learned`; fitted once per set of labels).  A
  segment the model alone proposes has ``method: model`` and is always ``pending``.
  ``review_model`` says whether it was active, on how many labels, with what weight, and
  what it did: ``added`` (model-only proposals), ``changed`` (engine proposals whose status
  the blend changed between auto and pending, or that it pushed out of the top ``k``),
  ``displaced``, ``reranked`` (firms whose first segment changed); ``counts`` repeats
  ``model_added`` and ``model_changed``, and a note in ``warnings`` says it in words (the
  front doors print the notes).  ``CHAINMAP_CENSUS_REVIEW_MODEL=off`` (or
  ``review_model=False``) turns it off; a caller's own ``assign`` is used as it is.
* Every enterprise written carries ``attributes["census"]`` =
  ``{"register": kind, "file": name, "row": n, "import_id": id, "imported_at": iso,
  "first_imported_at": iso, "created": bool, "unassigned": bool}`` (``unassigned``: no
  segment at all, the review queue lists these); register values that have no model field
  go to ``attributes``: ``products`` (主要产品), ``scope`` (经营范围), ``industry_name``,
  ``address``, ``reg_status``, ``capital``, ``park`` (a park no store zone matches),
  ``town``, ``revenue_raw`` (a revenue column without a unit).
* One coverage record per import, ``store.put_record("census_import", import_id, ...)`` with
  ``{"register_kind", "regions", "industry_codes", "rows", "imported_at", "file", "complete",
  "counts"}``; ``import_id`` is ``census.<sha1 of the file, 16 hex>``, so re-importing a file
  replaces its record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from chainmap.census.assign import Assigner, default_assigner, review_model_enabled, review_training
from chainmap.census.headers import REGISTER_KINDS, UNIT_TO_YI, HeaderMap, guess_register_kind, map_header
from chainmap.census.merge import inactive_status, merge_enterprise, merge_rows, parse_stage
from chainmap.census.regions import RegionResolver, prepare_all
from chainmap.exceptions import InvalidInput, RowError
from chainmap.i18n import pick
from chainmap.limits import Limits, frozen_heap
from chainmap.models import (
    AssignmentMethod,
    AssignmentStatus,
    Enterprise,
    SegmentPresence,
    is_valid_credit_code,
)
from chainmap.names import normalize_company_name
from chainmap.tabular import TableRow, iter_table, shown_value, text_rows
from chainmap.text_hygiene import parse_number

if TYPE_CHECKING:
    from chainmap.data import ChainData
    from chainmap.storage.base import Store

__all__ = [
    "CensusResult",
    "import_census",
    "auto_accept_default",
    "COVERAGE_KIND",
    "census_import_id",
    "is_census_header",
    "coverage_records",
]

COVERAGE_KIND = "census_import"
DEFAULT_AUTO_ACCEPT = 0.6
_EMPTY_MARKS = frozenset({"-", "--", "—", "/", "无", "暂无", "未公开", "不详", "n/a", "na", "null"})
_DATE = re.compile(r"^\s*(\d{4})(?:\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2})\s*日?)?\s*月?)?")
_INDUSTRY = re.compile(r"^\s*[A-Ta-t]?\s*(\d{2,4})(?:\.0+)?\s*$")


def auto_accept_default() -> float:
    """The auto-accept confidence: ``CHAINMAP_CENSUS_AUTO_ACCEPT`` (0..1), default 0.6."""
    raw = os.environ.get("CHAINMAP_CENSUS_AUTO_ACCEPT", "").strip()
    if not raw:
        return DEFAULT_AUTO_ACCEPT
    try:
        v = float(raw)
    except ValueError:
        v = -1.0
    if not 0.0 <= v <= 1.0:
        raise InvalidInput(
            f"CHAINMAP_CENSUS_AUTO_ACCEPT must be a number from 0 to 1, got {raw!r}", field="CHAINMAP_CENSUS_AUTO_ACCEPT"
        )
    return v


def census_import_id(raw: bytes) -> str:
    """The coverage-record id of a file: ``census.`` + the first 16 hex digits of its SHA-1."""
    return "census." + hashlib.sha1(raw).hexdigest()[:16]


def is_census_header(columns: Iterable[str]) -> bool:
    """True when a header is a register's (not the native id-based format of
    :mod:`chainmap.enterprise_import`: English columns ``name, county, segments ...``)."""
    from chainmap.enterprise_import import ENTERPRISE_COLUMNS

    cols = [c.strip() for c in columns]
    if "segments" in cols or all(c in ENTERPRISE_COLUMNS for c in cols):
        return False
    return bool(map_header(cols).field_of)


@dataclass
class CensusResult:
    """What an import did (or, with ``dry_run``, would do); see the module notes."""

    file: str
    encoding: str | None
    register_kind: str
    dry_run: bool
    columns: HeaderMap
    import_id: str
    rows: int = 0
    blank_rows: int = 0
    new: list[dict[str, Any]] = field(default_factory=list)
    updated: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    duplicates_merged: int = 0
    coverage: dict[str, Any] = field(default_factory=dict)
    written: bool = False
    refused: bool = False
    review_model: dict[str, Any] = field(default_factory=lambda: {"active": False, "labels": 0})
    enterprises: list[Enterprise] = field(default_factory=list, repr=False)

    def counts(self) -> dict[str, int]:
        items = self.new + self.updated
        segs = [s for it in items for s in it["segments"]]
        reasons = self.skipped_by_reason()
        return {
            "rows": self.rows,
            "blank_rows": self.blank_rows,
            "new": len(self.new),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "skipped": len(self.skipped),
            "errors": len(self.errors),
            "duplicates_merged": self.duplicates_merged,
            "outside": reasons.get("outside", 0),
            "inactive": sum(v for k, v in reasons.items() if k in ("注销", "吊销", "撤销")),
            "unassigned": sum(1 for it in items if it["unassigned"]),
            "auto": sum(1 for s in segs if s["status"] == AssignmentStatus.auto.value),
            "pending": sum(1 for s in segs if s["status"] == AssignmentStatus.pending.value),
            "model_added": int(self.review_model.get("added", 0)),
            "model_changed": int(self.review_model.get("changed", 0)),
        }

    def skipped_by_reason(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.skipped:
            out[s["kind"]] = out.get(s["kind"], 0) + 1
        return out

    def to_json(self, *, limit: int | None = None) -> dict[str, Any]:
        """The preview / report (lists cut to ``limit`` items each, totals in ``truncated``)."""
        truncated: dict[str, int] = {}

        def cut(name: str, items: list[Any]) -> list[Any]:
            if limit is not None and len(items) > limit:
                truncated[name] = len(items)
                return items[:limit]
            return items

        return {
            "file": self.file,
            "encoding": self.encoding,
            "register_kind": self.register_kind,
            "dry_run": self.dry_run,
            "written": self.written,
            "refused": self.refused,
            "import_id": self.import_id,
            "columns": self.columns.report(),
            "counts": self.counts(),
            "skipped_by_reason": self.skipped_by_reason(),
            "new": cut("new", self.new),
            "updated": cut("updated", self.updated),
            "unchanged": cut("unchanged", self.unchanged),
            "skipped": cut("skipped", self.skipped),
            "errors": cut("errors", [e.to_dict() for e in self.errors]),
            "warnings": self.warnings,
            "coverage": self.coverage,
            "review_model": self.review_model,
            "truncated": truncated,
        }


# ---------------------------------------------------------------------------
# row normalisation
# ---------------------------------------------------------------------------


class _RowFail(Exception):
    def __init__(self, column: str, value: str, reason: str) -> None:
        self.column, self.value, self.reason = column, value, reason


def _empty(v: str) -> bool:
    return not v or v.strip().lower() in _EMPTY_MARKS


def _year(v: str) -> int | None:
    m = _DATE.match(v)
    if not m:
        return None
    year = int(m.group(1))
    return year if 1800 <= year <= 2100 else None


def _int(v: str, col: str, lang: str) -> int | None:
    if v.isdigit() and v.isascii():
        return int(v)
    text = v.strip().removesuffix("人").strip()
    try:
        x = parse_number(text, field=col)
    except InvalidInput as bad:
        raise _RowFail(col, v, pick(lang, f"不是整数（{bad.message}）", f"expected a whole number ({bad.message})")) from None
    if isinstance(x, float) and not x.is_integer():
        raise _RowFail(col, v, pick(lang, "应为整数", "expected a whole number"))
    return int(x)


def _normalise(
    row: TableRow, hmap: HeaderMap, lang: str, revenue_factor: float | None
) -> dict[str, Any]:
    """One register row as census values (strings, numbers), or _RowFail naming the cell."""
    col = hmap.column_of
    v = row.values
    out: dict[str, Any] = {}
    for f, c in col.items():
        text = v.get(c, "") or ""
        out[f] = "" if _empty(text) else text.strip()
    out["_row"] = row.number
    out["_cells"] = {f: out[f] for f in col}  # as written, for error messages
    name = out.get("name", "")
    if not name:
        raise _RowFail(col.get("name", "name"), "", pick(lang, "企业名称为空", "the enterprise name is empty"))
    if len(name) > 200:
        raise _RowFail(col["name"], name, pick(lang, "名称超过200个字符", "name longer than 200 characters"))
    cc = out.get("credit_code", "")
    if cc:
        cc = re.sub(r"\s+", "", cc).upper()
        if not is_valid_credit_code(cc):
            raise _RowFail(
                col["credit_code"], out["credit_code"],
                pick(lang, "统一社会信用代码无效：应为18位且校验位符合 GB 32100-2015",
                     "invalid 统一社会信用代码: expected 18 characters with a GB 32100-2015 check character"),
            )
        out["credit_code"] = cc
    code = out.get("industry_code", "")
    if code:
        m = _INDUSTRY.match(code)
        if m is None:
            raise _RowFail(
                col["industry_code"], code,
                pick(lang, "行业代码应为 GB/T 4754-2017 的2至4位数字（如 3216）",
                     "industry code: expected 2 to 4 digits of GB/T 4754-2017 (e.g. 3216)"),
            )
        out["industry_code"] = m.group(1)
    if out.get("founded"):
        y = _year(out["founded"])
        if y is None:
            raise _RowFail(
                col["founded"], out["founded"],
                pick(lang, "成立日期应为年份或日期（如 2010-05-12）", "founded: expected a year or a date (e.g. 2010-05-12)"),
            )
        out["founded"] = y
    if out.get("employees"):
        out["employees"] = _int(out["employees"], col["employees"], lang)
    if out.get("revenue"):
        if revenue_factor is None:
            out["revenue_raw"] = out.pop("revenue")
        else:
            text = out["revenue"]
            try:
                x = int(text) if text.isdigit() and text.isascii() else parse_number(text, field=col["revenue"])
            except InvalidInput as bad:
                raise _RowFail(col["revenue"], out["revenue"], bad.message) from None
            out["revenue"] = round(float(x) * revenue_factor, 6)
    if out.get("stage"):
        st = parse_stage(out["stage"])
        if st is None:
            raise _RowFail(
                col["stage"], out["stage"],
                pick(lang, "阶段应为 投产 / 在建 / 已签约", "stage: expected 投产 (producing), 在建 (construction) or 已签约 (signed)"),
            )
        out["stage"] = st
    if out.get("group") and len(out["group"]) > 200:
        raise _RowFail(col["group"], out["group"], pick(lang, "母公司名称超过200个字符", "group name longer than 200 characters"))
    return out


# ---------------------------------------------------------------------------
# the use case
# ---------------------------------------------------------------------------


def import_census(
    store: Store,
    raw: bytes,
    *,
    filename: str,
    data: ChainData | None = None,
    register_kind: str | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    assign: Assigner | None = None,
    auto_accept: float | None = None,
    k: int = 3,
    complete: bool = False,
    limits: Limits | None = None,
    now: dt.datetime | None = None,
    lang: str = "zh",
    review_model: bool | None = None,
) -> CensusResult:
    """Import a register file into ``store`` (see the module notes).

    ``review_model``: blend the engine with the model trained on the review decisions
    (default: on unless ``CHAINMAP_CENSUS_REVIEW_MODEL=off``; only when ``assign`` is None).

    Raises InvalidInput for an unreadable file, a header without a name column, an unknown
    ``register_kind``, a file without data rows, or -- unless ``skip_invalid`` or
    ``dry_run`` -- any row error (then nothing is written)."""
    from chainmap.data import chain_data_from_store

    if register_kind is not None and register_kind not in REGISTER_KINDS:
        raise InvalidInput(
            f"unknown register kind {register_kind!r}; expected one of {', '.join(REGISTER_KINDS)}",
            field="register_kind",
        )
    auto_accept = auto_accept_default() if auto_accept is None else auto_accept
    if data is None:
        data = chain_data_from_store(store)
    own_assigner = assign is None
    labels: list[Any] = []
    if assign is None:
        if review_model_enabled() if review_model is None else review_model:
            labels = review_training(store, data)
        assign = default_assigner(data, labels=labels)
    try:
        with frozen_heap():  # full collections scan the import's objects only (chainmap.limits.heap)
            return _import_census(
                store, raw, filename=filename, data=data, register_kind=register_kind, dry_run=dry_run,
                skip_invalid=skip_invalid, assign=assign, auto_accept=auto_accept, k=k, complete=complete,
                limits=limits, now=now, lang=lang, n_labels=len(labels),
            )  # fmt: skip
    finally:
        release = getattr(assign, "clear_cache", None) if own_assigner else None
        if callable(release):
            release()  # the engine is kept for the next import, not the texts it saw


def _import_census(
    store: Store,
    raw: bytes,
    *,
    filename: str,
    data: ChainData,
    register_kind: str | None,
    dry_run: bool,
    skip_invalid: bool,
    assign: Assigner,
    auto_accept: float,
    k: int,
    complete: bool,
    limits: Limits | None,
    now: dt.datetime | None,
    lang: str,
    n_labels: int = 0,
) -> CensusResult:
    from chainmap.data import data_revision
    from chainmap.enterprise_import import enterprise_id

    threshold = auto_accept
    stamp = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0).isoformat()

    table = iter_table(raw, filename=filename, limits=limits)
    hmap = map_header(table.header)
    if "name" not in hmap.column_of:
        raise InvalidInput(
            "no enterprise-name column: expected one of 单位详细名称, 企业名称, 名称, name",
            file=filename, field="name", row=1,
            hint=pick(lang, "第一行应为表头，并包含企业名称列", "the first row must be a header with a name column"),
        )
    kind = register_kind or guess_register_kind(hmap)
    result = CensusResult(
        file=filename, encoding=table.encoding, register_kind=kind, dry_run=dry_run, columns=hmap,
        import_id=census_import_id(raw),
    )
    revenue_factor: float | None = None
    if "revenue" in hmap.column_of:
        unit = hmap.units.get("revenue")
        revenue_factor = UNIT_TO_YI.get(unit or "")
        if revenue_factor is None:
            result.warnings.append(pick(
                lang,
                f"「{hmap.column_of['revenue']}」未注明单位（亿元/万元/千元），数值原样保存在 attributes.revenue_raw",
                f"column {hmap.column_of['revenue']!r} names no unit (亿元/万元/千元): values kept as text in attributes.revenue_raw",
            ))

    # 1. read and normalise
    rows: list[dict[str, Any]] = []
    for item in text_rows(table):
        if item is None:
            result.blank_rows += 1
            continue
        result.rows += 1
        if isinstance(item, RowError):
            result.errors.append(item)
            continue
        try:
            rows.append(_normalise(item, hmap, lang, revenue_factor))
        except _RowFail as bad:
            result.errors.append(RowError(row=item.number, column=bad.column, value=shown_value(bad.value), reason=bad.reason))
    if result.rows == 0:
        raise InvalidInput(
            "the file has a header but no data rows; nothing was imported", file=filename,
            hint=pick(lang, "请在表头下填写企业数据", "add rows under the header"),
        )

    # 2. inactive firms
    active = []
    for r in rows:
        mark = inactive_status(r.get("reg_status"))
        if mark:
            result.skipped.append({"row": r["_row"], "name": r["name"], "kind": mark, "value": r["reg_status"],
                                   "reason": pick(lang, f"登记状态为{mark}，不导入", f"registration status {mark}: not imported")})
        else:
            active.append(r)

    # 3. regions
    resolver = RegionResolver(data.regions)
    prepare_all(resolver, active)
    placed = []
    for r in active:
        p = resolver.resolve(county=r.get("county", ""), zone=r.get("zone", ""), address=r.get("address", ""),
                             town=r.get("town", ""))
        if p.error:
            colname = hmap.column_of.get(p.error_column or "county", p.error_column or "county")
            result.errors.append(RowError(row=r["_row"], column=colname, value=p.error_value, reason=_region_reason(p, lang)))
            continue
        if p.outside:
            result.skipped.append({"row": r["_row"], "name": r["name"], "kind": "outside", "value": p.outside,
                                   "reason": pick(lang, f"位于运城市以外（{p.outside}），不作为本地企业导入",
                                                  f"outside 运城 ({p.outside}): not imported as a local firm")})
            continue
        r["_county"], r["_zone"], r["_park"] = p.county, p.zone, p.park
        placed.append(r)

    # 4. duplicates within the file
    norm_names: dict[str, str] = {}  # a re-import meets each name twice: in the file and in the store

    def norm_name(name: str) -> str:
        key = norm_names.get(name)
        if key is None:
            key = norm_names[name] = normalize_company_name(name)
        return key

    firms: list[dict[str, Any]] = []
    by_cc: dict[str, int] = {}
    by_name: dict[str, int] = {}
    for r in placed:
        r["_norm"] = norm_name(r["name"])
        cc = r.get("credit_code") or None
        idx = by_cc.get(cc) if cc else None
        if idx is None:
            j = by_name.get(r["_norm"])
            if j is not None and (not cc or not firms[j].get("credit_code")):
                idx = j
        if idx is None:
            idx = len(firms)
            firms.append(r)
        else:
            merge_rows(firms[idx], r)
            result.duplicates_merged += 1
        if cc:
            by_cc.setdefault(cc, idx)
        by_name.setdefault(r["_norm"], idx)

    if result.errors:
        result.errors.sort(key=lambda e: e.row)
        if not skip_invalid:
            result.refused = True
            if not dry_run:
                raise InvalidInput(
                    f"{len(result.errors)} invalid value(s) in {len({e.row for e in result.errors})} row(s); nothing was imported",
                    file=filename, errors=result.errors,
                    hint=pick(lang, "请修正所列行后重新导入，或使用 --skip-invalid 只导入有效行",
                              "fix the rows listed, or import the valid rows with --skip-invalid"),
                )
    if not firms and not result.skipped and not result.errors:
        raise InvalidInput("the file has no data rows; nothing was imported", file=filename)

    # 5. existing enterprises
    existing_cc: dict[str, Enterprise] = {}
    existing_name: dict[str, Enterprise] = {}
    current = data.revision is not None and data.revision == data_revision(store)
    for ent in data.enterprises if current else store.iter_enterprises():  # the read model, when up to date
        if ent.credit_code:
            existing_cc[ent.credit_code] = ent
        existing_name.setdefault(norm_name(ent.name), ent)

    # 6. build, assign, merge
    blend_info = getattr(assign, "info", None)
    prepare = getattr(assign, "prepare", None)
    if callable(prepare):  # the review model: its probabilities for all firms at once
        prepare([{"name": r["name"], "industry_code": r.get("industry_code") or None,
                  "industry_name": r.get("industry_name") or None, "products": r.get("products") or None,
                  "scope": r.get("scope") or None} for r in firms])  # fmt: skip
    status_changed = 0
    segment_ids = set(data.segment_by_id)
    regions_seen: set[str] = set()
    codes_seen: set[str] = set()
    to_write: list[Enterprise] = []
    for r in firms:
        old = existing_cc.get(r["credit_code"]) if r.get("credit_code") else None
        if old is None:
            cand = existing_name.get(r["_norm"])
            if cand is not None and (not cand.credit_code or not r.get("credit_code")):
                old = cand
        presences = []
        for a in assign(name=r["name"], industry_code=r.get("industry_code") or None,
                        industry_name=r.get("industry_name") or None, products=r.get("products") or None,
                        scope=r.get("scope") or None, k=k):
            if a.segment not in segment_ids:
                continue
            conf = float(a.confidence)
            auto = conf >= threshold and a.method is not AssignmentMethod.model  # the model alone: to review
            before = getattr(a, "engine_confidence", None)
            if before is not None and (before >= threshold) != auto:
                status_changed += 1
            presences.append(SegmentPresence(
                segment=a.segment, role=a.role, method=a.method, confidence=round(min(1.0, max(0.0, conf)), 3),
                status=AssignmentStatus.auto if auto else AssignmentStatus.pending,
                evidence=list(a.evidence),
            ))
        attrs: dict[str, Any] = {}
        for key in ("products", "scope", "industry_name", "address", "reg_status", "capital", "town", "revenue_raw"):
            if r.get(key):
                attrs[key] = r[key]
        if r.get("_park"):
            attrs["park"] = r["_park"]
        attrs["census"] = {
            "register": kind, "file": filename, "row": r["_row"], "import_id": result.import_id,
            "imported_at": stamp, "first_imported_at": stamp, "created": True, "unassigned": not presences,
        }
        fields: dict[str, Any] = {
            "id": old.id if old is not None else enterprise_id(r["name"], r.get("credit_code") or None),
            "name": r["name"], "credit_code": r.get("credit_code") or None,
            "county": r["_county"], "zone": r["_zone"], "industry_code": r.get("industry_code") or None,
            "group": r.get("group") or None, "revenue": r.get("revenue") or None,
            "employees": r.get("employees") if r.get("employees") not in ("", None) else None,
            "founded": r.get("founded") or None, "segments": presences, "attributes": attrs,
            "source": r.get("source") or f"{kind}：{filename}",  # data, not UI text: the same in every language
        }
        if r.get("stage"):
            fields["stage"] = r["stage"]
        try:
            new = Enterprise.model_validate(fields)
        except ValidationError as err:
            for detail in err.errors():
                f = str(detail["loc"][0]) if detail["loc"] else ""
                shown = r["_cells"].get(f, fields.get(f))
                result.errors.append(RowError(row=r["_row"], column=hmap.column_of.get(f, f), value=shown_value(shown),
                                              reason=detail["msg"].removeprefix("Value error, ")))
            continue
        merged, changes = merge_enterprise(old, new)
        for reg in (merged.county, merged.zone):
            if reg:
                regions_seen.add(reg)
        if merged.industry_code:
            codes_seen.add(merged.industry_code)
        entry = _item(r["_row"], merged)
        if old is None:
            result.new.append(entry)
            to_write.append(merged)
        elif changes:
            entry["changes"] = changes
            result.updated.append(entry)
            to_write.append(merged)
        else:
            result.unchanged.append({"row": r["_row"], "id": merged.id, "name": merged.name})
    if result.errors and not skip_invalid:
        result.refused = True
        if not dry_run:
            raise InvalidInput(
                f"{len(result.errors)} invalid value(s); nothing was imported", file=filename, errors=result.errors,
            )
    result.errors.sort(key=lambda e: e.row)
    for bad_row in result.errors:  # a refused row, when skipping, is also listed as skipped
        if skip_invalid:
            result.skipped.append({"row": bad_row.row, "name": "", "kind": "invalid", "value": bad_row.value,
                                   "reason": f"{bad_row.column}: {bad_row.reason}"})
    result.coverage = {
        "register_kind": kind,
        "regions": sorted(regions_seen),
        "industry_codes": sorted(codes_seen),
        "rows": result.rows,
        "imported_at": stamp,
        "file": filename,
        "complete": bool(complete),
        "counts": result.counts(),
    }
    if callable(blend_info):
        info = dict(blend_info())
        info["changed"] = status_changed + int(info.get("displaced", 0))
        result.review_model = info
        result.warnings.append(pick(
            lang,
            f"复核模型：依据 {info['labels']} 条已确认标注（权重 {info['weight']:.2f}），新增待审核环节 {info['added']} 个，"
            f"改变自动归属 {info['changed']} 个（模型提出的环节一律待审核）",
            f"review model: {info['labels']} confirmed labels (weight {info['weight']:.2f}); it added {info['added']} "
            f"assignment(s) to review and changed {info['changed']} (what the model alone proposes is always pending)",
        ))
    else:
        result.review_model = {"active": False, "labels": n_labels}
    result.coverage["counts"] = result.counts()
    result.enterprises = to_write
    if not dry_run:
        store.bulk_upsert(enterprises=to_write, records=[(COVERAGE_KIND, result.import_id, result.coverage)])
        result.written = True
    return result


def _region_reason(p: Any, lang: str) -> str:
    if p.error_column == "county" and not p.error_value:
        return pick(lang, "缺少地区：需要 县(市、区)、开发区/园区 或 注册地址", "no region: expected 县(市、区), 开发区/园区 or 注册地址")
    return pick(lang, f"无法识别的地区 {p.error_value!r}：不是运城市的县（市、区）或开发区",
                f"unknown region {p.error_value!r}: not a county or development zone of 运城")


def _item(row: int, e: Enterprise) -> dict[str, Any]:
    return {
        "row": row, "id": e.id, "name": e.name, "credit_code": e.credit_code, "county": e.county, "zone": e.zone,
        "stage": e.stage.value, "group": e.group,
        "segments": [
            {"segment": p.segment, "role": p.role.value, "status": p.status.value, "confidence": p.confidence,
             "method": p.method.value, "evidence": list(p.evidence)}
            for p in e.segments
        ],
        "unassigned": not e.segments,
    }


def coverage_records(store: Store) -> list[dict[str, Any]]:
    """The coverage records of every census import (kind ``census_import``)."""
    return store.list_records(COVERAGE_KIND)


REPORT_COLUMNS = ("kind", "row", "id", "name", "column", "value", "reason")


def errors_csv(errors: Iterable[RowError]) -> str:
    """Row errors as CSV text (``kind,row,id,name,column,value,reason``; formula-safe)."""
    import io

    from chainmap.safe_output import safe_csv_writer

    buf = io.StringIO()
    w = safe_csv_writer(buf)
    w.writerow(REPORT_COLUMNS)
    for e in errors:
        w.writerow(["error", e.row, "", "", e.column, "" if e.value is None else e.value, e.reason])
    return buf.getvalue()


def report_csv(result: CensusResult) -> str:
    """The rows worth a look, as CSV: errors, skipped rows, unassigned and pending firms (formula-safe)."""
    import io

    from chainmap.safe_output import safe_csv_writer

    buf = io.StringIO()
    w = safe_csv_writer(buf)
    w.writerow(REPORT_COLUMNS)
    for e in result.errors:
        w.writerow(["error", e.row, "", "", e.column, "" if e.value is None else e.value, e.reason])
    for s in result.skipped:
        w.writerow(["skipped", s["row"], "", s["name"], "", s.get("value") or "", s["reason"]])
    for it in result.new + result.updated:
        if it["unassigned"]:
            w.writerow(["unassigned", it["row"], it["id"], it["name"], "", "", "no segment assigned"])
        for p in it["segments"]:
            if p["status"] == AssignmentStatus.pending.value:
                w.writerow(["pending", it["row"], it["id"], it["name"], "segment", p["segment"],
                            f"confidence {p['confidence']}: {'; '.join(p['evidence'])}"])
    return buf.getvalue()


def report_json(doc: Mapping[str, Any]) -> str:
    import json

    return json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n"
