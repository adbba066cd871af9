"""The chain map (/ui/) drawn by ELK in real headless Chromium against a real server and store.

Expected values come from the API (segments, graph links, gaps), never hard-coded. Each test
can fail: a cut label, a font under 12 px, a click that highlights the wrong links, a download
that does not parse. Screenshots go to artifacts/ (the best are copied to docs/img/ by hand).
"""

from __future__ import annotations

import base64
import json
import re
import struct
import sys
import time
import xml.etree.ElementTree as ET
import zlib
from typing import Any

import pytest

from tests.browser.helpers import CAPTURE_JS, wait_js

shots = sys.modules["chainmap_screenshot"]
Server = Any

BIG = "cai"  # the 68-segment chain of the issue
CITY = "yuncheng"

# every saved download as base64 (name -> data), instead of a file on disk

# each box: its rect and every text line's bounding box, in the box's own coordinates
TEXT_FIT_JS = """
return [...document.querySelectorAll('#diagram svg .cm-seg, #diagram svg .cm-group')].map(g => {
  const r = g.querySelector('rect.cm-box');
  const box = {w: r.width.baseVal.value, h: r.height.baseVal.value};
  const texts = [...g.querySelectorAll('text')].map(t => { const b = t.getBBox(); return {x: b.x, y: b.y, w: b.width, h: b.height, s: t.textContent}; });
  return {id: g.getAttribute('data-segment-id') || g.getAttribute('data-group'), box, texts};
});
"""

FONT_JS = """
const svg = document.querySelector('#diagram svg');
const scale = svg.getScreenCTM().a;
return [...svg.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
"""


def _severe(driver: Any) -> list[str]:
    return [f"{e.get('source')}: {e.get('message')}" for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def _open(driver: Any, server: Server, path: str) -> float:
    driver.get_log("browser")
    t0 = time.perf_counter()
    driver.get(server.url(path))
    shots.wait_for_page(driver, timeout=120)
    return time.perf_counter() - t0


def _flow_links(server: Server, chain: str) -> list[tuple[str, str]]:
    graph = server.json(f"/api/v1/chains/{chain}/graph", format="json", region=CITY)
    return sorted({(link["source"], link["target"]) for link in graph["links"] if link["kind"] != "part_of"})


def _wait(driver: Any, js: str, *args: Any, timeout: float = 60) -> Any:
    return wait_js(driver, js, *args, timeout=timeout)


def _expand(driver: Any) -> None:
    """Show every neighbour segment of other chains as its own box (the exports' graph)."""
    driver.execute_script("const c = document.getElementById('toggle-external'); if (!c.checked) c.click();")
    _wait(driver, "const d = document.getElementById('diagram'); return d.dataset.collapsed === 'false' && !d.hasAttribute('aria-busy')")


@pytest.mark.browser
def test_elk_layout_draws_every_segment_and_link(browser: Any, server: Server, artifacts: Any) -> None:
    seconds = _open(browser, server, f"/ui/?chain={BIG}&region={CITY}")
    print(f"\n[load] /ui/?chain={BIG} (68 segments, warm server): {seconds:.2f} s")
    assert browser.execute_script("return document.querySelector('#diagram svg').dataset.layout") == "elk"
    segments = {s["id"] for s in server.json(f"/api/v1/chains/{BIG}/segments")}
    own = browser.execute_script(
        "return [...document.querySelectorAll('#diagram .cm-seg:not(.cm-external)')].map(n => n.dataset.segmentId)"
    )
    assert sorted(own) == sorted(segments) and len(own) == 68
    # collapsed by default: one box per other chain, none of this chain's segments among them
    groups = browser.execute_script("return [...document.querySelectorAll('#diagram [data-group]')].map(n => n.dataset.group)")
    graph = server.json(f"/api/v1/chains/{BIG}/graph", format="json")
    assert sorted(groups) == sorted({n["top_chain"] for n in graph["nodes"] if n["external"]})
    shots.save_screenshot(browser, artifacts / "map-cai-collapsed.png")
    _expand(browser)
    drawn = browser.execute_script(
        "return [...document.querySelectorAll('#diagram .cm-link')].map(p => [p.dataset.source, p.dataset.target])"
    )
    assert sorted({tuple(p) for p in drawn}) == _flow_links(server, BIG)
    boxes = browser.execute_script("return [...document.querySelectorAll('#diagram [data-segment-id]')].map(n => n.dataset.segmentId)")
    assert sorted(boxes) == sorted(n["id"] for n in graph["nodes"])
    shots.save_screenshot(browser, artifacts / "map-cai-expanded.png")
    assert _severe(browser) == []


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_labels_wrap_and_are_never_cut(browser: Any, server: Server, lang: str) -> None:
    _open(browser, server, f"/ui/?chain={BIG}&region={CITY}&lang={lang}&firms=1")
    names = {
        s["id"]: (s["name_en"] if lang == "en" else s["name_zh"]) for s in server.json(f"/api/v1/chains/{BIG}/segments")
    }
    fits = browser.execute_script(TEXT_FIT_JS)
    assert len(fits) >= 68
    for f in fits:
        for t in f["texts"]:
            assert t["x"] >= 0 and t["x"] + t["w"] <= f["box"]["w"] + 0.5, f"{f['id']}: {t['s']!r} wider than its box"
            assert t["y"] >= 0 and t["y"] + t["h"] <= f["box"]["h"] + 0.5, f"{f['id']}: {t['s']!r} below its box"
        if f["id"] in names:  # the whole name is drawn (wrapped, not cut)
            shown = "".join(t["s"] for t in f["texts"][:1]).replace(" ", "")
            assert names[f["id"]].replace(" ", "") in shown, (f["id"], shown)
    multi = [f for f in fits if f["texts"] and f["texts"][0]["h"] > 30]
    assert multi, "some long name should wrap onto two lines"
    assert min(browser.execute_script(FONT_JS)) >= 12.0


@pytest.mark.browser
def test_text_is_at_least_12px_on_screen(browser: Any, server: Server) -> None:
    _open(browser, server, f"/ui/?chain={BIG}&region={CITY}")
    sizes = browser.execute_script(FONT_JS)
    assert len(sizes) > 68 * 2
    assert min(sizes) >= 12.0, f"smallest text on screen {min(sizes):.1f} px"
    # the HTML around it too (legend, status line, nav)
    html = browser.execute_script(
        "return [...document.querySelectorAll('.legend-item, #status-line, .app-nav a, .controls label')]"
        ".map(n => parseFloat(getComputedStyle(n).fontSize))"
    )
    assert html and min(html) >= 12.0


@pytest.mark.browser
def test_click_highlights_its_links_and_opens_panel(browser: Any, server: Server, artifacts: Any) -> None:
    _open(browser, server, f"/ui/?chain={BIG}&region={CITY}")
    _expand(browser)
    links = _flow_links(server, BIG)
    degree: dict[str, int] = {}
    for s, t in links:
        degree[s] = degree.get(s, 0) + 1
        degree[t] = degree.get(t, 0) + 1
    own = {s["id"] for s in server.json(f"/api/v1/chains/{BIG}/segments")}
    seg = max(sorted(own), key=lambda n: degree.get(n, 0))  # the busiest segment
    box = browser.execute_script(
        "const b = document.getElementById('cm-seg-' + arguments[0]); b.scrollIntoView({block: 'center', inline: 'center'}); return b;",
        seg,
    )
    box.click()
    _wait(browser, "return document.getElementById('panel').dataset.loaded === arguments[0]", seg)
    hl = browser.execute_script(
        "return [...document.querySelectorAll('#diagram .cm-link.cm-link-hl')].map(p => [p.dataset.source, p.dataset.target])"
    )
    assert len(hl) == degree[seg]
    assert all(seg in pair for pair in hl)
    ups = sum(1 for s, t in links if t == seg)
    assert browser.execute_script("return document.getElementById('diagram').dataset.highlighted") == str(degree[seg])
    line = browser.execute_script("return document.getElementById('status-line').textContent")
    assert str(ups) in line and str(degree[seg] - ups) in line
    colour = browser.execute_script("return getComputedStyle(document.querySelector('#diagram .cm-link-hl')).stroke")
    other = browser.execute_script("return getComputedStyle(document.querySelector('#diagram .cm-link:not(.cm-link-hl)')).opacity")
    assert colour == "rgb(217, 119, 6)" and float(other) < 0.5
    gap = next(g for g in server.json("/api/v1/gaps", chain=BIG, region=CITY, page_size=1000)["items"] if g["segment_id"] == seg)
    assert browser.execute_script("return document.getElementById('panel-title').textContent") == gap["segment_name"]
    # names, not ids or codes, in what a person reads
    seen = browser.execute_script("return document.getElementById('panel').innerText")
    assert seg not in seen
    cat = server.json("/api/v1/labels", lang="zh")
    for code in gap["components"]:
        assert cat["gap_component"].get(code, code) in seen and code not in seen, code
    shots.save_screenshot(browser, artifacts / "map-cai-highlight.png")
    browser.execute_script("document.getElementById('panel-close').click()")
    assert browser.execute_script("return document.querySelectorAll('#diagram .cm-link-hl').length") == 0
    assert _severe(browser) == []


@pytest.mark.browser
def test_firm_names_on_demand(browser: Any, server: Server) -> None:
    _open(browser, server, f"/ui/?chain={BIG}&region={CITY}")
    assert browser.execute_script("return document.querySelectorAll('#diagram .cm-firms').length") == 0
    browser.execute_script("document.getElementById('toggle-firms').click()")
    _wait(browser, "return document.querySelectorAll('#diagram .cm-firms').length > 0 && !document.getElementById('diagram').hasAttribute('aria-busy')")
    gaps = server.json("/api/v1/gaps", chain=BIG, region=CITY, page_size=1000)["items"]
    with_firm = next(g for g in gaps if g["local_enterprises"])
    text = browser.execute_script(
        "return document.querySelector('#cm-seg-' + CSS.escape(arguments[0]) + ' .cm-firms').textContent", with_firm["segment_id"]
    )
    for e in with_firm["local_enterprises"]:
        assert e["name"] in text
    assert "firms=1" in browser.current_url


@pytest.mark.browser
def test_legend_and_colours_follow_the_catalogue(browser: Any, server: Server) -> None:
    _open(browser, server, f"/ui/?chain={BIG}&region={CITY}")
    cat = server.json("/api/v1/labels", lang="zh")
    legend = browser.execute_script(
        "return [...document.querySelectorAll('#legend .legend-item')].map(n => [n.dataset.status, n.textContent])"
    )
    assert [s for s, _ in legend[:-1]] == list(cat["gap_status"])
    assert dict(legend[:-1]) == cat["gap_status"]
    for label in ("暂不布局", "不适宜", "待核实"):
        assert label in cat["gap_status"].values()
    svg_legend = browser.execute_script("return [...document.querySelectorAll('#diagram .cm-legend-item')].map(n => n.dataset.status)")
    assert svg_legend[:-1] == list(cat["gap_status"])
    fills = browser.execute_script(
        "return [...document.querySelectorAll('#diagram .cm-seg:not(.cm-external)')].map(g => [g.dataset.status, g.querySelector('rect').getAttribute('fill')])"
    )
    for status, fill in fills:
        assert fill == cat["gap_status_colours"][status]["fill"], status


@pytest.mark.browser
def test_coverage_line_only_when_present(browser: Any, server: Server) -> None:
    _open(browser, server, f"/ui/?chain={BIG}&region={CITY}")
    body = server.json("/api/v1/gaps", chain=BIG, region=CITY, page_size=1)
    hidden = browser.execute_script("return document.getElementById('coverage').hidden")
    assert hidden == ("coverage" not in body)


# ----------------------------------------------------------------------------- downloads


def _download(driver: Any, button: str, name: str, timeout: float = 180) -> bytes:
    driver.execute_script(CAPTURE_JS)
    driver.execute_script("document.querySelector(`button[data-dl='${arguments[0]}']`).click()", button)
    data = _wait(driver, "return window.__files[arguments[0]]", name, timeout=timeout)
    return base64.b64decode(data)


def _pdf_pages(pdf: bytes) -> list[tuple[float, float, float, float]]:
    """The MediaBox of every page object of a PDF (jsPDF writes one per page)."""
    text = pdf.decode("latin-1")
    out = []
    for m in re.finditer(r"/Type\s*/Page(?!s)(.*?)endobj", text, re.S):
        box = re.search(r"/MediaBox\s*\[\s*([\d.\-]+)\s+([\d.\-]+)\s+([\d.\-]+)\s+([\d.\-]+)\s*\]", m.group(1))
        assert box, "page without MediaBox"
        out.append(tuple(float(x) for x in box.groups()))
    return out  # type: ignore[return-value]


def _pdf_images(pdf: bytes) -> tuple[list[int], list[float]]:
    """Pixel widths of the image objects and the placed widths (pt) of the ``cm ... Do`` calls."""
    text = pdf.decode("latin-1")
    widths = [int(w) for w in re.findall(r"/Subtype\s*/Image.*?/Width\s+(\d+)", text, re.S)]
    placed: list[float] = []
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        raw = m.group(1)
        try:
            body = zlib.decompress(raw).decode("latin-1")
        except zlib.error:
            body = raw.decode("latin-1")
        for c in re.finditer(r"([\d.]+)\s+0\s+0\s+([\d.]+)\s+[\d.\-]+\s+[\d.\-]+\s+cm\s*/\w+\s+Do", body):
            placed.append(float(c.group(1)))
    return widths, placed


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.browser
def test_downloads_svg_png_pdf(browser: Any, server: Server, artifacts: Any) -> None:
    _open(browser, server, f"/ui/?chain={BIG}&region={CITY}")
    base = f"chain-{BIG}-{CITY}"
    w, h = browser.execute_script("const s = document.querySelector('#diagram svg'); return [+s.getAttribute('width'), +s.getAttribute('height')]")

    svg = _download(browser, "map-svg", base + ".svg")
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == ns + "svg" and float(root.get("width", 0)) == w
    segs = [g for g in root.iter(ns + "g") if "cm-seg" in (g.get("class") or "") and g.get("data-external") != "true"]
    assert len(segs) == 68
    (artifacts / f"{base}.svg").write_bytes(svg)

    png = _download(browser, "map-png", base + ".png")
    assert _png_size(png) == (round(w * 2), round(h * 2))
    (artifacts / f"{base}.png").write_bytes(png)

    plan = browser.execute_script("return window.chainmapMap.pdfPlan()")
    pdf = _download(browser, "map-pdf", base + ".pdf", timeout=300)
    assert pdf.startswith(b"%PDF-")
    (artifacts / f"{base}.pdf").write_bytes(pdf)
    pages = _pdf_pages(pdf)
    assert len(pages) == plan["pages"] >= 1
    for media in pages:
        assert (round(media[2] - media[0]), round(media[3] - media[1])) == (842, 595), f"A4 landscape, not {media}"
    # the smallest text of the drawing prints at >= 8 pt, and the raster is about 300 dpi
    assert plan["smallest"] * plan["ptPerPx"] >= 8.0
    widths, placed = _pdf_images(pdf)
    assert len(widths) == plan["pages"] and len(placed) == plan["pages"]
    tile_px = min(plan["tileW"], plan["w"])
    assert abs(placed[0] - tile_px * plan["ptPerPx"]) < 1.0, "the first page shows one tile at the planned scale"
    assert abs(widths[0] / (placed[0] / 72) - 300) < 5, "about 300 dpi"
    assert _severe(browser) == []


# ----------------------------------------------------------------------------- phone


@pytest.mark.browser
def test_phone_list_view(browser: Any, server: Server, artifacts: Any) -> None:
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
    )
    try:
        _open(browser, server, f"/ui/?chain={BIG}&region={CITY}")
        assert browser.execute_script("return document.body.dataset.view") == "list"
        assert browser.execute_script("return document.getElementById('list-view').hidden") is False
        segments = server.json(f"/api/v1/chains/{BIG}/segments")
        items = browser.execute_script(
            "return [...document.querySelectorAll('#list-view .list-seg')].map(b => [b.dataset.segmentId, b.querySelector('.list-name').textContent])"
        )
        assert sorted(i for i, _ in items) == sorted(s["id"] for s in segments)
        width = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"page wider than the phone: {width}"
        outside = browser.execute_script(
            "return [...document.querySelectorAll('header *, #list-view *')].filter(n => n.getClientRects().length)"
            ".filter(n => { const r = n.getBoundingClientRect(); return r.right > innerWidth + 0.5 || r.left < -0.5; })"
            ".map(n => n.id || n.className || n.tagName)"
        )
        assert outside == [], f"cut off on a 390 px screen: {outside}"
        sizes = browser.execute_script(
            "return [...document.querySelectorAll('#list-view .list-name, #list-view .list-meta')].map(n => parseFloat(getComputedStyle(n).fontSize))"
        )
        assert min(sizes) >= 12
        # every name fits (wraps) inside its button
        overflow = browser.execute_script(
            "return [...document.querySelectorAll('#list-view .list-seg')].filter(b => b.scrollWidth > b.clientWidth + 1).length"
        )
        assert overflow == 0
        shots_path = artifacts / "map-phone-list.png"
        shots_path.write_bytes(browser.get_screenshot_as_png())
        first = items[0][0]
        browser.execute_script("document.querySelector(`#list-view .list-seg[data-segment-id='${arguments[0]}']`).click()", first)
        _wait(browser, "return document.getElementById('panel').dataset.loaded === arguments[0]", first)
        browser.execute_script("document.getElementById('panel').scrollIntoView()")
        (artifacts / "map-phone-panel.png").write_bytes(browser.get_screenshot_as_png())
        assert _severe(browser) == []
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.mark.browser
def test_clicking_a_collapsed_chain_expands_it(browser: Any, server: Server) -> None:
    _open(browser, server, f"/ui/?chain={BIG}&region={CITY}")
    graph = server.json(f"/api/v1/chains/{BIG}/graph", format="json")
    group = browser.execute_script(
        "const g = document.querySelector('#diagram [data-group]'); g.scrollIntoView({block: 'center', inline: 'center'});"
        " return [g, g.dataset.group, g.dataset.members.split(' ')]"
    )
    members = sorted(n["id"] for n in graph["nodes"] if n["external"] and n["top_chain"] == group[1])
    assert sorted(group[2]) == members
    group[0].click()
    _wait(browser, "const d = document.getElementById('diagram'); return d.dataset.collapsed === 'false' && !d.hasAttribute('aria-busy')")
    shown = browser.execute_script("return [...document.querySelectorAll('#diagram .cm-external[data-segment-id]')].map(n => n.dataset.segmentId)")
    assert set(members) <= set(shown)
    assert browser.execute_script("return document.querySelectorAll('#diagram [data-group]').length") == 0
    assert browser.execute_script("return document.getElementById('toggle-external').checked") is True
    assert "external=1" in browser.current_url


# ----------------------------------------------------------------------------- shared layouts


def _put(server: Server, key: str, body: Any) -> tuple[int, Any]:
    import json
    import urllib.error
    import urllib.request

    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(
        server.url(f"/ui/layouts/{key}"), data=data, method="PUT", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 - loopback only
            return resp.status, None
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def _column_layout(server: Server, chain: str) -> tuple[str, dict[str, Any]]:
    """A layout of the chain's real boxes and links (one column, no overlap) and its key."""
    from api.routers.ui import _js_json, layout_key

    graph = server.json(f"/api/v1/chains/{chain}/graph", format="json")
    ids = [n["id"] for n in graph["nodes"]]
    links = [lk for lk in graph["links"] if lk["kind"] != "part_of"]
    inp = {
        "id": "root",
        "layoutOptions": {"elk.algorithm": "layered"},
        "children": [{"id": i, "width": 172, "height": 40} for i in ids],
        "edges": [{"id": f"e{k}", "sources": [lk["source"]], "targets": [lk["target"]]} for k, lk in enumerate(links)],
    }
    pos = {i: 50 * k for k, i in enumerate(ids)}
    out = {
        "width": 400,
        "height": 50 * len(ids),
        "children": [{"id": i, "x": 10, "y": pos[i]} for i in ids],
        "edges": [
            {"id": f"e{k}", "sections": [{"startPoint": {"x": 182, "y": pos[lk["source"]] + 20},
                                          "endPoint": {"x": 182, "y": pos[lk["target"]] + 20}}]}
            for k, lk in enumerate(links)
        ],
    }
    return layout_key(_js_json(inp)), {"chain": chain, "input": inp, "output": out}


def test_shared_layout_is_checked_kept_and_served(server: Server) -> None:
    import copy
    import json

    from api.routers.ui import layout_cache

    layout_cache(server.app).clear()
    key, body = _column_layout(server, "qi")
    assert server.get(f"/ui/layouts/{key}")[0] == 204  # none kept yet
    assert server.get("/ui/layouts/not-a-key")[0] == 422

    def refused(b: Any, field: str, k: str = key) -> None:
        status, err = _put(server, k, b)
        assert status == 422, (status, err)
        assert field in json.dumps(err, ensure_ascii=False), err
        assert server.get(f"/ui/layouts/{k}")[0] == 204  # nothing kept

    refused(b"{not json", "body")
    refused({**body, "chain": "nope"}, "chain")
    other = copy.deepcopy(body)
    other["input"]["children"][0]["id"] = "cai.not_a_segment"
    other["output"]["children"][0]["id"] = "cai.not_a_segment"
    from api.routers.ui import _js_json, layout_key

    refused(other, "input.children[0].id", layout_key(_js_json(other["input"])))
    refused({**body, "input": {**body["input"], "id": "changed"}}, "input")  # does not hash to the key
    overlap = copy.deepcopy(body)
    overlap["output"]["children"][1]["y"] = overlap["output"]["children"][0]["y"] + 5
    refused(overlap, "output.children")
    missing = copy.deepcopy(body)
    missing["output"]["children"].pop()
    refused(missing, "output.children")
    outside = copy.deepcopy(body)
    outside["output"]["children"][0]["x"] = 10_000
    refused(outside, "output.children[0]")
    bad_route = copy.deepcopy(body)
    if bad_route["output"]["edges"]:
        bad_route["output"]["edges"][0]["sections"][0]["endPoint"] = {"x": "1", "y": 2}
        refused(bad_route, "output.edges[0]")

    assert _put(server, key, body)[0] == 201
    status, _, raw = server.get(f"/ui/layouts/{key}")
    assert status == 200
    kept = json.loads(raw)
    assert kept["input"] == body["input"] and kept["output"] == body["output"]
    # first write wins: a second (valid) layout for the same key does not replace it
    moved = copy.deepcopy(body)
    for c in moved["output"]["children"]:
        c["x"] = 20
    assert _put(server, key, moved)[0] == 200
    assert json.loads(server.get(f"/ui/layouts/{key}")[2])["output"]["children"][0]["x"] == 10
    layout_cache(server.app).clear()


@pytest.fixture
def no_shipped_layouts() -> Any:
    """The layouts precomputed at build time (api/static/prelayout) hidden, as after an edit of the seed."""
    from api.routers.ui import STATIC_DIR

    pre = STATIC_DIR / "prelayout"
    hidden = STATIC_DIR / "prelayout-hidden-by-test"
    moved = pre.is_dir()
    if moved:
        pre.rename(hidden)
    try:
        yield
    finally:
        if moved:
            hidden.rename(pre)


@pytest.mark.browser
def test_first_visitor_gets_the_layout_shipped_for_the_seed(browser: Any, server: Server) -> None:
    from api.routers.ui import STATIC_DIR, layout_cache

    assert any((STATIC_DIR / "prelayout").glob("elk1-*.json")), "run scripts/build-web.sh (it precomputes the seed's layouts)"
    layout_cache(server.app).clear()
    browser.get(server.url("/ui/pages.json"))
    browser.execute_script("localStorage.clear()")
    t0 = time.perf_counter()
    browser.get(server.url(f"/ui/?chain={BIG}&region={CITY}"))
    shots.wait_for_page(browser, timeout=120)
    seconds = time.perf_counter() - t0
    cached, ms, nodes, boxes = browser.execute_script(
        "const d = document.getElementById('diagram');"
        "return [d.dataset.layoutCached, Number(d.dataset.layoutMs), Number(d.dataset.nodes),"
        " d.querySelectorAll('svg g.cm-seg, svg g.cm-group').length]"
    )
    print(f"\n[load] /ui/?chain={BIG} first visitor, layout shipped for the seed: {seconds:.2f} s (layout {ms} ms)")
    assert cached == "shipped" and nodes == boxes > 60  # no ELK run in the browser; every box drawn
    assert len(layout_cache(server.app)) == 0  # nothing to share: every visitor gets the shipped file


@pytest.mark.browser
def test_first_visitor_shares_the_layout_with_the_next(browser: Any, server: Server, no_shipped_layouts: Any) -> None:
    from api.routers.ui import layout_cache

    cache = layout_cache(server.app)
    cache.clear()
    browser.get(server.url("/ui/pages.json"))
    browser.execute_script("localStorage.clear()")
    browser.get(server.url(f"/ui/?chain={BIG}&region={CITY}"))
    shots.wait_for_page(browser, timeout=120)
    js = "const d = document.getElementById('diagram'); return [d.dataset.layoutCached, d.querySelector('svg').outerHTML]"
    cached, first = browser.execute_script(js)
    assert cached == "false"  # laid out by ELK (in the worker) ...
    deadline = time.time() + 30
    while not len(cache) and time.time() < deadline:  # ... and posted to the server
        time.sleep(0.2)
    assert len(cache) == 1
    browser.execute_script("localStorage.clear()")  # a new visitor
    browser.get(server.url(f"/ui/?chain={BIG}&region={CITY}"))
    shots.wait_for_page(browser, timeout=120)
    cached, again = browser.execute_script(js)
    assert cached == "server"
    assert again == first  # the same drawing, box for box
    browser.get(server.url(f"/ui/?chain={BIG}&region={CITY}"))
    shots.wait_for_page(browser, timeout=120)
    assert browser.execute_script(js)[0] == "local"


def test_shipped_layouts_are_listed_so_the_page_asks_only_for_those(server: Server) -> None:
    """GET /ui/prelayout/index.json lists the shipped layout files (the page fetches no other:
    an edited chain's key is not listed, so no request fails); each listed file is served."""
    from api.routers.ui import STATIC_DIR

    status, _, body = server.get("/ui/prelayout/index.json")
    assert status == 200
    listed = json.loads(body)
    on_disk = sorted(p.stem for p in (STATIC_DIR / "prelayout").glob("elk*.json"))
    assert listed == on_disk and listed, "run scripts/build-web.sh (it precomputes the seed's layouts)"
    status, _, body = server.get(f"/ui/prelayout/{listed[0]}.json")
    assert status == 200 and "output" in json.loads(body)
