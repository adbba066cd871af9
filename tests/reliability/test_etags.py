"""ETag / If-Match on every single resource, on every store.

Segment, link, enterprise, project, target and key: the GET carries a strong ETag (the
stored object's content hash, ``api/etags.py``); a write with a stale If-Match gets 412
PreconditionFailed with the current ETag and leaves the object unchanged; a matching one
(or ``*``) proceeds and answers the new ETag, which is the ETag of the next GET; no
If-Match behaves as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.conftest import (  # noqa: F401 - seeded_sqlite is a fixture
    API,
    BACKENDS,
    ApiClient,
    _Factory,
    error_of,
    seeded_sqlite,
)

ETAG = re.compile(r'^"[0-9a-f]{20}"$')


@pytest.fixture(scope="module", params=BACKENDS)
def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, seeded_sqlite: Any  # noqa: F811
) -> Iterator[ApiClient]:
    """One seeded app per backend (auth on, a key per role); each test edits its own objects."""
    factory = _Factory(request, tmp_path_factory.mktemp("etags"), seeded_sqlite)
    try:
        yield factory(request.param)
    finally:
        factory.close()


def tag_of(r: Any, status: int = 200) -> str:
    assert r.status_code == status, r.text[:500]
    tag = r.headers.get("etag")
    assert tag and ETAG.match(tag), r.headers
    return str(tag)


def refused(r: Any, current: str | None) -> None:
    """412 PreconditionFailed, the usual error body, Chinese hint first, the current ETag."""
    body = error_of(r, 412, "PreconditionFailed")
    assert body["hint"].startswith("已被他人修改"), body
    assert "modified by someone else" in body["hint"]
    assert r.headers.get("etag") == current


def test_segment(client: ApiClient) -> None:
    h = client.h("planner")
    url = f"{API}/segments/qi.separator"
    r = client.get(url, headers=h)
    first, seg = tag_of(r), r.json()
    assert tag_of(client.get(url, headers=h)) == first  # stable while unchanged
    r = client.put(url, json=seg | {"description": "甲"}, headers=h | {"If-Match": first})
    second = tag_of(r)
    assert second != first and tag_of(client.get(url, headers=h)) == second
    stored = client.get(url, headers=h).json()
    for stale in (first, f"W/{second}", '"0000"', f'"nope", {first}'):  # weak tags never match (strong comparison)
        refused(client.put(url, json=seg | {"description": "乙"}, headers=h | {"If-Match": stale}), second)
        refused(client.delete(url, headers=h | {"If-Match": stale}), second)
    assert client.get(url, headers=h).json() == stored and tag_of(client.get(url, headers=h)) == second
    r = client.put(url, json=seg | {"description": "丙"}, headers=h | {"If-Match": f'"x", {second}'})  # one of a list
    third = tag_of(r)
    r = client.put(url, json=seg | {"description": "丁"}, headers=h | {"If-Match": "*"})
    assert tag_of(r) != third and r.json()["description"] == "丁"
    r = client.put(url, json=seg | {"description": "戊"}, headers=h)  # no If-Match: unconditional, as before
    assert r.status_code == 200 and r.json()["description"] == "戊"
    # delete: stale refused, current accepted
    new = {**seg, "id": "qi.etag_probe", "parent": None, "description": ""}
    tag = tag_of(client.post(f"{API}/segments", json=new, headers=h), 201)
    assert tag == tag_of(client.get(f"{API}/segments/qi.etag_probe", headers=h))
    changed = tag_of(client.put(f"{API}/segments/qi.etag_probe", json=new | {"order": 3}, headers=h))
    refused(client.delete(f"{API}/segments/qi.etag_probe", headers=h | {"If-Match": tag}), changed)
    assert client.get(f"{API}/segments/qi.etag_probe", headers=h).status_code == 200
    assert client.delete(f"{API}/segments/qi.etag_probe", headers=h | {"If-Match": changed}).status_code == 204
    assert client.get(f"{API}/segments/qi.etag_probe", headers=h).status_code == 404
    # a condition on a missing segment: 404 as without one
    error_of(client.put(f"{API}/segments/qi.none", json=new | {"id": "qi.none"}, headers=h | {"If-Match": "*"}), 404)


def test_link(client: ApiClient) -> None:
    h = client.h("planner")
    link = client.get(f"{API}/links", params={"chain": "qi"}, headers=h).json()[0]
    url = f"{API}/links/{link['source']}/{link['target']}/{link['kind']}"
    r = client.get(url, headers=h)
    first = tag_of(r)
    assert r.json() == link
    r = client.post(f"{API}/links", json=link | {"note": "甲"}, headers=h | {"If-Match": first})
    second = tag_of(r, 201)
    assert second != first and tag_of(client.get(url, headers=h)) == second
    refused(client.post(f"{API}/links", json=link | {"note": "乙"}, headers=h | {"If-Match": first}), second)
    params = {"source": link["source"], "target": link["target"], "kind": link["kind"]}
    refused(client.delete(f"{API}/links", params=params, headers=h | {"If-Match": first}), second)
    assert client.get(url, headers=h).json() == link | {"note": "甲"}
    # a new link with an expected version (even '*') does not exist yet: 412, nothing created
    absent = {"source": link["target"], "target": link["source"], "kind": "enables"}
    refused(client.post(f"{API}/links", json=absent, headers=h | {"If-Match": "*"}), None)
    error_of(client.get(f"{API}/links/{absent['source']}/{absent['target']}/enables", headers=h), 404)
    assert client.delete(f"{API}/links", params=params, headers=h | {"If-Match": second}).status_code == 204
    error_of(client.get(url, headers=h), 404)
    error_of(client.get(f"{API}/links/{link['source']}/{link['target']}/bogus", headers=h), 422)


def test_enterprise(client: ApiClient) -> None:
    h = client.h("planner")
    ent = client.get(f"{API}/enterprises", params={"page_size": 1}, headers=h).json()["items"][0]
    url = f"{API}/enterprises/{ent['id']}"
    first = tag_of(client.get(url, headers=h))
    second = tag_of(client.put(url, json=ent | {"note": "甲"}, headers=h | {"If-Match": first}))
    assert second != first and tag_of(client.get(url, headers=h)) == second
    refused(client.put(url, json=ent | {"note": "乙"}, headers=h | {"If-Match": first}), second)
    assert client.get(url, headers=h).json()["note"] == "甲"
    assert client.put(url, json=ent | {"note": "丙"}, headers=h).json()["note"] == "丙"  # unconditional


def test_project_update_and_transition(client: ApiClient) -> None:
    h = client.h("taskforce")
    body = {"id": "p-etag", "enterprise": {"name": "乐观并发测试有限公司"}, "task_force": "镁产业招商专班",
            "task_force_kind": "special_team", "owner": "张三", "created": "2024-01-02"}
    created = tag_of(client.post(f"{API}/projects", json=body, headers=h), 201)
    url = f"{API}/projects/p-etag"
    assert tag_of(client.get(url, headers=h)) == created
    second = tag_of(client.patch(url, json={"title": "甲"}, headers=h | {"If-Match": created}))
    assert tag_of(client.get(url, headers=h)) == second
    refused(client.patch(url, json={"title": "乙"}, headers=h | {"If-Match": created}), second)
    move = {"to": "contacted", "date": "2024-02-01", "actor": "张三"}
    refused(client.post(f"{url}/transitions", json=move, headers=h | {"If-Match": created}), second)
    stored = client.get(url, headers=h).json()
    assert stored["title"] == "甲" and stored["stage"] == "lead" and stored["transitions"] == []
    third = tag_of(client.post(f"{url}/transitions", json=move, headers=h | {"If-Match": second}))
    assert third != second and tag_of(client.get(url, headers=h)) == third
    assert client.get(url, headers=h).json()["stage"] == "contacted"


def test_target(client: ApiClient) -> None:
    h = client.h("taskforce")
    first = tag_of(client.put(f"{API}/targets", json={"year": 2031, "signed_count": 3}, headers=h))
    url = f"{API}/targets/2031.city"
    assert tag_of(client.get(url, headers=h)) == first
    second = tag_of(client.put(f"{API}/targets", json={"year": 2031, "signed_count": 4}, headers=h | {"If-Match": first}))
    refused(client.put(f"{API}/targets", json={"year": 2031, "signed_count": 5}, headers=h | {"If-Match": first}), second)
    assert client.get(url, headers=h).json()["signed_count"] == 4 and tag_of(client.get(url, headers=h)) == second
    refused(client.put(f"{API}/targets", json={"year": 2032, "signed_count": 1}, headers=h | {"If-Match": "*"}), None)
    error_of(client.get(f"{API}/targets/2032.city", headers=h), 404)


def test_key(client: ApiClient) -> None:
    h = client.h("admin")
    made = client.post(f"{API}/keys", json={"role": "viewer", "label": "etag"}, headers=h).json()
    url = f"{API}/keys/{made['id']}"
    r = client.get(url, headers=h)
    first = tag_of(r)
    assert r.json()["role"] == "viewer" and "hash" not in r.json() and "key" not in r.json()
    assert client.delete(url, headers=h).status_code == 204
    r = client.get(url, headers=h)
    assert tag_of(r) != first and r.json()["revoked"]
    error_of(client.get(f"{API}/keys/nope", headers=h), 404)
    error_of(client.get(url, headers=client.h("planner")), 403)


def test_openapi_documents_if_match_and_412(client: ApiClient) -> None:
    paths = client.app.openapi()["paths"]
    conditional = [
        ("/api/v1/segments/{segment_id}", "put"), ("/api/v1/segments/{segment_id}", "delete"),
        ("/api/v1/links", "post"), ("/api/v1/links", "delete"), ("/api/v1/enterprises/{enterprise_id}", "put"),
        ("/api/v1/projects/{project_id}", "patch"), ("/api/v1/projects/{project_id}/transitions", "post"),
        ("/api/v1/targets", "put"),
    ]
    for path, method in conditional:
        op = paths[path][method]
        assert "412" in op["responses"], (path, method)
        assert any(p["in"] == "header" and p["name"].lower() == "if-match" for p in op.get("parameters", [])), (path, method)
    for path in ("/api/v1/links/{source}/{target}/{kind}", "/api/v1/targets/{target_id}", "/api/v1/keys/{key_id}"):
        assert "get" in paths[path]
