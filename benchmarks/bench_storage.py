"""Bulk-load benchmark of the storage backends.

Loads N synthetic enterprises, each operating in 1-3 of ~200 segments (4
chains x 50 segments) and located in one of 13 counties, with one
``bulk_upsert`` call, and prints seconds, rows/s, the peak RSS of this Python
process and the time of a search by segment (the first one after the load, which
includes query planning, and the median of three more).  SQLite writes the call in
one transaction; Neo4j in transactions of ``CHAINMAP_NEO4J_TX_ROWS`` enterprises
(default 100,000) with an undo journal.  For Neo4j the server is a separate JVM
whose memory is not included.

Usage::

    python benchmarks/bench_storage.py --quick                 # 10k and 100k
    python benchmarks/bench_storage.py --backend sqlite        # 10k, 100k, 1M
    NEO4J_URI=bolt://127.0.0.1:7689 python benchmarks/bench_storage.py --backend neo4j --sizes 100000

``run(quick)`` returns the rows for ``python -m benchmarks all``.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TypedDict

from chainmap.exceptions import StorageUnavailable
from chainmap.models import (
    Chain,
    Confidence,
    Enterprise,
    Region,
    RegionKind,
    Role,
    Segment,
    SegmentPresence,
    Stage,
    Tag,
    credit_code_check_char,
)
from chainmap.storage.base import Store

SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (10_000, 100_000)
CHAINS = ("he", "qi", "sheng", "cai")
LETTERS = ("合", "汽", "生", "材")
SEGMENTS_PER_CHAIN = 50
COUNTIES = 13


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Skeleton(TypedDict):
    chains: list[Chain]
    regions: list[Region]
    segments: list[Segment]


def skeleton() -> Skeleton:
    """Chains, regions and segments the enterprises refer to."""
    chains = [Chain(id=c, name_zh=c, name_en=c, letter=letter) for c, letter in zip(CHAINS, LETTERS, strict=True)]
    regions = [Region(id="yuncheng", kind=RegionKind.city, name_zh="运城市", name_en="Yuncheng")]
    regions += [
        Region(id=f"county{i:02d}", kind=RegionKind.county, name_zh=f"县{i}", name_en=f"County {i}",
               parent="yuncheng")
        for i in range(COUNTIES)
    ]
    stages = (Stage.upstream, Stage.midstream, Stage.downstream)
    segments = [
        Segment(id=f"{c}.s{j:02d}", chain=c, name_zh=f"{c}环节{j}", name_en=f"{c} segment {j}", stage=stages[j % 3])
        for c in CHAINS
        for j in range(SEGMENTS_PER_CHAIN)
    ]
    return {"chains": chains, "regions": regions, "segments": segments}


def enterprises(n: int, segment_ids: list[str], seed: int = 7) -> list[Enterprise]:
    """``n`` valid enterprises (built with ``model_construct``: the values are valid by construction)."""
    rng = random.Random(seed)
    tags = list(Tag)
    out = []
    for i in range(n):
        first = f"91140800MA{i:07d}"
        presences = [
            SegmentPresence.model_construct(segment=s, role=Role.producer, capacity=None, capacity_unit=None, output=None)
            for s in rng.sample(segment_ids, rng.randint(1, 3))
        ]
        out.append(
            Enterprise.model_construct(
                id=f"e{i:07d}", name=f"运城企业{i} Enterprise {i}", name_en=None,
                credit_code=first + credit_code_check_char(first), county=f"county{i % COUNTIES:02d}", zone=None,
                segments=presences, tags=[tags[i % len(tags)]] if i % 10 == 0 else [],
                revenue=round(rng.random() * 100, 2), employees=rng.randint(5, 5000), founded=None, source="bench",
                confidence=Confidence.high, note="", attributes={},
            )
        )
    return out


def open_backend(backend: str, workdir: Path) -> Store:
    if backend == "sqlite":
        from chainmap.storage.sqlite import SQLiteStore

        return SQLiteStore(workdir / f"bench-{time.monotonic_ns()}.db")
    from chainmap.storage.factory import StoreSettings
    from chainmap.storage.neo4j import Neo4jStore

    cfg = StoreSettings.from_env(backend="neo4j")  # NEO4J_* and CHAINMAP_NEO4J_TX_ROWS, as open_store reads them
    store = Neo4jStore(cfg.neo4j_uri, user=cfg.neo4j_user, password=cfg.neo4j_password, database=cfg.neo4j_database,
                       timeout=10.0, tx_rows=cfg.neo4j_tx_rows)
    store.clear()
    return store


def bench_one(backend: str, n: int, workdir: Path) -> dict[str, Any]:
    """Load ``n`` enterprises into a fresh store of ``backend``; one result row."""
    base = skeleton()
    t0 = time.perf_counter()
    rows = enterprises(n, [s.id for s in base["segments"]])
    generate_s = time.perf_counter() - t0
    store = open_backend(backend, workdir)
    try:
        store.bulk_upsert(**base)
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        counts = store.bulk_upsert(enterprises=rows, batch_size=5000 if backend == "sqlite" else 10000)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        t1 = time.perf_counter()
        _, total = store.search_enterprises(segment="cai.s07", limit=20)
        search_ms = (time.perf_counter() - t1) * 1000  # first: includes query planning after the load
        warm = []
        for seg in ("he.s01", "qi.s33", "sheng.s20"):
            t1 = time.perf_counter()
            store.search_enterprises(segment=seg, limit=20)
            warm.append((time.perf_counter() - t1) * 1000)
        assert counts["enterprises"] == n
        presences = sum(len(e.segments) for e in rows)
        if backend == "neo4j":
            store.clear()
    finally:
        store.close()
    return {
        "benchmark": "storage.bulk_upsert",
        "backend": backend,
        "n": n,
        "presences": presences,
        "seconds": round(seconds, 2),
        "rows_per_s": round(n / seconds),
        "cpu_s": round(cpu, 2),
        "load_avg_1m": round(os.getloadavg()[0], 1),
        "peak_rss_mb": round(peak_rss_mb()),
        "generate_s": round(generate_s, 2),
        "search_segment_ms": round(search_ms, 1),
        "search_segment_warm_ms": round(sorted(warm)[1], 1),
        "search_total": total,
        "note": "RSS of the Python process; the Neo4j server is a separate JVM" if backend == "neo4j" else "",
    }


def run(quick: bool = False, *, backends: tuple[str, ...] = ("sqlite", "neo4j"),
        sizes: tuple[int, ...] | None = None) -> list[dict[str, Any]]:
    """Benchmark rows for every backend and size (a Neo4j that is down gives a 'skipped' row)."""
    sizes = sizes or (QUICK_SIZES if quick else SIZES)
    results = []
    with tempfile.TemporaryDirectory(prefix="chainmap-bench-") as tmp:
        for backend in backends:
            for n in sizes:
                try:
                    row = bench_one(backend, n, Path(tmp))
                except StorageUnavailable as err:
                    row = {"benchmark": "storage.bulk_upsert", "backend": backend, "n": n, "skipped": str(err)}
                results.append(row)
                print_row(row)
                if "skipped" in row:
                    break
    return results


def print_row(row: dict[str, Any]) -> None:
    if "skipped" in row:
        print(f"{row['backend']:>7} n={row['n']:>9,}  skipped: {row['skipped']}", flush=True)
        return
    print(
        f"{row['backend']:>7} n={row['n']:>9,}  {row['seconds']:>8.2f} s  {row['rows_per_s']:>9,} rows/s  "
        f"peak RSS {row['peak_rss_mb']:>6,} MiB  cpu {row['cpu_s']} s  load {row['load_avg_1m']}  (generate {row['generate_s']} s, "
        f"search by segment {row['search_segment_ms']} ms first, {row.get('search_segment_warm_ms')} ms warm, "
        f"total {row['search_total']:,}) {row['note']}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k only")
    parser.add_argument("--backend", choices=("sqlite", "neo4j", "both"), default="both")
    parser.add_argument("--sizes", type=lambda s: tuple(int(x) for x in s.split(",")), default=None,
                        help="comma-separated sizes (overrides --quick)")
    args = parser.parse_args(argv)
    backends = ("sqlite", "neo4j") if args.backend == "both" else (args.backend,)
    run(args.quick, backends=backends, sizes=args.sizes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
