"""A candidate import shared with worker processes gives exactly what one process gives.

The file mixes everything the merge and the mapping depend on across chunk boundaries: duplicates
by credit code and by name (a later row filling a blank ``main_products``, so the merged record is
mapped again), bad rows, blank rows, a city warning, a memoised column value reused and refused.
Chunks of 7 rows put every kind of row in several chunks and start the worker pool after two.
"""

from __future__ import annotations

import threading

import pytest

from chainmap.exceptions import InvalidInput
from chainmap.models import credit_code_check_char
from chainmap.parallel import map_chunks
from matching.candidates import import_workers, read_candidates

HEADER = "name,credit_code,hq_province,hq_city,main_products,segments,tags,employees,revenue_growth,source\n"


def _cc(i: int) -> str:
    first = f"9111{i:012d}0"[:17]
    return first + credit_code_check_char(first)


def _file() -> bytes:
    products = ["湿法隔膜、涂覆隔膜", "动力电池", "电池模组", "驱动电机", "办公用品", "六氟磷酸锂"]
    lines = [HEADER]
    for i in range(120):
        cc = _cc(i) if i % 3 == 0 else ""
        prod = products[i % len(products)]
        seg = "qi.cell" if i % 11 == 0 else ""
        tags = "listed" if i % 4 == 0 else ""
        city = "昆明" if i % 5 == 0 else "苏州"  # 昆明 with 江苏: a province warning
        lines.append(f"候选企业{i}有限公司,{cc},江苏,{city},{prod},{seg},{tags},{100 + i % 3},0.1,t\n")
        if i % 17 == 0:
            lines.append(",,,,,,,,,\n")  # blank row
    # duplicates of early rows, late in the file (other chunks)
    lines.append(f"候选企业0有限公司,{_cc(0)},,,,,gazelle,,,t\n")  # by credit code: adds a tag
    lines.append("候选企业1有限公司,,,,,,,,,t\n")  # by name, nothing new
    lines.append("候选企业2 有限公司 ,,江苏,苏州,,,,,,t\n")  # by normalised name
    lines.append("后补产品企业,,江苏,苏州,,,,,,t\n")
    lines.append("后补产品企业有限公司,,,,驱动电机,,,,,t\n")  # fills main_products: mapped again
    # bad rows: an unknown tag (a memoised column refusing a value), a bad credit code, no name
    lines.append("坏标签企业,,江苏,苏州,动力电池,,famous,,,t\n")
    lines.append("坏代码企业,91110000000000000X,江苏,苏州,动力电池,,,,,t\n")
    lines.append(",,江苏,苏州,动力电池,,,,,t\n")
    lines.append("坏标签企业二,,江苏,苏州,动力电池,,famous,,,t\n")
    return "".join(lines).encode("utf-8")


def _summary(r):
    return (
        r.candidates,
        [(e.row, e.column, e.value, e.reason) for e in r.errors],
        [(w.row, w.column, w.value, w.reason) for w in r.warnings],
        r.rows_read,
        r.rows_refused,
        r.blank_rows,
        r.merged,
        r.unmapped,
    )


@pytest.fixture
def serial(toy_data):
    return read_candidates(_file(), filename="c.csv", data=toy_data, skip_invalid=True, workers=1)


def test_serial_reference_is_what_the_file_says(serial):
    by_name = {c["name"]: c for c in serial.candidates}
    assert serial.rows_read == 129 and serial.rows_refused == 4 and serial.blank_rows == 8
    assert serial.merged == 4
    assert by_name["候选企业0有限公司"]["tags"] == ["listed", "gazelle"]
    late = by_name["后补产品企业"]
    assert late["main_products"] == "驱动电机"
    assert [m["segment"] for m in late["mapped_segments"]] == ["qi.motor"]
    assert {e.column for e in serial.errors} == {"tags", "credit_code", "name"}
    assert [e.row for e in serial.errors if e.column == "tags"] == [135, 138]
    assert serial.warnings, "玉溪 with 江苏 is worth a warning"


@pytest.mark.parametrize("in_thread", [False, True], ids=["fork", "forkserver-from-a-thread"])
def test_workers_give_the_same_result(toy_data, serial, in_thread):
    got: dict[str, object] = {}

    def run() -> None:
        got["r"] = read_candidates(
            _file(), filename="c.csv", data=toy_data, skip_invalid=True, workers=2, chunk_rows=7
        )

    if in_thread:  # a server's request thread: the pool must not fork a threaded process
        t = threading.Thread(target=run)
        t.start()
        t.join(120)
        assert not t.is_alive()
    else:
        run()
    assert _summary(got["r"]) == _summary(serial)


def test_workers_refuse_the_same_rows(toy_data):
    with pytest.raises(InvalidInput) as one:
        read_candidates(_file(), filename="c.csv", data=toy_data, workers=1)
    with pytest.raises(InvalidInput) as two:
        read_candidates(_file(), filename="c.csv", data=toy_data, workers=3, chunk_rows=5)
    assert one.value.message == two.value.message == "4 of 129 rows refused; nothing was imported"
    assert [(e.row, e.column, e.reason) for e in one.value.errors] == [
        (e.row, e.column, e.reason) for e in two.value.errors
    ]


def test_bad_worker_counts_are_refused(toy_data, monkeypatch):
    with pytest.raises(InvalidInput) as err:
        read_candidates(_file(), filename="c.csv", data=toy_data, workers=0)
    assert err.value.context.get("field") == "workers"
    monkeypatch.setenv("CHAINMAP_IMPORT_WORKERS", "-2")
    with pytest.raises(InvalidInput) as env:
        read_candidates(_file(), filename="c.csv", data=toy_data, workers=None)
    assert "CHAINMAP_IMPORT_WORKERS" in str(env.value)
    monkeypatch.setenv("CHAINMAP_IMPORT_WORKERS", "2")
    assert import_workers() == 2


def _square_all(offset: int, chunk: list[int]) -> list[int]:
    if 13 in chunk:
        raise ValueError("thirteen")
    return [offset + x * x for x in chunk]


def test_map_chunks_keeps_order_and_raises_worker_errors():
    out = [y for part in map_chunks(_square_all, 1, range(12), workers=3, chunk_size=2, start_after=1) for y in part]
    assert out == [1 + x * x for x in range(12)]
    with pytest.raises(ValueError, match="thirteen"):
        list(map_chunks(_square_all, 0, range(40), workers=2, chunk_size=3, start_after=1))
    with pytest.raises(ValueError, match="workers"):
        list(map_chunks(_square_all, 0, range(3), workers=0))
