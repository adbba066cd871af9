"""Product text -> chain segments: exact keyword hits plus character n-gram TF-IDF.

A candidate's ``main_products`` (free text such as ``"湿法隔膜、涂覆隔膜"``) is
mapped to segments by two complementary signals:

* **keyword hits** — a segment's ``keywords_zh``, ``keywords_en``, ``aliases``,
  ``name_zh`` and ``name_en`` found verbatim in a phrase of the (NFKC,
  lower-cased) text (phrases as below, each computed once).
  ASCII terms must stand on word boundaries (``"ev"`` does not hit ``"device"``).
  Confidence grows with the term's length, because long terms are specific:
  ``min(0.95, 0.55 + 0.1 * len(term))`` for Chinese terms (one character 0.65,
  two 0.75, four or more 0.95) and ``min(0.95, 0.5 + 0.05 * len(term))`` for
  ASCII terms.
* **TF-IDF similarity** — the text is split into phrases at list separators
  (``、，,;；/|``, 及/和/与 between Chinese words, and spaces next to Chinese
  characters — English phrases stay whole); each phrase is compared with every term by the
  cosine similarity of character n-gram TF-IDF vectors
  (``TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3))``), which works for
  Chinese without a word segmenter and tolerates variants (``"湿法锂电隔膜"`` ~
  ``"湿法隔膜"``).  A segment's similarity is its best term's; below
  ``min_similarity`` it is ignored.

The confidence of a match is the larger of the two, in [0, 1]; explicit segments
given by the user always win with confidence 1 (see :mod:`matching.candidates`).

**Roles.**  Product text also names what a firm *buys* or *sells to*, and a
lead for a segment must make it.  Each phrase is cut at role markers
(:func:`split_roles`) before matching:

* ``producer`` — the firm makes it (the default);
* ``user`` — after a purchase marker (``采购`` ``外购`` ``使用`` ``消耗``,
  ``buys`` ``purchases`` ``uses``): the firm buys or uses the segment;
* ``customer`` — after an application marker (``用于`` ``应用于`` ``适用于``
  ``面向`` ``服务于``, ``为…配套/提供/供货``; ``for`` ``used in`` ``serving``), up
  to the next ``的``: the segment is a market the firm sells into
  (``用于新能源汽车的驱动电机``: 驱动电机 produced, 新能源汽车 customer;
  ``Harmonic reducers for industrial robots``: robots are customers).

:meth:`SegmentMapper.transform_roles` returns every match with its role (a
segment also produced keeps ``producer``); :meth:`~SegmentMapper.transform`
and :meth:`~SegmentMapper.transform_detailed` return the produced segments only.

>>> from chainmap.models import Segment
>>> segs = [Segment(id="qi.separator", chain="qi", name_zh="隔膜", name_en="Separator", stage="midstream",
...                 keywords_zh=["湿法隔膜", "干法隔膜"]),
...         Segment(id="qi.electrolyte", chain="qi", name_zh="电解液", name_en="Electrolyte",
...                 stage="midstream", keywords_zh=["六氟磷酸锂"])]
>>> m = SegmentMapper().fit(segs)
>>> m.transform(["湿法锂电隔膜", "锂电池电解液、隔膜", "农产品"])
[[('qi.separator', 0.779)], [('qi.separator', 1.0), ('qi.electrolyte', 0.85)], []]
>>> m.transform_detailed(["干法隔膜生产线"])
[[('qi.separator', 0.95, 'keyword')]]
>>> m.transform_roles(["用于隔膜的电解液", "采购湿法隔膜"])
[[('qi.electrolyte', 1.0, 'tfidf', 'producer'), ('qi.separator', 1.0, 'tfidf', 'customer')], [('qi.separator', 1.0, 'tfidf', 'user')]]
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from chainmap.exceptions import InvalidInput

__all__ = ["SegmentMapper", "segment_terms", "split_phrases", "split_roles", "keyword_confidence", "ROLES"]

#: Roles of a matched segment, in precedence order (a segment produced is a producer).
ROLES = ("producer", "user", "customer")
_USER_MARK = r"采购|外购|使用|消耗|\bbuys\b|\bpurchases\b|\bpurchasing\b|\buses\b"
_CUSTOMER_MARK = r"应用于|适用于|用于|面向|服务于|\bfor\b|\bused in\b|\bused by\b|\bserving\b|\bapplied in\b"
_ROLE_RE = re.compile(rf"(?P<user>{_USER_MARK})|(?P<customer>{_CUSTOMER_MARK})|为(?P<for>[^的]+?)(?:配套|提供|供货)")

_SPLIT_RE = re.compile(
    r"[、，,;；/|｜。．·]+|\s+(?=[^\x00-\x7f])|(?<=[^\x00-\x7f])\s+|(?<=[\u4e00-\u9fff])(?:及|和|与)(?=[\u4e00-\u9fff])"
)
_ASCII_RE = re.compile(r"^[\x00-\x7f]+$")


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower()


def split_phrases(text: str) -> list[str]:
    """Split a product list into phrases.

    >>> split_phrases("湿法隔膜、涂覆隔膜；正极材料及负极材料 / wet separators 隔膜")
    ['湿法隔膜', '涂覆隔膜', '正极材料', '负极材料', 'wet separators', '隔膜']
    """
    return [p.strip() for p in _SPLIT_RE.split(_norm(text)) if p.strip()]


def split_roles(phrase: str) -> list[tuple[str, str]]:
    """Cut one phrase at role markers into ``(sub-phrase, role)`` parts (see the module notes).

    >>> split_roles("用于新能源汽车的驱动电机")
    [('新能源汽车', 'customer'), ('驱动电机', 'producer')]
    >>> split_roles("harmonic reducers for industrial robots")
    [('harmonic reducers', 'producer'), ('industrial robots', 'customer')]
    >>> split_roles("为整车厂配套座椅"), split_roles("采购隔膜"), split_roles("湿法隔膜")
    ([('整车厂', 'customer'), ('座椅', 'producer')], [('隔膜', 'user')], [('湿法隔膜', 'producer')])
    """
    parts: list[tuple[str, str]] = []
    pos = 0
    for m in _ROLE_RE.finditer(phrase):
        if m.start() < pos:
            continue
        head = phrase[pos : m.start()].strip()
        if head:
            parts.append((head, "producer"))
        if m.group("for") is not None:
            parts.append((m.group("for").strip(), "customer"))
            pos = m.end()
            continue
        role = "user" if m.group("user") else "customer"
        rest = phrase[m.end() :]
        de = rest.find("的")
        span = rest if de < 0 else rest[:de]
        if span.strip():
            parts.append((span.strip(), role))
        pos = m.end() + (len(rest) if de < 0 else de + 1)
    tail = phrase[pos:].strip()
    if tail:
        parts.append((tail, "producer"))
    return [(p, r) for p, r in parts if p]


def keyword_confidence(term: str) -> float:
    """Confidence of an exact hit of ``term`` (longer terms are more specific).

    >>> keyword_confidence("镁"), keyword_confidence("隔膜"), keyword_confidence("湿法隔膜")
    (0.65, 0.75, 0.95)
    >>> keyword_confidence("separator")
    0.95
    """
    n = len(term)
    if _ASCII_RE.match(term):
        return round(min(0.95, 0.5 + 0.05 * n), 4)
    return round(min(0.95, 0.55 + 0.1 * n), 4)


def _get(seg: Any, field: str, default: Any = None) -> Any:
    if isinstance(seg, Mapping):
        return seg.get(field, default)
    return getattr(seg, field, default)


def segment_terms(segment: Any) -> list[str]:
    """Normalised, de-duplicated terms naming a segment (names, keywords, aliases)."""
    raw: list[str] = [_get(segment, "name_zh", "") or "", _get(segment, "name_en", "") or ""]
    for field in ("keywords_zh", "keywords_en", "aliases"):
        raw.extend(_get(segment, field, None) or [])
    out: list[str] = []
    for t in raw:
        n = _norm(str(t))
        if n and n not in out:
            out.append(n)
    return out


class SegmentMapper(BaseEstimator):
    """Map product texts to segment ids with a confidence in [0, 1].

    Parameters
    ----------
    ngram_range : tuple of int, default=(1, 3)
        Character n-gram range of the TF-IDF vectoriser (``analyzer="char_wb"``).
    min_similarity : float, default=0.6
        TF-IDF cosine similarities below this are ignored.
    min_confidence : float, default=0.5
        Matches below this confidence are dropped.
    top_n : int, default=3
        At most this many segments per text (highest confidence first).
    batch_size : int, default=4096
        Phrases compared per batch (bounds memory).

    Attributes
    ----------
    segment_ids_ : list of str
    vectorizer_ : TfidfVectorizer
    term_matrix_ : sparse matrix (n_terms, n_features), L2-normalised TF-IDF rows
    term_segment_ : ndarray of int, segment index of each term
    """

    def __init__(
        self,
        ngram_range: tuple[int, int] = (1, 3),
        min_similarity: float = 0.6,
        min_confidence: float = 0.5,
        top_n: int = 3,
        batch_size: int = 4096,
    ) -> None:
        self.ngram_range = ngram_range
        self.min_similarity = min_similarity
        self.min_confidence = min_confidence
        self.top_n = top_n
        self.batch_size = batch_size

    def fit(self, segments: Iterable[Any], y: None = None) -> SegmentMapper:
        """Learn the terms and the TF-IDF vocabulary of ``segments``
        (:class:`chainmap.models.Segment` objects or mappings with the same fields)."""
        segs = list(segments)
        if not segs:
            raise InvalidInput("SegmentMapper needs at least one segment to fit", field="segments")
        if not (0 <= self.min_similarity <= 1 and 0 <= self.min_confidence <= 1):
            raise InvalidInput("min_similarity and min_confidence must be in [0, 1]", field="min_similarity")
        if self.top_n < 1:
            raise InvalidInput("top_n must be at least 1", field="top_n")
        self.segment_ids_ = [str(_get(s, "id")) for s in segs]
        terms: list[str] = []
        term_seg: list[int] = []
        # first character -> list of (term, segment index, confidence, ascii)
        index: dict[str, list[tuple[str, int, float, bool]]] = {}
        for i, s in enumerate(segs):
            for t in segment_terms(s):
                terms.append(t)
                term_seg.append(i)
                index.setdefault(t[0], []).append((t, i, keyword_confidence(t), bool(_ASCII_RE.match(t))))
        self.terms_ = terms
        self.term_segment_ = np.asarray(term_seg, dtype=np.int64)
        self.keyword_index_ = index
        self.vectorizer_ = TfidfVectorizer(
            analyzer="char_wb", ngram_range=tuple(self.ngram_range), sublinear_tf=True, lowercase=True
        )
        self.term_matrix_ = self.vectorizer_.fit_transform(terms).tocsr()
        return self

    # ------------------------------------------------------------------
    def keyword_hits(self, text: str) -> dict[int, float]:
        """Segment index -> best keyword-hit confidence for one text."""
        check_is_fitted(self, "keyword_index_")
        t = _norm(text)
        out: dict[int, float] = {}
        n = len(t)
        for pos, ch in enumerate(t):
            cands = self.keyword_index_.get(ch)
            if not cands:
                continue
            for term, seg, conf, is_ascii in cands:
                if not t.startswith(term, pos):
                    continue
                if is_ascii:
                    end = pos + len(term)
                    if (pos > 0 and t[pos - 1].isascii() and t[pos - 1].isalnum()) or (
                        end < n and t[end].isascii() and t[end].isalnum() and t[end] != "s"
                    ):
                        continue
                if conf > out.get(seg, 0.0):
                    out[seg] = conf
        return out

    def _phrase_similarities(self, phrases: Sequence[str]) -> list[dict[int, float]]:
        """For each phrase, segment index -> best TF-IDF similarity (>= min_similarity)."""
        out: list[dict[int, float]] = []
        n_seg = len(self.segment_ids_)
        order = np.argsort(self.term_segment_, kind="stable")
        seg_sorted = self.term_segment_[order]
        starts = np.flatnonzero(np.r_[True, seg_sorted[1:] != seg_sorted[:-1]])
        seg_of_start = seg_sorted[starts]
        T = self.term_matrix_[order].T.tocsc()
        for b in range(0, len(phrases), self.batch_size):
            P = self.vectorizer_.transform(phrases[b : b + self.batch_size])
            sims = (P @ T).toarray()
            per_seg = np.zeros((sims.shape[0], n_seg))
            per_seg[:, seg_of_start] = np.maximum.reduceat(sims, starts, axis=1)
            rows, cols = np.nonzero(per_seg >= self.min_similarity)
            batch: list[dict[int, float]] = [{} for _ in range(sims.shape[0])]
            for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
                batch[r][c] = float(per_seg[r, c])
            out.extend(batch)
        return out

    def transform(self, texts: Iterable[str | None]) -> list[list[tuple[str, float]]]:
        """For each text, the produced segments ``[(segment_id, confidence), ...]``
        sorted by confidence (then id), at most ``top_n``; ``[]`` for an empty or
        unmatched text.  Identical texts and phrases are computed once."""
        return [[(s, c) for s, c, _m in row] for row in self.transform_detailed(texts)]

    def transform_detailed(self, texts: Iterable[str | None]) -> list[list[tuple[str, float, str]]]:
        """Like :meth:`transform` with the method of each match: ``"keyword"`` or ``"tfidf"``."""
        return [[(s, c, m) for s, c, m, r in row if r == "producer"] for row in self.transform_roles(texts)]

    def transform_roles(self, texts: Iterable[str | None]) -> list[list[tuple[str, float, str, str]]]:
        """Every match ``(segment_id, confidence, method, role)``: the produced
        segments first (at most ``top_n``), then the bought (``user``) and the
        supplied-to (``customer``) ones (at most ``top_n`` each); a segment keeps
        its highest-precedence role (:data:`ROLES`)."""
        check_is_fitted(self, "vectorizer_")
        strs = [t if isinstance(t, str) else "" for t in texts]
        uniq = {t: None for t in strs if t.strip()}
        part_sets = {t: [sp for p in split_phrases(t) for sp in split_roles(p)] for t in uniq}
        all_phrases = list({p: None for ps in part_sets.values() for p, _r in ps})
        sims = dict(zip(all_phrases, self._phrase_similarities(all_phrases), strict=True))
        hits = {p: self.keyword_hits(p) for p in all_phrases}
        cache: dict[str, list[tuple[str, float, str, str]]] = {}
        for t in uniq:
            best: dict[str, dict[int, tuple[float, str]]] = {r: {} for r in ROLES}
            for p, role in part_sets[t]:
                for seg, conf in hits[p].items():
                    if conf > best[role].get(seg, (0.0, ""))[0]:
                        best[role][seg] = (conf, "keyword")
            for p, role in part_sets[t]:
                for seg, sim in sims[p].items():
                    if sim > best[role].get(seg, (0.0, ""))[0]:
                        best[role][seg] = (sim, "tfidf")
            out: list[tuple[str, float, str, str]] = []
            taken: set[int] = set()
            for role in ROLES:
                ranked = sorted(
                    (
                        (self.segment_ids_[s], round(min(1.0, c), 4), m, s)
                        for s, (c, m) in best[role].items()
                        if c >= self.min_confidence and s not in taken
                    ),
                    key=lambda x: (-x[1], x[0]),
                )[: self.top_n]
                taken.update(x[3] for x in ranked)
                out.extend((sid, c, m, role) for sid, c, m, _s in ranked)
            cache[t] = out
        return [cache.get(t, []) for t in strs]
