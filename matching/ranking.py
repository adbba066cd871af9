"""Lead ranking: top-k per gap, per chain and overall, with diversity and reasons.

:func:`rank_leads` scores every (candidate, gap) pair of the requested scope
with the blended scorer (:mod:`matching.scoring`), keeps the best pairs per gap
(``np.argpartition`` on chunks of candidates — no per-candidate Python loop),
then builds one list:

* ``gap`` given — the leads of that gap;
* ``chain`` given — the leads of that chain's gaps, each candidate once;
* neither — all gaps, each candidate once.

Which pairs are leads is decided by the lead rules (:mod:`matching.lead_rules`):
only fill / strengthen / extend gaps; the candidate produces the gap segment
(``relation`` producer) or, for 强链, an attractable direct input of it
(``relation`` supplier) — a buyer never; rivals of a local 链主/链核 are left out
(``rivals_left_out``) unless ``include_rivals``, and then listed after every
complementary lead; a firm of a group already in 运城 is an existing investor
(``investor`` existing, 增资扩产, ``local_affiliates``).  Risk-excluded and
local firms are skipped (``include_local`` to keep local ones).

**Order.**  The score is led by the gap priority (``weights.yaml``), so across
gaps the lead order follows the gap order and within a gap the candidates'
fit orders them.  Chain and overall lists start with round 1, *gap coverage*:
walking the gaps from the highest priority down, each takes its best candidate
not taken yet, so every fitted top gap reaches the first page.  **Diversity
re-ranks, never hides**: the other leads follow by score in rounds 2, 3 …; a
round takes each lead whose headquarters city, group and gap have fewer than
``max_per_city`` / ``max_per_group`` / ``max_per_gap`` leads in that round, the
rest wait for the next round (:func:`diversity_rounds`; each lead reports its
``round``).  Every eligible candidate stays reachable by paging.  A list holds
at most ``max_list`` leads; ``total`` is its length and pages of ``k`` (at most
``max_page``) cut it.

Every lead carries its score, the contribution of each feature (they add up to
the score, with ``baseline`` when a learned model takes part), the blend weight
and a reason sentence built from the largest contributions by
:mod:`matching.reasons` (this module computes numbers only).  :func:`rank_list`
returns the whole list of a scope (:class:`RankedList`); :func:`rank_leads`
one page of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import scipy.sparse as sp
from pydantic import BaseModel, ConfigDict, Field

from chainmap.exceptions import InvalidInput, NotFound
from chainmap.i18n import norm_lang
from matching.candidates import ALLOWED_TAGS
from matching.features import (
    FEATURE_NAMES,
    IMPUTED_BY,
    N_GAP,
    N_PAIR,
    PAIR_FEATURES,
    CandidateMatrix,
    GapSpec,
    SegmentContext,
    build_candidate_matrix,
    build_segment_context,
    gap_specs,
    pair_blocks,
    pair_features_for,
    supplier_mask,
)
from matching.geo import source_region
from matching.lead_rules import FLAGS, is_peer_gap, policy_conditions
from matching.reasons import leaders_fed_by, reason_sentence
from matching.scoring import BlendedScorer, MatchingConfig, PriorScorer, default_config, fit_lead_scorer

if TYPE_CHECKING:
    from chainmap.data import ChainData

__all__ = [
    "Lead",
    "LeadPage",
    "rank_leads",
    "rank_list",
    "RankedList",
    "check_page",
    "leads_per_gap",
    "top_k_per_gap",
    "make_scorer",
    "training_set",
    "TrainingSet",
    "apply_diversity",
    "diversity_rounds",
]


class Lead(BaseModel):
    """One ranked lead: a candidate for a gap."""

    model_config = ConfigDict(extra="forbid")

    rank: int
    candidate_id: str
    name: str
    credit_code: str | None = None
    hq_province: str | None = None
    hq_city: str | None = None
    group: str | None = None
    chain_id: str
    gap_segment_id: str
    gap_segment_name: str
    gap_status: str
    gap_priority: float
    score: float
    prior_score: float
    blend_weight: float = Field(description="share of the learned model: n/(n+n0)")
    baseline: float = Field(0.0, description="blend_weight × the model's probability at the training mean")
    contributions: dict[str, float] = Field(description="feature -> contribution; sum + baseline = score")
    reason: str
    relation: str = Field("producer", description="producer 生产该环节 | supplier 为该环节供应直接上游 (强链 only)")
    investor: str = Field("new", description="new 新引进 | existing 增资扩产 (its group already has a local enterprise)")
    local_affiliates: list[str] = Field(default_factory=list, description="local enterprises of the candidate's group")
    flags: list[str] = Field(
        default_factory=list,
        description="rival 同业竞争 | peer 同业 | existing_group 增资扩产 | leader_supplier 链主配套 | "
        "policy_condition 政策条件 | risk_note | unverified_gap",
    )
    flag_labels: list[str] = Field(default_factory=list, description="the flags in the page's language")
    rivals: list[str] = Field(
        default_factory=list, description="local 链主/链核 (rival) or major local firms (peer) producing the same segment"
    )
    risk_notes: list[str] = Field(default_factory=list, description="free-text risk notes (not categories)")
    round: int = Field(1, description="diversity round: 1 = first lead of its city, group and gap in the list")
    tags: list[str] = Field(default_factory=list, description="the candidate's tags (codes of GET /labels `tag`)")
    hq_region: str | None = Field(None, description="source region of the headquarters: jjj 京津冀 | yrd 长三角 | gba 粤港澳大湾区")
    imputed: list[str] = Field(
        default_factory=list, description="features whose value was filled by a default because the datum is missing"
    )
    demo: bool = False


class LeadPage(BaseModel):
    """A page of a ranked list."""

    scope: str  # "gap" | "chain" | "overall"
    chain: str | None = None
    gap: str | None = None
    page: int
    page_size: int
    total: int
    items: list[Lead]
    blend_weight: float
    n_outcomes: int
    model: str = Field(description="prior | prior+model")
    include_rivals: bool = Field(False, description="rivals of local 链主/链核 listed (after the complementary leads)")
    rivals_left_out: int = Field(0, description="rival leads left out of this list (include_rivals=false)")
    demo: bool = False
    lang: str = "zh"


# ---------------------------------------------------------------------------
# scorer
# ---------------------------------------------------------------------------


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


class TrainingSet(NamedTuple):
    X: np.ndarray
    y: np.ndarray
    dates: list[Any]
    segments: list[str]
    unmatched: int


def training_set(
    cm: CandidateMatrix, ctx: SegmentContext, gap_items: Iterable[Any], outcomes: Iterable[Any]
) -> TrainingSet:
    """Features and labels of past leads: ``(X, y, dates, segments, unmatched)``.

    Each outcome (:class:`chainmap.projects.Outcome` or a mapping with
    ``credit_code`` / ``enterprise_name``, ``segment``, ``label``, ``date``) is
    matched to a candidate by credit code, else by normalised name, and to the
    gap of its segment (a segment without a current gap counts as ``sound``,
    priority 0).  Outcomes matching no candidate or no segment are counted in
    ``unmatched``.
    """
    from chainmap.names import normalize_company_name

    by_cc = {c: i for i, c in enumerate(cm.credit_codes.tolist()) if c}
    by_name: dict[str, int] = {}
    for i, nn in enumerate(cm.name_norms.tolist()):
        by_name.setdefault(nn, i)
    specs = {g.segment_id: g for g in gap_specs(ctx, gap_items, include_sound=True)}
    rows, gaps, ys, dates = [], [], [], []
    unmatched = 0
    for o in outcomes:
        cc = _get(o, "credit_code")
        name = _get(o, "enterprise_name") or _get(o, "name") or ""
        row = by_cc.get(str(cc).upper()) if cc else None
        if row is None and name:
            row = by_name.get(normalize_company_name(str(name)))
        seg = _get(o, "segment")
        spec = specs.get(seg)
        if spec is None and seg in ctx.index:
            spec = GapSpec(
                seg, ctx.index[seg], "sound", 0.0, ctx.chain_of[ctx.index[seg]], ctx.names_zh[ctx.index[seg]]
            )
        if row is None or spec is None:
            unmatched += 1
            continue
        rows.append(row)
        gaps.append(spec)
        ys.append(int(_get(o, "label")))
        dates.append(_get(o, "date"))
    X = pair_features_for(cm, ctx, rows, gaps)
    return TrainingSet(X, np.asarray(ys, dtype=int), dates, [g.segment_id for g in gaps], unmatched)


def make_scorer(
    cm: CandidateMatrix,
    ctx: SegmentContext,
    gap_items: Sequence[Any],
    outcomes: Iterable[Any] | None,
    config: MatchingConfig,
) -> BlendedScorer:
    """Prior alone, or the prior blended with a LeadScorer trained on ``outcomes``."""
    prior = PriorScorer(config.weights)
    if not outcomes:
        return BlendedScorer(prior)
    X, y, *_rest = training_set(cm, ctx, gap_items, outcomes)
    model = fit_lead_scorer(X, y, config)
    return BlendedScorer(prior, model, n_outcomes=len(y) if model is not None else 0, n0=config.blend.n0)


# ---------------------------------------------------------------------------
# vectorised top-k
# ---------------------------------------------------------------------------


def _prune_topk(g: np.ndarray, r: np.ndarray, v: np.ndarray, K: int) -> tuple[np.ndarray, ...]:
    """Keep the ``K`` best entries (highest ``v``) of every gap ``g``."""
    if len(v) == 0:
        return g, r, v
    order = np.lexsort((-v, g))
    g, r, v = g[order], r[order], v[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    first = np.repeat(starts, np.diff(np.r_[starts, len(g)]))
    keep = (np.arange(len(g)) - first) < K
    return g[keep], r[keep], v[keep]


def top_k_per_gap(
    cm: CandidateMatrix,
    ctx: SegmentContext,
    gaps: Sequence[GapSpec],
    scorer: BlendedScorer,
    *,
    k: int,
    min_fit: float = 0.0,
    chunk_size: int = 65536,
    include_local: bool = False,
    include_rivals: bool = False,
    supplier_ok: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Best ``k`` eligible candidates per gap: ``(rows, scores)``, each ``k × len(gaps)``,
    sorted best first; empty slots have row ``-1`` and score ``-inf``.

    Only related pairs are ever materialised: per chunk of candidates one
    sparse product ``M_chunk @ [blocks]`` (:func:`matching.features.pair_blocks`,
    restricted to the gap columns) yields the pair features of every related
    (candidate, gap) pair; the scores are vector operations on those entries,
    and a grouped sort keeps the running top ``k`` per gap.  A pair is kept only
    if it passes the lead rules (:mod:`matching.lead_rules`): the candidate
    produces the gap segment, or — 强链 gaps only — produces an attractable
    direct input of it; unless ``include_rivals``, a producer of a segment a
    local 链主/链核 produces (outside that firm's group) is left out.  Excluded
    candidates (risk) and, unless ``include_local``, local firms are skipped.
    """
    G, n = len(gaps), len(cm)
    K = max(1, k)
    out_r = np.full((K, G), -1, dtype=np.int64)
    out_v = np.full((K, G), -np.inf, dtype=np.float64)
    if G == 0 or n == 0:
        return out_r, out_v
    cols = np.array([g.col for g in gaps], dtype=np.int64)
    B = sp.hstack(pair_blocks(ctx, cols, supplier_ok), format="csr").astype(np.float32)
    gap_of = np.tile(np.arange(G), N_PAIR)
    blk_of = np.repeat(np.arange(N_PAIR), G)
    gapF = np.array([g.features() for g in gaps])
    strengthen = np.array([g.status == "strengthen" for g in gaps])
    rival_gap = _rival_gaps(ctx, gaps)
    wp, wm, bm = scorer.linear_parts()
    cand = slice(N_PAIR + N_GAP, None)
    gsl = slice(N_PAIR, N_PAIR + N_GAP)
    base_p = cm.X @ wp[cand].astype(np.float32)
    gc_p = gapF @ wp[gsl]
    fw_p = np.repeat(wp[:N_PAIR], G)
    if wm is not None:
        base_m = cm.X @ wm[cand].astype(np.float32)
        gc_m = gapF @ wm[gsl] + bm
        fw_m = np.repeat(wm[:N_PAIR], G)
    skip = cm.excluded if include_local else (cm.excluded | cm.local)
    kg = np.empty(0, dtype=np.int64)
    kr = np.empty(0, dtype=np.int64)
    kv = np.empty(0, dtype=np.float64)
    thr = np.full(G, -np.inf)  # K-th best score so far per gap (-inf while fewer than K)
    for start in range(0, n, chunk_size):
        stop = min(n, start + chunk_size)
        F = (cm.M[start:stop] @ B).tocoo()
        fr, fc = F.row, F.col
        fv = np.minimum(F.data, 1.0)
        fg, fb = gap_of[fc], blk_of[fc]
        shape = (stop - start, G)
        W = sp.csr_matrix((fw_p[fc] * fv, (fr, fg)), shape=shape)
        rr = np.repeat(np.arange(shape[0]), np.diff(W.indptr)) + start
        gg = W.indices.astype(np.int64)
        sc = base_p[rr] + gc_p[gg] + W.data
        exact = sp.csr_matrix((fv * (fb == 0), (fr, fg)), shape=shape).data
        sup = sp.csr_matrix((fv * (fb == 1), (fr, fg)), shape=shape).data
        fit = exact + np.where(strengthen[gg], sup, 0.0)
        ok = ~skip[rr] & (fit > min_fit) & ((exact > 0) | (strengthen[gg] & (sup > 0)))
        if not include_rivals:
            ok &= ~_is_rival(cm, ctx, gaps, rr, gg, exact, rival_gap, supplier_ok)
        if wm is not None:
            Wm = sp.csr_matrix((fw_m[fc] * fv, (fr, fg)), shape=shape)
            sc = scorer.combine(sc, base_m[rr] + gc_m[gg] + Wm.data)
        ok &= sc > thr[gg]  # cannot enter a full top-K list
        kg, kr, kv = _prune_topk(
            np.concatenate([kg, gg[ok]]), np.concatenate([kr, rr[ok]]), np.concatenate([kv, sc[ok]]), K
        )
        counts = np.bincount(kg, minlength=G)
        last = np.cumsum(counts) - 1
        full = counts >= K
        thr[full] = kv[last[full]]
    if len(kg):
        starts = np.flatnonzero(np.r_[True, kg[1:] != kg[:-1]])
        first = np.repeat(starts, np.diff(np.r_[starts, len(kg)]))
        pos = np.arange(len(kg)) - first
        out_r[pos, kg] = kr
        out_v[pos, kg] = kv
    return out_r, out_v


def _rival_gaps(ctx: SegmentContext, gaps: Sequence[GapSpec]) -> np.ndarray:
    """Per gap: are its same-segment producers rivals (a local 链主/链核 makes the segment) or
    peers (同业: a 强链 gap, not weak in capacity, with a major local producer)?"""
    rs = ctx.rival_seg if len(ctx.rival_seg) == ctx.n_segments else np.zeros(ctx.n_segments)
    return np.array([rs[g.col] > 0 or _peer_gap(ctx, g) for g in gaps], dtype=bool)


def _peer_gap(ctx: SegmentContext, g: GapSpec) -> bool:
    return (not g.provisional) and bool(ctx.peers_of.get(g.col)) and is_peer_gap(g.item)


def _rival_names(ctx: SegmentContext, g: GapSpec) -> tuple[str, ...]:
    """The local firms a same-segment producer of ``g`` competes with (链主/链核, then 同业 peers)."""
    names = list(ctx.rivals_of.get(g.col, ()))
    if _peer_gap(ctx, g):
        names += [n for n in ctx.peers_of.get(g.col, ()) if n not in names]
    return tuple(names)


def _is_rival(
    cm: CandidateMatrix,
    ctx: SegmentContext,
    gaps: Sequence[GapSpec],
    rows: np.ndarray,
    gidx: np.ndarray,
    exact: np.ndarray,
    rival_gap: np.ndarray,
    supplier_ok: np.ndarray | None = None,
) -> np.ndarray:
    """Rule 3 of :mod:`matching.lead_rules`: the pair's candidate produces a segment
    a local 链主/链核 produces (or, for a 强链 gap with a major local producer, the gap
    segment: a peer) and is not of that firm's group; or it supplies the 强链 gap only
    through inputs that such local firms already make (:func:`rival_inputs`)."""
    out = (exact > 0) & rival_gap[gidx]
    for i in np.flatnonzero(out).tolist():
        aff = cm.affiliates[rows[i]] if len(cm.affiliates) else ()
        if not aff:
            continue
        if set(aff) & set(_rival_names(ctx, gaps[int(gidx[i])])):
            out[i] = False
    for i in np.flatnonzero(exact <= 0).tolist():
        g = gaps[int(gidx[i])]
        if g.status == "strengthen" and rival_inputs(cm, ctx, int(rows[i]), g, supplier_ok)[0]:
            out[i] = True
    return out


def lead_conditions(
    cm: CandidateMatrix, ctx: SegmentContext, row: int, g: GapSpec, conditional: Mapping[int, Any], lang: str = "zh"
) -> list[str]:
    """The policy conditions a lead carries (rule 5 of :mod:`matching.lead_rules`): those of its
    gap, then those of the candidate's other produced segments under a conditional policy (a die
    caster offered for car bodies still builds a foundry), each naming that segment."""
    out = list(policy_conditions(g.item, lang))
    fam = {g.col} if ctx.down is None else set(ctx.down[:, g.col].nonzero()[0].tolist())
    for col in cm.M[row].indices.tolist():
        if col in fam or col not in conditional:
            continue
        name = ctx.names_en[col] if lang == "en" else ctx.names_zh[col]
        for cond in policy_conditions(conditional[col], lang):
            text = f"{cond} (its {name} business)" if lang == "en" else f"{cond}（该企业的{name}业务）"
            if text not in out:
                out.append(text)
    return out


def rival_inputs(
    cm: CandidateMatrix, ctx: SegmentContext, row: int, g: GapSpec, supplier_ok: np.ndarray | None = None
) -> tuple[list[int], tuple[str, ...]]:
    """``(input segments, local firms)`` when a supplier lead of a 强链 gap supplies it only through
    inputs that local 链主/链核 or major firms already produce (not of its own group): a second
    smelter beside the local one is its rival, not a complementary supplier.  ``([], ())`` when
    any input it supplies is not so produced (or it is not a supplier)."""
    targets = [g.col] if ctx.down is None else ctx.down[:, g.col].nonzero()[0].tolist()
    fam = set(targets)
    A = ctx.inputs
    ok = supplier_ok if supplier_ok is not None and len(supplier_ok) == ctx.n_segments else None
    ins = [
        t for t in cm.M[row].indices.tolist()
        if t not in fam and (ok is None or ok[t] > 0) and any(A[t, c] for c in targets)
    ]  # fmt: skip
    if not ins:
        return [], ()
    own = set(cm.affiliates[row]) if len(cm.affiliates) else set()
    names: list[str] = []
    for t in ins:
        local = [n for n in dict.fromkeys((*ctx.rivals_of.get(t, ()), *ctx.peers_of.get(t, ()))) if n not in own]
        if not local:
            return [], ()
        names += [n for n in local if n not in names]
    return ins, tuple(names)


# ---------------------------------------------------------------------------
# lists
# ---------------------------------------------------------------------------


def apply_diversity(
    cities: Sequence[Any],
    groups: Sequence[Any],
    *,
    max_per_city: int,
    max_per_group: int,
    limit: int,
    gaps: Sequence[Any] | None = None,
    max_per_gap: int | None = None,
) -> list[int]:
    """The positions of a ranked list re-ordered by the diversity rule, at most ``limit``.

    Diversity re-ranks, it never hides: walking down the list in rounds, a
    round takes each position whose headquarters city, group and (when
    ``gaps`` is given) gap have not yet reached ``max_per_city``,
    ``max_per_group`` and ``max_per_gap`` positions *in this round*; the rest
    wait for the next round.  Unknown city / group / gap are not limited.
    Every position appears once; :func:`diversity_rounds` gives each one's round.

    >>> apply_diversity(["深圳", "深圳", "深圳", "上海"], [None, "g", "g", None],
    ...                 max_per_city=2, max_per_group=1, limit=10)
    [0, 1, 3, 2]
    """
    order, _rounds = diversity_rounds(
        cities, groups, max_per_city=max_per_city, max_per_group=max_per_group, gaps=gaps, max_per_gap=max_per_gap
    )
    return order[:limit]


def diversity_rounds(
    cities: Sequence[Any],
    groups: Sequence[Any],
    *,
    max_per_city: int,
    max_per_group: int,
    gaps: Sequence[Any] | None = None,
    max_per_gap: int | None = None,
) -> tuple[list[int], list[int]]:
    """``(order, round of each position in order)`` of :func:`apply_diversity`.

    >>> diversity_rounds(["a", "a", "b"], [None] * 3, max_per_city=1, max_per_group=1)
    ([0, 2, 1], [1, 1, 2])
    """
    n = len(cities)
    gap_seq: Sequence[Any] = gaps if gaps is not None else [None] * n
    cap_gap = max_per_gap if max_per_gap is not None else n + 1
    pending = list(range(n))
    order: list[int] = []
    rounds: list[int] = []
    r = 0
    while pending:
        r += 1
        per: dict[tuple[str, Any], int] = {}
        later: list[int] = []
        for i in pending:
            keys = [("c", cities[i], max_per_city), ("g", groups[i], max_per_group), ("s", gap_seq[i], cap_gap)]
            if any(v and per.get((t, v), 0) >= cap for t, v, cap in keys):
                later.append(i)
                continue
            order.append(i)
            rounds.append(r)
            for t, v, _cap in keys:
                if v:
                    per[(t, v)] = per.get((t, v), 0) + 1
        pending = later
    return order, rounds


def _select_gaps(
    ctx: SegmentContext,
    specs: list[GapSpec],
    chain: str | None,
    gap: str | None,
    statuses: Mapping[str, str] | None = None,
) -> list[GapSpec]:
    statuses = statuses or {}
    if gap is not None:
        if gap not in ctx.index:
            raise NotFound(
                f"unknown segment {gap!r}", field="gap", hint="list segment ids with `chainmap chains`"
            )
        out = [g for g in specs if g.segment_id == gap]
        if not out:
            raise NotFound(
                f"segment {gap!r} has no gap to fill, strengthen or extend (status {statuses.get(gap, 'sound')})",
                field="gap",
                hint="see `chainmap gaps` for the current gaps",
            )
        return out
    if chain is not None:
        out = [g for g in specs if chain in (g.chain_id, ctx.chain_of[g.col], ctx.seg_chain[g.col])]
        if not out and chain not in set(ctx.chain_of) | set(ctx.seg_chain):
            raise NotFound(
                f"unknown chain {chain!r}", field="chain", hint="chains: he, qi, sheng, cai (and cai.*)"
            )
        return out
    return specs


def _ranked_pairs(
    cm: CandidateMatrix,
    ctx: SegmentContext,
    gaps: list[GapSpec],
    scorer: BlendedScorer,
    cfg: MatchingConfig,
    keep: int,
    supplier_ok: np.ndarray,
) -> tuple[np.ndarray, list[GapSpec], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Eligible pairs of the scope (rivals included), exactly re-scored and sorted:
    (rows, gaps, X, score, contrib, base)."""
    rows, vals = top_k_per_gap(
        cm,
        ctx,
        gaps,
        scorer,
        k=keep,
        min_fit=cfg.ranking.min_fit,
        chunk_size=cfg.ranking.chunk_size,
        include_local=cfg.ranking.include_local,
        include_rivals=True,
        supplier_ok=supplier_ok,
    )
    r_idx, g_idx = np.nonzero(np.isfinite(vals))
    pr = rows[r_idx, g_idx]
    pg = [gaps[j] for j in g_idx.tolist()]
    X = pair_features_for(cm, ctx, pr, pg, supplier_ok=supplier_ok)
    _drop_own_group_leader_input(cm, ctx, pr, pg, X)
    score, contrib, base = scorer.explain(X)
    order = np.lexsort((cm.ids[pr].astype(str), -score))
    return pr[order], [pg[i] for i in order.tolist()], X[order], score[order], contrib[order], base[order]


_EXACT = PAIR_FEATURES.index("fit_exact")
_LEADER = PAIR_FEATURES.index("fit_leader_input")


def _drop_own_group_leader_input(
    cm: CandidateMatrix, ctx: SegmentContext, rows: np.ndarray, gaps: Sequence[GapSpec], X: np.ndarray
) -> None:
    """No 链主配套 term where every 链主 the lead would supply is of its own group (rule 3 of
    :mod:`matching.lead_rules`: feeding one's own subsidiary is an expansion, flagged 增资扩产)."""
    if not len(cm.affiliates) or not len(rows):
        return
    for i in np.flatnonzero(X[:, _LEADER] > 0).tolist():
        r = int(rows[i])
        if cm.affiliates[r] and not leaders_fed_by(cm, ctx, r, gaps[i]):
            X[i, _LEADER] = 0.0


@dataclass(frozen=True)
class RankedList:
    """The ranked list of one scope, numbers only: the kept (candidate, gap) pairs
    in rank order with their features, scores and contributions, whether each
    is a rival (``rival``) and its diversity round (``rounds``).

    :meth:`lead` turns one position into a :class:`Lead` (with its reason
    sentence, :mod:`matching.reasons`); :meth:`page` cuts a :class:`LeadPage`.
    Neither re-ranks, so pages and page sizes of one list are slices."""

    scope: str  # "gap" | "chain" | "overall"
    chain: str | None
    gap: str | None
    cm: CandidateMatrix
    ctx: SegmentContext
    scorer: BlendedScorer
    rows: np.ndarray
    gaps: list[GapSpec]
    X: np.ndarray
    score: np.ndarray
    contrib: np.ndarray
    base: np.ndarray
    demo: bool
    max_list: int
    max_page: int = 200
    rival: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    rounds: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    include_rivals: bool = False
    rivals_left_out: int = 0
    supplier_ok: np.ndarray | None = None
    #: segment column -> the gap items covering it with a conditional policy (政策条件)
    conditional: dict[int, Any] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.rows)

    def lead(self, pos: int, lang: str = "zh") -> Lead:
        """The lead at 0-based position ``pos`` (rank ``pos + 1``)."""
        return _lead(
            self.cm, self.ctx, int(self.rows[pos]), self.gaps[pos], self.X[pos], float(self.score[pos]),
            self.contrib[pos], float(self.base[pos]), self.scorer, pos + 1, norm_lang(lang),
            rival=bool(self.rival[pos]) if len(self.rival) else False,
            round_=int(self.rounds[pos]) if len(self.rounds) else 1, supplier_ok=self.supplier_ok,
            conditional=self.conditional,
        )  # fmt: skip

    def page(
        self, *, k: int, page: int = 1, lang: str = "zh", lead: Callable[[int], Lead] | None = None
    ) -> LeadPage:
        """Page ``page`` (1-based) of ``k`` leads; ``lead(pos)`` may supply memoised leads."""
        check_page(k, page, self.max_page)
        lang = norm_lang(lang)
        make = lead or (lambda pos: self.lead(pos, lang))
        start = (page - 1) * k
        return LeadPage(
            scope=self.scope,
            chain=self.chain,
            gap=self.gap,
            page=page,
            page_size=k,
            total=self.total,
            items=[make(pos) for pos in range(start, min(self.total, start + k))],
            blend_weight=round(self.scorer.w, 4),
            n_outcomes=self.scorer.n_outcomes,
            model="prior+model" if self.scorer.w > 0 else "prior",
            include_rivals=self.include_rivals,
            rivals_left_out=self.rivals_left_out,
            demo=self.demo,
            lang=lang,
        )


def _gap_led_order(
    cm: CandidateMatrix, rows: np.ndarray, gaps: list[GapSpec], rival: np.ndarray, cfg: MatchingConfig
) -> tuple[list[int], list[int]]:
    """Order of the pairs of a chain or overall list (each candidate once), with rounds.

    Round 1 (gap coverage): walking the gaps from the highest priority down,
    each gap takes its best-scoring complementary candidate not taken yet — so
    the top gaps all reach the first page.  Then every other candidate at its
    best remaining gap, by score, in diversity rounds 2, 3 … (city, group and
    gap caps, :func:`diversity_rounds`); rivals last, likewise."""
    n = len(rows)
    taken: set[int] = set()
    order: list[int] = []
    rounds: list[int] = []
    best_of_gap: dict[str, list[int]] = {}
    for i in range(n):  # pairs are in score order
        if not rival[i]:
            best_of_gap.setdefault(gaps[i].segment_id, []).append(i)
    prio = {g.segment_id: g.priority for g in gaps}
    for seg in sorted(best_of_gap, key=lambda s_: (-prio[s_], s_)):
        pick = next((i for i in best_of_gap[seg] if int(rows[i]) not in taken), None)
        if pick is not None:
            taken.add(int(rows[pick]))
            order.append(pick)
            rounds.append(1)
    for want_rival in (False, True):
        rest: list[int] = []
        for i in range(n):
            if bool(rival[i]) == want_rival and int(rows[i]) not in taken:
                taken.add(int(rows[i]))
                rest.append(i)
        part = np.asarray(rest, dtype=np.int64)
        o, r = diversity_rounds(
            cm.hq_city[rows[part]].tolist(),
            cm.groups[rows[part]].tolist(),
            gaps=[gaps[i].segment_id for i in rest],
            max_per_city=cfg.ranking.max_per_city,
            max_per_group=cfg.ranking.max_per_group,
            max_per_gap=cfg.ranking.max_per_gap,
        )
        order.extend(part[o].tolist())
        rounds.extend(x + 1 for x in r)
    return order, rounds


def check_page(k: Any, page: Any, max_page: int) -> None:
    """InvalidInput unless ``1 <= k <= max_page`` and ``page >= 1`` (both integers)."""
    if not isinstance(k, int) or not 1 <= k <= max_page:
        raise InvalidInput(f"k must be between 1 and {max_page}, got {k!r}", field="k")
    if not isinstance(page, int) or page < 1:
        raise InvalidInput(f"page must be 1 or more, got {page!r}", field="page")


def rank_list(
    data: ChainData,
    gap_items: Sequence[Any],
    candidates: Sequence[Mapping[str, Any]] | CandidateMatrix,
    *,
    chain: str | None = None,
    gap: str | None = None,
    outcomes: Iterable[Any] | None = None,
    config: MatchingConfig | None = None,
    context: SegmentContext | None = None,
    scorer: BlendedScorer | None = None,
    include_rivals: bool | None = None,
) -> RankedList:
    """The whole ranked list of a scope (see :func:`rank_leads` for the parameters)."""
    cfg = config or default_config()
    ctx = context or build_segment_context(data)
    cm = (
        candidates
        if isinstance(candidates, CandidateMatrix)
        else build_candidate_matrix(list(candidates), ctx)
    )
    items = list(gap_items)
    statuses = {str(_get(g, "segment_id")): str(getattr(_get(g, "status"), "value", _get(g, "status"))) for g in items}
    specs = _select_gaps(ctx, gap_specs(ctx, items), chain, gap, statuses)
    bs = scorer or make_scorer(cm, ctx, items, outcomes, cfg)
    with_rivals = cfg.ranking.include_rivals if include_rivals is None else include_rivals
    scope = "gap" if gap is not None else ("chain" if chain is not None else "overall")
    max_list = cfg.ranking.max_list
    rows, gaps, X, score, contrib, base = _ranked_pairs(
        cm, ctx, specs, bs, cfg, max_list * cfg.ranking.oversample, supplier_mask(ctx, items)
    )
    sup_ok = supplier_mask(ctx, items)
    rival = _is_rival(
        cm, ctx, gaps, rows, np.arange(len(gaps)), X[:, _EXACT] if len(rows) else np.zeros(0),
        _rival_gaps(ctx, gaps), sup_ok,
    )  # fmt: skip
    rival_rows = set(rows[rival].tolist())
    if not with_rivals:
        keep_pairs = ~rival
        rows, X, score, contrib, base, rival = (a[keep_pairs] for a in (rows, X, score, contrib, base, rival))
        gaps = [g for g, k_ in zip(gaps, keep_pairs.tolist(), strict=True) if k_]
    order: list[int] = []
    rounds: list[int] = []
    if scope == "gap":
        for part in (np.flatnonzero(~rival), np.flatnonzero(rival)):  # rivals after every complementary lead
            o, r = diversity_rounds(
                cm.hq_city[rows[part]].tolist(),
                cm.groups[rows[part]].tolist(),
                max_per_city=cfg.ranking.max_per_city,
                max_per_group=cfg.ranking.max_per_group,
            )
            order.extend(part[o].tolist())
            rounds.extend(r)
    else:
        order, rounds = _gap_led_order(cm, rows, gaps, rival, cfg)
    listed = {int(rows[i]) for i in order}
    left_out = 0 if with_rivals else len(rival_rows - listed)  # rivals not listed in any other role
    kept = order[:max_list]
    idx = np.asarray(kept, dtype=np.int64)
    return RankedList(
        scope=scope,
        chain=chain,
        gap=gap,
        cm=cm,
        ctx=ctx,
        scorer=bs,
        rows=rows[idx],
        gaps=[gaps[i] for i in kept],
        X=X[idx],
        score=score[idx],
        contrib=contrib[idx],
        base=base[idx],
        demo=bool(cm.demo[rows[idx]].any()) if kept else bool(cm.demo.any()),
        max_list=max_list,
        max_page=cfg.ranking.max_page,
        rival=rival[idx],
        rounds=np.asarray(rounds[: len(kept)], dtype=np.int64),
        include_rivals=with_rivals,
        rivals_left_out=left_out,
        supplier_ok=sup_ok,
        conditional={
            ctx.index[str(_get(it, "segment_id"))]: it
            for it in items
            if str(_get(it, "segment_id")) in ctx.index and policy_conditions(it)
        },
    )


def rank_leads(
    data: ChainData,
    gap_items: Sequence[Any],
    candidates: Sequence[Mapping[str, Any]] | CandidateMatrix,
    *,
    k: int = 20,
    chain: str | None = None,
    gap: str | None = None,
    page: int = 1,
    lang: str = "zh",
    outcomes: Iterable[Any] | None = None,
    config: MatchingConfig | None = None,
    context: SegmentContext | None = None,
    scorer: BlendedScorer | None = None,
    include_rivals: bool | None = None,
) -> LeadPage:
    """Rank candidates for the gaps of ``gap_items`` and return one page.

    Parameters
    ----------
    data : ChainData
        Segments, links and local enterprises (:func:`chainmap.seed.load_seed`).
    gap_items : sequence of GapItem
        From :func:`chainmap.analysis.gaps.analyze_gaps` (``.items``); ``sound``
        items are ignored.
    candidates : candidate records or a CandidateMatrix
    k : int
        Page size (leads per page).
    chain, gap : str, optional
        Scope: one chain's gaps, or one gap segment; neither = all gaps.
    page : int
        1-based page of the list.
    lang : "zh" | "en"
        Language of the reasons.
    outcomes : iterable of Outcome, optional
        Past leads (signed = 1 / dropped = 0) to train the learned model; the
        blend weight is n/(n+n0).
    config : MatchingConfig, optional
        Weights and ranking settings (default: ``weights.yaml``, read once).
    context, scorer : optional
        Precomputed :class:`SegmentContext` / :class:`BlendedScorer` (reuse).
    include_rivals : bool, optional
        List the rivals of local 链主/链核 (flag ``rival``, after every
        complementary lead); default ``ranking.include_rivals`` (false).

    Raises
    ------
    InvalidInput
        ``k`` or ``page`` out of range, or an unknown ``lang``.
    NotFound
        Unknown ``chain`` or ``gap``, or a ``gap`` segment without a gap.

    Notes
    -----
    ``rank_list(...).page(k=k, page=page, lang=lang)``; keep the
    :class:`RankedList` (``matching.service.lead_list`` caches it) to serve
    other pages or page sizes without ranking again.
    """
    lang = norm_lang(lang)
    cfg = config or default_config()
    check_page(k, page, cfg.ranking.max_page)
    ranked = rank_list(
        data, gap_items, candidates, chain=chain, gap=gap, outcomes=outcomes, config=cfg, context=context,
        scorer=scorer, include_rivals=include_rivals,
    )  # fmt: skip
    return ranked.page(k=k, page=page, lang=lang)


def leads_per_gap(
    data: ChainData,
    gap_items: Sequence[Any],
    candidates: Sequence[Mapping[str, Any]] | CandidateMatrix,
    *,
    k: int = 20,
    chain: str | None = None,
    lang: str = "zh",
    outcomes: Iterable[Any] | None = None,
    config: MatchingConfig | None = None,
) -> dict[str, LeadPage]:
    """The first page of every gap's list (segment id -> LeadPage), sharing one scorer."""
    cfg = config or default_config()
    ctx = build_segment_context(data)
    cm = (
        candidates
        if isinstance(candidates, CandidateMatrix)
        else build_candidate_matrix(list(candidates), ctx)
    )
    bs = make_scorer(cm, ctx, gap_items, outcomes, cfg)
    out = {}
    for g in _select_gaps(ctx, gap_specs(ctx, gap_items), chain, None, None):
        out[g.segment_id] = rank_leads(
            data, gap_items, cm, k=k, gap=g.segment_id, lang=lang, config=cfg, context=ctx, scorer=bs
        )
    return out


# ---------------------------------------------------------------------------
# leads (the reason sentence comes from matching.reasons)
# ---------------------------------------------------------------------------


def _lead(
    cm: CandidateMatrix,
    ctx: SegmentContext,
    row: int,
    g: GapSpec,
    x: np.ndarray,
    score: float,
    contrib: np.ndarray,
    base: float,
    bs: BlendedScorer,
    rank: int,
    lang: str,
    *,
    rival: bool = False,
    round_: int = 1,
    supplier_ok: np.ndarray | None = None,
    conditional: Mapping[int, Any] | None = None,
) -> Lead:
    contributions = {f: round(float(c), 6) for f, c in zip(FEATURE_NAMES, contrib, strict=True) if c != 0.0}
    prior = float(bs.prior.score(x[None, :])[0])
    city = cm.hq_city[row]
    values = dict(zip(FEATURE_NAMES, x.tolist(), strict=True))
    relation = "producer" if x[_EXACT] > 0 else "supplier"
    affiliates = list(cm.affiliates[row]) if len(cm.affiliates) else []
    notes = list(cm.risk_notes[row]) if len(cm.risk_notes) else []
    via, via_names = rival_inputs(cm, ctx, row, g, supplier_ok) if rival and relation == "supplier" else ([], ())
    rival_names = list(via_names) if via else list(_rival_names(ctx, g))
    leaders = {n for c in (via or [g.col]) for n in ctx.rivals_of.get(c, ())}
    leader_rival = rival and bool((leaders & set(rival_names)) - set(affiliates))
    conditions = lead_conditions(cm, ctx, row, g, conditional or {}, lang)
    flags = [
        f
        for f, on in (
            ("rival", leader_rival),
            ("peer", rival and not leader_rival),
            ("existing_group", bool(affiliates)),
            ("leader_supplier", x[_LEADER] > 0),
            ("policy_condition", bool(conditions)),
            ("risk_note", bool(notes)),
            ("unverified_gap", g.provisional),
        )
        if on
    ]
    return Lead(
        rank=rank,
        candidate_id=str(cm.ids[row]),
        name=str(cm.names[row]),
        credit_code=cm.credit_codes[row] or None,
        hq_province=cm.hq_province[row] or None,
        hq_city=city or None,
        group=cm.groups[row] or None,
        chain_id=g.chain_id,
        gap_segment_id=g.segment_id,
        gap_segment_name=g.segment_name if lang == "zh" else ctx.names_en[g.col],
        gap_status="unverified" if g.provisional else g.status,
        gap_priority=round(g.priority, 4),
        score=round(float(score), 6),
        prior_score=round(prior, 6),
        blend_weight=round(bs.w, 4),
        baseline=round(float(base), 6),
        contributions=contributions,
        reason=reason_sentence(
            cm,
            ctx,
            row,
            g,
            dict(zip(FEATURE_NAMES, contrib.tolist(), strict=True)),
            lang,
            values=values,
            relation=relation,
            rival=rival,
            rival_via=(via, via_names),
            conditions=conditions,
        ),
        relation=relation,
        investor="existing" if affiliates else "new",
        local_affiliates=affiliates,
        flags=flags,
        flag_labels=[FLAGS[f][0] if lang == "zh" else FLAGS[f][1] for f in flags],
        rivals=rival_names if rival else [],
        risk_notes=notes,
        round=round_,
        tags=[t for t in ALLOWED_TAGS if values.get(f"tag_{t}", 0.0) > 0],
        hq_region=source_region(cm.hq_province[row] or None, city or None),
        imputed=[f for f, missing in IMPUTED_BY.items() if values.get(missing, 0.0) > 0],
        demo=bool(cm.demo[row]),
    )
