"""The census import on both stores: the synthetic 规上名录 and 企查查 files, skip and merge
rules, idempotence, planner decisions surviving re-imports, stage and group, all-or-nothing
writes, the dry-run preview and the coverage record."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from chainmap.census import COVERAGE_KIND, KeywordAssigner, import_census
from chainmap.census.importer import census_import_id
from chainmap.data import chain_data_from_store, local_enterprises
from chainmap.exceptions import InvalidInput
from chainmap.models import (
    AssignmentMethod,
    AssignmentStatus,
    Enterprise,
    EnterpriseStage,
    Role,
    SegmentPresence,
    credit_code_check_char,
)
from chainmap.storage.base import Store
from tests.census.conftest import PARK, QCC_GBK, QCC_XLSX, REGISTER, SEED

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def _register_rows() -> list[dict[str, str]]:
    text = REGISTER.read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _census_firms(store: Store) -> list[Enterprise]:
    return [e for e in store.list_enterprises() if isinstance(e.attributes.get("census"), dict)]


def _cc(body: str) -> str:
    return body + credit_code_check_char(body)


def _csv(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode(encoding)


# ---------------------------------------------------------------- the 规上名录 fixture


def test_register_fixture_imports_with_every_rule(store: Store) -> None:
    rows = _register_rows()
    assert len(rows) >= 300
    before = len(store.list_enterprises())
    result = import_census(store, REGISTER.read_bytes(), filename=REGISTER.name, now=NOW)
    doc = result.to_json()
    c = doc["counts"]
    assert doc["register_kind"] == "规上名录" and doc["encoding"] == "utf-8" and result.written
    assert set(doc["columns"]["ignored"]) == {"序号", "填报人"}
    assert doc["columns"]["recognised"]["单位详细名称"] == "name"
    assert doc["columns"]["recognised"]["营业收入（千元）"] == "revenue"

    closed = [r for r in rows if r["登记状态"] in ("注销", "吊销，未注销")]
    assert c["inactive"] == len(closed) == 6
    assert doc["skipped_by_reason"] == {"注销": 3, "吊销": 3, "outside": 2}
    outside = {s["name"] for s in doc["skipped"] if s["kind"] == "outside"}
    assert outside == {"临汾示例铝材有限公司", "北京示例铜材科技有限公司"}
    assert c["duplicates_merged"] == 6
    assert c["errors"] == 0
    assert c["rows"] == len(rows)
    assert c["new"] == len(rows) - 6 - 2 - 6 == 320
    stored = _census_firms(store)
    assert len(stored) == 320 and len(store.list_enterprises()) == before + 320
    names = {e.name for e in stored}
    assert not names & outside and not any("已注销" in n for n in names)

    # every firm is placed in the city, ids are by credit code
    data = chain_data_from_store(store)
    city = {e.id for e in local_enterprises(data, "yuncheng")}
    assert all(e.id in city for e in stored)
    by_code = {r["统一社会信用代码"]: r for r in rows if r["统一社会信用代码"]}
    for e in stored:
        assert e.credit_code and e.id == f"ent.{e.credit_code.lower()}"
        src = by_code[e.credit_code]
        assert e.industry_code == src["行业代码"]
        assert e.revenue == pytest.approx(int(src["营业收入（千元）"]) * 1e-5)  # 千元 -> 亿元
        county_name = src["详细地址"].removeprefix("山西省运城市")
        assert data.region_by_id[e.county].name_zh == county_name[: len(data.region_by_id[e.county].name_zh)]
    # the duplicate rows filled nothing in wrongly: the firm keeps its products
    dup = [r for r in rows if r["统一社会信用代码"] and sum(1 for x in rows if x["统一社会信用代码"] == r["统一社会信用代码"]) > 1]
    assert dup
    for r in dup:
        e = store.get_enterprise(f"ent.{r['统一社会信用代码'].lower()}")
        assert e.attributes["products"]

    # coverage record
    rec = store.get_record(COVERAGE_KIND, census_import_id(REGISTER.read_bytes()))
    assert rec["register_kind"] == "规上名录" and rec["rows"] == len(rows) and rec["file"] == REGISTER.name
    assert rec["imported_at"] == NOW.isoformat() and rec["complete"] is False
    assert set(rec["regions"]) >= {"wenxi", "yanhu", "hejin", "zone.ycetdz"}
    assert "3217" in rec["industry_codes"] and all(len(x) == 4 for x in rec["industry_codes"])


def test_segments_status_and_unassigned(store: Store) -> None:
    result = import_census(store, REGISTER.read_bytes(), filename=REGISTER.name, auto_accept=0.6, now=NOW)
    firms = {e.id: e for e in _census_firms(store)}
    liquor = [e for e in firms.values() if e.industry_code in ("1512", "3011", "1819")]
    assert liquor and all(e.attributes["census"]["unassigned"] is True and not e.segments for e in liquor)
    assert result.to_json()["counts"]["unassigned"] == sum(1 for e in firms.values() if not e.segments)
    mg = [e for e in firms.values() if e.attributes.get("products") == "镁合金锭、AZ91D镁合金"]
    assert mg
    for e in mg:
        p = next(p for p in e.segments if p.segment == "cai.mg.alloy")
        assert p.status is AssignmentStatus.auto and p.method is AssignmentMethod.text and p.confidence >= 0.6
        assert any("AZ91D" in ev or "镁合金" in ev for ev in p.evidence)
    for e in firms.values():
        for p in e.segments:
            assert (p.status is AssignmentStatus.auto) == (p.confidence is not None and p.confidence >= 0.6)
    # a higher threshold makes the same assignments pending
    strict = import_census(store, REGISTER.read_bytes(), filename=REGISTER.name, auto_accept=0.99, dry_run=True)
    loose = result.to_json()["counts"]
    tight = strict.to_json()["counts"]
    assert tight["pending"] > loose["pending"] and tight["auto"] < loose["auto"]


def test_stage_and_group_recorded(store: Store) -> None:
    rows = _register_rows()
    import_census(store, REGISTER.read_bytes(), filename=REGISTER.name, now=NOW)
    building = [r for r in rows if r["状态"] == "在建" and r["登记状态"] == "存续" and r["统一社会信用代码"]]
    assert building
    data = chain_data_from_store(store)
    producers = {e.id for e in local_enterprises(data, "yuncheng", role=Role.producer)}
    checked = 0
    for r in building:
        try:
            e = store.get_enterprise(f"ent.{r['统一社会信用代码'].lower()}")
        except Exception:  # outside the city
            continue
        assert e.stage is EnterpriseStage.construction
        assert e.id not in producers and e.presences(Role.producer) == []
        checked += 1
    assert checked
    grouped = [r for r in rows if r["母公司"] and r["登记状态"] == "存续" and r["统一社会信用代码"]]
    assert grouped
    for r in grouped[:5]:
        if r["单位详细名称"].startswith(("临汾", "北京")):
            continue
        assert store.get_enterprise(f"ent.{r['统一社会信用代码'].lower()}").group == r["母公司"]


def test_reimport_is_idempotent(store: Store) -> None:
    raw = REGISTER.read_bytes()
    import_census(store, raw, filename=REGISTER.name, now=NOW)
    first = {e.id: e.model_dump(mode="json") for e in _census_firms(store)}
    rev = store.graph_revision()
    again = import_census(store, raw, filename=REGISTER.name, now=NOW + dt.timedelta(days=3))
    c = again.to_json()["counts"]
    assert c["new"] == 0 and c["updated"] == 0 and c["unchanged"] == 320
    assert store.graph_revision() == rev  # nothing written to the graph (an empty bulk leaves it)
    assert {e.id: e.model_dump(mode="json") for e in _census_firms(store)} == first
    rec = store.get_record(COVERAGE_KIND, census_import_id(raw))
    assert rec["imported_at"] == (NOW + dt.timedelta(days=3)).isoformat()  # coverage says when it was re-checked


def test_planner_decisions_survive_reimport(store: Store) -> None:
    raw = REGISTER.read_bytes()
    import_census(store, raw, filename=REGISTER.name, now=NOW)
    firm = next(e for e in _census_firms(store) if e.segments and e.employees)
    auto_seg = firm.segments[0].segment
    # a planner confirms another segment, rejects the automatic one, and edits the head count
    edited = firm.model_copy(deep=True)
    edited.segments = [SegmentPresence(segment="qi.parts", method=AssignmentMethod.planner, status=AssignmentStatus.confirmed)]
    edited.employees = 4321
    edited.locked_fields = ["employees"]
    edited.attributes["census"]["rejected"] = [auto_seg]
    store.upsert_enterprise(edited)
    again = import_census(store, raw, filename=REGISTER.name, now=NOW + dt.timedelta(days=1))
    after = store.get_enterprise(firm.id)
    assert after.employees == 4321
    assert [p.segment for p in after.segments if p.method is AssignmentMethod.planner] == ["qi.parts"]
    assert auto_seg not in [p.segment for p in after.segments]
    assert after.attributes["census"]["rejected"] == [auto_seg]
    # a third import changes nothing more
    third = import_census(store, raw, filename=REGISTER.name, now=NOW + dt.timedelta(days=2))
    assert third.to_json()["counts"]["updated"] == 0
    assert store.get_enterprise(firm.id) == after
    assert again.to_json()["counts"]["updated"] <= 1


def test_review_queue_rejection_survives_reimport(store: Store) -> None:
    """A segment a planner rejects in the review queue (or replaces with ``set``) is not proposed
    again by the next import of the same register; accepting it later brings it back."""
    from chainmap.census.review import decide

    raw = REGISTER.read_bytes()
    import_census(store, raw, filename=REGISTER.name, now=NOW)
    firms = [e for e in _census_firms(store) if len(e.segments) >= 1 and e.segments[0].method is not AssignmentMethod.planner]
    one, two = firms[0], firms[1]
    rej, frm = one.segments[0].segment, two.segments[0].segment
    data = chain_data_from_store(store)
    target = next(s.id for s in data.segments if s.id not in {p.segment for p in two.segments})
    decide(store=store, data=data, by="planner-1", at=NOW.isoformat(), decisions=[
        {"enterprise": one.id, "segment": rej, "action": "reject"},
        {"enterprise": two.id, "segment": frm, "action": "set", "to_segment": target},
    ])  # fmt: skip
    for day in (1, 2):
        import_census(store, raw, filename=REGISTER.name, now=NOW + dt.timedelta(days=day))
        a, b = store.get_enterprise(one.id), store.get_enterprise(two.id)
        assert rej not in [p.segment for p in a.segments], f"re-import {day} proposed the rejected {rej} again"
        assert frm not in [p.segment for p in b.segments]
        assert [p.segment for p in b.segments if p.method is AssignmentMethod.planner] == [target]
        assert a.attributes["census"]["rejected"] == [rej] and b.attributes["census"]["rejected"] == [frm]
    # the planner changes their mind: accepting the segment takes it off the list
    decide(store=store, data=chain_data_from_store(store), by="planner-2", at=(NOW + dt.timedelta(days=3)).isoformat(),
           decisions=[{"enterprise": one.id, "segment": rej, "action": "set", "to_segment": rej}])  # fmt: skip
    import_census(store, raw, filename=REGISTER.name, now=NOW + dt.timedelta(days=4))
    a = store.get_enterprise(one.id)
    assert rej in [p.segment for p in a.segments] and a.attributes["census"]["rejected"] == []


def test_seed_firm_matched_by_name_only_filled(store: Store) -> None:
    seed_firm = next(e for e in SEED.enterprises if e.county and e.segments and not e.credit_code)
    cc = _cc("91140823MA0K00001")
    raw = _csv([
        ["企业名称", "统一社会信用代码", "所在地", "主要产品", "从业人员"],
        [seed_firm.name, cc, "闻喜县", "水泥", "77"],
    ])  # fmt: skip
    result = import_census(store, raw, filename="names.csv", now=NOW)
    assert result.to_json()["counts"]["updated"] == 1
    after = store.get_enterprise(seed_firm.id)
    assert after.county == seed_firm.county  # the seed's county is a sourced fact: kept
    assert after.segments[: len(seed_firm.segments)] == seed_firm.segments
    assert after.credit_code == cc and after.attributes["census"]["created"] is False
    assert after.source == seed_firm.source


# ---------------------------------------------------------------- 企查查 exports, encodings


def test_qcc_xlsx_and_gbk_csv(store: Store) -> None:
    x = import_census(store, QCC_XLSX.read_bytes(), filename=QCC_XLSX.name, dry_run=True).to_json()
    assert x["register_kind"] == "企查查" and x["encoding"] is None
    assert x["counts"]["inactive"] == 3 and x["counts"]["outside"] == 1 and x["counts"]["new"] == 60
    assert {"法定代表人", "电话", "企业类型"} <= set(x["columns"]["ignored"])
    assert x["columns"]["recognised"]["经营范围"] == "scope"
    assert store.list_records(COVERAGE_KIND) == []  # dry run: nothing written
    g = import_census(store, QCC_GBK.read_bytes(), filename=QCC_GBK.name, now=NOW).to_json()
    assert g["encoding"] == "gb18030" and g["counts"]["new"] == 60 and g["written"]
    stored = {e.name: e for e in _census_firms(store)}
    assert len(stored) == 60
    one = next(e for e in stored.values() if e.founded)
    assert 1995 <= one.founded <= 2023 and one.attributes["capital"].endswith("万元人民币")
    assert "许可项目" in one.attributes["scope"] or "一般项目" in one.attributes["scope"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings(sqlite_seeded: Store, encoding: str) -> None:
    raw = _csv([["单位名称", "区县", "主要产品"], ["运城测试镁业有限公司", "闻喜", "镁合金压铸件"]], encoding)
    doc = import_census(sqlite_seeded, raw, filename="t.csv", now=NOW).to_json()
    assert doc["counts"]["new"] == 1
    e = sqlite_seeded.get_enterprise(doc["new"][0]["id"])
    assert e.name == "运城测试镁业有限公司" and e.county == "wenxi"
    assert e.segments[0].segment == "cai.mg.die_casting"  # the longest term wins over 镁合金


def test_park_list(store: Store) -> None:
    doc = import_census(store, PARK.read_bytes(), filename=PARK.name, now=NOW).to_json()
    assert doc["register_kind"] == "园区名单" and doc["counts"]["new"] == 24
    firms = _census_firms(store)
    assert {e.zone for e in firms} == {"zone.wenxi"} and {e.county for e in firms} == {"wenxi"}
    assert {e.stage for e in firms} == set(EnterpriseStage)


# ---------------------------------------------------------------- errors, all-or-nothing


BAD = [
    ["企业名称", "统一社会信用代码", "县(市、区)", "行业代码", "成立日期", "状态"],
    ["运城好企业有限公司", "", "盐湖区", "3670", "2011-03-04", "投产"],
    ["运城坏代码有限公司", "91140800MA0GXXXX0X", "盐湖区", "3670", "", ""],
    ["运城坏地区有限公司", "", "亚特兰蒂斯", "3670", "", ""],
    ["运城坏行业有限公司", "", "闻喜县", "C36-70", "", ""],
    ["运城坏日期有限公司", "", "闻喜县", "", "去年", ""],
    ["运城坏阶段有限公司", "", "闻喜县", "", "", "筹备中"],
    ["", "", "闻喜县", "", "", ""],
    ["运城无地区有限公司", "", "", "", "", ""],
]


def test_row_errors_refuse_the_file(store: Store) -> None:
    raw = _csv(BAD)
    before = store.list_enterprises()
    with pytest.raises(InvalidInput) as info:
        import_census(store, raw, filename="bad.csv")
    errs = {(e.row, e.column): e for e in info.value.errors}
    assert set(errs) == {(3, "统一社会信用代码"), (4, "县(市、区)"), (5, "行业代码"), (6, "成立日期"), (7, "状态"),
                         (8, "企业名称"), (9, "县(市、区)")}
    assert errs[(4, "县(市、区)")].value == "亚特兰蒂斯" and "亚特兰蒂斯" in errs[(4, "县(市、区)")].reason
    assert store.list_enterprises() == before and store.list_records(COVERAGE_KIND) == []
    # the preview lists the same errors and says the file would be refused
    doc = import_census(store, raw, filename="bad.csv", dry_run=True).to_json()
    assert doc["refused"] and len(doc["errors"]) == 7 and doc["counts"]["new"] == 1
    assert all(set(e) == {"row", "column", "value", "reason"} for e in doc["errors"])
    assert store.list_enterprises() == before
    # --skip-invalid: the good row goes in, the others are listed
    ok = import_census(store, raw, filename="bad.csv", skip_invalid=True).to_json()
    assert ok["counts"]["new"] == 1 and ok["written"] and ok["counts"]["errors"] == 7
    assert len(store.list_enterprises()) == len(before) + 1


def test_header_without_name_and_empty_file(sqlite_seeded: Store) -> None:
    with pytest.raises(InvalidInput) as info:
        import_census(sqlite_seeded, _csv([["地址", "产品"], ["闻喜", "镁"]]), filename="x.csv")
    assert info.value.context["field"] == "name"
    with pytest.raises(InvalidInput):
        import_census(sqlite_seeded, _csv([["企业名称", "所在地"]]), filename="x.csv")
    with pytest.raises(InvalidInput) as kind:
        import_census(sqlite_seeded, _csv([["企业名称"], ["a"]]), filename="x.csv", register_kind="统计局")
    assert kind.value.context["field"] == "register_kind"


def test_failed_write_leaves_nothing(store: Store) -> None:
    """The bulk write is one all-or-nothing call: an assigner raising half-way writes nothing."""
    calls = {"n": 0}
    real = KeywordAssigner.from_data(SEED)

    def flaky(**kw):  # noqa: ANN003, ANN202
        calls["n"] += 1
        if calls["n"] == 200:
            raise RuntimeError("engine died")
        return real(**kw)

    before = len(store.list_enterprises())
    with pytest.raises(RuntimeError):
        import_census(store, REGISTER.read_bytes(), filename=REGISTER.name, assign=flaky)
    assert len(store.list_enterprises()) == before and store.list_records(COVERAGE_KIND) == []


def test_complete_flag_and_kind_override(sqlite_seeded: Store) -> None:
    raw = PARK.read_bytes()
    import_census(sqlite_seeded, raw, filename=PARK.name, register_kind="专业镇", complete=True, now=NOW)
    rec = sqlite_seeded.get_record(COVERAGE_KIND, census_import_id(raw))
    assert rec["register_kind"] == "专业镇" and rec["complete"] is True and rec["regions"] == ["wenxi", "zone.wenxi"]
    assert all(e.attributes["census"]["register"] == "专业镇" for e in _census_firms(sqlite_seeded))


def test_bad_numbers_are_row_errors_naming_the_cell(sqlite_seeded: Store) -> None:
    raw = _csv([
        ["企业名称", "所在地", "从业人员", "营业收入(亿元)", "成立日期", "母公司"],
        ["运城甲有限公司", "闻喜", "-5", "1", "2000", ""],
        ["运城乙有限公司", "闻喜", "10", "1e30", "2000", ""],
        ["运城丙有限公司", "闻喜", "12.5", "", "", ""],
        ["运城丁有限公司", "闻喜", "10", "abc", "3000", ""],
        ["运城戊有限公司", "闻喜", "", "", "", "x" * 201],
        ["运城己有限公司", "闻喜", "未公开", "-", "2001年5月", ""],
    ])  # fmt: skip
    doc = import_census(sqlite_seeded, raw, filename="n.csv", dry_run=True).to_json()
    got = {(e["row"], e["column"]): e["value"] for e in doc["errors"]}
    # one error per row: the first bad cell (row 5: 成立日期 before 营业收入)
    assert set(got) == {(2, "从业人员"), (3, "营业收入(亿元)"), (4, "从业人员"), (5, "成立日期"), (6, "母公司")}
    assert got[(5, "成立日期")] == "3000" and got[(6, "母公司")].startswith("xxx")
    assert got[(3, "营业收入(亿元)")] == "1e30"  # the cell as written, not the converted number
    ok = next(it for it in doc["new"] if it["name"] == "运城己有限公司")
    assert ok["county"] == "wenxi"  # 未公开 and - are empty cells, 2001年5月 a date
