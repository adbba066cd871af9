"""Commands of the chain-map core, one module per area; thin: parse -> call a service -> render.

============  ===========================================================================
module        commands
============  ===========================================================================
common        (shared by every layer's CLI) ``--lang``/``--format``, the store, output
              files, errors -> exit code 2, JSON and tables, lazily mounted groups
data          the store's read model for a command (seeded when the store is empty)
main          :data:`~chainmap.cli.main.app`, this layer's command group
seed          ``init``, ``seed check``, ``seed load``
chains        ``chains`` (and the body of ``chain show ID``)
chain_import  the ``chain`` group: ``chain show ID``, ``chain import FILE``
graph         ``graph export ID``
gaps          ``gaps`` (and the summary of ``chainmap demo``)
transfer      ``export FILE``, ``import FILE``
============  ===========================================================================

The root ``chainmap`` command (:mod:`api.cli`) mounts :data:`chainmap.cli.main.app` together
with the other layers' commands.  This ``__init__`` imports nothing, so the other layers'
CLIs can use :mod:`chainmap.cli.common` without loading this layer's commands.  Command modules import only typer and light helpers at module level;
the services, networkx and the analysis stack load inside the command that needs them.
"""
