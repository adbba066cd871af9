"""The one table reader (chainmap.tabular): formats, row numbering, wrappers, errors."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import Workbook

from chainmap.exceptions import InvalidInput
from chainmap.tabular import iter_table, read_table

ROWS = [["name", "n"], ["甲", "1"], ["", ""], ["乙", "2"]]


def _csv(rows: list[list[str]]) -> bytes:
    return "".join(",".join(r) + "\n" for r in rows).encode("utf-8")


def _xlsx(rows: list[list[str]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append([v or None for v in r])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _json(rows: list[list[str]], wrapper: str | None = None) -> bytes:
    head, *body = rows
    items = [dict(zip(head, r, strict=True)) for r in body]
    return json.dumps({wrapper: items} if wrapper else items, ensure_ascii=False).encode()


@pytest.mark.parametrize(
    ("name", "raw"),
    [("t.csv", _csv(ROWS)), ("t.xlsx", _xlsx(ROWS)), ("t.json", _json(ROWS)),
     ("t.json", _json(ROWS, "items")), ("t.json", _json(ROWS, "candidates"))],
)  # fmt: skip
def test_same_rows_and_numbers_in_every_format(name: str, raw: bytes) -> None:
    t = read_table(raw, filename=name)
    assert t.columns == ["name", "n"]
    assert [(r.number, r.values) for r in t.rows] == [(2, {"name": "甲", "n": "1"}), (4, {"name": "乙", "n": "2"})]
    assert t.blank_rows == 1 and t.errors == []


def test_quoted_multiline_cell_is_one_row() -> None:
    t = read_table('name,note\n甲,"two\nlines"\n乙,x\n'.encode(), filename="t.csv")
    assert [r.number for r in t.rows] == [2, 3]


def test_gbk_and_tsv() -> None:
    t = iter_table("name\tcity\n甲\t运城\n".encode("gbk"), filename="t.tsv")
    assert t.encoding == "gb18030" and list(t.rows) == [(2, ["甲", "运城"])]


def test_surplus_cell_is_a_row_error_not_a_crash() -> None:
    t = read_table(b"name,n\nA,1\nB,2,x\n", filename="t.csv")
    assert [r.number for r in t.rows] == [2]
    assert [e.to_dict() for e in t.errors] == [
        {"row": 3, "column": "", "value": "x", "reason": "cell 3 is beyond the 2 header columns"}
    ]


@pytest.mark.parametrize(
    ("name", "raw", "context"),
    [
        ("t.csv", b"", {"row": 1}),
        ("t.json", b"[1, 2]", {"row": 2}),
        ("t.json", b'{"rows": []}', {}),
        ("t.json", b"[{", {"line": 1}),
        ("t.xlsx", b"not a zip", {}),
        ("t.pdf", b"x", {"field": "filename"}),
        ("t.csv", b"name,name\nA,B\n", {"field": "name", "row": 1}),
        ("t.csv", b"\xff\xfe\x00\x81\xff", {}),
    ],
)
def test_unreadable_files_name_the_file(name: str, raw: bytes, context: dict[str, object]) -> None:
    with pytest.raises(InvalidInput) as ei:
        read_table(raw, filename=name)
    assert ei.value.context["file"] == name
    assert context.items() <= ei.value.context.items()
