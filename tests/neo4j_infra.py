"""Throw-away Neo4j servers for fault tests (infra/neo4j/neo4j.sh on a free port)."""

from __future__ import annotations

import os
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


#: JVM flags of the tests' own servers: the client compiler only (C1). A server started for
#: a test serves a small workload for seconds to minutes, where the optimising compiler's
#: (C2) work at start-up costs more than it gains: start to READY about half as long on the
#: 2-core machine (measured 22-29 s -> 10-14 s under load 5). NEO4J_JAVA_OPTS still comes last.
QUICK_JAVA_OPTS = "-XX:TieredStopAtLevel=1"


def _env() -> dict[str, str]:
    return {**os.environ, "NEO4J_JAVA_OPTS": f"{QUICK_JAVA_OPTS} {os.environ.get('NEO4J_JAVA_OPTS', '')}".strip()}


def neo4j_sh(*args: str, port: int, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run ``neo4j.sh <args> --port <port>``; never raises on a non-zero exit."""
    return subprocess.run(
        ["bash", str(SCRIPT), *args, "--port", str(port)], capture_output=True, text=True, timeout=timeout,
        check=False, env=_env(),
    )


def neo4j_start_in_background(port: int) -> subprocess.Popen[str]:
    """``neo4j.sh start --port <port>`` without waiting: ``communicate()`` waits for READY (or failure)."""
    return subprocess.Popen(
        ["bash", str(SCRIPT), "start", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=_env(),
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
