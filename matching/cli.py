"""Commands of the matching layer: ``chainmap candidates ...`` and ``chainmap leads ...``.

Thin: parse -> call -> render.  The root ``chainmap`` command (``api.cli``)
mounts :data:`candidates_app` and :data:`leads_app`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from chainmap.cli_common import echo_json, handle_errors
from chainmap.exceptions import InvalidInput
from chainmap.i18n import norm_lang, pick
from chainmap.textfmt import table

__all__ = ["candidates_app", "leads_app"]

candidates_app = typer.Typer(
    help="候选企业：导入与查看 / candidate enterprises: import and list", no_args_is_help=True
)
leads_app = typer.Typer(
    help="招商线索排序 / ranked investment leads (and `backtest`)",
    invoke_without_command=True,
)

LANG = typer.Option("zh", "--lang", help="zh|en")


def _open_store() -> Any:
    from chainmap.storage.factory import open_store

    return open_store()


def _data(store: Any, lang: str) -> Any:
    from chainmap.cli import ensure_initialised
    from chainmap.data import chain_data_from_store

    ensure_initialised(store, lang, quiet=True)
    return chain_data_from_store(store)


def _check_format(fmt: str, allowed: tuple[str, ...]) -> str:
    f = fmt.strip().lower()
    if f not in allowed:
        raise InvalidInput(f"unknown format {fmt!r}; expected {' | '.join(allowed)}", field="format")
    return f


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
    fmt: str = typer.Option("table", "--format", "-f", help="table|json"),
    lang: str = LANG,
) -> None:
    """导入候选企业 / import candidate enterprises (all-or-nothing unless --skip-invalid)."""
    from matching.candidates import read_candidates, store_candidates, write_error_report

    lang = norm_lang(lang)
    fmt = _check_format(fmt, ("table", "json"))
    if not file.is_file():
        raise InvalidInput(f"no such file: {file}", field="file")
    store = _open_store()
    try:
        data = _data(store, lang)
        with _progress(not quiet, pick(lang, "读取", "reading")) as cb:
            result = read_candidates(
                file, filename=file.name, skip_invalid=skip_invalid, data=data, progress=cb
            )
        report_path = report
        if report_path is None and result.errors:
            report_path = file.with_name(file.stem + ".refused.csv")
        if report_path is not None:
            write_error_report(result.errors, report_path, unmapped=result.unmapped)
        counts = store_candidates(store, result.candidates)
    finally:
        store.close()
    summary = {**result.summary(), **counts, "report": str(report_path) if report_path else None}
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
    fmt: str = typer.Option("table", "--format", "-f", help="table|json"),
    segment: str | None = typer.Option(None, "--segment", help="只看某环节 / only this segment"),
    limit: int = typer.Option(50, "--limit", min=1, help="最多显示 / at most"),
    lang: str = LANG,
) -> None:
    """列出已导入的候选企业 / list stored candidates."""
    from matching.candidates import load_candidates

    lang = norm_lang(lang)
    fmt = _check_format(fmt, ("table", "json"))
    store = _open_store()
    try:
        recs = load_candidates(store)
    finally:
        store.close()
    if segment:
        recs = [
            r for r in recs
            if segment in (r.get("segments") or []) or any(m["segment"] == segment for m in r.get("mapped_segments") or [])
        ]  # fmt: skip
    total = len(recs)
    recs = recs[:limit]
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
    typer.echo(table(pick(lang, "编号 企业 总部 环节 标签", "id name hq segments tags").split(), rows))
    typer.echo(pick(lang, f"共 {total} 家", f"{total} in all"))


# ---------------------------------------------------------------------------
# leads
# ---------------------------------------------------------------------------


def _candidates_or_demo(store: Any, data: Any, lang: str, demo: bool) -> tuple[list[dict[str, Any]], bool]:
    from matching.candidates import load_candidates, load_demo_candidates

    recs = [] if demo else load_candidates(store)
    if recs:
        return recs, False
    typer.echo(
        pick(
            lang,
            "注意：存储中没有候选企业，使用内置演示企业池 graph_seed/candidates_demo.csv（演示数据，未经核实）。",
            "Note: no candidates in the store; using the shipped DEMO pool graph_seed/candidates_demo.csv (unverified demo data).",
        ),
        err=True,
    )
    return load_demo_candidates(data).candidates, True


def _outcomes(store: Any) -> list[Any]:
    from chainmap.projects.service import list_outcomes

    return list_outcomes(store=store)


def _write_xlsx(page: Any, path: Path, lang: str) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "leads"
    head = ["rank", "name", "credit_code", "hq_province", "hq_city", "chain_id", "gap_segment_id",
            "gap_segment_name", "gap_status", "gap_priority", "score", "prior_score", "blend_weight", "reason",
            "candidate_id", "demo"]  # fmt: skip
    ws.append(head)
    for lead in page.items:
        d = lead.model_dump()
        ws.append([d[h] for h in head])
    feats = sorted({f for lead in page.items for f in lead.contributions})
    ws2 = wb.create_sheet("contributions")
    ws2.append(["rank", "candidate_id", "baseline", *feats])
    for lead in page.items:
        ws2.append(
            [lead.rank, lead.candidate_id, lead.baseline, *(lead.contributions.get(f, 0.0) for f in feats)]
        )
    try:
        wb.save(path)
    except OSError as err:
        raise InvalidInput(f"cannot write {path}: {err.strerror}", field="output") from None


@leads_app.callback()
@handle_errors
def leads(
    ctx: typer.Context,
    chain: str | None = typer.Option(None, "--chain", help="链 id（he/qi/sheng/cai 或子链）/ chain id"),
    gap: str | None = typer.Option(None, "--gap", help="缺口环节 id / gap segment id"),
    k: int = typer.Option(20, "-k", "--k", help="每页条数 / leads per page"),
    page: int = typer.Option(1, "--page", help="页码 / page"),
    region: str = typer.Option("yuncheng", "--region", help="区域 id / region id"),
    fmt: str = typer.Option("table", "--format", "-f", help="table|json|xlsx"),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="输出文件 / output file (xlsx: required)"
    ),
    demo: bool = typer.Option(False, "--demo", help="使用内置演示企业池 / use the shipped demo pool"),
    lang: str = LANG,
) -> None:
    """为缺口排序候选企业 / rank candidate enterprises for the gaps."""
    if ctx.invoked_subcommand is not None:
        return
    from chainmap.analysis.gaps import analyze_gaps
    from matching.ranking import rank_leads

    lang = norm_lang(lang)
    fmt = _check_format(fmt, ("table", "json", "xlsx"))
    if fmt == "xlsx" and output is None:
        raise InvalidInput("--format xlsx needs an output file: -o leads.xlsx", field="output")
    store = _open_store()
    try:
        data = _data(store, lang)
        recs, is_demo = _candidates_or_demo(store, data, lang, demo)
        outcomes = _outcomes(store)
    finally:
        store.close()
    report = analyze_gaps(data, region=region, lang=lang)
    result = rank_leads(
        data, report.items, recs, k=k, chain=chain, gap=gap, page=page, lang=lang, outcomes=outcomes
    )
    if fmt == "xlsx":
        assert output is not None
        _write_xlsx(result, output, lang)
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

            output.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
        else:
            echo_json(doc)
        return
    _print_leads(result, lang, is_demo)


def _print_leads(result: Any, lang: str, is_demo: bool) -> None:
    scope = {"gap": result.gap, "chain": result.chain, "overall": pick(lang, "全部缺口", "all gaps")}[
        result.scope
    ]
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
    if not result.items:
        typer.echo(pick(lang, "没有符合条件的线索。", "No leads."))
        return
    rows = [
        [ld.rank, ld.name, ld.gap_segment_id, ld.gap_status, round(ld.score, 3), ld.reason]
        for ld in result.items
    ]
    typer.echo(
        table(
            pick(lang, "名次 企业 缺口环节 类型 得分 理由", "rank name gap status score reason").split(), rows
        )
    )


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
    fmt: str = typer.Option("table", "--format", "-f", help="table|json"),
    lang: str = LANG,
) -> None:
    """回测：学习模型、先验与随机排序对比 / backtest: learned model vs prior vs random."""
    from chainmap.analysis.gaps import analyze_gaps
    from matching.backtest import backtest, format_table, synthetic_outcomes
    from matching.features import build_candidate_matrix, build_segment_context

    lang = norm_lang(lang)
    fmt = _check_format(fmt, ("table", "json"))
    store = _open_store()
    try:
        data = _data(store, lang)
        outcomes = _outcomes(store)
        recs, _is_demo = _candidates_or_demo(store, data, lang, demo=not outcomes and synthetic)
    finally:
        store.close()
    items = analyze_gaps(data, region=region, lang=lang).items
    sctx = build_segment_context(data)
    cm = build_candidate_matrix(recs, sctx)
    is_synthetic = False
    if len(outcomes) < 4:
        typer.echo(
            pick(
                lang,
                f"没有足够的真实线索结果历史（{len(outcomes)} 条已签约/已放弃的项目）：无法做真实回测。",
                f"There is no real outcome history to speak of ({len(outcomes)} signed/dropped projects): no real backtest.",
            ),
            err=True,
        )
        if not synthetic:
            typer.echo(
                pick(
                    lang,
                    "可加 --synthetic 在合成历史上演示回测。",
                    "Add --synthetic to demonstrate on a synthetic history.",
                ),
                err=True,
            )
            return
        outcomes = synthetic_outcomes(cm, sctx, items, seed=seed)
        is_synthetic = True
    res = backtest(cm, sctx, items, outcomes, k=k, split=split, test_fraction=test_fraction, seed=seed,
                   synthetic=is_synthetic)  # fmt: skip
    if fmt == "json":
        echo_json(res.to_dict())
    else:
        typer.echo(format_table(res, lang))
