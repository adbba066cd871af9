"""The leads workbook: Chinese sheets and headers, labels not codes, fitted widths, frozen
header, A4-landscape print setup, contributions that add up to the score, no formulas —
through the API (GET /leads.xlsx) and the CLI (``chainmap leads -f xlsx``)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from chainmap.labels import label
from matching.workbook import LEAD_COLUMNS

from .conftest import API

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _book(content: bytes):
    return load_workbook(io.BytesIO(content))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_leads_workbook_over_http(read_client, lang: str) -> None:
    c = read_client
    h = c.h("viewer")
    r = c.get(f"{API}/leads.xlsx", params={"k": 20, "lang": lang}, headers=h)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r.headers["content-disposition"]
    leads = c.get(f"{API}/leads", params={"k": 20, "lang": lang}, headers=h).json()["items"]
    wb = _book(r.content)
    main, parts, notes = wb.worksheets
    assert main.title == ("招商线索" if lang == "zh" else "leads")
    assert parts.title == ("得分构成" if lang == "zh" else "score breakdown")
    head = [c.value for c in main[1]]
    assert head[:3] == (["序号", "企业名称", "总部所在地"] if lang == "zh" else ["rank", "enterprise", "headquarters"])
    assert main.max_row == len(leads) + 1
    assert main.freeze_panes == "C2"
    assert main.page_setup.orientation == "landscape" and main.page_setup.fitToWidth == 1
    assert main.print_title_rows == "$1:$1"
    # names fit: the name column is at least as wide as the longest name (display width)
    width = main.column_dimensions["B"].width
    assert width >= min(40, max(len(x["name"]) * 2 for x in leads))
    status_col = head.index("缺口类型" if lang == "zh" else "gap type")
    codes = {"fill", "strengthen", "extend", "sound"}
    for row, lead in zip(main.iter_rows(min_row=2, values_only=True), leads, strict=True):
        assert row[1] == lead["name"]
        assert row[status_col] == label("gap_status", lead["gap_status"], lang)
        if lang == "zh":
            assert row[status_col] not in codes  # a label, never the raw code
        # contributions are columns; baseline + contributions = score
        fixed = len(LEAD_COLUMNS)
        assert head[fixed:]  # one column per feature after the fixed ones
        assert abs(sum(v for v in row[fixed:] if v is not None) + lead["baseline"] - lead["score"]) < 1e-5  # each term is rounded to 6 decimals
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            assert not any(isinstance(v, str) and v.startswith("=") for v in row)


def test_leads_workbook_cli(tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from api.cli import app

    monkeypatch.setenv("CHAINMAP_SQLITE_PATH", str(tmp_path / "s.db"))
    out = tmp_path / "l.xlsx"
    res = CliRunner().invoke(app, ["leads", "-k", "5", "-f", "xlsx", "-o", str(out)])
    assert res.exit_code == 0, res.output
    wb = load_workbook(out)
    assert [ws.title for ws in wb.worksheets] == ["招商线索", "得分构成", "说明"]
    assert wb.worksheets[0].max_row == 6
    parts = list(wb.worksheets[1].iter_rows(min_row=2, values_only=True))
    totals = [r for r in parts if r[2] == "合计 = 线索得分"]
    assert len(totals) == 5
    for total in totals:
        terms = [r[3] for r in parts if r[0] == total[0] and r[2] != "合计 = 线索得分"]
        assert abs(sum(terms) - total[3]) < 1e-5
