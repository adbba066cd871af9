"""Gap classification on a small hand-built chain map; statuses and priorities worked out by hand.

The criticality scores are given (``criticality_scores=``) so every priority can
be computed by hand from the formulas of :mod:`chainmap.analysis.gaps`.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainmap.analysis import gaps as gp
from chainmap.analysis.relatedness import density, proximity
from chainmap.data import ChainData
from chainmap.exceptions import InvalidInput, NotFound
from chainmap.models import Chain, Enterprise, Link, Region, Segment

CHAINS = [
    Chain(id="qi", name_zh="汽车", name_en="Vehicles", letter="汽"),
    Chain(id="cai", name_zh="材料", name_en="Materials", letter="材"),
    Chain(id="cai.mg", name_zh="镁", name_en="Magnesium", letter="材", parent="cai"),
]
REGIONS = [
    Region(id="yuncheng", kind="city", name_zh="运城市", name_en="Yuncheng"),
    Region(id="yanhu", kind="county", name_zh="盐湖区", name_en="Yanhu", parent="yuncheng"),
    Region(id="wenxi", kind="county", name_zh="闻喜县", name_en="Wenxi", parent="yuncheng"),
    Region(id="xiaxian", kind="county", name_zh="夏县", name_en="Xia", parent="yuncheng"),
    Region(id="zone.ycetdz", kind="zone", name_zh="运城经开区", name_en="ETDZ", parent="yuncheng", county="yanhu"),
]


def seg(id, name, stage, chain="qi", **kw):
    return Segment(id=id, chain=chain, name_zh=name, name_en=id.split(".")[-1], stage=stage, **kw)


SEGMENTS = [
    seg("qi.li", "锂矿", "upstream", value_added=2, tech_intensity=2),
    seg("qi.sep", "隔膜", "upstream", value_added=5, chokepoint=True),
    seg("qi.cell", "电芯", "midstream", value_added=4),
    seg("qi.pack", "电池包", "midstream"),
    seg("qi.body", "车身", "midstream"),
    seg("qi.motor", "电机", "midstream"),
    seg("qi.car", "整车", "downstream", value_added=4, reference_share=0.5),
    seg("qi.recycle", "电池回收", "downstream", value_added=4, tech_intensity=4),
    seg("cai.mg.ore", "白云石", "upstream", chain="cai.mg"),
    seg("cai.mg.primary", "原镁", "midstream", chain="cai.mg"),
    seg("cai.mg.alloy", "镁合金", "midstream", chain="cai.mg"),
    seg("cai.mg.diecast", "镁合金压铸件", "downstream", chain="cai.mg", value_added=4),
]
LINKS = [
    Link(source="qi.li", target="qi.cell"),
    Link(source="qi.sep", target="qi.cell"),
    Link(source="qi.cell", target="qi.pack"),
    Link(source="qi.pack", target="qi.car"),
    Link(source="qi.body", target="qi.car"),
    Link(source="qi.car", target="qi.recycle"),
    Link(source="cai.mg.ore", target="cai.mg.primary"),
    Link(source="cai.mg.primary", target="cai.mg.alloy"),
    Link(source="cai.mg.alloy", target="cai.mg.diecast"),
    Link(source="cai.mg.alloy", target="qi.car"),
]


def ent(id, name, segments, county=None, zone=None, tags=()):
    return Enterprise(id=id, name=name, county=county, zone=zone, segments=segments, tags=list(tags), source="test")


ENTERPRISES = [
    ent("ent.car", "大运汽车", [{"segment": "qi.car"}], county="yanhu", zone="zone.ycetdz", tags=["链主"]),
    ent("ent.pack", "甲电池", [{"segment": "qi.pack"}], county="wenxi"),
    ent("ent.body1", "乙车身", [{"segment": "qi.body"}], county="yanhu", tags=["链主"]),
    ent("ent.body2", "丙车身", [{"segment": "qi.body"}], county="yanhu"),
    ent("ent.mg", "银光镁业", [{"segment": "cai.mg.primary"}, {"segment": "cai.mg.alloy"}], county="wenxi",
        tags=["链核"]),
    ent("ent.far", "外地电芯", [{"segment": "qi.cell"}]),  # a candidate elsewhere: not local
]

CRIT = {
    "qi.li": 0.3, "qi.sep": 0.8, "qi.cell": 0.7, "qi.pack": 0.6, "qi.body": 0.2, "qi.motor": 0.1,
    "qi.car": 0.4, "qi.recycle": 0.1, "cai.mg.ore": 0.2, "cai.mg.primary": 0.6, "cai.mg.alloy": 0.5,
    "cai.mg.diecast": 0.1,
}  # fmt: skip
CRIT_SCORES = {n: {"score": v, "dominated": 0.0} for n, v in CRIT.items()}


def make_data(enterprises=None, *, shuffle: int | None = None) -> ChainData:
    parts = [list(CHAINS), list(REGIONS), list(SEGMENTS), list(LINKS), list(ENTERPRISES if enterprises is None else enterprises)]
    if shuffle is not None:
        rng = random.Random(shuffle)
        for p in parts:
            rng.shuffle(p)
    return ChainData(*parts)


def analyze(data=None, **kw):
    kw.setdefault("criticality_scores", CRIT_SCORES)
    return gp.analyze_gaps(data or make_data(), **kw)


def by_id(report):
    return {i.segment_id: i for i in report.items}


# ---------------------------------------------------------------- statuses and priorities by hand


def test_statuses_for_the_city():
    items = by_id(analyze())
    assert {k: v.status for k, v in items.items()} == {
        "qi.li": "extend",  # two steps upstream of the local pack
        "qi.sep": "fill",  # nobody here needs it directly, but critical (0.8)
        "qi.cell": "fill",  # the local pack maker needs it
        "qi.pack": "strengthen",  # a single firm in a critical segment, no leader
        "qi.body": "sound",  # two firms incl. a 链主, not critical
        "qi.motor": "not_priority",  # absent, unlinked, not critical: not a target
        "qi.car": "strengthen",  # LQ (1/4) / 0.5 = 0.5 < 1 (N = the 4 local producers of 汽)
        "qi.recycle": "extend",  # downstream of the local car maker
        "cai.mg.ore": "fill",  # the local primary-magnesium maker needs it
        "cai.mg.primary": "strengthen",  # single firm, critical
        "cai.mg.alloy": "strengthen",  # single firm, critical (0.5)
        "cai.mg.diecast": "extend",  # downstream of the local alloy
    }


def test_priorities_by_hand():
    items = by_id(analyze())
    # fill: 0.35 D + 0.30 C + 0.20 omega + 0.15 V, D = d / (d + 2)
    # cell: d = 1 (甲电池), C .7, omega = 1/3 (li, sep, pack; pack local), V = .75
    assert items["qi.cell"].priority == pytest.approx(round(0.35 / 3 + 0.3 * 0.7 + 0.2 / 3 + 0.15 * 0.75, 4))
    # sep: d = 0, C .8, omega 0, V 1
    assert items["qi.sep"].priority == pytest.approx(0.24 + 0.15)
    # ore: d = 1, C .2, omega 1 (its only neighbour is local), V .5
    assert items["cai.mg.ore"].priority == pytest.approx(round(0.35 / 3 + 0.06 + 0.2 + 0.075, 4))
    # strengthen: W (0.35 D + 0.30 C + 0.15 V)
    # pack: W = max(single .6, no_leader .3) = .6; d = 1 (the car maker)
    assert items["qi.pack"].priority == pytest.approx(round(0.6 * (0.35 / 3 + 0.18 + 0.075), 4))
    # car: LQ = (1/4) / .5 (N = 汽's 4 local producers); W = max(single .4, lq 1 - .5 = .5) = .5; d = 0; V .75
    assert items["qi.car"].lq == pytest.approx(0.5)
    assert items["qi.car"].priority == pytest.approx(round(0.5 * (0.3 * 0.4 + 0.15 * 0.75), 4))
    # alloy: W = .5; d = 1 (the car maker, across chains)
    assert items["cai.mg.alloy"].demand_segments == ["qi.car"]
    assert items["cai.mg.alloy"].priority == pytest.approx(round(0.5 * (0.35 / 3 + 0.15 + 0.075), 4))
    # extend: 0.40 omega + 0.25 V + 0.20 gain + 0.15 C
    # recycle: omega 1, V .75, gain ((4+4)/2 - (4+3)/2) / 4 = .125, C .1
    assert items["qi.recycle"].priority == pytest.approx(0.4 + 0.1875 + 0.025 + 0.015)
    assert items["qi.recycle"].directions == ["downstream"]
    # li: omega 0 (its only neighbour cell is absent), V .25, gain 0 (2 < 3), C .3
    assert items["qi.li"].priority == pytest.approx(0.0625 + 0.045)
    assert items["qi.li"].directions == ["upstream"] and items["qi.li"].adjacent_segments == ["qi.pack"]
    # sound: 0
    assert items["qi.body"].priority == 0 and items["qi.motor"].priority == 0


def test_components_rationales_and_fields():
    rep = analyze()
    items = by_id(rep)
    cell = items["qi.cell"]
    assert cell.components == {"demand": 0.3333, "criticality": 0.7, "density": 0.3333, "value_added": 0.75}
    assert cell.rationale == "补链：电芯本地无企业（据现有名录），下游电池包环节有1家本地企业需要，关键度0.70，关联密度0.33"
    assert cell.demand_segments == ["qi.pack"] and cell.demand_count == 1 and cell.local_count == 0
    assert items["qi.pack"].rationale.startswith("强链：电池包本地仅1家企业（甲电池），关键度0.60")
    assert "无链主/链核企业" in items["qi.pack"].rationale
    assert "区位商0.50低于1" in items["qi.car"].rationale
    assert items["qi.recycle"].rationale.startswith("延链：电池回收本地无企业（据现有名录），与本地优势环节整车相邻（向下游延伸）")
    assert items["qi.sep"].rationale == "补链：隔膜本地无企业（据现有名录），本地暂无直接需求，关键度0.80，属卡脖子环节"
    assert items["qi.body"].local_enterprises == [
        {"id": "ent.body1", "name": "乙车身"},
        {"id": "ent.body2", "name": "丙车身"},
    ]
    assert items["qi.body"].has_chain_leader and items["qi.body"].rationale.startswith("健全：车身本地有2家企业（含链主/链核）")
    assert items["qi.car"].chain_id == "qi" and items["cai.mg.alloy"].chain_id == "cai"
    assert items["cai.mg.alloy"].segment_chain == "cai.mg"
    # items sorted by priority desc then id
    keys = [(-i.priority, i.segment_id) for i in rep.items]
    assert keys == sorted(keys)
    assert rep.summary == {
        "qi": {"fill": 2, "strengthen": 2, "extend": 2, "sound": 1, "not_priority": 1, "unsuitable": 0,
               "unverified": 0, "total": 8},
        "cai": {"fill": 1, "strengthen": 2, "extend": 1, "sound": 0, "not_priority": 0, "unsuitable": 0,
                "unverified": 0, "total": 4},
    }
    assert rep.chains == ["qi", "cai"] and rep.density_mode == {"qi": "links", "cai": "links"}


def test_english_rationale():
    items = by_id(analyze(lang="en"))
    assert items["qi.cell"].rationale == (
        "Fill: cell has no local firm (per the list); 1 local firms downstream in pack need it; criticality 0.70; "
        "relatedness density 0.33"
    )
    assert items["qi.cell"].segment_name == "cell"


def test_users_count_as_local_demand_and_capacity_shortfall():
    extra = [
        ent("ent.user", "丁整车", [{"segment": "qi.sep", "role": "user"}], county="yanhu"),
        ent("ent.mg2", "戊镁业", [{"segment": "cai.mg.ore", "capacity": 10, "capacity_unit": "万吨"}], county="wenxi"),
        ent("ent.mg3", "己镁业", [{"segment": "cai.mg.ore", "role": "user", "capacity": 25, "capacity_unit": "万吨"}],
            county="wenxi"),
    ]
    items = by_id(analyze(make_data(ENTERPRISES + extra)))
    sep = items["qi.sep"]
    assert sep.status == "fill" and sep.demand_count == 1 and sep.local_users == 1
    assert "1家本地企业使用该环节产品" in sep.rationale
    ore = items["cai.mg.ore"]
    assert ore.status == "strengthen" and ore.local_capacity == {"万吨": 10.0}
    assert ore.components["weak_capacity"] == pytest.approx(0.6)
    assert "本地产能10万吨低于本地需求25万吨" in ore.rationale


def test_dense_fill_needs_two_related_local_segments():
    # the car maker is gone; its neighbours pack, body and alloy are local, recycle is not:
    # omega = 3/4 >= 0.6 with 3 related local segments, no demand (recycle absent), C .4 < .5 -> fill
    ents = [e for e in ENTERPRISES if e.id != "ent.car"]
    car = by_id(analyze(make_data(ents)))["qi.car"]
    assert car.status == "fill" and car.demand_count == 0
    assert car.density == pytest.approx(0.75)
    assert car.priority == pytest.approx(round(0.3 * 0.4 + 0.2 * 0.75 + 0.15 * 0.75, 4))
    assert "关联密度0.75" in car.rationale
    # one local neighbour only (recycle next to the car maker: omega 1) is adjacency -> extend
    assert by_id(analyze())["qi.recycle"].status == "extend"
    # primary local, diecast two steps *down*, not critical: not adjacent -> sound
    ents2 = [ent("e1", "甲", [{"segment": "cai.mg.primary"}], county="wenxi")]
    assert by_id(analyze(make_data(ents2)))["cai.mg.diecast"].status == "not_priority"


def test_cooccurrence_density_when_enough_enterprise_data():
    segs = ["cai.mg.primary", "cai.mg.alloy", "cai.mg.diecast"]
    firms = [ent(f"x{i:02d}", f"外{i}", [{"segment": segs[i % 3]}, {"segment": segs[(i + 1) % 3]}])
             for i in range(gp.COOCCURRENCE_MIN_FIRMS)]
    local = [ent("l1", "本地", [{"segment": "cai.mg.primary"}], county="wenxi")]
    rep = gp.analyze_gaps(make_data(firms + local), chain="cai", criticality_scores=CRIT_SCORES)
    assert rep.density_mode == {"cai": "cooccurrence"}
    scope = ["cai.mg.alloy", "cai.mg.diecast", "cai.mg.ore", "cai.mg.primary", "qi.car"]
    idx = {s: i for i, s in enumerate(scope)}
    Ment = np.zeros((len(firms) + 1, len(scope)))
    for r, e in enumerate(firms + local):
        for s in e.segment_ids():
            Ment[r, idx[s]] = 1
    phi = proximity(Ment)
    M = np.zeros((1, len(scope)))
    M[0, idx["cai.mg.primary"]] = 1
    expected = density(M, phi)[0]
    items = by_id(rep)
    for s in ("cai.mg.alloy", "cai.mg.diecast"):
        assert items[s].density == pytest.approx(round(expected[idx[s]], 4))
    # below the threshold: links
    rep2 = gp.analyze_gaps(make_data(firms[:-1] + local), chain="cai", criticality_scores=CRIT_SCORES)
    assert rep2.density_mode == {"cai": "links"}


def test_chain_leader_candidates_in_report():
    rep = gp.analyze_gaps(make_data())
    cands = [c for c in rep.chain_leader_candidates if c.chain_id == "cai"]
    assert [c.id for c in cands] == ["ent.mg"]
    assert cands[0].sole_segments == ["cai.mg.alloy", "cai.mg.primary"] and cands[0].tags == ["chain_core"]
    qi = [c.id for c in rep.chain_leader_candidates if c.chain_id == "qi"]
    # local qi system: pack -> car <- body; the pack and car makers are sole producers, body is shared
    assert qi[:2] == ["ent.car", "ent.pack"] or qi[:2] == ["ent.pack", "ent.car"]
    assert set(qi) == {"ent.car", "ent.pack", "ent.body1", "ent.body2"}


# ---------------------------------------------------------------- regions


def test_regions_county_zone_and_city():
    data = make_data(ENTERPRISES + [ent("ent.zone", "庚", [{"segment": "qi.motor"}], zone="zone.ycetdz")])
    ids = lambda r: [e.key for e in gp.local_enterprises(data, r)]  # noqa: E731
    assert ids("yuncheng") == ["ent.body1", "ent.body2", "ent.car", "ent.mg", "ent.pack", "ent.zone"]
    assert ids("yanhu") == ["ent.body1", "ent.body2", "ent.car", "ent.zone"]  # zone lies in yanhu
    assert ids("zone.ycetdz") == ["ent.car", "ent.zone"]
    assert ids("wenxi") == ["ent.mg", "ent.pack"]
    items = by_id(analyze(data, region="wenxi", chain="qi"))
    assert items["qi.car"].local_count == 0 and items["qi.pack"].local_count == 1
    assert all(i.region_id == "wenxi" for i in items.values())


def test_empty_region_gives_a_report():
    rep = analyze(region="xiaxian")
    assert len(rep.items) == len(SEGMENTS)
    # a county without firms: no demand, no input, no neighbour -- critical segments are not a
    # county priority either (county fit), so nothing is a target there
    assert all(i.local_count == 0 and i.status == "not_priority" for i in rep.items)
    assert rep.chain_leader_candidates == [] and rep.parameters["local_producers"] == 0
    # without given criticality too
    rep2 = gp.analyze_gaps(make_data([]), region="yuncheng")
    assert len(rep2.items) == len(SEGMENTS)


def test_unknown_chain_or_region_lists_valid_ids():
    with pytest.raises(NotFound) as err:
        analyze(chain="he")
    assert "cai, cai.mg, qi" in str(err.value)
    with pytest.raises(NotFound) as err:
        analyze(region="beijing")
    assert "wenxi" in str(err.value) and "yuncheng" in str(err.value)
    with pytest.raises(InvalidInput):
        analyze(lang="fr")


def test_sub_chain_analysis():
    rep = analyze(chain="cai.mg")
    assert rep.chains == ["cai.mg"] and {i.chain_id for i in rep.items} == {"cai.mg"}
    assert len(rep.items) == 4


def test_select_items():
    rep = analyze()
    assert [i.segment_id for i in gp.select_items(rep, status="fill")] == ["qi.cell", "cai.mg.ore", "qi.sep"]
    assert len(gp.select_items(rep, chain="cai", top=2)) == 2
    with pytest.raises(InvalidInput):
        gp.select_items(rep, status="bogus")


# ---------------------------------------------------------------- invariants (hypothesis)

STAGES = ["upstream", "midstream", "downstream"]


@st.composite
def chain_maps(draw):
    n = draw(st.integers(3, 9))
    ids = [f"qi.s{i}" for i in range(n)]
    segments = [
        Segment(id=s, chain="qi", name_zh=f"环节{i}", name_en=s, stage=draw(st.sampled_from(STAGES)),
                value_added=draw(st.integers(1, 5)), chokepoint=draw(st.booleans()),
                reference_share=draw(st.one_of(st.none(), st.floats(0.05, 0.9))))
        for i, s in enumerate(ids)
    ]  # fmt: skip
    pairs = draw(st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=2 * n))
    links = [
        Link(source=ids[u], target=ids[v], weight=draw(st.one_of(st.none(), st.floats(0.1, 1.0))))
        for u, v in sorted(pairs)
        if u < v
    ]
    counties = ["yanhu", "wenxi", None]
    enterprises = []
    for k in range(draw(st.integers(0, 7))):
        segs = draw(st.sets(st.sampled_from(ids), min_size=1, max_size=3))
        roles = [draw(st.sampled_from(["producer", "producer", "user"])) for _ in segs]
        enterprises.append(
            Enterprise(id=f"e{k}", name=f"企业{k}", county=draw(st.sampled_from(counties)),
                       segments=[{"segment": s, "role": r} for s, r in zip(sorted(segs), roles, strict=True)],
                       tags=draw(st.sampled_from([[], ["链主"]])), source="t")
        )  # fmt: skip
    chains = [Chain(id="qi", name_zh="汽车", name_en="Vehicles", letter="汽")]
    return chains, list(REGIONS), segments, links, enterprises


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(chain_maps())
def test_each_segment_classified_exactly_once(parts):
    data = ChainData(*parts)
    rep = gp.analyze_gaps(data)
    ids = [i.segment_id for i in rep.items]
    assert sorted(ids) == sorted(s.id for s in parts[2])
    assert len(set(ids)) == len(ids)
    assert all(0 <= i.priority <= 1 and i.status in gp.STATUSES for i in rep.items)
    assert sum(v for k, v in rep.summary["qi"].items() if k != "total") == len(ids)


@SETTINGS
@given(chain_maps(), st.integers(0, 10_000))
def test_adding_a_local_producer_never_raises_fill_priority(parts, pick_seed):
    data = ChainData(*parts)
    before = by_id(gp.analyze_gaps(data))
    fills = sorted(s for s, i in before.items() if i.status == "fill")
    if not fills:
        return
    target = fills[pick_seed % len(fills)]
    newcomer = Enterprise(id="zz.new", name="新企业", county="yanhu", segments=[{"segment": target}], source="t")
    chains, regions, segments, links, enterprises = parts
    after = by_id(gp.analyze_gaps(ChainData(chains, regions, segments, links, enterprises + [newcomer])))
    assert after[target].status != "fill"
    assert after[target].priority <= before[target].priority
    assert after[target].local_count == before[target].local_count + 1


@SETTINGS
@given(chain_maps(), st.integers(0, 1000))
def test_output_independent_of_input_order_and_deterministic(parts, seed):
    rep1 = gp.analyze_gaps(ChainData(*parts)).model_dump()
    rng = random.Random(seed)
    shuffled = [list(p) for p in parts]
    for p in shuffled:
        rng.shuffle(p)
    rep2 = gp.analyze_gaps(ChainData(*shuffled)).model_dump()
    assert rep1 == rep2
    assert gp.analyze_gaps(ChainData(*parts)).model_dump() == rep1


def test_shuffled_fixture_is_identical():
    assert analyze(make_data(shuffle=1)).model_dump() == analyze(make_data()).model_dump()
    assert gp.analyze_gaps(make_data(shuffle=2)) == gp.analyze_gaps(make_data())


def test_critical_threshold_is_the_lower_of_0_5_and_the_chain_quantile():
    rep = analyze()
    assert rep.parameters["crit_threshold.qi"] == 0.5 and rep.parameters["crit_threshold.cai"] == 0.5
    # halve every score: qi's 75th percentile (linear) of .05,.05,.1,.15,.2,.3,.35,.4 is .3125
    low = {n: {"score": v / 2, "dominated": 0.0} for n, v in CRIT.items()}
    rep = gp.analyze_gaps(make_data(), criticality_scores=low)
    assert rep.parameters["crit_threshold.qi"] == pytest.approx(0.3125)
    items = by_id(rep)
    assert items["qi.sep"].status == "fill"  # .4 >= .3125: still critical though below 0.5
    assert items["qi.pack"].status == "sound"  # .3 < .3125: a single firm, but not critical


# ---------------------------------------------------------------- absent and not a target


def test_absent_not_priority_rationale_says_it_is_not_a_current_priority():
    zh = by_id(analyze())["qi.motor"]
    assert zh.status == "not_priority" and zh.local_count == 0
    assert zh.rationale.startswith("暂不布局：电机本地无企业（据现有名录），暂无本地需求，非当前重点（关键度0.10低于0.50")
    en = by_id(analyze(lang="en"))["qi.motor"]
    assert en.rationale.startswith(
        "Not a priority: motor has no local firm (per the list); no local demand yet: not a current priority"
    )
    # a present, sound segment keeps its own wording
    assert "非当前重点" not in by_id(analyze())["qi.body"].rationale


# ---------------------------------------------------------------- optimised paths == the plain ones


def _random_map(seed: int, n: int = 60, firms: int = 400) -> ChainData:
    """Two chains with cross links, cycles, sub-chains, users, leaders and firms elsewhere."""
    rng = random.Random(seed)
    chains = [Chain(id="qi", name_zh="汽车", name_en="V", letter="汽"), Chain(id="cai", name_zh="材料", name_en="M", letter="材"),
              Chain(id="cai.mg", name_zh="镁", name_en="Mg", letter="材", parent="cai")]  # fmt: skip
    homes = ["qi", "cai", "cai.mg"]
    segments = [
        Segment(id=f"{homes[i % 3]}.s{i:03d}", chain=homes[i % 3], name_zh=f"环节{i}", name_en=f"s{i}",
                stage=STAGES[i * 3 // n], value_added=rng.randint(1, 5), chokepoint=rng.random() < 0.1,
                reference_share=rng.choice([None, 0.05, 0.2]))
        for i in range(n)
    ]  # fmt: skip
    ids = [s.id for s in segments]
    pairs = {(rng.randrange(n), rng.randrange(n)) for _ in range(3 * n)}
    links = [
        Link(source=ids[u], target=ids[v], kind=rng.choice(["supplies", "supplies", "enables"]),
             weight=rng.choice([None, 0.3, 0.8]))
        for u, v in sorted(pairs) if u != v
    ]  # fmt: skip
    enterprises = []
    for k in range(firms):
        i = rng.randrange(n)
        segs = sorted({ids[min(n - 1, i + rng.randint(0, 4))] for _ in range(rng.randint(1, 3))})
        enterprises.append(
            Enterprise(id=f"e{k:04d}", name=f"企业{k}", county=rng.choice(["yanhu", "wenxi", None]),
                       segments=[{"segment": s, "role": "user" if rng.random() < 0.15 else "producer",
                                  "output": rng.choice([None, 1.5, 4.0])} for s in segs],
                       tags=["链主"] if rng.random() < 0.05 else [], source="t")
        )  # fmt: skip
    return ChainData(chains, list(REGIONS), segments, links, enterprises)


def _plain_density(G, scope, present, enterprises, chain_nodes):
    """relatedness_density as first written: one Python pass per enterprise, dense matrices."""
    scope = sorted(scope)
    idx = {n: i for i, n in enumerate(scope)}
    rows = [sorted({idx[s] for s in e.segment_ids("producer") if s in idx}) for e in enterprises]
    rows = [r for r in rows if r]
    multi = [r for r in rows if len(r) >= 2]
    own = set(chain_nodes)
    covered = {scope[c] for r in multi for c in r} & own
    if len(multi) >= gp.COOCCURRENCE_MIN_FIRMS and own and len(covered) / len(own) >= gp.COOCCURRENCE_MIN_COVERAGE:
        Ment = np.zeros((len(rows), len(scope)))
        for i, r in enumerate(rows):
            Ment[i, r] = 1.0
        phi, mode = proximity(sp.csr_array(Ment)), "cooccurrence"  # sparse, as first written (same layout)
    else:
        phi, mode = np.zeros((len(scope), len(scope))), "links"
        for u, v in G.edges():
            if u in idx and v in idx:
                phi[idx[u], idx[v]] = phi[idx[v], idx[u]] = 1.0
    M = np.zeros((1, len(scope)))
    for s in present:
        if s in idx:
            M[0, idx[s]] = 1.0
    omega = density(M, phi)[0]
    related = ((phi > 0) & (M[0][:, None] > 0)).sum(axis=0)
    return {n: float(omega[i]) for i, n in enumerate(scope)}, {n: int(related[i]) for i, n in enumerate(scope)}, mode


def _plain_leaders(G, shares):
    """chain_leader_candidates as first written: a Python sum per firm."""
    from chainmap.analysis.criticality import linkages

    present = sorted({s for m in shares.values() for s, v in m.items() if v > 0 and s in G})
    if not present:
        return []
    lk = linkages(G, nodes=present)
    out = []
    for firm in sorted(shares):
        segs = sorted(s for s, v in shares[firm].items() if v > 0 and s in lk)
        score = sum(shares[firm][s] * lk[s]["loss_share"] for s in segs)
        if score > 0:
            out.append({"id": firm, "score": round(float(score), 4), "segments": segs})
    out.sort(key=lambda r: (-r["score"], r["id"]))
    return out


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_optimised_paths_equal_the_plain_computations(seed):
    from chainmap.analysis.criticality import chain_leader_candidates
    from chainmap.graph import chain_segments

    data = _random_map(seed, firms=400 if seed % 2 else 40)  # co-occurrence and link proximity
    G = data.graph
    rep = gp.analyze_gaps(data)
    items = {(i.chain_id, i.segment_id): i for i in rep.items}
    local = gp.local_enterprises(data, "yuncheng")
    present = {s for e in local for s in e.segment_ids("producer")}
    modes = set()
    for ch in rep.chains:
        segs = chain_segments(G, ch)
        scope = set(segs) | {m for n in segs for m in (*G.predecessors(n), *G.successors(n))}
        ref = _plain_density(G, scope, present, data.enterprises, segs)
        assert gp.relatedness_density(G, scope, present, data.enterprises, chain_nodes=segs) == ref
        assert rep.density_mode[ch] == ref[2]
        modes.add(ref[2])
        for n in segs:
            it = items[(ch, n)]
            assert it.density == round(ref[0][n], 4)
            producers = [e for e in local if n in e.segment_ids("producer")]
            assert it.has_chain_leader == any(t.value in ("chain_leader", "chain_core") for e in producers for t in e.tags)
            assert [r["id"] for r in it.local_enterprises] == sorted(e.key for e in producers)
        # 链主 candidates: the vectorised ranking equals the per-firm sums
        shares: dict[str, dict[str, float]] = {}
        for n in segs:
            prod = [e for e in local if n in e.segment_ids("producer")]
            out = {e.key: sum(p.output for p in e.segments if p.segment == n and p.role == "producer" and p.output)
                   for e in prod if any(p.output is not None for p in e.segments if p.segment == n and p.role == "producer")}  # fmt: skip
            total = sum(out.values())
            for e in prod:
                share = out[e.key] / total if total > 0 and len(out) == len(prod) else 1.0 / len(prod)
                shares.setdefault(e.key, {})[n] = share
        plain = _plain_leaders(G, shares)
        assert chain_leader_candidates(G, shares) == plain
        got = [c for c in rep.chain_leader_candidates if c.chain_id == ch]
        assert [(c.id, c.score, c.segments) for c in got] == [(r["id"], r["score"], r["segments"]) for r in plain[:5]]
    assert ("cooccurrence" if seed % 2 else "links") in modes
