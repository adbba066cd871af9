"""The one label catalogue: every user-facing vocabulary of chainmap in Chinese and English.

Each vocabulary maps a stable code (the value stored and sent over the API) to a
``(Chinese, English)`` pair, in display order.  Python code takes its labels from here
(:func:`label`, or the vocabulary constants); the web page loads the same catalogue from
``GET /api/v1/labels?lang=zh|en`` (:func:`catalogue`), so a label is written once.

English labels are lower case where the code already reads as English (``fill``,
``upstream``); a renderer that wants a heading capitalises it (the SVG's ``Fill``).
For the investment-project vocabularies the English label *is* the code
(``in_production``), as the project reports print it today.

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
    "GAP_COMPONENT",
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
    "VOCABULARIES",
    "zh_labels",
    "label",
    "catalogue",
]

#: code -> (Chinese label, English label), in display order.
Labels = dict[str, tuple[str, str]]

# ---------------------------------------------------------------- chain map and gap analysis

#: Gap status of a segment (强链 / 补链 / 延链 / 健全), in display order.
GAP_STATUS: Labels = {
    "fill": ("补链", "fill"),
    "strengthen": ("强链", "strengthen"),
    "extend": ("延链", "extend"),
    "sound": ("健全", "sound"),
}

#: Gap status -> (stroke, fill) colour: 补链 red, 强链 amber, 延链 blue, 健全 green;
#: ``none`` for a segment without a gap item.  Used by the SVG diagram, the HTML report
#: and the web page's badges.
GAP_STATUS_COLOURS: dict[str, tuple[str, str]] = {
    "fill": ("#c0392b", "#fbdcd8"),
    "strengthen": ("#b7791f", "#fdefc8"),
    "extend": ("#2b6cb0", "#d7e7f8"),
    "sound": ("#2f855a", "#d9f0df"),
    "none": ("#718096", "#f4f5f7"),
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
    "in_production": ("投产", "in_production"),
    "at_design_output": ("达效", "at_design_output"),
    "on_hold": ("搁置", "on_hold"),
    "dropped": ("终止", "dropped"),
}

#: 招商专班 (city-level special team) or 招商小分队 (county squad).
TASK_FORCE_KIND: Labels = {
    "special_team": ("招商专班", "special_team"),
    "squad": ("招商小分队", "squad"),
}

#: The 七跟法: seven ways of following a project up.
FOLLOW_UP_METHOD: Labels = {
    "classified": ("分类跟", "classified"),
    "on_site": ("实地跟", "on_site"),
    "regular": ("定期跟", "regular"),
    "professional": ("专业跟", "professional"),
    "continuous": ("持续跟", "continuous"),
    "joint": ("拼着跟", "joint"),
    "analytical": ("研判跟", "analytical"),
}

#: Every vocabulary by the name it has in :func:`catalogue` and :func:`label`.
VOCABULARIES: dict[str, Labels] = {
    "gap_status": GAP_STATUS,
    "gap_component": GAP_COMPONENT,
    "extend_direction": EXTEND_DIRECTION,
    "segment_stage": SEGMENT_STAGE,
    "link_kind": LINK_KIND,
    "role": ROLE,
    "tag": TAG,
    "region_kind": REGION_KIND,
    "confidence": CONFIDENCE,
    "project_stage": PROJECT_STAGE,
    "task_force_kind": TASK_FORCE_KIND,
    "follow_up_method": FOLLOW_UP_METHOD,
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
    {status: {"stroke": ..., "fill": ...}}}``; every vocabulary in display order.
    InvalidInput (field ``lang``) for a language other than zh / en.
    """
    lg = norm_lang(lang)
    i = 1 if lg == "en" else 0
    out: dict[str, Any] = {"lang": lg}
    for name, labels in VOCABULARIES.items():
        out[name] = {code: pair[i] for code, pair in labels.items()}
    out["gap_status_colours"] = {s: {"stroke": st, "fill": fi} for s, (st, fi) in GAP_STATUS_COLOURS.items()}
    return out
