"""The lead rules (matching/lead_rules.py) on hand-made data, and the figures on the shipped seed.

Hand-made chain (汽):

    qi.separator --> qi.cell --> qi.pack          (qi.pack: local 链主 运城电池包, group 本地集团)
    qi.electrolyte --^                            qi.motor (unconnected)
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from chainmap.data import ChainData
from chainmap.models import Chain, Enterprise, Link, Region, Segment
from matching.candidates import read_candidates
from matching.features import FEATURE_NAMES, build_candidate_matrix, build_segment_context, gap_specs
from matching.lead_rules import LEAD_STATUSES, group_key
from matching.ranking import rank_leads, rank_list
from matching.risk import parse_risk_cell, split_risks
from matching.scoring import load_config

ALL_STATUSES = ("fill", "strengthen", "extend", "sound", "not_priority", "unsuitable", "unverified")


def _seg(i: str, zh: str, kw: list[str]) -> Segment:
    return Segment(id=i, chain="qi", name_zh=zh, name_en=i.split(".")[1], stage="midstream", keywords_zh=kw)


@pytest.fixture
def data() -> ChainData:
    segs = [
        _seg("qi.separator", "隔膜", ["湿法隔膜"]),
        _seg("qi.electrolyte", "电解液", ["六氟磷酸锂"]),
        _seg("qi.cell", "电芯", ["动力电池"]),
        _seg("qi.pack", "电池包", ["电池模组"]),
        _seg("qi.motor", "驱动电机", ["永磁同步电机"]),
    ]
    links = [
        Link(source="qi.separator", target="qi.cell"),
        Link(source="qi.electrolyte", target="qi.cell"),
        Link(source="qi.cell", target="qi.pack"),
    ]
    ents = [
        Enterprise(id="ent.pack", name="运城电池包有限公司", group="本地集团", segments=[{"segment": "qi.pack"}],
                   tags=["chain_leader"], county="yanhu"),
    ]  # fmt: skip
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


def _gaps(**status: str) -> list[dict]:
    prio = {"qi.separator": 0.9, "qi.electrolyte": 0.5, "qi.cell": 0.6, "qi.pack": 0.3, "qi.motor": 0.2}
    return [
        {"chain_id": "qi", "segment_id": s, "segment_name": s, "status": status.get(s.split(".")[1], "fill"),
         "priority": p}
        for s, p in prio.items()
    ]  # fmt: skip


def _rec(name: str, segs: list[str] | None = None, **kw) -> dict:
    r = {"id": "cand." + name, "name": name, "segments": segs or [], "mapped_segments": [], "tags": [],
         "risk_flags": [], "attributes": {}}  # fmt: skip
    r.update(kw)
    return r


def _leads(data, gaps, pool, **kw):
    return {(ld.name, ld.gap_segment_id): ld for ld in rank_leads(data, gaps, pool, k=100, **kw).items}


# ---------------------------------------------------------------------------
# rule 1: the status allow-list
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_only_fill_strengthen_extend_gaps_get_leads(data, status):
    pool = [_rec("隔膜甲", ["qi.separator"])]
    got = _leads(data, _gaps(separator=status), pool)
    assert (("隔膜甲", "qi.separator") in got) is (status in LEAD_STATUSES)
    assert LEAD_STATUSES == {"fill", "strengthen", "extend"}


def test_gap_specs_is_an_allow_list(data):
    ctx = build_segment_context(data)
    items = [{"segment_id": "qi.separator", "status": s} for s in (*ALL_STATUSES, "some_new_status")]
    assert sorted(g.status for g in gap_specs(ctx, items)) == ["extend", "fill", "strengthen"]


# ---------------------------------------------------------------------------
# rule 2: role-aware fit
# ---------------------------------------------------------------------------


def test_buyer_is_never_a_lead_and_supplier_only_for_strengthen(data):
    pool = [_rec("电芯厂", ["qi.cell"]), _rec("电解液厂", ["qi.electrolyte"])]
    # the cell maker buys separators: no lead for the separator gap
    assert rank_leads(data, _gaps(cell="fill"), pool, gap="qi.separator").items == []
    # a supplier of cells' inputs does not fill qi.cell ...
    fill = _leads(data, _gaps(cell="fill"), pool, gap="qi.cell")
    assert set(fill) == {("电芯厂", "qi.cell")} and fill[("电芯厂", "qi.cell")].relation == "producer"
    # ... but strengthens it
    strong = _leads(data, _gaps(cell="strengthen"), pool, gap="qi.cell")
    sup = strong[("电解液厂", "qi.cell")]
    assert sup.relation == "supplier" and sup.contributions["fit_supplies"] == pytest.approx(0.08)
    assert sup.reason.startswith("强链：本地qi.cell环节薄弱；该企业生产电解液，是qi.cell的直接上游")


def test_unsuitable_segment_is_no_supplier(data):
    pool = [_rec("电解液厂", ["qi.electrolyte"])]
    assert ("电解液厂", "qi.cell") in _leads(data, _gaps(cell="strengthen"), pool)
    assert _leads(data, _gaps(cell="strengthen", electrolyte="unsuitable"), pool) == {}


def test_product_text_role_user_and_customer_are_not_produced(data):
    csv = "name,main_products\n买隔膜厂,采购湿法隔膜\n电机厂,用于动力电池的永磁同步电机\n".encode()
    recs = {r["name"]: r for r in read_candidates(csv, filename="c.csv", data=data).candidates}
    assert recs["买隔膜厂"]["mapped_segments"][0]["role"] == "user"
    roles = {m["segment"]: m.get("role", "producer") for m in recs["电机厂"]["mapped_segments"]}
    assert roles == {"qi.motor": "producer", "qi.cell": "customer"}
    got = _leads(data, _gaps(), list(recs.values()))
    assert set(got) == {("电机厂", "qi.motor")}


# ---------------------------------------------------------------------------
# rule 3: rivals of a local 链主 / 链核, 链主配套
# ---------------------------------------------------------------------------


def test_rivals_left_out_by_default_and_listed_last_on_request(data):
    pool = [_rec("外地电池包", ["qi.pack"], tags=["global500"]), _rec("电芯厂", ["qi.cell"])]
    gaps = _gaps(pack="strengthen")
    page = rank_leads(data, gaps, pool, k=10, gap="qi.pack")
    assert [ld.name for ld in page.items] == ["电芯厂"] and page.rivals_left_out == 1
    sup = page.items[0]
    assert sup.relation == "supplier" and "leader_supplier" in sup.flags
    assert sup.contributions["fit_leader_input"] == pytest.approx(0.05)
    assert "链主配套：可为本地链主运城电池包有限公司配套" in sup.reason
    page = rank_leads(data, gaps, pool, k=10, gap="qi.pack", include_rivals=True)
    assert [ld.name for ld in page.items] == ["电芯厂", "外地电池包"]  # the rival scores higher, listed after
    rival = page.items[1]
    assert rival.flags == ["rival"] and rival.rivals == ["运城电池包有限公司"]
    assert rival.flag_labels == ["同业竞争（需链主意见）"] and "需链主意见" in rival.reason
    assert rival.score > sup.score


def test_same_group_as_the_chain_leader_is_no_rival_but_an_existing_investor(data):
    pool = [_rec("本地集团股份有限公司", ["qi.pack"]), _rec("另一家", ["qi.separator"], group="本地集团有限公司")]
    got = _leads(data, _gaps(pack="strengthen"), pool)
    own = got[("本地集团股份有限公司", "qi.pack")]
    assert own.flags == ["existing_group"] and own.investor == "existing"
    assert own.local_affiliates == ["运城电池包有限公司"]
    assert "增资扩产：集团已在运城设有运城电池包有限公司" in own.reason
    other = got[("另一家", "qi.separator")]  # matched through its group column
    assert other.investor == "existing" and other.local_affiliates == ["运城电池包有限公司"]


def _with(data, *, links=(), enterprises=()):
    """The fixture with extra links and local enterprises."""
    return ChainData(chains=data.chains, regions=data.regions, segments=data.segments,
                     links=[*data.links, *links], enterprises=[*data.enterprises, *enterprises])  # fmt: skip


def test_minor_input_makes_no_leader_supplier_and_no_strengthen_supplier(data):
    # qi.motor -> qi.pack (the 链主's segment): material when no weight is stated, minor below 0.1
    pool = [_rec("电机厂", ["qi.motor"])]
    material = _with(data, links=[Link(source="qi.motor", target="qi.pack")])
    minor = _with(data, links=[Link(source="qi.motor", target="qi.pack", weight=0.06)])
    gaps = _gaps(pack="strengthen")
    motor = _leads(material, gaps, pool, gap="qi.motor")[("电机厂", "qi.motor")]
    assert motor.flags == ["leader_supplier"] and "链主配套：可为本地链主运城电池包有限公司配套" in motor.reason
    assert _leads(material, gaps, pool, gap="qi.pack")[("电机厂", "qi.pack")].relation == "supplier"
    motor = _leads(minor, gaps, pool, gap="qi.motor")[("电机厂", "qi.motor")]
    assert motor.flags == [] and "fit_leader_input" not in motor.contributions and "链主配套" not in motor.reason
    assert _leads(minor, gaps, pool, gap="qi.pack") == {}  # no 强链 supplier of qi.pack through a minor input
    ctx = build_segment_context(minor)
    m, p = ctx.index["qi.motor"], ctx.index["qi.pack"]
    assert ctx.A[m, p] == 1 and ctx.inputs[m, p] == 0  # still a link (relatedness), not a material input


def test_same_segment_producer_of_a_major_local_firm_is_a_peer_unless_capacity_is_short(data):
    # 甲电芯 (listed, not a 链主) makes qi.cell locally; qi.cell is a 强链 gap (a single firm)
    local = Enterprise(id="ent.cell", name="甲电芯股份有限公司", segments=[{"segment": "qi.cell"}],
                       tags=["listed"], county="yanhu")  # fmt: skip
    d = _with(data, enterprises=[local])
    pool = [_rec("外地电芯", ["qi.cell"], tags=["global500"]), _rec("电解液厂", ["qi.electrolyte"])]
    single = [{**g, "components": {"weak_single": 0.6}} if g["segment_id"] == "qi.cell" else g
              for g in _gaps(cell="strengthen")]  # fmt: skip
    page = rank_leads(d, single, pool, k=10, gap="qi.cell")
    assert [ld.name for ld in page.items] == ["电解液厂"] and page.rivals_left_out == 1
    page = rank_leads(d, single, pool, k=10, gap="qi.cell", include_rivals=True)
    assert [ld.name for ld in page.items] == ["电解液厂", "外地电芯"]  # the peer scores higher, listed after
    peer = page.items[1]
    assert peer.flags == ["peer", "leader_supplier"] and peer.rivals == ["甲电芯股份有限公司"]
    assert peer.flag_labels == ["同业（需征求本地企业意见）", "链主配套"]  # cells feed the 链主's packs
    assert "同业：与本地甲电芯股份有限公司同产qi.cell，本地该环节并非产能不足，引进同业需征求本地企业意见" in peer.reason
    assert peer.score > page.items[0].score
    # weak in capacity (local capacity below local demand): a second producer meets real demand
    short = [{**g, "components": {"weak_capacity": 0.4}} if g["segment_id"] == "qi.cell" else g
             for g in _gaps(cell="strengthen")]  # fmt: skip
    page = rank_leads(d, short, pool, k=10, gap="qi.cell")
    assert [ld.name for ld in page.items] == ["外地电芯", "电解液厂"] and page.rivals_left_out == 0
    assert page.items[0].flags == ["leader_supplier"]
    # a firm of no listed tag is no major firm: its same-segment producers are no peers
    plain = _with(data, enterprises=[local.model_copy(update={"tags": []})])
    assert [ld.name for ld in rank_leads(plain, single, pool, k=10, gap="qi.cell").items] == ["外地电芯", "电解液厂"]


def test_supplier_only_through_an_input_a_major_local_firm_makes_is_a_peer(data):
    # 强链 qi.pack: 外地电芯 would supply cells, which the listed local 甲电芯 already makes -> peer;
    # 电机厂 supplies motors (no local maker) -> complementary
    local = Enterprise(id="ent.cell", name="甲电芯股份有限公司", segments=[{"segment": "qi.cell"}],
                       tags=["listed"], county="yanhu")  # fmt: skip
    d = _with(data, links=[Link(source="qi.motor", target="qi.pack")], enterprises=[local])
    pool = [_rec("外地电芯", ["qi.cell"], tags=["global500"]), _rec("电机厂", ["qi.motor"])]
    page = rank_leads(d, _gaps(pack="strengthen"), pool, k=10, gap="qi.pack")
    assert [ld.name for ld in page.items] == ["电机厂"] and page.rivals_left_out == 1
    page = rank_leads(d, _gaps(pack="strengthen"), pool, k=10, gap="qi.pack", include_rivals=True)
    assert [ld.name for ld in page.items] == ["电机厂", "外地电芯"]
    peer = page.items[1]
    assert peer.relation == "supplier" and peer.flags == ["peer", "leader_supplier"]
    assert peer.rivals == ["甲电芯股份有限公司"]
    assert "同业：所供电芯本地甲电芯股份有限公司已生产，引进同业需征求本地企业意见" in peer.reason
    # without the local cell maker the same firm is an ordinary supplier
    page = rank_leads(_with(data, links=[Link(source="qi.motor", target="qi.pack")]), _gaps(pack="strengthen"),
                      pool, k=10, gap="qi.pack")  # fmt: skip
    assert {ld.name for ld in page.items} == {"外地电芯", "电机厂"} and page.rivals_left_out == 0


def test_own_group_is_no_leader_supplier(data):
    pool = [_rec("本地集团股份有限公司", ["qi.cell"]), _rec("电芯厂", ["qi.cell"])]
    got = _leads(data, _gaps(pack="strengthen"), pool, gap="qi.pack")
    own, other = got[("本地集团股份有限公司", "qi.pack")], got[("电芯厂", "qi.pack")]
    assert own.flags == ["existing_group"] and "fit_leader_input" not in own.contributions
    assert "链主配套" not in own.reason and "增资扩产：集团已在运城设有运城电池包有限公司" in own.reason
    assert other.flags == ["leader_supplier"] and other.contributions["fit_leader_input"] == pytest.approx(0.05)


def test_conditional_policy_flags_every_lead_of_the_gap(data):
    cond = {"id": "p.c", "kind": "conditional", "title": "示例计划", "document": "", "source": "s", "quote": "q",
            "confidence": "medium", "condition": "仅限规划区外", "condition_en": "outside planning areas only"}
    gaps = [{**g, "policies": [cond]} if g["segment_id"] == "qi.separator" else g for g in _gaps()]
    pool = [_rec("隔膜甲", ["qi.separator"]), _rec("电机厂", ["qi.motor"])]
    got = _leads(data, gaps, pool)
    sep, motor = got[("隔膜甲", "qi.separator")], got[("电机厂", "qi.motor")]
    assert sep.flags == ["policy_condition"] and sep.flag_labels == ["政策条件"]
    assert sep.reason.endswith("；政策条件：仅限规划区外（《示例计划》）")
    assert motor.flags == [] and "政策条件" not in motor.reason
    en = rank_leads(data, gaps, pool, k=10, gap="qi.separator", lang="en").items[0]
    assert en.reason.endswith("; policy condition: outside planning areas only (\"示例计划\")")
    # a firm that also makes the conditional segment carries its condition on its other leads
    both = rank_leads(data, gaps, [_rec("两用厂", ["qi.motor", "qi.separator"])], k=10, gap="qi.motor").items[0]
    assert both.flags == ["policy_condition"]
    assert both.reason.endswith("；政策条件：仅限规划区外（《示例计划》）（该企业的隔膜业务）")


def test_pending_assignments_are_said_in_a_provisional_reason(data):
    gaps = [{"chain_id": "qi", "segment_id": "qi.separator", "segment_name": "隔膜", "status": "unverified",
             "would_be": "fill", "priority": 0.0, "provisional_priority": 0.8, "absence_basis": basis}
            for basis in ("pending",)]  # fmt: skip
    ld = rank_leads(data, gaps, [_rec("隔膜甲", ["qi.separator"])], k=5).items[0]
    assert ld.reason.startswith("待核实：本地已有隔膜企业归属待审核，审核确认前不作为缺口；若审核后本地确无企业则为补链；")
    gaps[0]["absence_basis"] = "no_register"
    ld = rank_leads(data, gaps, [_rec("隔膜甲", ["qi.separator"])], k=5).items[0]
    assert ld.reason.startswith("待核实：本地企业名录未覆盖隔膜，若核实本地确无企业则为补链；")


def test_an_activity_segment_is_worked_in_not_made(data):
    """A product segment named by an activity (回收利用, 运营 …) reads 该企业从事…, not 生产."""
    data.segments.append(_seg("qi.recycle", "动力电池回收利用", ["电池回收"]))
    gaps = [{"chain_id": "qi", "segment_id": s, "segment_name": n, "status": "fill", "priority": 0.5}
            for s, n in (("qi.recycle", "动力电池回收利用"), ("qi.separator", "隔膜"))]  # fmt: skip
    leads = {ld.gap_segment_id: ld for ld in rank_leads(
        data, gaps, [_rec("回收甲", ["qi.recycle"]), _rec("隔膜甲", ["qi.separator"])], k=5).items}  # fmt: skip
    assert "该企业从事动力电池回收利用" in leads["qi.recycle"].reason
    assert "该企业生产隔膜" in leads["qi.separator"].reason


def test_group_key_rule():
    assert group_key("中国铝业集团有限公司") == group_key("中国铝业（集团）有限公司") == "中国铝业"
    assert group_key(None) == group_key("  ") == ""


# ---------------------------------------------------------------------------
# order: gaps first, diversity re-ranks
# ---------------------------------------------------------------------------


def test_gap_priority_leads_the_overall_order(data):
    pool = [
        _rec("弱隔膜", ["qi.separator"]),  # gap priority 0.9, no other merit
        _rec("强电机", ["qi.motor"], tags=["global500", "china500", "listed"], revenue_cny_100m=5000.0,
             expansions_3y=5, hq_province="江苏", hq_city="苏州"),  # gap priority 0.2
    ]  # fmt: skip
    page = rank_leads(data, _gaps(), pool, k=10)
    assert [ld.name for ld in page.items] == ["弱隔膜", "强电机"]
    assert page.items[0].score > page.items[1].score


def test_diversity_reranks_and_never_hides(data):
    pool = [_rec(f"深圳{i}", ["qi.separator"], hq_province="广东", hq_city="深圳", expansions_3y=5 - i)
            for i in range(5)] + [_rec("上海0", ["qi.separator"], hq_province="上海", hq_city="上海")]  # fmt: skip
    page = rank_leads(data, _gaps(), pool, k=3, gap="qi.separator")
    assert page.total == 6
    every = [ld for p in (1, 2) for ld in rank_leads(data, _gaps(), pool, k=3, page=p, gap="qi.separator").items]
    assert [ld.name for ld in every] == ["深圳0", "深圳1", "深圳2", "上海0", "深圳3", "深圳4"]
    assert [ld.round for ld in every] == [1, 1, 1, 1, 2, 2]


def test_every_fitted_gap_reaches_the_first_page_of_its_chain(data):
    pool = [_rec(f"隔膜{i}", ["qi.separator"], expansions_3y=5) for i in range(8)] + [_rec("电机", ["qi.motor"])]
    page = rank_leads(data, _gaps(), pool, k=3, chain="qi")
    assert {ld.gap_segment_id for ld in page.items} == {"qi.separator", "qi.motor"}
    assert page.items[1].gap_segment_id == "qi.motor" and page.items[1].round == 1


# ---------------------------------------------------------------------------
# risk notes
# ---------------------------------------------------------------------------


def test_risk_notes_accepted_mapped_shown_and_only_exclusions_exclude(data):
    assert parse_risk_cell("失信被执行人；债务违约") == ["dishonest", "债务违约"]
    assert split_risks(parse_risk_cell("破产重整;被执行人;环境行政处罚")) == (["env_penalty"], ["破产重整", "被执行人"])
    csv = "name,segments,risk_flags\n甲,qi.separator,失信被执行人；债务违约\n乙,qi.separator,破产重整\n丙,qi.separator,无\n"
    res = read_candidates(csv.encode(), filename="r.csv", data=data)
    assert res.rows_refused == 0 and [c["risk_flags"] for c in res.candidates] == [["dishonest", "债务违约"], ["破产重整"], []]
    got = _leads(data, _gaps(), res.candidates)
    assert ("甲", "qi.separator") not in got  # dishonest excludes
    yi = got[("乙", "qi.separator")]
    assert yi.risk_notes == ["破产重整"] and yi.flags == ["risk_note"]
    assert yi.contributions["risk_penalty"] == pytest.approx(-0.10)
    assert yi.reason.endswith("（注意：有1项风险记录，含风险提示：破产重整）")
    assert got[("丙", "qi.separator")].risk_notes == []


# ---------------------------------------------------------------------------
# the shipped seed with the demo pool
# ---------------------------------------------------------------------------


def test_seed_figures():
    from chainmap.seed import load_seed
    from chainmap.service import gap_report
    from matching.candidates import load_demo_candidates

    seed = load_seed()
    items = list(gap_report(data=seed).items)
    ctx = build_segment_context(seed)
    cm = build_candidate_matrix(load_demo_candidates(seed).candidates, ctx)
    exact, sup = FEATURE_NAMES.index("fit_exact"), FEATURE_NAMES.index("fit_supplies")

    ranked = rank_list(seed, items, cm, context=ctx)
    leads = [ranked.lead(i) for i in range(ranked.total)]
    status = {g.segment_id: str(getattr(g.status, "value", g.status)) for g in items}

    # restricted / unsuitable segments: none get leads; simulate the policy statuses on the steel segments
    steel = {s for s in status if s.startswith("cai.steel.")}
    restricted = [g.model_copy(update={"status": "unsuitable"}) if g.segment_id in steel else g for g in items]
    r2 = rank_list(seed, restricted, cm, context=ctx)
    r2_leads = [r2.lead(i) for i in range(r2.total)]
    # a target gap, or an unverified one (待核实) that would be a target: its leads say "先核实"
    target = {
        g.segment_id: status[g.segment_id] in LEAD_STATUSES
        or (status[g.segment_id] == "unverified" and str(getattr(g.would_be, "value", g.would_be)) in LEAD_STATUSES)
        for g in items
    }
    n_restricted = sum(ld.gap_segment_id in steel or not target[ld.gap_segment_id] for ld in r2_leads)
    n_bad_status = sum(not target[ld.gap_segment_id] for ld in leads)
    provisional = [ld for ld in leads if ld.gap_status == "unverified"]
    assert all("unverified_gap" in ld.flags and ld.reason.startswith("待核实") for ld in provisional)
    assert all(status[ld.gap_segment_id] == "unverified" for ld in provisional)
    steel_suppliers = sum(
        1 for i in range(r2.total) if r2.X[i, exact] == 0 and any(
            ctx.segment_ids[s] in steel and ctx.A[s, r2.gaps[i].col] for s in cm.M[r2.rows[i]].indices)
    )  # fmt: skip

    # rivals above complementary leads, per gap list (default, and with include_rivals)
    rivals_above = 0
    for g in {ld.gap_segment_id for ld in leads}:
        for inc in (False, True):
            p = rank_list(seed, items, cm, gap=g, context=ctx, include_rivals=inc)
            flags = [bool(p.rival[i]) for i in range(p.total)]
            rivals_above += sum(1 for i, f in enumerate(flags) if f and not all(flags[i:]))
            if not inc:
                rivals_above += sum(flags)

    # existing groups offered as new investors; buyers offered for a segment they only buy
    keys = [k for k in ctx.local_groups if len(k) >= 2]
    as_new = sum(1 for ld in leads if ld.investor == "new" and any(k in group_key(ld.name) for k in keys))
    existing = sorted(ld.name for ld in leads if ld.investor == "existing")
    buyers = sum(
        1 for i in range(ranked.total)
        if ranked.X[i, exact] == 0 and not (ranked.gaps[i].status == "strengthen" and ranked.X[i, sup] > 0)
    )  # fmt: skip
    # qi.separator is sound since criticality is per chain (#18); keep it a strengthen gap for this check
    sep_items = [g.model_copy(update={"status": "strengthen"}) if g.segment_id == "qi.separator" else g for g in items]
    sep = {ld.name for ld in rank_list(seed, sep_items, cm, gap="qi.separator", context=ctx).page(k=10).items}
    rho = float(spearmanr([ld.score for ld in leads], [ld.gap_priority for ld in leads])[0])
    gp = FEATURE_NAMES.index("gap_priority")
    share = float(ranked.contrib[:50, gp].sum() / ranked.score[:50].sum())

    # 链主配套 only through material inputs; peers (同业) of major local producers not in the default list;
    # every lead of a gap under a conditional policy carries the condition
    from matching.lead_rules import policy_conditions

    minor_leader = 0
    for ld, i in zip(leads, range(ranked.total), strict=True):
        if "leader_supplier" in ld.flags:
            row, col = int(ranked.rows[i]), ranked.gaps[i].col
            via = [s for s in cm.M[row].indices if ctx.down[s, col] or ctx.inputs[s, col]]
            fed = [t for s in via for t in ctx.inputs[s].indices if ctx.leaders_fed.get(s)]
            minor_leader += not fed
    peer_default = sum("peer" in ld.flags for ld in leads)
    cond_gaps = {g.segment_id for g in items if policy_conditions(g)}
    cond_cols = {ctx.index[s_] for s_ in cond_gaps}
    cond_leads = [
        ld for i, ld in enumerate(leads)
        if ld.gap_segment_id in cond_gaps or cond_cols & set(cm.M[int(ranked.rows[i])].indices.tolist())
    ]  # fmt: skip
    cond_unflagged = sum("policy_condition" not in ld.flags for ld in cond_leads)

    print(f"\n[lead rules on the shipped seed, demo pool] overall list: {ranked.total} leads")
    print(f"  链主配套 leads without a material input (weight >= 0.1 or unstated) to the 链主: {minor_leader}")
    print(f"  peer (同业) or rival leads in the default list: {peer_default + sum('rival' in ld.flags for ld in leads)}")
    print(f"  segments under a conditional policy: {len(cond_gaps)}; leads of them or of firms making them "
          f"{len(cond_leads)}, without the condition flag: {cond_unflagged}")
    print(f"  leads for restricted/unsuitable segments (steel marked unsuitable): {n_restricted}")
    print(f"  leads for gaps outside fill/strengthen/extend (or unverified would-be targets): {n_bad_status}")
    print(f"  provisional leads for unverified (待核实) gaps, flagged 先核实: {len(provisional)} of {len(leads)}")
    print(f"  suppliers through an unsuitable segment: {steel_suppliers}")
    print(f"  rival same-segment leads above complementary ones (default and include_rivals): {rivals_above}")
    print(f"  rivals left out of the overall list by default: {ranked.rivals_left_out}")
    print(f"  existing-group firms offered as new investors: {as_new} (existing investors listed: {existing})")
    print(f"  buyers offered as suppliers for a segment they only buy: {buyers}")
    print(f"  Spearman(lead score, gap priority) over the overall list: {rho:.3f}")
    print(f"  gap-priority share of the top-50 scores: {share:.1%}")
    assert n_restricted == n_bad_status == steel_suppliers == 0
    assert rivals_above == 0 and as_new == 0 and buyers == 0
    assert minor_leader == peer_default == cond_unflagged == 0
    # 中国铝业 is listed as an existing investor (增资扩产 at 中铝山西新材料); 北京建龙's steel segments
    # are restricted by the seed's policies (不适宜), so it gets no lead at all -- never a "new" one
    assert "中国铝业股份有限公司" in existing
    assert not any(ld.name.startswith("北京建龙") and ld.investor == "new" for ld in leads)
    assert not sep & {"比亚迪股份有限公司", "宁德时代新能源科技股份有限公司"}
    assert rho >= 0.6


def test_seed_first_page_of_each_chain_covers_the_top_gaps():
    from chainmap.seed import load_seed
    from chainmap.service import gap_report
    from matching.candidates import load_demo_candidates

    seed = load_seed()
    items = list(gap_report(data=seed).items)
    ctx = build_segment_context(seed)
    cm = build_candidate_matrix(load_demo_candidates(seed).candidates, ctx)
    threshold, k = 0.3, 20
    missing = []
    for chain in ("he", "qi", "sheng", "cai"):
        first = {ld.gap_segment_id for ld in rank_list(seed, items, cm, chain=chain, context=ctx).page(k=k).items}
        for g in gap_specs(ctx, items):
            if g.chain_id == chain and g.priority >= threshold and g.segment_id not in first:
                if rank_list(seed, items, cm, gap=g.segment_id, context=ctx).total:
                    missing.append(g.segment_id)
    print(f"\n[first pages] fitted gaps with priority >= {threshold} missing from page 1 (k={k}) of their chain: {missing}")
    assert missing == []


def test_weights_keep_gap_priority_dominant():
    w = load_config().weights
    cand = sum(v for f, v in w.items() if v > 0 and not f.startswith(("gap_", "fit_")))
    assert w["gap_priority"] >= 1.0 and cand < 0.5 and w["fit_buys"] == 0.0
    assert np.isclose(load_config().ranking.max_per_gap, 2)
