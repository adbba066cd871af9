"""Browser-test fixtures: a real uvicorn server on a loopback port and headless Chromium.

The browser helpers live in ``scripts/screenshot.py`` (the same code saves the README screenshot).
Chromium / chromedriver missing -> browser tests are skipped with the reason
(``scripts/setup-test-env.sh`` installs Debian's ``chromium`` and ``chromium-driver``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_helpers() -> Any:
    path = ROOT / "scripts" / "screenshot.py"
    spec = importlib.util.spec_from_file_location("chainmap_screenshot", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


shots = _load_helpers()


class Server:
    """A running API: its base URL, the app (for its store) and a tiny JSON client."""

    def __init__(self, base: str, app: Any) -> None:
        self.base = base
        self.app = app

    def url(self, path: str) -> str:
        return self.base + path

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        req = urllib.request.Request(self.url(path), headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 - loopback only
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    def json(self, path: str, **params: Any) -> Any:
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        status, _, body = self.get(path + ("?" + query if query else ""))
        assert status == 200, f"GET {path} {params} -> {status}: {body[:500]!r}"
        return json.loads(body)


def _start(tmp_path_factory: pytest.TempPathFactory, *, auth: bool) -> Iterator[Server]:
    from api.main import create_app
    from api.settings import Settings

    db = tmp_path_factory.mktemp("ui-store") / "chainmap.db"
    app = create_app(Settings(chainmap_store="sqlite", chainmap_sqlite_path=str(db), chainmap_auth=auth))
    with shots.live_server(app) as base:
        yield Server(base, app)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The demo setting: SQLite in a temp folder, seed loaded, auth off."""
    yield from _start(tmp_path_factory, auth=False)


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Same, with API keys required."""
    yield from _start(tmp_path_factory, auth=True)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if shots.find_browser() is None:
        reason = (
            "headless Chromium not available: install Debian's chromium and chromium-driver "
            "(scripts/setup-test-env.sh does it)"
        )
        if os.environ.get("CHAINMAP_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " — required because CHAINMAP_REQUIRE_BROWSER=1")
        pytest.skip(reason)
    pytest.importorskip("selenium", reason="selenium is in the test extras: pip install -e '.[test]'")
    driver = shots.make_driver(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """The test run's artifacts folder (``artifacts/`` at the repository root)."""
    path = Path(request.config.rootpath) / "artifacts"
    path.mkdir(parents=True, exist_ok=True)
    return path
