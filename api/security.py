"""Security headers on every response (pure ASGI, wrapped around the whole app).

``X-Content-Type-Options: nosniff`` and a ``Content-Security-Policy`` are added to every
HTTP response -- JSON answers, errors (including the 500 of Starlette's outermost
``ServerErrorMiddleware``), 304s, fast-path answers (:mod:`api.fastpath`), downloads, the
``/ui/`` page and its assets, and the interactive docs.  A response that already carries a
CSP (the ``/ui/`` page sets its own) keeps it.

Policies:

* API answers (JSON, downloads): ``default-src 'none'; frame-ancestors 'none'`` -- nothing
  in them may load or run anything, and they may not be framed;
* ``/docs`` and ``/docs/oauth2-redirect`` (Swagger UI) and ``/redoc``: the scripts, styles and
  favicon FastAPI loads from ``cdn.jsdelivr.net`` / ``fastapi.tiangolo.com``, plus the inline
  bootstrap script and the ``/openapi.json`` fetch (same origin);
* ``/ui/``: the page's own policy (:data:`api.routers.ui.UI_CSP`), everything from this origin.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["SecurityHeaders", "MethodGuard", "API_CSP", "DOCS_CSP", "security_headers"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.jsdelivr.net; "
    "font-src 'self' https://fonts.gstatic.com; worker-src 'self' blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'self'"
)
_HTTP_METHODS = {"GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE"}
_DOCS_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc")


def _csp_for(path: str) -> bytes:
    if path in _DOCS_PATHS:
        return DOCS_CSP.encode("ascii")
    if path == "/ui" or path.startswith("/ui/"):
        from api.routers.ui import UI_CSP

        return UI_CSP.encode("ascii")
    return API_CSP.encode("ascii")


def security_headers(path: str, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``headers`` plus nosniff and the path's CSP, unless already present."""
    names = {bytes(k).lower() for k, _ in headers}
    out = list(headers)
    if b"x-content-type-options" not in names:
        out.append((b"x-content-type-options", b"nosniff"))
    if b"content-security-policy" not in names:
        out.append((b"content-security-policy", _csp_for(path)))
    return out


class SecurityHeaders:
    """ASGI wrapper adding :func:`security_headers` to every ``http.response.start``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = security_headers(path, list(message.get("headers", [])))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def documented_paths(app: Any) -> dict[str, dict[str, None]]:
    """The documented paths of ``app`` and their methods, shaped like the OpenAPI ``paths``
    object (``{"/api/v1/links": {"get": None, "post": None}}``), read from the routes: the same
    paths and methods as ``app.openapi()["paths"]`` (tests/reliability/test_api_security.py
    compares them) without building the schema, which takes seconds and is needed only when
    someone asks for /openapi.json, /docs or /redoc.

    Included routers are walked as FastAPI keeps them (newer releases keep each included router
    with its prefix instead of copying its routes); a route of a kind this walk does not know
    falls back to the schema itself."""
    from fastapi.routing import APIRoute
    from starlette.routing import Mount, Route

    paths: dict[str, dict[str, None]] = {}

    def walk(routes: Any, prefix: str, documented: bool) -> bool:
        for route in routes:
            if isinstance(route, APIRoute):
                if documented and route.include_in_schema:
                    ops = paths.setdefault(prefix + route.path_format, {})
                    for method in sorted(route.methods or ()):
                        ops[method.lower()] = None
            elif hasattr(route, "original_router") and hasattr(route, "include_context"):
                ctx = route.include_context
                if not walk(route.original_router.routes, prefix + (ctx.prefix or ""), documented and ctx.include_in_schema):
                    return False
            elif not isinstance(route, (Route, Mount)):  # plain Starlette routes are never documented
                return False
        return True

    if walk(app.routes, "", True):
        return paths
    return {path: dict.fromkeys(ops) for path, ops in app.openapi().get("paths", {}).items()}


class MethodGuard:
    """Correct ``405`` answers and ``Allow`` headers.

    Starlette answers a method no route takes with the ``Allow`` of the *first* route whose
    path matched, so ``OPTIONS /links`` said ``GET`` (``POST`` and ``DELETE`` live on other
    routes of the same path), and a fixed path shadowed by a parameter route
    (``/enterprises/import`` by ``/enterprises/{enterprise_id}``) got that route's methods --
    ``GET /enterprises/import`` even reached ``get_enterprise("import")``.  This wrapper:

    * answers a request to a fixed path (no parameters) whose method none of that path's
      routes takes with 405 and ``Allow`` = those routes' methods (one dict lookup);
    * rewrites the ``Allow`` of any other 405 to the union of the methods of every route
      whose path matches.

    ``paths`` returns the OpenAPI ``paths`` object (read on first use: routers are included
    after the middleware is added), so ``Allow`` is exactly the documented methods.
    """

    def __init__(self, app: ASGIApp, *, paths: Callable[[], dict[str, Any]]) -> None:
        self.app = app
        self._paths = paths
        self._static: dict[str, set[str]] | None = None
        self._dynamic: list[tuple[re.Pattern[str], set[str]]] = []

    def _index(self) -> dict[str, set[str]]:
        if self._static is None:
            static: dict[str, set[str]] = {}
            dynamic: list[tuple[re.Pattern[str], set[str]]] = []
            for path, operations in self._paths().items():
                methods = {m.upper() for m in operations if m.upper() in _HTTP_METHODS}
                if "{" in path:
                    dynamic.append((re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"), methods))
                else:
                    static[path] = methods
            self._dynamic = dynamic
            self._static = static
        return self._static

    def allowed(self, path: str) -> set[str]:
        """The methods some route takes on ``path`` (fixed routes first)."""
        static = self._index()
        if path in static:
            return static[path]
        out: set[str] = set()
        for regex, methods in self._dynamic:
            if regex.match(path):
                out |= methods
        return out

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        static = self._index()
        if path in static and method not in static[path]:
            await _method_not_allowed(send, static[path])
            return

        async def fix_allow(message: Message) -> None:
            allowed = self.allowed(path) if message["type"] == "http.response.start" and message["status"] == 405 else None
            if allowed:  # a documented path (the undocumented /ui routes keep Starlette's header)
                allow = ", ".join(sorted(allowed)).encode("ascii")
                headers = [(k, v) for k, v in message.get("headers", []) if bytes(k).lower() != b"allow"]
                message["headers"] = [*headers, (b"allow", allow)]
            await send(message)

        await self.app(scope, receive, fix_allow)


async def _method_not_allowed(send: Send, methods: set[str]) -> None:
    import json

    from api.errors import error_body

    body = json.dumps(
        error_body("MethodNotAllowed", "Method Not Allowed", "该路径不支持此方法 / method not allowed"),
        ensure_ascii=False,
    ).encode("utf-8")
    await send({
        "type": "http.response.start",
        "status": 405,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode("ascii")),
            (b"allow", ", ".join(sorted(methods)).encode("ascii")),
        ],
    })
    await send({"type": "http.response.body", "body": body})
