"""The read model for a command: the configured store's :class:`~chainmap.data.ChainData`,
initialised from the shipped seed when the store is empty (every command that reads the chain
map goes through :func:`open_data` or :func:`store_data`).

The seed reader and :mod:`chainmap.service` load when a command calls these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from chainmap.cli.common import counts_text, open_store
from chainmap.i18n import pick

if TYPE_CHECKING:
    from chainmap.cache import ResultCache
    from chainmap.data import ChainData
    from chainmap.storage.base import Store

__all__ = ["ensure_initialised", "store_data", "open_data"]


def ensure_initialised(store: Store, lang: str = "zh", quiet: bool = False) -> bool:
    """Load the shipped seed into an empty store (saying so on stderr unless ``quiet``);
    True if it did."""
    if store.list_chains():
        return False
    from chainmap.cli.seed import links_text
    from chainmap.seed import link_counts, load_into_store, load_seed

    data = load_seed()
    counts = load_into_store(store, data)
    counts_shown = {k: v for k, v in counts.items() if k != "links"}
    if not quiet:
        typer.echo(
            pick(
                lang,
                f"首次使用：已将内置种子数据载入存储（{counts_text(counts_shown, lang)}，{links_text(link_counts(data), lang)}）。",
                f"First use: loaded the shipped seed into the store ({counts_text(counts_shown, lang)}, "
                f"{links_text(link_counts(data), lang)}).",
            ),
            err=True,
        )
    return True


def store_data(
    store: Store, lang: str = "zh", *, cache: ResultCache | None = None, quiet: bool = False
) -> ChainData:
    """The read model of ``store`` (:func:`chainmap.service.chain_data`), initialising the
    store from the shipped seed when it is empty."""
    from chainmap.service import chain_data

    ensure_initialised(store, lang, quiet=quiet)
    return chain_data(store=store, cache=cache)


def open_data(lang: str = "zh", *, cache: ResultCache | None = None) -> ChainData:
    """Open the configured store, read its data (initialising it when empty) and close it."""
    with open_store() as store:
        return store_data(store, lang, cache=cache)
