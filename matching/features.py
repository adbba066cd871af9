"""(candidate, gap) features: names, meanings and vectorised computation.

Features come in three families (see :data:`FEATURES` for every name with its
Chinese and English meaning):

* **pair** features — how the candidate's segments relate to the gap segment
  (operates in it, supplies it, buys from it, is related to it);
* **gap** features — the gap's priority and type (补链 fill / 强链 strengthen /
  延链 extend), equal for every candidate of one gap;
* **candidate** features — scale, growth, expansion, geography, ties to local
  firms (above all a 链主) and risk, computed once per candidate.

Every feature is a number in [0, 1] except ``growth_revenue`` (clipped to
[-0.5, 1]) and ``risk_penalty`` (0, 1 or 2 flags).  **Missing values** never
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
from chainmap.names import normalize_company_name
from matching import geo
from matching.candidates import ALLOWED_TAGS, EXCLUDING_RISKS

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
    Feature("fit_exact", "pair", "企业主营该缺口环节（匹配置信度）", "operates in the gap segment (match confidence)"),
    Feature("fit_supplies", "pair", "企业所在环节向缺口环节供货", "operates in a segment that supplies the gap segment"),
    Feature("fit_buys", "pair", "企业所在环节采购缺口环节产品", "operates in a segment that buys from the gap segment"),
    Feature("fit_related", "pair", "企业所在环节与缺口环节相邻（同属上级环节、赋能或两步供需）",
            "operates in a related segment (same parent, enabling, or two supply steps away)"),
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
    Feature("risk_penalty", "candidate", "风险标记数（重大诉讼、环保处罚）", "number of risk flags (major litigation, environmental penalty)"),
)  # fmt: skip

FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
PAIR_FEATURES = tuple(f.name for f in FEATURES if f.family == "pair")
GAP_FEATURES = tuple(f.name for f in FEATURES if f.family == "gap")
CANDIDATE_FEATURES = tuple(f.name for f in FEATURES if f.family == "candidate")
N_PAIR, N_GAP = len(PAIR_FEATURES), len(GAP_FEATURES)

#: Neutral values used when a number is missing (raw units).
NEUTRAL = {"revenue_cny_100m": 10.0, "employees": 500.0, "revenue_growth": 0.0, "proximity": 0.5}
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
    for ln in data.links:
        u, v = index.get(ln.source), index.get(ln.target)
        if u is None or v is None:
            continue
        kind = str(getattr(ln.kind, "value", ln.kind))
        if kind == "supplies":
            sup_r.append(u)
            sup_c.append(v)
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
    city = data.region_index.city()
    local_firms = local_enterprises(data, city.id) if city is not None else []
    for e in local_firms:
        is_leader = any(str(getattr(t, "value", t)) == "chain_leader" for t in (e.tags or []))
        for presence in e.segments:
            col = index.get(presence.segment)
            if col is not None:
                local[col] = 1.0
                if is_leader:
                    leader[col] = 1.0
    both = (A + A.T).tocsr()
    both.data[:] = 1.0
    roots = data.chain_root
    tie_local = np.minimum(1.0, both @ local)
    tie_leader = np.minimum(1.0, both @ leader)
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

    def features(self) -> np.ndarray:
        return np.array(
            [self.priority, *(1.0 if self.status == s else 0.0 for s in _GAP_STATUSES)], dtype=np.float64
        )


def gap_specs(ctx: SegmentContext, gap_items: Iterable[Any], *, include_sound: bool = False) -> list[GapSpec]:
    """GapSpecs for the gap items whose segment is known (``sound`` ones dropped unless asked)."""
    out = []
    for g in gap_items:
        seg = _get(g, "segment_id")
        status = str(_get(g, "status", "fill"))
        if seg not in ctx.index or (status not in _GAP_STATUSES and not (include_sound and status == "sound")):
            continue
        pr = _get(g, "priority", 0.5)
        out.append(
            GapSpec(
                segment_id=seg,
                col=ctx.index[seg],
                status=status,
                priority=float(0.5 if pr is None else pr),
                chain_id=str(_get(g, "chain_id", "") or ctx.chain_of[ctx.index[seg]]),
                segment_name=str(_get(g, "segment_name", "") or ctx.names_zh[ctx.index[seg]]),
                item=g,
            )
        )
    return out


# ---------------------------------------------------------------------------
# candidates
# ---------------------------------------------------------------------------


@dataclass
class CandidateMatrix:
    """Candidates as arrays: ``X`` (n × candidate features, float32, in
    :data:`CANDIDATE_FEATURES` order), ``M`` (n × segments, CSR, match
    confidence), ``excluded`` (dishonest / abnormal operation), ``local``
    (headquartered in 运城 or one of the seed's local enterprises — served by
    local 强链 programmes, not attracted; skipped by the ranking unless
    ``include_local``) and display columns."""

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

    def __len__(self) -> int:
        return len(self.ids)


def _flt(values: Sequence[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def build_candidate_matrix(candidates: Sequence[Mapping[str, Any]], ctx: SegmentContext) -> CandidateMatrix:
    """Candidate records (see :mod:`matching.candidates`) -> :class:`CandidateMatrix`.

    Explicit ``segments`` count with confidence 1, ``mapped_segments`` with
    their confidence; ids unknown to ``ctx`` are ignored.
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
    for i, r in enumerate(recs):
        for t in r.get("tags") or []:
            k = tag_idx.get(t)
            if k is not None:
                tags[i, k] = True
        flags = set(r.get("risk_flags") or [])
        excl[i] = bool(flags & EXCLUDING_RISKS)
        risk_pen[i] = len(flags - EXCLUDING_RISKS)
    presence = [r.get("shanxi_presence") for r in recs]
    cols_ = {
        "id": [r.get("id") for r in recs],
        "name": [r.get("name") for r in recs],
        "name_norm": [r.get("name_norm") or normalize_company_name(str(r.get("name") or "")) for r in recs],
        "credit_code": [r.get("credit_code") for r in recs],
        "hq_province": [r.get("hq_province") for r in recs],
        "hq_city": [r.get("hq_city") for r in recs],
        "group": [(r.get("attributes") or {}).get("group") for r in recs],
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
    ``group`` (sequences) and the numeric columns ``revenue_cny_100m``,
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
    )


# ---------------------------------------------------------------------------
# pair features
# ---------------------------------------------------------------------------


def fit_blocks(M: sp.csr_matrix, ctx: SegmentContext, cols: Sequence[int]) -> tuple[np.ndarray, ...]:
    """Dense (rows × len(cols)) blocks of the four pair features for gap columns ``cols``."""
    col_idx = np.asarray(cols, dtype=np.int64)
    S, G = ctx.n_segments, len(col_idx)
    sel = sp.csr_matrix((np.ones(G, dtype=np.float32), (col_idx, np.arange(G))), shape=(S, G))
    exact = (M @ sel).toarray()
    sup = np.minimum(1.0, (M @ (ctx.A @ sel).astype(np.float32)).toarray())
    buy = np.minimum(1.0, (M @ (ctx.A.T @ sel).astype(np.float32)).toarray())
    rel = np.minimum(1.0, (M @ (ctx.R @ sel).astype(np.float32)).toarray())
    return exact, sup, buy, rel


def pair_features(cm: CandidateMatrix, ctx: SegmentContext, gap: GapSpec) -> np.ndarray:
    """The full feature matrix (n × len(FEATURES), float64, :data:`FEATURE_NAMES`
    order) of every candidate against one gap."""
    exact, sup, buy, rel = fit_blocks(cm.M, ctx, [gap.col])
    n = len(cm)
    out = np.empty((n, len(FEATURES)))
    out[:, 0], out[:, 1], out[:, 2], out[:, 3] = exact[:, 0], sup[:, 0], buy[:, 0], rel[:, 0]
    out[:, N_PAIR : N_PAIR + N_GAP] = gap.features()
    out[:, N_PAIR + N_GAP :] = cm.X
    return out


def pair_features_for(
    cm: CandidateMatrix, ctx: SegmentContext, rows: Sequence[int] | np.ndarray, gaps: Sequence[GapSpec]
) -> np.ndarray:
    """Features of arbitrary (candidate row, gap) pairs, vectorised (``len(rows) == len(gaps)``)."""
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) != len(gaps):
        raise InvalidInput("rows and gaps must have the same length", field="gaps")
    n = len(rows)
    out = np.empty((n, len(FEATURES)))
    if n == 0:
        return out
    gcols = np.array([g.col for g in gaps], dtype=np.int64)
    E = sp.csr_matrix((np.ones(n), (np.arange(n), gcols)), shape=(n, ctx.n_segments))
    Mr = cm.M[rows].astype(np.float64)
    out[:, 0] = np.asarray(Mr.multiply(E).sum(axis=1)).ravel()
    out[:, 1] = np.minimum(1.0, np.asarray((Mr @ ctx.A).multiply(E).sum(axis=1)).ravel())
    out[:, 2] = np.minimum(1.0, np.asarray((Mr @ ctx.A.T).multiply(E).sum(axis=1)).ravel())
    out[:, 3] = np.minimum(1.0, np.asarray((Mr @ ctx.R).multiply(E).sum(axis=1)).ravel())
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
