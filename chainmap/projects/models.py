"""The records of the investment-project context and their vocabularies.

Vocabularies (:class:`ProjectStage`, :class:`TaskForceKind`,
:class:`GapStatus`, :class:`FollowUpMethod`) accept the English code or the
Chinese label; records (:class:`Project`, :class:`StageChange`,
:class:`FollowUp`, :class:`Target`) validate their own consistency (a
project's history must lead to its stage, amounts must add up).

Money is in 亿元 (100 million CNY) and held as :class:`decimal.Decimal`.

>>> ProjectStage("签约") is ProjectStage.signed, [s.value for s in MAIN_LINE][:3]
(True, ['lead', 'contacted', 'negotiating'])
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chainmap.exceptions import InvalidInput
from chainmap.labels import (
    FOLLOW_UP_METHOD,
    GAP_STATUS,
    ISSUE_KIND,
    ISSUE_STATUS,
    PROJECT_STAGE,
    TASK_FORCE_KIND,
    zh_labels,
)
from chainmap.models import ID_PATTERN, CreditCode
from chainmap.names import normalize_company_name

__all__ = [
    "Id",
    "PlausibleDate",
    "DATE_MIN",
    "DATE_MAX",
    "Money",
    "Percent",
    "StrictModel",
    "ProjectStage",
    "MAIN_LINE",
    "TERMINAL",
    "TaskForceKind",
    "GapStatus",
    "FollowUpMethod",
    "IssueKind",
    "IssueStatus",
    "LeadRef",
    "IssueUpdate",
    "ProjectIssue",
    "ProjectEnterprise",
    "StageChange",
    "Project",
    "FollowUp",
    "Target",
]

Id = Annotated[str, Field(pattern=ID_PATTERN, min_length=1, max_length=80)]
#: An amount in 亿元: non-negative, at most 4 decimals (万元 precision).
Money = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=4)]
#: A percentage, e.g. ``Decimal("92.38")``.
Percent = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=4)]

_ZERO = Decimal("0")


# ---------------------------------------------------------------------------
# vocabularies
# ---------------------------------------------------------------------------
class _LabelledEnum(StrEnum):
    """A StrEnum that also accepts its Chinese label (``ProjectStage("签约")``)."""

    @classmethod
    def _labels_zh(cls) -> dict[str, str]:  # value -> Chinese label
        raise NotImplementedError

    @classmethod
    def _missing_(cls, value: object) -> Any:
        v = str(value).strip()
        en = _LABELS_EN.get(cls.__name__, {})
        for member in cls:
            if v in (cls._labels_zh()[member.value], member.value.upper()) or (
                v and v.casefold() == en.get(member.value, member.value).casefold()
            ):
                return member
        return None

    @property
    def label_zh(self) -> str:
        return type(self)._labels_zh()[self.value]

    def label(self, lang: str = "zh") -> str:
        """The label in ``lang`` (``zh``: Chinese, ``en``: the English label of :mod:`chainmap.labels`,
        the code in plain words: ``in production``)."""
        if lang == "en":
            return _LABELS_EN.get(type(self).__name__, {}).get(self.value, self.value)
        return self.label_zh

    @property
    def both(self) -> str:
        """``"签约 signed"``: Chinese and English, for messages."""
        return f"{self.label_zh} {self.value}"

    @classmethod
    def parse(cls, value: str | _LabelledEnum) -> Self:
        """Parse an English code or a Chinese label; InvalidInput listing both otherwise."""
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(m.both for m in cls)
            raise InvalidInput(
                f"unknown value {value!r}; expected one of: {allowed}", field=cls._field_name()
            ) from None

    @classmethod
    def _field_name(cls) -> str:
        return cls.__name__


class ProjectStage(_LabelledEnum):
    """Stage of an investment project; ``on_hold`` and ``dropped`` are side states.

    >>> ProjectStage("签约") is ProjectStage.signed
    True
    >>> ProjectStage.in_production.both
    '投产 in_production'
    """

    lead = "lead"
    contacted = "contacted"
    negotiating = "negotiating"
    signed = "signed"
    started = "started"
    in_production = "in_production"
    at_design_output = "at_design_output"
    on_hold = "on_hold"
    dropped = "dropped"

    @classmethod
    def _labels_zh(cls) -> dict[str, str]:
        return _STAGE_ZH

    @classmethod
    def _field_name(cls) -> str:
        return "stage"

    @property
    def rank(self) -> int:
        """Position on the main line (lead = 0 ... at_design_output = 6); -1 for side states."""
        return MAIN_LINE.index(self) if self in MAIN_LINE else -1


_STAGE_ZH = zh_labels(PROJECT_STAGE)

#: enum class name -> value -> English label (the catalogue's, :mod:`chainmap.labels`)
_LABELS_EN: dict[str, dict[str, str]] = {
    name: {code: en for code, (_zh, en) in vocab.items()}
    for name, vocab in (
        ("ProjectStage", PROJECT_STAGE),
        ("TaskForceKind", TASK_FORCE_KIND),
        ("GapStatus", GAP_STATUS),
        ("FollowUpMethod", FOLLOW_UP_METHOD),
        ("IssueKind", ISSUE_KIND),
        ("IssueStatus", ISSUE_STATUS),
    )
}

#: The main line, in order.
MAIN_LINE: tuple[ProjectStage, ...] = (
    ProjectStage.lead,
    ProjectStage.contacted,
    ProjectStage.negotiating,
    ProjectStage.signed,
    ProjectStage.started,
    ProjectStage.in_production,
    ProjectStage.at_design_output,
)
#: Stages a project never leaves.
TERMINAL = frozenset({ProjectStage.dropped, ProjectStage.at_design_output})


class TaskForceKind(_LabelledEnum):
    """招商专班 (an industry / city-level special team) or 招商小分队 (a county squad)."""

    special_team = "special_team"
    squad = "squad"

    @classmethod
    def _labels_zh(cls) -> dict[str, str]:
        return zh_labels(TASK_FORCE_KIND)

    @classmethod
    def _field_name(cls) -> str:
        return "task_force_kind"


class GapStatus(_LabelledEnum):
    """What the project does for its target segment: 强链 / 补链 / 延链."""

    strengthen = "strengthen"
    fill = "fill"
    extend = "extend"

    @classmethod
    def _labels_zh(cls) -> dict[str, str]:
        return {k: v for k, v in zh_labels(GAP_STATUS).items() if k != "sound"}

    @classmethod
    def _field_name(cls) -> str:
        return "gap_status"


class FollowUpMethod(_LabelledEnum):
    """The 七跟法 (seven ways of following a project up).

    >>> FollowUpMethod("实地跟").value
    'on_site'
    """

    classified = "classified"  # 分类跟
    on_site = "on_site"  # 实地跟
    regular = "regular"  # 定期跟
    professional = "professional"  # 专业跟
    continuous = "continuous"  # 持续跟
    joint = "joint"  # 拼着跟
    analytical = "analytical"  # 研判跟

    @classmethod
    def _labels_zh(cls) -> dict[str, str]:
        return zh_labels(FOLLOW_UP_METHOD)

    @classmethod
    def _field_name(cls) -> str:
        return "method"


class IssueKind(_LabelledEnum):
    """What a project raised: a 困难问题 (problem) or a 诉求 (request)."""

    problem = "problem"
    request = "request"

    @classmethod
    def _labels_zh(cls) -> dict[str, str]:
        return zh_labels(ISSUE_KIND)

    @classmethod
    def _field_name(cls) -> str:
        return "kind"


class IssueStatus(_LabelledEnum):
    """Handling status of a problem or request: 待办 → 办理中 → 已解决."""

    open = "open"
    in_progress = "in_progress"
    resolved = "resolved"

    @classmethod
    def _labels_zh(cls) -> dict[str, str]:
        return zh_labels(ISSUE_STATUS)

    @classmethod
    def _field_name(cls) -> str:
        return "status"


# ---------------------------------------------------------------------------
# records
# ---------------------------------------------------------------------------
class StrictModel(BaseModel):
    """Base of the context's models: unknown fields are refused, strings stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _yi(v: Decimal) -> str:
    return f"{v}亿"


class ProjectEnterprise(StrictModel):
    """The enterprise behind a project; ``enterprise_id`` when it is already stored."""

    name: str = Field(min_length=1, max_length=200)
    credit_code: CreditCode = None
    enterprise_id: Id | None = None

    @property
    def key(self) -> str:
        """The normalised name (see :func:`chainmap.names.normalize_company_name`)."""
        return normalize_company_name(self.name)


#: the dates a project record may carry: 9999-12-31 or 0001-01-01 are typing errors, not plans
DATE_MIN, DATE_MAX = date(1990, 1, 1), date(2100, 12, 31)
PlausibleDate = Annotated[
    date, Field(ge=DATE_MIN, le=DATE_MAX, description="1990-01-01 .. 2100-12-31")
]


class StageChange(StrictModel):
    """One transition: from which stage to which, when, by whom, why."""

    from_stage: ProjectStage
    to_stage: ProjectStage
    date: PlausibleDate
    actor: str = Field(min_length=1)
    note: str = ""


class LeadRef(StrictModel):
    """The ranked lead a project was registered from (登记为项目): what the lead list showed."""

    candidate_id: str = Field(min_length=1, max_length=120)
    name: str = Field(min_length=1, max_length=200)
    credit_code: CreditCode = None
    chain: Id | None = None
    gap_segment: Id | None = None
    #: the lead's gap status as the list showed it: 强链/补链/延链, or 待核实 for a provisional
    #: lead (a gap whose absence is not yet confirmed by the census)
    gap_status: Literal["strengthen", "fill", "extend", "unverified"] | None = None
    score: float | None = Field(default=None, ge=0, le=1000)
    rank: int | None = Field(default=None, ge=1)


class IssueUpdate(StrictModel):
    """One step in the handling of a problem or request: its new status, when, by whom, a note."""

    status: IssueStatus
    date: PlausibleDate
    actor: str = Field(min_length=1, max_length=100)
    note: str = Field(default="", max_length=2000)


class ProjectIssue(StrictModel):
    """A 困难问题 or 诉求 a project raised, with who handles it and its status history.

    >>> i = ProjectIssue(id="i1", kind="诉求", text="协调用地指标", raised_by="张三", raised_on="2021-03-01")
    >>> i.status.label_zh, i.kind.value
    ('待办', 'request')
    """

    id: str = Field(min_length=1, max_length=40)
    kind: IssueKind
    text: str = Field(min_length=1, max_length=2000)
    raised_by: str = Field(min_length=1, max_length=100)
    raised_on: PlausibleDate
    handler: str = Field(default="", max_length=100)
    status: IssueStatus = IssueStatus.open
    updated_on: PlausibleDate | None = None
    history: list[IssueUpdate] = Field(default_factory=list)

    @model_validator(mode="after")
    def _dates(self) -> ProjectIssue:
        prev = self.raised_on
        for i, h in enumerate(self.history):
            if h.date < prev:
                raise ValueError(f"history[{i}].date {h.date} is before {prev} / 日期不能倒退")
            prev = h.date
        if self.history:
            self.status = self.history[-1].status
            self.updated_on = self.history[-1].date
        return self


class Project(StrictModel):
    """An investment project followed by a task force.

    Amounts are in 亿元.  ``funds_in_place_*`` and ``new_fixed_asset_started``
    are totals to date.  ``held_from`` is set while ``on_hold``;
    ``drop_reason`` once ``dropped``.  ``name_key`` is derived (the
    normalised enterprise name) and stored so records can be filtered by it.

    >>> try:
    ...     Project(id="p", enterprise={"name": "x"}, task_force="t", task_force_kind="squad", owner="o",
    ...             created="2021-01-01", planned_investment=1, planned_fixed_asset=2)
    ... except ValueError as err:
    ...     print(err.errors()[0]["msg"])
    Value error, planned_fixed_asset (2亿) cannot exceed planned_investment (1亿) / 固定资产投资不能超过计划总投资
    """

    id: Id
    title: str = ""
    enterprise: ProjectEnterprise
    segment: Id | None = None
    gap_status: GapStatus | None = None
    task_force: str = Field(min_length=1, max_length=100)
    task_force_kind: TaskForceKind
    owner: str = Field(min_length=1, max_length=100)
    county: Id | None = None
    zone: Id | None = None
    planned_investment: Money = _ZERO
    planned_fixed_asset: Money | None = None
    funds_in_place_fixed: Money = _ZERO
    funds_in_place_non_fixed: Money = _ZERO
    new_fixed_asset_started: Money = _ZERO
    stage: ProjectStage = ProjectStage.lead
    held_from: ProjectStage | None = None
    drop_reason: str | None = None
    created: PlausibleDate
    transitions: list[StageChange] = Field(default_factory=list)
    related_projects: list[str] = Field(default_factory=list)
    lead: LeadRef | None = None
    next_followup: PlausibleDate | None = None
    progress_on: PlausibleDate | None = None
    issues: list[ProjectIssue] = Field(default_factory=list)
    name_key: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Project:
        if self.planned_fixed_asset is not None and self.planned_fixed_asset > self.planned_investment:
            raise ValueError(
                f"planned_fixed_asset ({_yi(self.planned_fixed_asset)}) cannot exceed planned_investment "
                f"({_yi(self.planned_investment)}) / 固定资产投资不能超过计划总投资"
            )
        if self.planned_fixed_asset is not None and self.new_fixed_asset_started > self.planned_fixed_asset:
            raise ValueError(
                f"new_fixed_asset_started ({_yi(self.new_fixed_asset_started)}) cannot exceed "
                f"planned_fixed_asset ({_yi(self.planned_fixed_asset)}) / 新开工固定资产投资不能超过计划固定资产投资"
            )
        if self.stage == ProjectStage.on_hold:
            if self.held_from is None or self.held_from in (ProjectStage.on_hold, ProjectStage.dropped):
                raise ValueError(
                    "an on_hold project must name the main-line stage it was held from (held_from)"
                )
        elif self.held_from is not None:
            raise ValueError("held_from is only set while the project is on_hold")
        if self.stage == ProjectStage.dropped and not (self.drop_reason or "").strip():
            raise ValueError("a dropped project needs a drop_reason / 终止项目须说明原因")
        prev_stage, prev_date = ProjectStage.lead, self.created
        for i, t in enumerate(self.transitions):
            if t.from_stage != prev_stage:
                raise ValueError(
                    f"transitions[{i}] starts from {t.from_stage.value}, expected {prev_stage.value}"
                )
            if t.date < prev_date:
                raise ValueError(f"transitions[{i}].date {t.date} is before {prev_date} / 日期不能倒退")
            prev_stage, prev_date = t.to_stage, t.date
        if prev_stage != self.stage:
            raise ValueError(
                f"stage {self.stage.value} disagrees with the last transition ({prev_stage.value})"
            )
        if self.id in self.related_projects:
            raise ValueError("a project cannot be related to itself")
        self.name_key = self.enterprise.key
        return self

    @property
    def last_change(self) -> date:
        """Date of the last transition (the creation date if none)."""
        return self.transitions[-1].date if self.transitions else self.created


class FollowUp(StrictModel):
    """A follow-up log entry, typed by the 七跟法."""

    id: str = Field(min_length=1, max_length=120)
    project: Id
    method: FollowUpMethod
    date: PlausibleDate
    actor: str = Field(min_length=1)
    note: str = ""
    next_date: PlausibleDate | None = None

    @model_validator(mode="after")
    def _next_after(self) -> FollowUp:
        if self.next_date is not None and self.next_date < self.date:
            raise ValueError(
                f"next_date {self.next_date} is before the follow-up date {self.date} / 下次跟进日期不能早于本次"
            )
        return self


class Target(StrictModel):
    """The year's targets of a unit: the whole city, a region (county / zone) or a task force.

    ``region=None`` and ``task_force=None``: the whole city; ``region``: that
    county or zone; ``task_force``: that 招商专班 / 小分队 (not both).  Every
    target is optional; a KPI without a target has no percentage.  Rates are
    percentages (60 means 60%).

    >>> Target(year=2021, task_force="镁产业招商专班", signed_count=3).record_id
    '2021.tf.镁产业招商专班'
    """

    year: int = Field(ge=2000, le=2100)
    region: Id | None = None
    task_force: str | None = Field(default=None, min_length=1, max_length=100)
    signed_count: int | None = Field(default=None, ge=0)
    signed_value: Money | None = None
    start_rate: Percent | None = Field(default=None, le=100)
    new_fixed_asset: Money | None = None
    funds_fixed: Money | None = None
    funds_non_fixed: Money | None = None
    open_start_rate: Percent | None = Field(default=None, le=100)
    production_rate: Percent | None = Field(default=None, le=100)
    output_rate: Percent | None = Field(default=None, le=100)

    @model_validator(mode="after")
    def _one_unit(self) -> Target:
        if self.region is not None and self.task_force is not None:
            raise ValueError("a target is for a region or for a task force, not both / 目标只能针对一个区域或一个招商队伍")
        return self

    @property
    def unit_kind(self) -> str:
        """``city``, ``region`` or ``task_force``."""
        return "task_force" if self.task_force else ("region" if self.region else "city")

    @property
    def record_id(self) -> str:
        """``"2021.city"``, ``"2021.<region>"`` or ``"2021.tf.<task force>"``."""
        if self.task_force:
            return f"{self.year}.tf.{self.task_force}"
        return f"{self.year}.{self.region or 'city'}"
