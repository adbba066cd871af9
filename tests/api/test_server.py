"""A real uvicorn server answers over TCP; the ``chainmap serve`` / ``chainmap keys`` commands."""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli_app
from api.keys import create_key
from api.main import create_app
from api.settings import Settings
from chainmap.storage.sqlite import SQLiteStore
from tests.api.conftest import API


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(tmp_path: Path, seeded_sqlite: Path) -> Iterator[tuple[str, object]]:
    """uvicorn serving the app (auth on, seeded SQLite) in a thread on a free 127.0.0.1 port."""
    db = tmp_path / "chainmap.db"
    shutil.copyfile(seeded_sqlite, db)
    app = create_app(Settings(chainmap_store="sqlite", chainmap_sqlite_path=str(db), chainmap_auth=True))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="info", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "uvicorn exited before it started"
        assert time.monotonic() < deadline, "uvicorn did not start within 20 s"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        assert not thread.is_alive(), "uvicorn did not shut down"


def test_uvicorn_answers_over_tcp(live_server: tuple[str, object], caplog: pytest.LogCaptureFixture) -> None:
    base, app = live_server
    caplog.set_level(logging.DEBUG)
    with httpx.Client(base_url=base, timeout=10) as client:
        r = client.get(f"{API}/health")
        assert r.status_code == 200
        assert r.json() == {"status": "ok"}  # anonymous: the status only
        assert r.headers["content-type"] == "application/json"
        r = client.get(f"{API}/chains")
        assert r.status_code == 401 and r.json()["error"] == "Unauthorized"
        key, _ = create_key(app.state.holder.get(), role="viewer")  # type: ignore[attr-defined]
        r = client.get(f"{API}/gaps", params={"chain": "qi", "page_size": 3}, headers={"X-API-Key": key})
        assert r.status_code == 200 and r.json()["total"] == 42 and len(r.json()["items"]) == 3
        etag = r.headers["etag"]
        r = client.get(f"{API}/gaps", params={"chain": "qi", "page_size": 3}, headers={"X-API-Key": key, "If-None-Match": etag})
        assert r.status_code == 304
    assert key not in caplog.text  # uvicorn's access log and httpx's request log never show the key
    port = int(base.rsplit(":", 1)[1])
    with socket.socket() as s:  # bound to loopback only
        s.settimeout(1)
        assert s.connect_ex(("127.0.0.1", port)) == 0


def test_serve_refuses_no_auth_off_loopback() -> None:
    result = CliRunner().invoke(cli_app, ["serve", "--no-auth", "--host", "0.0.0.0", "--lang", "en"])
    assert result.exit_code == 2, result.output
    assert "--no-auth is only allowed on 127.0.0.1" in result.output


def test_serve_refuses_no_auth_in_chinese_by_default() -> None:
    result = CliRunner().invoke(cli_app, ["serve", "--no-auth", "--host", "192.168.1.10"])
    assert result.exit_code == 2
    assert "--no-auth 只能在 127.0.0.1 上使用" in result.output


def test_keys_create_prints_the_key_once(tmp_path: Path) -> None:
    env = {"CHAINMAP_STORE": "sqlite", "CHAINMAP_SQLITE_PATH": str(tmp_path / "keys.db")}
    runner = CliRunner()
    created = runner.invoke(cli_app, ["keys", "create", "--role", "viewer", "--label", "审计", "--lang", "en"], env=env)
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[-1]
    m = re.fullmatch(r"cm_([0-9a-f]{12})_([A-Za-z0-9_-]+)", key)
    assert m, created.stdout
    key_id, secret = m.groups()
    assert "not shown again" in created.stderr and key_id in created.stderr
    assert key not in created.stderr  # printed once, on stdout only

    for args in (["keys", "list"], ["keys", "list", "--format", "json"]):
        listed = runner.invoke(cli_app, args, env=env)
        assert listed.exit_code == 0, listed.output
        assert key_id in listed.output and "viewer" in listed.output
        assert secret not in listed.output and key not in listed.output

    # the key works against an app on the same database until it is revoked
    app = create_app(Settings(chainmap_store="sqlite", chainmap_sqlite_path=env["CHAINMAP_SQLITE_PATH"], chainmap_auth=True))
    with TestClient(app) as client:
        assert client.get(f"{API}/regions", headers={"X-API-Key": key}).status_code == 200
        revoked = runner.invoke(cli_app, ["keys", "revoke", key_id, "--lang", "en"], env=env)
        assert revoked.exit_code == 0 and f"Revoked {key_id}" in revoked.output
        assert client.get(f"{API}/regions", headers={"X-API-Key": key}).status_code == 401
    bad = runner.invoke(cli_app, ["keys", "create", "--role", "root"], env=env)
    assert bad.exit_code != 0 and "role" in bad.output


def _serve_workers(db: Path, port: int, workers: int) -> subprocess.Popen[str]:
    """``chainmap serve --workers N`` in its own process group (uvicorn's supervisor and workers)."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "CHAINMAP_STORE": "sqlite", "CHAINMAP_SQLITE_PATH": str(db),
           "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", str(workers), "--lang", "en"],
        cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip


def _stop(proc: subprocess.Popen[str]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=15)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def test_two_workers_see_each_others_writes(tmp_path: Path, seeded_sqlite: Path) -> None:
    """Each worker has its own caches; a write through one is seen by a GET through the other,
    because every cache key carries the shared store's revisions."""
    db = tmp_path / "chainmap.db"
    shutil.copyfile(seeded_sqlite, db)
    store = SQLiteStore(db)
    try:
        admin, _ = create_key(store, role="admin")
    finally:
        store.close()
    h = {"X-API-Key": admin}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _serve_workers(db, port, 2)
    clients: dict[int, httpx.Client] = {}
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, f"serve exited: {proc.stderr.read()[-2000:] if proc.stderr else ''}"
            assert time.monotonic() < deadline, "chainmap serve --workers 2 did not answer within 120 s"
            try:
                if httpx.get(f"{base}{API}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        # one keep-alive connection per worker: a connection is served by the process that accepted it
        for _ in range(200):
            c = httpx.Client(base_url=base, timeout=30, limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))
            pid = c.get(f"{API}/cache", headers=h).json()["worker_pid"]
            if pid in clients:
                c.close()
            else:
                clients[pid] = c
            if len(clients) == 2:
                break
        assert len(clients) == 2, "every connection went to one worker"
        a, b = clients.values()
        for c in (a, b):  # both workers store their answers
            for _ in range(2):
                assert c.get(f"{API}/chains/qi/segments", headers=h).status_code == 200
                assert c.get(f"{API}/gaps?chain=qi", headers=h).status_code == 200
        tag = b.get(f"{API}/gaps?chain=qi", headers=h).headers["etag"]

        # a graph write through worker a ...
        seg = a.get(f"{API}/segments/qi.separator", headers=h).json()
        r = a.put(f"{API}/segments/qi.separator", json={**seg, "name_en": "Separator (renamed by a)"}, headers=h)
        assert r.status_code == 200, r.text
        for c in (b, a):  # ... is seen through both
            segs = c.get(f"{API}/chains/qi/segments", headers=h).json()
            assert next(s for s in segs if s["id"] == "qi.separator")["name_en"] == "Separator (renamed by a)"
            assert c.get(f"{API}/gaps?chain=qi", headers={**h, "If-None-Match": tag}).status_code == 200

        # a key created through a, used (and its answers stored) through b, revoked through a
        created = a.post(f"{API}/keys", json={"role": "viewer"}, headers=h).json()
        v = {"X-API-Key": created["key"]}
        analyses = b.get(f"{API}/cache", headers=h).json()["computed"].get("gaps", 0)
        for _ in range(2):
            assert b.get(f"{API}/gaps?chain=qi", headers=v).status_code == 200
        assert b.get(f"{API}/cache", headers=h).json()["computed"].get("gaps", 0) == analyses  # a key write: no re-analysis
        assert a.delete(f"{API}/keys/{created['id']}", headers=h).status_code == 204
        assert b.get(f"{API}/gaps?chain=qi", headers=v).status_code == 401
        assert a.get(f"{API}/gaps?chain=qi", headers=v).status_code == 401
    finally:
        for c in clients.values():
            c.close()
        _stop(proc)
