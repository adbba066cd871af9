"""XLSX budgets: bombs generated on the fly are refused quickly with the limit named and bounded
memory; broken files are InvalidInput, never a traceback; the streamed reader gives the same
values as openpyxl (as chainmap.tabular renders them)."""

from __future__ import annotations

import base64
import io
import os
import zipfile
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from chainmap.exceptions import InvalidInput, LimitExceeded, PayloadTooLarge
from chainmap.limits import Limits, check_upload_size, check_xlsx, iter_xlsx_rows
from tests.reliability.bombs import (
    measure,
    xlsx_from_sheet,
    xlsx_from_sheet_xml,
    xlsx_huge_attribute,
    xlsx_huge_inline_string,
    xlsx_many_empty_rows,
    xlsx_rows_without_numbers,
    xlsx_shared,
    xlsx_wide_row,
    xlsx_zip_bomb_member,
)

MAX_SECONDS = 10.0
MAX_MB = 200.0
# Archive-level budgets off, so the streaming checks are the ones that must hold.
NO_ARCHIVE_LIMITS = Limits(xlsx_max_member_bytes=2**40, xlsx_max_uncompressed_bytes=2**40, xlsx_max_ratio=10**9)


def _refused(raw: bytes, limits: Limits | None = None, *, limit: str, seconds: float = MAX_SECONDS) -> LimitExceeded:
    m = measure(lambda: check_xlsx(raw, limits, filename="bomb.xlsx"))
    assert isinstance(m.error, LimitExceeded), m.error or m.result
    assert m.error.limit == limit
    assert limit in str(m.error)
    assert m.error.context["file"] == "bomb.xlsx"
    assert m.seconds < seconds, f"{m.seconds:.1f} s"
    assert m.peak_mb < MAX_MB, f"{m.peak_mb:.0f} MB"
    return m.error


def _xlsx(rows: list[list[object]], **wb_kwargs: object) -> bytes:
    wb = Workbook()
    for k, v in wb_kwargs.items():
        setattr(wb, k, v)
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ------------------------------------------------------------------ bombs


def test_two_megabyte_file_with_one_huge_inline_string() -> None:
    raw = xlsx_huge_inline_string()  # 2e9 characters
    assert len(raw) < 2_500_000
    err = _refused(raw, limit="CHAINMAP_LIMIT_XLSX_MEMBER_BYTES")
    assert "xl/worksheets/sheet1.xml" in str(err)


def test_huge_inline_string_is_stopped_while_streaming() -> None:
    """Without the archive budgets the cell-length budget stops it after 32,767 characters."""
    err = _refused(xlsx_huge_inline_string(), NO_ARCHIVE_LIMITS, limit="CHAINMAP_LIMIT_CELL_CHARS")
    assert "cell A1" in str(err) and err.context["row"] == 1


def test_two_million_empty_rows() -> None:
    raw = xlsx_many_empty_rows(2_000_000)
    err = _refused(raw, limit="CHAINMAP_LIMIT_XLSX_ROWS")
    assert str(err).endswith("xlsx: sheet has more than 200,000 rows (limit CHAINMAP_LIMIT_XLSX_ROWS)")


def test_two_million_rows_compressed_small() -> None:
    raw = xlsx_rows_without_numbers(2_000_000)
    assert len(raw) < 100_000
    _refused(raw, limit="CHAINMAP_LIMIT_XLSX_RATIO")
    _refused(raw, NO_ARCHIVE_LIMITS, limit="CHAINMAP_LIMIT_XLSX_ROWS")


def test_one_row_far_down_counts_as_that_many_rows() -> None:
    raw = xlsx_from_sheet_xml('<row r="1000000"><c r="A1000000"><v>1</v></c></row>')
    _refused(raw, limit="CHAINMAP_LIMIT_XLSX_ROWS")


def test_zip_bomb_member() -> None:
    raw = xlsx_zip_bomb_member()  # declares 4 GB
    assert len(raw) < 5_000_000
    _refused(raw, limit="CHAINMAP_LIMIT_XLSX_MEMBER_BYTES")
    _refused(raw, Limits(xlsx_max_member_bytes=2**33), limit="CHAINMAP_LIMIT_XLSX_UNCOMPRESSED_BYTES")
    _refused(raw, Limits(xlsx_max_member_bytes=2**33, xlsx_max_uncompressed_bytes=2**33),
             limit="CHAINMAP_LIMIT_XLSX_RATIO")  # fmt: skip


def test_huge_attribute_is_refused_before_expat_rescans_it() -> None:
    """expat 2.5 re-scans an unfinished tag on every chunk: 100 MB of attribute took 131 s."""
    raw = xlsx_huge_attribute(100_000_000)
    _refused(raw, limit="CHAINMAP_LIMIT_XLSX_RATIO")
    _refused(raw, NO_ARCHIVE_LIMITS, limit="CHAINMAP_LIMIT_CELL_CHARS")


def test_too_many_columns() -> None:
    _refused(xlsx_wide_row(1_001), limit="CHAINMAP_LIMIT_XLSX_COLS")
    assert check_xlsx(xlsx_wide_row(1_000)).cols == 1_000
    _refused(xlsx_from_sheet_xml('<row r="1"><c r="XFD1"><v>1</v></c></row>'), limit="CHAINMAP_LIMIT_XLSX_COLS")


def test_too_many_cells() -> None:
    raw = _xlsx([[f"v{i}" for i in range(10)] for _ in range(20)])
    assert check_xlsx(raw, Limits(xlsx_max_cells=200)).cells == 200
    _refused(raw, Limits(xlsx_max_cells=199), limit="CHAINMAP_LIMIT_XLSX_CELLS")


def test_shared_strings_budgets() -> None:
    raw = xlsx_shared([f"unique {i}" for i in range(5)], '<row r="1"><c r="A1" t="s"><v>4</v></c></row>')
    assert list(iter_xlsx_rows(raw)) == [["unique 4"]]
    _refused(raw, Limits(xlsx_max_shared_strings=4), limit="CHAINMAP_LIMIT_XLSX_SHARED_STRINGS")
    _refused(raw, Limits(xlsx_max_shared_strings_bytes=100), limit="CHAINMAP_LIMIT_XLSX_SHARED_STRINGS_BYTES")
    long = xlsx_shared(["ok", "x" * 101], '<row r="1"><c r="A1" t="s"><v>0</v></c></row>')
    err = _refused(long, Limits(max_cell_chars=100), limit="CHAINMAP_LIMIT_CELL_CHARS")
    assert "shared string 2" in str(err)


def test_shared_strings_at_the_default_limits_fit_in_memory() -> None:
    """The largest table a 20 MB upload can carry within budget: 2M distinct shared strings."""
    n = Limits().xlsx_max_shared_strings
    tokens = base64.b64encode(os.urandom(n * 6)).decode()

    def shared(m) -> None:  # noqa: ANN001 - the generator's member writer
        for start in range(0, n, 100_000):
            m.write("".join(f"<si><t>{tokens[8 * i : 8 * i + 8]}</t></si>" for i in range(start, start + 100_000)))

    def build(m) -> None:  # noqa: ANN001
        m.write(f'<row r="1"><c r="A1" t="s"><v>{n - 1}</v></c></row>')

    raw = xlsx_from_sheet(build, shared=shared, level=6)
    assert len(raw) <= Limits().max_upload_bytes
    m = measure(lambda: list(iter_xlsx_rows(raw)))
    assert m.error is None, m.error
    assert m.result == [[tokens[8 * (n - 1) : 8 * n]]]
    assert m.peak_mb < 300, f"{m.peak_mb:.0f} MB"
    assert m.seconds < 30, f"{m.seconds:.1f} s"
    over = Limits(xlsx_max_shared_strings=n - 1)
    err = _refused(raw, over, limit="CHAINMAP_LIMIT_XLSX_SHARED_STRINGS", seconds=30)
    assert "1,999,999" in str(err)


def test_too_many_members() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(60):
            zf.writestr(f"junk/{i}.xml", "<a/>")
    _refused(buf.getvalue(), Limits(xlsx_max_members=50), limit="CHAINMAP_LIMIT_XLSX_MEMBERS")


def test_upload_size_is_413_material() -> None:
    with pytest.raises(PayloadTooLarge) as info:
        check_xlsx(b"PK" + b"\0" * 2000, Limits(max_upload_bytes=1000))
    assert info.value.context["limit"] == "CHAINMAP_LIMIT_UPLOAD_BYTES"
    assert info.value.context["limit_value"] == 1000
    assert not isinstance(info.value, InvalidInput)  # the API maps it to 413, not 422
    check_upload_size(1000, Limits(max_upload_bytes=1000))


def test_file_at_the_full_upload_limit_is_read_within_budget() -> None:
    """~20 MB of incompressible text cells, every budget respected: read to the end, memory flat."""
    rows, cols = 85_000, 10
    tokens = base64.b64encode(os.urandom(rows * cols * 12)).decode()

    def build(m) -> None:  # noqa: ANN001 - the generator's member writer
        k = 0
        for r in range(1, rows + 1):
            cells = []
            for _ in range(cols):
                cells.append(f'<c t="inlineStr"><is><t>{tokens[k : k + 16]}</t></is></c>')
                k += 16
            m.write(f'<row r="{r}">{"".join(cells)}</row>')

    raw = xlsx_from_sheet(build, level=6)
    assert 15_000_000 < len(raw) <= Limits().max_upload_bytes
    m = measure(lambda: sum(len(row) for row in iter_xlsx_rows(raw)))
    assert m.error is None, m.error
    assert m.result == rows * cols
    assert m.seconds < 30, f"{m.seconds:.1f} s"
    assert m.peak_mb < 50, f"{m.peak_mb:.0f} MB"  # rows are streamed, nothing accumulates


# ------------------------------------------------------------------ unreadable files


def _unreadable(raw: bytes) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        check_xlsx(raw, filename="bad.xlsx")
    assert not isinstance(info.value, LimitExceeded)
    assert "not a readable XLSX file" in str(info.value)
    assert info.value.context["file"] == "bad.xlsx"
    return info.value


def test_broken_files_are_invalid_input() -> None:
    good = _xlsx([["a", 1], ["b", 2]])
    _unreadable(b"")
    _unreadable(b"name,value\n1,2\n")
    _unreadable(good[: len(good) // 2])  # truncated
    _unreadable(xlsx_from_sheet_xml('<row r="1"><c r="A1"><v>1</v></row>'))  # mismatched tag
    _unreadable(xlsx_from_sheet_xml('<row r="1"><c r="A1" t="s"><v>7</v></c></row>'))  # no shared string 7
    _unreadable(xlsx_from_sheet_xml('<row r="1"><c r="A1"><v>abc</v></c></row>'))  # not a number
    _unreadable(xlsx_from_sheet_xml('<row r="2"/><row r="1"/>'))  # rows out of order
    _unreadable(xlsx_from_sheet_xml('<row r="1"><c r="B7"><v>1</v></c></row>'))  # cell outside its row
    _unreadable(xlsx_from_sheet_xml('<row r="1"><c r="A1"><v>' + "9" * 100 + "</v></c></row>"))


def test_dtd_and_entities_are_refused() -> None:
    head = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    )
    raw = xlsx_from_sheet_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row>', head=head)
    assert "declares a DTD" in str(_unreadable(raw))


def test_corrupt_compressed_data() -> None:
    good = bytearray(_xlsx([["a" * 50, i] for i in range(200)]))
    info = zipfile.ZipFile(io.BytesIO(bytes(good))).getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for k in range(start + 5, start + 25):
        good[k] ^= 0xFF
    _unreadable(bytes(good))


def test_unsupported_compression_and_missing_parts() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_BZIP2) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    assert "compression method" in str(_unreadable(buf.getvalue()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
    assert "missing" in str(_unreadable(buf.getvalue()))


_SEED_XLSX = _xlsx([["name", "n", "when"], ["大运", 1.5, date(2024, 1, 2)], [None, -3, "=1+1"]])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzzed_files_raise_only_invalid_input(data: st.DataObject) -> None:
    raw = bytearray(_SEED_XLSX)
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw)))]
    try:
        list(iter_xlsx_rows(bytes(raw), Limits(max_cell_chars=1000)))
    except InvalidInput:
        pass


# ------------------------------------------------------------------ same values as openpyxl


def _tabular_cell(v: object) -> str:
    """chainmap.tabular._cell as of the refactor: what the importers see today."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _openpyxl_rows(raw: bytes) -> list[list[str]]:
    wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    out = [[_tabular_cell(v) for v in row] for row in wb.worksheets[0].iter_rows(values_only=True)]
    wb.close()
    return [_trim(r) for r in out]


def _trim(row: list[str]) -> list[str]:
    while row and row[-1] == "":
        row = row[:-1]
    return row


def _streamed_rows(raw: bytes) -> list[list[str]]:
    return [_trim([_tabular_cell(v) for v in row]) for row in iter_xlsx_rows(raw)]


VARIED = [
    ["name", "int", "float", "neg", "big", "date", "datetime", "time", "bool", "text num", "pct"],
    ["大运汽车", 42, 3.25, -7.5, 1e20, date(2024, 1, 2), datetime(2023, 5, 6, 7, 8, 9), time(12, 30), True, "0012", 0.125],
    [" padded ", 0, 0.1, -0.0, 12345678901234567890, date(1900, 3, 1), datetime(2099, 12, 31), time(0, 0, 1), False, "1e5", None],
    [],
    [None, None, "=SUM(B2:B3)", None, None, None, None, None, None, None, "end"],
    ["rich 甲乙", 1.0, 2.5e-7, -123456.789, 2**53, date(2000, 2, 29), datetime(1999, 1, 1, 23, 59, 59), time(23, 59), True, "", 1],
]


@pytest.mark.parametrize("epoch1904", [False, True])
def test_streamed_values_equal_openpyxl(epoch1904: bool) -> None:
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    wb = Workbook()
    if epoch1904:
        wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    for r in VARIED:
        ws.append(r)
    ws["L2"] = timedelta(hours=5, minutes=3)
    ws["M9"] = "far cell"  # gap of rows 7-8, sparse column
    ws.cell(row=2, column=6).number_format = "yyyy-mm-dd"
    ws.cell(row=2, column=11).number_format = "0.0%"
    buf = io.BytesIO()
    wb.save(buf)
    raw = buf.getvalue()
    assert _streamed_rows(raw) == _openpyxl_rows(raw)


def test_rows_keep_excel_numbering_and_gaps() -> None:
    raw = xlsx_from_sheet_xml(
        '<row r="1"><c r="B1" t="inlineStr"><is><t>b</t></is></c></row>'
        '<row r="4"><c t="inlineStr"><is><r><t>x</t></r><r><t>y</t></r><rPh><t>ignored</t></rPh></is></c>'
        '<c r="D4" t="str"><v>cached</v></c><c r="E4" t="e"><v>#N/A</v></c><c r="F4" t="b"><v>0</v></c></row>'
    )
    assert list(iter_xlsx_rows(raw)) == [[None, "b"], [], [], ["xy", None, None, "cached", "#N/A", "False"]]


def test_namespace_prefixed_sheet() -> None:
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    raw = xlsx_from_sheet_xml(
        '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>hi</x:t></x:is></x:c><x:c r="B1"><x:v>2</x:v></x:c></x:row>',
        head=f'<?xml version="1.0"?><x:worksheet xmlns:x="{ns}"><x:sheetData>',
        tail="</x:sheetData></x:worksheet>",
    )
    assert list(iter_xlsx_rows(raw)) == [["hi", "2"]]
