"""Neo4j store: the only module of chainmap that imports the ``neo4j`` driver.

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
``Record.key``.  Indexes: Segment.chain, Enterprise.county, Enterprise.zone,
Record.kind.  Internal: ``:BulkJournal``/``:BulkUndo`` (below).

Writes
------
Every query is parameterised; the only text spliced into a query is taken
from fixed maps in this module (labels, relationship types).  Single writes
run in managed transactions (``session.execute_write``, retried on transient
errors) and are idempotent (``MERGE`` nodes, relationships replaced).  Every
write transaction first bumps ``ChainmapMeta.revision``; that write lock
serialises writers, which makes read-modify-write (``update_record``) safe.
:meth:`Neo4jStore.bulk_upsert` validates, then writes ``UNWIND $rows``
batches.  Enterprise rows are positional lists (cheap for the driver to encode); ids
not yet stored are CREATEd with their relationships in one query per batch (ids
already stored are found with one query per batch and updated); the next batch is
validated and encoded while the server writes the previous one.  Empty
``note``/``tags``/``attributes`` are not stored (they read back as the model's
defaults).  Up to ``tx_rows`` enterprises (CHAINMAP_NEO4J_TX_ROWS, default 100,000)
go in one transaction: all or nothing.  The server holds a transaction's whole state
until it commits (~10 KiB of heap per enterprise with its relationships), so a bigger
bulk is written in transactions of ``tx_rows`` enterprises, each committed with an
undo entry::

    (:BulkJournal {id, started, heartbeat, rows, state})
    (:BulkUndo {journal, seq, data})    data = JSON: ids created, enterprises replaced
                                        (as they were), chains/regions/segments/links
                                        as they were (first entry)

The last transaction deletes the journal.  On failure the entries are undone newest
first (one transaction each); a journal left by a writer that died is undone by
:meth:`Neo4jStore.recover_bulks` (run when a store opens and when a bulk bigger than
``tx_rows`` starts) once its heartbeat is ten minutes old, or at once if its undo failed.  See infra/neo4j/README.md ("Memory").
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from enum import Enum
from typing import Any, Generic, TypeVar

import neo4j
from neo4j import exceptions as nx

from chainmap.exceptions import ChainmapError, Conflict, InvalidInput, NotFound, StorageUnavailable
from chainmap.models import Chain, Enterprise, Link, LinkKind, Region, Segment, SegmentPresence, Tag
from chainmap.storage import _common as common
from chainmap.storage.base import SCHEMA_VERSION, Store

__all__ = ["Neo4jStore", "DEFAULT_URI", "REL_TYPES"]

DEFAULT_URI = "bolt://127.0.0.1:7687"

#: Link kind -> relationship type (the whitelist used to build link queries).
REL_TYPES: dict[LinkKind, str] = {
    LinkKind.supplies: "SUPPLIES",
    LinkKind.part_of: "PART_OF",
    LinkKind.enables: "ENABLES",
}
_KIND_OF_TYPE = {v: k for k, v in REL_TYPES.items()}
_LINK_TYPES = "|".join(REL_TYPES.values())

_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
_HINT = "is the server running? start it with `infra/neo4j/neo4j.sh start`, or check NEO4J_URI"

_SCHEMA = [
    "CREATE CONSTRAINT chainmap_chain_id IF NOT EXISTS FOR (n:Chain) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT chainmap_segment_id IF NOT EXISTS FOR (n:Segment) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT chainmap_region_id IF NOT EXISTS FOR (n:Region) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT chainmap_enterprise_id IF NOT EXISTS FOR (n:Enterprise) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT chainmap_enterprise_credit_code IF NOT EXISTS "
    "FOR (n:Enterprise) REQUIRE n.credit_code IS UNIQUE",
    "CREATE CONSTRAINT chainmap_record_key IF NOT EXISTS FOR (n:Record) REQUIRE n.key IS UNIQUE",
    "CREATE CONSTRAINT chainmap_meta_id IF NOT EXISTS FOR (n:ChainmapMeta) REQUIRE n.id IS UNIQUE",
    "CREATE INDEX chainmap_segment_chain IF NOT EXISTS FOR (n:Segment) ON (n.chain)",
    "CREATE INDEX chainmap_enterprise_county IF NOT EXISTS FOR (n:Enterprise) ON (n.county)",
    "CREATE INDEX chainmap_enterprise_zone IF NOT EXISTS FOR (n:Enterprise) ON (n.zone)",
    "CREATE INDEX chainmap_record_kind IF NOT EXISTS FOR (n:Record) ON (n.kind)",
]

_BUMP = (
    "MERGE (m:ChainmapMeta {id: 'store'}) ON CREATE SET m.schema_version = $version "
    "SET m.revision = coalesce(m.revision, 0) + 1"
)

# (label, relationship type, target label, model field) of each node -> node reference.
_HIERARCHY = {
    "chain": [("Chain", "SUB_CHAIN_OF", "Chain", "parent")],
    "region": [("Region", "PART_OF", "Region", "parent"), ("Region", "IN_COUNTY", "Region", "county")],
    "segment": [("Segment", "IN_CHAIN", "Chain", "chain"), ("Segment", "CHILD_OF", "Segment", "parent")],
}
_LABEL = {"chain": "Chain", "region": "Region", "segment": "Segment"}
# Bulk enterprise writes.  Rows are positional lists (no map keys to encode: the Python
# driver's packing is the client's main cost): row[i] is the property _NODE_FIELDS[i]
# (None: not stored), row[-3] / row[-2] the county / zone as an index into $regs (or None),
# row[-1] the segment presences [segment index into $segs, *_PRESENCE_FIELDS].  The few
# segment and region nodes of a batch are looked up once per query (a missing one is a null
# in the list, and CREATE with a null end node fails loudly); each enterprise node stays
# bound, it is never looked up again, and the plan has no Eager step.
#: Enterprise fields stored as node properties (segments are relationships, attributes JSON).
_ENTERPRISE_FIELDS = tuple(f for f in Enterprise.model_fields if f not in ("segments", "attributes"))
_NODE_FIELDS = (*_ENTERPRISE_FIELDS, "_name_key", "_attributes")
_PRESENCE_FIELDS = tuple(f for f in SegmentPresence.model_fields if f != "segment")
_ROW_PROPS = "{" + ", ".join(f"`{f}`: row[{i}]" for i, f in enumerate(_NODE_FIELDS)) + "}"
_REL_PROPS = "{" + ", ".join(f"`{f}`: p[{i}]" for i, f in enumerate(_PRESENCE_FIELDS, start=1)) + ", position: i}"
_COUNTY, _ZONE = _NODE_FIELDS.index("county"), _NODE_FIELDS.index("zone")
_BIND_NODES = (
    "WITH [id IN $segs | head(COLLECT { MATCH (s:Segment {id: id}) RETURN s })] AS sn, "
    "[id IN $regs | head(COLLECT { MATCH (g:Region {id: id}) RETURN g })] AS rn "
)
_ENTERPRISE_RELS = (
    "FOREACH (i IN range(0, size(row[-1]) - 1) | FOREACH (p IN [row[-1][i]] | FOREACH (s IN [sn[p[0]]] | "
    f"CREATE (e)-[:OPERATES_IN {_REL_PROPS}]->(s)))) "
    "FOREACH (g IN CASE WHEN row[-3] IS NULL THEN [] ELSE [rn[row[-3]]] END | "
    "CREATE (e)-[:LOCATED_IN {level: 'county'}]->(g)) "
    "FOREACH (g IN CASE WHEN row[-2] IS NULL THEN [] ELSE [rn[row[-2]]] END | "
    "CREATE (e)-[:LOCATED_IN {level: 'zone'}]->(g)) "
    "RETURN count(*) AS n"  # a result column: the work runs on PULL, overlapping the client
)
# Ids absent from the store (checked per batch): CREATE (null properties are not stored).
_ENTERPRISE_CREATE = _BIND_NODES + f"UNWIND $rows AS row CREATE (e:Enterprise {_ROW_PROPS}) " + _ENTERPRISE_RELS
# Ids already stored: replace the properties and the relationships.
_ENTERPRISE_UNCODE = "UNWIND $ids AS id MATCH (e:Enterprise {id: id}) REMOVE e.credit_code"
_ENTERPRISE_UPDATE = (
    _BIND_NODES + f"UNWIND $rows AS row MATCH (e:Enterprise {{id: row[0]}}) SET e = {_ROW_PROPS} "
    "WITH sn, rn, e, row CALL (e) { MATCH (e)-[r:OPERATES_IN|LOCATED_IN]->() DELETE r } " + _ENTERPRISE_RELS
)
_ENTERPRISE_RETURN = (
    "RETURN properties(e) AS props, COLLECT { MATCH (e)-[r:OPERATES_IN]->(s:Segment) "
    "RETURN r{.*, segment: s.id} ORDER BY r.position } AS segs"
)
# Ids already stored, with their state before this bulk (for the undo journal).
_ENTERPRISE_EXISTING = "UNWIND $ids AS id MATCH (e:Enterprise {id: id}) RETURN e.id AS id"
_ENTERPRISE_BEFORE = "UNWIND $ids AS id MATCH (e:Enterprise {id: id}) " + _ENTERPRISE_RETURN
_ENTERPRISE_DELETE = "UNWIND $ids AS id MATCH (e:Enterprise {id: id}) DETACH DELETE e"

# Bulks larger than one transaction (see Neo4jStore.bulk_upsert): a journal per bulk and one
# undo entry per committed transaction, deleted with the bulk's last transaction.
_JOURNAL_BEAT = (
    "MERGE (j:BulkJournal {id: $id}) ON CREATE SET j.started = timestamp() "
    "SET j.heartbeat = timestamp(), j.rows = $rows, j.state = 'running'"
)
_JOURNAL_UNDO = "CREATE (:BulkUndo {journal: $id, seq: $seq, data: $data})"
_JOURNAL_DONE = "MATCH (u:BulkUndo {journal: $id}) DELETE u WITH count(*) AS n MATCH (j:BulkJournal {id: $id}) DELETE j"
_JOURNAL_STALE = (
    "MATCH (j:BulkJournal) WHERE j.state = 'failed' OR j.heartbeat < timestamp() - $ms "
    "RETURN j.id AS id ORDER BY j.started"
)
_RECORDS_PUT = "UNWIND $rows AS row MERGE (r:Record {key: row[0]}) SET r.kind = row[1], r.id = row[2], r.data = row[3]"
_RECORDS_BEFORE = "UNWIND $keys AS key MATCH (r:Record {key: key}) RETURN key, r.data AS data"
_JOURNAL_LAST = "MATCH (u:BulkUndo {journal: $id}) RETURN u.seq AS seq, u.data AS data ORDER BY u.seq DESC LIMIT 1"

R = TypeVar("R")
T = TypeVar("T")
Work = Callable[..., R]


def _props(model: Any, exclude: set[str] | None = None) -> dict[str, Any]:
    """Model fields as Neo4j properties (JSON types; ``None`` left out)."""
    return {k: v for k, v in model.model_dump(mode="json", exclude=exclude).items() if v is not None}


_SIMPLE = (str, int, float, bool)
assert _NODE_FIELDS[0] == "id" and "note" in _NODE_FIELDS and "tags" in _NODE_FIELDS


class _NotSimple(Exception):
    """A field value that needs pydantic's JSON serialisation."""


def _simple(value: Any) -> Any:
    """A str/int/float/bool/enum value (or a list of them) as its JSON form, else _NotSimple."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, _SIMPLE):
        return value
    if isinstance(value, list):
        return [_simple(v) for v in value]
    raise _NotSimple


def _values(model: Any, fields: tuple[str, ...]) -> list[Any]:
    """JSON values of ``fields`` (None for None), without pydantic's serialiser for plain
    values (a million enterprises); falls back to ``model_dump`` for anything else."""
    values = model.__dict__
    try:
        return [None if (v := values.get(k)) is None else _simple(v) for k in fields]
    except _NotSimple:
        dumped = model.model_dump(mode="json", include=set(fields))
        return [dumped.get(k) for k in fields]


def _enterprise_row(e: Enterprise, seg_index: dict[str, int], reg_index: dict[str, int]) -> list[Any]:
    """The bulk-write row of one (validated) enterprise (see ``_ENTERPRISE_CREATE``);
    ``seg_index`` / ``reg_index`` map segment / region ids to their position in the
    batch's ``$segs`` / ``$regs`` (new ids are appended).

    Empty ``note``, ``tags`` and ``attributes`` (the model's defaults) are not stored."""
    row = _values(e, _ENTERPRISE_FIELDS)
    row.append(common.name_key(e.name))
    row.append(json.dumps(e.attributes, ensure_ascii=False, sort_keys=True) if e.attributes else None)
    for i in _EMPTY_AT:
        if not row[i]:
            row[i] = None
    for region in (e.county, e.zone):
        row.append(None if not region else reg_index.setdefault(region, len(reg_index)))
    row.append([[seg_index.setdefault(p.segment, len(seg_index)), *_values(p, _PRESENCE_FIELDS)] for p in e.segments])
    return row


_EMPTY_AT = (_NODE_FIELDS.index("note"), _NODE_FIELDS.index("tags"))


def _public(props: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if not k.startswith("_")}


def _enterprise(props: Mapping[str, Any], segs: list[Mapping[str, Any]]) -> Enterprise:
    data = _public(props)
    data["attributes"] = json.loads(props.get("_attributes") or "{}")
    data["segments"] = [{k: v for k, v in p.items() if k != "position"} for p in segs]
    return Enterprise.model_validate(data)


#: Default enterprises per transaction of a bulk write (see Neo4jStore.bulk_upsert).
DEFAULT_TX_ROWS = 100_000


def _tx_rows(value: int | None) -> int:
    """``tx_rows`` from the argument, else CHAINMAP_NEO4J_TX_ROWS, else the default."""
    field = "tx_rows"
    if value is None:
        text = os.environ.get("CHAINMAP_NEO4J_TX_ROWS", "").strip()
        if not text:
            return DEFAULT_TX_ROWS
        field = "CHAINMAP_NEO4J_TX_ROWS"
        try:
            value = int(text.replace("_", ""))
        except ValueError:
            value = None
        if value is None or value < 1:
            raise InvalidInput(f"{field} must be a positive whole number of enterprises, got {text!r}", field=field)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput(f"{field} must be a positive whole number of enterprises, got {value!r}", field=field)
    return value


class Neo4jStore(Store):
    """:class:`~chainmap.storage.base.Store` on a Neo4j 5 server.

    Parameters
    ----------
    uri : str, optional
        Bolt URI; default NEO4J_URI, else ``bolt://127.0.0.1:7687``.
    user, password : str, optional
        Credentials; default NEO4J_USER (``neo4j``) / NEO4J_PASSWORD.  An empty
        password connects without authentication.
    database : str, optional
        Default NEO4J_DATABASE, else ``neo4j``.
    timeout : float
        Seconds to wait for a connection, and to keep retrying a transaction
        that failed transiently, before raising StorageUnavailable.
    tx_rows : int, optional
        Enterprises per transaction of a bulk write; default CHAINMAP_NEO4J_TX_ROWS,
        else 100,000 (fits the 2 GiB default heap of infra/neo4j with room to spare;
        see :meth:`bulk_upsert`).

    Raises
    ------
    StorageUnavailable
        the server cannot be reached (the message names the URI), or its data
        has a newer chainmap schema.
    """

    backend = "neo4j"

    def __init__(
        self,
        uri: str | None = None,
        *,
        user: str | None = None,
        password: str | None = None,
        database: str | None = None,
        timeout: float = 5.0,
        tx_rows: int | None = None,
    ) -> None:
        self.uri = uri or os.environ.get("NEO4J_URI") or DEFAULT_URI
        self.database = database or os.environ.get("NEO4J_DATABASE") or "neo4j"
        self.tx_rows = _tx_rows(tx_rows)
        self._orphans: set[str] = set()  # journals of this store's failed bulks not yet undone
        user = user or os.environ.get("NEO4J_USER") or "neo4j"
        password = password if password is not None else os.environ.get("NEO4J_PASSWORD", "")
        self._local = threading.local()
        if self.uri.split("://", 1)[0] not in _SCHEMES:
            raise InvalidInput(
                f"bad Neo4j URI {self.uri!r}: expected one of {', '.join(s + '://' for s in _SCHEMES)}",
                field="NEO4J_URI",
            )
        try:
            self._driver = neo4j.GraphDatabase.driver(
                self.uri,
                auth=(user, password) if password else None,
                connection_timeout=timeout,
                connection_acquisition_timeout=2 * timeout,
                max_transaction_retry_time=timeout,
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
        """Translate driver errors into chainmap errors (no driver error leaves this module)."""
        try:
            yield
        except (ChainmapError, _SourceFailed):
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

    def _current(self) -> neo4j.Transaction | None:
        return getattr(self._local, "tx", None)

    def _read(self, work: Work[R], **params: Any) -> R:
        """Run ``work(tx, **params)`` in the open transaction or a managed read transaction."""
        with self._errors():
            tx = self._current()
            if tx is not None:
                return work(tx, **params)
            with self._session() as session:
                return session.execute_read(work, **params)

    def _write(self, work: Work[R], **params: Any) -> R:
        """Run ``work(tx, **params)`` in the open transaction or a managed write transaction."""

        def bumped(tx: neo4j.ManagedTransaction, **kw: Any) -> R:
            tx.run(_BUMP, version=SCHEMA_VERSION).consume()
            return work(tx, **kw)

        with self._errors():
            tx = self._current()
            if tx is not None:
                return work(tx, **params)
            with self._session() as session:
                return session.execute_write(bumped, **params)

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
        try:
            yield tx
            with self._errors():
                tx.commit()
        finally:
            self._local.tx = None
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
                tx.run(_BUMP, version=SCHEMA_VERSION).consume()
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
            rec = session.run("MATCH (m:ChainmapMeta {id: 'store'}) RETURN m.schema_version AS v").single()
            found = rec["v"] if rec is not None else None
            if isinstance(found, int) and found > SCHEMA_VERSION:
                raise StorageUnavailable(
                    f"Neo4j database {self.database!r} at {self.uri} has chainmap schema version {found}, "
                    f"newer than this chainmap knows ({SCHEMA_VERSION}); refusing to use it",
                    hint="upgrade chainmap, or use another NEO4J_DATABASE",
                )
            for statement in _SCHEMA:
                session.run(statement).consume()
            session.run(
                "MERGE (m:ChainmapMeta {id: 'store'}) ON CREATE SET m.revision = 0 SET m.schema_version = $v",
                v=SCHEMA_VERSION,
            ).consume()

    # ---- lifecycle -------------------------------------------------------------------
    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._driver.close()

    def clear(self) -> None:
        """Delete everything chainmap stored, in transactions of at most 10,000 nodes (a
        million enterprises in one transaction would outgrow the server's heap).  Not
        atomic: a failure part-way leaves part of the data; calling ``clear`` again
        finishes the job."""
        labels = ("Enterprise", "Segment", "Region", "Chain", "Record", "BulkJournal", "BulkUndo")

        def batch(tx: Any, label: str) -> int:
            query = f"MATCH (n:{label}) WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS n"
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
                    lambda tx: tx.run("MATCH (m:ChainmapMeta {id: 'store'}) RETURN m.schema_version AS v").single()
                )
            info.update(reachable=True, version=server.agent, schema_version=version["v"] if version else None)
        except Exception as err:  # ping never raises
            info.update(reachable=False, version=None, schema_version=None, detail=str(err))
        return info

    def revision(self) -> int:
        rec = self._read(lambda tx: tx.run("MATCH (m:ChainmapMeta {id: 'store'}) RETURN m.revision AS r").single())
        return int(rec["r"] or 0) if rec is not None else 0

    # ---- generic node helpers -----------------------------------------------------------
    def _get_props(self, kind: str, node_id: str) -> dict[str, Any]:
        query = f"MATCH (n:{_LABEL[kind]} {{id: $id}}) RETURN properties(n) AS p"
        rec = self._read(lambda tx, id: tx.run(query, id=id).single(), id=node_id)
        if rec is None:
            raise NotFound(f"{kind} {node_id!r} not found")
        return _public(rec["p"])

    def _list_props(self, kind: str) -> list[dict[str, Any]]:
        query = f"MATCH (n:{_LABEL[kind]}) RETURN properties(n) AS p ORDER BY n.id"
        return [_public(r["p"]) for r in self._read(lambda tx: list(tx.run(query)))]

    @staticmethod
    def _lookup(tx: neo4j.Transaction | neo4j.ManagedTransaction, kind: str, ids: set[str]) -> set[str]:
        query = f"UNWIND $ids AS id MATCH (n:{_LABEL[kind]} {{id: id}}) RETURN n.id AS id"
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

        return [Segment.model_validate(_public(r["p"])) for r in self._read(work, chain=chain)]

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
                    f"MATCH (a:Segment)-[r:{_LINK_TYPES}]-(b:Segment) WHERE a.id = $id "
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

        self._write(work, id=segment_id)

    # ---- links -----------------------------------------------------------------------
    def list_links(self, chain: str | None = None) -> list[Link]:
        def work(tx: Any, chain: str | None) -> list[Any]:
            query = f"MATCH (a:Segment)-[r:{_LINK_TYPES}]->(b:Segment) "
            params: dict[str, Any] = {}
            if chain is not None:
                query += "WHERE a.chain IN $ids OR b.chain IN $ids "
                params["ids"] = self._chain_ids(tx, chain)
            query += "RETURN a.id AS source, b.id AS target, type(r) AS type, properties(r) AS p"
            return list(tx.run(query, **params))

        links = [
            Link.model_validate({**r["p"], "source": r["source"], "target": r["target"], "kind": _KIND_OF_TYPE[r["type"]]})
            for r in self._read(work, chain=chain)
        ]
        return sorted(links, key=lambda ln: ln.key)

    def upsert_link(self, link: Link) -> None:
        self.bulk_upsert(links=[link])

    def delete_link(self, source: str, target: str, kind: LinkKind | str) -> None:
        k = common.parse_link_kind(kind)
        query = f"MATCH (:Segment {{id: $s}})-[r:{REL_TYPES[k]}]->(:Segment {{id: $t}}) DELETE r RETURN count(r) AS n"

        def work(tx: Any, s: str, t: str) -> None:
            if tx.run(query, s=s, t=t).single()["n"] == 0:
                raise NotFound(f"link {s}-[{k.value}]->{t} not found")

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

        self._write(work, id=region_id)

    # ---- enterprises -----------------------------------------------------------------
    def get_enterprise(self, enterprise_id: str) -> Enterprise:
        query = f"MATCH (e:Enterprise {{id: $id}}) {_ENTERPRISE_RETURN}"
        rec = self._read(lambda tx, id: tx.run(query, id=id).single(), id=enterprise_id)
        if rec is None:
            raise NotFound(f"enterprise {enterprise_id!r} not found")
        return _enterprise(rec["props"], rec["segs"])

    def find_enterprise_by_credit_code(self, credit_code: str) -> Enterprise | None:
        query = f"MATCH (e:Enterprise {{credit_code: $code}}) {_ENTERPRISE_RETURN}"
        code = (credit_code or "").strip().upper()
        rec = self._read(lambda tx, code: tx.run(query, code=code).single(), code=code)
        return _enterprise(rec["props"], rec["segs"]) if rec is not None else None

    def list_enterprises(self) -> list[Enterprise]:
        return list(self.iter_enterprises())

    def iter_enterprises(self, *, batch_size: int = 5000) -> Iterator[Enterprise]:
        common.check_batch_size(batch_size)
        query = f"MATCH (e:Enterprise) WHERE e.id > $after WITH e ORDER BY e.id LIMIT $n {_ENTERPRISE_RETURN}"
        after = ""
        while True:
            rows = self._read(lambda tx, after: list(tx.run(query, after=after, n=batch_size)), after=after)
            yield from (_enterprise(r["props"], r["segs"]) for r in rows)
            if len(rows) < batch_size:
                return
            after = rows[-1]["props"]["id"]

    def upsert_enterprise(self, enterprise: Enterprise) -> None:
        self.bulk_upsert(enterprises=[enterprise])

    def delete_enterprise(self, enterprise_id: str) -> None:
        def work(tx: Any, id: str) -> None:
            self._require(tx, "Enterprise", "enterprise", id)
            tx.run("MATCH (e:Enterprise {id: $id}) DETACH DELETE e", id=id).consume()

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
        return [_enterprise(r["props"], r["segs"]) for r in rec["page"]], int(rec["total"])

    # ---- bulk ------------------------------------------------------------------------
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
        """
        common.check_batch_size(batch_size)
        recs = common.record_payloads(records)
        nested = self._current() is not None
        small = isinstance(enterprises, Sized) and len(enterprises) <= self.tx_rows
        if not nested and (self._orphans or not small):  # not on every single-object write
            self.recover_bulks()
        bulk = _Bulk(self, batch_size, before_images=not (nested or small))
        pending = _Lookahead(common.batched(enterprises, batch_size))
        try:
            first = True
            while first or pending.more():
                with self._explicit() as tx, self._errors():
                    if first:
                        bulk.start(tx, chains, regions, segments, links, recs)
                        first = False
                    bulk.write_enterprises(tx, pending, None if nested else self.tx_rows)
                    if not nested and pending.more():
                        bulk.journal(tx)
                    elif bulk.seq:
                        tx.run(_JOURNAL_DONE, id=bulk.id).consume()
                bulk.committed = bulk.row - 1
        except _SourceFailed as failed:  # the caller's generator: its own error, unchanged
            if bulk.seq:
                self._undo_after(bulk, failed.error)
            raise failed.error from None
        except BaseException as err:
            if bulk.seq:
                self._undo_after(bulk, err)
            raise
        return bulk.counts

    def _undo_after(self, bulk: _Bulk, err: BaseException) -> None:
        """Undo the committed part of a failed bulk; if that fails too, say so (and keep
        the journal for :meth:`recover_bulks`)."""
        try:
            self._undo(bulk.id)
        except ChainmapError as undo_err:
            self._orphans.add(bulk.id)  # this store undoes it first thing next time
            with contextlib.suppress(ChainmapError):
                self._write(lambda tx: tx.run("MATCH (j:BulkJournal {id: $id}) SET j.state = 'failed'",
                                              id=bulk.id).consume())
            raise StorageUnavailable(
                f"bulk write failed after {bulk.committed} enterprises were committed ({err}); "
                f"undoing them failed too ({undo_err})",
                hint="once Neo4j is back, this store undoes them on its next bulk write or "
                "Neo4jStore.recover_bulks(); any other store does so when it opens (within ten minutes)",
            ) from None

    def recover_bulks(self, *, stale_after: float = 600.0) -> int:
        """Undo bulks left part-way: this store's own bulks whose undo failed, and those of
        writers that died (journal without a heartbeat for ``stale_after`` seconds, or
        marked failed); returns how many were undone."""
        with self._errors(), self._session() as session:
            ids = [r["id"] for r in session.run(_JOURNAL_STALE, ms=int(stale_after * 1000))]
        ids = list(dict.fromkeys([*sorted(self._orphans), *ids]))
        for journal in ids:
            self._undo(journal)
            self._orphans.discard(journal)
        return len(ids)

    def _undo(self, journal: str) -> None:
        """Undo a bulk's committed transactions newest first, one transaction each
        (each also deletes its undo entry, so an interrupted undo resumes where it stopped)."""

        def step(tx: Any) -> bool:
            rec = tx.run(_JOURNAL_LAST, id=journal).single()
            if rec is None:
                tx.run(_JOURNAL_DONE, id=journal).consume()
                return False
            data = json.loads(rec["data"])
            for ids in common.batched(data["created"], 10_000):
                tx.run(_ENTERPRISE_DELETE, ids=ids).consume()
            before = [Enterprise.model_validate(e) for e in data["updated"]]
            for batch in common.batched(before, 10_000):
                seg_index: dict[str, int] = {}
                reg_index: dict[str, int] = {}
                rows = [_enterprise_row(e, seg_index, reg_index) for e in batch]
                tx.run(_ENTERPRISE_UNCODE, ids=[r[0] for r in rows]).consume()
                tx.run(_ENTERPRISE_UPDATE, rows=rows, segs=list(seg_index), regs=list(reg_index)).consume()
            if "graph" in data:
                self._restore_graph(tx, data["graph"])
            tx.run("MATCH (u:BulkUndo {journal: $id, seq: $seq}) DELETE u", id=journal, seq=rec["seq"]).consume()
            return True

        while self._write(step):
            pass

    def _restore_graph(self, tx: Any, graph: Mapping[str, Any]) -> None:
        """Put chains, regions, segments and links back as they were before a bulk."""
        models = {"chain": Chain, "region": Region, "segment": Segment}
        for kind, model in models.items():
            old = [model.model_validate(props) for props in graph[kind].values() if props is not None]
            if old:
                self._put_nodes(tx, kind, old)
        for source, target, kind, props in graph["link"]:
            rel = REL_TYPES[LinkKind(kind)]
            query = f"MATCH (:Segment {{id: $s}})-[r:{rel}]->(:Segment {{id: $t}}) "
            if props is None:
                tx.run(query + "DELETE r", s=source, t=target).consume()
            else:
                tx.run(query + "SET r = $props", s=source, t=target, props=props).consume()
        old_records = [[f"{k}/{i}", k, i, data] for k, i, data in graph.get("record", []) if data is not None]
        tx.run(_RECORDS_PUT, rows=old_records).consume()
        new_records = [f"{k}/{i}" for k, i, data in graph.get("record", []) if data is None]
        tx.run("UNWIND $keys AS key MATCH (r:Record {key: key}) DELETE r", keys=new_records).consume()
        for kind in ("segment", "region", "chain"):
            new = [i for i, props in graph[kind].items() if props is None]
            tx.run(f"UNWIND $ids AS id MATCH (n:{_LABEL[kind]} {{id: id}}) DETACH DELETE n", ids=new).consume()

    @staticmethod
    def _graph_before(tx: Any, items: Mapping[str, list[Any]], links: list[Link]) -> dict[str, Any]:
        """The stored state of the chains, regions, segments and links a bulk will write."""
        graph: dict[str, Any] = {}
        for kind, batch in items.items():
            query = f"UNWIND $ids AS id MATCH (n:{_LABEL[kind]} {{id: id}}) RETURN n.id AS id, properties(n) AS p"
            stored = {r["id"]: _public(r["p"]) for r in tx.run(query, ids=[m.id for m in batch])}
            graph[kind] = {m.id: stored.get(m.id) for m in batch}
        stored_links: dict[tuple[str, str, str], dict[str, Any]] = {}
        for kind, rel in REL_TYPES.items():
            pairs = [[ln.source, ln.target] for ln in links if ln.kind == kind]
            query = (f"UNWIND $pairs AS p MATCH (a:Segment {{id: p[0]}})-[r:{rel}]->(b:Segment {{id: p[1]}}) "
                     "RETURN a.id AS s, b.id AS t, properties(r) AS p")
            for r in tx.run(query, pairs=pairs) if pairs else ():
                stored_links[(r["s"], r["t"], kind.value)] = r["p"]
        graph["link"] = [[ln.source, ln.target, ln.kind.value, stored_links.get((ln.source, ln.target, ln.kind.value))]
                         for ln in links]
        return graph

    @staticmethod
    def _put_nodes(tx: Any, kind: str, batch: list[Any]) -> None:
        """MERGE nodes, then replace their hierarchy relationships (targets may be in the batch)."""
        label = _LABEL[kind]
        rows = [{"id": m.id, "props": _props(m)} for m in batch]
        tx.run(f"UNWIND $rows AS row MERGE (n:{label} {{id: row.id}}) SET n = row.props", rows=rows).consume()
        ids = [m.id for m in batch]
        for _, rel, target, field in _HIERARCHY[kind]:
            tx.run(f"UNWIND $ids AS id MATCH (n:{label} {{id: id}})-[r:{rel}]->() DELETE r", ids=ids).consume()
            pairs = [{"id": m.id, "to": getattr(m, field)} for m in batch if getattr(m, field)]
            tx.run(
                f"UNWIND $pairs AS p MATCH (n:{label} {{id: p.id}}) MATCH (t:{target} {{id: p.to}}) "
                f"MERGE (n)-[:{rel}]->(t)",
                pairs=pairs,
            ).consume()

    @staticmethod
    def _put_links(tx: Any, batch: list[Link]) -> None:
        for kind, rel in REL_TYPES.items():
            rows = [
                {"s": ln.source, "t": ln.target, "props": _props(ln, {"source", "target", "kind"})}
                for ln in batch
                if ln.kind == kind
            ]
            if rows:
                tx.run(
                    f"UNWIND $rows AS row MATCH (a:Segment {{id: row.s}}) MATCH (b:Segment {{id: row.t}}) "
                    f"MERGE (a)-[r:{rel}]->(b) SET r = row.props",
                    rows=rows,
                ).consume()

    # ---- records ---------------------------------------------------------------------
    def put_record(self, kind: str, record_id: str, data: Mapping[str, Any]) -> None:
        _, text = common.record_payload(kind, record_id, data)
        row = [f"{kind}/{record_id}", kind, record_id, text]
        self._write(lambda tx, row: tx.run(_RECORDS_PUT, rows=[row]).consume(), row=row)

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

        self._write(work, key=f"{kind}/{record_id}")


_END = object()


class _SourceFailed(Exception):
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
                raise _SourceFailed(err) from err
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
    """One :meth:`Neo4jStore.bulk_upsert` call across its transactions: the validator
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

    def start(self, tx: Any, chains: Iterable[Chain], regions: Iterable[Region],
              segments: Iterable[Segment], links: Iterable[Link], records: list[tuple[str, str, str]]) -> None:
        """Validate and write everything but the enterprises (first transaction)."""
        store = self.store
        # A store without enterprises has no stored credit codes and nothing to replace.
        self.fresh = tx.run("MATCH (e:Enterprise) RETURN e.id AS id LIMIT 1").single() is None
        v = self.validator = common.BulkValidator(
            lambda kind, ids: store._lookup(store._current(), kind, ids),
            (lambda codes: {}) if self.fresh else (lambda codes: store._owners(store._current(), codes)),
        )
        cs, rs, ss, ls = v.chains(chains), v.regions(regions), v.segments(segments), v.links(links)
        keys = [f"{kind}/{rid}" for kind, rid, _ in records]
        if self.before_images:
            self.undo["graph"] = store._graph_before(tx, {"chain": cs, "region": rs, "segment": ss}, ls)
            stored = {r["key"]: r["data"] for r in tx.run(_RECORDS_BEFORE, keys=keys)}
            self.undo["graph"]["record"] = [[kind, rid, stored.get(key)] for (kind, rid, _), key in zip(records, keys, strict=True)]
        for kind, items in (("chain", cs), ("region", rs), ("segment", ss)):
            for batch in common.batched(items, self.batch_size):
                store._put_nodes(tx, kind, batch)
        for batch in common.batched(ls, self.batch_size):
            store._put_links(tx, batch)
        for batch in common.batched(records, self.batch_size):
            tx.run(_RECORDS_PUT, rows=[[f"{k}/{i}", k, i, text] for k, i, text in batch]).consume()
        self.counts.update(chains=len(cs), regions=len(rs), segments=len(ss), links=len(ls), records=len(records))

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
            rows = [_enterprise_row(e, seg_index, reg_index) for e in valid]
            if result is not None:
                result.consume()
            result = self._put(tx, rows, list(seg_index), list(reg_index))
            self.row += len(batch)
            written += len(batch)
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
                stored = list(tx.run(_ENTERPRISE_BEFORE, ids=ids))
                existing = {r["props"]["id"] for r in stored}
                self.undo["updated"] += [_enterprise(r["props"], r["segs"]).model_dump(mode="json") for r in stored]
            else:
                existing = {r["id"] for r in tx.run(_ENTERPRISE_EXISTING, ids=ids)}
            if existing:
                updates = [r for r in rows if r[0] in existing]
                rows = [r for r in rows if r[0] not in existing]
                tx.run(_ENTERPRISE_UNCODE, ids=sorted(existing)).consume()
                result = tx.run(_ENTERPRISE_UPDATE, rows=updates, segs=segs, regs=regs)
                if not rows:
                    return result
                result.consume()
        if self.before_images:
            self.undo["created"] += [r[0] for r in rows]
        return tx.run(_ENTERPRISE_CREATE, rows=rows, segs=segs, regs=regs)

    def journal(self, tx: Any) -> None:
        """Commit the undo entry of this transaction with it (more transactions follow)."""
        if not self.before_images:  # only if len(enterprises) was smaller than the rows it gave
            raise InvalidInput("enterprises gave more rows than its len() said", field="enterprises")
        self.seq += 1
        tx.run(_JOURNAL_BEAT, id=self.id, rows=self.row - 1).consume()
        data = json.dumps(self.undo, ensure_ascii=False)
        tx.run(_JOURNAL_UNDO, id=self.id, seq=self.seq, data=data).consume()
        self.undo = {"created": [], "updated": []}
