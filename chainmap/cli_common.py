"""Helpers shared by the CLI modules of every layer: errors, JSON, --lang,
opening the store, checking --format and writing output files.

Every command catches :class:`chainmap.exceptions.ChainmapError`, prints the
message (and hint) on stderr without a stack trace, and exits with code 2.
An unwritable ``--output`` is such an error (:func:`write_output`).
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from chainmap.exceptions import ChainmapError, InvalidInput
from chainmap.i18n import pick

if TYPE_CHECKING:
    from chainmap.storage.base import Store

__all__ = [
    "handle_errors",
    "echo_json",
    "LangOpt",
    "FormatOpt",
    "die",
    "check_format",
    "open_store",
    "write_output",
]

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


def check_format(fmt: str, allowed: tuple[str, ...], *, field: str = "--format") -> str:
    """``fmt`` if it is one of ``allowed``; InvalidInput naming the option otherwise."""
    if fmt not in allowed:
        raise InvalidInput(f"unknown format {fmt!r}; expected one of {', '.join(allowed)}", field=field)
    return fmt


@contextmanager
def open_store() -> Iterator[Store]:
    """The configured store (:func:`chainmap.storage.factory.open_store`), closed on exit."""
    from chainmap.storage.factory import open_store as _open

    store = _open()
    try:
        yield store
    finally:
        store.close()


def write_output(
    path: str | os.PathLike[str], content: str | bytes, *, lang: str = "zh", field: str = "--output"
) -> None:
    """Write ``content`` (text as UTF-8) to ``path``.

    Raises
    ------
    InvalidInput
        Naming ``field`` and the reason when the file cannot be written (a directory, a
        missing parent folder, no permission ...), so the command ends with one clean
        line and exit code 2 instead of a traceback.

    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> write_output(d, "x", lang="en")
    Traceback (most recent call last):
    ...
    chainmap.exceptions.InvalidInput: --output: cannot write ...: it is a directory
    """
    target = Path(path)
    if target.is_dir():
        raise InvalidInput(pick(lang, f"无法写入 {target}：这是一个目录", f"cannot write {target}: it is a directory"), field=field)
    parent = target.parent
    if not parent.is_dir():
        raise InvalidInput(
            pick(lang, f"无法写入 {target}：目录 {parent} 不存在", f"cannot write {target}: folder {parent} does not exist"),
            field=field,
        )
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        target.write_bytes(data)
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise InvalidInput(pick(lang, f"无法写入 {target}：{reason}", f"cannot write {target}: {reason}"), field=field) from None
