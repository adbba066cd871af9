"""Markdown of one results file (``results/<mode>.md``): machine, targets, the rows of every benchmark."""

from __future__ import annotations

from typing import Any

from benchmarks._fmt import cell
from benchmarks._targets import target_rows, targets_markdown

__all__ = ["rows_table", "machine_markdown", "render_mode_markdown"]


def rows_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "_no rows_"
    keys: list[str] = []
    for r in rows:
        keys.extend(k for k in r if k not in keys)
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(cell(r.get(k)) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def machine_markdown(m: dict[str, Any]) -> str:
    libs = ", ".join(f"{k} {v}" for k, v in (m.get("libraries") or {}).items() if v)
    return (
        f"- machine: {m.get('cores')} cores ({m.get('cores_usable')} usable), {m.get('memory_gib')} GiB, "
        f"{m.get('cpu_model')}; {m.get('platform')}\n"
        f"- load average at start: {m.get('load_avg')}\n"
        f"- Python {m.get('python')}; {libs}\n"
        f"- Java: {m.get('java') or 'none'}; Neo4j server {m.get('neo4j_server')}"
    )


def render_mode_markdown(doc: dict[str, Any]) -> str:
    mode = doc.get("mode", "?")
    parts = [
        f"# chainmap benchmarks — {mode} run",
        "",
        f"- command: `{doc.get('command', '')}`",
        f"- started {doc.get('started')}, finished {doc.get('finished')}, wall {doc.get('wall_s', 0):.0f} s",
        machine_markdown(doc.get("machine", {})),
        "",
        "## Targets",
        "",
        targets_markdown(target_rows({mode: doc}), with_limits=False),
        "",
    ]
    for name, entry in doc.get("benchmarks", {}).items():
        parts += [
            f"## {name} — {entry.get('status')}",
            "",
            f"started {entry.get('started')}, {entry.get('wall_s', 0):.1f} s wall, load average at start "
            f"{entry.get('load_avg_start')}, repeats {entry.get('repeats', 1)}"
            + (f"; Neo4j: {entry['neo4j']}" if entry.get("neo4j") else ""),
            "",
        ]
        if entry.get("error"):
            parts += [f"**error**: `{cell(entry['error'])}`", ""]
            if entry.get("log_tail"):
                parts += ["```", *entry["log_tail"][-15:], "```", ""]
        parts += [rows_table(entry.get("rows", [])), ""]
    return "\n".join(parts)
