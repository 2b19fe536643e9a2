"""Does a login block the server? GET /api/v1/knowledge latency alone, and while 10
clients keep failing to log in (each failed login costs one scrypt check).

    python bench/login.py [--seconds 10] [--logins 10]
    python bench/login.py --smoke     # 1 s per phase, 2 login clients

Starts `rrall serve` in its own process on a temporary SQLite database, on loopback.
Each login client posts a wrong password, for a new user name each time (so the per-name
throttle never refuses one unchecked: unknown names cost the same scrypt check), one
request at a time; one more client reads /api/v1/knowledge one request at a time and
records each latency. Prints p50, p90 and max for both phases and writes them to
bench/out/login.json.

What it checks, so that it never times failures: every knowledge read must answer 200 and
every failed login 401 (anything else, or a call that does not answer within 30 s, stops
the run with exit status 1 and the first failure).
"""

from __future__ import annotations

import os
import re
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
from harness import fail, options, served, write_numbers


def read_knowledge(base: str, until: float) -> list[float]:
    latencies = []
    with httpx.Client(base_url=base, timeout=30) as http:
        while time.perf_counter() < until:
            started = time.perf_counter()
            status = http.get("/api/v1/knowledge").status_code
            if status != 200:
                fail(f"GET /api/v1/knowledge answered {status}")
            latencies.append(time.perf_counter() - started)
            time.sleep(0.02)
    return latencies


def fail_logins(base: str, name: str, until: float, counts: list[int], problems: list[str]) -> None:
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            page = http.get("/login")
            found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            if found is None:
                problems.append(f"GET /login answered {page.status_code} without a form")
                return
            form = {"csrf_token": found.group(1), "password": "wrong password", "next": "/cases"}
            while time.perf_counter() < until:
                form["username"] = f"{name}-{len(counts)}"  # a new name each time: never throttled
                status = http.post("/login", data=form).status_code
                if status != 401:
                    problems.append(f"a failed login answered {status}, not 401")
                    return
                counts.append(status)
    except httpx.HTTPError as exc:
        problems.append(f"a login client failed: {exc!r}")


def summary(latencies: list[float]) -> dict[str, float]:
    ms = sorted(x * 1000 for x in latencies)
    return {"requests": len(ms), "p50_ms": round(statistics.median(ms), 1),
            "p90_ms": round(ms[int(len(ms) * 0.9)], 1), "max_ms": round(ms[-1], 1)}


def measure(base: str, seconds: float, logins: int) -> dict[str, object]:
    alone = read_knowledge(base, time.perf_counter() + seconds)
    until = time.perf_counter() + seconds
    counts: list[int] = []
    problems: list[str] = []
    threads = [threading.Thread(target=fail_logins, args=(base, f"guess{i}", until, counts, problems))
               for i in range(logins)]
    for thread in threads:
        thread.start()
    time.sleep(min(0.5, seconds / 4))  # every login client has started
    during = read_knowledge(base, until)
    for thread in threads:
        thread.join()
    if problems:
        fail(problems[0])
    if not counts or not during:
        fail(f"{len(counts)} failed logins and {len(during)} knowledge reads while they ran")
    return {"alone": summary(alone), "during_failed_logins": summary(during),
            "failed_logins_per_s": round(len(counts) / seconds, 1), "login_clients": logins}


def main() -> None:
    parser = options(__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--logins", type=int, default=10)
    args = parser.parse_args()
    seconds, logins = (1.0, 2) if args.smoke else (args.seconds, args.logins)
    home = Path(tempfile.mkdtemp(prefix="rrall-login-bench-"))
    env = os.environ | {"RRALL_HOME": str(home), "RRALL_DATABASE_URL": f"sqlite:///{home}/rrall.db",
                        "RRALL_SECRET_KEY": "b" * 40}
    with served(env, "/api/v1/knowledge") as base:
        result = measure(base, seconds, logins)
    write_numbers(args.out, "login", result, args.smoke)


if __name__ == "__main__":
    main()
