"""The planner's web page: ``/ui/`` and its three static assets (no third-party code, no CDN).

The page itself calls the public ``/api/v1`` endpoints from the browser; this router only
serves files. It is mounted without the API prefix.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from chainmap.exceptions import NotFound

__all__ = ["router", "STATIC_DIR", "ASSETS", "UI_CSP"]

router = APIRouter(tags=["ui"], include_in_schema=False)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

#: file name -> media type; only these files are served.
ASSETS: dict[str, str] = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}

# Everything from this origin only: the page must work offline and never load remote code or fonts.
# Inline styles are allowed because the inlined SVG diagram carries its own <style>.
UI_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'self'; form-action 'self'"
)
_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": UI_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _asset(name: str) -> Response:
    media = ASSETS.get(name)
    path = STATIC_DIR / name
    if media is None or not path.is_file():
        raise NotFound(f"no UI asset {name!r}; available: {', '.join(sorted(ASSETS))}", field="path")
    return Response(content=path.read_bytes(), media_type=media, headers=_HEADERS)


@router.get("/ui", summary="规划页面 / planner page")
def ui_redirect() -> RedirectResponse:
    return RedirectResponse(url="/ui/", status_code=307)


@router.get("/ui/", summary="规划页面 / planner page")
def ui_index() -> Response:
    """产业链图谱页面（中文，可切换英文）。The chain-map page (Chinese, English toggle)."""
    return _asset("index.html")


@router.get("/ui/{name}", summary="页面资源 / page asset")
def ui_asset(name: str) -> Response:
    return _asset(name)
