"""Lead filters over HTTP (both stores): headquarters region, tags, investor; the options
endpoint that names them; ``Lead.tags`` / ``hq_region`` / ``imputed``; the workbook follows
the same filters; bad values get a 422 naming the parameter and the valid values."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from matching.features import IMPUTED_BY
from matching.geo import source_region

from .conftest import API

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _all(c: Any, **params: Any) -> dict[str, Any]:
    """Every lead of a filter, page by page (200 a page); ``items`` holds them all."""
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        r = c.get(f"{API}/leads", params={"k": 200, "page": page, **params}, headers=c.h("viewer"))
        assert r.status_code == 200, r.text
        body = r.json()
        items += body["items"]
        if len(items) >= body["total"] or not body["items"]:
            break
        page += 1
    assert len(items) == body["total"]
    return {**body, "items": items}


def test_hq_region_filter_partitions_the_list(read_client: Any) -> None:
    c = read_client
    whole = _all(c)
    assert whole["total"] > 0
    parts = {code: _all(c, hq_region=code) for code in ("jjj", "yrd", "gba", "other")}
    # the four regions split the list: every lead in exactly one
    assert sum(p["total"] for p in parts.values()) == whole["total"]
    assert parts["yrd"]["total"] > 0 and parts["jjj"]["total"] > 0
    for code, p in parts.items():
        for lead in p["items"]:
            expected = source_region(lead["hq_province"], lead["hq_city"]) or "other"
            assert expected == code, lead["name"]
            assert lead["hq_region"] == (None if code == "other" else code)
    # the filtered list keeps the order of the whole list (ranks renumbered)
    order = [x["candidate_id"] for x in whole["items"]]
    yrd = [x["candidate_id"] for x in parts["yrd"]["items"]]
    assert yrd == [cid for cid in order if cid in set(yrd)]
    assert [x["rank"] for x in parts["yrd"]["items"]] == list(range(1, len(yrd) + 1))


def test_tag_and_investor_filters(read_client: Any) -> None:
    c = read_client
    whole = _all(c)
    listed = _all(c, tag="listed")
    assert 0 < listed["total"] < whole["total"]
    assert all("listed" in x["tags"] for x in listed["items"])
    either = _all(c, tag=["listed", "china500"])
    assert either["total"] >= listed["total"]
    assert all({"listed", "china500"} & set(x["tags"]) for x in either["items"])
    existing = _all(c, investor="existing")
    new = _all(c, investor="new")
    assert existing["total"] + new["total"] == whole["total"]
    assert existing["total"] > 0
    assert all(x["investor"] == "existing" and x["local_affiliates"] for x in existing["items"])
    assert all(x["investor"] == "new" for x in new["items"])
    both = _all(c, investor="existing", hq_region="jjj")
    assert {x["candidate_id"] for x in both["items"]} == {
        x["candidate_id"] for x in existing["items"] if x["hq_region"] == "jjj"
    }


def test_paging_of_a_filtered_list(read_client: Any) -> None:
    c = read_client
    h = c.h("viewer")
    p1 = c.get(f"{API}/leads", params={"k": 10, "page": 1, "hq_region": "yrd"}, headers=h).json()
    p2 = c.get(f"{API}/leads", params={"k": 10, "page": 2, "hq_region": "yrd"}, headers=h).json()
    assert p1["total"] == p2["total"] > 10
    assert [x["rank"] for x in p2["items"]][0] == 11
    assert not {x["candidate_id"] for x in p1["items"]} & {x["candidate_id"] for x in p2["items"]}


def test_imputed_marks_defaulted_features(read_client: Any) -> None:
    c = read_client
    whole = _all(c)
    seen = 0
    for lead in whole["items"]:
        assert set(lead["imputed"]) <= set(IMPUTED_BY)
        seen += bool(lead["imputed"])
    assert seen > 0  # the seed's candidates lack revenue, head count ... for most firms
    # a lead whose Shanxi presence is known does not list it as imputed
    assert any("shanxi_presence" not in x["imputed"] for x in whole["items"])


def test_workbook_follows_the_filters(read_client: Any) -> None:
    c = read_client
    h = c.h("viewer")
    leads = _all(c, hq_region="gba", investor="new")
    assert 0 < leads["total"] <= 200
    r = c.get(f"{API}/leads.xlsx", params={"k": 200, "hq_region": "gba", "investor": "new"}, headers=h)
    assert r.status_code == 200, r.text
    ws = load_workbook(io.BytesIO(r.content)).worksheets[0]
    names = [row[1] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert names == [x["name"] for x in leads["items"]]


@pytest.mark.parametrize(
    ("params", "field", "valid"),
    [
        ({"hq_region": "paris"}, "hq_region", ("jjj", "yrd", "gba", "other")),
        ({"tag": "famous"}, "tag", ("listed", "chain_leader")),
        ({"investor": "old"}, "investor", ("new", "existing")),
    ],
)
def test_bad_filter_values_are_named(read_client: Any, params: dict[str, str], field: str, valid: tuple[str, ...]) -> None:
    c = read_client
    r = c.get(f"{API}/leads", params=params, headers=c.h("viewer"))
    assert r.status_code == 422, r.text
    body = r.json()
    # the schema's enum refuses it: the answer names the parameter, the value and the valid codes
    assert field in body["field"] and next(iter(params.values())) in r.text
    assert all(f"'{v}'" in r.text for v in valid)
    r = c.get(f"{API}/leads.xlsx", params=params, headers=c.h("viewer"))
    assert r.status_code == 422


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_options_name_regions_features_and_flags(read_client: Any, lang: str) -> None:
    c = read_client
    r = c.get(f"{API}/leads/options", params={"lang": lang}, headers=c.h("viewer"))
    assert r.status_code == 200, r.text
    o = r.json()
    assert list(o["hq_regions"]) == ["jjj", "yrd", "gba", "other"]
    assert o["hq_regions"]["yrd"] == ("长三角" if lang == "zh" else "the Yangtze River Delta")
    assert o["investor"]["existing"] == ("增资扩产" if lang == "zh" else "existing investor (expansion)")
    # every contribution a lead can carry has a meaning in words
    whole = _all(c, lang=lang)
    used = {f for x in whole["items"] for f in x["contributions"]} | {f for x in whole["items"] for f in x["imputed"]}
    assert used and used <= set(o["features"])
    assert o["features"]["fit_exact"].startswith("企业生产" if lang == "zh" else "produces")
    assert set(o["flags"]) >= {"rival", "existing_group"}


def test_imputed_follows_the_missing_data_of_imported_candidates(app_client: Any) -> None:
    """Three imported firms for the same gap: all figures given (nothing imputed), none given
    (everything but the distance imputed), no headquarters either (the distance imputed too)."""
    c = app_client
    h = c.h("taskforce")
    gap = next(
        i["segment_id"]
        for i in c.get(f"{API}/gaps", params={"chain": "qi", "page_size": 1000}, headers=h).json()["items"]
        if i["status"] in ("fill", "extend") or i.get("would_be") in ("fill", "extend")
    )
    csv = (
        "name,hq_province,hq_city,segments,revenue_cny_100m,revenue_growth,employees,expansions_3y,shanxi_presence\n"
        f"全数据测试有限公司,江苏省,常州市,{gap},35,0.2,1200,2,true\n"
        f"缺数据测试有限公司,浙江省,宁波市,{gap},,,,,\n"
        f"无总部测试有限公司,,,{gap},,,,,\n"
    )
    r = c.post(f"{API}/candidates/import", files={"file": ("c.csv", csv.encode(), "text/csv")}, headers=h)
    assert r.status_code == 200 and r.json()["errors"] == [], r.text[:500]
    leads = {x["name"]: x for x in c.get(f"{API}/leads", params={"gap": gap, "k": 50}, headers=h).json()["items"]}
    assert set(leads) == {"全数据测试有限公司", "缺数据测试有限公司", "无总部测试有限公司"}
    assert leads["全数据测试有限公司"]["imputed"] == []
    no_figures = [f for f in IMPUTED_BY if f != "proximity"]
    assert leads["缺数据测试有限公司"]["imputed"] == no_figures
    assert leads["无总部测试有限公司"]["imputed"] == list(IMPUTED_BY)
    assert leads["全数据测试有限公司"]["hq_region"] == "yrd" and leads["无总部测试有限公司"]["hq_region"] is None
    # an imputed feature still contributes (its neutral value), and the page says it is estimated
    assert "scale_revenue" in leads["缺数据测试有限公司"]["contributions"]
