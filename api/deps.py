"""Typed dependency aliases shared by the routers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool

from api.keys import allowed, verify_key
from api.settings import Settings
from api.state import StoreHolder
from chainmap import service
from chainmap.cache import ResultCache
from chainmap.data import ChainData
from chainmap.i18n import Lang, norm_lang
from chainmap.storage.base import Store

__all__ = [
    "SettingsDep",
    "StoreDep",
    "CacheDep",
    "DataDep",
    "LangDep",
    "require",
    "Reader",
    "valid_chain_id",
    "check_chain",
    "valid_region_id",
    "ChainIdDep",
]


# Cheap dependencies are ``async def`` so FastAPI runs them on the event loop
# instead of a thread-pool hop each; anything that may touch the store runs in
# the thread pool.


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


async def get_store(request: Request) -> Store:
    holder: StoreHolder = request.app.state.holder
    store = holder.peek()
    if store is not None:
        return store
    return await run_in_threadpool(holder.get)


async def get_cache(request: Request) -> ResultCache:
    cache: ResultCache = request.app.state.cache
    return cache


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
StoreDep = Annotated[Store, Depends(get_store)]
CacheDep = Annotated[ResultCache, Depends(get_cache)]


def get_data(store: StoreDep, cache: CacheDep) -> ChainData:
    """The read model, cached per store graph revision (record writes keep it)."""
    return service.chain_data(store=store, cache=cache)


DataDep = Annotated[ChainData, Depends(get_data)]


async def get_lang(lang: Annotated[str, Query(description="语言 zh|en / language", pattern="^(zh|en)$")] = "zh") -> Lang:
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
        holder: StoreHolder = request.app.state.holder
        key = await run_in_threadpool(lambda: verify_key(holder.get(), x_api_key))
        if key is None:
            raise HTTPException(status_code=401, detail="missing or invalid API key", headers={"WWW-Authenticate": "X-API-Key"})
        if not allowed(key["role"], area):
            raise HTTPException(status_code=403, detail=f"role {key['role']!r} may not modify {area}")
        return key

    return dep


Reader = Annotated[dict[str, Any], Depends(require(None))]


def check_chain(data: ChainData, chain: str | None, *, field: str = "chain") -> str | None:
    """``chain`` if it is a known chain id (or None); NotFound listing the valid ids otherwise."""
    return service.valid_chain(data, chain, field=field)


def valid_chain_id(chain_id: str, _: Reader, data: DataDep) -> str:
    """The chain id, or 404 naming the valid ids -- only for a caller with a valid key (the key
    is checked first, so an anonymous request gets 401, never the list of chains)."""
    check_chain(data, chain_id, field="chain_id")
    return chain_id


ChainIdDep = Annotated[str, Depends(valid_chain_id)]


def valid_region_id(data: ChainData, region: str | None) -> str:
    """``region``, or the city when None; NotFound listing the valid ids otherwise."""
    return service.valid_region(data, region)
