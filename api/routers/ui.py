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
import gzip
import hashlib
import json
import math
import re
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import CacheDep, DataDep, Reader
from chainmap.exceptions import InvalidInput, NotFound

__all__ = [
    "router",
    "STATIC_DIR",
    "VENDOR_DIR",
    "MEDIA_TYPES",
    "VENDOR_PATCHES",
    "UI_CSP",
    "DOCS_LOCAL_CSP",
    "resolve_asset",
    "vendor_stamp",
    "LayoutCache",
    "layout_cache",
    "layout_key",
    "validate_layout",
    "SWAGGER_PARAMETERS",
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
    >>> resolve_asset("../main.py")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    chainmap.exceptions.NotFound: path: no web asset '../main.py' ...
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
    # vendor/ and prelayout/ may be symlinks (a worktree shares the built copy): their targets are roots too
    roots = [STATIC_DIR.resolve()]
    for built in (VENDOR_DIR, STATIC_DIR / "prelayout"):
        if built.exists():
            roots.append(built.resolve())
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
def _read(path: Path, name: str, mtime_ns: int, stamp: str) -> tuple[bytes, bytes | None, str]:
    """The file's bytes (vendor patches applied), its gzip form (text types over 1 KB) and ETag."""
    data = path.read_bytes()
    for old, new in VENDOR_PATCHES.get(name, []):
        data = data.replace(old, new)
    if name.endswith(".html"):
        data = _versioned(data)
    packed = None
    if path.suffix.lower() in _COMPRESSIBLE and len(data) > 1024:
        packed = gzip.compress(data, compresslevel=6, mtime=0)
    return data, packed, '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


_COMPRESSIBLE = {".html", ".js", ".mjs", ".css", ".json", ".map", ".svg", ".txt", ".md"}
_VENDOR_REF = re.compile(rb'((?:src|href)="(?:/ui/)?vendor/[^"?#]+)"')


def vendor_stamp() -> str:
    """The version of the vendor folder: the time ``scripts/build-web.sh`` last copied it.

    Vendor URLs carry it (``?v=…``) so their answers may be kept for a year (``immutable``);
    a rebuild changes every URL. Empty when the folder was not built by the script.
    """
    try:
        return format((VENDOR_DIR / ".built-from-lock").stat().st_mtime_ns, "x")
    except OSError:
        return ""


def _versioned(html: bytes) -> bytes:
    """``html`` with ``?v=<vendor stamp>`` added to each ``src``/``href`` naming a vendor file."""
    stamp = vendor_stamp()
    if not stamp:
        return html
    return _VENDOR_REF.sub(lambda m: m.group(1) + b"?v=" + stamp.encode("ascii") + b'"', html)


def _etag_matches(request: Request | None, etag: str) -> bool:
    if request is None:
        return False
    sent = request.headers.get("if-none-match", "")
    return any(t.strip().removeprefix("W/") == etag for t in sent.split(",")) or sent.strip() == "*"


def _accepts_gzip(request: Request | None) -> bool:
    return request is not None and "gzip" in request.headers.get("accept-encoding", "").lower()


def _asset(name: str, request: Request | None = None) -> Response:
    """One static file: ETag (``304`` on ``If-None-Match``), gzip when accepted, and caching by kind.

    The app's own files are ``no-cache`` (revalidated each time: a 304 costs no body); vendor
    files asked for with the current stamp (``?v=``) are ``immutable`` for a year, without it
    for a day.
    """
    path = resolve_asset(name)
    data, packed, etag = _read(path, name, path.stat().st_mtime_ns, vendor_stamp())
    headers = dict(_HEADERS)
    if name.startswith("vendor/"):
        stamp = vendor_stamp()
        asked = request.query_params.get("v") if request is not None else None
        fresh = bool(stamp) and asked == stamp
        headers["Cache-Control"] = "public, max-age=31536000, immutable" if fresh else _VENDOR_HEADERS["Cache-Control"]
    headers["ETag"] = etag
    if packed is not None:
        headers["Vary"] = "Accept-Encoding"
    if _etag_matches(request, etag):
        return Response(status_code=304, headers=headers)
    if packed is not None and _accepts_gzip(request):
        headers["Content-Encoding"] = "gzip"
        data = packed
    return Response(content=data, media_type=MEDIA_TYPES[path.suffix.lower()], headers=headers)


@router.get("/ui", summary="网页 / web app")
def ui_redirect() -> RedirectResponse:
    return RedirectResponse(url="/ui/", status_code=307)


@router.get("/ui/", summary="产业链图谱 / chain map")
def ui_index(request: Request) -> Response:
    """产业链图谱页面（中文，可切换英文）。The chain-map page (Chinese, English toggle)."""
    return _asset("index.html", request)


@router.get("/ui/prelayout/index.json", summary="随包预排的链图 / chain-map layouts shipped with the build")
def ui_prelayouts() -> Response:
    """The layouts precomputed for the shipped seed at build time (``api/static/prelayout``,
    written by scripts/build-web.sh): the page asks only for these, so an edited chain (whose
    layout key is not listed) costs no failing request; an empty list without a build."""
    import json

    folder = STATIC_DIR / "prelayout"
    names = sorted(p.stem for p in folder.glob("elk*.json") if _SAFE_PART.match(p.name)) if folder.is_dir() else []
    return Response(content=json.dumps(names), media_type="application/json", headers=dict(_HEADERS))


@router.get("/ui/pages.json", summary="已有页面 / pages present")
def ui_pages() -> Response:
    """The HTML pages shipped in ``api/static`` (the navigation shows only these)."""
    import json

    names = sorted(p.name for p in STATIC_DIR.glob("*.html") if _SAFE_PART.match(p.name))
    return Response(content=json.dumps(names), media_type="application/json", headers=dict(_HEADERS))


# ---------------------------------------------------------------- shared chain-map layouts

#: the cache key the page computes (api/static/chainlayout.js ``layoutKey``): format version,
#: FNV-1a of the ELK input's JSON text and that text's length
_LAYOUT_KEY = re.compile(r"^elk[0-9]{1,3}:[0-9a-f]{8}:[0-9]{1,7}$")
LAYOUT_MAX_BYTES = 1_000_000
LAYOUT_MAX_ENTRIES = 64
_MAX_COORD = 1e6


class LayoutCache:
    """Finished ELK layouts of the chain map shared by every visitor (newest ``max`` kept).

    ELK is deterministic, so a layout depends only on its input (boxes, sizes, links,
    options); the page asks for its input's key before laying out, and posts what it computed
    when nobody had. First write wins: a key's layout is never replaced while kept.
    """

    def __init__(self, max_entries: int = LAYOUT_MAX_ENTRIES) -> None:
        self.max = max_entries
        self._items: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: str, item: dict[str, Any]) -> bool:
        """Keep ``item`` under ``key``; False when the key was already kept."""
        with self._lock:
            if key in self._items:
                return False
            self._items[key] = item
            while len(self._items) > self.max:
                self._items.popitem(last=False)
            return True

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


def layout_cache(app: Any) -> LayoutCache:
    """The app's shared layout cache (created on first use)."""
    cache = getattr(app.state, "layouts", None)
    if cache is None:
        cache = app.state.layouts = LayoutCache()
    return cache


def layout_key(text: str, version: int = 1) -> str:
    """The page's cache key of an ELK input serialised as ``text`` (FNV-1a 32 over UTF-16 units).

    >>> layout_key('{"id":"root"}')
    'elk1:f0307dc0:13'
    """
    h = 0x811C9DC5
    units = text.encode("utf-16-le")
    for i in range(0, len(units), 2):
        h ^= units[i] | (units[i + 1] << 8)
        h = (h * 0x01000193) & 0xFFFFFFFF
    return f"elk{version}:{h:08x}:{len(units) // 2}"


def _js_json(value: Any) -> str:
    """``JSON.stringify(value)`` for the JSON the page posts (strings, ints, lists, objects)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and abs(v) <= _MAX_COORD


def _bad(msg: str, field: str) -> InvalidInput:
    return InvalidInput(f"layout not kept: {msg}", field=field)


def validate_layout(key: str, body: Any, allowed_ids: set[str]) -> dict[str, Any]:
    """The ``{"input", "output"}`` to keep for ``key``, checked against the chain.

    The input must hash to ``key`` and name only the chain's boxes (``allowed_ids``: its
    segments, the linked segments of other chains and ``group:<chain>`` boxes); the output
    must place exactly those boxes, inside the drawing, without two overlapping, and route
    exactly the input's links. Raises :class:`InvalidInput` naming the field otherwise.
    """
    if not isinstance(body, dict) or not isinstance(body.get("input"), dict) or not isinstance(body.get("output"), dict):
        raise _bad('expected {"chain", "input": ELK graph, "output": layout}', "body")
    inp, out = body["input"], body["output"]
    try:
        text = _js_json(inp)
    except ValueError:
        raise _bad("input holds a number that is not finite", "input") from None
    if layout_key(text, int(key[3 : key.index(":")])) != key:
        raise _bad(f"input does not hash to {key!r}", "input")
    kids, edges = inp.get("children"), inp.get("edges")
    if not isinstance(kids, list) or not kids or not isinstance(edges, list):
        raise _bad("input.children must be a non-empty list and input.edges a list", "input.children")
    sizes: dict[str, tuple[float, float]] = {}
    for i, c in enumerate(kids):
        if not isinstance(c, dict) or not isinstance(c.get("id"), str) or not _num(c.get("width")) or not _num(c.get("height")):
            raise _bad(f"input.children[{i}] needs id, width, height", f"input.children[{i}]")
        if c["id"] not in allowed_ids:
            raise _bad(f"input.children[{i}].id {c['id']!r} is not a box of this chain", f"input.children[{i}].id")
        sizes[c["id"]] = (float(c["width"]), float(c["height"]))
    if len(sizes) != len(kids):
        raise _bad("input.children repeats an id", "input.children")
    edge_ids = set()
    for i, e in enumerate(edges):
        ok = isinstance(e, dict) and isinstance(e.get("id"), str)
        ends = (e.get("sources"), e.get("targets")) if ok else (None, None)
        if not ok or not all(isinstance(x, list) and len(x) == 1 and x[0] in sizes for x in ends):
            raise _bad(f"input.edges[{i}] needs id and one source and target among the boxes", f"input.edges[{i}]")
        edge_ids.add(e["id"])
    w, h = out.get("width"), out.get("height")
    placed, routes = out.get("children"), out.get("edges")
    if not _num(w) or not _num(h) or not isinstance(placed, list) or not isinstance(routes, list):
        raise _bad("output needs width, height, children and edges", "output")
    boxes = []
    for i, c in enumerate(placed):
        if not isinstance(c, dict) or c.get("id") not in sizes or not _num(c.get("x")) or not _num(c.get("y")):
            raise _bad(f"output.children[{i}] needs the id of an input box and x, y", f"output.children[{i}]")
        bw, bh = sizes[c["id"]]
        if c["x"] < 0 or c["y"] < 0 or c["x"] + bw > w + 0.5 or c["y"] + bh > h + 0.5:
            raise _bad(f"output.children[{i}] ({c['id']}) lies outside the drawing", f"output.children[{i}]")
        boxes.append((float(c["x"]), float(c["y"]), bw, bh, c["id"]))
    if sorted(b[4] for b in boxes) != sorted(sizes):
        raise _bad("output.children must place each input box once", "output.children")
    boxes.sort()
    for i, (x, y, bw, bh, bid) in enumerate(boxes):
        for x2, y2, _bw2, bh2, bid2 in boxes[i + 1 :]:
            if x2 >= x + bw - 0.5:
                break
            if y2 < y + bh - 0.5 and y < y2 + bh2 - 0.5:
                raise _bad(f"boxes {bid} and {bid2} overlap", "output.children")
    if sorted(str(r.get("id")) if isinstance(r, dict) else "" for r in routes) != sorted(edge_ids):
        raise _bad("output.edges must route each input link once", "output.edges")
    for i, r in enumerate(routes):
        sections = r.get("sections") or []
        if not isinstance(sections, list) or len(sections) > 8:
            raise _bad(f"output.edges[{i}].sections must be a short list", f"output.edges[{i}]")
        for s in sections:
            pts = [s.get("startPoint"), s.get("endPoint"), *(s.get("bendPoints") or [])] if isinstance(s, dict) else [None]
            if len(pts) > 258 or not all(isinstance(p, dict) and _num(p.get("x")) and _num(p.get("y")) for p in pts):
                raise _bad(f"output.edges[{i}] has a point without finite x, y", f"output.edges[{i}]")
    return {"input": inp, "output": out}


def _chain_box_ids(data: Any, cache: Any, chain: str) -> set[str]:
    from chainmap import service

    graph = json.loads(service.chain_graph(data=data, cache=cache, chain=chain, fmt="json").text)
    ids = {str(n["id"]) for n in graph.get("nodes", [])}
    tops = {str(n.get("top_chain") or n.get("chain")) for n in graph.get("nodes", []) if n.get("external")}
    return ids | {f"group:{t}" for t in tops}


def _layout_key_arg(key: str) -> str:
    if not _LAYOUT_KEY.match(key):
        raise InvalidInput(f"bad layout key {key!r}; expected elk<version>:<8 hex>:<length>", field="key")
    return key


@router.get("/ui/layouts/{key}", summary="共享的图谱排布 / shared chain-map layout")
def get_layout(key: str, request: Request, _: Reader) -> Response:
    """The layout another visitor's browser computed for this ELK input, or ``204`` when none is
    kept yet (not a 404: a miss is the normal first visit and must not log a console error)."""
    item = layout_cache(request.app).get(_layout_key_arg(key))
    if item is None:
        return Response(status_code=204, headers={"Cache-Control": "no-store"})
    return Response(content=item["text"], media_type="application/json", headers={"Cache-Control": "no-store"})


@router.put("/ui/layouts/{key}", summary="提交图谱排布 / share a chain-map layout", status_code=201)
async def put_layout(key: str, request: Request, _: Reader, data: DataDep, cache: CacheDep) -> Response:
    """Keep a layout the page computed (checked against the chain) for the next visitors."""
    _layout_key_arg(key)
    raw = await request.body()
    if len(raw) > LAYOUT_MAX_BYTES:
        raise InvalidInput(f"layout of {len(raw)} bytes; at most {LAYOUT_MAX_BYTES}", field="body")
    try:
        body = json.loads(raw)
    except ValueError as e:
        raise InvalidInput(f"layout is not JSON: {e}", field="body") from None
    chain = body.get("chain") if isinstance(body, dict) else None
    if not isinstance(chain, str):
        raise InvalidInput("layout needs the chain id it draws", field="chain")
    try:
        allowed = await run_in_threadpool(_chain_box_ids, data, cache, chain)
    except NotFound:
        raise InvalidInput(f"layout not kept: unknown chain {chain!r}", field="chain") from None
    item = validate_layout(key, body, allowed)
    text = _js_json(item)
    kept = layout_cache(request.app).put(key, {"text": text})
    return Response(status_code=201 if kept else 200, headers={"Cache-Control": "no-store"})


@router.get("/ui/{name:path}", summary="页面资源 / page asset")
def ui_asset(name: str, request: Request) -> Response:
    return _asset(name, request)


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


#: Swagger UI settings for a quicker first paint: the long "Schemas" section not rendered up
#: front (each operation still shows its own models), no syntax colouring of large bodies
SWAGGER_PARAMETERS: dict[str, object] = {
    "defaultModelsExpandDepth": -1,
    "syntaxHighlight": False,
    "deepLinking": True,
}


def _v(url: str, stamp: str) -> str:
    return f"{url}?v={stamp}" if stamp else url


@lru_cache(maxsize=4)
def _docs_page(openapi_url: str, title: str, stamp: str) -> HTMLResponse:
    return _with_csp(
        get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} · 接口文档 / API docs",
            swagger_js_url=_v(_SWAGGER + "swagger-ui-bundle.js", stamp),
            swagger_css_url=_v(_SWAGGER + "swagger-ui.css", stamp),
            swagger_favicon_url=_v(_SWAGGER + "favicon-32x32.png", stamp),
            oauth2_redirect_url="/docs/oauth2-redirect",
            swagger_ui_parameters=SWAGGER_PARAMETERS,
        )
    )


@lru_cache(maxsize=4)
def _redoc_page(openapi_url: str, title: str, stamp: str) -> HTMLResponse:
    page = get_redoc_html(
        openapi_url=openapi_url,
        title=f"{title} · ReDoc",
        redoc_js_url=_v("/ui/vendor/redoc.standalone.js", stamp),
        redoc_favicon_url=_v(_SWAGGER + "favicon-32x32.png", stamp),
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
    return _copy(_docs_page(app.openapi_url or "/openapi.json", app.title, vendor_stamp()))


@router.get("/docs/oauth2-redirect")
def swagger_oauth2_redirect() -> HTMLResponse:
    return _with_csp(get_swagger_ui_oauth2_redirect_html())


@router.get("/redoc", summary="接口文档（ReDoc，离线）/ API reference")
def redoc_docs(request: Request) -> HTMLResponse:
    app = request.app
    return _copy(_redoc_page(app.openapi_url or "/openapi.json", app.title, vendor_stamp()))
