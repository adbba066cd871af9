"""``chainmap graph export ID -f FORMAT -o FILE``: one chain's graph as a file.

Thin: parse -> :func:`chainmap.service.chain_graph` -> :func:`~chainmap.cli.common.write_output`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from chainmap.cli.chains import RegionOpt
from chainmap.cli.common import LangOpt, check_format, check_output, handle_errors, write_output
from chainmap.cli.data import open_data
from chainmap.exceptions import InvalidInput
from chainmap.i18n import norm_lang, pick

__all__ = ["graph_export"]


@handle_errors
def graph_export(
    action: str = typer.Argument(..., help="export"),
    chain_id: str = typer.Argument(..., help="链编号 / chain id"),
    fmt: str = typer.Option("json", "--format", "-f", help="json|cytoscape|gexf|graphml|svg"),
    output: Path = typer.Option(..., "-o", "--output", help="输出文件 / output file"),
    region: str | None = RegionOpt,
    lang: str = LangOpt,
) -> None:
    """导出链图（节点带本地企业数）/ `chainmap graph export ID --format gexf -o FILE` (nodes carry local counts)."""
    from chainmap import service

    lang = norm_lang(lang)
    if action != "export":
        raise InvalidInput(f"unknown action {action!r}; expected: export", field="action")
    fmt = check_format(fmt, service.GRAPH_FORMATS)
    check_output(output, lang=lang)
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
