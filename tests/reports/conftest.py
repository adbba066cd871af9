"""A small two-chain map (汽 with a cross-chain input from 材 → 镁) for the report tests."""

from __future__ import annotations

import pytest

from chainmap.analysis.gaps import GapReport, analyze_gaps
from chainmap.data import ChainData
from chainmap.models import Chain, Enterprise, Link, Region, Segment


def _seg(id: str, name: str, stage: str, chain: str, **kw) -> Segment:
    return Segment(id=id, chain=chain, name_zh=name, name_en=id.split(".")[-1].title(), stage=stage, **kw)


def build_data() -> ChainData:
    chains = [
        Chain(id="qi", name_zh="汽车", name_en="Vehicles", letter="汽"),
        Chain(id="cai", name_zh="材料", name_en="Materials", letter="材"),
        Chain(id="cai.mg", name_zh="镁", name_en="Magnesium", letter="材", parent="cai"),
    ]
    regions = [
        Region(id="yuncheng", kind="city", name_zh="运城市", name_en="Yuncheng"),
        Region(id="wenxi", kind="county", name_zh="闻喜县", name_en="Wenxi", parent="yuncheng"),
        Region(id="xiaxian", kind="county", name_zh="夏县", name_en="Xia", parent="yuncheng"),
    ]
    segments = [
        _seg("qi.sep", "动力电池隔膜", "upstream", "qi", chokepoint=True, value_added=5),
        _seg("qi.cell", "电芯", "midstream", "qi"),
        _seg("qi.pack", "电池包", "midstream", "qi"),
        _seg("qi.car", "整车", "downstream", "qi", value_added=4),
        _seg("qi.recycle", "电池回收", "downstream", "qi"),
        _seg("cai.mg.primary", "原镁", "upstream", "cai.mg"),
        _seg("cai.mg.alloy", "镁合金", "midstream", "cai.mg"),
    ]
    links = [
        Link(source="qi.sep", target="qi.cell"),
        Link(source="qi.cell", target="qi.pack"),
        Link(source="qi.pack", target="qi.car"),
        Link(source="qi.car", target="qi.recycle"),
        Link(source="cai.mg.primary", target="cai.mg.alloy"),
        Link(source="cai.mg.alloy", target="qi.car"),
    ]
    enterprises = [
        Enterprise(id="ent.car", name="大运汽车", county="wenxi", segments=[{"segment": "qi.car"}], tags=["链主"], source="t"),
        Enterprise(id="ent.pack", name="甲电池", county="wenxi", segments=[{"segment": "qi.pack"}], source="t"),
        Enterprise(id="ent.mg", name="银光镁业", county="wenxi", segments=[{"segment": "cai.mg.primary"}], source="t"),
    ]
    # the map's list is the whole truth: a complete all-industry register of the city (chainmap.census)
    register = {"id": "r1", "register_kind": "规上名录", "regions": ["yuncheng"], "industry_codes": [], "rows": 3,
                "imported_at": "2026-11-20", "file": "t.xlsx", "complete": True}
    return ChainData(chains, regions, segments, links, enterprises, census={"census_import": [register]})


@pytest.fixture
def data() -> ChainData:
    return build_data()


@pytest.fixture
def report(data: ChainData) -> GapReport:
    return analyze_gaps(data)


@pytest.fixture
def report_en(data: ChainData) -> GapReport:
    return analyze_gaps(data, lang="en")
