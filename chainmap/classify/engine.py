"""The segment classifier: firm wording + industry code -> segments with role, confidence, evidence.

One engine for local firms (census import) and candidates (lead matching).

**Signals.**

1. *Industry code* (GB/T 4754-2017, four digits): the concordance
   (``graph_seed/industry_codes.csv``) gives ``segment, weight``; the signal is
   ``CODE_WEIGHT * weight``.  A 行业名称 without a code is looked up by the code
   names of the concordance, and its words are matched like text.
2. *Product text* (主要产品) and 3. *经营范围*: split into items
   (:mod:`chainmap.classify.text`), each item cut at role markers, matched with an
   Aho–Corasick automaton (pyahocorasick) over every term of every segment.

**Matching an item.**  Per root chain, longest match wins: of overlapping hits the
longest term is kept (``锂离子电池隔膜`` is a separator term, so the cell term
``锂离子电池`` inside it does not count).  A segment's ``negative`` terms veto its
hits inside them (``铜线材`` vetoes the steel term ``线材``).  Across chains, a hit
strictly inside a longer hit of another chain counts half in the overall ranking
(per-chain rankings never depend on other chains' vocabularies).

**Scores.**  A hit scores ``source weight × position weight × term quality ×
trade factor``: position weight ``max(0.3, 1 / (1 + 0.25 * position))`` (main
business first), term quality grows with the term's length (``weak`` terms 0.4 of it, and weak terms alone, however many, assign nothing),
a trade item (销售/批发/租赁 … without 制造/生产 …) counts 0.3 unless the term itself
names the trade (``汽车销售``; 0.5 when the firm also makes things), a research-only item
(研发 …) 0.5 unless the term names research, a hit in parentheses (examples) 0.6, a hit
that modifies the next one (``新能源汽车|换电站``, no 及/和/与/、 between) 0.4.  A segment's score is the noisy-OR of its hits and
its code signal, in [0, 1].  Candidates below ``min_score`` or below
``relative * best`` are dropped (side lines do not fill the slots).

**Ambiguity.**  A term that ``n`` segments of one root chain share counts
``1/sqrt(n)`` for each of them (a large chain repeating a word does not outweigh a
chain that names it once).

**Slots.**  ``assign(k=3)`` returns the best segment of each root chain that
qualifies (best first), then the next best overall, at most ``k`` produced
segments, then at most ``k`` segments the firm buys or uses (role ``user``).
``assign(chain=...)`` ranks one chain only.

**Confidence** is the score; the benchmark (``benchmarks/bench_mapping.py``)
prints its calibration (share correct per confidence band).

>>> from chainmap.models import Segment
>>> segs = [Segment(id="qi.separator", chain="qi", name_zh="锂电池隔膜", name_en="Separator",
...                 stage="midstream", keywords_zh=["湿法隔膜", "锂离子电池隔膜"]),
...         Segment(id="qi.cell", chain="qi", name_zh="动力电池电芯", name_en="Cells", stage="midstream",
...                 keywords_zh=["锂离子电池", "动力电池"])]
>>> clf = SegmentClassifier(segs)
>>> [(a.segment, a.role.value) for a in clf.assign(products="锂离子电池隔膜")]
[('qi.separator', 'producer')]
>>> [(a.segment, a.role.value) for a in clf.assign(products="采购锂离子电池")]
[('qi.cell', 'user')]
"""

from __future__ import annotations

import gc
import math
import operator
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ahocorasick

from chainmap.classify.text import chunk_parts, normalize, section_groups, split_roles
from chainmap.classify.vocabulary import CodeRow, SegmentVocabulary
from chainmap.exceptions import InvalidInput
from chainmap.models import (
    AssignmentMethod,
    AssignmentStatus,
    Chain,
    Role,
    Segment,
    SegmentPresence,
)

if TYPE_CHECKING:
    from chainmap.data import ChainData

__all__ = ["SegmentClassifier", "Assignment", "Analysis", "term_quality", "CODE_WEIGHT"]

#: Strength of the industry-code signal for a concordance row of weight 1.
CODE_WEIGHT = 0.7
#: Weight of each text source.
SOURCE_WEIGHT = {"products": 1.0, "scope": 0.9, "industry_name": 0.8, "name": 0.5}
_SOURCE_ZH = {"products": "主要产品", "scope": "经营范围", "industry_name": "行业名称", "name": "企业名称"}
_SECTION_ZH = {"licensed": "许可项目", "general": "一般项目", "scope": "", "products": ""}
TRADE_FACTOR = 0.3
CONTAINED_FACTOR = 0.5
#: An item that only researches (研发 …) counts this much, unless the term names research.
RESEARCH_FACTOR = 0.5
#: A trade item's trade term (汽车销售) counts this much when the firm also makes things.
TRADE_WHEN_MAKING = 0.5
#: A hit inside parentheses (examples) and a hit that modifies the next one (新能源汽车|换电站).
PAREN_FACTOR = 0.6
MODIFIER_FACTOR = 0.4
#: Inside parentheses when the head before them matched: examples of the head.
PAREN_HEAD_FACTOR = 0.3
#: A hit of at least this quality makes its item count for the positions of later items.
STRONG_HIT = 0.5
#: A ``weak`` vocabulary term counts this much of its length quality (alone it stays below ``min_score``).
WEAK_FACTOR = 0.4
_ASCII_RE = re.compile(r"^[\x00-\x7f]+$")
_NO_HITS: tuple[tuple[Any, ...], bool, bool, bool] = ((), False, False, False)
_NAME_SUFFIX_RE = re.compile(r"(股份有限公司|有限责任公司|有限公司|集团|分公司|公司|厂)+$")
_JOIN_RE = re.compile(r"[及和与、,;()]|以及")
_RESEARCH_TERM_RE = re.compile(r"研发|研究|试验|临床|评价|cro")
_TRADE_TERM_RE = re.compile(r"销售|批发|零售|租赁|经营|代理|贸易|经销|维修|修理|服务|流通|配送|药店|药房|4s|电商")


def term_quality(term: str, weak: bool = False) -> float:
    """Quality of a hit of ``term`` (longer terms are more specific); ``weak`` scales it by :data:`WEAK_FACTOR`.

    >>> [term_quality(t) for t in ("镁", "隔膜", "电解液", "湿法隔膜", "bms", "separator")]
    [0.4, 0.65, 0.8, 0.9, 0.6, 0.86]
    """
    n = len(term)
    if _ASCII_RE.match(term):
        q = 0.6 if n <= 4 else min(0.9, 0.5 + 0.04 * n)
    else:
        q = {1: 0.4, 2: 0.65, 3: 0.8}.get(n, 0.9)
    return round(q * (WEAK_FACTOR if weak else 1.0), 4)


def _position_weight(pos: int) -> float:
    return max(0.3, 1.0 / (1.0 + 0.25 * pos))


_N_POSITION = 64
#: source -> SOURCE_WEIGHT[source] * _position_weight(p) for the first positions p (the same floats)
_SOURCE_POSITION_WEIGHT = {src: [w * _position_weight(p) for p in range(_N_POSITION)]
                           for src, w in SOURCE_WEIGHT.items()}


@dataclass(frozen=True, slots=True)
class Assignment:
    """One automatic segment assignment of a firm."""

    segment: str
    chain: str
    role: Role
    confidence: float
    method: AssignmentMethod
    evidence: tuple[str, ...]

    def to_presence(self, auto_accept: float = 0.6) -> SegmentPresence:
        """A :class:`~chainmap.models.SegmentPresence`: status ``auto`` at or above
        ``auto_accept``, otherwise ``pending`` (the review queue)."""
        if not 0 <= auto_accept <= 1:
            raise InvalidInput(f"auto_accept must be in [0, 1], got {auto_accept}", field="auto_accept")
        status = AssignmentStatus.auto if self.confidence >= auto_accept else AssignmentStatus.pending
        return SegmentPresence(
            segment=self.segment,
            role=self.role,
            method=self.method,
            status=status,
            confidence=round(self.confidence, 4),
            evidence=list(self.evidence),
        )


class _Acc:
    """Scores of one (role, segment): per-chain score, overall score, evidence.

    ``evidence`` holds ``(score, text)`` or ``(score, source, section, position, item, term)``;
    the text of the second kind is written only for the assignments returned.  ``first`` is the
    order of the first hit (earlier = main business); ``strong``: a hit of a term that is not weak,
    or the code (weak terms alone assign nothing).  A plain slotted class: one is made per scored
    segment of every firm, and a dataclass's generated ``__init__`` costs twice as much."""

    __slots__ = ("chain_score", "overall", "text", "code", "evidence", "first", "strong")

    def __init__(self, chain_score: float = 0.0, overall: float = 0.0, text: float = 0.0, code: float = 0.0,
                 evidence: list[tuple[Any, ...]] | None = None, first: int = 1 << 30, strong: bool = False) -> None:
        self.chain_score = chain_score
        self.overall = overall
        self.text = text
        self.code = code
        self.evidence: list[tuple[Any, ...]] = [] if evidence is None else evidence
        self.first = first
        self.strong = strong

    def __repr__(self) -> str:
        return (f"_Acc(chain_score={self.chain_score!r}, overall={self.overall!r}, text={self.text!r}, "
                f"code={self.code!r}, evidence={self.evidence!r}, first={self.first!r}, strong={self.strong!r})")

    def add(self, s: float, s_overall: float, ev: tuple[Any, ...], is_code: bool, order: int = 0,
            weak: bool = False) -> None:
        if not weak:
            self.strong = True
        if order < self.first:
            self.first = order
        self.chain_score = 1.0 - (1.0 - self.chain_score) * (1.0 - s)
        self.overall = 1.0 - (1.0 - self.overall) * (1.0 - s_overall)
        if is_code:
            if s > self.code:
                self.code = s
        elif s > self.text:
            self.text = s
        self.evidence.append(ev)


_score_of = operator.itemgetter(0)  # of an evidence entry (sorted by it, best first, stable)
_new_object = object.__new__
# the slots' own setters: the frozen dataclass's __init__ goes through object.__setattr__ per field
_SET_FIELDS = tuple(Assignment.__dict__[f].__set__
                    for f in ("segment", "chain", "role", "confidence", "method", "evidence"))


def _new_assignment(segment: str, chain: str, role: Role, confidence: float, method: AssignmentMethod,
                    evidence: tuple[str, ...]) -> Assignment:
    """``Assignment(segment, chain, role, confidence, method, evidence)``, the same object at a third
    of the cost of the frozen dataclass's ``__init__``."""
    a = _new_object(Assignment)
    s_segment, s_chain, s_role, s_confidence, s_method, s_evidence = _SET_FIELDS
    s_segment(a, segment)
    s_chain(a, chain)
    s_role(a, role)
    s_confidence(a, confidence)
    s_method(a, method)
    s_evidence(a, evidence)
    return a


def _evidence_text(ev: tuple[Any, ...]) -> str:
    if len(ev) == 2:
        return str(ev[1])
    _s, src, section, position, item, term = ev
    label = _SOURCE_ZH[src]
    if src == "name":
        return f"{label}「{item}」: {term}"
    sec = _SECTION_ZH.get(section, "")
    return f"{label}{'(' + sec + ')' if sec else ''}第{position + 1}项「{item}」: {term}"


@dataclass
class Analysis:
    """Everything the classifier found for one firm, before the slot rule:
    ``scores[role][segment]`` (role ``producer``, ``user`` or ``customer``)."""

    scores: dict[str, dict[int, _Acc]]
    code_segments: frozenset[int]


# one hit: segment index, quality (x paren/modifier factors), term, role, contained in a longer
# hit of another chain, a weak term, the term names a trade or service (汽车销售), the term names
# research (药物研发服务)
_Hit = tuple[int, float, str, str, bool, bool, bool, bool]
# a hit prepared for scoring: segment, quality, term, role (0 producer, 1 user, 2 customer),
# contained, weak, factor when the item's condition holds (a trade item: the firm makes things;
# another item: it comes after the firm's first made product), factor otherwise
_ScoringHit = tuple[int, float, str, int, bool, bool, float, float]
# a part of a chunk with hits: offset in the chunk, text, trade, makes (make and a producer hit),
# scoring hits, a strong hit, a strong produced non-trade hit in a non-trade item
_Part = tuple[int, str, bool, bool, tuple[_ScoringHit, ...], bool, bool]
_ROLE_IDX = {"producer": 0, "user": 1, "customer": 2}
_NO_SEGMENTS: frozenset[int] = frozenset()


def _scoring_hit(h: _Hit, trade: bool, research: bool) -> _ScoringHit:
    """A hit of an item with its two possible factors (see :meth:`SegmentClassifier.analyse`)."""
    seg, q, term, role, contained, weak, names_trade, names_research = h
    if trade:
        f_alt = (TRADE_WHEN_MAKING if names_trade else TRADE_FACTOR)
        f = 1.0 if names_trade else TRADE_FACTOR
    else:
        f = RESEARCH_FACTOR if research and not names_research else 1.0
        f_alt = TRADE_WHEN_MAKING if names_trade else f
    return (seg, q, term, _ROLE_IDX[role], contained, weak, f_alt, f)


class SegmentClassifier:
    """Assign firms to segments (see the module notes).

    Parameters
    ----------
    segments : iterable of Segment
        The segments to assign to (their names, keywords and aliases are terms).
    chains : iterable of Chain, optional
        Chains, for the root chain of sub-chains (``cai.mg`` -> ``cai``) used by the
        per-chain slots; default: each segment's own chain is its root.
    concordance : iterable of CodeRow, optional
        Industry-code rows (default: none).
    vocabulary : mapping segment id -> SegmentVocabulary, optional
        Extra terms and negatives (default: none; segment keywords only).
    min_score : float, default 0.3
        Assignments below this score are dropped.
    relative : float, default 0.5
        Produced segments below ``relative * best score`` are dropped.
    """

    def __init__(
        self,
        segments: Iterable[Segment],
        *,
        chains: Iterable[Chain] | None = None,
        concordance: Iterable[CodeRow] | None = None,
        vocabulary: Mapping[str, SegmentVocabulary] | None = None,
        min_score: float = 0.3,
        relative: float = 0.5,
    ) -> None:
        self.segments: list[Segment] = list(segments)
        if not self.segments:
            raise InvalidInput("SegmentClassifier needs at least one segment", field="segments")
        if not (0 <= min_score <= 1 and 0 <= relative <= 1):
            raise InvalidInput("min_score and relative must be in [0, 1]", field="min_score")
        self.min_score = min_score
        self.relative = relative
        self.index = {s.id: i for i, s in enumerate(self.segments)}
        self._seg_ids = [s.id for s in self.segments]
        chain_list = list(chains or [])
        parent = {c.id: c.parent for c in chain_list}

        def root(cid: str) -> str:
            seen = {cid}
            while parent.get(cid) and parent[cid] not in seen:
                cid = parent[cid]  # type: ignore[assignment]
                seen.add(cid)
            return cid

        self.chain_order = [c.id for c in chain_list]
        self.seg_chain = [s.chain for s in self.segments]
        self.seg_root = [root(s.chain) for s in self.segments]
        roots = list(dict.fromkeys(self.seg_root))
        self.roots = roots
        self._root_idx = {r: i for i, r in enumerate(roots)}
        self.seg_root_idx = [self._root_idx[r] for r in self.seg_root]
        order = {c: i for i, c in enumerate(self.chain_order)}
        by_order = sorted(range(len(self.segments)),
                          key=lambda j: (order.get(self.seg_root[j], len(order)), self.segments[j].id))
        self._seg_rank = [0] * len(self.segments)  # chain order, then id: the last tie-break
        for r, j in enumerate(by_order):
            self._seg_rank[j] = r
        self.vocabulary = dict(vocabulary or {})
        self._build_terms()
        self.codes: dict[str, list[tuple[int, float, str, str]]] = {}
        self.code_names: dict[str, str] = {}
        for row in concordance or ():
            sj = self.index.get(row.segment)
            if sj is None:
                continue
            self.codes.setdefault(row.code, []).append((sj, row.weight, row.role, row.code_name))
            if row.code_name:
                self.code_names.setdefault(normalize(row.code_name), row.code)
        self._item_cache: dict[tuple[str, str], tuple[tuple[_Hit, ...], bool, bool, bool]] = {}
        self._ev_memo: dict[tuple[Any, ...], str] = {}
        # per source: chunk -> (number of parts, parts with hits)
        self._chunk_cache: dict[str, dict[str, tuple[int, tuple[_Part, ...]]]] = {
            src: {} for src in ("products", "scope", "industry_name")}

    # ------------------------------------------------------------ construction
    @classmethod
    def from_data(
        cls,
        data: ChainData,
        *,
        seed_path: str | Path | None = None,
        **kwargs: Any,
    ) -> SegmentClassifier:
        """The classifier of ``data``'s segments and chains with the vocabulary and the
        concordance of the seed folder ``seed_path`` (default: the shipped seed);
        entries for segments not in ``data`` are ignored.

        Raises InvalidInput naming file, segment id and field of a bad vocabulary or
        concordance entry."""
        from chainmap.classify.vocabulary import read_concordance, read_vocabulary, segment_file_stems
        from chainmap.seed import seed_dir

        root = Path(seed_path) if seed_path is not None else seed_dir()
        seg_ids = {s.id for s in data.segments}
        files = segment_file_stems(data)
        vocab, problems = read_vocabulary(root / "vocabulary", files, strict=False)
        rows, cproblems = read_concordance(root / "industry_codes.csv")
        problems += cproblems
        if problems:
            first = problems[0]
            raise InvalidInput(
                first.message,
                file=first.file,
                line=first.line,
                field=first.field,
                segment=first.segment,
                problems=[str(p) for p in problems],
            )
        return cls(
            data.segments,
            chains=data.chains,
            concordance=[r for r in rows if r.segment in seg_ids],
            vocabulary={k: v for k, v in vocab.items() if k in seg_ids},
            **kwargs,
        )

    def _build_terms(self) -> None:
        # term -> list of (segment, quality, negative)
        table: dict[str, dict[int, tuple[float, bool]]] = {}
        weak_pairs: set[tuple[str, int]] = set()

        def add(term: str, seg: int, weak: bool = False, negative: bool = False) -> None:
            t = normalize(term)
            if not t:
                return
            cur = table.setdefault(t, {})
            q = term_quality(t, weak)
            old = cur.get(seg)
            if old is None or negative or weak or (not old[1] and q > old[0]):
                cur[seg] = (q, negative)  # the vocabulary's weak / negative override a keyword
                if weak:
                    weak_pairs.add((t, seg))
                else:
                    weak_pairs.discard((t, seg))

        for j, s in enumerate(self.segments):
            for name in _name_terms(s.name_zh):
                add(name, j)
            if s.name_en:
                add(s.name_en, j)
            for t in (*s.keywords_zh, *s.keywords_en, *s.aliases):
                add(t, j)
            v = self.vocabulary.get(s.id)
            if v is not None:
                for t in (*v.terms, *v.terms_en):
                    add(t, j)
                for t in v.weak:
                    add(t, j, weak=True)
                for t in v.negative:
                    add(t, j, negative=True)
        self.terms: list[str] = list(table)
        self._weak_pairs = weak_pairs
        # a term shared by n segments of one root chain is ambiguous there: each gets q / sqrt(n)
        # (a large chain that repeats a word in many segments does not outweigh a chain naming it once)
        self.term_entries: list[tuple[tuple[int, float, bool], ...]] = []
        for t in self.terms:
            per_root: dict[int, int] = {}
            for seg, (_q, neg) in table[t].items():
                if not neg:
                    per_root[self.seg_root_idx[seg]] = per_root.get(self.seg_root_idx[seg], 0) + 1
            self.term_entries.append(tuple(
                (seg, q if neg else round(q / math.sqrt(per_root[self.seg_root_idx[seg]]), 4), neg)
                for seg, (q, neg) in table[t].items()
            ))
        self._ascii = [bool(_ASCII_RE.match(t)) for t in self.terms]
        auto = ahocorasick.Automaton()
        for i, t in enumerate(self.terms):
            auto.add_word(t, i)
        auto.make_automaton()
        self._automaton = auto

    # ------------------------------------------------------------ item matching
    def _match_part(self, part: str, role: str) -> list[_Hit]:
        raw: list[tuple[int, int, int, float]] = []  # start, end, seg, quality
        veto: dict[int, list[tuple[int, int]]] = {}
        n = len(part)
        for end_idx, tid in self._automaton.iter(part):
            term = self.terms[tid]
            start = end_idx - len(term) + 1
            end = end_idx + 1
            if self._ascii[tid]:
                if start > 0 and part[start - 1].isascii() and part[start - 1].isalnum():
                    continue
                if end < n and part[end].isascii() and part[end].isalnum() and part[end] != "s":
                    continue
            for seg, q, neg in self.term_entries[tid]:
                if neg:
                    veto.setdefault(seg, []).append((start, end))
                else:
                    raw.append((start, end, seg, q))
        if not raw:
            return []
        if veto:
            raw = [
                h for h in raw
                if not any(vs < h[1] and h[0] < ve for vs, ve in veto.get(h[2], ()))
            ]
        # longest match per root chain (identical spans of several segments are kept together)
        raw.sort(key=lambda h: (-(h[1] - h[0]), h[0]))
        chosen: dict[int, list[tuple[int, int]]] = {}
        kept: list[tuple[int, int, int, float]] = []
        for h in raw:
            r = self.seg_root_idx[h[2]]
            spans = chosen.setdefault(r, [])
            if any((s, e) != (h[0], h[1]) and s < h[1] and h[0] < e for s, e in spans):
                continue
            spans.append((h[0], h[1]))
            kept.append(h)
        # parenthesised examples count less than the item's head; a hit right before another
        # one (no 及/和/与/、 between) is a modifier: 新能源汽车|换电站, 铝合金|精密|压铸件
        parens: list[tuple[int, int]] = []
        stack: list[int] = []
        for i, ch in enumerate(part):
            if ch == "(":
                stack.append(i)
            elif ch == ")" and stack:
                parens.append((stack.pop(), i))
        starts = sorted({h[0] for h in kept})
        out: list[_Hit] = []
        for start, end, seg, q in kept:
            r = self.seg_root_idx[seg]
            contained = any(
                rr != r and s <= start and end <= e and (e - s) > (end - start)
                for rr, spans in chosen.items()
                for s, e in spans
            )
            f = 1.0
            inside = [(ps, pe) for ps, pe in parens if ps < start and end <= pe]
            if inside:
                ps = min(p for p, _e in inside)
                head = any(h[1] <= ps and h[2] != seg and h[3] >= STRONG_HIT for h in kept)
                f *= PAREN_HEAD_FACTOR if head else PAREN_FACTOR
            for st in starts:  # an ASCII label before Chinese (cdmo创新药, cae仿真软件) is no modifier
                if end <= st <= end + 4 and not _JOIN_RE.search(part[end:st]) and not part[end - 1].isascii():
                    f *= MODIFIER_FACTOR
                    break
            term = part[start:end]
            out.append((seg, q * f, term, role, contained, (term, seg) in self._weak_pairs,
                        bool(_TRADE_TERM_RE.search(term)), bool(_RESEARCH_TERM_RE.search(term))))
        return out

    def clear_cache(self) -> None:
        """Forget the parsed and matched items (they are cached across calls)."""
        from chainmap.classify import text as _text

        self._item_cache.clear()
        for cache in self._chunk_cache.values():
            cache.clear()
        self._ev_memo.clear()
        _text._CHUNK_CACHE.clear()

    def _chunk_hits(self, chunk: str, source: str) -> tuple[int, tuple[_Part, ...]]:
        """The parts of one chunk (:func:`~chainmap.classify.text.chunk_parts`): their number and those
        with hits, each with its offset in the chunk and the hits prepared for scoring (cached)."""
        cache = self._chunk_cache[source]
        got = cache.get(chunk)
        if got is None:
            parts = chunk_parts(chunk)
            hit_parts = []
            for off, (t, trade, make, research) in enumerate(parts):
                hits, strong, producer, strong_made = self._match_item(t, source)
                if hits:
                    hit_parts.append((off, t, trade, make and producer,
                                      tuple(_scoring_hit(h, trade, research) for h in hits),
                                      strong, strong_made and not trade))
            got = (len(parts), tuple(hit_parts))
            if len(cache) > 300_000:
                cache.clear()
            cache[chunk] = got
        return got

    def _match_item(self, text: str, source: str) -> tuple[tuple[_Hit, ...], bool, bool, bool]:
        """Hits of one item (cached) with: a strong hit, a producer hit, a strong produced
        non-trade hit."""
        key = (text, source)
        got = self._item_cache.get(key)
        if got is not None:
            return got
        if next(self._automaton.iter(text), None) is None:
            # no vocabulary term anywhere in the item (a firm's name, mostly): no part can have a
            # hit.  One C-level scan, and nothing cached: a million distinct names would otherwise
            # fill the cache and push the product items out.
            return _NO_HITS
        hits: list[_Hit] = []
        for part, role in split_roles(text):
            hits.extend(self._match_part(part, role))
        res = (
            tuple(hits),
            any(h[1] >= STRONG_HIT for h in hits),
            any(h[3] == "producer" for h in hits),
            any(h[3] == "producer" and not h[6] and h[1] >= STRONG_HIT for h in hits),
        )
        if len(self._item_cache) > 500_000:
            self._item_cache.clear()
        self._item_cache[key] = res
        return res

    # ------------------------------------------------------------ analysis
    def analyse(
        self,
        name: str = "",
        industry_code: str | int | None = None,
        industry_name: str = "",
        products: str = "",
        scope: str = "",
    ) -> Analysis:
        """Score every segment for one firm (before thresholds and slots)."""
        scores: dict[str, dict[int, _Acc]] = {"producer": {}, "user": {}, "customer": {}}
        code_segments: set[int] = set()
        code = _norm_code(industry_code) if industry_code else ""
        iname = normalize(industry_name) if industry_name else ""
        if not code and iname:
            code = self.code_names.get(iname, "")
        if code:
            for seg, w, role, cname in self.codes.get(code, ()):
                s = CODE_WEIGHT * w
                acc = scores[role].setdefault(seg, _Acc())
                acc.add(s, s, (s, f"行业代码 {code} {cname}".strip()), True)
                if role == "producer":
                    code_segments.add(seg)
        # per item with hits, in order: (source weight x position weight, source, section, position,
        # item text, trade, hits).  The position weight counts the items with a strong hit of the same
        # source and section before it: an item with weak hits only (医学研究和试验发展) does not push
        # the main business down.
        matched: list[tuple[float, str, str, int, str, bool, tuple[_ScoringHit, ...]]] = []
        making = False
        made_before: dict[str, int] = {}  # source -> position of its first item with a strong made product
        for src, text, kind in (("products", products, "products"), ("scope", scope, "scope"),
                                ("industry_name", iname, "products")):
            if not text:
                continue
            cache = self._chunk_cache[src]
            pws = _SOURCE_POSITION_WEIGHT[src]
            pos: dict[str, int] = {}  # section -> items so far
            ranks: dict[str, int] = {}  # section -> items with a strong hit so far
            for section, chunks in section_groups(text, kind):
                n = pos.get(section, 0)
                r = ranks.get(section, 0)
                for chunk in chunks:
                    got = cache.get(chunk)
                    if got is None:
                        got = self._chunk_hits(chunk, src)
                    for off, t, trade, makes, hits, strong, strong_made in got[1]:
                        matched.append((pws[r] if r < _N_POSITION else SOURCE_WEIGHT[src] * _position_weight(r),
                                        src, section, n + off, t, trade, hits))
                        if strong:
                            r += 1
                        if makes:
                            making = True
                        if strong_made and src not in made_before:
                            made_before[src] = n + off
                    n += got[0]
                pos[section] = n
                ranks[section] = r
        if name:
            nm = _NAME_SUFFIX_RE.sub("", normalize(name))
            if nm:
                name_hits, _strong, _p, _m = self._match_item(nm, "name")
                if name_hits:
                    matched.append((_SOURCE_POSITION_WEIGHT["name"][0], "name", "name", 0, nm, False,
                                    tuple(_scoring_hit(h, False, False) for h in name_hits)))
        order = 0
        buckets = (scores["producer"], scores["user"], scores["customer"])
        for pw, src, section, position, t, trade, hits in matched:
            # the trade factor of a trade item depends on whether the firm makes things; a service
            # term after the products (…、汽车金融) is a side line
            alt = making if trade else made_before.get(src, position) < position
            for seg, q, term, bucket_idx, contained, weak, f_alt, f in hits:
                sc = pw * q * (f_alt if alt else f)
                so = sc * CONTAINED_FACTOR if contained else sc
                bucket = buckets[bucket_idx]
                a = bucket.get(seg)
                # _Acc.add inlined (the hot loop); ``order`` only grows, so ``first`` is set at creation
                if a is None:
                    bucket[seg] = _Acc(1.0 - (1.0 - sc), 1.0 - (1.0 - so), sc if sc > 0.0 else 0.0, 0.0,
                                       [(sc, src, section, position, t, term)], order, not weak)
                else:
                    if not weak:
                        a.strong = True
                    a.chain_score = 1.0 - (1.0 - a.chain_score) * (1.0 - sc)
                    a.overall = 1.0 - (1.0 - a.overall) * (1.0 - so)
                    if sc > a.text:
                        a.text = sc
                    a.evidence.append((sc, src, section, position, t, term))
                order += 1
        return Analysis(scores, frozenset(code_segments) if code_segments else _NO_SEGMENTS)

    # ------------------------------------------------------------ slots
    def _rank(self, analysis: Analysis, k: int, chain: str | None) -> list[Assignment]:
        if k < 1:
            raise InvalidInput(f"k must be at least 1, got {k}", field="k")
        out: list[Assignment] = []
        prod = analysis.scores["producer"]
        picked = self._slots(prod, k, chain) if prod else []
        conflict = False
        if analysis.code_segments and picked:
            text_segs = {j for j, a in prod.items() if a.text >= self.min_score * 0.5}
            conflict = bool(text_segs) and not (analysis.code_segments & text_segs)
        for j, sc in picked:
            out.append(self._assignment(j, prod[j], sc, Role.producer, conflict))
        if analysis.scores["user"]:
            taken = {j for j, _ in picked}
            users = {j: a for j, a in analysis.scores["user"].items() if j not in taken}
            for j, sc in self._slots(users, k, chain, relative=False):
                out.append(self._assignment(j, users[j], sc, Role.user, False))
        return out

    def _slots(
        self, accs: Mapping[int, _Acc], k: int, chain: str | None, relative: bool = True
    ) -> list[tuple[int, float]]:
        ms = self.min_score
        if chain is not None:
            seg_root, seg_chain = self.seg_root, self.seg_chain
            cand = [
                (j, a.chain_score) for j, a in accs.items()
                if a.strong and a.chain_score >= ms and (seg_root[j] == chain or seg_chain[j] == chain)
            ]
        else:
            cand = [(j, a.overall) for j, a in accs.items() if a.strong and a.overall >= ms]
        if len(cand) <= 1:
            return cand
        if relative:
            cut = self.relative * max(x[1] for x in cand)
            cand = [x for x in cand if x[1] >= cut]
            if len(cand) == 1:
                return cand
        # ties: more pieces of evidence, then the earlier hit, then the chain order, then the id (the
        # rank of a segment is unique: the decorated tuples never compare beyond it)
        rank = self._seg_rank
        decorated = [(-round(s, 6), -len(a.evidence), a.first, rank[j], j, s) for j, s in cand for a in (accs[j],)]
        decorated.sort()
        cand = [(d[4], d[5]) for d in decorated]
        if chain is not None or len(cand) <= k:
            return cand[:k]  # (with at most k candidates the rule below picks them all)
        # the best of each root chain first, then the next best overall; in the order of the ranking
        root_idx = self.seg_root_idx
        seen_roots: set[int] = set()
        ids: set[int] = set()
        for j, _s in cand:
            r = root_idx[j]
            if r not in seen_roots:
                seen_roots.add(r)
                if len(ids) < k:
                    ids.add(j)
        for j, _s in cand:
            if len(ids) >= k:
                break
            ids.add(j)
        return [x for x in cand if x[0] in ids]

    def _assignment(self, j: int, acc: _Acc, score: float, role: Role, conflict: bool) -> Assignment:
        method = AssignmentMethod.code if acc.code > acc.text else AssignmentMethod.text
        memo = self._ev_memo
        if len(memo) > 200_000:
            memo.clear()
        evidence = acc.evidence
        if len(evidence) == 1:
            e = evidence[0]
            key = e[1:]
            t = memo.get(key)
            if t is None:
                t = memo[key] = _evidence_text(e)
            ev = [t]
        else:
            texts: list[str] = []
            for e in sorted(evidence, key=_score_of, reverse=True)[:8]:
                key = e[1:]
                t = memo.get(key)
                if t is None:
                    t = memo[key] = _evidence_text(e)
                if t not in texts:
                    texts.append(t)
            ev = texts[:5]
        conf = score
        if conflict:
            conf *= 0.85
            ev.append("行业代码与文本指向不同环节")
        return _new_assignment(self._seg_ids[j], self.seg_chain[j], role, round(min(1.0, max(0.0, conf)), 4),
                               method, tuple(ev))

    # ------------------------------------------------------------ public
    def assign(
        self,
        name: str = "",
        industry_code: str | int | None = None,
        industry_name: str = "",
        products: str = "",
        scope: str = "",
        k: int = 3,
        chain: str | None = None,
    ) -> list[Assignment]:
        """Assign one firm: at most ``k`` produced segments (best of each chain first),
        then at most ``k`` segments it buys or uses; ``chain`` ranks one (root) chain only."""
        a = self.analyse(name=name or "", industry_code=industry_code, industry_name=industry_name or "",
                         products=products or "", scope=scope or "")
        return self._rank(a, k, chain)

    def assign_many(
        self, rows: Iterable[Mapping[str, Any] | Any], *, k: int = 3, chain: str | None = None
    ) -> list[list[Assignment]]:
        """:meth:`assign` for many firms (mappings or objects with the fields ``name``,
        ``industry_code``, ``industry_name``, ``products``, ``scope``); identical
        firms and items are computed once."""
        return [a for a, _c in self.assign_detailed(rows, k=k, chain=chain)]

    def assign_detailed(
        self, rows: Iterable[Mapping[str, Any] | Any], *, k: int = 3, chain: str | None = None
    ) -> list[tuple[list[Assignment], list[tuple[str, float]]]]:
        """Like :meth:`assign_many`, each firm with the segments it sells into
        (``customer`` role: 用于/面向/为…配套 …; markets, not assignments) as
        ``(segment_id, score)`` best first.

        The cyclic garbage collector is paused during the call (see :func:`_cyclic_gc_paused`)."""
        cache: dict[tuple[str, ...], tuple[list[Assignment], list[tuple[str, float]]]] = {}
        out: list[tuple[list[Assignment], list[tuple[str, float]]]] = []
        analyse, rank, customers = self.analyse, self._rank, self._customers
        with _cyclic_gc_paused():
            for row in rows:
                key: tuple[str, ...]
                if type(row) is dict:
                    g = row.get
                    key = (_cell(g("name")), _cell(g("industry_code")), _cell(g("industry_name")),
                           _cell(g("products")), _cell(g("scope")))
                else:
                    key = tuple(_field(row, f) for f in _ROW_FIELDS)
                got = cache.get(key)
                if got is None:
                    an = analyse(*key)
                    got = cache[key] = (rank(an, k, chain), customers(an))
                out.append(got)
        return out

    def _customers(self, a: Analysis) -> list[tuple[str, float]]:
        if not a.scores["customer"]:
            return []
        prod = a.scores["producer"]
        return sorted(
            ((self.segments[j].id, round(acc.overall, 4)) for j, acc in a.scores["customer"].items()
             if acc.overall >= self.min_score and j not in prod),
            key=lambda x: (-x[1], x[0]),
        )

    def customers(self, products: str = "", scope: str = "") -> list[tuple[str, float]]:
        """Segments the firm sells into (用于/面向/为…配套 …), best first: markets, not assignments."""
        return self._customers(self.analyse(products=products or "", scope=scope or ""))

_ROW_FIELDS = ("name", "industry_code", "industry_name", "products", "scope")


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (re-enabled on exit if it was enabled).

    Mapping many firms allocates ~10 small containers per firm that stay alive (the results) or
    die at once by reference counting (the scores): no reference cycles, nothing for the cyclic
    collector to find.  Left on, it traverses the growing heap of results again and again (measured on
    300,000 product lists: 71-72 CPU-s per 1M texts with it, 53-59 without).  Garbage that a caller's
    row iterator creates meanwhile is collected after the call."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _field(row: Any, name: str) -> str:
    v = row.get(name) if type(row) is dict or isinstance(row, Mapping) else getattr(row, name, None)
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v)


def _cell(v: Any) -> str:
    """A field value as :func:`_field` reads it (a str as it is, None and NaN as "")."""
    if type(v) is str:
        return v
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v)


def _norm_code(code: str | int | None) -> str:
    if not code:  # None, "", 0: no code
        return ""
    c = normalize(str(code)).strip()
    if c.endswith(".0"):
        c = c[:-2]
    c = c.lstrip("abcdefghijklmnopqrstuvwxyz")  # a section letter such as C3211
    return c[:4] if len(c) >= 4 and c[:4].isdigit() else ""


_NAME_PAREN_RE = re.compile(r"[（(]([^）)]*)[）)]")


def _name_terms(name_zh: str) -> list[str]:
    """A segment name as terms: the name, the name without its parenthetical, and ASCII
    abbreviations inside the parentheses (``电池模组与电池包（PACK）`` -> the name,
    ``电池模组与电池包``, ``pack``).  Parts joined by 与/及 are not split off: ``销售与后市场``
    must not make ``销售`` a term (the keywords name the parts)."""
    out = [name_zh]
    base = _NAME_PAREN_RE.sub("", name_zh).strip()
    if base and base != name_zh:
        out.append(base)
    for x in _NAME_PAREN_RE.findall(name_zh):
        for p in re.split(r"[/、,，]", x):
            p = p.strip()
            if len(p) >= 2 and _ASCII_RE.match(p):
                out.append(p)
    return out
