"""The leads workbook (招商线索表): a formatted XLSX a task force can print and forward.

Made like the gaps workbook (:mod:`chainmap.reports.gaps`): Chinese sheet names and
headers first (English with ``lang="en"``), labels instead of codes (gap status, relation,
investor kind, flags), column widths fitted to the text, a frozen header row, the reason
wrapped, print setup fitting A4 landscape width with the header repeated on each page, and
the score's contributions as columns (one per feature, labelled in words) so that each
score can be checked by adding its row.  A third sheet explains the columns.  Every cell is
written through :func:`chainmap.safe_output.append_xlsx_row`: no live formulas.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from chainmap.i18n import pick
from chainmap.labels import GAP_STATUS_COLOURS, label
from chainmap.safe_output import append_xlsx_row
from chainmap.textfmt import display_width
from matching.features import FEATURES
from matching.lead_rules import INVESTORS, RELATIONS
from matching.ranking import Lead, LeadPage

__all__ = ["leads_workbook_bytes", "LEAD_COLUMNS"]

_MAX_WIDTH = 40
_REASON_WIDTH = 60
_FEATURE_LABEL = {f.name: (f.zh, f.en) for f in FEATURES}

#: (key, zh header, en header, meaning zh, meaning en) of the main sheet's fixed columns.
LEAD_COLUMNS: tuple[tuple[str, str, str, str, str], ...] = (
    ("rank", "序号", "rank", "在本清单中的名次", "position in this list"),
    ("name", "企业名称", "enterprise", "候选企业", "the candidate enterprise"),
    ("hq", "总部所在地", "headquarters", "省 · 市", "province · city"),
    ("chain", "产业链", "chain", "缺口所在的链", "chain of the gap"),
    ("gap", "缺口环节", "gap segment", "线索对应的缺口环节", "the gap segment this lead fills"),
    ("gap_status", "缺口类型", "gap type", "补链 / 强链 / 延链", "fill / strengthen / extend"),
    ("gap_priority", "缺口优先级", "gap priority", "0–1，越高越急", "0–1, higher is more urgent"),
    ("relation", "与缺口的关系", "relation", "生产该环节，或为其供应直接上游", "produces the segment, or supplies its direct input"),
    ("investor", "投资类型", "investor", "新引进，或增资扩产（集团已在本地）", "new investor, or expansion (group already local)"),
    ("affiliates", "本地关联企业", "local affiliates", "同一集团在本地的企业", "local enterprises of the same group"),
    ("score", "线索得分", "score", "0–1；= 基线 + 各项贡献之和", "0–1; = baseline + the contributions"),
    ("flags", "提示", "flags", "同业竞争、链主配套、风险等", "rival, chain-leader supplier, risk …"),
    ("reason", "推荐理由", "reason", "为什么推荐这家企业", "why this enterprise"),
    ("credit_code", "统一社会信用代码", "credit code", "", ""),
    ("demo", "数据来源", "data", "演示数据未经核实", "demo data are unverified"),
)


def _text(lead: Lead, key: str, lang: str, chain_names: Mapping[str, str]) -> Any:
    if key == "hq":
        return " · ".join(p for p in (lead.hq_province, lead.hq_city) if p) or ""
    if key == "chain":
        return chain_names.get(lead.chain_id, lead.chain_id)
    if key == "gap":
        return lead.gap_segment_name
    if key == "gap_status":
        return label("gap_status", lead.gap_status, lang)
    if key == "relation":
        zh, en = RELATIONS.get(lead.relation, (lead.relation, lead.relation))
        return pick(lang, zh, en)
    if key == "investor":
        zh, en = INVESTORS.get(lead.investor, (lead.investor, lead.investor))
        return pick(lang, zh, en)
    if key == "affiliates":
        return "、".join(lead.local_affiliates) if lang == "zh" else ", ".join(lead.local_affiliates)
    if key == "flags":
        notes = [*lead.flag_labels, *lead.risk_notes]
        return "；".join(notes) if lang == "zh" else "; ".join(notes)
    if key == "demo":
        return pick(lang, "演示数据（未经核实）", "demo (unverified)") if lead.demo else pick(lang, "候选企业库", "candidate pool")
    if key == "credit_code":
        return lead.credit_code or ""
    return getattr(lead, key)


def _feature_name(name: str, lang: str) -> str:
    zh, en = _FEATURE_LABEL.get(name, (name, name))
    return pick(lang, zh, en)


def _bold_row(ws: Worksheet) -> None:
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)


def _fit(ws: Worksheet, *, wrap: Sequence[int] = ()) -> None:
    for col in ws.columns:
        letter = get_column_letter(col[0].column)
        width = max((display_width(str(c.value)) for c in col if c.value is not None), default=6)
        ws.column_dimensions[letter].width = min(_MAX_WIDTH, max(8, width + 2))
    for c in wrap:
        ws.column_dimensions[get_column_letter(c)].width = _REASON_WIDTH


def _print_setup(ws: Worksheet, title: str) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.oddHeader.center.text = title
    ws.oddFooter.center.text = "&P / &N"


def leads_workbook_bytes(page: LeadPage, *, lang: str = "zh", chain_names: Mapping[str, str] | None = None,
                         title: str | None = None) -> bytes:
    """The leads workbook of one page of leads, as XLSX bytes.

    Sheets: 招商线索 (one row per lead, labels not codes, the score's contributions as
    columns after the fixed ones), 得分构成 (per lead: baseline, each contribution and the
    sum, which equals the score), 说明 (what each column means).
    """
    names = dict(chain_names or {})
    title = title or pick(lang, "招商线索清单", "Investment-promotion leads")
    feats = sorted({f for lead in page.items for f in lead.contributions})
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = pick(lang, "招商线索", "leads")
    fixed = [pick(lang, zh, en) for _k, zh, en, _mz, _me in LEAD_COLUMNS]
    append_xlsx_row(ws, [*fixed, *(_feature_name(f, lang) for f in feats)])
    _bold_row(ws)
    fills = {s: PatternFill("solid", fgColor=fill.lstrip("#")) for s, (_t, fill) in GAP_STATUS_COLOURS.items()}
    keys = [k for k, *_ in LEAD_COLUMNS]
    status_col = keys.index("gap_status") + 1
    reason_col = keys.index("reason") + 1
    for lead in page.items:
        append_xlsx_row(ws, [*(_text(lead, k, lang, names) for k in keys), *(lead.contributions.get(f, 0.0) for f in feats)])
        r = ws.max_row
        fill = fills.get(lead.gap_status)
        if fill is not None:
            ws.cell(row=r, column=status_col).fill = fill
        ws.cell(row=r, column=reason_col).alignment = Alignment(wrap_text=True, vertical="top")
        for c in (keys.index("gap_priority") + 1, keys.index("score") + 1):
            ws.cell(row=r, column=c).number_format = "0.000"
        for j in range(len(feats)):
            ws.cell(row=r, column=len(keys) + 1 + j).number_format = "0.000"
    _fit(ws, wrap=(reason_col,))
    ws.freeze_panes = "C2"
    _print_setup(ws, title)

    ws2 = wb.create_sheet(pick(lang, "得分构成", "score breakdown"))
    append_xlsx_row(ws2, [pick(lang, "序号", "rank"), pick(lang, "企业名称", "enterprise"), pick(lang, "项目", "term"),
                          pick(lang, "贡献", "contribution")])
    _bold_row(ws2)
    for lead in page.items:
        append_xlsx_row(ws2, [lead.rank, lead.name, pick(lang, "基线", "baseline"), lead.baseline])
        for f in feats:
            v = lead.contributions.get(f, 0.0)
            if v:
                append_xlsx_row(ws2, [lead.rank, lead.name, _feature_name(f, lang), v])
        append_xlsx_row(ws2, [lead.rank, lead.name, pick(lang, "合计 = 线索得分", "total = score"), lead.score])
        ws2.cell(row=ws2.max_row, column=3).font = Font(bold=True)
    for row in ws2.iter_rows(min_row=2, min_col=4, max_col=4):
        for cell in row:
            cell.number_format = "0.000"
    _fit(ws2)
    ws2.freeze_panes = "A2"
    _print_setup(ws2, title)

    ws3 = wb.create_sheet(pick(lang, "说明", "notes"))
    append_xlsx_row(ws3, [pick(lang, "列", "column"), pick(lang, "含义", "meaning")])
    _bold_row(ws3)
    for _k, zh, en, mzh, men in LEAD_COLUMNS:
        append_xlsx_row(ws3, [pick(lang, zh, en), pick(lang, mzh, men)])
    for f in feats:
        append_xlsx_row(ws3, [_feature_name(f, lang), pick(lang, "该项对线索得分的贡献（可为负）", "this term's contribution to the score (may be negative)")])
    append_xlsx_row(ws3, [])
    append_xlsx_row(ws3, [pick(lang, "清单范围", "scope"), f"{page.scope} · {page.chain or ''} {page.gap or ''}".strip()])
    append_xlsx_row(ws3, [pick(lang, "页码", "page"), f"{page.page} · {page.page_size} / {page.total}"])
    append_xlsx_row(ws3, [pick(lang, "模型权重", "model weight"),
                          pick(lang, f"{page.blend_weight:.2f}（已有 {page.n_outcomes} 条项目结果）",
                               f"{page.blend_weight:.2f} ({page.n_outcomes} project outcomes)")])
    _fit(ws3)
    ws3.column_dimensions["B"].width = _REASON_WIDTH
    _print_setup(ws3, title)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
