"""What a read model depends on, as store counters: :func:`data_revision`.

Pydantic-free on purpose: a process that only checks whether a kept result is current
(:mod:`chainmap.derived`) loads neither the models nor the analysis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chainmap.storage.base import Store

__all__ = ["POLICY_RECORD_KIND", "CENSUS_RECORD_KINDS", "data_revision"]

#: The store record kind holding the policies (:mod:`chainmap.policies`).
POLICY_RECORD_KIND = "policy"

#: Record kinds of the local census that the gap analysis reads (:mod:`chainmap.census.coverage`):
#: part of :class:`~chainmap.data.ChainData` (``census``) and of :func:`data_revision`.
CENSUS_RECORD_KINDS: tuple[str, ...] = ("census_import", "absence_confirmation")


def data_revision(store: Store) -> int:
    """A counter of what :class:`~chainmap.data.ChainData` holds: ``graph_revision() +
    record_revision("policy")`` plus the record revisions of the census kinds
    (:data:`CENSUS_RECORD_KINDS`: register imports, confirmed absences).  No term ever goes
    back and one of them grows on every write to the graph, the policies or those census
    records, so the sum grows on each of them (and on nothing else): caches keyed on it
    survive project, candidate, review-decision and key writes."""
    return (
        store.graph_revision()
        + store.record_revision(POLICY_RECORD_KIND)
        + sum(store.record_revision(k) for k in CENSUS_RECORD_KINDS)
    )
