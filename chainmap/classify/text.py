"""Text preparation for segment assignment: normalisation, 经营范围 parsing, items and roles.

A firm's wording comes in two shapes:

* a **product list** (主要产品 / main_products): ``"阴极铜、铜杆；硫酸"`` — items in
  order, the first one the main product;
* a **business scope** (经营范围) as the market regulator registers it: optional
  sections ``许可项目：…`` and ``一般项目：…``, items separated by ``；`` ``，`` ``、``,
  legal boilerplate (``依法须经批准的项目，经相关部门批准后方可开展经营活动`` …) and
  exclusions (``（不含危险化学品）``) that say nothing about what the firm makes, and
  generic items that every registration carries (技术服务、技术开发、货物进出口 …).

:func:`parse_scope` turns a scope into :class:`Item` objects (section, position,
text, trade / generic flags); :func:`split_products` does the same for a product
list.  :func:`split_roles` cuts an item at role markers: what follows 采购/外购/使用/
消耗/应用 is bought or used (``user``), what follows 用于/应用于/适用于/面向/服务于 (up
to ``的``) or sits in ``为…配套/提供/供货`` is a market the firm sells into
(``customer``), the rest is produced (``producer``).

>>> [(i.section, i.position, i.text, i.trade) for i in parse_scope(
...     "许可项目：药品生产；药品批发。（依法须经批准的项目，经相关部门批准后方可开展经营活动，"
...     "具体经营项目以相关部门批准文件或许可证件为准）一般项目：技术服务、技术开发、技术咨询、"
...     "技术交流、技术转让、技术推广；化工产品销售（不含许可类化工产品）。")]
[('licensed', 0, '药品生产', False), ('licensed', 1, '药品批发', True), ('general', 0, '化工产品销售', True)]
>>> split_roles("采购隔膜用于动力电池的生产")
[('隔膜', 'user'), ('动力电池', 'customer'), ('生产', 'producer')]
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

__all__ = [
    "Item",
    "normalize",
    "parse_scope",
    "split_products",
    "split_roles",
    "section_chunks",
    "section_groups",
    "chunk_parts",
    "is_generic",
    "GENERIC_ITEMS",
    "TRADE_WORDS",
]


# the full-width punctuation of Chinese registrations, replaced by its NFKC form before the (cheap) NFKC
# quick check, so that most texts skip the (costly) full normalisation
_FULL_WIDTH = tuple((c, unicodedata.normalize("NFKC", c)) for c in "；，：（）　")
_is_normalized = unicodedata.is_normalized


def normalize(text: str | None) -> str:
    """NFKC, lower case, collapsed spaces (full-width ``（；：`` become ``(;:``).

    >>> normalize("  锂电池　隔膜（湿法）ＰＥ ")
    '锂电池 隔膜(湿法)pe'
    """
    if not text:
        return ""
    t = text if type(text) is str else str(text)
    if not _is_normalized("NFKC", t):
        # replacing a character by its NFKC form (a starter by a starter) leaves the NFKC of the whole unchanged
        for c, n in _FULL_WIDTH:
            if c in t:
                t = t.replace(c, n)
        if not _is_normalized("NFKC", t):
            t = unicodedata.normalize("NFKC", t)
    # str.split() and the regex \s split at the same (Unicode) white space
    return " ".join(t.split()).lower()


#: Items that nearly every 经营范围 carries; alone they say nothing about the chain.
GENERIC_ITEMS = (
    "技术服务", "技术开发", "技术咨询", "技术交流", "技术转让", "技术推广", "货物进出口", "技术进出口",
    "进出口代理", "销售", "租赁", "咨询", "信息咨询服务", "企业管理咨询", "企业管理", "会议及展览服务",
    "市场营销策划", "信息技术咨询服务", "社会经济咨询服务", "普通货物仓储服务", "装卸搬运", "非居住房地产租赁",
    "住房租赁", "机械设备租赁", "办公设备租赁服务", "广告设计、代理", "广告制作", "广告发布", "劳务服务",
    "人力资源服务", "日用百货销售", "五金产品零售", "五金产品批发", "办公用品销售", "国内贸易代理",
    "互联网销售", "物业管理", "停车场服务", "专业保洁、清洗、消毒服务", "工程和技术研究和试验发展",
    "科技中介服务", "以自有资金从事投资活动", "自有资金投资的资产管理服务", "普通机械设备安装服务",
    "通用设备修理", "专用设备修理", "电气设备修理", "仪器仪表修理", "安全咨询服务", "环保咨询服务",
    "节能管理服务", "合同能源管理", "软件开发", "信息系统集成服务", "数据处理服务",
)
_GENERIC_SET = frozenset(normalize(g) for g in GENERIC_ITEMS)

#: An item naming one of these trades the goods rather than making them.
TRADE_WORDS = ("销售", "批发", "零售", "租赁", "经营", "代理", "贸易", "经销", "购销", "进出口")
_TRADE_RE = re.compile("|".join(TRADE_WORDS))
_MAKE_RE = re.compile(r"制造|生产|加工|冶炼|采选|开采|种植|铸造|压延|研制|制备|合成|提取|培育|组装|装配")

_BOILERPLATE = [
    r"\(?依法须经批准的项目[,，、]?\s*经相关部门批准后方可开展经营活动[^)]*\)?",
    r"\(?除依法须经批准的项目外[,，、]?\s*凭营业执照依法自主开展经营活动\)?",
    r"具体经营项目以[^);。]*为准",
    r"\(?不得从事[^)]*\)?",
    r"经营范围[:]?",
]
_BOILER_RE = re.compile("|".join(_BOILERPLATE))
# each boilerplate pattern needs one of these (a text without any is left as it is, unscanned)
_BOILER_WORDS = ("依法须经批准的项目", "具体经营项目以", "不得从事", "经营范围")
# parentheticals that restrict (what the firm does NOT do) are dropped with their content
_EXCLUDE_PAREN_RE = re.compile(r"\((?:[^()]*?)(?:不含|除外|除|不得|须|需|凭|涉及|许可|限分支|仅|依法|以上)[^()]*\)")
_SECTION_RE = re.compile(r"(一般项目|许可项目|一般经营项目|许可经营项目|前置许可经营项目|后置许可经营项目)\s*[:]?")
_VERB_ONLY_RE = re.compile(
    r"^(?:研发|研究|开发|生产|制造|加工|销售|批发|零售|经营|安装|维修|租赁|服务|进出口|设计|检测|推广|应用|代理|"
    r"回收|利用|咨询|技术服务|技术咨询|技术开发|技术转让|[和及与等]|相关|业务|的)+$"
)
_RESEARCH_RE = re.compile(r"研发|研究|试验发展|开发|设计")


class Item(NamedTuple):
    """One item of a product list or a 经营范围, in order.

    ``section`` is ``"products"``, ``"licensed"`` (许可项目), ``"general"`` (一般项目) or
    ``"scope"`` (a scope without sections); ``position`` counts within the section;
    ``trade`` marks an item that trades goods (销售/批发/零售/租赁 … without 制造/生产 …);
    ``make`` one that makes them; ``research`` one that only researches or designs (研发 …).
    Verbs listed after the object (``变频器的研发、生产、销售``) count for it."""

    text: str
    section: str
    position: int
    trade: bool = False
    make: bool = False
    research: bool = False


def is_generic(item: str) -> bool:
    """True for an item that every registration carries (see :data:`GENERIC_ITEMS`).

    >>> is_generic("技术服务"), is_generic("一般项目:技术开发"), is_generic("铜冶炼")
    (True, False, False)
    """
    return normalize(item) in _GENERIC_SET


# 碳/碳复合材料, C/C: a slash between the same two words is part of the name
_SAME_SLASH_RE = re.compile(r"([\u4e00-\u9fff])/\1|\bc/c\b")


def _flags(text: str) -> tuple[bool, bool, bool]:
    """(trade, make, research); an item that develops and sells (软件的开发、销售) makes."""
    research = bool(_RESEARCH_RE.search(text))
    trade = bool(_TRADE_RE.search(text))
    make = bool(_MAKE_RE.search(text)) or (research and trade)
    return trade and not make, make, research and not make


# separators outside parentheses: not followed by a ")" before the next "(" (registrations do not nest)
_OUTSIDE = r"(?![^()]*\))"
_STRONG_RE = re.compile(rf"[;,。．|\n]{_OUTSIDE}")
_WEAK_RE = re.compile(rf"(?:[、/｜·]|\s+(?=[^\x00-\x7f])|(?<=[^\x00-\x7f])\s+){_OUTSIDE}")
_CHUNK_CACHE: dict[str, tuple[tuple[str, bool, bool, bool], ...]] = {}


def chunk_parts(chunk: str) -> tuple[tuple[str, bool, bool, bool], ...]:
    """(text, trade, make, research) of the parts of one chunk (between strong separators), cached."""
    got = _CHUNK_CACHE.get(chunk)
    if got is not None:
        return got
    raw = _WEAK_RE.split(chunk)
    parts: list[list[str]] = []  # [text, verbs]
    for r in raw:
        t = r.strip(" :;.-_*#")
        if not t:
            continue
        if parts and _VERB_ONLY_RE.match(t):
            parts[-1][1] += t
            continue
        parts.append([t, ""])
    res = tuple(
        (t, *_flags(t + verbs)) for t, verbs in parts if len(t) >= 2 and t not in _GENERIC_SET
    )
    if len(_CHUNK_CACHE) > 200_000:
        _CHUNK_CACHE.clear()
    _CHUNK_CACHE[chunk] = res  # type: ignore[assignment]
    return res  # type: ignore[return-value]


_STRONG_SEPARATORS = ",。．|\n"  # and ";": the characters of _STRONG_RE


def _chunks(text: str) -> list[str]:
    if "/" in text:
        text = _SAME_SLASH_RE.sub(lambda m: (m.group(1) or "碳") * 2, text)
    if ")" in text:
        parts = _STRONG_RE.split(text)
    else:  # no separator is inside parentheses: split at each one (str methods, faster than the regex)
        for c in _STRONG_SEPARATORS:
            if c in text:
                text = text.replace(c, ";")
        parts = text.split(";")
    return [c for c in map(str.strip, parts) if c]


def section_chunks(text: str | None, kind: str) -> list[tuple[str, str]]:
    """``(section, chunk)`` pairs of a normalised text, chunks cut at strong separators
    (``；，。``); ``kind`` is ``"products"`` or ``"scope"`` (sections, boilerplate removed)."""
    return [(section, c) for section, chunks in section_groups(text, kind) for c in chunks]


def section_groups(text: str | None, kind: str) -> list[tuple[str, list[str]]]:
    """:func:`section_chunks` grouped by section as written: ``(section, chunks)`` in order (a
    section may come twice; a group may be empty).

    >>> section_groups("许可项目：药品生产。一般项目：技术服务；化工产品销售", "scope")
    [('scope', []), ('licensed', ['药品生产']), ('general', ['技术服务', '化工产品销售'])]
    """
    t = normalize(text)
    if not t:
        return []
    if kind != "scope":
        return [("products", _chunks(t))]
    if "(" in t:
        t = _EXCLUDE_PAREN_RE.sub(";", t)
    for w in _BOILER_WORDS:
        if w in t:
            t = _BOILER_RE.sub(";", t)
            break
    parts = _SECTION_RE.split(t)
    out = [("scope", _chunks(parts[0]))]
    for k in range(1, len(parts), 2):
        out.append(("licensed" if "许可" in parts[k] else "general", _chunks(parts[k + 1])))
    return out


def _items(pairs: list[tuple[str, str]]) -> list[Item]:
    out: list[Item] = []
    pos: dict[str, int] = {}
    for section, chunk in pairs:
        for t, trade, make, research in chunk_parts(chunk):
            n = pos.get(section, 0)
            pos[section] = n + 1
            out.append(Item(t, section, n, trade, make, research))
    return out


def parse_scope(text: str | None) -> list[Item]:
    """Parse a 经营范围 into its items (see the module notes): sections in the order
    written, boilerplate and exclusion parentheticals removed, generic items dropped;
    a part of a chunk that is only verbs (``X的研发、生产、销售``) lends them to the part before it."""
    return _items(section_chunks(text, "scope"))


def split_products(text: str | None) -> list[Item]:
    """Split a product list into items (first = main product).

    >>> [i.text for i in split_products("阴极铜、铜杆；硫酸(副产品) / copper rod")]
    ['阴极铜', '铜杆', '硫酸(副产品)', 'copper rod']
    """
    return _items(section_chunks(text, "products"))


_USER_MARK = r"采购|外购|购买|使用|消耗|应用(?!于)|\bbuys\b|\bpurchases\b|\bpurchasing\b|\buses\b|\busing\b"
_CUSTOMER_MARK = r"应用于|适用于|用于|面向|服务于|\bfor\b|\bused in\b|\bused by\b|\bserving\b|\bapplied in\b"
_ROLE_RE = re.compile(rf"(?P<user>{_USER_MARK})|(?P<customer>{_CUSTOMER_MARK})|为(?P<for>[^的]+?)(?:配套|提供|供货)")


def split_roles(phrase: str) -> list[tuple[str, str]]:
    """Cut one item at role markers into ``(part, role)`` with role ``producer``,
    ``user`` or ``customer`` (see the module notes).

    >>> split_roles("用于新能源汽车的驱动电机")
    [('新能源汽车', 'customer'), ('驱动电机', 'producer')]
    >>> split_roles("为整车厂配套座椅"), split_roles("湿法隔膜")
    ([('整车厂', 'customer'), ('座椅', 'producer')], [('湿法隔膜', 'producer')])
    >>> split_roles("工业互联网应用")
    [('工业互联网应用', 'producer')]
    """
    parts: list[tuple[str, str]] = []
    pos = 0
    for m in _ROLE_RE.finditer(phrase):
        if m.start() < pos:
            continue
        if m.group("user") is not None and m.end() >= len(phrase.rstrip()):
            continue  # a trailing 应用/使用 names no object
        head = phrase[pos : m.start()].strip()
        if head:
            parts.append((head, "producer"))
        if m.group("for") is not None:
            parts.append((m.group("for").strip(), "customer"))
            pos = m.end()
            continue
        role = "user" if m.group("user") else "customer"
        rest = phrase[m.end() :]
        de = rest.find("的")
        nxt = _ROLE_RE.search(rest)
        cut = len(rest) if de < 0 else de
        skip = 0 if de < 0 else 1
        if nxt is not None and nxt.start() < cut:
            cut, skip = nxt.start(), 0
        span = rest[:cut]
        if span.strip():
            parts.append((span.strip(), role))
        pos = m.end() + cut + skip
    tail = phrase[pos:].strip()
    if tail:
        parts.append((tail, "producer"))
    if not parts:
        return [(phrase, "producer")]
    return [(p, r) for p, r in parts if p]
