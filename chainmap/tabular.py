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

* :func:`iter_table` streams ``(row number, raw cell values)`` — values as the
  file holds them (XLSX numbers stay numbers, JSON lists stay lists); the
  candidate importer validates these (millions of rows, one pass).
* :func:`read_table` collects the non-blank rows as stripped strings in a
  :class:`Table` (the local-enterprise importer).

Both report the same :class:`~chainmap.exceptions.RowError` for a row with a
value beyond the last header column (:func:`surplus_cell_error`), and the same
:class:`~chainmap.exceptions.InvalidInput` for an unreadable file.

>>> t = read_table("name,tags\\n大运汽车,链主\\n".encode("gbk"), filename="a.csv")
>>> t.encoding, t.columns, t.rows[0].values["name"], t.rows[0].number
('gb18030', ['name', 'tags'], '大运汽车', 2)
>>> [r.number for r in read_table(b'{"items": [{"name": "a"}, {"name": "b"}]}', filename="a.json").rows]
[2, 3]
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from chainmap.exceptions import InvalidInput, RowError

__all__ = [
    "Table",
    "TableRow",
    "RawTable",
    "iter_table",
    "read_table",
    "read_table_file",
    "read_source",
    "cell_text",
    "is_blank",
    "surplus_cell_error",
    "SUPPORTED_SUFFIXES",
    "FIRST_DATA_ROW",
]

SUPPORTED_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".json")
#: Row number of the first data row (the header is row 1) in every format.
FIRST_DATA_ROW = 2
#: Keys of a JSON object that may wrap the array of records.
JSON_WRAPPERS = ("items", "candidates")


@dataclass
class TableRow:
    number: int
    values: dict[str, str]


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
                value=values[j],
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


def _decode(raw: bytes, filename: str) -> tuple[str, str]:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(enc), ("utf-8" if enc == "utf-8-sig" else enc)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(
        "the file is neither UTF-8 nor GBK/GB18030 text",
        file=filename,
        hint="save it as CSV UTF-8 from Excel",
    )


def _header(cells: Sequence[Any], filename: str) -> list[str]:
    header = [cell_text(h) for h in cells]
    while header and header[-1] == "":
        header.pop()
    seen: set[str] = set()
    for h in header:
        if h and h in seen:
            raise InvalidInput(f"column {h!r} appears twice in the header", file=filename, field=h, row=1)
        seen.add(h)
    return header


def _empty(filename: str, what: str) -> InvalidInput:
    return InvalidInput(
        f"the {what} is empty: expected a header row naming the columns", file=filename, row=1
    )


def _csv(raw: bytes, filename: str, delimiter: str) -> RawTable:
    text, enc = _decode(raw, filename)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
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
                yield number, values
        except csv.Error as err:
            raise InvalidInput(f"not a readable CSV file: {err}", file=filename, row=number + 1) from None

    return RawTable(filename, header, rows(), text.count("\n"), enc)


def _xlsx(raw: bytes, filename: str) -> RawTable:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as err:  # noqa: BLE001 - openpyxl raises many types for a bad file
        raise InvalidInput(f"not a readable XLSX workbook ({type(err).__name__})", file=filename) from None
    ws = wb.worksheets[0]
    it = ws.iter_rows(values_only=True)
    first = next(it, None)
    if first is None:
        wb.close()
        raise _empty(filename, "sheet")
    header = _header(first, filename)

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for number, values in enumerate(it, start=FIRST_DATA_ROW):
                yield number, list(values)
        finally:
            wb.close()

    return RawTable(filename, header, rows(), max(0, (ws.max_row or 1) - 1), None)


def _json(raw: bytes, filename: str) -> RawTable:
    text, enc = _decode(raw, filename)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise InvalidInput(f"not valid JSON: {err.msg}", file=filename, line=err.lineno) from None
    if isinstance(doc, Mapping):
        for key in JSON_WRAPPERS:
            if isinstance(doc.get(key), list):
                doc = doc[key]
                break
    if not isinstance(doc, list):
        raise InvalidInput(
            'expected a JSON array of objects, {"items": [...]} or {"candidates": [...]}', file=filename
        )
    keys: dict[str, None] = {}
    for number, item in enumerate(doc, start=FIRST_DATA_ROW):
        if not isinstance(item, Mapping):
            raise InvalidInput(
                f"record {number - FIRST_DATA_ROW + 1} of the array is not an object",
                file=filename,
                row=number,
            )
        keys.update(dict.fromkeys(map(str, item)))
    header = [k.strip() for k in keys]

    def rows() -> Iterator[tuple[int, list[Any]]]:
        names = list(keys)
        for number, item in enumerate(doc, start=FIRST_DATA_ROW):
            yield number, [item.get(h) for h in names]

    return RawTable(filename, header, rows(), len(doc), enc)


def iter_table(raw: bytes, *, filename: str) -> RawTable:
    """Open ``raw`` according to the suffix of ``filename`` and stream its rows (see the module notes).

    >>> t = iter_table(b"name,n\\nA,1\\n\\nB,2,x\\n", filename="a.csv")
    >>> t.header, list(t.rows)
    (['name', 'n'], [(2, ['A', '1']), (3, []), (4, ['B', '2', 'x'])])
    """
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx(raw, filename)
    if suffix == ".json":
        return _json(raw, filename)
    if suffix in (".csv", ".txt", ".tsv", ""):
        return _csv(raw, filename, "\t" if suffix == ".tsv" else ",")
    raise InvalidInput(
        f"unsupported file type {suffix!r}; expected .csv, .tsv, .xlsx or .json",
        file=filename,
        field="filename",
    )


def read_table(data: bytes, *, filename: str) -> Table:
    """The whole table as strings (blank rows skipped and counted; rows with a
    value beyond the header in ``errors``); InvalidInput names the file."""
    raw = iter_table(data, filename=filename)
    columns = raw.header
    width = len(columns)
    table = Table(filename, columns, encoding=raw.encoding)
    for number, cells in raw.rows:
        if all(is_blank(c) for c in cells):
            table.blank_rows += 1
            continue
        err = surplus_cell_error(number, cells, width)
        if err is not None:
            table.errors.append(err)
            continue
        n = len(cells)
        table.rows.append(
            TableRow(number, {c: cell_text(cells[j]) if j < n else "" for j, c in enumerate(columns)})
        )
    return table


def read_table_file(path: str | Path) -> Table:
    p = Path(path)
    return read_table(read_source(p, p.name), filename=p.name)
