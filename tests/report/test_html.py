"""The clinician report and the family summary: content, page count before the appendix,
readability in both languages, no figures for families, a summary that follows the board."""

from __future__ import annotations

import io
import re
from html import unescape
from typing import Any

import orjson
import pytest
import textstat
import yaml
from pypdf import PdfReader

from rrall.assessment import assess
from rrall.case.load import load_case, parse_case
from rrall.knowledge.family import family_texts
from rrall.knowledge.load import KnowledgeBase
from rrall.report import charts
from rrall.report.family import family_html, family_summary, family_text
from rrall.report.fastjson import assessment_json
from rrall.report.html import Identifiers, ReportContext, clinician_html, to_pdf
from tests.conftest import ROOT, TODAY
from tests.logscan import LogScan
from tests.web.conftest import EXAMPLES, example

pytestmark = pytest.mark.usefixtures("logscan")  # nothing identifying in the log (tests/logscan.py)


def _result(name: str, kb: KnowledgeBase) -> dict[str, Any]:
    case = load_case(ROOT / "examples" / "cases" / f"{name}.yaml", kb)
    loaded: dict[str, Any] = orjson.loads(assessment_json(assess(case, kb)))
    return loaded


def visible_text(html: str) -> str:
    body = re.sub(r"<(style|title)>.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _family_body(html: str) -> str:
    """What a family reads, without the closing line that carries the date."""
    return visible_text(html.split("<body>", 1)[1].rsplit('<p class="small made">', 1)[0])


def _ease(text: str, lang: str) -> float:
    textstat.set_lang(lang)
    try:
        return float(textstat.fernandez_huerta(text) if lang == "es" else textstat.flesch_kincaid_grade(text))
    finally:
        textstat.set_lang("en")


def _readable(text: str, lang: str, kb: KnowledgeBase) -> bool:
    bound = family_text(kb, lang).readability
    score = _ease(text, lang)
    return score <= bound.at_most if bound.at_most is not None else score >= (bound.at_least or 0)


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("name", EXAMPLES)
def test_family_summary_is_plain_and_has_no_figures(name: str, lang: str, kb: KnowledgeBase) -> None:
    html = family_html(_result(name, kb), example(name), kb, lang)
    text = _family_body(html)
    assert _readable(text, lang, kb), (lang, _ease(text, lang), text)
    assert not re.search(r"\d", text), "no numbers a family could misread without their doctor"
    labels = family_text(kb, lang).labels
    for key in ("what", "choices", "next", "questions", "contact"):
        assert labels[key] in text
    assert f'<html lang="{lang}">' in html


def test_the_spanish_bound_is_fernandez_huerta_and_english_flesch_kincaid(kb: KnowledgeBase) -> None:
    texts = family_texts(kb.root)
    assert texts["en"].readability.measure == "flesch_kincaid_grade" and texts["en"].readability.at_most == 8
    spanish = texts["es"].readability
    assert spanish.measure == "fernandez_huerta" and (spanish.at_least or 0) >= 70


def test_the_family_summary_names_the_actual_relapse_site(kb: KnowledgeBase) -> None:
    summary = family_summary(_result("t-combined-early", kb), example("t-combined-early"), kb)
    found = ("The leukemia was found in the bone marrow (the soft inside of the bones where blood is made) "
             "and in a testicle.")
    assert found in summary["about"]
    spanish = family_summary(_result("b-iem-late", kb), example("b-iem-late"), kb, "es")
    cns = "en el cerebro o la médula espinal (o en el líquido que los rodea)"
    assert any(cns in s or "en un testículo" in s for s in spanish["about"])


def test_a_refractory_relapse_is_not_told_it_usually_responds_well(kb: KnowledgeBase) -> None:
    """A late relapse usually responds to treatment again; once reinduction has failed the
    summary says the leukemia did not go away, and no longer adds the usual outlook (the
    outlook's other rows: report/family_outlook.yaml)."""
    case = example("b-marrow-late")
    del case["mrd"]  # before any response is measured
    result = orjson.loads(assessment_json(assess(parse_case(case, kb, TODAY), kb)))
    usual = "This often means it responds well to treatment again."
    assert usual in family_summary(result, case, kb)["about"]
    case["relapses"][-1]["reinduction_outcome"] = "treatment_failure"
    result = orjson.loads(assessment_json(assess(parse_case(case, kb, TODAY), kb)))
    failed = family_summary(result, case, kb)
    refractory = "The leukemia did not go away with the last treatment. Doctors call this refractory."
    assert refractory in failed["about"]
    assert "It came back a while after treatment ended." in failed["about"]
    assert not any("responds well" in s for s in failed["about"])


def test_options_waiting_for_results_are_named_and_donor_search_only_where_a_transplant_is_open(
    kb: KnowledgeBase,
) -> None:
    """An isolated CNS relapse whose earlier brain radiation is not recorded: radiation is
    still a choice, waiting for that result, not left out. A donor search is mentioned where
    a transplant is a choice (early marrow relapse), not where every framework advises
    against it (late isolated CNS relapse)."""
    text = family_text(kb)
    cns = family_summary(_result("b-iem-late", kb), example("b-iem-late"), kb)
    assert text.options["cranial_radiation"] in cns["pending"]
    assert text.donor_step not in cns["next_steps"]
    marrow = family_summary(_result("b-marrow-early", kb), example("b-marrow-early"), kb)
    assert text.donor_step in marrow["next_steps"]
    html = visible_text(family_html(_result("b-iem-late", kb), example("b-iem-late"), kb))
    assert text.labels["pending"] in html and text.options["cranial_radiation"] in html
    assert "usually given inside a research study" in text.labels["trials"]


def test_the_family_summary_follows_the_board(kb: KnowledgeBase) -> None:
    result = _result("b-marrow-early", kb)
    undecided = family_summary(result, example("b-marrow-early"), kb)
    text = family_text(kb)
    assert text.options["allogeneic_hsct"] in undecided["options"]
    decision = {"chosen_options": ["blinatumomab", "pjp_prophylaxis"], "plan": "Blinatumomab, then HSCT"}
    decided = family_summary(result, example("b-marrow-early"), kb, decision=decision)
    assert decided["decided"] and decided["plan"] == [text.options["blinatumomab"]]
    assert decided["options"] == [] and decided["in_trials"] == []  # not chosen: not offered
    html = family_html(result, example("b-marrow-early"), kb, decision=decision, contact="Ward 5: 555 0100")
    body = visible_text(html)
    assert text.labels["plan"] in body and text.options["allogeneic_hsct"] not in body
    assert "Ward 5: 555 0100" in body


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_decided_plan_without_treatments_is_not_an_empty_list(kb: KnowledgeBase, lang: str) -> None:
    """A board may decide on comfort care only (or record no option): the page then says the
    doctors will explain the plan, not "The team met and chose this plan:" over nothing."""
    result = _result("third-relapse-after-car-t", kb)
    text = family_text(kb, lang, "female")
    for chosen in ([], ["palliative_care", "psychosocial_support"]):
        decision = {"chosen_options": chosen, "plan": "Comfort care"}
        body = visible_text(family_html(result, example("third-relapse-after-car-t"), kb, lang, decision))
        assert text.labels["plan_intro"] not in body
        assert text.labels["plan_explain"] in body


@pytest.mark.parametrize(("lang", "said"), [("en", "Information as of 18 December 2020."),
                                             ("es", "Información al 18 de diciembre de 2020.")])
def test_the_summary_dates_its_information_in_the_familys_words(
    kb: KnowledgeBase, lang: str, said: str
) -> None:
    body = visible_text(family_html(_result("b-iem-late", kb), example("b-iem-late"), kb, lang))
    assert said in body and "2020-12-18" not in body


def test_every_therapy_is_worded_kindly_in_every_language(kb: KnowledgeBase) -> None:
    for text in family_texts(kb.root).values():
        assert set(text.options) == set(kb.therapies)
        assert not re.search(r"poison|veneno|toxic", " ".join(text.options.values()), re.I)


def test_targeted_pills_say_what_they_target(kb: KnowledgeBase) -> None:
    """The page never says the leukemia is Ph-positive, so a TKI's words name the change
    themselves instead of pointing at 'this kind of leukemia'."""
    for lang, change in (("en", "Philadelphia chromosome"), ("es", "cromosoma Filadelfia")):
        options = family_text(kb, lang).options
        for tki in ("imatinib", "dasatinib", "nilotinib", "bosutinib", "ponatinib"):
            assert change in options[tki], (lang, tki)
        assert "this kind" not in options["revumenib"] and "este tipo" not in options["revumenib"]


@pytest.mark.parametrize("lang", ["en", "es"])
def test_each_group_of_family_sentences_is_readable(lang: str, kb: KnowledgeBase) -> None:
    """Every sentence a summary could pick, group by group (one sentence alone is too short
    for the formulas to mean much)."""
    text = family_text(kb, lang)
    for group in ("state", "timing", "lineage", "options"):
        assert _readable(" ".join(getattr(text, group).values()), lang, kb), group
    for group in ("next_steps", "questions"):
        assert _readable(" ".join(getattr(text, group)), lang, kb), group
    assert _readable(" ".join([*text.next_steps, text.donor_step]), lang, kb)


@pytest.mark.parametrize("name", ["b-marrow-early", "ph-positive-t315i", "post-allo-hsct-relapse"])
def test_clinician_report_holds_everything(name: str, kb: KnowledgeBase) -> None:
    result = _result(name, kb)
    who = Identifiers("Ana Test", "MRN-77")
    html = clinician_html(ReportContext(result, example(name), kb, identifiers=who))
    text = visible_text(html)
    assert result["case_id"] in text and result["knowledge_version"] in text
    assert result["engine_version"] in text and result["input_sha256"] in text
    assert "Ana Test" in text and "MRN-77" in text and example(name)["date_of_birth"] in text
    assert text.count("does not prescribe") == 1
    for fw in result["risk"].values():
        assert fw["name"] in text
    for option in result["options"]:
        assert option["name"].split(" (")[0] in text
    for key in result["references"]:
        assert f'id="ref-{key}"' in html  # every citation link resolves inside the report
    assert text.index("At a glance") < text.index("side by side") < text.index("Appendix: the full evidence")


@pytest.mark.parametrize("name", EXAMPLES)
def test_at_most_three_pages_before_the_appendix(name: str, kb: KnowledgeBase) -> None:
    """The summary, the frameworks and the decision fit on three A4 pages (the appendix
    starts on a page of its own, so leaving it out changes nothing before it)."""
    html = clinician_html(ReportContext(_result(name, kb), example(name), kb), appendix=False)
    assert len(PdfReader(io.BytesIO(to_pdf(html))).pages) <= 3


def test_the_full_pdf_has_its_appendix_after_the_summary(kb: KnowledgeBase) -> None:
    name = "b-marrow-late"  # has an MRD value: both charts
    pdf = PdfReader(io.BytesIO(to_pdf(clinician_html(ReportContext(_result(name, kb), example(name), kb)))))
    pages = [page.extract_text() for page in pdf.pages]
    first = next(i for i, text in enumerate(pages) if "Appendix: the full evidence" in text)
    assert 1 <= first <= 3 and "At a glance" in pages[0]
    assert "The four frameworks side by side" in pages[1], "the frameworks start page 2"
    flat = " ".join(" ".join(text.split()) for text in pages[first:])
    statuses = r"[^:]*: (Standard|Consider|Not recommended|Not eligible|In a clinical trial|Needs more data)"
    for option in ("Reinduction chemotherapy", "Blinatumomab", "Allogeneic HSCT"):
        assert re.search(re.escape(option) + statuses, flat), f"{option} is printed with its status"


def test_the_prognosis_table_reads_as_text(kb: KnowledgeBase) -> None:
    """Regression: 'not checked' was joined letter by letter and an unknown era read 'None'."""
    name = "b-marrow-early"
    text = visible_text(clinician_html(ReportContext(_result(name, kb), example(name), kb)))
    assert "not checked: treatment on CCG-1952" in text and "t, r, e" not in text
    assert "None" not in text


def test_charts_are_matplotlib_svg_with_the_frameworks_mrd_bounds(kb: KnowledgeBase) -> None:
    document = example("b-marrow-late")
    drawn = charts.mrd(document, kb, kb.glossary)
    assert drawn is not None and drawn.svg.startswith(b"<?xml") and b"matplotlib" in drawn.svg
    assert "End of reinduction" in drawn.description and "3 × 10⁻⁴ (0.03 %)" in drawn.description
    assert set(charts.threshold_names(kb)) == set(kb.thresholds["mrd_end_of_reinduction"]) - {0}
    assert charts.mrd(example("t-combined-early"), kb, kb.glossary) is None  # no MRD recorded
    line = charts.timeline(document, _result("b-marrow-late", kb), kb.glossary)
    assert line is not None and "Relapse 1: bone marrow" in line.description
    assert charts.timeline(document, _result("b-marrow-late", kb), kb.glossary).svg == line.svg  # stable


def test_the_timeline_shows_the_assessment_after_a_failed_induction(kb: KnowledgeBase) -> None:
    """Case format 1.2: a primary refractory child's dated assessment after induction is a
    point of the history, as a relapse is."""
    document = example("primary-refractory")
    document["diagnosis"]["refractory_disease"] = {"date": "2025-04-22", "cd19": "positive"}
    line = charts.timeline(document, _result("primary-refractory", kb), kb.glossary)
    assert line is not None and "Refractory disease after induction" in line.description
    assert "22 Apr 2025" in line.description


def test_pdf_rendering_logs_no_report_text(kb: KnowledgeBase, logscan: LogScan) -> None:
    """WeasyPrint logged each character it had no glyph for: a case id in Chinese
    characters went to the log one character at a time. U+0378 is in no font anywhere."""
    from rrall.case.load import parse_case
    from rrall.report.html import to_pdf

    case_id = "病例编号\u0378-7"
    logscan.forbid(case_id)
    document = example("b-marrow-early") | {"id": case_id}
    result: dict[str, Any] = orjson.loads(assessment_json(assess(parse_case(document, kb), kb)))
    pdf = to_pdf(clinician_html(ReportContext(result, document, kb))
                 + '<img src="http://127.0.0.1:9/Patient/123">')  # never fetched: data: URLs only
    assert pdf.startswith(b"%PDF")
    said = [r.getMessage() for r in logscan.records if r.name == "rrall.report"]
    assert len(said) == 1 and "character(s) have no glyph in the installed fonts" in said[0]


def test_options_are_grouped_by_phase_in_the_order_treatment_is_given(kb: KnowledgeBase) -> None:
    """Reinduction first, then consolidation, definitive therapy, site-directed, targeted and
    supportive care (the order the text output uses), never alphabetical by code."""
    path = ROOT / "examples" / "cases" / "t-marrow-early.yaml"  # options in every phase
    ctx = ReportContext(_result("t-marrow-early", kb), yaml.safe_load(path.read_text()), kb)
    html = clinician_html(ctx)
    # The options part, after the one-screen summary (which has its own supportive-care block).
    headings = re.findall(r"<h3>([^<]+)</h3>", html[html.index('aria-labelledby="h-fw"'):])
    phases = ["Reinduction", "Consolidation", "Definitive therapy", "Site-directed therapy",
              "Targeted therapy", "Supportive care"]
    assert [h for h in headings if h in phases] == phases


def test_the_spanish_family_page_speaks_of_a_girl_as_a_girl(kb: KnowledgeBase) -> None:
    """Spanish agrees words with the child's sex: 'su hija' for a girl (ph-positive-t315i is
    female), 'su hijo' for a boy, 'su hijo o hija' only where the sex is not recorded."""
    girl = visible_text(family_html(_result("ph-positive-t315i", kb), example("ph-positive-t315i"), kb, "es"))
    assert "su hija" in girl and "su hijo" not in girl and "segura y cómoda" in girl
    boy = visible_text(family_html(_result("b-iem-late", kb), example("b-iem-late"), kb, "es"))
    assert "su hijo" in boy and "su hija" not in boy and "hijo o hija" not in boy
