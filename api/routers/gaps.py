"""Gap reports (强链 / 补链 / 延链): JSON, Markdown, HTML, XLSX, from :mod:`chainmap.service`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from api.deps import CacheDep, ChainIdDep, DataDep, LangDep, Reader
from api.http import conditional, etag_of
from chainmap import service
from chainmap.cache import ResultCache
from chainmap.data import ChainData
from chainmap.labels import GAP_STATUS

router = APIRouter(tags=["gaps"])

_MEDIA = {
    "json": "application/json",
    "markdown": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: OpenAPI: the 200 answer is JSON by default, or the report file named by ``format``
_DOWNLOADS: dict[int | str, dict[str, Any]] = {200: {"content": {m.split(";")[0]: {} for m in _MEDIA.values() if m != "application/json"}}}

FormatQ = Annotated[Literal["json", "markdown", "md", "html", "xlsx"], Query(description="json|markdown|html|xlsx")]
#: the accepted values of ``type``: each status's code, Chinese and English label (an enum in
#: the OpenAPI schema; :func:`chainmap.service.valid_status` maps them to the code)
_STATUS_VALUES = tuple(dict.fromkeys(v for code, (zh, en) in GAP_STATUS.items() for v in (code, zh, en)))
TypeQ = Annotated[
    Literal[_STATUS_VALUES] | None,  # type: ignore[valid-type]
    Query(
        description="缺口类型：编号或中文 fill 补链 | strengthen 强链 | extend 延链 | sound 健全 | not_priority 暂不布局 | "
        "unsuitable 不适宜 | unverified 待核实",
    ),
]


def _gap_response(
    request: Request,
    *,
    cache: ResultCache,
    data: ChainData,
    chain: str | None,
    region: str | None,
    status: str | None,
    min_priority: float,
    fmt: str,
    lang: str,
    page: int,
    page_size: int,
) -> Response:
    """Validate, then 304 when the ETag matches; else the JSON page or the report file
    (both from :mod:`chainmap.service`)."""
    fmt = "markdown" if fmt == "md" else fmt
    chain = service.valid_chain(data, chain)
    region_id = service.valid_region(data, region)
    status = service.valid_status(status, field="type")
    tag = etag_of(data.revision, region_id, chain, status, min_priority, fmt, lang, page, page_size)
    not_modified, headers = conditional(request, tag)
    if not_modified is not None:
        return not_modified
    if fmt == "json":
        content = service.gap_page_json(
            data=data, cache=cache, region=region_id, chain=chain, status=status, min_priority=min_priority,
            lang=lang, page=page, page_size=page_size,
        )
        return Response(content=content, media_type=_MEDIA[fmt], headers=headers)
    report = service.gap_report(data=data, cache=cache, region=region_id, chain=chain, lang=lang)
    out = service.render_gap_report(data=data, report=report, fmt=fmt, status=status, min_priority=min_priority)
    headers["Content-Disposition"] = f'attachment; filename="{service.gap_report_filename(report, fmt)}"'
    return Response(content=out.encode("utf-8") if isinstance(out, str) else out, media_type=_MEDIA[fmt], headers=headers)


_DOC = """每个环节一个状态（补链 fill / 强链 strengthen / 延链 extend / 健全 sound）、优先级 [0,1]、
优先级的分项和引用数字的理由。Every segment gets one status, a priority, its components and a rationale.
`format=markdown|html|xlsx` 下载报告（HTML 含链图，可打印为 A4）。"""


@router.get("/gaps", summary="缺口诊断 / gap analysis", description=_DOC, response_model=dict[str, Any], responses=_DOWNLOADS)
def get_gaps(
    request: Request,
    data: DataDep,
    cache: CacheDep,
    _: Reader,
    lang: LangDep,
    chain: Annotated[str | None, Query(description="链编号，缺省为四条链 / chain id (default: all four)")] = None,
    region: Annotated[str | None, Query(description="区域编号，缺省运城市 / region id")] = None,
    type: TypeQ = None,
    min_priority: Annotated[float, Query(ge=0, le=1)] = 0.0,
    format: FormatQ = "json",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Response:
    return _gap_response(
        request, cache=cache, data=data, chain=chain, region=region, status=type, min_priority=min_priority,
        fmt=format, lang=lang, page=page, page_size=page_size,
    )


@router.get("/chains/{chain_id}/gaps", summary="单链缺口诊断 / gaps of one chain", response_model=dict[str, Any], responses=_DOWNLOADS)
def get_chain_gaps(
    request: Request,
    chain_id: ChainIdDep,
    data: DataDep,
    cache: CacheDep,
    _: Reader,
    lang: LangDep,
    region: Annotated[str | None, Query(description="区域编号 / region id")] = None,
    type: TypeQ = None,
    min_priority: Annotated[float, Query(ge=0, le=1)] = 0.0,
    format: FormatQ = "json",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Response:
    return _gap_response(
        request, cache=cache, data=data, chain=chain_id, region=region, status=type, min_priority=min_priority,
        fmt=format, lang=lang, page=page, page_size=page_size,
    )
