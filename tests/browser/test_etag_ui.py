"""The page's write helper sends the ETag it read (If-Match) and shows a stale write's 412.

The page has no edit form yet; its fetch helpers are exposed as ``window.chainmapApi``
(``getJSON``, ``write``, ``etagOf``), so the plumbing any edit form will use is driven here in
a real browser against a real server.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import pytest

shots = sys.modules["chainmap_screenshot"]  # loaded by conftest.py
SEGMENT = "qi.separator"

READ_JS = """
const done = arguments[arguments.length - 1];
chainmapApi.getJSON(arguments[0]).then(done, (e) => done({error: e.status}));
"""
WRITE_JS = """
const [method, path, body, done] = arguments;
chainmapApi.write(method, path, body).then((b) => done({ok: b}), (e) => done({status: e.status, error: e.error}));
"""


def _open(driver: Any, base: str) -> None:
    driver.get(base + f"/ui/?chain=qi&segment={SEGMENT}")
    shots.wait_for_page(driver)


@pytest.mark.browser
def test_stale_write_shows_modified_by_someone_else_and_reloads(browser: Any, server: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.set_script_timeout(30)
    _open(browser, server.base)
    path = f"/segments/{SEGMENT}"
    seg = browser.execute_async_script(READ_JS, path)
    tag = browser.execute_script("return chainmapApi.etagOf(arguments[0])", path)
    assert re.fullmatch(r'"[0-9a-f]{20}"', tag or ""), tag

    # another planner changes the segment meanwhile
    store = server.app.state.holder.get()
    store.upsert_segment(store.get_segment(SEGMENT).model_copy(update={"description": "别人刚改过"}))

    result = browser.execute_async_script(WRITE_JS, "PUT", path, {**seg, "description": "我的修改"})
    assert result == {"status": 412, "error": "PreconditionFailed"}
    assert store.get_segment(SEGMENT).description == "别人刚改过"  # nothing overwritten
    message = browser.find_element(By.ID, "message")
    assert message.get_attribute("hidden") is None
    assert "已被他人修改" in message.text
    button = browser.find_element(By.CSS_SELECTOR, "#message button.reload")
    assert button.text == "重新加载"

    browser.execute_script("window.__before_reload = true")
    button.click()
    WebDriverWait(browser, 30, poll_frequency=0.1).until(
        lambda d: d.execute_script("return window.__before_reload === undefined")
    )
    shots.wait_for_page(browser)

    # after the reload the page reads the current version and its write goes through
    seg = browser.execute_async_script(READ_JS, path)
    assert seg["description"] == "别人刚改过"
    result = browser.execute_async_script(WRITE_JS, "PUT", path, {**seg, "description": "我的修改"})
    assert result["ok"]["description"] == "我的修改", result
    assert store.get_segment(SEGMENT).description == "我的修改"
    new_tag = browser.execute_script("return chainmapApi.etagOf(arguments[0])", path)
    assert new_tag != tag and new_tag == server.get(f"/api/v1{path}")[1]["etag"]
