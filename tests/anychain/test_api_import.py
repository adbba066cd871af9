"""POST /chains/import over real HTTP: a uvicorn server on a real store (SQLite file, Neo4j), httpx."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from api.keys import create_key
from api.main import create_app
from api.settings import Settings
from tests.anychain.conftest import EXAMPLE, LANDMARK

API = "/api/v1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """uvicorn serving the app (auth on, the shipped seed) on a free port; one key per role."""
    if request.param == "neo4j":
        request.getfixturevalue("neo4j_store")  # empties the server (or skips / fails when it is absent)
    settings = Settings(
        chainmap_store=request.param, chainmap_sqlite_path=str(tmp_path / "api.db"),
        neo4j_uri=os.environ.get("NEO4J_URI") or "bolt://127.0.0.1:7687", chainmap_auth=True, chainmap_init_seed=True,
    )  # fmt: skip
    app = create_app(settings)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not srv.started:
        assert thread.is_alive(), "uvicorn exited before it started"
        assert time.monotonic() < deadline, "uvicorn did not start within 60 s"
        time.sleep(0.05)
    store = app.state.holder.get()
    keys = {role: create_key(store, role=role, label=f"t {role}")[0] for role in ("viewer", "planner")}
    try:
        yield f"http://127.0.0.1:{port}", keys
    finally:
        srv.should_exit = True
        thread.join(timeout=20)


def _form(**extra: Any) -> dict[str, Any]:
    return {"chain_id": "fruit", "name_zh": "果品及精深加工", "name_en": "Fruit and fruit processing", **extra}


def _files(links: bytes | None = None) -> dict[str, tuple[str, bytes, str]]:
    return {
        "file": ("links.csv", links if links is not None else (EXAMPLE / "links.csv").read_bytes(), "text/csv"),
        "enterprises": ("enterprises.csv", (EXAMPLE / "enterprises.csv").read_bytes(), "text/csv"),
    }


def test_import_over_http(server: tuple[str, dict[str, str]]) -> None:
    base, keys = server
    planner, viewer = {"X-API-Key": keys["planner"]}, {"X-API-Key": keys["viewer"]}
    with httpx.Client(base_url=base + API, timeout=120) as c:
        gaps_before = {ch: c.get(f"/chains/{ch}/gaps", headers=viewer).text for ch in LANDMARK}
        assert all(c.get(f"/chains/{ch}/gaps", headers=viewer).status_code == 200 for ch in LANDMARK)

        r = c.post("/chains/import", data=_form(), files=_files(), headers=viewer)
        assert r.status_code == 403, r.text

        bad = (EXAMPLE / "links.csv").read_bytes() + "浓缩果汁,果汁饮料,买卖,,,http://x\n".encode()
        r = c.post("/chains/import", data=_form(), files=_files(bad), headers=planner)
        assert r.status_code == 422, r.text
        body = r.json()
        assert body["error"] == "InvalidInput" and body["file"] == "links.csv"
        assert body["errors"] == [{"row": 18, "column": "kind", "value": "买卖", "reason": body["errors"][0]["reason"]}]
        assert "valid: enables, part_of, supplies" in body["errors"][0]["reason"]

        r = c.post("/chains/import", data=_form(dry_run="true"), files=_files(), headers=planner)
        assert r.status_code == 200 and r.json()["dry_run"] is True and r.json()["enterprises"] == 4
        assert "fruit" not in {x["id"] for x in c.get("/chains", headers=viewer).json()}

        r = c.post("/chains/import", data=_form(), files=_files(), headers=planner)
        assert r.status_code == 201, r.text
        s = r.json()
        assert (s["chain"], s["segments"], s["links"], s["enterprises"]) == ("fruit", 13, 16, 4)

        r = c.post("/chains/import", data=_form(), files=_files(), headers=planner)
        assert r.status_code == 409 and "already exists" in r.json()["detail"]

        chains = {x["id"]: x for x in c.get("/chains", headers=viewer).json()}
        assert chains["fruit"]["segments"] == 13 and chains["fruit"]["enterprises"] == 4
        assert chains["fruit"]["letter"] is None
        gaps = c.get("/chains/fruit/gaps", headers=viewer).json()
        assert gaps["summary"]["fruit"]["total"] == 13
        en = c.get("/chains/fruit/gaps", params={"lang": "en"}, headers=viewer).json()
        assert any(i["segment_name"] == "浓缩果汁（zh）" for i in en["items"])
        assert {ch: c.get(f"/chains/{ch}/gaps", headers=viewer).text for ch in LANDMARK} == gaps_before
