"""Routers, one per area, assembled in one place."""

from __future__ import annotations

from fastapi import FastAPI

__all__ = ["include_all"]


def include_all(app: FastAPI, prefix: str) -> None:
    from api.routers import chains, enterprises, gaps, keys, labels, leads, meta, projects, review, ui

    app.include_router(meta.router, prefix=prefix)
    app.include_router(meta.root_router)
    app.include_router(labels.router, prefix=prefix)
    for area in (chains, enterprises, gaps, leads, projects, keys, review):
        app.include_router(area.router, prefix=prefix)
    app.include_router(ui.router)  # the page lives at /ui/, outside the versioned API
