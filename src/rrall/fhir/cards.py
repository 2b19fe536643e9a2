"""CDS Hooks cards from an assessment (a renderer: it decides nothing clinical).

A card's summary stays under 140 characters; detail is Markdown; the indicator is
`critical` only for an order the assessment rules out because of a kinase-domain mutation
the relapse carries (e.g. a non-ponatinib TKI with T315I), `warning` when data is missing
or the ordered agent is not an option for this case, `info` otherwise.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from rrall.errors import FieldError
from rrall.fhir.build import caution_line
from rrall.fhir.mapped import when
from rrall.knowledge.glossary import Glossary
from rrall.report.summary import headline as summary_headline
from rrall.report.words import prose, shortened, until_recorded

SUMMARY_LIMIT = 139


def _summary(text: str) -> str:
    return shortened(text, SUMMARY_LIMIT)


def _card(
    summary: str, indicator: str, detail: str, source: dict[str, Any], link: str | None = None
) -> dict[str, Any]:
    card: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "summary": _summary(summary),
        "indicator": indicator,
        "detail": detail,
        "source": source,
    }
    if link:
        card["links"] = [{"label": "Open the case in the rrall workbench", "url": link, "type": "absolute"}]
    return card


def source(knowledge_version: str, url: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"label": f"rrall (knowledge base {knowledge_version})"}
    if url:
        out["url"] = url
    return out


def assessment_cards(
    result: dict[str, Any], src: dict[str, Any], link: str | None, names: Mapping[str, str], words: Glossary,
    sources: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """`names`: each framework's short name; `words`: the glossary (both from the knowledge base);
    `sources`: each option's lead source, by option id (report/summary.lead_source)."""
    c = result["classification"]

    def group(fw: dict[str, Any]) -> str:
        return str(fw["group"] or words.value("framework_status", fw["status"]))

    groups = ", ".join(f"{names.get(k, k)} {group(fw)}" for k, fw in result["risk"].items())
    headline = _short_headline(c, words)
    unsettled = [k for k, fw in result["risk"].items() if fw["status"] != "assigned"]
    warnings = [prose(w["message"], words) for w in result.get("warnings") or []]
    detail = [
        f"**{summary_headline(c, words)}**",
        "",
        *(f"- **Warning:** {w}" for w in warnings),
        *([""] if warnings else []),
        "| Framework | Group | Transplant in second remission |",
        "|---|---|---|",
    ]
    for fw in result["risk"].values():
        hsct = words.value("hsct_in_cr2", fw["hsct_in_cr2"]) if fw.get("hsct_in_cr2") else "–"
        detail.append(f"| {fw['name']} | {group(fw)} | {hsct} |")
    # The frameworks' cautions (a Ph+ group "shown for reference", unverified cells), each once.
    cautions = dict.fromkeys(prose(caution_line(k), words)
                             for fw in result["risk"].values() for k in fw["cautions"])
    if cautions:
        detail += ["", *(f"- {text}" for text in cautions)]
    main = [o for o in result["options"] if o["status"] in ("standard", "consider")]
    lead = sources or {}
    detail += ["", "**Options (standard or consider):** "
               + "; ".join(o["name"] + (f" [{lead[o['id']]}]" if lead.get(o["id"]) else "") for o in main)]
    detail += _trial_lines(result["trials"], words)
    detail += [
        "",
        f"_{result['notice']}_ Engine {result['engine_version']}, knowledge {result['knowledge_version']}.",
    ]
    indicator = "warning" if unsettled or warnings else "info"
    cards = [_card(f"{headline}: {groups}", indicator, "\n".join(detail), src, link)]
    if result["missing_data"]:
        lines = ["Each of these would change a result:", ""]
        for m in result["missing_data"]:
            test = f" (test: {m['test']})" if m.get("test") else ""
            uses = f" {until_recorded(m['uses'], sentence=True)}" if m.get("uses") else ""
            lines.append(f"- **{words.field(m['field'])}**{test}:{uses}")
            lines += [f"  - {prose(said, words).rstrip('.')}" for said in m["decides"]]
        count = len(result["missing_data"])
        cards.append(
            _card(
                f"rrall: {count} missing fact(s) would change the assessment",
                "warning" if unsettled else "info",
                "\n".join(lines),
                src,
                link,
            )
        )
    return cards


TRIALS_LISTED = 8


def _trial_lines(trials: list[dict[str, Any]], words: Glossary) -> list[str]:
    """The trials that may fit, those whose criteria rrall met first, then those with a
    criterion only the trial team can check (named); and what the rest would need."""
    fitting = [t for t in trials if t["status"] == "potentially_eligible"]
    fitting += [t for t in trials if t["status"] == "needs_review"]
    lines = []
    if fitting:
        lines += ["", "**Trials that may fit:**"]
        for t in fitting[:TRIALS_LISTED]:
            title = str(t["title"])
            title = title if title.startswith(str(t["id"])) else f"{t['id']}, {title}"
            check = ""
            if t["status"] == "needs_review" and t["review"]:
                more = len(t["review"]) - 1
                check = f"; to check: {t['review'][0]}" + (f" (and {more} more)" if more else "")
            lines.append(f"- {markdown_text(shortened(title, 100) + check)}")
        if len(fitting) > TRIALS_LISTED:
            lines.append(f"- and {len(fitting) - TRIALS_LISTED} more in the workbench")
    waiting = [t for t in trials if t["status"] == "needs_data"]
    if waiting:
        needed: dict[str, int] = {}
        for t in waiting:
            for field in dict.fromkeys(f.strip() for m in t["missing"] for f in m.split(",")):
                label = words.field(field)
                needed[label] = needed.get(label, 0) + 1
        said = "; ".join(f"{label} ({n})" for label, n in sorted(needed.items(), key=lambda x: -x[1]))
        count = f"{len(waiting)}{' more' if fitting else ''} trial{'s' if len(waiting) > 1 else ''}"
        lines += ["", f"**{count} would need:** {said}"]
    return lines


def missing_cards(
    errors: list[FieldError], warnings: list[str], src: dict[str, Any], words: Glossary,
    named: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The record cannot be assessed yet: say what is needed, never guess an answer.
    `named`: each resource of the record ("Observation/123") in words ("Leukemic blasts in
    the marrow aspirate (%), result of 2021-09-14"), so that the card points at what a
    clinician sees in the chart, not at FHIR ids."""
    def said(text: str) -> str:
        return prose(in_words(text, named or {}), words)

    lines = ["rrall could not assess this record. What is missing or contradictory:", ""]
    lines += [
        f"- {words.field(e.path) if e.path else 'The record'}: {said(e.message)}"
        + (f" (allowed: {said(e.allowed)})" if e.allowed else "")
        for e in errors
    ]
    if warnings:
        lines += ["", "Not used from the record:", ""] + [f"- {said(w)}" for w in warnings[:20]]
        if len(warnings) > 20:
            lines.append(f"- and {len(warnings) - 20} more")
    count = f"{len(errors)} problem" + ("" if len(errors) == 1 else "s")
    summary = f"rrall cannot assess this record yet: {count} to fix or fill in"
    return [_card(summary, "warning", "\n".join(lines), src)]


_KINDS = {"Observation": "result", "Condition": "condition", "Procedure": "procedure",
          "MedicationStatement": "medication", "MedicationAdministration": "medication",
          "MedicationRequest": "medication order"}


def resource_words(resource: Mapping[str, Any]) -> str:
    """A resource as the chart shows it: its code's text (or first display), its kind and
    its date ("Leukemic blasts in the marrow aspirate (%) (result of 2021-09-14)")."""
    concept = resource.get("code") or resource.get("medicationCodeableConcept")
    name = None
    if isinstance(concept, dict):
        displays = [c.get("display") for c in concept.get("coding") or [] if isinstance(c, dict)]
        name = concept.get("text") or next((d for d in displays if d), None)
    if resource.get("resourceType") == "Patient":
        return "The patient record"
    kind = _KINDS.get(str(resource.get("resourceType")), "entry")
    day = when(dict(resource))
    if name:
        name = markdown_text(str(name))
        return f"{name} ({kind} of {day})" if day else f"{name} ({kind})"
    kind = kind[0].upper() + kind[1:]
    return f"{kind} of {day}" if day else f"{kind} without a code"


def in_words(text: str, named: Mapping[str, str]) -> str:
    """`text` with each reference to a named resource ("Observation/abc", with the element a
    message is about: "Observation/abc.focus") replaced by its words. The pattern is made of
    the record's own references, longest first, so an id with a dot is never cut short."""
    if not named:
        return text
    keys = "|".join(re.escape(k) for k in sorted(named, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w/-])({keys})(\.[a-z][A-Za-z\[\]]*)?(?![\w-])")
    return pattern.sub(lambda m: named[m.group(1)], text)


_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|])")


def markdown_text(text: str) -> str:
    """Text from a record or a registry, shown as written in a card's Markdown (no link,
    emphasis or table cell made from it)."""
    return _MARKDOWN.sub(r"\\\1", text)


def order_cards(
    result: dict[str, Any],
    ordered: list[tuple[str, str]],
    resistance: dict[str, set[str]],
    src: dict[str, Any],
    link: str | None,
) -> list[dict[str, Any]]:
    """Cards for draft orders of agents the assessment rules out. `resistance`: per agent,
    the kinase-domain mutations its eligibility criteria exclude (from the knowledge base).
    Critical when the ordered agent is ruled out by a mutation this relapse carries."""
    mutations = set(result["classification"].get("abl1_kinase_mutations") or [])
    options = {o["id"]: o for o in result["options"]}
    cards = []
    for agent, label in ordered:
        option = options.get(agent)
        if option is None or option["status"] not in ("not_eligible", "not_recommended"):
            continue
        status = option["status"].replace("_", " ")
        blocking = sorted(mutations & resistance.get(agent, set()))
        if blocking:
            remaining = [o for o in result["options"]
                         if o["phase"] == option["phase"] and o["status"] in ("standard", "consider")]
            others = [o["name"] for o in remaining]
            found = f"ABL1 {', '.join(blocking)}"
            detail = (
                f"**{label}** was ordered. This relapse carries {found}, a kinase-domain mutation that "
                f"rules out **{option['name']}** (status: **{status}**). Options of the same kind that "
                f"remain: {'; '.join(others) or 'none'}.\n\n"
                + "".join(f"{_cautions(o, o['name'] + ': ')}" for o in remaining)
                + _reasons(option, result["references"]) + f"\n\n_{result['notice']}_"
            )
            remain = f"Still an option: {'; '.join(others)}" if others else "No option of its kind remains"
            cards.append(
                _card(
                    f"{label} ordered, but {found} in this relapse rules out {option['name']}. {remain}",
                    "critical",
                    detail,
                    src,
                    link,
                )
            )
        else:
            cards.append(
                _card(
                    f"{option['name']} is {status} for this case (rrall)",
                    "warning",
                    _reasons(option, result["references"]) + f"\n\n_{result['notice']}_",
                    src,
                    link,
                )
            )
    return cards


def _reasons(option: dict[str, Any] | None, references: Mapping[str, Any]) -> str:
    """The option's reasons and cautions, then its sources as a reader knows them (the
    reference, not rrall's key for it)."""
    if not option:
        return ""
    sources = [_source(references.get(key)) or key for key in option["citations"]]
    return ("\n".join(f"- {r}" for r in option["reasons"]) + "\n\n" + _cautions(option)
            + "Sources:\n" + "\n".join(f"- {s}" for s in sources))


def _source(reference: Mapping[str, Any] | None) -> str:
    """A reference in a line: its citation, shortened, with its PMID or DOI when it has one."""
    if not reference:
        return ""
    short = shortened(str(reference.get("citation") or ""), 110)
    ident = f"PMID {reference['pmid']}" if reference.get("pmid") else (
        f"doi:{reference['doi']}" if reference.get("doi") else "")
    return f"{short} ({ident})" if ident else short


def _cautions(option: dict[str, Any], lead: str = "") -> str:
    """An option's cautions as the report gives them, one per line."""
    said = [caution_line(c) for c in option["cautions"]]
    return "".join(f"- {lead}{text}\n" for text in said) + ("\n" if said else "")


def unread_order_card(problems: list[str], src: dict[str, Any]) -> dict[str, Any]:
    """A drafted order rrall could not read: it was not checked, and the card says so (a
    missing card would read as 'nothing against this order')."""
    lines = ["rrall could not read the drafted order, so it did not check it against this "
             "assessment. What it could not read:", "", *(f"- {p}" for p in problems[:5])]
    if len(problems) > 5:
        lines.append(f"- and {len(problems) - 5} more")
    return _card("rrall could not read the drafted order: it was not checked", "warning",
                 "\n".join(lines), src)


def _short_headline(c: dict[str, Any], words: Glossary) -> str:
    """The card summary's few words (it stays under 140 characters): lineage, state, site with
    its extramedullary sites, timing (each scheme's where they differ), after HSCT."""
    state = words.value("disease_state", c["disease_state"])
    sites = ", ".join(words.value("relapse_site", s) for s in c.get("extramedullary_sites") or [])
    site = words.value("site_category", c["site"]) if c.get("site") else ""
    site += f" ({sites})" if site and sites else ""
    timing = c.get("timing") or {}
    bfm, cog = timing.get("bfm") or "unknown", timing.get("cog") or "unknown"
    if bfm == cog:
        when = words.value("timing", bfm) if bfm != "unknown" else ""
    else:
        when = f"{words.value('timing', bfm)} (BFM), {words.value('timing', cog)} (COG)"
    parts = [f"{words.value('immunophenotype', c.get('immunophenotype'))} {state}", site, when,
             "after allogeneic HSCT" if c.get("post_hsct") else ""]
    return ", ".join(p for p in parts if p)
