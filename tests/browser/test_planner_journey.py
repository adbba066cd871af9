"""The planner's journey in real headless Chromium against a real uvicorn server (one store, in order):

view the map -> edit a segment name and see it on the map -> an invalid link weight shows its error
next to the weight field -> a stale edit gives the conflict message -> a refused delete shows the
API's reason -> add and delete a local firm with its assignment -> census upload of the 企查查 XLSX
and the 规上名录 CSV (preview counts = the API's dry-run counts, confirm, firms appear) -> the review
queue (accept, reject, bulk-accept two, correct one; decisions stored with who and when, the queue
count drops) -> chain import of the fruit edge list. Screenshots go to artifacts/ (the best are
copied to docs/img/ by hand). Each page's load time on the warm server is printed, not asserted.
"""

from __future__ import annotations

import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.helpers import wait_js

shots = sys.modules["chainmap_screenshot"]
Server = Any
ROOT = Path(__file__).resolve().parents[2]
CENSUS = ROOT / "tests" / "fixtures" / "census"
XLSX = CENSUS / "SYNTHETIC_企查查导出_运城.xlsx"
CSV = CENSUS / "SYNTHETIC_规上工业企业名录_运城_2026.csv"
FRUIT = ROOT / "docs" / "examples" / "fruit"

pytestmark = pytest.mark.browser


def _wait(driver: Any, js: str, *args: Any, timeout: float = 60) -> Any:
    return wait_js(driver, js, *args, timeout=timeout)


def _open(driver: Any, server: Server, page: str) -> float:
    t0 = time.perf_counter()
    driver.get(server.url(f"/ui/{page}"))
    _wait(driver, "return document.body.dataset.ready === 'true'")
    return time.perf_counter() - t0


def _click(driver: Any, css: str) -> None:
    driver.execute_script("const n = document.querySelector(arguments[0]); n.scrollIntoView({block: 'center'}); n.click();", css)


def _dry_run(server: Server, path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        r = httpx.post(server.url("/api/v1/enterprises/import"), params={"dry_run": "true"}, files={"file": (path.name, fh)}, timeout=120)
    assert r.status_code == 200, r.text[:500]
    return r.json()


def _page_counts(driver: Any) -> dict[str, int]:
    return driver.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('#census-counts [data-count]')]"
        ".map(n => [n.dataset.count, Number(n.querySelector('b').textContent)]))"
    )


def _review_total(server: Server) -> int:
    return int(server.json("/api/v1/review", page_size=1)["total"])


# ----------------------------------------------------------------------------- API hunks (no browser)


def test_enterprise_delete_route_and_decision_list(server: Server) -> None:
    body = {"name": "测试删除企业有限公司", "county": "yanhu", "source": "test", "segments": []}
    r = httpx.post(server.url("/api/v1/enterprises"), json=body, timeout=30)
    assert r.status_code == 201, r.text
    eid, tag = r.json()["id"], r.headers["etag"]
    stale = httpx.delete(server.url(f"/api/v1/enterprises/{eid}"), headers={"If-Match": '"stale"'}, timeout=30)
    assert stale.status_code == 412
    ok = httpx.delete(server.url(f"/api/v1/enterprises/{eid}"), headers={"If-Match": tag}, timeout=30)
    assert ok.status_code == 204
    assert httpx.get(server.url(f"/api/v1/enterprises/{eid}"), timeout=30).status_code == 404
    assert httpx.delete(server.url(f"/api/v1/enterprises/{eid}"), timeout=30).status_code == 404
    listed = server.json("/api/v1/review/decisions", limit=5)
    assert isinstance(listed, list) and len(listed) <= 5


# ----------------------------------------------------------------------------- edit page


def test_edit_segment_name_then_map_shows_it(browser: Any, server: Server, artifacts: Path) -> None:
    browser.get(server.url("/ui/?chain=qi&region=yuncheng"))
    shots.wait_for_page(browser, timeout=120)  # the map first, as a planner starts
    seg = server.json("/api/v1/chains/qi/segments")[0]
    new_name = seg["name_zh"] + "（规划修订）"
    _open(browser, server, "edit.html?chain=qi")
    assert browser.execute_script("return document.querySelector('#app-nav a.current').dataset.page") == "edit"
    names = browser.execute_script("return [...document.querySelectorAll('#segments-table td.seg-name')].map(n => n.textContent)")
    assert names == [s["name_zh"] for s in server.json("/api/v1/chains/qi/segments")]
    _click(browser, f'#segments-table tr[data-id="{seg["id"]}"] button[data-action="edit"]')
    _wait(browser, "return !!document.querySelector('#segment-form [data-field=name_zh]')")
    browser.execute_script("document.querySelector('#segment-form [data-field=name_zh]').value = arguments[0]", new_name)
    _click(browser, '#segment-form button[data-action="save"]')
    _wait(browser, "return !document.querySelector('#segment-form')")
    assert server.json(f"/api/v1/segments/{seg['id']}")["name_zh"] == new_name
    shots.save_screenshot(browser, artifacts / "edit-segments.png")
    browser.get(server.url("/ui/?chain=qi&region=yuncheng"))
    shots.wait_for_page(browser, timeout=120)
    drawn = browser.execute_script(
        "const g = document.querySelector('#diagram [data-segment-id=\"' + arguments[0] + '\"]'); return g ? g.textContent : null", seg["id"]
    )
    assert drawn is not None and new_name.replace("（规划修订）", "") in drawn and "规划修订" in drawn


def test_invalid_weight_shows_inline_error(browser: Any, server: Server, artifacts: Path) -> None:
    _open(browser, server, "edit.html?chain=qi")
    _click(browser, '.tabs button[data-tab="links"]')
    _wait(browser, "return document.querySelectorAll('#links-table tbody tr').length > 0")
    key = browser.execute_script("return document.querySelector('#links-table tbody tr').dataset.key")
    source, target, kind = key.split("|")
    before = server.json(f"/api/v1/links/{source}/{target}/{kind}")
    _click(browser, '#links-table tbody tr button[data-action="edit"]')
    _wait(browser, "return !!document.querySelector('#link-form [data-field=weight]')")
    browser.execute_script("document.querySelector('#link-form [data-field=weight]').value = '2'")
    _click(browser, '#link-form button[data-action="save"]')
    msg = _wait(browser, "const s = document.querySelector('#link-form .field-error[data-error-for=weight]'); return s && s.textContent")
    assert msg.startswith("应小于或等于 1"), msg  # the API's "less than or equal to 1", in Chinese first
    # next to the weight field: in the same label, and the field is marked
    same_label = browser.execute_script(
        "const i = document.querySelector('#link-form [data-field=weight]');"
        "return i.classList.contains('invalid') && i.closest('label').contains(document.querySelector('.field-error[data-error-for=weight]'))"
    )
    assert same_label is True
    others = browser.execute_script(
        "return [...document.querySelectorAll('#link-form .field-error')].filter(n => n.textContent && n.dataset.errorFor !== 'weight').length"
    )
    assert others == 0
    shots.save_screenshot(browser, artifacts / "edit-link-weight-error.png")
    assert server.json(f"/api/v1/links/{source}/{target}/{kind}")["weight"] == before["weight"]


def test_stale_edit_shows_conflict_and_refused_delete_shows_reason(browser: Any, server: Server, artifacts: Path) -> None:
    seg = server.json("/api/v1/chains/qi/segments")[1]
    _open(browser, server, "edit.html?chain=qi")
    _click(browser, f'#segments-table tr[data-id="{seg["id"]}"] button[data-action="edit"]')
    _wait(browser, "return !!document.querySelector('#segment-form [data-field=name_en]')")
    # someone else saves the segment meanwhile
    current = server.json(f"/api/v1/segments/{seg['id']}")
    current["description"] = (current.get("description") or "") + " (edited elsewhere)"
    assert httpx.put(server.url(f"/api/v1/segments/{seg['id']}"), json=current, timeout=30).status_code == 200
    browser.execute_script("document.querySelector('#segment-form [data-field=name_en]').value = 'stale edit'")
    _click(browser, '#segment-form button[data-action="save"]')
    text = _wait(browser, "const c = document.querySelector('#message .conflict'); return c && c.textContent")
    assert "已被他人修改" in text
    assert server.json(f"/api/v1/segments/{seg['id']}")["name_en"] != "stale edit"
    # delete a segment that links still use: confirm, then the API's reason is shown and nothing is deleted
    used = {lk["source"] for lk in server.json("/api/v1/links", chain="qi")}
    victim = next(s for s in server.json("/api/v1/chains/qi/segments") if s["id"] in used)
    _open(browser, server, "edit.html?chain=qi")
    _click(browser, f'#segments-table tr[data-id="{victim["id"]}"] button[data-action="delete"]')
    alert = browser.switch_to.alert
    assert victim["name_zh"] in alert.text
    alert.accept()
    text = _wait(browser, "const m = document.getElementById('message'); return !m.hidden && m.textContent")
    assert "未删除" in text and ("409" in text or "link" in text.lower() or "关联" in text)
    assert server.get(f"/api/v1/segments/{victim['id']}")[0] == 200


def test_add_and_delete_local_firm_with_assignment(browser: Any, server: Server) -> None:
    seg = server.json("/api/v1/chains/qi/segments")[2]
    _open(browser, server, "edit.html?chain=qi")
    _click(browser, '.tabs button[data-tab="enterprises"]')
    _click(browser, "#add-firm")
    _wait(browser, "return !!document.querySelector('#firm-form [data-field=name]')")
    browser.execute_script(
        "const f = document.getElementById('firm-form');"
        "f.querySelector('[data-field=name]').value = '运城测试规划企业有限公司';"
        "f.querySelector('[data-field=county]').value = 'yanhu';"
        "f.querySelector('[data-field=source]').value = '规划人员现场核实';"
        "document.getElementById('add-presence').click();"
        "const row = f.querySelector('.presence-row'); row.querySelector('[data-part=segment]').value = arguments[0];"
        "row.querySelector('[data-part=role]').value = 'producer'; row.querySelector('[data-part=status]').value = 'confirmed';",
        seg["id"],
    )
    # a bad credit code first: its error is shown next to the credit-code field, nothing is saved
    browser.execute_script("document.querySelector('#firm-form [data-field=credit_code]').value = '123'")
    _click(browser, '#firm-form button[data-action="save"]')
    msg = _wait(browser, "const s = document.querySelector('#firm-form .field-error[data-error-for=credit_code]'); return s && s.textContent")
    assert "'123'" in msg and "18" in msg
    assert server.json("/api/v1/enterprises", name="运城测试规划企业有限公司")["total"] == 0
    browser.execute_script("document.querySelector('#firm-form [data-field=credit_code]').value = ''")
    _click(browser, '#firm-form button[data-action="save"]')
    _wait(browser, "return !document.querySelector('#firm-form')")
    found = server.json("/api/v1/enterprises", name="运城测试规划企业有限公司")["items"]
    assert len(found) == 1 and found[0]["county"] == "yanhu"
    assert [(p["segment"], p["role"], p["status"]) for p in found[0]["segments"]] == [(seg["id"], "producer", "confirmed")]
    eid = found[0]["id"]
    _wait(browser, "return !!document.querySelector('#firms-table tr[data-id=\"' + arguments[0] + '\"]')", eid)
    _click(browser, f'#firms-table tr[data-id="{eid}"] button[data-action="delete"]')
    browser.switch_to.alert.accept()
    _wait(browser, "return !document.querySelector('#firms-table tr[data-id=\"' + arguments[0] + '\"]')", eid)
    assert server.get(f"/api/v1/enterprises/{urllib.parse.quote(eid)}")[0] == 404


# ----------------------------------------------------------------------------- census page


@pytest.mark.parametrize("path", [XLSX, CSV], ids=["qichacha-xlsx", "guishang-csv"])
def test_census_upload_preview_then_confirm(browser: Any, server: Server, artifacts: Path, path: Path) -> None:
    expected = _dry_run(server, path)
    _open(browser, server, "census.html")
    browser.find_element("css selector", "#census-file").send_keys(str(path))
    _click(browser, "#census-preview")
    _wait(browser, "return document.getElementById('census-result').dataset.state === 'preview'", timeout=120)
    counts = _page_counts(browser)
    for k in ("rows", "new", "updated", "unchanged", "skipped", "errors", "pending", "unassigned"):
        assert counts[k] == expected["counts"].get(k, 0), (k, counts, expected["counts"])
    recognised = browser.execute_script("return [...document.querySelectorAll('#recognised-columns tbody tr td:first-child')].map(n => n.textContent)")
    assert recognised == list(expected["columns"]["recognised"])
    fields = browser.execute_script("return [...document.querySelectorAll('#recognised-columns tbody tr td:last-child')].map(n => n.textContent)")
    assert "name" not in fields and "企业名称" in fields  # labels, not field ids
    ignored = browser.execute_script("return [...document.querySelectorAll('#ignored-columns .chip')].map(n => n.textContent)")
    assert ignored == expected["columns"]["ignored"]
    if expected["skipped"]:
        rows = browser.execute_script("return [...document.querySelectorAll('#skipped-rows tbody tr td:first-child')].map(n => Number(n.textContent))")
        assert rows == [s["row"] for s in expected["skipped"]]
    errors = expected["errors"]
    button = browser.execute_script("return document.getElementById('census-confirm').textContent")
    if errors:
        shown = browser.execute_script(
            "return [...document.querySelectorAll('#row-errors tbody tr')].map(r => [...r.children].map(c => c.textContent))"
        )
        assert [int(r[0]) for r in shown] == [e["row"] for e in errors]
        assert button == "跳过无效行并导入"
    else:
        assert button == "确认导入"
    shots.save_screenshot(browser, artifacts / f"census-preview-{path.suffix.lstrip('.')}.png")
    assert expected["new"], "the fixture has new firms"
    assert server.json("/api/v1/enterprises", name=expected["new"][0]["name"])["total"] == 0  # the preview wrote nothing
    _click(browser, "#census-confirm")
    _wait(browser, "return document.getElementById('census-result').dataset.state === 'done'", timeout=120)
    done = _page_counts(browser)
    assert done["new"] == expected["counts"]["new"] and done["updated"] == expected["counts"]["updated"]
    cov = browser.execute_script("return document.getElementById('coverage-record').textContent")
    assert "覆盖记录" in cov and expected["register_kind"] and "导入于" in cov
    shots.save_screenshot(browser, artifacts / f"census-done-{path.suffix.lstrip('.')}.png")
    for item in expected["new"][:5]:
        hits = server.json("/api/v1/enterprises", name=item["name"])["items"]
        assert any(h["name"] == item["name"] for h in hits), item["name"]


# ----------------------------------------------------------------------------- review page


def test_review_queue_decisions(browser: Any, server: Server, artifacts: Path) -> None:
    start_total = _review_total(server)
    assert start_total >= 5, "the census imports above leave pending assignments"
    _open(browser, server, "review.html")
    shown_total = int(browser.execute_script("return document.getElementById('pending-count').dataset.total"))
    assert shown_total == start_total
    assert "待审核" in browser.execute_script("return document.getElementById('pending-count').textContent")
    shots.save_screenshot(browser, artifacts / "review-queue.png")
    # filters: chain and reason narrow the list exactly as the API does
    first = next(e for e in server.json("/api/v1/review", page_size=1000)["items"] if e["chain"])
    chain, reason = first["chain"], first["reason"]
    chain_zh = next(c["name_zh"] for c in server.json("/api/v1/chains") if c["id"] == chain)
    sub_total = int(server.json("/api/v1/review", chain=chain, reason=reason, page_size=1)["total"])
    assert 0 < sub_total < start_total
    browser.execute_script(
        "const c = document.getElementById('f-chain'); c.value = arguments[0]; c.dispatchEvent(new Event('change'));"
        "const r = document.getElementById('f-reason'); r.value = arguments[1]; r.dispatchEvent(new Event('change'));",
        chain, reason,
    )
    _wait(browser, "return Number(document.getElementById('pending-count').dataset.total) === arguments[0]", sub_total)
    proposed_cells = browser.execute_script("return [...document.querySelectorAll('#queue-table td.proposed')].map(n => n.textContent)")
    assert proposed_cells and all(chain_zh in t for t in proposed_cells)
    browser.execute_script(
        "for (const id of ['f-reason', 'f-chain']) { const s = document.getElementById(id); s.value = ''; s.dispatchEvent(new Event('change')); }"
    )
    _wait(browser, "return Number(document.getElementById('pending-count').dataset.total) === arguments[0]", start_total)
    if start_total > 50:  # pages of 50
        assert browser.execute_script("return document.querySelectorAll('#queue-table tbody tr').length") == 50
        _click(browser, "#page-next")
        _wait(browser, "return document.getElementById('page-of').textContent.startsWith('第 2 ')")
        _click(browser, "#page-prev")
        _wait(browser, "return document.getElementById('page-of').textContent.startsWith('第 1 ')")

    def segment_rows() -> list[str]:
        return browser.execute_script(
            "return [...document.querySelectorAll('#queue-table tbody tr')].filter(r => r.querySelector('[data-action=accept]')).map(r => r.dataset.id)"
        )

    def act(entry: str, action: str) -> None:
        before = _review_total(server)
        _click(browser, f'#queue-table tr[data-id="{entry}"] button[data-action="{action}"]')
        _wait(browser, "return Number(document.getElementById('pending-count').dataset.total) < arguments[0]", before)

    ids = segment_rows()
    assert len(ids) >= 5
    act(ids[0], "accept")
    ids = segment_rows()
    act(ids[0], "reject")
    ids = segment_rows()
    bulk = ids[:2]
    before = _review_total(server)
    for entry in bulk:
        _click(browser, f'#queue-table tr[data-id="{entry}"] input.pick')
    assert browser.execute_script("return document.getElementById('selected-count').textContent") == "已选 2 条"
    _click(browser, "#bulk-accept")
    _wait(browser, "return Number(document.getElementById('pending-count').dataset.total) <= arguments[0] - 2", before)
    ids = segment_rows()
    corrected = ids[0]
    proposed = corrected.split("|", 1)[1]
    seg_names = {s["id"]: s["name_zh"] for c in server.json("/api/v1/chains") for s in server.json(f"/api/v1/chains/{c['id']}/segments")}
    to_id = browser.execute_script(
        "const sel = document.querySelector('#queue-table tr[data-id=\"' + arguments[0] + '\"] select.correct-to');sel.dispatchEvent(new Event('focus'));"
        "const opt = [...sel.options].find(o => o.value && o.value !== arguments[1]); sel.value = opt.value; return opt.value;",
        corrected, proposed,
    )
    act(corrected, "set")
    end_total = _review_total(server)
    assert end_total == start_total - 5
    assert int(browser.execute_script("return document.getElementById('pending-count').dataset.total")) == end_total
    decisions = server.json("/api/v1/review/decisions", limit=10)
    assert sorted(d["action"] for d in decisions[:5]) == ["accept", "accept", "accept", "reject", "set"]
    assert all(d["by"] and d["at"] for d in decisions[:5])
    set_rec = next(d for d in decisions[:5] if d["action"] == "set")
    assert set_rec["segment"] == to_id and set_rec["from_segment"] == proposed
    firm = set_rec["enterprise"]
    stored = server.json(f"/api/v1/enterprises/{urllib.parse.quote(firm)}")
    assert any(p["segment"] == to_id and p["status"] == "confirmed" and p["method"] == "planner" for p in stored["segments"])
    # the page lists the decisions with who and when, by name
    table = browser.execute_script("return [...document.querySelectorAll('#decisions-table tbody tr')].slice(0, 5).map(r => [...r.children].map(c => c.textContent))")
    assert len(table) == 5 and all(row[0] and row[1] for row in table)
    assert any(row[4] == "改为" and row[5] == seg_names[to_id] for row in table)
    browser.execute_script("document.getElementById('decisions').scrollIntoView()")
    shots.save_screenshot(browser, artifacts / "review-decided.png")


def test_review_confirm_absence(browser: Any, server: Server) -> None:
    # a segment with no local firm in 闻喜 (a present one is refused by the API)
    seg = next(s for s in server.json("/api/v1/chains/cai/segments")
               if server.json("/api/v1/enterprises", region="wenxi", segment=s["id"], page_size=1)["total"] == 0)
    _open(browser, server, "review.html")
    browser.execute_script(
        "document.getElementById('a-region').value = 'wenxi'; document.getElementById('a-segment').value = arguments[0];"
        "document.getElementById('a-note').value = '现场核实：本县无此环节企业';",
        seg["id"],
    )
    _click(browser, '#absence-form button[type="submit"]')
    _wait(browser, "return !!document.getElementById('absences-table') || !document.getElementById('message').hidden")
    assert browser.execute_script("return document.getElementById('message').hidden"), browser.execute_script(
        "return document.getElementById('message').textContent")
    recs = server.json("/api/v1/review/absences", region="wenxi")
    assert any(r["segment"] == seg["id"] and r["note"] == "现场核实：本县无此环节企业" and r["by"] for r in recs)
    row = browser.execute_script("return [...document.querySelector('#absences-table tbody tr').children].map(c => c.textContent)")
    assert row[0] == "闻喜县" and row[1] == seg["name_zh"]


# ----------------------------------------------------------------------------- chain import


def test_chain_import_of_the_fruit_edge_list(browser: Any, server: Server, artifacts: Path) -> None:
    with (FRUIT / "links.csv").open("rb") as fh:
        dry = httpx.post(server.url("/api/v1/chains/import"), files={"file": ("links.csv", fh)},
                         data={"chain_id": "fruit", "name_zh": "果品及精深加工", "dry_run": "true"}, timeout=120)
    assert dry.status_code == 200, dry.text[:400]
    expected = dry.json()
    _open(browser, server, "census.html")
    # an invalid chain id first: the error is shown next to the id field
    browser.find_element("css selector", "#chain-file").send_keys(str(FRUIT / "links.csv"))
    browser.execute_script("document.getElementById('chain-id').value = 'Fruit'; document.getElementById('chain-name-zh').value = '果品及精深加工';")
    _click(browser, "#chain-preview")
    msg = _wait(browser, "const s = document.querySelector('.field-error[data-error-for=chain_id]'); return s && s.textContent")
    assert "Fruit" in msg
    browser.execute_script("document.getElementById('chain-id').value = 'fruit'")
    browser.find_element("css selector", "#chain-enterprises").send_keys(str(FRUIT / "enterprises.csv"))
    _click(browser, "#chain-preview")
    _wait(browser, "return document.getElementById('chain-result').dataset.state === 'preview'", timeout=120)
    text = browser.execute_script("return document.getElementById('chain-preview-text').textContent")
    assert f"{expected['segments']} 个环节" in text and f"{expected['links']} 条关联" in text
    assert "fruit" not in [c["id"] for c in server.json("/api/v1/chains")]
    _click(browser, "#chain-confirm")
    _wait(browser, "return document.getElementById('chain-result').dataset.state === 'done'", timeout=120)
    shots.save_screenshot(browser, artifacts / "census-chain-import.png")
    chains = {c["id"]: c for c in server.json("/api/v1/chains")}
    assert "fruit" in chains and chains["fruit"]["segments"] == expected["segments"]
    assert len(server.json("/api/v1/links", chain="fruit")) >= expected["links"]


def test_planner_page_load_times_warm(browser: Any, server: Server) -> None:
    """Prints each planner page's load time on the warm server (target < 1 s; not asserted)."""
    rows = []
    for page in ("edit.html?chain=cai", "census.html", "review.html"):
        _open(browser, server, page)  # warm
        browser.get_log("browser")
        rows.append((page, _open(browser, server, page)))
        foreign = browser.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
            ".filter(n => !n.startsWith(location.origin) && !n.startsWith('data:') && !n.startsWith('blob:'))"
        )
        assert foreign == [], (page, foreign)  # no request leaves the origin
        severe = [e["message"] for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
        assert severe == [], (page, severe)
        # English toggle: labels switch, no id leaks into the headings
        browser.execute_script("document.getElementById('lang-toggle').click()")
        _wait(browser, "return document.documentElement.lang === 'en'")
        title = browser.execute_script("return document.querySelector('h1').textContent")
        assert title in ("Edit industrial chains", "Local enterprise census import", "Census review queue"), title
        browser.execute_script("document.getElementById('lang-toggle').click()")
        _wait(browser, "return document.documentElement.lang === 'zh-CN'")
    print("\n[load] planner pages, warm server (until ready):")
    for page, seconds in rows:
        print(f"[load]   {seconds:6.2f} s  /ui/{page}")
    assert all(s > 0 for _, s in rows)
