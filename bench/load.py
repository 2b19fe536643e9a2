"""Load test: POST /api/v1/assess on loopback, 20 concurrent clients for 60 s
(goal: p99 <= 100 ms with no errors).

    python bench/load.py [--seconds 60] [--clients 20] [--driver wrk|httpx]

Starts `rrall serve` in its own process on a temporary SQLite database with one
clinician token, then sends the 23 example cases in turn from 20 connections, each one
request at a time. The default driver is wrk (Debian package `wrk`, written in C), so the
load generator takes little of the two cores from the server; `--driver httpx` runs the
same closed loop in Python (an async httpx client), which itself needs about a core and
so measures the server and the client together. Prints requests per second, p50/p90/p99
latency and the error count, and writes them to bench/out/load-DRIVER.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
RRALL = [sys.executable, "-c", "from rrall.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cases() -> list[bytes]:
    from rrall.web.workbench import as_json_document

    files = sorted((ROOT / "examples" / "cases").glob("*.yaml"))
    return [json.dumps(as_json_document(yaml.safe_load(f.read_text()))).encode() for f in files]


async def client(base: str, token: str, bodies: list[bytes], until: float, offset: int,
                 latencies: list[float], errors: list[str]) -> None:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=10) as http:
        i = offset
        while time.perf_counter() < until:
            body = bodies[i % len(bodies)]
            i += 1
            started = time.perf_counter()
            try:
                response = await http.post("/api/v1/assess", content=body)
                ok = response.status_code == 200
            except httpx.HTTPError as exc:
                ok, response = False, None
                errors.append(type(exc).__name__)
            latencies.append(time.perf_counter() - started)
            if not ok and response is not None:
                errors.append(str(response.status_code))


async def drive(base: str, token: str, seconds: float, clients: int) -> tuple[list[float], list[str], float]:
    bodies = cases()
    latencies: list[float] = []
    errors: list[str] = []
    warm_until = time.perf_counter() + 3  # first requests build the engine's caches
    await asyncio.gather(*(client(base, token, bodies, warm_until, i, [], []) for i in range(clients)))
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(*(client(base, token, bodies, until, i, latencies, errors) for i in range(clients)))
    return latencies, errors, time.perf_counter() - started


WRK_SCRIPT = """
local bodies = {}
for line in io.lines("%s") do bodies[#bodies + 1] = line end
local i = 0
request = function()
  i = i %% #bodies + 1
  return wrk.format("POST", "/api/v1/assess", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer %s"}, bodies[i])
end
"""


def run_wrk(base: str, token: str, seconds: float, clients: int) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="rrall-wrk-"))
    (folder / "bodies.jsonl").write_bytes(b"\n".join(cases()) + b"\n")
    (folder / "post.lua").write_text(WRK_SCRIPT % (folder / "bodies.jsonl", token))
    wrk = ["wrk", "-t1", f"-c{clients}", "--latency", "-s", str(folder / "post.lua"), base + "/api/v1/assess"]
    subprocess.run([*wrk[:1], "-d3s", *wrk[1:]], check=True, capture_output=True)  # warm-up
    out = subprocess.run([*wrk[:1], f"-d{int(seconds)}s", *wrk[1:]], check=True, capture_output=True,
                         text=True).stdout

    def ms(label: str) -> float:
        found = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        assert found, out
        value, unit = float(found.group(1)), found.group(2)
        return round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 1)

    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(bad.group(1)) if bad else 0) + (sum(map(int, sockets.groups())) if sockets else 0)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return {"requests": requests, "requests_per_second": rate, "p50_ms": ms("50%"), "p90_ms": ms("90%"),
            "p99_ms": ms("99%"), "errors": errors, "seconds": seconds}


def run_httpx(base: str, token: str, seconds: float, clients: int) -> dict[str, float]:
    latencies, errors, elapsed = asyncio.run(drive(base, token, seconds, clients))
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 1)

    return {"requests": len(latencies), "requests_per_second": round(len(latencies) / elapsed, 1),
            "p50_ms": pct(50), "p90_ms": pct(90), "p99_ms": pct(99), "errors": len(errors),
            "mean_ms": round(statistics.mean(ordered) * 1000, 1), "seconds": round(elapsed, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--driver", choices=["wrk", "httpx"],
                        default="wrk" if shutil.which("wrk") else "httpx")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="rrall-load-"))
    env = os.environ | {"RRALL_HOME": str(home), "RRALL_DATABASE_URL": f"sqlite:///{home}/load.db"}
    subprocess.run([*RRALL, "users", "add", "load", "--role", "clinician", "--password-stdin"],
                   input="load test password\n", text=True, env=env, check=True, capture_output=True)
    token = subprocess.run([*RRALL, "users", "token", "load"], env=env, check=True, capture_output=True,
                           text=True).stdout.strip()
    port = free_port()
    server = subprocess.Popen([*RRALL, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/api/v1/knowledge", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        run = run_wrk if args.driver == "wrk" else run_httpx
        result = {"driver": args.driver, "clients": args.clients, "cpu_count": os.cpu_count(),
                  **run(base, token, args.seconds, args.clients)}
    finally:
        server.terminate()
        server.wait(timeout=20)
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"load-{args.driver}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    goal = result["p99_ms"] <= 100 and not result["errors"]
    print(f"goal p99 <= 100 ms with no errors at {args.clients} clients: {'met' if goal else 'NOT met'}")


if __name__ == "__main__":
    main()
