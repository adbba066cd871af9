"""How each benchmark is called in the child process: the relatedness comparison with a time cap
on the PyPI side, the storage benchmark with a row for every (backend, size), skipped ones included;
any other ``benchmarks.bench_<name>.run(quick)`` as it is."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from typing import Any

from benchmarks._fmt import fmt_n
from benchmarks._paths import ROOT
from benchmarks._results import LOAD_FAILED
from benchmarks._timing import median_time

__all__ = ["PYPI_CAP_S", "QUICK_NEO4J_BUDGET_S", "PYPI_QUICK_CAP_S", "run_benchmark", "needs_neo4j"]

PYPI_CAP_S = 600.0  # --full: the PyPI ecomplexity run on 2000x5000 is abandoned after this
QUICK_NEO4J_BUDGET_S = 60.0  # --quick: a Neo4j size predicted to take longer is skipped (with the reason)
PYPI_QUICK_CAP_S = 240.0  # --quick: its single run on 500x2000 (about a minute)


def _relatedness_sizes(sizes: list[tuple[int, int]], cap_s: float) -> list[dict[str, Any]]:
    """Every size as bench_relatedness times it, except the largest, whose PyPI side runs
    in a subprocess abandoned after ``cap_s`` seconds; then the agreement rows."""
    from benchmarks import bench_relatedness as br

    rows = []
    for k, (n_loc, n_act) in enumerate(sizes):
        last = k == len(sizes) - 1
        rows.append(_relatedness_capped(n_loc, n_act, cap_s=cap_s) if last else br.time_size(n_loc, n_act))
        print(f"  timed {rows[-1]['case']}", file=sys.stderr, flush=True)
    rows.extend(br.agreement())
    return rows


def _relatedness_full(cap_s: float = PYPI_CAP_S) -> list[dict[str, Any]]:
    """bench_relatedness.run(quick=False), but the PyPI side of the largest size runs in a
    subprocess that is abandoned after ``cap_s`` seconds (it needs well over ten minutes)."""
    from benchmarks import bench_relatedness as br

    return _relatedness_sizes(list(br.SIZES), cap_s)


def _relatedness_quick(cap_s: float = PYPI_QUICK_CAP_S) -> list[dict[str, Any]]:
    """bench_relatedness.run(quick=True) within the 5-minute budget of ``all --quick``: 100x500
    as the script does it (median of 3 alternating runs each), but on 500x2000 the PyPI package
    (about a minute per run on 2 cores) runs once, in a subprocess capped at ``cap_s``; ours is
    still the median of 3."""
    from benchmarks import bench_relatedness as br

    return _relatedness_sizes(list(br.QUICK_SIZES), cap_s)


_PYPI_CHILD = """
import sys, time
from benchmarks import bench_relatedness as br
X = br.make_matrix(int(sys.argv[1]), int(sys.argv[2]))
df = br._long(X)
fn = br._pypi()
t0 = time.perf_counter()
br._run_pypi(fn, df, br._COLS)
print(time.perf_counter() - t0)
"""


def _relatedness_capped(n_loc: int, n_act: int, cap_s: float) -> dict[str, Any]:
    import numpy as np

    from benchmarks import bench_relatedness as br
    from chainmap.analysis.relatedness import complexity

    X = br.make_matrix(n_loc, n_act)
    ours_s, samples = median_time(lambda: complexity(X), br.REPEATS)
    row: dict[str, Any] = {
        "kind": "timing", "bench": "relatedness", "case": f"{n_loc}x{n_act}",
        "nnz_share": float(np.count_nonzero(X) / X.size), "ours_s": ours_s, "ecomplexity_s": None,
        "ratio": None, "repeats": br.REPEATS, "samples": {"ours_s": samples},
    }  # fmt: skip
    if br._pypi() is None:
        row["ecomplexity_note"] = "ecomplexity not installed"
        return row
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    try:
        out = subprocess.run([sys.executable, "-c", _PYPI_CHILD, str(n_loc), str(n_act)], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=cap_s, check=False)  # fmt: skip
    except subprocess.TimeoutExpired:
        row.update(ecomplexity_capped_s=cap_s, ecomplexity_note=f"> {cap_s:.0f} s (abandoned)",
                   ratio_lower_bound=cap_s / ours_s, ecomplexity_repeats=0)  # fmt: skip
        return row
    if out.returncode != 0:
        row["ecomplexity_note"] = "error: " + " | ".join(out.stderr.strip().splitlines()[-2:])
        return row
    secs = float(out.stdout.strip().splitlines()[-1])
    row.update(ecomplexity_s=secs, ratio=secs / ours_s, ecomplexity_repeats=1)
    return row


def _storage(quick: bool, backends: tuple[str, ...], sizes: tuple[int, ...] | None) -> list[dict[str, Any]]:
    """bench_storage.run, with a row for every (backend, size): a Neo4j that could not be
    started (reason in CHAINMAP_BENCH_NEO4J_SKIP) or that went away gives 'skipped' rows."""
    from benchmarks import bench_storage as bs

    sizes = sizes or (bs.QUICK_SIZES if quick else bs.SIZES)
    skip = os.environ.get("CHAINMAP_BENCH_NEO4J_SKIP")
    rows: list[dict[str, Any]] = []
    for backend in backends:
        if backend == "neo4j" and skip:
            continue
        if not (quick and backend == "neo4j"):
            rows += bs.run(quick, backends=(backend,), sizes=sizes)
            continue
        # --quick: a size runs only if, linear from the previous one, it fits the time budget
        for n in sizes:
            done = [r for r in rows if r.get("backend") == "neo4j" and "seconds" in r]
            if done:
                predicted = done[-1]["seconds"] * n / done[-1]["n"]
                if predicted > QUICK_NEO4J_BUDGET_S:
                    rows.append(
                        {
                            "benchmark": "storage.bulk_upsert",
                            "backend": "neo4j",
                            "n": n,
                            "skipped": (
                                f"quick-mode time budget: {fmt_n(done[-1]['n'])} took {done[-1]['seconds']:.1f} s, so "
                                f"{fmt_n(n)} would take ~{predicted:.0f} s (> {QUICK_NEO4J_BUDGET_S:.0f} s); see the --full run"
                            ),
                        }
                    )
                    continue
            new = bs.run(quick, backends=("neo4j",), sizes=(n,))
            rows += new
            if any("skipped" in r for r in new):
                break
    for backend in backends:
        have = {r["n"] for r in rows if r.get("backend") == backend}
        reasons = [r["skipped"] for r in rows if r.get("backend") == backend and "skipped" in r]
        reason = skip if backend == "neo4j" and skip else (reasons[0] if reasons else "not run")
        for n in sizes:
            if n not in have:
                rows.append(
                    {"benchmark": "storage.bulk_upsert", "backend": backend, "n": n, "skipped": reason}
                )
    for r in rows:  # a server that ran out of memory did not "skip": the load failed
        if LOAD_FAILED.search(str(r.get("skipped", ""))):
            r["error"] = "load failed: " + r.pop("skipped")
    order = {b: i for i, b in enumerate(backends)}
    rows.sort(key=lambda r: (order.get(r.get("backend"), 99), r.get("n", 0)))
    return rows


def run_benchmark(name: str, quick: bool, *, module: str | None = None, backends: tuple[str, ...] | None = None,
                  sizes: tuple[int, ...] | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """The rows of one run of benchmark ``name`` (``module`` overrides ``benchmarks.bench_<name>``)."""
    if module:
        return list(importlib.import_module(module).run(quick))
    base = name.split(":")[0]
    if base == "storage":
        backends = backends or ((name.split(":")[1],) if ":" in name else ("sqlite", "neo4j"))
        return _storage(quick, backends, sizes)
    if base == "relatedness":
        return _relatedness_quick() if quick else _relatedness_full()
    if name == "leads:pages":  # only the warm-server pages (20,000 stored candidates)
        from benchmarks import bench_leads

        return bench_leads.run(quick, pages_only=True)
    mod = importlib.import_module(f"benchmarks.bench_{base}")
    return list(mod.run(quick))


def needs_neo4j(name: str, backends: tuple[str, ...] | None) -> bool:
    if name == "storage":
        return backends is None or "neo4j" in backends
    return name == "storage:neo4j"
