"""Read a user's table (CSV in UTF-8 or GBK, XLSX, JSON) into rows of strings.

Row numbers are those a user sees in Excel: the header is row 1, the first
data row is row 2 (for JSON: the 1-based position in the array, +1 likewise).

>>> t = read_table("name,tags\\n大运汽车,链主\\n".encode("gbk"), filename="a.csv")
>>> t.encoding, t.columns, t.rows[0].values["name"], t.rows[0].number
('gb18030', ['name', 'tags'], '大运汽车', 2)
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chainmap.exceptions import InvalidInput

__all__ = ["Table", "TableRow", "read_table", "read_table_file", "SUPPORTED_SUFFIXES"]

SUPPORTED_SUFFIXES = (".csv", ".xlsx", ".json")


@dataclass
class TableRow:
    number: int
    values: dict[str, str]


@dataclass
class Table:
    filename: str
    columns: list[str]
    rows: list[TableRow] = field(default_factory=list)
    encoding: str | None = None


def _decode(data: bytes, filename: str) -> tuple[str, str]:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc), ("utf-8" if enc == "utf-8-sig" else enc)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("cannot decode the file: expected UTF-8 or GBK text", file=filename)


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, list):
        return ";".join(_cell(x) for x in v)
    return str(v).strip()


def read_table(data: bytes, *, filename: str) -> Table:
    """Parse ``data`` according to the suffix of ``filename``; InvalidInput names the file."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv" or suffix == ".txt":
        text, enc = _decode(data, filename)
        reader = csv.reader(io.StringIO(text))
        try:
            header = next(reader)
        except StopIteration:
            raise InvalidInput("the file is empty: expected a header row", file=filename) from None
        except csv.Error as e:
            raise InvalidInput(f"CSV syntax error: {e}", file=filename, row=1) from None
        columns = [h.strip() for h in header]
        table = Table(filename, columns, encoding=enc)
        try:
            for i, cells in enumerate(reader, start=2):
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) > len(columns):
                    raise InvalidInput(
                        f"{len(cells)} cells but the header has {len(columns)} columns", file=filename, row=i
                    )
                table.rows.append(TableRow(i, {c: (cells[j].strip() if j < len(cells) else "") for j, c in enumerate(columns)}))
        except csv.Error as e:
            raise InvalidInput(f"CSV syntax error: {e}", file=filename, row=reader.line_num) from None
        return table
    if suffix == ".xlsx":
        try:
            from openpyxl import load_workbook

            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as e:  # noqa: BLE001 - openpyxl raises many types for a bad file
            raise InvalidInput(f"not a readable XLSX workbook ({type(e).__name__})", file=filename) from None
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        header_row = next(it, None)
        if header_row is None:
            raise InvalidInput("the sheet is empty: expected a header row", file=filename)
        columns = [_cell(h) for h in header_row]
        while columns and columns[-1] == "":
            columns.pop()
        table = Table(filename, columns, encoding="xlsx")
        for i, cells in enumerate(it, start=2):
            vals = {c: _cell(cells[j]) if j < len(cells) else "" for j, c in enumerate(columns)}
            if any(vals.values()):
                table.rows.append(TableRow(i, vals))
        wb.close()
        return table
    if suffix == ".json":
        text, enc = _decode(data, filename)
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            raise InvalidInput(f"JSON syntax error: {e.msg}", file=filename, line=e.lineno) from None
        if isinstance(obj, dict) and isinstance(obj.get("items"), list):
            obj = obj["items"]
        if not isinstance(obj, list) or not all(isinstance(x, dict) for x in obj):
            raise InvalidInput("expected a JSON array of objects (or {\"items\": [...]})", file=filename)
        columns: list[str] = []
        for item in obj:
            for k in item:
                if k not in columns:
                    columns.append(k)
        table = Table(filename, columns, encoding=enc)
        for i, item in enumerate(obj, start=2):
            table.rows.append(TableRow(i, {c: _cell(item.get(c)) for c in columns}))
        return table
    raise InvalidInput(
        f"unsupported file type {suffix or '(none)'!r}; expected one of {', '.join(SUPPORTED_SUFFIXES)}", file=filename
    )


def read_table_file(path: str | Path) -> Table:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise InvalidInput(f"cannot read file: {e.strerror}", file=str(p)) from None
    return read_table(data, filename=p.name)
