"""/labels: the one label catalogue (statuses, stages, tags ... in zh or en) for the web page."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from api.deps import LangDep, Reader
from chainmap.labels import catalogue

__all__ = ["router"]

router = APIRouter(tags=["meta"])

_DOC = """界面用到的全部词表（缺口状态及其颜色、环节位置、企业标签、区域类型、项目阶段、七跟法……），
每个词表为 代码 → 标签，按显示顺序。Every user-facing vocabulary as code -> label in the requested
language, in display order, plus the status colours; the web page reads its labels from here."""


@cache
def _body(lang: str) -> bytes:
    """The serialised catalogue: it only changes with the code, so it is encoded once per language."""
    return bytes(JSONResponse(catalogue(lang)).body)


@router.get("/labels", summary="标签词表 / label catalogue", description=_DOC, response_model=dict[str, Any])
def get_labels(_: Reader, lang: LangDep) -> Response:
    return Response(content=_body(lang), media_type="application/json")
