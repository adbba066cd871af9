"""Scaling series across runs, power-law fits and extrapolation, and the four-panel log-log plot."""

from __future__ import annotations

import math
import statistics
from pathlib import Path
from typing import Any

from benchmarks._fmt import fmt_n, fmt_s
from benchmarks._results import rows_of

__all__ = ["series", "fit", "extrapolate", "fits_markdown", "PANELS", "TARGET_POINTS", "plot"]


def series(docs: dict[str, dict[str, Any] | None]) -> dict[str, dict[float, tuple[float, str]]]:
    """name -> {size: (seconds, mode)}; a point measured in several runs is taken from the first
    mode of ``docs`` that has it (full before quick)."""
    out: dict[str, dict[float, tuple[float, str]]] = {}

    def put(name: str, x: float, y: float | None, mode: str) -> None:
        if y is not None and y > 0:
            out.setdefault(name, {}).setdefault(float(x), (float(y), mode))

    for mode, doc in docs.items():
        for r, _ in rows_of(doc, "gaps"):
            if str(r.get("case", "")).startswith("synthetic") and "seconds" in r:
                put("gap analysis", r["segments"], r["seconds"], mode)
        for r, _ in rows_of(doc, "leads"):
            if "error" in r:
                continue
            if r.get("bench") == "rank":
                put("lead ranking", r["n"], r["rank_s"], mode)
                put("candidate matrix build", r["n"], r["build_s"], mode)
            elif r.get("bench") == "import":
                put("CSV import", r["n"], r["seconds"], mode)
        for r, _ in rows_of(doc, "storage"):
            if "seconds" in r:
                put(f"{r['backend']} bulk load", r["n"], r["seconds"], mode)
        for r, _ in rows_of(doc, "relatedness"):
            if r.get("kind") != "timing":
                continue
            a, b = (int(x) for x in r["case"].split("x"))
            put("relatedness: chainmap", a * b, r["ours_s"], mode)
            put("relatedness: ecomplexity", a * b, r.get("ecomplexity_s"), mode)
            if r.get("ecomplexity_capped_s"):
                put("relatedness: ecomplexity (capped, lower bound)", a * b, r["ecomplexity_capped_s"], mode)
    return out


def fit(points: dict[float, tuple[float, str]]) -> dict[str, Any] | None:
    """Least-squares exponent b of t = a n^b over all points, and b between the last two."""
    xs = sorted(points)
    if len(xs) < 2:
        return None
    lx = [math.log(x) for x in xs]
    ly = [math.log(points[x][0]) for x in xs]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    b = sum((u - mx) * (v - my) for u, v in zip(lx, ly, strict=True)) / sum((u - mx) ** 2 for u in lx)
    b_last = (ly[-1] - ly[-2]) / (lx[-1] - lx[-2])
    return {"exponent_all": b, "exponent_last": b_last, "n_max": xs[-1], "t_max": points[xs[-1]][0],
            "sizes": xs, "modes": sorted({points[x][1] for x in xs})}  # fmt: skip


def extrapolate(f: dict[str, Any], n: float) -> float:
    """t(n) from the largest measured point with the larger of the two exponents (and at least 1)."""
    b = max(1.0, f["exponent_all"], f["exponent_last"])
    return f["t_max"] * (n / f["n_max"]) ** b


def fits_markdown(ser: dict[str, dict[float, tuple[float, str]]]) -> str:
    lines = [
        "| Series | Sizes measured | Largest: time | Exponent b (fit, all points) | b (last two points) | "
        "Extrapolated 10M | Extrapolated 50M |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, pts in ser.items():
        f = fit(pts)
        if f is None or "capped" in name or name.startswith("relatedness"):
            continue
        sizes = ", ".join(fmt_n(x) for x in f["sizes"])
        if len(f["modes"]) > 1:
            sizes += " — **points from different runs at different loads: exponent unreliable**"
        row = (f"| {name} | {sizes} ({'/'.join(f['modes'])}) | {fmt_s(f['t_max'])} at {fmt_n(f['n_max'])} | "
               f"{f['exponent_all']:.2f} | {f['exponent_last']:.2f} |")  # fmt: skip
        if name == "gap analysis":
            row += " (per region; not a function of enterprises) | |"
        else:
            row += f" {fmt_s(extrapolate(f, 1e7))} | {fmt_s(extrapolate(f, 5e7))} |"
        lines.append(row)
    return "\n".join(lines)


PANELS = [
    ("Gap analysis (city, all chains)", "segments (enterprises = 10x)", ["gap analysis"]),
    ("Lead ranking and import", "candidates / CSV rows", ["lead ranking", "candidate matrix build", "CSV import"]),
    ("Storage bulk load", "enterprises", ["sqlite bulk load", "neo4j bulk load"]),
    ("Relatedness pipeline", "matrix cells (locations x activities)",
     ["relatedness: chainmap", "relatedness: ecomplexity", "relatedness: ecomplexity (capped, lower bound)"]),
]  # fmt: skip
TARGET_POINTS = {  # panel index -> (size, seconds, label)
    0: [(10_000, 10.0, "target 10k: 10 s")],
    1: [(1_000_000, 10.0, "target rank 1M: 10 s"), (1_000_000, 60.0, "target import 1M: 60 s")],
    2: [(1_000_000, 60.0, "target SQLite 1M: 60 s"), (1_000_000, 180.0, "target Neo4j 1M: 180 s")],
}


def plot(ser: dict[str, dict[float, tuple[float, str]]], path: Path, subtitle: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(12, 9))
    for i, (ax, (title, xlabel, names)) in enumerate(zip(axes.flat, PANELS, strict=True)):
        for name in names:
            pts = ser.get(name)
            if not pts:
                continue
            xs = sorted(pts)
            ys = [pts[x][0] for x in xs]
            capped = "capped" in name
            f = fit(pts)
            label = name + (f" (b={f['exponent_all']:.2f})" if f and not capped else "")
            ax.plot(xs, ys, "^" if capped else "o-", label=label, ms=8 if capped else 5)
            for x, y in zip(xs, ys, strict=True):
                if pts[x][1] == "full":
                    ax.annotate("F", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
        for x, y, label in TARGET_POINTS.get(i, []):
            ax.plot([x], [y], "rx", ms=9)
            ax.annotate(label, (x, y), textcoords="offset points", xytext=(-10, 6), fontsize=7, color="red",
                        ha="right")  # fmt: skip
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("seconds")
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8, loc="upper left")
        else:
            ax.text(0.5, 0.5, "not measured", transform=ax.transAxes, ha="center", color="grey")
    fig.suptitle("chainmap: cost vs size (log-log; b = fitted exponent; F = point from the --full run)"
                 + (f"\n{subtitle}" if subtitle else ""), fontsize=10)  # fmt: skip
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
