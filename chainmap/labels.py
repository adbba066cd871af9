"""The one label catalogue: every user-facing vocabulary of chainmap in Chinese and English.

Each vocabulary maps a stable code (the value stored and sent over the API) to a
``(Chinese, English)`` pair, in display order.  Python code takes its labels from here
(:func:`label`, or the vocabulary constants); the web page loads the same catalogue from
``GET /api/v1/labels?lang=zh|en`` (:func:`catalogue`), so a label is written once.

English labels are lower case where the code already reads as English (``fill``,
``upstream``); a renderer that wants a heading capitalises it (the SVG's ``Fill``).
For the investment-project vocabularies the English label is the code in plain words
(``in_production`` -> ``in production``); the CLI and the project workbooks print the code itself
(:meth:`chainmap.projects.models.ProjectStage.label`).

>>> label("gap_status", "fill", "zh"), label("gap_status", "fill", "en")
('补链', 'fill')
>>> label("project_stage", "signed", "zh")
'签约'
>>> catalogue("en")["tag"]["chain_leader"]
'chain leader'
>>> catalogue("zh")["gap_status_colours"]["fill"]
{'stroke': '#c0392b', 'fill': '#fbdcd8'}
>>> label("tag", "nope", "zh")
Traceback (most recent call last):
...
chainmap.exceptions.InvalidInput: tag: unknown tag code 'nope'; valid: chain_leader, chain_core, little_giant, specialized, gazelle, unicorn, listed, global500, china500, private500, industry_top100
"""

from __future__ import annotations

from typing import Any

from chainmap.exceptions import InvalidInput
from chainmap.i18n import norm_lang

__all__ = [
    "Labels",
    "GAP_STATUS",
    "GAP_STATUS_COLOURS",
    "GAP_TARGET_STATUSES",
    "GAP_STATUS_MEANING",
    "SEGMENT_KIND",
    "POLICY_KIND",
    "GAP_COMPONENT",
    "GAP_TERM_MEANING",
    "EXTEND_DIRECTION",
    "SEGMENT_STAGE",
    "LINK_KIND",
    "ROLE",
    "TAG",
    "REGION_KIND",
    "CONFIDENCE",
    "PROJECT_STAGE",
    "TASK_FORCE_KIND",
    "FOLLOW_UP_METHOD",
    "ISSUE_KIND",
    "ISSUE_STATUS",
    "TARGET_FIELD",
    "TARGET_UNIT",
    "REGISTER_KIND",
    "PRESENCE_STATE",
    "ABSENCE_BASIS",
    "REVIEW_REASON",
    "REVIEW_ACTION",
    "VOCABULARIES",
    "zh_labels",
    "label",
    "catalogue",
    "ZH_FALLBACK_MARK",
    "english_name",
    "is_fallback_name",
]

#: code -> (Chinese label, English label), in display order.
Labels = dict[str, tuple[str, str]]

# ---------------------------------------------------------------- chain map and gap analysis

#: Gap status of a segment, in display order.  The first three are 招商 targets
#: (:data:`GAP_TARGET_STATUSES`); the others say why a segment is not one:
#:
#: ``sound`` 健全            present locally (a local producer) and not weak;
#: ``not_priority`` 暂不布局 absent, no local need: not a current priority;
#: ``unsuitable`` 不适宜     a resource endowment, or restricted / banned by a policy (the reason
#:                           names it);
#: ``unverified`` 待核实     absent in the enterprise list, but the list is not known to be complete
#:                           for the region, so the absence is not confirmed.
#:
#: No segment without a local producer is ever ``sound``.
GAP_STATUS: Labels = {
    "fill": ("补链", "fill"),
    "strengthen": ("强链", "strengthen"),
    "extend": ("延链", "extend"),
    "sound": ("健全", "sound"),
    "not_priority": ("暂不布局", "not a priority"),
    "unsuitable": ("不适宜", "unsuitable"),
    "unverified": ("待核实", "unverified"),
}

#: What each gap status means (the legend of every output), Chinese and English.
GAP_STATUS_MEANING: Labels = {
    "fill": ("本地缺失且有本地需求、关键或高度关联：招商补齐", "absent, with local demand, critical or closely related: attract it"),
    "strengthen": ("本地已有但薄弱：招引配套、做大做强", "present but weak: attract more capacity"),
    "extend": ("本地缺失、与本地优势环节相邻：向上下游延伸", "absent, next to a local strength: extend the chain"),
    "sound": ("本地有企业且无明显短板", "present locally and not weak"),
    "not_priority": ("本地无企业、暂无本地需求：非当前重点", "absent, no local need: not a current priority"),
    "unsuitable": ("资源禀赋或受政策限制：不作为招商对象（理由引用依据）", "a resource endowment or restricted by policy: not a target (the reason cites it)"),
    "unverified": ("名录不完整，无法确认本地缺失：待核实", "the list is incomplete, the absence is not confirmed"),
}

#: The gap statuses that are 招商 targets (leads are ranked for these only).
GAP_TARGET_STATUSES: tuple[str, ...] = ("fill", "strengthen", "extend")

#: Gap status -> (stroke, fill) colour: 补链 red, 强链 amber, 延链 blue, 健全 green, 暂不布局
#: grey outline on white, 不适宜 slate, 待核实 violet; ``none`` for a segment without a gap
#: item.  Used by the SVG diagram and its legend, the HTML report, the XLSX status cells and
#: the web page's badges (white text on the stroke colour).
GAP_STATUS_COLOURS: dict[str, tuple[str, str]] = {
    "fill": ("#c0392b", "#fbdcd8"),
    "strengthen": ("#b7791f", "#fdefc8"),
    "extend": ("#2b6cb0", "#d7e7f8"),
    "sound": ("#2f855a", "#d9f0df"),
    "not_priority": ("#6b7280", "#ffffff"),
    "unsuitable": ("#4a5568", "#d5dae3"),
    "unverified": ("#7e57c2", "#ece4f8"),
    "none": ("#718096", "#f4f5f7"),
}

#: Kind of a segment (:class:`chainmap.models.SegmentKind`).
SEGMENT_KIND: Labels = {
    "product": ("产品环节", "product"),
    "endowment": ("资源禀赋", "resource endowment"),
    "adopter": ("应用环节", "adopter"),
    "service": ("服务环节", "service"),
}

#: Kind of a policy constraint (``graph_seed/policies.yaml``).
POLICY_KIND: Labels = {
    "restricted": ("限制类", "restricted"),
    "banned": ("禁止类", "banned"),
    "conditional": ("有条件限制", "conditional"),
    "encouraged": ("鼓励类", "encouraged"),
}

#: Components of a gap item's priority (``GapItem.components``).
GAP_COMPONENT: Labels = {
    "demand": ("本地需求", "local demand"),
    "criticality": ("关键度", "criticality"),
    "density": ("关联密度", "relatedness density"),
    "value_added": ("附加值", "value added"),
    "gain": ("升级增益", "upgrade gain"),
    "weakness": ("薄弱度", "weakness"),
    "weak_single": ("仅一家企业", "single local firm"),
    "weak_lq": ("区位熵偏低", "low location quotient"),
    "weak_capacity": ("产能不足", "capacity below demand"),
    "weak_no_leader": ("缺链主", "no chain leader"),
    "policy": ("政策鼓励", "policy encouragement"),
    "policy_condition": ("政策条件（降低优先级）", "policy condition (lowers the priority)"),
}

#: Plain-word meanings of the gap report's numbers (the gaps page's glossary and hover titles);
#: they restate the rules of :mod:`chainmap.analysis.gaps` (its docstring has the formulas).
GAP_TERM_MEANING: Labels = {
    "priority": (
        "优先级（0–1）：越高越应先招商。补链=0.35×本地需求+0.30×关键度+0.20×关联密度+0.15×附加值；"
        "强链=薄弱度×(0.35×本地需求+0.30×关键度+0.15×附加值)；延链=0.40×关联密度+0.25×附加值+0.20×升级增益+0.15×关键度；"
        "其他状态为0；鼓励类政策再乘以1.15（上限1），有条件限制类政策再乘以0.75",
        "priority (0-1): the higher, the sooner to attract. fill = 0.35 demand + 0.30 criticality + 0.20 density "
        "+ 0.15 value added; strengthen = weakness × (0.35 demand + 0.30 criticality + 0.15 value added); "
        "extend = 0.40 density + 0.25 value added + 0.20 upgrade gain + 0.15 criticality; other statuses 0; "
        "an encouraging policy multiplies it by 1.15 (at most 1), a conditional policy by 0.75",
    ),
    "demand": (
        "本地需求：下游有本地企业需要该环节的产品（或本地企业使用它）；d家企业计为 d/(d+2)，无需求为0",
        "local demand: local firms downstream need the segment's product (or use it); d firms count d/(d+2), none 0",
    ),
    "criticality": (
        "关键度（0–1）：该环节对整条链的支撑程度，综合支配的下游环节数（权重0.25）、供给路径经过它的程度、下游覆盖范围、"
        "产业关联、抽取损失和卡脖子标记（各0.15）；越高越是卡脖子环节",
        "criticality (0-1): how much of the chain hangs on the segment, combining the downstream segments it "
        "dominates (weight 0.25), how many supply paths pass through it, its downstream reach, linkage, output "
        "lost without it and the chokepoint flag (0.15 each); high = a chokepoint",
    ),
    "dominated": (
        "支配：该环节是某下游环节唯一的供给来源（所有供给路径都经过它）；“支配3个下游环节”即这3个环节离不开它",
        "dominates: the segment is the only source of supply of a downstream segment (every supply path passes "
        "through it); \"dominates 3 downstream segments\" = those 3 cannot do without it",
    ),
    "density": (
        "关联密度（0–1）：与该环节相关的环节中本地已有企业的比例（按供需联系或企业共现加权）；越高越容易依托本地基础引进",
        "relatedness density (0-1): the share of the segment's related segments that already have local firms "
        "(weighted by links or by firms producing both); high = easy to build on local strengths",
    ),
    "value_added": (
        "附加值：环节附加值评分1–5，换算为(评分−1)/4",
        "value added: the segment's value-added score 1-5, counted as (score - 1)/4",
    ),
    "gain": (
        "升级增益：与相邻本地环节相比复杂度（附加值与技术密集度的平均）提升多少，除以4并截断到0–1",
        "upgrade gain: the step up in complexity (mean of value added and technology intensity) over the "
        "adjacent local segment, divided by 4 and clipped to 0-1",
    ),
    "weakness": (
        "薄弱度（0–1）：已有企业但薄弱的程度，取以下信号的最大值：关键环节仅一家企业、区位熵低于1、产能低于本地需求、关键环节缺链主",
        "weakness (0-1): how weak a present segment is, the largest of: one firm in a critical segment, LQ below 1, "
        "capacity below local demand, no chain leader in a critical segment",
    ),
    "lq": (
        "区位熵 LQ：本地该环节企业占本地生产企业的比例 ÷ 参照（全国）比例；大于1为相对集聚，小于1为相对薄弱；无参照数据时不计算",
        "location quotient (LQ): the segment's share of the local producing firms ÷ its reference (national) share; "
        "above 1 = concentrated here, below 1 = weak; not computed without a reference share",
    ),
    "policy": (
        "政策鼓励：有鼓励类政策覆盖该环节时优先级乘以1.15（上限1），理由中引用政策",
        "policy encouragement: an encouraging policy covering the segment multiplies the priority by 1.15 "
        "(at most 1) and is quoted in the rationale",
    ),
    "local_count": (
        "本地企业：该地区在该环节生产的企业数（在建、签约项目及待确认的归属不计）",
        "local firms: firms of the region producing in the segment (projects under construction or signed and "
        "pending assignments do not count)",
    ),
}

#: Directions of an 延链 (extend) item (``GapItem.directions``).
EXTEND_DIRECTION: Labels = {
    "downstream": ("向下游延伸", "downstream"),
    "upstream": ("向上游配套", "upstream"),
    "sub_segment": ("细分环节", "sub-segment"),
    "cross_chain": ("跨链协同", "cross-chain"),
}

#: Position of a segment in its chain (:class:`chainmap.models.Stage`).
SEGMENT_STAGE: Labels = {
    "upstream": ("上游", "upstream"),
    "midstream": ("中游", "midstream"),
    "downstream": ("下游", "downstream"),
}

#: Kind of a link between two segments (:class:`chainmap.models.LinkKind`).
LINK_KIND: Labels = {
    "supplies": ("供应关系", "supplies"),
    "part_of": ("细分关系", "part of"),
    "enables": ("技术支撑", "enables"),
}

#: Role of an enterprise in a segment (:class:`chainmap.models.Role`).
ROLE: Labels = {
    "producer": ("生产", "producer"),
    "user": ("使用", "user"),
}

#: Enterprise tags (:class:`chainmap.models.Tag`); the Chinese label is accepted on input.
TAG: Labels = {
    "chain_leader": ("链主", "chain leader"),
    "chain_core": ("链核", "chain core"),
    "little_giant": ("专精特新小巨人", "little giant"),
    "specialized": ("专精特新", "specialised"),
    "gazelle": ("瞪羚", "gazelle"),
    "unicorn": ("独角兽", "unicorn"),
    "listed": ("上市", "listed"),
    "global500": ("世界500强", "Global 500"),
    "china500": ("中国500强", "China 500"),
    "private500": ("民营500强", "Private 500"),
    "industry_top100": ("行业100强", "industry top 100"),
}

#: Kind of a region (:class:`chainmap.models.RegionKind`).
REGION_KIND: Labels = {
    "city": ("市", "city"),
    "county": ("县（市、区）", "county"),
    "zone": ("开发区", "development zone"),
}

#: How sure the seed is of a fact (:class:`chainmap.models.Confidence`).
CONFIDENCE: Labels = {
    "high": ("高", "high"),
    "medium": ("中", "medium"),
    "low": ("低（待核实）", "low (to confirm)"),
}

# ---------------------------------------------------------------- investment projects

#: Stage of an investment project: the main line 线索 → 达效, then the side states 搁置 / 终止.
PROJECT_STAGE: Labels = {
    "lead": ("线索", "lead"),
    "contacted": ("对接", "contacted"),
    "negotiating": ("洽谈", "negotiating"),
    "signed": ("签约", "signed"),
    "started": ("开工", "started"),
    "in_production": ("投产", "in production"),
    "at_design_output": ("达效", "at design output"),
    "on_hold": ("搁置", "on hold"),
    "dropped": ("终止", "dropped"),
}

#: 招商专班 (city-level special team) or 招商小分队 (county squad).
TASK_FORCE_KIND: Labels = {
    "special_team": ("招商专班", "special team"),
    "squad": ("招商小分队", "squad"),
}

#: The 七跟法: seven ways of following a project up.
FOLLOW_UP_METHOD: Labels = {
    "classified": ("分类跟", "by category"),
    "on_site": ("实地跟", "on site"),
    "regular": ("定期跟", "regular"),
    "professional": ("专业跟", "professional"),
    "continuous": ("持续跟", "continuous"),
    "joint": ("拼着跟", "joint"),
    "analytical": ("研判跟", "analytical"),
}

#: 困难问题 / 诉求 raised on a project, and their handling status.
ISSUE_KIND: Labels = {
    "problem": ("困难问题", "problem"),
    "request": ("诉求", "request"),
}
ISSUE_STATUS: Labels = {
    "open": ("待办", "open"),
    "in_progress": ("办理中", "in progress"),
    "resolved": ("已解决", "resolved"),
}

#: The annual targets (年度目标) of a unit, field -> label with its unit (``chainmap.projects.models.Target``).
TARGET_FIELD: Labels = {
    "signed_count": ("签约项目数（个）", "signed projects (count)"),
    "signed_value": ("签约金额（亿元）", "signed value (100m CNY)"),
    "open_start_rate": ("开工率（%）", "start rate (%)"),
    "new_fixed_asset": ("新开工固定资产投资（亿元）", "new fixed-asset investment (100m CNY)"),
    "funds_fixed": ("固定资产到位资金（亿元）", "fixed-asset funds in place (100m CNY)"),
    "funds_non_fixed": ("非固定资产到位资金（亿元）", "other funds in place (100m CNY)"),
    "start_rate": ("签约开工率（%）", "signed-to-started rate (%)"),
    "production_rate": ("开工投产率（%）", "started-to-production rate (%)"),
    "output_rate": ("投产达效率（%）", "production-to-output rate (%)"),
}
#: Whose targets: the whole city, a county or zone, or a task force.
TARGET_UNIT: Labels = {
    "city": ("全市", "whole city"),
    "region": ("县（市、区）或开发区", "county or zone"),
    "task_force": ("招商队伍", "task force"),
}

# ---------------------------------------------------------------- local census (chainmap.census)

#: Kind of an imported local register (``census_import`` records).
REGISTER_KIND: Labels = {
    "规上名录": ("规上工业企业名录", "above-scale industrial enterprise register"),
    "企查查": ("企查查/天眼查导出", "company-database export"),
    "园区名单": ("开发区/园区企业名单", "development-zone member list"),
    "专业镇": ("专业镇企业名单", "specialist-town member list"),
}

#: Presence state of a segment in a region (:mod:`chainmap.census.coverage`).
PRESENCE_STATE: Labels = {
    "present": ("有本地企业", "present"),
    "absent": ("已核实缺失", "absent (verified)"),
    "unknown": ("未核实", "unknown"),
}

#: Why an absence is confirmed (``planner``, ``register``, ``list``) or not (the others).
ABSENCE_BASIS: Labels = {
    "planner": ("规划人员已确认缺失", "confirmed absent by a planner"),
    "register": ("完整名录已覆盖该行业", "a complete register covers the industry"),
    "list": ("按给定名录视为完整", "the given list taken as complete"),
    "no_register": ("本地企业名录未导入", "no local register imported"),
    "incomplete": ("已导入的名录不完整", "the imported registers are incomplete"),
    "codes": ("已导入的名录未覆盖该环节的行业代码", "the imported registers do not cover its industry codes"),
    "pending": ("有待审核的企业归属", "assignments waiting for review"),
}

#: Why an assignment or a firm is in the review queue (:mod:`chainmap.census.review`).
REVIEW_REASON: Labels = {
    "low_confidence": ("置信度低于自动采纳阈值", "confidence below the auto-accept threshold"),
    "conflict": ("行业代码与文本归属冲突", "industry code and text disagree"),
    "unassigned": ("未归入任何环节", "no segment assigned"),
}

#: A planner's review decision.
REVIEW_ACTION: Labels = {
    "accept": ("采纳", "accept"),
    "reject": ("驳回", "reject"),
    "set": ("改为", "set"),
}

#: Every vocabulary by the name it has in :func:`catalogue` and :func:`label`.
VOCABULARIES: dict[str, Labels] = {
    "gap_status": GAP_STATUS,
    "gap_status_meaning": GAP_STATUS_MEANING,
    "gap_component": GAP_COMPONENT,
    "gap_term_meaning": GAP_TERM_MEANING,
    "extend_direction": EXTEND_DIRECTION,
    "segment_kind": SEGMENT_KIND,
    "policy_kind": POLICY_KIND,
    "segment_stage": SEGMENT_STAGE,
    "link_kind": LINK_KIND,
    "role": ROLE,
    "tag": TAG,
    "region_kind": REGION_KIND,
    "confidence": CONFIDENCE,
    "project_stage": PROJECT_STAGE,
    "task_force_kind": TASK_FORCE_KIND,
    "follow_up_method": FOLLOW_UP_METHOD,
    "issue_kind": ISSUE_KIND,
    "issue_status": ISSUE_STATUS,
    "target_field": TARGET_FIELD,
    "target_unit": TARGET_UNIT,
    "register_kind": REGISTER_KIND,
    "presence_state": PRESENCE_STATE,
    "absence_basis": ABSENCE_BASIS,
    "review_reason": REVIEW_REASON,
    "review_action": REVIEW_ACTION,
}


def zh_labels(vocabulary: Labels) -> dict[str, str]:
    """code -> Chinese label of one vocabulary.

    >>> zh_labels(ROLE)
    {'producer': '生产', 'user': '使用'}
    """
    return {code: zh for code, (zh, _en) in vocabulary.items()}


def _vocabulary(name: str) -> Labels:
    try:
        return VOCABULARIES[name]
    except KeyError:
        raise InvalidInput(
            f"unknown vocabulary {name!r}; valid: {', '.join(VOCABULARIES)}", field="vocabulary"
        ) from None


def label(vocabulary: str, code: str, lang: str = "zh") -> str:
    """The label of ``code`` in ``vocabulary`` (a key of :data:`VOCABULARIES`) for ``lang``.

    InvalidInput naming the vocabulary and the valid codes for an unknown code.
    """
    labels = _vocabulary(vocabulary)
    pair = labels.get(str(code))
    if pair is None:
        what = vocabulary.replace("_", " ")
        raise InvalidInput(f"unknown {what} code {code!r}; valid: {', '.join(labels)}", field=vocabulary)
    return pair[1] if norm_lang(lang) == "en" else pair[0]


def catalogue(lang: str = "zh") -> dict[str, Any]:
    """The whole catalogue for ``lang``, as served by ``GET /labels``.

    ``{"lang": ..., "<vocabulary>": {code: label, ...}, ..., "gap_status_colours":
    {status: {"stroke": ..., "fill": ...}}, "gap_status_targets": [status, ...]}``; every
    vocabulary in display order (``gap_status_targets``: the statuses leads are ranked for).
    InvalidInput (field ``lang``) for a language other than zh / en.
    """
    lg = norm_lang(lang)
    i = 1 if lg == "en" else 0
    out: dict[str, Any] = {"lang": lg}
    for name, labels in VOCABULARIES.items():
        out[name] = {code: pair[i] for code, pair in labels.items()}
    out["gap_status_colours"] = {s: {"stroke": st, "fill": fi} for s, (st, fi) in GAP_STATUS_COLOURS.items()}
    out["gap_status_targets"] = list(GAP_TARGET_STATUSES)
    return out


#: Appended to a Chinese name that stands in for a missing English name (English output).
ZH_FALLBACK_MARK = "（zh）"


def english_name(name_en: str | None, name_zh: str) -> str:
    """The English name to show: ``name_en``, or the Chinese name marked ``（zh）`` when absent.

    The one fallback rule for chains and segments without an English name (the models
    apply it on validation, so every English output shows the same marked name).

    >>> english_name("Photovoltaics", "光伏"), english_name(None, "光伏"), english_name(" ", "光伏")
    ('Photovoltaics', '光伏（zh）', '光伏（zh）')
    """
    v = (name_en or "").strip()
    return v if v else f"{name_zh}{ZH_FALLBACK_MARK}"


def is_fallback_name(name_en: str, name_zh: str) -> bool:
    """True when ``name_en`` is the marked Chinese fallback of :func:`english_name`.

    >>> is_fallback_name("光伏（zh）", "光伏"), is_fallback_name("PV", "光伏")
    (True, False)
    """
    return name_en == f"{name_zh}{ZH_FALLBACK_MARK}"
