"""Result models of the gap analysis (:mod:`chainmap.analysis.gaps`): one
:class:`GapItem` per segment, :class:`LeaderCandidate` per 链主 candidate, and the
:class:`GapReport` holding them.  Lead matching consumes the item fields: keep
their names.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, Field
from typing_extensions import TypedDict

__all__ = ["Status", "Absence", "EnterpriseRef", "PolicyRef", "GapItem", "LeaderCandidate", "GapReport"]

#: The status vocabulary (:data:`chainmap.labels.GAP_STATUS`).
Status = Literal["fill", "strengthen", "extend", "sound", "not_priority", "unsuitable", "unverified"]


class Absence(NamedTuple):
    """What the ``absence_confirmed`` hook of :func:`chainmap.analysis.gaps.analyze_gaps` may
    return instead of a bool: is the absence confirmed, on what basis (a code of
    :data:`chainmap.labels.ABSENCE_BASIS`), and the clause the rationale quotes (who confirmed
    it, or why it is not confirmed and what to import)."""

    confirmed: bool
    basis: str
    note: str = ""


class EnterpriseRef(TypedDict):
    """A local enterprise named in a gap item: ``{"id": ..., "name": ...}`` (a plain dict)."""

    id: str
    name: str


class PolicyRef(TypedDict):
    """A policy applied to a gap item (:class:`chainmap.policies.Policy`, quoted)."""

    id: str
    kind: str
    title: str
    document: str
    source: str
    quote: str
    confidence: str
    condition: str  # kind conditional: where or how the activity is still allowed (zh); else ""
    condition_en: str


class GapItem(BaseModel):
    """One segment's status in one region (consumed by lead matching: keep the field names)."""

    chain_id: str = Field(description="the analysed chain the segment belongs to")
    segment_id: str
    segment_name: str
    segment_chain: str = Field(description="the segment's own (sub-)chain")
    region_id: str
    status: Status
    priority: float = Field(ge=0, le=1)
    components: dict[str, float] = Field(default_factory=dict)
    rationale: str
    local_enterprises: list[EnterpriseRef] = Field(default_factory=list)
    stage: str
    value_added: int
    tech_intensity: int
    criticality: float
    density: float
    local_count: int
    demand_segments: list[str] = Field(default_factory=list)
    demand_count: int = 0
    local_users: int = 0
    lq: float | None = None
    has_chain_leader: bool = False
    local_output: float | None = None
    local_capacity: dict[str, float] = Field(default_factory=dict)
    chokepoint: bool = False
    directions: list[str] = Field(default_factory=list)
    adjacent_segments: list[str] = Field(default_factory=list)
    kind: str = Field(default="product", description="segment kind: product / endowment / adopter / service")
    policies: list[PolicyRef] = Field(default_factory=list, description="policies covering the segment here")
    fit: list[str] = Field(
        default_factory=list,
        description="for a critical segment in a county or zone: which of demand / inputs / adjacent hold",
    )
    absence_confirmed: bool | None = Field(
        default=None, description="for a segment without a local producer: is the absence confirmed"
    )
    absence_basis: str | None = Field(
        default=None,
        description="why the absence is (planner / register / list) or is not confirmed "
        "(no_register / incomplete / codes / pending): chainmap.labels.ABSENCE_BASIS",
    )
    would_be: Status | None = Field(
        default=None, description="for an unverified segment: the status it would have were the absence confirmed"
    )
    provisional_priority: float | None = Field(
        default=None, ge=0, le=1, description="for an unverified segment: the priority it would have (not a target)"
    )


class LeaderCandidate(BaseModel):
    """A local firm whose extraction would hurt the chain most (链主 candidate)."""

    chain_id: str
    id: str
    name: str
    score: float
    segments: list[str]
    sole_segments: list[str]
    tags: list[str]


class GapReport(BaseModel):
    """The gap analysis of one region for one or more chains."""

    region: str
    region_name: str
    chain: str | None
    chains: list[str]
    chain_names: dict[str, str]
    lang: str
    density_mode: dict[str, str]
    summary: dict[str, dict[str, int]]
    chain_leader_candidates: list[LeaderCandidate]
    items: list[GapItem]
    parameters: dict[str, float | str]
    coverage: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="per chain: what the census knows in the region (chainmap.census.coverage.region_coverage)",
    )
    pending_assignments: int = Field(default=0, description="local assignments in the chains waiting for review")
