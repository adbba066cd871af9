"""Plumbing of the benchmark driver (``python -m benchmarks``), on tiny fake benchmarks.

The real benchmarks take minutes; here two modules stand in for them: one returns rows, one
raises.  The driver must record the machine, the rows and the error, write the Markdown table
with the target column, and exit non-zero because of the failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FAKE_OK = """
def run(quick):
    return [{"case": "tiny", "seconds": 0.01, "quick": quick},
            {"case": "tinier", "seconds": 0.002, "quick": quick}]
"""
FAKE_FAIL = """
def run(quick):
    raise RuntimeError("boom in the fake benchmark")
"""
FAKE_ERROR_ROW = """
def run(quick):
    return [{"bench": "rank", "n": 10, "error": ["child died"]}]
"""


def _driver(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    mods = tmp_path / "mods"
    mods.mkdir(exist_ok=True)
    for name, src in (("fake_ok", FAKE_OK), ("fake_fail", FAKE_FAIL), ("fake_error_row", FAKE_ERROR_ROW)):
        (mods / f"{name}.py").write_text(textwrap.dedent(src))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(mods), str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", *args, "--results-dir", str(tmp_path / "results"),
         "--report-file", str(tmp_path / "BENCH.md")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.timeout(60)
def test_driver_records_machine_rows_and_failures(tmp_path: Path) -> None:
    out = _driver(tmp_path, "all", "--quick", "--bench", "ok=fake_ok", "--bench", "bad=fake_fail",
                  "--bench", "rowerr=fake_error_row")  # fmt: skip
    assert out.returncode != 0, out.stderr  # a failing benchmark makes the run fail...
    doc = json.loads((tmp_path / "results" / "quick.json").read_text())
    # ...but the others are still run and recorded
    assert doc["mode"] == "quick"
    m = doc["machine"]
    for key in ("cores", "memory_gib", "cpu_model", "load_avg", "python", "libraries", "timestamp"):
        assert m.get(key) not in (None, "", []), key
    for lib in ("numpy", "scipy", "networkx", "scikit-learn", "fastapi", "neo4j", "sqlite3"):
        assert lib in m["libraries"], lib
    ok, bad, rowerr = (doc["benchmarks"][k] for k in ("ok", "bad", "rowerr"))
    assert ok["status"] == "ok" and "error" not in ok
    assert [r["case"] for r in ok["rows"]] == ["tiny", "tinier"]
    assert ok["rows"][0]["quick"] is True
    assert ok["repeats"] == 1 and ok["load_avg_start"] and ok["started"] and ok["finished"]
    assert bad["status"] == "error" and "boom in the fake benchmark" in bad["error"]
    assert any("RuntimeError" in line for line in bad["traceback"])
    assert rowerr["status"] == "error" and "child died" in rowerr["error"]  # an error row is a failure too
    assert "FAILED: bad, rowerr" in out.stderr
    md = (tmp_path / "results" / "quick.md").read_text()
    assert "| What | Target | Measured | Pass/miss | Run |" in md
    assert "## bad — error" in md and "boom in the fake benchmark" in md
    assert "| case | seconds | quick |" in md  # the rows of the benchmark that worked
    report = (tmp_path / "BENCH.md").read_text()
    assert "| What | Target | Measured | Pass/miss | Run | What limits it |" in report
    assert (tmp_path / "results" / "scaling.png").stat().st_size > 1000


@pytest.mark.timeout(60)
def test_single_benchmark_merges_and_exits_zero(tmp_path: Path) -> None:
    first = _driver(
        tmp_path, "all", "--full", "--bench", "ok=fake_ok", "--bench", "bad=fake_fail", "--no-report"
    )
    assert first.returncode == 1
    again = _driver(tmp_path, "ok", "--full", "--bench", "ok=fake_ok", "--bench", "bad=fake_fail", "--no-report",
                    "--repeat", "3")  # fmt: skip
    assert again.returncode == 0, again.stderr
    doc = json.loads((tmp_path / "results" / "full.json").read_text())
    assert set(doc["benchmarks"]) == {"ok", "bad"}  # merged: the earlier entry of 'bad' is kept
    ok = doc["benchmarks"]["ok"]
    assert ok["repeats"] == 3 and ok["rows"][0]["repeats"] == 3 and ok["rows"][0]["quick"] is False
    assert not (tmp_path / "BENCH.md").exists()
    unknown = _driver(tmp_path, "nope", "--bench", "ok=fake_ok")
    assert unknown.returncode == 2


def test_median_rows_and_targets() -> None:
    from benchmarks._scaling import extrapolate, fit
    from benchmarks._targets import target_rows
    from benchmarks._timing import median_rows

    runs = [
        [{"case": "a", "seconds": s, "peak_rss_mb": m, "rows": 7}]
        for s, m in ((3.0, 10), (1.0, 30), (2.0, 20))
    ]
    (row,) = median_rows(runs)
    assert row["seconds"] == 2.0 and row["peak_rss_mb"] == 30 and row["rows"] == 7 and row["repeats"] == 3
    assert row["samples"] == {"seconds": [3.0, 1.0, 2.0]}
    doc = {"benchmarks": {"gaps": {"finished": "2025-01-01T00:00:00", "rows": [
        {"case": "seed: city + 13 counties", "seconds": 1.5, "items": 3},
        {"case": "synthetic 1000", "seconds": 0.5, "segments": 1000}]}}}  # fmt: skip
    rows = {r["key"]: r for r in target_rows({"quick": doc})}
    assert rows["gaps_seed"]["ok"] is False and "1.5 s" in rows["gaps_seed"]["measured"]  # a miss is a miss
    assert rows["gaps_10k"].get("missing") and "1,000 segments" in rows["gaps_10k"]["measured"]
    assert rows["neo4j_1m"]["measured"].startswith("not measured")
    f = fit({10.0: (1.0, "q"), 100.0: (10.0, "q"), 1000.0: (100.0, "q")})
    assert f is not None and abs(f["exponent_all"] - 1.0) < 1e-9
    assert abs(extrapolate(f, 1e4) - 1000.0) < 1e-6
