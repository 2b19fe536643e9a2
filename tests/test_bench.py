"""Every benchmark under bench/ runs in its smoke mode (a tiny size, seconds): it must exit
0 and write its numbers file, stamped with the date, the git commit and the machine's
load. A benchmark that breaks, or that would time refused calls or failed runs (each one
checks what it times and exits 1 on a failure), fails here instead of rotting."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from bench import harness

BENCH = Path(__file__).resolve().parents[1] / "bench"
SMOKES = ["cds.py", "cohort.py", "compare.py", "impact.py", "load.py", "login.py", "run.py", "trials.py"]
# What a benchmark needs besides --smoke: compare.py times one case on HEAD against this tree.
ARGUMENTS = {"compare.py": ["--before", "HEAD", "--", "assess",
                            str(BENCH.parent / "examples" / "cases" / "b-marrow-early.yaml")]}
NOT_BENCHMARKS = {
    "harness.py": "what the benchmarks share",
    "generate_cases.py": "writes run.py's, cohort.py's and impact.py's input; their smoke runs run it",
}


def test_every_benchmark_has_a_smoke_run_here() -> None:
    assert sorted(p.name for p in BENCH.glob("*.py")) == sorted([*SMOKES, *NOT_BENCHMARKS])


def expected_numbers(script: str) -> set[str]:
    if script == "load.py":  # each installed driver; .ci/run installs wrk
        return {f"load-{d}-smoke.json" for d in ("httpx", "wrk") if d == "httpx" or shutil.which(d)}
    if script == "cohort.py":
        return {"cohort-200-parquet-smoke.json"}
    if script == "compare.py":
        return {"compare-assess-smoke.json"}
    return {script.replace(".py", "-smoke.json")}


@pytest.mark.parametrize("script", SMOKES)
def test_smoke_run_exits_0_and_writes_its_numbers(script: str, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(BENCH / script), "--smoke", "--out", str(tmp_path),
                           *ARGUMENTS.get(script, [])],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    printed = {Path(line.removeprefix("numbers: ")) for line in done.stdout.splitlines()
               if line.startswith("numbers: ")}
    assert {p.name for p in printed} == expected_numbers(script)
    for path in printed:
        numbers = json.loads((tmp_path / path.name).read_text())
        assert numbers["smoke"] is True
        stamp = numbers["measured_on"]
        assert datetime.fromisoformat(stamp["date"]).tzinfo is not None
        assert re.fullmatch(r"[0-9a-f]{40}", stamp["commit"])
        assert [len(stamp["load_average_1_5_15_min"][w]) for w in ("at_start", "at_end")] == [3, 3]


def test_a_failing_process_stops_the_benchmark_with_its_exit_code_and_stderr(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        harness.run([sys.executable, "-c", "import sys; sys.exit('no such case')"])
    assert stopped.value.code == 1
    assert "exited 1: no such case" in capsys.readouterr().err


def test_a_refused_call_stops_the_benchmark_with_its_status_and_body(
        capsys: pytest.CaptureFixture[str]) -> None:
    refusal = httpx.Response(401, text='{"message": "the JWT has expired"}')
    with pytest.raises(SystemExit) as stopped:
        harness.refused("patient_view_prefetch call 1", refusal)
    assert stopped.value.code == 1
    assert 'call 1 answered 401: {"message": "the JWT has expired"}' in capsys.readouterr().err


def test_a_server_that_does_not_start_stops_the_benchmark_with_its_stderr(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "RRALL_HOME": str(tmp_path),
           "RRALL_DATABASE_URL": "no-such-database://"}
    with pytest.raises(SystemExit) as stopped, harness.served(env, "/api/v1/knowledge"):
        pass
    assert stopped.value.code == 1
    assert "`rrall serve` exited" in capsys.readouterr().err


def test_percentiles_are_nearest_rank_and_nothing_timed_is_a_failure() -> None:
    numbers = harness.percentiles([float(ms) for ms in range(1, 101)])
    assert (numbers["p50_ms"], numbers["p95_ms"], numbers["p99_ms"], numbers["max_ms"]) == (50, 95, 99, 100)
    with pytest.raises(SystemExit):
        harness.percentiles([])
