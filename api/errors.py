"""The one place where domain errors become HTTP codes.

Body of every error: ``{"error": ..., "detail": ..., "hint": ...}`` (plus
``errors`` for row-level problems); never a stack trace.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from chainmap.exceptions import (
    ChainmapError,
    Conflict,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    StorageUnavailable,
)

__all__ = [
    "install_error_handlers",
    "STATUS_FOR",
    "error_body",
    "storage_unavailable_body",
    "ERROR_RESPONSES",
    "PRECONDITION_RESPONSES",
    "ErrorBody",
]

log = logging.getLogger("chainmap.api")

STATUS_FOR: dict[type[ChainmapError], int] = {
    NotFound: 404,
    InvalidInput: 422,
    Conflict: 409,
    PayloadTooLarge: 413,
    PreconditionFailed: 412,
    StorageUnavailable: 503,
}

_HINTS = {
    400: "请求体无法解析：JSON 须为 UTF-8，上传须为 multipart/form-data / the body could not be parsed (UTF-8 JSON, or multipart/form-data for uploads)",
    401: (
        "API 密钥是系统管理员发给每位使用者的一串字符（形如 cm_…），用来确认您的身份和权限。请向本单位系统管理员索取；"
        "网页中粘贴到页面顶部的「API 密钥」框，程序调用时放在请求头 X-API-Key 中 / An API key is a string your system "
        "administrator gives each user (it looks like cm_…); it tells the service who you are and what you may do. Ask "
        "your administrator for one; in the web pages paste it into the API key box at the top, in a program send it "
        "in the X-API-Key header"
    ),
    403: "该密钥的角色无权执行此操作 / this key's role may not do this",
    404: "资源不存在 / not found",
    405: "该路径不支持此方法 / method not allowed",
}


def error_body(error: str, detail: Any, hint: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"error": error, "detail": detail, "hint": hint, **extra}


#: the only detail a client sees of a store outage (the URI, path and driver message go to the log)
STORE_UNAVAILABLE_DETAIL = "存储暂不可用 / the store is unavailable"
STORE_UNAVAILABLE_HINT = (
    "请稍后重试；若持续出现，请管理员查看服务器日志与数据库服务 / retry later; if it persists, an administrator "
    "should check the server log and the database server"
)


STORE_READ_ONLY_DETAIL = "存储为只读，无法写入 / the store is read-only; writes are refused"


def storage_unavailable_body(err: StorageUnavailable | None = None) -> dict[str, Any]:
    """The body of every 503: generic, without URI, file path or driver message (a read-only
    store is named as such: that tells the client a retry will not help)."""
    if err is not None and "read-only" in str(err).lower():
        return error_body("StorageUnavailable", STORE_READ_ONLY_DETAIL, STORE_UNAVAILABLE_HINT)
    return error_body("StorageUnavailable", STORE_UNAVAILABLE_DETAIL, STORE_UNAVAILABLE_HINT)


def _status(err: ChainmapError) -> int:
    for cls in type(err).__mro__:
        if cls in STATUS_FOR:
            return STATUS_FOR[cls]  # type: ignore[index]
    return 400


async def _chainmap_error(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, ChainmapError)
    status = _status(err)
    if isinstance(err, StorageUnavailable):
        # the message names the Bolt URI or the SQLite path and carries the driver's text:
        # logged for the operator, never sent to the client
        log.warning("store unavailable on %s %s: %s", request.method, request.url.path, err)
        return JSONResponse(status_code=503, content=storage_unavailable_body(err), headers={"Retry-After": "5"})
    body = err.to_dict()
    headers = None
    if isinstance(err, PreconditionFailed) and err.current_tag:  # the version to reload and retry from
        headers = {"ETag": f'"{err.current_tag}"'}
    return JSONResponse(status_code=status, content=body, headers=headers)


async def _validation_error(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, RequestValidationError)
    problems = []
    for e in err.errors():
        if e.get("type") == "json_invalid":  # loc is ("body", <character position>): name the body
            pos = e.get("loc", ("body", "?"))[-1]
            problems.append({"field": "body", "reason": f"{e.get('msg', '')} at character {pos}", "value": None})
            continue
        loc = [str(x) for x in e.get("loc", ()) if x not in ("body",)]
        problems.append({"field": ".".join(loc) or "body", "reason": e.get("msg", ""), "value": _safe(e.get("input"))})
    first = problems[0] if problems else {"field": "", "reason": "invalid request"}
    return JSONResponse(
        status_code=422,
        content=error_body(
            "InvalidInput",
            f"{first['field']}: {first['reason']}",
            "请检查参数或请求体字段 / check the parameter or body field named in detail",
            field=first["field"],
            errors=problems,
        ),
    )


def _safe(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value if not isinstance(value, str) else value[:200]
    return str(value)[:200]


async def _http_error(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, StarletteHTTPException)
    name = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed", 413: "PayloadTooLarge"}.get(
        err.status_code, "HTTPError"
    )
    return JSONResponse(
        status_code=err.status_code,
        content=error_body(name, err.detail, _HINTS.get(err.status_code)),
        headers=getattr(err, "headers", None),
    )


async def _unexpected(request: Request, err: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return JSONResponse(
        status_code=500,
        content=error_body("InternalError", "服务器内部错误 / internal error", "请联系管理员并附上时间 / report it with the time"),
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ChainmapError, _chainmap_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


class ErrorBody(BaseModel):
    """The body of every error response (row-level problems add ``errors``; domain errors may
    add context such as ``field`` or ``row``)."""

    model_config = ConfigDict(extra="allow")

    error: str = Field(
        description="NotFound | InvalidInput | Conflict | PreconditionFailed | PayloadTooLarge | StorageUnavailable "
        "| Unauthorized | Forbidden ..."
    )
    detail: str
    hint: str | None = None


def _doc(description: str) -> dict[str, Any]:
    return {"description": description, "model": ErrorBody}


#: OpenAPI documentation of the error responses shared by all routes.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _doc("请求体无法解析 / the body could not be parsed"),
    401: _doc("缺少或无效的 API 密钥 / missing or invalid API key"),
    403: _doc("角色无权限 / role not allowed"),
    404: _doc("资源不存在 / not found"),
    409: _doc("与现有数据冲突 / conflicts with existing data"),
    413: _doc("上传文件过大 / upload too large"),
    422: _doc("参数错误 / invalid input"),
    503: _doc("存储不可用 / store unavailable"),
}

#: OpenAPI documentation of the 412 of the writes that honour ``If-Match`` (see api/etags.py).
PRECONDITION_RESPONSES: dict[int | str, dict[str, Any]] = {
    412: {
        **_doc("If-Match 的 ETag 已过期：已被他人修改，响应头 ETag 为当前版本 / stale If-Match: modified by someone "
               "else; the ETag response header is the current version"),
        "headers": {"ETag": {"description": "当前版本 / the current version", "schema": {"type": "string"}}},
    },
}
