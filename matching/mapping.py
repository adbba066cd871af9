"""Candidate text -> chain segments, through the one assignment engine of the chain-map core.

Matching does not keep a vocabulary of its own: :class:`SegmentMapper` is a thin
scikit-learn-style adapter over :class:`chainmap.classify.SegmentClassifier` (the
engine the census import uses too), so candidates and local firms are mapped by
the same rules — Aho–Corasick longest match over the segment vocabulary
(``graph_seed/vocabulary/``), negative terms, 经营范围 parsing, the GB/T 4754-2017
code concordance (``graph_seed/industry_codes.csv``), per-chain slots and
calibrated confidence; see :mod:`chainmap.classify.engine`.

**Roles.**  A match is ``producer`` (the firm makes it), ``user`` (it buys or uses
it: 采购/外购/使用/消耗/应用 …) or ``customer`` (a market it sells into: 用于/应用于/
面向/为…配套 …).  Only produced segments count for leads
(:mod:`matching.features`).

>>> from chainmap.models import Segment
>>> segs = [Segment(id="qi.separator", chain="qi", name_zh="隔膜", name_en="Separator", stage="midstream",
...                 keywords_zh=["湿法隔膜", "锂离子电池隔膜"]),
...         Segment(id="qi.cell", chain="qi", name_zh="电芯", name_en="Cells",
...                 stage="midstream", keywords_zh=["锂离子电池", "动力电池"])]
>>> m = SegmentMapper().fit(segs)
>>> [[s for s, _c in row] for row in m.transform(["锂离子电池隔膜", "动力电池、湿法隔膜", "农产品"])]
[['qi.separator'], ['qi.cell', 'qi.separator'], []]
>>> m.transform_roles(["采购湿法隔膜", "用于动力电池的湿法隔膜"])[1]
[('qi.separator', 0.9, 'text', 'producer'), ('qi.cell', 0.9, 'text', 'customer')]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from chainmap.classify import SegmentClassifier
from chainmap.classify.text import split_products, split_roles
from chainmap.data import ChainData
from chainmap.exceptions import InvalidInput

__all__ = ["SegmentMapper", "split_phrases", "split_roles", "ROLES"]

#: Roles of a matched segment, in precedence order (a segment produced is a producer).
ROLES = ("producer", "user", "customer")


def split_phrases(text: str) -> list[str]:
    """Split a product list into its items (see :func:`chainmap.classify.text.split_products`).

    >>> split_phrases("湿法隔膜、涂覆隔膜；正极材料 / wet separators")
    ['湿法隔膜', '涂覆隔膜', '正极材料', 'wet separators']
    """
    return [i.text for i in split_products(text)]


class SegmentMapper(BaseEstimator):
    """Map candidate texts to segment ids with a confidence in [0, 1].

    Parameters
    ----------
    top_n : int, default=3
        At most this many produced segments per text (best of each chain first).
    min_score : float, default=0.3
        Assignments below this confidence are dropped.
    relative : float, default=0.5
        Produced segments below ``relative`` times the best are dropped (side lines).

    Attributes
    ----------
    classifier_ : chainmap.classify.SegmentClassifier
    segment_ids_ : list of str
    """

    def __init__(self, top_n: int = 3, min_score: float = 0.3, relative: float = 0.5) -> None:
        self.top_n = top_n
        self.min_score = min_score
        self.relative = relative

    def fit(self, segments: ChainData | Iterable[Any], y: None = None) -> SegmentMapper:
        """Build the engine: from a :class:`~chainmap.data.ChainData` with the seed's
        vocabulary and code concordance (:meth:`SegmentClassifier.from_data`), or from
        plain segments with their own keywords only."""
        if self.top_n < 1:
            raise InvalidInput("top_n must be at least 1", field="top_n")
        if isinstance(segments, ChainData):
            if not segments.segments:
                raise InvalidInput("SegmentMapper needs at least one segment to fit", field="segments")
            self.classifier_ = SegmentClassifier.from_data(
                segments, min_score=self.min_score, relative=self.relative
            )
        else:
            segs = list(segments)
            if not segs:
                raise InvalidInput("SegmentMapper needs at least one segment to fit", field="segments")
            self.classifier_ = SegmentClassifier(segs, min_score=self.min_score, relative=self.relative)
        self.segment_ids_ = [s.id for s in self.classifier_.segments]
        return self

    def transform(self, texts: Iterable[str | None]) -> list[list[tuple[str, float]]]:
        """For each text, the produced segments ``[(segment_id, confidence), ...]``
        best first, at most ``top_n``; ``[]`` for an empty or unmatched text."""
        return [[(s, c) for s, c, _m in row] for row in self.transform_detailed(texts)]

    def transform_detailed(self, texts: Iterable[str | None]) -> list[list[tuple[str, float, str]]]:
        """Like :meth:`transform` with the method of each match (``"text"`` or ``"code"``)."""
        return [[(s, c, m) for s, c, m, r in row if r == "producer"] for row in self.transform_roles(texts)]

    def transform_roles(self, texts: Iterable[str | None]) -> list[list[tuple[str, float, str, str]]]:
        """Every match ``(segment_id, confidence, method, role)``: produced segments
        first (at most ``top_n``), then bought or used ones (``user``), then markets
        the firm sells into (``customer``, at most ``top_n``)."""
        return [
            [(s, c, m, r) for s, c, m, r, _e in row]
            for row in self.map_records([{"products": t if isinstance(t, str) else ""} for t in texts])
        ]

    def map_records(
        self, records: Iterable[Mapping[str, Any]]
    ) -> list[list[tuple[str, float, str, str, tuple[str, ...]]]]:
        """Map records with the fields ``name``, ``products``, ``scope``,
        ``industry_code``, ``industry_name`` (all optional): ``(segment_id,
        confidence, method, role, evidence)`` per match, as :meth:`transform_roles`."""
        check_is_fitted(self, "classifier_")
        recs = list(records)
        out: list[list[tuple[str, float, str, str, tuple[str, ...]]]] = []
        for got, cust in self.classifier_.assign_detailed(recs, k=self.top_n):
            row = [(a.segment, a.confidence, a.method.value, a.role.value, a.evidence) for a in got]
            taken = {r[0] for r in row}
            row.extend((s, c, "text", "customer", ()) for s, c in [x for x in cust if x[0] not in taken][: self.top_n])
            out.append(row)
        return out
