"""Routers, one per area, assembled in one place."""

from __future__ import annotations

from fastapi import FastAPI

__all__ = ["include_all"]


def include_all(app: FastAPI, prefix: str) -> None:
    from api.routers import chains, enterprises, meta

    app.include_router(meta.router, prefix=prefix)
    app.include_router(meta.root_router)
    app.include_router(chains.router, prefix=prefix)
    app.include_router(enterprises.router, prefix=prefix)
    for name in ("gaps", "leads", "projects", "keys", "ui"):
        mod = _optional(name)
        if mod is not None:
            if name == "ui":
                app.include_router(mod.router)
            else:
                app.include_router(mod.router, prefix=prefix)


def _optional(name: str):  # type: ignore[no-untyped-def]
    import importlib
    import importlib.util

    if importlib.util.find_spec(f"api.routers.{name}") is None:
        return None
    return importlib.import_module(f"api.routers.{name}")
