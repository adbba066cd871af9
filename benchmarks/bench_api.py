"""HTTP load benchmark of the chainmap API over loopback.

Starts uvicorn with the app (auth off, a temporary SQLite store seeded on start) in a
subprocess on a free 127.0.0.1 port, warms the caches, then drives each endpoint with N
concurrent clients (``wrk`` when installed — ``apt-get install wrk`` — else asyncio +
httpx.AsyncClient, which costs more CPU than the server on two cores) and reports requests/s, p50/p99 latency
and errors.  Every run is bounded by a request count and a wall-clock limit.

    python benchmarks/bench_api.py --quick      # 10 and 50 clients, <= 1,000 requests or 10 s each
    python benchmarks/bench_api.py              # <= 2,000 requests or 20 s each

Target (2 cores): cached ``/api/v1/gaps?chain=qi`` >= 500 req/s with p99 < 50 ms; no
errors with 50 concurrent clients.  ``run(quick)`` returns the rows as dicts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make the repository importable
    sys.path.insert(0, str(ROOT))

ENDPOINTS = [
    ("version (floor)", "/api/v1/version"),
    ("gaps (cached)", "/api/v1/gaps?chain=qi"),
    ("leads k=20", "/api/v1/leads?k=20"),
    ("chain graph", "/api/v1/chains/qi/graph"),
]
CONCURRENCY = (10, 50)
TARGET_RPS, TARGET_P99_MS = 500.0, 50.0

_SERVER = """
import sys
import uvicorn
from api.main import create_app
from api.settings import Settings

app = create_app(Settings(chainmap_store="sqlite", chainmap_sqlite_path=sys.argv[1], chainmap_auth=False))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """uvicorn + the app in a subprocess (so the client's event loop does not compete for the GIL)."""

    def __init__(self, db: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _SERVER, str(db), str(self.port)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.proc.stderr.read()[-2000:]}")  # type: ignore[union-attr]
            try:
                if httpx.get(f"{self.base}/api/v1/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server not ready after {timeout} s")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process has used so far (Linux /proc; NaN elsewhere)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return float("nan")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


async def _load(base: str, path: str, concurrency: int, max_requests: int, max_seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    issued = 0
    deadline = time.perf_counter() + max_seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0) as client:

        async def worker() -> None:
            nonlocal issued, errors
            while issued < max_requests and time.perf_counter() < deadline:
                issued += 1
                t0 = time.perf_counter()
                try:
                    r = await client.get(path)
                    await r.aread()
                    if r.status_code != 200:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append(time.perf_counter() - t0)

        t_start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t_start

    latencies.sort()
    n = len(latencies)
    pct = lambda q: latencies[min(n - 1, int(q * n))] * 1000 if n else float("nan")  # noqa: E731
    return {
        "requests": n,
        "errors": errors,
        "seconds": round(elapsed, 2),
        "rps": round(n / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(pct(0.50), 1),
        "p99_ms": round(pct(0.99), 1),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1) if n else float("nan"),
    }


def _ms(text: str) -> float:
    """wrk's latency text ('812.00us', '3.21ms', '1.02s') in milliseconds."""
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip())
    if not m:
        return float("nan")
    v = float(m.group(1))
    return {"us": v / 1000, "ms": v, "s": v * 1000}[m.group(2)]


def _wrk(base: str, path: str, concurrency: int, seconds: float) -> dict[str, Any]:
    """Drive the endpoint with ``wrk`` (C, Debian package): far less client overhead than a
    Python client on the same two cores.  Bounded by ``seconds``."""
    threads = min(2, concurrency)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{max(1, int(seconds))}s", "--latency", "--timeout", "10s", base + path],
        capture_output=True, text=True, timeout=seconds + 60, check=True,
    ).stdout
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    elapsed = _ms(re.search(r"requests in ([\d.]+(?:us|ms|s))", out).group(1)) / 1000  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(int(x) for x in sock.groups()) if sock else 0)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    return {
        "requests": total,
        "errors": errors,
        "seconds": round(elapsed, 2),
        "rps": round(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), 1),  # type: ignore[union-attr]
        "p50_ms": round(_ms(p50.group(1)), 1) if p50 else float("nan"),
        "p99_ms": round(_ms(p99.group(1)), 1) if p99 else float("nan"),
        "client": "wrk",
    }


def run(quick: bool = True) -> list[dict[str, Any]]:
    """Benchmark every endpoint at 10 and 50 concurrent clients; one dict per (endpoint, clients)."""
    max_requests, max_seconds = (1000, 10.0) if quick else (2000, 20.0)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="chainmap-bench-") as tmp:
        server = Server(Path(tmp) / "chainmap.db")
        try:
            server.wait_ready()  # the first start loads the seed
            paths = set(httpx.get(f"{server.base}/openapi.json", timeout=10).json()["paths"])
            for name, path in ENDPOINTS:
                if not any(re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", p), path.split("?")[0]) for p in paths):
                    rows.append({"endpoint": name, "path": path, "clients": None, "note": "route absent: skipped"})
                    continue
                for _ in range(3):  # warm up: compute and cache the report / graph / ranking
                    warm = httpx.get(server.base + path, timeout=120)
                    assert warm.status_code == 200, (path, warm.status_code, warm.text[:300])
                for clients in CONCURRENCY:
                    cpu0 = server.cpu_seconds()
                    if shutil.which("wrk"):
                        stats = _wrk(server.base, path, clients, 5.0 if quick else 15.0)
                    else:
                        stats = asyncio.run(_load(server.base, path, clients, max_requests, max_seconds))
                        stats["client"] = "httpx"
                    cpu_ms = (server.cpu_seconds() - cpu0) * 1000 / max(stats["requests"], 1)
                    rows.append({"endpoint": name, "path": path, "clients": clients, **stats,
                                 "server_cpu_ms": round(cpu_ms, 2)})
        finally:
            server.stop()
    return rows


def _table(rows: list[dict[str, Any]]) -> str:
    head = (f"{'endpoint':<16} {'clients':>7} {'requests':>8} {'errors':>6} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7}"
            f" {'srv cpu ms/req':>14}")
    lines = [head, "-" * len(head)]
    for r in rows:
        if r.get("clients") is None:
            lines.append(f"{r['endpoint']:<16} {r['note']}")
            continue
        lines.append(
            f"{r['endpoint']:<16} {r['clients']:>7} {r['requests']:>8} {r['errors']:>6} {r['rps']:>8.1f} "
            f"{r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f} {r['server_cpu_ms']:>14.2f}"
        )
    return "\n".join(lines)


def _verdict(rows: list[dict[str, Any]]) -> list[str]:
    out = []
    for r in rows:
        if r.get("clients") is None:
            continue
        if r["errors"]:
            out.append(f"FAIL {r['endpoint']} @ {r['clients']} clients: {r['errors']} errors")
        if r["endpoint"] == "gaps (cached)":
            ok = r["rps"] >= TARGET_RPS and r["p99_ms"] < TARGET_P99_MS
            out.append(
                f"{'OK  ' if ok else 'MISS'} gaps @ {r['clients']} clients: {r['rps']} req/s (target >= {TARGET_RPS:g}), "
                f"p99 {r['p99_ms']} ms (target < {TARGET_P99_MS:g})"
            )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="<= 1,000 requests or 10 s per run")
    args = parser.parse_args(argv)
    rows = run(quick=args.quick)
    print(f"chainmap API over loopback ({os.cpu_count()} CPUs, {'quick' if args.quick else 'full'})")
    print(_table(rows))
    print(f"(load average {os.getloadavg()[0]:.1f}: other processes share the CPUs; 'srv cpu ms/req' is the "
          "server's own CPU cost per request, independent of that)")
    for line in _verdict(rows):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
