"""The chain-map core's command group: ``init``, ``seed``, ``chains``, ``chain``, ``graph``,
``gaps``, ``export`` and ``import`` (mounted into the root ``chainmap`` command by :mod:`api.cli`)."""

from __future__ import annotations

from chainmap.cli import chain_import, chains, gaps, graph, regions, review, seed, transfer
from chainmap.cli.common import lazy_app, new_app

__all__ = ["app"]

app = new_app(no_args_is_help=True)
app.command("init")(seed.init_cmd)
app.add_typer(seed.app, name="seed")
app.command("chains")(chains.chains_cmd)
app.add_typer(chain_import.app, name="chain")  # chain show ID, chain import FILE
app.command("regions")(regions.regions_cmd)
app.command("graph")(graph.graph_export)
app.command("gaps")(gaps.gaps)
app.command("export")(transfer.export_cmd)
app.command("import")(transfer.import_cmd)
# local-enterprise census (``chainmap enterprises import``), imported when used
app.add_typer(
    lazy_app("chainmap.cli.enterprises:app", help="本地企业：导入名录（规上名录、企查查、园区名单）/ local enterprises: import registers"),
    name="enterprises",
)
app.add_typer(review.app, name="review")
