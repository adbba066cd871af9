"""API keys: created once (the secret is shown only then), stored hashed, revocable.

A key looks like ``cm_<id>_<secret>``; the store keeps ``sha256(secret)`` under
record kind ``api_key`` and id ``<id>``.  Roles: viewer < taskforce / planner < admin.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chainmap.exceptions import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from chainmap.storage.base import Store

__all__ = ["ROLES", "create_key", "verify_key", "revoke_key", "well_formed", "list_keys", "allowed", "KeyCache"]

ROLES = ("viewer", "taskforce", "planner", "admin")

#: what each role may do beyond reading
_WRITE_AREAS = {
    "viewer": set(),
    "taskforce": {"leads", "projects", "candidates"},
    "planner": {"chains", "segments", "links", "enterprises"},
    "admin": {"leads", "projects", "candidates", "chains", "segments", "links", "enterprises", "keys"},
}


def allowed(role: str, area: str | None) -> bool:
    """True if ``role`` may act on ``area`` (None = read).

    >>> allowed("viewer", None), allowed("viewer", "projects"), allowed("taskforce", "projects")
    (True, False, True)
    >>> allowed("planner", "projects"), allowed("admin", "keys")
    (False, True)
    """
    if role not in _WRITE_AREAS:
        return False
    return area is None or area in _WRITE_AREAS[role]


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_key(store: Store, *, role: str, label: str = "") -> tuple[str, dict[str, Any]]:
    """Create a key; returns ``(plaintext_key, record_without_hash)``. The plaintext is never stored."""
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}; expected one of {', '.join(ROLES)}", field="role")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24)
    rec = {
        "role": role,
        "label": label,
        "hash": _hash(secret),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "revoked": None,
    }
    store.put_record("api_key", key_id, rec)
    public = {k: v for k, v in rec.items() if k != "hash"} | {"id": key_id}
    return f"cm_{key_id}_{secret}", public


_KEY_RE = re.compile(r"cm_[0-9a-f]{1,64}_[A-Za-z0-9_-]{1,200}")


def well_formed(key: str | None) -> bool:
    """True if ``key`` has the shape of a key (``cm_<hex id>_<secret>``): checked without the store.

    >>> well_formed(None), well_formed("x"), well_formed("cm_ab12_s3cr-t_x"), well_formed("cm__x")
    (False, False, True, False)
    """
    return bool(key) and _KEY_RE.fullmatch(key or "") is not None


def verify_key(store: Store, key: str | None) -> dict[str, Any] | None:
    """The key's record (without hash) if the key is valid and not revoked, else None."""
    if not well_formed(key):
        return None
    assert key is not None
    _, key_id, secret = key.split("_", 2)
    try:
        rec = store.get_record("api_key", key_id)
    except (NotFound, InvalidInput):
        return None
    if rec.get("revoked") or not hmac.compare_digest(rec.get("hash", ""), _hash(secret)):
        return None
    return {k: v for k, v in rec.items() if k != "hash"}


def revoke_key(store: Store, key_id: str, *, caller_id: str | None = None) -> dict[str, Any]:
    """Revoke ``key_id``.  Refused (:class:`Conflict`, HTTP 409) for the calling key
    (``caller_id``: a key cannot saw off the branch it sits on) and for the last active admin
    key (the store would be left without anyone able to manage keys).

    >>> from chainmap.storage.sqlite import SQLiteStore
    >>> store = SQLiteStore(":memory:")
    >>> _, a = create_key(store, role="admin")
    >>> _, v = create_key(store, role="viewer")
    >>> revoke_key(store, a["id"])
    Traceback (most recent call last):
    chainmap.exceptions.Conflict: key_id: 不能吊销最后一个有效的管理员密钥 / cannot revoke the last active admin key ...
    >>> revoke_key(store, v["id"], caller_id=v["id"])
    Traceback (most recent call last):
    chainmap.exceptions.Conflict: key_id: 不能吊销当前请求所用的密钥 / cannot revoke the key making this request ...
    >>> revoke_key(store, v["id"])["revoked"] is not None
    True
    """
    rec = store.get_record("api_key", key_id)
    if caller_id is not None and key_id == caller_id:
        raise Conflict(
            f"不能吊销当前请求所用的密钥 / cannot revoke the key making this request ({key_id})",
            hint="请用另一个管理员密钥吊销它 / revoke it with another admin key",
            field="key_id",
        )
    if rec.get("role") == "admin" and not rec.get("revoked"):
        admins = [r for r in store.list_records("api_key") if r.get("role") == "admin" and not r.get("revoked")]
        if len(admins) <= 1:
            raise Conflict(
                f"不能吊销最后一个有效的管理员密钥 / cannot revoke the last active admin key ({key_id})",
                hint="先创建另一个管理员密钥 / create another admin key first",
                field="key_id",
            )
    rec["revoked"] = datetime.now(UTC).isoformat(timespec="seconds")
    store.put_record("api_key", key_id, rec)
    return {k: v for k, v in rec.items() if k != "hash"}


def list_keys(store: Store) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "hash"} for r in store.list_records("api_key")]


class KeyCache:
    """Verified keys, valid while the store's ``api_key`` record revision stays the same.

    :func:`verify_key` reads the key's record and hashes its secret on every call; a server
    asks this cache instead, which costs one counter read (``store.record_revision("api_key")``)
    per request.  Any key write (create, revoke, by this process, another worker or the CLI on
    the same store) bumps that revision, so a revoked key is refused on the next request.
    Entries are keyed by the SHA-256 of the whole key (the plaintext is not kept) and carry the
    store they were verified against (a re-opened store starts afresh).

    >>> from chainmap.storage.sqlite import SQLiteStore
    >>> store, cache = SQLiteStore(":memory:"), KeyCache()
    >>> key, rec = create_key(store, role="viewer")
    >>> cache.verify(store, key)["role"], cache.verify(store, key)["id"] == rec["id"]
    ('viewer', True)
    >>> _ = revoke_key(store, rec["id"])
    >>> cache.verify(store, key) is None, cache.verify(store, "cm_nope_x") is None
    (True, True)
    """

    def __init__(self, maxsize: int = 1024) -> None:
        self.maxsize = maxsize
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[int, int, dict[str, Any] | None]] = {}
        self.hits = 0
        self.misses = 0

    def verify(self, store: Store, key: str | None) -> dict[str, Any] | None:
        """Like :func:`verify_key`, answered from the cache while no key record changed."""
        if not key:
            return None
        revision = store.record_revision("api_key")
        digest = _hash(key)
        entry = self._entries.get(digest)
        if entry is not None and entry[0] == id(store) and entry[1] == revision:
            self.hits += 1
            return entry[2]
        rec = verify_key(store, key)
        with self._lock:
            self.misses += 1
            if len(self._entries) >= self.maxsize:  # a flood of bad keys must not grow memory
                self._entries.clear()
            self._entries[digest] = (id(store), revision, rec)
        return rec

    def stats(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses, "size": len(self._entries)}
