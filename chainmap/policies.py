"""Policy constraints on segments: restricted, banned, conditional and encouraged activities.

Planners keep them in ``graph_seed/policies.yaml`` (schema in ``graph_seed/README.md``);
:func:`chainmap.seed.load_seed` reads and checks them, ``seed load`` stores them as
records of kind ``policy`` (both stores, no schema change), and
:attr:`chainmap.data.ChainData.policies` holds them for the analyses.

A policy *covers* a segment of a region when

* the segment is listed in ``segments``, or its chain (or a parent chain) in ``chains``; and
* the region is listed in ``regions`` or lies in a listed region (a county in the city, a
  zone in its county and the city) -- :meth:`chainmap.data.RegionIndex.places`.

The gap analysis gives a segment covered by a ``restricted`` or ``banned`` policy the
status 不适宜 (unsuitable) quoting it (title, document number, source) and no lead; a
``conditional`` policy (a restriction that holds only under a condition, e.g. only inside city
and county planning areas) leaves the status to the gap rules, lowers the priority and puts its
``condition`` (政策条件) into the rationale and into every lead of the segment; an
``encouraged`` policy is a reason and a priority term (:mod:`chainmap.analysis.gaps`).

>>> p = Policy(id="p1", kind="banned", title="示例", source="https://example.org", quote="不再新布局",
...            segments=["cai.steel.billet"], regions=["yuncheng"], confidence="medium")
>>> p.cite("zh")
'《示例》（https://example.org）'
>>> policy_record(p)[0:2]
('policy', 'p1')
>>> policies_from_records([policy_record(p)[2]])[0] == p
True
"""

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from chainmap.exceptions import InvalidInput
from chainmap.models import ID_PATTERN, Confidence, empty_list
from chainmap.revisions import POLICY_RECORD_KIND  # the store record kind holding the policies

__all__ = [
    "POLICY_RECORD_KIND",
    "PolicyKind",
    "Policy",
    "PolicyIndex",
    "policy_record",
    "policies_from_records",
]


_Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, min_length=1, max_length=80)]


class PolicyKind(StrEnum):
    """限制类 / 禁止类 / 有条件限制 / 鼓励类."""

    restricted = "restricted"
    banned = "banned"
    conditional = "conditional"
    encouraged = "encouraged"

    @property
    def limits(self) -> bool:
        """True for the kinds that make a segment unsuitable (restricted, banned)."""
        return self in (PolicyKind.restricted, PolicyKind.banned)


class Policy(BaseModel):
    """One policy entry: what it covers and the sourced text behind it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: _Id
    kind: PolicyKind
    title: str = Field(min_length=1, description="document title, without 《》")
    document: str = Field(default="", description="document number (文号); empty when the source gives none")
    issuer: str = ""
    date: str = Field(default="", description="date of issue, YYYY-MM-DD or YYYY")
    source: str = Field(min_length=1, description="URL of the text quoted")
    quote: str = Field(min_length=1, description="the sentence(s) of the source the entry rests on, verbatim")
    segments: list[_Id] = Field(default_factory=empty_list)
    chains: list[_Id] = Field(default_factory=empty_list)
    regions: list[_Id] = Field(min_length=1)
    confidence: Confidence
    condition: str = Field(
        default="", description="conditional only: where or how the activity is still allowed (zh), e.g. 仅限城市及县城规划区外"
    )
    condition_en: str = Field(default="", description="conditional only: the condition in English")
    note: str = ""

    @model_validator(mode="after")
    def _covers_something(self) -> "Policy":
        if not self.segments and not self.chains:
            raise ValueError("a policy must list segments or chains it covers")
        if self.kind is PolicyKind.conditional and not self.condition:
            raise ValueError("a conditional policy needs a condition (where or how the activity is still allowed)")
        if self.kind is not PolicyKind.conditional and (self.condition or self.condition_en):
            raise ValueError(f"condition is for kind conditional only, not {self.kind.value}")
        return self

    def condition_text(self, lang: str = "zh") -> str:
        """The condition in ``lang`` (the Chinese text when no English one is given)."""
        return (self.condition_en or self.condition) if lang == "en" else self.condition

    def cite(self, lang: str = "zh") -> str:
        """``《title》document（source）``: the citation quoted in rationales."""
        doc = self.document
        if lang == "en":
            return f'"{self.title}"{" " + doc if doc else ""} ({self.source})'
        return f"《{self.title}》{doc}（{self.source}）"


def policy_record(policy: Policy) -> tuple[str, str, dict[str, Any]]:
    """``(kind, id, data)`` of the store record holding ``policy`` (for ``bulk_upsert``)."""
    return POLICY_RECORD_KIND, policy.id, policy.model_dump(mode="json")


def policies_from_records(records: Iterable[Mapping[str, Any]]) -> list[Policy]:
    """Policies of stored records (sorted by id); InvalidInput naming the record and field."""
    out = []
    for rec in records:
        try:
            out.append(Policy.model_validate(dict(rec)))
        except ValidationError as err:
            first = err.errors()[0]
            fld = ".".join(str(x) for x in first["loc"]) or None
            raise InvalidInput(
                f"policy record {rec.get('id')!r}: {first['msg']}", field=fld, record=str(rec.get("id"))
            ) from None
    return sorted(out, key=lambda p: p.id)


class PolicyIndex:
    """The policies covering each segment in one region.

    Parameters
    ----------
    policies : sequence of Policy
    region_places : iterable of str
        The region and the regions it lies in (``RegionIndex.places`` of the region).
    segment_chains : mapping
        ``{segment id: [its chain, the chain's parent, ...]}``.

    >>> p = Policy(id="p", kind="encouraged", title="t", source="s", quote="q", chains=["cai"],
    ...            regions=["yc"], confidence="high")
    >>> idx = PolicyIndex([p], {"yc", "wenxi"}, {"cai.mg.alloy": ["cai.mg", "cai"], "qi.cell": ["qi"]})
    >>> [q.id for q in idx.covering("cai.mg.alloy")], idx.covering("qi.cell")
    (['p'], [])
    """

    def __init__(
        self,
        policies: Sequence[Policy],
        region_places: Iterable[str],
        segment_chains: Mapping[str, Sequence[str]],
    ) -> None:
        places = set(region_places)
        self.policies = [p for p in sorted(policies, key=lambda p: p.id) if places.intersection(p.regions)]
        self._chains = segment_chains

    def covering(self, segment: str) -> list[Policy]:
        """The policies of the region covering ``segment``, by id."""
        chains = set(self._chains.get(segment, ()))
        return [p for p in self.policies if segment in p.segments or chains.intersection(p.chains)]

    def limiting(self, segment: str) -> list[Policy]:
        """The restricted / banned policies covering ``segment``."""
        return [p for p in self.covering(segment) if p.kind.limits]

    def conditioning(self, segment: str) -> list[Policy]:
        """The conditional policies covering ``segment``."""
        return [p for p in self.covering(segment) if p.kind is PolicyKind.conditional]

    def encouraging(self, segment: str) -> list[Policy]:
        """The encouraged policies covering ``segment``."""
        return [p for p in self.covering(segment) if p.kind is PolicyKind.encouraged]
