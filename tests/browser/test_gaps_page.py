"""The gaps page (/ui/gaps.html) in real headless Chromium against a real server on the seed.

What a person sees: one table row per segment of the report (= GET /gaps ``total`` for the
filter), the status filter changing the count, sorting by a column, the glossary with the
catalogue's meanings (and the same texts as hover titles), each row's evidence, the HTML and
XLSX downloads that open, the English toggle, and the link from a gap to its leads.
"""

from __future__ import annotations

import base64
import io
import sys
import time
from typing import Any

import pytest

from tests.browser.helpers import CAPTURE_JS
from tests.browser.helpers import wait_js as _wait

shots = sys.modules["chainmap_screenshot"]
Server = Any

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::UserWarning")]


def _severe(driver: Any) -> list[str]:
    return [
        f"{e.get('source')}: {e.get('message')}"
        for e in driver.get_log("browser")
        if e.get("level") == "SEVERE" and "favicon.ico" not in str(e.get("message"))  # pages.json has no icon
    ]


def _ready(driver: Any) -> None:
    _wait(driver, "return document.body.dataset.ready === 'true' && !document.querySelector('#gaps-table[aria-busy]')"
          " && document.querySelector('#summary').dataset.total !== undefined")


def _open(driver: Any, server: Server, query: str = "", lang: str = "zh") -> None:
    driver.get(server.url("/ui/pages.json"))
    driver.execute_script("localStorage.setItem('chainmap.lang', arguments[0])", lang)
    driver.get(server.url("/ui/gaps.html" + query))
    _ready(driver)


def _rows(driver: Any) -> list[dict[str, Any]]:
    return driver.execute_script("""
      return [...document.querySelectorAll('#gaps-body tr.gap-row')].map(tr => ({
        id: tr.dataset.segmentId, status: tr.dataset.status,
        badge: tr.querySelector('[data-col=status] .badge').textContent,
        priority: parseFloat(tr.querySelector('[data-col=priority]').textContent),
        criticality: parseFloat(tr.querySelector('[data-col=criticality]').textContent),
        segment: tr.querySelector('[data-col=segment]').textContent,
        rationale: tr.querySelector('[data-col=rationale] .rationale').textContent,
        leads: tr.querySelector('[data-col=leads] a') ? tr.querySelector('[data-col=leads] a').getAttribute('href') : null,
      }));""")


def _select(driver: Any, css: str, value: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.CSS_SELECTOR, css)).select_by_value(value)


def test_rows_are_the_report_and_status_filter_changes_the_count(browser: Any, server: Server, artifacts: Any) -> None:
    _open(browser, server)
    whole = server.json("/api/v1/gaps", page_size=1000)
    rows = _rows(browser)
    assert len(rows) == whole["total"] > 100
    assert [r["id"] for r in sorted(rows, key=lambda r: r["id"])] == sorted(i["segment_id"] for i in whole["items"])
    by_id = {i["segment_id"]: i for i in whole["items"]}
    for r in rows[:30]:
        assert r["rationale"] == by_id[r["id"]]["rationale"]  # each row carries its rationale
    summary = browser.find_element("css selector", "#summary").text
    assert str(whole["total"]) in summary and "运城市" in summary
    shots.save_screenshot(browser, artifacts / "gaps-table.png", width=1500)
    # status filter: server side, the count is the API's total for that status
    for status, label in (("unverified", "待核实"), ("not_priority", "暂不布局"), ("unsuitable", "不适宜")):
        _select(browser, "#f-status", status)
        _wait(browser, "return document.querySelector('#summary').dataset.total === arguments[0]",
              str(server.json("/api/v1/gaps", type=status, page_size=1000)["total"]))
        _ready(browser)
        rows = _rows(browser)
        expected = server.json("/api/v1/gaps", type=status, page_size=1000)["total"]
        assert len(rows) == expected and 0 < expected < whole["total"]
        assert {r["badge"] for r in rows} == {label} and {r["status"] for r in rows} == {status}
        assert f"type={status}" in browser.current_url
    # segment kind (in the page): endowment rows only
    _select(browser, "#f-status", "")
    _ready(browser)
    _wait(browser, "return document.querySelectorAll('#gaps-body tr.gap-row').length === arguments[0]", whole["total"])
    _select(browser, "#f-kind", "endowment")
    endowments = [i for i in whole["items"] if i.get("kind") == "endowment"]
    assert endowments
    _wait(browser, "return document.querySelectorAll('#gaps-body tr.gap-row').length === arguments[0]", len(endowments))
    assert {r["id"] for r in _rows(browser)} == {i["segment_id"] for i in endowments}
    assert not _severe(browser)


def test_chain_and_region_filters_use_names(browser: Any, server: Server) -> None:
    _open(browser, server)
    options = browser.execute_script(
        "return [...document.querySelectorAll('#f-region option')].map(o => [o.value, o.textContent])")
    names = dict(options)
    assert names["yuncheng"] == "运城市" and any("河津" in v for v in names.values())
    assert all(not v.startswith(("yuncheng", "hejin")) for v in names.values())  # labels, never ids
    _select(browser, "#f-region", "hejin")
    _select(browser, "#f-chain", "cai")
    expected = server.json("/api/v1/gaps", chain="cai", region="hejin", page_size=1000)["total"]
    _wait(browser, "return document.querySelector('#summary').dataset.total === arguments[0]", str(expected))
    _ready(browser)
    assert len(_rows(browser)) == expected
    assert "河津" in browser.find_element("css selector", "#summary").text


def test_sorting_by_columns(browser: Any, server: Server) -> None:
    _open(browser, server)
    pr = [r["priority"] for r in _rows(browser)]
    assert pr == sorted(pr, reverse=True)  # default: priority, highest first
    browser.find_element("css selector", "button.sort[data-sort=criticality]").click()
    crit = [r["criticality"] for r in _rows(browser)]
    assert crit == sorted(crit, reverse=True) and crit[0] > crit[-1]
    assert browser.find_element("css selector", "th[data-col=criticality]").get_attribute("aria-sort") == "descending"
    browser.find_element("css selector", "button.sort[data-sort=criticality]").click()
    crit = [r["criticality"] for r in _rows(browser)]
    assert crit == sorted(crit)
    assert "sort=criticality" in browser.current_url and "dir=asc" in browser.current_url
    browser.find_element("css selector", "button.sort[data-sort=segment]").click()
    segs = [r["segment"] for r in _rows(browser)]
    in_page = browser.execute_script("const a = arguments[0]; return [...a].sort((x, y) => x.localeCompare(y, 'zh-CN'))", segs)
    assert segs == in_page and segs != sorted(segs, reverse=True)


def test_glossary_and_hover_titles_come_from_the_catalogue(browser: Any, server: Server) -> None:
    _open(browser, server)
    cat = server.json("/api/v1/labels", lang="zh")["gap_term_meaning"]
    glossary = browser.find_element("css selector", "#glossary")
    assert glossary.is_displayed()
    terms = {
        dt.get_attribute("data-term"): dt.text
        for dt in glossary.find_elements("css selector", "#glossary-terms dt")
    }
    for term, shown in (("density", "关联密度"), ("criticality", "关键度"), ("dominated", "支配"),
                        ("lq", "区位熵 LQ"), ("priority", "优先级")):
        assert terms[term] == shown
        dd = browser.execute_script(
            "return document.querySelector(`#glossary-terms dt[data-term='${arguments[0]}']`).nextElementSibling.textContent", term)
        assert dd and dd in cat[term]  # the catalogue's text, not a copy in the page
    for col, term in (("priority", "priority"), ("density", "density"), ("criticality", "criticality"), ("lq", "lq")):
        assert browser.find_element("css selector", f"th[data-col={col}]").get_attribute("title") == cat[term]
    # the report's own method texts (parameters method.*), Chinese half
    params = server.json("/api/v1/gaps", page_size=1)["parameters"]
    shown = browser.find_element("css selector", "#glossary-method [data-param='method.statuses']").text
    assert shown == params["method.statuses"].split(" / ")[0]
    # the priority cell explains its components on hover
    title = browser.find_element("css selector", "#gaps-body tr.gap-row td[data-col=priority]").get_attribute("title")
    assert "关联密度" in title and cat["priority"] in title


def test_evidence_quotes_firms_and_policies(browser: Any, server: Server, artifacts: Any) -> None:
    _open(browser, server, "?type=strengthen")
    item = next(i for i in server.json("/api/v1/gaps", type="strengthen", page_size=1000)["items"]
                if i["local_enterprises"] and i["policies"])
    btn = browser.find_element("css selector", f"tr[data-segment-id='{item['segment_id']}'] .evidence-toggle")
    btn.click()
    ev = browser.find_element("css selector", f"tr[data-evidence-of='{item['segment_id']}']")
    assert ev.is_displayed()
    text = ev.text
    assert all(e["name"] in text for e in item["local_enterprises"])
    assert item["policies"][0]["title"] in text and item["policies"][0]["quote"][:20] in text
    assert "鼓励类" in text  # the policy kind as a label
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", ev)
    shots.save_screenshot(browser, artifacts / "gaps-evidence.png", width=1500)


def test_downloads_open(browser: Any, server: Server) -> None:
    from openpyxl import load_workbook

    _open(browser, server, "?chain=qi")
    browser.execute_script(CAPTURE_JS)
    browser.find_element("css selector", "#dl-xlsx").click()
    name = _wait(browser, "return Object.keys(window.__files).find(n => n.endsWith('.xlsx') && window.__files[n])")
    book = load_workbook(io.BytesIO(base64.b64decode(browser.execute_script("return window.__files[arguments[0]]", name))))
    texts = " ".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value)
    qi = server.json("/api/v1/gaps", chain="qi", page_size=1000)
    assert qi["items"][0]["segment_name"] in texts
    browser.find_element("css selector", "#dl-html").click()
    name = _wait(browser, "return Object.keys(window.__files).find(n => n.endsWith('.html') && window.__files[n])")
    html = base64.b64decode(browser.execute_script("return window.__files[arguments[0]]", name)).decode("utf-8")
    assert "<table" in html and qi["items"][0]["segment_name"] in html
    assert not browser.find_element("css selector", "#message").is_displayed()


def test_english_toggle(browser: Any, server: Server, artifacts: Any) -> None:
    _open(browser, server)
    browser.find_element("css selector", "#lang-toggle").click()
    _wait(browser, "return document.documentElement.lang === 'en'")
    _wait(browser, "return document.querySelector('#gaps-body tr.gap-row [data-col=status] .badge').textContent === 'extend'"
          " || /^[a-z ]+$/.test(document.querySelector('#gaps-body tr.gap-row [data-col=status] .badge').textContent)")
    _ready(browser)
    assert browser.find_element("css selector", "th[data-col=priority]").text.startswith("Priority")
    assert browser.find_element("css selector", "#glossary-title").text == "Glossary"
    en = server.json("/api/v1/labels", lang="en")
    assert browser.find_element("css selector", "th[data-col=density]").get_attribute("title") == en["gap_term_meaning"]["density"]
    rows = _rows(browser)
    assert {r["badge"] for r in rows} <= set(en["gap_status"].values())
    en_items = {i["segment_id"]: i for i in server.json("/api/v1/gaps", lang="en", page_size=1000)["items"]}
    assert rows[0]["segment"] == en_items[rows[0]["id"]]["segment_name"]
    assert "segments" in browser.find_element("css selector", "#summary").text
    assert "lang=en" in browser.current_url
    shots.save_screenshot(browser, artifacts / "gaps-en.png", width=1500)
    browser.find_element("css selector", "#lang-toggle").click()
    _wait(browser, "return document.documentElement.lang === 'zh-CN'")


def test_each_target_gap_links_to_its_leads(browser: Any, server: Server) -> None:
    _open(browser, server)
    rows = _rows(browser)
    targets = {"fill", "strengthen", "extend"}
    would = {i["segment_id"]: i.get("would_be") for i in server.json("/api/v1/gaps", page_size=1000)["items"]}
    for r in rows:
        has_leads = r["status"] in targets or (r["status"] == "unverified" and would[r["id"]] in targets)
        assert (r["leads"] is not None) == has_leads, r
        if r["leads"]:
            assert f"gap={r['id']}" in r["leads"]


def test_load_time_warm(browser: Any, server: Server) -> None:
    _open(browser, server)
    rows = []
    for query in ("", "?chain=cai", "?type=unverified"):
        t0 = time.perf_counter()
        browser.get(server.url("/ui/gaps.html" + query))
        _ready(browser)
        _wait(browser, "return document.querySelectorAll('#gaps-body tr.gap-row').length > 0")
        rows.append((query, time.perf_counter() - t0))
    print("\n[load] gaps page on the seed, warm server (until the table is drawn):")
    for query, seconds in rows:
        print(f"[load]   {seconds:6.2f} s  /ui/gaps.html{query}")
    assert all(s > 0 for _, s in rows)
