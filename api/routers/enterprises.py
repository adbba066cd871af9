"""Local enterprises: search, get, create, update, bulk import."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile

from api.deps import DataDep, Reader, SettingsDep, StoreDep, require
from api.errors import PRECONDITION_RESPONSES
from api.etags import IfMatch, expected_tags, set_etag
from api.schemas import Page
from api.uploads import read_upload, upload_limits
from chainmap import service
from chainmap.enterprise_import import enterprise_id, enterprises_from_upload
from chainmap.exceptions import InvalidInput
from chainmap.models import Enterprise, Tag

router = APIRouter(tags=["enterprises"])

Planner = Annotated[dict[str, Any], Depends(require("enterprises"))]


@router.get("/enterprises", summary="企业检索 / search enterprises", response_model=Page[Enterprise])
def search_enterprises(
    store: StoreDep,
    data: DataDep,
    _: Reader,
    segment: Annotated[str | None, Query(description="环节编号 / segment id")] = None,
    tag: Annotated[Tag | None, Query(description="标签 / tag, e.g. chain_leader")] = None,
    county: Annotated[str | None, Query(description="县区编号 / county id")] = None,
    zone: Annotated[str | None, Query(description="开发区编号 / zone id")] = None,
    region: Annotated[
        str | None,
        Query(description="区域编号：按本地企业规则（县含其开发区，市含全部已落位企业）/ region id, by the locality rule"),
    ] = None,
    name: Annotated[str | None, Query(max_length=100, description="名称包含 / name contains")] = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[Enterprise]:
    """``region`` applies the one locality rule (the gap report's local firms); ``county`` and
    ``zone`` match the stored fields exactly (with ``region``: narrowing its firms)."""
    if region is not None:
        items, total = service.local_enterprise_page(
            data=data, region=region, segment=segment, tag=tag.value if tag else None, name=name,
            county=county, zone=zone, offset=(page - 1) * page_size, limit=page_size,
        )
        return Page[Enterprise](items=items, total=total, page=page, page_size=page_size)
    items, total = store.search_enterprises(
        segment=segment, tag=tag, county=county, zone=zone, name=name, limit=page_size, offset=(page - 1) * page_size
    )
    return Page[Enterprise](items=items, total=total, page=page, page_size=page_size)


@router.get("/enterprises/{enterprise_id}", summary="企业详情 / one enterprise", response_model=Enterprise)
def get_enterprise(enterprise_id: str, store: StoreDep, _: Reader, response: Response) -> Enterprise:
    """响应头 ETag 为当前版本，修改时放入 If-Match。The ETag is the version to send back in If-Match."""
    enterprise = store.get_enterprise(enterprise_id)
    set_etag(response, enterprise)
    return enterprise


@router.post("/enterprises", status_code=201, summary="新增企业（规划人员）/ create", response_model=Enterprise)
def create_enterprise(enterprise: Enterprise, store: StoreDep, _: Planner, response: Response) -> Enterprise:
    """未给 id 时由信用代码或名称生成。The id is derived from the credit code or name when absent."""
    if not enterprise.id:
        enterprise.id = enterprise_id(enterprise.name, enterprise.credit_code)
    store.upsert_enterprise(enterprise)
    saved = store.get_enterprise(enterprise.id)
    set_etag(response, saved)
    return saved


@router.put(
    "/enterprises/{enterprise_id}", summary="修改企业 / update", response_model=Enterprise,
    responses=PRECONDITION_RESPONSES,
)
def update_enterprise(
    enterprise_id: str, enterprise: Enterprise, store: StoreDep, _: Planner, response: Response, if_match: IfMatch = None
) -> Enterprise:
    """带 If-Match 时仅当企业未被他人修改才写入，否则 412。With If-Match: 412 if it changed since it was read."""
    if enterprise.id and enterprise.id != enterprise_id:
        raise InvalidInput(f"body id {enterprise.id!r} differs from path id {enterprise_id!r}", field="id")
    enterprise.id = enterprise_id
    what = f"enterprise {enterprise_id!r}"
    with store.guarded(lambda tx: tx.get_enterprise(enterprise_id), expected_tags(if_match), what=what) as tx:
        tx.upsert_enterprise(enterprise)
        saved = tx.get_enterprise(enterprise_id)  # the version written, read in its transaction
    set_etag(response, saved)
    return saved


@router.post("/enterprises/import", summary="批量导入企业 / bulk import (CSV, XLSX, JSON)", response_model=dict[str, Any])
def import_enterprises(
    store: StoreDep,
    data: DataDep,
    settings: SettingsDep,
    _: Planner,
    file: Annotated[UploadFile, File(description="CSV (UTF-8/GBK), XLSX 或 JSON")],
) -> dict[str, Any]:
    """全部校验通过才写入；否则返回 422 及逐行错误 (row, column, value, reason)。All rows or none."""
    limits = upload_limits(settings)
    raw, name = read_upload(file, limits)
    ents = enterprises_from_upload(raw, filename=name, data=data, limits=limits)
    counts = store.bulk_upsert(enterprises=ents)
    return {"imported": counts.get("enterprises", len(ents)), "file": name}
