"""Investment projects (招商项目): stages, transitions, follow-ups, KPIs.

A project moves along the closed loop the city works by (线索抓对接、对接抓签约、
签约抓开工、开工抓投产)::

    线索 lead -> 对接 contacted -> 洽谈 negotiating -> 签约 signed
      -> 开工 started -> 投产 in_production -> 达效 at_design_output

with two side states: 搁置 ``on_hold`` (resumes to the stage it was held
from) and 终止 ``dropped`` (a reason is required; terminal).  Every
transition records its date, actor and note; follow-ups are logged by the
七跟法 (分类跟、实地跟、定期跟、专业跟、持续跟、拼着跟、研判跟).

Money is in 亿元 (100 million CNY) and held as :class:`decimal.Decimal`;
percentages are rounded half-up to two decimals, as the city rounds them.

The module has two parts: pure functions on :class:`Project` values
(:func:`transition`, :func:`compute_kpis`, :func:`stalled_projects`,
:func:`lead_outcomes` ...) and store-backed service functions with
keyword-only arguments (:func:`create_project`, :func:`transition_project`,
:func:`log_followup`, :func:`list_projects`, :func:`set_target` ...) that use
nothing but the :class:`chainmap.storage.base.Store` record interface, so
they run on every backend.

>>> from datetime import date
>>> p = Project(id="p1", enterprise={"name": "示例镁业有限公司"}, task_force="镁产业招商专班",
...             task_force_kind="招商专班", owner="张三", created=date(2021, 3, 1))
>>> p = transition(p, "对接", on=date(2021, 3, 5), actor="张三")
>>> p.stage.label_zh, [s.value for s in allowed_next_stages(p)]
('对接', ['negotiating', 'on_hold', 'dropped'])
"""

from __future__ import annotations

import statistics
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from chainmap.exceptions import Conflict, InvalidInput, NotFound
from chainmap.models import ID_PATTERN, CreditCode, Region, RegionKind
from chainmap.names import normalize_company_name
from chainmap.storage.base import Store

__all__ = [
    "ProjectStage",
    "MAIN_LINE",
    "TaskForceKind",
    "GapStatus",
    "FollowUpMethod",
    "ProjectEnterprise",
    "StageChange",
    "Project",
    "FollowUp",
    "Target",
    "StageDuration",
    "StalledProject",
    "KpiReport",
    "Outcome",
    "HolderWarning",
    "Registration",
    "allowed_next_stages",
    "transition",
    "stage_dates",
    "percent_of",
    "resolve_period",
    "in_region",
    "find_holders",
    "stalled_projects",
    "compute_kpis",
    "lead_outcomes",
    "UPDATABLE_FIELDS",
    "create_project",
    "get_project",
    "update_project",
    "transition_project",
    "log_followup",
    "list_followups",
    "list_projects",
    "set_target",
    "list_targets",
    "project_kpis",
]

Id = Annotated[str, Field(pattern=ID_PATTERN, min_length=1, max_length=80)]
#: An amount in 亿元: non-negative, at most 4 decimals (万元 precision).
Money = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=4)]
#: A percentage, e.g. ``Decimal("92.38")``.
Percent = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=4)]

_ZERO = Decimal("0")
_CENT = Decimal("0.01")


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
        for member in cls:
            if v in (cls._labels_zh()[member.value], member.value.upper()):
                return member
        return None

    @property
    def label_zh(self) -> str:
        return type(self)._labels_zh()[self.value]

    def label(self, lang: str = "zh") -> str:
        """The label in ``lang`` (``zh``: Chinese, ``en``: the code)."""
        return self.value if lang == "en" else self.label_zh

    @property
    def both(self) -> str:
        """``"签约 signed"``: Chinese and English, for messages."""
        return f"{self.label_zh} {self.value}"

    @classmethod
    def parse(cls, value: str | _LabelledEnum) -> Any:
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


_STAGE_ZH = {
    "lead": "线索",
    "contacted": "对接",
    "negotiating": "洽谈",
    "signed": "签约",
    "started": "开工",
    "in_production": "投产",
    "at_design_output": "达效",
    "on_hold": "搁置",
    "dropped": "终止",
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
_TERMINAL = frozenset({ProjectStage.dropped, ProjectStage.at_design_output})


class TaskForceKind(_LabelledEnum):
    """招商专班 (an industry / city-level special team) or 招商小分队 (a county squad)."""

    special_team = "special_team"
    squad = "squad"

    @classmethod
    def _labels_zh(cls) -> dict[str, str]:
        return {"special_team": "招商专班", "squad": "招商小分队"}

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
        return {"strengthen": "强链", "fill": "补链", "extend": "延链"}

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
        return {
            "classified": "分类跟",
            "on_site": "实地跟",
            "regular": "定期跟",
            "professional": "专业跟",
            "continuous": "持续跟",
            "joint": "拼着跟",
            "analytical": "研判跟",
        }

    @classmethod
    def _field_name(cls) -> str:
        return "method"


# ---------------------------------------------------------------------------
# models
# ---------------------------------------------------------------------------
class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _yi(v: Decimal) -> str:
    return f"{v}亿"


class ProjectEnterprise(_Base):
    """The enterprise behind a project; ``enterprise_id`` when it is already stored."""

    name: str = Field(min_length=1, max_length=200)
    credit_code: CreditCode = None
    enterprise_id: Id | None = None

    @property
    def key(self) -> str:
        """The normalised name (see :func:`chainmap.names.normalize_company_name`)."""
        return normalize_company_name(self.name)


class StageChange(_Base):
    """One transition: from which stage to which, when, by whom, why."""

    from_stage: ProjectStage
    to_stage: ProjectStage
    date: date
    actor: str = Field(min_length=1)
    note: str = ""


class Project(_Base):
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
    created: date
    transitions: list[StageChange] = Field(default_factory=list)
    related_projects: list[str] = Field(default_factory=list)
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


class FollowUp(_Base):
    """A follow-up log entry, typed by the 七跟法."""

    id: str = Field(min_length=1, max_length=120)
    project: Id
    method: FollowUpMethod
    date: date
    actor: str = Field(min_length=1)
    note: str = ""


class Target(_Base):
    """The year's targets of a region (``region=None``: the whole city).

    Every target is optional; a KPI without a target has no percentage.
    ``start_rate`` is a percentage (60 means 60%).
    """

    year: int = Field(ge=2000, le=2100)
    region: Id | None = None
    signed_count: int | None = Field(default=None, ge=0)
    signed_value: Money | None = None
    start_rate: Percent | None = Field(default=None, le=100)
    new_fixed_asset: Money | None = None
    funds_fixed: Money | None = None
    funds_non_fixed: Money | None = None

    @property
    def record_id(self) -> str:
        """``"2021.city"`` or ``"2021.<region>"``."""
        return f"{self.year}.{self.region or 'city'}"


class StageDuration(_Base):
    """Days between entering ``from_stage`` and entering ``to_stage`` (consecutive main-line stages)."""

    from_stage: ProjectStage
    to_stage: ProjectStage
    n: int
    median_days: Decimal | None = None
    mean_days: Decimal | None = None


class StalledProject(_Base):
    """A project without a transition for more than the threshold."""

    project_id: str
    enterprise: str
    task_force: str
    owner: str
    stage: ProjectStage
    since: date
    days: int


class KpiReport(_Base):
    """KPIs of a period, region and task force (see :func:`compute_kpis`)."""

    period_start: date
    period_end: date
    year: int | None = None
    region: str | None = None
    task_force: str | None = None
    today: date
    signed_count: int
    signed_count_target: int | None = None
    signed_value: Decimal
    signed_value_target: Decimal | None = None
    signed_value_pct: Decimal | None = None
    started_count: int
    start_rate: Decimal | None = None
    start_rate_target: Decimal | None = None
    new_fixed_asset_started: Decimal
    new_fixed_asset_target: Decimal | None = None
    new_fixed_asset_pct: Decimal | None = None
    funds_fixed: Decimal
    funds_fixed_target: Decimal | None = None
    funds_fixed_pct: Decimal | None = None
    funds_non_fixed: Decimal
    funds_non_fixed_target: Decimal | None = None
    funds_non_fixed_pct: Decimal | None = None
    stage_durations: list[StageDuration] = Field(default_factory=list)
    stalled_days: int
    stalled: list[StalledProject] = Field(default_factory=list)


class Outcome(_Base):
    """A labelled lead outcome for the lead scorer: 1 = signed (or later), 0 = dropped before signing."""

    project_id: str
    enterprise_name: str
    credit_code: str | None = None
    enterprise_id: str | None = None
    segment: str | None = None
    task_force: str
    label: Literal[0, 1]
    date: date


class HolderWarning(_Base):
    """Another project already follows the same enterprise."""

    project_id: str
    task_force: str
    task_force_kind: TaskForceKind
    owner: str
    stage: ProjectStage
    match: Literal["credit_code", "name"]
    same_task_force: bool

    def message(self, lang: str = "zh") -> str:
        """Human-readable warning naming who holds the enterprise."""
        how_zh = "统一社会信用代码相同" if self.match == "credit_code" else "企业名称相同（规范化后）"
        how_en = "same credit code" if self.match == "credit_code" else "same normalised name"
        if lang == "en":
            return (
                f"this enterprise is already followed by task force {self.task_force} "
                f"({self.task_force_kind.value}), owner {self.owner}, project {self.project_id} "
                f"(stage {self.stage.value}; {how_en}); the two projects are now linked"
            )
        return (
            f"该企业已由{self.task_force_kind.label_zh}「{self.task_force}」跟进，负责人 {self.owner}，"
            f"项目 {self.project_id}（阶段：{self.stage.label_zh}；{how_zh}）；两个项目已相互关联"
        )


class Registration(_Base):
    """Result of :func:`create_project`: the stored project and any holder warnings."""

    project: Project
    warnings: list[HolderWarning] = Field(default_factory=list)


# ---------------------------------------------------------------------------
# transitions (pure)
# ---------------------------------------------------------------------------
def allowed_next_stages(project: Project) -> list[ProjectStage]:
    """The stages ``project`` may move to next.

    Main-line stages move one step forward, or to on_hold / dropped; on_hold
    resumes to the stage it was held from, or is dropped; dropped and
    at_design_output are terminal.

    Examples
    --------
    >>> p = Project(id="p", enterprise={"name": "x"}, task_force="t", task_force_kind="squad",
    ...             owner="o", created="2021-01-01")
    >>> [s.value for s in allowed_next_stages(p)]
    ['contacted', 'on_hold', 'dropped']
    """
    stage = project.stage
    if stage in _TERMINAL:
        return []
    if stage == ProjectStage.on_hold:
        assert project.held_from is not None  # guaranteed by the model
        return [project.held_from, ProjectStage.dropped]
    return [MAIN_LINE[stage.rank + 1], ProjectStage.on_hold, ProjectStage.dropped]


def _stage_list(stages: Sequence[ProjectStage], sep: str, lang: str) -> str:
    if not stages:
        return "无（终态）" if lang == "zh" else "none (terminal)"
    if lang == "zh":
        return sep.join(f"{s.label_zh} ({s.value})" for s in stages)
    return sep.join(f"{s.value} ({s.label_zh})" for s in stages)


def transition(
    project: Project,
    to: ProjectStage | str,
    *,
    on: date,
    actor: str,
    note: str = "",
    reason: str | None = None,
) -> Project:
    """Move ``project`` to stage ``to``; returns a new Project (the input is unchanged).

    Parameters
    ----------
    project : Project
    to : ProjectStage or str
        Target stage, English code or Chinese label (``"签约"``).
    on : datetime.date
        Date of the transition; not before the previous transition (or creation).
    actor : str
        Who made the change.
    note : str, optional
    reason : str, optional
        Required when ``to`` is ``dropped``.

    Returns
    -------
    Project

    Raises
    ------
    Conflict
        If the move is not allowed; the message names the current stage and
        the allowed next stages in Chinese and English.
    InvalidInput
        If ``on`` is before the last transition (``field="date"``), a reason is
        missing for dropped (``field="reason"``) or the actor is empty.

    Examples
    --------
    >>> p = Project(id="p", enterprise={"name": "x"}, task_force="t", task_force_kind="squad",
    ...             owner="o", created="2021-01-01")
    >>> p = transition(p, "on_hold", on=date(2021, 2, 1), actor="o")
    >>> p.held_from.value, [s.value for s in allowed_next_stages(p)]
    ('lead', ['lead', 'dropped'])
    >>> transition(p, "signed", on=date(2021, 2, 2), actor="o")
    Traceback (most recent call last):
    ...
    chainmap.exceptions.Conflict: stage: 不能从 搁置 (on_hold) 转到 签约 (signed)：当前阶段 搁置 (on_hold)，允许的下一阶段：线索 (lead)、终止 (dropped) / cannot move from on_hold to signed: current stage on_hold (搁置), allowed next stages: lead (线索), dropped (终止)
    """
    target = ProjectStage.parse(to)
    current = project.stage
    allowed = allowed_next_stages(project)
    if target not in allowed:
        raise Conflict(
            f"不能从 {current.label_zh} ({current.value}) 转到 {target.label_zh} ({target.value})："
            f"当前阶段 {current.label_zh} ({current.value})，允许的下一阶段：{_stage_list(allowed, '、', 'zh')} / "
            f"cannot move from {current.value} to {target.value}: current stage {current.value} "
            f"({current.label_zh}), allowed next stages: {_stage_list(allowed, ', ', 'en')}",
            field="stage",
            current=current.value,
            allowed=[s.value for s in allowed],
        )
    if not isinstance(on, date):
        raise InvalidInput(f"expected a date, got {on!r}", field="date")
    if on < project.last_change:
        raise InvalidInput(
            f"日期 {on} 早于上一次变更 ({project.last_change})，日期不能倒退 / "
            f"date {on} is before the previous change on {project.last_change}; dates cannot go backwards",
            field="date",
        )
    if not actor or not actor.strip():
        raise InvalidInput("每次阶段变更须记录操作人 / every transition needs an actor", field="actor")
    reason = (reason or "").strip() or None
    if target == ProjectStage.dropped and not reason:
        raise InvalidInput("终止项目须说明原因 / dropping a project requires a reason", field="reason")
    change = StageChange(from_stage=current, to_stage=target, date=on, actor=actor, note=note)
    update: dict[str, Any] = {
        "stage": target,
        "transitions": [*project.transitions, change],
        "held_from": current if target == ProjectStage.on_hold else None,
    }
    if target == ProjectStage.dropped:
        update["drop_reason"] = reason
    return Project.model_validate(project.model_dump() | update)


def stage_dates(project: Project) -> dict[ProjectStage, date]:
    """First date on which ``project`` entered each stage (``lead``: its creation date).

    >>> p = Project(id="p", enterprise={"name": "x"}, task_force="t", task_force_kind="squad",
    ...             owner="o", created="2021-01-01")
    >>> p = transition(p, "contacted", on=date(2021, 1, 9), actor="o")
    >>> {k.value: str(v) for k, v in stage_dates(p).items()}
    {'lead': '2021-01-01', 'contacted': '2021-01-09'}
    """
    out: dict[ProjectStage, date] = {ProjectStage.lead: project.created}
    for t in project.transitions:
        out.setdefault(t.to_stage, t.date)
    return out


def _reached(project: Project, stage: ProjectStage, by: date | None = None) -> date | None:
    d = stage_dates(project).get(stage)
    if d is None or (by is not None and d > by):
        return None
    return d


# ---------------------------------------------------------------------------
# KPIs (pure)
# ---------------------------------------------------------------------------
def percent_of(actual: Decimal | int, target: Decimal | int | None) -> Decimal | None:
    """``actual / target`` as a percentage, rounded half-up to two decimals.

    None when there is no target (or a zero target).

    Examples
    --------
    >>> percent_of(Decimal("3291.39"), Decimal("3000"))
    Decimal('109.71')
    >>> percent_of(497, 538)
    Decimal('92.38')
    >>> percent_of(Decimal("26.05"), 22)
    Decimal('118.41')
    >>> percent_of(1, None) is None
    True
    """
    if target is None:
        return None
    t = Decimal(target)
    if t == 0:
        return None
    return (Decimal(actual) * 100 / t).quantize(_CENT, rounding=ROUND_HALF_UP)


def resolve_period(
    *, year: int | None = None, start: date | None = None, end: date | None = None
) -> tuple[date, date]:
    """The period ``[start, end]`` (both inclusive) of a year or a date range.

    >>> resolve_period(year=2021)
    (datetime.date(2021, 1, 1), datetime.date(2021, 12, 31))
    """
    if year is not None:
        if start is not None or end is not None:
            raise InvalidInput("give either a year or a date range, not both", field="year")
        return date(year, 1, 1), date(year, 12, 31)
    if start is None or end is None:
        raise InvalidInput("a period needs a year, or both start and end dates", field="year")
    if end < start:
        raise InvalidInput(f"end {end} is before start {start}", field="end")
    return start, end


def _region_index(regions: Iterable[Region] | Mapping[str, Region] | None) -> dict[str, Region]:
    if regions is None:
        return {}
    if isinstance(regions, Mapping):
        return dict(regions)
    return {r.id: r for r in regions}


def in_region(
    project: Project, region: str | None, regions: Iterable[Region] | Mapping[str, Region] | None = None
) -> bool:
    """Whether ``project`` counts for ``region``.

    A project counts for its county, its zone (and the zone's county) and the
    city; ``region=None`` or a region of kind ``city`` means the whole city.

    Examples
    --------
    >>> zone = Region(id="ycjk", kind="zone", name_zh="运城经开区", name_en="YC ETDZ", county="yanhu")
    >>> p = Project(id="p", enterprise={"name": "x"}, task_force="t", task_force_kind="squad",
    ...             owner="o", created="2021-01-01", zone="ycjk")
    >>> in_region(p, "yanhu", [zone]), in_region(p, "ycjk", [zone]), in_region(p, "yongji", [zone])
    (True, True, False)
    """
    if region is None:
        return True
    index = _region_index(regions)
    r = index.get(region)
    if r is not None and r.kind == RegionKind.city:
        return True
    own = {project.county, project.zone}
    if project.zone and project.zone in index and index[project.zone].county:
        own.add(index[project.zone].county)
    return region in own


def stalled_projects(
    projects: Iterable[Project],
    *,
    days: int,
    today: date,
    stages: Iterable[ProjectStage | str] | None = None,
) -> list[StalledProject]:
    """Projects with no transition for more than ``days`` days.

    Only projects still moving along the main line count by default (lead up
    to in_production); on_hold is an explicit decision and dropped /
    at_design_output are terminal.  Pass ``stages`` to choose others.
    Sorted by days without a move, longest first.

    Parameters
    ----------
    projects : iterable of Project
    days : int
        Threshold; a project is stalled when ``today - last change > days``.
    today : datetime.date
    stages : iterable of ProjectStage, optional

    Returns
    -------
    list of StalledProject

    Examples
    --------
    >>> p = Project(id="p", enterprise={"name": "x"}, task_force="t", task_force_kind="squad",
    ...             owner="o", created="2021-01-01")
    >>> [s.days for s in stalled_projects([p], days=90, today=date(2021, 4, 2))]
    [91]
    >>> stalled_projects([p], days=90, today=date(2021, 4, 1))
    []
    """
    if days < 0:
        raise InvalidInput("the stalled threshold must be >= 0 days", field="days")
    watched = {ProjectStage.parse(s) for s in stages} if stages is not None else set(MAIN_LINE) - _TERMINAL
    out = []
    for p in projects:
        if p.stage not in watched:
            continue
        idle = (today - p.last_change).days
        if idle > days:
            out.append(
                StalledProject(
                    project_id=p.id,
                    enterprise=p.enterprise.name,
                    task_force=p.task_force,
                    owner=p.owner,
                    stage=p.stage,
                    since=p.last_change,
                    days=idle,
                )
            )
    out.sort(key=lambda s: (-s.days, s.project_id))
    return out


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, _ZERO)


def _duration_stats(samples: list[int]) -> tuple[Decimal | None, Decimal | None]:
    if not samples:
        return None, None
    median = Decimal(str(statistics.median(samples))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    mean = (Decimal(sum(samples)) / len(samples)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return median, mean


def compute_kpis(
    projects: Iterable[Project],
    targets: Iterable[Target] = (),
    *,
    year: int | None = None,
    start: date | None = None,
    end: date | None = None,
    region: str | None = None,
    task_force: str | None = None,
    regions: Iterable[Region] | Mapping[str, Region] | None = None,
    today: date | None = None,
    stalled_days: int = 90,
) -> KpiReport:
    """Investment-promotion KPIs of a period, a region and a task force.

    Parameters
    ----------
    projects : iterable of Project
    targets : iterable of Target
        The year's target of the region is used when the period is a year.
    year : int, optional
        The period; or give ``start`` and ``end`` (inclusive).
    region : str, optional
        None (or a city-kind region) = the whole city; a county or a zone id.
    task_force : str, optional
        Only this task force's projects.
    regions : iterable of Region, optional
        Known regions, to resolve a zone's county and recognise the city.
    today : datetime.date, optional
        For stalled projects (default: the system date).
    stalled_days : int
        Threshold of :func:`stalled_projects`.

    Returns
    -------
    KpiReport

    Notes
    -----
    * Signed: projects that entered 签约 within the period; their planned
      investment is the signed value.
    * Start rate (签约开工率): of those, the share that entered 开工 by the
      end of the period.
    * New fixed-asset investment started: ``new_fixed_asset_started`` of the
      projects that entered 开工 within the period.
    * Funds in place (到位资金, fixed-asset and not separately): the to-date
      amounts of the projects signed in the period.  Records hold to-date
      totals, not a yearly ledger, so a multi-year view attributes funds to
      the signing period.
    * Stage durations: calendar days between first entering consecutive
      main-line stages, for pairs whose later stage was entered within the
      period (time on hold included).
    * Percentages of target: half-up to two decimals (:func:`percent_of`).

    Examples
    --------
    >>> p = Project(id="p", enterprise={"name": "x"}, task_force="t", task_force_kind="squad",
    ...             owner="o", created="2021-01-04", planned_investment="12.5")
    >>> for s in ["contacted", "negotiating", "signed"]:
    ...     p = transition(p, s, on=date(2021, 3, 1), actor="o")
    >>> r = compute_kpis([p], [Target(year=2021, signed_value=10)], year=2021, today=date(2021, 12, 31))
    >>> r.signed_count, r.signed_value, r.signed_value_pct, r.start_rate
    (1, Decimal('12.5'), Decimal('125.00'), Decimal('0.00'))
    """
    period_start, period_end = resolve_period(year=year, start=start, end=end)
    if year is None and (period_start, period_end) == (
        date(period_start.year, 1, 1),
        date(period_start.year, 12, 31),
    ):
        year = period_start.year
    today = today or date.today()
    index = _region_index(regions)
    if region is not None and index and region not in index:
        raise NotFound(f"unknown region {region!r}", field="region")
    if region is not None and region in index and index[region].kind == RegionKind.city:
        region = None

    scope = [
        p
        for p in projects
        if in_region(p, region, index) and (task_force is None or p.task_force == task_force)
    ]

    def within(d: date | None) -> bool:
        return d is not None and period_start <= d <= period_end

    signed = [p for p in scope if within(_reached(p, ProjectStage.signed))]
    started_of_signed = [p for p in signed if _reached(p, ProjectStage.started, by=period_end)]
    started_in_period = [p for p in scope if within(_reached(p, ProjectStage.started))]

    target = None
    if year is not None:
        for t in targets:
            if t.year == year and t.region == region:
                target = t
    signed_value = _sum(p.planned_investment for p in signed)
    new_fa = _sum(p.new_fixed_asset_started for p in started_in_period)
    funds_fixed = _sum(p.funds_in_place_fixed for p in signed)
    funds_non_fixed = _sum(p.funds_in_place_non_fixed for p in signed)

    durations = []
    for a, b in zip(MAIN_LINE, MAIN_LINE[1:], strict=False):
        samples = []
        for p in scope:
            d = stage_dates(p)
            if a in d and b in d and within(d[b]):
                samples.append((d[b] - d[a]).days)
        median, mean = _duration_stats(samples)
        durations.append(
            StageDuration(from_stage=a, to_stage=b, n=len(samples), median_days=median, mean_days=mean)
        )

    return KpiReport(
        period_start=period_start,
        period_end=period_end,
        year=year,
        region=region,
        task_force=task_force,
        today=today,
        signed_count=len(signed),
        signed_count_target=target.signed_count if target else None,
        signed_value=signed_value,
        signed_value_target=target.signed_value if target else None,
        signed_value_pct=percent_of(signed_value, target.signed_value if target else None),
        started_count=len(started_of_signed),
        start_rate=percent_of(len(started_of_signed), len(signed)),
        start_rate_target=target.start_rate if target else None,
        new_fixed_asset_started=new_fa,
        new_fixed_asset_target=target.new_fixed_asset if target else None,
        new_fixed_asset_pct=percent_of(new_fa, target.new_fixed_asset if target else None),
        funds_fixed=funds_fixed,
        funds_fixed_target=target.funds_fixed if target else None,
        funds_fixed_pct=percent_of(funds_fixed, target.funds_fixed if target else None),
        funds_non_fixed=funds_non_fixed,
        funds_non_fixed_target=target.funds_non_fixed if target else None,
        funds_non_fixed_pct=percent_of(funds_non_fixed, target.funds_non_fixed if target else None),
        stage_durations=durations,
        stalled_days=stalled_days,
        stalled=stalled_projects(scope, days=stalled_days, today=today),
    )


# ---------------------------------------------------------------------------
# registry and outcomes (pure)
# ---------------------------------------------------------------------------
def find_holders(
    projects: Iterable[Project], enterprise: ProjectEnterprise, *, exclude: str | None = None
) -> list[tuple[Project, Literal["credit_code", "name"]]]:
    """Projects (not dropped) that follow the same enterprise.

    Same enterprise = same credit code, or same normalised name
    (:func:`chainmap.names.normalize_company_name`).

    Examples
    --------
    >>> p = Project(id="p", enterprise={"name": "示例镁业股份有限公司"}, task_force="t",
    ...             task_force_kind="squad", owner="o", created="2021-01-01")
    >>> [(h.id, how) for h, how in find_holders([p], ProjectEnterprise(name="示例镁业（集团）有限公司"))]
    [('p', 'name')]
    """
    key = enterprise.key
    out: list[tuple[Project, Literal["credit_code", "name"]]] = []
    for p in projects:
        if p.id == exclude or p.stage == ProjectStage.dropped:
            continue
        if enterprise.credit_code and p.enterprise.credit_code == enterprise.credit_code:
            out.append((p, "credit_code"))
        elif key and p.enterprise.key == key:
            out.append((p, "name"))
    return out


def lead_outcomes(projects: Iterable[Project]) -> list[Outcome]:
    """Labelled outcomes for the lead scorer, sorted by date (for time-based splits).

    Label 1: the project reached 签约 (dated on signing; it stays a success even
    if dropped later).  Label 0: dropped before signing (dated on dropping).
    Projects still open before signing have no outcome yet.

    Examples
    --------
    >>> p = Project(id="p", enterprise={"name": "x"}, task_force="t", task_force_kind="squad",
    ...             owner="o", created="2021-01-01", segment="cai.mg")
    >>> q = transition(p.model_copy(update={"id": "q"}), "dropped", on=date(2021, 2, 1), actor="o", reason="选址他处")
    >>> [(o.project_id, o.label, str(o.date)) for o in lead_outcomes([p, q])]
    [('q', 0, '2021-02-01')]
    """
    out = []
    for p in projects:
        dates = stage_dates(p)
        if ProjectStage.signed in dates:
            label, when = 1, dates[ProjectStage.signed]
        elif p.stage == ProjectStage.dropped:
            label, when = 0, p.last_change
        else:
            continue
        out.append(
            Outcome(
                project_id=p.id,
                enterprise_name=p.enterprise.name,
                credit_code=p.enterprise.credit_code,
                enterprise_id=p.enterprise.enterprise_id,
                segment=p.segment,
                task_force=p.task_force,
                label=label,
                date=when,
            )
        )
    out.sort(key=lambda o: (o.date, o.project_id))
    return out


# ---------------------------------------------------------------------------
# service functions (Store records only)
# ---------------------------------------------------------------------------
def _validated(model: type[_Base], data: Any) -> Any:
    """Validate ``data`` as ``model``; InvalidInput naming the field(s) otherwise."""
    if isinstance(data, model):
        data = data.model_dump()
    try:
        return model.model_validate(data)
    except ValidationError as err:
        errors = err.errors()
        first = ".".join(str(x) for x in errors[0]["loc"]) or None
        problems = []
        for i, e in enumerate(errors):
            loc = ".".join(str(x) for x in e["loc"])
            msg = e["msg"].removeprefix("Value error, ")
            # InvalidInput(field=first) already prefixes "first: " to the message: name it once
            problems.append(f"{loc}: {msg}" if loc and not (i == 0 and loc == first) else msg)
        raise InvalidInput("; ".join(problems), field=first) from None


#: Project fields naming a record of the chain graph: field -> the store's getter.
_REFERENCES = {"segment": "get_segment", "county": "get_region", "zone": "get_region"}


def _check_references(store: Store, project: Project, fields: Iterable[str] = _REFERENCES) -> None:
    """InvalidInput naming the field when ``project`` names a segment or region the store lacks.

    Only the given ``fields`` are checked (an update checks what it changes).
    """
    for name in fields:
        if name not in _REFERENCES:
            continue
        ref = getattr(project, name)
        if ref is None:
            continue
        try:
            getattr(store, _REFERENCES[name])(ref)
        except NotFound:
            what = "环节 / segment" if name == "segment" else "地区 / region"
            raise InvalidInput(f"未知{what} {ref!r}", field=name) from None


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def get_project(*, store: Store, project_id: str) -> Project:
    """The stored project; NotFound if absent."""
    try:
        rec = store.get_record("project", project_id)
    except NotFound:
        raise NotFound(f"项目不存在 / no project {project_id!r}", field="project_id") from None
    return Project.model_validate(rec)


def _all_projects(store: Store, **where: Any) -> list[Project]:
    return [Project.model_validate(r) for r in store.list_records("project", **where)]


def create_project(
    *, store: Store, project_in: Project | Mapping[str, Any], today: date | None = None
) -> Registration:
    """Register a project (a lead, usually); warn when another project already holds the enterprise.

    ``id`` is generated when missing (``prj-<yyyymmdd>-<hex>``), ``created``
    defaults to ``today``.  When other (not dropped) projects follow the same
    enterprise (same credit code, or same normalised name) the registration
    still succeeds, but returns one :class:`HolderWarning` per holder and links
    the projects both ways through ``related_projects``.

    Raises
    ------
    InvalidInput
        Invalid fields, or a ``segment``, ``county`` or ``zone`` id the store
        does not know (``field`` names it).
    Conflict
        A project with this id exists.

    Examples
    --------
    >>> from chainmap.storage.factory import open_store
    >>> store = open_store(backend="sqlite", sqlite_path=":memory:")
    >>> lead = {"enterprise": {"name": "示例镁业股份有限公司"}, "task_force": "镁产业招商专班",
    ...         "task_force_kind": "招商专班", "owner": "张三", "created": "2021-03-01"}
    >>> create_project(store=store, project_in=lead | {"id": "p-a"}).warnings
    []
    >>> reg = create_project(store=store, project_in=lead | {
    ...     "id": "p-b", "enterprise": {"name": "示例镁业有限公司"}, "task_force": "闻喜县招商小分队",
    ...     "task_force_kind": "招商小分队", "owner": "李四"})
    >>> print(reg.warnings[0].message("en"))
    this enterprise is already followed by task force 镁产业招商专班 (special_team), owner 张三, project p-a (stage lead; same normalised name); the two projects are now linked
    >>> reg.project.related_projects, get_project(store=store, project_id="p-a").related_projects
    (['p-a'], ['p-b'])
    >>> store.close()
    """
    data = _dump(project_in) if isinstance(project_in, BaseModel) else dict(project_in)
    created = data.get("created") or (today or date.today())
    data["created"] = created
    if not data.get("id"):
        data["id"] = f"prj-{date.fromisoformat(str(created)).strftime('%Y%m%d')}-{uuid.uuid4().hex[:8]}"
    data.setdefault("stage", ProjectStage.lead.value)
    project: Project = _validated(Project, data)
    if project.transitions or project.stage != ProjectStage.lead:
        raise InvalidInput("a new project starts at 线索 lead; use transitions to move it", field="stage")
    with store.transaction() as tx:
        _check_references(tx, project)
        try:
            tx.get_record("project", project.id)
        except NotFound:
            pass
        else:
            raise Conflict(f"项目编号已存在 / project {project.id!r} already exists", field="id")
        holders = find_holders(_all_projects(tx), project.enterprise, exclude=project.id)
        warnings = []
        related = list(project.related_projects)
        for holder, how in holders:
            warnings.append(
                HolderWarning(
                    project_id=holder.id,
                    task_force=holder.task_force,
                    task_force_kind=holder.task_force_kind,
                    owner=holder.owner,
                    stage=holder.stage,
                    match=how,
                    same_task_force=holder.task_force == project.task_force,
                )
            )
            if holder.id not in related:
                related.append(holder.id)
            if project.id not in holder.related_projects:
                holder.related_projects.append(project.id)
                tx.put_record("project", holder.id, _dump(holder))
        project.related_projects = related
        tx.put_record("project", project.id, _dump(project))
    return Registration(project=project, warnings=warnings)


#: Fields :func:`update_project` may change (stage and history only move by transitions).
UPDATABLE_FIELDS = frozenset(
    {
        "title",
        "enterprise",
        "segment",
        "gap_status",
        "owner",
        "county",
        "zone",
        "planned_investment",
        "planned_fixed_asset",
        "funds_in_place_fixed",
        "funds_in_place_non_fixed",
        "new_fixed_asset_started",
    }
)


def update_project(*, store: Store, project_id: str, changes: Mapping[str, Any]) -> Project:
    """Change a project's descriptive fields and amounts (not its stage: use transitions).

    A changed ``segment``, ``county`` or ``zone`` must exist in the store (InvalidInput naming
    the field otherwise); unknown fields and invalid values raise InvalidInput too.
    """
    bad = sorted(set(changes) - UPDATABLE_FIELDS)
    if bad:
        raise InvalidInput(
            f"cannot update {', '.join(bad)}; updatable: {', '.join(sorted(UPDATABLE_FIELDS))}", field=bad[0]
        )
    with store.transaction() as tx:
        project = get_project(store=tx, project_id=project_id)
        updated: Project = _validated(Project, _dump(project) | dict(changes))
        _check_references(tx, updated, changes)
        tx.put_record("project", project_id, _dump(updated))
    return updated


def transition_project(
    *,
    store: Store,
    project_id: str,
    to: ProjectStage | str,
    on: date | None = None,
    actor: str,
    note: str = "",
    reason: str | None = None,
    changes: Mapping[str, Any] | None = None,
) -> Project:
    """Move a stored project to another stage (see :func:`transition`).

    ``changes`` optionally updates amounts at the same time (e.g.
    ``new_fixed_asset_started`` when it starts); ``on`` defaults to today.
    """
    with store.transaction() as tx:
        project = get_project(store=tx, project_id=project_id)
        moved = transition(project, to, on=on or date.today(), actor=actor, note=note, reason=reason)
        if changes:
            bad = sorted(set(changes) - UPDATABLE_FIELDS)
            if bad:
                raise InvalidInput(f"cannot update {', '.join(bad)}", field=bad[0])
            moved = _validated(Project, _dump(moved) | dict(changes))
            _check_references(tx, moved, changes)
        tx.put_record("project", project_id, _dump(moved))
    return moved


def log_followup(
    *,
    store: Store,
    project_id: str,
    method: FollowUpMethod | str,
    on: date | None = None,
    actor: str,
    note: str = "",
) -> FollowUp:
    """Log a follow-up (七跟法) on a project; not dated before the project was created."""
    kind = FollowUpMethod.parse(method)
    on = on or date.today()
    with store.transaction() as tx:
        project = get_project(store=tx, project_id=project_id)
        if on < project.created:
            raise InvalidInput(
                f"跟进日期 {on} 早于项目登记日期 {project.created} / follow-up date {on} is before the "
                f"project was created ({project.created})",
                field="date",
            )
        n = len(tx.list_records("followup", project=project_id))
        fu: FollowUp = _validated(
            FollowUp,
            {
                "id": f"{project_id}.f{n + 1:04d}",
                "project": project_id,
                "method": kind,
                "date": on,
                "actor": actor,
                "note": note,
            },
        )
        tx.put_record("followup", fu.id, _dump(fu))
    return fu


def list_followups(*, store: Store, project_id: str) -> list[FollowUp]:
    """Follow-ups of a project, oldest first."""
    items = [FollowUp.model_validate(r) for r in store.list_records("followup", project=project_id)]
    return sorted(items, key=lambda f: (f.date, f.id))


def list_projects(
    *,
    store: Store,
    stage: ProjectStage | str | None = None,
    task_force: str | None = None,
    region: str | None = None,
    segment: str | None = None,
) -> list[Project]:
    """Projects matching every given filter, sorted by id.

    ``region`` follows :func:`in_region` (county, zone, or the city) using the
    store's regions.
    """
    where: dict[str, Any] = {}
    if stage is not None:
        where["stage"] = ProjectStage.parse(stage).value
    if task_force is not None:
        where["task_force"] = task_force
    if segment is not None:
        where["segment"] = segment
    projects = _all_projects(store, **where)
    if region is not None:
        regions = _region_index(store.list_regions())
        if regions and region not in regions:
            raise NotFound(f"unknown region {region!r}", field="region")
        projects = [p for p in projects if in_region(p, region, regions)]
    return sorted(projects, key=lambda p: p.id)


def _city_to_none(store: Store, region: str | None) -> str | None:
    if region is None:
        return None
    for r in store.list_regions():
        if r.id == region and r.kind == RegionKind.city:
            return None
    return region


def set_target(*, store: Store, target_in: Target | Mapping[str, Any]) -> Target:
    """Insert or replace the targets of a year and region (``region`` None / the city id: the whole city)."""
    target: Target = _validated(Target, target_in)
    target.region = _city_to_none(store, target.region)
    store.put_record("target", target.record_id, _dump(target))
    return target


def list_targets(*, store: Store, year: int | None = None) -> list[Target]:
    """Stored targets, optionally of one year."""
    where = {"year": year} if year is not None else {}
    return [
        Target.model_validate({k: v for k, v in r.items() if k != "id"})
        for r in store.list_records("target", **where)
    ]


def project_kpis(
    *,
    store: Store,
    year: int | None = None,
    start: date | None = None,
    end: date | None = None,
    region: str | None = None,
    task_force: str | None = None,
    stalled_days: int = 90,
    today: date | None = None,
) -> KpiReport:
    """:func:`compute_kpis` on the stored projects, targets and regions."""
    return compute_kpis(
        _all_projects(store),
        list_targets(store=store),
        year=year,
        start=start,
        end=end,
        region=region,
        task_force=task_force,
        regions=store.list_regions(),
        today=today,
        stalled_days=stalled_days,
    )
