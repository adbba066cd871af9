/* 招商项目看板 (pipeline board): the projects by stage, only the allowed moves offered, overdue
 * follow-up reminders, stalled flags with their rule, and 登记为项目 (also from a lead:
 * pipeline.html?lead=<candidate id>&name=...&gap=<segment id>&gap_name=...&status=...&chain=...&score=...&rank=...). */
"use strict";

(function () {
  const cm = window.cm;
  const el = cm.el;
  const $ = (s) => document.querySelector(s);

  cm.strings({
    zh: {
      title: "招商项目看板", taskForce: "招商队伍", county: "县（市、区）", all: "全部", newProject: "登记新项目",
      exportXlsx: "导出项目表（XLSX）", print: "打印", registerTitle: "登记为项目", enterprise: "企业名称",
      projectTitle: "项目名称", taskForceKind: "队伍类型", owner: "负责人", plannedInvestment: "计划总投资（亿元）",
      nextFollowup: "下次跟进日期", register: "登记", cancel: "取消", none: "（无）",
      summary: "共 {total} 个项目，{overdue} 个跟进逾期，{stalled} 个停滞", empty: "暂无",
      overdue: "跟进逾期 {days} 天", nextOn: "下次跟进 {date}", issues: "未解决问题/诉求 {n}",
      stalled: "停滞 {days} 天", moveTo: "转到", moveTitle: "推进到「{stage}」", actor: "操作人", date: "日期",
      note: "说明", reason: "终止原因", confirm: "确认", moved: "已转到「{stage}」", yi: "亿元",
      fromLead: "来自招商线索：{name}（{gap}，{status}，第 {rank} 名，得分 {score}）",
      registered: "已登记项目 {id}", open: "打开项目页", dupTitle: "注意：该企业已有其他队伍跟进",
      heldFrom: "搁置前：{stage}",
    },
    en: {
      title: "Project pipeline", taskForce: "Task force", county: "County", all: "All", newProject: "Register a project",
      exportXlsx: "Export projects (XLSX)", print: "Print", registerTitle: "Register as a project", enterprise: "Enterprise",
      projectTitle: "Project title", taskForceKind: "Team type", owner: "Owner", plannedInvestment: "Planned investment (100m CNY)",
      nextFollowup: "Next follow-up", register: "Register", cancel: "Cancel", none: "(none)",
      summary: "{total} projects, {overdue} follow-ups overdue, {stalled} stalled", empty: "none",
      overdue: "follow-up {days} days overdue", nextOn: "next follow-up {date}", issues: "open problems/requests {n}",
      stalled: "stalled {days} days", moveTo: "Move to", moveTitle: "Move to “{stage}”", actor: "By", date: "Date",
      note: "Note", reason: "Reason for dropping", confirm: "Confirm", moved: "Moved to “{stage}”", yi: "100m CNY",
      fromLead: "From lead: {name} ({gap}, {status}, rank {rank}, score {score})",
      registered: "Project {id} registered", open: "Open the project page", dupTitle: "Note: another team already follows this firm",
      heldFrom: "held from: {stage}",
    },
  });

  const state = { regions: [], taskForces: [], board: null, lead: null };
  const today = () => new Date().toISOString().slice(0, 10);

  function regionName(id) {
    const r = state.regions.find((x) => x.id === id);
    return r ? cm.nameOf(r) : id || "";
  }
  function stageLabel(code) { return cm.lab("project_stage", code); }

  function fillSelect(sel, options, value, withAll) {
    sel.replaceChildren(...(withAll ? [el("option", { value: "", text: withAll })] : []),
      ...options.map(([v, t]) => el("option", { value: v, text: t, selected: v === value })));
  }

  function paintFilters() {
    const counties = state.regions.filter((r) => r.kind === "county" || r.kind === "zone");
    const tf = $("#f-task-force").value;
    const rg = $("#f-region").value;
    fillSelect($("#f-task-force"), state.taskForces.map((t) => [t, t]), tf, cm.t("all"));
    fillSelect($("#f-region"), counties.map((r) => [r.id, cm.nameOf(r)]), rg, cm.t("all"));
    const f = $("#register-form");
    fillSelect(f.elements.task_force_kind, cm.codes("task_force_kind").map((c) => [c, cm.lab("task_force_kind", c)]), f.elements.task_force_kind.value || "special_team");
    fillSelect(f.elements.county, [["", cm.t("none")], ...counties.map((r) => [r.id, cm.nameOf(r)])], f.elements.county.value);
    $("#tf-list").replaceChildren(...state.taskForces.map((t) => el("option", { value: t })));
  }

  function card(c) {
    const link = el("a", { href: `project.html?id=${encodeURIComponent(c.id)}${cm.lang === "en" ? "&lang=en" : ""}`, class: "pl-card-title" },
      c.title || c.enterprise);
    const meta = [c.enterprise !== (c.title || c.enterprise) ? c.enterprise : null, c.task_force, c.owner,
      c.county ? regionName(c.county) : null].filter(Boolean).join(" · ");
    const badges = el("div", { class: "pl-badges" });
    if (Number(c.planned_investment) > 0) badges.append(el("span", { class: "pl-badge money", text: `${Number(c.planned_investment)} ${cm.t("yi")}` }));
    if (c.overdue_days) badges.append(el("span", { class: "pl-badge overdue", text: cm.t("overdue", { days: c.overdue_days }) }));
    else if (c.next_followup) badges.append(el("span", { class: "pl-badge next", text: cm.t("nextOn", { date: c.next_followup }) }));
    if (c.open_issues) badges.append(el("span", { class: "pl-badge issues", text: cm.t("issues", { n: c.open_issues }) }));
    if (c.stalled) badges.append(el("span", { class: "pl-badge stalled", title: cm.lang === "en" ? c.stalled.rule_en : c.stalled.rule_zh,
      text: cm.t("stalled", { days: c.stalled.days }) }));
    if (c.held_from) badges.append(el("span", { class: "pl-badge held", text: cm.t("heldFrom", { stage: stageLabel(c.held_from) }) }));
    const moves = el("div", { class: "pl-moves no-print" },
      ...c.allowed.map((s) => el("button", { type: "button", class: `pl-move to-${s}`, "data-to": s,
        title: cm.t("moveTitle", { stage: stageLabel(s) }), onclick: () => openMove(node, c, s) }, `→ ${stageLabel(s)}`)));
    const node = el("article", { class: "pl-card", "data-id": c.id, "data-stage": c.stage }, link,
      el("div", { class: "pl-card-meta", text: meta }), badges, moves);
    return node;
  }

  function openMove(node, c, to) {
    node.querySelectorAll(".pl-move-form").forEach((f) => f.remove());
    const form = el("form", { class: "pl-move-form", autocomplete: "off" },
      el("strong", { text: cm.t("moveTitle", { stage: stageLabel(to) }) }),
      el("label", {}, cm.t("date"), el("input", { type: "date", name: "date", value: today(), required: true })),
      el("label", {}, cm.t("actor"), el("input", { name: "actor", value: c.owner, required: true, maxlength: 100 })),
      to === "dropped" ? el("label", {}, cm.t("reason"), el("input", { name: "reason", required: true, maxlength: 2000 }))
        : el("label", {}, cm.t("note"), el("input", { name: "note", maxlength: 2000 })),
      el("span", {}, el("button", { type: "submit", class: "primary", text: cm.t("confirm") }),
        el("button", { type: "button", text: cm.t("cancel"), onclick: () => form.remove() })));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const f = form.elements;
      const body = { to, date: f.date.value, actor: f.actor.value.trim() };
      if (f.reason) body.reason = f.reason.value.trim(); else body.note = f.note.value.trim();
      try {
        await cm.getJSON(`/projects/${encodeURIComponent(c.id)}`); // the ETag sent back as If-Match
        await cm.write("POST", `/projects/${encodeURIComponent(c.id)}/transitions`, body, { etagOf: `/projects/${encodeURIComponent(c.id)}` });
        cm.showError(null);
        cm.toast(cm.t("moved", { stage: stageLabel(to) }));
        await loadBoard();
      } catch (err) { cm.showError(err); }
    });
    node.append(form);
    form.elements.actor.focus();
  }

  function renderBoard() {
    const b = state.board;
    if (!b) return;
    const stalled = b.columns.reduce((n, col) => n + col.cards.filter((c) => c.stalled).length, 0);
    $("#summary").textContent = cm.t("summary", { total: b.total, overdue: b.overdue, stalled });
    $("#board").replaceChildren(...b.columns.map((col) => el("section", { class: `pl-col col-${col.stage}${col.cards.length ? "" : " is-empty"}`, "data-stage": col.stage },
      el("h2", {}, stageLabel(col.stage), el("span", { class: "pl-count", text: String(col.cards.length) })),
      col.cards.length ? col.cards.map(card) : el("p", { class: "pl-empty", text: cm.t("empty") }))));
  }

  async function loadBoard() {
    const params = { task_force: $("#f-task-force").value, region: $("#f-region").value };
    try {
      state.board = await cm.getJSON("/projects/board", params);
      if (!params.task_force && !params.region) {
        const names = new Set(state.taskForces);
        state.board.columns.forEach((col) => col.cards.forEach((c) => names.add(c.task_force)));
        state.taskForces = [...names].sort();
        paintFilters();
      }
      renderBoard();
      cm.showError(null);
    } catch (err) { cm.showError(err); }
  }

  function leadFromUrl() {
    const q = new URLSearchParams(location.search);
    if (!q.get("lead")) return null;
    const num = (v) => (v == null || v === "" ? null : Number(v));
    return { candidate_id: q.get("lead"), name: q.get("name") || "", chain: q.get("chain") || null,
      gap_segment: q.get("gap") || null, gap_status: q.get("status") || null, score: num(q.get("score")), rank: num(q.get("rank")),
      gapName: q.get("gap_name") || null };
  }

  function showRegister(lead) {
    const box = $("#register");
    box.hidden = false;
    const f = $("#register-form");
    $("#register-result").replaceChildren();
    const note = $("#lead-note");
    if (lead) {
      f.elements.enterprise.value = lead.name;
      f.elements.title.value = lead.name ? (cm.lang === "en" ? `${lead.name} project` : `${lead.name}项目`) : "";
      note.hidden = false;
      note.textContent = cm.t("fromLead", { name: lead.name, gap: lead.gapName || lead.gap_segment || "—",
        status: lead.gap_status ? cm.lab("gap_status", lead.gap_status) : "—", rank: lead.rank ?? "—",
        score: lead.score != null ? Number(lead.score).toFixed(2) : "—" });
    } else note.hidden = true;
    f.elements.enterprise.focus();
  }

  async function register(ev) {
    ev.preventDefault();
    const f = ev.target.elements;
    const body = {
      enterprise: { name: f.enterprise.value.trim() }, title: f.title.value.trim(), task_force: f.task_force.value.trim(),
      task_force_kind: f.task_force_kind.value, owner: f.owner.value.trim(),
      planned_investment: f.planned_investment.value || "0",
    };
    if (f.county.value) {
      const r = state.regions.find((x) => x.id === f.county.value);
      if (r && r.kind === "zone") body.zone = r.id; else body.county = f.county.value;
    }
    if (f.next_followup.value) body.next_followup = f.next_followup.value;
    if (state.lead) { const { gapName, ...lead } = state.lead; body.lead = lead; }
    try {
      const out = await cm.write("POST", "/projects", body, { etagOf: "/projects/new" });
      cm.showError(null);
      const id = out.project.id;
      const res = $("#register-result");
      res.replaceChildren(el("p", { class: "ok", text: cm.t("registered", { id }) }),
        el("a", { href: `project.html?id=${encodeURIComponent(id)}${cm.lang === "en" ? "&lang=en" : ""}`, class: "open-project", text: cm.t("open") }));
      if (out.warnings.length) {
        res.append(el("div", { class: "pl-warning", role: "alert" }, el("strong", { text: cm.t("dupTitle") }),
          el("ul", {}, out.warnings.map((w) => el("li", { text: w.message })))));
      }
      state.lead = null;
      ev.target.reset();
      $("#lead-note").hidden = true;
      await loadBoard();
    } catch (err) { cm.showError(err); }
  }

  async function main() {
    await cm.boot("projects");
    try { state.regions = await cm.getJSON("/regions"); } catch (err) { cm.showError(err); }
    paintFilters();
    $("#filters").addEventListener("change", loadBoard);
    $("#new-project").addEventListener("click", () => { state.lead = null; showRegister(null); });
    $("#register-cancel").addEventListener("click", () => { $("#register").hidden = true; });
    $("#register-form").addEventListener("submit", register);
    $("#export-xlsx").addEventListener("click", () => cm.download("/projects/export",
      { format: "xlsx", task_force: $("#f-task-force").value, region: $("#f-region").value, lang: cm.lang }, "projects.xlsx").catch(cm.showError));
    $("#print").addEventListener("click", () => window.print());
    cm.onLang(() => { paintFilters(); renderBoard(); });
    state.lead = leadFromUrl();
    if (state.lead) showRegister(state.lead);
    await loadBoard();
    document.body.dataset.ready = "true";
  }
  document.addEventListener("DOMContentLoaded", main);
})();
