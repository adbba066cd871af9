"""Edge crossings of the chain map: the server's hand-placed columns (``chainmap/reports/svg.py``)
against the web page's ELK layered layout (``api/static/chainlayout.js``, run in Node by
``benchmarks/layout_elk.js``), on the 材 chain (68 segments) and every other chain.

A crossing is a point where two drawn links meet that share no end box: the links are taken
as drawn (the SVG's cubic Béziers sampled into 32 straight pieces each; ELK's orthogonal
routes as they are) and every pair of pieces of two different links that properly intersect
counts once (touching or overlapping collinear pieces do not count). ``part_of`` links are
not drawn by either layout and are not counted. Both layouts draw the same boxes and links:
the chain plus its neighbours of other chains, each neighbour its own box. The web page's
default (neighbours of one other chain collapsed into one box) is printed as a third column,
and the positions the GEXF/GraphML exports carry (:func:`chainmap.graph.layered_positions`,
links as straight lines between the boxes' sides) as a fourth, and the server's layered SVG
(``chainmap graph ID -f svg``: the same layers, Bézier links) as a fifth.

Target: at least 50 % fewer crossings on 材 than the columns. Also prints the ELK layout time
in Node (the page does the same work in the browser).

Run ``python benchmarks/bench_layout.py`` (``--chain ID`` for one chain; ``--quick``: 材 only).
Needs ``node`` and ``api/static/vendor/elk.bundled.js`` (``scripts/build-web.sh``).
:func:`run` returns the rows it prints.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_REDUCTION = 0.5
Point = tuple[float, float]
Poly = list[Point]

_PATH = re.compile(r'<path class="cm-link[^"]*" data-source="([^"]+)" data-target="([^"]+)" d="([^"]+)"')
_NUM = re.compile(r"-?\d+(?:\.\d+)?")


def _bezier(p0: Point, p1: Point, p2: Point, p3: Point, steps: int = 32) -> Poly:
    out = []
    for i in range(steps + 1):
        t = i / steps
        a, b, c, d = (1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t * t * (1 - t), t**3
        out.append(
            (a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0], a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1])
        )
    return out


def svg_links(svg: str) -> list[tuple[str, str, Poly]]:
    """The links of a server SVG (``M x,y C x1,y1 x2,y2 x,y``) as sampled polylines."""
    links = []
    for src, dst, d in _PATH.findall(svg):
        nums = [float(x) for x in _NUM.findall(d)]
        if len(nums) != 8:
            raise ValueError(f"unexpected link path {d!r} ({src} -> {dst})")
        pts = [(nums[i], nums[i + 1]) for i in range(0, 8, 2)]
        links.append((src, dst, _bezier(*pts)))
    return links


def _orient(a: Point, b: Point, c: Point) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _cross(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    d1, d2 = _orient(q1, q2, p1), _orient(q1, q2, p2)
    d3, d4 = _orient(p1, p2, q1), _orient(p1, p2, q2)
    eps = 1e-9
    return ((d1 > eps and d2 < -eps) or (d1 < -eps and d2 > eps)) and (
        (d3 > eps and d4 < -eps) or (d3 < -eps and d4 > eps)
    )


def _bbox(poly: Poly) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in poly], [p[1] for p in poly]
    return min(xs), min(ys), max(xs), max(ys)


def count_crossings(links: list[tuple[str, str, Poly]]) -> int:
    """Crossing points between links that share no end (see the module docstring).

    >>> count_crossings([("a", "b", [(0, 0), (10, 10)]), ("c", "d", [(0, 10), (10, 0)])])
    1
    >>> count_crossings([("a", "b", [(0, 0), (10, 10)]), ("a", "d", [(0, 10), (10, 0)])])
    0
    """
    boxes = [_bbox(p) for _, _, p in links]
    total = 0
    for i in range(len(links)):
        si, ti, pi = links[i]
        bi = boxes[i]
        for j in range(i + 1, len(links)):
            sj, tj, pj = links[j]
            if {si, ti} & {sj, tj}:
                continue
            bj = boxes[j]
            if bi[2] < bj[0] or bj[2] < bi[0] or bi[3] < bj[1] or bj[3] < bi[1]:
                continue
            for a in range(len(pi) - 1):
                for b in range(len(pj) - 1):
                    if _cross(pi[a], pi[a + 1], pj[b], pj[b + 1]):
                        total += 1
    return total


def elk_layout(graph: dict[str, Any], gaps: list[dict[str, Any]], *, collapse: bool) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node not found: the ELK layout runs in Node.js (install nodejs)")
    if not (ROOT / "api/static/vendor/elk.bundled.js").is_file():
        raise RuntimeError("api/static/vendor/elk.bundled.js missing: run scripts/build-web.sh")
    req = json.dumps({"graph": graph, "gaps": gaps, "collapse": collapse}, ensure_ascii=False)
    out = subprocess.run(
        [node, str(ROOT / "benchmarks/layout_elk.js")],
        input=req,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"layout_elk.js failed: {out.stderr.strip()[-800:]}")
    return dict(json.loads(out.stdout))


def measure(chain: str) -> dict[str, Any]:
    from chainmap import service
    from chainmap.reports.svg import render_chain_svg

    data = _seed_data()
    report = service.gap_report(data=data, chain=chain)
    items = [i.model_dump(mode="json") for i in report.items]
    svg = render_chain_svg(data.graph, chain, report.items)
    before = count_crossings(svg_links(svg))
    graph = json.loads(service.chain_graph(data=data, chain=chain, fmt="json").text)
    row: dict[str, Any] = {
        "chain": chain,
        "segments": sum(1 for n in graph["nodes"] if not n.get("external")),
    }
    row["links"] = sum(1 for link in graph["links"] if link["kind"] != "part_of")
    row["columns"] = before
    for collapse, key in ((False, "elk"), (True, "elk_collapsed")):
        lay = elk_layout(graph, items, collapse=collapse)
        links = [(e["source"], e["target"], [tuple(p) for p in e["points"]]) for e in lay["edges"]]
        row[key] = count_crossings(links)
        row[key + "_ms"] = round(float(lay["layout_ms"]))
        row[key + "_size"] = f"{lay['width']}x{lay['height']}"
    # the exports' positions (chainmap.graph.layered_positions), links drawn straight
    from chainmap.graph import chain_subgraph, layered_positions

    H = chain_subgraph(data.graph, chain)
    pos = layered_positions(H)
    straight = [
        (u, v, [(pos[u][0] + 172.0, pos[u][1] + 30.0), (pos[v][0], pos[v][1] + 30.0)])
        for u, v, d in H.edges(data=True)
        if d.get("kind") != "part_of"
    ]
    row["exports"] = count_crossings(straight)
    # the server's layered SVG (chainmap graph ID -f svg)
    row["server_svg"] = count_crossings(svg_links(render_chain_svg(data.graph, chain, report.items, layout="layered")))
    row["reduction"] = round(1 - row["elk"] / before, 3) if before else 0.0
    row["pass"] = row["reduction"] >= TARGET_REDUCTION if chain == "cai" else None
    return row


_DATA: Any = None


def _seed_data() -> Any:
    """The shipped seed (graph_seed/), read once."""
    global _DATA
    if _DATA is None:
        from chainmap.seed import load_seed

        _DATA = load_seed()
    return _DATA


def run(quick: bool = False, chains: list[str] | None = None) -> list[dict[str, Any]]:
    if chains is None:
        chains = ["cai"] if quick else ["cai", "he", "qi", "sheng"]
    rows = [measure(c) for c in chains]
    print(
        f"{'chain':8} {'segs':>4} {'links':>5} {'columns':>8} {'ELK':>6} {'reduction':>9} {'ELK collapsed':>13} {'exports':>7} {'server svg':>10} {'ELK ms':>7}"
    )
    for r in rows:
        print(
            f"{r['chain']:8} {r['segments']:>4} {r['links']:>5} {r['columns']:>8} {r['elk']:>6} "
            f"{r['reduction']:>9.1%} {r['elk_collapsed']:>13} {r['exports']:>7} {r['server_svg']:>10} {r['elk_ms']:>7}"
        )
    cai = next((r for r in rows if r["chain"] == "cai"), None)
    if cai is not None:
        verdict = "pass" if cai["pass"] else "MISS"
        print(
            f"材 chain: {cai['columns']} crossings before, {cai['elk']} after ({cai['reduction']:.1%} fewer; target >= 50 %: {verdict})"
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="材 only")
    parser.add_argument("--chain", action="append", help="chain id (repeatable)")
    args = parser.parse_args(argv)
    rows = run(args.quick, args.chain)
    cai = next((r for r in rows if r["chain"] == "cai"), None)
    return 0 if cai is None or cai["pass"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
