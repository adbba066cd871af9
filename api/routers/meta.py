"""/health, /version and (admin only) /cache statistics."""

from __future__ import annotations

import os
import platform
from functools import cache, lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from api.deps import CacheDep, require
from api.schemas import Health, Version
from chainmap import service

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


def _health(request: Request) -> JSONResponse:
    holder = request.app.state.holder
    try:
        info = holder.get().ping()
    except Exception as err:  # noqa: BLE001 - health never raises; it reports
        info = {"backend": holder.settings.chainmap_store, "reachable": False, "detail": str(err)}
    ok = bool(info.get("reachable"))
    body = Health(
        status="ok" if ok else "degraded",
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
    return JSONResponse(status_code=200 if ok else 503, content=body.model_dump())


@router.get(
    "/health",
    response_model=Health,
    summary="健康检查 / health",
    responses={503: {"model": Health, "description": "存储不可达 / store unreachable"}},
)
def health(request: Request) -> JSONResponse:
    """存储是否可达及各组件版本。Whether the store is reachable, and versions. No key needed."""
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
