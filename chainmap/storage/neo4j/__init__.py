"""The Neo4j backend: the only part of chainmap that imports the ``neo4j`` driver.

Modules
-------
``store``   :class:`Neo4jStore`, the CRUD store (driver, transactions, error translation)
``bulk``    the multi-transaction bulk engine and its undo journal (no driver import)
``cypher``  the query texts and the fixed maps spliced into them (no driver import)
``codec``   models <-> node properties and bulk rows (no driver import)

Importing this package loads the driver; :func:`chainmap.storage.factory.open_store`
imports it only when the Neo4j backend is chosen.
"""

from chainmap.storage.factory import DEFAULT_NEO4J_TX_ROWS, DEFAULT_NEO4J_URI
from chainmap.storage.neo4j.cypher import REL_TYPES
from chainmap.storage.neo4j.store import Neo4jStore

#: Kept for callers of the former module ``chainmap.storage.neo4j``.
DEFAULT_URI = DEFAULT_NEO4J_URI
DEFAULT_TX_ROWS = DEFAULT_NEO4J_TX_ROWS

__all__ = ["Neo4jStore", "DEFAULT_URI", "DEFAULT_TX_ROWS", "REL_TYPES"]
