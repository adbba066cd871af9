"""Timing helpers: the median of repeated calls, and the median of repeated runs of a benchmark."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from typing import Any

__all__ = ["median_time", "row_identity", "median_rows"]


def median_time(fn: Callable[[], Any], repeats: int = 3) -> tuple[float, list[float]]:
    """Median wall time of ``repeats`` calls of ``fn`` and the samples."""
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples), samples


def row_identity(r: dict[str, Any]) -> tuple[Any, ...]:
    """What a row measures (case / bench / backend / size / quantity), to line up runs."""
    return (r.get("case"), r.get("bench"), r.get("backend"), r.get("n"), r.get("quantity"))


_TIME_KEY = re.compile(r"(^seconds$|_s$|_ms$|^rps$)")


def median_rows(runs: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Combine repeated runs of one benchmark: the median of every timing field (``seconds``,
    ``*_s``, ``*_ms``, ``rps``), the maximum of ``*rss*``, the rest from the first run; the
    samples of each varying timing field are kept in ``samples``.  Runs whose rows do not line
    up (different count or ``case``) are not combined: the last run is returned."""
    if len(runs) == 1:
        return runs[0]
    first = runs[0]
    ident = row_identity
    if any(len(r) != len(first) or [ident(x) for x in r] != [ident(x) for x in first] for r in runs):
        return [dict(r, repeats=1, note_repeats="runs did not line up; last run kept") for r in runs[-1]]
    out = []
    for i, row in enumerate(first):
        merged = dict(row)
        samples: dict[str, list[Any]] = {}
        for key in row:
            values = [run[i].get(key) for run in runs]
            if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
                continue
            if "rss" in key:
                merged[key] = max(values)
            elif _TIME_KEY.search(key):
                merged[key] = statistics.median(values)
                if len(set(values)) > 1:
                    samples[key] = values
        if "ratio" in merged and merged.get("ours_s") and merged.get("ecomplexity_s"):
            merged["ratio"] = merged["ecomplexity_s"] / merged["ours_s"]
        merged["repeats"] = len(runs) * int(row.get("repeats", 1) or 1)
        if samples:
            merged["samples"] = samples
        out.append(merged)
    return out
