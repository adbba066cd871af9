/* chainmap leads workspace: the full ranked lead list (GET /leads, paged) with filters, each
 * lead's score as a bar of its feature contributions (imputed features marked), reasons and
 * flags, rivals on request, the formatted workbook (GET /leads.xlsx, same filters) and
 * 登记为项目 (POST /projects with the lead, showing the duplicate warning of the registry).
 *
 * Filter vocabularies come from the server once: GET /leads/options (headquarters regions,
 * investor kinds, feature meanings, flags), GET /labels (tags, statuses, task-force kinds).
 * State lives in the URL (?chain=&gap=&hq_region=&tag=&investor=&include_rivals=&k=&page=),
 * so a gap row of the gaps page links here with ?gap=<segment>.
 */
"use strict";

(function () {
  const cm = window.cm;
  const { el, t } = cm;
  const $ = (s) => document.querySelector(s);

  cm.strings({
    zh: {
      title: "精准招商线索", chain: "产业链", gap: "缺口环节", hqRegion: "总部区域", tag: "标签", investor: "投资方",
      pageSize: "每页", includeRivals: "显示同业竞争企业", downloadXlsx: "下载线索表（XLSX）",
      allChains: "全部四条链", allGaps: "全部缺口", allRegions: "不限", allTags: "不限", allInvestors: "不限",
      empty: "没有符合条件的线索。", howToRead: "如何阅读得分",
      howToReadText: "得分条由各项特征的贡献组成，各段长度之和等于得分（模型参与时含基线）。带“估”字的特征缺少数据，按中性值估算。",
      summary: "共 {total} 条线索 · 第 {page}/{pages} 页 · 第 {from}–{to} 条", summaryNone: "共 0 条线索",
      rivalsLeftOut: "另有 {n} 家与本地链主/链核同业竞争的企业未列出（勾选“显示同业竞争企业”查看）。",
      demo: "演示候选池：尚未导入候选企业，以下为内置演示数据，仅供演示，不是真实招商对象。",
      model: "排序：{model}（历史结果 {n} 条，模型权重 {w}）", modelPrior: "先验规则", modelBlend: "先验规则+学习模型",
      prev: "上一页", next: "下一页", pageN: "第 {n} 页",
      score: "得分", baseline: "基线", imputed: "估", imputedList: "按中性值估算（缺数据）：{list}",
      hq: "总部", unknownHq: "总部未知", gapLine: "{status}：{gap}", rivals: "同业竞争对象：{list}",
      affiliates: "集团在运城已有：{list}", risks: "风险提示：{list}", register: "登记为项目",
      registerTitle: "登记为项目", taskForce: "招商队伍", taskForceKind: "队伍类型", owner: "责任人",
      registerSubmit: "登记", cancel: "取消", registered: "已登记为项目 {id}", openProject: "打开项目",
      registeredBadge: "已登记：{id}", duplicate: "重复跟进提醒", required: "请填写{field}",
      leadOf: "{name} · {gap}（{status}）· 第 {rank} 名 · 得分 {score}",
      relation: { producer: "生产该环节", supplier: "为该环节供应直接上游" },
    },
    en: {
      title: "Investment leads", chain: "Chain", gap: "Gap segment", hqRegion: "HQ region", tag: "Tag", investor: "Investor",
      pageSize: "Per page", includeRivals: "show rivals of local leaders", downloadXlsx: "Download the leads workbook (XLSX)",
      allChains: "all four chains", allGaps: "all gaps", allRegions: "any", allTags: "any", allInvestors: "any",
      empty: "No lead matches.", howToRead: "How to read the score",
      howToReadText: "The bar is made of the features' contributions; the segments add up to the score (with the baseline when a learned model takes part). Features marked “est.” lack data and use a neutral value.",
      summary: "{total} leads · page {page}/{pages} · {from}–{to}", summaryNone: "0 leads",
      rivalsLeftOut: "{n} rivals of local chain leaders are left out (tick “show rivals” to list them).",
      demo: "Demo pool: no candidates imported yet; these are the shipped demo records, not real targets.",
      model: "Ranking: {model} ({n} past outcomes, model weight {w})", modelPrior: "prior rules", modelBlend: "prior rules + learned model",
      prev: "Previous", next: "Next", pageN: "page {n}",
      score: "score", baseline: "baseline", imputed: "est.", imputedList: "Estimated with a neutral value (data missing): {list}",
      hq: "HQ", unknownHq: "HQ unknown", gapLine: "{status}: {gap}", rivals: "Rivals: {list}",
      affiliates: "Group already in Yuncheng: {list}", risks: "Risk notes: {list}", register: "Register as project",
      registerTitle: "Register as a project", taskForce: "Task force", taskForceKind: "Kind", owner: "Owner",
      registerSubmit: "Register", cancel: "Cancel", registered: "Registered as project {id}", openProject: "Open project",
      registeredBadge: "Registered: {id}", duplicate: "Already followed", required: "Please fill in {field}",
      leadOf: "{name} · {gap} ({status}) · rank {rank} · score {score}",
      relation: { producer: "produces the gap segment", supplier: "supplies a direct input of it" },
    },
  });

  const FILTERS = ["chain", "gap", "hq_region", "tag", "investor", "include_rivals", "k", "page"];
  const state = {
    chain: "", gap: "", hq_region: "", tag: "", investor: "", include_rivals: "", k: "20", page: "1",
    chains: [], gaps: [], options: null, body: null, taskForces: [], registered: new Map(), current: null,
  };
  const features = () => (state.options && state.options.features) || {};
  const featureName = (f) => {
    const m = features()[f] || f;
    // the short head of the meaning: "营收规模 log10(…)" -> "营收规模", "距运城近：1 − 距离/3000km" -> "距运城近"
    return m.split(/[（(，,]| log|[：:] ?[\d−-]/)[0].trim() || m;
  };
  const chainById = (id) => state.chains.find((c) => c.id === id);

  function readUrl() {
    const q = new URLSearchParams(location.search);
    for (const k of FILTERS) if (q.get(k) != null) state[k] = q.get(k);
  }
  function writeUrl() {
    const q = new URLSearchParams();
    for (const k of FILTERS) if (state[k] && !(k === "page" && state[k] === "1") && !(k === "k" && state[k] === "20")) q.set(k, state[k]);
    if (cm.lang === "en") q.set("lang", "en");
    history.replaceState(null, "", `${location.pathname}?${q}`);
  }
  const params = () => ({
    chain: state.chain, gap: state.gap, hq_region: state.hq_region, tag: state.tag, investor: state.investor,
    include_rivals: state.include_rivals ? "true" : "", lang: cm.lang,
  });

  /* ---------------------------------------------------------------- controls */

  const option = (value, text, selected) => el("option", { value, selected: selected ? true : null, text });
  function fillSelect(sel, allText, entries, current) {
    sel.replaceChildren(option("", allText, !current), ...entries.map(([v, text]) => option(v, text, current === v)));
  }
  function fillControls() {
    const top = state.chains.filter((c) => !c.parent);
    fillSelect($("#f-chain"), t("allChains"), top.map((c) => [c.id, `${c.letter || ""} ${cm.nameOf(c)}`.trim()]), state.chain);
    fillGapSelect();
    const o = state.options || { hq_regions: {}, investor: {} };
    fillSelect($("#f-hq"), t("allRegions"), Object.entries(o.hq_regions), state.hq_region);
    fillSelect($("#f-tag"), t("allTags"), (o.tags || cm.codes("tag")).map((c) => [c, cm.lab("tag", c)]), state.tag);
    fillSelect($("#f-investor"), t("allInvestors"), Object.entries(o.investor), state.investor);
    $("#f-k").value = state.k;
    $("#f-rivals").checked = !!state.include_rivals;
    $("#r-kind").replaceChildren(...cm.codes("task_force_kind").map((c) => option(c, cm.lab("task_force_kind", c), c === "special_team")));
  }
  function fillGapSelect() {
    const gaps = state.gaps.filter((g) => !state.chain || g.chain_id === state.chain);
    const entries = gaps.map((g) => [g.segment_id, `${g.segment_name}（${cm.lab("gap_status", g.status)}）`]);
    if (state.gap && !gaps.some((g) => g.segment_id === state.gap)) entries.unshift([state.gap, state.gap]);
    fillSelect($("#f-gap"), t("allGaps"), entries, state.gap);
  }

  /* ---------------------------------------------------------------- data */

  async function loadStatic() {
    const [chains, options, gaps] = await Promise.all([
      cm.getJSON("/chains"),
      cm.getJSON("/leads/options", { lang: cm.lang }),
      cm.getJSON("/gaps", { lang: cm.lang, page_size: 1000 }),
    ]);
    state.chains = chains;
    state.options = options;
    const targets = cm.labels().gap_status_targets || ["fill", "strengthen", "extend"];
    // target gaps, and unverified ones that would be targets (their leads are provisional: 先核实)
    state.gaps = (gaps.items || []).filter((g) =>
      targets.includes(g.status) || (g.status === "unverified" && targets.includes(g.would_be)));
    loadTaskForces();
  }
  async function loadTaskForces() {
    try {
      const [projects, targets] = await Promise.all([
        cm.getJSON("/projects", { page_size: 500 }),
        cm.getJSON("/targets").catch(() => []),
      ]);
      const names = new Map();
      for (const p of projects.items || []) names.set(p.task_force, p.task_force_kind);
      for (const tg of targets || []) if (tg.task_force) names.set(tg.task_force, tg.task_force_kind || names.get(tg.task_force));
      state.taskForces = [...names.entries()].sort((a, b) => a[0].localeCompare(b[0], "zh-CN"));
    } catch (_) {
      state.taskForces = [];
    }
    $("#task-force-list").replaceChildren(...state.taskForces.map(([name]) => el("option", { value: name })));
  }

  let seq = 0;
  async function loadLeads() {
    const my = ++seq;
    const list = $("#leads-list");
    list.setAttribute("aria-busy", "true");
    try {
      const body = await cm.getJSON("/leads", { ...params(), k: state.k, page: state.page });
      if (my !== seq) return;
      state.body = body;
      cm.showError(null);
    } catch (err) {
      if (my !== seq) return;
      state.body = null;
      cm.showError(err);
    } finally {
      if (my === seq) list.removeAttribute("aria-busy");
    }
    render();
  }

  /* ---------------------------------------------------------------- rendering */

  function scoreBar(lead) {
    const entries = Object.entries(lead.contributions || {}).filter(([, v]) => v !== 0);
    const pos = entries.filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
    const neg = entries.filter(([, v]) => v < 0).sort((a, b) => a[1] - b[1]);
    const scale = Math.max(1, lead.score, (lead.baseline || 0) + pos.reduce((s, [, v]) => s + v, 0));
    const pct = (v) => `${(Math.abs(v) / scale) * 100}%`;
    const imputed = new Set(lead.imputed || []);
    const segs = [];
    if (lead.baseline) {
      segs.push(el("span", { class: "seg baseline", style: `width:${pct(lead.baseline)}`, "data-feature": "baseline",
        "data-value": String(lead.baseline), "data-sign": "1", title: `${t("baseline")} ${lead.baseline.toFixed(3)}` }));
    }
    pos.forEach(([f, v], idx) => {
      const est = imputed.has(f);
      segs.push(el("span", { class: `seg c${idx % 8}${est ? " imputed" : ""}`, style: `width:${pct(v)}`, "data-feature": f,
        "data-value": String(v), "data-sign": "1", "data-imputed": est ? "true" : null,
        title: `${features()[f] || f}${est ? `（${t("imputed")}）` : ""}：+${v.toFixed(3)}` }));
    });
    const negSegs = neg.map(([f, v]) => el("span", { class: `seg negative${imputed.has(f) ? " imputed" : ""}`, style: `width:${pct(v)}`,
      "data-feature": f, "data-value": String(v), "data-sign": "-1", title: `${features()[f] || f}：${v.toFixed(3)}` }));
    const legend = el("ul", { class: "contrib-legend" },
      ...(lead.baseline ? [el("li", {}, el("span", { class: "dot baseline" }), `${t("baseline")} ${lead.baseline.toFixed(3)}`)] : []),
      ...pos.map(([f, v], idx) => el("li", { "data-feature": f, title: features()[f] || f },
        el("span", { class: `dot c${idx % 8}${imputed.has(f) ? " imputed" : ""}` }),
        `${featureName(f)} +${v.toFixed(3)}`, imputed.has(f) ? el("em", { class: "est", text: t("imputed") }) : "")),
      ...neg.map(([f, v]) => el("li", { "data-feature": f, title: features()[f] || f },
        el("span", { class: "dot negative" }), `${featureName(f)} ${v.toFixed(3)}`)));
    return el("div", { class: "score-block" },
      el("div", { class: "score-head" }, el("span", { class: "muted", text: t("score") }),
        el("strong", { class: "score-value", text: lead.score.toFixed(3) })),
      el("div", { class: "bar-track", role: "img", "aria-label": `${t("score")} ${lead.score.toFixed(3)}`, "data-scale": String(scale) },
        el("div", { class: "bar-pos" }, ...segs), negSegs.length ? el("div", { class: "bar-neg" }, ...negSegs) : null),
      legend,
      imputed.size ? el("p", { class: "imputed-note", text: t("imputedList", { list: [...imputed].map(featureName).join("、") }) }) : null);
  }

  function card(lead) {
    const region = lead.hq_region ? (state.options.hq_regions[lead.hq_region] || lead.hq_region) : null;
    const hqText = [lead.hq_province, lead.hq_city].filter(Boolean).join(" · ");
    const chain = chainById(lead.chain_id);
    const done = state.registered.get(lead.candidate_id + "|" + lead.gap_segment_id);
    const flags = (lead.flags || []).map((f, i) => el("span", { class: `flag flag-${f}`, "data-flag": f,
      text: (lead.flag_labels || [])[i] || (state.options.flags || {})[f] || f }));
    const li = el("li", { class: "lead-card", "data-candidate-id": lead.candidate_id, "data-gap": lead.gap_segment_id,
      "data-rank": String(lead.rank), "data-score": String(lead.score), "data-baseline": String(lead.baseline || 0) },
      el("div", { class: "lead-head" },
        el("span", { class: "rank", text: `#${lead.rank}` }),
        el("h3", { class: "lead-name", text: lead.name }),
        el("span", { class: `investor inv-${lead.investor}`, "data-investor": lead.investor,
          text: (state.options.investor || {})[lead.investor] || lead.investor }),
        ...flags),
      el("div", { class: "lead-meta" },
        el("span", { class: `badge st-${lead.gap_status}`, text: cm.lab("gap_status", lead.gap_status) }),
        el("span", { class: "gap-name", text: lead.gap_segment_name }),
        chain ? el("span", { class: "muted", text: cm.nameOf(chain) }) : null,
        el("span", { class: "muted", text: t(`relation.${lead.relation}`) }),
        el("span", { class: "hq", text: hqText ? `${t("hq")} ${hqText}${region ? `（${region}）` : ""}` : t("unknownHq") }),
        ...(lead.tags || []).map((tg) => el("span", { class: "tag", "data-tag": tg, text: cm.lab("tag", tg) }))),
      el("p", { class: "lead-reason", text: lead.reason }),
      lead.rivals && lead.rivals.length ? el("p", { class: "lead-note rival-note", text: t("rivals", { list: lead.rivals.join("、") }) }) : null,
      lead.local_affiliates && lead.local_affiliates.length ? el("p", { class: "lead-note", text: t("affiliates", { list: lead.local_affiliates.join("、") }) }) : null,
      lead.risk_notes && lead.risk_notes.length ? el("p", { class: "lead-note risk-note", text: t("risks", { list: lead.risk_notes.join("；") }) }) : null,
      scoreBar(lead),
      el("div", { class: "lead-actions" },
        el("button", { type: "button", class: "register", onclick: () => openRegister(lead), text: t("register") }),
        done ? el("span", { class: "registered" }, t("registeredBadge", { id: done.project.id }), " ",
          el("a", { href: `project.html?id=${encodeURIComponent(done.project.id)}`, text: t("openProject") })) : null),
      done && done.warnings.length ? el("div", { class: "dup-warning", role: "alert" },
        el("strong", { text: `${t("duplicate")}：` }), ...done.warnings.map((w) => el("div", { class: "warning-text", text: w.message }))) : null);
    return li;
  }

  function pager(body) {
    const pages = Math.max(1, Math.ceil(body.total / body.page_size));
    const page = body.page;
    const nav = $("#pager");
    const go = (p) => { state.page = String(p); writeUrl(); loadLeads(); window.scrollTo(0, 0); };
    const btn = (text, p, cls) => el("button", { type: "button", class: cls, disabled: p < 1 || p > pages || p === page ? true : null,
      "aria-current": p === page && cls === "num" ? "page" : null, "data-page": String(p), onclick: () => go(p), text });
    const nums = [];
    for (let p = 1; p <= pages; p++) {
      if (p === 1 || p === pages || Math.abs(p - page) <= 2) nums.push(btn(String(p), p, "num"));
      else if (nums.length && nums[nums.length - 1].tagName !== "SPAN") nums.push(el("span", { class: "gap", text: "…" }));
    }
    nav.replaceChildren(btn(t("prev"), page - 1, "prev"), ...nums, btn(t("next"), page + 1, "next"));
    nav.hidden = pages <= 1;
  }

  function render() {
    const body = state.body;
    const list = $("#leads-list");
    const notes = $("#notes");
    notes.replaceChildren();
    if (!body) { list.replaceChildren(); $("#summary").textContent = ""; $("#pager").replaceChildren(); return; }
    const pages = Math.max(1, Math.ceil(body.total / body.page_size));
    const from = body.total ? (body.page - 1) * body.page_size + 1 : 0;
    $("#summary").textContent = body.total
      ? t("summary", { total: body.total, page: body.page, pages, from, to: from + body.items.length - 1 }) : t("summaryNone");
    $("#summary").dataset.total = String(body.total);
    $("#summary").dataset.page = String(body.page);
    if (body.demo) notes.append(el("p", { class: "demo-note", text: t("demo") }));
    if (body.rivals_left_out) notes.append(el("p", { class: "rivals-note", text: t("rivalsLeftOut", { n: body.rivals_left_out }) }));
    notes.append(el("p", { class: "muted", text: t("model", { model: body.model === "prior" ? t("modelPrior") : t("modelBlend"), n: body.n_outcomes, w: body.blend_weight }) }));
    list.start = from || 1;
    list.replaceChildren(...body.items.map(card));
    $("#empty").hidden = body.total > 0;
    pager(body);
    renderLegend();
  }

  function renderLegend() {
    const used = new Set();
    for (const l of (state.body && state.body.items) || []) {
      Object.keys(l.contributions || {}).forEach((f) => used.add(f));
      (l.imputed || []).forEach((f) => used.add(f));
    }
    const entries = Object.entries(features()).filter(([f]) => used.has(f));
    $("#feature-meanings").replaceChildren(...entries.flatMap(([f, m]) => [el("dt", { "data-feature": f, text: featureName(f) }), el("dd", { text: m })]));
  }

  /* ---------------------------------------------------------------- 登记为项目 */

  function openRegister(lead) {
    state.current = lead;
    const dlg = $("#register-dialog");
    $("#register-lead").textContent = t("leadOf", { name: lead.name, gap: lead.gap_segment_name,
      status: cm.lab("gap_status", lead.gap_status), rank: lead.rank, score: lead.score.toFixed(3) });
    $("#register-error").hidden = true;
    const tf = $("#r-task-force");
    tf.addEventListener("change", () => {
      const kind = new Map(state.taskForces).get(tf.value);
      if (kind) $("#r-kind").value = kind;
    }, { once: true });
    if (typeof dlg.showModal === "function") dlg.showModal(); else dlg.setAttribute("open", "");
    tf.focus();
  }

  async function submitRegister(ev) {
    ev.preventDefault();
    const lead = state.current;
    if (!lead) return;
    const err = $("#register-error");
    const taskForce = $("#r-task-force").value.trim();
    const owner = $("#r-owner").value.trim();
    const missing = !taskForce ? t("taskForce") : (!owner ? t("owner") : null);
    if (missing) { err.textContent = t("required", { field: missing }); err.hidden = false; return; }
    // a provisional lead (待核实 gap) registers under the status the gap would have once confirmed
    const gapInfo = state.gaps.find((g) => g.segment_id === lead.gap_segment_id);
    const gapStatus = lead.gap_status === "unverified" && gapInfo ? gapInfo.would_be : lead.gap_status;
    const body = {
      title: cm.lang === "en" ? `${lead.name} project` : `${lead.name}项目`,
      enterprise: { name: lead.name, ...(lead.credit_code ? { credit_code: lead.credit_code } : {}) },
      segment: lead.gap_segment_id,
      gap_status: gapStatus,
      task_force: taskForce,
      task_force_kind: $("#r-kind").value || "special_team",
      owner,
      lead: { candidate_id: lead.candidate_id, name: lead.name, credit_code: lead.credit_code || null, chain: lead.chain_id,
        gap_segment: lead.gap_segment_id, gap_status: gapStatus, score: lead.score, rank: lead.rank },
    };
    $("#r-submit").disabled = true;
    try {
      // a fresh ETag slot: a new project is never sent with an If-Match
      const reg = await cm.write("POST", "/projects", body, { params: { lang: cm.lang }, etagOf: `/projects:new:${Date.now()}` });
      state.registered.set(lead.candidate_id + "|" + lead.gap_segment_id, reg);
      closeRegister();
      cm.toast(t("registered", { id: reg.project.id }));
      if (!state.taskForces.some(([n]) => n === taskForce)) loadTaskForces();
      render();
    } catch (e) {
      err.replaceChildren(cm.errorBox(e));
      err.hidden = false;
    } finally {
      $("#r-submit").disabled = false;
    }
  }
  function closeRegister() {
    const dlg = $("#register-dialog");
    if (typeof dlg.close === "function" && dlg.open) dlg.close(); else dlg.removeAttribute("open");
  }

  /* ---------------------------------------------------------------- wiring */

  let wired = false;
  function wire() {
    if (wired) return;
    wired = true;
    const on = (sel, key, after) => $(sel).addEventListener("change", (ev) => {
      state[key] = ev.target.type === "checkbox" ? (ev.target.checked ? "true" : "") : ev.target.value;
      state.page = "1";
      if (after) after();
      writeUrl();
      loadLeads();
    });
    on("#f-chain", "chain", () => { if (state.gap && !state.gaps.some((g) => g.segment_id === state.gap && g.chain_id === state.chain)) state.gap = ""; fillGapSelect(); });
    on("#f-gap", "gap");
    on("#f-hq", "hq_region");
    on("#f-tag", "tag");
    on("#f-investor", "investor");
    on("#f-k", "k");
    on("#f-rivals", "include_rivals");
    $("#controls").addEventListener("submit", (ev) => ev.preventDefault());
    $("#dl-xlsx").addEventListener("click", async () => {
      try { await cm.download("/leads.xlsx", { ...params(), k: state.k, page: state.page }, "leads.xlsx"); } catch (e) { cm.showError(e); }
    });
    $("#register-form").addEventListener("submit", submitRegister);
    $("#r-cancel").addEventListener("click", closeRegister);
  }

  async function start() {
    readUrl();
    try {
      await cm.boot("leads");
      wire();
      await loadStatic();
      fillControls();
      await loadLeads();
    } catch (err) {
      cm.showError(err);
    }
    document.body.dataset.ready = "true";
  }

  cm.onLang(async () => {
    writeUrl();
    try { await loadStatic(); } catch (err) { cm.showError(err); }
    fillControls();
    await loadLeads();
  });
  cm.onAuth(() => { start(); });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
