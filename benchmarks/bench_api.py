"""HTTP load benchmark of the chainmap API over loopback.

Starts ``chainmap serve --no-auth`` (uvicorn with uvloop + httptools, a temporary SQLite store
seeded on start) in a subprocess on a free 127.0.0.1 port, warms the caches, then drives each
endpoint with N concurrent clients (``wrk`` when installed — ``apt-get install wrk`` — else
asyncio + httpx.AsyncClient, which costs more CPU than the server on two cores) and reports
requests/s, p50/p99 latency, errors and the server's CPU time per request (user + system of the
server process and its workers, psutil, divided by the requests served).  Every run is bounded
by a request count and a wall-clock limit.  Then the same at 50 clients against
``chainmap serve --workers 2``, and the cache check: ``GET /gaps``, ``POST /projects``,
``POST /keys``, ``GET /gaps`` and the number of gap re-analyses the writes caused, read from
the server's counters (``GET /api/v1/cache``).

    python benchmarks/bench_api.py --quick      # 10 and 50 clients, 5 s (wrk) / <= 1,000 requests each
    python benchmarks/bench_api.py              # 15 s (wrk) / <= 2,000 requests each

Targets (2 cores): cached ``/api/v1/gaps?chain=qi`` >= 500 req/s with p99 < 50 ms at 50
clients; server CPU <= 0.5 ms per request on a cached endpoint; no errors with 50 concurrent
clients; 0 re-analyses after record writes.  ``run(quick)`` returns the rows as dicts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
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

CACHE_PATH = "/api/v1/gaps?chain=qi"
PROJECT = {"enterprise": {"name": "基准测试新材料有限公司"}, "segment": "qi.separator", "task_force": "汽车产业招商专班",
           "task_force_kind": "special_team", "owner": "张三", "county": "yongji"}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``chainmap serve --no-auth [--workers N]`` in a subprocess (its own process group, so the
    client's event loop does not compete for the GIL and the workers stop with it)."""

    def __init__(self, db: Path, workers: int = 1) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               "CHAINMAP_STORE": "sqlite", "CHAINMAP_SQLITE_PATH": str(db)}  # fmt: skip
        self._log = tempfile.TemporaryFile(mode="w+")  # never a pipe nobody reads
        cmd = [sys.executable, "-m", "api.cli", "serve", "--no-auth", "--port", str(self.port), "--lang", "en"]
        if workers > 1:
            cmd += ["--workers", str(workers)]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=self._log,
                                     text=True, start_new_session=True)  # fmt: skip

    def _tail(self) -> str:
        self._log.seek(0)
        return self._log.read()[-2000:]

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self._tail()}")
            try:
                if httpx.get(f"{self.base}/api/v1/health", timeout=2).status_code == 200:
                    if self.workers == 1 or len(self._processes()) > self.workers:
                        return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server not ready after {timeout} s: {self._tail()}")

    def _processes(self) -> list[Any]:
        import psutil

        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.Error:
            return []

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process and its workers have used so far (psutil)."""
        import psutil

        total = 0.0
        for p in self._processes():
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
        return total

    def stop(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(timeout=15)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        self._log.close()


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


#: wrk script: every request a distinct URL (an ignored ``_n`` parameter), so none is answered
#: from the stored responses (api/fastpath.py) -- the cost of the route with the service cache warm
_DISTINCT_LUA = """
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", wrk.path .. "&_n=" .. n .. "-" .. math.random(1e9))
end
"""


def _wrk(base: str, path: str, concurrency: int, seconds: float, distinct: bool = False) -> dict[str, Any]:
    """Drive the endpoint with ``wrk`` (C, Debian package): far less client overhead than a
    Python client on the same two cores.  Bounded by ``seconds``."""
    threads = min(2, concurrency)
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(_DISTINCT_LUA)
        lua.flush()
        script = ["-s", lua.name] if distinct else []
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{max(1, int(seconds))}s", "--latency", "--timeout", "10s",
             *script, base + path],
            capture_output=True, text=True, timeout=seconds + 60, check=True,
        ).stdout  # fmt: skip
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


def _drive(server: Server, path: str, clients: int, quick: bool, distinct: bool = False) -> dict[str, Any]:
    max_requests, max_seconds = (1000, 10.0) if quick else (2000, 20.0)
    cpu0 = server.cpu_seconds()
    if shutil.which("wrk"):
        stats = _wrk(server.base, path, clients, 5.0 if quick else 15.0, distinct=distinct)
    elif distinct:
        return {"note": "needs wrk: skipped"}
    else:
        stats = asyncio.run(_load(server.base, path, clients, max_requests, max_seconds))
        stats["client"] = "httpx"
    cpu_ms = (server.cpu_seconds() - cpu0) * 1000 / max(stats["requests"], 1)
    return {**stats, "server_cpu_ms": round(cpu_ms, 3), "load_avg_1m": round(os.getloadavg()[0], 2)}


def _warm(server: Server, path: str) -> None:
    for _ in range(3):  # compute and cache the report / graph / ranking
        warm = httpx.get(server.base + path, timeout=120)
        assert warm.status_code == 200, (path, warm.status_code, warm.text[:300])


def reanalyses(server: Server) -> dict[str, Any]:
    """GET /gaps, POST /projects, POST /keys, GET /gaps: the gap analyses the record writes
    caused, from the server's own counters (GET /api/v1/cache)."""
    with httpx.Client(base_url=server.base, timeout=120) as c:
        first = c.get(CACHE_PATH)
        assert first.status_code == 200, first.text[:300]
        before = c.get("/api/v1/cache").json()
        project = c.post("/api/v1/projects", json=PROJECT)
        assert project.status_code == 201, project.text[:300]
        key = c.post("/api/v1/keys", json={"role": "viewer", "label": "bench"})
        assert key.status_code == 201, key.text[:300]
        t0 = time.perf_counter()
        again = c.get(CACHE_PATH)
        after_ms = (time.perf_counter() - t0) * 1000
        after = c.get("/api/v1/cache").json()
    n = after["computed"].get("gaps", 0) - before["computed"].get("gaps", 0)
    return {
        "bench": "cache", "endpoint": "gaps after POST /projects + POST /keys", "clients": None,
        "reanalyses": n, "data_reloads": after["computed"].get("data", 0) - before["computed"].get("data", 0),
        "gaps_computed_total": after["computed"].get("gaps", 0), "same_body": again.content == first.content,
        "get_after_writes_ms": round(after_ms, 2), "note": f"{n} re-analyses",
    }  # fmt: skip


def run(quick: bool = True) -> list[dict[str, Any]]:
    """Every endpoint at 10 and 50 concurrent clients on one process; the cached /gaps and
    /version at 50 clients on 2 worker processes; the re-analysis count after record writes."""
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="chainmap-bench-") as tmp:
        db = Path(tmp) / "chainmap.db"
        server = Server(db)
        try:
            server.wait_ready()  # the first start loads the seed
            paths = set(httpx.get(f"{server.base}/openapi.json", timeout=10).json()["paths"])
            for name, path in ENDPOINTS:
                if not any(re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", p), path.split("?")[0]) for p in paths):
                    rows.append({"endpoint": name, "path": path, "clients": None, "note": "route absent: skipped"})
                    continue
                _warm(server, path)
                for clients in CONCURRENCY:
                    rows.append({"endpoint": name, "path": path, "clients": clients, "workers": 1,
                                 **_drive(server, path, clients, quick)})  # fmt: skip
            stats = _drive(server, CACHE_PATH, 50, quick, distinct=True)
            rows.append({"endpoint": "gaps via the route", "path": CACHE_PATH + "&_n=<distinct>",
                         "clients": 50 if "requests" in stats else None, "workers": 1, **stats})  # fmt: skip
            rows.append(reanalyses(server))
        finally:
            server.stop()
        server = Server(db, workers=2)  # the same (now seeded) store
        try:
            server.wait_ready()
            for name, path in ENDPOINTS[:2]:
                for _ in range(4):  # both workers warm (connections are spread over them)
                    _warm(server, path)
                rows.append({"endpoint": f"{name}, 2 workers", "path": path, "clients": 50, "workers": 2,
                             **_drive(server, path, 50, quick)})  # fmt: skip
        finally:
            server.stop()
    return rows


def _table(rows: list[dict[str, Any]]) -> str:
    head = (f"{'endpoint':<26} {'clients':>7} {'requests':>8} {'errors':>6} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7}"
            f" {'srv cpu ms/req':>14}")  # fmt: skip
    lines = [head, "-" * len(head)]
    for r in rows:
        if r.get("clients") is None:
            lines.append(f"{r['endpoint']:<26} {r['note']}")
            continue
        lines.append(
            f"{r['endpoint']:<26} {r['clients']:>7} {r['requests']:>8} {r['errors']:>6} {r['rps']:>8.1f} "
            f"{r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f} {r['server_cpu_ms']:>14.3f}"
        )
    return "\n".join(lines)


TARGET_CPU_MS = 0.5


def _verdict(rows: list[dict[str, Any]]) -> list[str]:
    out = []
    for r in rows:
        if r.get("bench") == "cache":
            out.append(f"{'OK  ' if r['reanalyses'] == 0 else 'MISS'} {r['endpoint']}: {r['reanalyses']} re-analyses "
                       f"(target 0), {r['data_reloads']} data reloads")  # fmt: skip
            continue
        if r.get("clients") is None:
            continue
        if r["errors"]:
            out.append(f"FAIL {r['endpoint']} @ {r['clients']} clients: {r['errors']} errors")
        if r["path"] == CACHE_PATH and r.get("workers") == 1:
            ok = r["rps"] >= TARGET_RPS and r["p99_ms"] < TARGET_P99_MS and r["server_cpu_ms"] <= TARGET_CPU_MS
            out.append(
                f"{'OK  ' if ok else 'MISS'} {r['endpoint']} @ {r['clients']} clients: {r['rps']} req/s (target >= {TARGET_RPS:g}), "
                f"p99 {r['p99_ms']} ms (target < {TARGET_P99_MS:g}), server CPU {r['server_cpu_ms']} ms/request "
                f"(target <= {TARGET_CPU_MS:g})"
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
