/* chainmap web app: what every page shares (window.cm). Plain JS, no framework, no remote code.
 *
 * - the app shell: the header navigation (图谱 / 诊断 / 招商线索 / 项目 / 驾驶舱 / 普查与审核),
 *   built from PAGES; pages not shipped yet are left out (GET /ui/pages.json lists those present);
 * - API calls to /api/v1 with the key kept in this tab (sessionStorage) and the key prompt on 401;
 * - optimistic concurrency: ETags remembered per path, sent back as If-Match on writes, a clear
 *   "modified by someone else" message with a reload button on 412;
 * - i18n: Chinese first, an English toggle remembered in localStorage (?lang= wins), page strings
 *   registered with cm.strings({zh, en}), vocabularies from the server's one catalogue GET /labels;
 * - messages: cm.showError(err) (detail + hint of the API's error body), cm.toast(text);
 * - names, not ids: cm.nameOf(obj) picks name_zh / name_en.
 *
 * A page: <header class="bar" id="app-bar"> with <nav id="app-nav"></nav> (filled here), a
 * <button id="lang-toggle">, <section id="auth">, <div id="message">; then
 *   cm.strings({zh: {...}, en: {...}}); cm.onLang(render); await cm.boot("map");
 */
"use strict";

(function () {
  const API = "/api/v1";
  const KEY_STORE = "chainmap.apiKey";
  const LANG_STORE = "chainmap.lang";

  /** The app's pages: file under /ui/, nav label. Other helpers add their page files. */
  const PAGES = [
    { id: "map", href: "index.html", zh: "图谱", en: "Chain map" },
    { id: "gaps", href: "gaps.html", zh: "诊断", en: "Gaps" },
    { id: "leads", href: "leads.html", zh: "招商线索", en: "Leads" },
    { id: "projects", href: "pipeline.html", zh: "项目", en: "Projects" },
    { id: "dashboard", href: "dashboard.html", zh: "驾驶舱", en: "Dashboard" },
    { id: "edit", href: "edit.html", zh: "编辑图谱", en: "Edit chains" },
    { id: "census", href: "census.html", zh: "普查导入", en: "Census import" },
    { id: "review", href: "review.html", zh: "审核队列", en: "Review queue" },
  ];

  const COMMON = {
    zh: {
      appName: "chainmap 产业链招商", langButton: "English", loading: "加载中…", error: "出错了",
      authPrompt: "服务器要求 API 密钥，请粘贴：", authSave: "使用此密钥", authClear: "清除",
      authNote: "密钥仅保存在本标签页（sessionStorage）。", close: "关闭",
      modified: "已被他人修改，请刷新后重试。", reload: "重新加载", network: "无法连接服务器",
      docs: "接口文档",
      authTitle: "需要 API 密钥",
      authMissing: "需要 API 密钥才能查看和使用本页。",
      authWrong: "您提供的 API 密钥不正确或已停用，请核对后重新粘贴。",
      authWhat: "API 密钥是系统管理员发给每位使用者的一串字符（形如 cm_…），用来确认您的身份和可做的操作（查看、登记项目、编辑图谱等）。",
      authWho: "还没有密钥或密钥失效？请向本单位的系统管理员索取。",
      authWhere: "请把密钥粘贴到下面的输入框，再点「使用此密钥」。",
    },
    en: {
      appName: "chainmap industrial chains", langButton: "中文", loading: "Loading…", error: "Error",
      authPrompt: "The server requires an API key; paste it:", authSave: "Use key", authClear: "Clear",
      authNote: "The key is kept in this tab only (sessionStorage).", close: "Close",
      modified: "Modified by someone else: reload and retry.", reload: "Reload", network: "Cannot reach the server",
      docs: "API docs",
      authTitle: "An API key is needed",
      authMissing: "You need an API key to see and use this page.",
      authWrong: "The API key you gave is not valid (mistyped, or withdrawn): check it and paste it again.",
      authWhat: "An API key is a string your system administrator gives each user (it looks like cm_…); it tells the service who you are and what you may do (view, register projects, edit chains …).",
      authWho: "No key yet, or it stopped working? Ask your organisation's system administrator.",
      authWhere: "Paste the key into the box below, then click “Use key”.",
    },
  };
  const strings = { zh: { ...COMMON.zh }, en: { ...COMMON.en } };
  const labels = {}; // lang -> GET /labels
  const langListeners = [];
  const authListeners = [];

  function initialLang() {
    const q = new URLSearchParams(location.search).get("lang");
    if (q === "en" || q === "zh") return q;
    try { return localStorage.getItem(LANG_STORE) === "en" ? "en" : "zh"; } catch (_) { return "zh"; }
  }

  const cm = {
    API, PAGES, lang: initialLang(), page: null,
  };

  const $ = (sel, rootNode) => (rootNode || document).querySelector(sel);
  const fmt = (s, vars) => String(s).replace(/\{(\w+)\}/g, (_, k) => (vars && vars[k] != null ? vars[k] : ""));

  /** Register page strings ({zh: {...}, en: {...}}); keys may be dotted paths. */
  cm.strings = (more) => {
    for (const l of ["zh", "en"]) Object.assign(strings[l], (more && more[l]) || {});
  };
  /** The page string ``key`` in the current language (English falls back to Chinese, then the key). */
  cm.t = (key, vars) => {
    const get = (l) => key.split(".").reduce((o, k) => (o == null ? o : o[k]), strings[l]);
    const v = get(cm.lang) ?? get("zh") ?? key;
    return vars ? fmt(v, vars) : v;
  };
  cm.fmt = fmt;
  /** The catalogue label of ``code`` in vocabulary ``vocab`` (the code when unknown). */
  cm.lab = (vocab, code) => {
    const v = (labels[cm.lang] || {})[vocab];
    return (v && v[code]) || code;
  };
  cm.codes = (vocab) => Object.keys((labels[cm.lang] || {})[vocab] || {});
  cm.labels = () => labels[cm.lang] || {};
  /** English headings start with a capital; Chinese is returned as is. */
  cm.cap = (s) => (cm.lang === "en" && s ? s[0].toUpperCase() + s.slice(1) : s);
  /** A person's name for an object with name_zh / name_en (or name). */
  cm.nameOf = (o) => {
    if (!o) return "";
    if (cm.lang === "en") return o.name_en || o.name_zh || o.name || o.id || "";
    return o.name_zh || o.name || o.name_en || o.id || "";
  };

  cm.el = function el(tag, attrs, ...children) {
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
  };
  const el = cm.el;

  /* ---------------------------------------------------------------- API */

  class ApiError extends Error {
    constructor(status, body) {
      const detail = body && body.detail != null ? body.detail : `HTTP ${status}`;
      super(typeof detail === "string" ? detail : JSON.stringify(detail));
      this.status = status;
      this.hint = body && body.hint ? body.hint : "";
      this.error = body && body.error ? body.error : "";
      this.field = body && body.field ? body.field : "";
      this.body = body;
    }
  }
  cm.ApiError = ApiError;

  cm.key = () => { try { return sessionStorage.getItem(KEY_STORE) || ""; } catch (_) { return ""; } };
  cm.authHeaders = () => (cm.key() ? { "X-API-Key": cm.key() } : {});

  const etags = new Map(); // API path -> ETag of its last read or write
  function remember(path, resp) {
    const tag = resp.headers.get("ETag");
    if (tag) etags.set(path, tag);
  }
  cm.etagOf = (path) => etags.get(path) || null;

  function apiUrl(path, params) {
    const url = new URL(API + path, location.origin);
    for (const [k, v] of Object.entries(params || {})) {
      if (v == null || v === "") continue;
      if (Array.isArray(v)) v.forEach((x) => url.searchParams.append(k, x));
      else url.searchParams.set(k, v);
    }
    return url;
  }
  cm.apiUrl = apiUrl;

  async function send(path, params, init) {
    let resp;
    try {
      resp = await fetch(apiUrl(path, params), init);
    } catch (err) {
      throw new ApiError(0, { detail: `${cm.t("network")}: ${err.message || err}` });
    }
    if (!resp.ok) {
      let body = null;
      try { body = await resp.json(); } catch (_) { body = null; }
      if (resp.status === 401) showAuth(true);
      throw new ApiError(resp.status, body);
    }
    return resp;
  }

  /** GET ``path`` (below /api/v1) with ``params``; remembers the ETag; returns the Response. */
  cm.apiFetch = async (path, params) => {
    const resp = await send(path, params, { headers: cm.authHeaders() });
    remember(path, resp);
    return resp;
  };
  cm.getJSON = async (path, params) => (await cm.apiFetch(path, params)).json();
  cm.getText = async (path, params) => (await cm.apiFetch(path, params)).text();

  /** PUT / PATCH / POST / DELETE ``path`` with a JSON ``body``; If-Match is the ETag last read
   * for ``opts.etagOf`` (default ``path``). On 412 shows "modified by someone else" with a
   * reload button, and rethrows. */
  cm.write = async (method, path, body, opts) => {
    const { params = null, etagOf = path } = opts || {};
    const headers = { ...cm.authHeaders() };
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
  };

  /** Save a Blob under ``name`` (a download the browser keeps). */
  cm.saveBlob = (blob, name) => {
    const url = URL.createObjectURL(blob);
    const a = el("a", { href: url, download: name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  };
  cm.filenameFrom = (resp, fallback) => {
    const cd = resp.headers.get("Content-Disposition") || "";
    const star = /filename\*=UTF-8''([^;]+)/i.exec(cd);
    if (star) { try { return decodeURIComponent(star[1]); } catch (_) { /* fall through */ } }
    const plain = /filename="?([^";]+)"?/i.exec(cd);
    return plain ? plain[1] : fallback;
  };
  /** Download an API answer (GET ``path``) as a file. */
  cm.download = async (path, params, fallback) => {
    const resp = await cm.apiFetch(path, params);
    cm.saveBlob(await resp.blob(), cm.filenameFrom(resp, fallback));
  };

  /* ---------------------------------------------------------------- messages */

  cm.errorBox = (err) => {
    if (err && err.status === 401) {  // for people: what a key is, whom to ask, where to enter it
      return el("div", { class: "error auth-error", role: "alert" },
        el("strong", { text: `${cm.t("authTitle")} (401): ` }), authReason(),
        el("div", { class: "hint", text: `${cm.t("authWho")} ${cm.t("authWhere")}` }));
    }
    const box = el("div", { class: "error", role: "alert" },
      el("strong", { text: `${cm.t("error")}${err.status ? " " + err.status : ""}: ` }), err.message || String(err));
    if (err.hint) box.append(el("div", { class: "hint", text: err.hint }));
    return box;
  };
  /** Why the server refused: no key yet, or a key that is not valid. */
  function authReason() { return cm.t(cm.key() ? "authWrong" : "authMissing"); }
  function messageArea() {
    let m = $("#message");
    if (!m) {
      m = el("div", { id: "message", class: "message", role: "alert", hidden: true });
      const bar = $("#app-bar") || document.body.firstElementChild;
      bar ? bar.after(m) : document.body.prepend(m);
    }
    return m;
  }
  /** Show ``err`` (ApiError: detail and hint) in the message area; ``null`` clears it. */
  cm.showError = (err) => {
    const m = messageArea();
    m.replaceChildren();
    if (!err) { m.hidden = true; return; }
    m.append(cm.errorBox(err));
    m.hidden = false;
  };
  function showConflict(err) {
    const m = messageArea();
    const box = cm.errorBox(err);
    box.classList.add("conflict");
    box.prepend(el("div", { class: "conflict-text", text: cm.t("modified") }));
    box.append(el("button", { type: "button", class: "reload", text: cm.t("reload"), onclick: () => location.reload() }));
    m.replaceChildren(box);
    m.hidden = false;
  }
  /** A short notice that disappears by itself (role=status). */
  cm.toast = (text, kind) => {
    let area = $("#toasts");
    if (!area) { area = el("div", { id: "toasts", class: "toasts", "aria-live": "polite" }); document.body.append(area); }
    const item = el("div", { class: `toast ${kind || "info"}`, role: "status", text });
    area.append(item);
    setTimeout(() => item.remove(), 4000);
    return item;
  };

  /* ---------------------------------------------------------------- auth */

  /** The key box's explanation (what a key is, whom to ask, where to enter it), in the page's language. */
  function paintAuthHelp() {
    const box = $("#auth");
    if (!box) return;
    let help = $("#auth-help");
    if (!help) {
      help = el("div", { id: "auth-help", class: "auth-help" });
      box.prepend(help);
    }
    help.replaceChildren(el("strong", { class: "auth-title", text: cm.t("authTitle") }),
      el("p", { class: "auth-reason", text: authReason() }),
      el("p", { class: "auth-what", text: cm.t("authWhat") }),
      el("p", { class: "auth-who", text: cm.t("authWho") }),
      el("p", { class: "auth-where", text: cm.t("authWhere") }));
  }
  function showAuth(show) {
    const box = $("#auth");
    if (!box) return;
    box.hidden = !show;
    if (show) { paintAuthHelp(); const i = $("#api-key"); if (i) i.focus(); }
  }
  cm.showAuth = showAuth;
  cm.onAuth = (fn) => authListeners.push(fn);

  function wireAuth() {
    const form = $("#auth-form");
    if (!form || form.dataset.wired) return;
    form.dataset.wired = "true";
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const key = $("#api-key").value.trim();
      if (key) sessionStorage.setItem(KEY_STORE, key);
      $("#api-key").value = "";
      showAuth(false);
      if (!authListeners.length) { location.reload(); return; }  // pages without their own reload: start again with the key
      authListeners.forEach((fn) => fn());
    });
    const clear = $("#auth-clear");
    if (clear) clear.addEventListener("click", () => { sessionStorage.removeItem(KEY_STORE); $("#api-key").value = ""; });
  }

  /* ---------------------------------------------------------------- i18n + shell */

  /** Load the label catalogue of the current language (once) and paint the status colours. */
  cm.loadLabels = async () => {
    if (!labels[cm.lang]) labels[cm.lang] = await cm.getJSON("/labels", { lang: cm.lang });
    const rootStyle = document.documentElement.style;
    const rules = [];
    for (const [status, c] of Object.entries(labels[cm.lang].gap_status_colours || {})) {
      rootStyle.setProperty(`--${status}`, c.stroke);
      rootStyle.setProperty(`--${status}-bg`, c.fill);
      rules.push(`.st-${status} { background: var(--${status}); }`);
    }
    let sheet = document.getElementById("st-colours");
    if (!sheet) { sheet = document.createElement("style"); sheet.id = "st-colours"; document.head.append(sheet); }
    sheet.textContent = rules.join("\n");
    return labels[cm.lang];
  };

  /** Fill [data-i18n] text, [data-i18n-placeholder], [data-i18n-title], the nav and the toggle. */
  cm.applyStrings = () => {
    document.documentElement.lang = cm.lang === "en" ? "en" : "zh-CN";
    document.querySelectorAll("[data-i18n]").forEach((n) => { n.textContent = cm.t(n.dataset.i18n); });
    document.querySelectorAll("[data-i18n-placeholder]").forEach((n) => { n.placeholder = cm.t(n.dataset.i18nPlaceholder); });
    document.querySelectorAll("[data-i18n-title]").forEach((n) => { n.title = cm.t(n.dataset.i18nTitle); });
    const btn = $("#lang-toggle");
    if (btn) { btn.textContent = cm.t("langButton"); btn.lang = cm.lang === "en" ? "zh-CN" : "en"; }
    if ($("#auth-help")) paintAuthHelp();
    renderNav();
  };

  let present = null; // page files present on the server (GET /ui/pages.json)
  function renderNav() {
    const nav = $("#app-nav");
    if (!nav) return;
    const items = PAGES.filter((p) => p.id === cm.page || !present || present.includes(p.href));
    nav.replaceChildren(...items.map((p) => {
      const q = cm.lang === "en" ? "?lang=en" : "";
      return el("a", { href: p.href + q, class: p.id === cm.page ? "current" : null,
        "aria-current": p.id === cm.page ? "page" : null, "data-page": p.id, text: cm.lang === "en" ? p.en : p.zh });
    }), el("a", { href: "/docs", class: "docs-link", "data-page": "docs", text: cm.t("docs") }));
  }

  cm.onLang = (fn) => langListeners.push(fn);
  cm.setLang = async (lang) => {
    cm.lang = lang === "en" ? "en" : "zh";
    try { localStorage.setItem(LANG_STORE, cm.lang); } catch (_) { /* private mode */ }
    try { await cm.loadLabels(); } catch (err) { cm.showError(err); }
    cm.applyStrings();
    for (const fn of langListeners) await fn(cm.lang);
  };

  /** Start a page: shell (nav, toggle, auth), labels; ``page`` is its PAGES id. */
  cm.boot = async (page) => {
    cm.page = page;
    wireAuth();
    const btn = $("#lang-toggle");
    if (btn && !btn.dataset.wired) {
      btn.dataset.wired = "true";
      btn.addEventListener("click", () => cm.setLang(cm.lang === "zh" ? "en" : "zh"));
    }
    cm.applyStrings();
    fetch("/ui/pages.json").then((r) => (r.ok ? r.json() : null)).then((list) => {
      if (Array.isArray(list)) { present = list; renderNav(); }
    }).catch(() => { /* keep the full nav */ });
    try { await cm.loadLabels(); } catch (err) { cm.showError(err); throw err; }  // e.g. a 401: say so on the page
  };

  window.cm = cm;
})();
