"""The candidates / leads commands through typer's CliRunner on a real SQLite store."""

from __future__ import annotations

import json

import pytest
import typer
from openpyxl import load_workbook
from typer.testing import CliRunner

from matching.cli import candidates_app, leads_app

app = typer.Typer()
app.add_typer(candidates_app, name="candidates")
app.add_typer(leads_app, name="leads")


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("CHAINMAP_STORE", "sqlite")
    monkeypatch.setenv("CHAINMAP_SQLITE_PATH", str(tmp_path / "cli.db"))
    runner = CliRunner()

    def _run(*args):
        return runner.invoke(app, list(args))

    return _run


GOOD = (
    "name,hq_province,hq_city,main_products,tags,expansions_3y\n"
    "宁德时代新能源科技股份有限公司,福建,宁德,动力电池、储能电池,global500;listed,3\n"
    "恩捷股份,云南,玉溪,湿法隔膜,listed,\n"
    "某餐饮公司,,,餐饮服务,,\n"
)


def test_import_list_and_reimport(tmp_path, run):
    f = tmp_path / "good.csv"
    f.write_text(GOOD, encoding="gbk")
    r = run("candidates", "import", str(f))
    assert r.exit_code == 0, r.output
    assert "读取 3 行" in r.stdout and "某餐饮公司" in r.stdout  # unmapped listed
    r = run("candidates", "import", str(f), "--format", "json")
    doc = json.loads(r.stdout)
    assert doc["unchanged"] == 3 and doc["created"] == 0
    r = run("candidates", "list", "--format", "json")
    assert json.loads(r.stdout)["total"] == 3
    r = run("candidates", "list")
    assert "恩捷股份" in r.stdout


def test_bad_file_refused_with_rows(tmp_path, run):
    f = tmp_path / "bad.csv"
    f.write_text("name,employees,tags\n甲,10,\n乙,many,\n丙,1,nonsense\n", encoding="utf-8")
    r = run("candidates", "import", str(f))
    assert r.exit_code == 2
    assert (
        "bad.csv" in r.stderr
        and "row 3, employees='many'" in r.stderr
        and "row 4, tags='nonsense'" in r.stderr
    )
    assert json.loads(run("candidates", "list", "--format", "json").stdout)["total"] == 0  # nothing imported
    report = tmp_path / "rep.csv"
    r = run("candidates", "import", str(f), "--skip-invalid", "--report", str(report), "--quiet")
    assert r.exit_code == 0 and r.stdout == ""
    assert report.read_text(encoding="utf-8-sig").splitlines()[:3] == [
        "row,column,value,reason",
        "3,employees,many,expected a head count",
        "4,tags,nonsense,\"unknown tag 'nonsense'; allowed: global500(世界500强), china500(中国500强), "
        "private500(民营500强), industry_top100(行业100强), gazelle(瞪羚), unicorn(独角兽), "
        'little_giant(专精特新小巨人), listed(上市), chain_leader(链主)"',
    ]
    assert json.loads(run("candidates", "list", "--format", "json").stdout)["total"] == 1


def test_leads_fall_back_to_demo_pool(run):
    r = run("leads", "-k", "5", "--format", "json")
    assert r.exit_code == 0, r.output
    assert "演示" in r.stderr
    doc = json.loads(r.stdout)
    assert len(doc["items"]) == 5 and doc["demo"] is True and doc["model"] == "prior"
    for item in doc["items"]:
        assert item["reason"] and item["contributions"]
        # a lead is for a target gap, or for an unverified one -- then flagged and said so
        assert item["gap_status"] in ("fill", "strengthen", "extend", "unverified")
        if item["gap_status"] == "unverified":
            assert "unverified_gap" in item["flags"] and item["reason"].startswith("待核实")
    r = run("leads", "-k", "3", "--chain", "qi", "--lang", "en")
    assert r.exit_code == 0 and "[DEMO DATA]" in r.stdout


def test_leads_use_stored_candidates_and_xlsx(tmp_path, run):
    f = tmp_path / "good.csv"
    f.write_text(GOOD, encoding="utf-8")
    assert run("candidates", "import", str(f), "--quiet").exit_code == 0
    out = tmp_path / "leads.xlsx"
    r = run("leads", "--format", "xlsx", "-o", str(out))
    assert r.exit_code == 0, r.output
    ws = load_workbook(out)["招商线索"]
    names = [row[1] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert set(names) <= {"宁德时代新能源科技股份有限公司", "恩捷股份"} and names
    r = run("leads", "--format", "xlsx")
    assert r.exit_code == 2 and "-o" in r.stderr
    r = run("leads", "--gap", "qi.nope")
    assert r.exit_code == 2 and "qi.nope" in r.stderr


def test_backtest_without_history(run):
    r = run("leads", "backtest")
    assert r.exit_code == 0 and "--synthetic" in r.stderr and r.stdout == ""
    r = run("leads", "backtest", "--synthetic", "--format", "json")
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    assert doc["synthetic"] is True and doc["label"].startswith("SYNTHETIC")
    assert [row["method"] for row in doc["rows"]] == ["model", "prior", "random"]
