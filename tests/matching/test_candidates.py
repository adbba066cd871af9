"""Candidate import: formats, validation, row numbers, dedup, idempotent storage."""

from __future__ import annotations

import csv
import json

import pytest
from openpyxl import Workbook

from chainmap.exceptions import InvalidInput
from matching.candidates import candidate_id, read_candidates, store_candidates, write_error_report


def _by_name(result):
    return {c["name"]: c for c in result.candidates}


def test_good_csv_utf8(toy_data, good_csv):
    r = read_candidates(good_csv.encode("utf-8"), filename="c.csv", data=toy_data)
    assert r.rows_read == 4 and r.rows_refused == 0 and r.errors == []
    assert r.encoding == "utf-8"
    c = _by_name(r)["恩捷新材料股份有限公司"]
    assert c["credit_code"] == "91350100M000100Y43"
    assert c["id"] == "cand.91350100m000100y43"
    assert c["hq_province"] == "云南" and c["hq_city"] == "玉溪"
    assert c["tags"] == ["listed", "private500"]
    assert c["revenue_cny_100m"] == 120.5 and c["revenue_growth"] == 0.25 and c["employees"] == 8000
    assert c["expansions_3y"] == 3 and c["shanxi_presence"] is False
    assert c["group"] == "恩捷" and c["attributes"] == {}
    assert [m["segment"] for m in c["mapped_segments"]] == ["qi.separator"]
    s = _by_name(r)["星源材质"]
    # missing numbers stay None, never 0
    assert s["revenue_cny_100m"] is None and s["employees"] is None and s["shanxi_presence"] is None
    t = _by_name(r)["天赐材料"]
    assert t["revenue_growth"] == pytest.approx(0.12)
    assert t["risk_flags"] == ["major_litigation"]
    assert [u["name"] for u in r.unmapped] == ["某某科技"]
    assert r.unmapped[0]["row"] == 5


def test_gbk_csv_detected(toy_data, good_csv):
    r8 = read_candidates(good_csv.encode("utf-8-sig"), filename="c.csv", data=toy_data)
    rg = read_candidates(good_csv.encode("gbk"), filename="c.csv", data=toy_data)
    assert rg.encoding == "gb18030"
    assert rg.candidates == r8.candidates


def test_xlsx(tmp_path, toy_data, good_csv):
    wb = Workbook()
    ws = wb.active
    for row in csv.reader(good_csv.splitlines()):
        ws.append([None if v == "" else v for v in row])
    ws["H2"] = 120.5  # a real number cell
    ws["J2"] = 8000
    p = tmp_path / "c.xlsx"
    wb.save(p)
    r = read_candidates(p, data=toy_data)
    assert r.rows_read == 4
    c = _by_name(r)["恩捷新材料股份有限公司"]
    assert c["revenue_cny_100m"] == 120.5 and c["employees"] == 8000


def test_xlsx_bad_row_numbers(tmp_path, toy_data):
    wb = Workbook()
    ws = wb.active
    ws.append(["name", "employees"])
    ws.append(["甲", 10])
    ws.append(["乙", "many"])
    p = tmp_path / "bad.xlsx"
    wb.save(p)
    with pytest.raises(InvalidInput) as ei:
        read_candidates(p, data=toy_data)
    assert [(e.row, e.column) for e in ei.value.errors] == [(3, "employees")]


def test_json_list_and_object(toy_data):
    items = [
        {"name": "甲公司", "segments": ["qi.cell"], "revenue_cny_100m": 5, "tags": ["gazelle"]},
        {"name": "乙公司", "hq_province": "Zhejiang", "custom": 1},
    ]
    for doc in (items, {"candidates": items}, {"items": items}):
        r = read_candidates(json.dumps(doc, ensure_ascii=False).encode(), filename="c.json", data=toy_data)
        a, b = _by_name(r)["甲公司"], _by_name(r)["乙公司"]
        assert a["segments"] == ["qi.cell"] and a["mapped_segments"] == [] and a["revenue_cny_100m"] == 5.0
        assert b["hq_province"] == "浙江" and b["attributes"] == {"custom": 1}


def test_json_rows_are_numbered_like_a_sheet_under_a_header(toy_data):
    """The first JSON record is row 2, as in CSV/XLSX (chainmap.tabular numbering)."""
    doc = [{"name": "甲"}, {"name": "乙", "revenue_cny_100m": -1}]
    with pytest.raises(InvalidInput) as ei:
        read_candidates(json.dumps(doc).encode(), filename="c.json", data=toy_data)
    assert [(e.row, e.column) for e in ei.value.errors] == [(3, "revenue_cny_100m")]


@pytest.fixture
def BAD(csv_text):
    return csv_text(
        "好公司,,浙江,杭州,湿法隔膜,,,,,,,,,,,,",
        "坏公司一,91350100M000100Y44,火星,,,qi.nope,foo,abc,35,1.5,3000,,,maybe,bankrupt,,",
        "好公司二,,,,,,,,,,,,,,,,",
        ",,,,,,,,,,,,,,,,x",
    )


def test_bad_rows_refuse_whole_file_with_excel_row_numbers(toy_data, BAD):
    with pytest.raises(InvalidInput) as ei:
        read_candidates(BAD.encode(), filename="bad.csv", data=toy_data)
    err = ei.value
    assert err.context["file"] == "bad.csv"
    assert "bad.csv" in str(err)
    got = {(e.row, e.column) for e in err.errors}
    assert got == {
        (3, "credit_code"),
        (3, "hq_province"),
        (3, "segments"),
        (3, "tags"),
        (3, "revenue_cny_100m"),
        (3, "revenue_growth"),
        (3, "employees"),
        (3, "founded_year"),
        (3, "shanxi_presence"),
        (5, "name"),  # free-text risk entries are accepted (matching.risk), not refused
    }
    growth = next(e for e in err.errors if e.column == "revenue_growth")
    assert growth.value == "35" and "35%" in growth.reason


def test_skip_invalid_keeps_valid_rows_and_reports(tmp_path, toy_data, BAD):
    r = read_candidates(BAD.encode(), filename="bad.csv", data=toy_data, skip_invalid=True)
    assert sorted(c["name"] for c in r.candidates) == ["好公司", "好公司二"]
    assert r.rows_read == 4 and r.rows_refused == 2
    report = tmp_path / "refused.csv"
    n = write_error_report(r.errors, report, unmapped=r.unmapped)
    assert n == len(r.errors) == 10
    rows = list(csv.DictReader(report.open(encoding="utf-8-sig")))
    assert list(rows[0]) == ["row", "column", "value", "reason"]
    assert {(x["row"], x["column"]) for x in rows[:n]} >= {("3", "credit_code"), ("5", "name")}
    assert rows[n]["row"] == "4" and "no segment matched" in rows[n]["reason"]  # unmapped 好公司二


def test_missing_name_column(toy_data):
    with pytest.raises(InvalidInput) as ei:
        read_candidates(b"company_x,hq_city\n1,2\n", filename="x.csv", data=toy_data)
    assert ei.value.context["field"] == "name"


def test_unsupported_extension(toy_data):
    with pytest.raises(InvalidInput):
        read_candidates(b"x", filename="x.pdf", data=toy_data)


def test_chinese_headers(toy_data):
    text = "企业名称,总部省份,营收增速,主营产品\n甲公司,江苏省,5%,动力电池\n"
    r = read_candidates(text.encode(), filename="zh.csv", data=toy_data)
    c = r.candidates[0]
    assert c["hq_province"] == "江苏" and c["revenue_growth"] == pytest.approx(0.05)
    assert c["mapped_segments"][0]["segment"] == "qi.cell"


def test_dedup_by_credit_code_and_by_normalised_name(toy_data, csv_text):
    text = csv_text(
        "甲公司,91350100M000100Y43,,,,,listed,,,,,,,,,s1,",
        "甲公司别名,91350100M000100Y43,浙江,,,,gazelle,10,,,,,,,dishonest,s2,",
        "乙科技有限公司,,,,,qi.cell,,,,100,,,,,,s3,",
        "乙科技（集团）股份有限公司,,江苏,苏州,,qi.pack,,,,200,,,,,,s4,",
        "丙,,,,,,,,,,,,,,,,",
    )
    r = read_candidates(text.encode(), filename="d.csv", data=toy_data)
    assert r.merged == 2 and len(r.candidates) == 3
    a = _by_name(r)["甲公司"]
    assert a["tags"] == ["listed", "gazelle"]  # lists united
    assert a["hq_province"] == "浙江" and a["revenue_cny_100m"] == 10.0  # blanks filled by later rows
    assert a["source"] == "s1"  # first non-empty wins
    assert a["risk_flags"] == ["dishonest"]  # a risk flag is never lost
    b = _by_name(r)["乙科技有限公司"]
    assert b["segments"] == ["qi.cell", "qi.pack"] and b["employees"] == 100 and b["hq_city"] == "苏州"
    assert b["id"] == candidate_id({"name": "乙科技"})


def test_name_only_row_merges_into_credit_code_row(toy_data, csv_text):
    text = csv_text("丁有限公司,,,,,,,,,,,,,,,,", "丁,91350100M000100Y43,,,,,,,,,,,,,,,")
    r = read_candidates(text.encode(), filename="d.csv", data=toy_data)
    assert len(r.candidates) == 1 and r.merged == 1
    assert r.candidates[0]["id"] == "cand.91350100m000100y43"


def test_reimport_is_idempotent_in_sqlite(tmp_path, toy_data, good_csv, csv_text):
    from chainmap.storage.factory import open_store

    store = open_store(backend="sqlite", sqlite_path=tmp_path / "c.db")
    try:
        r = read_candidates(good_csv.encode(), filename="c.csv", data=toy_data)
        first = store_candidates(store, r.candidates)
        snapshot = store.list_records("candidate")
        again = store_candidates(
            store, read_candidates(good_csv.encode(), filename="c.csv", data=toy_data).candidates
        )
        assert first["created"] == 4
        assert again == {"created": 0, "updated": 0, "unchanged": 4, "replaced": 0}
        assert store.list_records("candidate") == snapshot
        # a later file with a credit code for a name-only candidate replaces it
        upd = csv_text("星源材质股份有限公司,91440300MA5F00001A,,,,,,50,,,,,,,,,")
        counts = store_candidates(
            store, read_candidates(upd.encode(), filename="u.csv", data=toy_data).candidates
        )
        assert counts["replaced"] == 1
        recs = {r["name_norm"]: r for r in store.list_records("candidate")}
        assert recs["星源材质"]["id"] == "cand.91440300ma5f00001a"
        assert recs["星源材质"]["revenue_cny_100m"] == 50.0 and recs["星源材质"]["hq_city"] == "深圳"
        assert len(recs) == 4
    finally:
        store.close()


def test_progress_callback(toy_data, csv_text):
    rows = [f"公司{i},,,,,,,,,,,,,,,," for i in range(12000)]
    calls = []
    r = read_candidates(
        csv_text(*rows).encode(), filename="p.csv", data=toy_data, progress=lambda d, t: calls.append((d, t))
    )
    assert len(r.candidates) == 12000
    assert calls[0][0] == 5000 and calls[-1] == (12000, 12000)
