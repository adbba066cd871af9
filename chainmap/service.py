"""Use cases of the chain-map core, called by every front door (API routes, CLI
commands, ``chainmap demo``, the web page).  Front doors only translate input
and output; the analysis, the caching and the cache keys live here.

Results are cached in a :class:`~chainmap.cache.ResultCache` per store *data*
revision (chains, segments, links, regions, enterprises and the policy records:
``ChainData.revision``, :func:`chainmap.data.data_revision`), so other record writes
(projects, keys, candidates) never invalidate them.  Data read
from files (``revision is None``) is never cached.  Cache kinds (the first key
element, counted in ``ResultCache.computed``):

``data``        the read model of a store, per graph revision;
``criticality`` the criticality scores, per chain scope (region-independent);
``gaps``        one gap analysis: all top-level chains of a region and language
                (``("gaps", rev, None, region, lang)``) or one sub-chain
                (``("gaps", rev, "cai.al", region, lang)``) -- a top-level
                chain's report is the all-chains report restricted to it;
``gaps-json``   a serialised JSON page of a gap report (filters, page);
``graph``       a chain graph export (json, cytoscape, gexf, graphml, svg).

>>> from chainmap.seed import load_seed
>>> data = load_seed()
>>> rep = gap_report(data=data, chain="qi")
>>> rep.chains, rep.region
(['qi'], 'yuncheng')
>>> [r["enterprises"] for r in chain_summary(data=data) if r["id"] == "qi"]
[5]
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, overload

from chainmap.cache import ResultCache
from chainmap.data import ChainData, chain_data_from_store, data_revision, local_enterprises
from chainmap.exceptions import InvalidInput
from chainmap.i18n import norm_lang
from chainmap.models import Enterprise, Region, Role, Segment

# chainmap.graph (networkx) and the analysis stack (numpy, scipy) load on first use: commands start fast
if TYPE_CHECKING:
    from chainmap.analysis.gaps import GapItem, GapReport
    from chainmap.storage.base import Store

__all__ = [
    "local_enterprise_page",
    "GRAPH_FORMATS",
    "GAP_RENDER_FORMATS",
    "ChainGraph",
    "chain_data",
    "default_region",
    "valid_region",
    "valid_chain",
    "criticality_scores",
    "gap_report",
    "gap_items",
    "gap_page_json",
    "render_gap_report",
    "gap_report_filename",
    "local_counts",
    "chain_graph",
    "chain_detail",
    "chain_summary",
    "chain_info",
    "chain_segment_list",
    "region_list",
    "cache_stats",
]

T = TypeVar("T")

#: chain graph formats: the exports of :func:`chainmap.graph.export_graph` (``EXPORT_FORMATS``,
#: spelled out so that importing this module loads no networkx; a test keeps them equal) plus svg
GRAPH_FORMATS: tuple[str, ...] = ("json", "cytoscape", "gexf", "graphml", "svg")
#: gap report files (``md`` and ``markdown`` are the same format)
GAP_RENDER_FORMATS: tuple[str, ...] = ("json", "md", "markdown", "html", "xlsx")
_EXT = {"json": "json", "md": "md", "markdown": "md", "html": "html", "xlsx": "xlsx"}


def _cached(cache: ResultCache | None, data: ChainData, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """``compute()`` through ``cache`` under ``(key[0], data.revision, *key[1:])``; uncached
    without a cache or for data read from files (no revision)."""
    if cache is None or data.revision is None:
        return compute()
    return cache.get_or_compute((key[0], data.revision, *key[1:]), compute)


# ---------------------------------------------------------------- data, validation


def chain_data(*, store: Store, cache: ResultCache | None = None) -> ChainData:
    """The store's read model, cached per data revision (graph and policies,
    :func:`chainmap.data.data_revision`)."""
    if cache is None:
        return chain_data_from_store(store)
    return cache.get_or_compute(("data", data_revision(store)), lambda: chain_data_from_store(store))


def default_region(data: ChainData) -> str:
    """The city's region id (the default scope of every report)."""
    city = data.region_index.city()
    return city.id if city is not None else "yuncheng"


def valid_region(data: ChainData, region: str | None, *, field: str = "region") -> str:
    """The id of ``region`` -- an id, a Chinese or English name or a short form (``永济``,
    ``运城经开区``: :mod:`chainmap.resolve`) -- or the city when None; NotFound naming the
    value with suggestions when unknown."""
    if region is None:
        return default_region(data)
    if region in data.region_index.by_id:
        return region
    from chainmap.resolve import region_resolver

    return region_resolver(data.regions, field=field).resolve(region)


@overload
def valid_chain(data: ChainData, chain: str, *, field: str = ...) -> str: ...
@overload
def valid_chain(data: ChainData, chain: None, *, field: str = ...) -> None: ...
@overload
def valid_chain(data: ChainData, chain: str | None, *, field: str = ...) -> str | None: ...
def valid_chain(data: ChainData, chain: str | None, *, field: str = "chain") -> str | None:
    """The id of ``chain`` (an id, a name or a 合汽生材 letter), or None; NotFound with
    suggestions otherwise."""
    if chain is None or chain in data.chain_root:
        return chain
    from chainmap.resolve import chain_resolver

    return chain_resolver(data.chains, field=field).resolve(chain)


def valid_segment(data: ChainData, segment: str | None, *, field: str = "segment") -> str | None:
    """The id of ``segment`` (an id, a Chinese / English name or an alias), or None;
    NotFound with suggestions otherwise."""
    if segment is None or segment in data.graph:
        return segment
    from chainmap.resolve import segment_resolver

    return segment_resolver(data.segments, field=field).resolve(segment)


def valid_status(status: str | None, *, field: str = "type") -> str | None:
    """The gap-status code of ``status`` (``fill`` or ``补链`` …), or None; NotFound listing
    the statuses otherwise."""
    if status is None:
        return None
    from chainmap.labels import GAP_STATUS
    from chainmap.resolve import status_resolver

    return status_resolver(dict(GAP_STATUS), field=field).resolve(status)


# ---------------------------------------------------------------- gap reports


def criticality_scores(*, data: ChainData, cache: ResultCache | None = None) -> dict[str, dict[str, float]]:
    """:func:`chainmap.analysis.criticality.chain_criticality` of the graph: each segment scored
    on its own chain's scope (region-independent), cached per graph revision."""
    from chainmap.analysis.criticality import chain_criticality

    return _cached(cache, data, ("criticality",), lambda: chain_criticality(data.graph))


def gap_report(
    *,
    data: ChainData,
    cache: ResultCache | None = None,
    region: str | None = None,
    chain: str | None = None,
    lang: str = "zh",
) -> GapReport:
    """The gap report of ``chain`` (default: every top-level chain) for ``region``
    (default: the city) in ``lang``.

    Absences follow the census rule (:func:`chainmap.census.coverage.absence_rule`: confirmed
    by a planner or a complete register, else 待核实) and the report carries the census
    coverage of each chain in the region (``coverage``, ``pending_assignments``).  The cache
    key is the data revision, which counts the census records (:func:`chainmap.data.data_revision`).

    The all-chains report is computed once per (graph revision, region, lang); a
    top-level chain's report is that report restricted to the chain
    (:func:`chainmap.analysis.gaps.restrict_report`, equal to analysing the chain
    alone); a sub-chain is analysed on its own.  The criticality scores are
    computed once per graph revision.

    Raises
    ------
    NotFound
        Unknown region or chain (listing the valid ids).
    InvalidInput
        Unknown ``lang``.
    """
    from chainmap.analysis.gaps import analyze_gaps, restrict_report

    lang = norm_lang(lang)
    region_id = valid_region(data, region)
    chain = valid_chain(data, chain)
    sub = chain if chain is not None and data.chain_root.get(chain, chain) != chain else None

    def compute() -> GapReport:
        from chainmap.census.coverage import Census, absence_rule, coverage_rows

        crit = criticality_scores(data=data, cache=cache)
        census = Census.from_data(data)
        rule = absence_rule(data, census, region_id, lang=lang)
        rep = analyze_gaps(
            data, region=region_id, chain=sub, lang=lang, criticality_scores=crit, absence_confirmed=rule
        )
        rep.coverage = coverage_rows(data, census, region_id, rep.chains, lang=lang)
        rep.pending_assignments = sum(int(c["pending_assignments"]) for c in rep.coverage.values())
        return rep

    report = _cached(cache, data, ("gaps", sub, region_id, lang), compute)
    if chain is None or sub is not None:
        return report
    return restrict_report(report, chain)


def gap_items(report: GapReport, *, status: str | None = None, min_priority: float = 0.0) -> list[GapItem]:
    """Items of ``report`` with ``status`` (any when None) and priority >= ``min_priority``,
    in report order.  InvalidInput for an unknown status."""
    from chainmap.analysis.gaps import select_items

    return [i for i in select_items(report, status=status) if i.priority >= min_priority]


def gap_page_json(
    *,
    data: ChainData,
    cache: ResultCache | None = None,
    region: str | None = None,
    chain: str | None = None,
    status: str | None = None,
    min_priority: float = 0.0,
    lang: str = "zh",
    page: int = 1,
    page_size: int = 200,
) -> bytes:
    """One page of a gap report as compact JSON (UTF-8): the report without its items,
    then ``items`` (the page), ``total`` (matching items), ``page`` and ``page_size``.

    The encoded page is cached, so a repeated request costs no serialisation."""
    lang = norm_lang(lang)
    region_id = valid_region(data, region)
    chain = valid_chain(data, chain)
    status = valid_status(status)
    report = gap_report(data=data, cache=cache, region=region_id, chain=chain, lang=lang)

    def compute() -> bytes:
        items = gap_items(report, status=status, min_priority=min_priority)
        import json

        start = (page - 1) * page_size
        body: dict[str, Any] = report.model_dump(mode="json", exclude={"items"})
        body.update(
            items=[i.model_dump(mode="json") for i in items[start : start + page_size]],
            total=len(items),
            page=page,
            page_size=page_size,
        )
        return json.dumps(body, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode(
            "utf-8"
        )

    key = ("gaps-json", region_id, chain, status, min_priority, lang, page, page_size)
    return _cached(cache, data, key, compute)


def render_gap_report(
    *, data: ChainData, report: GapReport, fmt: str, status: str | None = None, min_priority: float = 0.0
) -> str | bytes:
    """``report`` (its items filtered as in :func:`gap_items`) as JSON, Markdown, HTML (with
    the chain diagrams of ``data``) or XLSX (bytes); texts follow ``report.lang``.

    Raises
    ------
    InvalidInput
        Unknown format or status.
    """
    from chainmap.reports.gaps import render_gaps

    if fmt not in GAP_RENDER_FORMATS:
        raise InvalidInput(f"unknown format {fmt!r}; expected one of {', '.join(GAP_RENDER_FORMATS)}", field="format")
    status = valid_status(status)
    if status is not None or min_priority > 0:
        report = report.model_copy(update={"items": gap_items(report, status=status, min_priority=min_priority)})
    return render_gaps(report, fmt, graph=data.graph)


def gap_report_filename(report: GapReport, fmt: str) -> str:
    """Download name of a rendered report: ``gaps-<chain|all>-<region>.<ext>``."""
    return f"gaps-{report.chain or 'all'}-{report.region}.{_EXT.get(fmt, fmt)}"


# ---------------------------------------------------------------- chains and graphs


@dataclass(frozen=True)
class ChainGraph:
    """A chain graph export: the text and the size of the exported subgraph."""

    chain: str
    region: str
    fmt: str
    text: str
    nodes: int
    edges: int


def local_counts(data: ChainData, region: str) -> dict[str, int]:
    """Local producers per segment in ``region`` (the locality rule of :mod:`chainmap.data`)."""
    counts: dict[str, int] = {}
    for e in local_enterprises(data, region):
        for p in e.presences(Role.producer):
            counts[p.segment] = counts.get(p.segment, 0) + 1
    return counts


def chain_graph(
    *,
    data: ChainData,
    cache: ResultCache | None = None,
    chain: str,
    region: str | None = None,
    fmt: str = "json",
    lang: str = "zh",
) -> ChainGraph:
    """The chain and its linked segments of other chains as ``fmt`` (json, cytoscape, gexf,
    graphml: nodes carry ``local_enterprises``, the local producers in ``region``, and
    ``presence_state`` (present / absent / unknown, :mod:`chainmap.census.coverage`); json and
    cytoscape also carry the census ``coverage`` of the chain in the region; svg: the
    layered diagram coloured by the status of each segment in the cached gap report).

    Raises
    ------
    NotFound
        Unknown chain or region.
    InvalidInput
        Unknown format or language.
    """
    lang = norm_lang(lang)
    region_id = valid_region(data, region)
    chain = valid_chain(data, chain)
    if fmt not in GRAPH_FORMATS:
        raise InvalidInput(f"unknown format {fmt!r}; expected one of {', '.join(GRAPH_FORMATS)}", field="format")

    def compute() -> ChainGraph:
        from chainmap.graph import chain_subgraph, export_graph

        H = chain_subgraph(data.graph, chain)
        if fmt == "svg":
            from chainmap.reports.svg import render_chain_svg

            report = gap_report(data=data, cache=cache, region=region_id, chain=chain, lang=lang)
            text = render_chain_svg(data.graph, chain, report.items, lang=lang, layout="layered")
        else:
            from chainmap.census.coverage import Census, presence_states, region_coverage

            counts = local_counts(data, region_id)
            census = Census.from_data(data)
            states = presence_states(data, census, region_id)
            for n in H.nodes:
                H.nodes[n]["local_enterprises"] = counts.get(n, 0)
                H.nodes[n]["presence_state"] = states[n].state if n in states else "unknown"
            H.graph["region"] = region_id
            # status, priority, colour and layered positions (webmap: exports draw like the map)
            from chainmap.graph import annotate_export
            from chainmap.labels import GAP_STATUS_COLOURS

            report = gap_report(data=data, cache=cache, region=region_id, chain=chain, lang=lang)
            status = {it.segment_id: (str(it.status), it.priority) for it in report.items}
            annotate_export(H, status, dict(GAP_STATUS_COLOURS))
            if fmt in ("json", "cytoscape"):  # structured graph attributes (gexf / graphml take scalars)
                H.graph["coverage"] = region_coverage(data, census, region_id, chain, lang=lang, states=states)
            text = export_graph(H, fmt)
        return ChainGraph(chain, region_id, fmt, text, H.number_of_nodes(), H.number_of_edges())

    return _cached(cache, data, ("graph", chain, region_id, fmt, lang), compute)


def chain_detail(*, data: ChainData, chain: str, region: str | None = None) -> dict[str, Any]:
    """One chain for ``chainmap chain show``: its segments per stage with the names of their
    local producers in ``region`` (default: the city; the locality rule), plus its links."""
    from chainmap.graph import chain_segments, stage_layers

    region_id = valid_region(data, region)
    chain = valid_chain(data, chain)
    G = data.graph
    seg_ids = set(chain_segments(G, chain))
    local: dict[str, list[str]] = {s: [] for s in seg_ids}
    for e in local_enterprises(data, region_id):
        for p in e.presences(Role.producer):
            if p.segment in local:
                local[p.segment].append(e.name)
    layers = stage_layers(G, chain)
    info = next(c for c in data.chains if c.id == chain)
    return {
        "chain": info.model_dump(mode="json"),
        "region": region_id,
        "stages": {
            st: [
                {
                    "id": n,
                    "name_zh": G.nodes[n]["name_zh"],
                    "name_en": G.nodes[n]["name_en"],
                    "chain": G.nodes[n]["chain"],
                    "chokepoint": G.nodes[n]["chokepoint"],
                    "local_enterprises": sorted(local[n]),
                }
                for n in nodes
            ]
            for st, nodes in layers.items()
        },
        "links": [
            {"source": u, "target": v, "kind": d["kind"], "cross_chain": d["cross_chain"]}
            for u, v, d in sorted(G.edges(data=True))
            if u in seg_ids or v in seg_ids
        ],
    }


def chain_summary(*, data: ChainData, region: str | None = None) -> list[dict[str, Any]]:
    """Every chain (top-level and sub-chains) with its segment count and the number of
    enterprises local to ``region`` (default: the city) operating in it."""
    return data.summary(valid_region(data, region))


def chain_info(*, data: ChainData, chain: str, region: str | None = None) -> dict[str, Any]:
    """One row of :func:`chain_summary` plus ``sub_chains``."""
    chain = valid_chain(data, chain)
    row = next(r for r in chain_summary(data=data, region=region) if r["id"] == chain)
    row["sub_chains"] = [c.id for c in data.chains if c.parent == chain]
    return row


def chain_segment_list(*, data: ChainData, chain: str) -> list[Segment]:
    """The segments of ``chain`` (a top-level chain includes its sub-chains), by id."""
    from chainmap.graph import chain_segments

    chain = valid_chain(data, chain)
    ids = set(chain_segments(data.graph, chain))
    return [s for s in sorted(data.segments, key=lambda s: s.id) if s.id in ids]


def region_list(*, data: ChainData) -> list[Region]:
    """The city, then the counties, then the zones, each by id."""
    order = {"city": 0, "county": 1, "zone": 2}
    return sorted(data.regions, key=lambda r: (order[r.kind.value], r.id))


def cache_stats(cache: ResultCache) -> dict[str, Any]:
    """Hits, misses, size and computations per kind (``computed["gaps"]`` counts analyses)."""
    return cache.stats()


def local_enterprise_page(
    *,
    data: ChainData,
    region: str,
    segment: str | None = None,
    tag: str | None = None,
    name: str | None = None,
    county: str | None = None,
    zone: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Enterprise], int]:
    """Enterprises local to ``region`` by the locality rule (:func:`chainmap.data.local_enterprises`),
    optionally present in ``segment``, carrying ``tag`` or whose name contains ``name``; one page
    and the total.  The web page's region filter uses this, so its lists agree with the gap report."""
    segment = valid_segment(data, segment)
    county = None if county is None else valid_region(data, county, field="county")
    zone = None if zone is None else valid_region(data, zone, field="zone")
    firms = local_enterprises(data, valid_region(data, region), segment=segment)
    if tag is not None:
        firms = [e for e in firms if any(str(t) == tag for t in e.tags)]
    if name:
        needle = name.casefold()
        firms = [e for e in firms if needle in e.name.casefold()]
    if county is not None:  # exact stored fields, narrowing the region's firms
        firms = [e for e in firms if e.county == county]
    if zone is not None:
        firms = [e for e in firms if e.zone == zone]
    return firms[offset : offset + limit], len(firms)
