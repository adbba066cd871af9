"""Entity tags of single resources and the ``If-Match`` precondition of their writes.

The ETag of a segment, link, enterprise, project, target or key is the store's
version tag of the object (:func:`chainmap.storage.base.object_tag`: a SHA-256 of
its canonical JSON, 20 hex digits), quoted: a strong validator.  Writes take it
back in ``If-Match``; the comparison is strong (``W/`` tags never match), ``*``
matches any existing object, and no header means no condition.  A stale tag gives
412 with the current ETag (``api/errors.py``); the check and the write happen in
one store transaction (:meth:`chainmap.storage.base.Store.guarded`).

>>> expected_tags(None) is None
True
>>> sorted(expected_tags('"abc", W/"weak", "def"'))
['abc', 'def']
>>> sorted(expected_tags("*"))
['*']
>>> quoted("abc")
'"abc"'
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Response

from chainmap.storage.base import ANY_TAG, Tagged, object_tag

__all__ = ["IfMatch", "expected_tags", "quoted", "etag", "set_etag"]

IfMatch = Annotated[
    str | None,
    Header(
        description="乐观并发：上次读取时的 ETag；已被他人修改则 412 / the ETag you read; 412 if the object changed since",
    ),
]


def expected_tags(if_match: str | None) -> frozenset[str] | None:
    """The tags an ``If-Match`` header accepts (None: no header, no condition).

    Quoted tags are unquoted; weak ones (``W/"..."``) are dropped (If-Match compares
    strongly), so a header of weak tags only matches nothing.
    """
    if if_match is None:
        return None
    tags: set[str] = set()
    for part in if_match.split(","):
        tag = part.strip()
        if not tag or tag.startswith("W/"):
            continue
        if tag == ANY_TAG:
            tags.add(ANY_TAG)
            continue
        tags.add(tag[1:-1] if len(tag) >= 2 and tag[0] == tag[-1] == '"' else tag)
    return frozenset(tags)


def quoted(tag: str) -> str:
    return f'"{tag}"'


def etag(obj: Tagged) -> str:
    """The ETag header value of a stored object."""
    return quoted(object_tag(obj))


def set_etag(response: Response, obj: Tagged) -> None:
    """Tag ``response`` with ``obj``'s ETag (revalidate before reuse)."""
    response.headers["ETag"] = etag(obj)
    response.headers.setdefault("Cache-Control", "no-cache")
