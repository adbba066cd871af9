"""The hardening library wired into the importers: no silent corruption, no crash.

Every case here was accepted silently wrong, or crashed, before the wiring (issue 17,
points 3 and 4); each goes through the real reader (chainmap.tabular) and the real
importers (matching.candidates, chainmap.enterprise_import), and through the API with a
real SQLite file where the store matters.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from api.main import create_app
from api.settings import Settings
from chainmap.enterprise_import import enterprises_from_upload
from chainmap.exceptions import InvalidInput
from chainmap.names import normalize_company_name
from chainmap.seed import load_seed
from chainmap.storage.sqlite import SQLiteStore
from chainmap.tabular import iter_table, read_table
from chainmap.textfmt import table
from matching.candidates import read_candidates, store_candidates
from tests.reliability.bombs import json_deep, json_long_integer, xlsx_from_sheet_xml

SEED = load_seed()
API = "/api/v1"


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cand(raw: bytes, filename: str = "c.csv", **kw: object) -> object:
    return read_candidates(raw, filename=filename, data=SEED, **kw)  # type: ignore[arg-type]


def _refusal(fn: object, *args: object, **kw: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        fn(*args, **kw)  # type: ignore[operator]
    err = info.value
    json.dumps(err.to_dict(), allow_nan=False)  # the API body must serialise
    return err


# ------------------------------------------------------------------ numbers


@pytest.mark.parametrize(
    ("text", "why"),
    [("1,5", "ambiguous"), ("1.234,5", "ambiguous"), ("inf", "finite"), ("NaN", "finite"), ("-Infinity", "finite")],
)
def test_ambiguous_and_non_finite_numbers_are_refused_by_both_importers(text: str, why: str) -> None:
    err = _refusal(_cand, f'name,revenue_cny_100m\n甲,"{text}"\n'.encode())
    assert [(e.row, e.column, e.value) for e in err.errors] == [(2, "revenue_cny_100m", text)]
    assert why in err.errors[0].reason
    err = _refusal(enterprises_from_upload, f'name,revenue\n甲,"{text}"\n'.encode(), filename="e.csv", data=SEED)
    assert [(e.row, e.column, e.value) for e in err.errors] == [(2, "revenue", text)]
    assert why in err.errors[0].reason


def test_unambiguous_thousands_still_read() -> None:
    r = _cand('name,revenue_cny_100m,employees\n甲,"1,234.5","12,000"\n'.encode())
    assert (r.candidates[0]["revenue_cny_100m"], r.candidates[0]["employees"]) == (1234.5, 12000)  # type: ignore[attr-defined]
    (ent,) = enterprises_from_upload('name,revenue,employees\n甲,"1,234.5",1e3\n'.encode(), filename="e.csv", data=SEED)
    assert (ent.revenue, ent.employees) == (1234.5, 1000)


@pytest.mark.parametrize(("column", "value", "bound"), [("employees", "1e20", "5,000,000"),
                                                        ("revenue_cny_100m", "1e15", "100,000"),
                                                        ("valuation_usd_bn", "99999", "10,000")])  # fmt: skip
def test_implausible_numbers_are_refused_with_the_bound(column: str, value: str, bound: str) -> None:
    err = _refusal(_cand, f"name,{column}\n甲,{value}\n".encode())
    assert err.errors[0].column == column and bound in err.errors[0].reason


def test_enterprise_bounds_are_named() -> None:
    err = _refusal(enterprises_from_upload, b"name,employees,revenue\nA,1e20,1e300\n", filename="e.csv", data=SEED)
    reasons = {e.column: e.reason for e in err.errors}
    assert "5000000" in reasons["employees"] and "100000" in reasons["revenue"]


# ------------------------------------------------------------------ encodings

_TEXTS = {
    "shift_jis": "name,hq_city\nトヨタ自動車株式会社,東京\nソニーグループ株式会社,大阪\n",
    "big5": "name,hq_city\n台積電股份有限公司,新竹\n鴻海精密工業股份有限公司,台北\n聯發科技,新竹\n",
    "cp1252": "name,hq_city\nMüller Präzision GmbH,München\nSaint-Gobain Façades,Zürich\n",
}


@pytest.mark.parametrize("codec", sorted(_TEXTS))
def test_other_encodings_are_refused_as_such(codec: str) -> None:
    raw = _TEXTS[codec].encode(codec)
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    for fn in (lambda: _cand(raw), lambda: read_table(raw, filename="e.csv")):
        err = _refusal(fn)
        assert "UTF-8" in str(err) and "GB18030" in str(err)


@pytest.mark.parametrize("codec", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_utf8_and_gb18030_still_read(codec: str) -> None:
    text = "name,hq_city\n宁德时代新能源科技股份有限公司,宁德\n比亚迪股份有限公司,深圳\n“大运”汽车（集团）,运城\n"
    r = _cand(text.encode(codec))
    assert [c["name"] for c in r.candidates] == [  # type: ignore[attr-defined]
        "宁德时代新能源科技股份有限公司", "比亚迪股份有限公司", "“大运”汽车（集团）"]  # fmt: skip


def test_private_use_characters_are_refused() -> None:
    err = _refusal(_cand, "name\n甲\n宁\ue000德\n".encode())
    assert "private-use" in str(err) and err.context["line"] == 3


# ------------------------------------------------------------------ headers


@pytest.mark.parametrize(
    "head", ["name,employees,employees", "name,,employees", "name,na\u200bme", " name ,name"]
)
def test_duplicated_and_empty_headers_are_refused_by_every_reader(head: str) -> None:
    raw = f"{head}\n甲,1,2\n".encode()
    for fn in (lambda: _cand(raw), lambda: enterprises_from_upload(raw, filename="e.csv", data=SEED)):
        err = _refusal(fn)
        assert err.context["row"] == 1
    xl = _xlsx([head.split(","), ["甲", 1, 2]])
    _refusal(read_table, xl, filename="e.xlsx")


def test_header_only_files_are_refused_and_write_nothing(tmp_path: Path) -> None:
    for raw, name in ((b"name,county\n", "e.csv"), (_xlsx([["name", "county"]]), "e.xlsx"), (b'[{"name": null}]', "e.json")):
        err = _refusal(enterprises_from_upload, raw, filename=name, data=SEED)
        assert "no data rows" in str(err)
    _refusal(_cand, b"name,hq_city\n")
    store = SQLiteStore(tmp_path / "s.db")
    try:
        before = store.graph_revision()
        assert store_candidates(store, []) == {"created": 0, "updated": 0, "unchanged": 0, "replaced": 0}
        assert store.graph_revision() == before
    finally:
        store.close()


# ------------------------------------------------------------------ invisible characters


def test_zero_width_bidi_and_escapes_are_removed_and_dedupe() -> None:
    raw = "name,main_products\n宁德时代,电池\n宁\u200b德时代,储能\n\u202e宁德时代\x1b[31m,电芯\n".encode()
    r = _cand(raw)
    assert [c["name"] for c in r.candidates] == ["宁德时代"] and r.merged == 2  # type: ignore[attr-defined]
    assert normalize_company_name("宁\u200b德时代") == normalize_company_name("宁德时代")
    (ent,) = enterprises_from_upload("name\n大运\u2066汽车\x00\n".encode(), filename="e.csv", data=SEED)
    assert ent.name == "大运汽车"


def test_terminal_table_never_carries_escape_codes() -> None:
    out = table(["名称", "n"], [["\x1b]0;pwned\x07\x1b[2J恶意\u202e企业", 1], ["\x9b31m红色", None]])
    assert "\x1b" not in out and "\x9b" not in out and "\u202e" not in out and "\x07" not in out
    assert "恶意企业" in out and "红色" in out


# ------------------------------------------------------------------ cities


def test_unknown_city_is_warned_like_a_province_is_checked() -> None:
    r = _cand("name,hq_province,hq_city\n甲,浙江,杭州\n乙,浙江,杭洲\n丙,浙江,深圳\n".encode())
    assert len(r.candidates) == 3  # type: ignore[attr-defined]
    assert [(w.row, w.column, w.value) for w in r.warnings] == [(3, "hq_city", "杭洲"), (4, "hq_city", "深圳")]  # type: ignore[attr-defined]
    assert "unknown city" in r.warnings[0].reason and "广东" in r.warnings[1].reason  # type: ignore[attr-defined]
    assert r.summary()["warnings"] == 2  # type: ignore[attr-defined]
    err = _refusal(_cand, "name,hq_province\n甲,浙西省\n".encode())
    assert err.errors[0].column == "hq_province"


# ------------------------------------------------------------------ crashes that are now row errors


def test_excel_dates_in_number_columns_are_row_errors() -> None:
    raw = _xlsx([["name", "employees", "founded_year", "note"], ["甲", datetime(2024, 5, 1), 2001, datetime(2020, 1, 2)]])
    err = _refusal(_cand, raw, "c.xlsx")
    assert [(e.row, e.column, e.value) for e in err.errors] == [(2, "employees", "2024-05-01 00:00:00")]
    r = _cand(_xlsx([["name", "note"], ["甲", datetime(2020, 1, 2)]]), "c.xlsx")
    assert r.candidates[0]["attributes"] == {"note": "2020-01-02 00:00:00"}  # type: ignore[attr-defined]
    err = _refusal(enterprises_from_upload, _xlsx([["name", "employees"], ["甲", datetime(2024, 5, 1)]]),
                   filename="e.xlsx", data=SEED)  # fmt: skip
    assert err.errors[0].column == "employees"


@pytest.mark.parametrize(
    ("record", "column"),
    [({"name": "甲", "hq_province": ["浙江", "江苏"]}, "hq_province"), ({"name": "甲", "hq_city": {"a": 1}}, "hq_city"),
     ({"name": ["甲", "乙"]}, "name"), ({"name": "甲", "employees": [1]}, "employees"),
     ({"name": "甲", "tags": [["listed"]]}, "tags"), ({"name": "甲", "employees": True}, "employees")],
)  # fmt: skip
def test_wrong_json_types_are_row_errors(record: dict[str, object], column: str) -> None:
    raw = json.dumps([record], ensure_ascii=False).encode()
    err = _refusal(_cand, raw, "c.json")
    assert [(e.row, e.column) for e in err.errors] == [(2, column)]
    assert all(isinstance(e.value, str) for e in err.errors)
    ent = dict(record)
    for k in ("hq_province", "hq_city"):
        if k in ent:
            ent["county"] = ent.pop(k)
    err = _refusal(enterprises_from_upload, json.dumps([ent], ensure_ascii=False).encode(), filename="e.json", data=SEED)
    assert err.errors


@pytest.mark.parametrize(
    ("raw", "name"),
    [(json_deep(100_000).encode(), "c.json"), (json_long_integer(5000).replace("{", '[{"name": "甲", ').replace("}", "}]").encode(), "c.json"),
     (b'[{"name": "\\ud800"}]', "c.json"), (b'[{"name": 1e400}]', "c.json"), (b'[{"name": NaN}]', "c.json"),
     (xlsx_from_sheet_xml("<row><c><v>1</v></row>"), "c.xlsx"), (xlsx_from_sheet_xml('<row r="x"/>'), "c.xlsx"),
     (b"PK\x03\x04broken", "c.xlsx"), (b"\x00\x01\x02", "c.csv"), (b"\xff\xfe\x00", "c.csv")],
)  # fmt: skip
def test_malformed_files_are_a_clean_invalid_input(raw: bytes, name: str) -> None:
    err = _refusal(_cand, raw, name)
    assert err.context.get("file") == name or name in str(err)
    _refusal(enterprises_from_upload, raw, filename=name.replace("c.", "e."), data=SEED)


def test_broken_sheet_xml_inside_a_valid_zip() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_xlsx([["name"], ["甲"]]))) as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("sheet1.xml"):
                data = data[: len(data) // 2]
            dst.writestr(info, data)
    err = _refusal(_cand, buf.getvalue(), "c.xlsx")
    assert "XLSX" in str(err)


# ------------------------------------------------------------------ the API: refusals are JSON 4xx


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    app = create_app(Settings(chainmap_store="sqlite", chainmap_sqlite_path=str(tmp_path / "a.db"), chainmap_auth=False))
    with TestClient(app) as c:
        yield c  # type: ignore[misc]


@pytest.mark.parametrize(
    ("filename", "raw"),
    [("c.csv", b"name,employees\n\xe7\x94\xb2,inf\n"), ("c.xlsx", _xlsx([["name", "employees"], ["甲", datetime(2024, 5, 1)]])),
     ("c.json", b'[{"name": "a", "hq_province": ["x"]}]'), ("c.json", json_deep(50_000).encode()),
     ("c.csv", b"name\n"), ("c.csv", b"name,name\na,b\n"), ("c.csv", _TEXTS["shift_jis"].encode("shift_jis"))],
)  # fmt: skip
def test_api_refusals_are_json_422_and_write_nothing(client: TestClient, filename: str, raw: bytes) -> None:
    for route in ("/candidates/import", "/enterprises/import"):
        before = client.get(f"{API}/health").json()
        r = client.post(f"{API}{route}", files={"file": (filename, raw)})
        assert r.status_code == 422, (route, r.status_code, r.text[:300])
        body = r.json()
        assert body["error"] in ("InvalidInput", "LimitExceeded")
        assert client.get(f"{API}/health").json() == before
    listed = client.get(f"{API}/candidates").json()
    assert listed["total"] == 0


def test_api_skip_invalid_body_serialises_dates_and_inf(client: TestClient) -> None:
    raw = _xlsx([["name", "employees", "revenue_cny_100m", "hq_city"], ["甲", datetime(2024, 5, 1), "inf", "杭洲"], ["乙", 3, 1, "杭州"]])
    r = client.post(f"{API}/candidates/import", params={"skip_invalid": "true"}, files={"file": ("c.xlsx", raw)})
    assert r.status_code == 200, r.text
    body = r.json()
    assert {(e["column"], e["value"]) for e in body["errors"]} == {("employees", "2024-05-01 00:00:00"), ("revenue_cny_100m", "inf")}
    assert body["rows_accepted"] == 1 and body["warnings"] == []


def test_api_upload_limit_is_one_setting(tmp_path: Path) -> None:
    app = create_app(Settings(chainmap_store="sqlite", chainmap_sqlite_path=str(tmp_path / "a.db"), chainmap_auth=False,
                              chainmap_max_upload_mb=0.001))  # fmt: skip
    with TestClient(app) as c:
        big = ("name\n" + "甲乙丙丁\n" * 200).encode()
        for route in ("/candidates/import", "/enterprises/import"):
            r = c.post(f"{API}{route}", files={"file": ("c.csv", big)})
            assert r.status_code == 413 and r.json()["limit"] == "CHAINMAP_MAX_UPLOAD_MB"
        small = _xlsx([["name"], ["甲"]])
        assert len(small) > 1048
        r = c.post(f"{API}/candidates/import", files={"file": ("c.xlsx", small)})
        assert r.status_code == 413  # the XLSX reader runs under the same derived limit


def test_iter_table_limits_are_taken_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINMAP_LIMIT_CSV_ROWS", "3")
    assert list(iter_table(b"name\na\nb\n", filename="t.csv").rows) == [(2, ["a"]), (3, ["b"])]
    with pytest.raises(InvalidInput, match="CHAINMAP_LIMIT_CSV_ROWS"):  # refused before any row is handed out
        iter_table(b"name\na\nb\nc\n", filename="t.csv")
