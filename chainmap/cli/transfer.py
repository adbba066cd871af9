"""``chainmap export FILE`` and ``chainmap import FILE``: all data as versioned JSON Lines.

Thin: parse -> :mod:`chainmap.storage.transfer` -> render.
"""

from __future__ import annotations

from pathlib import Path

import typer

from chainmap.cli.common import LangOpt, counts_text, handle_errors, open_store
from chainmap.exceptions import InvalidInput
from chainmap.i18n import norm_lang, pick

__all__ = ["export_cmd", "import_cmd"]

IncludeKeys = typer.Option(
    False,
    "--include-keys",
    help="同时导出/导入 API 密钥（导入的密钥立即生效，仅用于可信文件）/ also export/import API keys "
    "(imported keys are active at once; trusted files only)",
)


def _warn(warnings: list[str]) -> None:
    for w in warnings:
        typer.echo(w, err=True)


@handle_errors
def export_cmd(
    file: Path = typer.Argument(..., help="JSON Lines 文件 / file"),
    include_keys: bool = IncludeKeys,
    lang: str = LangOpt,
) -> None:
    """导出全部数据（JSON Lines，可跨后端导入）/ export all data as versioned JSON Lines."""
    from chainmap.storage.transfer import export_jsonl

    lang = norm_lang(lang)
    with open_store() as store:
        counts = export_jsonl(store, file, include_keys=include_keys)
    _warn(counts.warnings)
    text = counts_text(counts, lang)
    typer.echo(pick(lang, f"已导出到 {file}：{text}", f"Exported to {file}: {text}"))


@handle_errors
def import_cmd(
    file: Path = typer.Argument(..., help="JSON Lines 文件 / file"),
    include_keys: bool = IncludeKeys,
    lang: str = LangOpt,
) -> None:
    """导入 `chainmap export` 生成的文件（全部或全不）/ import an export file (all or nothing)."""
    from chainmap.storage.transfer import import_jsonl

    lang = norm_lang(lang)
    if not file.exists():
        raise InvalidInput(f"file not found: {file}", field="FILE")
    with open_store() as store:
        counts = import_jsonl(store, file, include_keys=include_keys)
    _warn(counts.warnings)
    typer.echo(pick(lang, f"已导入：{counts_text(counts, lang)}", f"Imported: {counts_text(counts, lang)}"))
