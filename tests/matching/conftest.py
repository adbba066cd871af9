"""Hand-made chain data for the matching tests.

Chain 汽 (qi) with a tiny battery chain:

    qi.separator --supplies--> qi.cell --supplies--> qi.pack
    qi.electrolyte --supplies--^

plus qi.motor (unconnected).  A local 链主 operates in qi.pack.
"""

from __future__ import annotations

import pytest

from chainmap.data import ChainData
from chainmap.models import Chain, Enterprise, Link, Region, Segment


def _seg(i: str, zh: str, en: str, kw=(), kw_en=(), aliases=()) -> Segment:
    return Segment(
        id=i,
        chain="qi",
        name_zh=zh,
        name_en=en,
        stage="midstream",
        keywords_zh=list(kw),
        keywords_en=list(kw_en),
        aliases=list(aliases),
    )


@pytest.fixture
def toy_data() -> ChainData:
    segs = [
        _seg(
            "qi.separator", "隔膜", "Separator", ["湿法隔膜", "干法隔膜", "涂覆隔膜"], ["battery separator"]
        ),
        _seg("qi.electrolyte", "电解液", "Electrolyte", ["六氟磷酸锂", "锂电池电解液"], ["electrolyte"]),
        _seg("qi.cell", "电芯", "Battery cells", ["动力电池", "储能电池", "电芯"], ["battery cell"]),
        _seg("qi.pack", "电池包", "Battery packs", ["电池模组", "电池包"], ["battery pack"], ["PACK"]),
        _seg("qi.motor", "驱动电机", "Traction motors", ["驱动电机", "永磁同步电机"], ["traction motor"]),
    ]
    links = [
        Link(source="qi.separator", target="qi.cell"),
        Link(source="qi.electrolyte", target="qi.cell"),
        Link(source="qi.cell", target="qi.pack"),
    ]
    ents = [
        Enterprise(
            id="ent.local",
            name="运城本地电池包有限公司",
            segments=[{"segment": "qi.pack"}],
            tags=["chain_leader"],
            county="yanhu",
        )
    ]
    return ChainData(
        chains=[Chain(id="qi", name_zh="汽", name_en="Auto", letter="汽")],
        regions=[
            Region(id="yuncheng", kind="city", name_zh="运城市", name_en="Yuncheng"),
            Region(id="yanhu", kind="county", name_zh="盐湖区", name_en="Yanhu", parent="yuncheng"),
        ],
        segments=segs,
        links=links,
        enterprises=ents,
    )


@pytest.fixture
def toy_gaps() -> list[dict]:
    return [
        {
            "chain_id": "qi",
            "segment_id": "qi.separator",
            "segment_name": "隔膜",
            "status": "fill",
            "priority": 0.9,
        },
        {
            "chain_id": "qi",
            "segment_id": "qi.cell",
            "segment_name": "电芯",
            "status": "strengthen",
            "priority": 0.6,
        },
        {
            "chain_id": "qi",
            "segment_id": "qi.pack",
            "segment_name": "电池包",
            "status": "sound",
            "priority": 0.1,
        },
        {
            "chain_id": "qi",
            "segment_id": "qi.motor",
            "segment_name": "驱动电机",
            "status": "extend",
            "priority": 0.4,
        },
    ]


HEADER = (
    "name,credit_code,hq_province,hq_city,main_products,segments,tags,revenue_cny_100m,revenue_growth,"
    "employees,founded_year,valuation_usd_bn,expansions_3y,shanxi_presence,risk_flags,source,group"
)


def _csv_text(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


@pytest.fixture
def csv_text():
    """Build a candidate CSV (standard header + ``group``) from data rows."""
    return _csv_text


@pytest.fixture
def good_csv() -> str:
    return _csv_text(
        "恩捷新材料股份有限公司,91350100M000100Y43,云南省,玉溪市,湿法隔膜、涂覆隔膜,,listed;private500,120.5,0.25,8000,2006,,3,false,,test,恩捷",
        "星源材质,,广东,深圳,干法隔膜,,listed,,,,,,,,,test,",
        "天赐材料,,广东省,广州市,锂电池电解液、六氟磷酸锂,,listed,,12%,,,,,,major_litigation,test,",
        "某某科技,,,,农产品加工,,,,,,,,,,,test,",
    )
