"""Benchmark of the census import (chainmap.census.import_census): a synthetic 规上名录 of
50,000 rows (target: under 30 s on 2 cores) read, normalised, placed (store names + cpca-new),
assigned to segments (the default assigner), merged and written to a fresh SQLite store holding
the shipped seed; then the same file again (the idempotent re-import: nothing written).

The file comes from ``tests/fixtures/census/make_census_fixtures.py`` (``register_csv``: UTF-8
with BOM, the fixture's headers, 注销 / duplicate / outside rows included); seeding the store
and generating the file are not timed.  Each row gives the wall time (the target), the CPU time of
the process (the import is single-threaded: on an idle machine wall = CPU + SQLite I/O) and the
1-minute load average when it started, so a miss on a shared machine can be told from a slow import.

Run ``python benchmarks/bench_census.py`` (``--quick``: 10,000 rows).  :func:`run` returns the
rows it prints.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chainmap.census import import_census  # noqa: E402
from chainmap.seed import load_into_store, load_seed  # noqa: E402
from chainmap.storage.sqlite import SQLiteStore  # noqa: E402

TARGET_S = 30.0
FULL_ROWS = 50_000
QUICK_ROWS = 10_000


def _generator() -> Any:
    path = ROOT / "tests" / "fixtures" / "census" / "make_census_fixtures.py"
    spec = importlib.util.spec_from_file_location("make_census_fixtures", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def time_rows(n: int) -> list[dict[str, Any]]:
    raw = _generator().register_csv(n)
    seed = load_seed()
    with tempfile.TemporaryDirectory(prefix="chainmap-bench-census-") as tmp:
        store = SQLiteStore(Path(tmp) / "census.db")
        try:
            load_into_store(store, seed)
            load = os.getloadavg()[0]
            t0, c0 = time.perf_counter(), time.process_time()
            first = import_census(store, raw, filename="bench.csv")
            first_s, first_cpu = time.perf_counter() - t0, time.process_time() - c0
            t0, c0 = time.perf_counter(), time.process_time()
            again = import_census(store, raw, filename="bench.csv")
            again_s, again_cpu = time.perf_counter() - t0, time.process_time() - c0
        finally:
            store.close()
    c1, c2 = first.counts(), again.counts()
    base = {"kind": "timing", "bench": "census", "n": c1["rows"], "mb": round(len(raw) / 1e6, 1),
            "target_s": TARGET_S, "load_avg_1m": round(load, 1)}  # fmt: skip
    return [
        {**base, "case": f"import {n:,}-row register (sqlite)", "seconds": round(first_s, 2), "cpu_s": round(first_cpu, 2),
         "new": c1["new"], "skipped": c1["skipped"], "merged": c1["duplicates_merged"],
         "pending": c1["pending"], "unassigned": c1["unassigned"], "pass": first_s < TARGET_S},
        {**base, "case": f"re-import {n:,}-row register (unchanged)", "seconds": round(again_s, 2), "cpu_s": round(again_cpu, 2),
         "unchanged": c2["unchanged"], "new": c2["new"], "updated": c2["updated"], "pass": again_s < TARGET_S},
    ]  # fmt: skip


def run(quick: bool = False) -> list[dict[str, Any]]:
    rows = time_rows(QUICK_ROWS if quick else FULL_ROWS)
    for r in rows:
        verdict = "pass" if r["pass"] else "MISS"
        print(f"{r['case']}: {r['seconds']:.2f} s wall, {r['cpu_s']:.2f} s CPU (target < {TARGET_S:.0f} s, {verdict}; "
              f"load average {r['load_avg_1m']} on {os.cpu_count()} cores); "
              + ", ".join(f"{k} {r[k]:,}" for k in ("n", "new", "unchanged", "updated", "skipped", "merged", "pending", "unassigned") if k in r))  # fmt: skip
    return rows


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS:,} rows instead of {FULL_ROWS:,}")
    run(quick=p.parse_args().quick)
