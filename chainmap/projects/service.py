"""The use cases of the investment-project context, on any :class:`~chainmap.storage.base.Store`.

Plain functions with keyword-only arguments; the API routes
(``api/routers/projects.py``), the CLI (:mod:`chainmap.projects.cli`) and the
lead scorer (:func:`list_outcomes`) call them and only translate input and
output.  They use nothing but the store's record interface (``project``,
``followup`` and ``target`` records) plus its segments and regions, so they
run on every backend.  Errors are :mod:`chainmap.exceptions` naming the field.

>>> from chainmap.storage.factory import open_store
>>> store = open_store(backend="sqlite", sqlite_path=":memory:")
>>> reg = create_project(store=store, project_in={"id": "p1", "enterprise": {"name": "示例镁业有限公司"},
...     "task_force": "镁产业招商专班", "task_force_kind": "招商专班", "owner": "张三", "created": "2021-03-01"})
>>> p = transition_project(store=store, project_id="p1", to="对接", on=date(2021, 3, 5), actor="张三")
>>> [(q.id, q.stage.value) for q in list_projects(store=store)]
[('p1', 'contacted')]
>>> store.close()
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError

from chainmap.exceptions import ChainmapError, Conflict, InvalidInput, NotFound
from chainmap.models import RegionKind
from chainmap.projects.kpis import (
    KpiReport,
    StalledProject,
    UnitRanking,
    compute_kpis,
    projects_in_region,
    region_index,
    stalled_projects,
    unit_kpis,
)
from chainmap.projects.models import (
    MAIN_LINE,
    FollowUp,
    FollowUpMethod,
    IssueKind,
    IssueStatus,
    IssueUpdate,
    Project,
    ProjectIssue,
    ProjectStage,
    StrictModel,
    Target,
)
from chainmap.projects.outcomes import Outcome, lead_outcomes
from chainmap.projects.registry import HolderWarning, Registration, find_holders
from chainmap.projects.stages import allowed_next_stages, transition
from chainmap.storage.base import Store, check_tag

__all__ = [
    "UPDATABLE_FIELDS",
    "ProjectExport",
    "create_project",
    "get_project",
    "update_project",
    "transition_project",
    "log_followup",
    "list_followups",
    "list_projects",
    "set_target",
    "get_target",
    "list_targets",
    "project_kpis",
    "list_outcomes",
    "export_projects",
    "BoardCard",
    "BoardColumn",
    "Board",
    "ProjectView",
    "board",
    "project_view",
    "raise_issue",
    "update_issue",
    "unit_ranking",
    "export_ranking",
    "last_followups",
    "region_id",
    "segment_id",
]

M = TypeVar("M", bound=BaseModel)


def _validated(model: type[M], data: object) -> M:
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


def region_id(store: Store, region: str | None, *, field: str = "region", error: type[ChainmapError] = NotFound) -> str | None:
    """The id of ``region`` -- an id, a Chinese or English name or a short form (``盐湖``,
    ``运城经开区``) by the one name rule of :mod:`chainmap.resolve` -- or None; ``error``
    (NotFound for a filter, InvalidInput for a field of a record) naming the value with the
    closest names otherwise.

    >>> from chainmap.storage.factory import open_store
    >>> from chainmap.models import Region
    >>> store = open_store(backend="sqlite", sqlite_path=":memory:")
    >>> store.upsert_region(Region(id="yanhu", kind="county", name_zh="盐湖区", name_en="Yanhu District"))
    >>> region_id(store, "盐湖"), region_id(store, "Yanhu District"), region_id(store, None)
    ('yanhu', 'yanhu', None)
    >>> region_id(store, "盐湖县")
    Traceback (most recent call last):
    ...
    chainmap.exceptions.NotFound: region: unknown region '盐湖县'; did you mean: 盐湖区 (yanhu)?
    >>> store.close()
    """
    if region is None or not str(region).strip():
        return None
    from chainmap.resolve import region_resolver

    return _resolved(region_resolver(store.list_regions(), field=field), str(region), error)


def segment_id(
    store: Store, segment: str | None, *, field: str = "segment", error: type[ChainmapError] = NotFound
) -> str | None:
    """The id of ``segment`` (an id, a Chinese / English name or an alias: ``隔膜``), or None;
    ``error`` with the closest names otherwise (see :func:`region_id`)."""
    if segment is None or not str(segment).strip():
        return None
    from chainmap.resolve import segment_resolver

    return _resolved(segment_resolver(store.list_segments(), field=field), str(segment), error)


def _resolved(resolver: Any, text: str, error: type[ChainmapError]) -> str:
    try:
        return str(resolver.resolve(text))
    except ChainmapError as err:
        if isinstance(err, error):
            raise
        raise error(str(err).removeprefix(f"{resolver.field}: "), field=resolver.field) from None


def _resolve_fields(store: Store, data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with its ``segment``, ``county`` and ``zone`` names turned into ids
    (InvalidInput naming the field and the closest names for an unknown one)."""
    out = dict(data)
    for name in ("segment", "county", "zone"):
        value = out.get(name)
        if isinstance(value, str):
            resolve = segment_id if name == "segment" else region_id
            out[name] = resolve(store, value, field=name, error=InvalidInput)
    return out


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
    lead = data.get("lead")
    if isinstance(lead, Mapping):  # 登记为项目: the lead fills what the form left out
        if not data.get("enterprise") and lead.get("name"):
            data["enterprise"] = {"name": lead["name"], "credit_code": lead.get("credit_code")}
        data.setdefault("segment", lead.get("gap_segment"))
        if lead.get("gap_status") in ("fill", "strengthen", "extend", "补链", "强链", "延链"):
            data.setdefault("gap_status", lead.get("gap_status"))
        data.setdefault("title", f"{lead['name']}项目" if lead.get("name") else "")
        data = {k: v for k, v in data.items() if v is not None}
    created = data.get("created") or (today or date.today())
    data["created"] = created
    if not data.get("id"):
        data["id"] = f"prj-{date.fromisoformat(str(created)).strftime('%Y%m%d')}-{uuid.uuid4().hex[:8]}"
    data.setdefault("stage", ProjectStage.lead.value)
    project: Project = _validated(Project, _resolve_fields(store, data))
    if project.transitions or project.stage != ProjectStage.lead:
        raise InvalidInput("a new project starts at 线索 lead; use transitions to move it", field="stage")
    if project.issues:
        raise InvalidInput("problems and requests are raised on a registered project (POST .../issues)", field="issues")
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
        "next_followup",
    }
)
#: amounts whose change counts as investment progress (a stall rule measure of 开工 / 投产)
_PROGRESS_FIELDS = frozenset(
    {"funds_in_place_fixed", "funds_in_place_non_fixed", "new_fixed_asset_started"}
)


def _with_progress(before: Project, after: Project, on: date) -> Project:
    """``after`` with ``progress_on`` = ``on`` when an investment amount grew."""
    if any(getattr(after, f) > getattr(before, f) for f in _PROGRESS_FIELDS):
        return after.model_copy(update={"progress_on": max(on, after.progress_on or on)})
    return after


def update_project(
    *,
    store: Store,
    project_id: str,
    changes: Mapping[str, Any],
    if_match: Collection[str] | None = None,
    today: date | None = None,
) -> Project:
    """Change a project's descriptive fields and amounts (not its stage: use transitions).

    A changed ``segment``, ``county`` or ``zone`` must exist in the store (InvalidInput naming
    the field otherwise); unknown fields and invalid values raise InvalidInput too.
    ``if_match``: the version tags (:func:`~chainmap.storage.base.object_tag` of the
    project) the caller read; PreconditionFailed if the stored project has another one
    (checked in the transaction of the write).
    """
    bad = sorted(set(changes) - UPDATABLE_FIELDS)
    if bad:
        raise InvalidInput(
            f"cannot update {', '.join(bad)}; updatable: {', '.join(sorted(UPDATABLE_FIELDS))}", field=bad[0]
        )
    changes = _resolve_fields(store, changes)
    with store.transaction() as tx:
        project = get_project(store=tx, project_id=project_id)
        check_tag(project, if_match, what=f"project {project_id!r}")
        updated: Project = _validated(Project, _dump(project) | dict(changes))
        _check_references(tx, updated, changes)
        updated = _with_progress(project, updated, today or date.today())
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
    if_match: Collection[str] | None = None,
) -> Project:
    """Move a stored project to another stage (see :func:`transition`).

    ``changes`` optionally updates amounts at the same time (e.g.
    ``new_fixed_asset_started`` when it starts); ``on`` defaults to today.
    ``if_match`` as in :func:`update_project`.
    """
    with store.transaction() as tx:
        project = get_project(store=tx, project_id=project_id)
        check_tag(project, if_match, what=f"project {project_id!r}")
        moved = transition(project, to, on=on or date.today(), actor=actor, note=note, reason=reason)
        if changes:
            bad = sorted(set(changes) - UPDATABLE_FIELDS)
            if bad:
                raise InvalidInput(f"cannot update {', '.join(bad)}", field=bad[0])
            changes = _resolve_fields(tx, changes)
            moved = _validated(Project, _dump(moved) | dict(changes))
            _check_references(tx, moved, changes)
            moved = _with_progress(project, moved, moved.last_change)
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
    next_date: date | None = None,
) -> FollowUp:
    """Log a follow-up (七跟法) on a project; not dated before the project was created.

    ``next_date``: when to follow up next; it becomes the project's
    ``next_followup`` (overdue reminders on the board and the project page).
    """
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
                "next_date": next_date,
            },
        )
        tx.put_record("followup", fu.id, _dump(fu))
        if next_date is not None:
            tx.put_record("project", project.id, _dump(project.model_copy(update={"next_followup": next_date})))
    return fu


def list_followups(*, store: Store, project_id: str) -> list[FollowUp]:
    """Follow-ups of a project, oldest first; NotFound if the project is absent."""
    get_project(store=store, project_id=project_id)
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

    ``region`` keeps the projects it covers by the one locality rule
    (:func:`chainmap.projects.kpis.projects_in_region` with the store's
    regions): a county also covers its zones, the city every project placed
    in it; a project with neither county nor zone only shows unfiltered.
    NotFound for an unknown region.
    """
    where: dict[str, Any] = {}
    region = region_id(store, region)
    segment = segment_id(store, segment)
    if stage is not None:
        where["stage"] = ProjectStage.parse(stage).value
    if task_force is not None:
        where["task_force"] = task_force
    if segment is not None:
        where["segment"] = segment
    projects = _all_projects(store, **where)
    if region is not None:
        projects = projects_in_region(projects, region, region_index(store.list_regions()))
    return sorted(projects, key=lambda p: p.id)


def _city_to_none(store: Store, region: str | None) -> str | None:
    if region is None:
        return None
    for r in store.list_regions():
        if r.id == region and r.kind == RegionKind.city:
            return None
    return region


def set_target(
    *, store: Store, target_in: Target | Mapping[str, Any], if_match: Collection[str] | None = None
) -> Target:
    """Insert or replace the targets of a year and region (``region`` None / the city id: the whole city).

    ``if_match``: the version tags of the stored target the caller read (see
    :func:`get_target`); PreconditionFailed if it has another one or does not exist.
    """
    data = _dump(target_in) if isinstance(target_in, BaseModel) else dict(target_in)
    if not data.get("task_force"):  # a region and a task force both: the model says "not both"
        data["region"] = region_id(store, data.get("region"), error=InvalidInput)
    target: Target = _validated(Target, data)
    target.region = _city_to_none(store, target.region)
    with store.transaction() as tx:
        check_tag(_stored_target(tx, target.record_id), if_match, what=f"target {target.record_id!r}")
        tx.put_record("target", target.record_id, _dump(target))
    return target


def _stored_target(store: Store, target_id: str) -> Target | None:
    try:
        rec = store.get_record("target", target_id)
    except NotFound:
        return None
    return Target.model_validate({k: v for k, v in rec.items() if k != "id"})


def get_target(*, store: Store, target_id: str) -> Target:
    """The stored target ``"<year>.<region>"`` (``"2021.city"`` for the whole city); NotFound if absent."""
    target = _stored_target(store, target_id)
    if target is None:
        raise NotFound(f"目标不存在 / no target {target_id!r} (ids look like 2021.city or 2021.<region>)", field="target_id")
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
    stalled_days: int | None = None,
    today: date | None = None,
) -> KpiReport:
    """:func:`~chainmap.projects.kpis.compute_kpis` on the stored projects, targets and regions.

    With no period given (no ``year``, ``start`` or ``end``) the period is the
    current calendar year.
    """
    if year is None and start is None and end is None:
        year = date.today().year
    region = region_id(store, region)
    return compute_kpis(
        _all_projects(store),
        list_targets(store=store),
        year=year,
        start=start,
        end=end,
        region=region,
        task_force=task_force,
        regions=region_index(store.list_regions()),
        today=today,
        stalled_days=stalled_days,
        last_followups=last_followups(store=store),
    )


def list_outcomes(*, store: Store) -> list[Outcome]:
    """The lead scorer's training labels: :func:`~chainmap.projects.outcomes.lead_outcomes` of every stored project."""
    return lead_outcomes(_all_projects(store))


@dataclass(frozen=True)
class ProjectExport:
    """An export ready to be written to a file or sent: its bytes, media type, file name and project count."""

    content: bytes
    media_type: str
    filename: str
    count: int


_XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_projects(
    *,
    store: Store,
    format: str = "xlsx",
    year: int | None = None,
    region: str | None = None,
    task_force: str | None = None,
    stage: ProjectStage | str | None = None,
    stalled_days: int | None = None,
    today: date | None = None,
    lang: str = "zh",
) -> ProjectExport:
    """The projects (filtered as :func:`list_projects`) as a CSV table, or an XLSX workbook with KPIs.

    ``xlsx``: five sheets — projects, the KPIs of ``year`` (default: this
    year; see :func:`project_kpis`) for the same region and task force, and
    the stalled projects, their follow-ups and their problems and requests
    (:func:`chainmap.projects.report.write_projects_xlsx`).
    ``csv``: the projects table only, UTF-8 with a BOM.

    Raises
    ------
    InvalidInput
        An unknown ``format`` (``field="format"``) or stage.
    NotFound
        An unknown region.
    """
    from chainmap.projects.report import projects_csv, write_projects_xlsx

    kind = format.strip().lower()
    if kind not in ("xlsx", "csv"):
        raise InvalidInput(f"unknown format {format!r}; expected xlsx or csv", field="format")
    projects = list_projects(store=store, stage=stage, task_force=task_force, region=region)
    if kind == "csv":
        content = projects_csv(projects, lang=lang).encode("utf-8")
        return ProjectExport(content, "text/csv; charset=utf-8", "projects.csv", len(projects))
    report = project_kpis(
        store=store, year=year, region=region, task_force=task_force, stalled_days=stalled_days, today=today
    )
    buf = io.BytesIO()
    ids = {p.id for p in projects}
    followups = [FollowUp.model_validate(r) for r in store.list_records("followup") if r.get("project") in ids]
    write_projects_xlsx(buf, projects, report, lang=lang, followups=followups)
    return ProjectExport(buf.getvalue(), _XLSX_TYPE, "projects.xlsx", len(projects))


# ---------------------------------------------------------------------------
# the board, the project page, problems and requests, the ranking
# ---------------------------------------------------------------------------
def last_followups(*, store: Store) -> dict[str, date]:
    """project id -> date of its latest follow-up."""
    out: dict[str, date] = {}
    for r in store.list_records("followup"):
        d = date.fromisoformat(str(r["date"]))
        pid = str(r["project"])
        if pid not in out or d > out[pid]:
            out[pid] = d
    return out


class BoardCard(StrictModel):
    """A project on the board: what the card shows and the moves it offers."""

    id: str
    title: str
    enterprise: str
    task_force: str
    owner: str
    county: str | None = None
    stage: ProjectStage
    held_from: ProjectStage | None = None
    allowed: list[ProjectStage]
    planned_investment: Any
    next_followup: date | None = None
    overdue_days: int | None = Field(default=None, description="days past the next follow-up date")
    open_issues: int = 0
    stalled: StalledProject | None = None


class BoardColumn(StrictModel):
    stage: ProjectStage
    cards: list[BoardCard]


class Board(StrictModel):
    """The pipeline board: one column per stage (main line, then 搁置, 终止)."""

    today: date
    total: int
    overdue: int
    columns: list[BoardColumn]


class ProjectView(StrictModel):
    """The project page: the project, its allowed moves, follow-ups, reminders and stall state."""

    project: Project
    allowed: list[ProjectStage]
    followups: list[FollowUp]
    today: date
    overdue_days: int | None = None
    stalled: StalledProject | None = None


def _overdue(p: Project, today: date) -> int | None:
    if p.next_followup is None or p.stage in (ProjectStage.dropped, ProjectStage.at_design_output):
        return None
    days = (today - p.next_followup).days
    return days if days > 0 else None


def board(
    *,
    store: Store,
    task_force: str | None = None,
    region: str | None = None,
    segment: str | None = None,
    today: date | None = None,
    stalled_days: int | None = None,
) -> Board:
    """The projects by stage, each with its allowed next stages, overdue reminder and stall state."""
    today = today or date.today()
    projects = list_projects(store=store, task_force=task_force, region=region, segment=segment)
    follow = last_followups(store=store)
    stalled = {s.project_id: s for s in stalled_projects(projects, today=today, days=stalled_days, last_followups=follow)}
    order = [*MAIN_LINE, ProjectStage.on_hold, ProjectStage.dropped]
    cols: dict[ProjectStage, list[BoardCard]] = {s: [] for s in order}
    for p in projects:
        cols[p.stage].append(
            BoardCard(
                id=p.id,
                title=p.title,
                enterprise=p.enterprise.name,
                task_force=p.task_force,
                owner=p.owner,
                county=p.county or p.zone,
                stage=p.stage,
                held_from=p.held_from,
                allowed=allowed_next_stages(p),
                planned_investment=p.planned_investment,
                next_followup=p.next_followup,
                overdue_days=_overdue(p, today),
                open_issues=sum(1 for i in p.issues if i.status != IssueStatus.resolved),
                stalled=stalled.get(p.id),
            )
        )
    for cards in cols.values():
        cards.sort(key=lambda c: (-(c.overdue_days or 0), c.id))
    return Board(
        today=today,
        total=len(projects),
        overdue=sum(1 for cards in cols.values() for c in cards if c.overdue_days),
        columns=[BoardColumn(stage=s, cards=cols[s]) for s in order],
    )


def project_view(
    *, store: Store, project_id: str, today: date | None = None, stalled_days: int | None = None
) -> ProjectView:
    """One project with its allowed moves, follow-up log, overdue reminder and stall state."""
    today = today or date.today()
    project = get_project(store=store, project_id=project_id)
    followups = list_followups(store=store, project_id=project_id)
    last = {project_id: followups[-1].date} if followups else {}
    stalled = stalled_projects([project], today=today, days=stalled_days, last_followups=last)
    return ProjectView(
        project=project,
        allowed=allowed_next_stages(project),
        followups=followups,
        today=today,
        overdue_days=_overdue(project, today),
        stalled=stalled[0] if stalled else None,
    )


def raise_issue(
    *,
    store: Store,
    project_id: str,
    kind: IssueKind | str,
    text: str,
    actor: str,
    on: date | None = None,
    handler: str = "",
    if_match: Collection[str] | None = None,
) -> Project:
    """Record a 困难问题 or 诉求 raised by a project (status 待办 open); returns the project."""
    k = IssueKind.parse(kind)
    on = on or date.today()
    with store.transaction() as tx:
        project = get_project(store=tx, project_id=project_id)
        check_tag(project, if_match, what=f"project {project_id!r}")
        if on < project.created:
            raise InvalidInput(
                f"提出日期 {on} 早于项目登记日期 {project.created} / date {on} is before the project was created",
                field="date",
            )
        issue: ProjectIssue = _validated(
            ProjectIssue,
            {
                "id": f"i{len(project.issues) + 1}",
                "kind": k,
                "text": text,
                "raised_by": actor,
                "raised_on": on,
                "handler": handler,
            },
        )
        updated = project.model_copy(update={"issues": [*project.issues, issue]})
        tx.put_record("project", project_id, _dump(updated))
    return updated


def update_issue(
    *,
    store: Store,
    project_id: str,
    issue_id: str,
    status: IssueStatus | str,
    actor: str,
    on: date | None = None,
    note: str = "",
    handler: str | None = None,
    if_match: Collection[str] | None = None,
) -> Project:
    """Move a problem or request to another status (any of 待办 / 办理中 / 已解决), recording who and when."""
    st = IssueStatus.parse(status)
    on = on or date.today()
    with store.transaction() as tx:
        project = get_project(store=tx, project_id=project_id)
        check_tag(project, if_match, what=f"project {project_id!r}")
        issues = list(project.issues)
        n = next((k for k, i in enumerate(issues) if i.id == issue_id), None)
        if n is None:
            raise NotFound(f"项目 {project_id} 没有问题/诉求 {issue_id!r} / no issue {issue_id!r}", field="issue_id")
        issue = issues[n]
        step = _validated(IssueUpdate, {"status": st, "date": on, "actor": actor, "note": note})
        data = _dump(issue) | {"history": [*_dump(issue)["history"], _dump(step)]}
        if handler is not None:
            data["handler"] = handler
        issues[n] = _validated(ProjectIssue, data)
        updated = project.model_copy(update={"issues": issues})
        tx.put_record("project", project_id, _dump(updated))
    return updated


def unit_ranking(
    *,
    store: Store,
    year: int,
    by: str = "county",
    today: date | None = None,
    stalled_days: int | None = None,
) -> UnitRanking:
    """KPIs of every county or task force against its own target, ranked (考核)."""
    return unit_kpis(
        _all_projects(store),
        list_targets(store=store),
        year=year,
        by=by,
        regions=region_index(store.list_regions()),
        today=today,
        stalled_days=stalled_days,
        last_followups=last_followups(store=store),
    )


def export_ranking(
    *, store: Store, year: int, by: str = "county", today: date | None = None, lang: str = "zh"
) -> ProjectExport:
    """The ranking as an XLSX workbook (:func:`chainmap.projects.report.write_ranking_xlsx`)."""
    from chainmap.projects.report import ranking_xlsx_bytes

    ranking = unit_ranking(store=store, year=year, by=by, today=today)
    name = f"kaohe-{year}-{by}.xlsx" if lang == "zh" else f"ranking-{year}-{by}.xlsx"
    return ProjectExport(ranking_xlsx_bytes(ranking, lang=lang), _XLSX_TYPE, name, len(ranking.units))
