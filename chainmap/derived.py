"""Results kept in the store between processes (:meth:`~chainmap.storage.base.Store.get_derived`).

:func:`kept_chain_summary` is :func:`chainmap.service.chain_summary` (the rows of ``chainmap
chains``) kept under the store's :func:`~chainmap.revisions.data_revision`: the first command
after a change reads and validates the whole read model and computes the rows; every later
one reads one row of the store and parses its JSON -- no models, no pydantic, whatever the
size of the census.  A write to the graph, the policies or the census retires it (their
counters are in the revision); project, candidate, review and key writes do not.

The key holds the chainmap version and :data:`SUMMARY_FORMAT`, so an upgrade never reads a
summary an older version computed.  Pydantic-free at import, like :mod:`chainmap.revisions`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chainmap import __version__
from chainmap.exceptions import StorageUnavailable
from chainmap.revisions import data_revision

if TYPE_CHECKING:
    from chainmap.data import ChainData
    from chainmap.storage.base import Store

__all__ = ["SUMMARY_FORMAT", "summary_key", "kept_chain_summary"]

#: Version of the kept rows; bump when :meth:`chainmap.data.ChainData.summary` changes its rows.
SUMMARY_FORMAT = 1


def summary_key(region: str | None) -> str:
    """The derived-result key of the chain summary for ``region`` as the user wrote it
    (None: the city).

    >>> summary_key(None).startswith("chain_summary/1/")
    True
    >>> summary_key("永济").endswith("/永济")
    True
    """
    return f"chain_summary/{SUMMARY_FORMAT}/{__version__}/{region or ''}"


def _rows(text: str) -> list[dict[str, Any]] | None:
    """The kept rows, or None when the text is not what :func:`kept_chain_summary` writes."""
    try:
        rows = json.loads(text)
    except ValueError:
        return None
    if isinstance(rows, list) and all(isinstance(r, dict) for r in rows):
        return rows
    return None


def kept_chain_summary(
    *, store: Store, region: str | None = None, load: Callable[[], ChainData]
) -> list[dict[str, Any]]:
    """:func:`chainmap.service.chain_summary` of ``store`` for ``region``, from the kept copy
    when it is current; else computed from ``load()`` (the store's read model) and kept.

    The revision is read before the data (:func:`chainmap.data.chain_data_from_store` does
    the same), so a kept summary is never older than its revision.  A store that cannot keep
    it now (read-only, busy) still answers: the summary is computed and shown, not kept.
    Errors of the computation (an unknown region) are raised and nothing is kept.
    """
    key = summary_key(region)
    text = store.get_derived(key, data_revision(store))
    rows = _rows(text) if text is not None else None
    if rows is not None:
        return rows
    from chainmap.service import chain_summary

    data = load()
    rows = chain_summary(data=data, region=region)
    if data.revision is not None:
        try:
            store.put_derived(key, data.revision, json.dumps(rows, ensure_ascii=False))
        except StorageUnavailable:
            pass  # not kept this time; the next command computes it again
    return rows
