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
from typing import TYPE_CHECKING

from chainmap.i18n import pick
from chainmap.labels import EXTEND_DIRECTION, GAP_STATUS

if TYPE_CHECKING:
    import networkx as nx

    from chainmap.analysis.gaps_models import GapItem

__all__ = ["STATUS_LABELS", "segment_name", "join", "fmt", "num", "rationale"]


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


def rationale(
    G: nx.DiGraph,
    it: GapItem,
    reasons: Sequence[str],
    demand_firms: int,
    dominated: int,
    cap: tuple[float, float, str] | None,
    crit_thr: float,
    lang: str,
) -> str:
    """One sentence quoting the numbers behind the status of ``it``.

    Parameters
    ----------
    G : networkx.DiGraph
        The chain graph (for the names of demand and adjacent segments).
    it : GapItem
        The classified item (status, counts, criticality, density ...).
    reasons : sequence of str
        Why the status was chosen: fill reasons (``demand``, ``critical``,
        ``dense``) or weaknesses (``single``, ``lq``, ``capacity``, ``no_leader``).
    demand_firms : int
        Distinct local producers of the item's demand segments.
    dominated : int
        Downstream segments the segment dominates.
    cap : (float, float, str), optional
        Local capacity, local demand and their unit when capacity is short.
    crit_thr : float
        The chain's criticality threshold.
    lang : {"zh", "en"}
    """
    zh = lang != "en"
    label = STATUS_LABELS[it.status][0 if zh else 1]
    label = label if zh else label.capitalize()
    crit = pick(lang, f"关键度{fmt(it.criticality)}", f"criticality {fmt(it.criticality)}")
    if dominated > 0:
        crit += pick(lang, f"（支配{dominated}个下游环节）", f" (dominates {dominated} downstream segments)")
    if it.chokepoint:
        crit += pick(lang, "，属卡脖子环节", ", a chokepoint technology")
    dens = pick(lang, f"关联密度{fmt(it.density)}", f"relatedness density {fmt(it.density)}")

    def demand_parts() -> list[str]:
        out = []
        if it.demand_segments:
            seg_names = join([segment_name(G, s, lang) for s in it.demand_segments], lang)
            out.append(
                pick(
                    lang,
                    f"下游{seg_names}环节有{demand_firms}家本地企业需要",
                    f"{demand_firms} local firms downstream in {seg_names} need it",
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

    parts: list[str] = []
    if it.status == "fill":
        parts.append(pick(lang, f"{it.segment_name}本地无企业", f"{it.segment_name} has no local firm"))
        parts.extend(demand_parts() or [pick(lang, "本地暂无直接需求", "no direct local demand")])
        parts.append(crit)
        if "dense" in reasons or it.density > 0:
            parts.append(dens)
    elif it.status == "strengthen":
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
        if "capacity" in reasons and cap is not None:
            s, dmd, unit = cap
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
    elif it.status == "extend":
        adj = join([segment_name(G, a, lang) for a in it.adjacent_segments], lang)
        if zh:
            dirs = "、".join(EXTEND_DIRECTION[x][0] for x in it.directions)
            parts.append(f"{it.segment_name}本地无企业，与本地优势环节{adj}相邻（{dirs}）")
        else:
            dirs = ", ".join(EXTEND_DIRECTION[x][1] for x in it.directions)
            parts.append(
                f"{it.segment_name} has no local firm but is adjacent to local strengths {adj} ({dirs})"
            )
        parts.append(dens)
        parts.append(pick(lang, f"附加值{it.value_added}/5", f"value added {it.value_added}/5"))
        gain = it.components.get("gain", 0.0)
        if gain > 0:
            parts.append(pick(lang, f"复杂度提升{fmt(gain)}", f"complexity gain {fmt(gain)}"))
        parts.append(crit)
    elif it.local_count > 0:
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
    else:  # absent and not a target: say so first, so "sound" is not read as "fine"
        why = crit + pick(lang, f"低于{fmt(crit_thr)}", f" below {fmt(crit_thr)}")
        return pick(
            lang,
            f"{label}：{it.segment_name}本地无企业，暂无本地需求，非当前重点"
            f"（{why}，且不与本地企业环节相邻）",
            f"{label}: {it.segment_name} has no local firm and no local demand yet: not a current "
            f"priority ({why}; no local neighbouring segment)",
        )
    sep = "，" if zh else "; "
    colon = "：" if zh else ": "
    return f"{label}{colon}{sep.join(parts)}"
