"""The error contract: every error is JSON {error, detail, hint} with the right status, never a
stack trace -- 404, 405, 409, 413, 422, 500 and 503 (an unusable SQLite file; Neo4j down is in
test_neo4j_api.py)."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from tests.api.conftest import API, ApiClient, error_of


def test_unknown_route_is_404_json(open_client: ApiClient) -> None:
    body = error_of(open_client.get(f"{API}/no-such-thing"), 404, "NotFound")
    assert body["hint"] == "资源不存在 / not found"


def test_wrong_method_is_405_json(open_client: ApiClient) -> None:
    r = open_client.put(f"{API}/chains")
    body = error_of(r, 405, "MethodNotAllowed")
    assert body["hint"]
    assert "GET" in r.headers["allow"]


def test_domain_not_found_names_the_object(open_client: ApiClient) -> None:
    body = error_of(open_client.get(f"{API}/segments/qi.ghost"), 404, "NotFound")
    assert body["detail"] == "segment 'qi.ghost' not found"


def test_validation_error_lists_every_problem(open_client: ApiClient) -> None:
    r = open_client.post(f"{API}/segments", json={"id": "qi.x", "stage": "sideways", "value_added": 9})
    body = error_of(r, 422, "InvalidInput")
    fields = {e["field"] for e in body["errors"]}
    assert {"chain", "name_zh", "stage", "value_added"} <= fields  # name_en is optional (issue 18)
    assert all(set(e) == {"field", "reason", "value"} for e in body["errors"])
    stage = next(e for e in body["errors"] if e["field"] == "stage")
    assert stage["value"] == "sideways"
    assert body["detail"].startswith(f"{body['errors'][0]['field']}: ")
    assert body["hint"]


def test_query_validation_names_the_parameter(open_client: ApiClient) -> None:
    body = error_of(open_client.get(f"{API}/enterprises", params={"page": "abc"}), 422, "InvalidInput")
    assert body["errors"][0]["field"] == "query.page" and body["errors"][0]["value"] == "abc"
    body = error_of(open_client.get(f"{API}/enterprises", params={"name": "x" * 101}), 422)
    assert body["errors"][0]["field"] == "query.name"
    assert len(body["errors"][0]["value"]) <= 200  # echoed values are truncated


def test_malformed_json_body_names_the_body(open_client: ApiClient) -> None:
    r = open_client.post(f"{API}/segments", content=b"{not json", headers={"content-type": "application/json"})
    body = error_of(r, 422, "InvalidInput")
    assert body["errors"][0]["field"] == "body" and "JSON" in body["errors"][0]["reason"]
    r = open_client.post(f"{API}/segments", json=[1, 2])
    assert error_of(r, 422)["errors"][0]["field"] == "body"


def test_unparseable_body_is_400_json(open_client: ApiClient) -> None:
    r = open_client.post(f"{API}/links", content=b"\xff\xfe{", headers={"content-type": "application/json"})
    body = error_of(r, 400, "BadRequest")
    assert "UTF-8" in body["hint"]


def test_errors_are_documented_in_openapi(open_client: ApiClient) -> None:
    doc = open_client.get("/openapi.json").json()
    responses = doc["paths"][f"{API}/segments/{{segment_id}}"]["delete"]["responses"]
    assert {"401", "403", "404", "409", "422", "503"} <= set(responses)
    assert responses["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert set(doc["components"]["schemas"]["ErrorBody"]["required"]) == {"error", "detail"}


def test_conflict_is_409_with_a_hint(sqlite_client: ApiClient) -> None:
    c = sqlite_client
    body = error_of(c.delete(f"{API}/segments/qi.separator", headers=c.h("planner")), 409, "Conflict")
    assert "qi.separator" in body["detail"] and "cascade" in body["hint"]
    assert c.get(f"{API}/segments/qi.separator", headers=c.h("viewer")).status_code == 200


def test_oversized_upload_is_413_and_writes_nothing(make_client) -> None:  # type: ignore[no-untyped-def]
    c = make_client("sqlite", chainmap_max_upload_mb=0.001)  # 1048 bytes
    h = c.h("planner")
    before = c.get(f"{API}/enterprises", params={"page_size": 1}, headers=h).json()["total"]
    rows = "".join(f"超限企业{i}有限公司,yongji,qi.separator\n" for i in range(60))
    big = ("name,county,segments\n" + rows).encode()
    assert len(big) > 1048
    r = c.post(f"{API}/enterprises/import", files={"file": ("big.csv", big, "text/csv")}, headers=h)
    body = error_of(r, 413, "PayloadTooLarge")
    assert body["field"] == "file" and "CHAINMAP_MAX_UPLOAD_MB" in body["hint"]
    assert c.get(f"{API}/enterprises", params={"page_size": 1}, headers=h).json()["total"] == before
    small = "name,county,segments\n小企业有限公司,yongji,qi.separator\n".encode()
    ok = c.post(f"{API}/enterprises/import", files={"file": ("small.csv", small, "text/csv")}, headers=h)
    assert ok.status_code == 200 and ok.json()["imported"] == 1


def test_unexpected_error_is_500_without_a_trace(make_client, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    c = make_client("sqlite", auth=False, keys=False)

    def boom() -> None:
        raise RuntimeError("secret internals")

    c.app.add_api_route(f"{API}/boom-test", boom)  # type: ignore[attr-defined]
    with TestClient(c.app, raise_server_exceptions=False) as raw:
        caplog.set_level(logging.ERROR, logger="chainmap.api")
        r = raw.get(f"{API}/boom-test")
    body = error_of(r, 500, "InternalError")
    assert body["detail"] == "服务器内部错误 / internal error" and body["hint"]
    assert "secret internals" not in r.text and "RuntimeError" not in r.text
    assert any("boom-test" in rec.getMessage() for rec in caplog.records)  # logged for the operator


def test_unusable_sqlite_file_is_503_and_health_degraded(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "missing-dir" / "chainmap.db"
    app = create_app(Settings(chainmap_store="sqlite", chainmap_sqlite_path=str(path), chainmap_auth=True))
    with TestClient(app) as c:  # the server starts anyway
        error_of(c.get(f"{API}/chains"), 401, "Unauthorized")  # the key is checked before the store is opened
        body = error_of(c.get(f"{API}/gaps", headers={"X-API-Key": "cm_a_b"}), 503, "StorageUnavailable")
        assert str(path.parent) not in body["detail"] + (body["hint"] or "")  # the path is only logged (issue 17)
        h = c.get(f"{API}/health")
        assert h.status_code == 503 and h.json() == {"status": "degraded"}  # anonymous: the status only
        path.parent.mkdir()  # fixed: the next request opens (and seeds) the store
        assert c.get(f"{API}/health").status_code == 200
        error_of(c.get(f"{API}/chains"), 401, "Unauthorized")
