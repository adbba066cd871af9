"""Reason sentences of ranked leads (text only; the numbers come from
:mod:`matching.ranking` and :mod:`matching.scoring`).

A reason names the gap, the relation of the firm to it (it *produces* the gap
segment, or — 强链 — produces a direct input for the local producers), the lead
rule flags (增资扩产 with the local subsidiary, 链主配套 with the 链主, 同业竞争
with "需链主意见") and the next largest contributions, e.g.
``补链：本地缺少湿法隔膜；该企业生产湿法隔膜，近三年新建2个基地，总部位于长三角``
or ``强链：本地整车环节薄弱；该企业生产汽车零部件，是整车的直接上游，可为本地大运汽车配套；链主配套``
(Chinese first, English with ``lang="en"``).  A buyer of the gap segment is
never a lead (:mod:`matching.lead_rules`), so no reason says a buyer "supplies" it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from chainmap.i18n import pick
from matching.features import FEATURE_NAMES, N_GAP, N_PAIR, CandidateMatrix, GapSpec, SegmentContext
from matching.geo import SOURCE_REGION_LABELS
from matching.lead_rules import policy_conditions

__all__ = ["reason_sentence", "flag_phrases", "leaders_fed_by", "STATUS_PREFIX", "PENDING_PREFIX", "TAG_LABELS"]

#: Head of a reason per gap status (zh, en); ``{seg}`` is the gap segment.
STATUS_PREFIX = {
    "fill": ("补链：本地缺少{seg}", "Fill: Yuncheng lacks {seg}"),
    "strengthen": ("强链：本地{seg}环节薄弱", "Strengthen: {seg} is weak locally"),
    "extend": ("延链：可延伸至{seg}", "Extend: the chain can reach {seg}"),
    "sound": ("{seg}", "{seg}"),
}
#: Head of a reason for an unverified (待核实) gap ranked as its would-be status.
PROVISIONAL_PREFIX = (
    "待核实：本地企业名录未覆盖{seg}，若核实本地确无企业则为{would}",
    "Unverified: the local census does not cover {seg}; {would} if no local firm is confirmed",
)
#: Head of a reason for an unverified gap whose absence is unknown because local assignments to
#: the segment await review (absence basis ``pending``): the list does cover it, pending a decision.
PENDING_PREFIX = (
    "待核实：本地已有{seg}企业归属待审核，审核确认前不作为缺口；若审核后本地确无企业则为{would}",
    "Unverified: local assignments to {seg} await review; not a gap until reviewed; {would} if none is confirmed",
)


def _absence_basis(g: GapSpec) -> str | None:
    item = g.item
    if item is None:
        return None
    basis = item.get("absence_basis") if isinstance(item, Mapping) else getattr(item, "absence_basis", None)
    return None if basis is None else str(basis)


#: Phrase of a tag feature (zh, en).
TAG_LABELS = {
    "tag_global500": ("世界500强", "a Fortune Global 500 firm"),
    "tag_china500": ("中国500强", "a China Top 500 firm"),
    "tag_private500": ("民营500强", "a Top 500 private firm"),
    "tag_industry_top100": ("行业100强", "an industry top-100 firm"),
    "tag_listed": ("上市公司", "listed"),
    "tag_little_giant": ("专精特新小巨人", "a specialised 'little giant'"),
    "tag_chain_leader": ("链主企业", "a chain leader"),
    "tag_gazelle": ("瞪羚企业", "a gazelle firm"),
    "tag_unicorn": ("独角兽企业", "a unicorn"),
}


def _names(ctx: SegmentContext, cols: Iterable[int], lang: str, limit: int = 2) -> str:
    names = [ctx.names_en[c] if lang == "en" else ctx.names_zh[c] for c in cols][:limit]
    return pick(lang, "、", ", ").join(names)


def _phrase(
    feature: str, cm: CandidateMatrix, ctx: SegmentContext, row: int, g: GapSpec, lang: str
) -> str | None:
    seg = ctx.names_en[g.col] if lang == "en" else g.segment_name
    raw = cm.raw
    if feature == "fit_exact":
        kind = ctx.kinds[g.col] if ctx.kinds else "product"
        verb = _VERBS.get(kind, _VERBS["other"])
        if kind == "product" and g.segment_name.endswith(_ACTIVITY_ENDINGS):
            verb = _VERBS["other"]  # 动力电池回收利用, 充换电运营: an activity, not a thing made
        made = _made(cm, ctx, row, g.col)
        sub = [c for c in made if c != g.col]
        what = _names(ctx, sub, lang) if sub and g.col not in made else seg
        return pick(lang, f"该企业{verb[0]}{what}", f"the firm {verb[1]} {what}")
    if feature == "fit_supplies":
        own = set(_made(cm, ctx, row, g.col))
        rel = [s for s in _inputs(cm, ctx, row, g.col) if s not in own]
        local = _local(ctx.local_producers.get(g.col, ()), lang)
        return pick(
            lang,
            f"该企业生产{_names(ctx, rel, lang)}，是{seg}的直接上游，可为本地{local or seg + '企业'}配套",
            f"it makes {_names(ctx, rel, lang)}, a direct input of {seg}, for the local "
            f"{local or seg + ' producers'}",
        )
    if feature in ("fit_buys", "fit_related", "fit_leader_input"):
        return None  # never a reason by itself (buyers are not leads; 链主配套 is a flag)
    if feature == "scale_revenue":
        rev = raw["revenue_cny_100m"][row]
        return None if math.isnan(rev) else pick(lang, f"营收{rev:g}亿元", f"revenue CNY {rev / 10:g} bn")
    if feature == "scale_employees":
        e = raw["employees"][row]
        return None if math.isnan(e) else pick(lang, f"员工{e:,.0f}人", f"{e:,.0f} employees")
    if feature in TAG_LABELS:
        zh, en = TAG_LABELS[feature]
        return pick(lang, zh, en)
    if feature == "growth_revenue":
        gr = raw["revenue_growth"][row]
        return None if math.isnan(gr) else pick(lang, f"营收增长{gr:.0%}", f"revenue growth {gr:.0%}")
    if feature == "valuation":
        v = raw["valuation_usd_bn"][row]
        return None if math.isnan(v) else pick(lang, f"估值{v * 10:g}亿美元", f"valued at USD {v:g} bn")
    if feature == "expansions":
        e = raw["expansions_3y"][row]
        return (
            None
            if math.isnan(e)
            else pick(lang, f"近三年新建{e:.0f}个基地", f"opened {e:.0f} new bases in three years")
        )
    if feature in ("hq_jjj", "hq_yrd", "hq_gba"):
        zh, en = SOURCE_REGION_LABELS[feature[3:]]
        return pick(lang, f"总部位于{zh}", f"headquartered in {en}")
    if feature == "proximity":
        d = raw["distance_km"][row]
        return (
            None
            if math.isnan(d)
            else pick(lang, f"总部距运城约{d:.0f}公里", f"headquarters about {d:.0f} km from Yuncheng")
        )
    if feature == "shanxi_presence":
        return pick(lang, "已在山西布局", "already present in Shanxi")
    if feature == "tie_local":
        return pick(lang, "与本地企业存在供需关系", "trades with segments where local firms operate")
    if feature == "tie_leader":
        return pick(lang, "可与本地链主上下游配套", "can supply or buy from a local chain leader")
    return None


#: Verb of the producer relation per segment kind (zh, en).
_VERBS = {"product": ("生产", "makes"), "service": ("提供", "provides"), "other": ("从事", "works in")}
#: Endings of product-segment names that name an activity: the firm 从事 it rather than 生产 it.
_ACTIVITY_ENDINGS = ("回收利用", "回收", "利用", "运营", "服务", "维修", "检测", "再制造")


def _made(cm: CandidateMatrix, ctx: SegmentContext, row: int, col: int) -> list[int]:
    """The candidate's produced segments that are ``col`` or a sub-segment of it."""
    mine = cm.M[row].indices.tolist()
    if ctx.down is None:
        return [s for s in mine if s == col]
    return [s for s in mine if ctx.down[s, col]]


def _inputs(cm: CandidateMatrix, ctx: SegmentContext, row: int, col: int) -> list[int]:
    """The candidate's produced segments that directly supply ``col`` or a sub-segment of it."""
    targets = [col] if ctx.down is None else ctx.down[:, col].nonzero()[0].tolist()
    A = ctx.inputs  # material inputs only (matching.lead_rules.MIN_INPUT_WEIGHT)
    return [s for s in cm.M[row].indices.tolist() if any(A[s, t] for t in targets)]


def _local(names: Iterable[str], lang: str, limit: int = 2) -> str:
    return pick(lang, "、", ", ").join(list(names)[:limit])


def leaders_fed_by(cm: CandidateMatrix, ctx: SegmentContext, row: int, g: GapSpec) -> tuple[str, ...]:
    """The local 链主 a lead can supply through its produced segment (the gap segment or, for
    强链, the input it supplies), its own group's local firms left out (supplying one's own
    subsidiary is an expansion, not 链主配套)."""
    via = _made(cm, ctx, row, g.col) + _inputs(cm, ctx, row, g.col)
    own = set(cm.affiliates[row]) if len(cm.affiliates) else set()
    return tuple(dict.fromkeys(n for s in via for n in ctx.leaders_fed.get(s, ()) if n not in own))


def flag_phrases(
    cm: CandidateMatrix,
    ctx: SegmentContext,
    row: int,
    g: GapSpec,
    lang: str,
    *,
    rival: bool,
    leader_input: bool,
    rival_via: tuple[list[int], tuple[str, ...]] = ([], ()),
    conditions: list[str] | None = None,
) -> list[str]:
    """The lead-rule sentences of a lead: 增资扩产 (local subsidiary named), 链主配套
    (the 链主 named), 同业竞争 (the local 链主/链核 named, 需链主意见)."""
    out: list[str] = []
    aff = list(cm.affiliates[row]) if len(cm.affiliates) else []
    seg = ctx.names_en[g.col] if lang == "en" else g.segment_name
    if aff:
        out.append(pick(lang, f"增资扩产：集团已在运城设有{_local(aff, lang)}，按现有投资者对接",
                        f"existing investor: its group already has {_local(aff, lang)} in Yuncheng (expansion)"))  # fmt: skip
    fed = leaders_fed_by(cm, ctx, row, g) if leader_input else ()
    if fed:
        out.append(pick(lang, f"链主配套：可为本地链主{_local(fed, lang)}配套",
                        f"chain-leader supplier: can supply the local chain leader {_local(fed, lang)}"))  # fmt: skip
    via, via_names = rival_via
    if rival and via:  # a 强链 supplier only through inputs local leaders / major firms already make
        segs = pick(lang, "、", ", ").join(ctx.names_en[t] if lang == "en" else ctx.names_zh[t] for t in via)
        chief = [n for t in via for n in ctx.rivals_of.get(t, ()) if n in via_names]
        riv = _local(via_names, lang)
        if chief:
            out.append(pick(lang, f"同业竞争：所供{segs}本地{riv}已生产，需链主意见",
                            f"rival: the {segs} it would supply is made locally by {riv}; ask the chain leader"))  # fmt: skip
        else:
            out.append(pick(lang, f"同业：所供{segs}本地{riv}已生产，引进同业需征求本地企业意见",
                            f"same trade: the {segs} it would supply is made locally by {riv}; ask the local firm"))  # fmt: skip
        return _conditions(out, g, lang, conditions)
    leaders = [n for n in ctx.rivals_of.get(g.col, ()) if n not in aff]
    if rival and leaders:
        riv = _local(leaders, lang)
        out.append(pick(lang, f"同业竞争：与本地{riv}同产{seg}，需链主意见",
                        f"rival: makes {seg} like the local {riv}; ask the chain leader"))  # fmt: skip
    elif rival:
        riv = _local([n for n in ctx.peers_of.get(g.col, ()) if n not in aff], lang)
        out.append(pick(lang, f"同业：与本地{riv}同产{seg}，本地该环节并非产能不足，引进同业需征求本地企业意见",
                        f"same trade: makes {seg} like the local {riv}; local capacity is not short, "
                        "so ask the local firm before attracting a peer"))  # fmt: skip
    return _conditions(out, g, lang, conditions)


def _conditions(out: list[str], g: GapSpec, lang: str, conditions: list[str] | None) -> list[str]:
    """The 政策条件 sentences: ``conditions`` when given (:func:`matching.ranking.lead_conditions`),
    else those of the gap."""
    for cond in policy_conditions(g.item, lang) if conditions is None else conditions:
        out.append(pick(lang, f"政策条件：{cond}", f"policy condition: {cond}"))
    return out


def reason_sentence(
    cm: CandidateMatrix,
    ctx: SegmentContext,
    row: int,
    g: GapSpec,
    contributions: Mapping[str, float],
    lang: str = "zh",
    *,
    values: Mapping[str, float] | None = None,
    n_reasons: int = 3,
    relation: str | None = None,
    rival: bool = False,
    rival_via: tuple[list[int], tuple[str, ...]] = ([], ()),
    conditions: list[str] | None = None,
) -> str:
    """Reason built from the lead rules and the largest contributions: the gap
    ("补链：本地缺少X"), the relation (生产 X, or 供应 X 的直接上游), then the next
    largest positive contributions that have a phrase, then the flags
    (:func:`flag_phrases`); risk flags and notes are noted at the end.

    Only features the candidate actually has (``values[f] > 0``) are named: a
    positive contribution of an absent trait (a learned model rewarding *not*
    being somewhere) is not a reason to state."""
    has = (lambda f: values.get(f, 0.0) > 0) if values is not None else (lambda f: True)  # noqa: E731
    zh, en = STATUS_PREFIX.get(g.status, STATUS_PREFIX["sound"])
    seg = ctx.names_en[g.col] if lang == "en" else g.segment_name
    head = pick(lang, zh, en).format(seg=seg)
    if g.provisional:
        wz, we = PENDING_PREFIX if _absence_basis(g) == "pending" else PROVISIONAL_PREFIX
        label = {"fill": ("补链", "fill"), "extend": ("延链", "extend"), "strengthen": ("强链", "strengthen")}
        lz, le = label.get(g.status, (g.status, g.status))
        head = pick(lang, wz, we).format(seg=seg, would=pick(lang, lz, le))
    if relation is None:
        relation = "producer" if (values or {}).get("fit_exact", 1.0) > 0 else "supplier"
    phrases: list[str] = []
    p = _phrase("fit_exact" if relation == "producer" else "fit_supplies", cm, ctx, row, g, lang)
    if p:
        phrases.append(p)
    others = sorted(
        (
            f
            for f, c in contributions.items()
            if c > 0 and has(f) and not f.startswith(("fit_", "gap_")) and not f.endswith("_missing")
        ),
        key=lambda f: -contributions[f],
    )
    for f in others:
        if len(phrases) >= n_reasons:
            break
        p = _phrase(f, cm, ctx, row, g, lang)
        if p and p not in phrases:
            phrases.append(p)
    sep = pick(lang, "；", "; ")
    text = head + (sep + pick(lang, "，", ", ").join(phrases) if phrases else "")
    leader_input = (values or {}).get("fit_leader_input", 0.0) > 0
    for f in flag_phrases(
        cm, ctx, row, g, lang, rival=rival, leader_input=leader_input, rival_via=rival_via, conditions=conditions
    ):
        text += sep + f
    risks = cm.X[row, list(FEATURE_NAMES[N_PAIR + N_GAP :]).index("risk_penalty")]
    notes = list(cm.risk_notes[row]) if len(cm.risk_notes) else []
    if risks > 0:
        text += pick(lang, f"（注意：有{risks:.0f}项风险记录", f" (caution: {risks:.0f} risk record(s)")
        if notes:
            text += pick(lang, f"，含风险提示：{'、'.join(notes)}", f", incl. notes: {', '.join(notes)}")
        text += pick(lang, "）", ")")
    return text
