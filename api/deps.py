"""Typed dependency aliases shared by the routers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Depends, Header, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool

from api.keys import KeyCache, allowed, well_formed
from api.settings import Settings
from api.state import StoreHolder
from chainmap import service
from chainmap.cache import ResultCache
from chainmap.data import ChainData, data_revision
from chainmap.i18n import Lang, norm_lang
from chainmap.storage.base import Store

__all__ = [
    "SettingsDep",
    "StoreDep",
    "CacheDep",
    "DataDep",
    "LangDep",
    "require",
    "precheck_key",
    "Reader",
    "valid_chain_id",
    "check_chain",
    "valid_region_id",
    "ChainIdDep",
]

T = TypeVar("T")


# Every dependency is ``async def``: FastAPI runs a sync dependency in the thread
# pool, and that hop (a thread wake-up, two GIL hand-overs) costs more CPU than
# the whole cached answer.  Store reads on the hot path are one revision counter
# (and on a key-cache miss one record): on SQLite -- a local file, microseconds --
# they run inline on the event loop; on a networked store (Neo4j) in the thread
# pool.  Anything that may compute (a cold read model, an analysis) runs in the
# thread pool.


async def _read(request: Request, fn: Callable[[], T]) -> T:
    """``fn()`` (a short store read): inline when the store is a local SQLite file, else in the thread pool."""
    holder: StoreHolder = request.app.state.holder
    if holder.settings.chainmap_store == "sqlite" and holder.peek() is not None:
        return fn()
    return await run_in_threadpool(fn)


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


#: the 401 details, plain words for people (the body's ``error`` stays ``Unauthorized``)
NO_KEY_DETAIL = "需要 API 密钥才能使用本系统 / an API key is needed to use this service"
BAD_KEY_DETAIL = "API 密钥不正确或已停用 / this API key is not valid (mistyped, or withdrawn)"


def _unauthorized(key: str | None = None) -> HTTPException:
    detail = NO_KEY_DETAIL if not key else BAD_KEY_DETAIL
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "X-API-Key"})


def precheck_key(request: Request) -> None:
    """401 for a request without a well-formed key, *before* the store is touched.

    Keys live in the store, so a well-formed key needs it to be verified; but a request with
    no key, or one that cannot be a key (:func:`api.keys.well_formed`), is refused without
    opening the store: with Neo4j down it gets 401, not a 503 (nor a 1 s connection attempt)."""
    settings: Settings = request.app.state.settings
    if settings.chainmap_auth and not well_formed(request.headers.get("x-api-key")):
        raise _unauthorized(request.headers.get("x-api-key"))


async def get_store(request: Request) -> Store:
    holder: StoreHolder = request.app.state.holder
    store = holder.peek()
    if store is not None:
        return store
    precheck_key(request)  # routes list the store before the key: refuse a bad key first
    return await run_in_threadpool(holder.get)


async def get_cache(request: Request) -> ResultCache:
    cache: ResultCache = request.app.state.cache
    return cache


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
StoreDep = Annotated[Store, Depends(get_store)]
CacheDep = Annotated[ResultCache, Depends(get_cache)]


async def get_data(request: Request, store: StoreDep, cache: CacheDep) -> ChainData:
    """The read model, cached per data revision (graph + policies; other record writes keep it).

    The last one served is kept on the app: while the store's data revision
    (:func:`chainmap.data.data_revision`: two counter reads) still equals its ``revision``, it is the current one and no thread hop is needed;
    otherwise :func:`chainmap.service.chain_data` (which may read the whole store) runs in
    the thread pool."""
    last: ChainData | None = getattr(request.app.state, "last_data", None)
    if last is not None and last.revision is not None and getattr(request.app.state, "last_data_cache", None) is cache:
        if await _read(request, lambda: data_revision(store)) == last.revision:
            return last
    data = await run_in_threadpool(lambda: service.chain_data(store=store, cache=cache))
    request.app.state.last_data, request.app.state.last_data_cache = data, cache
    return data


DataDep = Annotated[ChainData, Depends(get_data)]


async def get_lang(lang: Annotated[Literal["zh", "en"], Query(description="语言 zh|en / language")] = "zh") -> Lang:
    return norm_lang(lang)


LangDep = Annotated[Lang, Depends(get_lang)]


def require(area: str | None) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Dependency factory: a valid key whose role may act on ``area`` (None = read)."""

    async def dep(
        request: Request,
        x_api_key: Annotated[str | None, Header(description="API 密钥 / API key")] = None,
    ) -> dict[str, Any]:
        settings: Settings = request.app.state.settings
        if not settings.chainmap_auth:
            return {"id": "no-auth", "role": "admin"}
        if not well_formed(x_api_key):  # before the store is opened (see precheck_key)
            raise _unauthorized(x_api_key)
        holder: StoreHolder = request.app.state.holder
        keys: KeyCache = request.app.state.keys
        key = await _read(request, lambda: keys.verify(holder.get(), x_api_key))
        if key is None:
            raise _unauthorized(x_api_key)
        if not allowed(key["role"], area):
            raise HTTPException(status_code=403, detail=f"role {key['role']!r} may not modify {area}")
        return key

    return dep


Reader = Annotated[dict[str, Any], Depends(require(None))]


def check_chain(data: ChainData, chain: str | None, *, field: str = "chain") -> str | None:
    """``chain`` if it is a known chain id (or None); NotFound listing the valid ids otherwise."""
    return service.valid_chain(data, chain, field=field)


async def valid_chain_id(chain_id: str, _: Reader, data: DataDep) -> str:
    """The chain id, or 404 naming the valid ids -- only for a caller with a valid key (the key
    is checked first, so an anonymous request gets 401, never the list of chains)."""
    return service.valid_chain(data, chain_id, field="chain_id")  # an id, a name or a 合汽生材 letter


ChainIdDep = Annotated[str, Depends(valid_chain_id)]


def valid_region_id(data: ChainData, region: str | None) -> str:
    """``region``, or the city when None; NotFound listing the valid ids otherwise."""
    return service.valid_region(data, region)
