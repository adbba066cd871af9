"""The layered chain diagram."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from chainmap.exceptions import NotFound
from chainmap.reports.svg import STATUS_COLOURS, render_chain_svg

NS = {"s": "http://www.w3.org/2000/svg"}


def _boxes(root):
    return [g for g in root.iter("{http://www.w3.org/2000/svg}g") if "cm-seg" in g.get("class", "").split()]


def test_boxes_columns_and_status_colours(data, report):
    items = [i for i in report.items if i.chain_id == "qi"]
    svg = render_chain_svg(data.graph, "qi", items)
    root = ET.fromstring(svg)
    assert root.get("class") == "cm-chain" and root.get("data-chain-id") == "qi"
    boxes = _boxes(root)
    own = [g for g in boxes if g.get("data-external") != "true"]
    ext = [g for g in boxes if g.get("data-external") == "true"]
    assert sorted(g.get("data-segment-id") for g in own) == ["qi.car", "qi.cell", "qi.pack", "qi.recycle", "qi.sep"]
    assert [g.get("data-segment-id") for g in ext] == ["cai.mg.alloy"]  # the cross-chain neighbour
    status = {i.segment_id: i.status for i in items}
    for g in own:
        sid = g.get("data-segment-id")
        assert g.get("data-status") == status[sid]
        assert f"cm-status-{status[sid]}" in g.get("class")
        rect = g.find("s:rect", NS)
        assert rect.get("stroke") == STATUS_COLOURS[status[sid]][0]
        assert g.get("id") == f"cm-seg-{sid}"
    counts = {g.get("data-segment-id"): g.get("data-local-count") for g in own}
    assert counts["qi.car"] == "1" and counts["qi.sep"] == "0"
    assert "本地企业 1 家" in svg
    # columns: upstream left of midstream left of downstream
    x = {g.get("data-segment-id"): float(re.match(r"translate\(([\d.]+)", g.get("transform")).group(1)) for g in boxes}
    assert x["qi.sep"] < x["qi.cell"] < x["qi.car"]
    assert x["qi.cell"] == x["qi.pack"]


def test_links_arrows_and_cross_chain_dashed(data):
    svg = render_chain_svg(data.graph, "qi")
    root = ET.fromstring(svg)
    paths = [p for p in root.iter("{http://www.w3.org/2000/svg}path") if "cm-link" in p.get("class", "")]
    pairs = {(p.get("data-source"), p.get("data-target")): p for p in paths}
    assert set(pairs) == {
        ("qi.sep", "qi.cell"),
        ("qi.cell", "qi.pack"),
        ("qi.pack", "qi.car"),
        ("qi.car", "qi.recycle"),
        ("cai.mg.alloy", "qi.car"),
    }
    cross = pairs[("cai.mg.alloy", "qi.car")]
    assert "cm-link-cross" in cross.get("class") and cross.get("stroke-dasharray")
    assert pairs[("qi.cell", "qi.pack")].get("stroke-dasharray") is None
    assert all(p.get("marker-end", "").startswith("url(#cm-arrow") for p in paths)


def test_self_contained_legend_and_fonts(data, report):
    svg = render_chain_svg(data.graph, "qi", report.items)
    assert "<script" not in svg and "@import" not in svg and "href=" not in svg
    assert "Microsoft YaHei" in svg and "Noto Sans CJK SC" in svg
    assert 'class="cm-legend"' in svg
    for label in ("补链", "强链", "延链", "健全", "上游", "中游", "下游"):
        assert label in svg
    en = render_chain_svg(data.graph, "qi", report.items, lang="en")
    assert "Upstream" in en and "Fill" in en


def test_without_items_boxes_are_neutral(data):
    root = ET.fromstring(render_chain_svg(data.graph, "cai"))
    own = [g for g in _boxes(root) if g.get("data-external") != "true"]
    assert {g.get("data-status") for g in own} == {"none"}
    assert len(own) == 2


def test_items_as_dicts_and_unknown_chain(data):
    svg = render_chain_svg(data.graph, "cai", [{"segment_id": "cai.mg.alloy", "status": "fill", "local_count": 0}])
    assert 'data-segment-id="cai.mg.alloy" data-status="fill"' in svg
    with pytest.raises(NotFound, match="valid"):
        render_chain_svg(data.graph, "nope")


def test_many_segments_wrap_into_sub_columns():
    import networkx as nx

    from chainmap.reports import svg as mod

    G = nx.DiGraph(chains={"qi": {"name_zh": "汽车", "name_en": "V", "root": "qi", "letter": "汽"}})
    for i in range(mod.MAX_ROWS * 2 + 1):
        G.add_node(f"qi.m{i:02d}", chain="qi", top_chain="qi", stage="midstream", order=i, name_zh=f"中游{i}", name_en="m")
    root = ET.fromstring(render_chain_svg(G, "qi"))
    xs = {g.get("transform").split(",")[0] for g in _boxes(root)}
    assert len(xs) == 3
    assert float(root.get("height")) < 1000


_NUM = re.compile(r"-?\d+(?:\.\d+)?")
_SVG = "{http://www.w3.org/2000/svg}"


def _outside_viewbox(svg: str) -> list[str]:
    """Every link path coordinate and every box outside the root viewBox, as messages."""
    root = ET.fromstring(svg)
    x0, y0, w, h = (float(v) for v in root.get("viewBox").split())
    bad = []
    for p in root.iter(f"{_SVG}path"):
        if "cm-link" not in p.get("class", ""):
            continue  # the arrow markers have their own 10 x 10 viewBox
        nums = [float(v) for v in _NUM.findall(p.get("d"))]
        for x, y in zip(nums[::2], nums[1::2], strict=True):
            if not (x0 <= x <= x0 + w and y0 <= y <= y0 + h):
                bad.append(f"{p.get('data-source')}->{p.get('data-target')}: ({x}, {y}) outside {w} x {h}")
    for g in _boxes(root):
        bx, by = (float(v) for v in _NUM.findall(g.get("transform")))
        rect = g.find(f"{_SVG}rect")
        if bx < x0 or by < y0 or bx + float(rect.get("width")) > x0 + w or by + float(rect.get("height")) > y0 + h:
            bad.append(f"box {g.get('data-segment-id')} outside {w} x {h}")
    return bad


def test_same_column_link_bows_inside_the_viewbox():
    import networkx as nx

    G = nx.DiGraph(chains={"qi": {"name_zh": "汽车", "name_en": "V", "root": "qi", "letter": "汽"}})
    for i, n in enumerate(["qi.a", "qi.b", "qi.c"]):
        G.add_node(n, chain="qi", top_chain="qi", stage="downstream", order=i, name_zh=n, name_en=n)
    G.add_edge("qi.a", "qi.c", kind="supplies", weight=None, cross_chain=False)  # last column, two rows apart
    G.add_edge("qi.b", "qi.a", kind="supplies", weight=None, cross_chain=False)
    svg = render_chain_svg(G, "qi")
    assert _outside_viewbox(svg) == []
    root = ET.fromstring(svg)
    assert float(root.get("width")) == float(root.get("viewBox").split()[2])
    loops = [p for p in root.iter(f"{_SVG}path") if p.get("data-source") in ("qi.a", "qi.b")]
    assert len(loops) == 2


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_seed_chain_stays_inside_its_viewbox(lang):
    from chainmap.analysis.gaps import analyze_gaps
    from chainmap.seed import load_seed

    data = load_seed()
    chains = sorted(data.graph.graph["chains"])
    items = analyze_gaps(data, lang=lang).items
    assert "cai.al" in chains
    for chain in chains:
        svg = render_chain_svg(data.graph, chain, items, lang=lang)
        assert _outside_viewbox(svg) == [], chain
