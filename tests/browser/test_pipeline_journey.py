"""Task force journey in real headless Chromium: a ranked lead → 登记为项目 (with the duplicate
warning) → the project page → a 七跟法 follow-up with an overdue next date → a problem raised and
handled → stage moves (only the allowed ones offered) → the KPI on the leader dashboard.

The server is a real uvicorn on the shipped seed (SQLite, auth off); the other task force's project
and the target are hand-made through the API, as a person would enter them.
"""

from __future__ import annotations

import base64
import json
import re
import sys
import time
import urllib.parse
import urllib.request
from datetime import date, timedelta
from typing import Any

import pytest

shots = sys.modules["chainmap_screenshot"]  # loaded by conftest.py
API = "/api/v1"
TODAY = date.today()


def _send(server: Any, method: str, path: str, body: Any) -> tuple[int, Any]:
    req = urllib.request.Request(
        server.url(API + path), data=json.dumps(body).encode(), method=method,
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 - loopback only
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _ready(driver: Any, timeout: float = 60) -> float:
    """Wait until the page set body[data-ready]; returns the seconds it took since navigation start."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout, poll_frequency=0.05).until(
        lambda d: d.execute_script("return document.body && document.body.dataset.ready === 'true'")
    )
    return float(driver.execute_script("return performance.now()")) / 1000


def _wait(driver: Any, fn: Any, timeout: float = 30) -> Any:
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:  # the pages re-render whole sections: an element read mid-render is simply read again
        wait = WebDriverWait(driver, timeout, poll_frequency=0.05, ignored_exceptions=(StaleElementReferenceException,))
        return wait.until(fn)
    except TimeoutException:
        message = driver.execute_script("const m = document.getElementById('message'); return m ? m.innerText : ''")
        logs = [e["message"] for e in driver.get_log("browser")]
        pytest.fail(f"timed out; page message: {message!r}; console: {logs[-5:]}")


def pdf_pages(driver: Any) -> int:
    """Pages of the current page printed by Chromium itself (print media, the page's @page size)."""
    pdf = driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True})
    raw = base64.b64decode(pdf["data"])
    return len(re.findall(rb"/Type\s*/Page(?![a-z])", raw))


@pytest.mark.browser
def test_task_force_registers_a_lead_follows_it_up_and_moves_it(browser: Any, server: Any, artifacts: Any) -> None:
    from selenium.webdriver.common.by import By

    lead = server.json(API + "/leads", k=5)["items"][0]
    # another team already follows this firm (same name): the registration must warn
    status, other = _send(server, "POST", "/projects", {
        "enterprise": {"name": lead["name"]}, "task_force": "永济市招商小分队", "task_force_kind": "squad",
        "owner": "王五", "county": "yongji", "created": str(TODAY - timedelta(days=20)),
    })  # fmt: skip
    assert status == 201, other
    # ... and followed it up ten days ago, promising to call back three days ago: overdue
    status, _ = _send(server, "POST", f"/projects/{other['project']['id']}/followups", {
        "method": "定期跟", "actor": "王五", "date": str(TODAY - timedelta(days=10)),
        "next_date": str(TODAY - timedelta(days=3)),
    })  # fmt: skip
    assert status == 201

    q = urllib.parse.urlencode({
        "lead": lead["candidate_id"], "name": lead["name"], "gap": lead["gap_segment_id"], "status": lead["gap_status"],
        "gap_name": lead["gap_segment_name"],
        "chain": lead["chain_id"], "score": lead["score"], "rank": lead["rank"],
    })  # fmt: skip
    browser.get(server.url(f"/ui/pipeline.html?{q}"))
    t_board = _ready(browser)
    form = browser.find_element(By.ID, "register-form")
    assert browser.find_element(By.ID, "register").is_displayed()
    note = browser.find_element(By.ID, "lead-note").text
    assert lead["name"] in note and "来自招商线索" in note and lead["gap_segment_name"] in note
    assert form.find_element(By.NAME, "enterprise").get_attribute("value") == lead["name"]
    form.find_element(By.NAME, "task_force").send_keys("汽车产业招商专班")
    form.find_element(By.NAME, "owner").send_keys("张三")
    form.find_element(By.NAME, "planned_investment").clear()
    form.find_element(By.NAME, "planned_investment").send_keys("12.5")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    result = _wait(browser, lambda d: d.find_element(By.ID, "register-result").text or None)
    assert "已登记项目" in result
    warning = browser.find_element(By.CSS_SELECTOR, "#register-result .pl-warning").text
    assert "永济市招商小分队" in warning and "王五" in warning and other["project"]["id"] in warning

    mine = [p for p in server.json(API + "/projects")["items"] if p["task_force"] == "汽车产业招商专班"]
    assert len(mine) == 1
    project = mine[0]
    assert project["lead"]["candidate_id"] == lead["candidate_id"]
    # a provisional lead (待核实 gap) keeps its status on the lead reference; the project itself
    # gets a gap type (强链/补链/延链) only once the gap is confirmed
    expected = lead["gap_status"] if lead["gap_status"] != "unverified" else None
    assert project["segment"] == lead["gap_segment_id"] and project["gap_status"] == expected
    assert project["lead"]["gap_status"] == lead["gap_status"]
    assert other["project"]["id"] in project["related_projects"]
    pid = project["id"]

    lead_col = browser.find_element(By.CSS_SELECTOR, ".pl-col[data-stage=lead]")
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f".pl-card[data-id='{pid}']"))
    card = lead_col.find_element(By.CSS_SELECTOR, f".pl-card[data-id='{pid}']")
    assert [b.text for b in card.find_elements(By.CSS_SELECTOR, ".pl-move")] == ["→ 对接", "→ 搁置", "→ 终止"]
    others = lead_col.find_element(By.CSS_SELECTOR, f".pl-card[data-id='{other['project']['id']}']")
    assert "跟进逾期 3 天" in others.find_element(By.CSS_SELECTOR, ".pl-badge.overdue").text
    assert "跟进逾期" not in card.text
    shots.save_screenshot(browser, artifacts / "pipeline-board-registered.png")

    # the project page
    card.find_element(By.CSS_SELECTOR, "a.pl-card-title").click()
    t_project = _ready(browser)
    assert "project.html" in browser.current_url
    assert browser.find_element(By.ID, "stage-badge").text == "线索"
    assert [b.text for b in browser.find_elements(By.CSS_SELECTOR, "#moves .pl-move")] == ["→ 对接", "→ 搁置", "→ 终止"]

    # a follow-up dated before the registration is refused, with the reason shown
    fu = browser.find_element(By.ID, "followup-form")
    fu.find_element(By.CSS_SELECTOR, "select[name=method] option[value=on_site]").click()
    _set_date(browser, fu.find_element(By.NAME, "date"), TODAY - timedelta(days=10))
    fu.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    msg = _wait(browser, lambda d: d.find_element(By.ID, "message").text or None)
    assert "早于项目登记日期" in msg
    # a 七跟法 follow-up today, next one in a week
    _set_date(browser, fu.find_element(By.NAME, "date"), TODAY)
    fu.find_element(By.NAME, "note").send_keys("实地考察厂房，企业关注用地")
    _set_date(browser, fu.find_element(By.NAME, "next_date"), TODAY + timedelta(days=7))
    fu.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    rows = _wait(browser, lambda d: [r for r in d.find_elements(By.CSS_SELECTOR, "#followups tbody tr") if "实地跟" in r.text])
    assert len(browser.find_elements(By.CSS_SELECTOR, "#followups tbody tr")) == 1
    cells = [c.text for c in rows[0].find_elements(By.TAG_NAME, "td")]
    assert cells == [str(TODAY), "实地跟", "张三", "实地考察厂房，企业关注用地", str(TODAY + timedelta(days=7))]
    assert f"下次跟进日期：{TODAY + timedelta(days=7)}" in browser.find_element(By.ID, "reminders").text
    assert not browser.find_elements(By.ID, "overdue") and browser.find_element(By.ID, "message").text == ""

    # a request raised, then taken in hand
    iss = browser.find_element(By.ID, "issue-form")
    iss.find_element(By.CSS_SELECTOR, "select[name=kind] option[value=request]").click()
    iss.find_element(By.NAME, "text").send_keys("协调 50 亩工业用地指标")
    iss.find_element(By.NAME, "handler").send_keys("市自然资源局")
    iss.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#issues .issue-open"))
    browser.find_element(By.CSS_SELECTOR, "#issues button[data-status=in_progress]").click()
    badge = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#issues .issue-in_progress"))[0]
    assert badge.text == "办理中"
    issue = server.json(API + f"/projects/{pid}")["issues"][0]
    assert (issue["kind"], issue["status"], issue["handler"]) == ("request", "in_progress", "市自然资源局")

    # stage moves: 对接 → 洽谈 → 签约, each time only the allowed next stages offered
    expected = {"contacted": ["→ 洽谈", "→ 搁置", "→ 终止"], "negotiating": ["→ 签约", "→ 搁置", "→ 终止"],
                "signed": ["→ 开工", "→ 搁置", "→ 终止"]}  # fmt: skip
    for to, offered in expected.items():
        browser.find_element(By.CSS_SELECTOR, f"#moves .pl-move[data-to={to}]").click()
        box = browser.find_element(By.CSS_SELECTOR, "#move-box form")
        box.find_element(By.NAME, "note").send_keys(f"推进到 {to}")
        box.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        label = {"contacted": "对接", "negotiating": "洽谈", "signed": "签约"}[to]
        _wait(browser, lambda d, label=label: d.find_element(By.ID, "stage-badge").text == label)
        assert [b.text for b in browser.find_elements(By.CSS_SELECTOR, "#moves .pl-move")] == offered
    history = [r.find_elements(By.TAG_NAME, "td")[2].text for r in browser.find_elements(By.CSS_SELECTOR, "#history tbody tr")]
    assert history == ["线索", "对接", "洽谈", "签约"]
    assert server.json(API + f"/projects/{pid}")["stage"] == "signed"
    shots.save_screenshot(browser, artifacts / "pipeline-project-page.png")

    # the project page prints on A4 portrait, few pages
    assert pdf_pages(browser) <= 2

    # its team's own target: 2 signings this year -> 1 of 2 = 50 %
    status, _ = _send(server, "PUT", "/targets", {"year": TODAY.year, "task_force": "汽车产业招商专班", "signed_count": 2})
    assert status == 200
    browser.get(server.url(f"/ui/dashboard.html?year={TODAY.year}"))
    t_dash = _ready(browser)
    tf = browser.find_element(By.ID, "f-task-force")
    tf.find_element(By.CSS_SELECTOR, "option[value='汽车产业招商专班']").click()
    _wait(browser, lambda d: "本队伍目标" in d.find_element(By.ID, "scope").text)
    kpi = browser.find_element(By.CSS_SELECTOR, ".db-kpi[data-kpi=signed_count]")
    assert kpi.find_element(By.CSS_SELECTOR, ".db-kpi-value").text.startswith("1")
    assert "目标 2" in kpi.text and "完成 50.00%" in kpi.text
    print(f"\nload time on the seed, warm server: pipeline.html {t_board:.2f}s, project.html {t_project:.2f}s, "
          f"dashboard.html {t_dash:.2f}s")  # fmt: skip


def _set_date(driver: Any, node: Any, value: date) -> None:
    driver.execute_script("arguments[0].value = arguments[1]", node, value.isoformat())


@pytest.mark.browser
def test_board_prints_three_projects_on_one_a4_page(browser: Any, server: Any, artifacts: Any) -> None:
    from selenium.webdriver.common.by import By

    for k in range(3):
        status, body = _send(server, "POST", "/projects", {
            "id": f"print-{k}", "enterprise": {"name": f"打印测试企业{k}有限公司"}, "task_force": "打印专班",
            "task_force_kind": "special_team", "owner": "赵六", "county": "yanhu",
        })  # fmt: skip
        assert status == 201, body
    browser.get(server.url("/ui/pipeline.html"))
    _ready(browser)
    browser.find_element(By.CSS_SELECTOR, "#f-task-force option[value='打印专班']").click()
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".pl-card")) == 3)
    sheets = browser.execute_script(
        "return [...document.styleSheets].flatMap(s => { try { return [...s.cssRules]; } catch (e) { return []; } })"
        ".filter(r => r.type === CSSRule.PAGE_RULE).map(r => r.cssText)"
    )
    assert any("size: a4 landscape" in r.lower() for r in sheets), sheets
    assert pdf_pages(browser) == 1
    shots.save_screenshot(browser, artifacts / "pipeline-board-print-filter.png")
    # English: stage labels from GET /labels, page strings translated, no Chinese UI text left
    browser.find_element(By.ID, "lang-toggle").click()
    _wait(browser, lambda d: d.find_element(By.ID, "new-project").text == "Register a project")
    heads = [h.text.split("\n")[0] for h in browser.find_elements(By.CSS_SELECTOR, ".pl-col h2")]
    assert heads[:3] == ["lead", "contacted", "negotiating"] and heads[-2:] == ["on hold", "dropped"]
    assert "3 projects, 0 follow-ups overdue" in browser.find_element(By.ID, "summary").text
    browser.find_element(By.ID, "lang-toggle").click()
    _wait(browser, lambda d: d.find_element(By.ID, "new-project").text == "登记新项目")
    # nothing was requested from another origin
    origins = browser.execute_script(
        "return [...new Set(performance.getEntriesByType('resource').map(e => new URL(e.name).origin))]"
    )
    assert origins == [server.base], origins
    time.sleep(0.1)
