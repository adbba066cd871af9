"""What the numbers were measured on: cores, memory, CPU, load, Python, libraries, Java, Neo4j;
the timestamp format and this process's peak RSS."""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import importlib.metadata
import os
import platform
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from benchmarks._paths import ROOT

__all__ = ["LIBRARIES", "now", "machine_info", "peak_rss_mb"]

LIBRARIES = (
    "numpy", "scipy", "networkx", "scikit-learn", "pandas", "pydantic", "fastapi", "uvicorn", "httpx",
    "neo4j", "neo4j-rust-ext", "ecomplexity", "matplotlib", "psutil",
)  # fmt: skip


def now() -> str:
    return dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        import psutil

        return round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        with contextlib.suppress(OSError, ValueError, IndexError):
            kib = int(Path("/proc/meminfo").read_text().split("MemTotal:", 1)[1].split()[0])
            return round(kib / 2**20, 1)
    return None


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _java() -> str | None:
    java = os.environ.get("NEO4J_JAVA") or shutil.which("java")
    if not java:
        return None
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=10)
        return (out.stderr or out.stdout).splitlines()[0].strip()
    return None


def _neo4j_server_version() -> str | None:
    with contextlib.suppress(OSError):
        m = re.search(r"<neo4j.version>([^<]+)<", (ROOT / "infra" / "neo4j" / "pom.xml").read_text())
        if m:
            return m.group(1)
    return None


def machine_info() -> dict[str, Any]:
    """What the numbers were measured on (the load average matters: the machines are shared)."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = os.cpu_count()
    return {
        "cores": os.cpu_count(),
        "cores_usable": usable,
        "memory_gib": _memory_gib(),
        "cpu_model": _cpu_model(),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "libraries": {name: _version(name) for name in LIBRARIES} | {"sqlite3": sqlite3.sqlite_version},
        "java": _java(),
        "neo4j_server": _neo4j_server_version(),
        "timestamp": now(),
    }


def peak_rss_mb() -> float:
    """Peak RSS of this process (MiB; Linux reports KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
