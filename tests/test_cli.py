"""The rrall command: formats, exit codes, schema, version."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml
from typer.testing import CliRunner

from rrall import __version__
from rrall.cli import app
from tests.conftest import ROOT

runner = CliRunner()
EXAMPLES = ROOT / "examples" / "cases"


def test_help_lists_commands_in_a_natural_order_each_on_one_line() -> None:
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "140"})
    lines = [line for line in result.stdout.splitlines()
             if line.startswith("│ ") and not line.startswith("│ --")]
    names = [line.split()[1] for line in lines if len(line.split()) > 2]
    assert names[:3] == ["assess", "report", "serve"] and names[-1] == "schema"
    assert len(names) == len(lines), "each command's help fits on one line"


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"rrall {__version__}"


def test_text_output_is_the_one_screen_summary() -> None:
    result = runner.invoke(app, ["assess", str(EXAMPLES / "b-marrow-early.yaml")])
    assert result.exit_code == 0, result.output
    out = result.stdout
    for word in ("BFM", "IntReALL", "COG", "UK", "S3", "does not prescribe", "Transplant:",
                 "Tests still to do", "(work-up)", "--full"):
        assert word in out
    assert out.count("does not prescribe") == 1
    assert "References" not in out and "Batch summary" not in out
    # One screen of a 50-row terminal (45 until the frameworks table named the pending test
    # that could change a group, and the labels gave the option's status here).
    assert len(out.splitlines()) <= 48, "one screen"


def test_full_text_output_has_everything() -> None:
    result = runner.invoke(app, ["assess", "--full", str(EXAMPLES / "b-marrow-early.yaml")])
    assert result.exit_code == 0, result.output
    for word in ("Every treatment option", "Prognosis in the literature", "Clinical trials", "References"):
        assert word in result.stdout


def test_a_batch_ends_with_a_closing_summary(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("id: bad\nsex: x\n")
    for name in ("b-marrow-early", "t-combined-early"):
        (tmp_path / f"{name}.yaml").write_text((EXAMPLES / f"{name}.yaml").read_text())
    result = runner.invoke(app, ["assess", str(tmp_path)])
    assert result.exit_code == 2
    closing = result.stdout.split("Batch summary", 1)[1]
    assert "2 case(s) assessed, 1 could not be assessed" in closing
    assert "BFM: S3 1, S4 1" in closing


def test_json_single_object_and_fields() -> None:
    result = runner.invoke(app, ["assess", "-f", "json", str(EXAMPLES / "b-marrow-early.yaml")])
    data = json.loads(result.stdout)
    assert set(data) >= {"case_id", "engine_version", "knowledge_version", "input_sha256",
                         "classification", "risk", "missing_data", "warnings", "references"}
    assert list(data["risk"]) == ["bfm", "intreall", "cog", "uk"]


def test_folder_in_name_order_as_jsonl() -> None:
    result = runner.invoke(app, ["assess", "-f", "jsonl", str(EXAMPLES)])
    assert result.exit_code == 0, result.stderr
    ids = [json.loads(line)["case_id"] for line in result.stdout.splitlines()]
    assert ids == sorted(p.stem for p in EXAMPLES.glob("*.yaml"))


def test_json_and_yaml_hash_the_same(tmp_path: Path) -> None:
    import yaml

    case = yaml.safe_load((EXAMPLES / "b-iem-late.yaml").read_text())
    (tmp_path / "c.json").write_text(json.dumps(case, indent=3, sort_keys=True))
    a = json.loads(runner.invoke(app, ["assess", "-f", "json", str(EXAMPLES / "b-iem-late.yaml")]).stdout)
    b = json.loads(runner.invoke(app, ["assess", "-f", "json", str(tmp_path / "c.json")]).stdout)
    assert a["input_sha256"] == b["input_sha256"]


def test_schema_is_json_schema() -> None:
    result = runner.invoke(app, ["schema"])
    schema = json.loads(result.stdout)
    assert schema["type"] == "object" and "relapses" in schema["properties"]
    assert schema["additionalProperties"] is False


def test_knowledge_lint_ok() -> None:
    result = runner.invoke(app, ["knowledge", "lint"])
    assert result.exit_code == 0 and "OK" in result.stdout


def test_knowledge_lint_fails_with_exit_1(tmp_path: Path) -> None:
    result = runner.invoke(app, ["knowledge", "lint", "--knowledge", str(tmp_path)])
    assert result.exit_code == 1 and "manifest.yaml" in result.stderr


def test_real_process_exit_codes(tmp_path: Path) -> None:
    """The installed console entry point, as a user runs it."""
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    cmd = [sys.executable, "-c", "from rrall.cli import main; main()"]
    ok = subprocess.run([*cmd, "assess", str(EXAMPLES / "t-marrow-late.yaml")], capture_output=True)
    assert ok.returncode == 0
    failed = subprocess.run([*cmd, "assess", str(bad)], capture_output=True, text=True)
    assert failed.returncode == 2 and "Traceback" not in failed.stderr
    assert "id: is required" in failed.stderr


def test_text_output_groups_options_by_phase_with_reasons_and_sources() -> None:
    # An early T-lineage marrow relapse has options in every phase of treatment.
    out = runner.invoke(app, ["assess", "--full", str(EXAMPLES / "t-marrow-early.yaml")]).stdout
    for phase in ("Reinduction", "Consolidation", "Definitive therapy", "Targeted therapy",
                  "Site-directed therapy", "Supportive care"):
        assert f"  {phase}" in out
    result = runner.invoke(app, ["assess", "--full", str(EXAMPLES / "ph-positive-t315i.yaml")])
    out = result.stdout
    assert "Every treatment option" in out and "Prognosis in the literature" in out
    assert "Ponatinib" in out and "T315I" in out
    assert "Cumulative anthracycline" in out


def test_json_has_options_prognosis_and_anthracycline_block() -> None:
    result = runner.invoke(app, ["assess", "-f", "json", str(EXAMPLES / "b-marrow-early.yaml")])
    data = json.loads(result.stdout)
    assert {"options", "prognosis", "cumulative_anthracycline"} <= set(data)
    option = data["options"][0]
    assert set(option) >= {"id", "name", "phase", "status", "reasons", "cautions", "evidence", "citations"}
    cited = {c for o in data["options"] for c in o["citations"]} | {p["citation"] for p in data["prognosis"]}
    assert cited <= set(data["references"])


def test_anthracycline_factor_table_option() -> None:
    case = str(EXAMPLES / "b-marrow-early.yaml")
    pancare = json.loads(runner.invoke(app, ["assess", "-f", "json", case]).stdout)
    feijen = json.loads(runner.invoke(app, ["assess", "-f", "json", "--anthracycline-factors", "feijen2019",
                                            case]).stdout)
    assert pancare["cumulative_anthracycline"]["table"] == "pancare"
    assert feijen["cumulative_anthracycline"]["table"] == "feijen2019"
    bad = runner.invoke(app, ["assess", "--anthracycline-factors", "guess", case])
    assert bad.exit_code == 2 and "pancare" in bad.output


def test_knowledge_show_and_references() -> None:
    shown = runner.invoke(app, ["knowledge", "show", "blinatumomab"])
    assert shown.exit_code == 0
    for text in ("Requires", "Decision list", "Evidence", "References", "Brown2021"):
        assert text in shown.stdout
    data = json.loads(runner.invoke(app, ["knowledge", "show", "ponatinib", "-f", "json"]).stdout)
    assert data["therapy"]["id"] == "ponatinib" and data["evidence"] and data["references"]
    for asked in ("Blinatumomab", "BLINATUMOMAB", "allogeneic-hsct", "Allogeneic HSCT"):
        found = runner.invoke(app, ["knowledge", "show", asked])
        assert found.exit_code == 0, asked
        for raw in ("{'", "True", "False", "None", "(when always)", "not_eligible", "isolated_marrow"):
            assert raw not in found.stdout, (asked, raw)
    missing = runner.invoke(app, ["knowledge", "show", "aspirin"])
    assert missing.exit_code == 2 and "blinatumomab" in missing.output
    refs = runner.invoke(app, ["knowledge", "references", "-f", "json"])
    listed = json.loads(refs.stdout)["references"]
    assert len(listed) > 90 and all("supports" in r and "url" in r for r in listed)


def test_every_error_rrall_raises_on_purpose_is_in_one_tree() -> None:
    """One error tree (errors.py) and one set of exit codes for every command."""
    from rrall import errors

    for name in ("CaseInputError", "CohortInputError", "KnowledgeError", "TableError", "StudyError",
                 "FetchError", "UnsafeServer", "ApiError", "NotFoundError", "ConflictError"):
        assert issubclass(getattr(errors, name), errors.RrallError), name
    assert [int(c) for c in errors.ExitCode] == [0, 1, 2]
    sources = Path(__file__).resolve().parents[1] / "src" / "rrall"
    for path in sources.rglob("*.py"):
        text = path.read_text()
        assert "EXIT_BAD_INPUT =" not in text and "typer.Exit(2)" not in text, path


def test_region_picks_the_label_that_leads_where_labels_differ(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    case = str(ROOT / "examples" / "cases" / "post-allo-hsct-relapse.yaml")
    us = runner.invoke(app, ["assess", case])
    eu = runner.invoke(app, ["assess", case, "--region", "EU"])
    assert us.exit_code == 0 and eu.exit_code == 0
    us_text, eu_text = " ".join(us.output.split()), " ".join(eu.output.split())
    # the option's status for this child comes with its labels: a label does not make an option
    assert "Tisagenlecleucel (in a clinical trial here): outside the US label; within the EU" in us_text
    assert "Tisagenlecleucel (in a clinical trial here): within the EU label; outside the US" in eu_text
    monkeypatch.setenv("RRALL_REGION", "EU")
    assert "here): within the EU label" in " ".join(runner.invoke(app, ["assess", case]).output.split())
    bad = runner.invoke(app, ["assess", case, "--region", "UK"])
    assert bad.exit_code == 2


def test_full_text_output_says_when_nothing_fits(tmp_path: Path) -> None:
    """T-lineage primary refractory disease, CD7-negative after induction: every open trial
    excludes it (the CD7 CAR-T trial on CD7), and the trials section says so instead of a
    bare heading or 'N more not eligible'. Its one figure is Schrappe 2012's; an empty
    prognosis section says so too (rendered from the same assessment without figures)."""
    import yaml

    case = yaml.safe_load((EXAMPLES / "primary-refractory.yaml").read_text())
    case["diagnosis"]["immunophenotype"] = "T"
    case["diagnosis"]["refractory_disease"] = {"cd7": "negative"}
    path = tmp_path / "t-refractory.yaml"
    path.write_text(yaml.safe_dump(case))
    result = runner.invoke(app, ["assess", "--full", str(path)])
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert "OS 32% ± 1 at 10 years" in out.split("Prognosis in the literature")[1][:200]
    import io

    from rich.console import Console

    from rrall.case.load import load_case
    from rrall.engine import engine_for
    from rrall.knowledge.load import default_knowledge
    from rrall.report.text import TextRenderer

    kb = default_knowledge()
    assessment = engine_for(kb).assess(load_case(path))
    written = io.StringIO()
    TextRenderer(kb, Console(file=written, width=100), full=True).assessment(
        assessment.model_copy(update={"prognosis": ()}))
    assert "this child) No published figure fits this case." in " ".join(written.getvalue().split())
    assert "Clinical trials open to enrolment None fits this case:" in out
    assert "more not eligible" not in out.split("Clinical trials open to enrolment")[1][:120]


CLI = [sys.executable, "-c", "from rrall.cli import main; main()"]


def test_cases_from_standard_input_in_the_format_given() -> None:
    """`-` reads standard input, which has no name to give its format: --input-format does."""
    case = (EXAMPLES / "b-marrow-early.yaml").read_bytes()
    ok = subprocess.run([*CLI, "assess", "-", "--input-format", "yaml", "-f", "json"], input=case,
                        capture_output=True)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["case_id"] == "b-marrow-early"
    unnamed = subprocess.run([*CLI, "assess", "-"], input=case.decode(), capture_output=True, text=True)
    assert unnamed.returncode == 2 and "Traceback" not in unnamed.stderr
    assert "standard input" in unnamed.stderr and "--input-format" in unnamed.stderr


def test_json_lines_from_a_pipe_keep_going_past_a_bad_line(tmp_path: Path) -> None:
    one = json.dumps(yaml.safe_load((EXAMPLES / "t-marrow-late.yaml").read_text()), default=str)
    lines = f"{one}\n{{\"id\": \"bad\"}}\n{one}\n"
    run = subprocess.run([*CLI, "assess", "-", "--input-format", "jsonl", "-f", "jsonl"], input=lines,
                         capture_output=True, text=True)
    assert run.returncode == 2
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert [r["case_id"] for r in records] == ["t-marrow-late", "bad", "t-marrow-late"]
    assert records[1]["source"] == "standard input" and records[1]["line"] == 2
    assert "errors" in records[1] and "risk" in records[2]


def test_a_name_without_a_known_suffix_is_read_in_the_format_given(tmp_path: Path) -> None:
    case = tmp_path / "case.txt"
    case.write_bytes((EXAMPLES / "b-marrow-early.yaml").read_bytes())
    refused = runner.invoke(app, ["assess", str(case)])
    assert refused.exit_code == 2 and "unknown file type '.txt'" in refused.stderr
    read = runner.invoke(app, ["assess", str(case), "--input-format", "yaml"])
    assert read.exit_code == 0 and "b-marrow-early" in read.stdout


def test_standard_input_edge_cases(tmp_path: Path) -> None:
    """Read once, even beside a folder named '-'; never silent when it holds no case or is
    closed; each refusal exits 2 and says what to give."""
    case = (EXAMPLES / "b-marrow-early.yaml").read_text()
    (tmp_path / "-").mkdir()
    beside = subprocess.run([*CLI, "assess", "-", "--input-format", "yaml", "-f", "json"], input=case,
                            capture_output=True, text=True, cwd=tmp_path)
    assert beside.returncode == 0 and json.loads(beside.stdout)["case_id"] == "b-marrow-early"
    twice = subprocess.run([*CLI, "assess", "-", "-", "--input-format", "yaml"], input=case,
                           capture_output=True, text=True)
    assert twice.returncode == 2 and "more than once" in twice.stderr
    empty = subprocess.run([*CLI, "assess", "-", "--input-format", "jsonl"], input="\n\n",
                           capture_output=True, text=True)
    assert empty.returncode == 2 and "no case" in empty.stderr
    closed = subprocess.run(["bash", "-c", f'"{sys.executable}" -c "from rrall.cli import main; main()" '
                             "assess - --input-format jsonl <&-"], capture_output=True, text=True)
    assert closed.returncode == 2 and "standard input is closed" in closed.stderr
    assert "Traceback" not in empty.stderr + closed.stderr + twice.stderr
    report = subprocess.run([*CLI, "report", "-"], input=case, capture_output=True, text=True)
    assert report.returncode == 2 and "--input-format" not in report.stderr


def test_an_empty_json_lines_file_is_said_not_passed_over(tmp_path: Path) -> None:
    empty = tmp_path / "none.jsonl"
    empty.write_text("\n")
    for fmt in ("text", "jsonl"):
        run = subprocess.run([*CLI, "assess", str(empty), "-f", fmt], capture_output=True, text=True)
        assert run.returncode == 2 and "no case" in run.stdout + run.stderr, fmt
