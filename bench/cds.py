"""CDS Hooks latency on loopback (goal: p95 <= 100 ms; floor: p95 <= 200 ms).

    python bench/cds.py [--requests 300]     # --smoke: 12 calls per mode, a few seconds

Starts `rrall serve` in its own process with a test client's keys (`rrall cds keygen`),
then sends calls one at a time, cycling the 23 example cases, in three modes:
- `patient_view_prefetch`: `patient-view` with every prefetch key filled (the usual EHR call);
- `patient_view_fhir_server`: `patient-view` without prefetch, so that the service reads
  the record's seven queries from a FHIR server (a small server in this process, on
  loopback, answering the example records from memory);
- `order_select`: `order-select` with a drafted dasatinib order, with prefetch.
The prefetch keys come from the service's discovery document. Each call carries a fresh
JWT from `rrall cds token` (run in this process through its command, so that signing
costs about 2 ms instead of a process start; 5-minute lifetime, new jti each time), signed
just before the call and outside the timed part. The first 10 calls of each mode are not timed.
Each mode uses its own issuer, so that its records are stored as cases of their own.

What it checks, so that it never times refusals: every call must answer 200 with a
`cards` list (non-empty for `patient-view`); the first call that does not stops the run,
exit status 1, with its status and body. After each mode, the workbench API must list
one stored case per distinct record called, so that no record was answered with the
"cannot assess this record yet" card. Only successful calls are timed. Prints p50, p90,
p95 and p99 per mode and writes bench/out/cds.json.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
from harness import ROOT, InProcess, fail, free_port, options, percentiles, refused, served, write_numbers

GOAL_MS, FLOOR_MS = 100, 200
ORDER_SELECT = ROOT / "examples" / "cds-hooks" / "order-select.json"
Record = dict[str, list[dict[str, Any]]]  # resource type -> Bundle entries (fullUrl, resource)


@dataclass(frozen=True)
class Mode:
    name: str
    service: str
    issuer: str
    prefetch: bool
    orders: bool


MODES = (
    Mode("patient_view_prefetch", "rrall-relapsed-all", "https://prefetch.bench.example", True, False),
    Mode("patient_view_fhir_server", "rrall-relapsed-all", "https://fhir-server.bench.example", False, False),
    Mode("order_select", "rrall-order-check", "https://order-select.bench.example", True, True),
)


def example_records() -> dict[str, Record]:
    """Patient id -> the example case's FHIR resources (rrall's own export), by type."""
    from rrall.case.load import load_case
    from rrall.fhir.export import case_bundle

    records: dict[str, Record] = {}
    for path in sorted((ROOT / "examples" / "cases").glob("*.yaml")):
        entries = case_bundle(load_case(path))["entry"]
        record: Record = {}
        for entry in entries:
            record.setdefault(entry["resource"]["resourceType"], []).append(entry)
        records[record["Patient"][0]["resource"]["id"]] = record
    return records


def fhir_server(records: dict[str, Record], token: str) -> str:
    """A FHIR server on loopback answering reads of Patient and searches by patient."""
    import uvicorn
    from fastapi import FastAPI, Header
    from fastapi.responses import JSONResponse

    ehr = FastAPI()

    def answer(authorization: str | None, patient: str, found: Any) -> JSONResponse:
        if authorization != f"Bearer {token}":
            return JSONResponse({"resourceType": "OperationOutcome"}, status_code=401)
        if patient not in records:
            return JSONResponse({"resourceType": "OperationOutcome"}, status_code=404)
        return JSONResponse(found(records[patient]), media_type="application/fhir+json")

    @ehr.get("/fhir/Patient/{pid}")
    def read(pid: str, authorization: str | None = Header(None)) -> JSONResponse:
        return answer(authorization, pid, lambda r: r["Patient"][0]["resource"])

    @ehr.get("/fhir/{kind}")
    def search(kind: str, patient: str, authorization: str | None = Header(None)) -> JSONResponse:
        return answer(authorization, patient, lambda r: searchset(r.get(kind, [])))

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(ehr, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}/fhir"


def searchset(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries}


def prefetched(templates: dict[str, str], record: Record) -> dict[str, Any]:
    """The prefetch the discovery document asks for: a read of the Patient, a searchset
    Bundle for each `Type?patient=` query."""
    out: dict[str, Any] = {}
    for key, template in templates.items():
        if "?" in template:
            out[key] = searchset(record.get(template.split("?")[0], []))
        else:
            out[key] = record[template.split("/")[0]][0]["resource"]
    return out


def hook_body(mode: Mode, hook: str, templates: dict[str, str], record: Record, ehr: str,
              instance: int) -> bytes:
    patient = record["Patient"][0]["resource"]["id"]
    context: dict[str, Any] = {"userId": "Practitioner/bench", "patientId": patient}
    if mode.orders:  # the ready order-select request's draft order, for this patient
        example = json.loads(ORDER_SELECT.read_text())
        draft = example["context"]["draftOrders"]
        for entry in draft["entry"]:
            entry["resource"]["subject"] = {"reference": f"Patient/{patient}"}
        context |= {"draftOrders": draft, "selections": example["context"]["selections"]}
    body: dict[str, Any] = {"hook": hook, "hookInstance": f"{mode.name}-{instance}", "context": context}
    if mode.prefetch:
        body["prefetch"] = prefetched(templates, record)
    else:
        body |= {"fhirServer": ehr, "fhirAuthorization": {
            "access_token": "bench-fhir-token", "token_type": "Bearer", "expires_in": 300,
            "scope": "patient/*.read", "subject": "rrall"}}
    return json.dumps(body).encode()


def configure_clients(cli: InProcess, home: Path, ehr: str) -> Path:
    """A test client's key, accepted under each mode's issuer; the FHIR server it may send."""
    cli("cds", "keygen", str(home / "client"))
    jwks = next(iter(json.loads((home / "client" / "clients.json").read_text()).values()))
    clients = {m.issuer: jwks | {"fhir_servers": [ehr]} for m in MODES}
    (home / "clients.json").write_text(json.dumps(clients, indent=2))
    return home / "client" / "private-key.pem"


def timed_calls(cli: InProcess, key: Path, base: str, mode: Mode, bodies: list[tuple[str, bytes]],
                warm_up: int) -> list[float]:
    """Latency (ms) of each successful call after the warm-up; the first failure stops the run."""
    url = f"{base}/cds-services/{mode.service}"
    latencies = []
    with httpx.Client(timeout=30) as client:
        for i, (_patient, body) in enumerate(bodies):
            token = cli("cds", "token", "--key", str(key), "--audience", url, "--issuer", mode.issuer)
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            started = time.perf_counter()
            response = client.post(url, content=body, headers=headers)
            took = (time.perf_counter() - started) * 1000
            cards = answered_cards(response)
            if not isinstance(cards, list) or (not cards and not mode.orders):
                refused(f"{mode.name} call {i + 1} (POST {url})", response)
            if i >= warm_up:
                latencies.append(took)
    return latencies


def answered_cards(response: httpx.Response) -> Any:
    if response.status_code != 200:
        return None
    try:
        return response.json().get("cards")
    except (ValueError, AttributeError):
        return None


def check_stored(base: str, viewer: str, mode: Mode, patients: set[str]) -> int:
    """Each distinct record called is a stored case of this mode's EHR (none refused)."""
    host = urlparse(mode.issuer).netloc
    response = httpx.get(f"{base}/api/v1/cases", params={"q": f"{host}:", "limit": 1},
                         headers={"Authorization": f"Bearer {viewer}"})
    if response.status_code != 200:
        refused("GET /api/v1/cases", response)
    stored: int = response.json()["total"]
    if stored != len(patients):
        fail(f"{mode.name}: {len(patients)} records called but {stored} stored as cases; the others were "
             "answered without an assessment")
    return stored


def main() -> None:
    parser = options(__doc__)
    parser.add_argument("--requests", type=int, default=300, help="calls per mode, the first 10 untimed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rrall-cds-") as home:
        results = measure(Path(home), *((12, 2) if args.smoke else (args.requests, 10)))
    write_numbers(args.out, "cds", results, args.smoke)
    for mode in MODES:
        r = results[mode.name]
        verdict = "goal met" if r["goal_met"] else "floor met, goal NOT met" if r["floor_met"] else \
            "floor NOT met"
        print(f"{mode.name}: p95 {r['p95_ms']} ms ({verdict}: goal <= {GOAL_MS} ms, floor <= {FLOOR_MS} ms)")


def measure(home: Path, calls: int, warm_up: int) -> dict[str, Any]:
    """Each mode's latencies, with the server's data in `home`."""
    records = example_records()
    ehr = fhir_server(records, "bench-fhir-token")
    os.environ.update({"RRALL_HOME": str(home), "RRALL_DATABASE_URL": f"sqlite:///{home}/cds.db",
                       "RRALL_CDS_CLIENTS": str(home / "clients.json")})
    cli = InProcess()
    key = configure_clients(cli, home, ehr)
    cli("users", "add", "bench", "--role", "viewer", "--password-stdin", stdin="bench viewer password\n")
    viewer = cli("users", "token", "bench")
    ordered = list(records.values())
    results: dict[str, Any] = {"calls_per_mode": calls, "untimed_warm_up_calls": warm_up,
                               "goal_p95_ms": GOAL_MS, "floor_p95_ms": FLOOR_MS}
    with served(dict(os.environ), "/cds-services") as base:
        services = {s["id"]: s for s in httpx.get(base + "/cds-services").json()["services"]}
        for mode in MODES:
            service = services.get(mode.service) or fail(f"no {mode.service} in GET /cds-services")
            chosen = [ordered[i % len(ordered)] for i in range(calls)]
            bodies = [(rec["Patient"][0]["resource"]["id"],
                       hook_body(mode, service["hook"], service["prefetch"], rec, ehr, i))
                      for i, rec in enumerate(chosen)]
            latencies = timed_calls(cli, key, base, mode, bodies, warm_up)
            stored = check_stored(base, viewer, mode, {patient for patient, _ in bodies})
            numbers = percentiles(latencies)
            results[mode.name] = numbers | {"calls_ok": calls, "cases_stored": stored,
                                            "goal_met": numbers["p95_ms"] <= GOAL_MS,
                                            "floor_met": numbers["p95_ms"] <= FLOOR_MS}
    return results


if __name__ == "__main__":
    main()
