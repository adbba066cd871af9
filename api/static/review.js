/* The census review queue: pending automatic assignments and unassigned firms (GET /review),
 * decided one by one or in bulk (POST /review/decisions: accept / reject / set, each with the
 * enterprise's ETag), the recent decisions with who and when (GET /review/decisions), and the
 * confirmed absences of a segment in a region (GET / POST /review/absences). */
"use strict";

(function () {
  const cm = window.cm;
  const el = cm.el;
  const $ = (s) => document.querySelector(s);

  cm.strings({
    zh: {
      title: "普查归属审核队列", region: "区域", chain: "产业链", segment: "环节", reason: "原因", all: "全部",
      pending: "待审核 {n} 条", selectAll: "全选本页", bulkAccept: "批量采纳", bulkReject: "批量驳回", selected: "已选 {n} 条",
      firm: "企业", county: "县（市、区）", proposed: "建议环节", confidence: "置信度", evidence: "依据", actions: "操作",
      accept: "采纳", reject: "驳回", set: "改为", apply: "确定", chooseSegment: "选择环节…", none: "（未归类）",
      empty: "队列为空", decided: "已记录 {n} 条决定", decisionsHead: "最近的审核决定", when: "时间", who: "决定人",
      action: "决定", to: "改为环节", noDecisions: "尚无决定", absenceHead: "确认缺失环节（本地确无企业）",
      note: "说明", confirmAbsence: "确认缺失", absenceSaved: "已确认：{region} 无 {segment}", noAbsences: "尚无确认",
      withdraw: "撤销", chooseFirst: "请先勾选条目", prev: "上一页", next: "下一页", pageOf: "第 {page} / {pages} 页",
    },
    en: {
      title: "Census review queue", region: "Region", chain: "Chain", segment: "Segment", reason: "Reason", all: "All",
      pending: "{n} pending", selectAll: "Select page", bulkAccept: "Accept selected", bulkReject: "Reject selected", selected: "{n} selected",
      firm: "Firm", county: "County", proposed: "Proposed segment", confidence: "Confidence", evidence: "Evidence", actions: "Actions",
      accept: "Accept", reject: "Reject", set: "Change to", apply: "Apply", chooseSegment: "Choose a segment…", none: "(unassigned)",
      empty: "The queue is empty", decided: "{n} decision(s) recorded", decisionsHead: "Recent decisions", when: "When", who: "By",
      action: "Decision", to: "New segment", noDecisions: "No decisions yet", absenceHead: "Confirm a missing segment (no local firm)",
      note: "Note", confirmAbsence: "Confirm absence", absenceSaved: "Confirmed: no {segment} in {region}", noAbsences: "No confirmations yet",
      withdraw: "Withdraw", chooseFirst: "Select entries first", prev: "Previous", next: "Next", pageOf: "Page {page} of {pages}",
    },
  });

  const PAGE_SIZE = 50;
  const state = { chains: [], regions: [], segments: {}, entries: [], total: 0, page: 1 };
  const allSegments = () => Object.values(state.segments).flat();
  const segName = (id) => { const s = allSegments().find((x) => x.id === id); return s ? cm.nameOf(s) : (id || ""); };
  const regionName = (id) => { const r = state.regions.find((x) => x.id === id); return r ? cm.nameOf(r) : (id || ""); };
  const chainName = (id) => { const c = state.chains.find((x) => x.id === id); return c ? cm.nameOf(c) : (id || ""); };
  const when = (s) => String(s || "").replace("T", " ").slice(0, 16);

  function options(sel, items, value, blank) {
    sel.replaceChildren(...(blank ? [el("option", { value: "", text: blank })] : []),
      ...items.map(([v, t]) => el("option", { value: v, text: t, selected: v === value })));
  }
  /** A segment select grouped by chain (names, not ids). */
  function segmentSelect(value, blank) {
    const sel = el("select", {});
    if (blank) sel.append(el("option", { value: "", text: blank }));
    for (const c of state.chains) {
      const g = el("optgroup", { label: cm.nameOf(c) });
      for (const s of state.segments[c.id] || []) g.append(el("option", { value: s.id, text: cm.nameOf(s), selected: s.id === value }));
      sel.append(g);
    }
    return sel;
  }

  /* ------------------------------------------------------------ queue */

  function filters() {
    return { region: $("#f-region").value, chain: $("#f-chain").value, segment: $("#f-segment").value, reason: $("#f-reason").value, lang: cm.lang };
  }
  async function loadQueue() {
    const seq = (state.seq = (state.seq || 0) + 1); // only the latest request paints (filters change fast)
    let body = await cm.getJSON("/review", { ...filters(), page: state.page, page_size: PAGE_SIZE });
    const last = Math.max(1, Math.ceil((body.total || 0) / PAGE_SIZE));
    if (state.page > last) { state.page = last; body = await cm.getJSON("/review", { ...filters(), page: state.page, page_size: PAGE_SIZE }); }
    if (seq !== state.seq) return;
    state.entries = body.items || [];
    state.total = body.total || 0;
    renderQueue();
  }
  function selectedIds() { return [...document.querySelectorAll(".pick:checked")].map((c) => c.value); }
  function updateSelected() { $("#selected-count").textContent = cm.t("selected", { n: selectedIds().length }); }

  async function decide(decisions) {
    try {
      const r = await cm.write("POST", "/review/decisions", decisions, { etagOf: "/review/decisions" });
      cm.showError(null);
      cm.toast(cm.t("decided", { n: r.count }));
    } catch (err) {
      cm.showError(err);
    }
    await Promise.all([loadQueue(), loadDecisions()]);
  }
  const decision = (e, action, extra) => ({ enterprise: e.enterprise, segment: e.segment, action, if_match: e.etag, role: e.role || "producer", ...extra });

  function renderQueue() {
    $("#pending-count").textContent = cm.t("pending", { n: state.total });
    $("#pending-count").dataset.total = String(state.total);
    $("#select-all").checked = false;
    if (!state.entries.length) { $("#queue").replaceChildren(el("p", { class: "muted", id: "queue-empty", text: cm.t("empty") })); updateSelected(); return; }
    const rows = state.entries.map((e) => {
      // the full segment list is built when the select is first used (200 rows × all segments is slow)
      const correct = el("select", { class: "correct-to", "aria-label": cm.t("set") }, el("option", { value: "", text: cm.t("chooseSegment") }));
      const fill = () => {
        if (correct.dataset.filled) return;
        correct.dataset.filled = "true";
        correct.replaceChildren(...segmentSelect(null, cm.t("chooseSegment")).childNodes);
      };
      correct.addEventListener("focus", fill);
      correct.addEventListener("pointerdown", fill);
      return el("tr", { "data-id": e.id, "data-firm": e.name },
        el("td", {}, el("input", { type: "checkbox", class: "pick", value: e.id, onchange: updateSelected, "aria-label": e.name })),
        el("td", { class: "firm", text: e.name }),
        el("td", { text: regionName(e.zone || e.county) }),
        el("td", { class: "proposed", text: e.segment ? `${e.segment_name || segName(e.segment)}${e.chain ? "（" + chainName(e.chain) + "）" : ""}` : cm.t("none") }),
        el("td", { class: "num", text: e.confidence == null ? "" : Number(e.confidence).toFixed(2) }),
        el("td", {}, ...(e.evidence || []).map((x) => el("span", { class: "chip", text: x }))),
        el("td", { text: e.reason_label || cm.lab("review_reason", e.reason) }),
        el("td", { class: "row-actions" },
          e.segment ? el("button", { type: "button", class: "primary", "data-action": "accept", text: cm.t("accept"), onclick: () => decide([decision(e, "accept")]) }) : null, " ",
          e.segment ? el("button", { type: "button", "data-action": "reject", text: cm.t("reject"), onclick: () => decide([decision(e, "reject")]) }) : null, " ",
          correct, el("button", { type: "button", "data-action": "set", text: cm.t("set"),
            onclick: () => { if (correct.value) decide([decision(e, "set", { to_segment: correct.value })]); else correct.focus(); } })));
    });
    const pages = Math.max(1, Math.ceil(state.total / PAGE_SIZE));
    const go = (p) => { state.page = p; loadQueue().catch(cm.showError); };
    const pager = el("div", { class: "toolbar", id: "pager" },
      el("button", { type: "button", id: "page-prev", disabled: state.page <= 1, text: cm.t("prev"), onclick: () => go(state.page - 1) }),
      el("span", { id: "page-of", text: cm.t("pageOf", { page: state.page, pages }) }),
      el("button", { type: "button", id: "page-next", disabled: state.page >= pages, text: cm.t("next"), onclick: () => go(state.page + 1) }));
    $("#queue").replaceChildren(pager, el("table", { class: "grid", id: "queue-table" },
      el("thead", {}, el("tr", {}, el("th", {}), ...["firm", "county", "proposed", "confidence", "evidence", "reason", "actions"].map((k) => el("th", { text: cm.t(k) })))),
      el("tbody", {}, ...rows)));
    updateSelected();
  }
  function bulk(action) {
    const ids = new Set(selectedIds());
    const chosen = state.entries.filter((e) => ids.has(e.id) && (e.segment || action === "reject"));
    if (!chosen.length) { cm.toast(cm.t("chooseFirst")); return; }
    decide(chosen.map((e) => decision(e, action)));
  }

  /* ------------------------------------------------------------ decisions, absences */

  async function loadDecisions() {
    const list = await cm.getJSON("/review/decisions", { limit: 30 });
    if (!list.length) { $("#decisions").replaceChildren(el("p", { class: "muted", text: cm.t("noDecisions") })); return; }
    $("#decisions").replaceChildren(el("table", { class: "grid", id: "decisions-table" },
      el("thead", {}, el("tr", {}, ...["when", "who", "firm", "segment", "action", "to"].map((k) => el("th", { text: cm.t(k) })))),
      el("tbody", {}, ...list.map((d) => el("tr", { "data-action": d.action },
        el("td", { text: when(d.at) }), el("td", { text: d.by || "" }), el("td", { text: d.name || d.enterprise }),
        el("td", { text: (d.action === "set" ? d.from_segment : d.segment) ? segName(d.action === "set" ? d.from_segment : d.segment) : cm.t("none") }),
        el("td", { text: cm.lab("review_action", d.action) }),
        el("td", { text: d.action === "set" && d.segment ? segName(d.segment) : "" }))))));
  }
  async function loadAbsences() {
    const list = await cm.getJSON("/review/absences");
    if (!list.length) { $("#absences").replaceChildren(el("p", { class: "muted", text: cm.t("noAbsences") })); return; }
    $("#absences").replaceChildren(el("table", { class: "grid", id: "absences-table" },
      el("thead", {}, el("tr", {}, ...["region", "segment", "note", "who", "when", "actions"].map((k) => el("th", { text: cm.t(k) })))),
      el("tbody", {}, ...list.map((a) => el("tr", {},
        el("td", { text: regionName(a.region) }), el("td", { text: segName(a.segment) }), el("td", { text: a.note || "" }),
        el("td", { text: a.by || "" }), el("td", { text: when(a.at) }),
        el("td", {}, el("button", { type: "button", text: cm.t("withdraw"), onclick: async () => {
          try {
            await cm.write("DELETE", `/review/absences/${encodeURIComponent(a.region)}/${encodeURIComponent(a.segment)}`);
            await loadAbsences();
          } catch (err) { cm.showError(err); }
        } })))))));
  }
  async function onAbsence(ev) {
    ev.preventDefault();
    const body = { region: $("#a-region").value, segment: $("#a-segment").value, note: $("#a-note").value.trim() };
    try {
      await cm.write("POST", "/review/absences", body, { etagOf: "/review/absences" });
      cm.showError(null);
      cm.toast(cm.t("absenceSaved", { region: regionName(body.region), segment: segName(body.segment) }));
      $("#a-note").value = "";
      await loadAbsences();
    } catch (err) { cm.showError(err); }
  }

  /* ------------------------------------------------------------ page */

  function fillFilters() {
    const keep = filters();
    const regionItems = state.regions.map((r) => [r.id, cm.nameOf(r)]);
    options($("#f-region"), regionItems, keep.region, cm.t("all"));
    options($("#f-chain"), state.chains.map((c) => [c.id, cm.nameOf(c)]), keep.chain, cm.t("all"));
    const segs = keep.chain ? state.segments[keep.chain] || [] : [];
    options($("#f-segment"), segs.map((s) => [s.id, cm.nameOf(s)]), keep.segment, cm.t("all"));
    options($("#f-reason"), cm.codes("review_reason").map((r) => [r, cm.lab("review_reason", r)]), keep.reason, cm.t("all"));
    options($("#a-region"), regionItems, $("#a-region").value || (state.regions[0] && state.regions[0].id));
    const aSeg = document.querySelector("#a-segment");
    const replacement = segmentSelect(aSeg.value);
    replacement.id = "a-segment";
    // keep the id on a wrapper-free select (the form reads #a-segment's value)
    aSeg.replaceWith(replacement);
  }
  async function start() {
    await cm.boot("review");
    try {
      const [chains, regions] = await Promise.all([cm.getJSON("/chains"), cm.getJSON("/regions")]);
      state.chains = chains;
      state.regions = regions;
      const lists = await Promise.all(chains.map((c) => cm.getJSON(`/chains/${encodeURIComponent(c.id)}/segments`)));
      chains.forEach((c, i) => { state.segments[c.id] = lists[i]; });
      fillFilters();
      for (const id of ["#f-region", "#f-chain", "#f-segment", "#f-reason"]) {
        $(id).addEventListener("change", async () => {
          if (id === "#f-chain") { $("#f-segment").value = ""; fillFilters(); }
          state.page = 1;
          try { await loadQueue(); } catch (err) { cm.showError(err); }
        });
      }
      $("#select-all").addEventListener("change", (ev) => {
        document.querySelectorAll(".pick").forEach((c) => { c.checked = ev.target.checked; });
        updateSelected();
      });
      $("#bulk-accept").addEventListener("click", () => bulk("accept"));
      $("#bulk-reject").addEventListener("click", () => bulk("reject"));
      $("#absence-form").addEventListener("submit", onAbsence);
      cm.onLang(async () => { fillFilters(); await Promise.all([loadQueue(), loadDecisions(), loadAbsences()]); });
      await Promise.all([loadQueue(), loadDecisions(), loadAbsences()]);
      document.body.dataset.ready = "true";
    } catch (err) { cm.showError(err); }
  }
  document.addEventListener("DOMContentLoaded", start);
})();
