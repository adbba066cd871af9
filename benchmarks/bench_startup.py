"""Benchmark of the CLI start-up: wall time of `chainmap --help` and `chainmap chains`, each in a
fresh process (target: under 0.3 s), best of N runs.

Each command runs as ``python -m api.cli ...`` -- the console script's entry point without the
launcher in front of it -- on a throw-away SQLite store initialised beforehand (untimed).  The
bare interpreter (``python -c pass``) is timed the same way as the floor no command can go
below, and ``python -X importtime -c "import api.cli"`` gives the cumulative import time of the
root command.  On a loaded machine the best of N is the fairer number: every run is slowed by
whatever else holds the cores, none is sped up.

Bytecode: an installed package runs from compiled ``.pyc`` files (pip compiles them at install
time; a checkout writes ``__pycache__`` on first use), so the commands are timed with a warm
bytecode cache in the temporary directory (``PYTHONPYCACHEPREFIX``, filled by untimed runs),
whatever ``PYTHONDONTWRITEBYTECODE`` says.  ``chainmap chains`` is also timed without any
bytecode cache for the project's modules (``PYTHONDONTWRITEBYTECODE=1`` and no prefix: every
chainmap module compiled from source on every start, as in a read-only checkout), the row
``chainmap chains (no bytecode cache)``.

Kept summary: ``chainmap chains`` answers from the summary kept in the store
(:mod:`chainmap.derived`) when nothing changed since it was computed -- the rows ``chainmap
chains`` time that.  The row ``chainmap chains (after a change)`` bumps the store's graph
revision before each run (not timed), as any write to the chain map does, so that run reads,
validates and summarises the whole read model again (and keeps the result).

Instructions: on a shared machine wall times move with the load, so ``--instructions`` also
counts the instructions each case executes (``valgrind --tool=callgrind``, one run per case,
``PYTHONHASHSEED=0``; about two minutes): the same on a loaded machine as on an idle one, the
number to compare two versions by (columns ``instructions_m`` and
``above_floor_instructions_m``, millions).

Run ``python benchmarks/bench_startup.py`` (``--quick``: best of 5 instead of 15;
``--repeat N`` for any N; ``--instructions``).  :func:`run` returns the rows it prints.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 0.3
QUICK_REPEATS = 5
FULL_REPEATS = 15

#: case -> arguments after the interpreter
CASES: dict[str, list[str]] = {
    "python -c pass (floor)": ["-c", "pass"],
    "chainmap --help": ["-m", "api.cli", "--help"],
    "chainmap chains": ["-m", "api.cli", "chains"],
    "chainmap chains (no bytecode cache)": ["-m", "api.cli", "chains"],
    "chainmap chains (after a change)": ["-m", "api.cli", "chains"],
}
NO_PYC = "chainmap chains (no bytecode cache)"
#: Before each run of this case (not timed) the store's graph revision is bumped, as any write
#: to the chain map does, so the kept summary is retired and the command reads the whole read
#: model, validates it and computes the summary again (then keeps it).
CHANGED = "chainmap chains (after a change)"


def _retire_kept_summary(db: Path) -> None:
    """Bump the graph revision of the SQLite store ``db`` (what a graph write does to it)."""
    import sqlite3

    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key IN ('graph_revision', 'revision')")
    finally:
        conn.close()


def _env(db: Path, pycache: Path | None = None) -> dict[str, str]:
    """The commands' environment: a warm bytecode cache in ``pycache``, or none at all when None."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in [str(ROOT), os.environ.get("PYTHONPATH", "")] if p),
        "CHAINMAP_STORE": "sqlite",
        "CHAINMAP_SQLITE_PATH": str(db),
    }
    env.pop("PYTHONPYCACHEPREFIX", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if pycache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def _wall(args: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, timeout=120, check=False)
    seconds = time.perf_counter() - t0
    if out.returncode != 0:
        err = out.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise RuntimeError(f"{' '.join(args)} exited with {out.returncode}: {' | '.join(err)}")
    return seconds


def instructions_m(args: list[str], env: dict[str, str]) -> float:
    """Instructions executed by ``python ARGS`` (valgrind callgrind's ``I refs``), in millions."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise RuntimeError("--instructions needs valgrind (apt-get install valgrind)")
    cmd = [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, *args]
    out = subprocess.run(cmd, cwd=ROOT, env={**env, "PYTHONHASHSEED": "0"}, capture_output=True, text=True,
                         timeout=1200, check=False)  # fmt: skip
    m = re.search(r"I\s+refs:\s+([\d,]+)", out.stderr)
    if out.returncode != 0 or m is None:
        raise RuntimeError(f"valgrind {' '.join(args)} exited with {out.returncode}: {out.stderr.strip()[-300:]}")
    return int(m.group(1).replace(",", "")) / 1e6


def import_time_ms(env: dict[str, str]) -> float:
    """Cumulative import time of ``api.cli`` reported by ``python -X importtime``, in ms."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import api.cli"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    for line in out.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| api\.cli$", line)
        if m:
            return int(m.group(1)) / 1000
    raise RuntimeError("api.cli not found in the -X importtime output")


def run(quick: bool = False, repeats: int | None = None, instructions: bool = False) -> list[dict[str, Any]]:
    """Best-of-``repeats`` wall time of every case, in fresh processes, interleaved (so a burst of
    load on the machine hits every case alike); with ``instructions``, also the instructions of
    one run of each case (:func:`instructions_m`)."""
    n = repeats or (QUICK_REPEATS if quick else FULL_REPEATS)
    with tempfile.TemporaryDirectory(prefix="chainmap-bench-startup-") as tmp:
        db = Path(tmp) / "startup.db"
        env = _env(db, Path(tmp) / "pycache")
        no_pyc = _env(Path(tmp) / "startup.db", None)
        _wall(["-m", "api.cli", "init"], env)  # the store chains reads (not timed)
        for args in CASES.values():  # fill the bytecode cache (not timed)
            _wall(args, env)
        samples: dict[str, list[float]] = {case: [] for case in CASES}
        for _ in range(n):
            for case, args in CASES.items():
                if case == CHANGED:
                    _retire_kept_summary(db)
                samples[case].append(_wall(args, no_pyc if case == NO_PYC else env))
        imports_ms = min(import_time_ms(env) for _ in range(min(n, 5)))
        counts: dict[str, float] = {}
        for case, args in CASES.items() if instructions else ():
            if case == CHANGED:
                _retire_kept_summary(db)
            counts[case] = instructions_m(args, no_pyc if case == NO_PYC else env)
    floor = min(samples["python -c pass (floor)"])
    rows: list[dict[str, Any]] = []
    for case, values in samples.items():
        best = min(values)
        row: dict[str, Any] = {
            "bench": "startup",
            "case": case,
            "seconds": best,
            "median_seconds": sorted(values)[len(values) // 2],
            "best_of": n,
        }
        if case.startswith("chainmap"):
            row.update(target=TARGET_S, above_floor_seconds=best - floor)
        if case == "chainmap --help":
            row["import_api_cli_ms"] = imports_ms
        if counts:
            row["instructions_m"] = round(counts[case], 1)
            if case.startswith("chainmap"):
                row["above_floor_instructions_m"] = round(counts[case] - counts["python -c pass (floor)"], 1)
        row["bytecode_cache"] = case != NO_PYC
        rows.append(row)
    rows[0]["load_avg"] = [round(x, 2) for x in os.getloadavg()]
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help=f"best of {QUICK_REPEATS} instead of {FULL_REPEATS}")
    ap.add_argument("--repeat", type=int, default=None, help="best of N")
    ap.add_argument("--instructions", action="store_true", help="also count instructions (valgrind, ~2 min)")
    args = ap.parse_args(argv)
    try:
        rows = run(args.quick, args.repeat, instructions=args.instructions)
    except RuntimeError as err:
        print(f"bench_startup: {err}", file=sys.stderr)
        return 2
    for row in rows:
        target = f" (target < {row['target']} s)" if row.get("target") else ""
        extra = ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()
                          if k not in ("bench", "case", "seconds", "target"))  # fmt: skip
        print(f"{row['case']:<36} {row['seconds']:>7.3f} s{target}   {extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
