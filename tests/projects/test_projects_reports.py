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


def test_xlsx_has_five_sheets_with_chinese_headers_and_numbers(tmp_path: Path) -> None:
    ps = _projects()
    report = compute_kpis(
        ps, [Target(year=2021, signed_value=10, start_rate=60)], year=2021, today=date(2021, 6, 30)
    )
    out = tmp_path / "p.xlsx"
    write_projects_xlsx(out, ps, report)
    wb = load_workbook(out)
    assert wb.sheetnames == ["项目", "指标", "停滞项目", "跟进记录", "困难问题与诉求"]

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
    assert "线索：超过 60 天无阶段推进" in stalled[0][0] and "开工：超过 90 天无跟进、投资进展或阶段推进" in stalled[0][0]
    assert stalled[1] == ["编号", "企业名称", "招商队伍", "负责人", "阶段", "最近活动日期", "停滞天数", "停滞规则"]
    # b is a lead since 2021-01-04 (177 days > 60); a signed on 2021-02-03 (147 days, under the 180 of 签约)
    assert [(r[0], r[4], r[6], r[7]) for r in stalled[2:]] == [("b", "线索", 177, "线索：超过 60 天无阶段推进")]
    assert isinstance(stalled[2][6], int) and stalled[2][5] == datetime(2021, 1, 4)
    for name in wb.sheetnames:  # every sheet prints on A4, one page wide
        ws = wb[name]
        assert int(ws.page_setup.paperSize) == 9 and ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0


def test_xlsx_carries_follow_ups_and_issues(tmp_path: Path) -> None:
    from chainmap.projects import FollowUp, ProjectIssue

    a, b = _projects()
    a = a.model_copy(update={"issues": [ProjectIssue(id="i1", kind="诉求", text="协调用地指标", raised_by="张三",
                                                      raised_on="2021-02-10", handler="自然资源局",
                                                      history=[{"status": "in_progress", "date": "2021-02-12",
                                                                "actor": "李四"}])]})  # fmt: skip
    fus = [
        FollowUp(id="a.f0002", project="a", method="实地跟", date="2021-03-02", actor="张三", note="看厂房",
                 next_date="2021-03-20"),  # fmt: skip
        FollowUp(id="a.f0001", project="a", method="regular", date="2021-03-01", actor="李四"),
    ]
    out = tmp_path / "p.xlsx"
    write_projects_xlsx(out, [a, b], compute_kpis([a, b], year=2021, today=date(2021, 6, 30)), followups=fus)
    wb = load_workbook(out)
    rows = _rows(wb["跟进记录"])
    assert rows[0] == ["项目编号", "企业名称", "日期", "七跟法", "跟进人", "情况", "下次跟进日期"]
    assert rows[1:] == [
        ["a", "示例镁业有限公司", datetime(2021, 3, 1), "定期跟", "李四", None, None],
        ["a", "示例镁业有限公司", datetime(2021, 3, 2), "实地跟", "张三", "看厂房", datetime(2021, 3, 20)],
    ]
    issues = _rows(wb["困难问题与诉求"])
    assert issues[1] == ["a", "示例镁业有限公司", "诉求", "协调用地指标", "张三", datetime(2021, 2, 10), "自然资源局",
                         "办理中", datetime(2021, 2, 12)]  # fmt: skip
    header = _rows(wb["项目"])[0]
    assert _rows(wb["项目"])[1][header.index("未解决问题/诉求")] == 1


def test_xlsx_in_english() -> None:
    buf = io.BytesIO()
    ps = _projects()
    write_projects_xlsx(buf, ps, compute_kpis(ps, year=2021, today=date(2021, 6, 30)), lang="en")
    wb = load_workbook(io.BytesIO(buf.getvalue()))
    assert wb.sheetnames == ["projects", "KPIs", "stalled", "follow-ups", "problems and requests"]
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
