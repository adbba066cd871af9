"""Commands of the domain layer: init, seed, chains, chain, graph, export/import.

Thin: parse -> call -> render.  The root ``chainmap`` command (``api.cli``)
mounts this ``app`` together with the other layers' commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from chainmap import service
from chainmap.cache import ResultCache
from chainmap.cli_common import check_format, echo_json, handle_errors, open_store, write_output
from chainmap.data import ChainData
from chainmap.exceptions import InvalidInput
from chainmap.i18n import norm_lang, pick
from chainmap.models import STAGE_LABELS_ZH, Stage
from chainmap.seed import load_into_store, load_seed
from chainmap.storage.base import Store
from chainmap.textfmt import table

__all__ = ["app", "seed_app", "open_data", "ensure_initialised", "chain_detail"]

app = typer.Typer(no_args_is_help=True, add_completion=False)
seed_app = typer.Typer(help="种子数据：检查与加载 / seed data: check and load", no_args_is_help=True)
app.add_typer(seed_app, name="seed")

LANG = typer.Option("zh", "--lang", help="zh|en")
REGION = typer.Option(None, "--region", "-r", help="地区，默认运城市 / region id (default: the city)")


def ensure_initialised(store: Store, lang: str = "zh", quiet: bool = False) -> bool:
    """Load the shipped seed into an empty store; True if it did."""
    if store.list_chains():
        return False
    counts = load_into_store(store, load_seed())
    if not quiet:
        typer.echo(
            pick(
                lang,
                f"首次使用：已将内置种子数据载入存储（{_counts_text(counts, lang)}）。",
                f"First use: loaded the shipped seed into the store ({_counts_text(counts, lang)}).",
            ),
            err=True,
        )
    return True


def open_data(lang: str = "zh", *, cache: ResultCache | None = None) -> ChainData:
    """Open the configured store (initialising it from the seed when empty) and read its data."""
    with open_store() as store:
        ensure_initialised(store, lang)
        return service.chain_data(store=store, cache=cache)


def _counts_text(counts: dict[str, int], lang: str) -> str:
    names = {
        "chains": ("条链", "chains"),
        "regions": ("个区域", "regions"),
        "segments": ("个环节", "segments"),
        "links": ("条关联", "links"),
        "enterprises": ("家企业", "enterprises"),
        "records": ("条记录", "records"),
    }
    parts = []
    for k, v in counts.items():
        zh, en = names.get(k, (k, k))
        parts.append(pick(lang, f"{v}{zh}", f"{v} {en}"))
    return pick(lang, "，", ", ").join(parts)


@app.command("init")
@handle_errors
def init_cmd(lang: str = LANG) -> None:
    """初始化存储并载入内置种子 / create the store and load the shipped seed."""
    lang = norm_lang(lang)
    with open_store() as store:
        if not ensure_initialised(store, lang, quiet=True):
            typer.echo(pick(lang, "存储已初始化；用 `chainmap seed load` 更新种子。", "Store already initialised; use `chainmap seed load` to update the seed."))
        else:
            typer.echo(pick(lang, "已初始化并载入种子数据。", "Initialised and loaded the seed."))
        ping = store.ping()
        typer.echo(f"{pick(lang, '存储', 'Store')}: {ping.get('backend')} {ping.get('detail', '')}")


@seed_app.command("check")
@handle_errors
def seed_check(
    path: Path | None = typer.Argument(None, help="种子目录（默认内置）/ seed folder (default: shipped)"),
    lang: str = LANG,
) -> None:
    """校验种子文件 / validate seed files (names file, line and field of each problem)."""
    lang = norm_lang(lang)
    try:
        data = load_seed(path)
    except InvalidInput as err:
        problems = err.context.get("problems", [str(err)])
        typer.echo(pick(lang, f"种子数据有 {len(problems)} 处问题：", f"{len(problems)} problem(s) in the seed:"), err=True)
        for p in problems:
            typer.echo(f"  {p}", err=True)
        raise typer.Exit(2) from None
    n_cross = sum(1 for _, _, d in data.graph.edges(data=True) if d["cross_chain"])
    typer.echo(
        pick(
            lang,
            f"种子数据有效：{len(data.chains)}条链，{len(data.segments)}个环节，{data.graph.number_of_edges()}条关联（跨链{n_cross}条），"
            f"{len(data.enterprises)}家企业，{len(data.regions)}个区域。",
            f"Seed OK: {len(data.chains)} chains, {len(data.segments)} segments, {data.graph.number_of_edges()} links "
            f"({n_cross} cross-chain), {len(data.enterprises)} enterprises, {len(data.regions)} regions.",
        )
    )


@seed_app.command("load")
@handle_errors
def seed_load(
    path: Path | None = typer.Argument(None, help="种子目录（默认内置）/ seed folder"),
    lang: str = LANG,
) -> None:
    """将种子数据写入存储（幂等）/ upsert the seed into the store (idempotent)."""
    lang = norm_lang(lang)
    data = load_seed(path)
    with open_store() as store:
        counts = load_into_store(store, data)
    typer.echo(pick(lang, f"已写入：{_counts_text(counts, lang)}", f"Upserted: {_counts_text(counts, lang)}"))


def chains_rows(data: ChainData, region: str | None = None) -> list[dict[str, Any]]:
    return service.chain_summary(data=data, region=region)


@app.command("chains")
@handle_errors
def chains_cmd(
    fmt: str = typer.Option("table", "--format", "-f", help="table|json"),
    region: str | None = REGION,
    lang: str = LANG,
) -> None:
    """列出产业链及其环节数、本地企业数 / list chains with segment and local enterprise counts."""
    lang = norm_lang(lang)
    check_format(fmt, ("table", "json"))
    rows = service.chain_summary(data=open_data(lang), region=region)
    if fmt == "json":
        echo_json(rows)
        return
    headers = (
        ["编号", "字", "产业链", "上级", "环节数", "本地企业数"]
        if lang == "zh"
        else ["id", "letter", "chain", "parent", "segments", "enterprises"]
    )
    body = [
        [r["id"], r["letter"], r["name_zh"] if lang == "zh" else r["name_en"], r["parent"] or "", r["segments"], r["enterprises"]]
        for r in rows
    ]
    typer.echo(table(headers, body))


def chain_detail(data: ChainData, chain_id: str, region: str | None = None) -> dict[str, Any]:
    """Segments of a chain per stage with local enterprises (:func:`chainmap.service.chain_detail`)."""
    return service.chain_detail(data=data, chain=chain_id, region=region)


@app.command("chain")
@handle_errors
def chain_show(
    action: str = typer.Argument(..., help="show"),
    chain_id: str = typer.Argument(..., help="链编号，如 qi / chain id, e.g. qi"),
    fmt: str = typer.Option("table", "--format", "-f", help="table|json"),
    region: str | None = REGION,
    lang: str = LANG,
) -> None:
    """显示一条链的环节及本地企业 / show one chain and its local firms: `chainmap chain show ID`."""
    lang = norm_lang(lang)
    if action != "show":
        raise InvalidInput(f"unknown action {action!r}; expected: show", field="action")
    check_format(fmt, ("table", "json"))
    detail = service.chain_detail(data=open_data(lang), chain=chain_id, region=region)
    if fmt == "json":
        echo_json(detail)
        return
    c = detail["chain"]
    typer.echo(f"{c['letter']} {c['name_zh'] if lang == 'zh' else c['name_en']} ({c['id']})")
    for st, segs in detail["stages"].items():
        label = STAGE_LABELS_ZH[Stage(st)] if lang == "zh" else st
        typer.echo(f"\n[{label}]")
        rows = [
            [
                s["id"],
                s["name_zh"] if lang == "zh" else s["name_en"],
                pick(lang, "是", "yes") if s["chokepoint"] else "",
                len(s["local_enterprises"]),
                "、".join(s["local_enterprises"][:3]) if lang == "zh" else ", ".join(s["local_enterprises"][:3]),
            ]
            for s in segs
        ]
        headers = ["编号", "环节", "卡脖子", "本地企业", "企业"] if lang == "zh" else ["id", "segment", "chokepoint", "local", "firms"]
        typer.echo(table(headers, rows))
    n_cross = sum(1 for ln in detail["links"] if ln["cross_chain"])
    typer.echo(pick(lang, f"\n关联 {len(detail['links'])} 条，其中跨链 {n_cross} 条。", f"\n{len(detail['links'])} links, {n_cross} cross-chain."))


@app.command("graph")
@handle_errors
def graph_export(
    action: str = typer.Argument(..., help="export"),
    chain_id: str = typer.Argument(..., help="链编号 / chain id"),
    fmt: str = typer.Option("json", "--format", "-f", help="json|cytoscape|gexf|graphml|svg"),
    output: Path = typer.Option(..., "-o", "--output", help="输出文件 / output file"),
    region: str | None = REGION,
    lang: str = LANG,
) -> None:
    """导出链图（节点带本地企业数）/ `chainmap graph export ID --format gexf -o FILE` (nodes carry local counts)."""
    lang = norm_lang(lang)
    if action != "export":
        raise InvalidInput(f"unknown action {action!r}; expected: export", field="action")
    check_format(fmt, service.GRAPH_FORMATS)
    data = open_data(lang)
    service.valid_chain(data, chain_id, field="chain_id")
    graph = service.chain_graph(data=data, chain=chain_id, region=region, fmt=fmt, lang=lang)
    write_output(output, graph.text, lang=lang)
    typer.echo(
        pick(
            lang,
            f"已导出 {graph.nodes} 个环节、{graph.edges} 条关联到 {output}",
            f"Exported {graph.nodes} segments and {graph.edges} links to {output}",
        )
    )


@app.command("export")
@handle_errors
def export_cmd(file: Path = typer.Argument(..., help="JSON Lines 文件 / file"), lang: str = LANG) -> None:
    """导出全部数据（JSON Lines，可跨后端导入）/ export all data as versioned JSON Lines."""
    from chainmap.storage.transfer import export_jsonl

    lang = norm_lang(lang)
    with open_store() as store:
        counts = export_jsonl(store, file)
    text = _counts_text(counts, lang)
    typer.echo(pick(lang, f"已导出到 {file}：{text}", f"Exported to {file}: {text}"))


@app.command("import")
@handle_errors
def import_cmd(file: Path = typer.Argument(..., help="JSON Lines 文件 / file"), lang: str = LANG) -> None:
    """导入 `chainmap export` 生成的文件（全部或全不）/ import an export file (all or nothing)."""
    from chainmap.storage.transfer import import_jsonl

    lang = norm_lang(lang)
    if not file.exists():
        raise InvalidInput(f"file not found: {file}", field="FILE")
    with open_store() as store:
        counts = import_jsonl(store, file)
    typer.echo(pick(lang, f"已导入：{_counts_text(counts, lang)}", f"Imported: {_counts_text(counts, lang)}"))
