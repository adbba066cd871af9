"""Coverage and unknowns (chainmap.census.coverage) and their use in the gap report, on hand-made
data with hand-checked states, on both stores, and on the shipped seed (before/after counts)."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from chainmap import service
from chainmap.analysis.gaps import analyze_gaps, seed_absence_confirmed
from chainmap.cache import ResultCache
from chainmap.census.coverage import (
    ABSENCE_KIND,
    CENSUS_IMPORT_KIND,
    Census,
    absence_record,
    absence_record_id,
    presence_states,
    region_coverage,
)
from chainmap.census.review import confirm_absence
from chainmap.data import data_revision
from chainmap.exceptions import InvalidInput
from chainmap.seed import load_seed
from chainmap.storage.base import Store
from tests.review.conftest import tiny_data

CODES = {
    "qi.sep": frozenset({"2929"}),
    "qi.cell": frozenset({"3841"}),
    "qi.pack": frozenset({"3841", "3849"}),
    "qi.car": frozenset({"3611", "3612"}),
}


def imp(id: str, regions: list[str], codes: list[str], *, complete: bool = True, kind: str = "规上名录") -> dict:
    return {"id": id, "register_kind": kind, "regions": regions, "industry_codes": codes, "rows": 10,
            "imported_at": "2026-11-20T08:00:00", "file": f"{id}.xlsx", "complete": complete}  # fmt: skip


def states(data, region: str) -> dict[str, tuple[str, str]]:
    got = presence_states(data, Census.from_data(data), region, codes=CODES)
    return {s: (v.state, v.basis) for s, v in got.items()}


def test_no_register_everything_absent_is_unknown() -> None:
    d = tiny_data()
    assert states(d, "wenxi") == {
        "qi.car": ("present", "firms"),
        "qi.cell": ("unknown", "pending"),  # ent.a's pending assignment
        "qi.pack": ("unknown", "pending"),  # ent.b in the zone of 闻喜
        "qi.sep": ("unknown", "no_register"),
    }
    assert states(d, "hejin") == {
        "qi.car": ("unknown", "no_register"),
        "qi.cell": ("unknown", "no_register"),
        "qi.pack": ("unknown", "no_register"),
        "qi.sep": ("present", "firms"),  # an auto assignment counts
    }


def test_complete_register_of_a_county_covers_its_zone_not_the_city() -> None:
    d = tiny_data(census_import=[imp("r.wx", ["wenxi"], [])])
    assert states(d, "wenxi")["qi.sep"] == ("absent", "register")
    assert states(d, "zone.wx") == {
        "qi.car": ("absent", "register"),  # 大运 is in the county, not in the zone
        "qi.cell": ("absent", "register"),
        "qi.pack": ("unknown", "pending"),  # pending review outranks the register
        "qi.sep": ("absent", "register"),
    }
    assert states(d, "hejin")["qi.car"] == ("unknown", "no_register")
    assert states(d, "yc")["qi.cell"] == ("unknown", "pending")


def test_register_codes_incomplete_registers_and_planner_confirmations() -> None:
    d = tiny_data(
        census_import=[imp("r.hj", ["hejin"], ["3611", "3612", "3841"]), imp("r.qcc", ["hejin"], [], complete=False, kind="企查查")],
        absence_confirmation=[{"id": "x", **absence_record(region="yc", segment="qi.pack", by="p1", at="2026-11-30")}],
    )  # fmt: skip
    assert states(d, "hejin") == {
        "qi.car": ("absent", "register"),  # {3611, 3612} within the register's codes
        "qi.cell": ("absent", "register"),
        "qi.pack": ("absent", "planner"),  # 3849 not covered, but a planner confirmed it city-wide
        "qi.sep": ("present", "firms"),
    }
    only_qcc = tiny_data(census_import=[imp("r.qcc", ["hejin"], [], complete=False, kind="企查查")])
    assert states(only_qcc, "hejin")["qi.car"] == ("unknown", "incomplete")
    codes_only = tiny_data(census_import=[imp("r.hj", ["hejin"], ["3611", "3612", "3841"])])
    assert states(codes_only, "hejin")["qi.pack"] == ("unknown", "codes")


def test_the_city_is_covered_by_complete_registers_of_every_county() -> None:
    base = tiny_data(census_import=[imp("r.wx", ["wenxi"], []), imp("r.hj", ["hejin"], ["3611", "3612", "3841"])])
    d = dataclasses.replace(base, enterprises=[e for e in base.enterprises if e.id not in ("ent.a", "ent.b")])
    assert states(d, "yc") == {
        "qi.car": ("present", "firms"),
        "qi.cell": ("absent", "register"),  # 3841 covered in both counties
        "qi.pack": ("unknown", "incomplete"),  # 3849 not covered in 河津
        "qi.sep": ("present", "firms"),
    }


def test_region_coverage_lines() -> None:
    d = tiny_data(census_import=[imp("r.wx", ["wenxi"], [])])
    census = Census.from_data(d)
    cov = region_coverage(d, census, "wenxi", "qi", codes=CODES)
    assert cov["text"] == "闻喜县：已导入规上工业企业名录 2026-11；本链已核实环节 2/4；待审核归属 2 条"
    assert (cov["present"], cov["absent"], cov["unknown"], cov["verified"], cov["segments"]) == (1, 1, 2, 2, 4)
    assert [r["id"] for r in cov["registers"]] == ["r.wx"] and cov["pending_assignments"] == 2
    hj = region_coverage(d, census, "hejin", "qi", codes=CODES, lang="en")
    assert hj["text"] == "Hejin: no local register imported; segments verified in this chain: 1/4; 1 firms unassigned"
    yc = region_coverage(d, census, "yc", "qi", codes=CODES)
    assert yc["text"].startswith("运城市：已导入规上工业企业名录 2026-11（闻喜县）；本链已核实环节 2/4")


def test_a_bad_census_record_is_named() -> None:
    with pytest.raises(InvalidInput, match=r"census_import/bad: regions must be a list"):
        Census.from_records([{"id": "bad", "regions": "wenxi"}])


def test_gap_report_marks_unknown_absences_unverified_and_names_what_to_import() -> None:
    d = tiny_data()
    plain = {i.segment_id: i for i in analyze_gaps(d, region="hejin", absence_confirmed=seed_absence_confirmed).items}
    rep = service.gap_report(data=d, region="hejin")
    items = {i.segment_id: i for i in rep.items}
    for seg in ("qi.car", "qi.cell", "qi.pack"):
        it = items[seg]
        assert (it.status, it.priority, it.absence_confirmed, it.absence_basis) == ("unverified", 0.0, False, "no_register")
        assert it.would_be == plain[seg].status and it.provisional_priority == plain[seg].priority
        assert "本地企业名录未导入" in it.rationale and f"chainmap review absent {seg} --region hejin" in it.rationale
        assert "不作为确认的缺口" in it.rationale
    assert items["qi.sep"].status == plain["qi.sep"].status  # present: not touched
    assert rep.coverage["qi"]["text"] == "河津市：本地企业名录未导入；本链已核实环节 1/4；未归类企业 1 家"
    assert rep.pending_assignments == 0
    wx = service.gap_report(data=d, region="wenxi")
    assert wx.pending_assignments == 2
    cell = next(i for i in wx.items if i.segment_id == "qi.cell")
    assert cell.absence_basis == "pending" and "有待审核的企业归属（1条" in cell.rationale
    en = next(i for i in service.gap_report(data=d, region="hejin", lang="en").items if i.segment_id == "qi.car")
    assert en.rationale.startswith("Unverified: ") and "no local register imported" in en.rationale


def test_a_complete_register_confirms_and_the_rationale_cites_it() -> None:
    d = tiny_data(census_import=[imp("r.hj", ["hejin"], [])])
    plain = {i.segment_id: i for i in analyze_gaps(d, region="hejin").items}
    items = {i.segment_id: i for i in service.gap_report(data=d, region="hejin").items}
    for seg in ("qi.car", "qi.cell", "qi.pack"):
        assert (items[seg].status, items[seg].priority) == (plain[seg].status, plain[seg].priority)
        assert items[seg].absence_basis == "register" and items[seg].would_be is None
        assert "据完整的规上工业企业名录 2026-11" in items[seg].rationale


def test_census_writes_invalidate_cached_reports(store: Store) -> None:
    cache = ResultCache()
    rep = service.gap_report(data=service.chain_data(store=store, cache=cache), cache=cache, region="hejin")
    assert {i.segment_id: i.status for i in rep.items}["qi.car"] == "unverified"
    before = data_revision(store)
    data = service.chain_data(store=store, cache=cache)
    rec = confirm_absence(store=store, data=data, region="hejin", segment="qi.car", by="planner-1", note="走访核实")
    assert store.get_record(ABSENCE_KIND, absence_record_id("hejin", "qi.car"))["by"] == "planner-1"
    assert rec["id"] == "hejin--qi.car" and data_revision(store) > before
    rep = service.gap_report(data=service.chain_data(store=store, cache=cache), cache=cache, region="hejin")
    car = next(i for i in rep.items if i.segment_id == "qi.car")
    assert car.status != "unverified" and car.absence_basis == "planner" and "经planner-1于" in car.rationale
    before = data_revision(store)
    store.put_record(CENSUS_IMPORT_KIND, "r.hj", imp("r.hj", ["hejin"], []))
    assert data_revision(store) > before
    rep = service.gap_report(data=service.chain_data(store=store, cache=cache), cache=cache, region="hejin")
    assert {i.segment_id: i.status for i in rep.items}["qi.cell"] != "unverified"
    assert rep.coverage["qi"]["registers"][0]["id"] == "r.hj"
    assert cache.computed["gaps"] == 3


def test_confirm_absence_refuses_a_present_segment(store: Store) -> None:
    data = service.chain_data(store=store)
    with pytest.raises(InvalidInput, match="present in wenxi"):
        confirm_absence(store=store, data=data, region="wenxi", segment="qi.car", by="p1")
    with pytest.raises(InvalidInput, match="by"):
        confirm_absence(store=store, data=data, region="wenxi", segment="qi.sep", by=" ")


def test_shipped_seed_before_and_after() -> None:
    """On the shipped seed no register is imported and no absence is sourced: every absence is
    待核实.  Prints the status counts before (the list taken as complete) and after."""
    seed = load_seed()
    before_items = analyze_gaps(seed, absence_confirmed=seed_absence_confirmed).items
    after = service.gap_report(data=seed)
    before = Counter(i.status for i in before_items)
    now = Counter(i.status for i in after.items)
    print(f"\n[seed, 运城市] before (list taken as complete): {dict(sorted(before.items()))}")
    print(f"[seed, 运城市] after (census rule):             {dict(sorted(now.items()))}")
    print(f"[seed, 运城市] unverified would be: {dict(sorted(Counter(i.would_be for i in after.items if i.would_be).items()))}")
    for c in after.chains:
        print(f"  {after.coverage[c]['text']}")
    absent_before = {i.segment_id for i in before_items if i.absence_confirmed}
    assert {i.segment_id for i in after.items if i.status == "unverified"} == absent_before
    assert now["fill"] == now["extend"] == 0
    for s in ("sound", "strengthen", "unsuitable"):
        assert now[s] == before[s]
    assert now["unverified"] == before["fill"] + before["extend"] + before["not_priority"] - now["not_priority"]
    unverified = [i for i in after.items if i.status == "unverified"]
    assert {i.absence_basis for i in unverified} <= {"no_register", "pending"}  # seed firms' pending assignments
    assert all(("本地企业名录未导入" if i.absence_basis == "no_register" else "有待审核的企业归属") in i.rationale
               for i in unverified)  # fmt: skip
    qi = after.coverage["qi"]
    assert qi["verified"] == qi["present"] == sum(1 for i in after.items if i.chain_id == "qi" and i.local_count > 0 and i.kind != "adopter")
