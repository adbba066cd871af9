"""(candidate, gap) features: names, meanings and vectorised computation.

Features come in three families (see :data:`FEATURES` for every name with its
Chinese and English meaning):

* **pair** features — how the candidate's *produced* segments relate to the
  gap segment (produces it, produces a direct input of it, buys it, is related
  to it, supplies a local 链主 — the 链主配套 term); which pairs are leads at all
  is decided by :mod:`matching.lead_rules` (a buyer never is);
* **gap** features — the gap's priority and type (补链 fill / 强链 strengthen /
  延链 extend), equal for every candidate of one gap;
* **candidate** features — scale, growth, expansion, geography, ties to local
  firms (above all a 链主) and risk, computed once per candidate.

Every feature is a number in [0, 1] except ``growth_revenue`` (clipped to
[-0.5, 1]) and ``risk_penalty`` (the number of non-excluding risk categories
and risk notes, :mod:`matching.risk`).  **Missing values** never
count as zero: a missing revenue or head count is imputed with a neutral value
(10 亿元, 500 people) and flagged by ``*_missing``; missing growth is imputed as
0 (no change), missing distance as 0.5, all flagged.  A candidate flagged
``dishonest`` or ``abnormal_operation`` is *excluded* (:attr:`CandidateMatrix.excluded`)
rather than scored.

The candidate × feature matrix is built once (:func:`build_candidate_matrix`);
per gap, the pair features are sparse products of the candidate × segment
membership matrix ``M`` with the segment graph (``A`` supplies, ``R``
related), so scoring a million candidates needs no per-row Python loop.

>>> [f.name for f in FEATURES][:4]
['fit_exact', 'fit_supplies', 'fit_buys', 'fit_related']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from chainmap.data import ChainData, local_enterprises
from chainmap.exceptions import InvalidInput
from chainmap.models import is_minor_input
from chainmap.names import normalize_company_name
from matching import geo
from matching.candidates import ALLOWED_TAGS, EXCLUDING_RISKS
from matching.lead_rules import (
    PEER_TAGS,
    RIVAL_TAGS,
    group_key,
    group_matches,
    is_lead_status,
    unsuitable_segments,
)
from matching.risk import split_risks

__all__ = [
    "Feature",
    "FEATURES",
    "FEATURE_NAMES",
    "PAIR_FEATURES",
    "GAP_FEATURES",
    "CANDIDATE_FEATURES",
    "NEUTRAL",
    "SegmentContext",
    "CandidateMatrix",
    "GapSpec",
    "build_segment_context",
    "build_candidate_matrix",
    "candidate_matrix_from_columns",
    "gap_specs",
    "supplier_mask",
    "fit_blocks",
    "pair_features",
    "pair_features_for",
    "feature_table",
]


@dataclass(frozen=True)
class Feature:
    """A feature's name, family and meaning (zh / en)."""

    name: str
    family: str  # "pair" | "gap" | "candidate"
    zh: str
    en: str


FEATURES: tuple[Feature, ...] = (
    Feature("fit_exact", "pair", "企业生产该缺口环节（匹配置信度）", "produces the gap segment (match confidence)"),
    Feature("fit_supplies", "pair", "企业生产缺口环节的直接上游（该上游环节可引进）",
            "produces a direct input of the gap segment (an input that may be attracted)"),
    Feature("fit_buys", "pair", "企业所在环节采购缺口环节产品（买方，不构成线索）",
            "produces a segment that buys the gap segment (a buyer: never a lead by itself)"),
    Feature("fit_related", "pair", "企业所在环节与缺口环节相邻（同属上级环节、赋能或两步供需）",
            "produces a related segment (same parent, enabling, or two supply steps away)"),
    Feature("fit_leader_input", "pair", "链主配套：所产环节是本地链主所在环节的直接上游",
            "the segment it produces for this gap is a direct input of a local chain leader's segment"),
    Feature("gap_priority", "gap", "缺口优先级（0–1）", "priority of the gap (0-1)"),
    Feature("gap_fill", "gap", "补链缺口", "gap type: fill (补链)"),
    Feature("gap_strengthen", "gap", "强链缺口", "gap type: strengthen (强链)"),
    Feature("gap_extend", "gap", "延链缺口", "gap type: extend (延链)"),
    Feature("scale_revenue", "candidate", "营收规模 log10(1+亿元)/4，缺失时取中性值（10亿元）",
            "revenue scale log10(1+CNY 100m)/4; neutral value (10) when missing"),
    Feature("revenue_missing", "candidate", "营收缺失", "revenue unknown"),
    Feature("scale_employees", "candidate", "员工规模 log10(1+人数)/6，缺失时取中性值（500人）",
            "head count log10(1+n)/6; neutral value (500) when missing"),
    Feature("employees_missing", "candidate", "员工人数缺失", "head count unknown"),
    *(Feature(f"tag_{t}", "candidate", f"标签：{z}", f"tag: {t}") for t, z in (
        ("global500", "世界500强"), ("china500", "中国500强"), ("private500", "民营500强"),
        ("industry_top100", "行业100强"), ("listed", "上市公司"), ("little_giant", "专精特新小巨人"),
        ("chain_leader", "链主企业"))),
    Feature("growth_revenue", "candidate", "营收增速（截断到 −0.5…1），缺失取0", "revenue growth clipped to -0.5..1; 0 when missing"),
    Feature("growth_missing", "candidate", "营收增速缺失", "revenue growth unknown"),
    Feature("valuation", "candidate", "估值 log10(1+十亿美元)/2（无估值不加分）", "valuation log10(1+USD bn)/2 (none: no bonus)"),
    Feature("tag_gazelle", "candidate", "标签：瞪羚企业", "tag: gazelle"),
    Feature("tag_unicorn", "candidate", "标签：独角兽企业", "tag: unicorn"),
    Feature("expansions", "candidate", "近三年新建基地数（封顶5）/5", "new plants or bases in 3 years (capped at 5) / 5"),
    Feature("expansions_missing", "candidate", "扩张记录缺失", "expansion record unknown"),
    Feature("hq_jjj", "candidate", "总部位于京津冀", "headquarters in Beijing-Tianjin-Hebei"),
    Feature("hq_yrd", "candidate", "总部位于长三角", "headquarters in the Yangtze River Delta"),
    Feature("hq_gba", "candidate", "总部位于粤港澳大湾区", "headquarters in the Greater Bay Area"),
    Feature("proximity", "candidate", "距运城近：1 − 距离/3000km，缺失取0.5", "closeness to Yuncheng: 1 - km/3000; 0.5 when unknown"),
    Feature("distance_missing", "candidate", "总部位置未知", "headquarters location unknown"),
    Feature("shanxi_presence", "candidate", "已在山西布局", "already present in Shanxi"),
    Feature("shanxi_missing", "candidate", "山西布局情况未知", "Shanxi presence unknown"),
    Feature("tie_local", "candidate", "与运城本地企业所在环节存在供需关系", "its segments supply or buy from segments where local firms operate"),
    Feature("tie_leader", "candidate", "与运城本地链主所在环节存在供需关系", "its segments supply or buy from segments where a local chain leader (链主) operates"),
    Feature("risk_penalty", "candidate", "风险记录数（重大诉讼、环保处罚及其他风险提示）",
            "number of risk flags and notes (major litigation, environmental penalty, other notes)"),
)  # fmt: skip

FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
PAIR_FEATURES = tuple(f.name for f in FEATURES if f.family == "pair")
GAP_FEATURES = tuple(f.name for f in FEATURES if f.family == "gap")
CANDIDATE_FEATURES = tuple(f.name for f in FEATURES if f.family == "candidate")
N_PAIR, N_GAP = len(PAIR_FEATURES), len(GAP_FEATURES)

#: Neutral values used when a number is missing (raw units).
NEUTRAL = {"revenue_cny_100m": 10.0, "employees": 500.0, "revenue_growth": 0.0, "proximity": 0.5}
#: feature -> its "missing" indicator: when the indicator is 1 the feature's value was filled
#: by a default (:data:`NEUTRAL`, or 0), i.e. it is imputed (``Lead.imputed``).
IMPUTED_BY: dict[str, str] = {
    "scale_revenue": "revenue_missing",
    "scale_employees": "employees_missing",
    "growth_revenue": "growth_missing",
    "expansions": "expansions_missing",
    "proximity": "distance_missing",
    "shanxi_presence": "shanxi_missing",
}
_REV_SCALE, _EMP_SCALE, _VAL_SCALE, _DIST_SCALE = 4.0, 6.0, 2.0, 3000.0
_SCALE_TAGS = (
    "global500",
    "china500",
    "private500",
    "industry_top100",
    "listed",
    "little_giant",
    "chain_leader",
)
_GAP_STATUSES = ("fill", "strengthen", "extend")
_STRENGTHEN = _GAP_STATUSES.index("strengthen")


def feature_table(lang: str = "zh") -> list[dict[str, str]]:
    """The feature list as rows ``{name, family, meaning}`` (for docs and ``--help``)."""
    return [{"name": f.name, "family": f.family, "meaning": f.en if lang == "en" else f.zh} for f in FEATURES]


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


# ---------------------------------------------------------------------------
# segment graph
# ---------------------------------------------------------------------------


@dataclass
class SegmentContext:
    """Segment-level matrices shared by all candidates.

    ``A[s, t] = 1`` if s supplies t; ``R[s, t]`` relatedness (1: same parent,
    parent/child or an ``enables`` link; 0.5: two supply steps apart), zero
    diagonal; ``tie_local[s]`` / ``tie_leader[s]`` 1 if s supplies or buys
    from a segment where a local firm / a local 链主 operates.

    Lead rules (:mod:`matching.lead_rules`): ``down[c, s]`` 1 if c is s or a
    sub-segment (descendant) of s — producing a sub-segment is producing s;
    ``kinds`` the segment kinds (product, service ...; ``product`` when the
    seed has none); ``rival_seg[s]`` 1 where a local 链主 or 链核 produces s,
    an ancestor or a descendant of s (``rivals_of[s]`` their names,
    ``rival_groups_of[s]`` their group keys); ``leader_input[s]`` 1 if s directly supplies a segment a
    local 链主 produces (``leaders_fed[s]`` those 链主's names) through a *material* input:
    ``A_input`` is ``A`` without the minor inputs (a ``supplies`` link whose stated ``weight``
    is below :data:`chainmap.models.MIN_INPUT_WEIGHT`, e.g. copper as an alloying element
    of aluminium alloy); ``A_input`` also decides the 强链 supplier relation;
    ``peers_of[s]`` the local major producers of s (tags :data:`matching.lead_rules.PEER_TAGS`:
    listed, 500强, 行业100强, 链主, 链核) and ``peer_groups_of[s]`` their group keys (同业);
    ``local_producers[s]`` the local producers of s; ``local_groups`` group key
    -> names of the local enterprises of that group.
    """

    segment_ids: list[str]
    index: dict[str, int]
    A: sp.csr_matrix
    R: sp.csr_matrix
    tie_local: np.ndarray
    tie_leader: np.ndarray
    names_zh: list[str]
    names_en: list[str]
    chain_of: list[str]
    seg_chain: list[str]
    local_names: frozenset[str] = frozenset()
    local_codes: frozenset[str] = frozenset()
    down: sp.csr_matrix | None = None
    kinds: list[str] = field(default_factory=list)
    rival_seg: np.ndarray = field(default_factory=lambda: np.zeros(0))
    leader_input: np.ndarray = field(default_factory=lambda: np.zeros(0))
    rivals_of: dict[int, tuple[str, ...]] = field(default_factory=dict)
    rival_groups_of: dict[int, frozenset[str]] = field(default_factory=dict)
    leaders_fed: dict[int, tuple[str, ...]] = field(default_factory=dict)
    local_producers: dict[int, tuple[str, ...]] = field(default_factory=dict)
    local_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    A_input: sp.csr_matrix | None = None
    peers_of: dict[int, tuple[str, ...]] = field(default_factory=dict)
    peer_groups_of: dict[int, frozenset[str]] = field(default_factory=dict)

    @property
    def inputs(self) -> sp.csr_matrix:
        """The material-input matrix (``A_input``; ``A`` when not built)."""
        return self.A if self.A_input is None else self.A_input

    @property
    def n_segments(self) -> int:
        return len(self.segment_ids)


def build_segment_context(data: ChainData) -> SegmentContext:
    """Build the segment matrices from chain data (``segments``, ``links``, ``enterprises``).

    >>> from chainmap.data import ChainData
    >>> from chainmap.models import Chain, Segment, Link
    >>> segs = [Segment(id=i, chain="qi", name_zh=i, name_en=i, stage="midstream") for i in ("qi.a", "qi.b", "qi.c")]
    >>> ctx = build_segment_context(ChainData(chains=[Chain(id="qi", name_zh="汽", name_en="Auto", letter="汽")],
    ...     regions=[], segments=segs, links=[Link(source="qi.a", target="qi.b"), Link(source="qi.b", target="qi.c")],
    ...     enterprises=[]))
    >>> ctx.A.toarray().astype(int).tolist()
    [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    >>> ctx.R.toarray().tolist()
    [[0.0, 0.0, 0.5], [0.0, 0.0, 0.0], [0.5, 0.0, 0.0]]
    """
    segs = list(data.segments)
    ids = [s.id for s in segs]
    index = {s: i for i, s in enumerate(ids)}
    S = len(ids)
    sup_r, sup_c, rel_r, rel_c = [], [], [], []
    minor: set[tuple[int, int]] = set()
    for ln in data.links:
        u, v = index.get(ln.source), index.get(ln.target)
        if u is None or v is None:
            continue
        kind = str(getattr(ln.kind, "value", ln.kind))
        if kind == "supplies":
            sup_r.append(u)
            sup_c.append(v)
            if is_minor_input(getattr(ln, "weight", None)):
                minor.add((u, v))
        else:  # part_of / enables: related both ways
            rel_r += [u, v]
            rel_c += [v, u]
    parent = {}
    for s in segs:
        if s.parent and s.parent in index:
            i, p = index[s.id], index[s.parent]
            parent[i] = p
            rel_r += [i, p]
            rel_c += [p, i]
    by_parent: dict[int, list[int]] = {}
    for i, p in parent.items():
        by_parent.setdefault(p, []).append(i)
    for kids in by_parent.values():
        for a in kids:
            for b in kids:
                if a != b:
                    rel_r.append(a)
                    rel_c.append(b)
    A = sp.csr_matrix((np.ones(len(sup_r)), (sup_r, sup_c)), shape=(S, S))
    A.data[:] = 1.0  # duplicates summed -> 1
    A_input = A.tolil()
    for u, v in minor:  # a minor input (stated weight below MIN_INPUT_WEIGHT) is no material input
        A_input[u, v] = 0.0
    A_input = A_input.tocsr()
    A_input.eliminate_zeros()
    two = (A @ A).tocsr()
    two = two + two.T
    two.data[:] = 0.5
    R1 = sp.csr_matrix((np.ones(len(rel_r)), (rel_r, rel_c)), shape=(S, S))
    R1.data[:] = 1.0
    R = R1.maximum(two).tolil()
    R.setdiag(0)
    R = R.tocsr()
    R.eliminate_zeros()
    local = np.zeros(S)
    leader = np.zeros(S)
    leader_prod = np.zeros(S)
    rival = np.zeros(S)
    rivals_of: dict[int, list[str]] = {}
    rival_groups: dict[int, set[str]] = {}
    peers_of: dict[int, list[str]] = {}
    peer_groups: dict[int, set[str]] = {}
    producers: dict[int, list[str]] = {}
    leaders_at: dict[int, list[str]] = {}
    groups: dict[str, list[str]] = {}
    city = data.region_index.city()
    local_firms = local_enterprises(data, city.id) if city is not None else []
    for e in local_firms:
        tags = {str(getattr(t, "value", t)) for t in (e.tags or [])}
        is_leader = "chain_leader" in tags
        gk = group_key(getattr(e, "group", None))
        if gk:
            groups.setdefault(gk, []).append(e.name)
        for presence in e.segments:
            col = index.get(presence.segment)
            if col is not None:
                local[col] = 1.0
                if is_leader:
                    leader[col] = 1.0
                if str(getattr(presence.role, "value", presence.role)) != "producer":
                    continue
                producers.setdefault(col, []).append(e.name)
                if is_leader:
                    leader_prod[col] = 1.0
                    leaders_at.setdefault(col, []).append(e.name)
                if tags & RIVAL_TAGS:
                    rival[col] = 1.0
                    rivals_of.setdefault(col, []).append(e.name)
                    rival_groups.setdefault(col, set()).update(k for k in (gk, group_key(e.name)) if k)
                if tags & PEER_TAGS:
                    peers_of.setdefault(col, []).append(e.name)
                    peer_groups.setdefault(col, set()).update(k for k in (gk, group_key(e.name)) if k)
    ancestors: dict[int, list[int]] = {}
    for i in range(S):
        chain_up, p_ = [], parent.get(i)
        while p_ is not None and p_ not in chain_up and p_ != i:
            chain_up.append(p_)
            p_ = parent.get(p_)
        ancestors[i] = chain_up
    d_r = [i for i in range(S) for _a in [i, *ancestors[i]]]
    d_c = [a for i in range(S) for a in [i, *ancestors[i]]]
    down = sp.csr_matrix((np.ones(len(d_r)), (d_r, d_c)), shape=(S, S))
    down.data[:] = 1.0
    # a 链主/链核 producing L makes L, its ancestors and its descendants rival segments
    for col in list(rivals_of):
        family = {col, *ancestors[col], *(i for i in range(S) if col in ancestors[i])}
        for f in family:
            rival[f] = 1.0
            if f != col:
                rivals_of.setdefault(f, [])
                rivals_of[f] += [n for n in rivals_of[col] if n not in rivals_of[f]]
                rival_groups.setdefault(f, set()).update(rival_groups.get(col, set()))
    both = (A + A.T).tocsr()
    both.data[:] = 1.0
    roots = data.chain_root
    tie_local = np.minimum(1.0, both @ local)
    tie_leader = np.minimum(1.0, both @ leader)
    leader_input = np.minimum(1.0, A_input @ leader_prod)  # material inputs only (rule 3)
    leaders_fed: dict[int, tuple[str, ...]] = {}
    for s_col in np.flatnonzero(leader_input).tolist():
        fed = A_input[s_col].indices.tolist()
        leaders_fed[s_col] = tuple(dict.fromkeys(n for t in fed for n in leaders_at.get(t, [])))
    return SegmentContext(
        segment_ids=ids,
        index=index,
        A=A,
        R=R,
        tie_local=tie_local,
        tie_leader=tie_leader,
        names_zh=[s.name_zh for s in segs],
        names_en=[s.name_en for s in segs],
        chain_of=[roots.get(s.chain, s.chain) for s in segs],
        seg_chain=[s.chain for s in segs],
        local_names=frozenset(normalize_company_name(e.name) for e in local_firms),
        local_codes=frozenset(e.credit_code for e in local_firms if e.credit_code),
        down=down,
        kinds=[str(getattr(getattr(s, "kind", None), "value", getattr(s, "kind", None)) or "product") for s in segs],
        rival_seg=rival,
        leader_input=leader_input,
        rivals_of={k: tuple(v) for k, v in rivals_of.items()},
        rival_groups_of={k: frozenset(v) for k, v in rival_groups.items()},
        leaders_fed=leaders_fed,
        local_producers={k: tuple(v) for k, v in producers.items()},
        local_groups={k: tuple(v) for k, v in groups.items()},
        A_input=A_input,
        peers_of={k: tuple(v) for k, v in peers_of.items()},
        peer_groups_of={k: frozenset(v) for k, v in peer_groups.items()},
    )


# ---------------------------------------------------------------------------
# gaps
# ---------------------------------------------------------------------------


@dataclass
class GapSpec:
    """The part of a gap item the features need."""

    segment_id: str
    col: int
    status: str
    priority: float
    chain_id: str
    segment_name: str
    item: Any = field(default=None, repr=False)
    #: an unverified (待核实) gap ranked as the status it would have: ``status`` is that
    #: would-be status and ``priority`` its provisional priority times PROVISIONAL_WEIGHT
    provisional: bool = False

    def features(self) -> np.ndarray:
        return np.array(
            [self.priority, *(1.0 if self.status == s else 0.0 for s in _GAP_STATUSES)], dtype=np.float64
        )


#: Weight of an unverified (待核实) gap's provisional priority in the lead ranking: its leads
#: are offered, flagged "先核实", but rank below confirmed gaps of the same would-be priority.
PROVISIONAL_WEIGHT = 0.5


def gap_specs(ctx: SegmentContext, gap_items: Iterable[Any], *, include_sound: bool = False) -> list[GapSpec]:
    """GapSpecs for the gap items whose segment is known and whose status gets
    leads (the allow-list :data:`matching.lead_rules.LEAD_STATUSES`: fill,
    strengthen, extend); ``include_sound`` keeps every status (to match past
    outcomes to any segment).

    An unverified (待核实) gap -- no local producer known, but the census is incomplete --
    whose ``would_be`` status gets leads is kept as a *provisional* gap: ranked as that
    status with ``PROVISIONAL_WEIGHT`` times its provisional priority, and every lead of it
    says the absence must be checked first (a task force verifies before it visits)."""
    out = []
    for g in gap_items:
        seg = _get(g, "segment_id")
        raw = _get(g, "status", "fill")
        status = str(getattr(raw, "value", raw))
        provisional = False
        pr = _get(g, "priority", 0.5)
        if status == "unverified" and not include_sound:
            would = _get(g, "would_be")
            would = str(getattr(would, "value", would)) if would is not None else None
            if would is None or not is_lead_status(would):
                continue
            status, provisional = would, True
            pr = PROVISIONAL_WEIGHT * float(_get(g, "provisional_priority", 0.0) or 0.0)
        if seg not in ctx.index or not (is_lead_status(status) or (include_sound and status == "sound")):
            continue
        out.append(
            GapSpec(
                segment_id=seg,
                col=ctx.index[seg],
                status=status,
                priority=float(0.5 if pr is None else pr),
                chain_id=str(_get(g, "chain_id", "") or ctx.chain_of[ctx.index[seg]]),
                segment_name=str(_get(g, "segment_name", "") or ctx.names_zh[ctx.index[seg]]),
                item=g,
                provisional=provisional,
            )
        )
    return out


def supplier_mask(ctx: SegmentContext, gap_items: Iterable[Any]) -> np.ndarray:
    """1 for every segment that may be attracted as a supplier of a 强链 gap, 0
    for ``unsuitable`` ones (endowments, policy-restricted capacity)."""
    ok = np.ones(ctx.n_segments)
    for seg in unsuitable_segments(gap_items):
        col = ctx.index.get(seg)
        if col is not None:
            ok[col] = 0.0
    return ok


# ---------------------------------------------------------------------------
# candidates
# ---------------------------------------------------------------------------


@dataclass
class CandidateMatrix:
    """Candidates as arrays: ``X`` (n × candidate features, float32, in
    :data:`CANDIDATE_FEATURES` order), ``M`` (n × segments, CSR, match
    confidence of the *produced* segments), ``excluded`` (dishonest / abnormal
    operation), ``local`` (headquartered in 运城 or one of the seed's local
    enterprises — served by local 强链 programmes, not attracted; skipped by the
    ranking unless ``include_local``), ``affiliates`` (names of the local
    enterprises of the candidate's group: an existing investor when non-empty),
    ``risk_notes`` (free-text risk notes) and display columns."""

    ids: np.ndarray
    names: np.ndarray
    name_norms: np.ndarray
    credit_codes: np.ndarray
    hq_city: np.ndarray
    hq_province: np.ndarray
    groups: np.ndarray
    X: np.ndarray
    M: sp.csr_matrix
    excluded: np.ndarray
    raw: dict[str, np.ndarray]
    demo: np.ndarray
    local: np.ndarray
    affiliates: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    risk_notes: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))

    def __len__(self) -> int:
        return len(self.ids)


def _flt(values: Sequence[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def build_candidate_matrix(candidates: Sequence[Mapping[str, Any]], ctx: SegmentContext) -> CandidateMatrix:
    """Candidate records (see :mod:`matching.candidates`) -> :class:`CandidateMatrix`.

    Explicit ``segments`` count with confidence 1, ``mapped_segments`` with
    their confidence when their ``role`` is ``producer`` (the default; a
    segment the firm buys or sells to is not one it makes, see
    :mod:`matching.mapping`); ids unknown to ``ctx`` are ignored.  Risk entries
    are split into categories and notes (:func:`matching.risk.split_risks`).
    """
    from matching.candidates import is_demo

    recs = list(candidates)
    rows, cols, vals = [], [], []
    for i, r in enumerate(recs):
        seen: dict[int, float] = {}
        for s in r.get("segments") or []:
            j = ctx.index.get(s)
            if j is not None:
                seen[j] = 1.0
        for m in r.get("mapped_segments") or []:
            if m.get("role", "producer") != "producer":
                continue
            j = ctx.index.get(m.get("segment"))
            if j is not None and seen.get(j, 0.0) < float(m.get("confidence", 0.0)):
                seen[j] = float(m.get("confidence", 0.0))
        for j, c in seen.items():
            rows.append(i)
            cols.append(j)
            vals.append(c)
    n = len(recs)
    M = sp.csr_matrix((np.asarray(vals, dtype=np.float32), (rows, cols)), shape=(n, ctx.n_segments))
    tag_idx = {t: k for k, t in enumerate(ALLOWED_TAGS)}
    tags = np.zeros((n, len(ALLOWED_TAGS)), dtype=bool)
    risk_pen = np.zeros(n)
    excl = np.zeros(n, dtype=bool)
    notes: list[tuple[str, ...]] = []
    for i, r in enumerate(recs):
        for t in r.get("tags") or []:
            k = tag_idx.get(t)
            if k is not None:
                tags[i, k] = True
        cats, note = split_risks(r.get("risk_flags"))
        flags = set(cats)
        excl[i] = bool(flags & EXCLUDING_RISKS)
        risk_pen[i] = len(flags - EXCLUDING_RISKS) + len(set(note))
        notes.append(tuple(note))
    presence = [r.get("shanxi_presence") for r in recs]
    cols_ = {
        "id": [r.get("id") for r in recs],
        "name": [r.get("name") for r in recs],
        "name_norm": [r.get("name_norm") or normalize_company_name(str(r.get("name") or "")) for r in recs],
        "credit_code": [r.get("credit_code") for r in recs],
        "hq_province": [r.get("hq_province") for r in recs],
        "hq_city": [r.get("hq_city") for r in recs],
        "group": [r.get("group") or (r.get("attributes") or {}).get("group") for r in recs],
        "risk_notes": notes,
        "revenue_cny_100m": _flt([r.get("revenue_cny_100m") for r in recs]),
        "revenue_growth": _flt([r.get("revenue_growth") for r in recs]),
        "employees": _flt([r.get("employees") for r in recs]),
        "valuation_usd_bn": _flt([r.get("valuation_usd_bn") for r in recs]),
        "expansions_3y": _flt([r.get("expansions_3y") for r in recs]),
        "shanxi_presence": np.array([np.nan if p is None else float(bool(p)) for p in presence]),
        "demo": np.array([is_demo(r) for r in recs], dtype=bool),
    }
    return candidate_matrix_from_columns(
        cols_, ctx, tags=tags, segments=M, risk_penalty=risk_pen, excluded=excl
    )


def _geo_columns(province: Sequence[Any], city: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """(region code per row: 0 none, 1 jjj, 2 yrd, 3 gba; distance km, nan if unknown) — computed per unique pair."""
    import pandas as pd

    key = pd.Series([f"{p or ''}\x1f{c or ''}" for p, c in zip(province, city, strict=True)], dtype=object)
    codes, uniq = pd.factorize(key, sort=False)
    reg_map = {None: 0, "jjj": 1, "yrd": 2, "gba": 3}
    reg_u = np.zeros(len(uniq), dtype=np.int8)
    dist_u = np.full(len(uniq), np.nan)
    for k, u in enumerate(uniq):
        p, c = u.split("\x1f")
        reg_u[k] = reg_map[geo.source_region(p or None, c or None)]
        d = geo.distance_km(p or None, c or None)
        dist_u[k] = np.nan if d is None else d
    return reg_u[codes], dist_u[codes]


def candidate_matrix_from_columns(
    cols: Mapping[str, Any],
    ctx: SegmentContext,
    *,
    tags: np.ndarray,
    segments: sp.spmatrix,
    risk_penalty: np.ndarray | None = None,
    excluded: np.ndarray | None = None,
) -> CandidateMatrix:
    """Vectorised builder from columns (used for large synthetic pools).

    ``cols`` holds ``id``, ``name``, ``name_norm`` (optional), ``credit_code``, ``hq_province``, ``hq_city``,
    ``group``, ``risk_notes`` (optional; tuples of notes) (sequences) and the numeric columns ``revenue_cny_100m``,
    ``revenue_growth``, ``employees``, ``valuation_usd_bn``, ``expansions_3y``,
    ``shanxi_presence`` (floats, NaN = missing); ``tags`` is an n × len(ALLOWED_TAGS)
    boolean matrix; ``segments`` the n × n_segments confidence matrix.
    """
    n = len(cols["id"])
    if tags.shape != (n, len(ALLOWED_TAGS)) or segments.shape != (n, ctx.n_segments):
        raise InvalidInput("candidate columns, tags and segments disagree in shape", field="candidates")
    rev = np.asarray(cols["revenue_cny_100m"], dtype=np.float64)
    emp = np.asarray(cols["employees"], dtype=np.float64)
    gro = np.asarray(cols["revenue_growth"], dtype=np.float64)
    val = np.asarray(cols["valuation_usd_bn"], dtype=np.float64)
    exp_ = np.asarray(cols["expansions_3y"], dtype=np.float64)
    pres = np.asarray(cols["shanxi_presence"], dtype=np.float64)
    region, dist = _geo_columns(cols["hq_province"], cols["hq_city"])
    tag = {t: tags[:, k].astype(np.float64) for k, t in enumerate(ALLOWED_TAGS)}
    M = sp.csr_matrix(segments, dtype=np.float32)
    seg_tie_local = M @ ctx.tie_local
    seg_tie_leader = M @ ctx.tie_leader
    f: dict[str, np.ndarray] = {
        "scale_revenue": np.minimum(
            1.0, np.log10(1 + np.where(np.isnan(rev), NEUTRAL["revenue_cny_100m"], rev)) / _REV_SCALE
        ),
        "revenue_missing": np.isnan(rev).astype(np.float64),
        "scale_employees": np.minimum(
            1.0, np.log10(1 + np.where(np.isnan(emp), NEUTRAL["employees"], emp)) / _EMP_SCALE
        ),
        "employees_missing": np.isnan(emp).astype(np.float64),
        **{f"tag_{t}": tag[t] for t in _SCALE_TAGS},
        "growth_revenue": np.clip(np.where(np.isnan(gro), NEUTRAL["revenue_growth"], gro), -0.5, 1.0),
        "growth_missing": np.isnan(gro).astype(np.float64),
        "valuation": np.minimum(1.0, np.log10(1 + np.nan_to_num(val, nan=0.0)) / _VAL_SCALE),
        "tag_gazelle": tag["gazelle"],
        "tag_unicorn": tag["unicorn"],
        "expansions": np.minimum(np.nan_to_num(exp_, nan=0.0), 5.0) / 5.0,
        "expansions_missing": np.isnan(exp_).astype(np.float64),
        "hq_jjj": (region == 1).astype(np.float64),
        "hq_yrd": (region == 2).astype(np.float64),
        "hq_gba": (region == 3).astype(np.float64),
        "proximity": np.where(
            np.isnan(dist), NEUTRAL["proximity"], 1.0 - np.minimum(dist, _DIST_SCALE) / _DIST_SCALE
        ),
        "distance_missing": np.isnan(dist).astype(np.float64),
        "shanxi_presence": np.nan_to_num(pres, nan=0.0),
        "shanxi_missing": np.isnan(pres).astype(np.float64),
        "tie_local": np.minimum(1.0, np.asarray(seg_tie_local).ravel()),
        "tie_leader": np.minimum(1.0, np.asarray(seg_tie_leader).ravel()),
        "risk_penalty": np.zeros(n) if risk_penalty is None else np.asarray(risk_penalty, dtype=np.float64),
    }
    X = np.empty((n, len(CANDIDATE_FEATURES)), dtype=np.float32)
    for k, name in enumerate(CANDIDATE_FEATURES):
        X[:, k] = f[name]
    obj = lambda key: np.asarray(cols.get(key, [None] * n), dtype=object)  # noqa: E731
    import pandas as pd

    norms = obj("name_norm") if "name_norm" in cols else obj("name")
    local = (
        pd.Series(obj("hq_city")).isin(["运城", "运城市"]).to_numpy()
        | pd.Series(norms).isin(ctx.local_names).to_numpy()
        | pd.Series(obj("credit_code")).isin(ctx.local_codes).to_numpy()
    )
    affiliates = _affiliates(norms, obj("group"), ctx)
    notes = np.empty(n, dtype=object)
    notes[:] = [tuple(x or ()) for x in cols.get("risk_notes", [()] * n)]
    return CandidateMatrix(
        ids=obj("id"),
        names=obj("name"),
        name_norms=norms,
        credit_codes=obj("credit_code"),
        hq_city=obj("hq_city"),
        hq_province=obj("hq_province"),
        groups=obj("group"),
        X=X,
        M=M,
        excluded=np.zeros(n, dtype=bool) if excluded is None else np.asarray(excluded, dtype=bool),
        raw={
            "revenue_cny_100m": rev,
            "revenue_growth": gro,
            "employees": emp,
            "valuation_usd_bn": val,
            "expansions_3y": exp_,
            "distance_km": dist,
            "region": region,
        },  # fmt: skip
        demo=np.asarray(cols.get("demo", np.zeros(n, dtype=bool)), dtype=bool),
        local=local,
        affiliates=affiliates,
        risk_notes=notes,
    )


def _affiliates(norms: np.ndarray, groups: np.ndarray, ctx: SegmentContext) -> np.ndarray:
    """Per candidate, the local enterprises of its group (:func:`matching.lead_rules.group_matches`);
    only rows containing some local group key are examined."""
    out = np.empty(len(norms), dtype=object)
    out[:] = [()] * len(norms)
    if not ctx.local_groups or len(norms) == 0:
        return out
    import pandas as pd

    text = pd.Series([f"{a or ''}\x1f{group_key(g)}" for a, g in zip(norms, groups, strict=True)], dtype=object)
    hit = np.zeros(len(norms), dtype=bool)
    for gk in ctx.local_groups:
        hit |= text.str.contains(gk, regex=False).to_numpy()
    for i in np.flatnonzero(hit).tolist():
        out[i] = group_matches(str(norms[i] or ""), groups[i], ctx.local_groups)
    return out


# ---------------------------------------------------------------------------
# pair features
# ---------------------------------------------------------------------------


def pair_blocks(ctx: SegmentContext, cols: Sequence[int] | np.ndarray, supplier_ok: np.ndarray | None = None) -> list[sp.csr_matrix]:
    """The segment × gap matrices whose products with the membership matrix give
    the pair features, in :data:`PAIR_FEATURES` order: ``D`` (produces S or a
    sub-segment of S; ``D = ctx.down``), ``diag(ok)·A·D`` (produces an
    attractable direct input of S or of a sub-segment), ``Aᵀ`` (buys S), ``R``
    (related) and ``diag(leader_input)·(D + diag(ok)·A·D)`` (链主配套), each
    restricted to the gap columns ``cols``."""
    col_idx = np.asarray(cols, dtype=np.int64)
    S, G = ctx.n_segments, len(col_idx)
    sel0 = sp.csr_matrix((np.ones(G), (col_idx, np.arange(G))), shape=(S, G))
    sel = (ctx.down @ sel0).tocsr() if ctx.down is not None else sel0
    ok = np.ones(S) if supplier_ok is None else np.asarray(supplier_ok, dtype=np.float64)
    sup = (sp.diags(ok) @ ctx.inputs @ sel).tocsr()  # material inputs only
    sup = sup - sup.multiply(sel)  # a sub-segment of S is not an input of S
    sup.eliminate_zeros()
    li = ctx.leader_input if len(ctx.leader_input) == S else np.zeros(S)
    lead = (sp.diags(li) @ (sel + sup)).tocsr()
    return [sel, sup, (ctx.A.T @ sel0).tocsr(), (ctx.R @ sel0).tocsr(), lead]


def fit_blocks(
    M: sp.csr_matrix, ctx: SegmentContext, cols: Sequence[int], supplier_ok: np.ndarray | None = None
) -> tuple[np.ndarray, ...]:
    """Dense (rows × len(cols)) blocks of the pair features (:data:`PAIR_FEATURES` order) for gap columns ``cols``."""
    return tuple(
        np.minimum(1.0, (M @ b.astype(np.float32)).toarray()) for b in pair_blocks(ctx, cols, supplier_ok)
    )


def pair_features(
    cm: CandidateMatrix, ctx: SegmentContext, gap: GapSpec, *, supplier_ok: np.ndarray | None = None
) -> np.ndarray:
    """The full feature matrix (n × len(FEATURES), float64, :data:`FEATURE_NAMES`
    order) of every candidate against one gap."""
    blocks = fit_blocks(cm.M, ctx, [gap.col], supplier_ok)
    n = len(cm)
    out = np.empty((n, len(FEATURES)))
    for k, b in enumerate(blocks):
        out[:, k] = b[:, 0]
    out[:, N_PAIR : N_PAIR + N_GAP] = gap.features()
    out[:, N_PAIR + N_GAP :] = cm.X
    return out


def pair_features_for(
    cm: CandidateMatrix,
    ctx: SegmentContext,
    rows: Sequence[int] | np.ndarray,
    gaps: Sequence[GapSpec],
    *,
    supplier_ok: np.ndarray | None = None,
) -> np.ndarray:
    """Features of arbitrary (candidate row, gap) pairs, vectorised (``len(rows) == len(gaps)``);
    ``supplier_ok`` (:func:`supplier_mask`) marks the segments that may supply a gap."""
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) != len(gaps):
        raise InvalidInput("rows and gaps must have the same length", field="gaps")
    n = len(rows)
    out = np.empty((n, len(FEATURES)))
    if n == 0:
        return out
    gcols = np.array([g.col for g in gaps], dtype=np.int64)
    Mr = cm.M[rows].astype(np.float64)
    # pair_blocks over all columns are segment × segment matrices; pick each pair's gap column
    for k, blk in enumerate(pair_blocks(ctx, np.arange(ctx.n_segments), supplier_ok)):
        P = (Mr @ blk).tocsr()
        out[:, k] = np.minimum(1.0, np.asarray(P[np.arange(n), gcols]).ravel())
    uniq: dict[int, int] = {}
    first: list[GapSpec] = []
    which = np.empty(n, dtype=np.int64)
    for i, g in enumerate(gaps):
        j = uniq.get(id(g))
        if j is None:
            j = uniq[id(g)] = len(first)
            first.append(g)
        which[i] = j
    out[:, N_PAIR : N_PAIR + N_GAP] = np.array([g.features() for g in first])[which]
    out[:, N_PAIR + N_GAP :] = cm.X[rows]
    return out
