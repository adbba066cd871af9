"""Chains, segments, links and chain graphs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from api.deps import (
    CacheDep,
    ChainIdDep,
    DataDep,
    LangDep,
    Reader,
    StoreDep,
    check_chain,
    require,
    valid_region_id,
)
from chainmap import editing
from chainmap.data import ChainData, local_enterprises
from chainmap.graph import chain_subgraph, export_graph
from chainmap.models import Link, LinkKind, Region, Segment

router = APIRouter(tags=["chains"])

Planner = Annotated[dict[str, Any], Depends(require("segments"))]

_GRAPH_MEDIA = {
    "json": "application/json",
    "cytoscape": "application/json",
    "gexf": "application/xml",
    "graphml": "application/xml",
    "svg": "image/svg+xml",
}


def local_counts(data: ChainData, region: str) -> dict[str, int]:
    """Local producers per segment in ``region`` (the locality rule of :mod:`chainmap.data`)."""
    counts: dict[str, int] = {}
    for e in local_enterprises(data, region):
        for p in e.segments:
            if p.role.value == "producer":
                counts[p.segment] = counts.get(p.segment, 0) + 1
    return counts


@router.get("/chains", summary="产业链列表 / list chains", response_model=list[dict[str, Any]])
def list_chains(data: DataDep, _: Reader) -> list[dict[str, Any]]:
    """每条链（含材的子链）及其环节数、本地企业数。Chains with segment and enterprise counts."""
    return data.summary()


@router.get("/chains/{chain_id}", summary="单条产业链 / one chain", response_model=dict[str, Any])
def get_chain(chain_id: ChainIdDep, data: DataDep, _: Reader) -> dict[str, Any]:
    row = next(r for r in data.summary() if r["id"] == chain_id)
    row["sub_chains"] = [c.id for c in data.chains if c.parent == chain_id]
    return row


@router.get("/chains/{chain_id}/segments", summary="链的环节 / segments of a chain", response_model=list[Segment])
def chain_segments(chain_id: ChainIdDep, data: DataDep, _: Reader) -> list[Segment]:
    from chainmap.graph import chain_segments as ids_of

    ids = set(ids_of(data.graph, chain_id))
    return [s for s in sorted(data.segments, key=lambda s: s.id) if s.id in ids]


@router.get("/segments/{segment_id}", summary="单个环节 / one segment", response_model=Segment)
def get_segment(segment_id: str, store: StoreDep, _: Reader) -> Segment:
    return store.get_segment(segment_id)


@router.post("/segments", status_code=201, summary="新建环节（规划人员）/ create a segment", response_model=Segment)
def create_segment(segment: Segment, store: StoreDep, _: Planner) -> Segment:
    """新建或替换环节；重新校验图：链与上级环节须存在，不得形成 part_of 环。"""
    editing.save_segment(store, segment)
    return store.get_segment(segment.id)


@router.put("/segments/{segment_id}", summary="修改环节 / update a segment", response_model=Segment)
def update_segment(segment_id: str, segment: Segment, store: StoreDep, _: Planner) -> Segment:
    if segment.id != segment_id:
        from chainmap.exceptions import InvalidInput

        raise InvalidInput(f"body id {segment.id!r} differs from path id {segment_id!r}", field="id")
    store.get_segment(segment_id)
    editing.save_segment(store, segment)
    return store.get_segment(segment_id)


@router.delete("/segments/{segment_id}", status_code=204, summary="删除环节 / delete a segment")
def delete_segment(
    segment_id: str,
    store: StoreDep,
    _: Planner,
    cascade: Annotated[bool, Query(description="同时删除关联与企业挂接 / also remove links and presences")] = False,
) -> Response:
    editing.remove_segment(store, segment_id, cascade=cascade)
    return Response(status_code=204)


@router.get("/links", summary="关联列表 / list links", response_model=list[Link])
def list_links(store: StoreDep, data: DataDep, _: Reader, chain: str | None = None) -> list[Link]:
    check_chain(data, chain)
    return store.list_links(chain)


@router.post("/links", status_code=201, summary="新建关联（规划人员）/ create a link", response_model=Link)
def create_link(link: Link, store: StoreDep, _: Planner) -> Link:
    editing.save_link(store, link)
    return link


@router.delete("/links", status_code=204, summary="删除关联 / delete a link")
def delete_link(source: str, target: str, kind: LinkKind, store: StoreDep, _: Planner) -> Response:
    editing.remove_link(store, source, target, kind.value)
    return Response(status_code=204)


@router.get(
    "/chains/{chain_id}/graph",
    summary="链图导出 / chain graph for visualisation tools",
    responses={200: {"content": {m: {} for m in set(_GRAPH_MEDIA.values())}}},
)
def chain_graph(
    chain_id: ChainIdDep,
    data: DataDep,
    cache: CacheDep,
    store: StoreDep,
    _: Reader,
    lang: LangDep,
    format: Annotated[str, Query(pattern="^(json|cytoscape|gexf|graphml|svg)$", description="json|cytoscape|gexf|graphml|svg")] = "json",
    region: Annotated[str | None, Query(description="区域编号，默认运城市 / region id")] = None,
) -> Response:
    """本链及跨链相邻环节；节点带本地企业数（按区域）。GEXF 供 Gephi，GraphML 供 yEd。"""
    region_id = valid_region_id(data, region)

    def build() -> str:
        H = chain_subgraph(data.graph, chain_id)
        counts = local_counts(data, region_id)
        for n in H.nodes:
            H.nodes[n]["local_enterprises"] = counts.get(n, 0)
        H.graph["region"] = region_id
        if format == "svg":
            from chainmap.analysis.gaps import analyze_gaps
            from chainmap.reports.svg import render_chain_svg

            report = analyze_gaps(data, region=region_id, chain=chain_id, lang=lang)
            return render_chain_svg(data.graph, chain_id, report.items, lang=lang)
        return export_graph(H, format)

    text = cache.get_or_compute(("graph", data.revision, chain_id, region_id, format, lang), build)
    return Response(content=text, media_type=_GRAPH_MEDIA[format])


@router.get("/regions", summary="区域列表 / regions", response_model=list[Region], tags=["regions"])
def list_regions(data: DataDep, _: Reader) -> list[Region]:
    """运城市、13个县（市、区）及开发区。The city, its 13 county-level units and development zones."""
    order = {"city": 0, "county": 1, "zone": 2}
    return sorted(data.regions, key=lambda r: (order[r.kind.value], r.id))
