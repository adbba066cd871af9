"""open_store / StoreSettings: settings from the environment, errors naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainmap.exceptions import InvalidInput, StorageUnavailable
from chainmap.storage.factory import StoreSettings, open_store
from chainmap.storage.sqlite import SQLiteStore


def test_default_is_sqlite_in_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CHAINMAP_STORE", "CHAINMAP_SQLITE_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    store = open_store()
    assert isinstance(store, SQLiteStore) and store.path == "chainmap.db"
    store.close()
    assert (tmp_path / "chainmap.db").exists()


def test_settings_from_env_and_overrides(tmp_path: Path) -> None:
    env = {"CHAINMAP_STORE": " SQLite ", "CHAINMAP_SQLITE_PATH": str(tmp_path / "a.db"), "NEO4J_URI": ""}
    cfg = StoreSettings.from_env(env)
    assert cfg.backend == "sqlite" and cfg.sqlite_path.endswith("a.db")
    assert cfg.neo4j_uri == "bolt://127.0.0.1:7687" and cfg.neo4j_user == "neo4j" and cfg.neo4j_database == "neo4j"
    store = open_store(env=env, sqlite_path=tmp_path / "b.db")
    assert store.path.endswith("b.db")
    store.close()


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"CHAINMAP_STORE": "postgres"}, "CHAINMAP_STORE"),
        ({"NEO4J_URI": "http://localhost:7474"}, "NEO4J_URI"),
        ({"NEO4J_URI": "bolt://"}, "NEO4J_URI"),
        ({"NEO4J_URI": "bolt://host:notaport"}, "NEO4J_URI"),
        ({"NEO4J_DATABASE": "bad name!"}, "NEO4J_DATABASE"),
    ],
)
def test_bad_settings_name_the_setting(env: dict[str, str], setting: str) -> None:
    with pytest.raises(InvalidInput) as err:
        open_store(env=env)
    assert err.value.context["field"] == setting
    assert setting in str(err.value)


def test_neo4j_backend_unreachable_is_storage_unavailable() -> None:
    with pytest.raises(StorageUnavailable, match="127.0.0.1:1"):
        open_store(backend="neo4j", neo4j_uri="bolt://127.0.0.1:1", env={})


def test_settings_object(tmp_path: Path) -> None:
    cfg = StoreSettings(sqlite_path=str(tmp_path / "s.db"))
    store = open_store(settings=cfg)
    assert store.backend == "sqlite"
    store.close()
