#!/usr/bin/env python3
"""Save a PNG of a chainmap page with Debian's headless Chromium (no browser download).

    python scripts/screenshot.py                          # serves a temporary demo store, saves docs/screenshot-qi.png
    python scripts/screenshot.py out.png --path "/ui/?chain=cai.al&region=hejin"
    python scripts/screenshot.py out.png --url http://127.0.0.1:8000/ui/?chain=qi

Without ``--url`` a private server (SQLite in a temporary folder, auth off) is started on a
free loopback port and stopped afterwards. Needs ``chromium`` and ``chromium-driver``
(``scripts/setup-test-env.sh`` installs them). The browser helpers here are also used by
``tests/browser``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "BROWSER_FLAGS",
    "find_browser",
    "make_driver",
    "live_server",
    "wait_for_page",
    "save_screenshot",
]

ROOT = Path(__file__).resolve().parent.parent

#: flags for a quiet, offline, throw-away headless Chromium
BROWSER_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--hide-scrollbars",
    "--lang=zh-CN",
)


def find_browser() -> tuple[str, str] | None:
    """Paths of (chromium, chromedriver), from CHROMIUM_BIN / CHROMEDRIVER or Debian's packages."""
    browser = os.environ.get("CHROMIUM_BIN") or shutil.which("chromium") or "/usr/bin/chromium"
    driver = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not (os.access(browser, os.X_OK) and os.access(driver, os.X_OK)):
        return None
    return browser, driver


def make_driver(user_data_dir: str | Path, *, width: int = 1366, height: int = 768) -> Any:
    """A headless Chromium WebDriver with browser console logging; never downloads a driver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    found = find_browser()
    if found is None:
        msg = "chromium and chromedriver not found: apt-get install chromium chromium-driver"
        raise RuntimeError(msg)
    browser, driver_path = found
    opts = Options()
    opts.binary_location = browser
    for flag in BROWSER_FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={user_data_dir}")
    opts.add_argument(f"--window-size={width},{height}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=opts)
    driver.set_window_size(width, height)
    driver.set_page_load_timeout(60)
    return driver


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(app: Any, *, timeout: float = 60.0) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free loopback port in a background thread; yields the base URL."""
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            msg = f"uvicorn did not start on 127.0.0.1:{port}"
            raise RuntimeError(msg)
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def wait_for_page(
    driver: Any, *, timeout: float = 60.0, region: str | None = None, lang: str | None = None
) -> None:
    """Wait until the page has booted and the diagram (for ``region`` / ``lang`` if given) is drawn."""
    from selenium.webdriver.support.ui import WebDriverWait

    def ready(d: Any) -> bool:
        return bool(
            d.execute_script(
                """
                const [region, lang] = arguments;
                const dg = document.getElementById('diagram');
                if (document.body.dataset.ready !== 'true' || !dg || dg.hasAttribute('aria-busy')) return false;
                if (region && dg.dataset.region !== region) return false;
                if (lang && dg.dataset.lang !== lang) return false;
                return !!(dg.querySelector('svg') || dg.querySelector('.error'));
                """,
                region,
                lang,
            )
        )

    WebDriverWait(driver, timeout, poll_frequency=0.1).until(ready)


def save_screenshot(
    driver: Any, out: str | Path, *, width: int = 1366, min_height: int = 768, max_height: int = 1100
) -> Path:
    """Save a PNG ``width`` wide, as tall as the content (between ``min_height`` and ``max_height``)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    content = driver.execute_script(
        "const w = document.querySelector('.diagram-wrap');"
        "return Math.max(document.documentElement.scrollHeight, w ? w.scrollHeight + w.getBoundingClientRect().top : 0);"
    )
    height = max(min_height, min(max_height, int(content or min_height)))
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    try:
        time.sleep(0.3)  # let the layout settle at the new size
        out.write_bytes(driver.get_screenshot_as_png())
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "out", nargs="?", default=str(ROOT / "docs" / "screenshot-qi.png"), help="PNG to write"
    )
    parser.add_argument("--url", help="page of a running server (otherwise a private server is started)")
    parser.add_argument(
        "--path", default="/ui/?chain=qi&region=yuncheng", help="page path on the private server"
    )
    parser.add_argument("--width", type=int, default=1366)
    parser.add_argument("--height", type=int, default=768, help="minimum height")
    parser.add_argument("--max-height", type=int, default=1100)
    parser.add_argument("--segment", help="also click this segment box to show the side panel")
    args = parser.parse_args(argv)

    if find_browser() is None:
        print("chromium/chromedriver missing: apt-get install chromium chromium-driver", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="chainmap-shot-") as tmp:
        if args.url:
            out = _shoot(args.url, args, tmp)
        else:
            sys.path.insert(0, str(ROOT))
            from api.main import create_app
            from api.settings import Settings

            app = create_app(
                Settings(
                    chainmap_store="sqlite",
                    chainmap_sqlite_path=str(Path(tmp) / "chainmap.db"),
                    chainmap_auth=False,
                )
            )
            with live_server(app) as base:
                out = _shoot(base + args.path, args, tmp)
    print(out)
    return 0


def _shoot(url: str, args: argparse.Namespace, tmp: str) -> Path:
    driver = make_driver(Path(tmp) / "profile", width=args.width, height=args.height)
    try:
        driver.get(url)
        wait_for_page(driver)
        if args.segment:
            from selenium.webdriver.support.ui import WebDriverWait

            driver.execute_script(
                "const b = [...document.querySelectorAll('#diagram [data-segment-id]')]"
                ".find(n => n.getAttribute('data-segment-id') === arguments[0]);"
                "if (b) b.dispatchEvent(new MouseEvent('click', {bubbles: true}));",
                args.segment,
            )
            WebDriverWait(driver, 30).until(
                lambda d: (
                    d.execute_script("return document.getElementById('panel').dataset.loaded") == args.segment
                )
            )
        return save_screenshot(
            driver, args.out, width=args.width, min_height=args.height, max_height=args.max_height
        )
    finally:
        driver.quit()


if __name__ == "__main__":
    raise SystemExit(main())
