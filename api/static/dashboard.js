/* 招商驾驶舱 (leader dashboard): KPIs against the unit's own annual target, ECharts charts
 * (vendor/echarts.min.js, served locally), the 考核 ranking of counties or task forces, the
 * stalled projects with the stage rule each broke; print on A4, ranking as XLSX. */
"use strict";

(function () {
  const cm = window.cm;
  const el = cm.el;
  const $ = (s) => document.querySelector(s);

  /** [key, actual field, target field, pct field, unit kind] in the order of the city's list */
  const KPIS = [
    ["signed_count", "signed_count", "signed_count_target", "signed_count_pct", "n"],
    ["signed_value", "signed_value", "signed_value_target", "signed_value_pct", "yi"],
    ["open_start_rate", "open_start_rate", "open_start_rate_target", "open_start_rate_pct", "pct"],
    ["new_fixed_asset", "new_fixed_asset_started", "new_fixed_asset_target", "new_fixed_asset_pct", "yi"],
    ["funds_fixed", "funds_fixed", "funds_fixed_target", "funds_fixed_pct", "yi"],
    ["funds_non_fixed", "funds_non_fixed", "funds_non_fixed_target", "funds_non_fixed_pct", "yi"],
    ["start_rate", "start_rate", "start_rate_target", "start_rate_pct", "pct"],
    ["production_rate", "production_rate", "production_rate_target", "production_rate_pct", "pct"],
    ["output_rate", "output_rate", "output_rate_target", "output_rate_pct", "pct"],
  ];

  cm.strings({
    zh: {
      title: "招商驾驶舱", year: "年度", county: "县（市、区）", taskForce: "招商队伍", all: "全市", allTf: "全部", rankBy: "考核单位",
      byCounty: "县（市、区）", byTaskForce: "招商队伍", print: "打印（A4）", rankingXlsx: "考核排名（XLSX）",
      chartPct: "完成率（%，对照本单位目标）", chartStages: "项目阶段分布", chartRank: "考核得分",
      rankingTitle: "考核排名", stalledTitle: "停滞项目", definitionsTitle: "指标口径",
      n: "个", yi: "亿元", pct: "%", target: "目标", ofTarget: "完成 {pct}%", noTarget: "未设目标",
      scope: "{year} 年 · {region} · {tf} · 统计日 {today} · 目标：{unit}",
      unitCity: "全市目标", unitRegion: "本县区目标", unitTf: "本队伍目标", unitNone: "无",
      rank: "排名", unit: "单位", score: "综合得分", scored: "有目标指标", none: "暂无停滞项目",
      id: "项目", enterprise: "企业", owner: "负责人", stage: "阶段", since: "最近活动", days: "停滞天数", rule: "规则",
      rules: "停滞规则：{rules}", printTitle: "{year} 年招商考核 · {region}",
      targetsTitle: "年度目标", targetUnit: "单位", targetSave: "保存目标", targetSaved: "已保存 {year} 年目标（{unit}）",
      targetsNote: "设定全市、县（市、区）或招商队伍的年度目标；上面的指标即按对应单位的目标计算完成率。保存需招商专班或管理员密钥。",
      targetNew: "尚未设定，填写后保存即新建", targetLoaded: "已载入已保存的目标，可修改后保存", targetNeedTf: "请填写招商队伍名称",
      targetNeedRegion: "请选择县（市、区）", targetEmpty: "不填表示不设该项目标", targetBad: "请填写不小于 0 的数字",
      k: {
        signed_count: "签约项目数", signed_value: "签约金额", open_start_rate: "开工率", new_fixed_asset: "新开工固定资产投资",
        funds_fixed: "固定资产到位资金", funds_non_fixed: "非固定资产到位资金", start_rate: "签约开工率",
        production_rate: "开工投产率", output_rate: "投产达效率",
      },
      d: {
        signed_count: "年度内进入「签约」的项目数；签约金额为其计划总投资。",
        open_start_rate: "年度内待开工的项目（年末前已签约、年初前未开工且未终止）中，年度内开工的比例。",
        new_fixed_asset: "年度内开工项目的新开工固定资产投资。",
        funds_fixed: "年度内签约项目截至统计日的到位资金（固定资产 / 非固定资产）。",
        start_rate: "年度内签约的项目中，年末前已开工的比例。",
        production_rate: "年末前已开工的项目中，年末前已投产的比例。",
        output_rate: "年末前已投产的项目中，年末前已达效的比例。",
        score: "综合得分：各项有目标指标完成率的平均值（单项最多按 120% 计）；每个单位按自己的目标考核。",
      },
    },
    en: {
      title: "Leader dashboard", year: "Year", county: "County", taskForce: "Task force", all: "Whole city", allTf: "All", rankBy: "Rank",
      byCounty: "counties", byTaskForce: "task forces", print: "Print (A4)", rankingXlsx: "Ranking (XLSX)",
      chartPct: "% of target (the unit's own target)", chartStages: "Projects by stage", chartRank: "Ranking score",
      rankingTitle: "Ranking", stalledTitle: "Stalled projects", definitionsTitle: "Definitions",
      n: "projects", yi: "100m CNY", pct: "%", target: "target", ofTarget: "{pct}% of target", noTarget: "no target",
      scope: "{year} · {region} · {tf} · as of {today} · target: {unit}",
      unitCity: "city target", unitRegion: "county target", unitTf: "task-force target", unitNone: "none",
      rank: "Rank", unit: "Unit", score: "Score", scored: "KPIs with target", none: "No stalled projects",
      id: "Project", enterprise: "Enterprise", owner: "Owner", stage: "Stage", since: "Last activity", days: "Days idle", rule: "Rule",
      rules: "Stall rules: {rules}", printTitle: "{year} investment KPIs · {region}",
      targetsTitle: "Annual targets", targetUnit: "Unit", targetSave: "Save targets", targetSaved: "Saved the {year} targets ({unit})",
      targetsNote: "Set the year's targets of the whole city, a county or a task force; the KPIs above are measured against the matching unit's target. Saving needs a task-force or administrator key.",
      targetNew: "Not set yet: fill in and save to create", targetLoaded: "Loaded the saved targets: change and save", targetNeedTf: "Enter the task force's name",
      targetNeedRegion: "Choose a county", targetEmpty: "leave empty for no target", targetBad: "Enter a number ≥ 0",
      k: {
        signed_count: "Signed projects", signed_value: "Signed value", open_start_rate: "Start rate", new_fixed_asset: "New fixed-asset investment",
        funds_fixed: "Fixed-asset funds in place", funds_non_fixed: "Other funds in place", start_rate: "Signed-to-started",
        production_rate: "Started-to-production", output_rate: "Production-to-output",
      },
      d: {
        signed_count: "Projects that entered “signed” in the year; the signed value is their planned investment.",
        open_start_rate: "Of the projects waiting to start in the year (signed by its end, not started or dropped before it), the share that started in it.",
        new_fixed_asset: "New fixed-asset investment of the projects that started in the year.",
        funds_fixed: "Funds in place to date of the projects signed in the year (fixed assets / other).",
        start_rate: "Of the projects signed in the year, the share started by its end.",
        production_rate: "Of the projects started by the end of the year, the share in production by then.",
        output_rate: "Of the projects in production by the end of the year, the share at design output by then.",
        score: "Score: mean % of target over the KPIs with a target (each counted at most 120%); each unit against its own target.",
      },
    },
  });

  const state = { regions: [], taskForces: [], kpis: null, ranking: null, board: null, charts: {} };
  const num = (v) => (v == null ? null : Number(v));
  const fmtNum = (v, kind) => (v == null ? "—" : kind === "n" ? String(Math.round(Number(v))) : Number(v).toFixed(2));
  const regionName = (rid) => { const r = state.regions.find((x) => x.id === rid); return r ? cm.nameOf(r) : rid; };
  const params = () => ({ year: $("#f-year").value, region: $("#f-region").value, task_force: $("#f-task-force").value });

  function fill(sel, opts, value) {
    sel.replaceChildren(...opts.map(([v, t]) => el("option", { value: v, text: t, selected: String(v) === String(value) })));
  }
  function paintFilters() {
    const y = $("#f-year").value || String(new Date().getFullYear());
    const years = []; for (let k = new Date().getFullYear() + 1; k >= 2019; k--) years.push([String(k), String(k)]);
    fill($("#f-year"), years, y);
    fill($("#f-region"), [["", cm.t("all")], ...state.regions.filter((r) => r.kind === "county" || r.kind === "zone").map((r) => [r.id, cm.nameOf(r)])], $("#f-region").value);
    fill($("#f-task-force"), [["", cm.t("allTf")], ...state.taskForces.map((t) => [t, t])], $("#f-task-force").value);
    fill($("#f-by"), [["county", cm.t("byCounty")], ["task_force", cm.t("byTaskForce")]], $("#f-by").value || "county");
  }

  function renderKpis() {
    const r = state.kpis;
    if (!r) return;
    const unit = { city: cm.t("unitCity"), region: cm.t("unitRegion"), task_force: cm.t("unitTf") }[r.target_unit] || cm.t("unitNone");
    $("#scope").textContent = cm.t("scope", { year: r.year, region: r.region ? regionName(r.region) : cm.t("all"),
      tf: r.task_force || cm.t("allTf"), today: r.today, unit });
    $("#print-title").textContent = cm.t("printTitle", { year: r.year, region: [r.region ? regionName(r.region) : cm.t("all"), r.task_force].filter(Boolean).join(" · ") });
    $("#kpis").replaceChildren(...KPIS.map(([key, a, t, p, kind]) => {
      const pct = num(r[p]);
      return el("div", { class: `db-kpi${pct != null && pct < 100 ? " below" : ""}`, "data-kpi": key },
        el("div", { class: "db-kpi-name", text: cm.t(`k.${key}`) }),
        el("div", { class: "db-kpi-value" }, fmtNum(r[a], kind), el("small", { text: ` ${cm.t(kind)}` })),
        el("div", { class: "db-kpi-target", text: r[t] != null ? `${cm.t("target")} ${fmtNum(r[t], kind)} · ${cm.t("ofTarget", { pct: pct == null ? "—" : pct.toFixed(2) })}` : cm.t("noTarget") }));
    }));
    $("#stall-rules").textContent = cm.t("rules", { rules: r.stall_rules.map((x) => ruleText(x)).join(cm.lang === "en" ? "; " : "；") });
    const st = $("#stalled");
    const heads = [cm.t("id"), cm.t("enterprise"), cm.t("taskForce"), cm.t("owner"), cm.t("stage"), cm.t("since"), cm.t("days"), cm.t("rule")];
    st.replaceChildren(el("thead", {}, el("tr", {}, heads.map((h) => el("th", { text: h })))),
      el("tbody", {}, r.stalled.length ? r.stalled.map((s) => el("tr", { "data-id": s.project_id },
        el("td", {}, el("a", { href: `project.html?id=${encodeURIComponent(s.project_id)}`, text: s.project_id })),
        ...[s.enterprise, s.task_force, s.owner, cm.lab("project_stage", s.stage), s.since, String(s.days), cm.lang === "en" ? s.rule_en : s.rule_zh]
          .map((v) => el("td", { text: v }))))
        : el("tr", {}, el("td", { colspan: heads.length, class: "pl-empty", text: cm.t("none") }))));
    const defs = ["signed_count", "open_start_rate", "new_fixed_asset", "funds_fixed", "start_rate", "production_rate", "output_rate", "score"];
    $("#definitions").replaceChildren(...defs.flatMap((k) => [el("dt", { text: k === "score" ? cm.t("score") : cm.t(`k.${k}`) }), el("dd", { text: cm.t(`d.${k}`) })]));
  }
  function ruleText(rule) {
    const s = cm.lab("project_stage", rule.stage);
    if (cm.lang === "en") return `${s}: ${rule.days} days without ${rule.measure === "stage_move" ? "a stage change" : "activity"}`;
    return `${s} ${rule.days} 天无${rule.measure === "stage_move" ? "阶段推进" : "跟进/投资进展"}`;
  }

  function renderRanking() {
    const rk = state.ranking;
    if (!rk) return;
    $("#ranking-method").textContent = cm.lang === "en" ? rk.method_en : rk.method_zh;
    const heads = [cm.t("rank"), cm.t("unit"), ...KPIS.map(([k]) => cm.t(`k.${k}`)), cm.t("score")];
    $("#ranking").replaceChildren(el("thead", {}, el("tr", {}, heads.map((h) => el("th", { text: h })))),
      el("tbody", {}, rk.units.map((u) => el("tr", { "data-unit": u.unit },
        el("td", { class: "num", text: u.rank == null ? "—" : String(u.rank) }),
        el("td", { text: cm.lang === "en" ? u.name_en : u.name_zh }),
        ...KPIS.map(([, a, , p, kind]) => el("td", { class: "num" }, fmtNum(u.report[a], kind),
          u.report[p] != null ? el("small", { class: "pct", text: ` ${Number(u.report[p]).toFixed(0)}%` }) : "")),
        el("td", { class: "num score", text: u.score == null ? "—" : Number(u.score).toFixed(2) })))));
  }

  function chart(id) {
    if (!window.echarts) return null;
    if (!state.charts[id]) state.charts[id] = window.echarts.init(document.getElementById(id), null, { renderer: "canvas" });
    return state.charts[id];
  }
  function renderCharts() {
    const r = state.kpis;
    const font = { fontSize: 12 };
    const c1 = chart("chart-pct");
    if (c1 && r) {
      const rows = KPIS.filter(([, , , p]) => r[p] != null);
      c1.setOption({ animation: false, grid: { left: 130, right: 30, top: 24, bottom: 30 },
        xAxis: { type: "value", axisLabel: font, max: (v) => Math.max(120, Math.ceil(v.max / 10) * 10) },
        yAxis: { type: "category", data: rows.map(([k]) => cm.t(`k.${k}`)), axisLabel: font, inverse: true },
        series: [{ type: "bar", data: rows.map(([, , , p]) => Number(r[p])), label: { show: true, position: "right", formatter: "{c}%" },
          itemStyle: { color: (d) => (d.value >= 100 ? "#2f855a" : "#c0392b") },
          markLine: { symbol: "none", data: [{ xAxis: 100 }], lineStyle: { color: "#656d76", type: "dashed" }, label: { formatter: "100%", position: "start" } } }],
        graphic: rows.length ? [] : [{ type: "text", left: "center", top: "middle", style: { text: cm.t("noTarget"), fontSize: 14, fill: "#656d76" } }] }, true);
    }
    const c2 = chart("chart-stages");
    if (c2 && state.board) {
      const cols = state.board.columns;
      c2.setOption({ animation: false, grid: { left: 40, right: 10, top: 24, bottom: 56 },
        xAxis: { type: "category", data: cols.map((c) => cm.lab("project_stage", c.stage)), axisLabel: { ...font, interval: 0, rotate: cm.lang === "en" ? 30 : 0 } },
        yAxis: { type: "value", minInterval: 1, axisLabel: font },
        series: [{ type: "bar", data: cols.map((c) => c.cards.length), label: { show: true, position: "top" }, itemStyle: { color: "#1a5fb4" } }] }, true);
    }
    const c3 = chart("chart-rank");
    if (c3 && state.ranking) {
      const units = state.ranking.units;
      c3.setOption({ animation: false, grid: { left: 50, right: 10, top: 20, bottom: 60 },
        xAxis: { type: "category", data: units.map((u) => (cm.lang === "en" ? u.name_en : u.name_zh)), axisLabel: { ...font, interval: 0, rotate: units.length > 8 ? 30 : 0 } },
        yAxis: { type: "value", axisLabel: font },
        series: [{ type: "bar", name: cm.t("score"), data: units.map((u) => (u.score == null ? 0 : Number(u.score))), itemStyle: { color: "#b7791f" },
          label: { show: true, position: "top", formatter: (d) => (units[d.dataIndex].score == null ? "—" : d.value.toFixed(0)) } }] }, true);
    }
  }

  async function load() {
    const p = params();
    const by = $("#f-by").value || "county";
    try {
      const [kpis, ranking, board] = await Promise.all([
        cm.getJSON("/kpis", p),
        cm.getJSON("/kpis/units", { year: p.year, by }),
        cm.getJSON("/projects/board", { region: p.region, task_force: p.task_force }),
      ]);
      Object.assign(state, { kpis, ranking, board });
      if (!p.region && !p.task_force) {
        const names = new Set(state.taskForces);
        board.columns.forEach((c) => c.cards.forEach((x) => names.add(x.task_force)));
        ranking.units.filter((u) => u.unit_kind === "task_force").forEach((u) => names.add(u.unit));
        state.taskForces = [...names].sort();
        paintFilters();
      }
      cm.showError(null);
      renderKpis(); renderRanking(); renderCharts();
    } catch (err) { cm.showError(err); }
    document.body.dataset.loads = String(Number(document.body.dataset.loads || 0) + 1);
  }

  /* ------------------------------------------------ annual targets (PUT /targets with If-Match) */

  const TARGET_FIELDS = ["signed_count", "signed_value", "open_start_rate", "new_fixed_asset", "funds_fixed",
    "funds_non_fixed", "start_rate", "production_rate", "output_rate"];
  const targetState = { loaded: null };

  /** The unit the form edits: {year, region, task_force, id} (id as GET /targets/{id}). */
  function targetUnit() {
    const year = $("#t-year").value;
    const kind = $("#t-unit").value;
    const region = kind === "region" ? $("#t-region").value : null;
    const tf = kind === "task_force" ? $("#t-task-force").value.trim() : null;
    const id = kind === "task_force" ? `${year}.tf.${tf}` : `${year}.${region || "city"}`;
    return { year, kind, region, task_force: tf, id };
  }
  const targetPath = (u) => `/targets/${encodeURIComponent(u.id)}`;

  function fieldError(name, text) {
    const node = document.querySelector(`#targets-form [data-error-for="${name}"]`);
    if (!node) return false;
    node.textContent = text || "";
    node.hidden = !text;
    const input = document.querySelector(`#targets-form [name="${name}"]`);
    if (input) { if (text) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid"); }
    return true;
  }
  function clearTargetErrors() {
    document.querySelectorAll("#targets-form [data-error-for]").forEach((n) => fieldError(n.dataset.errorFor, ""));
  }

  function paintTargetForm() {
    const yearNow = $("#t-year").value || $("#f-year").value || String(new Date().getFullYear());
    const years = []; for (let k = new Date().getFullYear() + 1; k >= 2019; k--) years.push([String(k), String(k)]);
    fill($("#t-year"), years, yearNow);
    fill($("#t-unit"), cm.codes("target_unit").map((c) => [c, cm.lab("target_unit", c)]), $("#t-unit").value || "city");
    fill($("#t-region"), state.regions.filter((r) => r.kind === "county" || r.kind === "zone").map((r) => [r.id, cm.nameOf(r)]), $("#t-region").value);
    $("#t-tf-list").replaceChildren(...state.taskForces.map((t) => el("option", { value: t })));
    const box = $("#t-fields");
    const old = Object.fromEntries([...box.querySelectorAll("input")].map((i) => [i.name, i.value]));
    box.replaceChildren(...TARGET_FIELDS.map((f) => el("label", { class: "db-target-field", "data-field": f },
      el("span", { class: "db-target-label", text: cm.lab("target_field", f) }),
      el("input", { type: "text", inputmode: "decimal", name: f, id: `t-${f}`, value: old[f] || "", placeholder: cm.t("targetEmpty") }),
      el("span", { class: "field-error", "data-error-for": f, hidden: true }))));
    showUnitInputs();
  }
  function showUnitInputs() {
    const kind = $("#t-unit").value;
    $("#t-region-box").hidden = kind !== "region";
    $("#t-tf-box").hidden = kind !== "task_force";
  }

  /** Read the unit's stored target (and its ETag) into the form; an absent one leaves it empty. */
  async function loadTarget() {
    clearTargetErrors();
    showUnitInputs();
    const u = targetUnit();
    targetState.loaded = null;
    const inputs = Object.fromEntries(TARGET_FIELDS.map((f) => [f, $(`#t-${f}`)]));
    Object.values(inputs).forEach((i) => { i.value = ""; });
    if ((u.kind === "task_force" && !u.task_force) || (u.kind === "region" && !u.region)) { $("#t-status").textContent = ""; return; }
    try {
      const t = await cm.getJSON(targetPath(u));
      targetState.loaded = u.id;
      for (const f of TARGET_FIELDS) inputs[f].value = t[f] == null ? "" : String(t[f]);
      $("#t-status").textContent = cm.t("targetLoaded");
    } catch (err) {
      if (err.status === 404) $("#t-status").textContent = cm.t("targetNew");
      else cm.showError(err);
    }
    $("#targets-form").dataset.loaded = u.id;
  }

  async function saveTarget(ev) {
    ev.preventDefault();
    clearTargetErrors();
    const u = targetUnit();
    if (u.kind === "task_force" && !u.task_force) { fieldError("task_force", cm.t("targetNeedTf")); return; }
    if (u.kind === "region" && !u.region) { fieldError("region", cm.t("targetNeedRegion")); return; }
    const body = { year: Number(u.year) };
    if (u.region) body.region = u.region;
    if (u.task_force) body.task_force = u.task_force;
    let bad = false;
    for (const f of TARGET_FIELDS) {
      const v = $(`#t-${f}`).value.trim();
      if (v === "") continue;
      if (!/^\d+(\.\d+)?$/.test(v)) { fieldError(f, cm.t("targetBad")); bad = true; continue; }
      body[f] = f === "signed_count" ? Number(v) : v;
    }
    if (bad) return;
    try {
      const saved = await cm.write("PUT", "/targets", body, { etagOf: targetPath(u) });
      cm.showError(null);
      const unit = u.kind === "task_force" ? u.task_force : u.region ? regionName(u.region) : cm.lab("target_unit", "city");
      $("#t-status").textContent = cm.t("targetSaved", { year: saved.year, unit });
      cm.toast(cm.t("targetSaved", { year: saved.year, unit }));
      targetState.loaded = u.id;
      if (u.task_force && !state.taskForces.includes(u.task_force)) state.taskForces = [...state.taskForces, u.task_force].sort();
      await load();
    } catch (err) {
      const problems = (err.body && Array.isArray(err.body.errors) && err.body.errors.length) ? err.body.errors
        : err.field ? [{ field: err.field, reason: err.message }] : [];
      let shown = false;
      for (const p of problems) shown = fieldError(String(p.field).split(".").pop(), p.reason) || shown;
      if (!shown || err.status === 412 || err.status === 401 || err.status === 403) cm.showError(err);
    }
  }

  function wireTargets() {
    paintTargetForm();
    $("#t-year").addEventListener("change", loadTarget);
    $("#t-unit").addEventListener("change", loadTarget);
    $("#t-region").addEventListener("change", loadTarget);
    $("#t-task-force").addEventListener("change", loadTarget);
    $("#targets-form").addEventListener("submit", saveTarget);
  }

  function resizeCharts() { Object.values(state.charts).forEach((c) => c.resize()); }

  async function main() {
    await cm.boot("dashboard");
    try { state.regions = await cm.getJSON("/regions"); } catch (err) { cm.showError(err); }
    const q = new URLSearchParams(location.search);
    paintFilters();
    if (q.get("year")) $("#f-year").value = q.get("year");
    $("#filters").addEventListener("change", load);
    $("#print").addEventListener("click", () => window.print());
    $("#ranking-xlsx").addEventListener("click", () => cm.download("/kpis/units.xlsx",
      { year: $("#f-year").value, by: $("#f-by").value, lang: cm.lang }, "ranking.xlsx").catch(cm.showError));
    window.addEventListener("resize", resizeCharts);
    window.addEventListener("beforeprint", resizeCharts);
    window.addEventListener("afterprint", resizeCharts);
    cm.onLang(() => { paintFilters(); paintTargetForm(); renderKpis(); renderRanking(); renderCharts(); });
    await load();
    wireTargets();
    if (q.get("year")) $("#t-year").value = q.get("year");
    await loadTarget();
    document.body.dataset.ready = "true";
  }
  document.addEventListener("DOMContentLoaded", main);
})();
