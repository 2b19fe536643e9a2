"""The family summary: plain sentences chosen by the assessment's facts and the board's
decision, in the family's language (knowledge/family/<language>.yaml).

When the board has recorded a decision, the plan it chose comes first and the options it
did not choose are not offered as choices; before that, the options whose status is
standard or consider are the choices the team may talk about.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from rrall.case.load import parse_case
from rrall.engine import engine_for
from rrall.errors import CaseInputError
from rrall.knowledge.family import FamilyText, Outlook, family_texts
from rrall.knowledge.load import KnowledgeBase
from rrall.report.html import environment

MAIN_STATUSES = ("standard", "consider")


def family_text(kb: KnowledgeBase, lang: str = "en", sex: str | None = None) -> FamilyText:
    """The family words in `lang`, agreeing with the child's recorded sex where the language
    needs it."""
    texts = family_texts(kb.root)
    if lang not in texts:
        raise ValueError(f"no family summary in {lang!r}; available: {', '.join(sorted(texts))}")
    return texts[lang].for_child(sex)


def languages(kb: KnowledgeBase) -> dict[str, str]:
    """Language code -> its own name, for a language choice."""
    return {code: text.name for code, text in sorted(family_texts(kb.root).items())}


def family_summary(result: dict[str, Any], document: dict[str, Any], kb: KnowledgeBase, lang: str = "en",
                   decision: dict[str, Any] | None = None,
                   made_with: KnowledgeBase | None = None) -> dict[str, Any]:
    """The family summary's content, in the words of `kb`; `decision` is the board's latest
    decision, if any; `made_with` the release that made the assessment, where it is not
    `kb` (its outlook rules decide what the timing usually means)."""
    text = family_text(kb, lang, document.get("sex"))
    c = result["classification"]
    about = [text.state.get(c["disease_state"], "")]
    if c.get("refractory") and c["disease_state"] != "primary_refractory":
        about.append(text.state["refractory"])
    if c.get("post_hsct"):
        about.append(text.state["post_hsct"])
    about.append(text.lineage.get(c.get("immunophenotype") or "", ""))
    relapses = document.get("relapses") or []
    if relapses and c["disease_state"] != "primary_refractory":
        about.append(text.site_sentence(list(relapses[-1].get("sites") or [])))
    timing = (c.get("timing") or {}).get("bfm") or ""
    about.append(text.timing.get(timing, ""))
    # The outlook is read with the release that made the assessment, like the timing above.
    rules = made_with if made_with is not None else kb if result["knowledge_version"] == kb.version else None
    about += [text.timing_outlook[o.timing] for o in outlooks(result, document, rules)
              if o.timing in text.timing_outlook]
    options = result["options"]
    chosen = list((decision or {}).get("chosen_options") or [])
    if decision is not None:
        plan = [o for o in options if o["id"] in chosen and o["phase"] != "supportive"]
        choices, in_trials, pending = [], [], []
    else:
        plan = []
        choices = [o for o in options if o["status"] in MAIN_STATUSES and o["phase"] != "supportive"]
        in_trials = [o for o in options if o["status"] == "clinical_trial"]
        pending = [o for o in options if o["status"] == "insufficient_data" and o["phase"] != "supportive"]
    donor_search = any(m["field"] == "donor" for m in result["missing_data"])
    support = [o for o in options if o["phase"] == "supportive"
               and (o["status"] in MAIN_STATUSES or o["id"] in chosen)]
    return {
        "about": [s for s in about if s],
        "decided": decision is not None,
        "plan": _words(text, plan),
        "options": _words(text, choices),
        "support": _words(text, support),
        "in_trials": _words(text, in_trials),
        "pending": _words(text, pending),
        "tests_needed": text.tests_needed if result["missing_data"] else None,
        # The donor search is the work-up's own item (listed where a transplant may follow).
        "next_steps": [*text.next_steps, *([text.donor_step] if donor_search else [])],
        "questions": text.questions,
        # When the information was as of, in the family's words (an older text: its label absent).
        "as_of": text.labels.get("as_of", "{date}").format(
            date=text.date_words(date.fromisoformat(result["assessment_date"]))),
    }


def outlooks(
    result: dict[str, Any], document: dict[str, Any], made_with: KnowledgeBase | None
) -> list[Outlook]:
    """The timing outlooks to say (family/outlook.yaml of the release that made the
    assessment): those whose criterion the case surely meets and whose `unless` it does not
    surely meet (a sign not yet measured does not silence the usual outlook; one already
    found does), read as of the assessment's date. None where that release is not at hand,
    has no outlook rules (before 2026.12.33) or no longer reads the stored case: the
    summary then says what the timing is, without what it usually means."""
    if made_with is None or not made_with.family_outlook:
        return []
    try:
        case = parse_case(document, made_with, date.fromisoformat(result["assessment_date"]))
    except CaseInputError:
        return []
    rules = made_with.family_outlook
    asked = [w for o in rules for w in (o.when, o.unless) if w is not None]
    met = iter(engine_for(made_with).surely(case, asked))
    said = []
    for o in rules:  # `met` answers each rule's `when`, then its `unless` where it has one
        when, unless = next(met), o.unless is not None and next(met)
        if when and not unless:
            said.append(o)
    return said


def _words(text: FamilyText, options: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(text.options[o["id"]] for o in options if o["id"] in text.options))


def family_html(result: dict[str, Any], document: dict[str, Any], kb: KnowledgeBase, lang: str = "en",
                decision: dict[str, Any] | None = None, contact: str = "",
                made_with: KnowledgeBase | None = None) -> str:
    text = family_text(kb, lang, document.get("sex"))
    return environment().get_template("family.html.j2").render(
        r=result, s=family_summary(result, document, kb, lang, decision, made_with), t=text.labels, lang=lang,
        contact=contact.strip())
