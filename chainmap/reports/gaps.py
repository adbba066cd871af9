"""Render a :class:`~chainmap.analysis.gaps.GapReport`: JSON, Markdown, HTML and XLSX.

All texts follow the report's language (``report.lang``: Chinese by default).

* :func:`gaps_json` -- the summary, the 链主 candidates and the list of items;
* :func:`gaps_markdown` -- a summary table, then per chain a table of items with
  their rationale;
* :func:`gaps_html` -- one self-contained page (no external CSS, JS or fonts)
  embedding each chain's SVG diagram (:func:`chainmap.reports.svg.render_chain_svg`)
  coloured by status; ``@media print`` rules lay it out on A4;
* :func:`write_gaps_xlsx` -- a summary sheet (汇总) then one sheet per chain with
  the columns task forces use (环节, 阶段, 状态, 优先级, 本地企业数, 本地企业,
  关键度, 关联密度, 理由 ...).

:func:`render_gaps` dispatches on a format name.

>>> from chainmap.analysis.gaps import GapReport
>>> rep = GapReport(region="yuncheng", region_name="运城市", chain=None, chains=[], chain_names={},
...                 lang="zh", density_mode={}, summary={}, chain_leader_candidates=[], items=[], parameters={})
>>> gaps_markdown(rep).splitlines()[0]
'# 运城市 产业链缺口分析（补链·强链·延链）'
"""

from __future__ import annotations

import html
import io
import json
import os
from collections.abc import Iterable, Sequence
from typing import IO, Any

import networkx as nx
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from chainmap.analysis.gaps import STATUS_LABELS, STATUSES, GapItem, GapReport
from chainmap.exceptions import InvalidInput
from chainmap.i18n import pick
from chainmap.labels import ABSENCE_BASIS, GAP_STATUS_MEANING, SEGMENT_KIND, SEGMENT_STAGE
from chainmap.reports.svg import FONT_FAMILY, STATUS_COLOURS, render_chain_svg
from chainmap.safe_output import append_xlsx_row, md_escape
from chainmap.textfmt import display_width

__all__ = [
    "GAP_FORMATS",
    "gap_table",
    "summary_table",
    "status_legend",
    "coverage_lines",
    "gaps_json",
    "gaps_markdown",
    "gaps_html",
    "write_gaps_xlsx",
    "gaps_xlsx_bytes",
    "render_gaps",
]

#: Formats understood by :func:`render_gaps` (``xlsx`` gives bytes, the others text).
GAP_FORMATS = ("json", "md", "html", "xlsx")

_STAGE_LABELS = dict(SEGMENT_STAGE)
_MAX_WIDTH = 60


def _status(status: str, lang: str) -> str:
    zh, en = STATUS_LABELS.get(status, (status, status))
    return pick(lang, zh, en)


def _stage(stage: str, lang: str) -> str:
    zh, en = _STAGE_LABELS.get(stage, (stage, stage))
    return pick(lang, zh, en)


def _yes(flag: bool, lang: str) -> str:
    return pick(lang, "是", "yes") if flag else pick(lang, "否", "no")


def _names(it: GapItem, lang: str) -> str:
    return pick(lang, "、", ", ").join(e["name"] for e in it.local_enterprises)


# (zh header, en header, getter(item, lang))
_COLUMNS: list[tuple[str, str, Any]] = [
    ("环节", "segment", lambda i, lang: i.segment_name),
    ("环节编号", "segment id", lambda i, lang: i.segment_id),
    ("阶段", "stage", lambda i, lang: _stage(i.stage, lang)),
    ("状态", "status", lambda i, lang: _status(i.status, lang)),
    ("优先级", "priority", lambda i, lang: i.priority),
    ("本地企业数", "local firms", lambda i, lang: i.local_count),
    ("本地企业", "local enterprises", _names),
    ("本地需求企业数", "local demand firms", lambda i, lang: i.demand_count),
    ("需求环节", "demand segments", lambda i, lang: pick(lang, "、", ", ").join(i.demand_segments)),
    ("关键度", "criticality", lambda i, lang: i.criticality),
    ("关联密度", "density", lambda i, lang: i.density),
    ("区位商", "location quotient", lambda i, lang: i.lq),
    ("附加值", "value added", lambda i, lang: i.value_added),
    ("卡脖子", "chokepoint", lambda i, lang: _yes(i.chokepoint, lang)),
    ("链主/链核", "chain leader/core", lambda i, lang: _yes(i.has_chain_leader, lang)),
    ("理由", "rationale", lambda i, lang: i.rationale),
    ("环节类型", "segment kind", lambda i, lang: pick(lang, *SEGMENT_KIND.get(i.kind, (i.kind, i.kind)))),
    ("政策依据", "policies", lambda i, lang: _policies(i, lang)),
    ("缺失核实", "absence basis", lambda i, lang: _basis(i, lang)),
    ("确认后状态", "if confirmed", lambda i, lang: _status(i.would_be, lang) if i.would_be else ""),
]


def _basis(it: GapItem, lang: str) -> str:
    """Why the absence is (or is not) confirmed (:data:`chainmap.labels.ABSENCE_BASIS`); empty when present."""
    if not it.absence_basis:
        return ""
    return pick(lang, *ABSENCE_BASIS.get(it.absence_basis, (it.absence_basis, it.absence_basis)))


def _policies(it: GapItem, lang: str) -> str:
    sep = pick(lang, "；", "; ")
    return sep.join(f"{p['title']}{(' ' + p['document']) if p['document'] else ''}" for p in it.policies)


def status_legend(lang: str = "zh") -> tuple[list[str], list[list[str]]]:
    """Headers and rows of the status legend: every status with its meaning, in display order
    (:data:`chainmap.labels.GAP_STATUS_MEANING`).

    >>> status_legend("zh")[1][4]
    ['暂不布局', '本地无企业、暂无本地需求：非当前重点']
    """
    headers = [pick(lang, "状态", "status"), pick(lang, "含义", "meaning")]
    return headers, [[_status(s, lang), pick(lang, *GAP_STATUS_MEANING[s])] for s in STATUSES]


def gap_table(items: Iterable[GapItem], *, lang: str = "zh") -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of the item table (numbers kept as numbers).

    >>> headers, rows = gap_table([], lang="zh")
    >>> headers[:6]
    ['环节', '环节编号', '阶段', '状态', '优先级', '本地企业数']
    """
    headers = [pick(lang, zh, en) for zh, en, _ in _COLUMNS]
    rows = [[get(i, lang) for _, _, get in _COLUMNS] for i in items]
    return headers, rows


def coverage_lines(report: GapReport) -> list[str]:
    """What the census knows: one line per chain (``report.coverage``, e.g. ``闻喜县：已导入规上工业企业名录
    2026-11；本链已核实环节 34/68``), then the pending-assignment line.

    >>> from chainmap.analysis.gaps import GapReport
    >>> rep = GapReport(region="r", region_name="R", chain=None, chains=["qi"], chain_names={"qi": "汽车"},
    ...                 lang="zh", density_mode={}, summary={}, chain_leader_candidates=[], items=[], parameters={},
    ...                 coverage={"qi": {"text": "R：本地企业名录未导入；本链已核实环节 1/5"}}, pending_assignments=3)
    >>> coverage_lines(rep)
    ['汽车 — R：本地企业名录未导入；本链已核实环节 1/5', '待审核的企业归属：3 条（chainmap review list）']
    """
    lang = report.lang
    out = [
        f"{report.chain_names.get(c, c)} — {report.coverage[c]['text']}" for c in report.chains if c in report.coverage
    ]
    if report.coverage:
        out.append(
            pick(
                lang,
                f"待审核的企业归属：{report.pending_assignments} 条（chainmap review list）",
                f"assignments pending review: {report.pending_assignments} (chainmap review list)",
            )
        )
    return out


def summary_table(report: GapReport) -> tuple[list[str], list[list[Any]]]:
    """Counts per status per chain, one row per chain plus a total row.

    >>> from chainmap.analysis.gaps import GapReport
    >>> rep = GapReport(region="r", region_name="R", chain=None, chains=["qi"], chain_names={"qi": "汽车"},
    ...                 lang="zh", density_mode={}, summary={"qi": {"fill": 2, "strengthen": 1, "extend": 0,
    ...                 "sound": 3, "total": 6}}, chain_leader_candidates=[], items=[], parameters={})
    >>> summary_table(rep)
    (['链', '补链', '强链', '延链', '健全', '暂不布局', '不适宜', '待核实', '合计'], [['汽车', 2, 1, 0, 3, 0, 0, 0, 6], ['合计', 2, 1, 0, 3, 0, 0, 0, 6]])
    """
    lang = report.lang
    headers = (
        [pick(lang, "链", "chain")] + [_status(s, lang) for s in STATUSES] + [pick(lang, "合计", "total")]
    )
    rows: list[list[Any]] = []
    totals = [0] * (len(STATUSES) + 1)
    for c in report.chains:
        counts = report.summary.get(c, {})
        vals = [int(counts.get(s, 0)) for s in STATUSES] + [int(counts.get("total", 0))]
        totals = [a + b for a, b in zip(totals, vals, strict=True)]
        rows.append([report.chain_names.get(c, c), *vals])
    rows.append([pick(lang, "合计", "total"), *totals])
    return headers, rows


def _title(report: GapReport) -> str:
    return pick(
        report.lang,
        f"{report.region_name} 产业链缺口分析（补链·强链·延链）",
        f"{report.region_name}: industrial-chain gap analysis (fill / strengthen / extend)",
    )


# ---------------------------------------------------------------- JSON


def gaps_json(report: GapReport, *, indent: int | None = 2) -> str:
    """The report as JSON: ``region``, ``chains``, ``summary``, ``chain_leader_candidates``,
    ``items`` (UTF-8 text, Chinese not escaped).

    >>> from chainmap.analysis.gaps import GapReport
    >>> rep = GapReport(region="r", region_name="R", chain=None, chains=[], chain_names={}, lang="zh",
    ...                 density_mode={}, summary={}, chain_leader_candidates=[], items=[], parameters={})
    >>> sorted(json.loads(gaps_json(rep)))[:4]
    ['chain', 'chain_leader_candidates', 'chain_names', 'chains']
    """
    return json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=indent)


# ---------------------------------------------------------------- Markdown


def _md_cell(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.2f}"
    return md_escape(v)


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    out = ["| " + " | ".join(md_escape(h) for h in headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out.extend("| " + " | ".join(_md_cell(v) for v in r) + " |" for r in rows)
    return out


_MD_COLUMNS = (
    0,
    2,
    3,
    4,
    5,
    6,
    9,
    10,
    15,
)  # segment, stage, status, priority, count, firms, crit, density, rationale


def gaps_markdown(report: GapReport) -> str:
    """The report as Markdown: summary, 链主 candidates, then per chain its items with rationales."""
    lang = report.lang
    lines = [f"# {md_escape(_title(report))}", ""]
    lines.append(pick(lang, "## 汇总", "## Summary"))
    lines.append("")
    lines.extend(_md_table(*summary_table(report)))
    lines.append("")
    cov = coverage_lines(report)
    if cov:
        lines.append(pick(lang, "## 普查覆盖", "## Census coverage"))
        lines.append("")
        lines.extend(f"- {md_escape(x)}" for x in cov)
        lines.append("")
    lines.append(pick(lang, "## 状态说明", "## Statuses"))
    lines.append("")
    lines.extend(_md_table(*status_legend(lang)))
    lines.append("")
    if report.chain_leader_candidates:
        lines.append(pick(lang, "## 链主培育候选", "## Chain-leader candidates"))
        lines.append("")
        heads = [
            pick(lang, "链", "chain"),
            pick(lang, "企业", "enterprise"),
            pick(lang, "得分", "score"),
            pick(lang, "环节", "segments"),
            pick(lang, "独家环节", "sole producer in"),
        ]
        rows = [
            [
                report.chain_names.get(c.chain_id, c.chain_id),
                c.name,
                c.score,
                pick(lang, "、", ", ").join(c.segments),
                pick(lang, "、", ", ").join(c.sole_segments),
            ]
            for c in report.chain_leader_candidates
        ]
        lines.extend(_md_table(heads, rows))
        lines.append("")
    for c in report.chains:
        items = [i for i in report.items if i.chain_id == c]
        lines.append(f"## {md_escape(report.chain_names.get(c, c))}")
        lines.append("")
        headers, rows = gap_table(items, lang=lang)
        lines.extend(
            _md_table([headers[k] for k in _MD_COLUMNS], [[r[k] for k in _MD_COLUMNS] for r in rows])
        )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# ---------------------------------------------------------------- HTML

_CSS = """
body{font-family:%(font)s;color:#1a202c;margin:24px;line-height:1.5;font-size:14px}
h1{font-size:22px;margin:0 0 8px}h2{font-size:18px;margin:28px 0 8px;border-bottom:2px solid #e2e8f0}
table{border-collapse:collapse;width:100%%;margin:8px 0 16px;font-size:12.5px}
th,td{border:1px solid #cbd5e0;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#edf2f7}td.num{text-align:right;white-space:nowrap}
.badge{display:inline-block;padding:0 6px;border-radius:4px;border:1px solid;white-space:nowrap}
.diagram{overflow-x:auto;margin:8px 0}.diagram svg{max-width:100%%;height:auto}
.meta{color:#4a5568;font-size:12.5px}
%(badges)s
@media print{
 @page{size:A4;margin:12mm}
 body{margin:0;font-size:10.5pt}
 section.chain{break-before:page;page-break-before:always}
 .diagram{overflow:visible}.diagram svg{width:100%%;height:auto}
 table{font-size:8.5pt}thead{display:table-header-group}
 tr,.diagram{break-inside:avoid;page-break-inside:avoid}
 a{color:inherit;text-decoration:none}
}
"""


def _badge_css() -> str:
    return "".join(
        f".st-{s}{{color:{stroke};background:{fill};border-color:{stroke}}}"
        for s, (stroke, fill) in STATUS_COLOURS.items()
    )


def _h(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.2f}"
    return html.escape(str(v))


def _html_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    status_col: int | None = None,
    statuses: Sequence[str] = (),
) -> str:
    out = ["<table><thead><tr>", *(f"<th>{html.escape(h)}</th>" for h in headers), "</tr></thead><tbody>"]
    for ri, r in enumerate(rows):
        out.append("<tr>")
        for ci, v in enumerate(r):
            if status_col is not None and ci == status_col and ri < len(statuses):
                out.append(f'<td><span class="badge st-{statuses[ri]}">{_h(v)}</span></td>')
            elif isinstance(v, int | float) and not isinstance(v, bool):
                out.append(f'<td class="num">{_h(v)}</td>')
            else:
                out.append(f"<td>{_h(v)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


_HTML_COLUMNS = (0, 2, 3, 4, 5, 6, 7, 9, 10, 11, 15)


def gaps_html(report: GapReport, graph: nx.DiGraph | None = None) -> str:
    """The report as one self-contained HTML page.

    Parameters
    ----------
    report : GapReport
    graph : networkx.DiGraph, optional
        The chain graph; when given, each chain section embeds its SVG diagram
        (:func:`chainmap.reports.svg.render_chain_svg`) coloured by status.

    Returns
    -------
    str
        ``<!DOCTYPE html>`` page with inline CSS (A4 print rules), no scripts
        and no external resources.
    """
    lang = report.lang
    title = _title(report)
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{"en" if lang == "en" else "zh-CN"}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        "<style>" + _CSS % {"font": FONT_FAMILY, "badges": _badge_css()} + "</style>",
        "</head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    modes = ", ".join(f"{report.chain_names.get(c, c)}: {m}" for c, m in report.density_mode.items())
    out.append(
        '<p class="meta">'
        + html.escape(
            pick(
                lang,
                f"地区：{report.region_name}（{report.region}）；本地生产企业 {int(report.parameters.get('local_producers', 0))} 家；关联密度依据：{modes}",
                f"Region: {report.region_name} ({report.region}); local producing firms: "
                f"{int(report.parameters.get('local_producers', 0))}; density basis: {modes}",
            )
        )
        + "</p>"
    )
    out.append(f"<h2>{html.escape(pick(lang, '汇总', 'Summary'))}</h2>")
    out.append(_html_table(*summary_table(report)))
    cov = coverage_lines(report)
    if cov:
        out.append(f"<h2>{html.escape(pick(lang, '普查覆盖', 'Census coverage'))}</h2>")
        out.append('<ul class="coverage">' + "".join(f"<li>{html.escape(x)}</li>" for x in cov) + "</ul>")
    legend_heads, legend_rows = status_legend(lang)
    out.append(f"<h2>{html.escape(pick(lang, '状态说明', 'Statuses'))}</h2>")
    out.append(_html_table(legend_heads, legend_rows, status_col=0, statuses=list(STATUSES)))
    if report.chain_leader_candidates:
        out.append(f"<h2>{html.escape(pick(lang, '链主培育候选', 'Chain-leader candidates'))}</h2>")
        heads = [
            pick(lang, "链", "chain"),
            pick(lang, "企业", "enterprise"),
            pick(lang, "得分", "score"),
            pick(lang, "环节", "segments"),
            pick(lang, "独家环节", "sole producer in"),
        ]
        rows = [
            [
                report.chain_names.get(c.chain_id, c.chain_id),
                c.name,
                c.score,
                ", ".join(c.segments),
                ", ".join(c.sole_segments),
            ]
            for c in report.chain_leader_candidates
        ]
        out.append(_html_table(heads, rows))
    for c in report.chains:
        items = [i for i in report.items if i.chain_id == c]
        counts = report.summary.get(c, {})
        out.append(f'<section class="chain" data-chain-id="{html.escape(c)}">')
        out.append(f"<h2>{html.escape(report.chain_names.get(c, c))}</h2>")
        out.append(
            '<p class="meta">'
            + " · ".join(
                f'<span class="badge st-{s}">{html.escape(_status(s, lang))} {int(counts.get(s, 0))}</span>'
                for s in STATUSES
            )
            + "</p>"
        )
        if graph is not None:
            out.append('<div class="diagram">' + render_chain_svg(graph, c, items, lang=lang) + "</div>")
        headers, rows = gap_table(items, lang=lang)
        out.append(
            _html_table(
                [headers[k] for k in _HTML_COLUMNS],
                [[r[k] for k in _HTML_COLUMNS] for r in rows],
                status_col=2,
                statuses=[i.status for i in items],
            )
        )
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- XLSX


def _sheet_title(name: str, used: set[str]) -> str:
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in name).strip() or "sheet"
    title = clean[:31]
    k = 2
    while title.lower() in used:
        suffix = f"_{k}"
        title = clean[: 31 - len(suffix)] + suffix
        k += 1
    used.add(title.lower())
    return title


def _write(ws: Any, rows: Sequence[Sequence[Any]], *, bold: bool = False) -> None:
    for r in rows:
        append_xlsx_row(ws, r)
        if bold:
            for cell in ws[ws.max_row]:
                cell.font = Font(bold=True)


def _fit(ws: Any) -> None:
    for col in ws.columns:
        width = max((display_width(str(c.value)) for c in col if c.value is not None), default=6)
        ws.column_dimensions[get_column_letter(col[0].column)].width = min(_MAX_WIDTH, max(8, width + 2))


def write_gaps_xlsx(report: GapReport, target: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write the workbook: a summary sheet, then one sheet per chain.

    The summary sheet (汇总 / summary) holds the region, the counts per status
    per chain and the 链主 candidates; each chain sheet holds one row per
    segment (sorted by priority) with :func:`gap_table`'s columns, the
    rationale wrapped, the status cell coloured.
    """
    lang = report.lang
    wb = Workbook()
    ws = wb.active
    used: set[str] = set()
    ws.title = _sheet_title(pick(lang, "汇总", "summary"), used)
    _write(ws, [[_title(report)]], bold=True)
    _write(ws, [[pick(lang, "地区", "region"), report.region_name, report.region]])
    _write(ws, [[]])
    headers, rows = summary_table(report)
    _write(ws, [headers], bold=True)
    _write(ws, rows)
    cov = coverage_lines(report)
    if cov:
        _write(ws, [[]])
        _write(ws, [[pick(lang, "普查覆盖", "census coverage")]], bold=True)
        _write(ws, [[x] for x in cov])
    fills = {s: PatternFill("solid", fgColor=fill.lstrip("#")) for s, (_, fill) in STATUS_COLOURS.items()}
    _write(ws, [[]])
    legend_heads, legend_rows = status_legend(lang)
    _write(ws, [legend_heads], bold=True)
    _write(ws, legend_rows)
    for k, s in enumerate(STATUSES):
        ws.cell(row=ws.max_row - len(STATUSES) + 1 + k, column=1).fill = fills[s]
    if report.chain_leader_candidates:
        _write(ws, [[]])
        _write(ws, [[pick(lang, "链主培育候选", "chain-leader candidates")]], bold=True)
        _write(
            ws,
            [
                [
                    pick(lang, "链", "chain"),
                    pick(lang, "企业", "enterprise"),
                    pick(lang, "得分", "score"),
                    pick(lang, "环节", "segments"),
                    pick(lang, "独家环节", "sole producer in"),
                ]
            ],
            bold=True,
        )
        _write(
            ws,
            [
                [
                    report.chain_names.get(c.chain_id, c.chain_id),
                    c.name,
                    c.score,
                    ", ".join(c.segments),
                    ", ".join(c.sole_segments),
                ]
                for c in report.chain_leader_candidates
            ],
        )
    _fit(ws)
    status_col = 4  # 1-based column of 状态
    reason_col = 16  # 1-based column of 理由
    for c in report.chains:
        wsc = wb.create_sheet(_sheet_title(report.chain_names.get(c, c), used))
        items = [i for i in report.items if i.chain_id == c]
        headers, rows = gap_table(items, lang=lang)
        _write(wsc, [headers], bold=True)
        _write(wsc, rows)
        for r, it in enumerate(items, start=2):
            wsc.cell(row=r, column=status_col).fill = fills[it.status]
            wsc.cell(row=r, column=reason_col).alignment = Alignment(wrap_text=True, vertical="top")
            wsc.cell(row=r, column=5).number_format = "0.00"
            for col in (10, 11, 12):
                wsc.cell(row=r, column=col).number_format = "0.00"
        _fit(wsc)
        wsc.column_dimensions[get_column_letter(reason_col)].width = _MAX_WIDTH + 20
        wsc.freeze_panes = "B2"
    wb.save(target)


def gaps_xlsx_bytes(report: GapReport) -> bytes:
    """The workbook of :func:`write_gaps_xlsx` as bytes."""
    buf = io.BytesIO()
    write_gaps_xlsx(report, buf)
    return buf.getvalue()


def render_gaps(report: GapReport, fmt: str, *, graph: nx.DiGraph | None = None) -> str | bytes:
    """Render in one of :data:`GAP_FORMATS` (``xlsx`` returns bytes).

    Raises
    ------
    InvalidInput
        For an unknown format.
    """
    if fmt == "json":
        return gaps_json(report)
    if fmt in ("md", "markdown"):
        return gaps_markdown(report)
    if fmt == "html":
        return gaps_html(report, graph)
    if fmt == "xlsx":
        return gaps_xlsx_bytes(report)
    raise InvalidInput(f"unknown format {fmt!r}; expected one of {', '.join(GAP_FORMATS)}", field="format")
