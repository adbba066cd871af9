"""The storage interface: domain operations only.

Backends (``sqlite.py``, the embedded default; ``neo4j.py``) implement
:class:`Store`.  No driver type and no driver exception crosses this
interface: backends raise only :mod:`chainmap.exceptions` errors
(NotFound, Conflict, InvalidInput, StorageUnavailable).

Records of later features (projects, follow-ups, candidates, leads, API keys,
targets) are stored as *records*: JSON documents of a ``kind`` with a string id,
listed with equality filters on their top-level fields.

Versions (optimistic concurrency): :func:`object_tag` is the version tag of a
stored object, a hash of its content; :meth:`Store.guarded` is the transaction
of a conditional write, which re-reads the object, compares its tag with the
one the writer read (:func:`check_tag`) and only then lets the writer write, so
of two writers holding the same tag exactly one succeeds.  The API sends the
tag as the ``ETag`` of single resources and takes it back in ``If-Match``.
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

from chainmap.exceptions import NotFound, PreconditionFailed

if TYPE_CHECKING:  # the models (and pydantic) load when a store first reads or writes one
    from pydantic import BaseModel

    from chainmap.models import Chain, Enterprise, Link, LinkKind, Region, Segment, Tag

__all__ = ["Store", "SCHEMA_VERSION", "RECORD_KINDS", "ANY_TAG", "object_tag", "check_tag"]

#: Version of the data layout; bumped with a forward migration in each backend.
#: 1: first layout.  2: graph and record revision counters next to the revision.
#: 3: the derived-result cache (:meth:`Store.get_derived`).
SCHEMA_VERSION = 3

#: Record kinds known to the product (others are refused, to catch typos).
RECORD_KINDS = frozenset(
    {"project", "followup", "target", "candidate", "lead", "api_key", "import_report", "meta", "policy"}
    | {"census_import", "review_decision", "absence_confirmation"}  # the local census (chainmap.census)
)


#: The expected tag that matches any existing object (the API's ``If-Match: *``).
ANY_TAG = "*"

#: A stored object as its tag sees it: a model, or a record's data.
if TYPE_CHECKING:
    Tagged: TypeAlias = BaseModel | Mapping[str, Any]
else:  # the same alias at run time without importing pydantic (annotations are not evaluated)
    Tagged = Any


def object_tag(obj: Tagged) -> str:
    """The version tag of a stored object: the first 20 hex digits of the SHA-256 of
    its canonical JSON (a model dumped in JSON mode; keys sorted, no whitespace, UTF-8).

    Derived from the content only, so it is the same in every process and changes
    with every change of the object (and comes back if a change is undone).

    >>> object_tag({"id": "a", "n": 1}) == object_tag({"n": 1, "id": "a"})
    True
    >>> object_tag({"id": "a", "n": 1})
    'ebddcace15c56ac9ac7a'
    """
    import hashlib  # here: OpenSSL loads only for a tag, not for every command that opens a store
    import json

    from pydantic import BaseModel

    data = obj.model_dump(mode="json") if isinstance(obj, BaseModel) else obj
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def check_tag(current: Tagged | None, expected: Collection[str] | None, *, what: str) -> None:
    """PreconditionFailed unless ``current`` (None: absent) has one of the ``expected`` tags.

    ``expected`` None: no condition (always passes); :data:`ANY_TAG` among them: any
    existing object passes.  The error carries the current tag (``current_tag``).

    >>> check_tag({"n": 1}, None, what="x")
    >>> check_tag({"n": 1}, {ANY_TAG}, what="x")
    >>> check_tag({"n": 1}, {"0000"}, what="record 'x'")
    Traceback (most recent call last):
    ...
    chainmap.exceptions.PreconditionFailed: record 'x' was modified since it was read (version 2bfd14f43d17fc7cea24, expected 0000)
    """
    if expected is None:
        return
    if current is None:
        raise PreconditionFailed(f"{what} does not exist (expected version {', '.join(sorted(expected))})")
    tag = object_tag(current)
    if ANY_TAG in expected or tag in expected:
        return
    raise PreconditionFailed(
        f"{what} was modified since it was read (version {tag}, expected {', '.join(sorted(expected)) or 'none'})",
        current_tag=tag,
    )


class Store(abc.ABC):
    """Abstract store. Every method is atomic; :meth:`transaction` groups several.

    Identity: chains, segments and regions by ``id``; links by
    ``(source, target, kind)``; enterprises by ``id`` (required when stored;
    see :func:`chainmap.models.Enterprise`), credit codes unique when present.

    Errors: ``get_*`` and ``delete_*`` of an absent object raise NotFound;
    writes that reference absent objects or lack an id raise InvalidInput
    naming the field; duplicate credit codes and deletes of referenced objects
    raise Conflict naming the other object; an unreachable or unusable backend
    raises StorageUnavailable.  Upserts replace the whole object.
    """

    backend: str = "abstract"

    # ---- lifecycle -------------------------------------------------------
    @abc.abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abc.abstractmethod
    def ping(self) -> dict[str, Any]:
        """Health: ``{"backend", "reachable": bool, "version", "schema_version", "detail"}``,
        and ``"writable": False`` when the store can be read but not written (SQLite: a
        read-only file or ``mode=ro`` URI) -- a health check should report that as
        degraded.  Never raises (and returns within about 2 s on an unreachable server)."""

    @abc.abstractmethod
    def clear(self) -> None:
        """Delete every chainmap object, record and derived result (schema and revision
        stay; the revision grows).  For tests and ``import --replace``; irreversible."""

    # ---- revisions (cache invalidation) -------------------------------------
    # Three counters, kept by the backend with the data (so every process using the
    # same file or server sees them) and bumped in the transaction of the write:
    #
    # ================================  ==============================================
    # counter                           grows on every committed ...
    # ================================  ==============================================
    # :meth:`revision`                  write of any kind
    # :meth:`graph_revision`            write to chains, segments, links, regions or
    #                                   enterprises (what ChainData holds)
    # :meth:`record_revision`           record write (put/update/delete, bulk records)
    # ``record_revision(kind)``         record write of that kind
    # ================================  ==============================================
    #
    # ``clear`` bumps all of them; a ``bulk_upsert`` bumps graph_revision if it wrote
    # any graph object and the record counters of the kinds it wrote.  A counter may
    # grow without a visible change (a transaction that wrote nothing, or a write
    # undone later), never stay put across a change, and never goes back: a rolled-back
    # transaction leaves them as they were, and a failed bulk that a backend wrote in
    # several transactions and then undid leaves the data as before with higher
    # counters.  Inside :meth:`transaction` they can be read (a backend may or may not
    # count the open transaction's writes yet); compare values read outside.

    @abc.abstractmethod
    def revision(self) -> int:
        """A counter that grows on every committed write (any object or record).

        It never goes back: a failed bulk that a backend wrote in several
        transactions and then undid leaves the data as before, with a higher revision."""

    @abc.abstractmethod
    def graph_revision(self) -> int:
        """A counter that grows on every committed write to the chain graph: chains,
        segments, links, regions and enterprises (what :class:`~chainmap.data.ChainData`
        holds), including ``clear`` and a ``bulk_upsert`` with any of them.  Record
        writes (projects, follow-ups, targets, candidates, keys) leave it unchanged, so
        caches of gap analyses survive them.  Never goes back."""

    @abc.abstractmethod
    def record_revision(self, kind: str | None = None) -> int:
        """A counter that grows on every committed record write (``put_record``,
        ``update_record``, ``delete_record``, ``bulk_upsert`` with records, ``clear``);
        graph writes leave it unchanged.  Never goes back.

        With ``kind`` (one of :data:`RECORD_KINDS`, else InvalidInput naming ``kind``):
        the record revision at the last committed write of that kind (0 if none was
        counted yet), so it grows on writes of that kind only; e.g. a cache of candidate
        matrices keyed on ``record_revision("candidate")`` survives API-key writes.
        ``record_revision(kind) <= record_revision()`` always."""

    # ---- derived results (a cache shared by every process) --------------------
    # A result computed from the store's data (e.g. the chain summary of ``chainmap
    # chains``), kept with the data under a key and the revision it was computed at, so
    # a later process answers from it without reading and validating the data.  The
    # revision is the caller's (any counter of its choice, read *before* the data it
    # computed from); an entry answers only a reader that asks with the same revision,
    # so a write that bumps that counter retires it.  Not data: writing one bumps no
    # counter, ``clear`` drops them all, exports and backups leave them out.

    @abc.abstractmethod
    def get_derived(self, key: str, revision: int) -> str | None:
        """The value stored under ``key`` at ``revision``; None when there is none or it
        was stored at another revision."""

    @abc.abstractmethod
    def put_derived(self, key: str, revision: int, value: str) -> None:
        """Store ``value`` under ``key`` (replacing what was there) as computed at
        ``revision``.  Bumps no counter.  StorageUnavailable when the store cannot be
        written now (read-only, or busy with another writer: it does not wait) -- a
        caller treats that as "not kept", the result is still right."""

    @abc.abstractmethod
    def transaction(self) -> contextlib.AbstractContextManager[Store]:
        """Group writes: all of them commit, or none (on any exception).

        Usage: ``with store.transaction() as tx: tx.upsert_chain(...); tx.put_record(...)``.
        Reads inside the block see its writes.  The transaction belongs to the
        calling thread; other threads do not see it until it commits.  Nested
        blocks join the outer transaction (an exception inside a nested block
        undoes that block's writes where the backend can, SQLite; on Neo4j it
        dooms the whole transaction — let it propagate).  Writes of other
        threads wait while a transaction is open, so keep blocks short; reads of
        other threads do not wait and see the last committed state (SQLite: each
        thread reads on its own connection, WAL).
        """

    @contextlib.contextmanager
    def guarded(
        self, read: Callable[[Store], Tagged | None], expected: Collection[str] | None, *, what: str
    ) -> Iterator[Store]:
        """The transaction of a conditional write (optimistic concurrency).

        Opens :meth:`transaction`, re-reads the object with ``read(tx)`` (None: it
        does not exist; NotFound from ``read`` propagates) and checks its tag with
        :func:`check_tag` before the block writes, all in that one transaction: writes
        of other threads and processes wait while it is open (SQLite: ``BEGIN
        IMMEDIATE`` under the store's lock; Neo4j: every write transaction starts by
        writing the ``ChainmapMeta`` store node, a lock held until it ends), so the
        check and the write are atomic and of two writers expecting the same tag only
        the first succeeds; the second gets PreconditionFailed.

        Usage: ``with store.guarded(lambda tx: tx.get_segment(sid), tags, what=...) as tx:
        tx.upsert_segment(changed)``.  ``expected`` None still reads the object (so an
        absent one raises NotFound as without a condition) and writes unconditionally.
        """
        with self.transaction() as tx:
            check_tag(read(tx), expected, what=what)
            yield tx

    # ---- chains ----------------------------------------------------------
    @abc.abstractmethod
    def get_chain(self, chain_id: str) -> Chain: ...

    @abc.abstractmethod
    def list_chains(self) -> list[Chain]: ...

    @abc.abstractmethod
    def upsert_chain(self, chain: Chain) -> None: ...

    @abc.abstractmethod
    def delete_chain(self, chain_id: str) -> None:
        """Refused with Conflict while segments or sub-chains refer to it."""

    # ---- segments --------------------------------------------------------
    @abc.abstractmethod
    def get_segment(self, segment_id: str) -> Segment: ...

    @abc.abstractmethod
    def list_segments(self, chain: str | None = None) -> list[Segment]:
        """Segments, optionally of one chain *including its sub-chains*; sorted by id."""

    @abc.abstractmethod
    def upsert_segment(self, segment: Segment) -> None:
        """InvalidInput if its chain or parent does not exist."""

    @abc.abstractmethod
    def delete_segment(self, segment_id: str, *, cascade: bool = False) -> None:
        """Conflict while links, child segments or enterprises refer to it, unless
        ``cascade`` (then links and enterprise presences go too)."""

    # ---- links -----------------------------------------------------------
    @abc.abstractmethod
    def list_links(self, chain: str | None = None) -> list[Link]:
        """Links, optionally those touching one chain; sorted by key."""

    def find_link(self, source: str, target: str, kind: LinkKind | str) -> Link | None:
        """The link ``source -[kind]-> target``, or None (backends may override the scan)."""
        key = (source, target, str(kind))  # LinkKind is a StrEnum: str() is its value
        return next((ln for ln in self.list_links() if ln.key == key), None)

    @abc.abstractmethod
    def upsert_link(self, link: Link) -> None:
        """InvalidInput if an end does not exist."""

    @abc.abstractmethod
    def delete_link(self, source: str, target: str, kind: LinkKind | str) -> None: ...

    # ---- regions ---------------------------------------------------------
    @abc.abstractmethod
    def get_region(self, region_id: str) -> Region: ...

    @abc.abstractmethod
    def list_regions(self) -> list[Region]: ...

    @abc.abstractmethod
    def upsert_region(self, region: Region) -> None:
        """InvalidInput if its parent or county does not exist."""

    @abc.abstractmethod
    def delete_region(self, region_id: str) -> None:
        """NotFound if absent; Conflict while regions (parent/county) or enterprises refer to it."""

    # ---- enterprises -----------------------------------------------------
    @abc.abstractmethod
    def get_enterprise(self, enterprise_id: str) -> Enterprise: ...

    @abc.abstractmethod
    def find_enterprise_by_credit_code(self, credit_code: str) -> Enterprise | None: ...

    @abc.abstractmethod
    def list_enterprises(self) -> list[Enterprise]:
        """All enterprises sorted by id (see :meth:`iter_enterprises` for large stores)."""

    def iter_enterprises(self, *, batch_size: int = 5000) -> Iterator[Enterprise]:
        """All enterprises sorted by id, fetched ``batch_size`` at a time (backends
        override this to page with keyset pagination instead of loading all)."""
        yield from self.list_enterprises()

    @abc.abstractmethod
    def upsert_enterprise(self, enterprise: Enterprise) -> None:
        """InvalidInput if a segment or region does not exist or ``id`` is missing;
        Conflict if another enterprise has the same credit code."""

    @abc.abstractmethod
    def delete_enterprise(self, enterprise_id: str) -> None: ...

    @abc.abstractmethod
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
        """Enterprises matching all given filters (``name``: case-insensitive
        substring), sorted by id; returns ``(page, total)``."""

    # ---- bulk ------------------------------------------------------------
    @abc.abstractmethod
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
        """All-or-nothing bulk write in dependency order; returns counts per kind.

        ``records`` are ``(kind, id, data)`` triples stored as by :meth:`put_record`
        (checked before anything is written).

        Same validation as the single upserts (references may point to objects of
        the same call); duplicate ids within one call are InvalidInput naming the
        row (1-based within its kind) and field.  ``enterprises`` may be a
        generator: it is consumed ``batch_size`` at a time, each batch validated
        before it is written.  Returns
        ``{"chains", "regions", "segments", "links", "enterprises", "records"}`` counts.

        If anything fails (a bad row, a conflict, the backend going away, an
        exception from the ``enterprises`` generator) nothing of the call stays
        stored.  SQLite writes the whole call in one transaction; readers of
        other threads and processes go on meanwhile (WAL) and see either none
        of it or, after the commit, all of it (tests/reliability/test_storage_faults.py
        measures the longest reader stall during a 200,000-enterprise bulk).  Neo4j
        does so up to ``tx_rows`` enterprises; a bigger bulk is written in several
        transactions with an undo journal (a server heap holds only so much
        uncommitted state), undone on failure, so readers may see part of it
        while it runs and, after a failure, until it is undone (see
        ``Neo4jStore.bulk_upsert``).  Inside
        :meth:`transaction` every backend keeps it in the caller's transaction.
        """

    # ---- records ---------------------------------------------------------
    @abc.abstractmethod
    def put_record(self, kind: str, record_id: str, data: Mapping[str, Any]) -> None:
        """Insert or replace a JSON-serialisable record (``kind`` from RECORD_KINDS,
        else InvalidInput). Stored data gets ``"id": record_id``."""

    @abc.abstractmethod
    def get_record(self, kind: str, record_id: str) -> dict[str, Any]:
        """The record's data including ``id``; NotFound if absent."""

    @abc.abstractmethod
    def list_records(self, kind: str, **where: Any) -> list[dict[str, Any]]:
        """Records of a kind whose top-level fields equal ``where``; sorted by id."""

    @abc.abstractmethod
    def delete_record(self, kind: str, record_id: str) -> None:
        """NotFound if absent."""

    def update_record(
        self,
        kind: str,
        record_id: str,
        fn: Callable[[dict[str, Any] | None], Mapping[str, Any]],
    ) -> dict[str, Any]:
        """Atomic read-modify-write of one record; returns the stored data.

        ``fn`` receives the current data (``None`` if the record does not exist)
        and returns the new data.  Concurrent updates of the same record do not
        lose writes (they are serialised).  ``fn`` may be called more than once
        (a backend may retry on a transient conflict), so it must not have side
        effects.  An exception from ``fn`` aborts the update.
        """
        with self.transaction() as tx:
            try:
                current: dict[str, Any] | None = tx.get_record(kind, record_id)
            except NotFound:
                current = None
            tx.put_record(kind, record_id, fn(current))
            return tx.get_record(kind, record_id)

    # ---- whole-store helpers (shared, not abstract) ----------------------
    def iter_all(self) -> Iterator[tuple[str, Any]]:
        """Every object as ``(kind, model_or_record)``, in dependency order (for export)."""
        for c in self.list_chains():
            yield "chain", c
        for r in self.list_regions():
            yield "region", r
        for s in self.list_segments():
            yield "segment", s
        for ln in self.list_links():
            yield "link", ln
        for e in self.iter_enterprises():
            yield "enterprise", e
        for kind in sorted(RECORD_KINDS):
            for rec in self.list_records(kind):
                yield f"record:{kind}", rec
