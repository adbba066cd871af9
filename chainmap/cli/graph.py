"""``chainmap graph [export] ID -f FORMAT -o FILE``: one chain's graph as a file.

``export`` may be left out (``chainmap graph cai -f svg -o cai.svg``). ``svg`` is the layered
diagram coloured by gap status (:mod:`chainmap.reports.svg`); gexf / graphml / json carry each
segment's status, priority, colour and layered positions (:func:`chainmap.graph.annotate_export`).

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
    action: str = typer.Argument(..., help="export（可省略）/ export (optional), or the chain id"),
    chain_id: str | None = typer.Argument(None, help="链编号 / chain id"),
    fmt: str = typer.Option("json", "--format", "-f", help="json|cytoscape|gexf|graphml|svg"),
    output: Path = typer.Option(..., "-o", "--output", help="输出文件 / output file"),
    region: str | None = RegionOpt,
    lang: str = LangOpt,
) -> None:
    """导出链图（svg 图，或带状态、优先级、布局坐标的 gexf/graphml）/ `chainmap graph [export] ID --format svg|gexf|graphml -o FILE`."""
    from chainmap import service

    lang = norm_lang(lang)
    if chain_id is None:
        if action == "export":
            raise InvalidInput(
                pick(
                    lang,
                    "缺少链编号：chainmap graph export 链编号 -f svg -o 文件",
                    "missing chain id: chainmap graph export ID -f svg -o FILE",
                ),
                field="chain_id",
            )
        action, chain_id = "export", action
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
