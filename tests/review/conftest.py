"""A tiny hand-made map for the census review and coverage tests, on both stores.

汽 chain: 隔膜 qi.sep -> 电芯 qi.cell -> 电池包 qi.pack -> 整车 qi.car.  Regions: 运城市 ``yc``,
counties 闻喜县 ``wenxi`` and 河津市 ``hejin``, the zone ``zone.wx`` in 闻喜.  Firms:

* ``ent.car``  大运汽车 (wenxi), seed, producer of qi.car (confirmed);
* ``ent.a``    甲电芯 (wenxi), text assignment to qi.cell, pending, confidence 0.4;
* ``ent.b``    乙电池 (zone.wx), code assignment to qi.pack, pending, evidence marks a conflict;
* ``ent.c``    丙贸易 (hejin), no assignment (the import marked it unassigned);
* ``ent.d``    丁隔膜 (hejin), text assignment to qi.sep, auto (above the threshold), confidence 0.9.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chainmap.data import ChainData
from chainmap.models import Chain, Enterprise, Link, Region, Segment
from chainmap.seed import load_into_store
from chainmap.storage.base import Store

CENSUS_INFO = {"register": "规上名录", "unassigned": True, "imported_at": "2026-11-20T08:00:00"}


def tiny_data(**census: list[dict]) -> ChainData:
    chains = [Chain(id="qi", name_zh="汽车", name_en="Vehicles", letter="汽")]
    segs = [
        Segment(id="qi.sep", chain="qi", name_zh="隔膜", name_en="Separators", stage="upstream"),
        Segment(id="qi.cell", chain="qi", name_zh="电芯", name_en="Cells", stage="upstream"),
        Segment(id="qi.pack", chain="qi", name_zh="电池包", name_en="Packs", stage="midstream"),
        Segment(id="qi.car", chain="qi", name_zh="整车", name_en="Vehicles", stage="downstream"),
    ]
    links = [Link(source="qi.sep", target="qi.cell"), Link(source="qi.cell", target="qi.pack"),
             Link(source="qi.pack", target="qi.car")]  # fmt: skip
    regions = [
        Region(id="yc", kind="city", name_zh="运城市", name_en="Yuncheng"),
        Region(id="wenxi", kind="county", name_zh="闻喜县", name_en="Wenxi", parent="yc"),
        Region(id="hejin", kind="county", name_zh="河津市", name_en="Hejin", parent="yc"),
        Region(id="zone.wx", kind="zone", name_zh="闻喜经开区", name_en="Wenxi ETDZ", county="wenxi"),
    ]
    ents = [
        Enterprise(id="ent.car", name="大运汽车", county="wenxi", segments=[{"segment": "qi.car"}], source="t"),
        Enterprise(id="ent.a", name="甲电芯", county="wenxi", source="t",
                   attributes={"census": {"register": "规上名录", "products": "磷酸铁锂电芯"}},
                   segments=[{"segment": "qi.cell", "method": "text", "status": "pending", "confidence": 0.4,
                              "evidence": ["text: 电芯"]}]),
        Enterprise(id="ent.b", name="乙电池", zone="zone.wx", source="t",
                   segments=[{"segment": "qi.pack", "method": "code", "status": "pending", "confidence": 0.7,
                              "evidence": ["code: 3841", "conflict: code 3841 -> qi.pack, text -> qi.cell"]}]),
        Enterprise(id="ent.c", name="丙贸易", county="hejin", source="t", attributes={"census": dict(CENSUS_INFO)}),
        Enterprise(id="ent.d", name="丁隔膜", county="hejin", source="t",
                   segments=[{"segment": "qi.sep", "method": "text", "status": "auto", "confidence": 0.9}]),
    ]  # fmt: skip
    return ChainData(chains, regions, segs, links, ents, census=dict(census))


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """A real store of each backend holding the tiny map."""
    s: Store = request.getfixturevalue(f"{request.param}_store")
    load_into_store(s, tiny_data())
    yield s
