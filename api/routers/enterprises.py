"""Local enterprises: search, get, create, update, bulk import."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile

from api.deps import DataDep, Reader, SettingsDep, StoreDep, require
from api.errors import PRECONDITION_RESPONSES
from api.etags import IfMatch, expected_tags, set_etag
from api.schemas import Page
from api.uploads import read_upload, upload_limits
from chainmap import service
from chainmap.census import import_census, is_census_header
from chainmap.census.merge import planner_edit
from chainmap.enterprise_import import enterprise_id, enterprises_from_upload
from chainmap.exceptions import InvalidInput
from chainmap.i18n import norm_lang
from chainmap.models import Enterprise, Tag
from chainmap.tabular import iter_table

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
        # the fields a planner changes by hand are locked against later imports (chainmap.census)
        tx.upsert_enterprise(planner_edit(tx.get_enterprise(enterprise_id), enterprise))
        saved = tx.get_enterprise(enterprise_id)  # the version written, read in its transaction
    set_etag(response, saved)
    return saved


@router.delete(
    "/enterprises/{enterprise_id}", status_code=204, summary="删除企业（规划人员）/ delete an enterprise",
    responses=PRECONDITION_RESPONSES,
)
def delete_enterprise(enterprise_id: str, store: StoreDep, _: Planner, if_match: IfMatch = None) -> Response:
    """带 If-Match 时仅当企业未被他人修改才删除，否则 412。With If-Match: 412 if it changed since it was read."""
    what = f"enterprise {enterprise_id!r}"
    with store.guarded(lambda tx: tx.get_enterprise(enterprise_id), expected_tags(if_match), what=what) as tx:
        tx.delete_enterprise(enterprise_id)
    return Response(status_code=204)


ImportFormat = Literal["auto", "census", "native"]


@router.post(
    "/enterprises/import",
    summary="批量导入企业：名录（规上名录、企查查、园区名单）或编号格式 / bulk import (registers or the id format)",
    response_model=dict[str, Any],
)
def import_enterprises(
    store: StoreDep,
    data: DataDep,
    settings: SettingsDep,
    _: Planner,
    file: Annotated[UploadFile, File(description="CSV (UTF-8/UTF-8 BOM/GBK/GB18030)、XLSX 或 JSON")],
    dry_run: Annotated[bool, Query(description="只预览将发生的变化 / preview what would change, write nothing")] = False,
    skip_invalid: Annotated[bool, Query(description="跳过错误行 / import the valid rows, list the rest")] = False,
    register_kind: Annotated[
        Literal["规上名录", "企查查", "园区名单", "专业镇"] | None,
        Query(description="名录类型（默认按表头判断）/ register kind (default: from the header)"),
    ] = None,
    complete: Annotated[bool, Query(description="名录覆盖其地区与行业的全部企业 / the register is complete")] = False,
    format: Annotated[
        ImportFormat,
        Query(description="auto：按表头判断；census：名录；native：name/county/segments 编号格式 / which importer"),
    ] = "auto",
    preview_limit: Annotated[int, Query(ge=0, le=100_000, description="预览中每个列表最多条数 / items per list")] = 500,
    lang: Annotated[str, Query(description="zh|en")] = "zh",
) -> dict[str, Any]:
    """名录文件（中文表头，地区可写名称或地址）走普查导入：返回预览 JSON（新增、更新、未变、跳过及原因、
    逐行错误），``dry_run=true`` 时不写入；有错误行时整份拒绝（422），除非 ``skip_invalid``。
    编号格式文件（name, county, segments …）保持原有行为：全部校验通过才写入。

    A register (Chinese headers, regions as names or addresses) goes through the census import
    and returns its preview JSON (new / updated / unchanged / skipped with reasons / row errors);
    the id-based format keeps its all-or-nothing behaviour."""
    limits = upload_limits(settings)
    raw, name = read_upload(file, limits)
    lang = norm_lang(lang)
    use_census = format == "census"
    if format == "auto":
        use_census = is_census_header(iter_table(raw, filename=name, limits=limits).header)
    if use_census:
        result = import_census(
            store, raw, filename=name, data=data, register_kind=register_kind, dry_run=dry_run,
            skip_invalid=skip_invalid, complete=complete, limits=limits, lang=lang,
        )
        return result.to_json(limit=preview_limit)
    ents = enterprises_from_upload(raw, filename=name, data=data, limits=limits)
    if dry_run:
        return {"imported": 0, "would_import": len(ents), "file": name, "dry_run": True}
    counts = store.bulk_upsert(enterprises=ents)
    return {"imported": counts.get("enterprises", len(ents)), "file": name}
