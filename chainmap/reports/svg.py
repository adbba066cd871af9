"""The layered chain diagram: one self-contained SVG per chain.

Columns run upstream -> midstream -> downstream (a stage with many segments
wraps into several sub-columns); segments are boxes coloured by gap status,
supply links are arrows, links to and segments of other chains are dashed.
No external CSS, JavaScript or fonts: every style is an inline attribute and
the font-family lists common CJK fonts, so the SVG renders the same in a
browser, an HTML report, a printed page and the web UI.

Stable hooks (the web UI relies on them; do not rename)
--------------------------------------------------------
* root ``<svg class="cm-chain" data-chain-id="<chain>">``;
* one ``<g class="cm-seg cm-status-<status>">`` per segment of the chain with
  ``id="cm-seg-<segment id>"``, ``data-segment-id``, ``data-status`` (a code of
  :data:`chainmap.labels.GAP_STATUS`, or ``none`` without gap items),
  ``data-stage``, ``data-local-count``, and ``data-priority`` when known;
  each holds a ``<rect class="cm-box">``, ``<text class="cm-name">``,
  ``<text class="cm-count">`` and a ``<title>`` tooltip (the rationale);
* neighbour segments of other chains: ``<g class="cm-seg cm-external">`` with
  ``data-segment-id`` and ``data-external="true"`` (dashed grey box);
* links: ``<path class="cm-link cm-link-<kind>">`` with ``data-source`` and
  ``data-target``; ``cm-link-cross`` is added for cross-chain links (dashed);
* the legend: ``<g class="cm-legend">`` with one ``<g class="cm-legend-item" data-status=...>``
  per status of :data:`chainmap.labels.GAP_STATUS` (display order) and one for other
  chains' segments (``external``), wrapped to the diagram's width; stage headers:
  ``<text class="cm-stage">``.

>>> import networkx as nx
>>> G = nx.DiGraph(chains={"qi": {"name_zh": "汽车", "name_en": "Vehicles", "root": "qi", "letter": "汽"}})
>>> for n, s in [("qi.cell", "upstream"), ("qi.car", "downstream")]:
...     G.add_node(n, chain="qi", top_chain="qi", stage=s, order=0, name_zh=n, name_en=n)
>>> G.add_edge("qi.cell", "qi.car", kind="supplies", weight=None, cross_chain=False)
>>> svg = render_chain_svg(G, "qi")
>>> svg.startswith("<svg") and svg.count('class="cm-seg ') == 2 and "cm-link-supplies" in svg
True
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import networkx as nx

from chainmap.exceptions import InvalidInput
from chainmap.graph import chain_subgraph, layered_order
from chainmap.i18n import norm_lang, pick
from chainmap.labels import GAP_STATUS, GAP_STATUS_COLOURS, SEGMENT_STAGE

__all__ = ["STATUS_COLOURS", "FONT_FAMILY", "MAX_ROWS", "render_chain_svg", "wrap_text"]

#: status -> (stroke, fill) (:data:`chainmap.labels.GAP_STATUS_COLOURS`); ``none`` without items.
STATUS_COLOURS: dict[str, tuple[str, str]] = dict(GAP_STATUS_COLOURS)
_EXTERNAL = ("#a0aec0", "#ffffff")
_STATUS_TEXT = {k: (zh, en.capitalize()) for k, (zh, en) in GAP_STATUS.items()}
#: Font stack: common CJK fonts on macOS, Windows and Linux, then sans-serif.
FONT_FAMILY = (
    "'PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC',"
    "'Source Han Sans SC','WenQuanYi Micro Hei',SimHei,Arial,sans-serif"
)
#: Boxes per sub-column before a stage wraps.
MAX_ROWS = 12

_STAGES = ("upstream", "midstream", "downstream")
_STAGE_TEXT = {k: (zh, en.capitalize()) for k, (zh, en) in SEGMENT_STAGE.items()}
_BOX_W, _BOX_H = 176, 46
_GAP_Y, _SUB_GAP, _STAGE_GAP = 14, 34, 70
_MARGIN, _HEADER = 24, 56
_FONT = 13
# links within one sub-column: bow depth (px to the right of the boxes) and room kept beyond it
_LOOP_MIN, _LOOP_STEP, _LOOP_MAX, _LOOP_PAD = 24.0, 6.0, 44.0, 12.0


def _text_width(text: str, size: float) -> float:
    return sum(size if ord(ch) > 0x2E80 else size * 0.58 for ch in text)


def _fit(text: str, width: float, size: float) -> str:
    if _text_width(text, size) <= width:
        return text
    out = ""
    for ch in text:
        if _text_width(out + ch + "…", size) > width:
            break
        out += ch
    return out + "…"


def _item_fields(item: Any) -> dict[str, Any]:
    if isinstance(item, Mapping):
        return dict(item)
    if hasattr(item, "model_dump"):
        return item.model_dump()
    return dict(vars(item))


def _legend_rows(lang: str, width: float) -> list[list[tuple[str, str, float]]]:
    """The status legend's items ``(status, label, x)`` in rows no wider than ``width``:
    every status of :data:`chainmap.labels.GAP_STATUS` in display order, then the
    other-chain box (status ``external``)."""
    entries = [(s, pick(lang, *_STATUS_TEXT[s])) for s in GAP_STATUS]
    entries.append(("external", pick(lang, "相邻链环节", "other chain")))
    rows: list[list[tuple[str, str, float]]] = [[]]
    lx = 0.0
    for status, label in entries:
        w = 28 + _text_width(label, 12)
        if rows[-1] and lx + w > width:
            rows.append([])
            lx = 0.0
        rows[-1].append((status, label, lx))
        lx += w + 22
    return rows


def _legend_svg(lang: str, legend_rows: list[list[tuple[str, str, float]]], legend_y: float) -> list[str]:
    """The legend group (without its closing tag): status boxes in rows, then link styles."""
    out: list[str] = []
    out.append(f'<g class="cm-legend" transform="translate({_MARGIN},{legend_y:.0f})">')
    for row_i, legend_row in enumerate(legend_rows):
        y = 22 * row_i
        for status, label, lx in legend_row:
            if status == "external":
                stroke, fill = _EXTERNAL
                extra = ' stroke-dasharray="4 2"'
            else:
                stroke, fill = STATUS_COLOURS[status]
                extra = ' stroke-width="1.8"'
            out.append(
                f'<g class="cm-legend-item" data-status="{status}">'
                f'<rect x="{lx:.0f}" y="{y}" width="22" height="14" rx="3" fill="{fill}" stroke="{stroke}"{extra}/>'
                f'<text x="{lx + 28:.0f}" y="{y + 12}" font-size="12" fill="#2d3748">{escape(label)}</text></g>'
            )
    ly = 32 + 22 * (len(legend_rows) - 1)
    legend_links = [
        ("#4a5568", "", pick(lang, "供应关系", "supplies")),
        ("#4a5568", ' stroke-dasharray="2 3"', pick(lang, "技术支撑", "enables")),
        ("#a0aec0", ' stroke-dasharray="6 4"', pick(lang, "跨链关系", "cross-chain")),
    ]
    lx = 0.0
    for colour, dash, label in legend_links:
        out.append(
            f'<line x1="{lx:.0f}" y1="{ly}" x2="{lx + 34:.0f}" y2="{ly}" stroke="{colour}" stroke-width="1.4"{dash}/>'
            f'<text x="{lx + 40:.0f}" y="{ly + 4}" font-size="12" fill="#2d3748">{escape(label)}</text>'
        )
        lx += 40 + _text_width(label, 12) + 22
    note = pick(lang, "◆ 卡脖子环节", "◆ chokepoint")
    out.append(f'<text x="{lx:.0f}" y="{ly + 4}" font-size="12" fill="#2d3748">{escape(note)}</text>')
    return out


def render_chain_svg(
    G: nx.DiGraph,
    chain: str,
    gap_items: Iterable[Any] | None = None,
    lang: str = "zh",
    layout: str = "columns",
) -> str:
    """Render one chain as a layered SVG diagram.

    Parameters
    ----------
    G : networkx.DiGraph
        The chain graph (:func:`chainmap.graph.build_graph`).
    chain : str
        A chain or sub-chain id.
    gap_items : iterable, optional
        :class:`chainmap.analysis.gaps.GapItem` objects (or dicts with
        ``segment_id``, ``status``, ``local_count``, ``priority``,
        ``rationale``); without them the boxes are grey and show no count.
    lang : {"zh", "en"}
        Language of names, headers and legend.
    layout : {"columns", "layered"}
        ``columns``: one column per stage, boxes in seed order (names that do not fit are
        shortened with …). ``layered``: the layers of :func:`chainmap.graph.layered_order`
        (suppliers left, crossing reduction by barycentre sweeps), names wrapped onto as many
        lines as they need, text at least 12 px -- what ``chainmap graph ID -f svg`` draws.

    Returns
    -------
    str
        A standalone ``<svg>`` element (UTF-8 text, no XML declaration).

    Raises
    ------
    chainmap.exceptions.NotFound
        For an unknown chain (listing the valid ids).
    """
    lang = norm_lang(lang)
    H = chain_subgraph(G, chain, neighbours=True)
    items: dict[str, dict[str, Any]] = {}
    for it in gap_items or ():
        f = _item_fields(it)
        items.setdefault(str(f["segment_id"]), f)
    if layout == "layered":
        return _render_layered(G, H, chain, items, lang)
    if layout != "columns":
        raise InvalidInput(f"unknown layout {layout!r}; expected columns or layered", field="layout")

    # ---- layout: per stage, own segments then external ones, wrapped into sub-columns
    def key(n: str) -> tuple[int, int, str]:
        d = H.nodes[n]
        return (1 if d.get("external") else 0, int(d.get("order", 0) or 0), n)

    columns: dict[str, list[str]] = {s: [] for s in _STAGES}
    for n in H.nodes:
        stage = H.nodes[n].get("stage", "midstream")
        columns[stage if stage in columns else "midstream"].append(n)
    pos: dict[str, tuple[float, float]] = {}
    x = float(_MARGIN)
    stage_x: dict[str, tuple[float, float]] = {}
    rows_max = 1
    for stage in _STAGES:
        nodes = sorted(columns[stage], key=key)
        n_sub = max(1, math.ceil(len(nodes) / MAX_ROWS))
        per_col = max(1, math.ceil(len(nodes) / n_sub)) if nodes else 1
        rows_max = max(rows_max, per_col)
        start = x
        for i, n in enumerate(nodes):
            col, row = divmod(i, per_col)
            pos[n] = (x + col * (_BOX_W + _SUB_GAP), _MARGIN + _HEADER + row * (_BOX_H + _GAP_Y))
        width = n_sub * _BOX_W + (n_sub - 1) * _SUB_GAP
        stage_x[stage] = (start, start + width)
        x += width + _STAGE_GAP
    total_w = x - _STAGE_GAP + _MARGIN
    body_h = _MARGIN + _HEADER + rows_max * (_BOX_H + _GAP_Y)
    legend_y = body_h + 10
    # the status legend (every status of chainmap.labels.GAP_STATUS, then "other chain") wraps
    # into as many rows as the diagram's width needs
    legend_rows = _legend_rows(lang, total_w - 2 * _MARGIN)
    total_h = legend_y + 64 + 22 * (len(legend_rows) - 1)

    chains = G.graph.get("chains", {})
    cinfo = chains.get(chain, {})
    title = str(cinfo.get("name_en" if lang == "en" else "name_zh", chain))
    arrow = f"cm-arrow-{chain}"
    arrow_x = f"cm-arrow-x-{chain}"
    # links (drawn first, boxes on top); part_of links are hierarchy, not flow, and are not drawn.
    # Computed before the header: a link within one sub-column bows out to the right of its
    # boxes, and the viewBox is widened to contain the bow (every control point is inside, so
    # the whole curve is).
    link_paths: list[str] = []
    right = total_w
    for u, v, d in sorted(H.edges(data=True), key=lambda e: (e[0], e[1])):
        kind = d.get("kind", "supplies")
        if kind == "part_of" or u not in pos or v not in pos:
            continue
        cross = bool(d.get("cross_chain")) or H.nodes[u].get("external") or H.nodes[v].get("external")
        (ux, uy), (vx, vy) = pos[u], pos[v]
        y1, y2 = uy + _BOX_H / 2, vy + _BOX_H / 2
        if vx > ux:
            x1, x2 = ux + _BOX_W, vx
            c = max(30.0, (x2 - x1) / 2)
            path = f"M{x1:.1f},{y1:.1f} C{x1 + c:.1f},{y1:.1f} {x2 - c:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
        elif vx < ux:
            x1, x2 = ux, vx + _BOX_W
            c = max(30.0, (x1 - x2) / 2)
            path = (
                f"M{x1:.1f},{y1:.1f} C{x1 - c:.1f},{y1 - 40:.1f} {x2 + c:.1f},{y2 - 40:.1f} {x2:.1f},{y2:.1f}"
            )
        else:  # same sub-column: an arc out to the right, deeper for links spanning more rows
            x1 = ux + _BOX_W
            rows = abs(vy - uy) / (_BOX_H + _GAP_Y)
            bow = min(_LOOP_MAX, _LOOP_MIN + _LOOP_STEP * rows)
            path = f"M{x1:.1f},{y1:.1f} C{x1 + bow:.1f},{y1:.1f} {x1 + bow:.1f},{y2:.1f} {x1:.1f},{y2:.1f}"
            right = max(right, x1 + bow + _LOOP_PAD)
        classes = f"cm-link cm-link-{kind}" + (" cm-link-cross" if cross else "")
        stroke = "#a0aec0" if cross else "#4a5568"
        dash = (
            ' stroke-dasharray="6 4"' if cross else (' stroke-dasharray="2 3"' if kind == "enables" else "")
        )
        link_paths.append(
            f'<path class="{classes}" data-source={quoteattr(u)} data-target={quoteattr(v)} d="{path}" '
            f'fill="none" stroke="{stroke}" stroke-width="1.4"{dash} '
            f'marker-end="url(#{arrow_x if cross else arrow})"/>'
        )
    total_w = math.ceil(right)
    out: list[str] = []
    out.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="cm-chain" data-chain-id={quoteattr(chain)} '
        f'viewBox="0 0 {total_w:.0f} {total_h:.0f}" width="{total_w:.0f}" height="{total_h:.0f}" '
        f'role="img" aria-label={quoteattr(title)} font-family="{FONT_FAMILY}" font-size="{_FONT}">'
    )
    out.append(f"<title>{escape(title)}</title>")
    out.append(
        "<defs>"
        f'<marker id={quoteattr(arrow)} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#4a5568"/></marker>'
        f'<marker id={quoteattr(arrow_x)} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#a0aec0"/></marker>'
        "</defs>"
    )
    out.append(f'<rect x="0" y="0" width="{total_w:.0f}" height="{total_h:.0f}" fill="#ffffff"/>')
    # stage headers and column backgrounds
    for stage in _STAGES:
        x0, x1 = stage_x[stage]
        out.append(
            f'<rect class="cm-stage-bg" x="{x0 - 10:.0f}" y="{_MARGIN:.0f}" width="{x1 - x0 + 20:.0f}" '
            f'height="{body_h - _MARGIN:.0f}" rx="8" fill="#f7fafc" stroke="#e2e8f0"/>'
        )
        label = pick(lang, *_STAGE_TEXT[stage])
        out.append(
            f'<text class="cm-stage" x="{(x0 + x1) / 2:.0f}" y="{_MARGIN + 30:.0f}" text-anchor="middle" '
            f'font-size="15" font-weight="bold" fill="#2d3748">{escape(label)}</text>'
        )

    out.extend(link_paths)

    # boxes
    for n in sorted(pos):
        d = H.nodes[n]
        bx, by = pos[n]
        name = str(d.get("name_en" if lang == "en" else "name_zh") or n)
        if d.get("external"):
            stroke, fill = _EXTERNAL
            other = chains.get(d.get("top_chain", ""), {})
            sub = str(other.get("name_en" if lang == "en" else "name_zh", d.get("top_chain", "")))
            out.append(
                f'<g class="cm-seg cm-external" id={quoteattr("cm-seg-" + n)} data-segment-id={quoteattr(n)} '
                f'data-external="true" data-stage={quoteattr(str(d.get("stage", "")))} '
                f'transform="translate({bx:.0f},{by:.0f})">'
                f"<title>{escape(name)} ({escape(sub)})</title>"
                f'<rect class="cm-box" width="{_BOX_W}" height="{_BOX_H}" rx="6" fill="{fill}" stroke="{stroke}" '
                'stroke-width="1.2" stroke-dasharray="5 3"/>'
                f'<text class="cm-name" x="10" y="19" fill="#4a5568">{escape(_fit(name, _BOX_W - 20, _FONT))}</text>'
                f'<text class="cm-count" x="10" y="37" font-size="11" fill="#718096">'
                f"{escape(_fit(pick(lang, '相邻链：', 'other chain: ') + sub, _BOX_W - 20, 11))}</text></g>"
            )
            continue
        it = items.get(n)
        status = str(it.get("status")) if it else "none"
        stroke, fill = STATUS_COLOURS.get(status, STATUS_COLOURS["none"])
        count = it.get("local_count") if it else None
        attrs = (
            f'class="cm-seg cm-status-{status}" id={quoteattr("cm-seg-" + n)} data-segment-id={quoteattr(n)} '
            f'data-status="{status}" data-stage={quoteattr(str(d.get("stage", "")))}'
        )
        if count is not None:
            attrs += f' data-local-count="{int(count)}"'
        if it and it.get("priority") is not None:
            attrs += f' data-priority="{float(it["priority"]):.4f}"'
        tip = name + (f" — {it.get('rationale')}" if it and it.get("rationale") else "")
        if count is None:
            line2 = ""
        else:
            label = pick(lang, *_STATUS_TEXT[status]) if status in _STATUS_TEXT else ""
            line2 = pick(lang, f"本地企业 {int(count)} 家", f"local firms: {int(count)}") + (
                f" · {label}" if label else ""
            )
        chk = " ◆" if d.get("chokepoint") else ""
        out.append(
            f'<g {attrs} transform="translate({bx:.0f},{by:.0f})"><title>{escape(tip)}</title>'
            f'<rect class="cm-box" width="{_BOX_W}" height="{_BOX_H}" rx="6" fill="{fill}" stroke="{stroke}" '
            'stroke-width="1.8"/>'
            f'<text class="cm-name" x="10" y="19" font-weight="bold" fill="#1a202c">'
            f"{escape(_fit(name + chk, _BOX_W - 20, _FONT))}</text>"
            f'<text class="cm-count" x="10" y="37" font-size="11" fill="#4a5568">{escape(line2)}</text></g>'
        )

    out.extend(_legend_svg(lang, legend_rows, legend_y))
    out.append("</g></svg>")
    return "".join(out)


# ---------------------------------------------------------------- layered layout

_L_BOX_W, _L_PAD, _L_NAME, _L_META, _L_LINE = 176, 9, 13, 12, 1.3
_L_LAYER_GAP, _L_ROW_GAP, _L_TOP = 70, 14, 56


def wrap_text(text: str, width: float, size: float) -> list[str]:
    """``text`` in lines no wider than ``width`` (estimated): CJK may break between any two
    characters, Latin at spaces; a word longer than a line is split. Nothing is dropped.

    >>> wrap_text("铝合金精密压铸件", 60, 13)
    ['铝合金精', '密压铸件']
    >>> wrap_text("Aluminium alloy ingots", 100, 13)
    ['Aluminium', 'alloy ingots']
    """
    import re

    tokens = re.findall(r"[\u2e80-\uffff]|[^\s\u2e80-\uffff]+|\s+", text) or [""]
    lines: list[str] = []
    cur = ""
    for tok in tokens:
        if tok.isspace():
            cur += " " if cur else ""
            continue
        if _text_width(cur + tok, size) <= width:
            cur += tok
            continue
        if cur.strip():
            lines.append(cur.strip())
        cur = ""
        if _text_width(tok, size) <= width:
            cur = tok
            continue
        for ch in tok:
            if cur and _text_width(cur + ch, size) > width:
                lines.append(cur)
                cur = ""
            cur += ch
    if cur.strip():
        lines.append(cur.strip())
    return lines or [""]


def _join_parts(parts: list[str], width: float, size: float) -> list[str]:
    lines: list[str] = []
    cur = ""
    for part in (p for p in parts if p):
        joined = f"{cur} · {part}" if cur else part
        if _text_width(joined, size) <= width:
            cur = joined
            continue
        if cur:
            lines.append(cur)
        pieces = wrap_text(part, width, size)
        lines.extend(pieces[:-1])
        cur = pieces[-1]
    if cur:
        lines.append(cur)
    return lines


def _tspans(lines: list[str], size: float) -> str:
    return "".join(
        f'<tspan x="{_L_PAD}" dy="{0 if i == 0 else size * _L_LINE:.1f}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )


def _render_layered(
    G: nx.DiGraph, H: nx.DiGraph, chain: str, items: dict[str, dict[str, Any]], lang: str
) -> str:
    chains = G.graph.get("chains", {})
    cinfo = chains.get(chain, {})
    title = str(cinfo.get("name_en" if lang == "en" else "name_zh", chain))
    inner = _L_BOX_W - 2 * _L_PAD
    boxes: dict[str, dict[str, Any]] = {}
    for n, d in H.nodes(data=True):
        name = str(d.get("name_en" if lang == "en" else "name_zh") or n)
        stage = pick(lang, *_STAGE_TEXT[d["stage"]]) if d.get("stage") in _STAGE_TEXT else ""
        if d.get("external"):
            other = chains.get(d.get("top_chain", ""), {})
            sub = str(other.get("name_en" if lang == "en" else "name_zh", d.get("top_chain", "")))
            meta = [pick(lang, "相邻链：", "other chain: ") + sub]
            status = "external"
        else:
            it = items.get(n)
            status = str(it.get("status")) if it else "none"
            meta = [stage]
            if it and it.get("local_count") is not None:
                meta.append(pick(lang, f"本地企业 {int(it['local_count'])} 家", f"local firms: {int(it['local_count'])}"))
            if status in _STATUS_TEXT:
                meta.append(pick(lang, *_STATUS_TEXT[status]))
            if d.get("chokepoint"):
                name += " ◆"
        lines = wrap_text(name, inner, _L_NAME)
        meta_lines = _join_parts(meta, inner, _L_META)
        h = 2 * _L_PAD + len(lines) * _L_NAME * _L_LINE + len(meta_lines) * _L_META * _L_LINE
        boxes[n] = {"name": name, "lines": lines, "meta": meta_lines, "h": math.ceil(h), "status": status, "d": d}
    layers = layered_order(H)
    pos: dict[str, tuple[float, float]] = {}
    heights = [sum(boxes[n]["h"] for n in layer) + _L_ROW_GAP * max(0, len(layer) - 1) for layer in layers]
    body_h = max(heights, default=0)
    for i, layer in enumerate(layers):
        x = _MARGIN + i * (_L_BOX_W + _L_LAYER_GAP)
        y = _L_TOP + (body_h - heights[i]) / 2  # each layer centred
        for n in layer:
            pos[n] = (x, y)
            y += boxes[n]["h"] + _L_ROW_GAP
    width = max(640, _MARGIN * 2 + len(layers) * (_L_BOX_W + _L_LAYER_GAP) - _L_LAYER_GAP)
    legend_rows = _legend_rows(lang, width - 2 * _MARGIN)
    legend_y = _L_TOP + body_h + 40
    height = legend_y + 64 + 22 * (len(legend_rows) - 1)
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="cm-chain" data-chain-id={quoteattr(chain)} data-layout="layered" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f'role="img" aria-label={quoteattr(title)} font-family="{FONT_FAMILY}" font-size="{_L_NAME}">',
        f"<title>{escape(title)}</title>",
        "<defs>"
        f'<marker id={quoteattr("cm-arrow-" + chain)} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#4a5568"/></marker>'
        f'<marker id={quoteattr("cm-arrow-x-" + chain)} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#a0aec0"/></marker>'
        "</defs>",
        f'<rect x="0" y="0" width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
        f'<text class="cm-title" x="{_MARGIN}" y="34" font-size="16" font-weight="bold" fill="#1a202c">'
        f"{escape(title)}</text>",
    ]
    for u, v, d in sorted(H.edges(data=True), key=lambda e: (e[0], e[1])):
        kind = d.get("kind", "supplies")
        if kind == "part_of":
            continue
        cross = bool(d.get("cross_chain")) or H.nodes[u].get("external") or H.nodes[v].get("external")
        (ux, uy), (vx, vy) = pos[u], pos[v]
        y1, y2 = uy + boxes[u]["h"] / 2, vy + boxes[v]["h"] / 2
        if vx > ux:
            x1, x2 = ux + _L_BOX_W, vx
            c = max(24.0, (x2 - x1) / 2)
            path = f"M{x1:.1f},{y1:.1f} C{x1 + c:.1f},{y1:.1f} {x2 - c:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
        else:  # a link against the flow (a cycle) or within a layer: from the top, over the boxes
            x1, x2 = ux + _L_BOX_W / 2, vx + _L_BOX_W / 2
            top = min(uy, vy) - 10
            path = f"M{x1:.1f},{uy:.1f} C{x1:.1f},{top - 30:.1f} {x2:.1f},{top - 30:.1f} {x2:.1f},{vy:.1f}"
        classes = f"cm-link cm-link-{kind}" + (" cm-link-cross" if cross else "")
        stroke = "#a0aec0" if cross else "#4a5568"
        dash = ' stroke-dasharray="6 4"' if cross else (' stroke-dasharray="2 3"' if kind == "enables" else "")
        marker = ("cm-arrow-x-" if cross else "cm-arrow-") + chain
        out.append(
            f'<path class="{classes}" data-source={quoteattr(u)} data-target={quoteattr(v)} d="{path}" '
            f'fill="none" stroke="{stroke}" stroke-width="1.3"{dash} marker-end="url(#{marker})"/>'
        )
    for n in sorted(pos):
        b = boxes[n]
        d = b["d"]
        bx, by = pos[n]
        status = b["status"]
        if status == "external":
            stroke, fill = _EXTERNAL
            attrs = (
                f'class="cm-seg cm-external" id={quoteattr("cm-seg-" + n)} data-segment-id={quoteattr(n)} '
                f'data-external="true" data-stage={quoteattr(str(d.get("stage", "")))}'
            )
            rect_extra = ' stroke-width="1.2" stroke-dasharray="5 3"'
            name_fill, weight = "#4a5568", ""
        else:
            stroke, fill = STATUS_COLOURS.get(status, STATUS_COLOURS["none"])
            it = items.get(n)
            attrs = (
                f'class="cm-seg cm-status-{status}" id={quoteattr("cm-seg-" + n)} data-segment-id={quoteattr(n)} '
                f'data-status="{status}" data-stage={quoteattr(str(d.get("stage", "")))}'
            )
            if it and it.get("local_count") is not None:
                attrs += f' data-local-count="{int(it["local_count"])}"'
            if it and it.get("priority") is not None:
                attrs += f' data-priority="{float(it["priority"]):.4f}"'
            rect_extra = ' stroke-width="1.8"'
            name_fill, weight = "#1a202c", ' font-weight="bold"'
        it = items.get(n)
        tip = b["name"] + (f" — {it.get('rationale')}" if it and it.get("rationale") else "")
        name_y = _L_PAD + _L_NAME
        meta_y = name_y + (len(b["lines"]) - 1) * _L_NAME * _L_LINE + _L_META * _L_LINE
        out.append(
            f'<g {attrs} transform="translate({bx:.0f},{by:.0f})"><title>{escape(tip)}</title>'
            f'<rect class="cm-box" width="{_L_BOX_W}" height="{b["h"]}" rx="6" fill="{fill}" stroke="{stroke}"{rect_extra}/>'
            f'<text class="cm-name" x="{_L_PAD}" y="{name_y:.1f}"{weight} fill="{name_fill}">{_tspans(b["lines"], _L_NAME)}</text>'
            f'<text class="cm-count" x="{_L_PAD}" y="{meta_y:.1f}" font-size="{_L_META}" fill="#4a5568">'
            f"{_tspans(b['meta'], _L_META)}</text></g>"
        )
    out.extend(_legend_svg(lang, legend_rows, legend_y))
    out.append("</g></svg>")
    return "".join(out)
