"""The response cache in front of the routes (api/fastpath.py) and the verified-key cache
(api.keys.KeyCache): repeated GETs are answered from stored bytes, but never stale, never to
a key that has been revoked, and with the same ETag / 304 behaviour as the routes."""

from __future__ import annotations

from api.keys import KeyCache, create_key, revoke_key
from chainmap.storage.sqlite import SQLiteStore
from tests.api.conftest import API, ApiClient, error_of


def _responses(c: ApiClient) -> dict[str, int]:
    return dict(c.app.state.responses.stats())  # type: ignore[attr-defined]


def test_a_repeated_get_is_served_from_the_stored_bytes(sqlite_client: ApiClient) -> None:
    c, h = sqlite_client, sqlite_client.h("viewer")
    first = c.get(f"{API}/gaps?chain=qi", headers=h)
    assert first.status_code == 200
    hits = _responses(c)["hits"]
    again = c.get(f"{API}/gaps?chain=qi", headers=h)
    assert _responses(c)["hits"] == hits + 1
    assert again.content == first.content
    assert again.headers == first.headers  # ETag, Cache-Control, content-type and -length alike
    assert c.get(f"{API}/gaps?chain=he", headers=h).content != first.content  # the query is part of the key


def test_the_304_of_a_stored_answer_equals_the_routes(sqlite_client: ApiClient) -> None:
    c, h = sqlite_client, sqlite_client.h("viewer")
    tag = c.get(f"{API}/gaps?chain=qi", headers=h).headers["etag"]
    c.app.state.responses.clear()  # type: ignore[attr-defined]
    from_route = c.get(f"{API}/gaps?chain=qi", headers={**h, "If-None-Match": tag})  # not stored: a 304 is never kept
    assert from_route.status_code == 304
    c.get(f"{API}/gaps?chain=qi", headers=h)  # stored now
    hits = _responses(c)["hits"]
    stored = c.get(f"{API}/gaps?chain=qi", headers={**h, "If-None-Match": tag})
    assert _responses(c)["hits"] == hits + 1
    assert stored.status_code == 304 and not stored.content
    assert dict(stored.headers) == dict(from_route.headers)
    other = c.get(f"{API}/gaps?chain=qi", headers={**h, "If-None-Match": '"someothertag"'})
    assert other.status_code == 200 and other.headers["etag"] == tag


def test_a_revoked_key_is_refused_on_the_next_request(app_client: ApiClient) -> None:
    """On both stores (Neo4j: the revision and key reads go through the thread pool)."""
    c = app_client
    key, rec = create_key(c.store, role="viewer", label="to revoke")
    h = {"X-API-Key": key}
    for _ in range(3):  # the answer is stored, the key verified and cached
        assert c.get(f"{API}/gaps?chain=qi", headers=h).status_code == 200
        assert c.get(f"{API}/regions", headers=h).status_code == 200
    assert c.delete(f"{API}/keys/{rec['id']}", headers=c.h("admin")).status_code == 204
    error_of(c.get(f"{API}/gaps?chain=qi", headers=h), 401)
    error_of(c.get(f"{API}/regions", headers=h), 401)
    assert c.get(f"{API}/gaps?chain=qi", headers=c.h("viewer")).status_code == 200  # other keys still work


def test_a_revocation_by_another_connection_is_seen(sqlite_client: ApiClient) -> None:
    """The CLI (or another worker) revokes through its own connection to the same file."""
    c = sqlite_client
    key, rec = create_key(c.store, role="viewer")
    h = {"X-API-Key": key}
    assert c.get(f"{API}/gaps", headers=h).status_code == 200
    assert c.get(f"{API}/gaps", headers=h).status_code == 200
    other = SQLiteStore(c.store.path)  # type: ignore[attr-defined]
    try:
        revoke_key(other, rec["id"])
    finally:
        other.close()
    error_of(c.get(f"{API}/gaps", headers=h), 401)


def test_an_answer_stored_for_one_key_is_not_given_to_another(sqlite_client: ApiClient) -> None:
    c = sqlite_client
    assert c.get(f"{API}/gaps?chain=qi", headers=c.h("viewer")).status_code == 200
    assert c.get(f"{API}/gaps?chain=qi", headers=c.h("viewer")).status_code == 200
    error_of(c.get(f"{API}/gaps?chain=qi"), 401)
    error_of(c.get(f"{API}/gaps?chain=qi", headers={"X-API-Key": "cm_000000000000_forged"}), 401)


def test_a_graph_write_through_another_connection_is_never_served_stale(sqlite_client: ApiClient) -> None:
    c, h = sqlite_client, sqlite_client.h("viewer")
    url = f"{API}/chains/qi/segments"
    before = c.get(url, headers=h).json()
    assert c.get(url, headers=h).json() == before
    other = SQLiteStore(c.store.path)  # type: ignore[attr-defined]
    try:
        seg = other.get_segment("qi.separator")
        other.upsert_segment(seg.model_copy(update={"name_en": "Separator (renamed)"}))
    finally:
        other.close()
    after = c.get(url, headers=h).json()
    assert next(s for s in after if s["id"] == "qi.separator")["name_en"] == "Separator (renamed)"


def test_a_record_write_misses_the_stored_answer_but_reruns_no_analysis(app_client: ApiClient) -> None:
    c, h = app_client, app_client.h("viewer")
    first = c.get(f"{API}/gaps", headers=h)
    computed = int(c.app.state.cache.computed["gaps"])  # type: ignore[attr-defined]
    r = c.post(f"{API}/keys", json={"role": "viewer"}, headers=c.h("admin"))
    assert r.status_code == 201
    misses = _responses(c)["misses"]
    again = c.get(f"{API}/gaps", headers=h)
    assert _responses(c)["misses"] == misses + 1  # the store revision moved: the route answered
    assert again.content == first.content
    assert int(c.app.state.cache.computed["gaps"]) == computed  # ... from the service cache  # type: ignore[attr-defined]


def test_cache_statistics_show_every_cache_of_the_worker(sqlite_client: ApiClient) -> None:
    c = sqlite_client
    c.get(f"{API}/gaps", headers=c.h("viewer"))
    c.get(f"{API}/gaps", headers=c.h("viewer"))  # the stored answer
    c.get(f"{API}/regions", headers=c.h("viewer"))  # a route: the key from the key cache
    body = c.get(f"{API}/cache", headers=c.h("admin")).json()
    assert body["responses"]["hits"] >= 1 and body["responses"]["size"] >= 1
    assert body["keys"]["hits"] >= 1 and isinstance(body["worker_pid"], int)
    assert body["computed"]["gaps"] == 1


def test_key_cache_follows_the_api_key_revision(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = SQLiteStore(tmp_path / "k.db")
    try:
        cache = KeyCache()
        key, rec = create_key(store, role="taskforce")
        assert cache.verify(store, key)["role"] == "taskforce"  # type: ignore[index]
        assert cache.verify(store, key) is not None and cache.hits == 1
        store.put_record("project", "p1", {"name": "x"})  # another kind: the key stays cached
        assert cache.verify(store, key) is not None and cache.hits == 2
        create_key(store, role="viewer")  # any key write re-verifies
        assert cache.verify(store, key) is not None and cache.misses == 2
        revoke_key(store, rec["id"])
        assert cache.verify(store, key) is None
        assert cache.verify(store, None) is None and cache.verify(store, "") is None
        assert cache.verify(store, key[:-1] + ("A" if key[-1] != "A" else "B")) is None  # wrong secret
    finally:
        store.close()
