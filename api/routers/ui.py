"""The web app: every file under ``api/static`` at ``/ui/<path>``, and the offline API docs.

The pages call the public ``/api/v1`` endpoints from the browser; this router only serves
files. It is mounted without the API prefix.

* ``/ui/`` is ``index.html`` (the chain map); ``/ui/<path>`` any file below ``api/static``
  (pages, ``common.js``, styles, and ``vendor/`` -- the npm libraries copied there at build
  time by ``scripts/build-web.sh``). The path is resolved and must stay inside the folder
  (no ``..``, no absolute paths, no hidden files, no symlink escaping it except the vendor
  folder itself); the media type comes from the extension (:data:`MEDIA_TYPES`), other
  extensions are refused.
* ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) are FastAPI's own pages pointed at the local
  copies in ``vendor/`` instead of a CDN, so they work on an intranet without internet. Their
  CSP allows this origin only (the Swagger bootstrap script is allowed by its hash).
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from chainmap.exceptions import NotFound

__all__ = [
    "router",
    "STATIC_DIR",
    "VENDOR_DIR",
    "MEDIA_TYPES",
    "VENDOR_PATCHES",
    "UI_CSP",
    "DOCS_LOCAL_CSP",
    "resolve_asset",
]

router = APIRouter(tags=["ui"], include_in_schema=False)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
VENDOR_DIR = STATIC_DIR / "vendor"

#: extension -> media type; files with other extensions are not served.
MEDIA_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
}

# Everything from this origin only: the pages must work offline and never load remote code or fonts.
# Inline styles are allowed because the diagrams carry their own style attributes.
UI_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'self'; form-action 'self'"
)
_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": UI_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_VENDOR_HEADERS = {**_HEADERS, "Cache-Control": "public, max-age=86400"}
_SAFE_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


def resolve_asset(name: str) -> Path:
    """The file under :data:`STATIC_DIR` for the URL path ``name``.

    Raises :class:`NotFound` for anything that is not a plain file inside the folder
    with a known extension (traversal, hidden files, unknown types, folders).

    >>> resolve_asset("index.html").name
    'index.html'
    >>> resolve_asset("../main.py")
    Traceback (most recent call last):
    ...
    chainmap.exceptions.NotFound: no web asset '../main.py' ...
    """
    parts = name.split("/")
    bad = NotFound(
        f"no web asset {name!r} (paths below /ui/ name files of api/static: letters, digits, '_', '-', '.';"
        f" types {', '.join(sorted(MEDIA_TYPES))})",
        field="path",
    )
    if not name or any(not _SAFE_PART.match(p) or p in {".", ".."} for p in parts):
        raise bad
    path = STATIC_DIR.joinpath(*parts)
    if path.suffix.lower() not in MEDIA_TYPES:
        raise bad
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise bad from None
    # vendor/ may be a symlink (a worktree shares the built copy): its target is the other root
    roots = [STATIC_DIR.resolve()]
    if VENDOR_DIR.exists():
        roots.append(VENDOR_DIR.resolve())
    if not real.is_file() or not any(real.is_relative_to(r) for r in roots):
        raise bad
    return real


#: vendored files served with a reference to the internet taken out: ReDoc's side menu shows
#: the Redocly logo from cdn.redoc.ly (an <img> that hides itself when it fails to load, so
#: ``data:,`` -- an empty image -- leaves the menu without it and no request leaves the intranet)
VENDOR_PATCHES: dict[str, list[tuple[bytes, bytes]]] = {
    "vendor/redoc.standalone.js": [(b"https://cdn.redoc.ly/redoc/logo-mini.svg", b"data:,")],
}


@lru_cache(maxsize=64)
def _read(path: Path, name: str, mtime_ns: int) -> bytes:
    data = path.read_bytes()
    for old, new in VENDOR_PATCHES.get(name, []):
        data = data.replace(old, new)
    return data


def _asset(name: str) -> Response:
    path = resolve_asset(name)
    headers = _VENDOR_HEADERS if name.startswith("vendor/") else _HEADERS
    if name.startswith("vendor/"):  # large and unchanging: read once per file version
        content = _read(path, name, path.stat().st_mtime_ns)
    else:
        content = path.read_bytes()
    return Response(content=content, media_type=MEDIA_TYPES[path.suffix.lower()], headers=dict(headers))


@router.get("/ui", summary="网页 / web app")
def ui_redirect() -> RedirectResponse:
    return RedirectResponse(url="/ui/", status_code=307)


@router.get("/ui/", summary="产业链图谱 / chain map")
def ui_index() -> Response:
    """产业链图谱页面（中文，可切换英文）。The chain-map page (Chinese, English toggle)."""
    return _asset("index.html")


@router.get("/ui/pages.json", summary="已有页面 / pages present")
def ui_pages() -> Response:
    """The HTML pages shipped in ``api/static`` (the navigation shows only these)."""
    import json

    names = sorted(p.name for p in STATIC_DIR.glob("*.html") if _SAFE_PART.match(p.name))
    return Response(content=json.dumps(names), media_type="application/json", headers=dict(_HEADERS))


@router.get("/ui/{name:path}", summary="页面资源 / page asset")
def ui_asset(name: str) -> Response:
    return _asset(name)


# ---------------------------------------------------------------- offline API docs

_SWAGGER = "/ui/vendor/swagger-ui/"
_DOCS_BASE_CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
    "worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'"
)
#: the docs pages' CSP without the script hashes (each page adds ``script-src 'self' 'sha256-…'``)
DOCS_LOCAL_CSP = _DOCS_BASE_CSP
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def _with_csp(page: HTMLResponse) -> HTMLResponse:
    """``page`` with a self-only CSP; its inline scripts are allowed by their SHA-256 only."""
    body = bytes(page.body)
    hashes = [
        "'sha256-"
        + base64.b64encode(hashlib.sha256(m.group(1).encode("utf-8")).digest()).decode("ascii")
        + "'"
        for m in _INLINE_SCRIPT.finditer(body.decode("utf-8"))
    ]
    csp = f"script-src 'self' {' '.join(hashes)}; ".replace(" ;", ";") + _DOCS_BASE_CSP
    return HTMLResponse(body, headers={"Content-Security-Policy": csp, "Cache-Control": "no-cache"})


@lru_cache(maxsize=4)
def _docs_page(openapi_url: str, title: str) -> HTMLResponse:
    return _with_csp(
        get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} · 接口文档 / API docs",
            swagger_js_url=_SWAGGER + "swagger-ui-bundle.js",
            swagger_css_url=_SWAGGER + "swagger-ui.css",
            swagger_favicon_url=_SWAGGER + "favicon-32x32.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
        )
    )


@lru_cache(maxsize=4)
def _redoc_page(openapi_url: str, title: str) -> HTMLResponse:
    page = get_redoc_html(
        openapi_url=openapi_url,
        title=f"{title} · ReDoc",
        redoc_js_url="/ui/vendor/redoc.standalone.js",
        redoc_favicon_url=_SWAGGER + "favicon-32x32.png",
        with_google_fonts=False,
    )
    return _with_csp(page)


def _copy(page: HTMLResponse) -> HTMLResponse:
    return HTMLResponse(
        bytes(page.body), headers={k: v for k, v in page.headers.items() if k != "content-length"}
    )


@router.get("/docs", summary="接口文档（Swagger UI，离线）/ API docs")
def swagger_docs(request: Request) -> HTMLResponse:
    app = request.app
    return _copy(_docs_page(app.openapi_url or "/openapi.json", app.title))


@router.get("/docs/oauth2-redirect")
def swagger_oauth2_redirect() -> HTMLResponse:
    return _with_csp(get_swagger_ui_oauth2_redirect_html())


@router.get("/redoc", summary="接口文档（ReDoc，离线）/ API reference")
def redoc_docs(request: Request) -> HTMLResponse:
    app = request.app
    return _copy(_redoc_page(app.openapi_url or "/openapi.json", app.title))
