"""Web workspace in real headless Chromium against a real uvicorn server on the shipped seed:

* the annual targets form (年度目标) on the dashboard: a county's target set in the browser, an
  out-of-range value refused next to its field, the dashboard then measured against the target;
* the gaps page's data-coverage lines (the census coverage of each chain in the region);
* the project page's stage history in labels (Chinese; English in English mode), not codes;
* the key prompt for a person: what a key is, whom to ask, where to enter it (no key / a wrong key).

Screenshots go to artifacts/ (the targets form is copied to docs/img/ by hand).
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from typing import Any

import pytest

from tests.browser.test_pipeline_journey import _ready, _send, _wait

shots = sys.modules["chainmap_screenshot"]  # loaded by conftest.py
API = "/api/v1"
TODAY = date.today()
YEAR = TODAY.year

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::UserWarning")]


def _open(driver: Any, server: Any, page: str, lang: str = "zh") -> None:
    driver.get(server.url("/ui/pages.json"))
    driver.execute_script("localStorage.setItem('chainmap.lang', arguments[0]); sessionStorage.clear()", lang)
    driver.get(server.url(page))
    _ready(driver)


def _text(driver: Any, css: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.CSS_SELECTOR, css).text)


def _signed_project(server: Any, pid: str, county: str) -> None:
    """A project signed this year in ``county`` (dates within the year)."""
    start = max(date(YEAR, 1, 2), TODAY - timedelta(days=40))
    status, body = _send(server, "POST", "/projects", {
        "id": pid, "enterprise": {"name": f"{pid} 目标测试有限公司"}, "task_force": "永济市招商小分队",
        "task_force_kind": "squad", "owner": "王五", "county": county, "created": str(start), "planned_investment": "3",
    })  # fmt: skip
    assert status == 201, body
    for k, to in enumerate(("contacted", "negotiating", "signed"), start=1):
        on = min(TODAY, start + timedelta(days=k))
        status, body = _send(server, "POST", f"/projects/{pid}/transitions", {"to": to, "date": str(on), "actor": "王五"})
        assert status == 200, body


def test_targets_form_sets_a_county_target_and_the_dashboard_measures_against_it(
    browser: Any, server: Any, artifacts: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    _signed_project(server, "tg-1", "yongji")
    _open(browser, server, "/ui/dashboard.html")
    _wait(browser, lambda d: d.find_element(By.ID, "targets-form").get_attribute("data-loaded") == f"{YEAR}.city")
    # labels from GET /labels
    labels = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#t-fields .db-target-label")]
    assert labels[:2] == ["签约项目数（个）", "签约金额（亿元）"] and "签约开工率（%）" in labels, labels
    Select(browser.find_element(By.ID, "t-unit")).select_by_value("region")
    Select(browser.find_element(By.ID, "t-region")).select_by_visible_text("永济市")
    _wait(browser, lambda d: d.find_element(By.ID, "targets-form").get_attribute("data-loaded") == f"{YEAR}.yongji")
    assert "尚未设定" in _text(browser, "#t-status")
    browser.find_element(By.ID, "t-signed_count").send_keys("4")
    browser.find_element(By.ID, "t-start_rate").send_keys("150")  # a rate above 100 %
    browser.find_element(By.ID, "t-save").click()
    err = _wait(browser, lambda d: d.execute_script(
        "const e = document.querySelector('#targets-form [data-error-for=start_rate]'); return !e.hidden && e.textContent"))
    assert "100" in err, err
    assert browser.find_element(By.ID, "t-start_rate").get_attribute("aria-invalid") == "true"
    shots.save_screenshot(browser, artifacts / "dashboard-targets-error.png")
    assert server.json(API + "/targets", year=YEAR) == []  # nothing half-written
    field = browser.find_element(By.ID, "t-start_rate")
    field.clear()
    field.send_keys("60")
    browser.find_element(By.ID, "t-save").click()
    _wait(browser, lambda d: "已保存" in d.find_element(By.ID, "t-status").text)
    assert "永济市" in _text(browser, "#t-status")
    assert not browser.find_element(By.ID, "t-tf-box").is_displayed()  # a county's target: no task-force box
    assert not browser.find_element(By.CSS_SELECTOR, "#targets-form [data-error-for=start_rate]").is_displayed()
    [saved] = server.json(API + "/targets", year=YEAR)
    assert (saved["region"], saved["signed_count"], float(saved["start_rate"])) == ("yongji", 4, 60.0)

    # the dashboard for 永济市 is measured against its own target: 1 signed of 4
    before = browser.execute_script("return document.body.dataset.loads")
    browser.execute_script("const s = document.getElementById('f-region'); s.value = 'yongji';"
                           "s.dispatchEvent(new Event('change', {bubbles: true}));")  # fmt: skip
    _wait(browser, lambda d: d.execute_script("return document.body.dataset.loads") != before)
    card = _text(browser, ".db-kpi[data-kpi=signed_count]")
    assert "目标 4" in card and "完成 25.00%" in card, card
    assert "本县区目标" in _text(browser, "#scope")
    browser.execute_script("document.getElementById('targets-block').scrollIntoView()")
    shots.save_screenshot(browser, artifacts / "dashboard-targets.png")

    # someone else changes the target meanwhile: the stale edit is refused (If-Match), not overwritten
    status, _ = _send(server, "PUT", "/targets", {"year": YEAR, "region": "yongji", "signed_count": 5})
    assert status == 200
    field = browser.find_element(By.ID, "t-signed_count")
    field.clear()
    field.send_keys("6")
    browser.find_element(By.ID, "t-save").click()
    _wait(browser, lambda d: "已被他人修改" in d.find_element(By.ID, "message").text)
    [saved] = server.json(API + "/targets", year=YEAR)
    assert saved["signed_count"] == 5

    # English: labels and page strings translated
    browser.get(server.url("/ui/dashboard.html?lang=en"))
    _ready(browser)
    _wait(browser, lambda d: d.find_element(By.ID, "targets-form").get_attribute("data-loaded") == f"{YEAR}.city")
    assert _text(browser, "#targets-block h2") == "Annual targets"
    assert "signed projects (count)" in [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#t-fields .db-target-label")]
    browser.get_log("browser")  # the 422 / 412 above are expected


def test_gaps_page_shows_the_coverage_line_of_each_chain(browser: Any, server: Any) -> None:
    body = server.json(API + "/gaps")
    expected = {c: row["text"] for c, row in body["coverage"].items()}
    assert expected["qi"].startswith("运城市：本地企业名录未导入；本链已核实环节 ")
    _open(browser, server, "/ui/gaps.html")
    _wait(browser, lambda d: not d.find_element("id", "coverage").get_attribute("hidden"))
    text = _text(browser, "#coverage")
    assert text.startswith("数据覆盖")
    for line in expected.values():
        assert line in text, (line, text)
    assert "智能网联新能源汽车：" + expected["qi"] in text.replace("\n", "") or expected["qi"] in text
    # one chain: only its line
    _open(browser, server, "/ui/gaps.html?chain=qi")
    _wait(browser, lambda d: d.execute_script("return document.querySelectorAll('#coverage li').length === 1"))
    assert expected["qi"] in _text(browser, "#coverage")
    assert expected["cai"] not in _text(browser, "#coverage")


def test_project_history_shows_stage_labels_not_codes(browser: Any, server: Any) -> None:
    _signed_project(server, "tg-hist", "yanhu")
    _open(browser, server, "/ui/project.html?id=tg-hist")
    _wait(browser, lambda d: d.execute_script("return document.querySelectorAll('#history tbody tr').length === 4"))
    rows = browser.execute_script(
        "return [...document.querySelectorAll('#history tbody tr')].map(r => [...r.cells].slice(1, 3).map(c => c.textContent))")
    assert rows == [["—", "线索"], ["线索", "对接"], ["对接", "洽谈"], ["洽谈", "签约"]], rows
    assert _text(browser, "#stage-badge") == "签约"
    moves = [e.text for e in browser.find_elements("css selector", "#moves button")]
    assert moves == ["→ 开工", "→ 搁置", "→ 终止"], moves
    _open(browser, server, "/ui/project.html?id=tg-hist", lang="en")
    _wait(browser, lambda d: d.execute_script("return document.querySelectorAll('#history tbody tr').length === 4"))
    rows = browser.execute_script(
        "return [...document.querySelectorAll('#history tbody tr')].map(r => [...r.cells].slice(1, 3).map(c => c.textContent))")
    assert rows[-1] == ["negotiating", "signed"], rows
    moves = [e.text for e in browser.find_elements("css selector", "#moves button")]
    assert moves == ["→ started", "→ on hold", "→ dropped"], moves  # words, not on_hold
    head = _text(browser, "#head")
    assert "squad" in head and "special_team" not in head


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_key_prompt_explains_what_a_key_is_and_whom_to_ask(browser: Any, auth_server: Any, lang: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(auth_server.url("/ui/pages.json"))
    browser.execute_script("localStorage.setItem('chainmap.lang', arguments[0]); sessionStorage.clear()", lang)
    browser.get(auth_server.url("/ui/pipeline.html"))
    _wait(browser, lambda d: d.execute_script("return !document.querySelector('#auth').hidden"))
    help_text = _text(browser, "#auth-help")
    message = _text(browser, "#message")
    if lang == "zh":
        assert "需要 API 密钥才能查看和使用本页" in help_text
        assert "系统管理员发给每位使用者的一串字符" in help_text and "向本单位的系统管理员索取" in help_text
        assert "粘贴到下面的输入框" in help_text
        assert "401" in message and "X-API-Key" not in message and "chainmap keys" not in message
    else:
        assert "You need an API key" in help_text and "Ask your organisation's system administrator" in help_text
        assert "Paste the key into the box below" in help_text
    # a wrong key: told so, in the same words for people
    field = browser.find_element(By.ID, "api-key")
    field.send_keys("cm_0123abcd_not-a-real-secret")
    field.submit()
    wrong = "不正确或已停用" if lang == "zh" else "not valid"
    _wait(browser, lambda d: wrong in d.find_element(By.ID, "auth-help").text and not d.find_element(By.ID, "auth").get_attribute("hidden"))
    assert wrong in _text(browser, "#message")
    browser.get_log("browser")  # the 401s are expected
    browser.execute_script("sessionStorage.clear()")


def test_401_body_stays_machine_readable_with_plain_words(auth_server: Any) -> None:
    import json

    for headers, detail in (({}, "需要 API 密钥才能使用本系统"), ({"X-API-Key": "cm_0123abcd_wrong"}, "API 密钥不正确或已停用")):
        status, resp_headers, raw = auth_server.get(API + "/projects", headers=headers)
        body = json.loads(raw)
        assert status == 401 and body["error"] == "Unauthorized", body
        assert {k.lower(): v for k, v in resp_headers.items()}.get("www-authenticate") == "X-API-Key"
        assert body["detail"].startswith(detail), body
        assert "系统管理员" in body["hint"] and "X-API-Key" in body["hint"] and "chainmap keys create" not in body["hint"]
