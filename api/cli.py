"""The root ``chainmap`` command: mounts every layer's commands.

This is the console-script entry point: the outermost layer is the only one
that sees all layers (chainmap -> matching -> api).
"""

from __future__ import annotations

import typer

from chainmap import cli as core_cli

__all__ = ["app", "main"]

app = typer.Typer(
    name="chainmap",
    help="chainmap：产业链图谱、强链补链延链诊断与精准招商 / industrial-chain maps, gap analysis and lead ranking",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(core_cli.app)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
