"""Renderers of the investment-project context: tables, the XLSX workbook and the CSV export.

The workbook has three sheets — 项目 (projects), 指标 (KPIs), 停滞项目
(stalled) — with Chinese headers (English with ``lang="en"``), numbers
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
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from chainmap.i18n import norm_lang, pick
from chainmap.projects.kpis import KpiReport, StalledProject, percent_of
from chainmap.projects.models import Project, ProjectStage
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
]

#: Sheet names per language: projects, KPIs, stalled.
SHEET_NAMES = {"zh": ("项目", "指标", "停滞项目"), "en": ("projects", "KPIs", "stalled")}

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
    count_pct = percent_of(r.signed_count, r.signed_count_target)
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
            pick(lang, "签约开工率", "start rate (started / signed)"),
            r.start_rate,
            r.start_rate_target,
            None,
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
            ("最近变更日期", "since"),
            ("停滞天数", "days"),
        ]
    ]
    rows = [
        [s.project_id, s.enterprise, s.task_force, s.owner, s.stage.label(lang), s.since, s.days]
        for s in stalled
    ]
    return headers, rows


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
) -> None:
    """Write the three-sheet workbook (projects, KPIs, stalled) to a path or binary stream.

    Parameters
    ----------
    dest : path or binary file
    projects : iterable of Project
        Rows of the projects sheet.
    report : KpiReport
        The KPI sheet and the stalled sheet (``report.stalled``).
    lang : {"zh", "en"}

    Examples
    --------
    >>> import io
    >>> from openpyxl import load_workbook
    >>> from chainmap.projects.kpis import compute_kpis
    >>> buf = io.BytesIO()
    >>> write_projects_xlsx(buf, [], compute_kpis([], year=2021, today=date(2022, 1, 1)))
    >>> load_workbook(io.BytesIO(buf.getvalue())).sheetnames
    ['项目', '指标', '停滞项目']
    """
    lang = norm_lang(lang)
    names = SHEET_NAMES[lang]
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

    ws = wb.create_sheet(names[2])
    headers, rows = stalled_table(report.stalled, lang=lang)
    _write_rows(
        ws,
        [
            [
                pick(
                    lang,
                    f"停滞阈值：{report.stalled_days} 天无阶段变更",
                    f"threshold: no stage change for {report.stalled_days} days",
                )
            ]
        ],
    )
    _write_rows(ws, [headers], bold=True)
    _write_rows(ws, rows)
    ws.freeze_panes = "A3"
    _fit_columns(ws)
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
