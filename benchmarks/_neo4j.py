"""A Neo4j for the storage benchmark: is one answering at a URI, or start a private throw-away one."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from benchmarks._paths import NEO4J_SH, ROOT

__all__ = ["DEFAULT_NEO4J_URI", "NEO4J_HEAP", "neo4j_problem", "free_port", "PrivateNeo4j"]

from chainmap.storage.factory import DEFAULT_NEO4J_URI as DEFAULT_NEO4J_URI  # the one default (re-exported)

#: Heap of the private server: the default of infra/neo4j/neo4j.sh (NEO4J_HEAP overrides).
NEO4J_HEAP = "2g"


def neo4j_problem(uri: str, timeout: float = 3.0) -> str | None:
    """None if a Neo4j server answers at ``uri``, else why not."""
    try:
        import neo4j
    except ImportError as err:
        return f"the neo4j driver is not installed ({err})"
    user = os.environ.get("NEO4J_USER") or "neo4j"
    password = os.environ.get("NEO4J_PASSWORD", "")
    try:
        driver = neo4j.GraphDatabase.driver(uri, auth=(user, password) if password else None,
                                            connection_timeout=timeout)  # fmt: skip
    except Exception as err:  # noqa: BLE001 - a bad URI is a reason like any other
        return f"bad NEO4J_URI {uri!r}: {err}"
    try:
        driver.verify_connectivity()
        return None
    except Exception as err:  # noqa: BLE001
        first = str(err).strip().splitlines()[0] if str(err).strip() else ""
        return f"no Neo4j answers at {uri} ({type(err).__name__}: {first[:120]})"
    finally:
        driver.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateNeo4j:
    """A Neo4j server of our own for one benchmark run (infra/neo4j/neo4j.sh on a free port,
    data in a temporary folder, heap ``NEO4J_HEAP``); :meth:`start` returns the URI or raises
    RuntimeError with the reason (no Java, no jars, the server did not come up)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.data = Path(tempfile.mkdtemp(prefix="chainmap-bench-neo4j-"))
        self.started = False

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.setdefault("NEO4J_HEAP", NEO4J_HEAP)
        return env

    def start(self, timeout: float = 240.0) -> str:
        if not NEO4J_SH.exists():
            raise RuntimeError(f"{NEO4J_SH.relative_to(ROOT)} is missing")
        java = os.environ.get("NEO4J_JAVA") or shutil.which("java")
        if not java:
            raise RuntimeError("no Java runtime (java not on PATH, NEO4J_JAVA unset): Neo4j cannot run")
        lib = NEO4J_SH.parent / "lib"
        if not (lib / ".fetch-complete").exists() and not shutil.which("mvn"):
            raise RuntimeError("the Neo4j jars are not in infra/neo4j/lib and Maven is missing to fetch them")
        try:
            out = subprocess.run(
                ["bash", str(NEO4J_SH), "start", "--port", str(self.port), "--data", str(self.data)],
                capture_output=True, text=True, env=self._env(), timeout=timeout, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            self.stop()
            raise RuntimeError(f"neo4j.sh start did not finish within {timeout:.0f} s") from None
        if out.returncode != 0:
            self.stop()
            tail = " | ".join((out.stderr or out.stdout).strip().splitlines()[-5:])
            raise RuntimeError(f"neo4j.sh start failed (exit {out.returncode}): {tail[-600:]}")
        self.started = True
        lines = out.stdout.strip().splitlines()
        return lines[-1].strip() if lines else f"bolt://127.0.0.1:{self.port}"

    def stop(self) -> None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(["bash", str(NEO4J_SH), "stop", "--port", str(self.port)],
                           capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
        shutil.rmtree(self.data, ignore_errors=True)
