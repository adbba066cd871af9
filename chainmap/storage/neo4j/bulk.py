"""The Neo4j bulk engine: validated ``UNWIND`` batches, several transactions with an undo journal.

:func:`bulk_upsert` implements :meth:`Neo4jStore.bulk_upsert
<chainmap.storage.neo4j.store.Neo4jStore.bulk_upsert>`.  Up to ``tx_rows``
enterprises (and everything else of the call) go in one transaction.  The server
holds a transaction's whole state until it commits (~10 KiB of heap per enterprise
with its relationships), so a bigger bulk is written in transactions of about
``tx_rows`` enterprises, each committed with an undo entry::

    (:BulkJournal {id, started, heartbeat, rows, state})
    (:BulkUndo {journal, seq, data})    data = JSON: ids created, enterprises replaced
                                        (as they were), chains/regions/segments/links
                                        and records as they were (first entry)

The last transaction deletes the journal.  On failure the entries are undone newest
first (:func:`undo`, one transaction each); a journal left by a writer that died is
undone by :func:`recover` (run when a store opens and when a bulk bigger than
``tx_rows`` starts) once its heartbeat is ten minutes old, or at once if its undo
failed.  Every committed transaction, undo steps included, bumps the store's
revision counters (they never go back: an undone bulk leaves the data as before
with higher counters).  See infra/neo4j/README.md ("Memory").

The engine talks to Neo4j only through the store's transactions (``_explicit``,
``_write``), whose error translation keeps driver errors out; it imports no driver.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sized
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from chainmap.exceptions import ChainmapError, InvalidInput, StorageUnavailable
from chainmap.models import Chain, Enterprise, Link, LinkKind, Region, Segment
from chainmap.storage import _common as common
from chainmap.storage.neo4j import codec
from chainmap.storage.neo4j import cypher as cy

if TYPE_CHECKING:
    from chainmap.storage.neo4j.store import Neo4jStore

__all__ = ["bulk_upsert", "recover", "undo", "SourceFailed"]

T = TypeVar("T")


def bulk_upsert(
    store: Neo4jStore,
    *,
    chains: Iterable[Chain],
    regions: Iterable[Region],
    segments: Iterable[Segment],
    links: Iterable[Link],
    enterprises: Iterable[Enterprise],
    records: Iterable[tuple[str, str, Mapping[str, Any]]],
    batch_size: int,
) -> dict[str, int]:
    """All-or-nothing bulk write of ``store`` (see :meth:`Store.bulk_upsert
    <chainmap.storage.base.Store.bulk_upsert>` and the module docstring)."""
    common.check_batch_size(batch_size)
    recs = common.record_payloads(records)
    nested = store._current() is not None
    small = isinstance(enterprises, Sized) and len(enterprises) <= store.tx_rows
    if not nested and (store._orphans or not small):  # not on every single-object write
        recover(store)
    bulk = _Bulk(store, batch_size, before_images=not (nested or small))
    pending = _Lookahead(common.batched(enterprises, batch_size))
    try:
        first = True
        while first or pending.more():
            with store._explicit() as tx, store._errors():
                if first:
                    bulk.start(tx, chains, regions, segments, links, recs)
                    first = False
                bulk.write_enterprises(tx, pending, None if nested else store.tx_rows)
                if not nested and pending.more():
                    bulk.journal(tx)
                elif bulk.seq:
                    tx.run(cy.JOURNAL_DONE, id=bulk.id).consume()
            bulk.committed = bulk.row - 1
    except SourceFailed as failed:  # the caller's generator: its own error, unchanged
        if bulk.seq:
            _undo_after(store, bulk, failed.error)
        raise failed.error from None
    except BaseException as err:
        if bulk.seq:
            _undo_after(store, bulk, err)
        raise
    return bulk.counts


def _undo_after(store: Neo4jStore, bulk: _Bulk, err: BaseException) -> None:
    """Undo the committed part of a failed bulk; if that fails too, say so (and keep
    the journal for :func:`recover`)."""
    try:
        undo(store, bulk.id)
    except ChainmapError as undo_err:
        store._orphans.add(bulk.id)  # this store undoes it first thing next time
        with contextlib.suppress(ChainmapError):
            store._write(lambda tx: tx.run("MATCH (j:BulkJournal {id: $id}) SET j.state = 'failed'",
                                           id=bulk.id).consume())
        raise StorageUnavailable(
            f"bulk write failed after {bulk.committed} enterprises were committed ({err}); "
            f"undoing them failed too ({undo_err})",
            hint="once Neo4j is back, this store undoes them on its next bulk write or "
            "Neo4jStore.recover_bulks(); any other store does so when it opens (within ten minutes)",
        ) from None


def recover(store: Neo4jStore, *, stale_after: float = 600.0) -> int:
    """Undo bulks left part-way: ``store``'s own bulks whose undo failed, and those of
    writers that died (journal without a heartbeat for ``stale_after`` seconds, or
    marked failed); returns how many were undone."""
    with store._errors(), store._session() as session:
        ids = [r["id"] for r in session.run(cy.JOURNAL_STALE, ms=int(stale_after * 1000))]
    ids = list(dict.fromkeys([*sorted(store._orphans), *ids]))
    for journal in ids:
        undo(store, journal)
        store._orphans.discard(journal)
    return len(ids)


def undo(store: Neo4jStore, journal: str) -> None:
    """Undo a bulk's committed transactions newest first, one transaction each
    (each also deletes its undo entry, so an interrupted undo resumes where it stopped)."""

    def step(tx: Any) -> bool:
        rec = tx.run(cy.JOURNAL_LAST, id=journal).single()
        if rec is None:
            tx.run(cy.JOURNAL_DONE, id=journal).consume()
            return False
        data = json.loads(rec["data"])
        for ids in common.batched(data["created"], 10_000):
            tx.run(cy.ENTERPRISE_DELETE, ids=ids).consume()
        before = [Enterprise.model_validate(e) for e in data["updated"]]
        for batch in common.batched(before, 10_000):
            seg_index: dict[str, int] = {}
            reg_index: dict[str, int] = {}
            rows = [codec.enterprise_row(e, seg_index, reg_index) for e in batch]
            tx.run(cy.ENTERPRISE_UNCODE, ids=[r[0] for r in rows]).consume()
            tx.run(cy.ENTERPRISE_UPDATE, rows=rows, segs=list(seg_index), regs=list(reg_index)).consume()
        store._touch(graph=bool(data["created"] or data["updated"]))
        if "graph" in data:
            _restore_graph(store, tx, data["graph"])
        tx.run("MATCH (u:BulkUndo {journal: $id, seq: $seq}) DELETE u", id=journal, seq=rec["seq"]).consume()
        return True

    while store._write(step):
        pass


def _restore_graph(store: Neo4jStore, tx: Any, graph: Mapping[str, Any]) -> None:
    """Put chains, regions, segments, links and records back as they were before a bulk."""
    models: dict[str, type[Chain] | type[Region] | type[Segment]] = {"chain": Chain, "region": Region, "segment": Segment}
    for kind, model in models.items():
        old = [model.model_validate(props) for props in graph[kind].values() if props is not None]
        if old:
            put_nodes(tx, kind, old)
    for source, target, kind, props in graph["link"]:
        rel = cy.REL_TYPES[LinkKind(kind)]
        query = f"MATCH (:Segment {{id: $s}})-[r:{rel}]->(:Segment {{id: $t}}) "
        if props is None:
            tx.run(query + "DELETE r", s=source, t=target).consume()
        else:
            tx.run(query + "SET r = $props", s=source, t=target, props=props).consume()
    records = graph.get("record", [])
    old_records = [[f"{k}/{i}", k, i, data] for k, i, data in records if data is not None]
    tx.run(cy.RECORDS_PUT, rows=old_records).consume()
    new_records = [f"{k}/{i}" for k, i, data in records if data is None]
    tx.run("UNWIND $keys AS key MATCH (r:Record {key: key}) DELETE r", keys=new_records).consume()
    for kind in ("segment", "region", "chain"):
        new = [i for i, props in graph[kind].items() if props is None]
        tx.run(f"UNWIND $ids AS id MATCH (n:{cy.LABEL[kind]} {{id: id}}) DETACH DELETE n", ids=new).consume()
    store._touch(graph=any(graph[k] for k in ("chain", "region", "segment", "link")),
                 kinds={k for k, _, _ in records})


def graph_before(tx: Any, items: Mapping[str, list[Any]], links: list[Link]) -> dict[str, Any]:
    """The stored state of the chains, regions, segments and links a bulk will write."""
    graph: dict[str, Any] = {}
    for kind, batch in items.items():
        query = f"UNWIND $ids AS id MATCH (n:{cy.LABEL[kind]} {{id: id}}) RETURN n.id AS id, properties(n) AS p"
        stored = {r["id"]: codec.public(r["p"]) for r in tx.run(query, ids=[m.id for m in batch])}
        graph[kind] = {m.id: stored.get(m.id) for m in batch}
    stored_links: dict[tuple[str, str, str], dict[str, Any]] = {}
    for kind, rel in cy.REL_TYPES.items():
        pairs = [[ln.source, ln.target] for ln in links if ln.kind == kind]
        query = (f"UNWIND $pairs AS p MATCH (a:Segment {{id: p[0]}})-[r:{rel}]->(b:Segment {{id: p[1]}}) "
                 "RETURN a.id AS s, b.id AS t, properties(r) AS p")
        for r in tx.run(query, pairs=pairs) if pairs else ():
            stored_links[(r["s"], r["t"], kind.value)] = r["p"]
    graph["link"] = [[ln.source, ln.target, ln.kind.value, stored_links.get((ln.source, ln.target, ln.kind.value))]
                     for ln in links]
    return graph


def put_nodes(tx: Any, kind: str, batch: list[Any]) -> None:
    """MERGE nodes, then replace their hierarchy relationships (targets may be in the batch)."""
    label = cy.LABEL[kind]
    rows = [{"id": m.id, "props": codec.props(m)} for m in batch]
    tx.run(f"UNWIND $rows AS row MERGE (n:{label} {{id: row.id}}) SET n = row.props", rows=rows).consume()
    ids = [m.id for m in batch]
    for _, rel, target, field in cy.HIERARCHY[kind]:
        tx.run(f"UNWIND $ids AS id MATCH (n:{label} {{id: id}})-[r:{rel}]->() DELETE r", ids=ids).consume()
        pairs = [{"id": m.id, "to": getattr(m, field)} for m in batch if getattr(m, field)]
        tx.run(
            f"UNWIND $pairs AS p MATCH (n:{label} {{id: p.id}}) MATCH (t:{target} {{id: p.to}}) "
            f"MERGE (n)-[:{rel}]->(t)",
            pairs=pairs,
        ).consume()


def put_links(tx: Any, batch: list[Link]) -> None:
    """MERGE links (relationships between segments) with their properties."""
    for kind, rel in cy.REL_TYPES.items():
        rows = [
            {"s": ln.source, "t": ln.target, "props": codec.props(ln, {"source", "target", "kind"})}
            for ln in batch
            if ln.kind == kind
        ]
        if rows:
            tx.run(
                f"UNWIND $rows AS row MATCH (a:Segment {{id: row.s}}) MATCH (b:Segment {{id: row.t}}) "
                f"MERGE (a)-[r:{rel}]->(b) SET r = row.props",
                rows=rows,
            ).consume()


_END = object()  # _Lookahead: the items are exhausted


class SourceFailed(Exception):
    """An exception raised by the caller's iterable (not by Neo4j), carried through."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class _Lookahead(Generic[T]):
    """An iterator whose next item can be looked at before it is taken."""

    def __init__(self, items: Iterable[T]) -> None:
        self._items = iter(items)
        self._head: Any = _END
        self._taken = True

    def more(self) -> bool:
        if self._taken:
            try:
                self._head = next(self._items, _END)
            except Exception as err:
                raise SourceFailed(err) from err
            self._taken = False
        return self._head is not _END

    def peek(self) -> T:
        if not self.more():
            raise IndexError("no more items")
        return self._head  # type: ignore[no-any-return]

    def take(self) -> T:
        head = self.peek()
        self._taken = True
        return head


class _Bulk:
    """One :func:`bulk_upsert` call across its transactions: the validator
    (ids and credit codes tracked over the whole bulk), counts, and the undo entry of the
    transaction being written (when ``before_images``: the bulk may need several)."""

    def __init__(self, store: Neo4jStore, batch_size: int, *, before_images: bool) -> None:
        self.store = store
        self.batch_size = batch_size
        self.before_images = before_images
        self.id = uuid.uuid4().hex
        self.seq = 0  # undo entries written
        self.committed = 0  # enterprises written before the current transaction
        self.row = 1  # next enterprise row (1-based, for error messages)
        self.fresh = False
        self.counts = dict.fromkeys(("chains", "regions", "segments", "links", "enterprises", "records"), 0)
        self.validator: common.BulkValidator | None = None
        self.undo: dict[str, Any] = {"created": [], "updated": []}

    def _open(self) -> Any:
        """The bulk's transaction being written (the validator runs only inside one)."""
        tx = self.store._current()
        if tx is None:  # pragma: no cover - a bug, not an input error
            raise RuntimeError("bulk validation outside the bulk's transaction")
        return tx

    def start(self, tx: Any, chains: Iterable[Chain], regions: Iterable[Region],
              segments: Iterable[Segment], links: Iterable[Link], records: list[tuple[str, str, str]]) -> None:
        """Validate and write everything but the enterprises (first transaction)."""
        store = self.store
        # A store without enterprises has no stored credit codes and nothing to replace.
        self.fresh = tx.run("MATCH (e:Enterprise) RETURN e.id AS id LIMIT 1").single() is None
        v = self.validator = common.BulkValidator(
            lambda kind, ids: store._lookup(self._open(), kind, ids),
            (lambda codes: {}) if self.fresh else (lambda codes: store._owners(self._open(), codes)),
        )
        cs, rs, ss, ls = v.chains(chains), v.regions(regions), v.segments(segments), v.links(links)
        keys = [f"{kind}/{rid}" for kind, rid, _ in records]
        if self.before_images:
            self.undo["graph"] = graph_before(tx, {"chain": cs, "region": rs, "segment": ss}, ls)
            stored = {r["key"]: r["data"] for r in tx.run(cy.RECORDS_BEFORE, keys=keys)}
            self.undo["graph"]["record"] = [[kind, rid, stored.get(key)] for (kind, rid, _), key in zip(records, keys, strict=True)]
        nodes: tuple[tuple[str, list[Any]], ...] = (("chain", cs), ("region", rs), ("segment", ss))
        for kind, items in nodes:
            for batch in common.batched(items, self.batch_size):
                put_nodes(tx, kind, batch)
        for link_batch in common.batched(ls, self.batch_size):
            put_links(tx, link_batch)
        for record_batch in common.batched(records, self.batch_size):
            tx.run(cy.RECORDS_PUT, rows=[[f"{k}/{i}", k, i, text] for k, i, text in record_batch]).consume()
        self.counts.update(chains=len(cs), regions=len(rs), segments=len(ss), links=len(ls), records=len(records))
        store._touch(graph=bool(cs or rs or ss or ls), kinds={kind for kind, _, _ in records})

    def write_enterprises(self, tx: Any, pending: _Lookahead[list[Enterprise]], limit: int | None) -> None:
        """Write batches until about ``limit`` enterprises (whole batches; None: all).
        Batch k+1 is validated and encoded while the server still writes batch k (one
        connection: the next query waits for the previous one's result)."""
        assert self.validator is not None
        written, result = 0, None
        while pending.more() and (limit is None or not written or written + len(pending.peek()) <= limit):
            batch = pending.take()
            seg_index: dict[str, int] = {}
            reg_index: dict[str, int] = {}
            valid = self.validator.enterprises(batch, first_row=self.row)
            rows = [codec.enterprise_row(e, seg_index, reg_index) for e in valid]
            if result is not None:
                result.consume()
            result = self._put(tx, rows, list(seg_index), list(reg_index))
            self.row += len(batch)
            written += len(batch)
            self.store._touch(graph=True)
        if result is not None:
            result.consume()
        self.counts["enterprises"] = self.row - 1

    def _put(self, tx: Any, rows: list[list[Any]], segs: list[str], regs: list[str]) -> Any:
        """Write one batch; returns the last query's result, not yet consumed.

        On a store that had no enterprise when the bulk began, every id is new (ids are
        unique within a bulk): CREATE only.  Otherwise one query finds the stored ids (with
        their state, for the undo entry); those are updated (credit codes released first,
        so that codes can move between enterprises of the batch), the others created."""
        if not self.fresh:
            ids = [r[0] for r in rows]
            if self.before_images:
                stored = list(tx.run(cy.ENTERPRISE_BEFORE, ids=ids))
                existing = {r["props"]["id"] for r in stored}
                self.undo["updated"] += [codec.enterprise(r["props"], r["segs"]).model_dump(mode="json") for r in stored]
            else:
                existing = {r["id"] for r in tx.run(cy.ENTERPRISE_EXISTING, ids=ids)}
            if existing:
                updates = [r for r in rows if r[0] in existing]
                rows = [r for r in rows if r[0] not in existing]
                tx.run(cy.ENTERPRISE_UNCODE, ids=sorted(existing)).consume()
                result = tx.run(cy.ENTERPRISE_UPDATE, rows=updates, segs=segs, regs=regs)
                if not rows:
                    return result
                result.consume()
        if self.before_images:
            self.undo["created"] += [r[0] for r in rows]
        return tx.run(cy.ENTERPRISE_CREATE, rows=rows, segs=segs, regs=regs)

    def journal(self, tx: Any) -> None:
        """Commit the undo entry of this transaction with it (more transactions follow)."""
        if not self.before_images:  # only if len(enterprises) was smaller than the rows it gave
            raise InvalidInput("enterprises gave more rows than its len() said", field="enterprises")
        self.seq += 1
        tx.run(cy.JOURNAL_BEAT, id=self.id, rows=self.row - 1).consume()
        data = json.dumps(self.undo, ensure_ascii=False)
        tx.run(cy.JOURNAL_UNDO, id=self.id, seq=self.seq, data=data).consume()
        self.undo = {"created": [], "updated": []}
