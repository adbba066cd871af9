"""Gap reports (强链 / 补链 / 延链): JSON, Markdown, HTML, XLSX; cached per (chain, region)."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from api.deps import CacheDep, ChainIdDep, DataDep, LangDep, Reader, StoreDep, check_chain, valid_region_id
from chainmap.analysis.gaps import GapReport, analyze_gaps, select_items

router = APIRouter(tags=["gaps"])

_MEDIA = {
    "json": "application/json",
    "markdown": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_EXT = {"json": "json", "markdown": "md", "html": "html", "xlsx": "xlsx"}
#: OpenAPI: the 200 answer is JSON by default, or the report file named by ``format``
_DOWNLOADS = {200: {"content": {m.split(";")[0]: {} for m in _MEDIA.values() if m != "application/json"}}}

FormatQ = Annotated[str, Query(pattern="^(json|markdown|md|html|xlsx)$", description="json|markdown|html|xlsx")]
TypeQ = Annotated[str | None, Query(pattern="^(fill|strengthen|extend|sound)$", description="fill 补链 | strengthen 强链 | extend 延链 | sound 健全")]


def _report(cache: CacheDep, revision: int, data: Any, chain: str | None, region: str, lang: str) -> GapReport:
    return cache.get_or_compute(
        ("gaps", revision, chain, region, lang), lambda: analyze_gaps(data, region=region, chain=chain, lang=lang)
    )


def _render(report: GapReport, items: list[Any], fmt: str, graph: Any) -> bytes:
    """Markdown / HTML (with the chain diagrams) / XLSX of ``report`` restricted to ``items``;
    the texts follow ``report.lang``."""
    from chainmap.reports.gaps import render_gaps

    sub = report.model_copy(update={"items": items})
    out = render_gaps(sub, fmt, graph=graph)
    return out.encode("utf-8") if isinstance(out, str) else out


def _json_body(report: GapReport, items: list[Any], page: int, page_size: int) -> bytes:
    total = len(items)
    start = (page - 1) * page_size
    body = report.model_dump(mode="json", exclude={"items"})
    body.update(
        items=[i.model_dump(mode="json") for i in items[start : start + page_size]],
        total=total,
        page=page,
        page_size=page_size,
    )
    return JSONResponse(body).body


def _gap_response(
    request: Request,
    *,
    cache: CacheDep,
    data: Any,
    chain: str | None,
    region: str,
    status: str | None,
    min_priority: float,
    fmt: str,
    lang: str,
    page: int,
    page_size: int,
    revision: int,
) -> Response:
    """304 when the ETag matches; JSON from a cache of serialised pages (a hit costs no
    model_dump / JSON encoding); report files rendered per request."""
    fmt = "markdown" if fmt == "md" else fmt
    key = (revision, region, chain, status, min_priority, fmt, lang, page, page_size)
    etag = '"' + hashlib.sha1("|".join(map(str, key)).encode()).hexdigest()[:20] + '"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    report = _report(cache, revision, data, chain, region, lang)
    if fmt == "json":

        def page_body() -> bytes:
            items = [i for i in select_items(report, status=status) if i.priority >= min_priority]
            return _json_body(report, items, page, page_size)

        content = cache.get_or_compute(("gaps-json", *key), page_body)
        return Response(content=content, media_type="application/json", headers=headers)
    items = [i for i in select_items(report, status=status) if i.priority >= min_priority]
    content = _render(report, items, fmt, data.graph)
    name = f"gaps-{report.chain or 'all'}-{report.region}.{_EXT[fmt]}"
    headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(content=content, media_type=_MEDIA[fmt], headers=headers)


_DOC = """每个环节一个状态（补链 fill / 强链 strengthen / 延链 extend / 健全 sound）、优先级 [0,1]、
优先级的分项和引用数字的理由。Every segment gets one status, a priority, its components and a rationale.
`format=markdown|html|xlsx` 下载报告（HTML 含链图，可打印为 A4）。"""


@router.get("/gaps", summary="缺口诊断 / gap analysis", description=_DOC, response_model=dict[str, Any], responses=_DOWNLOADS)
def get_gaps(
    request: Request,
    data: DataDep,
    cache: CacheDep,
    store: StoreDep,
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
    check_chain(data, chain)
    region_id = valid_region_id(data, region)
    return _gap_response(
        request, cache=cache, data=data, chain=chain, region=region_id, status=type, min_priority=min_priority,
        fmt=format, lang=lang, page=page, page_size=page_size, revision=data.revision,
    )


@router.get("/chains/{chain_id}/gaps", summary="单链缺口诊断 / gaps of one chain", response_model=dict[str, Any], responses=_DOWNLOADS)
def get_chain_gaps(
    request: Request,
    chain_id: ChainIdDep,
    data: DataDep,
    cache: CacheDep,
    store: StoreDep,
    _: Reader,
    lang: LangDep,
    region: Annotated[str | None, Query(description="区域编号 / region id")] = None,
    type: TypeQ = None,
    min_priority: Annotated[float, Query(ge=0, le=1)] = 0.0,
    format: FormatQ = "json",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Response:
    region_id = valid_region_id(data, region)
    return _gap_response(
        request, cache=cache, data=data, chain=chain_id, region=region_id, status=type, min_priority=min_priority,
        fmt=format, lang=lang, page=page, page_size=page_size, revision=data.revision,
    )
