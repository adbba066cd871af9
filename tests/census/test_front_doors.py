"""The census import through its front doors: ``POST /enterprises/import`` (multipart upload,
dry-run preview, 422 row errors; both stores; one test over TCP against a real uvicorn server),
``chainmap enterprises import`` (typer CliRunner on a real SQLite file) and
``chainmap candidates import`` reading the same formats through the same reader."""

from __future__ import annotations

import csv
import io
import json
import shutil
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from api.cli import app as cli_app
from api.keys import create_key
from api.main import create_app
from api.settings import Settings
from chainmap.census.importer import census_import_id
from chainmap.storage.sqlite import SQLiteStore
from tests.api.conftest import API, ApiClient, error_of
from tests.api.test_server import free_port
from tests.census.conftest import QCC_GBK, QCC_XLSX, REGISTER

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload(c: ApiClient, path: Path, mime: str = "text/csv", **params: object) -> httpx.Response:
    return c.post(f"{API}/enterprises/import", params=params, files={"file": (path.name, path.read_bytes(), mime)},
                  headers=c.h("planner"))


def _total(c: ApiClient) -> int:
    return c.get(f"{API}/enterprises", params={"page_size": 1}, headers=c.h("planner")).json()["total"]


def test_api_preview_then_import(app_client: ApiClient) -> None:
    c = app_client
    before = _total(c)
    r = _upload(c, REGISTER, dry_run="true")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["dry_run"] is True and doc["written"] is False and doc["counts"]["new"] == 320
    assert doc["columns"]["ignored"] == ["序号", "填报人"]
    assert len(doc["new"]) == 320 and doc["truncated"] == {}
    assert {s["kind"] for s in doc["skipped"]} == {"注销", "吊销", "outside"}
    assert _total(c) == before  # nothing written by the preview
    small = _upload(c, REGISTER, dry_run="true", preview_limit=5).json()
    assert len(small["new"]) == 5 and small["truncated"]["new"] == 320
    done = _upload(c, REGISTER, lang="en").json()
    assert done["written"] is True and done["counts"]["new"] == 320
    assert _total(c) == before + 320
    rec = c.store.get_record("census_import", census_import_id(REGISTER.read_bytes()))
    assert rec["register_kind"] == "规上名录"
    # the 企查查 XLSX through the same route
    x = _upload(c, QCC_XLSX, XLSX).json()
    assert x["register_kind"] == "企查查" and x["counts"]["new"] == 60 and x["encoding"] is None
    again = _upload(c, REGISTER).json()
    assert again["counts"]["unchanged"] == 320 and again["counts"]["new"] == 0


def test_api_row_errors_422_and_skip_invalid(sqlite_client: ApiClient) -> None:
    c = sqlite_client
    raw = "企业名称,县(市、区),主要产品\n运城甲镁业有限公司,闻喜县,镁合金\n运城乙有限公司,亚特兰蒂斯,铝锭\n".encode("gbk")
    before = _total(c)
    files = {"file": ("gbk.csv", raw, "text/csv")}
    body = error_of(c.post(f"{API}/enterprises/import", files=files, headers=c.h("planner")), 422, "InvalidInput")
    assert body["errors"] == [{"row": 3, "column": "县(市、区)", "value": "亚特兰蒂斯", "reason": body["errors"][0]["reason"]}]
    assert "亚特兰蒂斯" in body["errors"][0]["reason"]
    assert _total(c) == before
    preview = c.post(f"{API}/enterprises/import", params={"dry_run": "true"}, files=files, headers=c.h("planner")).json()
    assert preview["refused"] is True and preview["counts"]["errors"] == 1 and preview["counts"]["new"] == 1
    ok = c.post(f"{API}/enterprises/import", params={"skip_invalid": "true"}, files=files, headers=c.h("planner")).json()
    assert ok["written"] and ok["counts"]["new"] == 1 and _total(c) == before + 1
    # a viewer may not import
    assert c.post(f"{API}/enterprises/import", files=files, headers=c.h("viewer")).status_code == 403


def test_api_native_format_unchanged_and_dry_run(sqlite_client: ApiClient) -> None:
    c = sqlite_client
    native = "name,county,segments\n运城编号格式有限公司,yongji,qi.separator\n".encode()
    files = {"file": ("n.csv", native, "text/csv")}
    before = _total(c)
    pre = c.post(f"{API}/enterprises/import", params={"dry_run": "true"}, files=files, headers=c.h("planner")).json()
    assert pre == {"imported": 0, "would_import": 1, "file": "n.csv", "dry_run": True} and _total(c) == before
    r = c.post(f"{API}/enterprises/import", files=files, headers=c.h("planner"))
    assert r.json() == {"imported": 1, "file": "n.csv"} and _total(c) == before + 1


def test_api_planner_edit_survives_reimport(app_client: ApiClient) -> None:
    c = app_client
    h = c.h("planner")
    doc = _upload(c, QCC_GBK).json()
    target = next(it for it in doc["new"] if it["county"])
    ent = c.get(f"{API}/enterprises/{target['id']}", headers=h).json()
    put = c.put(f"{API}/enterprises/{target['id']}", json={**ent, "county": "hejin", "employees": 999}, headers=h)
    assert put.status_code == 200, put.text
    assert set(put.json()["locked_fields"]) == {"county", "employees"}
    changed = QCC_GBK.read_bytes().decode("gbk").replace("张某", "李某")  # another export of the same firms
    files = {"file": ("qcc2.csv", changed.encode("gbk"), "text/csv")}
    c.post(f"{API}/enterprises/import", files=files, headers=h).raise_for_status()
    after = c.get(f"{API}/enterprises/{target['id']}", headers=h).json()
    assert after["county"] == "hejin" and after["employees"] == 999


def test_api_over_tcp(tmp_path: Path, seeded_sqlite: Path) -> None:
    """A real uvicorn server and an httpx client over TCP: upload, preview, import."""
    db = tmp_path / "live.db"
    shutil.copyfile(seeded_sqlite, db)
    app = create_app(Settings(chainmap_store="sqlite", chainmap_sqlite_path=str(db), chainmap_auth=True))
    store = SQLiteStore(db)
    key, _ = create_key(store, role="planner", label="census test")
    store.close()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline
        time.sleep(0.05)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}{API}", headers={"X-API-Key": key}, timeout=60) as http:
            files = {"file": (QCC_XLSX.name, QCC_XLSX.read_bytes(), XLSX)}
            pre = http.post("/enterprises/import", params={"dry_run": "true"}, files=files)
            assert pre.status_code == 200 and pre.json()["counts"]["new"] == 60 and not pre.json()["written"]
            done = http.post("/enterprises/import", files=files)
            assert done.status_code == 200 and done.json()["written"]
            found = http.get("/enterprises", params={"name": done.json()["new"][0]["name"]}).json()
            assert found["total"] >= 1
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# ---------------------------------------------------------------- CLI


@pytest.fixture
def cli_env(tmp_path: Path, seeded_sqlite: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "cli.db"
    shutil.copyfile(seeded_sqlite, db)
    monkeypatch.setenv("CHAINMAP_STORE", "sqlite")
    monkeypatch.setenv("CHAINMAP_SQLITE_PATH", str(db))
    return db


def _count(db: Path) -> int:
    s = SQLiteStore(db)
    try:
        return len(s.list_enterprises())
    finally:
        s.close()


def test_cli_dry_run_import_report(cli_env: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    before = _count(cli_env)
    r = runner.invoke(cli_app, ["enterprises", "import", str(REGISTER), "--dry-run"])
    assert r.exit_code == 0, r.output
    assert "预览（未写入）" in r.output and "忽略的列：序号，填报人" in r.output and "新增 320" in r.output
    assert _count(cli_env) == before
    report = tmp_path / "report.json"
    r = runner.invoke(cli_app, ["enterprises", "import", str(QCC_GBK), "--report", str(report), "--lang", "en"])
    assert r.exit_code == 0, r.output
    assert "new 60" in r.output and "ignored columns: 法定代表人" in r.output
    doc = json.loads(report.read_text("utf-8"))
    assert doc["counts"]["new"] == 60 and doc["written"] is True and _count(cli_env) == before + 60
    csv_report = tmp_path / "report.csv"
    r = runner.invoke(cli_app, ["enterprises", "import", str(QCC_XLSX), "--report", str(csv_report), "-f", "json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["counts"]["new"] == 60  # another export: other firms
    rows = list(csv.DictReader(io.StringIO(csv_report.read_text("utf-8"))))
    assert {"skipped"} <= {x["kind"] for x in rows} and any(x["value"] == "注销" for x in rows)


def test_cli_refuses_bad_file_and_writes_report(cli_env: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("企业名称,所在地\n运城甲有限公司,闻喜县\n运城乙有限公司,火星\n", encoding="utf-8")
    report = tmp_path / "errors.csv"
    before = _count(cli_env)
    r = CliRunner().invoke(cli_app, ["enterprises", "import", str(bad), "--report", str(report)])
    assert r.exit_code == 2
    assert "火星" in r.output and "Traceback" not in r.output
    assert _count(cli_env) == before
    rows = list(csv.DictReader(io.StringIO(report.read_text("utf-8"))))
    assert rows == [{"kind": "error", "row": "3", "id": "", "name": "", "column": "所在地", "value": "火星",
                     "reason": rows[0]["reason"]}]
    ok = CliRunner().invoke(cli_app, ["enterprises", "import", str(bad), "--skip-invalid"])
    assert ok.exit_code == 0 and _count(cli_env) == before + 1
    missing = CliRunner().invoke(cli_app, ["enterprises", "import", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2 and "no such file" in missing.output
    kind = CliRunner().invoke(cli_app, ["enterprises", "import", str(bad), "--register-kind", "x"])
    assert kind.exit_code == 2 and "register kind" in kind.output


def test_candidates_import_reads_the_same_formats(cli_env: Path) -> None:
    """``chainmap candidates import`` takes the 企查查 XLSX and GBK CSV through the same reader."""
    runner = CliRunner()
    for path in (QCC_XLSX, QCC_GBK):
        r = runner.invoke(cli_app, ["candidates", "import", str(path), "-f", "json", "-q"])
        assert r.exit_code == 0, r.output
        doc = json.loads(r.output)
        assert doc["rows_read"] == 64 and doc["candidates"] == 64
        assert doc["encoding"] == (None if path.suffix == ".xlsx" else "gb18030")
