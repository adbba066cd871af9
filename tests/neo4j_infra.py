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
#: Neo4j settings of the tests' own servers: a stop does not wait up to 10 s (the default)
#: for open transactions to end; they are terminated at once, as when a server is lost.
#: NEO4J_SETTINGS still comes last.
QUICK_SETTINGS = "db.shutdown_transaction_end_timeout=0s"


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "NEO4J_JAVA_OPTS": f"{QUICK_JAVA_OPTS} {os.environ.get('NEO4J_JAVA_OPTS', '')}".strip(),
        "NEO4J_SETTINGS": ";".join(filter(None, [QUICK_SETTINGS, os.environ.get("NEO4J_SETTINGS", "")])),
    }


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
    """Delete the data folder, log and settings file a server on ``port`` left under infra/neo4j/run."""
    shutil.rmtree(SCRIPT.parent / "run" / f"data-{port}", ignore_errors=True)
    for name in (f"neo4j-{port}.log", f"neo4j-{port}.conf"):
        (SCRIPT.parent / "run" / name).unlink(missing_ok=True)


class FaultServer:
    """One throw-away Neo4j per test session (per xdist worker) for the tests that stop and
    restart a server: it is started when a test needs it running and is not, and stopped at
    the end of the session, so fault tests that run one after another share its start-up.

    ``running_empty()`` gives its URI, running and emptied (every node deleted; started on a
    fresh data folder if it was down); ``stopped()`` makes sure it is down. A test may stop
    and restart it (``neo4j_sh(..., port=server.port)``) as it likes: the state is read from
    ``neo4j.sh status`` each time, never remembered."""

    def __init__(self) -> None:
        self.port = free_port()
        self.uri = f"bolt://127.0.0.1:{self.port}"

    def is_running(self) -> bool:
        return neo4j_sh("status", port=self.port).returncode == 0

    def start(self, *, keep_data: bool = False) -> subprocess.CompletedProcess[str]:
        return neo4j_sh("start", *(["--keep-data"] if keep_data else []), port=self.port)

    def stop(self) -> subprocess.CompletedProcess[str]:
        return neo4j_sh("stop", port=self.port)

    def running_empty(self, missing: Callable[[str], None]) -> str:
        if self.is_running():
            from chainmap.storage.neo4j import Neo4jStore

            store = Neo4jStore(self.uri, timeout=10.0)
            try:
                with store._session() as session:
                    session.run("MATCH (n) DETACH DELETE n").consume()
            finally:
                store.close()
            return self.uri
        started = self.start()
        if started.returncode != 0:
            missing(f"could not start Neo4j on port {self.port}: {started.stderr.strip()[-500:]}")
        return started.stdout.strip().splitlines()[-1]

    def stopped(self) -> None:
        stop = self.stop()
        assert stop.returncode == 0, stop.stderr

    def close(self) -> None:
        self.stop()
        remove_run_files(self.port)
