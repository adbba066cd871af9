"""``chainmap gaps`` through typer's CliRunner, on the small report map."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from chainmap.cli import gaps as cli_gaps

runner = CliRunner()


@pytest.fixture(autouse=True)
def small_map(monkeypatch, data):
    monkeypatch.setattr(cli_gaps, "load_chain_data", lambda lang="zh": data)


def run(*args):
    return runner.invoke(cli_gaps.app, list(args))


def test_table_default():
    res = run()
    assert res.exit_code == 0, res.output
    assert "运城市 产业链缺口分析" in res.output
    assert "补链：" in res.output and "汽车" in res.output and "材料" in res.output


def test_json_filtered_by_type_and_chain():
    res = run("--chain", "qi", "--type", "fill", "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["chains"] == ["qi"]
    assert doc["items"] and {i["status"] for i in doc["items"]} == {"fill"}
    assert doc["summary"]["qi"]["total"] == 5  # the summary stays complete


def test_markdown_and_html_to_files(tmp_path):
    md = tmp_path / "g.md"
    res = run("--format", "md", "-o", str(md))
    assert res.exit_code == 0, res.output
    assert "补链：" in md.read_text(encoding="utf-8")
    page = tmp_path / "g.html"
    res = run("--format", "html", "-o", str(page), "--region", "wenxi")
    assert res.exit_code == 0, res.output
    text = page.read_text(encoding="utf-8")
    assert text.count("<svg") == 2 and "闻喜县" in text


def test_xlsx_needs_output_and_writes_sheets(tmp_path):
    res = run("--format", "xlsx")
    assert res.exit_code == 2 and "-o" in res.output
    out = tmp_path / "g.xlsx"
    res = run("--format", "xlsx", "-o", str(out), "--lang", "en")
    assert res.exit_code == 0, res.output
    assert load_workbook(out).sheetnames == ["summary", "Vehicles", "Materials"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        # misses name the valid values by name and id (names, not ids: issue 16)
        (("--chain", "he"), "(cai.mg)"),
        (("--region", "beijing"), "(yuncheng)"),
        (("--type", "bogus"), "补链 (fill)"),
        (("--format", "pdf"), "table, json, md, html, xlsx"),
        (("--lang", "fr"), "zh or en"),
    ],
)
def test_errors_exit_2_with_valid_values(args, needle):
    res = run(*args)
    assert res.exit_code == 2
    assert needle in res.output
    assert "Traceback" not in res.output


def test_english_table():
    res = run("--lang", "en", "--chain", "cai")
    assert res.exit_code == 0, res.output
    assert "Yuncheng: chain gap analysis" in res.output


def test_demo_summary(data):
    text = cli_gaps.demo_summary(data, "zh")
    assert text.startswith("运城市 合汽生材产业链缺口概览")
    assert "【汽车】优先缺口（前5项）" in text and "【材料】" in text
    assert "1. [" in text
    en = cli_gaps.demo_summary(data, "en")
    assert "[Vehicles] top 5 gaps" in en
