"""Header synonyms of the registers staff hold: 规上工业企业名录, 企查查 / 天眼查 exports,
development-zone (开发区/园区) and 专业镇 member lists.

:func:`map_header` maps a file's header cells to the census fields (:data:`FIELDS`) and
says which columns were recognised and which ignored.  A header is normalised before the
look-up (:func:`norm_header`: NFKC, no spaces, no ``*`` required-marks, a unit in brackets
cut off and kept: ``营业收入（万元）`` is ``营业收入`` in 万元).

>>> m = map_header(["单位详细名称", "统一社会信用代码", "行业代码", "营业收入(万元)", "备注2"])
>>> m.field_of
{'单位详细名称': 'name', '统一社会信用代码': 'credit_code', '行业代码': 'industry_code', '营业收入(万元)': 'revenue'}
>>> m.ignored, m.units["revenue"]
(['备注2'], '万元')
>>> guess_register_kind(m)
'规上名录'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "FIELDS",
    "SYNONYMS",
    "REGISTER_KINDS",
    "HeaderMap",
    "norm_header",
    "map_header",
    "guess_register_kind",
    "UNIT_TO_YI",
]

#: Census fields, in the order the report lists them.
FIELDS: tuple[str, ...] = (
    "name", "credit_code", "industry_code", "industry_name", "county", "zone", "town", "products",
    "scope", "reg_status", "address", "founded", "capital", "employees", "revenue", "group", "stage",
    "source", "note",
)  # fmt: skip

#: Header spellings of each field (compared after :func:`norm_header`; English in lower case).
#: The first column of a file that maps to a field wins; a later one is ignored (and said so).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("单位详细名称", "企业名称", "单位名称", "企业详细名称", "公司名称", "名称", "企业", "name", "company",
             "company name", "enterprise", "enterprise name"),
    "credit_code": ("统一社会信用代码", "社会信用代码", "信用代码", "统一代码", "组织机构代码/统一社会信用代码",
                    "credit code", "credit_code", "unified social credit code", "uscc"),
    "industry_code": ("行业代码", "国民经济行业代码", "行业小类代码", "行业分类代码", "所属行业代码", "industry code",
                      "industry_code", "gb/t 4754", "nace"),
    "industry_name": ("行业名称", "所属行业", "国民经济行业", "行业小类", "行业门类", "行业", "行业分类",
                      "industry", "industry name", "industry_name"),
    "county": ("县(市、区)", "县(市,区)", "县市区", "县(市区)", "所在地", "所在县区", "所在县(市、区)", "区县", "县区",
               "所属区县", "所属地区", "所在区县", "行政区划", "地区", "county", "district", "region"),
    "zone": ("开发区/园区", "开发区", "园区", "所在园区", "所属园区", "所在开发区", "所属开发区", "产业园区", "zone",
             "park", "development zone"),
    "town": ("专业镇", "乡镇", "所在乡镇", "乡镇(街道)", "镇", "town", "township"),
    "products": ("主要产品", "主营产品", "主要产品名称", "产品", "主导产品", "主要产品及服务", "products",
                 "main products", "main_products", "product"),
    "scope": ("经营范围", "business scope", "scope"),
    "reg_status": ("登记状态", "经营状态", "企业状态", "存续状态", "注册状态", "registration status", "status of registration"),
    "address": ("注册地址", "地址", "单位地址", "企业地址", "详细地址", "通信地址", "住所", "经营地址",
                "address", "registered address"),
    "founded": ("成立日期", "成立时间", "开业时间", "开业日期", "成立年份", "注册日期", "founded", "established",
                "date founded"),
    "capital": ("注册资本", "注册资金", "registered capital", "capital"),
    "employees": ("参保人数", "从业人员", "从业人员期末人数", "从业人员平均人数", "年末从业人员", "员工人数", "职工人数",
                  "人员规模", "employees", "staff", "headcount"),
    "revenue": ("营业收入", "主营业务收入", "营收", "营业收入本年累计", "revenue", "operating revenue"),
    "group": ("母公司", "所属集团", "集团", "上级集团", "母公司名称", "集团公司", "parent", "parent group",
              "parent company", "group"),
    "stage": ("状态", "阶段", "项目状态", "建设状态", "投产状态", "建设阶段", "stage", "project stage"),
    "source": ("来源", "数据来源", "source"),
    "note": ("备注", "说明", "note", "notes", "remark"),
}  # fmt: skip

#: The register kinds a coverage record names.
REGISTER_KINDS: tuple[str, ...] = ("规上名录", "企查查", "园区名单", "专业镇")

#: A unit in a revenue header -> factor to 亿元 (the model's unit).
UNIT_TO_YI: dict[str, float] = {"亿元": 1.0, "万元": 1e-4, "千元": 1e-5, "元": 1e-8}

_INDEX: dict[str, str] = {norm: f for f, names in SYNONYMS.items() for norm in names}
_UNIT = re.compile(r"[(（\[]\s*([^()（）\[\]]*?)\s*[)）\]]\s*$")
_NOISE = re.compile(r"[\s*＊:：]+")


def norm_header(cell: str) -> tuple[str, str | None]:
    """A header cell as its look-up key and its unit (``营业收入（万元）`` -> ``("营业收入", "万元")``).

    A bracket that is part of the name (``县(市、区)``) is kept.

    >>> norm_header(" 营业收入（千元）"), norm_header("县（市、区）"), norm_header("*Company Name")
    (('营业收入', '千元'), ('县(市、区)', None), ('company name', None))
    """
    text = unicodedata.normalize("NFKC", cell).strip().lower()
    text = re.sub(r"[*＊]", "", text).strip()
    key = _NOISE.sub("", text) if not text.isascii() else re.sub(r"\s+", " ", text)
    if key in _INDEX:
        return key, None
    m = _UNIT.search(key)
    if m is not None:
        base = key[: m.start()].strip()
        if base in _INDEX:
            return base, m.group(1) or None
    return key, None


@dataclass
class HeaderMap:
    """How a file's columns map to census fields.

    ``field_of``: recognised column -> field; ``column_of``: field -> its column;
    ``ignored``: the columns not used (unknown, or a second column for a field, see
    ``duplicates``); ``units``: field -> the unit its header gave (``万元``)."""

    columns: list[str]
    field_of: dict[str, str] = field(default_factory=dict)
    column_of: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    duplicates: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)

    def report(self) -> dict[str, object]:
        """What the import report shows: recognised ``{column: field}`` and ignored columns."""
        return {
            "recognised": dict(self.field_of),
            "ignored": list(self.ignored),
            "duplicates": dict(self.duplicates),
            "units": dict(self.units),
        }


def map_header(columns: Sequence[str]) -> HeaderMap:
    """Map header cells to census fields (see the module notes)."""
    out = HeaderMap(columns=list(columns))
    for col in columns:
        key, unit = norm_header(col)
        f = _INDEX.get(key)
        if f is None:
            out.ignored.append(col)
            continue
        if f in out.column_of:
            out.ignored.append(col)
            out.duplicates[col] = out.column_of[f]
            continue
        out.field_of[col] = f
        out.column_of[f] = col
        if unit:
            out.units[f] = unit
    return out


def guess_register_kind(m: HeaderMap) -> str:
    """The register kind a header looks like: 规上名录 (行业代码 or 营业收入), 企查查 (登记状态 or
    经营范围), 专业镇 (a town column), else 园区名单."""
    cols = m.column_of
    if "industry_code" in cols or "revenue" in cols:
        return "规上名录"
    if "reg_status" in cols or "scope" in cols:
        return "企查查"
    if "town" in cols:
        return "专业镇"
    return "园区名单"
