/* chainmap chain map (/ui/): the chain laid out by ELK (api/static/chainlayout.js), coloured by
 * the gap status of the label catalogue; click a box to highlight its links and open its panel;
 * a list view for phones; SVG / PNG / PDF downloads of what is shown. Shell and API helpers:
 * common.js (window.cm). Plain JS, no remote code. */
"use strict";

(function () {
  const cm = window.cm;
  const CL = window.ChainLayout;

  cm.strings({
    zh: {
      title: "运城市“合汽生材”产业链图谱",
      chain: "产业链", region: "区域", search: "搜索",
      searchPlaceholder: "环节或企业名称",
      report: "诊断报告", graph: "图谱",
      viewMap: "图", viewList: "列表", expandExternal: "展开相邻链环节", showFirms: "显示企业名称",
      zoomIn: "放大", zoomOut: "缩小", zoom100: "原始大小", zoomFit: "适应宽度",
      priority: "优先级", numbers: "依据数据", rationale: "诊断说明",
      localEnterprises: "本地企业", leads: "招商线索（前 5）", none: "暂无",
      noLeads: "该环节无补链、强链或延链缺口，不排招商线索。", leadsOtherChain: "请在其所在产业链中查看招商线索。",
      demoPool: "演示候选池（尚未导入候选企业）",
      score: "得分", total: "共 {n} 家", segmentsOf: "{n} 个环节",
      external: "其他产业链的相邻环节", openChain: "打开所在产业链",
      notInGaps: "本链诊断中无此环节。",
      searchSeg: "匹配环节 {n} 个", searchEnt: "企业“{q}”：{n} 个环节", searchNone: "未找到“{q}”",
      searchOutside: "（部分不在当前链）",
      statusLine: "{chain} · {region} · {n} 个环节 · 点击方框查看关联、企业、诊断与线索",
      links: "{name}：上游 {up} 条、下游 {down} 条关联已高亮",
      layingOut: "正在排布…",
      coverage: "数据覆盖",
      downloadFailed: "下载失败", pdfPages: "PDF：A4 横向 {n} 页（文字不小于 8 磅）",
      linksUpDown: "上游关联 {up} 条 · 下游关联 {down} 条", localCount: "本地企业 {n} 家",
      stageHead: "{stage}（{n}）",
    },
    en: {
      title: "Yuncheng “He-Qi-Sheng-Cai” industrial chain map",
      chain: "Chain", region: "Region", search: "Search",
      searchPlaceholder: "segment or enterprise name",
      report: "Gap report", graph: "Graph",
      viewMap: "Map", viewList: "List", expandExternal: "Expand other chains", showFirms: "Show firm names",
      zoomIn: "Zoom in", zoomOut: "Zoom out", zoom100: "Actual size", zoomFit: "Fit width",
      priority: "Priority", numbers: "Numbers", rationale: "Rationale",
      localEnterprises: "Local enterprises", leads: "Top leads (5)", none: "None",
      noLeads: "No fill, strengthen or extend gap here, so no leads are ranked.",
      leadsOtherChain: "See its leads in its own chain.",
      demoPool: "Demo candidate pool (no candidates imported yet)",
      score: "score", total: "{n} in total", segmentsOf: "{n} segments",
      external: "Neighbour segment of another chain", openChain: "Open its chain",
      notInGaps: "This segment is not in this chain's gap analysis.",
      searchSeg: "{n} matching segments", searchEnt: "Enterprise “{q}”: {n} segments", searchNone: "Nothing found for “{q}”",
      searchOutside: " (some outside this chain)",
      statusLine: "{chain} · {region} · {n} segments · click a box for its links, firms, rationale and leads",
      links: "{name}: {up} upstream and {down} downstream links highlighted",
      layingOut: "Laying out…",
      coverage: "Data coverage",
      downloadFailed: "Download failed", pdfPages: "PDF: {n} A4 landscape pages (text 8 pt or larger)",
      linksUpDown: "{up} upstream links · {down} downstream links", localCount: "local firms: {n}",
      stageHead: "{stage} ({n})",
    },
  });

  const state = {
    chains: [], regions: [], chain: null, region: "yuncheng",
    segments: [], gaps: new Map(), gapsBody: null, gapsError: null, graph: null,
    selected: null, svgToken: 0, panelToken: 0,
    collapse: true, firms: false, zoom: 1, view: "map", model: null,
  };

  const $ = (sel) => document.querySelector(sel);
  const t = cm.t;
  const el = cm.el;
  const lab = cm.lab;
  const codes = cm.codes;
  const cap = cm.cap;
  const fmt = cm.fmt;
  const nameOf = cm.nameOf;
  const getJSON = cm.getJSON;
  const errorBox = cm.errorBox;
  const showMessage = cm.showError;
  const chainById = (id) => state.chains.find((c) => c.id === id);
  const regionById = (id) => state.regions.find((r) => r.id === id);
  const segmentById = (id) => state.segments.find((s) => s.id === id);

  function fillChainSelect() {
    const sel = $("#chain-select");
    sel.replaceChildren();
    // 合汽生材: the catalogue order of the seed's top chains (letters), sub-chains under their parent
    const tops = state.chains.filter((c) => !c.parent);
    for (const c of tops) {
      sel.append(el("option", { value: c.id, text: `${c.letter} · ${nameOf(c)}` }));
      for (const sub of state.chains.filter((s) => s.parent === c.id)) {
        sel.append(el("option", { value: sub.id, text: `\u3000${c.letter} › ${nameOf(sub)}` }));
      }
    }
    sel.value = state.chain;
  }

  function fillRegionSelect() {
    const sel = $("#region-select");
    sel.replaceChildren();
    for (const kind of codes("region_kind")) {
      const items = state.regions.filter((r) => r.kind === kind);
      if (!items.length) continue;
      const g = el("optgroup", { label: cap(lab("region_kind", kind)) });
      for (const r of items) g.append(el("option", { value: r.id, text: nameOf(r) }));
      sel.append(g);
    }
    sel.value = state.region;
  }

  function syncUrl() {
    const q = new URLSearchParams({ chain: state.chain, region: state.region });
    if (cm.lang !== "zh") q.set("lang", cm.lang);
    if (state.selected) q.set("segment", state.selected);
    if (state.view !== "map") q.set("view", state.view);
    if (!state.collapse) q.set("external", "1");
    if (state.firms) q.set("firms", "1");
    history.replaceState(null, "", `${location.pathname}?${q}`);
  }

  /* ---------------------------------------------------------------- diagram */

  function boxes() {
    return Array.from($("#diagram").querySelectorAll("[data-segment-id]"));
  }
  function boxFor(id) {
    return boxes().find((b) => b.getAttribute("data-segment-id") === id) || null;
  }
  function isExternal(box) {
    return box.getAttribute("data-external") === "true";
  }
  function boxStatus(box) {
    return box.getAttribute("data-status") || "";
  }

  let measureCtx = null;
  /** Text width in px with the diagram's font (the layout wraps labels with it). */
  function measure(text, px, bold) {
    if (!measureCtx) measureCtx = document.createElement("canvas").getContext("2d");
    measureCtx.font = `${bold ? "bold " : ""}${px}px ${CL.FONT_FAMILY}`;
    return measureCtx.measureText(String(text)).width * 1.03 + 1; // a little slack: never cut
  }

  function diagramTitle() {
    const c = chainById(state.chain);
    const r = regionById(state.region);
    return `${c ? c.letter + " · " : ""}${nameOf(c)} — ${nameOf(r)}`;
  }

  /** Lay out and draw the current chain (graph JSON and gaps already loaded). */
  async function drawDiagram() {
    const token = ++state.svgToken;
    const box = $("#diagram");
    box.setAttribute("aria-busy", "true");
    Object.assign(box.dataset, { chain: state.chain, region: state.region, lang: cm.lang });
    try {
      if (!state.graph) throw state.graphError || new cm.ApiError(0, { detail: "no graph" });
      const opts = { lang: cm.lang, gaps: state.gaps, collapse: state.collapse, firms: state.firms, measure, labels: cm.labels() };
      let m = CL.model(state.graph, opts);
      if (!box.querySelector("svg")) box.replaceChildren(el("p", { class: "muted diagram-wait", text: t("layingOut") }));
      const input = JSON.stringify(CL.elkGraph(m));
      let kept = await layoutCache.get(CL.layoutKey(input), input);
      if (!kept) { // nobody laid this out yet: the layout shipped for the seed, when it matches
        const shipped = await shippedLayout(opts);
        if (shipped) { m = shipped.model; kept = shipped.output; }
      }
      await CL.layout(elkEngine, m, kept ? { get: () => kept, set: () => {} } : layoutCache);
      if (token !== state.svgToken) return;
      state.model = m;
      const text = CL.toSvg(m, { labels: cm.labels(), measure, title: diagramTitle(), subtitle: subtitle() });
      const doc = new DOMParser().parseFromString(text, "image/svg+xml");
      const svg = document.importNode(doc.documentElement, true);
      box.replaceChildren(svg);
      Object.assign(box.dataset, { nodes: String(m.nodes.length), edges: String(m.edges.length), collapsed: String(state.collapse),
        layoutMs: String(m.layoutMs), layoutCached: String(m.cached), layoutKey: m.layoutKey || "" });
      mark("chainmap-diagram");
      applyZoom();
      markSelected();
      if (state.selected) highlightLinks(state.selected);
      runSearch(false);
    } catch (err) {
      if (token !== state.svgToken) return;
      box.replaceChildren(errorBox(err));
    } finally {
      if (token === state.svgToken) box.removeAttribute("aria-busy");
    }
  }

  /** A performance mark, once per page view (the browser tests read them: time to content, to diagram). */
  function mark(name) {
    try { if (!performance.getEntriesByName(name).length) performance.mark(name); } catch (_) { /* old browser */ }
  }

  /** The ELK engine, made on first need: in a Web Worker (vendor/elk-worker.min.js, so the page
   * stays responsive while it lays out) or, where workers fail, elk.bundled.js on the page. */
  let elkPromise = null;
  function elkEngine() {
    if (!elkPromise) {
      elkPromise = (async () => {
        const api = document.querySelector('script[src*="vendor/elk-api.js"]');
        if (api && window.ELK && typeof Worker === "function") {
          try { return new window.ELK({ workerUrl: api.src.replace("elk-api.js", "elk-worker.min.js") }); } catch (_) { /* below */ }
        }
        const src = api ? api.getAttribute("src").replace("elk-api.js", "elk.bundled.js") : "vendor/elk.bundled.js";
        await loadScript(src);
        return new window.ELK();
      })();
      elkPromise.catch(() => { elkPromise = null; });
    }
    return elkPromise;
  }

  /** Finished ELK layouts: this browser's few newest in localStorage, and the server's shared
   * ones (GET/PUT /ui/layouts/<key>: the first visitor's browser lays a chain out, every later
   * visitor draws it at once). The server checks what is posted against the chain. */
  const layoutCache = {
    max: 12,
    local(key) {
      try { const v = localStorage.getItem("chainmap.layout." + key); return v ? JSON.parse(v) : null; } catch (_) { return null; }
    },
    keep(key, value) {
      try {
        const index = JSON.parse(localStorage.getItem("chainmap.layout.index") || "[]").filter((k) => k !== key);
        index.push(key);
        while (index.length > this.max) localStorage.removeItem("chainmap.layout." + index.shift());
        localStorage.setItem("chainmap.layout." + key, JSON.stringify(value));
        localStorage.setItem("chainmap.layout.index", JSON.stringify(index));
      } catch (_) { /* storage full or disabled: lay out again next time */ }
    },
    async get(key, text) {
      const kept = this.local(key);
      if (kept) return Object.assign(kept, { source: "local" });
      try {
        const resp = await fetch(`/ui/layouts/${encodeURIComponent(key)}`, { headers: cm.authHeaders(), cache: "no-store" });
        if (resp.status !== 200) return null; // 204: nobody laid this input out yet
        const body = await resp.json();
        if (JSON.stringify(body.input) !== text) return null; // another input with the same hash
        this.keep(key, body.output);
        return Object.assign(body.output, { source: "server" });
      } catch (_) { return null; }
    },
    set(key, value, input) {
      this.keep(key, value);
      const body = JSON.stringify({ chain: state.chain, input, output: value });
      fetch(`/ui/layouts/${encodeURIComponent(key)}`, { method: "PUT", body,
        headers: { ...cm.authHeaders(), "Content-Type": "application/json" } }).catch(() => { /* shared next time */ });
    },
  };

  /** The layout precomputed for the shipped seed at build time (scripts/build-web.sh ->
   * api/static/prelayout/<key>.json; Node wraps labels with chainlayout.js's estimate): used
   * when the ELK input of this view wrapped the same way hashes to a shipped file, holds the
   * same input, and every wrapped line fits its box in this page's font (nothing cut);
   * otherwise null (the chain is laid out here, as before). Returns {model, output}. */
  let shippedKeys = null; // the keys listed in prelayout/index.json, fetched once
  function shippedIndex() {
    if (!shippedKeys) {
      shippedKeys = fetch("prelayout/index.json")
        .then((r) => (r.status === 200 ? r.json() : []))
        .then((keys) => new Set(keys))
        .catch(() => new Set());
    }
    return shippedKeys;
  }

  async function shippedLayout(opts) {
    if (opts.firms) return null;
    const m = CL.model(state.graph, { ...opts, measure: undefined });
    if (!CL.fits(m, measure)) return null;
    const text = JSON.stringify(CL.elkGraph(m));
    const key = CL.layoutKey(text);
    const file = key.replace(/:/g, "-");
    try {
      if (!(await shippedIndex()).has(file)) return null; // not shipped (an edited chain): no request
      const resp = await fetch(`prelayout/${file}.json`);
      if (resp.status !== 200) return null;
      const body = await resp.json();
      if (JSON.stringify(body.input) !== text) return null;
      return { model: m, output: Object.assign(body.output, { source: "shipped" }) };
    } catch (_) { return null; }
  }

  function subtitle() {
    const day = new Date().toISOString().slice(0, 10);
    return cm.lang === "en" ? `Layout: ELK layered · ${day} · chainmap` : `自动排布（ELK 分层）· ${day} · chainmap`;
  }

  function applyZoom() {
    const svg = $("#diagram svg");
    if (!svg) return;
    const w = parseFloat(svg.getAttribute("width"));
    const h = parseFloat(svg.getAttribute("height"));
    svg.style.width = `${Math.round(w * state.zoom)}px`;
    svg.style.height = `${Math.round(h * state.zoom)}px`;
    $("#diagram").dataset.zoom = String(state.zoom);
  }

  function setZoom(z) {
    state.zoom = Math.max(0.2, Math.min(3, Math.round(z * 100) / 100));
    applyZoom();
  }

  function fitZoom() {
    const svg = $("#diagram svg");
    if (!svg) return;
    const avail = $(".diagram-wrap").clientWidth - 24;
    setZoom(Math.min(1, avail / parseFloat(svg.getAttribute("width"))));
  }

  function markSelected() {
    for (const b of boxes()) b.classList.toggle("cm-selected", b.getAttribute("data-segment-id") === state.selected);
  }

  /** Highlight the links into and out of ``id`` and the boxes at their other ends. */
  function highlightLinks(id) {
    const dg = $("#diagram");
    let up = 0;
    let down = 0;
    const ends = new Set([id]);
    for (const p of dg.querySelectorAll(".cm-link")) {
      const s = p.getAttribute("data-source");
      const tg = p.getAttribute("data-target");
      const on = s === id || tg === id;
      p.classList.toggle("cm-link-hl", on);
      if (on) {
        if (tg === id) { up++; ends.add(s); } else { down++; ends.add(tg); }
        p.parentNode.append(p); // drawn on top
      }
    }
    for (const g of dg.querySelectorAll("[data-segment-id], [data-group]")) {
      const key = g.getAttribute("data-segment-id") || `group:${g.getAttribute("data-group")}`;
      g.classList.toggle("cm-near", ends.has(key));
    }
    dg.classList.toggle("focusing", !!id);
    dg.dataset.highlighted = String(up + down);
    const box = boxFor(id);
    const title = box ? (box.querySelector("title") || {}).textContent || id : id;
    $("#status-line").textContent = t("links", { name: title, up, down });
  }

  function clearLinks() {
    const dg = $("#diagram");
    dg.classList.remove("focusing");
    dg.querySelectorAll(".cm-link-hl").forEach((p) => p.classList.remove("cm-link-hl"));
    dg.querySelectorAll(".cm-near").forEach((p) => p.classList.remove("cm-near"));
    delete dg.dataset.highlighted;
  }

  function selectSegment(id) {
    highlightLinks(id);
    openPanel(id);
  }

  function onDiagramClick(ev) {
    const g = ev.target.closest && ev.target.closest("[data-group]");
    if (g) { setCollapse(false); return; }
    const b = ev.target.closest && ev.target.closest("[data-segment-id]");
    if (!b) return;
    selectSegment(b.getAttribute("data-segment-id"));
  }

  function onDiagramKey(ev) {
    if (ev.key !== "Enter" && ev.key !== " ") return;
    const g = ev.target.closest && ev.target.closest("[data-group]");
    const b = ev.target.closest && ev.target.closest("[data-segment-id]");
    if (!g && !b) return;
    ev.preventDefault();
    if (g) setCollapse(false);
    else selectSegment(b.getAttribute("data-segment-id"));
  }

  function setCollapse(collapse) {
    state.collapse = collapse;
    $("#toggle-external").checked = !collapse;
    syncUrl();
    return drawDiagram();
  }

  /* ---------------------------------------------------------------- legend, coverage, list */

  function renderLegend() {
    const node = $("#legend");
    const cat = cm.labels();
    const col = cat.gap_status_colours || {};
    const items = codes("gap_status").map((s) => el("span", { class: "legend-item", "data-status": s, title: (cat.gap_status_meaning || {})[s] || null },
      el("span", { class: "swatch", style: `background:${(col[s] || {}).fill};border-color:${(col[s] || {}).stroke}` }), cap(lab("gap_status", s))));
    items.push(el("span", { class: "legend-item", "data-status": "external" }, el("span", { class: "swatch external" }), cm.lang === "en" ? "Other chain" : "相邻链环节"));
    node.replaceChildren(...items);
  }

  /** The coverage line, when the gaps answer carries ``coverage`` (how complete the data is). */
  function renderCoverage() {
    const node = $("#coverage");
    const cov = state.gapsBody && state.gapsBody.coverage;
    if (cov == null) { node.hidden = true; node.replaceChildren(); return; }
    let text;
    if (typeof cov === "string") text = cov;
    else if (cov.text || cov.summary || cov.note) text = cov.text || cov.summary || cov.note;
    else {
      text = Object.entries(cov).filter(([, v]) => v == null || typeof v !== "object")
        .map(([k, v]) => `${lab("gap_component", k) !== k ? lab("gap_component", k) : k}: ${v}`).join(" · ");
    }
    node.replaceChildren(el("strong", { text: `${t("coverage")}：` }), text);
    node.hidden = false;
  }

  function renderList() {
    const node = $("#list-view");
    const degree = new Map();
    for (const l of (state.graph || { links: [] }).links) {
      if (l.kind === "part_of") continue;
      const d1 = degree.get(l.target) || { up: 0, down: 0 };
      d1.up++; degree.set(l.target, d1);
      const d2 = degree.get(l.source) || { up: 0, down: 0 };
      d2.down++; degree.set(l.source, d2);
    }
    const sections = [];
    for (const stage of codes("segment_stage")) {
      const segs = state.segments.filter((s) => s.stage === stage)
        .sort((a, b) => (a.order || 0) - (b.order || 0) || a.id.localeCompare(b.id));
      if (!segs.length) continue;
      const items = segs.map((s) => {
        const gap = state.gaps.get(s.id);
        const d = degree.get(s.id) || { up: 0, down: 0 };
        return el("li", {},
          el("button", { type: "button", class: "list-seg", "data-segment-id": s.id, onclick: () => openPanel(s.id) },
            el("span", { class: "list-name", text: nameOf(s) + (s.chokepoint ? " ◆" : "") }),
            el("span", { class: "list-meta" },
              gap ? statusBadge(gap.status) : null,
              gap ? el("span", { text: t("localCount", { n: gap.local_count }) }) : null,
              el("span", { text: t("linksUpDown", d) }))));
      });
      sections.push(el("section", { class: "list-stage", "data-stage": stage },
        el("h3", { text: t("stageHead", { stage: cap(lab("segment_stage", stage)), n: segs.length }) }), el("ul", {}, items)));
    }
    node.replaceChildren(...sections);
  }

  function setView(view) {
    state.view = view === "list" ? "list" : "map";
    $("#diagram").hidden = state.view !== "map";
    $("#list-view").hidden = state.view !== "list";
    document.body.dataset.view = state.view;
    for (const b of document.querySelectorAll(".view-switch button")) b.setAttribute("aria-pressed", String(b.dataset.view === state.view));
    syncUrl();
  }

  /* ---------------------------------------------------------------- data per chain/region */

  async function loadGaps() {
    state.gaps = new Map();
    const body = await getJSON("/gaps", { chain: state.chain, region: state.region, lang: cm.lang, page_size: 1000 });
    for (const g of body.items || []) state.gaps.set(g.segment_id, g);
    state.gapsBody = body;
    return body;
  }

  async function loadGraph() {
    state.graph = null;
    state.graphError = null;
    try {
      state.graph = await getJSON(`/chains/${encodeURIComponent(state.chain)}/graph`, { format: "json", region: state.region });
    } catch (err) {
      state.graphError = err;
      throw err;
    }
  }

  function updateStatusLine() {
    const c = chainById(state.chain);
    const r = regionById(state.region);
    $("#status-line").textContent = t("statusLine", { chain: nameOf(c), region: nameOf(r), n: state.segments.length });
    $("#print-title").textContent = diagramTitle();
  }

  async function refresh({ segments = false } = {}) {
    showMessage(null);
    syncUrl();
    const box = $("#diagram");
    box.setAttribute("aria-busy", "true");
    Object.assign(box.dataset, { chain: state.chain, region: state.region, lang: cm.lang });
    const jobs = [loadGraph()];
    if (segments) jobs.push(getJSON(`/chains/${encodeURIComponent(state.chain)}/segments`).then((s) => { state.segments = s; }));
    state.gapsError = null;
    jobs.push(loadGaps().catch((err) => { state.gaps = new Map(); state.gapsBody = null; state.gapsError = err; }));
    const results = await Promise.allSettled(jobs);
    const failed = results.find((r) => r.status === "rejected");
    if (failed) showMessage(failed.reason);
    updateStatusLine();
    renderLegend();
    renderCoverage();
    renderList();
    mark("chainmap-content");
    await drawDiagram();
    if (state.selected) openPanel(state.selected);
  }

  /* ---------------------------------------------------------------- panel */

  function regionFilter() {
    // the server applies the one locality rule (a county includes its zones' firms)
    const r = regionById(state.region);
    return r ? { region: r.id } : {};
  }

  function section(title, content) {
    return el("section", { class: "panel-section" }, el("h3", { text: title }), content);
  }

  function loadingNode() {
    return el("p", { class: "muted", text: t("loading") });
  }

  function fmtNumber(v) {
    if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(3).replace(/0+$/, "").replace(/\.$/, "");
    if (v == null) return "—";
    return typeof v === "object" ? JSON.stringify(v) : String(v);
  }

  function statusBadge(status) {
    if (!codes("gap_status").includes(status)) return null;
    return el("span", { class: `badge st-${status}`, text: cap(lab("gap_status", status)) });
  }

  async function openPanel(segmentId) {
    const token = ++state.panelToken;
    state.selected = segmentId;
    markSelected();
    syncUrl();
    const panel = $("#panel");
    const body = $("#panel-body");
    panel.hidden = false;
    panel.dataset.segment = segmentId;

    const box = boxFor(segmentId);
    const external = box ? isExternal(box) : !segmentById(segmentId);
    let seg = segmentById(segmentId);
    const gap = state.gaps.get(segmentId);
    const status = gap ? gap.status : box ? boxStatus(box) : "";

    const head = el("header", { class: "panel-head" },
      el("h2", { id: "panel-title", text: (gap && gap.segment_name) || nameOf(seg) || segmentId }),
      el("div", { class: "meta" },
        // the id is for machines (tests, links): kept in the page, not shown to people
        el("span", { id: "panel-segment-id", hidden: true, text: segmentId }),
        seg ? el("span", { text: cap(lab("segment_stage", seg.stage)) }) : null,
        statusBadge(status)));

    const gapSec = el("div", { id: "panel-gap" });
    const entSec = el("div", { id: "panel-enterprises" }, loadingNode());
    const leadSec = el("div", { id: "panel-leads" }, loadingNode());
    body.replaceChildren(head, gapSec,
      section(t("localEnterprises"), entSec),
      section(t("leads"), leadSec));

    if (external || !seg) {
      gapSec.append(el("p", { class: "muted", text: t("external") }));
      try {
        seg = await getJSON(`/segments/${encodeURIComponent(segmentId)}`);
        if (token !== state.panelToken) return;
        $("#panel-title").textContent = nameOf(seg);
        if (seg.chain && seg.chain !== state.chain && chainById(seg.chain)) {
          gapSec.append(el("button", {
            type: "button", class: "link", text: `${t("openChain")}: ${nameOf(chainById(seg.chain))}`,
            onclick: () => { state.selected = segmentId; selectChain(seg.chain); },
          }));
        }
      } catch (err) {
        if (token !== state.panelToken) return;
        gapSec.append(errorBox(err));
      }
    } else if (gap) {
      renderGap(gapSec, gap);
    } else {
      gapSec.append(state.gapsError ? errorBox(state.gapsError) : el("p", { class: "muted", text: t("notInGaps") }));
    }

    const entJob = getJSON("/enterprises", { segment: segmentId, page_size: 100, ...regionFilter() })
      .then((page) => { if (token === state.panelToken) renderEnterprises(entSec, page); })
      .catch((err) => { if (token === state.panelToken) entSec.replaceChildren(errorBox(err)); });
    // leads are ranked for 招商 targets only (fill, strengthen, extend: the catalogue's
    // gap_status_targets); other statuses (or another chain's segment) have none to show
    let leadJob = Promise.resolve();
    const targets = cm.labels().gap_status_targets || ["fill", "strengthen", "extend"];
    if (!external && targets.includes(status)) {
      leadJob = getJSON("/leads", { gap: segmentId, k: 5, region: state.region, lang: cm.lang })
        .then((page) => { if (token === state.panelToken) renderLeads(leadSec, page); })
        .catch((err) => { if (token === state.panelToken) leadSec.replaceChildren(errorBox(err)); });
    } else {
      leadSec.replaceChildren(el("p", { class: "muted", text: t(external ? "leadsOtherChain" : "noLeads") }));
    }
    await Promise.all([entJob, leadJob]);
    if (token === state.panelToken) panel.dataset.loaded = segmentId;
  }

  function renderGap(node, gap) {
    const rows = Object.entries(gap.components || {}).map(([k, v]) =>
      el("tr", {}, el("th", { scope: "row", "data-code": k }, lab("gap_component", k)),
        el("td", { text: fmtNumber(v) })));
    node.append(
      el("p", { class: "gap-line" }, el("span", { text: `${t("priority")}: ${fmtNumber(gap.priority)}` })),
      section(t("rationale"), el("p", { class: "rationale", text: gap.rationale || "—" })),
      rows.length ? section(t("numbers"), el("table", { class: "numbers" }, el("tbody", {}, rows))) : null,
    );
  }

  function renderEnterprises(node, page) {
    const items = page.items || [];
    if (!items.length) { node.replaceChildren(el("p", { class: "muted", text: t("none") })); return; }
    const list = el("ul", { class: "ents" });
    for (const e of items) {
      const where = [e.county, e.zone].filter(Boolean).map((id) => nameOf(regionById(id)) || id).join(" · ");
      const tags = (e.tags || []).map((tag) => el("span", { class: "tag", text: lab("tag", tag) }));
      const name = cm.lang === "en" && e.name_en ? e.name_en : e.name;
      list.append(el("li", { "data-enterprise-id": e.id || "" },
        el("span", { class: "ent-name", text: name }), tags, where ? el("small", { text: where }) : null));
    }
    node.replaceChildren(list, el("p", { class: "muted", text: fmt(t("total"), { n: page.total ?? items.length }) }));
  }

  function renderLeads(node, page) {
    const items = page.items || [];
    if (!items.length) { node.replaceChildren(el("p", { class: "muted", text: t("none") })); return; }
    const list = el("ol", { class: "leads" });
    for (const l of items) {
      list.append(el("li", {},
        el("div", {}, el("span", { class: "ent-name", text: l.name }),
          el("span", { class: "score", text: `${t("score")} ${fmtNumber(l.score)}` })),
        l.reason ? el("div", { class: "reason", text: l.reason }) : null));
    }
    node.replaceChildren(list);
    if (items.some((l) => l.demo)) node.append(el("p", { class: "muted", text: t("demoPool") }));
  }

  function closePanel() {
    state.panelToken++;
    state.selected = null;
    $("#panel").hidden = true;
    delete $("#panel").dataset.segment;
    markSelected();
    clearLinks();
    updateStatusLine();
    syncUrl();
  }

  /* ---------------------------------------------------------------- search */

  let searchTimer = null;
  let searchToken = 0;

  function setHighlight(ids, note) {
    const diagram = $("#diagram");
    const set = new Set(ids || []);
    diagram.classList.toggle("searching", ids != null);
    for (const b of boxes()) b.classList.toggle("cm-hl", set.has(b.getAttribute("data-segment-id")));
    if (note != null) $("#status-line").textContent = note;
    else updateStatusLine();
  }

  function matchSegments(q) {
    const needle = q.toLowerCase();
    const hits = new Set();
    for (const s of state.segments) {
      const hay = [s.id, s.name_zh, s.name_en, ...(s.aliases || [])].join("\u0001").toLowerCase();
      if (hay.includes(needle)) hits.add(s.id);
    }
    // neighbour segments drawn from other chains: match their id or visible label
    for (const b of boxes()) {
      const id = b.getAttribute("data-segment-id");
      if (hits.has(id)) continue;
      if (id.toLowerCase().includes(needle) || (b.textContent || "").toLowerCase().includes(needle)) hits.add(id);
    }
    return Array.from(hits);
  }

  async function runSearch(openSingle) {
    const q = $("#search").value.trim();
    const token = ++searchToken;
    if (!q) { setHighlight(null); return; }
    const segs = matchSegments(q);
    if (segs.length) {
      setHighlight(segs, fmt(t("searchSeg"), { n: segs.length }));
      if (openSingle && segs.length === 1) openPanel(segs[0]);
      return;
    }
    try {
      const page = await getJSON("/enterprises", { name: q, page_size: 50 });
      if (token !== searchToken) return;
      const ids = new Set();
      for (const e of page.items || []) for (const p of e.segments || []) ids.add(p.segment);
      if (!ids.size) { setHighlight([], fmt(t("searchNone"), { q })); return; }
      const shown = Array.from(ids).filter((id) => boxFor(id));
      const outside = shown.length < ids.size ? t("searchOutside") : "";
      const label = (page.items.length === 1 ? page.items[0].name : q);
      setHighlight(Array.from(ids), fmt(t("searchEnt"), { q: label, n: ids.size }) + outside);
      if (openSingle && shown.length === 1) openPanel(shown[0]);
    } catch (err) {
      if (token !== searchToken) return;
      setHighlight([], `${t("error")}: ${err.message}${err.hint ? " — " + err.hint : ""}`);
    }
  }

  /* ---------------------------------------------------------------- downloads */

  function downloadTarget(kind) {
    const c = encodeURIComponent(state.chain);
    const common = { region: state.region, lang: cm.lang };
    switch (kind) {
      case "gaps-html": return ["/gaps", { chain: state.chain, format: "html", ...common }, `gaps-${state.chain}-${state.region}.html`];
      case "gaps-xlsx": return ["/gaps", { chain: state.chain, format: "xlsx", ...common }, `gaps-${state.chain}-${state.region}.xlsx`];
      case "graph-gexf": return [`/chains/${c}/graph`, { format: "gexf", ...common }, `chain-${state.chain}-${state.region}.gexf`];
      case "graph-graphml": return [`/chains/${c}/graph`, { format: "graphml", ...common }, `chain-${state.chain}-${state.region}.graphml`];
      default: return null;
    }
  }

  /** The drawn SVG as a standalone file: without the page's highlight classes, at natural size. */
  function svgText() {
    const svg = $("#diagram svg");
    if (!svg) throw new cm.ApiError(0, { detail: t("downloadFailed") });
    const copy = svg.cloneNode(true);
    copy.removeAttribute("style");
    copy.querySelectorAll(".cm-link-hl, .cm-near, .cm-selected, .cm-hl").forEach((n) => n.classList.remove("cm-link-hl", "cm-near", "cm-selected", "cm-hl"));
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(copy);
  }

  function baseName() {
    return `chain-${state.chain}-${state.region}`;
  }

  /** The SVG drawn into a canvas at ``scale`` (system fonts; nothing leaves the page). */
  function rasterise(scale) {
    const svg = $("#diagram svg");
    const w = parseFloat(svg.getAttribute("width"));
    const h = parseFloat(svg.getAttribute("height"));
    return new Promise((resolve, reject) => {
      const url = URL.createObjectURL(new Blob([svgText()], { type: "image/svg+xml" }));
      const img = new Image();
      img.onload = () => {
        const canvas = document.createElement("canvas");
        canvas.width = Math.round(w * scale);
        canvas.height = Math.round(h * scale);
        const ctx = canvas.getContext("2d");
        ctx.fillStyle = "#fff";
        ctx.fillRect(0, 0, canvas.width, canvas.height);
        ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        resolve(canvas);
      };
      img.onerror = () => { URL.revokeObjectURL(url); reject(new cm.ApiError(0, { detail: t("downloadFailed") })); };
      img.src = url;
    });
  }

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      if (document.querySelector(`script[src="${src}"]`)) { resolve(); return; }
      const s = el("script", { src });
      s.onload = () => resolve();
      s.onerror = () => reject(new cm.ApiError(0, { detail: `${t("downloadFailed")}: ${src}` }));
      document.head.append(s);
    });
  }

  /** PDF, A4 landscape: the drawing at a scale where its smallest text (12 px) prints at 8.5 pt,
   * cut into as many pages as needed (rows x columns, a little overlap), each page a 300 dpi
   * raster. Why raster and not svg2pdf: the labels are Chinese, and vector text in jsPDF needs
   * a CJK font embedded (~10 MB per font, subsetting not available in the browser); the raster
   * keeps the browser's own rendering and is sharp at 300 dpi. */
  const PDF = { pageW: 297, pageH: 210, margin: 10, head: 8, minPt: 8.5, dpi: 300 };
  /** How the drawing is cut into A4 landscape pages: points per drawing px, pages, rows, columns. */
  function pdfPlan() {
    const svg = $("#diagram svg");
    const w = parseFloat(svg.getAttribute("width"));
    const h = parseFloat(svg.getAttribute("height"));
    const smallest = Math.min(...Array.from(svg.querySelectorAll("[font-size]"), (n) => parseFloat(n.getAttribute("font-size"))));
    const ptPerPx = PDF.minPt / smallest; // the smallest text at minPt
    const mmPerPx = ptPerPx * 25.4 / 72;
    const tileW = (PDF.pageW - 2 * PDF.margin) / mmPerPx; // px of the drawing per page
    const tileH = (PDF.pageH - 2 * PDF.margin - PDF.head) / mmPerPx;
    const overlap = 24;
    const cols = Math.max(1, Math.ceil((w - overlap) / (tileW - overlap)));
    const rows = Math.max(1, Math.ceil((h - overlap) / (tileH - overlap)));
    return { w, h, smallest, ptPerPx, mmPerPx, tileW, tileH, overlap, cols, rows, pages: cols * rows, dpi: PDF.dpi };
  }

  async function makePdf() {
    await loadScript("vendor/jspdf.umd.min.js");
    const { jsPDF } = window.jspdf;
    const { w, h, mmPerPx, tileW, tileH, overlap, cols, rows } = pdfPlan();
    const pxPerMm = PDF.dpi / 25.4;
    const scale = mmPerPx * pxPerMm; // canvas px per drawing px at 300 dpi
    const full = await rasterise(scale);
    const pdf = new jsPDF({ orientation: "landscape", unit: "mm", format: "a4", compress: true });
    const title = diagramTitle();
    let page = 0;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const x0 = c * (tileW - overlap);
        const y0 = r * (tileH - overlap);
        const sw = Math.min(tileW, w - x0);
        const sh = Math.min(tileH, h - y0);
        // one page: header line (drawn in the canvas: Chinese text) + the tile
        const headPx = Math.round(PDF.head * pxPerMm);
        const canvas = document.createElement("canvas");
        canvas.width = Math.round(sw * scale);
        canvas.height = Math.round(sh * scale) + headPx;
        const ctx = canvas.getContext("2d");
        ctx.fillStyle = "#fff";
        ctx.fillRect(0, 0, canvas.width, canvas.height);
        ctx.fillStyle = "#1a202c";
        ctx.font = `${Math.round(10 * PDF.dpi / 72)}px ${CL.FONT_FAMILY}`;
        ctx.fillText(`${title} · ${++page}/${rows * cols}${rows * cols > 1 ? (cm.lang === "en" ? ` (row ${r + 1}, column ${c + 1})` : `（第 ${r + 1} 行第 ${c + 1} 列）`) : ""}`, 0, headPx * 0.7);
        ctx.drawImage(full, Math.round(x0 * scale), Math.round(y0 * scale), canvas.width, canvas.height - headPx, 0, headPx, canvas.width, canvas.height - headPx);
        if (page > 1) pdf.addPage("a4", "landscape");
        pdf.addImage(canvas.toDataURL("image/jpeg", 0.92), "JPEG", PDF.margin, PDF.margin, canvas.width / pxPerMm, canvas.height / pxPerMm);
      }
    }
    pdf.setProperties({ title, creator: "chainmap" });
    $("#diagram").dataset.pdfPages = String(rows * cols);
    cm.toast(t("pdfPages", { n: rows * cols }));
    return pdf.output("blob");
  }

  async function download(kind) {
    try {
      if (kind === "map-svg") { cm.saveBlob(new Blob([svgText()], { type: "image/svg+xml" }), `${baseName()}.svg`); return; }
      if (kind === "map-png") {
        const canvas = await rasterise(2);
        const blob = await new Promise((res) => canvas.toBlob(res, "image/png"));
        $("#diagram").dataset.pngSize = `${canvas.width}x${canvas.height}`;
        cm.saveBlob(blob, `${baseName()}.png`);
        return;
      }
      if (kind === "map-pdf") { cm.saveBlob(await makePdf(), `${baseName()}.pdf`); return; }
      const target = downloadTarget(kind);
      if (target) await cm.download(...target);
    } catch (err) {
      showMessage(err);
    }
  }

  /* ---------------------------------------------------------------- wiring */

  function selectChain(id) {
    state.chain = id;
    $("#chain-select").value = id;
    return refresh({ segments: true });
  }

  async function boot() {
    showMessage(null);
    try {
      await cm.boot("map");
      const [chains, regions] = await Promise.all([getJSON("/chains"), getJSON("/regions")]);
      state.chains = chains;
      state.regions = regions;
    } catch (err) {
      showMessage(err);
      return;
    }
    if (!chainById(state.chain)) state.chain = (chainById("qi") || state.chains[0] || {}).id;
    if (!regionById(state.region)) state.region = (state.regions.find((r) => r.kind === "city") || state.regions[0] || {}).id;
    fillChainSelect();
    fillRegionSelect();
    await refresh({ segments: true });
    document.body.dataset.ready = "true";
  }

  function init() {
    const q = new URLSearchParams(location.search);
    state.chain = q.get("chain") || "qi";
    state.region = q.get("region") || "yuncheng";
    state.selected = q.get("segment") || null;
    state.collapse = q.get("external") !== "1";
    state.firms = q.get("firms") === "1";
    const phone = window.matchMedia && window.matchMedia("(max-width: 700px)").matches;
    setView(q.get("view") || (phone ? "list" : "map"));
    $("#toggle-external").checked = !state.collapse;
    $("#toggle-firms").checked = state.firms;

    $("#controls").addEventListener("submit", (ev) => { ev.preventDefault(); runSearch(true); });
    $("#chain-select").addEventListener("change", (ev) => { state.selected = null; closePanel(); selectChain(ev.target.value); });
    $("#region-select").addEventListener("change", (ev) => { state.region = ev.target.value; refresh(); });
    const onSearchInput = () => { clearTimeout(searchTimer); searchTimer = setTimeout(() => runSearch(false), 250); };
    for (const ev of ["input", "change", "search"]) $("#search").addEventListener(ev, onSearchInput);
    cm.onLang(async () => { fillChainSelect(); fillRegionSelect(); await refresh(); });
    cm.onAuth(() => boot());
    document.querySelectorAll("button.dl").forEach((b) => b.addEventListener("click", () => download(b.dataset.dl)));
    document.querySelectorAll(".view-switch button").forEach((b) => b.addEventListener("click", () => setView(b.dataset.view)));
    $("#toggle-external").addEventListener("change", (ev) => setCollapse(!ev.target.checked));
    $("#toggle-firms").addEventListener("change", (ev) => { state.firms = ev.target.checked; syncUrl(); drawDiagram(); });
    $("#zoom-in").addEventListener("click", () => setZoom(state.zoom * 1.25));
    $("#zoom-out").addEventListener("click", () => setZoom(state.zoom / 1.25));
    $("#zoom-100").addEventListener("click", () => setZoom(1));
    $("#zoom-fit").addEventListener("click", fitZoom);
    $("#diagram").addEventListener("click", onDiagramClick);
    $("#diagram").addEventListener("keydown", onDiagramKey);
    $("#panel-close").addEventListener("click", closePanel);
    boot();
  }

  /* The fetch helpers, for the console and the browser tests. */
  window.chainmapApi = Object.freeze({ getJSON, write: cm.write, etagOf: cm.etagOf });
  window.chainmapMap = Object.freeze({ state, svgText, makePdf, pdfPlan, rasterise, highlightLinks });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
