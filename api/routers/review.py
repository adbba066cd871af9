"""The census review queue: list, decide (accept / reject / set), confirm absences.

Routes only translate HTTP; the use cases are :mod:`chainmap.census.review`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Response
from pydantic import BaseModel, Field

from api.deps import DataDep, LangDep, Reader, StoreDep, require
from api.errors import PRECONDITION_RESPONSES
from api.etags import IfMatch, expected_tags
from chainmap.census import review as census_review
from chainmap.census.coverage import ABSENCE_KIND

router = APIRouter(tags=["review"])

Planner = Annotated[dict[str, Any], Depends(require("enterprises"))]

ReasonQ = Annotated[
    census_review.Reason | None,
    Query(description="low_confidence 置信度低 | conflict 代码与文本冲突 | unassigned 未归类"),
]


def _who(key: dict[str, Any]) -> str:
    label = str(key.get("label") or "").strip()
    return f"key:{key.get('id', '?')}" + (f" ({label})" if label else "")


@router.get("/review", summary="待审核队列 / review queue", response_model=dict[str, Any])
def get_review(
    data: DataDep,
    _: Reader,
    lang: LangDep,
    region: Annotated[str | None, Query(description="区域编号（本地企业规则）/ region id (locality rule)")] = None,
    chain: Annotated[str | None, Query(description="链编号 / chain id")] = None,
    segment: Annotated[str | None, Query(description="环节编号 / segment id")] = None,
    reason: ReasonQ = None,
    name: Annotated[list[str] | None, Query(description="条目编号、企业编号、信用代码或全称 / entry ids, keys, credit codes or names")] = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """待审核的自动归属（置信度低于自动采纳阈值、代码与文本冲突）与未归类企业；每条带企业的 ETag。
    Pending assignments and unassigned firms; each entry carries its enterprise's ETag (send it back
    as ``if_match`` of a decision)."""
    result = census_review.review_queue(
        data=data, region=region, chain=chain, segment=segment, reason=reason, names=name or (), lang=lang,
        offset=(page - 1) * page_size, limit=page_size,
    )
    body = result.as_dict()
    body.update(page=page, page_size=page_size)
    return body


class DecisionsOut(BaseModel):
    count: int
    decisions: list[dict[str, Any]]


@router.post(
    "/review/decisions",
    summary="审核决定（规划人员）/ review decisions",
    response_model=DecisionsOut,
    responses=PRECONDITION_RESPONSES,
)
def post_decisions(
    store: StoreDep,
    data: DataDep,
    key: Planner,
    decisions: Annotated[list[census_review.Decision], Body(min_length=1, max_length=5000)],
    if_match: IfMatch = None,
) -> DecisionsOut:
    """一次提交多条决定，全部写入或全部不写；每条可带 ``if_match``（该企业的 ETag），只改一家企业时也可用 If-Match 头。
    All decisions or none; each may carry ``if_match`` (its enterprise's ETag); with one enterprise the
    If-Match header works too.  A stale tag gives 412 with the current ETag."""
    recs = census_review.decide(
        store=store, data=data, decisions=decisions, by=_who(key), if_match=expected_tags(if_match)
    )
    return DecisionsOut(count=len(recs), decisions=recs)


@router.get("/review/decisions", summary="最近的审核决定 / recent review decisions", response_model=list[dict[str, Any]])
def list_decisions(
    store: StoreDep,
    _: Reader,
    limit: Annotated[int, Query(ge=1, le=1000, description="最多条数（最新在前）/ most recent first")] = 50,
) -> list[dict[str, Any]]:
    """谁在何时作了哪条决定（最新在前）。Who decided what and when, most recent first."""
    recs = store.list_records(census_review.DECISION_KIND)
    recs.sort(key=lambda d: (str(d.get("at", "")), str(d.get("id", ""))), reverse=True)
    return recs[:limit]


class AbsenceIn(BaseModel):
    region: str = Field(min_length=1, description="区域编号 / region id")
    segment: str = Field(min_length=1, description="环节编号 / segment id")
    note: str = Field(default="", max_length=1000)
    source: str = Field(default="", max_length=500, description="依据（可选）/ source, optional")


@router.get("/review/absences", summary="已确认的缺失环节 / confirmed absences", response_model=list[dict[str, Any]])
def list_absences(
    store: StoreDep,
    _: Reader,
    region: Annotated[str | None, Query(description="区域编号 / region id")] = None,
) -> list[dict[str, Any]]:
    where = {"region": region} if region is not None else {}
    return store.list_records(ABSENCE_KIND, **where)


@router.post(
    "/review/absences", status_code=201, summary="确认缺失（规划人员）/ confirm an absence", response_model=dict[str, Any]
)
def post_absence(store: StoreDep, data: DataDep, key: Planner, body: AbsenceIn) -> dict[str, Any]:
    """确认某环节在某地区本地确无企业：缺口分析不再标为待核实。The gap analysis then treats the absence as confirmed."""
    return census_review.confirm_absence(
        store=store, data=data, region=body.region, segment=body.segment, by=_who(key), note=body.note,
        source=body.source,
    )


@router.delete(
    "/review/absences/{region}/{segment}", status_code=204, summary="撤销缺失确认 / withdraw a confirmation"
)
def delete_absence(region: str, segment: str, store: StoreDep, _: Planner) -> Response:
    census_review.withdraw_absence(store=store, region=region, segment=segment)
    return Response(status_code=204)
