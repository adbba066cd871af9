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

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["SecurityHeaders", "API_CSP", "DOCS_CSP", "security_headers"]

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
