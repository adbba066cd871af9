"""The review routes through a real uvicorn server (httpx over TCP), on SQLite and Neo4j."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from api.keys import create_key
from api.main import create_app
from api.settings import Settings
from chainmap.seed import load_into_store
from chainmap.storage.sqlite import SQLiteStore
from tests.review.conftest import tiny_data

API = "/api/v1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    db = tmp_path / "api.db"
    if request.param == "sqlite":
        s = SQLiteStore(db)
        load_into_store(s, tiny_data())
        s.close()
        uri = "bolt://127.0.0.1:1"
    else:
        neo = request.getfixturevalue("neo4j_store")  # emptied; the app connects to the same server
        load_into_store(neo, tiny_data())
        uri = request.getfixturevalue("neo4j_uri")
    settings = Settings(chainmap_store=request.param, chainmap_sqlite_path=str(db), neo4j_uri=uri, chainmap_auth=True)
    app = create_app(settings)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    store = app.state.holder.get()
    keys = {role: create_key(store, role=role)[0] for role in ("viewer", "taskforce", "planner")}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}{API}", timeout=30) as client:
            yield client, keys
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def test_review_queue_decisions_and_absences_over_http(server: tuple[httpx.Client, dict[str, str]]) -> None:
    client, keys = server
    viewer, planner = {"X-API-Key": keys["viewer"]}, {"X-API-Key": keys["planner"]}
    assert client.get("/review").status_code == 401
    r = client.get("/review", headers=viewer, params={"region": "wenxi"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [x["id"] for x in body["items"]] == ["ent.a|qi.cell", "ent.b|qi.pack"]
    assert body["total"] == 2 and body["counts"] == {"low_confidence": 1, "conflict": 1, "unassigned": 0}
    tag_a = body["items"][0]["etag"]
    r = client.get("/review", headers=viewer, params={"reason": "unassigned", "lang": "en"})
    assert [x["reason_label"] for x in r.json()["items"]] == ["no segment assigned"]
    assert client.get("/review", headers=viewer, params={"reason": "odd"}).status_code == 422
    assert client.get("/review", headers=viewer, params={"region": "nowhere"}).status_code == 404

    gaps = client.get("/gaps", headers=viewer, params={"region": "wenxi"}).json()
    assert gaps["pending_assignments"] == 2 and gaps["coverage"]["qi"]["text"].startswith("闻喜县：本地企业名录未导入")
    graph = client.get("/chains/qi/graph", headers=viewer, params={"region": "hejin"}).json()
    assert graph["graph"]["coverage"]["verified"] == 1
    assert {n["id"]: n["presence_state"] for n in graph["nodes"]}["qi.sep"] == "present"

    one = [{"enterprise": "ent.a", "segment": "qi.cell", "action": "accept"}]
    for role in ("viewer", "taskforce"):
        assert client.post("/review/decisions", headers={"X-API-Key": keys[role]}, json=one).status_code == 403
    r = client.post("/review/decisions", headers={**planner, "If-Match": '"0000"'}, json=one)
    assert r.status_code == 412 and r.headers["etag"] == tag_a
    r = client.post("/review/decisions", headers=planner, json=[{"enterprise": "ent.a", "action": "approve"}])
    assert r.status_code == 422
    r = client.post("/review/decisions", headers=planner, json=[{"enterprise": "nobody", "action": "reject"}])
    assert r.status_code == 404 and "nobody" in r.text
    assert client.post("/review/decisions", headers=planner, json=[]).status_code == 422
    r = client.post(
        "/review/decisions", headers=planner,
        json=[{**one[0], "if_match": tag_a}, {"enterprise": "ent.b", "segment": "qi.pack", "action": "set", "to_segment": "qi.cell"},
              {"enterprise": "丙贸易", "action": "reject", "note": "贸易企业"}],
    )  # fmt: skip
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["count"] == 3 and {d["by"] for d in out["decisions"]} == {out["decisions"][0]["by"]}
    assert out["decisions"][0]["by"].startswith("key:")
    assert client.get("/review", headers=viewer).json()["total"] == 0
    ent = client.get("/enterprises/ent.b", headers=viewer).json()
    assert [(p["segment"], p["method"], p["status"]) for p in ent["segments"]] == [("qi.cell", "planner", "confirmed")]

    gaps = client.get("/gaps", headers=viewer, params={"region": "hejin"}).json()
    car = next(i for i in gaps["items"] if i["segment_id"] == "qi.car")
    assert car["status"] == "unverified" and car["absence_basis"] == "no_register"
    r = client.post("/review/absences", headers=viewer, json={"region": "hejin", "segment": "qi.car"})
    assert r.status_code == 403
    r = client.post("/review/absences", headers=planner, json={"region": "hejin", "segment": "qi.car", "note": "走访"})
    assert r.status_code == 201 and r.json()["id"] == "hejin--qi.car"
    r = client.post("/review/absences", headers=planner, json={"region": "wenxi", "segment": "qi.car"})
    assert r.status_code == 422 and "cannot be confirmed absent" in r.text
    assert [a["segment"] for a in client.get("/review/absences", headers=viewer, params={"region": "hejin"}).json()] == ["qi.car"]
    gaps = client.get("/gaps", headers=viewer, params={"region": "hejin"}).json()
    car = next(i for i in gaps["items"] if i["segment_id"] == "qi.car")
    assert car["status"] != "unverified" and car["absence_basis"] == "planner"
    assert client.delete("/review/absences/hejin/qi.car", headers=planner).status_code == 204
    assert client.delete("/review/absences/hejin/qi.car", headers=planner).status_code == 404
    gaps = client.get("/gaps", headers=viewer, params={"region": "hejin"}).json()
    assert next(i for i in gaps["items"] if i["segment_id"] == "qi.car")["status"] == "unverified"
