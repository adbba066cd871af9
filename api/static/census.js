/* Census upload and chain import: preview first (dry run, nothing written), then confirm.
 * Census: POST /enterprises/import (multipart) with dry_run=true -> columns, counts, row errors,
 * updated firms with their changes; 确认导入 (or 跳过无效行并导入 with row errors) writes and shows
 * the coverage record. Chain: POST /chains/import with dry_run, then the real import. */
"use strict";

(function () {
  const cm = window.cm;
  const el = cm.el;
  const $ = (s) => document.querySelector(s);

  cm.strings({
    zh: {
      title: "本地企业普查导入", censusHead: "导入企业名录（规上名录、企查查/天眼查导出、园区/专业镇名单）",
      file: "文件（CSV / XLSX）", registerKind: "名录类型", autoKind: "按表头自动判断", complete: "完整名录",
      completeNote: "覆盖其地区与行业的全部企业", preview: "预览（不写入）", confirm: "确认导入",
      confirmSkip: "跳过无效行并导入", noFile: "请先选择文件", previewHead: "预览：{file}（{kind}）",
      encoding: "编码", recognised: "已识别的列", ignored: "未使用的列", column: "表头", fieldName: "字段",
      counts: "将发生的变化", rows: "数据行", new: "新增", updated: "更新", unchanged: "未变", skipped: "跳过",
      errors: "错误行", pending: "待审核归属", unassigned: "未归类", auto: "自动归属",
      skippedReasons: "跳过原因", rowErrors: "错误行（整份文件将被拒绝，除非跳过无效行）",
      county: "县（市、区）", row: "行", value: "值", reason: "原因", name: "企业名称", changes: "变化", warnings: "提示",
      newFirms: "新增企业（前 {n} 家）", updatedFirms: "更新的企业", done: "已导入：新增 {new}，更新 {updated}，未变 {unchanged}，跳过 {skipped}",
      coverageHead: "覆盖记录", coverageText: "{kind}（{complete}）· 导入于 {at} · {rows} 行 · 地区：{regions}",
      fields: { name: "企业名称", credit_code: "统一社会信用代码", industry_code: "行业代码", industry_name: "行业名称",
        county: "县（市、区）", zone: "开发区/园区", town: "专业镇", address: "地址", products: "主要产品", scope: "经营范围",
        employees: "从业人员", revenue: "营业收入", group: "母公司", stage: "建设状态", reg_status: "登记状态",
        capital: "注册资本", founded: "成立日期", name_en: "英文名", note: "备注" },
      reasons: { outside: "市外企业（不导入）" },
      isComplete: "完整名录", notComplete: "非完整名录", segmentsShown: "环节",
      chainHead: "导入产业链（关联表 CSV/XLSX、GraphML、GEXF）", chainFile: "关联表或图文件",
      chainId: "新链编号（小写英文）", chainNameZh: "链中文名", chainNameEn: "英文名（可选）",
      chainEnterprises: "本地企业表（可选）", chainPreview: "预览：{name}：{segments} 个环节，{links} 条关联（其中跨链 {cross}），{inferred} 个阶段由图推断（待确认）",
      chainDone: "已导入产业链 {name}：{segments} 个环节，{links} 条关联", openMap: "在图谱中查看", segmentList: "环节",
    },
    en: {
      title: "Local enterprise census import", censusHead: "Import a register (above-scale list, Qichacha/Tianyancha export, zone / town lists)",
      file: "File (CSV / XLSX)", registerKind: "Register kind", autoKind: "From the header", complete: "Complete register",
      completeNote: "covers every firm of its regions and industries", preview: "Preview (writes nothing)", confirm: "Import",
      confirmSkip: "Skip invalid rows and import", noFile: "Choose a file first", previewHead: "Preview: {file} ({kind})",
      encoding: "Encoding", recognised: "Recognised columns", ignored: "Ignored columns", column: "Header", fieldName: "Field",
      counts: "What would change", rows: "Rows", new: "New", updated: "Updated", unchanged: "Unchanged", skipped: "Skipped",
      errors: "Row errors", pending: "Pending assignments", unassigned: "Unassigned", auto: "Automatic",
      skippedReasons: "Skipped, by reason", rowErrors: "Row errors (the file is refused unless invalid rows are skipped)",
      county: "County", row: "Row", value: "Value", reason: "Reason", name: "Firm", changes: "Changes", warnings: "Warnings",
      newFirms: "New firms (first {n})", updatedFirms: "Updated firms", done: "Imported: {new} new, {updated} updated, {unchanged} unchanged, {skipped} skipped",
      coverageHead: "Coverage record", coverageText: "{kind} ({complete}) · imported {at} · {rows} rows · regions: {regions}",
      fields: { name: "Firm name", credit_code: "Credit code", industry_code: "Industry code", industry_name: "Industry",
        county: "County", zone: "Zone / park", town: "Specialised town", address: "Address", products: "Main products",
        scope: "Business scope", employees: "Employees", revenue: "Revenue", group: "Parent group", stage: "Build stage",
        reg_status: "Registration status", capital: "Registered capital", founded: "Founded", name_en: "English name", note: "Note" },
      reasons: { outside: "outside the city (not imported)" },
      isComplete: "complete", notComplete: "not complete", segmentsShown: "Segments",
      chainHead: "Import a chain (edge list CSV/XLSX, GraphML, GEXF)", chainFile: "Edge list or graph file",
      chainId: "New chain id (lower-case)", chainNameZh: "Chinese name", chainNameEn: "English name (optional)",
      chainEnterprises: "Local firms file (optional)", chainPreview: "Preview: {name}: {segments} segments, {links} links ({cross} cross-chain), {inferred} stages inferred from the graph (to confirm)",
      chainDone: "Chain {name} imported: {segments} segments, {links} links", openMap: "Open in the map", segmentList: "Segments",
    },
  });

  let regions = [];
  /** A page label from the ``group`` table (fields, reasons), the code itself when unknown. */
  const label = (group, code) => { const v = cm.t(`${group}.${code}`); return v === `${group}.${code}` ? code : v; };
  const regionName = (id) => { const r = regions.find((x) => x.id === id); return r ? cm.nameOf(r) : id; };

  /** POST a multipart form to ``path`` (below /api/v1); errors become cm.ApiError. */
  async function postForm(path, params, form) {
    let resp;
    try {
      resp = await fetch(cm.apiUrl(path, params), { method: "POST", headers: cm.authHeaders(), body: form });
    } catch (err) {
      throw new cm.ApiError(0, { detail: `${cm.t("network")}: ${err.message || err}` });
    }
    let body = null;
    try { body = await resp.json(); } catch (_) { body = null; }
    if (!resp.ok) {
      if (resp.status === 401) cm.showAuth(true);
      throw new cm.ApiError(resp.status, body);
    }
    return body;
  }

  const table = (id, heads, rows) => el("table", { class: "grid", id },
    el("thead", {}, el("tr", {}, ...heads.map((h) => el("th", { text: h })))),
    el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((c) => (c instanceof Node ? el("td", {}, c) : el("td", { text: c == null ? "" : c })))))));

  /* ------------------------------------------------------------ census */

  let censusFile = null;
  function censusParams(extra) {
    const kind = $("#register-kind").value;
    return { register_kind: kind || null, complete: $("#census-complete").checked ? "true" : null, lang: cm.lang, ...extra };
  }
  async function censusCall(extra) {
    const fd = new FormData();
    fd.append("file", censusFile, censusFile.name);
    return postForm("/enterprises/import", censusParams(extra), fd);
  }
  function countsView(c) {
    const keys = ["rows", "new", "updated", "unchanged", "skipped", "errors", "auto", "pending", "unassigned"];
    return el("div", { class: "counts", id: "census-counts" }, ...keys.map((k) =>
      el("div", { class: "count", "data-count": k }, el("b", { text: c[k] == null ? 0 : c[k] }), cm.t(k))));
  }
  const changeText = (ch) => {
    if (!ch) return "";
    if (Array.isArray(ch)) return ch.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join("；");
    return Object.entries(ch).map(([k, v]) => {
      if (v && typeof v === "object" && ("old" in v || "new" in v)) return `${k}: ${JSON.stringify(v.old)} → ${JSON.stringify(v.new)}`;
      if (Array.isArray(v) && v.length === 2) return `${k}: ${JSON.stringify(v[0])} → ${JSON.stringify(v[1])}`;
      return `${k}: ${JSON.stringify(v)}`;
    }).join("；");
  };
  function coverageView(cov) {
    if (!cov) return null;
    return el("div", { class: "coverage-record", id: "coverage-record" }, el("h3", { text: cm.t("coverageHead") }),
      cm.t("coverageText", { kind: cm.lab("register_kind", cov.register_kind), complete: cov.complete ? cm.t("isComplete") : cm.t("notComplete"),
        at: String(cov.imported_at || "").replace("T", " ").slice(0, 16), rows: cov.rows,
        regions: (cov.regions || []).map(regionName).join("、") }));
  }
  function previewView(p) {
    const out = [el("h3", { id: "preview-head", text: cm.t("previewHead", { file: p.file, kind: cm.lab("register_kind", p.register_kind) }) })];
    if (p.encoding) out.push(el("div", { class: "muted", text: `${cm.t("encoding")}: ${p.encoding}` }));
    const cols = p.columns || {};
    out.push(el("h3", { text: cm.t("recognised") }),
      table("recognised-columns", [cm.t("column"), cm.t("fieldName")], Object.entries(cols.recognised || {}).map(([h, f]) => [h, label("fields", f)])),
      el("div", { id: "ignored-columns" }, el("strong", { text: `${cm.t("ignored")}：` }),
        ...(cols.ignored || []).map((c) => el("span", { class: "chip", text: c }))));
    out.push(el("h3", { text: cm.t("counts") }), countsView(p.counts || {}));
    const reasons = Object.entries(p.skipped_by_reason || {});
    if (reasons.length) out.push(el("h3", { text: cm.t("skippedReasons") }), table("skipped-reasons", [cm.t("reason"), cm.t("skipped")], reasons.map(([r, n]) => [label("reasons", r), n])));
    if ((p.skipped || []).length) out.push(table("skipped-rows", [cm.t("row"), cm.t("name"), cm.t("reason")], p.skipped.map((s) => [s.row, s.name, s.reason])));
    if ((p.errors || []).length) {
      out.push(el("h3", { text: cm.t("rowErrors") }),
        table("row-errors", [cm.t("row"), cm.t("column"), cm.t("value"), cm.t("reason")], p.errors.map((e) => [e.row, e.column, e.value, e.reason])));
    }
    if ((p.warnings || []).length) out.push(el("h3", { text: cm.t("warnings") }), el("ul", {}, ...p.warnings.map((w) => el("li", { text: typeof w === "string" ? w : JSON.stringify(w) }))));
    if ((p.updated || []).length) {
      out.push(el("h3", { text: cm.t("updatedFirms") }),
        table("updated-firms", [cm.t("row"), cm.t("name"), cm.t("changes")], p.updated.map((u) => [u.row, u.name, changeText(u.changes)])));
    }
    if ((p.new || []).length) {
      const n = Math.min(p.new.length, 50);
      out.push(el("h3", { text: cm.t("newFirms", { n }) }),
        table("new-firms", [cm.t("row"), cm.t("name"), cm.t("county"), cm.t("segmentsShown")], p.new.slice(0, n).map((x) => [x.row, x.name, regionName(x.county || x.zone || ""),
          (x.segments || []).map((s) => `${s.segment}（${s.status}${s.confidence != null ? " " + s.confidence : ""}）`).join("、")])));
    }
    return out;
  }
  async function onCensusPreview(ev) {
    ev.preventDefault();
    const result = $("#census-result");
    censusFile = $("#census-file").files[0] || null;
    if (!censusFile) { cm.showError(new cm.ApiError(0, { detail: cm.t("noFile") })); return; }
    result.replaceChildren(el("p", { class: "muted", text: cm.t("loading") }));
    try {
      const p = await censusCall({ dry_run: "true" });
      cm.showError(null);
      const hasErrors = (p.errors || []).length > 0;
      const btn = el("button", { type: "button", class: "primary", id: "census-confirm", text: hasErrors ? cm.t("confirmSkip") : cm.t("confirm"),
        onclick: () => onCensusConfirm(hasErrors) });
      result.replaceChildren(...previewView(p), el("div", { class: "toolbar" }, btn));
      result.dataset.state = "preview";
    } catch (err) { result.replaceChildren(); cm.showError(err); }
  }
  async function onCensusConfirm(skipInvalid) {
    const result = $("#census-result");
    const btn = $("#census-confirm");
    if (btn) btn.disabled = true;
    try {
      const r = await censusCall(skipInvalid ? { skip_invalid: "true" } : {});
      cm.showError(null);
      const c = r.counts || {};
      result.replaceChildren(el("p", { id: "census-done", class: "done", text: cm.t("done", c) }), countsView(c), coverageView(r.coverage));
      result.dataset.state = "done";
    } catch (err) { if (btn) btn.disabled = false; cm.showError(err); }
  }

  /* ------------------------------------------------------------ chain import */

  function chainForm(dry) {
    const fd = new FormData();
    const f = $("#chain-file").files[0];
    if (f) fd.append("file", f, f.name);
    const ents = $("#chain-enterprises").files[0];
    if (ents) fd.append("enterprises", ents, ents.name);
    fd.append("chain_id", $("#chain-id").value.trim());
    fd.append("name_zh", $("#chain-name-zh").value.trim());
    if ($("#chain-name-en").value.trim()) fd.append("name_en", $("#chain-name-en").value.trim());
    fd.append("dry_run", dry ? "true" : "false");
    return fd;
  }
  const clearChainErrors = () => $("#chain-form").querySelectorAll(".field-error").forEach((n) => { n.textContent = ""; });
  function chainErrors(err) {
    const form = $("#chain-form");
    clearChainErrors();
    const alias = { "--id": "chain_id", "--name": "name_zh", "--name-en": "name_en", id: "chain_id" };
    const raw = String(err.field || "").replace(/^body\./, "");
    const name = alias[raw] || raw;
    const slot = name && form.querySelector(`.field-error[data-error-for="${CSS.escape(name)}"]`);
    if (slot) { slot.textContent = err.hint ? `${err.hint} — ${err.message}` : err.message; cm.showError(null); } else cm.showError(err);
    const rows = (err.body && (err.body.errors || err.body.rows)) || [];
    if (Array.isArray(rows) && rows.length) {
      $("#chain-result").replaceChildren(table("chain-errors", [cm.t("row"), cm.t("column"), cm.t("value"), cm.t("reason")],
        rows.map((e) => [e.row, e.column || e.field, e.value, e.reason || e.detail])));
    }
  }
  function chainSummary(r, key) {
    const names = Object.keys(r.segment_ids || {});
    return [el("p", { id: key, text: cm.t(key === "chain-done" ? "chainDone" : "chainPreview", { name: r.name_zh || r.chain, segments: r.segments,
      links: r.links, cross: r.cross_chain_links || 0, inferred: (r.stages_inferred || []).length }) }),
    names.length ? el("div", { id: "chain-segments" }, el("strong", { text: `${cm.t("segmentList")}：` }), ...names.map((n) => el("span", { class: "chip", text: n }))) : null];
  }
  async function onChainPreview(ev) {
    ev.preventDefault();
    const out = $("#chain-result");
    if (!$("#chain-file").files[0]) { cm.showError(new cm.ApiError(0, { detail: cm.t("noFile") })); return; }
    clearChainErrors();
    out.replaceChildren(el("p", { class: "muted", text: cm.t("loading") }));
    try {
      const r = await postForm("/chains/import", { lang: cm.lang }, chainForm(true));
      cm.showError(null);
      out.replaceChildren(...chainSummary(r, "chain-preview-text").filter(Boolean),
        el("div", { class: "toolbar" }, el("button", { type: "button", class: "primary", id: "chain-confirm", text: cm.t("confirm"), onclick: onChainConfirm })));
      out.dataset.state = "preview";
    } catch (err) { out.replaceChildren(); chainErrors(err); }
  }
  async function onChainConfirm() {
    const out = $("#chain-result");
    const btn = $("#chain-confirm");
    if (btn) btn.disabled = true;
    try {
      const r = await postForm("/chains/import", { lang: cm.lang }, chainForm(false));
      cm.showError(null);
      const q = new URLSearchParams({ chain: r.chain });
      if (cm.lang === "en") q.set("lang", "en");
      out.replaceChildren(...chainSummary(r, "chain-done").filter(Boolean), el("a", { href: `index.html?${q}`, id: "chain-open-map", text: cm.t("openMap") }));
      out.dataset.state = "done";
    } catch (err) { if (btn) btn.disabled = false; chainErrors(err); }
  }

  /* ------------------------------------------------------------ page */

  function fillKinds() {
    const sel = $("#register-kind");
    const cur = sel.value;
    sel.replaceChildren(el("option", { value: "", text: cm.t("autoKind") }),
      ...cm.codes("register_kind").map((k) => el("option", { value: k, text: cm.lab("register_kind", k), selected: k === cur })));
  }
  async function start() {
    await cm.boot("census");
    fillKinds();
    cm.onLang(fillKinds);
    $("#census-form").addEventListener("submit", onCensusPreview);
    $("#chain-form").addEventListener("submit", onChainPreview);
    try { regions = await cm.getJSON("/regions"); } catch (err) { cm.showError(err); }
    document.body.dataset.ready = "true";
  }
  document.addEventListener("DOMContentLoaded", start);
})();
