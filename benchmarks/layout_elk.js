// Lays out one chain graph with the web page's ELK layout (api/static/chainlayout.js) in Node.
// stdin: {"graph": <node-link JSON of GET /chains/{id}/graph?format=json>, "gaps": [gap items],
//         "collapse": bool}; stdout: {"width", "height", "nodes": [...], "edges": [...]}.
// Called by benchmarks/bench_layout.py; text widths are estimated (no canvas in Node).
"use strict";
const path = require("path");
const root = path.resolve(__dirname, "..");
const ELK = require(path.join(root, "api/static/vendor/elk.bundled.js"));
const CL = require(path.join(root, "api/static/chainlayout.js"));

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (c) => { input += c; });
process.stdin.on("end", async () => {
  const req = JSON.parse(input);
  const gaps = new Map((req.gaps || []).map((g) => [g.segment_id, g]));
  if (process.env.ELK_OPTIONS) Object.assign(CL.ELK_OPTIONS, JSON.parse(process.env.ELK_OPTIONS));
  const m = CL.model(req.graph, { lang: req.lang || "zh", gaps, collapse: !!req.collapse });
  const t0 = process.hrtime.bigint();
  await CL.layout(new ELK(), m);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(JSON.stringify({
    width: m.width, height: m.height, layout_ms: ms,
    nodes: m.nodes.map((n) => ({ id: n.id, x: n.x, y: n.y, w: n.w, h: n.h, lines: n.lines })),
    edges: m.edges.map((e) => ({ source: e.source, target: e.target, points: e.points })),
  }));
});
