"""The domain layer's CLI through typer's CliRunner, on a real SQLite file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from chainmap.graph import read_graph
from chainmap.seed import load_seed

runner = CliRunner()
MINI = Path(__file__).parent / "fixtures" / "mini_seed"


@pytest.fixture(autouse=True)
def _store_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "cli.db"
    monkeypatch.setenv("CHAINMAP_SQLITE_PATH", str(db))
    monkeypatch.setenv("CHAINMAP_STORE", "sqlite")
    return db


def test_seed_check_ok() -> None:
    res = runner.invoke(app, ["seed", "check"])
    assert res.exit_code == 0, res.output
    n = len(load_seed().segments)
    assert f"{n}个环节" in res.output
    res = runner.invoke(app, ["seed", "check", "--lang", "en"])
    assert f"{n} segments" in res.output


def test_seed_check_bad_folder_names_file_line_field(tmp_path: Path) -> None:
    bad = tmp_path / "seed"
    shutil.copytree(MINI, bad)
    (bad / "links.csv").write_text("source,target,kind\nqi.body,qi.ghost,supplies\n", encoding="utf-8")
    res = runner.invoke(app, ["seed", "check", str(bad)])
    assert res.exit_code == 2
    assert "links.csv:2: target: unknown segment 'qi.ghost'" in res.output


def test_chains_json_counts() -> None:
    res = runner.invoke(app, ["chains", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) >= {"he", "qi", "sheng", "cai", "cai.mg"}
    data = load_seed()
    assert by_id["qi"]["segments"] == sum(1 for s in data.segments if data.chain_root[s.chain] == "qi")
    assert all(set(r) == {"id", "name_zh", "name_en", "letter", "parent", "segments", "enterprises"} for r in rows)
    assert by_id["cai"]["enterprises"] >= by_id["cai.mg"]["enterprises"] >= 1


def test_chains_table_zh_and_en() -> None:
    zh = runner.invoke(app, ["chains"])
    assert zh.exit_code == 0 and "产业链" in zh.stdout and "智能网联" in zh.stdout
    en = runner.invoke(app, ["chains", "--lang", "en"])
    assert en.exit_code == 0 and "segments" in en.stdout and "产业链" not in en.stdout


def test_bad_format_and_lang() -> None:
    res = runner.invoke(app, ["chains", "--format", "yaml"])
    assert res.exit_code == 2 and "expected one of table, json" in res.output
    res = runner.invoke(app, ["chains", "--lang", "fr"])
    assert res.exit_code == 2 and "expected zh or en" in res.output


@pytest.mark.parametrize(
    ("args", "allowed"),
    [
        (["chains"], "table, json"),
        (["chain", "show", "qi"], "table, json"),
        (["gaps"], "table, json, md, html, xlsx"),
        (["leads"], "table, json, xlsx"),
        (["candidates", "list"], "table, json"),
        (["projects", "list"], "table, json"),
        (["keys", "list"], "table, json"),
    ],
)
def test_every_layer_checks_format_the_same_way(args: list[str], allowed: str) -> None:
    res = runner.invoke(app, [*args, "--format", "pdf"])
    assert res.exit_code == 2, res.output
    assert res.output.strip() == f"错误: --format: unknown format 'pdf'; expected one of {allowed}"
    assert runner.invoke(app, [*args, "--format", " JSON"]).exit_code == 0  # trimmed, any case


def test_chain_show() -> None:
    res = runner.invoke(app, ["chain", "show", "qi"])
    assert res.exit_code == 0, res.output
    assert "[上游]" in res.stdout and "大运" in res.stdout
    res = runner.invoke(app, ["chain", "show", "qi", "--format", "json"])
    detail = json.loads(res.stdout)
    assert detail["chain"]["id"] == "qi" and set(detail["stages"]) == {"upstream", "midstream", "downstream"}
    res = runner.invoke(app, ["chain", "show", "nope"])
    assert res.exit_code == 2 and "valid:" in res.output and "新材料 (cai)" in res.output


@pytest.mark.parametrize("fmt", ["json", "cytoscape", "gexf", "graphml"])
def test_graph_export_round_trip(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"qi.{fmt}"
    res = runner.invoke(app, ["graph", "export", "qi", "--format", fmt, "-o", str(out)])
    assert res.exit_code == 0, res.output
    G = read_graph(out.read_text(encoding="utf-8"), fmt)
    data = load_seed()
    own = {s.id for s in data.segments if data.chain_root[s.chain] == "qi"}
    assert own <= {str(n) for n in G.nodes}


def test_init_then_seed_load_is_idempotent(_store_env: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    res = runner.invoke(app, ["init"])
    assert res.exit_code == 0 and "存储已初始化" in res.stdout
    before = json.loads(runner.invoke(app, ["chains", "--format", "json"]).stdout)
    assert runner.invoke(app, ["seed", "load"]).exit_code == 0
    after = json.loads(runner.invoke(app, ["chains", "--format", "json"]).stdout)
    assert before == after


def test_export_import_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dump = tmp_path / "all.jsonl"
    assert runner.invoke(app, ["init"]).exit_code == 0
    res = runner.invoke(app, ["export", str(dump)])
    assert res.exit_code == 0, res.output
    monkeypatch.setenv("CHAINMAP_SQLITE_PATH", str(tmp_path / "other.db"))
    res = runner.invoke(app, ["import", str(dump)])
    assert res.exit_code == 0, res.output
    dump2 = tmp_path / "again.jsonl"
    assert runner.invoke(app, ["export", str(dump2)]).exit_code == 0
    lines1 = sorted(dump.read_text(encoding="utf-8").splitlines()[1:])
    lines2 = sorted(dump2.read_text(encoding="utf-8").splitlines()[1:])
    assert lines1 == lines2


def test_import_missing_file(tmp_path: Path) -> None:
    res = runner.invoke(app, ["import", str(tmp_path / "nope.jsonl")])
    assert res.exit_code == 2 and "file not found" in res.output


def test_gaps_reads_the_store_and_sees_edits(tmp_path: Path) -> None:
    """`chainmap gaps` analyses the configured store: a local firm added there changes the result."""
    assert runner.invoke(app, ["init"]).exit_code == 0
    res = runner.invoke(app, ["gaps", "--chain", "qi", "--format", "json"])
    assert res.exit_code == 0, res.output
    before = {i["segment_id"]: i for i in json.loads(res.stdout)["items"]}
    assert before["qi.lidar"]["local_count"] == 0
    from chainmap.models import Enterprise
    from chainmap.storage.factory import open_store

    store = open_store()
    try:
        store.upsert_enterprise(Enterprise(id="ent.test-lidar", name="测试激光雷达", county="yongji", segments=[{"segment": "qi.lidar"}], source="test"))
    finally:
        store.close()
    after = {i["segment_id"]: i for i in json.loads(runner.invoke(app, ["gaps", "--chain", "qi", "--format", "json"]).stdout)["items"]}
    assert after["qi.lidar"]["local_count"] == 1
    assert after["qi.lidar"]["status"] in ("strengthen", "sound")


def test_gaps_shows_all_three_types_with_reasons() -> None:
    res = runner.invoke(app, ["gaps", "--format", "json"])
    assert res.exit_code == 0, res.output
    items = json.loads(res.stdout)["items"]
    statuses = {i["status"] for i in items}
    # the seed has no census register: absences are 待核实, naming the status they would have (chainmap.census)
    assert {"strengthen", "unverified"} <= statuses and not statuses & {"fill", "extend"}
    assert {"fill", "extend"} <= {i["would_be"] for i in items if i["status"] == "unverified"}
    fill = next(i for i in items if i["would_be"] == "fill")
    assert fill["rationale"].startswith("待核实") and "本地企业名录未导入" in fill["rationale"]
    assert "若确认缺失则为补链" in fill["rationale"] and any(ch.isdigit() for ch in fill["rationale"])


def test_demo_runs() -> None:
    res = runner.invoke(app, ["demo", "-k", "2"])
    assert res.exit_code == 0, res.output
    assert "缺口" in res.stdout and "招商线索" in res.stdout
    # leads exist for confirmed gaps only: on the seed (no census register) the 强链 gaps
    assert res.stdout.count("得分") >= 4


@pytest.mark.parametrize(
    "args",
    [
        ["gaps", "--chain", "qi", "-f", "md"],
        ["gaps", "--chain", "qi", "-f", "xlsx"],
        ["graph", "export", "qi", "-f", "gexf"],
        ["leads", "-f", "json"],
        ["leads", "-f", "xlsx"],
        ["projects", "export", "-f", "xlsx"],
    ],
    ids=["gaps-md", "gaps-xlsx", "graph-export", "leads-json", "leads-xlsx", "projects-export"],
)
@pytest.mark.parametrize("where", ["missing-folder", "a-folder"])
def test_unwritable_output_is_one_clean_line_and_exit_2(args: list[str], where: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    target = tmp_path / "nonexistent" / "dir" / "x.out" if where == "missing-folder" else tmp_path
    res = runner.invoke(app, [*args, "-o", str(target)])
    assert res.exit_code == 2, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1, res.output
    assert lines[0].startswith("错误: --output: 无法写入") and str(target) in lines[0]
    assert ("不存在" if where == "missing-folder" else "目录") in lines[0]
    assert "Traceback" not in res.output


@pytest.mark.parametrize("where", ["missing-folder", "a-folder"])
def test_unwritable_import_report_fails_before_importing(where: str, tmp_path: Path) -> None:
    src = tmp_path / "c.csv"
    src.write_text("name,main_products\n甲新材料有限公司,动力电池\n乙公司,餐饮\n", encoding="utf-8")
    target = tmp_path / "nonexistent" / "r.csv" if where == "missing-folder" else tmp_path
    res = runner.invoke(app, ["candidates", "import", str(src), "--report", str(target)])
    assert res.exit_code == 2, res.output
    assert res.output.strip().startswith("错误: --report: 无法写入") and "Traceback" not in res.output
    listed = json.loads(runner.invoke(app, ["candidates", "list", "--format", "json"]).stdout)
    assert listed["total"] == 0  # nothing imported


def test_unwritable_output_in_english() -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    res = runner.invoke(app, ["gaps", "--chain", "qi", "-f", "md", "-o", "/nonexistent/dir/x.md", "--lang", "en"])
    assert res.exit_code == 2
    assert res.output.strip() == "Error: --output: cannot write /nonexistent/dir/x.md: folder /nonexistent/dir does not exist"


def test_graph_export_carries_local_counts_of_the_region(tmp_path: Path) -> None:
    """`chainmap graph export` is the API's /chains/{id}/graph: nodes carry local counts."""
    out = tmp_path / "qi.json"
    res = runner.invoke(app, ["graph", "export", "qi", "-f", "json", "-o", str(out), "--region", "yongji"])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["graph"]["region"] == "yongji"
    data = load_seed()
    from chainmap.data import local_enterprises

    want = {s: len(local_enterprises(data, "yongji", segment=s, role="producer")) for s in (n["id"] for n in doc["nodes"])}
    assert {n["id"]: n["local_enterprises"] for n in doc["nodes"]} == want
    assert sum(want.values()) > 0
    res = runner.invoke(app, ["graph", "export", "qi", "-f", "svg", "-o", str(tmp_path / "qi.svg")])
    assert res.exit_code == 0 and (tmp_path / "qi.svg").read_text(encoding="utf-8").startswith("<svg")


def test_export_leaves_keys_out_unless_asked_and_import_refuses_them(tmp_path: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert runner.invoke(app, ["keys", "create", "--role", "admin"]).exit_code == 0
    plain, with_keys = tmp_path / "plain.jsonl", tmp_path / "keys.jsonl"
    res = runner.invoke(app, ["export", str(plain)])
    assert res.exit_code == 0, res.output
    assert "record:api_key" not in plain.read_text(encoding="utf-8")
    res = runner.invoke(app, ["export", str(with_keys), "--include-keys"])
    assert res.exit_code == 0, res.output
    assert "record:api_key" in with_keys.read_text(encoding="utf-8")
    # importing a file with keys needs the flag (and says so), with it the keys come in with a warning
    res = runner.invoke(app, ["import", str(with_keys)])
    assert res.exit_code == 2
    assert "--include-keys" in res.output
    res = runner.invoke(app, ["import", str(with_keys), "--include-keys"])
    assert res.exit_code == 0, res.output
    assert runner.invoke(app, ["import", str(plain)]).exit_code == 0
