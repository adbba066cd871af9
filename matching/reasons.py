"""Reason sentences of ranked leads (text only; the numbers come from
:mod:`matching.ranking` and :mod:`matching.scoring`).

A reason is built from the largest feature contributions of a (candidate, gap)
pair, e.g. ``补链：本地缺少湿法隔膜；该企业主营湿法隔膜，近三年新建2个基地，总部位于长三角``
(Chinese first, English with ``lang="en"``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from chainmap.i18n import pick
from matching.features import FEATURE_NAMES, N_GAP, N_PAIR, CandidateMatrix, GapSpec, SegmentContext
from matching.geo import SOURCE_REGION_LABELS

__all__ = ["reason_sentence", "STATUS_PREFIX", "TAG_LABELS"]

#: Head of a reason per gap status (zh, en); ``{seg}`` is the gap segment.
STATUS_PREFIX = {
    "fill": ("补链：本地缺少{seg}", "Fill: Yuncheng lacks {seg}"),
    "strengthen": ("强链：本地{seg}环节薄弱", "Strengthen: {seg} is weak locally"),
    "extend": ("延链：可延伸至{seg}", "Extend: the chain can reach {seg}"),
    "sound": ("{seg}", "{seg}"),
}
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
        return pick(lang, f"该企业主营{seg}", f"the firm makes {seg}")
    if feature in ("fit_supplies", "fit_buys", "fit_related"):
        mine = cm.M[row].indices
        if feature == "fit_supplies":
            rel = [s for s in mine if ctx.A[s, g.col]]
            return pick(lang, f"该企业的{_names(ctx, rel, lang)}可为{seg}供货",
                        f"its {_names(ctx, rel, lang)} supplies {seg}")  # fmt: skip
        if feature == "fit_buys":
            rel = [s for s in mine if ctx.A[g.col, s]]
            return pick(lang, f"该企业的{_names(ctx, rel, lang)}需要{seg}配套",
                        f"its {_names(ctx, rel, lang)} buys {seg}")  # fmt: skip
        rel = [s for s in mine if ctx.R[s, g.col]]
        return pick(
            lang,
            f"主营{_names(ctx, rel, lang)}，与{seg}相关",
            f"its {_names(ctx, rel, lang)} is related to {seg}",
        )
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
) -> str:
    """Reason built from the largest contributions: the gap ("补链：本地缺少X"),
    then the strongest segment-fit phrase and the next largest positive
    contributions that have a phrase; risk flags are noted at the end.

    Only features the candidate actually has (``values[f] > 0``) are named: a
    positive contribution of an absent trait (a learned model rewarding *not*
    being somewhere) is not a reason to state."""
    has = (lambda f: values.get(f, 0.0) > 0) if values is not None else (lambda f: True)  # noqa: E731
    zh, en = STATUS_PREFIX.get(g.status, STATUS_PREFIX["sound"])
    seg = ctx.names_en[g.col] if lang == "en" else g.segment_name
    head = pick(lang, zh, en).format(seg=seg)
    fits = [
        f
        for f in ("fit_exact", "fit_supplies", "fit_buys", "fit_related")
        if contributions.get(f, 0.0) > 0 and has(f)
    ]
    fits.sort(key=lambda f: -contributions[f])
    phrases: list[str] = []
    if fits:
        p = _phrase(fits[0], cm, ctx, row, g, lang)
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
    text = head + (pick(lang, "；", "; ") + pick(lang, "，", ", ").join(phrases) if phrases else "")
    risks = cm.X[row, list(FEATURE_NAMES[N_PAIR + N_GAP :]).index("risk_penalty")]
    if risks > 0:
        text += pick(lang, f"（注意：有{risks:.0f}项风险记录）", f" (caution: {risks:.0f} risk flag(s))")
    return text
