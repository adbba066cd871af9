"""Cypher texts of the Neo4j store, and the fixed maps spliced into them.

Every query is parameterised; the only text spliced into a query comes from
the maps and tuples of this module (labels, relationship types, property
names of the models, record kinds from :data:`~chainmap.storage.base.RECORD_KINDS`).
One-off lookups stay next to the store method that runs them; everything shared
by the CRUD store (``store.py``) and the bulk engine (``bulk.py``) is here.
No driver import: these are strings.
"""

from __future__ import annotations

from collections.abc import Iterable

from chainmap.models import Enterprise, LinkKind, SegmentPresence
from chainmap.storage.base import RECORD_KINDS

#: Link kind -> relationship type (the whitelist used to build link queries).
REL_TYPES: dict[LinkKind, str] = {
    LinkKind.supplies: "SUPPLIES",
    LinkKind.part_of: "PART_OF",
    LinkKind.enables: "ENABLES",
}
KIND_OF_TYPE = {v: k for k, v in REL_TYPES.items()}
LINK_TYPES = "|".join(REL_TYPES.values())

SCHEMA = [
    "CREATE CONSTRAINT chainmap_chain_id IF NOT EXISTS FOR (n:Chain) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT chainmap_segment_id IF NOT EXISTS FOR (n:Segment) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT chainmap_region_id IF NOT EXISTS FOR (n:Region) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT chainmap_enterprise_id IF NOT EXISTS FOR (n:Enterprise) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT chainmap_enterprise_credit_code IF NOT EXISTS "
    "FOR (n:Enterprise) REQUIRE n.credit_code IS UNIQUE",
    "CREATE CONSTRAINT chainmap_record_key IF NOT EXISTS FOR (n:Record) REQUIRE n.key IS UNIQUE",
    "CREATE CONSTRAINT chainmap_meta_id IF NOT EXISTS FOR (n:ChainmapMeta) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT chainmap_derived_key IF NOT EXISTS FOR (n:ChainmapDerived) REQUIRE n.key IS UNIQUE",
    "CREATE INDEX chainmap_segment_chain IF NOT EXISTS FOR (n:Segment) ON (n.chain)",
    "CREATE INDEX chainmap_enterprise_county IF NOT EXISTS FOR (n:Enterprise) ON (n.county)",
    "CREATE INDEX chainmap_enterprise_zone IF NOT EXISTS FOR (n:Enterprise) ON (n.zone)",
    "CREATE INDEX chainmap_record_kind IF NOT EXISTS FOR (n:Record) ON (n.kind)",
]

# Derived results (Store.get_derived): a cache, written without BUMP (it counts as no write).
GET_DERIVED = "MATCH (d:ChainmapDerived {key: $key}) WHERE d.revision = $revision RETURN d.value AS v"
PUT_DERIVED = "MERGE (d:ChainmapDerived {key: $key}) SET d.revision = $revision, d.value = $value"

BUMP = (
    "MERGE (m:ChainmapMeta {id: 'store'}) ON CREATE SET m.schema_version = $version "
    "SET m.revision = coalesce(m.revision, 0) + 1"
)

# (label, relationship type, target label, model field) of each node -> node reference.
HIERARCHY = {
    "chain": [("Chain", "SUB_CHAIN_OF", "Chain", "parent")],
    "region": [("Region", "PART_OF", "Region", "parent"), ("Region", "IN_COUNTY", "Region", "county")],
    "segment": [("Segment", "IN_CHAIN", "Chain", "chain"), ("Segment", "CHILD_OF", "Segment", "parent")],
}
LABEL = {"chain": "Chain", "region": "Region", "segment": "Segment"}
# Bulk enterprise writes.  Rows are positional lists (no map keys to encode: the Python
# driver's packing is the client's main cost): row[i] is the property NODE_FIELDS[i]
# (None: not stored), row[-3] / row[-2] the county / zone as an index into $regs (or None),
# row[-1] the segment presences [segment index into $segs, *PRESENCE_FIELDS].  The few
# segment and region nodes of a batch are looked up once per query (a missing one is a null
# in the list, and CREATE with a null end node fails loudly); each enterprise node stays
# bound, it is never looked up again, and the plan has no Eager step.
#: Enterprise fields stored as node properties (segments are relationships, attributes JSON).
ENTERPRISE_FIELDS = tuple(f for f in Enterprise.model_fields if f not in ("segments", "attributes"))
NODE_FIELDS = (*ENTERPRISE_FIELDS, "_name_key", "_attributes")
PRESENCE_FIELDS = tuple(f for f in SegmentPresence.model_fields if f != "segment")
ROW_PROPS = "{" + ", ".join(f"`{f}`: row[{i}]" for i, f in enumerate(NODE_FIELDS)) + "}"
REL_PROPS = "{" + ", ".join(f"`{f}`: p[{i}]" for i, f in enumerate(PRESENCE_FIELDS, start=1)) + ", position: i}"
BIND_NODES = (
    "WITH [id IN $segs | head(COLLECT { MATCH (s:Segment {id: id}) RETURN s })] AS sn, "
    "[id IN $regs | head(COLLECT { MATCH (g:Region {id: id}) RETURN g })] AS rn "
)
ENTERPRISE_RELS = (
    "FOREACH (i IN range(0, size(row[-1]) - 1) | FOREACH (p IN [row[-1][i]] | FOREACH (s IN [sn[p[0]]] | "
    f"CREATE (e)-[:OPERATES_IN {REL_PROPS}]->(s)))) "
    "FOREACH (g IN CASE WHEN row[-3] IS NULL THEN [] ELSE [rn[row[-3]]] END | "
    "CREATE (e)-[:LOCATED_IN {level: 'county'}]->(g)) "
    "FOREACH (g IN CASE WHEN row[-2] IS NULL THEN [] ELSE [rn[row[-2]]] END | "
    "CREATE (e)-[:LOCATED_IN {level: 'zone'}]->(g)) "
    "RETURN count(*) AS n"  # a result column: the work runs on PULL, overlapping the client
)
# Ids absent from the store (checked per batch): CREATE (null properties are not stored).
ENTERPRISE_CREATE = BIND_NODES + f"UNWIND $rows AS row CREATE (e:Enterprise {ROW_PROPS}) " + ENTERPRISE_RELS
# Ids already stored: replace the properties and the relationships.
ENTERPRISE_UNCODE = "UNWIND $ids AS id MATCH (e:Enterprise {id: id}) REMOVE e.credit_code"
ENTERPRISE_UPDATE = (
    BIND_NODES + f"UNWIND $rows AS row MATCH (e:Enterprise {{id: row[0]}}) SET e = {ROW_PROPS} "
    "WITH sn, rn, e, row CALL (e) { MATCH (e)-[r:OPERATES_IN|LOCATED_IN]->() DELETE r } " + ENTERPRISE_RELS
)
ENTERPRISE_RETURN = (
    "RETURN properties(e) AS props, COLLECT { MATCH (e)-[r:OPERATES_IN]->(s:Segment) "
    "RETURN r{.*, segment: s.id} ORDER BY r.position } AS segs"
)
# Ids already stored, with their state before this bulk (for the undo journal).
ENTERPRISE_EXISTING = "UNWIND $ids AS id MATCH (e:Enterprise {id: id}) RETURN e.id AS id"
ENTERPRISE_BEFORE = "UNWIND $ids AS id MATCH (e:Enterprise {id: id}) " + ENTERPRISE_RETURN
ENTERPRISE_DELETE = "UNWIND $ids AS id MATCH (e:Enterprise {id: id}) DETACH DELETE e"

# Bulks larger than one transaction (see Neo4jStore.bulk_upsert): a journal per bulk and one
# undo entry per committed transaction, deleted with the bulk's last transaction.
JOURNAL_BEAT = (
    "MERGE (j:BulkJournal {id: $id}) ON CREATE SET j.started = timestamp() "
    "SET j.heartbeat = timestamp(), j.rows = $rows, j.state = 'running'"
)
JOURNAL_UNDO = "CREATE (:BulkUndo {journal: $id, seq: $seq, data: $data})"
JOURNAL_DONE = "MATCH (u:BulkUndo {journal: $id}) DELETE u WITH count(*) AS n MATCH (j:BulkJournal {id: $id}) DELETE j"
JOURNAL_STALE = (
    "MATCH (j:BulkJournal) WHERE j.state = 'failed' OR j.heartbeat < timestamp() - $ms "
    "RETURN j.id AS id ORDER BY j.started"
)
RECORDS_PUT = "UNWIND $rows AS row MERGE (r:Record {key: row[0]}) SET r.kind = row[1], r.id = row[2], r.data = row[3]"
RECORDS_BEFORE = "UNWIND $keys AS key MATCH (r:Record {key: key}) RETURN key, r.data AS data"
JOURNAL_LAST = "MATCH (u:BulkUndo {journal: $id}) RETURN u.seq AS seq, u.data AS data ORDER BY u.seq DESC LIMIT 1"

# ---- the meta nodes: schema version and revision counters ---------------------------
# Every write transaction starts with BUMP on (:ChainmapMeta {id: 'store'}) (the write lock
# on that node serialises writers, which makes read-modify-write safe) and, if it wrote
# graph objects or records, ends with counters(...) on (:ChainmapMeta {id: 'revisions'}).
# The counters live on a second node because a second write to the 'store' node, late in
# a transaction, deadlocks with writers queued on BUMP (measured on Neo4j 5.26); the
# 'revisions' node is only ever written by the holder of the 'store' lock.  A record
# kind's counter is the record revision of its last write.
SETUP_META = (
    "MERGE (m:ChainmapMeta {id: 'store'}) ON CREATE SET m.revision = 0 "
    "SET m.schema_version = $v "
    # schema 1 -> 2: the graph and record revisions start at the revision
    "MERGE (c:ChainmapMeta {id: 'revisions'}) "
    "ON CREATE SET c.graph_revision = coalesce(m.revision, 0), c.record_revision = coalesce(m.revision, 0)"
)
SCHEMA_VERSION_OF = "MATCH (m:ChainmapMeta {id: 'store'}) RETURN m.schema_version AS v"
#: ``node`` ('store' for the revision, 'revisions' for the others), ``key`` the property.
COUNTER = "MATCH (m:ChainmapMeta {id: $node}) RETURN m[$key] AS r"


def kind_counter(kind: str) -> str:
    """The property of the 'revisions' node holding the counter of record ``kind`` (a known kind)."""
    if kind not in RECORD_KINDS:  # guards the splice below
        raise ValueError(f"unknown record kind {kind!r}")
    return f"record_revision_{kind}"


def counters(*, graph: bool, kinds: Iterable[str]) -> str | None:
    """The query bumping the graph and record counters (None: nothing to bump).

    >>> counters(graph=False, kinds=())
    >>> print(counters(graph=True, kinds=["project"]))
    MATCH (c:ChainmapMeta {id: 'revisions'}) SET c.graph_revision = coalesce(c.graph_revision, 0) + 1 \
SET c.record_revision = coalesce(c.record_revision, 0) + 1 SET c.`record_revision_project` = c.record_revision
    """
    names = [kind_counter(k) for k in sorted(set(kinds))]
    if not graph and not names:
        return None
    query = "MATCH (c:ChainmapMeta {id: 'revisions'}) "
    if graph:
        query += "SET c.graph_revision = coalesce(c.graph_revision, 0) + 1 "
    if names:
        query += "SET c.record_revision = coalesce(c.record_revision, 0) + 1 "
        query += "SET " + ", ".join(f"c.`{n}` = c.record_revision" for n in names)
    return query.rstrip()
