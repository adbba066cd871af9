/* chainmap planner page — plain JS, no framework, no remote code.
 * Talks to the /api/v1 endpoints of the server that serves this page. */
"use strict";

(function () {
  const API = "/api/v1";
  const KEY_STORE = "chainmap.apiKey";
  /* Vocabularies (gap statuses and their colours, stages, tags, region kinds ...) are not copied
   * here: they come from the server's one label catalogue, GET /labels?lang=zh|en. */

  const T = {
    zh: {
      title: "运城市“合汽生材”产业链图谱",
      chain: "产业链", region: "区域", search: "搜索",
      searchPlaceholder: "环节或企业名称 / 编号",
      report: "诊断报告", graph: "图谱", close: "关闭",
      authPrompt: "服务器要求 API 密钥，请粘贴：", authSave: "使用此密钥", authClear: "清除",
      authNote: "密钥仅保存在本标签页（sessionStorage）。",
      langButton: "English",
      loading: "加载中…", error: "出错了",
      priority: "优先级", numbers: "依据数据", rationale: "诊断说明",
      localEnterprises: "本地企业", leads: "招商线索（前 5）", none: "暂无",
      noLeads: "该环节无补链、强链或延链缺口，不排招商线索。", leadsOtherChain: "请在其所在产业链中查看招商线索。",
      demoPool: "演示候选池（尚未导入候选企业）",
      score: "得分", total: "共 {n} 家", segmentsOf: "{n} 个环节",
      external: "其他产业链的相邻环节", openChain: "打开所在产业链",
      notInGaps: "本链诊断中无此环节。",
      searchSeg: "匹配环节 {n} 个", searchEnt: "企业“{q}”：{n} 个环节", searchNone: "未找到“{q}”",
      searchOutside: "（部分不在当前链）",
      statusLine: "{chain} · {region} · {n} 个环节 · 点击方框查看企业、诊断与线索",
      download: "下载", downloadFailed: "下载失败",
      modified: "已被他人修改，请刷新后重试。", reload: "重新加载",
    },
    en: {
      title: "Yuncheng “He-Qi-Sheng-Cai” industrial chain map",
      chain: "Chain", region: "Region", search: "Search",
      searchPlaceholder: "segment or enterprise name / id",
      report: "Gap report", graph: "Graph", close: "Close",
      authPrompt: "The server requires an API key; paste it:", authSave: "Use key", authClear: "Clear",
      authNote: "The key is kept in this tab only (sessionStorage).",
      langButton: "中文",
      loading: "Loading…", error: "Error",
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
      statusLine: "{chain} · {region} · {n} segments · click a box for firms, rationale and leads",
      download: "Download", downloadFailed: "Download failed",
      modified: "Modified by someone else: reload and retry.", reload: "Reload",
    },
  };

  const state = {
    lang: "zh",
    labels: {}, // lang -> the catalogue of GET /labels
    chains: [],
    regions: [],
    chain: null,
    region: "yuncheng",
    segments: [],
    gaps: new Map(),
    selected: null,
    svgToken: 0,
    panelToken: 0,
  };

  const $ = (sel) => document.querySelector(sel);
  const t = (key) => key.split(".").reduce((o, k) => (o == null ? o : o[k]), T[state.lang]);
  /** The label of ``code`` in the catalogue's ``vocab`` (the code itself when unknown). */
  const lab = (vocab, code) => {
    const v = (state.labels[state.lang] || {})[vocab];
    return (v && v[code]) || code;
  };
  const codes = (vocab) => Object.keys((state.labels[state.lang] || {})[vocab] || {});
  /** English headings start with a capital; Chinese is returned as is. */
  const cap = (s) => (state.lang === "en" && s ? s[0].toUpperCase() + s.slice(1) : s);
  const fmt = (s, vars) => String(s).replace(/\{(\w+)\}/g, (_, k) => (vars[k] == null ? "" : vars[k]));

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c == null) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  /* ---------------------------------------------------------------- fetch */

  class ApiError extends Error {
    constructor(status, body) {
      const detail = body && body.detail != null ? body.detail : `HTTP ${status}`;
      super(typeof detail === "string" ? detail : JSON.stringify(detail));
      this.status = status;
      this.hint = body && body.hint ? body.hint : "";
      this.error = body && body.error ? body.error : "";
    }
  }

  function authHeaders() {
    const key = sessionStorage.getItem(KEY_STORE);
    return key ? { "X-API-Key": key } : {};
  }

  /* Optimistic concurrency: every single resource (segment, link, enterprise, project, target,
   * key) is read with an ETag, its version.  apiWrite sends back the ETag last read for the path
   * in If-Match, so a write never overwrites someone else's change unseen: the server answers
   * 412 and the page says so, with a reload button. */
  const etags = new Map(); // API path -> the ETag of its last read (or write)

  function remember(path, resp) {
    const tag = resp.headers.get("ETag");
    if (tag) etags.set(path, tag);
  }

  async function send(path, params, init) {
    const url = new URL(API + path, location.origin);
    for (const [k, v] of Object.entries(params || {})) if (v != null && v !== "") url.searchParams.set(k, v);
    let resp;
    try {
      resp = await fetch(url, init);
    } catch (err) {
      throw new ApiError(0, { detail: String(err.message || err), hint: "" });
    }
    if (!resp.ok) {
      let body = null;
      try { body = await resp.json(); } catch (_) { body = null; }
      if (resp.status === 401) showAuth(true);
      throw new ApiError(resp.status, body);
    }
    return resp;
  }

  async function apiFetch(path, params) {
    const resp = await send(path, params, { headers: authHeaders() });
    remember(path, resp);
    return resp;
  }

  /** PUT / PATCH / POST / DELETE ``path`` with a JSON ``body``; If-Match is the ETag read from
   * ``opts.etagOf`` (default ``path``; e.g. POST /links is versioned by /links/{s}/{t}/{kind}).
   * On 412 shows "modified by someone else" with a reload button, and rethrows. */
  async function apiWrite(method, path, body, opts) {
    const { params = null, etagOf = path } = opts || {};
    const headers = { ...authHeaders() };
    const tag = etags.get(etagOf);
    if (tag) headers["If-Match"] = tag;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    try {
      const resp = await send(path, params, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      if (method === "DELETE") etags.delete(etagOf);
      else remember(etagOf, resp);
      return resp.status === 204 ? null : resp.json();
    } catch (err) {
      if (err.status === 412) showConflict(err);
      throw err;
    }
  }

  function showConflict(err) {
    const m = $("#message");
    const box = errorBox(err);
    box.classList.add("conflict");
    box.prepend(el("div", { class: "conflict-text", text: t("modified") }));
    box.append(el("button", { type: "button", class: "reload", text: t("reload"), onclick: () => location.reload() }));
    m.replaceChildren(box);
    m.hidden = false;
  }

  const getJSON = async (path, params) => (await apiFetch(path, params)).json();
  const getText = async (path, params) => (await apiFetch(path, params)).text();

  function errorBox(err) {
    const box = el("div", { class: "error", role: "alert" },
      el("strong", { text: `${t("error")}${err.status ? " " + err.status : ""}: ` }), err.message || String(err));
    if (err.hint) box.append(el("div", { class: "hint", text: err.hint }));
    return box;
  }

  function showMessage(err) {
    const m = $("#message");
    m.replaceChildren();
    if (!err) { m.hidden = true; return; }
    m.append(errorBox(err));
    m.hidden = false;
  }

  /* ---------------------------------------------------------------- auth */

  function showAuth(show) {
    $("#auth").hidden = !show;
    if (show) $("#api-key").focus();
  }

  /* ---------------------------------------------------------------- names */

  const nameOf = (obj) => (obj ? (state.lang === "en" ? obj.name_en || obj.name_zh : obj.name_zh || obj.name_en) : "");
  const chainById = (id) => state.chains.find((c) => c.id === id);
  const regionById = (id) => state.regions.find((r) => r.id === id);
  const segmentById = (id) => state.segments.find((s) => s.id === id);

  function applyStrings() {
    document.documentElement.lang = state.lang === "en" ? "en" : "zh-CN";
    document.title = `${t("title")} · chainmap`;
    document.querySelectorAll("[data-i18n]").forEach((n) => { n.textContent = t(n.dataset.i18n); });
    document.querySelectorAll("[data-i18n-placeholder]").forEach((n) => { n.placeholder = t(n.dataset.i18nPlaceholder); });
    document.querySelectorAll("[data-i18n-title]").forEach((n) => { n.title = t(n.dataset.i18nTitle); });
    const btn = $("#lang-toggle");
    btn.textContent = t("langButton");
    btn.lang = state.lang === "en" ? "zh-CN" : "en";
  }

  function fillChainSelect() {
    const sel = $("#chain-select");
    sel.replaceChildren();
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
    if (state.lang !== "zh") q.set("lang", state.lang);
    if (state.selected) q.set("segment", state.selected);
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
    return box.classList.contains("external") || box.getAttribute("data-external") === "true";
  }

  function boxStatus(box) {
    const s = box.getAttribute("data-status");
    if (s) return s;
    for (const c of box.classList) {
      const bare = c.replace(/^(status|gap)[-_]/, "");
      if (codes("gap_status").includes(bare)) return bare;
    }
    return "";
  }

  /** Parse the server's SVG and keep only inert markup (no scripts, no event handlers, no remote refs). */
  function sanitizeSvg(text) {
    const doc = new DOMParser().parseFromString(text, "image/svg+xml");
    const root = doc.documentElement;
    if (!root || root.nodeName.toLowerCase() !== "svg" || doc.getElementsByTagName("parsererror").length) {
      throw new ApiError(0, { detail: "invalid SVG from server" });
    }
    root.querySelectorAll("script, foreignObject").forEach((n) => n.remove());
    for (const n of [root, ...root.querySelectorAll("*")]) {
      for (const a of Array.from(n.attributes)) {
        const v = a.value.trim().toLowerCase();
        if (a.name.toLowerCase().startsWith("on")) n.removeAttribute(a.name);
        else if (/href$/i.test(a.name) && !v.startsWith("#")) n.removeAttribute(a.name);
      }
    }
    return document.importNode(root, true);
  }

  async function loadDiagram() {
    const token = ++state.svgToken;
    const box = $("#diagram");
    box.setAttribute("aria-busy", "true");
    Object.assign(box.dataset, { chain: state.chain, region: state.region, lang: state.lang });
    try {
      const text = await getText(`/chains/${encodeURIComponent(state.chain)}/graph`,
        { format: "svg", region: state.region, lang: state.lang });
      if (token !== state.svgToken) return;
      const svg = sanitizeSvg(text);
      svg.classList.add("chain-svg");
      if (!svg.getAttribute("viewBox") && svg.getAttribute("width") && svg.getAttribute("height")) {
        svg.setAttribute("viewBox", `0 0 ${parseFloat(svg.getAttribute("width"))} ${parseFloat(svg.getAttribute("height"))}`);
      }
      // scale down to the column width, but never above the renderer's natural size
      const natural = parseFloat(svg.getAttribute("width")) || (svg.viewBox.baseVal && svg.viewBox.baseVal.width);
      if (natural) svg.style.maxWidth = `${Math.round(natural * 1.1)}px`;
      svg.removeAttribute("width");
      svg.removeAttribute("height");
      box.replaceChildren(svg);
      for (const b of boxes()) {
        b.setAttribute("tabindex", "0");
        b.setAttribute("role", "button");
      }
      markSelected();
      runSearch(false);
    } catch (err) {
      if (token !== state.svgToken) return;
      box.replaceChildren(errorBox(err));
    } finally {
      if (token === state.svgToken) box.removeAttribute("aria-busy");
    }
  }

  function markSelected() {
    for (const b of boxes()) b.classList.toggle("cm-selected", b.getAttribute("data-segment-id") === state.selected);
  }

  function onDiagramClick(ev) {
    const b = ev.target.closest && ev.target.closest("[data-segment-id]");
    if (!b) return;
    openPanel(b.getAttribute("data-segment-id"));
  }

  function onDiagramKey(ev) {
    if (ev.key !== "Enter" && ev.key !== " ") return;
    const b = ev.target.closest && ev.target.closest("[data-segment-id]");
    if (!b) return;
    ev.preventDefault();
    openPanel(b.getAttribute("data-segment-id"));
  }

  /* ---------------------------------------------------------------- data per chain/region */

  async function loadGaps() {
    state.gaps = new Map();
    const body = await getJSON("/gaps", { chain: state.chain, region: state.region, lang: state.lang, page_size: 1000 });
    for (const g of body.items || []) state.gaps.set(g.segment_id, g);
    return body;
  }

  function updateStatusLine() {
    const c = chainById(state.chain);
    const r = regionById(state.region);
    const line = fmt(t("statusLine"), { chain: nameOf(c), region: nameOf(r), n: state.segments.length });
    $("#status-line").textContent = line;
    $("#print-title").textContent = `${c ? c.letter + " · " : ""}${nameOf(c)} — ${nameOf(r)}`;
  }

  async function refresh({ segments = false } = {}) {
    showMessage(null);
    syncUrl();
    const jobs = [loadDiagram()];
    if (segments) {
      jobs.push(getJSON(`/chains/${encodeURIComponent(state.chain)}/segments`).then((s) => { state.segments = s; }));
    }
    const gapsJob = loadGaps().catch((err) => { state.gaps = new Map(); state.gapsError = err; });
    state.gapsError = null;
    jobs.push(gapsJob);
    const results = await Promise.allSettled(jobs);
    const failed = results.find((r) => r.status === "rejected");
    if (failed) showMessage(failed.reason);
    updateStatusLine();
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
        el("code", { id: "panel-segment-id", text: segmentId }),
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
    const targets = (state.labels[state.lang] || {}).gap_status_targets || ["fill", "strengthen", "extend"];
    if (!external && targets.includes(status)) {
      leadJob = getJSON("/leads", { gap: segmentId, k: 5, region: state.region, lang: state.lang })
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
      el("tr", {}, el("th", { scope: "row" }, lab("gap_component", k), lab("gap_component", k) !== k ? el("code", { text: k }) : null),
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
      const name = state.lang === "en" && e.name_en ? e.name_en : e.name;
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
    const common = { region: state.region, lang: state.lang };
    switch (kind) {
      case "gaps-html": return ["/gaps", { chain: state.chain, format: "html", ...common }, `gaps-${state.chain}-${state.region}.html`];
      case "gaps-xlsx": return ["/gaps", { chain: state.chain, format: "xlsx", ...common }, `gaps-${state.chain}-${state.region}.xlsx`];
      case "graph-gexf": return [`/chains/${c}/graph`, { format: "gexf", ...common }, `chain-${state.chain}-${state.region}.gexf`];
      case "graph-graphml": return [`/chains/${c}/graph`, { format: "graphml", ...common }, `chain-${state.chain}-${state.region}.graphml`];
      default: return null;
    }
  }

  function filenameFrom(resp, fallback) {
    const cd = resp.headers.get("Content-Disposition") || "";
    const star = /filename\*=UTF-8''([^;]+)/i.exec(cd);
    if (star) { try { return decodeURIComponent(star[1]); } catch (_) { /* fall through */ } }
    const plain = /filename="?([^";]+)"?/i.exec(cd);
    return plain ? plain[1] : fallback;
  }

  async function download(kind) {
    const target = downloadTarget(kind);
    if (!target) return;
    const [path, params, fallback] = target;
    try {
      const resp = await apiFetch(path, params);
      const blob = await resp.blob();
      const url = URL.createObjectURL(blob);
      const a = el("a", { href: url, download: filenameFrom(resp, fallback), hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
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

  /** Fetch the label catalogue of the current language once, and paint the status colours from it. */
  async function loadLabels() {
    if (!state.labels[state.lang]) state.labels[state.lang] = await getJSON("/labels", { lang: state.lang });
    const root = document.documentElement.style;
    const rules = [];
    for (const [status, c] of Object.entries(state.labels[state.lang].gap_status_colours || {})) {
      root.setProperty(`--${status}`, c.stroke);
      root.setProperty(`--${status}-bg`, c.fill);
      rules.push(`.st-${status} { background: var(--${status}); }`);
    }
    // one badge class per status of the catalogue (app.css styles only the defaults)
    let sheet = document.getElementById("st-colours");
    if (!sheet) {
      sheet = document.createElement("style");
      sheet.id = "st-colours";
      document.head.append(sheet);
    }
    sheet.textContent = rules.join("\n");
  }

  async function boot() {
    applyStrings();
    showMessage(null);
    try {
      const [chains, regions] = await Promise.all([getJSON("/chains"), getJSON("/regions"), loadLabels()]);
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
    state.lang = q.get("lang") === "en" ? "en" : "zh";
    state.chain = q.get("chain") || "qi";
    state.region = q.get("region") || "yuncheng";
    state.selected = q.get("segment") || null;

    $("#controls").addEventListener("submit", (ev) => { ev.preventDefault(); runSearch(true); });
    $("#chain-select").addEventListener("change", (ev) => { state.selected = null; closePanel(); selectChain(ev.target.value); });
    $("#region-select").addEventListener("change", (ev) => { state.region = ev.target.value; refresh(); });
    const onSearchInput = () => { clearTimeout(searchTimer); searchTimer = setTimeout(() => runSearch(false), 250); };
    for (const ev of ["input", "change", "search"]) $("#search").addEventListener(ev, onSearchInput);
    $("#lang-toggle").addEventListener("click", async () => {
      state.lang = state.lang === "zh" ? "en" : "zh";
      try { await loadLabels(); } catch (err) { showMessage(err); }
      applyStrings();
      fillChainSelect();
      fillRegionSelect();
      refresh();
    });
    document.querySelectorAll("button.dl").forEach((b) => b.addEventListener("click", () => download(b.dataset.dl)));
    $("#diagram").addEventListener("click", onDiagramClick);
    $("#diagram").addEventListener("keydown", onDiagramKey);
    $("#panel-close").addEventListener("click", closePanel);
    $("#auth-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const key = $("#api-key").value.trim();
      if (key) sessionStorage.setItem(KEY_STORE, key);
      $("#api-key").value = "";
      showAuth(false);
      boot();
    });
    $("#auth-clear").addEventListener("click", () => { sessionStorage.removeItem(KEY_STORE); $("#api-key").value = ""; });
    boot();
  }

  /* The fetch helpers, for the console and the browser tests (the page itself only reads today). */
  window.chainmapApi = Object.freeze({ getJSON, write: apiWrite, etagOf: (path) => etags.get(path) || null });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
