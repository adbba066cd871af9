"""强链 / 补链 / 延链: classify every segment of a chain for one region.

:func:`analyze_gaps` is the entry point.  For a region (运城市 ``yuncheng``, a
county or a development zone; an enterprise counts for its county, its zone and
the city) and a chain (or every top-level chain) it computes, per segment:

presence
    the local producers (role ``producer``), their number, their output
    (亿元) and capacity when known, whether a 链主 / 链核 is among them, and a
    location quotient ``LQ = (n_s / N) / reference_share`` where the seed gives
    a reference share (``N`` = local producing firms of the region), else
    ``None`` (presence by count only).
local demand
    the local segments directly downstream through ``supplies`` links that have
    local producers (``demand_segments``) plus local firms with role ``user`` of
    the segment; ``demand_count`` is the number of distinct such firms.
criticality
    :func:`chainmap.analysis.criticality.criticality` on the whole chain graph.
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
CRIT_QUANTILE-quantile of C)`` (reported as ``parameters["crit_threshold.<chain>"]``):

``fill`` (补链)
    ``n == 0`` and (``d > 0`` or critical or (``omega >= DENSITY_HIGH``
    with at least :data:`DENSITY_MIN_RELATED` related local segments)).
``extend`` (延链)
    ``n == 0``, not fill, and adjacent to a local segment: a local supplier or
    enabler (``downstream``), a local segment it supplies two steps up or
    enables (``upstream``, securing inputs), a local parent / child segment
    (``sub_segment``) or a local segment of another chain (``cross_chain``).
``strengthen`` (强链)
    ``n >= 1`` and weak: a single local firm in a critical segment, ``LQ < 1``, local capacity below local demand
    (capacities of producers vs. of users, same unit), or no 链主 / 链核 in a
    critical segment.
``sound`` (健全)
    everything else: present and not weak, or absent with no need and no
    local neighbour -- not a current priority, and its rationale says so first
    (``本地无企业，暂无本地需求，非当前重点``), so the label is not read as "fine".

A single firm or a missing 链主 / 链核 counts as a weakness only in a critical
segment: a young cluster has one non-leading firm in most of its segments, and
flagging every one of them would drown the segments the chain hinges on (on the
seed: 23 of the 33 present segments have no 链主 / 链核, 11 are critical).  The
location quotient and capacity signals apply everywhere, when the data give them.

Priorities (all terms in [0, 1])
--------------------------------
``D = d / (d + 2)``, ``V = (value_added - 1) / 4``::

    fill        P = 0.35 D + 0.30 C + 0.20 omega + 0.15 V
    strengthen  P = W (0.35 D + 0.30 C + 0.15 V)
    extend      P = 0.40 omega + 0.25 V + 0.20 gain + 0.15 C
    sound       P = 0

``W = max`` of the weakness signals (``single = C`` if one firm, ``lq = 1 - LQ``,
``capacity = 1 - supply / demand``, ``no_leader = C / 2``), and ``gain`` is the
step up in complexity ``((value_added + tech_intensity) / 2)`` from the least
complex adjacent local segment, divided by 4 and clipped to [0, 1].

Adding a local producer to a fill segment never raises its priority: the
segment becomes strengthen or sound; ``D``, ``C`` and ``V`` of the segment do
not change (its demand comes from its successors and users, criticality is
structural) and ``W <= 1``, so ``P_strengthen <= 0.35 D + 0.30 C + 0.15 V <=
P_fill`` and ``P_sound = 0``.

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
'补链：电池包本地无企业，下游整车环节有1家本地企业需要，关键度0.65（支配1个下游环节），关联密度0.50'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from chainmap.analysis.criticality import criticality as _criticality
from chainmap.analysis.criticality import rank_firm_extraction as _rank_firms
from chainmap.analysis.gaps_density import (
    COOCCURRENCE_MIN_COVERAGE,
    COOCCURRENCE_MIN_FIRMS,
    _producer_pairs,
    _scope_density,
    relatedness_density,
)
from chainmap.analysis.gaps_models import EnterpriseRef, GapItem, GapReport, LeaderCandidate, Status
from chainmap.analysis.gaps_text import STATUS_LABELS, rationale, segment_name
from chainmap.data import ChainData, local_enterprises
from chainmap.exceptions import InvalidInput, NotFound
from chainmap.graph import chain_segments
from chainmap.i18n import norm_lang
from chainmap.labels import GAP_STATUS
from chainmap.models import Enterprise, Region, Role, Tag

__all__ = [
    "Status",
    "STATUSES",
    "STATUS_LABELS",
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
    "restrict_report",
    "select_items",
]

#: The statuses in display order.
STATUSES: tuple[str, ...] = tuple(GAP_STATUS)

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
        for p in e.segments:
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


def _edges_by_kind(G: nx.DiGraph, n: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Sorted (neighbour, kind) lists of incoming and outgoing edges."""
    ins = sorted((u, G.edges[u, n].get("kind", "supplies")) for u in G.predecessors(n))
    outs = sorted((v, G.edges[n, v].get("kind", "supplies")) for v in G.successors(n))
    return ins, outs


def _complexity(G: nx.DiGraph, n: str) -> float:
    d = G.nodes[n]
    return (int(d.get("value_added", 3)) + int(d.get("tech_intensity", 3))) / 2.0


def analyze_gaps(
    data: ChainData,
    *,
    region: str = "yuncheng",
    chain: str | None = None,
    lang: str = "zh",
    criticality_scores: Mapping[str, Mapping[str, float]] | None = None,
) -> GapReport:
    """Classify every segment of ``chain`` (or of every top-level chain) for ``region``.

    Parameters
    ----------
    data : ChainData
        Chains, regions, segments, links, enterprises and the cached ``graph``
        (:class:`chainmap.data.ChainData`).
    region : str, default ``"yuncheng"``
        Region id: the city, a county or a zone.
    chain : str, optional
        A chain or sub-chain id; ``None`` analyses every top-level chain.
    lang : {"zh", "en"}
        Language of names and rationales.
    criticality_scores : mapping, optional
        Precomputed :func:`chainmap.analysis.criticality.criticality` of
        ``data.graph`` (it does not depend on the region, so a caller analysing
        many regions can compute it once).

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
    present = {n for n in nodes if pres[n].producers}
    n_region = len({k for n in nodes for k in pres[n].producers})
    crit = criticality_scores if criticality_scores is not None else _criticality(G)
    node_idx = {n: i for i, n in enumerate(nodes)}
    to_scope = np.full(len(nodes), -1, dtype=np.int64)

    items: list[GapItem] = []
    modes: dict[str, str] = {}
    summary: dict[str, dict[str, int]] = {}
    leaders: list[LeaderCandidate] = []
    thresholds: dict[str, float] = {}
    for ch in chains:
        segs = chain_segments(G, ch)
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
            item = _classify(G, n, ch, reg.id, pres, present, n_region, crit, dens, related, thr, lang)
            counts[item.status] += 1
            items.append(item)
        counts["total"] = len(segs)
        summary[ch] = counts
        leaders.extend(_leaders(G, ch, segs, pres))

    items.sort(key=lambda i: (-i.priority, i.segment_id, i.chain_id))
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
        parameters={
            "crit_high": CRIT_HIGH,
            "density_high": DENSITY_HIGH,
            "density_min_related": float(DENSITY_MIN_RELATED),
            "lq_low": LQ_LOW,
            "cooccurrence_min_firms": float(COOCCURRENCE_MIN_FIRMS),
            "cooccurrence_min_coverage": COOCCURRENCE_MIN_COVERAGE,
            "local_producers": float(n_region),
            **{f"crit_threshold.{c}": t for c, t in thresholds.items()},
        },
    )


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
    G: nx.DiGraph,
    n: str,
    ch: str,
    region: str,
    pres: Mapping[str, _Presence],
    present: set[str],
    n_region: int,
    crit: Mapping[str, Mapping[str, float]],
    dens: Mapping[str, float],
    related: Mapping[str, int],
    crit_thr: float,
    lang: str,
) -> GapItem:
    attrs = G.nodes[n]
    rec = pres[n]
    name = segment_name(G, n, lang)
    va = int(attrs.get("value_added", 3))
    ti = int(attrs.get("tech_intensity", 3))
    C = float(crit[n]["score"]) if n in crit else 0.0
    omega = float(dens.get(n, 0.0))
    count = len(rec.producers)
    ins, outs = _edges_by_kind(G, n)

    # local demand: local producers of direct supply successors, plus local users
    demand_segments = sorted({v for v, k in outs if k == "supplies" and v in present})
    demand_firms = set(rec.users)
    for v in demand_segments:
        demand_firms.update(pres[v].producers)
    d = len(demand_firms)
    D = _demand_term(d)
    V = _va_term(va)

    ref = attrs.get("reference_share")
    lq = (count / n_region) / ref if ref and n_region > 0 else None
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
    status: Status

    if count > 0:
        critical = C >= crit_thr and C > 0
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
            priority = 0.0
    else:
        fill_reasons = []
        if d > 0:
            fill_reasons.append("demand")
        if C >= crit_thr and C > 0:
            fill_reasons.append("critical")
        if omega >= DENSITY_HIGH and related.get(n, 0) >= DENSITY_MIN_RELATED:
            fill_reasons.append("dense")
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
            status = "sound"
            priority = 0.0

    comps = {k: round(float(v), _ROUND) for k, v in comps.items()}
    prods = rec.producers
    # model_construct: every field is built here with its declared type (validation would cost
    # ~50 us per item and per enterprise reference on 10^4-segment maps)
    item = GapItem.model_construct(
        chain_id=ch,
        segment_id=n,
        segment_name=name,
        segment_chain=str(attrs.get("chain", ch)),
        region_id=region,
        status=status,
        priority=round(priority, _ROUND),
        components=comps,
        rationale="",
        local_enterprises=[{"id": k, "name": prods[k].name} for k in sorted(prods)],
        stage=str(attrs.get("stage", "")),
        value_added=va,
        tech_intensity=ti,
        criticality=round(C, _ROUND),
        density=round(omega, _ROUND),
        local_count=count,
        demand_segments=demand_segments,
        demand_count=d,
        local_users=len(rec.users),
        lq=round(lq, _ROUND) if lq is not None else None,
        has_chain_leader=has_leader,
        local_output=local_output,
        local_capacity=local_capacity,
        chokepoint=bool(attrs.get("chokepoint", False)),
        directions=directions,
        adjacent_segments=adjacent,
    )
    dominated = int(crit[n].get("dominated", 0)) if n in crit else 0
    cap_text = None
    if cap_ratio is not None:
        cap_text = (sum(rec.capacity[cap_unit].values()), sum(rec.need[cap_unit].values()), cap_unit)
    demand_producers = len({k for s in demand_segments for k in pres[s].producers})
    item.rationale = rationale(G, item, reasons, demand_producers, dominated, cap_text, crit_thr, lang)
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
        raise NotFound(f"chain {chain!r} is not in the report; analysed: {', '.join(report.chains)}", field="chain")
    own = f"crit_threshold.{chain}"
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
        parameters={k: v for k, v in report.parameters.items() if k == own or not k.startswith("crit_threshold.")},
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
