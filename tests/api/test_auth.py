"""API keys: 401 without a valid key, 403 for the wrong role, the role matrix, revocation,
keys never listed nor logged, and auth off (the 127.0.0.1 demo mode)."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from api.keys import ROLES, create_key, revoke_key
from tests.api.conftest import API, ApiClient, error_of

#: (method, path, request kwargs, write area, status when the role may act).  The requests are
#: chosen so an allowed role gets a harmless 4xx/200 *after* the auth check and nothing is written.
WRITES: list[tuple[str, str, dict[str, Any], str, int]] = [
    ("post", "/segments", {"json": {}}, "segments", 422),
    ("put", "/segments/qi.separator", {"json": {}}, "segments", 422),
    ("delete", "/segments/qi.ghost", {}, "segments", 404),
    ("post", "/links", {"json": {}}, "links", 422),
    ("delete", "/links", {"params": {"source": "qi.a", "target": "qi.b", "kind": "supplies"}}, "links", 404),
    ("post", "/enterprises", {"json": {}}, "enterprises", 422),
    ("put", "/enterprises/ent.ghost", {"json": {"name": "x"}}, "enterprises", 404),
    ("post", "/enterprises/import", {}, "enterprises", 422),
    ("post", "/projects", {"json": {}}, "projects", 422),
    ("patch", "/projects/prj-ghost", {"json": {"owner": "x"}}, "projects", 404),
    ("post", "/projects/prj-ghost/transitions", {"json": {}}, "projects", 422),
    ("post", "/projects/prj-ghost/followups", {"json": {}}, "projects", 422),
    ("put", "/targets", {"json": {}}, "projects", 422),
    ("get", "/keys", {}, "keys", 200),
    ("post", "/keys", {"json": {}}, "keys", 422),
    ("delete", "/keys/ghost", {}, "keys", 404),
]

#: who may write where (the contract of api/keys.py, restated independently)
MAY_WRITE = {
    "viewer": set(),
    "taskforce": {"projects", "leads", "candidates"},
    "planner": {"segments", "links", "enterprises", "chains"},
    "admin": {"segments", "links", "enterprises", "chains", "projects", "leads", "candidates", "keys"},
}

READS = [
    "/chains", "/chains/qi", "/chains/qi/segments", "/segments/qi.separator", "/links?chain=qi", "/regions",
    "/chains/qi/graph", "/enterprises", "/enterprises/ent.dayun", "/gaps?chain=qi", "/chains/qi/gaps",
    "/projects", "/kpis?year=2021", "/targets", "/projects/export?format=csv",
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "kwargs", "area", "ok"), WRITES, ids=[f"{m} {p}" for m, p, *_ in WRITES])
def test_role_matrix(sqlite_shared: ApiClient, role: str, method: str, path: str, kwargs: dict[str, Any], area: str, ok: int) -> None:
    r = sqlite_shared.request(method.upper(), API + path, headers=sqlite_shared.h(role), **kwargs)
    if area in MAY_WRITE[role]:
        assert r.status_code == ok, (role, r.status_code, r.text[:300])
    else:
        body = error_of(r, 403, "Forbidden")
        assert role in body["detail"] and body["hint"]


@pytest.mark.parametrize(("method", "path", "kwargs", "area", "ok"), WRITES, ids=[f"{m} {p}" for m, p, *_ in WRITES])
def test_writes_need_a_key(sqlite_shared: ApiClient, method: str, path: str, kwargs: dict[str, Any], area: str, ok: int) -> None:
    r = sqlite_shared.request(method.upper(), API + path, **kwargs)
    error_of(r, 401, "Unauthorized")
    assert r.headers["www-authenticate"] == "X-API-Key"


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads(sqlite_shared: ApiClient, role: str) -> None:
    for path in READS:
        r = sqlite_shared.get(API + path, headers=sqlite_shared.h(role))
        assert r.status_code == 200, (role, path, r.status_code, r.text[:200])


def test_every_operation_rejects_a_missing_key(sqlite_shared: ApiClient) -> None:
    """Each operation of the OpenAPI schema (present and future routers alike) but
    /health and /version answers 401 without a key."""
    open_paths = {f"{API}/health", f"{API}/version"}
    checked = 0
    for path, ops in sqlite_shared.app.openapi()["paths"].items():
        if path in open_paths:
            continue
        url = re.sub(r"\{[^}]+\}", "x", path)
        for method in ops:
            r = sqlite_shared.request(method.upper(), url)
            assert r.status_code == 401, (method, path, r.status_code, r.text[:200])
            checked += 1
    assert checked >= 30
    for path in open_paths:
        assert sqlite_shared.get(path).status_code == 200


@pytest.mark.parametrize(
    "bad",
    ["", "garbage", "cm_", "cm_x", "cm_nosuchid_secret", "Bearer cm_a_b"],
)
def test_invalid_keys_are_401(sqlite_shared: ApiClient, bad: str) -> None:
    body = error_of(sqlite_shared.get(f"{API}/chains", headers={"X-API-Key": bad}), 401, "Unauthorized")
    assert "X-API-Key" in body["hint"]


def test_right_id_wrong_secret_is_401(sqlite_shared: ApiClient) -> None:
    key = sqlite_shared.keys["admin"]
    cm, key_id, secret = key.split("_", 2)
    error_of(sqlite_shared.get(f"{API}/chains", headers={"X-API-Key": f"{cm}_{key_id}_{secret[::-1]}x"}), 401)
    assert sqlite_shared.get(f"{API}/chains", headers={"X-API-Key": key}).status_code == 200


def test_revoked_key_is_401_on_every_store(read_client: ApiClient) -> None:
    """Keys live in the store: create and revoke through api.keys against the app's store."""
    key, rec = create_key(read_client.store, role="planner", label="to revoke")
    assert "hash" not in rec and key not in repr(rec)
    assert read_client.get(f"{API}/chains", headers={"X-API-Key": key}).status_code == 200
    revoke_key(read_client.store, rec["id"])
    error_of(read_client.get(f"{API}/chains", headers={"X-API-Key": key}), 401, "Unauthorized")
    error_of(read_client.delete(f"{API}/segments/qi.ghost", headers={"X-API-Key": key}), 401)
    # the other keys still work; a viewer is still refused a write
    assert read_client.get(f"{API}/chains", headers=read_client.h("viewer")).status_code == 200
    error_of(read_client.delete(f"{API}/segments/qi.ghost", headers=read_client.h("viewer")), 403, "Forbidden")
    error_of(read_client.delete(f"{API}/segments/qi.ghost", headers=read_client.h("planner")), 404, "NotFound")


def test_revocation_through_the_api(sqlite_client: ApiClient) -> None:
    c = sqlite_client
    created = c.post(f"{API}/keys", json={"role": "admin"}, headers=c.h("admin")).json()
    assert c.get(f"{API}/keys", headers={"X-API-Key": created["key"]}).status_code == 200
    # a key cannot revoke itself (issue 17: 409); another admin key can
    error_of(c.delete(f"{API}/keys/{created['id']}", headers={"X-API-Key": created["key"]}), 409, "Conflict")
    assert c.delete(f"{API}/keys/{created['id']}", headers=c.h("admin")).status_code == 204
    error_of(c.get(f"{API}/keys", headers={"X-API-Key": created["key"]}), 401)  # revoked
    assert c.get(f"{API}/keys", headers=c.h("admin")).status_code == 200


def test_keys_are_never_listed(sqlite_shared: ApiClient) -> None:
    r = sqlite_shared.get(f"{API}/keys", headers=sqlite_shared.h("admin"))
    assert r.status_code == 200
    assert len(r.json()) >= len(ROLES)
    for row in r.json():
        assert set(row) == {"id", "role", "label", "created", "revoked"}
    for key in sqlite_shared.keys.values():
        assert key not in r.text and key.split("_", 2)[2] not in r.text
    assert "hash" not in r.text


def test_keys_are_never_logged(sqlite_client: ApiClient, caplog: pytest.LogCaptureFixture) -> None:
    c = sqlite_client
    caplog.set_level(logging.DEBUG)
    new = c.post(f"{API}/keys", json={"role": "viewer", "label": "log test"}, headers=c.h("admin"))
    assert new.status_code == 201
    secrets = [*c.keys.values(), new.json()["key"]]
    c.get(f"{API}/chains", headers={"X-API-Key": new.json()["key"]})
    for role in ROLES:
        h = c.h(role)
        c.get(f"{API}/gaps", params={"chain": "qi"}, headers=h)
        c.post(f"{API}/segments", json={"id": "qi.x"}, headers=h)  # 403 or 422
        c.get(f"{API}/segments/qi.ghost", headers=h)  # 404
        c.delete(f"{API}/keys/{new.json()['id']}", headers=h)  # 403 ... then 204 for admin
    r = c.get(f"{API}/chains", headers={"X-API-Key": new.json()["key"]})  # revoked now
    assert r.status_code == 401
    c.get(f"{API}/chains", headers={"X-API-Key": c.keys["viewer"] + "tampered"})
    assert caplog.records, "expected some log records (httpx logs each request)"
    logged = caplog.text + "\n".join(str(rec.__dict__) for rec in caplog.records)
    for key in secrets:
        assert key not in logged
        assert key.split("_", 2)[2] not in logged


def test_auth_off_needs_no_key(open_client: ApiClient) -> None:
    c = open_client
    assert c.get(f"{API}/keys").status_code == 200
    assert c.get(f"{API}/chains", headers={"X-API-Key": "garbage"}).status_code == 200
    r = c.post(f"{API}/segments", json={})  # reaches validation: not 401/403
    assert error_of(r, 422, "InvalidInput")["errors"][0]["field"] == "id"
    error_of(c.delete(f"{API}/segments/qi.ghost"), 404, "NotFound")
    for path in READS:
        assert c.get(API + path).status_code == 200, path


def test_leads_and_candidates_writes_belong_to_the_taskforce(sqlite_shared: ApiClient) -> None:
    """Every non-GET operation under /leads or /candidates: taskforce and admin pass the role
    check, viewer and planner get 403."""
    ops = [
        (m, p) for p, methods in sqlite_shared.app.openapi()["paths"].items()
        if p.startswith((f"{API}/leads", f"{API}/candidates")) for m in methods if m != "get"
    ]
    assert ops, "the candidates import route must exist"
    for method, path in ops:
        url = re.sub(r"\{[^}]+\}", "x", path)
        for role in ("viewer", "planner"):
            error_of(sqlite_shared.request(method.upper(), url, headers=sqlite_shared.h(role)), 403, "Forbidden")
        for role in ("taskforce", "admin"):
            r = sqlite_shared.request(method.upper(), url, headers=sqlite_shared.h(role))
            assert r.status_code not in (401, 403), (role, method, path, r.status_code)
