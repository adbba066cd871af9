"""``chainmap gaps``: the 补链 / 强链 / 延链 report of a region, in the terminal or as a file.

Thin: parse -> :func:`chainmap.service.gap_report` -> render
(:func:`chainmap.service.render_gap_report`, :mod:`chainmap.reports.gaps`).
:mod:`chainmap.cli` mounts :func:`gaps` as ``chainmap gaps``; :func:`demo_summary` is
printed by the demo command.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from chainmap.analysis.gaps_text import STATUS_LABELS
from chainmap.cli.common import LangOpt, check_format, check_output, handle_errors, new_app, write_output
from chainmap.cli.data import open_data
from chainmap.exceptions import InvalidInput
from chainmap.i18n import norm_lang, pick
from chainmap.textfmt import table

if TYPE_CHECKING:  # the services and the analysis stack (networkx, numpy, scipy, openpyxl) load when a command runs
    from chainmap.analysis.gaps import GapReport
    from chainmap.cache import ResultCache
    from chainmap.data import ChainData

__all__ = ["app", "gaps", "demo_summary", "load_chain_data", "GAP_CLI_FORMATS"]

app = new_app()

#: ``--format`` values.
GAP_CLI_FORMATS = ("table", "json", "md", "html", "xlsx")
_TYPES: tuple[str, ...] = tuple(STATUS_LABELS)  # == chainmap.analysis.gaps.STATUSES


def load_chain_data(lang: str = "zh") -> ChainData:
    """The data the command analyses: the configured store, initialised from the
    shipped seed when empty (same as every other command)."""
    return open_data(lang)


def _table(report: GapReport) -> str:
    from chainmap.reports.gaps import coverage_lines, summary_table

    lang = report.lang
    heads, rows = summary_table(report)
    parts = [
        pick(lang, f"{report.region_name} 产业链缺口分析", f"{report.region_name}: chain gap analysis"),
        "",
        table(heads, rows),
        "",
        *coverage_lines(report),  # what the census knows (chainmap.census.coverage)
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
        None, "--chain", "-c", help="链编号（默认全部链）/ chain id (default: all)"
    ),
    region: str = typer.Option(
        "yuncheng", "--region", "-r", help="地区：市、县（市、区）或开发区 / region id"
    ),
    type: str | None = typer.Option(
        None, "--type", "-t", help="fill|strengthen|extend|sound|not_priority|unsuitable|unverified（补链/强链/延链/健全/暂不布局/不适宜/待核实）"
    ),
    format: str = typer.Option("table", "--format", "-f", help="table|json|md|html|xlsx"),
    output: Path | None = typer.Option(None, "--output", "-o", help="输出文件 / output file"),
    lang: str = LangOpt,
) -> None:
    """产业链缺口分析：补链、强链、延链 / gap analysis: fill, strengthen, extend."""
    from chainmap import service

    lang = norm_lang(lang)
    format = check_format(format, GAP_CLI_FORMATS)
    type = service.valid_status(type, field="--type")  # 补链 or fill
    if format == "xlsx" and output is None:
        raise InvalidInput(
            pick(lang, "xlsx 格式需要指定输出文件", "the xlsx format needs an output file"),
            field="--output",
            hint="-o gaps.xlsx",
        )
    if output is not None:
        check_output(output, lang=lang)
    data = load_chain_data(lang)
    region = service.valid_region(data, region, field="--region")  # 永济市 / 永济 / yongji
    chain = service.valid_chain(data, chain, field="--chain")
    report = service.gap_report(data=data, region=region, chain=chain, lang=lang)
    if format == "table":
        text: str | bytes = _table(report.model_copy(update={"items": service.gap_items(report, status=type)}))
    else:
        text = service.render_gap_report(data=data, report=report, fmt=format, status=type)
    if output is None:
        assert isinstance(text, str)  # xlsx needs an output file (checked above)
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        write_output(output, text, lang=lang)
        typer.echo(pick(lang, f"已写入 {output}", f"written to {output}"), err=True)


def demo_summary(data: ChainData, lang: str = "zh", *, top: int = 5, cache: ResultCache | None = None) -> str:
    """City-wide summary: counts per status per chain and each chain's top ``top`` gaps.

    The city is the region of kind ``city`` (运城市).  A "gap" is an item whose status
    is a 招商 target (fill, strengthen, extend), in priority order.  With ``cache``, the report is the one
    the other views of the same process use.
    """
    from chainmap import service
    from chainmap.analysis.gaps import TARGET_STATUSES, select_items
    from chainmap.reports.gaps import summary_table

    lang = norm_lang(lang)
    report = service.gap_report(data=data, cache=cache, lang=lang)
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
        gaps_ = [i for i in select_items(report, chain=c) if i.status in TARGET_STATUSES][:top]
        name = report.chain_names.get(c, c)
        lines.append("")
        lines.append(pick(lang, f"【{name}】优先缺口（前{top}项）", f"[{name}] top {top} gaps"))
        if not gaps_:
            lines.append(pick(lang, "  （无）", "  (none)"))
        for k, i in enumerate(gaps_, start=1):
            label = pick(lang, *STATUS_LABELS[i.status])
            lines.append(f"  {k}. [{label} {i.priority:.2f}] {i.rationale}")
        # unverified segments that would be targets, by the priority they would have
        pending = sorted(
            (i for i in select_items(report, chain=c) if i.status == "unverified" and i.would_be in TARGET_STATUSES),
            key=lambda i: -(i.provisional_priority or 0.0),
        )
        if pending:
            lines.append(
                pick(
                    lang,
                    f"  待核实（本地企业名录未覆盖，共{len(pending)}项；核实确无企业后才是缺口），按若确认后的优先级：",
                    f"  Unverified ({len(pending)}; gaps only once the absence is confirmed), by would-be priority:",
                )
            )
            for i in pending[:top]:
                would = pick(lang, *STATUS_LABELS[str(i.would_be)])
                lines.append(
                    pick(
                        lang,
                        f"    · {i.segment_name}（若确认则为{would}，优先级 {i.provisional_priority or 0:.2f}）",
                        f"    · {i.segment_name} ({would} if confirmed, priority {i.provisional_priority or 0:.2f})",
                    )
                )
    return "\n".join(lines) + "\n"
