"""Gap reports (强链 / 补链 / 延链): JSON, Markdown, HTML, XLSX; cached per (chain, region)."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from api.deps import CacheDep, ChainIdDep, DataDep, LangDep, Reader, StoreDep, valid_region_id
from chainmap.analysis.gaps import GapReport, analyze_gaps, select_items
from chainmap.exceptions import NotFound

router = APIRouter(tags=["gaps"])

_MEDIA = {
    "json": "application/json",
    "markdown": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_EXT = {"json": "json", "markdown": "md", "html": "html", "xlsx": "xlsx"}

FormatQ = Annotated[str, Query(pattern="^(json|markdown|md|html|xlsx)$", description="json|markdown|html|xlsx")]
TypeQ = Annotated[str | None, Query(pattern="^(fill|strengthen|extend|sound)$", description="fill 补链 | strengthen 强链 | extend 延链 | sound 健全")]


def _report(cache: CacheDep, store: Any, data: Any, chain: str | None, region: str, lang: str) -> GapReport:
    return cache.get_or_compute(
        ("gaps", store.revision(), chain, region, lang), lambda: analyze_gaps(data, region=region, chain=chain, lang=lang)
    )


def _render(report: GapReport, items: list[Any], fmt: str, graph: Any) -> bytes:
    """Markdown / HTML (with the chain diagrams) / XLSX of ``report`` restricted to ``items``;
    the texts follow ``report.lang``."""
    from chainmap.reports.gaps import render_gaps

    sub = report.model_copy(update={"items": items})
    out = render_gaps(sub, fmt, graph=graph)
    return out.encode("utf-8") if isinstance(out, str) else out


def _gap_response(
    request: Request,
    *,
    report: GapReport,
    status: str | None,
    min_priority: float,
    fmt: str,
    lang: str,
    page: int,
    page_size: int,
    revision: int,
    graph: Any = None,
) -> Response:
    fmt = "markdown" if fmt == "md" else fmt
    items = [i for i in select_items(report, status=status) if i.priority >= min_priority]
    etag = '"' + hashlib.sha1(
        f"{revision}|{report.region}|{report.chain}|{status}|{min_priority}|{fmt}|{lang}|{page}|{page_size}".encode()
    ).hexdigest()[:20] + '"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if fmt == "json":
        total = len(items)
        start = (page - 1) * page_size
        body = report.model_dump(mode="json", exclude={"items"})
        body.update(
            items=[i.model_dump(mode="json") for i in items[start : start + page_size]],
            total=total,
            page=page,
            page_size=page_size,
        )
        return JSONResponse(body, headers=headers)
    content = _render(report, items, fmt, graph)
    name = f"gaps-{report.chain or 'all'}-{report.region}.{_EXT[fmt]}"
    headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(content=content, media_type=_MEDIA[fmt], headers=headers)


_DOC = """每个环节一个状态（补链 fill / 强链 strengthen / 延链 extend / 健全 sound）、优先级 [0,1]、
优先级的分项和引用数字的理由。Every segment gets one status, a priority, its components and a rationale.
`format=markdown|html|xlsx` 下载报告（HTML 含链图，可打印为 A4）。"""


@router.get("/gaps", summary="缺口诊断 / gap analysis", description=_DOC, response_model=dict[str, Any])
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
    if chain is not None and chain not in {c.id for c in data.chains}:
        raise NotFound(f"unknown chain {chain!r}; valid: {', '.join(sorted(c.id for c in data.chains))}", field="chain")
    region_id = valid_region_id(data, region)
    report = _report(cache, store, data, chain, region_id, lang)
    return _gap_response(
        request, report=report, status=type, min_priority=min_priority, fmt=format, lang=lang,
        page=page, page_size=page_size, revision=store.revision(), graph=data.graph,
    )


@router.get("/chains/{chain_id}/gaps", summary="单链缺口诊断 / gaps of one chain", response_model=dict[str, Any])
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
    report = _report(cache, store, data, chain_id, region_id, lang)
    return _gap_response(
        request, report=report, status=type, min_priority=min_priority, fmt=format, lang=lang,
        page=page, page_size=page_size, revision=store.revision(), graph=data.graph,
    )
