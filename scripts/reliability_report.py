"""Run the reliability suite (tests/reliability) and write the table docs/reliability.md.

Each test case (a parametrised case counts once) belongs to one category of issue 17; a
row gives the cases tried, handled (passed), lost (failed or errored: a live formula, a
crash, a lost update, a silently wrong value, an accepted bomb ...) and skipped (a Neo4j
case without Neo4j), and names its tests.

    python scripts/reliability_report.py                       # SQLite only (Neo4j cases skip)
    NEO4J_URI=bolt://127.0.0.1:7707 CHAINMAP_REQUIRE_NEO4J=1 python scripts/reliability_report.py
    python scripts/reliability_report.py -o docs/reliability.md -- -k "not wired_bombs"   # extra pytest args

Exit status: 0 when nothing was lost, 1 otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: (category, what "lost" would mean) in table order
CATEGORIES: list[tuple[str, str]] = [
    ("live formulas", "a cell or CSV field that a spreadsheet would run as a formula, raw HTML in Markdown"),
    ("crashes (5xx / tracebacks)", "a traceback, an HTTP 500, or anything but InvalidInput / a JSON 4xx"),
    ("lost updates", "an update overwritten by a concurrent one, a stale If-Match accepted"),
    ("silently wrong values", "a value stored other than it was written (separators, encodings, names, bounds, unvalidated records)"),
    ("bombs refused", "an upload or document under the size limit that exhausts memory or CPU"),
    ("store faults", "a slow or misleading answer with the store down, read-only or busy"),
    ("leaks and small holes", "a URI, path or driver message in a body, missing nosniff/CSP, a revocable last admin key, wrong Allow"),
]

#: module -> category; (module, test-name keyword) pairs override it
MODULES = {
    "test_safe_output": "live formulas",
    "test_wired_outputs": "live formulas",
    "test_fuzz_importers": "crashes (5xx / tracebacks)",
    "test_lost_updates": "lost updates",
    "test_etags": "lost updates",
    "test_text_hygiene": "silently wrong values",
    "test_transfer_validation": "silently wrong values",
    "test_wired_imports": "silently wrong values",
    "test_parser_limits": "bombs refused",
    "test_xlsx_limits": "bombs refused",
    "test_seed_bombs": "bombs refused",
    "test_wired_bombs": "bombs refused",
    "test_storage_faults": "store faults",
    "test_api_security": "leaks and small holes",
}
OVERRIDES = [
    ("test_wired_imports", ("excel_dates", "wrong_json_types", "malformed_files", "broken_sheet", "api_refusals",
                            "skip_invalid_body"), "crashes (5xx / tracebacks)"),
    ("test_wired_imports", ("upload_limit", "iter_table_limits"), "bombs refused"),
    ("test_xlsx_limits", ("broken", "malformed", "corrupt", "not_a"), "crashes (5xx / tracebacks)"),
    ("test_api_security", ("unreachable", "store_down", "read_only"), "store faults"),
]


def category_of(module: str, name: str) -> str:
    for mod, words, cat in OVERRIDES:
        if mod == module and any(w in name for w in words):
            return cat
    return MODULES.get(module, "other")


@dataclass
class Row:
    tried: int = 0
    handled: int = 0
    lost: int = 0
    skipped: int = 0
    tests: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # module -> test names
    lost_cases: list[str] = field(default_factory=list)


class Collector:
    """A pytest plugin: the outcome of every test case (setup errors count as lost)."""

    def __init__(self) -> None:
        self.outcomes: dict[str, str] = {}

    def pytest_runtest_logreport(self, report: Any) -> None:
        nodeid = report.nodeid
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            outcome = report.outcome
            if report.when == "setup" and outcome == "failed":
                outcome = "error"
            self.outcomes[nodeid] = outcome
        elif report.when == "teardown" and report.outcome == "failed":
            self.outcomes[nodeid] = "error"


def _split(nodeid: str) -> tuple[str, str]:
    path, _, rest = nodeid.partition("::")
    module = Path(path).stem
    name = rest.split("[", 1)[0]
    return module, name


def build_rows(outcomes: dict[str, str]) -> dict[str, Row]:
    rows: dict[str, Row] = {cat: Row() for cat, _ in CATEGORIES}
    for nodeid, outcome in sorted(outcomes.items()):
        module, name = _split(nodeid)
        row = rows.setdefault(category_of(module, name), Row())
        row.tried += 1
        if outcome == "passed":
            row.handled += 1
        elif outcome == "skipped":
            row.skipped += 1
        else:
            row.lost += 1
            row.lost_cases.append(nodeid)
        if name not in row.tests[module]:
            row.tests[module].append(name)
    return rows


def render(rows: dict[str, Row], *, neo4j: str, seconds: float, command: str) -> str:
    total = Row()
    for r in rows.values():
        total.tried += r.tried
        total.handled += r.handled
        total.lost += r.lost
        total.skipped += r.skipped
    lines = [
        "# Reliability table / 可靠性表",
        "",
        "Generated by `scripts/reliability_report.py` -- do not edit by hand; re-run it. It runs every test under",
        "`tests/reliability/` (issue 17) and counts the test cases per category: **tried** (collected), **handled**",
        "(passed: the hostile or careless input was refused, neutralised or kept intact), **lost** (failed or errored:",
        "what the category's column *lost means* says happened) and **skipped** (Neo4j cases when no Neo4j was given).",
        "",
        f"- generated: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}, Python {platform.python_version()}, "
        f"{seconds:.0f} s",
        f"- stores: SQLite; Neo4j: {neo4j}",
        f"- command: `{command}`",
        "",
        "| category | tried | handled | lost | skipped | lost means | tests |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    meaning = dict(CATEGORIES)
    for cat, row in rows.items():
        tests = "; ".join(f"`{m}`: " + ", ".join(f"`{n}`" for n in names) for m, names in sorted(row.tests.items()))
        lines.append(
            f"| {cat} | {row.tried} | {row.handled} | **{row.lost}** | {row.skipped} | {meaning.get(cat, '')} | {tests} |"
        )
    lines.append(f"| **total** | {total.tried} | {total.handled} | **{total.lost}** | {total.skipped} | | |")
    lost = [(cat, n) for cat, row in rows.items() for n in row.lost_cases]
    lines += ["", "## Lost cases", ""]
    lines += [f"- {cat}: `{n}`" for cat, n in lost] or ["None."]
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=str(ROOT / "docs" / "reliability.md"))
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    uri = os.environ.get("NEO4J_URI")
    neo4j = (f"included ({uri}, CHAINMAP_REQUIRE_NEO4J={os.environ.get('CHAINMAP_REQUIRE_NEO4J', '0')})" if uri
             else "not included (NEO4J_URI unset: the Neo4j cases are skipped)")
    collector = Collector()
    start = time.monotonic()
    os.chdir(ROOT)
    code = pytest.main(["-q", "-p", "no:cacheprovider", "tests/reliability", *args.pytest_args], plugins=[collector])
    seconds = time.monotonic() - start
    if code not in (0, 1):  # 2 interrupted, 3 internal error, 4 usage, 5 nothing collected
        print(f"pytest exited with {code}; the table was not written", file=sys.stderr)
        return 2
    rows = build_rows(collector.outcomes)
    command = " ".join(["python scripts/reliability_report.py", *args.pytest_args])
    if uri:
        command = f"NEO4J_URI={uri} CHAINMAP_REQUIRE_NEO4J={os.environ.get('CHAINMAP_REQUIRE_NEO4J', '0')} " + command
    Path(args.output).write_text(render(rows, neo4j=neo4j, seconds=seconds, command=command), encoding="utf-8")
    lost = sum(r.lost for r in rows.values())
    print(f"wrote {args.output}: {sum(r.tried for r in rows.values())} cases, {lost} lost")
    return 0 if lost == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
