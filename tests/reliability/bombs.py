"""Generators of hostile inputs, built on the fly (nothing large is stored in the repository).

Each returns bytes or text; the sizes in the names are what a user would upload.
"""

from __future__ import annotations

import io
import zipfile

__all__ = [
    "xlsx_from_sheet_xml",
    "xlsx_huge_inline_string",
    "xlsx_many_empty_rows",
    "xlsx_zip_bomb_member",
    "xlsx_wide_row",
    "xlsx_many_cells",
    "yaml_nested_aliases",
    "json_deep",
    "json_long_integer",
]

_CT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_TAIL = "</sheetData></worksheet>"


def xlsx_from_sheet_xml(chunks: object, *, level: int = 9) -> bytes:
    """A minimal valid XLSX whose first sheet's XML is ``_SHEET_HEAD + chunks + _SHEET_TAIL``.

    ``chunks`` is a str or an iterable of str, streamed into the ZIP so the
    uncompressed XML never has to exist in memory at once.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        zf.writestr("[Content_Types].xml", _CT)
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(_SHEET_HEAD.encode())
            for part in [chunks] if isinstance(chunks, str) else chunks:  # type: ignore[attr-defined]
                fh.write(part.encode())
            fh.write(_SHEET_TAIL.encode())
    return buf.getvalue()


def xlsx_huge_inline_string(chars: int = 1_000_000_000) -> bytes:
    """One inline-string cell of ``chars`` 'A's (1e9 chars compress to ~1 MB)."""

    def gen():  # noqa: ANN202
        yield '<row r="1"><c r="A1" t="inlineStr"><is><t>'
        block = "A" * 1_000_000
        for _ in range(chars // len(block)):
            yield block
        yield "A" * (chars % len(block))
        yield "</t></is></c></row>"

    return xlsx_from_sheet_xml(gen())


def xlsx_many_empty_rows(rows: int = 2_000_000) -> bytes:
    """``rows`` empty ``<row r=.../>`` elements."""

    def gen():  # noqa: ANN202
        step = 10_000
        for start in range(1, rows + 1, step):
            yield "".join(f'<row r="{r}"/>' for r in range(start, min(start + step, rows + 1)))

    return xlsx_from_sheet_xml(gen())


def xlsx_zip_bomb_member(size: int = 4 * 1024**3) -> bytes:
    """A sheet whose XML is padded with ``size`` bytes of whitespace (declared size ~4 GiB)."""

    def gen():  # noqa: ANN202
        yield '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
        block = " " * 4_000_000
        for _ in range(size // len(block)):
            yield block

    return xlsx_from_sheet_xml(gen())


def xlsx_wide_row(cols: int) -> bytes:
    """One row of ``cols`` numeric cells without references."""
    return xlsx_from_sheet_xml(["<row>", "<c><v>1</v></c>" * cols, "</row>"])


def xlsx_many_cells(rows: int, cols: int) -> bytes:
    """``rows`` x ``cols`` small inline-string cells (a large but well-formed sheet)."""

    def gen():  # noqa: ANN202
        row = "".join(f'<c t="inlineStr"><is><t>v{j}</t></is></c>' for j in range(cols))
        for r in range(1, rows + 1):
            yield f'<row r="{r}">{row}</row>'

    return xlsx_from_sheet_xml(gen())


def yaml_nested_aliases(levels: int = 9, fan: int = 9) -> str:
    """The "billion laughs" in YAML: each level lists the previous one ``fan`` times (~1 KB)."""
    lines = ['- &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        lines.append(f"- &a{i} [" + ", ".join([f"*a{i - 1}"] * fan) + "]")
    return "\n".join(lines) + "\n"


def json_deep(depth: int = 100_000) -> str:
    return "[" * depth + "]" * depth


def json_long_integer(digits: int = 5000) -> str:
    return '{"employees": ' + "9" * digits + "}"
