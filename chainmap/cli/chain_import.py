"""``chainmap chain show ID`` and ``chainmap chain import FILE``: the ``chain`` group.

Thin: parse -> :func:`chainmap.chain_import.import_chain` -> render.
"""

from __future__ import annotations

from pathlib import Path

import typer

from chainmap.cli.common import LangOpt, echo_json, format_option, handle_errors, new_app, open_store
from chainmap.exceptions import InvalidInput
from chainmap.i18n import norm_lang, pick

__all__ = ["app", "chain_import_cmd", "chain_show_cmd"]

app = new_app(help="单条产业链：查看与导入 / one chain: show and import", no_args_is_help=True)


@app.command("show")
def chain_show_cmd(
    chain_id: str = typer.Argument(..., help="链编号，如 qi / chain id, e.g. qi"),
    fmt: str = format_option("table", "json"),
    region: str | None = typer.Option(None, "--region", "-r", help="地区，默认运城市 / region id (default: the city)"),
    lang: str = LangOpt,
) -> None:
    """显示一条链的环节及本地企业 / show one chain and its local firms."""
    from chainmap.cli.chains import chain_show

    chain_show("show", chain_id, fmt=fmt, region=region, lang=lang)


@app.command("import")
@handle_errors
def chain_import_cmd(
    file: Path = typer.Argument(..., help="关联表 CSV/XLSX（上游环节,下游环节,关系,权重,说明,来源）或 GraphML/GEXF"),
    chain_id: str = typer.Option(..., "--id", help="新链编号（小写英文）/ new chain id, e.g. pv"),
    name: str = typer.Option(..., "--name", help="链中文名 / Chinese name"),
    name_en: str | None = typer.Option(None, "--name-en", help="英文名（可选）/ English name (optional)"),
    letter: str | None = typer.Option(None, "--letter", help="简称字（可选）/ short label (optional)"),
    description: str = typer.Option("", "--description", help="说明 / description"),
    source: list[str] = typer.Option([], "--source", help="来源，可多次；无来源列的行用它 / source key(s), for rows without 来源"),
    enterprises: Path | None = typer.Option(
        None, "--enterprises", help="本地企业表（可选，同一次写入）/ local enterprises table (optional, same write)"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="只校验不写入 / validate only, write nothing"),
    fmt: str = format_option("table", "json"),
    lang: str = LangOpt,
) -> None:
    """从关联表或图文件导入一条产业链（全部通过才写入）/ import a chain from an edge list or graph file (all or nothing)."""
    from chainmap.chain_import import import_chain
    from chainmap.cli.common import check_format
    from chainmap.cli.data import ensure_initialised
    from chainmap.tabular import read_source

    lang = norm_lang(lang)
    fmt = check_format(fmt, ("table", "json"))
    raw = read_source(file, file.name)
    ents_raw = read_source(enterprises, enterprises.name) if enterprises is not None else None
    with open_store() as store:
        ensure_initialised(store, lang, quiet=True)
        try:
            summary = import_chain(
                store, raw, filename=file.name, chain_id=chain_id, name_zh=name, name_en=name_en, letter=letter,
                description=description, sources=source, dry_run=dry_run, enterprises=ents_raw,
                enterprises_filename=enterprises.name if enterprises is not None else "enterprises.csv",
            )  # fmt: skip
        except InvalidInput as err:
            for p in err.context.get("problems", [])[1:50]:
                typer.echo(f"  - {p}", err=True)
            raise
    if fmt == "json":
        echo_json(summary)
        return
    head = (
        pick(lang, "校验通过（未写入）", "Valid (nothing written)")
        if dry_run
        else pick(lang, "已导入", "Imported")
    )
    inferred = summary["stages_inferred"]
    typer.echo(
        pick(
            lang,
            f"{head}：链 {summary['chain']}（{summary['name_zh']}），{summary['segments']}个环节，"
            f"{summary['links']}条关联（跨链{summary['cross_chain_links']}条），"
            f"{len(inferred)}个环节的阶段由图推断（最长路径分层，待核实）。",
            f"{head}: chain {summary['chain']} ({summary['name_zh']}), {summary['segments']} segments, "
            f"{summary['links']} links ({summary['cross_chain_links']} cross-chain), "
            f"{len(inferred)} stages inferred from the graph (longest-path layering, to confirm).",
        )
    )
    if "enterprises" in summary:
        typer.echo(pick(lang, f"本地企业：{summary['enterprises']}家。", f"Local enterprises: {summary['enterprises']}."))
    if summary["neighbours"]:
        typer.echo(pick(lang, "跨链相邻环节：", "Cross-chain neighbours: ") + ", ".join(summary["neighbours"]))
