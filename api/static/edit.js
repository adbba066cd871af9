/* Planner editing: segments, links and local enterprises (with their segment assignments) of one
 * chain. Every write goes through the API (POST / PUT / DELETE with If-Match via cm.write); the
 * API's validation errors name a `field`, shown inline next to that field; 412 shows the conflict
 * message and reloads the item; a delete asks first and shows the API's reason when refused. */
"use strict";

(function () {
  const cm = window.cm;
  const el = cm.el;
  const $ = (s) => document.querySelector(s);

  cm.strings({
    zh: {
      title: "编辑产业链图谱", chain: "产业链", tabSegments: "环节", tabLinks: "关联", tabEnterprises: "本地企业",
      summary: "{segments} 个环节 · {links} 条关联 · {firms} 家本地企业",
      add: "新建", edit: "编辑", del: "删除", save: "保存", cancel: "取消", saved: "已保存", deleted: "已删除",
      id: "编号", idNew: "编号（留空自动生成）", name_zh: "中文名", name_en: "英文名（可选）", stage: "阶段", kind: "类型",
      parent: "上级环节", none: "（无）", keywords_zh: "关键词（用、或逗号分隔）", sources: "来源（分号分隔）",
      source: "上游环节", target: "下游环节", linkKind: "关系", weight: "权重（0–1）", note: "说明",
      name: "企业名称", county: "县（市、区）", zone: "开发区", entStage: "状态", credit_code: "统一社会信用代码",
      segments: "环节挂接", role: "角色", status: "归属状态", addRow: "添加挂接", removeRow: "移除",
      confirmDeleteSegment: "确定删除环节“{name}”吗？", confirmDeleteLink: "确定删除关联“{name}”吗？",
      confirmDeleteFirm: "确定删除企业“{name}”吗？", refused: "未删除：{reason}",
      fixFields: "请修改标出的字段", actions: "操作", inChain: "本链环节",
      producing: "投产", construction: "在建", signed: "已签约",
      confirmed: "已确认", auto: "自动", pending: "待审核",
    },
    en: {
      title: "Edit industrial chains", chain: "Chain", tabSegments: "Segments", tabLinks: "Links", tabEnterprises: "Local firms",
      summary: "{segments} segments · {links} links · {firms} local firms",
      add: "Add", edit: "Edit", del: "Delete", save: "Save", cancel: "Cancel", saved: "Saved", deleted: "Deleted",
      id: "Id", idNew: "Id (blank: generated)", name_zh: "Chinese name", name_en: "English name (optional)", stage: "Stage",
      kind: "Kind", parent: "Parent segment", none: "(none)", keywords_zh: "Keywords (、 or comma separated)",
      sources: "Sources (; separated)", source: "Upstream segment", target: "Downstream segment", linkKind: "Relation",
      weight: "Weight (0–1)", note: "Note", name: "Firm name", county: "County", zone: "Development zone",
      entStage: "Stage", credit_code: "Credit code", segments: "Segment assignments", role: "Role", status: "Status",
      addRow: "Add assignment", removeRow: "Remove", confirmDeleteSegment: "Delete segment “{name}”?",
      confirmDeleteLink: "Delete link “{name}”?", confirmDeleteFirm: "Delete firm “{name}”?", refused: "Not deleted: {reason}",
      fixFields: "Correct the marked fields", actions: "Actions", inChain: "Segments of this chain",
      producing: "Producing", construction: "Under construction", signed: "Signed",
      confirmed: "Confirmed", auto: "Automatic", pending: "Pending review",
    },
  });

  const state = { chains: [], chain: null, segments: [], links: [], firms: [], regions: [], tab: "segments", editing: null };
  const split = (s, re) => String(s || "").split(re).map((x) => x.trim()).filter(Boolean);
  const allNames = new Map(); // every chain's segments (links reach into neighbouring chains)
  const segName = (id) => { const s = state.segments.find((x) => x.id === id) || allNames.get(id); return s ? cm.nameOf(s) : id; };
  const regionName = (id) => { const r = state.regions.find((x) => x.id === id); return r ? cm.nameOf(r) : (id || ""); };

  /* ------------------------------------------------------------ inline errors */

  function clearErrors(form) {
    form.querySelectorAll(".field-error").forEach((n) => { n.textContent = ""; });
    form.querySelectorAll(".invalid").forEach((n) => n.classList.remove("invalid"));
  }
  /** The API's (pydantic) validation message in plain Chinese where a pattern is known, else as sent. */
  const ZH_MESSAGES = [
    [/Input should be less than or equal to (\S+)/, "应小于或等于 $1"], [/Input should be greater than or equal to (\S+)/, "应大于或等于 $1"],
    [/Input should be less than (\S+)/, "应小于 $1"], [/Input should be greater than (\S+)/, "应大于 $1"],
    [/Input should be a valid (number|integer)[^,]*/, "应为数字"], [/String should have at least 1 character/, "不能为空"],
    [/Field required/, "必填"], [/Input should be '([^']+)'(?:, '([^']+)')*(?: or '([^']+)')?/, "取值无效"],
  ];
  function fieldMessage(err, name) {
    const raw = String(err.message || "").replace(new RegExp(`^[\\w.]*${name}:\\s*`), "");
    if (cm.lang !== "zh") return raw;
    for (const [re, zh] of ZH_MESSAGES) if (re.test(raw)) return `${raw.replace(re, zh)}（${raw}）`;
    return raw;
  }
  /** Show ``err`` next to the field it names (``body.weight`` -> weight; ``segments.0.segment``). */
  function showFieldError(form, err) {
    const path = String(err.field || "").replace(/^body\./, "").replace(/\[(\d+)\]/g, ".$1");
    const candidates = [path, path.split(".").slice(-1)[0], path.split(".")[0]].filter(Boolean);
    for (const name of candidates) {
      const input = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
      const slot = form.querySelector(`.field-error[data-error-for="${CSS.escape(name)}"]`)
        || (input && input.closest("label") && input.closest("label").querySelector(".field-error"));
      if (!input && !slot) continue;
      if (input) { input.classList.add("invalid"); input.focus(); }
      const box = slot || el("span", { class: "field-error", "data-error-for": name });
      if (!slot) input.after(box);
      box.textContent = fieldMessage(err, name.split(".").slice(-1)[0]);
      cm.showError(null);
      return true;
    }
    return false;
  }
  async function submit(form, fn) {
    clearErrors(form);
    try {
      await fn();
      cm.showError(null);
      cm.toast(cm.t("saved"));
      state.editing = null;
      await loadChain();
    } catch (err) {
      if (err.status === 412) { await loadChain(); return; } // common.js shows the conflict message
      if (!showFieldError(form, err)) cm.showError(err);
    }
  }
  async function remove(question, fn) {
    if (!window.confirm(question)) return;
    try {
      await fn();
      cm.showError(null);
      cm.toast(cm.t("deleted"));
      await loadChain();
    } catch (err) {
      if (err.status === 412) { await loadChain(); return; }
      cm.showError(Object.assign(new cm.ApiError(err.status, err.body), { message: cm.t("refused", { reason: err.message }) }));
    }
  }

  /* ------------------------------------------------------------ form helpers */

  function field(name, label, input, wide) {
    input.dataset.field = name;
    input.name = name;
    return el("label", { class: wide ? "wide" : null }, el("span", { text: label }), input,
      el("span", { class: "field-error", "data-error-for": name }));
  }
  const text = (v) => el("input", { type: "text", value: v == null ? "" : v });
  function select(options, value, blank) {
    const s = el("select", {});
    if (blank) s.append(el("option", { value: "", text: blank }));
    for (const [v, label] of options) s.append(el("option", { value: v, text: label, selected: v === value }));
    return s;
  }
  const vocab = (name) => cm.codes(name).map((c) => [c, cm.lab(name, c)]);
  const segOptions = () => state.segments.map((s) => [s.id, cm.nameOf(s)]);
  function actions(form) {
    return el("div", { class: "actions" },
      el("button", { type: "submit", class: "primary", "data-action": "save", text: cm.t("save") }),
      el("button", { type: "button", text: cm.t("cancel"), onclick: () => { state.editing = null; render(); } }));
  }

  /* ------------------------------------------------------------ segments */

  function segmentForm(seg) {
    const isNew = !seg.id;
    const form = el("form", { class: "form", id: "segment-form", novalidate: true });
    const f = {
      id: text(seg.id), name_zh: text(seg.name_zh), name_en: text(seg.name_en),
      stage: select(vocab("segment_stage"), seg.stage || "midstream"),
      kind: select(vocab("segment_kind"), seg.kind || "product"),
      parent: select(segOptions().filter(([v]) => v !== seg.id), seg.parent || "", cm.t("none")),
      keywords_zh: text((seg.keywords_zh || []).join("、")), sources: text((seg.sources || []).join("; ")),
    };
    if (!isNew) f.id.readOnly = true;
    form.append(
      field("id", isNew ? cm.t("idNew") : cm.t("id"), f.id), field("name_zh", cm.t("name_zh"), f.name_zh),
      field("name_en", cm.t("name_en"), f.name_en), field("stage", cm.t("stage"), f.stage),
      field("kind", cm.t("kind"), f.kind), field("parent", cm.t("parent"), f.parent),
      field("keywords_zh", cm.t("keywords_zh"), f.keywords_zh, true), field("sources", cm.t("sources"), f.sources, true),
      actions(form));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      submit(form, async () => {
        const id = f.id.value.trim() || `${state.chain}.${Date.now().toString(36)}`;
        const body = { ...seg, id, chain: state.chain, name_zh: f.name_zh.value.trim(), name_en: f.name_en.value.trim(),
          stage: f.stage.value, kind: f.kind.value, parent: f.parent.value || null,
          keywords_zh: split(f.keywords_zh.value, /[、,，;；]/), sources: split(f.sources.value, /[;；]/) };
        if (isNew) await cm.write("POST", "/segments", body);
        else await cm.write("PUT", `/segments/${encodeURIComponent(id)}`, body);
      });
    });
    return form;
  }
  async function editSegment(id) {
    try {
      state.editing = id ? await cm.getJSON(`/segments/${encodeURIComponent(id)}`) : {};
      render();
    } catch (err) { cm.showError(err); }
  }
  function segmentsView() {
    const rows = state.segments.map((s) => el("tr", { "data-id": s.id },
      el("td", { class: "seg-name", text: s.name_zh }), el("td", { text: s.name_en || "" }),
      el("td", { text: cm.lab("segment_stage", s.stage) }), el("td", { text: cm.lab("segment_kind", s.kind) }),
      el("td", { text: s.parent ? segName(s.parent) : "" }),
      el("td", {},
        el("button", { type: "button", "data-action": "edit", text: cm.t("edit"), onclick: () => editSegment(s.id) }), " ",
        el("button", { type: "button", class: "danger", "data-action": "delete", text: cm.t("del"),
          onclick: () => remove(cm.t("confirmDeleteSegment", { name: cm.nameOf(s) }), async () => {
            await cm.getJSON(`/segments/${encodeURIComponent(s.id)}`);
            await cm.write("DELETE", `/segments/${encodeURIComponent(s.id)}`);
          }) }))));
    return [
      el("div", { class: "toolbar" }, el("button", { type: "button", id: "add-segment", class: "primary", text: `${cm.t("add")} ${cm.t("tabSegments")}`, onclick: () => editSegment(null) })),
      state.editing ? segmentForm(state.editing) : null,
      el("table", { class: "grid", id: "segments-table" },
        el("thead", {}, el("tr", {}, ...["name_zh", "name_en", "stage", "kind", "parent", "actions"].map((k) => el("th", { text: cm.t(k) })))),
        el("tbody", {}, ...rows)),
    ];
  }

  /* ------------------------------------------------------------ links */

  const linkPath = (l) => `/links/${encodeURIComponent(l.source)}/${encodeURIComponent(l.target)}/${l.kind}`;
  function linkForm(link) {
    const isNew = !link.source;
    const form = el("form", { class: "form", id: "link-form", novalidate: true });
    const f = {
      source: select(segOptions(), link.source), target: select(segOptions(), link.target),
      kind: select(vocab("link_kind"), link.kind || "supplies"),
      weight: el("input", { type: "text", inputmode: "decimal", value: link.weight == null ? "" : link.weight }),
      note: text(link.note), sources: text((link.sources || []).join("; ")),
    };
    if (!isNew) { f.source.disabled = true; f.target.disabled = true; f.kind.disabled = true; }
    form.append(field("source", cm.t("source"), f.source), field("target", cm.t("target"), f.target),
      field("kind", cm.t("linkKind"), f.kind), field("weight", cm.t("weight"), f.weight),
      field("note", cm.t("note"), f.note, true), field("sources", cm.t("sources"), f.sources, true), actions(form));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      submit(form, async () => {
        const w = f.weight.value.trim();
        const body = { source: f.source.value, target: f.target.value, kind: f.kind.value,
          weight: w === "" ? null : (Number.isFinite(Number(w)) ? Number(w) : w),
          note: f.note.value.trim(), sources: split(f.sources.value, /[;；]/) };
        await cm.write("POST", "/links", body, { etagOf: isNew ? "/links:new" : linkPath(body) });
      });
    });
    return form;
  }
  async function editLink(l) {
    try {
      state.editing = l ? await cm.getJSON(linkPath(l)) : {};
      render();
    } catch (err) { cm.showError(err); }
  }
  function linksView() {
    const rows = state.links.map((l) => el("tr", { "data-key": `${l.source}|${l.target}|${l.kind}` },
      el("td", { text: segName(l.source) }), el("td", { text: segName(l.target) }),
      el("td", { text: cm.lab("link_kind", l.kind) }), el("td", { class: "num", text: l.weight == null ? "" : l.weight }),
      el("td", { text: l.note || "" }),
      el("td", {},
        el("button", { type: "button", "data-action": "edit", text: cm.t("edit"), onclick: () => editLink(l) }), " ",
        el("button", { type: "button", class: "danger", "data-action": "delete", text: cm.t("del"),
          onclick: () => remove(cm.t("confirmDeleteLink", { name: `${segName(l.source)} → ${segName(l.target)}` }), async () => {
            await cm.getJSON(linkPath(l));
            await cm.write("DELETE", "/links", undefined, { params: { source: l.source, target: l.target, kind: l.kind }, etagOf: linkPath(l) });
          }) }))));
    return [
      el("div", { class: "toolbar" }, el("button", { type: "button", id: "add-link", class: "primary", text: `${cm.t("add")} ${cm.t("tabLinks")}`, onclick: () => editLink(null) })),
      state.editing ? linkForm(state.editing) : null,
      el("table", { class: "grid", id: "links-table" },
        el("thead", {}, el("tr", {}, ...["source", "target", "linkKind", "weight", "note", "actions"].map((k) => el("th", { text: cm.t(k) })))),
        el("tbody", {}, ...rows)),
    ];
  }

  /* ------------------------------------------------------------ enterprises */

  function presenceRow(p, i) {
    const row = el("div", { class: "toolbar presence-row" });
    const seg = select(segOptions(), p.segment); seg.dataset.field = `segments.${i}.segment`; seg.dataset.part = "segment";
    const role = select(vocab("role"), p.role || "producer"); role.dataset.part = "role";
    const status = select(["confirmed", "auto", "pending"].map((c) => [c, cm.t(c)]), p.status || "confirmed"); status.dataset.part = "status";
    row.append(el("label", {}, el("span", { text: cm.t("tabSegments") }), seg), el("label", {}, el("span", { text: cm.t("role") }), role),
      el("label", {}, el("span", { text: cm.t("status") }), status),
      el("button", { type: "button", text: cm.t("removeRow"), onclick: () => row.remove() }));
    row.dataset.original = JSON.stringify(p);
    return row;
  }
  function firmForm(firm) {
    const isNew = !firm.id;
    const form = el("form", { class: "form", id: "firm-form", novalidate: true });
    const counties = state.regions.filter((r) => r.kind !== "zone").map((r) => [r.id, cm.nameOf(r)]);
    const zones = state.regions.filter((r) => r.kind === "zone").map((r) => [r.id, cm.nameOf(r)]);
    const f = {
      name: text(firm.name), credit_code: text(firm.credit_code), county: select(counties, firm.county, cm.t("none")),
      zone: select(zones, firm.zone, cm.t("none")),
      stage: select(["producing", "construction", "signed"].map((c) => [c, cm.t(c)]), firm.stage || "producing"),
      source: text(firm.source),
    };
    const rows = el("div", { class: "wide", id: "presence-rows" });
    // only this chain's assignments are edited here; the firm's others are kept as they are
    const ids = new Set(state.segments.map((s) => s.id));
    (firm.segments || []).filter((p) => ids.has(p.segment)).forEach((p, i) => rows.append(presenceRow(p, i)));
    form.append(field("name", cm.t("name"), f.name), field("credit_code", cm.t("credit_code"), f.credit_code),
      field("county", cm.t("county"), f.county), field("zone", cm.t("zone"), f.zone),
      field("stage", cm.t("entStage"), f.stage), field("source", cm.t("sources"), f.source),
      el("h3", { class: "wide", text: cm.t("segments") }), rows,
      el("div", { class: "wide" }, el("button", { type: "button", id: "add-presence", text: cm.t("addRow"),
        onclick: () => rows.append(presenceRow({ segment: state.segments[0] && state.segments[0].id }, rows.children.length)) }),
        el("span", { class: "field-error", "data-error-for": "segments" })),
      actions(form));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      submit(form, async () => {
        const mine = [...rows.querySelectorAll(".presence-row")].map((r) => {
          const orig = JSON.parse(r.dataset.original || "{}");
          const part = (n) => r.querySelector(`[data-part="${n}"]`).value;
          const p = { ...orig, segment: part("segment"), role: part("role"), status: part("status") };
          if (p.segment !== orig.segment || p.status !== orig.status || p.role !== orig.role) p.method = "planner";
          return p;
        });
        const others = (firm.segments || []).filter((p) => !ids.has(p.segment));
        // the API names a bad assignment by its index in the body: others first, then these rows
        rows.querySelectorAll(".presence-row").forEach((r, k) => { r.querySelector('[data-part="segment"]').dataset.field = `segments.${others.length + k}.segment`; });
        const body = { ...firm, name: f.name.value.trim(), credit_code: f.credit_code.value.trim() || null,
          county: f.county.value || null, zone: f.zone.value || null, stage: f.stage.value,
          source: f.source.value.trim() || null, segments: [...others, ...mine] };
        if (isNew) await cm.write("POST", "/enterprises", body);
        else await cm.write("PUT", `/enterprises/${encodeURIComponent(firm.id)}`, body);
      });
    });
    return form;
  }
  async function editFirm(id) {
    try {
      state.editing = id ? await cm.getJSON(`/enterprises/${encodeURIComponent(id)}`) : {};
      render();
    } catch (err) { cm.showError(err); }
  }
  function firmsView() {
    const ids = new Set(state.segments.map((s) => s.id));
    const rows = state.firms.map((e) => el("tr", { "data-id": e.id },
      el("td", { text: e.name }), el("td", { text: [regionName(e.county), e.zone ? regionName(e.zone) : ""].filter(Boolean).join(" · ") }),
      el("td", { text: cm.t(e.stage || "producing") }),
      el("td", {}, ...(e.segments || []).filter((p) => ids.has(p.segment)).map((p) =>
        el("span", { class: "chip", text: `${segName(p.segment)}（${cm.lab("role", p.role)}·${cm.t(p.status)}）` }))),
      el("td", {},
        el("button", { type: "button", "data-action": "edit", text: cm.t("edit"), onclick: () => editFirm(e.id) }), " ",
        el("button", { type: "button", class: "danger", "data-action": "delete", text: cm.t("del"),
          onclick: () => remove(cm.t("confirmDeleteFirm", { name: e.name }), async () => {
            await cm.getJSON(`/enterprises/${encodeURIComponent(e.id)}`);
            await cm.write("DELETE", `/enterprises/${encodeURIComponent(e.id)}`);
          }) }))));
    return [
      el("div", { class: "toolbar" }, el("button", { type: "button", id: "add-firm", class: "primary", text: `${cm.t("add")} ${cm.t("tabEnterprises")}`, onclick: () => editFirm(null) })),
      state.editing ? firmForm(state.editing) : null,
      el("table", { class: "grid", id: "firms-table" },
        el("thead", {}, el("tr", {}, ...["name", "county", "entStage", "segments", "actions"].map((k) => el("th", { text: cm.t(k) })))),
        el("tbody", {}, ...rows)),
    ];
  }

  /* ------------------------------------------------------------ page */

  function render() {
    document.querySelectorAll(".tabs button").forEach((b) => {
      b.setAttribute("aria-selected", String(b.dataset.tab === state.tab));
      b.textContent = cm.t(b.dataset.i18n);
    });
    const view = { segments: segmentsView, links: linksView, enterprises: firmsView }[state.tab];
    $("#tab-body").replaceChildren(...view().filter(Boolean));
    $("#chain-summary").textContent = cm.t("summary", { segments: state.segments.length, links: state.links.length, firms: state.firms.length });
  }

  const cityId = () => { const c = state.regions.find((r) => r.kind === "city"); return c ? c.id : null; };
  async function allLocalFirms() {
    const out = [];
    for (let page = 1; page < 200; page++) {
      const body = await cm.getJSON("/enterprises", { region: cityId(), page, page_size: 500 });
      const items = body.items || [];
      out.push(...items);
      if (items.length < 500) break;
    }
    return out;
  }

  async function loadChain() {
    const chain = state.chain;
    const [segments, links, firms] = await Promise.all([
      cm.getJSON(`/chains/${encodeURIComponent(chain)}/segments`), cm.getJSON("/links", { chain }), allLocalFirms()]);
    state.segments = segments;
    const ids = new Set(segments.map((s) => s.id));
    state.links = links.filter((l) => l.kind !== "part_of" || ids.has(l.source));
    state.firms = firms.filter((e) => (e.segments || []).some((p) => ids.has(p.segment)));
    render();
  }

  async function start() {
    await cm.boot("edit");
    try {
      const [chains, regions] = await Promise.all([cm.getJSON("/chains"), cm.getJSON("/regions")]);
      state.chains = chains;
      state.regions = regions;
      const lists = await Promise.all(chains.map((c) => cm.getJSON(`/chains/${encodeURIComponent(c.id)}/segments`)));
      lists.flat().forEach((x) => allNames.set(x.id, x));
      const q = new URLSearchParams(location.search).get("chain");
      state.chain = chains.some((c) => c.id === q) ? q : (chains[0] && chains[0].id);
      const sel = $("#chain-select");
      const fill = () => sel.replaceChildren(...chains.map((c) => el("option", { value: c.id, text: cm.nameOf(c), selected: c.id === state.chain })));
      fill();
      sel.addEventListener("change", async () => { state.chain = sel.value; state.editing = null; await loadChain(); });
      document.querySelectorAll(".tabs button").forEach((b) => b.addEventListener("click", () => { state.tab = b.dataset.tab; state.editing = null; render(); }));
      cm.onLang(() => { fill(); render(); });
      await loadChain();
      document.body.dataset.ready = "true";
    } catch (err) { cm.showError(err); }
  }
  document.addEventListener("DOMContentLoaded", start);
})();
