"""The chain-map core's command group: ``init``, ``seed``, ``chains``, ``chain``, ``graph``,
``gaps``, ``export`` and ``import`` (mounted into the root ``chainmap`` command by :mod:`api.cli`)."""

from __future__ import annotations

from chainmap.cli import chains, gaps, graph, regions, review, seed, transfer
from chainmap.cli.common import new_app

__all__ = ["app"]

app = new_app(no_args_is_help=True)
app.command("init")(seed.init_cmd)
app.add_typer(seed.app, name="seed")
app.command("chains")(chains.chains_cmd)
app.command("chain")(chains.chain_show)
app.command("regions")(regions.regions_cmd)
app.command("graph")(graph.graph_export)
app.command("gaps")(gaps.gaps)
app.command("export")(transfer.export_cmd)
app.command("import")(transfer.import_cmd)
app.add_typer(review.app, name="review")
