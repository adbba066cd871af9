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
stores differ only in their header.

API keys
--------
``record:api_key`` lines (key hashes and roles) are left out of an export
unless ``include_keys=True`` (CLI ``--include-keys``), and an import refuses a
file holding any unless ``include_keys=True``: importing a key activates it,
so a foreign export could otherwise plant an admin key.  With the flag the
keys are imported and the result carries a warning.

Validation (nothing is written if anything is wrong)
----------------------------------------------------
:func:`import_jsonl` reads every line first (through
:func:`chainmap.limits.loads_json`: nesting depth and number budgets, no
``NaN``/``Infinity``) and checks it:

* graph objects with their models (:class:`~chainmap.models.Chain` ...);
* records with the model of their kind: ``project``, ``followup`` and
  ``target`` with :mod:`chainmap.projects.models`; ``candidate`` with the shape
  the matching layer reads (:class:`CandidateShape`); ``api_key`` with
  :class:`ApiKeyShape` (a known role, a 64-hex hash); ``lead``,
  ``import_report`` and ``meta`` need only a string id;
* ids unique per kind within the file;
* the graph invariants of ``chainmap seed check``
  (:func:`chainmap.seed.validate_data`: unknown chains, parents, segments,
  regions and counties, ``part_of`` cycles, zone-county consistency) plus
  chain and region ``parent`` cycles, over the data as it will be *after* the
  import (the store's objects overlaid with the file's), and for enterprises
  their segment and region references and credit codes unique across store
  and file; problems the store already had before are not blamed on the file;
* the references of records: a project's segment, county and zone, a
  follow-up's project.

Every problem is reported as ``file:line: kind: field: reason``
(:class:`ImportProblem`); they come together in one
:class:`ImportRefused` (an ``InvalidInput``).  Then everything is written with
one ``bulk_upsert``: all or nothing.

>>> import io
>>> from chainmap.storage.sqlite import SQLiteStore
>>> src, dst = SQLiteStore(":memory:"), SQLiteStore(":memory:")
>>> src.put_record("meta", "m1", {"note": "n"})
>>> buf = io.StringIO()
>>> export_jsonl(src, buf)["records"]
1
>>> _ = buf.seek(0)
>>> import_jsonl(dst, buf)["records"]
1
>>> dst.get_record("meta", "m1")
{'id': 'm1', 'note': 'n'}
>>> bad = io.StringIO(buf.getvalue() + '{"kind": "record:target", "data": {"id": "1999.city", "year": 1999}}\\n')
>>> bad.name = "x.jsonl"
>>> import_jsonl(dst, bad)
Traceback (most recent call last):
...
chainmap.storage.transfer.ImportRefused: x.jsonl:3: record:target: year: Input should be greater than or equal to 2000
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any, Literal

import networkx as nx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chainmap.data import ChainData
from chainmap.exceptions import InvalidInput
from chainmap.limits import Limits, loads_json
from chainmap.models import Chain, CreditCode, Enterprise, Link, Region, Segment
from chainmap.policies import Policy
from chainmap.projects.models import FollowUp, Project, Target
from chainmap.seed import validate_data
from chainmap.storage.base import RECORD_KINDS, SCHEMA_VERSION, Store

__all__ = [
    "export_jsonl",
    "import_jsonl",
    "validate_record",
    "TransferCounts",
    "ImportProblem",
    "ImportRefused",
    "CandidateShape",
    "ApiKeyShape",
    "API_KEY_ROLES",
    "FORMAT",
    "VERSION",
    "MAX_PROBLEMS",
]

FORMAT = "chainmap-export"
VERSION = 1
#: Problems collected before the scan stops listing them (the count goes on).
MAX_PROBLEMS = 1000
#: Roles an API key may have (the API's ``api.keys.ROLES``; chainmap cannot import api).
API_KEY_ROLES = ("viewer", "taskforce", "planner", "admin")

_MODELS: dict[str, type[BaseModel]] = {
    "chain": Chain, "region": Region, "segment": Segment, "link": Link, "enterprise": Enterprise
}
_COUNT_KEYS = {"chain": "chains", "region": "regions", "segment": "segments", "link": "links",
               "enterprise": "enterprises"}
_KEYS_FLAG = "include_keys=True (CLI: --include-keys)"

PathOrFile = str | os.PathLike[str] | IO[str]


class TransferCounts(dict[str, int]):
    """Counts per kind (``chains`` ... ``records``), plus :attr:`warnings` for the user."""

    def __init__(self, counts: Mapping[str, int] | None = None, warnings: Iterable[str] = ()) -> None:
        super().__init__(counts or {})
        self.warnings: list[str] = list(warnings)


# ---------------------------------------------------------------- record shapes
class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class _MappedSegment(BaseModel):
    model_config = ConfigDict(extra="allow", allow_inf_nan=False)

    segment: str = Field(min_length=1)
    confidence: float = Field(default=0.0, ge=0, le=1)
    method: str | None = None


_Count = int | None
_Amount = float | None


class CandidateShape(BaseModel):
    """What the matching layer reads from a stored ``candidate`` record (see
    ``matching.candidates``); other fields are kept (``extra`` allowed), the
    ones named here must have these types."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False, strict=True)

    id: str = Field(min_length=1)
    name: str = Field(min_length=1, max_length=200)
    name_norm: str | None = None
    credit_code: CreditCode = None
    hq_province: str | None = None
    hq_city: str | None = None
    main_products: str | None = None
    source: str | None = None
    segments: list[str] = Field(default_factory=list)
    mapped_segments: list[_MappedSegment] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    risk_flags: list[str] = Field(default_factory=list)
    revenue_cny_100m: _Amount = Field(default=None, ge=0)
    revenue_growth: _Amount = None
    employees: _Count = Field(default=None, ge=0)
    founded_year: _Count = Field(default=None, ge=1800, le=2100)
    valuation_usd_bn: _Amount = Field(default=None, ge=0)
    expansions_3y: _Count = Field(default=None, ge=0)
    shanxi_presence: bool | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)


class ApiKeyShape(_Shape):
    """A stored ``api_key`` record (``api.keys``): role, sha256 hex hash, label, dates."""

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9]+$")
    role: Literal["viewer", "taskforce", "planner", "admin"]
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    label: str = Field(default="", max_length=200)
    created: dt.datetime | None = None
    revoked: dt.datetime | None = None


class _IdOnly(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1)


_RECORD_MODELS: dict[str, type[BaseModel]] = {
    "project": Project, "followup": FollowUp, "target": Target, "candidate": CandidateShape,
    "api_key": ApiKeyShape, "lead": _IdOnly, "import_report": _IdOnly, "meta": _IdOnly,
    "policy": Policy, "census_import": _IdOnly,
}


def _loc(loc: Iterable[int | str]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def validate_record(kind: str, data: Mapping[str, Any]) -> list[tuple[str | None, str]]:
    """``(field, reason)`` problems of one record of ``kind`` (its data including ``id``); [] if valid.

    >>> validate_record("api_key", {"id": "k1", "role": "root", "hash": "ab"})[0]
    ('role', "Input should be 'viewer', 'taskforce', 'planner' or 'admin'")
    >>> validate_record("target", {"id": "2021.city", "year": 2021})
    []
    """
    if kind not in _RECORD_MODELS:
        return [("kind", f"unknown record kind {kind!r}")]
    rid = data.get("id")
    if not isinstance(rid, str) or not rid:
        return [("id", "a record needs a string id")]
    body = {k: v for k, v in data.items() if k != "id"} if kind == "target" else data
    try:
        model = _RECORD_MODELS[kind].model_validate(body)
    except ValidationError as err:
        return [(_loc(e["loc"]) or None, e["msg"]) for e in err.errors()]
    if isinstance(model, Target) and model.record_id != rid:
        return [("id", f"a target's id must be {model.record_id!r} (year.region), got {rid!r}")]
    return []


# ---------------------------------------------------------------- problems
@dataclass(frozen=True)
class ImportProblem:
    """One problem of an import file, located by line (``line`` None: a store object)."""

    file: str
    line: int | None
    kind: str | None
    field: str | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return ": ".join(p for p in (where, self.kind, self.field, self.reason) if p)

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "kind": self.kind, "field": self.field, "reason": self.reason}


class ImportRefused(InvalidInput):
    """An import file with problems; nothing was written.

    :attr:`problems` lists them (at most :data:`MAX_PROBLEMS`, :attr:`total`
    counts all); the context (``file``, ``line``, ``field``, ``kind``) is the first's.
    """

    def __init__(self, problems: list[ImportProblem], *, total: int | None = None, hint: str | None = None) -> None:
        self.problems = list(problems)
        self.total = total if total is not None else len(self.problems)
        first = self.problems[0]
        super().__init__(first.reason, hint=hint, file=first.file, line=first.line, field=first.field,
                         kind=first.kind)

    def _render(self) -> str:
        lines = [str(p) for p in self.problems[:50]]
        if self.total > 50:
            lines.append(f"... {self.total - 50} more / 另有 {self.total - 50} 处")
        if self.total > 1:
            lines.append(f"{self.total} problems; nothing was imported / 共 {self.total} 处问题，未导入任何数据")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["problems"] = [p.to_dict() for p in self.problems]
        out["total"] = self.total
        return out


# ---------------------------------------------------------------- export
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


def export_jsonl(store: Store, path_or_file: PathOrFile, *, include_keys: bool = False) -> TransferCounts:
    """Write every object of ``store`` as JSON Lines; returns counts per kind.

    Parameters
    ----------
    store : Store
        Any backend.
    path_or_file : path or text file
        Destination (a path is created or overwritten).
    include_keys : bool
        Also write the ``api_key`` records (hashes and roles); left out by
        default, and then the result's ``warnings`` say how many.

    Returns
    -------
    TransferCounts
        ``{"chains", "regions", "segments", "links", "enterprises", "records"}``.
    """
    counts = TransferCounts(dict.fromkeys([*_COUNT_KEYS.values(), "records"], 0))
    skipped = 0
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
            if kind == "record:api_key" and not include_keys:
                skipped += 1
                continue
            data = obj.model_dump(mode="json") if isinstance(obj, BaseModel) else obj
            fh.write(json.dumps({"kind": kind, "data": data}, ensure_ascii=False, sort_keys=True) + "\n")
            counts[_COUNT_KEYS.get(kind, "records")] += 1
    if skipped:
        counts.warnings.append(
            f"未导出 {skipped} 个 API 密钥（需要时加 --include-keys）/ "
            f"left out {skipped} API keys (add --include-keys to export them)"
        )
    return counts


# ---------------------------------------------------------------- import: the scan
def _check_header(text: str, name: str, limits: Limits | None) -> None:
    try:
        header = loads_json(text, limits)
    except InvalidInput:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise InvalidInput(f'first line must be the header {{"format": "{FORMAT}", ...}}', file=name, line=1)
    version = header.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1 or version > VERSION:
        raise InvalidInput(
            f"unsupported export version {version!r} (this chainmap reads up to {VERSION})",
            file=name, line=1, field="version",
        )


def _lines(fh: IO[str]) -> Iterator[tuple[int, str]]:
    for number, text in enumerate(fh, start=1):
        if text.strip():
            yield number, text


def _parse(text: str, name: str, line: int, limits: Limits | None) -> tuple[str, Any]:
    """(kind, model or record dict) of one object line; InvalidInput naming the line and field."""
    obj = loads_json(text, limits, filename=name, line=line)
    if not isinstance(obj, dict) or set(obj) != {"kind", "data"}:
        raise InvalidInput('expected an object {"kind": ..., "data": ...}', file=name, line=line)
    kind, data = obj["kind"], obj["data"]
    if not isinstance(kind, str):
        raise InvalidInput(f"kind must be a string, got {type(kind).__name__}", file=name, line=line, field="kind")
    if not isinstance(data, dict):
        raise InvalidInput("data must be an object", file=name, line=line, field="data")
    if kind.startswith("record:"):
        rkind = kind.removeprefix("record:")
        if rkind not in RECORD_KINDS:
            raise InvalidInput(f"unknown record kind {rkind!r}", file=name, line=line, field="kind")
        return kind, data
    if kind not in _MODELS:
        raise InvalidInput(f"unknown kind {kind!r}", file=name, line=line, field="kind")
    return kind, _MODELS[kind].model_validate(data)


def _parent_cycle(items: Iterable[Chain | Region]) -> list[str] | None:
    graph = nx.DiGraph((i.id, i.parent) for i in items if i.parent)
    try:
        return [u for u, _ in nx.find_cycle(graph)]
    except nx.NetworkXNoCycle:
        return None


@dataclass
class _EnterpriseRefs:
    line: int
    county: str | None
    zone: str | None
    segments: list[str]


class _Scan:
    """First pass over an import file: every line checked; then the whole-data checks."""

    def __init__(self, store: Store, name: str, *, include_keys: bool, limits: Limits | None) -> None:
        self.store, self.name, self.include_keys, self.limits = store, name, include_keys, limits
        self.problems: list[ImportProblem] = []
        self.total = 0
        self.counts = TransferCounts(dict.fromkeys([*_COUNT_KEYS.values(), "records"], 0))
        self.graph: dict[str, dict[Any, tuple[Any, int]]] = {k: {} for k in ("chain", "region", "segment", "link")}
        self.enterprises: dict[str, _EnterpriseRefs] = {}
        self.codes: dict[str, tuple[str, int]] = {}  # credit code -> (enterprise id, line) in the file
        self.records: dict[tuple[str, str], tuple[dict[str, Any], int]] = {}
        self.line_kind: dict[int, str] = {}
        self.keys = 0

    def add(self, line: int | None, kind: str | None, fld: str | None, reason: str, file: str | None = None) -> None:
        self.total += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(ImportProblem(file or self.name, line, kind, fld, reason))

    # ---- one line
    def line(self, number: int, text: str) -> None:
        try:
            kind, obj = _parse(text, self.name, number, self.limits)
        except ValidationError as err:
            for e in err.errors():
                self.add(number, _kind_of(text), _loc(e["loc"]) or None, e["msg"])
            return
        except InvalidInput as err:
            self.add(number, _kind_of(text), err.context.get("field"), err.message)
            return
        self.line_kind[number] = kind
        if kind.startswith("record:"):
            self.record(number, kind, obj)
            return
        key = obj.key if kind == "link" else obj.id
        other = self.enterprises[key].line if key in self.enterprises and kind == "enterprise" else None
        if kind != "enterprise" and key in self.graph[kind]:
            other = self.graph[kind][key][1]
        if other is not None:
            self.add(number, kind, "id", f"duplicate {kind} {key!r} (also line {other})")
            return
        self.counts[_COUNT_KEYS[kind]] += 1
        if kind != "enterprise":
            self.graph[kind][key] = (obj, number)
            return
        self.enterprises[obj.id] = _EnterpriseRefs(number, obj.county, obj.zone, [p.segment for p in obj.segments])
        if obj.credit_code:
            if obj.credit_code in self.codes:
                other_id, other_line = self.codes[obj.credit_code]
                self.add(number, kind, "credit_code",
                         f"credit code also used by enterprise {other_id!r} (line {other_line})")
            else:
                self.codes[obj.credit_code] = (obj.id, number)

    def record(self, number: int, kind: str, data: dict[str, Any]) -> None:
        rkind = kind.removeprefix("record:")
        problems = validate_record(rkind, data)
        for fld, reason in problems:
            self.add(number, kind, fld, reason)
        if problems:
            return
        if rkind == "api_key":
            self.keys += 1
            if not self.include_keys:
                self.add(number, kind, None,
                         f"API keys are not imported unless {_KEYS_FLAG}: an imported key is active at once / "
                         "导入的密钥会立即生效，确需导入时请加 --include-keys")
                return
        key = (rkind, data["id"])
        if key in self.records:
            self.add(number, kind, "id", f"duplicate {kind} {data['id']!r} (also line {self.records[key][1]})")
            return
        self.records[key] = (data, number)
        self.counts["records"] += 1

    # ---- the whole data
    def check_graph(self) -> tuple[set[str], set[str], dict[str, Region]]:
        """Seed invariants over store + file; returns the final segment ids, region ids and regions."""
        store = self.store
        before: dict[str, dict[Any, Any]] = {
            "chain": {c.id: c for c in store.list_chains()},
            "region": {r.id: r for r in store.list_regions()},
            "segment": {s.id: s for s in store.list_segments()},
            "link": {ln.key: ln for ln in store.list_links()},
        }
        after = {k: v | {key: obj for key, (obj, _) in self.graph[k].items()} for k, v in before.items()}
        origin: dict[tuple[str, str], tuple[str, int | None]] = {}
        for kind, objs in self.graph.items():
            for key, (obj, line) in objs.items():
                oid = f"{obj.source}->{obj.target}" if kind == "link" else key
                origin.setdefault((kind, oid), (self.name, line))

        def data(objs: dict[str, dict[Any, Any]], where: dict[tuple[str, str], tuple[str, int | None]]) -> ChainData:
            return ChainData(chains=list(objs["chain"].values()), regions=list(objs["region"].values()),
                             segments=list(objs["segment"].values()), links=list(objs["link"].values()),
                             enterprises=[], origin=where)

        def found(d: ChainData) -> list[tuple[str, int | None, str | None, str]]:
            out = [(p.file, p.line, p.field, p.message) for p in validate_data(d)
                   if not p.message.startswith("duplicate link")]  # links are keyed by (source, target, kind)
            for kind, items in (("chain", d.chains), ("region", d.regions)):
                cycle = _parent_cycle(items)
                if cycle is not None:
                    at = d.origin.get((kind, cycle[0]), (f"<{kind}>", None))
                    out.append((*at, "parent", f"parent cycle: {' -> '.join([*cycle, cycle[0]])}"))
            return out

        old = {(f, fld, msg) for f, _, fld, msg in found(data(before, {}))}
        for at_file, at_line, fld, msg in found(data(after, origin)):
            if at_line is None and (at_file, fld, msg) in old:
                continue  # the store had this problem before; not the file's doing
            if at_line is None and "cycle: " in msg:  # blame a line of the file that closes the cycle
                nodes = msg.split("cycle: ", 1)[1].split(" -> ")
                kind = at_file.strip("<>")
                edges = zip(nodes, nodes[1:], strict=False)
                keys = [(kind, n) for n in nodes] + [("link", f"{u}->{v}") for u, v in edges]
                at_file, at_line = next((origin[k] for k in keys if k in origin), (at_file, None))
            if at_line is None:
                self.add(None, at_file.strip("<>"), fld, msg, file="<store>")
            else:
                self.add(at_line, self.line_kind.get(at_line), fld, msg, file=at_file)
        return set(after["segment"]), set(after["region"]), after["region"]

    def check_enterprises(self, segments: set[str], regions: set[str], region_by_id: dict[str, Region]) -> None:
        for refs in self.enterprises.values():
            for i, seg in enumerate(refs.segments):
                if seg not in segments:
                    self.add(refs.line, "enterprise", f"segments[{i}].segment", f"unknown segment {seg!r}")
            for fld in ("county", "zone"):
                ref = getattr(refs, fld)
                if ref and ref not in regions:
                    self.add(refs.line, "enterprise", fld, f"unknown region {ref!r}")
            zone = region_by_id.get(refs.zone) if refs.zone else None
            if zone is not None and refs.county and zone.county not in (None, refs.county):
                self.add(refs.line, "enterprise", "zone",
                         f"zone {refs.zone!r} lies in {zone.county!r}, not {refs.county!r}")
        if not self.codes:
            return
        for e in self.store.iter_enterprises():
            if e.credit_code in self.codes and e.id not in self.enterprises:
                _, line = self.codes[e.credit_code]
                self.add(line, "enterprise", "credit_code",
                         f"credit code already belongs to stored enterprise {e.id!r}")

    def check_record_refs(self, segments: set[str], regions: set[str]) -> None:
        projects: set[str] | None = None
        for (rkind, _rid), (data, line) in self.records.items():
            if rkind == "project":
                for fld, known in (("segment", segments), ("county", regions), ("zone", regions)):
                    ref = data.get(fld)
                    if ref is not None and ref not in known:
                        what = "segment" if fld == "segment" else "region"
                        self.add(line, "record:project", fld, f"unknown {what} {ref!r}")
            elif rkind == "followup":
                if projects is None:
                    projects = {r["id"] for r in self.store.list_records("project")}
                    projects |= {rid for k, rid in self.records if k == "project"}
                if data.get("project") not in projects:
                    self.add(line, "record:followup", "project", f"unknown project {data.get('project')!r}")

    def refusal(self) -> ImportRefused | None:
        if not self.problems:
            return None
        hint = None
        if self.keys and not self.include_keys:
            hint = "the file holds API keys: import them with --include-keys if you trust it, or remove those lines"
        ordered = sorted(self.problems, key=lambda p: (p.line is None, p.line or 0))  # stable: same line keeps order
        return ImportRefused(ordered, total=self.total, hint=hint)


def _kind_of(text: str) -> str | None:
    """The ``kind`` of a line for a problem report, when it can be told."""
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        return None
    kind = obj.get("kind") if isinstance(obj, dict) else None
    return kind if isinstance(kind, str) and len(kind) <= 40 else None


def _scan(store: Store, fh: IO[str], name: str, *, include_keys: bool, limits: Limits | None) -> _Scan:
    lines = _lines(fh)
    first = next(lines, None)
    if first is None:
        raise InvalidInput("empty file: expected the chainmap-export header", file=name, line=1)
    _check_header(first[1], name, limits)
    scan = _Scan(store, name, include_keys=include_keys, limits=limits)
    for number, text in lines:
        scan.line(number, text)
    segments, regions, region_by_id = scan.check_graph()
    scan.check_enterprises(segments, regions, region_by_id)
    scan.check_record_refs(segments, regions)
    return scan


def _enterprises(fh: IO[str], start: int, name: str, limits: Limits | None) -> Iterator[Enterprise]:
    """Second pass: the enterprises (lines already validated)."""
    fh.seek(start)
    lines = _lines(fh)
    next(lines, None)  # header
    for number, text in lines:
        if '"enterprise"' in text:
            kind, obj = _parse(text, name, number, limits)
            if kind == "enterprise":
                yield obj


def import_jsonl(
    store: Store,
    path_or_file: PathOrFile,
    *,
    include_keys: bool = False,
    limits: Limits | None = None,
) -> TransferCounts:
    """Validate a chainmap export, then write all of it with one ``bulk_upsert`` (all or nothing).

    Objects are upserted (existing objects with the same ids are replaced;
    others are kept).  Nothing is written if any line is invalid or the data
    after the import would break an invariant (see the module doc).

    Parameters
    ----------
    include_keys : bool
        Import ``api_key`` records too (refused otherwise, naming the lines);
        the result's ``warnings`` then say how many keys became active.
    limits : Limits, optional
        Parser budgets (default :data:`chainmap.limits.DEFAULT_LIMITS`).

    Returns
    -------
    TransferCounts
        Counts per kind, as :func:`export_jsonl`, and ``warnings``.

    Raises
    ------
    ImportRefused
        (an InvalidInput) listing every problem as ``file:line: kind: field: reason``.
    InvalidInput
        an unreadable file, or a bad header (line 1).
    """
    with _opened(path_or_file, "r") as (fh, name):
        if not fh.seekable():
            fh = io.StringIO(fh.read())
        start = fh.tell()
        scan = _scan(store, fh, name, include_keys=include_keys, limits=limits)
        refusal = scan.refusal()
        if refusal is not None:
            raise refusal
        counts = scan.counts
        small = {k: [obj for obj, _ in v.values()] for k, v in scan.graph.items()}
        records = [(kind, rid, data) for (kind, rid), (data, _) in scan.records.items()]
        store.bulk_upsert(  # one call: all or nothing (Neo4j: in several transactions if big)
            chains=small["chain"], regions=small["region"], segments=small["segment"], links=small["link"],
            enterprises=_enterprises(fh, start, name, limits), records=records,
        )
    if scan.keys:
        counts.warnings.append(
            f"已导入 {scan.keys} 个 API 密钥，它们现已生效；请用 `chainmap keys list` 核对并吊销不认识的密钥 / "
            f"imported {scan.keys} API keys, active now: review them (`chainmap keys list`) and revoke any you "
            "do not know"
        )
    return counts
