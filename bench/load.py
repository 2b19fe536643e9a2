"""Load test: POST /api/v1/assess on loopback, 20 concurrent clients for 60 s
(goal: p99 <= 100 ms with no errors).

    python bench/load.py [--seconds 60] [--clients 20] [--driver wrk|httpx]
    python bench/load.py --smoke     # 4 clients for 1 s, no warm-up, each driver installed

Starts `rrall serve` in its own process on a temporary SQLite database with one
clinician token, then sends the 23 example cases in turn from 20 connections, each one
request at a time, after 3 s of untimed warm-up. The default driver is wrk (Debian
package `wrk`, written in C), so the load generator takes little of the two cores from
the server; `--driver httpx` runs the same closed loop in Python (an async httpx client),
which itself needs about a core and so measures the server and the client together.
Prints requests per second, p50/p90/p99 latency and writes bench/out/load-DRIVER.json.

What it checks, so that it never times refusals: before the load, each of the 23 bodies
must answer 200 with an assessment of its case. Under load, any answer but 200 (httpx),
any non-2xx answer or socket error (wrk), and any call taking more than 10 s (both), stops
the run with exit status 1, after showing the first refused call's status and body (wrk
does not keep bodies: each body is then sent once more to find one). The httpx driver
times successful calls only.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import yaml
from harness import ROOT, InProcess, fail, options, percentiles, refused, run, served, write_numbers

TIMEOUT = 10  # seconds a call may take before it counts as failed, with either driver


def cases() -> list[bytes]:
    from rrall.web.workbench import as_json_document

    files = sorted((ROOT / "examples" / "cases").glob("*.yaml"))
    return [json.dumps(as_json_document(yaml.safe_load(f.read_text()))).encode() for f in files]


def check_each_body(base: str, token: str, bodies: list[bytes]) -> None:
    """Every body answers 200 with the assessment of its own case; else stop with the answer."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for body in bodies:
        response = httpx.post(base + "/api/v1/assess", content=body, headers=headers, timeout=30)
        case_id = json.loads(body).get("id")
        try:
            answered = response.json().get("case_id") if response.status_code == 200 else None
        except ValueError:
            answered = None
        if answered != case_id:
            refused(f"POST /api/v1/assess (case {case_id})", response)


class Loop:
    """One closed-loop httpx client: a request, its answer, the next request."""

    def __init__(self, base: str, token: str, bodies: list[bytes]) -> None:
        self.base, self.bodies = base, bodies
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.latencies: list[float] = []
        self.errors = 0
        self.first_error = ""

    async def client(self, until: float, offset: int) -> None:
        async with httpx.AsyncClient(base_url=self.base, headers=self.headers, timeout=TIMEOUT) as http:
            i = offset
            while time.perf_counter() < until:
                body = self.bodies[i % len(self.bodies)]
                i += 1
                started = time.perf_counter()
                try:
                    response = await http.post("/api/v1/assess", content=body)
                except httpx.HTTPError as exc:
                    self.error(type(exc).__name__)
                    continue
                if response.status_code != 200:
                    self.error(f"status {response.status_code}: {response.text[:2000]}")
                    continue
                self.latencies.append((time.perf_counter() - started) * 1000)

    def error(self, what: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or what


async def drive(base: str, token: str, seconds: float, clients: int, warm_up: float) -> tuple[Loop, float]:
    bodies = cases()
    if warm_up:  # first requests build the engine's caches
        warm = Loop(base, token, bodies)
        until = time.perf_counter() + warm_up
        await asyncio.gather(*(warm.client(until, i) for i in range(clients)))
    loop = Loop(base, token, bodies)
    started = time.perf_counter()
    await asyncio.gather(*(loop.client(started + seconds, i) for i in range(clients)))
    return loop, time.perf_counter() - started


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


def wrk_numbers(out: str, seconds: float) -> dict[str, Any]:
    """The numbers from wrk's text report; a report without them fails the benchmark."""

    def found(pattern: str) -> re.Match[str]:
        match = re.search(pattern, out, re.M)
        if match is None:
            fail(f"wrk's report has no {pattern!r}: {out}")
        return match

    def ms(label: str) -> float:
        value, unit = found(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$").groups()
        return round(float(value) / 1000 if unit == "us" else float(value) * 1000 if unit == "s"
                     else float(value), 1)

    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    kinds = dict(zip(("connect", "read", "write", "timeout"), map(int, sockets.groups()), strict=True)) \
        if sockets else {}
    errors = {"non_2xx": int(bad.group(1)) if bad else 0} | {k: v for k, v in kinds.items() if v}
    return {"requests": int(found(r"(\d+) requests in").group(1)),
            "requests_per_second": float(found(r"Requests/sec:\s+([\d.]+)").group(1)),
            "p50_ms": ms("50%"), "p90_ms": ms("90%"), "p99_ms": ms("99%"),
            "errors": sum(errors.values()), "error_kinds": errors, "seconds": seconds}


def run_wrk(base: str, token: str, seconds: float, clients: int, warm_up: float) -> dict[str, Any]:
    bodies = cases()
    with tempfile.TemporaryDirectory(prefix="rrall-wrk-") as named:
        folder = Path(named)
        (folder / "bodies.jsonl").write_bytes(b"\n".join(bodies) + b"\n")
        (folder / "post.lua").write_text(WRK_SCRIPT % (folder / "bodies.jsonl", token))
        wrk = ["wrk", "-t1", f"-c{clients}", f"--timeout={TIMEOUT}s", "--latency", "-s",
               str(folder / "post.lua"), base + "/api/v1/assess"]
        if warm_up:
            run([wrk[0], f"-d{max(1, round(warm_up))}s", *wrk[1:]])  # wrk takes whole seconds
        report = run([wrk[0], f"-d{max(1, round(seconds))}s", *wrk[1:]], capture=True)
    numbers = wrk_numbers(report, seconds)
    if numbers["errors"] or not numbers["requests"]:
        check_each_body(base, token, bodies)  # shows a refused call's status and body, if one still is
        fail(f"wrk: {numbers['errors']} of {numbers['requests']} calls refused or failed under load "
             f"({', '.join(f'{k}: {v}' for k, v in numbers['error_kinds'].items() if v)}; timeout "
             f"after {TIMEOUT} s)")
    return numbers


def run_httpx(base: str, token: str, seconds: float, clients: int, warm_up: float) -> dict[str, Any]:
    loop, elapsed = asyncio.run(drive(base, token, seconds, clients, warm_up))
    if loop.errors:
        fail(f"httpx: {loop.errors} calls failed under load; the first: {loop.first_error}")
    numbers = percentiles(loop.latencies)
    return {"requests": numbers["timed"], "requests_per_second": round(numbers["timed"] / elapsed, 1),
            **numbers, "errors": 0, "seconds": round(elapsed, 1)}


def main() -> None:
    parser = options(__doc__)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--driver", choices=["wrk", "httpx"],
                        default="wrk" if shutil.which("wrk") else "httpx")
    args = parser.parse_args()
    if args.smoke:
        drivers, seconds, clients, warm_up = ["httpx", *(["wrk"] if shutil.which("wrk") else [])], 1.0, 4, 0.0
    else:
        drivers, seconds, clients, warm_up = [args.driver], args.seconds, args.clients, 3.0
    results = {}
    with tempfile.TemporaryDirectory(prefix="rrall-load-") as home:
        os.environ.update({"RRALL_HOME": home, "RRALL_DATABASE_URL": f"sqlite:///{home}/load.db"})
        rrall = InProcess()
        rrall("users", "add", "load", "--role", "clinician", "--password-stdin", stdin="load test password\n")
        token = rrall("users", "token", "load")
        with served(dict(os.environ), "/api/v1/knowledge") as base:
            check_each_body(base, token, cases())
            for driver in drivers:
                measure = run_wrk if driver == "wrk" else run_httpx
                results[driver] = {"driver": driver, "clients": clients,
                                   **measure(base, token, seconds, clients, warm_up)}
    for driver, result in results.items():
        write_numbers(args.out, f"load-{driver}", result, args.smoke)
        met = result["p99_ms"] <= 100
        print(f"{driver}: goal p99 <= 100 ms with no errors at {clients} clients: "
              f"{'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
