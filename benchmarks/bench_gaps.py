"""Benchmark of the gap analysis (chainmap.analysis.gaps.analyze_gaps).

(a) the full 合汽生材 report of the shipped seed for 运城市 and each of its
    county-level units (target: under 1 s in total);
(b) synthetic chain maps of 100, 1,000 and 10,000 segments with ten times as
    many enterprises (target for 10,000 / 100,000: under 10 s), for the
    scaling curve.

Run ``python benchmarks/bench_gaps.py`` (``--quick`` skips the 10,000-segment
map).  :func:`run` returns the rows it prints.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from pathlib import Path
from typing import Any

# run from anywhere: the repository root first, so its graph_seed package is the one loaded
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chainmap.analysis.criticality import criticality
from chainmap.analysis.gaps import analyze_gaps
from chainmap.data import ChainData
from chainmap.models import (
    Chain,
    Enterprise,
    Link,
    LinkKind,
    Region,
    RegionKind,
    Role,
    Segment,
    SegmentPresence,
    Stage,
    Tag,
)
from chainmap.seed import load_seed

COUNTIES = [
    "yanhu", "yongji", "hejin", "linyi", "wanrong", "jishan", "xinjiang",
    "jiangxian", "yuanqu", "wenxi", "xiaxian", "pinglu", "ruicheng",
]  # fmt: skip
TOP_CHAINS = [
    ("he", "合", "合成生物"),
    ("qi", "汽", "汽车"),
    ("sheng", "生", "生物医药"),
    ("cai", "材", "材料"),
]
STAGES = (Stage.upstream, Stage.midstream, Stage.downstream)


def synthetic(n_segments: int, n_enterprises: int, seed: int = 0) -> ChainData:
    """A random chain map: four top chains, supply links from earlier segments of the
    same chain (1 % across chains, one way), enterprises producing in one to three nearby
    segments (clustered upstream), 10 % users, 5 % not local."""
    rng = random.Random(seed)
    chains = [Chain(id=c, letter=letter, name_zh=name, name_en=c) for c, letter, name in TOP_CHAINS]
    regions = [Region(id="yuncheng", kind=RegionKind.city, name_zh="运城市", name_en="Yuncheng")]
    regions += [
        Region(id=c, kind=RegionKind.county, name_zh=c, name_en=c, parent="yuncheng") for c in COUNTIES
    ]
    per = n_segments // len(TOP_CHAINS)
    segments: list[Segment] = []
    by_chain: dict[str, list[str]] = {}
    for c, _, _ in TOP_CHAINS:
        ids = [f"{c}.s{i:05d}" for i in range(per)]
        by_chain[c] = ids
        for i, sid in enumerate(ids):
            segments.append(
                Segment.model_construct(
                    id=sid, chain=c, name_zh=f"环节{i}", name_en=sid, stage=STAGES[min(2, 3 * i // per)],
                    order=i, value_added=rng.randint(1, 5), tech_intensity=rng.randint(1, 5),
                    chokepoint=rng.random() < 0.05,
                    reference_share=rng.uniform(0.001, 0.02) if rng.random() < 0.3 else None,
                )
            )  # fmt: skip
    links: list[Link] = []
    seen: set[tuple[str, str]] = set()
    for ids in by_chain.values():
        for i in range(1, len(ids)):
            for _ in range(rng.randint(1, 3)):
                j = rng.randrange(max(0, i - 50), i)
                key = (ids[j], ids[i])
                if key not in seen:
                    seen.add(key)
                    w = None if rng.random() < 0.6 else round(rng.uniform(0.05, 1.0), 2)
                    links.append(
                        Link.model_construct(
                            source=ids[j], target=ids[i], kind=LinkKind.supplies, weight=w, note=""
                        )
                    )
    # cross-chain inputs flow one way (from a chain earlier in TOP_CHAINS), so no cross-chain cycles
    for ci, (c, _, _) in enumerate(TOP_CHAINS[1:], start=1):
        ids = by_chain[c]
        earlier = [x for (e, _, _) in TOP_CHAINS[:ci] for x in by_chain[e]]
        for _ in range(max(1, len(ids) // 100)):
            u, v = rng.choice(earlier), rng.choice(ids)
            if (u, v) not in seen:
                seen.add((u, v))
                links.append(
                    Link.model_construct(source=u, target=v, kind=LinkKind.supplies, weight=None, note="")
                )
    enterprises: list[Enterprise] = []
    for k in range(n_enterprises):
        c = rng.choice(TOP_CHAINS)[0]
        ids = by_chain[c]
        i = int(0.6 * len(ids) * rng.random())  # firms only in the first 60 %: the rest are gaps
        segs = sorted(
            {ids[min(len(ids) - 1, i + rng.randint(0, 5))] for _ in range(rng.randint(1, 3))} | {ids[i]}
        )
        pres = [
            SegmentPresence.model_construct(
                segment=s, role=Role.user if rng.random() < 0.1 else Role.producer,
                capacity=None, capacity_unit=None, output=round(rng.uniform(0.1, 50), 1) if rng.random() < 0.2 else None,
            )
            for s in segs
        ]  # fmt: skip
        local = rng.random() >= 0.05
        enterprises.append(
            Enterprise.model_construct(
                id=f"e{k:06d}", name=f"企业{k}", county=rng.choice(COUNTIES) if local else None, zone=None,
                segments=pres, tags=[Tag.chain_leader] if rng.random() < 0.01 else [], credit_code=None,
            )
        )  # fmt: skip
    return ChainData(chains, regions, segments, links, enterprises)


def _timed(fn: Any) -> tuple[float, Any]:
    """Seconds and result of ``fn()``.  The objects alive before the call (the loaded data,
    as in a long-running service) are moved out of the cyclic garbage collector's
    generations with ``gc.freeze()``, so full collections do not rescan 10^5 models."""
    gc.collect()
    gc.freeze()
    try:
        t0 = time.perf_counter()
        out = fn()
        return time.perf_counter() - t0, out
    finally:
        gc.unfreeze()


def bench_seed() -> list[dict[str, Any]]:
    """(a) the shipped seed: the city and every county, all chains."""
    t_load, data = _timed(load_seed)
    t_graph, G = _timed(lambda: data.graph)
    regions = [r.id for r in data.regions if r.kind in (RegionKind.city, RegionKind.county)]

    def all_regions() -> int:
        crit = criticality(G)
        n = 0
        for r in regions:
            n += len(analyze_gaps(data, region=r, criticality_scores=crit).items)
        return n

    def all_regions_recomputing() -> int:
        return sum(len(analyze_gaps(data, region=r).items) for r in regions)

    t_all, n_items = _timed(all_regions)
    t_naive, _ = _timed(all_regions_recomputing)
    base = {"segments": len(data.segments), "enterprises": len(data.enterprises), "regions": len(regions)}
    return [
        {"case": "seed: load + graph", **base, "seconds": round(t_load + t_graph, 3), "target": None},
        {
            "case": "seed: city + 13 counties",
            **base,
            "items": n_items,
            "seconds": round(t_all, 3),
            "target": 1.0,
        },
        {"case": "seed: same, criticality per call", **base, "seconds": round(t_naive, 3), "target": 1.0},
    ]


def bench_synthetic(n: int) -> dict[str, Any]:
    """(b) one synthetic map of ``n`` segments and ``10 n`` enterprises, city, all chains."""
    t_gen, data = _timed(lambda: synthetic(n, 10 * n))
    t_graph, _ = _timed(lambda: data.graph)
    t, rep = _timed(lambda: analyze_gaps(data, region="yuncheng"))
    counts = {s: sum(v[s] for v in rep.summary.values()) for s in ("fill", "strengthen", "extend", "sound")}
    return {
        "case": f"synthetic {n}",
        "segments": len(data.segments),
        "enterprises": len(data.enterprises),
        "links": len(data.links),
        "graph_seconds": round(t_graph, 3),
        "seconds": round(t, 3),
        "target": 10.0 if n >= 10_000 else None,
        **counts,
    }


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Run the benchmark; ``quick`` skips the 10,000-segment map."""
    rows = bench_seed()
    for n in (100, 1_000) if quick else (100, 1_000, 10_000):
        rows.append(bench_synthetic(n))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the 10,000-segment map")
    args = ap.parse_args(argv)
    for row in run(args.quick):
        target = f" (target < {row['target']} s)" if row.get("target") else ""
        extra = ", ".join(f"{k}={v}" for k, v in row.items() if k not in ("case", "seconds", "target"))
        print(f"{row['case']:<36} {row['seconds']:>8.3f} s{target}   {extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
