"""Helpers shared by the CLI modules of every layer (chainmap, matching, projects, api).

* :func:`new_app` -- a :class:`typer.Typer` with the settings every group uses;
  :func:`lazy_app` -- a group whose commands are imported only when it runs;
* :data:`LangOpt` and :func:`format_option` -- the ``--lang`` and ``--format`` options;
* :func:`check_format` -- the one ``--format`` check (an :class:`InvalidInput` naming the option);
* :func:`open_store` -- the configured store, as a context manager that closes it
  (its read model for a command: :mod:`chainmap.cli.data`);
* :func:`write_output` (:func:`check_output`, :func:`output_errors`) -- writing an ``--output``
  file, with a clean error on a directory, a missing folder or no permission;
* :func:`handle_errors` -- every command catches :class:`chainmap.exceptions.ChainmapError`,
  prints the message (and hint) on stderr without a stack trace and exits with code 2;
* :func:`echo_json`, :func:`echo_table` -- output for scripts and for people.

Only typer and light chainmap modules are imported here, and nothing of the services or the
analysis: the project context's CLI uses these helpers and stays independent of the gap
analysis (import-linter contract).  The store loads when a command opens it, so
``chainmap --help`` starts fast.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import typer
import typer.core
import typer.main
from typer.core import TyperGroup

from chainmap.exceptions import ChainmapError, InvalidInput
from chainmap.i18n import pick
from chainmap.textfmt import table

if TYPE_CHECKING:
    from typer._click import Command

    from chainmap.storage.base import Store

__all__ = [
    "new_app",
    "lazy_app",
    "lazy_commands",
    "LangOpt",
    "format_option",
    "check_format",
    "handle_errors",
    "die",
    "echo_json",
    "echo_table",
    "open_store",
    "counts_text",
    "check_output",
    "output_errors",
    "write_output",
]

F = TypeVar("F", bound=Callable[..., Any])

#: ``--lang``: the language of the output (Chinese by default)
LangOpt = typer.Option("zh", "--lang", help="输出语言 zh|en / output language")


def new_app(**kwargs: Any) -> typer.Typer:
    """A command group: no shell-completion commands, plain (not rich) help.

    Plain help keeps ``chainmap --help`` from importing rich (a quarter of a second).
    """
    kwargs.setdefault("add_completion", False)
    kwargs.setdefault("rich_markup_mode", None)
    return typer.Typer(**kwargs)


class _LazyGroup(TyperGroup):
    """A group whose commands are those of the typer app at :attr:`target` ("module:attribute"),
    imported the first time the commands are looked at (running or listing them), not when the
    group is mounted.  The target app must not have a callback of its own."""

    target: ClassVar[str] = ""
    _loaded: MutableMapping[str, Command] | None = None

    @property
    def commands(self) -> MutableMapping[str, Command]:
        if self._loaded is None:
            module, _, attr = self.target.partition(":")
            sub_app = getattr(importlib.import_module(module), attr)
            self._loaded = typer.main.get_group(sub_app).commands
        return self._loaded

    @commands.setter
    def commands(self, value: MutableMapping[str, Command]) -> None:
        """The (empty) commands typer gives the placeholder; replaced by the target's on first use."""


def lazy_app(target: str, *, help: str, **kwargs: Any) -> typer.Typer:
    """A command group standing for the typer app ``target`` ("module:attribute"), imported only
    when the group is used, so that mounting it costs nothing (``chainmap --help`` lists it by
    ``help`` without importing it).  The target must be an app without a callback."""
    group_cls = type("LazyGroup", (_LazyGroup,), {"target": target})
    kwargs.setdefault("no_args_is_help", True)
    return new_app(help=help, cls=group_cls, **kwargs)


def _load_command(name: str, target: str) -> Command:
    """The click command of ``target`` ("module:attribute"): a typer app (its group, or its one
    command) or a command function, mounted as ``name``."""
    module, _, attr = target.partition(":")
    obj = getattr(importlib.import_module(module), attr)
    if not isinstance(obj, typer.Typer):
        sub = new_app()
        sub.command(name)(obj)
        obj = sub
    cmd = typer.main.get_command(obj)
    cmd.name = name
    return cmd


class _LazyCommandsGroup(TyperGroup):
    """A group with commands of its own (built by typer) plus :attr:`lazy` commands and
    :attr:`lazy_groups`, each imported and built the first time it is looked up (``chainmap
    chains`` then loads and builds only ``chains``: typer builds the parameters of every command
    it mounts, ~13 ms for the whole tree).  Listing (``--help``) builds them all, in the order
    typer gives a mounted app: own commands, the lazy commands and groups, own groups."""

    lazy: ClassVar[dict[str, str]] = {}
    lazy_groups: ClassVar[dict[str, str]] = {}
    group_order: ClassVar[tuple[str, ...]] = ()

    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        own = [n for n in super().list_commands(ctx) if n not in self.lazy and n not in self.lazy_groups]
        own_groups = [n for n in own if isinstance(self.commands.get(n), typer.core.TyperGroup)]
        own_commands = [n for n in own if n not in own_groups]
        groups = [*self.lazy_groups, *own_groups]
        if self.group_order:
            rank = {n: i for i, n in enumerate(self.group_order)}
            groups.sort(key=lambda n: rank.get(n, len(rank)))
        return [*own_commands, *self.lazy, *groups]

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Command | None:  # type: ignore[override]
        target = self.lazy.get(cmd_name) or self.lazy_groups.get(cmd_name)
        if target is not None and cmd_name not in self.commands:
            self.commands[cmd_name] = _load_command(cmd_name, target)
        return super().get_command(ctx, cmd_name)


def lazy_commands(
    commands: dict[str, str], groups: dict[str, str] | None = None, *, group_order: Sequence[str] = ()
) -> type[TyperGroup]:
    """The group class (``new_app(cls=...)``) of an app that also offers ``commands`` and
    ``groups`` (name -> "module:attribute" of a command function or of a typer app), imported
    and built only when used; ``group_order`` orders the groups (lazy or not) in the help."""
    attrs = {"lazy": dict(commands), "lazy_groups": dict(groups or {}), "group_order": tuple(group_order)}
    return type("LazyCommandsGroup", (_LazyCommandsGroup,), attrs)


def format_option(*formats: str, default: str | None = None) -> Any:
    """The ``--format`` / ``-f`` option offering ``formats`` (default: the first)."""
    return typer.Option(default or formats[0], "--format", "-f", help="|".join(formats))


def check_format(fmt: str, allowed: Sequence[str], *, field: str = "--format") -> str:
    """``fmt`` normalised (trimmed, lower case) if it is one of ``allowed``.

    >>> check_format(" JSON", ("table", "json"))
    'json'
    >>> check_format("yaml", ("table", "json"))
    Traceback (most recent call last):
    ...
    chainmap.exceptions.InvalidInput: --format: unknown format 'yaml'; expected one of table, json
    """
    value = fmt.strip().lower()
    if value not in allowed:
        raise InvalidInput(f"unknown format {fmt!r}; expected one of {', '.join(allowed)}", field=field)
    return value


def die(message: str, code: int = 2) -> None:
    """Print ``message`` on stderr and exit with ``code``."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


def handle_errors(fn: F) -> F:
    """Decorator: turn ChainmapError into a clean message on stderr and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        lang = kwargs.get("lang", "zh")
        try:
            return fn(*args, **kwargs)
        except ChainmapError as err:
            typer.echo(f"{pick(lang, '错误', 'Error')}: {err}", err=True)
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
    import json  # here: a table needs no json module (``chainmap chains``, ``--help``)

    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def echo_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print a plain-text table (:func:`chainmap.textfmt.table`, wide characters aligned)."""
    typer.echo(table(headers, rows))


@contextmanager
def open_store() -> Iterator[Store]:
    """The configured store (:func:`chainmap.storage.factory.open_store`), closed on exit."""
    from chainmap.storage.factory import open_store as _open

    store = _open()
    try:
        yield store
    finally:
        store.close()


def counts_text(counts: dict[str, int], lang: str) -> str:
    """``{"chains": 4, ...}`` as "4条链，..." / "4 chains, ...".

    >>> counts_text({"chains": 4, "links": 2}, "en")
    '4 chains, 2 links'
    """
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


def check_output(path: str | os.PathLike[str], *, lang: str = "zh", field: str = "--output") -> Path:
    """``path`` as a Path if a file can be written there: not a directory, in a folder that exists.

    Commands call it before the work, so a wrong ``-o`` fails at once; :func:`write_output`
    calls it again.

    Raises
    ------
    InvalidInput
        Naming ``field``: the path is a directory, or its folder does not exist.
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
    return target


@contextmanager
def output_errors(path: str | os.PathLike[str], *, lang: str = "zh", field: str = "--output") -> Iterator[Path]:
    """Checks ``path`` (:func:`check_output`) and turns an OSError raised while writing it
    (no permission, disk full ...) into an InvalidInput naming ``field``."""
    target = check_output(path, lang=lang, field=field)
    try:
        yield target
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise InvalidInput(pick(lang, f"无法写入 {target}：{reason}", f"cannot write {target}: {reason}"), field=field) from None


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
    >>> write_output(Path(d) / "no" / "x.json", "x", lang="en")
    Traceback (most recent call last):
    ...
    chainmap.exceptions.InvalidInput: --output: cannot write .../no/x.json: folder .../no does not exist
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    with output_errors(path, lang=lang, field=field) as target:
        target.write_bytes(data)
