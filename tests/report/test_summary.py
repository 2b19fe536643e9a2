"""The one-screen summary: frameworks in one row, the HSCT line, the top missing tests,
options split into treatment and supportive care, and conditional answers (the engine's
`branches`) read as 'standard if BCR::ABL1 negative; consider if BCR::ABL1 positive'."""

from __future__ import annotations

import copy
import subprocess
import sys
from typing import Any

import orjson
import yaml

from rrall.assessment import assess
from rrall.case.load import load_case, parse_case
from rrall.knowledge.load import KnowledgeBase
from rrall.report.fastjson import assessment_json
from rrall.report.html import ReportContext, clinician_html
from rrall.report.summary import TOP_MISSING, summarise
from rrall.report.words import age_words, field_words, fraction_words
from tests.conftest import ROOT
from tests.report.test_html import visible_text
from tests.web.conftest import example


def _result(name: str, kb: KnowledgeBase) -> dict[str, Any]:
    case = load_case(ROOT / "examples" / "cases" / f"{name}.yaml", kb)
    loaded: dict[str, Any] = orjson.loads(assessment_json(assess(case, kb)))
    return loaded


def test_frameworks_in_knowledge_base_order_and_the_hsct_line(kb: KnowledgeBase) -> None:
    s = summarise(_result("b-marrow-late", kb), kb)
    assert [f.short_name for f in s.frameworks] == [fw.short_name for fw in kb.frameworks.values()]
    assert s.hsct.startswith("The frameworks differ on HSCT in second remission:")
    assert "not indicated under BFM and COG" in s.hsct and "indicated under UK" in s.hsct
    agreed = summarise(_result("t-combined-early", kb), kb)
    assert agreed.hsct == "All four frameworks indicate HSCT in second remission."
    later = summarise(_result("second-relapse", kb), kb)
    assert "do not apply" in later.hsct


def test_missing_tests_top_five_frameworks_first(kb: KnowledgeBase) -> None:
    s = summarise(_result("b-iem-early", kb), kb)
    assert len(s.missing) <= TOP_MISSING and s.missing_total >= len(s.missing)
    assert s.missing[0].label == "MRD at the end of reinduction" and "BFM" in s.missing[0].changes


def test_treatment_and_supportive_care_apart(kb: KnowledgeBase) -> None:
    s = summarise(_result("ph-positive-t315i", kb), kb)
    treatment = [o.id for o in s.treatment]
    assert "ponatinib" in treatment and "imatinib" not in treatment
    assert all(o.status in ("standard", "consider") for o in (*s.treatment, *s.supportive))
    assert "pjp_prophylaxis" in [o.id for o in s.supportive] and "pjp_prophylaxis" not in treatment


def test_branches_read_as_conditions(kb: KnowledgeBase) -> None:
    result = copy.deepcopy(_result("b-marrow-early", kb))
    option = next(o for o in result["options"] if o["id"] == "blinatumomab")
    option["status"] = "insufficient_data"
    option["branches"] = [
        {"when": [{"field": "relapses[-1].bcr_abl1", "value": False, "label": "BCR::ABL1 negative"}],
         "status": "standard", "group": None, "hsct_in_cr2": None},
        {"when": [{"field": "relapses[-1].bcr_abl1", "value": True, "label": "BCR::ABL1 positive"}],
         "status": "consider", "group": None, "hsct_in_cr2": None}]
    bfm = result["risk"]["bfm"]
    mrd = "mrd[timepoint=end_of_reinduction]"
    bfm.update(status="insufficient_data", group=None, hsct_in_cr2=None, branches=[
        {"when": [{"field": mrd, "value": "below", "label": "MRD below 10⁻³"}],
         "status": "assigned", "group": "S2", "hsct_in_cr2": "not_indicated"},
        {"when": [{"field": mrd, "value": "at_least", "label": "MRD 10⁻³ or more"}],
         "status": "assigned", "group": "S2", "hsct_in_cr2": "indicated"}])
    s = summarise(result, kb)
    undecided = next(o for o in s.undecided if o.id == "blinatumomab")
    assert undecided.conditions == "standard if BCR::ABL1 negative; consider if BCR::ABL1 positive"
    line = s.frameworks[0]
    assert line.group == "needs more data"
    assert line.conditions == ("S2 (not indicated) if MRD below 10⁻³", "S2 (indicated) if MRD 10⁻³ or more")
    page = visible_text(clinician_html(ReportContext(result, example("b-marrow-early"), kb), appendix=False))
    assert "standard if BCR::ABL1 negative; consider if BCR::ABL1 positive" in page
    assert "S2 (indicated) if MRD 10⁻³ or more" in page


def test_results_without_branches_still_render(kb: KnowledgeBase) -> None:
    """A stored assessment from before the engine gave branches still renders."""
    result = _result("b-iem-early", kb)
    for block in [*result["risk"].values(), *result["options"]]:
        block.pop("branches", None)
    page = visible_text(clinician_html(ReportContext(result, example("b-iem-early"), kb), appendix=False))
    assert "needs MRD at the end of reinduction" in page


def test_clinical_formatting() -> None:
    assert age_words(8.92) == "8 years 11 months" and age_words(0.58) == "7 months"
    assert age_words(1.0) == "1 year"
    assert fraction_words("0.0001") == "10⁻⁴ (0.01 %)" and fraction_words("0.00052") == "5.2 × 10⁻⁴ (0.052 %)"
    assert fraction_words(0) == "not detected"


def test_field_paths_in_the_words_of_the_form(kb: KnowledgeBase) -> None:
    words = kb.glossary
    assert field_words("relapses[0].date", words) == "Date of relapse (relapse 1)"  # 1-based, as the form
    assert field_words("relapses[-1].cd19", words) == "CD19 at relapse"
    assert field_words("mrd[timepoint=end_of_reinduction]", words) == "MRD at the end of reinduction"
    assert field_words("relapses[1]", words) == "Relapse 2"


def test_rrall_assess_does_not_import_matplotlib() -> None:
    """Charts import matplotlib when one is drawn; the command line never draws one."""
    code = ("import sys\nfrom rrall.cli import app\ntry:\n    app(['assess', sys.argv[1]])\n"
            "except SystemExit:\n    pass\nprint('matplotlib' in sys.modules)")
    case = ROOT / "examples" / "cases" / "b-marrow-late.yaml"
    done = subprocess.run([sys.executable, "-c", code, str(case)], capture_output=True, text=True, check=True)
    assert done.stdout.strip().endswith("False"), done.stdout[-300:]


def test_the_hsct_line_when_no_framework_indicates_it(kb: KnowledgeBase) -> None:
    """A late isolated CNS relapse (BFM S1, UK standard, IntReALL standard; COG low with
    MRD below 0.1 %): none indicates HSCT, said plainly, never 'All four ... do not'."""
    raw = load_case(ROOT / "examples" / "cases" / "b-iem-late.yaml", kb).model_dump(mode="json",
                                                                                   exclude_none=True)
    raw["mrd"] = [{"timepoint": "end_of_reinduction", "unit": "percent", "value": 0.001}]
    raw["relapses"][-1]["bcr_abl1"] = False
    result: dict[str, Any] = orjson.loads(assessment_json(assess(parse_case(raw, kb), kb)))
    said = summarise(result, kb).hsct
    assert said == "The four frameworks agree: HSCT in second remission is not indicated."


def test_the_headline_says_when_a_transplant_ended_front_line_therapy(kb: KnowledgeBase) -> None:
    """An HSCT in first remission ends front-line therapy on its date (the case format):
    the headline's months after the end of therapy say where that date came from."""
    raw = load_case(ROOT / "examples" / "cases" / "b-combined-early.yaml", kb).model_dump(mode="json",
                                                                                         exclude_none=True)
    raw["diagnosis"].pop("frontline_end_date", None)
    raw["prior_therapy"]["hsct"] = [{"date": "2020-06-01", "type": "autologous"}]
    result: dict[str, Any] = orjson.loads(assessment_json(assess(parse_case(raw, kb), kb)))
    assert "(ended by the HSCT in first remission, 2020-06-01)" in summarise(result, kb).headline


def test_a_settled_group_a_pending_test_could_change_says_so(kb: KnowledgeBase) -> None:
    """Ph+ early marrow relapse with no lumbar puncture recorded: BFM S3 and UK high hold only
    while the CNS is clear (CNS3 would make it combined: S2, UK intermediate); COG, which
    reads no site for an early B-lineage relapse, stays as it is."""
    lines = {f.id: f for f in summarise(_result("ph-positive-t315i", kb), kb).frameworks}
    assert lines["bfm"].could_change == ("Lumbar puncture",) == lines["uk"].could_change
    assert lines["cog"].could_change == ()


def test_cautions_for_this_child_are_the_childs_own(kb: KnowledgeBase) -> None:
    """A third relapse with Down syndrome and 350 mg/m² of anthracycline: the dose cautions
    first, then Down syndrome (the child's constitution), each once; a caution every first
    relapse carries (reinduction toxicity in AALL1331) is not 'for this child'."""
    s = summarise(_result("third-relapse-after-car-t", kb), kb)
    assert s.cautions[0].startswith("Cumulative doxorubicin-equivalent dose is 250 mg/m² or more")
    assert s.cautions[2].startswith("Down syndrome:") and s.cautions_total > len(s.cautions)
    assert len(set(s.cautions)) == len(s.cautions)
    assert summarise(_result("b-marrow-early", kb), kb).cautions == ()


def test_short_names_and_capitals_keep_what_the_name_says() -> None:
    from rrall.report.words import short_name, upper_first

    assert short_name("Blinatumomab (CD19 x CD3 bispecific T-cell engager)") == "Blinatumomab"
    assert short_name("Pneumocystis (PJP) prophylaxis") == "Pneumocystis (PJP) prophylaxis"
    assert short_name("FLAG-IDA (fludarabine, cytarabine (high dose), idarubicin)") == "FLAG-IDA"
    assert upper_first("latest marrow MRD") == "Latest marrow MRD" and upper_first("CD22") == "CD22"


def test_mrd_of_an_earlier_relapse_is_labelled_so(kb: KnowledgeBase) -> None:
    name = "third-relapse-after-car-t"  # its only MRD is the first relapse's
    text = visible_text(clinician_html(ReportContext(_result(name, kb), example(name), kb)))
    assert "MRD, end of reinduction after relapse 1 (not the relapse assessed)" in text


def test_every_line_to_weigh_names_a_source_it_cites(kb: KnowledgeBase) -> None:
    """Each option to weigh, undecided option and supportive-care item on the one screen says
    on what it rests: one of the option's own citations, and never the notice that only says
    who may get the drug (its requirement's) where the option cites anything else."""
    for path in sorted((ROOT / "examples" / "cases").glob("*.yaml")):
        result = _result(path.stem, kb)
        s = summarise(result, kb)
        for line in (*s.treatment, *s.supportive, *s.undecided):
            option = next(o for o in result["options"] if o["id"] == line.id)
            named = {kb.references[c].short: c for c in option["citations"]}
            assert line.source in named, (path.stem, line.id, line.source)
            therapy = kb.therapies[line.id]
            required = therapy.requires_citations
            one_rule = option["rule"] in {"default", "requires", *(r.id for r in therapy.rules)}
            if not one_rule and set(option["citations"]) - set(required):
                assert named[line.source] not in required, (path.stem, line.id, line.source)


def test_the_lead_source_is_the_one_the_sources_give(kb: KnowledgeBase) -> None:
    rows = yaml.safe_load((ROOT / "tests" / "report" / "lead_sources.yaml").read_text())["rows"]
    for row in rows:
        s = summarise(_result(row["case"], kb), kb)
        line = next(o for o in (*s.treatment, *s.supportive, *s.undecided) if o.id == row["option"])
        lead = {kb.references[r].short: r for r in kb.references}[line.source]
        assert lead in row["any_of"], (row["case"], row["option"], lead)


def test_a_result_stored_before_short_names_still_shows_a_source(kb: KnowledgeBase) -> None:
    result = _result("b-marrow-early", kb)
    for ref in result["references"].values():
        ref.pop("short")
    s = summarise(result, kb)
    assert next(o for o in s.treatment if o.id == "blinatumomab").source == "Locatelli 2021"


def test_shortened_text_keeps_to_its_limit_and_cuts_at_a_word() -> None:
    from rrall.report.words import shortened

    assert shortened("Locatelli 2021", 40) == "Locatelli 2021"
    cut = shortened("International Study for Treatment of High Risk Childhood Relapsed ALL 2010", 40)
    assert len(cut) <= 40 and cut.endswith("…") and cut == "International Study for Treatment of…"
    # no word boundary near the limit: cut inside the word rather than lose most of the text
    assert shortened("a" + "b" * 60, 20) == "a" + "b" * 18 + "…"
