"""Commands of the investment-project context (``chainmap projects ...``).

Thin: parse -> call :mod:`chainmap.projects.service` -> render.  Chinese output by
default, ``--lang en`` for English; errors go through
:func:`chainmap.cli.common.handle_errors` (clean message, exit code 2).  The
store comes from :func:`chainmap.cli.common.open_store` (configured by the
environment, e.g. ``CHAINMAP_SQLITE_PATH``).  The root ``chainmap`` command
mounts :data:`app`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer

from chainmap.cli.common import (
    LangOpt,
    check_format,
    check_output,
    echo_json,
    echo_table,
    format_option,
    handle_errors,
    new_app,
    open_store,
    write_output,
)
from chainmap.exceptions import InvalidInput, NotFound
from chainmap.i18n import norm_lang, pick
from chainmap.projects.kpis import KpiReport
from chainmap.projects.service import (
    create_project,
    export_projects,
    get_project,
    list_followups,
    list_projects,
    list_targets,
    log_followup,
    project_kpis,
    set_target,
    transition_project,
    update_project,
)
from chainmap.storage.base import Store

__all__ = ["app", "targets_app"]

app = new_app(
    name="projects",
    help="招商项目：登记、阶段流转、七跟法跟进、指标、导出 / investment projects: register, move, follow up, KPIs, export",
    no_args_is_help=True,
)
targets_app = new_app(help="年度目标 / yearly targets", no_args_is_help=True)
app.add_typer(targets_app, name="targets")

FORMATS = ("table", "json")
FORMAT = format_option(*FORMATS)
DATE_HELP = "日期 YYYY-MM-DD，默认今天 / date YYYY-MM-DD, default today"


def _date(value: str | None, field: str) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"expected a date YYYY-MM-DD, got {value!r}", field=field) from None


def _plain(obj: Any) -> Any:
    """Decimals as JSON numbers, dates as ISO strings, recursively."""
    if isinstance(obj, Decimal):
        exponent = obj.as_tuple().exponent
        return int(obj) if isinstance(exponent, int) and exponent >= 0 else float(obj)
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj


def _num(v: Any) -> Any:
    return float(v) if isinstance(v, Decimal) else v


def _given(**kw: Any) -> dict[str, Any]:
    return {k: v for k, v in kw.items() if v is not None}


# ---------------------------------------------------------------------------
@app.command("add")
@handle_errors
def add(
    name: str = typer.Option(..., "--name", help="企业名称 / enterprise name"),
    task_force: str = typer.Option(..., "--task-force", help="招商队伍名称 / task force name"),
    kind: str = typer.Option(..., "--kind", help="招商专班|招商小分队 (special_team|squad)"),
    owner: str = typer.Option(..., "--owner", help="负责人 / owner"),
    project_id: str = typer.Option(
        None, "--id", help="项目编号（默认自动生成）/ project id (generated if omitted)"
    ),
    title: str = typer.Option("", "--title", help="项目名称 / project title"),
    credit_code: str = typer.Option(None, "--credit-code", help="统一社会信用代码 / credit code"),
    enterprise_id: str = typer.Option(None, "--enterprise-id", help="已入库企业编号 / stored enterprise id"),
    segment: str = typer.Option(None, "--segment", help="目标环节（名称或编号，如 隔膜）/ target segment name or id"),
    gap: str = typer.Option(None, "--gap", help="强链|补链|延链 (strengthen|fill|extend)"),
    county: str = typer.Option(None, "--county", help="县（市、区）（名称或编号，如 盐湖区、盐湖）/ county name or id"),
    zone: str = typer.Option(None, "--zone", help="开发区（名称或编号，如 运城经开区）/ development zone name or id"),
    planned: str = typer.Option("0", "--planned", help="计划总投资（亿元）/ planned investment, 100m CNY"),
    planned_fixed: str = typer.Option(
        None, "--planned-fixed", help="其中固定资产投资（亿元）/ fixed-asset part"
    ),
    on: str = typer.Option(None, "--date", help=DATE_HELP),
    fmt: str = FORMAT,
    lang: str = LangOpt,
) -> None:
    """登记线索/项目 / register a lead (project at stage 线索 lead)."""
    lang, fmt = norm_lang(lang), check_format(fmt, FORMATS)
    data = _given(
        id=project_id,
        title=title,
        enterprise=_given(name=name, credit_code=credit_code, enterprise_id=enterprise_id),
        segment=segment,
        gap_status=gap,
        task_force=task_force,
        task_force_kind=kind,
        owner=owner,
        county=county,
        zone=zone,
        planned_investment=planned,
        planned_fixed_asset=planned_fixed,
        created=_date(on, "date"),
    )
    with open_store() as store:
        reg = create_project(store=store, project_in=data)
    if fmt == "json":
        echo_json(
            _plain(
                {
                    "project": reg.project.model_dump(),
                    "warnings": [w.model_dump() | {"message": w.message(lang)} for w in reg.warnings],
                }
            )
        )
    else:
        p = reg.project
        typer.echo(
            pick(
                lang,
                f"已登记项目 {p.id}（{p.stage.label_zh}）：{p.enterprise.name}",
                f"registered project {p.id} ({p.stage.value}): {p.enterprise.name}",
            )
        )
    for w in reg.warnings:
        typer.echo(f"{pick(lang, '警告', 'Warning')}: {w.message(lang)}", err=True)


@app.command("move")
@handle_errors
def move(
    project_id: str = typer.Argument(..., help="项目编号 / project id"),
    stage: str = typer.Argument(..., help="目标阶段，如 对接、签约、开工、搁置、终止 / target stage"),
    actor: str = typer.Option(..., "--actor", help="操作人 / who made the change"),
    on: str = typer.Option(None, "--date", help=DATE_HELP),
    note: str = typer.Option("", "--note", help="备注 / note"),
    reason: str = typer.Option(None, "--reason", help="终止原因（终止时必填）/ reason, required to drop"),
    new_fixed_asset: str = typer.Option(None, "--new-fixed-asset", help="新开工固定资产投资（亿元）"),
    funds_fixed: str = typer.Option(None, "--funds-fixed", help="固定资产到位资金（亿元，累计）"),
    funds_non_fixed: str = typer.Option(None, "--funds-non-fixed", help="非固定资产到位资金（亿元，累计）"),
    lang: str = LangOpt,
) -> None:
    """阶段流转 / move a project to another stage."""
    lang = norm_lang(lang)
    changes = _given(
        new_fixed_asset_started=new_fixed_asset,
        funds_in_place_fixed=funds_fixed,
        funds_in_place_non_fixed=funds_non_fixed,
    )
    with open_store() as store:
        p = transition_project(
            store=store,
            project_id=project_id,
            to=stage,
            on=_date(on, "date"),
            actor=actor,
            note=note,
            reason=reason,
            changes=changes or None,
        )
    t = p.transitions[-1]
    typer.echo(
        pick(
            lang,
            f"项目 {p.id}：{t.from_stage.label_zh} → {t.to_stage.label_zh}（{t.date}，{t.actor}）",
            f"project {p.id}: {t.from_stage.value} -> {t.to_stage.value} ({t.date}, {t.actor})",
        )
    )


@app.command("update")
@handle_errors
def update(
    project_id: str = typer.Argument(..., help="项目编号 / project id"),
    owner: str = typer.Option(None, "--owner"),
    segment: str = typer.Option(None, "--segment"),
    planned: str = typer.Option(None, "--planned", help="计划总投资（亿元）"),
    planned_fixed: str = typer.Option(None, "--planned-fixed", help="其中固定资产投资（亿元）"),
    new_fixed_asset: str = typer.Option(None, "--new-fixed-asset", help="新开工固定资产投资（亿元）"),
    funds_fixed: str = typer.Option(None, "--funds-fixed", help="固定资产到位资金（亿元，累计）"),
    funds_non_fixed: str = typer.Option(None, "--funds-non-fixed", help="非固定资产到位资金（亿元，累计）"),
    lang: str = LangOpt,
) -> None:
    """更新金额或负责人（阶段请用 move）/ update amounts or owner (use move for the stage)."""
    lang = norm_lang(lang)
    changes = _given(
        owner=owner,
        segment=segment,
        planned_investment=planned,
        planned_fixed_asset=planned_fixed,
        new_fixed_asset_started=new_fixed_asset,
        funds_in_place_fixed=funds_fixed,
        funds_in_place_non_fixed=funds_non_fixed,
    )
    if not changes:
        raise InvalidInput(pick(lang, "没有要更新的字段", "nothing to update"), field="options")
    with open_store() as store:
        p = update_project(store=store, project_id=project_id, changes=changes)
    typer.echo(
        pick(
            lang, f"已更新项目 {p.id}：{', '.join(changes)}", f"updated project {p.id}: {', '.join(changes)}"
        )
    )


@app.command("log")
@handle_errors
def log(
    project_id: str = typer.Argument(..., help="项目编号 / project id"),
    method: str = typer.Option(
        ..., "--method", help="七跟法：分类跟|实地跟|定期跟|专业跟|持续跟|拼着跟|研判跟"
    ),
    actor: str = typer.Option(..., "--actor", help="跟进人 / who followed up"),
    on: str = typer.Option(None, "--date", help=DATE_HELP),
    note: str = typer.Option("", "--note", help="跟进情况 / what happened"),
    next_on: str = typer.Option(None, "--next", help="下次跟进日期 YYYY-MM-DD / next follow-up date"),
    lang: str = LangOpt,
) -> None:
    """记录跟进（七跟法）/ log a follow-up."""
    lang = norm_lang(lang)
    with open_store() as store:
        fu = log_followup(
            store=store,
            project_id=project_id,
            method=method,
            on=_date(on, "date"),
            actor=actor,
            note=note,
            next_date=_date(next_on, "next"),
        )
    typer.echo(
        pick(
            lang,
            f"已记录跟进 {fu.id}：{fu.method.label_zh}（{fu.date}，{fu.actor}）",
            f"logged follow-up {fu.id}: {fu.method.value} ({fu.date}, {fu.actor})",
        )
    )


@app.command("show")
@handle_errors
def show(
    project_id: str = typer.Argument(..., help="项目编号 / project id"),
    fmt: str = FORMAT,
    lang: str = LangOpt,
) -> None:
    """查看项目、阶段历史与跟进 / show a project with its history and follow-ups."""
    lang, fmt = norm_lang(lang), check_format(fmt, FORMATS)
    with open_store() as store:
        p = get_project(store=store, project_id=project_id)
        fus = list_followups(store=store, project_id=project_id)
    if fmt == "json":
        echo_json(_plain({"project": p.model_dump(), "followups": [f.model_dump() for f in fus]}))
        return
    typer.echo(f"{p.id}  {p.enterprise.name}  {p.stage.label(lang)}  {p.task_force} / {p.owner}")
    if p.next_followup:
        typer.echo(pick(lang, f"下次跟进 {p.next_followup}", f"next follow-up {p.next_followup}"))
    for i in p.issues:
        typer.echo(f"{i.kind.label(lang)} {i.id}: {i.text} [{pick(lang, i.status.label_zh, i.status.value)}]")
    rows = [[pick(lang, "登记", "created"), "", p.created, "", ""]]
    rows += [
        [t.from_stage.label(lang), t.to_stage.label(lang), t.date, t.actor, t.note] for t in p.transitions
    ]
    echo_table(
        [
            pick(lang, h, e)
            for h, e in [("自", "from"), ("至", "to"), ("日期", "date"), ("操作人", "actor"), ("备注", "note")]
        ],
        rows,
    )
    if fus:
        typer.echo("")
        echo_table(
            [
                pick(lang, h, e)
                for h, e in [("编号", "id"), ("方式", "method"), ("日期", "date"), ("跟进人", "actor"), ("情况", "note")]
            ],
            [[f.id, f.method.label(lang), f.date, f.actor, f.note] for f in fus],
        )


@app.command("list")
@handle_errors
def list_(
    stage: str = typer.Option(None, "--stage", help="阶段 / stage"),
    task_force: str = typer.Option(None, "--task-force", help="招商队伍 / task force"),
    region: str = typer.Option(None, "--region", help="县或开发区（名称或编号，如 盐湖）/ county or zone name or id"),
    segment: str = typer.Option(None, "--segment", help="目标环节（名称或编号）/ segment name or id"),
    fmt: str = FORMAT,
    lang: str = LangOpt,
) -> None:
    """列出项目 / list projects."""
    lang, fmt = norm_lang(lang), check_format(fmt, FORMATS)
    with open_store() as store:
        projects = list_projects(
            store=store, stage=stage, task_force=task_force, region=region, segment=segment
        )
    if fmt == "json":
        echo_json(_plain([p.model_dump() for p in projects]))
        return
    headers = [
        pick(lang, h, e)
        for h, e in [
            ("编号", "id"),
            ("企业", "enterprise"),
            ("阶段", "stage"),
            ("招商队伍", "task force"),
            ("负责人", "owner"),
            ("计划总投资(亿元)", "planned (100m CNY)"),
            ("最近变更", "last change"),
        ]
    ]
    rows = [
        [
            p.id,
            p.enterprise.name,
            p.stage.label(lang),
            p.task_force,
            p.owner,
            _num(p.planned_investment),
            p.last_change,
        ]
        for p in projects
    ]
    echo_table(headers, rows)
    typer.echo(pick(lang, f"共 {len(projects)} 个项目", f"{len(projects)} projects"))


def _kpis(
    store: Store,
    year: int | None,
    start: str | None,
    end: str | None,
    region: str | None,
    task_force: str | None,
    stalled_days: int | None,
    today: str | None,
) -> KpiReport:
    return project_kpis(
        store=store,
        year=year,
        start=_date(start, "from"),
        end=_date(end, "to"),
        region=region,
        task_force=task_force,
        stalled_days=stalled_days,
        today=_date(today, "today"),
    )


@app.command("kpi")
@handle_errors
def kpi(
    year: int = typer.Option(None, "--year", help="年度（默认今年）/ year (default: this year)"),
    start: str = typer.Option(None, "--from", help="起始日期（代替 --year）/ period start"),
    end: str = typer.Option(None, "--to", help="截止日期 / period end"),
    region: str = typer.Option(
        None, "--region", help="县或开发区（名称或编号，如 盐湖），默认全市 / county or zone name or id, default city"
    ),
    task_force: str = typer.Option(None, "--task-force", help="招商队伍 / task force"),
    stalled_days: int | None = typer.Option(
        None, "--stalled-days", help="统一停滞阈值（天），缺省按阶段规则 / one threshold, default: per-stage rules"
    ),
    today: str = typer.Option(None, "--today", help="统计日（默认今天）/ as-of date"),
    fmt: str = FORMAT,
    lang: str = LangOpt,
) -> None:
    """招商指标 / investment-promotion KPIs."""
    from chainmap.projects.report import kpi_table, stage_duration_table, stalled_table

    lang, fmt = norm_lang(lang), check_format(fmt, FORMATS)
    with open_store() as store:
        report = _kpis(store, year, start, end, region, task_force, stalled_days, today)
        where = _region_label(store, report.region, lang)
    if fmt == "json":
        echo_json(_plain(report.model_dump()))
        return
    typer.echo(
        pick(
            lang,
            f"统计期间 {report.period_start} ~ {report.period_end}；区域：{where}；"
            f"招商队伍：{report.task_force or '全部'}",
            f"period {report.period_start} ~ {report.period_end}; region: {where}; "
            f"task force: {report.task_force or 'all'}",
        )
    )
    for builder in (kpi_table, stage_duration_table):
        headers, rows = builder(report, lang=lang)
        typer.echo("")
        echo_table(headers, [[_num(v) for v in r] for r in rows])
    typer.echo("")
    typer.echo(
        pick(
            lang,
            f"停滞项目（{'；'.join(r.explain('zh') for r in report.stall_rules)}）：{len(report.stalled)} 个",
            f"stalled projects ({'; '.join(r.explain('en') for r in report.stall_rules)}): {len(report.stalled)}",
        )
    )
    if report.stalled:
        headers, rows = stalled_table(report.stalled, lang=lang)
        echo_table(headers, rows)


@app.command("export")
@handle_errors
def export(
    output: Path = typer.Option(..., "--output", "-o", help="输出文件 / output file"),
    fmt: str = typer.Option("xlsx", "--format", "-f", help="xlsx|csv"),
    year: int = typer.Option(None, "--year", help="指标年度（默认今年）/ KPI year"),
    region: str = typer.Option(None, "--region", help="县或开发区（名称或编号，如 盐湖）/ county or zone name or id"),
    task_force: str = typer.Option(None, "--task-force", help="招商队伍 / task force"),
    stage: str = typer.Option(None, "--stage", help="只导出该阶段的项目 / only projects at this stage"),
    stalled_days: int | None = typer.Option(None, "--stalled-days", help="统一停滞阈值（天），缺省按阶段规则"),
    today: str = typer.Option(None, "--today", help="统计日 / as-of date"),
    lang: str = LangOpt,
) -> None:
    """导出项目、指标、停滞项目、跟进记录与问题诉求（xlsx 五个工作表；csv 仅项目）/ export projects, KPIs, stalled, follow-ups."""
    lang = norm_lang(lang)
    check_output(output, lang=lang)
    with open_store() as store:
        export = export_projects(
            store=store,
            format=fmt,
            year=year,
            region=region,
            task_force=task_force,
            stage=stage,
            stalled_days=stalled_days,
            today=_date(today, "today"),
            lang=lang,
        )
    write_output(output, export.content, lang=lang)
    typer.echo(
        pick(
            lang,
            f"已导出 {export.count} 个项目到 {output}",
            f"exported {export.count} projects to {output}",
        )
    )


@app.command("rank")
@handle_errors
def rank(
    year: int = typer.Option(..., "--year", help="年度 / year"),
    by: str = typer.Option("county", "--by", help="county 县（市、区）| task_force 招商队伍"),
    output: Path = typer.Option(None, "--output", "-o", help="写出考核排名工作簿（.xlsx）/ write the ranking workbook"),
    today: str = typer.Option(None, "--today", help="统计日 / as-of date"),
    fmt: str = FORMAT,
    lang: str = LangOpt,
) -> None:
    """考核排名：各县区或招商队伍按自身目标的完成率与综合得分 / ranking of units against their own targets."""
    from chainmap.projects.report import ranking_table
    from chainmap.projects.service import export_ranking, unit_ranking

    lang = norm_lang(lang)
    fmt = check_format(fmt, FORMATS)
    with open_store() as store:
        if output is not None:
            check_output(output, lang=lang)
            export = export_ranking(store=store, year=year, by=by, today=_date(today, "today"), lang=lang)
            write_output(output, export.content, lang=lang)
            typer.echo(pick(lang, f"已写出考核排名到 {output}", f"wrote the ranking to {output}"))
            return
        ranking = unit_ranking(store=store, year=year, by=by, today=_date(today, "today"))
    if fmt == "json":
        echo_json(_plain(ranking.model_dump()))
        return
    headers, rows = ranking_table(ranking, lang=lang)
    typer.echo(pick(lang, ranking.method_zh, ranking.method_en))
    echo_table(headers, [[_num(v) for v in r] for r in rows])


# ---------------------------------------------------------------------------
def _region_label(store: Store, region: str | None, lang: str) -> str:
    """The region's name in ``lang`` (全市 / whole city for None); the id if the store lacks it."""
    if region is None:
        return pick(lang, "全市", "whole city")
    try:
        r = store.get_region(region)
    except NotFound:  # a label, never an error
        return region
    return pick(lang, r.name_zh, r.name_en or r.name_zh)


@targets_app.command("set")
@handle_errors
def targets_set(
    year: int = typer.Option(..., "--year", help="年度 / year"),
    region: str = typer.Option(None, "--region", help="县或开发区（名称或编号，如 永济），默认全市 / region name or id, default city"),
    task_force: str = typer.Option(None, "--task-force", help="招商队伍（队伍自己的目标）/ a task force's own target"),
    signed_count: int = typer.Option(None, "--signed-count", help="签约项目数目标"),
    signed_value: str = typer.Option(None, "--signed-value", help="签约总额目标（亿元）"),
    start_rate: str = typer.Option(None, "--start-rate", help="签约开工率目标（%）"),
    new_fixed_asset: str = typer.Option(None, "--new-fixed-asset", help="新开工固定资产投资目标（亿元）"),
    funds_fixed: str = typer.Option(None, "--funds-fixed", help="固定资产到位资金目标（亿元）"),
    funds_non_fixed: str = typer.Option(None, "--funds-non-fixed", help="非固定资产到位资金目标（亿元）"),
    lang: str = LangOpt,
) -> None:
    """设定年度目标 / set a year's targets for a region."""
    lang = norm_lang(lang)
    data = _given(
        year=year,
        region=region,
        task_force=task_force,
        signed_count=signed_count,
        signed_value=signed_value,
        start_rate=start_rate,
        new_fixed_asset=new_fixed_asset,
        funds_fixed=funds_fixed,
        funds_non_fixed=funds_non_fixed,
    )
    with open_store() as store:
        t = set_target(store=store, target_in=data)
        where = t.task_force or _region_label(store, t.region, lang)
    typer.echo(pick(lang, f"已设定 {t.year} 年目标（{where}）", f"set the {t.year} targets ({where})"))


@targets_app.command("list")
@handle_errors
def targets_list(
    year: int = typer.Option(None, "--year", help="年度 / year"),
    fmt: str = FORMAT,
    lang: str = LangOpt,
) -> None:
    """列出年度目标 / list targets."""
    lang, fmt = norm_lang(lang), check_format(fmt, FORMATS)
    with open_store() as store:
        targets = list_targets(store=store, year=year)
        names = {t.region: _region_label(store, t.region, lang) for t in targets}
    if fmt == "json":
        echo_json(_plain([t.model_dump() for t in targets]))
        return
    headers = [
        pick(lang, h, e)
        for h, e in [
            ("年度", "year"),
            ("单位", "unit"),
            ("签约项目数", "signed count"),
            ("签约总额(亿元)", "signed value"),
            ("签约开工率(%)", "start rate %"),
            ("新开工固投(亿元)", "new fixed asset"),
            ("固投到位(亿元)", "funds fixed"),
            ("非固投到位(亿元)", "funds non-fixed"),
        ]
    ]
    rows = [
        [
            t.year,
            t.task_force or names[t.region],
            t.signed_count,
            _num(t.signed_value),
            _num(t.start_rate),
            _num(t.new_fixed_asset),
            _num(t.funds_fixed),
            _num(t.funds_non_fixed),
        ]
        for t in targets
    ]
    echo_table(headers, rows)
