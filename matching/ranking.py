"""Lead ranking: top-k per gap, per chain and overall, with diversity and reasons.

:func:`rank_leads` scores every (candidate, gap) pair of the requested scope
with the blended scorer (:mod:`matching.scoring`), keeps the best pairs per gap
(``np.argpartition`` on chunks of candidates — no per-candidate Python loop),
then builds one list:

* ``gap`` given — the leads of that gap;
* ``chain`` given — the leads of that chain's gaps, each candidate once (its best gap);
* neither — all gaps, each candidate once.

A pair is a lead only if the candidate relates to the gap segment (``fit_exact
+ fit_supplies + fit_buys + fit_related > min_fit``), is not excluded by a
risk flag (dishonest, abnormal operation) and is not already local (HQ in 运城
or a local enterprise of the seed; ``include_local`` to keep them).  **Diversity rule**: walking down the ranked list, a candidate is
skipped when ``max_per_city`` firms with the same headquarters city or
``max_per_group`` firms of the same group are already in the list
(``weights.yaml`` → ``ranking``; overridable through ``config``).  A list holds
at most ``max_list`` leads; ``total`` is its length and pages of ``k`` cut it.

Every lead carries its score, the contribution of each feature (they add up to
the score, with ``baseline`` when a learned model takes part), the blend weight
and a reason sentence built from the largest contributions by
:mod:`matching.reasons` (this module computes numbers only).  :func:`rank_list`
returns the whole list of a scope (:class:`RankedList`); :func:`rank_leads`
one page of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import scipy.sparse as sp
from pydantic import BaseModel, ConfigDict, Field

from chainmap.exceptions import InvalidInput, NotFound
from chainmap.i18n import norm_lang
from matching.features import (
    FEATURE_NAMES,
    N_GAP,
    N_PAIR,
    CandidateMatrix,
    GapSpec,
    SegmentContext,
    build_candidate_matrix,
    build_segment_context,
    gap_specs,
    pair_features_for,
)
from matching.reasons import reason_sentence
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
) -> tuple[np.ndarray, np.ndarray]:
    """Best ``k`` candidates per gap: ``(rows, scores)``, each ``k × len(gaps)``,
    sorted best first; empty slots have row ``-1`` and score ``-inf``.

    Only eligible pairs are ever materialised: per chunk of candidates one
    sparse product ``M_chunk @ [I | A | Aᵀ | R]`` (restricted to the gap
    columns) yields the four pair features of every related (candidate, gap)
    pair; the scores are vector operations on those entries, and a grouped
    sort keeps the running top ``k`` per gap.  Excluded candidates (risk) and,
    unless ``include_local``, local firms are skipped.
    """
    G, n = len(gaps), len(cm)
    K = max(1, k)
    out_r = np.full((K, G), -1, dtype=np.int64)
    out_v = np.full((K, G), -np.inf, dtype=np.float64)
    if G == 0 or n == 0:
        return out_r, out_v
    cols = np.array([g.col for g in gaps], dtype=np.int64)
    S_ = ctx.n_segments
    sel = sp.csr_matrix((np.ones(G), (cols, np.arange(G))), shape=(S_, G))
    B = sp.hstack([sel, ctx.A @ sel, ctx.A.T @ sel, ctx.R @ sel], format="csr").astype(np.float32)
    gap_of = np.tile(np.arange(G), N_PAIR)
    gapF = np.array([g.features() for g in gaps])
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
        fg = gap_of[fc]
        shape = (stop - start, G)
        W = sp.csr_matrix((fw_p[fc] * fv, (fr, fg)), shape=shape)
        rr = np.repeat(np.arange(shape[0]), np.diff(W.indptr)) + start
        gg = W.indices.astype(np.int64)
        sc = base_p[rr] + gc_p[gg] + W.data
        ok = ~skip[rr]
        if min_fit > 0:
            T = sp.csr_matrix((fv, (fr, fg)), shape=shape)
            ok &= T.data > min_fit
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


# ---------------------------------------------------------------------------
# lists
# ---------------------------------------------------------------------------


def apply_diversity(
    cities: Sequence[Any], groups: Sequence[Any], *, max_per_city: int, max_per_group: int, limit: int
) -> list[int]:
    """Positions kept from a ranked list under the diversity rule (at most
    ``max_per_city`` per headquarters city and ``max_per_group`` per group;
    unknown city / group are not limited), at most ``limit``.

    >>> apply_diversity(["深圳", "深圳", "深圳", "上海"], [None, "g", "g", None],
    ...                 max_per_city=2, max_per_group=1, limit=10)
    [0, 1, 3]
    """
    kept: list[int] = []
    per_city: dict[Any, int] = {}
    per_group: dict[Any, int] = {}
    for i, (c, g) in enumerate(zip(cities, groups, strict=True)):
        if c and per_city.get(c, 0) >= max_per_city:
            continue
        if g and per_group.get(g, 0) >= max_per_group:
            continue
        kept.append(i)
        if c:
            per_city[c] = per_city.get(c, 0) + 1
        if g:
            per_group[g] = per_group.get(g, 0) + 1
        if len(kept) >= limit:
            break
    return kept


def _select_gaps(
    ctx: SegmentContext, specs: list[GapSpec], chain: str | None, gap: str | None
) -> list[GapSpec]:
    if gap is not None:
        if gap not in ctx.index:
            raise NotFound(
                f"unknown segment {gap!r}", field="gap", hint="list segment ids with `chainmap chains`"
            )
        out = [g for g in specs if g.segment_id == gap]
        if not out:
            raise NotFound(
                f"segment {gap!r} has no gap to fill, strengthen or extend (status sound)",
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
) -> tuple[np.ndarray, list[GapSpec], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Candidate pairs of the scope, exactly re-scored and sorted: (rows, gaps, X, score, contrib, base)."""
    rows, vals = top_k_per_gap(
        cm,
        ctx,
        gaps,
        scorer,
        k=keep,
        min_fit=cfg.ranking.min_fit,
        chunk_size=cfg.ranking.chunk_size,
        include_local=cfg.ranking.include_local,
    )
    r_idx, g_idx = np.nonzero(np.isfinite(vals))
    pr = rows[r_idx, g_idx]
    pg = [gaps[j] for j in g_idx.tolist()]
    X = pair_features_for(cm, ctx, pr, pg)
    score, contrib, base = scorer.explain(X)
    order = np.lexsort((cm.ids[pr].astype(str), -score))
    return pr[order], [pg[i] for i in order.tolist()], X[order], score[order], contrib[order], base[order]


@dataclass(frozen=True)
class RankedList:
    """The ranked list of one scope, numbers only: the kept (candidate, gap) pairs
    in rank order with their features, scores and contributions.

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

    @property
    def total(self) -> int:
        return len(self.rows)

    def lead(self, pos: int, lang: str = "zh") -> Lead:
        """The lead at 0-based position ``pos`` (rank ``pos + 1``)."""
        return _lead(
            self.cm, self.ctx, int(self.rows[pos]), self.gaps[pos], self.X[pos], float(self.score[pos]),
            self.contrib[pos], float(self.base[pos]), self.scorer, pos + 1, norm_lang(lang),
        )  # fmt: skip

    def page(
        self, *, k: int, page: int = 1, lang: str = "zh", lead: Callable[[int], Lead] | None = None
    ) -> LeadPage:
        """Page ``page`` (1-based) of ``k`` leads; ``lead(pos)`` may supply memoised leads."""
        check_page(k, page, self.max_list)
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
            demo=self.demo,
            lang=lang,
        )


def check_page(k: Any, page: Any, max_list: int) -> None:
    """InvalidInput unless ``1 <= k <= max_list`` and ``page >= 1`` (both integers)."""
    if not isinstance(k, int) or not 1 <= k <= max_list:
        raise InvalidInput(f"k must be between 1 and {max_list}, got {k!r}", field="k")
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
) -> RankedList:
    """The whole ranked list of a scope (see :func:`rank_leads` for the parameters)."""
    cfg = config or default_config()
    ctx = context or build_segment_context(data)
    cm = (
        candidates
        if isinstance(candidates, CandidateMatrix)
        else build_candidate_matrix(list(candidates), ctx)
    )
    specs = _select_gaps(ctx, gap_specs(ctx, gap_items), chain, gap)
    bs = scorer or make_scorer(cm, ctx, gap_items, outcomes, cfg)
    scope = "gap" if gap is not None else ("chain" if chain is not None else "overall")
    max_list = cfg.ranking.max_list
    rows, gaps, X, score, contrib, base = _ranked_pairs(
        cm, ctx, specs, bs, cfg, max_list * cfg.ranking.oversample
    )
    if scope != "gap":  # each candidate once, at its best gap
        _u, first = np.unique(rows, return_index=True)
        first.sort()
        rows, X, score, contrib, base = rows[first], X[first], score[first], contrib[first], base[first]
        gaps = [gaps[i] for i in first.tolist()]
    kept = apply_diversity(
        cm.hq_city[rows].tolist(),
        cm.groups[rows].tolist(),
        max_per_city=cfg.ranking.max_per_city,
        max_per_group=cfg.ranking.max_per_group,
        limit=max_list,
    )
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
    check_page(k, page, cfg.ranking.max_list)
    ranked = rank_list(
        data, gap_items, candidates, chain=chain, gap=gap, outcomes=outcomes, config=cfg, context=context,
        scorer=scorer,
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
    for g in _select_gaps(ctx, gap_specs(ctx, gap_items), chain, None):
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
) -> Lead:
    contributions = {f: round(float(c), 6) for f, c in zip(FEATURE_NAMES, contrib, strict=True) if c != 0.0}
    prior = float(bs.prior.score(x[None, :])[0])
    city = cm.hq_city[row]
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
        gap_status=g.status,
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
            values=dict(zip(FEATURE_NAMES, x.tolist(), strict=True)),
        ),
        demo=bool(cm.demo[row]),
    )
