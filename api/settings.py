"""API settings from the environment (pydantic-settings), one cached getter.

The store fields keep the names and meanings of :data:`chainmap.storage.factory.ENV_NAMES`
and take their defaults from the factory's ``DEFAULT_*`` constants (defined once
there); they are handed to :func:`~chainmap.storage.factory.open_store`, which
validates them (errors name the setting) and reads the remaining store settings
(CHAINMAP_NEO4J_TX_ROWS) itself.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from chainmap.storage.factory import (
    DEFAULT_BACKEND,
    DEFAULT_NEO4J_DATABASE,
    DEFAULT_NEO4J_URI,
    DEFAULT_NEO4J_USER,
    DEFAULT_SQLITE_PATH,
)

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """Environment variables (case-insensitive): CHAINMAP_STORE, CHAINMAP_SQLITE_PATH,
    NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE, CHAINMAP_AUTH,
    CHAINMAP_MAX_UPLOAD_MB, CHAINMAP_INIT_SEED."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    chainmap_store: Literal["sqlite", "neo4j"] = DEFAULT_BACKEND
    chainmap_sqlite_path: str = DEFAULT_SQLITE_PATH
    neo4j_uri: str = DEFAULT_NEO4J_URI
    neo4j_user: str = DEFAULT_NEO4J_USER
    neo4j_password: str = Field(default="", repr=False)
    neo4j_database: str = DEFAULT_NEO4J_DATABASE
    chainmap_auth: bool = Field(default=True, description="require API keys (off only on 127.0.0.1)")
    chainmap_max_upload_mb: float = Field(default=20.0, gt=0)
    chainmap_init_seed: bool = Field(default=True, description="load the shipped seed into an empty store")
    chainmap_warm_schema: bool = Field(
        default=False,
        description="build the OpenAPI schema at start (seconds) instead of at the first /openapi.json, "
        "/docs or /redoc request; `chainmap serve` turns it on",
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
