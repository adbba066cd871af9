"""The generated part of BENCHMARKS.md (between the BEGIN/END markers) and the scaling plot."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from benchmarks._fmt import cell
from benchmarks._markdown import machine_markdown, rows_table
from benchmarks._paths import REPORT, RESULTS
from benchmarks._results import load
from benchmarks._scaling import fits_markdown, plot, series
from benchmarks._targets import target_rows, targets_markdown

__all__ = ["BEGIN", "END", "generated_report", "write_report"]

BEGIN, END = "<!-- BEGIN GENERATED (python -m benchmarks report) -->", "<!-- END GENERATED -->"


def _detail(docs: dict[str, dict[str, Any] | None]) -> list[str]:
    parts = []
    for mode, doc in docs.items():
        if not doc:
            continue
        parts += [f"### {mode} run", "", machine_markdown(doc.get("machine", {})),
                  f"- started {doc.get('started')}, command(s): `{doc.get('command')}`", ""]  # fmt: skip
        for name, entry in doc.get("benchmarks", {}).items():
            parts += [
                f"#### {name} ({mode}, {entry.get('status')}, {str(entry.get('finished', ''))[:16]}, "
                f"load average at start {entry.get('load_avg_start')})",
                "",
            ]
            if entry.get("error"):
                parts += [f"**error**: `{cell(entry['error'])}`", ""]
            parts += [rows_table(entry.get("rows", [])), ""]
    return parts


def generated_report(docs: dict[str, dict[str, Any] | None], png_rel: str) -> str:
    trows = target_rows(docs)
    ser = series(docs)
    n_pass = sum(1 for r in trows if r.get("ok") is True)
    n_miss = sum(1 for r in trows if r.get("ok") is False)
    n_none = sum(1 for r in trows if r.get("missing"))
    runs = ", ".join(
        f"the {m} run ({(d or {}).get('started', '')[:16]}, {(d or {}).get('wall_s', 0):.0f} s of benchmarks)"
        for m, d in docs.items()
        if d
    )
    parts = [
        BEGIN,
        "",
        f"_Generated from {runs}: {n_pass} pass, {n_miss} missed, {n_none} not measured._",
        "",
        targets_markdown(trows),
        "",
        "### Scaling curves",
        "",
        f"![scaling curves]({png_rel})",
        "",
        "Fitted exponents (t = a·n^b, log-log least squares) and a naive single-machine extrapolation "
        "from the largest measured point with b' = max(1, b, b_last) — see [docs/scaling.md](docs/scaling.md):",
        "",
        fits_markdown(ser),
        "",
        "### Every measured row",
        "",
        *_detail(docs),
        END,
    ]
    return "\n".join(parts)


def write_report(results_dir: Path = RESULTS, report: Path | None = REPORT) -> None:
    """Plot + (if ``report``) the generated section of BENCHMARKS.md from full.json and quick.json."""
    docs = {m: load(results_dir / f"{m}.json") for m in ("full", "quick")}
    docs = {m: d for m, d in docs.items() if d}
    if not docs:
        return
    png = results_dir / "scaling.png"
    plot(
        series(docs),
        png,
        "points: " + ", ".join(f"{m} run {d.get('started', '')[:10]}" for m, d in docs.items()),
    )
    if report is None:
        return
    png_rel = os.path.relpath(png, report.parent)
    body = generated_report(docs, png_rel)
    text = (
        report.read_text(encoding="utf-8")
        if report.exists()
        else "# Benchmarks\n\n" + BEGIN + "\n" + END + "\n"
    )
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + body + tail
    else:
        text = text.rstrip() + "\n\n" + body + "\n"
    report.write_text(text, encoding="utf-8")
