"""Domain model of chainmap (pydantic v2).

Chains, segments (links of a chain), supply links between segments,
enterprises and regions.  Every model validates its own fields; the seed
loader and the storage layers turn :class:`pydantic.ValidationError` into
:class:`chainmap.exceptions.InvalidInput` naming the file, line and field.

>>> is_valid_credit_code("91140800MA0GXXXX0X")
False
>>> credit_code_check_char("91350100M000100Y4")
'3'
>>> is_valid_credit_code("91350100M000100Y43")
True
"""

# No ``from __future__ import annotations`` here: pydantic would evaluate every field's annotation
# string at class creation (part of every command's start); forward references are quoted instead.

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from chainmap.labels import SEGMENT_STAGE, TAG, english_name, is_fallback_name

__all__ = [
    "ID_PATTERN",
    "Stage",
    "SegmentKind",
    "LinkKind",
    "Role",
    "Tag",
    "RegionKind",
    "Confidence",
    "Chain",
    "Segment",
    "Link",
    "SegmentPresence",
    "Enterprise",
    "Region",
    "credit_code_check_char",
    "is_valid_credit_code",
    "CreditCode",
    "empty_list",
    "empty_dict",
    "TAG_LABELS_ZH",
    "STAGE_LABELS_ZH",
]

#: Stable ids: lower-case ASCII words separated by ``.``, ``_`` or ``-``.
ID_PATTERN = r"^[a-z][a-z0-9_\-]*(\.[a-z0-9_\-]+)*$"
_ID_RE = re.compile(ID_PATTERN)

# StringConstraints: the same schema as Field(pattern=..., ...), cheaper to build per field
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, min_length=1, max_length=80)]


class Stage(StrEnum):
    """Position of a segment in its chain (上游 / 中游 / 下游); the Chinese label is accepted on input."""

    upstream = "upstream"
    midstream = "midstream"
    downstream = "downstream"

    @property
    def rank(self) -> int:
        return {"upstream": 0, "midstream": 1, "downstream": 2}[self.value]

    @classmethod
    def parse(cls, value: str) -> "Stage":
        """Parse an English code (any case) or a Chinese label.

        >>> Stage.parse("上游") is Stage.upstream, Stage.parse(" Downstream ") is Stage.downstream
        (True, True)
        >>> Stage.parse("top")
        Traceback (most recent call last):
        ...
        ValueError: unknown stage 'top'; valid: upstream, midstream, downstream, 上游, 中游, 下游
        """
        v = value.strip()
        if v in _STAGE_BY_ZH:
            return _STAGE_BY_ZH[v]
        try:
            return cls(v.lower())
        except ValueError:
            valid = [*(s.value for s in cls), *_STAGE_BY_ZH]
            raise ValueError(f"unknown stage {value!r}; valid: {', '.join(valid)}") from None


#: Stage -> Chinese label (from :data:`chainmap.labels.SEGMENT_STAGE`).
STAGE_LABELS_ZH: dict[Stage, str] = {Stage(code): zh for code, (zh, _en) in SEGMENT_STAGE.items()}
_STAGE_BY_ZH = {zh: st for st, zh in STAGE_LABELS_ZH.items()}
_STAGE_CODES = frozenset(s.value for s in Stage)  # given as is: the enum validator takes them


class SegmentKind(StrEnum):
    """What a segment is, for the gap analysis (see ``graph_seed/README.md``).

    ``product``   made by firms that can be attracted (the default);
    ``endowment`` a natural resource (ore, brine, dolomite, herb land): never 补链 / 延链;
    ``adopter``   an application of other segments (smart factory, 5G factory): its local
                  adopters are demand for the segments that supply or enable it, and it is
                  never a 招商 target itself;
    ``service``   a service to local clients (logistics, aftermarket, outsourcing): 补链 only
                  with local demand.
    """

    product = "product"
    endowment = "endowment"
    adopter = "adopter"
    service = "service"


#: Smallest stated share of the target's inputs that makes a ``supplies`` link a material input;
#: below it the link is a *minor input* (copper or magnesium as an alloying element): it gives the
#: target no demand for the source in the gap analysis and no 链主配套 / 强链 supplier relation in
#: the lead ranking (matching.lead_rules).  Links without a weight count as material.
MIN_INPUT_WEIGHT = 0.1


def is_minor_input(weight: float | None) -> bool:
    """True for a stated input share below :data:`MIN_INPUT_WEIGHT` (None: unknown, material).

    >>> is_minor_input(0.06), is_minor_input(0.3), is_minor_input(None)
    (True, False, False)
    """
    return weight is not None and float(weight) < MIN_INPUT_WEIGHT


class LinkKind(StrEnum):
    """Kind of a link between two segments."""

    supplies = "supplies"  # source's output is an input of target
    part_of = "part_of"  # source is a sub-segment of target
    enables = "enables"  # source is an enabling technology/service for target


class Role(StrEnum):
    """Role of an enterprise in a segment."""

    producer = "producer"
    user = "user"


class AssignmentMethod(StrEnum):
    """How an enterprise came to be placed in a segment."""

    seed = "seed"  # written in the seed files with a source
    planner = "planner"  # set or corrected by a planner (never overwritten by an import)
    code = "code"  # GB/T 4754-2017 industry-code concordance
    text = "text"  # product / 经营范围 text matched against the segment vocabulary
    model = "model"  # learned component trained on review decisions


class AssignmentStatus(StrEnum):
    """Review state of a segment assignment.  Only ``confirmed`` and ``auto`` count as
    local presence; ``pending`` waits in the review queue and counts nowhere."""

    confirmed = "confirmed"  # seed fact or a planner's decision
    auto = "auto"  # automatic, above the auto-accept confidence
    pending = "pending"  # automatic, below the threshold or in conflict: to review


class EnterpriseStage(StrEnum):
    """Stage of a local enterprise: only a producing firm counts as a producer."""

    producing = "producing"  # 投产
    construction = "construction"  # 在建
    signed = "signed"  # 已签约


class Tag(StrEnum):
    """Enterprise tags; the Chinese label is accepted on input."""

    chain_leader = "chain_leader"  # 链主
    chain_core = "chain_core"  # 链核
    little_giant = "little_giant"  # 专精特新小巨人
    specialized = "specialized"  # 专精特新 (provincial)
    gazelle = "gazelle"  # 瞪羚
    unicorn = "unicorn"  # 独角兽
    listed = "listed"  # 上市
    global500 = "global500"  # 世界500强
    china500 = "china500"  # 中国500强
    private500 = "private500"  # 民营500强
    industry_top100 = "industry_top100"  # 行业100强

    @classmethod
    def parse(cls, value: str) -> "Tag":
        """Parse an English code or a Chinese label.

        >>> Tag.parse("链主") is Tag.chain_leader
        True
        >>> Tag.parse("gazelle") is Tag.gazelle
        True
        """
        v = value.strip()
        if v in _TAG_BY_ZH:
            return _TAG_BY_ZH[v]
        return cls(v)


#: Tag -> Chinese label (from :data:`chainmap.labels.TAG`, the one label catalogue).
TAG_LABELS_ZH: dict[Tag, str] = {Tag(code): zh for code, (zh, _en) in TAG.items()}
_TAG_BY_ZH = {v: k for k, v in TAG_LABELS_ZH.items()}


class RegionKind(StrEnum):
    city = "city"
    county = "county"
    zone = "zone"


class Confidence(StrEnum):
    """How sure the seed is of a fact: ``high`` = stated by the cited source,
    ``medium`` = stated by a secondary source, ``low`` = inferred, to confirm."""

    high = "high"
    medium = "medium"
    low = "low"


def empty_list() -> list[Any]:
    """``default_factory`` of the list fields: a new empty list.

    A Python function rather than the builtin ``list``: for every default factory pydantic
    asks :func:`inspect.signature` whether it takes the validated data, and for a builtin
    that parses its text signature with :mod:`tokenize` (compiling tokenize's patterns on
    first use), several milliseconds of every command's start for the same empty list."""
    return []


def empty_dict() -> dict[str, Any]:
    """``default_factory`` of the dict fields: a new empty dict (see :func:`empty_list`)."""
    return {}


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=False)


def _fill_english(model: "Chain | Segment") -> None:
    """English name falls back to the marked Chinese name (:func:`chainmap.labels.english_name`)."""
    name_en = english_name(model.name_en, model.name_zh)
    if name_en != model.name_en:  # (an assignment would also mark the field as set)
        model.name_en = name_en


class Chain(_Base):
    """An industrial chain (产业链) or a sub-chain (e.g. 材 → 镁).

    Any id and name; ``letter`` is an optional short label (合 / 汽 / 生 / 材 for the
    shipped landmark chains) shown before the name.  ``name_en`` is optional: without
    it English output shows the Chinese name marked ``（zh）``.

    >>> Chain(id="pv", name_zh="光伏与储能").name_en
    '光伏与储能（zh）'
    >>> Chain(id="pv", name_zh="光伏与储能", letter="").letter is None
    True
    """

    id: Id
    name_zh: str = Field(min_length=1)
    name_en: str = Field(default="", description="optional; falls back to the marked Chinese name")
    letter: str | None = Field(default=None, max_length=4, description="optional label, e.g. 合 / 汽 / 生 / 材")
    description: str = ""
    parent: Id | None = None
    sources: list[str] = Field(default_factory=empty_list)

    @field_validator("letter")
    @classmethod
    def _letter(cls, v: str | None) -> str | None:
        return v or None

    @model_validator(mode="after")
    def _english(self) -> "Chain":
        _fill_english(self)
        return self

    @property
    def has_english_name(self) -> bool:
        return not is_fallback_name(self.name_en, self.name_zh)


class Segment(_Base):
    """A link (环节) of a chain."""

    id: Id
    chain: Id
    name_zh: str = Field(min_length=1)
    name_en: str = Field(default="", description="optional; falls back to the marked Chinese name")
    stage: Stage = Field(description="upstream / midstream / downstream (上游 / 中游 / 下游 accepted)")
    stage_inferred: bool = Field(
        default=False, description="stage inferred from the graph by an import (longest-path layering), to confirm"
    )
    kind: SegmentKind = Field(default=SegmentKind.product, description="product / endowment / adopter / service")
    order: int = Field(default=0, ge=0, description="position within the stage, for layout")
    parent: Id | None = None
    keywords_zh: list[str] = Field(default_factory=empty_list)
    keywords_en: list[str] = Field(default_factory=empty_list)
    aliases: list[str] = Field(default_factory=empty_list)
    value_added: int = Field(default=3, ge=1, le=5)
    tech_intensity: int = Field(default=3, ge=1, le=5)
    chokepoint: bool = Field(default=False, description="卡脖子 technology")
    reference_share: float | None = Field(
        default=None, ge=0, le=1, description="share of enterprises in this segment in the reference economy"
    )
    description: str = ""
    sources: list[str] = Field(default_factory=empty_list)

    @field_validator("stage", mode="before")
    @classmethod
    def _stage(cls, v: Any) -> Any:
        return Stage.parse(v) if isinstance(v, str) and v not in _STAGE_CODES else v

    @model_validator(mode="after")
    def _no_self_parent(self) -> "Segment":
        if self.parent == self.id:
            raise ValueError("a segment cannot be its own parent")
        _fill_english(self)
        return self

    @property
    def has_english_name(self) -> bool:
        return not is_fallback_name(self.name_en, self.name_zh)


class Link(_Base):
    """A directed link between two segments; may cross chains."""

    source: Id
    target: Id
    kind: LinkKind = LinkKind.supplies
    weight: float | None = Field(default=None, ge=0, le=1, description="share of the target's inputs")
    note: str = ""
    sources: list[str] = Field(default_factory=empty_list)

    @model_validator(mode="after")
    def _no_loop(self) -> "Link":
        if self.source == self.target:
            raise ValueError("a link cannot connect a segment to itself")
        return self

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.source, self.target, self.kind.value)


class SegmentPresence(_Base):
    """An enterprise's activity in one segment."""

    segment: Id
    role: Role = Role.producer
    capacity: float | None = Field(default=None, ge=0)
    capacity_unit: str | None = None
    output: float | None = Field(default=None, ge=0, description="annual output value, 亿元")
    method: AssignmentMethod = AssignmentMethod.seed
    status: AssignmentStatus = AssignmentStatus.confirmed
    confidence: float | None = Field(default=None, ge=0, le=1, description="automatic assignments: 0..1")
    evidence: list[str] = Field(default_factory=empty_list, description="industry code / matched words behind it")

    @property
    def counts(self) -> bool:
        """True when this assignment counts as presence (not waiting for review)."""
        return self.status is not AssignmentStatus.pending


_CC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def credit_code_check_char(first17: str) -> str:
    """Check character of a 统一社会信用代码 per GB 32100-2015.

    Parameters
    ----------
    first17 : str
        The first 17 characters of the code.

    Returns
    -------
    str
        The 18th (check) character.
    """
    if len(first17) != 17:
        raise ValueError("expected the first 17 characters")
    total = 0
    for ch, w in zip(first17.upper(), _CC_WEIGHTS, strict=True):
        idx = _CC_CHARS.find(ch)
        if idx < 0:
            raise ValueError(f"invalid character {ch!r}")
        total += idx * w
    return _CC_CHARS[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    """True if ``code`` is an 18-character credit code with a correct check character."""
    c = code.strip().upper()
    if not _CC_RE.match(c):
        return False
    return credit_code_check_char(c[:17]) == c[17]


def _check_credit_code(v: str | None) -> str | None:
    """Normalise an optional credit code (upper case) or raise ValueError naming the rule."""
    if v is None or v == "":
        return None
    c = v.strip().upper()
    if not is_valid_credit_code(c):
        raise ValueError(f"invalid 统一社会信用代码 {v!r}: expected 18 characters with a GB 32100-2015 check character")
    return c


#: An optional 统一社会信用代码, validated with its GB 32100-2015 check character.
CreditCode = Annotated[str | None, AfterValidator(_check_credit_code)]


class Enterprise(_Base):
    """An enterprise, local (with county / zone) or a candidate elsewhere."""

    id: Id | None = None
    name: str = Field(min_length=1, max_length=200)
    name_en: str | None = None
    credit_code: CreditCode = None
    group: str | None = Field(
        default=None, max_length=200, description="集团/母公司 (parent group), only where a public source states it"
    )
    county: Id | None = None
    zone: Id | None = None
    stage: EnterpriseStage = Field(
        default=EnterpriseStage.producing, description="投产 / 在建 / 已签约: only a producing firm is a producer"
    )
    industry_code: str | None = Field(
        default=None, pattern=r"^\d{2,4}$", description="GB/T 4754-2017 industry code (4 digits: 小类), from a register"
    )
    locked_fields: list[str] = Field(
        default_factory=empty_list,
        description="fields a planner set or edited by hand: an import (chainmap.census) never overwrites them",
    )
    segments: list[SegmentPresence] = Field(default_factory=empty_list)
    tags: list[Tag] = Field(default_factory=empty_list)
    # Bounds catch typos and unit errors (1e20 employees): State Grid, China's largest firm,
    # has ~35,000 亿元 revenue and ~1.4 million staff.
    revenue: float | None = Field(default=None, ge=0, le=100_000, allow_inf_nan=False, description="亿元")
    employees: int | None = Field(default=None, ge=0, le=5_000_000)
    founded: int | None = Field(default=None, ge=1800, le=2100)
    source: str | None = None
    confidence: Confidence = Confidence.high
    note: str = ""
    attributes: dict[str, Any] = Field(default_factory=empty_dict)

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = [t for t in re.split(r"[;；,，]", v) if t.strip()]
        if isinstance(v, list):
            out = []
            for t in v:
                if isinstance(t, Tag):
                    out.append(t)
                    continue
                try:
                    out.append(Tag.parse(str(t)))
                except ValueError:
                    allowed = ", ".join(f"{k.value}({TAG_LABELS_ZH[k]})" for k in Tag)
                    raise ValueError(f"unknown tag {t!r}; allowed: {allowed}") from None
            return out
        return v

    @property
    def key(self) -> str:
        """Identity used for storage: explicit id, else credit code, else name."""
        return self.id or self.credit_code or self.name

    def presences(self, role: Role | None = None) -> list[SegmentPresence]:
        """The assignments that count (the one presence rule): pending ones never; a
        producer assignment only while the firm produces (``stage``) -- a firm under
        construction or signed is not yet a producer of anything.  ``role`` filters."""
        segs = self.segments
        producing = self.stage is EnterpriseStage.producing
        if role is None and producing and all(p.status is not AssignmentStatus.pending for p in segs):
            return segs
        return [
            p
            for p in segs
            if p.status is not AssignmentStatus.pending
            and (producing or p.role is not Role.producer)
            and (role is None or p.role == role)
        ]

    def segment_ids(self, role: Role | None = None, *, include_pending: bool = False) -> list[str]:
        """Segments of this enterprise (with ``role``); pending assignments only when asked."""
        return [
            p.segment
            for p in self.segments
            if (role is None or p.role == role) and (include_pending or p.counts)
        ]


class Region(_Base):
    """运城市, one of its county-level units, or a development zone."""

    id: Id
    kind: RegionKind
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    parent: Id | None = None
    county: Id | None = Field(default=None, description="for a zone: the county it lies in")
    lat: float | None = None
    lon: float | None = None
    sources: list[str] = Field(default_factory=empty_list)
    confidence: Confidence = Confidence.high

    @model_validator(mode="after")
    def _zone_has_county(self) -> "Region":
        if self.kind == RegionKind.zone and not self.county:
            raise ValueError("a development zone must name its county")
        return self
