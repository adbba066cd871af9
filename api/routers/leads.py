"""Candidate import and ranked leads (精准招商线索)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.responses import Response

from api.deps import (
    CacheDep,
    DataDep,
    LangDep,
    Reader,
    SettingsDep,
    StoreDep,
    check_chain,
    require,
    valid_region_id,
)
from api.schemas import Page
from matching import service
from matching.candidates import ALLOWED_TAGS
from matching.ranking import LeadPage

router = APIRouter(tags=["leads"])

TaskForce = Annotated[dict[str, Any], Depends(require("candidates"))]
# enums in the OpenAPI schema (the service validates the same codes: matching.service.lead_filters)
_HQ = tuple(service.HQ_REGIONS)
_TAGS = ALLOWED_TAGS  # the tags leads carry (matching.candidates)
_INVESTORS = tuple(service.INVESTOR_KINDS)
HqRegionQ = Annotated[
    Literal[_HQ] | None,  # type: ignore[valid-type]
    Query(description="总部区域 / HQ region: jjj 京津冀 | yrd 长三角 | gba 粤港澳大湾区 | other 其他（GET /leads/options）"),
]
TagQ = Annotated[
    list[Literal[_TAGS]] | None,  # type: ignore[valid-type]
    Query(max_length=20, description="标签（任一）/ tags (any of), codes of GET /labels `tag`"),
]
InvestorQ = Annotated[Literal[_INVESTORS] | None, Query(description="new 新引进 | existing 增资扩产")]  # type: ignore[valid-type]


@router.get("/leads", summary="招商线索排序 / ranked leads", response_model=LeadPage)
def get_leads(
    data: DataDep,
    cache: CacheDep,
    store: StoreDep,
    _: Reader,
    lang: LangDep,
    chain: Annotated[str | None, Query(description="链编号 / chain id")] = None,
    gap: Annotated[str | None, Query(description="缺口环节编号 / gap segment id")] = None,
    region: Annotated[str | None, Query(description="区域编号，缺省运城市 / region")] = None,
    k: Annotated[int, Query(ge=1, le=200, description="每页条数 / leads per page")] = 20,
    page: Annotated[int, Query(ge=1, le=10000)] = 1,
    include_rivals: Annotated[
        bool, Query(description="列出与本地链主/链核同业竞争的企业（标注“需链主意见”）/ list rivals of local chain leaders")
    ] = False,
    hq_region: HqRegionQ = None,
    tag: TagQ = None,
    investor: InvestorQ = None,
) -> LeadPage:
    """每条线索带得分、各特征贡献（贡献之和+基线=得分）和可以直接说出口的理由。
    无候选企业时使用内置演示候选池（demo=true）。"""
    check_chain(data, chain)
    region_id = valid_region_id(data, region)
    return service.lead_page(
        store=store, data=data, cache=cache, region=region_id, chain=chain, gap=gap, k=k, page=page, lang=lang,
        include_rivals=include_rivals, hq_region=hq_region, tags=tag, investor=investor,
    )  # fmt: skip


@router.get("/leads/options", summary="线索筛选项与特征说明 / lead filters and feature meanings", response_model=dict[str, Any])
def get_lead_options(_: Reader, lang: LangDep) -> dict[str, Any]:
    """总部区域（京津冀/长三角/粤港澳大湾区/其他）、投资方类型、各评分特征的含义、提示标记。
    The headquarters regions, investor kinds, feature meanings and flags the leads page offers."""
    return service.lead_filter_options(lang)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/leads.xlsx",
    summary="招商线索表下载 / leads workbook (XLSX)",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
)
def get_leads_workbook(
    data: DataDep,
    cache: CacheDep,
    store: StoreDep,
    _: Reader,
    lang: LangDep,
    chain: Annotated[str | None, Query(description="链编号 / chain id")] = None,
    gap: Annotated[str | None, Query(description="缺口环节编号 / gap segment id")] = None,
    region: Annotated[str | None, Query(description="区域编号，缺省运城市 / region")] = None,
    k: Annotated[int, Query(ge=1, le=200, description="每页条数 / leads per page")] = 50,
    page: Annotated[int, Query(ge=1, le=10000)] = 1,
    include_rivals: Annotated[bool, Query(description="列出同业竞争企业 / list rivals")] = False,
    hq_region: HqRegionQ = None,
    tag: TagQ = None,
    investor: InvestorQ = None,
) -> Response:
    """与 `GET /leads` 同一页线索的格式化工作簿：中文表名与表头、列宽、冻结表头、A4 横向打印、
    各项得分贡献分列。The same page of leads as a formatted workbook."""
    check_chain(data, chain)
    region_id = valid_region_id(data, region)
    result = service.lead_page(
        store=store, data=data, cache=cache, region=region_id, chain=chain, gap=gap, k=k, page=page, lang=lang,
        include_rivals=include_rivals, hq_region=hq_region, tags=tag, investor=investor,
    )  # fmt: skip
    body = service.lead_workbook(result, data=data, lang=lang)
    name = "leads.xlsx" if lang == "en" else "zhaoshang-leads.xlsx"
    return Response(content=body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/candidates/import", summary="导入候选企业 / import candidates (CSV, XLSX, JSON)", response_model=dict[str, Any])
def import_candidates(
    store: StoreDep,
    data: DataDep,
    settings: SettingsDep,
    _: TaskForce,
    file: Annotated[UploadFile, File(description="CSV (UTF-8/GBK), XLSX 或 JSON")],
    skip_invalid: Annotated[bool, Query(description="跳过无效行并返回其错误 / keep valid rows, report the rest")] = False,
) -> dict[str, Any]:
    """有错误行时整体拒绝（422，逐行列出 row/column/value/reason）；skip_invalid=true 时导入有效行并返回被拒行。"""
    from api.uploads import read_upload, upload_limits

    limits = upload_limits(settings)
    raw, name = read_upload(file, limits)
    done = service.import_candidates(
        store=store, data=data, source=raw, filename=name, skip_invalid=skip_invalid, limits=limits
    )
    return {
        **done.summary(),
        "errors": [e.to_dict() for e in done.result.errors],
        "warnings": [e.to_dict() for e in done.result.warnings],
        "unmapped_names": [c.get("name") for c in done.result.unmapped],
    }


@router.get("/candidates", summary="候选企业列表 / candidates", response_model=Page[dict[str, Any]])
def list_candidates(
    store: StoreDep,
    _: Reader,
    name: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[dict[str, Any]]:
    listed = service.list_candidates(store=store, name=name, offset=(page - 1) * page_size, limit=page_size)
    return Page[dict[str, Any]](items=listed.items, total=listed.total, page=page, page_size=page_size)
