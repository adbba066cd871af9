"""Benchmark driver: ``python -m benchmarks {all|report|<name>} [--quick|--full]``.

* ``all`` runs every benchmark (relatedness, gaps, leads, storage, api, startup), each in its own
  subprocess (so a crash, a time-out or the memory of one cannot spoil the next), and writes
  ``benchmarks/results/<mode>.json`` (machine, timestamps, rows of every benchmark, errors) and
  ``benchmarks/results/<mode>.md``; then it redraws ``results/scaling.png`` and the generated part
  of ``BENCHMARKS.md`` from ``full.json`` + ``quick.json``.
* ``<name>`` runs one benchmark and merges its entry into ``results/<mode>.json`` (so the large
  sizes can be run one at a time: ``python -m benchmarks leads --full``).  ``storage:sqlite`` and
  ``storage:neo4j`` run one backend; ``leads:pages`` only the warm-server leads pages (20,000
  stored candidates, target < 10 ms for a second page or another k).
* ``report`` only re-renders ``results/<mode>.md``, the plot and BENCHMARKS.md from the JSON files.

A benchmark that raises, exits non-zero, times out or returns rows with an ``error`` is recorded
with the error; the driver goes on and exits 1 at the end.  The storage benchmark needs Neo4j:
if nothing answers at NEO4J_URI (default bolt://127.0.0.1:7687) a private server is started on a
free port (``infra/neo4j/neo4j.sh``, its default 2 GiB heap) and stopped afterwards; without Java
or the jars its Neo4j rows are recorded as skipped, with the reason.

``--bench NAME=MODULE`` replaces the benchmarks by modules exposing ``run(quick)`` (used by the
tests); ``--results-dir`` and ``--report-file`` redirect the outputs.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import deque
from pathlib import Path
from typing import Any

from benchmarks import BENCHMARKS
from benchmarks._machine import machine_info, now, peak_rss_mb
from benchmarks._markdown import render_mode_markdown
from benchmarks._neo4j import DEFAULT_NEO4J_URI, NEO4J_HEAP, PrivateNeo4j, neo4j_problem
from benchmarks._paths import REPORT, RESULTS, ROOT
from benchmarks._report import write_report
from benchmarks._results import dump, load, locked
from benchmarks._runner import needs_neo4j, run_benchmark
from benchmarks._timing import median_rows, row_identity

# how many times a benchmark is run as a whole (timings: medians).  relatedness takes medians
# of alternating runs itself; leads/storage/api run sizes that take tens of seconds once; gaps
# is repeated in --full only (3 x ~9 s would take a tenth of the --quick budget).
REPEATS = {"quick": {}, "full": {"gaps": 3}}  # --quick must stay under 5 minutes on 2 cores
TIMEOUT = {"quick": 600.0, "full": 3 * 3600.0}  # per benchmark, seconds


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument(
        "name", help=f"all, report, or one of: {', '.join(BENCHMARKS)}, storage:sqlite, storage:neo4j, leads:pages"
    )
    g = p.add_mutually_exclusive_group()
    g.add_argument("--quick", dest="mode", action="store_const", const="quick", help="small sizes (default)")
    g.add_argument("--full", dest="mode", action="store_const", const="full", help="the large sizes too")
    p.add_argument("--repeat", type=int, default=None, help="run each benchmark N times (medians)")
    p.add_argument("--timeout", type=float, default=None, help="seconds per benchmark before it is killed")
    p.add_argument("--sizes", type=lambda s: tuple(int(x) for x in s.split(",")), default=None,
                   help="storage only: comma-separated sizes")  # fmt: skip
    p.add_argument(
        "--bench",
        action="append",
        default=[],
        metavar="NAME=MODULE",
        help="use MODULE.run(quick) as benchmark NAME (repeatable; replaces the built-in list)",
    )
    p.add_argument("--results-dir", type=Path, default=RESULTS)
    p.add_argument(
        "--report-file",
        type=Path,
        default=None,
        help="the Markdown report to update (default BENCHMARKS.md when --results-dir is the default)",
    )
    p.add_argument("--no-report", action="store_true", help="do not redraw the plot / BENCHMARKS.md")
    p.add_argument("--child-out", type=Path, default=None, help=argparse.SUPPRESS)
    p.add_argument("--module", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.mode = args.mode or "quick"
    return args


# ---------------------------------------------------------------------------------------------
# child: run one benchmark in this process and write its rows
# ---------------------------------------------------------------------------------------------
def child(args: argparse.Namespace) -> int:
    quick = args.mode == "quick"
    backends = None
    result: dict[str, Any] = {}
    try:
        runs = []
        for i in range(args.repeat or 1):
            if (args.repeat or 1) > 1:
                print(f"  run {i + 1}/{args.repeat}", file=sys.stderr, flush=True)
            runs.append(
                run_benchmark(args.name, quick, module=args.module, backends=backends, sizes=args.sizes)
            )
        result["rows"] = median_rows(runs)
        result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    except BaseException as err:  # noqa: BLE001 - recorded, the driver goes on
        result["error"] = f"{type(err).__name__}: {err}"
        result["traceback"] = traceback.format_exc().splitlines()[-25:]
        result.setdefault("rows", [])
    args.child_out.write_text(json.dumps(result, ensure_ascii=False, default=str), encoding="utf-8")
    return 1 if "error" in result else 0


# ---------------------------------------------------------------------------------------------
# parent
# ---------------------------------------------------------------------------------------------
def _pump(stream: Any, name: str, tail: deque[str]) -> None:
    for line in stream:
        line = line.rstrip("\n")
        tail.append(line)
        print(f"  [{name}] {line}", file=sys.stderr, flush=True)


def run_one(name: str, args: argparse.Namespace, module: str | None) -> dict[str, Any]:
    """Run benchmark ``name`` in a subprocess (with a Neo4j if it needs one); its result entry."""
    mode = args.mode
    entry: dict[str, Any] = {
        "status": "ok",
        "started": now(),
        "load_avg_start": [round(x, 2) for x in os.getloadavg()],
    }
    repeat = args.repeat or REPEATS[mode].get(name, 1)
    entry["repeats"] = repeat
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(ROOT), env.get("PYTHONPATH", "")] if p)
    neo = None
    if module is None and needs_neo4j(name, None):
        uri = os.environ.get("NEO4J_URI") or DEFAULT_NEO4J_URI
        problem = neo4j_problem(uri)
        if problem is None:
            entry["neo4j"] = f"existing server at {uri}"
        else:
            print(f"  [{name}] {problem}: starting a private Neo4j", file=sys.stderr, flush=True)
            neo = PrivateNeo4j()
            try:
                uri = neo.start()
                entry["neo4j"] = (
                    f"private server at {uri} (heap {os.environ.get('NEO4J_HEAP', NEO4J_HEAP)}), stopped after the run"
                )
            except RuntimeError as err:
                neo = None
                env["CHAINMAP_BENCH_NEO4J_SKIP"] = f"{problem}; a private server could not be started: {err}"
                entry["neo4j"] = "unavailable: " + env["CHAINMAP_BENCH_NEO4J_SKIP"]
        env["NEO4J_URI"] = uri
    t0 = time.perf_counter()
    tail: deque[str] = deque(maxlen=40)
    with tempfile.TemporaryDirectory(prefix="chainmap-bench-driver-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [
            sys.executable,
            "-m",
            "benchmarks",
            name,
            f"--{mode}",
            "--child-out",
            str(out),
            "--repeat",
            str(repeat),
        ]
        if module:
            cmd += ["--module", module]
        if args.sizes:
            cmd += ["--sizes", ",".join(map(str, args.sizes))]
        timeout = args.timeout or TIMEOUT[mode]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, start_new_session=True)  # fmt: skip
        pump = threading.Thread(target=_pump, args=(proc.stdout, name, tail), daemon=True)
        pump.start()
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(proc.pid, sig)  # the child's own process group (its subprocesses too)
                    proc.wait(timeout=15)
                    break
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    continue
            rc = None
        pump.join(timeout=5)
        result = load(out) or {}
    if neo is not None:
        neo.stop()
    entry["wall_s"] = round(time.perf_counter() - t0, 1)
    entry["finished"] = now()
    entry["rows"] = result.get("rows", [])
    if "peak_rss_mb" in result:
        entry["driver_child_peak_rss_mb"] = result["peak_rss_mb"]
    if rc is None:
        entry["error"] = f"timed out after {timeout:.0f} s (killed)"
    elif result.get("error"):
        entry["error"] = result["error"]
        entry["traceback"] = result.get("traceback")
    elif rc != 0 or not result:
        entry["error"] = f"exited with status {rc} without a result"
    bad = [r for r in entry["rows"] if isinstance(r, dict) and r.get("error")]
    if bad and "error" not in entry:
        entry["error"] = f"{len(bad)} row(s) with an error: {bad[0]['error']}"
    if "error" in entry:
        entry["status"] = "error"
        entry["log_tail"] = list(tail)
    return entry


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.child_out:
        return child(args)
    results_dir: Path = args.results_dir
    report = args.report_file or (REPORT if results_dir.resolve() == RESULTS.resolve() else None)
    if args.name == "report":
        for mode in ("quick", "full"):  # re-render the per-run tables with the current code
            if doc := load(results_dir / f"{mode}.json"):
                (results_dir / f"{mode}.md").write_text(render_mode_markdown(doc), encoding="utf-8")
        write_report(results_dir, report)
        print(f"wrote {results_dir / 'scaling.png'}" + (f" and {report}" if report else ""))
        return 0
    modules = dict(b.split("=", 1) for b in args.bench)
    names = list(modules) if modules else list(BENCHMARKS)
    if args.name != "all":
        if args.name not in names and args.name.split(":")[0] not in names:
            print(f"unknown benchmark {args.name!r}; known: all, report, {', '.join(names)}", file=sys.stderr)
            return 2
        names = [args.name]
    command = "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:])
    doc: dict[str, Any] = {
        "mode": args.mode,
        "command": command,
        "started": now(),
        "machine": machine_info(),
    }
    t0 = time.perf_counter()
    entries: dict[str, dict[str, Any]] = {}
    for name in names:
        print(f"== {name} ({args.mode})", file=sys.stderr, flush=True)
        entry = run_one(name, args, modules.get(name.split(":")[0]))
        entries[name] = entry
        status = entry["status"] + (f": {entry['error']}" if entry.get("error") else "")
        print(f"== {name}: {status} ({entry['wall_s']} s)", file=sys.stderr, flush=True)
    doc["finished"] = now()
    doc["wall_s"] = round(time.perf_counter() - t0, 1)
    path = results_dir / f"{args.mode}.json"
    with locked(path):
        if args.name == "all":
            doc["benchmarks"] = entries
        else:  # merge into the existing results of this mode
            old = load(path) or {}
            for name, entry in entries.items():  # keep earlier rows this run did not redo (other sizes)
                prev = old.get("benchmarks", {}).get(name)
                if prev and args.sizes:
                    redone = {row_identity(r) for r in entry["rows"]}
                    kept = [r for r in prev.get("rows", []) if row_identity(r) not in redone]
                    entry["rows"] = sorted(
                        kept + entry["rows"], key=lambda r: (str(r.get("backend")), r.get("n", 0))
                    )
                    entry["rows_kept_from"] = prev.get("finished")
            doc = {
                **old,
                **{k: doc[k] for k in ("mode", "machine")},
                "benchmarks": {**old.get("benchmarks", {}), **entries},
            }
            doc.setdefault("started", entries[names[0]]["started"])
            doc["finished"] = now()
            cmds = [c for c in str(old.get("command", "")).split("; ") if c and c != command]
            doc["command"] = "; ".join([*cmds, command])
            doc["wall_s"] = round(sum(e.get("wall_s", 0) for e in doc["benchmarks"].values()), 1)
        dump(path, doc)
        (results_dir / f"{args.mode}.md").write_text(render_mode_markdown(doc), encoding="utf-8")
        if not args.no_report:
            try:
                write_report(results_dir, report)
            except Exception as err:  # noqa: BLE001 - the results are written; say what went wrong
                print(f"report not written: {type(err).__name__}: {err}", file=sys.stderr)
    failed = [n for n, e in entries.items() if e["status"] != "ok"]
    print(
        f"wrote {path} and {path.with_suffix('.md')}; wall {doc['wall_s'] if args.name == 'all' else round(time.perf_counter() - t0, 1)} s"
    )
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
