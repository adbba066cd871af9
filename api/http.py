"""HTTP helpers shared by the routers: entity tags and conditional GET (304).

>>> etag_of(3, "yuncheng", None)
'"fcbb575ed939f2454b49"'
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from fastapi import Request, Response

__all__ = ["etag_of", "conditional", "NO_CACHE"]

#: revalidate on every use (the ETag makes that cheap)
NO_CACHE = "no-cache"


def etag_of(*parts: object) -> str:
    """A strong entity tag of the parts that determine a response (revision, parameters)."""
    return '"' + hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:20] + '"'


def conditional(request: Request, etag: str) -> tuple[Response | None, dict[str, str]]:
    """``(304 response or None, headers to send)`` for a response tagged ``etag``:
    the 304 when the request's ``If-None-Match`` names the tag."""
    headers = {"ETag": etag, "Cache-Control": NO_CACHE}
    if _matches(request.headers, etag):
        return Response(status_code=304, headers=headers), headers
    return None, headers


def _matches(headers: Mapping[str, str], etag: str) -> bool:
    return headers.get("if-none-match") == etag
