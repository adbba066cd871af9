"""``chainmap gaps``: the 补链 / 强链 / 延链 report of a region, in the terminal or as a file.

Thin: parse -> :func:`chainmap.analysis.gaps.analyze_gaps` -> render
(:mod:`chainmap.reports.gaps`).  The root command (``api.cli``) mounts
:func:`gaps` as ``chainmap gaps``; :func:`demo_summary` is printed by the demo
command.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from chainmap.analysis.gaps import STATUS_LABELS, STATUSES, GapReport, analyze_gaps, select_items
from chainmap.cli_common import handle_errors
from chainmap.exceptions import InvalidInput
from chainmap.i18n import norm_lang, pick
from chainmap.models import RegionKind
from chainmap.reports.gaps import gaps_html, gaps_json, gaps_markdown, summary_table, write_gaps_xlsx
from chainmap.textfmt import table

__all__ = ["app", "gaps", "demo_summary", "load_chain_data", "GAP_CLI_FORMATS"]

app = typer.Typer(add_completion=False)

#: ``--format`` values.
GAP_CLI_FORMATS = ("table", "json", "md", "html", "xlsx")
_TYPES = STATUSES


def load_chain_data(lang: str = "zh") -> Any:
    """The data the command analyses: the configured store, initialised from the
    shipped seed when empty (same as every other command)."""
    from chainmap.cli import open_data

    return open_data(lang)


def _filtered(report: GapReport, status: str | None) -> GapReport:
    if status is None:
        return report
    return report.model_copy(update={"items": select_items(report, status=status)})


def _table(report: GapReport) -> str:
    lang = report.lang
    heads, rows = summary_table(report)
    parts = [
        pick(lang, f"{report.region_name} 产业链缺口分析", f"{report.region_name}: chain gap analysis"),
        "",
        table(heads, rows),
        "",
    ]
    headers = [
        pick(lang, "优先级", "priority"),
        pick(lang, "状态", "status"),
        pick(lang, "链", "chain"),
        pick(lang, "环节", "segment"),
        pick(lang, "本地企业数", "local"),
        pick(lang, "关键度", "crit."),
        pick(lang, "关联密度", "density"),
        pick(lang, "理由", "rationale"),
    ]
    body = [
        [
            i.priority,
            pick(lang, *STATUS_LABELS[i.status]),
            report.chain_names.get(i.chain_id, i.chain_id),
            i.segment_name,
            i.local_count,
            i.criticality,
            i.density,
            i.rationale,
        ]
        for i in report.items
    ]
    parts.append(
        table(headers, body) if body else pick(lang, "（无符合条件的环节）", "(no matching segments)")
    )
    return "\n".join(parts)


@app.command("gaps")
@handle_errors
def gaps(
    chain: str | None = typer.Option(
        None, "--chain", "-c", help="链编号（默认全部四条链）/ chain id (default: all)"
    ),
    region: str = typer.Option(
        "yuncheng", "--region", "-r", help="地区：市、县（市、区）或开发区 / region id"
    ),
    type: str | None = typer.Option(
        None, "--type", "-t", help="fill|strengthen|extend|sound（补链/强链/延链/健全）"
    ),
    format: str = typer.Option("table", "--format", "-f", help="table|json|md|html|xlsx"),
    output: Path | None = typer.Option(None, "--output", "-o", help="输出文件 / output file"),
    lang: str = typer.Option("zh", "--lang", help="zh|en"),
) -> None:
    """产业链缺口分析：补链、强链、延链 / gap analysis: fill, strengthen, extend."""
    lang = norm_lang(lang)
    if format not in GAP_CLI_FORMATS:
        raise InvalidInput(
            f"unknown format {format!r}; expected one of {', '.join(GAP_CLI_FORMATS)}", field="format"
        )
    if type is not None and type not in _TYPES:
        raise InvalidInput(f"unknown type {type!r}; expected one of {', '.join(_TYPES)}", field="type")
    if format == "xlsx" and output is None:
        raise InvalidInput(
            pick(lang, "xlsx 格式需要指定输出文件", "the xlsx format needs an output file"),
            field="output",
            hint="-o gaps.xlsx",
        )
    data = load_chain_data()
    report = _filtered(analyze_gaps(data, region=region, chain=chain, lang=lang), type)
    if format == "xlsx":
        assert output is not None
        write_gaps_xlsx(report, output)
        typer.echo(pick(lang, f"已写入 {output}", f"written to {output}"), err=True)
        return
    if format == "json":
        text = gaps_json(report)
    elif format == "md":
        text = gaps_markdown(report)
    elif format == "html":
        text = gaps_html(report, data.graph)
    else:
        text = _table(report)
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(pick(lang, f"已写入 {output}", f"written to {output}"), err=True)


def demo_summary(data: Any, lang: str = "zh", *, top: int = 5) -> str:
    """City-wide summary: counts per status per chain and each chain's top ``top`` gaps.

    The city is the region of kind ``city`` (运城市).  A "gap" is any item that
    is not ``sound``, in priority order.
    """
    lang = norm_lang(lang)
    city = next(
        (r.id for r in sorted(data.regions, key=lambda r: r.id) if r.kind == RegionKind.city), "yuncheng"
    )
    report = analyze_gaps(data, region=city, lang=lang)
    heads, rows = summary_table(report)
    lines = [
        pick(
            lang,
            f"{report.region_name} 合汽生材产业链缺口概览（补链·强链·延链）",
            f"{report.region_name}: gap overview of the 合汽生材 chains",
        ),
        "",
        table(heads, rows),
    ]
    for c in report.chains:
        gaps_ = [i for i in select_items(report, chain=c) if i.status != "sound"][:top]
        name = report.chain_names.get(c, c)
        lines.append("")
        lines.append(pick(lang, f"【{name}】优先缺口（前{top}项）", f"[{name}] top {top} gaps"))
        if not gaps_:
            lines.append(pick(lang, "  （无）", "  (none)"))
        for k, i in enumerate(gaps_, start=1):
            label = pick(lang, *STATUS_LABELS[i.status])
            lines.append(f"  {k}. [{label} {i.priority:.2f}] {i.rationale}")
    return "\n".join(lines) + "\n"
