"""Planner edits of the chain graph, re-validated on every write.

Pure checks (``check_*``) take the current :class:`~chainmap.seed.ChainData`
and the proposed change and raise :class:`InvalidInput` / :class:`Conflict` /
:class:`NotFound`; the ``save_*`` / ``remove_*`` services apply a checked change
through the :class:`~chainmap.storage.base.Store` inside one transaction.

>>> from chainmap.models import Chain, Segment
>>> data = ChainData([Chain(id="c", name_zh="链", name_en="c", letter="汽")], [], [
...     Segment(id="c.a", chain="c", name_zh="甲", name_en="a", stage="upstream"),
...     Segment(id="c.b", chain="c", name_zh="乙", name_en="b", stage="midstream", parent="c.a")], [], [])
>>> check_segment(data, Segment(id="c.a", chain="c", name_zh="甲", name_en="a", stage="upstream", parent="c.b"))
Traceback (most recent call last):
...
chainmap.exceptions.Conflict: parent: part_of cycle: c.a -> c.b -> c.a
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx

from chainmap.data import ChainData, chain_data_from_store
from chainmap.exceptions import Conflict, InvalidInput, NotFound
from chainmap.models import Link, LinkKind, Segment

if TYPE_CHECKING:
    from chainmap.storage.base import Store

__all__ = ["check_segment", "check_link", "save_segment", "remove_segment", "save_link", "remove_link"]


def _part_of_graph(data: ChainData) -> nx.DiGraph:
    P = nx.DiGraph()
    for s in data.segments:
        P.add_node(s.id)
        if s.parent:
            P.add_edge(s.id, s.parent)
    for ln in data.links:
        if ln.kind == LinkKind.part_of:
            P.add_edge(ln.source, ln.target)
    return P


def _cycle_text(P: nx.DiGraph, start: str) -> str | None:
    try:
        cycle = nx.find_cycle(P, source=start)
    except nx.NetworkXNoCycle:
        return None
    nodes = [u for u, _ in cycle]
    return " -> ".join([*nodes, nodes[0]])


def check_segment(data: ChainData, segment: Segment) -> None:
    """Check a segment to be created or replaced: its chain and parent exist and
    the parent does not create a part_of cycle."""
    chains = {c.id for c in data.chains}
    if segment.chain not in chains:
        raise InvalidInput(f"unknown chain {segment.chain!r}; valid: {', '.join(sorted(chains))}", field="chain")
    seg_ids = {s.id for s in data.segments} | {segment.id}
    if segment.parent and segment.parent not in seg_ids:
        raise InvalidInput(f"unknown parent segment {segment.parent!r}", field="parent")
    others = [s for s in data.segments if s.id != segment.id]
    P = _part_of_graph(ChainData(data.chains, data.regions, [*others, segment], data.links, []))
    cyc = _cycle_text(P, segment.id)
    if cyc:
        raise Conflict(f"part_of cycle: {cyc}", field="parent")


def check_link(data: ChainData, link: Link) -> None:
    """Check a link: both ends exist; a part_of link creates no cycle."""
    seg_ids = {s.id for s in data.segments}
    for fld, end in (("source", link.source), ("target", link.target)):
        if end not in seg_ids:
            raise InvalidInput(f"unknown segment {end!r}", field=fld)
    if link.kind == LinkKind.part_of:
        others = [ln for ln in data.links if (ln.source, ln.target) != (link.source, link.target)]
        P = _part_of_graph(ChainData(data.chains, data.regions, data.segments, [*others, link], []))
        cyc = _cycle_text(P, link.source)
        if cyc:
            raise Conflict(f"part_of cycle: {cyc}", field="kind")


def save_segment(store: Store, segment: Segment) -> None:
    """Create or replace a segment after :func:`check_segment`."""
    with store.transaction() as tx:
        check_segment(chain_data_from_store(tx), segment)
        tx.upsert_segment(segment)


def remove_segment(store: Store, segment_id: str, *, cascade: bool = False) -> None:
    """Delete a segment; Conflict while links or enterprises use it unless ``cascade``."""
    store.get_segment(segment_id)  # NotFound first
    store.delete_segment(segment_id, cascade=cascade)


def save_link(store: Store, link: Link) -> None:
    """Create or replace a link after :func:`check_link`."""
    with store.transaction() as tx:
        check_link(chain_data_from_store(tx), link)
        tx.upsert_link(link)


def remove_link(store: Store, source: str, target: str, kind: str) -> None:
    """Delete a link; NotFound if absent."""
    if not any((ln.source, ln.target, ln.kind.value) == (source, target, kind) for ln in store.list_links()):
        raise NotFound(f"no {kind} link {source} -> {target}", field="link")
    store.delete_link(source, target, kind)
