/* 项目页: one project — stage moves (only the allowed ones), the 七跟法 follow-up log with the
 * next follow-up date and its overdue reminder, problems and requests (困难问题/诉求) with their
 * status, investment progress; writes send the project's ETag as If-Match. */
"use strict";

(function () {
  const cm = window.cm;
  const el = cm.el;
  const $ = (s) => document.querySelector(s);

  cm.strings({
    zh: {
      back: "← 项目看板", print: "打印", stageTitle: "阶段", followupsTitle: "七跟法跟进记录", issuesTitle: "困难问题与诉求",
      amountsTitle: "投资进展（亿元）", method: "方式", date: "日期", actor: "跟进人", note: "情况", nextDate: "下次跟进日期",
      logFollowup: "记录跟进", kind: "类别", text: "内容", raisedBy: "提出人", handler: "承办人/单位", raise: "登记",
      status: "状态", updated: "更新", from: "从", to: "到", by: "操作人", noFollowups: "尚无跟进记录",
      noIssues: "暂无困难问题或诉求", taskForce: "招商队伍", owner: "负责人", county: "地区", segment: "目标环节",
      created: "登记日期", stage: "阶段", fromLead: "来自招商线索 {name}（第 {rank} 名，得分 {score}）",
      overdue: "下次跟进日期 {date} 已逾期 {days} 天", nextOn: "下次跟进日期：{date}", noNext: "未设下次跟进日期",
      stalled: "停滞 {days} 天：{rule}（最近活动 {since}）", notStalled: "未停滞（{rule}）",
      moveTitle: "推进到「{stage}」", reason: "终止原因", confirm: "确认", cancel: "取消", terminal: "终态，不能再推进",
      saved: "已保存", logged: "已记录跟进", raised: "已登记", save: "保存", related: "关联项目",
      planned_investment: "计划总投资", planned_fixed_asset: "其中固定资产投资", new_fixed_asset_started: "新开工固定资产投资",
      funds_in_place_fixed: "固定资产到位资金", funds_in_place_non_fixed: "非固定资产到位资金", notFound: "缺少项目编号（?id=）",
      setStatus: "改为", historyStart: "登记",
    },
    en: {
      back: "← Pipeline", print: "Print", stageTitle: "Stage", followupsTitle: "Follow-ups (seven methods)", issuesTitle: "Problems and requests",
      amountsTitle: "Investment progress (100m CNY)", method: "Method", date: "Date", actor: "By", note: "Note", nextDate: "Next follow-up",
      logFollowup: "Log follow-up", kind: "Kind", text: "Text", raisedBy: "Raised by", handler: "Handled by", raise: "Raise",
      status: "Status", updated: "Updated", from: "From", to: "To", by: "By", noFollowups: "No follow-ups yet",
      noIssues: "No problems or requests", taskForce: "Task force", owner: "Owner", county: "Region", segment: "Target segment",
      created: "Registered", stage: "Stage", fromLead: "From lead {name} (rank {rank}, score {score})",
      overdue: "Next follow-up {date} is {days} days overdue", nextOn: "Next follow-up: {date}", noNext: "No next follow-up date",
      stalled: "Stalled {days} days: {rule} (last activity {since})", notStalled: "Not stalled ({rule})",
      moveTitle: "Move to “{stage}”", reason: "Reason for dropping", confirm: "Confirm", cancel: "Cancel", terminal: "Final stage: no further moves",
      saved: "Saved", logged: "Follow-up logged", raised: "Raised", save: "Save", related: "Related projects",
      planned_investment: "Planned investment", planned_fixed_asset: "of which fixed assets", new_fixed_asset_started: "New fixed-asset investment started",
      funds_in_place_fixed: "Fixed-asset funds in place", funds_in_place_non_fixed: "Non-fixed-asset funds in place", notFound: "No project id (?id=)",
      setStatus: "Set", historyStart: "registered",
    },
  });

  const id = new URLSearchParams(location.search).get("id") || "";
  const path = `/projects/${encodeURIComponent(id)}`;
  const state = { view: null, regions: [], segment: null };
  const today = () => new Date().toISOString().slice(0, 10);
  const stage = (c) => cm.lab("project_stage", c);
  const regionName = (rid) => { const r = state.regions.find((x) => x.id === rid); return r ? cm.nameOf(r) : rid || "—"; };
  const AMOUNTS = ["planned_investment", "planned_fixed_asset", "new_fixed_asset_started", "funds_in_place_fixed", "funds_in_place_non_fixed"];
  const issueStatus = (s) => cm.lab("issue_status", s);

  function table(node, headers, rows, empty) {
    node.replaceChildren(el("thead", {}, el("tr", {}, headers.map((h) => el("th", { text: h })))),
      el("tbody", {}, rows.length ? rows.map((r) => el("tr", {}, r.map((c) => el("td", {}, c))))
        : el("tr", {}, el("td", { colspan: headers.length, class: "pl-empty", text: empty || "—" }))));
  }

  function render() {
    const v = state.view;
    if (!v) return;
    const p = v.project;
    document.title = `${p.title || p.enterprise.name} · chainmap`;
    $("#head").replaceChildren(
      el("h2", { class: "pj-title" }, p.title || p.enterprise.name, " ",
        el("span", { class: `pl-badge stage st-stage-${p.stage}`, id: "stage-badge", text: stage(p.stage) })),
      el("dl", { class: "pj-facts" },
        ...[[cm.t("taskForce"), `${p.task_force}（${cm.lab("task_force_kind", p.task_force_kind)}）`], [cm.t("owner"), p.owner],
          [cm.t("county"), regionName(p.zone || p.county)], [cm.t("segment"), state.segment && state.segment.id === p.segment ? cm.nameOf(state.segment) : p.segment || "—"], [cm.t("created"), p.created],
          ...(p.related_projects.length ? [[cm.t("related"), p.related_projects.join("、")]] : [])]
          .flatMap(([k, val]) => [el("dt", { text: k }), el("dd", { text: val })])),
      p.lead ? el("p", { class: "pl-note", text: cm.t("fromLead", { name: p.lead.name, rank: p.lead.rank ?? "—",
        score: p.lead.score != null ? Number(p.lead.score).toFixed(2) : "—" }) }) : "");
    const rem = [];
    if (v.overdue_days) rem.push(el("div", { class: "pl-warning overdue", id: "overdue", text: cm.t("overdue", { date: p.next_followup, days: v.overdue_days }) }));
    else rem.push(el("div", { class: "pl-note", text: p.next_followup ? cm.t("nextOn", { date: p.next_followup }) : cm.t("noNext") }));
    if (v.stalled) rem.push(el("div", { class: "pl-warning stalled", id: "stalled", text: cm.t("stalled", { days: v.stalled.days,
      rule: cm.lang === "en" ? v.stalled.rule_en : v.stalled.rule_zh, since: v.stalled.since }) }));
    $("#reminders").replaceChildren(...rem);
    $("#moves").replaceChildren(...(v.allowed.length ? v.allowed.map((s) => el("button", { type: "button", class: `pl-move to-${s}`,
      "data-to": s, onclick: () => openMove(s) }, `→ ${stage(s)}`)) : [el("span", { class: "pl-empty", text: cm.t("terminal") })]));
    table($("#history"), [cm.t("date"), cm.t("from"), cm.t("to"), cm.t("by"), cm.t("note")],
      [[p.created, "—", stage("lead"), p.owner, cm.t("historyStart")],
        ...p.transitions.map((t) => [t.date, stage(t.from_stage), stage(t.to_stage), t.actor, t.note])]);
    table($("#followups"), [cm.t("date"), cm.t("method"), cm.t("actor"), cm.t("note"), cm.t("nextDate")],
      v.followups.slice().reverse().map((f) => [f.date, cm.lab("follow_up_method", f.method), f.actor, f.note, f.next_date || ""]), cm.t("noFollowups"));
    table($("#issues"), [cm.t("kind"), cm.t("text"), cm.t("raisedBy"), cm.t("date"), cm.t("handler"), cm.t("status"), cm.t("updated"), ""],
      p.issues.map((i) => [cm.lab("issue_kind", i.kind), i.text, i.raised_by, i.raised_on, i.handler,
        el("span", { class: `pl-badge issue-${i.status}`, text: issueStatus(i.status) }), i.updated_on || "",
        el("span", { class: "no-print" }, cm.codes("issue_status").filter((s) => s !== i.status).map((s) =>
          el("button", { type: "button", class: "issue-set", "data-issue": i.id, "data-status": s, onclick: () => setIssue(i.id, s) }, `${cm.t("setStatus")} ${issueStatus(s)}`)))]),
      cm.t("noIssues"));
    const fu = $("#followup-form").elements;
    const methods = cm.codes("follow_up_method");
    const m = fu.method.value;
    fu.method.replaceChildren(...methods.map((c) => el("option", { value: c, text: cm.lab("follow_up_method", c), selected: c === m })));
    if (!fu.date.value) fu.date.value = today();
    if (!fu.actor.value) fu.actor.value = p.owner;
    const is = $("#issue-form").elements;
    const k = is.kind.value;
    is.kind.replaceChildren(...cm.codes("issue_kind").map((c) => el("option", { value: c, text: cm.lab("issue_kind", c), selected: c === k })));
    if (!is.actor.value) is.actor.value = p.owner;
    $("#amounts-form").replaceChildren(...AMOUNTS.map((a) => el("label", {}, el("span", { text: cm.t(a) }),
      el("input", { type: "number", name: a, min: "0", step: "0.0001", value: p[a] == null ? "" : String(Number(p[a])) }))),
    el("div", { class: "pl-form-actions no-print" }, el("button", { type: "submit", class: "primary", text: cm.t("save") })));
  }

  function openMove(to) {
    const p = state.view.project;
    const form = el("form", { class: "pl-move-form", autocomplete: "off" },
      el("strong", { text: cm.t("moveTitle", { stage: stage(to) }) }),
      el("label", {}, cm.t("date"), el("input", { type: "date", name: "date", value: today(), required: true })),
      el("label", {}, cm.t("by"), el("input", { name: "actor", value: p.owner, required: true, maxlength: 100 })),
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
        await cm.write("POST", `${path}/transitions`, body, { etagOf: path });
        cm.showError(null);
        $("#move-box").replaceChildren();
        cm.toast(cm.t("saved"));
        await load();
      } catch (err) { cm.showError(err); }
    });
    $("#move-box").replaceChildren(form);
  }

  async function setIssue(issueId, status) {
    try {
      await cm.write("PATCH", `${path}/issues/${issueId}`, { status, actor: state.view.project.owner, date: today() }, { etagOf: path });
      cm.showError(null);
      await load();
    } catch (err) { cm.showError(err); }
  }

  async function load() {
    const resp = await cm.apiFetch(`${path}/view`);
    state.view = await resp.json();
    const tag = resp.headers.get("ETag");
    if (tag) await cm.apiFetch(path); // remember the project's ETag under its own path for If-Match
    const seg = state.view.project.segment;
    if (seg && (!state.segment || state.segment.id !== seg)) {
      try { state.segment = await cm.getJSON(`/segments/${encodeURIComponent(seg)}`); } catch (_) { state.segment = null; }
    }
    render();
  }

  async function main() {
    await cm.boot("projects");
    $("#print").addEventListener("click", () => window.print());
    if (!id) { cm.showError(new cm.ApiError(400, { detail: cm.t("notFound") })); return; }
    try { state.regions = await cm.getJSON("/regions"); } catch (_) { state.regions = []; }
    $("#followup-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const f = ev.target.elements;
      const body = { method: f.method.value, date: f.date.value, actor: f.actor.value.trim(), note: f.note.value.trim() };
      if (f.next_date.value) body.next_date = f.next_date.value;
      try {
        await cm.write("POST", `${path}/followups`, body, { etagOf: `${path}/followups` });
        cm.showError(null); cm.toast(cm.t("logged"));
        f.note.value = ""; f.next_date.value = "";
        await load();
      } catch (err) { cm.showError(err); }
    });
    $("#issue-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const f = ev.target.elements;
      try {
        await cm.write("POST", `${path}/issues`, { kind: f.kind.value, text: f.text.value.trim(), actor: f.actor.value.trim(),
          handler: f.handler.value.trim(), date: today() }, { etagOf: path });
        cm.showError(null); cm.toast(cm.t("raised"));
        f.text.value = ""; f.handler.value = "";
        await load();
      } catch (err) { cm.showError(err); }
    });
    $("#amounts-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const f = ev.target.elements;
      const changes = {};
      for (const a of AMOUNTS) {
        const val = f[a].value.trim();
        const old = state.view.project[a];
        if (val === "" && old == null) continue;
        if (val === "" ) { if (a === "planned_fixed_asset") changes[a] = null; continue; }
        if (old == null || Number(old) !== Number(val)) changes[a] = val;
      }
      try {
        await cm.write("PATCH", path, changes, { etagOf: path });
        cm.showError(null); cm.toast(cm.t("saved"));
        await load();
      } catch (err) { cm.showError(err); }
    });
    cm.onLang(render);
    try { await load(); } catch (err) { cm.showError(err); }
    document.body.dataset.ready = "true";
  }
  document.addEventListener("DOMContentLoaded", main);
})();
