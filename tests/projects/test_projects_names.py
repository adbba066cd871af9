# ruff: noqa: F811  (the API fixtures are imported from tests/api/conftest.py and named as parameters)
"""Names, not ids, in the projects context: every CLI option and API parameter taking a region
or a segment accepts the id, the Chinese / English name or a short form (盐湖, 永济, 锂电隔膜) by
the one name rule of :mod:`chainmap.resolve`; a miss names the value and suggests the closest
names.  CLI through typer's CliRunner on a real SQLite file holding the shipped seed; API
through the seeded app (auth on)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainmap.projects.cli import app
from tests.api.conftest import (  # noqa: F401  (fixtures)
    API,
    ApiClient,
    error_of,
    make_client,
    seeded_sqlite,
    sqlite_client,
)


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seeded_sqlite: Path):  # type: ignore[no-untyped-def]
    db = tmp_path / "names.db"
    shutil.copyfile(seeded_sqlite, db)
    monkeypatch.setenv("CHAINMAP_STORE", "sqlite")
    monkeypatch.setenv("CHAINMAP_SQLITE_PATH", str(db))
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


def _add(run, pid: str, *extra: str):  # type: ignore[no-untyped-def]
    r = run("add", "--id", pid, "--name", f"示例{pid}材料有限公司", "--task-force", "盐湖区招商小分队",
            "--kind", "招商小分队", "--owner", "张三", "--date", "2021-01-04", "--planned", "10", *extra)  # fmt: skip
    assert r.exit_code == 0, r.output
    return r


def test_cli_add_takes_segment_and_region_names(run) -> None:  # type: ignore[no-untyped-def]
    _add(run, "p1", "--segment", "锂电隔膜", "--county", "盐湖")
    _add(run, "p2", "--segment", "锂电池隔膜", "--county", "盐湖区")
    _add(run, "p3", "--segment", "qi.separator", "--county", "Yanhu District")
    r = run("list", "--format", "json")
    assert [(p["id"], p["segment"], p["county"]) for p in json.loads(r.stdout)] == [
        ("p1", "qi.separator", "yanhu"),
        ("p2", "qi.separator", "yanhu"),
        ("p3", "qi.separator", "yanhu"),
    ]


def test_cli_filters_kpis_and_targets_take_names(run) -> None:  # type: ignore[no-untyped-def]
    _add(run, "p1", "--county", "yanhu", "--segment", "qi.separator")
    _add(run, "p2", "--county", "yongji")
    for region in ("盐湖", "盐湖区", "yanhu"):
        r = run("list", "--region", region, "--format", "json")
        assert r.exit_code == 0, r.output
        assert [p["id"] for p in json.loads(r.stdout)] == ["p1"]
    r = run("list", "--segment", "锂电隔膜", "--format", "json")
    assert [p["id"] for p in json.loads(r.stdout)] == ["p1"]
    r = run("targets", "set", "--year", "2021", "--region", "盐湖", "--signed-count", "4")
    assert r.exit_code == 0 and "已设定 2021 年目标（盐湖区）" in r.stdout, r.output
    r = run("kpi", "--year", "2021", "--region", "盐湖", "--today", "2021-12-31")
    assert r.exit_code == 0, r.output
    assert "区域：盐湖区" in r.stdout
    by_name = json.loads(run("kpi", "--year", "2021", "--region", "盐湖", "--today", "2021-12-31", "--format", "json").stdout)
    by_id = json.loads(run("kpi", "--year", "2021", "--region", "yanhu", "--today", "2021-12-31", "--format", "json").stdout)
    assert by_name == by_id and by_name["region"] == "yanhu" and by_name["signed_count_target"] == 4


def test_cli_misses_suggest_closest_names(run) -> None:  # type: ignore[no-untyped-def]
    r = run("kpi", "--year", "2021", "--region", "盐湖县")
    assert r.exit_code == 2 and "盐湖县" in r.output and "盐湖区 (yanhu)" in r.output
    assert "Traceback" not in r.output
    r = run("add", "--name", "示例有限公司", "--task-force", "t", "--kind", "招商小分队", "--owner", "张三",
            "--segment", "锂电隔模")  # fmt: skip
    assert r.exit_code == 2 and "segment" in r.output and "锂电池隔膜 (qi.separator)" in r.output
    # a part of one name only names that segment (chainmap.resolve)
    r = run("add", "--name", "示例有限公司", "--task-force", "t", "--kind", "招商小分队", "--owner", "张三",
            "--segment", "隔膜")  # fmt: skip
    assert r.exit_code == 0, r.output


def test_api_takes_names_and_suggests(sqlite_client: ApiClient) -> None:
    c = sqlite_client
    w = c.h("taskforce")
    body = {"enterprise": {"name": "示例隔膜材料有限公司"}, "task_force": "盐湖区招商小分队",
            "task_force_kind": "squad", "owner": "张三", "segment": "锂电隔膜", "county": "盐湖"}  # fmt: skip
    r = c.post(API + "/projects", json=body, headers=w)
    assert r.status_code == 201, r.text
    p = r.json()["project"]
    assert (p["segment"], p["county"]) == ("qi.separator", "yanhu")
    r = c.patch(API + f"/projects/{p['id']}", json={"county": "永济"}, headers=w)
    assert r.status_code == 200 and r.json()["county"] == "yongji", r.text
    for params in ({"region": "永济市"}, {"region": "永济"}, {"segment": "锂电池隔膜"}):
        r = c.get(API + "/projects", params=params, headers=c.h("viewer"))
        assert r.status_code == 200, r.text
        assert [x["id"] for x in r.json()["items"]] == [p["id"]], params
    for stage in ("线索", "lead", "Lead"):  # stages too: code, Chinese or English label
        r = c.get(API + "/projects", params={"stage": stage, "region": "永济"}, headers=c.h("viewer"))
        assert r.status_code == 200 and [x["id"] for x in r.json()["items"]] == [p["id"]], (stage, r.text)
    r = c.get(API + "/projects/board", params={"region": "永济"}, headers=c.h("viewer"))
    assert r.status_code == 200 and r.json()["total"] == 1
    r = c.put(API + "/targets", json={"year": 2021, "region": "永济", "signed_count": 3}, headers=w)
    assert r.status_code == 200 and r.json()["region"] == "yongji", r.text
    r = c.get(API + "/kpis", params={"year": 2021, "region": "永济"}, headers=c.h("viewer"))
    assert r.status_code == 200 and r.json()["region"] == "yongji" and r.json()["signed_count_target"] == 3

    r = c.post(API + "/projects", json=body | {"segment": "锂电隔模"}, headers=w)
    err = error_of(r, 422, "InvalidInput")
    assert err["field"] == "segment" and "锂电池隔膜 (qi.separator)" in err["detail"], err
    r = c.get(API + "/kpis", params={"year": 2021, "region": "永吉"}, headers=c.h("viewer"))
    err = error_of(r, 404, "NotFound")
    assert err["field"] == "region" and "永济市 (yongji)" in err["detail"], err
