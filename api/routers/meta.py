"""/health, /version and (admin only) /cache statistics."""

from __future__ import annotations

import logging
import os
import platform
from functools import cache, lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from api.deps import CacheDep, require
from api.keys import allowed, well_formed
from api.schemas import Health, Version
from chainmap import service

log = logging.getLogger("chainmap.api")

router = APIRouter(tags=["meta"])

Admin = Annotated[dict[str, Any], Depends(require("keys"))]
root_router = APIRouter(tags=["meta"], include_in_schema=False)


@cache
def _v(pkg: str) -> str:
    """The installed version of ``pkg`` (read once: the metadata lookup scans sys.path)."""
    try:
        return version(pkg)
    except PackageNotFoundError:
        return "unknown"


def _is_admin(request: Request) -> bool:
    """True if the request carries a valid admin key (or auth is off); never raises.

    Only then does /health show the store details and versions; a store that cannot be
    reached cannot verify a key, so the answer is then False."""
    settings = request.app.state.settings
    if not settings.chainmap_auth:
        return True
    key = request.headers.get("x-api-key")
    if not well_formed(key):
        return False
    try:
        rec = request.app.state.keys.verify(request.app.state.holder.get(), key)
    except Exception:  # noqa: BLE001 - an unreachable store: no details
        return False
    return rec is not None and allowed(rec["role"], "keys")


def _health(request: Request) -> JSONResponse:
    """``ok`` (200) -- the store is reachable and writable; ``degraded`` -- reachable but
    read-only (200: reads are served, every write answers 503), or unreachable (503: nothing
    can be served).  Anonymous callers see only ``status``; an admin key also sees ``reason``,
    the store's ping and the versions (the URI / path stay out of any anonymous answer)."""
    holder = request.app.state.holder
    try:
        info = holder.get().ping()
    except Exception as err:  # noqa: BLE001 - health never raises; it reports
        log.warning("health: the store cannot be opened: %s", err)
        info = {"backend": holder.settings.chainmap_store, "reachable": False, "detail": str(err)}
    reachable = bool(info.get("reachable"))
    writable = info.get("writable", True) is not False
    reason = None if reachable and writable else ("unreachable" if not reachable else "read_only")
    status_code = 503 if not reachable else 200
    body = Health(status="ok" if reason is None else "degraded")
    if _is_admin(request):
        body = Health(
            status=body.status,
            reason=reason,
            store=info,
            versions={
                "chainmap": _v("chainmap"),
                "python": platform.python_version(),
                "fastapi": _v("fastapi"),
                "networkx": _v("networkx"),
                "scikit-learn": _v("scikit-learn"),
                "neo4j-driver": _v("neo4j"),
            },
        )
    return JSONResponse(status_code=status_code, content=body.model_dump(exclude_none=True))


@router.get(
    "/health",
    response_model=Health,
    summary="健康检查 / health",
    responses={503: {"model": Health, "description": "存储不可达（degraded）/ store unreachable (degraded)"}},
)
def health(request: Request) -> JSONResponse:
    """无需密钥。ok：存储可达且可写；degraded：只读（200，读取照常）或不可达（503）。匿名调用只返回 status；
    管理员密钥另见原因、存储详情与版本。
    No key needed. ``ok``: the store is reachable and writable; ``degraded``: read-only (200, reads
    still served) or unreachable (503).  Anonymous callers get only ``status``; an admin key
    (``X-API-Key``) also gets ``reason``, the store's ping and the versions."""
    return _health(request)


@root_router.get("/health")
def root_health(request: Request) -> JSONResponse:
    return _health(request)


@lru_cache(maxsize=1)
def _version_body() -> bytes:
    return Version(chainmap=_v("chainmap")).model_dump_json().encode("utf-8")


@router.get("/version", response_model=Version, summary="版本 / version")
async def get_version() -> Response:
    """chainmap 的版本 / the chainmap version (encoded once; answered on the event loop)."""
    return Response(content=_version_body(), media_type="application/json")


@router.get("/cache", summary="缓存统计（仅管理员）/ cache statistics (admin)", response_model=dict[str, Any])
def cache_statistics(request: Request, cache: CacheDep, _: Admin) -> dict[str, Any]:
    """结果缓存的命中、未命中、条目数和按类别的计算次数（computed.gaps 为缺口分析次数），
    以及本工作进程的应答缓存（responses）与密钥缓存（keys）。
    Hits, misses, size and computations per kind of the app's result cache (``computed.gaps``
    counts gap analyses: a record write must not add any); ``responses`` (stored GET answers,
    :mod:`api.fastpath`) and ``keys`` (verified API keys) of this worker process, whose id is
    ``worker_pid`` (each ``chainmap serve --workers N`` process has its own caches)."""
    return {
        **service.cache_stats(cache),
        "responses": request.app.state.responses.stats(),
        "keys": request.app.state.keys.stats(),
        "worker_pid": os.getpid(),
    }
