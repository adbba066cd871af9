"""强链 / 补链 / 延链: classify every segment of a chain for one region.

:func:`analyze_gaps` is the entry point.  For a region (运城市 ``yuncheng``, a
county or a development zone; an enterprise counts for its county, its zone and
the city) and a chain (or every top-level chain) it computes, per segment:

presence
    the local producers (role ``producer``), their number, their output
    (亿元) and capacity when known, whether a 链主 / 链核 is among them, and a
    location quotient ``LQ = (n_s / N) / reference_share`` where the seed gives
    a reference share (``N`` = local producing firms of the region in the chain
    analysed, ``parameters["local_producers.<chain>"]``), else ``None`` (presence
    by count only).
local demand
    the local segments directly downstream through ``supplies`` links that have
    local producers (``demand_segments``) plus local firms with role ``user`` of
    the segment; ``demand_count`` is the number of distinct such firms.
criticality
    :func:`chainmap.analysis.criticality.chain_criticality`: each chain's segments scored on
    the chain plus its linked neighbours in other chains (not on the whole store graph).
relatedness density
    ``omega = sum_k M_k phi_ks / sum_k phi_ks`` via
    :func:`chainmap.analysis.relatedness.density`, for each chain over its
    segments and their linked neighbours.  ``phi`` is the co-occurrence
    proximity of segments within enterprises (all enterprises of the data,
    role producer) when at least :data:`COOCCURRENCE_MIN_FIRMS` enterprises
    produce in two or more of those segments and they cover at least
    :data:`COOCCURRENCE_MIN_COVERAGE` of the chain's segments; otherwise the
    adjacency of the undirected link graph (any link kind).

Classification (exactly one status per segment)
-----------------------------------------------
With ``n`` local producers, ``d`` local demand firms, criticality ``C`` and density
``omega``; *critical* means ``C > 0`` and ``C >= min(CRIT_HIGH, the chain's
CRIT_QUANTILE-quantile of C)`` (reported as ``parameters["crit_threshold.<chain>"]``).
The rules apply in this order; the first that matches decides:

1. ``kind: adopter`` (智能工厂, 5G工厂: an application of other segments, never a 招商
   target).  Its *adopters* are the local firms recorded in it or in its sub-segments
   (any role); they count as local demand of every segment that ``supplies`` or
   ``enables`` it.  Status ``sound`` (健全) with adopters, else ``not_priority`` (暂不布局).
2. ``kind: endowment`` (ores, brine, dolomite, herb land): ``unsuitable`` (不适宜), the
   rationale says it is a resource endowment and shows the local presence (local firms
   in it, local demand downstream).  Never 补链 / 延链.
3. A ``restricted`` or ``banned`` policy covering the segment in the region
   (:mod:`chainmap.policies`): ``unsuitable``, the policy quoted (title, number, source).
4. ``n >= 1``: ``strengthen`` (强链) when weak -- a single local firm in a critical
   segment, ``LQ < 1``, local capacity below local demand (capacities of producers vs.
   of users, same unit), or no 链主 / 链核 in a critical segment -- else ``sound`` (健全,
   present and not weak).
5. ``n == 0`` and the absence is not confirmed (the ``absence_confirmed`` hook):
   ``unverified`` (待核实), priority 0, never a target; the rationale says why the absence
   is not confirmed, what to import, and the status the segment would have
   (``would_be``, with ``provisional_priority``, which orders the unverified items).
6. ``n == 0``: ``fill`` (补链) when ``d > 0``, or critical, or ``omega >= DENSITY_HIGH``
   with at least :data:`DENSITY_MIN_RELATED` related local segments.  A ``service``
   segment serves local clients: only ``d > 0`` makes it a fill.  County fit: in a county
   or a zone a critical segment counts as critical only when local demand, a local input
   (a local producer of a direct supplier segment) or an adjacent local strength holds;
   ``GapItem.fit`` and the rationale say which; otherwise the rationale says why a
   national chokepoint is not a county priority.
7. ``n == 0``, not fill, adjacent to a local segment: ``extend`` (延链) -- a local
   supplier or enabler (``downstream``), a local segment it supplies two steps up or
   enables (``upstream``, securing inputs), a local parent / child segment
   (``sub_segment``) or a local segment of another chain (``cross_chain``).
8. Otherwise ``not_priority`` (暂不布局: absent, no local need, no local neighbour).

No segment without a local producer (or, for an adopter, a local adopter) is ever
``sound``.  Adopter segments are not local presence for adjacency, density or demand
(their firms are adopters, counted as demand of their suppliers).

A single firm or a missing 链主 / 链核 counts as a weakness only in a critical
segment: a young cluster has one non-leading firm in most of its segments, and
flagging every one of them would drown the segments the chain hinges on.  The
location quotient and capacity signals apply everywhere, when the data give them.

Absences.  The seed's enterprise list is hand-collected from public sources, not a
census.  The service (:func:`chainmap.service.gap_report`, used by every front door)
passes the census rule :func:`chainmap.census.coverage.absence_rule`: an absence is
confirmed only where a planner confirmed it (an ``absence_confirmation`` record, with
who and when, optionally a source) or where a complete register covering the segment's
industry codes and the region was imported; every other absence is ``unverified`` and
its rationale names the reason (``本地企业名录未导入``, an incomplete register, codes not
covered, assignments pending review) and what to import.  On the shipped seed nothing is
imported and the seed states no absence with a source, so every absence there is
``unverified``.  :func:`seed_absence_confirmed`, the default hook of :func:`analyze_gaps`
called on its own, takes the given list as complete (hand-made data, tests); its
rationales say so (``据现有名录``).

Priorities (all terms in [0, 1])
--------------------------------
``D = d / (d + 2)``, ``V = (value_added - 1) / 4``::

    fill        P = 0.35 D + 0.30 C + 0.20 omega + 0.15 V
    strengthen  P = W (0.35 D + 0.30 C + 0.15 V)
    extend      P = 0.40 omega + 0.25 V + 0.20 gain + 0.15 C
    other       P = 0   (sound, not_priority, unsuitable, unverified)

``W = max`` of the weakness signals (``single = C`` if one firm, ``lq = 1 - LQ``,
``capacity = 1 - supply / demand``, ``no_leader = C / 2``), and ``gain`` is the
step up in complexity ``((value_added + tech_intensity) / 2)`` from the least
complex adjacent local segment, divided by 4 and clipped to [0, 1].

A ``conditional`` policy (a restriction that holds only under a condition, e.g. new foundry
capacity barred inside city and county planning areas only) does not change the status: a fill /
strengthen / extend segment stays one, its priority is multiplied by ``1 - CONDITIONAL_PENALTY``
(``components["policy_condition"]`` holds the penalty), the rationale says ``政策条件：…`` with the
condition and the policy cited, and every lead of the segment carries the condition
(:mod:`matching.lead_rules`).  A restriction or ban wins over a conditional entry.

An ``encouraged`` policy covering a fill / strengthen / extend segment multiplies its
priority by ``1 + ENCOURAGED_BOOST`` (capped at 1; ``components["policy"]`` holds the
boost): a policy tilts the order between comparable gaps, it does not make a segment a
gap.

Adding a local producer to a fill segment never raises its priority: the
segment becomes strengthen or sound; ``D``, ``C`` and ``V`` of the segment do
not change (its demand comes from its successors and users, criticality is
structural) and ``W <= 1``, so ``P_strengthen <= 0.35 D + 0.30 C + 0.15 V <=
P_fill`` and ``P_sound = 0`` (the policy boost multiplies both alike).

>>> from chainmap.models import Chain, Segment, Link, Enterprise, Region
>>> d = ChainData(
...     chains=[Chain(id="qi", name_zh="汽车", name_en="Vehicles", letter="汽")],
...     segments=[Segment(id="qi.cell", chain="qi", name_zh="电芯", name_en="Cells", stage="upstream"),
...               Segment(id="qi.pack", chain="qi", name_zh="电池包", name_en="Packs", stage="midstream"),
...               Segment(id="qi.car", chain="qi", name_zh="整车", name_en="Vehicles", stage="downstream")],
...     links=[Link(source="qi.cell", target="qi.pack"), Link(source="qi.pack", target="qi.car")],
...     regions=[Region(id="yuncheng", kind="city", name_zh="运城市", name_en="Yuncheng"),
...              Region(id="yanhu", kind="county", name_zh="盐湖区", name_en="Yanhu", parent="yuncheng")],
...     enterprises=[Enterprise(id="ent.a", name="甲汽车", county="yanhu", segments=[{"segment": "qi.car"}])])
>>> rep = analyze_gaps(d)
>>> [(i.segment_id, i.status) for i in rep.items]
[('qi.pack', 'fill'), ('qi.cell', 'fill'), ('qi.car', 'sound')]
>>> rep.items[0].priority, rep.items[0].components["demand"]
(0.4867, 0.3333)
>>> rep.items[0].rationale
'补链：电池包本地无企业（据现有名录），下游整车环节有1家本地企业需要，关键度0.65（支配1个下游环节），关联密度0.50'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from chainmap.analysis.criticality import chain_criticality as _criticality
from chainmap.analysis.criticality import rank_firm_extraction as _rank_firms
from chainmap.analysis.gaps_density import (
    COOCCURRENCE_MIN_COVERAGE,
    COOCCURRENCE_MIN_FIRMS,
    _producer_pairs,
    _scope_density,
    relatedness_density,
)
from chainmap.analysis.gaps_models import (
    Absence,
    EnterpriseRef,
    GapItem,
    GapReport,
    LeaderCandidate,
    PolicyRef,
    Status,
)
from chainmap.analysis.gaps_text import STATUS_LABELS, RationaleFacts, rationale, segment_name
from chainmap.data import ChainData, local_enterprises
from chainmap.exceptions import InvalidInput, NotFound
from chainmap.graph import chain_segments
from chainmap.i18n import norm_lang
from chainmap.labels import GAP_STATUS, GAP_TARGET_STATUSES, SEGMENT_KIND
from chainmap.models import Enterprise, Region, RegionKind, Role, SegmentKind, Tag, is_minor_input
from chainmap.policies import Policy, PolicyIndex

__all__ = [
    "Status",
    "Absence",
    "AbsenceHook",
    "STATUSES",
    "TARGET_STATUSES",
    "STATUS_LABELS",
    "ENCOURAGED_BOOST",
    "CONDITIONAL_PENALTY",
    "CRIT_HIGH",
    "CRIT_QUANTILE",
    "DENSITY_HIGH",
    "DENSITY_MIN_RELATED",
    "LQ_LOW",
    "COOCCURRENCE_MIN_FIRMS",
    "COOCCURRENCE_MIN_COVERAGE",
    "FILL_WEIGHTS",
    "STRENGTHEN_WEIGHTS",
    "EXTEND_WEIGHTS",
    "EnterpriseRef",
    "PolicyRef",
    "GapItem",
    "LeaderCandidate",
    "GapReport",
    "local_enterprises",
    "region_ids",
    "analysis_chains",
    "relatedness_density",
    "fill_priority",
    "strengthen_priority",
    "extend_priority",
    "analyze_gaps",
    "seed_absence_confirmed",
    "restrict_report",
    "select_items",
]

#: The ``absence_confirmed`` hook: ``(region, segment) -> bool | Absence``.
AbsenceHook = Callable[[str, str], "bool | Absence"]

#: The statuses in display order.
STATUSES: tuple[str, ...] = tuple(GAP_STATUS)
#: The statuses that are 招商 targets (fill, strengthen, extend): leads are ranked for these only.
TARGET_STATUSES: tuple[str, ...] = GAP_TARGET_STATUSES
#: Priority multiplier of an encouraged policy: ``P * (1 + ENCOURAGED_BOOST)``, capped at 1.
ENCOURAGED_BOOST = 0.15
#: Priority multiplier of a conditional policy: ``P * (1 - CONDITIONAL_PENALTY)`` (the activity is
#: allowed only under the policy's condition, e.g. outside the planning areas: fewer sites, more checks).
CONDITIONAL_PENALTY = 0.25

#: Criticality at or above which a segment counts as critical ...
CRIT_HIGH = 0.5
#: ... or, when lower, the chain's 75th percentile of criticality (scores are relative to the
#: most critical segment of the whole graph, so a small chain may never reach CRIT_HIGH).
CRIT_QUANTILE = 0.75
#: Density at or above which an absent segment is a fill target ...
DENSITY_HIGH = 0.6
#: ... provided at least this many related segments are local (one neighbour is adjacency, not density).
DENSITY_MIN_RELATED = 2
#: Location quotient below which a present segment is under-represented.
LQ_LOW = 1.0
#: Half-saturation of the demand term ``D = d / (d + DEMAND_HALF)``.
DEMAND_HALF = 2.0

FILL_WEIGHTS: dict[str, float] = {"demand": 0.35, "criticality": 0.30, "density": 0.20, "value_added": 0.15}
STRENGTHEN_WEIGHTS: dict[str, float] = {"demand": 0.35, "criticality": 0.30, "value_added": 0.15}
EXTEND_WEIGHTS: dict[str, float] = {"density": 0.40, "value_added": 0.25, "gain": 0.20, "criticality": 0.15}

_LEADER_TAGS = (Tag.chain_leader, Tag.chain_core)
_ROUND = 4
_TOP_LEADERS = 5
_LETTER_ORDER = {"合": 0, "汽": 1, "生": 2, "材": 3}


# ---------------------------------------------------------------- regions and presence


def region_ids(data: ChainData) -> list[str]:
    """Valid region ids, sorted."""
    return sorted(r.id for r in data.regions)


def _region(data: ChainData, region: str) -> Region:
    return data.region_index.get(region)


def analysis_chains(data: ChainData, chain: str | None) -> list[str]:
    """The chains to analyse: ``[chain]`` or every top-level chain (合, 汽, 生, 材 order).

    Raises
    ------
    NotFound
        For an unknown chain, listing the valid ids.
    """
    chains = data.graph.graph.get("chains", {})
    if chain is not None:
        if chain not in chains:
            raise NotFound(f"unknown chain {chain!r}; valid: {', '.join(sorted(chains))}", field="chain")
        return [chain]
    tops = [c for c, d in chains.items() if d.get("root", c) == c]
    return sorted(tops, key=lambda c: (_LETTER_ORDER.get(chains[c].get("letter", ""), 9), c))


@dataclass
class _Presence:
    producers: dict[str, Enterprise] = field(default_factory=dict)
    users: dict[str, Enterprise] = field(default_factory=dict)
    output: dict[str, float] = field(default_factory=dict)
    capacity: dict[str, dict[str, float]] = field(default_factory=dict)  # unit -> firm -> value
    need: dict[str, dict[str, float]] = field(
        default_factory=dict
    )  # users' capacities, unit -> firm -> value
    leaders: set[str] = field(default_factory=set)  # producers tagged 链主 / 链核


def _presence(
    local: Iterable[Enterprise], others: Iterable[Enterprise], nodes: Sequence[str]
) -> tuple[dict[str, _Presence], np.ndarray, np.ndarray]:
    """Presence records of the ``local`` enterprises (in their order: output and capacity sums
    follow it) and the ``(enterprise, node position)`` producer pairs of local and ``others``
    (every enterprise of the data, for co-occurrence), in one pass."""
    pres = {n: _Presence() for n in nodes}
    node_idx = {n: i for i, n in enumerate(nodes)}
    slots = {n: (pres[n], i) for i, n in enumerate(nodes)}  # one lookup per presence
    n_nodes = len(nodes)
    producer = Role.producer
    pairs: list[int] = []  # enterprise * n_nodes + node
    i = -1
    for i, e in enumerate(local):
        key = e.key  # a property: read once per enterprise
        leader = bool(e.tags) and any(t in _LEADER_TAGS for t in e.tags)
        base = i * n_nodes
        for p in e.presences():
            slot = slots.get(p.segment)
            if slot is None:
                continue
            rec = slot[0]
            if p.role == producer:
                pairs.append(base + slot[1])
                rec.producers[key] = e
                if leader:
                    rec.leaders.add(key)
                elif rec.leaders:
                    rec.leaders.discard(key)
                if p.output is not None:
                    rec.output[key] = rec.output.get(key, 0.0) + p.output
                if p.capacity is not None:
                    unit = p.capacity_unit or ""
                    rec.capacity.setdefault(unit, {})[key] = p.capacity
            else:
                rec.users[key] = e
                if p.capacity is not None:
                    unit = p.capacity_unit or ""
                    rec.need.setdefault(unit, {})[key] = p.capacity
    rows, cols = _producer_pairs(others, node_idx)
    ent_of, node_of = np.divmod(np.asarray(pairs, dtype=np.int64), max(1, n_nodes))
    return pres, np.concatenate((ent_of, rows + (i + 1))), np.concatenate((node_of, cols))


# ---------------------------------------------------------------- priorities


def _demand_term(d: int) -> float:
    return d / (d + DEMAND_HALF) if d > 0 else 0.0


def _va_term(value_added: int) -> float:
    return (value_added - 1) / 4.0


def fill_priority(*, demand: float, criticality: float, density: float, value_added: float) -> float:
    """``0.35 D + 0.30 C + 0.20 omega + 0.15 V`` (all terms in [0, 1]).

    >>> fill_priority(demand=0.6, criticality=0.8, density=0.5, value_added=0.75)
    0.6625
    """
    w = FILL_WEIGHTS
    p = (
        w["demand"] * demand
        + w["criticality"] * criticality
        + w["density"] * density
        + w["value_added"] * value_added
    )
    return round(min(1.0, max(0.0, p)), _ROUND)


def strengthen_priority(*, weakness: float, demand: float, criticality: float, value_added: float) -> float:
    """``W (0.35 D + 0.30 C + 0.15 V)``; never above :func:`fill_priority` of the same segment.

    >>> strengthen_priority(weakness=0.5, demand=0.6, criticality=0.8, value_added=0.75)
    0.2812
    """
    w = STRENGTHEN_WEIGHTS
    base = w["demand"] * demand + w["criticality"] * criticality + w["value_added"] * value_added
    return round(min(1.0, max(0.0, weakness * base)), _ROUND)


def extend_priority(*, density: float, value_added: float, gain: float, criticality: float) -> float:
    """``0.40 omega + 0.25 V + 0.20 gain + 0.15 C``.

    >>> extend_priority(density=0.5, value_added=1.0, gain=0.25, criticality=0.2)
    0.53
    """
    w = EXTEND_WEIGHTS
    p = (
        w["density"] * density
        + w["value_added"] * value_added
        + w["gain"] * gain
        + w["criticality"] * criticality
    )
    return round(min(1.0, max(0.0, p)), _ROUND)


# ---------------------------------------------------------------- classification


def seed_absence_confirmed(region: str, segment: str) -> bool:
    """The default absence hook of :func:`analyze_gaps`: the given enterprise list is taken as
    complete, so every absence in it counts as confirmed (rationales: ``据现有名录``).

    For hand-made data whose list is the whole truth.  The service passes the census rule
    instead (:func:`chainmap.census.coverage.absence_rule`), under which an absence is
    confirmed only by a planner or a complete register.  A hook returning False (or an
    unconfirmed :class:`Absence`) makes the segment ``unverified`` (待核实).

    >>> seed_absence_confirmed("yuncheng", "qi.cell")
    True
    """
    return True


def _edges_by_kind(G: nx.DiGraph, n: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Sorted (neighbour, kind) lists of incoming and outgoing edges."""
    ins = sorted((u, G.edges[u, n].get("kind", "supplies")) for u in G.predecessors(n))
    outs = sorted((v, G.edges[n, v].get("kind", "supplies")) for v in G.successors(n))
    return ins, outs


def _complexity(G: nx.DiGraph, n: str) -> float:
    d = G.nodes[n]
    return (int(d.get("value_added", 3)) + int(d.get("tech_intensity", 3))) / 2.0


def _kind(G: nx.DiGraph, n: str) -> str:
    return str(G.nodes[n].get("kind") or SegmentKind.product.value)


def _adopters(
    G: nx.DiGraph, nodes: Sequence[str], pres: Mapping[str, _Presence]
) -> dict[str, dict[str, Enterprise]]:
    """Local adopters of every adopter segment: its local firms (any role) and those of its
    sub-segments (``part_of`` descendants)."""
    out: dict[str, dict[str, Enterprise]] = {}
    for n in nodes:
        if _kind(G, n) != SegmentKind.adopter.value:
            continue
        firms: dict[str, Enterprise] = {}
        stack, seen = [n], {n}
        while stack:
            x = stack.pop()
            firms.update(pres[x].producers)
            firms.update(pres[x].users)
            for u in G.predecessors(x):
                if u not in seen and G.edges[u, x].get("kind") == "part_of":
                    seen.add(u)
                    stack.append(u)
        out[n] = firms
    return out


def _policy_refs(policies: Sequence[Policy]) -> list[PolicyRef]:
    return [
        {
            "id": p.id,
            "kind": p.kind.value,
            "title": p.title,
            "document": p.document,
            "source": p.source,
            "quote": p.quote,
            "confidence": p.confidence.value,
            "condition": p.condition,
            "condition_en": p.condition_en,
        }
        for p in policies
    ]


def _segment_chains(data: ChainData) -> dict[str, list[str]]:
    """``{segment: [its chain, the chain's parent, ...]}``."""
    parent = {c.id: c.parent for c in data.chains}
    out: dict[str, list[str]] = {}
    for s in data.segments:
        chain: str | None = s.chain
        line: list[str] = []
        while chain is not None and chain not in line:
            line.append(chain)
            chain = parent.get(chain)
        out[s.id] = line
    return out


def _method_text() -> dict[str, str]:
    """The report's ``parameters`` that explain the rules (Chinese first, then English)."""
    kinds = "；".join(f"{k}={zh}" for k, (zh, _en) in SEGMENT_KIND.items())
    statuses = "；".join(f"{k}={zh}" for k, (zh, _en) in GAP_STATUS.items())
    return {
        "method.kinds": (
            f"环节类型：{kinds}。资源禀赋（矿产、卤水、白云石、药材种植地）不作为补链/延链对象，状态为不适宜；"
            "应用环节（智能工厂、5G工厂）不作为招商对象，其本地应用企业计为上游供给环节的本地需求；"
            "服务环节仅在有本地需求时补链。 / Segment kinds: product, endowment (never fill or extend: "
            "unsuitable), adopter (never a target; its local adopters are demand for the segments that "
            "supply or enable it), service (fill only with local demand)."
        ),
        "method.statuses": (
            f"状态：{statuses}。补链、强链、延链为招商对象；健全=本地有企业且无明显短板；暂不布局=本地无企业且无本地需求；"
            "不适宜=资源禀赋或受限制/禁止类政策约束；待核实=名录不完整、无法确认缺失。无本地企业的环节从不标为健全。 / "
            "Statuses: fill, strengthen and extend are targets; sound = present and not weak; not_priority = absent, "
            "no local need; unsuitable = endowment or restricted by a policy; unverified = absence not confirmed. "
            "A segment without a local producer is never sound."
        ),
        "method.policies": (
            "政策约束见 graph_seed/policies.yaml：限制类/禁止类覆盖的环节为不适宜并引用政策（标题、文号、来源），不产生招商线索；"
            f"鼓励类环节的优先级乘以(1+{ENCOURAGED_BOOST:g})（上限1）并在理由中引用；有条件限制类（如仅限城市及县城规划区外）"
            f"不改变环节状态，优先级乘以(1-{CONDITIONAL_PENALTY:g})，理由与该环节的每条线索均注明政策条件。 / Policies (graph_seed/policies.yaml): "
            "a restricted or banned segment is unsuitable, the policy quoted, and gets no lead; an encouraged "
            f"fill/strengthen/extend segment has its priority multiplied by 1 + {ENCOURAGED_BOOST:g} (capped at 1); "
            "a conditional entry (allowed only under a condition, e.g. outside city and county planning areas) keeps "
            f"the segment's status, multiplies its priority by 1 - {CONDITIONAL_PENALTY:g}, and the rationale and every "
            "lead of it state the condition (政策条件)."
        ),
        "method.county_fit": (
            "县域适配：在县（市、区）或开发区，全国性关键/卡脖子环节仅在有本地需求、本地上游投入或相邻本地优势环节时"
            "才因关键度列为补链，理由注明具备哪一项；否则为暂不布局。 / County fit: in a county or zone a critical "
            "segment is a fill for its criticality only with local demand, a local input or an adjacent local "
            "strength (the rationale says which); otherwise it is not a priority there."
        ),
        "method.absence": (
            "缺失依据：本地无企业的环节，仅当规划人员已确认缺失（记录确认人与时间），或已导入覆盖该环节行业代码与该地区的"
            "完整企业名录时，才视为确认缺失并可列为补链/延链/暂不布局；否则为待核实，理由注明原因（如本地企业名录未导入）"
            "与应导入的名录，并给出确认后的状态。内置种子数据为公开资料整理的企业名单、未导入本地名录，亦无注明出处的缺失"
            "陈述，故其缺失环节均为待核实。 / Absences: a segment without a local producer is a confirmed absence "
            "(fill, extend or not a priority) only when a planner confirmed it (who and when are recorded) or a complete "
            "register covering its industry codes and the region was imported; otherwise it is unverified, the "
            "rationale naming the reason (e.g. no local register imported), what to import and the status it would "
            "have. The shipped seed is a hand-collected list with no register imported and no sourced absence, so "
            "its absences are all unverified."
        ),
    }


def analyze_gaps(
    data: ChainData,
    *,
    region: str = "yuncheng",
    chain: str | None = None,
    lang: str = "zh",
    criticality_scores: Mapping[str, Mapping[str, float]] | None = None,
    absence_confirmed: AbsenceHook = seed_absence_confirmed,
) -> GapReport:
    """Classify every segment of ``chain`` (or of every top-level chain) for ``region``.

    Parameters
    ----------
    data : ChainData
        Chains, regions, segments, links, enterprises, policies and the cached
        ``graph`` (:class:`chainmap.data.ChainData`).
    region : str, default ``"yuncheng"``
        Region id: the city, a county or a zone.
    chain : str, optional
        A chain or sub-chain id; ``None`` analyses every top-level chain.
    lang : {"zh", "en"}
        Language of names and rationales.
    criticality_scores : mapping, optional
        Precomputed :func:`chainmap.analysis.criticality.chain_criticality` of
        ``data.graph`` (it does not depend on the region, so a caller analysing
        many regions can compute it once).
    absence_confirmed : callable, default :func:`seed_absence_confirmed`
        ``(region, segment) -> bool | Absence``: is the absence of local producers
        confirmed?  False (or an unconfirmed :class:`Absence`) makes an absent segment
        ``unverified``; an :class:`Absence` also gives the basis and the clause the rationale
        quotes.  The service passes the census rule
        (:func:`chainmap.census.coverage.absence_rule`).

    Returns
    -------
    GapReport
        Items sorted by priority (descending) then segment id; the summary
        counts statuses per chain.

    Raises
    ------
    NotFound
        Unknown region or chain (the message lists the valid ids).
    InvalidInput
        Unknown ``lang``.

    Notes
    -----
    The rules and formulas are in the module docstring.  The result does not
    depend on the order of the input lists.
    """
    lang = norm_lang(lang)
    G = data.graph
    reg = _region(data, region)
    chains = analysis_chains(data, chain)
    chain_info = G.graph.get("chains", {})
    locals_ = local_enterprises(data, region)
    nodes = sorted(G.nodes)
    local_ids = {id(e) for e in locals_}
    others = [e for e in data.enterprises if id(e) not in local_ids]
    pres, pair_ent, pair_node = _presence(locals_, others, nodes)
    adopters = _adopters(G, nodes, pres)
    present = {n for n in nodes if pres[n].producers and n not in adopters}
    crit = criticality_scores if criticality_scores is not None else _criticality(G)
    node_idx = {n: i for i, n in enumerate(nodes)}
    to_scope = np.full(len(nodes), -1, dtype=np.int64)
    ctx = _Context(
        G=G,
        region=reg.id,
        county_fit=reg.kind != RegionKind.city,
        pres=pres,
        present=present,
        adopters=adopters,
        n_region=0,  # set per chain below
        crit=crit,
        policies=PolicyIndex(
            data.policies,
            data.region_index.places(county=reg.id, zone=reg.id) | {reg.id},
            _segment_chains(data),
        ),
        absence_confirmed=absence_confirmed,
        lang=lang,
    )

    items: list[GapItem] = []
    modes: dict[str, str] = {}
    summary: dict[str, dict[str, int]] = {}
    leaders: list[LeaderCandidate] = []
    thresholds: dict[str, float] = {}
    producers: dict[str, set[str]] = {}
    for ch in chains:
        segs = chain_segments(G, ch)
        producers[ch] = {k for n in segs for k in pres[n].producers}
        ctx.n_region = len(producers[ch])  # N of the LQ: the chain's local producers, not the store's
        scope = set(segs)
        for n in segs:
            scope.update(G.predecessors(n))
            scope.update(G.successors(n))
        scope_list = sorted(scope)
        to_scope[:] = -1
        to_scope[[node_idx[x] for x in scope_list]] = np.arange(len(scope_list))
        col = to_scope[pair_node]
        keep = col >= 0
        dens, related, mode = _scope_density(G, scope_list, present, pair_ent[keep], col[keep], segs)
        modes[ch] = mode
        scores = [float(crit[n]["score"]) if n in crit else 0.0 for n in segs]
        thr = min(CRIT_HIGH, float(np.quantile(scores, CRIT_QUANTILE))) if scores else CRIT_HIGH
        thresholds[ch] = round(thr, _ROUND)
        counts = dict.fromkeys(STATUSES, 0)
        for n in segs:
            item = _classify(ctx, n, ch, dens, related, thr)
            counts[item.status] += 1
            items.append(item)
        counts["total"] = len(segs)
        summary[ch] = counts
        leaders.extend(_leaders(G, ch, segs, pres))

    # unverified segments (priority 0) in the order of the priority they would have: what to verify first
    items.sort(key=lambda i: (-i.priority, -(i.provisional_priority or 0.0), i.segment_id, i.chain_id))
    parameters: dict[str, float | str] = {
        "crit_high": CRIT_HIGH,
        "density_high": DENSITY_HIGH,
        "density_min_related": float(DENSITY_MIN_RELATED),
        "lq_low": LQ_LOW,
        "cooccurrence_min_firms": float(COOCCURRENCE_MIN_FIRMS),
        "cooccurrence_min_coverage": COOCCURRENCE_MIN_COVERAGE,
        "local_producers": float(len(set().union(*producers.values()))),
        **{f"local_producers.{c}": float(len(p)) for c, p in producers.items()},
        "encouraged_boost": ENCOURAGED_BOOST,
        "conditional_penalty": CONDITIONAL_PENALTY,
        "county_fit": 1.0 if ctx.county_fit else 0.0,
        "policies": float(len(ctx.policies.policies)),
        **{f"crit_threshold.{c}": t for c, t in thresholds.items()},
        **_method_text(),
    }
    return GapReport(
        region=reg.id,
        region_name=reg.name_en if lang == "en" else reg.name_zh,
        chain=chain,
        chains=chains,
        chain_names={c: str(chain_info[c]["name_en" if lang == "en" else "name_zh"]) for c in chains},
        lang=lang,
        density_mode=modes,
        summary=summary,
        chain_leader_candidates=leaders,
        items=items,
        parameters=parameters,
    )


@dataclass
class _Context:
    """What :func:`_classify` reads for every segment of one analysis."""

    G: nx.DiGraph
    region: str
    county_fit: bool
    pres: Mapping[str, _Presence]
    present: set[str]
    adopters: Mapping[str, Mapping[str, Enterprise]]
    n_region: int
    crit: Mapping[str, Mapping[str, float]]
    policies: PolicyIndex
    absence_confirmed: AbsenceHook
    lang: str


def _leaders(
    G: nx.DiGraph, ch: str, segs: Sequence[str], pres: Mapping[str, _Presence]
) -> list[LeaderCandidate]:
    firm_of: list[str] = []
    seg_of: list[str] = []
    share_of: list[float] = []
    firms: dict[str, Enterprise] = {}
    sole: dict[str, list[str]] = {}
    for s in segs:
        prod = pres[s].producers
        if not prod:
            continue
        out = pres[s].output
        total = sum(out.values())
        by_output = total > 0 and len(out) == len(prod)
        firms.update(prod)
        if s not in G:
            pass
        elif by_output:
            for k in prod:
                if out[k] > 0:
                    firm_of.append(k)
                    seg_of.append(s)
                    share_of.append(out[k] / total)
        else:  # equal shares
            firm_of.extend(prod)
            seg_of.extend([s] * len(prod))
            share_of.extend([1.0 / len(prod)] * len(prod))
        if len(prod) == 1:
            for k in prod:
                sole.setdefault(k, []).append(s)
    ranked = _rank_firms(G, firm_of, seg_of, share_of, top=_TOP_LEADERS)
    return [
        LeaderCandidate(
            chain_id=ch,
            id=r["id"],
            name=firms[r["id"]].name,
            score=r["score"],
            segments=r["segments"],
            sole_segments=sorted(sole.get(r["id"], [])),
            tags=sorted(t.value for t in firms[r["id"]].tags),
        )
        for r in ranked
    ]


def _classify(
    ctx: _Context,
    n: str,
    ch: str,
    dens: Mapping[str, float],
    related: Mapping[str, int],
    crit_thr: float,
) -> GapItem:
    G, pres, present, lang = ctx.G, ctx.pres, ctx.present, ctx.lang
    attrs = G.nodes[n]
    rec = pres[n]
    kind = _kind(G, n)
    name = segment_name(G, n, lang)
    va = int(attrs.get("value_added", 3))
    ti = int(attrs.get("tech_intensity", 3))
    C = float(ctx.crit[n]["score"]) if n in ctx.crit else 0.0
    omega = float(dens.get(n, 0.0))
    count = len(rec.producers)
    ins, outs = _edges_by_kind(G, n)

    # local demand: local users; local producers of direct supply successors; local adopters
    # of adopter successors (supplied or enabled)
    demand_firms = set(rec.users) if kind != SegmentKind.adopter.value else set()
    demand_segs: set[str] = set()
    demand_producers: set[str] = set()
    for v, k in outs:
        if k == "supplies" and is_minor_input(G.edges[n, v].get("weight")):
            continue  # a minor input (an alloying element) makes no local demand for this segment
        if k == "supplies" and v in present:
            demand_segs.add(v)
            demand_producers.update(pres[v].producers)
        elif k in ("supplies", "enables") and ctx.adopters.get(v):
            demand_segs.add(v)
            demand_producers.update(ctx.adopters[v])
    demand_segments = sorted(demand_segs)
    demand_firms |= demand_producers
    d = len(demand_firms)
    D = _demand_term(d)
    V = _va_term(va)

    ref = attrs.get("reference_share")
    lq = (count / ctx.n_region) / ref if ref and ctx.n_region > 0 else None
    has_leader = bool(rec.leaders)
    local_output = round(sum(rec.output.values()), 6) if rec.output else None
    local_capacity = {u: round(sum(v.values()), 6) for u, v in sorted(rec.capacity.items())}
    cap_ratio = None
    cap_unit = ""
    for unit in sorted(rec.need):
        need = sum(rec.need[unit].values())
        if unit in rec.capacity and need > 0:
            ratio = sum(rec.capacity[unit].values()) / need
            if cap_ratio is None or ratio < cap_ratio:
                cap_ratio, cap_unit = ratio, unit

    comps: dict[str, float] = {"demand": D, "criticality": C, "density": omega, "value_added": V}
    directions: list[str] = []
    adjacent: list[str] = []
    reasons: list[str] = []
    fit: list[str] = []
    limiting = ctx.policies.limiting(n)
    encouraging = ctx.policies.encouraging(n)
    conditioning = ctx.policies.conditioning(n)
    applied: list[Policy] = []
    absence: bool | None = None
    basis: str | None = None
    note = ""
    absent_branch = False
    provisional: float | None = None
    would_be: Status | None = None
    critical = C >= crit_thr and C > 0
    status: Status
    priority = 0.0

    if kind == SegmentKind.adopter.value:
        status = "sound" if ctx.adopters.get(n) else "not_priority"
    elif kind == SegmentKind.endowment.value:
        status = "unsuitable"
        reasons = ["endowment"]
    elif limiting:
        status = "unsuitable"
        reasons = ["policy"]
        applied = limiting
    elif count > 0:
        signals = {
            "single": C if count == 1 else 0.0,
            "lq": max(0.0, 1.0 - lq) if lq is not None else 0.0,
            "capacity": max(0.0, 1.0 - cap_ratio) if cap_ratio is not None else 0.0,
            "no_leader": C / 2 if not has_leader else 0.0,
        }
        weak = []
        if count == 1 and critical:
            weak.append("single")
        if lq is not None and lq < LQ_LOW:
            weak.append("lq")
        if cap_ratio is not None and cap_ratio < 1.0:
            weak.append("capacity")
        if not has_leader and critical:
            weak.append("no_leader")
        if weak:
            status = "strengthen"
            W = max(signals.values())
            comps.update({f"weak_{k}": v for k, v in signals.items()})
            comps["weakness"] = W
            priority = strengthen_priority(weakness=W, demand=D, criticality=C, value_added=V)
            reasons = weak
        else:
            status = "sound"
    else:
        top = attrs.get("top_chain")
        adj: set[str] = set()
        dirs: set[str] = set()
        for u, k in ins:
            if u in present:
                adj.add(u)
                dirs.add("sub_segment" if k == "part_of" else "downstream")
        for v, k in outs:
            if v in present:
                adj.add(v)
                dirs.add("sub_segment" if k == "part_of" else "upstream")
            if k == "supplies":  # two steps up: an input of an input of a local segment
                for w in sorted(G.successors(v)):
                    if w in present and G.edges[v, w].get("kind", "supplies") == "supplies":
                        adj.add(w)
                        dirs.add("upstream")
        if any(G.nodes[a].get("top_chain") != top for a in adj):
            dirs.add("cross_chain")
        adjacent = sorted(adj)
        directions = [x for x in ("downstream", "upstream", "sub_segment", "cross_chain") if x in dirs]
        inputs = [u for u, k in ins if k == "supplies" and u in present]
        if critical and ctx.county_fit:
            fit = [
                x
                for x, ok in (("demand", d > 0), ("inputs", bool(inputs)), ("adjacent", bool(adjacent)))
                if ok
            ]
        service = kind == SegmentKind.service.value
        fill_reasons = []
        if d > 0:
            fill_reasons.append("demand")
        if critical and not service and (fit or not ctx.county_fit):
            fill_reasons.append("critical")
        if not service and omega >= DENSITY_HIGH and related.get(n, 0) >= DENSITY_MIN_RELATED:
            fill_reasons.append("dense")
        if fill_reasons:
            status = "fill"
            priority = fill_priority(demand=D, criticality=C, density=omega, value_added=V)
            reasons = fill_reasons
        elif adjacent:
            status = "extend"
            gain = max(0.0, min(1.0, (_complexity(G, n) - min(_complexity(G, a) for a in adjacent)) / 4.0))
            comps["gain"] = gain
            priority = extend_priority(density=omega, value_added=V, gain=gain, criticality=C)
        else:
            status = "not_priority"
            if critical and ctx.county_fit:
                reasons = ["county_fit"]
            elif service and (critical or omega >= DENSITY_HIGH):
                reasons = ["service"]
        absent_branch = True

    if encouraging and status not in ("unsuitable",):
        applied = encouraging
        if status in TARGET_STATUSES:
            comps["policy"] = ENCOURAGED_BOOST
            priority = min(1.0, priority * (1.0 + ENCOURAGED_BOOST))
    if conditioning and status not in ("unsuitable",):
        applied = [*conditioning, *applied]
        if status in TARGET_STATUSES:
            comps["policy_condition"] = CONDITIONAL_PENALTY
            priority = priority * (1.0 - CONDITIONAL_PENALTY)

    if absent_branch:  # no local producer: is the absence confirmed (the census rule)?
        verdict = ctx.absence_confirmed(ctx.region, n)
        if isinstance(verdict, bool):
            verdict = Absence(verdict, "list" if verdict else "incomplete")
        absence, basis, note = verdict.confirmed, verdict.basis, verdict.note
        if not absence:
            would_be, provisional = status, round(priority, _ROUND)
            status, priority = "unverified", 0.0

    comps = {k: round(float(v), _ROUND) for k, v in comps.items()}
    # an adopter segment's local presence is its adopters (any role, sub-segments included)
    prods: Mapping[str, Enterprise] = ctx.adopters[n] if kind == SegmentKind.adopter.value else rec.producers
    count = len(prods)
    # model_construct: every field is built here with its declared type (validation would cost
    # ~50 us per item and per enterprise reference on 10^4-segment maps)
    item = GapItem.model_construct(
        chain_id=ch,
        segment_id=n,
        segment_name=name,
        segment_chain=str(attrs.get("chain", ch)),
        region_id=ctx.region,
        status=status,
        priority=round(priority, _ROUND),
        components=comps,
        rationale="",
        local_enterprises=[{"id": k, "name": prods[k].name} for k in sorted(prods)],  # adopters: see below
        stage=str(attrs.get("stage", "")),
        value_added=va,
        tech_intensity=ti,
        criticality=round(C, _ROUND),
        density=round(omega, _ROUND),
        local_count=count,
        demand_segments=demand_segments,
        demand_count=d,
        local_users=len(rec.users) if kind != SegmentKind.adopter.value else 0,
        lq=round(lq, _ROUND) if lq is not None else None,
        has_chain_leader=has_leader,
        local_output=local_output,
        local_capacity=local_capacity,
        chokepoint=bool(attrs.get("chokepoint", False)),
        directions=directions,
        adjacent_segments=adjacent,
        kind=kind,
        policies=_policy_refs(applied),
        fit=fit,
        absence_confirmed=absence,
        absence_basis=basis,
        would_be=would_be,
        provisional_priority=provisional,
    )
    dominated = int(ctx.crit[n].get("dominated", 0)) if n in ctx.crit else 0
    cap_text = None
    if cap_ratio is not None:
        cap_text = (sum(rec.capacity[cap_unit].values()), sum(rec.need[cap_unit].values()), cap_unit)
    facts = RationaleFacts(
        reasons=reasons,
        demand_firms=len(demand_producers),
        dominated=dominated,
        cap=cap_text,
        crit_thr=crit_thr,
        adopters=sorted(e.name for e in ctx.adopters.get(n, {}).values()),
        users=sorted(e.name for e in rec.users.values()),
        would_be=would_be,
        county=ctx.county_fit,
        absence_note=note,
    )
    item.rationale = rationale(G, item, facts, lang)
    return item


def restrict_report(report: GapReport, chain: str) -> GapReport:
    """The part of a multi-chain ``report`` about ``chain``, one of ``report.chains``.

    Every chain is classified on its own (its segments, its density scope, its
    criticality threshold) against region-wide numbers, so for a top-level
    chain this equals ``analyze_gaps(data, chain=chain)`` of the same region and
    language, field for field (the items are shared, not copied).

    Raises
    ------
    NotFound
        When ``chain`` was not analysed in ``report``.
    """
    if chain not in report.chains:
        raise NotFound(
            f"chain {chain!r} is not in the report; analysed: {', '.join(report.chains)}", field="chain"
        )
    own = (f"crit_threshold.{chain}", f"local_producers.{chain}")
    per_chain = ("crit_threshold.", "local_producers.")
    return GapReport.model_construct(
        region=report.region,
        region_name=report.region_name,
        chain=chain,
        chains=[chain],
        chain_names={chain: report.chain_names[chain]},
        lang=report.lang,
        density_mode={chain: report.density_mode[chain]},
        summary={chain: report.summary[chain]},
        chain_leader_candidates=[c for c in report.chain_leader_candidates if c.chain_id == chain],
        items=[i for i in report.items if i.chain_id == chain],
        parameters={
            **{k: v for k, v in report.parameters.items() if k in own or not k.startswith(per_chain)},
            "local_producers": report.parameters[f"local_producers.{chain}"],
        },
        coverage={chain: report.coverage[chain]} if chain in report.coverage else {},
        pending_assignments=int(report.coverage[chain]["pending_assignments"]) if chain in report.coverage else 0,
    )


def select_items(
    report: GapReport, *, status: str | None = None, chain: str | None = None, top: int | None = None
) -> list[GapItem]:
    """Items of ``report`` filtered by status and chain, in report order, at most ``top``.

    Raises
    ------
    chainmap.exceptions.InvalidInput
        For an unknown status.
    """
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"unknown status {status!r}; valid: {', '.join(STATUSES)}", field="type")
    out = [
        i
        for i in report.items
        if (status is None or i.status == status) and (chain is None or i.chain_id == chain)
    ]
    return out[:top] if top is not None else out
