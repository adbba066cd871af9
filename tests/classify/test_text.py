"""经营范围 parsing, product lists and role markers."""

from __future__ import annotations

from chainmap.classify.text import parse_scope, split_products, split_roles

SCOPE = (
    "许可项目：药品生产；药品批发；第二类医疗器械生产。（依法须经批准的项目，经相关部门批准后方可开展经营活动，"
    "具体经营项目以相关部门批准文件或许可证件为准）一般项目：技术服务、技术开发、技术咨询、技术交流、技术转让、"
    "技术推广；锂离子电池的研发、生产、销售；化工产品销售（不含许可类化工产品）；货物进出口；汽车零部件研发。"
    "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"
)


def test_sections_items_in_order_boilerplate_removed():
    items = parse_scope(SCOPE)
    assert [(i.section, i.position, i.text) for i in items] == [
        ("licensed", 0, "药品生产"),
        ("licensed", 1, "药品批发"),
        ("licensed", 2, "第二类医疗器械生产"),
        ("general", 0, "锂离子电池的研发"),
        ("general", 1, "化工产品销售"),
        ("general", 2, "汽车零部件研发"),
    ]


def test_item_flags():
    by_text = {i.text: i for i in parse_scope(SCOPE)}
    assert by_text["药品生产"].make and not by_text["药品生产"].trade
    assert by_text["药品批发"].trade
    # the verbs after the object count for it: 研发、生产、销售 makes
    assert by_text["锂离子电池的研发"].make and not by_text["锂离子电池的研发"].trade
    assert by_text["汽车零部件研发"].research and not by_text["汽车零部件研发"].make
    assert by_text["化工产品销售"].trade


def test_old_style_scope_without_sections():
    items = parse_scope("铜矿开采；铜冶炼、铜加工；硫酸生产（凭许可证经营）")
    assert [(i.section, i.text) for i in items] == [("scope", "铜矿开采"), ("scope", "铜冶炼"),
                                                     ("scope", "铜加工"), ("scope", "硫酸生产")]


def test_empty_and_generic_only():
    assert parse_scope("") == [] and parse_scope(None) == []
    assert parse_scope("一般项目：技术服务、技术开发、技术咨询；货物进出口；销售；租赁") == []


def test_products_keep_parentheses_and_slashes_of_names():
    assert [i.text for i in split_products("中成药（脑心通胶囊、稳心颗粒）；碳/碳复合材料、钴粉")] == [
        "中成药(脑心通胶囊、稳心颗粒)", "碳碳复合材料", "钴粉"]


def test_roles():
    assert split_roles("采购隔膜用于动力电池的生产") == [("隔膜", "user"), ("动力电池", "customer"), ("生产", "producer")]
    assert split_roles("为整车厂配套座椅") == [("整车厂", "customer"), ("座椅", "producer")]
    assert split_roles("使用工业机器人") == [("工业机器人", "user")]
    assert split_roles("湿法隔膜") == [("湿法隔膜", "producer")]
