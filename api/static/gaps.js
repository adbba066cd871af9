/* chainmap gaps page: the gap report (GET /gaps) as a sortable, filterable table with each
 * row's rationale and evidence, a glossary of its numbers and the HTML / XLSX downloads.
 *
 * Server-side filters: chain, region, status (type=) — the table's row count is the answer's
 * ``total``. Segment kind and the name search filter the loaded rows in the page.
 * Meanings of the numbers come from the label catalogue (GET /labels: gap_term_meaning,
 * gap_component, gap_status_meaning) and the report's own ``parameters`` (method.*), so the
 * page restates nothing. State lives in the URL (?chain=&region=&type=&kind=&sort=&dir=).
 */
"use strict";

(function () {
  const cm = window.cm;
  const { el, t } = cm;
  const $ = (s) => document.querySelector(s);

  cm.strings({
    zh: {
      title: "强链·补链·延链 缺口诊断", chain: "产业链", region: "区域", status: "状态", kind: "环节类型",
      search: "搜索", searchPlaceholder: "环节名称", download: "下载诊断报告", allChains: "全部四条链",
      allStatuses: "全部状态", allKinds: "全部类型", empty: "没有符合条件的环节。",
      glossary: "名词解释", statuses: "状态含义", method: "判定规则",
      summary: "{region} · {chain}：共 {total} 个环节{shown}", shownOf: "，显示 {n} 个",
      col: { chain: "所属链", segment: "环节", kind: "类型", status: "状态", priority: "优先级",
        lq: "区位熵 LQ", local: "本地企业", rationale: "理由", leads: "招商线索" },
      demandFirms: "{n} 家", evidence: "依据", hideEvidence: "收起", leadsLink: "查看线索",
      localFirms: "本地企业", demandSegments: "需要它的本地下游环节", adjacent: "相邻本地优势环节",
      policies: "政策依据", components: "优先级构成", fit: "县域适配依据", noLocal: "无（据现有名录）",
      fitCodes: { demand: "有本地需求", inputs: "有本地上游投入", adjacent: "相邻本地优势环节" },
      lqNone: "无参照数据", policyDoc: "文号", source: "来源", confidence: "可信度", sortHint: "点击排序",
      valueAdded: "附加值评分 {v}/5",
    },
    en: {
      title: "Gap analysis: strengthen, fill, extend", chain: "Chain", region: "Region", status: "Status", kind: "Segment kind",
      search: "Search", searchPlaceholder: "segment name", download: "Download the report", allChains: "all four chains",
      allStatuses: "all statuses", allKinds: "all kinds", empty: "No segment matches.",
      glossary: "Glossary", statuses: "Statuses", method: "Rules",
      summary: "{region} · {chain}: {total} segments{shown}", shownOf: ", {n} shown",
      col: { chain: "Chain", segment: "Segment", kind: "Kind", status: "Status", priority: "Priority",
        lq: "Location quotient (LQ)", local: "Local firms", rationale: "Rationale", leads: "Leads" },
      demandFirms: "{n} firms", evidence: "Evidence", hideEvidence: "Hide", leadsLink: "See leads",
      localFirms: "Local firms", demandSegments: "Local downstream segments that need it", adjacent: "Adjacent local strengths",
      policies: "Policies", components: "Priority components", fit: "County fit", noLocal: "none (per the list)",
      fitCodes: { demand: "there is local demand", inputs: "a local input", adjacent: "an adjacent local strength" },
      lqNone: "no reference data", policyDoc: "document no.", source: "source", confidence: "confidence", sortHint: "click to sort",
      valueAdded: "value-added score {v}/5",
    },
  });

  /** Columns: key, heading string, glossary term (hover title), sort value, cell. */
  const COLUMNS = [
    { key: "chain", term: null, sort: (i) => chainName(i.segment_chain || i.chain_id) },
    { key: "segment", term: null, sort: (i) => i.segment_name },
    { key: "kind", term: null, sort: (i) => cm.lab("segment_kind", i.kind || "product") },
    { key: "status", term: null, sort: (i) => cm.codes("gap_status").indexOf(i.status) },
    { key: "priority", term: "priority", num: true, sort: (i) => i.priority },
    { key: "demand", term: "demand", num: true, sort: (i) => i.demand_count },
    { key: "criticality", term: "criticality", num: true, sort: (i) => i.criticality },
    { key: "density", term: "density", num: true, sort: (i) => i.density },
    { key: "lq", term: "lq", num: true, sort: (i) => (i.lq == null ? -1 : i.lq) },
    { key: "local", term: "local_count", num: true, sort: (i) => i.local_count },
    { key: "rationale", term: null, sort: (i) => i.rationale },
    { key: "leads", term: null, sort: null },
  ];

  const state = {
    chains: [], regions: [], segNames: new Map(), body: null, items: [],
    chain: "", region: "yuncheng", type: "", kind: "", q: "", sort: "priority", dir: "desc", open: new Set(),
  };
  const chainById = (id) => state.chains.find((c) => c.id === id);
  const chainName = (id) => {
    const c = chainById(id);
    if (c) return cm.nameOf(c);
    return (state.body && state.body.chain_names && state.body.chain_names[id]) || id;
  };
  const segName = (id) => state.segNames.get(id) || id;
  const meaning = (term) => (cm.labels().gap_term_meaning || {})[term] || "";
  /** A column heading: the priority components by their catalogue label (GET /labels gap_component). */
  const heading = (key) => (["demand", "criticality", "density"].includes(key) ? cm.cap(cm.lab("gap_component", key)) : t(`col.${key}`));
  const num = (x, d = 2) => (x == null ? "—" : Number(x).toFixed(d));

  function readUrl() {
    const q = new URLSearchParams(location.search);
    for (const k of ["chain", "region", "type", "kind", "q", "sort", "dir"]) if (q.get(k) != null) state[k] = q.get(k);
    if (!state.region) state.region = "yuncheng";
  }
  function writeUrl() {
    const q = new URLSearchParams();
    for (const k of ["chain", "region", "type", "kind", "q", "sort", "dir"]) if (state[k]) q.set(k, state[k]);
    if (cm.lang === "en") q.set("lang", "en");
    history.replaceState(null, "", `${location.pathname}?${q}`);
  }

  /* ---------------------------------------------------------------- controls */

  function option(value, text, selected) {
    return el("option", { value, selected: selected ? true : null, text });
  }
  function fillControls() {
    const top = state.chains.filter((c) => !c.parent);
    const chainSel = $("#f-chain");
    chainSel.replaceChildren(option("", t("allChains"), !state.chain));
    for (const c of top) {
      chainSel.append(option(c.id, `${c.letter || ""} ${cm.nameOf(c)}`.trim(), state.chain === c.id));
      for (const s of state.chains.filter((x) => x.parent === c.id)) {
        chainSel.append(option(s.id, `　${cm.nameOf(s)}`, state.chain === s.id));
      }
    }
    const regSel = $("#f-region");
    regSel.replaceChildren(...state.regions.map((r) => option(r.id, cm.nameOf(r) + (r.kind !== "city" ? `（${cm.lab("region_kind", r.kind)}）` : ""), state.region === r.id)));
    const stSel = $("#f-status");
    stSel.replaceChildren(option("", t("allStatuses"), !state.type),
      ...cm.codes("gap_status").map((s) => option(s, cm.lab("gap_status", s), state.type === s)));
    const kSel = $("#f-kind");
    kSel.replaceChildren(option("", t("allKinds"), !state.kind),
      ...cm.codes("segment_kind").map((k) => option(k, cm.lab("segment_kind", k), state.kind === k)));
    $("#f-q").value = state.q;
  }

  /* ---------------------------------------------------------------- data */

  async function loadStatic() {
    const [chains, regions] = await Promise.all([cm.getJSON("/chains"), cm.getJSON("/regions")]);
    state.chains = chains;
    state.regions = regions;
    await loadSegmentNames();
  }
  async function loadSegmentNames() {
    const top = state.chains.filter((c) => !c.parent);
    const lists = await Promise.all(top.map((c) => cm.getJSON(`/chains/${encodeURIComponent(c.id)}/segments`).catch(() => [])));
    state.segNames = new Map();
    for (const list of lists) for (const s of list) state.segNames.set(s.id, cm.nameOf(s));
  }

  let seq = 0;
  async function loadGaps() {
    const my = ++seq;
    $("#gaps-table").setAttribute("aria-busy", "true");
    try {
      const body = await cm.getJSON("/gaps", {
        chain: state.chain, region: state.region, type: state.type, lang: cm.lang, page_size: 1000,
      });
      if (my !== seq) return;
      state.body = body;
      state.items = body.items || [];
      cm.showError(null);
    } catch (err) {
      if (my !== seq) return;
      state.body = null;
      state.items = [];
      cm.showError(err);
    } finally {
      if (my === seq) $("#gaps-table").removeAttribute("aria-busy");
    }
    render();
  }

  /* ---------------------------------------------------------------- table */

  function visibleItems() {
    const q = state.q.trim().toLowerCase();
    let rows = state.items.filter((i) => (!state.kind || (i.kind || "product") === state.kind)
      && (!q || String(i.segment_name).toLowerCase().includes(q) || segName(i.segment_id).toLowerCase().includes(q)));
    const col = COLUMNS.find((c) => c.key === state.sort && c.sort);
    if (col) {
      const sign = state.dir === "asc" ? 1 : -1;
      const locale = cm.lang === "en" ? "en" : "zh-CN";
      rows = rows.map((it, idx) => ({ it, idx, v: col.sort(it) }));
      rows.sort((a, b) => {
        let c;
        if (typeof a.v === "number" || typeof b.v === "number") c = (a.v ?? -Infinity) - (b.v ?? -Infinity);
        else c = String(a.v ?? "").localeCompare(String(b.v ?? ""), locale);
        return c !== 0 ? sign * c : a.idx - b.idx;
      });
      rows = rows.map((r) => r.it);
    }
    return rows;
  }

  function renderHead() {
    const head = $("#gaps-head");
    head.replaceChildren(...COLUMNS.map((c) => {
      const label = heading(c.key);
      const title = c.term ? meaning(c.term) : (c.sort ? t("sortHint") : null);
      const th = el("th", { scope: "col", "data-col": c.key, class: c.num ? "num" : null, title,
        "aria-sort": state.sort === c.key ? (state.dir === "asc" ? "ascending" : "descending") : null });
      if (c.sort) {
        th.append(el("button", { type: "button", class: "sort", "data-sort": c.key, title,
          onclick: () => {
            if (state.sort === c.key) state.dir = state.dir === "asc" ? "desc" : "asc";
            else { state.sort = c.key; state.dir = c.num ? "desc" : "asc"; }
            writeUrl();
            render();
          } }, label, el("span", { class: "arrow", "aria-hidden": "true", text: state.sort === c.key ? (state.dir === "asc" ? "▲" : "▼") : "" })));
      } else th.append(label);
      return th;
    }));
  }

  function componentsText(i) {
    return Object.entries(i.components || {}).filter(([, v]) => v)
      .map(([k, v]) => `${cm.lab("gap_component", k)} ${num(v)}`).join(" · ");
  }

  function row(i) {
    const targets = cm.labels().gap_status_targets || [];
    // an unverified gap that would be a target has provisional leads (flagged 先核实)
    const target = targets.includes(i.status) || (i.status === "unverified" && targets.includes(i.would_be));
    const leadsHref = `leads.html?gap=${encodeURIComponent(i.segment_id)}&chain=${encodeURIComponent(i.chain_id)}`
      + (cm.lang === "en" ? "&lang=en" : "");
    const open = state.open.has(i.segment_id);
    const tr = el("tr", { "data-segment-id": i.segment_id, "data-status": i.status, class: "gap-row" },
      el("td", { "data-col": "chain", text: chainName(i.segment_chain || i.chain_id) }),
      el("td", { "data-col": "segment", class: "seg-name", text: i.segment_name }),
      el("td", { "data-col": "kind", text: cm.lab("segment_kind", i.kind || "product") }),
      el("td", { "data-col": "status" }, el("span", { class: `badge st-${i.status}`, title: cm.lab("gap_status_meaning", i.status), text: cm.lab("gap_status", i.status) })),
      el("td", { "data-col": "priority", class: "num", title: `${meaning("priority")}\n${componentsText(i)}`, text: num(i.priority) }),
      el("td", { "data-col": "demand", class: "num", title: meaning("demand"), text: i.demand_count ? t("demandFirms", { n: i.demand_count }) : "0" }),
      el("td", { "data-col": "criticality", class: "num", title: meaning("criticality"), text: num(i.criticality) }),
      el("td", { "data-col": "density", class: "num", title: meaning("density"), text: num(i.density) }),
      el("td", { "data-col": "lq", class: "num", title: i.lq == null ? `${meaning("lq")}（${t("lqNone")}）` : meaning("lq"), text: num(i.lq) }),
      el("td", { "data-col": "local", class: "num", title: meaning("local_count"), text: String(i.local_count ?? 0) }),
      el("td", { "data-col": "rationale", class: "rationale-cell" },
        el("span", { class: "rationale", text: i.rationale }),
        el("button", { type: "button", class: "link evidence-toggle", "aria-expanded": open ? "true" : "false",
          text: open ? t("hideEvidence") : t("evidence"),
          onclick: () => { open ? state.open.delete(i.segment_id) : state.open.add(i.segment_id); renderBody(); } })),
      el("td", { "data-col": "leads" }, target ? el("a", { class: "leads-link", href: leadsHref, text: t("leadsLink") }) : ""));
    const rows = [tr];
    if (open) rows.push(el("tr", { class: "evidence-row", "data-evidence-of": i.segment_id },
      el("td", { colspan: String(COLUMNS.length) }, evidence(i))));
    return rows;
  }

  function evidence(i) {
    const box = el("div", { class: "evidence" });
    const section = (title, ...content) => box.append(el("section", {}, el("h4", { text: title }), ...content));
    section(t("localFirms"), i.local_enterprises && i.local_enterprises.length
      ? el("ul", {}, i.local_enterprises.map((e) => el("li", { text: e.name })))
      : el("p", { class: "muted", text: t("noLocal") }));
    if (i.demand_segments && i.demand_segments.length) {
      section(t("demandSegments"), el("p", { text: i.demand_segments.map(segName).join("、") }));
    }
    if (i.adjacent_segments && i.adjacent_segments.length) {
      section(t("adjacent"), el("p", { text: i.adjacent_segments.map(segName).join("、")
        + (i.directions && i.directions.length ? `（${i.directions.map((d) => cm.lab("extend_direction", d)).join("、")}）` : "") }));
    }
    if (i.fit && i.fit.length) section(t("fit"), el("p", { text: i.fit.map((f) => t(`fitCodes.${f}`)).join("、") }));
    const comps = Object.entries(i.components || {});
    if (comps.length) {
      section(t("components"), el("table", { class: "numbers" }, comps.map(([k, v]) =>
        el("tr", { title: meaning(k) || null }, el("th", { text: cm.lab("gap_component", k) }), el("td", { text: num(v) })))),
        el("p", { class: "muted", text: t("valueAdded", { v: i.value_added }) }));
    }
    if (i.policies && i.policies.length) {
      section(t("policies"), el("ul", { class: "policies" }, i.policies.map((p) => el("li", {},
        el("span", { class: "badge policy", text: cm.lab("policy_kind", p.kind) }), " ",
        el("strong", { text: `《${p.title}》` }),
        p.document ? ` ${t("policyDoc")} ${p.document}` : "",
        p.quote ? el("blockquote", { text: p.quote }) : "",
        el("div", { class: "muted" },
          p.source ? [`${t("source")}: `, /^https?:/.test(p.source) ? el("a", { href: p.source, rel: "noreferrer", text: p.source }) : p.source] : "",
          p.confidence ? ` · ${t("confidence")}: ${cm.lab("confidence", p.confidence)}` : "")))));
    }
    return box;
  }

  function renderBody() {
    const rows = visibleItems();
    $("#gaps-body").replaceChildren(...rows.flatMap(row));
    $("#empty").hidden = rows.length > 0 || !state.body;
    const total = state.body ? state.body.total : 0;
    const region = state.regions.find((r) => r.id === state.region);
    $("#summary").textContent = state.body ? t("summary", {
      region: region ? cm.nameOf(region) : state.body.region_name,
      chain: state.chain ? chainName(state.chain) : t("allChains"),
      total, shown: rows.length !== total ? t("shownOf", { n: rows.length }) : "",
    }) : "";
    $("#summary").dataset.total = String(total);
    $("#summary").dataset.shown = String(rows.length);
  }

  /** The census coverage of each chain shown (GET /gaps ``coverage``: chain -> {text, …}), one line per chain. */
  function renderCoverage() {
    const node = $("#coverage");
    const cov = state.body && state.body.coverage;
    const lineOf = (c) => (c == null ? "" : typeof c === "string" ? c : (c.text || c.summary || c.note || ""));
    let lines = [];
    if (typeof cov === "string" || (cov && typeof cov.text === "string")) lines = [["", lineOf(cov)]];
    else if (cov && typeof cov === "object") {
      const order = (state.body.chains || []).filter((c) => c in cov);
      for (const c of Object.keys(cov)) if (!order.includes(c)) order.push(c);
      lines = order.filter((c) => !state.chain || c === state.chain).map((c) => [chainName(c), lineOf(cov[c])]);
    }
    lines = lines.filter(([, text]) => text);
    if (!lines.length) { node.hidden = true; node.replaceChildren(); return; }
    node.replaceChildren(el("strong", { text: cm.lang === "en" ? "Data coverage" : "数据覆盖" }),
      el("ul", { class: "coverage-lines" }, lines.map(([chain, text]) =>
        el("li", { "data-chain": chain || null }, chain ? el("span", { class: "coverage-chain", text: chain + (cm.lang === "en" ? ": " : "：") }) : "", text))));
    node.hidden = false;
  }

  function renderGlossary() {
    const cat = cm.labels();
    const terms = cat.gap_term_meaning || {};
    const names = { priority: t("col.priority"), demand: heading("demand"), criticality: heading("criticality"),
      dominated: cm.lang === "en" ? "Dominates" : "支配", density: heading("density"),
      value_added: cm.lab("gap_component", "value_added"), gain: cm.lab("gap_component", "gain"),
      weakness: cm.lab("gap_component", "weakness"), lq: t("col.lq"), policy: cm.lab("gap_component", "policy"),
      local_count: t("col.local") };
    $("#glossary-terms").replaceChildren(...Object.entries(terms).flatMap(([k, v]) => [
      el("dt", { "data-term": k, text: cm.cap(names[k] || k) }), el("dd", { text: cm.cap(v.replace(/^[^：:]+[：:]\s*/, "")) })]));
    $("#glossary-statuses").replaceChildren(...cm.codes("gap_status").flatMap((s) => [
      el("dt", {}, el("span", { class: `badge st-${s}`, text: cm.lab("gap_status", s) })),
      el("dd", { text: (cat.gap_status_meaning || {})[s] || "" })]));
    const params = (state.body && state.body.parameters) || {};
    const method = Object.entries(params).filter(([k, v]) => k.startsWith("method.") && typeof v === "string")
      .map(([k, v]) => {
        const parts = v.split(" / ");
        const text = parts.length > 1 ? (cm.lang === "en" ? parts.slice(1).join(" / ") : parts[0]) : v;
        return el("p", { "data-param": k, text });
      });
    $("#glossary-method").replaceChildren(...method);
  }

  function render() {
    renderHead();
    renderBody();
    renderCoverage();
    renderGlossary();
  }

  /* ---------------------------------------------------------------- wiring */

  let wired = false;
  function wire() {
    if (wired) return;
    wired = true;
    const on = (sel, key, reload) => $(sel).addEventListener("change", (ev) => {
      state[key] = ev.target.value;
      state.open.clear();
      writeUrl();
      reload ? loadGaps() : renderBody();
    });
    on("#f-chain", "chain", true);
    on("#f-region", "region", true);
    on("#f-status", "type", true);
    on("#f-kind", "kind", false);
    $("#f-q").addEventListener("input", (ev) => { state.q = ev.target.value; writeUrl(); renderBody(); });
    $("#controls").addEventListener("submit", (ev) => ev.preventDefault());
    for (const btn of document.querySelectorAll("button.dl")) {
      btn.addEventListener("click", async () => {
        const fmt = btn.dataset.dl;
        try {
          await cm.download("/gaps", { format: fmt, chain: state.chain, region: state.region, type: state.type, lang: cm.lang },
            `gaps.${fmt}`);
        } catch (err) { cm.showError(err); }
      });
    }
  }

  async function start() {
    readUrl();
    try {
      await cm.boot("gaps");
      wire();
      // the report and the names load in parallel; the table is drawn again once names are in
      await Promise.all([loadStatic().then(fillControls), loadGaps()]);
      render();
    } catch (err) {
      cm.showError(err);
    }
    document.body.dataset.ready = "true";
  }

  cm.onLang(async () => {
    fillControls();
    writeUrl();
    try { await loadSegmentNames(); } catch (_) { /* keep ids */ }
    await loadGaps();
  });
  cm.onAuth(() => { start(); });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
