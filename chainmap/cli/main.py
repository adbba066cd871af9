"""The chain-map core's commands, mounted into the root ``chainmap`` command by :mod:`api.cli`:
``init``, ``chains``, ``regions``, ``graph``, ``gaps``, ``export``, ``import`` and the groups
``seed``, ``chain`` (show, import), ``enterprises`` (census import) and ``review``.

Everything here is mounted lazily (:func:`chainmap.cli.common.lazy_commands`): a command's
module is imported, and its parameters built, only when it runs (or ``--help`` lists it), so
``chainmap chains`` loads none of the other commands.  :data:`app` holds the core's groups that
are mounted as typer apps: ``enterprises``, whose help is given here so that listing it costs
nothing.
"""

from __future__ import annotations

from chainmap.cli.common import lazy_app, new_app

__all__ = ["app", "COMMANDS", "GROUPS"]

#: name -> "module:attribute" of a command function, in help order
COMMANDS: dict[str, str] = {
    "init": "chainmap.cli.seed:init_cmd",
    "chains": "chainmap.cli.chains:chains_cmd",
    "regions": "chainmap.cli.regions:regions_cmd",
    "graph": "chainmap.cli.graph:graph_export",
    "gaps": "chainmap.cli.gaps:gaps",
    "export": "chainmap.cli.transfer:export_cmd",
    "import": "chainmap.cli.transfer:import_cmd",
}
#: name -> "module:attribute" of a typer group, in help order
GROUPS: dict[str, str] = {
    "seed": "chainmap.cli.seed:app",
    "chain": "chainmap.cli.chain_import:app",  # chain show ID, chain import FILE
    "review": "chainmap.cli.review:app",
}

app = new_app(no_args_is_help=True)
# local-enterprise census (``chainmap enterprises import``), imported when used
app.add_typer(
    lazy_app("chainmap.cli.enterprises:app", help="本地企业：导入名录（规上名录、企查查、园区名单）/ local enterprises: import registers"),
    name="enterprises",
)
