"""Automatic segment assignment: one engine for local firms and candidates.

>>> from chainmap.classify import SegmentClassifier, Assignment
>>> sorted(__all__)[:2]
['Analysis', 'Assignment']

See :mod:`chainmap.classify.engine` (signals, longest match, slots, confidence),
:mod:`chainmap.classify.text` (经营范围 parsing, roles) and
:mod:`chainmap.classify.vocabulary` (vocabulary files and the industry-code concordance).
"""

from chainmap.classify.engine import Analysis, Assignment, SegmentClassifier, term_quality
from chainmap.classify.text import Item, normalize, parse_scope, split_products, split_roles
from chainmap.classify.vocabulary import (
    CodeRow,
    SegmentVocabulary,
    VocabularyProblem,
    read_concordance,
    read_vocabulary,
)

__all__ = [
    "Analysis",
    "Assignment",
    "SegmentClassifier",
    "term_quality",
    "Item",
    "normalize",
    "parse_scope",
    "split_products",
    "split_roles",
    "CodeRow",
    "SegmentVocabulary",
    "VocabularyProblem",
    "read_concordance",
    "read_vocabulary",
]
