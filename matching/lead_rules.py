"""Lead rules: which (candidate, gap) pairs are leads, and how they are flagged.

These rules decide *eligibility* and *labels*; the score (:mod:`matching.scoring`)
only orders the pairs that pass them.  Every rule is data below and is
explained in each lead (``relation``, ``investor``, ``flags``, ``reason``).

1. **Gap statuses (allow-list).**  Only gaps whose status is in
   :data:`LEAD_STATUSES` — 补链 ``fill``, 强链 ``strengthen``, 延链 ``extend`` —
   get leads.  ``sound`` 健全, ``not_priority`` 暂不布局, ``unsuitable`` 不适宜
   (an endowment, or restricted by policy) and ``unverified`` 待核实 never do,
   nor does any status not in the list.
2. **Role-aware fit.**  A lead for gap segment S *produces* S (``relation``
   ``producer``: S is among its produced segments — product text naming what a
   firm buys or sells to does not count, :mod:`matching.mapping`), or, for a
   强链 gap only, produces a direct input T of S (``relation`` ``supplier``: T
   supplies S in the chain graph) where T itself may be attracted (T is not
   ``unsuitable``: no ore miner or restricted capacity as a supplier).  A firm
   whose segments are only downstream of S *buys* S: it is never a lead for S.
3. **Competitor awareness.**  A producer of S where a local 链主 (chain leader)
   or 链核 (chain core) produces S is a rival (flag ``rival`` 同业竞争,
   "需链主意见"), unless it belongs to that firm's own group.  Rivals are left
   out by default; with ``include_rivals`` they are listed after every
   complementary lead.  A lead whose produced segment (S, or the supplied
   input T) is a *material* direct input of a local 链主's segment gets the
   链主配套 term (pair feature ``fit_leader_input``, flag ``leader_supplier``):
   a ``supplies`` link whose stated ``weight`` (share of the target's inputs) is
   below :data:`MIN_INPUT_WEIGHT` is a minor input (copper or magnesium as an
   alloying element of aluminium alloy) and makes neither a 链主配套 term nor a
   强链 supplier relation; a link without a weight counts as material.
   **同业 (peer).**  For a 强链 gap S whose local producers include a major firm
   (tags :data:`PEER_TAGS`: listed, 世界/中国/民营500强, 行业100强, 链主, 链核), a
   candidate producing S is a same-trade peer of that firm (flag ``peer`` 同业,
   "需征求本地企业意见"), treated like a rival (left out by default, listed after
   the complementary leads with ``include_rivals``) -- unless the gap is weak in
   *capacity* (local capacity below local demand, gap component
   ``weak_capacity > 0``): then a second producer meets real local demand.  A
   强链 gap's complementary leads are the suppliers of its material inputs.
5. **Policy conditions.**  A gap covered by a ``conditional`` policy keeps its
   status (and a lower priority, :mod:`chainmap.analysis.gaps`); each of its
   leads carries the flag ``policy_condition`` and the reason "政策条件：…"
   with the condition (:func:`policy_conditions`).
4. **Group awareness.**  A candidate whose normalised name or ``group``
   contains the normalised group of a local enterprise
   (:func:`group_key`; e.g. 中国铝业股份有限公司 and 中国铝业集团 both contain
   中国铝业, the group of 中铝山西新材料) is an existing investor: ``investor``
   ``existing`` (增资扩产) with the local subsidiaries named, never ``new``.

>>> is_lead_status("strengthen"), is_lead_status("unsuitable"), is_lead_status("sound")
(True, False, False)
>>> group_key("中国铝业（集团）有限公司"), group_key("中国铝业股份有限公司"), group_key("北京建龙重工集团有限公司")
('中国铝业', '中国铝业', '北京建龙重工')
>>> group_matches("北京建龙重工", None, {"北京建龙": ("山西建龙",)})  # the local group key is contained
('山西建龙',)
>>> group_matches("某某科技", "中国铝业集团有限公司", {"中国铝业": ("中铝山西新材料",)})  # via its group column
('中铝山西新材料',)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chainmap.labels import GAP_TARGET_STATUSES
from chainmap.models import MIN_INPUT_WEIGHT as _MIN_INPUT_WEIGHT
from chainmap.names import normalize_company_name

__all__ = [
    "LEAD_STATUSES",
    "UNSUITABLE_STATUSES",
    "RELATIONS",
    "INVESTORS",
    "FLAGS",
    "RIVAL_TAGS",
    "MIN_GROUP_KEY",
    "MIN_INPUT_WEIGHT",
    "PEER_TAGS",
    "is_lead_status",
    "is_peer_gap",
    "policy_conditions",
    "group_key",
    "group_matches",
    "unsuitable_segments",
]

#: The allow-list of gap statuses that get leads (rule 1).
LEAD_STATUSES: frozenset[str] = frozenset(GAP_TARGET_STATUSES)  # the one vocabulary (chainmap.labels)
#: Statuses whose segment cannot be attracted, not even as a supplier of another gap (rule 2).
UNSUITABLE_STATUSES: frozenset[str] = frozenset({"unsuitable"})
#: Relation of a lead to its gap segment (zh, en).
RELATIONS: dict[str, tuple[str, str]] = {
    "producer": ("生产该环节", "produces the gap segment"),
    "supplier": ("为该环节供应直接上游", "produces a direct input of the gap segment"),
}
#: Investor kind (zh, en).
INVESTORS: dict[str, tuple[str, str]] = {
    "new": ("新引进", "new investor"),
    "existing": ("增资扩产", "existing investor: expansion"),
}
#: Flags a lead may carry (zh, en).
FLAGS: dict[str, tuple[str, str]] = {
    "rival": ("同业竞争（需链主意见）", "rival of a local chain leader/core (ask the chain leader)"),
    "peer": ("同业（需征求本地企业意见）", "same trade as a major local producer (ask the local firm)"),
    "policy_condition": ("政策条件", "policy condition"),
    "existing_group": ("增资扩产（集团已在运城）", "existing investor (its group is already in Yuncheng)"),
    "leader_supplier": ("链主配套", "supplies a local chain leader"),
    "risk_note": ("风险提示", "risk note"),
    "unverified_gap": ("缺口待核实：先核实本地有无企业", "gap unverified: check for local firms first"),
}
#: Local enterprise tags that make same-segment producers rivals (rule 3).
RIVAL_TAGS: frozenset[str] = frozenset({"chain_leader", "chain_core"})
#: Local enterprise tags that make a local producer a *major* firm: same-segment producers of a
#: 强链 gap it produces are its peers (同业), unless the gap is weak in capacity (rule 3).
PEER_TAGS: frozenset[str] = frozenset(
    {"chain_leader", "chain_core", "listed", "global500", "china500", "private500", "industry_top100"}
)
#: Smallest stated share of the target's inputs that makes a ``supplies`` link a material input
#: (链主配套 and the 强链 supplier relation): the chain model's rule, :data:`chainmap.models.MIN_INPUT_WEIGHT`.
MIN_INPUT_WEIGHT = _MIN_INPUT_WEIGHT
#: Shortest group key that is matched (shorter keys would match unrelated firms).
MIN_GROUP_KEY = 2


def is_lead_status(status: Any) -> bool:
    """True if a gap of this status gets leads (the allow-list :data:`LEAD_STATUSES`)."""
    return str(getattr(status, "value", status)) in LEAD_STATUSES


def group_key(name: str | None) -> str:
    """Matching key of a company or group name: :func:`chainmap.names.normalize_company_name`
    (legal forms and a trailing 集团 stripped); ``""`` for none."""
    if not name or not str(name).strip():
        return ""
    return normalize_company_name(str(name))


def group_matches(name_key: str, group: str | None, local_groups: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Local enterprises whose group a candidate belongs to (rule 4): the local
    group key is contained in the candidate's name key or its group's key."""
    keys = [k for k in (name_key, group_key(group)) if k]
    out: list[str] = []
    for gk, firms in local_groups.items():
        if len(gk) >= MIN_GROUP_KEY and any(gk in k for k in keys):
            out.extend(f for f in firms if f not in out)
    return tuple(out)


def unsuitable_segments(gap_items: Iterable[Any]) -> set[str]:
    """Segment ids whose status is in :data:`UNSUITABLE_STATUSES`."""
    out = set()
    for g in gap_items:
        get = g.get if isinstance(g, Mapping) else (lambda k, _g=g: getattr(_g, k, None))
        if str(getattr(get("status"), "value", get("status"))) in UNSUITABLE_STATUSES:
            out.add(str(get("segment_id")))
    return out


def _field(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def is_peer_gap(item: Any) -> bool:
    """True if same-segment producers of this gap are peers (同业) of its local major producers
    (rule 3): a 强链 gap not weak in capacity (``components["weak_capacity"]`` is 0 or absent).
    Whether a major local producer is present is the segment context's part (``peers_of``).

    >>> is_peer_gap({"status": "strengthen", "components": {"weak_single": 0.7}})
    True
    >>> is_peer_gap({"status": "strengthen", "components": {"weak_capacity": 0.4}})
    False
    >>> is_peer_gap({"status": "fill", "components": {}})
    False
    """
    if item is None:
        return False
    status = _field(item, "status")
    if str(getattr(status, "value", status)) != "strengthen":
        return False
    comps = _field(item, "components") or {}
    return float(comps.get("weak_capacity", 0.0) or 0.0) <= 0.0


def policy_conditions(item: Any, lang: str = "zh") -> list[str]:
    """The conditions of the ``conditional`` policies applied to a gap item (rule 5), each
    ``condition（《title》）``; English text when ``lang="en"`` and the policy gives one.

    >>> policy_conditions({"policies": [{"kind": "conditional", "title": "示例", "condition": "仅限规划区外",
    ...                                  "condition_en": "outside planning areas only"},
    ...                                 {"kind": "encouraged", "title": "鼓励", "condition": ""}]})
    ['仅限规划区外（《示例》）']
    """
    out = []
    for p in (_field(item, "policies") or []) if item is not None else []:
        if _field(p, "kind") != "conditional":
            continue
        title = _field(p, "title", "")
        if lang == "en":
            out.append(f'{_field(p, "condition_en") or _field(p, "condition", "")} ("{title}")')
        else:
            out.append(f"{_field(p, 'condition', '')}（《{title}》）")
    return out
