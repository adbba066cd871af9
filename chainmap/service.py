"""Use cases of the chain-map core, called by every front door (API routes, CLI
commands, ``chainmap demo``, the web page).  Front doors only translate input
and output; the analysis, the caching and the keys live here.

Results are cached in a :class:`~chainmap.cache.ResultCache` per store *graph*
revision (chains, segments, links, regions, enterprises), so record writes
(projects, keys, candidates) never invalidate them.
"""

from __future__ import annotations

from chainmap.analysis.gaps import GapReport, analyze_gaps
from chainmap.cache import ResultCache
from chainmap.data import ChainData, chain_data_from_store
from chainmap.storage.base import Store

__all__ = ["chain_data", "gap_report", "default_region"]


def chain_data(*, store: Store, cache: ResultCache | None = None) -> ChainData:
    """The store's read model, cached per graph revision."""
    if cache is None:
        return chain_data_from_store(store)
    return cache.get_or_compute(("data", store.graph_revision()), lambda: chain_data_from_store(store))


def default_region(data: ChainData) -> str:
    """The city's region id (the default scope of every report)."""
    city = data.region_index.city()
    return city.id if city is not None else "yuncheng"


def gap_report(
    *,
    data: ChainData,
    cache: ResultCache | None = None,
    region: str | None = None,
    chain: str | None = None,
    lang: str = "zh",
) -> GapReport:
    """The gap report of ``chain`` (default: every top-level chain) for ``region``
    (default: the city), cached per (graph revision, region, chain, lang)."""
    region_id = region or default_region(data)

    def compute() -> GapReport:
        return analyze_gaps(data, region=region_id, chain=chain, lang=lang)

    if cache is None or data.revision is None:
        return compute()
    return cache.get_or_compute(("gaps", data.revision, region_id, chain, lang), compute)
