"""The diagnosis rules of issue #15 on a small hand-made map, then on the shipped seed.

Rules: segment kinds (endowment never 补链/延链; an adopter's local adopters are demand of its
suppliers and it is never a target itself; a service fills only on local demand), policy
constraints (restricted -> 不适宜 quoting the policy; encouraged -> a reason and a priority
term), the seven statuses (no segment without a local producer is 健全), county fit for critical
segments, and the absence hook (待核实).

The criticality scores are given, so every status below is worked out by hand.
"""

from __future__ import annotations

from collections import Counter

import pytest

from chainmap.analysis import gaps as gp
from chainmap.data import ChainData
from chainmap.labels import GAP_STATUS, GAP_TARGET_STATUSES
from chainmap.models import Chain, Enterprise, Link, Region, Segment
from chainmap.policies import Policy, PolicyKind

CHAINS = [
    Chain(id="he", name_zh="合", name_en="IT", letter="合"),
    Chain(id="qi", name_zh="汽车", name_en="Vehicles", letter="汽"),
    Chain(id="cai", name_zh="材料", name_en="Materials", letter="材"),
]
REGIONS = [
    Region(id="yc", kind="city", name_zh="运城市", name_en="Yuncheng"),
    Region(id="a", kind="county", name_zh="甲县", name_en="A", parent="yc"),
    Region(id="b", kind="county", name_zh="乙县", name_en="B", parent="yc"),
    Region(id="z", kind="zone", name_zh="甲开发区", name_en="Z", parent="yc", county="a"),
]


def seg(id: str, name: str, stage: str, chain: str, **kw: object) -> Segment:
    return Segment(id=id, chain=chain, name_zh=name, name_en=id.split(".")[-1], stage=stage, **kw)


SEGMENTS = [
    seg("he.sensor", "传感器", "upstream", "he"),
    seg("he.mes", "MES", "midstream", "he"),
    seg("he.factory", "智能工厂", "downstream", "he", kind="adopter"),
    seg("he.factory.qi", "汽车智能工厂", "downstream", "he", kind="adopter", parent="he.factory"),
    seg("qi.ore", "锂矿", "upstream", "qi", kind="endowment"),
    seg("qi.cell", "电芯", "midstream", "qi", value_added=4),
    seg("qi.chip", "芯片", "upstream", "qi", chokepoint=True, value_added=5),
    seg("qi.domain", "域控", "midstream", "qi"),
    seg("qi.car", "整车", "downstream", "qi"),
    seg("qi.after", "后市场", "downstream", "qi", kind="service"),
    seg("cai.steel", "炼钢", "upstream", "cai"),
    seg("cai.alloy", "合金", "midstream", "cai"),
]
LINKS = [
    Link(source="he.sensor", target="he.factory"),
    Link(source="he.mes", target="he.factory.qi", kind="enables"),
    Link(source="he.factory.qi", target="qi.car", kind="enables"),
    Link(source="qi.ore", target="qi.cell"),
    Link(source="qi.cell", target="qi.car"),
    Link(source="qi.chip", target="qi.domain"),
    Link(source="qi.car", target="qi.after"),
    Link(source="cai.alloy", target="qi.car"),
]
CRIT = {
    "he.sensor": 0.2, "he.mes": 0.05, "he.factory": 0.05, "he.factory.qi": 0.05,
    "qi.ore": 0.9, "qi.cell": 0.7, "qi.chip": 0.8, "qi.domain": 0.05, "qi.car": 0.1, "qi.after": 0.6,
    "cai.steel": 0.3, "cai.alloy": 0.2,
}  # fmt: skip
CRIT_SCORES = {n: {"score": v, "dominated": 0.0} for n, v in CRIT.items()}


def ent(id: str, name: str, segments: list[dict[str, str]], county: str | None = None, zone: str | None = None) -> Enterprise:
    return Enterprise(id=id, name=name, county=county, zone=zone, segments=segments, source="test")


ENTERPRISES = [
    ent("ent.car", "甲汽车", [{"segment": "qi.car"}], county="a"),
    # a car plant's smart factory: recorded as a user of the adopter sub-segment
    ent("ent.plant", "甲汽车工厂", [{"segment": "he.factory.qi", "role": "user"}], county="a"),
    ent("ent.steel", "甲钢铁", [{"segment": "cai.steel"}], county="a"),
]

RESTRICT_STEEL = Policy(
    id="p.steel", kind="restricted", title="空气质量计划", document="晋政发〔2021〕1号",
    source="http://example.org/steel", quote="不再新布局钢铁项目", segments=["cai.steel"],
    regions=["yc"], confidence="medium",
)  # fmt: skip
ENCOURAGE_ALLOY = Policy(
    id="p.alloy", kind="encouraged", title="重点产业链", source="http://example.org/chains",
    quote="合金精深加工", segments=["cai.alloy"], regions=["yc"], confidence="medium",
)  # fmt: skip


def make_data(enterprises: list[Enterprise] | None = None, policies: list[Policy] | None = None) -> ChainData:
    return ChainData(
        chains=CHAINS, regions=REGIONS, segments=SEGMENTS, links=LINKS,
        enterprises=ENTERPRISES if enterprises is None else enterprises,
        policies=[RESTRICT_STEEL, ENCOURAGE_ALLOY] if policies is None else policies,
    )  # fmt: skip


def items(region: str = "yc", data: ChainData | None = None, **kw: object) -> dict[str, gp.GapItem]:
    rep = gp.analyze_gaps(data or make_data(), region=region, criticality_scores=CRIT_SCORES, **kw)  # type: ignore[arg-type]
    return {i.segment_id: i for i in rep.items}


# ---------------------------------------------------------------- kinds


def test_endowment_is_unsuitable_never_fill_and_shows_local_presence() -> None:
    ore = items()["qi.ore"]
    # critical (0.9) and an input of a fill segment, but ore cannot be attracted
    assert ore.status == "unsuitable" and ore.kind == "endowment" and ore.priority == 0
    assert ore.rationale == "不适宜：锂矿属资源禀赋，不能通过招商引进，不作为补链/延链对象，本地名录无该环节企业，本地暂无直接使用企业"
    # with a local miner and a local user, the presence is shown and the status stays
    firms = [*ENTERPRISES, ent("ent.mine", "甲矿业", [{"segment": "qi.ore"}], county="a"),
             ent("ent.cellmaker", "甲电芯", [{"segment": "qi.cell"}], county="a")]  # fmt: skip
    ore = items(data=make_data(firms))["qi.ore"]
    assert ore.status == "unsuitable" and ore.local_count == 1
    assert "本地有1家相关企业（甲矿业）" in ore.rationale and "下游电芯环节有1家本地企业需要" in ore.rationale
    en = items(lang="en")["qi.ore"].rationale
    assert en.startswith("Unsuitable: ore is a resource endowment: it cannot be attracted")


def test_adopter_is_never_a_target_and_its_adopters_are_demand_for_its_suppliers() -> None:
    it = items()
    # the adopter and its parent: present through the plant's smart factory, never a target
    assert it["he.factory.qi"].status == "sound" and it["he.factory.qi"].local_count == 1
    assert it["he.factory"].status == "sound" and it["he.factory"].local_enterprises == [
        {"id": "ent.plant", "name": "甲汽车工厂"}
    ]  # the sub-segment's adopter counts for the parent
    assert it["he.factory.qi"].rationale == (
        "健全：汽车智能工厂为应用环节，本地1家企业已应用（甲汽车工厂），计为其供给与支撑环节的本地需求，不作为招商对象"
    )
    # its suppliers (supplies) and enablers (enables) get the adopter as local demand: fill
    for s in ("he.sensor", "he.mes"):
        assert it[s].status == "fill" and it[s].demand_count == 1, s
    assert it["he.sensor"].demand_segments == ["he.factory"] and it["he.mes"].demand_segments == ["he.factory.qi"]
    # without adopters: the adopters are 暂不布局, the suppliers lose their demand
    bare = items(data=make_data([e for e in ENTERPRISES if e.id != "ent.plant"]))
    assert bare["he.factory"].status == "not_priority" and bare["he.factory.qi"].status == "not_priority"
    assert "不作为招商对象" in bare["he.factory"].rationale
    assert bare["he.mes"].status == "not_priority" and bare["he.mes"].demand_count == 0
    # an adopter is no local neighbour: the car is not "adjacent to a local smart factory"
    assert "he.factory.qi" not in it["qi.car"].adjacent_segments


def test_service_fills_only_on_local_demand() -> None:
    after = items()["qi.after"]
    # critical (0.6 >= 0.5): a product would be a fill; a service without local clients is not,
    # it extends from the local car maker instead
    assert after.kind == "service" and after.status == "extend" and after.demand_count == 0
    firms = [*ENTERPRISES, ent("ent.fleet", "甲车队", [{"segment": "qi.after", "role": "user"}], county="a")]
    after = items(data=make_data(firms))["qi.after"]
    assert after.status == "fill" and "服务环节，依本地需求布局" in after.rationale


# ---------------------------------------------------------------- policies


def test_restricted_segment_is_unsuitable_with_the_policy_quoted() -> None:
    steel = items()["cai.steel"]
    assert steel.status == "unsuitable" and steel.priority == 0 and steel.local_count == 1
    assert [p["id"] for p in steel.policies] == ["p.steel"]
    assert steel.rationale == (
        "不适宜：炼钢受政策限制，不作为招商对象：《空气质量计划》晋政发〔2021〕1号（http://example.org/steel）："
        "“不再新布局钢铁项目”，本地现有1家企业（甲钢铁），不新增产能的技术改造不在此列"
    )
    # absent and restricted: still unsuitable, never fill although its demand would make it one
    alloy_ban = RESTRICT_STEEL.model_copy(update={"id": "p.ban", "kind": PolicyKind.banned, "segments": ["cai.alloy"]})
    alloy = items(data=make_data(policies=[alloy_ban]))["cai.alloy"]
    assert alloy.status == "unsuitable" and alloy.demand_count == 1


def test_encouraged_policy_is_a_reason_and_a_priority_term() -> None:
    with_policy = items()["cai.alloy"]
    without = items(data=make_data(policies=[RESTRICT_STEEL]))["cai.alloy"]
    assert with_policy.status == without.status == "fill"  # the local car maker needs it
    assert without.priority > 0 and "policy" not in without.components
    assert with_policy.priority == round(without.priority * (1 + gp.ENCOURAGED_BOOST), 4)
    assert with_policy.components["policy"] == gp.ENCOURAGED_BOOST
    assert with_policy.rationale.endswith("政策鼓励：《重点产业链》（http://example.org/chains）")
    # an encouragement never makes a non-target a target
    chains_policy = ENCOURAGE_ALLOY.model_copy(update={"segments": [], "chains": ["qi"]})
    assert items(data=make_data(policies=[chains_policy]))["qi.domain"].status == "not_priority"


CONDITION_STEEL = Policy(
    id="p.cond", kind="conditional", title="空气质量计划", source="http://example.org/steel",
    quote="设区市城市规划区、县城规划区不再新布局钢铁项目", segments=["cai.steel"], regions=["yc"],
    condition="仅限城市及县城规划区外", condition_en="outside city and county planning areas only",
    confidence="medium",
)  # fmt: skip


def test_conditional_policy_keeps_the_status_lowers_the_priority_and_states_the_condition() -> None:
    # cai.steel has one local firm (甲钢铁); made critical it is a strengthen gap without a policy
    crit = {**CRIT_SCORES, "cai.steel": {"score": 0.9, "dominated": 0.0}}
    plain = gp.analyze_gaps(make_data(policies=[]), region="yc", criticality_scores=crit)
    cond = gp.analyze_gaps(make_data(policies=[CONDITION_STEEL]), region="yc", criticality_scores=crit)
    before = {i.segment_id: i for i in plain.items}["cai.steel"]
    after = {i.segment_id: i for i in cond.items}["cai.steel"]
    assert before.status == after.status == "strengthen"  # not unsuitable: the limit is conditional
    assert after.priority == round(before.priority * (1 - gp.CONDITIONAL_PENALTY), 4) and after.priority > 0
    assert after.components["policy_condition"] == gp.CONDITIONAL_PENALTY == 0.25
    assert [(p["id"], p["kind"], p["condition"]) for p in after.policies] == [
        ("p.cond", "conditional", "仅限城市及县城规划区外")
    ]
    assert after.rationale.endswith("政策条件：仅限城市及县城规划区外（《空气质量计划》（http://example.org/steel））")
    en = gp.analyze_gaps(make_data(policies=[CONDITION_STEEL]), region="yc", criticality_scores=crit, lang="en")
    steel_en = {i.segment_id: i for i in en.items}["cai.steel"]
    assert "policy condition: outside city and county planning areas only" in steel_en.rationale
    # a hard restriction of the same segment wins: unsuitable, no condition stated
    both = items(data=make_data(policies=[CONDITION_STEEL, RESTRICT_STEEL]))["cai.steel"]
    assert both.status == "unsuitable" and [p["id"] for p in both.policies] == ["p.steel"]
    assert "政策条件" not in both.rationale


def test_conditional_policy_needs_a_condition_and_only_it_may_have_one() -> None:
    with pytest.raises(ValueError, match="a conditional policy needs a condition"):
        CONDITION_STEEL.model_validate({**CONDITION_STEEL.model_dump(), "condition": ""})
    with pytest.raises(ValueError, match="condition is for kind conditional only, not restricted"):
        Policy.model_validate({**RESTRICT_STEEL.model_dump(), "condition": "规划区外"})
    assert PolicyKind.conditional.limits is False and PolicyKind.restricted.limits is True


def test_policy_covers_its_regions_and_the_regions_inside_them() -> None:
    county_a = RESTRICT_STEEL.model_copy(update={"id": "p.a", "segments": ["qi.cell"], "regions": ["a"]})
    data = make_data(policies=[county_a])
    assert items("a", data)["qi.cell"].status == "unsuitable"
    assert items("z", data)["qi.cell"].status == "unsuitable"  # the zone lies in county a
    assert items("yc", data)["qi.cell"].status == "fill"  # the city is not inside county a
    assert items("b", data)["qi.cell"].status != "unsuitable"


# ---------------------------------------------------------------- statuses


def test_statuses_for_the_city_and_no_empty_segment_is_sound() -> None:
    assert {s: i.status for s, i in items().items()} == {
        "he.sensor": "fill",  # a local adopter's supplier
        "he.mes": "fill",  # a local adopter's enabler
        "he.factory": "sound",  # adopter with a local adopter
        "he.factory.qi": "sound",
        "qi.ore": "unsuitable",  # endowment
        "qi.cell": "fill",  # the car maker needs it
        "qi.chip": "fill",  # critical: the city is the planning level, no county-fit test
        "qi.domain": "not_priority",  # absent, no need, no neighbour
        "qi.car": "sound",  # one firm, not critical
        "qi.after": "extend",  # a service without local clients, next to the car maker
        "cai.steel": "unsuitable",  # restricted
        "cai.alloy": "fill",  # encouraged, needed by the car maker
    }
    for region in ("yc", "a", "b", "z"):
        for i in items(region).values():
            if i.status == "sound":
                assert i.local_count > 0, (region, i.segment_id)


def test_every_status_has_a_label_and_the_summary_counts_all_seven() -> None:
    rep = gp.analyze_gaps(make_data(), region="yc", criticality_scores=CRIT_SCORES)
    assert set(gp.STATUSES) == set(GAP_STATUS) and gp.TARGET_STATUSES == GAP_TARGET_STATUSES
    assert rep.summary["qi"] == {"fill": 2, "strengthen": 0, "extend": 1, "sound": 1, "not_priority": 1,
                                 "unsuitable": 1, "unverified": 0, "total": 6}  # fmt: skip
    for key in ("method.kinds", "method.statuses", "method.policies", "method.county_fit", "method.absence"):
        text = rep.parameters[key]
        assert isinstance(text, str) and " / " in text  # Chinese first, then English
    assert rep.parameters["encouraged_boost"] == gp.ENCOURAGED_BOOST


def test_unverified_when_the_absence_is_not_confirmed() -> None:
    it = items(absence_confirmed=lambda region, segment: segment != "qi.cell")
    cell = it["qi.cell"]
    assert cell.status == "unverified" and cell.priority == 0 and cell.absence_confirmed is False
    assert cell.rationale.startswith("待核实：本地名录未收录电芯企业，但该地区名录不完整，缺失未经确认；若确认缺失则为补链（")
    assert it["qi.domain"].absence_confirmed is True and it["qi.car"].absence_confirmed is None  # present
    assert gp.seed_absence_confirmed("yc", "qi.cell") is True


# ---------------------------------------------------------------- county fit


def test_critical_segment_in_a_county_needs_demand_inputs_or_an_adjacent_strength() -> None:
    a = items("a")
    chip = a["qi.chip"]  # a chokepoint (0.8) with no local demand, input or neighbour in county a
    assert chip.status == "not_priority" and chip.fit == []
    assert chip.rationale == (
        "暂不布局：芯片本地无企业（据现有名录），关键度0.80，属卡脖子环节，虽为产业链关键环节，但本地无需求、"
        "无本地上游投入、无相邻本地优势环节，不宜作为县域招商重点（宜由市级或省级统筹布局）"
    )
    cell = a["qi.cell"]  # critical (0.7) with the county's car maker downstream: demand and adjacency
    assert cell.status == "fill" and cell.fit == ["demand", "adjacent"]
    assert "县域适配：有本地需求、与本地优势环节相邻" in cell.rationale
    # local inputs alone are enough: a local domain controller's... supplier is the chip
    firms = [*ENTERPRISES, ent("ent.dom", "甲域控", [{"segment": "qi.domain"}], county="a")]
    chip = items("a", make_data(firms))["qi.chip"]
    assert chip.status == "fill" and chip.fit == ["demand", "adjacent"]
    firms = [*ENTERPRISES, ent("ent.ore", "甲矿", [{"segment": "qi.ore"}], county="b")]
    cell_b = items("b", make_data(firms))["qi.cell"]  # only a local input (the mine) in county b
    assert cell_b.status == "fill" and cell_b.fit == ["inputs", "adjacent"]
    # the city has no county fit: fit stays empty there
    assert items()["qi.chip"].fit == [] and items()["qi.chip"].status == "fill"
    # the zone is tested like a county
    assert items("z")["qi.chip"].status == "not_priority"


def test_county_without_firms_has_no_target() -> None:
    assert {i.status for i in items("b").values()} <= {"not_priority", "unsuitable"}


# ---------------------------------------------------------------- the shipped seed, end to end


def test_shipped_seed_statuses_print_the_figures(capsys: pytest.CaptureFixture[str]) -> None:
    from chainmap.seed import load_seed

    data = load_seed()
    endowments = {s.id for s in data.segments if s.kind == "endowment"}
    adopters = {s.id for s in data.segments if s.kind == "adopter"}
    restricted = {s for p in data.policies if p.kind.limits for s in p.segments}
    assert endowments and adopters and restricted
    lines = []
    for region in ("yuncheng", "jiangxian"):
        rep = gp.analyze_gaps(data, region=region)
        empty_sound = [i.segment_id for i in rep.items if i.status == "sound" and not i.local_enterprises]
        endow_target = [i.segment_id for i in rep.items if i.segment_id in endowments and i.status in ("fill", "extend")]
        adopter_target = [i.segment_id for i in rep.items if i.segment_id in adopters and i.status in GAP_TARGET_STATUSES]
        restr_target = [i.segment_id for i in rep.items if i.segment_id in restricted and i.status in GAP_TARGET_STATUSES]
        lines.append(
            f"{region}: empty segments labelled 健全 {len(empty_sound)}; endowments as 补链/延链 {len(endow_target)}; "
            f"adopters as targets {len(adopter_target)}; restricted segments as 补链/延链/强链 {len(restr_target)}"
        )
        for c in rep.chains:
            counts = {s: n for s, n in rep.summary[c].items() if n and s != "total"}
            lines.append(f"  {c}: {counts} (total {rep.summary[c]['total']})")
        assert empty_sound == [] and endow_target == [] and adopter_target == [] and restr_target == []
        assert all(i.status == "unsuitable" for i in rep.items if i.segment_id in endowments | restricted)
        if region == "jiangxian":  # no local firm: nothing is a target, chokepoints included
            assert Counter(i.status for i in rep.items).keys() <= {"not_priority", "unsuitable"}
    with capsys.disabled():
        print("\n" + "\n".join(lines))


def test_a_minor_input_makes_no_local_demand_on_the_shipped_seed() -> None:
    """A ``supplies`` link below MIN_INPUT_WEIGHT (copper as an alloying element of aluminium) does
    not make the target's local firms a demand for the source: 中铝's alloy ingots do not 'need'
    cathode copper.  Checked for every minor-input link of the seed, with a material one beside it."""
    from chainmap.models import is_minor_input
    from chainmap.seed import load_seed

    data = load_seed()
    minor = {(ln.source, ln.target) for ln in data.links if ln.kind == "supplies" and is_minor_input(ln.weight)}
    assert ("cai.cu.cathode", "cai.al.alloy") in minor
    rep = gp.analyze_gaps(data, region="yuncheng")
    by_id = {i.segment_id: i for i in rep.items}
    for src, tgt in sorted(minor):
        assert tgt not in by_id[src].demand_segments, f"{src} counts {tgt} as demand through a minor input"
    # a material input still does: cathode copper is needed by the local copper-strip firm
    assert by_id["cai.cu.cathode"].demand_segments and "铝合金锭" not in by_id["cai.cu.cathode"].rationale
