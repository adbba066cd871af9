"""Helpers shared by the CLI modules of every layer: errors, JSON, --lang.

Every command catches :class:`chainmap.exceptions.ChainmapError`, prints the
message (and hint) on stderr without a stack trace, and exits with code 2.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from chainmap.exceptions import ChainmapError
from chainmap.i18n import pick

__all__ = ["handle_errors", "echo_json", "LangOpt", "FormatOpt", "die"]

F = TypeVar("F", bound=Callable[..., Any])

LangOpt = typer.Option("zh", "--lang", help="输出语言 zh|en / output language")
FormatOpt = typer.Option("table", "--format", "-f", help="table|json")


def die(message: str, code: int = 2) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def handle_errors(fn: F) -> F:
    """Decorator: turn ChainmapError into a clean message and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        lang = kwargs.get("lang", "zh")
        try:
            return fn(*args, **kwargs)
        except ChainmapError as err:
            label = pick(lang, "错误", "Error")
            typer.echo(f"{label}: {err}", err=True)
            errors = getattr(err, "errors", None) or []
            for e in errors[:50]:
                typer.echo(f"  - row {e.row}, {e.column}={e.value!r}: {e.reason}", err=True)
            if len(errors) > 50:
                typer.echo(pick(lang, f"  ……另有 {len(errors) - 50} 处错误", f"  ... {len(errors) - 50} more"), err=True)
            if err.hint:
                typer.echo(f"{pick(lang, '提示', 'Hint')}: {err.hint}", err=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def echo_json(data: Any) -> None:
    """Print JSON (UTF-8, not ASCII-escaped) for scripts."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
