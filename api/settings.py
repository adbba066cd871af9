"""API settings from the environment (pydantic-settings), one cached getter."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """Environment variables (case-insensitive): CHAINMAP_STORE, CHAINMAP_SQLITE_PATH,
    NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE, CHAINMAP_AUTH,
    CHAINMAP_MAX_UPLOAD_MB."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    chainmap_store: Literal["sqlite", "neo4j"] = "sqlite"
    chainmap_sqlite_path: str = "chainmap.db"
    neo4j_uri: str = "bolt://127.0.0.1:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: str = ""
    neo4j_database: str = "neo4j"
    chainmap_auth: bool = Field(default=True, description="require API keys (off only on 127.0.0.1)")
    chainmap_max_upload_mb: float = Field(default=20.0, gt=0)
    chainmap_init_seed: bool = Field(default=True, description="load the shipped seed into an empty store")


@lru_cache
def get_settings() -> Settings:
    return Settings()
