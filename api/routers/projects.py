"""Investment projects: the closed loop 线索→对接→洽谈→签约→开工→投产→达效, follow-ups, KPIs, targets."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import LangDep, Reader, StoreDep, require
from api.errors import PRECONDITION_RESPONSES
from api.etags import IfMatch, expected_tags, set_etag
from api.schemas import Page
from chainmap.models import ID_PATTERN
from chainmap.projects import FollowUp, KpiReport, Project, Target, service
from chainmap.projects.kpis import UnitRanking
from chainmap.projects.models import (
    FollowUpMethod,
    GapStatus,
    Id,
    IssueKind,
    IssueStatus,
    LeadRef,
    Money,
    PlausibleDate,
    ProjectEnterprise,
    ProjectStage,
    TaskForceKind,
)

router = APIRouter(tags=["projects"])

#: a project id as in :data:`chainmap.projects.models.Id` (anything else cannot exist: 422, not a lookup)
ProjectId = Annotated[str, Path(pattern=ID_PATTERN, min_length=1, max_length=80, description="项目编号 / project id")]

TaskForce = Annotated[dict[str, Any], Depends(require("projects"))]

#: a segment or region as a person types it: the id, the Chinese / English name or a short form
#: (``隔膜``, ``盐湖``); the service resolves it (:func:`chainmap.projects.service.region_id`)
SegmentName = Annotated[str, Field(min_length=1, max_length=80, description="环节编号或名称，如 qi.separator / 隔膜 / segment id or name")]
RegionName = Annotated[str, Field(min_length=1, max_length=80, description="地区编号或名称，如 yanhu / 盐湖区 / 盐湖 / region id or name")]


class ProjectChanges(BaseModel):
    """The updatable fields of a project (PATCH /projects/{id}); only the fields sent change."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str | None = Field(default=None, max_length=200)
    enterprise: ProjectEnterprise | None = None
    segment: SegmentName | None = None
    gap_status: GapStatus | None = None
    owner: str | None = Field(default=None, min_length=1, max_length=100)
    county: RegionName | None = None
    zone: RegionName | None = None
    planned_investment: Money | None = None
    planned_fixed_asset: Money | None = None
    funds_in_place_fixed: Money | None = None
    funds_in_place_non_fixed: Money | None = None
    new_fixed_asset_started: Money | None = None
    next_followup: PlausibleDate | None = None

    def changes(self) -> dict[str, Any]:
        """The fields the client sent (an explicit null clears an optional field)."""
        return self.model_dump(exclude_unset=True)


class ProjectIn(BaseModel):
    """A project to register (POST /projects): ``id`` is generated and ``created`` is today when omitted.

    登记为项目: send the enterprise and the ``lead`` as the lead list showed it (candidate id, name,
    gap segment and status); the segment, gap status and title default to the lead's.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: Id | None = None
    title: str = Field(default="", max_length=200)
    enterprise: ProjectEnterprise
    lead: LeadRef | None = None
    next_followup: PlausibleDate | None = None
    segment: SegmentName | None = None
    gap_status: GapStatus | None = None
    task_force: str = Field(min_length=1, max_length=100)
    task_force_kind: TaskForceKind
    owner: str = Field(min_length=1, max_length=100)
    county: RegionName | None = None
    zone: RegionName | None = None
    planned_investment: Money = Decimal("0")
    planned_fixed_asset: Money | None = None
    funds_in_place_fixed: Money = Decimal("0")
    funds_in_place_non_fixed: Money = Decimal("0")
    new_fixed_asset_started: Money = Decimal("0")
    created: PlausibleDate | None = None


class TransitionIn(BaseModel):
    to: ProjectStage = Field(description="目标阶段（英文代码或中文名，如 contacted / 对接 / signed / 签约）/ target stage")
    date: PlausibleDate | None = Field(default=None, description="日期，缺省今天 / default today")
    actor: str = Field(min_length=1, max_length=100)
    note: str = Field(default="", max_length=2000)
    reason: str | None = Field(default=None, max_length=2000, description="终止时必填 / required when dropping")
    changes: ProjectChanges | None = Field(default=None, description="同时更新的金额 / amounts updated at the same time")


class FollowUpIn(BaseModel):
    method: FollowUpMethod = Field(description="七跟法：分类跟、实地跟、定期跟、专业跟、持续跟、拼着跟、研判跟（或英文代码）")
    date: PlausibleDate | None = None
    actor: str = Field(min_length=1, max_length=100)
    note: str = Field(default="", max_length=2000)
    next_date: PlausibleDate | None = Field(default=None, description="下次跟进日期 / next follow-up date")


class IssueIn(BaseModel):
    """A 困难问题 or 诉求 raised by the project."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: IssueKind = Field(description="困难问题 problem | 诉求 request")
    text: str = Field(min_length=1, max_length=2000)
    actor: str = Field(min_length=1, max_length=100, description="提出/登记人 / raised by")
    date: PlausibleDate | None = None
    handler: str = Field(default="", max_length=100, description="承办人或单位 / handled by")


class IssueStatusIn(BaseModel):
    """A status change of a problem or request: 待办 open → 办理中 in_progress → 已解决 resolved."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    status: IssueStatus
    actor: str = Field(min_length=1, max_length=100)
    date: PlausibleDate | None = None
    note: str = Field(default="", max_length=2000)
    handler: str | None = Field(default=None, max_length=100)


class RegistrationOut(BaseModel):
    project: Project
    warnings: list[dict[str, Any]]


@router.post("/projects", status_code=201, summary="登记项目（线索）/ register a project", response_model=RegistrationOut)
def create_project(
    store: StoreDep,
    _: TaskForce,
    lang: LangDep,
    response: Response,
    body: Annotated[ProjectIn, Body(examples=[{
        "enterprise": {"name": "某某新材料有限公司"},
        "segment": "qi.separator",
        "task_force": "汽车产业招商专班",
        "task_force_kind": "special_team",
        "owner": "张三",
        "county": "yongji",
        "planned_investment": "10",
    }])],
) -> RegistrationOut:
    """若其他专班/小分队已跟进同一企业（信用代码或规范化名称相同），仍登记但返回警告并相互关联。"""
    reg = service.create_project(store=store, project_in=body.model_dump(exclude_none=True))
    set_etag(response, reg.project)
    return RegistrationOut(
        project=reg.project,
        warnings=[w.model_dump(mode="json") | {"message": w.message(lang)} for w in reg.warnings],
    )


@router.get("/projects", summary="项目列表 / list projects", response_model=Page[Project])
def list_projects(
    store: StoreDep,
    _: Reader,
    stage: Annotated[ProjectStage | None, Query(description="阶段 / stage")] = None,
    task_force: Annotated[str | None, Query(max_length=100)] = None,
    region: Annotated[str | None, Query(max_length=80, description="县区或开发区，名称或编号（盐湖区、盐湖、yanhu）/ region name or id")] = None,
    segment: Annotated[str | None, Query(max_length=80, description="环节，名称或编号（隔膜、qi.separator）/ segment name or id")] = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[Project]:
    items = service.list_projects(store=store, stage=stage, task_force=task_force, region=region, segment=segment)
    start = (page - 1) * page_size
    return Page[Project](items=items[start : start + page_size], total=len(items), page=page, page_size=page_size)


@router.get(
    "/projects/export",
    summary="导出项目（XLSX 三表 / CSV）/ export",
    response_class=Response,
    responses={200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}, "text/csv": {}}}},
)
def export_projects(
    store: StoreDep,
    _: Reader,
    lang: LangDep,
    format: Annotated[Literal["xlsx", "csv"], Query(description="xlsx|csv")] = "xlsx",
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    region: Annotated[str | None, Query(max_length=80, description="县区或开发区，名称或编号（盐湖区、盐湖、yanhu）/ region name or id")] = None,
    task_force: Annotated[str | None, Query(max_length=100)] = None,
    stalled_days: Annotated[int | None, Query(ge=1, le=3650, description="统一停滞阈值，缺省按阶段规则")] = None,
) -> Response:
    export = service.export_projects(
        store=store, format=format, year=year, region=region, task_force=task_force, stalled_days=stalled_days, lang=lang
    )
    return Response(
        content=export.content,
        media_type=export.media_type,
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )


@router.get("/projects/board", summary="项目看板（按阶段）/ pipeline board by stage", response_model=service.Board)
def get_board(
    store: StoreDep,
    _: Reader,
    task_force: Annotated[str | None, Query(max_length=100)] = None,
    region: Annotated[str | None, Query(max_length=80, description="县区或开发区，名称或编号（盐湖区、盐湖、yanhu）/ region name or id")] = None,
    segment: Annotated[str | None, Query(max_length=80, description="环节，名称或编号（隔膜、qi.separator）/ segment name or id")] = None,
    stalled_days: Annotated[int | None, Query(ge=1, le=3650, description="统一停滞阈值，缺省按阶段规则")] = None,
) -> service.Board:
    """每列一个阶段（线索→达效，搁置，终止）；每张卡片带允许的下一阶段、逾期跟进天数、未解决问题数与停滞规则。"""
    return service.board(store=store, task_force=task_force, region=region, segment=segment, stalled_days=stalled_days)


@router.get("/projects/{project_id}/view", summary="项目页（允许的阶段、跟进、提醒）/ project page", response_model=service.ProjectView)
def get_project_view(project_id: ProjectId, store: StoreDep, _: Reader, response: Response) -> service.ProjectView:
    """项目、允许的下一阶段、七跟法跟进记录、下次跟进是否逾期、是否停滞（及所依规则）。ETag 同 GET /projects/{id}。"""
    view = service.project_view(store=store, project_id=project_id)
    set_etag(response, view.project)
    return view


@router.post(
    "/projects/{project_id}/issues", status_code=201, summary="登记困难问题/诉求 / raise a problem or request",
    response_model=Project, responses=PRECONDITION_RESPONSES,
)
def post_issue(
    project_id: ProjectId, body: IssueIn, store: StoreDep, _: TaskForce, response: Response, if_match: IfMatch = None
) -> Project:
    project = service.raise_issue(
        store=store, project_id=project_id, kind=body.kind, text=body.text, actor=body.actor, on=body.date,
        handler=body.handler, if_match=expected_tags(if_match),
    )  # fmt: skip
    set_etag(response, project)
    return project


@router.patch(
    "/projects/{project_id}/issues/{issue_id}", summary="更新问题/诉求状态 / update a problem's status",
    response_model=Project, responses=PRECONDITION_RESPONSES,
)
def patch_issue(
    project_id: ProjectId,
    issue_id: Annotated[str, Path(max_length=40, pattern=r"^i\d+$")],
    body: IssueStatusIn,
    store: StoreDep,
    _: TaskForce,
    response: Response,
    if_match: IfMatch = None,
) -> Project:
    project = service.update_issue(
        store=store, project_id=project_id, issue_id=issue_id, status=body.status, actor=body.actor, on=body.date,
        note=body.note, handler=body.handler, if_match=expected_tags(if_match),
    )  # fmt: skip
    set_etag(response, project)
    return project


@router.get("/projects/{project_id}", summary="项目详情 / one project", response_model=Project)
def get_project(project_id: ProjectId, store: StoreDep, _: Reader, response: Response) -> Project:
    """响应头 ETag 为当前版本，修改或推进阶段时放入 If-Match。The ETag is the version to send back in If-Match."""
    project = service.get_project(store=store, project_id=project_id)
    set_etag(response, project)
    return project


@router.patch(
    "/projects/{project_id}", summary="修改项目信息与金额 / update", response_model=Project,
    responses=PRECONDITION_RESPONSES,
)
def patch_project(
    project_id: ProjectId, store: StoreDep, _: TaskForce, body: ProjectChanges, response: Response, if_match: IfMatch = None
) -> Project:
    """带 If-Match 时仅当项目未被他人修改才写入，否则 412。With If-Match: 412 if it changed since it was read."""
    project = service.update_project(store=store, project_id=project_id, changes=body.changes(), if_match=expected_tags(if_match))
    set_etag(response, project)
    return project


@router.post(
    "/projects/{project_id}/transitions", summary="推进阶段 / move to another stage", response_model=Project,
    responses=PRECONDITION_RESPONSES,
)
def post_transition(
    project_id: ProjectId, body: TransitionIn, store: StoreDep, _: TaskForce, response: Response, if_match: IfMatch = None
) -> Project:
    """只允许合法的阶段推进；否则 409 并列出允许的下一阶段。日期不能倒退。带 If-Match 时项目已被他人修改则 412。"""
    project = service.transition_project(
        store=store, project_id=project_id, to=body.to, on=body.date, actor=body.actor,
        note=body.note, reason=body.reason, changes=body.changes.changes() if body.changes else None, if_match=expected_tags(if_match),
    )
    set_etag(response, project)
    return project


@router.post("/projects/{project_id}/followups", status_code=201, summary="跟进记录（七跟法）/ log a follow-up", response_model=FollowUp)
def post_followup(project_id: ProjectId, body: FollowUpIn, store: StoreDep, _: TaskForce) -> FollowUp:
    return service.log_followup(
        store=store, project_id=project_id, method=body.method, on=body.date, actor=body.actor, note=body.note,
        next_date=body.next_date,
    )  # fmt: skip


@router.get("/projects/{project_id}/followups", summary="跟进记录列表 / follow-ups", response_model=list[FollowUp])
def get_followups(project_id: ProjectId, store: StoreDep, _: Reader) -> list[FollowUp]:
    return service.list_followups(store=store, project_id=project_id)


@router.get("/kpis", summary="考核指标 / KPIs against annual targets", response_model=KpiReport)
def get_kpis(
    store: StoreDep,
    _: Reader,
    year: Annotated[int, Query(ge=2000, le=2100, description="年度 / year")],
    region: Annotated[str | None, Query(max_length=80, description="县区或开发区，名称或编号（盐湖区、盐湖、yanhu），缺省全市 / region name or id, default city")] = None,
    task_force: Annotated[str | None, Query(max_length=100)] = None,
    stalled_days: Annotated[
        int | None, Query(ge=1, le=3650, description="统一停滞阈值（天），缺省按阶段规则 / one threshold, default per-stage rules")
    ] = None,
) -> KpiReport:
    """签约数与金额、开工率、签约开工率、开工投产率、投产达效率、新开工固定资产投资、到位资金（固定/非固定）及各自完成率，
    阶段间天数，停滞项目（按阶段规则，规则见 stall_rules）。指定 task_force 时按该队伍自己的目标考核。"""
    return service.project_kpis(store=store, year=year, region=region, task_force=task_force, stalled_days=stalled_days)


@router.get("/kpis/units", summary="考核排名（县区或招商队伍）/ KPIs by unit, ranked", response_model=UnitRanking)
def get_unit_kpis(
    store: StoreDep,
    _: Reader,
    year: Annotated[int, Query(ge=2000, le=2100, description="年度 / year")],
    by: Annotated[Literal["county", "task_force"], Query(description="county 县（市、区）| task_force 招商队伍")] = "county",
) -> UnitRanking:
    """每个单位按自身目标计算各项指标完成率；综合得分为有目标指标完成率（单项封顶）的平均值。"""
    return service.unit_ranking(store=store, year=year, by=by)


@router.get(
    "/kpis/units.xlsx",
    summary="考核排名表下载 / ranking workbook",
    response_class=Response,
    responses={200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}},
)
def get_unit_kpis_xlsx(
    store: StoreDep,
    _: Reader,
    lang: LangDep,
    year: Annotated[int, Query(ge=2000, le=2100)],
    by: Annotated[Literal["county", "task_force"], Query()] = "county",
) -> Response:
    export = service.export_ranking(store=store, year=year, by=by, lang=lang)
    return Response(
        content=export.content,
        media_type=export.media_type,
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )


class TargetIn(Target):
    """A year's targets as sent (PUT /targets): ``region`` may be a name (``盐湖区``, ``永济``) as well as an id."""

    region: RegionName | None = None  # type: ignore[assignment]


@router.put("/targets", summary="设置年度目标 / set a year's targets", response_model=Target, responses=PRECONDITION_RESPONSES)
def put_target(target: TargetIn, store: StoreDep, _: TaskForce, response: Response, if_match: IfMatch = None) -> Target:
    """插入或替换某年某单位（全市、县区/开发区 region，或招商队伍 task_force）的目标；带 If-Match（GET /targets/{target_id} 的 ETag）时目标已被他人修改则 412。"""
    saved = service.set_target(store=store, target_in=target, if_match=expected_tags(if_match))
    set_etag(response, saved)
    return saved


@router.get("/targets", summary="年度目标 / targets", response_model=list[Target])
def get_targets(store: StoreDep, _: Reader, year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> list[Target]:
    return service.list_targets(store=store, year=year)


@router.get("/targets/{target_id}", summary="单个年度目标 / one year's targets of a region", response_model=Target)
def get_target(
    target_id: Annotated[str, Path(max_length=120, description="年度.单位，如 2021.city、2021.yongji、2021.tf.镁产业招商专班 / year.unit")],
    store: StoreDep,
    _: Reader,
    response: Response,
) -> Target:
    target = service.get_target(store=store, target_id=target_id)
    set_etag(response, target)
    return target
