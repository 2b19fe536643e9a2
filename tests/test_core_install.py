"""The core install (`pip install rrall`) is the engine, the command line and the knowledge
base: `rrall assess` must work without any extra. Proved by running it with every extra's
packages made unimportable; a command that needs an extra says which one, with exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXTRA_PACKAGES = ("fastapi", "uvicorn", "sqlalchemy", "alembic", "jwt", "multipart", "jinja2", "weasyprint",
                  "matplotlib", "fhir", "httpx", "polars", "numpy", "lifelines", "dask", "distributed",
                  "psycopg", "pandas")
BLOCK = f"""
import sys
class _NoExtras:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {EXTRA_PACKAGES!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, _NoExtras())
from rrall.cli import main
main()
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", BLOCK, *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, check=False)


def test_assess_needs_only_the_core_dependencies() -> None:
    case = ROOT / "examples" / "cases" / "b-marrow-late.yaml"
    text = run("assess", str(case))
    assert text.returncode == 0, text.stderr
    assert "b-marrow-late" in text.stdout
    as_json = run("assess", "--format", "json", str(case))
    assert as_json.returncode == 0 and '"risk"' in as_json.stdout, as_json.stderr
    lint = run("knowledge", "lint")
    assert lint.returncode == 0, lint.stderr


def test_a_command_that_needs_an_extra_names_it() -> None:
    served = run("cohort", str(ROOT / "examples" / "cohort" / "synthetic-200.csv"), "--out", "/nonexistent")
    assert served.returncode == 2, served.stderr
    assert "pip install 'rrall[cohort]'" in served.stderr and "Traceback" not in served.stderr
