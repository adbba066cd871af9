"""Choose and open a store from settings (embedded SQLite by default).

This module is the one place that knows the store settings: their defaults
(the ``DEFAULT_*`` constants below, also used by ``api/settings.py``) and the
environment variables they come from (:data:`ENV_NAMES`).  Stores take explicit
arguments and never read the environment.

==========================  ============================================  =====================
setting                     meaning                                       default
==========================  ============================================  =====================
``CHAINMAP_STORE``          ``sqlite`` or ``neo4j``                       ``sqlite``
``CHAINMAP_SQLITE_PATH``    SQLite file                                   ``chainmap.db`` (cwd)
``NEO4J_URI``               Bolt URI                                      :data:`DEFAULT_NEO4J_URI`
``NEO4J_USER``              user name                                     ``neo4j``
``NEO4J_PASSWORD``          password (empty: no auth)                     empty
``NEO4J_DATABASE``          database name                                 ``neo4j``
``CHAINMAP_NEO4J_TX_ROWS``  enterprises per transaction of a Neo4j bulk   ``100000``
==========================  ============================================  =====================

>>> StoreSettings.from_env({}).backend
'sqlite'
>>> StoreSettings.from_env({"CHAINMAP_STORE": "Neo4j"}).backend
'neo4j'
>>> StoreSettings.from_env({"CHAINMAP_NEO4J_TX_ROWS": "50_000"}).neo4j_tx_rows
50000
>>> try:
...     StoreSettings.from_env({"CHAINMAP_STORE": "postgres"})
... except InvalidInput as err:
...     print(err.context["field"])
CHAINMAP_STORE
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal, NoReturn
from urllib.parse import urlsplit

from chainmap.exceptions import InvalidInput
from chainmap.storage.base import Store

__all__ = [
    "StoreSettings",
    "open_store",
    "ENV_NAMES",
    "DEFAULT_BACKEND",
    "DEFAULT_SQLITE_PATH",
    "DEFAULT_NEO4J_URI",
    "DEFAULT_NEO4J_USER",
    "DEFAULT_NEO4J_DATABASE",
    "DEFAULT_NEO4J_TX_ROWS",
]

#: The backend used when CHAINMAP_STORE is not set.
DEFAULT_BACKEND: Literal["sqlite", "neo4j"] = "sqlite"
#: The SQLite file (relative: to the working directory) when CHAINMAP_SQLITE_PATH is not set.
DEFAULT_SQLITE_PATH = "chainmap.db"
#: The Bolt URI when NEO4J_URI is not set: a local server (``infra/neo4j/neo4j.sh start``).
DEFAULT_NEO4J_URI = "bolt://127.0.0.1:7687"
DEFAULT_NEO4J_USER = "neo4j"
DEFAULT_NEO4J_DATABASE = "neo4j"
#: Enterprises per transaction of a Neo4j bulk write (fits the 2 GiB default heap of infra/neo4j).
DEFAULT_NEO4J_TX_ROWS = 100_000

#: Field of :class:`StoreSettings` -> the environment variable (setting name) it comes from.
ENV_NAMES = {
    "backend": "CHAINMAP_STORE",
    "sqlite_path": "CHAINMAP_SQLITE_PATH",
    "neo4j_uri": "NEO4J_URI",
    "neo4j_user": "NEO4J_USER",
    "neo4j_password": "NEO4J_PASSWORD",
    "neo4j_database": "NEO4J_DATABASE",
    "neo4j_tx_rows": "CHAINMAP_NEO4J_TX_ROWS",
}

_BOLT_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


_DATABASE_RE = r"^[A-Za-z][A-Za-z0-9.\-]{0,62}$"


@dataclass(frozen=True)
class StoreSettings:
    """Validated storage settings; build with :meth:`from_env` or directly.

    A bad value raises InvalidInput naming the setting (environment variable).  Plain
    checks, no pydantic: opening a store for its counters and derived results (``chainmap
    chains`` on a kept summary) loads no model machinery."""

    backend: Literal["sqlite", "neo4j"] = DEFAULT_BACKEND
    sqlite_path: str = DEFAULT_SQLITE_PATH
    neo4j_uri: str = DEFAULT_NEO4J_URI
    neo4j_user: str = DEFAULT_NEO4J_USER
    neo4j_password: str = field(default="", repr=False)
    neo4j_database: str = DEFAULT_NEO4J_DATABASE
    neo4j_tx_rows: int = DEFAULT_NEO4J_TX_ROWS

    def __post_init__(self) -> None:
        for name in ("backend", "sqlite_path", "neo4j_uri", "neo4j_user", "neo4j_password", "neo4j_database"):
            value = getattr(self, name)
            if not isinstance(value, str):
                _bad(name, value, "expected a string")
            object.__setattr__(self, name, value.strip())
        backend = self.backend.lower()
        if backend not in ("sqlite", "neo4j"):
            _bad("backend", self.backend, "expected 'sqlite' or 'neo4j'")
        object.__setattr__(self, "backend", backend)
        if not self.sqlite_path:
            _bad("sqlite_path", self.sqlite_path, "expected a file path, got an empty value")
        self._check_uri()
        if not re.match(_DATABASE_RE, self.neo4j_database):
            _bad("neo4j_database", self.neo4j_database,
                 "expected a database name: a letter, then up to 62 letters, digits, '.' or '-'")
        rows: Any = self.neo4j_tx_rows
        if isinstance(rows, str):  # ``100_000`` as written in Python (and in README examples) is accepted
            text = rows.strip().replace("_", "")
            rows = int(text) if text.isdigit() else rows
        if not isinstance(rows, int) or isinstance(rows, bool) or rows <= 0:
            _bad("neo4j_tx_rows", self.neo4j_tx_rows, "expected a positive whole number")
        object.__setattr__(self, "neo4j_tx_rows", rows)

    def _check_uri(self) -> None:
        v = self.neo4j_uri
        parts = urlsplit(v)
        if parts.scheme not in _BOLT_SCHEMES or not parts.hostname:
            _bad("neo4j_uri", v, f"expected scheme://host[:port] with scheme one of {', '.join(_BOLT_SCHEMES)}")
        try:
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError:
            _bad("neo4j_uri", v, "bad port")

    def as_dict(self) -> dict[str, Any]:
        """The settings by field name (what :meth:`from_env` takes as overrides)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> StoreSettings:
        """Settings from ``env`` (default :data:`os.environ`); non-None ``overrides`` win.

        Raises
        ------
        InvalidInput
            naming the setting (environment variable) with a bad value, or an unknown
            override.
        """
        source = os.environ if env is None else env
        values: dict[str, Any] = {f: source[n] for f, n in ENV_NAMES.items() if source.get(n, "") != ""}
        values.update({k: v for k, v in overrides.items() if v is not None})
        unknown = sorted(set(values) - set(ENV_NAMES))
        if unknown:
            raise InvalidInput(f"unknown store setting {unknown[0]!r}; expected one of {', '.join(ENV_NAMES)}",
                               field=unknown[0])
        return cls(**values)


def _bad(name: str, value: Any, expected: str) -> NoReturn:
    """InvalidInput naming the setting of field ``name`` (its environment variable)."""
    setting = ENV_NAMES.get(name, name)
    shown = "" if name == "neo4j_password" else f"bad value {value!r}: "
    raise InvalidInput(f"{shown}{expected}", field=setting, hint=f"fix the setting {setting}")


def open_store(
    *,
    backend: str | None = None,
    sqlite_path: str | os.PathLike[str] | None = None,
    neo4j_uri: str | None = None,
    neo4j_user: str | None = None,
    neo4j_password: str | None = None,
    neo4j_database: str | None = None,
    neo4j_tx_rows: int | None = None,
    settings: StoreSettings | None = None,
    env: Mapping[str, str] | None = None,
) -> Store:
    """Open the configured store.

    Parameters
    ----------
    backend, sqlite_path, neo4j_uri, neo4j_user, neo4j_password, neo4j_database, neo4j_tx_rows
        Override the settings of the same name (see the module docstring).
    settings : StoreSettings, optional
        Use these settings instead of reading the environment (keyword
        overrides still apply).
    env : mapping, optional
        Read settings from this mapping instead of :data:`os.environ`.

    Raises
    ------
    InvalidInput
        a setting has a bad value (the error names it).
    StorageUnavailable
        the store cannot be opened (Neo4j down, unusable SQLite file).

    Examples
    --------
    >>> store = open_store(backend="sqlite", sqlite_path=":memory:")
    >>> store.backend
    'sqlite'
    >>> store.close()
    """
    overrides = {
        "backend": backend,
        "sqlite_path": os.fspath(sqlite_path) if sqlite_path is not None else None,
        "neo4j_uri": neo4j_uri,
        "neo4j_user": neo4j_user,
        "neo4j_password": neo4j_password,
        "neo4j_database": neo4j_database,
        "neo4j_tx_rows": neo4j_tx_rows,
    }
    if settings is not None:
        cfg = StoreSettings.from_env({}, **{**settings.as_dict(), **{k: v for k, v in overrides.items() if v}})
    else:
        cfg = StoreSettings.from_env(env, **overrides)
    if cfg.backend == "neo4j":
        from chainmap.storage.neo4j import Neo4jStore  # imported lazily: the driver loads only when used

        return Neo4jStore(
            cfg.neo4j_uri, user=cfg.neo4j_user, password=cfg.neo4j_password, database=cfg.neo4j_database,
            tx_rows=cfg.neo4j_tx_rows,
        )
    from chainmap.storage.sqlite import SQLiteStore

    return SQLiteStore(cfg.sqlite_path)
