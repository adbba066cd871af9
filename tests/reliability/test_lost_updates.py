"""No lost updates: concurrent read-modify-write through a real HTTP server, on every store.

A real uvicorn server (in a thread, on a loopback port) serves the app on SQLite or on the
Neo4j at NEO4J_URI; clients are httpx over TCP.  Issue 17 measured, before ETags: 8 threads
x 50 GET+PUT increments of one segment lost 317 of 400 updates on SQLite, 334 on Neo4j.
With ``If-Match`` (retry on 412) none may be lost: 8 threads x 25 increments (200 contended
read-modify-writes; a client without If-Match loses about four in five of them), with at least
one 412 retried, so the writers did overlap.

``lost_updates(...)`` is also the measuring tool: ``python -m pytest ... -k naive -s``
prints how many a client without If-Match loses (informational, not asserted).
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from api.keys import create_key
from api.main import create_app
from api.settings import Settings
from tests.api.conftest import _NEO4J_GENERATION, API, neo4j_test_uri, seeded_sqlite  # noqa: F401 - fixture

BACKENDS = ["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)]
THREADS, ROUNDS = 8, 25
SEGMENT = "qi.separator"


@dataclass
class Live:
    base: str
    headers: dict[str, str]
    backend: str

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base + API, headers=self.headers, timeout=60)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=BACKENDS)
def live(request: pytest.FixtureRequest, tmp_path: Path, seeded_sqlite: Path) -> Iterator[Live]:  # noqa: F811
    """uvicorn serving the seeded app (auth on) on one backend; an admin key in ``headers``."""
    backend = request.param
    db = tmp_path / "chainmap.db"
    if backend == "sqlite":
        shutil.copyfile(seeded_sqlite, db)
    else:
        store = request.getfixturevalue("_neo4j_session_store")
        if isinstance(store, str):
            request.getfixturevalue("neo4j_missing")(store)
        store.clear()  # the app loads the seed into the empty database
        _NEO4J_GENERATION["n"] += 1  # tell the API suite's shared Neo4j apps their data is gone
    settings = Settings(
        chainmap_store=backend, chainmap_sqlite_path=str(db), neo4j_uri=neo4j_test_uri(),
        chainmap_auth=True, chainmap_init_seed=True,
    )
    app = create_app(settings)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert thread.is_alive(), "uvicorn exited before it started"
        assert time.monotonic() < deadline, "uvicorn did not start within 120 s"
        time.sleep(0.05)
    try:
        key, _ = create_key(app.state.holder.get(), role="admin")
        yield Live(f"http://127.0.0.1:{port}", {"X-API-Key": key}, backend)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _threads(n: int, work: Any) -> list[BaseException]:
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            work(i)
        except BaseException as err:  # reported by the test
            errors.append(err)

    pool = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=900)
    return errors


def lost_updates(live: Live, *, if_match: bool, threads: int = THREADS, rounds: int = ROUNDS) -> tuple[int, int]:
    """``threads`` x ``rounds`` increments of the segment's ``order`` by GET + PUT;
    returns ``(lost updates, 412 refusals)``.  With ``if_match`` a 412 means re-read and retry."""
    with live.client() as c:
        start = c.get(f"/segments/{SEGMENT}").json()["order"]
    refused = [0] * threads

    def work(i: int) -> None:
        with live.client() as c:
            for _ in range(rounds):
                while True:
                    r = c.get(f"/segments/{SEGMENT}")
                    assert r.status_code == 200, r.text
                    tag = r.headers["ETag"]
                    seg = r.json() | {"order": r.json()["order"] + 1}
                    r = c.put(f"/segments/{SEGMENT}", json=seg, headers={"If-Match": tag} if if_match else {})
                    if r.status_code == 200:
                        assert not if_match or r.headers["ETag"] != tag  # the version this PUT wrote
                        break
                    assert r.status_code == 412, r.text
                    assert r.json()["error"] == "PreconditionFailed" and r.headers["ETag"] != tag
                    refused[i] += 1

    assert _threads(threads, work) == []
    with live.client() as c:
        final = c.get(f"/segments/{SEGMENT}").json()["order"]
    return start + threads * rounds - final, sum(refused)


@pytest.mark.slow
def test_if_match_read_modify_write_loses_no_update(live: Live) -> None:
    lost, refused = lost_updates(live, if_match=True)
    print(f"\n{live.backend}: {THREADS} x {ROUNDS} increments with If-Match: {lost} lost, {refused} x 412 retried")
    assert lost == 0
    assert refused > 0, "no write was refused: the writers never overlapped, so nothing was shown"


def test_naive_read_modify_write_still_proceeds(live: Live) -> None:
    """Without If-Match a write proceeds as before (backwards compatible), stale or not;
    this measures what such a client loses (printed, not asserted)."""
    lost, refused = lost_updates(live, if_match=False, rounds=10)
    print(f"\n{live.backend}: {THREADS} x 10 increments without If-Match: {lost} of {THREADS * 10} lost")
    assert refused == 0 and lost >= 0


def test_writers_holding_one_etag_one_wins(live: Live) -> None:
    """Eight planners read the same version, then all PUT at once: exactly one 200, seven 412."""
    with live.client() as c:
        r = c.get(f"/segments/{SEGMENT}")
        tag, seg = r.headers["ETag"], r.json()
    barrier = threading.Barrier(THREADS)
    codes: list[int] = []

    def work(i: int) -> None:
        with live.client() as c:
            barrier.wait(timeout=60)
            r = c.put(f"/segments/{SEGMENT}", json=seg | {"description": f"planner {i}"}, headers={"If-Match": tag})
            codes.append(r.status_code)

    assert _threads(THREADS, work) == []
    assert sorted(codes) == [200] + [412] * (THREADS - 1)
    with live.client() as c:
        assert c.get(f"/segments/{SEGMENT}").json()["description"].startswith("planner ")


def test_concurrent_patches_without_if_match_keep_every_field(live: Live) -> None:
    """The API's own read-modify-write (PATCH merges the changes into the stored project) is
    atomic in the store: eight clients each patching another field at once all survive."""
    fields = ["title", "owner", "gap_status", "county", "planned_investment", "funds_in_place_fixed",
              "funds_in_place_non_fixed", "new_fixed_asset_started"]
    values: dict[str, Any] = {"title": "并发标题", "owner": "王五", "gap_status": "fill", "county": "yongji"}
    with live.client() as c:
        r = c.post("/projects", json={"id": "p-rmw", "enterprise": {"name": "并发测试镁业有限公司"},
                                      "task_force": "镁产业招商专班", "task_force_kind": "special_team", "owner": "张三"})
        assert r.status_code == 201, r.text
    barrier = threading.Barrier(len(fields))

    def work(i: int) -> None:
        name = fields[i]
        with live.client() as c:
            barrier.wait(timeout=60)
            for n in range(5):
                r = c.patch("/projects/p-rmw", json={name: values.get(name, str(10 + n))})
                assert r.status_code == 200, r.text

    assert _threads(len(fields), work) == []
    with live.client() as c:
        project = c.get("/projects/p-rmw").json()
    for name in fields:
        expected = values.get(name, "14")
        got = project[name]
        assert str(got) == expected or (isinstance(got, int | float) and float(got) == float(expected)), (name, got)
