"""XLSX (three sheets, numbers as numbers) and CSV (UTF-8 with BOM) exports."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook

from chainmap.projects import Project, Target, compute_kpis
from chainmap.projects.report import projects_csv, write_projects_csv, write_projects_xlsx
from tests.projects.projects_helpers import new_project, walk_to


def _projects() -> list[Project]:
    a = walk_to(
        new_project(id="a", planned_investment="12.5", planned_fixed_asset="8", county="yanhu"), "signed"
    )
    b = new_project(id="b", enterprise={"name": "示例铜业有限公司"}, task_force="盐湖区招商小分队",
                    task_force_kind="squad", planned_investment="3.25")  # fmt: skip
    return [a, b]


def _rows(ws) -> list[list]:  # type: ignore[no-untyped-def]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_xlsx_has_three_sheets_with_chinese_headers_and_numbers(tmp_path: Path) -> None:
    ps = _projects()
    report = compute_kpis(
        ps, [Target(year=2021, signed_value=10, start_rate=60)], year=2021, today=date(2021, 6, 30)
    )
    out = tmp_path / "p.xlsx"
    write_projects_xlsx(out, ps, report)
    wb = load_workbook(out)
    assert wb.sheetnames == ["项目", "指标", "停滞项目"]

    rows = _rows(wb["项目"])
    header = rows[0]
    assert header[:3] == ["编号", "项目名称", "企业名称"]
    col = {h: i for i, h in enumerate(header)}
    a = rows[1]
    assert a[col["编号"]] == "a" and a[col["阶段"]] == "签约" and a[col["队伍类型"]] == "招商专班"
    assert a[col["计划总投资（亿元）"]] == 12.5 and isinstance(a[col["计划总投资（亿元）"]], float)
    assert a[col["签约日期"]] == datetime(2021, 2, 3)
    assert rows[2][col["计划总投资（亿元）"]] == 3.25
    assert rows[2][col["签约日期"]] is None
    ws = wb["项目"]
    assert ws.column_dimensions["C"].width >= 16  # a Chinese company name fits
    assert ws.cell(row=2, column=col["计划总投资（亿元）"] + 1).number_format == "0.00"

    kpi = {r[0]: r for r in _rows(wb["指标"]) if r[0]}
    assert kpi["签约项目数"][1] == 1
    assert kpi["签约总额"][1:5] == [12.5, 10, 125, "亿元"]
    assert kpi["签约开工率"][1:3] == [0, 60]
    assert kpi["区域"][1] == "全市"
    assert "签约 → 开工" in kpi

    stalled = _rows(wb["停滞项目"])
    assert "90" in stalled[0][0]
    assert stalled[1] == ["编号", "企业名称", "招商队伍", "负责人", "阶段", "最近变更日期", "停滞天数"]
    # longest first: b is a lead since 2021-01-04 (177 days), a signed on 2021-02-03 (147 days)
    assert [(r[0], r[4], r[6]) for r in stalled[2:]] == [("b", "线索", 177), ("a", "签约", 147)]
    assert isinstance(stalled[2][6], int) and stalled[2][5] == datetime(2021, 1, 4)


def test_xlsx_in_english() -> None:
    buf = io.BytesIO()
    ps = _projects()
    write_projects_xlsx(buf, ps, compute_kpis(ps, year=2021, today=date(2021, 6, 30)), lang="en")
    wb = load_workbook(io.BytesIO(buf.getvalue()))
    assert wb.sheetnames == ["projects", "KPIs", "stalled"]
    header = _rows(wb["projects"])[0]
    assert header[:3] == ["id", "title", "enterprise"] and "stage" in header
    assert _rows(wb["projects"])[1][header.index("stage")] == "signed"
    assert "signed value" in [r[0] for r in _rows(wb["KPIs"])]


def test_csv_is_utf8_with_bom_and_opens_as_a_table(tmp_path: Path) -> None:
    out = tmp_path / "p.csv"
    write_projects_csv(out, _projects())
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "编号" and rows[1][0] == "a"
    col = rows[0].index("计划总投资（亿元）")
    assert [r[col] for r in rows[1:]] == ["12.5", "3.25"]
    assert rows[2][rows[0].index("企业名称")] == "示例铜业有限公司"
    en = projects_csv(_projects(), lang="en")
    assert en.startswith("\ufeffid,title,enterprise,")
