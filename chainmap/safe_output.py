"""The one safe writer for spreadsheet, CSV and Markdown output.

Every workbook, CSV file and Markdown text built from user data goes through
these helpers, so a name such as ``=HYPERLINK("http://x","点击")`` or
``=cmd|' /C calc'!A0`` is shown as text and never runs as a formula
(OWASP "CSV injection"), and a name holding ``<script>`` or ``|`` cannot change a
Markdown document's structure.

Rules (decided here, once)
--------------------------
* **Formula-like text** is a string whose first character -- after leading
  spaces, tabs, CR/LF, NBSP and the ideographic space -- is ``=``, ``+``,
  ``-``, ``@``, or one of their full-width forms ``＝ ＋ － ＠`` (East-Asian
  Excel turns these into ASCII operators when a cell is re-entered), and
  that is not a plain number (``-5``, ``+1.5``, ``-1e3`` are harmless and kept
  as they are).  A string *starting* with a tab or CR is covered by the
  "after leading whitespace" rule.
* **CSV**: a formula-like string is prefixed with one ``'`` (what Excel itself
  stores when a user types ``'=1``); everything else is unchanged.  Numbers
  stay numbers (``-2`` is written as ``-2``), ``Decimal`` is written in plain
  notation, dates as ISO 8601, ``None`` as an empty cell.
* **XLSX**: every string is written as a string cell (``data_type "s"``), so
  openpyxl never stores it as a formula; the text is kept verbatim (no visible
  apostrophe, the value round-trips) and a formula-like string additionally
  gets Excel's ``quotePrefix`` style, so re-entering the cell keeps it text.
  Numbers, dates and booleans stay typed cells; a non-finite float becomes
  the text ``nan`` / ``inf`` / ``-inf``.
* Both: lone surrogates become U+FFFD (they cannot be encoded); for XLSX the
  control characters XML 1.0 forbids (C0 except tab/LF/CR) become U+FFFD too,
  and a string longer than Excel's 32,767-character cell limit is cut there
  with a trailing ``…``.
* **Markdown**: :func:`md_escape` removes control/escape/bidi characters
  (:func:`chainmap.text_hygiene.clean_text`), turns line breaks into spaces,
  writes ``& < >`` as HTML entities (no raw HTML survives) and backslash-escapes
  the characters that change inline structure (``\\ ` * _ [ ] | ~ $``) and a
  block marker at the start (``#``, ``+``, ``-``, ``=``, ``1.``, ``1)``).

>>> safe_csv_cell('=HYPERLINK("http://x","点击")')
'\\'=HYPERLINK("http://x","点击")'
>>> safe_csv_cell("-2+3"), safe_csv_cell("-2"), safe_csv_cell(-2), safe_csv_cell("\\t=1")
("'-2+3", '-2', -2, "'\\t=1")
>>> md_escape("<b>A|B</b> *x*")
'&lt;b&gt;A\\\\|B&lt;/b&gt; \\\\*x\\\\*'
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import IO, TYPE_CHECKING, Any, Protocol

from chainmap.text_hygiene import clean_text

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "FORMULA_TRIGGERS",
    "is_formula_like",
    "neutralise",
    "safe_csv_cell",
    "safe_csv_row",
    "safe_csv_rows",
    "SafeCSVWriter",
    "safe_csv_writer",
    "xlsx_cell",
    "xlsx_row",
    "append_xlsx_row",
    "md_escape",
    "XLSX_MAX_CELL_CHARS",
]

#: First characters that make a spreadsheet read a cell as a formula (ASCII and full-width).
FORMULA_TRIGGERS = frozenset("=+-@＝＋－＠")
#: Excel's limit on the characters in one cell.
XLSX_MAX_CELL_CHARS = 32_767

_LEADING_WS = " \t\r\n\u00a0\u3000"
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_SURROGATE = re.compile("[\ud800-\udfff]")
# What XML 1.0 (hence openpyxl) refuses: C0 controls except tab, LF, CR.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")

CsvValue = str | int | float
XlsxValue = str | int | float | Decimal | bool | date | datetime | time | timedelta | None


def is_formula_like(text: str) -> bool:
    """True if a spreadsheet could read ``text`` as a formula (see the module rules).

    >>> [is_formula_like(s) for s in ("=1+1", " =1", "\\r=1", "@SUM(A1)", "＝1", "-2", "-", "a=b", "")]
    [True, True, True, True, True, False, True, False, False]
    """
    stripped = text.lstrip(_LEADING_WS)
    if not stripped or stripped[0] not in FORMULA_TRIGGERS:
        return False
    return _PLAIN_NUMBER.fullmatch(stripped.rstrip(_LEADING_WS)) is None


def _encodable(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text) if not text.isascii() else text


def neutralise(text: str) -> str:
    """``text`` with a leading ``'`` if it is formula-like, lone surrogates replaced.

    >>> neutralise("@SUM(A1)"), neutralise("大运汽车")
    ("'@SUM(A1)", '大运汽车')
    """
    text = _encodable(text)
    return "'" + text if is_formula_like(text) else text


def _as_text(value: object) -> str:
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list | tuple | set | frozenset):
        return "; ".join(_as_text(v) for v in value)
    return str(value)


def safe_csv_cell(value: object) -> CsvValue:
    """One value ready for :func:`csv.writer`: numbers as numbers, text neutralised.

    >>> safe_csv_cell(None), safe_csv_cell(Decimal("1E+3")), safe_csv_cell(date(2024, 5, 1)), safe_csv_cell(True)
    ('', '1000', '2024-05-01', 'True')
    >>> safe_csv_cell(float("nan")), safe_csv_cell(1.5), safe_csv_cell(["=a", "b"])
    ('nan', 1.5, "'=a; b")
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return neutralise(_as_text(value))


def safe_csv_row(values: Iterable[object]) -> list[CsvValue]:
    """:func:`safe_csv_cell` over one row."""
    return [safe_csv_cell(v) for v in values]


def safe_csv_rows(rows: Iterable[Iterable[object]]) -> Iterator[list[CsvValue]]:
    """:func:`safe_csv_row` over many rows, lazily.

    >>> import io
    >>> buf = io.StringIO()
    >>> csv.writer(buf, lineterminator="\\n").writerows(safe_csv_rows([["name", "n"], ["+1+1", -3]]))
    >>> buf.getvalue()
    "name,n\\n'+1+1,-3\\n"
    """
    for row in rows:
        yield safe_csv_row(row)


class _Writer(Protocol):
    def writerow(self, row: Iterable[Any], /) -> Any: ...


class SafeCSVWriter:
    """A :func:`csv.writer` whose every cell goes through :func:`safe_csv_cell`.

    >>> import io
    >>> buf = io.StringIO()
    >>> w = SafeCSVWriter(buf, lineterminator="\\n")
    >>> w.writerow(["row", "value"]); w.writerows([[2, "=cmd|' /C calc'!A0"]])
    >>> buf.getvalue()
    "row,value\\n2,'=cmd|' /C calc'!A0\\n"
    """

    def __init__(self, f: IO[str], **kwargs: Any) -> None:
        self._w: _Writer = csv.writer(f, **kwargs)

    def writerow(self, row: Iterable[object]) -> None:
        self._w.writerow(safe_csv_row(row))

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def safe_csv_writer(f: IO[str], **kwargs: Any) -> SafeCSVWriter:
    """``csv.writer(f, **kwargs)`` made safe; the drop-in replacement for every CSV export."""
    return SafeCSVWriter(f, **kwargs)


# ------------------------------------------------------------------ XLSX


def _xlsx_text(text: str) -> str:
    text = _encodable(text)
    if _XML_ILLEGAL.search(text):
        text = _XML_ILLEGAL.sub("\ufffd", text)
    if len(text) > XLSX_MAX_CELL_CHARS:
        text = text[: XLSX_MAX_CELL_CHARS - 1] + "…"
    return text


def xlsx_cell(ws: Worksheet, value: object) -> Cell:
    """An openpyxl cell for ``ws`` holding ``value`` safely (append it with ``ws.append``).

    Strings become string cells (never formulas), formula-like ones with
    ``quotePrefix``; numbers, dates and booleans stay typed.

    >>> from openpyxl import Workbook
    >>> ws = Workbook().active
    >>> c = xlsx_cell(ws, '=HYPERLINK("http://x","点击")')
    >>> c.data_type, c.value, c.quotePrefix
    ('s', '=HYPERLINK("http://x","点击")', True)
    >>> xlsx_cell(ws, -2).data_type, xlsx_cell(ws, "大运").quotePrefix
    ('n', False)
    """
    from openpyxl.cell.cell import Cell

    if isinstance(value, Enum):
        value = value.value
    if value is None or isinstance(value, bool | int | Decimal | datetime | date | time | timedelta):
        return Cell(ws, value=value)
    if isinstance(value, float):
        if math.isfinite(value):
            return Cell(ws, value=value)
        value = str(value)
    text = _xlsx_text(_as_text(value))
    cell = Cell(ws, value=text)
    cell.data_type = "s"  # openpyxl marks any "=..." string as a formula; undo that
    if is_formula_like(text):
        cell.quotePrefix = True
    return cell


def xlsx_row(ws: Worksheet, values: Iterable[object]) -> list[Cell]:
    """:func:`xlsx_cell` over one row."""
    return [xlsx_cell(ws, v) for v in values]


def append_xlsx_row(ws: Worksheet, values: Iterable[object]) -> None:
    """``ws.append(values)`` with every cell made safe -- the replacement for ``ws.append`` in every writer.

    >>> import io
    >>> from openpyxl import Workbook, load_workbook
    >>> wb = Workbook(); ws = wb.active
    >>> append_xlsx_row(ws, ["=1+1", -2, None, "ok"])
    >>> buf = io.BytesIO(); wb.save(buf)
    >>> row = next(load_workbook(io.BytesIO(buf.getvalue())).active.iter_rows())
    >>> [(c.value, c.data_type) for c in row]
    [('=1+1', 's'), (-2, 'n'), (None, 'n'), ('ok', 's')]
    """
    ws.append(xlsx_row(ws, values))


# ------------------------------------------------------------------ Markdown

_MD_INLINE = re.compile(r"([\\`*_\[\]|~$])")
_MD_BLOCK_START = re.compile(r"^(\s*)([#+\-=]|\d{1,9}(?=[.)](?:\s|$)))")


def md_escape(text: object) -> str:
    """``text`` safe to place in Markdown (a paragraph or a table cell).

    Examples
    --------
    >>> md_escape("# 标题 <script>alert(1)</script>")
    '\\\\# 标题 &lt;script&gt;alert(1)&lt;/script&gt;'
    >>> md_escape("a\\nb | c & d")
    'a b \\\\| c &amp; d'
    >>> md_escape("1. first"), md_escape("[link](http://x)"), md_escape(3.5), md_escape("-2")
    ('1\\\\. first', '\\\\[link\\\\](http://x)', '3.5', '-2')
    """
    s = clean_text(_as_text(text) if text is not None else "")
    s = _encodable(s)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_INLINE.sub(r"\\\1", s)
    m = None if _PLAIN_NUMBER.fullmatch(s) else _MD_BLOCK_START.match(s)
    if m:
        lead, marker = m.group(1), m.group(2)
        if marker.isdigit():
            pos = len(lead) + len(marker)
            s = s[:pos] + "\\" + s[pos:]
        else:
            s = lead + "\\" + s[len(lead) :]
    return s

