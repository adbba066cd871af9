// Lays out the shipped seed's chain maps at build time (scripts/build-web.sh), so the first
// visitor after a server start draws the chain at once instead of waiting for ELK in the browser.
// stdin: [{"chain", "lang", "collapse", "graph", "gaps": [gap items], "labels": GET /labels}, ...]
// (scripts/precompute_layouts.py reads them from the API, exactly as the page does);
// writes <out>/<key>.json = {"chain", "input": ELK input, "output": layout} per view, where <key> is
// the page's layoutKey of the ELK input with ':' as '-'. Text widths are chainlayout.js's
// estimate (no canvas in Node): the page uses such a layout only when the ELK input it builds
// with the estimate hashes to the same key and every wrapped line fits the box in the page's
// real font (api/static/app.js shippedLayout); otherwise it lays the chain out itself.
"use strict";
const fs = require("fs");
const path = require("path");
const root = path.resolve(__dirname, "..");
const ELK = require(path.join(root, "api/static/vendor/elk.bundled.js"));
const CL = require(path.join(root, "api/static/chainlayout.js"));

const out = process.argv[2];
let raw = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (c) => { raw += c; });
process.stdin.on("end", async () => {
  const views = JSON.parse(raw);
  fs.mkdirSync(out, { recursive: true });
  const elk = new ELK();
  let n = 0;
  for (const v of views) {
    const gaps = new Map((v.gaps || []).map((g) => [g.segment_id, g]));
    const m = CL.model(v.graph, { lang: v.lang, gaps, collapse: v.collapse, firms: false, labels: v.labels });
    const input = CL.elkGraph(m);
    const key = CL.layoutKey(JSON.stringify(input));
    const t0 = Date.now();
    const full = await elk.layout(JSON.parse(JSON.stringify(input)));
    const output = { width: full.width, height: full.height,
      children: full.children.map((c) => ({ id: c.id, x: c.x, y: c.y })),
      edges: (full.edges || []).map((e) => ({ id: e.id, sections: e.sections })) };
    fs.writeFileSync(path.join(out, key.replace(/:/g, "-") + ".json"), JSON.stringify({ chain: v.chain, input, output }));
    n += 1;
    process.stderr.write(`[prelayout] ${v.chain} ${v.lang} ${v.collapse ? "collapsed" : "full"} ${key} (${Date.now() - t0} ms)\n`);
  }
  process.stderr.write(`[prelayout] ${n} layouts in ${out}\n`);
});
