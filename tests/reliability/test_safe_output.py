"""Formula injection: every payload written through chainmap.safe_output is text, never a formula,
in XLSX (re-opened with openpyxl) and CSV (re-read with the csv module); numbers stay numbers;
Markdown carries no raw HTML and no structure from the data."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from chainmap.safe_output import (
    FORMULA_TRIGGERS,
    append_xlsx_row,
    is_formula_like,
    md_escape,
    neutralise,
    safe_csv_cell,
    safe_csv_rows,
    safe_csv_writer,
    xlsx_cell,
)

PAYLOADS = [
    '=HYPERLINK("http://x","点击")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    " =1+1",
    "\n=1",
    "＝1+1",
    "＋1",
    "－2+3",
    "＠SUM(A1)",
    "=",
    "-",
    '=1+1;cmd',
    "\u3000=1",
]


def _roundtrip_xlsx(values: list[object]) -> list[tuple[object, str, bool]]:
    wb = Workbook()
    append_xlsx_row(wb.active, values)
    buf = io.BytesIO()
    wb.save(buf)
    ws = load_workbook(io.BytesIO(buf.getvalue())).active
    return [(c.value, c.data_type, bool(c.quotePrefix)) for c in next(ws.iter_rows())]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_is_text_in_xlsx(payload: str) -> None:
    [(value, data_type, quote)] = _roundtrip_xlsx([payload])
    assert data_type != "f"
    assert data_type == "s"
    # the text round-trips (openpyxl normalises a lone CR at the very start to LF when reading)
    assert isinstance(value, str) and value.replace("\r", "\n") == payload.replace("\r", "\n")
    assert quote, "a formula-like string carries Excel's quotePrefix"


def test_unprotected_openpyxl_would_write_a_formula() -> None:
    """The test above can fail: plain ws.append stores '=...' as a formula."""
    wb = Workbook()
    wb.active.append(['=HYPERLINK("http://x","点击")'])
    buf = io.BytesIO()
    wb.save(buf)
    assert load_workbook(io.BytesIO(buf.getvalue())).active["A1"].data_type == "f"


def test_numbers_dates_and_plain_text_keep_their_type_in_xlsx() -> None:
    cells = _roundtrip_xlsx([-2, -1.5, 0, Decimal("-3.25"), True, date(2024, 5, 1), "大运汽车", "-5", None])
    assert [(v, t) for v, t, _ in cells[:5]] == [(-2, "n"), (-1.5, "n"), (0, "n"), (-3.25, "n"), (True, "b")]
    assert cells[5][0] == datetime(2024, 5, 1) and cells[5][1] == "d"
    assert cells[6] == ("大运汽车", "s", False)
    assert cells[7] == ("-5", "s", False)  # a numeric string stays a string, no prefix needed
    assert len(cells) == 8  # a trailing None is no cell at all


def test_xlsx_cell_survives_content_openpyxl_refuses() -> None:
    ws = Workbook().active
    for bad in ("nul\x00byte", "esc\x1b[31m", "lone \ud800 surrogate", "x" * 40_000):
        c = xlsx_cell(ws, bad)
        assert c.data_type == "s" and len(c.value) <= 32_767
    assert xlsx_cell(ws, float("inf")).value == "inf"
    assert xlsx_cell(ws, float("-inf")).quotePrefix  # '-inf' looks like a formula start
    buf = io.BytesIO()
    wb = Workbook()
    append_xlsx_row(wb.active, ["nul\x00byte", "lone \ud800", float("nan")])
    wb.save(buf)  # no IllegalCharacterError, no UnicodeEncodeError
    row = [c.value for c in next(load_workbook(io.BytesIO(buf.getvalue())).active.iter_rows())]
    assert row == ["nul\ufffdbyte", "lone \ufffd", "nan"]


def _csv_roundtrip(rows: Sequence[Sequence[object]]) -> list[list[str]]:
    buf = io.StringIO()
    safe_csv_writer(buf, lineterminator="\r\n").writerows(rows)
    return list(csv.reader(io.StringIO(buf.getvalue())))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_is_neutralised_in_csv(payload: str) -> None:
    [[cell]] = _csv_roundtrip([[payload]])
    assert cell.startswith("'"), cell
    assert cell[1:] == payload
    # what a spreadsheet sees first is the apostrophe, not a trigger
    assert cell[0] not in FORMULA_TRIGGERS


def test_csv_numbers_stay_numbers() -> None:
    [[a, b, c, d, e, f]] = _csv_roundtrip([[-2, -1.5, Decimal("-3.10"), "-7", "1e5", None]])
    assert (a, b, c, d, e, f) == ("-2", "-1.5", "-3.10", "-7", "1e5", "")
    assert float(a) == -2


def test_csv_cells_that_are_not_formulas_are_untouched() -> None:
    row = ["宁德时代", "a=b", "x-1", "email@example.com", "50%", "", "(010) 123"]
    assert _csv_roundtrip([row]) == [row]


def test_safe_csv_rows_and_cell_types() -> None:
    assert list(safe_csv_rows([["=1", 2]])) == [["'=1", 2]]
    assert safe_csv_cell(datetime(2024, 1, 2, 3, 4)) == "2024-01-02T03:04:00"
    assert safe_csv_cell("lone \udc00") == "lone \ufffd"
    assert neutralise("=1") == "'=1"


def test_csv_file_with_bom_opens_as_text(tmp_path) -> None:  # noqa: ANN001 - pytest fixture
    p = tmp_path / "refused.csv"
    with open(p, "w", encoding="utf-8-sig", newline="") as fh:
        safe_csv_writer(fh).writerows([["row", "value"], [2, "=cmd|' /C calc'!A0"]])
    text = p.read_text(encoding="utf-8-sig")
    assert "\n2,'=cmd|' /C calc'!A0" in text.replace("\r\n", "\n")


@pytest.mark.parametrize(
    ("text", "formula"),
    [("=1", True), ("-1", False), ("-1.5e3", False), ("+86 138 0000 0000", True), ("- item", True), ("a", False)],
)
def test_is_formula_like(text: str, formula: bool) -> None:
    assert is_formula_like(text) is formula


# ------------------------------------------------------------------ Markdown


def test_md_escape_leaves_no_raw_html() -> None:
    out = md_escape('<img src=x onerror=alert(1)> & <script>alert("x")</script>')
    assert "<" not in out and ">" not in out
    assert "&lt;script&gt;" in out and "&amp;" in out


def test_md_escape_keeps_table_structure() -> None:
    name = "A | B\nC"
    row = "| " + md_escape(name) + " | 2 |"
    # splitting on unescaped pipes gives exactly the two intended cells
    cells = re.split(r"(?<!\\)\|", row)[1:-1]
    assert len(cells) == 2
    assert "\n" not in row


@pytest.mark.parametrize(
    "text",
    ["# heading", "> quote", "- item", "+ item", "1. item", "=====", "*bold*", "_em_", "`code`", "[a](b)", "~~s~~", "$x$"],
)
def test_md_escape_neutralises_markdown_syntax(text: str) -> None:
    out = md_escape(text)
    assert out != text
    # unescaping the backslashes and entities gives the original back
    restored = out.replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&")
    assert re.sub(r"\\(.)", r"\1", restored) == text


def test_md_escape_strips_terminal_and_bidi_codes() -> None:
    assert md_escape("\x1b[31mred\x1b[0m\u202e") == "red"
    assert md_escape(None) == ""
    assert md_escape(12) == "12"
