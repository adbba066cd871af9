"""Chains, segments, links and chain graphs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile

from api.deps import (
    CacheDep,
    ChainIdDep,
    DataDep,
    LangDep,
    Reader,
    SettingsDep,
    StoreDep,
    check_chain,
    require,
)
from api.errors import PRECONDITION_RESPONSES
from api.etags import IfMatch, expected_tags, set_etag
from api.uploads import read_upload, upload_limits
from chainmap import chain_import, editing, service
from chainmap.exceptions import InvalidInput, NotFound
from chainmap.models import Link, LinkKind, Region, Segment
from chainmap.storage.base import Store

router = APIRouter(tags=["chains"])

Planner = Annotated[dict[str, Any], Depends(require("segments"))]

_GRAPH_MEDIA = {
    "json": "application/json",
    "cytoscape": "application/json",
    "gexf": "application/xml",
    "graphml": "application/xml",
    "svg": "image/svg+xml",
}


RegionQ = Annotated[str | None, Query(description="区域编号，默认运城市 / region id (default: the city)")]


@router.get("/chains", summary="产业链列表 / list chains", response_model=list[dict[str, Any]])
def list_chains(data: DataDep, _: Reader, region: RegionQ = None) -> list[dict[str, Any]]:
    """每条链（含材的子链）及其环节数、本地企业数。Chains with segment and local enterprise counts."""
    return service.chain_summary(data=data, region=region)


@router.post(
    "/chains/import", status_code=201, summary="导入产业链（规划人员）/ import a chain (edge list, GraphML, GEXF)",
    response_model=dict[str, Any],
)
def import_chain(
    store: StoreDep,
    data: DataDep,
    settings: SettingsDep,
    _: Planner,
    response: Response,
    file: Annotated[UploadFile, File(description="关联表 CSV/XLSX（上游环节,下游环节,关系,权重,说明,来源）或 GraphML/GEXF")],
    chain_id: Annotated[str, Form(description="新链编号（小写英文）/ new chain id")],
    name_zh: Annotated[str, Form(description="链中文名 / Chinese name")],
    name_en: Annotated[str | None, Form(description="英文名（可选）/ English name")] = None,
    letter: Annotated[str | None, Form(description="简称字（可选）/ short label")] = None,
    description: Annotated[str, Form()] = "",
    sources: Annotated[str, Form(description="来源，分号分隔 / source keys, ';'-separated")] = "",
    dry_run: Annotated[bool, Form(description="只校验不写入 / validate only")] = False,
    enterprises: Annotated[
        UploadFile | None, File(description="本地企业表（可选，同一次写入）/ local enterprises (optional, same write)")
    ] = None,
) -> dict[str, Any]:
    """全部校验通过才写入（与种子相同的校验）；否则 422 及逐行错误。阶段缺失时按最长路径分层推断并标记。
    All or nothing, validated like the seed; missing stages inferred (longest-path layering) and marked."""
    limits = upload_limits(settings)
    raw, name = read_upload(file, limits)
    ents_raw, ents_name = read_upload(enterprises, limits) if enterprises is not None else (None, "enterprises.csv")
    summary = chain_import.import_chain(
        store, raw, filename=name, chain_id=chain_id, name_zh=name_zh, name_en=name_en, letter=letter,
        description=description, sources=[x.strip() for x in sources.replace("；", ";").split(";") if x.strip()],
        enterprises=ents_raw, enterprises_filename=ents_name, dry_run=dry_run, data=data, limits=limits,
    )  # fmt: skip
    if dry_run:
        response.status_code = 200
    return summary


@router.get("/chains/{chain_id}", summary="单条产业链 / one chain", response_model=dict[str, Any])
def get_chain(chain_id: ChainIdDep, data: DataDep, _: Reader, region: RegionQ = None) -> dict[str, Any]:
    return service.chain_info(data=data, chain=chain_id, region=region)


@router.get("/chains/{chain_id}/segments", summary="链的环节 / segments of a chain", response_model=list[Segment])
def chain_segments(chain_id: ChainIdDep, data: DataDep, _: Reader) -> list[Segment]:
    return service.chain_segment_list(data=data, chain=chain_id)


@router.get("/segments/{segment_id}", summary="单个环节 / one segment", response_model=Segment)
def get_segment(segment_id: str, store: StoreDep, _: Reader, response: Response) -> Segment:
    """响应头 ETag 为当前版本，修改时放入 If-Match。The ETag is the version to send back in If-Match."""
    segment = store.get_segment(segment_id)
    set_etag(response, segment)
    return segment


@router.post("/segments", status_code=201, summary="新建环节（规划人员）/ create a segment", response_model=Segment)
def create_segment(segment: Segment, store: StoreDep, _: Planner, response: Response) -> Segment:
    """新建或替换环节；重新校验图：链与上级环节须存在，不得形成 part_of 环。"""
    editing.save_segment(store, segment)
    saved = store.get_segment(segment.id)
    set_etag(response, saved)
    return saved


@router.put(
    "/segments/{segment_id}", summary="修改环节 / update a segment", response_model=Segment,
    responses=PRECONDITION_RESPONSES,
)
def update_segment(
    segment_id: str, segment: Segment, store: StoreDep, _: Planner, response: Response, if_match: IfMatch = None
) -> Segment:
    """带 If-Match 时仅当环节未被他人修改才写入，否则 412。With If-Match: 412 if it changed since it was read."""
    if segment.id != segment_id:
        raise InvalidInput(f"body id {segment.id!r} differs from path id {segment_id!r}", field="id")
    with store.guarded(lambda tx: tx.get_segment(segment_id), expected_tags(if_match), what=f"segment {segment_id!r}") as tx:
        editing.save_segment(tx, segment)
        saved = tx.get_segment(segment_id)  # the version written, read in its transaction
    set_etag(response, saved)
    return saved


@router.delete(
    "/segments/{segment_id}", status_code=204, summary="删除环节 / delete a segment", responses=PRECONDITION_RESPONSES
)
def delete_segment(
    segment_id: str,
    store: StoreDep,
    _: Planner,
    cascade: Annotated[bool, Query(description="同时删除关联与企业挂接 / also remove links and presences")] = False,
    if_match: IfMatch = None,
) -> Response:
    with store.guarded(lambda tx: tx.get_segment(segment_id), expected_tags(if_match), what=f"segment {segment_id!r}") as tx:
        editing.remove_segment(tx, segment_id, cascade=cascade)
    return Response(status_code=204)


@router.get("/links", summary="关联列表 / list links", response_model=list[Link])
def list_links(store: StoreDep, data: DataDep, _: Reader, chain: str | None = None) -> list[Link]:
    check_chain(data, chain)
    return store.list_links(chain)


def _link(tx: Store, source: str, target: str, kind: LinkKind | str) -> Link:
    link = tx.find_link(source, target, kind)
    if link is None:
        kind_text = kind.value if isinstance(kind, LinkKind) else kind
        raise NotFound(f"no {kind_text} link {source} -> {target}", field="link")
    return link


def _what(source: str, target: str, kind: LinkKind) -> str:
    return f"link {source}-[{kind.value}]->{target}"


@router.get("/links/{source}/{target}/{kind}", summary="单个关联 / one link", response_model=Link)
def get_link(source: str, target: str, kind: LinkKind, store: StoreDep, _: Reader, response: Response) -> Link:
    """关联以 (source, target, kind) 标识；响应头 ETag 为当前版本。A link is identified by source, target and kind."""
    link = _link(store, source, target, kind)
    set_etag(response, link)
    return link


@router.post(
    "/links", status_code=201, summary="新建关联（规划人员）/ create a link", response_model=Link,
    responses=PRECONDITION_RESPONSES,
)
def create_link(link: Link, store: StoreDep, _: Planner, response: Response, if_match: IfMatch = None) -> Link:
    """新建或替换关联；替换时可带 If-Match（GET /links/{source}/{target}/{kind} 的 ETag）。"""
    what = _what(link.source, link.target, link.kind)
    with store.guarded(lambda tx: tx.find_link(*link.key), expected_tags(if_match), what=what) as tx:
        editing.save_link(tx, link)
        saved = _link(tx, *link.key)
    set_etag(response, saved)
    return saved


@router.delete("/links", status_code=204, summary="删除关联 / delete a link", responses=PRECONDITION_RESPONSES)
def delete_link(
    source: str, target: str, kind: LinkKind, store: StoreDep, _: Planner, if_match: IfMatch = None
) -> Response:
    with store.guarded(lambda tx: _link(tx, source, target, kind), expected_tags(if_match), what=_what(source, target, kind)) as tx:
        editing.remove_link(tx, source, target, kind.value)
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
    _: Reader,
    lang: LangDep,
    format: Annotated[
        Literal["json", "cytoscape", "gexf", "graphml", "svg"], Query(description="json|cytoscape|gexf|graphml|svg")
    ] = "json",
    region: RegionQ = None,
) -> Response:
    """本链及跨链相邻环节；节点带本地企业数（按区域），SVG 按缺口状态着色。GEXF 供 Gephi，GraphML 供 yEd。"""
    graph = service.chain_graph(data=data, cache=cache, chain=chain_id, region=region, fmt=format, lang=lang)
    return Response(content=graph.text, media_type=_GRAPH_MEDIA[format])


@router.get("/regions", summary="区域列表 / regions", response_model=list[Region], tags=["regions"])
def list_regions(data: DataDep, _: Reader) -> list[Region]:
    """运城市、13个县（市、区）及开发区。The city, its 13 county-level units and development zones."""
    return service.region_list(data=data)
