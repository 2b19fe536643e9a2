"""The ClinicalTrials.gov v2 importer on real-shaped fixtures (see fixtures/README.md)."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from rrall.cli import app
from rrall.errors import StudyError
from rrall.knowledge.load import default_knowledge
from rrall.trials.ctgov import age_years, import_path, split_criteria, study_to_trial
from rrall.trials.model import Trial

FIXTURES = Path(__file__).parent / "fixtures"
runner = CliRunner()


GRAMMAR = default_knowledge().grammar


def stored(folder: Path, trial_id: str) -> Trial:
    return Trial.model_validate(orjson.loads((folder / f"{trial_id}.json").read_bytes()),
                                context={"grammar": GRAMMAR})


@pytest.mark.parametrize(("text", "years"), [("1 Year", "1"), ("21 Years", "21"), ("6 Months", "0.5"),
                                             ("28 Days", "0.0767"), ("2 Weeks", "0.0383"), (None, None)])
def test_age_strings(text: str | None, years: str | None) -> None:
    assert age_years(text, "x") == (None if years is None else Decimal(years))


@pytest.mark.parametrize("text", ["N/A", "twelve years", "12", "-1 Years"])
def test_bad_age_strings_are_refused(text: str) -> None:
    with pytest.raises(StudyError, match="is not an age"):
        age_years(text, "eligibilityModule.minimumAge")


def test_single_study(tmp_path: Path) -> None:
    report = import_path(FIXTURES / "single_study.json", tmp_path, GRAMMAR)
    assert report.added == ["NCT09900001"] and not report.failed
    trial = stored(tmp_path, "NCT09900001")
    assert trial.curated is False and trial.status == "recruiting" and trial.open
    assert str(trial.status_as_of) == "2026-10-01" and trial.phase == "Phase 1/Phase 2"
    assert trial.eligibility.source == {"age": {"at_least": "1 year", "at_most": "25 years"}}
    assert trial.interventions and trial.locations and trial.other_ids
    inclusion = [t for t in trial.free_text if t.startswith("Inclusion: ")]
    exclusion = [t for t in trial.free_text if t.startswith("Exclusion: ")]
    assert inclusion and exclusion
    assert not any("\\" in t for t in trial.free_text), "markdown escapes are removed"
    assert trial.sources == ["https://clinicaltrials.gov/study/NCT09900001"]


def test_newer_version_updates_and_older_does_not(tmp_path: Path) -> None:
    import_path(FIXTURES / "single_study.json", tmp_path, GRAMMAR)
    newer = import_path(FIXTURES / "single_study_newer.json", tmp_path, GRAMMAR)
    assert newer.updated == ["NCT09900001"]
    assert stored(tmp_path, "NCT09900001").status == "active_not_recruiting"
    older = import_path(FIXTURES / "single_study_older.json", tmp_path, GRAMMAR)
    assert older.unchanged == ["NCT09900001"]
    assert stored(tmp_path, "NCT09900001").status == "active_not_recruiting"


def test_page_and_empty_page(tmp_path: Path) -> None:
    report = import_path(FIXTURES / "page.json", tmp_path, GRAMMAR)
    assert sorted(report.added) == ["NCT09900011", "NCT09900012", "NCT09900013"]
    t_all = stored(tmp_path, "NCT09900011")
    assert t_all.eligibility.source == {"age": {"at_least": "0.5 years", "at_most": "21 years"}}
    assert any(t.startswith("Inclusion: ") for t in t_all.free_text), "legacy headings and numbering"
    minimal = stored(tmp_path, "NCT09900013")
    assert minimal.status == "unknown" and "last known: recruiting" in (minimal.status_text or "")
    assert not minimal.open and minimal.free_text == []
    assert stored(tmp_path, "NCT09900012").status == "completed"
    empty = import_path(FIXTURES / "page_empty.json", tmp_path, GRAMMAR)
    assert not empty.added and not empty.failed


def test_bulk_folder(tmp_path: Path) -> None:
    report = import_path(FIXTURES / "bulk", tmp_path / "registry", GRAMMAR)
    assert sorted(report.added) == ["NCT09900021", "NCT09900022", "NCT09900023"]
    young = stored(tmp_path / "registry", "NCT09900023")
    assert "at_most" not in young.eligibility.source.get("age", {}) and young.phase == "Early Phase 1"


def test_bad_files_are_reported_and_skipped_whole(tmp_path: Path) -> None:
    source = tmp_path / "in"
    shutil.copytree(FIXTURES / "malformed", source)
    shutil.copy(FIXTURES / "single_study.json", source / "good.json")
    report = import_path(source, tmp_path / "registry", GRAMMAR)
    assert report.added == ["NCT09900001"]
    failed = {Path(f).name: why for f, why in report.failed}
    assert set(failed) == {"not_json.json", "no_nct.json", "bad_age.json", "wrong_shape.json"}
    assert "not valid JSON" in failed["not_json.json"]
    assert "nctId" in failed["no_nct.json"]
    assert "N/A" in failed["bad_age.json"]
    assert sorted(p.name for p in (tmp_path / "registry").iterdir()) == ["NCT09900001.json"]


def test_split_criteria_keeps_sections_and_nesting() -> None:
    text = "Inclusion Criteria:\n\n* Age \\>= 1 year\n* Relapsed disease:\n  * second relapse\n\n" \
           "Exclusion Criteria:\n\n* Active CNS3 disease"
    assert split_criteria(text) == ["Inclusion: Age >= 1 year",
                                    "Inclusion: Relapsed disease:; second relapse",
                                    "Exclusion: Active CNS3 disease"]


def test_study_must_be_an_object() -> None:
    with pytest.raises(StudyError):
        study_to_trial([1, 2], GRAMMAR)


def test_cli_import_list_and_exit_codes(tmp_path: Path) -> None:
    registry = tmp_path / "trials"
    ok = runner.invoke(app, ["trials", "import", str(FIXTURES / "page.json"), "--registry", str(registry)])
    assert ok.exit_code == 0 and "3 added" in ok.stdout
    bad = runner.invoke(app, ["trials", "import", str(FIXTURES / "malformed"), "--registry", str(registry)])
    assert bad.exit_code == 2 and "no_nct.json" in bad.output and "Traceback" not in bad.output
    listing = runner.invoke(app, ["trials", "list", "-f", "json", "--registry", str(registry)])
    listed = orjson.loads(listing.stdout)
    rows = {r["id"]: r for r in listed["trials"]}
    assert rows["NCT09900011"]["curated"] is False and rows["NCT01802814"]["curated"] is True
    for key in ("min_age_years", "max_age_years", "immunophenotype", "disease_states", "cd19_required",
                "cd22_required", "ph_status", "excludes_prior"):
        assert key in rows["NCT01802814"]
    assert rows["NCT01802814"]["ph_status"] == "negative" and "hsct" in rows["NCT01802814"]["excludes_prior"]


def test_upper_limits_in_months_are_not_widened_to_years() -> None:
    from rrall.trials.ctgov import max_months

    assert max_months("24 Months") == 24 and max_months("12 Months") == 12
    assert max_months("72 Hours") == 0 and max_months("8 Weeks") == 1 and max_months("21 Years") is None
    study = {"protocolSection": {"identificationModule": {"nctId": "NCT09900099", "briefTitle": "t"},
                                 "statusModule": {"overallStatus": "RECRUITING"},
                                 "eligibilityModule": {"maximumAge": "24 Months"}}}
    trial = study_to_trial(study, GRAMMAR)
    assert trial.eligibility.source == {"age": {"at_most": "24 months"}}


@pytest.mark.parametrize("broken", [{"eligibilityCriteria": ["a", "b"]}, {"minimumAge": 5}, {"sex": 1}])
def test_unexpected_field_types_fail_the_file_not_the_import(tmp_path: Path,
                                                             broken: dict[str, object]) -> None:
    study = {"protocolSection": {"identificationModule": {"nctId": "NCT09900098", "briefTitle": "t"},
                                 "statusModule": {"overallStatus": "RECRUITING"},
                                 "eligibilityModule": broken}}
    source = tmp_path / "in"
    source.mkdir()
    (source / "a.json").write_bytes(orjson.dumps(study))
    shutil.copy(FIXTURES / "single_study.json", source / "b.json")
    report = import_path(source, tmp_path / "registry", GRAMMAR)
    assert report.added == ["NCT09900001"] and [Path(f).name for f, _ in report.failed] == ["a.json"]


def test_imported_trials_never_match_on_ages_alone(tmp_path: Path) -> None:
    from rrall.assessment import match_trials_for
    from rrall.knowledge.load import default_knowledge
    from rrall.trials.registry import Registry

    import_path(FIXTURES / "single_study.json", tmp_path, GRAMMAR)
    kb = default_knowledge()
    registry = Registry((stored(tmp_path, "NCT09900001"),))
    case = load_case_file("t-marrow-late.yaml")
    found = match_trials_for(case, kb, trials=registry)
    assert [m.status for m in found] == ["needs_review"]
    assert any(c.criterion == "free_text" and c.result == "unknown" for c in found[0].criteria)


def load_case_file(name: str) -> object:
    from rrall.case.load import load_case

    return load_case(Path(__file__).parents[2] / "examples" / "cases" / name)


def test_a_registry_that_is_not_a_folder_is_refused(tmp_path: Path) -> None:
    not_folder = tmp_path / "file.txt"
    not_folder.write_text("x")
    for target in (not_folder, tmp_path / "missing"):
        result = runner.invoke(app, ["trials", "list", "--registry", str(target)])
        assert result.exit_code == 2 and "--registry" in result.output
