"""The ``projects`` commands, invoked directly with a SQLite store from CHAINMAP_SQLITE_PATH."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from chainmap.projects.cli import app


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CHAINMAP_STORE", "sqlite")
    monkeypatch.setenv("CHAINMAP_SQLITE_PATH", str(tmp_path / "cli.db"))
    from chainmap.models import Region
    from chainmap.storage.factory import open_store

    with open_store(backend="sqlite", sqlite_path=tmp_path / "cli.db") as store:  # the county projects name
        store.upsert_region(Region(id="yuncheng", kind="city", name_zh="运城市", name_en="Yuncheng"))
        store.upsert_region(Region(id="wenxi", kind="county", name_zh="闻喜县", name_en="Wenxi", parent="yuncheng"))
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


def _add(run, pid: str, name: str, team: str, owner: str, kind: str = "招商小分队", *extra: str):  # type: ignore[no-untyped-def]
    return run("add", "--id", pid, "--name", name, "--task-force", team, "--kind", kind, "--owner", owner,
               "--date", "2021-01-04", "--planned", "10", "--planned-fixed", "6", *extra)  # fmt: skip


def test_full_flow_in_chinese(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = _add(run, "p1", "示例镁业股份有限公司", "镁产业招商专班", "张三", "招商专班", "--county", "wenxi")
    assert r.exit_code == 0, r.output
    assert "已登记项目 p1（线索）" in r.stdout
    for stage, day in [("对接", "2021-01-10"), ("洽谈", "2021-02-01"), ("签约", "2021-03-01")]:
        r = run("move", "p1", stage, "--actor", "张三", "--date", day)
        assert r.exit_code == 0, r.output
    assert "洽谈 → 签约" in r.stdout
    r = run("move", "p1", "开工", "--actor", "李四", "--date", "2021-04-01", "--new-fixed-asset", "6",
            "--funds-fixed", "2", "--funds-non-fixed", "0.5")  # fmt: skip
    assert r.exit_code == 0, r.output
    r = run(
        "log", "p1", "--method", "实地跟", "--actor", "张三", "--date", "2021-04-02", "--note", "现场推进"
    )
    assert r.exit_code == 0 and "实地跟" in r.stdout
    r = run("targets", "set", "--year", "2021", "--signed-value", "8", "--start-rate", "60",
            "--new-fixed-asset", "5", "--funds-fixed", "4", "--funds-non-fixed", "1")  # fmt: skip
    assert r.exit_code == 0 and "已设定 2021 年目标（全市）" in r.stdout

    r = run("list")
    assert r.exit_code == 0 and "p1" in r.stdout and "开工" in r.stdout and "共 1 个项目" in r.stdout
    r = run("list", "--format", "json", "--stage", "started")
    [p] = json.loads(r.stdout)
    assert p["id"] == "p1" and p["new_fixed_asset_started"] == 6 and p["funds_in_place_non_fixed"] == 0.5

    r = run("kpi", "--year", "2021", "--today", "2021-12-31")
    assert r.exit_code == 0, r.output
    assert "签约总额" in r.stdout and "125.00" in r.stdout and "签约开工率" in r.stdout
    r = run("kpi", "--year", "2021", "--today", "2021-12-31", "--format", "json")
    k = json.loads(r.stdout)
    assert (k["signed_count"], k["signed_value_pct"], k["start_rate"], k["new_fixed_asset_pct"]) == (
        1,
        125,
        100,
        120,
    )
    assert (k["funds_fixed_pct"], k["funds_non_fixed_pct"]) == (50, 50)
    r = run("kpi", "--year", "2021", "--today", "2021-12-31", "--stalled-days", "30", "--format", "json")
    assert [s["project_id"] for s in json.loads(r.stdout)["stalled"]] == ["p1"]

    r = run("show", "p1")
    assert r.exit_code == 0 and "现场推进" in r.stdout and "李四" in r.stdout

    out = tmp_path / "out.xlsx"
    r = run("export", "--format", "xlsx", "-o", str(out), "--year", "2021", "--today", "2021-12-31")
    assert r.exit_code == 0, r.output
    assert load_workbook(out).sheetnames == ["项目", "指标", "停滞项目", "跟进记录", "困难问题与诉求"]
    out = tmp_path / "out.csv"
    r = run("export", "--format", "csv", "-o", str(out))
    assert r.exit_code == 0 and out.read_bytes().startswith(b"\xef\xbb\xbf")


def test_english_output(run) -> None:  # type: ignore[no-untyped-def]
    r = run("add", "--id", "p1", "--name", "Foo Co., Ltd.", "--task-force", "Mg team", "--kind", "special_team",
            "--owner", "Zhang", "--date", "2021-01-04", "--lang", "en")  # fmt: skip
    assert r.exit_code == 0 and "registered project p1 (lead)" in r.stdout
    r = run("move", "p1", "contacted", "--actor", "Zhang", "--date", "2021-01-05", "--lang", "en")
    assert "lead -> contacted" in r.stdout
    r = run("kpi", "--year", "2021", "--today", "2021-02-01", "--lang", "en")
    assert "signed value" in r.stdout and "stalled projects" in r.stdout


def test_duplicate_warning_on_stderr(run) -> None:  # type: ignore[no-untyped-def]
    assert _add(run, "p1", "示例铜业有限公司", "铜产业招商专班", "张三", "招商专班").exit_code == 0
    r = _add(run, "p2", "示例铜业（集团）有限公司", "盐湖区招商小分队", "李四")
    assert r.exit_code == 0
    assert "警告" in r.stderr and "铜产业招商专班" in r.stderr and "张三" in r.stderr and "p1" in r.stderr
    r = run("list", "--format", "json")
    assert {p["id"]: p["related_projects"] for p in json.loads(r.stdout)} == {"p1": ["p2"], "p2": ["p1"]}


def test_errors_are_clean_with_exit_code_2(run) -> None:  # type: ignore[no-untyped-def]
    assert _add(run, "p1", "示例铝业有限公司", "甲队", "张三").exit_code == 0
    r = run("move", "p1", "签约", "--actor", "张三", "--date", "2021-02-01")
    assert r.exit_code == 2
    assert (
        "错误" in r.stderr and "允许的下一阶段：对接 (contacted)" in r.stderr and "Traceback" not in r.output
    )
    r = run("move", "p1", "对接", "--actor", "张三", "--date", "2020-12-01")
    assert r.exit_code == 2 and "date" in r.stderr
    r = run("move", "p1", "终止", "--actor", "张三", "--date", "2021-02-01")
    assert r.exit_code == 2 and "reason" in r.stderr
    r = run("move", "p1", "contacted", "--actor", "x", "--date", "2021-13-01", "--lang", "en")
    assert r.exit_code == 2 and r.stderr.startswith("Error:")
    r = run("add", "--name", "x", "--task-force", "t", "--kind", "squad", "--owner", "o", "--planned", "-1")
    assert r.exit_code == 2 and "planned_investment" in r.stderr
    r = run("move", "nope", "contacted", "--actor", "x")
    assert r.exit_code == 2
    r = run("list", "--format", "yaml")
    assert r.exit_code == 2
    r = run("export", "--format", "pdf", "-o", "x.pdf")
    assert r.exit_code == 2
    r = run("log", "p1", "--method", "随便跟", "--actor", "x")
    assert r.exit_code == 2 and "分类跟" in r.stderr


def test_targets_list(run) -> None:  # type: ignore[no-untyped-def]
    assert run("targets", "set", "--year", "2021", "--signed-value", "3000", "--start-rate", "60").exit_code == 0
    assert run("targets", "set", "--year", "2021", "--region", "闻喜", "--signed-value", "300").exit_code == 0
    r = run("targets", "list", "--format", "json")
    assert [(t["region"], t["signed_value"]) for t in json.loads(r.stdout)] == [(None, 3000), ("wenxi", 300)]
    r = run("targets", "list")
    assert "全市" in r.stdout and "闻喜县" in r.stdout  # names, not ids
    r = run("targets", "set", "--year", "2021", "--region", "yanhu", "--signed-value", "300")
    assert r.exit_code == 2 and "unknown region 'yanhu'" in r.output  # a region the store lacks is refused


def test_rank_and_next_follow_up_from_the_command_line(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert _add(run, "p1", "示例镁业股份有限公司", "镁产业招商专班", "张三", "招商专班", "--county", "wenxi").exit_code == 0
    for stage, on in (("对接", "2021-01-10"), ("洽谈", "2021-01-20"), ("签约", "2021-02-01")):
        assert run("move", "p1", stage, "--actor", "张三", "--date", on).exit_code == 0
    r = run("log", "p1", "--method", "实地跟", "--actor", "张三", "--date", "2021-02-02", "--next", "2021-02-20")
    assert r.exit_code == 0, r.output
    assert json.loads(run("show", "p1", "--format", "json").stdout)["project"]["next_followup"] == "2021-02-20"
    assert "下次跟进 2021-02-20" in run("show", "p1").stdout
    assert run("targets", "set", "--year", "2021", "--task-force", "镁产业招商专班", "--signed-count", "4").exit_code == 0
    r = run("rank", "--year", "2021", "--by", "task_force", "--today", "2021-12-31", "--format", "json")
    assert r.exit_code == 0, r.output
    units = json.loads(r.stdout)["units"]
    assert [(u["unit"], u["rank"], u["score"], u["report"]["signed_count"]) for u in units] == [
        ("镁产业招商专班", 1, 25, 1)
    ]
    r = run("rank", "--year", "2021", "--by", "county", "--today", "2021-12-31")
    assert r.exit_code == 0 and "闻喜县" in r.stdout and "综合得分" in r.stdout
    out = tmp_path / "rank.xlsx"
    assert run("rank", "--year", "2021", "-o", str(out)).exit_code == 0
    assert load_workbook(out).sheetnames == ["考核排名"]
    bad = run("rank", "--year", "2021", "--by", "zone")
    assert bad.exit_code == 2 and "county or task_force" in bad.output
