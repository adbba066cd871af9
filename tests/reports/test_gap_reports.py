"""JSON, Markdown, HTML and XLSX renderings of a gap report."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
from openpyxl import load_workbook

from chainmap.exceptions import InvalidInput
from chainmap.reports import gaps as rg


def test_json_has_items_and_summary(report):
    doc = json.loads(rg.gaps_json(report))
    assert doc["summary"]["qi"]["total"] == 5 and doc["summary"]["cai"]["total"] == 2
    assert len(doc["items"]) == 7
    first = doc["items"][0]
    for key in ("chain_id", "segment_id", "segment_name", "region_id", "status", "priority", "components",
                "rationale", "local_enterprises", "stage", "value_added", "criticality", "density",
                "local_count", "demand_segments"):
        assert key in first
    assert "补链" in rg.gaps_json(report)  # Chinese not escaped


def test_markdown_has_summary_and_rationales(report):
    md = rg.gaps_markdown(report)
    assert md.startswith("# 运城市 产业链缺口分析")
    assert "| 链 | 补链 | 强链 | 延链 | 健全 | 暂不布局 | 不适宜 | 待核实 | 合计 |" in md
    assert "## 汽车" in md and "## 材料" in md
    for item in report.items:
        assert item.rationale.replace("|", "\\|") in md
    assert "## 链主培育候选" in md


def test_markdown_english(report_en):
    md = rg.gaps_markdown(report_en)
    assert md.startswith("# Yuncheng: industrial-chain gap analysis")
    assert "| chain | fill | strengthen | extend | sound | not a priority | unsuitable | unverified | total |" in md


def test_html_embeds_one_svg_box_per_segment(report, data):
    page = rg.gaps_html(report, data.graph)
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == 2  # one diagram per chain
    for chain, n in (("qi", 5), ("cai", 2)):
        m = re.search(rf'<svg[^>]*data-chain-id="{chain}".*?</svg>', page, re.S)
        assert m, chain
        svg = m.group(0)
        assert len(re.findall(r'class="cm-seg cm-status-', svg)) == n
        ET.fromstring(svg)  # well-formed
    # status colours and the A4 print rules, nothing external
    assert 'class="cm-seg cm-status-fill"' in page
    assert "@media print" in page and "size:A4" in page
    assert "<script" not in page and "<link" not in page and "http://" not in page.replace(
        "http://www.w3.org/2000/svg", ""
    )
    assert "https://" not in page


def test_html_without_graph_has_no_diagram(report):
    page = rg.gaps_html(report)
    assert "<svg" not in page and "<table>" in page


def test_xlsx_opens_with_a_sheet_per_chain(report, tmp_path):
    path = tmp_path / "gaps.xlsx"
    rg.write_gaps_xlsx(report, path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["汇总", "汽车", "材料"]
    ws = wb["汽车"]
    headers = [c.value for c in ws[1]]
    for h in ("环节", "阶段", "状态", "优先级", "本地企业数", "本地企业", "关键度", "关联密度", "理由"):
        assert h in headers
    assert ws.max_row == 1 + 5
    col = {h: i for i, h in enumerate(headers)}
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    priorities = [r[col["优先级"]] for r in rows]
    assert priorities == sorted(priorities, reverse=True)
    assert all(isinstance(p, float | int) for p in priorities)
    summary = wb["汇总"]
    values = [[c.value for c in row] for row in summary.iter_rows()]
    assert ["链", "补链", "强链", "延链", "健全", "暂不布局", "不适宜", "待核实", "合计"] in values


def test_xlsx_bytes_and_english(report_en):
    wb = load_workbook(io.BytesIO(rg.gaps_xlsx_bytes(report_en)))
    assert wb.sheetnames == ["summary", "Vehicles", "Materials"]
    assert [c.value for c in wb["Vehicles"][1]][:4] == ["segment", "segment id", "stage", "status"]


def test_render_dispatch(report, data):
    assert isinstance(rg.render_gaps(report, "json"), str)
    assert isinstance(rg.render_gaps(report, "xlsx"), bytes)
    assert "<svg" in rg.render_gaps(report, "html", graph=data.graph)
    assert rg.render_gaps(report, "md").startswith("#")
    with pytest.raises(InvalidInput, match="expected one of"):
        rg.render_gaps(report, "pdf")


def test_empty_region_renders(data):
    from chainmap.analysis.gaps import analyze_gaps

    rep = analyze_gaps(data, region="xiaxian")
    assert "<svg" in rg.gaps_html(rep, data.graph)
    assert rg.gaps_markdown(rep)
    load_workbook(io.BytesIO(rg.gaps_xlsx_bytes(rep)))


# ---------------------------------------------------------------- one vocabulary in every format


@pytest.fixture(scope="module")
def seed_report():
    from chainmap.analysis.gaps import analyze_gaps
    from chainmap.seed import load_seed

    data = load_seed()
    return data, analyze_gaps(data, region="yuncheng")


def test_every_format_carries_the_seven_statuses_and_their_legend(seed_report, tmp_path):
    from chainmap.labels import GAP_STATUS, GAP_STATUS_COLOURS, GAP_STATUS_MEANING

    data, rep = seed_report
    assert {"not_priority", "unsuitable"} <= {i.status for i in rep.items}
    md = rg.gaps_markdown(rep)
    for code, (zh, _en) in GAP_STATUS.items():
        assert f"| {zh} | {GAP_STATUS_MEANING[code][0]} |" in md, code  # the legend table
    page = rg.gaps_html(rep, graph=data.graph)
    for code, (stroke, fill) in GAP_STATUS_COLOURS.items():
        assert f".st-{code}{{color:{stroke};background:{fill};border-color:{stroke}}}" in page, code
    for code in GAP_STATUS:
        assert f'<span class="badge st-{code}">' in page, code
        assert f'cm-legend-item" data-status="{code}"' in page, code  # each diagram's legend
    path = tmp_path / "seed.xlsx"
    rg.write_gaps_xlsx(rep, path)
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    legend = {r[0].value: r[0].fill.fgColor.rgb[-6:].lower() for r in ws.iter_rows() if r[0].value in
              {zh for zh, _ in GAP_STATUS.values()} and r[1].value in {m for m, _ in GAP_STATUS_MEANING.values()}}
    assert legend == {zh: GAP_STATUS_COLOURS[c][1].lstrip("#") for c, (zh, _) in GAP_STATUS.items()}
    qi = wb.worksheets[2]  # 汽: a 不适宜 row is filled with the unsuitable colour, kind and policy columns
    heads = [c.value for c in qi[1]]
    assert heads[16:18] == ["环节类型", "政策依据"] and heads[15] == "理由"
    assert heads[18:] == ["缺失核实", "确认后状态"]  # the census columns (chainmap.census.coverage)
    rows = {r[1].value: r for r in qi.iter_rows(min_row=2)}
    ore = rows["qi.lithium"]
    assert ore[3].value == "不适宜" and ore[3].fill.fgColor.rgb[-6:].lower() == GAP_STATUS_COLOURS["unsuitable"][1][1:]
    assert ore[16].value == "资源禀赋"
    steel = {r[1].value: r for r in wb.worksheets[4].iter_rows(min_row=2)}["cai.steel.billet"]
    assert steel[3].value == "不适宜" and "晋政发〔2018〕30号" in steel[17].value
