"""The Neo4j store: the only module of chainmap that imports the ``neo4j`` driver.

Graph layout
------------
Nodes (properties are the model's fields, ``None`` left out; properties whose
name starts with ``_`` are internal)::

    (:Chain {id, name_zh, name_en, letter, description, parent, sources})
    (:Segment {id, chain, name_zh, name_en, stage, order, parent, keywords_zh, ...})
    (:Region {id, kind, name_zh, name_en, parent, county, lat, lon, ...})
    (:Enterprise {id, name, credit_code, county, zone, tags, revenue, ..., _name_key, _attributes})
    (:Record {key: "<kind>/<id>", kind, id, data})      data = the record as a JSON string
    (:ChainmapMeta {id: "store", schema_version, revision})
    (:ChainmapMeta {id: "revisions", graph_revision, record_revision, record_revision_<kind>, ...})
    (:ChainmapDerived {key, revision, value})          a derived result (Store.get_derived)

Relationships::

    (:Chain)-[:SUB_CHAIN_OF]->(:Chain)                     chain.parent
    (:Segment)-[:IN_CHAIN]->(:Chain)                        segment.chain
    (:Segment)-[:CHILD_OF]->(:Segment)                      segment.parent
    (:Segment)-[:SUPPLIES|PART_OF|ENABLES {weight, note, sources}]->(:Segment)   links
    (:Enterprise)-[:OPERATES_IN {role, capacity, capacity_unit, output, position}]->(:Segment)
    (:Enterprise)-[:LOCATED_IN {level: "county"|"zone"}]->(:Region)
    (:Region)-[:PART_OF]->(:Region)                         region.parent
    (:Region)-[:IN_COUNTY]->(:Region)                       zone.county

Uniqueness constraints (created on open, ``IF NOT EXISTS``): ``id`` of Chain,
Segment, Region, Enterprise and ChainmapMeta; ``Enterprise.credit_code``;
``Record.key``; ``ChainmapDerived.key``.  Indexes: Segment.chain, Enterprise.county, Enterprise.zone,
Record.kind.  Internal: ``:BulkJournal``/``:BulkUndo`` (see :mod:`.bulk`).

Writes
------
Every query is parameterised (texts in :mod:`.cypher`).  Single writes run in
managed transactions (``session.execute_write``, retried on transient errors)
and are idempotent (``MERGE`` nodes, relationships replaced).  Every write
transaction first bumps ``ChainmapMeta.revision``; that write lock serialises
writers, which makes read-modify-write (``update_record``) safe.  What the
transaction wrote (graph objects, records of which kinds) is noted as it goes
(``_touch``) and, just before it commits, the graph and record counters of the
'revisions' node are bumped for it (see :class:`~chainmap.storage.base.Store` on revisions).
:meth:`Neo4jStore.bulk_upsert` is the bulk engine of :mod:`.bulk`: validated
``UNWIND $rows`` batches, several transactions with an undo journal for big bulks.
Empty ``note``/``tags``/``attributes`` are not stored (they read back as the
model's defaults).
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import neo4j
from neo4j import exceptions as nx

from chainmap.exceptions import ChainmapError, Conflict, InvalidInput, NotFound, StorageUnavailable
from chainmap.models import Chain, Enterprise, Link, LinkKind, Region, Segment, Tag
from chainmap.storage import _common as common
from chainmap.storage.base import RECORD_KINDS, SCHEMA_VERSION, Store
from chainmap.storage.factory import (
    DEFAULT_NEO4J_DATABASE,
    DEFAULT_NEO4J_TX_ROWS,
    DEFAULT_NEO4J_URI,
    DEFAULT_NEO4J_USER,
)
from chainmap.storage.neo4j import bulk, codec
from chainmap.storage.neo4j import cypher as cy
from chainmap.storage.neo4j.bulk import SourceFailed

__all__ = ["Neo4jStore"]

_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
_HINT = "is the server running? start it with `infra/neo4j/neo4j.sh start`, or check NEO4J_URI"
#: Labels whose nodes ``clear`` deletes: graph ones, then records, then bulk journals.
_GRAPH_LABELS = ("Enterprise", "Segment", "Region", "Chain")

R = TypeVar("R")
Work = Callable[..., R]


@dataclass
class _Touched:
    """What the open write transaction wrote (its counters are bumped before it commits)."""

    graph: bool = False
    kinds: set[str] = field(default_factory=set)


def _check_tx_rows(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput(f"tx_rows must be a positive whole number of enterprises, got {value!r}", field="tx_rows")
    return value


class Neo4jStore(Store):
    """:class:`~chainmap.storage.base.Store` on a Neo4j 5 server.

    Parameters
    ----------
    uri : str
        Bolt URI; default :data:`~chainmap.storage.factory.DEFAULT_NEO4J_URI`.
    user, password : str
        Credentials; an empty password connects without authentication.
    database : str
        The Neo4j database.
    timeout : float
        Seconds to keep retrying a transaction that failed transiently (a
        deadlock, a busy server) before raising StorageUnavailable.
    connect_timeout : float
        Seconds to connect (and, for a read or write, to keep retrying while the
        server is unreachable) before raising StorageUnavailable: with the
        server down or unroutable a call fails within about 1.5 x this (default
        1 s).  One pooled connection that went stale (a restarted server) is
        replaced within this budget.
    tx_rows : int
        Enterprises per transaction of a bulk write (default 100,000: fits the
        2 GiB default heap of infra/neo4j with room to spare; see :meth:`bulk_upsert`).

    The store reads no environment: :func:`~chainmap.storage.factory.open_store`
    maps the settings NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE and
    CHAINMAP_NEO4J_TX_ROWS to these arguments.

    Raises
    ------
    InvalidInput
        a bad URI (field NEO4J_URI) or ``tx_rows``.
    StorageUnavailable
        the server cannot be reached (the message names the URI), or its data
        has a newer chainmap schema.
    """

    backend = "neo4j"

    def __init__(
        self,
        uri: str = DEFAULT_NEO4J_URI,
        *,
        user: str = DEFAULT_NEO4J_USER,
        password: str = "",
        database: str = DEFAULT_NEO4J_DATABASE,
        timeout: float = 5.0,
        connect_timeout: float = 1.0,
        tx_rows: int = DEFAULT_NEO4J_TX_ROWS,
    ) -> None:
        self.uri = uri
        self.database = database
        self.tx_rows = _check_tx_rows(tx_rows)
        self._retry_time = timeout
        self._connect_time = connect_timeout
        self._orphans: set[str] = set()  # journals of this store's failed bulks not yet undone
        self._local = threading.local()  # per thread: the open explicit transaction, what it wrote
        if self.uri.split("://", 1)[0] not in _SCHEMES:
            raise InvalidInput(
                f"bad Neo4j URI {self.uri!r}: expected one of {', '.join(s + '://' for s in _SCHEMES)}",
                field="NEO4J_URI",
            )
        try:
            self._driver = neo4j.GraphDatabase.driver(
                self.uri,
                auth=(user, password) if password else None,
                connection_timeout=connect_timeout,
                connection_acquisition_timeout=1.5 * connect_timeout,
                max_transaction_retry_time=-1.0,  # no driver retries: _retrying bounds them (see there)
                liveness_check_timeout=30.0,
                notifications_min_severity="OFF",
            )
        except (nx.ConfigurationError, ValueError) as err:
            raise InvalidInput(f"bad Neo4j URI {self.uri!r}: {err}", field="NEO4J_URI") from None
        try:
            with self._errors():
                self._driver.verify_connectivity()
                self._setup()
                self.recover_bulks()  # bulks left part-way by a writer that died
        except BaseException:
            self._driver.close()
            raise

    # ---- plumbing --------------------------------------------------------------------
    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """Translate driver errors into chainmap errors (no driver error leaves the store)."""
        try:
            yield
        except (ChainmapError, SourceFailed):
            raise
        except nx.ConstraintError as err:
            raise Conflict(f"the write breaks a uniqueness rule: {err.message}") from None
        except nx.AuthError as err:
            raise StorageUnavailable(
                f"Neo4j at {self.uri} refused the credentials ({err.message})",
                hint="check NEO4J_USER and NEO4J_PASSWORD",
            ) from None
        except (nx.ServiceUnavailable, nx.SessionExpired, OSError) as err:
            raise StorageUnavailable(f"Neo4j is unreachable at {self.uri} ({err})", hint=_HINT) from None
        except nx.TransientError as err:
            raise StorageUnavailable(
                f"Neo4j at {self.uri} is busy ({err.code})", hint="retry in a moment"
            ) from None
        except (nx.Neo4jError, nx.DriverError) as err:
            raise StorageUnavailable(f"Neo4j at {self.uri} failed: {err}", hint=_HINT) from None

    def _session(self) -> neo4j.Session:
        return self._driver.session(database=self.database)

    def _retrying(self, run: Callable[[neo4j.Session], R]) -> R:
        """``run(session)`` (one managed transaction), retried here rather than by the driver.

        The driver would retry an unreachable server for ``max_transaction_retry_time``
        with back-off (≈7 s of a failed request with the server down); here a lost
        connection is retried only within ``connect_timeout`` (enough to replace a
        stale pooled connection) and transient errors within ``timeout``."""
        start = time.monotonic()
        delay = 0.05
        while True:
            try:
                with self._session() as session:
                    return run(session)
            except (nx.ServiceUnavailable, nx.SessionExpired):
                if time.monotonic() - start + delay > self._connect_time:
                    raise
            except nx.TransientError as err:
                if not err.is_retryable() or time.monotonic() - start + delay > self._retry_time:
                    raise
            time.sleep(delay * (0.8 + 0.4 * random.random()))  # noqa: S311 - jitter, not crypto
            delay = min(delay * 2, 1.0)

    def _current(self) -> neo4j.Transaction | None:
        return getattr(self._local, "tx", None)

    def _touch(self, *, graph: bool = False, kinds: Iterable[str] = ()) -> None:
        """Note what the open write transaction writes (called by the work it runs)."""
        touched: _Touched | None = getattr(self._local, "touched", None)
        if touched is not None:  # always set inside a write transaction
            touched.graph = touched.graph or graph
            touched.kinds.update(kinds)

    @staticmethod
    def _bump_counters(tx: neo4j.Transaction | neo4j.ManagedTransaction, touched: _Touched) -> None:
        query = cy.counters(graph=touched.graph, kinds=touched.kinds)
        if query is not None:
            tx.run(query).consume()

    def _read(self, work: Work[R], **params: Any) -> R:
        """Run ``work(tx, **params)`` in the open transaction or a managed read transaction."""
        with self._errors():
            tx = self._current()
            if tx is not None:
                return work(tx, **params)
            return self._retrying(lambda session: session.execute_read(work, **params))

    def _write(self, work: Work[R], **params: Any) -> R:
        """Run ``work(tx, **params)`` in the open transaction or a managed write transaction."""

        def bumped(tx: neo4j.ManagedTransaction, **kw: Any) -> R:
            tx.run(cy.BUMP, version=SCHEMA_VERSION).consume()
            self._local.touched = touched = _Touched()  # fresh on each (retried) attempt
            try:
                result = work(tx, **kw)
                self._bump_counters(tx, touched)
            finally:
                self._local.touched = None
            return result

        with self._errors():
            tx = self._current()
            if tx is not None:
                return work(tx, **params)
            return self._retrying(lambda session: session.execute_write(bumped, **params))

    @contextlib.contextmanager
    def _explicit(self) -> Iterator[neo4j.Transaction]:
        """The open transaction, or a new explicit one committed at the end (rolled back on error)."""
        current = self._current()
        if current is not None:
            yield current
            return
        with self._errors():
            session, tx = self._begin()
        self._local.tx = tx
        self._local.touched = touched = _Touched()
        try:
            yield tx
            with self._errors():
                self._bump_counters(tx, touched)
                tx.commit()
        finally:
            self._local.tx = self._local.touched = None
            with contextlib.suppress(Exception):
                tx.close()  # rolls back if not committed
            with contextlib.suppress(Exception):
                session.close()

    def _begin(self) -> tuple[neo4j.Session, neo4j.Transaction]:
        """Session + explicit transaction with the revision bumped; one retry on a stale connection."""
        for attempt in (1, 2):
            session = self._session()
            try:
                tx = session.begin_transaction()
                tx.run(cy.BUMP, version=SCHEMA_VERSION).consume()
                return session, tx
            except (nx.ServiceUnavailable, nx.SessionExpired):
                session.close()
                if attempt == 2:
                    raise
            except BaseException:
                session.close()
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Store]:
        with self._explicit():
            yield self

    def _setup(self) -> None:
        """Refuse a newer schema; create constraints and indexes (idempotent)."""
        with self._session() as session:
            rec = session.run(cy.SCHEMA_VERSION_OF).single()
            found = rec["v"] if rec is not None else None
            if isinstance(found, int) and found > SCHEMA_VERSION:
                raise StorageUnavailable(
                    f"Neo4j database {self.database!r} at {self.uri} has chainmap schema version {found}, "
                    f"newer than this chainmap knows ({SCHEMA_VERSION}); refusing to use it",
                    hint="upgrade chainmap, or use another NEO4J_DATABASE",
                )
            for statement in cy.SCHEMA:
                session.run(statement).consume()
            session.run(cy.SETUP_META, v=SCHEMA_VERSION).consume()

    # ---- lifecycle -------------------------------------------------------------------
    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._driver.close()

    def clear(self) -> None:
        """Delete everything chainmap stored, in transactions of at most 10,000 nodes (a
        million enterprises in one transaction would outgrow the server's heap).  Not
        atomic: a failure part-way leaves part of the data; calling ``clear`` again
        finishes the job."""
        labels = (*_GRAPH_LABELS, "Record", "BulkJournal", "BulkUndo", "ChainmapDerived")

        def batch(tx: Any, label: str) -> int:
            query = f"MATCH (n:{label}) WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS n"
            if label in _GRAPH_LABELS:
                self._touch(graph=True)
            elif label == "Record":
                self._touch(kinds=RECORD_KINDS)
            return int(tx.run(query).single()["n"])  # fixed labels only

        for label in labels:  # inside transaction() the batches share the caller's transaction
            while self._write(batch, label=label):
                pass

    def ping(self) -> dict[str, Any]:
        info: dict[str, Any] = {"backend": self.backend, "detail": f"{self.uri} database {self.database}"}
        try:
            with self._errors():
                server = self._driver.get_server_info()
                version = self._read(
                    lambda tx: tx.run(cy.SCHEMA_VERSION_OF).single()
                )
            info.update(reachable=True, version=server.agent, schema_version=version["v"] if version else None)
        except Exception as err:  # ping never raises
            info.update(reachable=False, version=None, schema_version=None, detail=str(err))
        return info

    def _counter(self, node: str, key: str) -> int:
        rec = self._read(lambda tx, node, key: tx.run(cy.COUNTER, node=node, key=key).single(), node=node, key=key)
        return int(rec["r"] or 0) if rec is not None else 0

    def revision(self) -> int:
        return self._counter("store", "revision")

    def graph_revision(self) -> int:
        return self._counter("revisions", "graph_revision")

    def record_revision(self, kind: str | None = None) -> int:
        if kind is None:
            return self._counter("revisions", "record_revision")
        common.check_record_key(kind, "-")
        return self._counter("revisions", cy.kind_counter(kind))

    # ---- derived results ------------------------------------------------------------------
    def get_derived(self, key: str, revision: int) -> str | None:
        rec = self._read(lambda tx, key, revision: tx.run(cy.GET_DERIVED, key=key, revision=revision).single(),
                         key=key, revision=revision)
        return str(rec["v"]) if rec is not None and rec["v"] is not None else None

    def put_derived(self, key: str, revision: int, value: str) -> None:
        def work(tx: Any, **params: Any) -> None:
            tx.run(cy.PUT_DERIVED, **params).consume()

        params = {"key": key, "revision": revision, "value": value}
        with self._errors():
            tx = self._current()
            if tx is not None:  # inside transaction(): part of it
                work(tx, **params)
                return
            # a managed write without cy.BUMP: a cache entry counts as no write.  Two processes
            # MERGE-ing a new key at once: one of them meets the key's uniqueness constraint;
            # its second attempt finds the node and updates it.
            for attempt in (1, 2):
                try:
                    self._retrying(lambda session: session.execute_write(work, **params))
                    return
                except nx.ConstraintError:
                    if attempt == 2:
                        raise

    # ---- generic node helpers -----------------------------------------------------------
    def _get_props(self, kind: str, node_id: str) -> dict[str, Any]:
        query = f"MATCH (n:{cy.LABEL[kind]} {{id: $id}}) RETURN properties(n) AS p"
        rec = self._read(lambda tx, id: tx.run(query, id=id).single(), id=node_id)
        if rec is None:
            raise NotFound(f"{kind} {node_id!r} not found")
        return codec.public(rec["p"])

    def _list_props(self, kind: str) -> list[dict[str, Any]]:
        query = f"MATCH (n:{cy.LABEL[kind]}) RETURN properties(n) AS p ORDER BY n.id"
        return [codec.public(r["p"]) for r in self._read(lambda tx: list(tx.run(query)))]

    @staticmethod
    def _lookup(tx: neo4j.Transaction | neo4j.ManagedTransaction, kind: str, ids: set[str]) -> set[str]:
        query = f"UNWIND $ids AS id MATCH (n:{cy.LABEL[kind]} {{id: id}}) RETURN n.id AS id"
        return {r["id"] for r in tx.run(query, ids=sorted(ids))}

    @staticmethod
    def _owners(tx: neo4j.Transaction | neo4j.ManagedTransaction, codes: list[str]) -> dict[str, str]:
        query = "UNWIND $codes AS c MATCH (e:Enterprise {credit_code: c}) RETURN c, e.id AS id"
        return {r["c"]: r["id"] for r in tx.run(query, codes=codes)}

    @staticmethod
    def _refuse_if(tx: Any, query: str, what: str, referrers: str, hint: str | None = None, **params: Any) -> None:
        """Conflict naming (up to five of) the ids that ``query`` (returning ``id``) finds."""
        ids = [r["id"] for r in tx.run(query + " LIMIT 6", **params)]
        if ids:
            shown = ", ".join(ids[:5]) + (" ..." if len(ids) > 5 else "")
            raise Conflict(f"{what} is still referred to by {referrers}: {shown}", hint=hint)

    @staticmethod
    def _require(tx: Any, label: str, kind: str, node_id: str) -> None:
        if tx.run(f"MATCH (n:{label} {{id: $id}}) RETURN 1 AS x", id=node_id).single() is None:
            raise NotFound(f"{kind} {node_id!r} not found")

    @staticmethod
    def _chain_ids(tx: Any, chain: str) -> list[str]:
        rows = tx.run(
            "MATCH (c:Chain {id: $id}) MATCH (sub:Chain)-[:SUB_CHAIN_OF*0..]->(c) RETURN DISTINCT sub.id AS id",
            id=chain,
        )
        ids = [r["id"] for r in rows]
        if not ids:
            raise NotFound(f"chain {chain!r} not found")
        return ids

    # ---- chains ----------------------------------------------------------------------
    def get_chain(self, chain_id: str) -> Chain:
        return Chain.model_validate(self._get_props("chain", chain_id))

    def list_chains(self) -> list[Chain]:
        return [Chain.model_validate(p) for p in self._list_props("chain")]

    def upsert_chain(self, chain: Chain) -> None:
        self.bulk_upsert(chains=[chain])

    def delete_chain(self, chain_id: str) -> None:
        def work(tx: Any, id: str) -> None:
            what = f"chain {id!r}"
            self._require(tx, "Chain", "chain", id)
            self._refuse_if(tx, "MATCH (s:Segment {chain: $id}) RETURN s.id AS id ORDER BY id", what, "segments", id=id)
            self._refuse_if(tx, "MATCH (c:Chain {parent: $id}) RETURN c.id AS id ORDER BY id", what, "sub-chains", id=id)
            tx.run("MATCH (c:Chain {id: $id}) DETACH DELETE c", id=id).consume()
            self._touch(graph=True)

        self._write(work, id=chain_id)

    # ---- segments --------------------------------------------------------------------
    def get_segment(self, segment_id: str) -> Segment:
        return Segment.model_validate(self._get_props("segment", segment_id))

    def list_segments(self, chain: str | None = None) -> list[Segment]:
        if chain is None:
            return [Segment.model_validate(p) for p in self._list_props("segment")]

        def work(tx: Any, chain: str) -> list[Any]:
            ids = self._chain_ids(tx, chain)
            query = "MATCH (s:Segment) WHERE s.chain IN $ids RETURN properties(s) AS p ORDER BY s.id"
            return list(tx.run(query, ids=ids))

        return [Segment.model_validate(codec.public(r["p"])) for r in self._read(work, chain=chain)]

    def upsert_segment(self, segment: Segment) -> None:
        self.bulk_upsert(segments=[segment])

    def delete_segment(self, segment_id: str, *, cascade: bool = False) -> None:
        def work(tx: Any, id: str) -> None:
            what = f"segment {id!r}"
            self._require(tx, "Segment", "segment", id)
            self._refuse_if(
                tx, "MATCH (c:Segment {parent: $id}) RETURN c.id AS id ORDER BY id", what, "child segments", id=id
            )
            if not cascade:
                hint = "delete them first or pass cascade=True"
                self._refuse_if(
                    tx,
                    f"MATCH (a:Segment)-[r:{cy.LINK_TYPES}]-(b:Segment) WHERE a.id = $id "
                    "WITH startNode(r).id + '-[' + toLower(type(r)) + ']->' + endNode(r).id AS id "
                    "RETURN DISTINCT id ORDER BY id",
                    what, "links", hint, id=id,
                )
                self._refuse_if(
                    tx,
                    "MATCH (e:Enterprise)-[:OPERATES_IN]->(:Segment {id: $id}) RETURN DISTINCT e.id AS id ORDER BY id",
                    what, "enterprises", hint, id=id,
                )
            tx.run("MATCH (s:Segment {id: $id}) DETACH DELETE s", id=id).consume()
            self._touch(graph=True)

        self._write(work, id=segment_id)

    # ---- links -----------------------------------------------------------------------
    def list_links(self, chain: str | None = None) -> list[Link]:
        def work(tx: Any, chain: str | None) -> list[Any]:
            query = f"MATCH (a:Segment)-[r:{cy.LINK_TYPES}]->(b:Segment) "
            params: dict[str, Any] = {}
            if chain is not None:
                query += "WHERE a.chain IN $ids OR b.chain IN $ids "
                params["ids"] = self._chain_ids(tx, chain)
            query += "RETURN a.id AS source, b.id AS target, type(r) AS type, properties(r) AS p"
            return list(tx.run(query, **params))

        links = [
            Link.model_validate({**r["p"], "source": r["source"], "target": r["target"], "kind": cy.KIND_OF_TYPE[r["type"]]})
            for r in self._read(work, chain=chain)
        ]
        return sorted(links, key=lambda ln: ln.key)

    def upsert_link(self, link: Link) -> None:
        self.bulk_upsert(links=[link])

    def delete_link(self, source: str, target: str, kind: LinkKind | str) -> None:
        k = common.parse_link_kind(kind)
        query = f"MATCH (:Segment {{id: $s}})-[r:{cy.REL_TYPES[k]}]->(:Segment {{id: $t}}) DELETE r RETURN count(r) AS n"

        def work(tx: Any, s: str, t: str) -> None:
            if tx.run(query, s=s, t=t).single()["n"] == 0:
                raise NotFound(f"link {s}-[{k.value}]->{t} not found")
            self._touch(graph=True)

        self._write(work, s=source, t=target)

    # ---- regions ---------------------------------------------------------------------
    def get_region(self, region_id: str) -> Region:
        return Region.model_validate(self._get_props("region", region_id))

    def list_regions(self) -> list[Region]:
        return [Region.model_validate(p) for p in self._list_props("region")]

    def upsert_region(self, region: Region) -> None:
        self.bulk_upsert(regions=[region])

    def delete_region(self, region_id: str) -> None:
        def work(tx: Any, id: str) -> None:
            what = f"region {id!r}"
            self._require(tx, "Region", "region", id)
            self._refuse_if(
                tx, "MATCH (r:Region) WHERE r.parent = $id OR r.county = $id RETURN r.id AS id ORDER BY id",
                what, "regions", id=id,
            )
            self._refuse_if(
                tx, "MATCH (e:Enterprise) WHERE e.county = $id OR e.zone = $id RETURN e.id AS id ORDER BY id",
                what, "enterprises", id=id,
            )
            tx.run("MATCH (r:Region {id: $id}) DETACH DELETE r", id=id).consume()
            self._touch(graph=True)

        self._write(work, id=region_id)

    # ---- enterprises -----------------------------------------------------------------
    def get_enterprise(self, enterprise_id: str) -> Enterprise:
        query = f"MATCH (e:Enterprise {{id: $id}}) {cy.ENTERPRISE_RETURN}"
        rec = self._read(lambda tx, id: tx.run(query, id=id).single(), id=enterprise_id)
        if rec is None:
            raise NotFound(f"enterprise {enterprise_id!r} not found")
        return codec.enterprise(rec["props"], rec["segs"])

    def find_enterprise_by_credit_code(self, credit_code: str) -> Enterprise | None:
        query = f"MATCH (e:Enterprise {{credit_code: $code}}) {cy.ENTERPRISE_RETURN}"
        code = (credit_code or "").strip().upper()
        rec = self._read(lambda tx, code: tx.run(query, code=code).single(), code=code)
        return codec.enterprise(rec["props"], rec["segs"]) if rec is not None else None

    def list_enterprises(self) -> list[Enterprise]:
        return list(self.iter_enterprises())

    def iter_enterprises(self, *, batch_size: int = 5000) -> Iterator[Enterprise]:
        common.check_batch_size(batch_size)
        query = f"MATCH (e:Enterprise) WHERE e.id > $after WITH e ORDER BY e.id LIMIT $n {cy.ENTERPRISE_RETURN}"
        after = ""
        while True:
            rows = self._read(lambda tx, after: list(tx.run(query, after=after, n=batch_size)), after=after)
            yield from (codec.enterprise(r["props"], r["segs"]) for r in rows)
            if len(rows) < batch_size:
                return
            after = rows[-1]["props"]["id"]

    def upsert_enterprise(self, enterprise: Enterprise) -> None:
        self.bulk_upsert(enterprises=[enterprise])

    def delete_enterprise(self, enterprise_id: str) -> None:
        def work(tx: Any, id: str) -> None:
            self._require(tx, "Enterprise", "enterprise", id)
            tx.run("MATCH (e:Enterprise {id: $id}) DETACH DELETE e", id=id).consume()
            self._touch(graph=True)

        self._write(work, id=enterprise_id)

    def search_enterprises(
        self,
        *,
        segment: str | None = None,
        tag: Tag | str | None = None,
        county: str | None = None,
        zone: str | None = None,
        name: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Enterprise], int]:
        limit, offset = common.check_page(limit, offset)
        where, params = ["true"], {}
        match = "MATCH (e:Enterprise)"
        if segment is not None:  # start from the segment's relationships, not from every enterprise
            match = "MATCH (:Segment {id: $segment})<-[:OPERATES_IN]-(e:Enterprise) WITH DISTINCT e"
            params["segment"] = segment
        if tag is not None:
            where.append("$tag IN e.tags")
            params["tag"] = common.parse_tag(tag).value
        if county is not None:
            where.append("e.county = $county")
            params["county"] = county
        if zone is not None:
            where.append("e.zone = $zone")
            params["zone"] = zone
        if name:
            where.append("e._name_key CONTAINS $name")
            params["name"] = common.name_key(name.strip())
        cond = " AND ".join(where)  # fixed fragments only; values are parameters
        # One query, one round trip: the page (sorted by the id index or, from a segment, a
        # top-k sort of its few enterprises) and the total, each in its own subquery.
        query = (
            f"CALL () {{ {match} WHERE {cond} WITH e ORDER BY e.id SKIP $offset LIMIT $limit "
            "RETURN collect({props: properties(e), segs: COLLECT { MATCH (e)-[r:OPERATES_IN]->(s:Segment) "
            "RETURN r{.*, segment: s.id} ORDER BY r.position }}) AS page } "
            f"CALL () {{ {match} WHERE {cond} RETURN count(e) AS total }} "
            "RETURN page, total"
        )
        rec = self._read(lambda tx: tx.run(query, offset=offset, limit=limit, **params).single())
        return [codec.enterprise(r["props"], r["segs"]) for r in rec["page"]], int(rec["total"])

    # ---- bulk ------------------------------------------------------------------------
    # ---- bulk (chainmap.storage.neo4j.bulk) ---------------------------------------------
    def bulk_upsert(
        self,
        *,
        chains: Iterable[Chain] = (),
        regions: Iterable[Region] = (),
        segments: Iterable[Segment] = (),
        links: Iterable[Link] = (),
        enterprises: Iterable[Enterprise] = (),
        records: Iterable[tuple[str, str, Mapping[str, Any]]] = (),
        batch_size: int = 5000,
    ) -> dict[str, int]:
        """All-or-nothing bulk write (see :meth:`Store.bulk_upsert`).

        Up to ``tx_rows`` enterprises (and everything else of the call) go in one
        transaction.  A bigger bulk is written in transactions of about ``tx_rows``
        enterprises, each committed together with an undo entry in the bulk's
        journal (``:BulkJournal``/``:BulkUndo`` nodes); the last transaction deletes the
        journal.  If anything fails part-way (a bad row, a conflict, the server going
        away, an error raised by the ``enterprises`` generator), the committed
        transactions are undone newest first, so the store is left as before the call;
        an undo that cannot finish (server down) is finished by
        :meth:`recover_bulks` when a store is next opened.  Unlike one transaction,
        readers may see part of such a bulk while it runs.  Inside
        :meth:`transaction` everything stays in the caller's one transaction.
        The engine is :mod:`chainmap.storage.neo4j.bulk`.
        """
        return bulk.bulk_upsert(
            self, chains=chains, regions=regions, segments=segments, links=links,
            enterprises=enterprises, records=records, batch_size=batch_size,
        )

    def recover_bulks(self, *, stale_after: float = 600.0) -> int:
        """Undo bulks left part-way: this store's own bulks whose undo failed, and those of
        writers that died (journal without a heartbeat for ``stale_after`` seconds, or
        marked failed); returns how many were undone."""
        return bulk.recover(self, stale_after=stale_after)


    # ---- records ---------------------------------------------------------------------
    def put_record(self, kind: str, record_id: str, data: Mapping[str, Any]) -> None:
        _, text = common.record_payload(kind, record_id, data)
        row = [f"{kind}/{record_id}", kind, record_id, text]

        def work(tx: Any, row: list[str]) -> None:
            tx.run(cy.RECORDS_PUT, rows=[row]).consume()
            self._touch(kinds=(kind,))

        self._write(work, row=row)

    def get_record(self, kind: str, record_id: str) -> dict[str, Any]:
        common.check_record_key(kind, record_id)
        query = "MATCH (r:Record {key: $key}) RETURN r.data AS data"
        rec = self._read(lambda tx, key: tx.run(query, key=key).single(), key=f"{kind}/{record_id}")
        if rec is None:
            raise NotFound(f"{kind} {record_id!r} not found")
        return dict(json.loads(rec["data"]))

    def list_records(self, kind: str, **where: Any) -> list[dict[str, Any]]:
        common.check_record_key(kind, "-")
        query = "MATCH (r:Record {kind: $kind}) RETURN r.data AS data ORDER BY r.id"
        rows = self._read(lambda tx, kind: [r["data"] for r in tx.run(query, kind=kind)], kind=kind)
        records = (json.loads(d) for d in rows)
        return [r for r in records if common.matches(r, where)]

    def delete_record(self, kind: str, record_id: str) -> None:
        common.check_record_key(kind, record_id)
        query = "MATCH (r:Record {key: $key}) DELETE r RETURN count(r) AS n"

        def work(tx: Any, key: str) -> None:
            if tx.run(query, key=key).single()["n"] == 0:
                raise NotFound(f"{kind} {record_id!r} not found")
            self._touch(kinds=(kind,))

        self._write(work, key=f"{kind}/{record_id}")

