"""``chainmap chains`` and ``chainmap chain show ID``: the chains and their local firms.

Thin: parse -> :func:`chainmap.derived.kept_chain_summary` (the summary of
:func:`chainmap.service.chain_summary`, kept in the store) / :func:`chainmap.service.chain_detail`
-> render.  ``chainmap chains`` answers from the kept summary when the store has not changed
since (no models or pydantic loaded), else reads the store and counts by the locality rule
without loading networkx (the chain graph is built only by ``chain show``).
"""

from __future__ import annotations

from typing import Any

import typer

from chainmap.cli.common import (
    LangOpt,
    check_format,
    echo_json,
    echo_table,
    format_option,
    handle_errors,
    open_store,
)
from chainmap.cli.data import open_data, store_data
from chainmap.exceptions import InvalidInput
from chainmap.i18n import norm_lang, pick

__all__ = ["RegionOpt", "chains_cmd", "chain_show", "print_chains"]

#: ``--region`` of the chain views (default: the city)
RegionOpt = typer.Option(None, "--region", "-r", help="地区，默认运城市 / region id (default: the city)")


def print_chains(rows: list[dict[str, Any]], lang: str) -> None:
    """The table of :func:`chainmap.service.chain_summary` rows."""
    headers = (
        ["编号", "字", "产业链", "上级", "环节数", "本地企业数"]
        if lang == "zh"
        else ["id", "letter", "chain", "parent", "segments", "enterprises"]
    )
    body = [
        [r["id"], r["letter"] or "", r["name_zh"] if lang == "zh" else r["name_en"], r["parent"] or "", r["segments"], r["enterprises"]]
        for r in rows
    ]
    echo_table(headers, body)


@handle_errors
def chains_cmd(
    fmt: str = format_option("table", "json"),
    region: str | None = RegionOpt,
    lang: str = LangOpt,
) -> None:
    """列出产业链及其环节数、本地企业数 / list chains with segment and local enterprise counts."""
    from chainmap.derived import kept_chain_summary

    lang = norm_lang(lang)
    fmt = check_format(fmt, ("table", "json"))
    with open_store() as store:
        rows = kept_chain_summary(store=store, region=region, load=lambda: store_data(store, lang))
    if fmt == "json":
        echo_json(rows)
    else:
        print_chains(rows, lang)


@handle_errors
def chain_show(
    action: str = typer.Argument(..., help="show"),
    chain_id: str = typer.Argument(..., help="链编号，如 qi / chain id, e.g. qi"),
    fmt: str = format_option("table", "json"),
    region: str | None = RegionOpt,
    lang: str = LangOpt,
) -> None:
    """显示一条链的环节及本地企业 / show one chain and its local firms: `chainmap chain show ID`."""
    from chainmap import service
    from chainmap.models import STAGE_LABELS_ZH, Stage

    lang = norm_lang(lang)
    if action != "show":
        raise InvalidInput(f"unknown action {action!r}; expected: show", field="action")
    fmt = check_format(fmt, ("table", "json"))
    detail = service.chain_detail(data=open_data(lang), chain=chain_id, region=region)
    if fmt == "json":
        echo_json(detail)
        return
    c = detail["chain"]
    typer.echo(f"{c['letter'] or ''} {c['name_zh'] if lang == 'zh' else c['name_en']} ({c['id']})")
    headers = ["编号", "环节", "卡脖子", "本地企业", "企业"] if lang == "zh" else ["id", "segment", "chokepoint", "local", "firms"]
    for st, segs in detail["stages"].items():
        label = STAGE_LABELS_ZH[Stage(st)] if lang == "zh" else st
        typer.echo(f"\n[{label}]")
        rows = [
            [
                s["id"],
                s["name_zh"] if lang == "zh" else s["name_en"],
                pick(lang, "是", "yes") if s["chokepoint"] else "",
                len(s["local_enterprises"]),
                pick(lang, "、", ", ").join(s["local_enterprises"][:3]),
            ]
            for s in segs
        ]
        echo_table(headers, rows)
    n_cross = sum(1 for ln in detail["links"] if ln["cross_chain"])
    typer.echo(pick(lang, f"\n关联 {len(detail['links'])} 条，其中跨链 {n_cross} 条。", f"\n{len(detail['links'])} links, {n_cross} cross-chain."))
