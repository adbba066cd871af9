"""The planner's page ``/ui/`` in a real browser (headless Chromium + Selenium) against a real server.

Expected values come from the API (segments, gaps, enterprises, leads), never hard-coded, so the
tests follow the seed. The SVG hooks used here are documented in ``api/static/chainlayout.js`` (the same as
``chainmap/reports/svg.py``).
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import pytest

#: scripts/screenshot.py, loaded by conftest.py (browser start-up, waiting, screenshots)
shots = sys.modules["chainmap_screenshot"]
Server = Any  # conftest.Server: base URL, app, get(), json()

BOXES_JS = """
return [...document.querySelectorAll('#diagram [data-segment-id]')].map(b => {
  const r = b.querySelector('rect');
  return {
    id: b.getAttribute('data-segment-id'),
    external: b.classList.contains('cm-external') || b.getAttribute('data-external') === 'true',
    status: b.getAttribute('data-status') || '',
    fill: r ? getComputedStyle(r).fill : '',
    classes: b.getAttribute('class') || '',
    highlighted: b.classList.contains('cm-hl'),
  };
});
"""

CLICK_JS = """
const b = [...document.querySelectorAll('#diagram [data-segment-id]')]
  .find(n => n.getAttribute('data-segment-id') === arguments[0]);
b.scrollIntoView({block: 'center', inline: 'center'});
return b;
"""

# records what a download would save (name, bytes) instead of writing a file
DOWNLOAD_HOOK_JS = """
window.__saved = [];
const blobs = new Map();
const create = URL.createObjectURL;
URL.createObjectURL = (b) => { const u = create.call(URL, b); blobs.set(u, b.size); return u; };
HTMLAnchorElement.prototype.click = function () {
  window.__saved.push([this.download, blobs.has(this.href) ? blobs.get(this.href) : -1]);
};
"""

# the chain and region of the committed screenshot
CHAIN, CITY = "qi", "yuncheng"


# ----------------------------------------------------------------------------- helpers


def _severe(driver: Any) -> list[str]:
    return [
        f"{e.get('source')}: {e.get('message')}"
        for e in driver.get_log("browser")
        if e.get("level") == "SEVERE"
    ]


def _open(driver: Any, server: Server, path: str, **wait: Any) -> None:
    driver.get_log("browser")  # drop earlier pages' messages
    driver.get(server.url(path))
    shots.wait_for_page(driver, **wait)


def _boxes(driver: Any) -> list[dict[str, Any]]:
    return driver.execute_script(BOXES_JS)


def _gap_status(server: Server, chain: str, region: str) -> dict[str, str]:
    body = server.json("/api/v1/gaps", chain=chain, region=region, page_size=1000)
    return {g["segment_id"]: g["status"] for g in body["items"]}


def _select(driver: Any, select_id: str, value: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.ID, select_id)).select_by_value(value)


def _click_segment(driver: Any, segment_id: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    box = driver.execute_script(CLICK_JS, segment_id)
    box.click()
    WebDriverWait(driver, 30, poll_frequency=0.1).until(
        lambda d: d.execute_script("return document.getElementById('panel').dataset.loaded") == segment_id
    )


def _text(driver: Any, css: str) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, css).text


# ----------------------------------------------------------------------------- no remote URLs (no browser needed)

_URL = re.compile(r"""(?:https?:)?//([A-Za-z0-9.\-]+(?::\d+)?)""")
#: XML namespaces are identifiers, not fetched
_NAMESPACES = {"www.w3.org"}


@pytest.mark.parametrize("path", ["/ui/", "/ui/app.js", "/ui/app.css"])
def test_page_and_assets_reference_no_other_host(server: Server, path: str) -> None:
    status, headers, body = server.get(path)
    assert status == 200, body[:300]
    text = body.decode("utf-8")
    own = server.base.split("//", 1)[1]
    for m in _URL.finditer(text):
        host = m.group(1)
        # ignore JS comments like "// text" and regex literals: a host has a dot or a port
        if "." not in host and ":" not in host:
            continue
        assert host in _NAMESPACES or host == own, f"{path} refers to another host: {m.group(0)!r}"
    assert "@import" not in text
    csp = headers.get("Content-Security-Policy", headers.get("content-security-policy", ""))
    assert "default-src 'self'" in csp


def test_ui_redirect_and_unknown_asset(server: Server) -> None:
    status, _, body = server.get("/ui/nope.js")
    assert status == 404
    assert b'"detail"' in body
    status, _, _ = server.get("/ui")  # urllib follows the redirect to /ui/
    assert status == 200


# ----------------------------------------------------------------------------- browser


@pytest.mark.browser
def test_page_loads_without_console_errors(browser: Any, server: Server, artifacts: Any) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, server, f"/ui/?chain={CHAIN}&region={CITY}", region=CITY)
    assert _severe(browser) == []
    assert browser.execute_script("return document.documentElement.lang") == "zh-CN"
    assert "产业链" in _text(browser, "h1")
    assert browser.find_element(By.ID, "message").get_attribute("hidden") is not None
    assert browser.find_element(By.ID, "auth").get_attribute("hidden") is not None

    chains = server.json("/api/v1/chains")
    regions = server.json("/api/v1/regions")
    chain_opts = browser.execute_script(
        "return [...document.querySelectorAll('#chain-select option')].map(o => o.value)"
    )
    region_opts = browser.execute_script(
        "return [...document.querySelectorAll('#region-select option')].map(o => o.value)"
    )
    assert sorted(chain_opts) == sorted(c["id"] for c in chains)
    assert sorted(region_opts) == sorted(r["id"] for r in regions)
    assert browser.execute_script("return document.getElementById('chain-select').value") == CHAIN
    assert {c["parent"] for c in chains if c["parent"]} <= set(chain_opts)  # 材 and its sub-chains

    shots.save_screenshot(browser, artifacts / "ui-qi-yuncheng.png")
    assert (artifacts / "ui-qi-yuncheng.png").stat().st_size > 10_000


@pytest.mark.browser
@pytest.mark.parametrize("chain", [CHAIN, "cai.al"])
def test_one_box_per_segment(browser: Any, server: Server, chain: str) -> None:
    _open(browser, server, f"/ui/?chain={CHAIN}&region={CITY}", region=CITY)
    if chain != CHAIN:  # switch through the chain picker
        _select(browser, "chain-select", chain)
        shots.wait_for_page(browser)
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(browser, 30).until(
            lambda d: d.execute_script("return document.getElementById('diagram').dataset.chain") == chain
        )
    segments = {s["id"] for s in server.json(f"/api/v1/chains/{chain}/segments")}
    boxes = _boxes(browser)
    own = [b["id"] for b in boxes if not b["external"]]
    external = [b["id"] for b in boxes if b["external"]]
    assert len(own) == len(segments)
    assert set(own) == segments
    assert not set(external) & segments, "neighbour boxes must be segments of other chains"
    gaps = _gap_status(server, chain, CITY)
    assert {b["id"]: b["status"] for b in boxes if not b["external"]} == {s: gaps[s] for s in own}
    assert _severe(browser) == []


def _panel_names(driver: Any, section: str) -> list[str]:
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0] + ' .ent-name')].map(n => n.textContent)", section
    )


@pytest.mark.browser
def test_click_box_opens_panel(browser: Any, server: Server) -> None:
    gaps = server.json("/api/v1/gaps", chain=CHAIN, region=CITY, page_size=1000)["items"]
    _open(browser, server, f"/ui/?chain={CHAIN}&region={CITY}", region=CITY)

    # 1. a segment with local firms: its firms, status, numbers and rationale
    gap = next(g for g in gaps if g["local_enterprises"])
    seg = gap["segment_id"]
    _click_segment(browser, seg)
    assert browser.execute_script("return document.getElementById('panel-segment-id').textContent") == seg
    assert _text(browser, "#panel-title") == gap["segment_name"]
    selected = "return document.querySelector('#diagram .cm-selected').getAttribute('data-segment-id')"
    assert browser.execute_script(selected) == seg
    gap_text = _text(browser, "#panel-gap")
    assert gap["rationale"].split("\n")[0][:20] in gap_text
    component_label = server.json("/api/v1/labels", lang="zh")["gap_component"]
    for name in gap["components"]:
        assert component_label.get(name, name) in gap_text  # the label, not the code
    firms = server.json("/api/v1/enterprises", segment=seg, page_size=100)
    assert sorted(_panel_names(browser, "#panel-enterprises")) == sorted(e["name"] for e in firms["items"])
    assert {e["name"] for e in gap["local_enterprises"]} <= set(_panel_names(browser, "#panel-enterprises"))

    # 2. the top-priority gap: its ranked leads, in the API's order
    top = max((g for g in gaps if g["status"] != "sound"), key=lambda g: g["priority"])
    _click_segment(browser, top["segment_id"])
    assert browser.execute_script("return document.getElementById('panel-segment-id').textContent") == top["segment_id"]
    assert browser.execute_script(selected) == top["segment_id"]
    leads = server.json("/api/v1/leads", gap=top["segment_id"], k=5, region=CITY, lang="zh")["items"]
    assert leads, "the demo candidate pool should give the top gap some leads"
    assert _panel_names(browser, "#panel-leads") == [lead["name"] for lead in leads]
    assert _severe(browser) == []


@pytest.mark.browser
def test_panel_shows_error_detail_and_hint(browser: Any, server: Server) -> None:
    """A failing call shows the error body's detail and hint (here: a region the server does not know)."""
    _open(browser, server, f"/ui/?chain={CHAIN}&region={CITY}", region=CITY)
    browser.execute_script(
        "const s = document.getElementById('region-select');"
        "s.append(new Option('nowhere', 'nowhere')); s.value = 'nowhere';"
        "s.dispatchEvent(new Event('change'));"
    )
    shots.wait_for_page(browser, region="nowhere")
    status, _, body = server.get(f"/api/v1/chains/{CHAIN}/graph?format=svg&region=nowhere")
    err = json.loads(body)
    assert status == 404
    shown = _text(browser, "#diagram")
    assert str(err["detail"]) in shown
    if err.get("hint"):
        assert err["hint"] in shown
    browser.get_log("browser")  # the 404s are expected here


@pytest.mark.browser
def test_region_switch_recolours(browser: Any, server: Server) -> None:
    city = _gap_status(server, CHAIN, CITY)
    regions = server.json("/api/v1/regions")
    change = None
    for r in sorted(
        (r for r in regions if r["kind"] != "city"), key=lambda r: (r["kind"] != "county", r["id"])
    ):
        other = _gap_status(server, CHAIN, r["id"])
        diffs = sorted(s for s in city if other.get(s) not in (None, city[s]))
        if diffs:
            change = (r["id"], diffs, other)
            break
    assert change is not None, "the seed should give some county a different status than the city"
    region, diffs, other = change

    _open(browser, server, f"/ui/?chain={CHAIN}&region={CITY}", region=CITY)
    before = {b["id"]: b for b in _boxes(browser)}
    assert all(before[s]["status"] == city[s] for s in diffs)

    _select(browser, "region-select", region)
    shots.wait_for_page(browser, region=region)
    after = {b["id"]: b for b in _boxes(browser)}
    for s in diffs:
        assert after[s]["status"] == other[s], s
        assert f"cm-status-{other[s]}" in after[s]["classes"]
    assert any(before[s]["fill"] != after[s]["fill"] for s in diffs), "the box colour follows the status"
    assert f"region={region}" in browser.current_url
    assert _severe(browser) == []


@pytest.mark.browser
def test_search_highlights_segment_and_enterprise(browser: Any, server: Server) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    segments = server.json(f"/api/v1/chains/{CHAIN}/segments")
    target = segments[len(segments) // 2]
    _open(browser, server, f"/ui/?chain={CHAIN}&region={CITY}", region=CITY)
    box = browser.find_element(By.ID, "search")

    def highlighted() -> set[str]:
        return {b["id"] for b in _boxes(browser) if b["highlighted"]}

    box.send_keys(target["name_en"])  # English name while the UI is in Chinese
    WebDriverWait(browser, 10).until(lambda d: target["id"] in highlighted())
    box.clear()
    box.send_keys(target["id"])
    WebDriverWait(browser, 10).until(lambda d: highlighted() == {target["id"]})

    gaps = server.json("/api/v1/gaps", chain=CHAIN, region=CITY, page_size=1000)["items"]
    firm_id = next(g["local_enterprises"][0]["id"] for g in gaps if g["local_enterprises"])
    firm = server.json(f"/api/v1/enterprises/{firm_id}")
    drawn = {b["id"] for b in _boxes(browser)}
    expected = {p["segment"] for p in firm["segments"]} & drawn
    box.clear()
    box.send_keys(firm["name"])
    WebDriverWait(browser, 10).until(lambda d: highlighted() == expected)
    box.clear()
    WebDriverWait(browser, 10).until(lambda d: not highlighted())
    assert _severe(browser) == []


@pytest.mark.browser
def test_english_toggle(browser: Any, server: Server) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, server, f"/ui/?chain={CHAIN}&region={CITY}", region=CITY)
    browser.find_element(By.ID, "lang-toggle").click()
    shots.wait_for_page(browser, lang="en")
    assert browser.execute_script("return document.documentElement.lang") == "en"
    assert "chain" in _text(browser, "h1").lower()
    assert _text(browser, "#lang-toggle") == "中文"
    chain = next(c for c in server.json("/api/v1/chains") if c["id"] == CHAIN)
    assert chain["name_en"] in browser.execute_script(
        "return document.querySelector('#chain-select option:checked').textContent"
    )
    metas = browser.execute_script(
        "return [...document.querySelectorAll('#diagram .cm-count')].map(n => n.textContent)"
    )
    assert any(m.startswith("Upstream") for m in metas)  # the map was drawn again in English
    assert "lang=en" in browser.current_url
    assert _severe(browser) == []


@pytest.mark.browser
def test_labels_come_from_the_catalogue(browser: Any, server: Server) -> None:
    """Status badge (text and colour), stage, tags, region groups and component names are the
    server's label catalogue (GET /labels), in both languages."""
    gaps = server.json("/api/v1/gaps", chain=CHAIN, region=CITY, page_size=1000)["items"]
    gap = next(g for g in gaps if g["local_enterprises"] and g["components"])
    tagged = server.json("/api/v1/enterprises", segment=gap["segment_id"], page_size=100)["items"]
    seg = server.json(f"/api/v1/segments/{gap['segment_id']}")
    badge_js = "const b = document.querySelector('#panel .badge'); return [b.textContent, getComputedStyle(b).backgroundColor]"
    groups_js = "return [...document.querySelectorAll('#region-select optgroup')].map(g => g.label)"
    tags_js = "return [...document.querySelectorAll('#panel-enterprises .tag')].map(n => n.textContent)"

    def rgb(hex_colour: str) -> str:
        r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        return f"rgb({r}, {g}, {b})"

    for lang in ("zh", "en"):
        cat = server.json("/api/v1/labels", lang=lang)
        cap = (lambda s: s[:1].upper() + s[1:]) if lang == "en" else (lambda s: s)
        _open(browser, server, f"/ui/?chain={CHAIN}&region={CITY}&lang={lang}", region=CITY)
        _click_segment(browser, gap["segment_id"])
        text, colour = browser.execute_script(badge_js)
        assert text == cap(cat["gap_status"][gap["status"]])
        assert colour == rgb(cat["gap_status_colours"][gap["status"]]["stroke"])
        assert cap(cat["segment_stage"][seg["stage"]]) in _text(browser, "#panel .meta")
        regions = {r["kind"] for r in server.json("/api/v1/regions")}
        assert browser.execute_script(groups_js) == [cap(v) for k, v in cat["region_kind"].items() if k in regions]
        expected_tags = [cat["tag"][t] for e in tagged for t in e.get("tags", [])]
        assert sorted(browser.execute_script(tags_js)) == sorted(expected_tags)
        gap_text = _text(browser, "#panel-gap")
        for name in gap["components"]:
            assert cat["gap_component"][name] in gap_text
    assert _severe(browser) == []


@pytest.mark.browser
def test_downloads_use_fetch(browser: Any, server: Server) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _open(browser, server, f"/ui/?chain={CHAIN}&region={CITY}", region=CITY)
    # record what would be saved instead of writing files
    browser.execute_script(DOWNLOAD_HOOK_JS)
    # the server's files (the drawing's SVG/PNG/PDF are made in the page: test_map_layout.py)
    for b in browser.find_elements(By.CSS_SELECTOR, "button.dl[data-dl^='gaps-'], button.dl[data-dl^='graph-']"):
        b.click()
    WebDriverWait(browser, 60).until(
        lambda d: (
            len(d.execute_script("return window.__saved")) == 4
            or d.find_element(By.ID, "message").is_displayed()
        )
    )
    message = browser.find_element(By.ID, "message")
    assert not message.is_displayed(), f"a download failed: {message.text}"
    WebDriverWait(browser, 30).until(lambda d: len(d.execute_script("return window.__saved")) == 4)
    saved = dict(browser.execute_script("return window.__saved"))
    assert {name.rsplit(".", 1)[1] for name in saved} == {"html", "xlsx", "gexf", "graphml"}
    assert all(size > 0 for size in saved.values())
    assert _severe(browser) == []


@pytest.mark.browser
def test_api_key_prompt_when_auth_is_on(browser: Any, auth_server: Server) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from api.keys import create_key

    driver = browser
    driver.get(auth_server.url(f"/ui/?chain={CHAIN}&region={CITY}"))
    WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "auth").is_displayed())
    status, _, body = auth_server.get("/api/v1/chains")
    err = json.loads(body)
    assert status == 401
    message = _text(driver, "#message")  # explained for people: what is missing, whom to ask, where to paste it
    assert err["error"] == "Unauthorized" and err["detail"]
    assert "401" in message and "需要 API 密钥" in message and "系统管理员" in message and "粘贴" in message

    key, _ = create_key(auth_server.app.state.holder.get(), role="viewer", label="browser test")
    field = driver.find_element(By.ID, "api-key")
    field.send_keys(key)
    field.submit()
    shots.wait_for_page(driver, region=CITY)
    assert not driver.find_element(By.ID, "auth").is_displayed()
    own = [b for b in _boxes(driver) if not b["external"]]
    assert own, "the diagram loads with the key"
    assert driver.execute_script("return sessionStorage.getItem('chainmap.apiKey')") == key
    # downloads go through fetch, so they carry the key too
    driver.execute_script(DOWNLOAD_HOOK_JS)
    driver.find_element(By.CSS_SELECTOR, "button.dl[data-dl='graph-gexf']").click()
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return window.__saved.length") == 1)
    name, size = driver.execute_script("return window.__saved[0]")
    assert name.endswith(".gexf") and size > 0
    assert not driver.find_element(By.ID, "message").is_displayed()
    driver.get_log("browser")  # the 401s before the key are expected
    driver.execute_script("sessionStorage.clear()")
