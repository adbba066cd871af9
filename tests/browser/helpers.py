"""Small helpers the browser tests share (the browser and server fixtures are in conftest.py)."""

from __future__ import annotations

from typing import Any

__all__ = ["CAPTURE_JS", "wait_js"]

#: installed before a download button is clicked: keeps each file the page hands to an <a download>
#: (Blob URL) as base64 in ``window.__files[name]``, so a test can open what a person would save
CAPTURE_JS = """
window.__files = {};
const blobs = new Map();
const create = URL.createObjectURL;
URL.createObjectURL = (b) => { const u = create.call(URL, b); blobs.set(u, b); return u; };
HTMLAnchorElement.prototype.click = function () {
  const b = blobs.get(this.href); const name = this.download;
  if (!b) { window.__files[name] = null; return; }
  const r = new FileReader();
  r.onload = () => { window.__files[name] = String(r.result).split(',')[1]; };
  r.readAsDataURL(b);
};
"""


def wait_js(driver: Any, js: str, *args: Any, timeout: float = 90) -> Any:
    """Poll the page every 0.1 s until the script ``js`` (called with ``args``) returns a truthy value."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: d.execute_script(js, *args))
