"""Rationale sentences of the gap analysis (zh / en): the prose behind each status.

:mod:`chainmap.analysis.gaps` classifies and computes the numbers; this module
only turns an item's numbers into one sentence quoting them, e.g.
``补链：电池包本地无企业，下游整车环节有1家本地企业需要，关键度0.65（支配1个下游环节），关联密度0.50``.

>>> fmt(0.5), num(2.0), join(["a", "b", "c", "d", "e"], "en")
('0.50', '2', 'a, b, c, d and 1 more')
>>> join(["甲", "乙", "丙", "丁", "戊"], "zh")
'甲、乙、丙、丁等5个'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chainmap.i18n import pick
from chainmap.labels import EXTEND_DIRECTION, GAP_STATUS, GAP_TARGET_STATUSES, SEGMENT_KIND

if TYPE_CHECKING:
    import networkx as nx

    from chainmap.analysis.gaps_models import GapItem

__all__ = ["STATUS_LABELS", "RationaleFacts", "segment_name", "join", "fmt", "num", "rationale"]


#: status -> (Chinese, English) label.
STATUS_LABELS: dict[str, tuple[str, str]] = dict(GAP_STATUS)


def segment_name(G: nx.DiGraph, n: str, lang: str) -> str:
    """The segment's name in ``lang`` (its id when it has none)."""
    d = G.nodes[n]
    return str(d.get("name_en") if lang == "en" else d.get("name_zh")) or n


def join(names: Sequence[str], lang: str, limit: int = 4) -> str:
    """At most ``limit`` names joined, with the number left out."""
    sep = ", " if lang == "en" else "、"
    shown = list(names[:limit])
    more = len(names) - len(shown)
    text = sep.join(shown)
    if more > 0:
        text += pick(lang, f"等{len(names)}个", f" and {more} more")
    return text


def fmt(x: float) -> str:
    """Two decimals."""
    return f"{x:.2f}"


def num(x: float) -> str:
    """Shortest general form."""
    return f"{x:g}"


@dataclass(frozen=True)
class RationaleFacts:
    """What the sentence quotes beyond the item's fields.

    ``reasons``: fill reasons (``demand``, ``critical``, ``dense``), weaknesses (``single``,
    ``lq``, ``capacity``, ``no_leader``) or why a segment is not a target (``endowment``,
    ``policy``, ``county_fit``, ``service``); ``demand_firms``: distinct local firms of the
    demand segments (producers, or adopters of adopter segments); ``dominated``: downstream
    segments the segment dominates; ``cap``: local capacity, local demand and their unit
    when capacity is short; ``crit_thr``: the chain's criticality threshold; ``adopters`` /
    ``users``: names of the segment's local adopters / users; ``would_be``: the status an
    ``unverified`` segment would have; ``county``: the region is a county or a zone;
    ``absence_note``: the census clause of an absence (who confirmed it, or why it is not
    confirmed and what to import; empty: the given list is taken as complete).
    """

    reasons: Sequence[str] = ()
    demand_firms: int = 0
    dominated: int = 0
    cap: tuple[float, float, str] | None = None
    crit_thr: float = 0.0
    adopters: Sequence[str] = field(default_factory=list)
    users: Sequence[str] = field(default_factory=list)
    would_be: str | None = None
    county: bool = False
    absence_note: str = ""


def _policy_text(it: GapItem, lang: str, *, quote: bool = True, kinds: Sequence[str] | None = None) -> str:
    """``《title》number（source）：“quote”`` of each applied policy (without the quote when
    ``quote`` is False; only the policies of ``kinds`` when given)."""
    out = []
    for p in it.policies:
        if kinds is not None and p["kind"] not in kinds:
            continue
        doc = p["document"]
        if lang == "en":
            text = f'"{p["title"]}"{" " + doc if doc else ""} ({p["source"]})'
            out.append(f"{text}: \u201c{p['quote']}\u201d" if quote else text)
        else:
            text = f"《{p['title']}》{doc}（{p['source']}）"
            out.append(f"{text}：“{p['quote']}”" if quote else text)
    return "；".join(out) if lang != "en" else "; ".join(out)


def rationale(G: nx.DiGraph, it: GapItem, facts: RationaleFacts, lang: str) -> str:
    """One sentence quoting the numbers behind the status of ``it``.

    Parameters
    ----------
    G : networkx.DiGraph
        The chain graph (for the names of demand and adjacent segments).
    it : GapItem
        The classified item (status, kind, counts, criticality, density, policies ...).
    facts : RationaleFacts
        The reasons and numbers behind the status that are not fields of ``it``.
    lang : {"zh", "en"}
    """
    zh = lang != "en"
    reasons = facts.reasons
    status = facts.would_be if it.status == "unverified" and facts.would_be else it.status
    label = STATUS_LABELS[it.status][0 if zh else 1]
    label = label if zh else label.capitalize()
    crit = pick(lang, f"关键度{fmt(it.criticality)}", f"criticality {fmt(it.criticality)}")
    if facts.dominated > 0:
        crit += pick(
            lang,
            f"（支配{facts.dominated}个下游环节）",
            f" (dominates {facts.dominated} downstream segments)",
        )
    if it.chokepoint:
        crit += pick(lang, "，属卡脖子环节", ", a chokepoint technology")
    dens = pick(lang, f"关联密度{fmt(it.density)}", f"relatedness density {fmt(it.density)}")
    if it.status == "unverified" and facts.absence_note:
        basis_zh, basis_en = "名录未收录", "none in the list"
    elif facts.absence_note:
        basis_zh = basis_en = facts.absence_note
    else:
        basis_zh, basis_en = "据现有名录", "per the list"
    none_here = pick(
        lang,
        f"{it.segment_name}本地无企业（{basis_zh}）",
        f"{it.segment_name} has no local firm ({basis_en})",
    )

    def demand_parts() -> list[str]:
        out = []
        if it.demand_segments:
            seg_names = join([segment_name(G, s, lang) for s in it.demand_segments], lang)
            out.append(
                pick(
                    lang,
                    f"下游{seg_names}环节有{facts.demand_firms}家本地企业需要",
                    f"{facts.demand_firms} local firms downstream in {seg_names} need it",
                )
            )
        if it.local_users:
            out.append(
                pick(
                    lang,
                    f"{it.local_users}家本地企业使用该环节产品",
                    f"{it.local_users} local firms use its output",
                )
            )
        return out

    def fit_part() -> str | None:
        if not facts.county or not it.fit:
            return None
        names = {
            "demand": ("有本地需求", "local demand"),
            "inputs": ("有本地上游投入", "local inputs"),
            "adjacent": ("与本地优势环节相邻", "an adjacent local strength"),
        }
        held = [names[x][0 if zh else 1] for x in it.fit]
        return pick(lang, f"县域适配：{'、'.join(held)}", f"county fit: {', '.join(held)}")

    def policy_tail() -> list[str]:
        out: list[str] = []
        for p in it.policies:  # a conditional entry: the condition, in every status it leaves alone
            if p["kind"] == "conditional" and it.status != "unsuitable":
                doc = p["document"]
                cond = (p.get("condition_en") or p.get("condition", "")) if not zh else p.get("condition", "")
                cited = (
                    f"《{p['title']}》{doc}（{p['source']}）" if zh
                    else f'"{p["title"]}"{" " + doc if doc else ""} ({p["source"]})'
                )  # fmt: skip
                out.append(pick(lang, f"政策条件：{cond}（{cited}）", f"policy condition: {cond} ({cited})"))
        if any(p["kind"] == "encouraged" for p in it.policies) and it.status in GAP_TARGET_STATUSES:
            cited = _policy_text(it, lang, quote=False, kinds=("encouraged",))
            out.append(pick(lang, f"政策鼓励：{cited}", f"encouraged by {cited}"))
        return out

    def firms_text(names: Sequence[str]) -> str:
        return join(list(names), lang, limit=3)

    parts: list[str] = []
    if it.kind == "adopter":
        kind_zh = SEGMENT_KIND["adopter"][0]
        if facts.adopters:
            parts.append(
                pick(
                    lang,
                    f"{it.segment_name}为{kind_zh}，本地{len(facts.adopters)}家企业已应用（{firms_text(facts.adopters)}）",
                    f"{it.segment_name} is an adopter segment: {len(facts.adopters)} local firms adopt it "
                    f"({firms_text(facts.adopters)})",
                )
            )
            parts.append(
                pick(lang, "计为其供给与支撑环节的本地需求", "counted as local demand of its suppliers")
            )
        else:
            parts.append(
                pick(
                    lang,
                    f"{it.segment_name}为{kind_zh}，本地暂无记录的应用企业",
                    f"{it.segment_name} is an adopter segment with no recorded local adopter",
                )
            )
        parts.append(pick(lang, "不作为招商对象", "not a target for attraction itself"))
    elif "endowment" in reasons:
        parts.append(
            pick(
                lang,
                f"{it.segment_name}属资源禀赋，不能通过招商引进，不作为补链/延链对象",
                f"{it.segment_name} is a resource endowment: it cannot be attracted and is never a fill or extend target",
            )
        )
        if it.local_enterprises:
            names = firms_text([e["name"] for e in it.local_enterprises])
            parts.append(
                pick(
                    lang,
                    f"本地有{it.local_count}家相关企业（{names}）",
                    f"{it.local_count} local firms ({names})",
                )
            )
        else:
            parts.append(pick(lang, "本地名录无该环节企业", "no local firm of it in the list"))
        parts.extend(demand_parts() or [pick(lang, "本地暂无直接使用企业", "no direct local user")])
    elif "policy" in reasons:
        parts.append(
            pick(
                lang,
                f"{it.segment_name}受政策限制，不作为招商对象：{_policy_text(it, lang)}",
                f"{it.segment_name} is restricted by policy and is not a target: {_policy_text(it, lang)}",
            )
        )
        if it.local_enterprises:
            names = firms_text([e["name"] for e in it.local_enterprises])
            parts.append(
                pick(
                    lang,
                    f"本地现有{it.local_count}家企业（{names}），不新增产能的技术改造不在此列",
                    f"{it.local_count} local firms ({names}); upgrades that add no capacity are not covered",
                )
            )
    elif status == "fill":
        parts.append(none_here)
        parts.extend(demand_parts() or [pick(lang, "本地暂无直接需求", "no direct local demand")])
        parts.append(crit)
        if "dense" in reasons or it.density > 0:
            parts.append(dens)
        fp = fit_part()
        if fp:
            parts.append(fp)
        if it.kind == "service":
            parts.append(pick(lang, "服务环节，依本地需求布局", "a service segment, placed by local demand"))
    elif status == "strengthen":
        firms = join([e["name"] for e in it.local_enterprises], lang, limit=3)
        if it.local_count == 1:
            parts.append(
                pick(
                    lang,
                    f"{it.segment_name}本地仅1家企业（{firms}）",
                    f"{it.segment_name} has a single local firm ({firms})",
                )
            )
        else:
            parts.append(
                pick(
                    lang,
                    f"{it.segment_name}本地有{it.local_count}家企业（{firms}）",
                    f"{it.segment_name} has {it.local_count} local firms ({firms})",
                )
            )
        parts.append(crit)
        if "lq" in reasons and it.lq is not None:
            parts.append(pick(lang, f"区位商{fmt(it.lq)}低于1", f"location quotient {fmt(it.lq)} below 1"))
        if "capacity" in reasons and facts.cap is not None:
            s, dmd, unit = facts.cap
            parts.append(
                pick(
                    lang,
                    f"本地产能{num(s)}{unit}低于本地需求{num(dmd)}{unit}",
                    f"local capacity {num(s)} {unit} below local demand {num(dmd)} {unit}".replace("  ", " "),
                )
            )
        if not it.has_chain_leader:
            parts.append(pick(lang, "无链主/链核企业", "no chain leader or core firm"))
        parts.extend(demand_parts())
    elif status == "extend":
        adj = join([segment_name(G, a, lang) for a in it.adjacent_segments], lang)
        if zh:
            dirs = "、".join(EXTEND_DIRECTION[x][0] for x in it.directions)
            parts.append(f"{it.segment_name}本地无企业（{basis_zh}），与本地优势环节{adj}相邻（{dirs}）")
        else:
            dirs = ", ".join(EXTEND_DIRECTION[x][1] for x in it.directions)
            parts.append(
                f"{it.segment_name} has no local firm ({basis_en}) but is adjacent to local strengths {adj} ({dirs})"
            )
        parts.append(dens)
        parts.append(pick(lang, f"附加值{it.value_added}/5", f"value added {it.value_added}/5"))
        gain = it.components.get("gain", 0.0)
        if gain > 0:
            parts.append(pick(lang, f"复杂度提升{fmt(gain)}", f"complexity gain {fmt(gain)}"))
        parts.append(crit)
        fp = fit_part()
        if fp:
            parts.append(fp)
    elif status == "sound":
        lead = pick(lang, "（含链主/链核）", " (incl. a chain leader/core)") if it.has_chain_leader else ""
        parts.append(
            pick(
                lang,
                f"{it.segment_name}本地有{it.local_count}家企业{lead}",
                f"{it.segment_name} has {it.local_count} local firms{lead}",
            )
        )
        parts.append(crit)
        parts.append(pick(lang, "暂无明显短板", "no evident weakness"))
    elif "county_fit" in reasons:  # not_priority: a critical segment without county fit
        parts.append(none_here)
        parts.append(crit)
        parts.append(
            pick(
                lang,
                "虽为产业链关键环节，但本地无需求、无本地上游投入、无相邻本地优势环节，"
                "不宜作为县域招商重点（宜由市级或省级统筹布局）",
                "critical for the chain, but with no local demand, no local input and no adjacent "
                "local strength it is not a county priority (a matter for the city or the province)",
            )
        )
    elif "service" in reasons:  # not_priority: a service without local clients
        parts.append(none_here)
        parts.append(
            pick(
                lang,
                "服务环节，暂无本地需求，非当前重点",
                "a service segment with no local demand yet: not a current priority",
            )
        )
        parts.append(crit)
    else:  # not_priority
        why = crit + pick(lang, f"低于{fmt(facts.crit_thr)}", f" below {fmt(facts.crit_thr)}")
        parts.append(none_here)
        parts.append(
            pick(
                lang,
                f"暂无本地需求，非当前重点（{why}，且不与本地企业环节相邻）",
                f"no local demand yet: not a current priority ({why}; no local neighbouring segment)",
            )
        )
    parts.extend(policy_tail())
    sep = "，" if zh else "; "
    colon = "：" if zh else ": "
    text = f"{label}{colon}{sep.join(parts)}"
    if it.status == "unverified" and facts.would_be and facts.absence_note:
        would = STATUS_LABELS[facts.would_be][0 if zh else 1]
        text = pick(
            lang,
            f"{label}：本地企业名录未收录{it.segment_name}企业，但缺失未经核实，不作为确认的缺口——{facts.absence_note}；"
            f"若确认缺失则为{would}（{sep.join(parts)}）",
            f"{label}: no local firm of {it.segment_name} on record, but the absence is not verified and is not a "
            f"confirmed gap -- {facts.absence_note}; if confirmed: {would} ({sep.join(parts)})",
        )
    elif it.status == "unverified" and facts.would_be:
        would = STATUS_LABELS[facts.would_be][0 if zh else 1]
        text = pick(
            lang,
            f"{label}：本地名录未收录{it.segment_name}企业，但该地区名录不完整，缺失未经确认；若确认缺失则为{would}"
            f"（{sep.join(parts)}）",
            f"{label}: no local firm of {it.segment_name} in the list, but the region's list is not complete, so "
            f"the absence is not confirmed; if confirmed: {would} ({sep.join(parts)})",
        )
    return text
