"""``chainmap init`` and ``chainmap seed check|load``: the shipped seed and the store.

Thin: parse -> :mod:`chainmap.seed` -> render.
"""

from __future__ import annotations

from pathlib import Path

import typer

from chainmap.cli.common import LangOpt, counts_text, handle_errors, new_app, open_store
from chainmap.cli.data import ensure_initialised
from chainmap.exceptions import InvalidInput
from chainmap.i18n import norm_lang, pick

__all__ = ["app", "init_cmd", "seed_check", "seed_load", "links_text"]


def links_text(lc: dict[str, int], lang: str) -> str:
    """The one link count (:func:`chainmap.seed.link_counts`) as check, load and import print it.

    >>> links_text({"links": 323, "parent_links": 23, "total": 346, "cross_chain": 79}, "en")
    '346 links (323 in links.csv + 23 implicit parent links; 79 cross-chain)'
    """
    return pick(
        lang,
        f"{lc['total']}条关联（关联表{lc['links']}条 + 上级环节隐含{lc['parent_links']}条；跨链{lc['cross_chain']}条）",
        f"{lc['total']} links ({lc['links']} in links.csv + {lc['parent_links']} implicit parent links; "
        f"{lc['cross_chain']} cross-chain)",
    )

app = new_app(help="种子数据：检查与加载 / seed data: check and load", no_args_is_help=True)


@handle_errors
def init_cmd(lang: str = LangOpt) -> None:
    """初始化存储并载入内置种子 / create the store and load the shipped seed."""
    lang = norm_lang(lang)
    with open_store() as store:
        if not ensure_initialised(store, lang, quiet=True):
            typer.echo(pick(lang, "存储已初始化；用 `chainmap seed load` 更新种子。", "Store already initialised; use `chainmap seed load` to update the seed."))
        else:
            typer.echo(pick(lang, "已初始化并载入种子数据。", "Initialised and loaded the seed."))
        ping = store.ping()
        typer.echo(f"{pick(lang, '存储', 'Store')}: {ping.get('backend')} {ping.get('detail', '')}")


@app.command("check")
@handle_errors
def seed_check(
    path: Path | None = typer.Argument(None, help="种子目录（默认内置）/ seed folder (default: shipped)"),
    lang: str = LangOpt,
) -> None:
    """校验种子文件 / validate seed files (names file, line and field of each problem)."""
    from chainmap.seed import link_counts, load_seed

    lang = norm_lang(lang)
    try:
        data = load_seed(path)
    except InvalidInput as err:
        problems = err.context.get("problems", [str(err)])
        typer.echo(pick(lang, f"种子数据有 {len(problems)} 处问题：", f"{len(problems)} problem(s) in the seed:"), err=True)
        for p in problems:
            typer.echo(f"  {p}", err=True)
        raise typer.Exit(2) from None
    links = links_text(link_counts(data), lang)
    typer.echo(
        pick(
            lang,
            f"种子数据有效：{len(data.chains)}条链，{len(data.segments)}个环节，{links}，"
            f"{len(data.enterprises)}家企业，{len(data.regions)}个区域。",
            f"Seed OK: {len(data.chains)} chains, {len(data.segments)} segments, {links}, "
            f"{len(data.enterprises)} enterprises, {len(data.regions)} regions.",
        )
    )


@app.command("load")
@handle_errors
def seed_load(
    path: Path | None = typer.Argument(None, help="种子目录（默认内置）/ seed folder"),
    lang: str = LangOpt,
) -> None:
    """将种子数据写入存储（幂等）/ upsert the seed into the store (idempotent)."""
    from chainmap.seed import link_counts, load_into_store, load_seed

    lang = norm_lang(lang)
    data = load_seed(path)
    with open_store() as store:
        counts = load_into_store(store, data)
    links = links_text(link_counts(data), lang)
    parts = [links if k == "links" else counts_text({k: v}, lang) for k, v in counts.items()]
    joined = pick(lang, "，", ", ").join(parts)
    typer.echo(pick(lang, f"已写入：{joined}", f"Upserted: {joined}"))
