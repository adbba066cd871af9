"""Throw-away Neo4j servers for fault tests (infra/neo4j/neo4j.sh on a free port)."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "infra" / "neo4j" / "neo4j.sh"


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def neo4j_sh(*args: str, port: int, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run ``neo4j.sh <args> --port <port>``; never raises on a non-zero exit."""
    return subprocess.run(
        ["bash", str(SCRIPT), *args, "--port", str(port)], capture_output=True, text=True, timeout=timeout, check=False
    )


def require_infra(missing: Callable[[str], None]) -> None:
    """Call ``missing(reason)`` (the ``neo4j_missing`` fixture) unless Java and the jars are there."""
    if not SCRIPT.exists():
        missing(f"{SCRIPT} is missing")
    if shutil.which("java") is None:
        missing("java is not installed (needed for infra/neo4j)")
    if not (SCRIPT.parent / "lib" / ".fetch-complete").exists():
        missing("Neo4j jars are absent: run `bash infra/neo4j/neo4j.sh fetch`")


def remove_run_files(port: int) -> None:
    """Delete the data folder and log a server on ``port`` left under infra/neo4j/run."""
    shutil.rmtree(SCRIPT.parent / "run" / f"data-{port}", ignore_errors=True)
    (SCRIPT.parent / "run" / f"neo4j-{port}.log").unlink(missing_ok=True)
