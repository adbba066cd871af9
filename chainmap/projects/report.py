"""Renderers of the investment-project context: tables, the XLSX workbook and the CSV export.

The workbook has five sheets — 项目 (projects), 指标 (KPIs), 停滞项目
(stalled, with the rule each broke), 跟进记录 (follow-ups), 困难问题与诉求
(problems and requests) — printable on A4 landscape (fit to width, header
row repeated), with Chinese headers (English with ``lang="en"``), numbers
stored as numbers (amounts in 亿元 with two decimals shown), dates as dates,
and column widths fitted to the content.  The CSV holds the projects table in
UTF-8 with a BOM, so Excel opens the Chinese text correctly.

>>> from datetime import date
>>> from chainmap.projects.models import Project
>>> p = Project(id="p1", enterprise={"name": "示例镁业有限公司"}, task_force="镁专班",
...             task_force_kind="special_team", owner="张三", created=date(2021, 3, 1), planned_investment="5.5")
>>> headers, rows = project_table([p], lang="en")
>>> headers[:3], rows[0][:3]
(['id', 'title', 'enterprise'], ['p1', '', '示例镁业有限公司'])
>>> projects_csv([p]).startswith("\\ufeff编号,")
True
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from chainmap.i18n import norm_lang, pick
from chainmap.projects.kpis import KPI_DEFINITIONS, KpiReport, StalledProject, UnitRanking, percent_of
from chainmap.projects.models import FollowUp, Project, ProjectStage
from chainmap.projects.stages import stage_dates
from chainmap.safe_output import append_xlsx_row, safe_csv_writer
from chainmap.textfmt import display_width

__all__ = [
    "SHEET_NAMES",
    "project_table",
    "kpi_table",
    "stage_duration_table",
    "stalled_table",
    "write_projects_xlsx",
    "projects_csv",
    "write_projects_csv",
    "followup_table",
    "issue_table",
    "ranking_table",
    "write_ranking_xlsx",
    "ranking_xlsx_bytes",
]

#: Sheet names per language: projects, KPIs, stalled, follow-ups, problems and requests.
SHEET_NAMES = {
    "zh": ("项目", "指标", "停滞项目", "跟进记录", "困难问题与诉求"),
    "en": ("projects", "KPIs", "stalled", "follow-ups", "problems and requests"),
}

_MONEY_FORMAT = "0.00"
_MAX_WIDTH = 48

# (zh header, en header, getter)
_PROJECT_COLUMNS: list[tuple[str, str, Any]] = [
    ("编号", "id", lambda p, lang: p.id),
    ("项目名称", "title", lambda p, lang: p.title),
    ("企业名称", "enterprise", lambda p, lang: p.enterprise.name),
    ("统一社会信用代码", "credit_code", lambda p, lang: p.enterprise.credit_code),
    ("企业编号", "enterprise_id", lambda p, lang: p.enterprise.enterprise_id),
    ("目标环节", "segment", lambda p, lang: p.segment),
    ("强链/补链/延链", "gap_status", lambda p, lang: p.gap_status.label(lang) if p.gap_status else None),
    ("招商队伍", "task_force", lambda p, lang: p.task_force),
    ("队伍类型", "task_force_kind", lambda p, lang: p.task_force_kind.label(lang)),
    ("负责人", "owner", lambda p, lang: p.owner),
    ("县（市、区）", "county", lambda p, lang: p.county),
    ("开发区", "zone", lambda p, lang: p.zone),
    ("阶段", "stage", lambda p, lang: p.stage.label(lang)),
    ("计划总投资（亿元）", "planned_investment_100m_cny", lambda p, lang: p.planned_investment),
    ("其中固定资产投资（亿元）", "planned_fixed_asset_100m_cny", lambda p, lang: p.planned_fixed_asset),
    (
        "新开工固定资产投资（亿元）",
        "new_fixed_asset_started_100m_cny",
        lambda p, lang: p.new_fixed_asset_started,
    ),
    ("固定资产到位资金（亿元）", "funds_in_place_fixed_100m_cny", lambda p, lang: p.funds_in_place_fixed),
    (
        "非固定资产到位资金（亿元）",
        "funds_in_place_non_fixed_100m_cny",
        lambda p, lang: p.funds_in_place_non_fixed,
    ),
    ("登记日期", "created", lambda p, lang: p.created),
    ("签约日期", "signed_on", lambda p, lang: stage_dates(p).get(ProjectStage.signed)),
    ("开工日期", "started_on", lambda p, lang: stage_dates(p).get(ProjectStage.started)),
    ("投产日期", "in_production_on", lambda p, lang: stage_dates(p).get(ProjectStage.in_production)),
    ("最近变更日期", "last_change", lambda p, lang: p.last_change),
    ("下次跟进日期", "next_followup", lambda p, lang: p.next_followup),
    ("未解决问题/诉求", "open_issues", lambda p, lang: sum(1 for i in p.issues if i.status.value != "resolved")),
    ("关联项目", "related_projects", lambda p, lang: ";".join(p.related_projects)),
    ("终止原因", "drop_reason", lambda p, lang: p.drop_reason),
]


def project_table(projects: Iterable[Project], *, lang: str = "zh") -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of the projects sheet (amounts as Decimal, dates as date)."""
    lang = norm_lang(lang)
    headers = [pick(lang, zh, en) for zh, en, _ in _PROJECT_COLUMNS]
    rows = [[get(p, lang) for _, _, get in _PROJECT_COLUMNS] for p in projects]
    return headers, rows


def kpi_table(report: KpiReport, *, lang: str = "zh") -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of the KPI table: indicator, actual, target, % of target, unit.

    >>> from chainmap.projects.kpis import compute_kpis
    >>> r = compute_kpis([], year=2021, today=date(2022, 1, 1))
    >>> kpi_table(r, lang="en")[1][0]
    ['signed projects', 0, None, None, 'projects']
    """
    lang = norm_lang(lang)
    r = report
    headers = [
        pick(lang, h_zh, h_en)
        for h_zh, h_en in [
            ("指标", "indicator"),
            ("实际", "actual"),
            ("目标", "target"),
            ("完成率（%）", "% of target"),
            ("单位", "unit"),
        ]
    ]
    yi, n, pct = pick(lang, "亿元", "100m CNY"), pick(lang, "个", "projects"), "%"
    count_pct = r.signed_count_pct if r.signed_count_pct is not None else percent_of(r.signed_count, r.signed_count_target)
    rows: list[list[Any]] = [
        [pick(lang, "签约项目数", "signed projects"), r.signed_count, r.signed_count_target, count_pct, n],
        [
            pick(lang, "签约总额", "signed value"),
            r.signed_value,
            r.signed_value_target,
            r.signed_value_pct,
            yi,
        ],
        [pick(lang, "开工项目数", "started projects"), r.started_count, None, None, n],
        [
            pick(lang, "开工率", "start rate (of projects waiting to start)"),
            r.open_start_rate,
            r.open_start_rate_target,
            r.open_start_rate_pct,
            pct,
        ],
        [
            pick(lang, "签约开工率", "start rate (started / signed)"),
            r.start_rate,
            r.start_rate_target,
            r.start_rate_pct,
            pct,
        ],
        [
            pick(lang, "开工投产率", "started-to-production rate"),
            r.production_rate,
            r.production_rate_target,
            r.production_rate_pct,
            pct,
        ],
        [
            pick(lang, "投产达效率", "production-to-design-output rate"),
            r.output_rate,
            r.output_rate_target,
            r.output_rate_pct,
            pct,
        ],
        [
            pick(lang, "新开工项目固定资产投资", "new fixed-asset investment started"),
            r.new_fixed_asset_started,
            r.new_fixed_asset_target,
            r.new_fixed_asset_pct,
            yi,
        ],
        [
            pick(lang, "固定资产到位资金", "fixed-asset funds in place"),
            r.funds_fixed,
            r.funds_fixed_target,
            r.funds_fixed_pct,
            yi,
        ],
        [
            pick(lang, "非固定资产到位资金", "non-fixed-asset funds in place"),
            r.funds_non_fixed,
            r.funds_non_fixed_target,
            r.funds_non_fixed_pct,
            yi,
        ],
    ]
    return headers, rows


def stage_duration_table(report: KpiReport, *, lang: str = "zh") -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of the stage-duration table (days between consecutive stages)."""
    lang = norm_lang(lang)
    headers = [
        pick(lang, zh, en)
        for zh, en in [
            ("阶段", "stages"),
            ("项目数", "n"),
            ("中位天数", "median days"),
            ("平均天数", "mean days"),
        ]
    ]
    rows = [
        [f"{d.from_stage.label(lang)} → {d.to_stage.label(lang)}", d.n, d.median_days, d.mean_days]
        for d in report.stage_durations
    ]
    return headers, rows


def stalled_table(
    stalled: Iterable[StalledProject], *, lang: str = "zh"
) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of the stalled-projects sheet."""
    lang = norm_lang(lang)
    headers = [
        pick(lang, zh, en)
        for zh, en in [
            ("编号", "id"),
            ("企业名称", "enterprise"),
            ("招商队伍", "task_force"),
            ("负责人", "owner"),
            ("阶段", "stage"),
            ("最近活动日期", "since"),
            ("停滞天数", "days"),
            ("停滞规则", "rule"),
        ]
    ]
    rows = [
        [
            s.project_id,
            s.enterprise,
            s.task_force,
            s.owner,
            s.stage.label(lang),
            s.since,
            s.days,
            s.rule_en if lang == "en" else s.rule_zh,
        ]
        for s in stalled
    ]
    return headers, rows


def followup_table(
    followups: Iterable[FollowUp], projects: Iterable[Project], *, lang: str = "zh"
) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of the follow-ups sheet (by project, then date)."""
    lang = norm_lang(lang)
    names = {p.id: p.enterprise.name for p in projects}
    headers = [
        pick(lang, zh, en)
        for zh, en in [
            ("项目编号", "project"),
            ("企业名称", "enterprise"),
            ("日期", "date"),
            ("七跟法", "method"),
            ("跟进人", "actor"),
            ("情况", "note"),
            ("下次跟进日期", "next date"),
        ]
    ]
    rows = [
        [f.project, names.get(f.project, ""), f.date, f.method.label(lang), f.actor, f.note, f.next_date]
        for f in sorted(followups, key=lambda f: (f.project, f.date, f.id))
    ]
    return headers, rows


def issue_table(projects: Iterable[Project], *, lang: str = "zh") -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of the problems-and-requests sheet."""
    lang = norm_lang(lang)
    headers = [
        pick(lang, zh, en)
        for zh, en in [
            ("项目编号", "project"),
            ("企业名称", "enterprise"),
            ("类别", "kind"),
            ("内容", "text"),
            ("提出人", "raised by"),
            ("提出日期", "raised on"),
            ("承办人", "handler"),
            ("状态", "status"),
            ("更新日期", "updated on"),
        ]
    ]
    rows = [
        [
            p.id,
            p.enterprise.name,
            i.kind.label(lang),
            i.text,
            i.raised_by,
            i.raised_on,
            i.handler,
            pick(lang, i.status.label_zh, i.status.value.replace("_", " ")),
            i.updated_on,
        ]
        for p in projects
        for i in p.issues
    ]
    return headers, rows


def _print_a4(ws: Any, *, title_rows: str | None = "1:1", landscape: bool = True) -> None:
    """A4, fit to one page wide (as many pages tall as needed), the header row repeated."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    if title_rows:
        ws.print_title_rows = title_rows


def _meta_rows(report: KpiReport, lang: str) -> list[list[Any]]:
    return [
        [pick(lang, "统计期间", "period"), f"{report.period_start} ~ {report.period_end}"],
        [pick(lang, "区域", "region"), report.region or pick(lang, "全市", "whole city")],
        [pick(lang, "招商队伍", "task force"), report.task_force or pick(lang, "全部", "all")],
        [pick(lang, "统计日", "as of"), report.today],
    ]


def _cell_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, Decimal):
        return f"{v:.2f}"
    return str(v)


def _write_rows(ws: Any, rows: Sequence[Sequence[Any]], *, bold: bool = False) -> None:
    for row in rows:
        append_xlsx_row(ws, row)
        if bold:
            for cell in ws[ws.max_row]:
                cell.font = Font(bold=True)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, Decimal):
                cell.number_format = _MONEY_FORMAT
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"


def _fit_columns(ws: Any) -> None:
    widths: dict[int, int] = {}
    for row in ws.iter_rows():
        for cell in row:
            w = display_width(_cell_text(cell.value))
            widths[cell.column] = max(widths.get(cell.column, 0), w)
    for col, w in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = min(_MAX_WIDTH, max(8, w + 2))


def write_projects_xlsx(
    dest: str | os.PathLike[str] | IO[bytes],
    projects: Iterable[Project],
    report: KpiReport,
    *,
    lang: str = "zh",
    followups: Iterable[FollowUp] = (),
) -> None:
    """Write the workbook (projects, KPIs, stalled, follow-ups, problems) to a path or binary stream.

    Parameters
    ----------
    dest : path or binary file
    projects : iterable of Project
        Rows of the projects sheet.
    report : KpiReport
        The KPI sheet and the stalled sheet (``report.stalled``).
    lang : {"zh", "en"}
    followups : iterable of FollowUp
        Rows of the follow-ups sheet.

    Examples
    --------
    >>> import io
    >>> from openpyxl import load_workbook
    >>> from chainmap.projects.kpis import compute_kpis
    >>> buf = io.BytesIO()
    >>> write_projects_xlsx(buf, [], compute_kpis([], year=2021, today=date(2022, 1, 1)))
    >>> load_workbook(io.BytesIO(buf.getvalue())).sheetnames
    ['项目', '指标', '停滞项目', '跟进记录', '困难问题与诉求']
    """
    lang = norm_lang(lang)
    names = SHEET_NAMES[lang]
    projects = list(projects)
    wb = Workbook()
    ws = wb.active
    ws.title = names[0]
    headers, rows = project_table(projects, lang=lang)
    _write_rows(ws, [headers], bold=True)
    _write_rows(ws, rows)
    ws.freeze_panes = "B2"
    if rows:
        ws.auto_filter.ref = ws.dimensions
    _fit_columns(ws)
    _print_a4(ws)

    ws = wb.create_sheet(names[1])
    _write_rows(ws, _meta_rows(report, lang))
    ws.append([])
    headers, rows = kpi_table(report, lang=lang)
    _write_rows(ws, [headers], bold=True)
    _write_rows(ws, rows)
    ws.append([])
    headers, rows = stage_duration_table(report, lang=lang)
    _write_rows(ws, [headers], bold=True)
    _write_rows(ws, rows)
    _fit_columns(ws)
    for row in ws.iter_rows():
        for cell in row:
            if cell.column > 1:
                cell.alignment = Alignment(horizontal="right")
    _print_a4(ws, title_rows=None, landscape=False)

    ws = wb.create_sheet(names[2])
    headers, rows = stalled_table(report.stalled, lang=lang)
    _write_rows(
        ws,
        [
            [
                pick(
                    lang,
                    "停滞规则（按阶段）：" + "；".join(r.explain("zh") for r in report.stall_rules),
                    "stall rules (by stage): " + "; ".join(r.explain("en") for r in report.stall_rules),
                )
            ]
        ],
    )
    _write_rows(ws, [headers], bold=True)
    _write_rows(ws, rows)
    ws.freeze_panes = "A3"
    _fit_columns(ws)
    ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width, 14)
    _print_a4(ws, title_rows="2:2")

    ws = wb.create_sheet(names[3])
    headers, rows = followup_table(followups, projects, lang=lang)
    _write_rows(ws, [headers], bold=True)
    _write_rows(ws, rows)
    ws.freeze_panes = "A2"
    _fit_columns(ws)
    for row in ws.iter_rows(min_row=2, min_col=6, max_col=6):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    _print_a4(ws)

    ws = wb.create_sheet(names[4])
    headers, rows = issue_table(projects, lang=lang)
    _write_rows(ws, [headers], bold=True)
    _write_rows(ws, rows)
    ws.freeze_panes = "A2"
    _fit_columns(ws)
    for row in ws.iter_rows(min_row=2, min_col=4, max_col=4):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    _print_a4(ws)
    wb.save(dest)


def projects_csv(projects: Iterable[Project], *, lang: str = "zh") -> str:
    """The projects table as CSV text starting with a BOM (write it as UTF-8)."""
    headers, rows = project_table(projects, lang=lang)
    buf = io.StringIO()
    buf.write("\ufeff")
    w = safe_csv_writer(buf, lineterminator="\r\n")  # formula-like text neutralised; Decimal as plain 1.50
    w.writerow(headers)
    w.writerows(rows)
    return buf.getvalue()


def write_projects_csv(
    dest: str | os.PathLike[str], projects: Iterable[Project], *, lang: str = "zh"
) -> None:
    """Write :func:`projects_csv` to ``dest`` (UTF-8 with BOM)."""
    with open(dest, "w", encoding="utf-8", newline="") as fh:
        fh.write(projects_csv(projects, lang=lang))


def ranking_table(ranking: UnitRanking, *, lang: str = "zh") -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of the 考核 ranking: rank, unit, each KPI's actual and % of its own target, score.

    >>> from chainmap.projects.kpis import unit_kpis
    >>> r = unit_kpis([], [], year=2021, by="task_force", today=date(2021, 6, 1))
    >>> ranking_table(r)[0][:4]
    ['排名', '单位', '签约项目数', '完成率（%）']
    """
    lang = norm_lang(lang)
    pct_head = pick(lang, "完成率（%）", "% of target")
    headers = [pick(lang, "排名", "rank"), pick(lang, "单位", "unit")]
    for _key, zh, en, unit in KPI_DEFINITIONS:
        unit_en = {"个": "projects", "亿元": "100m CNY", "%": "%"}[unit]
        head = zh if unit == "个" else f"{zh}（{unit}）"
        headers += [pick(lang, head, f"{en} ({unit_en})"), pct_head]
    headers += [pick(lang, "有目标指标数", "KPIs with a target"), pick(lang, "综合得分", "score")]
    actual = {
        "signed_count": "signed_count",
        "signed_value": "signed_value",
        "open_start_rate": "open_start_rate",
        "new_fixed_asset": "new_fixed_asset_started",
        "funds_fixed": "funds_fixed",
        "funds_non_fixed": "funds_non_fixed",
        "start_rate": "start_rate",
        "production_rate": "production_rate",
        "output_rate": "output_rate",
    }
    pct = {k: f"{k}_pct" for k in actual}
    pct["new_fixed_asset"] = "new_fixed_asset_pct"
    rows = []
    for unit_kpi in ranking.units:
        row: list[Any] = [
            unit_kpi.rank if unit_kpi.rank is not None else "—",
            unit_kpi.name_en if lang == "en" else unit_kpi.name_zh,
        ]
        for key, *_ in KPI_DEFINITIONS:
            row += [getattr(unit_kpi.report, actual[key]), getattr(unit_kpi.report, pct[key])]
        row += [unit_kpi.scored, unit_kpi.score]
        rows.append(row)
    return headers, rows


def write_ranking_xlsx(dest: str | os.PathLike[str] | IO[bytes], ranking: UnitRanking, *, lang: str = "zh") -> None:
    """The 考核 ranking workbook: title, method, one row per unit; A4 landscape, one page wide.

    Formatted like the gaps workbook (bold header, fitted widths, frozen header and unit
    column); numbers are numbers, never formulas (:func:`chainmap.safe_output.append_xlsx_row`).
    """
    lang = norm_lang(lang)
    wb = Workbook()
    ws = wb.active
    kind = pick(lang, "县（市、区）", "counties") if ranking.by == "county" else pick(lang, "招商队伍", "task forces")
    ws.title = pick(lang, "考核排名", "ranking")
    _write_rows(ws, [[pick(lang, f"{ranking.year} 年招商考核排名 · {kind}", f"{ranking.year} investment ranking · {kind}")]], bold=True)
    _write_rows(ws, [[pick(lang, ranking.method_zh, ranking.method_en)]])
    _write_rows(ws, [[pick(lang, "统计日", "as of"), ranking.today]])
    headers, rows = ranking_table(ranking, lang=lang)
    _write_rows(ws, [headers], bold=True)
    head_row = ws.max_row
    _write_rows(ws, rows)
    fill = PatternFill("solid", fgColor="EEF2F7")
    for cell in ws[head_row]:
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    widths = {1: 6, 2: 22}
    for col in range(3, len(headers) + 1):
        widths[col] = 11
    for col, w in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = w
    ws.row_dimensions[head_row].height = 48
    ws.freeze_panes = ws.cell(row=head_row + 1, column=3)
    _print_a4(ws, title_rows=f"{head_row}:{head_row}")
    wb.save(dest)


def ranking_xlsx_bytes(ranking: UnitRanking, *, lang: str = "zh") -> bytes:
    """The workbook of :func:`write_ranking_xlsx` as bytes."""
    buf = io.BytesIO()
    write_ranking_xlsx(buf, ranking, lang=lang)
    return buf.getvalue()
