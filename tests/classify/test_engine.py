"""The segment classifier on small hand-made data: exact expectations."""

from __future__ import annotations

import pytest

from chainmap.classify import Assignment, SegmentClassifier, SegmentVocabulary
from chainmap.classify.vocabulary import CodeRow
from chainmap.exceptions import InvalidInput
from chainmap.models import AssignmentMethod, AssignmentStatus, Chain, Role, Segment


def seg(i: str, zh: str, kw=(), chain: str | None = None) -> Segment:
    return Segment(id=i, chain=chain or i.split(".")[0], name_zh=zh, name_en=i, stage="midstream",
                   keywords_zh=list(kw))


SEGS = [
    seg("qi.separator", "锂电池隔膜", ["隔膜", "锂离子电池隔膜", "湿法隔膜"]),
    seg("qi.cell", "动力电池电芯", ["锂离子电池", "动力电池", "电芯"]),
    seg("qi.aftermarket", "销售与后市场", ["汽车销售", "汽车维修"]),
    seg("qi.vehicle", "整车", ["新能源汽车", "整车"]),
    seg("qi.charging", "充换电", ["换电站", "充电桩"]),
    seg("cai.steel.construction", "建筑用钢", ["螺纹钢", "线材"], chain="cai.steel"),
    seg("cai.cu.rod", "铜杆与铜线", ["铜杆", "铜线"], chain="cai.cu"),
    seg("sheng.chem_drug", "化学药制剂", ["片剂", "注射剂", "化学药"]),
    seg("sheng.distribution", "医药流通", ["药品批发"]),
]
CHAINS = [
    Chain(id="qi", name_zh="汽", name_en="Q", letter="汽"),
    Chain(id="cai", name_zh="材", name_en="C", letter="材"),
    Chain(id="cai.steel", name_zh="钢", name_en="S", letter="材", parent="cai"),
    Chain(id="cai.cu", name_zh="铜", name_en="Cu", letter="材", parent="cai"),
    Chain(id="sheng", name_zh="生", name_en="S", letter="生"),
]
VOCAB = {"cai.steel.construction": SegmentVocabulary("cai.steel.construction", negative=("铜线材",), sources=("t",))}


@pytest.fixture(scope="module")
def clf() -> SegmentClassifier:
    codes = [CodeRow("3211", "铜冶炼", "cai.cu.rod", 0.5, source="t"),
             CodeRow("2720", "化学药品制剂制造", "sheng.chem_drug", 1.0, source="t")]
    return SegmentClassifier(SEGS, chains=CHAINS, vocabulary=VOCAB, concordance=codes)


def ids(got: list[Assignment]) -> list[str]:
    return [a.segment for a in got]


def test_longest_match_wins(clf):
    # 锂离子电池 (cell) lies inside 锂离子电池隔膜 (separator): only the longer term counts
    assert ids(clf.assign(products="锂离子电池隔膜")) == ["qi.separator"]
    assert ids(clf.assign(products="锂离子电池")) == ["qi.cell"]


def test_negative_term_vetoes_its_segment_only(clf):
    assert ids(clf.assign(products="铜线材")) == ["cai.cu.rod"]  # 线材 inside 铜线材: not steel
    assert ids(clf.assign(products="高速线材")) == ["cai.steel.construction"]


def test_modifier_does_not_win_over_the_head(clf):
    # 新能源汽车 qualifies 换电站: the firm runs swap stations, it does not build cars
    assert ids(clf.assign(products="新能源汽车换电站"))[0] == "qi.charging"


def test_trade_items_and_generic_items(clf):
    # 租赁/销售 alone is not the after-market, generic items are ignored
    assert clf.assign(scope="一般项目：机械设备租赁；日用百货销售；技术服务、技术开发") == []
    # a trade item of a non-trade term counts 0.3: 化学药销售 alone stays below min_score
    assert clf.assign(scope="一般项目：化学药销售") == []
    # the trade term itself (汽车销售) is the after-market
    assert ids(clf.assign(scope="一般项目：汽车销售；汽车维修")) == ["qi.aftermarket"]


def test_main_business_outranks_side_line(clf):
    # a maker that also wholesales: the wholesale side line does not take a slot
    got = clf.assign(scope="许可项目：化学药的研发、生产、销售；药品批发。一般项目：技术服务")
    assert ids(got) == ["sheng.chem_drug"]
    # a wholesaler without making is the distribution segment
    assert ids(clf.assign(scope="许可项目：药品批发")) == ["sheng.distribution"]
    # first-listed beats later with the same term quality
    got = clf.assign(products="螺纹钢、片剂")
    assert ids(got) == ["cai.steel.construction", "sheng.chem_drug"] and got[0].confidence > got[1].confidence


def test_relative_threshold_drops_far_side_lines(clf):
    got = clf.assign(products="锂离子电池隔膜、湿法隔膜、锂离子电池、电芯、动力电池、整车、螺纹钢、片剂")
    # position weight decays, the late items fall below half the best and do not fill slots
    best = got[0].confidence
    assert got[0].segment == "qi.separator"
    assert all(a.confidence >= 0.5 * best for a in got)


def test_roles_user_and_customer(clf):
    got = clf.assign(products="采购锂离子电池")
    assert [(a.segment, a.role) for a in got] == [("qi.cell", Role.user)]
    got = clf.assign(products="用于动力电池的湿法隔膜")
    assert [(a.segment, a.role) for a in got] == [("qi.separator", Role.producer)]
    assert clf.customers(products="用于动力电池的湿法隔膜") == [("qi.cell", 0.9)]


def test_code_signal_and_method(clf):
    (a,) = clf.assign(industry_code="3211")
    assert (a.segment, a.method, a.confidence) == ("cai.cu.rod", AssignmentMethod.code, 0.35)
    assert a.evidence == ("行业代码 3211 铜冶炼",)
    # a section letter and a float from a spreadsheet are accepted
    assert ids(clf.assign(industry_code="C2720")) == ids(clf.assign(industry_code=2720.0)) == ["sheng.chem_drug"]
    # the name of the code is found when the code is missing
    assert ids(clf.assign(industry_name="化学药品制剂制造")) == ["sheng.chem_drug"]


def test_code_and_text_agree_more_confident_than_either(clf):
    both = clf.assign(industry_code="2720", products="片剂")[0].confidence
    text = clf.assign(products="片剂")[0].confidence
    code = clf.assign(industry_code="2720")[0].confidence
    assert both > max(text, code)


def test_conflict_between_code_and_text_is_marked(clf):
    got = clf.assign(industry_code="2720", products="螺纹钢")
    assert ids(got)[0] == "cai.steel.construction"
    assert "行业代码与文本指向不同环节" in got[0].evidence


def test_confidence_order_by_term_length_and_position(clf):
    c_short = clf.assign(products="隔膜")[0].confidence
    c_long = clf.assign(products="湿法隔膜")[0].confidence
    c_second = [a for a in clf.assign(products="片剂、湿法隔膜") if a.segment == "qi.separator"][0].confidence
    assert c_short < c_long and c_second < c_long


def test_to_presence(clf):
    a = clf.assign(products="湿法隔膜")[0]
    p = a.to_presence()
    assert (p.segment, p.status, p.method, p.role) == ("qi.separator", AssignmentStatus.auto,
                                                       AssignmentMethod.text, Role.producer)
    assert p.evidence == list(a.evidence) and p.confidence == a.confidence
    assert a.to_presence(auto_accept=0.95).status is AssignmentStatus.pending
    with pytest.raises(InvalidInput):
        a.to_presence(auto_accept=2)


def test_assign_many_equals_assign(clf):
    rows = [{"products": "湿法隔膜"}, {"products": "铜线材", "name": "某铜业有限公司"}, {"scope": None}]
    assert clf.assign_many(rows) == [clf.assign(products="湿法隔膜"),
                                     clf.assign(products="铜线材", name="某铜业有限公司"), []]


def test_bad_arguments(clf):
    with pytest.raises(InvalidInput):
        clf.assign(products="隔膜", k=0)
    with pytest.raises(InvalidInput):
        SegmentClassifier([])


def test_weak_terms_alone_assign_nothing():
    vocab = {"cai.steel.construction": SegmentVocabulary("cai.steel.construction", weak=("钢材", "钢铁"), sources=("t",))}
    c = SegmentClassifier(SEGS, chains=CHAINS, vocabulary=vocab)
    assert c.assign(products="钢铁资讯、钢材交易、钢材仓储") == []
    # with a strong term the weak ones add to the confidence
    alone = c.assign(products="螺纹钢")[0].confidence
    assert c.assign(products="螺纹钢、钢材")[0].confidence > alone
