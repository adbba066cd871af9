"""FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.errors import ERROR_RESPONSES, install_error_handlers
from api.fastpath import ResponseCache, ResponseCacheMiddleware
from api.keys import KeyCache
from api.security import MethodGuard, SecurityHeaders, documented_paths
from api.settings import Settings, get_settings
from api.state import StoreHolder
from chainmap.cache import ResultCache

__all__ = ["create_app", "API_PREFIX"]

API_PREFIX = "/api/v1"

DESCRIPTION = """
chainmap 为招商专班、招商小分队和规划人员提供产业链图谱、强链·补链·延链诊断、招商线索排序和项目全流程跟踪。

Industrial-chain graphs, gap analysis (fill / strengthen / extend), ranked investment leads and the
project pipeline for 运城市 (Yuncheng) "合汽生材". Authenticate with the `X-API-Key` header
(keys from `chainmap keys create --role viewer|taskforce|planner|admin`).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the store is chosen by ``settings`` and opened in the lifespan."""
    settings = settings or get_settings()
    holder = StoreHolder(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        holder.try_open()  # a down Neo4j must not stop the server: requests retry and answer 503
        if settings.chainmap_warm_schema:  # `chainmap serve`: /docs answers at once
            app.openapi()
        yield
        holder.close()

    app = FastAPI(
        title="chainmap API",
        version=_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
        # /docs and /redoc are served by api.routers.ui from the local vendor copies (offline)
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.settings = settings
    app.state.holder = holder
    app.state.cache = ResultCache()  # results per store graph revision (chainmap.service)
    app.state.keys = KeyCache()  # verified API keys per api_key record revision (api.deps.require)
    install_error_handlers(app)
    # 405 with the right Allow header (inside the fast path: a cached GET never reaches it)
    app.add_middleware(MethodGuard, paths=lambda: documented_paths(app))
    # answers repeated GETs from stored bytes while the store revision holds (api.fastpath)
    app.state.responses = ResponseCache()
    app.add_middleware(ResponseCacheMiddleware, holder=holder, cache=app.state.responses)

    from api.routers import include_all

    include_all(app, API_PREFIX)
    # nosniff + CSP on every response: wrapped around the whole middleware stack, so the 500s
    # of Starlette's outermost ServerErrorMiddleware and the fast-path answers get them too
    build = app.build_middleware_stack
    app.build_middleware_stack = lambda: SecurityHeaders(build())  # type: ignore[method-assign]
    return app


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chainmap")
    except PackageNotFoundError:
        return "0+unknown"
