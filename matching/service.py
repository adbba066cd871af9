"""Use cases of the matching layer, called by every front door (``GET /leads``,
the candidate routes, ``chainmap leads``, ``chainmap candidates``, ``chainmap
demo``).  Front doors only translate input and output; the pool choice, the
ranking and the cache keys live here.

Every piece is cached in a :class:`~chainmap.cache.ResultCache` per what it
reads, so a page of leads costs a slice once its list is ranked:

==================  ===============================================================  ==========================
cache kind          key (after the kind)                                             built by
==================  ===============================================================  ==========================
``segment_context`` graph revision                                                   :func:`segment_context`
``candidate_pool``  graph revision, candidate records (or ``"demo"``)                :func:`candidate_pool`
``candidate_matrix`` graph revision, candidate records (or ``"demo"``)               :func:`candidate_matrix`
``lead_scorer``     graph revision, candidate records, outcome records, region       :func:`lead_scorer`
``ranking``         the scorer's key + chain, gap, include_rivals (numbers only)      :func:`lead_list`
``lead_list``       the ranking's key + lang (the leads with their reasons)          :func:`lead_list`
==================  ===============================================================  ==========================

The graph revision is ``data.revision`` (the store's graph revision the read
model was loaded at, :func:`chainmap.service.chain_data`); record revisions are
read from the store *before* the records, so an entry is never older than its
key.  The gap report comes from :func:`chainmap.service.gap_report` (its own
cache).  Without a cache, or for data read from files (``revision`` None),
everything is computed afresh.

Outcomes (signed / dropped investment projects) always train the scorer, for
every front door, so ``chainmap demo`` and ``chainmap leads`` rank alike.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field, replace
from typing import IO, Any, TypeVar

from chainmap.cache import ResultCache
from chainmap.data import ChainData
from chainmap.exceptions import InvalidInput
from chainmap.limits import Limits
from chainmap.service import gap_report, valid_chain, valid_region, valid_segment
from chainmap.storage.base import Store
from matching.backtest import BacktestResult, backtest, synthetic_outcomes
from matching.candidates import (
    ALLOWED_TAGS,
    ImportResult,
    load_candidates,
    load_demo_candidates,
    read_candidates,
    store_candidates,
)
from matching.features import CandidateMatrix, SegmentContext, build_candidate_matrix, build_segment_context
from matching.geo import SOURCE_REGION_LABELS
from matching.ranking import Lead, LeadPage, RankedList, check_page, make_scorer, rank_list
from matching.scoring import BlendedScorer, default_config

__all__ = [
    "CandidatePool",
    "CandidateImport",
    "CandidateList",
    "LeadList",
    "LeadBacktest",
    "candidate_pool",
    "segment_context",
    "candidate_matrix",
    "lead_scorer",
    "lead_list",
    "lead_page",
    "lead_filters",
    "filter_ranked",
    "lead_filter_options",
    "HQ_REGIONS",
    "INVESTOR_KINDS",
    "lead_workbook",
    "import_candidates",
    "list_candidates",
    "lead_backtest",
]

T = TypeVar("T")

#: Record kinds read by this module.
CANDIDATE = "candidate"
PROJECT = "project"


# ---------------------------------------------------------------------------
# the two places that reach outside the matching layer's own records
# ---------------------------------------------------------------------------


def _records_rev(store: Store, kind: str) -> int:
    """Revision of the records of ``kind`` (key, target or follow-up writes leave it unchanged)."""
    return store.record_revision(kind)


def _outcomes(store: Store) -> list[Any]:
    """Labelled outcomes of past leads (signed = 1, dropped = 0) from the investment projects."""
    from chainmap.projects.service import list_outcomes

    return list(list_outcomes(store=store))


def _cached(cache: ResultCache | None, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """``compute()`` through ``cache``; keys are ``(kind, graph revision, ...)`` and
    data without a graph revision (read from files) is never cached."""
    if cache is None or key[1] is None:
        return compute()
    return cache.get_or_compute(key, compute)


# ---------------------------------------------------------------------------
# candidates
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CandidatePool:
    """The candidates leads are ranked from: the stored ones, or the shipped demo
    pool (``demo`` True) when none are stored or the demo pool was asked for."""

    candidates: list[dict[str, Any]]
    demo: bool

    def __len__(self) -> int:
        return len(self.candidates)


def _pool_key(store: Store, demo: bool) -> Hashable:
    return "demo" if demo else _records_rev(store, CANDIDATE)


def candidate_pool(
    *, store: Store, data: ChainData, cache: ResultCache | None = None, demo: bool = False
) -> CandidatePool:
    """Stored candidates, or the demo pool when none are stored (``demo=True``:
    always the demo pool), cached per (graph revision, candidate records)."""

    def compute() -> CandidatePool:
        stored = [] if demo else load_candidates(store)
        if stored:
            return CandidatePool(stored, demo=False)
        return CandidatePool(load_demo_candidates(data).candidates, demo=True)

    return _cached(cache, ("candidate_pool", data.revision, _pool_key(store, demo)), compute)


@dataclass(frozen=True)
class CandidateImport:
    """A candidate file read (:class:`~matching.candidates.ImportResult`) and
    stored (``counts``: created, updated, unchanged, replaced)."""

    result: ImportResult
    counts: dict[str, int]

    def summary(self) -> dict[str, Any]:
        return {**self.result.summary(), **self.counts}


def import_candidates(
    *,
    store: Store,
    data: ChainData,
    source: str | os.PathLike[str] | bytes | IO[bytes],
    filename: str | None = None,
    skip_invalid: bool = False,
    progress: Callable[[int, int], None] | None = None,
    limits: Limits | None = None,
    workers: int | None = 1,
) -> CandidateImport:
    """Read, validate, de-duplicate and map a candidate file, then store it (one
    transaction).  Raises InvalidInput listing the bad rows unless ``skip_invalid``.
    ``limits``: the parser budgets (default ``CHAINMAP_LIMIT_*``); ``workers``: processes sharing
    a large file (:func:`~matching.candidates.read_candidates`; None: ``CHAINMAP_IMPORT_WORKERS``,
    else the usable CPUs).  The result does not depend on it."""
    result = read_candidates(
        source, filename=filename, skip_invalid=skip_invalid, data=data, progress=progress, limits=limits,
        workers=workers,
    )
    return CandidateImport(result, store_candidates(store, result.candidates))


@dataclass(frozen=True)
class CandidateList:
    items: list[dict[str, Any]]
    total: int


def _segments_of(record: dict[str, Any]) -> list[str]:
    return list(record.get("segments") or []) + [m["segment"] for m in record.get("mapped_segments") or []]


def list_candidates(
    *,
    store: Store,
    name: str | None = None,
    segment: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> CandidateList:
    """Stored candidates sorted by id: those whose name contains ``name`` (case
    insensitive) and that have ``segment`` (given or mapped); ``total`` before
    ``offset``/``limit``."""
    items = load_candidates(store)
    if name:
        needle = name.lower()
        items = [c for c in items if needle in str(c.get("name", "")).lower()]
    if segment:
        items = [c for c in items if segment in _segments_of(c)]
    stop = None if limit is None else offset + limit
    return CandidateList(items[offset:stop], len(items))


# ---------------------------------------------------------------------------
# context, matrix, scorer
# ---------------------------------------------------------------------------


def segment_context(*, data: ChainData, cache: ResultCache | None = None) -> SegmentContext:
    """Segment index and adjacency of the chains, cached per graph revision."""
    return _cached(cache, ("segment_context", data.revision), lambda: build_segment_context(data))


def candidate_matrix(
    *, store: Store, data: ChainData, cache: ResultCache | None = None, demo: bool = False
) -> CandidateMatrix:
    """The pool's feature matrix, cached per (graph revision, candidate records)."""
    key = ("candidate_matrix", data.revision, _pool_key(store, demo))

    def compute() -> CandidateMatrix:
        pool = candidate_pool(store=store, data=data, cache=cache, demo=demo)
        return build_candidate_matrix(pool.candidates, segment_context(data=data, cache=cache))

    return _cached(cache, key, compute)


def _scorer_key(store: Store, data: ChainData, region: str, demo: bool) -> tuple[Hashable, ...]:
    return (data.revision, _pool_key(store, demo), _records_rev(store, PROJECT), region)


def lead_scorer(
    *,
    store: Store,
    data: ChainData,
    cache: ResultCache | None = None,
    region: str | None = None,
    demo: bool = False,
    lang: str = "zh",
) -> BlendedScorer:
    """The prior, blended with a model refitted on the outcomes when there are any;
    cached per (graph revision, candidate records, outcome records, region).

    The training pairs are matched to candidates and to the gaps of ``region``;
    ``lang`` only picks which cached gap report is read (the gap numbers are the
    same in every language)."""
    region_id = valid_region(data, region)
    key = ("lead_scorer", *_scorer_key(store, data, region_id, demo))

    def compute() -> BlendedScorer:
        report = gap_report(data=data, cache=cache, region=region_id, lang=lang)
        cm = candidate_matrix(store=store, data=data, cache=cache, demo=demo)
        ctx = segment_context(data=data, cache=cache)
        return make_scorer(cm, ctx, report.items, _outcomes(store), default_config())

    return _cached(cache, key, compute)


# ---------------------------------------------------------------------------
# leads
# ---------------------------------------------------------------------------


@dataclass
class LeadList:
    """The full ranked list of one scope in one language.  Leads (with their
    reason sentences) are built when first asked for and kept, so every page and
    page size is a slice."""

    ranked: RankedList
    lang: str
    _leads: dict[int, Lead] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def total(self) -> int:
        return self.ranked.total

    def __len__(self) -> int:
        return self.ranked.total

    def lead(self, pos: int) -> Lead:
        """The lead at 0-based position ``pos`` (rank ``pos + 1``)."""
        got = self._leads.get(pos)
        if got is None:
            got = self.ranked.lead(pos, self.lang)
            with self._lock:
                got = self._leads.setdefault(pos, got)
        return got

    def page(self, *, k: int = 20, page: int = 1) -> LeadPage:
        return self.ranked.page(k=k, page=page, lang=self.lang, lead=self.lead)


def lead_list(
    *,
    store: Store,
    data: ChainData,
    cache: ResultCache | None = None,
    region: str | None = None,
    chain: str | None = None,
    gap: str | None = None,
    lang: str = "zh",
    demo: bool = False,
    include_rivals: bool = False,
    hq_region: str | None = None,
    tags: Sequence[str] | None = None,
    investor: str | None = None,
) -> LeadList:
    """The full ranked list for a scope (``gap``; else ``chain``; else every gap)
    of ``region`` (default: the city), from :func:`candidate_pool` (``demo``: the
    shipped demo pool even when candidates are stored), scored by
    :func:`lead_scorer`; cached per (graph revision, candidate and outcome
    records, region, chain, gap, include_rivals, lang).  ``include_rivals``
    lists the rivals of local 链主/链核 (flag 同业竞争, 需链主意见) after every
    complementary lead; by default they are left out (``rivals_left_out``).

    Filters (:func:`filter_ranked`, applied to the ranked list, so ranks are renumbered within
    the filtered list): ``hq_region`` the headquarters' source region (:data:`HQ_REGIONS`:
    jjj 京津冀, yrd 长三角, gba 粤港澳大湾区, other); ``tags`` leads carrying any of these tags;
    ``investor`` new 新引进 or existing 增资扩产.

    Raises NotFound for an unknown region, chain or gap (or a gap segment without a gap);
    InvalidInput for an unknown hq_region, tag or investor."""
    filters = lead_filters(hq_region=hq_region, tags=tags, investor=investor)
    region_id = valid_region(data, region)  # ids, names and short forms (chainmap.resolve)
    chain = valid_chain(data, chain)
    gap = valid_segment(data, gap, field="gap")
    base = _scorer_key(store, data, region_id, demo)

    def ranking() -> RankedList:
        report = gap_report(data=data, cache=cache, region=region_id, lang=lang)
        return rank_list(
            data,
            report.items,
            candidate_matrix(store=store, data=data, cache=cache, demo=demo),
            chain=chain,
            gap=gap,
            config=default_config(),
            context=segment_context(data=data, cache=cache),
            scorer=lead_scorer(store=store, data=data, cache=cache, region=region_id, demo=demo, lang=lang),
            include_rivals=include_rivals,
        )

    def filtered() -> RankedList:
        whole = _cached(cache, ("ranking", *base, chain, gap, include_rivals), ranking)
        return filter_ranked(whole, **filters) if any(filters.values()) else whole

    fkey = tuple(filters.items())

    def compute() -> LeadList:
        return LeadList(_cached(cache, ("ranking_f", *base, chain, gap, include_rivals, fkey), filtered), lang)

    return _cached(cache, ("lead_list", *base, chain, gap, include_rivals, fkey, lang), compute)


#: Headquarters regions a lead list can be filtered by: the source regions of
#: :data:`matching.geo.SOURCE_REGIONS` (labels :data:`matching.geo.SOURCE_REGION_LABELS`) and
#: ``other`` (elsewhere or unknown).
HQ_REGIONS: dict[str, tuple[str, str]] = {**SOURCE_REGION_LABELS, "other": ("其他地区", "elsewhere")}
#: ``Lead.investor``: a new investor or a group already in 运城 (增资扩产).
INVESTOR_KINDS: dict[str, tuple[str, str]] = {"new": ("新引进", "new investor"), "existing": ("增资扩产", "existing investor (expansion)")}


def lead_filters(
    *, hq_region: str | None = None, tags: Sequence[str] | None = None, investor: str | None = None
) -> dict[str, Any]:
    """The validated lead filters (``None`` / empty = no filter).

    >>> lead_filters(hq_region="yrd", tags=["listed"], investor=None)
    {'hq_region': 'yrd', 'tags': ('listed',), 'investor': None}
    >>> lead_filters(hq_region="paris")
    Traceback (most recent call last):
    ...
    chainmap.exceptions.InvalidInput: hq_region: unknown value 'paris'; expected one of jjj, yrd, gba, other (京津冀, 长三角, 粤港澳大湾区, 其他地区)
    """
    hq = (hq_region or "").strip() or None
    if hq is not None and hq not in HQ_REGIONS:
        names = ", ".join(zh for zh, _en in HQ_REGIONS.values())
        raise InvalidInput(
            f"unknown value {hq!r}; expected one of {', '.join(HQ_REGIONS)} ({names})", field="hq_region"
        )
    tag_list = tuple(dict.fromkeys(t.strip() for t in (tags or ()) if t and t.strip()))
    for t in tag_list:
        if t not in ALLOWED_TAGS:
            raise InvalidInput(f"unknown code {t!r}; expected one of {', '.join(ALLOWED_TAGS)}", field="tag")
    inv = (investor or "").strip() or None
    if inv is not None and inv not in INVESTOR_KINDS:
        raise InvalidInput(f"unknown value {inv!r}; expected new (新引进) or existing (增资扩产)", field="investor")
    return {"hq_region": hq, "tags": tag_list, "investor": inv}


def filter_ranked(
    ranked: RankedList,
    *,
    hq_region: str | None = None,
    tags: Sequence[str] = (),
    investor: str | None = None,
) -> RankedList:
    """The leads of ``ranked`` that pass the filters (:func:`lead_filters`), in the same order."""
    import numpy as np

    from matching.features import FEATURE_NAMES
    from matching.geo import source_region

    cm, rows = ranked.cm, ranked.rows
    keep = np.ones(len(rows), dtype=bool)
    if hq_region is not None:
        pairs = list(zip(cm.hq_province[rows].tolist(), cm.hq_city[rows].tolist(), strict=True))
        memo = {p: source_region(p[0] or None, p[1] or None) or "other" for p in set(pairs)}
        keep &= np.array([memo[p] == hq_region for p in pairs], dtype=bool)
    if tags:
        cols = [FEATURE_NAMES.index(f"tag_{t}") for t in tags]
        keep &= (ranked.X[:, cols] > 0).any(axis=1) if len(rows) else keep
    if investor is not None and len(rows):
        has = np.array([bool(a) for a in cm.affiliates[rows].tolist()], dtype=bool) if len(cm.affiliates) else np.zeros(len(rows), dtype=bool)
        keep &= has if investor == "existing" else ~has
    arrays = {
        name: getattr(ranked, name)[keep]
        for name in ("rows", "X", "score", "contrib", "base")
    }
    if len(ranked.rival):
        arrays["rival"] = ranked.rival[keep]
    if len(ranked.rounds):
        arrays["rounds"] = ranked.rounds[keep]
    gaps = [g for g, k in zip(ranked.gaps, keep.tolist(), strict=True) if k]
    return replace(ranked, gaps=gaps, **arrays)


def lead_filter_options(lang: str = "zh") -> dict[str, Any]:
    """What the leads page offers and explains, in ``lang``: ``hq_regions``, ``investor``
    (code -> label), ``features`` (feature -> meaning, :data:`matching.features.FEATURES`)
    and ``flags`` (:data:`matching.lead_rules.FLAGS`). Tag labels are in ``GET /labels``."""
    from chainmap.i18n import norm_lang
    from matching.features import FEATURES
    from matching.lead_rules import FLAGS

    i = 1 if norm_lang(lang) == "en" else 0
    return {
        "lang": norm_lang(lang),
        "hq_regions": {c: pair[i] for c, pair in HQ_REGIONS.items()},
        "investor": {c: pair[i] for c, pair in INVESTOR_KINDS.items()},
        "features": {f.name: (f.en if i else f.zh) for f in FEATURES},
        "flags": {c: pair[i] for c, pair in FLAGS.items()},
        "tags": list(ALLOWED_TAGS),
    }


def lead_page(
    *,
    store: Store,
    data: ChainData,
    cache: ResultCache | None = None,
    region: str | None = None,
    chain: str | None = None,
    gap: str | None = None,
    k: int = 20,
    page: int = 1,
    lang: str = "zh",
    demo: bool = False,
    include_rivals: bool = False,
    hq_region: str | None = None,
    tags: Sequence[str] | None = None,
    investor: str | None = None,
) -> LeadPage:
    """Page ``page`` of ``k`` leads of :func:`lead_list` (a slice: no re-ranking).

    ``chainmap demo`` shows ``lead_page(chain=c, k=3)`` for each top-level chain.

    Raises InvalidInput for ``k`` outside 1..max_page or ``page`` < 1 (before any work)."""
    check_page(k, page, default_config().ranking.max_page)
    leads = lead_list(
        store=store, data=data, cache=cache, region=region, chain=chain, gap=gap, lang=lang, demo=demo,
        include_rivals=include_rivals, hq_region=hq_region, tags=tags, investor=investor,
    )  # fmt: skip
    return leads.page(k=k, page=page)


def lead_workbook(page: LeadPage, *, data: ChainData, lang: str = "zh") -> bytes:
    """The formatted leads workbook (:mod:`matching.workbook`) of a page of leads, with
    chain names in ``lang``: what ``chainmap leads -f xlsx`` writes and ``GET /leads.xlsx``
    serves."""
    from matching.workbook import leads_workbook_bytes

    names = {c.id: (c.name_en if lang == "en" and c.name_en else c.name_zh) for c in data.chains}
    return leads_workbook_bytes(page, lang=lang, chain_names=names)


# ---------------------------------------------------------------------------
# backtest
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LeadBacktest:
    """``result`` is None when fewer than ``MIN_REAL_OUTCOMES`` real outcomes
    exist and no synthetic history was asked for."""

    n_real_outcomes: int
    result: BacktestResult | None
    demo_pool: bool = False


MIN_REAL_OUTCOMES = 4


def lead_backtest(
    *,
    store: Store,
    data: ChainData,
    cache: ResultCache | None = None,
    region: str | None = None,
    k: int = 10,
    split: str = "time",
    test_fraction: float = 0.3,
    seed: int = 0,
    synthetic: bool = False,
    lang: str = "zh",
) -> LeadBacktest:
    """Learned model vs prior vs random on the real outcomes; with ``synthetic``
    and too few real outcomes, on a synthetic history (over the demo pool when
    there are no outcomes at all)."""
    outcomes = _outcomes(store)
    demo = not outcomes and synthetic
    region_id = valid_region(data, region)
    items = gap_report(data=data, cache=cache, region=region_id, lang=lang).items
    ctx = segment_context(data=data, cache=cache)
    cm = candidate_matrix(store=store, data=data, cache=cache, demo=demo)
    demo_pool = candidate_pool(store=store, data=data, cache=cache, demo=demo).demo
    n_real = len(outcomes)
    is_synthetic = False
    if n_real < MIN_REAL_OUTCOMES:
        if not synthetic:
            return LeadBacktest(n_real, None, demo_pool)
        outcomes = synthetic_outcomes(cm, ctx, items, seed=seed)
        is_synthetic = True
    res = backtest(
        cm,
        ctx,
        items,
        outcomes,
        k=k,
        split=split,
        test_fraction=test_fraction,
        seed=seed,
        synthetic=is_synthetic,
    )
    return LeadBacktest(n_real, res, demo_pool)
