"""Coverage of the local census and the presence state of every (region, segment).

The gap map is only as true as its census of local firms.  This module says, from
the read model (:class:`chainmap.data.ChainData`, whose ``census`` holds the
``census_import`` and ``absence_confirmation`` records), what is known:

registers
    each import of a local register stores a ``census_import`` record:
    ``{"register_kind": "规上名录" | "企查查" | "园区名单" | "专业镇", "regions": [region ids],
    "industry_codes": [4-digit GB/T 4754-2017 codes covered, [] = all], "rows": n,
    "imported_at": ISO date, "file": name, "complete": bool}``.
presence state of a segment in a region (exactly one)
    ``present``  a local firm counts as a producer there (the presence rule,
                 :meth:`chainmap.models.Enterprise.presences`; for an adopter segment any
                 local firm recorded in it);
    ``absent``   no local producer, and the absence is *verified*: a planner confirmed it
                 (an ``absence_confirmation`` record ``{"region", "segment", "by", "at",
                 "note", "source"?}``, basis ``planner``), or a *complete* register covering
                 the segment's industry and the region was imported (basis ``register``);
    ``unknown``  no local producer and nothing verifies the absence: no register imported
                 (``no_register``), only incomplete ones (``incomplete``), complete ones that
                 do not cover the segment's industry codes (``codes``), or assignments of the
                 segment waiting for review in the region (``pending``, which outranks a
                 register: a firm may be about to be placed there).

A register or a confirmation *covers* a region when it names the region, the city, the
county a zone lies in, or (for the city) every county.  A register covers a segment when
its ``industry_codes`` is empty (all industries) or holds every code the concordance
``graph_seed/industry_codes.csv`` (columns ``code``, ``segment`` …) lists for the segment;
without the concordance (or for a segment it does not list) only an all-industry register
covers it.

The gap analysis takes its absences from :func:`absence_rule` (through the
``absence_confirmed`` hook of :func:`chainmap.analysis.gaps.analyze_gaps`): an unknown
absence is 待核实 (``unverified``), never a confirmed 补链 / 延链 / 暂不布局, and its rationale
names what to import.  On the shipped seed no register is imported and the seed states
no absence with a source, so every absence is unknown (``本地企业名录未导入``) until a
register is imported or a planner confirms the absence (``chainmap review absent``).

>>> from chainmap.models import Chain, Segment, Enterprise, Region
>>> d = ChainData(
...     chains=[Chain(id="qi", name_zh="汽车", name_en="Vehicles", letter="汽")],
...     segments=[Segment(id="qi.cell", chain="qi", name_zh="电芯", name_en="Cells", stage="upstream"),
...               Segment(id="qi.car", chain="qi", name_zh="整车", name_en="Vehicles", stage="downstream")],
...     links=[],
...     regions=[Region(id="yc", kind="city", name_zh="运城市", name_en="Yuncheng"),
...              Region(id="wenxi", kind="county", name_zh="闻喜县", name_en="Wenxi", parent="yc"),
...              Region(id="hejin", kind="county", name_zh="河津市", name_en="Hejin", parent="yc")],
...     enterprises=[Enterprise(id="ent.a", name="甲汽车", county="wenxi", segments=[{"segment": "qi.car"}])],
...     census={"census_import": [{"id": "imp1", "register_kind": "规上名录", "regions": ["wenxi"],
...             "industry_codes": [], "rows": 120, "imported_at": "2026-11-20T08:00:00", "file": "wx.xlsx",
...             "complete": True}]})
>>> census = Census.from_data(d)
>>> [(s, v.state, v.basis) for s, v in presence_states(d, census, "wenxi").items()]
[('qi.car', 'present', 'firms'), ('qi.cell', 'absent', 'register')]
>>> presence_states(d, census, "yc")["qi.cell"].basis
'incomplete'
>>> region_coverage(d, census, "wenxi", "qi")["text"]
'闻喜县：已导入规上工业企业名录 2026-11；本链已核实环节 2/2'
>>> region_coverage(d, census, "yc", "qi", lang="en")["text"]
'Yuncheng: imported above-scale industrial enterprise register 2026-11 (Wenxi); segments verified in this chain: 1/2'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from chainmap.analysis.gaps_models import Absence
from chainmap.classify.vocabulary import CodeRow
from chainmap.data import ChainData, RegionIndex, local_enterprises
from chainmap.exceptions import InvalidInput
from chainmap.i18n import norm_lang, pick
from chainmap.labels import ABSENCE_BASIS, REGISTER_KIND
from chainmap.models import AssignmentStatus, RegionKind, Role, SegmentKind

__all__ = [
    "CENSUS_IMPORT_KIND",
    "ABSENCE_KIND",
    "PresenceStateName",
    "CensusImport",
    "AbsenceConfirmation",
    "Census",
    "PresenceState",
    "industry_codes",
    "codes_by_segment",
    "presence_states",
    "region_coverage",
    "coverage_rows",
    "absence_rule",
    "absence_record",
    "absence_record_id",
]

CENSUS_IMPORT_KIND = "census_import"
ABSENCE_KIND = "absence_confirmation"

PresenceStateName = Literal["present", "absent", "unknown"]


def _where(kind: str, rec: Mapping[str, Any]) -> str:
    return f"record {kind}/{rec.get('id', '?')}"


@dataclass(frozen=True)
class CensusImport:
    """One imported register (a ``census_import`` record)."""

    id: str
    register_kind: str
    regions: tuple[str, ...]
    industry_codes: frozenset[str]
    rows: int
    imported_at: str
    file: str
    complete: bool

    @classmethod
    def from_record(cls, rec: Mapping[str, Any]) -> CensusImport:
        """Parse a record; InvalidInput naming the record and the field for a bad one."""
        where = _where(CENSUS_IMPORT_KIND, rec)
        regions = rec.get("regions")
        if not isinstance(regions, list) or not all(isinstance(r, str) and r for r in regions):
            raise InvalidInput(f"{where}: regions must be a list of region ids, got {regions!r}", field="regions")
        codes = rec.get("industry_codes", [])
        if not isinstance(codes, list) or not all(isinstance(c, str | int) for c in codes):
            raise InvalidInput(
                f"{where}: industry_codes must be a list of 4-digit codes ([] = all), got {codes!r}",
                field="industry_codes",
            )
        complete = rec.get("complete", False)
        if not isinstance(complete, bool):
            raise InvalidInput(f"{where}: complete must be true or false, got {complete!r}", field="complete")
        return cls(
            id=str(rec.get("id", "")),
            register_kind=str(rec.get("register_kind", "")),
            regions=tuple(regions),
            industry_codes=frozenset(str(c).strip() for c in codes),
            rows=int(rec.get("rows", 0) or 0),
            imported_at=str(rec.get("imported_at", "")),
            file=str(rec.get("file", "")),
            complete=complete,
        )

    def covers_codes(self, codes: frozenset[str]) -> bool:
        """True when the register covers an industry with these codes (empty = not listed)."""
        if not self.industry_codes:
            return True
        return bool(codes) and codes <= self.industry_codes

    def name(self, lang: str) -> str:
        pair = REGISTER_KIND.get(self.register_kind)
        return pick(lang, *pair) if pair else self.register_kind

    def month(self) -> str:
        """``YYYY-MM`` of the import (the text the coverage line shows)."""
        return self.imported_at[:7]


@dataclass(frozen=True)
class AbsenceConfirmation:
    """A planner's (or a sourced statement's) confirmation that a segment is absent in a region."""

    id: str
    region: str
    segment: str
    by: str
    at: str
    note: str = ""
    source: str = ""

    @classmethod
    def from_record(cls, rec: Mapping[str, Any]) -> AbsenceConfirmation:
        where = _where(ABSENCE_KIND, rec)
        for f in ("region", "segment", "by", "at"):
            if not isinstance(rec.get(f), str) or not rec.get(f):
                raise InvalidInput(f"{where}: {f} must be a non-empty text, got {rec.get(f)!r}", field=f)
        return cls(
            id=str(rec.get("id", "")),
            region=rec["region"],
            segment=rec["segment"],
            by=rec["by"],
            at=rec["at"],
            note=str(rec.get("note", "") or ""),
            source=str(rec.get("source", "") or ""),
        )


@dataclass(frozen=True)
class Census:
    """The census records of a read model: imported registers and confirmed absences."""

    imports: tuple[CensusImport, ...] = ()
    absences: tuple[AbsenceConfirmation, ...] = ()

    @classmethod
    def from_records(
        cls, imports: Iterable[Mapping[str, Any]] = (), absences: Iterable[Mapping[str, Any]] = ()
    ) -> Census:
        imps = sorted((CensusImport.from_record(r) for r in imports), key=lambda i: (i.imported_at, i.id))
        abss = sorted((AbsenceConfirmation.from_record(r) for r in absences), key=lambda a: (a.at, a.id))
        return cls(tuple(imps), tuple(abss))

    @classmethod
    def from_data(cls, data: ChainData) -> Census:
        """The census of ``data`` (``data.census``; empty for data read from files)."""
        return cls.from_records(data.census.get(CENSUS_IMPORT_KIND, ()), data.census.get(ABSENCE_KIND, ()))


@dataclass(frozen=True)
class PresenceState:
    """The presence state of one segment in one region (see the module docstring)."""

    state: PresenceStateName
    basis: str  # present: firms; absent: planner | register; unknown: no_register | incomplete | codes | pending
    firms: int = 0
    pending: int = 0
    codes: tuple[str, ...] = ()
    registers: tuple[CensusImport, ...] = ()  # absent by register: the covering ones; unknown: those of the region
    confirmation: AbsenceConfirmation | None = None


# ---------------------------------------------------------------- the industry-code concordance


def codes_by_segment(rows: Iterable[CodeRow]) -> dict[str, frozenset[str]]:
    """``{segment: codes}`` of the concordance rows whose firms *produce* the segment.

    >>> from chainmap.classify.vocabulary import CodeRow
    >>> rows = [CodeRow("3841", "锂离子电池制造", "qi.cell", 1.0), CodeRow("3849", "其他电池制造", "qi.cell", 0.5),
    ...         CodeRow("3612", "新能源车整车制造", "qi.car", 1.0), CodeRow("3670", "汽车零部件", "qi.cell", 0.2, "user")]
    >>> {s: sorted(c) for s, c in codes_by_segment(rows).items()}
    {'qi.car': ['3612'], 'qi.cell': ['3841', '3849']}
    """
    out: dict[str, set[str]] = {}
    for r in rows:
        if r.role == "producer":
            out.setdefault(r.segment, set()).add(r.code)
    return {s: frozenset(c) for s, c in sorted(out.items())}


@lru_cache(maxsize=1)
def industry_codes() -> dict[str, frozenset[str]]:
    """The shipped concordance ``graph_seed/industry_codes.csv`` (read by the one reader,
    :func:`chainmap.classify.vocabulary.read_concordance`) as ``{segment: codes}``."""
    from chainmap.classify.vocabulary import read_concordance

    with resources.as_file(resources.files("graph_seed").joinpath("industry_codes.csv")) as path:
        rows, _problems = read_concordance(path)  # validated by `seed check` / load_seed
    return codes_by_segment(rows)


# ---------------------------------------------------------------- presence states


def _covered(index: RegionIndex, named: Iterable[str], region: str) -> bool:
    """True when regions ``named`` cover ``region``: the region itself, the city, the county
    of a zone, or (for the city) every county."""
    named = set(named)
    if region in named:
        return True
    reg = index.get(region)
    if any(r in index.by_id and index.by_id[r].kind == RegionKind.city for r in named):
        return True
    if reg.kind == RegionKind.zone and reg.county in named:
        return True
    if reg.kind == RegionKind.city:
        counties = {r.id for r in index.by_id.values() if r.kind == RegionKind.county}
        return bool(counties) and counties <= named
    return False


def _within(index: RegionIndex, inner: str, region: str) -> bool:
    """True when region ``inner`` lies in ``region`` (a zone in its county, anything in the city)."""
    if inner not in index.by_id:
        return False
    reg = index.get(region)
    if reg.kind == RegionKind.city:
        return True
    return reg.kind == RegionKind.county and index.by_id[inner].county == region


def _region_imports(data: ChainData, census: Census, region: str) -> list[CensusImport]:
    """Imports that cover ``region`` or part of it."""
    idx = data.region_index
    return [
        i
        for i in census.imports
        if _covered(idx, i.regions, region) or any(_within(idx, r, region) for r in i.regions)
    ]


def presence_states(
    data: ChainData,
    census: Census,
    region: str,
    segments: Sequence[str] | None = None,
    *,
    codes: Mapping[str, frozenset[str]] | None = None,
) -> dict[str, PresenceState]:
    """The presence state of each of ``segments`` (default: every segment, by id) in ``region``.

    ``codes`` is the concordance (default: :func:`industry_codes`).  NotFound for an
    unknown region.
    """
    idx = data.region_index
    idx.get(region)
    codes = industry_codes() if codes is None else codes
    segs = sorted(data.segment_by_id) if segments is None else list(segments)
    kinds = {s.id: str(s.kind or SegmentKind.product.value) for s in data.segments}
    firms: dict[str, set[str]] = {}
    pending: dict[str, int] = {}
    for e in local_enterprises(data, region):
        counted = e.presences()
        for p in counted:
            if p.role is Role.producer or kinds.get(p.segment) == SegmentKind.adopter.value:
                firms.setdefault(p.segment, set()).add(e.key)
        for p in e.segments:
            if p.status is AssignmentStatus.pending:
                pending[p.segment] = pending.get(p.segment, 0) + 1
    regional = _region_imports(data, census, region)
    complete = [i for i in census.imports if i.complete and _covered(idx, i.regions, region)]
    confirmations: dict[str, list[AbsenceConfirmation]] = {}
    for a in census.absences:
        confirmations.setdefault(a.segment, []).append(a)
    out: dict[str, PresenceState] = {}
    for s in segs:
        seg_codes = codes.get(s, frozenset())
        n = len(firms.get(s, ()))
        k = pending.get(s, 0)
        code_t = tuple(sorted(seg_codes))
        if n:
            out[s] = PresenceState("present", "firms", firms=n, pending=k, codes=code_t)
            continue
        if k:
            out[s] = PresenceState("unknown", "pending", pending=k, codes=code_t, registers=tuple(regional))
            continue
        conf = [a for a in confirmations.get(s, ()) if _covered(idx, [a.region], region)]
        if conf:
            out[s] = PresenceState("absent", "planner", codes=code_t, confirmation=conf[-1])
            continue
        covering = [i for i in complete if i.covers_codes(seg_codes)]
        # the city is covered by the union of complete county registers of the industry
        if not covering and idx.get(region).kind == RegionKind.city:
            union = [i for i in census.imports if i.complete and i.covers_codes(seg_codes)]
            if union and _covered(idx, [r for i in union for r in i.regions], region):
                covering = union
        if covering:
            out[s] = PresenceState("absent", "register", codes=code_t, registers=tuple(covering))
            continue
        if not regional:
            basis = "no_register"
        elif complete:  # complete registers of the whole region, but not of this industry
            basis = "codes"
        else:
            basis = "incomplete"
        out[s] = PresenceState("unknown", basis, codes=code_t, registers=tuple(regional))
    return out


# ---------------------------------------------------------------- the gap analysis hook


def _unknown_note(state: PresenceState, region_name: str, segment: str, region: str, lang: str) -> str:
    """Why the absence is not verified and what to import, one clause."""
    why = pick(lang, *ABSENCE_BASIS[state.basis])
    codes = "、".join(state.codes) if lang != "en" else ", ".join(state.codes)
    if state.basis == "pending":
        return pick(
            lang,
            f"{why}（{state.pending}条，chainmap review list --segment {segment} --region {region}）",
            f"{why} ({state.pending}; chainmap review list --segment {segment} --region {region})",
        )
    if state.basis == "incomplete":
        names = "、".join(f"{i.name(lang)} {i.month()}" for i in state.registers)
        why = pick(lang, f"{why}（{names}）", f"{why} ({names})")
    what = pick(
        lang,
        f"行业代码{codes}" if codes else "全部行业",
        f"industry codes {codes}" if codes else "all industries",
    )
    return pick(
        lang,
        f"{why}：需导入{region_name}覆盖{what}的完整规上工业企业名录，"
        f"或由规划人员核实后确认缺失（chainmap review absent {segment} --region {region}）",
        f"{why}: import a complete above-scale register of {region_name} covering {what}, "
        f"or have a planner confirm the absence (chainmap review absent {segment} --region {region})",
    )


def _confirmed_note(state: PresenceState, lang: str) -> str:
    if state.confirmation is not None:
        c = state.confirmation
        src = pick(lang, f"，依据：{c.source}", f"; source: {c.source}") if c.source else ""
        return pick(lang, f"经{c.by}于{c.at[:10]}确认{src}", f"confirmed by {c.by} on {c.at[:10]}{src}")
    names = pick(lang, "、", ", ").join(f"{i.name(lang)} {i.month()}" for i in state.registers)
    return pick(lang, f"据完整的{names}", f"per the complete {names}")


def absence_rule(
    data: ChainData,
    census: Census | None = None,
    region: str | None = None,
    *,
    codes: Mapping[str, frozenset[str]] | None = None,
    lang: str = "zh",
) -> Callable[[str, str], Absence]:
    """The ``absence_confirmed`` hook of :func:`chainmap.analysis.gaps.analyze_gaps`:
    ``(region, segment) -> Absence`` from the census of ``data`` (or ``census``).

    Only ``absent`` states are confirmed; an unknown absence carries the clause naming its
    reason and what to import.  States are computed once per region asked."""
    census = Census.from_data(data) if census is None else census
    codes = industry_codes() if codes is None else codes
    lg = norm_lang(lang)
    memo: dict[str, dict[str, PresenceState]] = {}
    if region is not None:
        memo[region] = presence_states(data, census, region, codes=codes)

    def hook(reg: str, segment: str) -> Absence:
        states = memo.get(reg)
        if states is None:
            states = memo[reg] = presence_states(data, census, reg, codes=codes)
        st = states.get(segment)
        if st is None:
            st = presence_states(data, census, reg, [segment], codes=codes)[segment]
        if st.state == "absent":
            return Absence(True, st.basis, _confirmed_note(st, lg))
        if st.state == "present":  # a producer the gap analysis does not count (not reached in practice)
            return Absence(False, "pending", pick(lg, *ABSENCE_BASIS["pending"]))
        name = data.region_index.get(reg)
        region_name = name.name_en if lg == "en" else name.name_zh
        return Absence(False, st.basis, _unknown_note(st, region_name, segment, reg, lg))

    return hook


# ---------------------------------------------------------------- coverage rows


def _chain_segments(data: ChainData, chain: str) -> list[str]:
    root = data.chain_root
    if chain not in root:
        from chainmap.exceptions import NotFound

        raise NotFound(f"unknown chain {chain!r}; valid: {', '.join(sorted(root))}", field="chain")
    is_top = root[chain] == chain
    return sorted(
        s.id for s in data.segments if (root.get(s.chain) == chain if is_top else s.chain == chain)
    )


def region_coverage(
    data: ChainData,
    census: Census,
    region: str,
    chain: str,
    *,
    codes: Mapping[str, frozenset[str]] | None = None,
    lang: str = "zh",
    states: Mapping[str, PresenceState] | None = None,
) -> dict[str, Any]:
    """What is known of ``chain`` in ``region``: the registers imported for it and when, the
    presence states counted, pending assignments and unassigned local firms, and one line of
    text (``闻喜县：已导入规上工业企业名录 2026-11；本链已核实环节 34/68``).

    ``registers`` lists the imports covering the region whose industries meet the chain (an
    all-industry register, or one sharing a code with a segment of the chain)."""
    lg = norm_lang(lang)
    codes = industry_codes() if codes is None else codes
    segs = _chain_segments(data, chain)
    if states is None:
        states = presence_states(data, census, region, segs, codes=codes)
    chain_codes = frozenset().union(*(codes.get(s, frozenset()) for s in segs)) if segs else frozenset()
    regs = [
        i
        for i in _region_imports(data, census, region)
        if not i.industry_codes or (i.industry_codes & chain_codes)
    ]
    counts = {"present": 0, "absent": 0, "unknown": 0}
    for s in segs:
        counts[states[s].state] += 1
    seg_set = set(segs)
    pending = 0
    unassigned = 0
    for e in local_enterprises(data, region):
        pending += sum(1 for p in e.segments if p.status is AssignmentStatus.pending and p.segment in seg_set)
        info = e.attributes.get("census")
        if isinstance(info, dict) and info.get("unassigned"):
            unassigned += 1
    reg = data.region_index.get(region)
    region_name = reg.name_en if lg == "en" else reg.name_zh
    verified = counts["present"] + counts["absent"]
    idx = data.region_index

    def where(i: CensusImport) -> str:
        if _covered(idx, i.regions, region):
            return ""
        names = pick(lg, "、", ", ").join(
            (idx.by_id[r].name_en if lg == "en" else idx.by_id[r].name_zh) if r in idx.by_id else r for r in i.regions
        )
        return pick(lg, f"（{names}）", f" ({names})")

    if regs:
        done = pick(lg, "、", ", ").join(
            f"{i.name(lg)} {i.month()}{where(i)}" + ("" if i.complete else pick(lg, "（不完整）", " (incomplete)"))
            for i in regs
        )
        head = pick(lg, f"已导入{done}", f"imported {done}")
    else:
        head = pick(lg, *ABSENCE_BASIS["no_register"])
    tail = pick(lg, f"本链已核实环节 {verified}/{len(segs)}", f"segments verified in this chain: {verified}/{len(segs)}")
    text = pick(lg, f"{region_name}：{head}；{tail}", f"{region_name}: {head}; {tail}")
    if pending:
        text += pick(lg, f"；待审核归属 {pending} 条", f"; {pending} assignments pending review")
    if unassigned:
        text += pick(lg, f"；未归类企业 {unassigned} 家", f"; {unassigned} firms unassigned")
    return {
        "region": region,
        "region_name": region_name,
        "chain": chain,
        "registers": [
            {
                "id": i.id,
                "register_kind": i.register_kind,
                "register_name": i.name(lg),
                "imported_at": i.imported_at,
                "rows": i.rows,
                "file": i.file,
                "complete": i.complete,
            }
            for i in regs
        ],
        "segments": len(segs),
        "present": counts["present"],
        "absent": counts["absent"],
        "unknown": counts["unknown"],
        "verified": verified,
        "pending_assignments": pending,
        "unassigned_firms": unassigned,
        "text": text,
    }


def coverage_rows(
    data: ChainData,
    census: Census,
    region: str,
    chains: Sequence[str],
    *,
    codes: Mapping[str, frozenset[str]] | None = None,
    lang: str = "zh",
) -> dict[str, dict[str, Any]]:
    """:func:`region_coverage` of each of ``chains`` in ``region`` (states computed once)."""
    codes = industry_codes() if codes is None else codes
    states = presence_states(data, census, region, codes=codes)
    return {c: region_coverage(data, census, region, c, codes=codes, lang=lang, states=states) for c in chains}


# ---------------------------------------------------------------- absence confirmation records


def absence_record_id(region: str, segment: str) -> str:
    """The record id of the confirmation of ``segment`` absent in ``region`` (one per pair).

    >>> absence_record_id("wenxi", "qi.cell")
    'wenxi--qi.cell'
    """
    return f"{region}--{segment}"


def absence_record(*, region: str, segment: str, by: str, at: str, note: str = "", source: str = "") -> dict[str, Any]:
    """The ``absence_confirmation`` record data (its id: :func:`absence_record_id`).

    >>> absence_record(region="wenxi", segment="qi.cell", by="planner-1", at="2026-11-30")
    {'region': 'wenxi', 'segment': 'qi.cell', 'by': 'planner-1', 'at': '2026-11-30', 'note': ''}
    """
    out: dict[str, Any] = {"region": region, "segment": segment, "by": by, "at": at, "note": note}
    if source:
        out["source"] = source
    return out
