"""Where the benchmarks read and write: the repository, results/, BENCHMARKS.md, neo4j.sh."""

from __future__ import annotations

from pathlib import Path

__all__ = ["ROOT", "RESULTS", "REPORT", "NEO4J_SH"]

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
REPORT = ROOT / "BENCHMARKS.md"
NEO4J_SH = ROOT / "infra" / "neo4j" / "neo4j.sh"
