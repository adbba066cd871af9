/* chainmap chain layout: a chain graph (node-link JSON of GET /chains/{id}/graph?format=json)
 * -> an ELK (elkjs, "layered" algorithm with crossing minimisation) graph -> positions -> SVG.
 *
 * Shared by the web page (window.ChainLayout) and the layout benchmark (Node: require()),
 * so the crossings measured by benchmarks/bench_layout.py are the crossings people see.
 *
 * Pure functions, no DOM: text widths come from opts.measure(text, px, bold) (the page passes a
 * canvas measure with the page's font; Node an estimate). Labels wrap onto as many lines as
 * they need and boxes grow to hold them: nothing is ever cut.
 *
 * Stable SVG hooks (the page and the browser tests rely on them), the same as the server's
 * diagram (chainmap/reports/svg.py): <svg class="cm-chain">; one <g class="cm-seg
 * cm-status-<status>" data-segment-id data-status data-stage [data-local-count]
 * [data-priority]> per own segment with <rect class="cm-box">, <text class="cm-name">,
 * <text class="cm-count">; neighbours of other chains <g class="cm-seg cm-external"
 * data-external="true">; a collapsed group of them <g class="cm-group" data-group=...>;
 * links <path class="cm-link cm-link-<kind> [cm-link-cross]" data-source data-target>;
 * each box names its stage; legend <g class="cm-legend">.
 */
"use strict";

(function (root, factory) {
  if (typeof module === "object" && module.exports) module.exports = factory();
  else root.ChainLayout = factory();
})(typeof self !== "undefined" ? self : this, function () {
  const STAGES = ["upstream", "midstream", "downstream"];
  const FONT_FAMILY =
    "'PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC'," +
    "'WenQuanYi Micro Hei','WenQuanYi Zen Hei',SimHei,Arial,sans-serif";
  /** Sizes in px at 100 % zoom: every text is at least 12 px on screen. */
  const SIZE = { name: 13, meta: 12, firm: 12, stage: 15, legend: 12, title: 16 };
  const BOX_W = 172;
  const PAD_X = 9;
  const PAD_Y = 7;
  const LINE = 1.3; // line height factor
  const TOP = 52; // room for the title
  const DEFAULT_COLOURS = {
    fill: ["#c0392b", "#fbdcd8"], strengthen: ["#b7791f", "#fdefc8"], extend: ["#2b6cb0", "#d7e7f8"],
    sound: ["#2f855a", "#d9f0df"], not_priority: ["#6b7280", "#ffffff"], unsuitable: ["#4a5568", "#d5dae3"],
    unverified: ["#7e57c2", "#ece4f8"], none: ["#718096", "#f4f5f7"],
  };
  const EXTERNAL = ["#a0aec0", "#ffffff"];

  /** ELK options: layered, left to right, crossing minimisation by layer sweep with a fixed seed
   * (the same graph always gets the same picture); the input order (by stage, then the seed's
   * order) breaks ties. Stages are not forced into columns (partitions): measured on the 材
   * chain that gives 556 crossings instead of 182 and a drawing 3500 px tall; each box names
   * its stage instead (benchmarks/bench_layout.py). */
  const ELK_OPTIONS = {
    "elk.algorithm": "layered",
    "elk.direction": "RIGHT",
    "elk.randomSeed": "7",
    "elk.partitioning.activate": "false",
    "elk.edgeRouting": "ORTHOGONAL",
    "elk.layered.crossingMinimization.strategy": "LAYER_SWEEP",
    "elk.layered.thoroughness": "7",
    "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
    "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
    "elk.spacing.nodeNode": "14",
    "elk.spacing.edgeNode": "10",
    "elk.spacing.edgeEdge": "6",
    "elk.layered.spacing.nodeNodeBetweenLayers": "46",
    "elk.layered.spacing.edgeNodeBetweenLayers": "14",
    "elk.layered.spacing.edgeEdgeBetweenLayers": "6",
    "elk.padding": `[top=${TOP},left=18,bottom=18,right=18]`,
  };

  /** Estimated text width (CJK full width, others ~0.58 em): Node and a fallback. The middle
   * dot, symbols and general punctuation (·, ◆, “”, —) count full width, as CJK fonts draw them,
   * capitals 0.72 em (0.76 bold):
   * a layout precomputed with the estimate (scripts/precompute_layouts.js) then rarely wraps a
   * line the page's font would not fit (the page checks: CL.fits). */
  function estimate(text, px, bold) {
    let w = 0;
    for (const ch of String(text)) {
      const c = ch.codePointAt(0);
      if (c > 0x2e80 || c === 0xb7 || (c >= 0x2000 && c <= 0x2bff)) w += px;
      else if (c >= 0x41 && c <= 0x5a) w += px * (bold ? 0.76 : 0.72); // capitals are wide (PLC, PACK)
      else w += px * (bold ? 0.62 : 0.58);
    }
    return w;
  }

  /** ``text`` broken into lines no wider than ``width``: CJK between any two characters,
   * Latin at spaces and hyphens (a word longer than a line is split). Never truncates. */
  function wrap(text, width, px, bold, measure) {
    const m = measure || estimate;
    const tokens = String(text).match(/[\u2e80-\uffff]|[^\s\u2e80-\uffff-]+-?|\s+|-/g) || [""];
    const lines = [];
    let cur = "";
    const push = () => { if (cur.trim()) lines.push(cur.trim()); cur = ""; };
    for (const tok of tokens) {
      if (/^\s+$/.test(tok)) { if (cur) cur += " "; continue; }
      if (m(cur + tok, px, bold) <= width) { cur += tok; continue; }
      if (cur.trim()) push();
      if (m(tok, px, bold) <= width) { cur = tok; continue; }
      for (const ch of tok) { // one word wider than a line: split it
        if (m(cur + ch, px, bold) > width && cur) push();
        cur += ch;
      }
    }
    push();
    return lines.length ? lines : [""];
  }

  /** ``parts`` joined by " · " into lines no wider than ``width``; a part is only broken
   * when it is wider than a whole line. */
  function wrapParts(parts, width, px, bold, measure) {
    const m = measure || estimate;
    const lines = [];
    let cur = "";
    for (const part of parts.filter(Boolean)) {
      const joined = cur ? `${cur} · ${part}` : part;
      if (m(joined, px, bold) <= width) { cur = joined; continue; }
      if (cur) lines.push(cur);
      if (m(part, px, bold) <= width) { cur = part; continue; }
      const pieces = wrap(part, width, px, bold, m);
      lines.push(...pieces.slice(0, -1));
      cur = pieces[pieces.length - 1];
    }
    if (cur) lines.push(cur);
    return lines;
  }

  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const pick = (lang, zh, en) => (lang === "en" ? en : zh);
  const nameOf = (d, lang) => (lang === "en" ? d.name_en || d.name_zh : d.name_zh || d.name_en) || d.id;

  /**
   * The drawing model of one chain.
   * graph: node-link JSON ({nodes, links, graph: {chains, chain}}); opts: {lang, gaps: Map
   * segment -> gap item, collapse: bool (one box per other chain instead of its segments),
   * firms: bool (local enterprise names in the boxes), measure, labels (GET /labels)}.
   * Returns {nodes, edges, chain, lang} with each node's wrapped lines and size.
   */
  function model(graph, opts) {
    const o = opts || {};
    const lang = o.lang === "en" ? "en" : "zh";
    const gaps = o.gaps || new Map();
    const measure = o.measure || estimate;
    const labels = o.labels || {};
    const chains = (graph.graph && graph.graph.chains) || {};
    const statusText = (s) => ((labels.gap_status || {})[s] || s);
    const stageText = (s) => { const v = (labels.segment_stage || {})[s] || s; return lang === "en" && v ? v[0].toUpperCase() + v.slice(1) : v; };
    const order = (d) => [d.external ? 1 : 0, Math.max(0, STAGES.indexOf(d.stage)), d.order || 0, d.id];
    const cmp = (a, b) => { const x = order(a), y = order(b); for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1; return 0; };
    const sorted = graph.nodes.slice().sort(cmp);
    const inner = BOX_W - 2 * PAD_X;
    const nodes = new Map();
    const groupOf = new Map(); // external segment -> group node id (collapsed)
    for (const d of sorted) {
      if (d.external && o.collapse) {
        const top = d.top_chain || d.chain;
        const gid = `group:${top}`;
        groupOf.set(d.id, gid);
        if (!nodes.has(gid)) {
          const c = chains[top] || {};
          nodes.set(gid, { id: gid, group: top, external: true, members: [], stage: d.stage,
            name: `${c.letter ? c.letter + " · " : ""}${nameOf({ ...c, id: top }, lang)}` });
        }
        nodes.get(gid).members.push(d.id);
        continue;
      }
      const gap = gaps.get(d.id);
      const status = d.external ? "external" : gap ? gap.status : "none";
      const n = { id: d.id, external: !!d.external, stage: d.stage, status, chokepoint: !!d.chokepoint,
        name: nameOf(d, lang) + (d.chokepoint && !d.external ? " ◆" : ""), priority: gap ? gap.priority : null,
        local: gap ? gap.local_count : (d.local_enterprises ?? null), chain: d.chain, top: d.top_chain };
      if (d.external) {
        const c = chains[d.top_chain] || {};
        n.meta = [pick(lang, "相邻链：", "other chain: ") + nameOf({ ...c, id: d.top_chain }, lang)];
      } else if (gap) {
        n.meta = [stageText(d.stage), pick(lang, `本地企业 ${gap.local_count} 家`, `local firms: ${gap.local_count}`), statusText(status)];
        if (o.firms) n.firms = (gap.local_enterprises || []).map((e) => (lang === "en" && e.name_en) || e.name || e.id);
      } else n.meta = [stageText(d.stage)];
      nodes.set(d.id, n);
    }
    for (const n of nodes.values()) {
      if (n.group) n.meta = [pick(lang, `相邻链 ${n.members.length} 个环节`, `${n.members.length} segments of another chain`), pick(lang, "点击展开", "click to expand")];
      n.lines = wrap(n.name, inner, SIZE.name, !n.external, measure);
      n.metaLines = wrapParts(n.meta || [], inner, SIZE.meta, false, measure);
      n.firmLines = (n.firms || []).flatMap((f) => wrap("· " + f, inner, SIZE.firm, false, measure));
      if (o.firms && n.firms && !n.firms.length) n.firmLines = [pick(lang, "· 暂无本地企业", "· no local firm")];
      n.w = BOX_W;
      n.h = Math.ceil(2 * PAD_Y + n.lines.length * SIZE.name * LINE + n.metaLines.length * SIZE.meta * LINE +
        (n.firmLines.length ? 4 + n.firmLines.length * SIZE.firm * LINE : 0));
    }
    const seen = new Set();
    const edges = [];
    for (const l of graph.links) {
      if (l.kind === "part_of") continue; // hierarchy, not flow (as in the server's diagram)
      const s = groupOf.get(l.source) || l.source;
      const t = groupOf.get(l.target) || l.target;
      if (!nodes.has(s) || !nodes.has(t) || s === t) continue;
      const key = `${s}\u0001${t}\u0001${l.kind}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const cross = !!l.cross_chain || nodes.get(s).external || nodes.get(t).external;
      edges.push({ id: `e${edges.length}`, source: s, target: t, kind: l.kind, cross, members: [[l.source, l.target]] });
    }
    return { nodes: Array.from(nodes.values()), edges, chain: (graph.graph || {}).chain, lang };
  }

  /** FNV-1a (32 bit) of a string, as 8 hex digits, plus its length: a cache key. */
  function hash(text) {
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h.toString(16).padStart(8, "0") + ":" + text.length;
  }

  /** The ELK input graph of a drawing model. */
  function elkGraph(m) {
    return {
      id: "root",
      layoutOptions: ELK_OPTIONS,
      children: m.nodes.map((n) => ({
        id: n.id, width: n.w, height: n.h,
        layoutOptions: { "elk.partitioning.partition": String(Math.max(0, STAGES.indexOf(n.stage))) },
      })),
      edges: m.edges.map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
    };
  }

  /** The cache key of an ELK input's JSON text (the server checks posted layouts against it:
   * api/routers/ui.py layout_key). */
  function layoutKey(text) {
    return "elk1:" + hash(text);
  }

  /** Run ELK on the model: returns the model with x, y on nodes and points on edges, plus the
   * the drawing's size. ``elk`` is a ``new ELK()`` of elkjs (or a function returning one, called
   * only when no cache holds the layout). ``cache``: {get(key, inputText), set(key, value,
   * input)}, either may return a promise; ``get`` answers the kept layout (or null) and may say
   * where it came from in ``m.cached`` via its return's ``source``. */
  async function layout(elk, m, cache) {
    // ELK is deterministic (fixed seed): the same input always gives the same drawing, so a
    // result may be kept (in the browser, in localStorage and on the server) and reused
    const input = elkGraph(m);
    const text = cache ? JSON.stringify(input) : null;
    const key = cache ? layoutKey(text) : null;
    const t0 = Date.now();
    let out = key ? await cache.get(key, text) : null;
    m.cached = out ? out.source || true : false;
    m.layoutKey = key;
    if (!out) {
      const engine = typeof elk === "function" ? await elk() : elk;
      const full = await engine.layout(input);
      out = { width: full.width, height: full.height,
        children: full.children.map((c) => ({ id: c.id, x: c.x, y: c.y })),
        edges: (full.edges || []).map((e) => ({ id: e.id, sections: e.sections })) };
      if (key) await cache.set(key, out, input);
    }
    m.layoutMs = Date.now() - t0;
    const pos = new Map(out.children.map((c) => [c.id, c]));
    for (const n of m.nodes) { const c = pos.get(n.id); n.x = c.x; n.y = c.y; }
    const routes = new Map((out.edges || []).map((e) => [e.id, e]));
    for (const e of m.edges) {
      const r = routes.get(e.id);
      e.points = [];
      for (const s of (r && r.sections) || []) {
        e.points.push([s.startPoint.x, s.startPoint.y]);
        for (const b of s.bendPoints || []) e.points.push([b.x, b.y]);
        e.points.push([s.endPoint.x, s.endPoint.y]);
      }
    }
    m.width = Math.ceil(out.width);
    m.height = Math.ceil(out.height);
    return m;
  }

  function legendEntries(m, labels) {
    const lab = labels.gap_status || {};
    const col = labels.gap_status_colours || {};
    const items = Object.keys(lab).map((s) => ({ status: s, label: lab[s], stroke: (col[s] || {}).stroke || (DEFAULT_COLOURS[s] || DEFAULT_COLOURS.none)[0], fill: (col[s] || {}).fill || (DEFAULT_COLOURS[s] || DEFAULT_COLOURS.none)[1] }));
    items.push({ status: "external", label: pick(m.lang, "相邻链环节", "other chain"), stroke: EXTERNAL[0], fill: EXTERNAL[1], dashed: true });
    return items;
  }

  /** The laid-out model as a standalone SVG string (inline attributes only, CJK font stack). */
  function toSvg(m, opts) {
    const o = opts || {};
    const labels = o.labels || {};
    const lang = m.lang;
    const col = labels.gap_status_colours || {};
    const colours = (s) => (col[s] ? [col[s].stroke, col[s].fill] : DEFAULT_COLOURS[s] || DEFAULT_COLOURS.none);
    const measure = o.measure || estimate;
    const cap = (s) => (lang === "en" && s ? s[0].toUpperCase() + s.slice(1) : s);
    // legend rows under the diagram, wrapped to its width
    const entries = legendEntries(m, labels);
    const width = Math.max(m.width, 640);
    const rows = [[]];
    let lx = 0;
    for (const it of entries) {
      const w = 30 + measure(cap(it.label), SIZE.legend, false);
      if (rows[rows.length - 1].length && lx + w > width - 36) { rows.push([]); lx = 0; }
      rows[rows.length - 1].push({ ...it, x: lx });
      lx += w + 22;
    }
    const legendY = m.height + 6;
    const height = legendY + 22 * rows.length + 34;
    const out = [];
    out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="cm-chain chain-svg" data-chain-id="${esc(m.chain || "")}" ` +
      `data-layout="elk" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" ` +
      `font-family="${esc(FONT_FAMILY)}" font-size="${SIZE.name}" role="img" aria-label="${esc(o.title || "")}">`);
    out.push(`<title>${esc(o.title || "")}</title>`);
    out.push('<defs><marker id="cm-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#4a5568"/></marker>' +
      '<marker id="cm-arrow-x" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#a0aec0"/></marker>' +
      '<marker id="cm-arrow-hl" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#d97706"/></marker></defs>');
    out.push(`<rect class="cm-bg" x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
    if (o.title) out.push(`<text class="cm-title" x="18" y="24" font-size="${SIZE.title}" font-weight="bold" fill="#1a202c">${esc(o.title)}</text>`);
    if (o.subtitle) out.push(`<text class="cm-subtitle" x="18" y="${24 + SIZE.meta + 6}" font-size="${SIZE.meta}" fill="#4a5568">${esc(o.subtitle)}</text>`);
    out.push('<g class="cm-links">');
    for (const e of m.edges) {
      if (!e.points || e.points.length < 2) continue;
      const d = "M" + e.points.map((p) => `${p[0].toFixed(1)},${p[1].toFixed(1)}`).join(" L");
      const cls = `cm-link cm-link-${e.kind}` + (e.cross ? " cm-link-cross" : "");
      const dash = e.cross ? ' stroke-dasharray="6 4"' : e.kind === "enables" ? ' stroke-dasharray="2 3"' : "";
      out.push(`<path class="${cls}" data-source="${esc(e.source)}" data-target="${esc(e.target)}" d="${d}" fill="none" ` +
        `stroke="${e.cross ? "#a0aec0" : "#4a5568"}" stroke-width="1.3"${dash} marker-end="url(#${e.cross ? "cm-arrow-x" : "cm-arrow"})"/>`);
    }
    out.push("</g>");
    for (const n of m.nodes) {
      const [stroke, fill] = n.external ? EXTERNAL : colours(n.status);
      let attrs;
      if (n.group) {
        attrs = `class="cm-group cm-external" data-group="${esc(n.group)}" data-members="${esc(n.members.join(" "))}" tabindex="0" role="button"`;
      } else if (n.external) {
        attrs = `class="cm-seg cm-external" id="cm-seg-${esc(n.id)}" data-segment-id="${esc(n.id)}" data-external="true" data-stage="${esc(n.stage)}" tabindex="0" role="button"`;
      } else {
        attrs = `class="cm-seg cm-status-${esc(n.status)}" id="cm-seg-${esc(n.id)}" data-segment-id="${esc(n.id)}" data-status="${esc(n.status)}" data-stage="${esc(n.stage)}" tabindex="0" role="button"` +
          (n.local != null ? ` data-local-count="${n.local}"` : "") + (n.priority != null ? ` data-priority="${Number(n.priority).toFixed(4)}"` : "");
      }
      const parts = [`<g ${attrs} transform="translate(${n.x.toFixed(1)},${n.y.toFixed(1)})">`, `<title>${esc(n.name)}</title>`,
        `<rect class="cm-box" width="${n.w}" height="${n.h}" rx="6" fill="${fill}" stroke="${stroke}" stroke-width="${n.external ? 1.2 : 1.8}"${n.external ? ' stroke-dasharray="5 3"' : ""}/>`];
      let y = PAD_Y;
      const tspans = (lines, px) => lines.map((l, i) => `<tspan x="${PAD_X}" dy="${i ? (px * LINE).toFixed(1) : 0}">${esc(l)}</tspan>`).join("");
      y += SIZE.name * 1.0;
      parts.push(`<text class="cm-name" x="${PAD_X}" y="${y.toFixed(1)}" font-size="${SIZE.name}"${n.external ? "" : ' font-weight="bold"'} fill="${n.external ? "#4a5568" : "#1a202c"}">${tspans(n.lines, SIZE.name)}</text>`);
      y += (n.lines.length - 1) * SIZE.name * LINE + SIZE.meta * LINE;
      if (n.metaLines.length) {
        parts.push(`<text class="cm-count" x="${PAD_X}" y="${y.toFixed(1)}" font-size="${SIZE.meta}" fill="${n.external ? "#718096" : "#4a5568"}">${tspans(n.metaLines, SIZE.meta)}</text>`);
        y += (n.metaLines.length - 1) * SIZE.meta * LINE;
      }
      if (n.firmLines.length) {
        y += 4 + SIZE.firm * LINE;
        parts.push(`<text class="cm-firms" x="${PAD_X}" y="${y.toFixed(1)}" font-size="${SIZE.firm}" fill="#1a202c">${tspans(n.firmLines, SIZE.firm)}</text>`);
      }
      parts.push("</g>");
      out.push(parts.join(""));
    }
    out.push(`<g class="cm-legend" transform="translate(18,${legendY})">`);
    rows.forEach((row, i) => {
      for (const it of row) {
        out.push(`<g class="cm-legend-item" data-status="${esc(it.status)}"><rect x="${it.x}" y="${22 * i}" width="22" height="14" rx="3" fill="${it.fill}" stroke="${it.stroke}"${it.dashed ? ' stroke-dasharray="4 2"' : ' stroke-width="1.8"'}/>` +
          `<text x="${it.x + 28}" y="${22 * i + 12}" font-size="${SIZE.legend}" fill="#2d3748">${esc(cap(it.label))}</text></g>`);
      }
    });
    const ly = 22 * rows.length + 10;
    let x = 0;
    for (const [colour, dash, label] of [["#4a5568", "", pick(lang, "供应关系", "supplies")], ["#4a5568", ' stroke-dasharray="2 3"', pick(lang, "技术支撑", "enables")],
      ["#a0aec0", ' stroke-dasharray="6 4"', pick(lang, "跨链关系", "cross-chain")], [null, "", pick(lang, "◆ 卡脖子环节", "◆ chokepoint")]]) {
      if (colour) out.push(`<line x1="${x}" y1="${ly}" x2="${x + 34}" y2="${ly}" stroke="${colour}" stroke-width="1.4"${dash}/>`);
      const tx = colour ? x + 40 : x;
      out.push(`<text x="${tx}" y="${ly + 4}" font-size="${SIZE.legend}" fill="#2d3748">${esc(label)}</text>`);
      x = tx + measure(label, SIZE.legend, false) + 22;
    }
    out.push("</g></svg>");
    return out.join("");
  }

  /** Whether every wrapped line of a model fits its box when measured by ``measure`` (a model
   * wrapped with another measure, e.g. the estimate of a layout precomputed in Node). */
  function fits(m, measure) {
    const inner = BOX_W - 2 * PAD_X;
    return m.nodes.every((n) => (n.lines || []).every((l) => measure(l, SIZE.name, !n.external) <= inner)
      && (n.metaLines || []).every((l) => measure(l, SIZE.meta, false) <= inner)
      && (n.firmLines || []).every((l) => measure(l, SIZE.firm, false) <= inner));
  }

  return { fits, STAGES, SIZE, BOX_W, FONT_FAMILY, ELK_OPTIONS, estimate, wrap, wrapParts, model, elkGraph, layout, layoutKey, toSvg, hash };
});
