"""Header synonyms and region resolution, one acceptance point each."""

from __future__ import annotations

import pytest

from chainmap.census.headers import guess_register_kind, map_header
from chainmap.census.regions import RegionResolver
from tests.census.conftest import SEED

RESOLVER = RegionResolver(SEED.regions)


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({"county": "闻喜县"}, ("wenxi", None)),
        ({"county": "闻喜"}, ("wenxi", None)),
        ({"county": "盐湖区"}, ("yanhu", None)),
        ({"county": "绛县"}, ("jiangxian", None)),
        ({"county": "运城市"}, ("yuncheng", None)),
        ({"zone": "运城经济技术开发区"}, ("yanhu", "zone.ycetdz")),
        ({"zone": "运城经开区"}, ("yanhu", "zone.ycetdz")),
        ({"county": "运城经济技术开发区"}, ("yanhu", "zone.ycetdz")),
        ({"zone": "盐湖高新区"}, ("yanhu", "zone.yanhu_hitech")),
        ({"address": "山西省运城市闻喜县东镇镇工业路8号"}, ("wenxi", None)),
        ({"address": "山西运城河津市城区"}, ("hejin", None)),  # no 市 after 运城: cpca reads it
        ({"address": "运城市盐湖区运城经济技术开发区工业大道1号"}, ("yanhu", "zone.ycetdz")),
        ({"county": "永济市", "zone": "中小企业创业园"}, ("yongji", None)),
    ],
)
def test_regions_resolve(cells: dict[str, str], expected: tuple[str, str | None]) -> None:
    p = RESOLVER.resolve(**cells)
    assert p.error is None and p.outside is None
    assert (p.county, p.zone) == expected


def test_unknown_park_is_kept_as_text() -> None:
    p = RESOLVER.resolve(county="永济市", zone="中小企业创业园")
    assert p.park == "中小企业创业园"


@pytest.mark.parametrize(
    ("cells", "place"),
    [({"county": "洪洞县"}, "临汾"), ({"address": "北京市海淀区中关村大街1号"}, "北京"),
     ({"address": "山西省临汾市洪洞县大槐树镇"}, "临汾")],
)
def test_outside_the_city_is_reported(cells: dict[str, str], place: str) -> None:
    p = RESOLVER.resolve(**cells)
    assert p.county is None and p.outside and place in p.outside


@pytest.mark.parametrize(("cells", "value"), [({"county": "亚特兰蒂斯"}, "亚特兰蒂斯"), ({}, "")])
def test_unresolvable_region_names_the_value(cells: dict[str, str], value: str) -> None:
    p = RESOLVER.resolve(**cells)
    assert p.error and p.error_value == value and p.county is None


def test_header_synonyms_units_and_ignored() -> None:
    m = map_header(["企业名称", "名称", "Credit Code", "所属行业", "所在地", "园区", "营业收入(万元)", "参保人数",
                    "登记状态", "注册地址", "母公司", "阶段", "备用列"])
    assert m.column_of == {
        "name": "企业名称", "credit_code": "Credit Code", "industry_name": "所属行业", "county": "所在地",
        "zone": "园区", "revenue": "营业收入(万元)", "employees": "参保人数", "reg_status": "登记状态",
        "address": "注册地址", "group": "母公司", "stage": "阶段",
    }  # fmt: skip
    assert m.ignored == ["名称", "备用列"] and m.duplicates == {"名称": "企业名称"}
    assert m.units == {"revenue": "万元"}
    assert guess_register_kind(m) == "规上名录"
    assert guess_register_kind(map_header(["企业名称", "登记状态", "经营范围"])) == "企查查"
    assert guess_register_kind(map_header(["企业名称", "专业镇", "主要产品"])) == "专业镇"
    assert guess_register_kind(map_header(["企业名称", "开发区", "主要产品"])) == "园区名单"
