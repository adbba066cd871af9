"""Commands of the matching layer: ``chainmap candidates ...`` and ``chainmap leads ...``.

Thin: parse -> call -> render.  The root ``chainmap`` command (``api.cli``)
mounts :data:`candidates_app` and :data:`leads_app`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from chainmap.cli.common import (
    LangOpt,
    check_format,
    check_output,
    echo_json,
    echo_table,
    format_option,
    handle_errors,
    new_app,
    open_store,
    output_errors,
    write_output,
)
from chainmap.cli.data import store_data
from chainmap.exceptions import InvalidInput
from chainmap.i18n import norm_lang, pick

if TYPE_CHECKING:
    from chainmap.data import ChainData
    from matching.ranking import LeadPage

__all__ = ["candidates_app", "leads_app"]

candidates_app = new_app(
    help="候选企业：导入与查看 / candidate enterprises: import and list", no_args_is_help=True
)
leads_app = new_app(
    help="招商线索排序 / ranked investment leads (and `backtest`)",
    invoke_without_command=True,
)


@contextmanager
def _progress(enabled: bool, label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on a terminal; nothing when disabled or not a TTY."""
    if not enabled or not sys.stdout.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=max(total, done))

        yield update


# ---------------------------------------------------------------------------
# candidates
# ---------------------------------------------------------------------------


@candidates_app.command("import")
@handle_errors
def import_cmd(
    file: Path = typer.Argument(..., help="CSV (UTF-8/GBK)、XLSX 或 JSON 文件 / CSV, XLSX or JSON file"),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="跳过错误行并写入报告 / import valid rows, report the rest"
    ),
    report: Path | None = typer.Option(
        None, "--report", help="导入报告 CSV / report file (row, column, value, reason)"
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="不显示进度 / no progress bar"),
    fmt: str = format_option("table", "json"),
    lang: str = LangOpt,
) -> None:
    """导入候选企业 / import candidate enterprises (all-or-nothing unless --skip-invalid)."""
    from matching.candidates import write_error_report
    from matching.service import import_candidates

    lang = norm_lang(lang)
    fmt = check_format(fmt, ("table", "json"))
    if not file.is_file():
        raise InvalidInput(f"no such file: {file}", field="file")
    if report is not None:
        check_output(report, lang=lang, field="--report")
    with open_store() as store:
        data = store_data(store, lang, quiet=True)
        with _progress(not quiet, pick(lang, "读取", "reading")) as cb:
            done = import_candidates(
                store=store,
                data=data,
                source=file,
                filename=file.name,
                skip_invalid=skip_invalid,
                progress=cb,
                workers=None,  # CHAINMAP_IMPORT_WORKERS, else the usable CPUs
            )
    result, counts = done.result, done.counts
    report_path = report
    if report_path is None and result.errors:
        report_path = file.with_name(file.stem + ".refused.csv")
    if report_path is not None:
        with output_errors(report_path, lang=lang, field="--report"):
            write_error_report(result.errors, report_path, unmapped=result.unmapped, warnings=result.warnings)
    summary = {**done.summary(), "report": str(report_path) if report_path else None}
    if fmt == "json":
        echo_json(
            {
                **summary,
                "unmapped_candidates": result.unmapped,
                "errors": [e.to_dict() for e in result.errors],
            }
        )
        return
    if quiet:
        return
    typer.echo(
        pick(
            lang,
            f"{file.name}：读取 {result.rows_read} 行，接受 {result.rows_read - result.rows_refused} 行，"
            f"拒绝 {result.rows_refused} 行，合并重复 {result.merged} 行 → {len(result.candidates)} 家候选企业"
            f"（新增 {counts['created']}，更新 {counts['updated']}，未变 {counts['unchanged']}）。",
            f"{file.name}: read {result.rows_read} rows, accepted {result.rows_read - result.rows_refused}, "
            f"refused {result.rows_refused}, merged {result.merged} duplicates -> {len(result.candidates)} candidates "
            f"(created {counts['created']}, updated {counts['updated']}, unchanged {counts['unchanged']}).",
        )
    )
    if result.unmapped:
        typer.echo(
            pick(
                lang,
                f"{len(result.unmapped)} 家企业的主营产品未匹配到环节：",
                f"{len(result.unmapped)} candidates matched no segment:",
            )
        )
        for u in result.unmapped[:20]:
            typer.echo(f"  - row {u['row']}: {u['name']} ({u['main_products'] or '-'})")
        if len(result.unmapped) > 20:
            typer.echo(
                pick(
                    lang,
                    f"  ……另有 {len(result.unmapped) - 20} 家",
                    f"  ... {len(result.unmapped) - 20} more",
                )
            )
    if report_path is not None:
        typer.echo(pick(lang, f"报告：{report_path}", f"report: {report_path}"))


@candidates_app.command("list")
@handle_errors
def list_cmd(
    fmt: str = format_option("table", "json"),
    segment: str | None = typer.Option(None, "--segment", help="只看某环节 / only this segment"),
    limit: int = typer.Option(50, "--limit", min=1, help="最多显示 / at most"),
    lang: str = LangOpt,
) -> None:
    """列出已导入的候选企业 / list stored candidates."""
    from matching.service import list_candidates

    lang = norm_lang(lang)
    fmt = check_format(fmt, ("table", "json"))
    with open_store() as store:
        listed = list_candidates(store=store, segment=segment, limit=limit)
    recs, total = listed.items, listed.total
    if fmt == "json":
        echo_json({"total": total, "items": recs})
        return
    if not total:
        typer.echo(
            pick(
                lang,
                "没有候选企业；用 `chainmap candidates import FILE` 导入。",
                "No candidates; import some with `chainmap candidates import FILE`.",
            )
        )
        return
    rows = []
    for r in recs:
        segs = list(r.get("segments") or []) + [m["segment"] for m in r.get("mapped_segments") or []]
        rows.append([r["id"], r["name"], r.get("hq_city"), ";".join(segs[:3]), ";".join(r.get("tags") or [])])
    echo_table(pick(lang, "编号 企业 总部 环节 标签", "id name hq segments tags").split(), rows)
    typer.echo(pick(lang, f"共 {total} 家", f"{total} in all"))


# ---------------------------------------------------------------------------
# leads
# ---------------------------------------------------------------------------


def _note_demo_pool(lang: str) -> None:
    typer.echo(
        pick(
            lang,
            "注意：存储中没有候选企业，使用内置演示企业池 graph_seed/candidates_demo.csv（演示数据，未经核实）。",
            "Note: no candidates in the store; using the shipped DEMO pool graph_seed/candidates_demo.csv (unverified demo data).",
        ),
        err=True,
    )


def _write_xlsx(page: LeadPage, path: Path, lang: str, data: ChainData) -> None:
    from matching.service import lead_workbook

    write_output(path, lead_workbook(page, data=data, lang=lang), lang=lang)


@leads_app.callback()
@handle_errors
def leads(
    ctx: typer.Context,
    chain: str | None = typer.Option(None, "--chain", help="链 id（he/qi/sheng/cai 或子链）/ chain id"),
    gap: str | None = typer.Option(None, "--gap", help="缺口环节 id / gap segment id"),
    k: int = typer.Option(20, "-k", "--k", help="每页条数 / leads per page"),
    page: int = typer.Option(1, "--page", help="页码 / page"),
    region: str = typer.Option("yuncheng", "--region", help="区域 id / region id"),
    fmt: str = format_option("table", "json", "xlsx"),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="输出文件 / output file (xlsx: required)"
    ),
    demo: bool = typer.Option(False, "--demo", help="使用内置演示企业池 / use the shipped demo pool"),
    include_rivals: bool = typer.Option(
        False, "--include-rivals",
        help="同时列出本地链主/链核的同业竞争企业与强链环节本地龙头企业的同业（标注，需征求意见）/ "
        "also list rivals of local chain leaders and peers of major local producers of 强链 gaps (flagged)",
    ),
    lang: str = LangOpt,
) -> None:
    """为缺口排序候选企业 / rank candidate enterprises for the gaps."""
    if ctx.invoked_subcommand is not None:
        return
    from chainmap.cache import ResultCache
    from matching.service import candidate_pool, lead_page

    lang = norm_lang(lang)
    fmt = check_format(fmt, ("table", "json", "xlsx"))
    if fmt == "xlsx" and output is None:
        raise InvalidInput("--format xlsx needs an output file: -o leads.xlsx", field="--output")
    if output is not None:
        check_output(output, lang=lang)
    cache = ResultCache()
    with open_store() as store:
        data = store_data(store, lang, cache=cache, quiet=True)
        is_demo = candidate_pool(store=store, data=data, cache=cache, demo=demo).demo
        if is_demo:
            _note_demo_pool(lang)
        result = lead_page(
            store=store, data=data, cache=cache, region=region, chain=chain, gap=gap, k=k, page=page,
            lang=lang, demo=demo, include_rivals=include_rivals,
        )  # fmt: skip
    if fmt == "xlsx":
        assert output is not None
        _write_xlsx(result, output, lang, data)
        typer.echo(
            pick(
                lang,
                f"已写入 {output}（{len(result.items)} 条线索）",
                f"wrote {output} ({len(result.items)} leads)",
            )
        )
        return
    if fmt == "json":
        doc = result.model_dump(mode="json")
        if output is not None:
            import json

            write_output(output, json.dumps(doc, ensure_ascii=False, indent=2), lang=lang)
        else:
            echo_json(doc)
        return
    _print_leads(result, lang, is_demo, data)


def _print_leads(result: LeadPage, lang: str, is_demo: bool, data: ChainData) -> None:
    from chainmap.labels import label

    chains = {c.id: pick(lang, c.name_zh, c.name_en or c.name_zh) for c in data.chains}
    segs = {s.id: pick(lang, s.name_zh, s.name_en or s.name_zh) for s in data.segments}
    scope = {
        "gap": segs.get(result.gap or "", result.gap),
        "chain": chains.get(result.chain or "", result.chain),
        "overall": pick(lang, "全部缺口", "all gaps"),
    }[result.scope]
    model = (
        pick(lang, "先验评分", "prior score")
        if result.model == "prior"
        else pick(lang, f"先验+模型（模型权重 {result.blend_weight:.2f}，{result.n_outcomes} 条历史结果）",
                  f"prior + model (model weight {result.blend_weight:.2f}, {result.n_outcomes} past outcomes)")
    )  # fmt: skip
    demo_tag = pick(lang, "【演示数据】", "[DEMO DATA] ") if is_demo or result.demo else ""
    typer.echo(
        pick(
            lang,
            f"{demo_tag}招商线索：{scope}；第 {result.page} 页，共 {result.total} 条；{model}",
            f"{demo_tag}Leads: {scope}; page {result.page}, {result.total} in all; {model}",
        )
    )
    left_out = int(getattr(result, "rivals_left_out", 0) or 0)
    if left_out:
        typer.echo(
            pick(
                lang,
                f"另有{left_out}家与本地链主/链核或龙头企业同产该环节的企业（同业竞争/同业）未列出，需征求本地企业意见；"
                "加 --include-rivals 列出",
                f"{left_out} firms making the same segment as a local chain leader/core or major firm (rival/peer) "
                "are left out (ask the local firm); add --include-rivals to list them",
            )
        )
    if not result.items:
        typer.echo(pick(lang, "没有符合条件的线索。", "No leads."))
        return
    rows = [
        [ld.rank, ld.name, ld.gap_segment_name, label("gap_status", ld.gap_status, lang), round(ld.score, 3), ld.reason]
        for ld in result.items
    ]
    echo_table(pick(lang, "名次 企业 缺口环节 类型 得分 理由", "rank name gap status score reason").split(), rows)


@leads_app.command("backtest")
@handle_errors
def backtest_cmd(
    k: int = typer.Option(10, "-k", "--k", min=1, help="precision@k 等的 k"),
    split: str = typer.Option("time", "--split", help="time|group"),
    test_fraction: float = typer.Option(0.3, "--test-fraction", help="测试集比例 / test share"),
    synthetic: bool = typer.Option(
        False, "--synthetic", help="无真实历史时用合成结果演示 / run on a synthetic history"
    ),
    seed: int = typer.Option(0, "--seed", help="随机种子 / random seed"),
    region: str = typer.Option("yuncheng", "--region"),
    fmt: str = format_option("table", "json"),
    lang: str = LangOpt,
) -> None:
    """回测：学习模型、先验与随机排序对比 / backtest: learned model vs prior vs random."""
    from chainmap.cache import ResultCache
    from matching.backtest import format_table
    from matching.service import MIN_REAL_OUTCOMES, lead_backtest

    lang = norm_lang(lang)
    fmt = check_format(fmt, ("table", "json"))
    cache = ResultCache()
    with open_store() as store:
        data = store_data(store, lang, cache=cache, quiet=True)
        bt = lead_backtest(
            store=store, data=data, cache=cache, region=region, k=k, split=split, test_fraction=test_fraction,
            seed=seed, synthetic=synthetic, lang=lang,
        )  # fmt: skip
    if bt.demo_pool:
        _note_demo_pool(lang)
    if bt.n_real_outcomes < MIN_REAL_OUTCOMES:
        n = bt.n_real_outcomes
        typer.echo(
            pick(
                lang,
                f"没有足够的真实线索结果历史（{n} 条已签约/已放弃的项目）：无法做真实回测。",
                f"There is no real outcome history to speak of ({n} signed/dropped projects): no real backtest.",
            ),
            err=True,
        )
    if bt.result is None:
        typer.echo(
            pick(
                lang,
                "可加 --synthetic 在合成历史上演示回测。",
                "Add --synthetic to demonstrate on a synthetic history.",
            ),
            err=True,
        )
        return
    if fmt == "json":
        echo_json(bt.result.to_dict())
    else:
        typer.echo(format_table(bt.result, lang))
