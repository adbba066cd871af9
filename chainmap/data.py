"""The read model: :class:`ChainData` and the ONE locality rule.

:class:`ChainData` holds everything the analyses read (chains, regions,
segments, links, enterprises) and is built either from seed files
(:func:`chainmap.seed.load_seed`) or from a store (:func:`chain_data_from_store`).
It needs no networkx: the chain graph (:mod:`chainmap.graph`) is built on the first
use of :attr:`ChainData.graph`, and the chain hierarchy (:func:`chain_roots`) and the
counts per chain (:meth:`ChainData.summary`) are plain Python.

Locality — which enterprises (and projects) count for a region — is defined
here once and used by gap analysis, graph exports and counts, ``chain show``,
matching features, project KPIs and the web page's filters:

* an object is *placed* by its ``county`` and ``zone`` fields (either may be
  empty); a zone lies in the county its region record names;
* the **city** counts every object placed anywhere in it: a known county, a
  known zone, or the city itself given as the county (city-level firms whose
  county no source states);
* a **county** counts objects whose county is that county or whose zone lies
  in it;
* a **zone** counts objects in that zone only;
* an object with neither county nor zone is placed nowhere and is local to no
  region (its location is unknown, so it is never counted as local presence).

>>> from chainmap.models import Region
>>> regions = [Region(id="yc", kind="city", name_zh="运城市", name_en="Yuncheng"),
...            Region(id="yanhu", kind="county", name_zh="盐湖区", name_en="Yanhu", parent="yc"),
...            Region(id="ycjk", kind="zone", name_zh="运城经开区", name_en="YC ETDZ", county="yanhu")]
>>> idx = RegionIndex(regions)
>>> [idx.covers(r, county=None, zone="ycjk") for r in ("yc", "yanhu", "ycjk")]
[True, True, True]
>>> [idx.covers(r, county="yc", zone=None) for r in ("yc", "yanhu", "ycjk")]
[True, False, False]
>>> [idx.covers(r, county=None, zone=None) for r in ("yc", "yanhu", "ycjk")]
[False, False, False]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from chainmap.exceptions import NotFound
from chainmap.models import Chain, Enterprise, Link, Region, RegionKind, Role, Segment
from chainmap.policies import POLICY_RECORD_KIND, Policy, policies_from_records
from chainmap.revisions import CENSUS_RECORD_KINDS, data_revision

if TYPE_CHECKING:  # networkx loads with the first use of ChainData.graph: counting needs no graph
    import networkx as nx

    from chainmap.storage.base import Store

__all__ = [
    "ChainData",
    "RegionIndex",
    "chain_roots",
    "Placed",
    "chain_data_from_store",
    "data_revision",
    "CENSUS_RECORD_KINDS",
    "local_enterprises",
    "is_local",
]


class Placed(Protocol):
    """Anything placed by county and zone: an enterprise, a project."""

    @property
    def county(self) -> str | None: ...

    @property
    def zone(self) -> str | None: ...


class RegionIndex:
    """The region hierarchy and the locality rule (see the module docstring)."""

    def __init__(self, regions: Iterable[Region]) -> None:
        self.by_id: dict[str, Region] = {r.id: r for r in regions}
        self.zone_county: dict[str, str | None] = {
            r.id: r.county for r in self.by_id.values() if r.kind == RegionKind.zone
        }

    def get(self, region: str) -> Region:
        """The region ``region``; NotFound (listing the valid ids) when unknown."""
        try:
            return self.by_id[region]
        except KeyError:
            valid = ", ".join(sorted(self.by_id))
            raise NotFound(f"unknown region {region!r}; valid: {valid}", field="region") from None

    def city(self) -> Region | None:
        """The city region (the first of kind ``city``), if any."""
        return next((r for r in self.by_id.values() if r.kind == RegionKind.city), None)

    def places(self, *, county: str | None, zone: str | None) -> frozenset[str]:
        """The regions an object with this county and zone counts for (empty when placed nowhere)."""
        own: set[str] = set()
        if zone and zone in self.by_id:
            own.add(zone)
            zc = self.zone_county.get(zone)
            if zc:
                own.add(zc)
        if county and county in self.by_id:
            own.add(county)
        if own:
            own.update(r.id for r in self.by_id.values() if r.kind == RegionKind.city)
        return frozenset(own)

    def covers(self, region: str, *, county: str | None, zone: str | None) -> bool:
        """True when an object with this county and zone counts for ``region``.

        Raises NotFound for an unknown ``region``."""
        self.get(region)
        return region in self.places(county=county, zone=zone)

    def covers_obj(self, region: str, obj: Placed) -> bool:
        return self.covers(region, county=obj.county, zone=obj.zone)


def chain_roots(chains: Iterable[Chain]) -> dict[str, str]:
    """Map every chain id to its top-level chain id (sub-chains folded into parents).

    >>> chain_roots([Chain(id="cai", name_zh="材", name_en="M", letter="材"),
    ...              Chain(id="cai.mg", name_zh="镁", name_en="Mg", letter="材", parent="cai")])
    {'cai': 'cai', 'cai.mg': 'cai'}
    """
    by_id = {c.id: c for c in chains}
    out: dict[str, str] = {}
    for cid in by_id:
        seen = {cid}
        cur = by_id[cid]
        while cur.parent and cur.parent in by_id and cur.parent not in seen:
            seen.add(cur.parent)
            cur = by_id[cur.parent]
        out[cid] = cur.id
    return out


def _enterprise_key(e: Enterprise) -> str:
    return e.key


@dataclass
class ChainData:
    """Everything the analysis needs: chains, regions, segments, links, enterprises.

    ``origin`` maps ``(kind, id)`` to ``(file, line)`` for objects read from files.
    ``revision`` is the store's :func:`data_revision` the data was read at (None for
    data read from files).  ``policies`` are the policy constraints
    (:mod:`chainmap.policies`; records of kind ``policy`` in a store).  ``census`` holds the
    census records the coverage rule reads, by kind (:data:`CENSUS_RECORD_KINDS`; empty for
    data read from files: no register imported, no absence confirmed).
    """

    chains: list[Chain]
    regions: list[Region]
    segments: list[Segment]
    links: list[Link]
    enterprises: list[Enterprise]
    origin: dict[tuple[str, str], tuple[str, int | None]] = field(default_factory=dict, repr=False)
    #: store data revision the data was read at (None for data read from files)
    revision: int | None = None
    policies: list[Policy] = field(default_factory=list)
    census: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)

    @cached_property
    def graph(self) -> nx.DiGraph:
        """The chain graph (see :mod:`chainmap.graph`), built on first use."""
        from chainmap.graph import build_graph

        return build_graph(self.chains, self.segments, self.links)

    @cached_property
    def chain_root(self) -> dict[str, str]:
        return chain_roots(self.chains)

    @cached_property
    def region_by_id(self) -> dict[str, Region]:
        return {r.id: r for r in self.regions}

    @cached_property
    def segment_by_id(self) -> dict[str, Segment]:
        return {s.id: s for s in self.segments}

    @cached_property
    def region_index(self) -> RegionIndex:
        """The region hierarchy with the locality rule."""
        return RegionIndex(self.regions)

    @cached_property
    def _local_by_region(self) -> dict[str, tuple[Enterprise, ...]]:
        idx = self.region_index
        out: dict[str, list[Enterprise]] = {r: [] for r in idx.by_id}
        for e in sorted(self.enterprises, key=_enterprise_key):
            for r in idx.places(county=e.county, zone=e.zone):
                out[r].append(e)
        return {r: tuple(v) for r, v in out.items()}

    def top_chains(self) -> list[Chain]:
        return [c for c in self.chains if not c.parent]

    def summary(self, region: str | None = None) -> list[dict[str, Any]]:
        """Per chain (top-level and sub-chains): id, names, letter, parent, segment and
        local-enterprise counts (an enterprise counts once per chain it operates in).

        ``region`` (default: the city) chooses whose enterprises count, by the
        locality rule."""
        roots = self.chain_root
        seg_chain = {s.id: s.chain for s in self.segments}
        if region is None:
            city = self.region_index.city()
            firms: Sequence[Enterprise] = (
                local_enterprises(self, city.id) if city is not None else list(self.enterprises)
            )
        else:
            firms = local_enterprises(self, region)

        def chains_of(seg_ids: Iterable[str]) -> set[tuple[bool, str]]:
            """The chains the segments ``seg_ids`` are in, as (top-level?, id): a segment is in
            its own chain and in the top-level chain that chain folds into."""
            out: set[tuple[bool, str]] = set()
            for seg_id in seg_ids:
                ch = seg_chain.get(seg_id)
                if ch is None:
                    continue
                out.add((False, ch))
                root = roots.get(ch)
                if root is not None:
                    out.add((True, root))
            return out

        # one pass over the segments and the firms (each firm counts once per chain)
        n_seg: dict[tuple[bool, str], int] = {}
        for seg in self.segments:
            for key in chains_of((seg.id,)):
                n_seg[key] = n_seg.get(key, 0) + 1
        n_ent: dict[tuple[bool, str], int] = {}
        for e in firms:
            for key in chains_of(p.segment for p in e.presences()):
                n_ent[key] = n_ent.get(key, 0) + 1
        out = []
        for c in self.chains:
            key = (not c.parent, c.id)
            out.append(
                {
                    "id": c.id,
                    "name_zh": c.name_zh,
                    "name_en": c.name_en,
                    "letter": c.letter,
                    "parent": c.parent,
                    "segments": n_seg.get(key, 0),
                    "enterprises": n_ent.get(key, 0),
                }
            )
        return out


def local_enterprises(
    data: ChainData, region: str, *, segment: str | None = None, role: Role | None = None
) -> list[Enterprise]:
    """Enterprises local to ``region`` by the locality rule, sorted by key.

    ``segment`` keeps those present in that segment, ``role`` those with that
    role (producer or user) there — or anywhere when ``segment`` is None.

    Raises
    ------
    NotFound
        For an unknown region, listing the valid ids.
    """
    data.region_index.get(region)
    firms = data._local_by_region.get(region, ())
    if segment is None and role is None:
        return list(firms)
    return [
        e
        for e in firms
        if any((segment is None or p.segment == segment) and (role is None or p.role == role) for p in e.presences())
    ]


def is_local(data: ChainData, enterprise: Placed, region: str | None = None) -> bool:
    """True when ``enterprise`` counts for ``region`` (default: the city)."""
    idx = data.region_index
    if region is None:
        city = idx.city()
        if city is None:
            return False
        region = city.id
    return idx.covers(region, county=enterprise.county, zone=enterprise.zone)


#: The landmark's reading order: 合 · 汽 · 生 · 材.
LANDMARK_ORDER = ("合", "汽", "生", "材")


def display_order(chains: Sequence[Chain]) -> list[Chain]:
    """Chains in the order people read them: the 合汽生材 chains in that order, then other
    top-level chains by id; each sub-chain right after its top-level chain (by id).

    >>> from chainmap.models import Chain
    >>> cs = [Chain(id=i, name_zh=i, name_en=i, letter=l, parent=p) for i, l, p in
    ...       [("cai", "材", None), ("he", "合", None), ("qi", "汽", None), ("qi.ev", "汽", "qi"), ("sheng", "生", None)]]
    >>> [c.id for c in display_order(cs)]
    ['he', 'qi', 'qi.ev', 'sheng', 'cai']
    """
    by_id = {c.id: c for c in chains}

    def root(c: Chain) -> Chain:
        seen = set()
        while c.parent and c.parent in by_id and c.id not in seen:
            seen.add(c.id)
            c = by_id[c.parent]
        return c

    def key(c: Chain) -> tuple[int, str, int, str]:
        r = root(c)
        letter = getattr(r, "letter", None) or ""
        rank = LANDMARK_ORDER.index(letter) if letter in LANDMARK_ORDER else len(LANDMARK_ORDER)
        return (rank, r.id, 0 if r is c else 1, c.id)

    return sorted(chains, key=key)


def chain_data_from_store(store: Store) -> ChainData:
    """Read everything the analysis needs from a :class:`~chainmap.storage.base.Store`.

    The revision (:func:`data_revision`) is read *before* the data, so the data is at
    least as new as ``revision`` and a cache keyed on it never serves data older than
    its key.
    """
    revision = data_revision(store)
    return ChainData(
        revision=revision,
        chains=display_order(store.list_chains()),
        regions=store.list_regions(),
        segments=store.list_segments(),
        links=store.list_links(),
        enterprises=store.list_enterprises(),
        policies=policies_from_records(store.list_records(POLICY_RECORD_KIND)),
        census={k: store.list_records(k) for k in CENSUS_RECORD_KINDS},
    )
