"""Leader journey in real headless Chromium: the dashboard's filters (year, county, task force),
ECharts charts drawn, the stalled list by stage rules (a project under construction that is followed
up is not stalled), the 考核 ranking against each unit's own target, the A4 print view and the
ranking workbook downloaded and opened.

Portfolio (hand-made through the API, dated relative to today; year = this year):

* ``d-a`` 盐湖区, 镁专班: signed 150 days ago, started 120 days ago, no follow-up since -> stalled (开工, 90 days)
* ``d-b`` 永济市, 镁专班: signed 150 days ago, started 120 days ago, followed up 10 days ago -> not stalled
* ``d-c`` 永济市, 永济小分队: a lead registered 70 days ago, never moved -> stalled (线索, 60 days)
* ``d-d`` 永济市, 永济小分队: signed 20 days ago -> not stalled (签约 waits 180 days)
"""

from __future__ import annotations

import io
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_pipeline_journey import _ready, _send, _wait, pdf_pages

shots = sys.modules["chainmap_screenshot"]
TODAY = date.today()
YEAR = TODAY.year


def _d(days: int) -> str:
    return str(TODAY - timedelta(days=days))


def _portfolio(server: Any) -> None:
    def add(pid: str, county: str, tf: str, kind: str, created: int, planned: str, moves: list[tuple[str, int]]) -> None:
        status, body = _send(server, "POST", "/projects", {
            "id": pid, "enterprise": {"name": f"{pid} 测试企业有限公司"}, "task_force": tf, "task_force_kind": kind,
            "owner": "负责人" + pid[-1], "county": county, "created": _d(created), "planned_investment": planned,
            "planned_fixed_asset": planned,
        })  # fmt: skip
        assert status == 201, body
        for to, ago in moves:
            changes = {"new_fixed_asset_started": planned} if to == "started" else None
            status, body = _send(server, "POST", f"/projects/{pid}/transitions",
                                 {"to": to, "date": _d(ago), "actor": "测试", "changes": changes})  # fmt: skip
            assert status == 200, body

    # keep every date in this year: the dashboard's year is this year
    assert TODAY.timetuple().tm_yday > 200, "the fixture's dates assume the second half of the year"
    main_line = [("contacted", 190), ("negotiating", 170), ("signed", 150), ("started", 120)]
    add("d-a", "yanhu", "镁产业招商专班", "special_team", 200, "10", main_line)
    add("d-b", "yongji", "镁产业招商专班", "special_team", 200, "6", main_line)
    add("d-c", "yongji", "永济市招商小分队", "squad", 70, "2", [])
    add("d-d", "yongji", "永济市招商小分队", "squad", 60, "4", [("contacted", 50), ("negotiating", 40), ("signed", 20)])
    status, _ = _send(server, "POST", "/projects/d-b/followups", {"method": "实地跟", "actor": "测试", "date": _d(10)})
    assert status == 201
    for target in (
        {"year": YEAR, "signed_count": 8, "signed_value": "40"},
        {"year": YEAR, "region": "yongji", "signed_count": 2, "signed_value": "5"},
        {"year": YEAR, "region": "yanhu", "signed_count": 4},
        {"year": YEAR, "task_force": "镁产业招商专班", "signed_count": 2, "new_fixed_asset": "32"},
        {"year": YEAR, "task_force": "永济市招商小分队", "signed_count": 4},
    ):
        status, body = _send(server, "PUT", "/targets", target)
        assert status == 200, body


def _kpi(driver: Any, key: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.CSS_SELECTOR, f".db-kpi[data-kpi={key}]").text)


def _val(driver: Any, key: str) -> str:
    """The KPI card's big number (without the unit)."""
    from selenium.webdriver.common.by import By

    text = driver.find_element(By.CSS_SELECTOR, f".db-kpi[data-kpi={key}] .db-kpi-value").text
    return str(text).split()[0]


def _choose(driver: Any, select_id: str, value: str) -> None:
    """Pick ``value`` in the filter ``select_id`` as a person would, and wait for the dashboard to reload."""
    before = driver.execute_script("return document.body.dataset.loads || '0'")
    driver.execute_script(
        "const s = document.getElementById(arguments[0]); s.value = arguments[1];"
        "if (s.value !== arguments[1]) throw new Error('no option ' + arguments[1]);"
        "s.dispatchEvent(new Event('change', {bubbles: true}));",
        select_id,
        value,
    )
    _wait(driver, lambda d: d.execute_script("return document.body.dataset.loads || '0'") != before)


def _canvas_ink(driver: Any, chart_id: str) -> int:
    """Non-transparent pixels sampled on the chart's canvas (0 = nothing drawn)."""
    return int(driver.execute_script(
        """
        const c = document.querySelector('#' + arguments[0] + ' canvas');
        if (!c || !c.width || !c.height) return 0;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4 * 7) if (d[i] > 0) n++;
        return n;
        """,
        chart_id,
    ))  # fmt: skip


@pytest.mark.browser
def test_leader_dashboard_filters_charts_stalled_ranking_print_and_xlsx(
    browser: Any, server: Any, artifacts: Path, tmp_path: Path
) -> None:
    from openpyxl import load_workbook
    from selenium.webdriver.common.by import By

    _portfolio(server)
    browser.get(server.url(f"/ui/dashboard.html?year={YEAR}"))
    t_dash = _ready(browser)
    # whole city against the city's target: 3 signings of 8, 20 亿 of 40
    _wait(browser, lambda d: "全市目标" in d.find_element(By.ID, "scope").text)
    assert _val(browser, "signed_count") == "3" and "完成 37.50%" in _kpi(browser, "signed_count")
    assert _val(browser, "signed_value") == "20.00" and "完成 50.00%" in _kpi(browser, "signed_value")
    # 签约开工率: 2 of the 3 signed started; 开工投产率: 0 of 2 started are producing
    assert _val(browser, "start_rate") == "66.67" and _val(browser, "production_rate") == "0.00"
    assert _val(browser, "new_fixed_asset") == "16.00"
    for chart in ("chart-pct", "chart-stages", "chart-rank"):
        assert _canvas_ink(browser, chart) > 50, chart

    # the stalled list: d-a (开工, no activity for 120 days) and d-c (线索 for 70 days), not d-b or d-d
    stalled = {r.get_attribute("data-id"): r.text for r in browser.find_elements(By.CSS_SELECTOR, "#stalled tbody tr[data-id]")}
    assert set(stalled) == {"d-a", "d-c"}
    assert "开工：超过 90 天无跟进、投资进展或阶段推进" in stalled["d-a"] and "120" in stalled["d-a"]
    assert "线索：超过 60 天无阶段推进" in stalled["d-c"]

    # ranking by county: 永济 2/2 signed (100 %), 5.0 of 5 亿... against its own target; 盐湖 1/4
    rows = {r.get_attribute("data-unit"): r for r in browser.find_elements(By.CSS_SELECTOR, "#ranking tbody tr")}
    yongji = [c.text for c in rows["yongji"].find_elements(By.TAG_NAME, "td")]
    yanhu = [c.text for c in rows["yanhu"].find_elements(By.TAG_NAME, "td")]
    assert yongji[0] == "1" and yongji[1] == "永济市" and yongji[-1] == "110.00"  # (100 + min(200,120)) / 2
    assert yanhu[0] == "2" and yanhu[1] == "盐湖区" and yanhu[-1] == "25.00"
    shots.save_screenshot(browser, artifacts / "dashboard-city.png", max_height=1400)

    # filter a county: its own target
    _choose(browser, "f-region", "yongji")
    _wait(browser, lambda d: "本县区目标" in d.find_element(By.ID, "scope").text)
    assert _val(browser, "signed_count") == "2" and "目标 2" in _kpi(browser, "signed_count")
    stalled = [r.get_attribute("data-id") for r in browser.find_elements(By.CSS_SELECTOR, "#stalled tbody tr[data-id]")]
    assert stalled == ["d-c"]
    # ... and a task force instead: measured against the team's target, not the city's
    _choose(browser, "f-region", "")
    _choose(browser, "f-task-force", "镁产业招商专班")
    _wait(browser, lambda d: "本队伍目标" in d.find_element(By.ID, "scope").text)
    assert "目标 2" in _kpi(browser, "signed_count") and "完成 100.00%" in _kpi(browser, "signed_count")
    assert "完成 50.00%" in _kpi(browser, "new_fixed_asset")
    # a year without projects
    _choose(browser, "f-year", str(YEAR - 3))
    _wait(browser, lambda d: f"{YEAR - 3} 年" in d.find_element(By.ID, "scope").text)
    assert _val(browser, "signed_count") == "0" and "未设目标" in _kpi(browser, "signed_count")
    _choose(browser, "f-year", str(YEAR))
    _choose(browser, "f-task-force", "")
    _choose(browser, "f-by", "task_force")
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#ranking tbody tr[data-unit='镁产业招商专班']"))
    units = [r.get_attribute("data-unit") for r in browser.find_elements(By.CSS_SELECTOR, "#ranking tbody tr")]
    assert units[:2] == ["镁产业招商专班", "永济市招商小分队"]

    # print: A4 landscape rule, the ranking table fits the page width, few pages
    # A4 landscape less the 10 mm margins = 277 mm ≈ 1047 CSS px
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 1047, "height": 740, "deviceScaleFactor": 1, "mobile": False}
    )
    try:
        fit = browser.execute_script(
            "const t = document.getElementById('ranking'); const w = t.parentElement;"
            "return [t.scrollWidth, w.clientWidth, document.documentElement.scrollWidth,"
            " [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > 1048)"
            ".slice(0, 3).map(e => e.tagName + '#' + e.id + '.' + e.className)];"
        )
        hidden = browser.execute_script("return getComputedStyle(document.getElementById('filters')).display")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert fit[0] <= fit[1] + 1 and fit[2] <= 1047, fit  # the ranking fits its box, nothing wider than A4
    assert hidden == "none"
    pages = pdf_pages(browser)
    assert 1 <= pages <= 3, pages

    # the ranking workbook through the page's button
    downloads = tmp_path / "dl"
    downloads.mkdir()
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    browser.find_element(By.ID, "ranking-xlsx").click()
    deadline = time.monotonic() + 30
    while not list(downloads.glob("*.xlsx")) and time.monotonic() < deadline:
        time.sleep(0.1)
    files = list(downloads.glob("*.xlsx"))
    assert files, list(downloads.iterdir())
    time.sleep(0.3)
    wb = load_workbook(io.BytesIO(files[0].read_bytes()))
    ws = wb["考核排名"]
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    assert f"{YEAR} 年招商考核排名" in values[0][0]
    header = values[3]
    assert header[:3] == ["排名", "单位", "签约项目数"] and header[-1] == "综合得分"
    body = {r[1]: r for r in values[4:]}
    assert body["镁产业招商专班"][0] == 1 and body["镁产业招商专班"][2] == 2
    assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == "landscape"
    assert not any(isinstance(c, str) and c.startswith("=") for r in values for c in r)
    # English: KPI names, headings and the method in English; firm and unit names stay as registered
    browser.find_element(By.ID, "lang-toggle").click()
    _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".db-kpi[data-kpi=signed_count] .db-kpi-name").text == "Signed projects")
    cjk = browser.execute_script(
        "return [...document.querySelectorAll('.db-kpi-name, .db-kpi-target, #ranking thead th, #stalled thead th, "
        "figcaption, h2, #ranking-method, #stall-rules, label span, button')].map(e => e.textContent)"
        ".filter(t => /[\u4e00-\u9fff]/.test(t) && t !== '中文')"
    )
    assert cjk == [], cjk
    shots.save_screenshot(browser, artifacts / "dashboard-english.png", max_height=1400)
    browser.find_element(By.ID, "lang-toggle").click()
    print(f"\nload time on the seed, warm server: dashboard.html {t_dash:.2f}s; print: {pages} A4 pages; "
          f"ranking table {fit[0]}px in {fit[1]}px of A4 landscape")  # fmt: skip

