"""Does a login block the server? GET /api/v1/knowledge latency alone, and while 10
clients keep failing to log in (each failed login costs one scrypt check).

    python bench/login.py [--seconds 10] [--logins 10]

Starts `rrall serve` in its own process on a temporary SQLite database, on loopback.
Each login client posts a wrong password, for a new user name each time (so the per-name
throttle never refuses one unchecked: unknown names cost the same scrypt check), one
request at a time; one more client
reads /api/v1/knowledge one request at a time and records each latency. Prints p50,
p90 and max for both phases and writes them to bench/out/login.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
RRALL = [sys.executable, "-c", "from rrall.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def read_knowledge(base: str, until: float) -> list[float]:
    latencies = []
    with httpx.Client(base_url=base, timeout=30) as http:
        while time.perf_counter() < until:
            started = time.perf_counter()
            assert http.get("/api/v1/knowledge").status_code == 200
            latencies.append(time.perf_counter() - started)
            time.sleep(0.02)
    return latencies


def fail_logins(base: str, name: str, until: float, counts: list[int]) -> None:
    with httpx.Client(base_url=base, timeout=30) as http:
        page = http.get("/login")
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert found is not None
        form = {"csrf_token": found.group(1), "password": "wrong password", "next": "/cases"}
        while time.perf_counter() < until:
            form["username"] = f"{name}-{len(counts)}"  # a new name each time: never throttled
            status = http.post("/login", data=form).status_code
            assert status == 401, status
            counts.append(status)


def summary(latencies: list[float]) -> dict[str, float]:
    ms = sorted(x * 1000 for x in latencies)
    return {"requests": len(ms), "p50_ms": round(statistics.median(ms), 1),
            "p90_ms": round(ms[int(len(ms) * 0.9)], 1), "max_ms": round(ms[-1], 1)}


def measure(base: str, seconds: float, logins: int) -> dict[str, object]:
    alone = read_knowledge(base, time.perf_counter() + seconds)
    until = time.perf_counter() + seconds
    counts: list[int] = []
    threads = [threading.Thread(target=fail_logins, args=(base, f"guess{i}", until, counts))
               for i in range(logins)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # every login client has started
    during = read_knowledge(base, until)
    for thread in threads:
        thread.join()
    return {"alone": summary(alone), "during_failed_logins": summary(during),
            "failed_logins_per_s": round(len(counts) / seconds, 1), "login_clients": logins}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--logins", type=int, default=10)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="rrall-login-bench-"))
    env = os.environ | {"RRALL_HOME": str(home), "RRALL_DATABASE_URL": f"sqlite:///{home}/rrall.db",
                        "RRALL_SECRET_KEY": "b" * 40}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([*RRALL, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/api/v1/knowledge", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        result = measure(base, args.seconds, args.logins)
    finally:
        server.terminate()
        server.wait(timeout=20)
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "login.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
