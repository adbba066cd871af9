"""The one table reader of every import (local enterprises, candidates): CSV
(UTF-8 with or without BOM, or GBK/GB18030, detected; ``.tsv`` tab-separated),
XLSX (first sheet) and JSON.

Row numbers
-----------
"Row N" is the row a user sees in Excel, for every format:

* CSV / TSV / XLSX: the header is row 1, the first data row is row 2; a quoted
  CSV cell spanning several lines is still one row (records are counted, not
  physical lines); blank rows keep their number.
* JSON: the records are numbered as if the array were a sheet under a header
  row: the first object is row 2, the n-th object row n + 1.

JSON documents may be a bare array of objects, ``{"items": [...]}`` or
``{"candidates": [...]}``; the header is the union of the objects' keys in order
of first appearance.

Two views of one reading:

* :func:`iter_table` streams ``(row number, raw cell values)`` — CSV and XLSX
  cells as text (XLSX through the streamed, budgeted reader of
  :mod:`chainmap.limits`: ``3.0`` is ``"3"``, a date ``"2024-05-01 00:00:00"``),
  JSON values as the file holds them (numbers, lists); the candidate importer
  validates these in one pass.
* :func:`read_table` collects the non-blank rows as stripped strings in a
  :class:`Table` (the local-enterprise importer).

Both report the same :class:`~chainmap.exceptions.RowError` for a row with a
value beyond the last header column (:func:`surplus_cell_error`), and the same
:class:`~chainmap.exceptions.InvalidInput` for an unreadable file.

Hardening (every reader, every format)
--------------------------------------
* Budgets: :class:`chainmap.limits.Limits` (rows, columns, cell length, XLSX
  archive and sheet, JSON depth and digits), default from ``CHAINMAP_LIMIT_*``;
  a breach is :class:`~chainmap.exceptions.LimitExceeded` naming the setting.
* Encoding: UTF-8 (with or without BOM) or GB18030; bytes that merely *decode*
  as GB18030 (Shift-JIS, Big5, Windows-1252 ...) are refused by a plausibility
  test, and private-use characters are refused in any encoding.
* Header: a duplicated or an empty cell among the named ones is refused.
* Text: control, zero-width, bidi and terminal-escape characters are removed
  from every cell (:func:`clean_cell`); error values are text (:func:`shown_value`).

>>> t = read_table("name,tags\\n大运汽车,链主\\n".encode("gbk"), filename="a.csv")
>>> t.encoding, t.columns, t.rows[0].values["name"], t.rows[0].number
('gb18030', ['name', 'tags'], '大运汽车', 2)
>>> [r.number for r in read_table(b'{"items": [{"name": "a"}, {"name": "b"}]}', filename="a.json").rows]
[2, 3]
"""

from __future__ import annotations

import csv
import itertools
import operator
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from chainmap.exceptions import InvalidInput, RowError
from chainmap.limits import Limits, csv_row_guard, iter_xlsx_rows, loads_json
from chainmap.text_hygiene import clean_text

__all__ = [
    "Table",
    "TableRow",
    "RawTable",
    "iter_table",
    "read_table",
    "text_rows",
    "read_table_file",
    "read_source",
    "cell_text",
    "is_blank",
    "surplus_cell_error",
    "clean_cell",
    "shown_value",
    "table_limits",
    "SUPPORTED_SUFFIXES",
    "FIRST_DATA_ROW",
]

SUPPORTED_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".json")
#: Row number of the first data row (the header is row 1) in every format.
FIRST_DATA_ROW = 2
#: Keys of a JSON object that may wrap the array of records.
JSON_WRAPPERS = ("items", "candidates")


class RowValues(Mapping[str, str]):
    """One row's cells by column name, backed by the row's list and the table's shared column index
    (a dict per row would cost ~1 KB a row; 200,000 rows stay small this way)."""

    __slots__ = ("_index", "_cells")

    def __init__(self, index: Mapping[str, int], cells: Sequence[str]) -> None:
        self._index = index
        self._cells = cells

    def __getitem__(self, key: str) -> str:
        j = self._index[key]
        return self._cells[j] if j < len(self._cells) else ""

    def get(self, key: str, default: Any = None) -> Any:  # no KeyError round trip (hot in the importers)
        j = self._index.get(key)
        if j is None:
            return default
        return self._cells[j] if j < len(self._cells) else ""

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    @property
    def index(self) -> Mapping[str, int]:
        """Column name -> position (shared by the rows of one table)."""
        return self._index

    @property
    def cells(self) -> Sequence[str]:
        """The row's cells in column order (may be shorter than the header: the rest are empty)."""
        return self._cells

    def __repr__(self) -> str:
        return repr(dict(self))


class TableRow:
    """A data row: its Excel row number and its cells by column name (``values``)."""

    __slots__ = ("number", "values")

    def __init__(self, number: int, values: Mapping[str, str]) -> None:
        self.number = number
        self.values = values

    def __repr__(self) -> str:
        return f"TableRow(number={self.number}, values={self.values!r})"


@dataclass
class Table:
    """A whole table as strings: the non-blank rows, plus the rows refused by the
    reader itself (``errors``: a value beyond the last header column)."""

    filename: str
    columns: list[str]
    rows: list[TableRow] = field(default_factory=list)
    encoding: str | None = None
    errors: list[RowError] = field(default_factory=list)
    blank_rows: int = 0


@dataclass
class RawTable:
    """A table being read: the header (stripped strings; trailing empty header
    cells dropped), an iterator of ``(row number, raw values)`` over every data
    row (blank ones included), an estimate of the number of data rows, and the
    text encoding (None for XLSX)."""

    filename: str
    header: list[str]
    rows: Iterator[tuple[int, list[Any]]]
    size_hint: int
    encoding: str | None
    #: Every cell is a ``str`` (CSV): :func:`text_rows` then skips the per-cell type checks.
    texts: bool = False


# ---------------------------------------------------------------------------
# cells
# ---------------------------------------------------------------------------


def is_blank(v: Any) -> bool:
    """An empty cell: None, whitespace only, or NaN.

    >>> is_blank(" "), is_blank(float("nan")), is_blank(0)
    (True, True, False)
    """
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and v != v)


def cell_text(v: Any) -> str:
    """A raw cell as stripped text: None -> ``""``, ``3.0`` -> ``"3"``, a JSON list -> ``";"``-joined.

    >>> cell_text(None), cell_text(12.0), cell_text(["a", "b"]), cell_text(" x ")
    ('', '12', 'a;b', 'x')
    """
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, list):
        return ";".join(cell_text(x) for x in v)
    return str(v).strip()


def clean_cell(v: Any) -> Any:
    """A raw cell without control, zero-width, bidi or terminal-escape characters
    (:func:`chainmap.text_hygiene.clean_text`, line breaks kept); lists cleaned element-wise.

    >>> clean_cell("宁\\u200b德时代\\x1b[31m"), clean_cell(["a\\x00", 1]), clean_cell(2.5)
    ('宁德时代', ['a', 1], 2.5)
    """
    if isinstance(v, str):
        return v if v.isprintable() else clean_text(v, multiline=True)
    if isinstance(v, list):
        return [clean_cell(x) for x in v]
    if isinstance(v, dict):
        return {clean_cell(str(k)): clean_cell(x) for k, x in v.items()}
    return v


def shown_value(v: Any, max_chars: int = 200) -> str | None:
    """A cell as text for an error report (JSON-serialisable whatever the cell held: a date, inf, a list).

    >>> shown_value(None), shown_value(float("inf")), shown_value(["a", 1]), shown_value("x" * 300)[-2:]
    (None, 'inf', 'a;1', 'x…')
    """
    if v is None:
        return None
    if isinstance(v, dict):
        text = "{" + ", ".join(f"{k}: {shown_value(x)}" for k, x in v.items()) + "}"
    elif isinstance(v, list | tuple):
        text = ";".join("" if x is None else str(shown_value(x)) for x in v)
    elif isinstance(v, float) and v.is_integer():
        text = str(int(v))
    else:
        text = str(v)
    text = clean_text(text.encode("utf-8", "replace").decode("utf-8")) if not text.isprintable() else text
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


def table_limits(limits: Limits | None) -> Limits:
    """``limits``, or the budgets from the environment (``CHAINMAP_LIMIT_*``) when None."""
    return limits if limits is not None else Limits.from_env()


def surplus_cell_error(row: int, values: Sequence[Any], width: int) -> RowError | None:
    """The error of a row holding a value beyond the ``width`` header columns (None if it holds none).

    >>> surplus_cell_error(3, ["a", "b", "", "x"], 2)
    RowError(row=3, column='', value='x', reason='cell 4 is beyond the 2 header columns')
    >>> surplus_cell_error(3, ["a", "b", ""], 2) is None
    True
    """
    for j in range(width, len(values)):
        if not is_blank(values[j]):
            return RowError(
                row=row,
                column="",
                value=shown_value(values[j]),
                reason=f"cell {j + 1} is beyond the {width} header columns",
            )
    return None


# ---------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------


def read_source(
    source: str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes], filename: str
) -> bytes:
    """The bytes of a path, a binary file object or bytes; InvalidInput naming ``filename`` if unreadable."""
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    if not isinstance(source, str | os.PathLike):
        return source.read()
    try:
        return Path(source).read_bytes()
    except OSError as err:
        raise InvalidInput(f"cannot read the file: {err.strerror}", file=filename) from None


#: Share of the non-ASCII characters of a GB18030-decoded file that may lie outside the
#: common Chinese repertoire (GB2312 hanzi, CJK and full-width punctuation) before the file is
#: refused as another encoding (Shift-JIS, Big5, cp1252 ... decode as GB18030 into rare characters).
IMPLAUSIBLE_SHARE = 0.25
_PLAUSIBILITY_SAMPLE = 200_000
_PRIVATE_USE = re.compile("[\ue000-\uf8ff\U000f0000-\U0010ffff]")
_COMMON_PUNCT = frozenset("·×÷°±¥€£§№‰※←→↑↓√∞∶≤≥")
_ENCODING_HINT = (
    "请在 Excel 中另存为「CSV UTF-8（逗号分隔）」后重新上传 / save it from Excel as "
    "\"CSV UTF-8 (Comma delimited)\" and upload it again"
)


def _plausible_chinese(ch: str) -> bool:
    o = ord(ch)
    if 0x4E00 <= o <= 0x9FFF:
        try:
            ch.encode("gb2312")
        except UnicodeEncodeError:
            return False
        return True
    return 0x3000 <= o <= 0x303F or 0xFF01 <= o <= 0xFF5E or 0x2010 <= o <= 0x203F or ch in _COMMON_PUNCT


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _check_plausible_gb18030(text: str, filename: str) -> None:
    sample = [ch for ch in text[: 4 * _PLAUSIBILITY_SAMPLE] if not ch.isascii()][:_PLAUSIBILITY_SAMPLE]
    odd = [ch for ch in sample if not _plausible_chinese(ch)]
    if len(odd) >= 2 and len(odd) > IMPLAUSIBLE_SHARE * len(sample):
        shown = "".join(dict.fromkeys(odd))[:12]
        raise InvalidInput(
            f"the file is not UTF-8, and read as GBK/GB18030 {len(odd):,} of its {len(sample):,} non-ASCII "
            f"characters are uncommon ({shown!r}): it is probably another encoding (Shift-JIS, Big5, "
            "Windows-1252 ...); only UTF-8 and GBK/GB18030 are read",
            file=filename,
            field="encoding",
            hint=_ENCODING_HINT,
        )


def _decode(raw: bytes, filename: str) -> tuple[str, str]:
    """Text and encoding of a CSV/JSON upload: UTF-8 (BOM or not) or GB18030 -- and nothing
    that merely *decodes* as GB18030: private-use characters, or a share of uncommon characters
    above :data:`IMPLAUSIBLE_SHARE` (what Shift-JIS, Big5 or cp1252 files become), are refused."""
    try:
        text, enc = raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            text, enc = raw.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            raise InvalidInput(
                f"the file is neither UTF-8 nor GBK/GB18030 text (byte {utf8_error.start:,} is not UTF-8, "
                "and the bytes are not GB18030 either)",
                file=filename,
                hint=_ENCODING_HINT,
            ) from None
    if enc == "gb18030":
        _check_plausible_gb18030(text, filename)
    m = _PRIVATE_USE.search(text)
    if m is not None:
        raise InvalidInput(
            f"the file ({enc}) holds the private-use character U+{ord(m.group()):04X}, which has no meaning "
            "outside one computer: the file is probably in another encoding or was converted wrongly",
            file=filename,
            field="encoding",
            line=_line_of(text, m.start()),
            hint=_ENCODING_HINT,
        )
    return text, enc


def _header(cells: Sequence[Any], filename: str) -> list[str]:
    """Header cells as clean stripped text; trailing empty cells dropped; a duplicated or an
    empty cell among the named ones refused (its column's values would be lost or misread)."""
    header = [clean_text(cell_text(h)).strip() for h in cells]
    while header and header[-1] == "":
        header.pop()
    seen: dict[str, int] = {}
    for j, h in enumerate(header, start=1):
        if not h:
            raise InvalidInput(
                f"header cell {j} is empty: every column needs a name",
                file=filename,
                row=1,
                field=f"column {j}",
                hint="name the column or delete it / 请为该列填写列名或删除该列",
            )
        if h in seen:
            raise InvalidInput(
                f"column {h!r} appears twice in the header (columns {seen[h]} and {j})",
                file=filename,
                field=h,
                row=1,
            )
        seen[h] = j
    return header


def _empty(filename: str, what: str) -> InvalidInput:
    return InvalidInput(
        f"the {what} is empty: expected a header row naming the columns", file=filename, row=1
    )


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their endings, split like ``io.StringIO(text, newline="")``
    (on ``\\r\\n``, ``\\r`` and ``\\n``) but lazily: a StringIO copies the text as 4 bytes a character."""
    for m in _LINE.finditer(text):
        yield m.group()


def _split_lines(text: str) -> Iterator[str]:
    """:func:`_lines` for a text without ``\\r``, at C speed: the lines are split at once (one
    string each, the caller bounds their number) and get their ``\\n`` back as they are read.

    >>> list(_split_lines("a\\n\\nb")) == list(_lines("a\\n\\nb")) == ["a\\n", "\\n", "b"]
    True
    """
    parts = text.split("\n")
    last = parts.pop()
    lines: Iterator[str] = map(operator.add, parts, itertools.repeat("\n"))
    return itertools.chain(lines, (last,)) if last else lines


def _record_count(text: str) -> int | None:
    """The number of CSV records of ``text`` when it can be told without parsing (no quote, so
    a record is a line; no ``\\r``, so a line ends at ``\\n``), else None.

    >>> _record_count("a\\nb\\n\\nc"), _record_count('a\\n"b\\nc"\\n'), _record_count("")
    (4, None, 0)
    """
    if '"' in text or "\r" in text:
        return None
    return text.count("\n") + (0 if not text or text.endswith("\n") else 1)


def _csv(raw: bytes, filename: str, delimiter: str, lim: Limits) -> RawTable:
    text, enc = _decode(raw, filename)
    size_hint = text.count("\n")
    records = _record_count(text) if size_hint >= lim.csv_max_rows else None
    if size_hint >= lim.csv_max_rows and (records is None or records > lim.csv_max_rows):
        # More lines than rows allowed: count the records first (no row kept), so a file over
        # the row budget is refused before an importer has built 200,000 records from it.
        # (Skipped when the lines are the records and within the budget: nothing to refuse.)
        try:
            for _ in csv_row_guard(csv.reader(_lines(text), delimiter=delimiter), lim, filename=filename):
                pass
        except csv.Error:
            pass  # reported with its row number by the real pass below
    # Few enough lines to split them at once (no "\r" to tell apart): C speed, bounded memory.
    lines = _split_lines(text) if size_hint < lim.csv_max_rows + 1 and "\r" not in text else _lines(text)
    reader = csv_row_guard(csv.reader(lines, delimiter=delimiter), lim, filename=filename)
    try:
        first = next(reader)
    except StopIteration:
        raise _empty(filename, "file") from None
    except csv.Error as err:
        raise InvalidInput(f"not a readable CSV file: {err}", file=filename, row=1) from None
    header = _header(first, filename)

    def rows() -> Iterator[tuple[int, list[Any]]]:
        # records, not physical lines: a quoted multi-line cell is one Excel row
        number = FIRST_DATA_ROW - 1
        try:
            for values in reader:
                number += 1
                # one test for the whole row: nearly every row has nothing to clean
                if not "".join(values).isprintable():
                    values = [v if v.isprintable() else clean_text(v, multiline=True) for v in values]
                yield number, values
        except csv.Error as err:
            raise InvalidInput(f"not a readable CSV file: {err}", file=filename, row=number + 1) from None

    return RawTable(filename, header, rows(), size_hint, enc, texts=True)


def _xlsx(raw: bytes, filename: str, lim: Limits) -> RawTable:
    # Streamed by chainmap.limits (expat, every budget checked before memory grows); values are text.
    it = iter_xlsx_rows(raw, lim, filename=filename)
    first = next(it, None)
    if first is None:
        raise _empty(filename, "sheet")
    header = _header(first, filename)

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for number, values in enumerate(it, start=FIRST_DATA_ROW):
            yield number, [v if v is None or v.isprintable() else clean_text(v, multiline=True) for v in values]

    return RawTable(filename, header, rows(), 0, None)


def _json(raw: bytes, filename: str, lim: Limits) -> RawTable:
    text, enc = _decode(raw, filename)
    doc = loads_json(text, lim, filename=filename)
    del text
    if isinstance(doc, Mapping):
        for key in JSON_WRAPPERS:
            if isinstance(doc.get(key), list):
                doc = doc[key]
                break
    if not isinstance(doc, list):
        raise InvalidInput(
            'expected a JSON array of objects, {"items": [...]} or {"candidates": [...]}', file=filename
        )
    if len(doc) + 1 > lim.csv_max_rows:
        raise InvalidInput(
            f"json: more than {lim.csv_max_rows - 1:,} records (limit {Limits.env_var('csv_max_rows')})",
            file=filename,
            hint=f"split the file or raise {Limits.env_var('csv_max_rows')}",
        )
    keys: dict[str, None] = {}
    for number, item in enumerate(doc, start=FIRST_DATA_ROW):
        if not isinstance(item, Mapping):
            raise InvalidInput(
                f"record {number - FIRST_DATA_ROW + 1} of the array is not an object",
                file=filename,
                row=number,
            )
        if len(keys) <= lim.csv_max_cols:
            keys.update(dict.fromkeys(item))
    if len(keys) > lim.csv_max_cols:
        raise InvalidInput(
            f"json: the records use more than {lim.csv_max_cols:,} keys (limit {Limits.env_var('csv_max_cols')})",
            file=filename,
        )
    names = list(keys)
    header = _header(names, filename)
    if len(header) != len(names):  # a trailing empty key "" was dropped: refuse it like any empty header
        raise InvalidInput("a record has an empty key: every field needs a name", file=filename, field="")

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for number, item in enumerate(doc, start=FIRST_DATA_ROW):
            yield number, [clean_cell(item.get(h)) for h in names]

    return RawTable(filename, header, rows(), len(doc), enc)


def iter_table(raw: bytes, *, filename: str, limits: Limits | None = None) -> RawTable:
    """Open ``raw`` according to the suffix of ``filename`` and stream its rows (see the module notes).

    Every parser runs under ``limits`` (default: :meth:`Limits.from_env`): XLSX is streamed with
    its archive, row, column and cell budgets; CSV rows, columns and cell lengths; JSON depth,
    number size, records and keys. Text cells come back without control, zero-width, bidi and
    terminal-escape characters (:func:`clean_cell`).

    >>> t = iter_table(b"name,n\\nA,1\\n\\nB,2,x\\n", filename="a.csv")
    >>> t.header, list(t.rows)
    (['name', 'n'], [(2, ['A', '1']), (3, []), (4, ['B', '2', 'x'])])
    """
    lim = table_limits(limits)
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx(raw, filename, lim)
    if suffix == ".json":
        return _json(raw, filename, lim)
    if suffix in (".csv", ".txt", ".tsv", ""):
        return _csv(raw, filename, "\t" if suffix == ".tsv" else ",", lim)
    raise InvalidInput(
        f"unsupported file type {suffix!r}; expected .csv, .tsv, .xlsx or .json",
        file=filename,
        field="filename",
    )


def _nested(v: Any) -> bool:
    return isinstance(v, dict) or (isinstance(v, list) and any(isinstance(x, list | dict) for x in v))


def text_rows(raw: RawTable, *, list_columns: Sequence[str] | None = None) -> Iterator[TableRow | RowError | None]:
    """Stream ``raw``'s data rows as text: a :class:`TableRow` (cells by column name), a
    :class:`RowError` for a row the reader refuses (a value beyond the header; a JSON object or
    nested array; with ``list_columns``, a JSON array in any other column), or None for a blank row.
    """
    columns = raw.header
    width = len(columns)
    index = {c: j for j, c in enumerate(columns)}
    lists_ok = None if list_columns is None else frozenset(list_columns)
    if raw.texts:  # text cells only (CSV): the same checks without a type test per cell
        strip = str.strip
        for number, cells in raw.rows:
            if not "".join(cells).strip():  # every cell blank
                yield None
                continue
            if len(cells) > width:
                err = surplus_cell_error(number, cells, width)
                if err is not None:
                    yield err
                    continue
                cells = cells[:width]
            yield TableRow(number, RowValues(index, list(map(strip, cells))))
        return
    for number, cells in raw.rows:
        if all(is_blank(c) for c in cells):
            yield None
            continue
        err = surplus_cell_error(number, cells, width)
        if err is not None:
            yield err
            continue
        bad: RowError | None = None
        for j, v in enumerate(cells[:width]):
            if isinstance(v, list | dict) and (
                _nested(v) or isinstance(v, dict) or (lists_ok is not None and columns[j] not in lists_ok)
            ):
                what = "an object" if isinstance(v, dict) else "a list"
                bad = RowError(row=number, column=columns[j], value=shown_value(v), reason=f"expected a single value, got {what}")
                break
        if bad is not None:
            yield bad
            continue
        yield TableRow(number, RowValues(index, [cell_text(c) for c in cells[:width]]))


def read_table(
    data: bytes,
    *,
    filename: str,
    limits: Limits | None = None,
    list_columns: Sequence[str] | None = None,
) -> Table:
    """The whole table as strings (blank rows skipped and counted; rows with a
    value beyond the header in ``errors``); InvalidInput names the file.

    A JSON object or nested array as a value is a row error; with ``list_columns`` a JSON
    array in any other column is one too (a list where one value is expected). To validate
    a large file without holding it, stream :func:`text_rows` instead.
    """
    raw = iter_table(data, filename=filename, limits=limits)
    table = Table(filename, raw.header, encoding=raw.encoding)
    for item in text_rows(raw, list_columns=list_columns):
        if item is None:
            table.blank_rows += 1
        elif isinstance(item, RowError):
            table.errors.append(item)
        else:
            table.rows.append(item)
    return table


def read_table_file(path: str | Path, *, limits: Limits | None = None) -> Table:
    p = Path(path)
    return read_table(read_source(p, p.name), filename=p.name, limits=limits)
