"""Every spreadsheet, CSV and Markdown writer goes through chainmap.safe_output (issue 17, point 1).

Names a hostile or careless user could store -- a formula, a DDE payload, raw HTML, Markdown
structure -- are written into the real gaps workbook, the projects workbook and CSV, the
refused-rows CSV and the gaps Markdown/HTML, then read back: no cell is a formula, every
formula-like text cell carries Excel's quotePrefix, the CSVs prefix it with ``'``, the
Markdown holds no raw HTML and no injected structure.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from chainmap.analysis.gaps import analyze_gaps
from chainmap.data import ChainData
from chainmap.exceptions import RowError
from chainmap.models import Chain, Enterprise, Link, Region, Segment
from chainmap.projects import Project, compute_kpis
from chainmap.projects.report import projects_csv, write_projects_xlsx
from chainmap.reports.gaps import gaps_html, gaps_markdown, write_gaps_xlsx
from chainmap.safe_output import is_formula_like
from matching.candidates import write_error_report

PAYLOADS = ['=HYPERLINK("http://x","点击")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "＝1+1"]
HTML = "<script>alert(1)</script>|**粗**"


def _data() -> ChainData:
    chains = [Chain(id="qi", name_zh=PAYLOADS[0], name_en="=1+1", letter="汽")]
    regions = [Region(id="yuncheng", kind="city", name_zh="运城市", name_en="Yuncheng"),
               Region(id="wenxi", kind="county", name_zh="闻喜县", name_en="Wenxi", parent="yuncheng")]  # fmt: skip
    segments = [
        Segment(id="qi.a", chain="qi", name_zh=PAYLOADS[1], name_en="a", stage="upstream"),
        Segment(id="qi.b", chain="qi", name_zh=HTML, name_en="b", stage="downstream"),
    ]
    links = [Link(source="qi.a", target="qi.b")]
    ents = [Enterprise(id=f"ent.{i}", name=p, county="wenxi", segments=[{"segment": "qi.b"}], tags=["链主"], source="t")
            for i, p in enumerate(PAYLOADS)]  # fmt: skip
    return ChainData(chains, regions, segments, links, ents)


def _assert_no_live_formula(raw: bytes) -> int:
    wb = load_workbook(io.BytesIO(raw))
    flagged = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if isinstance(c.value, str) and is_formula_like(c.value):
                    assert c.data_type == "s" and c.quotePrefix, (ws.title, c.coordinate, c.value)
                    flagged += 1
    return flagged


def test_gaps_workbook_has_no_live_formula() -> None:
    buf = io.BytesIO()
    write_gaps_xlsx(analyze_gaps(_data()), buf)
    assert _assert_no_live_formula(buf.getvalue()) >= 3


def test_gaps_markdown_and_html_are_escaped() -> None:
    report = analyze_gaps(_data())
    md = gaps_markdown(report)
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "\\|\\*\\*粗\\*\\*" in md  # the name cannot open a column or bold text
    assert f"## {PAYLOADS[0]}" not in md.splitlines() and '## \\=HYPERLINK("http://x","点击")' in md.splitlines()
    for line in md.splitlines():
        if line.startswith("|") and "script" in line:
            assert line.count(" | ") == line.replace("\\|", "").count(" | ")
    page = gaps_html(report)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def _projects() -> list[Project]:
    return [
        Project(id=f"p{i}", title=p, enterprise={"name": p}, task_force=p, task_force_kind="special_team",
                owner="张三", created=date(2021, 3, 1), planned_investment="5.5")
        for i, p in enumerate(PAYLOADS)
    ]  # fmt: skip


def test_projects_workbook_and_csv_neutralise_formulas() -> None:
    ps = _projects()
    buf = io.BytesIO()
    write_projects_xlsx(buf, ps, compute_kpis(ps, year=2021, today=date(2021, 6, 30)))
    assert _assert_no_live_formula(buf.getvalue()) >= len(PAYLOADS)
    text = projects_csv(ps)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    cells = [c for r in rows[1:] for c in r]
    assert not any(is_formula_like(c) for c in cells)
    for p in PAYLOADS:
        assert "'" + p.strip() in cells  # the project model strips the tab
    assert "5.50" in cells or "5.5" in cells  # amounts stay numbers


def test_refused_rows_csv_neutralises_formulas(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    errs = [RowError(row=i + 2, column="employees", value=p, reason="expected a head count") for i, p in enumerate(PAYLOADS)]
    warns = [RowError(row=9, column="hq_city", value="=1+2", reason="unknown city")]
    assert write_error_report(errs, path, unmapped=[{"row": 3, "main_products": "@x"}], warnings=warns) == len(PAYLOADS)
    rows = list(csv.reader(path.open(encoding="utf-8-sig", newline="")))
    values = [r[2] for r in rows[1:]]
    assert not any(is_formula_like(v) for v in values)
    assert values[: len(PAYLOADS)] == ["'" + p for p in PAYLOADS]
    assert values[-2:] == ["'@x", "'=1+2"] and rows[-1][3] == "kept, but: unknown city"
